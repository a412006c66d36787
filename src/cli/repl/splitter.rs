//! Splitting typed or piped text into meta commands and complete SQL statements.
//!
//! One small lexer serves three callers, so they can never disagree about where a statement
//! ends: the line editor's [`Validator`] (keep reading lines until a `;` outside quotes and
//! comments), the interactive loop, and scripts (`.read FILE`, statements piped on stdin).

use rustyline::validate::{ValidationContext, ValidationResult, Validator};

/// One unit of work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A line starting with `.` or `\` where a statement could start, e.g. `.mode csv`.
    Meta(String),
    /// One SQL statement without its terminating `;` (comments kept, so positions in parser
    /// errors match what was typed).
    Sql(String),
}

/// Result of [`split`]: the complete items and whatever is left unfinished.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Split {
    pub items: Vec<Item>,
    /// Text after the last complete item that holds code (not only blanks and comments):
    /// an unterminated statement, string or comment.
    pub rest: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Code,
    /// Inside '...' ('' is an escaped quote, which the lexer sees as leaving and re-entering).
    Single,
    /// Inside E'...', where a backslash escapes the byte after it (`E'it\'s'`).
    Escaped,
    /// Inside "..." (a quoted identifier).
    Double,
    LineComment,
    BlockComment,
}

/// Splits `text` into meta commands and `;`-terminated statements.
pub fn split(text: &str) -> Split {
    let mut out = Split::default();
    let bytes = text.as_bytes();
    let mut state = State::Code;
    // Open block comments.
    let mut depth = 0usize;
    // Start of the current statement, and whether it has any code yet.
    let mut start = 0;
    let mut has_code = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match state {
            State::Code => {
                if !has_code && (b == b'.' || b == b'\\') && at_line_start(bytes, start, i) {
                    // A meta command owns the rest of its line.
                    let end = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |n| i + n);
                    out.items.push(Item::Meta(text[i..end].trim().to_string()));
                    i = end;
                    start = end;
                    continue;
                }
                match b {
                    b'e' | b'E'
                        if bytes.get(i + 1) == Some(&b'\'')
                            && (i == 0 || !is_identifier_byte(bytes[i - 1])) =>
                    {
                        state = State::Escaped;
                        i += 1;
                    }
                    b'\'' => state = State::Single,
                    b'"' => state = State::Double,
                    b'-' if bytes.get(i + 1) == Some(&b'-') => {
                        state = State::LineComment;
                        i += 1;
                    }
                    b'/' if bytes.get(i + 1) == Some(&b'*') => {
                        state = State::BlockComment;
                        depth = 1;
                        i += 1;
                    }
                    b';' => {
                        if has_code {
                            out.items.push(Item::Sql(text[start..i].trim().to_string()));
                        }
                        start = i + 1;
                        has_code = false;
                        i += 1;
                        continue;
                    }
                    _ => {}
                }
                if !b.is_ascii_whitespace()
                    && state != State::LineComment
                    && state != State::BlockComment
                {
                    has_code = true;
                }
            }
            State::Single if b == b'\'' => state = State::Code,
            // A backslash escapes the byte after it, and `''` is a quote, as in a plain string.
            State::Escaped if b == b'\\' => i += 1,
            State::Escaped if b == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 1,
            State::Escaped if b == b'\'' => state = State::Code,
            State::Double if b == b'"' => state = State::Code,
            State::LineComment if b == b'\n' => state = State::Code,
            // Block comments nest, as DataFusion's parser reads them.
            State::BlockComment if b == b'/' && bytes.get(i + 1) == Some(&b'*') => {
                depth += 1;
                i += 1;
            }
            State::BlockComment if b == b'*' && bytes.get(i + 1) == Some(&b'/') => {
                depth -= 1;
                if depth == 0 {
                    state = State::Code;
                }
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    // An unclosed string or comment is unfinished even without code before it.
    if has_code
        || matches!(
            state,
            State::Single | State::Escaped | State::Double | State::BlockComment
        )
    {
        out.rest = Some(text[start..].trim().to_string());
    }
    out
}

/// Whether `b` can be part of an unquoted identifier (so `e` in `some'` is not an E-string).
fn is_identifier_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Whether only blanks stand between the statement start (or the line start) and `i`.
fn at_line_start(bytes: &[u8], start: usize, i: usize) -> bool {
    bytes[start..i]
        .iter()
        .rev()
        .take_while(|&&c| c != b'\n')
        .all(|c| c.is_ascii_whitespace())
}

/// Whether the editor should hand `input` over (Enter) or keep reading lines.
pub fn is_complete(input: &str) -> bool {
    split(input).rest.is_none()
}

/// The line editor's validator: a statement continues until its `;`.
#[derive(Default)]
pub struct StatementValidator;

impl Validator for StatementValidator {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(if is_complete(ctx.input()) {
            ValidationResult::Valid(None)
        } else {
            ValidationResult::Incomplete
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(s: &str) -> Item {
        Item::Sql(s.into())
    }

    #[test]
    fn splits_on_semicolons_outside_strings() {
        let s = split("SELECT 1; SELECT 'a;b' AS \"x;y\";");
        assert_eq!(s.items, [sql("SELECT 1"), sql("SELECT 'a;b' AS \"x;y\"")]);
        assert_eq!(s.rest, None);
    }

    #[test]
    fn doubled_quote_stays_inside_the_string() {
        let s = split("SELECT 'it''s; fine';");
        assert_eq!(s.items, [sql("SELECT 'it''s; fine'")]);
        assert!(is_complete("SELECT 'it''s; fine';"));
        assert!(!is_complete("SELECT 'it''s; fine"));
    }

    /// In an E-string a backslash escapes a quote; elsewhere a backslash is a byte like another.
    #[test]
    fn escaped_quote_stays_inside_an_e_string() {
        let s = split("SELECT E'x\\';y' AS e; SELECT e'\\\\'; SELECT 'a\\'; SELECT some'");
        assert_eq!(
            s.items,
            [
                sql("SELECT E'x\\';y' AS e"),
                sql("SELECT e'\\\\'"),
                sql("SELECT 'a\\'"),
            ]
        );
        assert_eq!(s.rest.as_deref(), Some("SELECT some'"));
        assert!(!is_complete("SELECT E'it\\'s;"));
        assert_eq!(
            split("SELECT E'a''b\\';c' AS x; SELECT 2;").items,
            [sql("SELECT E'a''b\\';c' AS x"), sql("SELECT 2")]
        );
    }

    #[test]
    fn comments_hide_semicolons() {
        assert!(!is_complete("SELECT 1 -- done;"));
        assert!(is_complete("SELECT 1 -- done;\n;"));
        assert!(!is_complete("SELECT /* ; */ 1"));
        assert!(is_complete("SELECT /* ; */ 1;"));
        assert!(!is_complete("SELECT 1; /* unclosed ;"));
        assert!(!is_complete("SELECT /* a /* b */ ; */ 1"));
        assert!(is_complete("SELECT /* a /* b */ ; */ 1;"));
        let s = split("-- heading\nSELECT 1 /* x; */;\n-- trailing comment");
        assert_eq!(s.items, [sql("-- heading\nSELECT 1 /* x; */")]);
        assert_eq!(s.rest, None);
    }

    #[test]
    fn multi_line_statement_waits_for_its_semicolon() {
        assert!(!is_complete("SELECT status,\n  count(*)"));
        assert!(!is_complete(
            "SELECT status,\n  count(*)\nFROM logs\nGROUP BY status"
        ));
        let text = "SELECT status,\n  count(*)\nFROM logs\nGROUP BY status;";
        assert!(is_complete(text));
        assert_eq!(
            split(text).items,
            [sql(
                "SELECT status,\n  count(*)\nFROM logs\nGROUP BY status"
            )]
        );
    }

    #[test]
    fn blank_and_comment_only_input_is_complete() {
        assert!(is_complete(""));
        assert!(is_complete("   \n"));
        assert!(is_complete("-- just a note"));
        assert!(split(";;").items.is_empty());
    }

    #[test]
    fn meta_commands_own_their_line() {
        let s = split(".mode csv\nSELECT 1;\n  \\d logs\nSELECT\n.5;");
        assert_eq!(
            s.items,
            [
                Item::Meta(".mode csv".into()),
                sql("SELECT 1"),
                Item::Meta("\\d logs".into()),
                sql("SELECT\n.5")
            ]
        );
        assert!(is_complete(".tables"));
        assert!(is_complete(".open 'my file.log'"));
    }

    #[test]
    fn unterminated_script_tail_is_the_rest() {
        let s = split("SELECT 1; SELECT 2");
        assert_eq!(s.items, [sql("SELECT 1")]);
        assert_eq!(s.rest.as_deref(), Some("SELECT 2"));
    }
}
