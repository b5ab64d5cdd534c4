//! `dddc lsp`: the language server, over stdio.

/// Serves the Language Server Protocol on stdin/stdout until the client
/// exits; returns the process exit code.
pub fn serve() -> u8 {
    eprintln!("dddc lsp: not implemented yet");
    2
}
