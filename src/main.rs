//! The command line: arguments, files, exit codes. Nothing else prints or
//! touches the disk.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use dddc::output::{self, write_atomically};

use dddc::config;
use dddc::diagnostics::{self, codes, ColorChoice, Diagnostic, Sources};

#[derive(Parser)]
#[command(
    name = "dddc",
    version,
    about = "Compile a DDD domain model (.ddd) into PostgreSQL migrations, ERDs and a data dictionary"
)]
struct Cli {
    /// Run as if started in DIR.
    #[arg(short = 'C', global = true, value_name = "DIR")]
    chdir: Option<PathBuf>,
    /// When to colour diagnostics (NO_COLOR is honoured by `auto`).
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Report format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Print errors only.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    /// SARIF 2.1.0 (`dddc lint` only), for code hosts to annotate pull requests.
    Sarif,
}

#[derive(Subcommand)]
enum Command {
    /// Parse, resolve and validate the model only.
    Validate {
        /// A .ddd file or a folder (default: from dddc.toml, or the single .ddd file here).
        model: Option<PathBuf>,
    },
    /// Validate, then write the next migration and its undo if the model changed, the lock and the docs.
    Build {
        /// A .ddd file or a folder (default: from dddc.toml, or the single .ddd file here).
        model: Option<PathBuf>,
        /// Description of the migration, used in its file name.
        #[arg(long)]
        name: Option<String>,
        /// Print what would be written, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Allow changes that can lose data (drops, narrowing types, NOT NULL without a value).
        #[arg(long)]
        allow_destructive: bool,
    },
    /// The CI gate: fail when anything generated is missing, stale or edited by hand. Writes nothing.
    Check {
        /// A .ddd file or a folder.
        model: Option<PathBuf>,
    },
    /// Print the SQL the next build would write, and what it would refuse.
    Plan {
        /// A .ddd file or a folder.
        model: Option<PathBuf>,
    },
    /// Design lint and the 0–100 design score (exit 1 on an error finding or a score below the minimum).
    Lint {
        /// A .ddd file or a folder.
        model: Option<PathBuf>,
        /// Fail below this score (default: `[lint] min_score`, else 85).
        #[arg(long)]
        min_score: Option<u32>,
        /// Lint the SQL migrations in DIR (default: `[migrations] dir`)
        /// with squawk instead of the model: hand-written ones too, each in
        /// a transaction unless its `.conf` says otherwise.
        #[arg(long, value_name = "DIR", num_args = 0..=1)]
        migrations: Option<Option<PathBuf>>,
    },
    /// The language server, over stdio (for editors).
    Lsp,
    /// Rewrite .ddd files in the canonical layout (comments kept).
    Fmt {
        /// Exit 1 when a file is not formatted, writing nothing.
        #[arg(long)]
        check: bool,
        /// Files to format (default: the model and its includes).
        files: Vec<PathBuf>,
    },
    /// Explain a diagnostic code: what, why, an example and the fix.
    Explain { code: String },
    /// Create a starter project: dddc.toml, a small commented model, an empty migration folder.
    Init {
        /// Folder to create the project in (default: here).
        dir: Option<PathBuf>,
    },
    /// Print a shell completion script.
    Completions { shell: clap_complete::Shell },
}

/// Exit codes (see ../shared/spec/cli.md): 0 ok, 1 model errors or a failed
/// check, 2 usage or I/O errors.
const EXIT_FAIL: u8 = 1;
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    // Written output to a closed pipe (`dddc plan | head`) ends the program
    // quietly, as for any Unix tool, instead of panicking in `println!`.
    reset_sigpipe();
    // The front end and the printers recurse over expressions and nested
    // declarations. The syntax limits bound that depth; a generous stack is
    // the second line of defence (only the pages touched are committed).
    let worker = std::thread::Builder::new().stack_size(256 << 20).spawn(run);
    match worker.map(|w| w.join()) {
        Ok(Ok(code)) => code,
        _ => ExitCode::from(EXIT_USAGE),
    }
}

#[cfg(unix)]
fn reset_sigpipe() {
    // SAFETY: restoring the default disposition of SIGPIPE before any thread
    // starts; no Rust code relies on SIGPIPE being ignored.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn reset_sigpipe() {}

fn run() -> ExitCode {
    let cli = Cli::parse();
    if let Some(dir) = &cli.chdir {
        if let Err(e) = std::env::set_current_dir(dir) {
            eprintln!("error: cannot enter `{}`: {e}", dir.display());
            return ExitCode::from(EXIT_USAGE);
        }
    }
    let color = match cli.color {
        Color::Always => ColorChoice::Always,
        Color::Never => ColorChoice::Never,
        Color::Auto => {
            if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) || !std::io::stderr().is_terminal() {
                ColorChoice::Never
            } else {
                ColorChoice::Always
            }
        }
    };
    let out = Output { color, format: cli.format, quiet: cli.quiet };
    let code = match cli.command {
        Command::Validate { model } => validate(&out, model.as_deref()),
        Command::Build { model, name, dry_run, allow_destructive } => {
            build(&out, model.as_deref(), name.as_deref(), dry_run, allow_destructive)
        }
        Command::Check { model } => check(&out, model.as_deref()),
        Command::Lint { model, min_score: _, migrations: Some(dir) } => {
            lint_migrations(&out, model.as_deref(), dir.as_deref())
        }
        Command::Lint { model, min_score, migrations: None } => lint(&out, model.as_deref(), min_score),
        Command::Plan { model } => plan(&out, model.as_deref()),
        Command::Fmt { check, files } => fmt(&out, check, files),
        Command::Explain { code } => explain(&code),
        Command::Init { dir } => init(dir.as_deref()),
        Command::Lsp => dddc::lsp::serve(),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "dddc", &mut std::io::stdout());
            0
        }
    };
    ExitCode::from(code)
}

struct Output {
    color: ColorChoice,
    format: Format,
    quiet: bool,
}

impl Output {
    /// Prints diagnostics (text on stderr, JSON on stdout; SARIF is for lint
    /// only and falls back to JSON here).
    fn report(&self, sources: &Sources, diags: &[Diagnostic]) {
        match self.format {
            Format::Json | Format::Sarif => println!("{}", diagnostics::render_json(sources, diags)),
            Format::Text => {
                let shown: Vec<Diagnostic> = diags.iter().filter(|d| !self.quiet || d.is_error()).cloned().collect();
                let mut text = diagnostics::render_text(sources, &shown, self.color);
                let errors = diags.iter().filter(|d| d.is_error()).count();
                let warnings = diags.iter().filter(|d| d.severity == diagnostics::Severity::Warning).count();
                if errors > 0 {
                    text.push_str(&format!("error: {errors} error(s), {warnings} warning(s)\n"));
                } else if warnings > 0 && !self.quiet {
                    text.push_str(&format!("warning: {warnings} warning(s)\n"));
                }
                let _ = std::io::stderr().write_all(text.as_bytes());
            }
        }
    }

    fn usage_error(&self, message: &str) -> u8 {
        match self.format {
            Format::Json | Format::Sarif => println!(
                "{}",
                serde_json::json!({"diagnostics": [{"code": "usage", "severity": "error", "message": message}], "errors": 1, "warnings": 0})
            ),
            Format::Text => eprintln!("error: {message}"),
        }
        EXIT_USAGE
    }
}

/// Loads and validates the model named by `arg`.
fn load(out: &Output, arg: Option<&Path>) -> Result<(config::Project, dddc::Frontend), u8> {
    let project = config::discover(arg).map_err(|e| out.usage_error(&e))?;
    let display = display_path(&project.model);
    let fe = dddc::frontend(&project.model, &display).map_err(|e| out.usage_error(&e.0))?;
    Ok((project, fe))
}

/// Loads the model, which must be valid: on errors they are reported and
/// the exit code returned.
fn load_model(out: &Output, arg: Option<&Path>) -> Result<(config::Project, dddc::Frontend, dddc::model::Model), u8> {
    let (project, mut fe) = load(out, arg)?;
    match fe.model.take() {
        Some(model) => Ok((project, fe, model)),
        None => {
            out.report(&fe.sources, &fe.diagnostics);
            Err(EXIT_FAIL)
        }
    }
}

/// The lock, if there is one.
fn load_lock(out: &Output, project: &config::Project) -> Result<Option<dddc::lock::Lock>, u8> {
    let (lock, snapshot) = read_lock(project).map_err(|e| out.usage_error(&e))?;
    let Some(text) = lock else { return Ok(None) };
    let lock_path = project.dir.join(&project.config.migrations.dir).join(dddc::lock::LOCK_FILE);
    dddc::lock::Lock::parse(&text, snapshot.as_deref()).map(Some).map_err(|e| {
        eprintln!("error: {}: {e}", lock_path.display());
        EXIT_FAIL
    })
}

/// `SOURCE_DATE_EPOCH`, when set to a number.
fn source_date_epoch() -> Option<i64> {
    std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|v| v.trim().parse().ok())
}

/// The path as the user would write it: relative to the working directory.
fn display_path(p: &Path) -> PathBuf {
    let p = p.strip_prefix("./").unwrap_or(p);
    p.to_path_buf()
}

fn validate(out: &Output, model: Option<&Path>) -> u8 {
    let (_, fe) = match load(out, model) {
        Ok(x) => x,
        Err(code) => return code,
    };
    out.report(&fe.sources, &fe.diagnostics);
    if fe.model.is_none() {
        return EXIT_FAIL;
    }
    if out.format == Format::Text && !out.quiet {
        let m = fe.model.as_ref().map(|m| (m.contexts.len(), m.aggregates.len())).unwrap_or_default();
        eprintln!("ok: {} file(s), {} context(s), {} aggregate(s)", fe.sources.len(), m.0, m.1);
    }
    0
}

fn explain(code: &str) -> u8 {
    if let Some(c) = codes::lookup(code) {
        print!("{}", c.explanation);
        return 0;
    }
    if let Some(rule) = dddc::lint::rule(code) {
        print!("{}", rule.explanation);
        if !rule.explanation.ends_with('\n') {
            println!();
        }
        return 0;
    }
    eprintln!("error: unknown code `{code}`; codes look like E0103 or L006 (see `dddc explain E0001`)");
    EXIT_FAIL
}

/// The score below which lint fails: the command line's, else the
/// configuration's, else the seed's 85.
fn min_score(cli: Option<u32>, config: &config::Config) -> u32 {
    cli.or(config.lint.min_score).unwrap_or(85)
}

fn lint(out: &Output, model: Option<&Path>, cli_min: Option<u32>) -> u8 {
    let (project, fe, model) = match load_model(out, model) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let model = &model;
    for problem in dddc::lint::check_config(&project.config.lint) {
        eprintln!("warning: dddc.toml [lint]: {problem}");
    }
    let schema = match dddc::relational::lower(model) {
        Ok(s) => s,
        Err(d) => {
            out.report(&fe.sources, &d);
            return EXIT_FAIL;
        }
    };
    let report = dddc::lint::lint(model, &schema, &project.config.lint);
    let min = min_score(cli_min, &project.config);
    match out.format {
        Format::Text => {
            let _ = std::io::stdout().write_all(dddc::lint::render_text(&report, &fe.sources, out.color).as_bytes());
            println!("minimum score: {min}");
        }
        Format::Json => println!("{}", dddc::lint::render_json(&report, &fe.sources)),
        Format::Sarif => println!("{}", dddc::lint::render_sarif(&report, &fe.sources)),
    }
    if dddc::lint::passes(&report, Some(min)) {
        0
    } else {
        EXIT_FAIL
    }
}

/// `dddc lint --migrations [DIR]`: squawk over every `.sql` file of DIR.
fn lint_migrations(out: &Output, model: Option<&Path>, dir: Option<&Path>) -> u8 {
    // The target version and the default folder come from the project,
    // when there is one.
    let project = config::discover(model).ok();
    let target = project
        .as_ref()
        .and_then(|p| dddc::frontend(&p.model, &p.model).ok())
        .and_then(|fe| fe.model.map(|m| m.target))
        .unwrap_or(15);
    let dir = match (dir, &project) {
        (Some(d), _) => d.to_path_buf(),
        (None, Some(p)) => p.dir.join(&p.config.migrations.dir),
        (None, None) => PathBuf::from(config::Migrations::default().dir),
    };
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "sql")).collect(),
        Err(e) => return out.usage_error(&format!("cannot read `{}`: {e}", dir.display())),
    };
    files.sort();
    let mut total = 0;
    let mut json = Vec::new();
    for f in &files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => return out.usage_error(&format!("cannot read `{}`: {e}", f.display())),
        };
        let conf = std::fs::read_to_string(format!("{}.conf", f.display())).unwrap_or_default();
        let transactional = !conf.lines().any(|l| l.replace(' ', "") == "executeInTransaction=false");
        for finding in dddc::lint::migrations::lint_file(&text, target, transactional) {
            total += 1;
            match out.format {
                Format::Text => {
                    println!(
                        "{}:{}:{}: warning[squawk {}]: {}",
                        f.display(),
                        finding.line,
                        finding.column,
                        finding.rule,
                        finding.message
                    );
                    if let Some(h) = &finding.help {
                        println!("  help: {h}");
                    }
                }
                _ => json.push(serde_json::json!({
                    "file": f.display().to_string(),
                    "line": finding.line,
                    "column": finding.column,
                    "rule": finding.rule,
                    "message": finding.message,
                    "help": finding.help,
                })),
            }
        }
    }
    match out.format {
        Format::Text if !out.quiet => {
            eprintln!("{} file(s) in {}, {total} squawk finding(s) (PostgreSQL {target})", files.len(), dir.display())
        }
        Format::Text => {}
        _ => println!("{}", serde_json::json!({ "findings": json, "files": files.len(), "target": target })),
    }
    if total == 0 {
        0
    } else {
        EXIT_FAIL
    }
}

fn fmt(out: &Output, check: bool, files: Vec<PathBuf>) -> u8 {
    // Default: the model and every file it includes.
    let files = if files.is_empty() {
        let project = match config::discover(None) {
            Ok(p) => p,
            Err(e) => return out.usage_error(&e),
        };
        let display = display_path(&project.model);
        match dddc::loader::load(&project.model, &display) {
            Ok(loaded) => loaded.sources.iter().map(|(_, f)| PathBuf::from(&f.name)).collect(),
            Err(e) => return out.usage_error(&e.0),
        }
    } else {
        files
    };
    let mut unformatted = Vec::new();
    let mut failed = false;
    let mut writes = Vec::new();
    for path in &files {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => return out.usage_error(&format!("cannot read {}: {e}", path.display())),
        };
        match dddc::syntax::fmt::format_text(&text) {
            Ok(formatted) if formatted == text => {}
            Ok(formatted) => {
                if check {
                    eprintln!("{}", dddc::check::unified_diff(path, &text, &formatted));
                }
                unformatted.push(path.clone());
                writes.push(dddc::build::Output { path: path.clone(), bytes: formatted.into_bytes() });
            }
            Err(diags) => {
                let mut sources = Sources::default();
                sources.add(path.display().to_string(), path.clone(), text);
                out.report(&sources, &diags);
                failed = true;
            }
        }
    }
    if failed {
        eprintln!("error: files with syntax errors were not formatted");
        return EXIT_FAIL;
    }
    if check {
        for p in &unformatted {
            eprintln!("not formatted: {}", p.display());
        }
        return if unformatted.is_empty() { 0 } else { EXIT_FAIL };
    }
    let refs: Vec<&dddc::build::Output> = writes.iter().collect();
    if let Err(e) = write_atomically(Path::new(""), &refs) {
        return out.usage_error(&e);
    }
    if !out.quiet {
        for p in &unformatted {
            eprintln!("formatted {}", p.display());
        }
    }
    0
}

const STARTER_MODEL: &str = include_str!("../templates/init/model.ddd");
const STARTER_CONFIG: &str = include_str!("../templates/init/dddc.toml");

fn init(dir: Option<&Path>) -> u8 {
    let dir = dir.unwrap_or(Path::new("."));
    let model = dir.join("model.ddd");
    let config_path = dir.join("dddc.toml");
    for p in [&model, &config_path] {
        if p.exists() {
            eprintln!("error: `{}` already exists; nothing was written", p.display());
            return EXIT_FAIL;
        }
    }
    let result = std::fs::create_dir_all(dir.join("db/migration"))
        .and_then(|_| std::fs::write(&config_path, STARTER_CONFIG))
        .and_then(|_| std::fs::write(&model, STARTER_MODEL));
    match result {
        Ok(()) => {
            eprintln!("created {} and {}; next: `dddc validate`", config_path.display(), model.display());
            0
        }
        Err(e) => {
            eprintln!("error: cannot write in `{}`: {e}", dir.display());
            EXIT_USAGE
        }
    }
}

fn build(out: &Output, model: Option<&Path>, name: Option<&str>, dry_run: bool, allow_destructive: bool) -> u8 {
    let (project, fe, model) = match load_model(out, model) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let model = &model;
    // One build at a time per project; what a killed one left is cleaned.
    let _lock = if dry_run {
        None
    } else {
        let mig_dir = project.dir.join(&project.config.migrations.dir);
        match output::lock_project(&project.dir, out.quiet) {
            Ok(l) => {
                output::remove_stale_temporaries(&mig_dir);
                output::remove_stale_temporaries(&project.dir.join(&project.config.docs.dir));
                Some(l)
            }
            Err(e) => return out.usage_error(&e),
        }
    };
    let lock = match load_lock(out, &project) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let source_date_epoch = source_date_epoch();
    let now_epoch =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let inputs = dddc::build::Inputs {
        config: &project.config,
        lock,
        name,
        source_date_epoch,
        now_epoch,
        allow_destructive,
        project_dir: &project.dir,
    };
    let plan = match dddc::build::plan(model, &inputs) {
        Ok(p) => p,
        Err(dddc::build::BuildError::Diagnostics(d)) => {
            let mut all = fe.diagnostics.clone();
            all.extend(d);
            out.report(&fe.sources, &all);
            return EXIT_FAIL;
        }
        Err(dddc::build::BuildError::Refused(refusals)) => {
            let mut all = fe.diagnostics.clone();
            all.extend(refusals.iter().map(|r| r.to_diagnostic()));
            out.report(&fe.sources, &all);
            if out.format == Format::Text {
                eprintln!("error: the model changes in ways that can lose data; nothing was written");
            }
            return EXIT_FAIL;
        }
        Err(dddc::build::BuildError::Message(m)) => {
            out.report(&fe.sources, &fe.diagnostics);
            eprintln!("error: {m}");
            return EXIT_FAIL;
        }
    };
    let mut all = fe.diagnostics.clone();
    all.extend(plan.warnings.iter().cloned());
    out.report(&fe.sources, &all);
    let changed: Vec<&dddc::build::Output> = plan
        .outputs
        .iter()
        .filter(|o| std::fs::read(project.dir.join(&o.path)).ok().as_deref() != Some(o.bytes.as_slice()))
        .collect();
    if changed.is_empty() {
        if !out.quiet {
            eprintln!("up to date: nothing to write");
        }
        return 0;
    }
    if dry_run {
        for o in &changed {
            println!("would write {}", o.path.display());
        }
        return 0;
    }
    if let Err(e) = write_atomically(&project.dir, &changed) {
        return out.usage_error(&e);
    }
    if !out.quiet {
        for n in &plan.notices {
            eprintln!("note: {n}");
        }
        for line in &plan.summary {
            eprintln!("wrote {line}");
        }
        for o in &changed {
            eprintln!("  {}", o.path.display());
        }
    }
    0
}

/// The texts of `dddc.lock` and `dddc.schema`, each `None` when missing.
fn read_lock(project: &config::Project) -> Result<(Option<String>, Option<String>), String> {
    let dir = project.dir.join(&project.config.migrations.dir);
    let read = |name: &str| {
        let path = dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    };
    Ok((read(dddc::lock::LOCK_FILE)?, read(dddc::lock::SNAPSHOT_FILE)?))
}

fn check(out: &Output, model: Option<&Path>) -> u8 {
    let (project, fe) = match load(out, model) {
        Ok(x) => x,
        Err(code) => return code,
    };
    out.report(&fe.sources, &fe.diagnostics);
    let Some(model) = fe.model.as_ref() else {
        eprintln!("check failed: the model has errors");
        return EXIT_FAIL;
    };
    let (lock_text, snapshot_text) = match read_lock(&project) {
        Ok(t) => t,
        Err(e) => return out.usage_error(&e),
    };
    let mig_dir = project.dir.join(&project.config.migrations.dir);
    let mut migration_files = Vec::new();
    collect_migrations(&mig_dir, "", &mut migration_files);
    migration_files.sort();
    let docs_dir = PathBuf::from(&project.config.docs.dir);
    let mut doc_files = Vec::new();
    collect_files(&project.dir, &docs_dir, &mut doc_files);
    let dir = project.dir.clone();
    let disk = dddc::check::Disk {
        lock_text,
        snapshot_text,
        migration_files,
        read: Box::new(move |p: &Path| std::fs::read(dir.join(p)).ok()),
        doc_files,
    };
    for r in dddc::check::repeatable_migrations(&disk) {
        if !out.quiet {
            eprintln!(
                "note: `{r}` is a repeatable migration: dddc leaves it alone (Flyway runs it after the versioned ones whenever it changes)"
            );
        }
    }
    let mut findings = dddc::check::run(model, &project.config, &project.dir, &disk);
    // Lint: errors or a score below the minimum fail the gate too.
    if let Ok(schema) = dddc::relational::lower(model) {
        let report = dddc::lint::lint(model, &schema, &project.config.lint);
        let min = min_score(None, &project.config);
        if !dddc::lint::passes(&report, Some(min)) {
            eprint!("{}", dddc::lint::render_text(&report, &fe.sources, out.color));
            findings.push(dddc::check::Finding {
                reason: format!(
                    "lint: {} error finding(s), design score {} (minimum {min}); see `dddc lint`",
                    report.errors(),
                    report.score
                ),
                diff: None,
            });
        }
    }
    if findings.is_empty() {
        if !out.quiet {
            eprintln!("check passed: migrations, lock and documentation are up to date");
        }
        return 0;
    }
    for f in &findings {
        eprintln!("error: {}", f.reason);
        if let Some(d) = &f.diff {
            eprintln!("{d}");
        }
    }
    eprintln!("check failed: {} problem(s)", findings.len());
    EXIT_FAIL
}

/// Every file under `dir` (subfolders included: Flyway searches them), as
/// `/`-separated paths relative to the migrations folder, with its bytes.
fn collect_migrations(dir: &Path, prefix: &str, out: &mut Vec<(String, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let path = e.path();
        let name = format!("{prefix}{}", e.file_name().to_string_lossy());
        if path.is_dir() {
            collect_migrations(&path, &format!("{name}/"), out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((name, bytes));
        }
    }
}

/// Generated-looking files under `rel` (Markdown, PlantUML, HTML), relative
/// to `base`, sorted.
fn collect_files(base: &Path, rel: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(base.join(rel)) else { return };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let Some(name) = p.file_name() else { continue };
        let child = rel.join(name);
        if p.is_dir() {
            collect_files(base, &child, out);
        } else if p.extension().is_some_and(|x| x == "md" || x == "puml" || x == "html") {
            out.push(child);
        }
    }
}

fn plan(out: &Output, model: Option<&Path>) -> u8 {
    let (project, fe, model) = match load_model(out, model) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let model = &model;
    let lock = match load_lock(out, &project) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let inputs = dddc::build::Inputs {
        lock,
        source_date_epoch: source_date_epoch(),
        ..dddc::build::Inputs::new(&project.config, &project.dir)
    };
    match dddc::build::plan(model, &inputs) {
        Ok(plan) => {
            let mut all = fe.diagnostics.clone();
            all.extend(plan.warnings.iter().cloned());
            if out.format == Format::Text {
                out.report(&fe.sources, &all);
            }
            let sql: Vec<&dddc::build::Output> = plan
                .outputs
                .iter()
                .filter(|o| o.path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('V')))
                .filter(|o| o.path.extension().is_some_and(|x| x == "sql"))
                .collect();
            if sql.is_empty() && !out.quiet {
                eprintln!("no changes: the database schema matches the model");
            }
            let report_of = |o: &dddc::build::Output| {
                let name = o.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                plan.files.iter().find(|r| r.file == name)
            };
            if out.format == Format::Json {
                let files: Vec<serde_json::Value> = sql
                    .iter()
                    .map(|o| {
                        let mut v = report_of(o).map(|r| r.to_json()).unwrap_or_else(|| serde_json::json!({}));
                        v["path"] = serde_json::json!(o.path.display().to_string());
                        v["text"] = serde_json::json!(String::from_utf8_lossy(&o.bytes));
                        v
                    })
                    .collect();
                // One document: the diagnostics and the migrations.
                let mut doc = diagnostics::render_json(&fe.sources, &all);
                doc["migrations"] = serde_json::json!(files);
                println!("{doc}");
                return 0;
            }
            for o in sql {
                println!("-- ===== {} =====", o.path.display());
                if let Some(r) = report_of(o) {
                    print!("{}", r.lock_report());
                    println!("--");
                }
                print!("{}", String::from_utf8_lossy(&o.bytes));
            }
            0
        }
        Err(dddc::build::BuildError::Refused(refusals)) => {
            let mut all = fe.diagnostics.clone();
            all.extend(refusals.iter().map(|r| r.to_diagnostic()));
            out.report(&fe.sources, &all);
            if out.format == Format::Text {
                eprintln!("error: the next build would refuse these changes (they can lose data)");
            }
            EXIT_FAIL
        }
        Err(dddc::build::BuildError::Diagnostics(d)) => {
            let mut all = fe.diagnostics.clone();
            all.extend(d);
            out.report(&fe.sources, &all);
            EXIT_FAIL
        }
        Err(dddc::build::BuildError::Message(m)) => {
            eprintln!("error: {m}");
            EXIT_FAIL
        }
    }
}
