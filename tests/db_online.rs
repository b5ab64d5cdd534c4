//! Migrations on a busy table (issue 12): while the migrations that add an
//! enum value and a foreign key (and, in a second test, that replace a
//! primary key) run against a table of 1,000,000 rows, a
//! second connection keeps inserting and reading, and none of its
//! statements waits anywhere near the lock timeout. The lock audit
//! (`tests/support/lock_audit.rs`, run over every migration case by
//! `tests/migrations.rs`) shows which locks the statements take; this test
//! shows what that means for an application.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dddc::build::{plan, FileReport, Inputs};
use dddc::config::Config;
use dddc::lock::Lock;

const V1: &str = r#"
/// Bookings of a tutoring marketplace.
model mitoga {
  target postgres 15
  tables plural_es
}

/// Bookings.
context reservas {
  enum EstadoReserva {
    PENDIENTE
    CONFIRMADA
    CANCELADA
  }

  /// A tutor who sells classes.
  aggregate Tutor {
    nombre: text(100)
  }

  /// A booked class.
  aggregate Reserva {
    alumno: text(100)
    estado: EstadoReserva = PENDIENTE
    expected_rows 1M
  }
}
"#;

/// A value added to the CHECK-based enum, and a reference (a foreign key
/// and its index) on the big table.
const V2: &str = r#"
/// Bookings of a tutoring marketplace.
model mitoga {
  target postgres 15
  tables plural_es
}

/// Bookings.
context reservas {
  enum EstadoReserva {
    PENDIENTE
    CONFIRMADA
    CANCELADA
    NO_ASISTIO
  }

  /// A tutor who sells classes.
  aggregate Tutor {
    nombre: text(100)
  }

  /// A booked class.
  aggregate Reserva {
    alumno: text(100)
    estado: EstadoReserva = PENDIENTE
    tutor: ref Tutor?
    expected_rows 1M
  }
}
"#;

const ROWS: i64 = 1_000_000;

fn build(ddd: &str, lock: Option<Lock>) -> (Vec<FileReport>, Lock) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("model.ddd");
    std::fs::write(&root, ddd).expect("write model");
    let fe = dddc::frontend(&root, &root).expect("read model");
    let model = fe.model.unwrap_or_else(|| {
        panic!(
            "{}",
            dddc::diagnostics::render_text(&fe.sources, &fe.diagnostics, dddc::diagnostics::ColorChoice::Never)
        )
    });
    let config = Config::default();
    let inputs = Inputs { lock, ..Inputs::new(&config, dir.path()) };
    let planned = plan(&model, &inputs).unwrap_or_else(|e| panic!("the build fails: {e:?}"));
    let text = |name: &str| {
        planned
            .outputs
            .iter()
            .find(|o| o.path.file_name().is_some_and(|n| n.to_string_lossy() == name))
            .map(|o| String::from_utf8_lossy(&o.bytes).into_owned())
    };
    let lock = Lock::parse(&text("dddc.lock").expect("a lock"), Some(&text("dddc.schema").expect("a snapshot")))
        .expect("the lock parses");
    (planned.files, lock)
}

/// Runs a migration the way Flyway does: in one transaction, or statement
/// by statement.
fn run(db: &mut postgres::Client, f: &FileReport) -> Vec<(String, Instant, Duration)> {
    let mut timings = Vec::new();
    if f.transactional {
        db.batch_execute("BEGIN").expect("begin");
    }
    for p in &f.prelude {
        db.batch_execute(p).expect("prelude");
    }
    for s in &f.statements {
        let start = Instant::now();
        if let Err(e) = db.batch_execute(&s.sql) {
            panic!("{}: {}\n  in: {}", f.file, support::pg::describe_error(&e), s.sql);
        }
        timings.push((s.plain().first().cloned().unwrap_or_default(), start, start.elapsed()));
    }
    if f.transactional {
        db.batch_execute("COMMIT").expect("commit");
    }
    timings
}

#[test]
fn the_application_keeps_writing_while_a_big_table_migrates() {
    let pg = support::pg::shared();
    let mut db = pg.create_database("online_busy");
    let (v1, lock) = build(V1, None);
    for f in &v1 {
        run(&mut db, f);
    }
    db.batch_execute(&format!(
        "INSERT INTO reservas.tutores (nombre) VALUES ('Ana');\n\
         INSERT INTO reservas.reservas (alumno, estado) \
         SELECT 'alumno ' || g, (ARRAY['PENDIENTE', 'CONFIRMADA', 'CANCELADA'])[1 + g % 3] FROM generate_series(1, {ROWS}) g;\n\
         ANALYZE reservas.reservas;"
    ))
    .expect("a million rows");
    let (v2, _) = build(V2, Some(lock));
    assert_eq!(v2.len(), 2, "a main migration and an online one: {:?}", v2.iter().map(|f| &f.file).collect::<Vec<_>>());
    assert!(!v2[1].transactional, "the validations and the index run outside a transaction");

    let Busy { ops, slowest, report, .. } = while_the_application_writes(
        pg,
        "online_busy",
        &mut db,
        &v2,
        "INSERT INTO reservas.reservas (alumno, estado) VALUES ($1, 'CONFIRMADA') RETURNING id::text",
        "SELECT alumno FROM reservas.reservas WHERE id = $1::text::uuid",
    );
    assert!(ops > 0, "the application made no progress while the table migrated:\n{report}");
    // None of its statements failed on the 5 s lock timeout (that would
    // have panicked above); the slowest stayed well under it.
    assert!(slowest < Duration::from_secs(5), "an application statement waited {slowest:?}:\n{report}");
    // The work that scans the table ran while the application wrote.
    let new_value: i64 = db
        .query_one("SELECT count(*) FROM reservas.reservas WHERE alumno LIKE 'en vivo %'", &[])
        .expect("count")
        .get(0);
    assert_eq!(new_value as u64, ops, "every insert of the application is there");
    let valid: bool = db
        .query_one(
            "SELECT bool_and(convalidated) FROM pg_constraint WHERE conrelid = 'reservas.reservas'::regclass",
            &[],
        )
        .expect("validity")
        .get(0);
    assert!(valid, "every constraint is validated at the end");
    db.batch_execute("INSERT INTO reservas.reservas (alumno, estado) VALUES ('nuevo', 'NO_ASISTIO')")
        .expect("the new value");
}

const KEYED_V1: &str = r#"
/// Vouchers of a tutoring marketplace.
model mitoga {
  target postgres 15
  tables plural_es
}

/// Bookings.
context reservas {
  /// A voucher, by its code.
  aggregate Bono {
    codigo: text(20)
    serie: int
    key (codigo)
    expected_rows 1M
  }
}
"#;

/// A primary key replaced on a table of 1,000,000 rows (`key (codigo)` →
/// `key (codigo, serie)`): its index is built concurrently and swapped in
/// while a second connection keeps inserting and reading by key, and none
/// of its statements waits anywhere near the lock timeout.
#[test]
fn the_application_keeps_writing_while_a_big_tables_key_is_replaced() {
    let pg = support::pg::shared();
    let mut db = pg.create_database("online_busy_key");
    let (v1, lock) = build(KEYED_V1, None);
    for f in &v1 {
        run(&mut db, f);
    }
    db.batch_execute(&format!(
        "INSERT INTO reservas.bonos (codigo, serie) SELECT 'bono ' || g, g % 7 FROM generate_series(1, {ROWS}) g;\n\
         ANALYZE reservas.bonos;"
    ))
    .expect("a million rows");
    let (v2, _) = build(&KEYED_V1.replace("key (codigo)", "key (codigo, serie)"), Some(lock));
    assert_eq!(v2.len(), 1, "only an online migration: {:?}", v2.iter().map(|f| &f.file).collect::<Vec<_>>());
    assert!(!v2[0].transactional);
    let Busy { ops, slowest, during, longest, report } = while_the_application_writes(
        pg,
        "online_busy_key",
        &mut db,
        &v2,
        "INSERT INTO reservas.bonos (codigo, serie) VALUES ($1, 1) RETURNING codigo::text",
        "SELECT serie FROM reservas.bonos WHERE codigo = $1",
    );
    assert!(ops > 0, "the application made no progress while the key was replaced:\n{report}");
    // The longest statement is the new key's index build, and the
    // application wrote through it.
    assert!(longest.starts_with("CREATE UNIQUE INDEX CONCURRENTLY"), "{report}");
    assert!(during > 0, "no insert got through while the key's index was built:\n{report}");
    assert!(slowest < Duration::from_secs(5), "an application statement waited {slowest:?}:\n{report}");
    let rows: i64 = db.query_one("SELECT count(*) FROM reservas.bonos", &[]).expect("count").get(0);
    assert_eq!(rows as u64, ROWS as u64 + ops, "every row is there");
    let key = support::catalog::primary_key(&mut db, "reservas.bonos");
    assert_eq!(key, ["codigo", "serie"]);
}

/// Runs `files` on `db` while a second connection to `name` keeps
/// inserting (`insert`, given a new text, returns a key) and reading by
/// that key (`select`), each statement bounded by the migrations' lock
/// timeout.
fn while_the_application_writes(
    pg: &support::pg::PgCluster,
    name: &str,
    db: &mut postgres::Client,
    files: &[FileReport],
    insert: &'static str,
    select: &'static str,
) -> Busy {
    let done = Arc::new(AtomicBool::new(false));
    let app = {
        let done = Arc::clone(&done);
        let mut app = pg.connect(name);
        std::thread::spawn(move || {
            app.batch_execute("SET lock_timeout = '5s'; SET statement_timeout = '5s'").expect("timeouts");
            let mut ops = 0u64;
            let mut slowest = Duration::ZERO;
            let mut n = 0u64;
            let mut finished = Vec::new();
            while !done.load(Ordering::SeqCst) {
                n += 1;
                let start = Instant::now();
                let row = app.query_one(insert, &[&format!("en vivo {n}")]).unwrap_or_else(|e| {
                    panic!("an INSERT failed while migrating: {}", support::pg::describe_error(&e))
                });
                let key: String = row.get(0);
                app.query_one(select, &[&key])
                    .unwrap_or_else(|e| panic!("a SELECT failed while migrating: {}", support::pg::describe_error(&e)));
                slowest = slowest.max(start.elapsed());
                ops += 1;
                finished.push(Instant::now());
            }
            (ops, slowest, finished)
        })
    };
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let mut timings = Vec::new();
    for f in files {
        timings.extend(run(db, f));
    }
    let migrating = started.elapsed();
    done.store(true, Ordering::SeqCst);
    let (ops, slowest, finished) = app.join().expect("the application thread");
    // How many of its pairs finished while the longest statement ran: an
    // order of events, not a speed (a statement that blocked writes would
    // let none through).
    let (longest, from, took) =
        timings.iter().max_by_key(|(_, _, t)| *t).cloned().unwrap_or((String::new(), started, Duration::ZERO));
    let during = finished.iter().filter(|&&at| at > from && at < from + took).count();
    let mut report = format!(
        "migrations on {ROWS} rows took {migrating:?}; meanwhile the application ran {ops} insert+select pairs, the slowest in {slowest:?}, {during} of them during the longest statement\n"
    );
    for (stmt, _, t) in &timings {
        if *t > Duration::from_millis(50) {
            report.push_str(&format!("  {t:?}  {}\n", stmt.lines().next().unwrap_or_default()));
        }
    }
    eprintln!("{report}");
    Busy { ops, slowest, during, longest, report }
}

/// What [`while_the_application_writes`] saw.
struct Busy {
    /// Insert+select pairs made while the migrations ran.
    ops: u64,
    /// The slowest pair.
    slowest: Duration,
    /// Pairs that finished while the longest migration statement ran.
    during: usize,
    /// That statement.
    longest: String,
    report: String,
}
