//! `check --dns`: the DNS records a sending domain needs, looked up and compared with the
//! configuration: SPF for the From domain (and the bounce domain, which is the envelope
//! sender's), each DKIM selector's key, DMARC, and an MX for the bounce mailbox.
//!
//! Takes the config; returns findings, each with the record to publish when one is missing
//! or wrong. The lookups and the parsing of SPF and DMARC are mail-auth's (the Stalwart mail
//! server's, over hickory-resolver); this module only compares.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use mail_auth::MessageAuthenticator;
use mail_auth::common::cache::NoCache;
use mail_auth::dmarc::Dmarc;
use mail_auth::hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use mail_auth::spf::Spf;

use crate::content::config::Config;
use crate::error::{Error, Result};
use crate::mail::dkim;

/// How a record stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// There and right.
    Ok,
    /// There, but weaker than it should be (DMARC `p=none`), or a setting worth a look.
    Note,
    /// Missing or wrong: mail will fail a check.
    Error,
}

/// One record looked up.
#[derive(Debug, Clone)]
pub struct Finding {
    /// How it stands.
    pub standing: Standing,
    /// What was looked up and what was found.
    pub message: String,
    /// The record to publish, as a line of a zone file, when it is missing or wrong.
    pub publish: Option<String>,
}

/// Looks up the records `config`'s domains need, through `server` (a resolver's address)
/// or the system's resolver.
///
/// # Errors
///
/// [`Error::Dns`] when no resolver can be set up; a DKIM key that cannot be read.
pub fn check(config: &Config, root: &Path, server: Option<SocketAddr>) -> Result<Vec<Finding>> {
    let resolver = resolver(server)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Dns {
            detail: e.to_string(),
        })?;
    runtime.block_on(findings(config, root, &resolver))
}

fn resolver(server: Option<SocketAddr>) -> Result<MessageAuthenticator> {
    let failed = |e: &dyn std::fmt::Display| Error::Dns {
        detail: e.to_string(),
    };
    let mut options = ResolverOpts::default();
    options.timeout = Duration::from_secs(5);
    options.attempts = 2;
    match server {
        None => MessageAuthenticator::new_system_conf().map_err(|e| failed(&e)),
        Some(address) => {
            let mut name_server = NameServerConfig::udp_and_tcp(address.ip());
            for connection in &mut name_server.connections {
                connection.port = address.port();
            }
            MessageAuthenticator::new(
                ResolverConfig::from_name_servers(vec![name_server]),
                options,
            )
            .map_err(|e| failed(&e))
        }
    }
}

async fn findings(
    config: &Config,
    root: &Path,
    resolver: &MessageAuthenticator,
) -> Result<Vec<Finding>> {
    let mut found = Vec::new();
    let from = domain_of(config.from.email.domain());
    let bounce = config
        .list
        .bounce_address
        .as_ref()
        .map(|address| domain_of(address.domain()));

    // SPF: the envelope sender's domain is the one checked: the bounce domain when there
    // is a bounce mailbox (every message goes from a VERP address on it), else From's.
    let mut spf_domains = vec![from.clone()];
    if let Some(bounce) = bounce.as_ref().filter(|b| **b != from) {
        spf_domains.push(bounce.clone());
    }
    for domain in &spf_domains {
        found.push(spf(resolver, domain, config).await);
    }

    // DKIM: each selector publishes the key that signs.
    if config.dkim.is_empty() {
        found.push(Finding {
            standing: Standing::Error,
            message: format!("no DKIM key signs the mail of {from}"),
            publish: Some(
                "`briefing dkim keygen --selector briefing` makes the keys and prints their records"
                    .to_owned(),
            ),
        });
    }
    for key in &config.dkim {
        found.push(dkim_record(resolver, key, root).await?);
        let signing = domain_of(&key.domain);
        if !aligned(&signing, &from) {
            found.push(Finding {
                standing: Standing::Error,
                message: format!(
                    "DKIM selector `{}` signs for {signing}, which DMARC does not count for mail from {from}",
                    key.selector
                ),
                publish: Some(format!("sign for {from}: set `domain: {from}` on the key")),
            });
        }
    }

    // DMARC, at the From domain or, failing that, its organisational domain.
    found.push(dmarc(resolver, &from).await);

    // The bounce mailbox must receive mail.
    if let Some(bounce) = &bounce {
        found.push(mx(resolver, bounce).await);
    }
    Ok(found)
}

/// A domain as DNS has it: lower case, in its IDNA form, without a final dot.
fn domain_of(domain: &str) -> String {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    idna::domain_to_ascii(&domain).unwrap_or(domain)
}

/// The organisational domain, roughly: the last two labels (three under a two-letter
/// second level such as `co.uk`). Enough for alignment advice, not for a verdict.
fn organisational(domain: &str) -> String {
    let labels: Vec<&str> = domain.split('.').collect();
    let keep = if labels.len() >= 3
        && labels[labels.len() - 2].len() <= 3
        && labels[labels.len() - 1].len() == 2
    {
        3
    } else {
        2
    };
    labels[labels.len().saturating_sub(keep)..].join(".")
}

/// Whether DMARC's relaxed alignment counts `signing` for `from`.
fn aligned(signing: &str, from: &str) -> bool {
    organisational(signing) == organisational(from)
}

async fn spf(resolver: &MessageAuthenticator, domain: &str, config: &Config) -> Finding {
    match resolver
        .txt_lookup::<Spf>(domain, None::<&NoCache<_, _>>)
        .await
    {
        Ok(_) => Finding {
            standing: Standing::Ok,
            message: format!("SPF record at {domain}"),
            publish: None,
        },
        Err(e) => {
            let relay = config
                .smtp
                .as_ref()
                .map_or_else(|| "your mail relay".to_owned(), |smtp| smtp.host.clone());
            Finding {
                standing: Standing::Error,
                message: format!(
                    "no SPF record at {domain} ({e}): receivers cannot tell which servers may send its mail"
                ),
                publish: Some(format!(
                    "{} (`include:` the SPF domain {relay}'s provider documents, or `a:` a relay you run)",
                    dkim::zone_line(domain, "v=spf1 include:_spf.example.net ~all")
                )),
            }
        }
    }
}

async fn dkim_record(
    resolver: &MessageAuthenticator,
    key: &crate::content::config::Dkim,
    root: &Path,
) -> Result<Finding> {
    let (record, accepted) = dkim::public_key(key, root)?;
    let name = format!("{}._domainkey.{}", key.selector, domain_of(&key.domain));
    let publish = Some(dkim::zone_line(&name, &record));
    let published = resolver.txt_raw_lookup(name.as_str()).await;
    Ok(match published {
        Err(e) => Finding {
            standing: Standing::Error,
            message: format!("no DKIM record at {name} ({e}): its signatures cannot be verified"),
            publish,
        },
        Ok(raw) => {
            let text = String::from_utf8_lossy(&raw).into_owned();
            let key_data = tag(&text, "p").map(|p| p.split_whitespace().collect::<String>());
            let decoded = key_data
                .as_deref()
                .and_then(|p| base64::engine::general_purpose::STANDARD.decode(p).ok());
            match decoded {
                Some(bytes) if accepted.contains(&bytes) => Finding {
                    standing: Standing::Ok,
                    message: format!(
                        "DKIM record at {name} holds the key `{}` signs with",
                        key.key_file.display()
                    ),
                    publish: None,
                },
                Some(bytes) if bytes.is_empty() => Finding {
                    standing: Standing::Error,
                    message: format!("the DKIM record at {name} revokes its key (`p=` is empty)"),
                    publish,
                },
                _ => Finding {
                    standing: Standing::Error,
                    message: format!(
                        "the DKIM record at {name} holds another key than `{}`: every signature fails",
                        key.key_file.display()
                    ),
                    publish,
                },
            }
        }
    })
}

/// The value of tag `name` in a DKIM tag list (`v=DKIM1; k=rsa; p=...`).
fn tag<'t>(text: &'t str, name: &str) -> Option<&'t str> {
    text.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key.trim() == name).then(|| value.trim())
    })
}

async fn dmarc(resolver: &MessageAuthenticator, from: &str) -> Finding {
    let organisation = organisational(from);
    let mut names = vec![format!("_dmarc.{from}")];
    if organisation != from {
        names.push(format!("_dmarc.{organisation}"));
    }
    for name in &names {
        if let Ok(record) = resolver
            .txt_lookup::<Dmarc>(name.as_str(), None::<&NoCache<_, _>>)
            .await
        {
            let none = matches!(record.p, mail_auth::dmarc::Policy::None);
            return Finding {
                standing: if none { Standing::Note } else { Standing::Ok },
                message: if none {
                    format!(
                        "DMARC record at {name}, with `p=none`: receivers report but do not act; raise it to `p=quarantine` once the reports show your mail passes"
                    )
                } else {
                    format!("DMARC record at {name}")
                },
                publish: None,
            };
        }
    }
    Finding {
        standing: Standing::Error,
        message: format!(
            "no DMARC record at _dmarc.{from}: large mailbox providers require one of bulk senders"
        ),
        publish: Some(dkim::zone_line(
            &format!("_dmarc.{from}"),
            &format!("v=DMARC1; p=none; rua=mailto:dmarc-reports@{from}"),
        )),
    }
}

async fn mx(resolver: &MessageAuthenticator, domain: &str) -> Finding {
    match resolver.mx_lookup(domain, None::<&NoCache<_, _>>).await {
        Ok(records) if !records.rrset.is_empty() => Finding {
            standing: Standing::Ok,
            message: format!("MX record at {domain}: the bounce mailbox receives mail"),
            publish: None,
        },
        Ok(_) | Err(_) => Finding {
            standing: Standing::Error,
            message: format!(
                "no MX record at {domain}: the relays' reports cannot reach `audience.bounce_address`"
            ),
            publish: Some(format!(
                "{domain}. IN MX 10 mail.{domain}.  (your mail server)"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment_is_by_organisational_domain() {
        assert!(aligned("example.org", "news.example.org"));
        assert!(aligned("mail.example.co.uk", "example.co.uk"));
        assert!(!aligned("example.net", "example.org"));
        assert!(!aligned("other.co.uk", "example.co.uk"));
    }

    #[test]
    fn tags_are_read_from_a_dkim_record() {
        let record = "v=DKIM1; k=ed25519; p=abc=";
        assert_eq!(tag(record, "p"), Some("abc="));
        assert_eq!(tag(record, "k"), Some("ed25519"));
        assert_eq!(tag(record, "t"), None);
    }
}
