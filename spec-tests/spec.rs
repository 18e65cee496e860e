//! The wasm spec suite (v1) as cargo tests: one trial per assertion, named
//! `v1/<file>/<kind>/L<line>`. Works with `cargo nextest` and its
//! `--partition count:K/N`; nextest's process per trial (`--exact NAME`)
//! collects only that trial's script.
//!
//! - A trial passes when its assertion holds on hullvm: the transformer's
//!   run decoded exactly and matched ([`Verdict::Pass`]), or hullvm itself
//!   refused a module the suite says is invalid, malformed or unlinkable
//!   ([`Verdict::Refused`]). So the passed count equals `hullvm spec`'s
//!   "pass" plus "refused".
//! - A trial hullvm cannot run is ignored, its reason shown as the trial's
//!   kind: support is decided when collecting ([`spec::collect`]). One that
//!   still turns out unsupported only when run fails, saying so: the
//!   collection has to learn to decide it.
//! - `spec-tests/baseline.txt` lists the trials that pass; one of them that
//!   no longer passes (fails, or is now ignored as unsupported) fails the
//!   run, and a baseline name no longer collected stops it before it
//!   starts. The file must exist.
//!
//! Regenerate the baseline with `HULLVM_WRITE_BASELINE=1 cargo test --test spec`
//! (the whole suite: not with a filter, `--skip` or `--ignored`).

use hullvm::decode::Decoder;
use hullvm::harness::spec::{self, Verdict};
use libtest_mimic::{Arguments, Failed, Trial};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

fn decoder() -> &'static Decoder {
    static DECODER: OnceLock<Decoder> = OnceLock::new();
    DECODER.get_or_init(|| Decoder::new(hullvm::build_model()))
}

fn baseline_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("spec-tests/baseline.txt")
}

/// Stop before running anything.
fn fatal(message: String) -> ! {
    eprintln!("error: {message}");
    std::process::exit(101)
}

/// The baseline's trial names. A missing file is an error (an empty
/// baseline would let every trial stop passing unnoticed), except when
/// writing a new one.
fn read_baseline(writing: bool) -> BTreeSet<String> {
    let path = baseline_path();
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if writing && e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => fatal(format!(
            "cannot read {}: {e}. It lists the spec trials that must pass; \
             write it with HULLVM_WRITE_BASELINE=1 cargo test --test spec",
            path.display()
        )),
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// What a trial's verdict means for cargo test.
fn outcome(verdict: Verdict, known_unsupported: bool, in_baseline: bool) -> Result<(), Failed> {
    match verdict {
        Verdict::Pass | Verdict::Refused(_) => Ok(()),
        Verdict::Unsupported(reason) if in_baseline => Err(Failed::from(format!(
            "in spec-tests/baseline.txt but now unsupported: {reason}"
        ))),
        Verdict::Unsupported(reason) if known_unsupported => {
            // Only reached with --ignored or --include-ignored.
            Err(Failed::from(format!("unsupported: {reason}")))
        }
        Verdict::Unsupported(reason) => Err(Failed::from(format!(
            "unsupported, found only at run time: {reason}. spec::collect must decide this \
             when collecting, so the trial is ignored rather than run"
        ))),
        other => Err(Failed::from(other.to_string())),
    }
}

/// The script a trial name `v1/<script>/<kind>/L<line>` comes from.
fn script_of(name: &str) -> Option<&str> {
    name.strip_prefix("v1/")?.split('/').next()
}

/// The scripts to collect. `cargo nextest` runs each trial in a process
/// of its own as `--exact NAME`: that process collects only the trial's
/// script (collecting all of them compiles every module, seconds per
/// process); listing and plain `cargo test` collect every script.
fn scripts_for(args: &Arguments) -> Vec<spec::WastFile> {
    let all = spec::bundled(1);
    let Some(script) = args
        .filter
        .as_deref()
        .filter(|_| args.exact && !args.list)
        .and_then(script_of)
    else {
        return all;
    };
    let one: Vec<spec::WastFile> = all.iter().filter(|s| s.name == script).cloned().collect();
    if one.is_empty() {
        all
    } else {
        one
    }
}

fn main() {
    // Deeply nested spec modules need more than the default 2 MiB per test
    // thread (read once, before the first thread starts).
    if std::env::var_os("RUST_MIN_STACK").is_none() {
        std::env::set_var("RUST_MIN_STACK", "33554432");
    }
    let args = Arguments::from_args();
    let writing = std::env::var_os("HULLVM_WRITE_BASELINE").is_some();
    if writing && (args.filter.is_some() || !args.skip.is_empty() || args.ignored) {
        fatal("HULLVM_WRITE_BASELINE writes the baseline from the whole suite: run it without a filter, --skip or --ignored".into());
    }
    let baseline = read_baseline(writing);
    let scripts = scripts_for(&args);
    // The CI gate's budget: the dozen longer trials would add minutes; they
    // are ignored here with the budget named, and `hullvm spec` runs them.
    let collected = spec::collect_scripts(1, &scripts, spec::Budget::GATE);

    let names: BTreeSet<&str> = collected.iter().map(|t| t.name.as_str()).collect();
    let gone: Vec<&String> = baseline
        .iter()
        .filter(|n| scripts.iter().any(|s| script_of(n) == Some(&s.name)))
        .filter(|n| !names.contains(n.as_str()))
        .collect();
    if !gone.is_empty() && !writing {
        let list: Vec<&str> = gone.iter().take(20).map(|n| n.as_str()).collect();
        fatal(format!(
            "{} trials of spec-tests/baseline.txt are no longer collected: {}",
            gone.len(),
            list.join(", ")
        ));
    }

    let baseline = Arc::new(baseline);
    let passing = Arc::new(Mutex::new(BTreeSet::new()));
    let trials: Vec<Trial> = collected
        .into_iter()
        .map(|t| {
            let name = t.name.clone();
            let in_baseline = baseline.contains(&name);
            let unsupported = t.unsupported_reason();
            let known = unsupported.is_some();
            let passing = passing.clone();
            let trial = Trial::test(name.clone(), move || {
                let verdict = spec::run_trial(decoder(), &t).verdict;
                let passed = verdict.passed();
                let result = outcome(verdict, known, in_baseline);
                if passed {
                    passing.lock().unwrap().insert(name);
                }
                result
            });
            match unsupported {
                // A baseline trial runs (and fails) rather than hiding.
                Some(reason) if !in_baseline => trial.with_kind(reason).with_ignored_flag(true),
                _ => trial,
            }
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    let passing = passing.lock().unwrap();
    let new: Vec<&String> = passing.iter().filter(|n| !baseline.contains(*n)).collect();
    if !new.is_empty() {
        println!(
            "{} trials pass that are not in spec-tests/baseline.txt:",
            new.len()
        );
        for n in new.iter().take(50) {
            println!("  {n}");
        }
    }
    if writing {
        let mut text =
            String::from("# Spec trials whose assertion holds on hullvm (decoded exactly, or refused as asked); see spec-tests/spec.rs.\n");
        for n in passing.iter() {
            text.push_str(n);
            text.push('\n');
        }
        std::fs::write(baseline_path(), text).expect("write baseline");
        println!("wrote {} trials to spec-tests/baseline.txt", passing.len());
    }
    conclusion.exit();
}
