//! How a run ended, for every engine: the transformer, the reference
//! tracer, wasmi and the arbiter each report an [`EngineRun`], so runs are
//! compared as data.

use crate::compile::Trap;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "ending", rename_all = "snake_case")]
pub enum Ending {
    /// The entry returned; the last invocation's results (raw bits; none
    /// for a `compute` entry or a token program).
    Finished { results: Vec<u32> },
    /// A wasm trap hullvm models.
    Trap { trap: Trap },
    /// A trap hullvm does not model (wasmi only), by its message.
    OtherTrap { message: String },
    /// The token cap was reached before the run ended.
    TokenLimit,
    /// wasmi's fuel or its call stack ran out.
    Exhausted { what: Exhaustion },
    /// The engine stopped where no run may stop: a tracer fault, a `halt`
    /// that is no exit of the program, a numeric-domain error.
    Fault { message: String },
}

/// What ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exhaustion {
    Fuel,
    CallStack,
    /// The instrumented run reported more source steps than the check
    /// compares, and was stopped there.
    Steps,
}

impl Ending {
    /// Whether the run reached an end of the program (returned or trapped)
    /// rather than a limit or a fault.
    pub fn is_complete(&self) -> bool {
        matches!(
            self,
            Ending::Finished { .. } | Ending::Trap { .. } | Ending::OtherTrap { .. }
        )
    }
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ending::Finished { results } if results.is_empty() => f.write_str("finished"),
            Ending::Finished { results } => write!(f, "finished with {results:08x?}"),
            Ending::Trap { trap } => write!(f, "trap: {trap}"),
            Ending::OtherTrap { message } => write!(f, "trap: {message}"),
            Ending::TokenLimit => f.write_str("token limit reached"),
            Ending::Exhausted {
                what: Exhaustion::Fuel,
            } => f.write_str("out of fuel"),
            Ending::Exhausted {
                what: Exhaustion::CallStack,
            } => f.write_str("call stack exhausted"),
            Ending::Exhausted {
                what: Exhaustion::Steps,
            } => f.write_str("stopped after the steps compared"),
            Ending::Fault { message } => write!(f, "fault: {message}"),
        }
    }
}

/// One engine's run: the bytes it printed and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineRun {
    /// Output bytes (program output only: results are in the ending).
    pub output: Vec<u8>,
    pub ending: Ending,
}

impl fmt::Display for EngineRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, output {:02x?}", self.ending, self.output)
    }
}
