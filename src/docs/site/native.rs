//! The site's pages written in Rust, byte for byte what the built-in
//! templates (`site_layout` and `site_macros` around `site_index`,
//! `site_context`, `site_aggregate`, `site_lint` and `site_migrations`)
//! make of the same view, while the project replaces none of a page's
//! ([`super::super::native`] does the same for the Markdown documents).
//! Rendering them through minijinja was most of the site's time: 0.2-0.9
//! ms a page on MiToga, a third of a check of it in full, every view
//! serialised into values and every field found by a scan of its
//! struct's keys. Debug builds (the tests, the fuzzer) render every page
//! through the templates too and stop at the first difference
//! ([`super::super::native::checked`]).
//!
//! Each function follows its template line by line; the templates are
//! read with `trim_blocks` (the newline right after a `{% … %}` tag is
//! not output) and auto-escaping ([`esc`]). A page whose template would
//! fail (a link to a page that does not exist, a partition without a
//! bound) is left to the template, which reports it: `None`.

use super::super::dictionary::{AllowView, EnumView};
use super::super::labels::Labels;
use super::super::model_doc::{FieldView, InvariantView, ValueView};
use super::super::templates::{Templates, Urls};
use super::super::text::html_id;
use super::{AggregatePage, ContextPage, Frame, IndexPage, LintPage, MigrationsPage, SiteTable};

/// What the templates' `{{ … }}` does to a string that is not marked
/// safe: minijinja's HTML escaping.
fn esc(o: &mut String, s: &str) {
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let with = match b {
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'&' => "&amp;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            b'/' => "&#x2f;",
            _ => continue,
        };
        o.push_str(&s[start..i]);
        o.push_str(with);
        start = i + 1;
    }
    o.push_str(&s[start..]);
}

/// The templates' `{% if x %}` of an optional text: absent or empty is
/// false.
fn some(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

/// A page's writer: the output, the labels, the links, the Markdown.
struct W<'a> {
    o: String,
    t: &'static Labels,
    urls: &'a Urls,
    templates: &'a Templates,
}

impl<'a> W<'a> {
    /// A page's writer, `room` bytes reserved, the layout's top written.
    fn page(frame: &Frame<'_>, room: usize, urls: &'a Urls, templates: &'a Templates) -> W<'a> {
        let mut w = W { o: String::with_capacity(room), t: frame.t, urls, templates };
        w.frame_top(frame);
        w
    }

    /// The breadcrumbs' start, up to the page's own part: `<nav …><a
    /// href="index.html">model</a> › `.
    fn crumbs(&mut self, model: &str) -> &mut Self {
        let t = self.t;
        self.s("<nav class=\"crumbs\" aria-label=\"")
            .e(t.site_home)
            .s("\"><a href=\"index.html\">")
            .e(model)
            .s("</a> › ")
    }

    /// The layout's bottom written: the page.
    fn finish(mut self) -> String {
        self.frame_bottom();
        self.o
    }

    fn s(&mut self, text: &str) -> &mut Self {
        self.o.push_str(text);
        self
    }
    fn e(&mut self, text: &str) -> &mut Self {
        esc(&mut self.o, text);
        self
    }
    /// `{{ text|markdown }}`.
    fn md(&mut self, text: &str) -> &mut Self {
        let html = self.templates.markdown(text, false);
        self.o.push_str(&html);
        self
    }
    /// `{{ text|markdown_inline }}`.
    fn mdi(&mut self, text: &str) -> &mut Self {
        let html = self.templates.markdown(text, true);
        self.o.push_str(&html);
        self
    }
    /// `{{ url(kind, name) }}`; `None` when there is no such page (the
    /// template's error).
    fn url(&mut self, kind: &str, name: &str) -> Option<&mut Self> {
        let url = self.urls.get(kind)?.get(name)?;
        esc(&mut self.o, url);
        Some(self)
    }
    /// `{{ t.yes if yes else t.no }}`.
    fn yes_no(&mut self, yes: bool) -> &mut Self {
        let t = self.t;
        self.e(if yes { t.yes } else { t.no })
    }
    /// `{% for x in list %}<code>{{ x }}</code>{% if not loop.last %}, {% endif %}{% endfor %}`.
    fn codes(&mut self, list: &[String]) -> &mut Self {
        for (i, x) in list.iter().enumerate() {
            if i > 0 {
                self.s(", ");
            }
            self.s("<code>").e(x).s("</code>");
        }
        self
    }
    /// `{% if doc %}<div class="doc">{{ doc|markdown }}</div>{% endif %}`.
    fn doc_div(&mut self, doc: &Option<String>) -> &mut Self {
        if let Some(doc) = some(doc) {
            self.s("<div class=\"doc\">").md(doc).s("</div>");
        }
        self
    }
    /// `{% if doc %}{{ doc|markdown }}{% endif %}`.
    fn doc(&mut self, doc: &Option<String>) -> &mut Self {
        if let Some(doc) = some(doc) {
            self.md(doc);
        }
        self
    }
    /// `<thead><tr><th>…</th>…</tr></thead>\n`, each label escaped.
    fn head(&mut self, labels: &[&str]) -> &mut Self {
        self.s("<thead><tr>");
        for l in labels {
            self.s("<th>").e(l).s("</th>");
        }
        self.s("</tr></thead>\n")
    }

    // ------------------------------------------------- site_layout.html.j2

    fn frame_top(&mut self, f: &Frame<'_>) {
        let t = self.t;
        self.s("<!DOCTYPE html>\n<html lang=\"").e(t.lang).s("\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'\">\n<meta name=\"referrer\" content=\"no-referrer\">\n<meta name=\"generator\" content=\"dddc\">\n<title>")
            .e(&f.title)
            .s(" · ")
            .e(f.model)
            .s("</title>\n<link rel=\"stylesheet\" href=\"site.css\">\n<script src=\"search.js\" defer></script>\n<script src=\"site.js\" defer></script>\n</head>\n<body>\n<a class=\"skip\" href=\"#main\">")
            .e(t.site_skip)
            .s("</a>\n<header class=\"top\">\n<a class=\"brand\" href=\"index.html\">")
            .e(f.model)
            .s("</a>\n<div class=\"search\" role=\"search\">\n<label for=\"search\">")
            .e(t.site_search)
            .s("</label>\n<input id=\"search\" type=\"search\" placeholder=\"")
            .e(t.site_search_hint)
            .s("\" autocomplete=\"off\" spellcheck=\"false\" aria-controls=\"search-results\">\n<ul id=\"search-results\" hidden></ul>\n</div>\n</header>\n<div class=\"layout\">\n<nav class=\"side\" aria-label=\"")
            .e(t.html_contents)
            .s("\">\n<ul>\n");
        let here = f.here.as_str();
        let current = |href: &str| if here == href { " aria-current=\"page\"" } else { "" };
        self.s("<li><a href=\"index.html\"").s(current("index.html")).s(">").e(t.site_home).s("</a></li>\n");
        for c in &f.nav {
            self.s("<li><a href=\"").e(c.href).s("\"").s(current(c.href)).s(">").e(t.context).s(" <code>");
            self.e(c.name).s("</code></a>\n");
            if !c.aggregates.is_empty() {
                self.s("<ul>\n");
                for a in c.aggregates {
                    self.s("<li><a href=\"").e(&a.href).s("\"").s(current(&a.href)).s(">").e(&a.text).s("</a></li>\n");
                }
                self.s("</ul>\n");
            }
            self.s("</li>\n");
        }
        self.s("<li><a href=\"lint.html\"").s(current("lint.html")).s(">").e(t.site_lint).s("</a></li>\n");
        if f.migrations {
            self.s("<li><a href=\"migrations.html\"").s(current("migrations.html")).s(">");
            self.e(t.site_migrations).s("</a></li>\n");
        }
        self.s("</ul>\n</nav>\n<main id=\"main\">\n");
    }

    fn frame_bottom(&mut self) {
        let t = self.t;
        self.s("</main>\n</div>\n<footer>").mdi(t.generated_md).s("</footer>\n</body>\n</html>\n");
    }

    // ------------------------------------------------- site_macros.html.j2

    fn diagram(&mut self, svg: &str, picture: Option<&str>, source: Option<&str>, caption: Option<&str>) {
        let t = self.t;
        self.s("<figure class=\"diagram\">\n<div class=\"tools\">\n<button type=\"button\" class=\"zoom\" data-fit=\"")
            .e(t.site_diagram_fit)
            .s("\" data-full=\"")
            .e(t.site_diagram_full)
            .s("\" aria-pressed=\"false\" hidden>")
            .e(t.site_diagram_fit)
            .s("</button>\n");
        if let Some(picture) = picture.filter(|p| !p.is_empty()) {
            self.s("<a href=\"").e(picture).s("\">").e(t.erd_picture).s(" (SVG)</a>\n");
        }
        if let Some(source) = source.filter(|s| !s.is_empty()) {
            self.s("<a href=\"").e(source).s("\">").e(t.erd_source).s("</a>\n");
        }
        self.s("</div>\n<div class=\"canvas\">\n").s(svg).s("\n</div>\n<figcaption>");
        if let Some(caption) = caption.filter(|c| !c.is_empty()) {
            self.e(caption).s(" ");
        }
        self.e(t.site_diagram_hint).s("</figcaption>\n</figure>\n");
    }

    fn fields(&mut self, list: &[FieldView]) {
        let t = self.t;
        self.s("<table class=\"fields\">\n")
            .head(&[t.field, t.type_, t.required, t.details, t.description])
            .s("<tbody>\n");
        for f in list {
            self.s("<tr><td><code>").e(&f.name).s("</code></td><td><code>").e(&f.ty).s("</code>");
            if let Some(kind) = some(&f.ty_kind) {
                self.s(" <span class=\"note\">").e(kind).s("</span>");
            }
            self.s("</td><td>").yes_no(f.required).s("</td><td>");
            for (i, x) in f.traits.iter().enumerate() {
                if i > 0 {
                    self.s(", ");
                }
                self.mdi(x);
            }
            self.s("</td><td>").doc(&f.doc).s("</td></tr>\n");
        }
        self.s("</tbody>\n</table>\n");
    }

    fn invariants(&mut self, owner: &str, list: &[InvariantView]) {
        let t = self.t;
        self.s("<h4>").e(t.invariants).s("</h4>\n<ul class=\"invariants\">\n");
        let owner = html_id(owner);
        for i in list {
            self.s("<li id=\"i-").e(&owner).s("-").e(&i.name).s("\"><code>").e(&i.name);
            self.s("</code>: <code class=\"expr\">").e(&i.source).s("</code>").doc_div(&i.doc).s("</li>\n");
        }
        self.s("</ul>\n");
    }

    fn allows(&mut self, list: &[AllowView]) {
        if list.is_empty() {
            return;
        }
        let t = self.t;
        self.s("<h4>").mdi(t.allows).s("</h4>\n<table>\n").head(&[t.code, t.declared_on, t.reason]).s("<tbody>\n");
        for a in list {
            self.s("<tr><td><code>").e(&a.code).s("</code></td><td>").e(&a.subject_kind).s(" <code>");
            self.e(&a.subject).s("</code></td><td>").e(&a.reason).s("</td></tr>\n");
        }
        self.s("</tbody>\n</table>\n");
    }

    fn used_by(&mut self, used_by: &[String]) {
        if !used_by.is_empty() {
            let t = self.t;
            self.s("<p><strong>").e(t.used_by).s(":</strong> ").codes(used_by).s("</p>\n");
        }
    }

    fn enum_(&mut self, e: &EnumView) {
        let t = self.t;
        self.s("<section class=\"type\" id=\"enum-").e(&html_id(&e.name)).s("\">\n<h3>").e(t.enum_word);
        self.s(" <code>").e(&e.name).s("</code></h3>\n").doc_div(&e.doc);
        self.s("<p>").mdi(if e.native { t.enum_native } else { t.enum_check }).s(" <code>").e(&e.storage);
        self.s("</code>.</p>\n<table>\n").head(&[t.value, t.description]).s("<tbody>\n");
        for v in &e.values {
            self.s("<tr><td><code>").e(&v.name).s("</code></td><td>").doc(&v.doc).s("</td></tr>\n");
        }
        self.s("</tbody>\n</table>\n");
        self.used_by(&e.used_by);
        self.allows(&e.allows);
        self.s("\n</section>\n");
    }

    fn value(&mut self, v: &ValueView) {
        let t = self.t;
        self.s("<section class=\"type\" id=\"vo-").e(&html_id(&v.name)).s("\">\n<h3>").e(t.value_object);
        self.s(" <code>").e(&v.name).s("</code></h3>\n").doc_div(&v.doc);
        match &v.single {
            Some(single) => {
                self.s("<p>").e(t.value_single).s(" <code>").e(&single.ty).s("</code>");
                if let Some(check) = some(&single.check) {
                    self.s(", ").e(t.value_check).s(" <code>").e(check).s("</code>");
                }
                self.s(".</p>\n");
            }
            None => {
                self.s("<p>").mdi(t.value_embedded).s("</p>\n");
                self.fields(&v.fields);
                self.s("\n");
                if !v.invariants.is_empty() {
                    self.invariants(&v.name, &v.invariants);
                    self.s("\n");
                }
            }
        }
        self.used_by(&v.used_by);
        self.allows(&v.allows);
        self.s("\n</section>\n");
    }

    fn table(&mut self, st: &SiteTable<'_>) -> Option<()> {
        let t = self.t;
        let tb = st.tb;
        self.s("<section class=\"table\" id=\"").e(&st.anchor).s("\">\n<h3>").e(t.table).s(" <code>");
        self.e(&tb.name).s("</code> <span class=\"tag\">").e(&tb.kind).s("</span></h3>\n").doc_div(&tb.doc);
        self.s("<dl class=\"facts\">\n");
        if let Some(pk) = &tb.primary_key {
            self.s("<dt>").e(t.primary_key).s("</dt><dd><code>").e(&pk.columns.join(", ")).s("</code> (<code>");
            self.e(&pk.name).s("</code>)</dd>\n");
        }
        if tb.row_level_security {
            self.s("<dt>").e(t.rls).s("</dt><dd>").e(t.rls_enabled).s("</dd>\n");
        }
        if !tb.pii.is_empty() {
            self.s("<dt>").mdi(t.pii_columns).s("</dt><dd>").codes(&tb.pii).s("</dd>\n");
        }
        self.s("</dl>\n<h4>").e(t.columns).s("</h4>\n<table class=\"columns\">\n");
        self.head(&[t.column, t.type_, t.null, t.default, t.constraints, t.description, t.origin]).s("<tbody>\n");
        for c in &tb.columns {
            self.s("<tr id=\"").e(&st.anchor).s("-").e(&c.name).s("\"><td><code>").e(&c.name);
            self.s("</code></td><td><code>").e(&c.ty).s("</code></td><td>").yes_no(c.nullable).s("</td><td>");
            if let Some(default) = some(&c.default) {
                self.s("<code>").e(default).s("</code>");
            }
            self.s("</td><td>");
            for (i, k) in c.constraints.iter().enumerate() {
                if i > 0 {
                    self.s("<br>");
                }
                self.mdi(&k.label);
                if let Some(code) = some(&k.code) {
                    self.s(" <code>").e(code).s("</code>");
                }
            }
            self.s("</td><td>").doc(&c.doc).s("</td><td>").e(some(&c.origin).unwrap_or("")).s("</td></tr>\n");
        }
        self.s("</tbody>\n</table>\n");
        if !tb.checks.is_empty() {
            self.s("<h4>").e(t.checks).s("</h4>\n<table>\n").head(&[t.name, t.in_the_model, "SQL", t.description]);
            self.s("<tbody>\n");
            for k in &tb.checks {
                let words = some(&k.model_words);
                let code = some(&k.model_code);
                self.s("<tr><td><code>").e(&k.name).s("</code></td><td>").e(words.unwrap_or(""));
                if words.is_some() && code.is_some() {
                    self.s(": ");
                }
                if let Some(code) = code {
                    self.s("<code>").e(code).s("</code>");
                }
                self.s("</td><td><code>").e(&k.sql).s("</code></td><td>").doc(&k.doc).s("</td></tr>\n");
            }
            self.s("</tbody>\n</table>\n");
        }
        if !tb.uniques.is_empty() {
            self.s("<h4>").e(t.uniques).s("</h4>\n<ul>\n");
            for u in &tb.uniques {
                self.s("<li><code>").e(&u.name).s("</code>: <code>").e(&u.columns.join(", ")).s("</code></li>\n");
            }
            self.s("</ul>\n");
        }
        if !tb.indexes.is_empty() {
            self.s("<h4>").e(t.indexes).s("</h4>\n<table>\n");
            self.head(&[t.name, t.method, t.unique, t.index_items, t.condition, t.description]).s("<tbody>\n");
            for i in &tb.indexes {
                self.s("<tr><td><code>").e(&i.name).s("</code></td><td>").e(&i.method).s("</td><td>");
                self.yes_no(i.unique).s("</td><td><code>").e(&i.items).s("</code></td><td>");
                if let Some(predicate) = some(&i.predicate) {
                    self.s("<code>").e(predicate).s("</code>");
                }
                self.s("</td><td>").doc(&i.doc).s("</td></tr>\n");
            }
            self.s("</tbody>\n</table>\n");
        }
        if !tb.foreign_keys.is_empty() {
            self.s("<h4>").e(t.foreign_keys).s("</h4>\n<table>\n");
            self.head(&[t.name, t.columns, t.references, t.on_delete, t.on_update]).s("<tbody>\n");
            for f in &tb.foreign_keys {
                self.s("<tr><td><code>").e(&f.name).s("</code></td><td><code>").e(&f.columns);
                self.s("</code></td><td><a href=\"").url("table", &f.target_heading.name)?.s("\"><code>").e(&f.target);
                self.s("</code></a></td><td>").e(&f.on_delete).s("</td><td>").e(&f.on_update).s("</td></tr>\n");
            }
            self.s("</tbody>\n</table>\n");
        }
        if !tb.loose_references.is_empty() {
            self.s("<h4>").e(t.loose_references).s("</h4>\n<p>").mdi(t.loose_explained).s("</p>\n<ul>\n");
            for l in &tb.loose_references {
                self.s("<li><code>").e(&l.columns.join(", ")).s("</code> → <a href=\"").url("table", &l.target)?;
                self.s("\"><code>").e(&l.target).s("</code></a></li>\n");
            }
            self.s("</ul>\n");
        }
        if !st.referenced_by.is_empty() {
            self.s("<h4>").e(t.site_referenced_by).s("</h4>\n<ul>\n");
            for r in &st.referenced_by {
                self.s("<li><a href=\"").url("table", &r.table)?.s("\"><code>").e(&r.table).s("</code></a> (<code>");
                self.e(&r.columns).s("</code>)");
                if r.loose {
                    self.s(", ").mdi(t.loose_reference);
                }
                self.s("</li>\n");
            }
            self.s("</ul>\n");
        }
        if !tb.event_types.is_empty() {
            self.s("<h4>").e(t.event_types).s("</h4>\n<table>\n").head(&[t.event, t.description]).s("<tbody>\n");
            for e in &tb.event_types {
                self.s("<tr><td><code>").e(&e.name).s("</code></td><td>").doc(&e.doc).s("</td></tr>\n");
            }
            self.s("</tbody>\n</table>\n");
        }
        if !tb.triggers.is_empty() {
            self.s("<h4>").e(t.triggers).s("</h4>\n<table>\n").head(&[t.name, t.when, t.function, t.purpose]);
            self.s("<tbody>\n");
            for tr in &tb.triggers {
                self.s("<tr><td><code>").e(&tr.name).s("</code></td><td>").e(&tr.when).s("</td><td><code>");
                self.e(&tr.function).s("</code></td><td>").e(some(&tr.purpose).unwrap_or("")).s("</td></tr>\n");
            }
            self.s("</tbody>\n</table>\n");
        }
        if !tb.policies.is_empty() {
            self.s("<h4>").e(t.policies).s("</h4>\n<table>\n").head(&[t.name, "USING", "WITH CHECK"]).s("<tbody>\n");
            for p in &tb.policies {
                self.s("<tr><td><code>").e(&p.name).s("</code></td><td><code>").e(&p.using);
                self.s("</code></td><td><code>").e(&p.with_check).s("</code></td></tr>\n");
            }
            self.s("</tbody>\n</table>\n");
        }
        if let Some(p) = &tb.partitioning {
            self.s("<h4>").e(t.partitioning).s("</h4>\n<p>").e(&p.method).s(" (<code>").e(&p.column);
            self.s("</code>)</p>\n<table>\n").head(&[t.partition, t.bound]).s("<tbody>\n");
            for part in &p.partitions {
                let bound = part.columns.first()?;
                self.s("<tr><td><code>").e(&part.name).s("</code></td><td><code>").e(bound).s("</code></td></tr>\n");
            }
            self.s("</tbody>\n</table>\n");
        }
        self.allows(&tb.allows);
        self.s("\n</section>\n");
        Some(())
    }
}

/// `site_aggregate.html.j2` of `page`.
pub(super) fn aggregate_page(page: &AggregatePage<'_>, urls: &Urls, templates: &Templates) -> Option<String> {
    let t = page.frame.t;
    let a = page.a;
    let mut w = W::page(&page.frame, 16 * 1024 + page.diagram.len(), urls, templates);
    w.crumbs(page.frame.model)
        .s("<a href=\"")
        .url("context", page.context)?
        .s("\">")
        .e(t.context)
        .s(" <code>")
        .e(page.context);
    w.s("</code></a> › ").e(&a.name).s("</nav>\n<h1>").e(t.aggregate).s(" <code>").e(&a.heading.name);
    w.s("</code></h1>\n");
    if let Some(doc) = some(&a.doc) {
        w.s("<div class=\"doc\">").md(doc).s("</div>\n");
    }
    w.s("<dl class=\"facts\">\n<dt>").e(t.root_table).s("</dt><dd><a href=\"").url("table", &a.root_table.name)?;
    w.s("\"><code>").e(&a.root_table.name).s("</code></a></dd>\n");
    if a.tables.len() > 1 {
        w.s("<dt>").e(t.tables).s("</dt><dd>");
        for (i, tb) in a.tables.iter().enumerate() {
            if i > 0 {
                w.s(", ");
            }
            w.s("<a href=\"").url("table", &tb.name)?.s("\"><code>").e(&tb.name).s("</code></a>");
        }
        w.s("</dd>\n");
    }
    w.s("<dt>").e(t.identity).s("</dt><dd>").mdi(&a.identity).s("</dd>\n");
    if !a.traits.is_empty() {
        w.s("<dt>").e(t.storage).s("</dt><dd>").e(&a.traits.join(", ")).s("</dd>\n");
    }
    if let Some(partition) = some(&a.partition) {
        w.s("<dt>").e(t.partitioning).s("</dt><dd><code>").e(partition).s("</code></dd>\n");
    }
    if let Some(rows) = some(&a.expected_rows) {
        w.s("<dt>").e(t.expected_rows).s("</dt><dd>").e(rows).s("</dd>\n");
    }
    if !a.publications.is_empty() {
        w.s("<dt>").e(t.publications).s("</dt><dd>").codes(&a.publications).s("</dd>\n");
    }
    w.s("</dl>\n\n<h2 id=\"diagram\">").e(t.erd).s("</h2>\n");
    let caption = format!("{}.", t.site_neighbourhood);
    w.diagram(&page.diagram, None, None, Some(&caption));
    w.s("\n");
    if !a.fields.is_empty() {
        w.s("\n<h2 id=\"fields\">").e(t.site_fields).s("</h2>\n");
        w.fields(&a.fields);
        w.s("\n");
    }
    if !a.invariants.is_empty() {
        w.invariants(&a.name, &a.invariants);
        w.s("\n");
    }
    for e in &a.entities {
        w.s("\n<section class=\"entity\" id=\"e-").e(&html_id(&e.path)).s("\">\n<h2>").e(t.entity).s(" <code>");
        w.e(&e.path).s("</code></h2>\n").doc_div(&e.doc);
        w.s("<dl class=\"facts\">\n<dt>").e(t.cardinality).s("</dt><dd>").e(&e.cardinality).s("</dd>\n");
        if let Some(table) = &e.table {
            w.s("<dt>").e(t.table).s("</dt><dd><a href=\"").url("table", &table.name)?.s("\"><code>");
            w.e(&table.name).s("</code></a></dd>\n");
        }
        w.s("<dt>").e(t.identity).s("</dt><dd>").mdi(&e.identity).s("</dd>\n</dl>\n");
        if !e.fields.is_empty() {
            w.fields(&e.fields);
            w.s("\n");
        }
        if !e.invariants.is_empty() {
            w.invariants(&e.path, &e.invariants);
            w.s("\n");
        }
        w.s("</section>\n");
    }
    if !a.references.is_empty() {
        w.s("\n<h2 id=\"references\">").e(t.references_of).s(" <code>").e(&a.name).s("</code></h2>\n<table>\n");
        w.head(&[t.field, t.to, t.required, t.integrity, t.on_delete]).s("<tbody>\n");
        for r in &a.references {
            w.s("<tr><td><code>").e(&r.from).s("</code></td><td><a href=\"").url("aggregate", &r.to)?;
            w.s("\"><code>").e(&r.to).s("</code></a></td><td>").yes_no(r.required).s("</td><td>");
            w.mdi(if r.loose { t.loose_reference } else { t.foreign_key }).s("</td><td>").e(&r.on_delete);
            w.s("</td></tr>\n");
        }
        w.s("</tbody>\n</table>\n");
    }
    if let Some(events) = &a.events {
        w.s("\n<h2 id=\"events\">").e(t.domain_events_of).s(" <code>").e(&a.name).s("</code></h2>\n");
        w.doc_div(&events.doc).s("<dl class=\"facts\">\n");
        if let Some(table) = &events.table {
            w.s("<dt>").e(t.table).s("</dt><dd><a href=\"").url("table", &table.name)?.s("\"><code>");
            w.e(&table.name).s("</code></a></dd>\n");
        }
        w.s("<dt>").e(t.delivery).s("</dt><dd>").mdi(if events.outbox { t.outbox } else { t.events_stored });
        w.s("</dd>\n</dl>\n<table>\n").head(&[t.event, t.description]).s("<tbody>\n");
        for ev in &events.names {
            w.s("<tr><td><code>").e(&ev.name).s("</code></td><td>").doc(&ev.doc).s("</td></tr>\n");
        }
        w.s("</tbody>\n</table>\n");
    }
    w.s("\n<h2 id=\"tables\">").e(t.tables).s("</h2>\n");
    for st in &page.tables {
        w.table(st)?;
        w.s("\n");
    }
    Some(w.finish())
}

/// `site_context.html.j2` of `page`.
pub(super) fn context_page(page: &ContextPage<'_>, urls: &Urls, templates: &Templates) -> Option<String> {
    let t = page.frame.t;
    let c = page.c;
    let mut w = W::page(&page.frame, 16 * 1024 + page.diagram.len(), urls, templates);
    w.crumbs(page.frame.model).e(t.context).s(" <code>").e(&c.name).s("</code></nav>\n<h1>").e(t.context).s(" <code>");
    w.e(&c.name).s("</code></h1>\n");
    if let Some(doc) = some(&c.doc) {
        w.s("<div class=\"doc\">").md(doc).s("</div>\n");
    }
    if let Some(tenant) = some(&c.tenant) {
        w.s("<dl class=\"facts\"><dt>").e(t.tenant_column).s("</dt><dd><code>").e(tenant).s("</code></dd></dl>\n");
    }
    w.s("\n<h2 id=\"diagram\">").e(t.erd).s("</h2>\n");
    w.diagram(&page.diagram, Some(&page.picture), Some(&page.source), None);
    w.s("\n\n<h2 id=\"aggregates\">").e(t.aggregates).s("</h2>\n");
    if !c.aggregates.is_empty() {
        w.s("<table>\n").head(&[t.aggregate, t.tables, t.storage, t.description]).s("<tbody>\n");
        for a in &c.aggregates {
            w.s("<tr><td><a href=\"").url("aggregate", &a.heading.name)?.s("\">").e(&a.name).s("</a></td><td>");
            for (i, tb) in a.tables.iter().enumerate() {
                if i > 0 {
                    w.s(", ");
                }
                w.s("<a href=\"").url("table", &tb.name)?.s("\"><code>").e(&tb.name).s("</code></a>");
            }
            w.s("</td><td>").e(&a.traits.join(", ")).s("</td><td>").doc(&a.doc).s("</td></tr>\n");
        }
        w.s("</tbody>\n</table>\n");
    }
    w.s("\n<h2 id=\"tables\">").e(t.tables).s("</h2>\n<ul class=\"columns-list\">\n");
    for tb in &page.tables {
        w.s("<li><a href=\"").e(&tb.href).s("\"><code>").e(&tb.text).s("</code></a></li>\n");
    }
    w.s("</ul>\n");
    if !c.values.is_empty() || !c.enums.is_empty() {
        w.s("\n<h2 id=\"types\">").e(t.site_types).s("</h2>\n");
        for v in &c.values {
            w.value(v);
            w.s("\n");
        }
        for e in &c.enums {
            w.enum_(e);
            w.s("\n");
        }
    }
    w.allows(&c.allows);
    w.s("\n");
    if !page.outside.is_empty() {
        w.s("\n<h2 id=\"outside\">").e(t.site_tables_outside).s("</h2>\n");
        for st in &page.outside {
            w.table(st)?;
            w.s("\n");
        }
    }
    Some(w.finish())
}

/// `site_index.html.j2` of `page`.
pub(super) fn index_page(page: &IndexPage<'_>, urls: &Urls, templates: &Templates) -> Option<String> {
    let t = page.frame.t;
    let m = page.model_doc;
    let mut w = W::page(&page.frame, 16 * 1024 + page.diagram.len(), urls, templates);
    w.s("<h1>").e(t.model_doc_title).s(": <code>").e(page.frame.model).s("</code></h1>\n");
    if let Some(doc) = some(&m.doc) {
        w.s("<div class=\"doc\">").md(doc).s("</div>\n");
    }
    w.s("<dl class=\"facts\">\n<dt>").e(t.target).s("</dt><dd>PostgreSQL ").e(&m.target.to_string()).s("</dd>\n");
    w.s("<dt>").e(t.table_naming).s("</dt><dd><code>").e(&m.naming).s("</code></dd>\n");
    if !m.defaults.is_empty() {
        w.s("<dt>").e(t.defaults).s("</dt><dd>").e(&m.defaults.join(", ")).s("</dd>\n");
    }
    if !m.extensions.is_empty() {
        w.s("<dt>").e(t.extensions).s("</dt><dd>").codes(&m.extensions).s("</dd>\n");
    }
    if let Some(log) = &m.audit_log {
        w.s("<dt>").e(t.audit_log).s("</dt><dd><a href=\"").url("table", &log.table)?.s("\"><code>").e(&log.table);
        w.s("</code></a>");
        if let Some(months) = some(&log.months) {
            w.s(" (").e(t.monthly_partitions).s(" ").e(months).s(")");
        }
        w.s("</dd>\n");
    }
    w.s("<dt>").e(t.site_score).s("</dt><dd><a href=\"lint.html\">").e(&page.lint.score.to_string());
    w.s("/100</a></dd>\n");
    if let Some(last) = page.last_migration {
        w.s("<dt>").e(t.site_last_migration).s("</dt><dd><a href=\"migrations.html\">V").e(&last.version).s(" ");
        w.e(&last.description).s("</a> (").e(&page.migration_count.to_string()).s(")</dd>\n");
    }
    w.s("</dl>\n\n<h2 id=\"contexts\">").e(t.site_contexts).s("</h2>\n<table>\n");
    w.head(&[t.context, t.aggregates, t.description]).s("<tbody>\n");
    for c in &m.contexts {
        w.s("<tr><td><a href=\"").url("context", &c.name)?.s("\"><code>").e(&c.name).s("</code></a></td><td>");
        for (i, a) in c.aggregates.iter().enumerate() {
            if i > 0 {
                w.s(", ");
            }
            w.s("<a href=\"").url("aggregate", &a.heading.name)?.s("\">").e(&a.name).s("</a>");
        }
        w.s("</td><td>").doc(&c.doc).s("</td></tr>\n");
    }
    w.s("</tbody>\n</table>\n\n<h2 id=\"overview\">").e(t.erd_overview).s("</h2>\n");
    w.diagram(&page.diagram, Some(&page.picture), Some(&page.source), None);
    w.s("\n");
    if !m.context_map.is_empty() {
        w.s("\n<h2 id=\"context-map\">").e(t.context_map).s("</h2>\n<p>").e(t.context_map_intro).s("</p>\n<table>\n");
        w.head(&[t.from, t.field, t.to, t.integrity, t.on_delete]).s("<tbody>\n");
        for r in &m.context_map {
            w.s("<tr><td><a href=\"").url("context", &r.from_context)?.s("\"><code>").e(&r.from_context);
            w.s("</code></a></td><td><code>").e(&r.from).s("</code></td><td><a href=\"").url("aggregate", &r.to)?;
            w.s("\"><code>").e(&r.to).s("</code></a></td><td>");
            w.mdi(if r.loose { t.loose_reference } else { t.foreign_key });
            if !r.required {
                w.s(", ").e(t.optional);
            }
            w.s("</td><td>").e(&r.on_delete).s("</td></tr>\n");
        }
        w.s("</tbody>\n</table>\n");
    }
    if !m.kernel_values.is_empty() || !m.kernel_enums.is_empty() {
        w.s("\n<h2 id=\"shared-kernel\">").e(t.shared_kernel).s("</h2>\n<p>").e(t.shared_kernel_intro).s("</p>\n");
        for v in &m.kernel_values {
            w.value(v);
            w.s("\n");
        }
        for e in &m.kernel_enums {
            w.enum_(e);
            w.s("\n");
        }
    }
    if !m.roles.is_empty() {
        w.s("\n<h2 id=\"roles\">").e(t.roles).s("</h2>\n<table>\n").head(&[t.role, t.reads, t.writes, t.description]);
        w.s("<tbody>\n");
        for r in &m.roles {
            w.s("<tr><td><code>").e(&r.name).s("</code></td><td>");
            for (k, list) in [&r.read, &r.write].into_iter().enumerate() {
                if k > 0 {
                    w.s("</td><td>");
                }
                for (i, c) in list.iter().enumerate() {
                    if i > 0 {
                        w.s(", ");
                    }
                    w.s("<a href=\"").url("context", c)?.s("\"><code>").e(c).s("</code></a>");
                }
            }
            w.s("</td><td>").doc(&r.doc).s("</td></tr>\n");
        }
        w.s("</tbody>\n</table>\n");
    }
    if !m.publications.is_empty() {
        w.s("\n<h2 id=\"publications\">").e(t.publications).s("</h2>\n");
        for p in &m.publications {
            w.s("<h3>").e(t.publication).s(" <code>").e(&p.name).s("</code></h3>\n").doc_div(&p.doc);
            w.s("<dl class=\"facts\">\n<dt>").e(t.publishes).s("</dt><dd>").codes(&p.items).s("</dd>\n<dt>");
            w.e(t.tables).s("</dt><dd>").codes(&p.tables).s("</dd>\n</dl>\n");
        }
    }
    if !page.functions.is_empty() {
        w.s("\n<h2 id=\"functions\">").e(t.functions).s("</h2>\n<table>\n");
        w.head(&[t.function, t.returns, t.language, t.description]).s("<tbody>\n");
        for f in page.functions {
            w.s("<tr><td><code>").e(&f.name).s("</code></td><td><code>").e(&f.returns).s("</code></td><td>");
            w.e(&f.language).s("</td><td>").e(some(&f.doc).unwrap_or("")).s("</td></tr>\n");
        }
        w.s("</tbody>\n</table>\n");
    }
    Some(w.finish())
}

/// `{{ x }}` of an optional text the template prints as is: `none` when
/// absent.
fn or_none(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("none")
}

/// `site_lint.html.j2` of `page`.
pub(super) fn lint_page(page: &LintPage<'_>, urls: &Urls, templates: &Templates) -> String {
    let t = page.frame.t;
    let l = page.l;
    let mut w = W::page(&page.frame, 16 * 1024, urls, templates);
    w.crumbs(page.frame.model).e(t.site_lint).s("</nav>\n<h1>").e(t.site_lint).s("</h1>\n<p>").mdi(t.site_lint_intro);
    w.s("</p>\n<dl class=\"facts\">\n<dt>").e(t.site_score).s("</dt><dd><strong class=\"score\">");
    w.e(&l.score.to_string()).s("/100</strong></dd>\n<dt>").e(t.site_findings).s("</dt><dd>").e(t.severity_errors);
    w.s(": ").e(&l.errors.to_string()).s(" · ").e(t.severity_warnings).s(": ").e(&l.warnings.to_string()).s(" · ");
    w.e(t.severity_infos).s(": ").e(&l.infos.to_string()).s("</dd>\n</dl>\n");
    if !l.rules.is_empty() {
        w.s("<table>\n").head(&[t.site_rule, t.site_about, t.site_count, t.site_points]).s("<tbody>\n");
        for r in &l.rules {
            w.s("<tr><td><code>").e(&r.code).s("</code> ").e(&r.name).s("</td><td>").mdi(&r.summary).s("</td><td>");
            w.e(&r.count.to_string()).s("</td><td>−").e(&r.points.to_string()).s("</td></tr>\n");
        }
        w.s("</tbody>\n</table>\n");
    }
    let finding = |w: &mut W<'_>, f: &super::lint::FindingView| {
        w.mdi(&f.summary);
        if !f.subjects.is_empty() {
            w.s(": ").codes(&f.subjects);
        }
        w.s("</td><td>");
        if let Some(place) = &f.place {
            w.s("<a href=\"").e(&place.href).s("\"><code>").e(&place.text).s("</code></a>");
        }
        w.s("</td>");
    };
    w.s("\n<h2 id=\"findings\">").e(t.site_findings).s("</h2>\n");
    if l.findings.is_empty() {
        w.s("<p>").e(t.site_no_findings).s("</p>\n");
    } else {
        w.s("<table class=\"findings\">\n").head(&[t.site_severity, t.site_rule, t.site_about, t.site_where]);
        w.s("<tbody>\n");
        for f in &l.findings {
            w.s("<tr class=\"").e(f.severity).s("\"><td><span class=\"sev\">").e(f.severity_text);
            w.s("</span></td><td><code>").e(&f.code).s("</code> ").e(&f.rule).s("</td><td>");
            finding(&mut w, f);
            w.s("</tr>\n");
        }
        w.s("</tbody>\n</table>\n");
    }
    if !l.accepted.is_empty() {
        w.s("\n<h2 id=\"accepted\">").mdi(t.site_accepted).s("</h2>\n<table class=\"findings\">\n");
        w.head(&[t.site_rule, t.site_about, t.site_where, t.reason]).s("<tbody>\n");
        for f in &l.accepted {
            w.s("<tr><td><code>").e(&f.code).s("</code> ").e(&f.rule).s("</td><td>");
            finding(&mut w, f);
            w.s("<td>").e(or_none(&f.reason)).s("</td></tr>\n");
        }
        w.s("</tbody>\n</table>\n");
    }
    w.finish()
}

/// `site_migrations.html.j2` of `page`.
pub(super) fn migrations_page(page: &MigrationsPage<'_>, urls: &Urls, templates: &Templates) -> String {
    let t = page.frame.t;
    let mut w = W::page(&page.frame, 8 * 1024 + page.rows.len() * 400, urls, templates);
    w.crumbs(page.frame.model).e(t.site_migrations).s("</nav>\n<h1>").e(t.site_migrations).s("</h1>\n<p>");
    w.mdi(t.site_migrations_intro).s("</p>\n");
    if page.rows.is_empty() {
        w.s("<p>").mdi(t.site_no_migrations).s("</p>\n");
    } else {
        w.s("<table class=\"migrations\">\n");
        w.head(&[t.site_version, t.description, t.site_file, t.site_undo, t.site_checksum]).s("<tbody>\n");
        for r in &page.rows {
            w.s("<tr id=\"v").e(&r.version).s("\"><td>").e(&r.version).s("</td><td>").e(&r.description);
            if r.online {
                w.s(" (").e(t.site_online).s(")");
            }
            w.s("</td><td>");
            match some(&r.href) {
                Some(href) => w.s("<a href=\"").e(href).s("\"><code>").e(&r.file).s("</code></a>"),
                None => w.s("<code>").e(&r.file).s("</code>"),
            };
            w.s("</td><td>");
            if let Some(undo) = some(&r.undo) {
                match some(&r.undo_href) {
                    Some(href) => w.s("<a href=\"").e(href).s("\"><code>").e(undo).s("</code></a>"),
                    None => w.s("<code>").e(undo).s("</code>"),
                };
            }
            w.s("</td><td><code class=\"sum\">").e(&r.sha256).s("</code></td></tr>\n");
        }
        w.s("</tbody>\n</table>\n");
    }
    w.finish()
}
