//! Shared by the integration tests.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The `hullvm` binary run with `args` in the package folder.
#[allow(dead_code)] // not every test crate runs the binary
pub fn hullvm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hullvm"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("hullvm runs")
}

/// A path for a test's file in this process's own temporary folder.
#[allow(dead_code)]
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hullvm-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// The published tool's vectors in `../shared/vectors`. Where they are
/// absent the calling test prints that it skipped, unless
/// `HULLVM_REQUIRE_VECTORS` is set (CI sets it): then absence fails.
#[allow(dead_code)]
pub fn vectors_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var_os("HULLVM_REQUIRE_VECTORS").is_some() {
        panic!(
            "HULLVM_REQUIRE_VECTORS is set but {} is missing",
            dir.display()
        );
    }
    eprintln!("skipped: ../shared/vectors not found");
    None
}

/// splitmix64: a deterministic stream of test operands.
#[allow(dead_code)] // not every test crate draws random operands
pub struct SplitMix(pub u64);

#[allow(dead_code)]
impl SplitMix {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}
