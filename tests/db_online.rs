//! Migrations on a busy table (issue 12): while the migrations that add an
//! enum value and a foreign key run against a table of 1,000,000 rows, a
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
fn run(db: &mut postgres::Client, f: &FileReport) -> Vec<(String, Duration)> {
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
        timings.push((s.plain().first().cloned().unwrap_or_default(), start.elapsed()));
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

    // The application: inserts and reads by key, each bounded by the lock
    // timeout the migrations use, until the migrations are done.
    let done = Arc::new(AtomicBool::new(false));
    let app = {
        let done = Arc::clone(&done);
        let mut app = pg.connect("online_busy");
        std::thread::spawn(move || {
            app.batch_execute("SET lock_timeout = '5s'; SET statement_timeout = '5s'").expect("timeouts");
            let mut ops = 0u64;
            let mut slowest = Duration::ZERO;
            let mut n = 0u64;
            while !done.load(Ordering::SeqCst) {
                n += 1;
                let start = Instant::now();
                let row = app
                    .query_one(
                        "INSERT INTO reservas.reservas (alumno, estado) VALUES ($1, 'CONFIRMADA') RETURNING id::text",
                        &[&format!("en vivo {n}")],
                    )
                    .unwrap_or_else(|e| {
                        panic!("an INSERT failed while migrating: {}", support::pg::describe_error(&e))
                    });
                let id: String = row.get(0);
                app.query_one("SELECT alumno FROM reservas.reservas WHERE id = $1::text::uuid", &[&id])
                    .unwrap_or_else(|e| panic!("a SELECT failed while migrating: {}", support::pg::describe_error(&e)));
                slowest = slowest.max(start.elapsed());
                ops += 1;
            }
            (ops, slowest)
        })
    };
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let mut timings = Vec::new();
    for f in &v2 {
        timings.extend(run(&mut db, f));
    }
    let migrating = started.elapsed();
    done.store(true, Ordering::SeqCst);
    let (ops, slowest) = app.join().expect("the application thread");

    let mut report = format!(
        "migrations on {ROWS} rows took {migrating:?}; meanwhile the application ran {ops} insert+select pairs, the slowest in {slowest:?}\n"
    );
    for (stmt, t) in &timings {
        if *t > Duration::from_millis(50) {
            report.push_str(&format!("  {t:?}  {}\n", stmt.lines().next().unwrap_or_default()));
        }
    }
    eprintln!("{report}");
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
