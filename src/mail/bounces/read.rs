//! Where reports come from: Maildirs (`new/` and `cur/`), mbox files and single messages,
//! read one message at a time.
//!
//! Memory holds one message at a time, and never more than [`MAX_MESSAGE`] of it: the cap
//! applies while reading, in an mbox too (which is split line by line here, since a parser
//! that reads a whole message first would hold a 300 MB one whole). A file this newsletter
//! read to the end before (a Maildir message by its unique name and size, an mbox or a
//! message file by its path, size and time) is skipped without reading a byte.

use std::collections::VecDeque;
use std::fs;
use std::io::{BufRead, BufReader, Read as _};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Messages larger than this are not read: no bounce or complaint is anywhere near it, and a
/// mailbox can hold anything.
pub const MAX_MESSAGE: u64 = 10 * 1024 * 1024;

/// One message to look at.
#[derive(Debug)]
pub struct Item {
    /// Where it came from, for messages: a file, or `file (message 3)` in an mbox.
    pub name: String,
    /// Its bytes, or why they could not be read.
    pub raw: std::result::Result<Vec<u8>, String>,
    /// Its file in a Maildir, to be marked seen once processed.
    pub maildir_file: Option<PathBuf>,
    /// The file this message ends, once read to the end: recorded, it is skipped next time.
    pub finishes: Option<FileMark>,
}

/// What identifies a file read to the end: its key (a Maildir message's unique name, or a
/// file's path), its size and when it was last changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMark {
    /// `maildir:<unique name>` or the file's path.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its modification time, in seconds (0 for a Maildir message, whose name is unique).
    pub modified: i64,
}

/// One input named on the command line.
#[derive(Debug, Clone)]
enum Input {
    Maildir(PathBuf),
    Mbox(PathBuf),
    Message(PathBuf),
}

/// The messages of some inputs, one at a time.
pub struct Messages<'a> {
    inputs: VecDeque<Input>,
    /// The Maildir files still to read.
    files: VecDeque<PathBuf>,
    /// The mbox being read.
    mbox: Option<Mbox>,
    /// Whether a file was read to the end before: skipped then.
    done_before: &'a dyn Fn(&FileMark) -> bool,
    /// Files skipped because they were read before.
    pub skipped: usize,
}

/// The messages of `paths`: Maildirs (folders with `cur/` and `new/`), mbox files (that start
/// with `From `) and single messages. `done_before` says which files were read to the end by
/// an earlier run.
///
/// # Errors
///
/// [`Error::ReadFile`] for a path that does not exist or a folder that is no Maildir.
pub fn messages<'a>(
    paths: &[PathBuf],
    done_before: &'a dyn Fn(&FileMark) -> bool,
) -> Result<Messages<'a>> {
    let mut inputs = VecDeque::new();
    for path in paths {
        let metadata = fs::metadata(path).map_err(|source| Error::ReadFile {
            path: path.clone(),
            source,
        })?;
        if metadata.is_dir() {
            if !path.join("cur").is_dir() && !path.join("new").is_dir() {
                return Err(Error::ReadFile {
                    path: path.clone(),
                    source: std::io::Error::other(
                        "a folder must be a Maildir (with `cur/` and `new/`); name single \
                         messages or mbox files as files",
                    ),
                });
            }
            inputs.push_back(Input::Maildir(path.clone()));
        } else if is_mbox(path) {
            inputs.push_back(Input::Mbox(path.clone()));
        } else {
            inputs.push_back(Input::Message(path.clone()));
        }
    }
    Ok(Messages {
        inputs,
        files: VecDeque::new(),
        mbox: None,
        done_before,
        skipped: 0,
    })
}

impl Iterator for Messages<'_> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(mbox) = &mut self.mbox {
                match mbox.next_message() {
                    Some(item) => return Some(item),
                    None => self.mbox = None,
                }
            }
            if let Some(file) = self.files.pop_front() {
                let Some(mark) = maildir_mark(&file) else {
                    continue;
                };
                if (self.done_before)(&mark) {
                    self.skipped += 1;
                    continue;
                }
                return Some(Item {
                    name: file.display().to_string(),
                    raw: read_capped(&file),
                    maildir_file: Some(file),
                    finishes: Some(mark),
                });
            }
            match self.inputs.pop_front()? {
                Input::Maildir(dir) => {
                    for sub in ["new", "cur"] {
                        let mut files: Vec<PathBuf> = fs::read_dir(dir.join(sub))
                            .map(|entries| entries.filter_map(|e| Some(e.ok()?.path())).collect())
                            .unwrap_or_default();
                        files.sort();
                        self.files.extend(files);
                    }
                }
                Input::Mbox(path) => {
                    let mark = file_mark(&path);
                    if mark.as_ref().is_some_and(|m| (self.done_before)(m)) {
                        self.skipped += 1;
                        continue;
                    }
                    match fs::File::open(&path) {
                        Ok(file) => self.mbox = Some(Mbox::new(&path, file, mark)),
                        Err(e) => {
                            return Some(Item {
                                name: path.display().to_string(),
                                raw: Err(format!("cannot read it: {e}")),
                                maildir_file: None,
                                finishes: None,
                            });
                        }
                    }
                }
                Input::Message(path) => {
                    let mark = file_mark(&path);
                    if mark.as_ref().is_some_and(|m| (self.done_before)(m)) {
                        self.skipped += 1;
                        continue;
                    }
                    return Some(Item {
                        name: path.display().to_string(),
                        raw: read_capped(&path),
                        maildir_file: None,
                        finishes: mark,
                    });
                }
            }
        }
    }
}

/// A Maildir message's mark: its unique name (without the `:2,` flags, which marking it seen
/// changes) and size. `None` for what is not a message: a dot file (a delivery in progress),
/// a folder, a link (which could lead anywhere: `/proc/self/environ`, say), a FIFO.
fn maildir_mark(file: &Path) -> Option<FileMark> {
    let name = file.file_name()?.to_string_lossy().into_owned();
    if name.starts_with('.') {
        return None;
    }
    let metadata = fs::symlink_metadata(file).ok()?;
    if !metadata.is_file() {
        return None;
    }
    let unique = name.split(":2,").next().unwrap_or(&name).to_owned();
    Some(FileMark {
        key: format!("maildir:{unique}"),
        size: metadata.len(),
        modified: 0,
    })
}

/// A file's mark: its path, size and modification time.
fn file_mark(path: &Path) -> Option<FileMark> {
    let metadata = fs::metadata(path).ok()?;
    let modified = metadata
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let path = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    Some(FileMark {
        key: path.display().to_string(),
        size: metadata.len(),
        modified,
    })
}

fn too_large() -> String {
    format!(
        "it is over {} MB, far larger than any bounce or complaint; left alone",
        MAX_MESSAGE / 1024 / 1024
    )
}

/// Reads a regular file, at most [`MAX_MESSAGE`] bytes of it. A FIFO or a device is refused
/// without opening it.
fn read_capped(path: &Path) -> std::result::Result<Vec<u8>, String> {
    let metadata = fs::symlink_metadata(path).map_err(|e| format!("cannot read it: {e}"))?;
    if !metadata.is_file() {
        return Err("it is not a regular file (a link, a FIFO or a device); left alone".to_owned());
    }
    if metadata.len() > MAX_MESSAGE {
        return Err(too_large());
    }
    let file = fs::File::open(path).map_err(|e| format!("cannot read it: {e}"))?;
    let mut raw = Vec::new();
    file.take(MAX_MESSAGE + 1)
        .read_to_end(&mut raw)
        .map_err(|e| format!("cannot read it: {e}"))?;
    if raw.len() as u64 > MAX_MESSAGE {
        return Err(too_large());
    }
    Ok(raw)
}

fn is_mbox(path: &Path) -> bool {
    let mut start = [0u8; 5];
    fs::metadata(path).is_ok_and(|m| m.is_file())
        && fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut start))
            .is_ok()
        && &start == b"From "
}

/// The longest piece of a line read at once: a longer line is read in pieces.
const PIECE: u64 = 64 * 1024;

/// An mbox, split into messages as it is read: a message starts at a line that begins with
/// `From ` after an empty line (or at the start); `>From ` lines are unquoted (mboxrd).
struct Mbox {
    name: String,
    reader: BufReader<fs::File>,
    mark: Option<FileMark>,
    /// The `From ` line that starts the next message was read already.
    started: bool,
    count: usize,
    done: bool,
}

impl Mbox {
    fn new(path: &Path, file: fs::File, mark: Option<FileMark>) -> Mbox {
        Mbox {
            name: path.display().to_string(),
            reader: BufReader::new(file),
            mark,
            started: false,
            count: 0,
            done: false,
        }
    }

    fn next_message(&mut self) -> Option<Item> {
        if self.done {
            return None;
        }
        let mut message = Vec::new();
        let mut over = false;
        let mut at_line_start = true;
        // Only the file's first line, or a line after an empty one, can start a message.
        let mut previous_blank = !self.started;
        let mut piece = Vec::new();
        loop {
            piece.clear();
            let read = (&mut self.reader).take(PIECE).read_until(b'\n', &mut piece);
            let read = match read {
                Ok(read) => read,
                Err(e) => {
                    self.done = true;
                    self.count += 1;
                    return Some(self.item(Err(format!("the mbox cannot be read here: {e}"))));
                }
            };
            if read == 0 {
                self.done = true;
                if !self.started {
                    return None;
                }
                self.count += 1;
                let raw = if over { Err(too_large()) } else { Ok(message) };
                let mut item = self.item(raw);
                item.finishes = self.mark.take();
                return Some(item);
            }
            let ends_line = piece.ends_with(b"\n");
            let is_separator = at_line_start && previous_blank && piece.starts_with(b"From ");
            if is_separator {
                if self.started {
                    // The next message begins (its separator read): this one is whole.
                    if !ends_line {
                        self.skip_rest_of_line();
                    }
                    self.count += 1;
                    let raw = if over { Err(too_large()) } else { Ok(message) };
                    return Some(self.item(raw));
                }
                self.started = true;
                if !ends_line {
                    self.skip_rest_of_line();
                }
                at_line_start = true;
                previous_blank = false;
                continue;
            }
            if !self.started {
                // Text before the first `From ` line is not a message.
                at_line_start = ends_line;
                continue;
            }
            if at_line_start {
                previous_blank = piece == b"\n" || piece == b"\r\n";
            }
            let unquoted: &[u8] = if at_line_start
                && piece.starts_with(b">")
                && piece
                    .iter()
                    .skip_while(|&&b| b == b'>')
                    .take(5)
                    .eq(b"From ".iter())
            {
                &piece[1..]
            } else {
                &piece
            };
            if !over {
                if (message.len() + unquoted.len()) as u64 > MAX_MESSAGE {
                    over = true;
                    message = Vec::new();
                } else {
                    message.extend_from_slice(unquoted);
                }
            }
            at_line_start = ends_line;
        }
    }

    fn skip_rest_of_line(&mut self) {
        let mut rest = Vec::new();
        loop {
            rest.clear();
            match (&mut self.reader).take(PIECE).read_until(b'\n', &mut rest) {
                Ok(0) | Err(_) => return,
                Ok(_) if rest.ends_with(b"\n") => return,
                Ok(_) => {}
            }
        }
    }

    fn item(&self, raw: std::result::Result<Vec<u8>, String>) -> Item {
        Item {
            name: format!("{} (message {})", self.name, self.count),
            raw,
            maildir_file: None,
            finishes: None,
        }
    }
}
