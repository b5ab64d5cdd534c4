//! `cargo bench --bench lsp`: how fast `dddc lsp` answers an editor on a
//! large model, measured as an editor sees it — the release binary started
//! as a process, JSON-RPC over its stdin and stdout (the tests' client).
//!
//! The model is `tools/genmodel`'s: 2,000 aggregates of 12 fields, every
//! declaration documented, 40 contexts in 41 files, built once with
//! `dddc build` so that a lock exists and the code lens has a plan to show.
//!
//! Figures (each the median, 90th percentile and worst of its runs):
//!
//! - **diagnostics after an edit** (the target: within 100 ms):
//!   from the `didChange` of a context file to the first
//!   `publishDiagnostics` for that version — the debounce (25 ms) included.
//!   Edits alternate between breaking an enum default and fixing it, and
//!   each publication is checked to say so.
//! - **full pass after an edit**: to the second publication, the whole
//!   project analysed again (what the edit broke elsewhere, lint, the plan).
//! - **an edit of the root file**: no slice applies; the full pass alone.
//! - **requests** on a fresh snapshot: hover (with the SQL), definition,
//!   references of an enum used in every context, completion, the outline
//!   (document symbols), rename, the code lens: from the request to its
//!   answer's last byte read. This client's own parse of the answer into a
//!   `serde_json::Value` is left out (an editor parses with its own) and
//!   printed beside when it adds more than 1 ms: the outline of the model
//!   written as one file is 7.7 MB of JSON.
//! - **opening** the model: `initialize` to the first diagnostics.
//!
//! `LSP_BENCH_AGGREGATES` changes the size; `LSP_BENCH_EDITS` the number of
//! edits (20); `LSP_BENCH_RICH=1` makes every context tenant-scoped and
//! adds outboxes, audit trails and search (genmodel `--tenants --rich`);
//! `LSP_BENCH_PER_CONTEXT` the aggregates per context (50; 1 gives a file
//! per aggregate); `LSP_BENCH_ONE_FILE=1` writes the model as one file
//! (genmodel `--single-file`), whose middle context is edited;
//! `LSP_BENCH_ONE_LINE=1` writes it on one line (without its doc
//! comments, which end at a line's end): every position is then a column
//! of the same line.

#[path = "../tests/lsp_client.rs"]
#[allow(unused_imports)]
mod client;
#[path = "../tools/genmodel/src/lib.rs"]
#[allow(dead_code, unused_imports)]
mod genmodel;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use client::{position, uri, Client};
use serde_json::{json, Value};

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this
    // target too (in a debug build, without it): there it only says so.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("a benchmark: run it with `cargo bench --bench {}`", env!("CARGO_CRATE_NAME"));
        return;
    }
    let dddc = Path::new(env!("CARGO_BIN_EXE_dddc"));
    let aggregates: usize = env_or("LSP_BENCH_AGGREGATES", 2000);
    let edits: usize = env_or("LSP_BENCH_EDITS", 20);
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().canonicalize().expect("canonical temp dir");
    let rich = std::env::var_os("LSP_BENCH_RICH").is_some_and(|v| !v.is_empty() && v != "0");
    let per_context = env_or("LSP_BENCH_PER_CONTEXT", 50);
    let one_line = std::env::var_os("LSP_BENCH_ONE_LINE").is_some_and(|v| !v.is_empty() && v != "0");
    let shape =
        genmodel::Shape { tenants: rich, rich, per_context, docs: !one_line, ..genmodel::Shape::new(aggregates, 12) };
    let mut bytes = 0;
    let one_file = one_line || std::env::var_os("LSP_BENCH_ONE_FILE").is_some_and(|v| !v.is_empty() && v != "0");
    let mut files = genmodel::project(&shape, one_file);
    if one_line {
        for f in &mut files {
            f.text = format!("{}\n", f.text.trim_end().replace('\n', " "));
        }
    }
    for f in &files {
        let path = root.join(&f.path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(&path, &f.text).expect("write model");
        bytes += f.text.len();
    }
    let t = Instant::now();
    let out = Command::new(dddc).arg("-C").arg(&root).args(["build", "-q"]).output().expect("dddc build");
    assert!(out.status.success(), "dddc build failed: {}", String::from_utf8_lossy(&out.stderr));
    println!(
        "model: {aggregates} aggregates × 12 fields, {}, {} files, {:.1} MB ({} lines); `dddc build` {:.0} ms",
        if one_line { "on one line, no doc comments" } else { "documented" },
        files.len() - 1,
        bytes as f64 / 1e6,
        files.iter().map(|f| f.text.lines().count()).sum::<usize>(),
        ms(t.elapsed())
    );

    // The context file in the middle of the model (the last, when there
    // are fewer than aggregates / 100: one context of them all), edited.
    // With one file, that file, its middle context's first enum default
    // edited.
    let contexts = files.iter().filter(|f| f.path.starts_with("contexts/")).count();
    let middle = files
        .iter()
        .filter(|f| f.path.starts_with("contexts/") || one_file && f.path == "model.ddd")
        .nth((shape.aggregates / 100).min(contexts.saturating_sub(1)))
        .expect("a context");
    let ctx_path = root.join(&middle.path);
    let ctx_uri = uri(&ctx_path);
    let ctx_text = middle.text.clone();
    let edit_at = if one_file {
        let name = format!("context ctx{:03} {{", shape.aggregates.div_ceil(shape.per_context.max(1)) / 2);
        ctx_text.find(&name).expect("the middle context")
    } else {
        0
    };
    let model_uri = uri(&root.join("model.ddd"));
    let model_text = files[0].text.clone();

    let mut c = Client::start(dddc, &root);
    let t = Instant::now();
    c.initialize(&root);
    c.open(&ctx_uri, &ctx_text);
    let first = c.diagnostics(&ctx_uri, Some(1));
    let open = t.elapsed();
    if !one_file {
        c.open(&model_uri, &model_text);
        c.diagnostics(&model_uri, Some(1));
    }
    println!("open: initialize to the first diagnostics {:.0} ms ({} findings in the file)", ms(open), first.len());

    // Edits of a context file: broken, fixed, broken, …
    let needle = "status: Status = DRAFT";
    let at = edit_at + ctx_text[edit_at..].find(needle).expect("an enum default");
    let broken = format!("{}{}{}", &ctx_text[..at], "status: Status = DRAFTT", &ctx_text[at + needle.len()..]);
    let mut quick = Vec::new();
    let mut full = Vec::new();
    let mut alone = 0;
    let mut version = 1;
    for i in 0..edits {
        let (text, wrong) = if i % 2 == 0 { (&broken, true) } else { (&ctx_text, false) };
        version += 1;
        drain(&mut c);
        let t = Instant::now();
        c.replace(&ctx_uri, version, text);
        let d = c.diagnostics(&ctx_uri, Some(version));
        quick.push(t.elapsed());
        assert_eq!(has(&d, "E0103"), wrong, "edit {i}: the first diagnostics are the new text's: {d:?}");
        // The full pass publishes again, unless it answered alone: the
        // quick pass gives way when its slice would be the whole model,
        // as with a single context file. Anywhere else a missing second
        // publication is a failure, as it always was.
        let patience = (quick[quick.len() - 1] * 4).max(std::time::Duration::from_secs(5));
        let again = c.wait_for("textDocument/publishDiagnostics", patience, |p| {
            p["uri"] == ctx_uri && p["version"] == json!(version)
        });
        match again {
            Some(again) => {
                full.push(t.elapsed());
                assert_eq!(has(again["diagnostics"].as_array().expect("a list"), "E0103"), wrong);
            }
            None if contexts == 1 || one_file => alone += 1,
            None => panic!("edit {i}: the full pass publishes too"),
        }
    }
    report("diagnostics after an edit (target < 100 ms)", &mut quick);
    if alone > 0 {
        println!("  (the full pass answered alone after {alone} of the {edits} edits: no quick pass)");
    }
    if !full.is_empty() {
        report("full pass after an edit", &mut full);
    }

    // Edits of the root file: its doc comment, changed back and forth.
    let mut rooted = Vec::new();
    for i in 0..edits / 2 {
        let text = if i % 2 == 0 {
            model_text.replacen("A generated model", "A generated, edited model", 1)
        } else {
            model_text.clone()
        };
        version += 1;
        drain(&mut c);
        let t = Instant::now();
        c.replace(&model_uri, version, &text);
        c.diagnostics(&model_uri, Some(version));
        rooted.push(t.elapsed());
    }
    report("diagnostics after an edit of the root file", &mut rooted);

    // Requests, each on a fresh snapshot.
    let at = |needle: &str, shift: usize| position(&ctx_text, needle, 0, shift);
    let doc = |pos: Value| json!({ "textDocument": { "uri": ctx_uri }, "position": pos });
    let requests: Vec<(&str, &str, Value)> = vec![
        ("hover on an aggregate (its table's SQL)", "textDocument/hover", doc(at("aggregate Item", 12))),
        ("hover on a field (its column)", "textDocument/hover", doc(at("price: Money", 1))),
        ("definition of a kernel type", "textDocument/definition", doc(at("price: Money", 8))),
        (
            "references of a kernel type (every context)",
            "textDocument/references",
            json!({ "textDocument": { "uri": ctx_uri }, "position": at("price: Money", 8), "context": { "includeDeclaration": true } }),
        ),
        ("completion of a field's type", "textDocument/completion", doc(at("price: Money", 7))),
        ("document symbols", "textDocument/documentSymbol", json!({ "textDocument": { "uri": ctx_uri } })),
        (
            "rename of a field in the lock (adds @was)",
            "textDocument/rename",
            json!({ "textDocument": { "uri": ctx_uri }, "position": at("quantity: int", 1), "newName": "units" }),
        ),
        ("code lens (the pending plan)", "textDocument/codeLens", json!({ "textDocument": { "uri": model_uri } })),
    ];
    for (name, method, params) in requests {
        let mut runs = Vec::new();
        let mut parsed = Vec::new();
        let mut answer = Value::Null;
        for _ in 0..10 {
            let t = Instant::now();
            answer = c.request(method, params.clone());
            parsed.push(t.elapsed());
            runs.push(c.arrived.expect("an answer was read") - t);
        }
        assert!(!answer.is_null(), "{method} answered nothing");
        if method == "textDocument/references" {
            println!("  ({} references)", answer.as_array().map_or(0, Vec::len));
        }
        report(name, &mut runs);
        parsed.sort();
        let (answered, whole) = (ms(runs[runs.len() / 2]), ms(parsed[parsed.len() / 2]));
        if whole > answered + 1.0 {
            println!("  (and parsed by this client into a serde_json::Value: median {whole:.1} ms)");
        }
    }
    assert_eq!(c.shutdown(), Some(0));
}

fn has(diags: &[Value], code: &str) -> bool {
    diags.iter().any(|d| d["code"] == code)
}

/// Drops the notifications already received (older publications).
fn drain(c: &mut Client) {
    while c.wait_for("textDocument/publishDiagnostics", Duration::from_millis(1), |_| true).is_some() {}
    c.notifications.clear();
}

fn report(name: &str, runs: &mut [Duration]) {
    runs.sort();
    let p = |q: f64| runs[((runs.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name}: median {:.1} ms, p90 {:.1} ms, worst {:.1} ms ({} runs)",
        ms(p(0.5)),
        ms(p(0.9)),
        ms(p(1.0)),
        runs.len()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
