//! Changes applied to a schema in the IR: what the database will hold after
//! a migration runs. Applying the changes of `diff(a, b)` to `a` gives `b`
//! (up to what SQL cannot see: documentation notes, which are copied from
//! `b` by the caller).

use std::sync::Arc;

use super::change::{Change, CommentOn, TableRef};
use crate::relational::{ColumnType, ForeignKey, Schema, Table};

/// The schema `changes` leave. It shares with `schema` every table they do
/// not change: only a table changed is copied ([`Arc::make_mut`]). A
/// field added at 2,000 aggregates copied all 2,000 tables (13 MB), and
/// its undo then compared every one of them ([`super::diff::diff`] skips a
/// table shared).
pub fn apply(schema: &Schema, changes: &[Change]) -> Schema {
    let mut s = schema.clone();
    let mut places = Places::default();
    let mut rest = changes;
    while let Some(c) = rest.first() {
        // A run of tables dropped (every table of a context removed, or of
        // the model: the changes come sorted by kind) in one pass over the
        // tables, not one each.
        let drops = rest.iter().take_while(|c| matches!(c, Change::DropTable(_))).count();
        if drops > 1 {
            let gone: std::collections::HashSet<(&str, &str)> = rest[..drops]
                .iter()
                .filter_map(|c| {
                    if let Change::DropTable(t) = c {
                        Some((t.schema.as_str(), t.name.as_str()))
                    } else {
                        None
                    }
                })
                .collect();
            s.tables.retain(|x| !gone.contains(&(x.schema.as_str(), x.name.as_str())));
            places.forget();
            rest = &rest[drops..];
            continue;
        }
        // A run of grants (a role over every context) with each list's
        // schemas as a set: a search of the list per grant grew with the
        // square of the run.
        let grants = rest.iter().take_while(|c| matches!(c, Change::Grant { .. })).count();
        if grants > 1 {
            grant_all(&mut s, &rest[..grants]);
            rest = &rest[grants..];
            continue;
        }
        apply_one(&mut s, &mut places, c);
        rest = &rest[1..];
    }
    s
}

/// `Change::Grant`s applied in order, as [`apply_one`] would apply each.
fn grant_all(s: &mut Schema, grants: &[Change]) {
    use std::collections::{HashMap, HashSet};
    let mut role_at: HashMap<String, usize> = HashMap::new();
    for (i, r) in s.roles.iter().enumerate() {
        role_at.entry(r.name.clone()).or_insert(i);
    }
    let mut listed: HashMap<(usize, bool), HashSet<String>> = HashMap::new();
    for c in grants {
        let Change::Grant { role, schema, write } = c else { continue };
        let Some(&i) = role_at.get(role.as_str()) else { continue };
        let r = &mut s.roles[i];
        let list = if *write { &mut r.write } else { &mut r.read };
        let seen = listed.entry((i, *write)).or_insert_with(|| list.iter().cloned().collect());
        if seen.insert(schema.clone()) {
            list.push(schema.clone());
        }
    }
}

/// Where a schema's tables, the foreign keys to each table, and its indexes
/// and partitions by name are, for applying many changes to one schema: a
/// rename of a table or an index, and each change's lookup of its table,
/// scanned every table (a rename of every aggregate of 20,000 is 365,025
/// changes). Built by the first rename that needs it, or after a few
/// lookups by a scan; renames and new tables keep it current; a change that
/// drops tables or renames a schema leaves it unbuilt until then again,
/// and one that moves foreign keys, indexes or partitions within their
/// table leaves those unbuilt (the tables stay where they are: a foreign
/// key or an index added to each of 20,000 tables was a scan or a
/// rebuild per change). Lookups answer as the scans did: every match, in
/// table order.
#[derive(Default)]
pub(super) struct Places {
    /// `tables` is current.
    built: bool,
    /// `refs` and `names` are current too.
    inner: bool,
    /// Lookups by a scan since the map was last built or left.
    scans: usize,
    /// Lookups of an index by a scan since `names` was last built or left.
    inner_scans: usize,
    tables: Map<Vec<usize>>,
    /// Foreign keys by the table they reference: (table, foreign key).
    refs: Map<Vec<(usize, usize)>>,
    /// Indexes and partitions by their table's schema and their name.
    names: Map<Vec<(usize, Place)>>,
}

/// A map by `(schema, name)`, looked up by borrowed names ([`Names`]): a
/// lookup of each change's table cloned both names to make the key, and
/// hashed them with std's SipHash (planning every context made
/// tenant-scoped at 20,000 aggregates looks up the tables of 426,000
/// changes).
/// Only looked up, never iterated: the order of its entries says nothing.
type Map<V> = indexmap::IndexMap<(String, String), V, foldhash::fast::FixedState>;

/// `(schema, name)` borrowed, to look [`Map`] up with: hashed as the owned
/// pair is (a tuple hashes its fields in order, `&str` as `String`).
#[derive(Hash)]
struct Names<'a>(&'a str, &'a str);

impl indexmap::Equivalent<(String, String)> for Names<'_> {
    fn equivalent(&self, key: &(String, String)) -> bool {
        self.0 == key.0 && self.1 == key.1
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    Index(usize),
    Partition(usize),
}

impl Places {
    /// Lookups of a table by a scan before the map is built for them.
    const SCANS: usize = 8;

    fn build(&mut self, s: &Schema) {
        if self.built && self.inner {
            return;
        }
        self.scans = 0;
        self.inner_scans = 0;
        self.tables.clear();
        self.refs.clear();
        self.names.clear();
        for i in 0..s.tables.len() {
            self.add_table(s, i);
        }
        self.built = true;
        self.inner = true;
    }

    fn add_table(&mut self, s: &Schema, i: usize) {
        let t = &s.tables[i];
        self.tables.entry((t.schema.clone(), t.name.clone())).or_default().push(i);
        for (k, fk) in t.foreign_keys.iter().enumerate() {
            self.refs.entry((fk.ref_schema.clone(), fk.ref_table.clone())).or_default().push((i, k));
        }
        let key = |name: &str| (t.schema.clone(), name.to_string());
        for (k, ix) in t.indexes.iter().enumerate() {
            self.names.entry(key(&ix.name)).or_default().push((i, Place::Index(k)));
        }
        for (k, p) in t.partitioning.iter().flat_map(|p| p.partitions.iter()).enumerate() {
            self.names.entry(key(&p.name)).or_default().push((i, Place::Partition(k)));
        }
    }

    fn forget(&mut self) {
        self.built = false;
        self.inner = false;
        self.scans = 0;
        self.inner_scans = 0;
    }

    /// Foreign keys, indexes or partitions moved within their tables.
    fn forget_inner(&mut self) {
        self.inner = false;
        self.inner_scans = 0;
    }

    /// Whether `names` can answer; built after a few lookups by a scan
    /// (an index commented on each of thousands of tables).
    fn names_ready(&mut self, s: &Schema) -> bool {
        if !(self.built && self.inner) {
            self.inner_scans += 1;
            if self.inner_scans > Places::SCANS {
                self.build(s);
            }
        }
        self.built && self.inner
    }

    /// Moves what `map` holds under `from` to `to`, merged in order.
    fn rename<T: Ord + Copy>(map: &mut Map<Vec<T>>, schema: &str, from: &str, to: &str) -> Vec<T> {
        let moved = map.swap_remove(&Names(schema, from)).unwrap_or_default();
        if !moved.is_empty() {
            let at = map.entry((schema.to_string(), to.to_string())).or_default();
            at.extend(moved.iter().copied());
            at.sort();
        }
        moved
    }
}

fn table_mut<'a>(s: &'a mut Schema, places: &mut Places, r: &TableRef) -> Option<&'a mut Table> {
    // A few scans first: a change or two need no map, and a batch that
    // keeps moving things would rebuild it each time.
    if !places.built {
        places.scans += 1;
        if places.scans > Places::SCANS {
            places.build(s);
        }
    }
    if places.built {
        let at = places.tables.get(&Names(&r.schema, &r.name)).and_then(|v| v.first().copied())?;
        return s.tables.get_mut(at).map(Arc::make_mut);
    }
    s.tables.iter_mut().find(|t| t.schema == r.schema && t.name == r.name).map(Arc::make_mut)
}

pub(super) fn apply_one(s: &mut Schema, places: &mut Places, c: &Change) {
    use Change::*;
    change(s, places, c);
    // What moves what `places` records leaves it unbuilt, once done (the
    // change itself may look its table up in it, still exact then).
    if matches!(c, DropTable(_) | RenameSchema { .. }) {
        places.forget();
    }
    if matches!(
        c,
        AddForeignKey { .. }
            | ReplaceForeignKey { .. }
            | DropForeignKey { .. }
            | CreateIndex { .. }
            | DropIndex { .. }
            | AddPartition { .. }
            | DropPartition { .. }
    ) || matches!(c, AddPrimaryKey { references, .. } if !references.is_empty())
    {
        places.forget_inner();
    }
}

/// `fk` on `table`, in place of the one of its name if any.
fn put_foreign_key(s: &mut Schema, places: &mut Places, table: &TableRef, fk: &ForeignKey) {
    if let Some(t) = table_mut(s, places, table) {
        t.foreign_keys.retain(|x| x.name != fk.name);
        t.foreign_keys.push(fk.clone());
    }
}

fn change(s: &mut Schema, places: &mut Places, c: &Change) {
    use Change::*;
    match c {
        DropPublication(p) => s.publications.retain(|x| x.name != p.name),
        DropPolicy { table, policy } => {
            if let Some(t) = table_mut(s, places, table) {
                t.policies.retain(|x| x.name != policy.name);
            }
        }
        DisableRowLevelSecurity(table) => {
            if let Some(t) = table_mut(s, places, table) {
                t.row_level_security = false;
            }
        }
        DisablePartitionRowLevelSecurity { table, partition }
        | EnablePartitionRowLevelSecurity { table, partition } => {
            let on = matches!(c, EnablePartitionRowLevelSecurity { .. });
            if let Some(p) = table_mut(s, places, table).and_then(|t| t.partitioning.as_mut()) {
                for part in p.partitions.iter_mut().filter(|x| &x.name == partition) {
                    part.row_level_security = on;
                }
            }
        }
        SyncPartitionIndexNames(_) => {}
        DropTrigger { table, trigger } => {
            if let Some(t) = table_mut(s, places, table) {
                t.triggers.retain(|x| x.name != trigger.name);
            }
        }
        DropForeignKey { table, fk } => {
            if let Some(t) = table_mut(s, places, table) {
                t.foreign_keys.retain(|x| x.name != fk.name);
            }
        }
        DropIndex { table, index } => {
            if let Some(t) = table_mut(s, places, table) {
                t.indexes.retain(|x| x.name != index.name);
            }
        }
        DropCheck { table, check } => {
            if let Some(t) = table_mut(s, places, table) {
                t.checks.retain(|x| x.name != check.name);
            }
        }
        DropUnique { table, unique } => {
            if let Some(t) = table_mut(s, places, table) {
                t.uniques.retain(|x| x.name != unique.name);
            }
        }
        DropPrimaryKey { table, .. } => {
            if let Some(t) = table_mut(s, places, table) {
                t.primary_key = None;
            }
        }
        RenameSchema { from, to } => {
            for x in &mut s.schemas {
                if &x.name == from {
                    x.name = to.clone();
                }
            }
            // Only the tables that name the schema are copied: the ones in
            // it, those with a key referencing it, and those with a column
            // of one of its native enum types.
            let names = |t: &Table| {
                &t.schema == from
                    || t.foreign_keys.iter().any(|fk| &fk.ref_schema == from)
                    || t.columns.iter().any(|c| enum_type_of(&c.ty).is_some_and(|(schema, _)| schema == from))
            };
            for t in s.tables.iter_mut().filter(|t| names(t)).map(Arc::make_mut) {
                if &t.schema == from {
                    t.schema = to.clone();
                }
                for fk in &mut t.foreign_keys {
                    if &fk.ref_schema == from {
                        fk.ref_schema = to.clone();
                    }
                }
                for c in &mut t.columns {
                    rename_enum_type(&mut c.ty, |schema, _| {
                        if schema == from {
                            *schema = to.clone()
                        }
                    });
                }
            }
            for e in &mut s.enum_types {
                if &e.schema == from {
                    e.schema = to.clone();
                }
            }
            for f in &mut s.functions {
                if &f.schema == from {
                    f.schema = to.clone();
                }
            }
            for r in &mut s.roles {
                for x in r.read.iter_mut().chain(r.write.iter_mut()) {
                    if x == from {
                        *x = to.clone();
                    }
                }
            }
            for p in &mut s.publications {
                for t in &mut p.tables {
                    if &t.schema == from {
                        t.schema = to.clone();
                    }
                }
                p.tables.sort();
            }
        }
        RenameTable { schema, from, to } => {
            places.build(s);
            for i in Places::rename(&mut places.tables, schema, from, to) {
                Arc::make_mut(&mut s.tables[i]).name = to.clone();
            }
            for (i, k) in Places::rename(&mut places.refs, schema, from, to) {
                Arc::make_mut(&mut s.tables[i]).foreign_keys[k].ref_table = to.clone();
            }
            for p in &mut s.publications {
                for t in &mut p.tables {
                    if &t.schema == schema && &t.name == from {
                        t.name = to.clone();
                    }
                }
                p.tables.sort();
            }
        }
        RenameColumn { table, from, to } => {
            let r = table.clone();
            if let Some(t) = table_mut(s, places, table) {
                for col in &mut t.columns {
                    if &col.name == from {
                        col.name = to.clone();
                    }
                }
                let rename = |v: &mut Vec<String>| {
                    for x in v.iter_mut() {
                        if x == from {
                            *x = to.clone();
                        }
                    }
                };
                if let Some(pk) = &mut t.primary_key {
                    rename(&mut pk.columns);
                }
                for u in &mut t.uniques {
                    rename(&mut u.columns);
                }
                for fk in &mut t.foreign_keys {
                    rename(&mut fk.columns);
                }
                if let Some(p) = &mut t.partitioning {
                    if &p.column == from {
                        p.column = to.clone();
                    }
                }
            }
            places.build(s);
            for &(i, k) in places.refs.get(&Names(&r.schema, &r.name)).into_iter().flatten() {
                for x in &mut Arc::make_mut(&mut s.tables[i]).foreign_keys[k].ref_columns {
                    if x == from {
                        *x = to.clone();
                    }
                }
            }
        }
        RenameConstraint { table, from, to } => {
            if let Some(t) = table_mut(s, places, table) {
                if let Some(pk) = &mut t.primary_key {
                    if &pk.name == from {
                        pk.name = to.clone();
                    }
                }
                for u in &mut t.uniques {
                    if &u.name == from {
                        u.name = to.clone();
                    }
                }
                for ch in &mut t.checks {
                    if &ch.name == from {
                        ch.name = to.clone();
                    }
                }
                for fk in &mut t.foreign_keys {
                    if &fk.name == from {
                        fk.name = to.clone();
                    }
                }
            }
        }
        RenameIndex { schema, from, to } => {
            places.build(s);
            for (i, place) in Places::rename(&mut places.names, schema, from, to) {
                let t = Arc::make_mut(&mut s.tables[i]);
                match place {
                    Place::Index(k) => t.indexes[k].name = to.clone(),
                    Place::Partition(k) => {
                        if let Some(p) = &mut t.partitioning {
                            p.partitions[k].name = to.clone();
                        }
                    }
                }
            }
        }
        RenameTrigger { table, from, to } => {
            if let Some(t) = table_mut(s, places, table) {
                for tr in &mut t.triggers {
                    if &tr.name == from {
                        tr.name = to.clone();
                    }
                }
            }
        }
        RenameType { schema, from, to } => {
            for e in &mut s.enum_types {
                if &e.schema == schema && &e.name == from {
                    e.name = to.clone();
                }
            }
            // Only the tables with a column of the type are copied.
            let uses = |t: &Table| t.columns.iter().any(|c| enum_type_of(&c.ty) == Some((schema, from)));
            for t in s.tables.iter_mut().filter(|t| uses(t)).map(Arc::make_mut) {
                for c in &mut t.columns {
                    rename_enum_type(&mut c.ty, |s, name| {
                        if s == schema && name == from {
                            *name = to.clone();
                        }
                    });
                }
            }
        }
        RenameEnumValue { schema, type_name, from, to } => {
            for e in &mut s.enum_types {
                if &e.schema == schema && &e.name == type_name {
                    for v in &mut e.values {
                        if v == from {
                            *v = to.clone();
                        }
                    }
                }
            }
        }
        UpdateEnumValue { .. } => {}
        DropGeneratedColumn { table, column, .. } => {
            if let Some(t) = table_mut(s, places, table) {
                t.columns.retain(|x| x.name != column.name);
            }
        }
        AddGeneratedColumn { table, column } => {
            if let Some(t) = table_mut(s, places, table) {
                if t.column(&column.name).is_none() {
                    t.columns.push((**column).clone());
                }
            }
        }
        SetIdentity { table, column, identity } => {
            if let Some(c) = table_mut(s, places, table).and_then(|t| t.columns.iter_mut().find(|c| &c.name == column))
            {
                c.identity = *identity;
            }
        }
        CreateSchema(x) => {
            if !s.schemas.iter().any(|y| y.name == x.name) {
                s.schemas.push(x.clone());
            }
        }
        CreateExtension(e) => {
            if !s.extensions.contains(e) {
                s.extensions.push(e.clone());
            }
        }
        CreateEnumType(e) => {
            s.enum_types.retain(|x| !(x.schema == e.schema && x.name == e.name));
            s.enum_types.push(e.clone());
        }
        AddEnumValue { schema, type_name, value, after, before } => {
            if let Some(e) = s.enum_types.iter_mut().find(|e| &e.schema == schema && &e.name == type_name) {
                if !e.values.contains(value) {
                    let pos = match (after, before) {
                        (Some(a), _) => e.values.iter().position(|v| v == a).map_or(e.values.len(), |p| p + 1),
                        (None, Some(b)) => e.values.iter().position(|v| v == b).unwrap_or(0),
                        (None, None) => e.values.len(),
                    };
                    e.values.insert(pos.min(e.values.len()), value.clone());
                }
            }
        }
        CreateFunction(f) => {
            s.functions.retain(|x| !(x.schema == f.schema && x.name == f.name && x.args == f.args));
            s.functions.push(f.clone());
        }
        CreateTable(t) => {
            let exists = if places.built {
                places.tables.contains_key(&Names(&t.schema, &t.name))
            } else {
                s.table(&t.schema, &t.name).is_some()
            };
            if !exists {
                s.tables.push(Arc::new((**t).clone()));
                if places.built {
                    places.add_table(s, s.tables.len() - 1);
                }
            }
        }
        AddPartition { table, partition, .. } => {
            if let Some(p) = table_mut(s, places, table).and_then(|t| t.partitioning.as_mut()) {
                if !p.partitions.iter().any(|x| x.name == partition.name) {
                    p.partitions.push(partition.clone());
                }
            }
        }
        AddColumn { table, column, .. } => {
            if let Some(t) = table_mut(s, places, table) {
                if t.column(&column.name).is_none() {
                    t.columns.push((**column).clone());
                }
            }
        }
        AlterColumnType { table, column, to, .. } => {
            if let Some(c) = table_mut(s, places, table).and_then(|t| t.columns.iter_mut().find(|c| &c.name == column))
            {
                c.ty = to.clone();
            }
        }
        SetDefault { table, column, default } => {
            if let Some(c) = table_mut(s, places, table).and_then(|t| t.columns.iter_mut().find(|c| &c.name == column))
            {
                c.default = default.clone();
            }
        }
        DropNotNull { table, column }
        | SetNotNull { table, column, .. }
        | FinishNotNull { table, column, .. }
        | RestoreNotNull { table, column } => {
            let nullable = matches!(c, DropNotNull { .. });
            if let Some(col) =
                table_mut(s, places, table).and_then(|t| t.columns.iter_mut().find(|c| &c.name == column))
            {
                col.nullable = nullable;
            }
        }
        AddPrimaryKey { table, pk, references, uniques } => {
            if let Some(t) = table_mut(s, places, table) {
                t.primary_key = Some(pk.clone());
                t.uniques.retain(|x| !uniques.iter().any(|u| u.name == x.name));
            }
            for (table, fk) in references {
                put_foreign_key(s, places, table, fk);
            }
        }
        AddUnique { table, unique } => {
            if let Some(t) = table_mut(s, places, table) {
                t.uniques.retain(|x| x.name != unique.name);
                t.uniques.push(unique.clone());
            }
        }
        // Rows and validity: the schema does not record them.
        Backfill { .. } | ValidateConstraint { .. } => {}
        AddCheck { table, check } | ReplaceCheck { table, check } => {
            if let Some(t) = table_mut(s, places, table) {
                t.checks.retain(|x| x.name != check.name);
                t.checks.push(check.clone());
            }
        }
        AddForeignKey { table, fk } | ReplaceForeignKey { table, fk } => put_foreign_key(s, places, table, fk),
        CreateIndex { table, index } => {
            if let Some(t) = table_mut(s, places, table) {
                t.indexes.retain(|x| x.name != index.name);
                t.indexes.push(index.clone());
            }
        }
        CreateTrigger { table, trigger } => {
            if let Some(t) = table_mut(s, places, table) {
                t.triggers.retain(|x| x.name != trigger.name);
                t.triggers.push(trigger.clone());
            }
        }
        EnableRowLevelSecurity(table) => {
            if let Some(t) = table_mut(s, places, table) {
                t.row_level_security = true;
            }
        }
        CreatePolicy { table, policy } => {
            if let Some(t) = table_mut(s, places, table) {
                t.policies.retain(|x| x.name != policy.name);
                t.policies.push(policy.clone());
            }
        }
        CreateRole(r) => {
            if !s.roles.iter().any(|x| x.name == r.name) {
                let mut bare = r.clone();
                bare.read.clear();
                bare.write.clear();
                s.roles.push(bare);
            }
        }
        Grant { role, schema, write } => {
            if let Some(r) = s.roles.iter_mut().find(|r| &r.name == role) {
                let list = if *write { &mut r.write } else { &mut r.read };
                if !list.contains(schema) {
                    list.push(schema.clone());
                }
            }
        }
        Revoke { role, schema, write } => {
            if let Some(r) = s.roles.iter_mut().find(|r| &r.name == role) {
                let list = if *write { &mut r.write } else { &mut r.read };
                list.retain(|x| x != schema);
            }
        }
        CreatePublication(p) | SetPublicationTables(p) => {
            s.publications.retain(|x| x.name != p.name);
            s.publications.push(p.clone());
        }
        SetComment { on, text } => set_comment(s, places, on, text.clone()),
        DropRole(r) => s.roles.retain(|x| &x.name != r),
        DropColumn { table, column } => {
            if let Some(t) = table_mut(s, places, table) {
                t.columns.retain(|x| x.name != column.name);
            }
        }
        DropPartition { table, partition, .. } => {
            if let Some(p) = table_mut(s, places, table).and_then(|t| t.partitioning.as_mut()) {
                p.partitions.retain(|x| x.name != partition.name);
            }
        }
        DropTable(t) => s.tables.retain(|x| !(x.schema == t.schema && x.name == t.name)),
        DropFunction(f) => s.functions.retain(|x| !(x.schema == f.schema && x.name == f.name && x.args == f.args)),
        DropEnumType(e) => s.enum_types.retain(|x| !(x.schema == e.schema && x.name == e.name)),
        DropExtension(e) => s.extensions.retain(|x| x != e),
        DropSchema(x) => {
            s.schemas.retain(|y| y.name != x.name);
            // The privileges on it go with it: an undo that creates it
            // again must grant them again (it granted nothing, as the
            // roles still listed the schema).
            for r in &mut s.roles {
                r.read.retain(|y| *y != x.name);
                r.write.retain(|y| *y != x.name);
            }
        }
    }
}

/// Calls `f` with the schema and name of the enum type a column (or its
/// array's elements) has, if any.
/// The native enum type a column's type is (or is an array of): its schema
/// and name.
fn enum_type_of(ty: &ColumnType) -> Option<(&String, &String)> {
    match ty {
        ColumnType::Enum { schema, name } => Some((schema, name)),
        ColumnType::Array(element) => enum_type_of(element),
        _ => None,
    }
}

fn rename_enum_type(ty: &mut ColumnType, f: impl FnOnce(&mut String, &mut String)) {
    match ty {
        ColumnType::Enum { schema, name } => f(schema, name),
        ColumnType::Array(element) => rename_enum_type(element, f),
        _ => {}
    }
}

fn set_comment(s: &mut Schema, places: &mut Places, on: &CommentOn, text: Option<String>) {
    match on {
        CommentOn::Schema(n) => {
            if let Some(x) = s.schemas.iter_mut().find(|x| &x.name == n) {
                x.comment = text;
            }
        }
        CommentOn::Table(r) => {
            if let Some(t) = table_mut(s, places, r) {
                t.comment = text;
            }
        }
        CommentOn::Column(r, c) => {
            if let Some(col) = table_mut(s, places, r).and_then(|t| t.columns.iter_mut().find(|x| &x.name == c)) {
                col.comment = text;
            }
        }
        CommentOn::Constraint(r, c) => {
            if let Some(ch) = table_mut(s, places, r).and_then(|t| t.checks.iter_mut().find(|x| &x.name == c)) {
                ch.comment = text;
            }
        }
        CommentOn::Index(schema, i) => {
            if places.names_ready(s) {
                for &(t, place) in places.names.get(&Names(schema, i)).into_iter().flatten() {
                    if let Place::Index(k) = place {
                        Arc::make_mut(&mut s.tables[t]).indexes[k].comment = text.clone();
                    }
                }
            } else {
                let has = |t: &&mut Arc<Table>| &t.schema == schema && t.indexes.iter().any(|x| &x.name == i);
                for t in s.tables.iter_mut().filter(has).map(Arc::make_mut) {
                    for ix in t.indexes.iter_mut().filter(|x| &x.name == i) {
                        ix.comment = text.clone();
                    }
                }
            }
        }
        CommentOn::Type(schema, n) => {
            if let Some(e) = s.enum_types.iter_mut().find(|e| &e.schema == schema && &e.name == n) {
                e.comment = text;
            }
        }
        CommentOn::Function(schema, n, args) => {
            if let Some(f) = s.functions.iter_mut().find(|f| &f.schema == schema && &f.name == n && &f.args == args) {
                f.comment = text;
            }
        }
        CommentOn::Role(r) => {
            if let Some(role) = s.roles.iter_mut().find(|x| &x.name == r) {
                role.comment = text;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Map, Names};

    /// A lookup by borrowed names finds what the owned pair was stored
    /// under, and only that: were `Names` hashed otherwise, `table_mut`
    /// would find no table and a change would silently not be applied.
    #[test]
    fn borrowed_names_find_the_owned_key() {
        let mut map: Map<u8> = Map::default();
        map.insert(("ventas".into(), "pedidos".into()), 1);
        map.insert(("ventas".into(), "".into()), 2);
        assert_eq!(map.get(&Names("ventas", "pedidos")), Some(&1));
        assert_eq!(map.get(&Names("ventas", "")), Some(&2));
        assert_eq!(map.get(&Names("ventaspedidos", "")), None);
        assert_eq!(map.get(&Names("ventas", "pedido")), None);
        assert_eq!(map.swap_remove(&Names("ventas", "pedidos")), Some(1));
        assert!(!map.contains_key(&Names("ventas", "pedidos")));
    }
}
