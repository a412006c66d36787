//! Tab completion and the rustyline helper that ties completion and validation together.
//!
//! What can be completed is a snapshot ([`Catalog`]) refreshed after every statement and
//! `.open`, so completing never has to reach into DataFusion (which is async) from the editor.

use std::sync::{Arc, Mutex};

use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};

use super::commands;
use super::splitter::StatementValidator;

/// Common SQL keywords (the parser knows hundreds; these are the ones people type).
pub const KEYWORDS: &[&str] = &[
    "ALL",
    "AND",
    "ANY",
    "AS",
    "ASC",
    "BETWEEN",
    "BY",
    "CASE",
    "CAST",
    "COPY",
    "CREATE",
    "CROSS",
    "CURRENT_DATE",
    "CURRENT_TIMESTAMP",
    "DATE",
    "DESC",
    "DESCRIBE",
    "DISTINCT",
    "DROP",
    "ELSE",
    "END",
    "EXCEPT",
    "EXISTS",
    "EXPLAIN",
    "EXTERNAL",
    "FALSE",
    "FILTER",
    "FIRST",
    "FOLLOWING",
    "FROM",
    "FULL",
    "GROUP",
    "HAVING",
    "ILIKE",
    "IN",
    "INNER",
    "INSERT",
    "INTERSECT",
    "INTERVAL",
    "INTO",
    "IS",
    "JOIN",
    "LAST",
    "LEFT",
    "LIKE",
    "LIMIT",
    "NOT",
    "NULL",
    "NULLS",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "OVER",
    "PARTITION",
    "PRECEDING",
    "RANGE",
    "RECURSIVE",
    "RIGHT",
    "ROWS",
    "SELECT",
    "SET",
    "SHOW",
    "SIMILAR",
    "TABLE",
    "TABLES",
    "THEN",
    "TIMESTAMP",
    "TRUE",
    "UNBOUNDED",
    "UNION",
    "USING",
    "VALUES",
    "VIEW",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
];

const MODES: &[&str] = &["table", "csv", "tsv", "json", "ndjson", "markdown"];

/// Names known to the session: tables with their columns, and functions.
#[derive(Debug, Default, Clone)]
pub struct Catalog {
    pub tables: Vec<(String, Vec<String>)>,
    pub functions: Vec<String>,
}

/// What to complete at the cursor.
#[derive(Debug, PartialEq, Eq)]
pub enum Completion {
    /// Replace from byte `start` with one of the words.
    Words(usize, Vec<String>),
    /// A file name (inside quotes, or a file argument of a meta command).
    Files,
    None,
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `text` ends inside a '...' string (outside comments and "identifiers").
fn in_string(text: &str) -> bool {
    let (mut single, mut double, mut line, mut block) = (false, false, false, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if line {
            line = c != '\n';
        } else if block {
            if c == '*' && chars.peek() == Some(&'/') {
                chars.next();
                block = false;
            }
        } else if single {
            single = c != '\'';
        } else if double {
            double = c != '"';
        } else {
            match c {
                '\'' => single = true,
                '"' => double = true,
                '-' if chars.peek() == Some(&'-') => line = true,
                '/' if chars.peek() == Some(&'*') => block = true,
                _ => {}
            }
        }
    }
    single
}

fn matching<'a>(prefix: &str, words: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let lower = prefix.to_lowercase();
    words
        .into_iter()
        .filter(|w| w.to_lowercase().starts_with(&lower))
        .map(str::to_string)
        .collect()
}

impl Catalog {
    /// Decides what to offer for `line` with the cursor at byte `pos`.
    pub fn complete(&self, line: &str, pos: usize) -> Completion {
        let before = &line[..pos];
        // The statement being typed: meta commands are always alone on their line.
        let current = before.rsplit(';').next().unwrap_or(before);
        let trimmed = current.trim_start();
        if trimmed.starts_with('.') || trimmed.starts_with('\\') {
            return self.complete_meta(trimmed, pos);
        }
        if in_string(before) {
            return Completion::Files;
        }
        let start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| is_word(*c))
            .last()
            .map_or(pos, |(i, _)| i);
        let prefix = &before[start..];
        // `t.col`: the columns of table t.
        if before[..start].ends_with('.') {
            let qual_end = start - 1;
            let qual_start = before[..qual_end]
                .char_indices()
                .rev()
                .take_while(|(_, c)| is_word(*c))
                .last()
                .map_or(qual_end, |(i, _)| i);
            let qualifier = &before[qual_start..qual_end];
            if let Some((_, cols)) = self
                .tables
                .iter()
                .find(|(t, _)| t.eq_ignore_ascii_case(qualifier))
            {
                return Completion::Words(start, matching(prefix, cols.iter().map(String::as_str)));
            }
        }
        if prefix.is_empty() {
            return Completion::None;
        }
        // Columns of the tables the statement names; of every table if it names none yet.
        let words_in_line: Vec<String> = line
            .split(|c: char| !is_word(c))
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let mut in_scope: Vec<&(String, Vec<String>)> = self
            .tables
            .iter()
            .filter(|(t, _)| words_in_line.contains(&t.to_lowercase()))
            .collect();
        if in_scope.is_empty() {
            in_scope = self.tables.iter().collect();
        }
        let mut out = matching(
            prefix,
            in_scope
                .iter()
                .flat_map(|(_, cols)| cols.iter().map(String::as_str)),
        );
        out.extend(matching(
            prefix,
            self.tables.iter().map(|(t, _)| t.as_str()),
        ));
        out.extend(matching(prefix, self.functions.iter().map(String::as_str)));
        let upper = prefix.chars().any(|c| c.is_uppercase());
        out.extend(
            matching(prefix, KEYWORDS.iter().copied())
                .into_iter()
                .map(|k| if upper { k } else { k.to_lowercase() }),
        );
        let mut seen = std::collections::HashSet::new();
        out.retain(|w| seen.insert(w.clone()));
        Completion::Words(start, out)
    }

    fn complete_meta(&self, trimmed: &str, pos: usize) -> Completion {
        let Some((head, rest)) = trimmed.split_once(char::is_whitespace) else {
            let mut names: Vec<String> = matching(trimmed, commands::names());
            names.sort();
            names.dedup();
            return Completion::Words(pos - trimmed.len(), names);
        };
        let arg = rest.rsplit(char::is_whitespace).next().unwrap_or("");
        let start = pos - arg.len();
        match head {
            ".schema" | "\\d" => Completion::Words(
                start,
                matching(arg, self.tables.iter().map(|(t, _)| t.as_str())),
            ),
            ".mode" => Completion::Words(start, matching(arg, MODES.iter().copied())),
            ".timer" => Completion::Words(start, matching(arg, ["on", "off"])),
            ".open" | ".read" | "\\i" | ".output" => Completion::Files,
            _ => Completion::None,
        }
    }
}

/// The line editor's helper: completion and multi-line validation.
pub struct ShellHelper {
    pub catalog: Arc<Mutex<Catalog>>,
    files: FilenameCompleter,
    validator: StatementValidator,
}

impl ShellHelper {
    pub fn new(catalog: Arc<Mutex<Catalog>>) -> Self {
        ShellHelper {
            catalog,
            files: FilenameCompleter::new(),
            validator: StatementValidator,
        }
    }
}

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let what = self
            .catalog
            .lock()
            .map(|c| c.complete(line, pos))
            .unwrap_or(Completion::None);
        match what {
            Completion::Words(start, words) => Ok((
                start,
                words
                    .into_iter()
                    .map(|w| Pair {
                        display: w.clone(),
                        replacement: w,
                    })
                    .collect(),
            )),
            Completion::Files => self.files.complete_path(line, pos),
            Completion::None => Ok((pos, Vec::new())),
        }
    }
}

impl Hinter for ShellHelper {
    type Hint = String;
}

impl Highlighter for ShellHelper {}

impl Validator for ShellHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        self.validator.validate(ctx)
    }
}

impl Helper for ShellHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog {
            tables: vec![
                (
                    "logs".into(),
                    vec!["client".into(), "status".into(), "user_agent".into()],
                ),
                (
                    "logs_rejects".into(),
                    vec!["file".into(), "line_number".into(), "reason".into()],
                ),
                ("other".into(), vec!["status_text".into()]),
            ],
            functions: vec!["count".into(), "date_trunc".into()],
        }
    }

    fn words(line: &str) -> Vec<String> {
        match catalog().complete(line, line.len()) {
            Completion::Words(_, w) => w,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn keywords_follow_the_case_typed() {
        assert_eq!(words("SEL"), ["SELECT"]);
        assert_eq!(words("sel"), ["select"]);
        assert!(words("SELECT * FR").contains(&"FROM".to_string()));
    }

    #[test]
    fn table_names() {
        assert_eq!(words("SELECT * FROM logs_r"), ["logs_rejects"]);
        assert_eq!(words("SELECT * FROM oth"), ["other"]);
    }

    #[test]
    fn columns_of_tables_in_scope() {
        assert_eq!(words("SELECT user_a"), ["user_agent"]);
        assert_eq!(words("SELECT stat"), ["status", "status_text"]);
        let line = "SELECT stat FROM logs";
        match catalog().complete(line, 11) {
            Completion::Words(start, w) => {
                assert_eq!(start, 7);
                assert_eq!(w, ["status"]);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(words("SELECT other.st"), ["status_text"]);
        assert_eq!(words("SELECT date_t"), ["date_trunc"]);
    }

    #[test]
    fn meta_commands_and_their_arguments() {
        assert_eq!(words(".ta"), [".tables"]);
        assert_eq!(words(".mo"), [".mode"]);
        assert_eq!(words(".mode cs"), ["csv"]);
        assert_eq!(words("\\d lo"), ["logs", "logs_rejects"]);
        assert_eq!(catalog().complete(".open ex", 8), Completion::Files);
    }

    #[test]
    fn inside_quotes_completes_files() {
        assert_eq!(catalog().complete("SELECT 'exa", 11), Completion::Files);
        assert_eq!(words("SELECT 'x' AS cli"), ["client"]);
    }
}
