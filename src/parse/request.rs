//! Splitting a request line (`GET /a?b=1 HTTP/1.1`) into method, target and protocol.
//!
//! Real request lines are often not well formed (`-`, TLS handshake bytes, HTTP/0.9 lines
//! without a protocol, targets with spaces). The split is only made when it is honest: a
//! method token, then a target, then optionally an `HTTP/x` protocol. Otherwise every split
//! field is absent and only the raw request remains.

/// Byte ranges of the parts of a request line, relative to the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestParts {
    pub method: (usize, usize),
    /// The target as sent: path and query.
    pub uri: (usize, usize),
    /// End of the path within the target (the `?` position, or the target's end).
    pub path_end: usize,
    /// Whether the target has a `?` (then the query is `path_end + 1 .. uri.1`).
    pub has_query: bool,
    pub protocol: Option<(usize, usize)>,
}

impl RequestParts {
    /// The span of one part (`None` when the request has no such part).
    pub fn span(&self, part: crate::parse::record::RequestPart) -> Option<(usize, usize)> {
        use crate::parse::record::RequestPart;
        match part {
            RequestPart::Method => Some(self.method),
            RequestPart::Uri => Some(self.uri),
            RequestPart::Path => Some((self.uri.0, self.path_end)),
            RequestPart::Query => self.has_query.then_some((self.path_end + 1, self.uri.1)),
            RequestPart::Protocol => self.protocol,
        }
    }
}

/// Splits `req` honestly, or returns `None` when it is not `METHOD TARGET [PROTOCOL]`.
pub fn split_request(req: &[u8]) -> Option<RequestParts> {
    let method_end = memchr::memchr(b' ', req)?;
    let method = &req[..method_end];
    if method.is_empty()
        || method.len() > 32
        || !method
            .iter()
            .all(|b| b.is_ascii_uppercase() || *b == b'-' || *b == b'_')
    {
        return None;
    }
    let target_start = method_end + 1;
    let (target_end, protocol) = match memchr::memrchr(b' ', req) {
        Some(sp) if sp > method_end && is_protocol(&req[sp + 1..]) => {
            (sp, Some((sp + 1, req.len())))
        }
        _ => (req.len(), None),
    };
    if target_end <= target_start {
        return None;
    }
    let target = &req[target_start..target_end];
    // A target starts with '/', is '*', or is an absolute URL / authority (proxies, CONNECT).
    if !(target[0] == b'/' || target == b"*" || target[0].is_ascii_alphanumeric()) {
        return None;
    }
    // Without a protocol, a space in the target means we cannot tell where it ends.
    if protocol.is_none() && memchr::memchr(b' ', target).is_some() {
        return None;
    }
    let (path_end, has_query) = match memchr::memchr(b'?', target) {
        Some(q) => (target_start + q, true),
        None => (target_end, false),
    };
    Some(RequestParts {
        method: (0, method_end),
        uri: (target_start, target_end),
        path_end,
        has_query,
        protocol,
    })
}

fn is_protocol(p: &[u8]) -> bool {
    p.len() >= 6
        && p.starts_with(b"HTTP/")
        && p[5..].iter().all(|b| b.is_ascii_digit() || *b == b'.')
        && p[5].is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;

    type Parts = (String, String, String, Option<String>, Option<String>);

    fn parts(req: &str) -> Option<Parts> {
        let r = req.as_bytes();
        let p = split_request(r)?;
        let s = |(a, b): (usize, usize)| String::from_utf8(r[a..b].to_vec()).unwrap();
        Some((
            s(p.method),
            s(p.uri),
            s((p.uri.0, p.path_end)),
            p.has_query.then(|| s((p.path_end + 1, p.uri.1))),
            p.protocol.map(s),
        ))
    }

    #[test]
    fn full_request() {
        let (m, u, p, q, pr) = parts("GET /a/b?x=1&y=2 HTTP/1.1").unwrap();
        assert_eq!(
            (m.as_str(), u.as_str(), p.as_str()),
            ("GET", "/a/b?x=1&y=2", "/a/b")
        );
        assert_eq!(q.as_deref(), Some("x=1&y=2"));
        assert_eq!(pr.as_deref(), Some("HTTP/1.1"));
    }

    #[test]
    fn empty_query_is_empty_not_absent() {
        let (_, _, p, q, _) = parts("GET /a? HTTP/1.0").unwrap();
        assert_eq!((p.as_str(), q.as_deref()), ("/a", Some("")));
    }

    #[test]
    fn http09_has_no_protocol() {
        let (m, u, _, q, pr) = parts("GET /ksc.html").unwrap();
        assert_eq!(
            (m.as_str(), u.as_str(), q, pr),
            ("GET", "/ksc.html", None, None)
        );
    }

    #[test]
    fn target_with_spaces_keeps_them() {
        let (_, u, _, _, pr) = parts("GET /a b c HTTP/1.1").unwrap();
        assert_eq!(u, "/a b c");
        assert_eq!(pr.as_deref(), Some("HTTP/1.1"));
    }

    #[test]
    fn unsplittable_requests() {
        for bad in [
            "-",
            "",
            "\u{16}\u{3}\u{1}\u{0}",
            "GET",
            "get / HTTP/1.1",
            "GET  HTTP/1.1",
            "GET /a b",
            "GET <script> HTTP/1.1",
        ] {
            assert_eq!(split_request(bad.as_bytes()), None, "{bad:?}");
        }
    }

    #[test]
    fn http2_and_absolute_targets() {
        assert_eq!(parts("PRI * HTTP/2.0").unwrap().1, "*");
        assert_eq!(
            parts("CONNECT example.com:443 HTTP/1.1").unwrap().1,
            "example.com:443"
        );
        assert_eq!(
            parts("GET http://x.test/ HTTP/1.1").unwrap().2,
            "http://x.test/"
        );
    }
}
