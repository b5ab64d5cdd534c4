//! The symbols of a project: every declaration with a name, and every place
//! that names it, across files. Navigation, references, rename, hover and
//! the outline all read this one table.
//!
//! It is built from the syntax trees, which keep the span of every name
//! written, and resolves them the way the model does: a type name in the
//! current context first, then the shared kernel, `ctx.Type` in `ctx`; a
//! name in an expression among the fields of the table it lives on, a
//! value object's part after a `.`. Enum values in expressions are taken
//! from the model itself (`TExprKind::EnumValue` keeps the span it was
//! read from): only type-checking knows which enum a bare `ACTIVO` means.

use std::collections::HashMap;

use crate::diagnostics::{FileId, Sources, Span};
use crate::model::{self, AggregateId, ContextId, EnumId, Model, TExpr, TExprKind, ValueId, ValueShape};
use crate::syntax::ast;

/// Records the references of an owner's fields and invariants.
type Members<'a> = dyn FnMut(&mut HashMap<Span, ModelRef>, Owner, &[model::Field], &[model::Invariant]) + 'a;

pub type SymbolId = usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Model,
    Context,
    Enum,
    EnumValue,
    Value,
    Aggregate,
    Entity,
    Field,
    Invariant,
    Role,
    Publication,
}

impl Kind {
    /// The word for it in messages: `aggregate`, `enum value`.
    pub fn word(self) -> &'static str {
        match self {
            Kind::Model => "model",
            Kind::Context => "context",
            Kind::Enum => "enum",
            Kind::EnumValue => "enum value",
            Kind::Value => "value object",
            Kind::Aggregate => "aggregate",
            Kind::Entity => "entity",
            Kind::Field => "field",
            Kind::Invariant => "invariant",
            Kind::Role => "role",
            Kind::Publication => "publication",
        }
    }
}

/// What a declaration is in the resolved model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelRef {
    Context(ContextId),
    Enum(EnumId),
    EnumValue(EnumId, usize),
    Value(ValueId),
    /// An aggregate root (empty path) or an entity: the child indexes from
    /// the root down.
    Entity(AggregateId, Vec<usize>),
    Field(Owner, usize),
    Invariant(Owner, usize),
}

/// What holds fields and invariants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    Entity(AggregateId, Vec<usize>),
    Value(ValueId),
}

#[derive(Debug, Clone)]
pub struct Symbol {
    pub kind: Kind,
    pub name: String,
    /// The name where it is declared.
    pub decl: Span,
    /// The whole declaration, for the outline.
    pub extent: Span,
    pub parent: Option<SymbolId>,
    pub doc: Option<String>,
    /// For a field: the enum, value object or aggregate its type names.
    pub ty: Option<SymbolId>,
    pub model: Option<ModelRef>,
}

/// How a place names a symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Declaration,
    /// The symbol's name, as written.
    Name,
    /// The column `<parent>_id` by which a child entity's expressions name
    /// its link to the parent: it follows the parent's name.
    LinkColumn,
}

#[derive(Debug, Clone, Copy)]
pub struct Occurrence {
    pub span: Span,
    pub symbol: SymbolId,
    pub role: Role,
}

#[derive(Debug, Default)]
pub struct Index {
    pub symbols: Vec<Symbol>,
    /// Sorted by file and start.
    occurrences: Vec<Occurrence>,
    /// Type names: (context or `None` for the shared kernel, name).
    types: HashMap<(Option<String>, String), SymbolId>,
    contexts: HashMap<String, SymbolId>,
    /// The fields of each entity and multi-field value object, by name.
    fields: HashMap<SymbolId, Vec<(String, SymbolId)>>,
    /// Each symbol's children, in declaration order (a scan of every
    /// symbol per symbol made the outline of a file of 2,000 aggregates
    /// take 3 s).
    children: Vec<Vec<SymbolId>>,
}

impl Index {
    pub fn build(files: &[(FileId, ast::SourceFile)], model: Option<&Model>, _sources: &Sources) -> Index {
        let mut b = Builder { index: Index::default(), pending: Vec::new() };
        for (_, file) in files {
            for item in &file.items {
                match item {
                    ast::TopItem::Model(m) => b.model_block(m),
                    ast::TopItem::Context(c) => b.context(c, None),
                    ast::TopItem::Enum(e) => b.enum_decl(e, None, None),
                    ast::TopItem::Value(v) => b.value(v, None, None),
                    ast::TopItem::Role(r) => b.role(r, None),
                    ast::TopItem::Publication(p) => b.publication(p, None),
                    ast::TopItem::Include(_) => {}
                }
            }
        }
        if let Some(m) = model {
            b.link_model(m);
        }
        let enum_values = model.map(enum_value_spans).unwrap_or_default();
        b.resolve(&enum_values);
        let mut index = b.index;
        index.occurrences.sort_by_key(|o| (o.span.file, o.span.start, o.span.end));
        index
    }

    /// The name under a position, the innermost when several contain it.
    pub fn at(&self, file: FileId, offset: usize) -> Option<Occurrence> {
        let offset = offset as u32;
        self.occurrences
            .iter()
            .filter(|o| o.span.file == file && o.span.start <= offset && offset <= o.span.end)
            .min_by_key(|o| o.span.end - o.span.start)
            .copied()
    }

    /// Every place naming a symbol, its declaration first.
    pub fn occurrences_of(&self, symbol: SymbolId) -> Vec<Occurrence> {
        let mut out: Vec<Occurrence> = self.occurrences.iter().filter(|o| o.symbol == symbol).copied().collect();
        out.sort_by_key(|o| (o.role != Role::Declaration, o.span.file, o.span.start));
        out
    }

    pub fn get(&self, id: SymbolId) -> &Symbol {
        &self.symbols[id]
    }

    pub fn children(&self, id: SymbolId) -> impl Iterator<Item = (SymbolId, &Symbol)> {
        self.children.get(id).into_iter().flatten().map(move |&c| (c, &self.symbols[c]))
    }

    /// `reservas.Reserva.estado`: the symbol with its enclosing declarations
    /// (the model block left out).
    pub fn path(&self, id: SymbolId) -> String {
        let mut parts = vec![self.symbols[id].name.as_str()];
        let mut at = self.symbols[id].parent;
        while let Some(p) = at {
            if self.symbols[p].kind != Kind::Model {
                parts.push(&self.symbols[p].name);
            }
            at = self.symbols[p].parent;
        }
        parts.reverse();
        parts.join(".")
    }

    /// The context a symbol is declared in.
    pub fn context_of(&self, id: SymbolId) -> Option<SymbolId> {
        let mut at = Some(id);
        while let Some(s) = at {
            if self.symbols[s].kind == Kind::Context {
                return Some(s);
            }
            at = self.symbols[s].parent;
        }
        None
    }

    /// The declaration a symbol of the model is, by its span.
    pub fn by_decl(&self, decl: Span) -> Option<SymbolId> {
        self.symbols.iter().position(|s| s.decl == decl)
    }

    /// A type name seen from a context: `ctx.Name`, or `Name` in the
    /// context, else in the shared kernel.
    pub fn lookup_type(&self, scope: Option<&str>, parts: &[&str]) -> Option<SymbolId> {
        match parts {
            [name] => scope
                .and_then(|c| self.types.get(&(Some(c.to_string()), name.to_string())))
                .or_else(|| self.types.get(&(None, name.to_string())))
                .copied(),
            [ctx, name] => self.types.get(&(Some(ctx.to_string()), name.to_string())).copied(),
            _ => None,
        }
    }

    /// Every type visible from a context, with the name to write for it:
    /// its own and the kernel's bare, other contexts' qualified.
    pub fn visible_types(&self, scope: Option<&str>) -> Vec<(String, SymbolId)> {
        let mut out: Vec<(String, SymbolId)> = self
            .types
            .iter()
            .map(|((ctx, name), id)| match ctx {
                Some(c) if Some(c.as_str()) != scope => (format!("{c}.{name}"), *id),
                _ => (name.clone(), *id),
            })
            .collect();
        out.sort();
        out
    }

    pub fn context(&self, name: &str) -> Option<SymbolId> {
        self.contexts.get(name).copied()
    }

    pub fn context_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.contexts.keys().cloned().collect();
        names.sort();
        names
    }

    /// The fields an expression on `owner` (an entity or a value object)
    /// may name, in declaration order.
    pub fn fields_of(&self, owner: SymbolId) -> &[(String, SymbolId)] {
        self.fields.get(&owner).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Every field declared in a file: of aggregates, entities and value
/// objects, at any depth.
pub fn walk_fields(file: &ast::SourceFile, f: &mut dyn FnMut(&ast::Field)) {
    fn entity_items(items: &[ast::AggregateItem], f: &mut dyn FnMut(&ast::Field)) {
        for item in items {
            match item {
                ast::AggregateItem::Field(x) => f(x),
                ast::AggregateItem::Entity(e) => entity_items(&e.items, f),
                _ => {}
            }
        }
    }
    let value = |v: &ast::ValueDecl, f: &mut dyn FnMut(&ast::Field)| {
        if let ast::ValueBody::Fields(items) = &v.body {
            for item in items {
                if let ast::ValueItem::Field(x) = item {
                    f(x);
                }
            }
        }
    };
    let context = |c: &ast::Context, f: &mut dyn FnMut(&ast::Field)| {
        for item in &c.items {
            match item {
                ast::ContextItem::Aggregate(a) => entity_items(&a.items, f),
                ast::ContextItem::Value(v) => value(v, f),
                _ => {}
            }
        }
    };
    for item in &file.items {
        match item {
            ast::TopItem::Context(c) => context(c, f),
            ast::TopItem::Value(v) => value(v, f),
            ast::TopItem::Model(m) => {
                for mi in &m.items {
                    match mi {
                        ast::ModelItem::Context(c) => context(c, f),
                        ast::ModelItem::Value(v) => value(v, f),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}

/// Where each enum value written in an expression is, and which value of
/// which enum it is.
fn enum_value_spans(m: &Model) -> HashMap<Span, (EnumId, String)> {
    let mut out = HashMap::new();
    let mut add = |e: &TExpr| {
        e.walk(&mut |x| {
            if let TExprKind::EnumValue { enum_id, value } = &x.kind {
                out.insert(x.span, (*enum_id, value.clone()));
            }
        })
    };
    let fields = |fs: &[model::Field], add: &mut dyn FnMut(&TExpr)| {
        for f in fs {
            f.default.iter().chain(f.backfill.iter()).for_each(&mut *add);
        }
    };
    for a in &m.aggregates {
        for e in a.root.walk() {
            fields(&e.fields, &mut add);
            e.invariants.iter().for_each(|i| add(&i.expr));
            for ix in &e.indexes {
                ix.items.iter().chain(ix.where_clause.iter()).for_each(&mut add);
            }
        }
    }
    for v in &m.values {
        match &v.shape {
            ValueShape::Single { check, .. } => check.iter().for_each(&mut add),
            ValueShape::Fields { fields: fs, invariants } => {
                fields(fs, &mut add);
                invariants.iter().for_each(|i| add(&i.expr));
            }
        }
    }
    out
}

/// Work for the second pass, when every declaration is known.
enum Pending<'a> {
    FieldType {
        field: SymbolId,
        ty: &'a ast::TypeExpr,
        scope: Option<String>,
    },
    /// An expression on the fields of `owner`.
    Expr {
        owner: SymbolId,
        expr: &'a ast::Expr,
    },
    /// Field names: `key (a, b)`, `partition by … (c)`.
    FieldName {
        owner: SymbolId,
        name: &'a ast::Ident,
    },
    /// A field path: `search cfg (direccion.ciudad A)`.
    FieldPath {
        owner: SymbolId,
        path: &'a ast::Path,
    },
    Context(&'a ast::Ident),
    /// `audit_log ctx.table`, a publication's `ctx` or `ctx.Aggregate`.
    ContextPath(&'a ast::Path),
}

struct Builder<'a> {
    index: Index,
    pending: Vec<Pending<'a>>,
}

impl<'a> Builder<'a> {
    fn add(
        &mut self,
        kind: Kind,
        name: &ast::Ident,
        extent: Span,
        parent: Option<SymbolId>,
        doc: &Option<ast::Doc>,
    ) -> SymbolId {
        let id = self.index.symbols.len();
        self.index.symbols.push(Symbol {
            kind,
            name: name.name.clone(),
            decl: name.span,
            extent,
            parent,
            doc: doc.as_ref().map(|d| d.text.clone()),
            ty: None,
            model: None,
        });
        self.index.occurrences.push(Occurrence { span: name.span, symbol: id, role: Role::Declaration });
        self.index.children.push(Vec::new());
        if let Some(p) = parent {
            self.index.children[p].push(id);
        }
        id
    }

    fn declare_type(&mut self, scope: &Option<String>, name: &str, id: SymbolId) {
        self.index.types.entry((scope.clone(), name.to_string())).or_insert(id);
    }

    fn model_block(&mut self, m: &'a ast::Model) {
        let id = self.add(Kind::Model, &m.name, m.span, None, &m.doc);
        for item in &m.items {
            match item {
                ast::ModelItem::Context(c) => self.context(c, Some(id)),
                ast::ModelItem::Enum(e) => self.enum_decl(e, None, Some(id)),
                ast::ModelItem::Value(v) => self.value(v, None, Some(id)),
                ast::ModelItem::Role(r) => self.role(r, Some(id)),
                ast::ModelItem::Publication(p) => self.publication(p, Some(id)),
                ast::ModelItem::AuditLog { table, .. } => self.pending.push(Pending::ContextPath(table)),
                _ => {}
            }
        }
    }

    fn context(&mut self, c: &'a ast::Context, parent: Option<SymbolId>) {
        let id = self.add(Kind::Context, &c.name, c.span, parent, &c.doc);
        self.index.contexts.entry(c.name.name.clone()).or_insert(id);
        let scope = Some(c.name.name.clone());
        for item in &c.items {
            match item {
                ast::ContextItem::Enum(e) => self.enum_decl(e, scope.clone(), Some(id)),
                ast::ContextItem::Value(v) => self.value(v, scope.clone(), Some(id)),
                ast::ContextItem::Aggregate(a) => self.aggregate(a, &scope, id),
                ast::ContextItem::TenantBy { .. } => {}
            }
        }
    }

    fn enum_decl(&mut self, e: &'a ast::EnumDecl, scope: Option<String>, parent: Option<SymbolId>) {
        let id = self.add(Kind::Enum, &e.name, e.span, parent, &e.doc);
        self.declare_type(&scope, &e.name.name, id);
        for v in &e.values {
            self.add(Kind::EnumValue, &v.name, v.span, Some(id), &v.doc);
        }
    }

    fn value(&mut self, v: &'a ast::ValueDecl, scope: Option<String>, parent: Option<SymbolId>) {
        let id = self.add(Kind::Value, &v.name, v.span, parent, &v.doc);
        self.declare_type(&scope, &v.name.name, id);
        match &v.body {
            ast::ValueBody::Single { check, .. } => {
                if let Some(c) = check {
                    self.pending.push(Pending::Expr { owner: id, expr: c });
                }
            }
            ast::ValueBody::Fields(items) => {
                for item in items {
                    match item {
                        ast::ValueItem::Field(f) => self.field(f, id, &scope),
                        ast::ValueItem::Invariant(inv) => self.invariant(inv, id),
                    }
                }
            }
        }
    }

    fn aggregate(&mut self, a: &'a ast::Aggregate, scope: &Option<String>, parent: SymbolId) {
        let id = self.add(Kind::Aggregate, &a.name, a.span, Some(parent), &a.doc);
        self.declare_type(scope, &a.name.name, id);
        self.entity_items(&a.items, id, scope);
    }

    fn entity_items(&mut self, items: &'a [ast::AggregateItem], owner: SymbolId, scope: &Option<String>) {
        for item in items {
            match item {
                ast::AggregateItem::Field(f) => self.field(f, owner, scope),
                ast::AggregateItem::Invariant(inv) => self.invariant(inv, owner),
                ast::AggregateItem::Entity(e) => {
                    let id = self.add(Kind::Entity, &e.name, e.span, Some(owner), &e.doc);
                    self.entity_items(&e.items, id, scope);
                }
                ast::AggregateItem::Index(ix) => {
                    for expr in ix.items.iter().chain(ix.where_clause.iter()) {
                        self.pending.push(Pending::Expr { owner, expr });
                    }
                }
                ast::AggregateItem::Key { columns, .. } => {
                    for name in columns {
                        self.pending.push(Pending::FieldName { owner, name });
                    }
                }
                ast::AggregateItem::Partition(p) => self.pending.push(Pending::FieldName { owner, name: &p.column }),
                ast::AggregateItem::Search(s) => {
                    for item in &s.items {
                        self.pending.push(Pending::FieldPath { owner, path: &item.path });
                    }
                }
                _ => {}
            }
        }
    }

    fn field(&mut self, f: &'a ast::Field, owner: SymbolId, scope: &Option<String>) {
        let id = self.add(Kind::Field, &f.name, f.span, Some(owner), &f.doc);
        self.index.fields.entry(owner).or_default().push((f.name.name.clone(), id));
        self.pending.push(Pending::FieldType { field: id, ty: &f.ty, scope: scope.clone() });
        if let Some(d) = &f.default {
            self.pending.push(Pending::Expr { owner, expr: d });
        }
        for a in f.annotations.iter().filter(|a| a.name.name == "backfill") {
            for expr in &a.args {
                self.pending.push(Pending::Expr { owner, expr });
            }
        }
    }

    fn invariant(&mut self, inv: &'a ast::Invariant, owner: SymbolId) {
        self.add(Kind::Invariant, &inv.name, inv.span, Some(owner), &inv.doc);
        self.pending.push(Pending::Expr { owner, expr: &inv.expr });
    }

    fn role(&mut self, r: &'a ast::Role, parent: Option<SymbolId>) {
        self.add(Kind::Role, &r.name, r.span, parent, &r.doc);
        for g in &r.grants {
            for c in &g.contexts {
                self.pending.push(Pending::Context(c));
            }
        }
    }

    fn publication(&mut self, p: &'a ast::Publication, parent: Option<SymbolId>) {
        self.add(Kind::Publication, &p.name, p.span, parent, &p.doc);
        for item in &p.items {
            self.pending.push(Pending::ContextPath(item));
        }
    }

    /// Each declaration's place in the resolved model, by span.
    fn link_model(&mut self, m: &Model) {
        let mut refs: HashMap<Span, ModelRef> = HashMap::new();
        for (i, c) in m.contexts.iter().enumerate() {
            refs.insert(c.span, ModelRef::Context(ContextId(i)));
        }
        for (i, e) in m.enums.iter().enumerate() {
            refs.insert(e.span, ModelRef::Enum(EnumId(i)));
            for (j, v) in e.values.iter().enumerate() {
                refs.insert(v.span, ModelRef::EnumValue(EnumId(i), j));
            }
        }
        let mut members =
            |refs: &mut HashMap<Span, ModelRef>, owner: Owner, fs: &[model::Field], is: &[model::Invariant]| {
                for (j, f) in fs.iter().enumerate() {
                    refs.insert(f.span, ModelRef::Field(owner.clone(), j));
                }
                for (j, inv) in is.iter().enumerate() {
                    refs.insert(inv.span, ModelRef::Invariant(owner.clone(), j));
                }
            };
        for (i, v) in m.values.iter().enumerate() {
            refs.insert(v.span, ModelRef::Value(ValueId(i)));
            if let ValueShape::Fields { fields, invariants } = &v.shape {
                members(&mut refs, Owner::Value(ValueId(i)), fields, invariants);
            }
        }
        fn entity(
            refs: &mut HashMap<Span, ModelRef>,
            members: &mut Members<'_>,
            a: usize,
            path: Vec<usize>,
            e: &model::Entity,
        ) {
            refs.insert(e.span, ModelRef::Entity(AggregateId(a), path.clone()));
            members(refs, Owner::Entity(AggregateId(a), path.clone()), &e.fields, &e.invariants);
            for (k, child) in e.entities.iter().enumerate() {
                let mut p = path.clone();
                p.push(k);
                entity(refs, members, a, p, child);
            }
        }
        for (i, a) in m.aggregates.iter().enumerate() {
            entity(&mut refs, &mut members, i, Vec::new(), &a.root);
        }
        for s in &mut self.index.symbols {
            s.model = refs.get(&s.decl).cloned();
        }
    }

    fn occurrence(&mut self, span: Span, symbol: SymbolId, role: Role) {
        self.index.occurrences.push(Occurrence { span, symbol, role });
    }

    fn resolve(&mut self, enum_values: &HashMap<Span, (EnumId, String)>) {
        let pending = std::mem::take(&mut self.pending);
        // Field types first: expressions follow them into value objects.
        for p in &pending {
            if let Pending::FieldType { field, ty, scope } = p {
                let path = match ty {
                    ast::TypeExpr::Named(t) => &t.name,
                    ast::TypeExpr::Ref(r) => &r.target,
                };
                if let Some(target) = self.type_path(path, scope.as_deref()) {
                    self.index.symbols[*field].ty = Some(target);
                }
            }
        }
        // Each enum's values by name, found once: a scan of an enum's
        // values per use grew with values × uses.
        let enum_symbols: HashMap<EnumId, HashMap<String, SymbolId>> = self
            .index
            .symbols
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s.model {
                Some(ModelRef::Enum(e)) => {
                    let mut values = HashMap::new();
                    for (id, v) in self.index.children(i) {
                        // A value given twice is the first one, as before.
                        values.entry(v.name.clone()).or_insert(id);
                    }
                    Some((e, values))
                }
                _ => None,
            })
            .collect();
        for p in &pending {
            match p {
                Pending::FieldType { .. } => {}
                Pending::Expr { owner, expr } => self.expr(*owner, expr, enum_values, &enum_symbols),
                Pending::FieldName { owner, name } => {
                    if let Some(f) = self.field_named(*owner, &name.name) {
                        self.occurrence(name.span, f, Role::Name);
                    }
                }
                Pending::FieldPath { owner, path } => {
                    self.field_path(*owner, path);
                }
                Pending::Context(ident) => {
                    if let Some(c) = self.index.context(&ident.name) {
                        self.occurrence(ident.span, c, Role::Name);
                    }
                }
                Pending::ContextPath(path) => {
                    let Some(first) = path.parts.first() else { continue };
                    let Some(c) = self.index.context(&first.name) else { continue };
                    self.occurrence(first.span, c, Role::Name);
                    if let Some(second) = path.parts.get(1) {
                        let key = (Some(first.name.clone()), second.name.clone());
                        let target = self.index.types.get(&key).copied();
                        if let Some(t) = target.filter(|t| self.index.symbols[*t].kind == Kind::Aggregate) {
                            self.occurrence(second.span, t, Role::Name);
                        }
                    }
                }
            }
        }
    }

    /// A type written as `Name` or `ctx.Name`: its occurrences, and what it
    /// names.
    fn type_path(&mut self, path: &ast::Path, scope: Option<&str>) -> Option<SymbolId> {
        let parts: Vec<&str> = path.parts.iter().map(|p| p.name.as_str()).collect();
        if let [ctx, _] = parts.as_slice() {
            if let Some(c) = self.index.context(ctx) {
                self.occurrence(path.parts[0].span, c, Role::Name);
            }
        }
        let target = self.index.lookup_type(scope, &parts)?;
        let last = path.parts.last()?;
        self.occurrence(last.span, target, Role::Name);
        Some(target)
    }

    fn field_named(&self, owner: SymbolId, name: &str) -> Option<SymbolId> {
        self.index.fields_of(owner).iter().find(|(n, _)| n == name).map(|(_, id)| *id)
    }

    /// `a.b.c` among the fields of `owner`: `a` a field, `b` a part of
    /// `a`'s value object, and so on. Returns whether the first part is a
    /// field.
    fn field_path(&mut self, owner: SymbolId, path: &ast::Path) -> bool {
        let mut scope = owner;
        for (i, part) in path.parts.iter().enumerate() {
            let Some(f) = self.field_named(scope, &part.name) else { return i > 0 };
            self.occurrence(part.span, f, Role::Name);
            match self.index.symbols[f].ty {
                Some(t) if self.index.symbols[t].kind == Kind::Value => scope = t,
                _ => return true,
            }
        }
        true
    }

    fn expr(
        &mut self,
        owner: SymbolId,
        e: &ast::Expr,
        enum_values: &HashMap<Span, (EnumId, String)>,
        enums: &HashMap<EnumId, HashMap<String, SymbolId>>,
    ) {
        use ast::ExprKind as K;
        let sub = |b: &mut Self, x: &ast::Expr| b.expr(owner, x, enum_values, enums);
        match &e.kind {
            K::Path(p) => {
                // The model's own reading wins: a bare name compared with an
                // enum is its value even when a field has the same name.
                if let Some((eid, value)) = enum_values.get(&p.span) {
                    if let Some(&v) = enums.get(eid).and_then(|values| values.get(value.as_str())) {
                        self.occurrence(p.span, v, Role::Name);
                    }
                    return;
                }
                if !self.field_path(owner, p) {
                    self.link_column(owner, p);
                }
            }
            K::Implies(a, b) | K::Compare(_, a, b) | K::Arith(_, a, b) => {
                sub(self, a);
                sub(self, b);
            }
            K::Or(v) | K::And(v) => v.iter().for_each(|x| sub(self, x)),
            K::Not(x) | K::Neg(x) | K::Paren(x) => sub(self, x),
            K::IsNull { expr, .. } | K::Matches { expr, .. } => sub(self, expr),
            K::In { expr, list, .. } => {
                sub(self, expr);
                list.iter().for_each(|x| sub(self, x));
            }
            K::Between { expr, low, high } => {
                sub(self, expr);
                sub(self, low);
                sub(self, high);
            }
            K::Call { args, .. } => args.iter().for_each(|x| sub(self, x)),
            K::Literal(_) | K::Sql(_) | K::Subject => {}
        }
    }

    /// `reserva_id` in an entity of `Reserva`: the link column, named after
    /// the parent (`model::link_columns`): `<parent>_id`, or
    /// `<parent>_<key field>` for each field of a composite key.
    fn link_column(&mut self, owner: SymbolId, p: &ast::Path) {
        let [only] = p.parts.as_slice() else { return };
        if self.index.symbols[owner].kind != Kind::Entity {
            return;
        }
        let Some(parent) = self.index.symbols[owner].parent else { return };
        let prefix = format!("{}_", model::snake_case(&self.index.symbols[parent].name));
        let Some(rest) = only.name.strip_prefix(&prefix) else { return };
        let key_field = self.index.fields.get(&parent).is_some_and(|fs| fs.iter().any(|(name, _)| name == rest));
        if rest == "id" || key_field {
            self.occurrence(only.span, parent, Role::LinkColumn);
        }
    }
}
