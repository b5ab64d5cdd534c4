//! Contexts, enums and value objects.

use crate::syntax::tree::Pair;

use super::Builder;
use crate::diagnostics::Span;
use crate::syntax::ast::*;
use crate::syntax::errors::Place;
use crate::syntax::Rule;

impl Builder<'_> {
    pub(super) fn context(&mut self, pair: Pair<'_>) -> Context {
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

    pub(super) fn enum_decl(&mut self, pair: Pair<'_>) -> EnumDecl {
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

    pub(super) fn value_decl(&mut self, pair: Pair<'_>) -> ValueDecl {
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

    pub(super) fn check_expr(&mut self, pair: Pair<'_>) -> Option<Expr> {
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
}
