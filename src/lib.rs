//! `dddc` compiles a domain model written in the `.ddd` language into what a
//! PostgreSQL architect would write by hand: versioned Flyway migrations, ERDs
//! and a data dictionary.
//!
//! The pipeline, one module per step; dependencies point down this list only:
//!
//! 1. [`syntax`] — source text → typed AST. A pest grammar
//!    (`grammar/ddd.pest`) with catch-all rules, so parsing never panics and
//!    every broken line gets a precise message. Every node keeps its span.
//! 2. [`loader`] — the root file and its `include`s (relative, inside the
//!    model's folder, no cycles), parsed once each.
//! 3. [`model`] — name resolution, types, references, expressions and model
//!    rules, in that order: a resolved, validated domain model.
//! 4. [`relational`] — lowering: the domain model becomes a relational schema
//!    (tables, columns, constraints, indexes, triggers, policies); every
//!    generated name is decided here.
//! 5. [`sql`] — the only place SQL text is written: quoting, expressions,
//!    the creating script and its undo.
//! 6. [`migrate`] — evolution: the lock's schema and the model's → typed
//!    changes (renames only from `@was`), refusals of what can lose data,
//!    online-safe migration files and their undo.
//! 7. [`lock`] and [`build`] — the lock file (schema + checksums) and what a
//!    build writes, computed without touching the disk.
//!
//! Across all of them, [`diagnostics`] are data (code, spans, help), rendered
//! rustc-style or as JSON at the edge; `dddc explain` prints their long texts.
//!
//! `main.rs` is the command line only: arguments, files, exit codes.

pub mod build;
pub mod check;
pub mod config;
pub mod diagnostics;
pub mod docs;
pub mod lint;
pub mod loader;
pub mod lock;
pub mod migrate;
pub mod model;
pub mod relational;
pub mod sql;
pub mod syntax;

use std::path::Path;

/// The front end in one call: read the model and its includes, parse,
/// resolve and validate. `Err` only when the root file cannot be read.
pub fn frontend(root: &Path, display: &Path) -> Result<Frontend, loader::RootError> {
    let loaded = loader::load(root, display)?;
    let mut diagnostics = loaded.diagnostics;
    let syntax_failed = diagnostics::has_errors(&diagnostics);
    let analysis = model::analyze(&loaded.files);
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
        match relational::lower(m) {
            Ok(s) => schema = Some(s),
            Err(d) => {
                diagnostics.extend(d);
                model = None;
            }
        }
    }
    diagnostics::sort(&mut diagnostics);
    Ok(Frontend { sources: loaded.sources, files: loaded.files, model, schema, diagnostics })
}

/// What the front end produced.
pub struct Frontend {
    pub sources: diagnostics::Sources,
    pub files: Vec<(diagnostics::FileId, syntax::ast::SourceFile)>,
    /// The validated model; `None` when there is any error.
    pub model: Option<model::Model>,
    /// The model lowered to the relational schema; `Some` exactly when
    /// `model` is.
    pub schema: Option<relational::Schema>,
    pub diagnostics: Vec<diagnostics::Diagnostic>,
}
