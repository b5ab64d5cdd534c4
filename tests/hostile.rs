//! Hostile input (issue 14), each case run through the `dddc` binary as a
//! user would: a clear, coded diagnostic or a correct build, never a panic
//! (exit 101), a hang or a stack overflow (a signal).
//!
//! Cases covered elsewhere: 100,000 nested parentheses, NUL bytes and a
//! byte-order mark (`tests/robustness.rs`); a root file that is not UTF-8
//! and a missing include (`tests/cli.rs`); SQL keywords and names that
//! need quoting, rendered (`tests/models/hostile_names.ddd`, snapshotted by
//! `tests/sql_snapshots.rs`). Kills and concurrent builds: the end of this
//! file and `tests/robustness.rs`.

mod support;

#[path = "../tools/genmodel/src/lib.rs"]
#[allow(dead_code)]
mod genmodel;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::cli::{dddc, stderr};

const HEAD: &str = "model m {\n  target postgres 16\n}\n";

/// A project whose root model is `m.ddd` (named in `dddc.toml`, as other
/// `.ddd` files sit beside it).
fn project(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("dddc.toml"), "model = \"m.ddd\"\n").expect("write");
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    dir
}

/// No panic, no signal; stderr shown on failure, cut short.
#[track_caller]
fn sane(o: &Output) -> String {
    let err = stderr(o);
    let short: String = err.chars().take(3000).collect();
    assert!(o.status.code().is_some(), "killed by a signal (stack overflow?): {short}");
    assert_ne!(o.status.code(), Some(101), "panicked: {short}");
    assert!(!err.contains("panicked at"), "{short}");
    err
}

/// `dddc validate` exits 1 with `error[code]` and `message`.
#[track_caller]
fn rejected(dir: &Path, code: &str, message: &str) -> String {
    let o = dddc(dir, &["validate", "--color", "never"]);
    let err = sane(&o);
    let short: String = err.chars().take(3000).collect();
    assert_eq!(o.status.code(), Some(1), "{short}");
    assert!(err.contains(&format!("error[{code}]")), "{short}");
    assert!(err.contains(message), "{short}");
    err
}

/// [`rejected`], with exactly `count` errors and no warning.
fn rejected_times(dir: &Path, code: &str, message: &str, count: usize) -> String {
    let err = rejected(dir, code, message);
    let summary = format!("\nerror: {count} error(s), 0 warning(s)\n");
    assert!(err.ends_with(&summary), "want{summary}got {}", &err[err.len().saturating_sub(300)..]);
    err
}

fn model(body: &str) -> Vec<u8> {
    format!("{HEAD}context c {{\n  aggregate A {{\n{body}  }}\n}}\n").into_bytes()
}

#[test]
fn value_objects_nested_200_levels_deep() {
    let mut text = HEAD.to_string();
    text.push_str("value V0 {\n  f: int\n}\n");
    for i in 1..200 {
        text.push_str(&format!("value V{i} {{\n  f: V{}\n}}\n", i - 1));
    }
    text.push_str("context c {\n  aggregate A {\n    deep: V199\n  }\n}\n");
    let dir = project(&[("m.ddd", text.as_bytes())]);
    // Flattened, the column name is 400 bytes: PostgreSQL allows 63.
    rejected(dir.path(), "E0106", "is 404 bytes long");
}

/// 100,000 parentheses that `syntax::limits` does not count: they follow a
/// quote on a line the grammar reads as junk, which the scan took for the
/// start of a string. Until the parser's own guard, the stack overflowed.
#[test]
fn a_hundred_thousand_parentheses_after_a_quote_on_a_broken_line() {
    for quote in ['\'', '"'] {
        let body = format!("    oops {quote}x\n    y: int = {}1{}\n", "(".repeat(100_000), ")".repeat(100_000));
        let dir = project(&[("m.ddd", &model(&body))]);
        rejected(dir.path(), "E0001", "nesting too deep to read");
    }
}

/// A run of 2,000 `not` separated by byte-order marks, which the grammar
/// reads as whitespace: `syntax::limits` now does too, and counts the run.
#[test]
fn two_thousand_nots_between_byte_order_marks() {
    let body = format!("    x: bool\n    invariant i: {}x\n", "not\u{FEFF}".repeat(2000));
    let dir = project(&[("m.ddd", &model(&body))]);
    rejected(dir.path(), "E0001", "nesting deeper than 64 levels");
}

#[test]
fn an_identifier_of_10000_characters() {
    let name = "a".repeat(10_000);
    let dir = project(&[("m.ddd", &model(&format!("    {name}: int\n")))]);
    rejected(dir.path(), "E0106", "is 10000 bytes long");
}

#[test]
fn a_line_of_a_million_characters_in_a_doc_comment() {
    let doc = "x".repeat(1_000_000);
    let dir = project(&[("m.ddd", &model(&format!("    /// {doc}\n    f: int\n")))]);
    let o = dddc(dir.path(), &["build"]);
    sane(&o);
    assert!(o.status.success(), "{}", &stderr(&o)[..stderr(&o).len().min(2000)]);
}

/// A model written on one line, with an error in each of its 2,000
/// aggregates: each diagnostic shows the stretch of the line around its
/// error, not the line (which made 224 MB of text and took 5 s), and says
/// the line and column where the error is, counted in characters on a line
/// that is not ASCII.
#[test]
fn a_model_on_one_line_with_two_thousand_errors() {
    let (line, columns) =
        one_line(|i| (format!(" aggregate A{i} {{ titulo: text = 'ñandú €' nombre: "), "Nope q: int }".into()));
    let dir = project(&[("m.ddd", format!("{HEAD}{line}").as_bytes())]);
    let err = rejected_times(dir.path(), "E0102", "unknown type `Nope`", 2000);
    // Linear: a few hundred bytes per error, where the line is 130 KB.
    assert!(line.len() > 120_000 && err.len() < 2000 * 700, "{} bytes for a line of {}", err.len(), line.len());
    let shown: Vec<&str> = err.lines().filter(|l| l.starts_with("4 │")).collect();
    assert_eq!(shown.len(), 2000);
    assert!(shown.iter().all(|l| l.chars().count() < 250), "{:?}", shown.iter().map(|l| l.len()).max());
    assert!(shown.iter().all(|l| l.contains("nombre: Nope")), "{}", shown[1999]);
    assert!(shown[1].starts_with("4 │ …") && shown[1].ends_with('…'), "{}", shown[1]);
    every_error_at(&err, "unknown type `Nope`", &columns);
}

/// `context c { … }` on one line, of 2,000 aggregates each written as
/// `aggregate(i)` gives it, and the column (in characters) where each
/// one's second part starts: where its error is.
fn one_line(aggregate: impl Fn(usize) -> (String, String)) -> (String, Vec<usize>) {
    let mut line = String::from("context c {");
    let mut columns = Vec::new();
    for i in 0..2000 {
        let (before, at) = aggregate(i);
        line.push_str(&before);
        columns.push(line.chars().count() + 1);
        line.push_str(&at);
    }
    line.push_str(" }\n");
    (line, columns)
}

/// Every error `message` of `err` at its own column of line 4, the last
/// one's too: each column of `columns` from the tenth on is a header
/// (the first few, within a short stretch of the line's start, are
/// explained from it, as a short line is). A check of some columns'
/// presence alone passed when each error pointed five aggregates back.
#[track_caller]
fn every_error_at(err: &str, message: &str, columns: &[usize]) {
    let at: std::collections::HashSet<&str> =
        err.split(&format!("{message}\n  ┌─ m.ddd:4:")).skip(1).filter_map(|rest| rest.split('\n').next()).collect();
    for (i, column) in columns.iter().enumerate().skip(10) {
        assert!(at.contains(column.to_string().as_str()), "aggregate {i}: nothing at m.ddd:4:{column}");
    }
}

/// The same line with a name that is not ASCII in each aggregate: each
/// broken stretch is read again from its block, not from the start of the
/// line (which took 15 s), and named.
#[test]
fn a_model_on_one_line_with_a_syntax_error_in_each_aggregate() {
    let (line, columns) = one_line(|i| (format!(" aggregate A{i} {{ "), "título: text = 'ñandú €' q: int }".into()));
    let dir = project(&[("m.ddd", format!("{HEAD}{line}").as_bytes())]);
    let err = rejected_times(dir.path(), "E0001", "`título` is not a valid name", 2000);
    assert!(err.matches("`título` is not a valid name").count() > 1990);
    assert!(err.len() < 2000 * 700, "{} bytes", err.len());
    every_error_at(&err, "`título` is not a valid name", &columns);
}

/// A help line that lists what is declared lists a dozen names and says
/// how many more: each of 2,000 misspelt values of an enum of 20,000
/// listed them all (298 MB of text).
#[test]
fn an_enum_of_twenty_thousand_values_misspelt_two_thousand_times() {
    let mut text = format!("{HEAD}context c {{\n  enum Big {{\n");
    for i in 0..20_000 {
        text.push_str(&format!("    V{i}\n"));
    }
    text.push_str("  }\n");
    for i in 0..2000 {
        text.push_str(&format!("  aggregate A{i} {{\n    s: Big = V0\n    invariant x: s == QQQQQQQQ{i}\n  }}\n"));
    }
    text.push_str("}\n");
    let dir = project(&[("m.ddd", text.as_bytes())]);
    let err = rejected_times(dir.path(), "E0103", "unknown enum value `QQQQQQQQ1999`", 2000);
    assert_eq!(
        err.matches("the values of `Big` are: V0, V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11 and 19988 more\n")
            .count(),
        2000
    );
    assert!(err.len() < 2000 * 600, "{} bytes", err.len());
}

/// Names misspelt each its own way (a family of value objects, of
/// aggregates, of an enum's values and of an aggregate's fields renamed)
/// each find their own in the help: each was compared with every name in
/// scope, 29–76 s to validate at 20,000 of a kind.
#[test]
fn thousands_of_names_each_misspelt_its_own_way() {
    const N: usize = 5000;
    let mut text = format!("{HEAD}context c {{\n  enum Estado {{\n");
    for i in 0..N {
        text.push_str(&format!("    VALOR_{i}\n"));
    }
    text.push_str("  }\n");
    for i in 0..N {
        text.push_str(&format!(
            "  value Monto{i} {{\n    amount: int\n  }}\n  aggregate Agregado{i} {{\n    m: Mnto{i}\n    r: ref Agregdo{i}\n    s: Estado = VALOR_0\n    invariant x: s == VALR_{i}\n  }}\n"
        ));
    }
    text.push_str("  aggregate Grande {\n");
    for i in 0..N {
        text.push_str(&format!("    campo{i}: int\n"));
    }
    for i in 0..N {
        text.push_str(&format!("    invariant x{i}: cmpo{i} > 0\n"));
    }
    text.push_str("  }\n}\n");
    let dir = project(&[("m.ddd", text.as_bytes())]);
    // And one more: an aggregate of 5,000 columns is past PostgreSQL's 1,600.
    let err = rejected_times(dir.path(), "E0102", "unknown type `Mnto4999`", 4 * N + 1);
    assert!(err.contains("error[E0602]: the table of `c.Grande` would have more than 1600 columns"));
    suggests(
        &err,
        (0..N).flat_map(|i| [format!("Monto{i}"), format!("Agregado{i}"), format!("VALOR_{i}"), format!("campo{i}")]),
    );
}

/// The same for contexts: 20,000 of them, each referred to misspelt,
/// took 150 s to validate.
#[test]
fn thousands_of_contexts_each_misspelt_its_own_way() {
    const N: usize = 3000;
    let mut text = HEAD.to_string();
    for i in 0..N {
        text.push_str(&format!("context contexto{i} {{\n  aggregate A {{\n    r: ref contxto{i}.A\n  }}\n}}\n"));
    }
    let dir = project(&[("m.ddd", text.as_bytes())]);
    let err = rejected_times(dir.path(), "E0104", "unknown context `contxto2999`", N);
    suggests(&err, (0..N).map(|i| format!("contexto{i}")));
}

/// References each far from every aggregate's name, and some misspelt
/// at one end: the help of each is the scan's. Walked whole
/// at a third of their length, 20,000 such references took 8.4 s to
/// validate (52× the time at 2,000).
#[test]
fn thousands_of_references_far_from_every_name() {
    const N: usize = 3000;
    let words = ["Reserva", "Tutor", "Pago", "Usuario", "Sesion", "Factura"];
    let words: Vec<&str> =
        words.into_iter().chain(["Cliente", "Materia", "Horario", "Resena", "Cupon", "Plan"]).collect();
    let others = ["alfa", "bravo", "delta", "eco", "golf", "hotel", "india", "kilo", "lima", "mike", "oscar", "papa"];
    let (mut names, mut text, mut misspelt) = (Vec::new(), format!("{HEAD}context c {{\n"), Vec::new());
    for i in 0..N {
        let (mut name, mut far, mut x) = (String::new(), String::from("Zz"), i);
        for k in 0..6 {
            name.push_str(words[x % 12]);
            far.push_str(others[(x * 5 + k) % 12]);
            x /= 12;
        }
        text.push_str(&format!("  aggregate {name} {{\n    r: ref {far}\n"));
        if i % 97 == 0 {
            // More edits than half the limit (a third of the length), all
            // in one half: only the other half finds the name.
            let edits = name.len() / 3 / 2 + 1;
            let junk = "qxqxqxqxqx".get(..edits).expect("names of at most 42 letters");
            let mut near = name.clone();
            if i % 2 == 0 {
                near.replace_range(..edits, junk);
            } else {
                near.replace_range(name.len() - edits.., junk);
            }
            text.push_str(&format!("    s: ref {near}\n"));
            misspelt.push(near);
        }
        text.push_str("  }\n");
        names.push(name);
    }
    text.push_str("}\n");
    let dir = project(&[("m.ddd", text.as_bytes())]);
    let err = rejected_times(dir.path(), "E0102", "unknown aggregate `Zz", N + misspelt.len());
    let helps = misspelt.iter().map(|near| dddc::diagnostics::did_you_mean(near, names.iter().map(String::as_str)));
    let helps: Vec<String> = helps.map(|help| help.expect("a name a sixth of its letters away").to_string()).collect();
    assert!(misspelt.len() > 30);
    suggests(&err, helps);
}

/// Families of long names, each referred to with its last letter
/// changed: past 64 characters each misspelling was compared with every
/// name (2,000 of 70 letters took 28.6 s to validate). Up to 256 the
/// help is found as for short names; past it there is none (such a name
/// is no identifier PostgreSQL takes).
#[test]
fn thousands_of_long_names_each_misspelt() {
    const N: usize = 2000;
    for (letters, helped) in [(70, true), (300, false)] {
        let family: String = "AgregadoConUnNombreLargo".chars().cycle().take(letters - 7).collect();
        let mut text = format!("{HEAD}context c {{\n");
        for i in 0..N {
            text.push_str(&format!("  aggregate {family}{i:06}X {{\n    r: ref {family}{i:06}Y\n  }}\n"));
        }
        text.push_str("}\n");
        let dir = project(&[("m.ddd", text.as_bytes())]);
        let err = rejected_times(dir.path(), "E0102", &format!("unknown aggregate `{family}001999Y`"), N);
        let helps = (0..N).filter(|_| helped).map(|i| format!("{family}{i:06}X"));
        suggests(&err, helps);
    }
}

/// A search over every field of a wide aggregate, half of them misspelt:
/// each item built the aggregate's names again (a valid search of 1,500
/// fields took 0.38 s to validate, 2,000 misspelt items 1.3 s).
#[test]
fn a_search_of_fifteen_hundred_fields_half_misspelt() {
    const N: usize = 1500;
    let mut text = format!("{HEAD}context c {{\n  aggregate A {{\n");
    for i in 0..N {
        text.push_str(&format!("    campo{i}: text\n"));
    }
    let items: Vec<String> =
        (0..N).map(|i| if i % 2 == 0 { format!("campo{i} A") } else { format!("cmpo{i} B") }).collect();
    text.push_str(&format!("    search spanish ({})\n  }}\n}}\n", items.join(", ")));
    let dir = project(&[("m.ddd", text.as_bytes())]);
    let err = rejected_times(dir.path(), "E0105", "unknown field `cmpo1499`", N / 2);
    suggests(&err, (1..N).step_by(2).map(|i| format!("campo{i}")));
}

/// A list partitioning whose values are none of its enum's: each value
/// scanned the enum's values and listed them again (20,000 of each took
/// 0.43 s to validate).
#[test]
fn a_list_partitioning_of_five_thousand_values_none_in_its_enum() {
    const N: usize = 5000;
    let mut text = format!("{HEAD}context c {{\n  enum Pais {{\n");
    for i in 0..N {
        text.push_str(&format!("    P{i}\n"));
    }
    text.push_str("  }\n  aggregate A {\n    pais: Pais\n    partition by list (pais) {\n");
    for i in 0..N {
        text.push_str(&format!("      p{i}: 'Q{i}'\n"));
    }
    text.push_str("    }\n  }\n}\n");
    let dir = project(&[("m.ddd", text.as_bytes())]);
    let err = rejected_times(dir.path(), "E0503", "partition value 'Q4999' is not a value of `pais`'s enum", N);
    let listed =
        format!("list the enum's values: P0, P1, P2, P3, P4, P5, P6, P7, P8, P9, P10, P11 and {} more\n", N - 12);
    assert_eq!(err.matches(&listed).count(), N);
}

/// Asserts that `err` has a "did you mean `name`?" help for each name,
/// and no other.
fn suggests(err: &str, names: impl IntoIterator<Item = String>) {
    let mut helps: Vec<&str> =
        err.lines().filter_map(|l| l.trim_start().strip_prefix("= help: did you mean `")).collect();
    let mut wanted: Vec<String> = names.into_iter().map(|n| format!("{n}`?")).collect();
    helps.sort_unstable();
    wanted.sort_unstable();
    assert!(helps == wanted, "{} suggestions, {} wanted; first: {:?}", helps.len(), wanted.len(), helps.first());
}

#[test]
fn invalid_utf8_in_an_included_file() {
    let dir = project(&[
        ("m.ddd", format!("{HEAD}include \"c.ddd\"\n").as_bytes()),
        ("c.ddd", b"context c {\n  aggregate A {\n    x: int // \xff\xfe\n  }\n}\n"),
    ]);
    rejected(dir.path(), "E0004", "the file is not valid UTF-8");
}

#[test]
fn nul_bytes_in_an_included_file() {
    let dir = project(&[
        ("m.ddd", format!("{HEAD}include \"c.ddd\"\n").as_bytes()),
        ("c.ddd", b"context c {\n  aggregate A {\n    x: int\0\n  }\n}\n"),
    ]);
    rejected(dir.path(), "E0001", "NUL byte");
}

#[test]
fn an_empty_file() {
    let dir = project(&[("m.ddd", b"")]);
    rejected(dir.path(), "E0005", "the root file has no `model` block");
    let dir = project(&[("m.ddd", format!("{HEAD}include \"empty.ddd\"\n").as_bytes()), ("empty.ddd", b"")]);
    let o = dddc(dir.path(), &["validate"]);
    sane(&o);
    assert_eq!(o.status.code(), Some(0), "an empty included file is no error: {}", stderr(&o));
}

/// CRLF line ends (and a BOM) build the very same files as LF.
#[test]
fn crlf_and_a_bom_build_what_lf_builds() {
    let text = "/// A shop.\nmodel m {\n  target postgres 16\n}\n\n/// Sales.\ncontext c {\n  /// A customer.\n  aggregate A {\n    /// Full name,\n    /// as written.\n    name: text(100)\n    /// Code.\n    code: text(10) = 'x'\n    invariant named: len(name) > 0\n  }\n}\n";
    let lf = project(&[("m.ddd", text.as_bytes())]);
    let crlf_text = format!("\u{feff}{}", text.replace('\n', "\r\n"));
    let crlf = project(&[("m.ddd", crlf_text.as_bytes())]);
    for d in [&lf, &crlf] {
        let o = dddc(d.path(), &["build"]);
        sane(&o);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let read = |d: &tempfile::TempDir, p: &str| std::fs::read_to_string(d.path().join(p)).expect(p);
    for p in ["db/migration/V1__init.sql", "docs/data-dictionary.md"] {
        assert_eq!(read(&lf, p), read(&crlf, p), "{p} differs");
    }
    assert!(!read(&crlf, "db/migration/V1__init.sql").contains('\r'));
}

#[test]
fn include_of_a_directory() {
    let dir = project(&[("m.ddd", format!("{HEAD}include \"sub\"\n").as_bytes()), ("sub/x.ddd", b"")]);
    rejected(dir.path(), "E0004", "cannot read `sub`");
}

#[test]
fn include_of_a_missing_file() {
    let dir = project(&[("m.ddd", format!("{HEAD}include \"nope.ddd\"\n").as_bytes())]);
    rejected(dir.path(), "E0004", "cannot read `nope.ddd`");
}

#[test]
fn include_outside_the_root_through_dot_dot() {
    let outer = tempfile::tempdir().expect("temp dir");
    std::fs::write(outer.path().join("outside.ddd"), "context o {\n}\n").expect("write");
    std::fs::create_dir_all(outer.path().join("p")).expect("mkdir");
    std::fs::write(outer.path().join("p/m.ddd"), format!("{HEAD}include \"../outside.ddd\"\n")).expect("write");
    rejected(&outer.path().join("p"), "E0002", "is outside the model's folder");
}

#[cfg(unix)]
#[test]
fn include_outside_the_root_through_a_symlink() {
    let outer = tempfile::tempdir().expect("temp dir");
    std::fs::write(outer.path().join("outside.ddd"), "context o {\n}\n").expect("write");
    std::fs::create_dir_all(outer.path().join("p")).expect("mkdir");
    std::fs::write(outer.path().join("p/m.ddd"), format!("{HEAD}include \"link.ddd\"\n")).expect("write");
    std::fs::write(outer.path().join("p/dddc.toml"), "model = \"m.ddd\"\n").expect("write");
    std::os::unix::fs::symlink(outer.path().join("outside.ddd"), outer.path().join("p/link.ddd")).expect("symlink");
    rejected(&outer.path().join("p"), "E0002", "leads outside the model's folder");
}

#[test]
fn a_file_that_includes_itself() {
    let dir = project(&[("m.ddd", format!("{HEAD}include \"m.ddd\"\n").as_bytes())]);
    rejected(dir.path(), "E0003", "include cycle");
    let dir = project(&[
        ("m.ddd", format!("{HEAD}include \"a.ddd\"\n").as_bytes()),
        ("a.ddd", b"include \"b.ddd\"\n"),
        ("b.ddd", b"include \"a.ddd\"\n"),
    ]);
    rejected(dir.path(), "E0003", "include cycle");
}

#[test]
fn ten_thousand_includes() {
    let mut root = HEAD.to_string();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..10_000 {
        root.push_str(&format!("include \"parts/p{i}.ddd\"\n"));
        files.push((format!("parts/p{i}.ddd"), format!("/// Part {i}.\nvalue V{i}: text(10)\n").into_bytes()));
    }
    files.push(("m.ddd".into(), root.into_bytes()));
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, t)| (p.as_str(), t.as_slice())).collect();
    let dir = project(&refs);
    let o = dddc(dir.path(), &["validate"]);
    sane(&o);
    assert_eq!(o.status.code(), Some(0), "{}", &stderr(&o)[..stderr(&o).len().min(2000)]);
}

/// `'`, `$$`, `*/`, `\` and Unicode in doc comments and defaults reach the
/// SQL quoted, and the file still parses as one statement per line end.
#[test]
fn quotes_dollars_comment_closers_and_unicode_in_docs_and_defaults() {
    let text = "/// It's $$ */ \\ ñandú 🎉.\nmodel m {\n  target postgres 16\n}\n/// Context 'c' $tag$ */.\ncontext c {\n  /// Aggregate it's $$ */ \\ 漢字.\n  aggregate A {\n    /// Field 'x' $$ */ \\ Ελληνικά.\n    x: text = 'it''s $$ */ \\ ñ 🎉'\n  }\n}\n";
    let dir = project(&[("m.ddd", text.as_bytes())]);
    let o = dddc(dir.path(), &["build"]);
    sane(&o);
    assert!(o.status.success(), "{}", stderr(&o));
    let v1 = std::fs::read_to_string(dir.path().join("db/migration/V1__init.sql")).expect("V1");
    // A backslash makes an escape string, `E'…'`, where it is doubled.
    assert!(v1.contains(r"DEFAULT E'it''s $$ */ \\ ñ 🎉'"), "{v1}");
    assert!(v1.contains(r"IS E'Field ''x'' $$ */ \\ Ελληνικά.'"), "{v1}");
    assert!(!v1.contains("/*"), "no block comment is opened: {v1}");
    let o = dddc(dir.path(), &["check"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn names_that_are_sql_keywords() {
    let text = format!(
        "{HEAD}context order {{\n  enum Select {{\n    FROM\n    WHERE\n  }}\n  aggregate Table {{\n    select: text(10)\n    from: Select = FROM\n    user: int?\n    \"group\": int?\n  }}\n}}\n"
    );
    let dir = project(&[("m.ddd", text.as_bytes())]);
    let o = dddc(dir.path(), &["build"]);
    let err = sane(&o);
    if o.status.success() {
        let v1 = std::fs::read_to_string(dir.path().join("db/migration/V1__init.sql")).expect("V1");
        assert!(v1.contains("\"order\"."), "the schema is quoted: {v1}");
        assert!(v1.contains("\"select\""), "the column is quoted: {v1}");
    } else {
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains("error["), "a coded diagnostic: {err}");
    }
}

/// A 50 MB model: a generated model padded with comment lines to 50 MB.
/// It must be read, parsed and refused or accepted in bounded time, not
/// crash; the time bound is generous (debug builds, a loaded machine).
#[test]
fn a_50_megabyte_model() {
    let mut text = genmodel::ddd_single(&genmodel::Shape::new(20, 12));
    let line = format!("// {}\n", "padding ".repeat(16));
    text.reserve(50 << 20);
    while text.len() < 50 << 20 {
        text.push_str(&line);
    }
    let dir = project(&[("m.ddd", text.as_bytes())]);
    let start = Instant::now();
    let o = dddc(dir.path(), &["validate"]);
    sane(&o);
    assert_eq!(o.status.code(), Some(0), "{}", &stderr(&o)[..stderr(&o).len().min(2000)]);
    assert!(start.elapsed() < Duration::from_secs(600), "took {:?}", start.elapsed());
}

// ------------------------------------------------------------ crash safety --

fn generated_project(aggregates: usize, added: bool) -> Vec<genmodel::File> {
    genmodel::ddd(&genmodel::Shape { added_field: added, ..genmodel::Shape::new(aggregates, 12) })
}

fn write_files(dir: &Path, files: &[genmodel::File]) {
    for f in files {
        let p = dir.join(&f.path);
        std::fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
        std::fs::write(p, &f.text).expect("write");
    }
}

/// After a kill, `dddc check` passes or reports a pending change, never a
/// broken lock or a half-written file; the next build repairs everything.
#[track_caller]
fn consistent_after_kill(dir: &Path, when: &str) {
    let o = dddc(dir, &["check", "--color", "never"]);
    let err = sane(&o);
    let short: String = err.chars().take(3000).collect();
    // What a torn write would show (the messages `check` and `Lock::parse`
    // give): a migration different from its checksum or missing, a lock or
    // snapshot unreadable or missing. A pending change is fine.
    for broken in [
        "was edited after it was generated",
        "is in the lock but missing on disk",
        "the lock is not valid",
        "is missing beside",
        "conflict markers",
        "does not read back",
    ] {
        assert!(!err.contains(broken), "{when}: {short}");
    }
    let o = dddc(dir, &["build"]);
    sane(&o);
    assert!(o.status.success(), "{when}: the build after a kill: {}", stderr(&o));
    let o = dddc(dir, &["check"]);
    assert!(o.status.success(), "{when}: check after the repair: {}", stderr(&o));
    let tmp: Vec<_> = walk(dir).into_iter().filter(|p| p.ends_with(".tmp")).collect();
    assert!(tmp.is_empty(), "{when}: {tmp:?}");
}

#[test]
fn a_build_killed_at_any_point_leaves_a_consistent_project() {
    // How long an uninterrupted first build takes here, to spread the kills.
    let probe = tempfile::tempdir().expect("temp dir");
    write_files(probe.path(), &generated_project(150, false));
    let start = Instant::now();
    assert!(dddc(probe.path(), &["build"]).status.success());
    let full = start.elapsed();
    // Eight kill points across the build, taking turns between a first
    // build and an evolution (a build that writes V2 beside V1).
    for k in 1..=8u32 {
        let evolve = k % 2 == 0;
        let dir = tempfile::tempdir().expect("temp dir");
        write_files(dir.path(), &generated_project(150, false));
        if evolve {
            assert!(dddc(dir.path(), &["build"]).status.success());
            write_files(dir.path(), &generated_project(150, true));
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_dddc"))
            .arg("-C")
            .arg(dir.path())
            .arg("build")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(full * k / 9);
        let _ = child.kill();
        let _ = child.wait();
        consistent_after_kill(dir.path(), &format!("killed at {k}/9 of a build (evolution: {evolve})"));
    }
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

/// Standard output that cannot be written (`> /dev/full`): one line saying
/// so and exit 2, never a panic's message and backtrace.
#[test]
fn standard_output_that_cannot_be_written() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else { return };
    let dir = project(&[("m.ddd", &model("    n: int\n"))]);
    for args in [
        &["explain", "E0103"][..],
        &["completions", "bash"],
        &["lint", "--format", "sarif"],
        &["validate", "--format", "json"],
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_dddc"))
            .args(args)
            .current_dir(dir.path())
            .stdout(full.try_clone().expect("dup"))
            .stderr(Stdio::piped())
            .output()
            .expect("run dddc");
        let err = sane(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("error: cannot write to standard output"), "{args:?}: {err}");
    }
}

/// A project of one aggregate, built once.
fn built_project() -> tempfile::TempDir {
    let dir = project(&[("m.ddd", &model("    n: int\n"))]);
    let o = dddc(dir.path(), &["build", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", sane(&o));
    dir
}

/// Runs `dddc args` in `dir`, killed after a minute: `None` if it hung.
fn within_a_minute(dir: &Path, args: &[&str]) -> Option<Output> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dddc"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run dddc");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(child.wait_with_output().expect("output"))
}

/// Links that loop in the migrations folder (two links to `.` made the
/// walk exponential), and FIFOs or devices where a project file is read
/// (the lock, the snapshot, an included model file): an answer, never a
/// hang.
#[cfg(unix)]
#[test]
fn links_that_loop_and_files_that_never_end() {
    let dir = built_project();
    let d = dir.path();
    let migrations = d.join("db/migration");
    std::os::unix::fs::symlink(".", migrations.join("a")).expect("link");
    std::os::unix::fs::symlink(".", migrations.join("b")).expect("link");
    // And through a sibling folder that links back (no link points at a
    // folder above it directly).
    let other = d.join("db/other");
    std::fs::create_dir_all(&other).expect("mkdir");
    for (from, to) in [(migrations.join("c"), "../other"), (migrations.join("e"), "../other")] {
        std::os::unix::fs::symlink(to, from).expect("link");
    }
    for name in ["x", "y"] {
        std::os::unix::fs::symlink("../migration", other.join(name)).expect("link");
    }
    for cmd in ["check", "build"] {
        let o = within_a_minute(d, &[cmd]).unwrap_or_else(|| panic!("`dddc {cmd}` hung on links that loop"));
        sane(&o);
        assert_eq!(o.status.code(), Some(0), "{cmd}: {}", stderr(&o));
    }
    for file in ["dddc.lock", "dddc.schema"] {
        let path = migrations.join(file);
        let kept = d.join(format!("{file}.kept"));
        std::fs::rename(&path, &kept).expect("move");
        std::os::unix::fs::symlink("/dev/zero", &path).expect("link");
        let o = within_a_minute(d, &["check"]).unwrap_or_else(|| panic!("`dddc check` hung on {file} -> /dev/zero"));
        let err = sane(&o);
        assert_ne!(o.status.code(), Some(0), "{err}");
        assert!(err.contains("not a regular file"), "{err}");
        std::fs::remove_file(&path).expect("remove");
        std::fs::rename(&kept, &path).expect("move back");
    }
    std::fs::write(d.join("m.ddd"), format!("{HEAD}include \"f.ddd\"\n")).expect("write");
    mkfifo(&d.join("f.ddd"));
    let o = within_a_minute(d, &["validate"]).expect("`dddc validate` hung on an included FIFO");
    let err = sane(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("not a regular file"), "{err}");
}

/// A file that starts with a byte-order mark: columns on its first line
/// count from the first character after it, as an editor shows the line
/// (they were one too far, and an LSP rename's edit in such a file, not
/// open, landed one character to the right).
#[test]
fn columns_after_a_byte_order_mark() {
    let text = "\u{FEFF}model m { target postgres 16 } context c { aggregate A { x: Nope } }\n";
    let dir = project(&[("m.ddd", text.as_bytes())]);
    let o = dddc(dir.path(), &["validate", "--color", "never"]);
    let err = sane(&o);
    let col = "model m { target postgres 16 } context c { aggregate A { x: ".chars().count() + 1;
    assert!(err.contains(&format!("m.ddd:1:{col}")), "{err}");
}

/// A build whose lock cannot be replaced (made immutable) changes no file:
/// the migration and the snapshot it had renamed into place are taken
/// back. They stayed, the lock not naming them; removing the migration
/// (what the message suggested) then made the next build find nothing to
/// do, and the database never got the change. Needs `chattr` and a
/// filesystem with the immutable attribute (skipped without them).
#[cfg(unix)]
#[test]
fn a_build_whose_lock_cannot_be_replaced_changes_nothing() {
    let dir = built_project();
    let d = dir.path();
    let migrations = d.join("db/migration");
    let lock = migrations.join("dddc.lock");
    let listing = |p: &Path| {
        let mut v: Vec<String> = std::fs::read_dir(p)
            .expect("list")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let (files, schema) = (listing(&migrations), std::fs::read(migrations.join("dddc.schema")).expect("schema"));
    std::fs::write(d.join("m.ddd"), model("    n: int\n    m: int?\n")).expect("write");
    let immutable = |on: bool| {
        Command::new("chattr").arg(if on { "+i" } else { "-i" }).arg(&lock).status().is_ok_and(|s| s.success())
    };
    if !immutable(true) {
        eprintln!("skipped: chattr +i is not available here");
        return;
    }
    let o = dddc(d, &["build"]);
    immutable(false);
    let err = sane(&o);
    assert_ne!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("dddc.lock"), "{err}");
    assert_eq!(listing(&migrations), files, "a file was left: {err}");
    assert_eq!(std::fs::read(migrations.join("dddc.schema")).expect("schema"), schema);
    // Once the lock may be replaced, the build goes through.
    let o = dddc(d, &["build", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", sane(&o));
    assert!(listing(&migrations).iter().any(|f| f.starts_with("V2__")));
}

/// `fmt` of a model that is a link writes the file the link names (it
/// replaced the link with a formatted copy, and the linked file kept its
/// old text), and `fmt` of a FIFO is an error, not a wait for a writer.
#[cfg(unix)]
#[test]
fn fmt_writes_through_a_link_and_refuses_a_fifo() {
    let dir = project(&[("real/m.ddd", format!("{HEAD}context   c {{\n}}\n").as_bytes())]);
    let d = dir.path();
    std::fs::remove_file(d.join("dddc.toml")).expect("rm");
    std::os::unix::fs::symlink("real/m.ddd", d.join("m.ddd")).expect("link");
    let o = dddc(d, &["fmt", "m.ddd"]);
    assert_eq!(o.status.code(), Some(0), "{}", sane(&o));
    assert!(std::fs::symlink_metadata(d.join("m.ddd")).expect("stat").file_type().is_symlink(), "the link is kept");
    let real = std::fs::read_to_string(d.join("real/m.ddd")).expect("read");
    assert!(real.contains("context c {"), "the linked file is formatted: {real}");
    mkfifo(&d.join("f.ddd"));
    let o = within_a_minute(d, &["fmt", "f.ddd"]).expect("`dddc fmt` hung on a FIFO");
    let err = sane(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("not a regular file"), "{err}");
}

/// A FIFO named like a migration: `check` reads only regular files, so it
/// skipped it and passed, while Flyway would hang on it or fail. It is a
/// finding now (and no hang).
#[cfg(unix)]
#[test]
fn a_fifo_named_like_a_migration_fails_the_check() {
    let dir = built_project();
    let d = dir.path();
    mkfifo(&d.join("db/migration/V9__later.sql"));
    let o = within_a_minute(d, &["check"]).expect("`dddc check` hung on a FIFO migration");
    let err = sane(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("db/migration/V9__later.sql` is not a regular file"), "{err}");
}

/// A folder of 10,000 models and no `dddc.toml`: the error names a few of
/// them and how many more (it named all 10,000 on one line).
#[test]
fn a_folder_of_ten_thousand_models_is_named_in_a_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    for i in 0..10_000 {
        std::fs::write(dir.path().join(format!("m{i:05}.ddd")), HEAD).expect("write");
    }
    let o = dddc(dir.path(), &["validate"]);
    let err = sane(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("several .ddd files") && err.contains("m00000.ddd, m00001.ddd"), "{err}");
    assert!(err.contains("and 9995 more") && !err.contains("m00005.ddd"), "{err}");
    assert!(err.len() < 1_000, "{} bytes", err.len());
}

/// Makes a FIFO at `path`.
#[cfg(unix)]
fn mkfifo(path: &Path) {
    let fifo = std::ffi::CString::new(path.to_string_lossy().as_bytes()).expect("path");
    // SAFETY: a NUL-terminated path and a mode.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
}
