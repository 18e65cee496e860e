//! cargo-fuzz target: `hullvm::fuzz::targets::parse`; a finding is a crash.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(finding) = hullvm::fuzz::targets::parse(data) {
        panic!("parse: {finding}");
    }
});
