//! The log functions from SQL: top browsers, bots against humans, clients in a network.
//!
//!     cargo run --example udf [PATH [CIDR]]
//!
//! Reads the bundled `examples/access.log` unless given a path; the network defaults to
//! `66.0.0.0/8`.

use arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::SessionContext;

async fn show(ctx: &SessionContext, title: &str, sql: &str) -> datafusion::error::Result<()> {
    let batches = ctx.sql(sql).await?.collect().await?;
    println!("{title}:\n{}", pretty_format_batches(&batches)?);
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/examples/access.log").to_string());
    let cidr = args.next().unwrap_or_else(|| "66.0.0.0/8".to_string());
    let quoted = |s: &str| format!("'{}'", s.replace('\'', "''"));

    // A context with read_log, CREATE EXTERNAL TABLE ... STORED AS LOG and the functions.
    let ctx = logsql::new_context();
    ctx.sql(&format!(
        "CREATE EXTERNAL TABLE access STORED AS LOG LOCATION {}",
        quoted(&path)
    ))
    .await?;

    show(
        &ctx,
        "top browsers",
        "SELECT coalesce(ua_browser(user_agent), '(unknown)') AS browser, count(*) AS hits \
         FROM access GROUP BY browser ORDER BY hits DESC, browser",
    )
    .await?;

    show(
        &ctx,
        "bots vs humans",
        "SELECT CASE WHEN user_agent IS NULL THEN 'no user agent' \
                     WHEN is_bot(user_agent) THEN 'bot' ELSE 'human' END AS kind, \
                count(*) AS hits, \
                sum(CASE WHEN status_class(status) = '4xx' THEN 1 ELSE 0 END) AS client_errors \
         FROM access GROUP BY kind ORDER BY kind",
    )
    .await?;

    // read_log reads a file inside the query, no registration needed.
    show(
        &ctx,
        &format!("clients in {cidr}"),
        &format!(
            "SELECT client, count(*) AS hits FROM read_log({}) \
             WHERE cidr_contains(client, {}) GROUP BY client ORDER BY hits DESC, client",
            quoted(&path),
            quoted(&cidr)
        ),
    )
    .await?;
    Ok(())
}
