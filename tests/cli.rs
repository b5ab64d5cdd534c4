//! The command line as a user meets it: the built `dddc` binary run on
//! temporary projects, checking exit codes, where the model is found, the
//! report formats, `explain`, `init` and `completions`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dddc::diagnostics::codes::CODES;

const VALID: &str = "\
model mitoga {
  target postgres 16
  tables plural_es
}

context reservas {
  enum EstadoReserva { PENDIENTE, CONFIRMADA, CANCELADA }
  aggregate Reserva {
    inicio: timestamp
    estado: EstadoReserva = PENDIENTE
  }
}
";

/// Two errors (E0102 on line 3, E0103 on line 5).
const INVALID: &str = "\
model mitoga { target postgres 16 }
context pagos {
  aggregate Pago { importe: Dinero
    estado: EstadoPago = PAGAD }
  enum EstadoPago { PENDIENTE, PAGADO }
}
";

/// Valid, with one warning (W0001 on line 2).
const WARNING_ONLY: &str = "\
model mitoga { target postgres 16 }
/// Nada que documentar.

context pagos { }
";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn dddc(dir: &Path, args: &[&str]) -> Run {
    dddc_env(dir, args, &[])
}

fn dddc_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dddc"));
    cmd.args(args).current_dir(dir).env_remove("NO_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out: Output = cmd.output().expect("run dddc");
    Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, text).expect("write");
    }
    dir
}

#[track_caller]
fn assert_exit(run: &Run, code: i32) {
    assert_eq!(run.code, code, "exit code\n--- stdout\n{}\n--- stderr\n{}", run.stdout, run.stderr);
}

// ------------------------------------------------------------- exit codes --

#[test]
fn validate_valid_model_exits_0() {
    let p = project(&[("mitoga.ddd", VALID)]);
    let run = dddc(p.path(), &["validate", "mitoga.ddd"]);
    assert_exit(&run, 0);
    assert!(run.stderr.contains("ok: 1 file(s), 1 context(s), 1 aggregate(s)"));
}

#[test]
fn validate_model_errors_exit_1_and_are_all_reported() {
    let p = project(&[("mitoga.ddd", INVALID)]);
    let run = dddc(p.path(), &["validate", "--color", "never", "mitoga.ddd"]);
    assert_exit(&run, 1);
    let e0102 = run.stderr.find("error[E0102]").expect("E0102 reported");
    let e0103 = run.stderr.find("error[E0103]").expect("E0103 reported");
    assert!(e0102 < e0103, "sorted by position:\n{}", run.stderr);
    assert!(run.stderr.contains("mitoga.ddd:3:29"), "{}", run.stderr);
    assert!(run.stderr.contains("error: 2 error(s), 0 warning(s)"));
    assert!(run.stderr.contains("= help: did you mean `PAGADO`?"));
}

#[test]
fn validate_warnings_only_exits_0() {
    let p = project(&[("mitoga.ddd", WARNING_ONLY)]);
    let run = dddc(p.path(), &["validate", "--color", "never"]);
    assert_exit(&run, 0);
    assert!(run.stderr.contains("warning[W0001]"), "{}", run.stderr);
    assert!(run.stderr.contains("warning: 1 warning(s)"));
    let quiet = dddc(p.path(), &["validate", "-q", "--color", "never"]);
    assert_exit(&quiet, 0);
    assert!(quiet.stderr.is_empty(), "-q prints errors only: {}", quiet.stderr);
}

#[test]
fn validate_missing_file_exits_2() {
    let p = project(&[]);
    let run = dddc(p.path(), &["validate", "nada.ddd"]);
    assert_exit(&run, 2);
    assert!(run.stderr.contains("nada.ddd"), "{}", run.stderr);
}

#[test]
fn validate_folder_with_two_models_and_no_config_exits_2() {
    let p = project(&[("a.ddd", VALID), ("b.ddd", VALID)]);
    let run = dddc(p.path(), &["validate"]);
    assert_exit(&run, 2);
    assert!(run.stderr.contains("a.ddd, b.ddd"), "{}", run.stderr);
    let by_arg = dddc(p.path(), &["validate", "."]);
    assert_exit(&by_arg, 2);
}

#[test]
fn validate_empty_folder_exits_2() {
    let p = project(&[]);
    let run = dddc(p.path(), &["validate"]);
    assert_exit(&run, 2);
    assert!(run.stderr.contains("no model"), "{}", run.stderr);
}

#[test]
fn config_naming_a_missing_model_exits_2() {
    let p = project(&[("dddc.toml", "model = \"mitoga.ddd\"\n")]);
    let run = dddc(p.path(), &["validate"]);
    assert_exit(&run, 2);
    assert!(run.stderr.contains("mitoga.ddd"), "{}", run.stderr);
}

#[test]
fn config_with_unknown_key_exits_2() {
    let p = project(&[("dddc.toml", "model = \"mitoga.ddd\"\nmodelo = \"x\"\n"), ("mitoga.ddd", VALID)]);
    let run = dddc(p.path(), &["validate"]);
    assert_exit(&run, 2);
    assert!(run.stderr.contains("modelo"), "{}", run.stderr);
}

#[test]
fn unreadable_include_is_a_model_error_not_a_usage_error() {
    let p = project(&[("mitoga.ddd", "model mitoga { target postgres 16 }\ninclude \"pagos.ddd\"\n")]);
    let run = dddc(p.path(), &["validate", "--color", "never"]);
    assert_exit(&run, 1);
    assert!(run.stderr.contains("error[E0004]"), "{}", run.stderr);
}

#[test]
fn root_file_not_utf8_exits_2() {
    let p = project(&[]);
    std::fs::write(p.path().join("mitoga.ddd"), b"model m { }\n\xff\xfe\n").expect("write");
    let run = dddc(p.path(), &["validate"]);
    assert_exit(&run, 2);
    assert!(run.stderr.contains("UTF-8"), "{}", run.stderr);
}

// -------------------------------------------------------- model discovery --

#[test]
fn model_from_file_argument() {
    let p = project(&[("modelos/mitoga.ddd", VALID), ("otro.ddd", INVALID)]);
    assert_exit(&dddc(p.path(), &["validate", "modelos/mitoga.ddd"]), 0);
    assert_exit(&dddc(p.path(), &["validate", "otro.ddd"]), 1);
}

#[test]
fn model_from_folder_argument() {
    let p = project(&[("modelo/mitoga.ddd", VALID)]);
    assert_exit(&dddc(p.path(), &["validate", "modelo"]), 0);
}

#[test]
fn model_from_folder_argument_with_config() {
    let p = project(&[
        ("modelo/dddc.toml", "model = \"principal.ddd\"\n"),
        ("modelo/principal.ddd", VALID),
        ("modelo/borrador.ddd", INVALID),
    ]);
    assert_exit(&dddc(p.path(), &["validate", "modelo"]), 0);
}

#[test]
fn model_from_config() {
    let p = project(&[("dddc.toml", "model = \"mitoga.ddd\"\n"), ("mitoga.ddd", VALID), ("borrador.ddd", INVALID)]);
    let run = dddc(p.path(), &["validate"]);
    assert_exit(&run, 0);
}

#[test]
fn model_from_config_with_includes() {
    let p = project(&[
        ("dddc.toml", "model = \"model/mitoga.ddd\"\n"),
        ("model/mitoga.ddd", "model mitoga { target postgres 16 }\ninclude \"contexts/pagos.ddd\"\n"),
        ("model/contexts/pagos.ddd", "context pagos {\n  aggregate Pago {\n    importe: Dinero\n  }\n}\n"),
    ]);
    let run = dddc(p.path(), &["validate", "--color", "never"]);
    assert_exit(&run, 1);
    assert!(
        run.stderr.contains("model/contexts/pagos.ddd:3:14"),
        "paths relative to the working folder:\n{}",
        run.stderr
    );
}

#[test]
fn model_is_the_single_ddd_file_of_the_folder() {
    let p = project(&[("mitoga.ddd", VALID), ("notas.txt", "no es un modelo")]);
    let run = dddc(p.path(), &["validate"]);
    assert_exit(&run, 0);
}

#[test]
fn chdir_option_runs_as_if_started_there() {
    let p = project(&[("proyecto/mitoga.ddd", INVALID)]);
    let run = dddc(p.path(), &["-C", "proyecto", "validate", "--color", "never"]);
    assert_exit(&run, 1);
    assert!(run.stderr.contains("┌─ mitoga.ddd:3:29"), "{}", run.stderr);
    // Global options may follow the subcommand too.
    let run = dddc(p.path(), &["validate", "-C", "proyecto"]);
    assert_exit(&run, 1);
}

#[test]
fn chdir_to_a_missing_folder_exits_2() {
    let p = project(&[]);
    let run = dddc(p.path(), &["-C", "no_existe", "validate"]);
    assert_exit(&run, 2);
}

// ------------------------------------------------------------ JSON output --

#[test]
fn json_report_is_one_object_with_complete_diagnostics() {
    let p = project(&[("mitoga.ddd", INVALID)]);
    let run = dddc(p.path(), &["validate", "--format", "json"]);
    assert_exit(&run, 1);
    let v: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is one JSON object ({e}):\n{}", run.stdout));
    assert_eq!(v["errors"], 2);
    assert_eq!(v["warnings"], 0);
    let diags = v["diagnostics"].as_array().expect("diagnostics array");
    assert_eq!(diags.len(), 2);
    for d in diags {
        for key in ["code", "severity", "file", "line", "column", "message", "help"] {
            assert!(d.get(key).is_some(), "`{key}` missing in {d}");
        }
        assert_eq!(d["severity"], "error");
        assert_eq!(d["file"], "mitoga.ddd");
        assert!(d["help"].is_string(), "every error has a help line: {d}");
    }
    assert_eq!(diags[0]["code"], "E0102");
    assert_eq!(diags[0]["line"], 3);
    assert_eq!(diags[0]["column"], 29);
    assert_eq!(diags[0]["message"], "unknown type `Dinero`");
    assert_eq!(diags[1]["code"], "E0103");
    assert_eq!(diags[1]["line"], 4);
}

#[test]
fn json_report_of_a_valid_model() {
    let p = project(&[("mitoga.ddd", WARNING_ONLY)]);
    let run = dddc(p.path(), &["--format", "json", "validate"]);
    assert_exit(&run, 0);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(v["errors"], 0);
    assert_eq!(v["warnings"], 1);
    assert_eq!(v["diagnostics"][0]["code"], "W0001");
    assert_eq!(v["diagnostics"][0]["severity"], "warning");
    assert!(run.stderr.is_empty(), "JSON mode prints no prose: {}", run.stderr);
}

#[test]
fn json_usage_error_is_json_too() {
    let p = project(&[]);
    let run = dddc(p.path(), &["validate", "--format", "json", "nada.ddd"]);
    assert_exit(&run, 2);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(v["errors"], 1);
    assert_eq!(v["diagnostics"][0]["severity"], "error");
}

// ------------------------------------------------------------------ color --

#[test]
fn color_always_emits_ansi_escapes() {
    let p = project(&[("mitoga.ddd", INVALID)]);
    let run = dddc(p.path(), &["validate", "--color", "always"]);
    assert_exit(&run, 1);
    assert!(run.stderr.contains("\u{1b}["), "{:?}", run.stderr);
}

#[test]
fn color_never_and_no_color_emit_none() {
    let p = project(&[("mitoga.ddd", INVALID)]);
    let run = dddc(p.path(), &["validate", "--color", "never"]);
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
    let run = dddc_env(p.path(), &["validate", "--color", "auto"], &[("NO_COLOR", "1")]);
    assert_exit(&run, 1);
    assert!(run.stderr.contains("error[E0102]"));
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
}

// ---------------------------------------------------------------- explain --

#[test]
fn explain_known_code() {
    let p = project(&[]);
    let run = dddc(p.path(), &["explain", "E0103"]);
    assert_exit(&run, 0);
    assert!(run.stdout.starts_with("# E0103"), "{}", run.stdout);
    let lower = dddc(p.path(), &["explain", "e0103"]);
    assert_exit(&lower, 0);
    assert_eq!(lower.stdout, run.stdout);
}

#[test]
fn explain_unknown_code_exits_1() {
    let p = project(&[]);
    let run = dddc(p.path(), &["explain", "E9999"]);
    assert_exit(&run, 1);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("E9999"), "{}", run.stderr);
}

/// Every code's explanation follows one shape: a title line matching the
/// code table, the four sections and a `.ddd` example.
#[test]
fn every_code_has_a_well_formed_explanation() {
    let mut problems = Vec::new();
    for c in CODES {
        let text = c.explanation;
        let title = format!("# {}: {}\n", c.code, c.title);
        if !text.starts_with(&title) {
            problems.push(format!(
                "{}: should start with {title:?}, starts with {:?}",
                c.code,
                text.lines().next().unwrap_or("")
            ));
        }
        let why = if c.code.starts_with('W') { "## Why it is a warning" } else { "## Why it is an error" };
        for section in ["## What it means", why, "## Example", "## How to fix it"] {
            if !text.lines().any(|l| l.trim_end() == section) {
                problems.push(format!("{}: no `{section}` section", c.code));
            }
        }
        if !text.contains("```ddd\n") {
            problems.push(format!("{}: no ```ddd example", c.code));
        }
        if text.matches("```").count() % 2 != 0 {
            problems.push(format!("{}: unbalanced code fences", c.code));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_code_is_unique_and_explained_by_the_binary() {
    let p = project(&[]);
    let mut seen = std::collections::BTreeSet::new();
    for c in CODES {
        assert!(seen.insert(c.code), "{} listed twice", c.code);
    }
    // One round trip through the binary is enough to know it serves the table.
    let last = CODES.last().expect("codes");
    let run = dddc(p.path(), &["explain", last.code]);
    assert_exit(&run, 0);
    assert_eq!(run.stdout, last.explanation);
}

// ------------------------------------------------------------------- init --

#[test]
fn init_creates_a_project_that_validates() {
    let p = project(&[]);
    let run = dddc(p.path(), &["init", "nuevo"]);
    assert_exit(&run, 0);
    let dir = p.path().join("nuevo");
    assert!(dir.join("dddc.toml").is_file());
    assert!(dir.join("model.ddd").is_file());
    assert!(dir.join("db/migration").is_dir());
    let run = dddc(&dir, &["validate", "--color", "never"]);
    assert_exit(&run, 0);
    assert!(run.stderr.starts_with("ok:"), "no warnings either: {}", run.stderr);
    assert_exit(&dddc(p.path(), &["validate", "nuevo"]), 0);
}

#[test]
fn init_in_the_current_folder() {
    let p = project(&[]);
    assert_exit(&dddc(p.path(), &["init"]), 0);
    assert_exit(&dddc(p.path(), &["validate"]), 0);
}

/// A project without `dddc.toml` (a model file beside its migrations, as
/// the CLI spec allows) is a project: `init` there wrote its starter
/// files, planned the drop of every table over the lock, failed, and left
/// the starter files behind, after which `check` failed. It now refuses
/// and writes nothing.
#[test]
fn init_refuses_a_folder_that_is_already_a_project() {
    let p = project(&[("m.ddd", VALID), ("dddc.toml", "[lint]\nmin_score = 0\n")]);
    assert_exit(&dddc(p.path(), &["build"]), 0);
    std::fs::remove_file(p.path().join("dddc.toml")).expect("rm");
    let before: Vec<_> = walk(p.path());
    let run = dddc(p.path(), &["init", "."]);
    assert_exit(&run, 1);
    assert!(run.stderr.contains("is already a dddc project") && run.stderr.contains("m.ddd"), "{}", run.stderr);
    assert_eq!(walk(p.path()), before, "nothing written");
    assert_exit(&dddc(p.path(), &["check", "m.ddd"]), 0);
    // Only the lock (a model kept elsewhere) is enough.
    let p = project(&[("db/migration/dddc.lock", "")]);
    let run = dddc(p.path(), &["init"]);
    assert_exit(&run, 1);
    assert!(run.stderr.contains("dddc.lock"), "{}", run.stderr);
    assert!(!p.path().join("model.ddd").exists() && !p.path().join("dddc.toml").exists());
}

/// Every file under `dir` with its bytes, sorted.
fn walk(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let path = e.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push((path.clone(), std::fs::read(&path).expect("read")));
            }
        }
    }
    out.sort();
    out
}

/// A build over a migrations folder `check` rejects says so: it answered
/// "up to date" (exit 0) with a migration of the lock deleted, one edited,
/// or a file the lock does not know, and the gate then failed.
#[test]
fn build_warns_of_a_migrations_folder_check_rejects() {
    let p = project(&[("m.ddd", VALID), ("dddc.toml", "[lint]\nmin_score = 0\n")]);
    assert_exit(&dddc(p.path(), &["build"]), 0);
    let mig = p.path().join("db/migration");
    let v1 = std::fs::read_dir(&mig)
        .expect("migrations")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("V1__"))
        .expect("V1");
    let clean = dddc(p.path(), &["build"]);
    assert_exit(&clean, 0);
    assert!(!clean.stderr.contains("warning: migration"), "{}", clean.stderr);
    std::fs::write(mig.join("V99__hand.sql"), "SELECT 1;\n").expect("write");
    let text = std::fs::read_to_string(mig.join(&v1)).expect("V1");
    std::fs::write(mig.join(&v1), format!("{text}-- edited\n")).expect("write");
    let run = dddc(p.path(), &["build"]);
    assert_exit(&run, 0);
    assert!(
        run.stderr.contains(&format!("warning: migration `{v1}` was edited after it was generated")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("warning: migration `V99__hand.sql` is not in the lock"), "{}", run.stderr);
    assert!(
        run.stderr.contains("`dddc check` fails until the migrations folder agrees with the lock"),
        "{}",
        run.stderr
    );
    std::fs::remove_file(mig.join(&v1)).expect("rm");
    let run = dddc(p.path(), &["--format", "json", "build"]);
    let v: serde_json::Value = serde_json::from_str(run.stdout.trim()).expect("json");
    let problems = v["migration_problems"].as_array().expect("migration_problems");
    assert!(problems.iter().any(|p| p.as_str().is_some_and(|p| p.contains("in the lock but missing on disk"))), "{v}");
    assert_exit(&dddc(p.path(), &["check"]), 1);
}

/// `DDDC_DATABASE_URL`, set for `verify` and `drift` in a CI job, is read
/// by `check` only with `--verify`: clap counted it as `--database-url`
/// given, and every plain `check` failed for want of `--verify`.
#[test]
fn check_ignores_the_database_url_variable_without_verify() {
    let p = project(&[("m.ddd", VALID), ("dddc.toml", "[lint]\nmin_score = 0\n")]);
    assert_exit(&dddc(p.path(), &["build"]), 0);
    let env = [("DDDC_DATABASE_URL", "host=/nonexistent dbname=x")];
    let run = dddc_env(p.path(), &["check", "--no-cache"], &env);
    assert_exit(&run, 0);
    // Given on the command line without `--verify`, it is still a usage error.
    let run = dddc(p.path(), &["check", "--database-url", "host=/nonexistent"]);
    assert_exit(&run, 2);
}

#[test]
fn init_refuses_to_overwrite() {
    let p = project(&[("model.ddd", VALID)]);
    let run = dddc(p.path(), &["init"]);
    assert_ne!(run.code, 0, "must refuse: {}", run.stderr);
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(p.path().join("model.ddd")).expect("read"), VALID);
    assert!(!p.path().join("dddc.toml").exists(), "wrote nothing");

    let p = project(&[("dddc.toml", "# mine\n")]);
    let run = dddc(p.path(), &["init"]);
    assert_ne!(run.code, 0);
    assert_eq!(std::fs::read_to_string(p.path().join("dddc.toml")).expect("read"), "# mine\n");
    assert!(!p.path().join("model.ddd").exists(), "wrote nothing");
}

// ------------------------------------------------------------ completions --

#[test]
fn completions_bash() {
    let p = project(&[]);
    let run = dddc(p.path(), &["completions", "bash"]);
    assert_exit(&run, 0);
    assert!(!run.stdout.trim().is_empty());
    assert!(run.stdout.contains("dddc"));
    assert!(run.stdout.contains("validate"));
}

#[test]
fn completions_unknown_shell_is_a_usage_error() {
    let p = project(&[]);
    let run = dddc(p.path(), &["completions", "cmd"]);
    assert_exit(&run, 2);
}

// ------------------------------------------------------------- regressions --

/// Regression (tests/validation/syntax/E0001_non_ascii_junk.ddd): a broken
/// line starting with a multi-byte character made `validate` panic (exit
/// 101) in both formats.
#[test]
fn validate_does_not_panic_on_non_ascii_junk() {
    let p = project(&[("mitoga.ddd", "model mitoga { target postgres 16 }\n¿context pagos { }\n")]);
    for format in ["text", "json"] {
        let run = dddc(p.path(), &["validate", "--format", format]);
        assert_exit(&run, 1);
    }
}

/// `dddc lint --migrations DIR` lints hand-written migrations with squawk:
/// a finding names the file, line and rule and fails the command; the
/// committed examples are clean.
#[test]
fn lint_migrations_runs_squawk_on_hand_written_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("V1__bad.sql"), "-- A table that exists already.\nCREATE INDEX i ON t (a);\n")
        .expect("write");
    let run = dddc(dir.path(), &["lint", "--migrations", "."]);
    assert_exit(&run, 1);
    assert!(
        run.stdout.contains("V1__bad.sql:2:1: warning[squawk require-concurrent-index-creation]"),
        "{}",
        run.stdout
    );
    let history = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/history");
    let run = dddc(&history, &["lint", "--migrations"]);
    assert_exit(&run, 0);
    assert!(run.stderr.contains("0 squawk finding(s)"), "{}", run.stderr);
}

/// `dddc plan` says, per statement, which lock it takes on which table.
#[test]
fn plan_reports_the_lock_of_each_statement() {
    let history = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/history/steps");
    let p = project(&[]);
    std::fs::write(p.path().join("mitoga.ddd"), std::fs::read_to_string(history.join("v3.ddd")).unwrap()).unwrap();
    assert_exit(&dddc(p.path(), &["build", "-q"]), 0);
    std::fs::write(p.path().join("mitoga.ddd"), std::fs::read_to_string(history.join("v4.ddd")).unwrap()).unwrap();
    let run = dddc(p.path(), &["plan"]);
    assert_exit(&run, 0);
    assert!(run.stdout.contains("-- Lock report (one transaction"), "{}", run.stdout);
    assert!(run.stdout.contains("ACCESS EXCLUSIVE       reservas.reservas            catalog only"), "{}", run.stdout);
    assert!(
        run.stdout.contains("SHARE UPDATE EXCLUSIVE reservas.reservas            reads every row"),
        "{}",
        run.stdout
    );
    let run = dddc(p.path(), &["plan", "--format", "json"]);
    assert_exit(&run, 0);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let stmts = v["migrations"][1]["statements"].as_array().expect("statements");
    assert!(stmts.iter().any(|s| s["lock"] == "SHARE UPDATE EXCLUSIVE" && s["work"] == "reads every row"), "{v}");
}

/// Every command's `--format json` output is one JSON document with the
/// common fields and the fields `docs/json-output.md` lists for it.
#[test]
fn every_command_prints_one_json_document_as_documented() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/json-output.md")).unwrap();
    // `- `cmd`: `a`, `b` …` lines (continued on indented lines).
    let mut documented: Vec<(String, Vec<String>)> = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in doc.lines() {
        if let Some(rest) = line.strip_prefix("- `") {
            if let Some((cmd, text)) = rest.split_once("`:") {
                if let Some(c) = current.take() {
                    documented.push((c.0, keys(&c.1)));
                }
                current = Some((cmd.to_string(), text.to_string()));
                continue;
            }
        }
        match &mut current {
            Some((_, text)) if line.starts_with("  ") => text.push_str(line),
            Some(_) => {
                let c = current.take().unwrap();
                documented.push((c.0, keys(&c.1)));
            }
            None => {}
        }
    }
    fn keys(text: &str) -> Vec<String> {
        // The first backticked word of each clause, outside parentheses.
        let mut flat = String::new();
        let mut depth = 0usize;
        for c in text.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                _ if depth == 0 => flat.push(c),
                _ => {}
            }
        }
        // After a dash come the parts of the field before it.
        let text = flat.split('—').next().unwrap_or("");
        text.split(&[',', ';'][..])
            .filter_map(|part| {
                let part = part.trim();
                let part = part.strip_prefix("plus the fields of").map_or(part, |_| "");
                let first = part.split('`').nth(1)?;
                let word = first.split_whitespace().next()?;
                (word.chars().all(|c| c.is_ascii_lowercase() || c == '_') && part.starts_with('`'))
                    .then(|| word.to_string())
            })
            .collect()
    }
    let p = project(&[
        ("model.ddd", "/// M.\nmodel m {\n  target postgres 16\n}\n\n/// C.\ncontext c {\n  /// A.\n  aggregate A {\n    /// N.\n    n: int\n  }\n}\n"),
        ("dddc.toml", "[lint]\nmin_score = 0\n"),
    ]);
    let run = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let r = dddc(p.path(), &all);
        let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap_or_else(|e| {
            panic!("`dddc {}` did not print one JSON document ({e}):\n{}", args.join(" "), r.stdout)
        });
        for k in ["command", "ok", "exit_code", "diagnostics", "errors", "warnings"] {
            assert!(v.get(k).is_some(), "`dddc {}`: no `{k}` in {v}", args.join(" "));
        }
        assert_eq!(v["exit_code"].as_i64(), Some(i64::from(r.code)), "{v}");
        v
    };
    let commands: &[(&str, &[&str])] = &[
        ("validate", &["validate"]),
        ("build", &["build"]),
        ("check", &["check"]),
        ("plan", &["plan"]),
        ("lint", &["lint"]),
        ("lint --migrations", &["lint", "--migrations"]),
        ("fmt", &["fmt"]),
        ("explain", &["explain", "E0101"]),
        ("new", &["new", "seed"]),
        // On a throwaway cluster (`drift` and `import` are in db_verify.rs
        // and db_import.rs, which need a database to point at).
        ("verify", &["verify"]),
    ];
    for (name, args) in commands {
        let listed = documented.iter().find(|(c, _)| c == name).unwrap_or_else(|| panic!("`{name}` is not documented"));
        let v = run(args);
        for k in &listed.1 {
            if ["would_write", "would_remove", "refused", "verify", "kept"].contains(&k.as_str()) {
                continue; // only in another mode
            }
            assert!(v.get(k).is_some(), "`dddc {}`: the documented `{k}` is missing:\n{v}", args.join(" "));
        }
    }
    // A failing command is one document too.
    let v = run(&["explain", "E9999"]);
    assert_eq!(v["ok"], false);
    assert_eq!(v["diagnostics"][0]["code"], "usage");
    // Rewind, and init in a fresh folder.
    let v = run(&["rewind", "--to", "1"]);
    assert!(v.get("removed").is_some() && v.get("version").is_some(), "{v}");
    let fresh = tempfile::tempdir().unwrap();
    let r = dddc(fresh.path(), &["--format", "json", "init", "proj"]);
    let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).expect("init: one document");
    assert!(v.get("written").is_some() && v.get("lint").is_some(), "{v}");
}

/// `rewind` keeps what no build writes again. Rewinding to between a
/// build's main migration and its online half left the main one's NOT
/// VALID check unvalidated for good (the lock records it as made, so the
/// next build did not validate it); rewinding past a hand-written
/// migration deleted it without a word. Both are refused, and the
/// hand-written one goes only when asked.
#[test]
fn rewind_refuses_to_split_a_build_or_drop_hand_written_sql() {
    let model = "/// M.\nmodel m {\n  target postgres 16\n}\n\n/// C.\ncontext c {\n  /// A.\n  aggregate A {\n    /// N.\n    n: int\n  }\n}\n";
    let p = project(&[("m.ddd", model), ("dddc.toml", "[lint]\nmin_score = 0\n")]);
    assert_exit(&dddc(p.path(), &["build"]), 0);
    std::fs::write(
        p.path().join("m.ddd"),
        model.replace("    n: int\n", "    n: int\n    /// P.\n    invariant pos: n > 0\n"),
    )
    .expect("write");
    let b = dddc(p.path(), &["build"]);
    assert_exit(&b, 0);
    assert!(
        b.stderr.contains("V3__") && b.stderr.contains("_online.sql"),
        "a main and an online migration: {}",
        b.stderr
    );
    assert_exit(&dddc(p.path(), &["new", "fix_a"]), 0);
    let mig = p.path().join("db/migration");
    let name = |prefix: &str| {
        std::fs::read_dir(&mig)
            .expect("migrations")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .find(|n| n.starts_with(prefix) && n.ends_with(".sql"))
    };
    std::fs::write(mig.join(name("V4__").expect("V4")), "UPDATE c.a SET n = 1 WHERE n < 1;\n").expect("write");
    std::fs::write(mig.join(name("U4__").expect("U4")), "SELECT 1;\n").expect("write");
    assert_exit(&dddc(p.path(), &["build"]), 0);
    let split = dddc(p.path(), &["rewind", "--to", "2"]);
    assert_exit(&split, 1);
    assert!(split.stderr.contains("finishes what V2 began"), "{}", split.stderr);
    let hand = dddc(p.path(), &["rewind", "--to", "3"]);
    assert_exit(&hand, 1);
    assert!(hand.stderr.contains("would delete the hand-written migration(s) V4__fix_a.sql"), "{}", hand.stderr);
    // Written but not yet recorded by a build (its checksum still empty):
    // refused too; still the template: nothing to lose.
    assert_exit(&dddc(p.path(), &["new", "fix_b"]), 0);
    let v5 = mig.join(name("V5__").expect("V5"));
    let template = std::fs::read(&v5).expect("V5");
    std::fs::write(&v5, "UPDATE c.a SET n = 2 WHERE n < 2;\n").expect("write");
    let unrecorded = dddc(p.path(), &["rewind", "--to", "4"]);
    assert_exit(&unrecorded, 1);
    assert!(unrecorded.stderr.contains("V5__fix_b.sql"), "{}", unrecorded.stderr);
    std::fs::write(&v5, template).expect("write");
    assert_exit(&dddc(p.path(), &["rewind", "--to", "4"]), 0);
    assert!(name("V5__").is_none());
    assert!(name("V4__").is_some() && name("V3__").is_some(), "nothing removed");
    assert_exit(&dddc(p.path(), &["check"]), 0);
    assert_exit(&dddc(p.path(), &["rewind", "--to", "3", "--discard-hand-written"]), 0);
    assert!(name("V4__").is_none() && name("V3__").is_some());
    assert_exit(&dddc(p.path(), &["rewind", "--to", "1"]), 0);
    assert_exit(&dddc(p.path(), &["build"]), 0);
    assert_exit(&dddc(p.path(), &["check"]), 0);
}

/// A patch of the lock (`snapshot_undo`) edited by hand so that it still
/// fits the snapshot (here V3's, shifted one line to take back column `m`
/// instead of `k`) rewound to a wrong schema without a word, and the next
/// build planned from it. Each generated migration now records the digest
/// of the snapshot after it: `rewind` refuses that patch and writes
/// nothing. A snapshot reflowed by hand, and a lock written before the
/// digests (none recorded), still rewind.
#[test]
fn rewind_refuses_a_snapshot_patch_edited_by_hand() {
    let model = "/// M.\nmodel m {\n  target postgres 16\n}\n\n/// C.\ncontext c {\n  /// A.\n  aggregate A {\n    /// N.\n    n: int\n  }\n}\n";
    let with_m = model.replace("    n: int\n", "    n: int\n    /// M.\n    m: text?\n");
    let with_k = with_m.replace("    m: text?\n", "    m: text?\n    /// K.\n    k: int?\n");
    let p = project(&[("m.ddd", model), ("dddc.toml", "[lint]\nmin_score = 0\n")]);
    let mig = p.path().join("db/migration");
    let snapshot = mig.join("dddc.schema");
    let lock = mig.join("dddc.lock");
    assert_exit(&dddc(p.path(), &["build"]), 0);
    std::fs::write(p.path().join("m.ddd"), &with_m).expect("write");
    assert_exit(&dddc(p.path(), &["build"]), 0);
    let v2 = std::fs::read_to_string(&snapshot).expect("V2's snapshot");
    std::fs::write(p.path().join("m.ddd"), &with_k).expect("write");
    assert_exit(&dddc(p.path(), &["build"]), 0);
    let v3 = std::fs::read_to_string(&snapshot).expect("V3's snapshot");
    let built = std::fs::read_to_string(&lock).expect("the lock");
    let mut json: serde_json::Value = serde_json::from_str(&built).expect("JSON");
    for m in json["migrations"].as_array().expect("migrations") {
        assert!(m["snapshot_blake3"].is_string(), "each generated migration records its digest: {m}");
    }
    // `=a -1 =b`: keep a lines, take back the next one (`k`), keep b.
    let ops: Vec<String> = serde_json::from_value(json["migrations"][2]["snapshot_undo"].clone()).expect("ops");
    let count = |op: &str, sign: char| op.strip_prefix(sign).and_then(|n| n.parse::<usize>().ok()).expect("an op");
    assert!(ops.len() == 3 && ops[1] == "-1", "V3's patch takes back one line: {ops:?}");
    let (a, b) = (count(&ops[0], '='), count(&ops[2], '='));
    assert!(v3.lines().nth(a).is_some_and(|l| l.contains("column k ")), "the line taken back is `k`");
    json["migrations"][2]["snapshot_undo"] = serde_json::json!([format!("={}", a + 1), "-1", format!("={}", b - 1)]);
    let edited = format!("{}\n", serde_json::to_string_pretty(&json).expect("JSON"));
    std::fs::write(&lock, &edited).expect("write");
    let listing = || {
        let mut names: Vec<String> = std::fs::read_dir(&mig)
            .expect("dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let before = listing();
    let r = dddc(p.path(), &["rewind", "--to", "2"]);
    assert_exit(&r, 1);
    assert!(
        r.stderr.contains(
            "taking the snapshot back through `V3__add_k_to_a.sql` does not give the one `V2__add_m_to_a.sql` left"
        ) && r.stderr.contains("edited by hand"),
        "{}",
        r.stderr
    );
    assert_eq!(listing(), before, "nothing removed");
    assert_eq!(std::fs::read_to_string(&lock).expect("lock"), edited, "the lock is left as it was");
    assert_eq!(std::fs::read_to_string(&snapshot).expect("snapshot"), v3, "the snapshot is left as it was");
    // The lock as built, its snapshot reflowed by hand (the same schema):
    // rewound from the text dddc wrote.
    std::fs::write(&lock, &built).expect("write");
    std::fs::write(&snapshot, v3.replace("{\"", "{ \"")).expect("write");
    assert_exit(&dddc(p.path(), &["rewind", "--to", "2"]), 0);
    assert_eq!(std::fs::read_to_string(&snapshot).expect("snapshot"), v2, "V2's snapshot");
    // A lock without digests (an older dddc's): not checked, rewound.
    std::fs::write(p.path().join("m.ddd"), &with_k).expect("write");
    assert_exit(&dddc(p.path(), &["build"]), 0);
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&lock).expect("lock")).expect("JSON");
    for m in json["migrations"].as_array_mut().expect("migrations") {
        m.as_object_mut().expect("an object").remove("snapshot_blake3");
    }
    std::fs::write(&lock, format!("{}\n", serde_json::to_string_pretty(&json).expect("JSON"))).expect("write");
    assert_exit(&dddc(p.path(), &["check"]), 0);
    // Its next migration records the digest of the snapshot it starts from.
    let with_j = with_k.replace("    k: int?\n", "    k: int?\n    /// J.\n    j: int?\n");
    std::fs::write(p.path().join("m.ddd"), &with_j).expect("write");
    assert_exit(&dddc(p.path(), &["build"]), 0);
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&lock).expect("lock")).expect("JSON");
    let digests: Vec<bool> =
        json["migrations"].as_array().expect("migrations").iter().map(|m| m["snapshot_blake3"].is_string()).collect();
    assert_eq!(digests, [false, false, true, true], "V3's, and V4's");
    assert_exit(&dddc(p.path(), &["rewind", "--to", "2"]), 0);
    assert_eq!(std::fs::read_to_string(&snapshot).expect("snapshot"), v2, "V2's snapshot");
    assert_exit(&dddc(p.path(), &["build"]), 0);
    assert_exit(&dddc(p.path(), &["check"]), 0);
}

/// An argument clap refuses, with `--format json`: one JSON document on
/// stdout too (stdout was empty), the usage error its diagnostic, exit 2.
/// Help and version print as before.
#[test]
fn a_usage_error_is_one_json_document_when_json_is_asked() {
    let p = project(&[]);
    for (args, command, message) in [
        (&["--format", "json", "build", "--bogus"][..], "build", "unexpected argument '--bogus' found"),
        (&["--format=json", "rewind", "7"][..], "rewind", "unexpected argument '7' found"),
        (&["--format", "json", "bogus"][..], "", "unrecognized subcommand 'bogus'"),
    ] {
        let run = dddc(p.path(), args);
        assert_exit(&run, 2);
        let v: serde_json::Value = serde_json::from_str(run.stdout.trim()).expect("one JSON document");
        assert_eq!(v["command"], command, "{v}");
        assert_eq!(v["ok"], false);
        assert_eq!(v["exit_code"], 2);
        assert_eq!(v["diagnostics"][0]["code"], "usage");
        assert_eq!(v["diagnostics"][0]["message"], message, "{v}");
        assert!(run.stderr.contains(message), "{}", run.stderr);
    }
    // A non-UTF-8 argument (one reason clap refuses) is no panic.
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let out = Command::new(env!("CARGO_BIN_EXE_dddc"))
            .args(["--format", "json", "new"])
            .arg(std::ffi::OsStr::from_bytes(b"\xff"))
            .current_dir(p.path())
            .output()
            .expect("run dddc");
        assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
        assert_eq!(v["command"], "new", "{v}");
    }
    let plain = dddc(p.path(), &["build", "--bogus"]);
    assert_exit(&plain, 2);
    assert!(plain.stdout.is_empty(), "{}", plain.stdout);
    let help = dddc(p.path(), &["--format", "json", "--help"]);
    assert_exit(&help, 0);
    assert!(help.stdout.starts_with("Compile a DDD domain model"), "{}", help.stdout);
}

/// `dddc init` writes a project that passes `fmt --check`, `lint` and
/// `check` as it is, and keeps passing after a build.
#[test]
fn a_new_project_passes_every_gate() {
    let dir = tempfile::tempdir().expect("temp dir");
    assert_exit(&dddc(dir.path(), &["init", "p"]), 0);
    let p = dir.path().join("p");
    for args in [&["fmt", "--check"][..], &["lint"], &["check"], &["build"], &["check"]] {
        let r = dddc(&p, args);
        assert_eq!(r.code, 0, "dddc {}:\n{}{}", args.join(" "), r.stdout, r.stderr);
    }
}

/// SARIF locations are paths from the repository's root, also under `-C`.
#[test]
fn sarif_paths_are_relative_to_the_repository() {
    let repo = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(repo.path().join(".git")).unwrap();
    let sub = repo.path().join("models/shop");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(
        sub.join("model.ddd"),
        "model m {\n  target postgres 16\n}\ncontext c {\n  aggregate A {\n    data: json\n  }\n}\n",
    )
    .unwrap();
    let r = dddc(repo.path(), &["-C", "models/shop", "--format", "sarif", "lint"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("sarif");
    let uris: Vec<String> = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["locations"].as_array().cloned().unwrap_or_default())
        .filter_map(|l| l["physicalLocation"]["artifactLocation"]["uri"].as_str().map(str::to_string))
        .collect();
    assert!(!uris.is_empty(), "{v}");
    assert!(uris.iter().all(|u| u == "models/shop/model.ddd"), "{uris:?}");
}

/// `build` removes the documentation it no longer writes (a removed
/// context's ERD, as PlantUML and SVG) and nothing else: the team's own
/// files in the documentation folder stay, and `check` does not call them
/// left over.
#[test]
fn build_removes_stale_generated_docs_and_keeps_the_teams_own() {
    let two = "model m {\n  target postgres 16\n  defaults {\n    no timestamps\n  }\n}\n\ncontext a {\n  aggregate A {\n    n: int\n  }\n}\n\ncontext b {\n  aggregate B {\n    n: int\n  }\n}\n";
    let p = project(&[
        ("model.ddd", two),
        ("dddc.toml", "[lint]\nmin_score = 0\n"),
        ("docs/README.md", "# Our notes\n\nHow we use the model.\n"),
        ("docs/erd/legend.js", "// our own script\n"),
    ]);
    assert_exit(&dddc(p.path(), &["build"]), 0);
    assert!(p.path().join("docs/erd/b.puml").exists() && p.path().join("docs/erd/b.svg").exists());
    let one = two.replace("\ncontext b {\n  aggregate B {\n    n: int\n  }\n}\n", "");
    std::fs::write(p.path().join("model.ddd"), one).unwrap();
    assert_exit(&dddc(p.path(), &["build", "--allow-destructive"]), 0);
    assert!(!p.path().join("docs/erd/b.puml").exists() && !p.path().join("docs/erd/b.svg").exists(), "stale ERD kept");
    assert!(p.path().join("docs/README.md").exists(), "the team's README was deleted");
    assert!(p.path().join("docs/erd/legend.js").exists(), "the team's script was deleted");
    assert_exit(&dddc(p.path(), &["check"]), 0);
}

/// A model of one aggregate in one context.
const ONE_AGGREGATE: &str = "model m {\n  target postgres 16\n}\n\ncontext c {\n  aggregate A {\n    n: int\n  }\n}\n";

/// `-q` prints errors only: `lint -q` of a review with warnings and notes
/// that passes prints nothing (it printed the whole report); one that
/// fails prints its error findings and the score against the minimum.
#[test]
fn lint_quiet_prints_errors_only() {
    let p = one_aggregate_project();
    let loud = dddc(p.path(), &["lint"]);
    assert_exit(&loud, 0);
    assert!(loud.stdout.contains("warning[L007]") && loud.stdout.contains("design score"), "{}", loud.stdout);
    let quiet = dddc(p.path(), &["-q", "lint"]);
    assert_exit(&quiet, 0);
    assert_eq!(quiet.stdout, "", "a passing review, quiet");
    // `password` as plain text is an error finding (L003).
    let model = ONE_AGGREGATE.replace("n: int", "n: int\n    password: text");
    let p = project(&[("model.ddd", &model), ("dddc.toml", "[lint]\nmin_score = 90\n")]);
    let quiet = dddc(p.path(), &["-q", "lint"]);
    assert_exit(&quiet, 1);
    assert!(quiet.stdout.contains("error[L003]"), "{}", quiet.stdout);
    assert!(!quiet.stdout.contains("warning[") && !quiet.stdout.contains("note["), "{}", quiet.stdout);
    assert!(quiet.stdout.contains("(minimum 90)"), "{}", quiet.stdout);
}

/// A project of [`ONE_AGGREGATE`], no minimum design score.
fn one_aggregate_project() -> tempfile::TempDir {
    project(&[("model.ddd", ONE_AGGREGATE), ("dddc.toml", "[lint]\nmin_score = 0\n")])
}

/// Every file and folder under `dir` but the local memo (`.dddc`), by its
/// path from `dir`, with its bytes (none for a folder), sorted.
fn listing(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            let rel = path.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            if rel == ".dddc" {
                continue;
            }
            if path.is_dir() {
                stack.push(path.clone());
                all.push((rel, Vec::new()));
            } else {
                all.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    all.sort();
    all
}

/// A replaced template whose loops would take 10^10 steps hung `build`
/// for good: a render stops after `[docs] template_steps` steps (the
/// default here, then a smaller one), with an error that says so and names
/// the setting, and nothing is written.
#[test]
fn a_template_that_never_ends_is_stopped() {
    let endless =
        "@startuml\n{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}\n@enduml\n";
    for (config, steps) in [("", "100000000"), ("template_steps = 5000\n", "5000")] {
        let config = format!("[lint]\nmin_score = 0\n\n[docs]\ntemplates = \"tpl\"\n{config}");
        let p = project(&[("model.ddd", ONE_AGGREGATE), ("dddc.toml", &config), ("tpl/erd_overview.puml.j2", endless)]);
        let before = listing(p.path());
        let run = dddc(p.path(), &["build"]);
        assert_exit(&run, 1);
        assert!(
            run.stderr.contains(&format!("template `erd_overview.puml.j2` took more than {steps} steps")),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("template_steps"), "{}", run.stderr);
        assert_eq!(listing(p.path()), before, "a failed build left files");
    }
    // None is no budget at all: refused when the settings are read.
    let p = project(&[("model.ddd", ONE_AGGREGATE), ("dddc.toml", "[docs]\ntemplate_steps = 0\n")]);
    let run = dddc(p.path(), &["build"]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("[docs] template_steps must be from 1"), "{}", run.stderr);
    // The same project's built-in templates, replaced by themselves, fit
    // in a few thousand steps each.
    let config = "[lint]\nmin_score = 0\n\n[docs]\ntemplates = \"tpl\"\ntemplate_steps = 100000\n";
    let same = include_str!("../templates/docs/erd_overview.puml.j2");
    let p = project(&[("model.ddd", ONE_AGGREGATE), ("dddc.toml", config), ("tpl/erd_overview.puml.j2", same)]);
    assert_exit(&dddc(p.path(), &["build"]), 0);
}

/// A build stages its migrations and lock while it makes the documents
/// (their text is then dropped): when the documents fail, those staged
/// files go too. Nothing is written, no temporary file stays, and the
/// project is as before, first build or not.
#[test]
fn a_build_whose_documents_fail_writes_nothing_it_staged() {
    let model = ONE_AGGREGATE;
    let config = "[lint]\nmin_score = 0\n\n[docs]\ntemplates = \"tpl\"\n";
    let p = project(&[("model.ddd", model), ("dddc.toml", config), ("tpl/erd_overview.puml.j2", "{{ modle }}\n")]);
    let before = listing(p.path());
    let run = dddc(p.path(), &["build"]);
    assert_exit(&run, 1);
    assert!(run.stderr.contains("erd_overview.puml.j2"), "{}", run.stderr);
    assert_eq!(listing(p.path()), before, "a failed first build left files");

    // Built, then a change whose documents fail: no V2, the lock as it was.
    std::fs::write(p.path().join("tpl/erd_overview.puml.j2"), "@startuml\n{{ model }}\n@enduml\n").unwrap();
    assert_exit(&dddc(p.path(), &["build"]), 0);
    std::fs::write(p.path().join("model.ddd"), model.replace("n: int", "n: int\n    m: int?")).unwrap();
    std::fs::write(p.path().join("tpl/erd_overview.puml.j2"), "{{ modle }}\n").unwrap();
    let before = listing(p.path());
    assert_exit(&dddc(p.path(), &["build"]), 1);
    assert_eq!(listing(p.path()), before, "a failed build left files");

    // Mended, it writes V2.
    std::fs::write(p.path().join("tpl/erd_overview.puml.j2"), "@startuml\n{{ model }}\n@enduml\n").unwrap();
    assert_exit(&dddc(p.path(), &["build"]), 0);
    let names: Vec<String> = listing(p.path()).into_iter().map(|(name, _)| name).collect();
    assert!(names.iter().any(|n| n == "db/migration/V2__add_m_to_a.sql"), "{names:?}");
    assert_exit(&dddc(p.path(), &["check"]), 0);
}

/// A first build killed while it renamed its files into place (the lock
/// last) leaves V1 without a lock: the next build finishes it, since V1 is
/// byte for byte what it writes. A V1 it would not write is history it
/// must not overwrite (`a_lost_lock_never_rewrites_history`, git_workflow).
#[test]
fn a_first_build_killed_before_its_lock_is_finished_by_the_next() {
    let model = ONE_AGGREGATE;
    let p = one_aggregate_project();
    assert_exit(&dddc(p.path(), &["build"]), 0);
    let mig = p.path().join("db/migration");
    let v1 = std::fs::read(mig.join("V1__init.sql")).unwrap();
    let lock = std::fs::read(mig.join("dddc.lock")).unwrap();
    // As if killed after V1, U1 and the snapshot were renamed.
    std::fs::remove_file(mig.join("dddc.lock")).unwrap();
    let check = dddc(p.path(), &["check"]);
    assert_exit(&check, 1);
    assert!(check.stderr.contains("run `dddc build`"), "{}", check.stderr);
    let run = dddc(p.path(), &["build"]);
    assert_exit(&run, 0);
    // It says that V1 was there, and that it wrote the lock.
    assert!(run.stderr.contains("without its lock: V1__init.sql"), "{}", run.stderr);
    assert!(!run.stderr.contains("wrote V1"), "{}", run.stderr);
    assert!(run.stderr.contains("db/migration/dddc.lock"), "{}", run.stderr);
    assert_eq!(std::fs::read(mig.join("V1__init.sql")).unwrap(), v1);
    assert_eq!(std::fs::read(mig.join("dddc.lock")).unwrap(), lock);
    assert_exit(&dddc(p.path(), &["check"]), 0);

    // A snapshot other than the one this build writes is history: a V2
    // that may have run, its files gone since, though V1 is the same.
    let snapshot = std::fs::read_to_string(mig.join("dddc.schema")).unwrap();
    std::fs::remove_file(mig.join("dddc.lock")).unwrap();
    std::fs::write(
        mig.join("dddc.schema"),
        snapshot.replace(r#"column n {"type":"INTEGER"}"#, r#"column n {"type":"BIGINT"}"#),
    )
    .unwrap();
    assert_ne!(std::fs::read_to_string(mig.join("dddc.schema")).unwrap(), snapshot, "the test's edit");
    let run = dddc(p.path(), &["build"]);
    assert_exit(&run, 1);
    assert!(run.stderr.contains("but no lock") && run.stderr.contains("dddc.schema"), "{}", run.stderr);
    assert!(!mig.join("dddc.lock").exists(), "a lock written over another snapshot");
    // With the snapshot as this build writes it, the build finishes.
    std::fs::write(mig.join("dddc.schema"), &snapshot).unwrap();
    assert_exit(&dddc(p.path(), &["build"]), 0);
    assert_eq!(std::fs::read(mig.join("dddc.lock")).unwrap(), lock);

    // Killed before the snapshot too, and the model edited since: this
    // build's V1 is not the one on disk, which may have run.
    std::fs::remove_file(mig.join("dddc.lock")).unwrap();
    std::fs::remove_file(mig.join("dddc.schema")).unwrap();
    std::fs::write(p.path().join("model.ddd"), model.replace("n: int", "n: int\n    m: int?")).unwrap();
    let run = dddc(p.path(), &["build"]);
    assert_exit(&run, 1);
    assert!(run.stderr.contains("but no lock"), "{}", run.stderr);
    assert_eq!(std::fs::read(mig.join("V1__init.sql")).unwrap(), v1, "V1 untouched");
    let mut left: Vec<String> =
        std::fs::read_dir(&mig).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    assert_eq!(left, ["U1__init.sql", "V1__init.sql"], "nothing written, no temporary file");
}

/// A build killed between its last two renames (the snapshot, then the
/// lock) leaves the new snapshot beside the old lock, which refuses it by
/// its digest, and the old snapshot kept aside under a temporary name:
/// `check` says to build, and the build puts the kept one back and writes
/// its change again. (The next build removed the kept copy with the other
/// temporary files, and every command then refused the project.)
#[test]
fn a_build_killed_between_the_snapshot_and_the_lock_is_put_right_by_the_next() {
    let model = ONE_AGGREGATE;
    let p = one_aggregate_project();
    assert_exit(&dddc(p.path(), &["build"]), 0);
    let mig = p.path().join("db/migration");
    let (old_lock, old_snapshot) =
        (std::fs::read(mig.join("dddc.lock")).unwrap(), std::fs::read(mig.join("dddc.schema")).unwrap());
    std::fs::write(p.path().join("model.ddd"), model.replace("n: int", "n: int\n    m: int?")).unwrap();
    assert_exit(&dddc(p.path(), &["build"]), 0);
    let (new_lock, new_snapshot) =
        (std::fs::read(mig.join("dddc.lock")).unwrap(), std::fs::read(mig.join("dddc.schema")).unwrap());
    let v2: Vec<String> = std::fs::read_dir(&mig)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("V2__"))
        .collect();
    assert_eq!(v2.len(), 1, "{v2:?}");
    // As the build left it when killed after renaming the snapshot: the
    // old lock, the new snapshot, the old one under its second name.
    std::fs::write(mig.join("dddc.lock"), &old_lock).unwrap();
    std::fs::write(mig.join(".dddc-dddc.schema.kept-4242.tmp"), &old_snapshot).unwrap();
    let check = dddc(p.path(), &["check"]);
    assert_exit(&check, 1);
    assert!(check.stderr.contains("digest differs"), "{}", check.stderr);
    assert!(check.stderr.contains("`dddc build` puts back"), "{}", check.stderr);
    let run = dddc(p.path(), &["build"]);
    assert_exit(&run, 0);
    assert!(run.stderr.contains("put back db/migration/dddc.schema"), "{}", run.stderr);
    assert_eq!(std::fs::read(mig.join("dddc.lock")).unwrap(), new_lock);
    assert_eq!(std::fs::read(mig.join("dddc.schema")).unwrap(), new_snapshot);
    assert!(!mig.join(".dddc-dddc.schema.kept-4242.tmp").exists());
    assert_exit(&dddc(p.path(), &["check"]), 0);

    // A kept copy the lock does not record is not taken, nor named by
    // check's help: the project stays refused, with the help for a hand edit.
    std::fs::write(mig.join("dddc.schema"), &old_snapshot).unwrap();
    std::fs::write(mig.join(".dddc-dddc.schema.kept-4343.tmp"), &old_snapshot).unwrap();
    let check = dddc(p.path(), &["check"]);
    assert_exit(&check, 1);
    assert!(check.stderr.contains("digest differs") && !check.stderr.contains("puts back"), "{}", check.stderr);
    let run = dddc(p.path(), &["build"]);
    assert_exit(&run, 1);
    assert!(run.stderr.contains("digest differs"), "{}", run.stderr);
    assert_eq!(std::fs::read(mig.join("dddc.schema")).unwrap(), old_snapshot, "the snapshot is left as found");

    // A checkout with CRLF line ends (git on Windows): the kept copy is
    // CRLF too, and the lock records the LF text.
    std::fs::write(mig.join("dddc.schema"), &new_snapshot).unwrap();
    assert_exit(&dddc(p.path(), &["check"]), 0);
    let crlf = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap().replace('\n', "\r\n");
    std::fs::write(mig.join("dddc.lock"), &old_lock).unwrap();
    std::fs::write(mig.join("dddc.schema"), crlf(&new_snapshot)).unwrap();
    std::fs::write(mig.join(".dddc-dddc.schema.kept-4444.tmp"), crlf(&old_snapshot)).unwrap();
    let check = dddc(p.path(), &["check"]);
    assert!(check.stderr.contains("`dddc build` puts back"), "{}", check.stderr);
    let run = dddc(p.path(), &["build"]);
    assert_exit(&run, 0);
    assert!(run.stderr.contains("put back db/migration/dddc.schema"), "{}", run.stderr);
    assert_eq!(std::fs::read(mig.join("dddc.lock")).unwrap(), new_lock);
    assert_exit(&dddc(p.path(), &["check"]), 0);
}

/// Without a lock, the build refuses any migration Flyway would run that
/// it does not write itself: in a subfolder (Flyway scans them), a
/// baseline, or another first build's V1 (run with another `--name`, whose
/// help says what to do). A repeatable migration carries no version and
/// is left alone.
#[test]
fn without_a_lock_every_versioned_migration_flyway_finds_is_history() {
    let p = one_aggregate_project();
    let mig = p.path().join("db/migration");
    let refused = |file: &str| {
        let path = mig.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "CREATE TABLE legacy (id bigint);\n").unwrap();
        let run = dddc(p.path(), &["build"]);
        assert_exit(&run, 1);
        assert!(run.stderr.contains("but no lock") && run.stderr.contains(file), "{file}: {}", run.stderr);
        assert!(!mig.join("V1__init.sql").exists() && !mig.join("dddc.lock").exists(), "{file}: written");
        std::fs::remove_file(&path).unwrap();
    };
    refused("old/V1__legacy.sql");
    refused("B5__baseline.sql");
    refused("U1__init.sql");
    // A version Flyway would refuse is refused here too.
    refused("V1a__old.sql");

    // Another first build's V1: run again as it was, it finishes.
    std::fs::write(mig.join("R__views.sql"), "CREATE OR REPLACE VIEW v AS SELECT 1;\n").unwrap();
    assert_exit(&dddc(p.path(), &["build", "--name", "first"]), 0);
    assert!(mig.join("V1__first.sql").exists());
    std::fs::remove_file(mig.join("dddc.lock")).unwrap();
    let run = dddc(p.path(), &["build", "--name", "second"]);
    assert_exit(&run, 1);
    assert!(run.stderr.contains("help: if that lock was never committed"), "{}", run.stderr);
    assert!(!mig.join("V1__second.sql").exists());
    assert_exit(&dddc(p.path(), &["build", "--name", "first"]), 0);
    assert_exit(&dddc(p.path(), &["check"]), 0);
}

/// A hand-written migration recorded by the same build that writes the
/// next migration: the lock is written once, with both and the new schema
/// (the build drops the lock's own schema before its documents when it
/// writes the lock again, and writes the lock from it only when it does
/// not).
#[test]
fn a_hand_written_migration_recorded_with_a_model_change() {
    let model = ONE_AGGREGATE;
    let p = one_aggregate_project();
    assert_exit(&dddc(p.path(), &["build"]), 0);
    assert_exit(&dddc(p.path(), &["new", "seed"]), 0);
    let v2 = p.path().join("db/migration/V2__seed.sql");
    let text = std::fs::read_to_string(&v2).unwrap() + "INSERT INTO c.a (n) VALUES (1);\n";
    std::fs::write(&v2, text).unwrap();
    let u2 = p.path().join("db/migration/U2__seed.sql");
    std::fs::write(&u2, std::fs::read_to_string(&u2).unwrap() + "DELETE FROM c.a WHERE n = 1;\n").unwrap();
    std::fs::write(p.path().join("model.ddd"), model.replace("n: int", "n: int\n    m: int?")).unwrap();
    let run = dddc(p.path(), &["build"]);
    assert_exit(&run, 0);
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(said.contains("recorded the hand-written migration V2__seed.sql"), "{said}");
    assert!(said.contains("wrote V3__add_m_to_a.sql"), "{said}");
    let lock = std::fs::read_to_string(p.path().join("db/migration/dddc.lock")).unwrap();
    for file in ["V1__init.sql", "V2__seed.sql", "V3__add_m_to_a.sql"] {
        assert!(lock.contains(file), "{file} not in the lock:\n{lock}");
    }
    let schema = std::fs::read_to_string(p.path().join("db/migration/dddc.schema")).unwrap();
    assert!(schema.lines().any(|l| l.contains(" m ")), "the new column is not in the snapshot:\n{schema}");
    assert_exit(&dddc(p.path(), &["check"]), 0);
}

/// `[docs] language` decides the comments dddc writes into the database;
/// switching it later is a migration that rewrites them
/// (docs/configuration.md says so).
#[test]
fn switching_the_language_rewrites_the_generated_comments() {
    let model = ONE_AGGREGATE;
    let p = project(&[("model.ddd", model), ("dddc.toml", "[lint]\nmin_score = 0\n\n[docs]\nlanguage = \"en\"\n")]);
    assert_exit(&dddc(p.path(), &["build"]), 0);
    let v1 = std::fs::read_to_string(p.path().join("db/migration/V1__init.sql")).unwrap();
    assert!(v1.contains("COMMENT ON FUNCTION public.trigger_set_timestamp()"), "{v1}");
    std::fs::write(p.path().join("dddc.toml"), "[lint]\nmin_score = 0\n\n[docs]\nlanguage = \"es\"\n").unwrap();
    assert_exit(&dddc(p.path(), &["build", "--name", "espanol"]), 0);
    let v2 = std::fs::read_to_string(p.path().join("db/migration/V2__espanol.sql")).expect("a V2");
    let comment = v2.lines().find(|l| l.starts_with("COMMENT ON FUNCTION public.trigger_set_timestamp()")).expect(&v2);
    assert!(!v1.contains(comment), "V2 writes the same comment as V1:\n{comment}");
}

/// A closed pipe on the warnings (`dddc build 2>&1 | head -1`) ends the
/// program at its first write there, as for any Unix tool, but only once
/// the files are written: the warnings come after them.
#[test]
fn a_closed_pipe_on_the_warnings_does_not_lose_the_build() {
    let p = project(&[("mitoga.ddd", WARNING_ONLY)]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_dddc"))
        .args(["build", "--color", "never"])
        .current_dir(p.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run dddc");
    // The reading end closed before the program writes anything there.
    drop(child.stderr.take());
    let status = child.wait().expect("wait for dddc");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGPIPE), "the warning went to a closed pipe: {status:?}");
    }
    assert!(p.path().join("db/migration/V1__init.sql").is_file(), "the build was lost");
    let check = dddc(p.path(), &["check", "--color", "never"]);
    assert_exit(&check, 0);
}

// ------------------------------------------------ the real-world shape --

/// `genmodel --odd mitoga`, the benchmark's real-world shape.
#[path = "../tools/genmodel/src/odd.rs"]
#[allow(dead_code)]
mod odd;

/// The benchmark's real-world shape (MiToga's contexts copied, a file per
/// context) builds and checks clean, and its edit plans one migration
/// that adds the one column: a shape that stopped compiling, or an edit
/// that stopped changing anything, would time the wrong thing.
#[test]
fn the_real_world_shape_builds_checks_and_plans_its_edit() {
    let config = ("dddc.toml", "model = \"model.ddd\"\n\n[lint]\nmin_score = 0\n");
    let files = odd::mitoga(3, false).expect("the shape");
    let mut all: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    all.push(config);
    let p = project(&all);
    assert_exit(&dddc(p.path(), &["build"]), 0);
    assert_exit(&dddc(p.path(), &["check"]), 0);
    for (path, text) in odd::mitoga(3, true).expect("the edited shape") {
        std::fs::write(p.path().join(path), text).expect("write");
    }
    assert_exit(&dddc(p.path(), &["build"]), 0);
    let mig = p.path().join("db/migration");
    let v2: Vec<String> = std::fs::read_dir(&mig)
        .expect("migrations")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("V2__") && n.ends_with(".sql"))
        .collect();
    assert_eq!(v2.len(), 1, "{v2:?}");
    let sql = std::fs::read_to_string(mig.join(&v2[0])).expect("V2");
    let added = "ALTER TABLE reservas_1.reservas ADD COLUMN IF NOT EXISTS nota_interna VARCHAR(200);";
    assert!(sql.contains(added), "the middle copy's table gets the column: {sql}");
    assert_eq!(sql.matches("ADD COLUMN").count(), 1, "{sql}");
    assert_exit(&dddc(p.path(), &["check"]), 0);
}

/// Every other shape of `scripts/bench-shapes.sh`, at a small size, builds,
/// then builds its edit into a second migration, and checks clean: a shape
/// that stopped compiling would time an error message, and an edit that
/// planned nothing would time a build with nothing to do.
#[test]
fn every_benchmark_shape_builds_its_edit_and_checks_clean() {
    let config = ("dddc.toml", "model = \"model.ddd\"\n\n[lint]\nmin_score = 0\n");
    for shape in odd::SHAPES.iter().filter(|s| **s != "mitoga") {
        let files = odd::files(shape, 60, false).expect("a shape");
        let mut all: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
        all.push(config);
        let p = project(&all);
        let first = dddc(p.path(), &["build"]);
        assert!(first.code == 0, "{shape}: {}", first.stderr);
        let edited = odd::files(shape, 60, true).expect("its edit");
        assert_ne!(files, edited, "{shape}: the edit changes the model");
        for (path, text) in edited {
            std::fs::write(p.path().join(path), text).expect("write");
        }
        let second = dddc(p.path(), &["build", "--allow-destructive"]);
        assert!(second.code == 0, "{shape}: {}", second.stderr);
        assert!(second.stderr.contains("wrote V2__"), "{shape}: the edit plans a migration: {}", second.stderr);
        let check = dddc(p.path(), &["check"]);
        assert!(check.code == 0, "{shape}: {}", check.stderr);
    }
}

/// A naming convention turned on renames every table, and the drop of the
/// old one is refused: its help said to add `@was(OldName)`, which names
/// the aggregate itself (E0509). It now says to keep the table with `as`,
/// and that advice builds.
#[test]
fn a_table_renamed_by_the_naming_convention_is_refused_with_help_that_works() {
    let before = "/// M.\nmodel m {\n  target postgres 16\n}\n\n/// S.\ncontext s {\n  /// Person.\n  aggregate Person {\n    /// N.\n    n: int\n  }\n}\n";
    let after = before.replace("  target postgres 16\n", "  target postgres 16\n  tables plural_en\n");
    let p = project(&[("model.ddd", before), ("dddc.toml", "[lint]\nmin_score = 0\n")]);
    assert_exit(&dddc(p.path(), &["build"]), 0);
    std::fs::write(p.path().join("model.ddd"), &after).expect("write");
    let refused = dddc(p.path(), &["build", "--color", "never"]);
    assert_exit(&refused, 1);
    assert!(refused.stderr.contains("its table now named `people`"), "{}", refused.stderr);
    assert!(refused.stderr.contains("add `as person` to the aggregate"), "{}", refused.stderr);
    std::fs::write(p.path().join("model.ddd"), after.replace("aggregate Person {", "aggregate Person as person {"))
        .expect("write");
    let kept = dddc(p.path(), &["build"]);
    assert_exit(&kept, 0);
    let v2 = std::fs::read_dir(p.path().join("db/migration"))
        .expect("migrations")
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with("V2"));
    assert!(!v2, "the table kept as it was: nothing to migrate: {}", kept.stderr);
}

/// An enum renamed (`@was`) onto the name of an enum the same edit
/// removes is not renamed over it: the build is refused (the old type
/// keeps a value the new one lacks) and writes nothing. It wrote a guarded
/// rename PostgreSQL skipped, then a default the old type refused.
#[test]
fn an_enum_renamed_onto_a_removed_enums_name_is_refused() {
    let before = "/// M.\nmodel m {\n  target postgres 16\n}\n\n/// C.\ncontext c {\n  /// A.\n  enum A native {\n    /// Y.\n    Y\n  }\n  /// B.\n  enum B native {\n    /// Z.\n    Z\n  }\n  /// T.\n  aggregate T {\n    /// a.\n    a: A = Y\n    /// b.\n    b: B = Z\n  }\n}\n";
    let after = "/// M.\nmodel m {\n  target postgres 16\n}\n\n/// C.\ncontext c {\n  /// B, once A.\n  enum B native @was(A) {\n    /// X, once Y.\n    X @was(Y)\n  }\n  /// T.\n  aggregate T {\n    /// a.\n    a: B = X\n  }\n}\n";
    let p = project(&[("model.ddd", before), ("dddc.toml", "[lint]\nmin_score = 0\n")]);
    assert_exit(&dddc(p.path(), &["build"]), 0);
    std::fs::write(p.path().join("model.ddd"), after).expect("write");
    let refused = dddc(p.path(), &["build"]);
    assert_ne!(refused.code, 0, "{}", refused.stderr);
    assert!(refused.stderr.contains("would remove values from native enum `c.b`: Z"), "{}", refused.stderr);
    assert!(!p.path().join("db/migration/V2__update_t.sql").exists());
    assert!(!std::fs::read_dir(p.path().join("db/migration"))
        .unwrap()
        .any(|e| { e.unwrap().file_name().to_string_lossy().starts_with("V2") }));
}

/// A value removed from one enum is refused even when another enum renames
/// a value of the same name in the same edit (`X @was(Y)` in `A`, `Y`
/// removed from `E`): the renamed values were one set of names for every
/// enum, so the removal went through, and for a native type the lock then
/// lacked a value PostgreSQL still had. Native and CHECK-based.
#[test]
fn a_value_renamed_in_one_enum_does_not_excuse_one_removed_from_another() {
    for native in [" native", ""] {
        let model = |after: bool| {
            let (a_value, e_values, default) = if after {
                ("X @was(Y)", "    /// Z.\n    Z\n", "X")
            } else {
                ("Y", "    /// Y.\n    Y\n    /// Z.\n    Z\n", "Y")
            };
            format!(
                "/// M.\nmodel m {{\n  target postgres 16\n}}\n\n/// C.\ncontext c {{\n  /// A.\n  enum A{native} {{\n    /// Y.\n    {a_value}\n    /// W.\n    W\n  }}\n  /// E.\n  enum E{native} {{\n{e_values}  }}\n  /// T.\n  aggregate T {{\n    /// a.\n    a: A = {default}\n    /// e.\n    e: E = Z\n  }}\n}}\n"
            )
        };
        let p = project(&[("model.ddd", &model(false)), ("dddc.toml", "[lint]\nmin_score = 0\n")]);
        assert_exit(&dddc(p.path(), &["build"]), 0);
        std::fs::write(p.path().join("model.ddd"), model(true)).expect("write");
        let refused = dddc(p.path(), &["build"]);
        assert_ne!(refused.code, 0, "{native}: {}", refused.stderr);
        let said = if native.is_empty() {
            "would remove value(s) Y of `c.t.e`"
        } else {
            "remove values from native enum `c.e`: Y"
        };
        assert!(refused.stderr.contains(said), "{native}: {}", refused.stderr);
        assert!(!refused.stderr.contains("`c.a`"), "A's rename is not a loss: {}", refused.stderr);
    }
}

/// The pages of the site are written in Rust only while the project
/// replaces none of their templates (debug builds, as
/// this test runs, also render them through the templates and stop at a
/// difference). A project that replaces the layout, the macros or a page
/// gets its own template's output on those pages.
#[test]
fn a_replaced_site_template_is_the_one_rendered() {
    let config = "[lint]\nmin_score = 0\n\n[docs]\nhtml = true\ntemplates = \"tpl\"\n";
    let builtin = [
        ("site_layout.html.j2", include_str!("../templates/docs/site_layout.html.j2"), "<footer>"),
        ("site_macros.html.j2", include_str!("../templates/docs/site_macros.html.j2"), "<figure class=\"diagram\">"),
        ("site_context.html.j2", include_str!("../templates/docs/site_context.html.j2"), "<h1>"),
        ("site_aggregate.html.j2", include_str!("../templates/docs/site_aggregate.html.j2"), "<h1>"),
        ("site_index.html.j2", include_str!("../templates/docs/site_index.html.j2"), "<h1>"),
        ("site_lint.html.j2", include_str!("../templates/docs/site_lint.html.j2"), "<h1>"),
        ("site_migrations.html.j2", include_str!("../templates/docs/site_migrations.html.j2"), "<h1>"),
    ];
    // Which pages show each template's mark: the layout frames every page,
    // the macros' diagram is on the index, context and aggregate pages,
    // each page its own heading.
    let on = |file: &str| match file {
        "site_layout.html.j2" => {
            vec!["context-c.html", "aggregate-c-a.html", "index.html", "lint.html", "migrations.html"]
        }
        "site_macros.html.j2" => vec!["context-c.html", "aggregate-c-a.html", "index.html"],
        "site_context.html.j2" => vec!["context-c.html"],
        "site_index.html.j2" => vec!["index.html"],
        "site_lint.html.j2" => vec!["lint.html"],
        "site_migrations.html.j2" => vec!["migrations.html"],
        _ => vec!["aggregate-c-a.html"],
    };
    for (file, text, anchor) in builtin {
        assert!(text.contains(anchor), "{file} has no `{anchor}`");
        let replaced = text.replacen(anchor, &format!("<!-- replaced {file} -->{anchor}"), 1);
        let p = project(&[("model.ddd", ONE_AGGREGATE), ("dddc.toml", config), (&format!("tpl/{file}"), &replaced)]);
        assert_exit(&dddc(p.path(), &["build"]), 0);
        for page in on(file) {
            let html = std::fs::read_to_string(p.path().join("docs/site").join(page)).unwrap();
            assert!(html.contains(&format!("<!-- replaced {file} -->")), "{page} without the replaced {file}");
        }
        assert_exit(&dddc(p.path(), &["check"]), 0);
    }
    // None replaced: the same pages, without the marks.
    let p = project(&[("model.ddd", ONE_AGGREGATE), ("dddc.toml", "[lint]\nmin_score = 0\n\n[docs]\nhtml = true\n")]);
    assert_exit(&dddc(p.path(), &["build"]), 0);
    let html = std::fs::read_to_string(p.path().join("docs/site/aggregate-c-a.html")).unwrap();
    assert!(html.contains("<section class=\"table\"") && !html.contains("<!-- replaced"), "{html}");
}
