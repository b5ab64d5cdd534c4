//! L009 `cross-context-foreign-key`.

use crate::lint::context::{Ctx, Finding, Owner};
use crate::model::FieldType;

rule_docs! {
    /// # L009: cross-context-foreign-key
    ///
    /// ## What it does
    /// Flags a reference from one bounded context to an aggregate of another
    /// that gets a real foreign key, that is, a `ref other.Aggregate` without
    /// `loose`.
    ///
    /// ## Why
    /// Each context is its own PostgreSQL schema so that it can evolve — and
    /// one day move to its own database — without the others. A foreign key
    /// across schemas ties them together: the referenced table cannot be
    /// dropped, rebuilt or moved, deleting in one context fails or cascades
    /// because of rows in another, and the contexts can no longer be split.
    /// Sometimes that coupling is wanted; it should be a decision.
    ///
    /// ## Example
    /// ```ddd
    /// context identidad {
    ///   /// Usuario.
    ///   aggregate Usuario {
    ///     email: text(255) unique
    ///   }
    /// }
    ///
    /// context ventas {
    ///   /// Pedido.
    ///   aggregate Pedido {
    ///     comprador: ref identidad.Usuario
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// Make the reference `loose` (the id column and its index stay, the
    /// foreign key goes), and handle deletions in the other context through
    /// its domain events; or keep the foreign key and say why with
    /// `@allow(L009, 'why')`.
    /// ```ddd
    /// context identidad {
    ///   /// Usuario.
    ///   aggregate Usuario {
    ///     email: text(255) unique
    ///   }
    /// }
    ///
    /// context ventas {
    ///   /// Pedido.
    ///   aggregate Pedido {
    ///     comprador: ref identidad.Usuario loose
    ///   }
    /// }
    /// ```
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for site in cx.fields() {
        let Owner::Entity(owner) = site.owner else {
            continue;
        };
        let FieldType::Ref(r) = &site.field.ty else {
            continue;
        };
        let target = &cx.model.aggregates[r.target.0];
        if r.loose || target.context == owner.aggregate.context {
            continue;
        }
        let (from, to) = (cx.context_name(owner.aggregate), cx.context_name(target));
        out.push(
            Finding::new(
                site.field.span,
                format!(
                    "`{}` references `{to}.{}` from context `{from}` with a foreign key",
                    site.field.name, target.name
                ),
            )
            .label(format!("foreign key from schema `{from}` into schema `{to}`"))
            .secondary(target.root.span, "referenced aggregate")
            .help(format!(
                "write `ref {to}.{} loose` to keep the id and its index without the foreign key, or say why the contexts are coupled with `@allow(L009, 'why')`",
                target.name
            )),
        );
    }
}
