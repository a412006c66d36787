//! Embedding logsql: register a log file in your own DataFusion session and query it.
//!
//!     cargo run --example embed [PATH]
//!
//! Reads the bundled `examples/access.log` unless given a path.

use std::path::PathBuf;

use arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::SessionContext;
use logsql::{FormatChoice, LogOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/access.log"));

    // Any SessionContext will do: logsql adds a table to it, nothing else.
    let ctx = SessionContext::new();
    let table = LogOptions::new().format(FormatChoice::Auto).register(
        &ctx,
        "logs",
        std::slice::from_ref(&path),
    )?;
    println!(
        "registered {} as logs ({}, {} file)",
        path.display(),
        table.format().name(),
        table.files().len()
    );

    let rows = ctx.table("logs").await?.count().await?;
    println!("rows: {rows}");
    // The scan just run counted the lines that did not parse; they are in logs_rejects.
    println!("rejected lines: {}", table.stats().rejected());

    let top = ctx
        .sql(
            "SELECT status, count(*) AS hits, sum(bytes) AS bytes \
             FROM logs GROUP BY status ORDER BY hits DESC, status LIMIT 5",
        )
        .await?
        .collect()
        .await?;
    println!("top statuses:\n{}", pretty_format_batches(&top)?);

    let rejects = ctx
        .sql("SELECT line_number, reason FROM logs_rejects ORDER BY line_number LIMIT 3")
        .await?
        .collect()
        .await?;
    println!(
        "first rejected lines:\n{}",
        pretty_format_batches(&rejects)?
    );
    Ok(())
}
