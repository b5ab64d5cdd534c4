//! Schema evolution on a real PostgreSQL: every folder of
//! `tests/migrations/<case>/` is a series of model versions, and the example
//! history of `examples/history/` is replayed with the real binary.
//!
//! # A case folder
//!
//! | file | meaning |
//! |---|---|
//! | `v1.ddd`, `v2.ddd`, … | the model at each step (consecutive numbers) |
//! | `v<k>.expect_refusal` | the build of step k must be refused (`BuildError::Refused`): every line is a substring of some refusal (its change or its help); nothing is written and the next step starts from the same lock |
//! | `v<k>.expect_warning` | every line is a substring of some warning of the build (code or message); without this file a build must not warn |
//! | `v<k>.expect_sql` | assertions on the files step k writes, one per line: `text` (some new `V*.sql` contains it), `GLOB :: text` (some new file matching GLOB contains it), a leading `!` negates (no such file contains it) |
//! | `v<k>.expect_files` | one glob per line (`*` = any text) that some new file (V, U or .conf) must match; a leading `!` means none may; `=N` means exactly N new `V*.sql` files |
//! | `v<k>.allow_destructive` | step k is built with `--allow-destructive` (the whole case is when its name ends in `_destructive` or it holds a file `allow_destructive`) |
//! | `v<k>.name` | `--name` of step k |
//! | `data<k>.sql` | run after step k's migrations (plain SQL, any number of statements) |
//! | `check<k>.sql` | run after step k's migrations, before `data<k>.sql`: every statement returns one row whose single column is `true`, except a statement that starts with the line `-- rejects: TEXT`, which must fail with an error whose message (PostgreSQL's own, not its detail) contains TEXT; a statement whose first line is `-- owner only` runs only in the owner run (a superuser bypasses row-level security) |
//! | `v<k>.expect_apply_error` | a migration of step k must fail on the database with an error whose message contains the file's first line, and no `v<k+1>.ddd` may follow; the catalog must be as it was before it ran; `check<k>.sql` then runs and the case ends there (no central property, no undo: the history stops at the failure) |
//! | `check_undo<k>.sql` | the same, run once the undo scripts of step k have run |
//! | `dddc.toml` | the project configuration (default: none) |
//! | `skip_undo` | do not check the undo scripts; the file says which `known_bugs` case holds the full expectation |
//!
//! # What is checked, for every case
//!
//! 1. Each step is planned by `dddc::build::plan` with the lock the previous
//!    step wrote, the outputs are written to a project in a temporary folder,
//!    and: no earlier migration file is ever rewritten; the lock's checksums
//!    match the files; planning the same model again with the new lock writes
//!    nothing new (build is idempotent).
//! 2. On a fresh database, every new migration is applied in version order,
//!    the way Flyway runs it: inside one transaction, or — when a `.conf`
//!    says `executeInTransaction=false` — statement by statement outside any
//!    transaction. Each migration is applied twice: the second run must
//!    succeed and leave the catalog fingerprint unchanged.
//! 3. The central property (language reference §12): after the last step,
//!    the catalog of the evolved database equals the catalog of a fresh
//!    database where only the V1 of the final model ran (columns with type,
//!    nullability and default; constraints; indexes; triggers; comments;
//!    policies; partitions; enum labels in order; functions; privileges) —
//!    column order aside.
//! 4. Undo: the `U<N>` scripts run in reverse order, each twice, and after
//!    each the catalog equals the fingerprint taken just before `V<N>` ran.
//!
//! Cases under `tests/migrations/known_bugs/` state the correct expectation
//! for an engine bug that is not fixed yet; they run only with
//! `DDDC_KNOWN_BUGS=1`. `DDDC_CASE=substring` runs only the matching cases.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use dddc::build::{plan, BuildError, Inputs};
use dddc::config::{load_config, Config};
use dddc::lock::{sha256_hex, Lock};
use dddc::sql::split::split_statements;
use support::catalog::fingerprint;
use support::lock_audit::Audit;

const CASES: &str = "tests/migrations";
const KNOWN_BUGS: &str = "tests/migrations/known_bugs";
const HISTORY: &str = "examples/history";

/// The steps of the example history and the `--name` of each.
const HISTORY_STEPS: &[(&str, &str)] = &[
    ("v1.ddd", "init"),
    ("v2.ddd", "reservas_add_notas"),
    ("v3.ddd", "rename_tutor_biografia"),
    ("v4.ddd", "reservas_index_and_estado"),
    ("v5.ddd", "pagos_context"),
];

// ---------------------------------------------------------------- tests --

#[test]
fn migration_cases() {
    let cases = case_dirs(Path::new(CASES));
    assert!(
        std::env::var("DDDC_CASE").is_ok() || cases.len() >= 20,
        "expected at least 20 migration cases in {CASES}, found {}",
        cases.len()
    );
    run_cases(&cases, "m");
    // Every kind of statement the cases made act on an existing table took
    // exactly the lock the lock table claims.
    let audit = AUDIT.lock().unwrap_or_else(|p| p.into_inner());
    match audit.finish() {
        Ok(summary) => eprintln!("{summary}"),
        Err(e) => panic!("{e}"),
    }
}

/// What the lock audit saw over every case of [`migration_cases`].
static AUDIT: std::sync::LazyLock<Mutex<Audit>> = std::sync::LazyLock::new(|| Mutex::new(Audit::default()));

/// The same cases with every migration run by the tables' owner, an
/// ordinary role (no superuser, no BYPASSRLS), as a deploy pipeline runs
/// them: row-level security is forced on the owner, and nothing may rely on
/// superuser rights. Cases whose model needs PostGIS (an extension only a
/// superuser may create) are left to the superuser run.
#[test]
fn migration_cases_as_owner() {
    let cases: Vec<PathBuf> = case_dirs(Path::new(CASES))
        .into_iter()
        .filter(|d| {
            !std::fs::read_dir(d).into_iter().flatten().flatten().any(|f| {
                f.path().extension().is_some_and(|x| x == "ddd")
                    && std::fs::read_to_string(f.path()).is_ok_and(|t| t.contains("geo_point"))
            })
        })
        .collect();
    run_cases_as(&cases, "o", Some(OWNER));
}

/// The ordinary role that owns the databases of [`migration_cases_as_owner`].
const OWNER: &str = "dddc_owner";

#[test]
fn known_bugs() {
    if std::env::var("DDDC_KNOWN_BUGS").as_deref() != Ok("1") {
        eprintln!("known_bugs: skipped (set DDDC_KNOWN_BUGS=1 to run {KNOWN_BUGS})");
        return;
    }
    run_cases(&case_dirs(Path::new(KNOWN_BUGS)), "b");
}

/// The lock audit is not vacuous: a statement said to change only the
/// catalog that reads an existing table is caught, whether PostgreSQL
/// reads it row by row or through an index (each half of what the audit
/// reads: `pg_stat_xact_user_tables.seq_scan`, and each index's
/// `pg_stat_get_xact_numscans`).
#[test]
fn lock_audit_sees_reads() {
    use dddc::build::FileReport;
    use dddc::migrate::locks::Op;
    use dddc::relational::TableRef;
    use dddc::sql::stmt::Stmt;
    let mut db = support::pg::shared().create_database("m_audit_reads");
    db.batch_execute(
        "CREATE SCHEMA s; CREATE TABLE s.t (id bigint PRIMARY KEY, v int); \
         INSERT INTO s.t SELECT g, g FROM generate_series(1, 1000) g; ANALYZE s.t;",
    )
    .unwrap();
    let t = TableRef { schema: "s".into(), name: "t".into() };
    // A comment changes only the catalog; this one reads a row first.
    let sql = "DO $$ BEGIN PERFORM 1 FROM s.t WHERE id = 5; END $$;".to_string();
    let report = FileReport {
        file: "V2__reads.sql".into(),
        transactional: true,
        prelude: Vec::new(),
        statements: vec![Stmt::new(Op::Comment, Some(&t), sql.clone())],
        declared: Vec::new(),
    };
    for (how, settings) in [
        ("through the index", "SET enable_seqscan = off"),
        ("row by row", "SET enable_indexscan = off; SET enable_bitmapscan = off"),
    ] {
        db.batch_execute(&format!("RESET ALL; {settings}")).unwrap();
        // The read is the one each half is about.
        let plan: Vec<String> =
            db.query("EXPLAIN SELECT 1 FROM s.t WHERE id = 5", &[]).unwrap().iter().map(|r| r.get(0)).collect();
        let node = if how == "row by row" { "Seq Scan" } else { "Index" };
        assert!(plan.iter().any(|l| l.contains(node)), "{how}: {plan:#?}");
        let found = Audit::default().run(&mut db, &report, &sql);
        let err = found.expect_err(&format!("a read {how} was not seen"));
        assert!(err.contains("Comment is said to change only the catalog, but it reads every row s.t"), "{how}: {err}");
    }
    // Without the read, the same statement passes.
    let quiet = "DO $$ BEGIN PERFORM 1; END $$;".to_string();
    let report = FileReport { statements: vec![Stmt::new(Op::Comment, Some(&t), quiet.clone())], ..report };
    Audit::default().run(&mut db, &report, &quiet).unwrap();
}

/// `examples/history`: replaying the steps with the real binary gives the
/// committed migration files byte for byte, and they migrate PostgreSQL.
#[test]
fn example_history() {
    let root = Path::new(HISTORY);
    let steps = root.join("steps");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("examples/history/README.md");
    let tmp = tempfile::tempdir().expect("temp dir");
    let mig = tmp.path().join("db/migration");
    let mut generated = Generated::default();
    for (k, (file, name)) in HISTORY_STEPS.iter().enumerate() {
        assert!(readme.contains(name), "README.md does not mention step {file} (`--name {name}`)");
        let src = std::fs::read_to_string(steps.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        std::fs::write(tmp.path().join("mitoga.ddd"), &src).expect("write model");
        let before = listing(&mig);
        let out = Command::new(env!("CARGO_BIN_EXE_dddc"))
            .arg("-C")
            .arg(tmp.path())
            .args(["--color", "never", "build", "--name", name])
            .env_remove("SOURCE_DATE_EPOCH")
            .output()
            .expect("run dddc");
        assert!(
            out.status.success(),
            "dddc build of {file} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let files = new_migrations(&mig, &before).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(!files.is_empty(), "{file} wrote no migration");
        generated.steps.push(StepOut { k: k + 1, files });
        generated.final_source = Some(src);
    }
    // Byte for byte, the whole folder (lock included).
    let ours = listing(&mig);
    let committed = listing(&root.join("db/migration"));
    let names = |m: &BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&committed), names(&ours), "examples/history/db/migration holds other files than a replay writes");
    for (name, bytes) in &ours {
        assert!(
            committed.get(name) == Some(bytes),
            "examples/history/db/migration/{name} differs from what the steps generate; regenerate it (see README.md)"
        );
    }
    let last = std::fs::read_to_string(steps.join(HISTORY_STEPS[HISTORY_STEPS.len() - 1].0)).unwrap();
    let project_model = std::fs::read_to_string(root.join("mitoga.ddd")).expect("examples/history/mitoga.ddd");
    assert_eq!(project_model, last, "examples/history/mitoga.ddd must be the last step");
    generated.config = Config::default();
    let case = Case { dir: steps, db: "hist".into(), allow_destructive: false, owner: None };
    if let Err(e) = migrate_database(&case, &generated) {
        panic!("examples/history: {e}");
    }
}

// ---------------------------------------------------------------- cases --

struct Case {
    dir: PathBuf,
    /// Database name prefix, unique in the cluster.
    db: String,
    allow_destructive: bool,
    /// The role that owns the databases and runs the migrations (`None`:
    /// the superuser).
    owner: Option<&'static str>,
}

fn case_dirs(root: &Path) -> Vec<PathBuf> {
    let filter = std::env::var("DDDC_CASE").ok();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap_or_else(|e| panic!("read {}: {e}", root.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("v1.ddd").is_file())
        .filter(|p| filter.as_deref().is_none_or(|f| p.to_string_lossy().contains(f)))
        .collect();
    dirs.sort();
    dirs
}

/// Runs every case (a few at a time) and reports every failure at once.
fn run_cases(dirs: &[PathBuf], prefix: &str) {
    run_cases_as(dirs, prefix, None)
}

/// [`run_cases`], the migrations run by `owner` when given.
fn run_cases_as(dirs: &[PathBuf], prefix: &str, owner: Option<&'static str>) {
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let jobs = std::env::var("DDDC_MIGRATION_JOBS").ok().and_then(|j| j.parse().ok()).unwrap_or(3usize);
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(dir) = dirs.get(i) else { break };
                let name = dir.file_name().unwrap().to_string_lossy().to_string();
                let case = Case {
                    allow_destructive: name.ends_with("_destructive") || dir.join("allow_destructive").exists(),
                    db: format!("{prefix}_{name}"),
                    dir: dir.clone(),
                    owner,
                };
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_case(&case)));
                let msg = match result {
                    Ok(Ok(())) => None,
                    Ok(Err(e)) => Some(e),
                    Err(p) => Some(format!(
                        "panicked: {}",
                        p.downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default()
                    )),
                };
                if let Some(m) = msg {
                    failures.lock().unwrap().push(format!("--- {name}: {m}"));
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    assert!(failures.is_empty(), "{} of {} cases failed:\n\n{}", failures.len(), dirs.len(), failures.join("\n\n"));
}

fn run_case(case: &Case) -> Result<(), String> {
    let generated = generate(case)?;
    migrate_database(case, &generated)?;
    // A case that passed leaves nothing behind: the shared cluster may live
    // in memory (see dddc::pg), and a failed case's databases stay for a look.
    let mut admin = support::pg::shared().connect("postgres");
    for db in [case.db.clone(), format!("{}_fresh", case.db)] {
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"))
            .map_err(|e| format!("dropping {db}: {}", describe(&e)))?;
    }
    Ok(())
}

// ----------------------------------------------------------- generation --

/// One migration as Flyway sees it.
#[derive(Debug, Clone)]
struct MigFile {
    version: u64,
    file: String,
    sql: String,
    undo: Option<String>,
    /// A `.conf` with `executeInTransaction=false`.
    no_transaction: bool,
    /// What the build said the file does, statement by statement.
    report: Option<dddc::build::FileReport>,
}

struct StepOut {
    k: usize,
    files: Vec<MigFile>,
}

#[derive(Default)]
struct Generated {
    steps: Vec<StepOut>,
    /// The last model that built.
    final_source: Option<String>,
    config: Config,
    /// The schema the last lock records.
    snapshot: Option<dddc::relational::Schema>,
}

fn read_opt(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// The meaningful lines of an expectation file.
fn expectation_lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string).collect()
}

fn compile(tmp: &Path, src: &str) -> Result<dddc::model::Model, String> {
    let path = tmp.join("mitoga.ddd");
    std::fs::write(&path, src).map_err(|e| format!("write model: {e}"))?;
    let fe = dddc::frontend(&path, Path::new("mitoga.ddd")).map_err(|e| format!("cannot read the model: {e:?}"))?;
    fe.model.ok_or_else(|| {
        format!(
            "the model does not compile:\n{}",
            dddc::diagnostics::render_text(&fe.sources, &fe.diagnostics, dddc::diagnostics::ColorChoice::Never)
        )
    })
}

/// Plans every step of the case with the library, writing the outputs into
/// a project in a temporary folder, and checks what each step writes.
fn generate(case: &Case) -> Result<Generated, String> {
    let config = if case.dir.join("dddc.toml").exists() { load_config(&case.dir)? } else { Config::default() };
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mig = tmp.path().join(&config.migrations.dir);
    let mut lock: Option<Lock> = None;
    let mut out = Generated::default();
    for k in 1.. {
        let Some(src) = read_opt(&case.dir.join(format!("v{k}.ddd"))) else { break };
        let at = |e: String| format!("step v{k}: {e}");
        let model = compile(tmp.path(), &src).map_err(at)?;
        let name = read_opt(&case.dir.join(format!("v{k}.name"))).map(|n| n.trim().to_string());
        let inputs = Inputs {
            lock: lock.clone(),
            name: name.as_deref(),
            allow_destructive: case.allow_destructive || case.dir.join(format!("v{k}.allow_destructive")).exists(),
            ..Inputs::new(&config, tmp.path())
        };
        let expected_refusal = read_opt(&case.dir.join(format!("v{k}.expect_refusal")));
        let planned = plan(&model, &inputs);
        let planned = match (planned, expected_refusal) {
            (Err(BuildError::Refused(refusals)), Some(expected)) => {
                let text: Vec<String> =
                    refusals.iter().map(|r| format!("{} {} (help: {})", r.code, r.change, r.help)).collect();
                for line in expectation_lines(&expected) {
                    if !text.iter().any(|t| t.contains(&line)) {
                        return Err(at(format!("no refusal mentions {line:?}; refusals:\n  {}", text.join("\n  "))));
                    }
                }
                continue;
            }
            (Err(BuildError::Refused(refusals)), None) => {
                let text: Vec<String> =
                    refusals.iter().map(|r| format!("{} {} (help: {})", r.code, r.change, r.help)).collect();
                return Err(at(format!("refused unexpectedly:\n  {}", text.join("\n  "))));
            }
            (Err(e), _) => return Err(at(format!("build failed: {e:?}"))),
            (Ok(p), Some(_)) => {
                return Err(at(format!("expected a refusal, but the build plans {:?}", p.summary)));
            }
            (Ok(p), None) => p,
        };
        // Warnings.
        let warnings: Vec<String> = planned.warnings.iter().map(|w| format!("{}: {}", w.code, w.message)).collect();
        match read_opt(&case.dir.join(format!("v{k}.expect_warning"))) {
            Some(expected) => {
                for line in expectation_lines(&expected) {
                    if !warnings.iter().any(|w| w.contains(&line)) {
                        return Err(at(format!("no warning mentions {line:?}; warnings: {warnings:?}")));
                    }
                }
            }
            None if !warnings.is_empty() => return Err(at(format!("unexpected warnings: {warnings:?}"))),
            None => {}
        }
        // Write (docs included), never rewriting an earlier migration.
        let before = listing(&mig);
        for o in &planned.outputs {
            let dest = tmp.path().join(&o.path);
            let name = o.path.file_name().unwrap().to_string_lossy().to_string();
            let in_mig = dest.parent() == Some(mig.as_path());
            let lock_file = name == "dddc.lock" || name == "dddc.schema";
            if in_mig && !lock_file && before.get(&name).is_some_and(|b| b != &o.bytes) {
                return Err(at(format!("the build rewrites the existing migration {name}")));
            }
            std::fs::create_dir_all(dest.parent().unwrap()).map_err(|e| e.to_string())?;
            std::fs::write(&dest, &o.bytes).map_err(|e| e.to_string())?;
        }
        if let Ok(text) = std::fs::read_to_string(mig.join("dddc.lock")) {
            let snapshot = std::fs::read_to_string(mig.join("dddc.schema")).ok();
            let l = Lock::parse(&text, snapshot.as_deref()).map_err(at)?;
            check_lock_sums(&l, &mig).map_err(at)?;
            lock = Some(l);
        }
        // A second build with the new lock writes nothing new.
        let again = Inputs { lock: lock.clone(), ..inputs };
        match plan(&model, &again) {
            Ok(p) => {
                for o in &p.outputs {
                    if std::fs::read(tmp.path().join(&o.path)).ok().as_ref() != Some(&o.bytes) {
                        return Err(at(format!("building the same model again would write {}", o.path.display())));
                    }
                }
            }
            Err(e) => return Err(at(format!("building the same model again fails: {e:?}"))),
        }
        let mut files = new_migrations(&mig, &before).map_err(at)?;
        for f in &mut files {
            f.report = planned.files.iter().find(|r| r.file == f.file).cloned();
        }
        let written: BTreeMap<String, String> = listing(&mig)
            .into_iter()
            .filter(|(n, _)| !before.contains_key(n) && n != "dddc.lock" && n != "dddc.schema")
            .map(|(n, b)| (n, String::from_utf8_lossy(&b).to_string()))
            .collect();
        once_each(&written).map_err(at)?;
        if let Some(expected) = read_opt(&case.dir.join(format!("v{k}.expect_sql"))) {
            check_expect_sql(&expected, &written).map_err(at)?;
        }
        if let Some(expected) = read_opt(&case.dir.join(format!("v{k}.expect_files"))) {
            check_expect_files(&expected, &written).map_err(at)?;
        }
        out.steps.push(StepOut { k, files });
        out.final_source = Some(src);
    }
    if out.steps.is_empty() {
        return Err("no step built".into());
    }
    out.config = config;
    out.snapshot = lock.map(|l| l.schema);
    Ok(out)
}

/// Every file of a folder, by name.
fn listing(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.path().is_file() {
                out.insert(e.file_name().to_string_lossy().to_string(), std::fs::read(e.path()).unwrap_or_default());
            }
        }
    }
    out
}

/// `V<N>__…` → N.
fn version_of(file: &str) -> Option<u64> {
    file.strip_prefix('V')?.split("__").next()?.parse().ok()
}

/// The migrations that are in `dir` but not in `before`, in version order.
fn new_migrations(dir: &Path, before: &BTreeMap<String, Vec<u8>>) -> Result<Vec<MigFile>, String> {
    let now = listing(dir);
    let mut files = Vec::new();
    for (name, bytes) in &now {
        if before.contains_key(name) || !name.starts_with('V') || !name.ends_with(".sql") {
            continue;
        }
        let version = version_of(name).ok_or_else(|| format!("bad migration file name {name}"))?;
        let undo_name = format!("U{}", &name[1..]);
        let undo = now.get(&undo_name).map(|b| String::from_utf8_lossy(b).to_string());
        let conf = now.get(&format!("{name}.conf")).map(|b| String::from_utf8_lossy(b).to_string());
        let no_transaction =
            conf.as_deref().is_some_and(|c| c.lines().any(|l| l.replace(' ', "") == "executeInTransaction=false"));
        if let Some(c) = &conf {
            if !no_transaction {
                return Err(format!("{name}.conf does not say executeInTransaction=false: {c:?}"));
            }
        }
        files.push(MigFile {
            version,
            file: name.clone(),
            sql: String::from_utf8_lossy(bytes).to_string(),
            undo,
            no_transaction,
            report: None,
        });
    }
    files.sort_by_key(|f| f.version);
    Ok(files)
}

fn check_lock_sums(lock: &Lock, dir: &Path) -> Result<(), String> {
    for m in &lock.migrations {
        for sum in [Some(&m.file), m.undo.as_ref(), m.conf.as_ref()].into_iter().flatten() {
            let bytes = std::fs::read(dir.join(&sum.name)).map_err(|e| format!("the lock names {}: {e}", sum.name))?;
            if sha256_hex(&bytes) != sum.sha256 {
                return Err(format!("the lock's sha256 of {} does not match the file", sum.name));
            }
            if dddc::lock::flyway_checksum(&bytes) != sum.flyway_checksum {
                return Err(format!("the lock's Flyway checksum of {} does not match the file", sum.name));
            }
        }
    }
    Ok(())
}

/// `*` matches any text.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) || text.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    true
}

/// No file's header lists a change twice: a tenancy upgrade's online
/// migration validated every foreign key twice (two `DO` blocks each, a
/// fifth of the file), once for the key added `NOT VALID` on a table that
/// existed and once for the key moved after the unique it needs.
fn once_each(written: &BTreeMap<String, String>) -> Result<(), String> {
    for (name, text) in written {
        let mut seen = std::collections::HashSet::new();
        for line in text.lines().take_while(|l| l.starts_with("--")).filter(|l| l.starts_with("--   - ")) {
            if !seen.insert(line) {
                return Err(format!("{name} lists a change twice: {line}"));
            }
        }
    }
    Ok(())
}

fn check_expect_sql(expected: &str, written: &BTreeMap<String, String>) -> Result<(), String> {
    for line in expectation_lines(expected) {
        let (negated, line) = match line.strip_prefix('!') {
            Some(rest) => (true, rest.trim().to_string()),
            None => (false, line),
        };
        let (pattern, text) = match line.split_once(" :: ") {
            Some((p, t)) => (p.trim().to_string(), t.trim().to_string()),
            None => ("V*.sql".to_string(), line.clone()),
        };
        let matching: Vec<&String> = written.keys().filter(|n| glob(&pattern, n)).collect();
        let found = matching.iter().any(|n| written[*n].contains(&text));
        if negated && found {
            return Err(format!(
                "a new file matching {pattern} contains {text:?}, which it must not:\n{}",
                show(written, &pattern)
            ));
        }
        if !negated && !found {
            return Err(format!("no new file matching {pattern} contains {text:?}:\n{}", show(written, &pattern)));
        }
    }
    Ok(())
}

fn show(written: &BTreeMap<String, String>, pattern: &str) -> String {
    written
        .iter()
        .filter(|(n, _)| glob(pattern, n))
        .map(|(n, s)| format!("==> {n}\n{s}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn check_expect_files(expected: &str, written: &BTreeMap<String, String>) -> Result<(), String> {
    let names: Vec<&String> = written.keys().collect();
    for line in expectation_lines(expected) {
        if let Some(n) = line.strip_prefix('=') {
            let n: usize = n.trim().parse().map_err(|_| format!("bad expect_files line {line:?}"))?;
            let count = names.iter().filter(|f| f.starts_with('V') && f.ends_with(".sql")).count();
            if count != n {
                return Err(format!("expected {n} new migration(s), the step wrote {names:?}"));
            }
        } else if let Some(p) = line.strip_prefix('!') {
            if let Some(f) = names.iter().find(|f| glob(p.trim(), f)) {
                return Err(format!("the step wrote {f}, which matches !{}; files: {names:?}", p.trim()));
            }
        } else if !names.iter().any(|f| glob(&line, f)) {
            return Err(format!("no new file matches {line}; files: {names:?}"));
        }
    }
    Ok(())
}

// ------------------------------------------------------------- database --

/// Applies the steps on a fresh database and checks idempotence, data,
/// the central property and undo.
fn migrate_database(case: &Case, g: &Generated) -> Result<(), String> {
    let pg = support::pg::shared();
    let create = |name: &str| match case.owner {
        Some(owner) => pg.create_owned_database(name, owner),
        None => pg.create_database(name),
    };
    let mut db = create(&case.db);
    if let Some(owner) = case.owner {
        let row = db
            .query_one(
                "SELECT current_user::text, rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user",
                &[],
            )
            .map_err(|e| describe(&e))?;
        let (user, privileged): (String, bool) = (row.get(0), row.get(1));
        if user != owner || privileged {
            return Err(format!("the owner run connected as {user} (superuser or BYPASSRLS: {privileged})"));
        }
    }
    // A step expected to fail on the database must have been built.
    for k in 1.. {
        if !case.dir.join(format!("v{k}.ddd")).exists() {
            break;
        }
        if case.dir.join(format!("v{k}.expect_apply_error")).exists() && !g.steps.iter().any(|s| s.k == k) {
            return Err(format!("v{k}.expect_apply_error: step v{k} wrote no migration to apply"));
        }
    }
    // (step, file, fingerprint before it ran)
    let mut history: Vec<(usize, MigFile, String)> = Vec::new();
    for step in &g.steps {
        let k = step.k;
        if let Some(expected) = read_opt(&case.dir.join(format!("v{k}.expect_apply_error"))) {
            return fails_to_apply(&mut db, case, step, expected.lines().next().unwrap_or("").trim());
        }
        for f in &step.files {
            let at = |e: String| format!("step v{k}, {}: {e}", f.file);
            let before = fingerprint(&mut db);
            // The first run of a later migration is audited (superuser
            // runs: the owner run lifts row-level security, which takes a
            // lock by design, and is declared in the header instead).
            match (&f.report, case.owner) {
                (Some(report), None) if f.version > 1 => {
                    let mut audit = Audit::default();
                    audit.run(&mut db, report, &f.sql).map_err(|e| at(format!("lock audit: {e}")))?;
                    AUDIT.lock().unwrap_or_else(|p| p.into_inner()).merge(audit);
                }
                _ => apply(&mut db, &f.sql, f.no_transaction).map_err(|e| at(format!("does not apply: {e}")))?,
            }
            let after = fingerprint(&mut db);
            apply(&mut db, &f.sql, f.no_transaction).map_err(|e| at(format!("applied a second time fails: {e}")))?;
            let again = fingerprint(&mut db);
            if after != again {
                return Err(at(format!(
                    "the second run changed the catalog:\n{}",
                    diff(&after, &again, "first run", "second run")
                )));
            }
            history.push((k, f.clone(), before));
        }
        if let Some(checks) = read_opt(&case.dir.join(format!("check{k}.sql"))) {
            run_checks(&mut db, &checks, case.owner.is_some())
                .map_err(|e| format!("check{k}.sql after step v{k}: {e}"))?;
        }
        if let Some(data) = read_opt(&case.dir.join(format!("data{k}.sql"))) {
            db.batch_execute(&data).map_err(|e| format!("data{k}.sql after step v{k}: {}", describe(&e)))?;
        }
    }
    // The central property.
    let final_source = g.final_source.as_ref().ok_or("no final model")?;
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let model = compile(tmp.path(), final_source)?;
    let inputs = Inputs::new(&g.config, tmp.path());
    let fresh_plan = plan(&model, &inputs).map_err(|e| format!("V1 of the final model: {e:?}"))?;
    let v1 = fresh_plan
        .outputs
        .iter()
        .find(|o| o.path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("V1__")))
        .ok_or("the final model's plan has no V1")?;
    let mut fresh = create(&format!("{}_fresh", case.db));
    apply(&mut fresh, &String::from_utf8_lossy(&v1.bytes), false).map_err(|e| format!("V1 of the final model: {e}"))?;
    let evolved = fingerprint(&mut db);
    let expected = fingerprint(&mut fresh);
    drop(fresh);
    if evolved != expected {
        return Err(format!(
            "the evolved database differs from a fresh V1 of the final model:\n{}",
            diff(&expected, &evolved, "fresh V1 of the final model", "V1..Vn applied in order")
        ));
    }
    // Introspection (what `dddc verify` and `dddc drift` stand on): the
    // evolved catalog, read back, is the schema the lock records.
    if let Some(snapshot) = &g.snapshot {
        let (actual, _) = dddc::introspect::read(&mut db, &dddc::introspect::Scope::default())?;
        let differences = dddc::introspect::compare(snapshot, &actual);
        if !differences.is_empty() {
            let lines: Vec<String> = differences.iter().map(|d| d.message.clone()).collect();
            return Err(format!("the catalog read back differs from the lock's snapshot:\n  {}", lines.join("\n  ")));
        }
    }
    if case.dir.join("skip_undo").exists() {
        return Ok(());
    }
    // Undo, newest first.
    for i in (0..history.len()).rev() {
        let (k, f, before) = &history[i];
        let at = |e: String| format!("undo of {} (step v{k}): {e}", f.file);
        let undo = f.undo.as_ref().ok_or_else(|| at("no undo script".into()))?;
        apply(&mut db, undo, false).map_err(|e| at(format!("does not apply: {e}")))?;
        let after = fingerprint(&mut db);
        // An online migration validates what its main migration added NOT
        // VALID; PostgreSQL cannot make a constraint NOT VALID again, and
        // the main migration's undo drops it: validity is not undone.
        let validity = |fp: &str| {
            if f.no_transaction {
                fp.replace(" NOT VALID deferrable=", " deferrable=").replace("validated=f", "validated=t")
            } else {
                fp.to_string()
            }
        };
        if validity(&after) != validity(before) {
            return Err(at(format!(
                "does not restore the catalog:\n{}",
                diff(before, &after, &format!("before {}", f.file), "after its undo")
            )));
        }
        apply(&mut db, undo, false).map_err(|e| at(format!("applied a second time fails: {e}")))?;
        let again = fingerprint(&mut db);
        if again != after {
            return Err(at(format!(
                "the second run changed the catalog:\n{}",
                diff(&after, &again, "first run", "second run")
            )));
        }
        let first_of_step = i == 0 || history[i - 1].0 != *k;
        if first_of_step {
            if let Some(checks) = read_opt(&case.dir.join(format!("check_undo{k}.sql"))) {
                run_checks(&mut db, &checks, case.owner.is_some()).map_err(|e| format!("check_undo{k}.sql: {e}"))?;
            }
        }
    }
    Ok(())
}

/// Step `step` must fail on `db` with an error containing `expected`,
/// leave the catalog as it found it, and pass `check<k>.sql` after.
fn fails_to_apply(db: &mut postgres::Client, case: &Case, step: &StepOut, expected: &str) -> Result<(), String> {
    let k = step.k;
    if expected.is_empty() {
        return Err(format!("v{k}.expect_apply_error is empty"));
    }
    if case.dir.join(format!("v{}.ddd", k + 1)).exists() {
        return Err(format!("v{k}.expect_apply_error ends the case, but v{}.ddd follows it", k + 1));
    }
    let before = fingerprint(db);
    let mut failed = None;
    for f in &step.files {
        if let Err(e) = apply_or_error(db, &f.sql, f.no_transaction) {
            failed = Some((f.file.clone(), e));
            break;
        }
    }
    let Some((file, error)) = failed else {
        return Err(format!("step v{k}: every migration applied; one must fail with {expected:?}"));
    };
    // The server's own message, not the statement or context around it.
    let message = error.as_db_error().map(|d| d.message().to_string()).unwrap_or_default();
    if !message.contains(expected) {
        return Err(format!("step v{k}, {file}: failed with {}\n  not with {expected:?}", describe(&error)));
    }
    let after = fingerprint(db);
    if after != before {
        return Err(format!(
            "step v{k}, {file}: failed but changed the catalog:\n{}",
            diff(&before, &after, "before", "after the failure")
        ));
    }
    if let Some(checks) = read_opt(&case.dir.join(format!("check{k}.sql"))) {
        run_checks(db, &checks, case.owner.is_some())
            .map_err(|e| format!("check{k}.sql after the failure of step v{k}: {e}"))?;
    }
    Ok(())
}

fn describe(e: &postgres::Error) -> String {
    let mut msg = support::pg::describe_error(e);
    if let Some(db_err) = e.as_db_error() {
        if let Some(d) = db_err.detail() {
            msg.push_str(&format!("\n  detail: {d}"));
        }
        if let Some(w) = db_err.where_() {
            msg.push_str(&format!("\n  where: {w}"));
        }
    }
    msg
}

/// [`apply`], keeping PostgreSQL's error as it came.
fn apply_or_error(db: &mut postgres::Client, sql: &str, no_transaction: bool) -> Result<(), postgres::Error> {
    if no_transaction {
        for stmt in split_statements(sql) {
            db.batch_execute(&stmt)?;
        }
        return Ok(());
    }
    db.batch_execute(&format!("BEGIN;\n{sql}\nCOMMIT;")).inspect_err(|_| {
        let _ = db.batch_execute("ROLLBACK");
    })
}

/// Runs a migration as Flyway does: in one transaction, or statement by
/// statement outside any transaction.
fn apply(db: &mut postgres::Client, sql: &str, no_transaction: bool) -> Result<(), String> {
    if no_transaction {
        for stmt in split_statements(sql) {
            db.batch_execute(&stmt).map_err(|e| format!("{}\n  in: {stmt}", describe(&e)))?;
        }
        return Ok(());
    }
    apply_or_error(db, sql, false).map_err(|e| describe(&e))
}

fn run_checks(db: &mut postgres::Client, sql: &str, owner_run: bool) -> Result<(), String> {
    for stmt in split_statements(sql) {
        let stmt = match stmt.strip_prefix("-- owner only\n") {
            Some(_) if !owner_run => continue,
            Some(rest) => rest.to_string(),
            None => stmt,
        };
        if let Some(expected) = stmt.strip_prefix("-- rejects: ").and_then(|r| r.lines().next()) {
            if expected.trim().is_empty() {
                return Err(format!("{stmt}: `-- rejects:` names no error"));
            }
            match db.batch_execute(&stmt) {
                Ok(()) => return Err(format!("{stmt}: was accepted; it must fail with {expected:?}")),
                Err(e) if e.as_db_error().is_some_and(|d| d.message().contains(expected.trim())) => continue,
                Err(e) => return Err(format!("{stmt}: failed with {}, not with {expected:?}", describe(&e))),
            }
        }
        let rows = db.query(stmt.as_str(), &[]).map_err(|e| format!("{stmt}: {}", describe(&e)))?;
        let ok =
            rows.len() == 1 && rows[0].len() == 1 && matches!(rows[0].try_get::<_, Option<bool>>(0), Ok(Some(true)));
        if !ok {
            let got: Vec<String> = rows.iter().map(|r| format!("{:?}", r.try_get::<_, Option<bool>>(0))).collect();
            return Err(format!("{stmt} did not return a single `true` (got {got:?})"));
        }
    }
    Ok(())
}

fn diff(a: &str, b: &str, a_name: &str, b_name: &str) -> String {
    similar::TextDiff::from_lines(a, b).unified_diff().context_radius(0).header(a_name, b_name).to_string()
}

// ---------------------------------------------------------------- units --

#[test]
fn globs() {
    assert!(glob("V*.sql", "V2__x.sql"));
    assert!(!glob("V*.sql", "V2__x.sql.conf"));
    assert!(glob("V*__*_indexes.sql.conf", "V3__a_indexes.sql.conf"));
    assert!(glob("U2__x.sql", "U2__x.sql"));
    assert!(!glob("V*x*y", "Vyx"));
}
