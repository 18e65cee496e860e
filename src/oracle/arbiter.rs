//! The arbiter: a second wasm engine, asked only when wasmi and hullvm
//! disagree.
//!
//! wasmi 2 translates wasm into register code with fused instructions, and
//! the fuzzer has found that translation wrong (a `select` whose condition
//! is an `i32.eqz`, see `corpora/fuzz-regressions`). wasmi 0.31 is the last
//! release of wasmi's stack-machine interpreter: it executes the wasm
//! operators one by one and shares none of that translation, so where it,
//! the reference tracer and the transformer agree against wasmi 2, the
//! disagreement is wasmi 2's.

use super::script::{self, Script};
use super::wasmi::Budget;
use super::OracleError;
use crate::compile::{self, Entry, Invocation, Trap};
use crate::ending::{Ending, EngineRun, Exhaustion};
use wasmi_stack::core::{TrapCode, F32, F64};
use wasmi_stack::errors::MemoryError;
use wasmi_stack::{
    Caller, Config, Engine, Instance, Linker, Module, StackLimits, Store, StoreLimits,
    StoreLimitsBuilder, Value,
};

/// The store's data: the output bytes and the limits on memory growth.
struct Host {
    output: Vec<u8>,
    limits: StoreLimits,
}

/// Run `wasm` (binary or text) under wasmi 0.31 within `budget`: the same
/// entry, input and host function as [`super::wasmi::run`].
pub fn run(wasm: &[u8], entry: &Entry, budget: Budget) -> Result<EngineRun, OracleError> {
    let bytes = compile::to_binary(wasm)?;
    let bytes = script::with_memory_exported(&bytes, entry)?;
    script::on_thread(
        "wasmi 0.31",
        256 << 20,
        || run_here(&bytes, entry, budget),
        |why| OracleError::Wasmi(format!("wasmi 0.31 {why}")),
    )
}

fn run_here(bytes: &[u8], entry: &Entry, budget: Budget) -> Result<EngineRun, OracleError> {
    let mut config = Config::default();
    config.consume_fuel(true);
    // wasmi 2's call depth, with wasmi 0.31's default value stack (1 MiB of
    // 8-byte cells). 0.31 counts only the frames under the running one, so
    // it is given one less to stop at the same call as wasmi 2: at the
    // call-depth boundary it must not side with the transformer, whose
    // limit counts only recursive frames (`compile::Options::call_depth`).
    const CELLS: usize = 1 << 17;
    let depth = budget.call_depth.saturating_sub(1);
    let stack = StackLimits::new(CELLS / 1024, CELLS, depth).map_err(|e| fail(&e))?;
    config.set_stack_limits(stack);
    let engine = Engine::new(&config);
    let module = Module::new(&engine, bytes).map_err(|e| fail(&e))?;
    let host = Host {
        output: Vec::new(),
        // Growth fails past hullvm's cap, as on wasmi 2 and the transformer.
        limits: StoreLimitsBuilder::new()
            .memory_size(super::wasmi::memory_cap(bytes))
            .build(),
    };
    let mut store = Store::new(&engine, host);
    store.limiter(|host| &mut host.limits);
    store.add_fuel(budget.fuel).map_err(|e| fail(&e))?;
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
    let instance = match linker
        .instantiate(&mut store, &module)
        .and_then(|pre| pre.start(&mut store))
    {
        Ok(i) => i,
        Err(wasmi_stack::Error::Trap(t)) => {
            return Ok(ended(&mut store, classify(t.trap_code())));
        }
        // An element segment out of bounds: instantiation traps (as wasmi 2
        // reports it).
        Err(wasmi_stack::Error::Instantiation(
            wasmi_stack::errors::InstantiationError::ElementSegmentDoesNotFit { .. },
        )) => {
            return Ok(ended(
                &mut store,
                Ending::Trap {
                    trap: Trap::TableOutOfBounds,
                },
            ));
        }
        // A data segment out of bounds: instantiation traps (as wasmi 2
        // reports it).
        Err(wasmi_stack::Error::Memory(MemoryError::OutOfBoundsAccess)) => {
            return Ok(ended(
                &mut store,
                classify(Some(TrapCode::MemoryOutOfBounds)),
            ));
        }
        Err(e) => return Err(fail(&e)),
    };

    let script = Script::of(entry, |input| compute_args(&instance, &mut store, input))?;
    for call in script.before {
        // As wasmi 2 does: each earlier call gets the budget anew, and a
        // trap ends that call, not the script.
        refuel(&mut store, budget.fuel)?;
        match invoke(&instance, &mut store, call) {
            Ok(_) => {}
            Err(wasmi_stack::Error::Trap(t))
                if !matches!(t.trap_code(), Some(TrapCode::OutOfFuel)) => {}
            Err(wasmi_stack::Error::Trap(t)) => {
                return Ok(ended(&mut store, classify(t.trap_code())))
            }
            Err(e) => return Err(fail(&e)),
        }
    }
    if !script.before.is_empty() {
        refuel(&mut store, budget.fuel)?;
    }
    let mut last = Vec::new();
    for call in &script.calls {
        match invoke(&instance, &mut store, call) {
            Ok(results) => last = results,
            // `proc_exit`: the status is a WASI command's one result.
            Err(wasmi_stack::Error::Trap(t)) if t.i32_exit_status().is_some() => {
                let status = t.i32_exit_status().into_iter().map(|s| s as u32);
                let ending = Ending::Finished {
                    results: status.collect(),
                };
                return Ok(ended(&mut store, ending));
            }
            Err(wasmi_stack::Error::Trap(t)) => {
                return Ok(ended(&mut store, classify(t.trap_code())));
            }
            Err(e) => return Err(fail(&e)),
        }
    }
    if let Some(name) = script.read {
        let global = instance
            .get_global(&store, name)
            .ok_or_else(|| fail(&format!("no global exported as {name:?}")))?;
        last = values_to_words(&[global.get(&store)])
            .ok_or_else(|| fail(&"a global that is not i32 or i64"))?;
    }
    let results = script::results(entry, last);
    Ok(ended(&mut store, Ending::Finished { results }))
}

fn fail(e: &dyn std::fmt::Display) -> OracleError {
    OracleError::Wasmi(format!("wasmi 0.31: {e}"))
}

/// Top the fuel left up to `fuel`.
fn refuel(store: &mut Store<Host>, fuel: u64) -> Result<(), OracleError> {
    let left = store.consume_fuel(0).map_err(|e| fail(&e))?;
    if left < fuel {
        store.add_fuel(fuel - left).map_err(|e| fail(&e))?;
    }
    Ok(())
}

/// The C convention's argument words, as [`super::wasmi`] makes them.
fn compute_args(
    instance: &Instance,
    store: &mut Store<Host>,
    input: &[u8],
) -> Result<Vec<u32>, OracleError> {
    let func = instance
        .get_func(&*store, "compute")
        .ok_or_else(|| fail(&"no export named \"compute\""))?;
    let mut args = Vec::new();
    if func.ty(&*store).params().len() == 1 {
        let heap_base = instance
            .get_global(&*store, "__heap_base")
            .and_then(|g| g.get(&*store).i32())
            .ok_or_else(|| fail(&"no __heap_base export"))?;
        let memory = instance
            .get_memory(&*store, "memory")
            .or_else(|| instance.get_memory(&*store, super::instrument::MEMORY_EXPORT))
            .ok_or_else(|| fail(&"the module has no memory for the input"))?;
        let size = memory.data(&*store).len() as u64;
        let addr = compile::input_address(heap_base as u32, input.len(), size)
            .map_err(compile::CompileError::Entry)?;
        let mut bytes = input.to_vec();
        bytes.push(0);
        memory
            .write(&mut *store, addr as usize, &bytes)
            .map_err(|e| fail(&e))?;
        args.push(addr);
    }
    Ok(args)
}

/// Call an export with its arguments as words; its results as words.
fn invoke(
    instance: &Instance,
    store: &mut Store<Host>,
    call: &Invocation,
) -> Result<Vec<u32>, wasmi_stack::Error> {
    let message = |m: String| wasmi_stack::Error::from(wasmi_stack::core::Trap::new(m));
    let func = instance
        .get_func(&*store, &call.export)
        .ok_or_else(|| message(format!("no export named {:?}", call.export)))?;
    let ty = func.ty(&*store);
    let params = words_to_values(ty.params(), &call.args)
        .ok_or_else(|| message("arguments that do not fit the parameters".into()))?;
    let mut results: Vec<Value> = ty.results().iter().map(|&t| Value::default(t)).collect();
    func.call(&mut *store, &params, &mut results)?;
    values_to_words(&results).ok_or_else(|| message("a result that is not i32 or i64".into()))
}

/// The `spectest` module as hullvm provides it (as in [`super::wasmi`]).
fn define_spectest(linker: &mut Linker<Host>, store: &mut Store<Host>) -> Result<(), OracleError> {
    use wasmi_stack::core::ValueType;
    use wasmi_stack::{Global, Memory, MemoryType, Mutability};
    let m = "spectest";
    for &(name, params) in compile::host::SPECTEST_PRINTS {
        let params = params
            .iter()
            .map(|&t| match t {
                wasmparser::ValType::I32 => Ok(ValueType::I32),
                wasmparser::ValType::I64 => Ok(ValueType::I64),
                wasmparser::ValType::F32 => Ok(ValueType::F32),
                wasmparser::ValType::F64 => Ok(ValueType::F64),
                other => Err(fail(&format!("spectest.{name} takes a {other}"))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let ty = wasmi_stack::FuncType::new(params, []);
        linker
            .func_new(m, name, ty, |_, _, _| Ok(()))
            .map_err(|e| fail(&e))?;
    }
    for &(name, ty, value) in compile::host::SPECTEST_GLOBALS {
        let value = match ty {
            wasmparser::ValType::I64 => Value::I64(value as i64),
            wasmparser::ValType::F32 => Value::F32(F32::from_bits(value as u32)),
            wasmparser::ValType::F64 => Value::F64(F64::from_bits(value)),
            _ => Value::I32(value as i32),
        };
        let global = Global::new(&mut *store, value, Mutability::Const);
        linker.define(m, name, global).map_err(|e| fail(&e))?;
    }
    let (initial, maximum) = compile::host::SPECTEST_MEMORY_PAGES;
    let ty = MemoryType::new(initial as u32, Some(maximum as u32)).map_err(|e| fail(&e))?;
    let memory = Memory::new(&mut *store, ty).map_err(|e| fail(&e))?;
    linker.define(m, "memory", memory).map_err(|e| fail(&e))?;
    let (initial, maximum) = compile::host::SPECTEST_TABLE;
    let ty = wasmi_stack::TableType::new(
        wasmi_stack::core::ValueType::FuncRef,
        initial as u32,
        Some(maximum as u32),
    );
    let null = Value::default(wasmi_stack::core::ValueType::FuncRef);
    let table = wasmi_stack::Table::new(&mut *store, ty, null).map_err(|e| fail(&e))?;
    linker.define(m, "table", table).map_err(|e| fail(&e))?;
    Ok(())
}

/// The WASI functions the module imports and hullvm links, as in
/// [`super::wasmi`] (both call [`super::wasi::Io`]).
fn define_wasi(linker: &mut Linker<Host>, bytes: &[u8]) -> Result<(), OracleError> {
    use wasmi_stack::core::ValueType;
    for (name, ty) in super::wasi::linked_imports(bytes) {
        let types = |types: &[wasmparser::ValType]| {
            types
                .iter()
                .map(|t| match t {
                    wasmparser::ValType::I64 => ValueType::I64,
                    _ => ValueType::I32,
                })
                .collect::<Vec<_>>()
        };
        let func_ty = wasmi_stack::FuncType::new(types(ty.params()), types(ty.results()));
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
                            Value::I64(x) => *x as u64,
                            Value::I32(x) => u64::from(*x as u32),
                            _ => 0,
                        })
                        .collect();
                    let memory = super::wasmi::WASI_MEMORY_EXPORTS.iter().find_map(|n| {
                        caller
                            .get_export(n)
                            .and_then(wasmi_stack::Extern::into_memory)
                    });
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
                                *r = Value::I32(errno);
                            }
                            Ok(())
                        }
                        Err(super::wasi::Stop::Exit(status)) => {
                            Err(wasmi_stack::core::Trap::i32_exit(status))
                        }
                        Err(super::wasi::Stop::OutOfBounds) => {
                            Err(TrapCode::MemoryOutOfBounds.into())
                        }
                    }
                },
            )
            .map_err(|e| fail(&e))?;
    }
    Ok(())
}

/// Arguments from 32-bit words (an i64 or f64 is two, low first; a float
/// its bits), as in [`super::wasmi`].
fn words_to_values(types: &[wasmi_stack::core::ValueType], words: &[u32]) -> Option<Vec<Value>> {
    use wasmi_stack::core::ValueType as T;
    let mut words = words.iter().copied();
    let values = types
        .iter()
        .map(|t| match t {
            T::I32 => Some(Value::I32(words.next()? as i32)),
            T::I64 => {
                let lo = words.next()?;
                Some(Value::I64(compile::u64_of_words(lo, words.next()?) as i64))
            }
            T::F32 => Some(Value::F32(F32::from_bits(words.next()?))),
            T::F64 => {
                let lo = words.next()?;
                Some(Value::F64(F64::from_bits(compile::u64_of_words(
                    lo,
                    words.next()?,
                ))))
            }
            T::FuncRef | T::ExternRef => None,
        })
        .collect::<Option<Vec<_>>>()?;
    words.next().is_none().then_some(values)
}

fn values_to_words(values: &[Value]) -> Option<Vec<u32>> {
    let mut words = Vec::with_capacity(values.len());
    for v in values {
        match v {
            Value::I32(x) => words.push(*x as u32),
            Value::I64(x) => words.extend(compile::words_of_u64(*x as u64)),
            Value::F32(x) => words.push(x.to_bits()),
            Value::F64(x) => words.extend(compile::words_of_u64(x.to_bits())),
            _ => return None,
        }
    }
    Some(words)
}

fn classify(code: Option<TrapCode>) -> Ending {
    let trap = |trap| Ending::Trap { trap };
    match code {
        Some(TrapCode::OutOfFuel) => Ending::Exhausted {
            what: Exhaustion::Fuel,
        },
        Some(TrapCode::UnreachableCodeReached) => trap(Trap::Unreachable),
        Some(TrapCode::MemoryOutOfBounds) => trap(Trap::MemoryOutOfBounds),
        Some(TrapCode::IntegerDivisionByZero) => trap(Trap::IntegerDivideByZero),
        Some(TrapCode::IntegerOverflow) => trap(Trap::IntegerOverflow),
        Some(TrapCode::BadConversionToInteger) => trap(Trap::InvalidConversionToInteger),
        Some(TrapCode::TableOutOfBounds) => trap(Trap::UndefinedElement),
        Some(TrapCode::IndirectCallToNull) => trap(Trap::UninitializedElement),
        Some(TrapCode::BadSignature) => trap(Trap::IndirectCallTypeMismatch),
        Some(TrapCode::StackOverflow) => Ending::Exhausted {
            what: Exhaustion::CallStack,
        },
        Some(code) => Ending::OtherTrap {
            message: code.trap_message().to_string(),
        },
        None => Ending::OtherTrap {
            message: "a host error".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// wasmi 0.31 refuses an input that would wrap past 2^32, as wasmi 2 does.
    #[test]
    fn an_input_above_the_top_of_memory_is_refused() {
        let entry = Entry::Compute {
            input: b"x".to_vec(),
        };
        let wat = super::super::wasmi::tests::HEAP_AT_THE_TOP;
        let err = run(wat.as_bytes(), &entry, Budget::fuel(1_000_000)).unwrap_err();
        assert!(
            err.to_string()
                .contains("do not fit in memory above __heap_base"),
            "{err}"
        );
    }
}
