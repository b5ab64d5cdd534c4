//! L016 `large-table-unpartitioned`.

use crate::lint::context::{Ctx, Finding};

/// Above this many expected rows a table should be partitioned (the seed's
/// threshold).
pub(crate) const MAX_UNPARTITIONED_ROWS: u64 = 10_000_000;

rule_docs! {
    /// # L016: large-table-unpartitioned
    ///
    /// ## What it does
    /// Flags an aggregate whose `expected_rows` is above 10M and which has no
    /// `partition by`.
    ///
    /// ## Why
    /// The seed's performance checklist: "Particionamiento en tablas >10M
    /// rows". Past that size, vacuum, index rebuilds and the removal of old
    /// data on one table take hours and hold locks; partitions let PostgreSQL
    /// prune what a query does not need, vacuum and index per partition, and
    /// drop a month or a hash bucket instead of deleting millions of rows.
    /// Partitioning later means rewriting the whole table.
    ///
    /// ## Example
    /// ```ddd
    /// context telemetria {
    ///   /// Lectura de un sensor.
    ///   aggregate Lectura {
    ///     sensor: text(40)
    ///     valor: float
    ///     medida_at: timestamp
    ///     expected_rows 200M
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// Partition by what queries filter on and what old data is removed by:
    /// usually `partition by range (<time>) monthly from … to …`, or
    /// `partition by hash (id) into N` when there is no such column.
    /// ```ddd
    /// context telemetria {
    ///   /// Lectura de un sensor.
    ///   aggregate Lectura {
    ///     sensor: text(40)
    ///     valor: float
    ///     medida_at: timestamp
    ///     expected_rows 200M
    ///     partition by range (medida_at) monthly from 2025-11 to 2026-12
    ///     index using brin (medida_at)
    ///   }
    /// }
    /// ```
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for a in &cx.model.aggregates {
        let Some(rows) = a.expected_rows else {
            continue;
        };
        if rows <= MAX_UNPARTITIONED_ROWS || a.partition.is_some() {
            continue;
        }
        out.push(
            Finding::new(
                a.root.span,
                format!("aggregate `{}` expects {} rows and is not partitioned", a.name, human(rows)),
            )
            .label("more than 10M rows in one table")
            .help("add `partition by range (<time column>) monthly from … to …`, or `partition by hash (id) into N`"),
        );
    }
}

/// `50000000` → `50M`.
fn human(n: u64) -> String {
    match n {
        n if n >= 1_000_000_000 && n % 1_000_000_000 == 0 => format!("{}G", n / 1_000_000_000),
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}
