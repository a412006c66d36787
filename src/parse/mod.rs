//! The parsing core: bytes of one line in, typed values out.
//!
//! Nothing here knows about Arrow or DataFusion; the table layer adapts it. Everything works
//! on `&[u8]` and reuses its buffers, because it runs once per line of multi-gigabyte files.
//!
//! - [`record`]: the parsed line every parser fills, and the [`LineParser`] trait;
//! - [`mod@format`] and [`registry`]: formats by name and definition, detection, format files;
//! - one module per family of formats: [`access`] (hand-written common/combined),
//!   [`template`] (Apache `LogFormat` and nginx `log_format` strings), [`regex_format`],
//!   [`json`], [`syslog`], [`w3c`];
//! - shared pieces: [`timestamp`], [`values`], [`escape`], [`request`], [`reject`].

pub mod access;
pub(crate) mod digits;
pub mod escape;
pub mod format;
pub mod json;
pub mod record;
pub mod regex_format;
pub mod registry;
pub mod reject;
pub mod request;
pub mod syslog;
pub mod template;
pub mod timestamp;
pub mod values;
pub mod w3c;

pub use access::{parse_access_line, AccessFlavor, AccessParser, AccessRecord, Field};
pub use format::{Format, FormatChoice, FormatOptions};
pub use record::{ColumnSource, ColumnSpec, FieldType, LineParser, Parsed, Record, Value};
pub use registry::{Detection, FormatRegistry};
pub use reject::RejectReason;
