//! `dddc lsp` spoken to as an editor does: the binary started as a process,
//! JSON-RPC over its stdin and stdout, on a copy of the MiToga example
//! (built once with `dddc build`, so that its lock is current).

#[path = "lsp_client.rs"]
mod client;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use client::{position, uri, Client};
use proptest::prelude::*;
use serde_json::{json, Value};

fn dddc() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_dddc"))
}

/// A copy of MiToga's model (no generated files), built once: its lock
/// holds V1.
struct Project {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Project {
    fn mitoga() -> Project {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = client::mitoga_built(dddc(), dir.path());
        Project { _dir: dir, root }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn uri(&self, rel: &str) -> String {
        uri(&self.path(rel))
    }

    fn text(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).expect("read")
    }

    /// A server on this project, with `files` open (each waiting for its
    /// first diagnostics, which are returned).
    fn open(&self, files: &[&str]) -> (Client, Vec<Vec<Value>>) {
        let mut c = Client::start(dddc(), &self.root);
        c.initialize(&self.root);
        let mut all = Vec::new();
        for f in files {
            c.open(&self.uri(f), &self.text(f));
        }
        for f in files {
            all.push(c.diagnostics(&self.uri(f), None));
        }
        (c, all)
    }
}

fn codes(diags: &[Value]) -> Vec<String> {
    diags.iter().map(|d| d["code"].as_str().unwrap_or("").to_string()).collect()
}

fn doc(uri: &str, pos: Value) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": pos })
}

/// Applies the edits of a `WorkspaceEdit` for one URI to a text (UTF-16
/// positions; the texts here are what the test wrote).
fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |p: &Value| -> usize {
        let line = p["line"].as_u64().unwrap() as usize;
        let ch = p["character"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let mut units = 0;
        for (i, c) in text[start..].char_indices() {
            if units >= ch || c == '\n' {
                return start + i;
            }
            units += c.len_utf16();
        }
        text.len()
    };
    let mut edits: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| (offset(&e["range"]["start"]), offset(&e["range"]["end"]), e["newText"].as_str().unwrap().to_string()))
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse((e.0, e.1)));
    let mut out = text.to_string();
    for (s, e, t) in edits {
        out.replace_range(s..e, &t);
    }
    out
}

#[test]
fn mitoga_has_exactly_the_command_lines_diagnostics() {
    let p = Project::mitoga();
    let files = ["mitoga.ddd", "contexts/reservas.ddd", "contexts/pagos.ddd", "contexts/marketplace.ddd"];
    let (c, diags) = p.open(&files);
    // No compiler diagnostic: only the lint findings `dddc lint` reports,
    // at the same places.
    let lint = Command::new(dddc()).arg("-C").arg(&p.root).args(["lint", "--format", "json"]).output().unwrap();
    let report: Value = serde_json::from_slice(&lint.stdout).expect("lint JSON");
    let findings =
        report["findings"].as_array().or_else(|| report["diagnostics"].as_array()).cloned().unwrap_or_default();
    let mut expected: Vec<(String, String, u64)> = findings
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap_or("").to_string(),
                f["code"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    expected.sort();
    let mut got = Vec::new();
    for (f, ds) in files.iter().zip(&diags) {
        for d in ds {
            assert_ne!(d["severity"], 1, "MiToga has no errors: {d}");
            let code = d["code"].as_str().unwrap();
            assert!(code.starts_with('L'), "only lint findings on MiToga, got {d}");
            assert!(d["codeDescription"]["href"].as_str().is_some_and(|h| h.ends_with(&format!("{code}.md"))));
            got.push((f.to_string(), code.to_string(), d["range"]["start"]["line"].as_u64().unwrap() + 1));
        }
    }
    got.sort();
    let expected: Vec<(String, String, u64)> = expected
        .into_iter()
        .filter(|(f, _, _)| files.iter().any(|x| f.ends_with(x)))
        .map(|(f, c, l)| {
            let short = files.iter().find(|x| f.ends_with(*x)).unwrap().to_string();
            (short, c, l)
        })
        .collect();
    assert_eq!(got, expected, "the editor shows what `dddc lint` reports");
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn a_broken_file_gets_the_right_code_at_the_right_range() {
    let p = Project::mitoga();
    let (mut c, _) = p.open(&["contexts/reservas.ddd"]);
    let u = p.uri("contexts/reservas.ddd");
    let broken = p
        .text("contexts/reservas.ddd")
        .replace("estado: EstadoReserva = PENDIENTE", "estado: EstadoReserva = PENDENTE");
    c.replace(&u, 2, &broken);
    let diags = c.diagnostics(&u, Some(2));
    let d = diags.iter().find(|d| d["code"] == "E0103").unwrap_or_else(|| panic!("E0103 expected, got {diags:?}"));
    assert_eq!(d["severity"], 1);
    let start = position(&broken, "PENDENTE", 0, 0);
    let end = position(&broken, "PENDENTE", 0, "PENDENTE".len());
    assert_eq!(d["range"], json!({ "start": start, "end": end }));
    assert!(d["message"].as_str().unwrap().contains("did you mean `PENDIENTE`?"), "{d}");
    // The quick fix is there.
    let actions = c.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": u }, "range": d["range"], "context": { "diagnostics": [d] } }),
    );
    let fix =
        actions.as_array().unwrap().iter().find(|a| a["title"] == "Change to `PENDIENTE`").expect("did-you-mean fix");
    let fixed = apply(&broken, fix["edit"]["changes"][&u].as_array().unwrap());
    assert_eq!(fixed, p.text("contexts/reservas.ddd"));
    // A syntax error: E0001 on the broken line.
    let syntax = broken.replace("    inicio: timestamp\n", "    inicio timestamp\n");
    c.replace(&u, 3, &syntax);
    let diags = c.diagnostics(&u, Some(3));
    assert!(codes(&diags).contains(&"E0001".to_string()), "{diags:?}");
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn hover_shows_the_doc_comment_and_the_sql() {
    let p = Project::mitoga();
    let (mut c, _) = p.open(&["contexts/reservas.ddd"]);
    let u = p.uri("contexts/reservas.ddd");
    let text = p.text("contexts/reservas.ddd");
    let hover = |c: &mut Client, needle: &str, shift: usize| -> String {
        let h = c.request("textDocument/hover", doc(&u, position(&text, needle, 0, shift)));
        h["contents"]["value"].as_str().unwrap_or_else(|| panic!("no hover on `{needle}`: {h}")).to_string()
    };
    // A field: its column with type, nullability and default, and its check.
    let estado = hover(&mut c, "estado: EstadoReserva", 1);
    assert!(estado.contains("Situación en el ciclo de vida."), "{estado}");
    assert!(estado.contains("estado VARCHAR(10) NOT NULL DEFAULT 'PENDIENTE'"), "{estado}");
    assert!(estado.contains("ck_reservas_estado_valid"), "{estado}");
    // A value object field: its prefixed columns.
    let precio = hover(&mut c, "precio: Dinero", 1);
    assert!(precio.contains("precio_monto NUMERIC(12, 2) NOT NULL"), "{precio}");
    assert!(precio.contains("precio_moneda CHAR(3) NOT NULL"), "{precio}");
    // An aggregate: its table, constraints and indexes.
    let reserva = hover(&mut c, "aggregate Reserva", 11);
    assert!(reserva.contains("Reserva de una clase particular"), "{reserva}");
    assert!(reserva.contains("CREATE TABLE IF NOT EXISTS reservas.reservas"), "{reserva}");
    assert!(reserva.contains("CONSTRAINT reservas_pkey PRIMARY KEY"), "{reserva}");
    assert!(reserva.contains("CREATE INDEX IF NOT EXISTS"), "{reserva}");
    // An invariant: its CHECK.
    let inv = hover(&mut c, "fin_posterior:", 1);
    assert!(inv.contains("La clase termina después de empezar."), "{inv}");
    assert!(
        inv.contains("ALTER TABLE reservas.reservas ADD CONSTRAINT reservas_fin_posterior CHECK (fin > inicio);"),
        "{inv}"
    );
    // A use of a type in another file: the declaration's hover.
    let tutor = hover(&mut c, "Tutor\n", 1);
    assert!(tutor.contains("CREATE TABLE IF NOT EXISTS marketplace.tutores"), "{tutor}");
    // Nothing under a keyword.
    let none = c.request("textDocument/hover", doc(&u, position(&text, "context reservas", 0, 2)));
    assert!(none.is_null(), "{none}");
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn definition_and_references_cross_files() {
    let p = Project::mitoga();
    let (mut c, _) = p.open(&["contexts/reservas.ddd"]);
    let u = p.uri("contexts/reservas.ddd");
    let text = p.text("contexts/reservas.ddd");
    let market = p.text("contexts/marketplace.ddd");
    // `marketplace.Tutor` → the aggregate in marketplace.ddd.
    let def = c.request("textDocument/definition", doc(&u, position(&text, "marketplace.Tutor", 0, 13)));
    assert_eq!(def["uri"], p.uri("contexts/marketplace.ddd"));
    assert_eq!(def["range"]["start"], position(&market, "aggregate Tutor", 0, 10));
    // `marketplace` in the same path → the context.
    let def = c.request("textDocument/definition", doc(&u, position(&text, "marketplace.Tutor", 0, 2)));
    assert_eq!(def["range"]["start"], position(&market, "marketplace {", 0, 0));
    // A value object of the shared kernel, in the root file.
    let def = c.request("textDocument/definition", doc(&u, position(&text, "precio: Dinero", 0, 9)));
    assert_eq!(def["uri"], p.uri("mitoga.ddd"));
    // An enum value used in an invariant → its declaration.
    let def = c.request("textDocument/definition", doc(&u, position(&text, "estado == CANCELADA", 0, 11)));
    assert_eq!(def["range"]["start"], position(&text, "CANCELADA\n", 0, 0));
    // A field in an invariant → the field.
    let def = c.request("textDocument/definition", doc(&u, position(&text, "fin > inicio", 0, 0)));
    assert_eq!(def["range"]["start"], position(&text, "fin: timestamp", 0, 0));
    // References of the enum value: the declaration, the invariants and
    // the index's `where`.
    let refs = c.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": u }, "position": position(&text, "CANCELADA\n", 0, 0), "context": { "includeDeclaration": true } }),
    );
    let lines: Vec<u64> =
        refs.as_array().unwrap().iter().map(|r| r["range"]["start"]["line"].as_u64().unwrap()).collect();
    let expected: Vec<u64> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("///") && l.replace("RESERVA_CANCELADA", "").contains("CANCELADA"))
        .map(|(i, _)| i as u64)
        .collect();
    assert_eq!(lines, expected, "{refs}");
    // References of `Dinero` span the files.
    let refs = c.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": u }, "position": position(&text, "precio: Dinero", 0, 9), "context": { "includeDeclaration": false } }),
    );
    let files: std::collections::BTreeSet<String> =
        refs.as_array().unwrap().iter().map(|r| r["uri"].as_str().unwrap().to_string()).collect();
    assert!(files.contains(&p.uri("contexts/pagos.ddd")) && files.contains(&u), "{refs}");
    // The outline, and the workspace's symbols.
    let outline = c.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": u } }));
    let ctx = &outline[0];
    assert_eq!(ctx["name"], "reservas");
    let reserva =
        ctx["children"].as_array().unwrap().iter().find(|s| s["name"] == "Reserva").expect("Reserva in the outline");
    assert!(reserva["children"].as_array().unwrap().iter().any(|s| s["name"] == "Sesion"));
    let found = c.request("workspace/symbol", json!({ "query": "Valoracion" }));
    assert_eq!(found[0]["name"], "Valoracion", "{found}");
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn completion_by_position() {
    let p = Project::mitoga();
    let (mut c, _) = p.open(&["contexts/reservas.ddd"]);
    let u = p.uri("contexts/reservas.ddd");
    let base = p.text("contexts/reservas.ddd");
    let mut version = 1;
    let mut complete = |c: &mut Client, text: &str, needle: &str| -> Vec<String> {
        version += 1;
        c.replace(&u, version, text);
        let items = c.request("textDocument/completion", doc(&u, position(text, needle, 0, needle.len())));
        let items = items.as_array().cloned().or_else(|| items["items"].as_array().cloned()).unwrap_or_default();
        // An item found by other text than its label: `label|filter`.
        let shown = |i: &Value| match i["filterText"].as_str() {
            Some(f) => format!("{}|{f}", i["label"].as_str().unwrap()),
            None => i["label"].as_str().unwrap().to_string(),
        };
        items.iter().map(shown).collect()
    };
    // A default of an enum field: its values.
    let t = base.replace("cancelada_at: timestamp?", "cancelada_at: timestamp?\n    segundo: EstadoReserva = ");
    let got = complete(&mut c, &t, "segundo: EstadoReserva = ");
    assert!(got.contains(&"EN_CURSO".to_string()) && got.contains(&"NO_ASISTIO".to_string()), "{got:?}");
    // A comparison in an invariant: the field's enum values.
    let t = base.replace("invariant fin_posterior: fin > inicio", "invariant fin_posterior: estado == ");
    let got = complete(&mut c, &t, "fin_posterior: estado == ");
    assert!(got.contains(&"CONFIRMADA".to_string()) && !got.contains(&"inicio".to_string()), "{got:?}");
    // Elsewhere in an invariant: fields and functions.
    let t = base.replace("invariant fin_posterior: fin > inicio", "invariant fin_posterior: fin > ");
    let got = complete(&mut c, &t, "fin_posterior: fin > ");
    assert!(got.contains(&"inicio".to_string()) && got.contains(&"coalesce".to_string()), "{got:?}");
    // A value object's parts after a dot.
    let t = base.replace("invariant fin_posterior: fin > inicio", "invariant fin_posterior: precio.");
    let got = complete(&mut c, &t, "fin_posterior: precio.");
    assert_eq!(got, ["monto", "moneda"], "{got:?}");
    // A field's type: scalars, this context's and the kernel's types bare,
    // other contexts' qualified; aggregates only as references (a bare
    // one is E0304), entities never.
    let t = base.replace("cancelada_at: timestamp?", "cancelada_at: timestamp?\n    nuevo: ");
    let got = complete(&mut c, &t, "nuevo: ");
    for want in [
        "text",
        "ref",
        "Dinero",
        "EstadoReserva",
        "marketplace.Modalidad",
        "ref Reserva|Reserva",
        "ref marketplace.Tutor|marketplace.Tutor",
    ] {
        assert!(got.contains(&want.to_string()), "{want} missing from {got:?}");
    }
    for unwanted in ["Reserva", "marketplace.Tutor", "Sesion"] {
        assert!(!got.contains(&unwanted.to_string()), "{unwanted} offered as a type: {got:?}");
    }
    let t = base.replace("cancelada_at: timestamp?", "cancelada_at: timestamp?\n    nuevo: marketplace.");
    let got = complete(&mut c, &t, "nuevo: marketplace.");
    assert!(got.contains(&"Modalidad".to_string()) && !got.contains(&"Tutor".to_string()), "{got:?}");
    // Index items: fields.
    let t = base.replace("index (alumno, inicio)", "index (alumno, ");
    let got = complete(&mut c, &t, "index (alumno, ");
    assert!(got.contains(&"fin".to_string()), "{got:?}");
    // Annotations, and the lint codes of `@allow`.
    let t = base.replace("cancelada_at: timestamp?", "cancelada_at: timestamp? @");
    let got = complete(&mut c, &t, "cancelada_at: timestamp? @");
    assert!(got.contains(&"was".to_string()) && got.contains(&"allow".to_string()), "{got:?}");
    let t = base.replace("cancelada_at: timestamp?", "cancelada_at: timestamp? @allow(");
    let got = complete(&mut c, &t, "@allow(");
    assert!(got.contains(&"L009".to_string()), "{got:?}");
    // Keywords at the start of a line in an aggregate.
    let t = base.replace("    tenant_scoped\n", "    tenant_scoped\n    inv\n");
    let got = complete(&mut c, &t, "    inv");
    assert!(got.contains(&"invariant".to_string()) && got.contains(&"soft_delete".to_string()), "{got:?}");
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn renaming_a_field_in_the_lock_adds_was_and_builds_a_rename() {
    let p = Project::mitoga();
    let (mut c, _) = p.open(&["contexts/reservas.ddd"]);
    let u = p.uri("contexts/reservas.ddd");
    let text = p.text("contexts/reservas.ddd");
    let at = position(&text, "motivo_cancelacion: text", 0, 3);
    let prepared = c.request("textDocument/prepareRename", doc(&u, at.clone()));
    assert_eq!(prepared["placeholder"], "motivo_cancelacion");
    let edit =
        c.request("textDocument/rename", json!({ "textDocument": { "uri": u }, "position": at, "newName": "motivo" }));
    let edits = edit["changes"][&u].as_array().expect("edits in reservas.ddd").clone();
    let renamed = apply(&text, &edits);
    assert!(renamed.contains("motivo: text(500)? @was(motivo_cancelacion)"), "{renamed}");
    assert!(renamed.contains("implies motivo is not null"), "the invariants follow: {renamed}");
    assert!(!renamed.contains("motivo_cancelacion is"), "{renamed}");
    // The editor applies it: no error (the migration renames), and the
    // code lens on the model block says so.
    c.replace(&u, 2, &renamed);
    let diags = c.diagnostics(&u, Some(2));
    assert!(diags.iter().all(|d| d["severity"] != 1), "{diags:?}");
    let root = p.uri("mitoga.ddd");
    c.open(&root, &p.text("mitoga.ddd"));
    let lens = c.request("textDocument/codeLens", json!({ "textDocument": { "uri": root } }));
    let title = lens[0]["command"]["title"].as_str().unwrap_or_default().to_string();
    assert!(title.contains("rename column reservas.reservas.motivo_cancelacion to motivo"), "{title}");
    // Only it: lowered in English, the Spanish project's lens also showed
    // the functions' comments as pending changes `dddc plan` did not have.
    assert!(title.starts_with("1 change:"), "{title}");
    assert_eq!(c.shutdown(), Some(0));
    // The next build writes the rename.
    std::fs::write(p.path("contexts/reservas.ddd"), &renamed).unwrap();
    let out = Command::new(dddc()).arg("-C").arg(&p.root).args(["build", "-q"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v2 = std::fs::read_dir(p.path("db/migration"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|f| f.file_name().unwrap().to_string_lossy().starts_with("V2__"))
        .expect("a V2 migration");
    let sql = std::fs::read_to_string(v2).unwrap();
    assert!(sql.contains("RENAME COLUMN motivo_cancelacion TO motivo"), "{sql}");
    assert!(!sql.contains("DROP COLUMN"), "{sql}");
}

/// `DDDC_THREADS=1`: the full pass's helpers (the lock, the lint) and the
/// snapshot's freeing run on the worker itself, and the server says what
/// it says with them: the same diagnostics for every open file, before
/// and after an edit that breaks a type, and the same code lens.
#[test]
fn one_thread_publishes_what_the_helpers_publish() {
    let p = Project::mitoga();
    let files = ["mitoga.ddd", "contexts/reservas.ddd", "contexts/pagos.ddd"];
    let session = |env: &[(&str, &str)]| {
        let mut c = Client::start_with(dddc(), &p.root, env);
        c.initialize(&p.root);
        for f in files {
            c.open(&p.uri(f), &p.text(f));
        }
        let mut seen: Vec<Vec<Value>> = files.iter().map(|f| c.diagnostics(&p.uri(f), None)).collect();
        let u = p.uri("contexts/reservas.ddd");
        c.replace(&u, 2, &p.text("contexts/reservas.ddd").replacen(": EstadoReserva", ": EstadoReservaa", 1));
        // The quick pass's publication, then the full pass's.
        seen.push(c.diagnostics(&u, Some(2)));
        seen.push(c.diagnostics(&u, Some(2)));
        let lens = c.request("textDocument/codeLens", json!({ "textDocument": { "uri": p.uri("mitoga.ddd") } }));
        assert_eq!(c.shutdown(), Some(0));
        (seen, lens)
    };
    let (helpers, lens) = session(&[]);
    assert!(helpers[3].iter().any(|d| d["severity"] == 1), "the misspelt type: {:?}", helpers[3]);
    let (alone, lens_alone) = session(&[("DDDC_THREADS", "1")]);
    assert_eq!(helpers, alone);
    assert_eq!(lens, lens_alone);
}

/// A lock written by `dddc build` while the server runs, which the
/// editor's file watcher reports: the next pass reads it (the server
/// keeps the lock it parsed while its files stay the same), and the lens
/// on the model block says the model is up to date.
#[test]
fn a_lock_written_by_a_build_is_read_again() {
    let p = Project::mitoga();
    let (mut c, _) = p.open(&["mitoga.ddd", "contexts/reservas.ddd"]);
    let (root, u) = (p.uri("mitoga.ddd"), p.uri("contexts/reservas.ddd"));
    let lens = |c: &mut Client| {
        let lens = c.request("textDocument/codeLens", json!({ "textDocument": { "uri": root } }));
        lens[0]["command"]["title"].as_str().unwrap_or_default().to_string()
    };
    assert_eq!(lens(&mut c), "up to date: no pending migration");
    let text = p.text("contexts/reservas.ddd");
    let line = "    motivo_cancelacion: text(500)? /// Explicación que dio quien canceló.\n";
    assert!(text.contains(line));
    let edited = text.replacen(line, &format!("{line}    nota: text(200)? /// Una nota.\n"), 1);
    c.replace(&u, 2, &edited);
    let diags = c.diagnostics(&u, Some(2));
    assert!(diags.iter().all(|d| d["severity"] != 1), "{diags:?}");
    assert_eq!(lens(&mut c), "2 changes: add column reservas.reservas.nota, comment on column reservas.reservas.nota");
    // Saved and built: the lock on the disk has the column.
    std::fs::write(p.path("contexts/reservas.ddd"), &edited).unwrap();
    let out = Command::new(dddc()).arg("-C").arg(&p.root).args(["build", "-q"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lock = p.uri("db/migration/dddc.lock");
    c.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": lock, "type": 2 }] }));
    // Answered from the pass that follows the change.
    assert_eq!(lens(&mut c), "up to date: no pending migration");
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn renaming_an_enum_value_and_a_context_in_the_lock_adds_was() {
    let p = Project::mitoga();
    let (mut c, _) = p.open(&["contexts/reservas.ddd"]);
    let u = p.uri("contexts/reservas.ddd");
    let text = p.text("contexts/reservas.ddd");
    // An enum value: its declaration takes `@was`, every use follows
    // (defaults, invariants, the index's `where`), doc comments do not.
    let edit = c.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": u }, "position": position(&text, "CANCELADA\n", 0, 2), "newName": "ANULADA" }),
    );
    let renamed = apply(&text, edit["changes"][&u].as_array().expect("edits in reservas.ddd"));
    assert!(renamed.contains("    ANULADA @was(CANCELADA)\n"), "{renamed}");
    assert!(renamed.contains("estado == ANULADA implies"), "{renamed}");
    let left: Vec<&str> = renamed
        .lines()
        .filter(|l| !l.trim_start().starts_with("///") && l.replace("RESERVA_CANCELADA", "").contains("CANCELADA"))
        .collect();
    assert_eq!(left, ["    ANULADA @was(CANCELADA)"], "every use follows");
    c.replace(&u, 2, &renamed);
    let diags = c.diagnostics(&u, Some(2));
    assert!(diags.iter().all(|d| d["severity"] != 1), "{diags:?}");
    c.replace(&u, 3, &text);
    c.diagnostics(&u, Some(3));
    // A context: its declaration takes `@was`, qualified uses in other
    // files follow.
    let market = p.text("contexts/marketplace.ddd");
    let m = p.uri("contexts/marketplace.ddd");
    c.open(&m, &market);
    let edit = c.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": u }, "position": position(&text, "marketplace.Tutor", 0, 3), "newName": "catalogo" }),
    );
    let in_market = apply(&market, edit["changes"][&m].as_array().expect("edits in marketplace.ddd"));
    assert!(in_market.contains("context catalogo @was(marketplace) {"), "{in_market}");
    let in_reservas = apply(&text, edit["changes"][&u].as_array().expect("edits in reservas.ddd"));
    assert!(in_reservas.contains("tutor: ref catalogo.Tutor\n"), "{in_reservas}");
    let pagos = edit["changes"][&p.uri("contexts/pagos.ddd")].as_array().expect("edits in pagos.ddd, not open");
    assert!(apply(&p.text("contexts/pagos.ddd"), pagos).contains("tutor: ref catalogo.Tutor loose"));
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn renames_without_the_lock_add_no_was() {
    let p = Project::mitoga();
    let (mut c, _) = p.open(&["contexts/reservas.ddd"]);
    let u = p.uri("contexts/reservas.ddd");
    // A field added in the buffer, not built yet: a plain rename.
    let text = p.text("contexts/reservas.ddd").replace("    cancelada_at:", "    nota: text?\n    cancelada_at:");
    c.replace(&u, 2, &text);
    let edit = c.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": u }, "position": position(&text, "nota: text", 0, 1), "newName": "observacion" }),
    );
    let renamed = apply(&text, edit["changes"][&u].as_array().unwrap());
    assert!(renamed.contains("    observacion: text?\n"), "{renamed}");
    assert!(!renamed.contains("@was"), "{renamed}");
    // An aggregate renamed: its references in other files follow, its
    // entities' link columns too, and the lock has its tables: `@was`.
    let market = p.text("contexts/marketplace.ddd");
    let m = p.uri("contexts/marketplace.ddd");
    c.open(&m, &market);
    let edit = c.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": m }, "position": position(&market, "aggregate Tutor", 0, 11), "newName": "Profesor" }),
    );
    let in_market = apply(&market, edit["changes"][&m].as_array().unwrap());
    assert!(in_market.contains("aggregate Profesor @was(Tutor) {"), "{in_market}");
    assert!(in_market.contains("unique (profesor_id, modalidad, nivel) where activa"), "{in_market}");
    let in_reservas = apply(&text, edit["changes"][&u].as_array().unwrap());
    assert!(in_reservas.contains("tutor: ref marketplace.Profesor\n"), "{in_reservas}");
    // Renaming back to the lock's name takes the `@was` away.
    c.replace(&m, 2, &in_market);
    let edit = c.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": m }, "position": position(&in_market, "aggregate Profesor", 0, 11), "newName": "Tutor" }),
    );
    let back = apply(&in_market, edit["changes"][&m].as_array().unwrap());
    assert!(back.contains("aggregate Tutor {"), "{back}");
    // A name that is taken, or not a name: refused.
    let r = c.request_raw(
        "textDocument/rename",
        json!({ "textDocument": { "uri": u }, "position": position(&text, "nota: text", 0, 1), "newName": "fin" }),
    );
    assert!(r["error"]["message"].as_str().unwrap().contains("already declared"), "{r}");
    let r = c.request_raw(
        "textDocument/rename",
        json!({ "textDocument": { "uri": u }, "position": position(&text, "nota: text", 0, 1), "newName": "2x" }),
    );
    assert!(r.get("error").is_some(), "{r}");
    assert_eq!(c.shutdown(), Some(0));
}

/// Names only the compiler knows are taken: a column it adds, another
/// field's `@column`, a name too long for PostgreSQL. Each was accepted,
/// and the model broke.
#[test]
fn a_rename_that_would_break_the_model_is_refused() {
    let p = Project::mitoga();
    let (mut c, _) = p.open(&["contexts/autenticacion.ddd"]);
    let auth = p.text("contexts/autenticacion.ddd");
    let a = p.uri("contexts/autenticacion.ddd");
    let long = "x".repeat(80);
    for (new_name, error) in [("deleted_at", "E0105"), ("password_hash", "E0601"), (long.as_str(), "E0106")] {
        let r = c.request_raw(
            "textDocument/rename",
            json!({ "textDocument": { "uri": a }, "position": position(&auth, "estado: EstadoUsuario", 0, 1), "newName": new_name }),
        );
        let message = r["error"]["message"].as_str().unwrap_or_else(|| panic!("{new_name} accepted: {r}"));
        assert!(message.contains(&format!("error[{error}]")), "{new_name}: {message}");
    }
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn quick_fixes_for_lint_findings() {
    let p = Project::mitoga();
    let (mut c, diags) = p.open(&["contexts/reservas.ddd"]);
    let u = p.uri("contexts/reservas.ddd");
    let text = p.text("contexts/reservas.ddd");
    let l009 = diags[0].iter().find(|d| d["code"] == "L009").expect("reservas.tutor is a cross-context foreign key");
    let actions = c.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": u }, "range": l009["range"], "context": { "diagnostics": [l009] } }),
    );
    let titles: Vec<&str> = actions.as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap()).collect();
    let loose = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"].as_str().unwrap().contains("`loose`"))
        .unwrap_or_else(|| panic!("{titles:?}"));
    let fixed = apply(&text, loose["edit"]["changes"][&u].as_array().unwrap());
    assert!(fixed.contains("tutor: ref marketplace.Tutor loose\n"), "{fixed}");
    let allow = actions.as_array().unwrap().iter().find(|a| a["title"].as_str().unwrap().contains("@allow")).unwrap();
    let allowed = apply(&text, allow["edit"]["changes"][&u].as_array().unwrap());
    assert!(
        allowed.contains("tutor: ref marketplace.Tutor @allow(L009, 'TODO: why this is acceptable')\n"),
        "{allowed}"
    );
    // Applied, the finding goes.
    c.replace(&u, 2, &fixed);
    let after = c.diagnostics(&u, Some(2));
    assert_eq!(
        after.iter().filter(|d| d["code"] == "L009").count(),
        diags[0].iter().filter(|d| d["code"] == "L009").count() - 1
    );
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn formatting_goes_through_dddc_fmt() {
    let p = Project::mitoga();
    let (mut c, _) = p.open(&["contexts/reservas.ddd"]);
    let u = p.uri("contexts/reservas.ddd");
    let text = p.text("contexts/reservas.ddd");
    let none = c.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": u }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(none, json!([]), "MiToga is formatted");
    let messy = text.replace("    fin: timestamp\n", "        fin:timestamp\n");
    c.replace(&u, 2, &messy);
    let edits = c.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": u }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(apply(&messy, edits.as_array().unwrap()), text);
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn unsaved_buffers_are_the_model_across_files() {
    let p = Project::mitoga();
    let (mut c, _) = p.open(&["contexts/reservas.ddd", "contexts/marketplace.ddd"]);
    let r = p.uri("contexts/reservas.ddd");
    let m = p.uri("contexts/marketplace.ddd");
    let reservas = p.text("contexts/reservas.ddd");
    let market = p.text("contexts/marketplace.ddd");
    let tutor_line = position(&reservas, "tutor: ref marketplace.Tutor", 0, 0)["line"].clone();
    let has_error = |p: &Value| p["diagnostics"].as_array().is_some_and(|d| d.iter().any(|d| d["severity"] == 1));
    // The aggregate renamed in marketplace's buffer, not saved, and not
    // through a rename: reservas' reference to it, untouched, breaks.
    c.replace(&m, 2, &market.replace("aggregate Tutor {", "aggregate Docente {"));
    let broken = c
        .wait_for("textDocument/publishDiagnostics", client::PATIENCE, |d| d["uri"] == r && has_error(d))
        .expect("reservas.ddd gets the error of marketplace.ddd's edit");
    let e = broken["diagnostics"].as_array().unwrap().iter().find(|d| d["severity"] == 1).unwrap().clone();
    assert_eq!(e["range"]["start"]["line"], tutor_line, "{e}");
    assert!(e["message"].as_str().unwrap().contains("Tutor"), "{e}");
    assert_eq!(broken["version"], 1, "reservas.ddd itself did not change");
    // Undone in the buffer: the error goes.
    c.replace(&m, 3, &market);
    c.wait_for("textDocument/publishDiagnostics", client::PATIENCE, |d| d["uri"] == r && !has_error(d))
        .expect("the error goes with the edit");

    // A file that exists only as a buffer, included from the root file's
    // buffer: part of the model at once, checked, navigable.
    let root = p.uri("mitoga.ddd");
    let draft = p.uri("contexts/borrador.ddd");
    assert!(!p.path("contexts/borrador.ddd").exists());
    let draft_text = "/// Borradores.\ncontext borrador {\n  /// Una nota.\n  aggregate Nota {\n    /// Precio.\n    precio: Dinero\n    /// Estado.\n    estado: reservas.EstadoReservaX\n  }\n}\n";
    c.open(&draft, draft_text);
    let alone = c.diagnostics(&draft, Some(1));
    assert_eq!(codes(&alone), ["model"], "not included yet: {alone:?}");
    let root_text = p.text("mitoga.ddd");
    c.open(&root, &root_text);
    let with = root_text.replace(
        "include \"contexts/auditoria.ddd\"\n",
        "include \"contexts/auditoria.ddd\"\ninclude \"contexts/borrador.ddd\"\n",
    );
    assert_ne!(with, root_text);
    c.replace(&root, 2, &with);
    let got = c
        .wait_for("textDocument/publishDiagnostics", client::PATIENCE, |d| d["uri"] == draft && has_error(d))
        .expect("the included buffer is checked with the model");
    let e = got["diagnostics"].as_array().unwrap().iter().find(|d| d["severity"] == 1).unwrap().clone();
    assert_eq!(e["range"]["start"], position(draft_text, "reservas.EstadoReservaX", 0, 0), "{e}");
    assert_eq!(e["code"], "E0102", "{e}");
    assert!(!codes(got["diagnostics"].as_array().unwrap()).contains(&"model".to_string()));
    let def = c.request("textDocument/definition", doc(&draft, position(draft_text, "Dinero", 0, 1)));
    assert_eq!(def["uri"], root, "{def}");
    // Fixed in the buffer: it lowers, and the hover has its table.
    let fixed = draft_text.replace("EstadoReservaX", "EstadoReserva");
    c.replace(&draft, 2, &fixed);
    let hover = c.request("textDocument/hover", doc(&draft, position(&fixed, "aggregate Nota", 0, 11)));
    let hover = hover["contents"]["value"].as_str().unwrap_or_default().to_string();
    assert!(hover.contains("CREATE TABLE IF NOT EXISTS borrador.notas"), "{hover}");
    assert_eq!(c.shutdown(), Some(0));
}

/// MiToga written as one file (its includes replaced by the files they
/// name): an edit of one context is answered first from a slice of the
/// file's contexts, and that answer is the one the full pass gives after
/// it, diagnostic for diagnostic (the edit's error where it is, the rest
/// of the file's moved with the text).
#[test]
fn an_edit_of_a_model_in_one_file_is_answered_first_from_its_contexts_as_the_full_pass_answers() {
    let p = Project::mitoga();
    // Each context documented at length (14 KiB more): a file read in
    // parts, each context a part, in a release build too (parts from 64
    // KiB, a context of 4 KiB its own part), not only in a debug build's.
    let padding = "/// Una línea más de documentación, para que cada contexto sea una parte propia.\n".repeat(170);
    let mut one = String::new();
    for line in p.text("mitoga.ddd").lines() {
        match line.strip_prefix("include \"").and_then(|l| l.strip_suffix('"')) {
            Some(path) => one.push_str(&p.text(path).replace("\ncontext ", &format!("\n{padding}context "))),
            None => one.push_str(line),
        }
        one.push('\n');
    }
    assert!(one.len() >= 64 << 10, "{} bytes", one.len());
    std::fs::write(p.path("mitoga.ddd"), &one).unwrap();
    let (mut c, first) = p.open(&["mitoga.ddd"]);
    assert!(!codes(&first[0]).iter().any(|c| c.starts_with('E')), "{:?}", first[0]);
    let u = p.uri("mitoga.ddd");
    let sorted = |d: &[Value]| {
        let mut d: Vec<String> = d.iter().map(|d| format!("{} {} {}", d["code"], d["range"], d["message"])).collect();
        d.sort();
        d
    };
    // A misspelt default in `reservas`, then lines added to it: what
    // follows moves.
    let misspelt = one.replacen("= PENDIENTE", "= PENDIENTEX", 1);
    let longer = one.replacen("= PENDIENTE", "= PENDIENTE\n    /// Una nota.\n    nota: text?", 1);
    for (version, text) in [(2, &misspelt), (3, &longer)] {
        c.replace(&u, version, text);
        let quick = c.diagnostics(&u, Some(version));
        let full = c
            .wait_for("textDocument/publishDiagnostics", client::PATIENCE, |d| d["uri"] == u && d["version"] == version)
            .expect("the full pass publishes after the quick one");
        assert_eq!(sorted(&quick), sorted(full["diagnostics"].as_array().unwrap()), "version {version}");
        if version == 2 {
            let e = quick.iter().find(|d| d["code"] == "E0103").unwrap_or_else(|| panic!("{quick:?}"));
            assert_eq!(e["range"]["start"], position(text, "PENDIENTEX", 0, 0), "{e}");
        }
    }
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn a_burst_of_edits_is_analysed_once() {
    let p = Project::mitoga();
    let (mut c, _) = p.open(&["contexts/reservas.ddd"]);
    let u = p.uri("contexts/reservas.ddd");
    let text = p.text("contexts/reservas.ddd");
    // Ten keystrokes typing a misspelt default, in one write.
    let at = position(&text, "= PENDIENTE", 0, 2);
    let line = at["line"].as_u64().unwrap();
    let ch = at["character"].as_u64().unwrap();
    let burst: Vec<Value> = (0..10u64)
        .map(|i| {
            let pos = json!({ "line": line, "character": ch + i });
            json!({
                "jsonrpc": "2.0",
                "method": "textDocument/didChange",
                "params": { "textDocument": { "uri": u, "version": i + 2 }, "contentChanges": [{ "range": { "start": pos, "end": pos }, "text": "X" }] },
            })
        })
        .collect();
    c.send_all(&burst);
    let diags = c.diagnostics(&u, Some(11));
    let e = diags.iter().find(|d| d["code"] == "E0103").unwrap_or_else(|| panic!("{diags:?}"));
    assert_eq!(e["range"]["start"], at);
    assert_eq!(e["range"]["end"]["character"], ch + 10 + "PENDIENTE".len() as u64);
    // Nothing was published for the texts in between.
    let between: Vec<&Value> = c
        .notifications
        .iter()
        .filter(|n| n["params"]["uri"] == u && n["params"]["version"].as_i64().is_some_and(|v| (2..11).contains(&v)))
        .collect();
    assert!(between.is_empty(), "published for intermediate versions: {between:?}");
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn a_file_outside_the_model_gets_syntax_only() {
    let p = Project::mitoga();
    std::fs::write(p.path("contexts/borrador.ddd"), "context borrador {\n  aggregate X {\n    a: Nada\n  }\n}\n")
        .unwrap();
    let (c, diags) = p.open(&["contexts/borrador.ddd"]);
    assert_eq!(codes(&diags[0]), ["model"], "{:?}", diags[0]);
    assert_eq!(diags[0][0]["severity"], 3);
    assert_eq!(c.shutdown(), Some(0));
}

/// Edits an editor could make to a file, as (offset fraction, bytes to
/// delete, text to insert).
fn edit() -> impl Strategy<Value = (f64, usize, String)> {
    let pieces = prop::sample::select(vec![
        "",
        "{",
        "}",
        "\n",
        " ",
        ":",
        "?",
        "@was(x)",
        "@allow(L009, 'x')",
        "ref ",
        "Dinero",
        "EstadoReserva",
        "invariant z: ",
        "estado == ",
        "CANCELADA",
        "index (",
        ")",
        "entity E {",
        "'",
        "\"",
        "///",
        "//",
        ".",
        "ñ",
        "💡",
        "text(",
        "aggregate A {",
        "context c {",
        "include \"x.ddd\"",
        "model m {",
        "= ",
        "sql \"",
    ]);
    (0.0f64..1.0, 0usize..12, pieces.prop_map(str::to_string))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("LSP_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(12), ..ProptestConfig::default() })]

    /// Random edits of a MiToga file never crash the server, and every
    /// answer is well-formed: a result or an error, for each request.
    #[test]
    fn random_edits_never_crash_the_server(edits in prop::collection::vec(edit(), 1..10), probes in prop::collection::vec(0.0f64..1.0, 4)) {
        let p = PROJECT.with(|p| p.root.clone());
        let u = uri(&p.join("contexts/reservas.ddd"));
        let mut text = std::fs::read_to_string(p.join("contexts/reservas.ddd")).unwrap();
        let mut c = Client::start(dddc(), &p);
        c.initialize(&p);
        c.open(&u, &text);
        let mut version = 1;
        for (at, delete, insert) in &edits {
            let mut start = ((text.len() as f64) * at) as usize;
            while !text.is_char_boundary(start) { start -= 1; }
            let mut end = (start + delete).min(text.len());
            while !text.is_char_boundary(end) { end += 1; }
            let range = json!({ "start": position_at(&text, start), "end": position_at(&text, end) });
            text.replace_range(start..end, insert);
            version += 1;
            c.notify("textDocument/didChange", json!({
                "textDocument": { "uri": u, "version": version },
                "contentChanges": [{ "range": range, "text": insert }],
            }));
            for probe in &probes {
                let mut o = ((text.len() as f64) * probe) as usize;
                while !text.is_char_boundary(o) { o -= 1; }
                let pos = position_at(&text, o);
                for method in ["textDocument/hover", "textDocument/completion", "textDocument/definition", "textDocument/prepareRename"] {
                    let r = c.request_raw(method, doc(&u, pos.clone()));
                    prop_assert!(answered(&r), "{method}: {r}");
                }
                let r = c.request_raw("textDocument/rename", json!({ "textDocument": { "uri": u }, "position": pos, "newName": "renombrado" }));
                prop_assert!(answered(&r), "rename: {r}");
            }
            for method in ["textDocument/documentSymbol", "textDocument/codeLens", "textDocument/formatting"] {
                let r = c.request_raw(method, json!({ "textDocument": { "uri": u }, "options": { "tabSize": 2, "insertSpaces": true } }));
                prop_assert!(answered(&r), "{method}: {r}");
            }
            let r = c.request_raw("textDocument/codeAction", json!({
                "textDocument": { "uri": u },
                "range": { "start": { "line": 0, "character": 0 }, "end": position_at(&text, text.len()) },
                "context": { "diagnostics": [] },
            }));
            prop_assert!(r.get("result").is_some() && answered(&r), "codeAction: {r}");
        }
        // The diagnostics of the last text arrive.
        c.diagnostics(&u, Some(version));
        prop_assert!(c.alive());
        prop_assert_eq!(c.shutdown(), Some(0));
    }
}

thread_local! {
    /// One built copy of MiToga for every case of the property test.
    static PROJECT: Project = Project::mitoga();
}

fn position_at(text: &str, offset: usize) -> Value {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    json!({ "line": line, "character": text[start..offset].chars().map(char::len_utf16).sum::<usize>() })
}

#[test]
fn a_client_leaving_without_shutdown_ends_the_server() {
    let p = Project::mitoga();
    let mut c = Client::start(dddc(), &p.root);
    c.initialize(&p.root);
    c.notify("exit", Value::Null);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while c.alive() {
        assert!(std::time::Instant::now() < deadline, "the server outlived `exit`");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The protocol's lifecycle and its errors, as the specification says
/// them (each found by a black-box round, where dddc answered otherwise):
/// a request before `initialize` is -32002 in words (it held a Rust debug
/// dump), `exit` before `initialize` exits 1 (it exited 2), a request
/// right after `initialize`, before `initialized`, is answered (the server
/// failed), a second `initialize` is -32600 (it was -32601), a request
/// without its document is -32602 (it was -32601), a request dddc does
/// not answer about a document outside every model is -32601 (it was
/// `null`), and a frame whose body is not JSON is skipped (the server
/// exited 2).
#[test]
fn the_lifecycle_and_bad_messages_follow_the_protocol() {
    let p = Project::mitoga();
    let hover = |uri: &str| json!({ "textDocument": { "uri": uri }, "position": { "line": 0, "character": 0 } });
    let uri = p.uri("mitoga.ddd");
    let mut c = Client::start(dddc(), &p.root);
    let r = c.request_raw("textDocument/hover", hover(&uri));
    assert_eq!(r["error"]["code"], json!(-32002), "{r}");
    let m = r["error"]["message"].as_str().unwrap_or_default();
    assert!(m.contains("before `initialize`") && !m.contains("Request {"), "{r}");
    assert_eq!(c.exit(), Some(1));

    let mut c = Client::start(dddc(), &p.root);
    let init = json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": { "rootUri": p.uri(""), "capabilities": {} } });
    let early = json!({ "jsonrpc": "2.0", "id": 2, "method": "textDocument/documentSymbol", "params": { "textDocument": { "uri": uri } } });
    c.send_all(&[init, early]);
    assert!(c.response(1).get("result").is_some());
    let r = c.response(2);
    assert!(r.get("result").is_some(), "{r}");
    c.notify("initialized", json!({}));
    let r = c.request_raw("initialize", json!({ "capabilities": {} }));
    assert_eq!(r["error"]["code"], json!(-32600), "{r}");
    let r = c.request_raw("textDocument/hover", json!({ "position": { "line": 0, "character": 0 } }));
    assert_eq!(r["error"]["code"], json!(-32602), "{r}");
    let r = c.request_raw("dddc/nothing", json!({}));
    assert_eq!(r["error"]["code"], json!(-32601), "{r}");
    // About a document: one outside every model, and one of the model.
    let outside = p.uri("notes.txt");
    for doc in [outside.as_str(), uri.as_str()] {
        let r = c.request_raw("textDocument/signatureHelp", hover(doc));
        assert_eq!(r["error"]["code"], json!(-32601), "{doc}: {r}");
    }
    c.send_raw(b"Content-Length: 9\r\n\r\n{not json");
    let r = c.request_raw("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
    assert!(r.get("result").is_some(), "the server reads on after a frame that is not JSON: {r}");
    assert_eq!(c.shutdown(), Some(0));
}

/// A response that is one of result or error, and not a failure of dddc
/// itself (an analysis or a handler that panicked): those come back as
/// error responses and must fail the property.
fn answered(r: &Value) -> bool {
    let internal = r["error"]["message"].as_str().is_some_and(|m| {
        m.contains("the analysis failed")
            || m.contains("dddc failed to answer")
            || m.contains("analysis of this model failed")
    });
    (r.get("result").is_some() ^ r.get("error").is_some()) && !internal
}

/// A parent with a composite key links its entities by `<parent>_<key>`
/// columns (`model::link_columns`): renaming the parent renames each,
/// keeping the key part.
#[test]
fn renaming_a_composite_key_parent_renames_its_link_columns() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("dddc.toml"), "model = \"model.ddd\"\n").unwrap();
    let text = "model m {\n  target postgres 16\n}\n\ncontext c {\n  aggregate Pais {\n    codigo: char(2)\n    anio: int\n    key (codigo, anio)\n\n    entity Region {\n      nombre: text(50)\n      unique (pais_codigo, pais_anio, nombre)\n    }\n  }\n}\n";
    std::fs::write(root.join("model.ddd"), text).unwrap();
    let mut c = Client::start(dddc(), &root);
    c.initialize(&root);
    let u = uri(&root.join("model.ddd"));
    c.open(&u, text);
    c.diagnostics(&u, None);
    let edit = c.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": u }, "position": position(text, "aggregate Pais", 0, 11), "newName": "Nacion" }),
    );
    let renamed = apply(text, edit["changes"][&u].as_array().unwrap());
    assert!(renamed.contains("unique (nacion_codigo, nacion_anio, nombre)"), "{renamed}");
    assert_eq!(c.shutdown(), Some(0));
}

/// A request that waits for the analysis is answered for the text it was
/// sent against, or refused with ContentModified when an edit came after
/// it: it was answered from the newer text, and a hover on `estado` named
/// the field on the line below (a rename renamed that one).
#[test]
fn a_request_overtaken_by_an_edit_is_never_answered_from_the_newer_text() {
    let p = Project::mitoga();
    let (mut c, _) = p.open(&["contexts/autenticacion.ddd"]);
    let u = p.uri("contexts/autenticacion.ddd");
    let text = p.text("contexts/autenticacion.ddd");
    let zero = json!({ "line": 0, "character": 0 });
    for round in 0..5i64 {
        let v = 2 + 2 * round;
        let added = format!("// extra\n{text}");
        let at = position(&added, "estado: EstadoUsuario", 0, 2);
        let id = 9000 + round;
        c.send_all(&[
            json!({ "jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                "textDocument": { "uri": u, "version": v },
                "contentChanges": [{ "range": { "start": zero, "end": zero }, "text": "// extra\n" }] } }),
            json!({ "jsonrpc": "2.0", "id": id, "method": "textDocument/hover", "params": doc(&u, at) }),
            json!({ "jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                "textDocument": { "uri": u, "version": v + 1 },
                "contentChanges": [{ "range": { "start": zero, "end": { "line": 1, "character": 0 } }, "text": "" }] } }),
        ]);
        let r = c.response(id);
        match r.get("error") {
            Some(e) => assert_eq!(e["code"], -32801, "{r}"),
            None => {
                let shown = r["result"]["contents"]["value"].as_str().unwrap_or("");
                assert!(shown.contains("Usuario.estado"), "answered from the newer text: {r}");
            }
        }
    }
    assert_eq!(c.shutdown(), Some(0));
}

/// A file that is not a model, opened by an editor that sends every file
/// it opens (`dddc.toml`, language `toml`), is not analysed: it got
/// `E0001` on its first `#`, and a notice that it is not part of the model.
#[test]
fn a_file_that_is_not_a_model_is_left_alone() {
    let p = Project::mitoga();
    let (mut c, _) = p.open(&[]);
    let toml = p.uri("dddc.toml");
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": toml, "languageId": "toml", "version": 1, "text": p.text("dddc.toml") } }),
    );
    let u = p.uri("contexts/pagos.ddd");
    c.open(&u, &p.text("contexts/pagos.ddd"));
    c.diagnostics(&u, None);
    let hover = c.request("textDocument/hover", doc(&toml, json!({ "line": 0, "character": 1 })));
    assert!(hover.is_null(), "{hover}");
    let on_toml: Vec<&Value> = c.notifications.iter().filter(|n| n["params"]["uri"] == toml).collect();
    assert!(on_toml.is_empty(), "{on_toml:?}");
    assert_eq!(c.shutdown(), Some(0));
}

/// A file that only ever was a buffer, included from the root file's
/// buffer, then closed without being saved: the include now names a file
/// that exists nowhere. The root gets E0004 at its include, and the
/// closed file's diagnostics are cleared, not left behind in the
/// editor's list for a file it cannot open.
#[test]
fn closing_a_never_saved_included_file_moves_its_problems_to_the_include() {
    let p = Project::mitoga();
    let (mut c, _) = p.open(&["mitoga.ddd"]);
    let root = p.uri("mitoga.ddd");
    let draft = p.uri("contexts/borrador.ddd");
    assert!(!p.path("contexts/borrador.ddd").exists());
    let draft_text = "/// Borradores.\ncontext borrador {\n  /// Una nota.\n  aggregate Nota {\n    /// Precio.\n    precio: Dinero\n  }\n}\n";
    c.open(&draft, draft_text);
    let with = p.text("mitoga.ddd").replace(
        "include \"contexts/auditoria.ddd\"\n",
        "include \"contexts/auditoria.ddd\"\ninclude \"contexts/borrador.ddd\"\n",
    );
    c.replace(&root, 2, &with);
    let included =
        |d: &Value| d["uri"] == draft && !codes(d["diagnostics"].as_array().unwrap()).contains(&"model".into());
    c.wait_for("textDocument/publishDiagnostics", client::PATIENCE, included)
        .expect("the buffer is analysed as part of the model");
    c.notifications.clear();
    c.notify("textDocument/didClose", json!({ "textDocument": { "uri": draft } }));
    let e0004 = |d: &Value| d["uri"] == root && codes(d["diagnostics"].as_array().unwrap()).contains(&"E0004".into());
    let got = c
        .wait_for("textDocument/publishDiagnostics", client::PATIENCE, e0004)
        .expect("the root's include of a file that exists nowhere is an error");
    let e = got["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "E0004").unwrap().clone();
    assert_eq!(e["range"]["start"]["line"], position(&with, "include \"contexts/borrador.ddd\"", 0, 0)["line"], "{e}");
    let cleared =
        c.notifications.iter().chain(std::iter::once(&got)).any(|n| {
            n["params"]["uri"] == draft && n["params"]["diagnostics"].as_array().is_some_and(|d| d.is_empty())
        }) || c
            .wait_for("textDocument/publishDiagnostics", client::PATIENCE, |d| {
                d["uri"] == draft && d["diagnostics"].as_array().is_some_and(|d| d.is_empty())
            })
            .is_some();
    assert!(cleared, "the closed file's diagnostics are cleared");
    assert_eq!(c.shutdown(), Some(0));
}

/// A buffer never saved (`untitled:` in VS Code) has no path: it gets its
/// syntax errors and formatting, with a note saying why nothing more is
/// checked; one in another language gets nothing.
#[test]
fn an_untitled_buffer_gets_syntax_and_formatting() {
    let p = Project::mitoga();
    let (mut c, _) = p.open(&[]);
    let u = "untitled:Untitled-1";
    let broken = "context ventas {\n  aggregate Pedido {\n    total: decimal(12, 2\n  }\n}\n";
    c.open(u, broken);
    let diags = c.diagnostics(u, Some(1));
    let codes_now = codes(&diags);
    assert_eq!(codes_now.last().map(String::as_str), Some("model"), "{diags:?}");
    let syntax = diags.iter().find(|d| d["severity"] == 1).unwrap_or_else(|| panic!("a syntax error: {diags:?}"));
    assert!(syntax["code"].as_str().is_some_and(|c| c.starts_with('E')), "{syntax}");
    assert_eq!(syntax["range"]["start"]["line"], 2, "{syntax}");
    // Fixed: only the note is left.
    let messy = "context ventas {\n aggregate Pedido {\n      total: decimal(12, 2)\n  }\n}\n";
    c.replace(u, 2, messy);
    let diags = c.diagnostics(u, Some(2));
    assert_eq!(codes(&diags), ["model"], "{diags:?}");
    assert!(diags[0]["message"].as_str().unwrap().contains("not saved"), "{diags:?}");
    // Formatting works on the buffer's text.
    let edits = c.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": u }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let formatted = apply(messy, edits.as_array().unwrap_or_else(|| panic!("edits: {edits}")));
    assert_eq!(formatted, "context ventas {\n  aggregate Pedido {\n    total: decimal(12, 2)\n  }\n}\n");
    // Requests that need a model answer as for a file outside every model.
    let hover = c.request("textDocument/hover", doc(u, json!({ "line": 1, "character": 13 })));
    assert!(hover.is_null(), "{hover}");
    let symbols = c.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": u } }));
    assert_eq!(symbols, json!([]), "{symbols}");
    // Closed: its diagnostics are cleared.
    c.notify("textDocument/didClose", json!({ "textDocument": { "uri": u } }));
    let cleared = c.diagnostics(u, None);
    assert!(cleared.is_empty(), "{cleared:?}");
    // Plain text in an untitled buffer is not a model.
    let other = "untitled:Untitled-2";
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": other, "languageId": "plaintext", "version": 1, "text": broken } }),
    );
    c.wait_for("nothing", Duration::from_millis(500), |_| false);
    let on_other: Vec<&Value> = c.notifications.iter().filter(|n| n["params"]["uri"] == other).collect();
    assert!(on_other.is_empty(), "{on_other:?}");
    assert_eq!(c.shutdown(), Some(0));
}

/// An enum default written as a string (E0204) has a quick fix that writes
/// the value bare, and the error goes once it is applied.
#[test]
fn an_enum_default_written_as_a_string_is_fixed_bare() {
    let p = Project::mitoga();
    let (mut c, _) = p.open(&["contexts/reservas.ddd"]);
    let u = p.uri("contexts/reservas.ddd");
    let text = p.text("contexts/reservas.ddd").replace("= PENDIENTE", "= 'PENDIENTE'");
    c.replace(&u, 2, &text);
    let diags = c.diagnostics(&u, Some(2));
    let e = diags.iter().find(|d| d["code"] == "E0204").unwrap_or_else(|| panic!("{diags:?}"));
    assert_eq!(e["range"]["start"], position(&text, "'PENDIENTE'", 0, 0), "{e}");
    let actions = c.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": u }, "range": e["range"], "context": { "diagnostics": [e] } }),
    );
    let fix = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Write `PENDIENTE` without quotes")
        .unwrap_or_else(|| panic!("{actions}"));
    let fixed = apply(&text, fix["edit"]["changes"][&u].as_array().unwrap());
    assert_eq!(fixed, p.text("contexts/reservas.ddd"));
    c.replace(&u, 3, &fixed);
    let after = c.diagnostics(&u, Some(3));
    assert!(after.iter().all(|d| d["severity"] != 1), "{after:?}");
    assert_eq!(c.shutdown(), Some(0));
}
