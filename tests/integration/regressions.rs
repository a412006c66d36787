//! Replays the inputs the fuzzers found (`tests/regressions/<target>/`) through the same checks
//! the fuzz targets run (`fuzz/src/lib.rs`), so a fixed crash stays fixed without a fuzzer.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

#[path = "../../fuzz/src/lib.rs"]
mod checks;

/// Runs `check` on `data`, returning the panic message if it panics.
fn outcome(target: &str, data: &[u8]) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(|| checks::check(target, data))).map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

#[test]
fn saved_fuzz_findings_pass_their_checks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut failures = Vec::new();
    let mut replayed = 0;
    for dir in std::fs::read_dir(&root).expect("tests/regressions exists") {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let target = dir.file_name().unwrap().to_string_lossy().into_owned();
        // A misnamed directory would be skipped silently: refuse it.
        assert!(
            checks::TARGETS.contains(&target.as_str()),
            "{}: not a fuzz target (known: {:?})",
            dir.display(),
            checks::TARGETS
        );
        for file in std::fs::read_dir(&dir).unwrap() {
            let path = file.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            replayed += 1;
            if let Err(message) = outcome(&target, &data) {
                failures.push(format!("{}: {message}", path.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(replayed > 0, "no saved inputs under {}", root.display());
}

/// The checks themselves hold on real lines: every line of the example log through each
/// parser check, and blocks of it through the line reader and the whole scan in every mode.
/// (A check that rejected good input would make the fuzzers report noise.)
#[test]
fn the_checks_hold_on_the_example_log() {
    let log =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/access.log")).unwrap();
    for line in log.split(|b| *b == b'\n').take(400) {
        for target in [
            "access_common",
            "access_combined",
            "unescape",
            "request_split",
        ] {
            checks::check(target, line);
        }
        if let Some(open) = line.iter().position(|b| *b == b'[') {
            checks::check("clf_time", &line[open + 1..(open + 27).min(line.len())]);
        }
    }
    let block = &log[..20_000];
    checks::check(
        "line_reader",
        &[[5u8, 17, 200, 7, 0, 3, 255, 1].as_slice(), block].concat(),
    );
    for mode in 0..18u8 {
        checks::check("scan", &[[mode, 5, 200, 7].as_slice(), block].concat());
    }
}

/// The scan check really checks: a file whose decoded lines it miscounted would fail it.
#[test]
fn the_reference_line_split_is_the_readme_definition() {
    let lines = checks::reference_lines(b"a\r\nbb\n\nccc");
    let text: Vec<&[u8]> = lines.iter().map(|(_, l)| l.as_slice()).collect();
    assert_eq!(text, [b"a".as_slice(), b"bb", b"", b"ccc"]);
    assert_eq!(
        lines.iter().map(|(o, _)| *o).collect::<Vec<_>>(),
        [0, 3, 6, 7]
    );
    assert!(checks::reference_lines(b"").is_empty());
    assert_eq!(checks::reference_lines(b"x\n").len(), 1);
}
