//! `briefing dkim keygen`: the keys a sending domain signs with, and what to publish.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::{DkimArgs, DkimCommand};
use crate::content::config::DkimAlgorithm;
use crate::content::project::Paths;
use crate::diagnostic;
use crate::error::{Error, Result};
use crate::mail::dkim;
use crate::pipeline;

pub(super) fn run(root: &Path, args: &DkimArgs) -> Result<ExitCode> {
    let DkimCommand::Keygen {
        selector,
        domain,
        dir,
    } = &args.command;
    // A selector is one DNS label: letters, digits and hyphens.
    let label = |text: &str| {
        !text.is_empty()
            && text.len() <= 50
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            && !text.starts_with(['-', '.'])
            && !text.ends_with(['-', '.'])
    };
    if !label(selector) {
        return Err(Error::BadDnsName {
            option: "--selector",
            text: selector.clone(),
        });
    }
    let paths = Paths::new(root);
    let domain = match domain {
        Some(domain) => domain.trim_end_matches('.').to_ascii_lowercase(),
        None => match pipeline::load_config(&paths)? {
            Ok(config) => config.from.email.domain().to_ascii_lowercase(),
            Err(diagnostics) => return Err(Error::Invalid { diagnostics }),
        },
    };
    if !label(&domain) || !domain.contains('.') {
        return Err(Error::BadDnsName {
            option: "--domain",
            text: domain,
        });
    }
    let keys = dkim::generate(selector, &domain, &paths.root, dir)?;
    let files: Vec<String> = keys
        .iter()
        .map(|k| diagnostic::display_path(&k.dkim.key_file))
        .collect();
    say!(
        "wrote {} (readable by you only; `.briefing/` is kept out of git)\n",
        files.join(" and ")
    );
    say!("1. Publish these TXT records at your DNS host (each record is the strings joined):\n");
    for key in &keys {
        say!("{}", key.zone_line());
    }
    say!("\n2. Put this in config.yaml (instead of any `dkim:` there): every message is signed");
    say!("   with both keys, RSA for the providers that verify only RSA, Ed25519 for the rest.\n");
    say!("dkim:");
    for key in &keys {
        say!(
            "  - selector: {}\n    domain: {}\n    key_file: {}\n    algorithm: {}",
            key.dkim.selector,
            key.dkim.domain,
            key.dkim.key_file.display(),
            match key.dkim.algorithm {
                DkimAlgorithm::Rsa => "rsa",
                DkimAlgorithm::Ed25519 => "ed25519",
            }
        );
    }
    say!(
        "\n3. Once DNS has them, `briefing check --dns` looks them up (with SPF and DMARC) and \
         says what is missing."
    );
    Ok(ExitCode::SUCCESS)
}
