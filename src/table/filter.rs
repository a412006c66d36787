//! Filters pushed into the scan: comparisons on integer and timestamp columns (`status`,
//! `ts`, ...), evaluated on each parsed line before any column is built, so that
//! non-matching lines cost only their parsing.
//!
//! Only shapes whose meaning is unambiguous are accepted (`col op literal`, `IN`, `BETWEEN`
//! on an integer or timestamp column); they are then applied exactly (SQL semantics: NULL
//! never matches),
//! which lets DataFusion drop its own filter and push `LIMIT` down too. The filter is plain
//! data, so a plan carrying it stays serialisable.

use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Between, BinaryExpr, Expr, Operator};

use crate::parse::record::{slot_mask, RowCheck};
use crate::parse::{ColumnSource, ColumnSpec, FieldType, Record};

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

/// One pushed predicate on the integer or instant (UTC nanoseconds) in a record slot. NULL
/// never matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Predicate {
    InRange {
        column: String,
        slot: usize,
        range: Range,
    },
    InSet {
        column: String,
        slot: usize,
        values: Vec<i64>,
    },
}

/// The conjunction of every predicate pushed into a scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowFilter {
    pub predicates: Vec<Predicate>,
    /// The highest slot a predicate reads (asked on every line, so kept).
    last_slot: usize,
    /// Bit `n` for each slot `n` a predicate reads (likewise).
    slot_mask: u64,
}

impl RowFilter {
    /// Builds the filter from the expressions DataFusion pushed (all accepted by [`accepts`]).
    pub fn from_exprs(exprs: &[Expr], columns: &[ColumnSpec]) -> RowFilter {
        let predicates: Vec<Predicate> =
            exprs.iter().filter_map(|e| predicate(e, columns)).collect();
        let last_slot = predicates.iter().map(Self::slot).max().unwrap_or(0);
        let slot_mask = slot_mask(predicates.iter().map(Self::slot));
        RowFilter {
            predicates,
            last_slot,
            slot_mask,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.predicates.is_empty()
    }

    /// The record slots the predicates read.
    pub fn slots(&self) -> impl Iterator<Item = usize> + '_ {
        self.predicates.iter().map(Self::slot)
    }

    /// The record slot a predicate reads.
    fn slot(p: &Predicate) -> usize {
        match p {
            Predicate::InRange { slot, .. } | Predicate::InSet { slot, .. } => *slot,
        }
    }

    /// Whether a parsed line passes every predicate.
    #[inline]
    pub fn matches(&self, rec: &Record) -> bool {
        self.predicates.iter().all(|p| match p {
            Predicate::InRange { slot, range, .. } => {
                rec.int_like(*slot).is_some_and(|v| range.contains(v))
            }
            Predicate::InSet { slot, values, .. } => {
                rec.int_like(*slot).is_some_and(|v| values.contains(&v))
            }
        })
    }
}

/// Parsers test the filter as soon as the slots it reads are filled.
impl RowCheck for RowFilter {
    fn last_slot(&self) -> usize {
        self.last_slot
    }

    fn reads_slot(&self, slot: usize) -> bool {
        slot >= 64 || self.slot_mask & (1 << slot) != 0
    }

    #[inline]
    fn passes(&self, rec: &Record) -> bool {
        self.matches(rec)
    }
}

impl std::fmt::Display for RowFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .predicates
            .iter()
            .map(|p| match p {
                Predicate::InRange { column, range, .. } => {
                    format!("{column} in [{}, {}]", range.min, range.max)
                }
                Predicate::InSet { column, values, .. } => format!("{column} in {values:?}"),
            })
            .collect();
        write!(f, "{}", parts.join(" AND "))
    }
}

/// Whether `expr` can be evaluated exactly in the scan of a table with `columns`.
pub fn accepts(expr: &Expr, columns: &[ColumnSpec]) -> bool {
    predicate(expr, columns).is_some()
}

/// A filterable column: its name, record slot, and whether it holds instants.
#[derive(Clone, PartialEq)]
struct Col {
    name: String,
    slot: usize,
    kind: Kind,
    /// Bits of the integer type the expression has (the column's, or a cast's).
    bits: u32,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Int,
    Ts,
}

fn predicate(expr: &Expr, columns: &[ColumnSpec]) -> Option<Predicate> {
    let column = |e: &Expr| column(e, columns);
    match expr {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            let (col, op, value) = match (column(left), column(right)) {
                (Some(c), None) => {
                    let v = literal(right, c.kind)?;
                    (c, *op, v)
                }
                (None, Some(c)) => {
                    let v = literal(left, c.kind)?;
                    (c, op.swap()?, v)
                }
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
            let range = Range {
                min: literal(low, col.kind)?,
                max: literal(high, col.kind)?,
            };
            Some(ranged(col, range))
        }
        Expr::InList(list) if !list.negated => {
            let col = column(&list.expr).filter(|c| c.kind == Kind::Int)?;
            let values = list
                .list
                .iter()
                .map(|e| literal(e, Kind::Int))
                .collect::<Option<Vec<_>>>()?;
            Some(Predicate::InSet {
                column: col.name,
                slot: col.slot,
                values,
            })
        }
        _ => None,
    }
}

fn ranged(col: Col, range: Range) -> Predicate {
    Predicate::InRange {
        column: col.name,
        slot: col.slot,
        range,
    }
}

/// An integer or timestamp column read straight from a slot, possibly under a widening cast
/// DataFusion added for coercion.
fn column(expr: &Expr, columns: &[ColumnSpec]) -> Option<Col> {
    match expr {
        Expr::Column(c) => {
            let spec = columns.iter().find(|s| s.name == c.name)?;
            let ColumnSource::Slot(slot) = spec.source else {
                return None;
            };
            let (kind, bits) = match spec.ty {
                FieldType::Int32 => (Kind::Int, 32),
                FieldType::Int64 => (Kind::Int, 64),
                FieldType::Timestamp => (Kind::Ts, 64),
                _ => return None,
            };
            Some(Col {
                name: spec.name.clone(),
                slot,
                kind,
                bits,
            })
        }
        // Only a cast that keeps every value: a narrowing one (`CAST(status AS TINYINT)`)
        // fails or wraps where DataFusion evaluates it, so it cannot be tested on the value.
        Expr::Cast(cast) => {
            let bits = match cast.field.data_type() {
                DataType::Int32 => 32,
                DataType::Int64 => 64,
                _ => return None,
            };
            let col = column(&cast.expr, columns)?;
            (col.kind == Kind::Int && bits >= col.bits).then_some(Col { bits, ..col })
        }
        _ => None,
    }
}

/// A non-NULL literal of the column's kind, as `i64` (nanoseconds for timestamps).
fn literal(expr: &Expr, kind: Kind) -> Option<i64> {
    let Expr::Literal(value, _) = expr else {
        return None;
    };
    match (kind, value) {
        (Kind::Int, ScalarValue::Int8(Some(v))) => Some(i64::from(*v)),
        (Kind::Int, ScalarValue::Int16(Some(v))) => Some(i64::from(*v)),
        (Kind::Int, ScalarValue::Int32(Some(v))) => Some(i64::from(*v)),
        (Kind::Int, ScalarValue::Int64(Some(v))) => Some(*v),
        (Kind::Int, ScalarValue::UInt8(Some(v))) => Some(i64::from(*v)),
        (Kind::Int, ScalarValue::UInt16(Some(v))) => Some(i64::from(*v)),
        (Kind::Int, ScalarValue::UInt32(Some(v))) => Some(i64::from(*v)),
        (Kind::Ts, ScalarValue::TimestampNanosecond(Some(v), _)) => Some(*v),
        (Kind::Ts, ScalarValue::TimestampMicrosecond(Some(v), _)) => v.checked_mul(1_000),
        (Kind::Ts, ScalarValue::TimestampMillisecond(Some(v), _)) => v.checked_mul(1_000_000),
        (Kind::Ts, ScalarValue::TimestampSecond(Some(v), _)) => v.checked_mul(1_000_000_000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::logical_expr::{col, lit};

    use crate::parse::{AccessFlavor, AccessParser, Value};

    fn columns() -> Vec<ColumnSpec> {
        AccessParser::columns(AccessFlavor::Combined)
    }

    /// A record shaped like a combined line's: `ts` in slot 3, `status` in slot 5.
    fn rec(status: Option<i32>, ts: i64) -> Record {
        let mut r = Record::default();
        r.reset(9);
        r.values[3] = Value::Time(ts);
        r.values[5] = status.map_or(Value::Null, |s| Value::Int(i64::from(s)));
        r
    }

    fn from_exprs(exprs: &[Expr]) -> RowFilter {
        RowFilter::from_exprs(exprs, &columns())
    }

    fn accepts(expr: &Expr) -> bool {
        super::accepts(expr, &columns())
    }

    #[test]
    fn status_comparisons() {
        let f = from_exprs(&[
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
        let f = from_exprs(&[col("status").in_list(vec![lit(404i32), lit(410i32)], false)]);
        assert!(f.matches(&rec(Some(410), 0)) && !f.matches(&rec(Some(200), 0)));
        let f = from_exprs(&[col("ts").between(
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
        assert!(
            !accepts(&col("method").eq(lit(5i64))),
            "a derived column is not in a slot"
        );
        assert!(accepts(&col("bytes").gt(lit(5i64))), "any integer column");
    }

    /// Casts that keep every value are seen through (DataFusion widens `status` to compare it
    /// with an `Int64`); a narrowing cast is not: it fails or wraps where DataFusion evaluates
    /// it (`CAST(status AS TINYINT) = 404` must not keep the 404s).
    #[test]
    fn only_widening_casts_are_pushed() {
        use datafusion::logical_expr::cast;
        let status = |ty: DataType| cast(col("status"), ty);
        assert!(accepts(&status(DataType::Int64).eq(lit(404i64))));
        assert!(accepts(&status(DataType::Int32).eq(lit(404i32))));
        let bytes = |ty: DataType| cast(col("bytes"), ty);
        assert!(accepts(&bytes(DataType::Int64).gt(lit(5i64))));
        for narrow in [
            DataType::Int8,
            DataType::Int16,
            DataType::UInt8,
            DataType::UInt64,
        ] {
            assert!(
                !accepts(&status(narrow.clone()).eq(lit(404i64))),
                "{narrow}"
            );
            let widened_again = cast(status(narrow.clone()), DataType::Int64);
            assert!(
                !accepts(&widened_again.eq(lit(404i64))),
                "{narrow} then Int64"
            );
        }
        assert!(!accepts(&bytes(DataType::Int32).gt(lit(5i32))));
    }
}
