//! What a data directory takes on disk.
//!
//! Two sizes, because they differ for a database file: the apparent size
//! (what `ls -l` shows, including regions the database has reserved but
//! not yet filled) and the allocation (`st_blocks * 512`, what `du`
//! shows: holes in sparse files do not count, file-system blocks rounded
//! up do).

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use anyhow::Context;

#[derive(Clone, Copy, Default)]
pub struct DiskUse {
    pub files: u64,
    pub apparent: u64,
    pub allocated: u64,
}

/// Walks `dir` (depth-bounded, symlinks not followed) and sums its files.
pub fn usage(dir: &Path) -> anyhow::Result<DiskUse> {
    let mut total = DiskUse::default();
    walk(dir, 0, &mut total)?;
    Ok(total)
}

/// Deeper than any layout a store would use; it only bounds the recursion.
const MAX_DEPTH: usize = 16;

fn walk(dir: &Path, depth: usize, total: &mut DiskUse) -> anyhow::Result<()> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path)
            .with_context(|| format!("cannot stat {}", path.display()))?;
        if meta.is_dir() {
            walk(&path, depth + 1, total)?;
        } else if meta.is_file() {
            total.files += 1;
            total.apparent += meta.len();
            total.allocated += meta.blocks() * 512;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_files_in_nested_directories() {
        let dir = crate::server::TempDir::new("disk-test").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("a"), vec![1u8; 1000]).unwrap();
        std::fs::write(dir.path().join("sub").join("b"), vec![2u8; 24]).unwrap();
        let use_ = usage(dir.path()).unwrap();
        assert_eq!(use_.files, 2);
        assert_eq!(use_.apparent, 1024);
        assert!(use_.allocated >= 1024);
    }
}
