//! Incremental aggregates: each refresh aggregates only the rows that arrived since the last
//! one and merges the result into a small state, so neither the file nor old rows are read
//! again and memory holds one row per group, not per line.
//!
//! The statement's optimized plan is cut at its aggregate:
//! - the **partial** plan is the aggregate itself with its scan of the log table replaced by a
//!   scan of the new rows;
//! - the **state** holds the aggregate's output so far; new partial rows are merged into it by
//!   grouping on the same keys again with each aggregate's merge function (count and sum
//!   add up, min and max take the min and max);
//! - the **final** plan is the statement with its aggregate replaced by a scan of the state
//!   (re-qualified so the operators above — HAVING, ORDER BY, LIMIT, expressions over the
//!   aggregates — see exactly the columns they were planned against).
//!
//! This holds for one aggregate whose input is filters and projections of the log table and
//! whose functions are count, sum, min or max without DISTINCT. Anything else (avg, count
//! DISTINCT, nested aggregates, window functions, top-N without GROUP BY) is refreshed by
//! re-running the statement over the rows kept so far (see the parent module).

use std::sync::Arc;

use anyhow::{anyhow, Result};
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::catalog::memory::PartitionData;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, TableReference};
use datafusion::datasource::{provider_as_source, MemTable};
use datafusion::functions_aggregate::expr_fn::{max, min, sum};
use datafusion::logical_expr::{cast, Expr, LogicalPlan, LogicalPlanBuilder};
use datafusion::prelude::SessionContext;

/// The name the state is scanned under in the final plan (never seen by users).
const STATE: &str = "__logsql_follow_state";

/// How one aggregate column of the state merges with new partial rows.
#[derive(Debug, Clone, Copy)]
enum Merge {
    Sum,
    Min,
    Max,
}

/// A decomposed aggregate and its state.
pub struct Incremental {
    partial: LogicalPlan,
    last: LogicalPlan,
    /// What the partial plan scans: the rows of one refresh.
    delta: PartitionData,
    state: PartitionData,
    schema: SchemaRef,
    /// The number of group columns (first in the schema).
    groups: usize,
    /// The aggregate's GROUP BY expressions (the state's first columns).
    group_exprs: Vec<Expr>,
    merges: Vec<Merge>,
}

impl Incremental {
    /// Decomposes `plan`'s aggregate over log table `table`, whose rows arrive with the
    /// columns `needed` (indices into the table's schema) as `kept`. `None` when the plan is
    /// not one mergeable aggregate.
    pub fn new(
        plan: &LogicalPlan,
        table: &str,
        needed: &[usize],
        kept: SchemaRef,
    ) -> Result<Option<Incremental>> {
        let Some((aggregate, merges, groups)) = mergeable_aggregate(plan, table)? else {
            return Ok(None);
        };
        let group_exprs = match &aggregate {
            LogicalPlan::Aggregate(agg) => agg.group_expr.clone(),
            _ => Vec::new(),
        };
        let delta_table = MemTable::try_new(kept, vec![Vec::new()])?;
        let delta = delta_table.batches[0].clone();
        let delta_source = provider_as_source(Arc::new(delta_table));
        // The aggregate, reading the new rows instead of the log table (whose pushed filters
        // were applied as the rows were read).
        let partial = over_rows(&aggregate, table, needed, delta_source)?;
        let schema: SchemaRef = Arc::new(aggregate.schema().as_arrow().clone());
        let state_table = MemTable::try_new(schema.clone(), vec![Vec::new()])?;
        let state = state_table.batches[0].clone();
        // The state, re-qualified as the aggregate's output was.
        let scan =
            LogicalPlanBuilder::scan(STATE, provider_as_source(Arc::new(state_table)), None)?;
        let exprs: Vec<Expr> = aggregate
            .schema()
            .iter()
            .map(|(qualifier, field)| {
                Expr::Column(Column::new(Some(TableReference::bare(STATE)), field.name()))
                    .alias_qualified(qualifier.cloned(), field.name())
            })
            .collect();
        let replacement = scan.project(exprs)?.build()?;
        let last = plan
            .clone()
            .transform_up(|node| match node {
                LogicalPlan::Aggregate(_) => Ok(Transformed::yes(replacement.clone())),
                other => Ok(Transformed::no(other)),
            })?
            .data;
        Ok(Some(Incremental {
            partial,
            last,
            delta,
            state,
            schema,
            groups,
            group_exprs,
            merges,
        }))
    }

    /// Aggregates `rows` (the rows that arrived since the last call), merges them into the
    /// state, and returns the statement's result over the state.
    pub async fn refresh(
        &self,
        ctx: &SessionContext,
        rows: Vec<RecordBatch>,
    ) -> Result<Vec<RecordBatch>> {
        if !rows.is_empty() {
            *self.delta.write().await = rows;
            let partial = ctx
                .execute_logical_plan(self.partial.clone())
                .await?
                .collect()
                .await;
            self.delta.write().await.clear();
            let partial = self.conform(partial?)?;
            let old = std::mem::take(&mut *self.state.write().await);
            let merged = if old.is_empty() {
                partial
            } else {
                self.merge(ctx, old.into_iter().chain(partial).collect())
                    .await?
            };
            *self.state.write().await = merged;
        }
        Ok(ctx
            .execute_logical_plan(self.last.clone())
            .await?
            .collect()
            .await?)
    }

    /// The state column holding GROUP BY key `expr`, if it is one.
    pub fn group_column(&self, expr: &Expr) -> Option<usize> {
        self.group_exprs.iter().position(|e| e == expr)
    }

    /// Forgets the groups whose `column` (a timestamp) is before `open`: windows printed
    /// and closed. Rows arriving late for them start a group that is never printed.
    pub async fn forget_before(&self, column: usize, open: i64) -> Result<()> {
        super::keep_from(&mut *self.state.write().await, column, open)
    }

    /// Groups state and partial rows together again, merging each aggregate column.
    async fn merge(
        &self,
        ctx: &SessionContext,
        batches: Vec<RecordBatch>,
    ) -> Result<Vec<RecordBatch>> {
        let name = |i: usize| self.schema.field(i).name().clone();
        let column = |i: usize| Expr::Column(Column::from_name(name(i)));
        let keys: Vec<Expr> = (0..self.groups).map(column).collect();
        let aggs: Vec<Expr> = self
            .merges
            .iter()
            .enumerate()
            .map(|(k, merge)| {
                let i = self.groups + k;
                let merged = match merge {
                    Merge::Sum => sum(column(i)),
                    Merge::Min => min(column(i)),
                    Merge::Max => max(column(i)),
                };
                merged.alias(name(i))
            })
            .collect();
        let typed: Vec<Expr> = (0..self.schema.fields().len())
            .map(|i| cast(column(i), self.schema.field(i).data_type().clone()).alias(name(i)))
            .collect();
        let merged = ctx
            .read_batches(batches)?
            .aggregate(keys, aggs)?
            .select(typed)?
            .collect()
            .await?;
        self.conform(merged)
    }

    /// Batches with exactly the state's schema (names and nullability as the plan expects).
    fn conform(&self, batches: Vec<RecordBatch>) -> Result<Vec<RecordBatch>> {
        batches
            .into_iter()
            .filter(|b| b.num_rows() > 0)
            .map(|b| {
                RecordBatch::try_new(self.schema.clone(), b.columns().to_vec())
                    .map_err(|e| anyhow!("merging the aggregate state: {e}"))
            })
            .collect()
    }
}

/// `plan` with its scan of log table `table` replaced by a scan of `rows`, which hold the
/// table's columns `needed` (in that order) of the rows that passed the scan's pushed filters.
/// A pushed LIMIT is kept.
pub(super) fn over_rows(
    plan: &LogicalPlan,
    table: &str,
    needed: &[usize],
    rows: Arc<dyn datafusion::logical_expr::TableSource>,
) -> Result<LogicalPlan> {
    let replaced = plan.clone().transform_up(|node| match &node {
        LogicalPlan::TableScan(scan) if scan.table_name.table() == table => {
            let projection = scan
                .projection
                .as_ref()
                .map(|p| {
                    p.iter()
                        .map(|i| needed.iter().position(|n| n == i))
                        .collect::<Option<Vec<usize>>>()
                })
                .unwrap_or_else(|| Some((0..needed.len()).collect()));
            let Some(projection) = projection else {
                return Err(datafusion::error::DataFusionError::Internal(
                    "follow mode: a scanned column is not kept".into(),
                ));
            };
            let mut builder =
                LogicalPlanBuilder::scan(scan.table_name.clone(), rows.clone(), Some(projection))?;
            if let Some(fetch) = scan.fetch {
                builder = builder.limit(0, Some(fetch))?;
            }
            Ok(Transformed::yes(builder.build()?))
        }
        _ => Ok(Transformed::no(node)),
    })?;
    Ok(replaced.data)
}

/// The plan's one aggregate, with each aggregate column's merge and the number of group
/// columns, if it can be computed incrementally.
fn mergeable_aggregate(
    plan: &LogicalPlan,
    table: &str,
) -> Result<Option<(LogicalPlan, Vec<Merge>, usize)>> {
    let mut aggregates = Vec::new();
    let mut other = false;
    plan.apply(|node| {
        match node {
            LogicalPlan::Aggregate(_) => aggregates.push(node.clone()),
            LogicalPlan::Window(_) | LogicalPlan::Distinct(_) => other = true,
            _ => {}
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    if other || aggregates.len() != 1 {
        return Ok(None);
    }
    let node = aggregates.pop().expect("one");
    let LogicalPlan::Aggregate(agg) = &node else {
        return Ok(None);
    };
    // Below the aggregate: only filters and projections of the log table.
    let mut simple = true;
    agg.input.apply(|n| {
        simple &= match n {
            LogicalPlan::Projection(_) | LogicalPlan::Filter(_) | LogicalPlan::SubqueryAlias(_) => {
                true
            }
            LogicalPlan::TableScan(scan) => {
                scan.table_name.table() == table && scan.fetch.is_none()
            }
            _ => false,
        };
        Ok(TreeNodeRecursion::Continue)
    })?;
    if !simple
        || agg
            .group_expr
            .iter()
            .any(|e| matches!(e, Expr::GroupingSet(_)))
    {
        return Ok(None);
    }
    let mut merges = Vec::new();
    for expr in &agg.aggr_expr {
        let expr = match expr {
            Expr::Alias(a) => a.expr.as_ref(),
            e => e,
        };
        let Expr::AggregateFunction(f) = expr else {
            return Ok(None);
        };
        if f.params.distinct {
            return Ok(None);
        }
        merges.push(match f.func.name() {
            "count" | "sum" => Merge::Sum,
            "min" => Merge::Min,
            "max" => Merge::Max,
            _ => return Ok(None),
        });
    }
    // Field names must be unique for the merge to address them.
    let schema = node.schema();
    let mut names: Vec<&String> = schema.fields().iter().map(|f| f.name()).collect();
    names.sort();
    names.dedup();
    if names.len() != schema.fields().len() {
        return Ok(None);
    }
    let groups = schema.fields().len() - merges.len();
    Ok(Some((node, merges, groups)))
}
