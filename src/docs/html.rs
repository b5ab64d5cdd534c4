//! `docs/index.html`: the Markdown documents rendered into one static page
//! with pulldown-cmark, headings given the ids code hosts give them (each
//! document's prefixed, so both can hold the same heading), links between
//! the documents turned into links inside the page, and a table of
//! contents.

use std::collections::{BTreeMap, BTreeSet};

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag, TagEnd};
use serde::Serialize;

use super::labels::Labels;
use super::text;

/// One Markdown document going into the page.
pub struct Document<'a> {
    /// Id of its section, prefix of its heading ids.
    pub id: &'a str,
    /// Its file name, as other documents link to it.
    pub file: &'a str,
    pub markdown: &'a str,
}

#[derive(Debug, Serialize)]
pub struct HtmlView<'t> {
    pub t: &'t Labels,
    pub title: String,
    pub toc: Vec<TocEntry>,
    pub sections: Vec<Section>,
}

#[derive(Debug, Serialize)]
pub struct TocEntry {
    pub level: u8,
    pub id: String,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct Section {
    pub id: String,
    /// Rendered HTML.
    pub body: String,
}

/// Headings up to this level are listed in the table of contents.
const TOC_DEPTH: u8 = 3;

pub fn view<'t>(t: &'t Labels, title: String, docs: &[Document<'_>]) -> HtmlView<'t> {
    let mut toc = Vec::new();
    let mut sections = Vec::new();
    for doc in docs {
        let body = render(doc, docs, &mut toc);
        sections.push(Section { id: doc.id.to_string(), body });
    }
    HtmlView { t, title, toc, sections }
}

fn render(doc: &Document<'_>, docs: &[Document<'_>], toc: &mut Vec<TocEntry>) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut events: Vec<Event<'_>> = Vec::new();
    let mut heading: Option<(u8, Vec<Event<'_>>)> = None;
    let mut slugs = Slugs::default();
    for event in Parser::new_ext(doc.markdown, options) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => heading = Some((level as u8, Vec::new())),
            Event::End(TagEnd::Heading(_)) => {
                let Some((level, inner)) = heading.take() else {
                    continue;
                };
                let plain: String = inner
                    .iter()
                    .filter_map(|e| match e {
                        Event::Text(s) | Event::Code(s) => Some(s.as_ref()),
                        _ => None,
                    })
                    .collect();
                let id = format!("{}-{}", doc.id, slugs.next(&text::slug(&plain)));
                let mut inner_html = String::new();
                html::push_html(&mut inner_html, inner.into_iter());
                events.push(Event::Html(CowStr::from(format!("<h{level} id=\"{id}\">{inner_html}</h{level}>\n"))));
                if level <= TOC_DEPTH {
                    toc.push(TocEntry { level, id, text: plain });
                }
            }
            Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                let dest_url = CowStr::from(rewrite_link(&dest_url, doc, docs));
                let link = Event::Start(Tag::Link { link_type, dest_url, title, id });
                match &mut heading {
                    Some((_, inner)) => inner.push(link),
                    None => events.push(link),
                }
            }
            other => match &mut heading {
                Some((_, inner)) => inner.push(other),
                None => events.push(other),
            },
        }
    }
    let mut out = String::new();
    html::push_html(&mut out, events.into_iter());
    out
}

/// `#anchor` → this document's prefixed id; `other.md#anchor` → the other
/// document's; `other.md` → its section. Anything else is kept.
fn rewrite_link(dest: &str, doc: &Document<'_>, docs: &[Document<'_>]) -> String {
    if let Some(anchor) = dest.strip_prefix('#') {
        return format!("#{}-{anchor}", doc.id);
    }
    let (file, anchor) = match dest.split_once('#') {
        Some((f, a)) => (f, Some(a)),
        None => (dest, None),
    };
    match docs.iter().find(|d| d.file == file) {
        Some(target) => match anchor {
            Some(a) => format!("#{}-{a}", target.id),
            None => format!("#{}", target.id),
        },
        None => dest.to_string(),
    }
}

/// Unique heading anchors the way GitHub makes them: `x`, `x-1`, `x-2`…
#[derive(Default)]
struct Slugs {
    seen: BTreeMap<String, usize>,
    used: BTreeSet<String>,
}

impl Slugs {
    fn next(&mut self, base: &str) -> String {
        let mut n = self.seen.get(base).copied().unwrap_or(0);
        loop {
            let candidate = if n == 0 { base.to_string() } else { format!("{base}-{n}") };
            n += 1;
            if self.used.insert(candidate.clone()) {
                self.seen.insert(base.to_string(), n);
                return candidate;
            }
        }
    }
}
