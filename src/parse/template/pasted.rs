//! Format strings as they are pasted from a server's configuration: Apache's quoted
//! `LogFormat "..." nickname` and nginx's `log_format name [escape=...] '...' '...';`. The
//! configuration's quoting is not part of the format: a quoted format string with every line
//! a reject is what a user gets otherwise.

use std::borrow::Cow;

/// The format string of an Apache definition: as given, or out of a pasted
/// `[LogFormat] "..." [nickname]` (`\"` and `\\` undone, as Apache reads them).
pub fn apache(body: &str) -> Result<Cow<'_, str>, String> {
    let text = body.trim();
    let text = text
        .strip_prefix("LogFormat ")
        .map_or(text, str::trim_start);
    let Some(quoted) = text.strip_prefix('"') else {
        return Ok(Cow::Borrowed(body));
    };
    let mut out = String::with_capacity(quoted.len());
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                // What may follow: a nickname, nothing else.
                let rest = chars.as_str().trim();
                if rest.contains(char::is_whitespace) || rest.contains('"') {
                    return Err(format!(
                        "after the quoted LogFormat string comes '{rest}': only a nickname may"
                    ));
                }
                return Ok(Cow::Owned(out));
            }
            '\\' => match chars.next() {
                Some(e @ ('"' | '\\')) => out.push(e),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => break,
            },
            c => out.push(c),
        }
    }
    Err("the quoted LogFormat string has no closing quote".into())
}

/// The format string of an nginx definition: as given, or out of a pasted
/// `[log_format name] [escape=default|none] '...' '...' [;]` (the quoted pieces joined, as
/// nginx joins them). `escape=json` writes JSON lines, which the `json` format reads.
pub fn nginx(body: &str) -> Result<Cow<'_, str>, String> {
    let mut text = body.trim();
    if let Some(rest) = text.strip_prefix("log_format ") {
        // The name comes next, unless the definition starts right away with its quotes.
        let rest = rest.trim_start();
        text = match rest.starts_with(['\'', '"']) {
            true => rest,
            false => rest
                .split_once(char::is_whitespace)
                .map_or("", |(_, r)| r.trim_start()),
        };
    }
    if let Some(rest) = text.strip_prefix("escape=") {
        let (mode, rest) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        match mode {
            "json" => {
                return Err(
                    "an escape=json log_format writes JSON lines: read them with --format json"
                        .into(),
                )
            }
            "default" | "none" => text = rest.trim_start(),
            other => return Err(format!("unknown nginx escape={other}")),
        }
    }
    if !text.starts_with(['\'', '"']) {
        return Ok(if text.len() == body.len() {
            Cow::Borrowed(body)
        } else {
            Cow::Owned(text.to_string())
        });
    }
    let mut out = String::new();
    let mut rest = text.trim_end().trim_end_matches(';').trim_end();
    while let Some(quote) = rest.chars().next().filter(|c| matches!(c, '\'' | '"')) {
        let body = &rest[1..];
        let end = body
            .find(quote)
            .ok_or("a quoted piece of the log_format has no closing quote")?;
        out.push_str(&body[..end]);
        rest = body[end + 1..].trim_start();
    }
    if !rest.is_empty() {
        return Err(format!(
            "after the quoted pieces of the log_format comes '{rest}'"
        ));
    }
    Ok(Cow::Owned(out))
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
        assert_eq!(apache(r#""a\\b\t""#).unwrap(), r"a\b\t");
        assert!(apache(r#""%h"#).is_err());
        assert!(apache(r#""%h" common extra"#).is_err());
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
        ] {
            assert_eq!(nginx(pasted).unwrap(), plain, "{pasted}");
        }
        assert!(nginx(r#"log_format j escape=json '{"a":"$status"}';"#)
            .unwrap_err()
            .contains("--format json"));
        assert!(nginx("'$status").is_err());
        assert!(nginx("'$status' oops").is_err());
    }
}
