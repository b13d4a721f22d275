//! The key that signs unsubscribe and confirmation tokens.
//!
//! Taken from the environment variable named by `unsubscribe_secret_env` when it is set (a
//! container or a systemd credential), otherwise from `.briefing/secret`: `init`, or the
//! first `send` or `listen` of a newsletter that has none, writes 32 random bytes there,
//! readable by its owner only. `send` and `listen` must use the same key, or the links in
//! sent mail stop working: `check` says which one is in use.

use std::fs;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The shortest secret accepted from the environment.
const MIN_LENGTH: usize = 16;

/// Where a secret came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The environment variable of this name.
    Environment(String),
    /// This file, relative to the newsletter's folder (`.briefing/secret`).
    File(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Environment(name) => write!(f, "the environment variable `{name}`"),
            Origin::File(path) => write!(f, "`{}`", crate::diagnostic::display_path(path)),
        }
    }
}

/// The bytes that key every token and keyed hash. Its `Debug` never shows them, so a
/// struct that holds one can derive `Debug` and be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Key(Vec<u8>);

impl Key {
    /// A key of these bytes.
    pub fn new(bytes: Vec<u8>) -> Key {
        Key(bytes)
    }

    /// The bytes, for an HMAC.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(redacted)")
    }
}

/// A token key and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    /// The key.
    pub key: Key,
    /// Where it came from.
    pub origin: Origin,
}

/// Options that create a file only its owner can read and write (0600): the database, the
/// journals, rewritten lists. Opening an existing file keeps its mode.
pub fn private_options() -> fs::OpenOptions {
    let mut options = fs::OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
}

/// Creates `dir` (and its parents) when missing; a folder it creates is its owner's alone
/// (0700), so what `briefing` keeps there (the secret, the database, the journals) is private
/// even before each file's own mode applies.
///
/// # Errors
///
/// The I/O error.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// `.briefing/secret` of the newsletter at `root`.
pub fn file(root: &Path) -> PathBuf {
    root.join(".briefing").join("secret")
}

/// The secret in use: the environment variable `variable` when set, else the secret file
/// when there is one; `None` when neither.
///
/// # Errors
///
/// [`Error::SecretTooShort`] for a short variable; [`Error::SecretFile`] for a file that
/// cannot be read, is empty, or can be read by others.
pub fn find(
    root: &Path,
    variable: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Secret>> {
    if let Some(value) = env(variable) {
        if value.len() < MIN_LENGTH {
            return Err(Error::SecretTooShort {
                variable: variable.to_owned(),
            });
        }
        return Ok(Some(Secret {
            key: Key(value.into_bytes()),
            origin: Origin::Environment(variable.to_owned()),
        }));
    }
    let path = file(root);
    match fs::symlink_metadata(&path) {
        Ok(_) => read(&path).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::SecretFile { path, source }),
    }
}

/// [`find`], writing a new random secret file when there is no secret yet.
///
/// # Errors
///
/// As [`find`], or [`Error::SecretFile`] when the file cannot be written.
pub fn find_or_create(
    root: &Path,
    variable: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Secret> {
    if let Some(secret) = find(root, variable, env)? {
        return Ok(secret);
    }
    create(&file(root))?;
    read(&file(root))
}

fn read(path: &Path) -> Result<Secret> {
    let failed = |source| Error::SecretFile {
        path: path.to_path_buf(),
        source,
    };
    let metadata = fs::symlink_metadata(path).map_err(failed)?;
    if !metadata.is_file() {
        return Err(failed(std::io::Error::other(
            "it is not a regular file (a link, a folder or a device); delete it and run again",
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if metadata.permissions().mode() & 0o077 != 0 {
            return Err(failed(std::io::Error::other(format!(
                "others can read it; run `chmod 600 {}`",
                path.display()
            ))));
        }
    }
    let mut text = String::new();
    fs::File::open(path)
        .and_then(|f| f.take(4096).read_to_string(&mut text))
        .map_err(failed)?;
    let key = text.trim();
    if key.len() < MIN_LENGTH {
        return Err(failed(std::io::Error::other(format!(
            "it holds {} characters, fewer than {MIN_LENGTH}; delete it to have a new one made \
             (links in mail already sent stop working)",
            key.len()
        ))));
    }
    Ok(Secret {
        key: Key(key.as_bytes().to_vec()),
        origin: Origin::File(Path::new(".briefing").join("secret")),
    })
}

/// Writes 32 random bytes, hex-encoded, to `path` with mode 0600. Two processes doing this
/// at once end up with the same secret: each writes its own temporary file and links it into
/// place, and only the first link succeeds.
///
/// # Errors
///
/// [`Error::SecretFile`].
pub fn create(path: &Path) -> Result<()> {
    let failed = |source| Error::SecretFile {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        private_dir(parent).map_err(failed)?;
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| failed(std::io::Error::other(e.to_string())))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let written = options.open(&tmp).and_then(|mut f| {
        f.write_all(format!("{hex}\n").as_bytes())?;
        f.sync_all()
    });
    let linked = written.and_then(|()| match fs::hard_link(&tmp, path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    });
    let _ = fs::remove_file(&tmp);
    linked.map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn the_environment_wins_then_the_file_which_is_made_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(find(dir.path(), "S", &no_env).unwrap(), None);
        let made = find_or_create(dir.path(), "S", &no_env).unwrap();
        assert_eq!(made.origin, Origin::File(PathBuf::from(".briefing/secret")));
        assert_eq!(made.key.as_bytes().len(), 64);
        assert_eq!(find_or_create(dir.path(), "S", &no_env).unwrap(), made);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(file(dir.path())).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let env = |_: &str| Some("from the environment, long enough".to_owned());
        let secret = find(dir.path(), "S", &env).unwrap().unwrap();
        assert_eq!(secret.origin, Origin::Environment("S".to_owned()));
        assert!(!format!("{secret:?}").contains("environment, long"));
        let short = |_: &str| Some("short".to_owned());
        assert!(matches!(
            find(dir.path(), "S", &short),
            Err(Error::SecretTooShort { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn a_secret_file_others_can_read_or_a_link_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        find_or_create(dir.path(), "S", &no_env).unwrap();
        let path = file(dir.path());
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = find(dir.path(), "S", &no_env).unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
        fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", &path).unwrap();
        let err = find(dir.path(), "S", &no_env).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
    }
}
