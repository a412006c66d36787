//! A slow, obviously correct reference parser (one regex) to check the fast one against.

use regex::bytes::Regex;

#[derive(Debug, Clone, PartialEq)]
pub struct RefRow {
    pub client: String,
    pub ts: i64,
    pub request: Vec<u8>,
    pub status: Option<i32>,
    pub bytes: Option<i64>,
}

pub struct Reference {
    re: Regex,
}

impl Reference {
    pub fn new(combined: bool) -> Reference {
        let quoted = r#""((?:[^"\\]|\\.)*)""#;
        let tail = if combined {
            format!(" {quoted} {quoted}(?: .*)?")
        } else {
            "(?: .*)?".to_string()
        };
        let re = format!(
            r#"(?s-u)^(\S+) (\S+) (.*?) \[(\d\d)/(\w\w\w)/(\d{{4}}):(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\] {quoted} (\d{{1,3}}|-) (\d+|-){tail}$"#
        );
        Reference {
            re: Regex::new(&re).unwrap(),
        }
    }

    pub fn parse(&self, line: &[u8]) -> Option<RefRow> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let c = self.re.captures(line)?;
        let s = |i: usize| std::str::from_utf8(&c[i]).unwrap().to_string();
        let n = |i: usize| s(i).parse::<i64>().unwrap();
        let month = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ]
        .iter()
        .position(|m| *m == s(5))? as i64
            + 1;
        let offset = (n(11) * 3600 + n(12) * 60) * if &c[10] == b"-" { -1 } else { 1 };
        let ts = epoch_seconds(n(6), month, n(4), n(7), n(8), n(9))? - offset;
        let opt = |i: usize| if &c[i] == b"-" { None } else { Some(n(i)) };
        Some(RefRow {
            client: s(1),
            ts,
            request: c[13].to_vec(),
            status: opt(14).map(|v| v as i32),
            bytes: opt(15),
        })
    }
}

/// Seconds since the epoch by counting whole years and months: slow and plain.
fn epoch_seconds(year: i64, month: i64, day: i64, h: i64, m: i64, s: i64) -> Option<i64> {
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_len = |y: i64, mo: i64| match mo {
        2 if leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day < 1 || day > month_len(year, month) || h > 23 || m > 59 || s > 60 || year < 1970 {
        return None;
    }
    let mut days = 0;
    for y in 1970..year {
        days += if leap(y) { 366 } else { 365 };
    }
    for mo in 1..month {
        days += month_len(year, mo);
    }
    days += day - 1;
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}
