//! The module layering `src/lib.rs` describes, enforced: every `crate::…`
//! path in a source file must name a module of the same layer or an earlier
//! one. A new import that points up the pipeline (the SQL printer reaching
//! into the build, the front end into lowering) fails here with the file,
//! line and the two layers, so the layering cannot rot one import at a time.

use std::fs;
use std::path::{Path, PathBuf};

/// Layers, first to last. A module path belongs to the layer of its longest
/// listed prefix; `sql` is split because its quoting and expression printer
/// come before lowering while its object printers come after evolution.
const LAYERS: &[&[&str]] = &[
    &["diagnostics", "config", "pg", "timing", "threads", "memo", "files", "jsonb"],
    &["syntax"],
    &["loader"],
    &["model"],
    &["sql", "sql::expr", "sql::fragments"],
    &["relational"],
    &["migrate"],
    &["sql::types", "sql::stmt", "sql::objects", "sql::ddl", "sql::alter"],
    &["lint"],
    &["output", "docs"],
    &["lock"],
    &["build"],
    &["check", "check_cache"],
    &["team"],
    &["lsp"],
    &["introspect", "verify", "import"],
    &["lib"],
    // The binary's commands (`src/cli/`, under `main.rs`).
    &["cli"],
];

fn layer_of(path: &str) -> Option<(usize, &'static str)> {
    let mut best: Option<(usize, &'static str)> = None;
    for (i, layer) in LAYERS.iter().enumerate() {
        for &prefix in layer.iter() {
            let matches = path == prefix || path.starts_with(&format!("{prefix}::"));
            if matches && best.is_none_or(|(_, b)| prefix.len() > b.len()) {
                best = Some((i, prefix));
            }
        }
    }
    best
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// `src/sql/objects.rs` → `sql::objects`; `src/syntax/build/mod.rs` →
/// `syntax::build`; `src/lib.rs` → `lib`.
fn module_path(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts.join("::")
}

/// Every `crate::a::b` path in the text with its line, expanding one level
/// of `crate::{a, b::c}` groups. Comments are skipped.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            if let Some(group) = after.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let item = item.trim();
                    if !item.is_empty() {
                        out.push((n + 1, path_prefix(item)));
                    }
                }
            } else {
                out.push((n + 1, path_prefix(after)));
            }
            rest = after;
        }
    }
    out
}

/// The module part of a path: identifiers joined by `::`, stopping at the
/// first item that starts upper-case or is not followed by `::`.
fn path_prefix(s: &str) -> String {
    let mut parts = Vec::new();
    let mut rest = s;
    loop {
        let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
        let word = &rest[..end];
        if word.is_empty() || word.starts_with(|c: char| c.is_uppercase()) {
            break;
        }
        parts.push(word);
        match rest[end..].strip_prefix("::") {
            Some(r) => rest = r,
            None => break,
        }
    }
    parts.join("::")
}

#[test]
fn imports_point_down_the_pipeline() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    let mut unplaced = Vec::new();
    for file in &files {
        let module = module_path(&src, file);
        if module == "main" {
            continue; // the binary is the edge: it may use everything
        }
        let Some((from, from_name)) = layer_of(&module) else {
            unplaced.push(module);
            continue;
        };
        let text = fs::read_to_string(file).unwrap();
        for (line, path) in crate_paths(&text) {
            let Some((to, to_name)) = layer_of(&path) else {
                // A crate-root item (`crate::frontend`) belongs to `lib`.
                if from_name != "lib" {
                    violations.push(format!("{}:{line}: `crate::{path}` is not a module of any layer", file.display()));
                }
                continue;
            };
            if to > from {
                violations.push(format!(
                    "{}:{line}: `{module}` (layer {from}, `{from_name}`) imports `crate::{path}` (layer {to}, `{to_name}`), a later layer",
                    file.display()
                ));
            }
        }
    }
    assert!(unplaced.is_empty(), "modules missing from LAYERS in tests/architecture.rs: {unplaced:?}");
    assert!(violations.is_empty(), "imports against the layering:\n{}", violations.join("\n"));
}

#[test]
fn the_checker_sees_what_it_must() {
    // The parser of paths is what the test above trusts; check it on the
    // shapes the sources use.
    let text = "use crate::sql::objects::{self as o};\nuse crate::{build::Output, lock};\n// crate::docs in a comment\nlet x = crate::frontend(p);";
    let paths: Vec<String> = crate_paths(text).into_iter().map(|(_, p)| p).collect();
    assert_eq!(paths, ["sql::objects", "build", "lock", "frontend"]);
    assert_eq!(layer_of("sql::objects").map(|l| l.1), Some("sql::objects"));
    assert_eq!(layer_of("sql").map(|l| l.1), Some("sql"));
    assert_eq!(layer_of("syntax::build::expr").map(|l| l.1), Some("syntax"));
    assert!(layer_of("sql::objects").unwrap().0 > layer_of("migrate").unwrap().0);
    assert!(layer_of("sqlx").is_none());
}
