//! Parsing the SANs people type: DNS names, URIs (SPIFFE checked), IP addresses and emails,
//! with optional `dns:`, `uri:`, `ip:`, `email:` prefixes to force a type.
//!
//! Istio's `subjectAltNames` entries are plain strings that Envoy compares exactly against the
//! client certificate's DNS, URI, email and IP SANs (DNS ignoring ASCII case). So the type
//! matters for validation and duplicate detection, not for what is stored.

use std::net::IpAddr;

use serde::Serialize;
use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SanKind {
    Dns,
    Uri,
    Ip,
    Email,
}

impl std::fmt::Display for SanKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SanKind::Dns => "DNS",
            SanKind::Uri => "URI",
            SanKind::Ip => "IP",
            SanKind::Email => "email",
        })
    }
}

/// A validated SAN: its type and the exact string that goes into `subjectAltNames`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct San {
    pub kind: SanKind,
    pub value: String,
}

impl San {
    /// Whether Envoy would treat the two entries as the same match (DNS ignores ASCII case).
    pub fn same_entry(&self, entry: &str) -> bool {
        match self.kind {
            SanKind::Dns => self.value.eq_ignore_ascii_case(entry),
            SanKind::Ip => match entry.parse::<IpAddr>() {
                Ok(ip) => self.value.parse::<IpAddr>().is_ok_and(|own| own == ip),
                Err(_) => self.value == entry,
            },
            SanKind::Uri | SanKind::Email => self.value == entry,
        }
    }
}

impl std::fmt::Display for San {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.value)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid SAN {input:?}: {reason}")]
pub struct SanError {
    pub input: String,
    pub reason: String,
}

fn bad(input: &str, reason: impl Into<String>) -> SanError {
    SanError { input: input.to_string(), reason: reason.into() }
}

/// Parses one SAN as typed on the command line.
pub fn parse(input: &str) -> Result<San, SanError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(bad(input, "it is empty"));
    }
    let lower = text.to_ascii_lowercase();
    let forced = [("dns:", SanKind::Dns), ("uri:", SanKind::Uri), ("ip:", SanKind::Ip), ("email:", SanKind::Email)]
        .into_iter()
        .find(|(prefix, _)| lower.starts_with(prefix) && !lower.starts_with("uri://"));
    let (kind, value) = match forced {
        Some((prefix, kind)) => (kind, &text[prefix.len()..]),
        None => (guess(text), text),
    };
    if value.contains('*') {
        return Err(bad(
            input,
            "allow-list entries are exact strings, not patterns: `*` only matches a certificate whose SAN is literally that string. \
             To accept a client whose certificate has a wildcard DNS SAN such as *.example.com, list a name it covers, e.g. api.example.com",
        ));
    }
    match kind {
        SanKind::Dns => dns(input, value),
        SanKind::Uri => uri(input, value),
        SanKind::Ip => value
            .parse::<IpAddr>()
            .map(|ip| San { kind, value: ip.to_string() })
            .map_err(|_| bad(input, "not an IPv4 or IPv6 address")),
        SanKind::Email => email(input, value),
    }
}

fn guess(text: &str) -> SanKind {
    if text.parse::<IpAddr>().is_ok() {
        SanKind::Ip
    } else if text.contains("://") || text.starts_with("spiffe:") || text.starts_with("urn:") {
        SanKind::Uri
    } else if text.contains('@') {
        SanKind::Email
    } else {
        SanKind::Dns
    }
}

/// RFC 1123 host names: labels of letters, digits and hyphens, 1–63 characters, not starting or
/// ending with a hyphen, 253 characters in all. Underscores are refused too.
fn dns(input: &str, value: &str) -> Result<San, SanError> {
    let name = value.strip_suffix('.').unwrap_or(value);
    if name.is_empty() || name.len() > 253 {
        return Err(bad(input, "a DNS name must be 1 to 253 characters"));
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err(bad(input, "a DNS name cannot have an empty label (two dots in a row)"));
        }
        if label.len() > 63 {
            return Err(bad(input, format!("the DNS label {label:?} is longer than 63 characters")));
        }
        if let Some(c) = label.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
            return Err(bad(
                input,
                format!(
                    "{c:?} is not allowed in a DNS name (letters, digits, hyphens and dots only; prefix uri: or email: for other types)"
                ),
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(bad(input, format!("the DNS label {label:?} starts or ends with a hyphen")));
        }
    }
    Ok(San { kind: SanKind::Dns, value: name.to_string() })
}

fn uri(input: &str, value: &str) -> Result<San, SanError> {
    let Some((scheme, rest)) = value.split_once(':') else {
        return Err(bad(input, "a URI needs a scheme, e.g. spiffe://cluster.local/ns/default/sa/client"));
    };
    let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !scheme_ok {
        return Err(bad(input, format!("{scheme:?} is not a URI scheme")));
    }
    if rest.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad(input, "a URI cannot be empty after its scheme or contain spaces"));
    }
    if scheme == "spiffe" {
        spiffe(input, rest)?;
    } else if scheme.eq_ignore_ascii_case("spiffe") {
        return Err(bad(input, "the SPIFFE scheme is lower case: spiffe://"));
    }
    Ok(San { kind: SanKind::Uri, value: value.to_string() })
}

/// SPIFFE IDs: `spiffe://TRUST-DOMAIN/PATH`, trust domain of lower-case letters, digits, `.-_`,
/// path segments non-empty and not `.` or `..`, no query, fragment, port or user info.
fn spiffe(input: &str, rest: &str) -> Result<(), SanError> {
    let Some(after) = rest.strip_prefix("//") else {
        return Err(bad(input, "a SPIFFE ID starts with spiffe://"));
    };
    let (domain, path) = after.split_once('/').map_or((after, ""), |(d, p)| (d, p));
    if domain.is_empty() {
        return Err(bad(input, "a SPIFFE ID needs a trust domain: spiffe://TRUST-DOMAIN/PATH"));
    }
    if let Some(c) = domain.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(*c))) {
        return Err(bad(
            input,
            format!(
                "{c:?} is not allowed in a SPIFFE trust domain (lower-case letters, digits, '.', '-', '_'; no port or user info)"
            ),
        ));
    }
    if after.contains('?') || after.contains('#') {
        return Err(bad(input, "a SPIFFE ID cannot have a query or fragment"));
    }
    if !path.is_empty() || after.ends_with('/') {
        for segment in path.split('/') {
            if segment.is_empty() || segment == "." || segment == ".." {
                return Err(bad(input, "SPIFFE path segments cannot be empty, '.' or '..' (no trailing slash)"));
            }
            if let Some(c) = segment.chars().find(|c| !(c.is_ascii_alphanumeric() || ".-_".contains(*c))) {
                return Err(bad(
                    input,
                    format!("{c:?} is not allowed in a SPIFFE path (letters, digits, '.', '-', '_')"),
                ));
            }
        }
    }
    Ok(())
}

fn email(input: &str, value: &str) -> Result<San, SanError> {
    let Some((local, domain)) = value.rsplit_once('@') else {
        return Err(bad(input, "an email address needs an @"));
    };
    if local.is_empty() || local.contains(char::is_whitespace) || local.contains('@') {
        return Err(bad(input, "the part before @ is empty or has spaces"));
    }
    dns(input, domain).map_err(|_| bad(input, "the part after @ is not a valid domain"))?;
    Ok(San { kind: SanKind::Email, value: value.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> (SanKind, String) {
        let san = parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        (san.kind, san.value)
    }

    fn err(input: &str) -> String {
        parse(input).expect_err(input).reason
    }

    #[test]
    fn guesses_each_type() {
        assert_eq!(ok("client.example.com"), (SanKind::Dns, "client.example.com".into()));
        assert_eq!(ok("Client.Example.COM."), (SanKind::Dns, "Client.Example.COM".into()));
        assert_eq!(
            ok("spiffe://cluster.local/ns/default/sa/client"),
            (SanKind::Uri, "spiffe://cluster.local/ns/default/sa/client".into())
        );
        assert_eq!(ok("https://clients.example.com/a"), (SanKind::Uri, "https://clients.example.com/a".into()));
        assert_eq!(ok("10.1.2.3"), (SanKind::Ip, "10.1.2.3".into()));
        assert_eq!(ok("2001:DB8::1"), (SanKind::Ip, "2001:db8::1".into()));
        assert_eq!(ok("ops@example.com"), (SanKind::Email, "ops@example.com".into()));
    }

    #[test]
    fn prefixes_force_a_type() {
        assert_eq!(ok("dns:localhost"), (SanKind::Dns, "localhost".into()));
        assert_eq!(ok("URI:urn:example:client"), (SanKind::Uri, "urn:example:client".into()));
        assert_eq!(ok("ip:::1"), (SanKind::Ip, "::1".into()));
        assert_eq!(ok("email:a@b.example"), (SanKind::Email, "a@b.example".into()));
        assert!(err("ip:example.com").contains("not an IPv4 or IPv6"));
    }

    #[test]
    fn refuses_bad_forms_with_a_reason() {
        assert!(err("*.example.com").contains("exact strings, not patterns"));
        assert!(err("api.*.com").contains("exact strings"));
        assert!(err("").contains("empty"));
        assert!(err("a..b").contains("empty label"));
        assert!(err("-a.example").contains("hyphen"));
        assert!(err("under_score.example").contains("'_' is not allowed"));
        assert!(err(&"a".repeat(64)).contains("longer than 63"));
        assert!(err("spiffe://Cluster.local/ns").contains("trust domain"));
        assert!(err("spiffe://cluster.local:8080/ns").contains("no port"));
        assert!(err("spiffe://cluster.local/ns//sa").contains("cannot be empty"));
        assert!(err("spiffe:///ns/x").contains("needs a trust domain"));
        assert!(err("spiffe://td/ns?x=1").contains("query"));
        assert!(err("SPIFFE://td/x").contains("lower case"));
        assert!(err("a b@example.com").contains("spaces"));
        assert!(err("user@").contains("after @"));
    }

    #[test]
    fn duplicates_follow_envoy() {
        let dns = parse("Client.example.com").unwrap();
        assert!(dns.same_entry("client.EXAMPLE.com"));
        let uri = parse("spiffe://td/ns/a").unwrap();
        assert!(!uri.same_entry("spiffe://TD/ns/a"));
        let ip = parse("2001:db8::1").unwrap();
        assert!(ip.same_entry("2001:0db8:0:0:0:0:0:1"));
    }
}
