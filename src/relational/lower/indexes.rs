//! Declared indexes and uniques (§9.2): items are columns, value-object
//! parts or expressions; the tenant column leads btree ones; soft delete
//! makes them partial.

use super::builder::{method_suffix, TableBuilder};
use super::Lowerer;
use crate::model::{self, TExprKind};
use crate::relational::names::{cols_part, fit};
use crate::relational::*;
use crate::sql::expr::{render, Columns};

/// An index item, or the column it is when it only casts the column to
/// its own type (`date(dia)` of a `date` field): PostgreSQL folds the
/// cast away and indexes the column, named `idx_…_dia_DATE` though it was
/// not, and `dddc verify` found the index other than the lock said.
fn same_value(item: &model::TExpr) -> &model::TExpr {
    match &item.kind {
        TExprKind::Call(model::Function::Date, args)
            if args.len() == 1
                && args[0].ty == model::ExprType::Date
                && matches!(args[0].kind, TExprKind::Column(_)) =>
        {
            &args[0]
        }
        _ => item,
    }
}

impl Lowerer<'_> {
    pub(super) fn index(&mut self, b: &mut TableBuilder, ix: &model::Index) {
        let mut items: Vec<IndexItem> = Vec::new();
        // What the name is made of: column names and expressions.
        let mut name_items: Vec<String> = Vec::new();
        for item in ix.items.iter().map(same_value) {
            match &item.kind {
                // Once: `unique (dia, date(dia))` folded to `(dia, dia)`,
                // which PostgreSQL refuses in a constraint.
                TExprKind::Column(c) if name_items.contains(c) => {}
                TExprKind::Column(c) => {
                    items.push(IndexItem::Column(c.clone()));
                    name_items.push(c.clone());
                }
                TExprKind::Columns(cs) => {
                    items.extend(cs.iter().map(|c| IndexItem::Column(c.clone())));
                    name_items.extend(cs.iter().cloned());
                }
                _ => {
                    let sql = render(item, &Columns::PLAIN);
                    let sql = if sql.starts_with('(') { sql } else { format!("({sql})") };
                    name_items.push(sql.clone());
                    items.push(IndexItem::Expr(sql));
                }
            }
        }
        // The tenant column leads btree indexes only: gin, gist and hash have
        // no operator class for a uuid (without btree_gin/btree_gist), and
        // row-level security filters the tenant anyway.
        if let Some(t) = b.tenant.clone().filter(|_| ix.unique || ix.method == model::IndexMethod::Btree) {
            if items.first().and_then(IndexItem::column) != Some(t.as_str()) {
                items.insert(0, IndexItem::Column(t.clone()));
                name_items.insert(0, t);
            }
        }
        let method = index_method(ix.method);
        let predicate = ix.where_clause.as_ref().map(|w| render(w, &Columns::PLAIN));
        let t = b.t.name.clone();
        if ix.unique {
            let plain_cols =
                ix.items.iter().map(same_value).all(|i| matches!(i.kind, TExprKind::Column(_) | TExprKind::Columns(_)));
            let all_plain = plain_cols && predicate.is_none() && !b.soft_delete;
            let name = ix.name.clone().unwrap_or_else(|| fit(&format!("uq_{t}_{}", cols_part(&name_items))));
            if all_plain {
                b.t.uniques.push(Unique { name, columns: name_items, origin: ix.span.into() });
            } else {
                let predicate = b.soft_delete_predicate(predicate, false);
                b.push_index(Index {
                    name,
                    unique: true,
                    method: IndexMethod::Btree,
                    items,
                    predicate,
                    comment: ix.doc.clone(),
                    origin: ix.span.into(),
                });
            }
        } else {
            let name = ix
                .name
                .clone()
                .unwrap_or_else(|| fit(&format!("idx_{t}_{}{}", cols_part(&name_items), method_suffix(method))));
            let predicate = b.soft_delete_predicate(predicate, ix.including_deleted);
            b.push_index(Index {
                name,
                unique: false,
                method,
                items,
                predicate,
                comment: ix.doc.clone(),
                origin: ix.span.into(),
            });
        }
    }
}

fn index_method(m: model::IndexMethod) -> IndexMethod {
    match m {
        model::IndexMethod::Btree => IndexMethod::Btree,
        model::IndexMethod::Gin => IndexMethod::Gin,
        model::IndexMethod::Gist => IndexMethod::Gist,
        model::IndexMethod::Brin => IndexMethod::Brin,
        model::IndexMethod::Hash => IndexMethod::Hash,
    }
}
