//! Hidden columns: `_file` and `_line` exist on every log table but stay out of `SELECT *`.
//!
//! DataFusion has no notion of hidden columns, so statements are rewritten before planning:
//! a wildcard over a single log table (`SELECT * FROM logs`, `SELECT logs.* ...`) gets
//! `EXCLUDE (_file, _line)`. Naming the columns selects them, and a scan builds them only then.

use std::ops::ControlFlow;

use datafusion::sql::parser::{CopyToSource, Statement as DfStatement};
use datafusion::sql::sqlparser::ast::{
    ExcludeSelectItem, Ident, ObjectName, Query, SelectItem, SetExpr, TableFactor, VisitMut,
    VisitorMut, WildcardAdditionalOptions,
};

/// Names of the hidden columns, in table order.
pub const HIDDEN_COLUMNS: [&str; 2] = ["_file", "_line"];

/// Rewrites wildcards over any of `log_tables` in `statement` so they leave the hidden
/// columns out.
pub fn hide_columns(statement: &mut DfStatement, log_tables: &[String]) {
    let mut visitor = Hider { log_tables };
    match statement {
        DfStatement::Statement(s) => {
            let _ = s.visit(&mut visitor);
        }
        DfStatement::Explain(e) => hide_columns(&mut e.statement, log_tables),
        DfStatement::CopyTo(c) => {
            if let CopyToSource::Query(q) = &mut c.source {
                let _ = q.visit(&mut visitor);
            }
        }
        _ => {}
    }
}

struct Hider<'a> {
    log_tables: &'a [String],
}

impl VisitorMut for Hider<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        self.rewrite(&mut query.body);
        ControlFlow::Continue(())
    }
}

impl Hider<'_> {
    fn rewrite(&self, body: &mut SetExpr) {
        match body {
            SetExpr::Select(select) => {
                // Only a lone table: with joins, EXCLUDE of an unqualified name is ambiguous.
                let [from] = select.from.as_slice() else {
                    return;
                };
                let TableFactor::Table { name, alias, .. } = &from.relation else {
                    return;
                };
                if !from.joins.is_empty() || !self.is_log_table(&name.to_string()) {
                    return;
                }
                let table_names = [
                    Some(name.to_string()),
                    alias.as_ref().map(|a| a.name.value.clone()),
                ];
                for item in &mut select.projection {
                    let options = match item {
                        SelectItem::Wildcard(options) => options,
                        SelectItem::QualifiedWildcard(kind, options)
                            if table_names
                                .iter()
                                .flatten()
                                .any(|n| qualifier_is(&kind.to_string(), n)) =>
                        {
                            options
                        }
                        _ => continue,
                    };
                    exclude_hidden(options);
                }
            }
            SetExpr::SetOperation { left, right, .. } => {
                self.rewrite(left);
                self.rewrite(right);
            }
            _ => {}
        }
    }

    fn is_log_table(&self, name: &str) -> bool {
        let name = name.trim_matches('"');
        self.log_tables.iter().any(|t| t.eq_ignore_ascii_case(name))
    }
}

/// Whether the qualifier of `q.*` (displayed with or without the `.*`) names table `n`.
fn qualifier_is(qualifier: &str, n: &str) -> bool {
    qualifier
        .trim_end_matches(".*")
        .trim_matches('"')
        .eq_ignore_ascii_case(n.trim_matches('"'))
}

fn exclude_hidden(options: &mut WildcardAdditionalOptions) {
    if options.opt_exclude.is_none() && options.opt_except.is_none() {
        options.opt_exclude = Some(ExcludeSelectItem::Multiple(
            HIDDEN_COLUMNS
                .iter()
                .map(|c| ObjectName::from(vec![Ident::new(*c)]))
                .collect(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::parser::DFParser;

    fn rewrite(sql: &str) -> String {
        let mut statements = DFParser::parse_sql(sql).unwrap();
        let mut s = statements.pop_front().unwrap();
        hide_columns(&mut s, &["logs".to_string()]);
        s.to_string()
    }

    #[test]
    fn wildcards_over_a_log_table_exclude_hidden_columns() {
        assert_eq!(
            rewrite("SELECT * FROM logs"),
            "SELECT * EXCLUDE (_file, _line) FROM logs"
        );
        assert_eq!(
            rewrite("SELECT l.* FROM logs AS l"),
            "SELECT l.* EXCLUDE (_file, _line) FROM logs AS l"
        );
        assert!(rewrite("SELECT * FROM (SELECT * FROM logs) t")
            .contains("(SELECT * EXCLUDE (_file, _line) FROM logs)"));
        assert!(rewrite("EXPLAIN SELECT * FROM logs").contains("EXCLUDE (_file, _line)"));
    }

    #[test]
    fn other_queries_are_untouched() {
        assert_eq!(
            rewrite("SELECT _file, _line FROM logs"),
            "SELECT _file, _line FROM logs"
        );
        assert_eq!(rewrite("SELECT * FROM other"), "SELECT * FROM other");
        assert_eq!(
            rewrite("SELECT * EXCLUDE (ts) FROM logs"),
            "SELECT * EXCLUDE (ts) FROM logs"
        );
    }
}
