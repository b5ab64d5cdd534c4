//! Declarations in the syntax tree, found by the span the model keeps for
//! them, and where an annotation is written on each: after what the
//! grammar puts between the name and the annotations (`as`, `one`,
//! `native`, a field's type and modifiers), after the annotations already
//! there.

use crate::diagnostics::{FileId, Span};
use crate::syntax::ast;

#[derive(Clone, Copy)]
pub enum Decl<'a> {
    Model(&'a ast::Model),
    Context(&'a ast::Context),
    Enum(&'a ast::EnumDecl),
    EnumValue(&'a ast::EnumValue),
    Value(&'a ast::ValueDecl),
    Aggregate(&'a ast::Aggregate),
    Entity(&'a ast::Entity),
    Field(&'a ast::Field),
    Invariant(&'a ast::Invariant),
    Index(&'a ast::IndexDecl),
    Events(&'a ast::Events),
}

impl<'a> Decl<'a> {
    pub fn annotations(&self) -> &'a [ast::Annotation] {
        match *self {
            Decl::Model(x) => &x.annotations,
            Decl::Context(x) => &x.annotations,
            Decl::Enum(x) => &x.annotations,
            Decl::EnumValue(x) => &x.annotations,
            Decl::Value(x) => &x.annotations,
            Decl::Aggregate(x) => &x.annotations,
            Decl::Entity(x) => &x.annotations,
            Decl::Field(x) => &x.annotations,
            Decl::Invariant(x) => &x.annotations,
            Decl::Index(x) => &x.annotations,
            Decl::Events(x) => &x.annotations,
        }
    }

    /// The whole declaration.
    pub fn extent(&self) -> Span {
        match *self {
            Decl::Model(x) => x.span,
            Decl::Context(x) => x.span,
            Decl::Enum(x) => x.span,
            Decl::EnumValue(x) => x.span,
            Decl::Value(x) => x.span,
            Decl::Aggregate(x) => x.span,
            Decl::Entity(x) => x.span,
            Decl::Field(x) => x.span,
            Decl::Invariant(x) => x.span,
            Decl::Index(x) => x.span,
            Decl::Events(x) => x.span,
        }
    }

    /// The offset where ` @annotation(…)` is inserted.
    pub fn annotation_point(&self) -> usize {
        let last = self.annotations().last().map(|a| a.span.end);
        let before = match *self {
            Decl::Model(x) => x.name.span.end,
            Decl::Context(x) => x.name.span.end,
            Decl::Enum(x) => x.native.map_or(x.name.span.end, |n| n.end),
            Decl::EnumValue(x) => x.name.span.end,
            Decl::Value(x) => x.name.span.end,
            Decl::Aggregate(x) => x.table_as.as_ref().map_or(x.name.span.end, |t| t.span.end),
            Decl::Entity(x) => {
                let after_as = x.table_as.as_ref().map_or(x.name.span.end, |t| t.span.end);
                x.one.map_or(after_as, |o| o.end.max(after_as))
            }
            // The whole field: its type, default and modifiers come first.
            Decl::Field(x) => x.span.end,
            Decl::Invariant(x) => x.name.span.end,
            Decl::Index(x) => x.span.end,
            Decl::Events(x) => {
                let keyword_end = x.span.start + "events".len() as u32;
                [x.outbox.map(|s| s.end), x.table_as.as_ref().map(|t| t.span.end), x.range.map(|r| r.span.end)]
                    .into_iter()
                    .flatten()
                    .max()
                    .unwrap_or(keyword_end)
            }
        };
        last.unwrap_or(before).max(before) as usize
    }
}

/// The innermost declaration whose extent holds `span`.
pub fn enclosing(files: &[(FileId, ast::SourceFile)], span: Span) -> Option<Decl<'_>> {
    let (_, file) = files.iter().find(|(f, _)| *f == span.file)?;
    let mut found: Option<Decl<'_>> = None;
    walk(file, &mut |d| {
        let e = d.extent();
        if e.start <= span.start && span.end <= e.end {
            // `walk` visits outer before inner: the last one holding it is
            // the innermost.
            found = Some(d);
        }
    });
    found
}

/// The declaration whose name is at `span` (an index or events block: whose
/// whole span it is), in the files of a project.
pub fn find(files: &[(FileId, ast::SourceFile)], span: Span) -> Option<Decl<'_>> {
    let (_, file) = files.iter().find(|(f, _)| *f == span.file)?;
    let mut found = None;
    let visit = |d: Decl<'_>| {
        let at = match d {
            Decl::Model(x) => x.name.span,
            Decl::Context(x) => x.name.span,
            Decl::Enum(x) => x.name.span,
            Decl::EnumValue(x) => x.name.span,
            Decl::Value(x) => x.name.span,
            Decl::Aggregate(x) => x.name.span,
            Decl::Entity(x) => x.name.span,
            Decl::Field(x) => x.name.span,
            Decl::Invariant(x) => x.name.span,
            Decl::Index(x) => x.span,
            Decl::Events(x) => x.span,
        };
        at == span
    };
    walk(file, &mut |d| {
        if found.is_none() && visit(d) {
            found = Some(d);
        }
    });
    found
}

/// Every declaration of a file, outer before inner.
pub fn walk<'a>(file: &'a ast::SourceFile, f: &mut dyn FnMut(Decl<'a>)) {
    for item in &file.items {
        match item {
            ast::TopItem::Model(m) => {
                f(Decl::Model(m));
                for mi in &m.items {
                    match mi {
                        ast::ModelItem::Context(c) => context(c, f),
                        ast::ModelItem::Enum(e) => enum_decl(e, f),
                        ast::ModelItem::Value(v) => value(v, f),
                        _ => {}
                    }
                }
            }
            ast::TopItem::Context(c) => context(c, f),
            ast::TopItem::Enum(e) => enum_decl(e, f),
            ast::TopItem::Value(v) => value(v, f),
            _ => {}
        }
    }
}

fn context<'a>(c: &'a ast::Context, f: &mut dyn FnMut(Decl<'a>)) {
    f(Decl::Context(c));
    for item in &c.items {
        match item {
            ast::ContextItem::Enum(e) => enum_decl(e, f),
            ast::ContextItem::Value(v) => value(v, f),
            ast::ContextItem::Aggregate(a) => {
                f(Decl::Aggregate(a));
                entity_items(&a.items, f);
            }
            ast::ContextItem::TenantBy { .. } => {}
        }
    }
}

fn enum_decl<'a>(e: &'a ast::EnumDecl, f: &mut dyn FnMut(Decl<'a>)) {
    f(Decl::Enum(e));
    for v in &e.values {
        f(Decl::EnumValue(v));
    }
}

fn value<'a>(v: &'a ast::ValueDecl, f: &mut dyn FnMut(Decl<'a>)) {
    f(Decl::Value(v));
    if let ast::ValueBody::Fields(items) = &v.body {
        for item in items {
            match item {
                ast::ValueItem::Field(x) => f(Decl::Field(x)),
                ast::ValueItem::Invariant(x) => f(Decl::Invariant(x)),
            }
        }
    }
}

fn entity_items<'a>(items: &'a [ast::AggregateItem], f: &mut dyn FnMut(Decl<'a>)) {
    for item in items {
        match item {
            ast::AggregateItem::Field(x) => f(Decl::Field(x)),
            ast::AggregateItem::Invariant(x) => f(Decl::Invariant(x)),
            ast::AggregateItem::Index(x) => f(Decl::Index(x)),
            ast::AggregateItem::Events(x) => f(Decl::Events(x)),
            ast::AggregateItem::Entity(e) => {
                f(Decl::Entity(e));
                entity_items(&e.items, f);
            }
            _ => {}
        }
    }
}
