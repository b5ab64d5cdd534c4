//! The VS Code extension's client side: `editors/vscode/test/client.test.js`
//! loads `extension.js` with stand-ins for the modules only VS Code has,
//! checks that it starts `dddc lsp` (the binary of `dddc.path`, over stdio,
//! for `.ddd` files and unsaved buffers), starts that server for real, and
//! runs the code lens's `dddc.showPlan` on MiToga with one field added.
//!
//! Needs Node.js (the extension's npm packages are not needed: the test
//! stands in for them).

#[path = "lsp_client.rs"]
mod client;

use std::path::Path;
use std::process::Command;

#[test]
fn the_vscode_extension_starts_dddc_lsp_and_shows_the_plan() {
    let dddc = Path::new(env!("CARGO_BIN_EXE_dddc"));
    let dir = tempfile::tempdir().expect("temp dir");
    let root = client::mitoga_built(dddc, dir.path());
    let file = root.join("contexts/reservas.ddd");
    let text = std::fs::read_to_string(&file).expect("read");
    let added = text.replacen("    estado: EstadoReserva", "    nota: text?\n    estado: EstadoReserva", 1);
    assert_ne!(added, text, "the field was added");
    std::fs::write(&file, added).expect("write");

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("editors/vscode/test/client.test.js");
    let node = std::env::var_os("NODE").unwrap_or_else(|| "node".into());
    let out = Command::new(&node)
        .arg(&script)
        .env("DDDC_BIN", dddc)
        .env("DDDC_PROJECT", &root)
        .output()
        .unwrap_or_else(|e| panic!("cannot run Node.js (`{}`): {e}; install Node.js", node.to_string_lossy()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the client test failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("client test: ok"), "{stdout}");
}
