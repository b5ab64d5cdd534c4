//! The state the passes share ([`Resolver`]) and the types they hand each
//! other: where an entity lives, whose columns an expression may name, and
//! what is left for a later pass.

use std::collections::HashMap;

use super::*;
use crate::diagnostics::codes::id;
use crate::diagnostics::{some_names_in, Spelling};

/// What a type name can stand for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Decl {
    Enum(EnumId),
    Value(ValueId),
    Aggregate(AggregateId),
}

/// The state the passes share: the model being built, the AST it comes
/// from, and the scopes to look names up in.
pub(super) struct Resolver<'a> {
    pub files: &'a [(FileId, ast::SourceFile)],
    pub model: Model,
    pub diagnostics: Vec<Diagnostic>,
    pub contexts: HashMap<String, ContextId>,
    /// (context or `None` for top level, type name) → declaration.
    pub types: HashMap<(Option<ContextId>, String), (Decl, Span)>,
    /// Entity names, for the error of a `ref` into an aggregate.
    pub entities: HashMap<(ContextId, String), (AggregateId, Span)>,
    pub enum_asts: Vec<&'a ast::EnumDecl>,
    pub value_asts: Vec<&'a ast::ValueDecl>,
    pub aggregate_asts: Vec<&'a ast::Aggregate>,
    pub context_asts: Vec<&'a ast::Context>,
    pub audit_log_ast: Option<(&'a ast::Path, Option<ast::MonthRange>, Span)>,
    pub role_asts: Vec<&'a ast::Role>,
    pub publication_asts: Vec<&'a ast::Publication>,
    pub target_span: Option<Span>,
    pub pending_exprs: Vec<PendingExpr<'a>>,
    pub pending_refs: Vec<PendingRef<'a>>,
    pub partition_asts: Vec<(AggregateId, &'a ast::Partition)>,
    pub search_asts: Vec<(EntityLoc, &'a ast::Search)>,
    /// Fields whose type could not be resolved (already reported): a name in
    /// an expression that names one of them is not reported again.
    pub poisoned: Vec<(Owner, String)>,
    /// See [`Resolver::name_index`].
    name_index: Option<NameIndex>,
    /// The contexts' names sorted for "did you mean", and how many
    /// contexts they were made from: each reference to a misspelt
    /// context of 20,000 compared its name with every context's (150 s).
    context_spelling: Option<(usize, Spelling)>,
}

/// The names the help of an "unknown type" or "unknown aggregate" error
/// looks among, indexed once: each such error scanned every declaration,
/// so every `text` misspelt in a 20,000-aggregate model (91,600 errors)
/// took 8.4 s to validate where the model alone takes about 2.
#[derive(Default)]
pub(super) struct NameIndex {
    /// How many types and aggregates it was built from.
    built_from: (usize, usize),
    /// Type names by the context that declares them (`None`: top level).
    pub types_in: HashMap<Option<ContextId>, Vec<String>>,
    /// The contexts that declare a type of each name.
    pub contexts_of: HashMap<String, Vec<ContextId>>,
    /// Aggregate names by context.
    pub aggregates_in: HashMap<ContextId, Vec<String>>,
    /// The help each unknown name got, by what it named and where: a type
    /// or an aggregate renamed in a context of 20,000 aggregates left
    /// 20,000 errors, each comparing its name with every name in scope
    /// (6.2 s); the same name in the same scope is compared once.
    pub closest: HashMap<(Looked, Option<ContextId>, String), Option<String>>,
    /// The names in each scope, sorted for [`Spelling::closest`] when the
    /// scope's first unknown name is asked about: names misspelt each its
    /// own way (20,000 value objects renamed) were each compared with
    /// every name in scope (32 s to validate).
    spellings: HashMap<(Looked, Option<ContextId>), Spelling>,
}

/// What an unknown name was looked up as, for [`NameIndex::closest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Looked {
    Type,
    Aggregate,
}

impl NameIndex {
    /// The help of an unknown `name` looked up as `looked` in `scope`:
    /// the closest of the names `in_scope` gives (asked once per scope),
    /// found once per name.
    pub fn closest(
        &mut self,
        looked: Looked,
        scope: Option<ContextId>,
        name: &str,
        in_scope: impl for<'i> FnOnce(&'i NameIndex) -> Vec<&'i str>,
    ) -> Option<String> {
        let key = (looked, scope, name.to_string());
        if let Some(close) = self.closest.get(&key) {
            return close.clone();
        }
        if !self.spellings.contains_key(&(looked, scope)) {
            let spelling = Spelling::new(in_scope(self));
            self.spellings.insert((looked, scope), spelling);
        }
        let close = self.spellings[&(looked, scope)].closest(name).map(str::to_string);
        self.closest.insert(key, close.clone());
        close
    }
}

impl<'a> Resolver<'a> {
    pub fn new(files: &'a [(FileId, ast::SourceFile)]) -> Self {
        Resolver {
            files,
            model: Model {
                name: String::new(),
                doc: None,
                span: Span::default(),
                target: 16,
                tables: TableNaming::Snake,
                extensions: Vec::new(),
                defaults: Defaults { timestamps: true, soft_delete: false },
                audit_log: None,
                contexts: Vec::new(),
                enums: Vec::new(),
                values: Vec::new(),
                aggregates: Vec::new(),
                roles: Vec::new(),
                publications: Vec::new(),
                allows: Vec::new(),
            },
            diagnostics: Vec::new(),
            contexts: HashMap::new(),
            types: HashMap::new(),
            entities: HashMap::new(),
            enum_asts: Vec::new(),
            value_asts: Vec::new(),
            aggregate_asts: Vec::new(),
            context_asts: Vec::new(),
            audit_log_ast: None,
            role_asts: Vec::new(),
            publication_asts: Vec::new(),
            target_span: None,
            pending_exprs: Vec::new(),
            pending_refs: Vec::new(),
            partition_asts: Vec::new(),
            search_asts: Vec::new(),
            poisoned: Vec::new(),
            name_index: None,
            context_spelling: None,
        }
    }

    /// A resolver for a share of pass 2's aggregates on another thread:
    /// what the passes before it declared (the model so far, its names),
    /// and lists of its own for what it finds, to be appended with
    /// [`Resolver::join`]. Before pass 2 fills them the aggregates are
    /// shells, so the copy is small.
    pub fn fork(&self) -> Resolver<'a> {
        Resolver {
            files: self.files,
            model: self.model.clone(),
            diagnostics: Vec::new(),
            contexts: self.contexts.clone(),
            types: self.types.clone(),
            entities: self.entities.clone(),
            enum_asts: self.enum_asts.clone(),
            value_asts: self.value_asts.clone(),
            aggregate_asts: self.aggregate_asts.clone(),
            context_asts: self.context_asts.clone(),
            audit_log_ast: self.audit_log_ast,
            role_asts: self.role_asts.clone(),
            publication_asts: self.publication_asts.clone(),
            target_span: self.target_span,
            pending_exprs: Vec::new(),
            pending_refs: Vec::new(),
            partition_asts: Vec::new(),
            search_asts: Vec::new(),
            poisoned: Vec::new(),
            name_index: None,
            context_spelling: None,
        }
    }

    /// Takes what `fork` found after what this one found (the order one
    /// pass over both shares gives), and its aggregates `done`.
    pub fn join(&mut self, fork: Resolver<'a>, done: std::ops::Range<usize>) {
        // Every field named: one added to the resolver is either found
        // (and taken here) or said not to be.
        let Resolver {
            files: _,
            mut model,
            mut diagnostics,
            contexts: _,
            types: _,
            entities: _,
            enum_asts: _,
            value_asts: _,
            aggregate_asts: _,
            context_asts: _,
            audit_log_ast: _,
            role_asts: _,
            publication_asts: _,
            target_span: _,
            mut pending_exprs,
            mut pending_refs,
            mut partition_asts,
            mut search_asts,
            mut poisoned,
            name_index: _,
            context_spelling: _,
        } = fork;
        for i in done {
            std::mem::swap(&mut self.model.aggregates[i], &mut model.aggregates[i]);
        }
        self.diagnostics.append(&mut diagnostics);
        self.pending_exprs.append(&mut pending_exprs);
        self.pending_refs.append(&mut pending_refs);
        self.partition_asts.append(&mut partition_asts);
        self.search_asts.append(&mut search_asts);
        self.poisoned.append(&mut poisoned);
    }

    /// [`NameIndex`] of the types and aggregates declared so far (built
    /// again when either has grown since).
    pub fn name_index(&mut self) -> &mut NameIndex {
        let now = (self.types.len(), self.model.aggregates.len());
        if self.name_index.as_ref().is_none_or(|i| i.built_from != now) {
            let mut index = NameIndex { built_from: now, ..NameIndex::default() };
            for (c, n) in self.types.keys() {
                index.types_in.entry(*c).or_default().push(n.clone());
                if let Some(c) = c {
                    index.contexts_of.entry(n.clone()).or_default().push(*c);
                }
            }
            for a in &self.model.aggregates {
                index.aggregates_in.entry(a.context).or_default().push(a.name.clone());
            }
            self.name_index = Some(index);
        }
        self.name_index.get_or_insert_with(NameIndex::default)
    }

    pub fn error(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    /// Looks a type name up: `ctx.Name`, else the current context, else the
    /// shared kernel. Reports unknown contexts; returns `None` silently for an
    /// unknown name (the caller says what it was looking for).
    pub fn lookup_type(&mut self, scope: Option<ContextId>, path: &ast::Path) -> Option<(Decl, Span)> {
        match path.parts.as_slice() {
            [name] => scope
                .and_then(|c| self.types.get(&(Some(c), name.name.clone())))
                .or_else(|| self.types.get(&(None, name.name.clone())))
                .copied(),
            [ctx, name] => {
                let c = self.context_id(ctx)?;
                self.types.get(&(Some(c), name.name.clone())).copied()
            }
            _ => None,
        }
    }

    /// A context by name, reporting E0104 when there is none.
    pub fn context_id(&mut self, name: &ast::Ident) -> Option<ContextId> {
        if let Some(c) = self.contexts.get(&name.name) {
            return Some(*c);
        }
        let contexts = &self.model.contexts;
        if self.context_spelling.as_ref().is_none_or(|(from, _)| *from != contexts.len()) {
            self.context_spelling = Some((contexts.len(), Spelling::new(contexts.iter().map(|c| c.name.as_str()))));
        }
        let close = self.context_spelling.as_ref().and_then(|(_, s)| s.closest(&name.name));
        let mut d =
            Diagnostic::error(id::E0104, format!("unknown context `{}`", name.name)).at(name.span, "no such context");
        d = match close {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None if contexts.is_empty() => d.with_help(format!("declare it: `context {} {{ }}`", name.name)),
            None => d.with_help(format!(
                "the model's contexts are: {}",
                some_names_in(contexts.iter().map(|c| c.name.as_str()))
            )),
        };
        self.error(d);
        None
    }

    pub fn entity(&self, loc: &EntityLoc) -> &Entity {
        let mut e = &self.model.aggregates[loc.aggregate.0].root;
        for i in &loc.path {
            e = &e.entities[*i];
        }
        e
    }

    pub fn entity_mut(&mut self, loc: &EntityLoc) -> &mut Entity {
        let mut e = &mut self.model.aggregates[loc.aggregate.0].root;
        for i in &loc.path {
            e = &mut e.entities[*i];
        }
        e
    }

    pub fn check_identifier(&mut self, ident: &ast::Ident, what: &str) {
        check_sql_identifier(&mut self.diagnostics, &ident.name, ident.span, what);
    }
}

pub(super) fn check_sql_identifier(diags: &mut Vec<Diagnostic>, name: &str, span: Span, what: &str) {
    if name.len() > 63 {
        diags.push(
            Diagnostic::error(id::E0106, format!("{what} `{name}` is {} bytes long", name.len()))
                .at(span, "PostgreSQL identifiers hold at most 63 bytes")
                .with_help("shorten the name; PostgreSQL would silently truncate it"),
        );
    } else if !crate::syntax::is_identifier(name) {
        diags.push(
            Diagnostic::error(id::E0106, format!("{what} `{name}` is not a valid identifier"))
                .at(span, "not an identifier")
                .with_help("use letters, digits and `_`, starting with a letter"),
        );
    }
}

/// Where an entity lives: its aggregate and the path of child indexes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct EntityLoc {
    pub aggregate: AggregateId,
    pub path: Vec<usize>,
}

/// Whose columns an expression may name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Owner {
    Entity(EntityLoc),
    Value(ValueId),
}

/// An expression waiting for pass 4, and the slot it fills.
pub(super) struct PendingExpr<'a> {
    pub owner: Owner,
    pub slot: Slot,
    pub ast: &'a ast::Expr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Slot {
    Invariant(usize),
    Default(usize),
    Backfill(usize),
    IndexItem(usize, usize),
    IndexWhere(usize),
    /// A single-column value object's check.
    ValueCheck,
}

pub(super) struct PendingRef<'a> {
    pub loc: EntityLoc,
    pub field: usize,
    pub ast: &'a ast::RefType,
    pub scope: ContextId,
}

/// Where the name `key` was first declared, if it was; otherwise `span`
/// is kept as that. (`HashMap::insert` keeps the latest: a name declared
/// three times had its third reported against the second, itself
/// refused.)
pub(super) fn seen_before<K: Eq + std::hash::Hash>(seen: &mut HashMap<K, Span>, key: K, span: Span) -> Option<Span> {
    match seen.entry(key) {
        std::collections::hash_map::Entry::Occupied(first) => Some(*first.get()),
        std::collections::hash_map::Entry::Vacant(v) => {
            v.insert(span);
            None
        }
    }
}

pub(super) fn duplicate(r: &mut Resolver<'_>, what: &str, name: &ast::Ident, first: Span) {
    r.error(
        Diagnostic::error(id::E0101, format!("{what} `{}` is declared more than once", name.name))
            .at(name.span, "declared again here")
            .with_secondary(first, "first defined here")
            .with_help(format!("rename or remove one of the two `{}`", name.name)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of a scope are gathered and sorted once per scope and
    /// kind, and the help of an unknown name looked for once per name,
    /// scope and kind.
    #[test]
    fn an_unknown_name_is_compared_once_per_scope() {
        let mut index = NameIndex::default();
        index.types_in.insert(None, vec!["Monto".into(), "Moneda".into()]);
        index.types_in.insert(Some(ContextId(0)), vec!["Nota".into()]);
        let gathered = std::cell::Cell::new(0);
        let mut ask = |looked, scope: Option<ContextId>, name: &str| {
            index.closest(looked, scope, name, |index| {
                gathered.set(gathered.get() + 1);
                index.types_in.get(&scope).into_iter().flatten().map(String::as_str).collect()
            })
        };
        assert_eq!(ask(Looked::Type, None, "Mont"), Some("Monto".into()));
        assert_eq!(ask(Looked::Type, None, "moned"), Some("Moneda".into()));
        assert_eq!(ask(Looked::Type, None, "Mont"), Some("Monto".into()));
        assert_eq!(gathered.get(), 1);
        assert_eq!(ask(Looked::Type, Some(ContextId(0)), "Mont"), None);
        assert_eq!(ask(Looked::Type, Some(ContextId(0)), "Nta"), Some("Nota".into()));
        assert_eq!(ask(Looked::Aggregate, None, "Mont"), Some("Monto".into()));
        assert_eq!(gathered.get(), 3);
        assert_eq!(index.closest.len(), 5);
    }
}
