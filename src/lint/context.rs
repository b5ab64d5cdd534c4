//! What every rule reads: the model, the schema, walkers over both, the
//! `@allow` chains of declarations, and the raw [`Finding`] a rule reports.

use std::collections::HashMap;

use crate::diagnostics::{Diagnostic, Label, Severity, Span};
use crate::model::{Aggregate, Allow, Entity, Field, FieldType, Model, Scalar, TExpr, ValueObject, ValueShape};
use crate::relational::Schema;

/// One problem a rule found, before configuration and `@allow` decide what
/// becomes of it.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    /// Where the problem is (primary label).
    pub span: Span,
    /// The declaration whose `@allow` (or an enclosing one's) accepts it;
    /// usually `span` itself.
    pub decl: Span,
    pub message: String,
    pub label: String,
    pub help: String,
    pub secondary: Vec<(Span, String)>,
    pub notes: Vec<String>,
}

impl Finding {
    pub fn new(span: Span, message: impl Into<String>) -> Finding {
        Finding {
            span,
            decl: span,
            message: message.into(),
            label: String::new(),
            help: String::new(),
            secondary: Vec::new(),
            notes: Vec::new(),
        }
    }
    pub fn label(mut self, label: impl Into<String>) -> Finding {
        self.label = label.into();
        self
    }
    pub fn help(mut self, help: impl Into<String>) -> Finding {
        self.help = help.into();
        self
    }
    /// The declaration whose `@allow` applies, when it is not `span`'s.
    pub fn decl(mut self, decl: Span) -> Finding {
        self.decl = decl;
        self
    }
    pub fn secondary(mut self, span: Span, label: impl Into<String>) -> Finding {
        self.secondary.push((span, label.into()));
        self
    }
    pub fn note(mut self, note: impl Into<String>) -> Finding {
        self.notes.push(note.into());
        self
    }

    pub fn into_diagnostic(self, code: &'static str, severity: Severity) -> Diagnostic {
        let mut d = Diagnostic::new(code, severity, self.message).at(self.span, self.label);
        d.secondary = self.secondary.into_iter().map(|(span, message)| Label { span, message }).collect();
        if !self.help.is_empty() {
            d.help = Some(self.help);
        }
        d.notes = self.notes;
        d
    }
}

/// An entity (the root included) with where it sits.
#[derive(Clone, Copy)]
pub(crate) struct EntitySite<'a> {
    pub aggregate: &'a Aggregate,
    pub entity: &'a Entity,
    /// `None` for the root.
    pub parent: Option<&'a Entity>,
}

impl EntitySite<'_> {
    pub fn is_root(&self) -> bool {
        self.parent.is_none()
    }
}

/// A field with its owner: an entity or a multi-field value object.
#[derive(Clone, Copy)]
pub(crate) struct FieldSite<'a> {
    pub field: &'a Field,
    pub owner: Owner<'a>,
}

#[derive(Clone, Copy)]
pub(crate) enum Owner<'a> {
    Entity(EntitySite<'a>),
    Value(&'a ValueObject),
}

impl Owner<'_> {
    /// `aggregate `Usuario``, `entity `Perfil``, `value object `Direccion``.
    pub fn describe(&self) -> String {
        match self {
            Owner::Entity(e) if e.is_root() => format!("aggregate `{}`", e.entity.name),
            Owner::Entity(e) => format!("entity `{}`", e.entity.name),
            Owner::Value(v) => format!("value object `{}`", v.name),
        }
    }
}

/// An expression with the declaration it belongs to.
#[derive(Clone, Copy)]
pub(crate) struct ExprSite<'a> {
    pub expr: &'a TExpr,
    /// The declaration holding it (invariant, index, field, value object).
    pub decl: Span,
    /// `invariant `orden``, `index`, `default of `x``…
    pub what: &'static str,
}

pub(crate) struct Ctx<'a> {
    pub model: &'a Model,
    pub schema: &'a Schema,
    /// Every declaration's `@allow`s, its own first, then the enclosing
    /// declarations' outwards.
    chains: HashMap<Span, Vec<&'a Allow>>,
    /// The declaration each `@allow` is written on.
    allow_owner: HashMap<Span, Span>,
}

impl<'a> Ctx<'a> {
    pub fn new(model: &'a Model, schema: &'a Schema) -> Ctx<'a> {
        let mut cx = Ctx { model, schema, chains: HashMap::new(), allow_owner: HashMap::new() };
        cx.collect_chains();
        cx
    }

    fn collect_chains(&mut self) {
        let m = self.model;
        // The model block's `@allow` encloses everything.
        let model_chain = self.add(m.span, &m.allows, &[]);
        let ctx_chain = |c: Option<crate::model::ContextId>| -> Vec<&'a Allow> {
            let own: Vec<&'a Allow> = c.map(|c| m.contexts[c.0].allows.iter().collect()).unwrap_or_default();
            own.into_iter().chain(m.allows.iter()).collect()
        };
        for c in &m.contexts {
            self.add(c.span, &c.allows, &model_chain);
        }
        for e in &m.enums {
            self.add(e.span, &e.allows, &ctx_chain(e.context));
        }
        for v in &m.values {
            let outer = ctx_chain(v.context);
            let chain = self.add(v.span, &v.allows, &outer);
            if let ValueShape::Fields { fields, invariants } = &v.shape {
                for f in fields {
                    self.add(f.span, &f.allows, &chain);
                }
                for i in invariants {
                    self.add(i.span, &i.allows, &chain);
                }
            }
        }
        for a in &m.aggregates {
            let outer = ctx_chain(Some(a.context));
            let root_chain = self.entity_chains(&a.root, &outer);
            if let Some(ev) = &a.events {
                self.add(ev.span, &ev.allows, &root_chain);
            }
            if let Some(p) = &a.partition {
                self.add(p.span, &[], &root_chain);
            }
            if let Some(s) = &a.root.search {
                self.add(s.span, &[], &root_chain);
            }
        }
    }

    fn entity_chains(&mut self, e: &'a Entity, outer: &[&'a Allow]) -> Vec<&'a Allow> {
        let chain = self.add(e.span, &e.allows, outer);
        for f in &e.fields {
            self.add(f.span, &f.allows, &chain);
        }
        for i in &e.invariants {
            self.add(i.span, &i.allows, &chain);
        }
        for ix in &e.indexes {
            self.add(ix.span, &ix.allows, &chain);
        }
        if let Some(s) = &e.search {
            self.add(s.span, &[], &chain);
        }
        for child in &e.entities {
            self.entity_chains(child, &chain);
        }
        chain
    }

    fn add(&mut self, decl: Span, own: &'a [Allow], outer: &[&'a Allow]) -> Vec<&'a Allow> {
        for a in own {
            self.allow_owner.insert(a.span, decl);
        }
        let chain: Vec<&'a Allow> = own.iter().chain(outer.iter().copied()).collect();
        self.chains.entry(decl).or_insert_with(|| chain.clone());
        chain
    }

    /// The `@allow`s that apply to a declaration, innermost first.
    pub fn allows_at(&self, decl: Span) -> Vec<&'a Allow> {
        self.chains.get(&decl).cloned().unwrap_or_default()
    }

    /// Every `@allow` of the model with the declaration it is written on.
    pub fn all_allows(&self) -> Vec<(&'a Allow, Span)> {
        let mut out: Vec<(&'a Allow, Span)> = Vec::new();
        let mut push = |allows: &'a [Allow], decl: Span| {
            out.extend(allows.iter().map(|a| (a, decl)));
        };
        let m = self.model;
        push(&m.allows, m.span);
        for c in &m.contexts {
            push(&c.allows, c.span);
        }
        for e in &m.enums {
            push(&e.allows, e.span);
        }
        for v in &m.values {
            push(&v.allows, v.span);
            if let ValueShape::Fields { fields, invariants } = &v.shape {
                for f in fields {
                    push(&f.allows, f.span);
                }
                for i in invariants {
                    push(&i.allows, i.span);
                }
            }
        }
        for site in self.entities() {
            let e = site.entity;
            push(&e.allows, e.span);
            for f in &e.fields {
                push(&f.allows, f.span);
            }
            for i in &e.invariants {
                push(&i.allows, i.span);
            }
            for ix in &e.indexes {
                push(&ix.allows, ix.span);
            }
            if site.is_root() {
                if let Some(ev) = &site.aggregate.events {
                    push(&ev.allows, ev.span);
                }
            }
        }
        out.sort_by_key(|(a, _)| a.span);
        out.dedup_by_key(|(a, _)| a.span);
        out
    }

    /// The declaration an `@allow` is written on.
    pub fn allow_decl(&self, allow: Span) -> Option<Span> {
        self.allow_owner.get(&allow).copied()
    }

    pub fn context_name(&self, a: &Aggregate) -> &'a str {
        &self.model.contexts[a.context.0].name
    }

    /// Every entity of every aggregate, roots first within an aggregate,
    /// depth first.
    pub fn entities(&self) -> Vec<EntitySite<'a>> {
        fn walk<'a>(a: &'a Aggregate, e: &'a Entity, parent: Option<&'a Entity>, out: &mut Vec<EntitySite<'a>>) {
            out.push(EntitySite { aggregate: a, entity: e, parent });
            for c in &e.entities {
                walk(a, c, Some(e), out);
            }
        }
        let mut out = Vec::new();
        for a in &self.model.aggregates {
            walk(a, &a.root, None, &mut out);
        }
        out
    }

    /// Every field of every entity and of every multi-field value object.
    pub fn fields(&self) -> Vec<FieldSite<'a>> {
        let mut out = Vec::new();
        for site in self.entities() {
            for f in &site.entity.fields {
                out.push(FieldSite { field: f, owner: Owner::Entity(site) });
            }
        }
        for v in &self.model.values {
            if let ValueShape::Fields { fields, .. } = &v.shape {
                for f in fields {
                    out.push(FieldSite { field: f, owner: Owner::Value(v) });
                }
            }
        }
        out
    }

    /// Every typed expression of the model with its declaration: invariants,
    /// value-object checks, defaults, backfills, index items and conditions.
    pub fn exprs(&self) -> Vec<ExprSite<'a>> {
        let mut out = Vec::new();
        let field_exprs = |f: &'a Field, out: &mut Vec<ExprSite<'a>>| {
            if let Some(d) = &f.default {
                out.push(ExprSite { expr: d, decl: f.span, what: "default" });
            }
            if let Some(b) = &f.backfill {
                out.push(ExprSite { expr: b, decl: f.span, what: "backfill" });
            }
        };
        for v in &self.model.values {
            match &v.shape {
                ValueShape::Single { check, .. } => {
                    if let Some(c) = check {
                        out.push(ExprSite { expr: c, decl: v.span, what: "check" });
                    }
                }
                ValueShape::Fields { fields, invariants } => {
                    for f in fields {
                        field_exprs(f, &mut out);
                    }
                    for i in invariants {
                        out.push(ExprSite { expr: &i.expr, decl: i.span, what: "invariant" });
                    }
                }
            }
        }
        for site in self.entities() {
            let e = site.entity;
            for f in &e.fields {
                field_exprs(f, &mut out);
            }
            for i in &e.invariants {
                out.push(ExprSite { expr: &i.expr, decl: i.span, what: "invariant" });
            }
            for ix in &e.indexes {
                for item in &ix.items {
                    out.push(ExprSite { expr: item, decl: ix.span, what: "index" });
                }
                if let Some(w) = &ix.where_clause {
                    out.push(ExprSite { expr: w, decl: ix.span, what: "index" });
                }
            }
        }
        out
    }

    /// The scalar a field stores: its own, or a single-column value
    /// object's.
    pub fn scalar(&self, f: &Field) -> Option<Scalar> {
        match &f.ty {
            FieldType::Scalar(s) => Some(*s),
            FieldType::Value(v) => match &self.model.values[v.0].shape {
                ValueShape::Single { ty, .. } => Some(*ty),
                ValueShape::Fields { .. } => None,
            },
            _ => None,
        }
    }
}

/// The lower-case words of an identifier: `apiKey` and `api_key` both give
/// `["api", "key"]`.
pub(crate) fn words(name: &str) -> Vec<String> {
    crate::model::snake_case(name).split('_').filter(|w| !w.is_empty()).map(str::to_ascii_lowercase).collect()
}

/// Whether `name`'s words contain `phrase`'s words in a row (`api_key` in
/// `stripe_api_key`).
pub(crate) fn has_words(name: &[String], phrase: &str) -> bool {
    // Asked of every field for every phrase of two rules: no allocation.
    let n = phrase.split('_').count();
    name.windows(n).any(|w| w.iter().map(String::as_str).eq(phrase.split('_')))
}

/// `Severity` in the words of a score breakdown.
pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}
