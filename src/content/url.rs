//! URLs as cards and config write them: the one check every link goes through, and the host
//! shown next to a link. A data module: it reads nothing and knows no stage.

/// Checks that `url` is an absolute http or https URL with a host.
///
/// # Errors
///
/// A message saying what is wrong with it.
pub fn check(url: &str) -> Result<(), String> {
    if let Some(c) = url.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(if c == ' ' {
            "a URL cannot contain spaces; encode them as `%20`".to_owned()
        } else {
            format!("a URL cannot contain the character U+{:04X}", c as u32)
        });
    }
    let Some((scheme, rest)) = url.split_once(':') else {
        return Err(format!(
            "`{url}` is not an absolute URL; start it with `https://`"
        ));
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(format!(
            "only http and https links are allowed, found a `{scheme}:` URL"
        ));
    }
    let Some(rest) = rest.strip_prefix("//") else {
        return Err(format!("`{url}` is missing `//` after `{scheme}:`"));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("");
    if host.is_empty() {
        return Err(format!("`{url}` has no host name"));
    }
    if host.starts_with('[')
        || host
            .chars()
            .all(|c| c.is_alphanumeric() || "-._".contains(c))
    {
        Ok(())
    } else {
        Err(format!("`{url}` has an invalid host name `{host}`"))
    }
}

/// The host of an absolute URL without a leading `www.`: `https://www.example.org/a` →
/// `example.org`. Shown next to links, and standing in for the title of a bare-URL source.
pub fn host(url: &str) -> &str {
    let rest = url.split_once("//").map_or(url, |(_, rest)| rest);
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    host.strip_prefix("www.").unwrap_or(host)
}

/// Whether `host` names this machine.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_http_and_https_urls_only() {
        assert!(check("https://example.org/a?b=c#d").is_ok());
        assert!(check("HTTP://user@example.org:8080/").is_ok());
        assert!(check("https://[::1]/").is_ok());
        assert!(check("https://例え.jp/").is_ok());
        let js = check("javascript:alert(1)").unwrap_err();
        assert_eq!(
            js,
            "only http and https links are allowed, found a `javascript:` URL"
        );
        assert!(check("JaVaScRiPt:alert(1)").is_err());
        assert!(check("data:text/html,x").is_err());
        assert!(check("//example.org").is_err());
        assert!(check("https:/example.org").is_err());
        assert!(check("https://").is_err());
        assert!(check("https://exa mple.org").is_err());
        assert!(check("https://ex<script>.org").is_err());
        assert!(check("example.org").is_err());
    }
}
