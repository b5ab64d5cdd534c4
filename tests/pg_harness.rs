//! Tests of the throwaway PostgreSQL harness in `tests/support/pg.rs`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use postgres::error::SqlState;
use support::pg::{self, PgCluster};

fn process_alive(pid: u32) -> bool {
    Command::new("sh")
        .args(["-c", "kill -0 \"$1\" 2>/dev/null", "sh", &pid.to_string()])
        .status()
        .expect("run sh")
        .success()
}

/// Waits up to `timeout` for the server process to disappear and its
/// directory to be removed; returns whether both happened.
fn wait_gone(pid: u32, dir: &Path, timeout: Duration) -> bool {
    let start = Instant::now();
    loop {
        if !process_alive(pid) && !dir.exists() {
            return true;
        }
        if start.elapsed() > timeout {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn shared_cluster_runs_sql() {
    let cluster = pg::shared();
    let mut db = cluster.create_database("harness_runs_sql");
    db.batch_execute(
        "CREATE TABLE item (id bigint PRIMARY KEY, name text NOT NULL);
         INSERT INTO item VALUES (1, 'a'), (2, 'b'), (40, 'ü');",
    )
    .unwrap();
    let row = db
        .query_one(
            "SELECT current_database(), current_user, sum(id)::bigint, string_agg(name, ',' ORDER BY id) FROM item",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "harness_runs_sql");
    assert_eq!(row.get::<_, String>(1), "postgres");
    assert_eq!(row.get::<_, i64>(2), 43);
    assert_eq!(row.get::<_, String>(3), "a,b,ü");
    // The same cluster is handed out every time.
    assert!(std::ptr::eq(cluster, pg::shared()));
    assert_eq!(cluster.socket_dir(), pg::shared().socket_dir());
}

#[test]
fn databases_are_independent() {
    let cluster = pg::shared();
    let mut one = cluster.create_database("harness_db_one");
    let mut two = cluster.create_database("harness_db_two");
    one.batch_execute("CREATE TABLE only_in_one (x int); INSERT INTO only_in_one VALUES (7);").unwrap();

    let name: String = two.query_one("SELECT current_database()", &[]).unwrap().get(0);
    assert_eq!(name, "harness_db_two");
    let err = two.query("SELECT x FROM only_in_one", &[]).unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::UNDEFINED_TABLE), "{err}");

    // A second connection to the first database sees the committed data.
    let mut again = cluster.connect("harness_db_one");
    let x: i32 = again.query_one("SELECT x FROM only_in_one", &[]).unwrap().get(0);
    assert_eq!(x, 7);

    // Database names are quoted as identifiers.
    let mut odd = cluster.create_database("Harness \"Odd\" Name");
    let name: String = odd.query_one("SELECT current_database()", &[]).unwrap().get(0);
    assert_eq!(name, "Harness \"Odd\" Name");
}

#[test]
fn constraint_violations_report_the_constraint_name() {
    let mut db = pg::shared().create_database("harness_constraints");
    db.batch_execute(
        "CREATE TABLE customer (
             id bigint CONSTRAINT customer_pk PRIMARY KEY,
             email text NOT NULL CONSTRAINT customer_email_uq UNIQUE,
             age int CONSTRAINT customer_age_ck CHECK (age >= 0)
         );
         CREATE TABLE orders (
             id bigint PRIMARY KEY,
             customer_id bigint NOT NULL
                 CONSTRAINT orders_customer_fk REFERENCES customer (id)
         );
         INSERT INTO customer VALUES (1, 'a@example.com', 30);",
    )
    .unwrap();

    let cases = [
        ("INSERT INTO customer VALUES (2, 'b@example.com', -1)", "customer_age_ck", SqlState::CHECK_VIOLATION),
        ("INSERT INTO customer VALUES (3, 'a@example.com', 1)", "customer_email_uq", SqlState::UNIQUE_VIOLATION),
        ("INSERT INTO customer VALUES (1, 'c@example.com', 1)", "customer_pk", SqlState::UNIQUE_VIOLATION),
        ("INSERT INTO orders VALUES (1, 99)", "orders_customer_fk", SqlState::FOREIGN_KEY_VIOLATION),
    ];
    for (sql, constraint, code) in cases {
        let err = db.execute(sql, &[]).unwrap_err();
        let db_err = err.as_db_error().unwrap_or_else(|| panic!("{sql}: not a server error: {err}"));
        assert_eq!(db_err.constraint(), Some(constraint), "{sql}");
        assert_eq!(db_err.code(), &code, "{sql}: {}", pg::describe_error(&err));
    }
    // The connection is still usable and nothing was inserted.
    let n: i64 = db.query_one("SELECT count(*) FROM customer", &[]).unwrap().get(0);
    assert_eq!(n, 1);
}

#[test]
#[should_panic(expected = "already exists")]
fn creating_an_existing_database_panics() {
    let cluster = pg::shared();
    drop(cluster.create_database("harness_twice"));
    drop(cluster.create_database("harness_twice"));
}

#[test]
fn server_is_postgresql_13_or_newer() {
    let cluster = pg::shared();
    let version = cluster.version_num();
    assert!(version >= 130000, "server_version_num {version} < 130000");
    let mut client = cluster.connect("postgres");
    let text: String = client.query_one("SELECT current_setting('server_version_num')", &[]).unwrap().get(0);
    assert_eq!(text.parse::<u32>().unwrap(), version);
    let port: String = client.query_one("SELECT current_setting('port')", &[]).unwrap().get(0);
    assert_eq!(port, cluster.port().to_string());
    // Only the unix socket, no TCP listener.
    let listen: String = client.query_one("SELECT current_setting('listen_addresses')", &[]).unwrap().get(0);
    assert_eq!(listen, "");
    let tz: String = client.query_one("SELECT current_setting('TimeZone')", &[]).unwrap().get(0);
    assert_eq!(tz, "UTC");
}

#[test]
fn dropping_a_cluster_stops_it_and_removes_its_directory() {
    let cluster = PgCluster::start();
    let dir = cluster.socket_dir().to_path_buf();
    let socket = dir.join(format!(".s.PGSQL.{}", cluster.port()));
    assert!(socket.exists(), "{} missing", socket.display());
    assert!(cluster.data_dir().join("PG_VERSION").is_file());
    let pid = cluster.server_pid().expect("postmaster.pid");
    assert!(process_alive(pid));
    let mut client = cluster.create_database("private_db");
    let one: i32 = client.query_one("SELECT 1", &[]).unwrap().get(0);
    assert_eq!(one, 1);

    drop(cluster);
    // Drop is synchronous: everything is gone when it returns.
    assert!(!process_alive(pid), "postmaster {pid} still running");
    assert!(!dir.exists(), "{} still exists", dir.display());
    assert!(client.query_one("SELECT 1", &[]).is_err());
}

#[test]
fn a_panicking_test_still_stops_its_cluster() {
    let (tx, rx) = std::sync::mpsc::channel();
    let result = std::thread::spawn(move || {
        let cluster = PgCluster::start();
        tx.send((cluster.server_pid().unwrap(), cluster.socket_dir().to_path_buf())).unwrap();
        panic!("deliberate panic while a cluster is running");
    })
    .join();
    assert!(result.is_err());
    let (pid, dir) = rx.recv().unwrap();
    assert!(!process_alive(pid), "postmaster {pid} still running");
    assert!(!dir.exists(), "{} still exists", dir.display());
}

/// Runs this test binary again, executing only `child_process_entry` in
/// `mode`, and returns its exit status plus the shared cluster's pid and dir.
fn run_child(mode: &str) -> (std::process::ExitStatus, u32, PathBuf) {
    run_child_with(mode, &[])
}

fn run_child_with(mode: &str, env: &[(&str, &Path)]) -> (std::process::ExitStatus, u32, PathBuf) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["child_process_entry", "--exact", "--nocapture", "--test-threads=1"])
        .env("DDDC_PG_HARNESS_CHILD", mode)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find_map(|l| l.split_once("DDDC_PG_CHILD ").map(|(_, rest)| rest)).unwrap_or_else(|| {
        panic!(
            "child printed no cluster info\n--- stdout ---\n{stdout}\n--- stderr ---\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let (pid, dir) = line.split_once(' ').unwrap();
    (out.status, pid.parse().unwrap(), PathBuf::from(dir))
}

#[test]
fn shared_cluster_is_stopped_when_the_test_process_exits() {
    let (status, pid, dir) = run_child("panic");
    assert_eq!(status.code(), Some(101), "child should fail its test");
    // libtest exits through exit(): the atexit hook has already stopped the
    // server and removed the directory when the process is gone.
    assert!(!process_alive(pid), "postmaster {pid} still running");
    assert!(!dir.exists(), "{} still exists", dir.display());
}

#[test]
fn shared_cluster_is_stopped_when_the_test_process_is_killed() {
    let (status, pid, dir) = run_child("kill");
    assert_eq!(status.code(), None, "child should die from SIGKILL");
    // No exit hooks run; the watchdog notices the closed pipe.
    assert!(
        wait_gone(pid, &dir, Duration::from_secs(10)),
        "postmaster {pid} or {} left behind after the test process was killed",
        dir.display()
    );
}

/// `DDDC_PG_TMPDIR` says where the cluster's folder goes; the folder is
/// still removed at exit.
#[test]
fn the_cluster_lives_where_dddc_pg_tmpdir_says() {
    let parent = tempfile::tempdir().unwrap();
    // As root the server runs as `postgres`, which must reach the folder.
    std::fs::set_permissions(parent.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let (status, pid, dir) = run_child_with("exit", &[("DDDC_PG_TMPDIR", parent.path())]);
    assert!(status.success());
    assert_eq!(dir.parent(), Some(parent.path()), "{}", dir.display());
    assert!(!process_alive(pid), "postmaster {pid} still running");
    assert!(!dir.exists(), "{} still exists", dir.display());
}

/// By default it lives in memory when `/dev/shm` is a tmpfs with room
/// (`dddc::pg`'s module docs), else in the temp directory.
#[test]
fn the_shared_cluster_lives_in_memory_when_it_can() {
    let dir = pg::shared().socket_dir().to_path_buf();
    let parent = dir.parent().expect("a parent").to_path_buf();
    if let Some(chosen) = std::env::var_os("DDDC_PG_TMPDIR").filter(|d| !d.is_empty()) {
        assert_eq!(parent, Path::new(&chosen), "DDDC_PG_TMPDIR is set: the cluster goes there");
        return;
    }
    let df = Command::new("df").args(["--output=fstype,avail", "-B1", "/dev/shm"]).output();
    let roomy_tmpfs = df.ok().filter(|o| o.status.success()).is_some_and(|o| {
        let text = String::from_utf8_lossy(&o.stdout).to_string();
        let last = text.lines().last().unwrap_or("").split_whitespace().map(str::to_string).collect::<Vec<_>>();
        last.first().is_some_and(|t| t == "tmpfs")
            && last.get(1).and_then(|a| a.parse::<u64>().ok()).is_some_and(|a| a >= 4 << 30)
    });
    if roomy_tmpfs {
        assert_eq!(parent, Path::new("/dev/shm"));
    } else {
        assert_ne!(parent, Path::new("/dev/shm"));
    }
}

/// Entry point of the child processes started by the tests above; run on
/// its own (without `DDDC_PG_HARNESS_CHILD`) it checks that the shared
/// cluster answers.
#[test]
fn child_process_entry() {
    let cluster = pg::shared();
    let pid = cluster.server_pid().expect("postmaster.pid");
    assert!(process_alive(pid));
    let mut client = cluster.connect("postgres");
    let one: i32 = client.query_one("SELECT 1", &[]).unwrap().get(0);
    assert_eq!(one, 1);
    // Keep a connection open across the exit, like a leaky test would.
    std::mem::forget(client);
    println!("DDDC_PG_CHILD {pid} {}", cluster.socket_dir().display());
    match std::env::var("DDDC_PG_HARNESS_CHILD").as_deref() {
        Ok("panic") => panic!("deliberate test failure with the shared cluster running"),
        Ok("kill") => {
            // Like a CI timeout: no unwinding, no exit hooks, no core dump.
            let _ = Command::new("kill").args(["-KILL", &std::process::id().to_string()]).status();
            std::thread::sleep(Duration::from_secs(60));
            unreachable!("SIGKILL did not kill the test process");
        }
        _ => {}
    }
}
