//! The shell's table printer: like Arrow's pretty tables, but long cells are cut with `…` so a
//! `user_agent` column cannot wrap every row, numbers are right-aligned and NULL is visible.

use std::io::Write;

use crate::cli::aligned::{rule, width, write_row};
use crate::cli::text::formatted_rows;
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;

/// Cells wider than this (in terminal columns) are cut.
pub const MAX_CELL: usize = 60;

/// Cuts `s` to at most `max` columns of a terminal, ending with `…` when cut; line breaks
/// become `↵`.
pub fn truncate(s: &str, max: usize) -> String {
    let s = if s.contains(['\n', '\r']) {
        s.replace("\r\n", "↵").replace(['\n', '\r'], "↵")
    } else {
        s.to_string()
    };
    if width(&s) <= max {
        return s;
    }
    // The longest prefix that fits beside the `…`, measured as the whole is (emoji
    // sequences and control characters are wider as a string than char by char).
    // (Bounded: a prefix of `max` columns is a few characters a column.)
    let end = s
        .char_indices()
        .take(4 * max)
        .map(|(i, c)| i + c.len_utf8())
        .take_while(|&end| width(&s[..end]) < max)
        .last()
        .unwrap_or(0);
    let mut cut = s[..end].to_string();
    cut.push('…');
    cut
}

/// Writes an aligned, boxed table of `batches`.
pub fn write_table(
    out: &mut dyn Write,
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> Result<(), ArrowError> {
    let header: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| truncate(f.name(), MAX_CELL))
        .collect();
    let right: Vec<bool> = schema
        .fields()
        .iter()
        .map(|f| f.data_type().is_numeric())
        .collect();
    let rows: Vec<Vec<String>> = formatted_rows(batches)?
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|c| truncate(c.as_deref().unwrap_or("NULL"), MAX_CELL))
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let rule = rule(&widths);
    writeln!(out, "{rule}")?;
    write_row(out, &widths, &header, &[])?;
    writeln!(out, "{rule}")?;
    for row in &rows {
        write_row(out, &widths, row, &right)?;
    }
    if !rows.is_empty() {
        writeln!(out, "{rule}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    #[test]
    fn cuts_long_cells_and_aligns() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("abcdefgh", 5), "abcd…");
        assert_eq!(truncate("a\nb", 5), "a↵b");
        // Terminal columns: wide characters take two, combining marks none.
        assert_eq!(truncate("日本語ページ", 7), "日本語…");
        assert_eq!(truncate("e\u{301}te\u{301}", 3), "e\u{301}te\u{301}");
        let hearts = "\u{2764}\u{fe0f}".repeat(40);
        assert!(width(&truncate(&hearts, 60)) <= 60);
        assert!(width(&truncate(&"\u{1b}".repeat(70), 60)) <= 60);
        let schema = Arc::new(Schema::new(vec![
            Field::new("ua", DataType::Utf8, true),
            Field::new("n", DataType::Int64, false),
        ]));
        let long = "x".repeat(100);
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec![Some(long.as_str()), None])),
                Arc::new(Int64Array::from(vec![5, 12345])),
            ],
        )
        .unwrap();
        let mut out = Vec::new();
        write_table(&mut out, &schema, &[batch]).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(&format!("{}…", "x".repeat(MAX_CELL - 1))),
            "{text}"
        );
        assert!(text.contains("| NULL"), "{text}");
        assert!(text.contains("|     5 |"), "{text}");
        // Rows line up by display width: every line of the table is as wide as the rule.
        let schema = Arc::new(Schema::new(vec![Field::new("uri", DataType::Utf8, true)]));
        let uris = StringArray::from(vec!["/日本語/ページ", "/e\u{301}x", "/plain"]);
        let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(uris)]).unwrap();
        let mut out = Vec::new();
        write_table(&mut out, &schema, &[batch]).unwrap();
        let text = String::from_utf8(out).unwrap();
        let widths: Vec<usize> = text.lines().map(width).collect();
        assert!(widths.iter().all(|&w| w == widths[0]), "{widths:?} {text}");
    }
}
