//! Progress on stderr that a CI log shows too. On a terminal a stage is an
//! indicatif bar (or spinner); indicatif draws nothing when stderr is not a
//! terminal, so there a stage is plain lines instead: one when it starts,
//! one every few seconds, one when it ends ("spec v1: 4000/18455 trials,
//! 12 s").

use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal as _, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often a stage prints a line when stderr is not a terminal.
pub const EVERY: Duration = Duration::from_secs(5);

/// Whether progress can be drawn in place (`\r`, bars): stderr is a terminal.
pub fn on_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// Where plain progress lines go: stderr, or a buffer in tests.
#[derive(Clone)]
pub enum Sink {
    Stderr,
    Buffer(Arc<Mutex<Vec<u8>>>),
}

impl Sink {
    fn line(&self, text: &str) {
        match self {
            Sink::Stderr => eprintln!("{text}"),
            Sink::Buffer(b) => {
                let _ = writeln!(b.lock().expect("the buffer"), "{text}");
            }
        }
    }
}

/// At most one `true` per interval (the first call is `true`): throttles
/// progress that arrives more often than a log should show it.
pub struct Every {
    every: Duration,
    last: Mutex<Option<Instant>>,
}

impl Every {
    pub fn new(every: Duration) -> Every {
        Every {
            every,
            last: Mutex::new(None),
        }
    }

    pub fn ready(&self) -> bool {
        let mut last = self.last.lock().expect("the throttle");
        let now = Instant::now();
        if last.is_some_and(|t| now.duration_since(t) < self.every) {
            return false;
        }
        *last = Some(now);
        true
    }
}

/// A counted stage as plain lines: "{what}: {done}/{total} {unit}, {s} s"
/// when it starts, every [`EVERY`] while it runs, and when it finishes.
pub struct Lines {
    what: String,
    unit: String,
    total: u64,
    done: AtomicU64,
    started: Instant,
    throttle: Every,
    sink: Sink,
}

impl Lines {
    pub fn new(what: &str, total: usize, unit: &str) -> Lines {
        Lines::with(what, total, unit, EVERY, Sink::Stderr)
    }

    /// [`Lines::new`] with its interval and sink chosen (for tests).
    pub fn with(what: &str, total: usize, unit: &str, every: Duration, sink: Sink) -> Lines {
        let lines = Lines {
            what: what.to_string(),
            unit: unit.to_string(),
            total: total as u64,
            done: AtomicU64::new(0),
            started: Instant::now(),
            throttle: Every::new(every),
            sink,
        };
        // The start line, which also starts the interval.
        lines.throttle.ready();
        lines.print(0);
        lines
    }

    fn print(&self, done: u64) {
        self.sink.line(&format!(
            "{}: {done}/{} {}, {:.0} s",
            self.what,
            self.total,
            self.unit,
            self.started.elapsed().as_secs_f64()
        ));
    }

    /// One more done; a line if the interval has passed.
    pub fn inc(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if done < self.total && self.throttle.ready() {
            self.print(done);
        }
    }

    /// The end line.
    pub fn finish(&self) {
        self.print(self.done.load(Ordering::Relaxed));
    }
}

/// One stage of a long job: a bar or spinner on a terminal, plain lines
/// otherwise.
pub enum Stage {
    Bar(ProgressBar),
    Lines(Lines),
    /// A stage without a count, off a terminal: its messages, throttled.
    Messages {
        what: String,
        started: Instant,
        throttle: Every,
    },
}

impl Stage {
    /// A stage of `total` items (`unit`: "programs", "trials").
    pub fn counted(what: &str, total: usize, unit: &str) -> Stage {
        if !on_terminal() {
            return Stage::Lines(Lines::new(what, total, unit));
        }
        let bar = ProgressBar::new(total as u64).with_message(what.to_string());
        bar.set_style(
            ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} {elapsed}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        Stage::Bar(bar)
    }

    /// A stage without a count; [`Stage::message`] says how it goes.
    pub fn spinner(what: &str) -> Stage {
        if !on_terminal() {
            eprintln!("{what}: started");
            return Stage::Messages {
                what: what.to_string(),
                started: Instant::now(),
                throttle: Every::new(EVERY),
            };
        }
        let bar = ProgressBar::new_spinner().with_message(what.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        Stage::Bar(bar)
    }

    pub fn inc(&self) {
        match self {
            Stage::Bar(bar) => bar.inc(1),
            Stage::Lines(lines) => lines.inc(),
            Stage::Messages { .. } => {}
        }
    }

    /// The spinner's message, or a line every few seconds.
    pub fn message(&self, message: String) {
        match self {
            Stage::Bar(bar) => bar.set_message(message),
            Stage::Lines(_) => {}
            Stage::Messages {
                started, throttle, ..
            } => {
                if throttle.ready() {
                    eprintln!("{message}, {:.0} s", started.elapsed().as_secs_f64());
                }
            }
        }
    }

    /// A line of its own above the bar (or in the log).
    pub fn note(&self, line: &str) {
        match self {
            Stage::Bar(bar) => bar.println(line),
            _ => eprintln!("{line}"),
        }
    }

    /// The end: the bar stays (a counted stage) or is cleared (a spinner);
    /// off a terminal, the end line.
    pub fn finish(&self) {
        match self {
            Stage::Bar(bar) if bar.length().is_some() => bar.finish(),
            Stage::Bar(bar) => bar.finish_and_clear(),
            Stage::Lines(lines) => lines.finish(),
            Stage::Messages { what, started, .. } => {
                eprintln!("{what}: done, {:.0} s", started.elapsed().as_secs_f64())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(buffer: &Arc<Mutex<Vec<u8>>>) -> Vec<String> {
        String::from_utf8(buffer.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// A line when the stage starts, one per interval, one at the end.
    #[test]
    fn a_counted_stage_prints_plain_lines() {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = Sink::Buffer(buffer.clone());
        // An interval of zero: a line for every item.
        let lines = Lines::with("spec v1", 3, "trials", Duration::ZERO, sink.clone());
        for _ in 0..3 {
            lines.inc();
        }
        lines.finish();
        assert_eq!(
            lines_of(&buffer),
            [
                "spec v1: 0/3 trials, 0 s",
                "spec v1: 1/3 trials, 0 s",
                "spec v1: 2/3 trials, 0 s",
                "spec v1: 3/3 trials, 0 s",
            ]
        );
        // A long interval: only the start and the end.
        buffer.lock().unwrap().clear();
        let lines = Lines::with("corpus", 100, "programs", EVERY, sink);
        for _ in 0..100 {
            lines.inc();
        }
        lines.finish();
        assert_eq!(
            lines_of(&buffer),
            [
                "corpus: 0/100 programs, 0 s",
                "corpus: 100/100 programs, 0 s"
            ]
        );
    }

    #[test]
    fn every_lets_one_through_per_interval() {
        let every = Every::new(Duration::from_secs(3600));
        assert!(every.ready());
        assert!(!every.ready());
        let every = Every::new(Duration::ZERO);
        assert!(every.ready() && every.ready());
    }
}
