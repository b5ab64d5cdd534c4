//! L025 `missing-timestamps`.

use crate::lint::context::{Ctx, Finding};
use crate::model::{Entity, FieldType, Scalar};

rule_docs! {
    /// # L025: missing-timestamps
    ///
    /// ## What it does
    /// Flags a table that records neither when its rows were created nor when
    /// they changed:
    ///
    /// - once, at the `model` block, when the model's defaults say
    ///   `no timestamps`;
    /// - otherwise, each aggregate or entity that says `no timestamps` and has
    ///   no non-nullable `timestamp` field of its own (such as `registrado_at:
    ///   timestamp = now()` on an append-only ledger).
    ///
    /// ## Why
    /// The seed's checklist: "created_at, updated_at en todas las tablas" with
    /// a trigger that keeps `updated_at` current. They answer the first
    /// questions of every incident, audit and data fix — when did this row
    /// appear, when did it last change — and they are what incremental
    /// exports and caches key on. They cannot be recovered afterwards.
    ///
    /// ## Example
    /// ```ddd
    /// context ventas {
    ///   /// Pedido.
    ///   aggregate Pedido {
    ///     total: decimal(12, 2)
    ///     no timestamps
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// Keep the default timestamps; an insert-only table may replace them with
    /// a time column of its own.
    /// ```ddd
    /// context ventas {
    ///   /// Pedido.
    ///   aggregate Pedido {
    ///     total: decimal(12, 2)
    ///   }
    /// }
    /// ```
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let m = cx.model;
    if !m.defaults.timestamps {
        if !m.aggregates.is_empty() {
            out.push(
                Finding::new(m.span, "the model turns timestamps off for every table")
                    .label("`no timestamps` in `defaults`")
                    .help("remove `no timestamps` from `defaults { … }`; turn them off only on insert-only tables that keep a time column of their own"),
            );
        }
        return;
    }
    for site in cx.entities() {
        let e = site.entity;
        if e.timestamps || has_own_time(e) {
            continue;
        }
        let kind = if site.is_root() { "aggregate" } else { "entity" };
        out.push(
            Finding::new(
                e.span,
                format!("{kind} `{}` has no `created_at`/`updated_at` and no time column of its own", e.name),
            )
            .label("`no timestamps`")
            .help(
                "remove `no timestamps`, or give the table a `timestamp = now()` field if its rows are never updated",
            ),
        );
    }
}

fn has_own_time(e: &Entity) -> bool {
    e.fields.iter().any(|f| !f.nullable && f.ty == FieldType::Scalar(Scalar::Timestamp))
}
