//! Apache/nginx `%t` timestamps: `22/Jan/2019:03:56:14 +0330`.
//!
//! Parsed by fixed position, with every field validated, into UTC nanoseconds since the epoch:
//! the instant is the local time minus the line's own offset. Impossible dates are errors
//! (the caller turns them into rejects), never garbage instants.

/// Length of `dd/Mon/yyyy:HH:MM:SS +zzzz`.
pub const CLF_TIME_LEN: usize = 26;

use super::digits::{all_digits, pairs, word, ZEROS};

pub const NANOS_PER_SEC: i64 = 1_000_000_000;

/// The most hours a UTC offset may have: real offsets lie within ±14:00, so `+1500` is damage
/// (its minutes may still be up to 59, as `%t` has always read them).
pub const MAX_OFFSET_HOURS: u32 = 14;

/// Remembers recent dates: consecutive lines nearly always share the date, and a date
/// (a month name, a calendar) is the costly part of a timestamp. The time of day and the zone
/// are parsed on every line without branches: a shared log may interleave several zones on
/// every line, and a lookup among them mispredicted a branch per line.
#[derive(Debug, Clone, Default)]
pub struct ClfTimeCache {
    /// `dd/Mon/yyyy` (as [`date_key`] packs it) to days since 1970-01-01.
    dates: Recent<[u64; 2], i64, 2>,
}

/// The last `N` keys seen with their values, replaced round robin.
#[derive(Debug, Clone)]
struct Recent<K, V, const N: usize> {
    entries: [Option<(K, V)>; N],
    next: usize,
}

impl<K: Copy, V: Copy, const N: usize> Default for Recent<K, V, N> {
    fn default() -> Self {
        Recent {
            entries: [None; N],
            next: 0,
        }
    }
}

impl<K: Copy + PartialEq, V: Copy, const N: usize> Recent<K, V, N> {
    #[inline]
    fn get(&self, key: K) -> Option<V> {
        self.entries
            .iter()
            .flatten()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
    }

    #[inline]
    fn put(&mut self, key: K, value: V) {
        self.entries[self.next] = Some((key, value));
        self.next = (self.next + 1) % N;
    }
}

/// Bytes 0..11 (`dd/Mon/yyyy`) as two overlapping words: integer compares, no `memcmp`.
#[inline]
fn date_key(s: &[u8]) -> [u64; 2] {
    [word(s, 0), word(s, 3)]
}

impl ClfTimeCache {
    /// Same result as [`parse_clf_time`], faster when dates repeat.
    #[inline]
    pub fn parse(&mut self, s: &[u8]) -> Option<i64> {
        let s: &[u8; CLF_TIME_LEN] = s.try_into().ok()?;
        // `HH:MM:SS` at 12..20 and `SS +zzzz` at 18..26, each read as one word, with every
        // test evaluated and then one branch on them all.
        const COLONS: u64 = 0x0000_FF00_00FF_0000;
        let time = word(s, 12);
        let time_digits = (time & !COLONS) | (ZEROS & COLONS);
        let t = pairs(time_digits);
        let (hour, minute, second) = (t & 0xFF, (t >> 24) & 0xFF, (t >> 48) & 0xFF);
        let zone_word = word(s, 18);
        let zone_digits = (zone_word & 0xFFFF_FFFF_0000_0000) | (ZEROS & 0xFFFF_FFFF);
        let z = pairs(zone_digits);
        let (zone_hours, zone_minutes) = ((z >> 32) & 0xFF, (z >> 48) & 0xFF);
        let sign = s[21];
        let valid = (s[11] == b':')
            & (time & COLONS == 0x0000_3A00_003A_0000)
            & (s[20] == b' ')
            & ((sign == b'+') | (sign == b'-'))
            & all_digits(time_digits)
            & all_digits(zone_digits)
            & (hour <= 23)
            & (minute <= 59)
            & (second <= 60)
            & (zone_hours <= MAX_OFFSET_HOURS as u64)
            & (zone_minutes <= 59);
        if !valid {
            return None;
        }
        let days = self.days(s)?;
        let zone = (zone_hours * 3600 + zone_minutes * 60) as i64;
        let offset = if sign == b'-' { -zone } else { zone };
        let secs = days * 86_400 + (hour * 3600 + minute * 60 + second) as i64 - offset;
        secs.checked_mul(NANOS_PER_SEC)
    }

    /// Days since the epoch of the date in `s[0..11]`, validated as [`parse_clf_time`] does.
    #[inline]
    fn days(&mut self, s: &[u8]) -> Option<i64> {
        let key = date_key(s);
        if let Some(days) = self.dates.get(key) {
            return Some(days);
        }
        if s[2] != b'/' || s[6] != b'/' {
            return None;
        }
        let day = two_digits(s[0], s[1])?;
        let month = month_number(&s[3..6])?;
        let year = four_digits(&s[7..11])?;
        // Nanosecond timestamps cover 1677-09-21 ..= 2262-04-11; keep well inside.
        if day == 0 || day > days_in_month(year, month) || !(1678..=2261).contains(&year) {
            return None;
        }
        let days = days_from_civil(year, month, day);
        self.dates.put(key, days);
        Some(days)
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

/// `+HHMM` / `-HHMM` to seconds east of UTC, up to [`MAX_OFFSET_HOURS`].
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
    if hours > MAX_OFFSET_HOURS || minutes > 59 {
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

    /// The word-at-a-time checks reject exactly what the field-by-field parser rejects: every
    /// byte value at every position of valid timestamps (east and west of UTC).
    #[test]
    fn cache_agrees_with_the_plain_parser_on_every_single_byte_change() {
        let mut cache = ClfTimeCache::default();
        for valid in ["29/Feb/2024:23:59:60 +1400", "01/Aug/1995:00:00:00 -0000"] {
            for at in 0..CLF_TIME_LEN {
                for b in 0..=255u8 {
                    let mut s = valid.as_bytes().to_vec();
                    s[at] = b;
                    assert_eq!(
                        cache.parse(&s),
                        parse_clf_time(&s),
                        "{}",
                        String::from_utf8_lossy(&s)
                    );
                }
            }
        }
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

    /// Every mix of up to 12 zones and 4 dates, one per line in a shuffled order, with
    /// damaged copies between them: the cache answers exactly as the plain parser does.
    #[test]
    fn cache_agrees_on_many_interleaved_zones_and_dates() {
        let zones = [
            "+0000", "+0100", "+0330", "+0545", "-0400", "-0930", "+1400", "-1200", "+0530",
            "+0200", "-0000", "+1245", "+1500", "+0060", "x0100",
        ];
        let dates = [
            "28/Feb/2024",
            "29/Feb/2024",
            "29/Feb/2023",
            "01/Mar/2024",
            "31/Apr/2024",
            "01/Jan/1678",
            "31/Dec/2261",
            "01/Jan/2262",
            "00/Jan/2024",
            "15/jun/2024",
        ];
        let times = [
            "00:00:00", "12:34:56", "23:59:60", "24:00:00", "23:60:00", "1x:00:00",
        ];
        let mut cache = ClfTimeCache::default();
        let mut n: u64 = 12345;
        for _ in 0..20_000 {
            // A small linear congruential generator: the same sequence every run.
            n = n
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let pick = |k: u32, len: usize| ((n >> k) as usize) % len;
            let s = format!(
                "{}:{} {}",
                dates[pick(20, dates.len())],
                times[pick(30, times.len())],
                zones[pick(40, zones.len())]
            );
            let mut bytes = s.into_bytes();
            if pick(50, 7) == 0 {
                let at = pick(10, bytes.len());
                bytes[at] = b"/: 9+"[pick(56, 5)];
            }
            assert_eq!(
                cache.parse(&bytes),
                parse_clf_time(&bytes),
                "{}",
                String::from_utf8_lossy(&bytes)
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
