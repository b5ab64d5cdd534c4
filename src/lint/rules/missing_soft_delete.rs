//! L007 `missing-soft-delete`.

use crate::lint::context::{Ctx, Finding};

rule_docs! {
    /// # L007: missing-soft-delete
    ///
    /// ## What it does
    /// Flags an aggregate that opts out of soft delete (`no soft_delete`) while
    /// the model's `defaults { soft_delete }` asks every aggregate for it. The
    /// resolved model knows both: with the default on, an aggregate without
    /// `deleted_at` can only have opted out.
    ///
    /// It also flags, once, a model in which no aggregate has soft delete at
    /// all (reported at the `model` block).
    ///
    /// ## Why
    /// The seed's smell "Falta de soft deletes (deleted_at)" and its checklist
    /// ("deleted_at para soft deletes"). With soft delete a removal can be
    /// undone, is visible to audits and keeps the rows that other aggregates
    /// and the accounting still point at; the compiler also makes every unique
    /// partial (`WHERE deleted_at IS NULL`) so a removed row does not block a
    /// new one. An aggregate that opts out of the model's rule should say why.
    ///
    /// ## Example
    /// ```ddd
    /// model tienda {
    ///   target postgres 16
    ///   defaults { soft_delete }
    /// }
    ///
    /// context ventas {
    ///   /// Cliente.
    ///   aggregate Cliente {
    ///     nombre: text(100)
    ///     no soft_delete
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// Drop the opt-out, or keep it and say why with
    /// `@allow(L007, 'datos efímeros: se purgan a los 30 días')`.
    /// ```ddd
    /// model tienda {
    ///   target postgres 16
    ///   defaults { soft_delete }
    /// }
    ///
    /// context ventas {
    ///   /// Cliente.
    ///   aggregate Cliente {
    ///     nombre: text(100)
    ///   }
    /// }
    /// ```
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let m = cx.model;
    if m.aggregates.is_empty() {
        return;
    }
    if m.defaults.soft_delete {
        for a in &m.aggregates {
            if !a.soft_delete {
                out.push(
                    Finding::new(
                        a.root.span,
                        format!("aggregate `{}` opts out of soft delete, which the model's defaults ask for", a.name),
                    )
                    .label("`no soft_delete`: rows are deleted for good")
                    .help(format!("remove `no soft_delete`, or say why with `@allow(L007, 'why')` on `{}`", a.name)),
                );
            }
        }
    } else if !m.aggregates.iter().any(|a| a.soft_delete) {
        out.push(
            Finding::new(m.span, "no aggregate has soft delete")
                .label("every delete removes rows for good")
                .help("add `soft_delete` to the model's `defaults { … }` (or to the aggregates whose deletions must be reversible and auditable)"),
        );
    }
}
