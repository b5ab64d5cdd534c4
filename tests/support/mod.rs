//! Helpers shared by the integration tests. Each test binary includes this
//! with `mod support;` and uses only part of it, hence `allow(dead_code)`.
#![allow(dead_code)]

pub mod catalog;
pub mod cli;
pub mod lock_audit;
pub mod pg;

/// Copies a folder and everything in it (an example project into a
/// temporary one).
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}
