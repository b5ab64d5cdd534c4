//! The search box's index: `search.js`, one entry per context, aggregate,
//! entity, table, column, enum (and value), value object and invariant,
//! each with the link to its place in the site. A script file rather than
//! JSON, because a page opened from the disk (`file://`) may load a script
//! next to it but not fetch a file; the page's script builds the results
//! with text nodes only, so no name can become markup.

use serde::Serialize;

use super::super::dictionary::{DictionaryView, EnumView};
use super::super::labels::Labels;
use super::super::markdown::summary;
use super::super::model_doc::{InvariantView, ModelDocView, ValueView};
use super::super::text::html_id;

/// The kinds of entry, in the order of `kinds` in the index (an entry
/// holds its kind's position).
#[derive(Clone, Copy)]
enum Kind {
    Context,
    Aggregate,
    Entity,
    Table,
    Column,
    Enum,
    EnumValue,
    Value,
    Invariant,
}

#[derive(Serialize)]
struct Index<'a> {
    /// Each kind's name in the page's language.
    kinds: [&'a str; 9],
    no_results: &'a str,
    /// `[kind, name, detail, link]`.
    entries: Vec<(usize, String, String, String)>,
}

/// Characters of a doc comment's first sentence kept as an entry's detail.
const DETAIL: usize = 90;

/// `url(kind, name)` of the site.
pub type Url<'a> = &'a dyn Fn(&str, &str) -> Option<String>;

/// The script: `window.DDDC_SEARCH = {…};`.
pub fn script(model: &ModelDocView<'_>, dictionary: &DictionaryView<'_>, t: &Labels, url: Url<'_>) -> String {
    let mut entries = Vec::new();
    let mut push = |kind: Kind, name: String, detail: String, link: Option<String>| {
        if let Some(link) = link {
            entries.push((kind as usize, name, detail, link));
        }
    };
    let doc = |d: &Option<String>| d.as_deref().map(|d| summary(d, DETAIL)).unwrap_or_default();
    let enums = |push: &mut dyn FnMut(Kind, String, String, Option<String>), e: &EnumView| {
        let link = url("enum", &e.name);
        push(Kind::Enum, e.name.clone(), doc(&e.doc), link.clone());
        for v in &e.values {
            push(Kind::EnumValue, format!("{}.{}", e.name, v.name), doc(&v.doc), link.clone());
        }
    };
    let values = |push: &mut dyn FnMut(Kind, String, String, Option<String>), v: &ValueView| {
        push(Kind::Value, v.name.clone(), doc(&v.doc), url("value", &v.name));
    };
    for e in &model.kernel_enums {
        enums(&mut push, e);
    }
    for v in &model.kernel_values {
        values(&mut push, v);
    }
    for c in &model.contexts {
        push(Kind::Context, c.name.clone(), doc(&c.doc), url("context", &c.name));
        for e in &c.enums {
            enums(&mut push, e);
        }
        for v in &c.values {
            values(&mut push, v);
        }
        for a in &c.aggregates {
            let path = format!("{}.{}", c.name, a.name);
            let page = url("aggregate", &path);
            push(Kind::Aggregate, path.clone(), doc(&a.doc), page.clone());
            let at = |anchor: String| page.as_ref().map(|p| format!("{p}#{anchor}"));
            let invariants =
                |push: &mut dyn FnMut(Kind, String, String, Option<String>), owner: &str, list: &[InvariantView]| {
                    for i in list {
                        let anchor = format!("i-{}-{}", html_id(owner), i.name);
                        push(Kind::Invariant, format!("{owner}.{}", i.name), i.source.clone(), at(anchor));
                    }
                };
            invariants(&mut push, &a.name, &a.invariants);
            for e in &a.entities {
                push(
                    Kind::Entity,
                    format!("{}.{}", c.name, e.path),
                    doc(&e.doc),
                    at(format!("e-{}", html_id(&e.path))),
                );
                invariants(&mut push, &e.path, &e.invariants);
            }
        }
    }
    for c in &dictionary.contexts {
        for tb in &c.tables {
            let link = url("table", &tb.name);
            push(Kind::Table, tb.name.clone(), doc(&tb.doc), link.clone());
            for col in &tb.columns {
                let anchor = link.as_ref().map(|l| format!("{l}-{}", col.name));
                push(Kind::Column, format!("{}.{}", tb.name, col.name), col.ty.clone(), anchor);
            }
        }
    }
    let index = Index {
        kinds: [t.context, t.aggregate, t.entity, t.table, t.column, t.enum_word, t.value, t.value_object, t.invariant],
        no_results: t.site_no_results,
        entries,
    };
    let json = serde_json::to_string(&index).unwrap_or_else(|_| "{}".into());
    format!("// {}\nwindow.DDDC_SEARCH = {};\n", t.generated_puml, script_safe(&json))
}

/// JSON that stays data inside any script context: `<`, `>`, `&` and the
/// two line separators JavaScript once rejected, as `\u` escapes (only
/// ever inside JSON strings, where they mean the same).
fn script_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_cannot_close_a_script() {
        let json = serde_json::to_string(&["</script><b>&\u{2028}"]).unwrap_or_default();
        let safe = script_safe(&json);
        assert!(!safe.contains('<') && !safe.contains('>') && !safe.contains('&'));
        let back: Vec<String> = serde_json::from_str(&safe).unwrap_or_default();
        assert_eq!(back, ["</script><b>&\u{2028}"]);
    }
}
