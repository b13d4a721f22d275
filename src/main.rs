//! The `briefing` binary: runs the library and turns its outcome into an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    briefing::run(std::env::args_os())
}
