//! Filters pushed into the scan: `status` and `ts` comparisons, evaluated on each parsed
//! line before any column is built, so that non-matching lines cost only their parsing.
//!
//! Only shapes whose meaning is unambiguous are accepted (`col op literal`, `IN`, `BETWEEN`
//! on `status` or `ts`); they are then applied exactly (SQL semantics: NULL never matches),
//! which lets DataFusion drop its own filter and push `LIMIT` down too. The filter is plain
//! data, so a plan carrying it stays serialisable.

use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Between, BinaryExpr, Expr, Operator};

use crate::parse::AccessRecord;

/// An inclusive range over `i64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub min: i64,
    pub max: i64,
}

impl Range {
    const ALL: Range = Range {
        min: i64::MIN,
        max: i64::MAX,
    };

    fn contains(self, v: i64) -> bool {
        self.min <= v && v <= self.max
    }
}

/// One pushed predicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Predicate {
    /// `status` in a range (NULL status never matches).
    Status(Range),
    /// `status IN (...)`.
    StatusIn(Vec<i64>),
    /// `ts` in a range of UTC nanoseconds.
    Ts(Range),
}

/// The conjunction of every predicate pushed into a scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowFilter {
    pub predicates: Vec<Predicate>,
}

impl RowFilter {
    /// Builds the filter from the expressions DataFusion pushed (all accepted by [`accepts`]).
    pub fn from_exprs(exprs: &[Expr]) -> RowFilter {
        RowFilter {
            predicates: exprs.iter().filter_map(predicate).collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.predicates.is_empty()
    }

    /// Whether a parsed line passes every predicate.
    #[inline]
    pub fn matches(&self, rec: &AccessRecord) -> bool {
        self.predicates.iter().all(|p| match p {
            Predicate::Status(r) => rec.status.is_some_and(|s| r.contains(i64::from(s))),
            Predicate::StatusIn(set) => rec.status.is_some_and(|s| set.contains(&i64::from(s))),
            Predicate::Ts(r) => r.contains(rec.ts_nanos),
        })
    }
}

impl std::fmt::Display for RowFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .predicates
            .iter()
            .map(|p| match p {
                Predicate::Status(r) => format!("status in [{}, {}]", r.min, r.max),
                Predicate::StatusIn(s) => format!("status in {s:?}"),
                Predicate::Ts(r) => format!("ts in [{}, {}]", r.min, r.max),
            })
            .collect();
        write!(f, "{}", parts.join(" AND "))
    }
}

/// Whether `expr` can be evaluated exactly in the scan.
pub fn accepts(expr: &Expr) -> bool {
    predicate(expr).is_some()
}

#[derive(Clone, Copy, PartialEq)]
enum Col {
    Status,
    Ts,
}

fn predicate(expr: &Expr) -> Option<Predicate> {
    match expr {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            let (col, op, value) = match (column(left), column(right)) {
                (Some(c), None) => (c, *op, literal(right, c)?),
                (None, Some(c)) => (c, op.swap()?, literal(left, c)?),
                _ => return None,
            };
            let range = match op {
                Operator::Eq => Range {
                    min: value,
                    max: value,
                },
                Operator::Lt => Range {
                    max: value.checked_sub(1)?,
                    ..Range::ALL
                },
                Operator::LtEq => Range {
                    max: value,
                    ..Range::ALL
                },
                Operator::Gt => Range {
                    min: value.checked_add(1)?,
                    ..Range::ALL
                },
                Operator::GtEq => Range {
                    min: value,
                    ..Range::ALL
                },
                _ => return None,
            };
            Some(ranged(col, range))
        }
        Expr::Between(Between {
            expr,
            negated: false,
            low,
            high,
        }) => {
            let col = column(expr)?;
            Some(ranged(
                col,
                Range {
                    min: literal(low, col)?,
                    max: literal(high, col)?,
                },
            ))
        }
        Expr::InList(list) if !list.negated && column(&list.expr) == Some(Col::Status) => {
            let values = list
                .list
                .iter()
                .map(|e| literal(e, Col::Status))
                .collect::<Option<Vec<_>>>()?;
            Some(Predicate::StatusIn(values))
        }
        _ => None,
    }
}

fn ranged(col: Col, range: Range) -> Predicate {
    match col {
        Col::Status => Predicate::Status(range),
        Col::Ts => Predicate::Ts(range),
    }
}

/// `status` or `ts`, possibly under a widening cast DataFusion added for coercion.
fn column(expr: &Expr) -> Option<Col> {
    match expr {
        Expr::Column(c) if c.name == "status" => Some(Col::Status),
        Expr::Column(c) if c.name == "ts" => Some(Col::Ts),
        Expr::Cast(cast)
            if matches!(column(&cast.expr), Some(Col::Status))
                && cast.field.data_type().is_integer() =>
        {
            Some(Col::Status)
        }
        _ => None,
    }
}

/// A non-NULL literal of the column's kind, as `i64` (nanoseconds for timestamps).
fn literal(expr: &Expr, col: Col) -> Option<i64> {
    let Expr::Literal(value, _) = expr else {
        return None;
    };
    match (col, value) {
        (Col::Status, ScalarValue::Int8(Some(v))) => Some(i64::from(*v)),
        (Col::Status, ScalarValue::Int16(Some(v))) => Some(i64::from(*v)),
        (Col::Status, ScalarValue::Int32(Some(v))) => Some(i64::from(*v)),
        (Col::Status, ScalarValue::Int64(Some(v))) => Some(*v),
        (Col::Status, ScalarValue::UInt8(Some(v))) => Some(i64::from(*v)),
        (Col::Status, ScalarValue::UInt16(Some(v))) => Some(i64::from(*v)),
        (Col::Status, ScalarValue::UInt32(Some(v))) => Some(i64::from(*v)),
        (Col::Ts, ScalarValue::TimestampNanosecond(Some(v), _)) => Some(*v),
        (Col::Ts, ScalarValue::TimestampMicrosecond(Some(v), _)) => v.checked_mul(1_000),
        (Col::Ts, ScalarValue::TimestampMillisecond(Some(v), _)) => v.checked_mul(1_000_000),
        (Col::Ts, ScalarValue::TimestampSecond(Some(v), _)) => v.checked_mul(1_000_000_000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::logical_expr::{col, lit};

    fn rec(status: Option<i32>, ts: i64) -> AccessRecord {
        let mut r = AccessRecord::default();
        (r.status, r.ts_nanos) = (status, ts);
        r
    }

    #[test]
    fn status_comparisons() {
        let f = RowFilter::from_exprs(&[
            col("status").gt_eq(lit(400i64)),
            lit(500i32).gt(col("status")),
        ]);
        assert_eq!(f.predicates.len(), 2);
        assert!(f.matches(&rec(Some(404), 0)));
        assert!(!f.matches(&rec(Some(500), 0)));
        assert!(!f.matches(&rec(Some(399), 0)));
        assert!(!f.matches(&rec(None, 0)), "NULL never matches");
    }

    #[test]
    fn in_list_and_between() {
        let f =
            RowFilter::from_exprs(&[col("status").in_list(vec![lit(404i32), lit(410i32)], false)]);
        assert!(f.matches(&rec(Some(410), 0)) && !f.matches(&rec(Some(200), 0)));
        let f = RowFilter::from_exprs(&[col("ts").between(
            lit(ScalarValue::TimestampSecond(Some(10), None)),
            lit(ScalarValue::TimestampMillisecond(Some(20_000), None)),
        )]);
        assert!(f.matches(&rec(None, 10_000_000_000)) && f.matches(&rec(None, 20_000_000_000)));
        assert!(!f.matches(&rec(None, 20_000_000_001)));
    }

    #[test]
    fn unsupported_shapes_are_refused() {
        assert!(!accepts(&col("status").not_eq(lit(200i32))));
        assert!(!accepts(&col("client").eq(lit("1.2.3.4"))));
        assert!(!accepts(&col("status").in_list(vec![lit(404i32)], true)));
        assert!(!accepts(&col("status").eq(lit(ScalarValue::Int32(None)))));
        assert!(!accepts(&col("status").eq(col("bytes"))));
        assert!(!accepts(&col("ts").eq(lit(5i64))));
    }
}
