//! The harness: one check of one run ([`pipeline`]), and what is built on
//! it: the main job ([`check`]), the spec suite ([`spec`]), the corpora
//! ([`corpus`]), inputs from files ([`input`]), the benchmark ([`bench`])
//! and the decoder's horizon measured at large positions ([`horizon`]);
//! and their progress on stderr ([`progress`]).

pub mod bench;
pub mod check;
pub mod corpus;
pub mod horizon;
pub mod input;
pub mod op_cost;
pub mod progress;
pub mod results;
pub mod spec;
