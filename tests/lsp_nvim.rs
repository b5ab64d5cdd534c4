//! A real editor on `dddc lsp`: Neovim (the Debian package, 0.7 or later),
//! headless, with its built-in LSP client and no configuration but
//! `tests/lsp/neovim.lua`, attaches the server to MiToga, and the test reads
//! back what the editor got: diagnostics, a hover with the SQL, a definition
//! in another file, and the error of an edit typed into the unsaved buffer.

#[path = "lsp_client.rs"]
mod client;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

#[test]
fn neovim_attaches_and_shows_diagnostics_and_hover() {
    let dddc = Path::new(env!("CARGO_BIN_EXE_dddc"));
    let dir = tempfile::tempdir().expect("temp dir");
    let root = client::mitoga_built(dddc, dir.path());
    let file = root.join("contexts/reservas.ddd");
    let out = dir.path().join("neovim.json");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lsp/neovim.lua");
    let mut nvim = Command::new("nvim")
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-n", "--noplugin", "-c"])
        .arg(format!("luafile {}", script.display()))
        .env("DDDC_BIN", dddc)
        .env("DDDC_ROOT", &root)
        .env("DDDC_FILE", &file)
        .env("DDDC_OUT", &out)
        .current_dir(&root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start nvim ({e}); install Neovim (Debian: apt-get install neovim)"));
    let deadline = Instant::now() + Duration::from_secs(180);
    let status = loop {
        if let Some(s) = nvim.try_wait().expect("wait for nvim") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = nvim.kill();
            panic!("nvim did not finish within 180 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let report: Value = match std::fs::read_to_string(&out) {
        Ok(text) => serde_json::from_str(&text).expect("the script writes JSON"),
        Err(e) => panic!("nvim wrote no report ({e}); exit status {status}"),
    };
    assert_eq!(report["ok"], true, "the script failed: {} (steps done: {})", report["error"], report["steps"]);
    assert!(status.success(), "nvim exited with {status}");

    // As opened: lint findings only, the cross-context reference's L009
    // on its line, with the server's code.
    let text = std::fs::read_to_string(&file).expect("read");
    let opened = report["opened"].as_array().expect("diagnostics");
    assert!(opened.iter().all(|d| d["severity"] != 1), "MiToga has no errors: {opened:?}");
    let tutor_line = text.lines().position(|l| l.contains("tutor: ref marketplace.Tutor")).expect("the line") as u64;
    assert!(opened.iter().any(|d| d["code"] == "L009" && d["lnum"] == tutor_line), "{opened:?}");

    // The hover: the doc comment and the column.
    let hover = report["hover"].as_str().expect("hover text");
    assert!(hover.contains("Situación en el ciclo de vida."), "{hover}");
    assert!(hover.contains("estado VARCHAR(10) NOT NULL DEFAULT 'PENDIENTE'"), "{hover}");

    // The definition is in another file.
    let def = &report["definition"];
    let target = def["uri"].as_str().or_else(|| def[0]["uri"].as_str()).expect("a location");
    assert!(target.ends_with("contexts/marketplace.ddd"), "{def}");

    // Typed, not saved: the error at the misspelt value, in bytes as
    // Neovim counts them.
    assert_eq!(report["modified"], true, "the buffer was not saved");
    let edited = report["edited"].as_array().expect("diagnostics");
    let e = edited.iter().find(|d| d["code"] == "E0103").expect("E0103");
    let line = text.lines().position(|l| l.contains("= PENDIENTE")).expect("the default") as u64;
    let col = text.lines().nth(line as usize).and_then(|l| l.find("PENDIENTE")).expect("the value") as u64;
    assert_eq!((e["lnum"].as_u64(), e["col"].as_u64(), e["end_col"].as_u64()), (Some(line), Some(col), Some(col + 8)));
    assert_eq!(e["severity"], 1);
    let fixed = report["fixed"].as_array().expect("diagnostics");
    assert!(fixed.iter().all(|d| d["severity"] != 1), "{fixed:?}");
    assert_eq!(report["steps"].as_array().map(Vec::len), Some(7), "{}", report["steps"]);
}
