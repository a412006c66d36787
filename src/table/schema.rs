//! The columns of a log table and their Arrow types.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::parse::LogFormat;

/// A column a log table can have. The order of [`Column::ACCESS`] is the table's column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Client,
    Ident,
    RemoteUser,
    Ts,
    Request,
    Method,
    Uri,
    Path,
    Query,
    Protocol,
    Status,
    Bytes,
    Referer,
    UserAgent,
    /// Hidden: the file the row came from (as named by the user).
    File,
    /// Hidden: the row's line number within its file, from 1.
    Line,
}

impl Column {
    /// Every access-log column, in table order (combined has all; common all but the last two).
    pub const ACCESS: [Column; 14] = [
        Column::Client,
        Column::Ident,
        Column::RemoteUser,
        Column::Ts,
        Column::Request,
        Column::Method,
        Column::Uri,
        Column::Path,
        Column::Query,
        Column::Protocol,
        Column::Status,
        Column::Bytes,
        Column::Referer,
        Column::UserAgent,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Column::Client => "client",
            Column::Ident => "ident",
            Column::RemoteUser => "remote_user",
            Column::Ts => "ts",
            Column::Request => "request",
            Column::Method => "method",
            Column::Uri => "uri",
            Column::Path => "path",
            Column::Query => "query",
            Column::Protocol => "protocol",
            Column::Status => "status",
            Column::Bytes => "bytes",
            Column::Referer => "referer",
            Column::UserAgent => "user_agent",
            Column::File => "_file",
            Column::Line => "_line",
        }
    }

    pub fn data_type(self) -> DataType {
        match self {
            Column::Ts => timestamp_type(),
            Column::Status => DataType::Int32,
            Column::Bytes | Column::Line => DataType::Int64,
            _ => DataType::Utf8,
        }
    }

    /// Client, timestamp and the raw request are always present; every other field can be
    /// `-`, missing or unsplittable.
    pub fn nullable(self) -> bool {
        !matches!(
            self,
            Column::Client | Column::Ts | Column::Request | Column::File | Column::Line
        )
    }

    pub fn field(self) -> Field {
        Field::new(self.name(), self.data_type(), self.nullable())
    }

    /// Whether the column is derived from splitting the request line.
    pub fn from_request_split(self) -> bool {
        matches!(
            self,
            Column::Method | Column::Uri | Column::Path | Column::Query | Column::Protocol
        )
    }
}

/// Timestamps are UTC instants with nanosecond precision (DataFusion's default unit).
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
}

/// The columns of a format, in table order, hidden ones last.
pub fn columns_of(format: LogFormat) -> &'static [Column] {
    use Column::*;
    const COMBINED: [Column; 16] = [
        Client, Ident, RemoteUser, Ts, Request, Method, Uri, Path, Query, Protocol, Status, Bytes,
        Referer, UserAgent, File, Line,
    ];
    const COMMON: [Column; 14] = [
        Client, Ident, RemoteUser, Ts, Request, Method, Uri, Path, Query, Protocol, Status, Bytes,
        File, Line,
    ];
    match format {
        LogFormat::Combined => &COMBINED,
        LogFormat::Common => &COMMON,
    }
}

/// The columns a user sees in `SELECT *` (the hidden ones left out).
pub fn visible_columns_of(format: LogFormat) -> &'static [Column] {
    let all = columns_of(format);
    &all[..all.len() - 2]
}

/// The Arrow schema of a table of `format`.
pub fn schema_of(format: LogFormat) -> SchemaRef {
    Arc::new(Schema::new(
        columns_of(format)
            .iter()
            .map(|c| c.field())
            .collect::<Vec<_>>(),
    ))
}

/// The companion table that holds the lines that were not rows.
pub fn rejects_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("file", DataType::Utf8, false),
        Field::new("line_number", DataType::Int64, false),
        Field::new("line", DataType::Utf8, false),
        Field::new("reason", DataType::Utf8, false),
    ]))
}
