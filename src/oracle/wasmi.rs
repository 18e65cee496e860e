//! The oracle: the same wasm under wasmi, with the same entry and input.

use super::instrument::{
    self, HOOK_MODULE, HOOK_PATH, HOOK_VALUE, HOOK_VALUE64, HOOK_VALUE_F32, HOOK_VALUE_F64,
};
use super::script::{self, Script};
use super::OracleError;
use crate::compile::{self, Entry, Invocation, Num, SourceMap, SourceStep, Trap};
use crate::ending::{Ending, EngineRun, Exhaustion};
use wasmi::{
    Caller, Config, Engine, Instance, Linker, Module, Store, StoreLimits, StoreLimitsBuilder, Val,
};

/// What a wasmi run may use before it is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Units of fuel (about one per wasm instruction).
    pub fuel: u64,
    /// Nested calls before the run traps as call stack exhaustion.
    pub call_depth: usize,
}

impl Budget {
    /// wasmi's own default call depth, which the compiler's call-depth
    /// limit defaults to as well.
    pub const DEFAULT_CALL_DEPTH: usize = compile::DEFAULT_CALL_DEPTH as usize;

    pub fn fuel(fuel: u64) -> Budget {
        Budget {
            fuel,
            call_depth: Budget::DEFAULT_CALL_DEPTH,
        }
    }
}

/// wasmi's source-level trace.
#[derive(Debug, Clone, Default)]
pub struct OracleSteps {
    pub steps: Vec<SourceStep>,
    /// True when the run reported more steps than were kept.
    pub truncated: bool,
}

/// Run `wasm` (binary or text) under wasmi within `budget`: any module
/// wasmi runs, whether or not hullvm's compiler takes it (`hullvm run
/// --engine wasmi`), linked with what hullvm provides ([`compile::host`]);
/// memory grows at most to hullvm's cap. Arguments and results cross as
/// 32-bit words, as in [`crate::compile::Invocation`] and
/// [`Ending::Finished`]: an i32 or f32 is one word, an i64 or f64 two, low
/// word first.
///
/// wasmi's translator recurses over the function body, so large functions
/// (the sudoku corpus program, deeply nested spec modules) get a thread
/// with a roomy stack whatever thread the caller is on.
pub fn run(wasm: &[u8], entry: &Entry, budget: Budget) -> Result<EngineRun, OracleError> {
    let bytes = compile::to_binary(wasm)?;
    run_binary(&bytes, entry, budget, None).map(|(run, _)| run)
}

/// Run `wasm` rewritten by [`instrument::instrument`]: its run (the plain
/// module's, unless instrumenting changed it, which callers check) and its
/// source-level steps, at most `cap` of them.
pub fn run_instrumented(
    wasm: &[u8],
    entry: &Entry,
    budget: Budget,
    map: &SourceMap,
    cap: usize,
) -> Result<(EngineRun, OracleSteps), OracleError> {
    let bytes = instrument::instrument(wasm, map)?;
    let (run, mut steps) = run_binary(&bytes, entry, budget, Some(cap))?;
    for s in &mut steps.steps {
        s.offset = map.op(s.func, s.instr).map_or(0, |o| o.offset);
    }
    Ok((run, steps))
}

/// The C convention's argument words: `compute(const char *input)` gets the
/// address where the NUL-terminated input was written; `compute()` nothing.
fn compute_args(
    store: &mut Store<Host>,
    instance: &wasmi::Instance,
    input: &[u8],
) -> Result<Vec<u32>, OracleError> {
    let func = instance
        .get_func(&*store, "compute")
        .ok_or_else(|| OracleError::Wasmi("no export named \"compute\"".into()))?;
    if func.ty(&*store).params().is_empty() {
        return Ok(Vec::new());
    }
    let heap_base = instance
        .get_global(&*store, "__heap_base")
        .and_then(|g| g.get(&*store).i32())
        .ok_or_else(|| OracleError::Wasmi("no i32 __heap_base export".into()))?;
    let memory = instance
        .get_memory(&*store, "memory")
        .or_else(|| instance.get_memory(&*store, instrument::MEMORY_EXPORT))
        .ok_or_else(|| OracleError::Wasmi("the module has no memory for the input".into()))?;
    let size = memory.data(&*store).len() as u64;
    let addr = compile::input_address(heap_base as u32, input.len(), size)
        .map_err(compile::CompileError::Entry)?;
    let mut bytes = input.to_vec();
    bytes.push(0);
    memory
        .write(store, addr as usize, &bytes)
        .map_err(|e| OracleError::Wasmi(e.to_string()))?;
    Ok(vec![addr])
}

/// Typed values from argument words: one word per i32 or f32, two (low,
/// then high) per i64 or f64.
pub(crate) fn vals_of_words(types: &[wasmi::ValType], words: &[u32]) -> Result<Vec<Val>, String> {
    use wasmi::ValType as T;
    let mut rest = words;
    let mut take = |n: usize| -> Result<u64, String> {
        if rest.len() < n {
            return Err(format!("{} words given, more needed", words.len()));
        }
        let (taken, tail) = rest.split_at(n);
        rest = tail;
        Ok(taken
            .iter()
            .rev()
            .fold(0u64, |acc, &w| (acc << 32) | u64::from(w)))
    };
    let vals = types
        .iter()
        .map(|ty| match ty {
            T::I32 => take(1).map(|w| Val::I32(w as u32 as i32)),
            T::I64 => take(2).map(|w| Val::I64(w as i64)),
            T::F32 => take(1).map(|w| Val::F32(wasmi::F32::from_bits(w as u32))),
            T::F64 => take(2).map(|w| Val::F64(wasmi::F64::from_bits(w))),
            other => Err(format!("a {other:?} parameter has no word form")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if !rest.is_empty() {
        return Err(format!(
            "{} words given, {} left over",
            words.len(),
            rest.len()
        ));
    }
    Ok(vals)
}

/// Result words from typed values, the inverse of [`vals_of_words`].
pub(crate) fn words_of_vals(vals: &[Val]) -> Result<Vec<u32>, String> {
    let mut words = Vec::with_capacity(vals.len());
    for v in vals {
        match v {
            Val::I32(x) => words.push(*x as u32),
            Val::I64(x) => words.extend(compile::words_of_u64(*x as u64)),
            Val::F32(x) => words.push(x.to_bits()),
            Val::F64(x) => words.extend(compile::words_of_u64(x.to_bits())),
            other => return Err(format!("a {:?} result has no word form", other.ty())),
        }
    }
    Ok(words)
}

/// Run a wasm binary; with `record: Some(cap)` it also links the hooks of an
/// instrumented module and keeps up to `cap` steps.
fn run_binary(
    bytes: &[u8],
    entry: &Entry,
    budget: Budget,
    record: Option<usize>,
) -> Result<(EngineRun, OracleSteps), OracleError> {
    let bytes = script::with_memory_exported(bytes, entry)?;
    script::on_thread(
        "wasmi",
        256 << 20,
        || run_here(&bytes, entry, budget, record),
        |why| OracleError::Wasmi(format!("wasmi {why}")),
    )
}

/// The message of a caught panic.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(no message)".into())
}

/// What the host functions collect during a run.
#[derive(Default)]
struct Host {
    output: Vec<u8>,
    steps: OracleSteps,
    cap: usize,
    /// Whether steps are kept: from instantiation, except for a run that
    /// the compiled program starts from a memory image (then only from its
    /// own calls on).
    recording: bool,
    limits: StoreLimits,
}

/// The most bytes a memory may grow to: hullvm's cap
/// ([`compile::MAX_MEMORY_BYTES`]), so that `memory.grow` fails (returns -1)
/// on wasmi exactly where it fails on the transformer. A module whose
/// memory starts larger (hullvm does not compile it) keeps its initial size
/// and cannot grow. The cap is per memory; a module with several compiles
/// only when their reachable sizes fit the cap together, so each stops at
/// its own maximum here too.
pub(crate) fn memory_cap(bytes: &[u8]) -> usize {
    let mut cap = compile::MAX_MEMORY_BYTES;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        if let Ok(wasmparser::Payload::MemorySection(r)) = payload {
            for mem in r.into_iter().flatten() {
                let page = 1u64 << mem.page_size_log2.unwrap_or(16);
                cap = cap.max(mem.initial.saturating_mul(page));
            }
        }
    }
    usize::try_from(cap).unwrap_or(usize::MAX)
}

/// The `spectest` module as hullvm provides it ([`compile::host`]): prints
/// that do nothing, the integer globals, the memory, the table.
fn define_spectest(linker: &mut Linker<Host>, store: &mut Store<Host>) -> Result<(), OracleError> {
    use wasmi::{Global, Memory, MemoryType, Mutability};
    let err = |e: &dyn std::fmt::Display| OracleError::Wasmi(e.to_string());
    let m = "spectest";
    for &(name, params) in compile::host::SPECTEST_PRINTS {
        let params = params
            .iter()
            .map(|&t| match t {
                wasmparser::ValType::I32 => Ok(wasmi::ValType::I32),
                wasmparser::ValType::I64 => Ok(wasmi::ValType::I64),
                wasmparser::ValType::F32 => Ok(wasmi::ValType::F32),
                wasmparser::ValType::F64 => Ok(wasmi::ValType::F64),
                other => Err(err(&format!("spectest.{name} takes a {other}"))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let ty = wasmi::FuncType::new(params, []);
        linker
            .func_new(m, name, ty, |_, _, _| Ok(()))
            .map_err(|e| err(&e))?;
    }
    for &(name, ty, value) in compile::host::SPECTEST_GLOBALS {
        let value = match ty {
            wasmparser::ValType::I64 => Val::I64(value as i64),
            wasmparser::ValType::F32 => Val::F32(wasmi::F32::from_bits(value as u32)),
            wasmparser::ValType::F64 => Val::F64(wasmi::F64::from_bits(value)),
            _ => Val::I32(value as i32),
        };
        let global = Global::new(&mut *store, value, Mutability::Const);
        linker.define(m, name, global).map_err(|e| err(&e))?;
    }
    let (initial, maximum) = compile::host::SPECTEST_MEMORY_PAGES;
    let memory = Memory::new(
        &mut *store,
        MemoryType::new(initial as u32, Some(maximum as u32)),
    )
    .map_err(|e| err(&e))?;
    linker.define(m, "memory", memory).map_err(|e| err(&e))?;
    let (initial, maximum) = compile::host::SPECTEST_TABLE;
    let ty = wasmi::TableType::new(wasmi::RefType::Func, initial as u32, Some(maximum as u32));
    let null = wasmi::Ref::Func(wasmi::Nullable::Null);
    let table = wasmi::Table::new(&mut *store, ty, null).map_err(|e| err(&e))?;
    linker.define(m, "table", table).map_err(|e| err(&e))?;
    Ok(())
}

/// The memory a WASI function works on: the module's `memory` export, or
/// the one the instrumenter exports for it.
pub(crate) const WASI_MEMORY_EXPORTS: [&str; 2] = ["memory", instrument::MEMORY_EXPORT];

/// The WASI functions the module imports and hullvm links
/// ([`super::wasi`]), as wasmi host functions.
fn define_wasi(linker: &mut Linker<Host>, bytes: &[u8]) -> Result<(), OracleError> {
    for (name, ty) in super::wasi::linked_imports(bytes) {
        let wasmi_ty = |types: &[wasmparser::ValType]| {
            types
                .iter()
                .map(|t| match t {
                    wasmparser::ValType::I64 => wasmi::ValType::I64,
                    _ => wasmi::ValType::I32,
                })
                .collect::<Vec<_>>()
        };
        let func_ty = wasmi::FuncType::new(wasmi_ty(ty.params()), wasmi_ty(ty.results()));
        let call_name = name.clone();
        linker
            .func_new(
                compile::host::WASI_MODULE,
                &name,
                func_ty,
                move |mut caller, params, results| {
                    let args: Vec<u64> = params
                        .iter()
                        .map(|v| match v {
                            Val::I64(x) => *x as u64,
                            Val::I32(x) => u64::from(*x as u32),
                            _ => 0,
                        })
                        .collect();
                    let memory = WASI_MEMORY_EXPORTS
                        .iter()
                        .find_map(|n| caller.get_export(n).and_then(wasmi::Extern::into_memory));
                    let mut none = [];
                    let (memory, host) = match memory {
                        Some(m) => m.data_and_store_mut(&mut caller),
                        None => (&mut none[..], caller.data_mut()),
                    };
                    let mut io = super::wasi::Io {
                        memory,
                        output: &mut host.output,
                    };
                    match io.call(&call_name, &args) {
                        Ok(errno) => {
                            if let Some(r) = results.first_mut() {
                                *r = Val::I32(errno);
                            }
                            Ok(())
                        }
                        Err(super::wasi::Stop::Exit(status)) => Err(wasmi::Error::i32_exit(status)),
                        Err(super::wasi::Stop::OutOfBounds) => {
                            Err(wasmi::TrapCode::MemoryOutOfBounds.into())
                        }
                    }
                },
            )
            .map_err(|e| OracleError::Wasmi(e.to_string()))?;
    }
    Ok(())
}

/// Store limits that refuse growth past [`memory_cap`].
fn store_limits(bytes: &[u8]) -> StoreLimits {
    StoreLimitsBuilder::new()
        .memory_size(memory_cap(bytes))
        .build()
}

impl Host {
    /// Keep a step; past the cap, stop the run: the caller compares no
    /// further (and wasmi has overflowed its native stack on long runs of
    /// host calls, corpora/fuzz-regressions/smith-0-1330).
    fn record(&mut self, func: i32, instr: i32, value: Option<u64>) -> Result<(), wasmi::Error> {
        if !self.recording {
            return Ok(());
        }
        if self.steps.steps.len() >= self.cap {
            self.steps.truncated = true;
            return Err(wasmi::Error::new("hullvm: the step cap is reached"));
        }
        self.steps.steps.push(SourceStep {
            func: func as u32,
            instr: instr as u32,
            offset: 0,
            value,
        });
        Ok(())
    }
}

/// The instrumented module's hook `name` for values of type `T`: records
/// `bits(v)` as the step's value and gives `v` back.
fn define_value_hook<T: wasmi::WasmTy + Copy + 'static>(
    linker: &mut Linker<Host>,
    name: &str,
    bits: fn(T) -> u64,
) -> Result<(), OracleError> {
    linker
        .func_wrap(
            HOOK_MODULE,
            name,
            move |mut caller: Caller<'_, Host>,
                  v: T,
                  func: i32,
                  instr: i32|
                  -> Result<T, wasmi::Error> {
                caller.data_mut().record(func, instr, Some(bits(v)))?;
                Ok(v)
            },
        )
        .map_err(|e| OracleError::Wasmi(e.to_string()))?;
    Ok(())
}

fn run_here(
    bytes: &[u8],
    entry: &Entry,
    budget: Budget,
    record: Option<usize>,
) -> Result<(EngineRun, OracleSteps), OracleError> {
    let mut config = Config::default();
    config.consume_fuel(true);
    config.set_max_recursion_depth(budget.call_depth);
    let engine = Engine::new(&config);
    let module = Module::new(&engine, bytes).map_err(|e| OracleError::Wasmi(e.to_string()))?;
    let mut store = Store::new(
        &engine,
        Host {
            cap: record.unwrap_or(0),
            recording: !matches!(entry, Entry::Resume(compile::Resume { image: Some(_), .. })),
            limits: store_limits(bytes),
            ..Host::default()
        },
    );
    store.limiter(|host| &mut host.limits);
    store
        .set_fuel(budget.fuel)
        .map_err(|e| OracleError::Wasmi(e.to_string()))?;
    let mut linker = Linker::<Host>::new(&engine);
    let wasmi_err = |e: wasmi::errors::LinkerError| OracleError::Wasmi(e.to_string());
    linker
        .func_wrap(
            "env",
            "output_byte",
            |mut caller: Caller<'_, Host>, b: i32| {
                caller.data_mut().output.push(b as u8);
            },
        )
        .map_err(wasmi_err)?;
    define_spectest(&mut linker, &mut store)?;
    define_wasi(&mut linker, bytes)?;
    if record.is_some() {
        // Floats are recorded by their bits, a NaN as the canonical NaN (as
        // the lifted trace records it: `Num::comparable`).
        define_value_hook(&mut linker, HOOK_VALUE, |v: i32| v as u32 as u64)?;
        define_value_hook(&mut linker, HOOK_VALUE64, |v: i64| v as u64)?;
        define_value_hook(&mut linker, HOOK_VALUE_F32, |v: wasmi::F32| {
            Num::F32.comparable(v.to_bits() as u64)
        })?;
        define_value_hook(&mut linker, HOOK_VALUE_F64, |v: wasmi::F64| {
            Num::F64.comparable(v.to_bits())
        })?;
        linker
            .func_wrap(
                HOOK_MODULE,
                HOOK_PATH,
                |mut caller: Caller<'_, Host>, func: i32, instr: i32| {
                    caller.data_mut().record(func, instr, None)
                },
            )
            .map_err(wasmi_err)?;
    }

    let finish = |store: &mut Store<Host>, results: Vec<u32>, err: Option<wasmi::Error>| {
        let ending = match err {
            None => Ending::Finished { results },
            // `proc_exit`: the status is a WASI command's one result.
            Some(e) if e.i32_exit_status().is_some() => Ending::Finished {
                results: e.i32_exit_status().into_iter().map(|s| s as u32).collect(),
            },
            Some(_) if store.data().steps.truncated => Ending::Exhausted {
                what: Exhaustion::Steps,
            },
            Some(e) => classify(&e),
        };
        let host = std::mem::take(store.data_mut());
        (
            EngineRun {
                output: host.output,
                ending,
            },
            host.steps,
        )
    };
    let instance = match linker.instantiate_and_start(&mut store, &module) {
        Ok(i) => i,
        // An element segment that does not fit: the instantiation traps.
        Err(e) if is_table_out_of_bounds(&e) => {
            let mut run = finish(&mut store, Vec::new(), None);
            run.0.ending = Ending::Trap {
                trap: Trap::TableOutOfBounds,
            };
            return Ok(run);
        }
        Err(e) if ended_the_run(&e, &store) => return Ok(finish(&mut store, Vec::new(), Some(e))),
        Err(e) => return Err(OracleError::Wasmi(e.to_string())),
    };

    let script = Script::of(entry, |input| compute_args(&mut store, &instance, input))?;
    for call in script.before {
        // Each earlier call gets the budget anew: the budget is measured
        // on the compiled program, which makes only `calls`.
        store
            .set_fuel(budget.fuel)
            .map_err(|e| OracleError::Wasmi(e.to_string()))?;
        match invoke(&instance, &mut store, call) {
            Ok(_) => {}
            // A trap ends that call, not the script.
            Err(Call::Ended(e)) if e.as_trap_code().is_some() && !is_out_of_fuel(&e) => {}
            Err(Call::Ended(e)) => return Ok(finish(&mut store, Vec::new(), Some(e))),
            Err(Call::Failed(e)) => return Err(e),
        }
    }
    if !script.before.is_empty() {
        store
            .set_fuel(budget.fuel)
            .map_err(|e| OracleError::Wasmi(e.to_string()))?;
    }
    store.data_mut().recording = true;
    let mut last = Vec::new();
    for call in &script.calls {
        match invoke(&instance, &mut store, call) {
            Ok(results) => last = results,
            Err(Call::Ended(e)) => return Ok(finish(&mut store, Vec::new(), Some(e))),
            Err(Call::Failed(e)) => return Err(e),
        }
    }
    if let Some(name) = script.read {
        let global = instance
            .get_global(&store, name)
            .ok_or_else(|| OracleError::Wasmi(format!("no global exported as {name:?}")))?;
        last = words_of_vals(&[global.get(&store)]).map_err(OracleError::Wasmi)?;
    }
    Ok(finish(&mut store, script::results(entry, last), None))
}

/// How a call did not return.
enum Call {
    /// A trap, fuel running out or the step cap: the end of a run.
    Ended(wasmi::Error),
    /// wasmi could not make the call.
    Failed(OracleError),
}

/// Call an export with its arguments as words; returns its results as
/// words.
fn invoke(
    instance: &Instance,
    store: &mut Store<Host>,
    call: &Invocation,
) -> Result<Vec<u32>, Call> {
    let failed = |m: String| Call::Failed(OracleError::Wasmi(m));
    let func = instance
        .get_func(&*store, &call.export)
        .ok_or_else(|| failed(format!("no export named {:?}", call.export)))?;
    let ty = func.ty(&*store);
    let params =
        vals_of_words(ty.params(), &call.args).map_err(|e| Call::Failed(OracleError::Wasmi(e)))?;
    let mut results: Vec<Val> = ty
        .results()
        .iter()
        .map(|&t| Val::default_for_ty(t))
        .collect();
    if let Err(e) = func.call(&mut *store, &params, &mut results) {
        return Err(if ended_the_run(&e, store) {
            Call::Ended(e)
        } else {
            Call::Failed(OracleError::Wasmi(e.to_string()))
        });
    }
    words_of_vals(&results).map_err(|e| Call::Failed(OracleError::Wasmi(e)))
}

/// A trap, fuel running out, or the step cap: the run's end, not a failure
/// of wasmi's.
fn ended_the_run(e: &wasmi::Error, store: &Store<Host>) -> bool {
    e.as_trap_code().is_some()
        || e.i32_exit_status().is_some()
        || is_out_of_fuel(e)
        || store.data().steps.truncated
}

/// How wasmi 2 reports an element segment that does not fit its table.
fn is_table_out_of_bounds(e: &wasmi::Error) -> bool {
    matches!(
        e.kind(),
        wasmi::errors::ErrorKind::Instantiation(
            wasmi::errors::InstantiationError::ElementSegmentDoesNotFit { .. }
        )
    )
}

fn is_out_of_fuel(e: &wasmi::Error) -> bool {
    e.as_trap_code() == Some(wasmi::TrapCode::OutOfFuel)
        || e.to_string().to_lowercase().contains("fuel")
}

fn classify(e: &wasmi::Error) -> Ending {
    use wasmi::TrapCode as C;
    let trap = |trap| Ending::Trap { trap };
    match e.as_trap_code() {
        Some(C::OutOfFuel) => Ending::Exhausted {
            what: Exhaustion::Fuel,
        },
        Some(C::UnreachableCodeReached) => trap(Trap::Unreachable),
        Some(C::MemoryOutOfBounds) => trap(Trap::MemoryOutOfBounds),
        Some(C::IntegerDivisionByZero) => trap(Trap::IntegerDivideByZero),
        Some(C::IntegerOverflow) => trap(Trap::IntegerOverflow),
        Some(C::BadConversionToInteger) => trap(Trap::InvalidConversionToInteger),
        Some(C::TableOutOfBounds) => trap(Trap::UndefinedElement),
        Some(C::IndirectCallToNull) => trap(Trap::UninitializedElement),
        Some(C::BadSignature) => trap(Trap::IndirectCallTypeMismatch),
        Some(C::StackOverflow) => Ending::Exhausted {
            what: Exhaustion::CallStack,
        },
        Some(code) => Ending::OtherTrap {
            message: code.trap_message().to_string(),
        },
        None if is_out_of_fuel(e) => Ending::Exhausted {
            what: Exhaustion::Fuel,
        },
        None => Ending::OtherTrap {
            message: e.to_string(),
        },
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A module whose `__heap_base` is 8 bytes below 2^32.
    pub(crate) const HEAP_AT_THE_TOP: &str = r#"(module
  (import "env" "output_byte" (func $out (param i32)))
  (memory (export "memory") 1)
  (global (export "__heap_base") i32 (i32.const -8))
  (func (export "compute") (param i32)
    (call $out (i32.load8_u (local.get 0)))))"#;

    /// Rounding such a base up to 16 must not wrap the input to address 0.
    #[test]
    fn an_input_above_the_top_of_memory_is_refused() {
        let entry = Entry::Compute {
            input: b"x".to_vec(),
        };
        let err = run(HEAP_AT_THE_TOP.as_bytes(), &entry, Budget::fuel(1_000_000)).unwrap_err();
        assert!(
            err.to_string()
                .contains("do not fit in memory above __heap_base"),
            "{err}"
        );
    }
}

#[cfg(test)]
mod word_tests {
    use super::*;
    use crate::compile::Invocation;

    const EDGES: [u64; 7] = [
        0,
        1,
        u64::MAX,
        1 << 31,
        1 << 32,
        i64::MIN as u64,
        i64::MAX as u64,
    ];

    #[test]
    fn words_and_values_round_trip_low_word_first() {
        use wasmi::ValType as T;
        let types = [T::I32, T::I64, T::F64, T::F32];
        for &x in &EDGES {
            let words = [
                7,
                x as u32,
                (x >> 32) as u32,
                !x as u32,
                (!x >> 32) as u32,
                9,
            ];
            let vals = vals_of_words(&types, &words).unwrap();
            assert_eq!(vals[1].i64(), Some(x as i64));
            assert_eq!(words_of_vals(&vals).unwrap(), words);
        }
        assert!(vals_of_words(&[T::I64], &[1]).is_err(), "half an i64");
        assert!(
            vals_of_words(&[T::I32], &[1, 2]).is_err(),
            "a word left over"
        );
    }

    /// An i64 export: its arguments and results cross as words, low first,
    /// and equal the host's arithmetic.
    #[test]
    fn i64_arguments_and_results_are_word_pairs() {
        let wat = r#"(module
  (func (export "mul_add") (param i64 i64 i32) (result i64 i32)
    (i64.add (i64.mul (local.get 0) (local.get 1)) (i64.extend_i32_u (local.get 2)))
    (local.get 2)))"#;
        for &a in &EDGES {
            for &b in &EDGES {
                let words = |x: u64| [x as u32, (x >> 32) as u32];
                let args = [&words(a)[..], &words(b)[..], &[5]].concat();
                let entry = Entry::Invoke(vec![Invocation {
                    export: "mul_add".into(),
                    args,
                }]);
                let run = run(wat.as_bytes(), &entry, Budget::fuel(1_000)).unwrap();
                let want = a.wrapping_mul(b).wrapping_add(5);
                let results = [&words(want)[..], &[5]].concat();
                assert_eq!(run.ending, Ending::Finished { results }, "{a:#x} * {b:#x}");
            }
        }
    }
}
