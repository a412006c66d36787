//! Saved queries: the library bundled in the binary (`queries/*.sql`), `-f FILE`, and the
//! `$name` parameters they take.
//!
//! A query file starts with a header of `--` comments: the first line says what it answers,
//! then which columns (and so which log formats) it needs, then its parameters, one a line:
//!
//! ```sql
//! -- Top 404s: the URIs most often not found.
//! -- Needs: status, uri (common, combined).
//! -- Parameters:
//! --   $limit: how many URIs to show (default 10)
//! ```
//!
//! A parameter with a `(default VALUE)` may be left out on the command line.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{bail, Context, Result};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::metadata::ScalarAndMetadata;
use datafusion::common::{ParamValues, ScalarValue};
use datafusion::logical_expr::LogicalPlan;

/// The bundled queries: (name, SQL), in the order `logsql queries` lists them.
pub const BUNDLED: &[(&str, &str)] = &[
    (
        "status_summary",
        include_str!("../../queries/status_summary.sql"),
    ),
    ("error_rate", include_str!("../../queries/error_rate.sql")),
    ("top_404", include_str!("../../queries/top_404.sql")),
    ("top_5xx", include_str!("../../queries/top_5xx.sql")),
    ("top_clients", include_str!("../../queries/top_clients.sql")),
    (
        "bandwidth_per_hour",
        include_str!("../../queries/bandwidth_per_hour.sql"),
    ),
    (
        "busiest_minutes",
        include_str!("../../queries/busiest_minutes.sql"),
    ),
    (
        "daily_summary",
        include_str!("../../queries/daily_summary.sql"),
    ),
    ("methods", include_str!("../../queries/methods.sql")),
    (
        "slow_requests",
        include_str!("../../queries/slow_requests.sql"),
    ),
    ("crawlers", include_str!("../../queries/crawlers.sql")),
    (
        "attack_scans",
        include_str!("../../queries/attack_scans.sql"),
    ),
    (
        "top_referrers",
        include_str!("../../queries/top_referrers.sql"),
    ),
    ("user_agents", include_str!("../../queries/user_agents.sql")),
    (
        "requests_since",
        include_str!("../../queries/requests_since.sql"),
    ),
];

/// A query file's text and what its header says.
#[derive(Debug, Clone)]
pub struct SavedQuery {
    pub name: String,
    pub sql: String,
    /// The header's first sentence (its lines up to `Needs:`), without `--`.
    pub description: String,
    /// Declared parameters and their defaults, if any.
    pub params: BTreeMap<String, Option<String>>,
}

impl SavedQuery {
    pub fn parse(name: &str, sql: &str) -> SavedQuery {
        let header: Vec<&str> = sql
            .lines()
            .map(str::trim)
            .take_while(|l| l.starts_with("--") || l.is_empty())
            .filter(|l| !l.is_empty())
            .collect();
        // The first sentence may run over several comment lines, up to `Needs:`.
        let description = header
            .iter()
            .map(|l| l.trim_start_matches('-').trim())
            .take_while(|l| !l.starts_with("Needs:") && !l.starts_with("Parameters:"))
            .collect::<Vec<_>>()
            .join(" ");
        let mut params = BTreeMap::new();
        for line in &header {
            let rest = line.trim_start_matches('-').trim();
            let Some(rest) = rest.strip_prefix('$') else {
                continue;
            };
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name.is_empty() {
                continue;
            }
            let default = rest.rfind("(default ").and_then(|at| {
                let value = &rest[at + "(default ".len()..];
                value.rfind(')').map(|end| value[..end].trim().to_string())
            });
            params.insert(name, default);
        }
        SavedQuery {
            name: name.to_string(),
            sql: sql.to_string(),
            description,
            params,
        }
    }

    /// The values its parameters get: `given` (from `--param`), else the header's defaults.
    pub fn bound_params(&self, given: &HashMap<String, String>) -> HashMap<String, String> {
        let mut params: HashMap<String, String> = self
            .params
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.clone()?)))
            .collect();
        params.extend(given.clone());
        params
    }

    /// A bundled query by name (`top_404` or `top_404.sql`).
    pub fn bundled(name: &str) -> Option<SavedQuery> {
        let name = name.strip_suffix(".sql").unwrap_or(name);
        BUNDLED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, sql)| SavedQuery::parse(n, sql))
    }

    /// `-f ARG`: a file if one exists at that path, else a bundled query of that name.
    pub fn load(arg: &str) -> Result<SavedQuery> {
        let path = Path::new(arg);
        if path.is_file() {
            let sql =
                std::fs::read_to_string(path).with_context(|| format!("cannot read {arg}"))?;
            // Editors on Windows start a UTF-8 file with a byte-order mark.
            let sql = sql.strip_prefix('\u{feff}').unwrap_or(&sql);
            return Ok(SavedQuery::parse(arg, sql));
        }
        if let Some(q) = SavedQuery::bundled(arg) {
            return Ok(q);
        }
        if path.exists() {
            bail!("{arg} is not a file");
        }
        bail!("no such file or bundled query: {arg} (logsql queries lists the bundled ones)")
    }
}

/// Prints the bundled queries with their descriptions and parameters.
pub fn list(out: &mut impl std::io::Write) -> std::io::Result<()> {
    let queries: Vec<SavedQuery> = BUNDLED
        .iter()
        .map(|(n, sql)| SavedQuery::parse(n, sql))
        .collect();
    let width = queries.iter().map(|q| q.name.len()).max().unwrap_or(0);
    for q in &queries {
        let params: Vec<String> = q
            .params
            .iter()
            .map(|(name, default)| match default {
                Some(d) => format!("${name}={d}"),
                None => format!("${name} (required)"),
            })
            .collect();
        let params = if params.is_empty() {
            String::new()
        } else {
            format!("  [{}]", params.join(", "))
        };
        writeln!(out, "{:width$}  {}{params}", q.name, q.description)?;
    }
    writeln!(
        out,
        "\nRun one with: logsql -f NAME [--param NAME=VALUE]... PATH..."
    )
}

/// The value of a `--param`, of the type the query gives its placeholder (`status = $s`: the
/// status column's type; `ts >= $since`: a timestamp); where the query gives none, an
/// integer if it reads as one (not a zero-led code such as `007`), else a string.
pub fn scalar(name: &str, value: &str, wanted: Option<&DataType>) -> Result<ScalarValue> {
    let text = ScalarValue::Utf8(Some(value.to_string()));
    match wanted {
        Some(t)
            if !t.is_null()
                && !matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) =>
        {
            // Spaces around a number are no part of it.
            let numeric = t.is_integer() || t.is_floating();
            let value = if numeric { value.trim() } else { value };
            ScalarValue::Utf8(Some(value.to_string()))
                .cast_to(t)
                .ok()
                .filter(|v| !v.is_null())
                .with_context(|| {
                    format!("--param {name}={value}: not a value of type {t} (the type ${name} is compared with)")
                })
        }
        Some(_) => Ok(text),
        None => {
            let trimmed = value.trim();
            let zero_led = trimmed.len() > 1 && trimmed.trim_start_matches('-').starts_with('0');
            match trimmed.parse::<i64>() {
                Ok(n) if !zero_led => Ok(ScalarValue::Int64(Some(n))),
                _ => Ok(text),
            }
        }
    }
}

/// Binds `values` to the `$name` placeholders of `plan`; a placeholder without a value is an
/// error naming it. Names of the values used are added to `used`.
pub fn bind(
    plan: LogicalPlan,
    values: &HashMap<String, String>,
    used: &mut Vec<String>,
) -> Result<LogicalPlan> {
    let wanted = plan.get_parameter_types()?;
    if wanted.is_empty() {
        return Ok(plan);
    }
    let mut names: Vec<&String> = wanted.keys().collect();
    names.sort();
    let counts = row_counts(&plan)?;
    let mut map = HashMap::new();
    for id in names {
        let name = id.trim_start_matches('$');
        let wanted = wanted[id].as_ref();
        let Some(value) = values.get(name) else {
            bail!("missing parameter {id}: pass it with --param {name}=VALUE");
        };
        let bound = if counts.contains(id) {
            // A row count whatever else the placeholder stands for: bound as the integer
            // DataFusion's LIMIT wants (`010` too, which `scalar` keeps as text).
            match value.trim().parse::<i64>() {
                Ok(n) if n >= 0 => ScalarValue::Int64(Some(n)),
                _ => bail!("--param {name}={value}: {id} is a LIMIT or OFFSET, a whole number of rows (0 or more)"),
            }
        } else {
            scalar(name, value, wanted)?
        };
        used.push(name.to_string());
        map.insert(name.to_string(), ScalarAndMetadata::from(bound));
    }
    Ok(plan.with_param_values(ParamValues::Map(map))?)
}

/// The placeholders that stand for a LIMIT or OFFSET in `plan` (DataFusion gives them no
/// type, so a value that is no count would fail later, with a message naming no parameter).
fn row_counts(plan: &LogicalPlan) -> Result<Vec<String>> {
    use datafusion::common::tree_node::TreeNodeRecursion;
    use datafusion::logical_expr::Expr;
    let mut ids = Vec::new();
    plan.apply_with_subqueries(|node| {
        if let LogicalPlan::Limit(limit) = node {
            for expr in [&limit.skip, &limit.fetch].into_iter().flatten() {
                if let Expr::Placeholder(p) = expr.as_ref() {
                    ids.push(p.id.clone());
                }
            }
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_query_has_a_header() {
        for (name, sql) in BUNDLED {
            let q = SavedQuery::parse(name, sql);
            assert!(q.description.len() > 10, "{name}");
            assert!(q.description.ends_with('.'), "{name}: {}", q.description);
            assert!(sql.contains("-- Needs:"), "{name}");
            for p in ["$limit", "$since"] {
                if sql.lines().any(|l| !l.starts_with("--") && l.contains(p)) {
                    assert!(
                        q.params.contains_key(&p[1..]),
                        "{name} uses {p} without declaring it"
                    );
                }
            }
        }
    }

    #[test]
    fn parameters_and_defaults() {
        let q = SavedQuery::bundled("requests_since").unwrap();
        assert_eq!(q.params.get("since"), Some(&None));
        assert_eq!(q.params.get("limit"), Some(&Some("100".to_string())));
        assert_eq!(
            SavedQuery::bundled("top_404.sql")
                .unwrap()
                .params
                .get("limit"),
            Some(&Some("10".into()))
        );
        let untyped = |v: &str| scalar("p", v, None).unwrap();
        assert_eq!(untyped("20"), ScalarValue::Int64(Some(20)));
        assert_eq!(untyped("-3"), ScalarValue::Int64(Some(-3)));
        // A zero-led code is text, not the number it would read as.
        assert_eq!(untyped("007"), ScalarValue::Utf8(Some("007".into())));
        assert_eq!(untyped("0"), ScalarValue::Int64(Some(0)));
        assert_eq!(
            untyped("x' OR 1=1 --"),
            ScalarValue::Utf8(Some("x' OR 1=1 --".into()))
        );
        // Where the query types the placeholder, the value takes that type, or is an error.
        assert_eq!(
            scalar("p", "007", Some(&DataType::Utf8)).unwrap(),
            ScalarValue::Utf8(Some("007".into()))
        );
        assert_eq!(
            scalar("p", "404", Some(&DataType::UInt16)).unwrap(),
            ScalarValue::UInt16(Some(404))
        );
        let bad = scalar("s", "abc", Some(&DataType::UInt16)).unwrap_err();
        assert!(bad.to_string().contains("--param s=abc"), "{bad}");
    }
}
