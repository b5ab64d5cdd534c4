//! Laws of the front end, checked on generated input:
//!
//! - `syntax::parse` never panics, whatever the text: arbitrary Unicode, a
//!   soup of the language's own tokens, or a valid model damaged by random
//!   byte-level edits (delete, insert, duplicate a slice);
//! - every diagnostic it returns points inside the text, on character
//!   boundaries, so it can always be rendered;
//! - the whole front end (`dddc::frontend`: includes, resolution, validation)
//!   and both renderers never panic on damaged copies of valid models.
//!
//! Case counts are modest so the file runs in a few seconds in debug builds.
//!
//! Every label must lie on character boundaries: a broken line starting with
//! a multi-byte character once got a span ending inside it, and rendering that
//! diagnostic panicked (`tests/validation/syntax/E0001_non_ascii_junk.ddd`).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::sample::Index;

use dddc::diagnostics::{render_json, render_text, ColorChoice, Diagnostic, FileId};

/// Tokens of the language (and a few near misses) for the token soup and
/// for insertions.
const TOKENS: &[&str] = &[
    "model",
    "include",
    "target",
    "postgres",
    "tables",
    "plural_es",
    "extensions",
    "defaults",
    "audit_log",
    "context",
    "tenant",
    "by",
    "enum",
    "native",
    "value",
    "check",
    "aggregate",
    "entity",
    "one",
    "as",
    "ref",
    "on",
    "delete",
    "update",
    "restrict",
    "cascade",
    "set",
    "null",
    "no",
    "action",
    "loose",
    "unique",
    "indexed",
    "identity",
    "v7",
    "soft_delete",
    "audited",
    "tenant_scoped",
    "timestamps",
    "expected_rows",
    "key",
    "invariant",
    "index",
    "using",
    "gin",
    "where",
    "including",
    "deleted",
    "events",
    "outbox",
    "monthly",
    "from",
    "to",
    "partition",
    "range",
    "list",
    "hash",
    "into",
    "search",
    "spanish",
    "role",
    "read",
    "write",
    "publication",
    "implies",
    "or",
    "and",
    "not",
    "is",
    "in",
    "between",
    "matches",
    "true",
    "false",
    "sql",
    "agregate",
    "entiti",
    "invarient",
    "Usuario",
    "Reserva",
    "reservas",
    "autenticacion",
    "estado",
    "id",
    "text",
    "text(255)",
    "decimal(12, 2)",
    "char(2)",
    "uuid",
    "timestamp",
    "json",
    "int",
    "bigint",
    "EstadoReserva",
    "PENDIENTE",
    "len",
    "lower",
    "now()",
    "coalesce",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "[]",
    "{}",
    ":",
    ",",
    "?",
    "@",
    "@pii",
    "@was(x)",
    "@allow(L001, 'x')",
    "=",
    "==",
    "!=",
    "<",
    ">=",
    ".",
    "+",
    "-",
    "*",
    "/",
    "%",
    "'",
    "\"",
    "'texto'",
    "'O''Brien'",
    "\"sql\"",
    "/^[a-z]+$/",
    "/",
    "//",
    "///",
    "/// doc",
    "// nota",
    "16",
    "0",
    "2025-11",
    "2025-11-01",
    "50M",
    "1.5",
    "\n",
    "\n",
    "\n",
    " ",
    " ",
    "\t",
    "\r\n",
    "ñ",
    "€",
    "\u{feff}",
    "\u{0}",
    "include \"otro.ddd\"",
    "include \"../fuera.ddd\"",
    "include \"mitoga.ddd\"",
    "include \"contexts/pagos.ddd\"",
];

/// A model's files: (path relative to the model's folder, text).
type Files = Vec<(String, String)>;

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The MiToga example (root first) and the single-file test models.
fn models() -> &'static [Files] {
    static MODELS: OnceLock<Vec<Files>> = OnceLock::new();
    MODELS.get_or_init(|| {
        let mut out = Vec::new();
        let mitoga = crate_root().join("examples/mitoga");
        let mut files = vec![read_rel(&mitoga, Path::new("mitoga.ddd"))];
        let mut contexts: Vec<PathBuf> = std::fs::read_dir(mitoga.join("contexts"))
            .expect("examples/mitoga/contexts")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "ddd"))
            .collect();
        contexts.sort();
        for p in contexts {
            let rel = p.strip_prefix(&mitoga).expect("inside").to_path_buf();
            files.push(read_rel(&mitoga, &rel));
        }
        out.push(files);
        let dir = crate_root().join("tests/models");
        if let Ok(entries) = std::fs::read_dir(&dir) {
            let mut singles: Vec<PathBuf> =
                entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "ddd")).collect();
            singles.sort();
            for p in singles {
                let name = p.file_name().expect("name").to_string_lossy().into_owned();
                out.push(vec![read_rel(&dir, Path::new(&name))]);
            }
        }
        out
    })
}

fn read_rel(dir: &Path, rel: &Path) -> (String, String) {
    let text = std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("read {}: {e}", rel.display()));
    (rel.to_string_lossy().replace('\\', "/"), text)
}

/// Every text of every model, for the parser-only properties.
fn all_texts() -> Vec<&'static str> {
    models().iter().flat_map(|m| m.iter().map(|(_, t)| t.as_str())).collect()
}

// ------------------------------------------------------------------ edits --

#[derive(Debug, Clone)]
enum Edit {
    /// Remove up to `len` bytes at `at`.
    Delete { at: Index, len: usize },
    /// Insert arbitrary bytes (possibly splitting a UTF-8 sequence).
    InsertBytes { at: Index, bytes: Vec<u8> },
    /// Insert one of the language's tokens.
    InsertToken { at: Index, token: &'static str },
    /// Copy up to `len` bytes from `from` to `to`.
    Duplicate { from: Index, len: usize, to: Index },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<Index>(), 1usize..80).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<Index>(), prop::collection::vec(any::<u8>(), 1..12))
            .prop_map(|(at, bytes)| Edit::InsertBytes { at, bytes }),
        (any::<Index>(), prop::sample::select(TOKENS)).prop_map(|(at, token)| Edit::InsertToken { at, token }),
        (any::<Index>(), 1usize..200, any::<Index>()).prop_map(|(from, len, to)| Edit::Duplicate { from, len, to }),
    ]
}

/// Applies the edits to the bytes of `text`; the result is made valid UTF-8
/// again by replacing broken sequences (the parser takes `&str`).
fn apply(text: &str, edits: &[Edit]) -> String {
    let mut b = text.as_bytes().to_vec();
    for e in edits {
        let pos = |i: &Index, b: &Vec<u8>| i.index(b.len() + 1);
        match e {
            Edit::Delete { at, len } => {
                let s = pos(at, &b);
                let end = (s + len).min(b.len());
                b.drain(s..end);
            }
            Edit::InsertBytes { at, bytes } => {
                let s = pos(at, &b);
                b.splice(s..s, bytes.iter().copied());
            }
            Edit::InsertToken { at, token } => {
                let s = pos(at, &b);
                b.splice(s..s, token.bytes());
            }
            Edit::Duplicate { from, len, to } => {
                let s = pos(from, &b);
                let end = (s + len).min(b.len());
                let slice = b[s..end].to_vec();
                let t = pos(to, &b);
                b.splice(t..t, slice);
            }
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(TOKENS), prop::sample::select(&[" ", "", "\n"][..])), 0..120)
        .prop_map(|parts| parts.into_iter().map(|(t, sep)| format!("{t}{sep}")).collect())
}

// ------------------------------------------------------------------- laws --

/// Parses `text` (the call must not panic) and checks that every diagnostic
/// points inside it, on character boundaries.
fn parse_is_total(text: &str) -> Result<(), TestCaseError> {
    let parsed = dddc::syntax::parse(FileId(0), text);
    for d in &parsed.diagnostics {
        spans_inside(d, |_| text)?;
    }
    prop_assert!(parsed.file.is_some() || !parsed.diagnostics.is_empty(), "no tree and no diagnostic for {text:?}");
    Ok(())
}

/// Checks that the labels of `d` lie inside their texts and on character
/// boundaries. Returns whether they are on boundaries (always true, or a
/// failure).
fn spans_inside<'a>(d: &Diagnostic, text_of: impl Fn(FileId) -> &'a str) -> Result<bool, TestCaseError> {
    let mut on_boundaries = true;
    for l in d.primary.iter().chain(d.secondary.iter()) {
        let text = text_of(l.span.file);
        let (s, e) = (l.span.start as usize, l.span.end as usize);
        prop_assert!(
            s <= e && e <= text.len(),
            "{} `{}`: span {s}..{e} outside a text of {} bytes",
            d.code,
            d.message,
            text.len()
        );
        let ok = text.is_char_boundary(s) && text.is_char_boundary(e);
        prop_assert!(ok, "{} `{}`: span {s}..{e} not on a char boundary of {:?}", d.code, d.message, text);
        on_boundaries &= ok;
    }
    Ok(on_boundaries)
}

/// `cases`, unless `PROPTEST_CASES` asks for more (a longer fuzzing run).
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config(384))]

    #[test]
    fn parse_never_panics_on_arbitrary_text(text in any::<String>()) {
        parse_is_total(&text)?;
    }

    #[test]
    fn parse_never_panics_on_token_soup(text in token_soup()) {
        parse_is_total(&text)?;
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn parse_never_panics_on_edited_examples(
        which in any::<Index>(),
        edits in prop::collection::vec(edit(), 1..5),
    ) {
        let texts = all_texts();
        let text = apply(texts[which.index(texts.len())], &edits);
        parse_is_total(&text)?;
    }
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn frontend_never_panics_on_edited_models(
        which_model in any::<Index>(),
        which_file in any::<Index>(),
        edits in prop::collection::vec(edit(), 1..5),
    ) {
        let model = &models()[which_model.index(models().len())];
        let target = which_file.index(model.len());
        let tmp = tempfile::tempdir().expect("temp dir");
        for (i, (rel, text)) in model.iter().enumerate() {
            let path = tmp.path().join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("mkdir");
            }
            let text = if i == target { apply(text, &edits) } else { text.clone() };
            std::fs::write(path, text).expect("write");
        }
        let root = tmp.path().join(&model[0].0);
        let fe = dddc::frontend(&root, Path::new(&model[0].0)).expect("root file is readable");
        for d in &fe.diagnostics {
            spans_inside(d, |f| fe.sources.get(f).text.as_str())?;
        }
        prop_assert_eq!(fe.model.is_some(), !dddc::diagnostics::has_errors(&fe.diagnostics));
        let text = render_text(&fe.sources, &fe.diagnostics, ColorChoice::Never);
        prop_assert_eq!(text.is_empty(), fe.diagnostics.is_empty());
        let json = render_json(&fe.sources, &fe.diagnostics);
        prop_assert_eq!(
            json["diagnostics"].as_array().map(Vec::len),
            Some(fe.diagnostics.len())
        );
    }
}

/// The unedited models are valid: the edits above start from valid input.
#[test]
fn the_models_edited_above_are_valid() {
    for model in models() {
        let tmp = tempfile::tempdir().expect("temp dir");
        for (rel, text) in model {
            let path = tmp.path().join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("mkdir");
            }
            std::fs::write(path, text).expect("write");
        }
        let fe = dddc::frontend(&tmp.path().join(&model[0].0), Path::new(&model[0].0)).expect("readable");
        assert!(
            !dddc::diagnostics::has_errors(&fe.diagnostics),
            "{} is not valid:\n{}",
            model[0].0,
            render_text(&fe.sources, &fe.diagnostics, ColorChoice::Never)
        );
    }
}

/// A few inputs that once looked dangerous, kept as plain tests.
#[test]
fn parse_edge_cases() {
    for text in [
        "",
        "\u{feff}",
        "{",
        "}",
        "{{{{{{{{",
        "model",
        "model m {",
        "model m { target postgres 99999999999999999999999 }",
        "model m { target postgres 16 }\ncontext c { aggregate A { x: text(99999999999999999999) } }",
        "context c { aggregate A { x: decimal(1, 99999999999) } }",
        "'",
        "'unterminated\n",
        "/",
        "/unterminated regex",
        "///",
        "@",
        "@@@@",
        "enum E { @ }",
        "value V: text check",
        "model m { audit_log a.b monthly from 0000-00 to 9999-99 }",
        "context c { aggregate A { partition by hash (id) into 99999999999 } }",
        "context c { aggregate A { expected_rows 99999999999999999999999G } }",
        "context c { aggregate A { x: int = -------------------------------1 } }",
        "context c { aggregate A { invariant i: ((((((((((((((((((((x)))))))))))))))))))) } }",
        "ñ€\u{0}\r\n\t",
    ] {
        parse_is_total(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    }
}

/// The same inputs through the whole front end, as a model file on disk.
#[test]
fn frontend_edge_cases() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path().join("mitoga.ddd");
    for body in [
        "context c { aggregate A { x: text(99999999999999999999) } }",
        "context c { aggregate A { x: decimal(1, 99999999999) y: char(0) } }",
        "context c { aggregate A { partition by hash (id) into 99999999999 } }",
        "context c { aggregate A { expected_rows 99999999999999999999999G } }",
        "context c { aggregate A { x: int = -------------------------------1 } }",
        "context c { aggregate A { invariant i: ((((((((((((((((((((x)))))))))))))))))))) } }",
        "context c { aggregate A { id: ref A  b: ref A.B  c: ref c.A.B  d: ref x.A } }",
        "context c { aggregate A { key (a, a)  a: int } }",
        "context c { aggregate A { x: A[] y: A? z: c.A } }",
        "value V { v: V[] w: V }",
        "value V: V",
        "enum E { }\nenum E { A }\ncontext c { aggregate A { e: E = B } }",
        "context c { aggregate A { partition by list (x) { } x: int } }",
        "context c { aggregate A { search simple (x A, x B) x: text } }",
        "model n { audit_log a.b monthly from 0000-00 to 9999-99 }",
        "model n { target postgres 99999999999999999999999 }",
        "include \"mitoga.ddd\"\ninclude \"\"\ninclude \".\"\ninclude \"/\"",
        "context c { aggregate A @allow() @was() @name(1) @column(x, y) { x: int @backfill() @pii(1, 2) } }",
        // A regular expression's error at a multi-byte character (found by
        // frontend_never_panics_on_edited_models: the span ended inside it).
        "value V: text(9) check matches /^[0-9]{4é,8}$/",
        "context c { aggregate A { x: text(9) invariant i: x matches /^\\/[0-9]{4€,8}$/ } }",
    ] {
        let text = format!("model mitoga {{ target postgres 16 }}\n{body}\n");
        std::fs::write(&root, &text).expect("write");
        let fe = dddc::frontend(&root, Path::new("mitoga.ddd")).expect("readable");
        let rendered = render_text(&fe.sources, &fe.diagnostics, ColorChoice::Never);
        assert!(fe.model.is_some() || !rendered.is_empty(), "{body:?}: no model and no diagnostic");
        let _ = render_json(&fe.sources, &fe.diagnostics);
        for d in &fe.diagnostics {
            spans_inside(d, |f| fe.sources.get(f).text.as_str()).unwrap_or_else(|e| panic!("{body:?}: {e}"));
        }
    }
}
