//! wasmtime as a third engine (cargo feature `wasmtime`): `hullvm run
//! --engine wasmtime`, and an arbiter beside wasmi 0.31 when wasmi 2
//! disagrees with the transformer.
//!
//! wasmtime compiles wasm to native code with Cranelift, so it shares
//! neither wasmi's interpreters nor their translation: where it agrees with
//! the transformer against wasmi 2, the evidence is independent. It gets
//! the same entry, input, host functions ([`compile::host`], the WASI calls
//! of [`super::wasi`]), fuel and memory cap as wasmi. Its call depth is
//! bounded by stack bytes, not frames, so it may exhaust its stack at
//! another depth than wasmi: such a run is incomparable, never a verdict.

use super::script::{self, Script};
use super::wasmi::{memory_cap, Budget, WASI_MEMORY_EXPORTS};
use super::OracleError;
use crate::compile::{self, Entry, Invocation, Trap};
use crate::ending::{Ending, EngineRun, Exhaustion};
use wasmtime::{
    Caller, Config, Engine, Extern, FuncType, Global, GlobalType, Instance, Linker, Memory,
    MemoryType, Module, Mutability, Ref, RefType, Store, StoreLimits, StoreLimitsBuilder, Table,
    TableType, Val, ValType,
};

/// The store's data: the output bytes and the limits on memory growth.
struct Host {
    output: Vec<u8>,
    limits: StoreLimits,
}

/// `proc_exit`'s status, carried out of the host call as an error.
#[derive(Debug, thiserror::Error)]
#[error("proc_exit({0})")]
struct Exit(i32);

/// The native stack wasm may use: the most wasmtime allows without its
/// `async` feature (its async stack size, 2 MiB), some 10^4 small frames,
/// deeper than wasmi's default call depth. The thread it runs on has room
/// for Cranelift's and the host's own frames besides.
const WASM_STACK: usize = 2 << 20;
const THREAD_STACK: usize = 32 << 20;

/// Run `wasm` (binary or text) under wasmtime within `budget`: the same
/// entry, input and host functions as [`super::wasmi::run`].
pub fn run(wasm: &[u8], entry: &Entry, budget: Budget) -> Result<EngineRun, OracleError> {
    let bytes = compile::to_binary(wasm)?;
    let bytes = script::with_memory_exported(&bytes, entry)?;
    script::on_thread(
        "wasmtime",
        THREAD_STACK,
        || run_here(&bytes, entry, budget),
        |why| fail(&why),
    )
}

fn run_here(bytes: &[u8], entry: &Entry, budget: Budget) -> Result<EngineRun, OracleError> {
    let mut config = Config::new();
    config.consume_fuel(true);
    config.max_wasm_stack(WASM_STACK);
    let engine = Engine::new(&config).map_err(|e| fail(&e))?;
    let module = Module::new(&engine, bytes).map_err(|e| fail(&e))?;
    let host = Host {
        output: Vec::new(),
        // Growth fails past hullvm's cap, as on wasmi and the transformer.
        limits: StoreLimitsBuilder::new()
            .memory_size(memory_cap(bytes))
            .build(),
    };
    let mut store = Store::new(&engine, host);
    store.limiter(|host| &mut host.limits);
    store.set_fuel(budget.fuel).map_err(|e| fail(&e))?;
    let mut linker = Linker::<Host>::new(&engine);
    linker
        .func_wrap(
            "env",
            "output_byte",
            |mut caller: Caller<'_, Host>, b: i32| caller.data_mut().output.push(b as u8),
        )
        .map_err(|e| fail(&e))?;
    define_spectest(&mut linker, &mut store)?;
    define_wasi(&mut linker, bytes)?;
    let ended = |store: &mut Store<Host>, ending| EngineRun {
        output: std::mem::take(&mut store.data_mut().output),
        ending,
    };
    let instance = match linker.instantiate(&mut store, &module) {
        Ok(i) => i,
        Err(e) => match ending(&e, true) {
            Some(ending) => return Ok(ended(&mut store, ending)),
            None => return Err(fail(&e)),
        },
    };
    let script = Script::of(entry, |input| compute_args(&instance, &mut store, input))?;
    for call in script.before {
        // As on wasmi: each earlier call gets the budget anew, and a trap
        // ends that call, not the script.
        store.set_fuel(budget.fuel).map_err(|e| fail(&e))?;
        if let Err(e) = invoke(&instance, &mut store, call)? {
            match ending(&e, false) {
                Some(Ending::Trap { .. }) => {}
                Some(ending) => return Ok(ended(&mut store, ending)),
                None => return Err(fail(&e)),
            }
        }
    }
    store.set_fuel(budget.fuel).map_err(|e| fail(&e))?;
    let mut last = Vec::new();
    for call in &script.calls {
        match invoke(&instance, &mut store, call)? {
            Ok(results) => last = results,
            Err(e) => match ending(&e, false) {
                Some(ending) => return Ok(ended(&mut store, ending)),
                None => return Err(fail(&e)),
            },
        }
    }
    if let Some(name) = script.read {
        let global = instance
            .get_global(&mut store, name)
            .ok_or_else(|| fail(&format!("no global exported as {name:?}")))?;
        last = words_of_vals(&[global.get(&mut store)])?;
    }
    let results = script::results(entry, last);
    Ok(ended(&mut store, Ending::Finished { results }))
}

fn fail(e: &dyn std::fmt::Display) -> OracleError {
    OracleError::Wasmtime(e.to_string())
}

/// How a run ends on an error from instantiating or calling: a trap,
/// running out of fuel or stack, or `proc_exit` (its status is a WASI
/// command's one result). `None`: wasmtime failed, nothing the module did.
fn ending(e: &wasmtime::Error, instantiating: bool) -> Option<Ending> {
    if let Some(Exit(status)) = e.downcast_ref::<Exit>() {
        return Some(Ending::Finished {
            results: vec![*status as u32],
        });
    }
    let trap = |trap| Some(Ending::Trap { trap });
    match e.downcast_ref::<wasmtime::Trap>()? {
        wasmtime::Trap::OutOfFuel => Some(Ending::Exhausted {
            what: Exhaustion::Fuel,
        }),
        wasmtime::Trap::StackOverflow => Some(Ending::Exhausted {
            what: Exhaustion::CallStack,
        }),
        wasmtime::Trap::UnreachableCodeReached => trap(Trap::Unreachable),
        wasmtime::Trap::MemoryOutOfBounds => trap(Trap::MemoryOutOfBounds),
        wasmtime::Trap::IntegerDivisionByZero => trap(Trap::IntegerDivideByZero),
        wasmtime::Trap::IntegerOverflow => trap(Trap::IntegerOverflow),
        wasmtime::Trap::BadConversionToInteger => trap(Trap::InvalidConversionToInteger),
        // An element segment that does not fit traps the instantiation; in
        // a call, only `call_indirect` reads a table hullvm compiles.
        wasmtime::Trap::TableOutOfBounds if instantiating => trap(Trap::TableOutOfBounds),
        wasmtime::Trap::TableOutOfBounds => trap(Trap::UndefinedElement),
        wasmtime::Trap::IndirectCallToNull => trap(Trap::UninitializedElement),
        wasmtime::Trap::BadSignature => trap(Trap::IndirectCallTypeMismatch),
        other => Some(Ending::OtherTrap {
            message: other.to_string(),
        }),
    }
}

/// The C convention's argument words, as [`super::wasmi`] makes them.
fn compute_args(
    instance: &Instance,
    store: &mut Store<Host>,
    input: &[u8],
) -> Result<Vec<u32>, OracleError> {
    let func = instance
        .get_func(&mut *store, "compute")
        .ok_or_else(|| fail(&"no export named \"compute\""))?;
    if func.ty(&*store).params().len() == 0 {
        return Ok(Vec::new());
    }
    let heap_base = instance
        .get_global(&mut *store, "__heap_base")
        .and_then(|g| g.get(&mut *store).i32())
        .ok_or_else(|| fail(&"no i32 __heap_base export"))?;
    let memory = instance
        .get_memory(&mut *store, "memory")
        .or_else(|| instance.get_memory(&mut *store, super::instrument::MEMORY_EXPORT))
        .ok_or_else(|| fail(&"the module has no memory for the input"))?;
    let size = memory.data_size(&*store) as u64;
    let addr = compile::input_address(heap_base as u32, input.len(), size)
        .map_err(compile::CompileError::Entry)?;
    let mut bytes = input.to_vec();
    bytes.push(0);
    memory
        .write(&mut *store, addr as usize, &bytes)
        .map_err(|e| fail(&e))?;
    Ok(vec![addr])
}

/// Call an export with its arguments as words: its results as words, or
/// how the call ended (the outer error: the call could not be made).
fn invoke(
    instance: &Instance,
    store: &mut Store<Host>,
    call: &Invocation,
) -> Result<Result<Vec<u32>, wasmtime::Error>, OracleError> {
    let func = instance
        .get_func(&mut *store, &call.export)
        .ok_or_else(|| fail(&format!("no export named {:?}", call.export)))?;
    let ty = func.ty(&*store);
    let params = vals_of_words(ty.params(), &call.args)?;
    let mut results: Vec<Val> = ty
        .results()
        .map(|t| Val::default_for_ty(&t).unwrap_or(Val::I32(0)))
        .collect();
    Ok(match func.call(&mut *store, &params, &mut results) {
        Ok(()) => Ok(words_of_vals(&results)?),
        Err(e) => Err(e),
    })
}

/// Typed values from argument words: one word per i32 or f32, two (low,
/// then high) per i64 or f64.
fn vals_of_words(
    types: impl ExactSizeIterator<Item = ValType>,
    words: &[u32],
) -> Result<Vec<Val>, OracleError> {
    let mut words = words.iter().copied();
    let mut next = || {
        words
            .next()
            .ok_or_else(|| fail(&"fewer argument words than parameters"))
    };
    let mut vals = Vec::with_capacity(types.len());
    for t in types {
        vals.push(match t {
            ValType::I32 => Val::I32(next()? as i32),
            ValType::F32 => Val::F32(next()?),
            ValType::I64 => Val::I64(compile::u64_of_words(next()?, next()?) as i64),
            ValType::F64 => Val::F64(compile::u64_of_words(next()?, next()?)),
            other => return Err(fail(&format!("a parameter of type {other}"))),
        });
    }
    match words.next() {
        None => Ok(vals),
        Some(_) => Err(fail(&"more argument words than parameters")),
    }
}

fn words_of_vals(vals: &[Val]) -> Result<Vec<u32>, OracleError> {
    let mut words = Vec::with_capacity(vals.len());
    for v in vals {
        match v {
            Val::I32(x) => words.push(*x as u32),
            Val::F32(bits) => words.push(*bits),
            Val::I64(x) => words.extend(compile::words_of_u64(*x as u64)),
            Val::F64(bits) => words.extend(compile::words_of_u64(*bits)),
            _ => return Err(fail(&"a result that is not a number")),
        }
    }
    Ok(words)
}

fn val_type(t: wasmparser::ValType) -> Result<ValType, OracleError> {
    match t {
        wasmparser::ValType::I32 => Ok(ValType::I32),
        wasmparser::ValType::I64 => Ok(ValType::I64),
        wasmparser::ValType::F32 => Ok(ValType::F32),
        wasmparser::ValType::F64 => Ok(ValType::F64),
        other => Err(fail(&format!("a host function of type {other}"))),
    }
}

/// The `spectest` module as hullvm provides it ([`compile::host`]).
fn define_spectest(linker: &mut Linker<Host>, store: &mut Store<Host>) -> Result<(), OracleError> {
    let m = "spectest";
    for &(name, params) in compile::host::SPECTEST_PRINTS {
        let params = params
            .iter()
            .map(|&t| val_type(t))
            .collect::<Result<Vec<_>, _>>()?;
        let ty = FuncType::new(store.engine(), params, []);
        linker
            .func_new(m, name, ty, |_, _, _| Ok(()))
            .map_err(|e| fail(&e))?;
    }
    for &(name, ty, value) in compile::host::SPECTEST_GLOBALS {
        let ty = val_type(ty)?;
        let value = match ty {
            ValType::I64 => Val::I64(value as i64),
            ValType::F32 => Val::F32(value as u32),
            ValType::F64 => Val::F64(value),
            _ => Val::I32(value as i32),
        };
        let global = Global::new(&mut *store, GlobalType::new(ty, Mutability::Const), value)
            .map_err(|e| fail(&e))?;
        linker
            .define(&*store, m, name, global)
            .map_err(|e| fail(&e))?;
    }
    let (initial, maximum) = compile::host::SPECTEST_MEMORY_PAGES;
    let ty = MemoryType::new(initial as u32, Some(maximum as u32));
    let memory = Memory::new(&mut *store, ty).map_err(|e| fail(&e))?;
    linker
        .define(&*store, m, "memory", memory)
        .map_err(|e| fail(&e))?;
    let (initial, maximum) = compile::host::SPECTEST_TABLE;
    let ty = TableType::new(RefType::FUNCREF, initial as u32, Some(maximum as u32));
    let table = Table::new(&mut *store, ty, Ref::Func(None)).map_err(|e| fail(&e))?;
    linker
        .define(&*store, m, "table", table)
        .map_err(|e| fail(&e))?;
    Ok(())
}

/// The WASI functions the module imports and hullvm links
/// ([`super::wasi`]), as wasmtime host functions.
fn define_wasi(linker: &mut Linker<Host>, bytes: &[u8]) -> Result<(), OracleError> {
    let engine = linker.engine().clone();
    for (name, ty) in super::wasi::linked_imports(bytes) {
        let types = |types: &[wasmparser::ValType]| {
            types
                .iter()
                .map(|&t| val_type(t))
                .collect::<Result<Vec<_>, _>>()
        };
        let func_ty = FuncType::new(&engine, types(ty.params())?, types(ty.results())?);
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
                        .find_map(|n| caller.get_export(n).and_then(Extern::into_memory));
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
                        Err(super::wasi::Stop::Exit(status)) => {
                            Err(wasmtime::Error::new(Exit(status)))
                        }
                        Err(super::wasi::Stop::OutOfBounds) => {
                            Err(wasmtime::Error::new(wasmtime::Trap::MemoryOutOfBounds))
                        }
                    }
                },
            )
            .map_err(|e| fail(&e))?;
    }
    Ok(())
}
