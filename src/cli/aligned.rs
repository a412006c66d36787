//! The aligned text table of results: the text arrow's `pretty_format_batches` draws (so
//! results read as they always have), drawn without building it cell by cell in memory.
//!
//! Arrow's printer first makes a `comfy_table` object of every cell: about 65 KB per row of an
//! access log (10,000 rows of `SELECT *` took 700 MB, a million rows exhausted the machine).
//! This one formats each cell twice, once to measure its column and once to write it, and
//! holds nothing but the batches and one reused string.

use std::fmt::Write as _;
use std::io::Write;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use unicode_width::UnicodeWidthStr;

/// Writes `batches` as one aligned table with whole cells, NULL spelled out as the shell
/// shows it (a blank cell is an empty string); a cell's line breaks start new lines inside
/// its row (query plans).
pub fn write_table(
    out: &mut impl Write,
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> Result<(), ArrowError> {
    if schema.fields().is_empty() {
        // No columns: arrow's printer draws nothing but its frame.
        writeln!(out, "++\n++\n++")?;
        return Ok(());
    }
    let options = FormatOptions::default().with_null("NULL");
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    // As arrow's printer: a column is as wide as its widest line, and at least 1.
    let mut widths: Vec<usize> = names
        .iter()
        .map(|n| n.split('\n').map(width).max().unwrap_or(0).max(1))
        .collect();
    for_each_row(batches, &options, |row| {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = cell.split('\n').map(width).fold(*w, usize::max);
        }
        Ok(())
    })?;
    let rule = rule(&widths);
    writeln!(out, "{rule}")?;
    write_row(out, &widths, &names, &[])?;
    writeln!(out, "{rule}")?;
    for_each_row(batches, &options, |row| write_row(out, &widths, row, &[]))?;
    writeln!(out, "{rule}")?;
    Ok(())
}

/// The line between a table's parts: `+-----+----+`.
pub fn rule(widths: &[usize]) -> String {
    widths.iter().fold(String::from("+"), |mut s, w| {
        s.extend(std::iter::repeat_n('-', w + 2));
        s.push('+');
        s
    })
}

/// One row: `| a | b |`, as many lines as its tallest cell; column `i` is aligned right
/// when `right[i]` says so.
pub fn write_row<W: Write + ?Sized>(
    out: &mut W,
    widths: &[usize],
    cells: &[impl AsRef<str>],
    right: &[bool],
) -> std::io::Result<()> {
    let height = cells
        .iter()
        .map(|c| c.as_ref().split('\n').count())
        .max()
        .unwrap_or(1);
    let mut lines: Vec<std::str::Split<'_, char>> =
        cells.iter().map(|c| c.as_ref().split('\n')).collect();
    for _ in 0..height {
        for (i, (line, w)) in lines.iter_mut().zip(widths).enumerate() {
            let text = line.next().unwrap_or("");
            if right.get(i).copied().unwrap_or(false) {
                write!(out, "| ")?;
                pad(out, w - width(text))?;
                write!(out, "{text} ")?;
            } else {
                write!(out, "| {text}")?;
                pad(out, w - width(text) + 1)?;
            }
        }
        writeln!(out, "|")?;
    }
    Ok(())
}

/// `n` spaces (a format width cannot exceed 65535, a cell can).
fn pad<W: Write + ?Sized>(out: &mut W, mut n: usize) -> std::io::Result<()> {
    const SPACES: &[u8; 64] = &[b' '; 64];
    while n > 0 {
        let k = n.min(SPACES.len());
        out.write_all(&SPACES[..k])?;
        n -= k;
    }
    Ok(())
}

/// Calls `f` with every row's cells as text, in one reused row of strings.
fn for_each_row(
    batches: &[RecordBatch],
    options: &FormatOptions,
    mut f: impl FnMut(&[String]) -> std::io::Result<()>,
) -> Result<(), ArrowError> {
    let mut row: Vec<String> = Vec::new();
    for batch in batches {
        let formatters = formatters(batch, options)?;
        row.resize(formatters.len(), String::new());
        for r in 0..batch.num_rows() {
            for (text, formatter) in row.iter_mut().zip(&formatters) {
                text.clear();
                write!(text, "{}", formatter.value(r))
                    .map_err(|e| ArrowError::ExternalError(e.into()))?;
            }
            f(&row)?;
        }
    }
    Ok(())
}

fn formatters<'a>(
    batch: &'a RecordBatch,
    options: &'a FormatOptions,
) -> Result<Vec<ArrayFormatter<'a>>, ArrowError> {
    batch
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), options))
        .collect()
}

/// Display columns, as the terminal (and arrow's printer) counts them.
pub fn width(text: &str) -> usize {
    text.width()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Int64Array, StringArray, TimestampNanosecondArray};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};

    use super::*;

    fn drawn(schema: &SchemaRef, batches: &[RecordBatch]) -> String {
        let mut out = Vec::new();
        write_table(&mut out, schema, batches).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// What arrow's printer draws: the reference this one must match.
    fn reference(batches: &[RecordBatch]) -> String {
        let options = FormatOptions::default().with_null("NULL");
        let table = arrow::util::pretty::pretty_format_batches_with_options(batches, &options);
        format!("{}\n", table.unwrap())
    }

    fn batch(texts: Vec<Option<&str>>, numbers: Vec<Option<i64>>) -> RecordBatch {
        let n = texts.len();
        let schema = Arc::new(Schema::new(vec![
            Field::new("uri", DataType::Utf8, true),
            Field::new("count(*)", DataType::Int64, true),
            Field::new(
                "ts",
                DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
                true,
            ),
        ]));
        let ts = TimestampNanosecondArray::from(
            (0..n as i64)
                .map(|i| Some(i * 1_000_000_007))
                .collect::<Vec<_>>(),
        )
        .with_timezone("UTC");
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(texts)),
            Arc::new(Int64Array::from(numbers)),
            Arc::new(ts),
        ];
        RecordBatch::try_new(schema, columns).unwrap()
    }

    /// The same text as arrow's printer: short and long cells, NULL and empty strings, wide
    /// and combining characters, line breaks inside cells, several batches, no rows.
    #[test]
    fn draws_what_arrows_printer_draws() {
        let cases = vec![
            vec![batch(vec![Some("/a")], vec![Some(1)])],
            vec![
                batch(
                    vec![Some("/index.html"), None, Some(""), Some("/caf\u{e9}")],
                    vec![Some(3_000_000), Some(-5), None, Some(0)],
                ),
                batch(
                    vec![
                        Some("/\u{65e5}\u{672c}\u{8a9e}"),
                        Some("e\u{301}t\u{e9}"),
                        Some("plan:\n  scan\n    filter"),
                    ],
                    vec![Some(7), Some(8), Some(9)],
                ),
            ],
            vec![batch(vec![], vec![])],
            vec![batch(vec![Some("a\n\nb"), Some("\n")], vec![None, Some(1)])],
            vec![batch(vec![Some(""), Some("")], vec![None, None])],
            vec![batch(
                vec![
                    Some("tab\there"),
                    Some("cr\r\n"),
                    Some("\u{1b}[1mbold"),
                    Some("nul\0"),
                ],
                vec![None; 4],
            )],
        ];
        for batches in cases {
            let schema = batches[0].schema();
            assert_eq!(drawn(&schema, &batches), reference(&batches), "{batches:?}");
        }
    }

    /// A cell wider than a format width can be (65535) is padded all the same.
    #[test]
    fn cells_wider_than_a_format_width() {
        let wide = "w".repeat(70_000);
        let b = batch(vec![Some(&wide), Some("short")], vec![Some(1), Some(2)]);
        let text = drawn(&b.schema(), &[b]);
        let lines: Vec<usize> = text.lines().map(str::len).collect();
        assert!(lines.iter().all(|&n| n == lines[0]), "{lines:?}");
        assert!(lines[0] > 70_000);
    }

    /// Names with line breaks, and empty names over empty cells (at least 1 wide).
    #[test]
    fn odd_names_as_arrows_printer_draws_them() {
        for names in [["a\nb", "x\nyy\nz"], ["", ""]] {
            let schema = Arc::new(Schema::new(vec![
                Field::new(names[0], DataType::Utf8, true),
                Field::new(names[1], DataType::Int64, true),
            ]));
            let columns: Vec<ArrayRef> = vec![
                Arc::new(StringArray::from(vec![Some(""), None])),
                Arc::new(Int64Array::from(vec![Some(1), None])),
            ];
            let b = RecordBatch::try_new(schema.clone(), columns).unwrap();
            assert_eq!(drawn(&schema, std::slice::from_ref(&b)), reference(&[b]));
            let empty = RecordBatch::new_empty(schema.clone());
            assert_eq!(
                drawn(&schema, std::slice::from_ref(&empty)),
                reference(&[empty])
            );
        }
    }

    #[test]
    fn no_columns_draws_the_empty_frame() {
        let schema = Arc::new(Schema::empty());
        let empty = RecordBatch::new_empty(schema.clone());
        assert_eq!(
            drawn(&schema, std::slice::from_ref(&empty)),
            reference(&[empty])
        );
    }
}
