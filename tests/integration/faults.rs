//! Faults through the real binary: unreadable, damaged, odd and vanishing inputs, and a full
//! disk. Each gives a correct answer or a clear one-line error, with an exit status that tells
//! them apart (0 answer, 1 error, 3 answer over damaged input), and nothing panics.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use logsql::generate::GenOptions;

use crate::reference::Reference;
use crate::util::{logsql, logsql_piped, query_csv, Run, Scratch};

/// Exit status of an answer computed over damaged input (see README, Reliability).
const PARTIAL: i32 = 3;

#[track_caller]
fn assert_no_panic(run: &Run) {
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("RUST_BACKTRACE"),
        "{}",
        run.stderr
    );
}

/// Asserts a failed run with exactly one `logsql: error:` line on stderr containing `needle`.
#[track_caller]
fn assert_one_line_error(run: &Run, needle: &str) {
    assert_no_panic(run);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(run.stderr.starts_with("logsql: error: "), "{}", run.stderr);
    assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains(needle), "{}", run.stderr);
}

/// The single number a `SELECT count(*)` printed as CSV, whatever the exit status.
fn count_of(run: &Run) -> u64 {
    let mut lines = run.stdout.lines();
    lines.next();
    lines
        .next()
        .and_then(|l| l.split(',').next()?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no count: {}\n{}", run.stdout, run.stderr))
}

fn generated(dir: &Scratch, lines: u64, seed: u64) -> (std::path::PathBuf, Vec<u8>) {
    let (path, _) = dir.generated(
        "access.log",
        &GenOptions {
            lines,
            seed,
            no_final_newline: false,
            ..Default::default()
        },
    );
    let data = std::fs::read(&path).unwrap();
    (path, data)
}

/// Rows the reference parser finds among the complete lines of `data`.
fn reference_rows(data: &[u8]) -> u64 {
    let reference = Reference::new(true);
    data.split(|b| *b == b'\n')
        .filter(|l| reference.parse(l).is_some())
        .count() as u64
}

/// What a decoder yields before it fails, read as logsql reads it: 128 KiB at a time (a
/// decoder drops what it decoded in the read that fails).
fn decodable_prefix(mut reader: impl Read) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 128 << 10];
    loop {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// A damaged archive (cut, or corrupt): the complete lines before the damage are the answer,
/// the damage is one warning line naming the file, the cut line is a reject, and the exit
/// status says "partial".
fn check_damaged_archive(name: &str, damaged: &[u8], decoded: &[u8]) {
    let dir = Scratch::new("damaged-archive");
    let path = dir.write(name, damaged);
    // Only whole lines count: the fragment the damage cut off is not a row.
    let whole = &decoded[..decoded.iter().rposition(|b| *b == b'\n').unwrap() + 1];
    let want = reference_rows(whole);
    assert!(want > 100, "the cut keeps a good part of the file");
    for extra in [&[][..], &["--format", "combined"][..]] {
        let run = query_csv(&[&path], extra, "SELECT count(*) FROM logs");
        assert_no_panic(&run);
        assert_eq!(run.status, PARTIAL, "{}", run.stderr);
        assert_eq!(count_of(&run), want);
        let warnings: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| l.starts_with("logsql: warning: "))
            .collect();
        assert_eq!(warnings.len(), 1, "{}", run.stderr);
        assert!(
            warnings[0].contains(name) && warnings[0].contains("damaged"),
            "{}",
            run.stderr
        );
    }
    // The cut-off line is listed with the other rejects, after every whole line.
    let run = query_csv(
        &[&path],
        &[],
        "SELECT line_number, reason FROM logs_rejects ORDER BY line_number DESC LIMIT 1",
    );
    assert_eq!(run.status, PARTIAL, "{}", run.stderr);
    let last = run.stdout.lines().nth(1).unwrap().to_string();
    let lines_before = whole.iter().filter(|b| **b == b'\n').count();
    assert_eq!(
        last,
        format!(
            "{},line cut off by damaged compressed data",
            lines_before + 1
        )
    );
}

#[test]
fn a_cut_gzip_file_answers_from_the_lines_before_the_cut() {
    let dir = Scratch::new("cut-gz");
    let (_, data) = generated(&dir, 3000, 71);
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(&data).unwrap();
    let gz = e.finish().unwrap();
    let cut = &gz[..gz.len() * 2 / 3];
    let decoded = decodable_prefix(flate2::read::MultiGzDecoder::new(cut));
    check_damaged_archive("access.log.1.gz", cut, &decoded);
}

#[test]
fn a_cut_zstd_file_answers_from_the_lines_before_the_cut() {
    let dir = Scratch::new("cut-zst");
    let (_, data) = generated(&dir, 3000, 72);
    let zst = zstd::encode_all(&data[..], 3).unwrap();
    let cut = &zst[..zst.len() * 2 / 3];
    let decoded = decodable_prefix(zstd::stream::read::Decoder::new(cut).unwrap());
    check_damaged_archive("access.log.2.zst", cut, &decoded);
}

/// A byte flipped mid-file: zstd finds the damage in the block that holds it, and the lines
/// decoded before that are the answer, as `zstdcat` gives them (they were lost with the read
/// that met the damage, up to a megabyte of them).
#[test]
fn a_corrupt_zstd_file_answers_from_the_lines_before_the_damage() {
    let dir = Scratch::new("corrupt-zst");
    let (_, data) = generated(&dir, 6000, 74);
    let mut zst = zstd::encode_all(&data[..], 3).unwrap();
    let middle = zst.len() / 2;
    zst[middle] ^= 0xff;
    let decoded = decodable_prefix(zstd::stream::read::Decoder::new(&zst[..]).unwrap());
    assert!(decoded.len() < data.len(), "the decoder finds the damage");
    check_damaged_archive("access.log.3.zst", &zst, &decoded);
}

/// Every byte a raw decoder gives before it fails, decoded in one call into room for all of
/// it: what `xz -dc` writes out.
fn decoded_before_error(ext: &str, damaged: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(damaged.len() * 20);
    match ext {
        "xz" => {
            let mut xz = xz2::stream::Stream::new_stream_decoder(u64::MAX, 0).unwrap();
            let _ = xz.process_vec(damaged, &mut out, xz2::stream::Action::Finish);
        }
        _ => {
            let _ = bzip2::Decompress::new(false).decompress_vec(damaged, &mut out);
        }
    }
    out
}

/// A byte flipped mid-file in an xz or bzip2 file (bzip2 in blocks of 100 kB, so that the
/// damage is in a later block): every line the decoder gave before it found the damage is
/// read, as `xz -dc` gives them, and the warning names the last of them. The read that met
/// the damage lost them, up to 128 KiB of lines, and the warning named a line before them.
/// (Lines are counted as rows and rejects: the last ones decoded may be garbage.)
#[test]
fn a_corrupt_xz_or_bzip2_file_keeps_every_line_decoded_before_the_damage() {
    let dir = Scratch::new("corrupt-xz-bz2");
    let (_, data) = generated(&dir, 6000, 75);
    let mut xz = xz2::write::XzEncoder::new(Vec::new(), 6);
    xz.write_all(&data).unwrap();
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    bz.write_all(&data).unwrap();
    for (ext, mut file) in [("xz", xz.finish().unwrap()), ("bz2", bz.finish().unwrap())] {
        let middle = file.len() / 2;
        file[middle] ^= 0xff;
        let decoded = decoded_before_error(ext, &file);
        assert!(
            decoded.len() < data.len(),
            "{ext}: the decoder finds the damage"
        );
        let lines_before = decoded.iter().filter(|b| **b == b'\n').count() as u64;
        assert!(lines_before > 1000, "{ext}: {lines_before}");
        let path = dir.write(&format!("access.log.{ext}"), &file);
        let sql = "SELECT (SELECT count(*) FROM logs) + (SELECT count(*) FROM logs_rejects)";
        let run = query_csv(&[&path], &["--format", "combined"], sql);
        assert_eq!(run.status, PARTIAL, "{ext}: {}", run.stderr);
        let cut = u64::from(!decoded.ends_with(b"\n"));
        assert_eq!(count_of(&run), lines_before + cut, "{ext}: {}", run.stderr);
        let warning = format!("damaged after line {lines_before} (");
        assert!(run.stderr.contains(&warning), "{ext}: {}", run.stderr);
        // Found inside a block whose check comes at its end: the lines before are suspect.
        let suspect = "inside a block); the lines read before it may be damaged too";
        assert!(run.stderr.contains(suspect), "{ext}: {}", run.stderr);
    }
}

#[test]
fn a_damaged_archive_among_good_files_costs_only_its_own_tail() {
    let dir = Scratch::new("damaged-among-good");
    // Big enough for several zstd blocks (128 KiB each): half of it decodes.
    let (plain, data) = generated(&dir, 3000, 73);
    let zst = zstd::encode_all(&data[..], 3).unwrap();
    let cut = dir.write("old.log.zst", &zst[..zst.len() / 2]);
    let decoded =
        decodable_prefix(zstd::stream::read::Decoder::new(&zst[..zst.len() / 2]).unwrap());
    let whole = &decoded[..decoded.iter().rposition(|b| *b == b'\n').unwrap() + 1];
    let run = query_csv(&[&plain, &cut], &[], "SELECT count(*) FROM logs");
    assert_eq!(run.status, PARTIAL, "{}", run.stderr);
    assert_eq!(
        count_of(&run),
        reference_rows(&data) + reference_rows(whole)
    );
    // Exporting over damaged input writes the partial answer and says so the same way.
    let out = dir.path("out.csv");
    let run = logsql(&[
        plain.to_str().unwrap(),
        cut.to_str().unwrap(),
        "-e",
        "SELECT status FROM logs",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status, PARTIAL, "{}", run.stderr);
    assert!(
        run.stderr.contains("old.log.zst: compressed data damaged"),
        "{}",
        run.stderr
    );
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        written.lines().count() as u64 - 1,
        reference_rows(&data) + reference_rows(whole)
    );
}

/// The codecs logsql reads, each with an encoder.
type Encode = fn(&[u8]) -> Vec<u8>;
const CODECS: [(&str, Encode); 4] = [
    ("gz", |data| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }),
    ("zst", |data| zstd::encode_all(data, 3).unwrap()),
    ("xz", |data| {
        let mut e = xz2::write::XzEncoder::new(Vec::new(), 6);
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }),
    ("bz2", |data| {
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }),
];

/// Two complete members (gzip members, zstd frames, xz or bzip2 streams), the last line of
/// the second without a newline, then padding or junk. Every line of the members is read,
/// the last one a row like the others (not "cut off by damage": the data ended cleanly
/// after it). Zero bytes are padding, as `tar` and `dd` leave: no warning, exit 0, as with
/// `gzip -d`. Other bytes are one warning saying they were ignored and every line before them
/// was read, but not that none was lost, and exit status 3: they cannot be told from a member
/// whose header is damaged.
#[test]
fn bytes_after_the_last_complete_member_cut_no_line() {
    let dir = Scratch::new("after-last-member");
    let options = GenOptions {
        lines: 400,
        seed: 81,
        no_final_newline: true,
        ..Default::default()
    };
    let data = std::fs::read(dir.generated("access.log", &options).0).unwrap();
    let lines = data.split(|b| *b == b'\n').count() as u64;
    let last = data.split(|b| *b == b'\n').next_back().unwrap();
    assert!(
        Reference::new(true).parse(last).is_some(),
        "the last line is a row"
    );
    let rows = reference_rows(&data);
    let half = data.iter().position(|b| *b == b'\n').unwrap() + 1 + data.len() / 2;
    let half = half + data[half..].iter().position(|b| *b == b'\n').unwrap() + 1;
    for (ext, encode) in CODECS {
        let mut members = encode(&data[..half]);
        members.extend(encode(&data[half..]));
        for (tail, junk) in [
            (&[0u8; 512][..], false),
            (&[0u8; 3][..], false),
            (b"junk", true),
            (b"\0\0\0\0GET / HTTP/1.1\n", true),
        ] {
            let name = format!("access.log.{ext}");
            let mut file = members.clone();
            file.extend_from_slice(tail);
            let path = dir.write(&name, &file);
            let shown = tail[..tail.len().min(16)].escape_ascii();
            let case = format!("{name} + {} bytes ({shown})", tail.len());
            let sql = "SELECT count(*) FROM logs";
            let count = query_csv(&[&path], &[], sql);
            let rejects = query_csv(&[&path], &[], "SELECT count(*) FROM logs_rejects");
            let cut = query_csv(
                &[&path],
                &[],
                "SELECT count(*) FROM logs_rejects WHERE reason LIKE '%cut off%'",
            );
            let last = query_csv(
                &[&path],
                &[],
                &format!("SELECT count(*) FROM logs WHERE _line = {lines}"),
            );
            for run in [&count, &rejects, &cut, &last] {
                assert_no_panic(run);
                let warnings: Vec<&str> = run
                    .stderr
                    .lines()
                    .filter(|l| l.starts_with("logsql: warning: "))
                    .collect();
                if junk {
                    assert_eq!(run.status, PARTIAL, "{case}: {}", run.stderr);
                    assert_eq!(warnings.len(), 1, "{case}: {}", run.stderr);
                    let want = format!(
                        "logsql: warning: {}: the {} bytes after its last complete ",
                        path.display(),
                        tail.len()
                    );
                    assert!(warnings[0].starts_with(&want), "{case}: {}", run.stderr);
                    assert!(
                        warnings[0].contains("are not compressed data and were ignored")
                            && warnings[0].ends_with(&format!(
                                "all {lines} lines before them were read; if those bytes \
                                 were a damaged member, its lines are missing"
                            )),
                        "{case}: {}",
                        run.stderr
                    );
                } else {
                    assert_eq!(run.status, 0, "{case}: {}", run.stderr);
                    assert_eq!(warnings, [] as [&str; 0], "{case}: {}", run.stderr);
                }
            }
            assert_eq!(count_of(&count), rows, "{case}");
            assert_eq!(count_of(&rejects), lines - rows, "{case}");
            assert_eq!(count_of(&cut), 0, "{case}");
            assert_eq!(count_of(&last), 1, "{case}: the last line is a row");
        }
    }
    // Piped in, the same.
    let (_, encode) = CODECS[0];
    let mut file = encode(&data);
    file.extend_from_slice(b"junk");
    let sql = "SELECT count(*) FROM logs";
    let run = logsql_piped(&["-", "--out-format", "csv", "-e", sql], &[], &file);
    assert_eq!(run.status, PARTIAL, "{}", run.stderr);
    assert_eq!(count_of(&run), rows);
    assert!(
        run.stderr.starts_with(
            "logsql: warning: <stdin>: the 4 bytes after its last complete gzip member"
        ),
        "{}",
        run.stderr
    );
}

/// The damage is in the second member: the first is read whole, the second up to the
/// damage, and the line the damage cut is a reject, as in a file of one member.
#[test]
fn damage_in_a_later_member_is_damage() {
    let dir = Scratch::new("damaged-second-member");
    let (_, data) = generated(&dir, 3000, 82);
    let half = data.len() / 2;
    let half = half + data[half..].iter().position(|b| *b == b'\n').unwrap() + 1;
    for (ext, encode) in CODECS {
        if ext == "bz2" {
            continue; // one 900 KB block: a cut bzip2 stream decodes to nothing
        }
        let first = encode(&data[..half]);
        let second = encode(&data[half..]);
        let mut file = first.clone();
        file.extend_from_slice(&second[..second.len() * 2 / 3]);
        let decoded = match ext {
            "gz" => decodable_prefix(flate2::read::MultiGzDecoder::new(&file[..])),
            "zst" => decodable_prefix(zstd::stream::read::Decoder::new(&file[..]).unwrap()),
            _ => decodable_prefix(xz2::read::XzDecoder::new_multi_decoder(&file[..])),
        };
        assert!(
            decoded.len() > half,
            "{ext}: the first member decodes whole"
        );
        check_damaged_archive(&format!("access.log.{ext}"), &file, &decoded);
    }
}

#[test]
fn an_unreadable_file_is_a_one_line_error() {
    // Reading /proc/self/mem at offset 0 fails with EIO even for root: a file that opens but
    // cannot be read, like a failing disk.
    if Path::new("/proc/self/mem").exists() {
        let run = logsql(&["/proc/self/mem", "-e", "SELECT count(*) FROM logs"]);
        assert_one_line_error(&run, "/proc/self/mem: Input/output error");
    }
    let dir = Scratch::new("unreadable");
    let (log, _) = generated(&dir, 10, 74);
    set_mode(&log, 0o000);
    if std::fs::read(&log).is_ok() {
        eprintln!(
            "note: running as root, chmod 000 does not deny reading; permission case skipped"
        );
    } else {
        let run = logsql(&[log.to_str().unwrap(), "-e", "SELECT count(*) FROM logs"]);
        assert_one_line_error(&run, "Permission denied");
    }
    set_mode(&log, 0o644);
}

/// A tar archive of one file, as `tar cf` writes it: a 512-byte header (`ustar` at offset
/// 257), the content padded to 512 bytes, and two zero blocks.
fn tar_of(name: &str, content: &[u8]) -> Vec<u8> {
    let mut header = [0u8; 512];
    header[..name.len()].copy_from_slice(name.as_bytes());
    header[100..107].copy_from_slice(b"0000644");
    header[124..135].copy_from_slice(format!("{:011o}", content.len()).as_bytes());
    header[156] = b'0';
    header[257..265].copy_from_slice(b"ustar\x0000");
    header[148..156].fill(b' ');
    let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
    header[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    let mut tar = header.to_vec();
    tar.extend_from_slice(content);
    tar.resize(tar.len().next_multiple_of(512) + 1024, 0);
    tar
}

/// lz4 and lzma files and tar archives (plain or compressed) are one-line errors that name the
/// file, what it is and how to read it, not a bogus row of binary header bytes, named or
/// piped in (a walk or glob leaves them out: see the next test).
#[test]
fn lz4_lzma_and_tar_files_are_one_line_errors() {
    let dir = Scratch::new("unsupported");
    let (_, data) = generated(&dir, 50, 76);
    // An lz4 frame (magic, descriptor, one block stored as is) and an lzma header.
    let mut lz4 = vec![0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82];
    lz4.extend_from_slice(&(data.len() as u32 | 1 << 31).to_le_bytes());
    lz4.extend_from_slice(&data);
    lz4.extend_from_slice(&[0; 4]);
    let mut lzma = vec![0x5d, 0x00, 0x00, 0x80, 0x00];
    lzma.extend_from_slice(&[0xff; 8]);
    lzma.extend_from_slice(&data[..100]);
    let tar = tar_of("access.log", &data);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).unwrap();
    let cases = [
        (
            "access.log.lz4",
            lz4.clone(),
            "lz4-compressed; logsql reads gzip, zstd, bzip2 and xz",
        ),
        (
            "access.log.lzma",
            lzma,
            "lzma-compressed; logsql reads gzip, zstd, bzip2 and xz",
        ),
        ("logs.tar", tar, "is a tar archive: extract it first"),
        (
            "logs.tar.gz",
            gz.finish().unwrap(),
            "is a tar archive: extract it first",
        ),
    ];
    let sql = "SELECT count(*) FROM logs";
    for (name, bytes, what) in cases {
        let path = dir.write(name, &bytes);
        let run = logsql(&[path.to_str().unwrap(), "-e", sql]);
        assert_one_line_error(&run, &format!("{}: {what}", path.display()));
    }
    let run = logsql_piped(&["-", "-e", sql], &[], &lz4);
    assert_one_line_error(&run, "<stdin>: lz4-compressed");
}

/// A tar of old logs (or an lz4 file) that a directory walk or a glob finds beside the logs
/// is left out with a warning naming it, and the query runs over the rest, exit status 0;
/// in `read_log` too. A directory or glob with nothing else is the error it was.
#[test]
fn a_file_logsql_does_not_read_is_left_out_of_a_walk() {
    let dir = Scratch::new("left-out");
    let (log, data) = generated(&dir, 50, 77);
    let walked = dir.path("walked");
    std::fs::create_dir_all(&walked).unwrap();
    std::fs::copy(&log, walked.join("access.log")).unwrap();
    let tar = tar_of("access.log.1", &data);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).unwrap();
    let old = dir.write("walked/old.tar.gz", &gz.finish().unwrap());
    let sql = "SELECT count(*) FROM logs";
    let warning = format!(
        "logsql: warning: {}: is a tar archive: extract it first",
        old.display()
    );
    let glob = walked.join("*");
    for arg in [&walked, &glob] {
        let run = query_csv(&[arg], &[], sql);
        run.ok();
        assert_eq!(count_of(&run), reference_rows(&data));
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{}", run.stderr);
        assert!(lines[0].starts_with(&warning), "{}", run.stderr);
        assert!(lines[0].ends_with("; left out"), "{}", run.stderr);
    }
    let read_log = format!("SELECT count(*) FROM read_log('{}')", walked.display());
    let run = query_csv(&[&log], &[], &read_log);
    run.ok();
    assert_eq!(count_of(&run), reference_rows(&data));
    assert!(run.stderr.contains(&warning), "{}", run.stderr);
    assert!(
        run.stderr.contains("; left out by read_log("),
        "{}",
        run.stderr
    );
    // --include leaves it out without a word; named, it is an error.
    let only_logs = query_csv(&[&walked], &["--include", "*.log"], sql);
    assert_eq!(count_of(&only_logs), reference_rows(&data));
    assert_eq!(only_logs.stderr, "");
    let run = logsql(&[old.to_str().unwrap(), "-e", sql]);
    assert_one_line_error(&run, "old.tar.gz: is a tar archive");
    std::fs::remove_file(walked.join("access.log")).unwrap();
    let run = logsql(&[walked.to_str().unwrap(), "-e", sql]);
    assert_one_line_error(
        &run,
        "walked: no log files in this directory that logsql reads",
    );
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_directory_where_a_file_is_expected() {
    let dir = Scratch::new("dir-as-file");
    let (log, _) = generated(&dir, 10, 75);
    let sub = dir.path("sub");
    std::fs::create_dir(&sub).unwrap();
    let (log, sub) = (log.to_str().unwrap(), sub.to_str().unwrap());
    assert_one_line_error(&logsql(&[log, "-f", sub]), "is not a file");
    assert_one_line_error(
        &logsql(&[log, "-e", "SELECT 1", "-o", sub, "--out-format", "csv"]),
        "is a directory",
    );
    assert_one_line_error(&logsql(&[sub, "-e", "SELECT 1"]), "no log files");
}

/// Runs `logsql` on `log` and calls `fault` once it has had `delay` to start reading.
fn run_with_fault(log: &Path, sql: &str, delay: Duration, fault: impl FnOnce()) -> Run {
    let child = Command::new(env!("CARGO_BIN_EXE_logsql"))
        .args([
            log.to_str().unwrap(),
            "--format",
            "combined",
            "--out-format",
            "csv",
            "-e",
            sql,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    fault();
    let out = child.wait_with_output().unwrap();
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn a_file_truncated_during_the_query_is_an_error_or_a_correct_answer() {
    let dir = Scratch::new("truncated-live");
    let (log, data) = generated(&dir, 300_000, 76);
    let full = reference_rows(&data);
    let half = data.len() as u64 / 2;
    let half_rows = reference_rows(&data[..half as usize]);
    let sql = "SELECT count(*), count(DISTINCT request) FROM logs";
    let mut outcomes = Vec::new();
    for delay_ms in [20, 150, 400] {
        std::fs::write(&log, &data).unwrap();
        let run = run_with_fault(&log, sql, Duration::from_millis(delay_ms), || {
            let f = std::fs::OpenOptions::new().write(true).open(&log).unwrap();
            f.set_len(half).unwrap();
        });
        assert_no_panic(&run);
        match run.status {
            0 => {
                let n = count_of(&run);
                assert!(
                    n == full || n == half_rows,
                    "{n} is neither {full} nor {half_rows}"
                );
                outcomes.push(format!("{delay_ms} ms: answer {n}"));
            }
            _ => {
                assert_one_line_error(&run, "the file shrank from");
                outcomes.push(format!("{delay_ms} ms: error"));
            }
        }
    }
    eprintln!("truncation outcomes: {outcomes:?}");
}

#[test]
fn a_file_deleted_during_the_query_is_an_error_or_a_correct_answer() {
    let dir = Scratch::new("deleted-live");
    let (log, data) = generated(&dir, 200_000, 77);
    let full = reference_rows(&data);
    let run = run_with_fault(
        &log,
        "SELECT count(*), count(DISTINCT request) FROM logs",
        Duration::from_millis(100),
        || std::fs::remove_file(&log).unwrap(),
    );
    assert_no_panic(&run);
    match run.status {
        // Open descriptors keep reading the deleted file's data.
        0 => assert_eq!(count_of(&run), full),
        _ => assert_one_line_error(&run, "No such file"),
    }
}

/// A 6 MB line (first, so that format detection reads past it) is a row; a 20 MB one, past
/// the 8 MiB a line may hold, and a 12 MB run of NULs a crash left are rejects that say why,
/// keep their first 4 KiB, and leave the lines around them intact.
#[test]
fn a_6_mb_line_is_a_row_and_a_20_mb_line_a_reject() {
    let dir = Scratch::new("huge-line");
    let (_, data) = generated(&dir, 50, 78);
    let line = |uri_len: usize| {
        let uri = format!("/{}", "a".repeat(uri_len));
        format!(
            "203.0.113.1 - - [10/Oct/2000:13:55:36 -0700] \"GET {uri} HTTP/1.1\" 200 5 \"-\" \"curl\"\n"
        )
    };
    let mut content = line(6 << 20).into_bytes();
    content.extend_from_slice(&data);
    let huge = line(20 << 20);
    content.extend_from_slice(huge.as_bytes());
    content.extend_from_slice(&vec![0u8; 12 << 20]);
    content.extend_from_slice(b"\n");
    content.extend_from_slice(&data);
    let log = dir.write("huge.log", &content);
    let rows = 2 * reference_rows(&data) + 1;
    let run = query_csv(
        &[&log],
        &[],
        "SELECT count(*), max(length(uri)), sum(CASE WHEN length(uri) > 1000 THEN 1 ELSE 0 END) FROM logs",
    );
    assert_no_panic(&run);
    let uri_len = (6 << 20) + 1;
    assert_eq!(
        run.csv_rows(),
        [[rows.to_string(), uri_len.to_string(), "1".to_string()]]
    );
    let skipped = 2 + 2 * (50 - reference_rows(&data));
    assert!(
        run.stderr.contains(&format!("skipped {skipped} lines")),
        "{}",
        run.stderr
    );
    let rejects = query_csv(
        &[&log],
        &[],
        "SELECT line_number, length(line), starts_with(line, '203.0.113.1 - -'), reason \
         FROM logs_rejects WHERE reason LIKE 'line of %' ORDER BY 1",
    );
    let limit = |bytes: usize| {
        format!("line of {bytes} bytes, over the 8 MiB limit: only its start is kept")
    };
    assert_eq!(
        rejects.csv_rows(),
        [
            ["52", "4096", "true", &limit(huge.len() - 1)],
            ["53", "4096", "false", &limit(12 << 20)],
        ]
    );
    // `_line` counts the cut lines: the rows after them keep their numbers.
    let after = query_csv(
        &[&log],
        &[],
        "SELECT count(*), max(_line) FROM logs WHERE _line > 53",
    );
    let last = 53
        + data
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count();
    assert_eq!(
        after.csv_rows(),
        [[reference_rows(&data).to_string(), last.to_string()]]
    );
}

/// A file that starts with a line too long to hold (9 MiB of NULs a crash left) is detected
/// from the lines after it, alone or among other logs in a directory, without a warning.
#[test]
fn a_first_line_too_long_to_hold_does_not_hide_the_format() {
    let dir = Scratch::new("long-first-line");
    let (log, data) = generated(&dir, 100, 81);
    let mut content = vec![0u8; 9 << 20];
    content.push(b'\n');
    content.extend_from_slice(&data);
    std::fs::create_dir(dir.path("logs")).unwrap();
    let crashed = dir.write("logs/crashed.log", &content);
    std::fs::copy(&log, dir.path("logs/access.log")).unwrap();
    let rows = reference_rows(&data);
    for (path, want) in [(crashed, rows), (dir.path("logs"), 2 * rows)] {
        let run = query_csv(&[&path], &[], "SELECT count(*) FROM logs");
        assert_eq!(count_of(&run), want, "{}", run.stderr);
        assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    }
}

#[test]
fn nul_bytes_and_invalid_utf8_are_rows_or_rejects() {
    let dir = Scratch::new("nul-utf8");
    let (_, data) = generated(&dir, 200, 79);
    let mut content = Vec::new();
    // A crashed writer leaves a block of NULs; the next record follows it on the same "line".
    content.extend_from_slice(&[0u8; 4096]);
    content.extend_from_slice(&data);
    content.extend_from_slice(
        b"198.51.100.7 - - [10/Oct/2000:13:55:36 -0700] \"GET /caf\xe9\x00 HTTP/1.1\" 200 5 \"-\" \"bad \xff\xfe utf8\"\n",
    );
    content.extend_from_slice(b"\x00\x00\x00\n\xff\xfe\xfd\n");
    let log = dir.write("odd.log", &content);
    // Invalid UTF-8 becomes U+FFFD, NUL stays NUL (a command line cannot carry it: length).
    let run = query_csv(
        &[&log],
        &[],
        "SELECT starts_with(uri, '/caf\u{FFFD}'), length(uri), ascii(substr(uri, 6)), user_agent \
         FROM logs WHERE client = '198.51.100.7'",
    );
    assert_no_panic(&run);
    assert_eq!(
        run.csv_rows(),
        [["true", "6", "0", "bad \u{FFFD}\u{FFFD} utf8"]]
    );
    let total = query_csv(&[&log], &[], "SELECT count(*) FROM logs");
    assert_eq!(count_of(&total), reference_rows(&content));
    // The two junk lines after the last record are rejects; every line is one or the other.
    let rejects = query_csv(
        &[&log],
        &[],
        "SELECT line_number FROM logs_rejects WHERE line_number > 201 ORDER BY 1",
    );
    assert_eq!(rejects.csv_rows(), [["202"], ["203"]]);
    let rejected = query_csv(&[&log], &[], "SELECT count(*) FROM logs_rejects");
    assert_eq!(count_of(&rejected) + count_of(&total), 203);
}

#[test]
fn an_empty_file_is_an_empty_table() {
    let dir = Scratch::new("empty");
    let log = dir.write("empty.log", b"");
    for sql in [
        "SELECT count(*) FROM logs",
        "SELECT count(*) FROM logs_rejects",
    ] {
        let run = query_csv(&[&log], &[], sql);
        assert_no_panic(&run);
        assert_eq!(run.csv_rows(), [["0"]]);
        assert_eq!(run.stderr, "");
    }
}

#[test]
fn a_file_of_only_rejects() {
    let dir = Scratch::new("only-rejects");
    let junk: String = (0..500)
        .map(|i| format!("junk line {i} [not a log]\n"))
        .collect();
    let log = dir.write("junk.log", junk.as_bytes());
    // Detection has nothing to go on: a clear error.
    let run = query_csv(&[&log], &[], "SELECT count(*) FROM logs");
    assert_one_line_error(&run, "no known log format");
    // With the format named: no rows, every line a reject, and stderr says so.
    let run = query_csv(
        &[&log],
        &["--format", "combined"],
        "SELECT count(*) FROM logs",
    );
    assert_eq!(run.csv_rows(), [["0"]]);
    assert!(run.stderr.contains("skipped 500 lines"), "{}", run.stderr);
    let run = query_csv(
        &[&log],
        &["--format", "combined"],
        "SELECT count(*), count(DISTINCT line) FROM logs_rejects",
    );
    assert_eq!(run.csv_rows(), [["500", "500"]]);
}

#[test]
fn a_full_disk_is_a_one_line_error() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipping: no /dev/full");
        return;
    }
    let dir = Scratch::new("disk-full");
    let (log, _) = generated(&dir, 2000, 80);
    let log = log.to_str().unwrap();
    for format in ["csv", "parquet"] {
        let run = logsql(&[
            log,
            "-e",
            "SELECT * FROM logs",
            "-o",
            "/dev/full",
            "--out-format",
            format,
        ]);
        assert_one_line_error(&run, "No space left on device");
    }
    // Results printed to a full stdout.
    let out = Command::new(env!("CARGO_BIN_EXE_logsql"))
        .args([log, "-e", "SELECT * FROM logs"])
        .stdout(std::fs::File::create("/dev/full").unwrap())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let run = Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_one_line_error(&run, "No space left on device");
}
