//! The checks behind logsql's fuzz targets, shared with the regression tests.
//!
//! Each `check_*` function takes arbitrary bytes, runs them through one piece of logsql and
//! asserts its invariants (a failed assertion or a panic is a finding). The fuzz targets in
//! `fuzz_targets/` are one-line wrappers; `tests/integration/regressions.rs` includes this file
//! with `#[path]` and replays every saved input of `tests/regressions/<target>/` through the
//! same function, so a fixed crash stays fixed under a plain `cargo test`.
//!
//! Only crates that logsql itself depends on are used here, so the file compiles in both places.

use std::io::{self, Cursor, Read, Seek, SeekFrom, Write};
use std::sync::{Arc, OnceLock};

use datafusion::execution::TaskContext;
use datafusion::physical_plan::{collect, ExecutionPlan};
use datafusion::prelude::{SessionConfig, SessionContext};
use logsql::parse::escape::unescape_into;
use logsql::parse::request::split_request;
use logsql::parse::timestamp::{parse_clf_time, parse_offset, ClfTimeCache};
use logsql::parse::{parse_access_line, AccessFlavor, AccessRecord, Field};
use logsql::parse::{AccessParser, ColumnSpec, LineParser, Parsed, Record};
use logsql::source::{LineReader, LogFile};
use logsql::table::batch::BatchBuilder;
use logsql::{FormatChoice, FormatRegistry, LogTable};

/// The fuzz targets, by name: the name of the target and of its regression directory.
pub const TARGETS: [&str; 7] = [
    "access_common",
    "access_combined",
    "clf_time",
    "unescape",
    "request_split",
    "line_reader",
    "scan",
];

/// Runs the check of target `name` on `data`.
pub fn check(name: &str, data: &[u8]) {
    match name {
        "access_common" => check_access(AccessFlavor::Common, data),
        "access_combined" => check_access(AccessFlavor::Combined, data),
        "clf_time" => check_clf_time(data),
        "unescape" => check_unescape(data),
        "request_split" => check_request_split(data),
        "line_reader" => check_line_reader(data),
        "scan" => check_scan(data),
        "formats" => check_formats(data),
        other => panic!("unknown fuzz target {other}"),
    }
}

/// Every format's parser on the same lines, in order (so W3C directives and JSON keys carry
/// from line to line): each line is a row, a directive or a reject, a row builds into a batch
/// of every column, and parsing a line again from a fresh parser after the same history gives
/// the same answer.
pub fn check_formats(data: &[u8]) {
    let lines: Vec<&[u8]> = data.split(|b| *b == b'\n').take(64).collect();
    for format in fuzz_formats(&lines) {
        let mut columns = format.columns().to_vec();
        columns.extend(ColumnSpec::hidden());
        let (mut a, mut b) = (format.parser(), format.parser());
        let (mut rec_a, mut rec_b) = (Record::default(), Record::default());
        let mut builder = BatchBuilder::new(&columns, 64);
        for line in &lines {
            let first = a.parse(line, &mut rec_a);
            assert_eq!(
                b.parse(line, &mut rec_b),
                first,
                "{}: same history, same answer",
                format.name()
            );
            if first == Ok(Parsed::Row) {
                builder.append(line, &rec_a, "fuzz", 1);
            }
        }
        builder.finish().expect("parsed rows build a batch");
    }
}

/// The built-in formats settled on the input (JSON keys, W3C fields from its lines), and
/// format strings of each kind.
fn fuzz_formats(lines: &[&[u8]]) -> Vec<logsql::Format> {
    let mut formats: Vec<logsql::Format> = FormatRegistry::builtin()
        .formats()
        .filter_map(|f| f.settle(lines).ok())
        .collect();
    for def in [
        r#"apache:%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D %{%Y-%m-%d %H:%M:%S}t"#,
        r#"nginx:$remote_addr [$time_iso8601] "$request" $status $request_time $upstream_response_time $msec"#,
        r#"regex:^(?P<ts>\S+) (?P<status>\d+) (?P<request>[^|]*)\|(?P<took__float>.*)$"#,
    ] {
        formats.push(logsql::Format::adhoc(def).expect("a valid definition"));
    }
    formats
}

/// One line through the access parser: a reject, or a row whose spans are in order and inside
/// the line, whose values agree with its text, and which builds into an Arrow batch. Parsing
/// does not depend on what the reused record parsed before.
pub fn check_access(flavor: AccessFlavor, line: &[u8]) {
    let mut fresh = AccessRecord::default();
    let first = parse_access_line(flavor, line, &mut fresh);
    // Same record again (the timestamp cache is warm now): same answer.
    let mut warm = fresh.clone();
    assert_eq!(parse_access_line(flavor, line, &mut warm), first);
    if first.is_err() {
        return;
    }
    assert_eq!(
        (warm.ts_nanos, warm.status, warm.bytes),
        (fresh.ts_nanos, fresh.status, fresh.bytes)
    );
    let fields: &[Field] = match flavor {
        AccessFlavor::Common => &[
            Field::Client,
            Field::Ident,
            Field::User,
            Field::Time,
            Field::Request,
            Field::Status,
            Field::Bytes,
        ],
        AccessFlavor::Combined => &[
            Field::Client,
            Field::Ident,
            Field::User,
            Field::Time,
            Field::Request,
            Field::Status,
            Field::Bytes,
            Field::Referer,
            Field::UserAgent,
        ],
    };
    let mut previous_end = 0;
    for &field in fields {
        let (a, b) = fresh.span(field);
        assert!(
            previous_end <= a && a <= b && b <= line.len(),
            "{field:?} span {a}..{b}"
        );
        assert_eq!(warm.span(field), (a, b));
        previous_end = b;
    }
    assert!(fresh.span(Field::Client).1 > 0, "empty client accepted");
    let time = fresh.raw(line, Field::Time);
    assert_eq!(parse_clf_time(time), Some(fresh.ts_nanos));
    let text = |f| std::str::from_utf8(fresh.raw(line, f)).ok();
    assert_eq!(
        fresh.status,
        text(Field::Status).and_then(|s| s.parse().ok())
    );
    assert_eq!(fresh.bytes, text(Field::Bytes).and_then(|s| s.parse().ok()));
    // The generic record the table layer builds from holds the same values.
    let mut record = Record::default();
    AccessParser::new(flavor)
        .parse(line, &mut record)
        .expect("the generic access parser accepts what the line parser accepts");
    let mut columns = AccessParser::columns(flavor);
    columns.extend(ColumnSpec::hidden());
    let mut builder = BatchBuilder::new(&columns, 1);
    builder.append(line, &record, "fuzz", 1);
    let batch = builder.finish().expect("a parsed line builds a batch");
    assert_eq!(batch.num_rows(), 1);
}

/// Timestamps, 26 bytes at a time: the cached parser agrees with the plain one on every
/// sequence, and an accepted timestamp is a real, in-range instant.
pub fn check_clf_time(data: &[u8]) {
    let mut cache = ClfTimeCache::default();
    for chunk in data.chunks(26) {
        let plain = parse_clf_time(chunk);
        assert_eq!(
            cache.parse(chunk),
            plain,
            "{:?}",
            String::from_utf8_lossy(chunk)
        );
        if let Some(nanos) = plain {
            // The instant plus the line's offset is the local time of day that was written.
            assert_eq!(nanos % 1_000_000_000, 0);
            let offset = parse_offset(&chunk[21..26]).expect("an accepted offset");
            let digits = |a: usize| i64::from((chunk[a] - b'0') * 10 + (chunk[a + 1] - b'0'));
            let written = digits(12) * 3600 + digits(15) * 60 + digits(18);
            assert_eq!(
                (nanos / 1_000_000_000 + offset).rem_euclid(86_400),
                written % 86_400
            );
        }
    }
}

/// Escaping as Apache does, for the round trip below.
fn escape(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for &b in bytes {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b' '..=b'~' => out.push(b),
            _ => out.extend_from_slice(format!("\\x{b:02X}").as_bytes()),
        }
    }
    out
}

/// Unescaping never grows the text, leaves text without backslashes alone, and undoes
/// Apache's escaping exactly.
pub fn check_unescape(data: &[u8]) {
    let mut out = Vec::new();
    unescape_into(data, &mut out);
    assert!(out.len() <= data.len());
    if !data.contains(&b'\\') {
        assert_eq!(out, data);
    }
    let mut back = Vec::new();
    unescape_into(&escape(data), &mut back);
    assert_eq!(back, data);
}

/// A split request line has its parts in order, inside the line, of the promised shape.
pub fn check_request_split(req: &[u8]) {
    let Some(p) = split_request(req) else {
        return;
    };
    let (m0, m1) = p.method;
    let (u0, u1) = p.uri;
    assert!(m0 == 0 && m0 < m1 && m1 < u0 && u0 < u1 && u1 <= req.len());
    assert!(u0 <= p.path_end && p.path_end <= u1);
    assert_eq!(req[m1], b' ');
    assert!(req[m0..m1]
        .iter()
        .all(|b| b.is_ascii_uppercase() || *b == b'-' || *b == b'_'));
    if p.has_query {
        assert_eq!(req[p.path_end], b'?');
    } else {
        assert_eq!(p.path_end, u1);
    }
    match p.protocol {
        Some((a, b)) => {
            assert!(a == u1 + 1 && b == req.len() && req[u1] == b' ');
            assert!(req[a..b].starts_with(b"HTTP/"));
        }
        None => {
            assert_eq!(u1, req.len());
            assert!(!req[u0..u1].contains(&b' '));
        }
    }
}

/// A reader that hands out bytes in the sizes a schedule says, with `Interrupted` errors
/// thrown in: what pipes, sockets and decoders do.
struct Chunked<'a> {
    inner: Cursor<&'a [u8]>,
    schedule: &'a [u8],
    step: usize,
    /// The last read was interrupted (the next one is not: retrying must make progress).
    interrupted: bool,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let s = self
            .schedule
            .get(self.step % self.schedule.len().max(1))
            .copied();
        self.step += 1;
        let interrupt = s == Some(0) && !self.interrupted;
        self.interrupted = interrupt;
        match s {
            _ if interrupt => Err(io::ErrorKind::Interrupted.into()),
            Some(n) => {
                let n = usize::from(n).max(1).min(buf.len());
                self.inner.read(&mut buf[..n])
            }
            None => self.inner.read(buf),
        }
    }
}

impl Seek for Chunked<'_> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// The lines of `data` as the README defines them: split at `\n`, one `\r` before it dropped,
/// a final line without `\n` still a line; with the offset where each starts.
pub fn reference_lines(data: &[u8]) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < data.len() {
        let end = data[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |i| start + i);
        let line = &data[start..end];
        out.push((
            start as u64,
            line.strip_suffix(b"\r").unwrap_or(line).to_vec(),
        ));
        start = end + 1;
    }
    out
}

fn read_all<R: Read>(mut reader: LineReader<R>) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    while let Some(line) = reader.next_line().expect("no I/O error") {
        out.push((line.start, line.bytes.to_vec()));
    }
    out
}

/// `[schedule length, cut1, cut2, schedule..., data...]`: the line reader over any chunking
/// yields exactly the reference lines, and three ranges cut anywhere yield them once each.
pub fn check_line_reader(input: &[u8]) {
    let [n, c1, c2, rest @ ..] = input else {
        return;
    };
    let (schedule, data) = rest.split_at((*n as usize % 16).min(rest.len()));
    let want = reference_lines(data);
    let chunked = |start| {
        let mut inner = Cursor::new(data);
        inner.set_position(start);
        Chunked {
            inner,
            schedule,
            step: 0,
            interrupted: false,
        }
    };
    assert_eq!(read_all(LineReader::new(chunked(0))), want);
    let len = data.len() as u64;
    let mut cuts = [u64::from(*c1) * len / 255, u64::from(*c2) * len / 255];
    cuts.sort();
    let mut got = Vec::new();
    for (start, end) in [(0, cuts[0]), (cuts[0], cuts[1]), (cuts[1], u64::MAX)] {
        let reader = LineReader::for_range(chunked(0), start, end).expect("seekable");
        got.extend(read_all(reader));
    }
    assert_eq!(got, want, "cuts {cuts:?}");
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .max_blocking_threads(4)
            .build()
            .expect("a tokio runtime")
    })
}

/// How the scan check writes its input.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Encoding {
    Plain,
    Gzip,
    Zstd,
    /// Compressed, then cut short: the damaged-archive case.
    GzipCut,
    ZstdCut,
    /// The bytes as given: garbage behind a gzip or zstd magic number reaches the decoders.
    Raw,
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("in memory");
    e.finish().expect("in memory")
}

/// `[mode, partitions, min split, batch size, data...]`: the whole scan path through
/// DataFusion. The mode picks the encoding (plain, compressed, compressed and cut, or raw), the
/// format (auto, combined, common) and the projection (all columns, or the visible ones, which
/// lets files split); the table is scanned over 1 to 16 partitions with small splits and
/// batches. Every line is a row or a
/// reject (rows + rejects = lines), the rows are the lines the parser accepts, the rejects
/// table lists the others, and nothing panics; damaged compressed data is reported, not fatal.
pub fn check_scan(input: &[u8]) {
    let [mode, partitions, split, batch, data @ ..] = input else {
        return;
    };
    let encoding = [
        Encoding::Plain,
        Encoding::Gzip,
        Encoding::Zstd,
        Encoding::GzipCut,
        Encoding::ZstdCut,
        Encoding::Raw,
    ][*mode as usize % 6];
    let choice = match (*mode / 6) % 3 {
        0 => FormatChoice::Auto,
        1 => FormatChoice::Fixed(builtin("combined")),
        _ => FormatChoice::Fixed(builtin("common")),
    };
    let partitions = 1 + *partitions as usize % 16;
    let min_split = 1 + u64::from(*split);
    let batch_size = 1 + *batch as usize % 64;

    let bytes = match encoding {
        Encoding::Plain | Encoding::Raw => data.to_vec(),
        Encoding::Gzip => gzip(data),
        Encoding::Zstd => zstd::encode_all(data, 1).expect("in memory"),
        Encoding::GzipCut | Encoding::ZstdCut => {
            let full = if encoding == Encoding::GzipCut {
                gzip(data)
            } else {
                zstd::encode_all(data, 1).expect("in memory")
            };
            let cut = usize::from(*batch) * full.len() / 256;
            full[..cut.max(4)].to_vec()
        }
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("fuzz.log");
    std::fs::write(&path, &bytes).expect("write the input");
    let file = LogFile::open(&path, "fuzz.log").expect("a readable file");
    // The lines we know are there, when the content is known.
    let known = matches!(encoding, Encoding::Plain | Encoding::Gzip | Encoding::Zstd)
        || (encoding == Encoding::Raw && file.compression.is_splittable());

    let table = match LogTable::from_files(vec![file], choice.clone()) {
        Ok(t) => t.with_min_split_bytes(min_split),
        // Detection may find no format, or (damaged input) fail to read a sample: an error,
        // not a panic, and only for undecidable input.
        Err(e) => {
            assert!(choice == FormatChoice::Auto, "{e}");
            return;
        }
    };
    let ctx = SessionContext::new_with_config(
        SessionConfig::new()
            .with_target_partitions(partitions)
            .with_batch_size(batch_size),
    );
    let task: Arc<TaskContext> = ctx.task_ctx();
    // All columns (with `_line`, which reads each file whole) or the visible ones (split).
    let visible: Vec<usize> = (0..table.format().columns().len()).collect();
    let projection = if (*mode / 18) % 2 == 1 {
        None
    } else {
        Some(visible.as_slice())
    };
    let plan: Arc<dyn ExecutionPlan> = Arc::new(
        table
            .scan_plan(projection, &[], None, partitions)
            .expect("a plan over a readable file"),
    );
    let batches = runtime()
        .block_on(collect(plan, task.clone()))
        .expect("a scan never fails on content");
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    let stats = table.stats();
    assert_eq!(
        rows as u64 + stats.rejected(),
        stats.lines(),
        "rows + rejects = lines"
    );

    let state = ctx.state();
    let rejects_plan = runtime()
        .block_on(datafusion::datasource::TableProvider::scan(
            &table.rejects_table(),
            &state,
            None,
            &[],
            None,
        ))
        .expect("a rejects plan");
    let rejects = runtime()
        .block_on(collect(rejects_plan, task))
        .expect("the rejects scan never fails on content");
    let rejected: usize = rejects.iter().map(|b| b.num_rows()).sum();
    assert_eq!(
        rejected as u64,
        stats.rejected(),
        "rejects table = rejects counted"
    );

    if matches!(encoding, Encoding::GzipCut | Encoding::ZstdCut) {
        // A cut archive is never taken for a whole one: that would be silent loss.
        assert_eq!(stats.damage().len(), 1, "the cut is reported once");
    }
    if known {
        let mut parser = table.format().parser();
        let mut rec = Record::default();
        let lines = reference_lines(data);
        let parsed = lines
            .iter()
            .filter(|(_, l)| parser.parse(l, &mut rec) == Ok(Parsed::Row))
            .count();
        assert_eq!(stats.lines(), lines.len() as u64, "every line read once");
        assert_eq!(rows, parsed, "the rows are the lines that parse");
        assert!(stats.damage().is_empty(), "{:?}", stats.damage());
    }
}

/// A built-in format by name.
fn builtin(name: &str) -> Arc<logsql::Format> {
    FormatRegistry::builtin()
        .get(name)
        .expect("a built-in format")
        .clone()
}
