//! Edits of a model as a team makes them, one build each, then `dddc
//! verify` on the real PostgreSQL: every migration applies (twice), the
//! database ends as the lock says, every undo restores the schema before.
//! Each case was found by a black-box review of the CLI (twenty-sixth
//! session): a build that succeeded, then SQL PostgreSQL refused, or a lock
//! that no longer said what the database held. Edits dddc cannot make are
//! refused with a code, and nothing is written.

mod support;

use std::path::Path;

use support::cli::{dddc, stderr};
use support::pg::shared;

fn url(db: &str) -> String {
    let c = shared();
    format!("host={} port={} user={} dbname={db}", c.socket_dir().display(), c.port(), support::pg::SUPERUSER)
}

const CONFIG: &str = "[lint]\nmin_score = 0\n";

fn model(body: &str) -> String {
    format!("/// M.\nmodel m {{\n  target postgres 15\n{body}")
}

/// Builds each model in turn (with `--allow-destructive` when asked),
/// asserting each build succeeds and `check` passes after it.
fn evolve(models: &[String], destructive: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dddc.toml"), CONFIG).unwrap();
    for (i, m) in models.iter().enumerate() {
        std::fs::write(dir.path().join("m.ddd"), m).unwrap();
        let args: &[&str] = if destructive { &["build", "--allow-destructive"] } else { &["build"] };
        let o = dddc(dir.path(), args);
        assert_eq!(o.status.code(), Some(0), "build {}: {}", i + 1, stderr(&o));
        let o = dddc(dir.path(), &["check"]);
        assert_eq!(o.status.code(), Some(0), "check after build {}: {}", i + 1, stderr(&o));
    }
    dir
}

fn verified(dir: &Path) {
    let o = dddc(dir, &["verify", "--database-url", &url("postgres")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// The build of `next` over `dir` is refused with `code` and a message
/// holding `what`, and writes nothing: the migrations folder and the lock
/// are byte for byte as before.
fn refused(dir: &Path, next: &str, destructive: bool, code: &str, what: &str) {
    let before = snapshot(&dir.join("db/migration"));
    std::fs::write(dir.join("m.ddd"), next).unwrap();
    let args: &[&str] = if destructive { &["build", "--allow-destructive"] } else { &["build"] };
    let o = dddc(dir, args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("error[{code}]")) && err.contains(what), "{err}");
    assert_eq!(snapshot(&dir.join("db/migration")), before, "nothing written: {err}");
}

/// The migrations folder's files, by name, with their text.
fn migration_files(dir: &Path) -> Vec<(String, String)> {
    std::fs::read_dir(dir.join("db/migration"))
        .unwrap()
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).unwrap_or_default()))
        .collect()
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

// ------------------------------------------------------------------ roles --

fn with_role(grants: &str) -> String {
    model(&format!(
        "  role app {{\n{grants}\n  }}\n}}\n\n/// S.\ncontext s {{\n  /// A.\n  aggregate A {{\n    /// N.\n    n: int\n  }}\n}}\n\n/// T.\ncontext t {{\n  /// B.\n  aggregate B {{\n    /// X.\n    x: int\n  }}\n}}\n"
    ))
}

/// A role that read a context and now writes it keeps reading it: the
/// revoke of the read took SELECT and USAGE from the new writer. One that
/// wrote a context and is given nothing there loses everything writing
/// gave, SELECT included. Checked by `verify` and by asking PostgreSQL.
#[test]
fn a_roles_access_moves_between_read_and_write_and_away() {
    let steps = [
        with_role("    read s"),
        with_role("    write s"),
        with_role("    read t"),
        with_role("    write s\n    read t"),
        with_role("    read s, t"),
    ];
    let dir = evolve(&steps, false);
    verified(dir.path());
    // The privileges themselves, after V2 (write s) and after V3 (read t).
    let files = migration_files(dir.path());
    let migrations = dddc::introspect::verify::steps(&files, |_| false);
    assert_eq!(migrations.len(), 5, "{files:?}");
    let mut db = shared().create_database("edits_roles");
    let can = |db: &mut postgres::Client, table: &str, what: &str| -> bool {
        db.query_one("SELECT has_table_privilege('app', $1, $2)", &[&table, &what]).unwrap().get(0)
    };
    for (i, step) in migrations.iter().enumerate() {
        dddc::introspect::verify::run(&mut db, &step.apply).unwrap();
        match i {
            1 => {
                assert!(can(&mut db, "s.a", "SELECT") && can(&mut db, "s.a", "INSERT"), "write s reads and writes");
            }
            2 => {
                assert!(!can(&mut db, "s.a", "SELECT") && !can(&mut db, "s.a", "INSERT"), "nothing left on s");
                assert!(can(&mut db, "t.b", "SELECT") && !can(&mut db, "t.b", "INSERT"), "read t");
            }
            _ => {}
        }
    }
}

// ------------------------------------------------------------------ enums --

fn with_enum(values: &str, ty: &str) -> String {
    model(&format!(
        "}}\n\n/// S.\ncontext s {{\n  /// E.\n  enum {ty} {{\n{values}\n  }}\n  /// A.\n  aggregate A {{\n    /// X.\n    x: {} = A\n  }}\n}}\n",
        ty.split_whitespace().next().unwrap()
    ))
}

/// A value removed from a native enum is refused: the plan wrote nothing
/// for it (PostgreSQL cannot remove one), so the build passed and the lock
/// lost a value the database kept.
#[test]
fn a_value_removed_from_a_native_enum_is_refused() {
    let dir = evolve(&[with_enum("    A\n    B\n    C", "E native")], false);
    for destructive in [false, true] {
        refused(
            dir.path(),
            &with_enum("    A\n    B", "E native"),
            destructive,
            "E0702",
            "would remove values from native enum `s.e`: C",
        );
    }
}

/// A value added after one renamed in the same edit, to a type renamed in
/// the same edit: the values' migration runs first, so it names the type
/// and the value as the database has them then. And a native enum
/// widened verifies: its undo leaves the value (it cannot remove it) and
/// says so.
#[test]
fn a_value_added_beside_renames_applies_and_its_undo_verifies() {
    let dir = evolve(
        &[
            with_enum("    A\n    B\n    C", "E native"),
            with_enum("    A\n    B\n    C\n    G", "E native"),
            with_enum("    A\n    B\n    D @was(C)\n    F\n    G", "E native"),
            with_enum("    A\n    B\n    D\n    H\n    F\n    G", "K native @was(E)"),
        ],
        false,
    );
    verified(dir.path());
    let undo = std::fs::read_to_string(dir.path().join("db/migration/U2__add_value_g_to_type_e.sql")).unwrap();
    assert!(undo.contains("-- Leaves in place the enum values its migration added"), "{undo}");
    assert!(undo.contains("--   - G of s.e"), "{undo}");
}

// ------------------------------------------------------------- partitions --

fn partitioned(by: &str) -> String {
    model(&format!(
        "}}\n\n/// S.\ncontext s {{\n  /// A.\n  aggregate A {{\n    /// Country.\n    country: text(3)\n    {by}\n  }}\n}}\n"
    ))
}

/// A partition kept by name whose bounds change is refused, with or
/// without `--allow-destructive`: PostgreSQL cannot change them. A hash
/// partition count changed wrote new partitions overlapping the old ones
/// (or dropped some and left the rest on the old modulus: inserts then
/// failed); a list partition's values changed wrote nothing at all. A list
/// partition renamed was created before the old one went, and overlapped.
#[test]
fn partition_bounds_that_change_are_refused() {
    // A list partition's values reordered are the same bounds.
    let dir = evolve(
        &[
            partitioned("partition by list (country) { eu: ('DE', 'FR'), mx: 'MX' }"),
            partitioned("partition by list (country) { eu: ('FR', 'DE'), mx: 'MX' }"),
        ],
        false,
    );
    verified(dir.path());
    let dir = evolve(&[partitioned("partition by hash (id) into 4")], false);
    for (into, destructive) in [(8, false), (8, true), (2, true)] {
        refused(
            dir.path(),
            &partitioned(&format!("partition by hash (id) into {into}")),
            destructive,
            "E0702",
            "would change the bounds of partition(s) a_p0, a_p1",
        );
    }
    let dir = evolve(&[partitioned("partition by list (country) { es: 'ES', mx: 'MX' }")], false);
    refused(
        dir.path(),
        &partitioned("partition by list (country) { es: 'ESP', mx: 'MX' }"),
        true,
        "E0702",
        "would change the bounds of partition(s) a_es of `s.a`",
    );
    refused(
        dir.path(),
        &partitioned("partition by list (country) { es: 'ES', mex: 'MX' }"),
        true,
        "E0702",
        "would move values of partition `a_mx` of `s.a` to the new partition `a_mex`",
    );
    // What can be done: a partition added, one removed (its rows to the
    // DEFAULT partition).
    let dir = evolve(
        &[
            partitioned("partition by list (country) { es: 'ES', mx: 'MX' }"),
            partitioned("partition by list (country) { es: 'ES', mx: 'MX', pe: 'PE' }"),
            partitioned("partition by list (country) { es: 'ES', pe: 'PE' }"),
        ],
        false,
    );
    verified(dir.path());
}

// ---------------------------------------------------------------- tenancy --

/// A tenant-scoped aggregate `A` with a field `x` and then `rest`.
fn tenant_scoped(rest: &str) -> String {
    model(&format!(
        "}}\n\n/// S.\ncontext s {{\n  tenant by tenant_id\n  /// A.\n  aggregate A {{\n    /// X.\n    x: int\n{rest}  }}\n}}\n"
    ))
}

/// The last entity of a tenant-scoped aggregate removed: the root's
/// `(tenant_id, id)` unique, which only the entity's foreign key needed,
/// went first and PostgreSQL refused while the foreign key stood.
#[test]
fn the_last_entity_of_a_tenant_scoped_aggregate_can_be_removed() {
    let dir = evolve(
        &[tenant_scoped("    /// E.\n    entity E {\n      /// Y.\n      y: int\n    }\n"), tenant_scoped("")],
        true,
    );
    verified(dir.path());
}

// ---------------------------------------------------------- column types --

fn typed(id: &str, x: &str) -> String {
    model(&format!(
        "}}\n\n/// S.\ncontext s {{\n  /// E.\n  enum E native {{\n    A\n    B\n  }}\n  /// F.\n  enum F native {{\n    A\n    B\n    C\n  }}\n  /// A.\n  aggregate A {{\n    {id}\n    /// X.\n    x: {x}\n  }}\n  /// B.\n  aggregate B {{\n    /// A.\n    a: ref A\n  }}\n}}\n"
    ))
}

/// A key changed between types PostgreSQL has no cast for (`bigint` to
/// `uuid`) is refused even with `--allow-destructive`: the migration
/// written could never apply, not even to an empty table. Enum columns
/// convert through their text: from one enum type to another, to and
/// from a string.
#[test]
fn a_conversion_postgresql_has_no_cast_for_is_refused_and_enums_convert_through_text() {
    // One way only: `json` to `int` has a cast, the undo's way back none.
    let dir = evolve(&[typed("id: bigint identity", "json")], false);
    refused(
        dir.path(),
        &typed("id: bigint identity", "int"),
        true,
        "E0702",
        "which PostgreSQL cannot convert both ways",
    );
    let dir = evolve(&[typed("id: bigint identity", "E = A")], false);
    for id in ["id: uuid", "id: uuid v7"] {
        refused(
            dir.path(),
            &typed(id, "E = A"),
            true,
            "E0702",
            "would change `s.a.id` from BIGINT to UUID, which PostgreSQL cannot convert",
        );
    }
    let dir = evolve(
        &[
            typed("id: bigint identity", "E = A"),
            typed("id: int identity", "F = A"),
            typed("id: bigint", "text(10)"),
            typed("id: bigint", "E"),
        ],
        true,
    );
    verified(dir.path());
    let v2 = std::fs::read_dir(dir.path().join("db/migration"))
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("V2__"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .unwrap();
    assert!(v2.contains("ALTER TABLE s.a ALTER COLUMN x TYPE s.f USING x::text::s.f;"), "{v2}");
}

/// A required column dropped, then undone: its values are gone, so it
/// comes back nullable on a table with rows, and NOT NULL on one without
/// (then the schema is exactly the one before, which `verify` demands of
/// every undo: it failed on each such drop). The undo's header says so.
#[test]
fn the_undo_of_a_dropped_required_column_is_required_again_when_it_can_be() {
    let dir = evolve(&[tenant_scoped("    /// Y.\n    y: int\n"), tenant_scoped("")], true);
    verified(dir.path());
    let files = migration_files(dir.path());
    let undo = &files.iter().find(|(n, _)| n.starts_with("U2__")).expect("U2").1;
    assert!(undo.contains("without their values") && undo.contains("--   - s.a.y"), "{undo}");
    // With a row, the column comes back nullable (its value is lost).
    let steps = dddc::introspect::verify::steps(&files, |_| false);
    let mut db = shared().create_database("edits_undo_rows");
    dddc::introspect::verify::run(&mut db, &steps[0].apply).unwrap();
    db.batch_execute("INSERT INTO s.a (tenant_id, x, y) VALUES (gen_random_uuid(), 1, 2)").unwrap();
    dddc::introspect::verify::run(&mut db, &steps[1].apply).unwrap();
    dddc::introspect::verify::run(&mut db, steps[1].undo.as_ref().expect("U2")).unwrap();
    let nullable: String = db
        .query_one(
            "SELECT is_nullable FROM information_schema.columns WHERE table_schema = 's' AND table_name = 'a' AND column_name = 'y'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(nullable, "YES");
}

// ------------------------------------------------------- second round --

fn context(body: &str) -> String {
    model(&format!("}}\n\n/// C.\ncontext c {{\n{body}}}\n"))
}

/// A narrowing allowed with `--allow-destructive` stops, changing nothing,
/// when a row would not survive it: an array's elements are checked (they
/// were not at all), and a number made `float` is compared in its old
/// type (compared as floats, 9007199254740993 passed and became ...992).
/// An array whose elements widen is a widening (it was refused).
#[test]
fn narrowing_arrays_and_numbers_to_float_stops_on_a_value_that_does_not_fit() {
    let with = |f1: &str, f2: &str, f3: &str| {
        context(&format!(
            "  /// T.\n  aggregate T {{\n    /// F1.\n    f1: {f1}\n    /// F2.\n    f2: {f2}\n    /// F3.\n    f3: {f3}\n  }}\n"
        ))
    };
    let dir = evolve(&[with("bigint", "decimal(20, 0)", "text(10)[]"), with("float", "float", "text(5)[]")], true);
    verified(dir.path());
    let files = migration_files(dir.path());
    let steps = dddc::introspect::verify::steps(&files, |_| false);
    for (column, value) in [("f1", "9007199254740993"), ("f2", "12345678901234567891"), ("f3", "'{abcdefgh}'")] {
        let mut db = shared().create_database(&format!("edits_narrow_{column}"));
        dddc::introspect::verify::run(&mut db, &steps[0].apply).unwrap();
        let (f1, f2, f3) = match column {
            "f1" => (value, "1", "'{a}'"),
            "f2" => ("1", value, "'{a}'"),
            _ => ("1", "1", value),
        };
        db.batch_execute(&format!("INSERT INTO c.t (f1, f2, f3) VALUES ({f1}, {f2}, {f3})")).unwrap();
        let e = dddc::introspect::verify::run(&mut db, &steps[1].apply).expect_err(column);
        assert!(e.to_string().contains("holds values that do not fit"), "{column}: {e}");
        let kept: String = db.query_one(&format!("SELECT {column}::text FROM c.t"), &[]).unwrap().get(0);
        assert!(kept.contains(value.trim_matches('\'').trim_matches(['{', '}'])), "{column}: {kept}");
    }
    // Elements that widen.
    let ints = |t: &str| context(&format!("  /// T.\n  aggregate T {{\n    /// N.\n    n: {t}\n  }}\n"));
    let dir = evolve(&[ints("int[]"), ints("bigint[]")], false);
    verified(dir.path());
}

/// The check that a narrowing keeps every value read the table under
/// ACCESS SHARE, and the change that followed waited for writers: a row
/// written between the two (here, updated before the check and committed
/// after it) was cut to the new length without a word. The table is now
/// locked before the check: the migration waits for the writer, then sees
/// its row and stops. Two sessions on the real PostgreSQL.
#[test]
fn a_row_written_while_a_narrowing_is_checked_stops_it_instead_of_being_cut() {
    let with = |t: &str| context(&format!("  /// T.\n  aggregate T {{\n    /// Note.\n    note: {t}?\n  }}\n"));
    let dir = evolve(&[with("text(50)"), with("text(20)")], true);
    let files = migration_files(dir.path());
    let steps = dddc::introspect::verify::steps(&files, |_| false);
    let mut db = shared().create_database("edits_narrow_race");
    dddc::introspect::verify::run(&mut db, &steps[0].apply).unwrap();
    db.batch_execute("INSERT INTO c.t (note) VALUES ('short')").unwrap();
    // The application: a long note, not yet committed.
    let mut app = shared().connect("edits_narrow_race");
    app.batch_execute("BEGIN; UPDATE c.t SET note = 'this note is thirty characters'").unwrap();
    let migration = steps[1].apply.clone();
    let run = std::thread::spawn(move || {
        let mut db = shared().connect("edits_narrow_race");
        dddc::introspect::verify::run(&mut db, &migration)
    });
    // The migration waits (for the lock, before its check).
    let waiting = |db: &mut postgres::Client| -> i64 {
        db.query_one("SELECT count(*) FROM pg_locks WHERE relation = 'c.t'::regclass AND NOT granted", &[])
            .unwrap()
            .get(0)
    };
    let start = std::time::Instant::now();
    while waiting(&mut db) == 0 && start.elapsed() < std::time::Duration::from_secs(4) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(waiting(&mut db), 1, "the migration waits for the writer");
    app.batch_execute("COMMIT").unwrap();
    let e = run.join().unwrap().expect_err("the narrowing stops");
    assert!(e.to_string().contains("holds values that do not fit"), "{e}");
    let note: String = db.query_one("SELECT note FROM c.t", &[]).unwrap().get(0);
    assert_eq!(note, "this note is thirty characters");
}

/// A backfill on a busy table. Without `expected_rows` it was one
/// `UPDATE`, which holds every row it fills until it commits: the
/// application's writes to any of them waited for all of it (0
/// transactions per second for 11 s on a million rows). And it ran with
/// `lock_timeout = 0`: behind one idle transaction it waited forever,
/// holding the rows of its batch. Now batched unless the table is
/// declared small, with the configured lock_timeout: while the last
/// batch waits for a row an idle transaction holds, the earlier batches
/// are committed and their rows free; then it fails on the timeout, and
/// run again once the transaction ends, it finishes.
#[test]
fn a_backfill_on_a_busy_table_commits_batch_by_batch_and_never_waits_forever() {
    let with = |f: &str| context(&format!("  /// T.\n  aggregate T {{\n    /// N.\n    n: int\n{f}  }}\n"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dddc.toml"), "[lint]\nmin_score = 0\n\n[migrations]\nlock_timeout = \"1s\"\n")
        .unwrap();
    for m in [with(""), with("    /// Label.\n    label: text(10) @backfill('x')\n")] {
        std::fs::write(dir.path().join("m.ddd"), m).unwrap();
        let o = dddc(dir.path(), &["build"]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let files = migration_files(dir.path());
    let steps = dddc::introspect::verify::steps(&files, |_| false);
    assert_eq!(steps.len(), 3, "V1, V2 and its online half");
    let mut db = shared().create_database("edits_busy_backfill");
    dddc::introspect::verify::run(&mut db, &steps[0].apply).unwrap();
    db.batch_execute("INSERT INTO c.t (n) SELECT g FROM generate_series(1, 25000) g").unwrap();
    dddc::introspect::verify::run(&mut db, &steps[1].apply).unwrap();
    // An idle transaction holds the row the last batch needs.
    let last: String = db.query_one("SELECT id::text FROM c.t ORDER BY id DESC LIMIT 1", &[]).unwrap().get(0);
    let first: String = db.query_one("SELECT id::text FROM c.t ORDER BY id LIMIT 1", &[]).unwrap().get(0);
    let mut idle = shared().connect("edits_busy_backfill");
    idle.execute("BEGIN", &[]).unwrap();
    idle.execute("SELECT 1 FROM c.t WHERE id = CAST($1::text AS uuid) FOR UPDATE", &[&last]).unwrap();
    let online = steps[2].apply.clone();
    let run = std::thread::spawn(move || {
        let mut db = shared().connect("edits_busy_backfill");
        let started = std::time::Instant::now();
        (dddc::introspect::verify::run(&mut db, &online), started.elapsed())
    });
    let waiting = |db: &mut postgres::Client| -> i64 {
        db.query_one("SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted", &[])
            .unwrap()
            .get(0)
    };
    let start = std::time::Instant::now();
    while waiting(&mut db) == 0 && start.elapsed() < std::time::Duration::from_secs(5) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // Meanwhile the first batches are committed and their rows are free.
    let filled: i64 = db.query_one("SELECT count(*) FROM c.t WHERE label IS NOT NULL", &[]).unwrap().get(0);
    assert_eq!(filled, 20000, "two batches committed while the third waits");
    let mut app = shared().connect("edits_busy_backfill");
    app.batch_execute("SET lock_timeout = '200ms'").unwrap();
    app.execute("UPDATE c.t SET n = -1 WHERE id = CAST($1::text AS uuid)", &[&first])
        .expect("the first batch's rows are free");
    let (result, took) = run.join().unwrap();
    let e = result.expect_err("the backfill gives up on the timeout");
    assert!(e.to_string().contains("lock timeout"), "{e}");
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
    idle.execute("COMMIT", &[]).unwrap();
    dddc::introspect::verify::run(&mut db, &steps[2].apply).expect("run again, it finishes");
    let missing: i64 = db.query_one("SELECT count(*) FROM c.t WHERE label IS NULL", &[]).unwrap().get(0);
    assert_eq!(missing, 0);
}

/// A header said "rewrites the table" for a `varchar` made longer (a value
/// added to a CHECK enum widens its column), where PostgreSQL changes
/// only the catalog. Looked at, not read from the SQL: the table's file
/// (`relfilenode`) stays for a longer `varchar`, `text` and a wider
/// `numeric`, and changes for `int` to `bigint`, as each header says.
#[test]
fn a_widening_the_catalog_makes_is_not_called_a_rewrite() {
    let with = |a: &str, b: &str, c: &str, d: &str| {
        context(&format!(
            "  /// T.\n  aggregate T {{\n    /// A.\n    a: {a}\n    /// B.\n    b: {b}\n    /// C.\n    c: {c}\n    /// D.\n    d: {d}\n    index (a)\n  }}\n"
        ))
    };
    let first = with("text(7)", "text(5)", "decimal(10, 2)", "int");
    for (step, rewrites) in [
        (with("text(9)", "text", "decimal(12, 2)", "int"), false),
        (with("text(7)", "text(5)", "decimal(10, 2)", "bigint"), true),
    ] {
        let dir = evolve(&[first.clone(), step], false);
        let files = migration_files(dir.path());
        let steps = dddc::introspect::verify::steps(&files, |_| false);
        let v2 = &files.iter().find(|(n, _)| n.starts_with("V2__")).unwrap().1;
        let mut db = shared().create_database(&format!("edits_widen_{rewrites}"));
        dddc::introspect::verify::run(&mut db, &steps[0].apply).unwrap();
        db.batch_execute("INSERT INTO c.t (a, b, c, d) VALUES ('abc', 'de', 1.5, 1)").unwrap();
        // The table's file, and its index's on the changed column `a`.
        let file = |db: &mut postgres::Client| -> Vec<u32> {
            db.query(
                "SELECT relfilenode FROM pg_class WHERE oid IN ('c.t'::regclass, 'c.idx_t_a'::regclass) ORDER BY relname",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
        };
        let before = file(&mut db);
        dddc::introspect::verify::run(&mut db, &steps[1].apply).unwrap();
        let after = file(&mut db);
        assert_eq!(after[1] != before[1], rewrites, "the table's file: {v2}");
        assert_eq!(after[0] == before[0], !rewrites, "the index's file: {v2}");
        assert_eq!(v2.contains("WARNING: rewrites the table"), rewrites, "{v2}");
        assert_eq!(v2.contains("(rewrites the table)"), rewrites, "{v2}");
    }
}

/// An index or a check whose definition changes is dropped and made
/// again: its comment went with the old one, and `verify` (and `drift`)
/// found it missing after migrations only dddc wrote — for an edit as
/// ordinary as an invariant's condition. The comment is said again (the
/// index's in the online migration, where it is built concurrently).
#[test]
fn an_index_or_check_made_again_keeps_its_comment() {
    let with = |cond: &str| {
        context(&format!(
            "  /// T.\n  aggregate T {{\n    /// N.\n    n: int\n    /// The live rows.\n    unique (n) where {cond}\n    /// Positive.\n    invariant pos: {cond}\n  }}\n"
        ))
    };
    let dir = evolve(&[with("n > 0"), with("n > 1")], false);
    verified(dir.path());
}

/// An audited aggregate's list: its elements had no audit trigger, and
/// an element changed (a posted journal's evidence swapped) left no
/// trail. With rows.
#[test]
fn the_elements_of_an_audited_aggregates_list_are_audited() {
    let m = model(
        "  audit_log audit.log monthly from 2025-11 to 2026-02\n}\n\n/// A.\ncontext audit {\n}\n\n/// G.\ncontext gl {\n  /// Doc.\n  value Doc {\n    /// Uri.\n    uri: text(100)\n  }\n  /// J.\n  aggregate Journal {\n    /// N.\n    n: int\n    /// Docs.\n    docs: Doc[]\n    audited\n  }\n}\n",
    );
    let dir = evolve(&[m], false);
    verified(dir.path());
    let files = migration_files(dir.path());
    let steps = dddc::introspect::verify::steps(&files, |_| false);
    let mut db = shared().create_database("edits_audited_list");
    dddc::introspect::verify::run(&mut db, &steps[0].apply).unwrap();
    db.batch_execute(
        "INSERT INTO gl.journal (n) VALUES (1); \
         INSERT INTO gl.journal_docs (journal_id, position, uri) SELECT id, 0, 's3://evidence' FROM gl.journal; \
         UPDATE gl.journal_docs SET uri = 's3://evil';",
    )
    .unwrap();
    let rows: Vec<(String, String, Option<String>)> = db
        .query("SELECT entidad, accion, datos_despues ->> 'uri' FROM audit.log ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        rows,
        [
            ("gl.journal".to_string(), "INSERT".to_string(), None),
            ("gl.journal_docs".to_string(), "INSERT".to_string(), Some("s3://evidence".to_string())),
            ("gl.journal_docs".to_string(), "UPDATE".to_string(), Some("s3://evil".to_string())),
        ]
    );
}

/// A CHECK enum's value renamed, with a partial unique index whose
/// condition names it: the main migration built the new index (`status
/// != DID_NOT_ATTEND`) while rows still held `NO_SHOW` (renamed online,
/// later), and a `NO_SHOW` row beside a `BOOKED` one of the same key —
/// valid before and after — made it fail as a duplicate. The index is
/// built online once the rows have their new names. With rows.
#[test]
fn an_index_whose_condition_names_a_renamed_value_is_built_after_the_rows_move() {
    let with = |value: &str| {
        context(&format!(
            "  /// St.\n  enum St {{\n    /// A.\n    BOOKED\n    /// B.\n    {value}\n  }}\n  /// A.\n  aggregate Appt {{\n    /// C.\n    clinician: uuid\n    /// T.\n    starts_at: timestamp\n    /// S.\n    status: St = BOOKED\n    /// Live ones.\n    unique (clinician, starts_at) where status != {}\n  }}\n",
            value.split(' ').next().unwrap()
        ))
    };
    let dir = evolve(&[with("NO_SHOW"), with("DID_NOT_ATTEND @was(NO_SHOW)")], false);
    verified(dir.path());
    let files = migration_files(dir.path());
    let steps = dddc::introspect::verify::steps(&files, |_| false);
    let mut db = shared().create_database("edits_renamed_value_index");
    dddc::introspect::verify::run(&mut db, &steps[0].apply).unwrap();
    db.batch_execute(
        "INSERT INTO c.appt (clinician, starts_at, status) VALUES \
         ('00000000-0000-0000-0000-000000000001', '2026-01-01 10:00', 'NO_SHOW'), \
         ('00000000-0000-0000-0000-000000000001', '2026-01-01 10:00', 'BOOKED')",
    )
    .unwrap();
    for step in &steps[1..] {
        dddc::introspect::verify::run(&mut db, &step.apply).unwrap_or_else(|e| panic!("V{}: {e}", step.version));
    }
    let e = db
        .batch_execute(
            "INSERT INTO c.appt (clinician, starts_at) VALUES ('00000000-0000-0000-0000-000000000001', '2026-01-01 10:00')",
        )
        .expect_err("the new index holds");
    assert_eq!(e.as_db_error().and_then(|d| d.constraint()), Some("uq_appt_clinician_starts_at"), "{e}");
    // A partitioned table's index cannot be built concurrently: it stays
    // in the main migration (the review of this fix found the online one
    // would have failed there).
    let partitioned = |value: &str| {
        with(value).replace(
            "    /// Live ones.\n",
            "    partition by range (starts_at) monthly from 2026-01 to 2026-02\n    /// Live ones.\n",
        )
    };
    let dir = evolve(&[partitioned("NO_SHOW"), partitioned("DID_NOT_ATTEND @was(NO_SHOW)")], false);
    verified(dir.path());
}

/// A value added to a native enum of a context renamed in the same edit:
/// the values' migration runs first, under the schema's old name (it
/// named the new one, which did not exist yet).
#[test]
fn a_value_added_to_an_enum_of_a_renamed_context_applies() {
    let with = |name: &str, values: &str| {
        model(&format!(
            "}}\n\n/// X.\ncontext {name} {{\n  /// K.\n  enum K native {{\n{values}\n  }}\n  /// T.\n  aggregate T {{\n    /// K.\n    k: K\n  }}\n}}\n"
        ))
    };
    let dir = evolve(&[with("x", "    A\n    B"), with("y @was(x)", "    A\n    B\n    C")], false);
    verified(dir.path());
}

/// An event type removed from an outbox is refused like a value removed
/// from a CHECK-based enum: its rows fail the new check (the online
/// migration's validation failed on real data, and verify's database is
/// empty).
#[test]
fn an_event_type_removed_is_refused_without_allow_destructive() {
    let with = |types: &str| {
        context(&format!(
            "  /// P.\n  aggregate Person {{\n    /// N.\n    name: text(100)\n    /// E.\n    events outbox {{\n{types}\n    }}\n  }}\n"
        ))
    };
    let dir = evolve(&[with("      CREATED\n      UPDATED")], false);
    refused(
        dir.path(),
        &with("      CREATED"),
        false,
        "E0701",
        "would remove event type(s) UPDATED of `c.person_events`",
    );
    // With the context renamed in the same edit (the plan names drops by
    // their old names, which hid the check from the model's).
    let renamed = with("      CREATED").replace("context c {", "context d @was(c) {");
    refused(dir.path(), &renamed, false, "E0701", "would remove event type(s) UPDATED of `d.person_events`");
}

/// A natural key changed: the old primary key is dropped only while it is
/// not yet the new one, so the migration runs twice (verify runs each twice;
/// the second run tried to drop the new key, which a foreign key needed).
#[test]
fn a_natural_key_changed_runs_twice() {
    let with = |key: &str| {
        context(&format!(
            "  /// Country.\n  aggregate Country {{\n    /// Code.\n    code: char(2)\n    /// Region.\n    region: text(10)\n    key ({key})\n    /// City.\n    entity City {{\n      /// N.\n      name: text(20)\n    }}\n  }}\n"
        ))
    };
    let dir = evolve(&[with("code"), with("region, code")], true);
    verified(dir.path());
    // A key column renamed in the same edit: the guard compares with the
    // new key, not the old one's columns (renamed after the drop).
    let renamed = |key: &str| with(key).replace("    code: char(2)\n", "    iso: char(2) @was(code)\n");
    let dir = evolve(&[with("code"), renamed("region, iso")], true);
    verified(dir.path());
}

/// A context dropped with a role's access to it, and the drop undone: the
/// undo creates the schema again and grants the role what it had there
/// (the plan's picture of the database still listed the dropped schema in
/// the role's grants, so the undo granted nothing).
#[test]
fn the_undo_of_a_dropped_context_grants_its_roles_again() {
    let with = |grants: &str, x: bool| {
        let x =
            if x { "/// X.\ncontext x {\n  /// T.\n  aggregate T {\n    /// N.\n    n: int\n  }\n}\n\n" } else { "" };
        model(&format!(
            "  role app {{\n{grants}\n  }}\n}}\n\n{x}/// Y.\ncontext y {{\n  /// U.\n  aggregate U {{\n    /// N.\n    n: int\n  }}\n}}\n"
        ))
    };
    let dir = evolve(&[with("    write x\n    read y", true), with("    write y", false)], true);
    verified(dir.path());
}

// -------------------------------------------------------- third round --

/// A partitioned aggregate with `search` (a stored generated column): the
/// rows a new partition takes from the DEFAULT one, and those of a
/// partition dropped, were copied with `SELECT *`, and PostgreSQL refused
/// a value for the generated column. The columns are now listed, the
/// generated one left out (and computed again). With rows, as a
/// migration meets them.
#[test]
fn rows_move_between_partitions_of_a_searchable_aggregate() {
    let with = |range: &str| {
        model(&format!(
            "}}\n\n/// S.\ncontext sales {{\n  tenant by tenant_id\n  /// Nota.\n  aggregate Nota {{\n    /// At.\n    at: timestamp\n    /// Texto.\n    texto: text\n    partition by range (at) monthly {range}\n    search simple (texto A)\n  }}\n}}\n"
        ))
    };
    let dir = evolve(
        &[with("from 2025-11 to 2025-12"), with("from 2025-11 to 2026-01"), with("from 2025-12 to 2026-01")],
        true,
    );
    verified(dir.path());
    let files = migration_files(dir.path());
    let steps = dddc::introspect::verify::steps(&files, |_| false);
    let mut db = shared().create_database("edits_partition_search");
    dddc::introspect::verify::run(&mut db, &steps[0].apply).unwrap();
    db.batch_execute(
        "INSERT INTO sales.nota (tenant_id, at, texto) VALUES \
         (gen_random_uuid(), '2025-11-15', 'noviembre'), (gen_random_uuid(), '2026-01-15', 'enero')",
    )
    .unwrap();
    for step in &steps[1..] {
        dddc::introspect::verify::run(&mut db, &step.apply).unwrap();
    }
    let rows: Vec<(String, String, String)> = db
        .query("SELECT tableoid::regclass::text, texto, search_vector::text FROM sales.nota ORDER BY at", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        rows,
        [
            ("sales.nota_default".to_string(), "noviembre".to_string(), "'noviembre':1A".to_string()),
            ("sales.nota_2026_01".to_string(), "enero".to_string(), "'enero':1A".to_string()),
        ]
    );
}

/// An audited partitioned aggregate: the rows a new partition takes from
/// the DEFAULT one, and those of a partition dropped, are moved by an
/// `INSERT` through the table, and its audit trigger logged an `INSERT`
/// for each (and no `DELETE`): a trail of inserts nobody made. The
/// trigger is now silent during the move, and fires again after it.
#[test]
fn rows_moved_between_partitions_leave_no_trail_in_the_audit_log() {
    let with = |range: &str| {
        model(&format!(
            "  audit_log audit.log monthly from 2025-11 to 2026-02\n}}\n\n/// A.\ncontext audit {{\n}}\n\n/// S.\ncontext sales {{\n  /// Nota.\n  aggregate Nota {{\n    /// At.\n    at: timestamp\n    /// Texto.\n    texto: text\n    audited\n    partition by range (at) monthly {range}\n  }}\n}}\n"
        ))
    };
    let dir = evolve(
        &[with("from 2025-11 to 2025-12"), with("from 2025-11 to 2026-01"), with("from 2025-12 to 2026-01")],
        true,
    );
    verified(dir.path());
    let files = migration_files(dir.path());
    let steps = dddc::introspect::verify::steps(&files, |_| false);
    let mut db = shared().create_database("edits_partition_audit");
    dddc::introspect::verify::run(&mut db, &steps[0].apply).unwrap();
    db.batch_execute("INSERT INTO sales.nota (at, texto) VALUES ('2025-11-15', 'noviembre'), ('2026-01-15', 'enero')")
        .unwrap();
    let trail = |db: &mut postgres::Client| -> Vec<(String, String)> {
        db.query("SELECT accion, datos_despues ->> 'texto' FROM audit.log ORDER BY id", &[])
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    };
    let inserted = vec![("INSERT".to_string(), "noviembre".to_string()), ("INSERT".to_string(), "enero".to_string())];
    assert_eq!(trail(&mut db), inserted);
    // The locks the move holds, looked at before it commits: ACCESS
    // EXCLUSIVE on the table (the DETACH), and, from silencing the
    // trigger, SHARE ROW EXCLUSIVE on a partition the move does not touch
    // (a writer naming it directly waits; docs/migrations.md says so).
    assert!(steps[1].apply.transactional);
    db.batch_execute(&format!("BEGIN;\n{}", steps[1].apply.sql)).unwrap();
    let held = |db: &mut postgres::Client, rel: &str| -> Vec<String> {
        db.query(
            "SELECT mode FROM pg_locks WHERE pid = pg_backend_pid() AND relation = to_regclass($1) ORDER BY mode",
            &[&rel],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
    };
    assert!(held(&mut db, "sales.nota").contains(&"AccessExclusiveLock".to_string()));
    assert_eq!(held(&mut db, "sales.nota_2025_11"), ["ShareRowExclusiveLock"]);
    db.batch_execute("ROLLBACK").unwrap();
    for step in &steps[1..] {
        dddc::introspect::verify::run(&mut db, &step.apply).unwrap();
        assert_eq!(trail(&mut db), inserted, "after V{}", step.version);
    }
    let rows: Vec<(String, String)> = db
        .query("SELECT tableoid::regclass::text, texto FROM sales.nota ORDER BY at", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        rows,
        [
            ("sales.nota_default".to_string(), "noviembre".to_string()),
            ("sales.nota_2026_01".to_string(), "enero".to_string())
        ]
    );
    // Awake again, on the table and on every partition.
    let disabled: i64 = db
        .query_one("SELECT count(*) FROM pg_trigger WHERE tgname = 'nota_audit' AND tgenabled <> 'O'", &[])
        .unwrap()
        .get(0);
    assert_eq!(disabled, 0);
    db.batch_execute("UPDATE sales.nota SET texto = 'diciembre' WHERE texto = 'noviembre'").unwrap();
    assert_eq!(trail(&mut db).last(), Some(&("UPDATE".to_string(), "diciembre".to_string())));
}

/// Two backfills in one edit, one reading the column the other fills:
/// `alias` (renamed from `nick`, now required, `@backfill(upper(full))`)
/// and a new `code` `@backfill(coalesce(alias, lower(full)))`. The new
/// column's backfill ran first and read the old NULLs of `alias`
/// (`code = 'ab'` where `'AB'` was meant). With rows.
#[test]
fn a_backfill_that_reads_another_backfilled_column_runs_after_it() {
    let with = |fields: &str| {
        context(&format!("  /// P.\n  aggregate P {{\n    /// Full.\n    full: text(20)\n{fields}  }}\n"))
    };
    let dir = evolve(
        &[
            with("    /// Nick.\n    nick: text(10)?\n"),
            with("    /// Alias.\n    alias: text(20) @was(nick) @backfill(upper(full))\n    /// Code.\n    code: text(30) @backfill(coalesce(alias, lower(full)))\n"),
        ],
        false,
    );
    verified(dir.path());
    let files = migration_files(dir.path());
    let steps = dddc::introspect::verify::steps(&files, |_| false);
    let mut db = shared().create_database("edits_backfill_order");
    dddc::introspect::verify::run(&mut db, &steps[0].apply).unwrap();
    db.batch_execute("INSERT INTO c.p (\"full\") VALUES ('ab')").unwrap();
    for step in &steps[1..] {
        dddc::introspect::verify::run(&mut db, &step.apply).unwrap();
    }
    let row = db.query_one("SELECT alias, code FROM c.p", &[]).unwrap();
    assert_eq!((row.get::<_, String>(0), row.get::<_, String>(1)), ("AB".to_string(), "AB".to_string()));
}
