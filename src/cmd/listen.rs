//! `briefing listen`: the sign-up and unsubscribe service.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::ListenArgs;
use crate::content::project::Paths;
use crate::error::Result;

pub(super) fn run(root: &Path, args: &ListenArgs) -> Result<ExitCode> {
    let paths = Paths::new(root);
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    crate::service::run(
        &paths,
        &crate::service::Options {
            bind: args.bind,
            behind_proxy: args.behind_proxy,
        },
        &env,
    )?;
    Ok(ExitCode::SUCCESS)
}
