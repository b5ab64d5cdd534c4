//! `dddc lsp`: the language server, over stdio (rust-analyzer's
//! `lsp-server` and `lsp-types`, synchronous, no async runtime).
//!
//! It works on the editor's unsaved buffers and on whole models: the model
//! of an open file is found as the command line finds it (`dddc.toml`,
//! else the file's own `model` block, else the single `.ddd` file of a
//! folder above), with every file it includes.
//!
//! - [`server`] — the loop: documents, projects, debounced analysis on a
//!   worker thread, requests answered from fresh snapshots.
//! - [`analysis`] — a project analysed (front end, lowering, lint, the
//!   next migration) into a [`analysis::Snapshot`]; and the quick pass
//!   that gives an edited file its diagnostics first.
//! - [`project`] — which model a file belongs to.
//! - [`index`] — every declaration and every use of it, across files;
//!   [`decls`] — declarations in the syntax tree, where annotations go;
//!   [`schema`] — where a declaration ends up in the relational schema.
//! - Features, one file each: [`diagnostics`] (with `dddc explain` links),
//!   [`hover`] (doc comment and SQL), [`navigation`] (definition,
//!   references, outline, workspace symbols), [`completion`], [`rename`]
//!   (with `@was` when the lock has the old name), [`actions`] (quick
//!   fixes), [`lens`] (the pending migration), [`format`].
//! - [`text`] and [`view`] — positions, ranges and URIs as the protocol
//!   speaks them.

mod actions;
pub mod analysis;
mod completion;
mod decls;
mod diagnostics;
mod format;
mod hover;
pub mod index;
mod lens;
mod navigation;
mod project;
mod rename;
mod schema;
mod server;
mod stdio;
pub mod text;
mod view;

use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, CodeLensOptions, CompletionOptions,
    HoverProviderCapability, OneOf, PositionEncodingKind, RenameOptions, ServerCapabilities,
    TextDocumentSyncCapability, TextDocumentSyncKind,
};

pub use server::DEBOUNCE;

/// Serves the Language Server Protocol on stdin/stdout until the client
/// exits; returns the process exit code (0 after a clean `shutdown` and
/// `exit`, 1 when the client left without `shutdown`, 2 when the protocol
/// itself failed).
pub fn serve() -> u8 {
    let (connection, io_threads) = match stdio::connection() {
        Ok(started) => started,
        Err(e) => {
            eprintln!("dddc lsp: cannot start a thread: {e}");
            return 2;
        }
    };
    let code = match server::run(connection) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("dddc lsp: {e}");
            2
        }
    };
    // The reader stops at `exit` or at the end of stdin; the writer when
    // the server's sender is gone (it went with `run`).
    if let Err(e) = io_threads.join() {
        eprintln!("dddc lsp: {e}");
        return code.max(2);
    }
    code
}

/// What the server offers.
fn capabilities(enc: text::Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(match enc {
            text::Encoding::Utf8 => PositionEncodingKind::UTF8,
            text::Encoding::Utf16 => PositionEncodingKind::UTF16,
            text::Encoding::Utf32 => PositionEncodingKind::UTF32,
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::INCREMENTAL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into(), "@".into(), ":".into(), "(".into()]),
            ..CompletionOptions::default()
        }),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        code_lens_provider: Some(CodeLensOptions { resolve_provider: Some(false) }),
        ..ServerCapabilities::default()
    }
}
