//! Documentation outputs: PlantUML ERDs, the data dictionary, the model
//! document and, on request, a static HTML page — all computed from the
//! model and its lowered schema, offline, without touching the disk (except
//! to read template overrides).
//!
//! The steps, one module each:
//!
//! 1. [`catalog`] — which model declaration each table stores, and the
//!    relationships between tables with their cardinality.
//! 2. Views — plain serializable structs, one per document: [`erd`] (context
//!    diagrams, the overview, and the Mermaid blocks), [`dictionary`],
//!    [`model_doc`], [`html`]. Every word that is not the model's comes from
//!    [`labels`] (English or Spanish).
//! 3. [`templates`] — minijinja templates from `templates/docs/`, embedded,
//!    addressed by [`TemplateId`], rendered with strict undefined; a project
//!    may override any of them by file name.
//!
//! Output is deterministic: everything is ordered as the model and the
//! schema are, and no output depends on the date, the machine or hash order.

mod catalog;
mod dictionary;
mod erd;
mod html;
mod labels;
mod model_doc;
mod templates;
mod text;

use std::path::{Path, PathBuf};

use crate::config::Docs;
use crate::model::Model;
use crate::output::Output;
use crate::relational::Schema;

pub use templates::TemplateId;

/// Every documentation file, paths relative to the project folder (under
/// `config.dir`): `erd/<context>.puml` per context, `erd/overview.puml`, the
/// data dictionary and the model document (file names in the configured
/// language), and `index.html` when `html` is on. `project_dir` only
/// resolves `config.templates`.
pub fn generate(model: &Model, schema: &Schema, config: &Docs, project_dir: &Path) -> Result<Vec<Output>, String> {
    let t = labels::for_language(config.language);
    let overrides = config.templates.as_ref().map(|d| project_dir.join(d));
    let templates = templates::Templates::load(overrides.as_deref())?;
    let cat = catalog::Catalog::new(model, schema);
    let dir = PathBuf::from(&config.dir);
    let mut out = Vec::new();
    let mut push = |path: String, text: String| {
        out.push(Output { path: dir.join(path), bytes: text.into_bytes() });
    };
    for c in &model.contexts {
        let view = erd::context_view(&cat, &c.name, t);
        push(erd_file(&c.name), templates.render(TemplateId::ErdContext, &view)?);
    }
    let overview = erd::overview_view(&cat, t);
    push(OVERVIEW_ERD.into(), templates.render(TemplateId::ErdOverview, &overview)?);
    let dictionary = dictionary::view(&cat, t, t.model_file);
    let dictionary_md = templates.render(TemplateId::DataDictionary, &dictionary)?;
    let model_view = model_doc::view(&cat, t, t.dictionary_file, config.mermaid);
    let model_md = templates.render(TemplateId::DataModel, &model_view)?;
    if config.html {
        let docs = [
            html::Document { id: "model", file: t.model_file, markdown: &model_md },
            html::Document { id: "dictionary", file: t.dictionary_file, markdown: &dictionary_md },
        ];
        let title = format!("{}: {} · {}", model.name, t.model_doc_title, t.dictionary_title);
        let page = html::view(t, title, &docs);
        push("index.html".into(), templates.render(TemplateId::IndexHtml, &page)?);
    }
    push(t.dictionary_file.into(), dictionary_md);
    push(t.model_file.into(), model_md);
    Ok(out)
}

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
