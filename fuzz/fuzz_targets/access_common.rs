//! Fuzz target `access_common`: see `check` in `fuzz/src/lib.rs` for what it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logsql_fuzz::check("access_common", data));
