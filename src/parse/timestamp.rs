//! Apache/nginx `%t` timestamps: `22/Jan/2019:03:56:14 +0330`.
//!
//! Parsed by fixed position, with every field validated, into UTC nanoseconds since the epoch:
//! the instant is the local time minus the line's own offset. Impossible dates are errors
//! (the caller turns them into rejects), never garbage instants.

/// Length of `dd/Mon/yyyy:HH:MM:SS +zzzz`.
pub const CLF_TIME_LEN: usize = 26;

const NANOS_PER_SEC: i64 = 1_000_000_000;

/// Remembers the dates and zones of recent timestamps: consecutive lines nearly always share
/// them (a few zones may interleave), and then only the time of day needs parsing.
#[derive(Debug, Clone, Default)]
pub struct ClfTimeCache {
    entries: [DayEntry; 4],
    /// The entry to replace next (round robin).
    next: usize,
}

#[derive(Debug, Clone, Copy, Default)]
struct DayEntry {
    /// `dd/Mon/yyyy` and ` +zzzz` of a valid timestamp, as [`day_key`] packs them.
    key: [u64; 3],
    /// UTC nanoseconds of that date's local midnight.
    midnight: i64,
    valid: bool,
}

/// The date (`s[0..11]`) and zone (`s[20..26]`) of a 26-byte timestamp as three words, so a
/// cache lookup is three integer compares instead of two `memcmp` calls. The words overlap
/// (bytes 3..8) and the third masks off the seconds (bytes 18..20): equal keys mean equal
/// date and zone bytes, exactly.
#[inline]
fn day_key(s: &[u8]) -> [u64; 3] {
    let word = |at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    [word(0), word(3), word(18) & !0xffff]
}

impl ClfTimeCache {
    /// Same result as [`parse_clf_time`], faster on runs of lines from the same day and zone.
    #[inline]
    pub fn parse(&mut self, s: &[u8]) -> Option<i64> {
        if s.len() != CLF_TIME_LEN {
            return None;
        }
        let key = day_key(s);
        let same = |e: &&DayEntry| e.key[0] == key[0] && e.key[1] == key[1] && e.key[2] == key[2];
        let hit = self.entries.iter().filter(|e| e.valid).find(same);
        if let Some(entry) = hit {
            if s[11] != b':' || s[14] != b':' || s[17] != b':' {
                return None;
            }
            let hour = two_digits(s[12], s[13])?;
            let minute = two_digits(s[15], s[16])?;
            let second = two_digits(s[18], s[19])?;
            if hour > 23 || minute > 59 || second > 60 {
                return None;
            }
            let secs = i64::from(hour * 3600 + minute * 60 + second);
            return Some(entry.midnight + secs * NANOS_PER_SEC);
        }
        let nanos = parse_clf_time(s)?;
        let local_secs = i64::from(
            two_digits(s[12], s[13])? * 3600
                + two_digits(s[15], s[16])? * 60
                + two_digits(s[18], s[19])?,
        );
        let entry = &mut self.entries[self.next];
        entry.key = key;
        entry.midnight = nanos - local_secs * NANOS_PER_SEC;
        entry.valid = true;
        self.next = (self.next + 1) % self.entries.len();
        Some(nanos)
    }
}

/// Parses a CLF timestamp (without brackets) into UTC nanoseconds since 1970-01-01.
pub fn parse_clf_time(s: &[u8]) -> Option<i64> {
    if s.len() != CLF_TIME_LEN
        || s[2] != b'/'
        || s[6] != b'/'
        || s[11] != b':'
        || s[14] != b':'
        || s[17] != b':'
        || s[20] != b' '
    {
        return None;
    }
    let day = two_digits(s[0], s[1])?;
    let month = month_number(&s[3..6])?;
    let year = four_digits(&s[7..11])?;
    let hour = two_digits(s[12], s[13])?;
    let minute = two_digits(s[15], s[16])?;
    let second = two_digits(s[18], s[19])?;
    let offset = parse_offset(&s[21..26])?;
    to_utc_nanos(year, month, day, hour, minute, second, offset)
}

/// Combines validated civil fields and a UTC offset (seconds east) into UTC nanoseconds.
/// Seconds may be 60 (a leap second is logged as such); it rolls into the next minute.
pub fn to_utc_nanos(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    offset_secs: i64,
) -> Option<i64> {
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    // Nanosecond timestamps cover 1677-09-21 ..= 2262-04-11; keep well inside.
    if !(1678..=2261).contains(&year) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second)
        - offset_secs;
    secs.checked_mul(NANOS_PER_SEC)
}

/// `+HHMM` / `-HHMM` to seconds east of UTC. Real offsets lie within ±14:00.
pub fn parse_offset(s: &[u8]) -> Option<i64> {
    if s.len() != 5 {
        return None;
    }
    let sign = match s[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours = two_digits(s[1], s[2])?;
    let minutes = two_digits(s[3], s[4])?;
    if hours > 14 || minutes > 59 {
        return None;
    }
    Some(sign * i64::from(hours * 3600 + minutes * 60))
}

/// English three-letter month abbreviation (case-insensitive) to 1..=12.
pub fn month_number(m: &[u8]) -> Option<u32> {
    if m.len() != 3 {
        return None;
    }
    let key = [
        m[0].to_ascii_lowercase(),
        m[1].to_ascii_lowercase(),
        m[2].to_ascii_lowercase(),
    ];
    Some(match &key {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    })
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn digit(b: u8) -> Option<u32> {
    b.is_ascii_digit().then(|| u32::from(b - b'0'))
}

fn two_digits(a: u8, b: u8) -> Option<u32> {
    Some(digit(a)? * 10 + digit(b)?)
}

fn four_digits(s: &[u8]) -> Option<i64> {
    Some(i64::from(
        two_digits(s[0], s[1])? * 100 + two_digits(s[2], s[3])?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &str) -> Option<i64> {
        parse_clf_time(s.as_bytes()).map(|n| n / NANOS_PER_SEC)
    }

    #[test]
    fn utc_offset_zero() {
        // 2019-01-22T03:56:14Z
        assert_eq!(secs("22/Jan/2019:03:56:14 +0000"), Some(1_548_129_374));
    }

    #[test]
    fn half_hour_offset_is_subtracted() {
        // 03:56:14 at +03:30 is 00:26:14 UTC.
        assert_eq!(
            secs("22/Jan/2019:03:56:14 +0330"),
            Some(1_548_129_374 - 3 * 3600 - 1800)
        );
    }

    #[test]
    fn negative_offset_is_added() {
        // NASA: 01/Aug/1995:00:00:01 -0400 is 04:00:01 UTC = 807249601.
        assert_eq!(secs("01/Aug/1995:00:00:01 -0400"), Some(807_249_601));
    }

    #[test]
    fn leap_day_and_century_rules() {
        assert!(secs("29/Feb/2024:00:00:00 +0000").is_some());
        assert!(secs("29/Feb/2023:00:00:00 +0000").is_none());
        assert!(secs("29/Feb/2000:00:00:00 +0000").is_some());
        assert!(secs("29/Feb/1900:00:00:00 +0000").is_none());
        assert!(secs("31/Apr/2024:00:00:00 +0000").is_none());
    }

    #[test]
    fn impossible_values_are_rejected() {
        for bad in [
            "99/Foo/2025:99:99:99 +0000",
            "00/Jan/2025:00:00:00 +0000",
            "01/Jan/2025:24:00:00 +0000",
            "01/Jan/2025:00:60:00 +0000",
            "01/Jan/2025:00:00:61 +0000",
            "01/Jan/2025:00:00:00 +2500",
            "01/Jan/2025:00:00:00 +0060",
            "01/Jan/2025:00:00:00 0000",
            "01/Jan/0025:00:00:00 +0000",
            "1/Jan/2025:00:00:00 +0000",
            "01/Jan/2025 00:00:00 +0000",
            "0x/Jan/2025:00:00:00 +0000",
        ] {
            assert_eq!(secs(bad), None, "{bad}");
        }
    }

    #[test]
    fn month_names_are_case_insensitive() {
        assert_eq!(
            secs("01/JAN/2025:00:00:00 +0000"),
            secs("01/jan/2025:00:00:00 +0000")
        );
    }

    #[test]
    fn cache_agrees_with_the_plain_parser() {
        let mut cache = ClfTimeCache::default();
        for s in [
            "01/Aug/1995:00:00:01 -0400",
            "01/Aug/1995:23:59:59 -0400",
            "01/Aug/1995:24:00:00 -0400",
            "01/Aug/1995:1x:00:00 -0400",
            "01/Aug/1995:12:00:00 +0330",
            "01/Aug/1995:12:00:60 +0330",
            "31/Dec/2016:23:59:60 +0000",
            "99/Foo/2025:99:99:99 +0000",
            "01/Aug/1995:12:00:00 +0330",
            "01/Aug/1995 12:00:00 +0330",
            "01/Aug/1995:13:00:00 -0400",
            "01/Aug/1995:14:00:00 +0545",
            "02/Aug/1995:00:00:00 +0000",
            "01/Aug/1995:15:00:00 +0330",
            "01/Aug/1995:16:00:00 -0400",
        ] {
            assert_eq!(
                cache.parse(s.as_bytes()),
                parse_clf_time(s.as_bytes()),
                "{s}"
            );
        }
    }

    #[test]
    fn leap_second_rolls_over() {
        assert_eq!(
            secs("31/Dec/2016:23:59:60 +0000"),
            secs("01/Jan/2017:00:00:00 +0000")
        );
    }
}
