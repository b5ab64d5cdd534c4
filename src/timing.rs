//! `DDDC_TIMINGS=1`: each phase of a run prints its wall time to stderr
//! (`timing: frontend 812.4 ms`), for `docs/performance.md` and for a
//! user whose model got slow. `DDDC_TIMINGS=at` also prints when each
//! phase began and ended, from the first phase's start, and on which
//! thread (`timing: lower 29.7 ms [88.0-117.7 ms, ThreadId(1)]`): what
//! ran beside what on the machine's cores. Off, a phase costs one atomic
//! load.

use std::sync::OnceLock;
use std::time::Instant;

/// Off, on, or on with each phase's start and end (`at`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Off,
    On,
    At,
}

fn level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| match std::env::var_os("DDDC_TIMINGS") {
        Some(v) if v == "at" => Level::At,
        Some(v) if !v.is_empty() && v != "0" => Level::On,
        _ => Level::Off,
    })
}

fn enabled() -> bool {
    level() != Level::Off
}

/// When the first phase began: the origin of `DDDC_TIMINGS=at`.
fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

/// A phase: prints its time when dropped, if timings are on.
pub struct Phase {
    name: &'static str,
    start: Option<Instant>,
}

pub fn phase(name: &'static str) -> Phase {
    Phase {
        name,
        start: enabled().then(|| {
            origin();
            Instant::now()
        }),
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        let Some(start) = self.start else { return };
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
        let took = ms(start.elapsed());
        if level() == Level::At {
            let from = ms(start.duration_since(origin()));
            let thread = std::thread::current().id();
            eprintln!("timing: {} {took:.1} ms [{from:.1}-{:.1} ms, {thread:?}]", self.name, from + took);
        } else {
            eprintln!("timing: {} {took:.1} ms", self.name);
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
