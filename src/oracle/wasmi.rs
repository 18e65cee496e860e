//! The oracle: the same wasm under wasmi, with the same entry and input.

use super::instrument::{self, HOOK_MODULE, HOOK_PATH, HOOK_VALUE};
use super::OracleError;
use crate::compile::{self, Entry, SourceMap, SourceStep, Trap};
use crate::ending::{Ending, EngineRun, Exhaustion};
use wasmi::{Caller, Config, Engine, Linker, Module, Store, StoreLimits, StoreLimitsBuilder, Val};

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

/// Run `wasm` (binary or text) under wasmi within `budget`.
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

/// Run a wasm binary; with `record: Some(cap)` it also links the hooks of an
/// instrumented module and keeps up to `cap` steps.
fn run_binary(
    bytes: &[u8],
    entry: &Entry,
    budget: Budget,
    record: Option<usize>,
) -> Result<(EngineRun, OracleSteps), OracleError> {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("wasmi".into())
            .stack_size(256 << 20)
            .spawn_scoped(s, || run_here(bytes, entry, budget, record))
            .expect("spawn the wasmi thread")
            .join()
            .unwrap_or_else(|panic| {
                Err(OracleError::Wasmi(format!(
                    "wasmi panicked: {}",
                    panic_message(&*panic)
                )))
            })
    })
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
    limits: StoreLimits,
}

/// The most bytes a memory may grow to: hullvm's cap
/// ([`compile::MAX_MEMORY_BYTES`]), so that `memory.grow` fails (returns -1)
/// on wasmi exactly where it fails on the transformer. A module whose
/// memory starts larger (hullvm does not compile it) keeps its initial size
/// and cannot grow.
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
    fn record(&mut self, func: i32, instr: i32, value: Option<i32>) -> Result<(), wasmi::Error> {
        if self.steps.steps.len() >= self.cap {
            self.steps.truncated = true;
            return Err(wasmi::Error::new("hullvm: the step cap is reached"));
        }
        self.steps.steps.push(SourceStep {
            func: func as u32,
            instr: instr as u32,
            offset: 0,
            value: value.map(|v| v as u32),
        });
        Ok(())
    }
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
    if record.is_some() {
        linker
            .func_wrap(
                HOOK_MODULE,
                HOOK_VALUE,
                |mut caller: Caller<'_, Host>,
                 v: i32,
                 func: i32,
                 instr: i32|
                 -> Result<i32, wasmi::Error> {
                    caller.data_mut().record(func, instr, Some(v))?;
                    Ok(v)
                },
            )
            .map_err(wasmi_err)?;
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
        Err(e) if ended_the_run(&e, &store) => return Ok(finish(&mut store, Vec::new(), Some(e))),
        Err(e) => return Err(OracleError::Wasmi(e.to_string())),
    };

    let calls: Vec<(String, Vec<u32>)> = match entry {
        Entry::Compute { input } => {
            let mut args = Vec::new();
            let func = instance
                .get_func(&store, "compute")
                .ok_or_else(|| OracleError::Wasmi("no export named \"compute\"".into()))?;
            if func.ty(&store).params().len() == 1 {
                let heap_base = instance
                    .get_global(&store, "__heap_base")
                    .and_then(|g| g.get(&store).i32())
                    .ok_or_else(|| OracleError::Wasmi("no __heap_base export".into()))?;
                let memory = instance
                    .get_memory(&store, "memory")
                    .ok_or_else(|| OracleError::Wasmi("no memory export".into()))?;
                let size = memory.data(&store).len() as u64;
                let addr = compile::input_address(heap_base as u32, input.len(), size)
                    .map_err(compile::CompileError::Entry)?;
                let mut bytes = input.clone();
                bytes.push(0);
                memory
                    .write(&mut store, addr as usize, &bytes)
                    .map_err(|e| OracleError::Wasmi(e.to_string()))?;
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
            .ok_or_else(|| OracleError::Wasmi(format!("no export named {name:?}")))?;
        let params: Vec<Val> = args.iter().map(|&a| Val::I32(a as i32)).collect();
        let n = func.ty(&store).results().len();
        let mut results = vec![Val::I32(0); n];
        if let Err(e) = func.call(&mut store, &params, &mut results) {
            if ended_the_run(&e, &store) {
                return Ok(finish(&mut store, Vec::new(), Some(e)));
            }
            return Err(OracleError::Wasmi(e.to_string()));
        }
        last = results
            .iter()
            .map(|v| {
                v.i32()
                    .map(|x| x as u32)
                    .ok_or_else(|| OracleError::Wasmi("a non-i32 result".into()))
            })
            .collect::<Result<_, _>>()?;
    }
    // `compute`'s own result is dropped by the C convention.
    if matches!(entry, Entry::Compute { .. }) {
        last.clear();
    }
    Ok(finish(&mut store, last, None))
}

/// A trap, fuel running out, or the step cap: the run's end, not a failure
/// of wasmi's.
fn ended_the_run(e: &wasmi::Error, store: &Store<Host>) -> bool {
    e.as_trap_code().is_some() || is_out_of_fuel(e) || store.data().steps.truncated
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
