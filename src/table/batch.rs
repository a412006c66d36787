//! Turning parsed lines into Arrow record batches, building only the projected columns.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryArray, BinaryBuilder, BooleanBuilder, Float64Builder, Int32Builder,
    Int64Builder, RecordBatch, RecordBatchOptions, StringArray, StringBuilder,
    TimestampNanosecondBuilder,
};
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;

use super::schema::schema_of_columns;
use crate::parse::escape::decode_into;
use crate::parse::record::{ColumnSource, ColumnSpec, FieldType, Record, RequestPart, Value};
use crate::parse::request::{split_request, RequestParts};

enum Builder {
    /// Text, collected as bytes and checked as UTF-8 once per batch ([`finish_text`]).
    Str(BinaryBuilder),
    I32(Int32Builder),
    I64(Int64Builder),
    F64(Float64Builder),
    Bool(BooleanBuilder),
    Ts(TimestampNanosecondBuilder),
}

/// A batch is handed on at this many bytes of lines, whatever its row count: 8192 rows of
/// megabyte lines would otherwise be gigabytes in one batch.
pub const BATCH_BYTES: usize = 4 * 1024 * 1024;

/// Accumulates rows for the projected columns of one batch. Reused across batches.
pub struct BatchBuilder {
    columns: Vec<(ColumnSource, Builder)>,
    schema: SchemaRef,
    rows: usize,
    /// The bytes of the lines appended: a bound on the batch's text (fields are disjoint
    /// parts of a line, and decoding escapes only shrinks them).
    line_bytes: usize,
    /// The slot whose request line some projected column splits, if any.
    request_slot: Option<usize>,
    /// Decoded bytes of the current field / request line.
    scratch: Vec<u8>,
    request: Vec<u8>,
}

impl BatchBuilder {
    /// A builder for `columns`, in that order (the projected schema's order).
    pub fn new(columns: &[ColumnSpec], capacity: usize) -> Self {
        BatchBuilder {
            columns: columns
                .iter()
                .map(|c| (c.source, new_builder(c.ty, capacity)))
                .collect(),
            schema: schema_of_columns(columns),
            rows: 0,
            line_bytes: 0,
            request_slot: columns.iter().find_map(|c| match c.source {
                ColumnSource::Request(slot, _) => Some(slot),
                _ => None,
            }),
            scratch: Vec::new(),
            request: Vec::new(),
        }
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

    /// Whether the batch should be handed on: `batch_size` rows, or [`BATCH_BYTES`].
    #[inline]
    pub fn is_full(&self, batch_size: usize) -> bool {
        self.rows >= batch_size || self.line_bytes >= BATCH_BYTES
    }

    /// Whether the batch needs line numbers (so files must be read from their start).
    pub fn needs_line_numbers(columns: &[ColumnSpec]) -> bool {
        columns.iter().any(|c| c.source == ColumnSource::Line)
    }

    /// Appends the projected columns of a parsed line of `file`, at `line_number` (only
    /// meaningful when the range starts at the top of the file).
    pub fn append(&mut self, line: &[u8], rec: &Record, file: &str, line_number: u64) {
        self.rows += 1;
        self.line_bytes += line.len();
        let parts = match self.request_slot {
            Some(slot) => {
                self.request.clear();
                match rec.raw_text(line, slot) {
                    Some((raw, escapes)) => {
                        decode_into(raw, escapes, &mut self.request);
                        split_request(&self.request)
                    }
                    None => None,
                }
            }
            None => None,
        };
        for (source, builder) in &mut self.columns {
            match source {
                ColumnSource::Slot(slot) => {
                    append_value(builder, &mut self.scratch, line, rec, *slot)
                }
                ColumnSource::Request(_, part) => {
                    let Builder::Str(b) = builder else {
                        unreachable!("request parts are text")
                    };
                    append_request_part(b, *part, &self.request, parts.as_ref());
                }
                ColumnSource::File => match builder {
                    Builder::Str(b) => b.append_value(file),
                    _ => unreachable!("_file is text"),
                },
                ColumnSource::Line => match builder {
                    Builder::I64(b) => b.append_value(line_number as i64),
                    _ => unreachable!("_line is an integer"),
                },
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
                    Builder::Str(b) => Arc::new(finish_text(b.finish())),
                    Builder::I32(b) => Arc::new(b.finish()),
                    Builder::I64(b) => Arc::new(b.finish()),
                    Builder::F64(b) => Arc::new(b.finish()),
                    Builder::Bool(b) => Arc::new(b.finish()),
                    Builder::Ts(b) => Arc::new(b.finish().with_timezone("UTC")),
                }
            })
            .collect();
        let options = RecordBatchOptions::new().with_row_count(Some(self.rows));
        (self.rows, self.line_bytes) = (0, 0);
        RecordBatch::try_new_with_options(self.schema.clone(), arrays, &options)
    }
}

fn new_builder(ty: FieldType, capacity: usize) -> Builder {
    match ty {
        FieldType::Text => Builder::Str(BinaryBuilder::with_capacity(capacity, capacity * 16)),
        FieldType::Int32 => Builder::I32(Int32Builder::with_capacity(capacity)),
        FieldType::Int64 => Builder::I64(Int64Builder::with_capacity(capacity)),
        FieldType::Float64 => Builder::F64(Float64Builder::with_capacity(capacity)),
        FieldType::Bool => Builder::Bool(BooleanBuilder::with_capacity(capacity)),
        FieldType::Timestamp => Builder::Ts(TimestampNanosecondBuilder::with_capacity(capacity)),
    }
}

/// Appends slot `slot`'s value. A value of another kind than the column (which a parser
/// never produces) becomes NULL rather than a panic.
#[inline]
fn append_value(
    builder: &mut Builder,
    scratch: &mut Vec<u8>,
    line: &[u8],
    rec: &Record,
    slot: usize,
) {
    let value = rec.values.get(slot).copied().unwrap_or(Value::Null);
    match builder {
        Builder::Str(b) => match rec.raw_text(line, slot) {
            Some((raw, crate::parse::record::Escapes::None)) => b.append_value(raw),
            Some((raw, escapes)) => {
                scratch.clear();
                decode_into(raw, escapes, scratch);
                b.append_value(&scratch);
            }
            None => b.append_null(),
        },
        Builder::I32(b) => match value {
            Value::Int(v) => b.append_option(i32::try_from(v).ok()),
            _ => b.append_null(),
        },
        Builder::I64(b) => match value {
            Value::Int(v) => b.append_value(v),
            _ => b.append_null(),
        },
        Builder::F64(b) => match value {
            Value::Float(v) => b.append_value(v),
            Value::Int(v) => b.append_value(v as f64),
            _ => b.append_null(),
        },
        Builder::Bool(b) => match value {
            Value::Bool(v) => b.append_value(v),
            _ => b.append_null(),
        },
        Builder::Ts(b) => match value {
            Value::Time(v) => b.append_value(v),
            _ => b.append_null(),
        },
    }
}

/// A batch's text column: its bytes checked as UTF-8 in one pass over the whole buffer (a
/// check per value was 8-11% of a query reading two text columns); in the rare batch that
/// holds invalid UTF-8, each bad value becomes U+FFFD (lossy), never an error.
fn finish_text(bytes: BinaryArray) -> StringArray {
    match StringArray::try_from_binary(bytes.clone()) {
        Ok(text) => text,
        Err(_) => bytes
            .iter()
            .map(|v| v.map(String::from_utf8_lossy))
            .collect(),
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
fn append_request_part(
    b: &mut BinaryBuilder,
    part: RequestPart,
    req: &[u8],
    parts: Option<&RequestParts>,
) {
    let Some(p) = parts else {
        b.append_null();
        return;
    };
    match p.span(part) {
        Some((a, z)) => b.append_value(&req[a..z]),
        None => b.append_null(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(values: &[Option<&[u8]>]) -> Vec<Option<String>> {
        let mut b = BinaryBuilder::new();
        for v in values {
            b.append_option(*v);
        }
        let text = finish_text(b.finish());
        text.iter().map(|v| v.map(str::to_string)).collect()
    }

    /// A batch is checked as a whole, yet each value keeps its own text: valid values (and
    /// NULLs) beside a bad one are untouched, and a character split across two values (whose
    /// bytes together are valid UTF-8) is two bad values, as it would be one at a time.
    #[test]
    fn text_is_checked_per_batch_but_repaired_per_value() {
        let ok: &[u8] = "café".as_bytes();
        assert_eq!(
            text(&[Some(ok), None, Some(b"x")]),
            [Some("café".into()), None, Some("x".into())]
        );
        assert_eq!(
            text(&[Some(ok), Some(b"bad\xff"), None, Some(b"y")]),
            [
                Some("café".into()),
                Some("bad\u{FFFD}".into()),
                None,
                Some("y".into())
            ]
        );
        assert_eq!(
            text(&[Some(b"a\xc3"), Some(b"\xa9b")]),
            [Some("a\u{FFFD}".into()), Some("\u{FFFD}b".into())]
        );
    }
}
