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

use super::wasmi::Budget;
use super::OracleError;
use crate::compile::{self, Entry, Trap};
use crate::ending::{Ending, EngineRun, Exhaustion};
use wasmi_stack::core::TrapCode;
use wasmi_stack::{
    Caller, Config, Engine, Linker, Module, StackLimits, Store, StoreLimits, StoreLimitsBuilder,
    Value,
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
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("wasmi 0.31".into())
            .stack_size(256 << 20)
            .spawn_scoped(s, || run_here(&bytes, entry, budget))
            .expect("spawn the arbiter thread")
            .join()
            .unwrap_or_else(|panic| {
                Err(OracleError::Wasmi(format!(
                    "wasmi 0.31 panicked: {}",
                    super::wasmi::panic_message(&*panic)
                )))
            })
    })
}

fn run_here(bytes: &[u8], entry: &Entry, budget: Budget) -> Result<EngineRun, OracleError> {
    let fail = |e: &dyn std::fmt::Display| OracleError::Wasmi(format!("wasmi 0.31: {e}"));
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
        Err(e) => return Err(fail(&e)),
    };

    let calls: Vec<(String, Vec<u32>)> = match entry {
        Entry::Compute { input } => {
            let func = instance
                .get_func(&store, "compute")
                .ok_or_else(|| fail(&"no export named \"compute\""))?;
            let mut args = Vec::new();
            if func.ty(&store).params().len() == 1 {
                let heap_base = instance
                    .get_global(&store, "__heap_base")
                    .and_then(|g| g.get(&store).i32())
                    .ok_or_else(|| fail(&"no __heap_base export"))?;
                let memory = instance
                    .get_memory(&store, "memory")
                    .ok_or_else(|| fail(&"no memory export"))?;
                let size = memory.data(&store).len() as u64;
                let addr = compile::input_address(heap_base as u32, input.len(), size)
                    .map_err(compile::CompileError::Entry)?;
                let mut bytes = input.clone();
                bytes.push(0);
                memory
                    .write(&mut store, addr as usize, &bytes)
                    .map_err(|e| fail(&e))?;
                args.push(addr);
            }
            vec![("compute".to_string(), args)]
        }
        Entry::Invoke(calls) => calls
            .iter()
            .map(|c| (c.export.clone(), c.args.clone()))
            .collect(),
    };

    let mut last = Vec::new();
    for (name, args) in calls {
        let func = instance
            .get_func(&store, &name)
            .ok_or_else(|| fail(&format!("no export named {name:?}")))?;
        let params: Vec<Value> = args.iter().map(|&a| Value::I32(a as i32)).collect();
        let mut results = vec![Value::I32(0); func.ty(&store).results().len()];
        match func.call(&mut store, &params, &mut results) {
            Ok(()) => {}
            Err(wasmi_stack::Error::Trap(t)) => {
                return Ok(ended(&mut store, classify(t.trap_code())));
            }
            Err(e) => return Err(fail(&e)),
        }
        last = results
            .iter()
            .map(|v| {
                v.i32()
                    .map(|x| x as u32)
                    .ok_or_else(|| fail(&"a non-i32 result"))
            })
            .collect::<Result<_, _>>()?;
    }
    // `compute`'s own result is dropped by the C convention.
    if matches!(entry, Entry::Compute { .. }) {
        last.clear();
    }
    Ok(ended(&mut store, Ending::Finished { results: last }))
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
