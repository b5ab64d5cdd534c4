//! The formatter (`dddc fmt`): golden files, and its laws on real models and
//! on random edits of them.
//!
//! - `tests/fmt/NAME.in.ddd` formats to `tests/fmt/NAME.out.ddd`
//!   (`UPDATE_EXPECT=1 cargo test --test fmt` rewrites the expected files).
//! - Every golden input, every example model and every test model that parses
//!   cleanly is a fixed point after one format (idempotence) and parses back
//!   to the same tree, spans aside (meaning).
//! - Property tests: the same laws after random edits (blanks, comments,
//!   indentation, joined lines, CRLF, byte-order marks) of those models and
//!   on generated expressions; no panic on any input. Case counts are kept
//!   small so the file runs in a few seconds in a debug build.

use std::path::{Path, PathBuf};

use dddc::diagnostics::FileId;
use dddc::syntax::fmt::{format_text, quote_string, string_quote};
use proptest::prelude::*;

// ------------------------------------------------------------------ helpers --

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `.ddd` files directly in `dir`, sorted.
fn ddd_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir).map(|rd| rd.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "ddd"));
    files.sort();
    files
}

/// `.ddd` files anywhere under `dir`, sorted.
fn ddd_files_deep(dir: &Path) -> Vec<PathBuf> {
    let mut out = ddd_files(dir);
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(dir).map(|rd| rd.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    dirs.retain(|p| p.is_dir());
    dirs.sort();
    for d in dirs {
        out.extend(ddd_files_deep(&d));
    }
    out
}

/// The real models of the repository: the example and the test models.
fn corpus() -> Vec<(String, String)> {
    let r = root();
    let mut files = ddd_files(&r.join("examples/mitoga"));
    files.extend(ddd_files(&r.join("examples/mitoga/contexts")));
    files.extend(ddd_files(&r.join("tests/models")));
    files.extend(ddd_files(&r.join("tests/fmt")).into_iter().filter(|p| p.to_string_lossy().ends_with(".in.ddd")));
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("readable test file");
            (p.display().to_string(), text)
        })
        .collect()
}

/// Replaces every `Span { … }` of a `Debug` dump by `Span`.
fn strip_spans(debug: &str) -> String {
    const OPEN: &str = "Span { file: FileId(";
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug;
    while let Some(i) = rest.find(OPEN) {
        out.push_str(&rest[..i]);
        out.push_str("Span");
        let after = &rest[i..];
        match after.find(" }") {
            Some(j) => rest = &after[j + 2..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Breaks a one-line `Debug` dump into lines (after `{`, `[`, `(` and `,`),
/// so that a difference shows as a readable diff.
fn indent_debug(debug: &str) -> String {
    let mut out = String::with_capacity(debug.len() * 2);
    let mut depth = 0usize;
    let (mut in_string, mut escaped) = (false, false);
    let mut chars = debug.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' | '(' => {
                depth += 1;
                out.push(c);
                out.push('\n');
                out.push_str(&"  ".repeat(depth));
            }
            '}' | ']' | ')' => {
                depth = depth.saturating_sub(1);
                out.push('\n');
                out.push_str(&"  ".repeat(depth));
                out.push(c);
            }
            ',' => {
                out.push(c);
                out.push('\n');
                out.push_str(&"  ".repeat(depth));
                if chars.peek() == Some(&' ') {
                    chars.next();
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// What formatting must keep: the tree without its spans, and the comments
/// (text and kind; their order and placement may change).
fn meaning(text: &str) -> Result<(String, Vec<(bool, String)>), String> {
    let parsed = dddc::syntax::parse(FileId(0), text);
    let errors: Vec<String> = parsed.diagnostics.iter().filter(|d| d.is_error()).map(|d| format!("{d:?}")).collect();
    match parsed.file {
        Some(file) if errors.is_empty() => {
            let tree = indent_debug(&strip_spans(&format!("{:?}", file.items)));
            let mut comments: Vec<(bool, String)> = file.comments.iter().map(|c| (c.is_doc, c.text.clone())).collect();
            comments.sort();
            Ok((tree, comments))
        }
        _ => Err(format!("does not parse: {errors:?}")),
    }
}

/// Formats `text` (which must parse) and checks both laws. Returns the output.
fn check_laws(name: &str, text: &str) -> Result<String, String> {
    let once = format_text(text).map_err(|d| format!("{name}: format failed: {d:?}"))?;
    let before = meaning(text).map_err(|e| format!("{name}: input {e}"))?;
    let after = meaning(&once).map_err(|e| format!("{name}: output {e}\n---\n{once}"))?;
    if before != after {
        return Err(format!(
            "{name}: formatting changed the meaning\n{}\n--- output:\n{once}",
            first_difference(&format!("{}\n{:?}", before.0, before.1), &format!("{}\n{:?}", after.0, after.1))
        ));
    }
    let twice = format_text(&once).map_err(|d| format!("{name}: reformat failed: {d:?}"))?;
    if twice != once {
        return Err(format!("{name}: not idempotent\n{}\n--- once:\n{once}", first_difference(&once, &twice)));
    }
    Ok(once)
}

fn first_difference(a: &str, b: &str) -> String {
    let diff = similar::TextDiff::from_lines(a, b);
    diff.unified_diff().context_radius(3).to_string()
}

// ------------------------------------------------------------ golden files --

#[test]
fn golden_files() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let dir = root().join("tests/fmt");
    let inputs: Vec<PathBuf> =
        ddd_files(&dir).into_iter().filter(|p| p.to_string_lossy().ends_with(".in.ddd")).collect();
    assert!(inputs.len() >= 5, "golden inputs missing in {}", dir.display());
    let mut failures = Vec::new();
    for input in inputs {
        let name = input.display().to_string();
        let expected_path = PathBuf::from(name.replace(".in.ddd", ".out.ddd"));
        let text = std::fs::read_to_string(&input).expect("readable input");
        let out = match check_laws(&name, &text) {
            Ok(out) => out,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        if update {
            std::fs::write(&expected_path, &out).expect("writable expected file");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != out {
            failures.push(format!(
                "{name}: output differs from {} (UPDATE_EXPECT=1 to accept)\n{}",
                expected_path.display(),
                first_difference(&expected, &out)
            ));
        }
        // The expected output is itself canonical.
        if format_text(&expected).ok().as_deref() != Some(expected.as_str()) {
            failures.push(format!("{}: not a fixed point", expected_path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn real_models_keep_meaning_and_are_fixed_points() {
    let mut failures = Vec::new();
    let files = corpus();
    assert!(files.len() >= 10, "example and test models not found");
    for (name, text) in &files {
        if let Err(e) = check_laws(name, text) {
            failures.push(e);
        }
    }
    // The validation fixtures that parse cleanly are models too.
    for path in ddd_files_deep(&root().join("tests/validation")) {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if meaning(&text).is_ok() {
            if let Err(e) = check_laws(&path.display().to_string(), &text) {
                failures.push(e);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

// ------------------------------------------------------------- unit rules --

#[test]
fn broken_files_are_not_formatted() {
    for text in [
        "model m { target postgres }",
        "context c { aggregate A { x int } }",
        "context c { aggregate A { r: ref B on delete set nothing } }",
        "enum E { A B",
        "junk at top level",
    ] {
        let result = format_text(text);
        assert!(matches!(&result, Err(d) if d.iter().any(|d| d.is_error())), "{text:?} gave {result:?}");
    }
}

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(format_text("").unwrap(), "");
    assert_eq!(format_text(" \n\n\t\n").unwrap(), "");
    assert_eq!(format_text("//a\n\n\n  //  b  \n").unwrap(), "// a\n\n//  b\n");
}

#[test]
fn string_quotes() {
    assert_eq!(string_quote("plain"), '\'');
    assert_eq!(string_quote("it's"), '"');
    assert_eq!(string_quote("it's \"x\""), '\'');
    assert_eq!(string_quote("two\nlines"), '"');
    assert_eq!(quote_string("it's", '\''), "'it''s'");
    let src = "context c { aggregate A { a: text = \"x\" b: text = 'it''s' c: text = \"'\"\"\" } }";
    let out = format_text(src).unwrap();
    assert!(out.contains("a: text = 'x'\n"), "{out}");
    assert!(out.contains("b: text = \"it's\"\n"), "{out}");
    assert!(out.contains("c: text = '''\"'\n"), "{out}");
}

#[test]
fn a_stray_doc_comment_stays_stray() {
    // `k` starts on the line above the `///`: it documents nothing, and must
    // not end up documenting `k` once `k` fits on one line.
    let src = "context c {\n  aggregate A {\n    k: int\n      = 1 /// stray\n    j: int\n  }\n}\n";
    let out = check_laws("stray", src).unwrap();
    assert!(out.contains("    k: int = 1\n    /// stray\n\n    j: int\n"), "{out}");
}

#[test]
fn a_trailing_doc_before_a_string_spanning_lines_moves_above() {
    // Found by `edits_keep_meaning_and_idempotence`: left at the end of the
    // printed line, the `///` would sit on the string's last line.
    let src = "context c {\n  aggregate S {\n    i: text = /// doc\n \"one\ntwo\"\n  }\n}\n";
    let out = check_laws("multi-line string", src).unwrap();
    assert!(out.contains("    /// doc\n    i: text = \"one\ntwo\"\n"), "{out}");
}

#[test]
fn crlf_and_byte_order_mark() {
    let src = "\u{feff}// head\r\nmodel m {\r\n  target postgres 16 // v\r\n}\r\n";
    let out = check_laws("crlf", src).unwrap();
    assert_eq!(out, "// head\nmodel m {\n  target postgres 16 // v\n}\n");
}

// ---------------------------------------------------------- property tests --

/// One random edit of a valid model. Positions are fractions of the file, so
/// that one strategy fits every file.
#[derive(Debug, Clone)]
enum Edit {
    /// Insert blanks next to an existing blank (never inside a token).
    Blank { at: f64, what: &'static str },
    /// A `//` or `///` comment between two tokens, wherever a blank is.
    InlineComment { at: f64, doc: bool },
    /// A `//` or `///` comment at the end of a line.
    TrailingComment { line: f64, doc: bool },
    /// A `//` or `///` comment on a line of its own before a line.
    OwnLineComment { line: f64, doc: bool, indent: usize },
    /// Replace a line's indentation.
    Reindent { line: f64, indent: usize },
    /// Delete an empty line.
    DeleteBlankLine { nth: f64 },
    /// Join a line with the next one.
    JoinLines { line: f64 },
    /// Windows line ends everywhere.
    Crlf,
    /// A byte-order mark in front.
    Bom,
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    let frac = 0.0..1.0f64;
    prop_oneof![
        (frac.clone(), prop::sample::select(vec![" ", "\n", "\n\n", "\t", "\n\n\n  ", "\u{feff}"]))
            .prop_map(|(at, what)| Edit::Blank { at, what }),
        (frac.clone(), any::<bool>()).prop_map(|(at, doc)| Edit::InlineComment { at, doc }),
        (frac.clone(), any::<bool>()).prop_map(|(line, doc)| Edit::TrailingComment { line, doc }),
        (frac.clone(), any::<bool>(), 0..6usize).prop_map(|(line, doc, indent)| Edit::OwnLineComment {
            line,
            doc,
            indent
        }),
        (frac.clone(), 0..9usize).prop_map(|(line, indent)| Edit::Reindent { line, indent }),
        frac.clone().prop_map(|nth| Edit::DeleteBlankLine { nth }),
        frac.prop_map(|line| Edit::JoinLines { line }),
        Just(Edit::Crlf),
        Just(Edit::Bom),
    ]
}

fn pick(len: usize, f: f64) -> usize {
    ((len as f64 * f) as usize).min(len.saturating_sub(1))
}

/// Byte offsets of the starts of lines.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).filter(|&i| i < text.len()).collect()
}

fn line_end(text: &str, start: usize) -> usize {
    text[start..].find('\n').map_or(text.len(), |n| start + n)
}

/// Offsets of the blanks of `text` (inserting next to one never splits a
/// token, though it may land in a string or a comment).
fn blank_spots(text: &str) -> Vec<usize> {
    text.char_indices().filter(|(_, c)| c.is_ascii_whitespace()).map(|(i, _)| i).collect()
}

fn apply(text: &mut String, edit: &Edit, serial: usize) {
    let starts = line_starts(text);
    if starts.is_empty() {
        return;
    }
    match *edit {
        Edit::Blank { at, what } => {
            let spots: Vec<usize> =
                text.char_indices().filter(|(_, c)| c.is_ascii_whitespace()).map(|(i, _)| i).collect();
            if !spots.is_empty() {
                text.insert_str(spots[pick(spots.len(), at)], what);
            }
        }
        Edit::InlineComment { at, doc } => {
            let spots = blank_spots(text);
            if !spots.is_empty() {
                let slashes = if doc { "///" } else { "//" };
                let comment = format!(" {slashes} inline {serial}\n");
                text.insert_str(spots[pick(spots.len(), at)], &comment);
            }
        }
        Edit::TrailingComment { line, doc } => {
            let end = line_end(text, starts[pick(starts.len(), line)]);
            let slashes = if doc { "///" } else { "//" };
            text.insert_str(end, &format!(" {slashes} note {serial}"));
        }
        Edit::OwnLineComment { line, doc, indent } => {
            let start = starts[pick(starts.len(), line)];
            let slashes = if doc { "///" } else { "//" };
            let pad = " ".repeat(indent);
            text.insert_str(start, &format!("{pad}{slashes} own {serial}\n"));
        }
        Edit::Reindent { line, indent } => {
            let start = starts[pick(starts.len(), line)];
            let end = line_end(text, start);
            let body = text[start..end].trim_start().to_string();
            text.replace_range(start..end, &format!("{}{body}", " ".repeat(indent)));
        }
        Edit::DeleteBlankLine { nth } => {
            let blanks: Vec<usize> =
                starts.iter().copied().filter(|&s| text[s..line_end(text, s)].trim().is_empty()).collect();
            if !blanks.is_empty() {
                let s = blanks[pick(blanks.len(), nth)];
                let e = (line_end(text, s) + 1).min(text.len());
                text.replace_range(s..e, "");
            }
        }
        Edit::JoinLines { line } => {
            let end = line_end(text, starts[pick(starts.len(), line)]);
            if end < text.len() {
                text.replace_range(end..end + 1, " ");
            }
        }
        Edit::Crlf => *text = text.replace("\r\n", "\n").replace('\n', "\r\n"),
        Edit::Bom => {
            if !text.starts_with('\u{feff}') {
                text.insert(0, '\u{feff}');
            }
        }
    }
}

/// Text made of the language's own pieces, so that some of it parses.
fn ddd_soup() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "model",
        "m",
        "context",
        "c",
        "aggregate",
        "A",
        "entity",
        "E",
        "enum",
        "value",
        "V",
        "{",
        "}",
        "(",
        ")",
        ":",
        ",",
        "=",
        "?",
        "[]",
        "@was(x)",
        "x",
        "y",
        "int",
        "text(3)",
        "ref",
        "on delete",
        "set null",
        "loose",
        "unique",
        "indexed",
        "index",
        "invariant",
        "events",
        "outbox",
        "X",
        "Y",
        "'s'",
        "\"d\"",
        "1",
        "2025-01",
        "monthly from",
        "to",
        "and",
        "or",
        "not",
        "implies",
        "is null",
        "in",
        "between",
        "matches",
        "/r/",
        "==",
        "+",
        "-",
        "// c",
        "/// d",
        "\n",
        "\n\n",
        " ",
        "  ",
        "\t",
        "sql",
        "key",
        "soft_delete",
        "no",
        "partition by",
        "list",
        "hash",
        "into",
        "range",
        "search",
        "role",
        "read",
        "publication",
        "include",
        "target",
        "tables",
        "defaults",
        "one",
        "as",
    ]);
    prop::collection::vec(pieces, 0..60).prop_map(|v| v.join(" "))
}

/// Expressions built from the grammar's pieces, some of them invalid (the
/// grammar decides, e.g. `a == b == c`).
fn expression() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(vec![
        "a",
        "b.c",
        "ACTIVE",
        "1",
        "2.50",
        "'s'",
        "\"it's\"",
        "'say \"x\"'",
        "true",
        "null",
        "{}",
        "[]",
        "2025-01-01",
        "sql \"a > 0\"",
        "now()",
        "x",
    ])
    .prop_map(str::to_string);
    leaf.prop_recursive(4, 24, 3, |inner| {
        let two = (inner.clone(), inner.clone());
        prop_oneof![
            inner.clone().prop_map(|e| format!("({e})")),
            inner.clone().prop_map(|e| format!("-{e}")),
            inner.clone().prop_map(|e| format!("not {e}")),
            inner.clone().prop_map(|e| format!("{e} is not null")),
            inner.clone().prop_map(|e| format!("{e} matches /^a\\/b$/")),
            inner.clone().prop_map(|e| format!("lower({e})")),
            (
                two.clone(),
                prop::sample::select(vec!["+", "-", "*", "/", "%", "==", "!=", "<", ">=", "and", "or", "implies",])
            )
                .prop_map(|((a, b), op)| format!("{a} {op} {b}")),
            (two.clone(), inner.clone()).prop_map(|((a, b), c)| format!("{a} not in ({b}, {c})")),
            (two, inner).prop_map(|((a, b), c)| format!("{a} between {b} and {c}")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Random edits of valid models: whenever the edited model still parses,
    /// formatting keeps its meaning and is idempotent.
    #[test]
    fn edits_keep_meaning_and_idempotence(
        file in 0..64usize,
        edits in prop::collection::vec(edit_strategy(), 1..8),
    ) {
        let corpus = corpus();
        let (name, text) = &corpus[file % corpus.len()];
        let mut edited = text.clone();
        for (i, e) in edits.iter().enumerate() {
            apply(&mut edited, e, i);
        }
        if meaning(&edited).is_ok() {
            if let Err(e) = check_laws(name, &edited) {
                prop_assert!(false, "{}\n--- edited input:\n{}", e, edited);
            }
        }
    }

    /// Expressions print back to the same tree wherever they stand.
    #[test]
    fn expressions_keep_meaning(e in expression(), d in expression()) {
        let text = format!(
            "context c {{ aggregate A {{ x: int = {d}\ninvariant i: {e}\nindex ({e}, {d}) where {d} }} }}\nvalue V: int check {e}\n"
        );
        if meaning(&text).is_ok() {
            if let Err(err) = check_laws("expression", &text) {
                prop_assert!(false, "{}\n--- input:\n{}", err, text);
            }
        }
    }

    /// Text built from the language's pieces: no panic, and the laws hold for
    /// whatever parses.
    #[test]
    fn soup_never_panics(text in ddd_soup()) {
        if meaning(&text).is_ok() {
            if let Err(e) = check_laws("soup", &text) {
                prop_assert!(false, "{}\n--- input:\n{}", e, text);
            }
        } else {
            prop_assert!(format_text(&text).is_err());
        }
    }

    /// Any string at all: formatting never panics.
    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = format_text(&text);
    }
}
