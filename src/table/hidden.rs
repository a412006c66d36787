//! Hidden columns: `_file` and `_line` exist on every log table but stay out of `SELECT *`.
//!
//! DataFusion has no notion of hidden columns, so statements are rewritten before planning.
//! A wildcard over one relation, or a qualified wildcard over a log relation, gets
//! `EXCLUDE (_file, _line)` (merged into the user's own `EXCLUDE` or `EXCEPT`). An
//! unqualified `*` over a join or a list of relations gets the same `EXCLUDE` when one of them
//! is a log relation; with several, the unqualified names would be ambiguous, so `*` becomes
//! one qualified wildcard per relation (a relation without a name gets an alias to qualify).
//! Naming the columns selects them, and a scan builds them only then.

use std::ops::ControlFlow;

use datafusion::sql::parser::{CopyToSource, Statement as DfStatement};
use datafusion::sql::sqlparser::ast::{
    ExcludeSelectItem, Ident, JoinConstraint, JoinOperator, ObjectName, Query, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, TableAlias, TableFactor, VisitMut, VisitorMut,
    WildcardAdditionalOptions,
};

/// Names of the hidden columns, in table order.
pub const HIDDEN_COLUMNS: [&str; 2] = ["_file", "_line"];

/// Prefix of the aliases given to relations that have no name, to qualify their wildcard.
const ALIAS_PREFIX: &str = "__logsql_relation_";

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

/// A relation of a `FROM` clause, as a wildcard sees it.
struct Relation {
    /// What `q.*` calls it: its alias, else its table name; `None` for a subquery or a
    /// function without an alias.
    qualifier: Option<ObjectName>,
    is_log: bool,
}

impl Hider<'_> {
    fn rewrite(&self, body: &mut SetExpr) {
        match body {
            SetExpr::Select(select) => {
                let mut factors: Vec<&mut TableFactor> = Vec::new();
                let mut merged_columns = false;
                for from in &mut select.from {
                    factors.push(&mut from.relation);
                    for join in &mut from.joins {
                        merged_columns |= merges_columns(&join.join_operator);
                        factors.push(&mut join.relation);
                    }
                }
                let relations: Vec<Relation> = factors.iter().map(|f| self.relation(f)).collect();
                let logs = relations.iter().filter(|r| r.is_log).count();
                if logs == 0 {
                    return;
                }
                let mut expanded = false;
                let mut projection = Vec::with_capacity(select.projection.len());
                for mut item in select.projection.drain(..) {
                    match &mut item {
                        SelectItem::Wildcard(options) if relations.len() == 1 || logs == 1 => {
                            exclude_hidden(options)
                        }
                        // Several log relations: `_file` alone would be ambiguous. With USING
                        // or NATURAL, `*` shows a join column once and qualified wildcards
                        // twice, so such a `*` is left as it is.
                        SelectItem::Wildcard(options) if !merged_columns && is_plain(options) => {
                            for (n, relation) in relations.iter().enumerate() {
                                let qualifier = relation.qualifier.clone().unwrap_or_else(|| {
                                    ObjectName::from(vec![Ident::new(format!("{ALIAS_PREFIX}{n}"))])
                                });
                                let mut options = WildcardAdditionalOptions::default();
                                if relation.is_log {
                                    exclude_hidden(&mut options);
                                }
                                projection.push(SelectItem::QualifiedWildcard(
                                    SelectItemQualifiedWildcardKind::ObjectName(qualifier),
                                    options,
                                ));
                            }
                            expanded = true;
                            continue;
                        }
                        SelectItem::QualifiedWildcard(kind, options)
                            if relations.iter().any(|r| {
                                r.is_log
                                    && r.qualifier
                                        .as_ref()
                                        .is_some_and(|q| qualifier_is(&kind.to_string(), q))
                            }) =>
                        {
                            exclude_hidden(options)
                        }
                        _ => {}
                    }
                    projection.push(item);
                }
                select.projection = projection;
                if expanded {
                    for (n, factor) in factors.into_iter().enumerate() {
                        name_if_nameless(factor, n);
                    }
                }
            }
            SetExpr::SetOperation { left, right, .. } => {
                self.rewrite(left);
                self.rewrite(right);
            }
            _ => {}
        }
    }

    fn relation(&self, factor: &TableFactor) -> Relation {
        match factor {
            TableFactor::Table {
                name, alias, args, ..
            } => {
                let is_log = self.is_log_table(&name.to_string())
                    && (args.is_none() || name.to_string().eq_ignore_ascii_case("read_log"));
                let qualifier = match (alias, args) {
                    (Some(alias), _) => Some(ObjectName::from(vec![alias.name.clone()])),
                    (None, None) => Some(name.clone()),
                    (None, Some(_)) => None,
                };
                Relation { qualifier, is_log }
            }
            TableFactor::Derived { alias, .. } => Relation {
                qualifier: alias
                    .as_ref()
                    .map(|a| ObjectName::from(vec![a.name.clone()])),
                is_log: false,
            },
            _ => Relation {
                qualifier: None,
                is_log: false,
            },
        }
    }

    fn is_log_table(&self, name: &str) -> bool {
        let name = name.trim_matches('"');
        self.log_tables.iter().any(|t| t.eq_ignore_ascii_case(name))
    }
}

/// Whether a join shows its join columns once under `*` (USING, NATURAL).
fn merges_columns(op: &JoinOperator) -> bool {
    let constraint = match op {
        JoinOperator::Join(c)
        | JoinOperator::Inner(c)
        | JoinOperator::Left(c)
        | JoinOperator::LeftOuter(c)
        | JoinOperator::Right(c)
        | JoinOperator::RightOuter(c)
        | JoinOperator::FullOuter(c)
        | JoinOperator::CrossJoin(c)
        | JoinOperator::Semi(c)
        | JoinOperator::LeftSemi(c)
        | JoinOperator::RightSemi(c)
        | JoinOperator::Anti(c)
        | JoinOperator::LeftAnti(c)
        | JoinOperator::RightAnti(c)
        | JoinOperator::StraightJoin(c) => c,
        JoinOperator::AsOf { constraint, .. } => constraint,
        _ => return true,
    };
    matches!(
        constraint,
        JoinConstraint::Using(_) | JoinConstraint::Natural
    )
}

/// A `*` with no EXCLUDE, EXCEPT, REPLACE, RENAME, ILIKE or alias.
fn is_plain(options: &WildcardAdditionalOptions) -> bool {
    options.opt_ilike.is_none()
        && options.opt_exclude.is_none()
        && options.opt_except.is_none()
        && options.opt_replace.is_none()
        && options.opt_rename.is_none()
        && options.opt_alias.is_none()
}

/// Gives a subquery or function without an alias the one its expanded wildcard names.
fn name_if_nameless(factor: &mut TableFactor, n: usize) {
    let alias = match factor {
        TableFactor::Derived { alias, .. } => alias,
        TableFactor::Table {
            alias,
            args: Some(_),
            ..
        } => alias,
        _ => return,
    };
    if alias.is_none() {
        *alias = Some(TableAlias {
            explicit: true,
            name: Ident::new(format!("{ALIAS_PREFIX}{n}")),
            columns: vec![],
            at: None,
        });
    }
}

/// Whether the qualifier of `q.*` (displayed with or without the `.*`) names `relation`.
fn qualifier_is(qualifier: &str, relation: &ObjectName) -> bool {
    qualifier
        .trim_end_matches(".*")
        .trim_matches('"')
        .eq_ignore_ascii_case(relation.to_string().trim_matches('"'))
}

/// Adds the hidden columns to the wildcard's EXCLUDE, or to its EXCEPT when it has one and no
/// EXCLUDE; a hidden column the user already leaves out is not named twice.
fn exclude_hidden(options: &mut WildcardAdditionalOptions) {
    let named = |c: &str| -> bool {
        let in_exclude = match &options.opt_exclude {
            Some(ExcludeSelectItem::Single(n)) => n.to_string().eq_ignore_ascii_case(c),
            Some(ExcludeSelectItem::Multiple(ns)) => {
                ns.iter().any(|n| n.to_string().eq_ignore_ascii_case(c))
            }
            None => false,
        };
        let in_except = options.opt_except.as_ref().is_some_and(|e| {
            std::iter::once(&e.first_element)
                .chain(&e.additional_elements)
                .any(|i| i.value.eq_ignore_ascii_case(c))
        });
        in_exclude || in_except
    };
    let missing: Vec<ObjectName> = HIDDEN_COLUMNS
        .iter()
        .filter(|c| !named(c))
        .map(|c| ObjectName::from(vec![Ident::new(*c)]))
        .collect();
    if missing.is_empty() {
        return;
    }
    let names = match options.opt_exclude.take() {
        None => missing,
        Some(ExcludeSelectItem::Single(n)) => std::iter::once(n).chain(missing).collect(),
        Some(ExcludeSelectItem::Multiple(ns)) => ns.into_iter().chain(missing).collect(),
    };
    options.opt_exclude = Some(ExcludeSelectItem::Multiple(names));
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::parser::DFParser;

    fn rewrite(sql: &str) -> String {
        let mut statements = DFParser::parse_sql(sql).unwrap();
        let mut s = statements.pop_front().unwrap();
        hide_columns(&mut s, &["logs".to_string(), "read_log".to_string()]);
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

    /// Joins and lists of relations: one log relation takes an unqualified EXCLUDE; several
    /// take a qualified wildcard each, and a relation without a name gets an alias for it.
    #[test]
    fn wildcards_over_joins_exclude_hidden_columns() {
        assert_eq!(
            rewrite("SELECT * FROM logs AS a JOIN other AS b ON a.client = b.client"),
            "SELECT * EXCLUDE (_file, _line) FROM logs AS a JOIN other AS b ON a.client = b.client"
        );
        assert_eq!(
            rewrite("SELECT * FROM logs AS a JOIN logs AS b ON a.client = b.client"),
            "SELECT a.* EXCLUDE (_file, _line), b.* EXCLUDE (_file, _line) \
             FROM logs AS a JOIN logs AS b ON a.client = b.client"
        );
        assert_eq!(
            rewrite("SELECT * FROM logs, logs AS b, (SELECT 1 AS x)"),
            "SELECT logs.* EXCLUDE (_file, _line), b.* EXCLUDE (_file, _line), \
             __logsql_relation_2.* FROM logs, logs AS b, (SELECT 1 AS x) AS __logsql_relation_2"
        );
        assert_eq!(
            rewrite("SELECT * FROM read_log('a.log') a JOIN read_log('b.log') b ON a.uri = b.uri"),
            "SELECT a.* EXCLUDE (_file, _line), b.* EXCLUDE (_file, _line) \
             FROM read_log('a.log') a JOIN read_log('b.log') b ON a.uri = b.uri"
        );
        assert_eq!(
            rewrite("SELECT b.* FROM other AS a JOIN logs AS b ON true"),
            "SELECT b.* EXCLUDE (_file, _line) FROM other AS a JOIN logs AS b ON true"
        );
        // USING shows the join column once under `*`; qualified wildcards would show it twice.
        assert_eq!(
            rewrite("SELECT * FROM logs AS a JOIN logs AS b USING (client)"),
            "SELECT * FROM logs AS a JOIN logs AS b USING(client)"
        );
    }

    /// The user's own EXCLUDE or EXCEPT keeps its columns and gains the hidden ones.
    #[test]
    fn hidden_columns_join_an_exclude_list() {
        assert_eq!(
            rewrite("SELECT * EXCLUDE (request) FROM logs"),
            "SELECT * EXCLUDE (request, _file, _line) FROM logs"
        );
        assert_eq!(
            rewrite("SELECT * EXCLUDE (_line) FROM logs"),
            "SELECT * EXCLUDE (_line, _file) FROM logs"
        );
        assert_eq!(
            rewrite("SELECT * EXCEPT (ts) FROM logs"),
            "SELECT * EXCLUDE (_file, _line) EXCEPT (ts) FROM logs"
        );
    }

    #[test]
    fn other_queries_are_untouched() {
        assert_eq!(
            rewrite("SELECT _file, _line FROM logs"),
            "SELECT _file, _line FROM logs"
        );
        assert_eq!(rewrite("SELECT * FROM other"), "SELECT * FROM other");
        assert_eq!(
            rewrite("SELECT * FROM other AS a JOIN other AS b ON true"),
            "SELECT * FROM other AS a JOIN other AS b ON true"
        );
    }
}
