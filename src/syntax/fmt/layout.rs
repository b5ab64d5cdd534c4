//! AST → layout tree: what each declaration prints as, and where its pieces
//! are in the source. A [`Node`] is either one line or a block (a header line
//! ending in `{`, child nodes, a closing `}`); `render` then places comments
//! and blank lines around them by source position.

use super::expr::{expr_to_string, quote_string};
use crate::diagnostics::Span;
use crate::syntax::ast::*;

/// One item of the output, with the byte range it came from.
pub(super) struct Node<'a> {
    pub start: usize,
    pub end: usize,
    pub doc: Option<&'a Doc>,
    /// A declaration that takes `///` docs (a field, an enum, …), as opposed
    /// to a setting such as `target` or `soft_delete`.
    pub documentable: bool,
    pub group: Group,
    pub kind: Kind<'a>,
}

pub(super) enum Kind<'a> {
    Line(String),
    Block {
        /// The header without its `{`.
        header: String,
        /// Byte offsets of the `{` and of the `}`.
        open: usize,
        close: usize,
        children: Vec<Node<'a>>,
    },
}

/// What decides the blank lines that are always there (see the module doc of
/// `fmt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Group {
    Include,
    /// Any other top-level declaration, and items that are not blocks.
    Plain,
    /// Contexts, aggregates and entities: a blank line on each side.
    Spaced,
}

pub(super) fn file<'a>(text: &str, file: &'a SourceFile) -> Vec<Node<'a>> {
    let l = Layout { text };
    file.items.iter().map(|item| l.top_item(item)).collect()
}

struct Layout<'t> {
    text: &'t str,
}

impl Layout<'_> {
    fn top_item<'a>(&self, item: &'a TopItem) -> Node<'a> {
        match item {
            TopItem::Include(inc) => Node {
                start: inc.span.start as usize,
                end: inc.span.end as usize,
                doc: None,
                documentable: false,
                group: Group::Include,
                kind: Kind::Line(format!("include {}", quote_string(&inc.path, '"'))),
            },
            TopItem::Model(m) => self.model(m),
            TopItem::Context(c) => self.context(c),
            TopItem::Enum(e) => self.enum_decl(e),
            TopItem::Value(v) => self.value_decl(v),
            TopItem::Role(r) => self.role(r),
            TopItem::Publication(p) => publication(p),
        }
    }

    /// A block node; `header_end` is where the header's last piece ends (the
    /// `{` is searched from there).
    fn block<'a>(
        &self,
        span: Span,
        doc: Option<&'a Doc>,
        group: Group,
        header: String,
        header_end: usize,
        children: Vec<Node<'a>>,
    ) -> Node<'a> {
        let (start, end) = (span.start as usize, span.end as usize);
        let close = if end > 0 && self.text.as_bytes().get(end - 1) == Some(&b'}') { end - 1 } else { end };
        let open = open_brace(self.text, header_end.max(start), close);
        Node {
            start,
            end,
            doc,
            documentable: header != "defaults",
            group,
            kind: Kind::Block { header, open, close, children },
        }
    }

    fn model<'a>(&self, m: &'a Model) -> Node<'a> {
        let children = m.items.iter().map(|i| self.model_item(i)).collect();
        let mut header = format!("model {}", m.name.name);
        push_annotations(&mut header, &m.annotations);
        let header_end = ends([Some(m.name.span)], &m.annotations);
        self.block(m.span, m.doc.as_ref(), Group::Plain, header, header_end, children)
    }

    fn model_item<'a>(&self, item: &'a ModelItem) -> Node<'a> {
        match item {
            ModelItem::Target { database, version, version_span, span } => {
                line(*span, format!("target {} {}", database.name, self.int(*version_span, *version as u64)))
            }
            ModelItem::Tables { rule, span } => line(*span, format!("tables {}", rule.name)),
            ModelItem::Extensions { names, span } => {
                line(*span, format!("extensions {}", join(names.iter().map(|n| n.name.clone()))))
            }
            ModelItem::Defaults { settings, span } => {
                let children = settings
                    .iter()
                    .map(|s| {
                        let no = if s.negated { "no " } else { "" };
                        line(s.span, format!("{no}{}", s.name.name))
                    })
                    .collect();
                let header_end = span.start as usize + "defaults".len();
                self.block(*span, None, Group::Plain, "defaults".into(), header_end, children)
            }
            ModelItem::AuditLog { table, range, span } => {
                let mut s = format!("audit_log {}", table.text());
                push_range(&mut s, range.as_ref());
                line(*span, s)
            }
            ModelItem::Role(r) => self.role(r),
            ModelItem::Publication(p) => publication(p),
            ModelItem::Context(c) => self.context(c),
            ModelItem::Enum(e) => self.enum_decl(e),
            ModelItem::Value(v) => self.value_decl(v),
        }
    }

    fn context<'a>(&self, c: &'a Context) -> Node<'a> {
        let children = c
            .items
            .iter()
            .map(|item| match item {
                ContextItem::TenantBy { column, span } => line(*span, format!("tenant by {}", column.name)),
                ContextItem::Enum(e) => self.enum_decl(e),
                ContextItem::Value(v) => self.value_decl(v),
                ContextItem::Aggregate(a) => self.aggregate(a),
            })
            .collect();
        let mut header = format!("context {}", c.name.name);
        push_annotations(&mut header, &c.annotations);
        let header_end = ends([Some(c.name.span)], &c.annotations);
        self.block(c.span, c.doc.as_ref(), Group::Spaced, header, header_end, children)
    }

    fn enum_decl<'a>(&self, e: &'a EnumDecl) -> Node<'a> {
        let children = e
            .values
            .iter()
            .map(|v| {
                let mut s = v.name.name.clone();
                push_annotations(&mut s, &v.annotations);
                Node { doc: v.doc.as_ref(), documentable: true, ..line(v.span, s) }
            })
            .collect();
        let mut header = format!("enum {}", e.name.name);
        if e.native.is_some() {
            header.push_str(" native");
        }
        push_annotations(&mut header, &e.annotations);
        let header_end = ends([Some(e.name.span), e.native], &e.annotations);
        self.block(e.span, e.doc.as_ref(), Group::Plain, header, header_end, children)
    }

    fn value_decl<'a>(&self, v: &'a ValueDecl) -> Node<'a> {
        let mut header = format!("value {}", v.name.name);
        push_annotations(&mut header, &v.annotations);
        match &v.body {
            ValueBody::Single { ty, check } => {
                header.push_str(": ");
                header.push_str(&self.type_expr(ty));
                if let Some(check) = check {
                    header.push_str(" check ");
                    header.push_str(&expr_to_string(check));
                }
                Node { doc: v.doc.as_ref(), documentable: true, ..line(v.span, header) }
            }
            ValueBody::Fields(items) => {
                let children = items
                    .iter()
                    .map(|item| match item {
                        ValueItem::Field(f) => self.field(f),
                        ValueItem::Invariant(i) => invariant(i),
                    })
                    .collect();
                let header_end = ends([Some(v.name.span)], &v.annotations);
                self.block(v.span, v.doc.as_ref(), Group::Plain, header, header_end, children)
            }
        }
    }

    fn aggregate<'a>(&self, a: &'a Aggregate) -> Node<'a> {
        let mut header = format!("aggregate {}", a.name.name);
        if let Some(t) = &a.table_as {
            header.push_str(" as ");
            header.push_str(&t.name);
        }
        push_annotations(&mut header, &a.annotations);
        let header_end = ends([Some(a.name.span), a.table_as.as_ref().map(|t| t.span)], &a.annotations);
        let children = a.items.iter().map(|i| self.aggregate_item(i)).collect();
        self.block(a.span, a.doc.as_ref(), Group::Spaced, header, header_end, children)
    }

    fn entity<'a>(&self, e: &'a Entity) -> Node<'a> {
        let mut header = format!("entity {}", e.name.name);
        if let Some(t) = &e.table_as {
            header.push_str(" as ");
            header.push_str(&t.name);
        }
        if e.one.is_some() {
            header.push_str(" one");
        }
        push_annotations(&mut header, &e.annotations);
        let header_end = ends([Some(e.name.span), e.table_as.as_ref().map(|t| t.span), e.one], &e.annotations);
        let children = e.items.iter().map(|i| self.aggregate_item(i)).collect();
        self.block(e.span, e.doc.as_ref(), Group::Spaced, header, header_end, children)
    }

    fn aggregate_item<'a>(&self, item: &'a AggregateItem) -> Node<'a> {
        match item {
            AggregateItem::Field(f) => self.field(f),
            AggregateItem::Flag(f) => {
                let no = if f.negated { "no " } else { "" };
                line(f.span, format!("{no}{}", f.name.name))
            }
            AggregateItem::ExpectedRows { text, span, .. } => line(*span, format!("expected_rows {text}")),
            AggregateItem::Key { columns, span } => {
                line(*span, format!("key ({})", join(columns.iter().map(|c| c.name.clone()))))
            }
            AggregateItem::Invariant(i) => invariant(i),
            AggregateItem::Index(i) => index(i),
            AggregateItem::Entity(e) => self.entity(e),
            AggregateItem::Events(e) => self.events(e),
            AggregateItem::Partition(p) => line(p.span, self.partition(p)),
            AggregateItem::Search(s) => {
                let items = s.items.iter().map(|i| match i.weight {
                    Some((w, _)) => format!("{} {w}", i.path.text()),
                    None => i.path.text(),
                });
                line(s.span, format!("search {} ({})", s.config.name, join(items)))
            }
        }
    }

    fn field<'a>(&self, f: &'a Field) -> Node<'a> {
        let mut s = format!("{}: {}", f.name.name, self.type_expr(&f.ty));
        if let Some(d) = &f.default {
            s.push_str(" = ");
            s.push_str(&expr_to_string(d));
        }
        if f.unique.is_some() {
            s.push_str(" unique");
        }
        if f.indexed.is_some() {
            s.push_str(" indexed");
        }
        push_annotations(&mut s, &f.annotations);
        Node { doc: f.doc.as_ref(), documentable: true, ..line(f.span, s) }
    }

    fn type_expr(&self, ty: &TypeExpr) -> String {
        match ty {
            TypeExpr::Named(t) => {
                let mut s = t.name.text();
                if !t.args.is_empty() {
                    let args = t.args.iter().map(|&(n, span)| self.int(span, n));
                    s.push_str(&format!("({})", join(args)));
                }
                if t.array {
                    s.push_str("[]");
                }
                if t.optional {
                    s.push('?');
                }
                match t.flag {
                    Some((TypeFlag::Identity, _)) => s.push_str(" identity"),
                    Some((TypeFlag::V7, _)) => s.push_str(" v7"),
                    None => {}
                }
                s
            }
            TypeExpr::Ref(r) => {
                let mut s = format!("ref {}", r.target.text());
                if r.optional {
                    s.push('?');
                }
                if let Some((action, _)) = r.on_delete {
                    s.push_str(" on delete ");
                    s.push_str(action.words());
                }
                if let Some((action, _)) = r.on_update {
                    s.push_str(" on update ");
                    s.push_str(action.words());
                }
                if r.loose.is_some() {
                    s.push_str(" loose");
                }
                s
            }
        }
    }

    fn events<'a>(&self, e: &'a Events) -> Node<'a> {
        let mut header = "events".to_string();
        if e.outbox.is_some() {
            header.push_str(" outbox");
        }
        if let Some(t) = &e.table_as {
            header.push_str(" as ");
            header.push_str(&t.name);
        }
        push_range(&mut header, e.range.as_ref());
        push_annotations(&mut header, &e.annotations);
        let keyword_end = Span { end: e.span.start + "events".len() as u32, ..e.span };
        let header_end = ends(
            [Some(keyword_end), e.outbox, e.table_as.as_ref().map(|t| t.span), e.range.map(|r| r.span)],
            &e.annotations,
        );
        let children = e
            .names
            .iter()
            .map(|n| Node { doc: n.doc.as_ref(), documentable: true, ..line(n.name.span, n.name.name.clone()) })
            .collect();
        self.block(e.span, e.doc.as_ref(), Group::Plain, header, header_end, children)
    }

    fn partition(&self, p: &Partition) -> String {
        let column = &p.column.name;
        match &p.kind {
            PartitionKind::Range { range } => {
                let mut s = format!("partition by range ({column})");
                push_range(&mut s, range.as_ref());
                s
            }
            PartitionKind::List { parts } => {
                let parts: Vec<String> = parts
                    .iter()
                    .map(|part| {
                        let values = join(part.values.iter().map(expr_to_string));
                        if part.values.len() == 1 {
                            format!("{}: {values}", part.name.name)
                        } else {
                            format!("{}: ({values})", part.name.name)
                        }
                    })
                    .collect();
                if parts.is_empty() {
                    format!("partition by list ({column}) {{}}")
                } else {
                    format!("partition by list ({column}) {{ {} }}", parts.join(", "))
                }
            }
            PartitionKind::Hash { modulus, modulus_span } => {
                format!("partition by hash ({column}) into {}", self.int(*modulus_span, *modulus as u64))
            }
        }
    }

    fn role<'a>(&self, r: &'a Role) -> Node<'a> {
        let children = r
            .grants
            .iter()
            .map(|g| {
                let verb = if g.write { "write" } else { "read" };
                let names = join(g.contexts.iter().map(|c| c.name.clone()));
                line(g.span, format!("{verb} {names}"))
            })
            .collect();
        self.block(
            r.span,
            r.doc.as_ref(),
            Group::Plain,
            format!("role {}", r.name.name),
            r.name.span.end as usize,
            children,
        )
    }

    /// An integer as the user wrote its digits (the parsed value saturates on
    /// overflow; the digits keep what was meant).
    fn int(&self, span: Span, value: u64) -> String {
        match self.text.get(span.range()) {
            Some(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.to_string(),
            _ => value.to_string(),
        }
    }
}

fn line<'a>(span: Span, text: String) -> Node<'a> {
    Node {
        start: span.start as usize,
        end: span.end as usize,
        doc: None,
        documentable: false,
        group: Group::Plain,
        kind: Kind::Line(text),
    }
}

fn publication(p: &Publication) -> Node<'_> {
    let items = join(p.items.iter().map(|i| i.text()));
    let text = if p.items.is_empty() {
        format!("publication {} {{}}", p.name.name)
    } else {
        format!("publication {} {{ {items} }}", p.name.name)
    };
    Node { doc: p.doc.as_ref(), documentable: true, ..line(p.span, text) }
}

fn invariant(i: &Invariant) -> Node<'_> {
    let mut s = format!("invariant {}", i.name.name);
    push_annotations(&mut s, &i.annotations);
    s.push_str(": ");
    s.push_str(&expr_to_string(&i.expr));
    Node { doc: i.doc.as_ref(), documentable: true, ..line(i.span, s) }
}

fn index(i: &IndexDecl) -> Node<'_> {
    let mut s = String::from(if i.unique { "unique" } else { "index" });
    if let Some(m) = &i.method {
        s.push_str(" using ");
        s.push_str(&m.name);
    }
    s.push_str(&format!(" ({})", join(i.items.iter().map(expr_to_string))));
    if let Some(w) = &i.where_clause {
        s.push_str(" where ");
        s.push_str(&expr_to_string(w));
    }
    if i.including_deleted.is_some() {
        s.push_str(" including deleted");
    }
    push_annotations(&mut s, &i.annotations);
    Node { doc: i.doc.as_ref(), documentable: true, ..line(i.span, s) }
}

fn push_annotations(s: &mut String, annotations: &[Annotation]) {
    for a in annotations {
        s.push_str(" @");
        s.push_str(&a.name.name);
        if !a.args.is_empty() {
            s.push_str(&format!("({})", join(a.args.iter().map(expr_to_string))));
        }
    }
}

fn push_range(s: &mut String, range: Option<&MonthRange>) {
    if let Some(r) = range {
        s.push_str(&format!(" monthly from {} to {}", month(&r.from), month(&r.to)));
    }
}

fn month(m: &Month) -> String {
    format!("{:04}-{:02}", m.year, m.month)
}

fn join(parts: impl Iterator<Item = String>) -> String {
    parts.collect::<Vec<_>>().join(", ")
}

/// The end of the last of a header's pieces.
fn ends<const N: usize>(spans: [Option<Span>; N], annotations: &[Annotation]) -> usize {
    spans.into_iter().flatten().chain(annotations.iter().map(|a| a.span)).map(|s| s.end as usize).max().unwrap_or(0)
}

/// The `{` that opens a block: the first one after `from` that is not in a
/// comment (only blanks, comments and `)` can stand between a header's last
/// piece and its brace). Falls back to `limit`.
fn open_brace(text: &str, from: usize, limit: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = from;
    while i < limit.min(bytes.len()) {
        match bytes[i] {
            b'{' => return i,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            _ => i += 1,
        }
    }
    limit
}
