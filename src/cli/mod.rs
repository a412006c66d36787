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
        let text = cause.to_string().replace('\n', " ");
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
