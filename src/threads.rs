//! The threads dddc starts: those that run the front end or a printer
//! with the stack they need, those that wait on the disk with the default.

/// The stack of every thread dddc starts: the front end and the printers
/// recurse over expressions and nested declarations, and the syntax limits
/// bound that depth; a generous stack is the second line of defence (only
/// the pages touched are committed). The CLI's main thread has it too.
pub const STACK_SIZE: usize = 256 << 20;

/// Whether dddc may start helper threads. `DDDC_THREADS=1` runs every
/// command on one thread (the one with [`STACK_SIZE`] the CLI starts
/// first): for a container that allows few threads, and so that the tests
/// run every place where a helper could not be started. Any other value,
/// or none, lets dddc use its helpers (two for the model's work, more for
/// files that wait on the disk).
pub fn helpers_allowed() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("DDDC_THREADS").is_none_or(|v| v != "1"))
}

/// How many helper threads this process has started (`DDDC_TIMINGS=1`
/// prints it at the end, and the tests read it there).
static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

pub fn started() -> usize {
    STARTED.load(std::sync::atomic::Ordering::Relaxed)
}

/// `scope.spawn(f)` on a thread with `stack` (the default when `None`), or
/// `None` when helpers are not allowed or none can be started (a limit on
/// threads or memory).
fn spawn_in<'scope, 'env, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    stack: Option<usize>,
    f: impl FnOnce() -> T + Send + 'scope,
) -> Option<std::thread::ScopedJoinHandle<'scope, T>> {
    if !helpers_allowed() {
        return None;
    }
    let builder = std::thread::Builder::new();
    let builder = match stack {
        Some(bytes) => builder.stack_size(bytes),
        None => builder,
    };
    let handle = builder.spawn_scoped(scope, f).ok()?;
    STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Some(handle)
}

/// `scope.spawn(f)` on a thread with [`STACK_SIZE`], or `None` when no
/// helper can be started ([`spawn_in`]): the caller then does the work
/// itself.
pub fn try_spawn_scoped<'scope, 'env, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    f: impl FnOnce() -> T + Send + 'scope,
) -> Option<std::thread::ScopedJoinHandle<'scope, T>> {
    spawn_in(scope, Some(STACK_SIZE), f)
}

/// [`try_spawn_scoped`] with the default stack, for a helper that waits on
/// the disk and does not recurse.
pub fn try_spawn_waiting<'scope, 'env, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    f: impl FnOnce() -> T + Send + 'scope,
) -> Option<std::thread::ScopedJoinHandle<'scope, T>> {
    spawn_in(scope, None, f)
}

/// The result of [`beside`]: the work's thread, or what the work gave
/// when it was done on this one.
pub enum Beside<'scope, T> {
    /// `None` only if the thread found no work in its slot, which
    /// [`beside`] never lets happen.
    Thread(std::thread::ScopedJoinHandle<'scope, Option<T>>),
    Done(T),
}

impl<T> Beside<'_, T> {
    /// What the work gave; a panic on its thread goes on here.
    pub fn join(self) -> T {
        match self {
            Beside::Thread(h) => match h.join() {
                Ok(Some(t)) => t,
                Ok(None) => unreachable!("a started thread takes the work from its slot"),
                Err(e) => std::panic::resume_unwind(e),
            },
            Beside::Done(t) => t,
        }
    }
}

/// `f` on a helper thread (with [`STACK_SIZE`]) while this one goes on, or
/// on this one at once when no helper can be started: the same result
/// either way, for work that shares nothing with what this thread does
/// next.
pub fn beside<'scope, 'env, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    f: impl FnOnce() -> T + Send + 'scope,
) -> Beside<'scope, T> {
    // The work goes to the thread through a slot, so that it is still here
    // when the thread cannot be started (`spawn` drops what it was given
    // then). Only the thread takes it once started.
    let slot = std::sync::Arc::new(std::sync::Mutex::new(Some(f)));
    let theirs = std::sync::Arc::clone(&slot);
    let take = |slot: &std::sync::Mutex<Option<_>>| slot.lock().unwrap_or_else(|e| e.into_inner()).take();
    match try_spawn_scoped(scope, move || take(&theirs).map(|f| f())) {
        Some(h) => Beside::Thread(h),
        None => match take(&slot) {
            Some(f) => Beside::Done(f()),
            None => unreachable!("a thread that was not started left the work in its slot"),
        },
    }
}

/// `value` dropped on a helper thread while this one goes on (join the
/// handle to wait for it), or here at once when none can be started
/// (`spawn` drops what it was given).
pub fn drop_beside<T: Send + 'static>(value: T) -> Option<std::thread::JoinHandle<()>> {
    if !helpers_allowed() {
        drop(value);
        return None;
    }
    let handle = std::thread::Builder::new().name("free".into()).spawn(move || drop(value)).ok()?;
    STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Some(handle)
}

/// `items.iter().map(f).collect()`, the second half mapped on a thread of
/// its own (on this one when none can be started): the results in the
/// items' order, whatever finishes first. For independent pieces of
/// output (the site's pages) and of the model's analysis.
pub fn map_halves<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if items.len() < 2 {
        return items.iter().map(&f).collect();
    }
    let (first, second) = items.split_at(items.len() / 2);
    std::thread::scope(|s| {
        let f = &f;
        let later = beside(s, move || second.iter().map(f).collect::<Vec<R>>());
        let mut out: Vec<R> = first.iter().map(f).collect();
        out.extend(later.join());
        out
    })
}

/// `items.iter().map(f).collect()` on two threads (this one and one
/// beside it, when it can be started) taking the next item neither has
/// begun, through a [`Queue`]: the results in the items' order. For
/// independent pieces of output of very different sizes (the site's
/// pages), the largest put first.
pub fn map_queued<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    map_on(items, 2, Some(STACK_SIZE), f)
}

/// Items handed out one at a time to whichever thread asks next (the
/// squawk review's parts, the diagrams, the files a build writes: pieces
/// of very different sizes, the largest put first), each result kept at
/// its item's place.
pub struct Queue<'a, T, R> {
    items: &'a [T],
    next: std::sync::atomic::AtomicUsize,
    done: std::sync::Mutex<Vec<Option<R>>>,
}

impl<'a, T, R> Queue<'a, T, R> {
    pub fn new(items: &'a [T]) -> Self {
        let done = std::sync::Mutex::new((0..items.len()).map(|_| None).collect());
        Queue { items, next: 0.into(), done }
    }

    /// Does `f` on each item no thread has begun, until none is left.
    pub fn work(&self, f: impl Fn(&T) -> R) {
        loop {
            let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(item) = self.items.get(i) else { return };
            let r = f(item);
            self.done.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
        }
    }

    /// The results in the items' order; `None` for an item no thread did
    /// (none, once a thread's `work` has returned and the others joined).
    pub fn results(self) -> Vec<Option<R>> {
        self.done.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

/// `items.iter().map(f).collect()` on `threads` threads (this one among
/// them), through a [`Queue`]: the results in the items' order. For work
/// that mostly waits on the disk (a file written and flushed), where more
/// threads than cores overlap the waits. The helpers have the default
/// stack (they do not recurse); those that cannot be started are done
/// without.
pub fn map_waiting<T: Sync, R: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    map_on(items, threads, None, f)
}

/// `items.iter().map(f).collect()` on `threads` threads with `stack`
/// ([`spawn_in`]), this one among them, through a [`Queue`].
fn map_on<T: Sync, R: Send>(items: &[T], threads: usize, stack: Option<usize>, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if items.len() < 2 || threads < 2 {
        return items.iter().map(&f).collect();
    }
    let queue = Queue::new(items);
    std::thread::scope(|s| {
        let (queue, f) = (&queue, &f);
        let helpers: Vec<_> =
            (1..threads.min(items.len())).map_while(|_| spawn_in(s, stack, move || queue.work(f))).collect();
        queue.work(f);
        for h in helpers {
            h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        }
    });
    queue.results().into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    /// The results in the items' order, on as many threads as asked: the
    /// first `threads - 1` items each wait (10 s at most) until that many
    /// have begun, which only that many threads at once can do.
    #[test]
    fn map_waiting_keeps_the_order_on_every_thread_asked() {
        for (n, threads) in [(0usize, 8usize), (1, 8), (5, 1), (2, 8), (20, 4), (200, 8)] {
            let items: Vec<usize> = (0..n).collect();
            let want = threads.min(n).max(1);
            let seen = std::sync::Mutex::new(std::collections::HashSet::new());
            let begun = std::sync::atomic::AtomicUsize::new(0);
            let out = super::map_waiting(&items, threads, |&i| {
                seen.lock().unwrap().insert(std::thread::current().id());
                begun.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let start = std::time::Instant::now();
                while i + 1 < want
                    && begun.load(std::sync::atomic::Ordering::SeqCst) < want
                    && start.elapsed() < std::time::Duration::from_secs(10)
                {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                i * 2
            });
            assert_eq!(out, items.iter().map(|i| i * 2).collect::<Vec<_>>());
            let used = seen.lock().unwrap().len();
            assert_eq!(used, if n == 0 { 0 } else { want }, "{n} items asked on {threads} threads ran on {used}");
        }
    }

    /// The work runs on a helper while this thread goes on (the tests run
    /// without `DDDC_THREADS=1`), gives its result, and a panic in it goes
    /// on in the thread that joins.
    #[test]
    fn beside_runs_on_a_helper_and_passes_its_panic_on() {
        let here = std::thread::current().id();
        let there = std::thread::scope(|s| super::beside(s, || std::thread::current().id()).join());
        assert_ne!(here, there);
        let caught = std::panic::catch_unwind(|| {
            std::thread::scope(|s| {
                let later = super::beside(s, || -> usize { panic!("the work's own panic") });
                later.join()
            })
        });
        let message = caught.expect_err("the panic goes on");
        assert_eq!(message.downcast_ref::<&str>(), Some(&"the work's own panic"));
    }

    #[test]
    fn map_halves_keeps_the_order() {
        for n in [0usize, 1, 2, 3, 10, 101] {
            let items: Vec<usize> = (0..n).collect();
            let threads = std::sync::Mutex::new(std::collections::HashSet::new());
            let out = super::map_halves(&items, |&i| {
                threads.lock().unwrap().insert(std::thread::current().id());
                i * 2
            });
            assert_eq!(out, items.iter().map(|i| i * 2).collect::<Vec<_>>());
            let used = threads.lock().unwrap().len();
            assert_eq!(used, if n >= 2 { 2 } else { 1.min(n) }, "{n} items on {used} threads");
        }
    }
}
