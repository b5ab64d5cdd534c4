//! Two schemas → the changes from one to the other, by name (renames have
//! already been applied to `old`, see `renames`). `diff(s, s)` is empty.

use super::change::{Change, ChangeKind, CommentOn, TableRef};
use crate::relational::{Schema, Table};

/// The first of `items` by each key: lookups of thousands of schemas and
/// enum types each (a model of a context per aggregate) were scans.
fn first_by<'a, T, K: std::hash::Hash + Eq>(
    items: &'a [T],
    key: impl Fn(&'a T) -> K,
) -> std::collections::HashMap<K, &'a T> {
    let mut map = std::collections::HashMap::with_capacity(items.len());
    for x in items {
        map.entry(key(x)).or_insert(x);
    }
    map
}

/// Lookups by name in one of a table's lists. Most lists hold a handful of
/// items and are scanned; a long one (an aggregate with thousands of
/// invariants or indexes, a table of 1,600 columns) is hashed once, so
/// diffing it is not quadratic. Answers are the scan's: the first item of a
/// name, or every item of it in list order.
struct Named<'a, T> {
    list: &'a [T],
    name: fn(&T) -> &str,
    map: Option<std::collections::HashMap<&'a str, Vec<usize>>>,
}

impl<'a, T> Named<'a, T> {
    /// Lists up to this long are scanned.
    const SCANNED: usize = 24;

    fn new(list: &'a [T], name: fn(&T) -> &str) -> Self {
        let map = (list.len() > Self::SCANNED).then(|| {
            let mut map = std::collections::HashMap::<&str, Vec<usize>>::with_capacity(list.len());
            for (i, x) in list.iter().enumerate() {
                map.entry(name(x)).or_default().push(i);
            }
            map
        });
        Named { list, name, map }
    }

    /// The first item named `n`.
    fn get(&self, n: &str) -> Option<&'a T> {
        match &self.map {
            Some(map) => map.get(n).map(|at| &self.list[at[0]]),
            None => self.list.iter().find(|x| (self.name)(x) == n),
        }
    }

    /// Whether an item named `n` satisfies `f`.
    fn any(&self, n: &str, f: impl Fn(&T) -> bool) -> bool {
        match &self.map {
            Some(map) => map.get(n).is_some_and(|at| at.iter().any(|&i| f(&self.list[i]))),
            None => self.list.iter().any(|x| (self.name)(x) == n && f(x)),
        }
    }
}

/// Room made for this many changes a table before the first is found:
/// a change of every table (a tenant column on each, 16 changes a table
/// at 2,000 aggregates) grew the list by doubling, each time onto fresh
/// pages at 20,000 aggregates (planning that change 2.08-2.27 s, now
/// 1.94-2.09 s, five runs each in turns). Room never used costs address
/// space, not memory: pages never written are never faulted in (a build
/// with one field added peaked alike: at 2,000, 181-198 against 183-201 MB
/// over three pairs; at 20,000, where the room is 86 MB, 1,456-1,525
/// against 1,473-1,564 MB over two).
const EXPECTED_PER_TABLE: usize = 16;

pub fn diff(old: &Schema, new: &Schema) -> Vec<Change> {
    let mut out = Vec::with_capacity(EXPECTED_PER_TABLE * new.tables.len().max(old.tables.len()));
    let (old_schemas, new_schemas) =
        (first_by(&old.schemas, |s| s.name.as_str()), first_by(&new.schemas, |s| s.name.as_str()));
    // Schemas.
    for s in &new.schemas {
        match old_schemas.get(s.name.as_str()) {
            None => {
                out.push(Change::CreateSchema(s.clone()));
                if s.comment.is_some() {
                    out.push(Change::SetComment { on: CommentOn::Schema(s.name.clone()), text: s.comment.clone() });
                }
            }
            Some(o) if o.comment != s.comment => {
                out.push(Change::SetComment { on: CommentOn::Schema(s.name.clone()), text: s.comment.clone() })
            }
            Some(_) => {}
        }
    }
    for o in &old.schemas {
        if !new_schemas.contains_key(o.name.as_str()) {
            out.push(Change::DropSchema(o.clone()));
        }
    }
    // Extensions.
    for e in &new.extensions {
        if !old.extensions.contains(e) {
            out.push(Change::CreateExtension(e.clone()));
        }
    }
    for e in &old.extensions {
        if !new.extensions.contains(e) {
            out.push(Change::DropExtension(e.clone()));
        }
    }
    // Enum types.
    let enum_key = |t: &'_ crate::relational::EnumType| (t.schema.clone(), t.name.clone());
    let (old_enums, new_enums) = (first_by(&old.enum_types, enum_key), first_by(&new.enum_types, enum_key));
    for t in &new.enum_types {
        match old_enums.get(&enum_key(t)) {
            None => {
                out.push(Change::CreateEnumType(t.clone()));
                if t.comment.is_some() {
                    out.push(Change::SetComment {
                        on: CommentOn::Type(t.schema.clone(), t.name.clone()),
                        text: t.comment.clone(),
                    });
                }
            }
            Some(o) => {
                // A set: an enum of thousands of values was a scan per value.
                let old_values: std::collections::HashSet<&str> = o.values.iter().map(String::as_str).collect();
                let mut prev: Option<String> = None;
                for (i, v) in t.values.iter().enumerate() {
                    if !old_values.contains(v.as_str()) {
                        // Placed after the value before it, or before the
                        // first existing value when it comes first.
                        let before = if prev.is_none() {
                            t.values[i + 1..].iter().find(|x| old_values.contains(x.as_str())).cloned()
                        } else {
                            None
                        };
                        out.push(Change::AddEnumValue {
                            schema: t.schema.clone(),
                            type_name: t.name.clone(),
                            value: v.clone(),
                            after: prev.clone(),
                            before,
                        });
                    }
                    prev = Some(v.clone());
                }
                if o.comment != t.comment {
                    out.push(Change::SetComment {
                        on: CommentOn::Type(t.schema.clone(), t.name.clone()),
                        text: t.comment.clone(),
                    });
                }
                // Values removed: PostgreSQL cannot remove an enum value; `plan`
                // refuses it, and an undo leaves the value in place.
            }
        }
    }
    for o in &old.enum_types {
        if !new_enums.contains_key(&enum_key(o)) {
            out.push(Change::DropEnumType(o.clone()));
        }
    }
    // Functions.
    for f in &new.functions {
        match old.functions.iter().find(|o| o.schema == f.schema && o.name == f.name && o.args == f.args) {
            Some(o) if o == f => {}
            _ => out.push(Change::CreateFunction(f.clone())),
        }
    }
    for o in &old.functions {
        if !new.functions.iter().any(|f| f.schema == o.schema && f.name == o.name && f.args == o.args) {
            out.push(Change::DropFunction(o.clone()));
        }
    }
    // Tables.
    let (old_tables, new_tables) = (old.index(), new.index());
    for t in &new.tables {
        match old_tables.table(&t.schema, &t.name) {
            None => create_table(&mut out, t),
            // The same table, shared: a migration's undo compares the
            // schema after it with the one before, which share every table
            // it does not change.
            Some(o) if std::ptr::eq(o, &**t) => {}
            Some(o) => alter_table(&mut out, o, t),
        }
    }
    for o in &old.tables {
        if new_tables.table(&o.schema, &o.name).is_none() {
            out.push(Change::DropTable(Box::new((**o).clone())));
        }
    }
    rebind_foreign_keys(&mut out, &old_tables, new);
    // Roles.
    for r in &new.roles {
        let old_role = old.roles.iter().find(|o| o.name == r.name);
        match old_role {
            // A new role's comment comes with it (see `sql::alter`).
            None => out.push(Change::CreateRole(r.clone())),
            Some(o) if o.comment != r.comment => {
                out.push(Change::SetComment { on: CommentOn::Role(r.name.clone()), text: r.comment.clone() })
            }
            Some(_) => {}
        }
        // The lists as sets (a search of a list per schema grew with the
        // square of a role over many contexts).
        fn set(l: &[String]) -> std::collections::HashSet<&str> {
            l.iter().map(String::as_str).collect()
        }
        let (old_read, old_write) = old_role.map(|o| (set(&o.read), set(&o.write))).unwrap_or_default();
        for (list, had, write) in [(&r.read, &old_read, false), (&r.write, &old_write, true)] {
            for s in list {
                if !had.contains(s.as_str()) {
                    out.push(Change::Grant { role: r.name.clone(), schema: s.clone(), write });
                }
            }
        }
        if let Some(o) = old_role {
            let (new_read, new_write) = (set(&r.read), set(&r.write));
            for (list, new_list, write) in [(&o.read, &new_read, false), (&o.write, &new_write, true)] {
                for s in list {
                    // A context read before and written now keeps what
                    // reading gave (`write` grants it too): revoking it
                    // took SELECT and USAGE from the new writer.
                    let written = !write && new_write.contains(s.as_str());
                    if !new_list.contains(s.as_str()) && !written && new_schemas.contains_key(s.as_str()) {
                        out.push(Change::Revoke { role: r.name.clone(), schema: s.clone(), write });
                        // Written before and not even read now: what
                        // writing gave beside the writes goes too.
                        if write && !new_read.contains(s.as_str()) {
                            out.push(Change::Revoke { role: r.name.clone(), schema: s.clone(), write: false });
                        }
                    }
                }
            }
        }
    }
    for o in &old.roles {
        if !new.roles.iter().any(|r| r.name == o.name) {
            out.push(Change::DropRole(o.name.clone()));
        }
    }
    // Publications.
    for p in &new.publications {
        match old.publications.iter().find(|o| o.name == p.name) {
            None => out.push(Change::CreatePublication(p.clone())),
            Some(o) if o.tables != p.tables => out.push(Change::SetPublicationTables(p.clone())),
            Some(_) => {}
        }
    }
    for o in &old.publications {
        if !new.publications.iter().any(|p| p.name == o.name) {
            out.push(Change::DropPublication(o.clone()));
        }
    }
    super::change::sort_by_kind(&mut out);
    order_drops(&mut out);
    out
}

/// Foreign keys that stay as they were but reference a key the diff drops
/// (a unique constraint, a primary key or a unique index over the same
/// columns, replaced or not): PostgreSQL ties a foreign key to the unique
/// index it found when the key was added, and refuses to drop that index
/// while the key needs it. Each is dropped first and added again after the
/// keys, which ties it to the index the table has then (`NOT VALID` and
/// validated on a table that exists). The case that needs it: a
/// tenant-scoped aggregate whose `id` the application supplies had a global
/// primary key `(id)` and a unique `(tenant_id, id)` its references used;
/// its primary key is now `(tenant_id, id)` and the unique goes.
fn rebind_foreign_keys(out: &mut Vec<Change>, old_tables: &crate::relational::TableIndex<'_>, new: &Schema) {
    let dropped: std::collections::HashSet<(&str, &str, Vec<&str>)> = out
        .iter()
        .filter_map(|c| {
            let (table, cols) = match c {
                Change::DropUnique { table, unique } => (table, column_set(&unique.columns)),
                Change::DropPrimaryKey { table, pk } => (table, column_set(&pk.columns)),
                Change::DropIndex { table, index } if index.unique => {
                    let mut cols: Vec<&str> = index.items.iter().filter_map(|i| i.column()).collect();
                    cols.sort_unstable();
                    (table, cols)
                }
                _ => return None,
            };
            Some((table.schema.as_str(), table.name.as_str(), cols))
        })
        .collect();
    if dropped.is_empty() {
        return;
    }
    let mut rebound = Vec::new();
    for t in &new.tables {
        // A new table's keys are added after every key anyway.
        let Some(o) = old_tables.table(&t.schema, &t.name) else { continue };
        for fk in &t.foreign_keys {
            let relies =
                dropped.contains(&(fk.ref_schema.as_str(), fk.ref_table.as_str(), column_set(&fk.ref_columns)));
            // Only a key that stays as it was: a changed one is dropped and
            // added already.
            if relies && o.foreign_keys.iter().any(|x| x == fk) {
                let table = TableRef::of(t);
                rebound.push(Change::DropForeignKey { table: table.clone(), fk: fk.clone() });
                rebound.push(Change::AddForeignKey { table, fk: fk.clone() });
            }
        }
    }
    out.extend(rebound);
}

/// A constraint's columns as a set (sorted): how PostgreSQL matches a
/// foreign key with the unique index it references.
pub(super) fn column_set(cols: &[String]) -> Vec<&str> {
    let mut v: Vec<&str> = cols.iter().map(String::as_str).collect();
    v.sort_unstable();
    v
}

/// Within changes sorted by kind, drops in an order PostgreSQL accepts: a
/// generated column before the columns it reads, a table before the tables
/// its foreign keys reference (an entity's table before its parent's).
pub fn order_drops(changes: &mut [Change]) {
    let run = |changes: &[Change], kind: ChangeKind| {
        let start = changes.iter().position(|c| c.kind() == kind)?;
        let len = changes[start..].iter().take_while(|c| c.kind() == kind).count();
        Some(start..start + len)
    };
    if let Some(r) = run(changes, ChangeKind::DropColumn) {
        changes[r].sort_by_key(|c| !matches!(c, Change::DropColumn { column, .. } if column.generated.is_some()));
    }
    if let Some(r) = run(changes, ChangeKind::DropTable) {
        let order = drop_order(&changes[r.clone()]);
        let ordered: Vec<Change> = order.iter().map(|&i| changes[r.start + i].clone()).collect();
        changes[r].clone_from_slice(&ordered);
    }
}

/// The order in which to drop `drops` (each a [`Change::DropTable`]), as
/// positions in it: repeatedly the first one that no other table still to
/// drop references, or, in a cycle, the first one still to drop. Kept as
/// counts of referencing tables and a set of the ready ones: a scan of
/// the tables left for each choice (what the rule says, done literally)
/// grew with the cube of the tables dropped, and a drift check against an
/// empty database drops every table of the model.
fn drop_order(drops: &[Change]) -> Vec<usize> {
    use std::collections::{BTreeSet, HashMap};
    let tables: Vec<Option<&Table>> =
        drops.iter().map(|c| if let Change::DropTable(t) = c { Some(&**t) } else { None }).collect();
    let mut by_name: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (i, t) in tables.iter().enumerate() {
        if let Some(t) = t {
            by_name.entry((t.schema.as_str(), t.name.as_str())).or_default().push(i);
        }
    }
    // referencing[i]: the tables `i` references (another name); count[j]:
    // how many tables to drop reference `j`.
    let mut referencing: Vec<Vec<usize>> = vec![Vec::new(); drops.len()];
    let mut count = vec![0usize; drops.len()];
    for (i, t) in tables.iter().enumerate() {
        let Some(t) = t else { continue };
        for f in &t.foreign_keys {
            let Some(targets) = by_name.get(&(f.ref_schema.as_str(), f.ref_table.as_str())) else { continue };
            for &j in targets {
                let other = tables[j].is_some_and(|u| u.name != t.name || u.schema != t.schema);
                if other && !referencing[i].contains(&j) {
                    referencing[i].push(j);
                    count[j] += 1;
                }
            }
        }
    }
    let mut left: BTreeSet<usize> = (0..drops.len()).collect();
    let mut ready: BTreeSet<usize> = left.iter().copied().filter(|&j| count[j] == 0 && tables[j].is_some()).collect();
    let mut order = Vec::with_capacity(drops.len());
    while let Some(&first) = left.first() {
        let next = ready.pop_first().unwrap_or(first); // a cycle: keep the order
        left.remove(&next);
        order.push(next);
        for &j in &referencing[next] {
            count[j] -= 1;
            if count[j] == 0 && left.contains(&j) {
                ready.insert(j);
            }
        }
    }
    order
}

/// A new table: the table with its inline constraints, then what V1 adds
/// after all tables.
pub fn create_table(out: &mut Vec<Change>, t: &Table) {
    let r = TableRef::of(t);
    let mut bare = t.clone();
    bare.foreign_keys.clear();
    bare.indexes.clear();
    bare.triggers.clear();
    bare.policies.clear();
    bare.row_level_security = false;
    out.push(Change::CreateTable(Box::new(bare)));
    for fk in &t.foreign_keys {
        out.push(Change::AddForeignKey { table: r.clone(), fk: fk.clone() });
    }
    for i in &t.indexes {
        out.push(Change::CreateIndex { table: r.clone(), index: i.clone() });
    }
    for tr in &t.triggers {
        out.push(Change::CreateTrigger { table: r.clone(), trigger: tr.clone() });
    }
    if t.row_level_security {
        out.push(Change::EnableRowLevelSecurity(r.clone()));
    }
    for p in &t.policies {
        out.push(Change::CreatePolicy { table: r.clone(), policy: p.clone() });
    }
    comments(out, None, t);
}

fn comments(out: &mut Vec<Change>, old: Option<&Table>, t: &Table) {
    let r = TableRef::of(t);
    let columns = old.map(|o| Named::new(&o.columns, |c| &c.name));
    let checks = old.map(|o| Named::new(&o.checks, |c| &c.name));
    let indexes = old.map(|o| Named::new(&o.indexes, |i| &i.name));
    if old.map(|o| &o.comment) != Some(&t.comment) && (old.is_some() || t.comment.is_some()) {
        out.push(Change::SetComment { on: CommentOn::Table(r.clone()), text: t.comment.clone() });
    }
    for c in &t.columns {
        let before = columns.as_ref().and_then(|o| o.get(&c.name)).map(|oc| &oc.comment);
        if before != Some(&c.comment) && (before.is_some() || c.comment.is_some()) {
            out.push(Change::SetComment { on: CommentOn::Column(r.clone(), c.name.clone()), text: c.comment.clone() });
        }
    }
    for ch in &t.checks {
        let old_check = checks.as_ref().and_then(|o| o.get(&ch.name));
        let before = old_check.map(|x| &x.comment);
        // A check of another condition is dropped and added again: its
        // comment is said again.
        let rebuilt = ch.comment.is_some() && old_check.is_some_and(|o| o.expr != ch.expr);
        if rebuilt || before != Some(&ch.comment) && (before.is_some() || ch.comment.is_some()) {
            out.push(Change::SetComment {
                on: CommentOn::Constraint(r.clone(), ch.name.clone()),
                text: ch.comment.clone(),
            });
        }
    }
    for i in &t.indexes {
        let old_index = indexes.as_ref().and_then(|o| o.get(&i.name));
        let before = old_index.map(|x| &x.comment);
        // An index of another definition is dropped and built again, and
        // its comment goes with the old one: said again.
        let rebuilt = i.comment.is_some()
            && old_index.is_some_and(|o| {
                let plain = |x: &crate::relational::Index| crate::relational::Index { comment: None, ..x.clone() };
                plain(o) != plain(i)
            });
        if rebuilt || before != Some(&i.comment) && (before.is_some() || i.comment.is_some()) {
            out.push(Change::SetComment {
                on: CommentOn::Index(t.schema.clone(), i.name.clone()),
                text: i.comment.clone(),
            });
        }
    }
}

/// Pairs objects of two lists by name: (removed, added, changed pairs).
fn by_name<'a, T: PartialEq>(
    old: &'a [T],
    new: &'a [T],
    name: fn(&T) -> &str,
) -> (Vec<&'a T>, Vec<&'a T>, Vec<(&'a T, &'a T)>) {
    let (old_named, new_named) = (Named::new(old, name), Named::new(new, name));
    let removed = old.iter().filter(|o| new_named.get(name(o)).is_none()).collect();
    let added = new.iter().filter(|n| old_named.get(name(n)).is_none()).collect();
    let changed = new.iter().filter_map(|n| old_named.get(name(n)).filter(|o| *o != n).map(|o| (o, n))).collect();
    (removed, added, changed)
}

/// Generated columns of `t` (present in `o` too) that must be rebuilt, with
/// the retyped columns each reads.
type Retyped = Vec<(String, crate::relational::ColumnType)>;

fn rebuilt_columns(
    o: &Named<'_, crate::relational::Column>,
    t: &Table,
    retyped: &[(String, crate::relational::ColumnType)],
) -> Vec<(String, Retyped)> {
    let mut out = Vec::new();
    for c in t.columns.iter().filter(|c| c.generated.is_some()) {
        let Some(oc) = o.get(&c.name).filter(|oc| oc.generated.is_some()) else { continue };
        let reads: Retyped = retyped.iter().filter(|(n, _)| c.depends_on.contains(n)).cloned().collect();
        if oc.generated != c.generated || !reads.is_empty() {
            out.push((c.name.clone(), reads));
        }
    }
    out
}

fn alter_table(out: &mut Vec<Change>, o: &Table, t: &Table) {
    let r = TableRef::of(t);
    let (old_columns, new_columns) = (Named::new(&o.columns, |c| &c.name), Named::new(&t.columns, |c| &c.name));
    // Columns. A generated column is rebuilt when its expression changes or
    // a column it reads changes type (PostgreSQL alters neither in place).
    let retyped: Vec<(String, crate::relational::ColumnType)> = t
        .columns
        .iter()
        .filter_map(|c| old_columns.get(&c.name).filter(|oc| oc.ty != c.ty).map(|_| (c.name.clone(), c.ty.clone())))
        .collect();
    let rebuilt = rebuilt_columns(&old_columns, t, &retyped);
    for c in &t.columns {
        match old_columns.get(&c.name) {
            None if c.generated.is_some() => {
                out.push(Change::AddGeneratedColumn { table: r.clone(), column: Box::new(c.clone()) })
            }
            None => out.push(Change::AddColumn { table: r.clone(), column: Box::new(c.clone()), backfill: None }),
            Some(oc) if rebuilt.iter().any(|(n, _)| n == &c.name) => {
                let reads = rebuilt.iter().find(|(n, _)| n == &c.name).map(|(_, x)| x.clone()).unwrap_or_default();
                out.push(Change::DropGeneratedColumn { table: r.clone(), column: Box::new(c.clone()), retyped: reads });
                out.push(Change::AddGeneratedColumn { table: r.clone(), column: Box::new(c.clone()) });
                if c.comment.is_some() && oc.comment == c.comment {
                    // The rebuilt column comes back without its comment.
                    out.push(Change::SetComment {
                        on: CommentOn::Column(r.clone(), c.name.clone()),
                        text: c.comment.clone(),
                    });
                }
            }
            Some(oc) if oc.generated.is_some() != c.generated.is_some() => {
                // A stored value becomes computed or the reverse: the column
                // is replaced.
                out.push(Change::DropColumn { table: r.clone(), column: Box::new(oc.clone()) });
                out.push(if c.generated.is_some() {
                    Change::AddGeneratedColumn { table: r.clone(), column: Box::new(c.clone()) }
                } else {
                    Change::AddColumn { table: r.clone(), column: Box::new(c.clone()), backfill: None }
                });
            }
            Some(oc) => {
                if oc.identity != c.identity {
                    out.push(Change::SetIdentity { table: r.clone(), column: c.name.clone(), identity: c.identity });
                }
                if oc.ty != c.ty {
                    out.push(Change::AlterColumnType {
                        table: r.clone(),
                        column: c.name.clone(),
                        from: oc.ty.clone(),
                        to: c.ty.clone(),
                        default: c.default.clone(),
                        lossy: false,
                    });
                }
                if oc.default != c.default {
                    out.push(Change::SetDefault {
                        table: r.clone(),
                        column: c.name.clone(),
                        default: c.default.clone(),
                    });
                }
                if oc.nullable && !c.nullable {
                    out.push(Change::SetNotNull { table: r.clone(), column: c.name.clone(), backfill: None });
                } else if !oc.nullable && c.nullable {
                    out.push(Change::DropNotNull { table: r.clone(), column: c.name.clone() });
                }
            }
        }
    }
    for oc in &o.columns {
        if new_columns.get(&oc.name).is_none() {
            out.push(Change::DropColumn { table: r.clone(), column: Box::new(oc.clone()) });
        }
    }
    // Primary key.
    if o.primary_key != t.primary_key {
        if let Some(pk) = &o.primary_key {
            out.push(Change::DropPrimaryKey { table: r.clone(), pk: pk.clone() });
        }
        if let Some(pk) = &t.primary_key {
            out.push(Change::AddPrimaryKey {
                table: r.clone(),
                pk: pk.clone(),
                references: Vec::new(),
                uniques: Vec::new(),
            });
        }
    }
    let (removed, added, changed) = by_name(&o.uniques, &t.uniques, |u| &u.name);
    for u in removed.into_iter().chain(changed.iter().map(|(a, _)| *a)) {
        out.push(Change::DropUnique { table: r.clone(), unique: u.clone() });
    }
    for u in added.into_iter().chain(changed.iter().map(|(_, b)| *b)) {
        out.push(Change::AddUnique { table: r.clone(), unique: u.clone() });
    }
    let same_check = |a: &crate::relational::Check, b: &crate::relational::Check| a.expr == b.expr && a.name == b.name;
    let (old_checks, new_checks) = (Named::new(&o.checks, |c| &c.name), Named::new(&t.checks, |c| &c.name));
    for c in &o.checks {
        if !new_checks.any(&c.name, |n| same_check(c, n)) {
            out.push(Change::DropCheck { table: r.clone(), check: c.clone() });
        }
    }
    for c in &t.checks {
        if !old_checks.any(&c.name, |x| same_check(x, c)) {
            out.push(Change::AddCheck { table: r.clone(), check: c.clone() });
        }
    }
    let (removed, added, changed) = by_name(&o.foreign_keys, &t.foreign_keys, |f| &f.name);
    for f in removed.into_iter().chain(changed.iter().map(|(a, _)| *a)) {
        out.push(Change::DropForeignKey { table: r.clone(), fk: f.clone() });
    }
    for f in added.into_iter().chain(changed.iter().map(|(_, b)| *b)) {
        out.push(Change::AddForeignKey { table: r.clone(), fk: f.clone() });
    }
    let same_index = |a: &crate::relational::Index, b: &crate::relational::Index| {
        a.name == b.name
            && a.unique == b.unique
            && a.method == b.method
            && a.items == b.items
            && a.predicate == b.predicate
    };
    // A rebuilt column drops its indexes with it.
    let uses_rebuilt =
        |i: &crate::relational::Index| i.items.iter().any(|it| rebuilt.iter().any(|(c, _)| it.column() == Some(c)));
    let (old_indexes, new_indexes) = (Named::new(&o.indexes, |i| &i.name), Named::new(&t.indexes, |i| &i.name));
    for i in &o.indexes {
        if !new_indexes.any(&i.name, |n| same_index(i, n)) || uses_rebuilt(i) {
            out.push(Change::DropIndex { table: r.clone(), index: i.clone() });
        }
    }
    for i in &t.indexes {
        if !old_indexes.any(&i.name, |x| same_index(x, i)) || uses_rebuilt(i) {
            out.push(Change::CreateIndex { table: r.clone(), index: i.clone() });
        }
    }
    let (removed, added, changed) = by_name(&o.triggers, &t.triggers, |x| &x.name);
    for x in removed.into_iter().chain(changed.iter().map(|(a, _)| *a)) {
        out.push(Change::DropTrigger { table: r.clone(), trigger: x.clone() });
    }
    for x in added.into_iter().chain(changed.iter().map(|(_, b)| *b)) {
        out.push(Change::CreateTrigger { table: r.clone(), trigger: x.clone() });
    }
    if o.row_level_security && !t.row_level_security {
        out.push(Change::DisableRowLevelSecurity(r.clone()));
    } else if !o.row_level_security && t.row_level_security {
        out.push(Change::EnableRowLevelSecurity(r.clone()));
    }
    let (removed, added, changed) = by_name(&o.policies, &t.policies, |x| &x.name);
    for x in removed.into_iter().chain(changed.iter().map(|(a, _)| *a)) {
        out.push(Change::DropPolicy { table: r.clone(), policy: x.clone() });
    }
    for x in added.into_iter().chain(changed.iter().map(|(_, b)| *b)) {
        out.push(Change::CreatePolicy { table: r.clone(), policy: x.clone() });
    }
    // Partitions (a change of method or key is refused by `plan`).
    let none = Vec::new();
    let old_parts = o.partitioning.as_ref().map_or(&none, |p| &p.partitions);
    let new_parts = t.partitioning.as_ref().map_or(&none, |p| &p.partitions);
    let (old_named, new_named) = (Named::new(old_parts, |p| &p.name), Named::new(new_parts, |p| &p.name));
    // The DEFAULT partitions, found once (not once per partition added or
    // dropped: a range extended by a thousand months searched for it each).
    let is_default = |x: &&crate::relational::PartitionDef| x.bound == crate::relational::PartitionBound::Default;
    let old_default = old_parts.iter().find(is_default);
    let new_default = new_parts.iter().find(is_default);
    for p in new_parts {
        if old_named.get(&p.name).is_none() {
            let default = old_default.map(|x| x.name.clone());
            let column = t.partitioning.as_ref().map_or(String::new(), |p| p.column.clone());
            out.push(Change::AddPartition { table: r.clone(), partition: p.clone(), column, default });
        }
    }
    for p in old_parts {
        match new_named.get(&p.name) {
            None => {
                // Its rows go to the DEFAULT partition, when there is one
                // (and it is not the one dropped).
                let into_default = new_default.filter(|x| p.bound != x.bound).map(|x| x.name.clone());
                out.push(Change::DropPartition { table: r.clone(), partition: p.clone(), into_default })
            }
            Some(n) if n.row_level_security && !p.row_level_security => {
                out.push(Change::EnablePartitionRowLevelSecurity { table: r.clone(), partition: p.name.clone() })
            }
            Some(n) if !n.row_level_security && p.row_level_security => {
                out.push(Change::DisablePartitionRowLevelSecurity { table: r.clone(), partition: p.name.clone() })
            }
            Some(_) => {}
        }
    }
    comments(out, Some(o), t);
}

#[cfg(test)]
mod tests {
    use super::Named;
    use super::{drop_order, Change};
    use crate::relational::{FkAction, ForeignKey, Table};
    use proptest::prelude::*;

    /// `schema.name` referencing each `schema.name` of `refs`.
    fn table(qualified: &str, refs: &[&str]) -> Change {
        let split = |q: &str| q.split_once('.').map_or(("s".to_string(), q.to_string()), |(s, n)| (s.into(), n.into()));
        let (schema, name) = split(qualified);
        let foreign_keys = refs
            .iter()
            .map(|r| ForeignKey {
                name: format!("fk_{r}"),
                columns: Vec::new(),
                ref_schema: split(r).0,
                ref_table: split(r).1,
                ref_columns: Vec::new(),
                on_delete: FkAction::Restrict,
                on_update: FkAction::Restrict,
                on_delete_columns: Vec::new(),
                origin: Default::default(),
            })
            .collect();
        Change::DropTable(Box::new(Table { foreign_keys, ..Table::new(schema, name) }))
    }

    /// The rule as it reads: repeatedly the first table left that no other
    /// table left references, or the first one left in a cycle.
    fn literally(drops: &[Change]) -> Vec<String> {
        let mut left: Vec<&Table> =
            drops.iter().filter_map(|c| if let Change::DropTable(t) = c { Some(&**t) } else { None }).collect();
        let mut out = Vec::new();
        while !left.is_empty() {
            let referenced = |t: &Table| {
                left.iter().any(|x| {
                    (x.name != t.name || x.schema != t.schema)
                        && x.foreign_keys.iter().any(|f| f.ref_schema == t.schema && f.ref_table == t.name)
                })
            };
            let next = left.iter().position(|t| !referenced(t)).unwrap_or(0);
            out.push(left.remove(next).qualified());
        }
        out
    }

    proptest! {
        /// Any tables, with references among them, to themselves, in
        /// cycles, to tables not dropped, names given twice, and the same
        /// name in two schemas: the order is the rule's.
        #[test]
        fn drops_are_ordered_as_the_rule_says(
            refs in proptest::collection::vec(proptest::collection::vec(0usize..14, 0..4), 0..12)
        ) {
            let names: Vec<String> = (0..refs.len()).map(|i| format!("s{}.t{}", i % 2, i % 5)).collect();
            let drops: Vec<Change> = refs
                .iter()
                .zip(&names)
                .map(|(r, name)| {
                    let to: Vec<String> = r.iter().map(|j| format!("s{}.t{}", j % 2, j % 7)).collect();
                    table(name, &to.iter().map(String::as_str).collect::<Vec<_>>())
                })
                .collect();
            let ordered: Vec<String> = drop_order(&drops)
                .into_iter()
                .map(|i| if let Change::DropTable(t) = &drops[i] { t.qualified() } else { unreachable!() })
                .collect();
            prop_assert_eq!(ordered, literally(&drops));
        }
    }

    /// An entity before its root, a chain from its end, a cycle in order.
    #[test]
    fn drops_follow_the_references() {
        let drops = [table("root", &[]), table("entity", &["root"]), table("a", &["b"]), table("b", &["a"])];
        let names: Vec<String> = drop_order(&drops)
            .into_iter()
            .map(|i| if let Change::DropTable(t) = &drops[i] { t.name.clone() } else { unreachable!() })
            .collect();
        assert_eq!(names, ["entity", "root", "a", "b"]);
    }

    /// A long list is hashed, a short one scanned: both answer as a scan,
    /// duplicates of a name included.
    #[test]
    fn lookups_by_name_answer_as_a_scan() {
        for len in [3usize, Named::<(String, usize)>::SCANNED, Named::<(String, usize)>::SCANNED + 1, 200] {
            // Names repeat every 7 items: (name, position).
            let list: Vec<(String, usize)> = (0..len).map(|i| (format!("n{}", i % 7 + i / 50), i)).collect();
            let named = Named::new(&list, |x| &x.0);
            assert_eq!(named.map.is_some(), len > Named::<(String, usize)>::SCANNED);
            for probe in (0..60).map(|i| format!("n{i}")) {
                let scan = list.iter().find(|x| x.0 == probe);
                assert_eq!(named.get(&probe), scan, "get {probe} of {len}");
                for k in [0, 3, 100, 150] {
                    let scan = list.iter().any(|x| x.0 == probe && x.1 >= k);
                    assert_eq!(named.any(&probe, |x| x.1 >= k), scan, "any {probe} >= {k} of {len}");
                }
            }
        }
    }
}
