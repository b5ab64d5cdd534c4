//! L020 `undocumented-aggregate`.

use crate::lint::context::{Ctx, Finding};

rule_docs! {
    /// # L020: undocumented-aggregate
    ///
    /// ## What it does
    /// Reports an aggregate root without a `///` doc comment.
    ///
    /// ## Why
    /// The doc comment becomes the table's `COMMENT ON TABLE`, the
    /// description in the data dictionary and in the data model, so it is
    /// what a DBA, an analyst or a new developer reads first. The seed's
    /// success criteria ask for every constraint documented; the aggregate is
    /// where that starts.
    ///
    /// ## Example
    /// ```ddd
    /// context ventas {
    ///   aggregate Pedido {
    ///     total: decimal(12, 2)
    ///     invariant total_positivo: total > 0
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// ```ddd
    /// context ventas {
    ///   /// Pedido de un cliente, desde el carrito hasta la entrega.
    ///   aggregate Pedido {
    ///     total: decimal(12, 2)
    ///     invariant total_positivo: total > 0
    ///   }
    /// }
    /// ```
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for a in &cx.model.aggregates {
        if a.root.doc.as_deref().is_some_and(|d| !d.trim().is_empty()) {
            continue;
        }
        out.push(
            Finding::new(a.root.span, format!("aggregate `{}` has no doc comment", a.name))
                .label("undocumented")
                .help(format!(
                    "write what a `{}` is above it with `///`; it becomes the table's comment and its entry in the data dictionary",
                    a.name
                )),
        );
    }
}
