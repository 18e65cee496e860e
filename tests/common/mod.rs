//! Shared by the integration tests.

use std::path::PathBuf;

/// The published tool's vectors in `../shared/vectors`. Where they are
/// absent the calling test prints that it skipped, unless
/// `HULLVM_REQUIRE_VECTORS` is set (CI sets it): then absence fails.
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
