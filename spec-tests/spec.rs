//! The wasm spec suite (v1) as cargo tests: one trial per assertion, named
//! `v1/<file>/<kind>/L<line>`. Unsupported trials are ignored with their
//! reason; `spec-tests/baseline.txt` lists the trials that pass, and a
//! baseline trial that stops passing fails the run. Works with
//! `cargo nextest` and its `--partition`.
//!
//! Regenerate the baseline with `HULLVM_WRITE_BASELINE=1 cargo test --test spec`.

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

fn main() {
    // Deeply nested spec modules need more than the default 2 MiB per test
    // thread (read once, before the first thread starts).
    if std::env::var_os("RUST_MIN_STACK").is_none() {
        std::env::set_var("RUST_MIN_STACK", "33554432");
    }
    let args = Arguments::from_args();
    let baseline: BTreeSet<String> = std::fs::read_to_string(baseline_path())
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    let baseline = Arc::new(baseline);
    let passing = Arc::new(Mutex::new(BTreeSet::new()));
    let trials: Vec<Trial> = spec::collect(1)
        .into_iter()
        .map(|t| {
            let name = t.name.clone();
            let (baseline, passing) = (baseline.clone(), passing.clone());
            let unsupported = t.unsupported_reason();
            let trial = Trial::test(name.clone(), move || {
                let result = spec::run(decoder(), &t);
                match result.verdict {
                    Verdict::Pass | Verdict::Refused(_) => {
                        passing.lock().unwrap().insert(name);
                        Ok(())
                    }
                    Verdict::Unsupported(reason) if !baseline.contains(&name) => {
                        // Known before running only for some trials; the rest
                        // are discovered here and are not failures.
                        let _ = reason;
                        Ok(())
                    }
                    Verdict::Unsupported(reason) => Err(Failed::from(format!(
                        "in the baseline but now unsupported: {reason}"
                    ))),
                    other => Err(Failed::from(other.to_string())),
                }
            });
            match unsupported {
                Some(reason) => trial.with_kind(reason).with_ignored_flag(true),
                None => trial,
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
    if std::env::var_os("HULLVM_WRITE_BASELINE").is_some() {
        let mut text =
            String::from("# Spec trials that pass on the transformer; see spec-tests/spec.rs.\n");
        for n in passing.iter() {
            text.push_str(n);
            text.push('\n');
        }
        std::fs::write(baseline_path(), text).expect("write baseline");
    }
    conclusion.exit();
}
