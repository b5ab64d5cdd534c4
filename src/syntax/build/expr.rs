//! Expressions.

use crate::syntax::tree::{Pair, Pairs};

use super::{unescape_regex, Builder};
use crate::diagnostics::codes::id;
use crate::diagnostics::{Diagnostic, Span};
use crate::syntax::ast::*;
use crate::syntax::limits;
use crate::syntax::Rule;

impl Builder<'_> {
    pub fn expr(&mut self, pair: Pair<'_>) -> Expr {
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
                    if terms > limits::MAX_TERMS {
                        self.diagnostics.push(
                            Diagnostic::error(
                                id::E0001,
                                format!("more than {} terms in one arithmetic chain", limits::MAX_TERMS),
                            )
                            .at(Span::new(self.file, op.start(), op.end()), "this operator is one too many")
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

    pub(super) fn next_expr(&mut self, inner: &mut Pairs<'_>, span: Span) -> Expr {
        match inner.next() {
            Some(p) => self.expr(p),
            None => Expr { kind: ExprKind::Subject, span },
        }
    }

    pub(super) fn test_suffix(&mut self, subject: Expr, suffix: Pair<'_>) -> Expr {
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

    pub(super) fn atom(&mut self, pair: Pair<'_>) -> Expr {
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
