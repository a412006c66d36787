//! The `logsql` command line: arguments, running statements, printing results.

pub mod aligned;
pub mod args;
pub mod exit;
pub mod export;
pub mod follow;
pub mod formats;
pub mod interrupt;
pub mod memory;
pub mod output;
pub mod repl;
pub mod report;
pub mod run;
pub mod saved;
pub mod text;

/// Whether `e` is the reader of our output going away (`logsql ... | head`): the end of the
/// answer, not a failure. Arrow's CSV writer keeps only the message of the I/O error.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == BrokenPipe)
            || c.downcast_ref::<arrow::error::ArrowError>()
                .is_some_and(|a| match a {
                    arrow::error::ArrowError::IoError(_, io) => io.kind() == BrokenPipe,
                    arrow::error::ArrowError::CsvError(text) => text.contains("Broken pipe"),
                    _ => false,
                })
    })
}

/// An error as one line: the chain of causes without the repetitions DataFusion's nested
/// errors produce, and the gist of its long memory-pool reports.
pub fn error_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = without_framing(&cause.to_string().replace('\n', " "));
        let text = text.trim();
        if text.is_empty() || line.contains(text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(text);
    }
    shorten_memory_report(&line)
}

/// A DataFusion message without the layers it was passed through, which say nothing to a
/// user: `Optimizer rule 'simplify_expressions' failed caused by Arrow error: Parser error:
/// ...` is `Parser error: ...`; `SQL error: ParserError("Expected: ...")` is `SQL error:
/// Expected: ...`; `table 'datafusion.public.logz'` is `table 'logz'`.
fn without_framing(message: &str) -> String {
    let mut text = message.to_string();
    while let Some(at) = text.find("Optimizer rule '") {
        let Some(len) = text[at..].find(" failed caused by ") else {
            break;
        };
        text.replace_range(at..at + len + " failed caused by ".len(), "");
    }
    for layer in [
        "External error: ",
        "Arrow error: ",
        "Error during planning: ",
    ] {
        text = text.replace(layer, "");
    }
    if let Some(at) = text.find("ParserError(\"") {
        if let Some(inner) = text[at + 13..].strip_suffix("\")") {
            let inner = inner.replace("\\\"", "\"");
            text.replace_range(at.., &inner);
        }
    }
    text.replace("'datafusion.public.", "'")
}

fn shorten_memory_report(message: &str) -> String {
    match (
        message.find("Resources exhausted"),
        message.rfind("Failed to allocate"),
    ) {
        (Some(_), Some(at)) => {
            let detail = &message[at..];
            let detail = detail.split(" with ").next().unwrap_or(detail);
            format!("the query needs more memory than --memory-limit allows ({detail})")
        }
        _ => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::without_framing;

    #[test]
    fn datafusion_framing_is_dropped() {
        for (raw, plain) in [
            (
                "Optimizer rule 'simplify_expressions' failed caused by Arrow error: Parser error: Error parsing timestamp from 'yesterday'",
                "Parser error: Error parsing timestamp from 'yesterday'",
            ),
            (
                "SQL error: ParserError(\"Expected: an SQL statement, found: SELEC at Line: 1, Column: 1\")",
                "SQL error: Expected: an SQL statement, found: SELEC at Line: 1, Column: 1",
            ),
            (
                "Error during planning: table 'datafusion.public.logz' not found",
                "table 'logz' not found",
            ),
            (
                "Optimizer rule 'eliminate_limit' failed caused by Error during planning: LIMIT must be >= 0, '-1' was provided",
                "LIMIT must be >= 0, '-1' was provided",
            ),
            ("External error: a.log: No such file", "a.log: No such file"),
            ("no framing here", "no framing here"),
        ] {
            assert_eq!(without_framing(raw), plain);
        }
    }
}
