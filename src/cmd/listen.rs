//! `briefing listen`: the sign-up and unsubscribe service.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::ListenArgs;
use crate::content::project::Paths;
use crate::error::Result;
use crate::pipeline;
use crate::service::{self, Options};

pub(super) fn run(root: &Path, args: &ListenArgs) -> Result<ExitCode> {
    let paths = Paths::new(root);
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let setup = pipeline::service(&paths, &env)?;
    service::run(
        setup,
        &Options {
            bind: args.bind,
            behind_proxy: args.behind_proxy,
        },
    )?;
    Ok(ExitCode::SUCCESS)
}
