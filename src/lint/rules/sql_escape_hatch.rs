//! L018 `sql-escape-hatch`.

use crate::lint::context::{Ctx, Finding};
use crate::model::TExprKind;

rule_docs! {
    /// # L018: sql-escape-hatch
    ///
    /// ## What it does
    /// Reports every `sql "…"` escape in an invariant, a value object's check,
    /// a default, a backfill or an index, so each one is a visible, reviewed
    /// decision.
    ///
    /// ## Why
    /// `sql` text is copied verbatim: the compiler cannot type-check it, does
    /// not know which columns it reads (a rename leaves it broken), cannot
    /// analyse it for NULLs (L014) and cannot tell whether it works on the
    /// target PostgreSQL version. Often the language can say the same thing.
    ///
    /// ## Example
    /// ```ddd
    /// context ventas {
    ///   /// Pedido.
    ///   aggregate Pedido {
    ///     total: decimal(12, 2)
    ///     invariant total_positivo: sql "total > 0"
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// Write it in the language when it can be said there; otherwise keep it,
    /// document the invariant, and accept the finding with
    /// `@allow(L018, 'el lenguaje no tiene literales de intervalo')`.
    /// ```ddd
    /// context ventas {
    ///   /// Pedido.
    ///   aggregate Pedido {
    ///     total: decimal(12, 2)
    ///     invariant total_positivo: total > 0
    ///   }
    /// }
    /// ```
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for site in cx.exprs() {
        site.expr.walk(&mut |e| {
            if let TExprKind::Sql(_) = &e.kind {
                out.push(
                    Finding::new(e.span, format!("`sql` escape hatch in {}", describe(site.what)))
                        .decl(site.decl)
                        .label("copied verbatim: not type-checked, not renamed with its columns")
                        .help("write it in the language if it can be said there; otherwise document why and `@allow(L018, 'why')`"),
                );
            }
        });
    }
}

fn describe(what: &str) -> &str {
    match what {
        "invariant" => "an invariant",
        "check" => "a value object's check",
        "default" => "a default",
        "backfill" => "a backfill",
        _ => "an index",
    }
}
