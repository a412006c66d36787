//! Why a line is not a row.

/// The reason a line was rejected; shown in the `reason` column of the rejects table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RejectReason {
    #[error("empty line")]
    Empty,
    #[error("truncated or unrecognised record")]
    Truncated,
    #[error("missing client address")]
    MissingClient,
    #[error("missing [timestamp]")]
    MissingTimestamp,
    #[error("invalid timestamp")]
    BadTimestamp,
    #[error("missing quoted request")]
    MissingRequest,
    #[error("unterminated quoted field")]
    UnterminatedQuote,
    #[error("missing status")]
    MissingStatus,
    #[error("invalid status")]
    BadStatus,
    #[error("missing response size")]
    MissingBytes,
    #[error("invalid response size")]
    BadBytes,
    #[error("missing quoted referer")]
    MissingReferer,
    #[error("missing quoted user agent")]
    MissingUserAgent,
    #[error("unexpected text after the last field")]
    TrailingGarbage,
    /// The compressed data of the file is damaged here: the line was cut off by the damage.
    #[error("line cut off by damaged compressed data")]
    CutByDamage,
    /// The line is too long to hold (see `source::MAX_LINE`); only its head was kept.
    #[error("line of {bytes} bytes, over the {} MiB limit: only its start is kept", crate::source::MAX_LINE >> 20)]
    TooLong { bytes: u64 },
    /// A field's text is not of the format's type for it (`slot` is the field's index).
    #[error("invalid value in field {} (expected {expected})", *slot as usize + 1)]
    BadValue { slot: u16, expected: &'static str },
    /// The line stops matching the format before field `slot` (or after the last field).
    #[error("line does not match the format at field {}", *slot as usize + 1)]
    Mismatch { slot: u16 },
    #[error("line does not match the pattern")]
    NoMatch,
    #[error("not a JSON object")]
    NotJson,
    #[error("not a syslog message")]
    NotSyslog,
    #[error("data line before any #Fields directive")]
    NoFieldsDirective,
    #[error("fewer fields than the #Fields directive names")]
    MissingFields,
}

impl RejectReason {
    /// The reason as users read it, with field numbers replaced by column names.
    pub fn describe(&self, field_name: impl Fn(usize) -> Option<String>) -> String {
        match *self {
            RejectReason::BadValue { slot, expected } => match field_name(slot as usize) {
                Some(name) => format!("invalid {name} (expected {expected})"),
                None => self.to_string(),
            },
            RejectReason::Mismatch { slot } => match field_name(slot as usize) {
                Some(name) => format!("line does not match the format at {name}"),
                None => "line does not match the format after its last field".to_string(),
            },
            _ => self.to_string(),
        }
    }
}
