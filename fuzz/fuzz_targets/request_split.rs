//! Fuzz target `request_split`: see `check` in `fuzz/src/lib.rs` for what it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logsql_fuzz::check("request_split", data));
