//! Fuzz target `clf_time`: see `check` in `fuzz/src/lib.rs` for what it asserts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logsql_fuzz::check("clf_time", data));
