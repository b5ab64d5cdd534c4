//! The threads dddc starts, all with the stack the front end needs.

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
