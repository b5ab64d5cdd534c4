//! L014 `nullable-invariant`.

use std::collections::BTreeSet;

use crate::lint::context::{Ctx, Finding};
use crate::model::Literal;
use crate::model::{Function, TExpr, TExprKind};

rule_docs! {
    /// # L014: nullable-invariant
    ///
    /// ## What it does
    /// Flags an invariant that evaluates to NULL — and so passes, because a
    /// `CHECK` only rejects `false` — when one or more nullable fields are
    /// NULL, unless the invariant says what happens then.
    ///
    /// The rule evaluates the invariant in SQL's three-valued logic for every
    /// combination of its nullable fields being NULL or not. Guards such as
    /// `x is null or …`, `x is not null and …`, `… implies …` with an
    /// `is null` test, or `coalesce(x, 0)` make the result definite, and then
    /// the invariant is fine. Invariants written in `sql` are not analysed.
    ///
    /// ## Why
    /// `invariant descuento_valido: descuento between 0 and 50` reads as "the
    /// discount is between 0 and 50", yet a row without a discount passes as
    /// well. Perhaps that was meant, perhaps the field should not be nullable;
    /// either way the reader of the model cannot tell, and a NULL that should
    /// have been rejected slips into the table.
    ///
    /// ## Example
    /// ```ddd
    /// context ventas {
    ///   /// Pedido.
    ///   aggregate Pedido {
    ///     total: decimal(12, 2)
    ///     descuento: decimal(12, 2)?
    ///     invariant descuento_menor: descuento <= total
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// Say what NULL means: `descuento is null or descuento <= total`, or
    /// `coalesce(descuento, 0) <= total`; or make the field required.
    /// ```ddd
    /// context ventas {
    ///   /// Pedido.
    ///   aggregate Pedido {
    ///     total: decimal(12, 2)
    ///     descuento: decimal(12, 2)?
    ///     invariant descuento_menor: descuento is null or descuento <= total
    ///   }
    /// }
    /// ```
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for site in cx.exprs() {
        if site.what != "invariant" && site.what != "check" {
            continue;
        }
        let Some(cols) = passes_on_null(site.expr) else {
            continue;
        };
        let list: Vec<String> = cols.iter().map(|c| format!("`{c}`")).collect();
        let first = cols.first().cloned().unwrap_or_default();
        // Point at the first use of the column: the expression's own span
        // may run on to the next line.
        let mut at = None;
        site.expr.walk(&mut |e| {
            let hit = match &e.kind {
                TExprKind::Column(c) => *c == first,
                TExprKind::Columns(cs) => cs.contains(&first),
                _ => false,
            };
            if hit && at.is_none() {
                at = Some(e.span);
            }
        });
        let verb = if cols.len() == 1 { "is" } else { "are" };
        out.push(
            Finding::new(
                at.unwrap_or(site.decl),
                format!("this {} passes without checking anything when {} {verb} NULL", site.what, list.join(" and ")),
            )
            .decl(site.decl)
            .label(format!("`{first}` may be NULL, and a CHECK that is NULL passes"))
            .secondary(site.decl, format!("this {}", site.what))
            .help(format!(
                "say what NULL means: `{first} is null or …`, `coalesce({first}, …)`, or make the field required"
            )),
        );
    }
}

/// Possible outcomes of an expression: NULL, true, false, or a non-NULL
/// value of another type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum V {
    Null,
    True,
    False,
    Value,
}

type Set = BTreeSet<V>;

/// The smallest set of nullable columns that, when NULL, makes the
/// expression NULL; `None` when no combination does (or `sql` is involved).
fn passes_on_null(e: &TExpr) -> Option<Vec<String>> {
    let mut nullable = BTreeSet::new();
    let mut opaque = false;
    e.walk(&mut |x| match &x.kind {
        TExprKind::Column(c) if x.nullable => {
            nullable.insert(c.clone());
        }
        TExprKind::Columns(cs) if x.nullable => nullable.extend(cs.iter().cloned()),
        TExprKind::Sql(_) | TExprKind::Subject => opaque = true,
        _ => {}
    });
    if opaque || nullable.is_empty() {
        return None;
    }
    let cols: Vec<String> = nullable.into_iter().collect();
    // Invariants name few nullable columns; cap the combinations anyway.
    let n = cols.len().min(10);
    let mut best: Option<Vec<String>> = None;
    for mask in 1u32..(1 << n) {
        let null: Vec<String> = (0..n).filter(|i| mask & (1 << i) != 0).map(|i| cols[i].clone()).collect();
        if eval(e, &null).contains(&V::Null) && best.as_ref().is_none_or(|b| null.len() < b.len()) {
            best = Some(null);
        }
    }
    best
}

fn one(v: V) -> Set {
    BTreeSet::from([v])
}

fn bools() -> Set {
    BTreeSet::from([V::True, V::False])
}

fn eval(e: &TExpr, null: &[String]) -> Set {
    let strict = |args: &[&TExpr], ok: Set| -> Set {
        let sets: Vec<Set> = args.iter().map(|a| eval(a, null)).collect();
        let mut out = Set::new();
        if sets.iter().any(|s| s.contains(&V::Null)) {
            out.insert(V::Null);
        }
        if sets.iter().all(|s| s.iter().any(|v| *v != V::Null)) {
            out.extend(ok);
        }
        out
    };
    let is_bool = e.ty == crate::model::ExprType::Bool;
    let value = if is_bool { bools() } else { one(V::Value) };
    match &e.kind {
        TExprKind::Column(c) => {
            if e.nullable && null.contains(c) {
                one(V::Null)
            } else {
                value
            }
        }
        TExprKind::Columns(cs) => {
            if e.nullable && cs.iter().any(|c| null.contains(c)) {
                one(V::Null)
            } else {
                value
            }
        }
        TExprKind::Literal(Literal::Null) => one(V::Null),
        TExprKind::Literal(Literal::Bool(true)) => one(V::True),
        TExprKind::Literal(Literal::Bool(false)) => one(V::False),
        TExprKind::Literal(_) | TExprKind::EnumValue { .. } => one(V::Value),
        TExprKind::Subject | TExprKind::Sql(_) => {
            let mut s = value;
            s.insert(V::Null);
            s
        }
        TExprKind::Not(x) => eval(x, null)
            .into_iter()
            .map(|v| match v {
                V::True => V::False,
                V::False => V::True,
                other => other,
            })
            .collect(),
        TExprKind::And(xs) => fold(xs, null, and),
        TExprKind::Or(xs) => fold(xs, null, or),
        TExprKind::Implies(a, b) => {
            let na: Set = eval(a, null)
                .into_iter()
                .map(|v| match v {
                    V::True => V::False,
                    V::False => V::True,
                    o => o,
                })
                .collect();
            combine(&na, &eval(b, null), or)
        }
        TExprKind::IsNull { expr, negated } => {
            let s = eval(expr, null);
            let mut out = Set::new();
            if s.contains(&V::Null) {
                out.insert(if *negated { V::False } else { V::True });
            }
            if s.iter().any(|v| *v != V::Null) {
                out.insert(if *negated { V::True } else { V::False });
            }
            out
        }
        TExprKind::Compare(_, a, b) => strict(&[a, b], bools()),
        TExprKind::Between { expr, low, high } => strict(&[expr, low, high], bools()),
        TExprKind::Matches { expr, .. } => strict(&[expr], bools()),
        TExprKind::In { expr, list, .. } => {
            let mut args: Vec<&TExpr> = vec![expr];
            args.extend(list.iter());
            strict(&args, bools())
        }
        TExprKind::Arith(_, a, b) => strict(&[a, b], one(V::Value)),
        TExprKind::Neg(x) => strict(&[x], one(V::Value)),
        TExprKind::Call(Function::Now, _) => one(V::Value),
        TExprKind::Call(Function::Coalesce, args) => {
            // NULL only when every argument may be NULL; a value as soon as
            // one may be a value.
            let sets: Vec<Set> = args.iter().map(|a| eval(a, null)).collect();
            let mut out = Set::new();
            if sets.iter().all(|s| s.contains(&V::Null)) {
                out.insert(V::Null);
            }
            for s in &sets {
                out.extend(s.iter().filter(|v| **v != V::Null));
            }
            out
        }
        TExprKind::Call(_, args) => {
            let refs: Vec<&TExpr> = args.iter().collect();
            strict(&refs, value)
        }
    }
}

fn fold(xs: &[TExpr], null: &[String], op: fn(V, V) -> V) -> Set {
    let mut acc: Option<Set> = None;
    for x in xs {
        let s = eval(x, null);
        acc = Some(match acc {
            None => s,
            Some(a) => combine(&a, &s, op),
        });
    }
    acc.unwrap_or_else(bools)
}

fn combine(a: &Set, b: &Set, op: fn(V, V) -> V) -> Set {
    let mut out = Set::new();
    for x in a {
        for y in b {
            out.insert(op(*x, *y));
        }
    }
    out
}

fn and(a: V, b: V) -> V {
    match (a, b) {
        (V::False, _) | (_, V::False) => V::False,
        (V::True, V::True) => V::True,
        _ => V::Null,
    }
}

fn or(a: V, b: V) -> V {
    match (a, b) {
        (V::True, _) | (_, V::True) => V::True,
        (V::False, V::False) => V::False,
        _ => V::Null,
    }
}
