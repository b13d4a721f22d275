//! `briefing` turns curated YAML story cards into a weekly newsletter and runs its list.
//!
//! The folders are the layers, and every arrow points down:
//!
//! - [`cmd`] has one file per subcommand: it calls [`pipeline`] (or a subsystem below it) and
//!   prints what comes back;
//! - [`pipeline`] is the only place that loads, validates and assembles a newsletter, builds
//!   its template environment and makes a new one ([`pipeline::scaffold`]);
//! - [`content`] reads what the curator wrote: the folder, `config.yaml`, the cards, and the
//!   stories, weekly issues and watch items made from them;
//! - [`publish`] turns issues into files in memory and writes or serves them;
//! - [`audience`] knows the readers: the subscriber store, CSV lists, signed links, the secret;
//! - [`mail`] builds one message per reader, sends an issue and reads the reports that come
//!   back;
//! - [`service`] is the HTTP service readers talk to (`briefing listen`);
//! - [`sources`] checks the pages cards cite over the network (`check --links`, the only
//!   command that fetches anything) and remembers what it found.
//!
//! [`error`] and [`diagnostic`] are what every layer reports with. [`run`] is the command
//! line's entry point. `docs/architecture.md` says where to add a card field, an output format
//! or a transport.

// The library's one public item is `run`; everything else is `pub(crate)`, so unused code is
// reported. Its documentation is for maintainers, built with `--document-private-items` (as
// CI does), where these links resolve.
#![allow(rustdoc::private_intra_doc_links)]

/// `println!` that drops what it cannot write instead of panicking: with the output piped
/// into a reader that stops early (`briefing build | head -1`), the work still finishes and
/// no panic message follows.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `eprintln!` that drops what it cannot write, as [`say`] does.
macro_rules! say_err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub(crate) mod audience;
pub(crate) mod cli;
pub(crate) mod cmd;
pub(crate) mod content;
pub(crate) mod diagnostic;
pub(crate) mod error;
pub(crate) mod mail;
pub(crate) mod pipeline;
pub(crate) mod publish;
pub(crate) mod service;
pub(crate) mod sources;

pub use cmd::run;

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// The layers each folder (or top-level file) may import, besides itself:
    /// `docs/architecture.md` draws the same.
    const MAY_IMPORT: &[(&str, &[&str])] = &[
        ("diagnostic", &[]),
        ("error", &["diagnostic"]),
        ("content", &["diagnostic", "error"]),
        ("publish", &["diagnostic", "error", "content"]),
        ("audience", &["diagnostic", "error", "content"]),
        ("sources", &["diagnostic", "error", "content"]),
        (
            "mail",
            &["diagnostic", "error", "content", "publish", "audience"],
        ),
        (
            "service",
            &[
                "diagnostic",
                "error",
                "content",
                "publish",
                "audience",
                "mail",
            ],
        ),
        (
            "pipeline",
            &[
                "diagnostic",
                "error",
                "content",
                "publish",
                "audience",
                "mail",
                "service",
                "sources",
            ],
        ),
    ];

    fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    // Folders are layers: an import that points up or sideways (a stage calling the pipeline,
    // `publish` reaching into `mail`) fails here, naming the file and the line. Doc comments
    // may mention any module; only code counts.
    #[test]
    fn folders_import_only_the_layers_below_them() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let mut wrong = Vec::new();
        for file in files {
            let rel = file.strip_prefix(&src).unwrap();
            let layer = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned();
            let Some((_, allowed)) = MAY_IMPORT.iter().find(|(name, _)| *name == layer) else {
                continue;
            };
            let text = std::fs::read_to_string(&file).unwrap();
            for (number, line) in text.lines().enumerate() {
                if line.trim_start().starts_with("//") {
                    continue;
                }
                for (at, _) in line.match_indices("crate::") {
                    let target: String = line[at + "crate::".len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if target != layer && !allowed.contains(&target.as_str()) {
                        wrong.push(format!(
                            "src/{}:{}: `{layer}` imports `{target}`",
                            rel.display(),
                            number + 1
                        ));
                    }
                }
            }
        }
        assert!(
            wrong.is_empty(),
            "imports against the layers:\n{}",
            wrong.join("\n")
        );
    }
}
