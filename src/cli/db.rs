//! The commands that meet a live database: `verify` (the migrations on a
//! scratch database), `drift` (a deployed database against the lock) and
//! `import` (an existing database as a model and a baseline).

use std::path::Path;
use std::str::FromStr;

use dddc::diagnostics::codes::id;
use dddc::diagnostics::{Diagnostic, Sources};
use dddc::introspect::verify::{self, Step};
use dddc::introspect::{Difference, DifferenceKind};
use dddc::relational::Schema;
use serde_json::json;

use super::{load_lock, load_model, migrations_dir, Output, EXIT_FAIL};

/// Where verify runs: a throwaway cluster of its own, or a scratch
/// database of the server a URL names.
enum Server {
    Throwaway(dddc::pg::Cluster),
    Url { config: postgres::Config, scratch: String },
}

/// The migrations on disk, paired with their undos and `.sql.conf`, in
/// Flyway's order.
pub fn read_steps(dir: &Path, lock: &dddc::lock::Lock) -> Result<Vec<Step>, String> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".sql") || name.ends_with(".sql.conf") {
            let text = std::fs::read_to_string(e.path())
                .map_err(|err| format!("cannot read {}: {err}", e.path().display()))?;
            files.push((name, text));
        }
    }
    Ok(verify::steps(&files, |name| lock.migrations.iter().any(|m| m.file.name == name && m.hand_written)))
}

/// A catalog difference as a diagnostic: at the model's declaration of
/// the table when there is one.
fn difference_diagnostic(code: &'static str, d: &Difference, lowered: Option<&Schema>) -> Diagnostic {
    let mut diag = Diagnostic::error(code, d.message.clone());
    let table = lowered.and_then(|s| {
        let (schema, name) = d.object.split_once('.')?;
        s.table(schema, name)
    });
    if let Some(t) = table {
        // The declaration of the column, constraint or index when the model
        // has it, else its table's.
        let part = d.part.as_deref();
        let origin = part.and_then(|p| {
            t.column(p)
                .map(|c| (c.origin.0, format!("column {p} is declared here")))
                .or_else(|| t.checks.iter().find(|c| c.name == p).map(|c| (c.origin.0, format!("{p} comes from here"))))
                .or_else(|| {
                    t.uniques.iter().find(|c| c.name == p).map(|c| (c.origin.0, format!("{p} comes from here")))
                })
                .or_else(|| {
                    t.foreign_keys.iter().find(|c| c.name == p).map(|c| (c.origin.0, format!("{p} comes from here")))
                })
                .or_else(|| {
                    t.indexes.iter().find(|c| c.name == p).map(|c| (c.origin.0, format!("{p} comes from here")))
                })
        });
        diag = match origin {
            Some((span, label)) if span != Default::default() => diag.at(span, label),
            _ => diag.at(t.origin.0, format!("{} is declared here", t.qualified())),
        };
    }
    diag.with_help(match d.kind {
        DifferenceKind::Added => "if it is wanted, add it to the model; otherwise remove it from the database",
        DifferenceKind::Missing => "a migration was skipped or edited, or the object was dropped by hand",
        DifferenceKind::Changed => "a migration was edited, or the object was changed by hand",
    })
}

fn differences_json(list: &[Difference]) -> serde_json::Value {
    json!(list)
}

pub fn verify(out: &Output, model: Option<&Path>, url: Option<&str>, keep: bool) -> u8 {
    let mut fields = serde_json::Map::new();
    let code = run_verify(out, model, url, keep, &mut fields);
    for (k, v) in fields {
        out.field(&k, v);
    }
    code
}

/// `check --verify`: verify after the gate, when there is a server to run
/// it on; its fields go under `verify` in the document.
pub fn verify_in_check(out: &Output, model: Option<&Path>, url: Option<&str>) -> u8 {
    // Binaries named explicitly and wrong are an error, not a reason to skip.
    if url.is_none() && std::env::var_os("DDDC_PG_BIN").is_none() {
        if let Err(e) = dddc::pg::find_bin_dir() {
            out.say(&format!("note: verify skipped: {e}"));
            out.field("verify", json!({"skipped": e}));
            return 0;
        }
    }
    let mut fields = serde_json::Map::new();
    let code = run_verify(out, model, url, false, &mut fields);
    out.field("verify", serde_json::Value::Object(fields));
    code
}

fn run_verify(
    out: &Output,
    model: Option<&Path>,
    url: Option<&str>,
    keep: bool,
    fields: &mut serde_json::Map<String, serde_json::Value>,
) -> u8 {
    let (project, fe, model) = match load_model(out, model) {
        Ok(x) => x,
        Err(code) => return code,
    };
    out.report(&fe.sources, &fe.diagnostics);
    let lock = match load_lock(out, &project) {
        Ok(Some(l)) => l,
        Ok(None) => return out.usage_error("nothing to verify: there is no lock yet; run `dddc build` first"),
        Err(code) => return code,
    };
    let dir = migrations_dir(&project);
    let steps = match read_steps(&dir, &lock) {
        Ok(s) => s,
        Err(e) => return out.usage_error(&e),
    };
    if steps.is_empty() {
        return out.usage_error(&format!("nothing to verify: no V…__….sql migration in {}", dir.display()));
    }
    let lowered = dddc::relational::lower(&*model).ok();
    let locks = lock_table_for(&steps, &lock.schema);
    let (server, mut db) = match open_scratch(out, url, locks) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let version: i32 =
        db.query_one("SELECT current_setting('server_version_num')::int", &[]).map(|r| r.get(0)).unwrap_or(0);
    let major = (version / 10_000) as u32;
    let mut diags = Vec::new();
    if major < model.target {
        diags.push(
            Diagnostic::warning(
                id::W0801,
                format!("the model targets PostgreSQL {}, the server is {major}: verifying on it anyway", model.target),
            )
            .with_help(
                "verify on the version production runs: `--database-url`, or `DDDC_PG_BIN` pointing at its binaries",
            ),
        );
    }
    out.say(&format!("verify: {} migration(s) on PostgreSQL {major} ({})", steps.len(), server.describe()));
    let database = match &server {
        Server::Throwaway(_) => "dddc_verify".to_string(),
        Server::Url { scratch, .. } => scratch.clone(),
    };
    let mut progress = |line: &str| out.say(&format!("verify: {line}"));
    let result = verify::verify(&mut db, &steps, &lock.schema, &mut progress);
    drop(db);
    let cleanup = server.finish(keep);
    let findings = match result {
        Ok(f) => f,
        Err(e) => return out.usage_error(&format!("cannot read the catalog: {e}")),
    };
    for f in &findings {
        let mut d =
            Diagnostic::error(f.code, f.message.clone()).with_note(format!("in {}", dir.join(&f.file).display()));
        // The final comparison gives each difference its own diagnostic, at
        // the model's declaration; the others list them under the file.
        let listed = if f.code == id::E0803 { &[][..] } else { &f.differences[..] };
        for diff in listed.iter().take(50) {
            d = d.with_note(diff.message.clone());
        }
        if listed.len() > 50 {
            d = d.with_note(format!("… and {} more", listed.len() - 50));
        }
        let lock_table = format!(
            "the migrations lock up to about {locks} objects in one transaction, more than the server's lock table holds: \
             set max_locks_per_transaction = {} or more with max_connections = 100 (see the migration's header)",
            dddc::migrate::locks::locks_per_transaction_needed(locks, 100)
        );
        d = d.with_help(match f.code {
            // 53200 is any shortage of memory; a full lock table says "out
            // of shared memory" (a failed allocation says "out of memory").
            _ if f.message.contains("out of shared memory (SQLSTATE 53200)") => lock_table.as_str(),
            "E0801" | "E0803" => "`dddc check` names a migration edited by hand; restore it from git",
            "E0802" => "every statement of a migration must be safe to run twice (see `dddc explain E0802`)",
            _ => "an undo must reverse every statement of its migration (see `dddc explain E0804`)",
        });
        diags.push(d);
        if f.code == id::E0803 {
            diags.extend(f.differences.iter().map(|diff| difference_diagnostic(id::E0803, diff, lowered.as_ref())));
        }
    }
    out.report(&fe.sources, &diags);
    fields.insert("server_version".into(), json!(major));
    fields.insert("database".into(), json!(database));
    fields.insert("migrations".into(), json!(steps.iter().map(|s| &s.apply.name).collect::<Vec<_>>()));
    fields.insert(
        "findings".into(),
        json!(findings
            .iter()
            .map(|f| json!({"code": f.code, "file": f.file, "message": f.message, "differences": differences_json(&f.differences)}))
            .collect::<Vec<_>>()),
    );
    if let Some(c) = &cleanup {
        fields.insert("kept".into(), json!(c));
    }
    if findings.is_empty() {
        let undos = steps.iter().filter(|s| s.undo.is_some()).count();
        out.say(&format!(
            "verify passed: {} migration(s) applied twice each, the final schema is the lock's, {undos} undo(s) restore the schema before",
            steps.len()
        ));
        0
    } else {
        out.say(&format!("verify failed: {} problem(s)", findings.len()));
        EXIT_FAIL
    }
}

impl Server {
    fn describe(&self) -> String {
        match self {
            Server::Throwaway(c) => format!("a throwaway cluster in {}", c.data_dir().display()),
            Server::Url { scratch, .. } => format!("scratch database {scratch}"),
        }
    }

    /// Drops the scratch database or stops the cluster, unless `keep`:
    /// then says how to reach what was kept.
    fn finish(self, keep: bool) -> Option<String> {
        match self {
            Server::Url { config, scratch } => {
                if keep {
                    eprintln!("verify: kept database {scratch}; drop it with `DROP DATABASE {scratch}`");
                    return Some(scratch);
                }
                if let Ok(mut admin) = config.connect(postgres::NoTls) {
                    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {scratch} WITH (FORCE)"));
                }
                None
            }
            Server::Throwaway(cluster) => {
                if keep {
                    let url = format!(
                        "postgresql:///dddc_verify?host={}&port={}&user={}",
                        cluster.socket_dir().display(),
                        cluster.port(),
                        dddc::pg::SUPERUSER
                    );
                    eprintln!("verify: the cluster stays up until you press Enter (or close stdin): psql '{url}'");
                    let mut line = String::new();
                    let _ = std::io::stdin().read_line(&mut line);
                    return Some(url);
                }
                None
            }
        }
    }
}

/// The objects the largest of `steps` keeps locked in one transaction: what
/// a generated migration's header declares past the default lock table
/// ("holds locks on about N objects"), and at least what creating the
/// lock's schema takes (a hand-written file declares nothing).
fn lock_table_for(steps: &[verify::Step], schema: &Schema) -> usize {
    steps
        .iter()
        .flat_map(|s| std::iter::once(&s.apply).chain(&s.undo))
        .filter_map(|script| dddc::migrate::locks::declared_in_header(&script.sql))
        .chain(std::iter::once(dddc::migrate::locks::objects_locked_creating(schema)))
        .max()
        .unwrap_or(0)
}

/// A scratch database: on the server of `url`, or on a throwaway cluster
/// whose lock table holds `objects` locks in one transaction (a V1 of
/// 2,000 aggregates locks about 31,000, and the default table holds
/// 64 x 200 connections).
fn open_scratch(out: &Output, url: Option<&str>, objects: usize) -> Result<(Server, postgres::Client), u8> {
    match url {
        Some(url) => {
            let mut config = postgres::Config::from_str(url)
                .map_err(|e| out.usage_error(&format!("`--database-url` is not a PostgreSQL URL: {e}")))?;
            let mut admin = config.connect(postgres::NoTls).map_err(|e| {
                out.usage_error(&format!("cannot connect to the database: {}", dddc::pg::describe_error(&e)))
            })?;
            let scratch = format!("dddc_verify_{}", std::process::id());
            admin.batch_execute(&format!("CREATE DATABASE {scratch}")).map_err(|e| {
                out.usage_error(&format!(
                    "cannot create the scratch database {scratch}: {} (the role needs CREATEDB)",
                    dddc::pg::describe_error(&e)
                ))
            })?;
            let admin_config = config.clone();
            config.dbname(&scratch);
            let db = config.connect(postgres::NoTls).map_err(|e| {
                out.usage_error(&format!("cannot connect to {scratch}: {}", dddc::pg::describe_error(&e)))
            })?;
            Ok((Server::Url { config: admin_config, scratch }, db))
        }
        None => {
            out.say("verify: starting a throwaway PostgreSQL cluster");
            let per_transaction =
                dddc::migrate::locks::locks_per_transaction_needed(objects, dddc::pg::ONE_CLIENT_CONNECTIONS).max(64);
            let setting = per_transaction.to_string();
            let mut settings = dddc::pg::ONE_CLIENT.to_vec();
            settings.push(("max_locks_per_transaction", &setting));
            let started = dddc::timing::phase("verify: start a throwaway cluster");
            let cluster = dddc::pg::Cluster::try_start_with(&settings).map_err(|e| {
                let d = Diagnostic::error(id::E0806, format!("cannot start a throwaway PostgreSQL: {e}")).with_help(
                    "install the server binaries (Debian: `apt-get install postgresql`), set DDDC_PG_BIN to their directory, or pass `--database-url`",
                );
                out.report(&Sources::default(), &[d]);
                EXIT_FAIL
            })?;
            let db = cluster.try_create_database("dddc_verify").map_err(|e| out.usage_error(&e))?;
            drop(started);
            Ok((Server::Throwaway(cluster), db))
        }
    }
}

/// Connects to a URL for reading only.
fn connect_read_only(out: &Output, url: &str) -> Result<postgres::Client, u8> {
    let config = postgres::Config::from_str(url)
        .map_err(|e| out.usage_error(&format!("`--database-url` is not a PostgreSQL URL: {e}")))?;
    let mut db = config
        .connect(postgres::NoTls)
        .map_err(|e| out.usage_error(&format!("cannot connect to the database: {}", dddc::pg::describe_error(&e))))?;
    db.batch_execute("SET default_transaction_read_only = on")
        .map_err(|e| out.usage_error(&dddc::pg::describe_error(&e)))?;
    Ok(db)
}

pub fn drift(out: &Output, model: Option<&Path>, url: &str, history: Option<&str>) -> u8 {
    let (project, fe) = match super::load(out, model) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let lock = match load_lock(out, &project) {
        Ok(Some(l)) => l,
        Ok(None) => return out.usage_error("there is no lock: nothing says what the database should hold"),
        Err(code) => return code,
    };
    let snapshot_text = match super::read_lock(&project) {
        Ok((_, Some(s))) => s,
        Ok((_, None)) => dddc::lock::snapshot::write(&lock.schema),
        Err(e) => return out.usage_error(&e),
    };
    let mut db = match connect_read_only(out, url) {
        Ok(db) => db,
        Err(code) => return code,
    };
    let report = match dddc::introspect::drift::drift(&mut db, &lock, &snapshot_text, history) {
        Ok(r) => r,
        Err(e) => return out.usage_error(&e),
    };
    let lowered = fe.model.as_ref().and_then(|m| dddc::relational::lower(m).ok());
    let mut diags = Vec::new();
    for h in &report.history {
        diags.push(
            Diagnostic::error(id::E0805, h.clone())
                .with_help("compare with `git log` of the migrations folder; `dddc explain E0805` says what to do"),
        );
    }
    for d in &report.differences {
        diags.push(difference_diagnostic(id::E0803, d, lowered.as_ref()));
    }
    for u in &report.unsupported {
        diags.push(Diagnostic::warning(id::W0802, format!("{}: {}", u.object, u.reason)));
    }
    out.report(&fe.sources, &diags);
    out.field("history_table", json!(report.history_table));
    out.field("applied", json!(report.applied));
    out.field("pending", json!(report.pending));
    out.field("history_findings", json!(report.history));
    out.field("differences", differences_json(&report.differences));
    out.field("assumed", json!(report.assumed));
    let at = report.applied.clone().map(|v| format!("V{v}")).unwrap_or_else(|| "no migration".into());
    if report.assumed {
        out.say(&format!(
            "note: no Flyway history table (flyway_schema_history) in the database: compared with the lock's last migration, {at}; \
             name the table with `--history-table` if it has another name"
        ));
    }
    if report.pending.is_empty() {
        out.say(&format!("drift: the database is at {at}, the last migration of the lock"));
    } else {
        out.say(&format!("drift: the database is at {at}; not applied yet: {}", report.pending.join(", ")));
    }
    if report.history.is_empty() && report.differences.is_empty() {
        out.say(&format!("no drift: the database is exactly the lock's schema at {at}"));
        0
    } else {
        out.say(&format!(
            "drift: {} history problem(s), {} difference(s) from the lock's schema at {at}",
            report.history.len(),
            report.differences.len()
        ));
        EXIT_FAIL
    }
}

/// The first line of the `dddc.toml` import writes.
const IMPORTED: &str = "# Imported by `dddc import`.";

pub fn import(out: &Output, url: &str, schemas: &[String], dir: Option<&Path>) -> u8 {
    let dir = dir.unwrap_or(Path::new("."));
    // An import killed after it wrote the model (stdout closed, ^C) and
    // before its baseline's lock: the same refusal, with the way on.
    let lock = dir.join(dddc::config::Migrations::default().dir).join(dddc::lock::LOCK_FILE);
    let unfinished = dddc::output::read_regular_to_string(&dir.join("dddc.toml"))
        .is_ok_and(|t| t.starts_with(IMPORTED) && !lock.exists());
    if unfinished {
        // Killed between the two renames, it left `dddc.toml` alone.
        let finish = if dir.join("model.ddd").is_file() {
            "finish it with `dddc build --name baseline` there, or empty the folder and import again"
        } else {
            "its model was never written: empty the folder and import again"
        };
        return out.usage_error(&format!(
            "{} holds an import that did not finish (its dddc.toml, no lock): {finish}",
            dir.display()
        ));
    }
    if dir.join("dddc.toml").exists() {
        return out.usage_error(&format!(
            "{} already holds a dddc project (dddc.toml): import writes a new one; pass an empty folder",
            dir.display()
        ));
    }
    // A model, or a migrations folder, without `dddc.toml` is a project
    // too: import wrote over its `model.ddd` without a word.
    if let Some(p) = super::existing_project(dir) {
        return out.usage_error(&format!(
            "{} is not empty (`{}`): import writes a new project (model.ddd, dddc.toml, db/migration) and overwrites nothing; pass an empty folder",
            dir.display(),
            p.display()
        ));
    }
    let mut db = match connect_read_only(out, url) {
        Ok(db) => db,
        Err(code) => return code,
    };
    let name: String = match db.query_one("SELECT current_database()::text", &[]) {
        Ok(r) => r.get(0),
        Err(e) => return out.usage_error(&dddc::pg::describe_error(&e)),
    };
    // Without `--schema`: every schema that holds a table, `public` too
    // (many databases keep everything there).
    let schemas = if schemas.is_empty() {
        let rows = db.query(
            "SELECT DISTINCT n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname NOT LIKE 'pg\\_%' \
             AND n.nspname <> 'information_schema' \
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = n.oid AND d.deptype = 'e') ORDER BY 1",
            &[],
        );
        match rows {
            Ok(rows) => rows.iter().map(|r| r.get(0)).collect(),
            Err(e) => return out.usage_error(&dddc::pg::describe_error(&e)),
        }
    } else {
        schemas.to_vec()
    };
    let scope = dddc::introspect::Scope { schemas, public: false };
    let (mut actual, unsupported) = match dddc::introspect::read(&mut db, &scope) {
        Ok(x) => x,
        Err(e) => return out.usage_error(&format!("cannot read the catalog: {e}")),
    };
    // Flyway's history table is Flyway's (drift reads it as the history,
    // not as a table of the model); a schema that held only it goes too.
    let history = |t: &dddc::relational::Table| t.name == "flyway_schema_history";
    let left: Vec<String> = actual.tables.iter().filter(|t| history(t)).map(|t| t.qualified()).collect();
    if !left.is_empty() {
        actual.tables.retain(|t| !history(t));
        let (tables, enums) = (&actual.tables, &actual.enum_types);
        actual
            .schemas
            .retain(|s| tables.iter().any(|t| t.schema == s.name) || enums.iter().any(|e| e.schema == s.name));
        out.say(&format!("left out Flyway's history table {}", left.join(", ")));
    }
    if actual.tables.is_empty() {
        return out.usage_error("no table to import in the schemas read: name them with `--schema`");
    }
    // A schema read only for its enum types (`public`, where a model's
    // shared enums live) becomes a context of them: its comment is read
    // here, or the baseline wrote none and verify found the schema's
    // comment other than the model's.
    let mut enum_only: Vec<String> = actual
        .enum_types
        .iter()
        .map(|e| e.schema.clone())
        .filter(|n| !actual.schemas.iter().any(|s| s.name == *n))
        .collect();
    enum_only.dedup();
    for name in enum_only {
        let comment = match db
            .query_opt("SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = $1", &[&name])
        {
            Ok(row) => row.and_then(|r| r.get::<_, Option<String>>(0)),
            Err(e) => return out.usage_error(&format!("cannot read the catalog: {}", dddc::pg::describe_error(&e))),
        };
        actual.schemas.push(dddc::relational::SchemaDef { name, comment, origin: Default::default() });
    }
    actual.schemas.sort_by(|a, b| a.name.cmp(&b.name));
    for s in &mut actual.schemas {
        if dddc::introspect::is_builtin_comment(&s.name, s.comment.as_deref()) {
            s.comment = None;
        }
    }
    let (text, unsupported) = dddc::introspect::import::to_model(&name, &actual, unsupported);
    let text = match dddc::syntax::fmt::format_text(&text) {
        Ok(t) => t,
        Err(diags) => {
            // The first few distinct messages: one mistake repeated on every
            // table is one message, not thousands.
            let mut messages: Vec<&str> = Vec::new();
            for d in &diags {
                if messages.len() < 3 && !messages.contains(&d.message.as_str()) {
                    messages.push(&d.message);
                }
            }
            return out.usage_error(&format!(
                "the imported model does not parse (a bug in dddc import; please report it): {} error(s): {}",
                diags.len(),
                messages.join("; ")
            ));
        }
    };
    // Validate in a scratch folder first: nothing is written when it fails.
    let scratch = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => return out.usage_error(&format!("cannot create a temporary folder: {e}")),
    };
    let model_path = scratch.path().join("model.ddd");
    if let Err(e) = std::fs::write(&model_path, &text) {
        return out.usage_error(&format!("cannot write {}: {e}", model_path.display()));
    }
    let fe = match dddc::frontend(&model_path, Path::new("model.ddd")) {
        Ok(fe) => fe,
        Err(e) => return out.usage_error(&e.0),
    };
    let Some(model) = fe.model.as_ref() else {
        out.report(&fe.sources, &fe.diagnostics);
        out.error("the imported model does not validate (a bug in dddc import; please report it with the schema)");
        return EXIT_FAIL;
    };
    let mut diags: Vec<Diagnostic> =
        unsupported.iter().map(|u| Diagnostic::warning(id::W0802, format!("{}: {}", u.object, u.reason))).collect();
    // What the model builds that the database does not hold, or the other
    // way round: generated names, indexes dddc adds on foreign keys, …
    let (differences, score) = match dddc::relational::lower(model) {
        Ok(lowered) => {
            let report = dddc::lint::lint(model, &lowered, &dddc::config::Config::default().lint);
            (dddc::introspect::compare(&lowered, &actual), report.score)
        }
        Err(_) => (Vec::new(), dddc::config::DEFAULT_MIN_SCORE),
    };
    for d in &differences {
        diags.push(Diagnostic::warning(id::W0802, format!("the baseline differs from the database: {}", d.message)));
    }
    out.report(&fe.sources, &diags);
    // Staged, then renamed ([`dddc::output`]): a failure leaves neither,
    // a kill between the renames `dddc.toml` alone (said above); the
    // configuration first.
    let files = [
        dddc::build::Output {
            path: "dddc.toml".into(),
            bytes: format!(
                "{IMPORTED}\nmodel = \"model.ddd\"\n\n[lint]\n\
                 # The design score of the imported schema (`dddc lint` says why it is not higher):\n\
                 # `dddc check` keeps it from getting worse; raise it as the model improves.\n\
                 min_score = {}\n",
                score.min(dddc::config::DEFAULT_MIN_SCORE)
            )
            .into_bytes(),
        },
        dddc::build::Output { path: "model.ddd".into(), bytes: text.into_bytes() },
    ];
    if let Err(e) = std::fs::create_dir_all(dir)
        .map_err(|e| e.to_string())
        .and_then(|_| dddc::output::write_atomically(dir, &files.iter().collect::<Vec<_>>()))
    {
        return out.usage_error(&format!("cannot write the model into {}: {e}", dir.display()));
    }
    out.say(&format!(
        "imported {} table(s) of {} schema(s) into {}",
        actual.tables.len(),
        actual.schemas.len(),
        dir.join("model.ddd").display()
    ));
    out.field("model", json!(dir.join("model.ddd").display().to_string()));
    out.field("warnings_unsupported", json!(unsupported.len()));
    out.field("differences", differences_json(&differences));
    // The baseline: V1 and the lock, as if the schema had been built.
    let code = super::build::build(out, Some(&dir.join("model.ddd")), Some("baseline"), false, false);
    if code != 0 {
        // Nothing of a failed import stays behind (the build wrote nothing).
        let _ = std::fs::remove_file(dir.join("model.ddd"));
        let _ = std::fs::remove_file(dir.join("dddc.toml"));
        out.error("the baseline could not be built: the imported model and dddc.toml were removed again");
    }
    if code == 0 {
        out.say(
            "next: on the existing database, record V1 as applied without running it \
             (`flyway baseline -baselineVersion=1`, or `baselineOnMigrate = true` and `baselineVersion = \"1\"` in flyway.toml); \
             then edit the model and `dddc build`: V2 holds only your edit",
        );
    }
    code
}
