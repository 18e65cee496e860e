//! The report: results.json reads back into the structs it came from, and
//! the page renders in a real browser (headless Chromium) without console
//! errors, with every section and chart present.

use hullvm::harness::bench::Budget;
use hullvm::harness::check::{self, Config};
use hullvm::harness::results::Results;
use hullvm::report;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// A real check run, small: three corpus programs, one spec file, the quick
/// benchmark, a short numerics scan.
fn results() -> &'static Results {
    static RESULTS: OnceLock<Results> = OnceLock::new();
    RESULTS.get_or_init(|| {
        check::run(&Config {
            corpus_filter: vec!["hello".into(), "fibonacci".into(), "traps_div".into()],
            spec_filter: Some("v1/br_if/".into()),
            numerics_tokens: 1_000,
            bench: Some(Budget {
                hull_tokens: 100_000,
                brute_tokens: 1_500,
                long_curve: (5_000, 100_000),
                short_curve: (300, 3_000),
            }),
            fuzz: Some(hullvm::fuzz::FuzzConfig {
                seconds: None,
                executions: Some(30),
                ..hullvm::fuzz::FuzzConfig::default()
            }),
            ..Config::default()
        })
        .expect("the check runs")
    })
}

#[test]
fn results_json_reads_back_into_its_structs() {
    let r = results();
    assert_eq!(r.corpus.len(), 3);
    assert!(r.corpus.iter().all(|c| c.ok()), "a corpus program failed");
    assert!(r.summary.exact > 3 && !r.summary.failed());
    // The headline keeps apart what was decoded and what hullvm refused.
    let exact_corpus = r.corpus.iter().filter(|c| c.ok()).count();
    assert_eq!(r.summary.exact, exact_corpus + r.spec.total("pass"));
    assert_eq!(r.summary.refused, r.spec.total("refused"));
    assert!(r.spec.total("pass") > 0 && r.summary.refused > 0);
    assert_eq!(r.summary.unsupported, r.spec.total("unsupported"));
    let page = report::render(r);
    for label in [
        "decoded and exact",
        "refused (nothing decoded)",
        "unsupported",
    ] {
        assert!(page.contains(label), "the summary has no {label:?} count");
    }
    assert!(r.spec.results.len() > 10);
    let speed = r.speed.as_ref().expect("the benchmark ran");
    assert!(speed.speeds.iter().any(|s| s.cache == "brute"));
    assert!(speed.curves.iter().all(|c| c.points.len() >= 3));
    assert!(!r.numerics.is_empty());
    let horizon = r.horizon.as_ref().expect("the horizon was measured");
    assert_eq!(horizon.offsets.len(), 4);
    assert!(horizon.offsets.iter().all(|o| o.held), "{horizon:#?}");
    assert!(page.contains("horizon-table"));
    assert_eq!(r.fuzz.len(), 4, "every fuzz target ran");
    assert!(r
        .fuzz
        .iter()
        .all(|f| f.executions == 30 && f.findings_total == 0));

    let dir = tempdir("json");
    report::write(&dir, r).unwrap();
    let back = report::read(&dir.join("results.json")).unwrap();
    let (a, b) = (
        serde_json::to_string(r).unwrap(),
        serde_json::to_string(&back).unwrap(),
    );
    assert!(a == b, "results.json does not read back the same");
    // Re-rendering from the file gives the same page.
    assert_eq!(report::render(&back), report::render(r));
    assert!(report::read(&dir.join("missing.json")).is_err());
}

#[test]
fn page_renders_in_headless_chromium() {
    let Some(chromium) = chromium() else {
        if std::env::var_os("HULLVM_REQUIRE_BROWSER").is_some() {
            panic!("HULLVM_REQUIRE_BROWSER is set but chromium is not installed");
        }
        eprintln!("skipped: chromium not found (apt-get install -y chromium)");
        return;
    };
    // The console check itself works: a page that throws is caught.
    let dir = tempdir("browser");
    let broken = dir.join("broken.html");
    std::fs::write(&broken, "<script>throw new Error('planted')</script>").unwrap();
    let (_, console) = load(&chromium, &broken);
    assert!(console.iter().any(|l| l.contains("planted")), "{console:?}");

    let page = report::write(&dir, results()).unwrap();
    let (dom, console) = load(&chromium, &page);
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert!(
        dom.contains("data-ready=\"1\""),
        "the page's script did not finish"
    );
    for section in [
        "summary",
        "exactness",
        "speed",
        "model",
        "numerics",
        "fuzzing",
    ] {
        assert!(
            dom.contains(&format!("<section id=\"{section}\"")),
            "no {section} section"
        );
    }
    assert!(dom.matches("<svg").count() >= 3, "charts missing");
    assert!(dom.contains("<polyline"), "no cost curve");
    assert!(dom.contains("id=\"fuzz-targets\""), "no fuzz table");
    assert!(!dom.contains("placeholder"));

    let shot = repo().join("reports/browser-test.png");
    std::fs::create_dir_all(shot.parent().unwrap()).unwrap();
    let status = chromium_command(&chromium, &dir.join("profile-shot"))
        .arg("--window-size=1200,2400")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(url(&page))
        .output()
        .unwrap();
    assert!(status.status.success());
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
}

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("HULLVM_CHROMIUM") {
        return Some(p.into());
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            let out = Command::new("which").arg(name).output().ok()?;
            out.status
                .success()
                .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        })
}

/// Headless, offline, a fresh profile (the flags keep Chromium from
/// reaching for the network, which is closed on CI machines).
fn chromium_command(chromium: &Path, profile: &Path) -> Command {
    let mut c = Command::new(chromium);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

/// Load a page: its DOM after scripts ran, and every console message.
fn load(chromium: &Path, page: &Path) -> (String, Vec<String>) {
    let profile = page.with_extension("profile");
    let out = chromium_command(chromium, &profile)
        .args(["--enable-logging=stderr", "--v=0", "--dump-dom"])
        .arg(url(page))
        .output()
        .expect("chromium starts");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    (String::from_utf8_lossy(&out.stdout).into_owned(), console)
}

fn url(page: &Path) -> String {
    format!("file://{}", page.canonicalize().unwrap().display())
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tempdir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("report-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `results.json` and `index.html` are replaced as a pair: when the page
/// cannot be written, the old results stay too, and no temporary file.
#[test]
fn results_and_page_are_replaced_together() {
    let dir = tempdir("pair");
    std::fs::write(dir.join("results.json"), "old results").unwrap();
    std::fs::write(dir.join("index.html"), "old page").unwrap();
    // The page's temporary sibling (named by the writing process) is taken.
    let blocked = dir.join(format!("index.html.tmp{}", std::process::id()));
    std::fs::create_dir(&blocked).unwrap();
    assert!(report::write(&dir, results()).is_err());
    std::fs::remove_dir(&blocked).unwrap();
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    assert_eq!(read("results.json"), "old results");
    assert_eq!(read("index.html"), "old page");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["index.html", "results.json"]);
    // Unblocked, both are replaced.
    report::write(&dir, results()).unwrap();
    let json = serde_json::to_string_pretty(results()).unwrap();
    assert_eq!(read("results.json"), json);
    assert_eq!(read("index.html"), report::render(results()));
}
