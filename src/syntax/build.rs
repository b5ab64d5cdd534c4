//! Pest pairs → typed AST. The grammar has already accepted the shape, so the
//! walk only reads children; anything unexpected is skipped, never unwrapped.

use pest::iterators::{Pair, Pairs};

use super::ast::*;
use super::comments::DocAttacher;
use super::Rule;
use crate::diagnostics::codes::id;
use crate::diagnostics::{Diagnostic, FileId, Span};

/// Where a piece of junk was found, to explain it (see `errors`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    Top,
    Model,
    Defaults,
    Context,
    Enum,
    Value,
    Aggregate,
    Events,
    Role,
}

pub(super) struct Junk {
    pub place: Place,
    pub start: usize,
    pub end: usize,
}

pub(super) struct Builder<'a> {
    file: FileId,
    text: &'a str,
    docs: DocAttacher<'a>,
    pub junk: Vec<Junk>,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> Builder<'a> {
    pub fn new(file: FileId, text: &'a str, comments: Vec<Comment>) -> Self {
        Builder { file, text, docs: DocAttacher::new(text, comments), junk: Vec::new(), diagnostics: Vec::new() }
    }

    /// A node's span, without the blanks and comments pest's implicit
    /// whitespace left at its end (when an optional tail was absent).
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let start = pair.as_span().start();
        let mut end = pair.as_span().end();
        loop {
            end = start + self.text[start..end].trim_end().len();
            match self.docs.comment_ending_at(end) {
                Some(c) if c >= start && c < end => end = c,
                _ => break,
            }
        }
        Span::new(self.file, start, end)
    }

    /// Nothing but blanks before `offset` on its line.
    fn starts_line(&self, offset: usize) -> bool {
        self.text[..offset].rsplit('\n').next().is_some_and(|l| l.trim().is_empty())
    }

    /// An annotation alone on its line documents nothing: the grammar would
    /// silently attach it to what comes before.
    fn check_annotations(&mut self, anns: &[Annotation]) {
        for a in anns {
            if self.starts_line(a.span.start as usize) {
                self.diagnostics.push(
                    Diagnostic::error(id::E0001, "annotation on a line of its own")
                        .at(a.span, "this would silently annotate the line above")
                        .with_help(
                            "write annotations after what they annotate, on the same line: `email: Email unique @pii`",
                        ),
                );
            }
        }
    }

    fn doc(&mut self, pair: &Pair<'_, Rule>) -> Option<Doc> {
        self.docs.take(pair.as_span().start())
    }

    fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident { name: pair.as_str().to_string(), span: self.span(&pair) }
    }

    fn path(&self, pair: Pair<'_, Rule>) -> Path {
        let span = self.span(&pair);
        Path { parts: pair.into_inner().map(|p| self.ident(p)).collect(), span }
    }

    fn junk(&mut self, place: Place, pair: &Pair<'_, Rule>) {
        let (start, end) = (pair.as_span().start(), pair.as_span().end());
        // Consecutive junk lines are one region: explain only its first line.
        if let Some(last) = self.junk.last_mut() {
            // At the top level, the lines after a broken block header are its
            // body: one region. Inside blocks, each item is a line.
            let new_item = place != Place::Top && super::errors::starts_item(&self.text[start..end]);
            if last.place == place && self.text[last.end..start].trim().is_empty() && !new_item {
                last.end = end;
                return;
            }
        }
        self.junk.push(Junk { place, start, end });
    }

    pub fn file(&mut self, root: Pair<'_, Rule>) -> SourceFile {
        let mut items = Vec::new();
        for p in root.into_inner() {
            match p.as_rule() {
                Rule::include => items.push(TopItem::Include(self.include(p))),
                Rule::model => items.push(TopItem::Model(self.model(p))),
                Rule::context => items.push(TopItem::Context(self.context(p))),
                Rule::enum_decl => items.push(TopItem::Enum(self.enum_decl(p))),
                Rule::value_decl => items.push(TopItem::Value(self.value_decl(p))),
                Rule::role => items.push(TopItem::Role(self.role(p))),
                Rule::publication => items.push(TopItem::Publication(self.publication(p))),
                Rule::top_junk => self.junk(Place::Top, &p),
                _ => {}
            }
        }
        let unused: Vec<Span> = self.docs.unused().map(|c| c.span).collect();
        for span in unused {
            self.diagnostics.push(
                Diagnostic::warning(id::W0001, "doc comment documents nothing")
                    .at(span, "no declaration follows this `///` comment")
                    .with_help("put it right above a declaration, or use `//` for a plain comment"),
            );
        }
        let comments = std::mem::replace(&mut self.docs, DocAttacher::new(self.text, Vec::new())).into_comments();
        SourceFile { items, comments }
    }

    fn include(&mut self, pair: Pair<'_, Rule>) -> Include {
        let span = self.span(&pair);
        let mut path = String::new();
        let mut path_span = span;
        for p in pair.into_inner() {
            if matches!(p.as_rule(), Rule::sq_string | Rule::dq_string) {
                path_span = self.span(&p);
                path = unquote(p.as_str());
            }
        }
        Include { path, path_span, span }
    }

    fn model(&mut self, pair: Pair<'_, Rule>) -> Model {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        let mut name = None;
        let mut items = Vec::new();
        let mut annotations = Vec::new();
        for p in pair.into_inner() {
            let item_span = self.span(&p);
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::annotation => annotations.push(self.annotation(p)),
                Rule::target => {
                    let mut database = None;
                    let mut version = (0, item_span);
                    for q in p.into_inner() {
                        match q.as_rule() {
                            Rule::ident => database = Some(self.ident(q)),
                            Rule::int => version = (q.as_str().parse().unwrap_or(u32::MAX), self.span(&q)),
                            _ => {}
                        }
                    }
                    if let Some(database) = database {
                        items.push(ModelItem::Target {
                            database,
                            version: version.0,
                            version_span: version.1,
                            span: item_span,
                        });
                    }
                }
                Rule::tables_rule => {
                    if let Some(rule) = p.into_inner().find(|q| q.as_rule() == Rule::ident) {
                        items.push(ModelItem::Tables { rule: self.ident(rule), span: item_span });
                    }
                }
                Rule::extensions => {
                    let names =
                        p.into_inner().filter(|q| q.as_rule() == Rule::ext_name).map(|q| self.ident(q)).collect();
                    items.push(ModelItem::Extensions { names, span: item_span });
                }
                Rule::defaults => {
                    let mut settings = Vec::new();
                    for q in p.into_inner() {
                        match q.as_rule() {
                            Rule::setting => {
                                let s_span = self.span(&q);
                                let mut negated = false;
                                for r in q.into_inner() {
                                    match r.as_rule() {
                                        Rule::kw_no => negated = true,
                                        Rule::ident => {
                                            settings.push(Setting { negated, name: self.ident(r), span: s_span })
                                        }
                                        _ => {}
                                    }
                                }
                            }
                            Rule::block_junk => self.junk(Place::Defaults, &q),
                            _ => {}
                        }
                    }
                    items.push(ModelItem::Defaults { settings, span: item_span });
                }
                Rule::audit_log => {
                    let mut table = None;
                    let mut range = None;
                    for q in p.into_inner() {
                        match q.as_rule() {
                            Rule::path => table = Some(self.path(q)),
                            Rule::month_range => range = self.month_range(q),
                            _ => {}
                        }
                    }
                    if let Some(table) = table {
                        items.push(ModelItem::AuditLog { table, range, span: item_span });
                    }
                }
                Rule::role => items.push(ModelItem::Role(self.role(p))),
                Rule::publication => items.push(ModelItem::Publication(self.publication(p))),
                Rule::context => items.push(ModelItem::Context(self.context(p))),
                Rule::enum_decl => items.push(ModelItem::Enum(self.enum_decl(p))),
                Rule::value_decl => items.push(ModelItem::Value(self.value_decl(p))),
                Rule::block_junk => self.junk(Place::Model, &p),
                _ => {}
            }
        }
        Model { doc, name: name.unwrap_or_else(|| self.missing(span)), annotations, items, span }
    }

    /// Placeholder name for a node whose name the grammar guarantees; never
    /// reached on a successful parse, but no reason to panic either.
    fn missing(&self, span: Span) -> Ident {
        Ident { name: String::new(), span }
    }

    fn month_range(&mut self, pair: Pair<'_, Rule>) -> Option<MonthRange> {
        let span = self.span(&pair);
        let months: Vec<Month> =
            pair.into_inner().filter(|q| q.as_rule() == Rule::month).map(|q| self.month(q)).collect();
        match months[..] {
            [from, to] => Some(MonthRange { from, to, span }),
            _ => None,
        }
    }

    fn month(&self, pair: Pair<'_, Rule>) -> Month {
        let s = pair.as_str();
        let year = s.get(0..4).and_then(|y| y.parse().ok()).unwrap_or(0);
        let month = s.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(0);
        Month { year, month, span: self.span(&pair) }
    }

    fn context(&mut self, pair: Pair<'_, Rule>) -> Context {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        let mut name = None;
        let mut annotations = Vec::new();
        let mut items = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::annotation => annotations.push(self.annotation(p)),
                Rule::tenant_by => {
                    let t_span = self.span(&p);
                    if let Some(col) = p.into_inner().find(|q| q.as_rule() == Rule::ident) {
                        items.push(ContextItem::TenantBy { column: self.ident(col), span: t_span });
                    }
                }
                Rule::enum_decl => items.push(ContextItem::Enum(self.enum_decl(p))),
                Rule::value_decl => items.push(ContextItem::Value(self.value_decl(p))),
                Rule::aggregate => items.push(ContextItem::Aggregate(self.aggregate(p))),
                Rule::block_junk => self.junk(Place::Context, &p),
                _ => {}
            }
        }
        Context { doc, name: name.unwrap_or_else(|| self.missing(span)), annotations, items, span }
    }

    fn enum_decl(&mut self, pair: Pair<'_, Rule>) -> EnumDecl {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        let mut name = None;
        let mut native = None;
        let mut annotations = Vec::new();
        let mut values = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::native => native = Some(self.span(&p)),
                Rule::annotation => annotations.push(self.annotation(p)),
                Rule::enum_value => {
                    let v_doc = self.doc(&p);
                    let v_span = self.span(&p);
                    let mut v_name = None;
                    let mut v_ann = Vec::new();
                    for q in p.into_inner() {
                        match q.as_rule() {
                            Rule::ident => v_name = Some(self.ident(q)),
                            Rule::annotation => v_ann.push(self.annotation(q)),
                            _ => {}
                        }
                    }
                    self.check_annotations(&v_ann);
                    values.push(EnumValue {
                        doc: v_doc,
                        name: v_name.unwrap_or_else(|| self.missing(v_span)),
                        annotations: v_ann,
                        span: v_span,
                    });
                }
                Rule::block_junk => self.junk(Place::Enum, &p),
                _ => {}
            }
        }
        EnumDecl { doc, name: name.unwrap_or_else(|| self.missing(span)), native, annotations, values, span }
    }

    fn value_decl(&mut self, pair: Pair<'_, Rule>) -> ValueDecl {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        let mut name = None;
        let mut annotations = Vec::new();
        let mut body = ValueBody::Fields(Vec::new());
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::annotation => annotations.push(self.annotation(p)),
                Rule::value_single => {
                    let mut ty = None;
                    let mut check = None;
                    for q in p.into_inner() {
                        match q.as_rule() {
                            Rule::type_expr => ty = self.type_expr(q),
                            Rule::check_expr => check = self.check_expr(q),
                            _ => {}
                        }
                    }
                    if let Some(ty) = ty {
                        body = ValueBody::Single { ty, check };
                    }
                }
                Rule::value_block => {
                    let mut items = Vec::new();
                    for q in p.into_inner() {
                        match q.as_rule() {
                            Rule::field => items.extend(self.field(q).map(ValueItem::Field)),
                            Rule::invariant => items.extend(self.invariant(q).map(ValueItem::Invariant)),
                            Rule::block_junk => self.junk(Place::Value, &q),
                            _ => {}
                        }
                    }
                    body = ValueBody::Fields(items);
                }
                _ => {}
            }
        }
        ValueDecl { doc, name: name.unwrap_or_else(|| self.missing(span)), annotations, body, span }
    }

    fn check_expr(&mut self, pair: Pair<'_, Rule>) -> Option<Expr> {
        let inner = pair.into_inner().next()?;
        match inner.as_rule() {
            Rule::implicit_test => {
                let span = self.span(&inner);
                let suffix = inner.into_inner().next()?;
                let subject = Expr { kind: ExprKind::Subject, span: Span { end: span.start, ..span } };
                Some(self.test_suffix(subject, suffix))
            }
            Rule::expr => Some(self.expr(inner)),
            _ => None,
        }
    }

    fn type_expr(&mut self, pair: Pair<'_, Rule>) -> Option<TypeExpr> {
        let inner = pair.into_inner().next()?;
        let span = self.span(&inner);
        match inner.as_rule() {
            Rule::plain_type => {
                let mut name = None;
                let mut args = Vec::new();
                let (mut array, mut optional, mut flag) = (false, false, None);
                for p in inner.into_inner() {
                    match p.as_rule() {
                        Rule::path => name = Some(self.path(p)),
                        Rule::type_args => {
                            for q in p.into_inner() {
                                args.push((q.as_str().parse().unwrap_or(u64::MAX), self.span(&q)));
                            }
                        }
                        Rule::array => array = true,
                        Rule::optional => optional = true,
                        Rule::type_flag => {
                            let f_span = self.span(&p);
                            let f = if p.as_str() == "v7" { TypeFlag::V7 } else { TypeFlag::Identity };
                            flag = Some((f, f_span));
                        }
                        _ => {}
                    }
                }
                Some(TypeExpr::Named(NamedType { name: name?, args, array, optional, flag, span }))
            }
            Rule::ref_type => {
                let mut target = None;
                let mut r = RefType {
                    target: Path { parts: vec![], span },
                    optional: false,
                    on_delete: None,
                    on_update: None,
                    loose: None,
                    span,
                };
                for p in inner.into_inner() {
                    match p.as_rule() {
                        Rule::path => target = Some(self.path(p)),
                        Rule::optional => r.optional = true,
                        Rule::ref_option => {
                            for q in p.into_inner() {
                                let q_span = self.span(&q);
                                match q.as_rule() {
                                    Rule::on_delete => r.on_delete = self.ref_action(q).map(|a| (a, q_span)),
                                    Rule::on_update => r.on_update = self.ref_action(q).map(|a| (a, q_span)),
                                    Rule::loose => r.loose = Some(q_span),
                                    _ => {}
                                }
                            }
                        }
                        _ => {}
                    }
                }
                r.target = target?;
                Some(TypeExpr::Ref(r))
            }
            _ => None,
        }
    }

    fn ref_action(&mut self, pair: Pair<'_, Rule>) -> Option<RefAction> {
        let action = pair.into_inner().find(|p| p.as_rule() == Rule::ref_action)?;
        let inner = action.into_inner().next()?;
        Some(match inner.as_rule() {
            Rule::kw_restrict => RefAction::Restrict,
            Rule::kw_cascade => RefAction::Cascade,
            Rule::set_null => RefAction::SetNull,
            Rule::no_action => RefAction::NoAction,
            Rule::set_default => {
                let word = inner.clone().into_inner().find(|p| p.as_rule() == Rule::ident)?;
                if word.as_str() != "default" {
                    self.diagnostics.push(
                        Diagnostic::error(
                            id::E0001,
                            format!("expected `null` or `default` after `set`, found `{}`", word.as_str()),
                        )
                        .at(self.span(&word), "expected `null` or `default`")
                        .with_help("write `on delete set null` or `on delete set default`"),
                    );
                    return None;
                }
                RefAction::SetDefault
            }
            _ => return None,
        })
    }

    fn field(&mut self, pair: Pair<'_, Rule>) -> Option<Field> {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        let mut name = None;
        let mut ty = None;
        let mut field_default = None;
        let (mut unique, mut indexed) = (None, None);
        let mut annotations = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::type_expr => ty = self.type_expr(p),
                Rule::default_value => {
                    if let Some(e) = p.into_inner().find(|q| q.as_rule() == Rule::expr) {
                        field_default = Some(self.expr(e));
                    }
                }
                Rule::unique_flag => unique = Some(self.span(&p)),
                Rule::indexed_flag => indexed = Some(self.span(&p)),
                Rule::annotation => annotations.push(self.annotation(p)),
                _ => {}
            }
        }
        self.check_annotations(&annotations);
        Some(Field { doc, name: name?, ty: ty?, default: field_default, unique, indexed, annotations, span })
    }

    fn annotation(&mut self, pair: Pair<'_, Rule>) -> Annotation {
        let span = self.span(&pair);
        let mut name = None;
        let mut args = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::expr => args.push(self.expr(p)),
                _ => {}
            }
        }
        Annotation { name: name.unwrap_or_else(|| self.missing(span)), args, span }
    }

    fn aggregate(&mut self, pair: Pair<'_, Rule>) -> Aggregate {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        let mut name = None;
        let mut table_as = None;
        let mut annotations = Vec::new();
        let mut items = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::table_as => table_as = self.table_as(p),
                Rule::annotation => annotations.push(self.annotation(p)),
                _ => self.aggregate_item(p, &mut items),
            }
        }
        Aggregate { doc, name: name.unwrap_or_else(|| self.missing(span)), table_as, annotations, items, span }
    }

    fn table_as(&mut self, pair: Pair<'_, Rule>) -> Option<Ident> {
        pair.into_inner().find(|q| q.as_rule() == Rule::ident).map(|q| self.ident(q))
    }

    fn entity(&mut self, pair: Pair<'_, Rule>) -> Entity {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        let mut name = None;
        let mut table_as = None;
        let mut one = None;
        let mut annotations = Vec::new();
        let mut items = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::table_as => table_as = self.table_as(p),
                Rule::one => one = Some(self.span(&p)),
                Rule::annotation => annotations.push(self.annotation(p)),
                _ => self.aggregate_item(p, &mut items),
            }
        }
        Entity { doc, name: name.unwrap_or_else(|| self.missing(span)), table_as, one, annotations, items, span }
    }

    fn aggregate_item(&mut self, p: Pair<'_, Rule>, items: &mut Vec<AggregateItem>) {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::field => items.extend(self.field(p).map(AggregateItem::Field)),
            Rule::flag => {
                let mut negated = false;
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::kw_no => negated = true,
                        Rule::kw_flag => {
                            let name = self.ident(q);
                            // The grammar's `kw_flag` only admits the four keywords.
                            if let Some(kind) = FlagKind::from_keyword(&name.name) {
                                items.push(AggregateItem::Flag(Flag { negated, kind, name, span }));
                            }
                        }
                        _ => {}
                    }
                }
            }
            Rule::expected_rows => {
                if let Some(size) = p.into_inner().find(|q| q.as_rule() == Rule::size) {
                    let text = size.as_str().to_string();
                    items.push(AggregateItem::ExpectedRows { rows: parse_size(&text), text, span });
                }
            }
            Rule::key => {
                let columns = p.into_inner().filter(|q| q.as_rule() == Rule::ident).map(|q| self.ident(q)).collect();
                items.push(AggregateItem::Key { columns, span });
            }
            Rule::invariant => items.extend(self.invariant(p).map(AggregateItem::Invariant)),
            Rule::index | Rule::unique => items.push(AggregateItem::Index(self.index(p))),
            Rule::entity => items.push(AggregateItem::Entity(self.entity(p))),
            Rule::events => items.push(AggregateItem::Events(self.events(p))),
            Rule::partition => items.extend(self.partition(p).map(AggregateItem::Partition)),
            Rule::search => {
                let mut config = None;
                let mut search_items = Vec::new();
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::ident => config = Some(self.ident(q)),
                        Rule::search_item => {
                            let mut path = None;
                            let mut weight = None;
                            for r in q.into_inner() {
                                match r.as_rule() {
                                    Rule::path => path = Some(self.path(r)),
                                    Rule::weight => weight = r.as_str().chars().next().map(|c| (c, self.span(&r))),
                                    _ => {}
                                }
                            }
                            if let Some(path) = path {
                                search_items.push(SearchItem { path, weight });
                            }
                        }
                        _ => {}
                    }
                }
                if let Some(config) = config {
                    items.push(AggregateItem::Search(Search { config, items: search_items, span }));
                }
            }
            Rule::block_junk => self.junk(Place::Aggregate, &p),
            _ => {}
        }
    }

    fn invariant(&mut self, pair: Pair<'_, Rule>) -> Option<Invariant> {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        let mut name = None;
        let mut annotations = Vec::new();
        let mut expr = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::annotation => annotations.push(self.annotation(p)),
                Rule::expr => expr = Some(self.expr(p)),
                _ => {}
            }
        }
        Some(Invariant { doc, name: name?, annotations, expr: expr?, span })
    }

    fn index(&mut self, pair: Pair<'_, Rule>) -> IndexDecl {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        let mut idx = IndexDecl {
            doc,
            unique: pair.as_rule() == Rule::unique,
            method: None,
            items: Vec::new(),
            where_clause: None,
            including_deleted: None,
            annotations: Vec::new(),
            span,
        };
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::using => idx.method = p.into_inner().find(|q| q.as_rule() == Rule::ident).map(|q| self.ident(q)),
                Rule::index_items => idx.items = p.into_inner().map(|q| self.expr(q)).collect(),
                Rule::where_clause => {
                    idx.where_clause = p.into_inner().find(|q| q.as_rule() == Rule::expr).map(|q| self.expr(q))
                }
                Rule::including_deleted => idx.including_deleted = Some(self.span(&p)),
                Rule::annotation => idx.annotations.push(self.annotation(p)),
                _ => {}
            }
        }
        let anns = idx.annotations.clone();
        self.check_annotations(&anns);
        idx
    }

    fn events(&mut self, pair: Pair<'_, Rule>) -> Events {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        let mut ev =
            Events { doc, outbox: None, table_as: None, range: None, annotations: Vec::new(), names: Vec::new(), span };
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::outbox => ev.outbox = Some(self.span(&p)),
                Rule::table_as => ev.table_as = self.table_as(p),
                Rule::month_range => ev.range = self.month_range(p),
                Rule::annotation => ev.annotations.push(self.annotation(p)),
                Rule::event_name => {
                    let doc = self.doc(&p);
                    if let Some(name) = p.into_inner().next() {
                        ev.names.push(EventName { doc, name: self.ident(name) });
                    }
                }
                Rule::block_junk => self.junk(Place::Events, &p),
                _ => {}
            }
        }
        ev
    }

    fn partition(&mut self, pair: Pair<'_, Rule>) -> Option<Partition> {
        let span = self.span(&pair);
        let inner = pair
            .into_inner()
            .find(|p| matches!(p.as_rule(), Rule::range_partition | Rule::list_partition | Rule::hash_partition))?;
        let rule = inner.as_rule();
        let mut column = None;
        let mut range = None;
        let mut parts = Vec::new();
        let mut modulus = (0, span);
        for p in inner.into_inner() {
            match p.as_rule() {
                Rule::ident => column = Some(self.ident(p)),
                Rule::month_range => range = self.month_range(p),
                Rule::int => modulus = (p.as_str().parse().unwrap_or(u32::MAX), self.span(&p)),
                Rule::list_part => {
                    let p_span = self.span(&p);
                    let mut name = None;
                    let mut values = Vec::new();
                    for q in p.into_inner() {
                        if q.as_rule() == Rule::ident && name.is_none() {
                            name = Some(self.ident(q));
                        } else {
                            values.push(self.atom(q));
                        }
                    }
                    if let Some(name) = name {
                        parts.push(ListPart { name, values, span: p_span });
                    }
                }
                _ => {}
            }
        }
        let kind = match rule {
            Rule::range_partition => PartitionKind::Range { range },
            Rule::list_partition => PartitionKind::List { parts },
            _ => PartitionKind::Hash { modulus: modulus.0, modulus_span: modulus.1 },
        };
        Some(Partition { kind, column: column?, span })
    }

    fn role(&mut self, pair: Pair<'_, Rule>) -> Role {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        let mut name = None;
        let mut grants = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::grant => {
                    let g_span = self.span(&p);
                    let mut write = false;
                    let mut contexts = Vec::new();
                    for q in p.into_inner() {
                        match q.as_rule() {
                            Rule::kw_write => write = true,
                            Rule::ident => contexts.push(self.ident(q)),
                            _ => {}
                        }
                    }
                    grants.push(Grant { write, contexts, span: g_span });
                }
                Rule::block_junk => self.junk(Place::Role, &p),
                _ => {}
            }
        }
        Role { doc, name: name.unwrap_or_else(|| self.missing(span)), grants, span }
    }

    fn publication(&mut self, pair: Pair<'_, Rule>) -> Publication {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        let mut name = None;
        let mut items = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::path => items.push(self.path(p)),
                _ => {}
            }
        }
        Publication { doc, name: name.unwrap_or_else(|| self.missing(span)), items, span }
    }

    // --------------------------------------------------------- expressions --

    pub fn expr(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        if !matches!(
            rule,
            Rule::expr
                | Rule::or_expr
                | Rule::and_expr
                | Rule::not_expr
                | Rule::test
                | Rule::sum
                | Rule::product
                | Rule::unary
        ) {
            return self.atom(pair);
        }
        let mut inner = pair.into_inner();
        match rule {
            Rule::expr => {
                let lhs = self.next_expr(&mut inner, span);
                let rhs = inner.find(|p| p.as_rule() == Rule::or_expr).map(|p| self.expr(p));
                match rhs {
                    Some(rhs) => Expr { kind: ExprKind::Implies(Box::new(lhs), Box::new(rhs)), span },
                    None => lhs,
                }
            }
            Rule::or_expr | Rule::and_expr => {
                let parts: Vec<Expr> = inner
                    .filter(|p| !matches!(p.as_rule(), Rule::kw_or | Rule::kw_and))
                    .map(|p| self.expr(p))
                    .collect();
                if parts.len() == 1 {
                    parts.into_iter().next().unwrap_or(Expr { kind: ExprKind::Subject, span })
                } else if rule == Rule::or_expr {
                    Expr { kind: ExprKind::Or(parts), span }
                } else {
                    Expr { kind: ExprKind::And(parts), span }
                }
            }
            Rule::not_expr => {
                let first = inner.next();
                match first {
                    Some(p) if p.as_rule() == Rule::kw_not => {
                        let operand = self.next_expr(&mut inner, span);
                        Expr { kind: ExprKind::Not(Box::new(operand)), span }
                    }
                    Some(p) => self.expr(p),
                    None => Expr { kind: ExprKind::Subject, span },
                }
            }
            Rule::test => {
                let subject = self.next_expr(&mut inner, span);
                match inner.next() {
                    Some(suffix) => self.test_suffix(subject, suffix),
                    None => subject,
                }
            }
            Rule::sum | Rule::product => {
                let mut acc = self.next_expr(&mut inner, span);
                let mut terms = 1;
                while let Some(op) = inner.next() {
                    terms += 1;
                    if terms > super::limits::MAX_TERMS {
                        self.diagnostics.push(
                            Diagnostic::error(
                                id::E0001,
                                format!("more than {} terms in one arithmetic chain", super::limits::MAX_TERMS),
                            )
                            .at(
                                Span::new(self.file, op.as_span().start(), op.as_span().end()),
                                "this operator is one too many",
                            )
                            .with_help("split the computation into smaller invariants"),
                        );
                        break;
                    }
                    let op = match op.as_str() {
                        "+" => ArithOp::Add,
                        "-" => ArithOp::Sub,
                        "*" => ArithOp::Mul,
                        "/" => ArithOp::Div,
                        _ => ArithOp::Rem,
                    };
                    let rhs = self.next_expr(&mut inner, span);
                    let s = acc.span.to(rhs.span);
                    acc = Expr { kind: ExprKind::Arith(op, Box::new(acc), Box::new(rhs)), span: s };
                }
                acc
            }
            Rule::unary => {
                let first = inner.next();
                match first {
                    Some(p) if p.as_rule() == Rule::neg => {
                        let operand = self.next_expr(&mut inner, span);
                        Expr { kind: ExprKind::Neg(Box::new(operand)), span }
                    }
                    Some(p) if p.as_rule() == Rule::expr => {
                        Expr { kind: ExprKind::Paren(Box::new(self.expr(p))), span }
                    }
                    Some(p) => self.atom(p),
                    None => Expr { kind: ExprKind::Subject, span },
                }
            }
            _ => Expr { kind: ExprKind::Subject, span },
        }
    }

    fn next_expr(&mut self, inner: &mut Pairs<'_, Rule>, span: Span) -> Expr {
        match inner.next() {
            Some(p) => self.expr(p),
            None => Expr { kind: ExprKind::Subject, span },
        }
    }

    fn test_suffix(&mut self, subject: Expr, suffix: Pair<'_, Rule>) -> Expr {
        let span = subject.span.to(self.span(&suffix));
        let rule = suffix.as_rule();
        let mut negated = false;
        let mut operands = Vec::new();
        let mut op = CmpOp::Eq;
        let mut regex = String::new();
        for p in suffix.into_inner() {
            match p.as_rule() {
                Rule::not_kw => negated = true,
                Rule::cmp_op => {
                    op = match p.as_str() {
                        "==" => CmpOp::Eq,
                        "!=" => CmpOp::Ne,
                        "<" => CmpOp::Lt,
                        "<=" => CmpOp::Le,
                        ">" => CmpOp::Gt,
                        _ => CmpOp::Ge,
                    }
                }
                Rule::regex => regex = unescape_regex(p.as_str()),
                Rule::sum | Rule::expr => operands.push(self.expr(p)),
                _ => {}
            }
        }
        let subject = Box::new(subject);
        let kind = match rule {
            Rule::cmp_suffix => match operands.pop() {
                Some(rhs) => ExprKind::Compare(op, subject, Box::new(rhs)),
                None => return *subject,
            },
            Rule::null_suffix => ExprKind::IsNull { expr: subject, negated },
            Rule::in_suffix => ExprKind::In { expr: subject, list: operands, negated },
            Rule::between_suffix => {
                let mut it = operands.into_iter();
                match (it.next(), it.next()) {
                    (Some(low), Some(high)) => {
                        ExprKind::Between { expr: subject, low: Box::new(low), high: Box::new(high) }
                    }
                    _ => return *subject,
                }
            }
            Rule::matches_suffix => ExprKind::Matches { expr: subject, regex },
            _ => return *subject,
        };
        Expr { kind, span }
    }

    fn atom(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        let text = pair.as_str();
        let kind = match pair.as_rule() {
            Rule::call => {
                let mut name = None;
                let mut args = Vec::new();
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::ident => name = Some(self.ident(p)),
                        Rule::expr => args.push(self.expr(p)),
                        _ => {}
                    }
                }
                match name {
                    Some(name) => ExprKind::Call { name, args },
                    None => ExprKind::Subject,
                }
            }
            Rule::path => ExprKind::Path(self.path(pair)),
            Rule::sql_escape => {
                let s = pair
                    .into_inner()
                    .find(|p| matches!(p.as_rule(), Rule::sq_string | Rule::dq_string))
                    .map(|p| unquote(p.as_str()));
                ExprKind::Sql(s.unwrap_or_default())
            }
            Rule::number => ExprKind::Literal(Literal::Number(text.to_string())),
            Rule::date_lit => ExprKind::Literal(Literal::Date(text.to_string())),
            Rule::sq_string | Rule::dq_string => ExprKind::Literal(Literal::String(unquote(text))),
            Rule::true_lit => ExprKind::Literal(Literal::Bool(true)),
            Rule::false_lit => ExprKind::Literal(Literal::Bool(false)),
            Rule::null_lit => ExprKind::Literal(Literal::Null),
            Rule::empty_obj => ExprKind::Literal(Literal::EmptyObject),
            Rule::empty_arr => ExprKind::Literal(Literal::EmptyArray),
            Rule::expr => return self.expr(pair),
            _ => ExprKind::Subject,
        };
        Expr { kind, span }
    }
}

/// `'it''s'` → `it's`; `"say ""hi"""` → `say "hi"`.
pub(super) fn unquote(s: &str) -> String {
    let Some(q) = s.chars().next() else {
        return String::new();
    };
    let inner = s.get(1..s.len().saturating_sub(1)).unwrap_or("");
    let doubled: String = [q, q].iter().collect();
    inner.replace(&doubled, &q.to_string())
}

/// `/a\/b/` → `a/b`; other escapes are the regex's own and stay.
fn unescape_regex(s: &str) -> String {
    let inner = s.get(1..s.len().saturating_sub(1)).unwrap_or("");
    inner.replace("\\/", "/")
}

/// `50M` → 50 000 000. Saturates instead of overflowing.
fn parse_size(s: &str) -> u64 {
    let (num, mult) = match s.chars().last() {
        Some('k' | 'K') => (&s[..s.len() - 1], 1e3),
        Some('M') => (&s[..s.len() - 1], 1e6),
        Some('G' | 'B') => (&s[..s.len() - 1], 1e9),
        _ => (s, 1.0),
    };
    let v = num.parse::<f64>().unwrap_or(0.0) * mult;
    if v >= u64::MAX as f64 {
        u64::MAX
    } else {
        v as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquote_undoubles_its_own_quote() {
        assert_eq!(unquote("'it''s'"), "it's");
        assert_eq!(unquote("\"a \"\"b\"\" 'c'\""), "a \"b\" 'c'");
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("50M"), 50_000_000);
        assert_eq!(parse_size("10k"), 10_000);
        assert_eq!(parse_size("1.5G"), 1_500_000_000);
        assert_eq!(parse_size("12"), 12);
    }
}
