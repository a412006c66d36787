//! What the two leaf scans, [`super::LogScanExec`] and [`super::FollowScanExec`], share: their
//! plan properties and the `ExecutionPlan` methods of a node that has no children.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use datafusion::error::{DataFusionError, Result};
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::{ExecutionPlan, Partitioning, PlanProperties};

/// A leaf's properties: `partitions` streams (at least one, so an empty table still runs),
/// emitted as they are read, in no declared order.
pub fn leaf_properties(
    schema: &SchemaRef,
    partitions: usize,
    boundedness: Boundedness,
) -> Arc<PlanProperties> {
    Arc::new(PlanProperties::new(
        EquivalenceProperties::new(schema.clone()),
        Partitioning::UnknownPartitioning(partitions.max(1)),
        EmissionType::Incremental,
        boundedness,
    ))
}

/// `replace_children` of a leaf: only "no children" can replace its (none).
pub fn without_children(
    leaf: Arc<dyn ExecutionPlan>,
    children: &[Arc<dyn ExecutionPlan>],
) -> Result<Arc<dyn ExecutionPlan>> {
    if children.is_empty() {
        Ok(leaf)
    } else {
        Err(DataFusionError::Internal(format!(
            "{} has no children",
            leaf.name()
        )))
    }
}

/// The `ExecutionPlan` methods every leaf writes the same way, for use inside its
/// `impl ExecutionPlan` block.
macro_rules! leaf_plan_methods {
    () => {
        fn properties(&self) -> &std::sync::Arc<datafusion::physical_plan::PlanProperties> {
            &self.properties
        }

        fn children(&self) -> Vec<&std::sync::Arc<dyn datafusion::physical_plan::ExecutionPlan>> {
            vec![]
        }

        fn apply_expressions(
            &self,
            _f: &mut dyn FnMut(
                &std::sync::Arc<dyn datafusion::physical_expr::PhysicalExpr>,
            ) -> datafusion::error::Result<
                datafusion::common::tree_node::TreeNodeRecursion,
            >,
        ) -> datafusion::error::Result<datafusion::common::tree_node::TreeNodeRecursion> {
            Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
        }

        fn replace_children(
            self: std::sync::Arc<Self>,
            children: Vec<std::sync::Arc<dyn datafusion::physical_plan::ExecutionPlan>>,
            _options: datafusion::physical_plan::ReplaceChildrenOptions,
        ) -> datafusion::error::Result<std::sync::Arc<dyn datafusion::physical_plan::ExecutionPlan>>
        {
            $crate::table::leaf::without_children(self, &children)
        }

        #[allow(deprecated)]
        fn with_new_children(
            self: std::sync::Arc<Self>,
            children: Vec<std::sync::Arc<dyn datafusion::physical_plan::ExecutionPlan>>,
        ) -> datafusion::error::Result<std::sync::Arc<dyn datafusion::physical_plan::ExecutionPlan>>
        {
            $crate::table::leaf::without_children(self, &children)
        }

        fn metrics(&self) -> Option<datafusion::physical_plan::metrics::MetricsSet> {
            Some(self.metrics.clone_inner())
        }
    };
}
pub(crate) use leaf_plan_methods;
