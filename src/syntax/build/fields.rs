//! Fields, their types and annotations.

use crate::syntax::tree::Pair;

use super::Builder;
use crate::diagnostics::codes::id;
use crate::diagnostics::Diagnostic;
use crate::syntax::ast::*;
use crate::syntax::Rule;

impl Builder<'_> {
    pub(super) fn type_expr(&mut self, pair: Pair<'_>) -> Option<TypeExpr> {
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

    pub(super) fn ref_action(&mut self, pair: Pair<'_>) -> Option<RefAction> {
        let action = pair.into_inner().find(|p| p.as_rule() == Rule::ref_action)?;
        let inner = action.into_inner().next()?;
        Some(match inner.as_rule() {
            Rule::kw_restrict => RefAction::Restrict,
            Rule::kw_cascade => RefAction::Cascade,
            Rule::set_null => RefAction::SetNull,
            Rule::no_action => RefAction::NoAction,
            Rule::set_default => {
                let word = inner.into_inner().find(|p| p.as_rule() == Rule::ident)?;
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

    pub(super) fn field(&mut self, pair: Pair<'_>) -> Option<Field> {
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

    pub(super) fn annotation(&mut self, pair: Pair<'_>) -> Annotation {
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
}
