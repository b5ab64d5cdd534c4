//! Documentation outputs: PlantUML ERDs and the same diagrams as SVG
//! pictures, the data dictionary, the model document and, on request, a
//! browsable HTML site — all computed from the model and its lowered
//! schema, offline, without touching the disk (except to read template
//! overrides, and the memo of diagrams and sections drawn in earlier runs
//! when the caller hands one: [`Project::memo`], [`crate::memo`]).
//!
//! The steps, one module each:
//!
//! 1. [`catalog`] — which model declaration each table stores, and the
//!    relationships between tables with their cardinality.
//! 2. Views — plain serializable structs, one per document: [`erd`] (context
//!    and aggregate diagrams, the overview, and the Mermaid blocks),
//!    [`dictionary`], [`model_doc`]. Every word that is not the model's
//!    comes from [`labels`] (English or Spanish), and [`rule_words`] for the
//!    lint rules.
//! 3. Pictures — [`diagrams`] turns the ERD views into [`svg`] diagrams,
//!    laid out and drawn in Rust: the same bytes on every machine.
//! 4. [`templates`] — minijinja templates from `templates/docs/`, embedded,
//!    addressed by [`TemplateId`], rendered with strict undefined; a project
//!    may override any of them by file name. The per-context sections of
//!    the two documents, while not overridden, are written by [`native`]:
//!    the same bytes, in Rust.
//! 5. [`site`] — the HTML pages, their search index and assets; doc
//!    comments go through [`markdown`] (rendered, then sanitised).
//!
//! Output is deterministic: everything is ordered as the model and the
//! schema are, and no output depends on the date, the machine or hash order.

mod catalog;
mod diagrams;
mod dictionary;
mod erd;
mod labels;
mod markdown;
mod model_doc;
mod native;
mod rule_words;
mod site;
mod svg;
mod templates;
mod text;

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use crate::config::{Docs, Lint};
use crate::model::Model;
use crate::output::{Output, Pieces, Slices};
use crate::relational::Schema;

pub use templates::{Asset, TemplateId};

/// What the site shows beyond the model and its schema: the project's own
/// settings and history, which only the build knows.
#[derive(Default, Clone, Copy)]
pub struct Project<'a> {
    /// `[lint]` of `dddc.toml`, so that the design review lists what
    /// `dddc lint` reports; `None` is the defaults.
    pub lint: Option<&'a Lint>,
    /// The migrations the lock records, oldest first, as the build leaves
    /// it; `None` leaves the history page out.
    pub migrations: Option<&'a [MigrationRecord]>,
    /// The diagrams drawn and the dictionary's sections rendered in earlier
    /// runs ([`crate::memo`], `.dddc/docs`); `None` makes every one.
    pub memo: Option<&'a crate::memo::Memo>,
    /// Whether a document made (its path, as in the outputs: the docs
    /// folder joined with its file; and its bytes) is one the caller has
    /// already: a check or a build, whose file on disk is the same. Such
    /// documents are left out of the result as soon as they are made, so
    /// that they are not all held at once. `None` keeps every one.
    pub unchanged: Option<&'a Unchanged<'a>>,
    /// The documents are probably the caller's already (a check, whose
    /// outputs are on disk unless it fails): the data dictionary is then
    /// compared with its file a section at a time before it is put
    /// together, none of them held, and made again only if it differs. A
    /// build, whose documents usually differ, leaves it `false`: its
    /// dictionary would be made twice. The site also reads it: a check
    /// takes the pages a build remembered and remembers none it makes.
    pub compare_first: bool,
}

/// See [`Project::unchanged`]; the bytes come in pieces, in order, some
/// made only as they are asked for.
pub type Unchanged<'a> = dyn Fn(&Path, &mut dyn Pieces) -> bool + Sync + 'a;

/// One migration of the history page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationRecord {
    pub version: String,
    pub description: String,
    /// Relative to the project folder, `/`-separated:
    /// `db/migration/V1__init.sql`.
    pub file: String,
    /// The undo script, when the project writes them.
    pub undo: Option<String>,
    /// Of the file, as the lock records it.
    pub sha256: String,
    /// Runs outside a transaction (its `.conf` says so).
    pub online: bool,
}

/// Every documentation file, paths relative to the project folder (under
/// `config.dir`): `erd/<context>.puml` and `.svg` per context,
/// `erd/overview.puml` and `.svg`, the data dictionary and the model
/// document (file names in the configured language), and the site under
/// `site/` when `html` is on. `project_dir` only resolves
/// `config.templates`.
pub fn generate(model: &Model, schema: &Schema, config: &Docs, project_dir: &Path) -> Result<Vec<Output>, String> {
    generate_with(model, schema, config, project_dir, &Project::default())
}

/// [`generate`], with what the site shows of the project: its lint
/// settings and its migration history.
pub fn generate_with(
    model: &Model,
    schema: &Schema,
    config: &Docs,
    project_dir: &Path,
    project: &Project<'_>,
) -> Result<Vec<Output>, String> {
    let t = labels::for_language(config.language);
    let overrides = config.templates.as_ref().map(|d| project_dir.join(d));
    let p = crate::timing::phase("docs: templates");
    let mut templates = templates::Templates::load(overrides.as_deref(), config.template_steps)?;
    drop(p);
    let cat = {
        let _p = crate::timing::phase("docs: catalog");
        catalog::Catalog::new(model, schema)
    };
    let dir = PathBuf::from(&config.dir);
    let mut out = Vec::new();
    // A document the caller has already ([`Project::unchanged`]) is
    // dropped as soon as it is made: `None`.
    let made = |path: String, doc: Document| match project.unchanged {
        Some(unchanged) if unchanged(&dir.join(&path), &mut Slices::new(&doc.pieces())) => None,
        _ => Some((path, doc.into_text())),
    };
    let mut push = |made: Option<(String, String)>| {
        if let Some((path, text)) = made {
            out.push(Output { path: dir.join(path), bytes: text.into_bytes() });
        }
    };
    // Three pieces of work on two threads: the data dictionary on this
    // one, the diagrams (laid out and drawn) on another, and the model
    // document on whichever is free first; then this one draws the
    // diagrams the other has not begun. Drawn afresh, the diagrams take
    // longer than both documents; remembered from an earlier run
    // (`project.memo`), a fraction of it, and their thread then makes
    // the model document meanwhile. All render with the same templates
    // (compiling them twice was 6.5 % of a check of MiToga's CPU); the site
    // changes them only after all are done.
    // The per-context sections are written in Rust ([`native`]) while the
    // project replaces none of their templates.
    let model_built_in = templates.replaces_none(&[
        TemplateId::DataModelContext,
        TemplateId::ValueObject,
        TemplateId::Fields,
        TemplateId::Enum,
    ]) && (!config.mermaid
        || templates.replaces_none(&[TemplateId::MermaidErd, TemplateId::MermaidEntity]));
    let model_doc = std::sync::Mutex::new(None);
    let model_doc_once = || {
        let mut slot = model_doc.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            let p = crate::timing::phase("docs: model view");
            let mut view = model_doc::view(&cat, t, t.dictionary_file, config.mermaid);
            drop(p);
            let _p = crate::timing::phase("docs: model render");
            let md = sections(
                &view.contexts,
                &templates,
                project.memo,
                TemplateId::DataModelContext,
                |c| model_doc::SectionView { t, dictionary: &view.dictionary, c },
                |view| {
                    if model_built_in {
                        native::checked(&templates, TemplateId::DataModelContext, view, native::model_section(view))
                    } else {
                        templates.render(TemplateId::DataModelContext, view)
                    }
                },
            )
            .and_then(|sections| {
                if !templates.is_overridden(TemplateId::DataModel) {
                    // What the built-in template includes reads the
                    // sections too, and may be the project's.
                    let marks =
                        templates.replaces_none(&[TemplateId::ValueObject, TemplateId::Fields, TemplateId::Enum]);
                    return assemble(
                        view,
                        sections,
                        config.html,
                        marks,
                        |v| &mut v.sections,
                        |v| templates.render(TemplateId::DataModel, &v.contents()),
                    );
                }
                view.sections = sections;
                let md = templates.render(TemplateId::DataModel, &view)?;
                view.sections = Vec::new();
                Ok((config.html.then_some(view), Document::Whole(md)))
            });
            *slot = Some(md.map(|(view, md)| (view, made(t.model_file.into(), md))));
        }
    };
    // The diagrams, the overview (the largest) first, drawn on both
    // threads: each takes the next one neither has begun.
    let jobs: Vec<DiagramJob<'_>> = std::iter::once(None).chain(cat.model.contexts.iter().map(Some)).collect();
    let queue = crate::threads::Queue::new(&jobs);
    // With the site, which draws the overview and each context's diagram
    // again (with links), their layouts are kept for it.
    let layouts = config.html.then(svg::Layouts::default);
    let draw = |job: &DiagramJob<'_>| {
        let texts = draw(&cat, t, &templates, project.memo, layouts.as_ref(), *job)?;
        Ok(diagram_names(*job)
            .into_iter()
            .zip(texts)
            .filter_map(|(path, text)| made(path, Document::Whole(text)))
            .collect())
    };
    let documents = std::thread::scope(|s| {
        let model_doc_once = &model_doc_once;
        let (queue, draw, model_doc) = (&queue, &draw, &model_doc);
        let diagrams = crate::threads::beside(s, move || {
            let p = crate::timing::phase("docs: diagrams");
            queue.work(draw);
            drop(p);
            // Only if this thread is first: the lock is then free.
            if let Ok(slot) = model_doc.try_lock() {
                drop(slot);
                model_doc_once();
            }
        });
        // Without the site, each view is freed once rendered: the two are
        // 35 MB at 2,000 aggregates, and the peak of a check or a build is
        // reached while the documents are made.
        let documents = (|| {
            // The built-in templates in Rust when the project replaces
            // neither ([`native`]).
            let id = TemplateId::DataDictionaryContext;
            let built_in = templates.replaces_none(&[id, TemplateId::Enum]);
            let render = |view: &dictionary::SectionView<'_, '_>| {
                if built_in {
                    native::checked(&templates, id, view, native::dictionary_section(view))
                } else {
                    templates.render(id, view)
                }
            };
            // The built-in template, and what it includes: it reads the
            // sections only to write them.
            let marks = templates.replaces_none(&[TemplateId::DataDictionary, TemplateId::Enum]);
            if !config.html && marks {
                // A check: the document compared with its file a section
                // at a time as each is made, none of them held (12.7 MB
                // of a check's peak at 2,000 aggregates of the multi-
                // tenant model), and made again below only if it differs.
                let by_context = ByContext { cat: &cat, t, templates: &templates, memo: project.memo, render: &render };
                if let Some(unchanged) = project.unchanged.filter(|_| project.compare_first) {
                    let path = dir.join(t.dictionary_file);
                    let _p = crate::timing::phase("docs: dictionary, compared a context at a time");
                    if let Some(seen) = by_context.on_disk(unchanged, &path) {
                        // Debug builds (the tests, the fuzzer): the bytes
                        // compared are the document made the long way.
                        #[cfg(debug_assertions)]
                        assert!(
                            by_context.document()?.pieces().concat() == seen,
                            "the dictionary compared differs from the one made"
                        );
                        let _ = seen;
                        return Ok((None, None));
                    }
                }
                return Ok((None, Some(by_context.document()?)));
            }
            let p = crate::timing::phase("docs: dictionary view");
            let mut dictionary = dictionary::view(&cat, t, t.model_file);
            drop(p);
            let p = crate::timing::phase("docs: dictionary sections");
            dictionary.sections = sections(
                &dictionary.contexts,
                &templates,
                project.memo,
                id,
                |c| dictionary::SectionView { t, model_doc: &dictionary.model_doc, c },
                render,
            )?;
            drop(p);
            let _p = crate::timing::phase("docs: dictionary render");
            if templates.is_overridden(TemplateId::DataDictionary) {
                let md = templates.render(TemplateId::DataDictionary, &dictionary)?;
                dictionary.sections = Vec::new();
                return Ok((config.html.then_some(dictionary), Some(Document::Whole(md))));
            }
            let sections = std::mem::take(&mut dictionary.sections);
            assemble(
                dictionary,
                sections,
                config.html,
                marks,
                |v| &mut v.sections,
                |v| templates.render(TemplateId::DataDictionary, &v.contents()),
            )
            .map(|(view, md)| (view, Some(md)))
        })()
        .map(|(view, md)| (view, md.and_then(|md| made(t.dictionary_file.into(), md))));
        model_doc_once();
        // Then the diagrams the other thread has not begun.
        let p = crate::timing::phase("docs: diagrams, the rest");
        queue.work(draw);
        drop(p);
        diagrams.join();
        documents
    });
    for file in diagram_files(&jobs, queue.results())? {
        push(Some(file));
    }
    let (dictionary, dictionary_md) = documents?;
    let (model_view, model_md) =
        model_doc.into_inner().unwrap_or_else(|e| e.into_inner()).expect("made on one of the threads")?;
    if let (Some(dictionary), Some(model_view)) = (&dictionary, &model_view) {
        let input = site::Input {
            cat: &cat,
            t,
            language: config.language,
            model_doc: model_view,
            dictionary,
            project,
            to_project: to_project(&config.dir),
            layouts: layouts.as_ref(),
        };
        let _p = crate::timing::phase("docs: site");
        for (file, text) in site::files(&input, &mut templates)? {
            push(made(format!("{}/{file}", site::DIR), Document::Whole(text)));
        }
    }
    push(dictionary_md);
    push(model_md);
    Ok(out)
}

/// A section of the data dictionary rendered from its view (by the built-in
/// template in Rust, or the project's).
type RenderSection<'r> = dyn Fn(&dictionary::SectionView<'_, '_>) -> Result<String, String> + 'r;

/// What the data dictionary is made from, when it is made a context's
/// view at a time (the built-in template, which reads the sections only to
/// write them).
struct ByContext<'a, 'c> {
    cat: &'a catalog::Catalog<'c>,
    t: &'a labels::Labels,
    templates: &'a templates::Templates,
    memo: Option<&'a crate::memo::Memo>,
    render: &'a RenderSection<'a>,
}

impl ByContext<'_, '_> {
    /// The document, each context's view made, rendered and dropped in
    /// turn (the whole view was 19 MB of a check's peak at 2,000
    /// aggregates); the table of contents from the catalog's outlines.
    fn document(&self) -> Result<Document, String> {
        let (cat, t, templates) = (self.cat, self.t, self.templates);
        let _p = crate::timing::phase("docs: dictionary, a context at a time");
        let shell = dictionary::shell(cat, t, t.model_file);
        let texts = (0..cat.model.contexts.len())
            .map(|ci| self.section(&shell.model_doc, ci))
            .collect::<Result<Vec<_>, _>>()?;
        #[cfg(debug_assertions)]
        let whole_view = texts.clone();
        let (_, md) = assemble(
            (shell, dictionary::outlines(cat, t)),
            texts,
            false,
            true,
            |v| &mut v.0.sections,
            |(shell, outlines)| templates.render(TemplateId::DataDictionary, &shell.contents_of(outlines)),
        )?;
        // Debug builds (the tests, the fuzzer): the document the whole view
        // gives (its table of contents from the views, not the catalog).
        #[cfg(debug_assertions)]
        {
            let mut view = dictionary::view(cat, t, t.model_file);
            view.sections = whole_view;
            let text = templates.render(TemplateId::DataDictionary, &view.contents())?;
            assert!(md.pieces().concat() == text.as_bytes(), "the outlines' dictionary differs from the view's");
        }
        Ok(md)
    }

    /// Whether `unchanged` finds the [`ByContext::document`] at `path`:
    /// its table of contents rendered first (from the outlines), then each
    /// context's section made as the comparison reaches it and dropped
    /// once compared; none is made after the first piece that differs.
    /// `Some` when it is the same, with the bytes compared in debug builds
    /// (none in others); `None` when it is not, when a section could not
    /// be rendered, or when the template's text does not hold the marks
    /// (the caller then makes the document, and says why).
    fn on_disk(&self, unchanged: &Unchanged<'_>, path: &Path) -> Option<Vec<u8>> {
        let mut shell = dictionary::shell(self.cat, self.t, self.t.model_file);
        let outlines = dictionary::outlines(self.cat, self.t);
        let n = outlines.len();
        shell.sections = section_marks(n);
        let skeleton = self.templates.render(TemplateId::DataDictionary, &shell.contents_of(&outlines)).ok()?;
        if !holds_marks(&skeleton, n) {
            return None;
        }
        drop(outlines);
        let mut pieces = Spliced::new(between_marks(&skeleton, n), |ci| self.section(&shell.model_doc, ci));
        let same = unchanged(path, &mut pieces) && !pieces.failed;
        same.then_some(pieces.seen)
    }

    /// The `ci`th context's section, from its view (made, rendered and
    /// dropped).
    fn section(&self, model_doc: &str, ci: usize) -> Result<String, String> {
        let c = dictionary::context(self.cat, self.t, ci);
        let view = dictionary::SectionView { t: self.t, model_doc, c: &c };
        section(self.templates, self.memo, TemplateId::DataDictionaryContext, &view, self.render)
    }
}

/// A document's [`Pieces`] from the texts between its skeleton's marks
/// ([`between_marks`]) and its sections, each made by `make` (from its
/// index) when the comparison reaches it: the first text, the first
/// section, the second text, ..., the last section, the last text.
struct Spliced<'s, M> {
    between: Vec<&'s str>,
    /// How many pieces were given.
    given: usize,
    make: M,
    /// A section could not be made: the pieces stopped there.
    failed: bool,
    /// Every byte given, in debug builds.
    seen: Vec<u8>,
}

impl<'s, M> Spliced<'s, M> {
    fn new(between: Vec<&'s str>, make: M) -> Spliced<'s, M> {
        Spliced { between, given: 0, make, failed: false, seen: Vec::new() }
    }

    fn saw(&mut self, _piece: &[u8]) {
        #[cfg(debug_assertions)]
        self.seen.extend_from_slice(_piece);
    }
}

impl<M: FnMut(usize) -> Result<String, String>> Pieces for Spliced<'_, M> {
    fn next_piece(&mut self) -> Option<Cow<'_, [u8]>> {
        let i = self.given / 2;
        // A text at even places; a section at odd ones, up to the last text.
        if self.failed || (self.given % 2 == 1 && i + 1 >= self.between.len()) {
            return None;
        }
        self.given += 1;
        if self.given % 2 == 1 {
            let text = *self.between.get(i)?;
            self.saw(text.as_bytes());
            return Some(Cow::Borrowed(text.as_bytes()));
        }
        match (self.make)(i) {
            Ok(text) => {
                self.saw(text.as_bytes());
                Some(Cow::Owned(text.into_bytes()))
            }
            Err(_) => {
                self.failed = true;
                None
            }
        }
    }
}

/// A diagram to draw: a context's, or the overview (`None`).
type DiagramJob<'a> = Option<&'a crate::model::Context>;

/// The PlantUML and SVG of `job`, taken from `memo` when an earlier run
/// drew it from the same view with the same templates.
fn draw(
    cat: &catalog::Catalog<'_>,
    t: &labels::Labels,
    templates: &templates::Templates,
    memo: Option<&crate::memo::Memo>,
    layouts: Option<&svg::Layouts>,
    job: DiagramJob<'_>,
) -> Result<Vec<String>, String> {
    let Some(c) = job else {
        let overview = erd::overview_view(cat, t);
        let title = format!("{} {}", t.erd_title_overview, cat.model.name);
        let key = key_of(memo, templates, "overview diagram", &(&title, &overview));
        return remembered(memo, key, 2, Some(0), || {
            let puml = if templates.replaces_none(&[TemplateId::ErdOverview]) {
                native::checked(templates, TemplateId::ErdOverview, &overview, native::erd_overview(&overview))?
            } else {
                templates.render(TemplateId::ErdOverview, &overview)?
            };
            Ok(vec![puml, svg::render(&diagrams::overview(&overview, title.clone(), &|_| None), layouts)])
        });
    };
    let view = erd::context_view(cat, &c.name, t);
    let title = format!("{} {}", t.erd_title_context, c.name);
    let key = key_of(memo, templates, "context diagram", &(&title, &view));
    remembered(memo, key, 2, Some(0), || {
        let puml = if templates.replaces_none(&[TemplateId::ErdContext, TemplateId::ErdEntity]) {
            native::checked(templates, TemplateId::ErdContext, &view, native::erd_context(&view))?
        } else {
            templates.render(TemplateId::ErdContext, &view)?
        };
        Ok(vec![puml, svg::render(&diagrams::tables(&view, title.clone(), &|_| None), layouts)])
    })
}

/// A document's path (relative to the docs folder) and its text.
type File = (String, String);

/// The files of a diagram ([`draw`]'s texts, in order): its PlantUML and
/// its SVG.
fn diagram_names(job: DiagramJob<'_>) -> [String; 2] {
    match job {
        Some(c) => [erd_file(&c.name), svg_file(Some(&c.name))],
        None => [OVERVIEW_ERD.into(), svg_file(None)],
    }
}

/// The files of the diagrams drawn for `jobs` (each job's files, as
/// [`diagram_names`] names them): each context's, in the model's order,
/// then the overview's.
fn diagram_files(jobs: &[DiagramJob<'_>], drawn: Vec<Option<Result<Vec<File>, String>>>) -> Result<Vec<File>, String> {
    let mut files = Vec::new();
    for (job, drawn) in jobs.iter().zip(drawn) {
        files.push((job.is_none(), drawn.ok_or("a diagram was not drawn")??));
    }
    // The overview last, as the files have always been listed.
    files.sort_by_key(|(overview, _)| *overview);
    Ok(files.into_iter().flat_map(|(_, files)| files).collect())
}

/// Each context's section of a document, rendered by `render` (`template`,
/// or the same in Rust) from the view `section` makes of it, in order;
/// each taken from `memo` when an earlier run rendered it from the same
/// view with the same templates.
fn sections<'a, C, V: Serialize + std::hash::Hash>(
    contexts: &'a [C],
    templates: &templates::Templates,
    memo: Option<&crate::memo::Memo>,
    template: TemplateId,
    make: impl Fn(&'a C) -> V,
    render: impl Fn(&V) -> Result<String, String>,
) -> Result<Vec<String>, String> {
    contexts.iter().map(|c| section(templates, memo, template, &make(c), &render)).collect()
}

/// One section of [`sections`], from its view.
fn section<V: Serialize + std::hash::Hash>(
    templates: &templates::Templates,
    memo: Option<&crate::memo::Memo>,
    template: TemplateId,
    view: &V,
    render: impl Fn(&V) -> Result<String, String>,
) -> Result<String, String> {
    let key = key_of(memo, templates, template.file_name(), view);
    let mut texts = remembered(memo, key, 1, Some(SECTION_REMEMBERED_FROM), || Ok(vec![fitted(render(view)?)]))?;
    Ok(texts.pop().unwrap_or_default())
}

/// The smallest section the memo keeps. A section is rendered in Rust at
/// about 150 MB/s ([`native`]); an entry costs a file to write, once, and
/// to open, check and unpack on every later run. For the small sections
/// of a model of many small contexts the memo was the slower way, and its
/// files the larger part of a first build's system time (MiToga's contexts
/// copied 180 times: 2,700 entries in `.dddc/docs`).
const SECTION_REMEMBERED_FROM: usize = 32 * 1024;

/// A document made: whole, or as the skeleton its template wrote with
/// marks in place of its sections, and the sections ([`assemble`]). The
/// latter is put together ([`splice`]) only when the caller keeps it: a
/// check compares its pieces with the file on disk, and the document, its
/// view and its sections are then never all in memory at once (at 2,000
/// aggregates the dictionary's were 12.6, 15 and 18 MB, all part of a
/// check's peak).
enum Document {
    Whole(String),
    Spliced { skeleton: String, sections: Vec<String> },
}

impl Document {
    /// Its bytes, in order, in pieces.
    fn pieces(&self) -> Vec<&[u8]> {
        match self {
            Document::Whole(text) => vec![text.as_bytes()],
            Document::Spliced { skeleton, sections } => {
                let between = between_marks(skeleton, sections.len());
                let mut pieces = Vec::with_capacity(2 * sections.len() + 1);
                for (text, section) in between.iter().zip(sections) {
                    pieces.extend([text.as_bytes(), section.as_bytes()]);
                }
                pieces.extend(between.last().map(|text| text.as_bytes()));
                pieces
            }
        }
    }

    fn into_text(self) -> String {
        match self {
            Document::Whole(text) => text,
            Document::Spliced { skeleton, sections } => splice(&skeleton, sections),
        }
    }
}

/// A document rendered by `render` from `view`, with its `sections` in
/// the view's `slot`; the view is then freed (unless `keep_view`: the
/// site reads it). With `marks` (the template and all it includes are
/// built in, and read the sections only to write them one after the
/// other), it is rendered with marks in their place ([`Document`]); a
/// text that does not hold them once each, in order, is rendered again
/// the long way.
fn assemble<V>(
    mut view: V,
    sections: Vec<String>,
    keep_view: bool,
    marks: bool,
    slot: fn(&mut V) -> &mut Vec<String>,
    render: impl Fn(&V) -> Result<String, String>,
) -> Result<(Option<V>, Document), String> {
    let skeleton = if marks {
        *slot(&mut view) = section_marks(sections.len());
        Some(render(&view)?).filter(|text| holds_marks(text, sections.len()))
    } else {
        None
    };
    let Some(skeleton) = skeleton else {
        *slot(&mut view) = sections;
        let text = render(&view)?;
        *slot(&mut view) = Vec::new();
        return Ok((keep_view.then_some(view), Document::Whole(text)));
    };
    // Debug builds (the tests, the fuzzer): the same bytes as the
    // sections themselves give.
    #[cfg(debug_assertions)]
    {
        *slot(&mut view) = sections.clone();
        let text = render(&view)?;
        assert!(splice(&skeleton, sections.clone()) == text, "a document put together from marks differs");
    }
    *slot(&mut view) = Vec::new();
    let view = keep_view.then_some(view);
    Ok((view, Document::Spliced { skeleton, sections }))
}

/// What a document's template is first rendered with in place of its
/// `n` sections ([`splice`]).
fn section_marks(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("\0{i}\0")).collect()
}

/// Whether `skeleton` holds each of [`section_marks`]`(n)` once, in order,
/// and no other NUL (which neither a model nor a built-in template can
/// write: a project's partial could).
fn holds_marks(skeleton: &str, n: usize) -> bool {
    let mut rest = skeleton;
    for mark in section_marks(n) {
        match rest.find(&mark) {
            Some(at) if !rest[..at].contains('\0') => rest = &rest[at + mark.len()..],
            _ => return false,
        }
    }
    !rest.contains('\0')
}

/// The document: `skeleton` (which [`holds_marks`]) with each mark
/// replaced by its section, written into one buffer of the final size,
/// each section freed once copied.
fn splice(skeleton: &str, sections: Vec<String>) -> String {
    let between = between_marks(skeleton, sections.len());
    let size = between.iter().map(|t| t.len()).sum::<usize>() + sections.iter().map(String::len).sum::<usize>();
    let mut out = String::with_capacity(size);
    for (text, section) in between.iter().zip(sections) {
        out.push_str(text);
        out.push_str(&section);
    }
    out.push_str(between.last().copied().unwrap_or_default());
    out
}

/// The `n + 1` texts of `skeleton` (which [`holds_marks`]) before, between
/// and after its `n` marks, in order.
fn between_marks(skeleton: &str, n: usize) -> Vec<&str> {
    let mut texts = Vec::with_capacity(n + 1);
    let mut rest = skeleton;
    for mark in section_marks(n) {
        let (before, after) = rest.split_once(mark.as_str()).unwrap_or((rest, ""));
        texts.push(before);
        rest = after;
    }
    texts.push(rest);
    texts
}

/// `text` in a buffer of its size when its own has more than an eighth
/// to spare: sections are held until their document is put together, and
/// a `String` grown by pushes has up to twice the room it needs.
fn fitted(text: String) -> String {
    if text.capacity() - text.len() > text.len() / 8 {
        text.as_str().to_owned()
    } else {
        text
    }
}

/// What a piece of a document is made from: this dddc (in every memo
/// key), the templates, what the piece is, and its view. `None` without a
/// memo.
fn key_of<V: std::hash::Hash>(
    memo: Option<&crate::memo::Memo>,
    templates: &templates::Templates,
    what: &str,
    view: &V,
) -> Option<crate::memo::Hash> {
    memo.map(|m| m.hasher().update(&templates.fingerprint).update(what.as_bytes()).hashed(view).finish())
}

/// The texts `make` gives, taken from `memo` under `key` when an earlier
/// run made them (and remembered for the next run when not, if they come
/// to `keep_from` bytes or more; `None`: never). An entry of another
/// number of texts than `make` gives is a miss.
fn remembered(
    memo: Option<&crate::memo::Memo>,
    key: Option<crate::memo::Hash>,
    parts: usize,
    keep_from: Option<usize>,
    make: impl FnOnce() -> Result<Vec<String>, String>,
) -> Result<Vec<String>, String> {
    let (Some(memo), Some(key)) = (memo, key) else { return make() };
    Ok(match memo.get(&key).filter(|texts| texts.len() == parts) {
        Some(texts) => texts,
        None => {
            let texts = make()?;
            if keep_from.is_some_and(|least| texts.iter().map(String::len).sum::<usize>() >= least) {
                memo.put(key, &texts.iter().map(String::as_str).collect::<Vec<_>>());
            }
            texts
        }
    })
}

/// The folder of the documents' memo in `.dddc/` ([`crate::memo`]): the
/// diagrams drawn, the documents' sections rendered (those of
/// [`SECTION_REMEMBERED_FROM`] bytes or more) and the site's context and
/// aggregate pages.
pub const MEMO_FOLDER: &str = "docs";

/// The overview diagram, relative to the docs folder.
const OVERVIEW_ERD: &str = "erd/overview.puml";

/// `erd/<context>.puml`, relative to the docs folder. A context named
/// `overview` gets `erd/overview-context.puml`, so that it cannot replace
/// the overview.
fn erd_file(context: &str) -> String {
    if context == "overview" {
        "erd/overview-context.puml".into()
    } else {
        format!("erd/{context}.puml")
    }
}

/// The picture next to [`erd_file`] (`None`: the overview's).
fn svg_file(context: Option<&str>) -> String {
    match context {
        Some("overview") => "erd/overview-context.svg".into(),
        Some(c) => format!("erd/{c}.svg"),
        None => "erd/overview.svg".into(),
    }
}

/// `../../` from `<docs>/site/` back to the project folder, when the docs
/// folder is a plain relative path (`docs`, `doc/db`).
fn to_project(docs_dir: &str) -> Option<String> {
    let mut up = String::from("../");
    for c in Path::new(docs_dir).components() {
        match c {
            Component::Normal(_) => up.push_str("../"),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(up)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A remembered entry is used only when it holds as many texts as
    /// the work makes; otherwise the work is done again and remembered.
    #[test]
    fn an_entry_of_another_shape_is_made_again() {
        let dir = tempfile::tempdir().unwrap();
        let first = crate::memo::Memo::open(dir.path(), MEMO_FOLDER).unwrap();
        let key = first.hasher().update(b"a piece").finish();
        first.put(key, &["one text"]);
        first.save();
        let memo = crate::memo::Memo::open(dir.path(), MEMO_FOLDER).unwrap();
        let made = remembered(Some(&memo), Some(key), 2, Some(0), || Ok(vec!["puml".into(), "svg".into()])).unwrap();
        assert_eq!(made, ["puml", "svg"]);
        memo.save();
        let memo = crate::memo::Memo::open(dir.path(), MEMO_FOLDER).unwrap();
        let again = remembered(Some(&memo), Some(key), 2, Some(0), || Err("not made again".into())).unwrap();
        assert_eq!(again, ["puml", "svg"]);
        let one = remembered(Some(&memo), Some(key), 1, Some(0), || Ok(vec!["made".into()])).unwrap();
        assert_eq!(one, ["made"]);
    }

    /// A document put together from marks is the one its template writes
    /// with the sections themselves; a template whose text holds a NUL or
    /// repeats, drops or reorders the sections is rendered the long way.
    #[test]
    fn a_document_spliced_is_the_document_rendered() {
        struct View {
            sections: Vec<String>,
        }
        type Template = fn(&[String]) -> String;
        let templates: [(Template, bool); 7] = [
            (|s| format!("# head\n{}\n## tail\n", s.concat()), true),
            (|s| s.concat(), true),
            (|_| "no sections".into(), false),
            (|s| format!("{}{}", s.concat(), s.concat()), false),
            (|s| s.iter().rev().cloned().collect(), false),
            (|s| format!("a NUL\0 {}", s.concat()), false),
            (|s| format!("{}\0", s.concat()), false),
        ];
        let section_lists: [Vec<String>; 4] = [
            vec![],
            vec!["one".into()],
            (0..12).map(|i| format!("## section {i}\n\ntext {i}\n")).collect(),
            vec!["".into(), "é ✓".into(), "".into()],
        ];
        for (template, splices) in templates {
            for sections in &section_lists {
                let expected = template(sections);
                let rendered = std::cell::Cell::new(0);
                let render = |v: &View| {
                    rendered.set(rendered.get() + 1);
                    Ok(template(&v.sections))
                };
                for keep in [false, true] {
                    rendered.set(0);
                    let view = View { sections: Vec::new() };
                    let (view, doc) =
                        assemble(view, sections.clone(), keep, true, |v| &mut v.sections, render).unwrap();
                    if splices {
                        assert!(matches!(doc, Document::Spliced { .. }), "{expected:?} was not put together");
                    }
                    assert_eq!(doc.pieces().concat(), expected.as_bytes(), "{sections:?}");
                    assert_eq!(doc.into_text(), expected, "{sections:?}");
                    assert_eq!(view.is_some(), keep);
                    assert!(view.is_none_or(|v| v.sections.is_empty()));
                    // Spliced (one render, and one more that debug
                    // builds compare it with) when the template writes the
                    // sections once, in order; at worst rendered twice.
                    let renders = rendered.get();
                    let spliced = 1 + usize::from(cfg!(debug_assertions));
                    assert!(renders == spliced || (renders == 2 && !splices), "{renders} renders of {expected:?}");
                    // Without marks: rendered once, whole.
                    rendered.set(0);
                    let view = View { sections: Vec::new() };
                    let (_, doc) = assemble(view, sections.clone(), keep, false, |v| &mut v.sections, render).unwrap();
                    assert!(matches!(&doc, Document::Whole(text) if *text == expected));
                    assert_eq!(rendered.get(), 1);
                }
            }
        }
        assert_eq!(splice("a\u{0}0\u{0}b\u{0}1\u{0}c", vec!["X".into(), "Y".into()]), "aXbYc");
        assert!(!holds_marks("\u{0}1\u{0}\u{0}0\u{0}", 2));
        assert!(!holds_marks("\u{0}0\u{0}", 2));
        assert!(holds_marks("", 0));
    }

    /// The pieces made as they are asked for are the document's pieces,
    /// in order, and stop at a section that cannot be made.
    #[test]
    fn pieces_made_as_asked_are_the_documents() {
        let all = |between: Vec<&str>, sections: &[&str]| {
            let made: Vec<String> = sections.iter().map(|s| s.to_string()).collect();
            let mut asked = Vec::new();
            let mut pieces = Spliced::new(between, |i: usize| {
                asked.push(i);
                Ok(made[i].clone())
            });
            let mut given = Vec::new();
            while let Some(piece) = pieces.next_piece() {
                given.push(String::from_utf8(piece.into_owned()).unwrap());
            }
            assert!(pieces.next_piece().is_none(), "nothing after the last text");
            drop(pieces);
            (given, asked)
        };
        for sections in [&[][..], &["A"], &["A", "", "C"]] {
            let skeleton: String = section_marks(sections.len()).iter().map(|m| format!("<{m}>")).collect();
            let doc = Document::Spliced {
                skeleton: skeleton.clone(),
                sections: sections.iter().map(|s| s.to_string()).collect(),
            };
            let expected: Vec<String> = doc.pieces().iter().map(|p| String::from_utf8(p.to_vec()).unwrap()).collect();
            let (given, asked) = all(between_marks(&skeleton, sections.len()), sections);
            assert_eq!(given, expected);
            assert_eq!(asked, (0..sections.len()).collect::<Vec<_>>());
            assert_eq!(given.concat(), doc.into_text());
        }
        // A section that cannot be made ends the pieces there.
        let mut pieces =
            Spliced::new(vec!["a", "b", "c"], |i: usize| if i == 0 { Ok("0".into()) } else { Err("no".into()) });
        let given: Vec<Vec<u8>> = std::iter::from_fn(|| pieces.next_piece().map(Cow::into_owned)).collect();
        assert_eq!(given, [b"a".to_vec(), b"0".to_vec(), b"b".to_vec()]);
        assert!(pieces.failed && pieces.next_piece().is_none());
    }
}
