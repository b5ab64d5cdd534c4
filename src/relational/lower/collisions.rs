//! Names used twice where PostgreSQL needs them unique (E0601), and derived
//! column names past 63 bytes (E0106).

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
    }
}
