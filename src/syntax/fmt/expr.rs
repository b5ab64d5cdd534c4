//! Expressions back to `.ddd` text. The tree keeps the user's parentheses
//! (`ExprKind::Paren`), and precedence built the rest, so printing needs no
//! parentheses of its own.

use crate::syntax::ast::{Expr, ExprKind, Literal};

pub fn expr_to_string(e: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, e);
    out.trim_start().to_string()
}

fn join(out: &mut String, parts: &[Expr], sep: &str) {
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        write_expr(out, p);
    }
}

fn write_expr(out: &mut String, e: &Expr) {
    match &e.kind {
        ExprKind::Implies(a, b) => {
            write_expr(out, a);
            out.push_str(" implies ");
            write_expr(out, b);
        }
        ExprKind::Or(parts) => join(out, parts, " or "),
        ExprKind::And(parts) => join(out, parts, " and "),
        ExprKind::Not(inner) => {
            out.push_str("not ");
            write_expr(out, inner);
        }
        ExprKind::Compare(op, a, b) => {
            write_expr(out, a);
            out.push(' ');
            out.push_str(op.ddd());
            out.push(' ');
            write_expr(out, b);
        }
        ExprKind::IsNull { expr, negated } => {
            write_expr(out, expr);
            out.push_str(if *negated { " is not null" } else { " is null" });
        }
        ExprKind::In { expr, list, negated } => {
            write_expr(out, expr);
            out.push_str(if *negated { " not in (" } else { " in (" });
            join(out, list, ", ");
            out.push(')');
        }
        ExprKind::Between { expr, low, high } => {
            write_expr(out, expr);
            out.push_str(" between ");
            write_expr(out, low);
            out.push_str(" and ");
            write_expr(out, high);
        }
        ExprKind::Matches { expr, regex } => {
            write_expr(out, expr);
            out.push_str(" matches /");
            out.push_str(&regex.replace('/', "\\/"));
            out.push('/');
        }
        ExprKind::Arith(op, a, b) => {
            write_expr(out, a);
            out.push(' ');
            out.push_str(op.symbol());
            out.push(' ');
            write_expr(out, b);
        }
        ExprKind::Neg(inner) => {
            out.push('-');
            write_expr(out, inner);
        }
        ExprKind::Call { name, args } => {
            out.push_str(&name.name);
            out.push('(');
            join(out, args, ", ");
            out.push(')');
        }
        ExprKind::Path(p) => out.push_str(&p.text()),
        ExprKind::Literal(l) => out.push_str(&literal_to_string(l)),
        ExprKind::Sql(s) => {
            out.push_str("sql ");
            out.push_str(&quote_string(s, '"'));
        }
        ExprKind::Paren(inner) => {
            out.push('(');
            write_expr(out, inner);
            out.push(')');
        }
        ExprKind::Subject => {}
    }
}

pub fn literal_to_string(l: &Literal) -> String {
    match l {
        Literal::Number(n) => n.clone(),
        Literal::String(s) => quote_string(s, string_quote(s)),
        Literal::Bool(b) => b.to_string(),
        Literal::Null => "null".into(),
        Literal::Date(d) => d.clone(),
        Literal::EmptyObject => "{}".into(),
        Literal::EmptyArray => "[]".into(),
    }
}

/// The quote a string literal is printed with: single quotes, unless the text
/// holds a single quote and no double quote, or a line break (only a
/// double-quoted string may span lines).
pub fn string_quote(s: &str) -> char {
    if s.contains('\n') || (s.contains('\'') && !s.contains('"')) {
        '"'
    } else {
        '\''
    }
}

/// A `.ddd` string literal: the quote character doubled inside.
pub fn quote_string(s: &str, quote: char) -> String {
    let doubled: String = [quote, quote].iter().collect();
    format!("{quote}{}{quote}", s.replace(quote, &doubled))
}
