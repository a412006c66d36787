//! Fuzz target `scan`: see `check` in `fuzz/src/lib.rs` for what it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logsql_fuzz::check("scan", data));
