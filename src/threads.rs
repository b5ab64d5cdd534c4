//! The threads dddc starts: those that run the front end or a printer
//! with the stack they need, those that wait on the disk with the default.

/// The stack of every thread dddc starts: the front end and the printers
/// recurse over expressions and nested declarations, and the syntax limits
/// bound that depth; a generous stack is the second line of defence (only
/// the pages touched are committed). The CLI's main thread has it too.
pub const STACK_SIZE: usize = 256 << 20;

/// `scope.spawn(f)`, on a thread with [`STACK_SIZE`].
pub fn spawn_scoped<'scope, 'env, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    f: impl FnOnce() -> T + Send + 'scope,
) -> std::thread::ScopedJoinHandle<'scope, T> {
    match std::thread::Builder::new().stack_size(STACK_SIZE).spawn_scoped(scope, f) {
        Ok(handle) => handle,
        Err(e) => panic!("cannot start a thread: {e}"),
    }
}

/// [`spawn_scoped`], or `None` when no thread can be started (a limit on
/// threads or memory): the caller then does the work itself.
pub fn try_spawn_scoped<'scope, 'env, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    f: impl FnOnce() -> T + Send + 'scope,
) -> Option<std::thread::ScopedJoinHandle<'scope, T>> {
    std::thread::Builder::new().stack_size(STACK_SIZE).spawn_scoped(scope, f).ok()
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
        let later = try_spawn_scoped(s, move || second.iter().map(f).collect::<Vec<R>>());
        let mut out: Vec<R> = first.iter().map(f).collect();
        match later {
            Some(later) => out.extend(later.join().unwrap_or_else(|e| std::panic::resume_unwind(e))),
            None => out.extend(second.iter().map(f)),
        }
        out
    })
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
    if items.len() < 2 || threads < 2 {
        return items.iter().map(&f).collect();
    }
    let queue = Queue::new(items);
    std::thread::scope(|s| {
        let (queue, f) = (&queue, &f);
        let helpers: Vec<_> = (1..threads.min(items.len()))
            .map_while(|_| std::thread::Builder::new().spawn_scoped(s, move || queue.work(f)).ok())
            .collect();
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
