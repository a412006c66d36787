//! Format strings as they are pasted from a server's configuration: Apache's quoted
//! `LogFormat "..." nickname` and nginx's `log_format name [escape=...] '...' '...';`. The
//! configuration's quoting is not part of the format: a quoted format string with every line
//! a reject is what a user gets otherwise.

use std::borrow::Cow;

/// The format string of an Apache definition: as given, or out of a pasted
/// `[LogFormat] "..." [nickname]` (`\"` and `\\` undone, as Apache reads them). A format that
/// merely starts with a quoted field (`"%r" %>s`) is no pasted string: only the `LogFormat`
/// keyword, a nickname after the closing quote, or `\"` inside say it is one.
pub fn apache(body: &str) -> Result<Cow<'_, str>, String> {
    let text = body.trim();
    let keyword = after_keyword(text, "LogFormat");
    let Some(quoted) = keyword.unwrap_or(text).strip_prefix('"') else {
        return match keyword {
            Some(_) => Err("after LogFormat comes its quoted format string".into()),
            None => Ok(Cow::Borrowed(body)),
        };
    };
    match unquote_apache(quoted) {
        Some((format, nickname, escaped))
            if keyword.is_some() || !nickname.is_empty() || escaped =>
        {
            Ok(Cow::Owned(format))
        }
        None if keyword.is_some() => Err(
            "the LogFormat's quoted string must close, followed by nothing but a nickname".into(),
        ),
        _ => Ok(Cow::Borrowed(body)),
    }
}

/// What follows `keyword` (any case, as the servers read directive names) and the blanks
/// after it, if `text` starts with it.
fn after_keyword<'a>(text: &'a str, keyword: &str) -> Option<&'a str> {
    let head = text.get(..keyword.len())?;
    let rest = &text[keyword.len()..];
    (head.eq_ignore_ascii_case(keyword) && rest.starts_with(char::is_whitespace))
        .then(|| rest.trim_start())
}

/// The string of a `"..."` (`quoted` starts after the opening quote), what follows it, and
/// whether it held `\"`; `None` unless what follows is empty or a nickname.
fn unquote_apache(quoted: &str) -> Option<(String, &str, bool)> {
    let mut out = String::with_capacity(quoted.len());
    let mut escaped = false;
    let mut chars = quoted.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                let nickname = quoted[i + 1..].trim();
                let word = !nickname.contains(|c: char| c.is_whitespace() || "\"%".contains(c));
                return word.then_some((out, nickname, escaped));
            }
            '\\' => match chars.next()?.1 {
                e @ ('"' | '\\') => {
                    escaped |= e == '"';
                    out.push(e);
                }
                other => {
                    out.push('\\');
                    out.push(other);
                }
            },
            c => out.push(c),
        }
    }
    None
}

/// The format string of an nginx definition: as given, or out of a pasted
/// `[log_format name] [escape=default|none] '...' '...' [;]` (the quoted pieces joined, as
/// nginx joins them). Without the keyword, only single-quoted pieces are read as pasted: a
/// format may start with a double-quoted field (`"$http_x_forwarded_for" $remote_addr`).
/// `escape=json` writes JSON lines, which the `json` format reads.
pub fn nginx(body: &str) -> Result<Cow<'_, str>, String> {
    let mut text = body.trim();
    let mut pasted = false;
    if let Some(rest) = after_keyword(text, "log_format") {
        // The name comes next, unless the definition starts right away with its quotes.
        pasted = true;
        text = if rest.starts_with(['\'', '"']) {
            rest
        } else {
            rest.split_once(char::is_whitespace)
                .map_or("", |(_, r)| r.trim_start())
        };
    }
    if let Some(rest) = text.strip_prefix("escape=") {
        let (mode, rest) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        match mode.trim_end_matches(';') {
            "json" => {
                return Err(
                    "an escape=json log_format writes JSON lines: read them with --format json"
                        .into(),
                )
            }
            "default" | "none" => text = rest.trim_start(),
            other => return Err(format!("unknown nginx escape={other}")),
        }
        pasted = true;
    }
    if pasted || text.starts_with('\'') {
        match join_nginx_pieces(text) {
            Some(format) => return Ok(Cow::Owned(format)),
            None if pasted => return Err(
                "a pasted log_format must be quoted pieces ('...' or \"...\"), as in nginx.conf"
                    .into(),
            ),
            None => {}
        }
    }
    Ok(Cow::Borrowed(body))
}

/// The quoted pieces of a log_format, joined (a backslash escapes the byte after it, as
/// nginx reads quoted strings); `None` unless the text is nothing but such pieces and a `;`.
fn join_nginx_pieces(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = text.trim_end().trim_end_matches(';').trim_end();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let quote = rest.chars().next().filter(|c| matches!(c, '\'' | '"'))?;
        let mut chars = rest[1..].char_indices();
        let end = loop {
            match chars.next()? {
                (i, c) if c == quote => break i,
                // As nginx reads a quoted value: `\t`, `\r` and `\n` are those characters.
                (_, '\\') => match chars.next()?.1 {
                    e @ ('"' | '\'' | '\\') => out.push(e),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'n' => out.push('\n'),
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                },
                (_, c) => out.push(c),
            }
        };
        rest = rest[1 + end + 1..].trim_start();
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apache_format_strings_out_of_a_configuration() {
        let plain = r#"%h %l %u %t "%r" %>s %b"#;
        assert_eq!(apache(plain).unwrap(), plain);
        for pasted in [
            r#""%h %l %u %t \"%r\" %>s %b""#,
            r#"LogFormat "%h %l %u %t \"%r\" %>s %b" common"#,
            r#"  "%h %l %u %t \"%r\" %>s %b" common "#,
        ] {
            assert_eq!(apache(pasted).unwrap(), plain, "{pasted}");
        }
        assert_eq!(apache(r#""%h %b" common"#).unwrap(), "%h %b");
        assert_eq!(apache("logformat\t\"%h %b\" common").unwrap(), "%h %b");
        assert_eq!(apache(r#""a\\b\t" x"#).unwrap(), r"a\b\t");
        assert!(apache(r#"LogFormat "%h"#).is_err());
        assert!(apache(r#"LogFormat "%h" common extra"#).is_err());
    }

    /// A format that starts with a quoted field is a format, not a pasted string.
    #[test]
    fn apache_formats_that_start_with_a_quote_are_left_alone() {
        for format in [
            r#""%r" %>s"#,
            r#""%{X-Forwarded-For}i" %l %u %t "%r" %>s %b"#,
            r#""%r""#,
            r#""%h"#,
        ] {
            assert_eq!(apache(format).unwrap(), format);
        }
    }

    #[test]
    fn nginx_format_strings_out_of_a_configuration() {
        let plain = r#"$remote_addr - $remote_user [$time_local] "$request" $status"#;
        assert_eq!(nginx(plain).unwrap(), plain);
        for pasted in [
            r#"'$remote_addr - $remote_user [$time_local] "$request" $status'"#,
            r#"log_format main '$remote_addr - $remote_user [$time_local] ' '"$request" $status';"#,
            "log_format main escape=default\n  '$remote_addr - $remote_user [$time_local] '\n  '\"$request\" $status';",
            r#"escape=none '$remote_addr - $remote_user [$time_local] "$request" $status'"#,
            r#"log_format m "$remote_addr - $remote_user [$time_local] \"$request\" $status";"#,
        ] {
            assert_eq!(nginx(pasted).unwrap(), plain, "{pasted}");
        }
        assert!(nginx(r#"log_format j escape=json '{"a":"$status"}';"#)
            .unwrap_err()
            .contains("--format json"));
        assert!(nginx(r#"log_format m $remote_addr "$request" $status;"#).is_err());
        assert_eq!(
            nginx("log_format\ttsv '$remote_addr\\t$status';").unwrap(),
            "$remote_addr\t$status"
        );
        assert!(nginx("log_format main escape=json;")
            .unwrap_err()
            .contains("--format json"));
        // Not pasted: a format that starts with a double-quoted field, or a quote that does
        // not close, stays as given.
        for format in [
            r#""$http_x_forwarded_for" $remote_addr [$time_local] "$request" $status"#,
            r#""$request" "$http_user_agent""#,
            "'$status",
            "'$status' oops",
        ] {
            assert_eq!(nginx(format).unwrap(), format);
        }
    }
}
