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
}
