//! The report page: compile-time checked templates (maud), inline CSS, inline
//! SVG, and one small inline script that sorts tables.

use super::chart::{log_bars, log_log_lines, si, stacked_rows, Bar, Series, StackRow};
use crate::harness::results::Results;
use crate::harness::spec::{TrialResult, Verdict};
use maud::{html, Markup, PreEscaped, DOCTYPE};

const STYLE: &str = r#"
:root { --pass:#2e8b57; --refused:#8fb3d9; --fail:#c0392b; --unsup:#b0b7c3; --mism:#e67e22; --hull:#2f6fb0; --brute:#c0392b; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 0 24px 48px; color: #1d2330; }
h1 { margin: 24px 0 4px; } h2 { margin-top: 36px; border-bottom: 1px solid #dde; padding-bottom: 4px; }
.meta { color: #5a6270; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { border: 1px solid #dde; border-radius: 6px; padding: 10px 14px; min-width: 120px; }
.card b { display: block; font-size: 22px; } .card span { color: #5a6270; font-size: 12px; }
.card.bad b { color: var(--fail); } .card.good b { color: var(--pass); }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { padding: 3px 10px; border-bottom: 1px solid #eef; text-align: left; }
td[data-v] { text-align: right; font-variant-numeric: tabular-nums; }
table.sortable th { cursor: pointer; user-select: none; } table.sortable th:hover { background: #f3f5fa; }
td.bad { color: var(--fail); font-weight: 600; } td.good { color: var(--pass); }
pre { background: #f6f7fb; padding: 8px; overflow-x: auto; font-size: 12px; }
.chart text { font: 11px system-ui, sans-serif; fill: #1d2330; } .chart .tick { fill: #5a6270; }
.chart .grid { stroke: #e4e7ee; } .chart .line { fill: none; stroke-width: 2; }
.s-pass { fill: var(--pass); } .s-ref { fill: var(--refused); } .s-fail { fill: var(--fail); } .s-unsup { fill: var(--unsup); } .s-mism { fill: var(--mism); }
.s-hull { fill: var(--hull); stroke: var(--hull); } .s-brute { fill: var(--brute); stroke: var(--brute); }
.legend span { display: inline-block; margin-right: 14px; } .legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
details { margin: 6px 0; } summary { cursor: pointer; }
"#;

/// Click a header to sort its table; numbers by the cell's data-v.
const SCRIPT: &str = r#"
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var down = th.dataset.dir !== "down";
      th.dataset.dir = down ? "down" : "up";
      function key(row) {
        var cell = row.cells[col];
        var v = cell.dataset.v;
        return v !== undefined ? parseFloat(v) : cell.textContent.trim();
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        var c = (typeof x === "number" && typeof y === "number") ? x - y : String(x).localeCompare(String(y));
        return down ? -c : c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
document.body.dataset.ready = "1";
"#;

pub fn page(r: &Results) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title {
                    "hullvm check: " (r.summary.exact) " decoded and exact, " (r.summary.refused)
                    " refused, " (r.summary.fail) " fail"
                }
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 { "hullvm: a transformer that executes WebAssembly" }
                p.meta {
                    "commit " code { (r.meta.commit) } " · hullvm " (r.meta.hullvm_version)
                    " · " (r.meta.started) " · " (r.meta.machine.cpu) ", "
                    (r.meta.machine.cores) " cores, " (r.meta.machine.os)
                }
                (summary(r))
                (exactness(r))
                (speed(r))
                (model_card(r))
                (numerics(r))
                (fuzzing(r))
                (soft(r))
                script { (PreEscaped(SCRIPT)) }
            }
        }
    }
}

fn card(value: impl maud::Render, label: &str, class: &str) -> Markup {
    html! { div class=(format!("card {class}")) { b { (value) } span { (label) } } }
}

fn summary(r: &Results) -> Markup {
    let s = &r.summary;
    let exact_corpus = r.corpus.iter().filter(|c| c.ok()).count();
    html! {
        section #summary {
            h2 { "Summary" }
            div.cards {
                (card(s.exact, "decoded and exact", "good"))
                (card(s.refused, "refused (nothing decoded)", ""))
                (card(s.unsupported, "unsupported", ""))
                (card(s.fail, "fail", if s.fail > 0 { "bad" } else { "" }))
                (card(s.oracle_mismatch, "oracle mismatch", if s.oracle_mismatch > 0 { "bad" } else { "" }))
                (card(s.fuzz_findings, "fuzz findings", if s.fuzz_findings > 0 { "bad" } else { "" }))
                (card(si(s.tokens as f64), "tokens decoded", ""))
                (card(si(s.tokens_per_second), "tok/s per thread", ""))
                (card(format!("{:.1} s", r.meta.wall_seconds), "wall time", ""))
            }
            p #summary-counts {
                b { (s.exact) } " runs decoded and exact ("
                (exact_corpus) " corpus programs, " (r.spec.total("pass"))
                " spec assertions); " b { (s.refused) } " spec modules refused by hullvm's own "
                "reader, validator or link check, as the suite asks (these assertions hold, but "
                "nothing runs or is decoded); " b { (s.unsupported) } " spec assertions unsupported; "
                b { (s.fail) } " failed; " b { (s.oracle_mismatch) } " where wasmi disagrees with the suite."
            }
            p {
                "Every token is the argmax of logits computed from the weights; each run is compared "
                "token for token with the reference tracer, its output and exit with wasmi, and its "
                "trace lifted to wasm instructions step by step against wasmi's instrumented run ("
                (si((r.corpus.iter().map(|c| c.source_steps).sum::<u64>() + r.spec.source_steps) as f64))
                " source steps compared). "
                (r.corpus.len()) " corpus programs and " (r.spec.results.len()) " spec v"
                (r.spec.version) " assertions."
            }
        }
    }
}

fn exactness(r: &Results) -> Markup {
    let rows: Vec<StackRow> = r
        .spec
        .files
        .iter()
        .map(|f| StackRow {
            label: &f.file,
            parts: vec![
                (f.pass, "s-pass", "decoded and exact"),
                (f.refused, "s-ref", "refused"),
                (f.fail, "s-fail", "fail"),
                (f.oracle_mismatch, "s-mism", "oracle mismatch"),
                (f.unsupported, "s-unsup", "unsupported"),
            ],
        })
        .collect();
    let spec_failures: Vec<&TrialResult> = r
        .spec
        .results
        .iter()
        .filter(|t| matches!(t.verdict, Verdict::Fail(_) | Verdict::OracleMismatch(_)))
        .collect();
    let corpus_failures: Vec<_> = r.corpus.iter().filter(|c| !c.ok()).collect();
    html! {
        section #exactness {
            h2 { "Exactness" }
            h3 { "Corpus programs" }
            table.sortable #corpus {
                thead { tr { th { "program" } th { "tokens" } th { "steps" } th { "tok/s" } th { "source steps" } th { "transformer" } th { "wasmi" } th { "verdict" } } }
                tbody {
                    @for c in &r.corpus {
                        tr {
                            td {
                                (c.program)
                                @if c.published_machine { " " small title="no extension op: the published machine decoded it" { "(published machine)" } }
                            }
                            td data-v=(c.tokens) { (c.tokens) }
                            td data-v=(c.steps) { (c.steps) }
                            td data-v=(format!("{:.0}", c.tokens_per_second)) { (si(c.tokens_per_second)) }
                            td data-v=(c.source_steps) { (c.source_steps) }
                            td { (c.transformer_verdict) }
                            td { (c.wasmi_verdict) }
                            @if c.ok() { td.good { "exact" } } @else { td.bad { "MISMATCH" } }
                        }
                    }
                }
            }
            h3 { "Spec suite v" (r.spec.version) ", per file" }
            p.legend {
                span { i.s-pass style="background:var(--pass)" {} "decoded and exact" }
                span { i style="background:var(--refused)" {} "refused" }
                span { i style="background:var(--fail)" {} "fail" }
                span { i style="background:var(--mism)" {} "oracle mismatch" }
                span { i style="background:var(--unsup)" {} "unsupported" }
            }
            (stacked_rows(&rows, 760.0))
            (spec_totals(r))
            details {
                summary { "Per-file table (click a header to sort)" }
                table.sortable #spec-files {
                    thead { tr { th { "file" } th { "decoded and exact" } th { "refused" } th { "fail" } th { "oracle mismatch" } th { "unsupported" } th { "tokens" } th { "seconds" } } }
                    tbody {
                        @for f in &r.spec.files {
                            tr {
                                td { (f.file) }
                                td data-v=(f.pass) { (f.pass) }
                                td data-v=(f.refused) { (f.refused) }
                                td data-v=(f.fail) class=(if f.fail > 0 { "bad" } else { "" }) { (f.fail) }
                                td data-v=(f.oracle_mismatch) { (f.oracle_mismatch) }
                                td data-v=(f.unsupported) { (f.unsupported) }
                                td data-v=(f.tokens) { (f.tokens) }
                                td data-v=(format!("{:.3}", f.seconds)) { (format!("{:.2}", f.seconds)) }
                            }
                        }
                    }
                }
            }
            h3 { "Unsupported features, by assertions blocked" }
            table #unsupported {
                thead { tr { th { "feature" } th { "assertions" } } }
                tbody {
                    @for (feature, n) in r.spec.unsupported.iter().take(25) {
                        tr { td { (feature) } td data-v=(n) { (n) } }
                    }
                }
            }
            @if r.spec.unsupported.len() > 25 {
                p.meta { "and " (r.spec.unsupported.len() - 25) " more in results.json" }
            }
            h3 { "Failures" }
            @if corpus_failures.is_empty() && spec_failures.is_empty() {
                p #no-failures { "None: every corpus program and every supported spec assertion is exact." }
            }
            @for c in &corpus_failures {
                div.failure {
                    h4 { "corpus/" (c.program) }
                    p { "transformer: " (c.transformer_verdict) "; reference: " (c.reference_verdict) "; wasmi: " (c.wasmi_verdict) }
                    @if let Some(d) = &c.divergence {
                        p {
                            "First divergence at token " (d.at.token_index) ", step " (d.at.step)
                            ", pc " (d.at.pc) " (" code { (d.instruction) } "): expected "
                            code { (d.expected.as_deref().unwrap_or("end of trace")) } ", got "
                            code { (d.got.as_deref().unwrap_or("end of trace")) }
                        }
                        pre { (d.context.join("\n")) }
                    }
                    @if let Some(d) = &c.source_divergence {
                        p { "Against wasmi, at the source level:" }
                        pre { (d.to_string()) }
                    }
                }
            }
            @for t in &spec_failures {
                div.failure {
                    h4 { (t.name) }
                    pre { (t.verdict.to_string()) }
                }
            }
        }
    }
}

fn spec_totals(r: &Results) -> Markup {
    let verdicts = ["pass", "refused", "fail", "oracle_mismatch", "unsupported"];
    let heading = |v: &str| match v {
        "pass" => "decoded and exact".to_string(),
        v => v.replace('_', " "),
    };
    html! {
        table #spec-totals {
            thead { tr { th { "assertion kind" } @for v in verdicts { th { (heading(v)) } } } }
            tbody {
                @for (kind, counts) in &r.spec.totals {
                    tr {
                        td { (kind) }
                        @for v in verdicts {
                            @let n = counts.get(v).copied().unwrap_or(0);
                            td data-v=(n) { (n) }
                        }
                    }
                }
            }
        }
    }
}

fn speed(r: &Results) -> Markup {
    html! {
        section #speed {
            h2 { "Speed" }
            @if let Some(b) = &r.speed {
                h3 { "Tokens per second, per program and KV cache (one thread, log scale)" }
                @let groups = speed_groups(b);
                (log_bars(&groups, "tok/s"))
                h3 { "Per-token cost against trace position (log-log)" }
                @let series: Vec<Series> = b.curves.iter().map(|c| Series {
                    name: format!("{}, {}", c.cache, c.program),
                    class: if c.cache == "hull" { "s-hull" } else { "s-brute" },
                    points: c.points.iter().map(|&(n, us)| (n as f64, us)).collect(),
                }).collect();
                (log_log_lines(&series, "tokens decoded", "µs per token"))
                table #curves {
                    thead { tr { th { "program" } th { "cache" } th { "window" } th { "first µs/token" } th { "last µs/token" } th { "growth" } } }
                    tbody {
                        @for c in &b.curves {
                            tr {
                                td { (c.program) } td { (c.cache) } td { (c.window) }
                                td { (c.points.first().map_or("-".into(), |p| format!("{:.2}", p.1))) }
                                td { (c.points.last().map_or("-".into(), |p| format!("{:.2}", p.1))) }
                                td { (format!("{:.2}x", c.growth())) }
                            }
                        }
                    }
                }
                @if let Some(p) = &b.parallel {
                    p #parallel {
                        "Parallel: " (p.programs) " programs on " (p.threads) " threads: "
                        (format!("{:.2}", p.sequential_seconds)) " s one after another, "
                        (format!("{:.2}", p.parallel_seconds)) " s in parallel, speedup "
                        b { (format!("{:.2}x", p.speedup)) }
                        "."
                    }
                }
                @if let Some(m) = b.peak_memory_bytes {
                    p { "Peak resident memory of the check process: " (format!("{:.1}", m as f64 / 1048576.0)) " MiB." }
                }
            } @else {
                p { "The benchmark was not run." }
            }
        }
    }
}

/// Per program, a bar per KV cache.
fn speed_groups(b: &crate::harness::bench::BenchReport) -> Vec<(String, Vec<Bar>)> {
    let mut groups: Vec<(String, Vec<Bar>)> = Vec::new();
    for s in &b.speeds {
        let bar = Bar {
            value: s.tokens_per_second,
            class: if s.cache == "hull" {
                "s-hull"
            } else {
                "s-brute"
            },
            legend: if s.cache == "hull" { "hull" } else { "brute" },
        };
        match groups.iter_mut().find(|g| g.0 == s.program) {
            Some(g) => g.1.push(bar),
            None => groups.push((s.program.clone(), vec![bar])),
        }
    }
    groups
}

fn model_card(r: &Results) -> Markup {
    let m = &r.model;
    let (nz, all) = m.nonzeros();
    html! {
        section #model {
            h2 { "Model card" }
            div.cards {
                (card(m.layers, "layers", ""))
                (card(m.d_model, "d_model", ""))
                (card(m.heads_per_layer, "heads per layer (2D)", ""))
                (card(m.d_ffn, "d_ffn", ""))
                (card(m.vocab, "vocabulary", ""))
                (card(nz, "non-zero weights", ""))
            }
            p { (format!("{:.1}", 100.0 * (1.0 - nz as f64 / all.max(1) as f64))) "% of " (all) " weights are zero." }
            @if !m.extension.is_empty() {
                p { "Vocabulary: the published " (m.vocab - m.extension.len()) " tokens with their ids, then the ops this machine adds, which no published program contains: " code { (m.extension.join(" ")) } "." }
            }
            details {
                summary { "Non-zero weights per matrix" }
                table.sortable #matrices {
                    thead { tr { th { "matrix" } th { "shape" } th { "non-zero" } } }
                    tbody {
                        @for t in &m.matrices {
                            tr { td { (t.name) } td { (t.rows) " × " (t.cols) } td data-v=(t.nonzeros) { (t.nonzeros) } }
                        }
                    }
                }
            }
            h3 { "What each head looks up" }
            table.sortable #heads {
                thead { tr { th { "layer" } th { "head" } th { "looks up" } th { "ties" } th { "answered by" } } }
                tbody {
                    @for h in &m.heads {
                        tr { td data-v=(h.layer) { (h.layer) } td data-v=(h.head) { (h.head) } td { (h.looks_up) } td { (h.tie) } td { (h.answered_by) } }
                    }
                }
            }
        }
    }
}

fn numerics(r: &Results) -> Markup {
    html! {
        section #numerics {
            h2 { "Numerics" }
            p {
                "How close each run came to a wrong argmax: the winning score minus the best strictly "
                "lower one, smallest over the run, for attention (every key scanned) and for the output "
                "logits. Ties at the top are the model's tie rules at work and are counted separately. "
                "Measured on the first tokens of programs with short prompts (the scan is O(n²))."
            }
            table.sortable #numerics-table {
                thead { tr { th { "program" } th { "tokens" } th { "attention gap" } th { "at layer/head" } th { "logit gap" } th { "at token" } th { "logit ties" } } }
                tbody {
                    @for n in &r.numerics {
                        tr {
                            td { (n.program) }
                            td data-v=(n.tokens) { (n.tokens) }
                            @match n.attention_gap {
                                Some((gap, l, h, _)) => { td data-v=(gap) { (format!("{gap}")) } td { (l) "/" (h) } }
                                None => { td data-v="0" { "-" } td { "-" } }
                            }
                            @match n.logit_gap {
                                Some((gap, at)) => { td data-v=(gap) { (format!("{gap}")) } td data-v=(at) { (at) } }
                                None => { td data-v="0" { "-" } td { "-" } }
                            }
                            td data-v=(n.logit_ties) { (n.logit_ties) }
                        }
                    }
                }
            }
            @if let Some(h) = &r.horizon {
                p {
                    "Horizon: " (h.stated.to_string()) ". Decoded from large positions (the "
                    "position heads' keys and queries moved by the offset), " (h.program)
                    " with both caches against the reference:"
                }
                table #horizon-table {
                    thead { tr { th { "bound" } th { "first position" } th { "held" } th { "verdict" } } }
                    tbody {
                        @for o in &h.offsets {
                            tr {
                                td { (o.bound) }
                                td { (o.first) }
                                td { @if o.held { "yes" } @else { "NO" } }
                                td { (o.verdict) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn fuzzing(r: &Results) -> Markup {
    html! {
        section #fuzzing {
            h2 { "Fuzzing" }
            @if r.fuzz.is_empty() {
                p { "No fuzz round in this run." }
            } @else {
                p {
                    "A short round of each target (" code { "hullvm fuzz" } " runs longer ones): "
                    "generated i32 programs on the transformer against the reference tracer and "
                    "wasmi (differential), wasm-smith modules (smith), hull against brute-force "
                    "attention (hull), and arbitrary bytes into the readers (parse). Where wasmi "
                    "disagrees with a transformer that follows the reference tracer, the arbiters "
                    "decide (wasmi 0.31, a stack-machine interpreter, and wasmtime in a build with "
                    "its feature); a run they all settle for hullvm counts as wasmi overruled, not "
                    "as a finding."
                }
                table.sortable #fuzz-targets {
                    thead { tr { th { "target" } th { "seed" } th { "executions" } th { "exec/s" } th { "tokens or queries" } th { "wasmi overruled" } th { "findings" } } }
                    tbody {
                        @for f in &r.fuzz {
                            tr {
                                td { (f.target) }
                                td { (f.seed) }
                                td data-v=(f.executions) { (f.executions) }
                                td data-v=(format!("{:.1}", f.execs_per_sec)) { (format!("{:.0}", f.execs_per_sec)) }
                                td data-v=(f.tokens) { (si(f.tokens as f64)) }
                                td data-v=(f.wasmi_overruled_total) { (f.wasmi_overruled_total) }
                                td data-v=(f.findings_total) class=(if f.findings_total > 0 { "bad" } else { "good" }) { (f.findings_total) }
                            }
                        }
                    }
                }
                @for f in &r.fuzz {
                    @if !f.outcomes.is_empty() {
                        details {
                            summary { (f.target) ": how executions ended" }
                            table {
                                tbody {
                                    @for (outcome, n) in &f.outcomes { tr { td { (outcome) } td data-v=(n) { (n) } } }
                                }
                            }
                        }
                    }
                    @if !f.wasmi_overruled.is_empty() {
                        details {
                            summary { (f.target) ": runs where wasmi was overruled (" (f.wasmi_overruled_total) ")" }
                            ul {
                                @for o in &f.wasmi_overruled {
                                    li { "#" (o.index) ": " (o.message) " (replay: " code { (o.replay) } ")" }
                                }
                            }
                        }
                    }
                    @for finding in &f.findings {
                        div.failure {
                            h4 { "fuzz/" (finding.target) " #" (finding.index) ": " (finding.kind) }
                            pre { (finding.message) }
                            p { "Replay: " code { (finding.replay) } }
                        }
                    }
                }
            }
        }
    }
}

/// Differentiable execution: exact prefix against beta, and the learning
/// demo's loss curve (when `check` or `report` was given their files).
fn soft(r: &Results) -> Markup {
    let Some(soft) = &r.soft else {
        return html! {};
    };
    let classes = ["s-hull", "s-brute"];
    let sweeps: Vec<Series> = soft
        .sweeps
        .iter()
        .enumerate()
        .map(|(i, s)| Series {
            name: s.program.clone(),
            class: classes[i % classes.len()],
            points: s
                .points
                .iter()
                .filter(|p| p.1 > 0)
                .map(|&(beta, prefix)| (beta, prefix as f64))
                .collect(),
        })
        .collect();
    html! {
        section #soft {
            h2 { "Differentiable execution" }
            @if !sweeps.is_empty() {
                p {
                    "The built weights with every attention head a softmax over its scores times "
                    "beta (" code { "hullvm soft NAME --sweep" } "): how many reference tokens greedy "
                    "soft decoding reproduces before it first leaves the trace. Betas that reproduce "
                    "no token are left off the log axis."
                }
                (log_log_lines(&sweeps, "beta", "exact prefix (tokens)"))
                ul {
                    @for s in &soft.sweeps {
                        li {
                            (s.program) ": "
                            @match s.smallest_reproducing_beta {
                                Some(b) => { "whole run (" (s.reference_tokens) " tokens) from beta " (format!("{b:.3e}")) }
                                None => { "no beta on the grid reproduces the whole run" }
                            }
                        }
                    }
                }
            }
            @if let Some(l) = &soft.learn {
                p {
                    "Learning (" code { "hullvm learn" } "): knocked out " (l.knocked_out)
                    "; trained on " (l.train.join(", ")) " by gradient descent through the soft model. "
                    @match l.recovered_after {
                        Some(n) => { "The hard decoder was exact again on every held-out program after " (n) " steps (" (format!("{:.1}", l.seconds)) " s)." }
                        None => { "Not recovered within " (l.losses.len()) " steps." }
                    }
                }
                (log_log_lines(&[Series {
                    name: "training loss".to_string(),
                    class: "s-hull",
                    points: l.losses.iter().enumerate().map(|(i, &loss)| ((i + 1) as f64, loss)).collect(),
                }], "step", "loss (nats)"))
                p { "The learnt model on the hard decoder, held out (decides when to stop):" }
                ul {
                    @for (program, exact) in &l.held_out {
                        li { (program) ": " @if *exact { "exact" } @else { "not exact" } }
                    }
                }
                @if !l.also.is_empty() {
                    p { "Checked once after the run (never used to stop):" }
                    ul {
                        @for (program, exact) in &l.also {
                            li { (program) ": " @if *exact { "exact" } @else { "not exact" } }
                        }
                    }
                }
            }
        }
    }
}
