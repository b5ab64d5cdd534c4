//! Validation fixtures: `tests/validation/**/*.ddd`, each carrying the
//! diagnostics it must produce inline, after a marker line:
//!
//! ```text
//! model m { target postgres 16 }
//! context reservas { agregate Reserva { } }
//!
//! // ---- expected ----
//! // error[E0001]: expected `aggregate`, … found `agregate`
//! //   ┌─ tests/validation/syntax/E0001_agregate.ddd:2:20
//! // …
//! ```
//!
//! The expected block is exactly `render_text(…, ColorChoice::Never)`, each
//! line prefixed with `// `. A file without the marker must produce no
//! diagnostic at all. The compiler reads the text before the marker only, so
//! an error at the end of the file does not move when the block changes.
//!
//! - Folder fixtures: under a folder named `includes`, only `main.ddd` files
//!   are roots; the other files of the case folder are what they include.
//! - `tests/validation/known_bugs/` holds fixtures with the *correct*
//!   expectation for a compiler bug not fixed yet: they run only with
//!   `DDDC_KNOWN_BUGS=1` (and are never rewritten).
//! - `UPDATE_EXPECT=1 cargo test --test validation` rewrites the expected
//!   blocks in place; review every rewrite (`git diff tests/validation`).
//!
//! One test runs every fixture and reports every failure, each with its file
//! name and a diff, so one run shows everything that broke.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use dddc::diagnostics::{codes::CODES, render_text, ColorChoice};

const MARKER: &str = "// ---- expected ----";
/// Codes only a build against a lock reports: W0002 and the refusals of the
/// evolution engine (E07xx), tested by the migration cases
/// (`tests/migrations/*/v<k>.expect_refusal` name their code); W0710, a
/// squawk finding on a generated migration, which no model should produce
/// (every migration case fails on one; `src/lint/migrations.rs` tests it);
/// and the live database's codes (E08xx, W080x), which need a database:
/// `tests/db_verify.rs` and `tests/db_import.rs` test each of them.
const NOT_YET: &[&str] = &[
    "W0002", "E0701", "E0702", "E0703", "W0710", "E0801", "E0802", "E0803", "E0804", "E0805", "E0806", "W0801", "W0802",
];

#[test]
fn validation_fixtures() {
    let update = env_on("UPDATE_EXPECT");
    let fixtures = fixtures(env_on("DDDC_KNOWN_BUGS"));
    assert!(!fixtures.is_empty(), "no fixture under tests/validation");
    let mut failures = Vec::new();
    let mut rewritten = Vec::new();
    for f in &fixtures {
        let text = read(&f.root);
        let (source, expected) = split(&text);
        // A compiler panic fails this fixture only, with its message.
        let actual = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(f, &source))).unwrap_or_else(|p| {
            let msg = p
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| p.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            format!("compiler panicked: {msg}\n")
        });
        if normalize(&actual) == normalize(&expected) {
            continue;
        }
        let panicked = actual.starts_with("compiler panicked:");
        if update && !f.known_bug && !panicked {
            std::fs::write(&f.root, with_expectation(&source, &actual))
                .unwrap_or_else(|e| panic!("cannot rewrite {}: {e}", f.display));
            rewritten.push(f.display.clone());
            continue;
        }
        failures.push(report(f, &expected, &actual));
    }
    for r in &rewritten {
        eprintln!("rewrote {r}");
    }
    if !failures.is_empty() {
        panic!(
            "{} of {} validation fixture(s) failed:\n\n{}\n(run `UPDATE_EXPECT=1 cargo test --test validation` to accept the new output, then review the diff)",
            failures.len(),
            fixtures.len(),
            failures.join("\n")
        );
    }
}

/// Every code has a fixture that reports it and a valid near miss:
/// `<CODE>_<what>.ddd` and `<CODE>_ok_<what>.ddd` (for folder fixtures, the
/// case folder carries the name).
#[test]
fn every_code_has_fixtures() {
    let mut failing: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut passing: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    for f in fixtures(true) {
        let name = f.name();
        let Some(code) =
            CODES.iter().map(|c| c.code).find(|c| name.strip_prefix(c).is_some_and(|rest| rest.starts_with('_')))
        else {
            continue;
        };
        let (_, expected) = split(&read(&f.root));
        if name.starts_with(&format!("{code}_ok_")) {
            if !expected.is_empty() {
                problems.push(format!("{}: an `_ok_` fixture must be valid (no expected block)", f.display));
            }
            passing.entry(code).or_default().push(f.display.clone());
        } else {
            if !expected.contains(&format!("[{code}]")) {
                problems.push(format!("{}: named after {code} but does not expect it", f.display));
            }
            failing.entry(code).or_default().push(f.display.clone());
        }
    }
    for c in CODES.iter().filter(|c| !NOT_YET.contains(&c.code)) {
        if !failing.contains_key(c.code) {
            problems.push(format!("{}: no failing fixture `{0}_<what>.ddd`", c.code));
        }
        if !passing.contains_key(c.code) {
            problems.push(format!("{}: no passing fixture `{0}_ok_<what>.ddd`", c.code));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A fixture's expected block round-trips through the writer unchanged.
#[test]
fn expectation_format_round_trips() {
    let source = "model m { target postgres 16 }\n";
    let output = "error[E0001]: x\n  ┌─ a.ddd:1:1\n  │\n\n";
    let file = with_expectation(source, output);
    let (s, e) = split(&file);
    assert_eq!(s, source);
    assert_eq!(normalize(&e), normalize(output));
    assert_eq!(with_expectation(source, ""), source);
}

struct Fixture {
    /// The root `.ddd` file.
    root: PathBuf,
    /// `tests/validation/…`, as diagnostics show it.
    display: String,
    known_bug: bool,
    /// For a folder fixture, the case folder (copied whole).
    folder: Option<PathBuf>,
}

impl Fixture {
    /// The fixture's name: the file stem, or the case folder's name.
    fn name(&self) -> String {
        let p = self.folder.as_deref().unwrap_or(&self.root);
        p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
    }
}

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn env_on(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0")
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

/// Every fixture root, sorted by path.
fn fixtures(known_bugs: bool) -> Vec<Fixture> {
    let base = crate_root().join("tests/validation");
    let mut files = Vec::new();
    walk(&base, &mut files);
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let rel = path.strip_prefix(crate_root()).unwrap_or(&path).to_path_buf();
        let in_validation = path.strip_prefix(&base).unwrap_or(&path);
        let dirs: Vec<String> = in_validation
            .parent()
            .map(|p| p.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        let known_bug = dirs.first().is_some_and(|d| d == "known_bugs");
        if known_bug && !known_bugs {
            continue;
        }
        let folder = if let Some(i) = dirs.iter().position(|d| d == "includes") {
            if path.file_name().is_none_or(|n| n != "main.ddd") {
                continue;
            }
            // The case folder: the one right below `includes`.
            let depth = dirs.len() - (i + 1);
            let mut case = path.parent().map(Path::to_path_buf).unwrap_or_default();
            for _ in 1..depth {
                case.pop();
            }
            (depth >= 1).then_some(case)
        } else {
            None
        };
        out.push(Fixture { display: rel.to_string_lossy().replace('\\', "/"), root: path, known_bug, folder });
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "ddd") {
            out.push(p);
        }
    }
}

/// (source, expected output): the source is the text before the marker with
/// its trailing blank lines dropped; the expected output has the `// `
/// prefixes removed.
fn split(text: &str) -> (String, String) {
    let Some(pos) = text.match_indices(MARKER).map(|(i, _)| i).find(|&i| i == 0 || text[..i].ends_with('\n')) else {
        return (text.to_string(), String::new());
    };
    let source = format!("{}\n", text[..pos].trim_end());
    let mut expected = String::new();
    for line in text[pos + MARKER.len()..].lines().skip(1) {
        let l = line.strip_prefix("// ").or_else(|| line.strip_prefix("//")).unwrap_or(line);
        expected.push_str(l);
        expected.push('\n');
    }
    (source, expected)
}

/// The file text for a source and the output it should produce.
fn with_expectation(source: &str, output: &str) -> String {
    let output = normalize(output);
    if output.is_empty() {
        return source.to_string();
    }
    let mut text = format!("{}\n\n{MARKER}\n", source.trim_end());
    for line in output.lines() {
        if line.is_empty() {
            text.push_str("//\n");
        } else {
            let _ = writeln!(text, "// {line}");
        }
    }
    text
}

/// Trailing spaces and trailing blank lines do not count.
fn normalize(s: &str) -> String {
    let lines: Vec<&str> = s.lines().map(str::trim_end).collect();
    let mut out = lines.join("\n");
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out
}

/// Runs the front end on a copy of the fixture whose root holds `source`
/// only, and renders what it reports.
fn run(f: &Fixture, source: &str) -> String {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = match &f.folder {
        Some(case) => {
            copy_dir(case, tmp.path());
            let rel = f.root.strip_prefix(case).expect("root inside its case");
            tmp.path().join(rel)
        }
        None => tmp.path().join(f.root.file_name().expect("file name")),
    };
    std::fs::write(&root, source).expect("write fixture copy");
    let fe = match dddc::frontend(&root, Path::new(&f.display)) {
        Ok(fe) => fe,
        Err(e) => return format!("root error: {}\n", e.0),
    };
    render_text(&fe.sources, &fe.diagnostics, ColorChoice::Never)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for e in std::fs::read_dir(from).expect("read case folder").flatten() {
        let p = e.path();
        let dest = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            let bytes = std::fs::read(&p).expect("read fixture file");
            // Included files carry no expectation, but strip one if present;
            // a file that is not UTF-8 (a fixture for that) is copied as is.
            let out = match String::from_utf8(bytes) {
                Ok(text) => split(&text).0.into_bytes(),
                Err(e) => e.into_bytes(),
            };
            std::fs::write(&dest, out).expect("copy file");
        }
    }
}

fn report(f: &Fixture, expected: &str, actual: &str) -> String {
    let (expected, actual) = (normalize(expected), normalize(actual));
    let mut out = format!("---- {} ----\n", f.display);
    if expected.is_empty() {
        out.push_str("expected no diagnostics, got:\n");
    }
    let diff = similar::TextDiff::from_lines(&expected, &actual);
    for change in diff.iter_all_changes() {
        let sign = match change.tag() {
            similar::ChangeTag::Delete => "-",
            similar::ChangeTag::Insert => "+",
            similar::ChangeTag::Equal => " ",
        };
        let _ = write!(out, "{sign}{}", change.value());
        if change.missing_newline() {
            out.push('\n');
        }
    }
    out
}
