//! wasm module -> flat [`Program`].
//!
//! The compiler validates the module, compiles the functions reachable from
//! the entry (so an unrelated `f64` function elsewhere in the module does not
//! make the whole module unsupported), flattens structured control flow into
//! relative jumps, lowers the i32 operations the core ISA lacks into calls to
//! a small runtime written in core ops (`runtime.wat`), links WASI imports
//! to a host written in core ops (`wasi.wat`), and lays out memory:
//!
//! ```text
//! 0 .. max_0               memory 0, at its own addresses
//! base_1 .. base_1 + max_1  memory 1 (a merge of linked modules can have
//! ...                       several memories), and so on
//! reserved + 0 .. 8         scratch for inline lowerings and result output
//! reserved + 8 .. 16        scratch for the runtime helpers
//! reserved + 16 ..          one 4-byte slot per mutable global, then
//!                           the current size in pages and in bytes of
//!                           each memory some function grows, then how
//!                           many more recursive frames may start (only
//!                           when some function can recurse)
//! ```
//!
//! `max_i` is the largest size memory i can reach (its initial size when
//! no function executes `memory.grow` on it, else its declared maximum
//! capped at [`MAX_MEMORY_BYTES`]); each region starts where the one
//! before ends, rounded up to 16, and `reserved` is where the last ends.
//! The regions together must fit in [`MAX_MEMORY_BYTES`] (else the module
//! is unsupported). An access to memory i is compiled with `base_i` added
//! to its static offset, so it costs what an access to memory 0 does.
//! Every load and store is bounds-checked against its memory's size, a
//! constant when no function grows that memory, else the current size, so
//! a program can never reach another memory or the reserved area and an
//! out-of-bounds access becomes a trap exit, as in wasm. Where a convention
//! assumes "the" memory (the C convention's input, WASI), memory 0 is that
//! memory; a [`Resume::image`] is the whole layout, every memory's region.
//!
//! Tables never change after instantiation (hullvm has no table
//! instructions), so `call_indirect` is resolved at compile time into a
//! search over the index ending in direct calls or trap exits
//! (`tables.rs`, `function/indirect.rs`). Recursive functions count their
//! frames against [`Options::call_depth`] (`recursion.rs`,
//! `function/depth.rs`).

mod asm;
pub mod exports;
mod float;
mod function;
pub(crate) mod host;
mod int64;
pub mod merge;
mod recursion;
pub mod source_map;
mod tables;

use crate::isa::{Instr, Op, Program};
use asm::{Asm, Label, Origin, Target};
use host::Provided;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::sync::OnceLock;
use tables::Table;
use wasmparser::{
    ExternalKind, FuncToValidate, FuncType, FuncValidator, FunctionBody, Parser, Payload, TypeRef,
    ValType, ValidPayload, Validator, ValidatorResources, WasmFeatures,
};

pub use asm::Origin as SourceOrigin;
pub use function::operator_name;
pub use source_map::{Report, SourceMap, SourceOp, SourceStep};

/// How to compile: which wasm features the validator accepts, the
/// call-depth limit, and deliberate faults for tests of the checks
/// themselves.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// The features a module may use (the spec suite validates each version
    /// with exactly its own).
    pub features: WasmFeatures,
    /// Lower `i32.rem_u` wrongly (the remainder r becomes r + 1 when r > 4),
    /// so a test can show that the source-level diff against wasmi names
    /// the exact wasm instruction.
    pub plant_rem_u_bug: bool,
    /// Most frames of *recursive* functions (those on a cycle of the static
    /// call graph, where a `call_indirect` is an edge to every function of
    /// its table with the expected type) that may be active at once. A
    /// reserved memory word starts at this value; such a function's
    /// prologue ends the run at [`Exit::CallStackExhausted`] when the word
    /// is 0, else decrements it, and every return of the function restores
    /// it. Frames of other functions
    /// are not counted (their nesting is bounded by the call graph), so
    /// the limit costs nothing in programs without recursion. wasmi counts
    /// every frame against the same number (`Limits::call_depth`), so
    /// runaway recursion ends as exhaustion in every engine, at the same
    /// call when every active frame is recursive; where other frames are
    /// active too, wasmi runs out first and a run in between ends
    /// differently on the two, which the pipeline reports as a
    /// disagreement.
    pub call_depth: u32,
}

/// The call-depth limit when none is given: wasmi's own default.
pub const DEFAULT_CALL_DEPTH: u32 = 1000;

impl Default for Options {
    fn default() -> Options {
        Options {
            features: WasmFeatures::default(),
            plant_rem_u_bug: false,
            call_depth: DEFAULT_CALL_DEPTH,
        }
    }
}

/// Largest linear memory we compile, and the most all of a module's
/// memories may reach together: memory keys stay small enough for the
/// model's f64 lookups to be exact. A memory lookup's key carries the
/// square of a write's address, and every address a program reaches lies
/// below this cap plus the reserved area (under 2^16 bytes of state, then
/// the 64 KiB spill stack): 2^26 keeps those squares below 2^53 (exact up
/// to 94.9M bytes) and covers the most growth the spec suite asks of one
/// memory (803 pages, 52.6 MB).
pub const MAX_MEMORY_BYTES: u64 = 64 << 20;

/// Most machine local slots (parameters, declared locals and compiler
/// temporaries) one function may use; the model addresses locals in a
/// fixed stride per frame. Functions with more locals keep the rest in a
/// spill frame in memory.
pub const MAX_LOCALS: u32 = 64;

/// Bytes of the spill stack; a call that would push past it ends the run
/// as call stack exhaustion. 64 KiB holds eight frames of a thousand i64
/// locals (the spec suite's guard-page test, whose zeroing costs some 30K
/// tokens a frame) or a hundred of 160 locals.
const SPILL_STACK_BYTES: u32 = 64 << 10;

/// Why a run stopped at a trap.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Trap {
    Unreachable,
    IntegerDivideByZero,
    IntegerOverflow,
    MemoryOutOfBounds,
    /// `call_indirect` with an index at or past the table's size.
    UndefinedElement,
    /// `call_indirect` to a slot no element segment filled (or filled with
    /// `ref.null`).
    UninitializedElement,
    /// `call_indirect` to a function whose type is not the expected one
    /// (compared structurally, as wasm does).
    IndirectCallTypeMismatch,
    /// An active element segment that does not fit its table: the
    /// instantiation traps.
    TableOutOfBounds,
    /// A trapping float-to-integer truncation of a NaN.
    InvalidConversionToInteger,
}

impl Trap {
    pub const ALL: [Trap; 9] = [
        Trap::Unreachable,
        Trap::IntegerDivideByZero,
        Trap::IntegerOverflow,
        Trap::MemoryOutOfBounds,
        Trap::UndefinedElement,
        Trap::UninitializedElement,
        Trap::IndirectCallTypeMismatch,
        Trap::TableOutOfBounds,
        Trap::InvalidConversionToInteger,
    ];

    /// Whether only tables raise this trap (`call_indirect`, element
    /// segments).
    pub fn is_table_trap(self) -> bool {
        matches!(
            self,
            Trap::UndefinedElement
                | Trap::UninitializedElement
                | Trap::IndirectCallTypeMismatch
                | Trap::TableOutOfBounds
        )
    }

    /// The message the wasm spec tests use for this trap.
    pub fn message(self) -> &'static str {
        match self {
            Trap::Unreachable => "unreachable",
            Trap::IntegerDivideByZero => "integer divide by zero",
            Trap::IntegerOverflow => "integer overflow",
            Trap::MemoryOutOfBounds => "out of bounds memory access",
            Trap::UndefinedElement => "undefined element",
            Trap::UninitializedElement => "uninitialized element",
            Trap::IndirectCallTypeMismatch => "indirect call type mismatch",
            Trap::TableOutOfBounds => "out of bounds table access",
            Trap::InvalidConversionToInteger => "invalid conversion to integer",
        }
    }

    fn from_import(name: &str) -> Option<Trap> {
        Trap::ALL
            .into_iter()
            .find(|t| name.strip_prefix("trap_") == Some(&t.message().replace(' ', "_")))
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// What a `halt` at a given pc means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The entry finished normally.
    Finished,
    Trap(Trap),
    /// A call would have made more frames of recursive functions active
    /// than [`Options::call_depth`] allows (see [`Options::call_depth`]).
    CallStackExhausted,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    #[error("invalid wasm: {0}")]
    Invalid(String),
    #[error("unsupported: {feature} (function {}, offset {offset:#x})", function.map_or("-".to_string(), |f| f.to_string()))]
    Unsupported {
        feature: String,
        function: Option<u32>,
        offset: usize,
    },
    #[error("entry: {0}")]
    Entry(String),
}

impl CompileError {
    fn unsupported(feature: impl Into<String>) -> Self {
        CompileError::Unsupported {
            feature: feature.into(),
            function: None,
            offset: 0,
        }
    }
}

/// How the program starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// The C convention: export `compute(const char *input)` (or `compute()`),
    /// output through the import `env.output_byte`. The input is copied to
    /// `__heap_base` rounded up to 16 by `input_base`.
    Compute { input: Vec<u8> },
    /// Call exports in order; the results of the last call are written as
    /// output bytes (4 per i32, little endian), earlier results dropped.
    Invoke(Vec<Invocation>),
    /// Calls that go on from the state earlier calls left, some of which
    /// may have trapped (a spec script goes on after a trapping call).
    Resume(Resume),
    /// A WASI command: call `_start` (no parameters, no results). The run's
    /// one result word is its exit status: 0 when `_start` returns, the
    /// argument of `proc_exit` when it is called. Output is what the
    /// module writes to stdout and stderr (see [`host::WASI_FUNCTIONS`]).
    Command,
}

impl Entry {
    /// The entry a module runs with when none is named: a WASI command
    /// (exports `_start` and no `compute`) runs `_start`, any other module
    /// the C convention with `input`.
    pub fn for_module(wasm: &[u8], input: Vec<u8>) -> Entry {
        let names: Vec<String> = to_binary(wasm)
            .ok()
            .and_then(|b| exports::exported_functions(&b).ok())
            .map(|fs| fs.into_iter().map(|f| f.name).collect())
            .unwrap_or_default();
        let has = |n: &str| names.iter().any(|name| name == n);
        if has("_start") && !has("compute") {
            Entry::Command
        } else {
            Entry::Compute { input }
        }
    }
}

/// Calls on an instance in a state that earlier calls left.
///
/// The compiled program starts from `image` instead of the module's data
/// segments, the globals' initial values and its start function, makes
/// `calls`, and writes the last call's results as [`Entry::Invoke`] does
/// (or, with `read`, the value of that exported global). An engine that
/// runs the module itself (wasmi) instantiates it, makes the `before` calls
/// (a trap ends that call, not the run), then `calls`: the two runs agree
/// only if `image` is the state `before` left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resume {
    /// Calls made before, in order, as the module made them.
    pub before: Vec<Invocation>,
    /// Memory as compiled programs of this module lay it out (linear
    /// memory, then the reserved area with the globals' slots) after
    /// `before`; `None`: the module's own initial state, and `before` is
    /// empty.
    pub image: Option<Vec<u8>>,
    pub calls: Vec<Invocation>,
    /// An exported global read after the calls, as the results.
    pub read: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub export: String,
    /// The arguments as 32-bit words: an i32 is one, an i64 two
    /// ([`words_of_u64`]).
    pub args: Vec<u32>,
}

/// A 64-bit value as the words every engine boundary carries (arguments,
/// results, the machine's stack): low word first.
pub fn words_of_u64(v: u64) -> [u32; 2] {
    [v as u32, (v >> 32) as u32]
}

/// The inverse of [`words_of_u64`].
pub fn u64_of_words(lo: u32, hi: u32) -> u64 {
    u64::from(hi) << 32 | u64::from(lo)
}

/// A compiled function, for diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionInfo {
    pub name: String,
    pub start_pc: u32,
    /// The wasm function index in its module (user functions only).
    pub wasm_index: Option<u32>,
}

/// The compiler's output: the program plus what the harness needs to read
/// its run back.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub program: Program,
    /// Every `halt` the compiler emitted, by pc.
    pub exits: BTreeMap<u32, Exit>,
    /// The types of the results the final invocation writes after the
    /// program's output (4 bytes per word), first result first.
    pub result_types: Vec<Num>,
    pub functions: Vec<FunctionInfo>,
    /// Per instruction: the function, wasm instruction index and byte
    /// offset it came from.
    pub origins: Vec<Origin>,
    /// Every compiled user function's wasm instructions: offsets and what
    /// each reports to the source-level diff.
    pub source_map: SourceMap,
    /// Start of the 16 scratch bytes above the module's memory (what lies
    /// there is the compiler's, not the module's state).
    pub scratch: u32,
    /// How many bytes the memory can grow by (0 when no function grows it).
    pub memory_growth: u64,
    /// Whether `memory.grow` can fail at hullvm's cap ([`MAX_MEMORY_BYTES`])
    /// where the module's own limits would let it succeed.
    pub growth_capped: bool,
}

impl Compiled {
    pub fn exit_at(&self, pc: u32) -> Option<Exit> {
        self.exits.get(&pc).copied()
    }

    /// Split a finished run's output into program output and the results.
    pub fn split_output<'o>(&self, output: &'o [u8]) -> Option<(&'o [u8], Vec<u32>)> {
        let n = words(&self.result_types) as usize * 4;
        let at = output.len().checked_sub(n)?;
        let (out, res) = output.split_at(at);
        let values = res
            .chunks(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Some((out, values))
    }

    /// The function containing `pc`.
    pub fn function_at(&self, pc: u32) -> Option<&FunctionInfo> {
        self.functions
            .iter()
            .filter(|f| f.start_pc <= pc)
            .max_by_key(|f| f.start_pc)
    }
}

/// Which module a function lives in: the user's, hullvm's integer runtime
/// (`runtime.wat`), its soft-float runtime (`float/softfloat.wasm`), or its
/// WASI host (`wasi.wat`, which works on the user's memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ModuleId {
    User,
    Runtime,
    Float,
    Wasi,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FuncKey {
    pub module: ModuleId,
    pub index: u32,
}

/// What an imported function becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Import {
    Output,
    /// A host function without an effect a run can observe (`spectest`'s
    /// prints): its arguments are dropped.
    Ignore,
    Trap(Trap),
    /// A WASI function `wasi.wat` exports under this name.
    Wasi(String),
    /// `proc_exit`: the run ends with the status on the stack.
    Exit,
    /// A WASI function hullvm does not implement: its arguments are
    /// dropped and it returns this errno.
    Errno(u32),
    Unsupported(String),
}

#[derive(Debug, Clone)]
struct Global {
    ty: ValType,
    mutable: bool,
    /// Constant initial value (globals with a constant initialiser; an
    /// i32's in the low word).
    init: Option<u64>,
    imported: bool,
}

/// A memory of a parsed module.
#[derive(Debug, Clone, Copy)]
struct MemoryInfo {
    /// The initial size.
    bytes: u64,
    /// The declared maximum, in pages.
    max_pages: Option<u64>,
    /// A page size other than 64 KiB (custom page sizes).
    custom_pages: bool,
}

/// What the compiler needs from a parsed module.
struct ModuleInfo<'a> {
    types: Vec<FuncType>,
    /// Type index of every function, imports first.
    func_types: Vec<u32>,
    imports: Vec<Import>,
    bodies: Vec<FunctionBody<'a>>,
    /// What wasm's validator needs to follow each body (same order).
    validators: Vec<FuncToValidate<ValidatorResources>>,
    globals: Vec<Global>,
    /// Every memory, imports first (a merge of linked modules can have
    /// several).
    memories: Vec<MemoryInfo>,
    memory_unsupported: Option<String>,
    /// Active data segments: memory index, offset, bytes.
    data: Vec<(u32, u64, &'a [u8])>,
    data_unsupported: Option<String>,
    /// Every table after instantiation, imports first.
    tables: Vec<Table>,
    /// An active element segment that does not fit its table: instantiation
    /// fails, which hullvm does not model.
    elem_out_of_bounds: bool,
    exports: HashMap<String, (ExternalKind, u32)>,
    start: Option<u32>,
    names: HashMap<u32, String>,
}

impl<'a> ModuleInfo<'a> {
    fn parse(bytes: &'a [u8], features: WasmFeatures) -> Result<Self, CompileError> {
        let invalid = |e: wasmparser::BinaryReaderError| CompileError::Invalid(e.to_string());
        // One pass validates the module as it is read (each section before
        // it is used; the bodies at the end, as `Validator::validate_all`
        // does) and keeps, per body, what a fresh function validator needs:
        // the compiler follows one along (it knows operand types the
        // operators leave implicit).
        let mut validator = Validator::new_with_features(features);
        let mut parser = Parser::new(0);
        parser.set_features(features);
        let mut m = ModuleInfo {
            types: Vec::new(),
            func_types: Vec::new(),
            imports: Vec::new(),
            bodies: Vec::new(),
            validators: Vec::new(),
            globals: Vec::new(),
            memories: Vec::new(),
            memory_unsupported: None,
            data: Vec::new(),
            data_unsupported: None,
            tables: Vec::new(),
            elem_out_of_bounds: false,
            exports: HashMap::new(),
            start: None,
            names: HashMap::new(),
        };
        for payload in parser.parse_all(bytes) {
            let payload = payload.map_err(invalid)?;
            if let ValidPayload::Func(func, _) = validator.payload(&payload).map_err(invalid)? {
                m.validators.push(func);
            }
            match payload {
                Payload::TypeSection(r) => {
                    for ty in r.into_iter_err_on_gc_types() {
                        m.types.push(ty.map_err(invalid)?);
                    }
                }
                Payload::ImportSection(r) => {
                    for imp in r.into_imports() {
                        let imp = imp.map_err(invalid)?;
                        let what = format!("import {}.{}", imp.module, imp.name);
                        let provided = host::provided(imp.module, imp.name, imp.ty, &m.types);
                        match imp.ty {
                            TypeRef::Func(t) | TypeRef::FuncExact(t) => {
                                m.func_types.push(t);
                                m.imports.push(match (imp.module, imp.name, provided) {
                                    (_, _, Some(Provided::Output)) => Import::Output,
                                    (_, _, Some(Provided::Ignore)) => Import::Ignore,
                                    (_, name, Some(Provided::Wasi)) => {
                                        Import::Wasi(name.to_string())
                                    }
                                    (_, _, Some(Provided::Exit)) => Import::Exit,
                                    (_, _, Some(Provided::NotImplemented)) => {
                                        Import::Errno(host::ENOSYS as u32)
                                    }
                                    ("hullvm", name, _) => Trap::from_import(name)
                                        .map_or(Import::Unsupported(what), Import::Trap),
                                    _ => Import::Unsupported(what),
                                });
                            }
                            // A global hullvm provides is a constant it knows.
                            TypeRef::Global(g) => m.globals.push(Global {
                                ty: g.content_type,
                                mutable: g.mutable,
                                init: match provided {
                                    Some(Provided::Global(value)) => Some(value),
                                    _ => None,
                                },
                                imported: !matches!(provided, Some(Provided::Global(_))),
                            }),
                            TypeRef::Table(_) if provided == Some(Provided::Table) => {
                                m.tables.push(Table::with_size(host::SPECTEST_TABLE.0))
                            }
                            TypeRef::Table(_) => m.tables.push(Table::imported()),
                            TypeRef::Memory(_) if provided == Some(Provided::Memory) => {
                                let (initial, maximum) = host::SPECTEST_MEMORY_PAGES;
                                m.memories.push(MemoryInfo {
                                    bytes: initial << 16,
                                    max_pages: Some(maximum),
                                    custom_pages: false,
                                });
                            }
                            TypeRef::Memory(_) => {
                                m.memory_unsupported = Some(format!("imported memory ({what})"))
                            }
                            _ => {}
                        }
                    }
                }
                Payload::FunctionSection(r) => {
                    for t in r {
                        m.func_types.push(t.map_err(invalid)?);
                    }
                }
                Payload::MemorySection(r) => {
                    for mem in r {
                        let mem = mem.map_err(invalid)?;
                        if mem.memory64 || mem.shared {
                            m.memory_unsupported = Some("64-bit or shared memories".into());
                        }
                        let bytes = mem
                            .initial
                            .saturating_mul(1 << mem.page_size_log2.unwrap_or(16));
                        if bytes > MAX_MEMORY_BYTES {
                            m.memory_unsupported = Some(format!(
                                "memory of {bytes} bytes (hullvm compiles at most {MAX_MEMORY_BYTES})"
                            ));
                        }
                        m.memories.push(MemoryInfo {
                            bytes,
                            max_pages: mem.maximum,
                            custom_pages: mem.page_size_log2.is_some_and(|p| p != 16),
                        });
                    }
                }
                Payload::GlobalSection(r) => {
                    for g in r {
                        let g = g.map_err(invalid)?;
                        m.globals.push(Global {
                            ty: g.ty.content_type,
                            mutable: g.ty.mutable,
                            init: const_value(&g.init_expr, &m.globals),
                            imported: false,
                        });
                    }
                }
                Payload::ExportSection(r) => {
                    for e in r {
                        let e = e.map_err(invalid)?;
                        m.exports.insert(e.name.to_string(), (e.kind, e.index));
                    }
                }
                Payload::StartSection { func, .. } => m.start = Some(func),
                Payload::TableSection(r) => {
                    for t in r {
                        m.tables.push(Table::defined(&t.map_err(invalid)?));
                    }
                }
                Payload::ElementSection(r) => {
                    for e in r {
                        let e = e.map_err(invalid)?;
                        if let wasmparser::ElementKind::Active {
                            table_index,
                            offset_expr,
                        } = e.kind
                        {
                            let offset = tables::segment_offset(&offset_expr, &m.globals);
                            let Some(table) = m.tables.get_mut(table_index.unwrap_or(0) as usize)
                            else {
                                return Err(CompileError::Invalid(
                                    "element segment for a missing table".into(),
                                ));
                            };
                            if !table.apply(offset, &e.items)? {
                                m.elem_out_of_bounds = true;
                            }
                        }
                    }
                }
                Payload::DataSection(r) => {
                    for d in r {
                        let d = d.map_err(invalid)?;
                        match d.kind {
                            wasmparser::DataKind::Active {
                                memory_index,
                                offset_expr,
                            } => match tables::segment_offset(&offset_expr, &m.globals) {
                                Some(off) => m.data.push((memory_index, off as u64, d.data)),
                                None => {
                                    m.data_unsupported =
                                        Some("data segment with a non-constant offset".into())
                                }
                            },
                            _ => {
                                m.data_unsupported = Some("passive data segment".into());
                            }
                        }
                    }
                }
                Payload::CodeSectionEntry(body) => m.bodies.push(body),
                Payload::CustomSection(c) => {
                    if let wasmparser::KnownCustom::Name(names) = c.as_known() {
                        for n in names.into_iter().flatten() {
                            if let wasmparser::Name::Function(map) = n {
                                for naming in map.into_iter().flatten() {
                                    m.names.insert(naming.index, naming.name.to_string());
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        for (func, body) in m.validators.iter().zip(&m.bodies) {
            fresh_validator(func).validate(body).map_err(invalid)?;
        }
        Ok(m)
    }

    /// A fresh validator for defined function `defined` (counted without
    /// imports), positioned before its locals.
    fn func_validator(&self, defined: u32) -> FuncValidator<ValidatorResources> {
        fresh_validator(&self.validators[defined as usize])
    }

    fn num_imported_funcs(&self) -> u32 {
        self.imports.len() as u32
    }

    fn func_type(&self, func: u32) -> &FuncType {
        &self.types[self.func_types[func as usize] as usize]
    }

    fn func_name(&self, func: u32) -> String {
        self.names
            .get(&func)
            .cloned()
            .or_else(|| {
                self.exports
                    .iter()
                    .find(|(_, &(k, i))| k == ExternalKind::Func && i == func)
                    .map(|(n, _)| n.clone())
            })
            .unwrap_or_else(|| format!("func[{func}]"))
    }

    fn export_func(&self, name: &str) -> Result<u32, CompileError> {
        match self.exports.get(name) {
            Some(&(ExternalKind::Func, i)) => Ok(i),
            Some(_) => Err(CompileError::Entry(format!(
                "export {name:?} is not a function"
            ))),
            None => Err(CompileError::Entry(format!("no export named {name:?}"))),
        }
    }
}

/// A validator for the function `f` describes, at its start.
fn fresh_validator(f: &FuncToValidate<ValidatorResources>) -> FuncValidator<ValidatorResources> {
    FuncToValidate {
        resources: f.resources.clone(),
        index: f.index,
        ty: f.ty,
        features: f.features,
    }
    .into_validator(Default::default())
}

/// A global's constant initialiser, when it is one `i32.const`,
/// `i64.const`, or `global.get` of an immutable global whose value hullvm
/// knows (one it provides, e.g. `spectest.global_i32`).
fn const_value(expr: &wasmparser::ConstExpr, globals: &[Global]) -> Option<u64> {
    let mut r = expr.get_operators_reader();
    match (r.read().ok()?, r.read().ok()?) {
        (wasmparser::Operator::I32Const { value }, wasmparser::Operator::End) => {
            Some(value as u32 as u64)
        }
        (wasmparser::Operator::I64Const { value }, wasmparser::Operator::End) => Some(value as u64),
        (wasmparser::Operator::F32Const { value }, wasmparser::Operator::End) => {
            Some(value.bits() as u64)
        }
        (wasmparser::Operator::F64Const { value }, wasmparser::Operator::End) => Some(value.bits()),
        (wasmparser::Operator::GlobalGet { global_index }, wasmparser::Operator::End) => {
            let g = globals.get(global_index as usize)?;
            (!g.mutable).then_some(g.init?)
        }
        _ => None,
    }
}

/// The value types hullvm compiles: wasm's number types. A float is its
/// IEEE bits (an f32 as an i32, an f64 as an i64), computed on by the
/// soft-float runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Num {
    I32,
    I64,
    F32,
    F64,
}

impl Num {
    /// The number type of `t`, or what hullvm does not compile.
    pub fn of(t: ValType) -> Result<Num, CompileError> {
        let name = match t {
            ValType::I32 => return Ok(Num::I32),
            ValType::I64 => return Ok(Num::I64),
            ValType::F32 => return Ok(Num::F32),
            ValType::F64 => return Ok(Num::F64),
            ValType::V128 => "v128 values",
            ValType::Ref(_) => "reference types",
        };
        Err(CompileError::unsupported(name))
    }

    /// Machine slots (32-bit words) a value takes: a 64-bit value is two,
    /// its low word first.
    pub fn words(self) -> u32 {
        match self {
            Num::I32 | Num::F32 => 1,
            Num::I64 | Num::F64 => 2,
        }
    }

    /// A value's machine words, low word first (`bits` zero-extended for a
    /// 32-bit type).
    pub fn to_words(self, bits: u64) -> Vec<u32> {
        words_of_u64(bits)[..self.words() as usize].to_vec()
    }

    /// The value whose machine words (low word first) are `words`.
    pub fn from_words(words: &[u32]) -> u64 {
        words.iter().rev().fold(0, |v, &w| v << 32 | w as u64)
    }

    /// Whether `bits` (zero-extended for a 32-bit type) is a float NaN.
    pub fn is_nan(self, bits: u64) -> bool {
        match self {
            Num::F32 => bits as u32 & 0x7fff_ffff > 0x7f80_0000,
            Num::F64 => bits & !(1 << 63) > 0x7ff0_0000_0000_0000,
            Num::I32 | Num::I64 => false,
        }
    }

    /// `bits` as engines are compared: a float NaN as the canonical positive
    /// NaN, anything else as is. wasm leaves a NaN result's sign and payload
    /// to the engine (a canonical NaN's sign, which NaN operand propagates),
    /// so two conforming engines may differ there and nowhere else; the
    /// spec suite's `nan:canonical`/`nan:arithmetic` expectations check the
    /// NaN class itself.
    pub fn comparable(self, bits: u64) -> u64 {
        match self {
            Num::F32 if self.is_nan(bits) => 0x7fc0_0000,
            Num::F64 if self.is_nan(bits) => 0x7ff8_0000_0000_0000,
            _ => bits,
        }
    }
}

/// Machine slots (32-bit words) a value of type `t` takes (see [`Num`]).
fn slots(t: ValType) -> Result<u32, CompileError> {
    Num::of(t).map(Num::words)
}

/// Slots of a list of values, naming the first type that is not compiled.
fn slot_count(types: &[ValType]) -> Result<u32, CompileError> {
    types.iter().map(|&t| slots(t)).sum()
}

/// Where the compiler keeps what the module cannot address.
#[derive(Debug, Clone)]
struct Layout {
    /// Every memory's region, in index order, one after another from 0.
    memories: Vec<MemoryLayout>,
    /// Scratch for inline lowerings (8 bytes).
    scratch: u32,
    /// Scratch for runtime helpers (8 bytes).
    runtime_scratch: u32,
    /// Address of each mutable (or non-constant) global: 4 bytes, or 8 for
    /// an i64 (low word first).
    globals: Vec<Option<u32>>,
    /// End of the module's state: linear memory, scratch, the globals'
    /// slots and the size words lie below; the depth word and the spill
    /// stack above are a run's, not state.
    end: u32,
    /// When some function can recurse: how many more frames of recursive
    /// functions may become active.
    depth: Option<u32>,
    /// The spill stack (locals of functions with more than the machine
    /// frame holds): the word that counts the bytes in use, and where the
    /// stack's bytes start.
    spill_pointer: u32,
    spill_base: u32,
    spill_bytes: u32,
}

/// Where one memory lives in the machine's flat memory.
#[derive(Debug, Clone, Copy, Default)]
struct MemoryLayout {
    /// The flat address of the memory's byte 0, added to every access's
    /// static offset.
    base: u32,
    /// The memory's initial size.
    initial: u64,
    /// The most the memory can reach: its initial size when no function
    /// grows it, else the declared maximum capped at [`MAX_MEMORY_BYTES`].
    max: u64,
    /// When some function grows this memory: the current size.
    size: Option<SizeWords>,
}

/// Two words that hold the memory's current size, kept equal by
/// `memory.grow`: pages for `memory.size`/`memory.grow`, bytes for the
/// bounds checks.
#[derive(Debug, Clone, Copy)]
struct SizeWords {
    pages: u32,
    bytes: u32,
}

impl Layout {
    fn new(module: &ModuleInfo, scan: &recursion::Scan) -> Result<Self, CompileError> {
        // Each memory's region follows the one before (memory 0 at 0), so
        // an access to memory i is one to its base plus the static offset.
        let mut memories: Vec<MemoryLayout> = Vec::with_capacity(module.memories.len());
        let mut top = 0u64;
        for (i, memory) in module.memories.iter().enumerate() {
            let max = if scan.grown.contains(&(i as u32)) {
                let cap = MAX_MEMORY_BYTES >> 16;
                memory.max_pages.unwrap_or(cap).min(cap) << 16
            } else {
                memory.bytes
            };
            let base = top;
            top = (base + max.max(memory.bytes)).next_multiple_of(16);
            memories.push(MemoryLayout {
                base: base.min(MAX_MEMORY_BYTES) as u32,
                initial: memory.bytes,
                max,
                size: None,
            });
        }
        if top > MAX_MEMORY_BYTES {
            return Err(CompileError::unsupported(format!(
                "memories that can reach {top} bytes in all \
                 (hullvm compiles at most {MAX_MEMORY_BYTES} across all memories)"
            )));
        }
        let reserved = top as u32;
        let mut next = reserved + 16;
        let mut words = |n: u32| {
            next += 4 * n;
            next - 4 * n
        };
        let globals = module
            .globals
            .iter()
            .map(|g| {
                // A type hullvm does not compile gets a word; using it is
                // refused.
                let n = Num::of(g.ty).map_or(1, Num::words);
                (g.mutable || g.init.is_none()).then(|| words(n))
            })
            .collect();
        for (i, memory) in memories.iter_mut().enumerate() {
            if scan.grown.contains(&(i as u32)) {
                memory.size = Some(SizeWords {
                    pages: words(1),
                    bytes: words(1),
                });
            }
        }
        // What follows is a run's, not the module's state: the entry glue
        // sets the depth word, a call's spill frame is gone when it returns.
        let end = words(0);
        let depth = (!scan.recursive.is_empty()).then(|| words(1));
        let spill_pointer = words(1);
        Ok(Layout {
            memories,
            scratch: reserved,
            runtime_scratch: reserved + 8,
            globals,
            end,
            spill_pointer,
            spill_base: (spill_pointer + 4).next_multiple_of(16),
            spill_bytes: SPILL_STACK_BYTES,
            depth,
        })
    }

    /// Memory `index` (an empty one at 0 for a module without memory, so
    /// that `wasi.wat`'s accesses to "the" memory trap).
    fn memory(&self, index: u32) -> MemoryLayout {
        self.memories
            .get(index as usize)
            .copied()
            .unwrap_or_default()
    }

    /// Whether `len` bytes at flat address `addr` lie inside one memory's
    /// initial size.
    fn in_initial_memory(&self, addr: u64, len: u64) -> bool {
        self.memories.iter().any(|m| {
            let base = u64::from(m.base);
            base <= addr && addr + len <= base + m.initial
        })
    }

    /// The frame of a function that spills `words` slots, if one fits the
    /// stack at all.
    fn spill_frame(&self, words: u32) -> Option<function::Spill> {
        let frame = words.checked_mul(4).filter(|&f| f <= self.spill_bytes)?;
        Some(function::Spill {
            frame,
            pointer: self.spill_pointer,
            base: self.spill_base - frame,
        })
    }
}

/// The soft-float runtime, one export per float operator (`float/`).
const FLOAT_RUNTIME: &[u8] = include_bytes!("float/softfloat.wasm");

fn runtime_module() -> &'static [u8] {
    static RUNTIME: OnceLock<Vec<u8>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| wat::parse_str(include_str!("runtime.wat")).expect("runtime.wat is valid"))
}

fn wasi_module() -> &'static [u8] {
    static WASI: OnceLock<Vec<u8>> = OnceLock::new();
    WASI.get_or_init(|| wat::parse_str(include_str!("wasi.wat")).expect("wasi.wat is valid"))
}

/// Shared state while compiling one program.
struct Context<'m, 'a> {
    user: &'m ModuleInfo<'a>,
    runtime: &'m ModuleInfo<'static>,
    float: &'m ModuleInfo<'static>,
    wasi: &'m ModuleInfo<'static>,
    layout: Layout,
    asm: Asm,
    queue: VecDeque<FuncKey>,
    starts: HashMap<FuncKey, u32>,
    functions: Vec<FunctionInfo>,
    traps_used: Vec<Trap>,
    source_map: SourceMap,
    options: Options,
    /// Defined functions on a cycle of the call graph: they count their
    /// frames against [`Options::call_depth`].
    recursive: std::collections::BTreeSet<u32>,
    /// The exit for call stack exhaustion, once some code jumps to it.
    exhausted: Option<Label>,
    /// A WASI command's exit (the status on the stack), where `proc_exit`
    /// jumps; `None` for other entries, which cannot call it.
    exit: Option<Label>,
}

impl<'m, 'a> Context<'m, 'a> {
    fn module(&self, id: ModuleId) -> &'m ModuleInfo<'a> {
        match id {
            ModuleId::User => self.user,
            ModuleId::Runtime => self.runtime,
            ModuleId::Float => self.float,
            ModuleId::Wasi => self.wasi,
        }
    }

    fn call(&mut self, key: FuncKey) {
        if !self.starts.contains_key(&key) && !self.queue.contains(&key) {
            self.queue.push_back(key);
        }
        self.asm.emit_jump(Op::Call, Target::Func(key));
    }

    fn trap(&mut self, trap: Trap) -> Target {
        if !self.traps_used.contains(&trap) {
            self.traps_used.push(trap);
        }
        Target::Trap(trap)
    }

    /// Where a call that would exceed the call-depth limit goes.
    fn exhaustion(&mut self) -> Target {
        let label = *self.exhausted.get_or_insert_with(|| self.asm.new_label());
        Target::Label(label)
    }

    fn helper(&self, name: &str) -> FuncKey {
        self.hullvm_export(ModuleId::Runtime, name)
    }

    /// The `wasi.wat` function that implements the WASI import `name`.
    fn wasi_function(&self, name: &str) -> FuncKey {
        self.hullvm_export(ModuleId::Wasi, name)
    }

    /// A function one of hullvm's own modules exports (`runtime.wat` every
    /// lowered op, `wasi.wat` every function `host::WASI_FUNCTIONS` names).
    fn hullvm_export(&self, module: ModuleId, name: &str) -> FuncKey {
        let index = self
            .module(module)
            .export_func(name)
            .unwrap_or_else(|_| panic!("hullvm's {module:?} module exports {name}"));
        FuncKey { module, index }
    }

    /// The soft-float runtime's function for the float operator `name`
    /// (its wasm name, e.g. `f64.add`), if it has one.
    fn float_helper(&self, name: &str) -> Option<FuncKey> {
        let index = self.float.export_func(name).ok()?;
        Some(FuncKey {
            module: ModuleId::Float,
            index,
        })
    }
}

/// A wasm binary as is, or `.wat` text assembled.
pub fn to_binary(wasm: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, CompileError> {
    if wasm.starts_with(b"\0asm") {
        return Ok(std::borrow::Cow::Borrowed(wasm));
    }
    let text = std::str::from_utf8(wasm)
        .map_err(|_| CompileError::Invalid("neither a wasm binary nor UTF-8 text".into()))?;
    let binary = wat::parse_str(text).map_err(|e| CompileError::Invalid(e.to_string()))?;
    Ok(std::borrow::Cow::Owned(binary))
}

/// Compile a wasm binary or `.wat` text with the given entry.
pub fn compile(wasm: &[u8], entry: &Entry) -> Result<Compiled, CompileError> {
    compile_with(wasm, entry, &Options::default())
}

/// [`compile`] with explicit [`Options`].
pub fn compile_with(
    wasm: &[u8],
    entry: &Entry,
    options: &Options,
) -> Result<Compiled, CompileError> {
    let bytes = to_binary(wasm)?;
    let user = ModuleInfo::parse(&bytes, options.features)?;
    let runtime = ModuleInfo::parse(runtime_module(), WasmFeatures::default())
        .expect("runtime.wat validates");
    let float = ModuleInfo::parse(FLOAT_RUNTIME, WasmFeatures::default())
        .expect("softfloat.wasm validates");
    let wasi =
        ModuleInfo::parse(wasi_module(), WasmFeatures::default()).expect("wasi.wat validates");
    if let Some(what) = &user.memory_unsupported {
        return Err(CompileError::unsupported(what.clone()));
    }
    if let Some(what) = &user.data_unsupported {
        return Err(CompileError::unsupported(what.clone()));
    }
    let scan = recursion::scan(&user)?;
    let grown_custom = scan.grown.iter().any(|&i| {
        user.memories
            .get(i as usize)
            .is_some_and(|m| m.custom_pages)
    });
    if grown_custom {
        return Err(CompileError::unsupported(
            "memory.grow with a custom page size",
        ));
    }
    let mut cx = Context {
        layout: Layout::new(&user, &scan)?,
        user: &user,
        runtime: &runtime,
        float: &float,
        wasi: &wasi,
        asm: Asm::default(),
        queue: VecDeque::new(),
        starts: HashMap::new(),
        functions: Vec::new(),
        traps_used: Vec::new(),
        source_map: SourceMap::default(),
        options: *options,
        recursive: scan.recursive,
        exhausted: None,
        exit: None,
    };

    let (input, results) = emit_entry(&mut cx, entry)?;
    let mut exits = BTreeMap::new();
    exits.insert(cx.asm.pc(), Exit::Finished);
    cx.asm.emit(Op::Halt, 0);

    while let Some(key) = cx.queue.pop_front() {
        if cx.starts.contains_key(&key) {
            continue;
        }
        let start = cx.asm.pc();
        cx.starts.insert(key, start);
        let module = cx.module(key.module);
        let name = match key.module {
            ModuleId::User => module.func_name(key.index),
            ModuleId::Runtime | ModuleId::Float => {
                format!("hullvm.{}", module.func_name(key.index))
            }
            ModuleId::Wasi => format!("wasi.{}", module.func_name(key.index)),
        };
        cx.functions.push(FunctionInfo {
            name,
            start_pc: start,
            wasm_index: (key.module == ModuleId::User).then_some(key.index),
        });
        let index = cx.functions.len() as u32 - 1;
        function::compile_function(&mut cx, key, index)?;
    }

    let mut trap_pcs = HashMap::new();
    cx.asm.origin = Origin::default();
    cx.traps_used.sort();
    for &t in &cx.traps_used {
        trap_pcs.insert(t, cx.asm.pc());
        exits.insert(cx.asm.pc(), Exit::Trap(t));
        cx.asm.emit(Op::Halt, 0);
    }
    if let Some(label) = cx.exhausted {
        cx.asm.place(label);
        exits.insert(cx.asm.pc(), Exit::CallStackExhausted);
        cx.asm.emit(Op::Halt, 0);
    }
    let (instrs, origins) = cx.asm.finish(&cx.starts, &trap_pcs);
    let scratch = cx.layout.scratch;
    Ok(Compiled {
        scratch,
        memory_growth: cx
            .layout
            .memories
            .iter()
            .map(|m| m.max.saturating_sub(m.initial))
            .sum(),
        growth_capped: cx
            .layout
            .memories
            .iter()
            .zip(&cx.user.memories)
            .any(|(m, info)| {
                m.size.is_some()
                    && info
                        .max_pages
                        .is_none_or(|pages| pages.saturating_mul(1 << 16) > MAX_MEMORY_BYTES)
            }),
        program: Program { instrs, input },
        exits,
        result_types: results,
        functions: cx.functions,
        origins,
        source_map: cx.source_map,
    })
}

/// Emit the code that runs before and around the entry call; returns the
/// program input and the number of results written as output.
fn emit_entry(cx: &mut Context, entry: &Entry) -> Result<(Vec<u8>, Vec<Num>), CompileError> {
    let user = cx.user;
    let mut input = Vec::new();
    // The C convention's input pointer, placed where the module's heap starts.
    let mut input_ptr = None;
    if let Entry::Compute { input: bytes } = entry {
        let f = user.export_func("compute")?;
        let params = slot_count(user.func_type(f).params())?;
        if params > 1
            || user
                .func_type(f)
                .params()
                .iter()
                .any(|&t| t != ValType::I32)
        {
            return Err(CompileError::Entry(
                "compute takes more than one parameter".into(),
            ));
        }
        if params == 1 {
            let base = match user.exports.get("__heap_base") {
                Some(&(ExternalKind::Global, g)) => user.globals[g as usize].init.map(|v| v as u32),
                _ => None,
            }
            .ok_or_else(|| {
                CompileError::Entry(
                    "compute takes an input pointer but the module exports no constant __heap_base"
                        .into(),
                )
            })?;
            // Checked: a __heap_base near 2^32 must not wrap the input to
            // address 0.
            // The C convention's memory is memory 0.
            let addr = input_address(base, bytes.len(), cx.layout.memory(0).initial)
                .map_err(CompileError::Entry)?;
            cx.asm.emit(Op::InputBase, addr);
            input = bytes.clone();
            input_ptr = Some(addr);
        }
    }

    // The depth word is a run's, not state: set before any call, whether the
    // state is the module's own or an image.
    if let Some(word) = cx.layout.depth {
        emit_store_const(cx, word, cx.options.call_depth, 4);
    }
    match entry {
        Entry::Resume(Resume {
            image: Some(image), ..
        }) => emit_image(cx, image),
        Entry::Resume(Resume { before, .. }) if !before.is_empty() => {
            return Err(CompileError::Entry(
                "calls made before need the memory image they left".into(),
            ))
        }
        _ => {
            emit_memory_image(cx)?;
            if let Some(start) = user.start {
                emit_call(cx, start, &[])?;
            }
        }
    }
    let results = match entry {
        Entry::Compute { .. } => {
            let f = user.export_func("compute")?;
            let args: Vec<u32> = input_ptr.into_iter().collect();
            let results = emit_call(cx, f, &args)?;
            emit_drops(cx, &results);
            Vec::new()
        }
        Entry::Invoke(calls) => {
            let mut results = Vec::new();
            for (i, call) in calls.iter().enumerate() {
                let f = user.export_func(&call.export)?;
                results = emit_call(cx, f, &call.args)?;
                if i + 1 < calls.len() {
                    emit_drops(cx, &results);
                }
            }
            emit_results(cx, &results);
            results
        }
        Entry::Resume(resume) => emit_resumed(cx, resume)?,
        Entry::Command => emit_command(cx)?,
    };
    Ok((input, results))
}

/// A WASI command's call of `_start` and its exit: the status (0 when
/// `_start` returns; `proc_exit` jumps here with its own) written as the
/// one result, an i32.
fn emit_command(cx: &mut Context) -> Result<Vec<Num>, CompileError> {
    let start = cx.user.export_func("_start")?;
    let ty = cx.user.func_type(start);
    if !ty.params().is_empty() || !ty.results().is_empty() {
        return Err(CompileError::Entry(
            "_start takes parameters or returns results".into(),
        ));
    }
    let exit = cx.asm.new_label();
    cx.exit = Some(exit);
    emit_call(cx, start, &[])?;
    cx.asm.emit(Op::I32Const, 0);
    cx.asm.place(exit);
    emit_results(cx, &[Num::I32]);
    Ok(vec![Num::I32])
}

/// A [`Resume`] entry's calls and results; returns the results' types.
fn emit_resumed(cx: &mut Context, resume: &Resume) -> Result<Vec<Num>, CompileError> {
    let mut results = Vec::new();
    for (i, call) in resume.calls.iter().enumerate() {
        let f = cx.user.export_func(&call.export)?;
        results = emit_call(cx, f, &call.args)?;
        if i + 1 < resume.calls.len() || resume.read.is_some() {
            emit_drops(cx, &results);
        }
    }
    if let Some(name) = &resume.read {
        results = vec![emit_global_read(cx, name)?];
    }
    emit_results(cx, &results);
    Ok(results)
}

/// Drop values of these types from the stack.
fn emit_drops(cx: &mut Context, values: &[Num]) {
    for _ in 0..words(values) {
        cx.asm.emit(Op::Drop, 0);
    }
}

/// Machine words of a list of values.
fn words(values: &[Num]) -> u32 {
    values.iter().map(|n| n.words()).sum()
}

/// Push the value of an exported global; returns its type.
fn emit_global_read(cx: &mut Context, name: &str) -> Result<Num, CompileError> {
    let g = match cx.user.exports.get(name) {
        Some(&(ExternalKind::Global, g)) => g as usize,
        Some(_) => {
            return Err(CompileError::Entry(format!(
                "export {name:?} is not a global"
            )))
        }
        None => return Err(CompileError::Entry(format!("no export named {name:?}"))),
    };
    let global = &cx.user.globals[g];
    if global.imported {
        return Err(CompileError::unsupported("imported globals"));
    }
    // As `global.get` reads it: one word per slot, low word first.
    let num = Num::of(global.ty)?;
    for k in 0..num.words() {
        match (cx.layout.globals[g], global.init) {
            (Some(addr), _) => {
                cx.asm.emit(Op::I32Const, 0);
                cx.asm.emit(Op::I32Load, addr + 4 * k);
            }
            (None, Some(value)) => cx.asm.emit(Op::I32Const, (value >> (32 * k)) as u32),
            (None, None) => return Err(CompileError::unsupported("a global without a value")),
        }
    }
    Ok(num)
}

/// Where the C convention puts `len` input bytes and their terminating NUL:
/// `__heap_base` rounded up to 16, if they fit below `memory_bytes`. Every
/// engine places the input here, so a base that would wrap past 2^32 or
/// an input that runs off the end of memory is refused the same way.
pub fn input_address(heap_base: u32, len: usize, memory_bytes: u64) -> Result<u32, String> {
    let refuse = || {
        format!(
            "{len} input bytes do not fit in memory above __heap_base \
             ({heap_base:#x}, memory of {memory_bytes} bytes)"
        )
    };
    let addr = heap_base.checked_next_multiple_of(16).ok_or_else(refuse)?;
    let end = u64::from(addr)
        .checked_add(len as u64)
        .and_then(|e| e.checked_add(1))
        .ok_or_else(refuse)?;
    if end > memory_bytes {
        return Err(refuse());
    }
    Ok(addr)
}

/// Data segments and global initial values, written by plain stores.
fn emit_memory_image(cx: &mut Context) -> Result<(), CompileError> {
    // Element segments come before data segments; one that does not fit
    // its table traps the instantiation (and nothing else is observable).
    if cx.user.elem_out_of_bounds {
        let trap = cx.trap(Trap::TableOutOfBounds);
        cx.asm.emit_jump(Op::Br, trap);
        return Ok(());
    }
    let mut image: BTreeMap<u64, u8> = BTreeMap::new();
    for &(index, offset, bytes) in &cx.user.data {
        let memory = cx.layout.memory(index);
        if offset + bytes.len() as u64 > memory.initial {
            // Instantiation traps; what the segments before wrote is
            // unobservable (the instance is never made), so nothing is.
            let trap = cx.trap(Trap::MemoryOutOfBounds);
            cx.asm.emit_jump(Op::Br, trap);
            return Ok(());
        }
        let base = u64::from(memory.base);
        for (i, &b) in bytes.iter().enumerate() {
            image.insert(base + offset + i as u64, b);
        }
    }
    emit_bytes(cx, image.into_iter());
    for (g, slot) in cx.layout.globals.clone().into_iter().enumerate() {
        let global = &cx.user.globals[g];
        match (slot, global.init) {
            (Some(addr), Some(v)) => {
                for k in 0..slots(global.ty)? {
                    let word = (v >> (32 * k)) as u32;
                    if word != 0 {
                        emit_store_const(cx, addr + 4 * k, word, 4);
                    }
                }
            }
            (Some(_), None) if Num::of(global.ty).is_ok() => {
                if global.imported {
                    // An imported global's value comes from the host; only
                    // reading it is unsupported, so it is refused at use.
                    continue;
                }
                return Err(CompileError::unsupported("non-constant global initialiser"));
            }
            _ => {}
        }
    }
    for memory in cx.layout.memories.clone() {
        if let Some(size) = memory.size {
            let bytes = memory.initial;
            emit_store_const(cx, size.pages, (bytes >> 16) as u32, 4);
            emit_store_const(cx, size.bytes, bytes as u32, 4);
        }
    }
    Ok(())
}

/// A [`Resume::image`], written by plain stores in place of the module's
/// data segments and globals' initial values. Only the module's state is
/// taken: the scratch bytes and the spill stack are the compiler's, and a
/// program finds them zeroed.
fn emit_image(cx: &mut Context, image: &[u8]) {
    let scratch = u64::from(cx.layout.scratch)..u64::from(cx.layout.scratch) + 16;
    let end = u64::from(cx.layout.end);
    let bytes = (0u64..)
        .zip(image.iter().copied())
        .take_while(|&(addr, _)| addr < end)
        .filter(|(addr, _)| !scratch.contains(addr));
    emit_bytes(cx, bytes);
}

/// Store the non-zero bytes of `(address, byte)` pairs (memory starts
/// zeroed): whole aligned words, one store each, where the word lies in
/// one linear memory's initial size or the reserved area.
fn emit_bytes(cx: &mut Context, bytes: impl Iterator<Item = (u64, u8)>) {
    let mut words: BTreeMap<u64, u32> = BTreeMap::new();
    for (addr, b) in bytes.filter(|&(_, b)| b != 0) {
        *words.entry(addr & !3).or_default() |= (b as u32) << (8 * (addr & 3));
    }
    let reserved = u64::from(cx.layout.scratch);
    for (addr, word) in words {
        if cx.layout.in_initial_memory(addr, 4) || addr >= reserved {
            emit_store_const(cx, addr as u32, word, 4);
        } else {
            for i in 0..4 {
                let b = (word >> (8 * i)) as u8;
                if b != 0 {
                    emit_store_const(cx, addr as u32 + i, b as u32, 1);
                }
            }
        }
    }
}

fn emit_store_const(cx: &mut Context, addr: u32, value: u32, size: u32) {
    cx.asm.emit(Op::I32Const, addr);
    cx.asm.emit(Op::I32Const, value);
    cx.asm.emit(
        if size == 4 {
            Op::I32Store
        } else {
            Op::I32Store8
        },
        0,
    );
}

/// Push constant arguments and call a user function; returns its results'
/// types. Arguments are words: an i64 or f64 is two, low first.
fn emit_call(cx: &mut Context, func: u32, args: &[u32]) -> Result<Vec<Num>, CompileError> {
    let ty = cx.user.func_type(func);
    let params = slot_count(ty.params())?;
    let results = ty
        .results()
        .iter()
        .map(|&t| Num::of(t))
        .collect::<Result<Vec<_>, _>>()?;
    if params as usize != args.len() {
        return Err(CompileError::Entry(format!(
            "{} takes {params} argument words, got {}",
            cx.user.func_name(func),
            args.len()
        )));
    }
    if func < cx.user.num_imported_funcs() {
        return Err(CompileError::unsupported(format!(
            "invoking the imported function {}",
            cx.user.func_name(func)
        )));
    }
    for &a in args {
        cx.asm.emit(Op::I32Const, a);
    }
    cx.call(FuncKey {
        module: ModuleId::User,
        index: func,
    });
    Ok(results)
}

/// Write results of these types (on the stack, last on top) as 4 output
/// bytes per word, first word first. Locals of the entry frame hold them
/// meanwhile.
fn emit_results(cx: &mut Context, results: &[Num]) {
    let n = words(results);
    let scratch = cx.layout.scratch;
    for i in (0..n).rev() {
        cx.asm.emit(Op::LocalSet, i);
    }
    for i in 0..n {
        cx.asm.emit(Op::LocalGet, i);
        cx.asm.emit(Op::Output, 0);
        cx.asm.emit(Op::I32Const, 0);
        cx.asm.emit(Op::LocalGet, i);
        cx.asm.emit(Op::I32Store, scratch);
        for k in 1..4 {
            cx.asm.emit(Op::I32Const, 0);
            cx.asm.emit(Op::I32Load8U, scratch + k);
            cx.asm.emit(Op::Output, 0);
        }
    }
}

/// Compile with the C convention and render the program text; a convenience
/// for the CLI and tests.
pub fn compile_compute(wasm: &[u8], input: &[u8]) -> Result<Compiled, CompileError> {
    compile(
        wasm,
        &Entry::Compute {
            input: input.to_vec(),
        },
    )
}

impl Compiled {
    /// The instruction at `pc`, with the function it belongs to.
    pub fn describe_pc(&self, pc: u32) -> String {
        let ins = self.program.instrs.get(pc as usize).copied();
        let func = self.function_at(pc).map(|f| f.name.as_str()).unwrap_or("?");
        match ins {
            Some(Instr { .. }) => format!("pc {pc} in {func}: {}", ins.unwrap()),
            None => format!("pc {pc} (outside the program)"),
        }
    }
}

/// Whether any function of the module can change state that outlives a
/// call (memory, globals), so earlier calls must be replayed before a later
/// one. A module that cannot is a set of pure functions.
pub fn module_writes_state(wasm: &[u8]) -> bool {
    let Ok(bytes) = to_binary(wasm) else {
        return true;
    };
    for payload in Parser::new(0).parse_all(&bytes) {
        let Ok(Payload::CodeSectionEntry(body)) = payload else {
            continue;
        };
        let Ok(mut ops) = body.get_operators_reader() else {
            return true;
        };
        while !ops.eof() {
            match ops.read() {
                Ok(op) if writes_state(&op) => return true,
                Ok(_) => {}
                Err(_) => return true,
            }
        }
    }
    false
}

/// The first import hullvm cannot provide: it links `env.output_byte`
/// (`[i32] -> []`) and the spec suite's `spectest` prints, integer globals
/// and memory, each with its own type ([`host`]).
pub fn unresolved_import(wasm: &[u8]) -> Option<String> {
    let bytes = to_binary(wasm).ok()?;
    let mut types: Vec<FuncType> = Vec::new();
    for payload in Parser::new(0).parse_all(&bytes) {
        match payload.ok()? {
            Payload::TypeSection(r) => {
                for t in r.into_iter_err_on_gc_types() {
                    types.push(t.ok()?);
                }
            }
            Payload::ImportSection(r) => {
                for imp in r.into_imports() {
                    let imp = imp.ok()?;
                    let ok = host::provided(imp.module, imp.name, imp.ty, &types).is_some();
                    if !ok {
                        return Some(format!("{}.{}", imp.module, imp.name));
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// Why hullvm will not instantiate a module.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Refused before linking: not text hullvm reads, not a binary, or not
    /// valid with the features asked for.
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// An import hullvm does not provide (named `module.field`).
    #[error("unlinkable: import {0} is not one hullvm provides (it links env.output_byte, [i32] -> [], and spectest's prints, integer globals and memory)")]
    Import(String),
}

/// The link step of instantiation as hullvm would do it: the module must
/// read and validate with `options.features`, and every import must be one
/// hullvm provides ([`unresolved_import`]; the wasmi oracle links the same
/// one). [`compile`] is lazier: it refuses an import only where a compiled
/// function calls it, so pure exports of a module with other imports still
/// run; this is the strict check, for modules the spec suite asserts
/// cannot be linked.
pub fn link(wasm: &[u8], options: &Options) -> Result<(), LinkError> {
    let bytes = to_binary(wasm)?;
    Validator::new_with_features(options.features)
        .validate_all(&bytes)
        .map_err(|e| CompileError::Invalid(e.to_string()))?;
    match unresolved_import(&bytes) {
        Some(import) => Err(LinkError::Import(import)),
        None => Ok(()),
    }
}

/// Whether calling `export` can change memory or globals: some function it
/// can reach (through direct calls, and `call_indirect` to every function
/// of its table with the expected type) stores, sets a global or grows
/// memory. Unknown or unparsable cases (a table whose contents hullvm does
/// not know) count as writing.
pub fn export_writes_state(wasm: &[u8], export: &str) -> bool {
    let Ok(bytes) = to_binary(wasm) else {
        return true;
    };
    let Ok(module) = ModuleInfo::parse(&bytes, WasmFeatures::default()) else {
        return true;
    };
    let Ok(start) = module.export_func(export) else {
        return true;
    };
    function_writes_state(&module, start, false)
}

/// Whether the module's start function can change memory or globals, as
/// [`export_writes_state`] decides it, except that a call of an import
/// hullvm does not provide (another module's function) counts as writing.
/// A module without a start function writes nothing.
pub fn start_writes_state(wasm: &[u8]) -> bool {
    let Ok(bytes) = to_binary(wasm) else {
        return true;
    };
    let Ok(module) = ModuleInfo::parse(&bytes, WasmFeatures::default()) else {
        return true;
    };
    module
        .start
        .is_some_and(|start| function_writes_state(&module, start, true))
}

/// Whether calling function `start` can write state (see
/// [`export_writes_state`]); `foreign_writes`: whether a call of an import
/// hullvm does not provide counts as writing.
fn function_writes_state(module: &ModuleInfo, start: u32, foreign_writes: bool) -> bool {
    use wasmparser::Operator as O;
    let imported = module.num_imported_funcs();
    let mut seen = std::collections::HashSet::new();
    let mut todo = vec![start];
    while let Some(f) = todo.pop() {
        if f < imported {
            let import = &module.imports[f as usize];
            // WASI functions write their results into memory.
            if matches!(import, Import::Wasi(_)) {
                return true;
            }
            let foreign = matches!(import, Import::Unsupported(_));
            if foreign_writes && foreign {
                return true;
            }
            continue;
        }
        if !seen.insert(f) {
            continue;
        }
        let Some(body) = module.bodies.get((f - imported) as usize) else {
            return true;
        };
        let Ok(mut ops) = body.get_operators_reader() else {
            return true;
        };
        while !ops.eof() {
            match ops.read() {
                Ok(O::Call { function_index }) => todo.push(function_index),
                Ok(O::CallIndirect {
                    type_index,
                    table_index,
                }) => match recursion::indirect_callees(module, type_index, table_index) {
                    Some(callees) => todo.extend(callees),
                    None => return true,
                },
                Ok(op) if writes_state(&op) => return true,
                Ok(_) => {}
                Err(_) => return true,
            }
        }
    }
    false
}

/// Operators that change memory, globals or tables.
fn writes_state(op: &wasmparser::Operator) -> bool {
    use wasmparser::Operator as O;
    matches!(
        op,
        O::I32Store { .. }
            | O::I64Store { .. }
            | O::F32Store { .. }
            | O::F64Store { .. }
            | O::I32Store8 { .. }
            | O::I32Store16 { .. }
            | O::I64Store8 { .. }
            | O::I64Store16 { .. }
            | O::I64Store32 { .. }
            | O::GlobalSet { .. }
            | O::MemoryGrow { .. }
            | O::MemoryFill { .. }
            | O::MemoryCopy { .. }
            | O::MemoryInit { .. }
            | O::TableSet { .. }
            | O::TableGrow { .. }
    )
}
