//! L021 `entity-references-own-root`.

use crate::lint::context::{Ctx, Finding, Owner};
use crate::model::FieldType;

rule_docs! {
    /// # L021: entity-references-own-root
    ///
    /// ## What it does
    /// Flags a field of an entity that is a `ref` to the root of the
    /// aggregate the entity belongs to.
    ///
    /// ## Why
    /// An entity already belongs to its root: the compiler gives its table
    /// `<root>_id` with a cascading foreign key. A second reference to the
    /// same root type is either redundant — the same id twice, free to
    /// disagree — or points at *another* instance of the root, which means
    /// the entity relates two aggregates and probably is an aggregate (or a
    /// reference between aggregates) in its own right.
    ///
    /// ## Example
    /// ```ddd
    /// context ventas {
    ///   /// Pedido.
    ///   aggregate Pedido {
    ///     total: decimal(12, 2)
    ///     entity Linea {
    ///       pedido_original: ref Pedido
    ///       cantidad: int
    ///     }
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// Drop the field: the entity's `pedido_id` link is already there (write
    /// `pedido_id` in invariants and indexes; a field named `pedido` would
    /// collide with it). If it points at another
    /// instance, model that relation as an aggregate of its own or say why
    /// with `@allow(L021, 'why')`.
    /// ```ddd
    /// context ventas {
    ///   /// Pedido.
    ///   aggregate Pedido {
    ///     total: decimal(12, 2)
    ///     entity Linea {
    ///       cantidad: int
    ///     }
    ///   }
    /// }
    /// ```
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for site in cx.fields() {
        let Owner::Entity(owner) = site.owner else {
            continue;
        };
        if owner.is_root() {
            continue;
        }
        let FieldType::Ref(r) = &site.field.ty else {
            continue;
        };
        let target = &cx.model.aggregates[r.target.0];
        if !std::ptr::eq(target, owner.aggregate) {
            continue;
        }
        out.push(
            Finding::new(
                site.field.span,
                format!(
                    "entity `{}` references its own aggregate root `{}`",
                    owner.entity.name, target.name
                ),
            )
            .label("the entity already belongs to its root")
            .secondary(target.root.span, "the root it belongs to")
            .help("drop the field (the parent link is already a foreign key); if it points at another instance, make the relation an aggregate of its own"),
        );
    }
}
