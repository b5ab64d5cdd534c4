//! One project analysed: the front end, lowering, lint and the next
//! migration, over the editor's unsaved buffers.
//!
//! Two passes, because a model of thousands of aggregates takes longer to
//! analyse whole than an editor should wait for its diagnostics:
//!
//! - [`full`] — the whole project, as `dddc validate`, `lint` and `plan`
//!   see it: every diagnostic, the [`Snapshot`] every request is answered
//!   from, and the pending migration. Files that did not change keep their
//!   parse, and a lock whose files did not change its parse
//!   ([`ParseCache`]). It runs on the server's worker thread, with a
//!   helper beside it for the lock and the lint.
//! - [`quick`] — only what the edited files need: the root file (its model
//!   block and shared kernel), the edited files, the files declaring the
//!   shared kernel and the contexts the edited files name. It gives the
//!   edited files' diagnostics within milliseconds; the full pass that
//!   follows replaces them (and reports what the edit broke elsewhere).
//!   A large file (a model written as one file) is sliced by context
//!   instead (`quick_in_parts`).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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
    pub lock: Option<Arc<Lock>>,
    pub pending: Pending,
    /// Every diagnostic: syntax, model, schema, lint, and what the next
    /// migration would refuse; sorted.
    pub diagnostics: Vec<Diagnostic>,
    /// The errors of resolving the model, or when there are none of
    /// lowering it, when the pass found them out (it lowers nothing after
    /// a syntax error): what a rename compares its edited model's with.
    pub model_errors: Option<Vec<Diagnostic>>,
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
/// parsed from: a full pass reparses only the files whose text changed;
/// and the lock, which it parses again only when its files changed.
#[derive(Default)]
pub struct ParseCache {
    entries: Mutex<HashMap<FileId, Cached>>,
    /// The lock the last full pass read, by a hash of its two files (a
    /// mutex of its own: it is read beside the files' parse).
    lock: Mutex<Option<([u8; 32], Arc<Lock>)>>,
}

/// A file's text, and its parse.
type Cached = (String, Option<ast::SourceFile>, Vec<Diagnostic>);

/// The loader's view of the files: the editor's buffers first, then the
/// disk; parses from the cache when the text is the same.
pub struct Overlay<'a> {
    pub buffers: &'a HashMap<PathBuf, String>,
    pub cache: &'a ParseCache,
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
        if let Ok(entries) = self.cache.entries.lock() {
            if let Some((cached, ast, diags)) = entries.get(&file) {
                if cached == text {
                    return syntax::Parsed { file: ast.clone(), diagnostics: diags.clone() };
                }
            }
        }
        // Parsed with the cache free: files are parsed on two threads.
        let parsed = syntax::parse(file, text);
        if let Ok(mut entries) = self.cache.entries.lock() {
            entries.insert(file, (text.to_string(), parsed.file.clone(), parsed.diagnostics.clone()));
        }
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
///
/// On two threads where it can: the lock is read (or taken from the last
/// pass when its files did not change, [`ParseCache`]) while the model is
/// analysed and lowered, and the lint runs while the next migration is
/// planned and the index built. The diagnostics are gathered in the same
/// order either way (then sorted).
pub fn full(spec: &ProjectSpec, files: &Overlay<'_>) -> Snapshot {
    let _p = crate::timing::phase("full pass");
    std::thread::scope(|scope| {
        let lock = crate::threads::beside(scope, || read_lock(spec, files.cache));
        let load = crate::timing::phase("full: load");
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
                    model_errors: None,
                    index: Index::default(),
                    root_error: Some(e.0),
                }
            }
        };
        drop(load);
        let mut diags = loaded.diagnostics;
        let syntax_failed = diagnostics::has_errors(&diags);
        let analyze = crate::timing::phase("full: analyze");
        let analysis = model::analyze(&loaded.files);
        drop(analyze);
        let errors: Vec<Diagnostic> = analysis.diagnostics.iter().filter(|d| d.is_error()).cloned().collect();
        let mut model_errors = (!errors.is_empty()).then_some(errors);
        settle(&mut diags, analysis.diagnostics, syntax_failed);
        let model = analysis.model;
        let mut schema = None;
        if let Some(m) = model.as_ref().filter(|_| !diagnostics::has_errors(&diags)) {
            // In the project's language, as `build` lowers it: the comments dddc
            // writes into the database are in it, and lowered in English, a
            // Spanish project's lens showed eight pending changes (the
            // functions' comments) where `dddc plan` had none.
            let _p = crate::timing::phase("full: lower");
            match relational::lower((m, spec.config.docs.language)) {
                Ok(s) => {
                    schema = Some(s);
                    model_errors = Some(Vec::new());
                }
                Err(d) => {
                    model_errors = Some(d.iter().filter(|d| d.is_error()).cloned().collect());
                    diags.extend(d);
                }
            }
        }
        // A scope of its own: its threads borrow the model and the schema.
        // The lint beside the next migration and the index (lowering uses
        // both cores itself: the index built beside it gained nothing).
        let (findings, (lock, pending, planned), index) = std::thread::scope(|inner| {
            let findings = crate::threads::beside(inner, || match (&model, &schema) {
                (Some(m), Some(s)) => {
                    let _p = crate::timing::phase("full: lint");
                    lint::lint(m, s, &spec.config.lint).findings
                }
                _ => Vec::new(),
            });
            let planned = {
                let _p = crate::timing::phase("full: next migration");
                next_migration(spec, lock.join(), model.as_ref(), schema.as_ref())
            };
            let index = {
                let _p = crate::timing::phase("full: index");
                Index::build(&loaded.files, model.as_ref(), &loaded.sources)
            };
            (findings.join(), planned, index)
        });
        diags.extend(findings);
        diags.extend(planned);
        if let Some(e) = &spec.config_error {
            let root = loaded.sources.find_path(&absolute(&spec.root)).unwrap_or_default();
            diags.push(
                Diagnostic::error("config", e.clone())
                    .at(Span::new(root, 0, 0), "the defaults are used instead")
                    .with_help("fix `dddc.toml`; `dddc validate` reports the same"),
            );
        }
        diagnostics::sort(&mut diags);
        Snapshot {
            spec: spec.clone(),
            sources: loaded.sources,
            files: loaded.files,
            model,
            schema,
            lock,
            pending,
            diagnostics: diags,
            model_errors,
            index,
            root_error: None,
        }
    })
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

/// The lock's two files read, and parsed unless they are the last pass's
/// ([`ParseCache::lock`]): at 2,000 aggregates they are 12 MB, read again
/// after every edit, and parsing them took 36–56 ms of each full pass.
fn read_lock(spec: &ProjectSpec, cache: &ParseCache) -> Result<Option<Arc<Lock>>, String> {
    let _p = crate::timing::phase("full: read the lock");
    let dir = spec.dir.join(&spec.config.migrations.dir);
    let read = |name: &str| match std::fs::read_to_string(dir.join(name)) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", dir.join(name).display())),
    };
    let Some(text) = read(crate::lock::LOCK_FILE)? else { return Ok(None) };
    let snapshot = read(crate::lock::SNAPSHOT_FILE)?;
    let mut key = blake3::Hasher::new();
    key.update(text.as_bytes());
    // The snapshot's absence is not an empty snapshot.
    key.update(&[u8::from(snapshot.is_some())]);
    key.update(snapshot.as_deref().unwrap_or_default().as_bytes());
    let key = *key.finalize().as_bytes();
    if let Some((k, lock)) = cache.lock.lock().ok().and_then(|c| c.clone()) {
        if k == key {
            return Ok(Some(lock));
        }
    }
    let lock = Arc::new(Lock::parse(&text, snapshot.as_deref())?);
    if let Ok(mut c) = cache.lock.lock() {
        *c = Some((key, lock.clone()));
    }
    Ok(Some(lock))
}

/// The next migration from the lock, as `dddc plan` would write it: the
/// lens's changes, and its refusals and stale `@was` as diagnostics.
fn next_migration(
    spec: &ProjectSpec,
    lock: Result<Option<Arc<Lock>>, String>,
    model: Option<&Model>,
    schema: Option<&Schema>,
) -> (Option<Arc<Lock>>, Pending, Vec<Diagnostic>) {
    let lock = match lock {
        Ok(l) => l,
        Err(e) => return (None, Pending::LockError(e), Vec::new()),
    };
    let (Some(model), Some(schema)) = (model, schema) else { return (lock, Pending::Unknown, Vec::new()) };
    let Some(l) = &lock else {
        return (lock, Pending::FirstBuild { tables: schema.tables.len() }, Vec::new());
    };
    let m = &spec.config.migrations;
    let opts = migrate::Options {
        allow_destructive: false,
        backfill_batch: m.backfill_batch,
        batch_backfills: m.batch_backfills,
    };
    let planned = migrate::plan(&l.schema, model, schema, opts);
    let mut diags = planned.warnings.clone();
    diags.extend(planned.refusals.iter().map(migrate::Refusal::to_diagnostic));
    let changes = planned.files.iter().flat_map(|f| f.changes.iter().map(migrate::Change::describe)).collect();
    let refused = planned.refusals.len();
    (lock, Pending::Changes { changes, refused }, diags)
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
    if let [(file, text)] = edited {
        if let Some(quick) = syntax::parts(text).and_then(|parts| quick_in_parts(base, *file, text, parts)) {
            return Some(quick);
        }
    }
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
    let mut declared_in: HashMap<FileId, usize> = HashMap::new();
    for f in declared.values() {
        *declared_in.entry(*f).or_default() += 1;
    }
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
    check_slice(base, &files, &mut diags, syntax_failed);
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

/// [`quick`] for one edited file that is read in parts ([`syntax::parts`]:
/// a large file, a model written as one file): the slice is made of
/// contexts, not files. The parts that did not change (the same text at
/// the front, the same text at the back, moved by the edit) are not read
/// again; the changed ones must hold contexts only, each read as a file of
/// its own (its syntax errors included). The slice is the file's other
/// items (the model block, the shared kernel, all before the change), the
/// changed contexts, the contexts they name (read again from the new text
/// when they come after the change) and, from other files, the shared
/// kernel and the contexts named. The file's diagnostics are the slice's
/// inside the changed parts and the last full pass's outside them (moved
/// with the text after them). `None` when the edit touches anything but
/// contexts, or when the slice would be the whole model.
fn quick_in_parts(base: &Snapshot, file: FileId, new: &str, new_parts: Vec<std::ops::Range<usize>>) -> Option<Quick> {
    let parse = crate::timing::phase("quick: parse the edited parts");
    let root = base.files.first().map(|(f, _)| *f)?;
    if loader_diagnostics_in(base, file) {
        return None;
    }
    let old = base.text(file);
    let (_, old_ast) = base.files.iter().find(|(f, _)| *f == file)?;
    let old_parts = syntax::parts(old)?;
    let same = |a: &std::ops::Range<usize>, b: &std::ops::Range<usize>| old[a.clone()] == new[b.clone()];
    let front = old_parts.iter().zip(&new_parts).take_while(|(a, b)| a.start == b.start && same(a, b)).count();
    let most = old_parts.len().min(new_parts.len()) - front;
    let back = old_parts.iter().rev().zip(new_parts.iter().rev()).take(most).take_while(|(a, b)| same(a, b)).count();
    if front == 0 || old == new {
        return None;
    }
    let start_of = |parts: &[std::ops::Range<usize>], i: usize, len: usize| parts.get(i).map_or(len, |r| r.start);
    let old_changed = start_of(&old_parts, front, old.len())..start_of(&old_parts, old_parts.len() - back, old.len());
    let new_changed = start_of(&new_parts, front, new.len())..start_of(&new_parts, new_parts.len() - back, new.len());
    let delta = new.len() as i64 - old.len() as i64;

    // The changed parts, each read as a file of its own.
    let mut diags = Vec::new();
    let mut contexts: Vec<ast::Context> = Vec::new();
    for range in &new_parts[front..new_parts.len() - back] {
        let parsed = syntax::parse_at(file, new, range.clone());
        diags.extend(parsed.diagnostics);
        for item in parsed.file?.items {
            let ast::TopItem::Context(c) = item else { return None };
            contexts.push(c);
        }
    }
    // The file's other items: all before the change but for contexts.
    let mut head = Vec::new();
    let mut before: HashMap<&str, &ast::Context> = HashMap::new();
    let mut after: HashMap<&str, usize> = HashMap::new();
    for item in &old_ast.items {
        let at = match item {
            ast::TopItem::Include(i) => i.span.start,
            ast::TopItem::Model(m) => m.span.start,
            ast::TopItem::Context(c) => c.span.start,
            ast::TopItem::Enum(e) => e.span.start,
            ast::TopItem::Value(v) => v.span.start,
            ast::TopItem::Role(r) => r.span.start,
            ast::TopItem::Publication(p) => p.span.start,
        } as usize;
        match item {
            ast::TopItem::Context(c) if at < old_changed.start => {
                before.entry(c.name.name.as_str()).or_insert(c);
            }
            ast::TopItem::Context(_) if at < old_changed.end => {}
            ast::TopItem::Context(c) => {
                after.entry(c.name.name.as_str()).or_insert(at);
            }
            _ if at < old_changed.start => head.push(item.clone()),
            _ => return None,
        }
    }
    drop(parse);

    let slice = crate::timing::phase("quick: slice");
    let mut named = BTreeSet::new();
    let edited =
        ast::SourceFile { items: contexts.iter().cloned().map(ast::TopItem::Context).collect(), comments: vec![] };
    named_contexts(&edited, &mut named);
    if let Some(ctx) = audit_log_context(&base.files[0].1) {
        named.insert(ctx);
    }
    let mine: BTreeSet<&str> = contexts.iter().map(|c| c.name.name.as_str()).collect();
    let declared = contexts_by_file(&base.files);
    let mut declared_in: HashMap<FileId, usize> = HashMap::new();
    for f in declared.values() {
        *declared_in.entry(*f).or_default() += 1;
    }
    let mut wanted: BTreeSet<FileId> = BTreeSet::from([root]);
    for (f, ast) in &base.files {
        if ast.items.iter().any(|i| matches!(i, ast::TopItem::Enum(_) | ast::TopItem::Value(_))) {
            wanted.insert(*f);
        }
    }
    let mut own = head;
    let mut count = contexts.len();
    for name in named.iter().map(String::as_str).filter(|n| !mine.contains(n)) {
        if let Some(c) = before.get(name) {
            own.push(ast::TopItem::Context((*c).clone()));
            count += 1;
        } else if let Some(&at) = after.get(name) {
            // Read again where it now is.
            let at = usize::try_from(at as i64 + delta).ok()?;
            let range = new_parts.iter().find(|r| r.contains(&at))?.clone();
            for item in syntax::parse_part(file, new, range)?.items {
                own.push(item);
                count += 1;
            }
        } else if let Some(f) = declared.get(name).filter(|f| **f != file) {
            wanted.insert(*f);
        }
    }
    own.extend(contexts.into_iter().map(ast::TopItem::Context));
    let own = ast::SourceFile { items: own, comments: vec![] };
    let mut files: Vec<(FileId, ast::SourceFile)> = Vec::new();
    for (f, ast) in &base.files {
        if *f == file {
            files.push((*f, if *f == root { without_access(&own) } else { own.clone() }));
        } else if wanted.contains(f) {
            files.push((*f, if *f == root { without_access(ast) } else { ast.clone() }));
            count += declared_in.get(f).copied().unwrap_or(0);
        }
    }
    if count >= declared.len() {
        return None;
    }
    let changed = |span: &Span| span.file == file && old_changed.contains(&(span.start as usize));
    let syntax_failed = diagnostics::has_errors(&diags)
        || base
            .diagnostics
            .iter()
            .any(|d| d.code == id::E0001 && d.primary.as_ref().is_some_and(|p| !changed(&p.span)));
    drop(slice);
    check_slice(base, &files, &mut diags, syntax_failed);
    // Inside the changed parts the slice's, outside them the last full
    // pass's.
    let inside = |d: &Diagnostic| {
        d.primary.as_ref().is_some_and(|p| p.span.file == file && new_changed.contains(&(p.span.start as usize)))
    };
    let mut out: Vec<Diagnostic> = diags.into_iter().filter(inside).collect();
    let outside = |d: &&Diagnostic| d.primary.as_ref().is_some_and(|p| p.span.file == file && !changed(&p.span));
    // An error now anywhere in the model leaves it without schema, plan
    // or lint: the full pass has none of their findings either.
    let front_end_error = |d: &Diagnostic| d.is_error() && !downstream(d.code);
    let failed = out.iter().any(front_end_error) || base.diagnostics.iter().filter(outside).any(front_end_error);
    for d in base.diagnostics.iter().filter(outside).filter(|d| !(failed && downstream(d.code))) {
        // Every label after the change moves, a secondary one of a
        // diagnostic before it too ("first declared here").
        out.push(d.clone().moved(file, old_changed.end, delta));
    }
    diagnostics::sort(&mut out);
    Some(Quick { files: vec![(file, out)], sliced: count })
}

/// The slice's `files` resolved and validated, then lowered and linted
/// when nothing is wrong: the diagnostics added to `diags` (the edited
/// texts' syntax diagnostics; `syntax_failed` when they or the project's
/// other files have a syntax error, see [`settle`]).
fn check_slice(base: &Snapshot, files: &[(FileId, ast::SourceFile)], diags: &mut Vec<Diagnostic>, syntax_failed: bool) {
    let analyze = crate::timing::phase("quick: resolve + validate");
    let analysis = model::analyze(files);
    drop(analyze);
    settle(diags, analysis.diagnostics, syntax_failed);
    if let Some(m) = analysis.model.as_ref().filter(|_| !diagnostics::has_errors(diags)) {
        let _p = crate::timing::phase("quick: lower + lint");
        match relational::lower((m, base.spec.config.docs.language)) {
            Ok(s) => diags.extend(lint::lint(m, &s, &base.spec.config.lint).findings),
            Err(d) => diags.extend(d),
        }
    }
}

/// Whether diagnostics of this code come only from a model without
/// errors: its schema's (E06xx), its next migration's (E07xx, W07xx) and
/// the lint's.
fn downstream(code: &str) -> bool {
    code.starts_with('L') || ["E06", "E07", "W07"].iter().any(|p| code.starts_with(p))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A context of the one-file model: an enum, an aggregate with a
    /// reference `to` another context's (if any) and `extra` fields.
    fn context(k: usize, to: Option<usize>, extra: &str) -> String {
        let reference = to.map_or(String::new(), |t| format!("\n    /// The other one.\n    other: ref c{t}.A{t}?"));
        // 17 KiB of documentation: each context is a part of its own and
        // four of them are a file read in parts, in a release build too
        // (parts from 64 KiB, a context of 4 KiB its own part) and not
        // only in a debug build's (from 1 byte, every context a part).
        let padding =
            "/// A line of the context's documentation, long enough that four contexts are 64 KiB.\n".repeat(200);
        format!(
            "/// Context {k}.\n{padding}context c{k} {{\n  /// A status.\n  enum Status {{\n    /// New.\n    DRAFT\n    /// Done.\n    DONE\n  }}\n\n  /// Aggregate {k}.\n  aggregate A{k} {{\n    /// A name.\n    name: text(100)\n    /// Where it is.\n    status: Status = DRAFT\n    /// Its price.\n    price: Money{reference}{extra}\n  }}\n}}\n\n"
        )
    }

    /// A model in one file: the model block and a value object, then five
    /// contexts; `c1` references `c2`, `c3` holds a password in plain text
    /// (a lint finding the edits of `c1` must move).
    fn one_file(c1: &str, c2: &str) -> String {
        let head = "/// A model in one file.\nmodel m {\n  target postgres 16\n}\n\n/// Money.\nvalue Money {\n  /// Amount.\n  amount: decimal(12, 2)\n}\n\n";
        let secret = "\n    /// The password.\n    password: text(100)";
        format!(
            "{head}{}{}{}{}{}",
            context(0, None, ""),
            context(1, Some(2), c1),
            context(2, None, c2),
            context(3, None, secret),
            context(4, None, "")
        )
    }

    fn snapshot(dir: &Path, text: &str) -> Snapshot {
        let root = absolute(&dir.join("model.ddd"));
        let spec =
            ProjectSpec { dir: dir.to_path_buf(), root: root.clone(), config: Config::default(), config_error: None };
        let buffers = HashMap::from([(root, text.to_string())]);
        let cache = ParseCache::default();
        full(&spec, &Overlay { buffers: &buffers, cache: &cache })
    }

    /// The diagnostics as compared: code, message and where.
    fn seen(diags: &[Diagnostic]) -> Vec<(&'static str, String, Option<Span>)> {
        diags.iter().map(|d| (d.code, d.message.clone(), d.primary.as_ref().map(|p| p.span))).collect()
    }

    /// Edits of one context of a model in one file get their diagnostics
    /// from a slice of a few contexts, and they are the full pass's: an
    /// error in the edited context, the lint finding of a context after it
    /// moved with the text, a context it references read again where it
    /// moved. An edit of the head (the model block) is the full pass's
    /// alone.
    #[test]
    fn an_edit_of_a_model_in_one_file_is_checked_from_a_slice_of_its_contexts() {
        let dir = tempfile::tempdir().unwrap();
        let text = one_file("", "");
        let base = snapshot(dir.path(), &text);
        let file = base.files[0].0;
        let before = seen(&base.diagnostics);
        assert!(before.iter().any(|(code, _, _)| code.starts_with('L')), "the password's finding: {before:?}");
        assert!(!before.iter().any(|(code, _, _)| code.starts_with('E')), "{before:?}");

        let edits = [
            // A misspelt default: an error in c1.
            one_file("", "").replacen("status: Status = DRAFT\n    /// Its price.\n    price: Money\n    /// The other", "status: Status = DRAFTT\n    /// Its price.\n    price: Money\n    /// The other", 1),
            // Lines added to c1 (and c2, which c1 references, moves).
            one_file("\n    /// A note.\n    note: text?\n    /// Another.\n    more: int?", ""),
            // c1's reference to a missing aggregate of c2.
            one_file("", "").replace("ref c2.A2?", "ref c2.A9?"),
            // Lines taken from c1: what follows moves back.
            one_file("", "").replacen(
                "    /// A name.\n    name: text(100)\n    /// Where it is.\n    status: Status = DRAFT\n    /// Its price.\n    price: Money\n    /// The other",
                "    /// Where it is.\n    status: Status = DRAFT\n    /// Its price.\n    price: Money\n    /// The other",
                1,
            ),
            // A context added between c1 and c2.
            text.replacen("/// Context 2.\n", &format!("{}/// Context 2.\n", context(9, Some(0), "")), 1),
            // The last context removed.
            text[..text.find("/// Context 4.").unwrap()].to_string(),
        ];
        for (i, new) in edits.iter().enumerate() {
            assert_ne!(new, &text, "edit {i}");
            let quick = quick(&base, &[(file, new.clone())]).unwrap_or_else(|| panic!("edit {i}: a quick pass"));
            assert!(quick.sliced < 5, "edit {i}: {} contexts", quick.sliced);
            assert_eq!(quick.files.len(), 1);
            let whole = snapshot(dir.path(), new);
            let expected: Vec<Diagnostic> = whole
                .diagnostics
                .iter()
                .filter(|d| d.primary.as_ref().is_some_and(|p| p.span.file == file))
                .cloned()
                .collect();
            assert_eq!(seen(&quick.files[0].1), seen(&expected), "edit {i}");
        }

        // A syntax error in c1: said where the full pass says it; the
        // other contexts' findings stay until the full pass.
        let broken = one_file("\n    oops here", "");
        let quick = quick(&base, &[(file, broken.clone())]).expect("a quick pass");
        let whole = snapshot(dir.path(), &broken);
        let errors = |d: &[Diagnostic]| -> Vec<(&'static str, String, Option<Span>)> {
            seen(d).into_iter().filter(|(code, _, _)| *code == id::E0001).collect()
        };
        assert!(!errors(&whole.diagnostics).is_empty());
        assert_eq!(errors(&quick.files[0].1), errors(&whole.diagnostics));

        // The model block edited: no slice.
        let head = text.replacen("A model in one file.", "A model in a single file.", 1);
        assert!(quick_in_parts(&base, file, &head, syntax::parts(&head).expect("parts")).is_none());
    }

    /// The lock is parsed once and taken from the last pass while its two
    /// files stay as they were; a change of either is read (a build wrote
    /// them, or one was lost).
    #[test]
    fn the_lock_is_parsed_again_only_when_its_files_change() {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mitoga");
        let dir = tempfile::tempdir().unwrap();
        let migrations = dir.path().join("db/migration");
        std::fs::create_dir_all(&migrations).unwrap();
        for f in [crate::lock::LOCK_FILE, crate::lock::SNAPSHOT_FILE] {
            std::fs::copy(example.join("db/migration").join(f), migrations.join(f)).unwrap();
        }
        // MiToga's model, its lock copied where this project keeps it.
        let config = crate::config::load_config(&example).unwrap();
        let spec = ProjectSpec {
            dir: dir.path().to_path_buf(),
            root: absolute(&example.join("mitoga.ddd")),
            config,
            config_error: None,
        };
        let buffers = HashMap::new();
        let cache = ParseCache::default();
        let pass = || full(&spec, &Overlay { buffers: &buffers, cache: &cache });
        let first = pass();
        assert_eq!(first.pending, Pending::Changes { changes: Vec::new(), refused: 0 });
        let again = pass();
        assert!(Arc::ptr_eq(first.lock.as_ref().unwrap(), again.lock.as_ref().unwrap()), "taken from the last pass");

        // The lock's text changed (what it says did not): read again.
        let lock = migrations.join(crate::lock::LOCK_FILE);
        let text = std::fs::read_to_string(&lock).unwrap();
        std::fs::write(&lock, format!("{text}\n")).unwrap();
        let rewritten = pass();
        assert!(!Arc::ptr_eq(first.lock.as_ref().unwrap(), rewritten.lock.as_ref().unwrap()));
        assert_eq!(rewritten.lock.as_ref().unwrap().schema, first.lock.as_ref().unwrap().schema);
        // The snapshot lost: the lock cannot be read, whatever was parsed.
        let snapshot = migrations.join(crate::lock::SNAPSHOT_FILE);
        let schema = std::fs::read(&snapshot).unwrap();
        std::fs::remove_file(&snapshot).unwrap();
        let lost = pass();
        assert!(matches!(lost.pending, Pending::LockError(_)), "{:?}", lost.pending);
        assert!(lost.lock.is_none());
        // Back as they were two passes ago: the lock parsed then (a lock
        // that cannot be read is not remembered), and up to date.
        std::fs::write(&snapshot, schema).unwrap();
        let back = pass();
        assert_eq!(back.pending, first.pending);
        assert!(Arc::ptr_eq(rewritten.lock.as_ref().unwrap(), back.lock.as_ref().unwrap()));
    }
}
