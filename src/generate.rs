//! A generator of realistic access logs with known answers.
//!
//! It writes combined (or common) lines with the quirks real logs have (see `QUIRKS.md`):
//! IPv6 and DNS clients, e-mail users, half-hour zone offsets, out-of-order times, escaped
//! quotes, TLS handshakes, HTTP/0.9 requests, URIs with spaces, `-` and `""` fields, nginx's
//! extra X-Forwarded-For field, CRLF endings, non-UTF-8 bytes, and (optionally) bad lines. It
//! returns the [`Truth`] it wrote, computed from what it intended rather than by parsing, so
//! tests and benchmarks can check the engine's answers against it.
//!
//! Besides common and combined it writes the same traffic as other formats users have (see
//! [`GenFormat`]): combined with Apache's `%D`, nginx with `$request_time` and upstream times,
//! JSON lines, RFC 5424 syslog, and IIS-style W3C with a `#Fields` change mid-file.

use std::collections::BTreeMap;
use std::io::{self, Write};

/// The layouts the generator writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenFormat {
    Common,
    Combined,
    /// Combined plus `%D` (microseconds).
    ApacheTimed,
    /// nginx main-like with `$request_time` and `$upstream_response_time`.
    NginxTimed,
    /// nginx `escape=json`-style JSON lines (every value a string).
    Json,
    /// RFC 5424 syslog.
    Syslog,
    /// IIS W3C extended, with a `#Fields` change half way.
    W3c,
}

impl GenFormat {
    pub const ALL: [GenFormat; 7] = [
        GenFormat::Common,
        GenFormat::Combined,
        GenFormat::ApacheTimed,
        GenFormat::NginxTimed,
        GenFormat::Json,
        GenFormat::Syslog,
        GenFormat::W3c,
    ];

    pub fn name(self) -> &'static str {
        match self {
            GenFormat::Common => "common",
            GenFormat::Combined => "combined",
            GenFormat::ApacheTimed => "apache_timed",
            GenFormat::NginxTimed => "nginx_timed",
            GenFormat::Json => "json",
            GenFormat::Syslog => "syslog",
            GenFormat::W3c => "w3c",
        }
    }

    /// The `--format` that reads what this writes.
    pub fn format_spec(self) -> &'static str {
        match self {
            GenFormat::Common => "common",
            GenFormat::Combined => "combined",
            GenFormat::ApacheTimed => {
                r#"apache:%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D"#
            }
            GenFormat::NginxTimed => {
                r#"nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time"#
            }
            GenFormat::Json => "json",
            GenFormat::Syslog => "syslog",
            GenFormat::W3c => "w3c",
        }
    }

    /// Whether the layout is Apache/nginx text (quirky request lines and clients apply).
    fn is_access(self) -> bool {
        matches!(
            self,
            GenFormat::Common
                | GenFormat::Combined
                | GenFormat::ApacheTimed
                | GenFormat::NginxTimed
        )
    }
}

impl std::str::FromStr for GenFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GenFormat::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown generator format '{s}' (known: {})",
                    GenFormat::ALL.map(GenFormat::name).join(", ")
                )
            })
    }
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenOptions {
    pub lines: u64,
    pub seed: u64,
    pub format: GenFormat,
    /// Mix in bad lines (junk, impossible dates, truncated records, binary garbage).
    pub bad_lines: bool,
    /// Leave the final line without a newline.
    pub no_final_newline: bool,
    /// Access lines draw their client and user agent from this many visitors, a few far busier
    /// than the rest, as in real traffic. `None`: almost every line has a client of its own
    /// (the worst case for grouping by client) and one of a few user agents. Addresses are
    /// distinct for up to 2^24 visitors.
    pub visitors: Option<u64>,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            lines: 5000,
            seed: 42,
            format: GenFormat::Combined,
            bad_lines: true,
            no_final_newline: true,
            visitors: None,
        }
    }
}

/// Aggregates of what was written: the answers a correct engine must give.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Truth {
    pub lines: u64,
    pub rows: u64,
    pub rejects: u64,
    /// Rows per status.
    pub status: BTreeMap<i32, u64>,
    pub bytes_sum: i64,
    /// Rows whose bytes field is `-`.
    pub bytes_null: u64,
    /// Earliest and latest instants, UTC seconds since the epoch.
    pub min_ts: i64,
    pub max_ts: i64,
    /// Rows whose request line cannot be split (method is NULL).
    pub method_null: u64,
    /// Rows per path among status 404.
    pub not_found_paths: BTreeMap<String, u64>,
    /// Line numbers (1-based) of the bad lines.
    pub reject_lines: Vec<u64>,
    /// Sum of request durations in milliseconds (formats that log one; whole milliseconds).
    pub duration_ms_sum: i64,
    /// Rows whose duration exceeds 1000 ms.
    pub slow: u64,
    /// Rows per syslog severity name.
    pub severities: BTreeMap<String, u64>,
    /// Lines that are format directives (W3C `#` lines): neither rows nor rejects.
    pub directives: u64,
    /// Distinct clients among the rows, counted only when drawn from `GenOptions::visitors`.
    pub clients: u64,
}

/// Deterministic xorshift64* generator: the same seed gives the same log everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    /// True with probability `per_mille` / 1000.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
    /// One of `0..n`, low numbers far more often: `n * u^3` for uniform `u`, so visitor 0 is
    /// the busiest and the long tail is seen a few times each.
    fn skewed(&mut self, n: u64) -> u64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((n as f64 * u * u * u) as u64).min(n.saturating_sub(1))
    }
}

const START: i64 = 1_739_491_200; // 2025-02-14T00:00:00Z
const SPAN_SECS: i64 = 7 * 86_400;
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const OFFSETS: [i64; 6] = [0, 0, 3 * 3600 + 1800, -4 * 3600, 5 * 3600 + 2700, 3600];
const STATUSES: [(i32, u64); 10] = [
    (200, 700),
    (304, 80),
    (404, 80),
    (301, 30),
    (302, 20),
    (500, 20),
    (503, 10),
    (403, 20),
    (400, 20),
    (206, 20),
];
const PATHS: [&str; 16] = [
    "/",
    "/index.html",
    "/about",
    "/products/42",
    "/products/7",
    "/api/v1/items",
    "/static/app.js",
    "/static/style.css",
    "/images/logo.png",
    "/search",
    "/cart",
    "/wp-login.php",
    "/.env",
    "/admin/../../etc/passwd",
    "/caf%C3%A9/men%C3%BC",
    "/favicon.ico",
];
const USER_AGENTS: [&str; 9] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "curl/8.5.0",
    "python-requests/2.31.0",
    r#"Mozilla/5.0 \"quoted\" (evil; \\ backslash)"#,
    "-",
];
const REFERERS: [&str; 5] = [
    "-",
    "",
    "https://www.google.com/",
    "https://shop.example.com/cart",
    "http://example.com/a b",
];
const USERS: [&str; 4] = ["-", "-", "alice", "bob@example.com"];

/// Writes `opts.lines` lines to `out` and returns what a correct engine must answer.
pub fn generate(opts: &GenOptions, out: &mut impl Write) -> io::Result<Truth> {
    let mut rng = Rng(opts.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut truth = Truth {
        min_ts: i64::MAX,
        max_ts: i64::MIN,
        ..Truth::default()
    };
    let mut line = Vec::with_capacity(512);
    let mut seen_visitors = std::collections::HashSet::new();
    let status_total: u64 = STATUSES.iter().map(|(_, w)| w).sum();
    let fields_v1 = "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status sc-bytes time-taken";
    let fields_v2 = "#Fields: date time c-ip cs-method cs-uri-stem cs-uri-query sc-status sc-bytes time-taken cs(User-Agent)";
    for i in 0..opts.lines {
        line.clear();
        let number = i + 1;
        let last = number == opts.lines;
        if opts.format == GenFormat::W3c && (i < 2 || i == opts.lines / 2) {
            // Directives: a header at the top, and a new field list half way.
            line.extend_from_slice(match i {
                0 => b"#Software: Microsoft Internet Information Services 10.0".as_slice(),
                1 => fields_v1.as_bytes(),
                _ => fields_v2.as_bytes(),
            });
            truth.directives += 1;
        } else if opts.bad_lines && rng.chance(4) {
            write_bad_line(&mut rng, &mut line, opts.format);
            truth.rejects += 1;
            truth.reject_lines.push(number);
        } else {
            let utc =
                START + (i as i64 * SPAN_SECS) / opts.lines.max(1) as i64 + rng.below(61) as i64
                    - 30;
            let mut weight = rng.below(status_total);
            let status = STATUSES
                .iter()
                .find(|(_, w)| {
                    if weight < *w {
                        true
                    } else {
                        weight -= w;
                        false
                    }
                })
                .map_or(200, |(s, _)| *s);
            let (request, path, splittable) = if opts.format.is_access() {
                request_line(&mut rng)
            } else {
                plain_request(&mut rng)
            };
            let bytes = if status == 304 && rng.chance(500) && opts.format != GenFormat::W3c {
                None
            } else {
                Some(rng.below(50_000) as i64)
            };
            let duration_ms = if rng.chance(20) {
                1001 + rng.below(4000) as i64
            } else {
                rng.below(300) as i64
            };
            let visitor = match opts.visitors {
                Some(n) if opts.format.is_access() => {
                    let v = rng.skewed(n);
                    seen_visitors.insert(v);
                    Some(v)
                }
                _ => None,
            };
            let ctx = Row {
                visitor,
                utc,
                status,
                request: &request,
                bytes,
                duration_ms,
                second_half: i > opts.lines / 2,
            };
            match opts.format {
                GenFormat::Json => write_json(&mut rng, &mut line, &ctx)?,
                GenFormat::Syslog => {
                    let severity = write_syslog(&mut rng, &mut line, &ctx)?;
                    *truth.severities.entry(severity.to_string()).or_default() += 1;
                }
                GenFormat::W3c => write_w3c(&mut rng, &mut line, &ctx)?,
                _ => write_access(&mut rng, &mut line, &ctx, opts.format)?,
            }
            truth.rows += 1;
            *truth.status.entry(status).or_default() += 1;
            match bytes {
                Some(b) => truth.bytes_sum += b,
                None => truth.bytes_null += 1,
            }
            truth.duration_ms_sum += duration_ms;
            if duration_ms > 1000 {
                truth.slow += 1;
            }
            truth.min_ts = truth.min_ts.min(utc);
            truth.max_ts = truth.max_ts.max(utc);
            if !splittable {
                truth.method_null += 1;
            }
            if status == 404 {
                if let Some(p) = path {
                    *truth.not_found_paths.entry(p).or_default() += 1;
                }
            }
        }
        truth.lines += 1;
        if opts.format.is_access() && rng.chance(20) {
            line.push(b'\r');
        }
        if !(last && opts.no_final_newline) {
            line.push(b'\n');
        }
        out.write_all(&line)?;
    }
    truth.clients = seen_visitors.len() as u64;
    Ok(truth)
}

/// What one generated row holds, whatever the layout.
struct Row<'a> {
    /// The visitor whose client and user agent an access line carries (see `GenOptions`).
    visitor: Option<u64>,
    utc: i64,
    status: i32,
    request: &'a str,
    bytes: Option<i64>,
    duration_ms: i64,
    /// W3C: after the `#Fields` change.
    second_half: bool,
}

fn write_access(rng: &mut Rng, line: &mut Vec<u8>, row: &Row, format: GenFormat) -> io::Result<()> {
    match row.visitor {
        Some(v) => write_visitor_client(v, line),
        None => write_client(rng, line),
    }
    let user = rng.pick(&USERS);
    write!(line, " - {user} [")?;
    write_clf_time(line, row.utc, *rng.pick(&OFFSETS));
    write!(line, "] \"{}\" {} ", row.request, row.status)?;
    match row.bytes {
        Some(b) => write!(line, "{b}")?,
        None => line.push(b'-'),
    }
    if format == GenFormat::Common {
        return Ok(());
    }
    write!(line, " \"{}\" \"", rng.pick(&REFERERS))?;
    match row.visitor {
        Some(v) => write_visitor_agent(v, line),
        None => line.extend_from_slice(rng.pick(&USER_AGENTS).as_bytes()),
    }
    line.push(b'"');
    match format {
        GenFormat::Combined if rng.chance(100) => {
            line.extend_from_slice(br#" "203.0.113.7, 10.10.1.1""#);
        }
        GenFormat::ApacheTimed => write!(line, " {}", row.duration_ms * 1000)?,
        GenFormat::NginxTimed => {
            write!(
                line,
                " {}.{:03} ",
                row.duration_ms / 1000,
                row.duration_ms % 1000
            )?;
            match rng.below(10) {
                0 => line.push(b'-'),
                1 => line.extend_from_slice(b"0.004, 0.010"),
                _ => write!(line, "0.{:03}", rng.below(300))?,
            }
        }
        _ => {}
    }
    Ok(())
}

fn write_json(rng: &mut Rng, line: &mut Vec<u8>, row: &Row) -> io::Result<()> {
    let mut client = Vec::new();
    write_client(rng, &mut client);
    write!(line, r#"{{"time":""#)?;
    write_iso_time(line, row.utc, *rng.pick(&OFFSETS));
    write!(
        line,
        r#"","remote_addr":"{}","request":"{}","status":"{}","body_bytes_sent":"{}","request_time":"{}.{:03}","http_user_agent":"{}"}}"#,
        String::from_utf8_lossy(&client),
        row.request,
        row.status,
        row.bytes.unwrap_or(0),
        row.duration_ms / 1000,
        row.duration_ms % 1000,
        rng.pick(&[
            "curl/8.5.0",
            "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
            r#"say \"hi\" \u00e9"#
        ]),
    )?;
    Ok(())
}

const SYSLOG_SEVERITIES: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

/// Writes an RFC 5424 line; returns its severity name.
fn write_syslog(rng: &mut Rng, line: &mut Vec<u8>, row: &Row) -> io::Result<&'static str> {
    let severity = match row.status {
        500..=599 => 3,
        400..=499 => 4,
        _ => 6,
    };
    let facility = *rng.pick(&[1u64, 3, 16, 23]);
    write!(line, "<{}>1 ", facility * 8 + severity)?;
    write_iso_time(line, row.utc, 0);
    let app = *rng.pick(&["web", "api", "worker"]);
    let pid = if rng.chance(100) {
        "-".to_string()
    } else {
        (100 + rng.below(900)).to_string()
    };
    write!(
        line,
        " host{}.example.com {app} {pid} REQ - {} status={} duration_ms={}",
        rng.below(3),
        row.request,
        row.status,
        row.duration_ms
    )?;
    Ok(SYSLOG_SEVERITIES[severity as usize])
}

fn write_w3c(rng: &mut Rng, line: &mut Vec<u8>, row: &Row) -> io::Result<()> {
    let ((y, m, d), secs, _, _) = local_time(row.utc, 0);
    write!(
        line,
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} ",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )?;
    let mut parts = row.request.split(' ');
    let method = parts.next().unwrap_or("GET");
    let target = parts.next().unwrap_or("/");
    let (stem, query) = target.split_once('?').unwrap_or((target, "-"));
    let mut client = Vec::new();
    write_client(rng, &mut client);
    let client = String::from_utf8_lossy(&client);
    let ua = rng.pick(&[
        "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)",
        "curl/8.5.0",
        "-",
    ]);
    let bytes = row.bytes.unwrap_or(0);
    if row.second_half {
        write!(
            line,
            "{client} {method} {stem} {query} {} {bytes} {} {ua}",
            row.status, row.duration_ms
        )?;
    } else {
        write!(
            line,
            "10.0.0.5 {method} {stem} {query} 443 - {client} {ua} - {} 0 0 {bytes} {}",
            row.status, row.duration_ms
        )?;
    }
    Ok(())
}

/// Local date, seconds of the day, and the zone's sign and size, of `utc` in a zone `offset`
/// seconds east of UTC.
fn local_time(utc: i64, offset: i64) -> ((i64, i64, i64), i64, char, i64) {
    let local = utc + offset;
    let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let sign = if offset < 0 { '-' } else { '+' };
    (civil_from_days(days), secs, sign, offset.abs())
}

/// Writes `utc` as ISO 8601 in the zone `offset` seconds east of UTC.
fn write_iso_time(line: &mut Vec<u8>, utc: i64, offset: i64) {
    let ((y, m, d), secs, sign, off) = local_time(utc, offset);
    let _ = write!(
        line,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        off / 3600,
        off / 60 % 60
    );
}

/// A well-formed request (formats that split requests into fields cannot hold odd ones).
fn plain_request(rng: &mut Rng) -> (String, Option<String>, bool) {
    let method = *rng.pick(&["GET", "GET", "GET", "POST", "HEAD"]);
    let path = *rng.pick(&PATHS[..12]);
    let query = if rng.chance(200) {
        format!("?page={}", rng.below(20))
    } else {
        String::new()
    };
    (
        format!("{method} {path}{query} HTTP/1.1"),
        Some(path.to_string()),
        true,
    )
}

/// A request line, its path if it splits, and whether it splits into method/target/protocol.
fn request_line(rng: &mut Rng) -> (String, Option<String>, bool) {
    match rng.below(1000) {
        0..=4 => ("-".into(), None, false),
        5..=7 => (
            r"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03".into(),
            None,
            false,
        ),
        8..=12 => (
            "GET /old-page.html".into(),
            Some("/old-page.html".into()),
            true,
        ),
        13..=15 => ("GET /a b c HTTP/1.1".into(), Some("/a b c".into()), true),
        16..=18 => {
            let long = format!("/search?q={}", "x".repeat(3000 + rng.below(3000) as usize));
            (format!("GET {long} HTTP/1.1"), Some("/search".into()), true)
        }
        19..=21 => (
            r#"GET /q?s=\"quoted\" HTTP/1.1"#.into(),
            Some("/q".into()),
            true,
        ),
        22..=23 => (
            r"GET /bad\xadbyte HTTP/1.1".into(),
            Some("/bad\u{FFFD}byte".into()),
            true,
        ),
        _ => {
            let method = *rng.pick(&["GET", "GET", "GET", "GET", "POST", "HEAD", "PUT", "DELETE"]);
            let path = *rng.pick(&PATHS);
            let query = match rng.below(4) {
                0 => format!("?page={}", rng.below(20)),
                1 if path == "/search" => "?q=caf%C3%A9&lang=fr".to_string(),
                _ => String::new(),
            };
            let proto = *rng.pick(&["HTTP/1.1", "HTTP/1.1", "HTTP/2.0", "HTTP/1.0"]);
            (
                format!("{method} {path}{query} {proto}"),
                Some(path.to_string()),
                true,
            )
        }
    }
}

fn write_client(rng: &mut Rng, line: &mut Vec<u8>) {
    match rng.below(20) {
        0 => {
            let _ = write!(line, "2001:db8::{:x}", rng.below(0xffff));
        }
        1 => line.extend_from_slice(b"::1"),
        2 => {
            let _ = write!(line, "host{}.dialup.example.net", rng.below(100));
        }
        _ => {
            let _ = write!(
                line,
                "{}.{}.{}.{}",
                1 + rng.below(223),
                rng.below(256),
                rng.below(256),
                1 + rng.below(254)
            );
        }
    }
}

/// Visitor `v`'s address: distinct visitors (fewer than 2^24) get distinct addresses, spread over
/// the address space by an odd multiplier (a bijection on 24 bits).
fn write_visitor_client(v: u64, line: &mut Vec<u8>) {
    let x = ((v + 1).wrapping_mul(0x9E_3779) & 0xff_ffff) as u32;
    let _ = write!(
        line,
        "{}.{}.{}.{}",
        1 + x % 223,
        x >> 16,
        (x >> 8) & 0xff,
        x & 0xff
    );
}

/// Visitor `v`'s user agent: a visitor keeps one browser, and browsers come in many versions,
/// so a busy day has thousands of distinct agents (here up to 20,000 versions each of Chrome
/// and Firefox).
fn write_visitor_agent(v: u64, line: &mut Vec<u8>) {
    let version = v % 20_000;
    let (major, build) = (100 + version % 25, version / 25);
    let _ = match v.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 61 {
        0..=2 => write!(
            line,
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{major}.0.{build}.0 Safari/537.36"
        ),
        3 => write!(
            line,
            "Mozilla/5.0 (X11; Linux x86_64; rv:{major}.0) Gecko/20100101 Firefox/{major}.{build}"
        ),
        4 => write!(
            line,
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.{} Mobile/15E148 Safari/604.1",
            version % 7,
            build
        ),
        _ => write!(line, "{}", USER_AGENTS[v as usize % USER_AGENTS.len()]),
    };
}

fn write_bad_line(rng: &mut Rng, line: &mut Vec<u8>, format: GenFormat) {
    if !format.is_access() {
        let junk: &[u8] = if rng.chance(500) {
            b"this is not a log line"
        } else {
            b"\x00\x01\x02\xff\xfe\xfd\x00binary"
        };
        line.extend_from_slice(junk);
        return;
    }
    match rng.below(5) {
        0 => line.extend_from_slice(b"this is not a log line"),
        1 => line.extend_from_slice(
            br#"198.51.100.1 - - [99/Foo/2025:99:99:99 +0000] "GET / HTTP/1.1" 200 12 "-" "curl/8.5.0""#,
        ),
        // A record cut off mid-field (where depends on how many fields the format has).
        2 if format == GenFormat::Common => {
            line.extend_from_slice(br#"198.51.100.2 - - [14/Feb/2025:10:00:00 +0000] "GET /cut HTTP/1.1" 200"#)
        }
        2 => line.extend_from_slice(br#"198.51.100.2 - - [14/Feb/2025:10:00:00 +0000] "GET /cut HTTP/1.1" 200 99 "-" "Mozilla/5.0 (X11; Lin"#),
        3 => line.extend_from_slice(b"\x00\x01\x02\xff\xfe\xfd\x00binary"),
        _ => line.extend_from_slice(br#"198.51.100.3 - - [14/Feb/2025:10:00:00 +0000] "GET / HT"#),
    }
}

/// Writes `utc` as a CLF time in the zone `offset` seconds east of UTC.
fn write_clf_time(line: &mut Vec<u8>, utc: i64, offset: i64) {
    let ((y, m, d), secs, sign, off) = local_time(utc, offset);
    let _ = write!(
        line,
        "{d:02}/{}/{y:04}:{:02}:{:02}:{:02} {sign}{:02}{:02}",
        MONTHS[(m - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        off / 3600,
        off / 60 % 60
    );
}

/// (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::timestamp::parse_clf_time;

    #[test]
    fn clf_time_round_trips_through_the_parser() {
        let mut rng = Rng(7);
        for _ in 0..2000 {
            let utc = START + rng.below(10 * 365 * 86_400) as i64;
            let offset = *rng.pick(&OFFSETS);
            let mut buf = Vec::new();
            write_clf_time(&mut buf, utc, offset);
            assert_eq!(
                parse_clf_time(&buf),
                Some(utc * 1_000_000_000),
                "{}",
                String::from_utf8_lossy(&buf)
            );
        }
    }

    #[test]
    fn same_seed_same_log() {
        let opts = GenOptions {
            lines: 300,
            ..GenOptions::default()
        };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        assert_eq!(
            generate(&opts, &mut a).unwrap(),
            generate(&opts, &mut b).unwrap()
        );
        assert_eq!(a, b);
    }

    #[test]
    fn visitors_come_back_with_a_long_tail_and_keep_their_agent() {
        let opts = GenOptions {
            lines: 20_000,
            visitors: Some(2_000),
            bad_lines: false,
            ..GenOptions::default()
        };
        let mut out = Vec::new();
        let truth = generate(&opts, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut clients: std::collections::HashMap<&str, (u64, &str)> = Default::default();
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            let client = line.split(' ').next().unwrap();
            // The last quoted field, before the forwarded-for field some lines carry.
            let agent = line.trim_end_matches(r#" "203.0.113.7, 10.10.1.1""#);
            let agent = agent.rsplit('"').nth(1).unwrap();
            let seen = clients.entry(client).or_insert((0, agent));
            seen.0 += 1;
            assert_eq!(seen.1, agent, "{client} changed its user agent");
        }
        assert_eq!(clients.len() as u64, truth.clients);
        assert!(
            (1_000..=2_000).contains(&truth.clients),
            "{}",
            truth.clients
        );
        let mut counts: Vec<u64> = clients.values().map(|(n, _)| *n).collect();
        counts.sort_unstable();
        let (median, top) = (counts[counts.len() / 2], counts[counts.len() - 1]);
        assert!(top > 50 * median, "busiest {top}, median {median}");
        let agents: std::collections::HashSet<&str> = clients.values().map(|(_, a)| *a).collect();
        assert!(agents.len() > 500, "{} agents", agents.len());
    }

    #[test]
    fn without_visitors_clients_are_not_counted_and_other_formats_ignore_visitors() {
        let plain = GenOptions {
            lines: 300,
            ..GenOptions::default()
        };
        let mut out = Vec::new();
        assert_eq!(generate(&plain, &mut out).unwrap().clients, 0);
        // Visitors only change the access formats' clients and agents: JSON lines stay as
        // they were.
        let json = GenOptions {
            format: GenFormat::Json,
            ..plain.clone()
        };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        generate(&json, &mut a).unwrap();
        let with_visitors = GenOptions {
            visitors: Some(10),
            ..json
        };
        generate(&with_visitors, &mut b).unwrap();
        assert_eq!(a, b);
    }
}
