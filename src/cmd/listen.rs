//! `briefing listen`: the sign-up and unsubscribe service.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::ListenArgs;
use crate::content::project::Paths;
use crate::error::{Error, Result};
use crate::pipeline;
use crate::service::{self, Options};

pub(super) fn run(root: &Path, args: &ListenArgs) -> Result<ExitCode> {
    if args.behind_proxy {
        return Err(Error::BehindProxyRemoved);
    }
    let bind = args.address()?;
    let paths = Paths::new(root);
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let setup = pipeline::service(&paths, &env)?;
    service::run(
        setup,
        &Options {
            bind,
            trusted_proxies: if args.trusted_proxies.is_empty() {
                service::loopback()
            } else {
                args.trusted_proxies.clone()
            },
        },
    )?;
    Ok(ExitCode::SUCCESS)
}
