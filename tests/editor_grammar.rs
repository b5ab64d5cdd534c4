//! The TextMate grammar of the VS Code extension (editors/vscode) highlights
//! every `.ddd` file of examples/ and tests/ the way the language reads it:
//! runs `node editors/vscode/test/grammar.test.js` from the repository root
//! (see that file for what it checks) and fails with its output.
//!
//! Needs Node.js and the extension's npm dependencies, installed with
//! `npm ci --prefix editors/vscode` (scripts/install-deps.sh does it). Without
//! them the test fails and says so: it never passes without having run.

use std::path::Path;
use std::process::Command;

const INSTALL_HINT: &str = "run `npm ci --prefix editors/vscode` (scripts/install-deps.sh does it in CI)";

#[test]
fn vscode_grammar_highlights_every_ddd_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = Path::new("editors/vscode/test/grammar.test.js");
    assert!(root.join(script).is_file(), "{} is missing", script.display());

    let node = std::env::var_os("NODE").unwrap_or_else(|| "node".into());
    match Command::new(&node).arg("--version").output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "`{} --version` failed ({}): the editor grammar test needs Node.js; install it, then {INSTALL_HINT}",
            node.to_string_lossy(),
            out.status
        ),
        Err(e) => panic!(
            "Node.js (`{}`) was not found ({e}): the editor grammar test needs it; install Node.js, then {INSTALL_HINT}",
            node.to_string_lossy()
        ),
    }

    let modules = root.join("editors/vscode/node_modules");
    for dep in ["vscode-textmate", "vscode-oniguruma"] {
        assert!(
            modules.join(dep).join("package.json").is_file(),
            "editors/vscode/node_modules/{dep} is missing: {INSTALL_HINT}"
        );
    }

    let out = Command::new(&node)
        .arg(script)
        .current_dir(root)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `node {}`: {e}", script.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    assert!(out.status.success(), "`node {}` failed ({}):\n{stdout}{stderr}", script.display(), out.status);
}
