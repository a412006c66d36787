//! `cidr_contains(client, cidr)` and `ip_version(text)`: the client column holds whatever the
//! server logged, so addresses are read leniently (an IPv6 zone `fe80::1%eth0` or brackets
//! `[2001:db8::1]` are allowed) and anything that is not an address (a host name, `-`, junk)
//! gives NULL rather than an error.
//!
//! An IPv4-mapped IPv6 address (`::ffff:10.1.2.3`, what a dual-stack socket logs for an IPv4
//! client) is the IPv4 client it stands for: it matches IPv4 networks. Likewise a plain IPv4
//! address matches an IPv6 network that contains its mapped form (`::ffff:0:0/96`).

use std::net::IpAddr;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanBuilder, Int32Builder};
use datafusion::common::{Result as DfResult, ScalarValue};
use ipnet::IpNet;

use super::Text;

/// Reads an address as logged: surrounding spaces and brackets and an IPv6 zone
/// (`%eth0`) are ignored. `None` for anything else.
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    let text = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    let text = match text.split_once('%') {
        // Zones only exist on IPv6 addresses.
        Some((addr, zone)) if addr.contains(':') && !zone.is_empty() => addr,
        Some(_) => return None,
        None => text,
    };
    text.parse().ok()
}

/// Parses a network: `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a /32 or /128).
/// Host bits are allowed (`10.1.2.3/8` is 10.0.0.0/8). `None` if malformed.
pub fn parse_net(text: &str) -> Option<IpNet> {
    let text = text.trim();
    match text.split_once('/') {
        Some((addr, len)) => {
            let addr = parse_ip(addr)?;
            let len: u8 = len.parse().ok()?;
            IpNet::new(addr, len).ok().map(|n| n.trunc())
        }
        None => parse_ip(text).map(IpNet::from),
    }
}

/// Whether `ip` is in `net`, seeing an IPv4-mapped IPv6 address as its IPv4 address.
pub fn net_contains(net: &IpNet, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpNet::V4(net), IpAddr::V6(v6)) => v6.to_ipv4_mapped().is_some_and(|v4| net.contains(&v4)),
        (IpNet::V6(net), IpAddr::V4(v4)) => net.contains(&v4.to_ipv6_mapped()),
        (net, ip) => net.contains(&ip),
    }
}

/// `cidr_contains` on two texts: `None` if either is not an address / a network.
pub fn cidr_contains(client: &str, cidr: &str) -> Option<bool> {
    Some(net_contains(&parse_net(cidr)?, parse_ip(client)?))
}

/// 4 or 6 for an address (an IPv4-mapped IPv6 address is written as IPv6: 6), else `None`.
pub fn ip_version(text: &str) -> Option<i32> {
    match parse_ip(text)? {
        IpAddr::V4(_) => Some(4),
        IpAddr::V6(_) => Some(6),
    }
}

pub(crate) fn invoke_cidr_contains(
    clients: &ArrayRef,
    cidrs: &ArrayRef,
    constant_cidr: Option<ScalarValue>,
) -> DfResult<ArrayRef> {
    let clients = Text::new(clients)?;
    let mut out = BooleanBuilder::with_capacity(cidrs.len());
    match constant_cidr {
        // The usual case, `cidr_contains(client, '10.0.0.0/8')`: parse the network once.
        Some(scalar) => {
            let net = match scalar.try_as_str() {
                Some(Some(text)) => parse_net(text),
                _ => None,
            };
            for i in 0..cidrs.len() {
                out.append_option(match (&net, clients.get(i)) {
                    (Some(net), Some(client)) => parse_ip(client).map(|ip| net_contains(net, ip)),
                    _ => None,
                });
            }
        }
        None => {
            let len = cidrs.len();
            let cidrs = Text::new(cidrs)?;
            for i in 0..len {
                out.append_option(match (clients.get(i), cidrs.get(i)) {
                    (Some(client), Some(cidr)) => cidr_contains(client, cidr),
                    _ => None,
                });
            }
        }
    }
    Ok(Arc::new(out.finish()))
}

pub(crate) fn invoke_ip_version(texts: &ArrayRef) -> DfResult<ArrayRef> {
    let len = texts.len();
    let texts = Text::new(texts)?;
    let mut out = Int32Builder::with_capacity(len);
    for i in 0..len {
        out.append_option(texts.get(i).and_then(ip_version));
    }
    Ok(Arc::new(out.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::testing::{eval, eval_column};

    #[test]
    fn ipv4_and_ipv6_networks() {
        assert_eq!(cidr_contains("10.1.2.3", "10.0.0.0/8"), Some(true));
        assert_eq!(cidr_contains("11.1.2.3", "10.0.0.0/8"), Some(false));
        assert_eq!(cidr_contains("192.168.1.255", "192.168.1.0/24"), Some(true));
        assert_eq!(cidr_contains("192.168.2.0", "192.168.1.0/24"), Some(false));
        assert_eq!(cidr_contains("2001:db8::1", "2001:db8::/32"), Some(true));
        assert_eq!(cidr_contains("2001:db9::1", "2001:db8::/32"), Some(false));
        assert_eq!(cidr_contains("0.0.0.0", "0.0.0.0/0"), Some(true));
        // Host bits in the network are ignored; a bare address is a /32.
        assert_eq!(cidr_contains("10.200.0.1", "10.1.2.3/8"), Some(true));
        assert_eq!(cidr_contains("10.1.2.3", "10.1.2.3"), Some(true));
        assert_eq!(cidr_contains("10.1.2.4", "10.1.2.3"), Some(false));
        // An IPv4 address is not in an IPv6 network that does not hold its mapped form.
        assert_eq!(cidr_contains("10.1.2.3", "2001:db8::/32"), Some(false));
        assert_eq!(cidr_contains("2001:db8::1", "10.0.0.0/8"), Some(false));
    }

    #[test]
    fn zones_brackets_and_mapped_addresses() {
        assert_eq!(cidr_contains("fe80::1%eth0", "fe80::/10"), Some(true));
        assert_eq!(cidr_contains("fe80::1%eth0", "2001:db8::/32"), Some(false));
        assert_eq!(cidr_contains("[2001:db8::7]", "2001:db8::/32"), Some(true));
        assert_eq!(cidr_contains("::ffff:10.1.2.3", "10.0.0.0/8"), Some(true));
        assert_eq!(cidr_contains("::ffff:11.1.2.3", "10.0.0.0/8"), Some(false));
        assert_eq!(cidr_contains("::FFFF:a01:203", "10.0.0.0/8"), Some(true));
        assert_eq!(cidr_contains("10.1.2.3", "::ffff:10.0.0.0/104"), Some(true));
        // A zone on an IPv4 address or an empty zone is not an address.
        assert_eq!(parse_ip("10.1.2.3%eth0"), None);
        assert_eq!(parse_ip("fe80::1%"), None);
    }

    #[test]
    fn bad_input_is_none() {
        for cidr in [
            "10.0.0.0/33",
            "10.0.0.0/",
            "10.0.0/8",
            "nonsense",
            "",
            "/8",
            "::/129",
            "10.0.0.0/-1",
            "10.0.0.0/8/8",
        ] {
            assert_eq!(cidr_contains("10.1.2.3", cidr), None, "{cidr}");
        }
        for client in [
            "crawler.example.com",
            "-",
            "",
            "10.1.2",
            "10.1.2.3:8080",
            "1.2.3.256",
        ] {
            assert_eq!(cidr_contains(client, "10.0.0.0/8"), None, "{client}");
            assert_eq!(ip_version(client), None, "{client}");
        }
    }

    #[test]
    fn versions() {
        assert_eq!(ip_version("203.0.113.7"), Some(4));
        assert_eq!(ip_version(" 203.0.113.7 "), Some(4));
        assert_eq!(ip_version("2001:db8::1"), Some(6));
        assert_eq!(ip_version("fe80::1%eth0"), Some(6));
        assert_eq!(ip_version("::ffff:10.1.2.3"), Some(6));
        assert_eq!(ip_version("::1"), Some(6));
    }

    #[test]
    fn from_sql_null_and_bad_cidr_are_null_not_errors() {
        assert_eq!(eval("cidr_contains('10.1.2.3', '10.0.0.0/8')"), "true");
        assert_eq!(eval("cidr_contains('fe80::1%eth0', 'fe80::/10')"), "true");
        assert_eq!(
            eval("cidr_contains('::ffff:10.1.2.3', '10.0.0.0/8')"),
            "true"
        );
        assert_eq!(eval("cidr_contains('10.1.2.3', 'not a cidr')"), "NULL");
        assert_eq!(eval("cidr_contains(NULL, '10.0.0.0/8')"), "NULL");
        assert_eq!(eval("cidr_contains('10.1.2.3', NULL)"), "NULL");
        assert_eq!(eval("ip_version('2001:db8::1')"), "6");
        assert_eq!(eval("ip_version(NULL)"), "NULL");
        assert_eq!(eval("ip_version('')"), "NULL");
    }

    #[test]
    fn over_a_column_with_a_constant_or_a_column_cidr() {
        let clients = [
            Some("10.1.2.3"),
            None,
            Some("fe80::1%eth0"),
            Some("::ffff:10.9.9.9"),
            Some("host.example"),
            Some("172.16.0.1"),
        ];
        assert_eq!(
            eval_column("cidr_contains", &clients, ", '10.0.0.0/8'"),
            ["true", "NULL", "false", "true", "NULL", "false"]
        );
        assert_eq!(
            eval_column("cidr_contains", &clients, ", '10.0.0.0/99'"),
            ["NULL"; 6]
        );
        // The network from a column: x against itself as a /32 or /128 (zone ignored).
        assert_eq!(
            eval_column("cidr_contains", &clients, ", x"),
            ["true", "NULL", "true", "true", "NULL", "true"]
        );
        assert_eq!(
            eval_column("ip_version", &clients, ""),
            ["4", "NULL", "6", "6", "NULL", "4"]
        );
    }
}
