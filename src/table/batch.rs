//! Turning parsed lines into Arrow record batches, building only the projected columns.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, Int32Builder, Int64Builder, RecordBatch, RecordBatchOptions, StringBuilder,
    TimestampNanosecondBuilder,
};
use arrow::datatypes::{Schema, SchemaRef};
use arrow::error::ArrowError;

use super::schema::Column;
use crate::parse::escape::unescape_into;
use crate::parse::request::{split_request, RequestParts};
use crate::parse::{AccessRecord, Field};

enum Builder {
    Str(StringBuilder),
    I32(Int32Builder),
    I64(Int64Builder),
    Ts(TimestampNanosecondBuilder),
}

/// Accumulates rows for the projected columns of one batch. Reused across batches.
pub struct AccessBatchBuilder {
    columns: Vec<(Column, Builder)>,
    schema: SchemaRef,
    rows: usize,
    split_request: bool,
    /// Unescaped bytes of the current field / request line.
    scratch: Vec<u8>,
    request: Vec<u8>,
}

impl AccessBatchBuilder {
    /// A builder for `columns`, in that order (the projected schema's order).
    pub fn new(columns: &[Column], capacity: usize) -> Self {
        let schema = Arc::new(Schema::new(
            columns.iter().map(|c| c.field()).collect::<Vec<_>>(),
        ));
        let mut this = AccessBatchBuilder {
            columns: Vec::new(),
            schema,
            rows: 0,
            split_request: columns.iter().any(|c| c.from_request_split()),
            scratch: Vec::new(),
            request: Vec::new(),
        };
        this.columns = columns
            .iter()
            .map(|c| (*c, new_builder(*c, capacity)))
            .collect();
        this
    }

    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Whether the batch needs line numbers (so files must be read from their start).
    pub fn needs_line_numbers(columns: &[Column]) -> bool {
        columns.contains(&Column::Line)
    }

    /// Appends the projected columns of a parsed line of `file`, at `line_number` (only
    /// meaningful when the range starts at the top of the file).
    pub fn append(&mut self, line: &[u8], rec: &AccessRecord, file: &str, line_number: u64) {
        self.rows += 1;
        let parts = if self.split_request {
            self.request.clear();
            let req = if rec.is_escaped(Field::Request) {
                unescape_into(rec.raw(line, Field::Request), &mut self.request);
                &self.request[..]
            } else {
                rec.raw(line, Field::Request)
            };
            split_request(req).map(|p| (req, p))
        } else {
            None
        };
        for (column, builder) in &mut self.columns {
            match (column, builder) {
                (Column::Status, Builder::I32(b)) => b.append_option(rec.status),
                (Column::Bytes, Builder::I64(b)) => b.append_option(rec.bytes),
                (Column::Ts, Builder::Ts(b)) => b.append_value(rec.ts_nanos),
                (Column::Client, Builder::Str(b)) => append_text(b, rec.raw(line, Field::Client)),
                (Column::Ident, Builder::Str(b)) => {
                    append_dash_null(b, rec.raw(line, Field::Ident))
                }
                (Column::RemoteUser, Builder::Str(b)) => {
                    append_dash_null(b, rec.raw(line, Field::User))
                }
                (Column::Request, Builder::Str(b)) => {
                    append_quoted(b, &mut self.scratch, line, rec, Field::Request, false)
                }
                (Column::Referer, Builder::Str(b)) => {
                    append_quoted(b, &mut self.scratch, line, rec, Field::Referer, true)
                }
                (Column::UserAgent, Builder::Str(b)) => {
                    append_quoted(b, &mut self.scratch, line, rec, Field::UserAgent, true)
                }
                (Column::File, Builder::Str(b)) => b.append_value(file),
                (Column::Line, Builder::I64(b)) => b.append_value(line_number as i64),
                (c, Builder::Str(b)) => append_request_part(b, *c, parts.as_ref()),
                _ => unreachable!("builder type matches column type by construction"),
            }
        }
    }

    /// Finishes the batch and resets the builder for the next one.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let arrays: Vec<ArrayRef> = self
            .columns
            .iter_mut()
            .map(|(_, b)| -> ArrayRef {
                match b {
                    Builder::Str(b) => Arc::new(b.finish()),
                    Builder::I32(b) => Arc::new(b.finish()),
                    Builder::I64(b) => Arc::new(b.finish()),
                    Builder::Ts(b) => Arc::new(b.finish().with_timezone("UTC")),
                }
            })
            .collect();
        let options = RecordBatchOptions::new().with_row_count(Some(self.rows));
        self.rows = 0;
        RecordBatch::try_new_with_options(self.schema.clone(), arrays, &options)
    }
}

fn new_builder(column: Column, capacity: usize) -> Builder {
    match column {
        Column::Status => Builder::I32(Int32Builder::with_capacity(capacity)),
        Column::Bytes | Column::Line => Builder::I64(Int64Builder::with_capacity(capacity)),
        Column::Ts => Builder::Ts(TimestampNanosecondBuilder::with_capacity(capacity)),
        _ => Builder::Str(StringBuilder::with_capacity(capacity, capacity * 16)),
    }
}

/// Appends bytes as text; invalid UTF-8 becomes U+FFFD (lossy), never an error.
#[inline]
pub fn append_text(b: &mut StringBuilder, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(s) => b.append_value(s),
        Err(_) => b.append_value(String::from_utf8_lossy(bytes)),
    }
}

#[inline]
fn append_dash_null(b: &mut StringBuilder, bytes: &[u8]) {
    if bytes == b"-" {
        b.append_null();
    } else {
        append_text(b, bytes);
    }
}

#[inline]
fn append_quoted(
    b: &mut StringBuilder,
    scratch: &mut Vec<u8>,
    line: &[u8],
    rec: &AccessRecord,
    field: Field,
    dash_is_null: bool,
) {
    let raw = rec.raw(line, field);
    if dash_is_null && raw == b"-" {
        b.append_null();
    } else if rec.is_escaped(field) {
        scratch.clear();
        unescape_into(raw, scratch);
        append_text(b, scratch);
    } else {
        append_text(b, raw);
    }
}

#[inline]
fn append_request_part(
    b: &mut StringBuilder,
    column: Column,
    parts: Option<&(&[u8], RequestParts)>,
) {
    let Some((req, p)) = parts else {
        b.append_null();
        return;
    };
    let span = match column {
        Column::Method => Some(p.method),
        Column::Uri => Some(p.uri),
        Column::Path => Some((p.uri.0, p.path_end)),
        Column::Query => p.has_query.then_some((p.path_end + 1, p.uri.1)),
        Column::Protocol => p.protocol,
        _ => unreachable!("only request-split columns reach here"),
    };
    match span {
        Some((a, z)) => append_text(b, &req[a..z]),
        None => b.append_null(),
    }
}
