//! L002 `unindexed-foreign-key`.

use crate::lint::context::{Ctx, Finding};
use crate::relational::{ForeignKey, IndexMethod, Table};

rule_docs! {
    /// # L002: unindexed-foreign-key
    ///
    /// ## What it does
    /// Flags a foreign key of the emitted schema whose columns are not the
    /// leading columns (in any order) of a B-tree or hash index, of the
    /// primary key or of a unique constraint. A partial index does not count,
    /// and neither does an index that starts with another column — such as
    /// the tenant column of a multi-tenant table.
    ///
    /// The compiler indexes every reference and every parent link itself, so
    /// this rule checks what it actually emits.
    ///
    /// ## Why
    /// The seed's critical error "Foreign Keys sin índice". Deleting or
    /// re-keying a parent row makes PostgreSQL look for children with
    /// `WHERE child_fk = $1` — without the row-level-security filter and
    /// without any other condition. If no index starts with the foreign-key
    /// columns, every such delete reads the whole child table while holding
    /// locks, and `ON DELETE CASCADE` turns one delete into many full scans.
    /// Joins from parent to children suffer the same way.
    ///
    /// ## Example
    /// A reference whose supporting index is missing from the emitted schema:
    /// ```ddd
    /// context ventas {
    ///   /// Cliente.
    ///   aggregate Cliente {
    ///     nombre: text(100)
    ///   }
    ///   /// Pedido de un cliente.
    ///   aggregate Pedido {
    ///     cliente: ref Cliente
    ///     total: decimal(12, 2)
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// Declare an index that starts with the reference (`index (cliente,
    /// fecha)` serves both the foreign key and the query), or report the
    /// compiler bug if the index it always adds is missing.
    /// ```ddd
    /// context ventas {
    ///   /// Cliente.
    ///   aggregate Cliente {
    ///     nombre: text(100)
    ///   }
    ///   /// Pedido de un cliente.
    ///   aggregate Pedido {
    ///     cliente: ref Cliente
    ///     fecha: date
    ///     total: decimal(12, 2)
    ///     index (cliente, fecha)
    ///   }
    /// }
    /// ```
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for t in &cx.schema.tables {
        for fk in &t.foreign_keys {
            if supported(t, fk) {
                continue;
            }
            let cols = fk.columns.join(", ");
            let near = t
                .indexes
                .iter()
                .find(|ix| ix.items.iter().any(|i| i.column().is_some_and(|c| fk.columns.iter().any(|x| x == c))));
            let mut f = Finding::new(
                fk.origin.0,
                format!(
                    "foreign key `{}` on `{}` ({cols}) has no index that starts with its columns",
                    fk.name,
                    t.qualified()
                ),
            )
            .label(format!("deleting a `{}.{}` row scans `{}`", fk.ref_schema, fk.ref_table, t.name))
            .help(format!(
                "index the foreign key on its own columns first: an index on ({cols}), not led by another column"
            ));
            if let Some(ix) = near {
                f = f.note(format!(
                    "index `{}` ({}) does not start with ({cols}), so PostgreSQL cannot use it for the foreign key's lookups",
                    ix.name,
                    ix.items_text()
                ));
            }
            out.push(f);
        }
    }
}

/// Whether an index, the primary key or a unique constraint starts with the
/// foreign key's columns.
fn supported(t: &Table, fk: &ForeignKey) -> bool {
    let n = fk.columns.len();
    let leads = |cols: &[String]| {
        cols.len() >= n && {
            let mut head: Vec<&String> = cols[..n].iter().collect();
            let mut want: Vec<&String> = fk.columns.iter().collect();
            head.sort();
            want.sort();
            head == want
        }
    };
    if t.primary_key.as_ref().is_some_and(|pk| leads(&pk.columns)) {
        return true;
    }
    if t.uniques.iter().any(|u| leads(&u.columns)) {
        return true;
    }
    t.indexes.iter().any(|ix| {
        let usable = ix.predicate.is_none()
            && (ix.method == IndexMethod::Btree || (ix.method == IndexMethod::Hash && n == 1 && ix.items.len() == 1));
        let cols: Vec<String> = ix.leading_columns().into_iter().map(String::from).collect();
        usable && leads(&cols)
    })
}
