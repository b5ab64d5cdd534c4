//! The templates: files in `templates/docs/`, embedded in the binary,
//! addressed by [`TemplateId`], rendered by minijinja with strict undefined
//! (a misspelt variable is an error, not an empty string). A project may
//! override any of them by file name with `[docs] templates = "dir"`.

use std::path::Path;

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use super::text;

/// Every built-in template. The entry points are rendered by `generate`;
/// the others are included by them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateId {
    ErdContext,
    ErdOverview,
    ErdEntity,
    DataDictionary,
    DataModel,
    Enum,
    Fields,
    ValueObject,
    MermaidErd,
    MermaidEntity,
    IndexHtml,
}

impl TemplateId {
    pub const ALL: [TemplateId; 11] = [
        TemplateId::ErdContext,
        TemplateId::ErdOverview,
        TemplateId::ErdEntity,
        TemplateId::DataDictionary,
        TemplateId::DataModel,
        TemplateId::Enum,
        TemplateId::Fields,
        TemplateId::ValueObject,
        TemplateId::MermaidErd,
        TemplateId::MermaidEntity,
        TemplateId::IndexHtml,
    ];

    /// The file name, in `templates/docs/` and in an override folder.
    pub fn file_name(self) -> &'static str {
        match self {
            TemplateId::ErdContext => "erd_context.puml.j2",
            TemplateId::ErdOverview => "erd_overview.puml.j2",
            TemplateId::ErdEntity => "erd_entity.puml.j2",
            TemplateId::DataDictionary => "data_dictionary.md.j2",
            TemplateId::DataModel => "data_model.md.j2",
            TemplateId::Enum => "enum.md.j2",
            TemplateId::Fields => "fields.md.j2",
            TemplateId::ValueObject => "value_object.md.j2",
            TemplateId::MermaidErd => "mermaid_erd.md.j2",
            TemplateId::MermaidEntity => "mermaid_entity.md.j2",
            TemplateId::IndexHtml => "index.html.j2",
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
            TemplateId::DataModel => include_str!("../../templates/docs/data_model.md.j2"),
            TemplateId::Enum => include_str!("../../templates/docs/enum.md.j2"),
            TemplateId::Fields => include_str!("../../templates/docs/fields.md.j2"),
            TemplateId::ValueObject => include_str!("../../templates/docs/value_object.md.j2"),
            TemplateId::MermaidErd => include_str!("../../templates/docs/mermaid_erd.md.j2"),
            TemplateId::MermaidEntity => {
                include_str!("../../templates/docs/mermaid_entity.md.j2")
            }
            TemplateId::IndexHtml => include_str!("../../templates/docs/index.html.j2"),
        }
    }
}

pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// The built-in templates, each replaced by the file of the same name in
    /// `overrides` when there is one. A file there that names no template is
    /// an error (a typo would otherwise be ignored silently).
    pub fn load(overrides: Option<&Path>) -> Result<Templates, String> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_keep_trailing_newline(true);
        env.add_filter("code", |s: String| text::code(&s));
        env.add_filter("cell", |s: String| text::cell(&s));
        env.add_filter("inline", |s: String| text::inline(&s));
        env.add_filter("anchor", |s: String| text::slug(&text::heading_text(&s)));
        env.add_filter("puml", |s: String| text::puml(&s));
        env.add_filter("puml_quoted", |s: String| text::puml_quoted(&s));
        env.add_filter("mermaid", |s: String| text::mermaid_text(&s));
        let mut replaced: Vec<(TemplateId, String)> = Vec::new();
        if let Some(dir) = overrides {
            let entries = std::fs::read_dir(dir)
                .map_err(|e| format!("cannot read the templates folder `{}`: {e}", dir.display()))?;
            let mut files: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            files.sort();
            for path in files.iter().filter(|p| p.is_file()) {
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let Some(id) = TemplateId::ALL.into_iter().find(|t| t.file_name() == name) else {
                    let known: Vec<&str> = TemplateId::ALL.iter().map(|t| t.file_name()).collect();
                    return Err(format!(
                        "`{}` does not override any template (known: {})",
                        path.display(),
                        known.join(", ")
                    ));
                };
                let source =
                    std::fs::read_to_string(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
                replaced.push((id, source));
            }
        }
        for id in TemplateId::ALL {
            let source = match replaced.iter().position(|(r, _)| *r == id) {
                Some(i) => replaced.swap_remove(i).1,
                None => id.builtin().to_string(),
            };
            // A checkout with CRLF line endings must not change the output.
            let source = source.replace("\r\n", "\n");
            env.add_template_owned(id.file_name(), source)
                .map_err(|e| format!("template `{}`: {e:#}", id.file_name()))?;
        }
        Ok(Templates { env })
    }

    /// Renders an entry-point template with `view` as its context.
    pub fn render<S: Serialize>(&self, id: TemplateId, view: &S) -> Result<String, String> {
        let template =
            self.env.get_template(id.file_name()).map_err(|e| format!("template `{}`: {e:#}", id.file_name()))?;
        template.render(view).map_err(|e| format!("template `{}`: {e:#}", id.file_name()))
    }
}
