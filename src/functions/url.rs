//! `url_decode(text [, plus_as_space])` and `url_param(uri_or_query, name)`: logged URIs are
//! percent-encoded as the client sent them, and query strings are where the interesting
//! values (search terms, campaign tags, ids) are.
//!
//! Decoding is lenient, like the servers that logged the requests: a malformed escape (`%zz`,
//! `%4`, a trailing `%`) is kept as it is, and bytes that do not form UTF-8 become U+FFFD (as
//! in the log table itself). So only a NULL input gives NULL from `url_decode`.

use std::borrow::Cow;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, StringBuilder};
use datafusion::common::Result as DfResult;
use percent_encoding::percent_decode;

use super::{booleans, Text};

/// Percent-decodes `text`; with `plus_as_space`, `+` is a space first (HTML form encoding, as
/// in query strings). Malformed escapes stay as they are; invalid UTF-8 becomes U+FFFD.
pub fn url_decode(text: &str, plus_as_space: bool) -> Cow<'_, str> {
    if plus_as_space && text.contains('+') {
        let spaced = text.replace('+', " ");
        return Cow::Owned(
            percent_decode(spaced.as_bytes())
                .decode_utf8_lossy()
                .into_owned(),
        );
    }
    percent_decode(text.as_bytes()).decode_utf8_lossy()
}

/// The decoded value of query parameter `name` in `uri`: a full URI (`/search?q=x`,
/// `https://host/p?q=x#frag`) or a bare query string (`q=x&page=2`).
///
/// The first occurrence wins; names are compared after decoding, case-sensitively. A
/// parameter without `=` (`?debug`) has the empty value; an absent one is `None`. Keys and
/// values are form-decoded (`+` is a space).
pub fn url_param(uri: &str, name: &str) -> Option<String> {
    // A URI (a path, `scheme://...`, or a name before a `?`, `#` or `;`) has its query after
    // the first `?`; a bare query is all query, and a `?` in it is part of a value
    // (`next=/a?b=1`, `redirect=http://x/y?z=1`): what comes before the first `?`, `=`, `&`,
    // `#` or `;` (`p;jsessionid=A?q=1`) tells them apart.
    let head = uri.find(['?', '=', '&', '#', ';']).unwrap_or(uri.len());
    let is_uri = uri.starts_with('/')
        || uri[..head].contains("://")
        || matches!(uri.as_bytes().get(head), Some(b'?' | b'#' | b';'));
    let query = match uri.split_once('?') {
        _ if !is_uri => uri,
        Some((_, query)) => query,
        None => return None,
    };
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (url_decode(key, true) == name).then(|| url_decode(value, true).into_owned())
        })
}

pub(crate) fn invoke_url_decode(texts: &ArrayRef, plus: Option<&ArrayRef>) -> DfResult<ArrayRef> {
    let len = texts.len();
    let texts = Text::new(texts)?;
    let plus = match plus {
        Some(p) => Some(booleans(p)?),
        None => None,
    };
    let mut out = StringBuilder::with_capacity(len, 0);
    for i in 0..len {
        let plus_as_space = match plus {
            None => Some(false),
            // A NULL flag is a NULL result, like any NULL argument.
            Some(None) => None,
            Some(Some(flags)) => flags.is_valid(i).then(|| flags.value(i)),
        };
        match (texts.get(i), plus_as_space) {
            (Some(text), Some(plus_as_space)) => out.append_value(url_decode(text, plus_as_space)),
            _ => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()))
}

pub(crate) fn invoke_url_param(uris: &ArrayRef, names: &ArrayRef) -> DfResult<ArrayRef> {
    let len = uris.len();
    let uris = Text::new(uris)?;
    let names = Text::new(names)?;
    let mut out = StringBuilder::with_capacity(len, 0);
    for i in 0..len {
        match (uris.get(i), names.get(i)) {
            (Some(uri), Some(name)) => out.append_option(url_param(uri, name)),
            _ => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::testing::{eval, eval_column};

    #[test]
    fn decodes_escapes_and_optionally_plus() {
        assert_eq!(url_decode("/caf%C3%A9/men%C3%BC", false), "/café/menü");
        assert_eq!(url_decode("a%20b+c", false), "a b+c");
        assert_eq!(url_decode("a%20b+c", true), "a b c");
        assert_eq!(url_decode("%2B", true), "+");
        assert_eq!(url_decode("%2b%2F", false), "+/");
        assert_eq!(url_decode("", false), "");
    }

    #[test]
    fn malformed_escapes_stay_as_they_are() {
        assert_eq!(url_decode("100%zz", false), "100%zz");
        assert_eq!(url_decode("%4", false), "%4");
        assert_eq!(url_decode("a%4g", false), "a%4g");
        assert_eq!(url_decode("trailing%", false), "trailing%");
        assert_eq!(url_decode("%%41", false), "%A");
        // Bytes that are not UTF-8 become U+FFFD.
        assert_eq!(url_decode("%ff%fe", false), "\u{FFFD}\u{FFFD}");
    }

    #[test]
    fn params_from_uris_and_bare_queries() {
        assert_eq!(
            url_param("/search?q=red+shoes&page=2", "q").as_deref(),
            Some("red shoes")
        );
        assert_eq!(
            url_param("/search?q=red+shoes&page=2", "page").as_deref(),
            Some("2")
        );
        assert_eq!(url_param("q=caf%C3%A9&x=1", "q").as_deref(), Some("café"));
        assert_eq!(url_param("https://h.example/p?a=1#q=2", "q"), None);
        assert_eq!(
            url_param("https://h.example/p?a=1#frag", "a").as_deref(),
            Some("1")
        );
        assert_eq!(url_param("/p?a=1&a=2", "a").as_deref(), Some("1"));
        assert_eq!(url_param("/p?debug&a=1", "debug").as_deref(), Some(""));
        assert_eq!(url_param("/p?a=", "a").as_deref(), Some(""));
        assert_eq!(url_param("/p?a=1", "A"), None);
        assert_eq!(url_param("/p?a=1", "b"), None);
        assert_eq!(url_param("/p", "p"), None);
        assert_eq!(url_param("", "a"), None);
        assert_eq!(url_param("/p?&&a=b=c", "a").as_deref(), Some("b=c"));
        // Encoded names match their decoded form; bad escapes are kept.
        assert_eq!(
            url_param("/p?utm%5Fsource=x", "utm_source").as_deref(),
            Some("x")
        );
        assert_eq!(url_param("/p?q=%zz%4", "q").as_deref(), Some("%zz%4"));
        // A `?` inside a bare query's value is the value's.
        assert_eq!(
            url_param("next=/a?b=1&q=2", "next").as_deref(),
            Some("/a?b=1")
        );
        assert_eq!(url_param("next=/a?b=1&q=2", "b"), None);
        assert_eq!(url_param("next=/a?b=1&q=2", "q").as_deref(), Some("2"));
        assert_eq!(
            url_param("redirect=http://x/y?z=1", "redirect").as_deref(),
            Some("http://x/y?z=1")
        );
        assert_eq!(url_param("?a=1", "a").as_deref(), Some("1"));
        assert_eq!(url_param("page#a=1", "a"), None);
        assert_eq!(url_param("p;jsessionid=A?q=1", "q").as_deref(), Some("1"));
        assert_eq!(
            url_param("login?next=/a?b=1", "next").as_deref(),
            Some("/a?b=1")
        );
    }

    #[test]
    fn from_sql() {
        assert_eq!(eval("url_decode('a%20b+c')"), "a b+c");
        assert_eq!(eval("url_decode('a%20b+c', true)"), "a b c");
        assert_eq!(eval("url_decode('%zz%4%')"), "%zz%4%");
        assert_eq!(eval("url_decode('')"), "");
        assert_eq!(eval("url_decode(NULL)"), "NULL");
        assert_eq!(eval("url_decode('a+b', NULL)"), "NULL");
        assert_eq!(eval("url_param('/s?q=a%26b&x=1', 'q')"), "a&b");
        assert_eq!(eval("url_param('/s?q=1', 'nope')"), "NULL");
        assert_eq!(eval("url_param(NULL, 'q')"), "NULL");
        assert_eq!(eval("url_param('/s?q=1', NULL)"), "NULL");
    }

    #[test]
    fn over_a_column() {
        let uris = [
            Some("/s?q=a+b"),
            None,
            Some(""),
            Some("/s?q=%zz"),
            Some("/x"),
        ];
        assert_eq!(
            eval_column("url_param", &uris, ", 'q'"),
            ["a b", "NULL", "NULL", "%zz", "NULL"]
        );
        assert_eq!(
            eval_column("url_decode", &uris, ""),
            ["/s?q=a+b", "NULL", "", "/s?q=%zz", "/x"]
        );
        assert_eq!(
            eval_column("url_decode", &uris, ", true"),
            ["/s?q=a b", "NULL", "", "/s?q=%zz", "/x"]
        );
    }
}
