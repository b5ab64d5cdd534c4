//! The HTML site, `<docs>/site/` when `[docs] html = true`: pages an
//! auditor can browse offline, opened straight from the disk.
//!
//! - `index.html` — the model: its contexts, the overview diagram, the
//!   context map, roles, publications, the shared kernel, the functions.
//! - `context-<name>.html` — a bounded context: its diagram, aggregates,
//!   enums, value objects, and the tables outside any aggregate.
//! - `aggregate-<context>-<name>.html` — an aggregate: the diagram of its
//!   tables and their neighbours, fields, entities, invariants, references,
//!   domain events, and every table in full (columns, constraints, indexes,
//!   foreign keys both ways, triggers, policies).
//! - `lint.html` — the design review; `migrations.html` — the migration
//!   history, when the build passes it (see [`super::Project`]).
//! - `site.css`, `site.js`, `search.js` — the look, the search box and
//!   diagram zoom, the search index.
//!
//! Every page declares a content security policy that allows nothing but
//! the site's own stylesheet and scripts: no inline script or style, no
//! request to another origin. Names are escaped by the templates, doc
//! comments sanitised ([`super::markdown`]), diagrams escaped by
//! [`super::svg`]: a model cannot put markup or script into a page.

mod lint;
mod native;
mod search;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::catalog::Catalog;
use super::dictionary::{DictionaryView, FunctionView, TableView};
use super::labels::Labels;
use super::model_doc::{AggregateView, ContextView, ModelDocView};
use super::templates::{Asset, TemplateId, Templates, Urls};
use super::text::html_id;
use super::{diagrams, erd, svg, MigrationRecord, Project};
use crate::config::{Language, Lint};

/// The site's folder, inside the docs folder.
pub const DIR: &str = "site";

/// What the site is made from.
pub struct Input<'a> {
    pub cat: &'a Catalog<'a>,
    pub t: &'static Labels,
    pub language: Language,
    pub model_doc: &'a ModelDocView<'static>,
    pub dictionary: &'a DictionaryView<'static>,
    pub project: &'a Project<'a>,
    /// From the site's folder to the project's (`../../`), for links to
    /// the migration files; `None` when the docs folder is not a plain
    /// relative path.
    pub to_project: Option<String>,
    /// The layouts of the diagrams the documents drew: the overview's and
    /// each context's are drawn again here, with links.
    pub layouts: Option<&'a svg::Layouts>,
}

/// A link: its text and where it goes.
#[derive(Debug, Clone, Hash, Serialize)]
pub struct Link {
    pub text: String,
    pub href: String,
}

/// Every file of the site: (file name in the site's folder, contents).
pub fn files(input: &Input<'_>, templates: &mut Templates) -> Result<Vec<(String, String)>, String> {
    let model = input.cat.model;
    let t = input.t;
    let mut names = FileNames::default();
    for reserved in ["index", "lint", "migrations"] {
        names.file(reserved);
    }
    let context_files: Vec<String> =
        model.contexts.iter().map(|c| names.file(&format!("context-{}", c.name))).collect();
    let aggregate_files: BTreeMap<String, String> = model
        .aggregates
        .iter()
        .map(|a| {
            let ctx = &model.contexts[a.context.0].name;
            (format!("{ctx}.{}", a.name), names.file(&format!("aggregate-{ctx}-{}", a.name)))
        })
        .collect();
    let urls = urls(input, &context_files, &aggregate_files);
    let url = |kind: &str, name: &str| urls.get(kind).and_then(|m| m.get(name)).cloned();
    templates.set_urls(urls.clone());

    let nav: Vec<NavContext> = input
        .model_doc
        .contexts
        .iter()
        .zip(&context_files)
        .map(|(c, file)| NavContext {
            name: c.name.clone(),
            href: file.clone(),
            aggregates: c
                .aggregates
                .iter()
                .filter_map(|a| Some(Link { text: a.name.clone(), href: url("aggregate", &a.heading.name)? }))
                .collect(),
        })
        .collect();
    let nav_aggregates: usize = nav.iter().map(|c| c.aggregates.len()).sum();
    // `context`: the page's context (its position in `nav`), whose
    // aggregates the navigation lists.
    let frame = |title: String, here: &str, context: Option<usize>| Frame {
        t,
        model: &model.name,
        title,
        nav: nav_of(&nav, nav_aggregates, context),
        here: here.to_string(),
        migrations: input.project.migrations.is_some(),
    };
    let default_lint = Lint::default();
    // The design review, made by the first page that shows it (the index,
    // the first of the queue below) while the other thread begins the
    // rest: it was 0.4-0.5 ms of a 14 ms check of MiToga before any page.
    let review = std::sync::OnceLock::new();
    let review = || {
        review.get_or_init(|| {
            let report = crate::lint::lint(model, input.cat.schema, input.project.lint.unwrap_or(&default_lint));
            let view = lint::view(model, &report, t, input.language, &url);
            (LintSummary { score: report.score, errors: report.errors(), warnings: report.warnings() }, view)
        })
    };
    let incoming = referenced_by(input.dictionary);
    let table_href = |name: &str| url("table", name);
    let templates: &Templates = templates;

    // The model's page: the overview diagram, the largest, drawn first.
    let index_page = || -> Result<String, String> {
        let overview = erd::overview_view(input.cat, t);
        let node_href = |name: &str| url("aggregate", name).or_else(|| url("table", name));
        let title = format!("{} {}", t.erd_title_overview, model.name);
        let diagram = svg::render_inline(&diagrams::overview(&overview, title, &node_href), "overview", input.layouts);
        let page = IndexPage {
            frame: frame(format!("{}: {}", t.model_doc_title, model.name), "index.html", None),
            model_doc: input.model_doc,
            functions: &input.dictionary.functions,
            diagram,
            picture: format!("../{}", super::svg_file(None)),
            source: format!("../{}", super::OVERVIEW_ERD),
            lint: &review().0,
            migration_count: input.project.migrations.map_or(0, <[MigrationRecord]>::len),
            last_migration: input.project.migrations.and_then(|m| m.last()),
        };
        page_text(templates, TemplateId::SiteIndex, WITH_MACROS, &page, || native::index_page(&page, &urls, templates))
    };

    // The contexts' and the aggregates' pages (each with a diagram laid out
    // for it: most of the site's time), on two threads, in this order.
    enum Page<'v> {
        /// The context's position, the context, its file.
        Context(usize, &'v ContextView<'static>, &'v String, &'v super::dictionary::ContextView),
        /// The context's position and name, the aggregate, its file, the
        /// context's dictionary and where the aggregate's tables are in it.
        Aggregate(usize, &'v str, &'v AggregateView, &'v String, &'v super::dictionary::ContextView, Vec<usize>),
    }
    let mut pages: Vec<Page<'_>> = Vec::new();
    let contexts = || input.model_doc.contexts.iter().zip(&context_files).zip(&input.dictionary.contexts).enumerate();
    for (i, ((c, file), dict)) in contexts() {
        pages.push(Page::Context(i, c, file, dict));
    }
    for (i, ((c, _), dict)) in contexts() {
        // The context's tables by aggregate, found once (a filter of every
        // table of the context per aggregate page grew with the square of
        // a context of thousands of aggregates).
        let mut tables_of: HashMap<&str, Vec<usize>> = HashMap::new();
        for (k, tb) in dict.tables.iter().enumerate() {
            if let Some(h) = &tb.aggregate {
                tables_of.entry(h.name.as_str()).or_default().push(k);
            }
        }
        for a in &c.aggregates {
            if let Some(file) = aggregate_files.get(&a.heading.name) {
                let tables = tables_of.get(a.heading.name.as_str()).cloned().unwrap_or_default();
                pages.push(Page::Aggregate(i, &c.name, a, file, dict, tables));
            }
        }
    }
    // A page is taken from the memo when an earlier run made it from the
    // same view, frame and tables, with the same templates and the same
    // links (every link a page or its diagram may name is in `urls`,
    // hashed once here): its diagram's layout and its template are most of
    // the site's time, and an edit changes few pages.
    //
    // A check reads the pages a build remembered, and remembers none it
    // had to make: on a clean checkout (CI) that was a file per page
    // written for nothing (MiToga's contexts copied 180 times: 2,880
    // files, a check 2.0-2.4 -> 3.2-3.7 s).
    let memo = input.project.memo;
    let urls_key = memo.map(|m| m.hasher().hashed(&urls).finish());
    let keep_from = if input.project.compare_first { None } else { Some(0) };
    let page = |p: &Page<'_>| -> Result<(String, String), String> {
        match *p {
            Page::Context(i, c, file, dict) => {
                let view = erd::context_view(input.cat, &c.name, t);
                let title = format!("{} {}", t.erd_title_context, c.name);
                let frame = frame(format!("{} {}", t.context, c.name), file, Some(i));
                let tables: Vec<Link> = dict
                    .tables
                    .iter()
                    .filter_map(|tb| Some(Link { text: tb.name.clone(), href: url("table", &tb.name)? }))
                    .collect();
                let outside: Vec<SiteTable<'_>> = dict
                    .tables
                    .iter()
                    .filter(|tb| tb.aggregate.is_none())
                    .map(|tb| site_table(tb, &incoming))
                    .collect();
                let key = super::key_of(
                    memo,
                    templates,
                    "site context page",
                    &(urls_key, &view, &title, &frame, c, &tables, &outside),
                );
                let mut texts = super::remembered(memo, key, 1, keep_from, || {
                    let diagram =
                        svg::render_inline(&diagrams::tables(&view, title, &table_href), "context", input.layouts);
                    let page = ContextPage {
                        frame,
                        c,
                        diagram,
                        picture: format!("../{}", super::svg_file(Some(&c.name))),
                        source: format!("../{}", super::erd_file(&c.name)),
                        tables,
                        outside,
                    };
                    let native = || native::context_page(&page, &urls, templates);
                    Ok(vec![page_text(templates, TemplateId::SiteContext, WITH_MACROS, &page, native)?])
                })?;
                Ok((file.clone(), texts.pop().unwrap_or_default()))
            }
            Page::Aggregate(i, context, a, file, dict, ref tables) => {
                let path = &a.heading.name;
                let view = erd::aggregate_view(input.cat, path, t);
                let title = format!("{} {path}", t.aggregate);
                let frame = frame(format!("{} {path}", t.aggregate), file, Some(i));
                let tables: Vec<SiteTable<'_>> =
                    tables.iter().map(|&k| site_table(&dict.tables[k], &incoming)).collect();
                let key = super::key_of(
                    memo,
                    templates,
                    "site aggregate page",
                    &(urls_key, &view, &title, &frame, context, a, &tables),
                );
                let mut texts = super::remembered(memo, key, 1, keep_from, || {
                    let diagram = svg::render_inline(&diagrams::tables(&view, title, &table_href), "aggregate", None);
                    let page = AggregatePage { frame, context, a, diagram, tables };
                    let native = || native::aggregate_page(&page, &urls, templates);
                    Ok(vec![page_text(templates, TemplateId::SiteAggregate, WITH_MACROS, &page, native)?])
                })?;
                Ok((file.clone(), texts.pop().unwrap_or_default()))
            }
        }
    };

    // The design review and the history.
    let lint_page = || {
        let page = LintPage { frame: frame(t.site_lint.to_string(), "lint.html", None), l: &review().1 };
        page_text(templates, TemplateId::SiteLint, FRAME, &page, || Some(native::lint_page(&page, &urls, templates)))
    };
    let migrations_page = |migrations: &[MigrationRecord]| {
        let link = |file: &str| input.to_project.as_ref().map(|up| format!("{up}{file}"));
        let rows = migrations
            .iter()
            .map(|m| MigrationRow {
                version: m.version.clone(),
                description: m.description.clone(),
                file: file_name(&m.file),
                href: link(&m.file),
                undo: m.undo.as_deref().map(file_name),
                undo_href: m.undo.as_deref().and_then(link),
                sha256: m.sha256.clone(),
                online: m.online,
            })
            .collect();
        let page = MigrationsPage { frame: frame(t.site_migrations.to_string(), "migrations.html", None), rows };
        let native = || Some(native::migrations_page(&page, &urls, templates));
        page_text(templates, TemplateId::SiteMigrations, FRAME, &page, native)
    };

    // Every page on two threads, each taking the next one neither has
    // begun (the index, with the largest diagram, first): the pages of a
    // model differ in size by ten times and more, and halves made one
    // thread wait for the other (a check of MiToga drew the index alone
    // before the pages).
    enum Job<'v> {
        Index,
        Page(Page<'v>),
        Lint,
        Migrations(&'v [MigrationRecord]),
        Search,
    }
    let jobs: Vec<Job<'_>> = std::iter::once(Job::Index)
        .chain(pages.into_iter().map(Job::Page))
        .chain([Job::Lint])
        .chain(input.project.migrations.map(Job::Migrations))
        .chain([Job::Search])
        .collect();
    let made = crate::threads::map_queued(&jobs, |job| match job {
        Job::Index => Ok(("index.html".to_string(), index_page()?)),
        Job::Page(p) => page(p),
        Job::Lint => Ok(("lint.html".to_string(), lint_page()?)),
        Job::Migrations(m) => Ok(("migrations.html".to_string(), migrations_page(m)?)),
        Job::Search => Ok(("search.js".to_string(), search::script(input.model_doc, input.dictionary, t, &url))),
    });
    let mut out = made.into_iter().collect::<Result<Vec<_>, String>>()?;
    // `search.js` after the assets, as it always was.
    let search = out.pop();
    out.push(("site.css".to_string(), format!("{}\n{}", templates.asset(Asset::SiteCss), svg::stylesheet())));
    out.push(("site.js".to_string(), templates.asset(Asset::SiteJs).to_string()));
    out.extend(search);
    Ok(out)
}

/// The templates every page is rendered in: the layout.
const FRAME: &[TemplateId] = &[TemplateId::SiteLayout];
/// Those of the pages that call the macros too.
const WITH_MACROS: &[TemplateId] = &[TemplateId::SiteLayout, TemplateId::SiteMacros];

/// Page `id`, written in Rust by `native` ([`native`]) while the project
/// replaces neither `id` nor the templates it `uses` (debug builds compare
/// it with the template's); rendered from the templates otherwise, or when
/// `native` leaves it to them (`None`: the template's error is the one to
/// give).
fn page_text<V: Serialize>(
    templates: &Templates,
    id: TemplateId,
    uses: &[TemplateId],
    page: &V,
    native: impl FnOnce() -> Option<String>,
) -> Result<String, String> {
    if templates.replaces_none(uses) && !templates.is_overridden(id) {
        if let Some(text) = native() {
            return super::native::checked(templates, id, page, text);
        }
    }
    templates.render(id, page)
}

/// File names, each used once: lower-case (a case-insensitive disk must not
/// merge two pages), `-2`, `-3`… after a name already taken.
#[derive(Default)]
struct FileNames {
    used: BTreeSet<String>,
}

impl FileNames {
    fn file(&mut self, base: &str) -> String {
        let base: String = base
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c.to_ascii_lowercase() } else { '_' })
            .collect();
        let mut name = base.clone();
        let mut n = 2;
        while !self.used.insert(name.clone()) {
            name = format!("{base}-{n}");
            n += 1;
        }
        format!("{name}.html")
    }
}

/// Where everything is: contexts and aggregates are pages; tables are
/// sections of their aggregate's page (or their context's, outside any);
/// enums and value objects sections of their context's page (or the
/// index, for the shared kernel).
fn urls(input: &Input<'_>, context_files: &[String], aggregate_files: &BTreeMap<String, String>) -> Urls {
    let model = input.cat.model;
    let mut urls = Urls::new();
    let mut add = |kind: &'static str, name: String, url: String| {
        urls.entry(kind).or_default().insert(name, url);
    };
    for (page, file) in [("index", "index.html"), ("lint", "lint.html")] {
        add("page", page.to_string(), file.to_string());
    }
    if input.project.migrations.is_some() {
        add("page", "migrations".to_string(), "migrations.html".to_string());
    }
    // Each context's position by name, found once (a search per table
    // and per enum grew with the square of a model of many contexts).
    let mut context_at: HashMap<&str, usize> = HashMap::new();
    for (i, c) in model.contexts.iter().enumerate() {
        context_at.entry(c.name.as_str()).or_insert(i);
    }
    let context_file = |name: &str| context_at.get(name).map(|&i| context_files[i].clone());
    for (c, file) in model.contexts.iter().zip(context_files) {
        add("context", c.name.clone(), file.clone());
    }
    for (path, file) in aggregate_files {
        add("aggregate", path.clone(), file.clone());
    }
    for c in &input.dictionary.contexts {
        for tb in &c.tables {
            let page = match &tb.aggregate {
                Some(a) => aggregate_files.get(&a.name).cloned(),
                None => context_file(&c.name),
            };
            if let Some(page) = page {
                add("table", tb.name.clone(), format!("{page}#t-{}", html_id(&tb.name)));
            }
        }
    }
    let mut types = |kind: &'static str, prefix: &str, name: &str| {
        let page = match name.split_once('.') {
            Some((ctx, _)) => context_file(ctx),
            None => Some("index.html".to_string()),
        };
        if let Some(page) = page {
            add(kind, name.to_string(), format!("{page}#{prefix}-{}", html_id(name)));
        }
    };
    let doc = input.model_doc;
    for e in doc.kernel_enums.iter().chain(doc.contexts.iter().flat_map(|c| c.enums.iter())) {
        types("enum", "enum", &e.name);
    }
    for v in doc.kernel_values.iter().chain(doc.contexts.iter().flat_map(|c| c.values.iter())) {
        types("value", "vo", &v.name);
    }
    urls
}

/// For each table, the tables that reference it (foreign keys and `loose`
/// references), in schema order.
fn referenced_by(dictionary: &DictionaryView<'_>) -> BTreeMap<String, Vec<Incoming>> {
    let mut out: BTreeMap<String, Vec<Incoming>> = BTreeMap::new();
    for tb in dictionary.contexts.iter().flat_map(|c| c.tables.iter()) {
        for fk in &tb.foreign_keys {
            out.entry(fk.target_heading.name.clone()).or_default().push(Incoming {
                table: tb.name.clone(),
                columns: fk.columns.clone(),
                loose: false,
            });
        }
        for l in &tb.loose_references {
            out.entry(l.target.clone()).or_default().push(Incoming {
                table: tb.name.clone(),
                columns: l.columns.join(", "),
                loose: true,
            });
        }
    }
    out
}

fn site_table<'a>(tb: &'a TableView, incoming: &BTreeMap<String, Vec<Incoming>>) -> SiteTable<'a> {
    SiteTable {
        anchor: format!("t-{}", html_id(&tb.name)),
        referenced_by: incoming.get(&tb.name).cloned().unwrap_or_default(),
        tb,
    }
}

/// `V1__init.sql` of `db/migration/V1__init.sql`.
fn file_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

// ------------------------------------------------------------ the views --

/// What every page shows around its content.
#[derive(Hash, Serialize)]
struct Frame<'a> {
    #[serde(serialize_with = "super::labels::serialize")]
    t: &'static Labels,
    model: &'a str,
    title: String,
    nav: Vec<NavEntry<'a>>,
    /// This page's file, to mark it in the navigation.
    here: String,
    /// Whether there is a history page to link to.
    migrations: bool,
}

#[derive(Serialize)]
struct NavContext {
    name: String,
    href: String,
    aggregates: Vec<Link>,
}

/// A context in a page's navigation, with its aggregates when the page is
/// the context's or one of its aggregates'.
#[derive(Hash, Serialize)]
struct NavEntry<'a> {
    name: &'a str,
    href: &'a str,
    aggregates: &'a [Link],
}

/// A page's navigation lists every context up to this many (past it, only
/// the page's own: the home page lists them all), and every aggregate of
/// the model up to as many (past it, those of the page's context, if that
/// context has no more).
const NAV_ENTRIES: usize = 100;
const NAV_AGGREGATES: usize = 200;

/// The navigation of a page of the context at `context` in `nav` (of
/// `aggregates` in all). A small model's pages list everything; a large
/// one's are bounded, and made without a look at the other contexts: every
/// aggregate on every page made the site grow with the square of the model
/// (319 MB at 2,000 aggregates, 127 KB of each page).
fn nav_of(nav: &[NavContext], aggregates: usize, context: Option<usize>) -> Vec<NavEntry<'_>> {
    let entry = |i: usize| {
        let c = &nav[i];
        let own = context == Some(i);
        let listed = aggregates <= NAV_AGGREGATES || (own && c.aggregates.len() <= NAV_AGGREGATES);
        NavEntry { name: &c.name, href: &c.href, aggregates: if listed { &c.aggregates } else { &[] } }
    };
    if nav.len() <= NAV_ENTRIES {
        (0..nav.len()).map(entry).collect()
    } else {
        context.into_iter().map(entry).collect()
    }
}

#[derive(Serialize)]
struct IndexPage<'a> {
    #[serde(flatten)]
    frame: Frame<'a>,
    model_doc: &'a ModelDocView<'static>,
    functions: &'a [FunctionView],
    /// The overview, inline SVG.
    diagram: String,
    /// The same picture as a file, and its PlantUML source.
    picture: String,
    source: String,
    lint: &'a LintSummary,
    /// How many migrations there are (named apart from the frame's
    /// `migrations`, whether there is a history page: the two were one
    /// key, and the index's navigation read the count).
    migration_count: usize,
    last_migration: Option<&'a MigrationRecord>,
}

#[derive(Serialize)]
struct LintSummary {
    score: u32,
    errors: usize,
    warnings: usize,
}

#[derive(Serialize)]
struct ContextPage<'a> {
    #[serde(flatten)]
    frame: Frame<'a>,
    c: &'a ContextView<'static>,
    diagram: String,
    picture: String,
    source: String,
    /// Every table of the context, linked.
    tables: Vec<Link>,
    /// Tables outside any aggregate (the audit log), in full.
    outside: Vec<SiteTable<'a>>,
}

#[derive(Serialize)]
struct AggregatePage<'a> {
    #[serde(flatten)]
    frame: Frame<'a>,
    context: &'a str,
    a: &'a AggregateView,
    diagram: String,
    tables: Vec<SiteTable<'a>>,
}

/// A table of the dictionary, with its anchor and what references it.
#[derive(Hash, Serialize)]
struct SiteTable<'a> {
    tb: &'a TableView,
    anchor: String,
    referenced_by: Vec<Incoming>,
}

#[derive(Clone, Hash, Serialize)]
struct Incoming {
    table: String,
    columns: String,
    /// A `loose` reference: no foreign key.
    loose: bool,
}

#[derive(Serialize)]
struct LintPage<'a> {
    #[serde(flatten)]
    frame: Frame<'a>,
    l: &'a lint::LintView,
}

#[derive(Serialize)]
struct MigrationsPage<'a> {
    #[serde(flatten)]
    frame: Frame<'a>,
    rows: Vec<MigrationRow>,
}

#[derive(Serialize)]
struct MigrationRow {
    version: String,
    description: String,
    file: String,
    href: Option<String>,
    undo: Option<String>,
    undo_href: Option<String>,
    sha256: String,
    online: bool,
}
