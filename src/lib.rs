//! `dddc` compiles a domain model written in the `.ddd` language into what a
//! PostgreSQL architect would write by hand: versioned Flyway migrations, ERDs
//! and a data dictionary.
//!
//! The pipeline, one module per step; dependencies point down this list only
//! (`tests/architecture.rs` fails on an import that points up):
//!
//! 1. [`diagnostics`], [`config`], [`pg`], [`timing`], [`threads`] —
//!    diagnostics are data (code, spans, help), rendered rustc-style or as
//!    JSON at the edge; `dddc explain` prints their long texts. `dddc.toml`, parsed and
//!    validated. A throwaway PostgreSQL cluster from the local binaries.
//!    `DDDC_TIMINGS=1`: each phase's time on stderr; [`threads`], the
//!    threads dddc starts; [`memo`], the local memory of work done in
//!    earlier runs (`.dddc/`); [`files`], reading only regular files.
//! 2. [`syntax`] — source text → typed AST. A pest grammar
//!    (`grammar/ddd.pest`) with catch-all rules, so parsing never panics and
//!    every broken line gets a precise message. Every node keeps its span.
//!    `syntax::fmt` is the formatter.
//! 3. [`loader`] — the root file and its `include`s (relative, inside the
//!    model's folder, no cycles), parsed once each.
//! 4. [`model`] — name resolution, types, references, expressions and model
//!    rules, in that order: a resolved, validated domain model.
//! 5. [`sql`] (quoting, [`sql::expr`], [`sql::fragments`]) — the only place
//!    SQL text is written starts here: identifiers, literals and the
//!    expressions lowering stores in the schema.
//! 6. [`relational`] — lowering: the domain model becomes a typed relational
//!    schema (tables, columns, constraints, indexes, triggers, policies);
//!    every generated name is decided here.
//! 7. [`migrate`] — evolution: the lock's schema and the model's → typed
//!    changes (renames only from `@was`), refusals of what can lose data,
//!    the order they run in.
//! 8. [`sql`] ([`sql::types`], [`sql::objects`], [`sql::ddl`],
//!    [`sql::alter`]) — one printer per database object; the creating
//!    script, its undo, and the changes of a later migration.
//! 9. [`lint`] — the model review (`dddc lint`).
//! 10. [`output`] and [`docs`] — files to write (and writing them atomically);
//!     the data dictionary, ERDs and the HTML catalog.
//! 11. [`lock`] — the lock (checksums) and its schema snapshot, format 1
//!     read for upgrade.
//! 12. [`build`] and [`check`] — what a build writes, computed without
//!     touching the disk, and the CI gate that compares it with the disk.
//! 13. [`team`] — hand-written migrations, rewinding and rebasing the
//!     migrations of a branch, computed without touching the disk.
//! 14. [`lsp`] — the language server (`dddc lsp`), on top of all of them.
//! 15. [`introspect`] — the live database: its catalog read into the
//!     relational schema and compared with a model or a lock; `dddc
//!     verify`, `drift` and `import`.
//!
//! `main.rs` is the command line only: arguments, files, exit codes.

pub mod build;
pub mod check;
pub mod check_cache;
pub mod config;
pub mod diagnostics;
pub mod docs;
pub mod files;
pub mod introspect;
pub mod jsonb;
pub mod lint;
pub mod loader;
pub mod lock;
pub mod lsp;
pub mod memo;
pub mod migrate;
pub mod model;
pub mod output;
pub mod pg;
pub mod relational;
pub mod sql;
pub mod syntax;
pub mod team;
pub mod threads;
pub mod timing;

use std::path::Path;

/// The front end in one call: read the model and its includes, parse,
/// resolve and validate. `Err` only when the root file cannot be read.
pub fn frontend(root: &Path, display: &Path) -> Result<Frontend, loader::RootError> {
    frontend_in(root, display, config::Language::default())
}

/// [`frontend`], with the schema lowered for a project whose documents are
/// in `language` (the generated comments), so that a build can reuse it.
pub fn frontend_in(root: &Path, display: &Path, language: config::Language) -> Result<Frontend, loader::RootError> {
    frontend_remembering(root, display, language, None)
}

/// [`frontend_in`], each file parsed cleanly by an earlier run read back
/// from `memo` ([`syntax::memo`]; the caller saves it once its run has
/// succeeded).
pub fn frontend_remembering(
    root: &Path,
    display: &Path,
    language: config::Language,
    memo: Option<&memo::Memo>,
) -> Result<Frontend, loader::RootError> {
    let _all = timing::phase("front end");
    let read = timing::phase("read + parse");
    let loaded = match memo {
        Some(memo) => loader::load_remembering(root, display, memo)?,
        None => loader::load(root, display)?,
    };
    drop(read);
    let mut diagnostics = loaded.diagnostics;
    let syntax_failed = diagnostics::has_errors(&diagnostics);
    let analysis = {
        let _p = timing::phase("resolve + validate");
        model::analyze(&loaded.files)
    };
    // The syntax trees are not needed past this point, and on a large model
    // they are among the largest things in memory: freed now, they are not
    // part of the peak the documents reach (31 of 221 MB of a check at
    // 2,000 aggregates, measured with heaptrack). Freed on a thread of its
    // own while the model is lowered, as that takes 7-8 ms there.
    let files = loaded.files;
    let freeing = threads::drop_beside(files);
    // After a syntax error, names the broken lines declared are missing:
    // semantic errors would mostly be consequences, so keep only warnings.
    if syntax_failed {
        diagnostics.extend(analysis.diagnostics.into_iter().filter(|d| !d.is_error()));
    } else {
        diagnostics.extend(analysis.diagnostics);
    }
    let mut model = if diagnostics::has_errors(&diagnostics) { None } else { analysis.model };
    // What only the relational schema shows (generated-name collisions,
    // derived names past 63 bytes) is part of validation too: `validate`
    // reports everything `build` would.
    let mut schema = None;
    if let Some(m) = &model {
        let _p = timing::phase("lower");
        match relational::lower((m, language)) {
            Ok(s) => schema = Some(s),
            Err(d) => {
                diagnostics.extend(d);
                model = None;
            }
        }
    }
    diagnostics::sort(&mut diagnostics);
    if let Some(freeing) = freeing {
        let _ = freeing.join();
    }
    Ok(Frontend { sources: loaded.sources, model, schema, diagnostics })
}

/// What the front end produced.
pub struct Frontend {
    /// Every file read, in the order read (the syntax trees are freed once
    /// the model is analysed).
    pub sources: diagnostics::Sources,
    /// The validated model; `None` when there is any error.
    pub model: Option<model::Model>,
    /// The model lowered to the relational schema; `Some` exactly when
    /// `model` is.
    pub schema: Option<relational::Schema>,
    pub diagnostics: Vec<diagnostics::Diagnostic>,
}
