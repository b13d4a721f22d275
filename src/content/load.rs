//! Reads the card and issue files under `briefs/` into memory. No parsing.
//!
//! Takes the newsletter root, returns every `*.yaml`/`*.yml` file below `briefs/` (sorted, hidden
//! files and folders skipped, symlinked folders not followed) with its text, or the reason the
//! text could not be had: too large, not UTF-8, unreadable, not a regular file, or outside the
//! newsletter folder. Files are capped at [`MAX_FILE_BYTES`] and the cap is enforced while
//! reading, so a huge file costs nothing.
//!
//! Every file the newsletter is made of (cards, issue files, `config.yaml`, templates) is read
//! through [`read_capped`]: only a regular file whose real path is inside the newsletter folder
//! is opened. A symlink inside the folder is fine; one leading out of it (to
//! `/proc/self/environ`, say, whose text would end up in diagnostics or pages) is refused
//! without reading a byte, and so is a FIFO (which would block the read forever) or a device.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::diagnostic::Pos;

/// The largest card or issue file accepted: 1 MiB. A real card is a few kilobytes.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Folders deeper than this under `briefs/` are not read.
const MAX_DEPTH: usize = 16;

/// What a file under `briefs/` is, by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A story card.
    Card,
    /// `issue.yaml`: settings for the issue of its folder's week.
    Issue,
}

/// One file's text, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// UTF-8 text, without a byte-order mark.
    Text(String),
    /// Larger than [`MAX_FILE_BYTES`]; holds the size seen.
    TooLarge(u64),
    /// Not UTF-8; holds the position of the first bad byte.
    NotUtf8(Pos),
    /// Could not be read; holds the reason.
    Unreadable(String),
    /// Not a regular file; holds what it is (`a FIFO`, `a device`, ...).
    NotAFile(&'static str),
    /// Its real path (after following symlinks) is outside the newsletter folder.
    Outside,
    /// Valid text that `validate` let go once it had checked it, to keep memory flat.
    Released,
    /// Not read again: unchanged since `serve`'s last rebuild checked it ([`Listing`]).
    Unchanged,
}

impl Content {
    /// What is wrong with a file whose text could not be had, and what to do: a message and
    /// a help line. `None` for text.
    pub fn problem(&self) -> Option<(String, String)> {
        let problem = match self {
            Content::TooLarge(size) => (
                format!("file is {size} bytes; files are capped at {MAX_FILE_BYTES} bytes (1 MiB)"),
                "a card is a few kilobytes of text; check that this is the file you meant"
                    .to_owned(),
            ),
            Content::NotUtf8(_) => (
                "file is not valid UTF-8".to_owned(),
                "save it as UTF-8 in your editor".to_owned(),
            ),
            Content::Unreadable(reason) => (
                format!("cannot read the file: {reason}"),
                "check its permissions".to_owned(),
            ),
            Content::NotAFile(what) => (
                format!("file is {what}, not a regular file; it was not read"),
                "replace it with a regular file".to_owned(),
            ),
            Content::Outside => (
                "file is a symlink that leads out of the newsletter folder; it was not read"
                    .to_owned(),
                "copy the file into the folder instead of linking to it".to_owned(),
            ),
            // Only a file whose check is kept is left unread; should it be missing, the
            // file is read on the next save.
            Content::Unchanged => (
                "file was not read again, and its last check is gone".to_owned(),
                "save it again".to_owned(),
            ),
            Content::Text(_) | Content::Released => return None,
        };
        Some(problem)
    }
}

/// A file found under `briefs/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Path relative to the newsletter root, e.g. `briefs/2026-W25/lab.yaml`.
    pub path: PathBuf,
    /// Card or issue file.
    pub kind: FileKind,
    /// Its text.
    pub content: Content,
}

/// Lists and reads every YAML file under `root/briefs`, sorted by path.
///
/// A missing `briefs/` folder gives an empty list; `check` says so.
pub fn load_briefs(root: &Path) -> Vec<SourceFile> {
    let mut paths = Vec::new();
    collect(root, Path::new("briefs"), 0, &mut paths);
    let place = Place::of(root);
    read_listed(
        root,
        &place,
        paths.iter().map(|(path, entry)| (path, entry)),
        &|_| true,
    )
}

/// Where the newsletter is, for reading its files. A regular file found by walking a folder
/// inside the newsletter is inside it; only symlinks, and everything under a `briefs/` that
/// is itself a link elsewhere, need their real path checked.
struct Place {
    /// The newsletter folder's canonical path.
    real_root: PathBuf,
    /// Whether `briefs/` is really inside it.
    briefs_inside: bool,
}

impl Place {
    fn of(root: &Path) -> Place {
        let real_root = real_root(root);
        let briefs_inside = fs::canonicalize(root.join("briefs"))
            .is_ok_and(|briefs| briefs.starts_with(&real_root));
        Place {
            real_root,
            briefs_inside,
        }
    }
}

/// How many files are read at once.
const READERS: usize = 8;

/// Fewer files to read than this are read without a pool of [`READERS`].
const FEW_READS: usize = 64;

/// What [`load_briefs`] found under `briefs/`, kept by `serve` so that after a save only the
/// paths the file watcher named are looked at again.
#[derive(Debug, Default)]
pub struct Listing {
    /// Every YAML file, by path relative to the newsletter root, in [`load_briefs`]' order.
    entries: std::collections::BTreeMap<PathBuf, Entry>,
    /// Whether the listing is whole and may be brought up to date path by path.
    ready: bool,
}

/// As [`load_briefs`], after a first load into `listing`: when `changed` names the paths that
/// changed since (relative to the root, as the file watcher saw them), only those are looked
/// at again, and a file that did not change is not read when `kept(path, kind)` says its
/// last check is kept: its content is then [`Content::Unchanged`]. With `changed` `None`
/// (not known: a missed event, a folder made), everything is listed and read again.
///
/// A symlink, or anything not a regular file, is read (or refused) again on every load: what
/// it leads to can change without an event on its own path.
pub fn load_briefs_listed(
    root: &Path,
    listing: &mut Listing,
    changed: Option<&[PathBuf]>,
    kept: &(dyn Fn(&Path, FileKind) -> bool + Sync),
) -> Vec<SourceFile> {
    let place = Place::of(root);
    let changed = match changed {
        // Under a `briefs/` that links elsewhere, every file's real path is checked anyway.
        Some(changed) if listing.ready && place.briefs_inside => changed,
        _ => {
            let mut paths = Vec::new();
            collect(root, Path::new("briefs"), 0, &mut paths);
            listing.entries = paths.into_iter().collect();
            listing.ready = place.briefs_inside;
            return read_listed(root, &place, &listing.entries, &|_| true);
        }
    };
    let mut again: Vec<&Path> = Vec::new();
    for path in changed {
        if !relist(root, path, &mut listing.entries) {
            listing.ready = false;
            return load_briefs_listed(root, listing, None, kept);
        }
        again.push(path);
    }
    read_listed(root, &place, &listing.entries, &|(path, entry)| {
        !matches!(entry, Entry::File)
            || again.iter().any(|changed| path.starts_with(changed))
            || !kept(path, kind_of(path))
    })
}

/// Brings `entries` up to date at `path` (relative to `root`): a file added, replaced or
/// removed, a folder listed again. `false` when the path cannot be looked at (the whole
/// folder is then listed again).
fn relist(
    root: &Path,
    path: &Path,
    entries: &mut std::collections::BTreeMap<PathBuf, Entry>,
) -> bool {
    let Ok(under_briefs) = path.strip_prefix("briefs") else {
        return true;
    };
    // What the walk skips: hidden names anywhere on the way, and folders too deep.
    let folders = under_briefs.components().count().saturating_sub(1);
    if under_briefs.iter().any(is_hidden) || folders > MAX_DEPTH {
        return true;
    }
    entries.retain(|listed, _| !listed.starts_with(path));
    match fs::symlink_metadata(root.join(path)) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(_) => return false,
        Ok(meta) if meta.is_dir() => {
            let mut found = Vec::new();
            collect(root, path, folders + 1, &mut found);
            entries.extend(found);
        }
        Ok(meta) => {
            if path.file_name().is_some_and(is_yaml) {
                entries.insert(path.to_path_buf(), Entry::of(meta.file_type()));
            }
        }
    }
    true
}

/// The files of `entries`, in order: those `read(entry)` picks read, the others
/// [`Content::Unchanged`].
fn read_listed<'e>(
    root: &Path,
    place: &Place,
    entries: impl IntoIterator<Item = (&'e PathBuf, &'e Entry)>,
    read: &(dyn Fn((&PathBuf, &Entry)) -> bool + Sync),
) -> Vec<SourceFile> {
    use rayon::prelude::*;
    let listed: Vec<((&PathBuf, &Entry), bool)> = entries
        .into_iter()
        .map(|listed| (listed, read(listed)))
        .collect();
    let reads = listed.iter().filter(|(_, read)| *read).count();
    let one = |((path, entry), read): ((&PathBuf, &Entry), bool)| {
        if !read {
            return SourceFile {
                path: path.clone(),
                kind: kind_of(path),
                content: Content::Unchanged,
            };
        }
        let check = match *entry {
            Entry::File if place.briefs_inside => Check::Walked,
            Entry::File | Entry::Link => Check::RealPath(&place.real_root),
            Entry::Other(what) => Check::Refuse(what),
        };
        read_source(root, path.clone(), check)
    };
    let all = || -> Vec<SourceFile> { listed.into_par_iter().map(one).collect() };
    // Files not in the page cache wait on the disk, and then more readers than cores keep it
    // busy (bench/README.md has the figures). Rayon keeps the order. A few files (`serve`
    // after a save) are read without the pool: its threads' starts and fresh heaps cost more.
    if reads < FEW_READS {
        return all();
    }
    match rayon::ThreadPoolBuilder::new().num_threads(READERS).build() {
        Ok(readers) => readers.install(all),
        Err(_) => all(),
    }
}

/// A file's kind, by its name.
fn kind_of(path: &Path) -> FileKind {
    match path.file_stem().and_then(|s| s.to_str()) {
        Some("issue") => FileKind::Issue,
        _ => FileKind::Card,
    }
}

/// What the walk saw at a path, without following it.
#[derive(Debug, Clone, Copy)]
enum Entry {
    File,
    Link,
    Other(&'static str),
}

impl Entry {
    /// The entry of a path whose type (not followed) is `file_type`.
    fn of(file_type: fs::FileType) -> Entry {
        if file_type.is_file() {
            Entry::File
        } else if file_type.is_symlink() {
            Entry::Link
        } else {
            Entry::Other(what_it_is(file_type))
        }
    }
}

/// How much a read must check before it opens a file.
enum Check<'a> {
    /// Found as a regular file by walking a folder inside the newsletter.
    Walked,
    /// Its real path must be a regular file inside this (canonical) folder.
    RealPath(&'a Path),
    /// Not a file: refused without opening it.
    Refuse(&'static str),
}

/// The newsletter folder's real path (itself, when it cannot be resolved).
pub fn real_root(root: &Path) -> PathBuf {
    fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf())
}

/// The file at `path` under `root`, read.
fn read_source(root: &Path, path: PathBuf, check: Check<'_>) -> SourceFile {
    let kind = kind_of(&path);
    let content = match check {
        Check::Walked => read_open(&root.join(&path)),
        Check::RealPath(real_root) => read_capped(real_root, &root.join(&path)),
        Check::Refuse(what) => Content::NotAFile(what),
    };
    SourceFile {
        path,
        kind,
        content,
    }
}

/// Adds the YAML files under `rel` to `out`, sorted by path: each folder's entries are taken
/// in name order, which is the order of whole paths compared component by component.
fn collect(root: &Path, rel: &Path, depth: usize, out: &mut Vec<(PathBuf, Entry)>) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(entries) = fs::read_dir(root.join(rel)) else {
        return;
    };
    let mut entries: Vec<(std::ffi::OsString, fs::FileType)> = entries
        .flatten()
        .filter_map(|entry| Some((entry.file_name(), entry.file_type().ok()?)))
        .filter(|(name, _)| !is_hidden(name))
        .collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (name, file_type) in entries {
        if file_type.is_dir() {
            collect(root, &rel.join(&name), depth + 1, out);
        } else if is_yaml(&name) {
            out.push((rel.join(&name), Entry::of(file_type)));
        }
    }
}

/// Whether a file or folder of this name is passed over (its name starts with a dot: `.git`,
/// an editor's swap file).
pub(crate) fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().starts_with(b".")
}

/// Whether a file of this name, not hidden, is read as a card or an issue file.
pub(crate) fn is_yaml(name: &std::ffi::OsStr) -> bool {
    let name = name.as_encoded_bytes();
    let ends_with = |suffix: &[u8]| {
        name.len() >= suffix.len() && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    };
    ends_with(b".yaml") || ends_with(b".yml")
}

/// What a file that is not a regular file is, for a message.
fn what_it_is(file_type: fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_fifo() {
        "a FIFO (named pipe)"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_block_device() || file_type.is_char_device() {
        "a device"
    } else if file_type.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// Reads the file at `path` if its real path is a regular file inside `real_root` (the
/// newsletter folder's canonical path, from [`real_root`]): at most [`MAX_FILE_BYTES`] + 1
/// bytes, decoded.
pub fn read_capped(real_root: &Path, path: &Path) -> Content {
    let real = match fs::canonicalize(path) {
        Ok(real) => real,
        Err(e) => return Content::Unreadable(e.to_string()),
    };
    if !real.starts_with(real_root) {
        return Content::Outside;
    }
    match fs::metadata(&real) {
        Ok(meta) if meta.is_file() => read_open(&real),
        Ok(meta) => Content::NotAFile(what_it_is(meta.file_type())),
        Err(e) => Content::Unreadable(e.to_string()),
    }
}

/// The largest key file read: a 4096-bit RSA key in PEM is about 3 KiB.
const MAX_KEY_BYTES: u64 = 64 * 1024;

/// Reads a key file (a DKIM private key), which may live outside the newsletter folder
/// (`/etc/dkim/`): it must be a regular file, is never waited on (a FIFO or a device is
/// refused without opening it), and is read to at most 64 KiB.
pub fn read_key(path: &Path) -> Content {
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() > MAX_KEY_BYTES => Content::TooLarge(meta.len()),
        Ok(meta) if meta.is_file() => read_open(path),
        Ok(meta) => Content::NotAFile(what_it_is(meta.file_type())),
        Err(e) => Content::Unreadable(e.to_string()),
    }
}

/// The bytes of a file briefing keeps for itself (a cache entry), when it is a regular file
/// of at most `max` bytes: a FIFO or a device put in its place is never opened (opening a
/// FIFO waits for a writer forever), and a file that grew past `max` is not read whole.
/// `None` makes the caller treat it as absent.
pub fn read_own_file(path: &Path, max: u64) -> Option<Vec<u8>> {
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() <= max => {}
        _ => return None,
    }
    let file = fs::File::open(path).ok()?;
    let size = file.metadata().ok()?.len();
    let mut bytes = Vec::with_capacity(usize::try_from(size.min(max)).ok()? + 1);
    file.take(max + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= max).then_some(bytes)
}

/// Opens a file already known to be regular and inside the folder, and reads at most
/// [`MAX_FILE_BYTES`] + 1 bytes of it.
fn read_open(path: &Path) -> Content {
    let file = match fs::File::open(path) {
        Ok(file) => file,
        Err(e) => return Content::Unreadable(e.to_string()),
    };
    // Knowing the size lets one read fill the buffer; without it, reading starts with a small
    // probe and grows the buffer read by read. The cap holds even if the file grows meanwhile.
    let size = file.metadata().map_or(0, |m| m.len());
    if size > MAX_FILE_BYTES {
        return Content::TooLarge(size);
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0) + 1);
    if let Err(e) = file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes) {
        return Content::Unreadable(e.to_string());
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        let size = fs::metadata(path).map_or(bytes.len() as u64, |m| m.len());
        return Content::TooLarge(size);
    }
    decode(bytes)
}

/// Decodes UTF-8, dropping a byte-order mark, or locates the first invalid byte.
pub fn decode(bytes: Vec<u8>) -> Content {
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            if text.starts_with('\u{feff}') {
                text.drain(..3);
            }
            Content::Text(text)
        }
        Err(e) => {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            // The prefix is valid UTF-8 by construction.
            let prefix = String::from_utf8_lossy(valid);
            let line = prefix.matches('\n').count() + 1;
            let col = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            Content::NotUtf8(Pos {
                line: u32::try_from(line).unwrap_or(u32::MAX),
                col: u32::try_from(col).unwrap_or(u32::MAX),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `load_briefs_listed` gives, path by path: the text, `unchanged`, or the problem.
    fn listed(
        root: &Path,
        listing: &mut Listing,
        changed: Option<&[&str]>,
    ) -> Vec<(String, String)> {
        let changed: Option<Vec<PathBuf>> =
            changed.map(|paths| paths.iter().map(PathBuf::from).collect());
        load_briefs_listed(root, listing, changed.as_deref(), &|_, _| true)
            .into_iter()
            .map(|file| {
                let content = match file.content {
                    Content::Text(text) => text,
                    Content::Unchanged => "unchanged".to_owned(),
                    other => format!("{other:?}"),
                };
                (file.path.display().to_string(), content)
            })
            .collect()
    }

    /// The paths a whole walk finds.
    fn walked(root: &Path) -> Vec<String> {
        load_briefs(root)
            .into_iter()
            .map(|file| file.path.display().to_string())
            .collect()
    }

    #[test]
    fn after_known_changes_only_the_changed_paths_are_read_and_the_list_is_a_whole_walks() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (path, text) in [
            ("briefs/2026-W10/a.yaml", "a"),
            ("briefs/2026-W10/b.yaml", "b"),
            ("briefs/2026-W11/c.yaml", "c"),
            ("elsewhere/target.yaml", "target 1"),
        ] {
            fs::create_dir_all(root.join(path).parent().unwrap()).unwrap();
            fs::write(root.join(path), text).unwrap();
        }
        std::os::unix::fs::symlink(
            root.join("elsewhere/target.yaml"),
            root.join("briefs/2026-W11/link.yaml"),
        )
        .unwrap();
        let mut listing = Listing::default();
        let first = listed(root, &mut listing, None);
        assert!(
            first.iter().all(|(_, text)| text != "unchanged"),
            "{first:?}"
        );

        // One card edited; the link's target changed with no event on the link.
        fs::write(root.join("briefs/2026-W10/b.yaml"), "b2").unwrap();
        fs::write(root.join("elsewhere/target.yaml"), "target 2").unwrap();
        let got = listed(root, &mut listing, Some(&["briefs/2026-W10/b.yaml"]));
        let expected = [
            ("briefs/2026-W10/a.yaml", "unchanged"),
            ("briefs/2026-W10/b.yaml", "b2"),
            ("briefs/2026-W11/c.yaml", "unchanged"),
            ("briefs/2026-W11/link.yaml", "target 2"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
            .collect();
        assert_eq!(got, expected);

        // A week's folder renamed: the old path gone, the new one a folder to list.
        fs::rename(root.join("briefs/2026-W10"), root.join("briefs/2026-W12")).unwrap();
        let got = listed(
            root,
            &mut listing,
            Some(&["briefs/2026-W10", "briefs/2026-W12"]),
        );
        let paths: Vec<String> = got.iter().map(|(p, _)| p.clone()).collect();
        assert_eq!(paths, walked(root));
        assert!(
            got.iter()
                .any(|(p, t)| p == "briefs/2026-W12/a.yaml" && t == "a")
        );

        // A folder removed, a new card, a hidden file, a note and a FIFO named as a card.
        fs::remove_dir_all(root.join("briefs/2026-W11")).unwrap();
        fs::write(root.join("briefs/2026-W12/d.yml"), "d").unwrap();
        fs::write(root.join("briefs/2026-W12/.d.yaml.swp"), "x").unwrap();
        fs::write(root.join("briefs/2026-W12/notes.md"), "x").unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(root.join("briefs/2026-W12/pipe.yaml"))
            .status()
            .unwrap();
        assert!(made.success());
        let got = listed(
            root,
            &mut listing,
            Some(&[
                "briefs/2026-W11",
                "briefs/2026-W12/d.yml",
                "briefs/2026-W12/.d.yaml.swp",
                "briefs/2026-W12/notes.md",
                "briefs/2026-W12/pipe.yaml",
                "config.yaml",
            ]),
        );
        let paths: Vec<String> = got.iter().map(|(p, _)| p.clone()).collect();
        assert_eq!(paths, walked(root));
        assert_eq!(
            got.iter()
                .find(|(p, _)| p.ends_with("pipe.yaml"))
                .unwrap()
                .1,
            "NotAFile(\"a FIFO (named pipe)\")"
        );
        assert!(got.contains(&("briefs/2026-W12/d.yml".to_owned(), "d".to_owned())));
        assert!(got.contains(&("briefs/2026-W12/a.yaml".to_owned(), "unchanged".to_owned())));
    }

    #[test]
    fn a_file_of_our_own_is_read_only_when_regular_and_not_too_large() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("entry");
        fs::write(&file, b"12345").unwrap();
        assert_eq!(read_own_file(&file, 5).as_deref(), Some(&b"12345"[..]));
        assert_eq!(read_own_file(&file, 4), None);
        assert_eq!(read_own_file(&dir.path().join("missing"), 5), None);
        assert_eq!(read_own_file(dir.path(), 5), None);
        // A FIFO in its place is passed over at once, not waited on.
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let (done, read) = std::sync::mpsc::channel();
        std::thread::spawn(move || done.send(read_own_file(&fifo, 5)));
        let got = read
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("a FIFO is not waited on");
        assert_eq!(got, None);
    }

    // A card linked to a file outside the newsletter (a contributor's `ln -s ~/.ssh/id_ed25519
    // briefs/x.yaml`) is refused unread when the rebuild is told of it, as in a whole walk, and
    // on every later rebuild, told or not.
    #[test]
    fn a_link_leading_out_of_the_folder_is_refused_however_the_listing_learns_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("briefs/2026-W10")).unwrap();
        fs::write(root.join("briefs/2026-W10/a.yaml"), "a").unwrap();
        fs::write(outside.path().join("secret.yaml"), "secret").unwrap();
        let mut listing = Listing::default();
        load_briefs_listed(root, &mut listing, None, &|_, _| true);
        let link = "briefs/2026-W10/b.yaml";
        std::os::unix::fs::symlink(outside.path().join("secret.yaml"), root.join(link)).unwrap();
        for changed in [Some(&[link][..]), Some(&[][..]), None] {
            let got = listed(root, &mut listing, changed);
            assert_eq!(
                got,
                [
                    (
                        "briefs/2026-W10/a.yaml".to_owned(),
                        if changed.is_some() { "unchanged" } else { "a" }.to_owned()
                    ),
                    (link.to_owned(), "Outside".to_owned()),
                ],
                "{changed:?}"
            );
        }
    }

    #[test]
    fn a_file_whose_check_is_not_kept_is_read_and_unknown_changes_read_everything() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("briefs/2026-W10")).unwrap();
        fs::write(root.join("briefs/2026-W10/a.yaml"), "a").unwrap();
        fs::write(root.join("briefs/2026-W10/b.yaml"), "b").unwrap();
        let mut listing = Listing::default();
        load_briefs_listed(root, &mut listing, None, &|_, _| true);
        let files = load_briefs_listed(root, &mut listing, Some(&[]), &|path, _| {
            path != Path::new("briefs/2026-W10/a.yaml")
        });
        assert_eq!(files[0].content, Content::Text("a".into()));
        assert_eq!(files[1].content, Content::Unchanged);
        // Written without an event (say, while the watcher's queue overflowed): read when
        // the caller does not know what changed.
        fs::write(root.join("briefs/2026-W10/c.yaml"), "c").unwrap();
        let files = load_briefs_listed(root, &mut listing, None, &|_, _| true);
        let texts: Vec<&Content> = files.iter().map(|f| &f.content).collect();
        assert_eq!(
            texts,
            [
                &Content::Text("a".into()),
                &Content::Text("b".into()),
                &Content::Text("c".into())
            ]
        );
    }

    #[test]
    fn locates_the_first_invalid_byte() {
        let content = decode(b"title: ok\nsummary: caf\xe9\n".to_vec());
        assert_eq!(content, Content::NotUtf8(Pos { line: 2, col: 13 }));
    }

    #[test]
    fn drops_a_byte_order_mark() {
        assert_eq!(
            decode(b"\xef\xbb\xbftitle: x".to_vec()),
            Content::Text("title: x".into())
        );
    }

    #[test]
    fn finds_yaml_files_sorted_and_skips_hidden_ones() {
        let dir = tempfile::tempdir().unwrap();
        let week = dir.path().join("briefs/2026-W25");
        fs::create_dir_all(&week).unwrap();
        fs::create_dir_all(dir.path().join("briefs/.git")).unwrap();
        fs::write(week.join("b.yaml"), "x: 1").unwrap();
        fs::write(week.join("a.YML"), "x: 1").unwrap();
        fs::write(week.join("issue.yaml"), "subject: s").unwrap();
        fs::write(week.join("notes.md"), "#").unwrap();
        fs::write(week.join(".hidden.yaml"), "x: 1").unwrap();
        fs::write(dir.path().join("briefs/.git/c.yaml"), "x: 1").unwrap();
        // Paths sort component by component: `2026-W25/` before `2026-W25-extra/`, though
        // `-` sorts before `/` as text; a file beside folders takes its place by name.
        fs::create_dir_all(dir.path().join("briefs/2026-W25-extra")).unwrap();
        fs::write(dir.path().join("briefs/2026-W25-extra/a.yaml"), "x: 1").unwrap();
        fs::write(dir.path().join("briefs/2026-W25.yaml"), "x: 1").unwrap();
        let files = load_briefs(dir.path());
        let names: Vec<String> = files
            .iter()
            .map(|f| f.path.to_string_lossy().replace('\\', "/"))
            .collect();
        assert_eq!(
            names,
            [
                "briefs/2026-W25/a.YML",
                "briefs/2026-W25/b.yaml",
                "briefs/2026-W25/issue.yaml",
                "briefs/2026-W25-extra/a.yaml",
                "briefs/2026-W25.yaml",
            ]
        );
        let mut sorted = files.iter().map(|f| f.path.clone()).collect::<Vec<_>>();
        sorted.sort();
        assert!(files.iter().map(|f| &f.path).eq(sorted.iter()));
        assert_eq!(files[2].kind, FileKind::Issue);
    }

    #[test]
    fn caps_large_files_without_reading_them_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.yaml");
        fs::write(&path, vec![b'a'; (MAX_FILE_BYTES + 10) as usize]).unwrap();
        assert_eq!(
            read_capped(&real_root(dir.path()), &path),
            Content::TooLarge(MAX_FILE_BYTES + 10)
        );
    }
}
