//! Hidden columns: `_file` and `_line` exist on every log table but stay out of `SELECT *`.
//!
//! DataFusion has no notion of hidden columns, so statements are rewritten before planning.
//! A wildcard over one relation, or a qualified wildcard over a log relation, gets
//! `EXCLUDE (_file, _line)` (merged into the user's own `EXCLUDE` or `EXCEPT`). An
//! unqualified `*` over several relations becomes one qualified wildcard per relation that
//! reaches the output (a semi or anti join shows one side), so that another relation's own
//! `_file` stays; a relation without a name gets an alias to qualify. Only a `USING` or
//! `NATURAL` join keeps its `*` (which shows the join columns once), with an unqualified
//! `EXCLUDE` when one log relation is in it. Names a `WITH` defines are not log tables.
//! Naming the columns selects them, and a scan builds them only then.

use std::ops::ControlFlow;

use datafusion::sql::parser::{CopyToSource, Statement as DfStatement};
use datafusion::sql::sqlparser::ast::{
    ExcludeSelectItem, Ident, JoinConstraint, JoinOperator, ObjectName, ObjectNamePart, Query,
    SelectItem, SelectItemQualifiedWildcardKind, SetExpr, TableAlias, TableFactor, TableWithJoins,
    VisitMut, VisitorMut, WildcardAdditionalOptions,
};

/// Names of the hidden columns, in table order.
pub const HIDDEN_COLUMNS: [&str; 2] = ["_file", "_line"];

/// Prefix of the aliases given to relations that have no name, to qualify their wildcard.
const ALIAS_PREFIX: &str = "__logsql_relation_";

/// Rewrites wildcards over any of `log_tables` (names as registered, which SQL folds to lower
/// case unless quoted) in `statement` so they leave the hidden columns out. `read_log(...)`
/// is a log relation too.
pub fn hide_columns(statement: &mut DfStatement, log_tables: &[String]) {
    let mut visitor = Hider {
        log_tables,
        ctes: Vec::new(),
    };
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
    /// The names each enclosing query's `WITH` defines, innermost last.
    ctes: Vec<Vec<String>>,
}

impl VisitorMut for Hider<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        let mut defined = Vec::new();
        if let Some(with) = &mut query.with {
            // A CTE's body sees the tables, and the CTEs before it, not itself (the visitor
            // visits it again later, as a no-op: its wildcards then say EXCLUDE already, or
            // name no log table).
            for cte in &mut with.cte_tables {
                self.ctes.push(defined.clone());
                self.rewrite(&mut cte.query.body);
                self.ctes.pop();
                defined.push(normalized(&cte.alias.name));
            }
        }
        self.ctes.push(defined);
        self.rewrite(&mut query.body);
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &mut Query) -> ControlFlow<()> {
        self.ctes.pop();
        ControlFlow::Continue(())
    }
}

/// A relation of a `FROM` clause whose columns reach the output, as a wildcard sees it.
struct Relation {
    /// What `q.*` calls it: its alias, else its table name; `None` for a subquery or a
    /// function without an alias, which gets one if a wildcard must name it.
    qualifier: Option<Vec<String>>,
    is_log: bool,
}

/// What the `FROM` clause of one SELECT holds.
#[derive(Default)]
struct From<'a> {
    /// Relations whose columns reach the output, in order.
    output: Vec<&'a mut TableFactor>,
    /// A USING or NATURAL join (or one this rewrite does not know) is in it.
    merges_columns: bool,
}

impl<'a> From<'a> {
    fn add(&mut self, from: &'a mut TableWithJoins) {
        let start = self.output.len();
        self.add_factor(&mut from.relation);
        for join in &mut from.joins {
            match output_sides(&join.join_operator) {
                Sides::Both => self.add_factor(&mut join.relation),
                Sides::Left => {}
                Sides::Right => {
                    self.output.truncate(start);
                    self.add_factor(&mut join.relation);
                }
                Sides::Merged => {
                    self.merges_columns = true;
                    self.add_factor(&mut join.relation);
                }
            }
        }
    }

    fn add_factor(&mut self, factor: &'a mut TableFactor) {
        match factor {
            // Parentheses without an alias group joins, not columns.
            TableFactor::NestedJoin {
                table_with_joins,
                alias: None,
            } => self.add(table_with_joins),
            other => self.output.push(other),
        }
    }
}

/// Which sides of a join its output has.
enum Sides {
    Both,
    Left,
    Right,
    /// Both, a join column once (USING, NATURAL), or unknown.
    Merged,
}

fn output_sides(op: &JoinOperator) -> Sides {
    let constraint = match op {
        JoinOperator::Semi(_)
        | JoinOperator::LeftSemi(_)
        | JoinOperator::Anti(_)
        | JoinOperator::LeftAnti(_) => return Sides::Left,
        JoinOperator::RightSemi(_) | JoinOperator::RightAnti(_) => return Sides::Right,
        JoinOperator::Join(c)
        | JoinOperator::Inner(c)
        | JoinOperator::Left(c)
        | JoinOperator::LeftOuter(c)
        | JoinOperator::Right(c)
        | JoinOperator::RightOuter(c)
        | JoinOperator::FullOuter(c)
        | JoinOperator::CrossJoin(c)
        | JoinOperator::StraightJoin(c) => c,
        JoinOperator::AsOf { constraint, .. } => constraint,
        // APPLY and what a newer parser adds: keep the `*` as written.
        _ => return Sides::Merged,
    };
    match constraint {
        JoinConstraint::Using(_) | JoinConstraint::Natural => Sides::Merged,
        _ => Sides::Both,
    }
}

impl Hider<'_> {
    fn rewrite(&self, body: &mut SetExpr) {
        match body {
            SetExpr::Select(select) => {
                let mut from = From::default();
                for item in &mut select.from {
                    from.add(item);
                }
                let relations: Vec<Relation> =
                    from.output.iter().map(|f| self.relation(f)).collect();
                let logs = relations.iter().filter(|r| r.is_log).count();
                if logs == 0 {
                    return;
                }
                let mut expanded = false;
                let mut projection = Vec::with_capacity(select.projection.len());
                for mut item in select.projection.drain(..) {
                    match &mut item {
                        SelectItem::Wildcard(options)
                            if relations.len() == 1 || (from.merges_columns && logs == 1) =>
                        {
                            exclude_hidden(options)
                        }
                        SelectItem::Wildcard(options)
                            if !from.merges_columns && is_plain(options) =>
                        {
                            for (n, relation) in relations.iter().enumerate() {
                                let qualifier = match &relation.qualifier {
                                    Some(parts) => ObjectName::from(
                                        parts.iter().map(|p| ident(p)).collect::<Vec<_>>(),
                                    ),
                                    None => ObjectName::from(vec![nameless_alias(n)]),
                                };
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
                        SelectItem::QualifiedWildcard(
                            SelectItemQualifiedWildcardKind::ObjectName(name),
                            options,
                        ) if relations.iter().any(|r| {
                            r.is_log && r.qualifier.as_ref().is_some_and(|q| names(q, name))
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
                    for (n, factor) in from.output.into_iter().enumerate() {
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
        let alias_of =
            |alias: &Option<TableAlias>| alias.as_ref().map(|a| vec![normalized(&a.name)]);
        match factor {
            TableFactor::Table {
                name, alias, args, ..
            } => {
                let parts = object_name_parts(name);
                let table = parts.last().map(String::as_str).unwrap_or_default();
                let is_log = match args {
                    None => self.is_log_table(table),
                    Some(_) => table == "read_log",
                };
                let qualifier = match (alias, args) {
                    (Some(_), _) => alias_of(alias),
                    (None, None) => Some(parts),
                    (None, Some(_)) => None,
                };
                Relation { qualifier, is_log }
            }
            TableFactor::Derived { alias, .. } => Relation {
                qualifier: alias_of(alias),
                is_log: false,
            },
            TableFactor::NestedJoin { alias, .. } => Relation {
                qualifier: alias_of(alias),
                is_log: false,
            },
            _ => Relation {
                qualifier: None,
                is_log: false,
            },
        }
    }

    /// Whether `table` (normalized) is a log table the query's `WITH` does not shadow.
    fn is_log_table(&self, table: &str) -> bool {
        self.log_tables.iter().any(|t| t == table)
            && !self.ctes.iter().flatten().any(|cte| cte == table)
    }
}

/// An identifier as SQL resolves it: folded to lower case unless quoted.
fn normalized(ident: &Ident) -> String {
    match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => ident.value.to_lowercase(),
    }
}

/// The identifier that resolves to the normalized name `name`: quoted unless SQL would read
/// it back unchanged (its `to_string()` is how to write the name in SQL).
pub fn ident(name: &str) -> Ident {
    let bare = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if bare {
        Ident::new(name)
    } else {
        Ident::with_quote('"', name)
    }
}

fn object_name_parts(name: &ObjectName) -> Vec<String> {
    name.0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(ident) => normalized(ident),
            other => other.to_string(),
        })
        .collect()
}

/// Whether the `q` of `q.*` names the relation qualified by `parts` (`logs.*` names
/// `public.logs` too).
fn names(parts: &[String], q: &ObjectName) -> bool {
    let q = object_name_parts(q);
    q == parts || (q.len() == 1 || parts.len() == 1) && q.last() == parts.last()
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

fn nameless_alias(n: usize) -> Ident {
    Ident::new(format!("{ALIAS_PREFIX}{n}"))
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
            name: nameless_alias(n),
            columns: vec![],
            at: None,
        });
    }
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

    /// Joins and lists of relations: a qualified wildcard for each relation that reaches the
    /// output, and a relation without a name gets an alias for it.
    #[test]
    fn wildcards_over_joins_exclude_hidden_columns() {
        assert_eq!(
            rewrite("SELECT * FROM logs AS a JOIN other AS b ON a.client = b.client"),
            "SELECT a.* EXCLUDE (_file, _line), b.* FROM logs AS a JOIN other AS b ON a.client = b.client"
        );
        assert_eq!(
            rewrite("SELECT * FROM logs AS a JOIN logs AS b ON a.client = b.client"),
            "SELECT a.* EXCLUDE (_file, _line), b.* EXCLUDE (_file, _line) \
             FROM logs AS a JOIN logs AS b ON a.client = b.client"
        );
        assert_eq!(
            rewrite("SELECT * FROM logs, logs AS \"B\", (SELECT 1 AS x)"),
            "SELECT logs.* EXCLUDE (_file, _line), \"B\".* EXCLUDE (_file, _line), \
             __logsql_relation_2.* FROM logs, logs AS \"B\", (SELECT 1 AS x) AS __logsql_relation_2"
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
        // Parentheses group joins: their relations are qualified one by one.
        assert_eq!(
            rewrite("SELECT * FROM (logs AS a JOIN logs AS b ON true), (t JOIN u ON true)"),
            "SELECT a.* EXCLUDE (_file, _line), b.* EXCLUDE (_file, _line), t.*, u.* \
             FROM (logs AS a JOIN logs AS b ON true), (t JOIN u ON true)"
        );
    }

    /// A semi or anti join shows one side: only its relations are in the output.
    #[test]
    fn semi_and_anti_joins_show_one_side() {
        assert_eq!(
            rewrite("SELECT * FROM logs AS a LEFT SEMI JOIN logs AS b ON true"),
            "SELECT * EXCLUDE (_file, _line) FROM logs AS a LEFT SEMI JOIN logs AS b ON true"
        );
        assert_eq!(
            rewrite("SELECT * FROM t RIGHT ANTI JOIN logs AS b ON true"),
            "SELECT * EXCLUDE (_file, _line) FROM t RIGHT ANTI JOIN logs AS b ON true"
        );
        assert_eq!(
            rewrite("SELECT * FROM t LEFT SEMI JOIN logs AS b ON true"),
            "SELECT * FROM t LEFT SEMI JOIN logs AS b ON true"
        );
    }

    /// USING shows a join column once under `*`, qualified wildcards twice: `*` stays, with an
    /// unqualified EXCLUDE when one log relation is in the join.
    #[test]
    fn using_joins_keep_their_wildcard() {
        assert_eq!(
            rewrite("SELECT * FROM logs AS a JOIN t USING (client)"),
            "SELECT * EXCLUDE (_file, _line) FROM logs AS a JOIN t USING(client)"
        );
        assert_eq!(
            rewrite("SELECT * FROM logs AS a JOIN logs AS b USING (client)"),
            "SELECT * FROM logs AS a JOIN logs AS b USING(client)"
        );
    }

    /// A name a `WITH` defines is no log table, in the query and below it, but not in its own
    /// body.
    #[test]
    fn ctes_shadow_log_tables() {
        assert_eq!(
            rewrite("WITH logs AS (SELECT * FROM logs LIMIT 2) SELECT * FROM logs"),
            "WITH logs AS (SELECT * EXCLUDE (_file, _line) FROM logs LIMIT 2) SELECT * FROM logs"
        );
        assert_eq!(
            rewrite("WITH logs AS (SELECT 1 AS x) SELECT * FROM (SELECT * FROM logs)"),
            "WITH logs AS (SELECT 1 AS x) SELECT * FROM (SELECT * FROM logs)"
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
