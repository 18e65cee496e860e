//! Files written whole or not at all, and output paths checked before the
//! work that fills them.

use anyhow::{bail, Context as _, Result};
use std::path::{Path, PathBuf};

/// A file written to a temporary sibling and not yet renamed into place.
/// Dropped uncommitted (an error on the way), it removes the sibling.
struct Staged {
    tmp: PathBuf,
    path: PathBuf,
    committed: bool,
}

impl Staged {
    fn write(path: &Path, contents: &[u8]) -> Result<Staged> {
        let staged = Staged {
            tmp: path.with_extension(format!(
                "{}.tmp{}",
                path.extension().and_then(|e| e.to_str()).unwrap_or(""),
                std::process::id()
            )),
            path: path.to_path_buf(),
            committed: false,
        };
        std::fs::write(&staged.tmp, contents)
            .with_context(|| format!("cannot write {}", staged.tmp.display()))?;
        Ok(staged)
    }

    fn commit(mut self) -> Result<()> {
        std::fs::rename(&self.tmp, &self.path)
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            // It may not exist (the write itself failed): nothing to do.
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Write a file whole or not at all: to a temporary sibling, then rename.
/// On an error the sibling is removed and `path` is untouched.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<()> {
    Staged::write(path, contents)?.commit()
}

/// Write several files that belong together: every one to its temporary
/// sibling first, and only when all are written, rename each into place.
/// An error while writing replaces none of them and leaves no temporary
/// file; only a failing rename (after the ones before it) can split them.
pub fn write_all_atomically(files: &[(&Path, &[u8])]) -> Result<()> {
    let staged = files
        .iter()
        .map(|(path, contents)| Staged::write(path, contents))
        .collect::<Result<Vec<_>>>()?;
    for s in staged {
        s.commit()?;
    }
    Ok(())
}

/// Make sure a file can be written at `path` when the work is done: create
/// its missing parent folders and create (then remove) a file beside it.
/// Called before the work, so a bad path fails in a second, not after it.
pub fn prepare_file(path: &Path) -> Result<()> {
    if path.is_dir() {
        bail!("cannot write {}: it is a directory", path.display());
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    prepare_dir(parent).with_context(|| format!("cannot write {}", path.display()))
}

/// Make sure files can be written into `dir`: create it (and its parents)
/// if missing, and create (then remove) a file in it.
pub fn prepare_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let probe = dir.join(format!(".hullvm-probe{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .with_context(|| format!("cannot write into {}", dir.display()))?;
    std::fs::remove_file(&probe).with_context(|| format!("cannot remove {}", probe.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("hullvm-files-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// A rename that fails (the target is a directory) leaves no temporary
    /// file behind.
    #[test]
    fn a_failed_write_leaves_no_temporary_file() {
        let dir = scratch("failed");
        std::fs::create_dir(dir.join("out.json")).unwrap();
        assert!(write_atomically(&dir.join("out.json"), b"{}").is_err());
        assert_eq!(names(&dir), ["out.json"]);
        assert!(write_atomically(&dir.join("no/such/dir.json"), b"{}").is_err());
        assert_eq!(names(&dir), ["out.json"]);
    }

    /// Files written together: when one cannot be written, none is
    /// replaced and no temporary file stays.
    #[test]
    fn files_written_together_are_replaced_together() {
        let dir = scratch("pair");
        let (a, b) = (dir.join("a.json"), dir.join("b.html"));
        std::fs::write(&a, "old a").unwrap();
        std::fs::write(&b, "old b").unwrap();
        write_all_atomically(&[(&a, b"new a"), (&b, b"new b")]).unwrap();
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "new a");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "new b");
        // b's temporary sibling cannot be created: a must stay as it was.
        let blocked = dir.join(format!("b.html.tmp{}", std::process::id()));
        std::fs::create_dir(&blocked).unwrap();
        assert!(write_all_atomically(&[(&a, b"newer a"), (&b, b"newer b")]).is_err());
        std::fs::remove_dir(&blocked).unwrap();
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "new a");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "new b");
        assert_eq!(names(&dir), ["a.json", "b.html"]);
    }

    /// Missing folders are created before the work; a path under a file or
    /// naming a directory is refused, and the probe leaves nothing behind.
    #[test]
    fn outputs_are_prepared_before_the_work() {
        let dir = scratch("prepare");
        prepare_file(&dir.join("new/deeper/out.json")).unwrap();
        assert!(dir.join("new/deeper").is_dir());
        assert!(names(&dir.join("new/deeper")).is_empty());
        prepare_dir(&dir.join("reports/today")).unwrap();
        assert!(names(&dir.join("reports/today")).is_empty());
        std::fs::write(dir.join("file"), "").unwrap();
        let err = prepare_file(&dir.join("file/out.json")).unwrap_err();
        assert!(format!("{err:#}").contains("cannot create"), "{err:#}");
        let err = prepare_file(&dir.join("new")).unwrap_err();
        assert!(format!("{err:#}").contains("is a directory"), "{err:#}");
        prepare_file(Path::new("relative-name-in-the-current-dir.json")).unwrap();
    }
}
