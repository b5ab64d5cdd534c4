//! L022 `unused-allow`.

use std::collections::HashSet;

use crate::diagnostics::Span;
use crate::lint::context::{Ctx, Finding};

rule_docs! {
    /// # L022: unused-allow
    ///
    /// ## What it does
    /// Flags an `@allow(CODE, "reason")` that names no lint rule, or that
    /// suppresses no finding of its rule on its declaration or the
    /// declarations inside it. An `@allow` for a rule switched off with
    /// `[lint] allow` is not reported.
    ///
    /// ## Why
    /// An `@allow` is a reviewed exception with a reason that shows in the
    /// docs. When the design changes and the finding goes away, a stale
    /// `@allow` keeps claiming an exception that no longer exists — and
    /// silently suppresses the next, unrelated finding of that rule on the
    /// same declaration. A misspelt code suppresses nothing at all.
    ///
    /// ## Example
    /// ```ddd
    /// context ventas {
    ///   /// Pedido.
    ///   aggregate Pedido {
    ///     /// Importe total con impuestos.
    ///     total: decimal(12, 2) @allow(L006, 'respuesta cruda del proveedor')
    ///     invariant total_positivo: total > 0
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// Remove the `@allow`, or put it on the declaration the finding points
    /// at, with the right code.
    /// ```ddd
    /// context ventas {
    ///   /// Pedido.
    ///   aggregate Pedido {
    ///     /// Importe total con impuestos.
    ///     total: decimal(12, 2)
    ///     invariant total_positivo: total > 0
    ///   }
    /// }
    /// ```
}

/// Runs after every other rule (see `lint`): nothing to do here.
pub(crate) fn check(_: &Ctx<'_>, _: &mut Vec<Finding>) {}

/// `@allow`s that suppressed nothing: `used` holds the spans of those that
/// did, `enabled` the codes of the rules that ran.
pub(crate) fn check_unused(cx: &Ctx<'_>, used: &HashSet<Span>, enabled: &HashSet<&str>, out: &mut Vec<Finding>) {
    for (a, decl) in cx.all_allows() {
        let Some(rule) = crate::lint::rule(&a.code) else {
            let kind = if a.code.starts_with(['E', 'e', 'W', 'w']) {
                " (compiler errors and warnings cannot be allowed)"
            } else {
                ""
            };
            out.push(
                Finding::new(a.span, format!("`@allow({})` names no lint rule{kind}", a.code))
                    .decl(cx.allow_decl(a.span).unwrap_or(decl))
                    .label("unknown lint code")
                    .help(format!(
                        "lint codes run from {} to {}; see docs/lint-rules.md or `dddc explain CODE`",
                        crate::lint::rules()[0].code,
                        crate::lint::rules()[crate::lint::rules().len() - 1].code
                    )),
            );
            continue;
        };
        if !enabled.contains(rule.code) || used.contains(&a.span) {
            continue;
        }
        out.push(
            Finding::new(
                a.span,
                format!("`@allow({})` suppresses nothing: `{}` finds nothing here", a.code, rule.name),
            )
            .decl(cx.allow_decl(a.span).unwrap_or(decl))
            .label("no finding to accept")
            .help("remove it, or move it to the declaration the finding points at"),
        );
    }
}
