//! One project analysed: the front end, lowering, lint and the next
//! migration, over the editor's unsaved buffers.
//!
//! Two passes, because a model of thousands of aggregates takes longer to
//! analyse whole than an editor should wait for its diagnostics:
//!
//! - [`full`] — the whole project, as `dddc validate`, `lint` and `plan`
//!   see it: every diagnostic, the [`Snapshot`] every request is answered
//!   from, and the pending migration. Files that did not change keep their
//!   parse ([`ParseCache`]). It runs on the server's worker thread.
//! - [`quick`] — only what the edited files need: the root file (its model
//!   block and shared kernel), the edited files, the files declaring the
//!   shared kernel and the contexts the edited files name. It gives the
//!   edited files' diagnostics within milliseconds; the full pass that
//!   follows replaces them (and reports what the edit broke elsewhere).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::config::Config;
use crate::diagnostics::codes::id;
use crate::diagnostics::{self, Diagnostic, FileId, Sources, Span};
use crate::lock::Lock;
use crate::model::Model;
use crate::relational::Schema;
use crate::syntax::{self, ast};
use crate::{lint, loader, migrate, model, relational};

use super::index::Index;

/// Where a project's model is, found as the command line finds it.
#[derive(Debug, Clone)]
pub struct ProjectSpec {
    /// The folder holding `dddc.toml` (or the model): migrations are
    /// resolved against it.
    pub dir: PathBuf,
    /// The root model file, absolute.
    pub root: PathBuf,
    pub config: Config,
    /// `dddc.toml` could not be read: the defaults are used, and this is
    /// reported on the root file.
    pub config_error: Option<String>,
}

/// The next migration, as `dddc plan` would write it: for the code lens on
/// the model block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    /// The model has errors: nothing can be planned.
    Unknown,
    /// The lock cannot be read.
    LockError(String),
    /// No lock yet: the first build writes V1 with this many tables.
    FirstBuild { tables: usize },
    /// The lock's schema and the model's, compared: each change of the next
    /// migration described, and how many changes it would refuse.
    Changes { changes: Vec<String>, refused: usize },
}

/// Everything known about a project at one state of its files.
pub struct Snapshot {
    pub spec: ProjectSpec,
    pub sources: Sources,
    pub files: Vec<(FileId, ast::SourceFile)>,
    /// The model as far as it could be resolved: present even when there
    /// are errors (navigation and completion work in a broken model).
    pub model: Option<Model>,
    /// The relational schema, when the model has no error.
    pub schema: Option<Schema>,
    pub lock: Option<Lock>,
    pub pending: Pending,
    /// Every diagnostic: syntax, model, schema, lint, and what the next
    /// migration would refuse; sorted.
    pub diagnostics: Vec<Diagnostic>,
    pub index: Index,
    /// The root file could not be read (it was deleted).
    pub root_error: Option<String>,
}

impl Snapshot {
    pub fn file_of(&self, path: &Path) -> Option<FileId> {
        self.sources.find_path(path)
    }

    pub fn text(&self, file: FileId) -> &str {
        &self.sources.get(file).text
    }
}

/// The parse of each file of a project, by file id, with the text it was
/// parsed from: a full pass reparses only the files whose text changed.
#[derive(Default)]
pub struct ParseCache {
    entries: HashMap<FileId, (String, Option<ast::SourceFile>, Vec<Diagnostic>)>,
}

/// The loader's view of the files: the editor's buffers first, then the
/// disk; parses from the cache when the text is the same.
pub struct Overlay<'a> {
    pub buffers: &'a HashMap<PathBuf, String>,
    pub cache: &'a Mutex<ParseCache>,
}

impl loader::Files for Overlay<'_> {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        let path = absolute(path);
        if let Some(text) = self.buffers.get(&path) {
            return Ok(text.clone());
        }
        loader::decode(crate::files::read_regular(&path)?)
    }

    fn parse(&self, file: FileId, text: &str) -> syntax::Parsed {
        let Ok(mut cache) = self.cache.lock() else { return syntax::parse(file, text) };
        if let Some((cached, ast, diags)) = cache.entries.get(&file) {
            if cached == text {
                return syntax::Parsed { file: ast.clone(), diagnostics: diags.clone() };
            }
        }
        let parsed = syntax::parse(file, text);
        cache.entries.insert(file, (text.to_string(), parsed.file.clone(), parsed.diagnostics.clone()));
        parsed
    }
}

/// A path made absolute and normalised the way the loader names files.
pub fn absolute(path: &Path) -> PathBuf {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map(|d| d.join(path)).unwrap_or_else(|_| path.to_path_buf())
    };
    loader::normalize(&abs)
}

/// The whole project: what `dddc validate`, `dddc lint` and `dddc plan`
/// report, and the index every request reads.
pub fn full(spec: &ProjectSpec, files: &dyn loader::Files) -> Snapshot {
    let loaded = match loader::load_with(&spec.root, &spec.root, files) {
        Ok(l) => l,
        Err(e) => {
            return Snapshot {
                spec: spec.clone(),
                sources: Sources::default(),
                files: Vec::new(),
                model: None,
                schema: None,
                lock: None,
                pending: Pending::Unknown,
                diagnostics: Vec::new(),
                index: Index::default(),
                root_error: Some(e.0),
            }
        }
    };
    let mut diags = loaded.diagnostics;
    let syntax_failed = diagnostics::has_errors(&diags);
    let analysis = model::analyze(&loaded.files);
    settle(&mut diags, analysis.diagnostics, syntax_failed);
    let model = analysis.model;
    let mut schema = None;
    if let Some(m) = model.as_ref().filter(|_| !diagnostics::has_errors(&diags)) {
        // In the project's language, as `build` lowers it: the comments dddc
        // writes into the database are in it, and lowered in English, a
        // Spanish project's lens showed eight pending changes (the
        // functions' comments) where `dddc plan` had none.
        match relational::lower((m, spec.config.docs.language)) {
            Ok(s) => schema = Some(s),
            Err(d) => diags.extend(d),
        }
    }
    if let (Some(m), Some(s)) = (&model, &schema) {
        diags.extend(lint::lint(m, s, &spec.config.lint).findings);
    }
    let (lock, pending) = next_migration(spec, model.as_ref(), schema.as_ref(), &mut diags);
    if let Some(e) = &spec.config_error {
        let root = loaded.sources.find_path(&absolute(&spec.root)).unwrap_or_default();
        diags.push(
            Diagnostic::error("config", e.clone())
                .at(Span::new(root, 0, 0), "the defaults are used instead")
                .with_help("fix `dddc.toml`; `dddc validate` reports the same"),
        );
    }
    diagnostics::sort(&mut diags);
    let index = Index::build(&loaded.files, model.as_ref(), &loaded.sources);
    Snapshot {
        spec: spec.clone(),
        sources: loaded.sources,
        files: loaded.files,
        model,
        schema,
        lock,
        pending,
        diagnostics: diags,
        index,
        root_error: None,
    }
}

/// Adds the model's diagnostics to the syntax diagnostics as `dddc::frontend`
/// does: after a syntax error the names the broken lines declared are
/// missing, so semantic errors would mostly be consequences; only warnings
/// are kept.
fn settle(diags: &mut Vec<Diagnostic>, semantic: Vec<Diagnostic>, syntax_failed: bool) {
    if syntax_failed {
        diags.extend(semantic.into_iter().filter(|d| !d.is_error()));
    } else {
        diags.extend(semantic);
    }
}

/// The lock, and the next migration from it (its refusals and stale
/// `@was` become diagnostics, as `dddc plan` reports them).
fn next_migration(
    spec: &ProjectSpec,
    model: Option<&Model>,
    schema: Option<&Schema>,
    diags: &mut Vec<Diagnostic>,
) -> (Option<Lock>, Pending) {
    let dir = spec.dir.join(&spec.config.migrations.dir);
    let read = |name: &str| match std::fs::read_to_string(dir.join(name)) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", dir.join(name).display())),
    };
    let lock = match (read(crate::lock::LOCK_FILE), read(crate::lock::SNAPSHOT_FILE)) {
        (Ok(None), _) => None,
        (Ok(Some(text)), Ok(snapshot)) => match Lock::parse(&text, snapshot.as_deref()) {
            Ok(l) => Some(l),
            Err(e) => return (None, Pending::LockError(e)),
        },
        (Err(e), _) | (_, Err(e)) => return (None, Pending::LockError(e)),
    };
    let (Some(model), Some(schema)) = (model, schema) else { return (lock, Pending::Unknown) };
    let Some(l) = &lock else { return (lock, Pending::FirstBuild { tables: schema.tables.len() }) };
    let m = &spec.config.migrations;
    let opts = migrate::Options {
        allow_destructive: false,
        backfill_batch: m.backfill_batch,
        batch_backfills: m.batch_backfills,
    };
    let planned = migrate::plan(&l.schema, model, schema, opts);
    diags.extend(planned.warnings.iter().cloned());
    diags.extend(planned.refusals.iter().map(migrate::Refusal::to_diagnostic));
    let changes = planned.files.iter().flat_map(|f| f.changes.iter().map(migrate::Change::describe)).collect();
    let refused = planned.refusals.len();
    (lock, Pending::Changes { changes, refused })
}

/// The diagnostics of the edited files, from a slice of the project.
pub struct Quick {
    /// Each edited file with every diagnostic located in it.
    pub files: Vec<(FileId, Vec<Diagnostic>)>,
    /// How many of the project's files the slice analysed.
    pub sliced: usize,
}

/// The edited files' diagnostics from the smallest part of the project
/// that decides them (see the module's doc). `None` when the edit changes
/// what the project is made of (an `include` or a `model` block added or
/// removed, the root file edited, a file that no longer parses at all), or
/// when the slice would be the whole project anyway: the full pass then
/// answers alone.
pub fn quick(base: &Snapshot, edited: &[(FileId, String)]) -> Option<Quick> {
    let _p = crate::timing::phase("quick pass");
    let parse = crate::timing::phase("quick: parse the edited files");
    let root = base.files.first().map(|(f, _)| *f)?;
    let mut new_asts: HashMap<FileId, (ast::SourceFile, Vec<Diagnostic>)> = HashMap::new();
    for (file, text) in edited {
        let (_, old) = base.files.iter().find(|(f, _)| f == file)?;
        if *file == root || loader_diagnostics_in(base, *file) {
            return None;
        }
        let parsed = syntax::parse(*file, text);
        let ast = parsed.file?;
        if includes(&ast) != includes(old) || ast.items.iter().any(|i| matches!(i, ast::TopItem::Model(_))) {
            return None;
        }
        new_asts.insert(*file, (ast, parsed.diagnostics));
    }
    drop(parse);
    let slice = crate::timing::phase("quick: slice");
    // The contexts the edited files name: their files join the slice.
    let declared = contexts_by_file(&base.files);
    let mut wanted: BTreeSet<FileId> = BTreeSet::from([root]);
    wanted.extend(new_asts.keys().copied());
    for (f, ast) in &base.files {
        let kernel = ast.items.iter().any(|i| matches!(i, ast::TopItem::Enum(_) | ast::TopItem::Value(_)));
        if kernel {
            wanted.insert(*f);
        }
    }
    let mut named = BTreeSet::new();
    for (ast, _) in new_asts.values() {
        named_contexts(ast, &mut named);
    }
    if let Some(ctx) = audit_log_context(&base.files[0].1) {
        named.insert(ctx);
    }
    for ctx in &named {
        if let Some(f) = declared.get(ctx.as_str()) {
            wanted.insert(*f);
        }
    }
    if wanted.len() >= base.files.len() {
        return None;
    }
    let files: Vec<(FileId, ast::SourceFile)> = base
        .files
        .iter()
        .filter(|(f, _)| wanted.contains(f))
        .map(|(f, ast)| match new_asts.get(f) {
            Some((new, _)) => (*f, new.clone()),
            None if *f == root => (*f, without_access(ast)),
            None => (*f, ast.clone()),
        })
        .collect();
    let edited_ids: BTreeSet<FileId> = new_asts.keys().copied().collect();
    let mut diags: Vec<Diagnostic> = new_asts.values().flat_map(|(_, d)| d.iter().cloned()).collect();
    // The cascade rule sees the whole project: a syntax error in a file
    // outside the slice silences semantic errors everywhere.
    let syntax_failed = diagnostics::has_errors(&diags)
        || base
            .diagnostics
            .iter()
            .any(|d| d.code == id::E0001 && d.primary.as_ref().is_some_and(|p| !edited_ids.contains(&p.span.file)));
    drop(slice);
    let analyze = crate::timing::phase("quick: resolve + validate");
    let analysis = model::analyze(&files);
    drop(analyze);
    settle(&mut diags, analysis.diagnostics, syntax_failed);
    if let Some(m) = analysis.model.as_ref().filter(|_| !diagnostics::has_errors(&diags)) {
        let _p = crate::timing::phase("quick: lower + lint");
        match relational::lower((m, base.spec.config.docs.language)) {
            Ok(s) => diags.extend(lint::lint(m, &s, &base.spec.config.lint).findings),
            Err(d) => diags.extend(d),
        }
    }
    diagnostics::sort(&mut diags);
    let files_out = edited_ids
        .iter()
        .map(|f| {
            let mine =
                diags.iter().filter(|d| d.primary.as_ref().is_some_and(|p| p.span.file == *f)).cloned().collect();
            (*f, mine)
        })
        .collect();
    Some(Quick { files: files_out, sliced: files.len() })
}

/// Whether the loader reported something in `file` (an include it could
/// not follow, a misplaced `model` block): the slice cannot tell whether
/// the edit fixed it.
fn loader_diagnostics_in(base: &Snapshot, file: FileId) -> bool {
    base.diagnostics.iter().any(|d| {
        matches!(d.code, id::E0002 | id::E0003 | id::E0004 | id::E0005)
            && d.primary.as_ref().is_some_and(|p| p.span.file == file)
    })
}

fn includes(file: &ast::SourceFile) -> Vec<&str> {
    file.items
        .iter()
        .filter_map(|i| match i {
            ast::TopItem::Include(inc) => Some(inc.path.as_str()),
            _ => None,
        })
        .collect()
}

/// Which file declares each context.
fn contexts_by_file(files: &[(FileId, ast::SourceFile)]) -> HashMap<&str, FileId> {
    let mut out = HashMap::new();
    for (f, file) in files {
        for item in &file.items {
            match item {
                ast::TopItem::Context(c) => {
                    out.entry(c.name.name.as_str()).or_insert(*f);
                }
                ast::TopItem::Model(m) => {
                    for mi in &m.items {
                        if let ast::ModelItem::Context(c) = mi {
                            out.entry(c.name.name.as_str()).or_insert(*f);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// The contexts a file names in qualified types (`ctx.Type`), references
/// (`ref ctx.Aggregate`) and its own context declarations' references.
fn named_contexts(file: &ast::SourceFile, out: &mut BTreeSet<String>) {
    super::index::walk_fields(file, &mut |f: &ast::Field| {
        let path = match &f.ty {
            ast::TypeExpr::Named(t) => &t.name,
            ast::TypeExpr::Ref(r) => &r.target,
        };
        if path.parts.len() == 2 {
            out.insert(path.parts[0].name.clone());
        }
    });
}

/// The context of the model block's `audit_log ctx.table`: `audited`
/// aggregates need it declared.
fn audit_log_context(root: &ast::SourceFile) -> Option<String> {
    root.items.iter().find_map(|i| match i {
        ast::TopItem::Model(m) => m.items.iter().find_map(|mi| match mi {
            ast::ModelItem::AuditLog { table, .. } if table.parts.len() == 2 => Some(table.parts[0].name.clone()),
            _ => None,
        }),
        _ => None,
    })
}

/// The root file without roles and publications: they name every context,
/// most of which a slice leaves out, and say nothing about the edited files.
fn without_access(file: &ast::SourceFile) -> ast::SourceFile {
    let mut f = file.clone();
    f.items.retain(|i| !matches!(i, ast::TopItem::Role(_) | ast::TopItem::Publication(_)));
    for item in &mut f.items {
        if let ast::TopItem::Model(m) = item {
            m.items.retain(|i| !matches!(i, ast::ModelItem::Role(_) | ast::ModelItem::Publication(_)));
        }
    }
    f
}
