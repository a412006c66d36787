//! A format defined in code: a format file's text (what users keep in
//! `~/.config/logsql/formats/*.toml`) added to the registry, its sample lines checked, and the
//! bundled log read with it.
//!
//!     cargo run --example custom_format [PATH]
//!
//! The format is a regex with named groups: only the fields this program cares about become
//! columns, with the types it asks for.

use std::path::PathBuf;
use std::sync::Arc;

use arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::SessionContext;
use logsql::{register_table, FormatChoice, FormatRegistry, LogTable};

const FORMAT_FILE: &str = r#"
name = "access_lite"
description = "client, hour and status of an access log line, nothing else"
definition = 'regex:^(?P<client>\S+) \S+ .*? \[(?P<ts>[^\]]+)\] "(?P<request>(?:[^"\\]|\\.)*)" (?P<status>\d{3}) '
time_format = "%d/%b/%Y:%H:%M:%S %z"
[types]
status = "int32"

[[sample]]
line = '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326'
[sample.expect]
client = "127.0.0.1"
ts = "2000-10-10T20:55:36Z"
method = "GET"
path = "/apache_pb.gif"
status = 200
"#;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/access.log"));

    // The built-in formats plus ours, defined the same way they are.
    let mut registry = FormatRegistry::builtin().clone();
    registry.add_file_text(FORMAT_FILE, "custom_format.rs")?;
    let failures = registry.check_samples();
    println!(
        "format samples checked: {}, failed: {}",
        registry.sample_count(),
        failures.len()
    );
    let format = registry.get("access_lite").expect("just added").clone();
    let columns: Vec<String> = format
        .columns()
        .iter()
        .map(|c| format!("{} {}", c.name, c.ty.name()))
        .collect();
    println!("columns: {}", columns.join(", "));

    let files = logsql::source::find_log_files(
        std::slice::from_ref(&path),
        &logsql::source::DirFilter::default(),
    )?
    .files;
    let table = LogTable::from_files_with(files, FormatChoice::Fixed(format), &registry)?;
    let ctx = SessionContext::new();
    register_table(&ctx, "logs", Arc::new(table))?;

    let errors = ctx
        .sql(
            "SELECT method, count(*) AS errors FROM logs WHERE status >= 500 \
             GROUP BY method ORDER BY errors DESC, method",
        )
        .await?
        .collect()
        .await?;
    println!(
        "server errors by method:\n{}",
        pretty_format_batches(&errors)?
    );
    let rejected = ctx
        .sql("SELECT count(*) AS n FROM logs_rejects")
        .await?
        .collect()
        .await?;
    println!(
        "lines the format did not match:\n{}",
        pretty_format_batches(&rejected)?
    );
    Ok(())
}
