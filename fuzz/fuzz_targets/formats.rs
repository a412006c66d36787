//! Fuzz target `formats`: see `check_formats` in `fuzz/src/lib.rs` for what it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logsql_fuzz::check("formats", data));
