//! A throwaway PostgreSQL cluster from the local server binaries: what
//! `dddc verify` migrates in, and what the tests run against (their
//! `tests/support/pg.rs` shares one per test binary). [`Cluster::try_start`]
//! starts a private one, stopped and removed when dropped.
//!
//! # Finding the server binaries
//!
//! `$DDDC_PG_BIN` (a directory), else `pg_config --bindir`, else the highest
//! `/usr/lib/postgresql/<major>/bin`, else `initdb` on `PATH`. The directory
//! must contain `initdb` and `postgres`. `scripts/install-deps.sh` installs
//! them on Debian.
//!
//! # Layout and privileges
//!
//! Everything lives in one temporary directory `<tmp>/dddc-pg-XXXXXX`:
//! `data/` (the cluster), `server.log`, and the unix socket
//! `.s.PGSQL.<port>`. `<tmp>` is `$DDDC_PG_TMPDIR` when set, else
//! `/dev/shm` when it is a memory file system (tmpfs) open to all with
//! 4 GiB free, else the temp directory (`$TMPDIR`, `/tmp`). Memory matters:
//! on this project's ext4 disk `CREATE DATABASE` took 0.31 s, on tmpfs
//! 0.04 s, and the migration tests create a few hundred databases.
//! The server listens on no TCP address (`listen_addresses=''`); the port
//! only names the socket. Durability is
//! off (`fsync`, `synchronous_commit`, `full_page_writes`) and `timezone` is
//! UTC so output does not depend on the machine. `initdb` and
//! `postgres` refuse to run as root, so when the tests run as root the
//! directory is chowned to the `postgres` user and both programs are started
//! with that uid/gid (`std::os::unix::process::CommandExt::{uid,gid}`, no
//! `runuser`/PAM and no intermediate process that would have to forward
//! signals). As an ordinary user they run as that user.
//!
//! # Cleanup (no server is ever left behind)
//!
//! The server is not started with `pg_ctl` but by a small watchdog shell
//! (running as the server's user, in its own process group so a terminal
//! Ctrl-C does not hit it) whose stdin is a pipe held by the test process:
//!
//! ```text
//! postgres -D data ... &                      # the server
//! ( cat <&3 >/dev/null; kill -QUIT $pid ) &   # EOF on the pipe => immediate shutdown
//! wait $pid; touch postgres.exited; wait; rm -rf <tmp dir>
//! ```
//!
//! The kernel closes the pipe when the test process ends for *any* reason
//! (normal exit, failed tests, panic=abort, SIGKILL, timeout), so the
//! watchdog then sends SIGQUIT (exactly what `pg_ctl stop -m immediate`
//! sends), waits for the postmaster (which waits for its backends) and
//! removes the temp directory. The pipe's write end is close-on-exec, so
//! processes spawned by tests do not keep it open.
//!
//! That path is asynchronous (it finishes a few milliseconds after the test
//! process has gone). To make the normal path synchronous, shutdown is also
//! done explicitly and waited for:
//! * `Drop for PgCluster` closes the pipe and waits for the watchdog, i.e.
//!   the server is stopped and the directory removed when `drop` returns
//!   (this also runs while unwinding from a panic);
//! * the `shared()` cluster lives in a static, which is never dropped, so it
//!   registers a C `atexit` handler (libtest leaves through `exit()` both when
//!   all tests pass and when some fail) that does the same. When
//!   `cargo test` returns, no `postgres` process of ours is running.

use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long to wait for a freshly started server to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How long to wait for the server to stop before killing it outright.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// `max_connections` of a throwaway server (set in [`WATCHDOG`]): with
/// `max_locks_per_transaction`, the size of its lock table.
pub const MAX_CONNECTIONS: usize = 200;

/// The settings of a throwaway server with one client (`dddc verify`'s):
/// a few connections and no background workers beside autovacuum's one.
/// PostgreSQL sizes its lock table as `max_locks_per_transaction` times
/// the sessions it may have (connections, autovacuum, background workers,
/// WAL senders): about a dozen here, against some 220 with
/// [`MAX_CONNECTIONS`], so the table a large first migration needs is
/// sized for the sessions there are, not for 200 that never come.
pub const ONE_CLIENT: [(&str, &str); 4] = [
    ("max_connections", "10"),
    ("autovacuum_max_workers", "1"),
    ("max_worker_processes", "0"),
    ("max_wal_senders", "0"),
];

/// `max_connections` of [`ONE_CLIENT`].
pub const ONE_CLIENT_CONNECTIONS: usize = 10;

/// Unix socket paths are limited to 108 bytes (including the NUL).
const MAX_SOCKET_PATH: usize = 100;

/// The superuser created by `initdb -U`; all connections use it.
pub const SUPERUSER: &str = "postgres";

/// The watchdog that runs and eventually stops the server; see the module
/// docs. Positional parameters: bin dir, data dir, socket dir, port, root dir,
/// then the server's extra arguments (`-c name=value`, see
/// [`Cluster::try_start_with`]).
const WATCHDOG: &str = r#"
bin=$1 data=$2 sock=$3 port=$4 root=$5
shift 5
# fd 3: the pipe from the test process; nothing is ever written to it.
exec 3<&0 0</dev/null
"$bin/postgres" -D "$data" -k "$sock" -p "$port" \
    -c listen_addresses= \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
    -c max_connections=200 -c timezone=UTC "$@" \
    >"$root/server.log" 2>&1 3<&- &
pid=$!
(
    cat <&3 >/dev/null
    [ -e "$root/postgres.exited" ] || kill -QUIT "$pid" 2>/dev/null
) &
exec 3<&-
wait "$pid"
: >"$root/postgres.exited"
wait
rm -rf "$root"
"#;

pub struct Cluster {
    /// `<tmp>/dddc-pg-XXXXXX`; also the unix socket directory.
    root: PathBuf,
    data_dir: PathBuf,
    bin_dir: PathBuf,
    port: u16,
    version_num: u32,
    /// The watchdog and the write end of its stdin pipe; `None` once stopped.
    watchdog: Mutex<Option<(Child, ChildStdin)>>,
    /// Removes the directory if the watchdog could not (e.g. never started).
    _tempdir: tempfile::TempDir,
}

impl Cluster {
    /// Creates and starts a new private cluster. Panics with an explanation
    /// if the PostgreSQL binaries are missing or the server does not start.
    /// [`Cluster::try_start`], panicking with its message: for tests and
    /// tools that cannot go on without a server.
    pub fn start() -> Cluster {
        match Self::try_start() {
            Ok(cluster) => cluster,
            Err(msg) => panic!("{msg}"),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory holding the server's unix socket (`.s.PGSQL.<port>`).
    pub fn socket_dir(&self) -> &Path {
        &self.root
    }

    /// The cluster's data directory (PGDATA).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The postmaster's pid, from `postmaster.pid` (None once stopped).
    pub fn server_pid(&self) -> Option<u32> {
        let text = fs::read_to_string(self.data_dir.join("postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// `server_version_num`, e.g. 150018.
    pub fn version_num(&self) -> u32 {
        self.version_num
    }

    /// A client connected over the unix socket as `postgres` to database `db`.
    pub fn connect(&self, db: &str) -> postgres::Client {
        self.try_connect(db).unwrap_or_else(|e| {
            panic!(
                "cannot connect to database {db:?} of the test cluster at {} port {}: {e}",
                self.root.display(),
                self.port
            )
        })
    }

    /// `CREATE DATABASE name` (from template0) and returns a client connected
    /// to it. Panics if the database already exists: give every test its own
    /// database name.
    pub fn create_database(&self, name: &str) -> postgres::Client {
        let mut admin = self.connect("postgres");
        let sql = format!("CREATE DATABASE {} TEMPLATE template0", quote_ident(name));
        if let Err(e) = admin.batch_execute(&sql) {
            panic!("{sql}: {}", describe_error(&e));
        }
        drop(admin);
        self.connect(name)
    }

    /// `CREATE DATABASE name` (from template0), and a client connected to it.
    pub fn try_create_database(&self, name: &str) -> Result<postgres::Client, String> {
        let mut admin = self.try_connect("postgres").map_err(|e| describe_error(&e))?;
        let sql = format!("CREATE DATABASE {} TEMPLATE template0", quote_ident(name));
        admin.batch_execute(&sql).map_err(|e| format!("{sql}: {}", describe_error(&e)))?;
        drop(admin);
        self.try_connect(name).map_err(|e| describe_error(&e))
    }

    /// A client connected as `user` (a role of the cluster) to `db`.
    pub fn connect_as(&self, db: &str, user: &str) -> postgres::Client {
        self.try_connect_as(db, user)
            .unwrap_or_else(|e| panic!("cannot connect to database {db:?} as {user:?}: {}", describe_error(&e)))
    }

    /// A database owned by `owner`, an ordinary role (LOGIN and CREATEROLE,
    /// neither superuser nor BYPASSRLS, created when missing), and a client
    /// connected as that role: migrations then run as the tables' owner, as
    /// they do in production where no superuser is handed to the deploy.
    pub fn create_owned_database(&self, name: &str, owner: &str) -> postgres::Client {
        let mut admin = self.connect("postgres");
        let role = quote_ident(owner);
        let create_role = format!(
            "DO $$ BEGIN CREATE ROLE {role} LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS; \
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        );
        let create_db = format!("CREATE DATABASE {} OWNER {role} TEMPLATE template0", quote_ident(name));
        for sql in [create_role, create_db] {
            if let Err(e) = admin.batch_execute(&sql) {
                panic!("{sql}: {}", describe_error(&e));
            }
        }
        drop(admin);
        self.connect_as(name, owner)
    }

    pub fn try_connect(&self, db: &str) -> Result<postgres::Client, postgres::Error> {
        self.try_connect_as(db, SUPERUSER)
    }

    pub fn try_connect_as(&self, db: &str, user: &str) -> Result<postgres::Client, postgres::Error> {
        postgres::Config::new()
            .host_path(&self.root)
            .port(self.port)
            .user(user)
            .dbname(db)
            .application_name("dddc")
            .connect_timeout(Duration::from_secs(10))
            .connect(postgres::NoTls)
    }

    /// Creates and starts a new cluster; an error says what is missing.
    pub fn try_start() -> Result<Cluster, String> {
        Self::try_start_with(&[])
    }

    /// [`Cluster::try_start`] with server settings of its own (`name`,
    /// `value`), after (so instead of) the defaults above: a test that needs
    /// a small lock table, say.
    pub fn try_start_with(settings: &[(&str, &str)]) -> Result<Cluster, String> {
        let bin_dir = find_bin_dir()?;
        let run_as = server_user()?;

        let tempdir = make_tempdir(run_as.is_some())?;
        let root = tempdir.path().to_path_buf();
        let data_dir = root.join("data");
        let port = free_port()?;
        let socket = root.join(format!(".s.PGSQL.{port}"));
        if socket.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(format!(
                "unix socket path {} is too long; set TMPDIR to a shorter directory",
                socket.display()
            ));
        }
        if let Some(user) = &run_as {
            std::os::unix::fs::chown(&root, Some(user.uid), Some(user.gid))
                .map_err(|e| format!("chown {} to postgres: {e}", root.display()))?;
        }

        // initdb
        let mut initdb = Command::new(bin_dir.join("initdb"));
        initdb
            .arg("-D")
            .arg(&data_dir)
            .args(["-A", "trust", "-U", SUPERUSER, "--no-sync"])
            .args(["-E", "UTF8", "--locale=C"])
            .current_dir(&root)
            .stdin(Stdio::null());
        as_user(&mut initdb, &run_as);
        let out = initdb.output().map_err(|e| format!("cannot run {}: {e}", bin_dir.join("initdb").display()))?;
        if !out.status.success() {
            return Err(format!(
                "initdb failed ({}):\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }

        // postgres, under the watchdog
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(WATCHDOG)
            .arg("dddc-pg-watchdog")
            .arg(&bin_dir)
            .arg(&data_dir)
            .arg(&root)
            .arg(port.to_string())
            .arg(&root)
            .args(settings.iter().flat_map(|(name, value)| ["-c".to_string(), format!("{name}={value}")]))
            .current_dir(&root)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        as_user(&mut cmd, &run_as);
        let mut child = cmd.spawn().map_err(|e| format!("cannot spawn the server watchdog (sh): {e}"))?;
        let stdin = child.stdin.take().expect("piped stdin");

        let mut cluster = Cluster {
            root,
            data_dir,
            bin_dir,
            port,
            version_num: 0,
            watchdog: Mutex::new(Some((child, stdin))),
            _tempdir: tempdir,
        };
        // On error, `cluster` is dropped here, which stops everything.
        let mut client = cluster.wait_ready()?;
        let row =
            client.query_one("SHOW server_version_num", &[]).map_err(|e| format!("SHOW server_version_num: {e}"))?;
        let text: String = row.get(0);
        cluster.version_num = text.trim().parse().map_err(|e| format!("bad server_version_num {text:?}: {e}"))?;
        Ok(cluster)
    }

    fn wait_ready(&self) -> Result<postgres::Client, String> {
        let started = Instant::now();
        loop {
            let exited = self.root.join("postgres.exited").exists();
            match self.try_connect("postgres") {
                Ok(client) => return Ok(client),
                Err(e) if exited || started.elapsed() > START_TIMEOUT => {
                    let what = if exited {
                        "exited during startup".to_string()
                    } else {
                        format!("did not accept connections within {START_TIMEOUT:?}")
                    };
                    return Err(format!(
                        "test PostgreSQL server ({}/postgres, data {}) {what}; last \
                         connection error: {e}\n--- server.log ---\n{}",
                        self.bin_dir.display(),
                        self.data_dir.display(),
                        self.server_log()
                    ));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    fn server_log(&self) -> String {
        let mut log = String::new();
        match fs::File::open(self.root.join("server.log")) {
            Ok(mut f) => {
                let _ = f.read_to_string(&mut log);
            }
            Err(e) => log = format!("(cannot read server.log: {e})"),
        }
        log
    }

    /// Stops the server (SIGQUIT = `pg_ctl stop -m immediate`) and removes
    /// the directory, waiting for both. Idempotent; never panics.
    pub fn shutdown(&self) {
        let mut guard = self.watchdog.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((mut child, stdin)) = guard.take() {
            drop(stdin); // EOF => the watchdog stops the server and cleans up
            let deadline = Instant::now() + STOP_TIMEOUT;
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if matches!(child.try_wait(), Ok(None)) {
                // Should not happen (PostgreSQL itself SIGKILLs backends that
                // ignore an immediate shutdown); do not hang the test run.
                if let Some(pid) = self.server_pid() {
                    let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).stderr(Stdio::null()).status();
                }
            }
            let _ = child.wait();
            // The watchdog runs as the server's user, which may not remove
            // the folder itself from a parent it cannot write (a
            // `DDDC_PG_TMPDIR` that is not sticky like /tmp): this process
            // can, and the shared cluster's TempDir is never dropped.
            let _ = fs::remove_dir_all(&self.root);
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.shutdown();
        // `_tempdir` is dropped next; it normally finds the directory gone.
    }
}

// ---------------------------------------------------------------------------

struct RunAs {
    uid: u32,
    gid: u32,
}

fn as_user(cmd: &mut Command, run_as: &Option<RunAs>) {
    if let Some(user) = run_as {
        cmd.uid(user.uid).gid(user.gid);
    }
}

fn id(args: &[&str]) -> Result<u32, String> {
    let out =
        Command::new("id").args(args).stderr(Stdio::piped()).output().map_err(|e| format!("cannot run `id`: {e}"))?;
    if !out.status.success() {
        return Err(format!("`id {}` failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim().parse().map_err(|e| format!("`id {}` printed {text:?}: {e}", args.join(" ")))
}

/// `None` when not root (run the server as ourselves); the `postgres`
/// user's ids when root.
fn server_user() -> Result<Option<RunAs>, String> {
    if id(&["-u"])? != 0 {
        return Ok(None);
    }
    let uid = id(&["-u", "postgres"]).map_err(|e| {
        format!(
            "running as root, but PostgreSQL refuses to run as root and there is no \
             `postgres` user to run it as ({e}); create one (the Debian `postgresql` \
             package does) or run the tests as an ordinary user"
        )
    })?;
    let gid = id(&["-g", "postgres"])?;
    Ok(Some(RunAs { uid, gid }))
}

fn make_tempdir(for_other_user: bool) -> Result<tempfile::TempDir, String> {
    let mut base = cluster_parent();
    // The postgres user must be able to reach the directory.
    if for_other_user && !world_traversable(&base) {
        base = PathBuf::from("/tmp");
    }
    let dir = tempfile::Builder::new()
        .prefix("dddc-pg-")
        .tempdir_in(&base)
        .map_err(|e| format!("cannot create a temp dir in {}: {e}", base.display()))?;
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700))
        .map_err(|e| format!("chmod {}: {e}", dir.path().display()))?;
    Ok(dir)
}

/// Free space a memory file system must have to hold a cluster. A database
/// starts at about 7.5 MB; most test binaries keep every database they
/// create until they exit (the migration cases drop theirs as they pass),
/// and a failed run keeps all of them. 4 GiB leaves room for that and for
/// whatever else uses the machine's memory.
const MIN_FREE_IN_MEMORY: u64 = 4 << 30;

/// Where the cluster's directory goes (see the module docs):
/// `$DDDC_PG_TMPDIR`, else `/dev/shm` when it is a world-writable memory
/// file system with [`MIN_FREE_IN_MEMORY`] free, else the temp directory.
fn cluster_parent() -> PathBuf {
    if let Some(dir) = std::env::var_os("DDDC_PG_TMPDIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let shm = Path::new("/dev/shm");
    if in_memory_with_room(shm) {
        return shm.to_path_buf();
    }
    std::env::temp_dir()
}

/// `dir` is a tmpfs that anyone may create files in (sticky, like /tmp)
/// with [`MIN_FREE_IN_MEMORY`] available.
fn in_memory_with_room(dir: &Path) -> bool {
    const TMPFS_MAGIC: i64 = 0x0102_1994;
    let Ok(meta) = fs::metadata(dir) else {
        return false;
    };
    if !meta.is_dir() || meta.permissions().mode() & 0o1777 != 0o1777 {
        return false;
    }
    let Ok(path) = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()) else {
        return false;
    };
    let mut fs_stat: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is a NUL-terminated string and `fs_stat` a valid,
    // writable statfs that the call fills in.
    if unsafe { libc::statfs(path.as_ptr(), &mut fs_stat) } != 0 {
        return false;
    }
    #[allow(clippy::unnecessary_cast)] // f_type's width differs between libcs
    let is_tmpfs = fs_stat.f_type as i64 == TMPFS_MAGIC;
    #[allow(clippy::unnecessary_cast)]
    let free = (fs_stat.f_bavail as u64).saturating_mul(fs_stat.f_bsize as u64);
    is_tmpfs && free >= MIN_FREE_IN_MEMORY
}

fn world_traversable(dir: &Path) -> bool {
    let Ok(dir) = dir.canonicalize() else {
        return false;
    };
    dir.ancestors().all(|p| fs::metadata(p).map(|m| m.permissions().mode() & 0o001 != 0).unwrap_or(false))
}

/// A port number not currently used on 127.0.0.1. The server listens on no
/// TCP address; the number names the socket (in a private directory) and
/// seeds the SysV shared memory key, so collisions are harmless anyway.
fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot pick a free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| format!("cannot pick a free port: {e}"))
}

fn has_server_binaries(dir: &Path) -> bool {
    dir.join("initdb").is_file() && dir.join("postgres").is_file()
}

/// The directory of the server binaries (see the module docs), or why
/// there is none.
pub fn find_bin_dir() -> Result<PathBuf, String> {
    let mut tried = Vec::new();

    if let Some(dir) = std::env::var_os("DDDC_PG_BIN") {
        let dir = PathBuf::from(dir);
        if has_server_binaries(&dir) {
            return Ok(dir);
        }
        // An explicit setting that is wrong is an error, not a hint.
        return Err(format!(
            "DDDC_PG_BIN={} does not contain the PostgreSQL server binaries initdb and postgres",
            dir.display()
        ));
    }
    tried.push("$DDDC_PG_BIN (unset)".to_string());

    match Command::new("pg_config").arg("--bindir").stderr(Stdio::null()).output() {
        Ok(out) if out.status.success() => {
            let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            if has_server_binaries(&dir) {
                return Ok(dir);
            }
            tried.push(format!("pg_config --bindir ({})", dir.display()));
        }
        _ => tried.push("pg_config --bindir (no pg_config)".to_string()),
    }

    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let major = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            has_server_binaries(&bin).then_some((major, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, dir)) = versions.pop() {
        return Ok(dir);
    }
    tried.push("/usr/lib/postgresql/*/bin".to_string());

    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has_server_binaries(&dir) {
                return Ok(dir);
            }
        }
    }
    tried.push("$PATH".to_string());

    Err(format!(
        "PostgreSQL server binaries (initdb, postgres) not found; looked in: {}. \
         Install them (scripts/install-deps.sh does on Debian) or set DDDC_PG_BIN \
         to the directory that contains them",
        tried.join(", ")
    ))
}

pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A postgres error with the server's message, if there is one.
pub fn describe_error(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {} (SQLSTATE {})", db.severity(), db.message(), db.code().code()),
        None => e.to_string(),
    }
}
