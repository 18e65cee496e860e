//! Several runs' results as one: CI shards of `hullvm spec --shard K/N` or
//! `hullvm wast --shard K/N`, merged by `hullvm report --from a.json b.json
//! ...` into one `results.json` and one page.
//!
//! A merge refuses what would misreport: parts from different commits or
//! spec versions, a trial or corpus program in two parts (overlapping
//! shards), and an incomplete set of shards (a missing shard would pass
//! for a smaller suite). Totals are recomputed from the merged trials, so
//! they are the unsharded run's.

use crate::harness::results::{Meta, Results, Summary};
use crate::harness::spec::{self, Shard};
use anyhow::{bail, Result};
use std::collections::{BTreeMap, BTreeSet};

/// `parts` (each with where it came from, for errors) as one [`Results`].
/// Wall times are the longest part's (shards run side by side).
pub fn merge(parts: Vec<(String, Results)>) -> Result<Results> {
    let Some((first_source, first)) = parts.first() else {
        bail!("nothing to merge");
    };
    for (source, part) in &parts[1..] {
        if part.meta.commit != first.meta.commit {
            bail!(
                "{source} comes from commit {} but {first_source} from {}: merge results of one commit",
                part.meta.commit,
                first.meta.commit
            );
        }
        if part.spec.version != first.spec.version {
            bail!(
                "{source} ran spec v{} but {first_source} v{}",
                part.spec.version,
                first.spec.version
            );
        }
    }
    check_shards(&parts)?;
    unique(&parts, "trial", |r| {
        r.spec.results.iter().map(|t| t.name.clone()).collect()
    })?;
    unique(&parts, "corpus program", |r| {
        r.corpus.iter().map(|c| c.program.clone()).collect()
    })?;

    let meta = Meta {
        started: parts
            .iter()
            .map(|(_, p)| p.meta.started.clone())
            .min()
            .unwrap_or_default(),
        wall_seconds: longest(&parts, |p| p.meta.wall_seconds),
        ..first.meta.clone()
    };
    let version = first.spec.version;
    let spec_seconds = longest(&parts, |p| p.spec.seconds);
    let (model, speed) = (
        first.model.clone(),
        parts.iter().find_map(|(_, p)| p.speed.clone()),
    );
    let horizon = parts.iter().find_map(|(_, p)| p.horizon.clone());
    let soft = parts.iter().find_map(|(_, p)| p.soft.clone());
    let mut trials = Vec::new();
    let (mut corpus, mut numerics, mut fuzz) = (Vec::new(), Vec::new(), Vec::new());
    for (_, part) in parts {
        trials.extend(part.spec.results);
        corpus.extend(part.corpus);
        numerics.extend(part.numerics);
        fuzz.extend(part.fuzz);
    }
    // The collection's order: script by name, then line.
    trials.sort_by(|a, b| (&a.file, a.line, &a.name).cmp(&(&b.file, b.line, &b.name)));
    let spec = spec::Summary::new(version, trials, spec_seconds);
    Ok(Results {
        meta,
        summary: Summary::of(&corpus, &spec, &fuzz),
        corpus,
        spec,
        speed,
        model,
        numerics,
        horizon,
        fuzz,
        soft,
    })
}

fn longest(parts: &[(String, Results)], seconds: impl Fn(&Results) -> f64) -> f64 {
    parts.iter().map(|(_, p)| seconds(p)).fold(0.0, f64::max)
}

/// Shards, if any part is one: every part a shard of the same count, and
/// each shard once.
fn check_shards(parts: &[(String, Results)]) -> Result<()> {
    let shards: Vec<(&String, Option<Shard>)> =
        parts.iter().map(|(s, p)| (s, p.spec.shard)).collect();
    let Some(count) = shards.iter().find_map(|(_, s)| s.map(|s| s.count)) else {
        return Ok(());
    };
    let mut seen: BTreeMap<usize, &String> = BTreeMap::new();
    for (source, shard) in shards {
        let Some(shard) = shard.filter(|s| s.count == count) else {
            bail!(
                "{source} is not one of {count} shards ({}): merge the shards of one run",
                shard.map_or("not sharded".to_string(), |s| format!("shard {s}"))
            );
        };
        if let Some(other) = seen.insert(shard.index, source) {
            bail!("{other} and {source} are both shard {shard}");
        }
    }
    let missing: Vec<String> = (1..=count)
        .filter(|k| !seen.contains_key(k))
        .map(|k| format!("{k}/{count}"))
        .collect();
    if !missing.is_empty() {
        bail!(
            "shard {} missing: a merge of some shards would pass for a smaller suite",
            missing.join(", ")
        );
    }
    Ok(())
}

/// Each name `names` gives appears in one part only.
fn unique(
    parts: &[(String, Results)],
    what: &str,
    names: impl Fn(&Results) -> Vec<String>,
) -> Result<()> {
    let mut seen: BTreeMap<String, &String> = BTreeMap::new();
    for (source, part) in parts {
        let mine: BTreeSet<String> = names(part).into_iter().collect();
        for name in mine {
            if let Some(other) = seen.insert(name.clone(), source) {
                bail!("{what} {name} is in both {other} and {source}: the parts overlap");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::results::{Host, ModelCard};
    use crate::harness::spec::{TrialResult, Verdict};
    use crate::report::test_data::trial;

    fn part(commit: &str, shard: Option<&str>, trials: Vec<TrialResult>) -> (String, Results) {
        let mut spec = spec::Summary::new(1, trials, 3.0);
        spec.shard = shard.map(|s| s.parse().unwrap());
        let meta = Meta {
            hullvm_version: "0".into(),
            commit: commit.into(),
            machine: Host {
                cpu: "cpu".into(),
                cores: 2,
                os: "os".into(),
            },
            started: "2026-01-01T00:00:00Z".into(),
            wall_seconds: 4.0,
        };
        let model = ModelCard {
            layers: 1,
            d_model: 1,
            heads_per_layer: 1,
            d_ffn: 1,
            vocab: 1,
            extension: Vec::new(),
            matrices: Vec::new(),
            heads: Vec::new(),
        };
        let source = format!("{}.json", shard.unwrap_or("all"));
        (source, Results::of_spec(meta, model, spec))
    }

    /// The soft sweeps and learning curve one part carries survive the
    /// merge and are charted on the page.
    #[test]
    fn soft_results_survive_the_merge_and_reach_the_page() {
        use crate::harness::results::{LearnCurve, SoftResults, SoftSweep};
        let (name, mut first) = part("c1", Some("1/2"), vec![trial("a", 1, Verdict::Pass)]);
        first.soft = Some(SoftResults {
            sweeps: vec![SoftSweep {
                program: "hello".into(),
                reference_tokens: 668,
                points: vec![(1.0, 0), (1e3, 21), (1e5, 668)],
                smallest_reproducing_beta: Some(1.29e4),
            }],
            learn: Some(LearnCurve {
                knocked_out: "twelve weights".into(),
                train: vec!["hello".into()],
                losses: vec![1.4e6, 2e3, 494.6],
                recovered_after: Some(3),
                seconds: 1.5,
                held_out: vec![("addition".into(), true)],
                also: vec![("core_ops".into(), false)],
            }),
        });
        let second = part("c1", Some("2/2"), vec![trial("a", 2, Verdict::Pass)]);
        let merged = merge(vec![(name, first), second]).unwrap();
        let page = crate::report::render(&merged);
        for text in [
            "Differentiable execution",
            "hello: whole run (668 tokens) from beta 1.290e4",
            "knocked out twelve weights",
            "after 3 steps",
            "addition: exact",
            "core_ops: not exact",
        ] {
            assert!(page.contains(text), "the page lacks {text:?}");
        }
    }

    fn everything() -> Vec<TrialResult> {
        vec![
            trial("a", 1, Verdict::Pass),
            trial("a", 2, Verdict::Refused("no".into())),
            trial("a", 3, Verdict::Fail("token 4".into())),
            trial("b", 1, Verdict::Unsupported("f32 values".into())),
            trial("b", 2, Verdict::Pass),
        ]
    }

    /// Shards dealt round robin merge into the unsharded run's totals,
    /// per-file rows and trial order.
    #[test]
    fn shards_merge_into_the_whole_run() {
        let all = everything();
        let deal = |k: usize| all.iter().skip(k).step_by(2).cloned().collect::<Vec<_>>();
        let merged = merge(vec![
            part("c1", Some("2/2"), deal(1)),
            part("c1", Some("1/2"), deal(0)),
        ])
        .unwrap();
        let (_, whole) = part("c1", None, all.clone());
        assert_eq!(merged.spec.totals, whole.spec.totals);
        let names = |r: &Results| {
            r.spec
                .results
                .iter()
                .map(|t| t.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&merged), names(&whole));
        let rows = |r: &Results| {
            r.spec
                .files
                .iter()
                .map(|f| (f.file.clone(), f.pass, f.refused, f.fail, f.unsupported))
                .collect::<Vec<_>>()
        };
        assert_eq!(rows(&merged), rows(&whole));
        assert_eq!(
            (
                merged.summary.exact,
                merged.summary.refused,
                merged.summary.fail
            ),
            (2, 1, 1)
        );
        assert_eq!(merged.spec.shard, None);
        assert_eq!(merged.spec.seconds, 3.0, "shards run side by side");
    }

    #[test]
    fn merges_that_would_misreport_are_refused() {
        let all = everything();
        let err = |parts| format!("{:#}", merge(parts).unwrap_err());
        let missing = err(vec![part("c1", Some("1/3"), all[..2].to_vec())]);
        assert!(missing.contains("shard 2/3, 3/3 missing"), "{missing}");
        let twice = err(vec![
            part("c1", Some("1/2"), all[..2].to_vec()),
            part("c1", Some("1/2"), all[2..].to_vec()),
        ]);
        assert!(twice.contains("both shard 1/2"), "{twice}");
        let overlap = err(vec![
            part("c1", None, all[..3].to_vec()),
            part("c1", None, all[2..].to_vec()),
        ]);
        assert!(
            overlap.contains("v1/a/assert_return/L3 is in both"),
            "{overlap}"
        );
        let commits = err(vec![
            part("c1", Some("1/2"), all[..2].to_vec()),
            part("c2", Some("2/2"), all[2..].to_vec()),
        ]);
        assert!(commits.contains("from commit c2"), "{commits}");
        let mixed = err(vec![
            part("c1", Some("1/2"), all[..2].to_vec()),
            part("c1", None, all[2..].to_vec()),
        ]);
        assert!(mixed.contains("not sharded"), "{mixed}");
    }
}
