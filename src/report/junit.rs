//! A spec or `wast` run as JUnit XML for CI dashboards: one `<testsuite>`
//! per script, one `<testcase>` per assertion (trial).
//!
//! Verdicts map without flattering: a decoded pass is a success; a module
//! hullvm refused as the script asks is a success whose `verdict` property
//! says `refused` (and its reason is the case's output), so a dashboard
//! can count refusals apart from decoded runs; unsupported is skipped with
//! its reason; a failure or an oracle mismatch is a `<failure>` whose
//! message is the verdict (the first diverging token or source step, with
//! its context).
//!
//! The XML is written by quick-junit, whose data model follows the
//! schema CI tools read (escaping, counts per suite, `skipped` cases).

use crate::harness::spec::{Summary, TrialResult, Verdict};
use anyhow::{Context as _, Result};
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use std::time::Duration;

/// `summary` as a JUnit XML document named `name`.
pub fn junit(name: &str, summary: &Summary) -> Result<String> {
    let mut report = Report::new(name);
    report.set_time(Duration::from_secs_f64(summary.seconds.max(0.0)));
    let mut suites: Vec<TestSuite> = Vec::new();
    for trial in &summary.results {
        if suites.last().is_none_or(|s| s.name.as_str() != trial.file) {
            let mut suite = TestSuite::new(trial.file.as_str());
            suite.add_property(Property::new("spec_version", summary.version.to_string()));
            if let Some(shard) = summary.shard {
                suite.add_property(Property::new("shard", shard.to_string()));
            }
            suites.push(suite);
        }
        let suite = suites.last_mut().expect("pushed above");
        suite.add_test_case(case(trial));
    }
    for suite in &mut suites {
        let seconds: f64 = suite
            .test_cases
            .iter()
            .filter_map(|c| c.time)
            .map(|t| t.as_secs_f64())
            .sum();
        suite.set_time(Duration::from_secs_f64(seconds));
    }
    report.add_test_suites(suites);
    report.to_string().context("writing JUnit XML")
}

fn case(trial: &TrialResult) -> TestCase {
    let at = format!("{} line {}", trial.file, trial.line);
    let status = match &trial.verdict {
        Verdict::Pass | Verdict::Refused(_) => TestCaseStatus::success(),
        Verdict::Unsupported(reason) => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(format!("unsupported: {reason}"));
            s
        }
        failed @ (Verdict::Fail(_) | Verdict::OracleMismatch(_)) => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(failed.to_string())
                .set_type(failed.key())
                .set_description(format!("{at}: {failed}"));
            s
        }
    };
    let mut case = TestCase::new(trial.name.as_str(), status);
    case.set_classname(trial.file.as_str())
        .set_time(Duration::from_secs_f64(trial.seconds.max(0.0)))
        .add_property(Property::new("verdict", trial.verdict.key()))
        .add_property(Property::new("kind", trial.kind.name()))
        .add_property(Property::new("line", trial.line.to_string()))
        .add_property(Property::new("tokens", trial.tokens.to_string()));
    if let Verdict::Refused(reason) = &trial.verdict {
        case.set_system_out(format!("refused by hullvm, as {at} asks: {reason}"));
    }
    case
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_data::trial;

    /// The document parses back as JUnit with each verdict where a
    /// dashboard looks for it.
    #[test]
    fn verdicts_parse_back_as_junit() {
        let results = vec![
            trial("a", 1, Verdict::Pass),
            trial("a", 2, Verdict::Refused("type mismatch".into())),
            trial("b", 3, Verdict::Unsupported("f32 values".into())),
            trial("b", 4, Verdict::Fail("token 7 differs <&>".into())),
            trial(
                "b",
                5,
                Verdict::OracleMismatch("wasmi: finished [3]".into()),
            ),
        ];
        let summary = Summary::new(1, results, 2.0);
        let xml = junit("hullvm wast", &summary).unwrap();
        let report = Report::deserialize_from_str(&xml).unwrap();
        assert_eq!(
            (report.tests, report.failures, report.skipped, report.errors),
            (5, 2, 1, 0)
        );
        let names: Vec<&str> = report.test_suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        let refused = &report.test_suites[0].test_cases[1];
        assert!(matches!(refused.status, TestCaseStatus::Success { .. }));
        assert!(refused
            .properties
            .iter()
            .any(|p| p.name.as_str() == "verdict" && p.value.as_str() == "refused"));
        let b = &report.test_suites[1].test_cases;
        assert!(matches!(
            &b[0].status,
            TestCaseStatus::Skipped { message: Some(m), .. } if m.as_str() == "unsupported: f32 values"
        ));
        assert!(matches!(
            &b[1].status,
            TestCaseStatus::NonSuccess { message: Some(m), kind: NonSuccessKind::Failure, .. }
                if m.as_str() == "fail: token 7 differs <&>"
        ));
        assert!(matches!(
            &b[2].status,
            TestCaseStatus::NonSuccess { ty: Some(t), .. } if t.as_str() == "oracle_mismatch"
        ));
    }
}
