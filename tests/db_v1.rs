//! V1 and U1 of every model on a real PostgreSQL: every `examples/<name>/`
//! (with its `dddc.toml`) and every `tests/models/*.ddd`.
//!
//! For each model, in its own database:
//! 1. V1 applies inside one transaction (`BEGIN … COMMIT`, as Flyway runs it),
//!    and every foreign key's columns lead a (non-partial) index;
//! 2. applying V1 a second time succeeds and changes nothing: a fingerprint
//!    of the catalog (relations, columns, constraints, indexes, triggers,
//!    policies, types, functions, comments, privileges, publications) is
//!    identical before and after;
//! 3. U1 leaves an empty database: no relation, type or function in a
//!    non-system schema, no model schema, extension, publication, default
//!    privilege or role left.
//!
//! One test runs every model (in parallel threads) and reports every
//! failure, so one run shows everything that broke. Roles are cluster-wide;
//! the models use disjoint role names, so their databases do not interfere.

mod support;

#[path = "../tools/genmodel/src/lib.rs"]
#[allow(dead_code)]
mod genmodel;

use std::path::{Path, PathBuf};

use dddc::build::{plan, Inputs};
use dddc::config::{discover, Config};
use support::catalog::{fingerprint, lines, USER_NS};

#[test]
fn every_model_applies_twice_and_undoes() {
    // (database name, root file, configuration)
    let mut models: Vec<(String, PathBuf, Config)> = Vec::new();
    let mut examples: Vec<PathBuf> = std::fs::read_dir("examples")
        .expect("read examples/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("dddc.toml").is_file())
        .collect();
    examples.sort();
    for dir in examples {
        let project = discover(Some(&dir)).unwrap_or_else(|e| panic!("{e}"));
        let name = dir.file_name().unwrap().to_string_lossy();
        models.push((format!("v1_example_{name}"), project.model, project.config));
    }
    assert!(models.iter().any(|(n, _, _)| n == "v1_example_mitoga"), "examples/mitoga is missing");
    let mut extra: Vec<PathBuf> = std::fs::read_dir("tests/models")
        .expect("read tests/models")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "ddd"))
        .collect();
    extra.sort();
    assert!(extra.len() >= 6, "expected the models of tests/models, found {extra:?}");
    for p in extra {
        let name = format!("v1_{}", p.file_stem().unwrap().to_string_lossy());
        models.push((name, p, Config::default()));
    }
    // The benchmark's shape, multi-tenant, with outboxes, audit and search:
    // many tables, partitions and policies in one V1.
    let generated_dir = tempfile::tempdir().expect("temp dir");
    let rich = genmodel::Shape { tenants: true, rich: true, ..genmodel::Shape::new(60, 12) };
    models.push(("v1_generated_rich".into(), generated(generated_dir.path(), &rich), Config::default()));

    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> =
            models.iter().map(|(name, path, config)| scope.spawn(move || check_model(name, path, config))).collect();
        handles
            .into_iter()
            .zip(&models)
            .filter_map(|(h, (_, path, _))| match h.join() {
                Ok(Ok(())) => None,
                Ok(Err(msg)) => Some(format!("{}: {msg}", path.display())),
                Err(_) => Some(format!("{}: panicked", path.display())),
            })
            .collect()
    });
    assert!(failures.is_empty(), "{} of {} models failed:\n\n{}", failures.len(), models.len(), failures.join("\n\n"));
}

/// The limits E0602 enforces are PostgreSQL's: the fixture with exactly
/// 1,600 columns (the key and the timestamps included) applies, and one
/// column more, or an index of 33 columns, is refused by the server with
/// the errors dddc's diagnostic stands for.
#[test]
fn the_column_limits_dddc_enforces_are_postgresqls() {
    let root = Path::new("tests/validation/schema/E0602_ok_1600_columns.ddd");
    let compiled = compile(root, &Config::default()).expect("compiles");
    let mut db = support::pg::shared().create_database("column_limits");
    db.batch_execute(&format!("BEGIN;\n{}\nCOMMIT;", compiled.v1)).expect("1,600 columns apply");
    let count = |db: &mut postgres::Client| {
        lines(db, "SELECT count(*)::text FROM pg_attribute WHERE attrelid = 'c.wide'::regclass AND attnum > 0")
    };
    assert_eq!(count(&mut db), ["1600"]);
    let refused = |db: &mut postgres::Client, sql: &str| {
        let err = db.batch_execute(sql).expect_err(sql);
        let server = err.as_db_error().unwrap_or_else(|| panic!("not the server's error: {err}"));
        (server.code().code().to_string(), server.message().to_string())
    };
    assert_eq!(
        refused(&mut db, "ALTER TABLE c.wide ADD COLUMN one_more integer"),
        ("54011".to_string(), "tables can have at most 1600 columns".to_string())
    );
    let columns = |n: usize| (0..n).map(|i| format!("b0_f{i}")).collect::<Vec<_>>().join(", ");
    db.batch_execute(&format!("CREATE INDEX of_32 ON c.wide ({})", columns(32))).expect("32 columns index");
    assert_eq!(
        refused(&mut db, &format!("CREATE INDEX of_33 ON c.wide ({})", columns(33))),
        ("54011".to_string(), "cannot use more than 32 columns in an index".to_string())
    );
    assert_eq!(count(&mut db), ["1600"]);
}

/// A generated project (tools/genmodel) in `dir`; its root file.
fn generated(dir: &Path, shape: &genmodel::Shape) -> PathBuf {
    written(dir, &genmodel::ddd(shape))
}

/// `files` (a generated project) written in `dir`; its root file.
fn written(dir: &Path, files: &[genmodel::File]) -> PathBuf {
    for f in files {
        let path = dir.join(&f.path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(&path, &f.text).expect("write the model");
    }
    dir.join("model.ddd")
}

/// The first migration's estimate of the objects it keeps locked until it
/// commits (what its header warns about on large models) is an upper bound
/// of what PostgreSQL's `pg_locks` shows just before the commit, and a
/// close one: plain tables, and tenant-scoped ones with outboxes (monthly
/// partitions), audit trails and full-text search.
#[test]
fn the_first_migrations_lock_estimate_bounds_pg_locks() {
    let cluster = support::pg::shared();
    let dir = tempfile::tempdir().expect("temp dir");
    let shapes = [
        ("v1_locks_plain", genmodel::Shape::new(60, 12)),
        ("v1_locks_rich", genmodel::Shape { tenants: true, rich: true, ..genmodel::Shape::new(60, 12) }),
    ];
    for (name, shape) in shapes {
        let root = generated(&dir.path().join(name), &shape);
        let compiled = compile(&root, &Config::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let estimate = dddc::migrate::locks::objects_locked_creating(&compiled.snapshot);
        let mut db = cluster.create_database(name);
        within_the_estimate(name, estimate, held_at_commit(&mut db, &compiled.v1), false);
    }
}

/// Runs `sql` in one transaction and counts the distinct objects its
/// session holds a lock on just before the commit.
fn held_at_commit(db: &mut postgres::Client, sql: &str) -> usize {
    db.batch_execute(&format!("BEGIN;\n{sql}")).unwrap_or_else(|e| panic!("{}", support::pg::describe_error(&e)));
    let held: i64 = db
        .query_one(
            "SELECT count(*) FROM (SELECT DISTINCT locktype, database, relation, classid, objid, objsubid \
             FROM pg_locks WHERE pid = pg_backend_pid()) l",
            &[],
        )
        .expect("pg_locks")
        .get(0);
    db.batch_execute("COMMIT").expect("commit");
    usize::try_from(held).expect("a count")
}

/// The estimate is an upper bound of what was held, and a close one: at
/// most a tenth over for tables created; for tables changed at most twice
/// (it counts one object for changes that may lock none, and what
/// PostgreSQL 18 locks and 15 does not: a column's NOT NULL constraints).
fn within_the_estimate(what: &str, estimate: usize, held: usize, changed: bool) {
    eprintln!("{what}: estimated {estimate} objects locked, pg_locks shows {held}");
    let slack = if changed { held } else { held / 10 };
    assert!(held <= estimate && estimate <= held + slack + 64, "{what}: estimated {estimate}, held {held}");
}

/// A first migration that would lock more objects than a default server's
/// lock table holds says so in its header and to the user, with the setting
/// it needs; a smaller one says nothing.
#[test]
fn a_first_migration_too_large_for_the_default_lock_table_says_what_it_needs() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (aggregates, warns) in [(60, false), (200, true)] {
        let shape = genmodel::Shape { tenants: true, rich: true, ..genmodel::Shape::new(aggregates, 12) };
        let root = generated(&dir.path().join(format!("g{aggregates}")), &shape);
        let fe = dddc::frontend(&root, &root).expect("reads");
        let model = fe.model.expect("a valid model");
        let estimate = dddc::migrate::locks::objects_locked_creating(&fe.schema.expect("a schema"));
        let config = Config::default();
        let built = plan(&model, &Inputs::new(&config, dir.path())).expect("plans");
        let v1 = built.outputs.iter().find(|o| o.path.ends_with("V1__init.sql")).expect("V1");
        let v1 = String::from_utf8_lossy(&v1.bytes);
        let header: Vec<&str> = v1.lines().take_while(|l| l.starts_with("--")).collect();
        let warning = format!("-- WARNING: holds locks on about {estimate} objects until it commits");
        assert_eq!(header.iter().any(|l| l.starts_with(&warning)), warns, "{aggregates}: {header:#?}");
        assert_eq!(warns, estimate > dddc::migrate::locks::DEFAULT_LOCK_TABLE, "{aggregates}: {estimate}");
        let notice = built.notices.iter().find(|n| n.contains("max_locks_per_transaction"));
        assert_eq!(notice.is_some(), warns, "{:?}", built.notices);
        if warns {
            // A quarter more than the estimate, over 100 connections.
            let setting = (estimate + estimate / 4).div_ceil(100).div_ceil(64) * 64;
            assert!(notice.is_some_and(|n| n.contains(&format!("max_locks_per_transaction = {setting} or more"))));
            assert!(header.iter().any(|l| l.contains(&format!("max_locks_per_transaction = {setting} or more"))));
        }
    }
}

/// What the warning says PostgreSQL does, on real servers: a first
/// migration that keeps more objects locked than the server's lock table
/// holds fails with "out of shared memory" and creates nothing; on a server
/// set as the warning advises for its connections
/// (`locks_per_transaction_needed`), it applies. The servers are small (10
/// connections, the fewest background processes) so that 60 aggregates are
/// enough: with `max_locks_per_transaction = 10` their lock table holds a
/// few hundred objects, and V1 keeps about 900 locked.
#[test]
fn a_first_migration_over_the_lock_table_fails_and_the_advised_setting_is_enough() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = generated(dir.path(), &genmodel::Shape::new(60, 12));
    let compiled = compile(&root, &Config::default()).expect("compiles");
    let estimate = dddc::migrate::locks::objects_locked_creating(&compiled.snapshot);
    let connections = 10;
    let tables = |db: &mut postgres::Client| {
        lines(
            db,
            &format!("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {USER_NS}"),
        )
    };

    let cluster = support::pg::small_cluster("10");
    let mut db = cluster.create_database("lock_table_too_small");
    let err = db.batch_execute(&format!("BEGIN;\n{}\nCOMMIT;", compiled.v1)).expect_err("the lock table is too small");
    let server = err.as_db_error().unwrap_or_else(|| panic!("not the server's error: {err}"));
    assert_eq!(
        (server.code(), server.message()),
        (&postgres::error::SqlState::OUT_OF_MEMORY, "out of shared memory"),
        "{}",
        support::pg::describe_error(&err)
    );
    assert!(server.hint().is_some_and(|h| h.contains("max_locks_per_transaction")), "{:?}", server.hint());
    db.batch_execute("ROLLBACK").expect("rollback");
    assert_eq!(tables(&mut db), Vec::<String>::new(), "nothing is created");
    drop(cluster);

    let advised = dddc::migrate::locks::locks_per_transaction_needed(estimate, connections);
    eprintln!("{estimate} objects estimated: max_locks_per_transaction = {advised} with {connections} connections");
    let cluster = support::pg::small_cluster(&advised.to_string());
    let mut db = cluster.create_database("lock_table_as_advised");
    run_script(&mut db, &compiled.v1).unwrap_or_else(|e| panic!("with the advised setting: {e}"));
    assert!(!tables(&mut db).is_empty());
}

/// The first build of `first` and the evolution to `second` (both
/// generated): the second build's plan, and the estimate of what its main
/// (transactional) migration keeps locked.
fn evolution(dir: &Path, first: &genmodel::Shape, second: &genmodel::Shape) -> (dddc::build::Plan, usize, String) {
    evolution_of(dir, &genmodel::ddd(first), &genmodel::ddd(second))
}

/// [`evolution`] between two projects' files.
fn evolution_of(dir: &Path, first: &[genmodel::File], second: &[genmodel::File]) -> (dddc::build::Plan, usize, String) {
    let config = Config::default();
    let root = written(&dir.join("first"), first);
    let fe = dddc::frontend(&root, &root).expect("reads");
    let built = plan(&fe.model.expect("a model"), &Inputs::new(&config, dir)).expect("plans");
    let text = |p: &dddc::build::Plan, name: &str| {
        p.outputs
            .iter()
            .find(|o| o.path.file_name().is_some_and(|f| f == name))
            .map(|o| String::from_utf8_lossy(&o.bytes).into_owned())
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let lock = dddc::lock::Lock::parse(&text(&built, "dddc.lock"), Some(&text(&built, "dddc.schema"))).expect("lock");
    let v1 = text(&built, "V1__init.sql");
    let root = written(&dir.join("second"), second);
    let fe = dddc::frontend(&root, &root).expect("reads");
    let (model, schema) = (fe.model.expect("a model"), fe.schema.expect("a schema"));
    let planned = dddc::migrate::plan(&lock.schema, &model, &schema, dddc::migrate::Options::default());
    let main = planned.files.iter().find(|f| f.kind == dddc::migrate::FileKind::Main).expect("a main migration");
    let estimate = dddc::migrate::locks::objects_locked_changing(&main.changes, &main.after);
    let next = plan(&model, &Inputs { lock: Some(lock.clone()), ..Inputs::new(&config, dir) }).expect("plans");
    (next, estimate, v1)
}

/// The main migration of an evolution (here: 140 aggregates added to 60,
/// tenant-scoped, with outboxes, audit and search) keeps no more objects
/// locked than its estimate says, and not many fewer.
#[test]
fn an_evolutions_lock_estimate_bounds_pg_locks() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rich = |n| genmodel::Shape { tenants: true, rich: true, ..genmodel::Shape::new(n, 12) };
    let (next, estimate, v1) = evolution(dir.path(), &rich(60), &rich(200));
    main_migration_within_the_estimate("v1_locks_evolution", &next, estimate, &v1, false);
}

/// The same for changes to tables that exist: a column and a check on
/// every aggregate's table, and an event type on every outbox (a
/// partitioned table whose check is replaced, with its 15 partitions).
#[test]
fn an_evolution_of_existing_tables_stays_within_its_lock_estimate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = genmodel::ddd(&genmodel::Shape { tenants: true, rich: true, ..genmodel::Shape::new(60, 12) });
    let second: Vec<genmodel::File> = first
        .iter()
        .map(|f| genmodel::File {
            path: f.path.clone(),
            text: f
                .text
                .replace(
                    "    /// Listings by status, sorted by name.\n",
                    "    extra_note: text(40)?\n    invariant extra_short: extra_note is null or len(extra_note) < 30\n    /// Listings by status, sorted by name.\n",
                )
                .replace("      CLOSED\n", "      CLOSED\n      REOPENED\n"),
        })
        .collect();
    let (next, estimate, v1) = evolution_of(dir.path(), &first, &second);
    main_migration_within_the_estimate("v1_locks_existing", &next, estimate, &v1, true);
}

/// Applies `v1`, then the main (transactional) V2 of `next` in one
/// transaction, and checks what it held at the commit against `estimate`.
fn main_migration_within_the_estimate(
    db_name: &str,
    next: &dddc::build::Plan,
    estimate: usize,
    v1: &str,
    changed: bool,
) {
    let main = next
        .outputs
        .iter()
        .filter(|o| o.path.extension().is_some_and(|x| x == "sql"))
        .find(|o| {
            let name = o.path.file_name().expect("a name").to_string_lossy();
            name.starts_with("V2")
                && !next.outputs.iter().any(|c| c.path.to_string_lossy() == format!("{}.conf", o.path.display()))
        })
        .expect("V2, the main migration");
    let mut db = support::pg::shared().create_database(db_name);
    run_script(&mut db, v1).expect("V1 applies");
    let held = held_at_commit(&mut db, &String::from_utf8_lossy(&main.bytes));
    within_the_estimate(&main.path.display().to_string(), estimate, held, changed);
}

/// A later migration that creates enough to overflow a default lock table
/// warns as the first one does; a small one does not.
#[test]
fn a_large_evolution_says_what_the_lock_table_needs() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (to, warns) in [(100, false), (600, true)] {
        let sub = dir.path().join(format!("to{to}"));
        let (next, estimate, _) = evolution(&sub, &genmodel::Shape::new(60, 12), &genmodel::Shape::new(to, 12));
        assert_eq!(warns, estimate > dddc::migrate::locks::DEFAULT_LOCK_TABLE, "{to}: {estimate}");
        let warning = format!("-- WARNING: holds locks on about {estimate} objects until it commits");
        let headers: Vec<String> = next
            .outputs
            .iter()
            .filter(|o| o.path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("V2")))
            .map(|o| {
                String::from_utf8_lossy(&o.bytes)
                    .lines()
                    .take_while(|l| l.starts_with("--"))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .collect();
        assert_eq!(headers.iter().any(|h| h.contains(&warning)), warns, "{to}: {headers:#?}");
        assert_eq!(next.notices.iter().any(|n| n.contains("max_locks_per_transaction")), warns, "{:?}", next.notices);
    }
}

/// What a model compiles to.
struct Compiled {
    /// The PostgreSQL major version the model targets.
    target: u32,
    extensions: Vec<String>,
    v1: String,
    u1: String,
    /// The schema the lock's snapshot records: what the database must hold.
    snapshot: dddc::relational::Schema,
    schemas: Vec<String>,
    roles: Vec<String>,
}

fn compile(root: &Path, config: &Config) -> Result<Compiled, String> {
    let fe = dddc::frontend(root, root).map_err(|e| format!("cannot read the model: {e:?}"))?;
    let Some(model) = fe.model else {
        return Err(format!(
            "the model does not compile:\n{}",
            dddc::diagnostics::render_text(&fe.sources, &fe.diagnostics, dddc::diagnostics::ColorChoice::Never)
        ));
    };
    let schema = dddc::relational::lower(&model).map_err(|d| format!("lowering failed: {d:?}"))?;
    let inputs = Inputs::new(config, root.parent().unwrap_or(Path::new(".")));
    let plan = plan(&model, &inputs).map_err(|e| format!("build plan failed: {e:?}"))?;
    let file = |name: &str| -> Result<String, String> {
        plan.outputs
            .iter()
            .find(|o| o.path.file_name().is_some_and(|f| f == name))
            .map(|o| String::from_utf8(o.bytes.clone()).expect("UTF-8 SQL"))
            .ok_or_else(|| format!("the plan has no {name}"))
    };
    Ok(Compiled {
        target: model.target,
        extensions: schema.extensions.clone(),
        v1: file("V1__init.sql")?,
        u1: file("U1__init.sql")?,
        snapshot: dddc::lock::snapshot::read(&file("dddc.schema")?)?,
        schemas: schema.schemas.iter().map(|s| s.name.clone()).collect(),
        roles: schema.roles.iter().map(|r| r.name.clone()).collect(),
    })
}

fn check_model(db_name: &str, path: &Path, config: &Config) -> Result<(), String> {
    let compiled = compile(path, config)?;
    let cluster = support::pg::shared();
    let major = cluster.version_num() / 10000;
    if compiled.target > major {
        // Its SQL uses what older servers lack (uuidv7()): it runs when the
        // suite runs on a newer server (scripts/test.sh, PostgreSQL 18).
        eprintln!(
            "{}: targets PostgreSQL {}, this server is {major}: not applied here",
            path.display(),
            compiled.target
        );
        return Ok(());
    }
    let mut db = cluster.create_database(db_name);
    // The PostgreSQL 18 run uses server binaries without PostGIS: the models
    // that need it are applied by the run on the system's PostgreSQL.
    for ext in &compiled.extensions {
        let available: bool = db
            .query_one("SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = $1)", &[ext])
            .map_err(|e| e.to_string())?
            .get(0);
        if !available && major >= 18 {
            eprintln!("{}: extension {ext} is not installed on this server: not applied here", path.display());
            return Ok(());
        }
    }

    run_script(&mut db, &compiled.v1).map_err(|e| format!("V1 does not apply: {e}"))?;
    let unindexed = foreign_keys_without_index(&mut db);
    if !unindexed.is_empty() {
        return Err(format!("foreign keys without an index on their columns:\n  {}", unindexed.join("\n  ")));
    }
    // Introspection round trip: the catalog, read back, is the schema the
    // snapshot records.
    let scope = dddc::introspect::Scope { schemas: compiled.schemas.clone(), public: false };
    let (actual, unsupported) = dddc::introspect::read(&mut db, &scope)?;
    if !unsupported.is_empty() {
        return Err(format!("introspection found what the schema cannot say: {unsupported:?}"));
    }
    let differences = dddc::introspect::compare(&compiled.snapshot, &actual);
    if !differences.is_empty() {
        let lines: Vec<String> = differences.iter().map(|d| d.message.clone()).collect();
        return Err(format!("the catalog read back differs from the snapshot:\n  {}", lines.join("\n  ")));
    }
    // Flyway would never run V1 twice, but the spec (§12) promises that a
    // second run is a no-op, and the guarded statements must stay so.
    let before = fingerprint(&mut db);
    run_script(&mut db, &compiled.v1).map_err(|e| format!("V1 applied a second time fails: {e}"))?;
    let after = fingerprint(&mut db);
    if before != after {
        let diff = similar::TextDiff::from_lines(&before, &after)
            .unified_diff()
            .context_radius(1)
            .header("after the first V1", "after the second V1")
            .to_string();
        return Err(format!("the second V1 changed the catalog:\n{diff}"));
    }

    run_script(&mut db, &compiled.u1).map_err(|e| format!("U1 does not apply: {e}"))?;
    let left = leftovers(&mut db, &compiled);
    if !left.is_empty() {
        return Err(format!("U1 left behind:\n  {}", left.join("\n  ")));
    }
    // U1 is idempotent too.
    run_script(&mut db, &compiled.u1).map_err(|e| format!("U1 applied a second time fails: {e}"))?;
    Ok(())
}

/// Every foreign key (`pg_constraint.contype = 'f'`) whose columns do not
/// lead a non-partial index of its table, or follow its leading `tenant_id`
/// (§9.4 puts `tenant_id` first in every index of a tenant-scoped table; see
/// `tests/db_known_bugs.rs` for why that is not enough):
/// `table constraint (columns)`.
fn foreign_keys_without_index(db: &mut postgres::Client) -> Vec<String> {
    let fks = db
        .query(
            &format!(
                "SELECT c.conrelid::regclass::text, c.conname::text, \
                   array(SELECT a.attname::text FROM unnest(c.conkey) k \
                         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k) \
                 FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
                 WHERE c.contype = 'f' AND {USER_NS} ORDER BY 1, 2"
            ),
            &[],
        )
        .expect("list foreign keys");
    let indexes = db
        .query(
            "SELECT i.indrelid::regclass::text, \
               array(SELECT coalesce(a.attname::text, '(expression)') \
                     FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord) \
                     LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
                     ORDER BY k.ord) \
             FROM pg_index i WHERE i.indpred IS NULL",
            &[],
        )
        .expect("list indexes");
    let mut missing = Vec::new();
    for fk in &fks {
        let (table, name, mut cols): (String, String, Vec<String>) = (fk.get(0), fk.get(1), fk.get(2));
        cols.sort();
        let covered = indexes.iter().any(|ix| {
            let (t, icols): (String, Vec<String>) = (ix.get(0), ix.get(1));
            let leads = |skip: usize| {
                let mut lead: Vec<String> = icols.iter().skip(skip).take(cols.len()).cloned().collect();
                lead.sort();
                lead == cols
            };
            t == table && (leads(0) || (icols.first().is_some_and(|c| c == "tenant_id") && leads(1)))
        });
        if !covered {
            missing.push(format!("{table} {name} ({})", cols.join(", ")));
        }
    }
    missing
}

/// Runs a script the way Flyway does: in one transaction.
fn run_script(db: &mut postgres::Client, sql: &str) -> Result<(), String> {
    match db.batch_execute(&format!("BEGIN;\n{sql}\nCOMMIT;")) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = db.batch_execute("ROLLBACK");
            let mut msg = support::pg::describe_error(&e);
            if let Some(db_err) = e.as_db_error() {
                if let Some(w) = db_err.where_() {
                    msg.push_str(&format!("\n  where: {w}"));
                }
                if let Some(d) = db_err.detail() {
                    msg.push_str(&format!("\n  detail: {d}"));
                }
            }
            Err(msg)
        }
    }
}

/// What is left after U1 that should not be.
fn leftovers(db: &mut postgres::Client, compiled: &Compiled) -> Vec<String> {
    let mut left = Vec::new();
    left.extend(lines(
        db,
        &format!(
            "SELECT format('relation %I.%I (kind %s)', n.nspname, c.relname, c.relkind) \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {USER_NS} ORDER BY 1"
        ),
    ));
    left.extend(lines(
        db,
        &format!(
            "SELECT format('type %I.%I', n.nspname, t.typname) \
             FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE {USER_NS} ORDER BY 1"
        ),
    ));
    left.extend(lines(
        db,
        &format!(
            "SELECT format('function %s', p.oid::regprocedure) \
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {USER_NS} ORDER BY 1"
        ),
    ));
    left.extend(lines(
        db,
        &format!(
            "SELECT format('schema %I', n.nspname) FROM pg_namespace n \
             WHERE {USER_NS} AND n.nspname <> 'public' ORDER BY 1"
        ),
    ));
    for s in &compiled.schemas {
        if s == "public" {
            continue;
        }
        let exists =
            db.query_one("SELECT count(*) FROM pg_namespace WHERE nspname = $1", &[s]).unwrap().get::<_, i64>(0);
        if exists > 0 {
            left.push(format!("model schema {s}"));
        }
    }
    left.extend(lines(
        db,
        "SELECT format('extension %I', extname) FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1",
    ));
    left.extend(lines(db, "SELECT format('publication %I', pubname) FROM pg_publication ORDER BY 1"));
    left.extend(lines(
        db,
        "SELECT format('default privileges of %s', defaclrole::regrole) FROM pg_default_acl ORDER BY 1",
    ));
    left.extend(lines(db, "SELECT format('trigger %I', tgname) FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1"));
    for r in &compiled.roles {
        let exists = db.query_one("SELECT count(*) FROM pg_roles WHERE rolname = $1", &[r]).unwrap().get::<_, i64>(0);
        if exists > 0 {
            left.push(format!("role {r}"));
        }
    }
    left
}
