//! Log formats known to the parser, by name, and picking one from a file's first lines.

use super::access::{parse_access_line, AccessFlavor, AccessRecord};

/// A log format the engine can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogFormat {
    /// Common Log Format (Apache `common`, nginx without referer/user agent).
    Common,
    /// Combined Log Format (Apache `combined`, nginx `combined` and `main`).
    Combined,
}

/// What the user asked for: a definite format, or detection from the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatChoice {
    Auto,
    Fixed(LogFormat),
}

impl LogFormat {
    /// All formats, most specific first (detection prefers earlier ones on a tie).
    pub const ALL: [LogFormat; 2] = [LogFormat::Combined, LogFormat::Common];

    pub fn name(self) -> &'static str {
        match self {
            LogFormat::Common => "common",
            LogFormat::Combined => "combined",
        }
    }

    pub fn flavor(self) -> AccessFlavor {
        match self {
            LogFormat::Common => AccessFlavor::Common,
            LogFormat::Combined => AccessFlavor::Combined,
        }
    }

    /// A one-line description for listings and error messages.
    pub fn description(self) -> &'static str {
        match self {
            LogFormat::Common => r#"%h %l %u %t "%r" %>s %b  (Apache/nginx common)"#,
            LogFormat::Combined => {
                r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"  (Apache/nginx combined; nginx main's extra fields allowed)"#
            }
        }
    }
}

impl std::str::FromStr for FormatChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(FormatChoice::Auto),
            "common" | "clf" | "ncsa" => Ok(FormatChoice::Fixed(LogFormat::Common)),
            "combined" | "nginx" | "nginx_main" | "main" => {
                Ok(FormatChoice::Fixed(LogFormat::Combined))
            }
            _ => Err(format!(
                "unknown format '{s}' (known: auto, {})",
                LogFormat::ALL.map(LogFormat::name).join(", ")
            )),
        }
    }
}

/// How many lines of a sample each format parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub format: Option<LogFormat>,
    pub sampled: usize,
    /// `(format, lines it parsed)`, in [`LogFormat::ALL`] order.
    pub scores: Vec<(LogFormat, usize)>,
}

/// Picks the format that parses most of the sample lines; a tie goes to the more specific
/// format. `None` when no format parses even one line.
pub fn detect<'a>(lines: impl IntoIterator<Item = &'a [u8]>) -> Detection {
    let mut rec = AccessRecord::default();
    let mut scores: Vec<(LogFormat, usize)> = LogFormat::ALL.iter().map(|f| (*f, 0)).collect();
    let mut sampled = 0;
    for line in lines {
        if line.is_empty() {
            continue;
        }
        sampled += 1;
        for (format, score) in scores.iter_mut() {
            if parse_access_line(format.flavor(), line, &mut rec).is_ok() {
                *score += 1;
            }
        }
    }
    // Combined lines also parse as common: combined wins if it parses at least as many as
    // half of what common parses (the rest being common-only lines or damage).
    let best = scores.iter().map(|(_, s)| *s).max().unwrap_or(0);
    let format = if best == 0 {
        None
    } else {
        scores.iter().find(|(_, s)| *s * 2 >= best).map(|(f, _)| *f)
    };
    Detection {
        format,
        sampled,
        scores,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMBINED: &[u8] =
        br#"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "curl""#;
    const COMMON: &[u8] = br#"1.2.3.4 - - [01/Jan/2025:00:00:00 +0000] "GET / HTTP/1.1" 200 1"#;

    #[test]
    fn detects_combined_and_common() {
        assert_eq!(
            detect([COMBINED, COMBINED]).format,
            Some(LogFormat::Combined)
        );
        assert_eq!(
            detect([COMMON, COMMON, COMBINED]).format,
            Some(LogFormat::Common)
        );
        assert_eq!(
            detect([COMBINED, b"junk".as_slice(), COMBINED]).format,
            Some(LogFormat::Combined)
        );
    }

    #[test]
    fn nothing_matches() {
        let d = detect([b"hello".as_slice(), b"world".as_slice()]);
        assert_eq!(d.format, None);
        assert_eq!(d.sampled, 2);
    }

    #[test]
    fn names_parse() {
        assert_eq!(
            "Combined".parse(),
            Ok(FormatChoice::Fixed(LogFormat::Combined))
        );
        assert_eq!("auto".parse(), Ok(FormatChoice::Auto));
        assert!("xml"
            .parse::<FormatChoice>()
            .unwrap_err()
            .contains("known: auto, combined, common"));
    }
}
