//! The parsing core: bytes of one line in, field spans and typed values out.
//!
//! Nothing here knows about Arrow or DataFusion; the table layer adapts it. Everything works
//! on `&[u8]` and reuses its buffers, because it runs once per line of multi-gigabyte files.

pub mod access;
pub mod escape;
pub mod format;
pub mod reject;
pub mod request;
pub mod timestamp;

pub use access::{parse_access_line, AccessFlavor, AccessRecord, Field};
pub use format::{detect, Detection, FormatChoice, LogFormat};
pub use reject::RejectReason;
