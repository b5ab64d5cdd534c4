//! L017 `append-only-without-brin`.

use crate::lint::context::{words, Ctx, Finding};
use crate::model::{Aggregate, FieldType, Function, Scalar, TExprKind};
use crate::relational::{ColumnType, IndexItem, IndexMethod, Table};

rule_docs! {
    /// # L017: append-only-without-brin
    ///
    /// ## What it does
    /// Flags the time column of an append-only table that no BRIN index
    /// starts with. A table is append-only when:
    ///
    /// - it holds domain events or the audit log (the compiler indexes both
    ///   with BRIN, so this checks its output); or
    /// - it is an aggregate root whose name (or table name) has one of the
    ///   words `event`, `events`, `evento`, `eventos`, `log`, `logs`, `audit`,
    ///   `auditoria`, `historial`, `history`, `ledger`, `journal`, `bitacora`,
    ///   `movimiento`, `movimientos`, `lectura`, `lecturas`, `reading`,
    ///   `readings`, `traza`, `trace`, `metric`, `metrics`, `metrica`; or
    /// - it is an aggregate root with `no timestamps` and a non-nullable
    ///   `timestamp` field whose default is `now()` (its rows carry their own
    ///   insertion time and no `updated_at`).
    ///
    /// Its time column is the first non-nullable `timestamp` field with
    /// default `now()`, else the range-partition column when it is a
    /// `timestamp`, else `created_at` when the table has timestamps, else its
    /// first non-nullable `timestamp` field; a table with none of those is
    /// left alone. A BRIN index that starts with any
    /// `timestamp` or `date` column satisfies the rule: rows that arrive in
    /// time order are ordered by all of them alike.
    ///
    /// ## Why
    /// Rows of an append-only table arrive in time order, so the physical order
    /// of the table follows the time column. A BRIN index stores one summary
    /// per block range: a few kilobytes where a B-tree takes gigabytes, nearly
    /// free to maintain on insert, and just as good for "the last week"
    /// queries on such tables.
    ///
    /// ## Example
    /// ```ddd
    /// context telemetria {
    ///   /// Lectura de un sensor; solo se inserta.
    ///   aggregate Lectura {
    ///     sensor: text(40)
    ///     valor: float
    ///     medida_at: timestamp = now()
    ///     no timestamps
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// ```ddd
    /// context telemetria {
    ///   /// Lectura de un sensor; solo se inserta.
    ///   aggregate Lectura {
    ///     sensor: text(40)
    ///     valor: float
    ///     medida_at: timestamp = now()
    ///     no timestamps
    ///     index using brin (medida_at)
    ///   }
    /// }
    /// ```
}

const APPEND_ONLY_WORDS: &[&str] = &[
    "event",
    "events",
    "evento",
    "eventos",
    "log",
    "logs",
    "audit",
    "auditoria",
    "historial",
    "history",
    "ledger",
    "journal",
    "bitacora",
    "movimiento",
    "movimientos",
    "lectura",
    "lecturas",
    "reading",
    "readings",
    "traza",
    "trace",
    "metric",
    "metrics",
    "metrica",
];

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    // Each aggregate by its root's span, the origin of its root table.
    let mut by_root = std::collections::HashMap::new();
    for a in &cx.model.aggregates {
        by_root.entry(a.root.span).or_insert(a);
    }
    for t in &cx.schema.tables {
        use crate::relational::TableKind;
        match t.kind {
            TableKind::Events | TableKind::AuditLog => {
                let col = if t.kind == TableKind::Events { "occurred_at" } else { "timestamp" };
                if !has_brin(t, col) {
                    out.push(
                        Finding::new(
                            t.origin.0,
                            format!("append-only table `{}` has no BRIN index on `{col}`", t.qualified()),
                        )
                        .label("events and audit entries arrive in time order")
                        .help("this is a compiler bug: event and audit tables get a BRIN index; report it"),
                    );
                }
            }
            TableKind::AggregateRoot => {
                let Some(&a) = by_root.get(&t.origin.0) else {
                    continue;
                };
                let Some((why, col)) = append_only(a, t) else {
                    continue;
                };
                if has_brin(t, &col) || has_any_time_brin(t) {
                    continue;
                }
                out.push(
                    Finding::new(
                        a.root.span,
                        format!("append-only aggregate `{}` has no BRIN index on its time column `{col}`", a.name),
                    )
                    .label(why)
                    .help(format!("add `index using brin ({col})`")),
                );
            }
            _ => {}
        }
    }
}

/// Why the aggregate is append-only, and its time column.
fn append_only(a: &Aggregate, t: &Table) -> Option<(String, String)> {
    let stamped = a.root.fields.iter().find(|f| {
        !f.nullable
            && f.ty == FieldType::Scalar(Scalar::Timestamp)
            && f.default.as_ref().is_some_and(|d| matches!(d.kind, TExprKind::Call(Function::Now, _)))
    });
    let mut names = words(&a.name);
    names.extend(words(&t.name));
    let word = names.iter().find(|w| APPEND_ONLY_WORDS.contains(&w.as_str()));
    let why = match (word, stamped) {
        (Some(w), _) => format!("append-only by its name (`{w}`)"),
        (None, Some(f)) if !a.root.timestamps => {
            format!("append-only: `no timestamps` and its own insertion time `{}`", f.name)
        }
        _ => return None,
    };
    let partition_col = a
        .partition
        .as_ref()
        .filter(|p| t.column(&p.column).is_some_and(|c| c.ty == ColumnType::Timestamptz))
        .map(|p| p.column.clone());
    let col = match (stamped, partition_col) {
        (Some(f), _) => f.column.clone(),
        (None, Some(p)) => p,
        (None, None) if a.root.timestamps => "created_at".to_string(),
        (None, None) => {
            a.root.fields.iter().find(|f| !f.nullable && f.ty == FieldType::Scalar(Scalar::Timestamp))?.column.clone()
        }
    };
    Some((why, col))
}

/// A BRIN index on any time column: rows that arrive in time order are
/// ordered by all of them alike.
fn has_any_time_brin(t: &Table) -> bool {
    t.indexes.iter().any(|ix| {
        ix.method == IndexMethod::Brin
            && ix
                .items
                .first()
                .and_then(IndexItem::column)
                .and_then(|c| t.column(c))
                .is_some_and(|c| c.ty.is_temporal())
    })
}

fn has_brin(t: &Table, col: &str) -> bool {
    t.indexes
        .iter()
        .any(|ix| ix.method == IndexMethod::Brin && ix.items.first().and_then(IndexItem::column) == Some(col))
}
