//! Typed model expressions as SQL. Every operator is parenthesised, so the
//! SQL means what the tree means whatever PostgreSQL's precedence is.

use super::{ident, literal};
use crate::model::{ArithOp, CmpOp, Function, Literal, TExpr, TExprKind};

/// How names in an expression become columns.
pub struct Columns<'a> {
    /// Prefix for the expression's own column names (a value object embedded
    /// as `direccion_…`).
    pub prefix: &'a str,
    /// The column a single-column value object's check applies to.
    pub subject: Option<&'a str>,
}

impl Columns<'_> {
    pub const PLAIN: Columns<'static> = Columns { prefix: "", subject: None };
}

pub fn render(e: &TExpr, cols: &Columns<'_>) -> String {
    let r = |x: &TExpr| render(x, cols);
    match &e.kind {
        TExprKind::Column(c) => ident(&format!("{}{c}", cols.prefix)),
        TExprKind::Columns(cs) => {
            cs.iter().map(|c| ident(&format!("{}{c}", cols.prefix))).collect::<Vec<_>>().join(", ")
        }
        TExprKind::Subject => ident(cols.subject.unwrap_or("value")),
        TExprKind::EnumValue { value, .. } => literal(value),
        TExprKind::Literal(l) => literal_sql(l),
        TExprKind::Not(x) => format!("(NOT {})", r(x)),
        TExprKind::And(xs) => format!("({})", xs.iter().map(r).collect::<Vec<_>>().join(" AND ")),
        TExprKind::Or(xs) => format!("({})", xs.iter().map(r).collect::<Vec<_>>().join(" OR ")),
        TExprKind::Implies(a, b) => format!("((NOT {}) OR {})", r(a), r(b)),
        TExprKind::Compare(op, a, b) => format!("({} {} {})", r(a), cmp(*op), r(b)),
        // A value object or reference of several columns is absent when all
        // of them are NULL (its all-or-none check keeps them together): a
        // row constructor would not mean that.
        TExprKind::IsNull { expr, negated } => match &expr.kind {
            TExprKind::Columns(cs) => {
                let all_null = cs
                    .iter()
                    .map(|c| format!("{} IS NULL", ident(&format!("{}{c}", cols.prefix))))
                    .collect::<Vec<_>>()
                    .join(" AND ");
                if *negated {
                    format!("(NOT ({all_null}))")
                } else {
                    format!("({all_null})")
                }
            }
            _ => format!("({} IS {}NULL)", r(expr), if *negated { "NOT " } else { "" }),
        },
        TExprKind::In { expr, list, negated } => format!(
            "({} {}IN ({}))",
            r(expr),
            if *negated { "NOT " } else { "" },
            list.iter().map(r).collect::<Vec<_>>().join(", ")
        ),
        TExprKind::Between { expr, low, high } => {
            format!("({} BETWEEN {} AND {})", r(expr), r(low), r(high))
        }
        TExprKind::Matches { expr, regex } => format!("({} ~ {})", r(expr), literal(regex)),
        TExprKind::Arith(op, a, b) => format!("({} {} {})", r(a), arith(*op), r(b)),
        TExprKind::Neg(x) => match &x.kind {
            TExprKind::Literal(Literal::Number(n)) => format!("-{n}"),
            _ => format!("(- {})", r(x)),
        },
        TExprKind::Call(f, args) => {
            let a: Vec<String> = args.iter().map(r).collect();
            match f {
                Function::Len => format!("char_length({})", a.join(", ")),
                Function::Now => "CURRENT_TIMESTAMP".to_string(),
                Function::Date => format!("CAST({} AS DATE)", a.join(", ")),
                other => format!("{}({})", other.name(), a.join(", ")),
            }
        }
        TExprKind::Sql(s) => format!("({s})"),
    }
}

pub fn literal_sql(l: &Literal) -> String {
    match l {
        Literal::Number(n) => n.clone(),
        Literal::String(s) => literal(s),
        Literal::Bool(true) => "TRUE".into(),
        Literal::Bool(false) => "FALSE".into(),
        Literal::Null => "NULL".into(),
        Literal::Date(d) => format!("DATE {}", literal(d)),
        Literal::EmptyObject => "'{}'::jsonb".into(),
        Literal::EmptyArray => "'[]'::jsonb".into(),
    }
}

fn cmp(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "=",
        CmpOp::Ne => "<>",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
    }
}

fn arith(op: ArithOp) -> &'static str {
    op.symbol()
}
