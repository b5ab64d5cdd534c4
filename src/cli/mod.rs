//! The commands of the binary, one file per group, over a shared
//! [`Output`]: human text on stderr, and under `--format json` exactly one
//! JSON document per command on stdout (its shape is in
//! `docs/json-output.md`).

pub mod build;
pub mod check;
pub mod db;
pub mod lint;
pub mod misc;
pub mod team;

use std::cell::RefCell;
use std::io::Write;
use std::path::{Path, PathBuf};

use dddc::config;
use dddc::diagnostics::{self, ColorChoice, Diagnostic, Sources};
use serde_json::{json, Map, Value};

/// Exit codes (see the CLI reference): 0 ok, 1 model errors, a refused
/// change or a failed check, 2 usage or I/O errors.
pub const EXIT_FAIL: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// SARIF 2.1.0 (`dddc lint` only), for code hosts to annotate pull requests.
    Sarif,
}

/// Where a command's words go. In text mode diagnostics and messages go to
/// stderr as they come; in JSON mode they are gathered, with the command's
/// own fields, into the one document [`Output::finish`] prints.
pub struct Output {
    pub color: ColorChoice,
    pub format: Format,
    pub quiet: bool,
    doc: RefCell<Doc>,
}

#[derive(Default)]
struct Doc {
    diagnostics: Vec<Value>,
    errors: usize,
    warnings: usize,
    fields: Map<String, Value>,
    /// A document printed already (SARIF): `finish` prints nothing more.
    printed: bool,
}

impl Output {
    pub fn new(color: ColorChoice, format: Format, quiet: bool) -> Output {
        Output { color, format, quiet, doc: RefCell::new(Doc::default()) }
    }

    pub fn json(&self) -> bool {
        self.format != Format::Text
    }

    /// Diagnostics: rendered on stderr, or gathered for the document.
    pub fn report(&self, sources: &Sources, diags: &[Diagnostic]) {
        let errors = diags.iter().filter(|d| d.is_error()).count();
        let warnings = diags.iter().filter(|d| d.severity == diagnostics::Severity::Warning).count();
        if self.json() {
            let v = diagnostics::render_json(sources, diags);
            let mut doc = self.doc.borrow_mut();
            doc.diagnostics.extend(v["diagnostics"].as_array().cloned().unwrap_or_default());
            doc.errors += errors;
            doc.warnings += warnings;
            return;
        }
        let shown: Vec<Diagnostic> = diags.iter().filter(|d| !self.quiet || d.is_error()).cloned().collect();
        let mut text = diagnostics::render_text(sources, &shown, self.color);
        if errors > 0 {
            text.push_str(&format!("error: {errors} error(s), {warnings} warning(s)\n"));
        } else if warnings > 0 && !self.quiet {
            text.push_str(&format!("warning: {warnings} warning(s)\n"));
        }
        let _ = std::io::stderr().write_all(text.as_bytes());
    }

    /// An error that is not about the model (a file, an argument): on
    /// stderr, or as a diagnostic with code `usage` in the document.
    pub fn error(&self, message: &str) {
        if self.json() {
            let mut doc = self.doc.borrow_mut();
            doc.diagnostics.push(json!({"code": "usage", "severity": "error", "message": message}));
            doc.errors += 1;
        } else {
            eprintln!("error: {message}");
        }
    }

    /// [`Output::error`], returning the usage exit code.
    pub fn usage_error(&self, message: &str) -> u8 {
        self.error(message);
        EXIT_USAGE
    }

    /// A line for people (stderr; nothing in JSON mode, where the document
    /// carries the facts, or with `-q`).
    pub fn say(&self, line: &str) {
        if !self.quiet && !self.json() {
            eprintln!("{line}");
        }
    }

    /// A field of the JSON document.
    pub fn field(&self, key: &str, value: Value) {
        self.doc.borrow_mut().fields.insert(key.to_string(), value);
    }

    /// The document has been printed by the command itself (SARIF).
    pub fn printed(&self) {
        self.doc.borrow_mut().printed = true;
    }

    /// Ends the command: in JSON mode, prints its one document; returns the
    /// exit code.
    pub fn finish(&self, command: &str, code: u8) -> u8 {
        let doc = self.doc.borrow();
        if self.json() && !doc.printed {
            let mut obj = Map::new();
            obj.insert("command".into(), command.into());
            obj.insert("ok".into(), (code == 0).into());
            obj.insert("exit_code".into(), code.into());
            obj.insert("diagnostics".into(), Value::Array(doc.diagnostics.clone()));
            obj.insert("errors".into(), doc.errors.into());
            obj.insert("warnings".into(), doc.warnings.into());
            for (k, v) in &doc.fields {
                obj.insert(k.clone(), v.clone());
            }
            println!("{}", Value::Object(obj));
        }
        code
    }
}

/// A value the command keeps until the process exits: the model, its
/// sources and its schema are millions of small allocations, and freeing
/// them one by one just before exit cost 1-10 % of a command on a large
/// model (profiled at 2,000 aggregates). Every command runs once per
/// process, so the memory goes back to the system with the process.
pub type Kept<T> = std::mem::ManuallyDrop<T>;

/// Loads and validates the model named by `arg`.
pub fn load(out: &Output, arg: Option<&Path>) -> Result<(config::Project, Kept<dddc::Frontend>), u8> {
    let project = discover(out, arg)?;
    let fe = frontend(out, &project)?;
    Ok((project, fe))
}

/// The design lint of the model, on the schema the front end lowered
/// (`None` when there is none). `build` and `check` run it on a second
/// thread while they build.
pub fn design_lint(
    project: &config::Project,
    fe: &dddc::Frontend,
    model: &dddc::model::Model,
) -> Option<dddc::lint::Report> {
    let _p = dddc::timing::phase("lint");
    fe.schema.as_ref().map(|schema| dddc::lint::lint(model, schema, &project.config.lint))
}

/// The project `arg` names (or the one around the current folder).
pub fn discover(out: &Output, arg: Option<&Path>) -> Result<config::Project, u8> {
    config::discover(arg).map_err(|e| out.usage_error(&e))
}

/// The front end on the project's model.
pub fn frontend(out: &Output, project: &config::Project) -> Result<Kept<dddc::Frontend>, u8> {
    frontend_remembering(out, project, None)
}

/// [`frontend`], files parsed by an earlier run read back from `memo`.
pub fn frontend_remembering(
    out: &Output,
    project: &config::Project,
    memo: Option<&dddc::memo::Memo>,
) -> Result<Kept<dddc::Frontend>, u8> {
    let display = display_path(&project.model);
    dddc::frontend_remembering(&project.model, &display, project.config.docs.language, memo)
        .map(Kept::new)
        .map_err(|e| out.usage_error(&e.0))
}

/// Loads the model, which must be valid: on errors they are reported and
/// the exit code returned.
pub fn load_model(
    out: &Output,
    arg: Option<&Path>,
) -> Result<(config::Project, Kept<dddc::Frontend>, Kept<dddc::model::Model>), u8> {
    let (project, mut fe) = load(out, arg)?;
    match fe.model.take() {
        Some(model) => Ok((project, fe, Kept::new(model))),
        None => {
            out.report(&fe.sources, &fe.diagnostics);
            Err(EXIT_FAIL)
        }
    }
}

/// The migrations folder of the project.
pub fn migrations_dir(project: &config::Project) -> PathBuf {
    project.dir.join(&project.config.migrations.dir)
}

/// The texts of `dddc.lock` and `dddc.schema`, each `None` when missing.
pub fn read_lock(project: &config::Project) -> Result<(Option<String>, Option<String>), String> {
    let dir = migrations_dir(project);
    let read = |name: &str| {
        let path = dir.join(name);
        match dddc::output::read_regular_to_string(&path) {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    };
    Ok((read(dddc::lock::LOCK_FILE)?, read(dddc::lock::SNAPSHOT_FILE)?))
}

/// The lock, if there is one; an unreadable one is an error (reported).
pub fn load_lock(out: &Output, project: &config::Project) -> Result<Option<dddc::lock::Lock>, u8> {
    load_lock_and_snapshot(out, project).map(|(lock, _)| lock)
}

/// [`load_lock`], with the text of `dddc.schema` the lock was read from.
pub fn load_lock_and_snapshot(
    out: &Output,
    project: &config::Project,
) -> Result<(Option<dddc::lock::Lock>, Option<String>), u8> {
    report_lock(out, project, read_and_parse_lock(project))
}

/// What [`read_and_parse_lock`] found: the lock and its snapshot's text,
/// or what to report.
pub type LockRead = Result<(Option<dddc::lock::Lock>, Option<String>), LockProblem>;

/// Why the lock could not be read.
pub enum LockProblem {
    /// A file could not be read (a usage error).
    Unreadable(String),
    /// `dddc.lock` or `dddc.schema` does not parse.
    Invalid(String),
}

/// Reads and parses the lock, printing nothing: a caller may run it on a
/// second thread while the model is compiled, and report with
/// [`report_lock`] afterwards, in the order it always did.
pub fn read_and_parse_lock(project: &config::Project) -> LockRead {
    let (lock, snapshot) = read_lock(project).map_err(LockProblem::Unreadable)?;
    let Some(text) = lock else { return Ok((None, snapshot)) };
    let lock = dddc::lock::Lock::parse(&text, snapshot.as_deref()).map_err(LockProblem::Invalid)?;
    Ok((Some(lock), snapshot))
}

/// Reports what [`read_and_parse_lock`] could not read (and returns the
/// exit code), or hands over the lock and its snapshot's text.
pub fn report_lock(
    out: &Output,
    project: &config::Project,
    read: LockRead,
) -> Result<(Option<dddc::lock::Lock>, Option<String>), u8> {
    read.map_err(|problem| match problem {
        LockProblem::Unreadable(e) => out.usage_error(&e),
        LockProblem::Invalid(e) => {
            let dir = migrations_dir(project);
            let lock_path = dir.join(dddc::lock::LOCK_FILE);
            let e = dddc::lock::with_help(e, &dir);
            out.error(&format!("{}: {e}", lock_path.display()));
            EXIT_FAIL
        }
    })
}

/// The migrations Flyway would run from the folder, at any depth (it
/// scans subfolders too): versioned, undo and baseline ones (`V…`, `U…`,
/// `B…` `.sql`) and their `.sql.conf`, as paths relative to `dir`, and any
/// `V…__`/`U…__` `.sql` whose version Flyway would refuse (`V1a__x.sql`).
/// What a lost lock must not be rebuilt over. Repeatable ones (`R__…`)
/// are the user's and carry no version: they are left out. Hidden
/// folders (`.git`, `.dddc`) are not looked in.
/// What makes `dir` a project already, without `dddc.toml`: a `.ddd` file
/// in it, or a migrations folder (`db/migration`) with anything in it
/// (named: its lock, else its first file).
/// `init` and `import` write a new project and overwrite none.
pub fn existing_project(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "ddd"))
        .or_else(|| Some(dir.join("db/migration").join(dddc::lock::LOCK_FILE)).filter(|l| l.exists()))
        .or_else(|| std::fs::read_dir(dir.join("db/migration")).ok()?.flatten().map(|e| e.path()).min())
}

pub fn migration_files_on_disk(dir: &Path) -> Vec<String> {
    use dddc::check::{flyway_kind, FlywayFile};
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = format!("{prefix}{name}");
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                if !name.starts_with('.') {
                    walk(&e.path(), &format!("{rel}/"), out);
                }
            } else if matches!(flyway_kind(&name), FlywayFile::Versioned | FlywayFile::Undo | FlywayFile::Baseline)
                || (name.ends_with(".sql") && (name.starts_with('V') || name.starts_with('U')) && name.contains("__"))
            {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out.sort();
    out
}

/// `SOURCE_DATE_EPOCH`, when set to a number.
pub fn source_date_epoch() -> Option<i64> {
    std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|v| v.trim().parse().ok())
}

pub fn now_epoch() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// The path as the user would write it: relative to the working directory.
pub fn display_path(p: &Path) -> PathBuf {
    let p = p.strip_prefix("./").unwrap_or(p);
    p.to_path_buf()
}

/// The score below which lint fails: the command line's, else the
/// configuration's, else the seed's 85.
pub fn min_score(cli: Option<u32>, config: &config::Config) -> u32 {
    cli.or(config.lint.min_score).unwrap_or(config::DEFAULT_MIN_SCORE)
}

/// Paths written or removed, as strings for the document.
pub fn paths(list: &[PathBuf]) -> Value {
    Value::Array(list.iter().map(|p| Value::String(p.display().to_string())).collect())
}
