//! Running statements against the registered logs and printing their results.

use std::io::{self, Write};
use std::sync::Arc;

use anyhow::{Context, Result};
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::DFParser;
use futures::StreamExt;
use logsql::{register_table, rejects_name, FormatChoice, LogTable};

use super::args::{Cli, OutFormat};
use super::output::ResultWriter;

/// A session: the DataFusion context and the log table registered in it.
pub struct Session {
    pub ctx: SessionContext,
    pub table: Option<(String, Arc<LogTable>)>,
    pub out_format: OutFormat,
}

impl Session {
    pub fn new(cli: &Cli) -> Result<Self> {
        let mut config = SessionConfig::new().with_information_schema(true);
        if let Some(n) = cli.partitions {
            config = config.with_target_partitions(n.max(1));
        }
        let ctx = SessionContext::new_with_config(config);
        let table = if cli.paths.is_empty() {
            None
        } else {
            let choice: FormatChoice = cli.format.parse().map_err(anyhow::Error::msg)?;
            let table = Arc::new(LogTable::open(&cli.paths, choice)?);
            register_table(&ctx, &cli.table, table.clone())?;
            Some((cli.table.clone(), table))
        };
        Ok(Session { ctx, table, out_format: cli.out_format })
    }

    /// Runs every `;`-separated statement of `sql` in order, printing each result to `out`.
    /// Stops at the first failing statement.
    pub async fn run_sql(&self, sql: &str, out: &mut impl Write) -> Result<()> {
        let state = self.ctx.state();
        let statements = DFParser::parse_sql(sql).map_err(|e| anyhow::anyhow!("{e}"))?;
        if statements.is_empty() {
            anyhow::bail!("no SQL statement in {sql:?}");
        }
        for statement in statements {
            if let Some((_, table)) = &self.table {
                table.stats().reset();
            }
            let plan = state.statement_to_plan(statement).await?;
            let df = self.ctx.execute_logical_plan(plan).await?;
            let schema = Arc::new(df.schema().as_arrow().clone());
            let mut stream = df.execute_stream().await?;
            let mut writer = ResultWriter::new(self.out_format, &mut *out, schema.clone());
            let mut rows = 0;
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                rows += batch.num_rows();
                writer.write(&batch).context("writing the result")?;
            }
            writer.finish(rows, &schema).context("writing the result")?;
            self.report_rejects();
        }
        Ok(())
    }

    /// Tells on stderr how many lines the last statement skipped, and how to see them.
    fn report_rejects(&self) {
        let Some((name, table)) = &self.table else { return };
        let rejected = table.stats().rejected();
        if rejected > 0 {
            let _ = writeln!(
                io::stderr(),
                "logsql: skipped {rejected} line{} that did not parse as {}; see them with: SELECT * FROM {}",
                if rejected == 1 { "" } else { "s" },
                table.format().name(),
                rejects_name(name),
            );
        }
    }
}
