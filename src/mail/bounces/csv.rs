//! A CSV list whose `status` column `bounces ingest --list` rewrites, keeping every other
//! column and row as they were; written whole to a new file, flushed, and renamed over the
//! old one.

use std::fs;
use std::path::{Path, PathBuf};

use crate::audience::Status;
use crate::audience::address::comparable;
use crate::error::{Error, Result};

/// A CSV list whose `status` column ingest rewrites, keeping every other column and row.
pub(super) struct CsvList {
    path: PathBuf,
    headers: csv::StringRecord,
    rows: Vec<csv::StringRecord>,
    email: usize,
    status: usize,
    changed: bool,
}

impl CsvList {
    pub(super) fn read(path: &Path) -> Result<CsvList> {
        let failed = |source| Error::ReadList {
            path: path.to_path_buf(),
            source,
        };
        let text = fs::read(path).map_err(failed)?;
        let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&text);
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text);
        let mut headers = reader
            .headers()
            .map_err(|e| failed(std::io::Error::other(e.to_string())))?
            .clone();
        let find = |name: &str| {
            headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
        };
        let email = find("email").ok_or_else(|| {
            failed(std::io::Error::other(
                "the header row has no `email` column",
            ))
        })?;
        let status = match find("status") {
            Some(i) => i,
            None => {
                headers.push_field("status");
                headers.len() - 1
            }
        };
        let mut rows = Vec::new();
        for record in reader.records() {
            rows.push(record.map_err(|e| failed(std::io::Error::other(e.to_string())))?);
        }
        Ok(CsvList {
            path: path.to_path_buf(),
            headers,
            rows,
            email,
            status,
            changed: false,
        })
    }

    pub(super) fn addresses(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter_map(|r| r.get(self.email))
            .map(|e| e.trim().to_owned())
            .filter(|e| !e.is_empty())
            .collect()
    }

    /// Sets the status of every row of `email`; whether any changed.
    pub(super) fn set(&mut self, email: &str, status: Status) -> bool {
        let key = comparable(email);
        let mut changed = false;
        for row in &mut self.rows {
            if row.get(self.email).is_some_and(|e| comparable(e) == key) {
                let current = row
                    .get(self.status)
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                if current == "complained" || current == status.as_str() {
                    continue;
                }
                let mut fields: Vec<String> = row.iter().map(str::to_owned).collect();
                while fields.len() <= self.status {
                    fields.push(String::new());
                }
                fields[self.status] = status.as_str().to_owned();
                *row = csv::StringRecord::from(fields);
                changed = true;
            }
        }
        self.changed |= changed;
        changed
    }

    /// Writes the list back atomically: a new file beside it, flushed, then renamed over it.
    pub(super) fn write(&self) -> Result<()> {
        if !self.changed {
            return Ok(());
        }
        let failed = |source| Error::WriteFile {
            path: self.path.clone(),
            source,
        };
        let tmp = self.path.with_file_name(format!(
            ".{}.tmp",
            self.path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        ));
        // The new file keeps the old one's mode (a list of readers is often 0600), and is
        // made owner-only until then.
        let mode = fs::metadata(&self.path).map(|m| m.permissions());
        let file = crate::audience::secret::private_options()
            .create(true)
            .truncate(true)
            .write(true)
            .open(&tmp)
            .map_err(failed)?;
        if let Ok(mode) = mode {
            fs::set_permissions(&tmp, mode).map_err(failed)?;
        }
        let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(file);
        let written = writer
            .write_record(&self.headers)
            .and_then(|()| self.rows.iter().try_for_each(|r| writer.write_record(r)))
            .map_err(|e| std::io::Error::other(e.to_string()))
            .and_then(|()| writer.flush());
        drop(writer);
        written
            .and_then(|()| fs::File::open(&tmp)?.sync_all())
            .and_then(|()| fs::rename(&tmp, &self.path))
            .map_err(|e| {
                let _ = fs::remove_file(&tmp);
                failed(e)
            })
    }
}
