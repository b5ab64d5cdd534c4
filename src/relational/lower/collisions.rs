//! Names used twice where PostgreSQL needs them unique (E0601), derived
//! column names past 63 bytes (E0106), and tables or keys with more columns
//! than PostgreSQL takes (E0602).

use std::borrow::Cow;
use std::collections::hash_map::Entry;

use foldhash::{HashMap, HashMapExt};

use crate::diagnostics::codes::id;
use crate::diagnostics::{Diagnostic, Span};
use crate::relational::Schema;

/// Reports names used twice where PostgreSQL needs them unique.
///
/// Hash maps borrowing the schema's names, each kind of object described
/// by a static text or a partition's name ([`What`]): the
/// ordered maps of owned keys and texts it had grew 12.8× for 10× the
/// model (a profile of `validate` at 2,000 and 20,000 aggregates). Only
/// lookups, never iteration: the diagnostics come in the schema's order.
/// Hashed with foldhash: std's SipHash was 85 % of this pass, and this
/// pass 5 % of `validate`, after lowering. foldhash seeds itself per
/// process from addresses (ASLR) and the clock, and claims only minimal
/// resistance to names chosen to collide; std's seed comes from the
/// operating system. The names are the model's own.
pub(super) fn collisions(schema: &Schema, diags: &mut Vec<Diagnostic>) {
    // Relations (tables, partitions, indexes, constraint indexes) share one
    // namespace per schema; constraints must be unique per table.
    let count: usize = schema
        .tables
        .iter()
        .map(|t| 2 + t.uniques.len() + t.indexes.len() + t.partitioning.as_ref().map_or(0, |p| p.partitions.len()))
        .sum();
    let mut relations: Names<'_> = HashMap::with_capacity(count);
    // Per table, kept between tables for their room.
    let mut constraints: Names<'_> = HashMap::new();
    let mut cols: HashMap<&str, Span> = HashMap::new();
    for t in &schema.tables {
        let schema = t.schema.as_str();
        // (A closure could not lend the map names that outlive it.)
        macro_rules! add {
            ($name:expr, $span:expr, $what:expr) => {
                once(&mut relations, diags, (schema, Cow::Borrowed($name.as_str())), $span, What::Is($what))
            };
        }
        add!(t.name, t.origin.0, "table");
        if let Some(p) = &t.partitioning {
            for part in &p.partitions {
                add!(part.name, t.origin.0, "partition");
            }
        }
        if let Some(pk) = &t.primary_key {
            add!(pk.name, t.origin.0, "primary key");
        }
        for u in &t.uniques {
            add!(u.name, u.origin.0, "unique constraint");
        }
        for i in &t.indexes {
            add!(i.name, i.origin.0, "index");
        }
        for (_, part, name) in crate::relational::names::partition_indexes(t) {
            once(&mut relations, diags, (schema, Cow::Owned(name)), t.origin.0, What::PartitionIndex(part));
        }
        constraints.clear();
        for c in &t.checks {
            once(&mut constraints, diags, (schema, Cow::Borrowed(&c.name)), c.origin.0, What::Is("check constraint"));
        }
        for f in &t.foreign_keys {
            once(&mut constraints, diags, (schema, Cow::Borrowed(&f.name)), f.origin.0, What::Is("foreign key"));
        }
        cols.clear();
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
            match cols.entry(&c.name) {
                // The first one is "column"; this one says whose.
                Entry::Occupied(first) => {
                    let what = format!("column of `{}`", t.qualified());
                    report(diags, &c.name, (*first.get(), "column"), c.origin.0, &what);
                }
                Entry::Vacant(slot) => {
                    slot.insert(c.origin.0);
                }
            }
        }
        limits(t, diags);
    }
}

/// Names already given, by (schema, name): where, and what it names.
type Names<'s> = HashMap<(&'s str, Cow<'s, str>), (Span, What<'s>)>;

/// What a name names, put in words only when it is reported.
#[derive(Clone, Copy)]
enum What<'s> {
    Is(&'static str),
    /// An index of the partition named so.
    PartitionIndex(&'s str),
}

impl std::fmt::Display for What<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            What::Is(what) => f.write_str(what),
            What::PartitionIndex(part) => write!(f, "index of partition `{part}`"),
        }
    }
}

/// Gives `key` to what is at `span`, or reports it taken.
fn once<'s>(
    names: &mut Names<'s>,
    diags: &mut Vec<Diagnostic>,
    key: (&'s str, Cow<'s, str>),
    span: Span,
    what: What<'s>,
) {
    match names.entry(key) {
        Entry::Occupied(first) => {
            let (at, was) = first.get();
            report(diags, &first.key().1, (*at, &was.to_string()), span, &what.to_string());
        }
        Entry::Vacant(slot) => {
            slot.insert((span, what));
        }
    }
}

/// E0601: `name` given to `what` at `span`, and first to `first`.
fn report(diags: &mut Vec<Diagnostic>, name: &str, first: (Span, &str), span: Span, what: &str) {
    diags.push(
        Diagnostic::error(id::E0601, format!("two objects would be named `{name}`"))
            .at(span, format!("{what} named `{name}`"))
            .with_secondary(first.0, format!("{} named `{name}` too", first.1))
            .with_help("rename one of the declarations, or name one explicitly with `@name(…)`"),
    );
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
