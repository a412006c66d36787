//! Arrow schemas of log tables: a format's columns, plus the hidden `_file` and `_line`.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::parse::{ColumnSpec, FieldType, Format};

/// The Arrow type of a field type.
pub fn arrow_type(ty: FieldType) -> DataType {
    match ty {
        FieldType::Text => DataType::Utf8,
        FieldType::Int32 => DataType::Int32,
        FieldType::Int64 => DataType::Int64,
        FieldType::Float64 => DataType::Float64,
        FieldType::Bool => DataType::Boolean,
        FieldType::Timestamp => timestamp_type(),
    }
}

/// The Arrow field of a column.
pub fn arrow_field(column: &ColumnSpec) -> Field {
    Field::new(&column.name, arrow_type(column.ty), column.nullable)
}

/// Timestamps are UTC instants with nanosecond precision (DataFusion's default unit).
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
}

/// The Arrow schema of `columns`, in order.
pub fn schema_of_columns(columns: &[ColumnSpec]) -> SchemaRef {
    Arc::new(Schema::new(
        columns.iter().map(arrow_field).collect::<Vec<_>>(),
    ))
}

/// The Arrow schema of a table of `format`: its columns, then `_file` and `_line`.
pub fn schema_of(format: &Format) -> SchemaRef {
    schema_of_columns(&format.all_columns())
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
