//! `mesh points export|import`: points of a series to and from CSV and
//! Parquet files, streamed in pieces of one message each, so files of any
//! size take bounded memory; `mesh points history`: who wrote them when.
//!
//! Both formats carry the columns of the wire payload: `utc_time`, `flags`
//! (uint32) and `value` (float64). CSV and Parquet are read and written by
//! the arrow family's crates (`arrow-csv`, `parquet`); this module only
//! checks and converts columns.

mod csv;
pub mod export;
mod history;
mod import;
mod parquet;
pub mod time;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use mesh::Connection;

use crate::args::{Format, PointsCommand};
use crate::output::Output;

/// Runs a `mesh points` command.
pub async fn run(
    connection: &Connection,
    command: PointsCommand,
    out: &Output,
) -> anyhow::Result<()> {
    match command {
        PointsCommand::Export {
            series,
            from,
            to,
            as_of,
            format,
            output,
        } => {
            let format = format_of(output.as_deref(), format);
            let interval = (from.as_str(), to.as_str());
            export::export(
                connection,
                &series,
                interval,
                as_of.as_deref(),
                format,
                output,
                out,
            )
            .await
        }
        PointsCommand::History {
            series,
            from,
            to,
            max,
        } => {
            let interval = (from.as_deref(), to.as_deref());
            history::history(connection, &series, interval, max, out).await
        }
        PointsCommand::Import {
            file,
            series,
            format,
        } => {
            let format = format_of(Some(&file), format);
            import::import(connection, &file, format, &series, out).await
        }
    }
}

/// The format given, else the one the file's extension names, else CSV.
pub fn format_of(path: Option<&Path>, given: Option<Format>) -> Format {
    given.unwrap_or_else(|| {
        match path
            .and_then(Path::extension)
            .and_then(|extension| extension.to_str())
        {
            Some(extension)
                if extension.eq_ignore_ascii_case("parquet")
                    || extension.eq_ignore_ascii_case("pq") =>
            {
                Format::Parquet
            }
            _ => Format::Csv,
        }
    })
}

/// A file written under a temporary name and given its own only when
/// complete: a failed export leaves no half-written file behind.
pub struct NewFile {
    partial: PathBuf,
    target: PathBuf,
    done: bool,
}

impl NewFile {
    /// Creates `<target>.partial`.
    pub fn create(target: &Path) -> anyhow::Result<(NewFile, File)> {
        let mut partial = target.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let file = File::create(&partial)
            .with_context(|| format!("cannot create {}", partial.display()))?;
        Ok((
            NewFile {
                partial,
                target: target.to_path_buf(),
                done: false,
            },
            file,
        ))
    }

    /// Gives the file its name, once written and flushed.
    pub fn finish(mut self, file: File) -> anyhow::Result<()> {
        file.sync_all()
            .with_context(|| format!("cannot write {}", self.partial.display()))?;
        std::fs::rename(&self.partial, &self.target)
            .with_context(|| format!("cannot write {}", self.target.display()))?;
        self.done = true;
        Ok(())
    }
}

impl Drop for NewFile {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

/// Writes `bytes` as the whole of the new file `path`.
pub fn write_whole(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let (new, mut file) = NewFile::create(path)?;
    file.write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    new.finish(file)
}
