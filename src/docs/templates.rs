//! The templates: files in `templates/docs/`, embedded in the binary,
//! addressed by [`TemplateId`], rendered by minijinja with strict undefined
//! (a misspelt variable is an error, not an empty string). `*.html.j2`
//! templates escape every value for HTML; only the `markdown` filters
//! (sanitised, see [`super::markdown`]) and the SVG diagrams are marked
//! safe. The site's stylesheet and script are [`Asset`]s, copied as they
//! are. A project may override any template or asset by file name with
//! `[docs] templates = "dir"`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior, Value};
use serde::Serialize;

use super::{markdown, text};

/// Every built-in template. The entry points are rendered by `generate`;
/// the others are included by them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateId {
    ErdContext,
    ErdOverview,
    ErdEntity,
    DataDictionary,
    DataDictionaryContext,
    DataModel,
    DataModelContext,
    Enum,
    Fields,
    ValueObject,
    MermaidErd,
    MermaidEntity,
    SiteLayout,
    SiteMacros,
    SiteIndex,
    SiteContext,
    SiteAggregate,
    SiteLint,
    SiteMigrations,
}

impl TemplateId {
    pub const ALL: [TemplateId; 19] = [
        TemplateId::ErdContext,
        TemplateId::ErdOverview,
        TemplateId::ErdEntity,
        TemplateId::DataDictionary,
        TemplateId::DataDictionaryContext,
        TemplateId::DataModel,
        TemplateId::DataModelContext,
        TemplateId::Enum,
        TemplateId::Fields,
        TemplateId::ValueObject,
        TemplateId::MermaidErd,
        TemplateId::MermaidEntity,
        TemplateId::SiteLayout,
        TemplateId::SiteMacros,
        TemplateId::SiteIndex,
        TemplateId::SiteContext,
        TemplateId::SiteAggregate,
        TemplateId::SiteLint,
        TemplateId::SiteMigrations,
    ];

    /// The file name, in `templates/docs/` and in an override folder.
    pub fn file_name(self) -> &'static str {
        match self {
            TemplateId::ErdContext => "erd_context.puml.j2",
            TemplateId::ErdOverview => "erd_overview.puml.j2",
            TemplateId::ErdEntity => "erd_entity.puml.j2",
            TemplateId::DataDictionary => "data_dictionary.md.j2",
            TemplateId::DataDictionaryContext => "data_dictionary_context.md.j2",
            TemplateId::DataModel => "data_model.md.j2",
            TemplateId::DataModelContext => "data_model_context.md.j2",
            TemplateId::Enum => "enum.md.j2",
            TemplateId::Fields => "fields.md.j2",
            TemplateId::ValueObject => "value_object.md.j2",
            TemplateId::MermaidErd => "mermaid_erd.md.j2",
            TemplateId::MermaidEntity => "mermaid_entity.md.j2",
            TemplateId::SiteLayout => "site_layout.html.j2",
            TemplateId::SiteMacros => "site_macros.html.j2",
            TemplateId::SiteIndex => "site_index.html.j2",
            TemplateId::SiteContext => "site_context.html.j2",
            TemplateId::SiteAggregate => "site_aggregate.html.j2",
            TemplateId::SiteLint => "site_lint.html.j2",
            TemplateId::SiteMigrations => "site_migrations.html.j2",
        }
    }

    fn builtin(self) -> &'static str {
        match self {
            TemplateId::ErdContext => include_str!("../../templates/docs/erd_context.puml.j2"),
            TemplateId::ErdOverview => include_str!("../../templates/docs/erd_overview.puml.j2"),
            TemplateId::ErdEntity => include_str!("../../templates/docs/erd_entity.puml.j2"),
            TemplateId::DataDictionary => {
                include_str!("../../templates/docs/data_dictionary.md.j2")
            }
            TemplateId::DataDictionaryContext => {
                include_str!("../../templates/docs/data_dictionary_context.md.j2")
            }
            TemplateId::DataModel => include_str!("../../templates/docs/data_model.md.j2"),
            TemplateId::DataModelContext => include_str!("../../templates/docs/data_model_context.md.j2"),
            TemplateId::Enum => include_str!("../../templates/docs/enum.md.j2"),
            TemplateId::Fields => include_str!("../../templates/docs/fields.md.j2"),
            TemplateId::ValueObject => include_str!("../../templates/docs/value_object.md.j2"),
            TemplateId::MermaidErd => include_str!("../../templates/docs/mermaid_erd.md.j2"),
            TemplateId::MermaidEntity => {
                include_str!("../../templates/docs/mermaid_entity.md.j2")
            }
            TemplateId::SiteLayout => include_str!("../../templates/docs/site_layout.html.j2"),
            TemplateId::SiteMacros => include_str!("../../templates/docs/site_macros.html.j2"),
            TemplateId::SiteIndex => include_str!("../../templates/docs/site_index.html.j2"),
            TemplateId::SiteContext => include_str!("../../templates/docs/site_context.html.j2"),
            TemplateId::SiteAggregate => include_str!("../../templates/docs/site_aggregate.html.j2"),
            TemplateId::SiteLint => include_str!("../../templates/docs/site_lint.html.j2"),
            TemplateId::SiteMigrations => include_str!("../../templates/docs/site_migrations.html.j2"),
        }
    }
}

/// A file of the site copied as it is, not rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asset {
    SiteCss,
    SiteJs,
}

impl Asset {
    pub const ALL: [Asset; 2] = [Asset::SiteCss, Asset::SiteJs];

    /// The file name, in `templates/docs/`, in an override folder and in
    /// the site.
    pub fn file_name(self) -> &'static str {
        match self {
            Asset::SiteCss => "site.css",
            Asset::SiteJs => "site.js",
        }
    }

    fn builtin(self) -> &'static str {
        match self {
            Asset::SiteCss => include_str!("../../templates/docs/site.css"),
            Asset::SiteJs => include_str!("../../templates/docs/site.js"),
        }
    }
}

/// The pages of the site, by kind (`table`, `aggregate`…) and name:
/// `url(kind, name)` in a template gives the link, relative to the site's
/// folder.
pub type Urls = BTreeMap<&'static str, BTreeMap<String, String>>;

pub struct Templates {
    env: Environment<'static>,
    assets: Vec<(Asset, String)>,
    /// The BLAKE3 of every template's name and source, as loaded: part of
    /// what a remembered diagram is keyed by ([`crate::memo`]).
    pub fingerprint: [u8; 32],
    /// The templates the project replaced.
    overridden: Vec<TemplateId>,
    /// What the `markdown` filters render with: also [`Templates::markdown`].
    memo: Arc<markdown::Memo>,
    /// How many steps a render may take while the project replaces any
    /// template (`[docs] template_steps`); the built-in ones end.
    steps: u64,
}

/// A filter of a text: any value, by its display form as a `String`
/// argument would take it, but a string without a copy first (the filters
/// run once or twice per column of every document).
fn text_filter(f: fn(&str) -> String) -> impl Fn(&Value) -> Result<String, Error> + Send + Sync + 'static {
    move |v: &Value| {
        if v.is_kwargs() {
            return Err(Error::new(ErrorKind::InvalidOperation, "cannot convert kwargs to string"));
        }
        Ok(match v.as_str() {
            Some(s) => f(s),
            None => f(&v.to_string()),
        })
    }
}

impl Templates {
    /// The built-in templates, each replaced by the file of the same name in
    /// `overrides` when there is one. A file there that names no template is
    /// an error (a typo would otherwise be ignored silently).
    pub fn load(overrides: Option<&Path>, steps: u64) -> Result<Templates, String> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_keep_trailing_newline(true);
        env.add_filter("code", text_filter(text::code));
        env.add_filter("cell", text_filter(text::cell));
        env.add_filter("inline", text_filter(text::inline));
        env.add_filter("anchor", text_filter(|s| text::slug(&text::heading_text(s))));
        env.add_filter("puml", text_filter(text::puml));
        env.add_filter("puml_quoted", text_filter(text::puml_quoted));
        env.add_filter("mermaid", text_filter(text::mermaid_text));
        env.add_filter("id", text_filter(text::html_id));
        let memo = Arc::new(markdown::Memo::default());
        let (block, inline) = (Arc::clone(&memo), Arc::clone(&memo));
        env.add_filter("markdown", move |s: String| Value::from_safe_string(block.html(&s, false)));
        env.add_filter("markdown_inline", move |s: String| Value::from_safe_string(inline.html(&s, true)));
        env.add_function("url", |_: &str, _: &str| -> Result<String, Error> {
            Err(Error::new(ErrorKind::InvalidOperation, "`url` is only known while the site is written"))
        });
        let mut replaced: Vec<(TemplateId, String)> = Vec::new();
        let mut assets: Vec<(Asset, String)> = Asset::ALL.iter().map(|a| (*a, a.builtin().to_string())).collect();
        if let Some(dir) = overrides {
            let entries = std::fs::read_dir(dir)
                .map_err(|e| format!("cannot read the templates folder `{}`: {e}", dir.display()))?;
            let mut files: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            files.sort();
            for path in files.iter().filter(|p| p.is_file()) {
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let read =
                    || std::fs::read_to_string(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()));
                if let Some(slot) = assets.iter_mut().find(|(a, _)| a.file_name() == name) {
                    slot.1 = read()?;
                    continue;
                }
                let Some(id) = TemplateId::ALL.into_iter().find(|t| t.file_name() == name) else {
                    let known: Vec<&str> = TemplateId::ALL
                        .iter()
                        .map(|t| t.file_name())
                        .chain(Asset::ALL.iter().map(|a| a.file_name()))
                        .collect();
                    return Err(format!(
                        "`{}` does not override any template (known: {})",
                        path.display(),
                        known.join(", ")
                    ));
                };
                replaced.push((id, read()?));
            }
        }
        let overridden: Vec<TemplateId> = replaced.iter().map(|(id, _)| *id).collect();
        if !overridden.is_empty() {
            // A template that loops 100,000 × 100,000 times hung `build`
            // for good: minijinja's fuel stops a render after so many steps.
            env.set_fuel(Some(steps));
        }
        let mut fingerprint = blake3::Hasher::new();
        for id in TemplateId::ALL {
            let source = match replaced.iter().position(|(r, _)| *r == id) {
                Some(i) => replaced.swap_remove(i).1,
                None => id.builtin().to_string(),
            };
            // A checkout with CRLF line endings must not change the output.
            let source = source.replace("\r\n", "\n");
            for part in [id.file_name(), source.as_str()] {
                fingerprint.update(&(part.len() as u64).to_le_bytes());
                fingerprint.update(part.as_bytes());
            }
            // The project's templates are compiled now, so that a mistake
            // in one is reported before anything is made; the built-in
            // ones when first rendered (below): most are written in Rust
            // ([`super::native`]) and never rendered by a release build,
            // and compiling all of them was 1.1-1.3 ms of a 15 ms check of
            // MiToga, before anything else of the documents could begin.
            if overridden.contains(&id) {
                env.add_template_owned(id.file_name(), source)
                    .map_err(|e| format!("template `{}`: {e:#}", id.file_name()))?;
            }
        }
        // A built-in template the project did not replace (those it did are
        // in the environment already, and are never asked of the loader).
        env.set_loader(|name| {
            Ok(TemplateId::ALL.into_iter().find(|t| t.file_name() == name).map(|t| t.builtin().replace("\r\n", "\n")))
        });
        Ok(Templates { env, assets, fingerprint: *fingerprint.finalize().as_bytes(), overridden, memo, steps })
    }

    /// Whether the project replaced `id`.
    pub fn is_overridden(&self, id: TemplateId) -> bool {
        self.overridden.contains(&id)
    }

    /// Whether the project replaced none of `ids`.
    pub fn replaces_none(&self, ids: &[TemplateId]) -> bool {
        !ids.iter().any(|id| self.is_overridden(*id))
    }

    /// An asset's text (the project's override, or the built-in one).
    pub fn asset(&self, asset: Asset) -> &str {
        self.assets.iter().find(|(a, _)| *a == asset).map_or("", |(_, text)| text.as_str())
    }

    /// What the `markdown` filter (`markdown_inline` when `inline`) gives
    /// of `text`, for what is written in Rust.
    pub fn markdown(&self, text: &str, inline: bool) -> String {
        self.memo.html(text, inline)
    }

    /// Makes `url(kind, name)` answer from `urls`; a name without a page is
    /// an error (a link that would go nowhere), not an empty link.
    pub fn set_urls(&mut self, urls: Urls) {
        let urls = Arc::new(urls);
        self.env.add_function("url", move |kind: &str, name: &str| -> Result<String, Error> {
            urls.get(kind)
                .and_then(|m| m.get(name))
                .cloned()
                .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, format!("no page for {kind} `{name}`")))
        });
    }

    /// Renders an entry-point template with `view` as its context.
    pub fn render<S: Serialize>(&self, id: TemplateId, view: &S) -> Result<String, String> {
        let template =
            self.env.get_template(id.file_name()).map_err(|e| format!("template `{}`: {e:#}", id.file_name()))?;
        template.render(view).map_err(|e| {
            if e.kind() == ErrorKind::OutOfFuel {
                format!(
                    "template `{}` took more than {} steps in one render and was stopped: does a loop in it never end? (a template that needs more: raise `[docs] template_steps` in dddc.toml)",
                    id.file_name(),
                    self.steps
                )
            } else {
                format!("template `{}`: {e:#}", id.file_name())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The built-in templates are compiled only when first rendered: each
    /// must compile (a release build may never render some of them).
    #[test]
    fn every_built_in_template_compiles() {
        let templates = Templates::load(None, crate::config::DEFAULT_TEMPLATE_STEPS).unwrap();
        for id in TemplateId::ALL {
            if let Err(e) = templates.env.get_template(id.file_name()) {
                panic!("{}: {e:#}", id.file_name());
            }
        }
        assert!(templates.env.get_template("no_such.md.j2").is_err());
    }

    /// The project's own templates are compiled when loaded: a mistake in
    /// one stops the run before anything is made, naming the file.
    #[test]
    fn a_broken_override_is_refused_when_loaded() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("enum.md.j2"), "{% if %}").unwrap();
        let Err(e) = Templates::load(Some(dir.path()), 1000) else { panic!("a broken template was loaded") };
        assert!(e.contains("template `enum.md.j2`") && e.contains("syntax error"), "{e}");
        // An override may extend a built-in template it did not replace:
        // the loader gives the built-in one when it is first asked for.
        std::fs::remove_file(dir.path().join("enum.md.j2")).unwrap();
        let page = "{% extends \"site_layout.html.j2\" %}{% block content %}<p>replaced</p>{% endblock %}";
        std::fs::write(dir.path().join("site_lint.html.j2"), page).unwrap();
        let templates = Templates::load(Some(dir.path()), 100_000).unwrap();
        assert!(templates.is_overridden(TemplateId::SiteLint) && !templates.is_overridden(TemplateId::SiteLayout));
        let t = super::super::labels::for_language(crate::config::Language::En);
        let view = minijinja::context! { t => t, model => "m", title => "T", nav => Vec::<()>::new(), here => "lint.html", migrations => false };
        let html = templates.render(TemplateId::SiteLint, &view).unwrap();
        assert!(
            html.starts_with("<!DOCTYPE html>") && html.contains("<main id=\"main\">\n<p>replaced</p></main>"),
            "{html}"
        );
    }
}
