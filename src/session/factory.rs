//! `CREATE EXTERNAL TABLE name STORED AS LOG LOCATION 'path or glob' [OPTIONS (...)]`: a
//! session registers logs without leaving SQL (a script, the shell, any DataFusion client).
//!
//! DataFusion's factory returns one provider, registered under the statement's name; the
//! factory itself registers the rejects companion (`<name>_rejects`, or the `rejects` option)
//! in the same schema, so a SQL-made table has its rejects like any other.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider, TableProviderFactory};
use datafusion::common::TableReference;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::CreateExternalTable;

use crate::error::Error;
use crate::options::LogOptions;
use crate::parse::FormatRegistry;
use crate::table::RejectsTable;

/// The `LOG` table factory. Options (all optional): `'format'` (`auto`, `combined`,
/// `common`, ...), `'include'` (a glob on file names in directories), `'min_split_bytes'`,
/// `'rejects'` (the rejects table's name, or `none`).
#[derive(Debug, Default, Clone)]
pub struct LogTableFactory {
    /// Where `'format'` names are looked up (default: the built-in formats).
    registry: Option<Arc<FormatRegistry>>,
}

impl LogTableFactory {
    /// A factory whose `'format'` option also names, and detection also tries, the formats
    /// of `registry` (a user's format files).
    pub fn with_registry(registry: Arc<FormatRegistry>) -> Self {
        LogTableFactory {
            registry: Some(registry),
        }
    }
}

#[async_trait]
impl TableProviderFactory for LogTableFactory {
    async fn create(
        &self,
        state: &dyn Session,
        cmd: &CreateExternalTable,
    ) -> DfResult<Arc<dyn TableProvider>> {
        let context = format!("CREATE EXTERNAL TABLE {}", cmd.name);
        let fail = |e: Error| e.into_plan_error(&context);
        if !cmd.schema.fields().is_empty() {
            return Err(fail(Error::BadArguments(
                "a log table takes no column list: its columns come from the format".into(),
            )));
        }
        if !cmd.table_partition_cols.is_empty() {
            return Err(fail(Error::BadArguments(
                "a log table takes no PARTITIONED BY".into(),
            )));
        }
        let options = LogOptions::new()
            .registry(self.registry.clone())
            .with_map(&cmd.options)
            .map_err(fail)?;
        let paths: Vec<PathBuf> = cmd.locations.iter().map(PathBuf::from).collect();
        let table = Arc::new(options.open(&paths).map_err(fail)?);
        if let Some(rejects) = options.rejects_name_for(cmd.name.table()) {
            register_rejects(state, &cmd.name, &rejects, Arc::new(table.rejects_table()))
                .await
                .map_err(|e| DataFusionError::Plan(format!("{context}: {e}")))?;
        }
        Ok(table)
    }
}

/// Registers `rejects` as `name` beside `table` (same catalog and schema), replacing an
/// earlier rejects table of that name but no other kind of table.
async fn register_rejects(
    state: &dyn Session,
    table: &TableReference,
    name: &str,
    rejects: Arc<RejectsTable>,
) -> DfResult<()> {
    let defaults = &state.config().options().catalog;
    let resolved = table
        .clone()
        .resolve(&defaults.default_catalog, &defaults.default_schema);
    let schema = state
        .catalog_list()
        .catalog(&resolved.catalog)
        .and_then(|c| c.schema(&resolved.schema))
        .ok_or_else(|| {
            DataFusionError::Plan(format!(
                "no schema {}.{}",
                resolved.catalog, resolved.schema
            ))
        })?;
    if let Some(existing) = schema.table(name).await? {
        if existing.downcast_ref::<RejectsTable>().is_none() {
            return Err(DataFusionError::Plan(format!(
                "table '{name}' already exists and is not a rejects table; name the rejects with OPTIONS ('rejects' 'other_name') or ('rejects' 'none')"
            )));
        }
        schema.deregister_table(name)?;
    }
    schema.register_table(name.to_string(), rejects)?;
    Ok(())
}
