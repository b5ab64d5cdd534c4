//! A table being built: its columns and constraints, with the rules every
//! table follows (the tenant column leads btree indexes and uniques; soft
//! delete makes uniques and plain indexes partial; an index is never created
//! twice).

use super::super::names::{cols_part, fit};
use super::super::*;
use crate::sql::fragments;

pub(super) struct TableBuilder {
    pub t: Table,
    /// Soft delete applies: uniques and plain indexes become partial.
    pub soft_delete: bool,
    /// Tenant column, leading every index and unique.
    pub tenant: Option<String>,
    /// Where each index of `t` is, by what it indexes (items, method,
    /// condition): `push_index` looked for an equivalent one by a scan,
    /// quadratic in an aggregate of thousands of indexes.
    index_at: std::collections::HashMap<(Vec<IndexItem>, IndexMethod, Option<String>), usize>,
}

impl TableBuilder {
    pub fn new(schema: &str, name: &str, kind: TableKind, origin: Span) -> Self {
        TableBuilder {
            t: Table { kind, origin: origin.into(), ..Table::new(schema.to_string(), name.to_string()) },
            soft_delete: false,
            tenant: None,
            index_at: std::collections::HashMap::new(),
        }
    }

    pub fn column(&mut self, name: &str, ty: ColumnType, nullable: bool, origin: Span) -> &mut Column {
        self.t.columns.push(Column::new(name, ty, nullable, origin.into()));
        let last = self.t.columns.len() - 1;
        &mut self.t.columns[last]
    }

    pub fn check(&mut self, name: String, expr: String, source: CheckSource, comment: Option<String>, origin: Span) {
        self.t.checks.push(Check { name: fit(&name), expr, source, comment, origin: origin.into() });
    }

    /// Columns led by the tenant column, when there is one.
    pub fn with_tenant(&self, cols: Vec<String>) -> Vec<String> {
        match &self.tenant {
            Some(t) if cols.first() != Some(t) => std::iter::once(t.clone()).chain(cols).collect(),
            _ => cols,
        }
    }

    /// A unique over plain columns: a constraint, or a partial unique index
    /// under soft delete or with a condition.
    pub fn unique(&mut self, cols: Vec<String>, name: Option<String>, predicate: Option<String>, origin: Span) {
        let cols = self.with_tenant(cols);
        let name = name.unwrap_or_else(|| fit(&format!("uq_{}_{}", self.t.name, cols_part(&cols))));
        let predicate = self.soft_delete_predicate(predicate, false);
        if predicate.is_none() {
            self.t.uniques.push(Unique { name, columns: cols, origin: origin.into() });
        } else {
            self.push_index(Index {
                name,
                unique: true,
                method: IndexMethod::Btree,
                items: columns(&cols),
                predicate,
                comment: None,
                origin: origin.into(),
            });
        }
    }

    pub fn soft_delete_predicate(&self, predicate: Option<String>, including_deleted: bool) -> Option<String> {
        if !self.soft_delete || including_deleted {
            return predicate;
        }
        Some(fragments::live_rows(predicate.as_deref()))
    }

    /// Adds an index unless an equivalent one exists.
    pub fn push_index(&mut self, ix: Index) {
        match self.index_at.entry((ix.items.clone(), ix.method, ix.predicate.clone())) {
            std::collections::hash_map::Entry::Occupied(at) => self.t.indexes[*at.get()].unique |= ix.unique,
            std::collections::hash_map::Entry::Vacant(at) => {
                at.insert(self.t.indexes.len());
                self.t.indexes.push(ix);
            }
        }
    }

    /// An index on plain columns.
    pub fn plain_index(&mut self, cols: Vec<String>, method: IndexMethod, partial: bool, origin: Span) {
        let cols = if method == IndexMethod::Btree { self.with_tenant(cols) } else { cols };
        if self.covered(&cols) {
            return;
        }
        let name = fit(&format!("idx_{}_{}{}", self.t.name, cols_part(&cols), method_suffix(method)));
        let predicate = if partial { self.soft_delete_predicate(None, false) } else { None };
        self.push_index(Index {
            name,
            unique: false,
            method,
            items: columns(&cols),
            predicate,
            comment: None,
            origin: origin.into(),
        });
    }

    /// The index that serves a foreign key: its columns first and never
    /// partial — PostgreSQL's referential checks (`WHERE fk = $1` on a
    /// delete of the parent) ignore row-level security and any other
    /// condition. Skipped when the primary key, a unique constraint or a
    /// plain index already starts with the columns.
    ///
    /// Returns the name of the index it added, if it added one.
    pub fn fk_index(&mut self, cols: Vec<String>, origin: Span) -> Option<String> {
        if self.covered(&cols) || self.served_by_index(&cols, None) {
            return None;
        }
        // A declared index on the same columns may hold the plain name (a
        // partial one, under soft delete): the foreign key's says what it is.
        let mut name = fit(&format!("idx_{}_{}", self.t.name, cols_part(&cols)));
        if self.t.indexes.iter().any(|i| i.name == name) || self.t.uniques.iter().any(|u| u.name == name) {
            name = fit(&format!("idx_{}_{}_fk", self.t.name, cols_part(&cols)));
        }
        let fresh = !self.index_at.contains_key(&(columns(&cols), IndexMethod::Btree, None));
        self.push_index(Index {
            name: name.clone(),
            unique: false,
            method: IndexMethod::Btree,
            items: columns(&cols),
            predicate: None,
            comment: None,
            origin: origin.into(),
        });
        fresh.then_some(name)
    }

    /// Takes out the foreign key's index `name` (from `fk_index`) when
    /// what was added after it — a unique of the entity leading with its
    /// parent link, a declared index — starts with its columns: the
    /// parent link's index is made before the entity's own uniques are.
    pub fn drop_fk_index_if_covered(&mut self, name: &str) {
        let Some(at) = self.t.indexes.iter().position(|i| i.name == name && !i.unique) else {
            return;
        };
        let Some(cols) =
            self.t.indexes[at].items.iter().map(|i| i.column().map(str::to_string)).collect::<Option<Vec<_>>>()
        else {
            return;
        };
        if !self.covered(&cols) && !self.served_by_index(&cols, Some(at)) {
            return;
        }
        let ix = self.t.indexes.remove(at);
        self.index_at.remove(&(ix.items, ix.method, ix.predicate));
        for slot in self.index_at.values_mut() {
            if *slot > at {
                *slot -= 1;
            }
        }
    }

    /// Whether a whole-table btree index (other than the one at `except`)
    /// starts with these columns.
    fn served_by_index(&self, cols: &[String], except: Option<usize>) -> bool {
        self.t.indexes.iter().enumerate().any(|(at, ix)| {
            Some(at) != except
                && ix.method == IndexMethod::Btree
                && ix.predicate.is_none()
                && ix.items.len() >= cols.len()
                && ix.items.iter().zip(cols).all(|(i, c)| i.column() == Some(c.as_str()))
        })
    }

    /// Whether the primary key or a unique constraint already starts with
    /// these columns (so an index for a foreign key would be redundant).
    fn covered(&self, cols: &[String]) -> bool {
        let starts = |c: &[String]| c.len() >= cols.len() && c[..cols.len()] == *cols;
        self.t.primary_key.as_ref().is_some_and(|pk| starts(&pk.columns))
            || self.t.uniques.iter().any(|u| starts(&u.columns))
    }

    /// Row-level security with the tenant-isolation policy.
    pub fn tenant_policy(&mut self, column: &str) {
        let cond = fragments::tenant_condition(column);
        self.t.row_level_security = true;
        self.t.policies.push(Policy { name: "tenant_isolation".into(), using: cond.clone(), with_check: cond });
    }
}

pub(super) fn columns(cols: &[String]) -> Vec<IndexItem> {
    cols.iter().map(|c| IndexItem::Column(c.clone())).collect()
}

/// The suffix a non-btree index's name ends in (§11).
pub(super) fn method_suffix(m: IndexMethod) -> &'static str {
    match m {
        IndexMethod::Btree => "",
        IndexMethod::Gin => "_gin",
        IndexMethod::Gist => "_gist",
        IndexMethod::Brin => "_brin",
        IndexMethod::Hash => "_hash",
    }
}
