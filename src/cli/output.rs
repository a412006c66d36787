//! Printing query results: a readable table, CSV, TSV, JSON, NDJSON or Markdown.
//!
//! Everything but the table streams batch by batch, so a large result is written in constant
//! memory; the table needs every row to align its columns.

use std::io::Write;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::json::writer::{
    JsonArray, LineDelimited, Writer as JsonWriter, WriterBuilder as JsonWriterBuilder,
};

use super::args::OutFormat;

/// A sink for the batches of one result.
#[allow(clippy::large_enum_variant)] // one per statement; boxing buys nothing
pub enum ResultWriter<W: Write> {
    Table {
        out: W,
        batches: Vec<RecordBatch>,
        schema: SchemaRef,
    },
    Markdown {
        out: W,
        batches: Vec<RecordBatch>,
        schema: SchemaRef,
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
            },
            OutFormat::Csv => ResultWriter::Csv(csv(b',', out)),
            OutFormat::Tsv => ResultWriter::Csv(csv(b'\t', out)),
            OutFormat::Json => ResultWriter::JsonArray(json().build::<_, JsonArray>(out)),
            OutFormat::Ndjson => ResultWriter::Ndjson(json().build::<_, LineDelimited>(out)),
            OutFormat::Markdown => ResultWriter::Markdown {
                out,
                batches: Vec::new(),
                schema,
            },
        }
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), ArrowError> {
        match self {
            ResultWriter::Table { batches, .. } | ResultWriter::Markdown { batches, .. } => {
                batches.push(batch.clone());
                Ok(())
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
                mut batches,
                schema,
            } => {
                if batches.is_empty() {
                    batches.push(RecordBatch::new_empty(schema));
                }
                let table = pretty_table(&batches)?;
                writeln!(out, "{table}")?;
                out.flush()?;
                Ok(())
            }
            ResultWriter::Markdown {
                mut out,
                batches,
                schema,
            } => {
                write_markdown(&mut out, &schema, &batches)?;
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

/// `batches` as an aligned table with whole cells, NULL spelled out as the shell shows it (a
/// blank cell is an empty string).
pub fn pretty_table(batches: &[RecordBatch]) -> Result<impl std::fmt::Display, ArrowError> {
    let options = arrow::util::display::FormatOptions::default().with_null("NULL");
    arrow::util::pretty::pretty_format_batches_with_options(batches, &options)
}

/// Writes `batches` as a Markdown table: `|` escaped, line breaks as spaces, nulls empty,
/// numbers right-aligned.
pub fn write_markdown(
    out: &mut impl Write,
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> Result<(), ArrowError> {
    let cell = |s: &str| s.replace('|', "\\|").replace(['\n', '\r'], " ");
    let names: Vec<String> = schema.fields().iter().map(|f| cell(f.name())).collect();
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
    for row in super::text::formatted_rows(batches)? {
        let cells: Vec<String> = row
            .iter()
            .map(|v| cell(v.as_deref().unwrap_or_default()))
            .collect();
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    Ok(())
}
