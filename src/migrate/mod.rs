//! Schema evolution: the lock's schema and the model's schema → the next
//! migration(s), safe by default.
//!
//! 1. [`renames`] — `@was` turns what would be drop + add into renames.
//! 2. [`diff`] — the remaining differences as typed [`Change`]s, sorted by
//!    their [`ChangeKind`] (the execution order).
//! 3. [`plan`] — refusals of what can lose data, backfills, and the split
//!    into files: native enum values first (kept apart from their first use),
//!    the main transactional migration, then indexes on existing tables built
//!    `CONCURRENTLY` in a migration of their own.
//! 4. [`apply`] — the same changes applied to the schema in the IR, which
//!    gives each file's before and after, and so each file's undo.

pub mod apply;
pub mod change;
pub mod diff;
pub mod locks;
mod plan;
pub mod renames;

pub use change::{Change, ChangeKind, TableRef};
pub use plan::{plan, FileKind, MigrationFile, Options, Planned, Refusal};

/// A schema with every list sorted by name: two schemas that differ only in
/// the order of their parts compare equal after this (columns included,
/// since a migration appends columns where V1 would have put them in model
/// order).
pub fn normalized(s: &crate::relational::Schema) -> crate::relational::Schema {
    let mut s = s.clone();
    s.schemas.sort_by(|a, b| a.name.cmp(&b.name));
    s.extensions.sort();
    s.enum_types.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    s.functions.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    s.roles.sort_by(|a, b| a.name.cmp(&b.name));
    for r in &mut s.roles {
        r.read.sort();
        r.write.sort();
    }
    s.publications.sort_by(|a, b| a.name.cmp(&b.name));
    s.tables.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    for t in s.tables.iter_mut().map(std::sync::Arc::make_mut) {
        t.columns.sort_by(|a, b| a.name.cmp(&b.name));
        t.uniques.sort_by(|a, b| a.name.cmp(&b.name));
        t.checks.sort_by(|a, b| a.name.cmp(&b.name));
        t.foreign_keys.sort_by(|a, b| a.name.cmp(&b.name));
        t.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        t.triggers.sort_by(|a, b| a.name.cmp(&b.name));
        t.policies.sort_by(|a, b| a.name.cmp(&b.name));
        if let Some(p) = &mut t.partitioning {
            p.partitions.sort_by(|a, b| a.name.cmp(&b.name));
        }
        // What SQL cannot see.
        t.kind = crate::relational::TableKind::AggregateRoot;
        t.aggregate = None;
        for c in &mut t.columns {
            c.source = None;
        }
        for c in &mut t.checks {
            c.source = crate::relational::CheckSource::Invariant { source: String::new() };
        }
    }
    s
}
