//! The PostgreSQL cluster of the tests: the library's throwaway cluster
//! ([`dddc::pg::Cluster`], see its module documentation), one shared by all
//! the tests of a test binary.
//!
//! `shared()` gives every test in one test binary the same cluster (each test
//! should work in its own database, see `Cluster::create_database`);
//! `PgCluster::start()` gives a private one that is stopped when dropped.
//! The shared cluster lives in a static, which is never dropped, so it
//! registers a C `atexit` handler (libtest leaves through `exit()` both when
//! all tests pass and when some fail) that stops it: when `cargo test`
//! returns, no `postgres` process of ours is running.
#![allow(dead_code)]

use std::sync::OnceLock;

#[allow(unused_imports)]
pub use dddc::pg::{describe_error, Cluster as PgCluster, SUPERUSER};

static SHARED: OnceLock<Result<PgCluster, String>> = OnceLock::new();

/// The cluster shared by all tests of this test binary, started on first use
/// and stopped when the process exits (see the module docs).
pub fn shared() -> &'static PgCluster {
    let result = SHARED.get_or_init(|| {
        let result = PgCluster::try_start();
        if result.is_ok() {
            register_exit_hook();
        }
        result
    });
    match result {
        Ok(cluster) => cluster,
        Err(msg) => panic!("{msg}"),
    }
}

extern "C" {
    fn atexit(callback: extern "C" fn()) -> std::os::raw::c_int;
}

extern "C" fn stop_shared_cluster() {
    // Must not unwind across the C boundary.
    let _ = std::panic::catch_unwind(|| {
        if let Some(Ok(cluster)) = SHARED.get() {
            cluster.shutdown();
        }
    });
}

fn register_exit_hook() {
    // SAFETY: `atexit` is the C library function; the callback is a plain
    // `extern "C" fn()` that catches panics. If registration fails, the
    // watchdog still stops the server when the process ends.
    unsafe {
        atexit(stop_shared_cluster);
    }
}

/// A private cluster set as `dddc verify` sets its own
/// ([`dddc::pg::ONE_CLIENT`]: 10 connections, the fewest background
/// processes) with `max_locks_per_transaction = locks`: a lock table that a
/// model of a few dozen aggregates overflows (with `"10"`, a few hundred
/// objects), where the shared cluster's takes 12,800.
pub fn small_cluster(locks: &str) -> PgCluster {
    let mut settings = dddc::pg::ONE_CLIENT.to_vec();
    settings.push(("max_locks_per_transaction", locks));
    PgCluster::try_start_with(&settings).unwrap_or_else(|e| panic!("{e}"))
}
