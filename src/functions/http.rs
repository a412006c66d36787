//! `status_class(status)`: `'2xx'` for 200..=299 and so on, the grouping every status report
//! wants; NULL outside 100..=599 (a logged `0` or `999` is not a class, and guessing one would
//! hide it).

use std::sync::Arc;

use arrow::array::{ArrayRef, StringBuilder};
use datafusion::common::Result as DfResult;

use super::int64s;

/// The class of an HTTP status code: `"1xx"` to `"5xx"`, `None` outside 100..=599.
pub fn status_class(status: i64) -> Option<&'static str> {
    match status {
        100..=199 => Some("1xx"),
        200..=299 => Some("2xx"),
        300..=399 => Some("3xx"),
        400..=499 => Some("4xx"),
        500..=599 => Some("5xx"),
        _ => None,
    }
}

pub(crate) fn invoke_status_class(status: &ArrayRef) -> DfResult<ArrayRef> {
    let mut out = StringBuilder::with_capacity(status.len(), status.len() * 3);
    match int64s(status)? {
        Some(values) => {
            for v in values {
                out.append_option(v.and_then(status_class));
            }
        }
        None => (0..status.len()).for_each(|_| out.append_null()),
    }
    Ok(Arc::new(out.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::testing::{eval, eval_column};

    #[test]
    fn classes_and_bounds() {
        assert_eq!(status_class(100), Some("1xx"));
        assert_eq!(status_class(200), Some("2xx"));
        assert_eq!(status_class(304), Some("3xx"));
        assert_eq!(status_class(499), Some("4xx"));
        assert_eq!(status_class(599), Some("5xx"));
        assert_eq!(status_class(99), None);
        assert_eq!(status_class(600), None);
        assert_eq!(status_class(0), None);
        assert_eq!(status_class(-200), None);
    }

    #[test]
    fn from_sql_with_int32_null_and_out_of_range() {
        assert_eq!(eval("status_class(CAST(503 AS INT))"), "5xx");
        assert_eq!(eval("status_class(CAST(NULL AS INT))"), "NULL");
        assert_eq!(eval("status_class(NULL)"), "NULL");
        assert_eq!(eval("status_class(700)"), "NULL");
        assert_eq!(eval("status_class(0)"), "NULL");
    }

    #[test]
    fn a_column_of_text_is_refused_at_planning_not_guessed() {
        // Only the column path: status_class over a text column must be a planning error.
        let result = std::panic::catch_unwind(|| eval_column("status_class", &[Some("200")], ""));
        assert!(result.is_err());
    }
}
