//! Lint: rule fixtures, the score, the JSON and SARIF reports, the generated
//! rules document and the rules' own examples.
//!
//! Fixtures are `tests/lint/<CODE>_<what>.ddd` (the rule fires),
//! `<CODE>_ok_<what>.ddd` (it does not) and `<CODE>_allowed_<what>.ddd` (it
//! fires and an `@allow` accepts it). Each carries the text report it must
//! produce after a marker line, every line prefixed with `// `; a first line
//! `// lint: deny=L013,L020 allow=L019` sets `[lint]` for the fixture.
//! `UPDATE_EXPECT=1 cargo test --test lint` rewrites the expected blocks and
//! `docs/lint-rules.md`; review the diff.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use dddc::config::Lint;
use dddc::diagnostics::{ColorChoice, Diagnostic, Severity, Sources};
use dddc::lint::{self, Report};

const MARKER: &str = "// ---- expected ----";

#[path = "../tools/genmodel/src/lib.rs"]
#[allow(dead_code)]
mod genmodel;

/// Rules that check what the compiler emits and cannot fire from a model
/// alone; their tests damage the lowered schema the way a compiler bug would.
const SCHEMA_ONLY: &[&str] = &["L001", "L002"];

// ------------------------------------------------------------- helpers --

struct Linted {
    sources: Sources,
    report: Report,
}

fn env_on(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Front end + lowering of a model file; panics with the diagnostics when
/// the model is not valid.
fn load(path: &Path, display: &Path) -> (Sources, dddc::model::Model, dddc::relational::Schema) {
    let fe = dddc::frontend(path, display).unwrap_or_else(|e| panic!("cannot read {}: {}", path.display(), e.0));
    let Some(model) = fe.model else {
        panic!(
            "{} is not a valid model:\n{}",
            display.display(),
            dddc::diagnostics::render_text(&fe.sources, &fe.diagnostics, ColorChoice::Never)
        );
    };
    let schema = dddc::relational::lower(&model).unwrap_or_else(|d| {
        panic!(
            "{} does not lower:\n{}",
            display.display(),
            dddc::diagnostics::render_text(&fe.sources, &d, ColorChoice::Never)
        )
    });
    (fe.sources, model, schema)
}

fn lint_file(path: &Path, display: &Path, config: &Lint) -> Linted {
    let (sources, model, schema) = load(path, display);
    let report = lint::lint(&model, &schema, config);
    Linted { sources, report }
}

/// Writes `source` to a temporary folder and lints it; `damage` may change
/// the lowered schema first.
fn lint_source(source: &str, damage: impl Fn(&mut dddc::relational::Schema), config: &Lint) -> Linted {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("example.ddd");
    std::fs::write(&path, source).expect("write the example");
    let (sources, model, mut schema) = load(&path, Path::new("example.ddd"));
    damage(&mut schema);
    let report = lint::lint(&model, &schema, config);
    Linted { sources, report }
}

fn codes(diags: &[Diagnostic]) -> BTreeSet<&'static str> {
    diags.iter().map(|d| d.code).collect()
}

fn suppressed_codes(r: &Report) -> BTreeSet<&'static str> {
    r.suppressed.iter().map(|(d, _)| d.code).collect()
}

/// What a compiler bug would do to the schema for a schema-only rule.
fn damage_for(code: &str) -> fn(&mut dddc::relational::Schema) {
    match code {
        // The implicit `id` primary keys go missing.
        "L001" => |s| {
            for t in s.tables.iter_mut().map(std::sync::Arc::make_mut) {
                if t.primary_key.as_ref().is_some_and(|pk| pk.columns == ["id"]) {
                    t.primary_key = None;
                }
            }
        },
        // The indexes the compiler adds for foreign keys go missing.
        "L002" => |s| {
            for t in s.tables.iter_mut().map(std::sync::Arc::make_mut) {
                let fk_cols: Vec<Vec<String>> = t.foreign_keys.iter().map(|f| f.columns.clone()).collect();
                t.indexes.retain(|ix| {
                    let cols: Vec<String> = ix.leading_columns().into_iter().map(String::from).collect();
                    !fk_cols.contains(&cols)
                });
            }
        },
        _ => |_| {},
    }
}

fn with_model_block(example: &str) -> String {
    if example.trim_start().starts_with("model ") || example.contains("\nmodel ") {
        example.to_string()
    } else {
        format!("model example {{\n  target postgres 16\n}}\n\n{example}")
    }
}

/// The first ```` ```ddd ```` block of a Markdown section.
fn ddd_block(markdown: &str, section: &str) -> Option<String> {
    let body: Vec<&str> =
        markdown.lines().skip_while(|l| l.trim() != section).skip(1).take_while(|l| !l.starts_with("## ")).collect();
    let start = body.iter().position(|l| l.trim() == "```ddd")?;
    let len = body[start + 1..].iter().position(|l| l.trim() == "```")?;
    Some(body[start + 1..start + 1 + len].join("\n") + "\n")
}

// ------------------------------------------------------------ fixtures --

struct Fixture {
    path: PathBuf,
    display: String,
    /// `L006`, when the name starts with a code.
    code: Option<String>,
    kind: Kind,
}

#[derive(Debug, PartialEq)]
enum Kind {
    Fires,
    Ok,
    Allowed,
}

fn fixtures() -> Vec<Fixture> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lint");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("tests/lint exists") {
        let path = entry.expect("readable entry").path();
        if path.extension().is_none_or(|e| e != "ddd") {
            continue;
        }
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let code = stem.split('_').next().filter(|c| c.len() == 4 && c.starts_with('L')).map(str::to_string);
        let kind = if stem.contains("_ok_") || stem.ends_with("_ok") {
            Kind::Ok
        } else if stem.contains("_allowed") {
            Kind::Allowed
        } else {
            Kind::Fires
        };
        let display = format!("tests/lint/{}", path.file_name().and_then(|n| n.to_str()).unwrap_or_default());
        out.push(Fixture { path, display, code, kind });
    }
    out.sort_by(|a, b| a.display.cmp(&b.display));
    out
}

/// `[lint]` from a first line `// lint: deny=A,B allow=C`.
fn fixture_config(text: &str) -> Lint {
    let mut config = Lint::default();
    if let Some(line) = text.lines().next().and_then(|l| l.strip_prefix("// lint:")) {
        for part in line.split_whitespace() {
            let (key, list) = part.split_once('=').unwrap_or((part, ""));
            let codes: Vec<String> = list.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect();
            match key {
                "deny" => config.deny = codes,
                "allow" => config.allow = codes,
                "min_score" => config.min_score = list.parse().ok(),
                other => panic!("unknown `// lint:` key `{other}`"),
            }
        }
    }
    config
}

fn split(text: &str) -> (String, String) {
    match text.find(MARKER) {
        Some(i) => {
            let expected = text[i + MARKER.len()..]
                .lines()
                .skip(1)
                .map(|l| l.strip_prefix("// ").or_else(|| l.strip_prefix("//")).unwrap_or(l))
                .collect::<Vec<_>>()
                .join("\n");
            (text[..i].trim_end().to_string() + "\n", expected)
        }
        None => (text.to_string(), String::new()),
    }
}

fn with_expectation(source: &str, actual: &str) -> String {
    let mut out = source.trim_end().to_string();
    out.push_str("\n\n");
    out.push_str(MARKER);
    out.push('\n');
    for line in actual.lines() {
        if line.is_empty() {
            out.push_str("//\n");
        } else {
            out.push_str("// ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn normalize(s: &str) -> String {
    s.lines().map(str::trim_end).collect::<Vec<_>>().join("\n").trim().to_string()
}

#[test]
fn lint_fixtures() {
    let update = env_on("UPDATE_EXPECT");
    let fixtures = fixtures();
    assert!(!fixtures.is_empty(), "no fixture under tests/lint");
    let mut failures = Vec::new();
    for f in &fixtures {
        let text = std::fs::read_to_string(&f.path).expect("readable fixture");
        let (source, expected) = split(&text);
        let config = fixture_config(&source);
        // The compiler reads the text before the marker only.
        let dir = tempfile::tempdir().expect("temporary folder");
        let tmp = dir.path().join(f.path.file_name().expect("file name"));
        std::fs::write(&tmp, &source).expect("write fixture copy");
        let linted = lint_file(&tmp, Path::new(&f.display), &config);
        let actual = lint::render_text(&linted.report, &linted.sources, ColorChoice::Never);
        // What the file name promises.
        if let Some(code) = &f.code {
            let fired = codes(&linted.report.findings).contains(code.as_str());
            let accepted = suppressed_codes(&linted.report).contains(code.as_str());
            let ok = match f.kind {
                Kind::Fires => fired,
                Kind::Ok => !fired && !accepted,
                Kind::Allowed => !fired && accepted,
            };
            if !ok {
                failures.push(format!(
                    "{}: expected {code} to {}, got findings {:?} and suppressed {:?}",
                    f.display,
                    match f.kind {
                        Kind::Fires => "fire",
                        Kind::Ok => "stay silent",
                        Kind::Allowed => "fire and be accepted by @allow",
                    },
                    codes(&linted.report.findings),
                    suppressed_codes(&linted.report)
                ));
                continue;
            }
        }
        if normalize(&actual) == normalize(&expected) {
            continue;
        }
        if update {
            std::fs::write(&f.path, with_expectation(&source, &actual))
                .unwrap_or_else(|e| panic!("cannot rewrite {}: {e}", f.display));
            eprintln!("rewrote {}", f.display);
            continue;
        }
        let diff = similar::TextDiff::from_lines(&normalize(&expected), &normalize(&actual))
            .unified_diff()
            .header("expected", "actual")
            .to_string();
        failures.push(format!("{}: the report differs:\n{diff}", f.display));
    }
    assert!(
        failures.is_empty(),
        "{} of {} lint fixture(s) failed:\n\n{}\n\n(`UPDATE_EXPECT=1 cargo test --test lint` accepts new reports; review the diff)",
        failures.len(),
        fixtures.len(),
        failures.join("\n\n")
    );
}

/// Every rule that a model can trigger has a fixture that fires, one that
/// does not, and one where `@allow` accepts the finding.
#[test]
fn every_rule_has_fixtures() {
    let fixtures = fixtures();
    let mut missing = Vec::new();
    for r in lint::rules() {
        if SCHEMA_ONLY.contains(&r.code) {
            continue;
        }
        for kind in [Kind::Fires, Kind::Ok, Kind::Allowed] {
            let found = fixtures.iter().any(|f| f.code.as_deref() == Some(r.code) && f.kind == kind);
            if !found {
                missing.push(format!("{} ({}): no {kind:?} fixture", r.code, r.name));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

// ------------------------------------------------ schema-only rules --

const SCHEMA_ONLY_MODEL: &str = "model tienda {
  target postgres 16
  defaults { soft_delete }
}

context ventas {
  /// Cliente.
  aggregate Cliente {
    nombre: text(100)
    invariant nombre_no_vacio: len(nombre) > 0
  }
  /// Pedido de un cliente.
  aggregate Pedido @allow(L001, 'tabla de paso') {
    cliente: ref Cliente @allow(L002, 'pocos clientes, nunca se borran')
    total: decimal(12, 2)
    invariant total_positivo: total > 0
    entity Linea {
      cantidad: int
      invariant cantidad_positiva: cantidad > 0
    }
  }
}
";

#[test]
fn no_primary_key_checks_the_emitted_schema() {
    let clean = lint_source(SCHEMA_ONLY_MODEL, |_| {}, &Lint::default());
    assert!(!codes(&clean.report.findings).contains("L001"));
    let damaged = lint_source(SCHEMA_ONLY_MODEL, damage_for("L001"), &Lint::default());
    let l001: Vec<&Diagnostic> = damaged.report.findings.iter().filter(|d| d.code == "L001").collect();
    // `cliente` and `pedido_linea` (inside the allowed aggregate) lose
    // their key; `pedidos` is accepted by its `@allow`, and so is its
    // entity, which the allow encloses.
    assert_eq!(l001.len(), 1, "{l001:#?}");
    assert!(l001[0].message.contains("ventas.cliente`"));
    assert_eq!(damaged.report.suppressed.iter().filter(|(d, _)| d.code == "L001").count(), 2);
    let label = l001[0].primary.as_ref().expect("a position");
    assert_eq!(damaged.sources.text(label.span), "Cliente");
}

#[test]
fn unindexed_foreign_key_checks_the_emitted_schema() {
    let clean = lint_source(SCHEMA_ONLY_MODEL, |_| {}, &Lint::default());
    assert!(!codes(&clean.report.findings).contains("L002"));
    let damaged = lint_source(SCHEMA_ONLY_MODEL, damage_for("L002"), &Lint::default());
    let l002: Vec<&Diagnostic> = damaged.report.findings.iter().filter(|d| d.code == "L002").collect();
    // The entity's parent link fires; `cliente` is accepted by its `@allow`.
    assert_eq!(l002.len(), 1, "{l002:#?}");
    assert!(l002[0].message.contains("fk_pedido_linea_pedido_id"));
    assert!(suppressed_codes(&damaged.report).contains("L002"));
    // Nothing lost its primary key here, so the `@allow(L001, …)` is unused.
    assert_eq!(codes(&damaged.report.findings), BTreeSet::from(["L002", "L022"]));
    assert_eq!(damaged.report.score, 100 - 15 - 5);
}

#[test]
fn an_index_led_by_another_column_does_not_serve_a_foreign_key() {
    let model = "model tienda {
  target postgres 16
  defaults { soft_delete }
}

context ventas {
  /// Cliente.
  aggregate Cliente {
    nombre: text(100)
    invariant nombre_no_vacio: len(nombre) > 0
  }
  /// Pedido de un cliente.
  aggregate Pedido {
    cliente: ref Cliente
    fecha: date
    invariant fecha_valida: fecha > 2000-01-01
    index (fecha, cliente)
  }
}
";
    let damaged = lint_source(model, damage_for("L002"), &Lint::default());
    let d = damaged
        .report
        .findings
        .iter()
        .find(|d| d.code == "L002")
        .expect("L002 fires: (fecha, cliente_id) does not start with cliente_id");
    assert!(d.notes.iter().any(|n| n.contains("does not start with")), "{d:#?}");
}

// --------------------------------------------------------------- score --

fn diag(code: &'static str, severity: Severity) -> Diagnostic {
    Diagnostic::new(code, severity, "x")
}

#[test]
fn score_is_100_minus_weighted_findings_floored_at_0() {
    assert_eq!(lint::points(Severity::Error), 15);
    assert_eq!(lint::points(Severity::Warning), 5);
    assert_eq!(lint::points(Severity::Info), 1);
    assert_eq!(lint::score(&[]).0, 100);
    let (score, breakdown) = lint::score(&[
        diag("L009", Severity::Warning),
        diag("L003", Severity::Error),
        diag("L009", Severity::Warning),
        diag("L018", Severity::Info),
    ]);
    assert_eq!(score, 100 - 15 - 5 - 5 - 1);
    assert_eq!(breakdown, vec![("L003".to_string(), 1, 15), ("L009".to_string(), 2, 10), ("L018".to_string(), 1, 1),]);
    let many: Vec<Diagnostic> = (0..7).map(|_| diag("L003", Severity::Error)).collect();
    assert_eq!(lint::score(&many).0, 0);
}

#[test]
fn passes_needs_no_error_and_the_minimum_score() {
    let mut r = Report { score: 90, ..Report::default() };
    assert!(lint::passes(&r, None));
    assert!(lint::passes(&r, Some(85)));
    assert!(lint::passes(&r, Some(90)));
    assert!(!lint::passes(&r, Some(91)));
    r.findings.push(diag("L003", Severity::Error));
    assert!(!lint::passes(&r, None));
    r.findings[0].severity = Severity::Warning;
    assert!(lint::passes(&r, None));
}

const CONFIG_MODEL: &str = "model tienda {
  target postgres 16
  defaults { soft_delete }
}

context ventas {
  enum Estado { ACTIVO }
  aggregate Pedido {
    estado: Estado = ACTIVO
    total: decimal(12, 2)
    invariant total_positivo: total > 0
  }
}
";

#[test]
fn deny_raises_to_error_and_allow_switches_off() {
    let plain = lint_source(CONFIG_MODEL, |_| {}, &Lint::default());
    assert_eq!(codes(&plain.report.findings), BTreeSet::from(["L013", "L020"]));
    assert_eq!(plain.report.score, 100 - 5 - 1);
    assert!(lint::passes(&plain.report, Some(85)));

    let config = Lint { deny: vec!["single-value-enum".into()], allow: vec!["L020".into()], min_score: None };
    let strict = lint_source(CONFIG_MODEL, |_| {}, &config);
    assert_eq!(codes(&strict.report.findings), BTreeSet::from(["L013"]));
    assert_eq!(strict.report.findings[0].severity, Severity::Error);
    assert_eq!(strict.report.score, 85);
    assert_eq!(strict.report.breakdown, vec![("L013".to_string(), 1, 15)]);
    assert!(!lint::passes(&strict.report, None));
}

#[test]
fn config_problems_are_reported() {
    let config =
        Lint { deny: vec!["L013".into(), "L999".into()], allow: vec!["single-value-enum".into()], min_score: None };
    let problems = lint::check_config(&config);
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(problems[0].contains("L999"));
    assert!(problems[1].contains("L013") && problems[1].contains("deny"));
    // `deny` wins over `allow`.
    let linted = lint_source(CONFIG_MODEL, |_| {}, &config);
    assert!(linted.report.findings.iter().any(|d| d.code == "L013" && d.severity == Severity::Error));
    assert!(lint::check_config(&Lint::default()).is_empty());
}

// ---------------------------------------------------------- JSON, SARIF --

const REPORT_MODEL: &str = "model tienda {
  target postgres 16
  defaults { soft_delete }
}

context ventas {
  /// Pedido.
  aggregate Pedido {
    password: text(50)
    total: float
    datos: json = {} @allow(L006, 'respuesta cruda del proveedor')
    invariant total_positivo: sql \"total > 0\"
  }
}
";

#[test]
fn json_report_structure() {
    let linted = lint_source(REPORT_MODEL, |_| {}, &Lint::default());
    let v = lint::render_json(&linted.report, &linted.sources);
    assert_eq!(v["score"], 100 - 15 - 5 - 1);
    assert_eq!(v["errors"], 1);
    assert_eq!(v["warnings"], 1);
    assert_eq!(v["infos"], 1);
    let findings = v["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 3);
    let first = &findings[0];
    assert_eq!(first["code"], "L003");
    assert_eq!(first["rule"], "plaintext-secret");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["points"], 15);
    assert_eq!(first["file"], "example.ddd");
    assert_eq!(first["line"], 9);
    assert_eq!(first["column"], 5);
    assert!(first["message"].as_str().is_some_and(|m| m.contains("password")));
    assert!(first["help"].as_str().is_some_and(|h| h.contains("password_hash")));
    let breakdown = v["breakdown"].as_array().expect("breakdown");
    let codes: Vec<&str> = breakdown.iter().filter_map(|b| b["code"].as_str()).collect();
    assert_eq!(codes, ["L003", "L018", "L023"]);
    assert_eq!(breakdown[0]["rule"], "plaintext-secret");
    assert_eq!(breakdown[0]["count"], 1);
    assert_eq!(breakdown[0]["points"], 15);
    assert_eq!(breakdown[0]["severity"], "error");
    let suppressed = v["suppressed"].as_array().expect("suppressed");
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["code"], "L006");
    assert_eq!(suppressed[0]["reason"], "respuesta cruda del proveedor");
    assert_eq!(suppressed[0]["line"], 11);
}

#[test]
fn sarif_report_has_the_required_fields() {
    let linted = lint_source(REPORT_MODEL, |_| {}, &Lint::default());
    let text =
        serde_json::to_string_pretty(&lint::render_sarif(&linted.report, &linted.sources)).expect("serializable");
    let v: serde_json::Value = serde_json::from_str(&text).expect("SARIF parses as JSON");
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().is_some_and(|s| s.contains("sarif-2.1.0")));
    let runs = v["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "dddc");
    let rules = driver["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), lint::rules().len());
    for (r, info) in rules.iter().zip(lint::rules()) {
        assert_eq!(r["id"], info.code);
        assert_eq!(r["name"], info.name);
        assert!(r["shortDescription"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(r["fullDescription"]["text"].as_str().is_some_and(|t| t.len() > 20), "{}: fullDescription", info.code);
        let level = r["defaultConfiguration"]["level"].as_str().expect("level");
        assert!(["error", "warning", "note"].contains(&level));
    }
    let results = runs[0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 4, "three findings and one suppressed");
    for res in results {
        let id = res["ruleId"].as_str().expect("ruleId");
        let index = res["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], id);
        assert!(["error", "warning", "note"].contains(&res["level"].as_str().expect("level")));
        assert!(res["message"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        let loc = &res["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "example.ddd");
        assert!(loc["region"]["startLine"].as_u64().is_some_and(|l| l >= 1));
        assert!(loc["region"]["startColumn"].as_u64().is_some_and(|c| c >= 1));
    }
    let l003 = results.iter().find(|r| r["ruleId"] == "L003").expect("L003");
    assert_eq!(l003["level"], "error");
    assert_eq!(l003["locations"][0]["physicalLocation"]["region"]["startLine"], 9);
    let l018 = results.iter().find(|r| r["ruleId"] == "L018").expect("L018");
    assert_eq!(l018["level"], "note");
    let suppressed = results.iter().find(|r| r["ruleId"] == "L006").expect("L006");
    assert_eq!(suppressed["suppressions"][0]["kind"], "inSource");
    assert_eq!(suppressed["suppressions"][0]["justification"], "respuesta cruda del proveedor");
}

// ------------------------------------------------------- rules and docs --

#[test]
fn codes_and_names_are_stable_and_unique() {
    let rules = lint::rules();
    assert!(rules.len() >= 20);
    for (i, r) in rules.iter().enumerate() {
        assert_eq!(r.code, format!("L{:03}", i + 1), "codes run L001, L002, … without gaps");
        assert!(
            r.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !r.name.starts_with('-')
                && !r.name.ends_with('-'),
            "{}: `{}` is not kebab-case",
            r.code,
            r.name
        );
        assert!(
            !r.summary.ends_with('.') && r.summary.starts_with(|c: char| !c.is_uppercase()),
            "{}: summary starts lower-case, no trailing period",
            r.code
        );
    }
    let names: BTreeSet<&str> = rules.iter().map(|r| r.name).collect();
    assert_eq!(names.len(), rules.len(), "names are unique");
    assert_eq!(lint::rule("l006").map(|r| r.name), Some("json-dump"));
    assert_eq!(lint::rule("json-dump").map(|r| r.code), Some("L006"));
    assert!(lint::rule("L999").is_none());
    assert!(lint::rule("E0001").is_none());
}

#[test]
fn every_explanation_has_the_four_sections_and_a_working_example() {
    let mut failures = Vec::new();
    for r in lint::rules() {
        let text = r.explanation;
        let title = format!("# {}: {}", r.code, r.name);
        if text.lines().next() != Some(title.as_str()) {
            failures.push(format!("{}: the explanation must start with `{title}`", r.code));
        }
        for section in ["## What it does", "## Why", "## Example", "## Fix"] {
            if !text.lines().any(|l| l.trim() == section) {
                failures.push(format!("{}: no `{section}` section", r.code));
            }
        }
        let damage = damage_for(r.code);
        match ddd_block(text, "## Example") {
            None => failures.push(format!("{}: `## Example` has no ```ddd block", r.code)),
            Some(example) => {
                let linted = lint_source(&with_model_block(&example), damage, &Lint::default());
                if !codes(&linted.report.findings).contains(r.code) {
                    failures.push(format!(
                        "{}: the example does not trigger the rule (findings: {:?})",
                        r.code,
                        codes(&linted.report.findings)
                    ));
                }
            }
        }
        if let Some(fixed) = ddd_block(text, "## Fix") {
            let linted = lint_source(&with_model_block(&fixed), damage, &Lint::default());
            if codes(&linted.report.findings).contains(r.code) {
                failures.push(format!("{}: the fixed example still triggers the rule", r.code));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn rules_doc_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/lint-rules.md");
    let expected = lint::rules_markdown();
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    if actual == expected {
        return;
    }
    if env_on("UPDATE_EXPECT") {
        std::fs::create_dir_all(path.parent().expect("docs folder")).expect("create docs/");
        std::fs::write(&path, &expected).expect("write docs/lint-rules.md");
        eprintln!("rewrote docs/lint-rules.md");
        return;
    }
    panic!("docs/lint-rules.md is stale: run `UPDATE_EXPECT=1 cargo test --test lint` and commit it");
}

#[test]
fn rules_doc_lists_every_rule() {
    let doc = lint::rules_markdown();
    for r in lint::rules() {
        assert!(doc.contains(&format!("## {}: {}", r.code, r.name)), "{}", r.code);
        assert!(doc.contains(&format!("| `{}` |", r.name)), "{}", r.code);
    }
}

// -------------------------------------------------------------- MiToga --

#[test]
fn mitoga_scores_at_least_85_without_errors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mitoga/mitoga.ddd");
    let linted = lint_file(&root, Path::new("examples/mitoga/mitoga.ddd"), &Lint::default());
    let text = lint::render_text(&linted.report, &linted.sources, ColorChoice::Never);
    assert!(
        linted.report.errors() == 0 && linted.report.score >= 85,
        "MiToga must score at least 85 with no error findings; it scores {}:\n{text}",
        linted.report.score
    );
    // The example's one `@allow` is used.
    assert!(suppressed_codes(&linted.report).contains("L006"));
}

/// The benchmark's generated models (tools/genmodel: plain, tenant-scoped,
/// and with outboxes, audit and search) pass lint without a finding, so
/// that the benchmark's builds take the path a clean project takes (the
/// pass recorded for `check`): a rule that starts firing on them, or a
/// shape that starts needing an `@allow`, shows here.
#[test]
fn the_generated_models_have_no_findings() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, tenants, rich) in [("plain", false, false), ("tenants", true, false), ("rich", true, true)] {
        let shape = genmodel::Shape { tenants, rich, ..genmodel::Shape::new(120, 12) };
        for f in genmodel::ddd(&shape) {
            let path = dir.path().join(name).join(&f.path);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
            std::fs::write(&path, f.text).expect("write");
        }
        let root = dir.path().join(name).join("model.ddd");
        let (_, model, schema) = load(&root, &root);
        let report = lint::lint(&model, &schema, &Lint::default());
        let found: Vec<String> = report.findings.iter().map(|d| format!("{:?} {}", d.code, d.message)).collect();
        assert!(found.is_empty(), "{name}: {found:#?}");
        assert_eq!(report.score, 100, "{name}");
    }
}
