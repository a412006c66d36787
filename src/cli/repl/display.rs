//! The shell's table printer: like Arrow's pretty tables, but long cells are cut with `…` so a
//! `user_agent` column cannot wrap every row, numbers are right-aligned and NULL is visible.

use std::io::Write;

use crate::cli::text::formatted_rows;
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;

/// Cells longer than this (in characters) are cut.
pub const MAX_CELL: usize = 60;

/// Cuts `s` to at most `max` characters, ending with `…` when cut; line breaks become `↵`.
pub fn truncate(s: &str, max: usize) -> String {
    let s = if s.contains(['\n', '\r']) {
        s.replace("\r\n", "↵").replace(['\n', '\r'], "↵")
    } else {
        s.to_string()
    };
    if s.chars().count() <= max {
        return s;
    }
    let mut cut: String = s.chars().take(max.saturating_sub(1)).collect();
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
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let rule: String = widths
        .iter()
        .map(|w| format!("+{}", "-".repeat(w + 2)))
        .collect::<String>()
        + "+";
    let line = |out: &mut dyn Write,
                cells: &[String],
                align: &dyn Fn(usize) -> bool|
     -> std::io::Result<()> {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            let pad = " ".repeat(w - cell.chars().count());
            if align(i) {
                s.push_str(&format!("| {pad}{cell} "));
            } else {
                s.push_str(&format!("| {cell}{pad} "));
            }
        }
        writeln!(out, "{s}|")
    };
    writeln!(out, "{rule}")?;
    line(out, &header, &|_| false)?;
    writeln!(out, "{rule}")?;
    for row in &rows {
        line(out, row, &|i| right[i])?;
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
    }
}
