//! cargo-fuzz target: `hullvm::fuzz::targets::hull`; a finding is a crash.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(finding) = hullvm::fuzz::targets::hull(data) {
        panic!("hull: {finding}");
    }
});
