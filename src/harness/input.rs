//! Where programs come from: token files, wasm binaries, `.wat` text, or C
//! compiled with clang to wasm32.

use crate::compile::{self, Compiled, Entry};
use crate::isa::Program;
use anyhow::{bail, Context as _, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use wasmparser::ValType;

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
    compiled(path, wasm, entry)
}

/// A module from `path` compiled for `entry`.
pub fn compiled(path: &Path, wasm: Vec<u8>, entry: Entry) -> Result<Source> {
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
    let input = input.unwrap_or_default().to_vec();
    let entry = Entry::for_module(&wasm, input.clone());
    if entry == Entry::Command && !input.is_empty() {
        bail!(
            "{} is a WASI command (exports _start): it takes no input (its stdin is empty)",
            path.display()
        );
    }
    Ok((wasm, entry))
}

/// The input: given as text, or read whole from a file (for inputs larger
/// than a command line carries); `None` when neither is given.
pub fn input_bytes(text: Option<&str>, file: Option<&Path>) -> Result<Option<Vec<u8>>> {
    match (text, file) {
        (Some(_), Some(_)) => bail!("give the input as text or as a file, not both"),
        (Some(text), None) => Ok(Some(text.as_bytes().to_vec())),
        (None, Some(path)) => read(path).map(Some),
        (None, None) => Ok(None),
    }
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

/// A `.wasm`, `.wat` or `.c` module and the entry that calls `export` once
/// with `args` (text: decimal, signed or not, or `0x` hex), each written as
/// the words of its parameter's type; not compiled. Also returns the
/// export's result types, to read the results back.
pub fn load_invocation(
    path: &Path,
    export: &str,
    args: &[String],
) -> Result<(Vec<u8>, Entry, Vec<ValType>)> {
    let (wasm, _) = load_wasm(path, None)?;
    let binary = compile::to_binary(&wasm)?.into_owned();
    let function = compile::exports::exported_functions(&binary)?
        .into_iter()
        .find(|f| f.name == export)
        .with_context(|| format!("no function exported as {export:?}"))?;
    let (params, results) = (function.params, function.results);
    if params.len() != args.len() {
        bail!(
            "{export} takes {} arguments, got {}",
            params.len(),
            args.len()
        );
    }
    let mut words = Vec::new();
    for (ty, text) in params.iter().zip(args) {
        words.extend(argument_words(*ty, text).with_context(|| format!("argument {text:?}"))?);
    }
    let entry = Entry::Invoke(vec![compile::Invocation {
        export: export.to_string(),
        args: words,
    }]);
    Ok((wasm, entry, results))
}

/// An argument as the words of its type (an i64 or f64 is two, low
/// first). A float is a decimal (`1.5`, `-0`, `inf`, `nan`) or its bits in
/// `0x` hex, so every NaN payload can be passed.
fn argument_words(ty: ValType, text: &str) -> Result<Vec<u32>> {
    let bits = |text: &str| {
        text.strip_prefix("0x")
            .map(|hex| u64::from_str_radix(hex, 16))
    };
    match ty {
        ValType::F32 => {
            let value = match bits(text) {
                Some(b) => u32::try_from(b?).context("out of range for f32 bits")?,
                None => text.parse::<f32>()?.to_bits(),
            };
            return Ok(vec![value]);
        }
        ValType::F64 => {
            let value = match bits(text) {
                Some(b) => b?,
                None => text.parse::<f64>()?.to_bits(),
            };
            return Ok(compile::words_of_u64(value).to_vec());
        }
        _ => {}
    }
    let value: i128 = match text.strip_prefix("0x") {
        Some(hex) => i128::from_str_radix(hex, 16)?,
        None => text.parse()?,
    };
    let fits = |bits: u32| value >= -(1i128 << (bits - 1)) && value < (1i128 << bits);
    match ty {
        ValType::I32 if fits(32) => Ok(vec![value as u32]),
        ValType::I64 if fits(64) => Ok(compile::words_of_u64(value as u64).to_vec()),
        ValType::I32 | ValType::I64 => bail!("out of range for {ty}"),
        other => bail!("{other} arguments are not supported"),
    }
}

/// Result words as `TYPE VALUE` lines, e.g. `i64 -1`: signed decimal, as
/// the spec suite writes constants; a float as Rust prints it, with its
/// bits (`f32 1.5 (0x3fc00000)`).
pub fn format_results(types: &[ValType], words: &[u32]) -> Vec<String> {
    let mut words = words.iter().copied();
    types
        .iter()
        .map(|ty| match ty {
            ValType::I64 => {
                let lo = words.next().unwrap_or(0);
                let hi = words.next().unwrap_or(0);
                format!("i64 {}", compile::u64_of_words(lo, hi) as i64)
            }
            ValType::F32 => {
                let bits = words.next().unwrap_or(0);
                format!("f32 {:?} ({bits:#010x})", f32::from_bits(bits))
            }
            ValType::F64 => {
                let lo = words.next().unwrap_or(0);
                let bits = compile::u64_of_words(lo, words.next().unwrap_or(0));
                format!("f64 {:?} ({bits:#018x})", f64::from_bits(bits))
            }
            _ => format!("{ty} {}", words.next().unwrap_or(0) as i32),
        })
        .collect()
}

#[cfg(test)]
mod invoke_tests {
    use super::*;

    #[test]
    fn arguments_become_words_by_type() {
        let w = |ty, s: &str| argument_words(ty, s).unwrap();
        assert_eq!(w(ValType::I32, "-1"), [u32::MAX]);
        assert_eq!(w(ValType::I32, "4294967295"), [u32::MAX]);
        assert_eq!(w(ValType::I64, "0x100000002"), [2, 1]);
        assert_eq!(w(ValType::I64, "-2"), [u32::MAX - 1, u32::MAX]);
        assert!(argument_words(ValType::I32, "4294967296").is_err());
        assert!(argument_words(ValType::I64, "seven").is_err());
        assert_eq!(w(ValType::F32, "1.5"), [0x3fc0_0000]);
        assert_eq!(w(ValType::F32, "0x7fa00001"), [0x7fa0_0001]);
        assert_eq!(w(ValType::F64, "-0"), [0, 0x8000_0000]);
        assert_eq!(
            format_results(
                &[ValType::F32, ValType::F64],
                &[0x3fc0_0000, 0, 0x4000_0000]
            ),
            ["f32 1.5 (0x3fc00000)", "f64 2.0 (0x4000000000000000)"]
        );
        assert_eq!(
            format_results(&[ValType::I64, ValType::I32], &[u32::MAX, u32::MAX, 7]),
            ["i64 -1", "i32 7"]
        );
    }
}
