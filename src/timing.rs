//! `DDDC_TIMINGS=1`: each phase of a run prints its wall time to stderr
//! (`timing: frontend 812.4 ms`), for `docs/performance.md` and for a
//! user whose model got slow. Off, a phase costs one atomic load.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("DDDC_TIMINGS").is_some_and(|v| !v.is_empty() && v != "0"))
}

/// A phase: prints its time when dropped, if timings are on.
pub struct Phase {
    name: &'static str,
    start: Option<Instant>,
}

pub fn phase(name: &'static str) -> Phase {
    Phase { name, start: enabled().then(Instant::now) }
}

impl Drop for Phase {
    fn drop(&mut self) {
        if let Some(start) = self.start {
            eprintln!("timing: {} {:.1} ms", self.name, start.elapsed().as_secs_f64() * 1000.0);
        }
    }
}

/// A line of context beside the phases (`timing: squawk review: … in
/// parts`), printed only when timings are on.
pub fn note(what: std::fmt::Arguments<'_>) {
    if enabled() {
        eprintln!("timing: {what}");
    }
}
