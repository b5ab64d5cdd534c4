//! `dddc verify` and `dddc drift` as a user runs them, on a real PostgreSQL.
//!
//! verify runs in a scratch database of the test cluster (`--database-url`),
//! and once on a throwaway cluster of its own (no URL); the failures it must
//! catch are made by hand-editing a copy of `examples/history`: a dropped
//! constraint, an incomplete undo, a migration that is not idempotent.
//! drift runs on a database migrated by the example's files, then changed
//! the way people change production: a column added, an index dropped, a
//! default changed, row-level security disabled, a checksum that does not
//! match.

mod support;

#[path = "../tools/genmodel/src/lib.rs"]
#[allow(dead_code)]
mod genmodel;

use std::path::Path;

use support::cli::{dddc, stderr};
use support::pg::shared;

fn url(db: &str) -> String {
    let c = shared();
    format!("host={} port={} user={} dbname={db}", c.socket_dir().display(), c.port(), support::pg::SUPERUSER)
}

fn example(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    support::copy_dir(&Path::new("examples").join(name), dir.path());
    dir
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} does not contain {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// A project of one model file, built.
fn built(model: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.ddd"), model).unwrap();
    std::fs::write(dir.path().join("dddc.toml"), "model = \"m.ddd\"\n").unwrap();
    let o = dddc(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    dir
}

/// `dddc verify` passes on the project.
#[track_caller]
fn verified(dir: &tempfile::TempDir) {
    let (code, err) = verify(dir.path());
    assert_eq!(code, Some(0), "{err}");
}

fn verify(dir: &Path) -> (Option<i32>, String) {
    let o = dddc(dir, &["verify", "--database-url", &url("postgres")]);
    (o.status.code(), stderr(&o))
}

#[test]
fn verify_passes_on_the_history_example_and_leaves_no_database() {
    let dir = example("history");
    let (code, err) = verify(dir.path());
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("verify passed: 6 migration(s) applied twice each"), "{err}");
    assert!(err.contains("verify: applying U1__init.sql"), "{err}");
    // The example targets PostgreSQL 16: an older server is named.
    let older = shared().version_num() / 10_000 < 16;
    assert_eq!(err.contains("warning[W0801]: the model targets PostgreSQL 16"), older, "{err}");
    let o = dddc(dir.path(), &["--format", "json", "verify", "--database-url", &url("postgres")]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    assert_eq!(doc["ok"], true, "{doc}");
    let scratch = doc["database"].as_str().expect("the scratch database's name").to_string();
    let mut db = shared().connect("postgres");
    let left: i64 = db.query_one("SELECT count(*) FROM pg_database WHERE datname = $1", &[&scratch]).unwrap().get(0);
    assert_eq!(left, 0, "the scratch database {scratch} is dropped");
}

#[test]
fn verify_passes_on_mitoga() {
    let major = shared().version_num() / 10_000;
    let mut db = shared().connect("postgres");
    let postgis: bool = db
        .query_one("SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'postgis')", &[])
        .unwrap()
        .get(0);
    if !postgis {
        eprintln!("PostgreSQL {major} here has no PostGIS: MiToga is verified by the run on the system's server");
        return;
    }
    let dir = example("mitoga");
    let (code, err) = verify(dir.path());
    assert_eq!(code, Some(0), "{err}");
}

/// The accepted defaults of the language (the fixture E0204 passes) verify:
/// a `null` default (PostgreSQL keeps no default) and JSON written with
/// its keys unsorted, numbers with exponents, `1e400` (PostgreSQL prints
/// each back its own way) were taken for other defaults.
#[test]
fn verify_passes_on_every_kind_of_default() {
    let model = std::fs::read_to_string("tests/validation/types/E0204_ok_defaults.ddd").unwrap();
    assert!(model.contains("= null") && model.contains("1e400"), "the fixture's defaults");
    let extra = "    orden: json = '{\"zeta\":1,\"a\": [1,2.50, 1e2], \"s\": \"it''s \\u00e9\"}'\n";
    let model = model.replacen("    metadata: json = {}\n", &format!("    metadata: json = {{}}\n{extra}"), 1);
    verified(&built(&model));
}

/// A foreign key to a partitioned table: PostgreSQL adds a constraint per
/// partition under it (`conparentid`), which verify took for foreign keys
/// no one declared (the accepted fixture of E0503).
#[test]
fn a_reference_to_a_partitioned_table_verifies() {
    let model = std::fs::read_to_string("tests/validation/rules/E0503_ok_partitions.ddd").unwrap();
    let dir = built(&model);
    let v1 = std::fs::read_to_string(dir.path().join("db/migration/V1__init.sql")).unwrap();
    assert!(
        v1.contains("REFERENCES pagos.conciliacion (id)") && v1.contains("PARTITION OF pagos.conciliacion"),
        "{v1}"
    );
    verified(&dir);
}

/// What E0405 accepts with `btree_gin`, `btree_gist` and `intarray` (gin
/// and gist over a boolean, gist over `int[]`, brin over a CHECK enum)
/// PostgreSQL builds: E0405 refused the first three.
#[test]
fn indexes_the_extensions_allow_verify() {
    let model = std::fs::read_to_string("tests/validation/expressions/E0405_ok_indexes_with_extensions.ddd").unwrap();
    verified(&built(&model));
}

/// `date(dia)` of a `date` field in an index is the field: PostgreSQL
/// folds the cast away. It was named `"idx_reserva_dia_DATE"` (quoted, for
/// its capitals), a unique over it became a unique index instead of a
/// constraint, and `dddc verify` found the index other than the lock said.
#[test]
fn an_index_on_a_date_fields_date_is_the_fields() {
    let model = "model m { target postgres 15 }\ncontext c {\n  /// A booking.\n  aggregate Reserva {\n    /// The day.\n    dia: date\n    /// Who.\n    nombre: text(40)\n    index (date(dia))\n    unique (nombre, date(dia))\n    unique (dia, date(dia))\n  }\n}\n";
    let dir = built(model);
    let v1 = std::fs::read_to_string(dir.path().join("db/migration/V1__init.sql")).unwrap();
    assert!(v1.contains("CREATE INDEX IF NOT EXISTS idx_reserva_dia ON c.reserva (dia);"), "{v1}");
    assert!(v1.contains("CONSTRAINT uq_reserva_nombre_dia UNIQUE (nombre, dia)"), "{v1}");
    // Folded, the column is not named twice (PostgreSQL refuses that).
    assert!(v1.contains("CONSTRAINT uq_reserva_dia UNIQUE (dia)"), "{v1}");
    assert!(!v1.contains("DATE)"), "{v1}");
    let (code, err) = verify(dir.path());
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn verify_catches_a_constraint_dropped_from_a_migration() {
    let dir = example("history");
    // A CHECK of the tutors' table, removed by hand.
    edit(
        &dir.path().join("db/migration/V1__init.sql"),
        ",\n    CONSTRAINT tutores_tarifa_hora_moneda_iso CHECK (tarifa_hora_moneda ~ '^[A-Z]{3}$')",
        "",
    );
    let (code, err) = verify(dir.path());
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("error[E0803]"), "{err}");
    assert!(
        err.contains("check tutores_tarifa_hora_moneda_iso on marketplace.tutores is missing from the database"),
        "{err}"
    );
    // Pointed at the model's declaration of the table.
    assert!(err.contains("mitoga.ddd:"), "{err}");
}

#[test]
fn verify_catches_an_incomplete_undo() {
    let dir = example("history");
    edit(
        &dir.path().join("db/migration/U2__reservas_add_notas.sql"),
        "ALTER TABLE reservas.reservas DROP COLUMN IF EXISTS notas;",
        "",
    );
    let (code, err) = verify(dir.path());
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("error[E0804]: U2__reservas_add_notas.sql does not restore the schema after V1__init.sql"),
        "{err}"
    );
    assert!(err.contains("column reservas.reservas.notas is in the database but not in the model"), "{err}");
}

#[test]
fn verify_catches_a_migration_that_is_not_idempotent() {
    let dir = example("history");
    edit(
        &dir.path().join("db/migration/V2__reservas_add_notas.sql"),
        "ADD COLUMN IF NOT EXISTS notas",
        "ADD COLUMN notas",
    );
    let (code, err) = verify(dir.path());
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("error[E0802]: V2__reservas_add_notas.sql fails when it runs a second time"), "{err}");
    assert!(err.contains("column \"notas\" of relation \"reservas\" already exists"), "{err}");
}

#[test]
fn verify_reports_a_migration_that_does_not_apply_and_json_is_one_document() {
    let dir = example("history");
    edit(&dir.path().join("db/migration/V3__rename_tutor_biografia.sql"), "ALTER TABLE", "ALTER TABEL");
    let o = dddc(dir.path(), &["--format", "json", "verify", "--database-url", &url("postgres")]);
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    assert_eq!(doc["command"], "verify");
    assert_eq!(doc["findings"][0]["code"], "E0801");
    assert_eq!(doc["findings"][0]["file"], "V3__rename_tutor_biografia.sql");
    assert!(doc["findings"][0]["message"].as_str().unwrap().contains("syntax error"), "{doc}");
}

#[test]
fn verify_starts_its_own_cluster_without_a_url() {
    let dir = example("history");
    let o = dddc(dir.path(), &["verify"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("starting a throwaway PostgreSQL cluster"), "{err}");
}

/// The generated model of `aggregates` (4 fields each), built.
fn generated_project(aggregates: usize) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    for f in genmodel::ddd(&genmodel::Shape::new(aggregates, 4)) {
        let path = dir.path().join(&f.path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(&path, &f.text).expect("write the model");
    }
    let built = dddc(dir.path(), &["build"]);
    let err = stderr(&built);
    assert!(built.status.success(), "{err}");
    (dir, err)
}

/// A V1 past the throwaway cluster's default lock table: the cluster is
/// started with a lock table sized from the migrations (their headers'
/// counts, and at least what creating the lock's schema locks). It is a
/// server for one client (`dddc::pg::ONE_CLIENT`: 10 connections, no
/// background workers), whose table with the default 64 locks each holds
/// less than V1 of 700 aggregates locks: on PostgreSQL 15, 250 aggregates
/// overflowed it; on 18 (16 autovacuum slots whatever the workers, more
/// shared memory to spare) 400 did not and 600 did. (V1's header says
/// nothing at 700: it is within a default server's 6,400.) The test shows
/// the default overflowing on such a server, then verify passing. (On the
/// server of 200 connections verify started before, the test needed
/// 1,400 aggregates: 20-30 s of the suite per PostgreSQL version.)
#[test]
fn verify_sizes_its_clusters_lock_table_for_a_large_first_migration() {
    let (dir, _) = generated_project(700);
    let small = support::pg::small_cluster("64");
    let v1 = std::fs::read_to_string(dir.path().join("db/migration/V1__init.sql")).expect("V1");
    let mut db = small.create_database("overflow");
    let e = db.batch_execute(&format!("BEGIN;\n{v1}\nCOMMIT;")).expect_err("the default lock table is too small");
    assert!(support::pg::describe_error(&e).contains("out of shared memory"), "{}", support::pg::describe_error(&e));
    drop((db, small));
    let o = dddc(dir.path(), &["verify"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("starting a throwaway PostgreSQL cluster"), "{err}");
    assert!(err.contains("verify passed"), "{err}");
}

/// On a server whose lock table the migrations overflow (`--database-url`),
/// what fails says which setting to raise, from the migrations' own
/// count. The server is small (10 connections, 10 locks each: a lock table
/// of a few hundred objects: `support::pg::small_cluster`) so
/// that 60 aggregates overflow it: 1,400 aggregates took 16 s to fail on
/// the suite's shared server.
#[test]
fn verify_on_a_server_whose_lock_table_is_too_small_says_which_setting_to_raise() {
    let (dir, _) = generated_project(60);
    let small = support::pg::small_cluster("10");
    let url = format!(
        "host={} port={} user={} dbname=postgres",
        small.socket_dir().display(),
        small.port(),
        support::pg::SUPERUSER
    );
    let o = dddc(dir.path(), &["verify", "--database-url", &url]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("out of shared memory (SQLSTATE 53200)"), "{err}");
    let locks: usize = err
        .split("the migrations lock up to about ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count of objects locked in:\n{err}"));
    // The migrations' own count (the generated model is the same on every
    // machine), and the advice from it: 697 + a quarter, over 100
    // connections, rounded up to 64.
    assert_eq!(locks, 697, "{err}");
    assert_eq!(dddc::migrate::locks::locks_per_transaction_needed(locks, 100), 64);
    let advice = "set max_locks_per_transaction = 64 or more with max_connections = 100";
    assert!(err.contains(advice), "{err}");
}

#[test]
fn verify_without_binaries_says_how_to_install_them() {
    let dir = example("history");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_dddc"))
        .args(["-C"])
        .arg(dir.path())
        .arg("verify")
        .env("NO_COLOR", "1")
        .env("DDDC_PG_BIN", dir.path().join("no-such-dir"))
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("error[E0806]"), "{err}");
    assert!(err.contains("apt-get install postgresql"), "{err}");
}

#[test]
fn check_verify_runs_verify_in_the_gate() {
    let dir = example("history");
    let o = dddc(dir.path(), &["--format", "json", "check", "--verify", "--database-url", &url("postgres")]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    assert_eq!(o.status.code(), Some(0), "{doc}");
    assert_eq!(doc["verify"]["findings"], serde_json::json!([]), "{doc}");
    assert_eq!(doc["verify"]["migrations"].as_array().map(Vec::len), Some(6), "{doc}");
    // A broken undo fails the gate.
    edit(
        &dir.path().join("db/migration/U2__reservas_add_notas.sql"),
        "DROP COLUMN IF EXISTS notas",
        "DROP COLUMN IF EXISTS notas_x",
    );
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_dddc"))
        .arg("-C")
        .arg(dir.path())
        .args(["check", "--verify"])
        .env("NO_COLOR", "1")
        .env("DDDC_DATABASE_URL", url("postgres"))
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    // check itself sees the edited undo first: verify does not run on a
    // project that fails the gate.
    assert!(err.contains("U2__reservas_add_notas.sql"), "{err}");
}

// ------------------------------------------------------------------ drift --

/// A database migrated by the example's files the way Flyway does, with
/// Flyway's history table filled as Flyway fills it.
fn migrated(name: &str, dir: &Path) -> postgres::Client {
    let mut db = shared().create_database(name);
    db.batch_execute(
        "CREATE TABLE public.flyway_schema_history (installed_rank int PRIMARY KEY, version varchar(50), \
         description varchar(200) NOT NULL, type varchar(20) NOT NULL, script varchar(1000) NOT NULL, checksum int, \
         installed_by varchar(100) NOT NULL, installed_on timestamp NOT NULL DEFAULT now(), execution_time int NOT NULL, \
         success boolean NOT NULL)",
    )
    .unwrap();
    let lock = dddc::lock::Lock::parse(
        &std::fs::read_to_string(dir.join("db/migration/dddc.lock")).unwrap(),
        std::fs::read_to_string(dir.join("db/migration/dddc.schema")).ok().as_deref(),
    )
    .unwrap();
    let files: Vec<(String, String)> = std::fs::read_dir(dir.join("db/migration"))
        .unwrap()
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).unwrap_or_default()))
        .collect();
    let steps = dddc::introspect::verify::steps(&files, |_| false);
    for (rank, step) in steps.iter().enumerate() {
        dddc::introspect::verify::run(&mut db, &step.apply).unwrap();
        let m = lock.migrations.iter().find(|m| m.file.name == step.apply.name).unwrap();
        db.execute(
            "INSERT INTO public.flyway_schema_history VALUES ($1, $2, $3, 'SQL', $4, $5, 'ci', now(), 1, true)",
            &[&(rank as i32 + 1), &m.version, &m.description, &m.file.name, &m.file.flyway_checksum],
        )
        .unwrap();
    }
    db
}

fn drift(dir: &Path, db: &str) -> (Option<i32>, String) {
    let o = dddc(dir, &["drift", "--database-url", &url(db)]);
    (o.status.code(), stderr(&o))
}

#[test]
fn drift_is_silent_on_a_database_dddc_migrated() {
    let dir = example("history");
    let _db = migrated("drift_clean", dir.path());
    let (code, err) = drift(dir.path(), "drift_clean");
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("no drift: the database is exactly the lock's schema at V6"), "{err}");
}

/// Flyway's history kept in a schema of the model (Flyway's
/// `defaultSchema`) is not a table the model lacks.
#[test]
fn drift_leaves_flyways_table_out_wherever_it_is() {
    let dir = example("history");
    let mut db = migrated("drift_history_in_schema", dir.path());
    db.batch_execute("ALTER TABLE public.flyway_schema_history SET SCHEMA reservas").unwrap();
    let (code, err) = drift(dir.path(), "drift_history_in_schema");
    assert_eq!(code, Some(0), "{err}");
    // A table of that name that is not Flyway's is an error, not a panic.
    db.batch_execute("ALTER TABLE reservas.flyway_schema_history ALTER COLUMN success TYPE text").unwrap();
    let (code, err) = drift(dir.path(), "drift_history_in_schema");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("does not have the columns of Flyway's history table"), "{err}");
}

#[test]
fn drift_names_every_change_made_by_hand() {
    let dir = example("history");
    let mut db = migrated("drift_by_hand", dir.path());
    db.batch_execute(
        "ALTER TABLE reservas.reservas ADD COLUMN apodo text;
         DROP INDEX reservas.idx_reservas_alumno_id;
         ALTER TABLE reservas.reservas ALTER COLUMN estado SET DEFAULT 'CONFIRMADA';
         UPDATE public.flyway_schema_history SET checksum = 42 WHERE version = '2';",
    )
    .unwrap();
    let (code, err) = drift(dir.path(), "drift_by_hand");
    assert_eq!(code, Some(1), "{err}");
    for expected in [
        "column reservas.reservas.apodo is in the database but not in the model",
        "index idx_reservas_alumno_id on reservas.reservas is missing from the database",
        "column reservas.reservas.estado defaults to 'CONFIRMADA' in the database; the model says 'PENDIENTE'",
        "error[E0805]: V2__reservas_add_notas.sql was applied with checksum 42; the lock records",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    // The differences point at the model.
    assert!(err.contains("mitoga.ddd:"), "{err}");
}

#[test]
fn drift_sees_row_level_security_disabled() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dddc.toml"), "model = \"m.ddd\"\n").unwrap();
    std::fs::write(
        dir.path().join("m.ddd"),
        "model m { target postgres 15 }\n\ncontext ventas {\n  tenant by tenant_id\n\n  aggregate Cliente as clientes {\n    nombre: text(80)\n  }\n}\n",
    )
    .unwrap();
    let o = dddc(dir.path(), &["build", "--name", "init"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut db = migrated("drift_rls", dir.path());
    let (code, err) = drift(dir.path(), "drift_rls");
    assert_eq!(code, Some(0), "{err}");
    db.batch_execute("ALTER TABLE ventas.clientes NO FORCE ROW LEVEL SECURITY").unwrap();
    let (code, err) = drift(dir.path(), "drift_rls");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("row-level security is not enabled and forced on ventas.clientes"), "{err}");
}

#[test]
fn drift_reports_pending_migrations_and_compares_at_the_applied_version() {
    let dir = example("history");
    let mut db = migrated("drift_behind", dir.path());
    // Only V1..V3 applied: undo V6..V4 and forget them in the history.
    for u in ["U6__pagos_context.sql", "U5__reservas_index_and_estado_online.sql", "U4__reservas_index_and_estado.sql"]
    {
        let sql = std::fs::read_to_string(dir.path().join("db/migration").join(u)).unwrap();
        let script = dddc::introspect::verify::Script { name: u.into(), sql, transactional: !u.contains("online") };
        dddc::introspect::verify::run(&mut db, &script).unwrap();
    }
    db.batch_execute("DELETE FROM public.flyway_schema_history WHERE version::int > 3").unwrap();
    let o = dddc(dir.path(), &["--format", "json", "drift", "--database-url", &url("drift_behind")]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    assert_eq!(o.status.code(), Some(0), "{doc}");
    assert_eq!(doc["applied"], "3");
    assert_eq!(
        doc["pending"],
        serde_json::json!([
            "V4__reservas_index_and_estado.sql",
            "V5__reservas_index_and_estado_online.sql",
            "V6__pagos_context.sql"
        ])
    );
    assert_eq!(doc["differences"], serde_json::json!([]));
}
