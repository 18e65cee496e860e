//! The oracle: the same wasm under wasmi, with the same entry and input.

use super::instrument::{OracleSteps, HOOK_MODULE, HOOK_PATH, HOOK_VALUE};
use crate::compile::{self, Entry, SourceStep, Trap};
use wasmi::{Caller, Config, Engine, Linker, Module, Store, Val};

/// How a wasmi run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OracleOutcome {
    Finished,
    Trap(OracleTrap),
    /// The fuel budget ran out (a program that does not terminate soon).
    OutOfFuel,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OracleTrap {
    /// A trap hullvm also produces.
    Known(Trap),
    /// Any other trap, by wasmi's message (e.g. stack overflow).
    Other(String),
}

impl OracleTrap {
    pub fn message(&self) -> String {
        match self {
            OracleTrap::Known(t) => t.message().to_string(),
            OracleTrap::Other(m) => m.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct OracleRun {
    pub output: Vec<u8>,
    /// Results of the final invocation (i32 results as raw bits).
    pub results: Vec<u32>,
    pub outcome: OracleOutcome,
}

#[derive(Debug, thiserror::Error)]
pub enum OracleError {
    #[error(transparent)]
    Compile(#[from] compile::CompileError),
    #[error("wasmi: {0}")]
    Wasmi(String),
}

/// Run `wasm` (binary or text) under wasmi with at most `fuel` units of work.
///
/// wasmi's translator recurses over the function body, so large functions
/// (the sudoku corpus program, deeply nested spec modules) get a thread
/// with a roomy stack whatever thread the caller is on.
pub fn run(wasm: &[u8], entry: &Entry, fuel: u64) -> Result<OracleRun, OracleError> {
    let bytes = compile::to_binary(wasm)?;
    run_binary(&bytes, entry, fuel, None).map(|(run, _)| run)
}

/// Run a wasm binary; with `record: Some(cap)` it also links the hooks of an
/// instrumented module ([`crate::oracle::instrument`]) and keeps up to `cap` steps.
pub(crate) fn run_binary(
    bytes: &[u8],
    entry: &Entry,
    fuel: u64,
    record: Option<usize>,
) -> Result<(OracleRun, OracleSteps), OracleError> {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("wasmi".into())
            .stack_size(256 << 20)
            .spawn_scoped(s, || run_here(bytes, entry, fuel, record))
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
}

impl Host {
    fn record(&mut self, func: i32, instr: i32, value: Option<i32>) {
        if self.steps.steps.len() < self.cap {
            self.steps.steps.push(SourceStep {
                func: func as u32,
                instr: instr as u32,
                offset: 0,
                value: value.map(|v| v as u32),
            });
        } else {
            self.steps.truncated = true;
        }
    }
}

fn run_here(
    bytes: &[u8],
    entry: &Entry,
    fuel: u64,
    record: Option<usize>,
) -> Result<(OracleRun, OracleSteps), OracleError> {
    let mut config = Config::default();
    config.consume_fuel(true);
    let engine = Engine::new(&config);
    let module = Module::new(&engine, bytes).map_err(|e| OracleError::Wasmi(e.to_string()))?;
    let mut store = Store::new(
        &engine,
        Host {
            cap: record.unwrap_or(0),
            ..Host::default()
        },
    );
    store
        .set_fuel(fuel)
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
                |mut caller: Caller<'_, Host>, v: i32, func: i32, instr: i32| -> i32 {
                    caller.data_mut().record(func, instr, Some(v));
                    v
                },
            )
            .map_err(wasmi_err)?;
        linker
            .func_wrap(
                HOOK_MODULE,
                HOOK_PATH,
                |mut caller: Caller<'_, Host>, func: i32, instr: i32| {
                    caller.data_mut().record(func, instr, None);
                },
            )
            .map_err(wasmi_err)?;
    }

    let finish = |store: &mut Store<Host>, results: Vec<u32>, err: Option<wasmi::Error>| {
        let outcome = match err {
            None => OracleOutcome::Finished,
            Some(e) => classify(&e),
        };
        let host = std::mem::take(store.data_mut());
        (
            OracleRun {
                output: host.output,
                results,
                outcome,
            },
            host.steps,
        )
    };
    let instance = match linker.instantiate_and_start(&mut store, &module) {
        Ok(i) => i,
        Err(e) if e.as_trap_code().is_some() || is_out_of_fuel(&e) => {
            return Ok(finish(&mut store, Vec::new(), Some(e)))
        }
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
                let addr = (heap_base as u32).next_multiple_of(16);
                let memory = instance
                    .get_memory(&store, "memory")
                    .ok_or_else(|| OracleError::Wasmi("no memory export".into()))?;
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
            if e.as_trap_code().is_some() || is_out_of_fuel(&e) {
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
    Ok(finish(&mut store, last, None))
}

fn is_out_of_fuel(e: &wasmi::Error) -> bool {
    e.as_trap_code() == Some(wasmi::TrapCode::OutOfFuel)
        || e.to_string().to_lowercase().contains("fuel")
}

fn classify(e: &wasmi::Error) -> OracleOutcome {
    use wasmi::TrapCode as C;
    match e.as_trap_code() {
        Some(C::OutOfFuel) => OracleOutcome::OutOfFuel,
        Some(C::UnreachableCodeReached) => {
            OracleOutcome::Trap(OracleTrap::Known(Trap::Unreachable))
        }
        Some(C::MemoryOutOfBounds) => {
            OracleOutcome::Trap(OracleTrap::Known(Trap::MemoryOutOfBounds))
        }
        Some(C::IntegerDivisionByZero) => {
            OracleOutcome::Trap(OracleTrap::Known(Trap::IntegerDivideByZero))
        }
        Some(C::IntegerOverflow) => OracleOutcome::Trap(OracleTrap::Known(Trap::IntegerOverflow)),
        Some(C::StackOverflow) => {
            OracleOutcome::Trap(OracleTrap::Other("call stack exhausted".into()))
        }
        Some(code) => OracleOutcome::Trap(OracleTrap::Other(code.trap_message().to_string())),
        None if is_out_of_fuel(e) => OracleOutcome::OutOfFuel,
        None => OracleOutcome::Trap(OracleTrap::Other(e.to_string())),
    }
}
