//! Printing query results: a readable table, CSV, TSV, JSON, NDJSON or Markdown.
//!
//! Everything but the table streams batch by batch, so a large result is written in constant
//! memory; the table needs every row to align its columns, so a result larger than
//! [`TABLE_BLOCK_BYTES`] is drawn as consecutive tables, each aligned on its own.

use std::io::Write;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::json::writer::{
    JsonArray, LineDelimited, Writer as JsonWriter, WriterBuilder as JsonWriterBuilder,
};

use super::aligned::write_table;
use super::args::OutFormat;

/// How much of a result one aligned table holds (as Arrow data); more starts another table.
pub const TABLE_BLOCK_BYTES: usize = 64 * 1024 * 1024;

/// A sink for the batches of one result.
#[allow(clippy::large_enum_variant)] // one per statement; boxing buys nothing
pub enum ResultWriter<W: Write> {
    Table {
        out: W,
        batches: Vec<RecordBatch>,
        schema: SchemaRef,
        /// Arrow bytes in `batches`.
        buffered: usize,
        /// Whether a block has been drawn already.
        drawn: bool,
    },
    Markdown {
        out: W,
        schema: SchemaRef,
        header_written: bool,
    },
    Csv(arrow::csv::Writer<W>),
    JsonArray(JsonWriter<W, JsonArray>),
    Ndjson(JsonWriter<W, LineDelimited>),
}

impl<W: Write> ResultWriter<W> {
    pub fn new(format: OutFormat, out: W, schema: SchemaRef) -> Self {
        let csv = |delimiter, out| {
            arrow::csv::WriterBuilder::new()
                .with_header(true)
                .with_delimiter(delimiter)
                .build(out)
        };
        let json = || JsonWriterBuilder::new().with_explicit_nulls(true);
        match format {
            // Parquet is binary: it is written by `export`, never to a text stream.
            OutFormat::Table | OutFormat::Parquet => ResultWriter::Table {
                out,
                batches: Vec::new(),
                schema,
                buffered: 0,
                drawn: false,
            },
            OutFormat::Csv => ResultWriter::Csv(csv(b',', out)),
            OutFormat::Tsv => ResultWriter::Csv(csv(b'\t', out)),
            OutFormat::Json => ResultWriter::JsonArray(json().build::<_, JsonArray>(out)),
            OutFormat::Ndjson => ResultWriter::Ndjson(json().build::<_, LineDelimited>(out)),
            OutFormat::Markdown => ResultWriter::Markdown {
                out,
                schema,
                header_written: false,
            },
        }
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), ArrowError> {
        match self {
            ResultWriter::Table {
                out,
                batches,
                schema,
                buffered,
                drawn,
            } => {
                batches.push(batch.clone());
                *buffered += held_bytes(batch);
                if *buffered >= TABLE_BLOCK_BYTES {
                    write_table(out, schema, batches)?;
                    batches.clear();
                    (*buffered, *drawn) = (0, true);
                }
                Ok(())
            }
            ResultWriter::Markdown {
                out,
                schema,
                header_written,
            } => {
                if !std::mem::replace(header_written, true) {
                    write_markdown_header(out, schema)?;
                }
                write_markdown_rows(out, std::slice::from_ref(batch))
            }
            ResultWriter::Csv(w) => w.write(batch),
            ResultWriter::JsonArray(w) => w.write(batch),
            ResultWriter::Ndjson(w) => w.write(batch),
        }
    }

    /// Writes what is buffered (and a header for an empty CSV result) and flushes.
    pub fn finish(self, rows: usize, schema: &SchemaRef) -> Result<(), ArrowError> {
        match self {
            ResultWriter::Table {
                mut out,
                batches,
                schema,
                drawn,
                ..
            } => {
                if !batches.is_empty() || !drawn {
                    write_table(&mut out, &schema, &batches)?;
                }
                out.flush()?;
                Ok(())
            }
            ResultWriter::Markdown {
                mut out,
                schema,
                header_written,
            } => {
                if !header_written {
                    write_markdown_header(&mut out, &schema)?;
                }
                out.flush()?;
                Ok(())
            }
            ResultWriter::Csv(mut w) => {
                if rows == 0 {
                    w.write(&RecordBatch::new_empty(schema.clone()))?;
                }
                let mut out = w.into_inner();
                out.flush()?;
                Ok(())
            }
            ResultWriter::JsonArray(mut w) => {
                w.finish()?;
                let mut out = w.into_inner();
                // Ends the array's line: the next statement's array, or a prompt, goes below.
                writeln!(out)?;
                out.flush()?;
                Ok(())
            }
            ResultWriter::Ndjson(mut w) => {
                w.finish()?;
                let mut out = w.into_inner();
                out.flush()?;
                Ok(())
            }
        }
    }
}

/// The bytes of the rows `batch` holds: an aggregate hands out its result as slices of one
/// large batch, each of which `get_array_memory_size` counts whole.
fn held_bytes(batch: &RecordBatch) -> usize {
    batch
        .columns()
        .iter()
        .map(|c| c.to_data().get_slice_memory_size().unwrap_or(0))
        .sum()
}

/// Writes `batches` as a Markdown table: `|` escaped, line breaks as spaces, nulls empty,
/// numbers right-aligned.
pub fn write_markdown(
    out: &mut impl Write,
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> Result<(), ArrowError> {
    write_markdown_header(out, schema)?;
    write_markdown_rows(out, batches)
}

fn markdown_cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn write_markdown_header(out: &mut impl Write, schema: &SchemaRef) -> Result<(), ArrowError> {
    let names: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| markdown_cell(f.name()))
        .collect();
    writeln!(out, "| {} |", names.join(" | "))?;
    let rules: Vec<&str> = schema
        .fields()
        .iter()
        .map(|f| {
            if f.data_type().is_numeric() {
                "---:"
            } else {
                "---"
            }
        })
        .collect();
    writeln!(out, "| {} |", rules.join(" | "))?;
    Ok(())
}

fn write_markdown_rows(out: &mut impl Write, batches: &[RecordBatch]) -> Result<(), ArrowError> {
    for row in super::text::formatted_rows(batches)? {
        let cells: Vec<String> = row
            .iter()
            .map(|v| markdown_cell(v.as_deref().unwrap_or_default()))
            .collect();
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    Ok(())
}
