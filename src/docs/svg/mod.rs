//! Entity-relationship diagrams laid out and drawn as SVG, in Rust, with
//! nothing but the standard library: the HTML site shows every ERD as a
//! picture without Java, a network or a JavaScript library, and the Markdown
//! documents embed the same pictures.
//!
//! The output depends on the input alone: no hash-map iteration, no clock,
//! no floating-point number is printed (every coordinate is an integer), and
//! text widths come from fixed monospace metrics (the SVG declares
//! `font-family="monospace"` and a fixed size, so the estimate holds in any
//! browser). The same [`Diagram`] gives the same bytes on any machine, so
//! `dddc check` can compare the pictures with the disk like any other file.
//!
//! Layout is layered (Sugiyama-style) and hierarchical: the nodes of a
//! [`Group`] are laid out as one block, framed and titled, and the blocks are
//! laid out the same way, with the edges between blocks threaded through
//! both levels. See `layout.rs` for the steps, `draw.rs` for the markup.
//!
//! [`render`] writes a standalone document (an image file); [`render_inline`]
//! writes an `<svg>` element to put in an HTML page, its ids prefixed so
//! that several diagrams can share a page, its look in [`stylesheet`]
//! instead of a `<style>` of its own (a page's content security policy
//! forbids inline styles).

mod draw;
mod layout;
#[cfg(test)]
mod tests;

/// What to draw. Input order is meaningful: it is the first guess of the
/// left-to-right order and breaks every tie.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagram {
    /// Drawn above the picture and used as the SVG's accessible name.
    pub title: String,
    pub groups: Vec<Group>,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

/// A titled frame drawn around its nodes (an aggregate, a bounded context).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Group {
    /// The frame's `id` attribute.
    pub id: String,
    pub label: String,
}

/// A table (or, in an overview, an aggregate) drawn as a box.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Node {
    /// The `id` of the node's `<g>`, and what [`Edge::from`] and [`Edge::to`]
    /// name. Ids should be unique; an edge names the first node with its id.
    pub id: String,
    /// The header: `reservas.reservas`.
    pub title: String,
    /// Below the title in italics: `raíz de agregado`.
    pub subtitle: Option<String>,
    /// An index into [`Diagram::groups`]; `None` (or an index out of range)
    /// draws the node outside any frame.
    pub group: Option<usize>,
    pub kind: NodeKind,
    /// The columns. Leading primary-key rows are set apart by a line.
    pub rows: Vec<Row>,
    /// Short lines in italics below the rows, set apart by a line (the
    /// traits of an aggregate in an overview).
    pub notes: Vec<String>,
    /// Wraps the node in a link. Only relative links and `http`, `https`
    /// and `mailto` are kept; any other scheme is dropped.
    pub href: Option<String>,
}

/// Sets the colour of the node's header band.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeKind {
    /// An aggregate root (or an aggregate, in an overview).
    #[default]
    Root,
    Entity,
    ValueList,
    Events,
    AuditLog,
    /// A table of another context (or aggregate): drawn as a stub with a
    /// dashed outline.
    External,
}

/// A column: `name  TYPE`, with its key mark.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Row {
    pub name: String,
    /// May be empty (a row that is only a name).
    pub ty: String,
    pub key: KeyMark,
    /// Drawn grey, with `?` after the type.
    pub nullable: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyMark {
    #[default]
    None,
    Pk,
    Fk,
    PkFk,
    Unique,
}

/// A relationship between two nodes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Edge {
    /// The referencing node (the one holding the foreign key, or the child);
    /// drawn below `to` whenever the graph allows. An edge to an unknown id
    /// is skipped.
    pub from: String,
    /// The referenced node (or the parent).
    pub to: String,
    /// The crow's-foot mark at `from`'s end, e.g. [`End::ZeroOrMany`].
    pub from_end: End,
    /// The mark at `to`'s end, e.g. [`End::One`].
    pub to_end: End,
    /// No foreign key behind the line (a loose reference, domain events).
    pub dashed: bool,
    pub label: Option<String>,
}

/// Crow's-foot cardinality at one end of an [`Edge`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum End {
    /// Exactly one: `||`.
    #[default]
    One,
    /// `o|`.
    ZeroOrOne,
    /// `}o`. (A mandatory "one or many" end never occurs: nothing in the
    /// language requires a child row.)
    ZeroOrMany,
}

/// Lays out and draws the diagram as a complete standalone SVG document
/// (XML declaration, one `<style>`, no script, no external reference): an
/// image file. The layout is taken from `layouts`, when given, if one was
/// made there of the same diagram but its links, and kept there if not.
pub fn render(d: &Diagram, layouts: Option<&Layouts>) -> String {
    draw::render(d, &draw::Embedding::Standalone, layouts)
}

/// The layouts of one run's diagrams, by everything they are laid out
/// from (the diagram without its title and its links): the site draws the
/// overview and each context's diagram again, with links, as the
/// documents drew them without, and laying out is two fifths of drawing
/// (a profile of MiToga's check: `laid_out` 4.7 % of the samples,
/// `draw::render` 12 %).
#[derive(Default)]
pub struct Layouts(std::sync::Mutex<std::collections::HashMap<[u8; 32], std::sync::Arc<draw::Laid>>>);

impl Layouts {
    fn get_or_make(&self, d: &Diagram, make: impl FnOnce() -> draw::Laid) -> std::sync::Arc<draw::Laid> {
        let key = layout_key(d);
        let lock = || self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(laid) = lock().get(&key) {
            return std::sync::Arc::clone(laid);
        }
        // Made without the lock: two threads may both make one, the same.
        let laid = std::sync::Arc::new(make());
        lock().insert(key, std::sync::Arc::clone(&laid));
        laid
    }
}

/// BLAKE3 of what a diagram is laid out from: its groups, its nodes but
/// their links, its edges. (`Hash` writes each text with a terminator, so
/// that no two diagrams write the same bytes.)
fn layout_key(d: &Diagram) -> [u8; 32] {
    use std::hash::Hash;
    struct Blake3(blake3::Hasher);
    impl std::hash::Hasher for Blake3 {
        fn write(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }
        fn finish(&self) -> u64 {
            0
        }
    }
    let mut h = Blake3(blake3::Hasher::new());
    d.groups.hash(&mut h);
    d.nodes.len().hash(&mut h);
    for n in &d.nodes {
        (&n.id, &n.title, &n.subtitle, n.group, n.kind, &n.rows, &n.notes).hash(&mut h);
    }
    d.edges.hash(&mut h);
    *h.0.finalize().as_bytes()
}

/// Lays out and draws the diagram as an `<svg class="erd">` element for an
/// HTML page: no XML declaration, no `<style>` (the page links
/// [`stylesheet`]), and every `id` prefixed with `id_prefix` and `-`;
/// `layouts` as [`render`] takes it.
pub fn render_inline(d: &Diagram, id_prefix: &str, layouts: Option<&Layouts>) -> String {
    draw::render(d, &draw::Embedding::Inline { id_prefix }, layouts)
}

/// The CSS the inline diagrams need, every selector scoped to
/// `svg.erd` so that it cannot restyle the rest of the page.
pub fn stylesheet() -> String {
    draw::css(Some("svg.erd"))
}
