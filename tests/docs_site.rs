//! The HTML site (`[docs] html = true`) in a real browser: headless
//! Chromium, driven over the DevTools protocol (`support/chromium.rs`),
//! opens every page of MiToga's site and of a generated context of 50
//! aggregates, from the disk, as an auditor would.
//!
//! - Every diagram is drawn: the `<svg>` and every table box have a
//!   non-zero size, no text runs out of its box, no two boxes overlap, and
//!   every table of the context is a box of the context's diagram; a
//!   screenshot of each diagram is a real picture.
//! - No page logs an error (a blocked inline script or style would: the
//!   pages' content security policy reports it) and no page requests
//!   anything but the site's own files.
//! - Every link and every search result lands on a page and an element
//!   that exist; the search box finds a column.
//! - A model full of hostile doc comments runs no script.
//! - `dddc check` fails on a page edited by hand.
//!
//! `DDDC_SITE_SHOTS=dir cargo test --test docs_site` keeps the screenshots.

#[path = "support/chromium.rs"]
mod chromium;
#[path = "support/cli.rs"]
mod cli;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chromium::{png_size, Browser, Page};
use dddc::config::{Docs, Language};
use dddc::docs::{MigrationRecord, Project};
use dddc::model::Model;
use dddc::relational::Schema;
use serde_json::Value;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A site written to a throwaway project folder.
struct Site {
    project: tempfile::TempDir,
    model: Model,
    schema: Schema,
}

impl Site {
    fn dir(&self) -> PathBuf {
        self.project.path().join("docs/site")
    }

    fn url(&self, file: &str) -> String {
        format!("file://{}/{file}", self.dir().display())
    }

    fn pages(&self) -> Vec<String> {
        let mut pages: Vec<String> = std::fs::read_dir(self.dir())
            .expect("site folder")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".html"))
            .collect();
        pages.sort();
        pages
    }
}

/// Parses and lowers `root`, generates its docs with the site on, and
/// writes them (and `extra` files) under a new project folder.
fn site(root: &Path, docs: &Docs, project: &Project<'_>, extra: &[(&str, &[u8])]) -> Site {
    let fe = dddc::frontend(root, root).unwrap_or_else(|e| panic!("{}: {}", root.display(), e.0));
    let model = fe.model.unwrap_or_else(|| panic!("{} has errors: {:?}", root.display(), fe.diagnostics));
    let schema = dddc::relational::lower((&model, docs.language)).unwrap_or_else(|d| panic!("{d:?}"));
    let outputs = dddc::docs::generate_with(&model, &schema, docs, &manifest(), project).expect("docs");
    let dir = tempfile::tempdir().expect("temp dir");
    for o in &outputs {
        let path = dir.path().join(&o.path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, &o.bytes).expect("write");
    }
    for (path, bytes) in extra {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, bytes).expect("write");
    }
    if let Some(keep) = std::env::var_os("DDDC_SITE_DUMP") {
        let _ = std::process::Command::new("cp").arg("-r").arg(dir.path().join("docs")).arg(&keep).status();
    }
    Site { project: dir, model, schema }
}

fn mitoga_files() -> (PathBuf, dddc::config::Config) {
    let dir = manifest().join("examples/mitoga");
    let config = dddc::config::load_config(&dir).expect("dddc.toml");
    (dir.join(config.model.as_deref().unwrap_or("mitoga.ddd")), config)
}

/// The migrations MiToga's lock records, and their files.
fn mitoga_history() -> (Vec<MigrationRecord>, Vec<(String, Vec<u8>)>) {
    let dir = manifest().join("examples/mitoga/db/migration");
    let lock: Value = serde_json::from_slice(&std::fs::read(dir.join("dddc.lock")).expect("lock")).expect("json");
    let mut records = Vec::new();
    let mut files = Vec::new();
    for m in lock["migrations"].as_array().expect("migrations") {
        let name = |v: &Value| v["name"].as_str().map(|n| format!("db/migration/{n}"));
        let file = name(&m["file"]).expect("file name");
        let undo = name(&m["undo"]);
        for f in std::iter::once(&file).chain(undo.iter()) {
            let bytes = std::fs::read(manifest().join("examples/mitoga").join(f)).expect("migration file");
            files.push((f.clone(), bytes));
        }
        records.push(MigrationRecord {
            version: m["version"].as_str().expect("version").into(),
            description: m["description"].as_str().expect("description").into(),
            file,
            undo,
            sha256: m["file"]["sha256"].as_str().expect("sha256").into(),
            online: !m["conf"].is_null(),
        });
    }
    (records, files)
}

fn mitoga_site() -> Site {
    let (root, config) = mitoga_files();
    let (records, files) = mitoga_history();
    let docs = Docs { html: true, ..config.docs.clone() };
    let project = Project {
        lint: Some(&config.lint),
        migrations: Some(&records),
        memo: None,
        unchanged: None,
        compare_first: false,
    };
    let extra: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (p.as_str(), b.as_slice())).collect();
    site(&root, &docs, &project, &extra)
}

/// One context of `n` aggregates, each with an entity, a value object,
/// an enum and a reference to the previous one (the benches' shape).
fn fifty_aggregates_model(n: usize) -> String {
    let mut s = String::from(
        "/// A generated model.\nmodel big {\n  tables plural_en\n  defaults { soft_delete }\n}\n\n/// Money.\nvalue Money {\n  amount: decimal(12, 2)\n  currency: char(3)\n  invariant positive: amount >= 0\n}\n\n/// The only context.\ncontext ctx0 {\n  /// A status.\n  enum Status0 { DRAFT ACTIVE CLOSED }\n",
    );
    for a in 0..n {
        let prev = if a > 0 { format!("    previous: ref Item0x{}?\n", a - 1) } else { String::new() };
        s.push_str(&format!(
            "  /// Aggregate {a}.\n  aggregate Item0x{a} {{\n    name: text(100)\n    code: text(20) unique\n    status: Status0 = DRAFT\n    price: Money\n    quantity: int = 0\n    notes: text?\n    due: date?\n{prev}    entity Line{a} {{\n      amount: decimal(10, 2)\n      invariant positive: amount > 0\n    }}\n    invariant closed_has_due: status == CLOSED implies due is not null\n    index (status, name)\n  }}\n"
        ));
    }
    s.push_str("}\n");
    s
}

/// What the checks read from a page.
const INSPECT: &str = r#"(() => {
  const out = { ids: [], links: [], diagrams: [], scripts: [], handlers: [], forbidden: [] };
  for (const e of document.querySelectorAll('[id]')) out.ids.push(e.id);
  for (const a of document.querySelectorAll('a[href]')) out.links.push(a.getAttribute('href'));
  for (const s of document.scripts) out.scripts.push(s.getAttribute('src') || 'inline');
  for (const e of document.querySelectorAll('*')) {
    for (const at of e.getAttributeNames()) if (at.toLowerCase().startsWith('on')) out.handlers.push(e.tagName + ' ' + at);
  }
  for (const e of document.querySelectorAll('iframe, img, object, embed, form, style, link:not([rel=stylesheet])')) out.forbidden.push(e.tagName);
  const inside = (a, b) => a.x >= b.x - 0.5 && a.y >= b.y - 0.5 && a.x + a.width <= b.x + b.width + 0.5 && a.y + a.height <= b.y + b.height + 0.5;
  for (const svg of document.querySelectorAll('svg.erd')) {
    const r = svg.getBoundingClientRect();
    const fig = svg.closest('figure').getBoundingClientRect();
    const d = { width: r.width, height: r.height, figure: [fig.x + window.scrollX, fig.y + window.scrollY, fig.width, fig.height], nodes: [], overflow: [], overlaps: 0 };
    const boxes = [];
    for (const g of svg.querySelectorAll('g.n')) {
      const bg = g.querySelector('rect.bg').getBBox();
      // The box's tooltip: `schema.table (kind)`, the name never cut.
      const title = g.querySelector('title').textContent.split(' (')[0];
      d.nodes.push({ title, width: bg.width, height: bg.height });
      boxes.push(bg);
      for (const t of g.querySelectorAll('text')) {
        const tb = t.getBBox();
        if (!inside(tb, bg)) d.overflow.push(title + ': ' + t.textContent);
      }
    }
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height) d.overlaps++;
    }
    out.diagrams.push(d);
  }
  out.search = window.DDDC_SEARCH ? window.DDDC_SEARCH.entries.map(e => e[3]) : null;
  return out;
})()"#;

/// A page as the checks see it.
struct Inspected {
    ids: BTreeSet<String>,
    links: Vec<String>,
    diagrams: Vec<Value>,
    search: Vec<String>,
    value: Value,
}

fn inspect(browser: &mut Browser, page: &Page, site: &Site, file: &str) -> Inspected {
    let activity = browser.open(page, &site.url(file));
    assert!(activity.errors.is_empty(), "{file}: the page logged errors: {:#?}", activity.errors);
    let root = format!("file://{}/", site.dir().display());
    for r in &activity.requests {
        assert!(r.starts_with(&root), "{file}: requested {r}, outside the site");
    }
    let v = browser.evaluate(page, INSPECT);
    let strings = |key: &str| -> Vec<String> {
        v[key].as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect()).unwrap_or_default()
    };
    assert_eq!(strings("scripts"), ["search.js", "site.js"], "{file}: scripts");
    assert!(strings("handlers").is_empty(), "{file}: event-handler attributes: {:?}", strings("handlers"));
    assert!(strings("forbidden").is_empty(), "{file}: elements that load or run things: {:?}", strings("forbidden"));
    Inspected {
        ids: strings("ids").into_iter().collect(),
        links: strings("links"),
        diagrams: v["diagrams"].as_array().cloned().unwrap_or_default(),
        search: strings("search"),
        value: v,
    }
}

/// Each diagram is a real picture: non-zero sizes, text inside its boxes,
/// no overlapping boxes, and a screenshot that is not blank.
fn check_diagrams(browser: &mut Browser, page: &Page, file: &str, seen: &Inspected, shots: &mut usize) {
    for (i, d) in seen.diagrams.iter().enumerate() {
        let size = |k: &str| d[k].as_f64().unwrap_or(0.0);
        assert!(size("width") > 0.0 && size("height") > 0.0, "{file}: diagram {i} has no size: {d}");
        let nodes = d["nodes"].as_array().expect("nodes");
        assert!(!nodes.is_empty(), "{file}: diagram {i} draws nothing");
        for n in nodes {
            assert!(
                n["width"].as_f64().unwrap_or(0.0) > 0.0 && n["height"].as_f64().unwrap_or(0.0) > 0.0,
                "{file}: box {n} has no size"
            );
        }
        assert_eq!(d["overflow"].as_array().map_or(0, Vec::len), 0, "{file}: text outside its box: {}", d["overflow"]);
        assert_eq!(d["overlaps"], 0, "{file}: boxes overlap in diagram {i}");
        let f: Vec<f64> = d["figure"].as_array().expect("figure").iter().filter_map(Value::as_f64).collect();
        let png = browser.screenshot(page, Some((f[0], f[1], f[2].max(1.0), f[3].max(1.0))));
        let (w, h) = png_size(&png).unwrap_or_else(|| panic!("{file}: the screenshot is not a PNG"));
        assert!(w > 100 && h > 100, "{file}: screenshot of {w}×{h}");
        // A blank area of that size compresses to a few kilobytes.
        assert!(png.len() > 8_000, "{file}: the diagram's screenshot looks blank ({} bytes)", png.len());
        if let Some(dir) = std::env::var_os("DDDC_SITE_SHOTS") {
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(Path::new(&dir).join(format!("{}-{i}.png", file.trim_end_matches(".html"))), &png);
        }
        *shots += 1;
    }
}

/// Every link inside the site goes to a file that exists and, with a
/// fragment, to an element of that page; `../` links to files of the
/// project that exist.
fn check_links(site: &Site, pages: &BTreeMap<String, Inspected>) {
    for (file, seen) in pages {
        for link in seen.links.iter().chain(seen.search.iter()) {
            if link.starts_with("http:") || link.starts_with("https:") || link.starts_with("mailto:") {
                continue;
            }
            let (path, fragment) = link.split_once('#').unwrap_or((link, ""));
            let target = if path.is_empty() { file.as_str() } else { path };
            if target.starts_with("../") {
                assert!(site.dir().join(target).exists(), "{file}: link {link} to a missing file");
                continue;
            }
            let page = pages.get(target).unwrap_or_else(|| panic!("{file}: link {link} to a missing page"));
            if !fragment.is_empty() {
                assert!(page.ids.contains(fragment), "{file}: link {link} to a missing element");
            }
        }
    }
}

#[test]
fn mitoga_site_in_a_browser() {
    let site = mitoga_site();
    let mut browser = Browser::launch();
    let page = browser.page(1400, 1000);
    let mut seen = BTreeMap::new();
    let mut shots = 0;
    for file in site.pages() {
        let s = inspect(&mut browser, &page, &site, &file);
        check_diagrams(&mut browser, &page, &file, &s, &mut shots);
        seen.insert(file, s);
    }
    // Every table of a context is a box of its diagram.
    for c in &site.model.contexts {
        let file = format!("context-{}.html", c.name.to_lowercase());
        let d = &seen[&file].diagrams[0];
        let titles: BTreeSet<&str> =
            d["nodes"].as_array().expect("nodes").iter().filter_map(|n| n["title"].as_str()).collect();
        for t in site.schema.tables.iter().filter(|t| t.schema == c.name) {
            assert!(titles.contains(t.qualified().as_str()), "{file}: {} is not in the diagram", t.qualified());
        }
    }
    // Every aggregate's page draws its tables.
    for t in site.schema.tables.iter().filter(|t| t.aggregate.is_some()) {
        let path = t.aggregate.as_deref().unwrap_or_default();
        let file = format!("aggregate-{}.html", path.replace('.', "-").to_lowercase());
        let d = &seen[&file].diagrams[0];
        assert!(
            d["nodes"].as_array().expect("nodes").iter().any(|n| n["title"] == t.qualified().as_str()),
            "{file}: {}",
            t.qualified()
        );
    }
    assert_eq!(
        shots,
        site.model.contexts.len() + site.model.aggregates.len() + 1,
        "one diagram per context, aggregate and the overview"
    );
    assert!(seen["index.html"].search.len() > site.schema.tables.len() * 5, "the search index lists columns too");
    check_links(&site, &seen);

    // The search box finds a column and leads to it.
    let activity = browser.open(&page, &site.url("index.html"));
    assert!(activity.errors.is_empty(), "{:?}", activity.errors);
    let found = browser.evaluate(
        &page,
        r#"(() => {
            const input = document.getElementById('search');
            input.value = 'enlace_videollamada';
            input.dispatchEvent(new Event('input'));
            const list = document.getElementById('search-results');
            return { hidden: list.hidden, hrefs: [...list.querySelectorAll('a')].map(a => a.getAttribute('href')), text: list.textContent };
        })()"#,
    );
    assert_eq!(found["hidden"], false, "{found}");
    let first = found["hrefs"][0].as_str().unwrap_or_default().to_string();
    assert_eq!(first, "aggregate-reservas-reserva.html#t-reservas-reservas_sesiones-enlace_videollamada", "{found}");
    let activity = browser.open(&page, &site.url(&first));
    assert!(activity.errors.is_empty(), "{:?}", activity.errors);
    let target = browser.evaluate(&page, "document.querySelector(':target') && document.querySelector(':target').id");
    assert_eq!(target, "t-reservas-reservas_sesiones-enlace_videollamada");
    // Nothing found says so, in the page's language.
    let none = browser.evaluate(
        &page,
        r#"(() => { const i = document.getElementById('search'); i.value = 'zzzz qqqq'; i.dispatchEvent(new Event('input'));
            return document.getElementById('search-results').textContent; })()"#,
    );
    assert_eq!(none, "No se ha encontrado nada");
    // The zoom button fits a diagram to the page and back.
    let zoom = browser.evaluate(
        &page,
        r#"(() => { const f = document.querySelector('figure.diagram'); const b = f.querySelector('button.zoom');
            const before = f.querySelector('svg').getBoundingClientRect().width; b.click();
            const fitted = f.querySelector('svg').getBoundingClientRect().width; const canvas = f.querySelector('.canvas').clientWidth;
            return { hidden: b.hidden, before, fitted, canvas }; })()"#,
    );
    assert_eq!(zoom["hidden"], false, "{zoom}");
    assert!((zoom["fitted"].as_f64().unwrap_or(0.0) - zoom["canvas"].as_f64().unwrap_or(-9.0)).abs() < 2.0, "{zoom}");
}

#[test]
fn a_fifty_aggregate_context_is_drawn_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("big.ddd");
    std::fs::write(&root, fifty_aggregates_model(50)).expect("write");
    let docs = Docs { html: true, language: Language::En, ..Docs::default() };
    let site = site(&root, &docs, &Project::default(), &[]);
    assert_eq!(site.schema.tables.iter().filter(|t| t.schema == "ctx0").count(), 100);
    let mut browser = Browser::launch();
    let page = browser.page(1400, 1000);
    let mut shots = 0;
    let seen = inspect(&mut browser, &page, &site, "context-ctx0.html");
    check_diagrams(&mut browser, &page, "context-ctx0.html", &seen, &mut shots);
    let d = &seen.diagrams[0];
    let titles: BTreeSet<&str> =
        d["nodes"].as_array().expect("nodes").iter().filter_map(|n| n["title"].as_str()).collect();
    for t in &site.schema.tables {
        assert!(titles.contains(t.qualified().as_str()), "{} is not in the diagram", t.qualified());
    }
    let overview = inspect(&mut browser, &page, &site, "index.html");
    check_diagrams(&mut browser, &page, "index.html", &overview, &mut shots);
    let boxes = overview.diagrams[0]["nodes"].as_array().map_or(0, Vec::len);
    assert_eq!(boxes, 50, "the overview draws every aggregate");
    let _ = &overview.value;
}

/// Hostile doc comments everywhere the model takes text: sanitised or
/// escaped in every page, never run.
const HOSTILE: &str = r#"/// <img src=x onerror="window.__pwned=1"> <script>window.__pwned=1</script>
model hostile {
  target postgres 16
  tables snake
}

/// [click](javascript:window.__pwned=1) <svg onload="window.__pwned=1"></svg> <b>kept bold</b>
context evil {
  /// <iframe src="javascript:window.__pwned=1"></iframe>
  enum Kind {
    /// <a href="javascript:window.__pwned=1">x</a> <div onmouseover="window.__pwned=1">hover</div>
    ALPHA
    BETA
  }

  /// </script><script>window.__pwned=1</script></code></td></table>
  aggregate Thing {
    /// "><img src=x onerror=window.__pwned=1> <style>body{display:none}</style>
    name: text(100) = "<script>window.__pwned=1</script>"
    /// ![tracker](https://evil.example/t.png) <object data="x"></object>
    kind: Kind
    note: text(200)? @allow(L006, '<img src=x onerror=window.__pwned=1>')
    /// <form action="https://evil.example"><input name=q></form>
    invariant named: name != "</code><script>window.__pwned=1</script>"
    /// <meta http-equiv="refresh" content="0;url=https://evil.example">
    entity Part {
      /// <link rel="prefetch" href="https://evil.example/x">
      label: text(50)
    }
  }
}
"#;

/// Every tag of a page (`<` to `>`), lower-cased.
fn tags(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        let end = rest[i..].find('>').map_or(rest.len(), |e| i + e + 1);
        out.push(rest[i..end].to_ascii_lowercase());
        rest = &rest[end..];
    }
    out
}

#[test]
fn hostile_comments_never_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("hostile.ddd");
    std::fs::write(&root, HOSTILE).expect("write");
    let docs = Docs { html: true, language: Language::En, ..Docs::default() };
    let site = site(&root, &docs, &Project::default(), &[]);
    // In the files: no markup from the model survives as markup (as text,
    // escaped, it may: `&lt;img … onerror=…&gt;` is harmless).
    for file in site.pages() {
        let html = std::fs::read_to_string(site.dir().join(&file)).expect("page");
        let tags = tags(&html);
        assert_eq!(tags.iter().filter(|t| t.starts_with("<script")).count(), 2, "{file}: only the site's two scripts");
        for tag in &tags {
            for bad in [
                "onerror",
                "onload",
                "onmouseover",
                "onclick",
                "javascript:",
                "<iframe",
                "<img",
                "<object",
                "<form",
                "<input name",
                "<meta http-equiv=\"refresh\"",
                "evil.example",
                "<style",
                "<link rel=\"prefetch\"",
            ] {
                assert!(!tag.contains(bad), "{file}: `{bad}` made it into the markup: {tag}");
            }
        }
    }
    assert!(
        std::fs::read_to_string(site.dir().join("aggregate-evil-thing.html"))
            .expect("page")
            .contains("&lt;/script&gt;"),
        "names and values are escaped, not dropped"
    );
    assert!(
        std::fs::read_to_string(site.dir().join("context-evil.html")).expect("page").contains("<b>kept bold</b>"),
        "harmless markup is kept"
    );
    // In the browser: nothing runs, nothing is requested.
    let mut browser = Browser::launch();
    let page = browser.page(1200, 900);
    for file in site.pages() {
        inspect(&mut browser, &page, &site, &file);
        assert_eq!(browser.evaluate(&page, "typeof window.__pwned"), "undefined", "{file}: a script of the model ran");
        let shown = browser.evaluate(&page, "getComputedStyle(document.body).display");
        assert_eq!(shown, "block", "{file}: a style of the model applied");
    }
}

#[test]
fn check_catches_a_stale_page() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("dddc.toml"), "[docs]\nhtml = true\nlanguage = \"es\"\n").expect("toml");
    std::fs::write(
        dir.path().join("tienda.ddd"),
        "model tienda {\n  tables plural_es\n}\n\n/// Ventas.\ncontext ventas {\n  /// Un cliente.\n  aggregate Cliente {\n    /// Nombre completo.\n    nombre: text(100)\n  }\n}\n",
    )
    .expect("model");
    let b = cli::dddc(dir.path(), &["build"]);
    assert!(b.status.success(), "{}", cli::stderr(&b));
    let page = dir.path().join("docs/site/aggregate-ventas-cliente.html");
    let picture = dir.path().join("docs/erd/ventas.svg");
    assert!(page.is_file() && picture.is_file());
    // The build passes its lock: the history page links the migration it
    // just wrote, and the design review is there.
    let history = std::fs::read_to_string(dir.path().join("docs/site/migrations.html")).expect("history page");
    // (minijinja escapes `/` in attributes as `&#x2f;`, which a browser reads as `/`.)
    let history = history.replace("&#x2f;", "/");
    assert!(history.contains("href=\"../../db/migration/V1__init.sql\""), "{history}");
    assert!(dir.path().join("docs/site/../../db/migration/V1__init.sql").is_file());
    assert!(dir.path().join("docs/site/lint.html").is_file());
    let ok = cli::dddc(dir.path(), &["check"]);
    assert!(ok.status.success(), "{}", cli::stderr(&ok));
    // A second build writes the same bytes.
    let before = std::fs::read(&page).expect("page");
    let again = cli::dddc(dir.path(), &["build"]);
    assert!(again.status.success());
    assert_eq!(std::fs::read(&page).expect("page"), before);
    for (file, edit) in [(&page, "<p>edited by hand</p>"), (&picture, "<!-- edited -->")] {
        let original = std::fs::read_to_string(file).expect("read");
        std::fs::write(file, format!("{original}{edit}")).expect("edit");
        let o = cli::dddc(dir.path(), &["check"]);
        assert_eq!(o.status.code(), Some(1), "{}", cli::stderr(&o));
        assert!(cli::stderr(&o).contains("is stale"), "{}", cli::stderr(&o));
        std::fs::write(file, original).expect("restore");
    }
}

/// A project whose lock records no migration yet has a history page that
/// says so, and every page's navigation links to it, the index's too (its
/// view named the count of migrations as the frame names whether there
/// is a history, and the index's navigation read the count: no link
/// there alone). Debug builds also compare each page with its template.
#[test]
fn an_empty_history_is_linked_from_every_page() {
    let (root, config) = mitoga_files();
    let docs = Docs { html: true, ..config.docs.clone() };
    let project =
        Project { lint: Some(&config.lint), migrations: Some(&[]), memo: None, unchanged: None, compare_first: false };
    let site = site(&root, &docs, &project, &[]);
    let dir = site.project.path().join(&docs.dir).join("site");
    let history = std::fs::read_to_string(dir.join("migrations.html")).expect("migrations.html");
    assert!(!history.contains("<table class=\"migrations\">"), "an empty history with a table");
    for page in ["index.html", "lint.html", "migrations.html", "context-pagos.html", "aggregate-pagos-pago.html"] {
        let html = std::fs::read_to_string(dir.join(page)).expect(page);
        assert!(html.contains("<li><a href=\"migrations.html\""), "{page} does not link to the history");
    }
}
