//! L015 `unbounded-partition-range`.

use crate::lint::context::{Ctx, Finding};
use crate::model::PartitionSpec;

rule_docs! {
    /// # L015: unbounded-partition-range
    ///
    /// ## What it does
    /// Flags a range-partitioned table that gets only its DEFAULT partition
    /// because no month range was given:
    ///
    /// - `events` / `events outbox` without `monthly from … to …`;
    /// - the model's `audit_log` without a range;
    /// - `partition by range (col)` without `monthly from … to …`.
    ///
    /// ## Why
    /// Range partitioning pays off through pruning and through dropping old
    /// months in one cheap statement. With only a DEFAULT partition every row
    /// lands in one table, so neither happens; worse, adding a month's
    /// partition later fails (or needs a full scan under a lock) while the
    /// DEFAULT partition holds rows of that month, so the longer the range is
    /// missing, the harder it is to add.
    ///
    /// ## Example
    /// ```ddd
    /// context ventas {
    ///   /// Pedido.
    ///   aggregate Pedido {
    ///     total: decimal(12, 2)
    ///     events outbox {
    ///       PEDIDO_CREADO
    ///       PEDIDO_PAGADO
    ///     }
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// Give the range of months to create now; extend it in the model before
    /// it runs out (the next migration adds the new months).
    /// ```ddd
    /// context ventas {
    ///   /// Pedido.
    ///   aggregate Pedido {
    ///     total: decimal(12, 2)
    ///     events outbox monthly from 2025-11 to 2026-12 {
    ///       PEDIDO_CREADO
    ///       PEDIDO_PAGADO
    ///     }
    ///   }
    /// }
    /// ```
}

const HELP: &str = "add `monthly from YYYY-MM to YYYY-MM`, and extend the range in the model before it runs out";

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for a in &cx.model.aggregates {
        if let Some(ev) = a.events.as_ref().filter(|ev| ev.range.is_none()) {
            out.push(
                Finding::new(
                    ev.span,
                    format!(
                        "the events of `{}` have no partition range: every event goes to the DEFAULT partition",
                        a.name
                    ),
                )
                .label("no `monthly from … to …`")
                .help(HELP),
            );
        }
        if let Some(p) = &a.partition {
            if let PartitionSpec::Range(None) = p.spec {
                out.push(
                    Finding::new(
                        p.span,
                        format!(
                            "`{}` is range-partitioned by `{}` without a range: only the DEFAULT partition exists",
                            a.name, p.column
                        ),
                    )
                    .label("no `monthly from … to …`")
                    .help(HELP),
                );
            }
        }
    }
    if let Some(log) = cx.model.audit_log.as_ref().filter(|l| l.range.is_none()) {
        out.push(
            Finding::new(
                log.span,
                format!("audit log `{}` has no partition range: every entry goes to the DEFAULT partition", log.table),
            )
            .label("no `monthly from … to …`")
            .help(HELP),
        );
    }
}
