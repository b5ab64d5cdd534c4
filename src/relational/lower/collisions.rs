//! Names used twice where PostgreSQL needs them unique (E0601), derived
//! column names past 63 bytes (E0106), and tables or keys with more columns
//! than PostgreSQL takes (E0602).

use std::collections::BTreeMap;

use crate::diagnostics::codes::id;
use crate::diagnostics::{Diagnostic, Span};
use crate::relational::Schema;

/// Reports names used twice where PostgreSQL needs them unique.
pub(super) fn collisions(schema: &Schema, diags: &mut Vec<Diagnostic>) {
    // Relations (tables, partitions, indexes, constraint indexes) share one
    // namespace per schema; constraints must be unique per table.
    let mut relations: BTreeMap<(String, String), (Span, String)> = BTreeMap::new();
    let report = |diags: &mut Vec<Diagnostic>, name: &str, first: &(Span, String), span: Span, what: &str| {
        diags.push(
            Diagnostic::error(id::E0601, format!("two objects would be named `{name}`"))
                .at(span, format!("{what} named `{name}`"))
                .with_secondary(first.0, format!("{} named `{name}` too", first.1))
                .with_help("rename one of the declarations, or name one explicitly with `@name(…)`"),
        );
    };
    for t in &schema.tables {
        let mut add = |diags: &mut Vec<Diagnostic>, name: &str, span: Span, what: &str| {
            let key = (t.schema.clone(), name.to_string());
            if let Some(first) = relations.get(&key) {
                report(diags, name, first, span, what);
            } else {
                relations.insert(key, (span, what.to_string()));
            }
        };
        add(diags, &t.name, t.origin.0, "table");
        if let Some(p) = &t.partitioning {
            for part in &p.partitions {
                add(diags, &part.name, t.origin.0, "partition");
            }
        }
        if let Some(pk) = &t.primary_key {
            add(diags, &pk.name, t.origin.0, "primary key");
        }
        for u in &t.uniques {
            add(diags, &u.name, u.origin.0, "unique constraint");
        }
        for i in &t.indexes {
            add(diags, &i.name, i.origin.0, "index");
        }
        for (_, part, name) in crate::relational::names::partition_indexes(t) {
            add(diags, &name, t.origin.0, &format!("index of partition `{part}`"));
        }
        let mut constraints: BTreeMap<String, (Span, String)> = BTreeMap::new();
        let mut add_c = |diags: &mut Vec<Diagnostic>, name: &str, span: Span, what: &str| {
            if let Some(first) = constraints.get(name) {
                report(diags, name, first, span, what);
            } else {
                constraints.insert(name.to_string(), (span, what.to_string()));
            }
        };
        for c in &t.checks {
            add_c(diags, &c.name, c.origin.0, "check constraint");
        }
        for f in &t.foreign_keys {
            add_c(diags, &f.name, f.origin.0, "foreign key");
        }
        let mut cols: BTreeMap<&str, Span> = BTreeMap::new();
        for c in &t.columns {
            // A column name derived from the model (a value object's prefix,
            // `<field>_id`, `<parent>_id`) may grow past PostgreSQL's limit,
            // which would silently truncate it.
            if c.name.len() > crate::relational::names::MAX_IDENTIFIER {
                diags.push(
                    Diagnostic::error(id::E0106, format!("column name `{}` is {} bytes long", c.name, c.name.len()))
                        .at(c.origin.0, format!("this gives a column of `{}` longer than 63 bytes", t.qualified()))
                        .with_help("shorten the field (or type) name, or name the column with `@column(short_name)`"),
                );
            }
            if let Some(first) = cols.get(c.name.as_str()) {
                report(
                    diags,
                    &c.name,
                    &(*first, "column".into()),
                    c.origin.0,
                    &format!("column of `{}`", t.qualified()),
                );
            } else {
                cols.insert(&c.name, c.origin.0);
            }
        }
        limits(t, diags);
    }
}

/// PostgreSQL's most columns in one table (`MaxHeapAttributeNumber`); the
/// model's analysis refuses a table past it before lowering, by a count
/// that leaves out generated columns and wide references.
const MAX_TABLE_COLUMNS: usize = crate::model::MAX_TABLE_COLUMNS as usize;
/// PostgreSQL's most columns in one index or key (`INDEX_MAX_KEYS`, fixed
/// when PostgreSQL is compiled; 32 in every packaged build).
const MAX_INDEX_KEYS: usize = 32;

/// A table past [`MAX_TABLE_COLUMNS`], a key or index past
/// [`MAX_INDEX_KEYS`]: PostgreSQL would refuse the migration.
fn limits(t: &crate::relational::Table, diags: &mut Vec<Diagnostic>) {
    if t.columns.len() > MAX_TABLE_COLUMNS {
        diags.push(
            Diagnostic::error(
                id::E0602,
                format!(
                    "table `{}` would have {} columns; PostgreSQL allows {MAX_TABLE_COLUMNS}",
                    t.qualified(),
                    t.columns.len()
                ),
            )
            .at(t.origin.0, "the table of this declaration")
            .with_help("keep some fields in an entity or a list of their own, or embed fewer value objects"),
        );
    }
    let mut keys: Vec<(usize, &str, Span, &str)> = Vec::new();
    if let Some(pk) = &t.primary_key {
        keys.push((pk.columns.len(), &pk.name, t.origin.0, "primary key"));
    }
    keys.extend(t.uniques.iter().map(|u| (u.columns.len(), u.name.as_str(), u.origin.0, "unique constraint")));
    keys.extend(t.foreign_keys.iter().map(|f| (f.columns.len(), f.name.as_str(), f.origin.0, "foreign key")));
    keys.extend(t.indexes.iter().map(|i| (i.items.len(), i.name.as_str(), i.origin.0, "index")));
    for (n, name, span, what) in keys.into_iter().filter(|k| k.0 > MAX_INDEX_KEYS) {
        diags.push(
            Diagnostic::error(id::E0602, format!("{what} `{name}` of `{}` would have {n} columns", t.qualified()))
                .at(span, format!("PostgreSQL allows {MAX_INDEX_KEYS} columns in a key or an index"))
                .with_help("name fewer columns; a value object stands for all of its columns"),
        );
    }
}
