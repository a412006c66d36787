//! `date_trunc` with a fast path for the instants log tables hold.
//!
//! Log timestamps are `Timestamp(Nanosecond, "UTC")`. DataFusion's `date_trunc` takes integer
//! arithmetic only for zone-less timestamps at `hour` and `day`; for any zone, UTC included, it
//! converts every value to a civil date and back, which made `GROUP BY date_trunc('hour', ts)`
//! the slowest part of a per-hour count. In UTC an hour and a day have fixed lengths, so
//! truncating is flooring to a multiple of them: same answers, a fraction of the work. Every
//! other call goes to DataFusion's own function, which this one wraps and stands in for.

use std::sync::Arc;

use arrow::array::{Array, TimestampNanosecondArray};
use arrow::datatypes::{DataType, FieldRef, TimeUnit};
use datafusion::common::{Result as DfResult, ScalarValue};
use datafusion::logical_expr::sort_properties::{ExprProperties, SortProperties};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature,
};

const NANOS_PER_HOUR: i64 = 3_600_000_000_000;
const NANOS_PER_DAY: i64 = 24 * NANOS_PER_HOUR;

/// DataFusion's `date_trunc`, with UTC `hour` and `day` truncation done by arithmetic.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct UtcDateTrunc {
    inner: ScalarUDF,
}

impl UtcDateTrunc {
    /// Wraps DataFusion's built-in `date_trunc`.
    pub fn new() -> Self {
        UtcDateTrunc {
            inner: datafusion::functions::datetime::date_trunc()
                .as_ref()
                .clone(),
        }
    }

    /// The function, ready to register (it replaces the built-in of the same name).
    pub fn udf() -> ScalarUDF {
        ScalarUDF::new_from_impl(Self::new())
    }
}

impl Default for UtcDateTrunc {
    fn default() -> Self {
        Self::new()
    }
}

/// The length of `granularity` in nanoseconds when truncating to it in UTC is flooring.
fn fixed_unit(granularity: &ColumnarValue) -> Option<i64> {
    let text = match granularity {
        ColumnarValue::Scalar(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::Utf8View(Some(s))
            | ScalarValue::LargeUtf8(Some(s)),
        ) => s,
        _ => return None,
    };
    match text.to_ascii_lowercase().as_str() {
        "hour" => Some(NANOS_PER_HOUR),
        "day" => Some(NANOS_PER_DAY),
        _ => None,
    }
}

/// Whether `zone` names UTC itself (what log tables use), not merely a zone at offset 0 today.
fn is_utc(zone: &str) -> bool {
    matches!(zone, "UTC" | "+00:00" | "Etc/UTC")
}

impl ScalarUDFImpl for UtcDateTrunc {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> DfResult<DataType> {
        self.inner.return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> DfResult<FieldRef> {
        self.inner.return_field_from_args(args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let unit = args.args.first().and_then(fixed_unit);
        if let (Some(unit), [_, ColumnarValue::Array(array)]) = (unit, args.args.as_slice()) {
            if let DataType::Timestamp(TimeUnit::Nanosecond, Some(zone)) = array.data_type() {
                if is_utc(zone) {
                    let zone = Arc::clone(zone);
                    let nanos = array
                        .as_any()
                        .downcast_ref::<TimestampNanosecondArray>()
                        .expect("a nanosecond timestamp array");
                    let floored: TimestampNanosecondArray = nanos.unary(|v| v - v.rem_euclid(unit));
                    return Ok(ColumnarValue::Array(Arc::new(floored.with_timezone(zone))));
                }
            }
        }
        self.inner.invoke_with_args(args)
    }

    fn output_ordering(&self, input: &[ExprProperties]) -> DfResult<SortProperties> {
        self.inner.output_ordering(input)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::SessionContext;

    /// The same query with DataFusion's `date_trunc` and with this one.
    async fn both(sql: &str) -> (String, String) {
        let builtin = SessionContext::new();
        let ours = SessionContext::new();
        ours.register_udf(UtcDateTrunc::udf());
        let run = |ctx: SessionContext| async move {
            let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
            arrow::util::pretty::pretty_format_batches(&batches)
                .unwrap()
                .to_string()
        };
        (run(builtin).await, run(ours).await)
    }

    /// Instants around the epoch (negative ones floor downwards), odd seconds, day and hour
    /// boundaries, NULL; in UTC and in other zones, at every granularity.
    #[tokio::test]
    async fn answers_equal_the_builtin() {
        let values =
            "(VALUES (-86400000000001), (-1), (0), (1), (3599999999999), (3600000000000), \
                      (1700000000123456789), (1739491200000000000), (NULL)) AS t(n)";
        for zone in ["UTC", "+00:00", "Europe/Berlin", "+05:30"] {
            for unit in [
                "hour", "day", "HOUR", "minute", "second", "month", "year", "week",
            ] {
                let sql = format!(
                    "SELECT n, date_trunc('{unit}', arrow_cast(n, 'Timestamp(Nanosecond, Some(\"{zone}\"))')) AS d, \
                     datetrunc('{unit}', arrow_cast(n, 'Timestamp(Nanosecond, Some(\"{zone}\"))')) AS e \
                     FROM {values} ORDER BY n"
                );
                let (builtin, ours) = both(&sql).await;
                assert_eq!(builtin, ours, "{unit} in {zone}");
            }
        }
    }

    #[tokio::test]
    async fn other_argument_kinds_go_to_the_builtin() {
        for sql in [
            "SELECT date_trunc('hour', TIMESTAMP '2025-02-14 13:55:36')",
            "SELECT date_trunc('day', arrow_cast(TIMESTAMP '2025-02-14 13:55:36', 'Timestamp(Second, Some(\"UTC\"))'))",
            "SELECT date_trunc('hour', arrow_cast(5, 'Timestamp(Nanosecond, Some(\"UTC\"))'))",
        ] {
            let (builtin, ours) = both(sql).await;
            assert_eq!(builtin, ours, "{sql}");
        }
    }
}
