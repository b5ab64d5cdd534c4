//! L001 `no-primary-key`.

use crate::lint::context::{Ctx, Finding};

rule_docs! {
    /// # L001: no-primary-key
    ///
    /// ## What it does
    /// Flags a table of the relational schema that has no primary key.
    ///
    /// The compiler gives every table one (`id`, `id: bigint identity`, a
    /// natural `key (…)`, the partition key added where PostgreSQL needs it),
    /// so from a model this rule fires only when something went wrong on the
    /// way: a compiler regression or a schema assembled by other means. It
    /// checks the schema that is actually emitted, not the intention.
    ///
    /// ## Why
    /// The seed's first critical error. Without a primary key rows cannot be
    /// addressed reliably: updates and deletes hit duplicates, logical
    /// replication (the model's publications) refuses `UPDATE` and `DELETE`
    /// on the table, and nothing can reference it.
    ///
    /// ## Example
    /// A table whose primary key is missing from the emitted schema:
    /// ```ddd
    /// context ventas {
    ///   /// Línea de un ticket.
    ///   aggregate Linea {
    ///     producto: text(50)
    ///     cantidad: int
    ///     invariant cantidad_positiva: cantidad > 0
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// Give the aggregate an identity the compiler can turn into a key — the
    /// implicit `id`, `id: bigint identity`, `id: uuid v7`, or a natural key —
    /// and report the compiler bug if the key still goes missing.
    /// ```ddd
    /// context ventas {
    ///   /// Línea de un ticket.
    ///   aggregate Linea {
    ///     ticket: text(20)
    ///     numero: int
    ///     producto: text(50)
    ///     key (ticket, numero)
    ///   }
    /// }
    /// ```
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for t in &cx.schema.tables {
        if t.primary_key.is_none() {
            out.push(
                Finding::new(t.origin.0, format!("table `{}` has no primary key", t.qualified()))
                    .label("its table has no primary key")
                    .help("give the aggregate an identity: the implicit `id`, `id: bigint identity`, `id: uuid v7` or `key (a, b)`"),
            );
        }
    }
}
