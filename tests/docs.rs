//! Documentation outputs (issues 5 and 16), on `examples/mitoga` (Spanish,
//! Mermaid) and every `tests/models/*.ddd` (English, Mermaid and the HTML
//! site on):
//!
//! - every `.puml` passes the real PlantUML (`plantuml -checkonly`), every
//!   relationship endpoint is a declared entity of the same file (PlantUML
//!   would silently invent one), every foreign key is drawn, one ERD
//!   renders to a PNG, and a context of 50 aggregates renders whole (not
//!   cut at PlantUML's 4096-pixel limit);
//! - every `.svg` picture draws every table of its context and every
//!   foreign key as a line;
//! - the dictionary, parsed with pulldown-cmark, has every table and column
//!   of the lowered schema in its table's section;
//! - the Mermaid blocks are well-formed `erDiagram`s (a strict parser below);
//! - a Spanish build holds no English sentence the generator writes (in
//!   its documents, its site, its pictures and the comments of its
//!   migration);
//! - `docs/configuration.md` lists every key of `dddc.toml` with the
//!   code's defaults (`UPDATE_DOCS=1` rewrites it);
//! - two generations are byte-identical; insta snapshots of the outputs for
//!   MiToga and one English model (`INSTA_UPDATE=always` or `cargo insta
//!   review` to accept changes).
//!
//! The site in a browser is `tests/docs_site.rs`. `DDDC_DOCS_DUMP=dir cargo
//! test --test docs` also writes every output under `dir/<model>/` for a
//! look.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "../tools/genmodel/src/lib.rs"]
#[allow(dead_code)]
mod genmodel;

use dddc::build::Output;
use dddc::config::{Docs, Language};
use dddc::model::Model;
use dddc::relational::Schema;
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Parser, Tag, TagEnd};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Case {
    name: String,
    model: Model,
    schema: Schema,
    docs: Docs,
    outputs: Vec<Output>,
}

fn load(root: &Path, docs: Docs) -> Case {
    let fe = dddc::frontend(root, root).unwrap_or_else(|e| panic!("{}: {}", root.display(), e.0));
    let model = fe.model.unwrap_or_else(|| panic!("{} has errors: {:?}", root.display(), fe.diagnostics));
    let schema =
        dddc::relational::lower((&model, docs.language)).unwrap_or_else(|d| panic!("{}: {d:?}", root.display()));
    let outputs = dddc::docs::generate(&model, &schema, &docs, root.parent().unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()));
    let name = root.file_stem().unwrap().to_string_lossy().into_owned();
    dump(&name, &outputs);
    Case { name, model, schema, docs, outputs }
}

fn mitoga() -> Case {
    let dir = manifest().join("examples/mitoga");
    let config = dddc::config::load_config(&dir).unwrap();
    let root = dir.join(config.model.as_deref().unwrap_or("mitoga.ddd"));
    let mut case = load(&root, config.docs);
    case.name = "mitoga".into();
    case
}

/// English, Mermaid and the HTML site on.
fn english() -> Docs {
    Docs { language: Language::En, mermaid: true, html: true, ..Docs::default() }
}

fn test_models() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(manifest().join("tests/models"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ddd"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    files
}

/// Corners the example models do not reach: a context named like the
/// overview diagram, an empty context, one-to-one and loose optional
/// references, a self-reference.
const EDGES: &str = r#"/// Edge cases of the documentation.
model edges {
  target postgres 16
  tables snake
}

/// Named like the overview diagram: its ERD is `erd/overview-context.puml`.
context overview {
  /// A thing.
  aggregate Thing {
    name: text(10)
    /// At most one twin, itself a thing.
    twin: ref Thing? unique
    keeper: ref other.Keeper loose
    spare: ref other.Keeper? loose unique
    /// One-to-one and required.
    owner: ref other.Keeper unique
  }
}

/// Nothing in it.
context empty {
}

context other {
  aggregate Keeper {
    code: text(5) unique
  }
}
"#;

fn edges() -> Case {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("edges.ddd");
    std::fs::write(&root, EDGES).unwrap();
    load(&root, english())
}

fn all_cases() -> Vec<Case> {
    let mut cases = vec![mitoga(), edges()];
    cases.extend(test_models().iter().map(|p| load(p, english())));
    cases
}

/// `docs/erd/<context>.puml`, or `overview-context.puml` for a context
/// named `overview`.
fn erd_path(context: &str) -> String {
    if context == "overview" {
        "docs/erd/overview-context.puml".into()
    } else {
        format!("docs/erd/{context}.puml")
    }
}

fn dump(name: &str, outputs: &[Output]) {
    let Some(dir) = std::env::var_os("DDDC_DOCS_DUMP") else {
        return;
    };
    for o in outputs {
        let path = Path::new(&dir).join(name).join(&o.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &o.bytes).unwrap();
    }
}

fn text_of<'a>(case: &'a Case, path: &str) -> &'a str {
    let o = case
        .outputs
        .iter()
        .find(|o| o.path == Path::new(path))
        .unwrap_or_else(|| panic!("{}: no output {path}", case.name));
    std::str::from_utf8(&o.bytes).unwrap()
}

fn outputs_ending(case: &Case, suffix: &str) -> Vec<(String, String)> {
    case.outputs
        .iter()
        .filter(|o| o.path.to_string_lossy().ends_with(suffix))
        .map(|o| (o.path.to_string_lossy().into_owned(), String::from_utf8(o.bytes.clone()).unwrap()))
        .collect()
}

fn dictionary_path(docs: &Docs) -> String {
    match docs.language {
        Language::En => "docs/data-dictionary.md".into(),
        Language::Es => "docs/diccionario-datos.md".into(),
    }
}

fn model_doc_path(docs: &Docs) -> String {
    match docs.language {
        Language::En => "docs/data-model.md".into(),
        Language::Es => "docs/modelo-datos.md".into(),
    }
}

// ------------------------------------------------------------ file lists --

#[test]
fn outputs_are_the_documented_files() {
    for case in all_cases() {
        let mut expected: BTreeSet<String> = case.model.contexts.iter().map(|c| erd_path(&c.name)).collect();
        expected.extend(case.model.contexts.iter().map(|c| erd_path(&c.name).replace(".puml", ".svg")));
        expected.insert("docs/erd/overview.puml".into());
        expected.insert("docs/erd/overview.svg".into());
        expected.insert(dictionary_path(&case.docs));
        expected.insert(model_doc_path(&case.docs));
        if case.docs.html {
            for file in ["index.html", "lint.html", "site.css", "site.js", "search.js"] {
                expected.insert(format!("docs/site/{file}"));
            }
            for c in &case.model.contexts {
                expected.insert(format!("docs/site/context-{}.html", c.name.to_lowercase()));
            }
            for a in &case.model.aggregates {
                let ctx = &case.model.contexts[a.context.0].name;
                expected.insert(format!("docs/site/aggregate-{}-{}.html", ctx, a.name).to_lowercase());
            }
        }
        let actual: BTreeSet<String> = case.outputs.iter().map(|o| o.path.to_string_lossy().into_owned()).collect();
        assert_eq!(actual, expected, "{}", case.name);
    }
}

#[test]
fn two_generations_are_byte_identical() {
    for case in all_cases() {
        let again = dddc::docs::generate(&case.model, &case.schema, &case.docs, &manifest()).unwrap();
        assert!(again == case.outputs, "{}: a second generation differs", case.name);
    }
}

/// Without the site, the data dictionary is made a context's view at a
/// time and both documents are put together from marks; with it, from
/// the whole views. The Markdown is the same either way (and, in this
/// debug build, each document put together is compared with its template
/// rendered whole).
#[test]
fn the_documents_are_the_same_with_and_without_the_site() {
    let mut compared = 0;
    for case in all_cases() {
        for mermaid in [false, true] {
            let with = Docs { mermaid, html: true, ..case.docs.clone() };
            let without = Docs { html: false, ..with.clone() };
            let a = dddc::docs::generate(&case.model, &case.schema, &with, &manifest()).unwrap();
            let b = dddc::docs::generate(&case.model, &case.schema, &without, &manifest()).unwrap();
            for path in [dictionary_path(&with), model_doc_path(&with)] {
                let of =
                    |outputs: &[Output]| outputs.iter().find(|o| o.path == Path::new(&path)).unwrap().bytes.clone();
                assert!(of(&a) == of(&b), "{} ({path}, mermaid {mermaid}): the site changes the document", case.name);
                compared += 1;
            }
        }
    }
    assert!(compared >= 40, "{compared} documents compared");
}

/// A project's `enum.md.j2` is included by the built-in top-level
/// templates and sees their `sections`: it reads the sections themselves,
/// never the marks the documents are first rendered with. And a project's
/// section template alone leaves the dictionary made a context's view at
/// a time, with the same Markdown as with the site.
#[test]
fn replaced_templates_read_the_sections_themselves() {
    let case = mitoga();
    let builtin = manifest().join("templates/docs");
    let dir = tempfile::tempdir().unwrap();
    let enum_md = std::fs::read_to_string(builtin.join("enum.md.j2")).unwrap()
        + "{% if sections is defined %}{% if \"|\" in sections[0] %}[sections read]{% else %}[a mark]{% endif %}{% endif %}\n";
    std::fs::write(dir.path().join("enum.md.j2"), enum_md).unwrap();
    let section_dir = tempfile::tempdir().unwrap();
    let section = std::fs::read_to_string(builtin.join("data_dictionary_context.md.j2")).unwrap() + "[replaced]\n";
    std::fs::write(section_dir.path().join("data_dictionary_context.md.j2"), section).unwrap();
    for html in [false, true] {
        let docs = Docs { html, templates: Some(dir.path().to_string_lossy().into_owned()), ..case.docs.clone() };
        let outputs = dddc::docs::generate(&case.model, &case.schema, &docs, &manifest()).unwrap();
        for path in [dictionary_path(&docs), model_doc_path(&docs)] {
            let text =
                String::from_utf8(outputs.iter().find(|o| o.path == Path::new(&path)).unwrap().bytes.clone()).unwrap();
            assert!(text.contains("[sections read]") && !text.contains("[a mark]"), "{path} (site {html})");
        }
    }
    let [a, b] = [true, false].map(|html| {
        let docs =
            Docs { html, templates: Some(section_dir.path().to_string_lossy().into_owned()), ..case.docs.clone() };
        let outputs = dddc::docs::generate(&case.model, &case.schema, &docs, &manifest()).unwrap();
        outputs.into_iter().find(|o| o.path == Path::new(&dictionary_path(&docs))).unwrap().bytes
    });
    assert!(String::from_utf8_lossy(&b).matches("[replaced]").count() == case.model.contexts.len());
    assert!(a == b, "the site changes the dictionary made with a project's section template");
}

// -------------------------------------------------------------- PlantUML --

/// The `.puml` outputs of every case, with a file name unique across cases.
fn puml_files(cases: &[Case]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for case in cases {
        for (path, text) in outputs_ending(case, ".puml") {
            let stem = Path::new(&path).file_stem().unwrap().to_string_lossy().into_owned();
            out.push((format!("{}__{stem}.puml", case.name), text));
        }
    }
    out
}

fn plantuml(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new("plantuml")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `plantuml` ({e}); install it (Debian: apt-get install plantuml)"))
}

#[test]
fn plantuml_accepts_every_erd() {
    let files = puml_files(&all_cases());
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in &files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    let mut args = vec!["-checkonly"];
    args.extend(&names);
    let out = plantuml(&args, dir.path());
    if out.status.success() {
        return;
    }
    // Find the culprits one by one (slow, only on failure).
    let mut bad = Vec::new();
    for name in &names {
        let one = plantuml(&["-checkonly", name], dir.path());
        if !one.status.success() {
            bad.push(format!(
                "{name}: {}{}",
                String::from_utf8_lossy(&one.stdout),
                String::from_utf8_lossy(&one.stderr)
            ));
        }
    }
    panic!("PlantUML rejects:\n{}", bad.join("\n"));
}

/// What a generated `.puml` declares and draws, read strictly: every line
/// outside an entity body must be a known directive, a package, an entity
/// or a relationship.
struct Puml {
    entities: Vec<String>,
    /// `(left, operator, right)`.
    relations: Vec<(String, String, String)>,
}

const PUML_OPERATORS: &[&str] =
    &["||--o{", "||--o|", "||..o{", "}o--||", "}o--o|", "}o..||", "}o..o|", "|o--||", "|o--o|", "|o..||", "|o..o|"];

fn parse_puml(name: &str, text: &str) -> Puml {
    let mut entities = Vec::new();
    let mut relations = Vec::new();
    let mut in_entity = false;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.first(), Some(&"@startuml"), "{name}: first line");
    assert_eq!(lines.last(), Some(&"@enduml"), "{name}: last line");
    for (i, raw) in lines.iter().enumerate() {
        let line = raw.trim();
        let at = || format!("{name}:{}: `{raw}`", i + 1);
        if in_entity {
            if line == "}" {
                in_entity = false;
            } else {
                assert!(!line.contains('{') && !line.contains('}'), "{}: brace in an entity body", at());
            }
            continue;
        }
        if line.is_empty()
            || line == "@startuml"
            || line == "@enduml"
            || line == "}"
            || line.starts_with('\'')
            || ["hide ", "set ", "skinparam ", "title ", "scale max "].iter().any(|p| line.starts_with(p))
        {
            continue;
        }
        if let Some(rest) = line.strip_prefix("package \"") {
            let (_, tail) = rest.split_once('"').unwrap_or_else(|| panic!("{}: unterminated package name", at()));
            assert!(tail.trim_end().ends_with('{'), "{}: package without body", at());
            continue;
        }
        if let Some(rest) = line.strip_prefix("entity \"") {
            let (_, tail) = rest.split_once('"').unwrap_or_else(|| panic!("{}: unterminated entity name", at()));
            let tail = tail.strip_prefix(" as ").unwrap_or_else(|| panic!("{}: entity without alias", at()));
            let alias: String = tail.chars().take_while(|c| !c.is_whitespace()).collect();
            assert!(
                !alias.is_empty()
                    && alias.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !alias.starts_with(|c: char| c.is_ascii_digit()),
                "{}: alias `{alias}` is not an identifier",
                at()
            );
            assert!(line.ends_with('{'), "{}: entity without body", at());
            assert!(!entities.contains(&alias), "{}: `{alias}` declared twice", at());
            entities.push(alias);
            in_entity = true;
            continue;
        }
        let (ends, _label) = match line.split_once(" : ") {
            Some((e, l)) => (e, Some(l)),
            None => (line, None),
        };
        let parts: Vec<&str> = ends.split(' ').collect();
        assert!(parts.len() == 3, "{}: neither a declaration nor a relationship", at());
        assert!(PUML_OPERATORS.contains(&parts[1]), "{}: unknown operator `{}`", at(), parts[1]);
        relations.push((parts[0].to_string(), parts[1].to_string(), parts[2].to_string()));
    }
    assert!(!in_entity, "{name}: unterminated entity");
    Puml { entities, relations }
}

#[test]
fn relationship_endpoints_are_declared_entities() {
    for case in all_cases() {
        for (path, text) in outputs_ending(&case, ".puml") {
            let p = parse_puml(&format!("{}/{path}", case.name), &text);
            for (l, op, r) in &p.relations {
                for end in [l, r] {
                    assert!(
                        p.entities.contains(end),
                        "{}/{path}: `{l} {op} {r}` names `{end}`, which is not declared (PlantUML would invent it)",
                        case.name
                    );
                }
            }
        }
    }
}

/// Every foreign key of the schema is a line of its context's diagram, from
/// the referencing table to the referenced one (or from the parent to the
/// child for entity links), and every table is drawn.
#[test]
fn every_table_and_foreign_key_is_drawn() {
    for case in all_cases() {
        for ctx in &case.model.contexts {
            let path = erd_path(&ctx.name);
            let p = parse_puml(&path, text_of(&case, &path));
            let text = text_of(&case, &path);
            let alias_of = |schema: &str, table: &str| {
                let needle = format!("entity \"{schema}.{table}\" as ");
                let line = text
                    .lines()
                    .find(|l| l.trim_start().starts_with(&needle))
                    .unwrap_or_else(|| panic!("{}/{path}: `{schema}.{table}` is not drawn", case.name));
                let rest = &line.trim_start()[needle.len()..];
                rest.split(' ').next().unwrap().to_string()
            };
            for t in case.schema.tables.iter().filter(|t| t.schema == ctx.name) {
                let me = alias_of(&t.schema, &t.name);
                for fk in &t.foreign_keys {
                    let target = alias_of(&fk.ref_schema, &fk.ref_table);
                    let drawn =
                        p.relations.iter().any(|(l, _, r)| (*l == me && *r == target) || (*l == target && *r == me));
                    assert!(drawn, "{}/{path}: foreign key {} of {} is not drawn", case.name, fk.name, t.qualified());
                }
            }
        }
    }
}

#[test]
fn one_erd_renders_to_png() {
    let case = mitoga();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("reservas.puml"), text_of(&case, "docs/erd/reservas.puml")).unwrap();
    let out = plantuml(&["-tpng", "reservas.puml"], dir.path());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let png = std::fs::read(dir.path().join("reservas.png")).expect("no PNG written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(png.len() > 20_000, "suspiciously small PNG: {} bytes", png.len());
}

// ------------------------------------------------------------ dictionary --

/// The dictionary's level-3 sections: heading text → first cells of every
/// table row in the section (down to the next heading of level ≤ 3).
fn dictionary_sections(markdown: &str) -> BTreeMap<String, Vec<String>> {
    let mut sections: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut heading: Option<(HeadingLevel, String)> = None;
    let mut cell: Option<String> = None;
    let mut first_cell_of_row = false;
    let options = pulldown_cmark::Options::ENABLE_TABLES;
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => heading = Some((level, String::new())),
            Event::End(TagEnd::Heading(_)) => {
                let (level, text) = heading.take().unwrap();
                if level <= HeadingLevel::H3 {
                    current = (level == HeadingLevel::H3).then(|| text.clone());
                    if let Some(c) = &current {
                        assert!(!sections.contains_key(c), "heading `{c}` appears twice");
                        sections.insert(c.clone(), Vec::new());
                    }
                }
            }
            Event::Start(Tag::TableRow) | Event::Start(Tag::TableHead) => first_cell_of_row = true,
            Event::Start(Tag::TableCell) if first_cell_of_row => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => {
                if let (Some(c), Some(sec)) = (cell.take(), &current) {
                    sections.get_mut(sec).unwrap().push(c);
                }
                first_cell_of_row = false;
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, h)) = &mut heading {
                    h.push_str(&t);
                }
                if let Some(c) = &mut cell {
                    c.push_str(&t);
                }
            }
            _ => {}
        }
    }
    sections
}

#[test]
fn dictionary_covers_every_table_and_column() {
    for case in all_cases() {
        let path = dictionary_path(&case.docs);
        let sections = dictionary_sections(text_of(&case, &path));
        for t in &case.schema.tables {
            let q = t.qualified();
            let matching: Vec<&String> = sections.keys().filter(|h| h.ends_with(&format!(" {q}"))).collect();
            assert_eq!(matching.len(), 1, "{}/{path}: table {q} has {} sections", case.name, matching.len());
            let cells = &sections[matching[0]];
            for c in &t.columns {
                assert!(
                    cells.contains(&c.name),
                    "{}/{path}: column {q}.{} is not in its table's section",
                    case.name,
                    c.name
                );
            }
            for ck in &t.checks {
                let text = text_of(&case, &path);
                assert!(text.contains(&format!("`{}`", ck.name)), "{}/{path}: check {} missing", case.name, ck.name);
            }
        }
    }
}

// --------------------------------------------------------------- Mermaid --

/// The ```mermaid blocks of a Markdown document.
fn mermaid_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(lang))) if lang.as_ref() == "mermaid" => {
                current = Some(String::new())
            }
            Event::Text(t) => {
                if let Some(c) = &mut current {
                    c.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some(c) = current.take() {
                    blocks.push(c);
                }
            }
            _ => {}
        }
    }
    blocks
}

fn mermaid_word(w: &str) -> bool {
    !w.is_empty()
        && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !w.starts_with(|c: char| c.is_ascii_digit())
}

fn mermaid_quoted(s: &str) -> bool {
    s.len() >= 2 && s.starts_with('"') && s.ends_with('"') && !s[1..s.len() - 1].contains('"')
}

/// A strict reading of the `erDiagram` subset dddc writes: entity blocks of
/// `TYPE NAME [KEYS] ["comment"]` lines and `A OP B : "label"` lines, every
/// endpoint declared. Returns (entities, relationships).
fn parse_mermaid(block: &str) -> Result<(usize, usize), String> {
    let mut lines = block.lines();
    if lines.next() != Some("erDiagram") {
        return Err("does not start with `erDiagram`".into());
    }
    let mut entities: BTreeSet<String> = BTreeSet::new();
    let mut relations = Vec::new();
    let mut in_entity = false;
    for line in lines {
        let l = line.trim();
        if in_entity {
            if l == "}" {
                in_entity = false;
                continue;
            }
            let (head, comment) = match l.find('"') {
                Some(i) => (l[..i].trim_end(), Some(&l[i..])),
                None => (l, None),
            };
            if let Some(c) = comment {
                if !mermaid_quoted(c) {
                    return Err(format!("bad comment in `{l}`"));
                }
            }
            let Some((ty, rest)) = head.split_once(' ') else {
                return Err(format!("attribute without a name: `{l}`"));
            };
            let (name, keys) = rest.split_once(' ').unwrap_or((rest, ""));
            let words = (ty, name);
            if !mermaid_word(words.0) || !mermaid_word(words.1) {
                return Err(format!("bad attribute type or name: `{l}`"));
            }
            if ["PK", "FK", "UK"].contains(&words.1.to_ascii_uppercase().as_str()) {
                return Err(format!("attribute named like a key: `{l}`"));
            }
            if !keys.is_empty() && !keys.split(", ").all(|k| ["PK", "FK", "UK"].contains(&k)) {
                return Err(format!("bad keys `{keys}` in `{l}`"));
            }
            continue;
        }
        if l.is_empty() {
            continue;
        }
        if let Some(name) = l.strip_suffix(" {") {
            if !mermaid_word(name) {
                return Err(format!("bad entity name `{name}`"));
            }
            if !entities.insert(name.to_string()) {
                return Err(format!("entity `{name}` declared twice"));
            }
            in_entity = true;
            continue;
        }
        let (ends, label) = l.split_once(" : ").ok_or_else(|| format!("neither entity nor relationship: `{l}`"))?;
        if !mermaid_quoted(label) {
            return Err(format!("label not quoted: `{l}`"));
        }
        let parts: Vec<&str> = ends.split(' ').collect();
        let [a, op, b] = parts.as_slice() else {
            return Err(format!("bad relationship `{l}`"));
        };
        let op_ok = op.len() == 6
            && ["|o", "||", "}o", "}|"].contains(&&op[..2])
            && ["--", ".."].contains(&&op[2..4])
            && ["o|", "||", "o{", "|{"].contains(&&op[4..]);
        if !op_ok {
            return Err(format!("bad cardinality `{op}`"));
        }
        relations.push((a.to_string(), b.to_string()));
    }
    if in_entity {
        return Err("unterminated entity".into());
    }
    for (a, b) in &relations {
        for end in [a, b] {
            if !entities.contains(end) {
                return Err(format!("relationship names undeclared entity `{end}`"));
            }
        }
    }
    Ok((entities.len(), relations.len()))
}

#[test]
fn mermaid_blocks_parse() {
    for case in all_cases() {
        let path = model_doc_path(&case.docs);
        let blocks = mermaid_blocks(text_of(&case, &path));
        assert!(case.docs.mermaid, "{}: the cases turn Mermaid on", case.name);
        assert_eq!(blocks.len(), case.model.contexts.len(), "{}: one block per context", case.name);
        for (i, b) in blocks.iter().enumerate() {
            let ctx = &case.model.contexts[i].name;
            let (entities, _) =
                parse_mermaid(b).unwrap_or_else(|e| panic!("{}/{path}, block {ctx}: {e}\n{b}", case.name));
            let tables = case.schema.tables.iter().filter(|t| &t.schema == ctx).count();
            assert!(entities >= tables, "{}: block {ctx} draws {entities} entities for {tables} tables", case.name);
        }
    }
}

#[test]
fn mermaid_parser_rejects_junk() {
    assert!(parse_mermaid("erDiagram\n    a_b {\n        INT id PK\n    }\n").is_ok());
    assert!(parse_mermaid("graph TD\n").is_err());
    assert!(parse_mermaid("erDiagram\n    a {\n        VARCHAR(3) x\n    }\n").is_err());
    assert!(parse_mermaid("erDiagram\n    a {\n        INT x PK\n    }\n    a ||--o{ b : \"x\"\n").is_err());
    assert!(parse_mermaid("erDiagram\n    a {\n        INT x\n    }\n    a ||->o{ a : \"x\"\n").is_err());
    assert!(parse_mermaid("erDiagram\n    a {\n        INT x\n    }\n    a ||--o{ a : x\n").is_err());
}

// -------------------------------------------------------------- pictures --

/// What a standalone SVG picture draws: box titles, and each line's
/// `from → to` (its tooltip).
fn svg_boxes_and_lines(svg: &str) -> (BTreeSet<String>, BTreeSet<(String, String)>) {
    let unescape = |s: &str| {
        s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
    };
    let mut boxes = BTreeSet::new();
    for part in svg.split("<text class=\"tt\"").skip(1) {
        let text = part.split_once('>').and_then(|(_, r)| r.split_once("</text>")).map(|(t, _)| t).unwrap_or("");
        boxes.insert(unescape(text));
    }
    let mut lines = BTreeSet::new();
    for part in svg.split("<g class=\"rel\"><title>").skip(1) {
        let tip = unescape(part.split_once("</title>").map_or("", |(t, _)| t));
        let ends = tip.split_once(": ").map_or(tip.as_str(), |(e, _)| e).to_string();
        if let Some((from, to)) = ends.split_once(" → ") {
            lines.insert((from.to_string(), to.to_string()));
        }
    }
    (boxes, lines)
}

/// Every table of a context is a box of its picture, and every foreign key
/// a line from the referencing table to the referenced one.
#[test]
fn every_table_and_foreign_key_is_in_the_picture() {
    for case in all_cases() {
        for ctx in &case.model.contexts {
            let path = erd_path(&ctx.name).replace(".puml", ".svg");
            let svg = text_of(&case, &path);
            assert!(svg.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns="), "{}/{path}", case.name);
            let (boxes, lines) = svg_boxes_and_lines(svg);
            for t in case.schema.tables.iter().filter(|t| t.schema == ctx.name) {
                assert!(boxes.contains(&t.qualified()), "{}/{path}: {} is not drawn", case.name, t.qualified());
                for fk in &t.foreign_keys {
                    let target = format!("{}.{}", fk.ref_schema, fk.ref_table);
                    assert!(
                        lines.contains(&(t.qualified(), target.clone())),
                        "{}/{path}: foreign key {} of {} → {target} is not drawn",
                        case.name,
                        fk.name,
                        t.qualified()
                    );
                }
            }
        }
        let overview = text_of(&case, "docs/erd/overview.svg");
        let (boxes, _) = svg_boxes_and_lines(overview);
        for a in &case.model.aggregates {
            assert!(boxes.contains(&a.name), "{}: aggregate {} is not in the overview", case.name, a.name);
        }
    }
}

/// The model document shows the pictures, not just links to PlantUML
/// sources.
#[test]
fn the_model_document_embeds_the_pictures() {
    let case = mitoga();
    let doc = text_of(&case, &model_doc_path(&case.docs));
    assert!(doc.contains("![Diagrama ER general](erd/overview.svg)"), "{doc}");
    for c in &case.model.contexts {
        assert!(doc.contains(&format!("![Diagrama ER {0}](erd/{0}.svg)", c.name)), "{}", c.name);
    }
}

/// A context of `n` aggregates, as the benches generate them.
fn aggregates_in_one_context(n: usize) -> String {
    let mut s = String::from("model big {\n  tables plural_en\n  defaults { soft_delete }\n}\n\nvalue Money {\n  amount: decimal(12, 2)\n  currency: char(3)\n  invariant positive: amount >= 0\n}\n\n/// The only context.\ncontext ctx0 {\n  enum Status0 { DRAFT ACTIVE CLOSED }\n");
    for a in 0..n {
        let prev = if a > 0 { format!("    previous: ref Item0x{}?\n", a - 1) } else { String::new() };
        s.push_str(&format!(
            "  /// Aggregate {a}.\n  aggregate Item0x{a} {{\n    name: text(100)\n    code: text(20) unique\n    status: Status0 = DRAFT\n    price: Money\n    quantity: int = 0\n    notes: text?\n    due: date?\n{prev}    entity Line{a} {{\n      amount: decimal(10, 2)\n      invariant positive: amount > 0\n    }}\n    invariant closed_has_due: status == CLOSED implies due is not null\n    index (status, name)\n  }}\n"
        ));
    }
    s.push_str("}\n");
    s
}

/// PlantUML cuts a PNG at 4096 pixels (its default `PLANTUML_LIMIT_SIZE`)
/// and says nothing: drawn at full size, a context of 24 aggregates is
/// 6,200 × 7,806 (50 aggregates, which this test drew until the
/// thirty-ninth session, about 13,000 × 16,000, and took 15 s a render).
/// `scale max 4096*4096` shrinks it to fit, so the PNG holds the whole
/// diagram: below the limit on both sides (a cut picture is exactly 4096 on
/// the side it was cut).
#[test]
fn a_large_context_is_not_cut_off_by_plantuml() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("big.ddd");
    std::fs::write(&root, aggregates_in_one_context(24)).unwrap();
    let case = load(&root, english());
    let puml = text_of(&case, "docs/erd/ctx0.puml");
    assert!(puml.contains("\nscale max 4096*4096\n"));
    std::fs::write(dir.path().join("ctx0.puml"), puml).unwrap();
    // Without the scale, PlantUML cuts it: the check below can fail. Both
    // renders run at once (the JVM and the layout take seconds each).
    std::fs::write(dir.path().join("uncut.puml"), puml.replace("scale max 4096*4096\n", "")).unwrap();
    let uncut = std::thread::scope(|s| {
        let uncut = s.spawn(|| plantuml(&["-tpng", "uncut.puml"], dir.path()));
        let out = plantuml(&["-tpng", "ctx0.puml"], dir.path());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        uncut.join().expect("the uncut render")
    });
    let png = std::fs::read(dir.path().join("ctx0.png")).expect("no PNG written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && &png[12..16] == b"IHDR", "not a PNG");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let (w, h) = (be(&png[16..20]), be(&png[20..24]));
    assert!(w < 4096 && h < 4096, "the PNG is {w}×{h}: cut at PlantUML's limit");
    assert!(uncut.status.success(), "{}", String::from_utf8_lossy(&uncut.stderr));
    let png = std::fs::read(dir.path().join("uncut.png")).unwrap();
    assert_eq!((be(&png[16..20]), be(&png[20..24])), (4096, 4096), "PlantUML's limit moved: revisit the scale");
}

/// The links of a page's side navigation.
fn nav_links(page: &str) -> Vec<String> {
    let start = page.find("<nav class=\"side\"").expect("a navigation");
    let end = start + page[start..].find("</nav>").expect("its end");
    page[start..end].split("href=\"").skip(1).map(|l| l[..l.find('"').expect("a quote")].to_string()).collect()
}

/// A large model's site grows with the model, not with its square: a page's
/// navigation lists at most 100 contexts and 200 aggregates (its own
/// context's, when the model has more), where every page listed every
/// aggregate (319 MB of site at 2,000 aggregates, 127 KB of each page).
/// 260 aggregates in 130 contexts: past both bounds. A small model's pages
/// still list everything (the snapshots of MiToga's index).
#[test]
fn a_large_sites_navigation_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let shape = genmodel::Shape { per_context: 2, ..genmodel::Shape::new(260, 4) };
    for f in genmodel::ddd(&shape) {
        let path = dir.path().join(&f.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, f.text).unwrap();
    }
    let case = load(&dir.path().join("model.ddd"), english());
    let pages: BTreeMap<&str, &str> = case
        .outputs
        .iter()
        .filter_map(|o| Some((o.path.to_str()?.strip_prefix("docs/site/")?, std::str::from_utf8(&o.bytes).ok()?)))
        .filter(|(p, _)| p.ends_with(".html"))
        .collect();
    // The home page, the design review, a page per context and per aggregate.
    assert_eq!(pages.len(), 2 + 130 + 260, "{:?}", pages.keys().take(5).collect::<Vec<_>>());
    for (file, page) in &pages {
        let links = nav_links(page);
        assert!(links.len() <= 3 + 100 + 200, "{file}: {} links", links.len());
        for l in &links {
            assert!(pages.contains_key(l.as_str()), "{file}: {l} is not a page");
        }
    }
    // An aggregate's page: its context and that context's aggregates.
    let links = nav_links(pages["aggregate-ctx007-item15.html"]);
    for l in ["index.html", "context-ctx007.html", "aggregate-ctx007-item14.html", "aggregate-ctx007-item15.html"] {
        assert!(links.contains(&l.to_string()), "{l} missing: {links:?}");
    }
    assert!(!links.iter().any(|l| l.contains("ctx006")), "{links:?}");
    assert!(
        pages["aggregate-ctx007-item15.html"].contains("href=\"aggregate-ctx007-item15.html\" aria-current=\"page\"")
    );
    // The home page lists them all in its content.
    for file in pages.keys().filter(|f| f.starts_with("context-") || f.starts_with("aggregate-")) {
        assert!(pages["index.html"].contains(&format!("href=\"{file}\"")), "the home page has no link to {file}");
    }
}

// ---------------------------------------------------------- one language --

/// Characters that end a phrase: punctuation, Markdown and table syntax.
const BREAKS: &[char] = &[
    '\n', '\r', '\t', '|', '*', '#', '>', '<', '[', ']', '(', ')', ',', '.', ';', ':', '!', '?', '¿', '¡', '"', '\'',
    '«', '»', '·', '→', '…', '{', '}', '=', '/', '\\', '`',
];

/// What a reader sees of a generated file, as phrases: code (Markdown code
/// spans and blocks, HTML `<code>`, SQL) dropped — names and SQL are the
/// same in every language —, tags dropped, entities decoded; of a
/// migration, only the comments it writes into the database.
fn phrases_of(path: &str, text: &str) -> Vec<String> {
    let mut plain = String::new();
    if path.ends_with(".css") || path.ends_with("site.js") {
        // The site's look and behaviour: code, shown to no one.
    } else if path.ends_with("search.js") {
        // The search index: the kinds' names and the "nothing found" line
        // are the generator's; names and details are the model's.
        let json = text.split_once(" = ").map_or("", |(_, j)| j.trim_end().trim_end_matches(';'));
        let index: serde_json::Value = serde_json::from_str(json).expect("search.js holds JSON");
        for kind in index["kinds"].as_array().expect("kinds") {
            plain.push_str(kind.as_str().unwrap_or(""));
            plain.push('\n');
        }
        plain.push_str(index["no_results"].as_str().unwrap_or(""));
    } else if path.ends_with(".sql") {
        // `COMMENT ON … IS '…';`
        for part in text.split(" IS '").skip(1) {
            let mut literal = String::new();
            let mut chars = part.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '\'' {
                    if chars.peek() == Some(&'\'') {
                        chars.next();
                        literal.push('\'');
                        continue;
                    }
                    break;
                }
                literal.push(c);
            }
            plain.push_str(&literal);
            plain.push('\n');
        }
    } else if path.ends_with(".html") || path.ends_with(".svg") {
        let mut rest = text;
        while let Some(i) = rest.find('<') {
            plain.push_str(&rest[..i]);
            plain.push('\n');
            let tail = &rest[i..];
            let skip_to = if tail.starts_with("<code") {
                tail.find("</code>").map(|e| e + "</code>".len())
            } else {
                tail.find('>').map(|e| e + 1)
            };
            rest = &tail[skip_to.unwrap_or(tail.len())..];
        }
        plain.push_str(rest);
        plain = plain
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&#x27;", "'")
            .replace("&amp;", "&");
    } else {
        let mut in_fence = false;
        // PlantUML's directives are code.
        let directive = |l: &str| ["hide ", "set ", "skinparam ", "scale "].iter().any(|d| l.starts_with(d));
        for line in text.lines().filter(|l| !(path.ends_with(".puml") && directive(l))) {
            if line.trim_start().starts_with("```") {
                in_fence = !in_fence;
                continue;
            }
            if in_fence {
                continue;
            }
            // Code spans go, with what they hold.
            for (i, part) in line.split('`').enumerate() {
                if i % 2 == 0 {
                    plain.push_str(part);
                }
                plain.push(' ');
            }
            plain.push('\n');
        }
    }
    plain.split(BREAKS).map(|p| p.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|p| !p.is_empty()).collect()
}

/// A phrase that reads as a sentence: at least three words of letters
/// with a lower-case one (`UPDATE`, `updated_at`, `VARCHAR` are not words
/// of a language).
fn is_sentence(phrase: &str) -> bool {
    let words = phrase
        .split_whitespace()
        .filter(|w| w.chars().all(|c| c.is_alphabetic() || c == '-') && w.chars().any(char::is_lowercase))
        .count();
    words >= 3
}

/// The English phrases of `english` found, whole, in `spanish`, unless
/// the model itself wrote them (`model_text`).
fn english_in_spanish(english: &[String], spanish: &BTreeSet<String>, model_text: &str) -> BTreeSet<String> {
    english
        .iter()
        .filter(|p| is_sentence(p) && spanish.contains(*p) && !model_text.contains(p.as_str()))
        .cloned()
        .collect()
}

/// Every doc comment and `@allow` reason of the model, as phrases.
fn model_phrases(model: &Model) -> String {
    let mut texts: Vec<String> = Vec::new();
    let mut doc = |d: &Option<String>, allows: &[dddc::model::Allow]| {
        texts.extend(d.clone());
        texts.extend(allows.iter().map(|a| a.reason.clone()));
    };
    doc(&model.doc, &model.allows);
    for c in &model.contexts {
        doc(&c.doc, &c.allows);
    }
    for e in &model.enums {
        doc(&e.doc, &e.allows);
        for v in &e.values {
            doc(&v.doc, &[]);
        }
    }
    for v in &model.values {
        doc(&v.doc, &v.allows);
        if let dddc::model::ValueShape::Fields { fields, invariants } = &v.shape {
            fields.iter().for_each(|f| doc(&f.doc, &f.allows));
            invariants.iter().for_each(|i| doc(&i.doc, &i.allows));
        }
    }
    for a in &model.aggregates {
        for e in a.root.walk() {
            doc(&e.doc, &e.allows);
            e.fields.iter().for_each(|f| doc(&f.doc, &f.allows));
            e.invariants.iter().for_each(|i| doc(&i.doc, &i.allows));
            e.indexes.iter().for_each(|i| doc(&i.doc, &i.allows));
        }
        if let Some(ev) = &a.events {
            doc(&ev.doc, &ev.allows);
            ev.names.iter().for_each(|n| doc(&n.doc, &[]));
        }
    }
    for r in &model.roles {
        doc(&r.doc, &[]);
    }
    for p in &model.publications {
        doc(&p.doc, &[]);
    }
    // A doc's lines are one text to its readers (joined), its code spans
    // are dropped as in the documents.
    let without_code = |t: &String| t.split('`').step_by(2).collect::<Vec<_>>().join(" ").replace('\n', " ");
    texts
        .iter()
        .map(without_code)
        .collect::<Vec<_>>()
        .join("\n")
        .split(BREAKS)
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Everything `dddc build` writes for MiToga in `language`, site on.
fn build_outputs(language: Language) -> (Model, Vec<Output>) {
    let dir = manifest().join("examples/mitoga");
    let mut config = dddc::config::load_config(&dir).unwrap();
    config.docs = Docs { language, html: true, mermaid: true, ..config.docs };
    let root = dir.join(config.model.as_deref().unwrap_or("mitoga.ddd"));
    let fe = dddc::frontend(&root, &root).unwrap();
    let model = fe.model.unwrap();
    let plan = dddc::build::plan(&model, &dddc::build::Inputs::new(&config, &dir)).unwrap_or_else(|e| panic!("{e:?}"));
    (model, plan.outputs)
}

fn phrases_of_outputs(outputs: &[Output]) -> Vec<String> {
    outputs
        .iter()
        .filter(|o| !o.path.to_string_lossy().contains("dddc."))
        .flat_map(|o| phrases_of(&o.path.to_string_lossy(), &String::from_utf8_lossy(&o.bytes)))
        .collect()
}

/// A Spanish build (documents, pictures, site, and the comments of its
/// migration) holds none of the sentences the same build writes in English,
/// except the model's own: every sentence of the generator is translated,
/// including the comments lowering writes into the database.
#[test]
fn a_spanish_build_holds_no_english_sentence_of_the_generator() {
    let (model, english) = build_outputs(Language::En);
    let (_, spanish) = build_outputs(Language::Es);
    let english = phrases_of_outputs(&english);
    let spanish: BTreeSet<String> = phrases_of_outputs(&spanish).into_iter().collect();
    let model_text = model_phrases(&model);
    let found = english_in_spanish(&english, &spanish, &model_text);
    assert!(
        found.is_empty(),
        "English sentences in the Spanish build:\n{}",
        found.into_iter().collect::<Vec<_>>().join("\n")
    );

    // The check sees what it must: the English build has sentences, and
    // one of them slipped into a Spanish text is caught.
    let sentences: BTreeSet<&String> = english.iter().filter(|p| is_sentence(p)).collect();
    assert!(sentences.len() > 100, "too few English sentences found: {sentences:?}");
    let known = "Sets updated_at on every UPDATE";
    assert!(english.iter().any(|p| p == known), "the timestamps function's comment is not among {sentences:?}");
    let mut slipped = spanish.clone();
    slipped.extend(phrases_of("x.sql", &format!("COMMENT ON FUNCTION f() IS '{known} (BEFORE UPDATE trigger).';")));
    assert_eq!(english_in_spanish(&english, &slipped, &model_text), BTreeSet::from([known.to_string()]));
}

// -------------------------------------------------------------- templates --

#[test]
fn templates_can_be_overridden_by_file_name() {
    let case = mitoga();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tpl")).unwrap();
    std::fs::write(
        dir.path().join("tpl/erd_overview.puml.j2"),
        "@startuml\ntitle {{ model }} ({{ contexts|length }} contexts)\n@enduml\n",
    )
    .unwrap();
    let docs = Docs { templates: Some("tpl".into()), ..case.docs.clone() };
    let out = dddc::docs::generate(&case.model, &case.schema, &docs, dir.path()).unwrap();
    let overview = out.iter().find(|o| o.path == Path::new("docs/erd/overview.puml")).unwrap();
    assert_eq!(overview.bytes, b"@startuml\ntitle mitoga (5 contexts)\n@enduml\n");
    // The others are the built-in ones.
    let reservas = out.iter().find(|o| o.path == Path::new("docs/erd/reservas.puml")).unwrap();
    assert_eq!(reservas.bytes, text_of(&case, "docs/erd/reservas.puml").as_bytes());

    // The partial a context's diagram includes, overridden alone: every
    // context's diagram uses it (the diagrams are written in Rust only
    // while none of their templates is the project's).
    std::fs::write(dir.path().join("tpl/erd_entity.puml.j2"), "  ' a box for {{ e.name }}\n").unwrap();
    let out = dddc::docs::generate(&case.model, &case.schema, &docs, dir.path()).unwrap();
    let reservas = out.iter().find(|o| o.path == Path::new("docs/erd/reservas.puml")).unwrap();
    let reservas = String::from_utf8(reservas.bytes.clone()).unwrap();
    assert!(reservas.contains("  ' a box for reservas.reservas\n"), "{reservas}");
    assert!(!reservas.contains("  entity \""), "{reservas}");
    std::fs::remove_file(dir.path().join("tpl/erd_entity.puml.j2")).unwrap();
    // The context's own template overridden: used for every context.
    std::fs::write(dir.path().join("tpl/erd_context.puml.j2"), "@startuml\ntitle {{ context }}\n@enduml\n").unwrap();
    let out = dddc::docs::generate(&case.model, &case.schema, &docs, dir.path()).unwrap();
    let reservas = out.iter().find(|o| o.path == Path::new("docs/erd/reservas.puml")).unwrap();
    assert_eq!(reservas.bytes, b"@startuml\ntitle reservas\n@enduml\n");
    std::fs::remove_file(dir.path().join("tpl/erd_context.puml.j2")).unwrap();

    // Strict undefined: a misspelt variable is an error, not an empty string.
    std::fs::write(dir.path().join("tpl/erd_overview.puml.j2"), "{{ modle }}\n").unwrap();
    let err = dddc::docs::generate(&case.model, &case.schema, &docs, dir.path()).unwrap_err();
    assert!(err.contains("erd_overview.puml.j2"), "{err}");

    // A file that overrides nothing is a typo, reported.
    std::fs::remove_file(dir.path().join("tpl/erd_overview.puml.j2")).unwrap();
    std::fs::write(dir.path().join("tpl/erd_overveiw.puml.j2"), "x").unwrap();
    let err = dddc::docs::generate(&case.model, &case.schema, &docs, dir.path()).unwrap_err();
    assert!(err.contains("erd_overveiw.puml.j2") && err.contains("erd_overview.puml.j2"), "{err}");

    // A missing folder too.
    let docs = Docs { templates: Some("nope".into()), ..case.docs.clone() };
    assert!(dddc::docs::generate(&case.model, &case.schema, &docs, dir.path()).is_err());
}

// --------------------------------------------------------------- diffs --

/// Adding one field to a model adds exactly one line to its context's ERD
/// (stable ordering: nothing else moves).
#[test]
fn one_field_is_one_erd_line() {
    let src = std::fs::read_to_string(manifest().join("tests/models/identities.ddd")).unwrap();
    let anchor = "    label: text(40)\n";
    assert!(src.contains(anchor));
    let changed = src.replacen(anchor, &format!("{anchor}    weight_grams: int?\n"), 1);
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let before = load(&write("before.ddd", &src), english());
    let after = load(&write("after.ddd", &changed), english());
    let a = text_of(&before, "docs/erd/catalog.puml");
    let b = text_of(&after, "docs/erd/catalog.puml");
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    assert_eq!(b.len(), a.len() + 1);
    let added: Vec<&&str> = b.iter().filter(|l| !a.contains(l)).collect();
    assert_eq!(added, [&"    weight_grams : INTEGER"]);
    let i = b.iter().position(|l| *l == "    weight_grams : INTEGER").unwrap();
    let mut without = b.clone();
    without.remove(i);
    assert_eq!(without, a);
}

// ------------------------------------------------------------- snapshots --

/// Snapshots of every document and picture, and of the site's first page
/// (the other pages are the same templates over the same views; the
/// browser test reads them all).
fn snapshot_all(case: &Case) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(true);
    settings.bind(|| {
        let site_page = |p: &str| p.starts_with("docs/site/") && p != "docs/site/index.html";
        for o in case.outputs.iter().filter(|o| !site_page(&o.path.to_string_lossy())) {
            let path = o.path.to_string_lossy().replace(['/', '.'], "_");
            insta::assert_snapshot!(format!("{}__{path}", case.name), String::from_utf8(o.bytes.clone()).unwrap());
        }
    });
}

#[test]
fn snapshots_mitoga() {
    snapshot_all(&mitoga());
}

#[test]
fn snapshots_english_model() {
    snapshot_all(&load(&manifest().join("tests/models/tenancy_audit.ddd"), english()));
}

/// `docs/migrations.md` holds the lock table as the code has it
/// (`UPDATE_DOCS=1` rewrites it).
#[test]
fn the_lock_table_in_the_docs_is_current() {
    let path = manifest().join("docs/migrations.md");
    let text = std::fs::read_to_string(&path).expect("docs/migrations.md");
    let begin = text.find("<!-- locks:begin").expect("a locks:begin marker");
    let begin = begin + text[begin..].find('\n').expect("end of the marker line") + 1;
    let end = text.find("<!-- locks:end -->").expect("a locks:end marker");
    let table = dddc::migrate::locks::markdown_table();
    if text[begin..end] != table {
        if std::env::var("UPDATE_DOCS").as_deref() == Ok("1") {
            std::fs::write(&path, format!("{}{table}{}", &text[..begin], &text[end..])).expect("write");
            return;
        }
        panic!("docs/migrations.md has an old lock table: run the test with UPDATE_DOCS=1\n\nexpected:\n{table}");
    }
}

/// `docs/configuration.md` holds the table of every `dddc.toml` key with
/// the code's defaults (`UPDATE_DOCS=1` rewrites it), and the table names
/// every key serde accepts: asked for an unknown key, serde lists the
/// known ones, section by section.
#[test]
fn the_configuration_keys_in_the_docs_are_current() {
    let keys = dddc::config::documented_keys();
    for section in ["", "migrations", "docs", "lint"] {
        let probe =
            if section.is_empty() { "zz_unknown = 1\n".to_string() } else { format!("[{section}]\nzz_unknown = 1\n") };
        let err = toml::from_str::<dddc::config::Config>(&probe).expect_err("an unknown key is an error").to_string();
        let accepted: BTreeSet<String> =
            err.split("expected ").nth(1).unwrap_or("").split('`').skip(1).step_by(2).map(String::from).collect();
        assert!(!accepted.is_empty(), "no key list in `{err}`");
        let documented: BTreeSet<String> = keys.iter().filter(|k| k.0 == section).map(|k| k.1.to_string()).collect();
        let tables: BTreeSet<String> = ["migrations", "docs", "lint"].iter().map(|t| t.to_string()).collect();
        let accepted: BTreeSet<String> = if section.is_empty() { &accepted - &tables } else { accepted };
        assert_eq!(documented, accepted, "[{section}]: documented keys and the keys dddc.toml accepts");
    }
    // Every example is a value dddc.toml accepts, and not the default.
    for (section, key, default, example, _) in &keys {
        let text = if section.is_empty() {
            format!("{key} = {example}\n")
        } else {
            format!("[{section}]\n{key} = {example}\n")
        };
        let config: dddc::config::Config = toml::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_ne!(config, dddc::config::Config::default(), "{text}: the example is the default ({default})");
    }
    let mut table = String::from("| Key | Default | Example | What it does |\n|---|---|---|---|\n");
    for (section, key, default, example, description) in &keys {
        let name = if section.is_empty() { key.to_string() } else { format!("{section}.{key}") };
        table.push_str(&format!("| `{name}` | `{default}` | `{example}` | {description} |\n"));
    }
    let path = manifest().join("docs/configuration.md");
    let text = std::fs::read_to_string(&path).expect("docs/configuration.md");
    let begin = text.find("<!-- keys:begin").expect("a keys:begin marker");
    let begin = begin + text[begin..].find('\n').expect("end of the marker line") + 1;
    let end = text.find("<!-- keys:end -->").expect("a keys:end marker");
    if text[begin..end] != table {
        if std::env::var("UPDATE_DOCS").as_deref() == Ok("1") {
            std::fs::write(&path, format!("{}{table}{}", &text[..begin], &text[end..])).expect("write");
            return;
        }
        panic!("docs/configuration.md has an old table of keys: run the test with UPDATE_DOCS=1\n\nexpected:\n{table}");
    }
}
