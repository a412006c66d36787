//! Scalar SQL functions for questions log analysis asks all the time: which browser, is it a
//! bot, is this client in that network, what does this query parameter say, which status
//! class.
//!
//! They are plain DataFusion scalar UDFs, so they work in any `SessionContext` (see
//! [`register_functions`]) and on any text column, not only on log tables. Each works on whole
//! Arrow arrays (`Utf8`, `LargeUtf8` or `Utf8View`) and never fails a query on bad data: a
//! NULL, an empty string or an input that does not make sense (a host name where an address
//! was expected, a malformed CIDR) gives NULL. Only a call with the wrong number or types of
//! arguments is an error, at planning time.
//!
//! | function | module |
//! |---|---|
//! | `ua_browser`, `ua_os`, `ua_device`, `is_bot` | [`user_agent`] |
//! | `cidr_contains`, `ip_version` | [`network`] |
//! | `url_decode`, `url_param` | [`url`] |
//! | `status_class` | [`http`] |

pub mod date_trunc;
pub mod http;
pub mod network;
pub mod url;
pub mod user_agent;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Int64Array, LargeStringArray, StringArray, StringViewArray,
};
use arrow::datatypes::DataType;
use datafusion::common::{exec_err, Result as DfResult};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};
use datafusion::prelude::SessionContext;

/// The names of the scalar functions [`register_functions`] installs.
pub const FUNCTION_NAMES: [&str; 9] = [
    "ua_browser",
    "ua_os",
    "ua_device",
    "is_bot",
    "cidr_contains",
    "ip_version",
    "url_decode",
    "url_param",
    "status_class",
];

/// Registers the log functions (`ua_browser`, `cidr_contains`, `url_param`, ...) in `ctx`, and
/// [`date_trunc::UtcDateTrunc`] in place of DataFusion's `date_trunc` (same answers, faster).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> datafusion::error::Result<()> {
/// use datafusion::prelude::SessionContext;
///
/// let ctx = SessionContext::new();
/// logsql::functions::register_functions(&ctx);
/// let batches = ctx
///     .sql("SELECT status_class(404) AS c, url_param('/s?q=caf%C3%A9+au+lait', 'q') AS q")
///     .await?
///     .collect()
///     .await?;
/// let text = arrow::util::pretty::pretty_format_batches(&batches)?.to_string();
/// assert!(text.contains("| 4xx | café au lait |"), "{text}");
/// # Ok(()) }
/// ```
pub fn register_functions(ctx: &SessionContext) {
    for udf in scalar_functions() {
        ctx.register_udf(udf);
    }
    ctx.register_udf(date_trunc::UtcDateTrunc::udf());
}

/// The log functions as DataFusion [`ScalarUDF`]s, for a `SessionStateBuilder` or a
/// `FunctionRegistry` other than a `SessionContext`.
pub fn scalar_functions() -> Vec<ScalarUDF> {
    use Kind::*;
    [
        UaBrowser,
        UaOs,
        UaDevice,
        IsBot,
        CidrContains,
        IpVersion,
        UrlDecode,
        UrlParam,
        StatusClass,
    ]
    .into_iter()
    .map(|kind| ScalarUDF::new_from_impl(LogFunction::new(kind)))
    .collect()
}

/// Which function a [`LogFunction`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    UaBrowser,
    UaOs,
    UaDevice,
    IsBot,
    CidrContains,
    IpVersion,
    UrlDecode,
    UrlParam,
    StatusClass,
}

/// One of the log functions: a name, a signature, and the array code in its module. One type
/// for all of them keeps the DataFusion boilerplate in one place.
#[derive(Debug, PartialEq, Eq, Hash)]
struct LogFunction {
    kind: Kind,
    signature: Signature,
}

impl LogFunction {
    fn new(kind: Kind) -> Self {
        let immutable = Volatility::Immutable;
        let signature = match kind {
            Kind::UaBrowser | Kind::UaOs | Kind::UaDevice | Kind::IsBot | Kind::IpVersion => {
                Signature::string(1, immutable)
            }
            Kind::CidrContains | Kind::UrlParam => Signature::string(2, immutable),
            Kind::UrlDecode => {
                let mut forms = vec![TypeSignature::String(1)];
                for text in [DataType::Utf8, DataType::LargeUtf8, DataType::Utf8View] {
                    forms.push(TypeSignature::Exact(vec![text, DataType::Boolean]));
                }
                Signature::one_of(forms, immutable)
            }
            Kind::StatusClass => Signature::uniform(1, vec![DataType::Int64], immutable),
        };
        LogFunction { kind, signature }
    }
}

impl ScalarUDFImpl for LogFunction {
    fn name(&self) -> &str {
        match self.kind {
            Kind::UaBrowser => "ua_browser",
            Kind::UaOs => "ua_os",
            Kind::UaDevice => "ua_device",
            Kind::IsBot => "is_bot",
            Kind::CidrContains => "cidr_contains",
            Kind::IpVersion => "ip_version",
            Kind::UrlDecode => "url_decode",
            Kind::UrlParam => "url_param",
            Kind::StatusClass => "status_class",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(match self.kind {
            Kind::IsBot | Kind::CidrContains => DataType::Boolean,
            Kind::IpVersion => DataType::Int32,
            _ => DataType::Utf8,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let rows = args.number_rows;
        // Constant arguments (a CIDR, a parameter name) are read once, not once per row.
        let constant = |i: usize| match args.args.get(i) {
            Some(ColumnarValue::Scalar(s)) => Some(s.clone()),
            _ => None,
        };
        let arrays: Vec<ArrayRef> = args
            .args
            .iter()
            .map(|a| a.to_array(rows))
            .collect::<DfResult<_>>()?;
        let result: ArrayRef = match self.kind {
            Kind::UaBrowser => user_agent::invoke(user_agent::Field::Browser, &arrays[0])?,
            Kind::UaOs => user_agent::invoke(user_agent::Field::Os, &arrays[0])?,
            Kind::UaDevice => user_agent::invoke(user_agent::Field::Device, &arrays[0])?,
            Kind::IsBot => user_agent::invoke(user_agent::Field::Bot, &arrays[0])?,
            Kind::CidrContains => {
                network::invoke_cidr_contains(&arrays[0], &arrays[1], constant(1))?
            }
            Kind::IpVersion => network::invoke_ip_version(&arrays[0])?,
            Kind::UrlDecode => url::invoke_url_decode(&arrays[0], arrays.get(1))?,
            Kind::UrlParam => url::invoke_url_param(&arrays[0], &arrays[1])?,
            Kind::StatusClass => http::invoke_status_class(&arrays[0])?,
        };
        // All-constant arguments (constant folding) give a constant.
        if args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)))
            && result.len() == 1
        {
            return Ok(ColumnarValue::Scalar(
                datafusion::common::ScalarValue::try_from_array(&result, 0)?,
            ));
        }
        Ok(ColumnarValue::Array(result))
    }
}

/// A text argument, whichever Arrow string type DataFusion passed.
pub(crate) enum Text<'a> {
    Utf8(&'a StringArray),
    Large(&'a LargeStringArray),
    View(&'a StringViewArray),
    /// An untyped `NULL` literal.
    Null,
}

impl<'a> Text<'a> {
    pub(crate) fn new(array: &'a ArrayRef) -> DfResult<Self> {
        let any = array.as_any();
        Ok(match array.data_type() {
            DataType::Utf8 => Text::Utf8(any.downcast_ref().expect("Utf8 is a StringArray")),
            DataType::LargeUtf8 => {
                Text::Large(any.downcast_ref().expect("LargeUtf8 is a LargeStringArray"))
            }
            DataType::Utf8View => {
                Text::View(any.downcast_ref().expect("Utf8View is a StringViewArray"))
            }
            DataType::Null => Text::Null,
            other => return exec_err!("expected a text argument, got {other}"),
        })
    }

    /// Row `i`, `None` when NULL.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            Text::Utf8(a) => a.is_valid(i).then(|| a.value(i)),
            Text::Large(a) => a.is_valid(i).then(|| a.value(i)),
            Text::View(a) => a.is_valid(i).then(|| a.value(i)),
            Text::Null => None,
        }
    }
}

/// A whole-number argument (`status_class` coerces its argument to Int64).
pub(crate) fn int64s(array: &ArrayRef) -> DfResult<Option<&Int64Array>> {
    match array.data_type() {
        DataType::Int64 => Ok(array.as_any().downcast_ref()),
        DataType::Null => Ok(None),
        other => exec_err!("expected an integer argument, got {other}"),
    }
}

/// A boolean argument (`url_decode`'s `plus_as_space`).
pub(crate) fn booleans(array: &ArrayRef) -> DfResult<Option<&BooleanArray>> {
    match array.data_type() {
        DataType::Boolean => Ok(array.as_any().downcast_ref()),
        DataType::Null => Ok(None),
        other => exec_err!("expected a boolean argument, got {other}"),
    }
}

/// Shared by the modules' tests: one function applied to literal SQL values.
#[cfg(test)]
pub(crate) mod testing {
    use std::sync::Arc;

    use super::*;

    /// Runs `SELECT <expr>` and returns the single value as text (`NULL` for null).
    pub(crate) fn eval(expr: &str) -> String {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let ctx = SessionContext::new();
            register_functions(&ctx);
            let batches = ctx
                .sql(&format!("SELECT {expr} AS v"))
                .await
                .unwrap_or_else(|e| panic!("{expr}: {e}"))
                .collect()
                .await
                .unwrap_or_else(|e| panic!("{expr}: {e}"));
            let column = batches[0].column(0);
            assert_eq!(batches[0].num_rows(), 1);
            if column.is_null(0) {
                "NULL".to_string()
            } else {
                arrow::util::display::array_value_to_string(column, 0).unwrap()
            }
        })
    }

    /// Runs a function over a column of many rows (so the array path, not constant folding).
    pub(crate) fn eval_column(function: &str, values: &[Option<&str>], extra: &str) -> Vec<String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let ctx = SessionContext::new();
            register_functions(&ctx);
            let array: ArrayRef = Arc::new(StringArray::from(values.to_vec()));
            let batch = arrow::record_batch::RecordBatch::try_from_iter([("x", array)]).unwrap();
            ctx.register_batch("t", batch).unwrap();
            let batches = ctx
                .sql(&format!("SELECT {function}(x{extra}) FROM t"))
                .await
                .unwrap()
                .collect()
                .await
                .unwrap();
            let mut out = Vec::new();
            for b in &batches {
                for i in 0..b.num_rows() {
                    let c = b.column(0);
                    out.push(if c.is_null(i) {
                        "NULL".to_string()
                    } else {
                        arrow::util::display::array_value_to_string(c, i).unwrap()
                    });
                }
            }
            out
        })
    }
}
