//! L027 `redundant-index`.

use std::collections::{HashMap, HashSet};

use crate::diagnostics::Span;
use crate::lint::context::{Ctx, Finding};
use crate::relational::{Index, IndexItem, IndexMethod, Table};

rule_docs! {
    /// # L027: redundant-index
    ///
    /// ## What it does
    /// Flags an index you declared (`index (…)` or a field's `indexed`) that
    /// another index of the same table already covers: a B-tree index whose
    /// columns are the leading columns of another B-tree index with the same
    /// `WHERE` condition, or of the primary key or a unique constraint (when it
    /// has no condition). Unique indexes are never reported: they enforce
    /// something.
    ///
    /// Only declared indexes are reported; the indexes the compiler adds for
    /// references are its own business.
    ///
    /// ## Why
    /// The seed's smell "Índices nunca usados". The planner can use the longer
    /// index for every query the shorter one serves, so the shorter one is
    /// never needed — yet every insert and update maintains it, it takes disk
    /// and cache, and it slows down vacuum.
    ///
    /// ## Example
    /// ```ddd
    /// context ventas {
    ///   /// Pedido.
    ///   aggregate Pedido {
    ///     cliente: text(100)
    ///     fecha: date
    ///     index (cliente)
    ///     index (cliente, fecha)
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// ```ddd
    /// context ventas {
    ///   /// Pedido.
    ///   aggregate Pedido {
    ///     cliente: text(100)
    ///     fecha: date
    ///     index (cliente, fecha)
    ///   }
    /// }
    /// ```
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    // Spans of declared indexes and of `indexed` fields.
    let mut declared: HashSet<Span> = HashSet::new();
    for site in cx.entities() {
        declared.extend(site.entity.indexes.iter().filter(|i| !i.unique).map(|i| i.span));
        declared.extend(site.entity.fields.iter().filter(|f| f.indexed).map(|f| f.span));
    }
    for t in &cx.schema.tables {
        // The table's B-tree indexes by condition and first item, in table
        // order: only those can cover an index starting with that item (a
        // scan per index was quadratic in an aggregate of thousands).
        let mut by_first: HashMap<(Option<&str>, &IndexItem), Vec<&Index>> = HashMap::new();
        for o in t.indexes.iter().filter(|o| o.method == IndexMethod::Btree) {
            if let Some(first) = o.items.first() {
                by_first.entry((o.predicate.as_deref(), first)).or_default().push(o);
            }
        }
        for ix in &t.indexes {
            if ix.unique || ix.method != IndexMethod::Btree || !declared.contains(&ix.origin.0) {
                continue;
            }
            if let Some((by, span)) = covering(t, ix, &by_first) {
                let mut f =
                    Finding::new(ix.origin.0, format!("index `{}` ({}) is covered by {by}", ix.name, ix.items_text()))
                        .label("redundant: every query it serves can use the other one")
                        .help("remove this index");
                if let Some(s) = span.filter(|s| *s != ix.origin.0) {
                    f = f.secondary(s, "covers it");
                }
                out.push(f);
            }
        }
    }
}

/// What covers `ix`: a longer B-tree index with the same condition, the
/// primary key or a unique constraint.
fn covering(
    t: &Table,
    ix: &Index,
    by_first: &HashMap<(Option<&str>, &IndexItem), Vec<&Index>>,
) -> Option<(String, Option<Span>)> {
    let n = ix.items.len();
    let starts = |items: &[IndexItem]| items.len() >= n && items[..n] == ix.items[..];
    let as_items = |cols: &[String]| cols.iter().map(|c| IndexItem::Column(c.clone())).collect::<Vec<_>>();
    if ix.predicate.is_none() {
        if let Some(pk) = &t.primary_key {
            if starts(&as_items(&pk.columns)) {
                return Some((format!("the primary key `{}`", pk.name), None));
            }
        }
        for u in &t.uniques {
            if starts(&as_items(&u.columns)) {
                return Some((format!("unique constraint `{}`", u.name), Some(u.origin.0)));
            }
        }
    }
    let covers = |o: &&Index| {
        !std::ptr::eq(*o, ix)
            && o.method == IndexMethod::Btree
            && o.predicate == ix.predicate
            && (o.items.len() > n || (o.items.len() == n && o.unique))
            && starts(&o.items)
    };
    match ix.items.first() {
        Some(first) => by_first.get(&(ix.predicate.as_deref(), first)).and_then(|c| c.iter().copied().find(covers)),
        None => t.indexes.iter().find(covers),
    }
    .map(|o| (format!("index `{}` ({})", o.name, o.items_text()), Some(o.origin.0)))
}
