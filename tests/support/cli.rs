//! The `dddc` binary run on a project, as a user runs it.

use std::path::Path;
use std::process::{Command, Output};

/// `dddc -C dir args…` without colours or `SOURCE_DATE_EPOCH`.
pub fn dddc(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dddc"))
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .expect("the dddc binary runs")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
