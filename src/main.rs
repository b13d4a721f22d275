//! The `briefing` binary: runs the library and turns its outcome into an exit code.

use std::process::ExitCode;

// The library's rendering allocates and frees many small strings on every thread; see the
// note on the dependency in Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    briefing::run(std::env::args_os())
}
