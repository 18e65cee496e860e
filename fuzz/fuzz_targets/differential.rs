//! cargo-fuzz target: `hullvm::fuzz::targets::differential`; a finding is a crash.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(finding) = hullvm::fuzz::targets::differential(data) {
        panic!("differential: {finding}");
    }
});
