//! Where programs come from: token files, wasm binaries, `.wat` text, or C
//! compiled with clang to wasm32.

use crate::compile::{self, Compiled, Entry};
use crate::isa::Program;
use anyhow::{bail, Context as _, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A program ready to run, with its wasm when it came from wasm.
pub struct Source {
    pub program: Program,
    /// The compiler's metadata (exits, results, origins), for wasm input.
    pub compiled: Option<Compiled>,
    /// The wasm module and entry, for the wasmi oracle.
    pub wasm: Option<(Vec<u8>, Entry)>,
}

/// The header every corpus C program is compiled with.
pub(crate) const C_RUNTIME_HEADER: &str = include_str!("../../corpora/c/runtime.h");

/// Load `path` by its extension. `input` replaces a token file's own input
/// section, and is the input string for wasm/C programs.
pub fn load(path: &Path, input: Option<&[u8]>) -> Result<Source> {
    if extension(path) == "txt" {
        return load_tokens(path, input);
    }
    let (wasm, entry) = load_wasm(path, input)?;
    let compiled = compile::compile(&wasm, &entry)
        .with_context(|| format!("cannot compile {}", path.display()))?;
    Ok(Source {
        program: compiled.program.clone(),
        compiled: Some(compiled),
        wasm: Some((wasm, entry)),
    })
}

/// The module of a `.wasm`, `.wat` or `.c` program and its C-convention
/// entry, not compiled for the transformer: for an engine that runs wasm
/// itself, which must not be limited to what hullvm compiles.
pub fn load_wasm(path: &Path, input: Option<&[u8]>) -> Result<(Vec<u8>, Entry)> {
    let wasm = match extension(path) {
        "wasm" => {
            let bytes = read(path)?;
            if !bytes.starts_with(b"\0asm") {
                bail!("{} is not a wasm binary (no \\0asm header)", path.display());
            }
            bytes
        }
        "wat" => read(path)?,
        "c" => compile_c(path)?,
        _ => bail!(
            "{}: unknown kind of program (expected .txt, .wasm, .wat or .c)",
            path.display()
        ),
    };
    let entry = Entry::Compute {
        input: input.unwrap_or_default().to_vec(),
    };
    Ok((wasm, entry))
}

fn extension(path: &Path) -> &str {
    path.extension().and_then(|e| e.to_str()).unwrap_or("")
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn load_tokens(path: &Path, input: Option<&[u8]>) -> Result<Source> {
    let text = String::from_utf8(read(path)?)
        .with_context(|| format!("{} is not UTF-8 text", path.display()))?;
    let mut program = Program::parse(&text)
        .with_context(|| format!("{} is not a valid program file", path.display()))?;
    if let Some(input) = input {
        program.input = input.to_vec();
    }
    Ok(Source {
        program,
        compiled: None,
        wasm: None,
    })
}

/// Compile C to wasm32 with the published toolchain's flags.
pub(crate) fn compile_c(path: &Path) -> Result<Vec<u8>> {
    let clang = std::env::var_os("CLANG")
        .map(PathBuf::from)
        .unwrap_or_else(|| "clang".into());
    let dir = std::env::temp_dir().join(format!("hullvm-cc-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let header = dir.join("runtime.h");
    std::fs::write(&header, C_RUNTIME_HEADER)?;
    let out = dir.join("out.wasm");
    let status = Command::new(&clang)
        .args([
            "--target=wasm32",
            "-nostdlib",
            "-O2",
            "-fno-builtin",
            "-fno-jump-tables",
            "-mllvm",
            "--combiner-store-merging=false",
            "-Wl,--no-entry",
            "-Wl,--export=compute",
            "-Wl,--export=__heap_base",
            "-Wl,-z,stack-size=4096",
            "-Wl,--initial-memory=10485760",
        ])
        .arg(format!("-include{}", header.display()))
        .arg("-o")
        .arg(&out)
        .arg(path)
        .status();
    let result = match status {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(anyhow::anyhow!(
            "compiling C needs clang with the wasm32 target and wasm-ld (apt-get install -y clang lld); `{}` was not found",
            clang.display()
        )),
        Err(e) => Err(e).context("running clang"),
        Ok(s) if !s.success() => Err(anyhow::anyhow!("clang failed on {} ({s})", path.display())),
        Ok(_) => std::fs::read(&out).context("reading clang's output"),
    };
    let _ = std::fs::remove_dir_all(&dir);
    result
}
