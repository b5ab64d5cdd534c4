//! From changes to migration files: refusals, backfills, the split into
//! files, and each file's undo.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use super::apply::apply;
use super::change::{Change, TableRef};
use super::diff::{column_set, diff};
use super::renames::{apply_renames, renamed_back};
use crate::config::BatchBackfills;
use crate::diagnostics::codes::id;
use crate::diagnostics::{Diagnostic, Span};
use crate::model::Model;
use crate::relational::{self, ColumnType, Schema, TableIndex};

#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// `--allow-destructive`: emit changes that can lose data.
    pub allow_destructive: bool,
    /// Rows per transaction of a batched backfill.
    pub backfill_batch: u64,
    /// When backfills run in batches.
    pub batch_backfills: BatchBackfills,
}

impl Default for Options {
    fn default() -> Self {
        let m = crate::config::Migrations::default();
        Options { allow_destructive: false, backfill_batch: m.backfill_batch, batch_backfills: m.batch_backfills }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `ALTER TYPE … ADD VALUE`, committed before anything uses the values.
    EnumValues,
    /// Everything that only changes the catalog, in one transaction: strong
    /// locks held for no longer than that.
    Main,
    /// What reads or writes the rows of existing tables, outside a
    /// transaction so that each statement commits on its own and no scan
    /// runs under a strong lock: indexes built `CONCURRENTLY`, backfills,
    /// validations of constraints added `NOT VALID`, NOT NULL finished.
    Online,
}

/// The schema a migration file starts from: the lock's, borrowed, or the
/// one the file before it ends at, shared. Each is the whole schema (13 MB
/// at 2,000 aggregates): none is copied for it, and the schema after a
/// file shares with it the tables the file does not change.
#[derive(Debug, Clone)]
pub enum Before<'a> {
    Lock(&'a Schema),
    Shared(Arc<Schema>),
}

impl std::ops::Deref for Before<'_> {
    type Target = Schema;
    fn deref(&self) -> &Schema {
        match self {
            Before::Lock(s) => s,
            Before::Shared(s) => s,
        }
    }
}

#[derive(Debug, Clone)]
pub struct MigrationFile<'a> {
    pub kind: FileKind,
    pub changes: Vec<Change>,
    /// The undo's changes: from `after` back to `before`.
    pub undo: Vec<Change>,
    pub before: Before<'a>,
    pub after: Arc<Schema>,
    /// Tables created by this plan (no online precautions needed on them).
    pub new_tables: BTreeSet<TableRef>,
}

/// A change that can lose data, refused without `--allow-destructive` (or
/// refused always, when the compiler cannot do it safely).
#[derive(Debug, Clone)]
pub struct Refusal {
    /// `E0701` (would lose data), `E0702` (cannot be done in place) or
    /// `E0703` (a required column with no value for existing rows).
    pub code: &'static str,
    pub change: String,
    pub help: String,
    /// Even `--allow-destructive` does not allow it.
    pub unsupported: bool,
    /// The declaration of the model that asks for the change (the model
    /// block when what it asks is a removal).
    pub span: crate::diagnostics::Span,
}

impl Refusal {
    pub fn to_diagnostic(&self) -> Diagnostic {
        let label = if self.unsupported {
            "PostgreSQL cannot make this change in place"
        } else if self.code == id::E0703 {
            "existing rows have no value for it"
        } else {
            "this edit would lose data"
        };
        Diagnostic::error(self.code, format!("the next migration would {}", self.change))
            .at(self.span, label)
            .with_help(self.help.clone())
    }
}

#[derive(Debug, Default)]
pub struct Planned<'a> {
    pub files: Vec<MigrationFile<'a>>,
    pub refusals: Vec<Refusal>,
    pub warnings: Vec<Diagnostic>,
    /// Table rewrites and other facts worth a comment in the migration.
    pub notes: Vec<String>,
}

impl Planned<'_> {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The plan with the lock's schema copied where a file borrows it (its
    /// list of tables: the tables are shared): for a lock that does not
    /// outlive the plan.
    pub fn detached(self) -> Planned<'static> {
        let files = self
            .files
            .into_iter()
            .map(|f| MigrationFile {
                before: match f.before {
                    Before::Lock(s) => Before::Shared(Arc::new(s.clone())),
                    Before::Shared(s) => Before::Shared(s),
                },
                kind: f.kind,
                changes: f.changes,
                undo: f.undo,
                after: f.after,
                new_tables: f.new_tables,
            })
            .collect();
        Planned { files, refusals: self.refusals, warnings: self.warnings, notes: self.notes }
    }
}

/// The migrations from `lock` (the database's schema) to `new` (the model's).
pub fn plan<'a>(lock: &'a Schema, model: &Model, new: &Schema, opts: Options) -> Planned<'a> {
    // Without an `@was`, the model under its old names is the model: no
    // second lowering, and nothing to rename.
    let renamed = renamed_back(model).map(|previous| {
        let was = relational::lower(&previous).unwrap_or_else(|_| new.clone());
        apply_renames(lock, new, &was, model)
    });
    let (base, mut changes, warnings) = match &renamed {
        Some(r) => (&r.schema, r.changes.clone(), r.warnings.clone()),
        None => (lock, Vec::new(), Vec::new()),
    };
    changes.extend(diff(base, new));
    drop_foreign_keys_first(&mut changes);
    // Stable: renames keep the order they were found in (a table's rename
    // before the renames inside it).
    super::change::sort_by_kind(&mut changes);
    super::diff::order_drops(&mut changes);
    let drop_checks: Vec<Change> = changes.iter().filter(|c| matches!(c, Change::DropCheck { .. })).cloned().collect();
    drops_by_old_names(&mut changes);
    order_value_updates(&mut changes);
    let mut out = Planned { warnings, ..Planned::default() };
    if changes.is_empty() {
        // Some edits write nothing yet cannot be made (a value removed
        // from a native enum, a partition's bounds changed): refused all
        // the same, or the lock would record what the database is not.
        check(&mut changes, &[], base, new, &BTreeSet::new(), &[], opts, model.span, &mut out);
        return out;
    }
    let new_tables: BTreeSet<TableRef> = changes
        .iter()
        .filter_map(|c| if let Change::CreateTable(t) = c { Some(TableRef::of(t)) } else { None })
        .collect();
    let backfills = backfills(new);
    mark_lossy(&mut changes);
    // What existed, by the names the model gives it now (a table renamed
    // in this build exists, under its new name).
    let existed = base;
    check(&mut changes, &drop_checks, existed, new, &new_tables, &backfills, opts, model.span, &mut out);
    // Tables are looked up by name for each change (a scan each made a
    // change of every table, at 20,000 aggregates, 12 s of planning).
    let new_ix = new.index();
    let expected = expected_rows(model);
    let batch = |t: &TableRef| batch_size(&expected, &new_ix, t, opts);
    let online = online(&mut changes, existed, new, &new_tables, &batch);
    // Split.
    let is_enum_value = |c: &Change| matches!(c, Change::AddEnumValue { .. });
    // A unique index that replaces a constraint or index of the same name
    // (a `unique` made partial by soft delete) is built in the main
    // migration, right after the old one is dropped: built later, the table
    // would accept duplicates in between.
    let replaced: BTreeSet<(String, String)> = changes
        .iter()
        .filter_map(|c| match c {
            Change::DropUnique { table, unique } => Some((table.schema.clone(), unique.name.clone())),
            Change::DropIndex { table, index } if index.unique => Some((table.schema.clone(), index.name.clone())),
            _ => None,
        })
        .collect();
    let concurrent_index = |table: &TableRef| {
        !new_tables.contains(table)
            && new_ix.table(&table.schema, &table.name).is_some_and(|t| t.partitioning.is_none())
    };
    let concurrent_names: BTreeSet<(String, String)> = changes
        .iter()
        .filter_map(|c| match c {
            Change::CreateIndex { table, index }
                if concurrent_index(table) && !replaced.contains(&(table.schema.clone(), index.name.clone())) =>
            {
                Some((table.schema.clone(), index.name.clone()))
            }
            _ => None,
        })
        .collect();
    // A primary key that replaces one of the same name on an existing table
    // that is not partitioned, over columns `NOT NULL` already: built in the
    // online migration, its index concurrently and then swapped in
    // (`sql::objects::swap_primary_key_concurrently`), which drops the old
    // key there rather than in the main migration. The table keeps a key
    // throughout, and its writes never wait for the build (in the main
    // migration, `ADD PRIMARY KEY` read every row under ACCESS EXCLUSIVE).
    // A key whose table or columns this plan renames stays there. By
    // table, the old key's columns.
    let swapped: BTreeMap<TableRef, Vec<String>> = {
        let dropped: HashMap<&TableRef, &relational::PrimaryKey> = changes
            .iter()
            .filter_map(|c| match c {
                Change::DropPrimaryKey { table, pk } => Some((table, pk)),
                _ => None,
            })
            .collect();
        let old_ix = existed.index();
        changes
            .iter()
            .filter_map(|c| match c {
                Change::AddPrimaryKey { table, pk, .. } if concurrent_index(table) => {
                    let old = dropped.get(table)?;
                    let t = old_ix.table(&table.schema, &table.name)?;
                    let not_null = pk.columns.iter().all(|c| t.column(c).is_some_and(|c| !c.nullable));
                    (old.name == pk.name && not_null).then(|| (table.clone(), old.columns.clone()))
                }
                _ => None,
            })
            .collect()
    };
    if !swapped.is_empty() {
        changes.retain(|c| !matches!(c, Change::DropPrimaryKey { table, .. } if swapped.contains_key(table)));
    }
    // An index built concurrently, and the comment on it, which needs it; a
    // unique constraint on an existing table (its index is built
    // concurrently, then attached), unless it replaces one of its name.
    let concurrent_unique = |table: &TableRef, unique: &relational::Unique| {
        concurrent_index(table) && !replaced.contains(&(table.schema.clone(), unique.name.clone()))
    };
    // A foreign key whose referenced columns get their unique constraint in
    // this plan, built concurrently: it can only be added after it.
    // (A set: making every aggregate tenant-scoped adds a unique
    // constraint and a foreign key per table.)
    let late_uniques: HashSet<(&str, &str, Vec<&str>)> = changes
        .iter()
        .filter_map(|c| match c {
            Change::AddUnique { table, unique } if concurrent_unique(table, unique) => {
                Some((table.schema.as_str(), table.name.as_str(), column_set(&unique.columns)))
            }
            // A key swapped in online: a foreign key on its columns, or on
            // the old key's (which another unique may have), is added
            // after the swap, or PostgreSQL could tie it to the old key's
            // index and refuse to drop that.
            Change::AddPrimaryKey { table, pk, .. } if swapped.contains_key(table) => {
                Some((table.schema.as_str(), table.name.as_str(), column_set(&pk.columns)))
            }
            _ => None,
        })
        .chain(swapped.iter().map(|(t, old)| (t.schema.as_str(), t.name.as_str(), column_set(old))))
        .collect();
    let needs_late_unique = |fk: &relational::ForeignKey| {
        late_uniques.contains(&(fk.ref_schema.as_str(), fk.ref_table.as_str(), column_set(&fk.ref_columns)))
    };
    let is_concurrent = |c: &Change| match c {
        Change::AddUnique { table, unique } => concurrent_unique(table, unique),
        Change::AddPrimaryKey { table, .. } => swapped.contains_key(table),
        Change::AddForeignKey { fk, .. } => needs_late_unique(fk),
        Change::CreateIndex { table, index } => concurrent_names.contains(&(table.schema.clone(), index.name.clone())),
        Change::SetComment { on: super::change::CommentOn::Index(s, i), .. } => {
            concurrent_names.contains(&(s.clone(), i.clone()))
        }
        _ => false,
    };
    // Each change moved to its file, in order (not copied: a change is
    // 216 bytes, and making every context of 20,000 aggregates
    // tenant-scoped plans 400,000 of them).
    let concurrent: Vec<bool> = changes.iter().map(is_concurrent).collect();
    // A unique dropped from a table that gets another one built
    // concurrently is dropped after it, at the end of the online
    // migration: dropped in the main one, the table took duplicates of
    // the new key until the new index was built, and the online migration
    // then failed on them. Only where nothing else in the plan needs it
    // gone first (see `drops_late`).
    let dropped_late = drops_late(&changes, &concurrent);
    // Which list each change goes to, so that each is sized at once (a
    // change of every table at 20,000 aggregates is 400,000 changes).
    const ENUM_VALUES: usize = 0;
    const MAIN: usize = 1;
    const ONLINE: usize = 2;
    const LATE_DROPS: usize = 3;
    let lists: Vec<usize> = changes
        .iter()
        .zip(&concurrent)
        .zip(&dropped_late)
        .map(|((c, &concurrent), &late)| match () {
            _ if late => LATE_DROPS,
            _ if concurrent => ONLINE,
            _ if is_enum_value(c) => ENUM_VALUES,
            _ => MAIN,
        })
        .collect();
    // A foreign key moved to the online migration, whose old form on other
    // columns the main migration dropped, replaces it there in one
    // statement instead: the table keeps the old rule until the new one
    // holds. One that moves to a key swapped in online is replaced by the
    // swap, between the new key's build and the old key's drop (it is
    // carried by the key's change), and so is a unique of the swapped
    // table on the new key's columns that the main migration dropped
    // (with the foreign keys PostgreSQL tied to it).
    const GONE: usize = 4;
    let mut lists = lists;
    if renamed.is_none() {
        // By swapped table, the position of its key's change and the new
        // key's columns. Not a key whose columns are only reordered: a
        // foreign key replaced onto the new index while the old key stands
        // on the same columns would be tied to the old key's index (the
        // first PostgreSQL finds), and the swap could then never drop it;
        // the references to such a key move the old way (its table counts
        // as changing its key).
        let swaps: HashMap<TableRef, (usize, Vec<String>)> = changes
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match c {
                Change::AddPrimaryKey { table, pk, .. }
                    if swapped.get(table).is_some_and(|old| column_set(old) != column_set(&pk.columns)) =>
                {
                    Some((table.clone(), (i, pk.columns.clone())))
                }
                _ => None,
            })
            .collect();
        // Not a unique whose name the plan gives to something else: moved
        // into the swap, it would still stand when the main migration adds
        // its namesake (whose guard then skips it), and the swap would
        // drop it; it is dropped in the main migration as before.
        let named = names_made(&changes);
        let uniques: HashSet<usize> = changes
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match c {
                Change::DropUnique { table, unique }
                    if lists[i] == MAIN && !named.contains(&(table.schema.as_str(), unique.name.as_str())) =>
                {
                    let (_, key) = swaps.get(table)?;
                    (column_set(key) == column_set(&unique.columns)).then_some(i)
                }
                _ => None,
            })
            .collect();
        let pairs =
            moved_foreign_keys(&changes, &new_ix, &swaps, &uniques, |i| lists[i] == MAIN, |i| lists[i] == ONLINE);
        let mut carried: Vec<(usize, TableRef, relational::ForeignKey)> = Vec::new();
        for (drop, add) in pairs {
            lists[drop] = GONE;
            if let Change::AddForeignKey { table, fk } = &changes[add] {
                match swaps.get(&fk.target()) {
                    Some(&(key, _)) => {
                        lists[add] = GONE;
                        carried.push((key, table.clone(), fk.clone()));
                    }
                    None => changes[add] = Change::ReplaceForeignKey { table: table.clone(), fk: fk.clone() },
                }
            }
        }
        for (key, table, fk) in carried {
            if let Change::AddPrimaryKey { references, .. } = &mut changes[key] {
                references.push((table, fk));
            }
        }
        for i in uniques {
            let Change::DropUnique { table, unique } = &changes[i] else { continue };
            let (key, unique) = (swaps[table].0, unique.clone());
            lists[i] = GONE;
            if let Change::AddPrimaryKey { uniques, .. } = &mut changes[key] {
                uniques.push(unique);
            }
        }
    }
    // A foreign key added in the online migration (after the unique it
    // needs) is validated there too, after it (once: one on a table that
    // existed has its validation there already).
    let validated: HashSet<(&TableRef, &str)> = online
        .iter()
        .filter_map(|c| match c {
            Change::ValidateConstraint { table, name, .. } => Some((table, name.as_str())),
            _ => None,
        })
        .collect();
    let mut validations: Vec<Change> = Vec::new();
    let mut validate = |table: &TableRef, fk: &relational::ForeignKey| {
        if !validated.contains(&(table, fk.name.as_str())) {
            validations.push(Change::ValidateConstraint {
                table: table.clone(),
                name: fk.name.clone(),
                referenced: Some(fk.target()),
            });
        }
    };
    for (c, &l) in changes.iter().zip(&lists) {
        match c {
            Change::AddForeignKey { table, fk } | Change::ReplaceForeignKey { table, fk } if l == ONLINE => {
                validate(table, fk)
            }
            // The foreign keys a key's swap replaces.
            Change::AddPrimaryKey { references, .. } if l == ONLINE => {
                references.iter().for_each(|(table, fk)| validate(table, fk))
            }
            _ => {}
        }
    }
    drop(validated);
    let mut sizes = [0; 5];
    for &l in &lists {
        sizes[l] += 1;
    }
    // The online list has room for what is added to it below.
    sizes[ONLINE] += validations.len() + online.len() + sizes[LATE_DROPS];
    let [enum_values, main, mut online_group, late_drops, _replaced] = {
        let mut out: [Vec<Change>; 5] = sizes.map(Vec::with_capacity);
        for (c, l) in changes.into_iter().zip(lists) {
            out[l].push(c);
        }
        out
    };
    let enum_values = by_names_before_renames(enum_values, &main);
    online_group.extend(validations);
    online_group.extend(online);
    super::change::sort_by_kind(&mut online_group);
    order_backfills(&mut online_group);
    online_group.extend(late_drops);
    let groups = [(FileKind::EnumValues, enum_values), (FileKind::Main, main), (FileKind::Online, online_group)];
    // Shared, not copied: each is the whole schema (13 MB at 2,000
    // aggregates), and one file's `after` is the next one's `before`.
    let mut before = Before::Lock(lock);
    for (kind, group) in groups {
        if group.is_empty() {
            continue;
        }
        let after = Arc::new(apply(&before, &group));
        let mut undo = undo(&before, &after, &group);
        mark_lossy(&mut undo);
        let mut group = group;
        sync_partition_index_names(&mut group, &after);
        sync_partition_index_names(&mut undo, &before);
        out.files.push(MigrationFile {
            kind,
            changes: group,
            undo,
            before,
            after: Arc::clone(&after),
            new_tables: new_tables.clone(),
        });
        before = Before::Shared(after);
    }
    out
}

/// The foreign keys the online migration adds (after the unique or key
/// they need, built concurrently; `online`) whose old form of the same
/// name, on other columns of the same table and referencing the same
/// table, the main migration drops (`main`): each pair (the drop, the
/// add). Such a foreign key replaces the old one in one statement of the
/// online migration instead, where the old one still stands (the tenancy
/// upgrade's references through the tenant): dropped in the main
/// migration, rows written before the online one ran were checked by
/// neither. A foreign key onto a key swapped in online (`swaps`, by
/// table, the position of the key's change and its columns) is one of them when it moves
/// onto the new key's columns: the swap replaces it once the new key's
/// index is built, before the old key goes (the supplied keys of a
/// tenancy upgrade), and so is one on the same columns when the swap
/// drops a unique it may be tied to (`uniques`, the positions of those
/// drops: an older dddc's `(tenant_id, id)` beside a global key). Left as
/// they are where the old one cannot stay that
/// long: the plan drops a key or unique of the referenced table on the
/// old foreign key's referenced columns (PostgreSQL may have tied it to
/// that one's index; a unique on other columns, such as an `email` the
/// tenancy upgrade scopes to the tenant, does not hold it), replaces the
/// referenced table's key other than by a swap onto other columns, or
/// changes the columns or names of either table; a foreign key onto a
/// swapped table's other columns; or where the table is partitioned (no
/// `NOT VALID` before PostgreSQL 18).
fn moved_foreign_keys(
    changes: &[Change],
    new_ix: &relational::TableIndex<'_>,
    swaps: &HashMap<TableRef, (usize, Vec<String>)>,
    uniques: &HashSet<usize>,
    main: impl Fn(usize) -> bool,
    online: impl Fn(usize) -> bool,
) -> Vec<(usize, usize)> {
    // Tables whose keys, columns or names change (a key swapped in online,
    // and the uniques it drops, aside: the old ones stand until the swap).
    // The swapped tables that drop a unique with their key: a foreign key
    // on it moves off it even onto the same columns.
    let off_unique: HashSet<&TableRef> = uniques.iter().filter_map(|&i| changes[i].table()).collect();
    let unsettled: HashSet<&TableRef> = changes
        .iter()
        .filter(|c| {
            matches!(c, Change::AddPrimaryKey { table, .. } if !swaps.contains_key(table))
                || matches!(
                    c,
                    Change::RenameTable { .. }
                        | Change::RenameColumn { .. }
                        | Change::DropColumn { .. }
                        | Change::AlterColumnType { .. }
                        | Change::DropTable(_)
                        | Change::AddPartition { .. }
                        | Change::DropPartition { .. }
                )
        })
        .filter_map(Change::table)
        .collect();
    // The keys, uniques and unique indexes the plan drops (but those a
    // swap drops itself), by table and columns: an old foreign key on the
    // same columns may be tied to one.
    let unique_drops: HashSet<(&TableRef, Vec<&str>)> = changes
        .iter()
        .enumerate()
        .filter(|(i, _)| !uniques.contains(i))
        .filter_map(|(_, c)| match c {
            Change::DropUnique { table, unique } => Some((table, column_set(&unique.columns))),
            Change::DropPrimaryKey { table, pk } => Some((table, column_set(&pk.columns))),
            // (One with an expression backs no foreign key.)
            Change::DropIndex { table, index } if index.unique => {
                let mut cols = index.items.iter().map(relational::IndexItem::column).collect::<Option<Vec<_>>>()?;
                cols.sort_unstable();
                Some((table, cols))
            }
            _ => None,
        })
        .collect();
    let dropped: HashMap<(&TableRef, &str), (usize, &relational::ForeignKey)> = changes
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match c {
            Change::DropForeignKey { table, fk } if main(i) => Some(((table, fk.name.as_str()), (i, fk))),
            _ => None,
        })
        .collect();
    if dropped.is_empty() {
        return Vec::new();
    }
    let plain = |t: &TableRef| new_ix.table(&t.schema, &t.name).is_some_and(|t| t.partitioning.is_none());
    changes
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match c {
            Change::AddForeignKey { table, fk } if online(i) => {
                let &(d, old) = dropped.get(&(table, fk.name.as_str()))?;
                let target = fk.target();
                // To a swapped key: only onto the new key's columns (the
                // foreign key is added once the key's index is built, and
                // must not take the old key's, which the swap drops).
                let onto_swap =
                    swaps.get(&target).is_none_or(|(_, key)| column_set(key) == column_set(&fk.ref_columns));
                let fits = (old.columns != fk.columns || off_unique.contains(&target))
                    && old.target() == target
                    && onto_swap
                    && !unique_drops.contains(&(&target, column_set(&old.ref_columns)))
                    && plain(table)
                    && !unsettled.contains(table)
                    && !unsettled.contains(&target);
                fits.then_some((d, i))
            }
            _ => None,
        })
        .collect()
}

/// The foreign keys of a dropped table that point at a table losing a key
/// in the same migration, dropped with the foreign keys (first) rather
/// than with their table (last): under tenancy, the last entity of an
/// aggregate removed took the root's `(tenant_id, id)` unique away while
/// the entity's foreign key still needed it, and PostgreSQL refused.
fn drop_foreign_keys_first(changes: &mut Vec<Change>) {
    let losing: HashSet<&TableRef> = changes
        .iter()
        .filter_map(|c| match c {
            Change::DropUnique { table, .. } | Change::DropPrimaryKey { table, .. } => Some(table),
            Change::DropIndex { table, index } if index.unique => Some(table),
            _ => None,
        })
        .collect();
    if losing.is_empty() {
        return;
    }
    let early: Vec<Change> = changes
        .iter()
        .filter_map(|c| match c {
            Change::DropTable(t) => Some(t),
            _ => None,
        })
        .flat_map(|t| {
            t.foreign_keys
                .iter()
                .filter(|fk| losing.contains(&fk.target()))
                .map(|fk| Change::DropForeignKey { table: TableRef::of(t), fk: fk.clone() })
        })
        .collect();
    changes.extend(early);
}

/// The values added to enum types, named as the database has them before
/// `main`'s renames: their file runs first (PostgreSQL uses a new value
/// only once it is committed), so `ADD VALUE 'F' AFTER 'D'` with `D @was(C)`
/// failed there ("D" is not an existing label), as did a value added to a
/// type renamed, or to a type of a context renamed, in the same edit.
fn by_names_before_renames(mut added: Vec<Change>, main: &[Change]) -> Vec<Change> {
    let mut schemas: HashMap<&str, &str> = HashMap::new();
    let mut types: HashMap<(&str, &str), &str> = HashMap::new();
    let mut values: HashMap<(&str, &str, &str), &str> = HashMap::new();
    for c in main {
        match c {
            Change::RenameSchema { from, to } => {
                schemas.insert(to, from);
            }
            Change::RenameType { schema, from, to } => {
                types.insert((schema, to), from);
            }
            Change::RenameEnumValue { schema, type_name, from, to } => {
                values.insert((schema, type_name, to), from);
            }
            _ => {}
        }
    }
    if schemas.is_empty() && types.is_empty() && values.is_empty() {
        return added;
    }
    for c in &mut added {
        if let Change::AddEnumValue { schema, type_name, after, before, .. } = c {
            for v in [after, before].into_iter().flatten() {
                if let Some(old) = values.get(&(schema.as_str(), type_name.as_str(), v.as_str())) {
                    *v = old.to_string();
                }
            }
            if let Some(old) = types.get(&(schema.as_str(), type_name.as_str())) {
                *type_name = old.to_string();
            }
            // A context renamed (its schema) in the same edit.
            if let Some(old) = schemas.get(schema.as_str()) {
                *schema = old.to_string();
            }
        }
    }
    added
}

/// The names, by schema, of the constraints and indexes `changes` make
/// or rename to (a new table's keys, uniques, checks, foreign keys and
/// indexes among them): a constraint's name is its table's, and a key's
/// or unique's is its index's too, whose names are the schema's; one set
/// by schema covers both.
fn names_made(changes: &[Change]) -> HashSet<(&str, &str)> {
    let mut out = HashSet::new();
    for c in changes {
        match c {
            Change::AddUnique { table, unique } => {
                out.insert((table.schema.as_str(), unique.name.as_str()));
            }
            Change::CreateIndex { table, index } => {
                out.insert((table.schema.as_str(), index.name.as_str()));
            }
            Change::AddPrimaryKey { table, pk, .. } => {
                out.insert((table.schema.as_str(), pk.name.as_str()));
            }
            Change::AddCheck { table, check } => {
                out.insert((table.schema.as_str(), check.name.as_str()));
            }
            Change::AddForeignKey { table, fk } | Change::ReplaceForeignKey { table, fk } => {
                out.insert((table.schema.as_str(), fk.name.as_str()));
            }
            Change::RenameConstraint { table: TableRef { schema, .. }, to, .. }
            | Change::RenameIndex { schema, to, .. } => {
                out.insert((schema.as_str(), to.as_str()));
            }
            Change::CreateTable(t) => {
                let schema = t.schema.as_str();
                out.extend(t.constraint_and_index_names().map(|n| (schema, n)));
            }
            _ => {}
        }
    }
    out
}

/// The `DropUnique`s and `DropIndex`es of [`plan`] that may wait for the
/// end of the online migration: a unique on a table that gets a unique (a
/// constraint, or a partial or expression unique index: a `unique` under
/// soft delete) built concurrently, a plain index on a table that gets any
/// index built concurrently (an index replaced by another: dropped first,
/// the table's queries and a foreign key's checks went without one while
/// the new one was built), and only where nothing needs the old one gone
/// sooner. `concurrent`: whether each change is built in the
/// online migration. Left in the main migration:
/// - a unique whose name the plan gives again (a unique or an index of
///   that name, built in the main migration since it replaces this one:
///   its guarded `ADD` would find the old one and keep it);
/// - one on a table or schema the plan renames, or a constraint or index
///   it renames (the drop names things by their old names, the new unique
///   by the new ones);
/// - one whose exact columns a foreign key of the plan references
///   (PostgreSQL would tie the key to the old index, and the drop would
///   then fail on it);
/// - one with a column the plan retypes, fills or makes NOT NULL (the
///   old constraint would be rebuilt, or checked, on the way), renames or
///   drops (the online file's undo, which runs first, could not build it
///   again on a column the main file's undo has not put back yet); for an
///   index with an expression or a condition, whose columns are SQL text,
///   any such column of its table, or any enum value renamed.
///
/// One flag per change.
fn drops_late(changes: &[Change], concurrent: &[bool]) -> Vec<bool> {
    let mut late_tables: HashSet<(&str, &str)> = HashSet::new();
    let mut indexed_tables: HashSet<(&str, &str)> = HashSet::new();
    let mut names: HashSet<(&str, &str)> = HashSet::new();
    let mut renamed_tables: HashSet<(&str, &str)> = HashSet::new();
    let mut renamed_schemas: HashSet<&str> = HashSet::new();
    let mut renamed_names: HashSet<(&str, &str)> = HashSet::new();
    let mut referenced: HashSet<(&str, &str, Vec<&str>)> = HashSet::new();
    let mut touched: HashSet<(&str, &str, &str)> = HashSet::new();
    let mut touched_tables: HashSet<(&str, &str)> = HashSet::new();
    let mut enum_renamed = false;
    for (c, &concurrent) in changes.iter().zip(concurrent) {
        match c {
            Change::AddUnique { table, unique } => {
                if concurrent {
                    late_tables.insert((table.schema.as_str(), table.name.as_str()));
                }
                names.insert((table.schema.as_str(), unique.name.as_str()));
            }
            Change::CreateIndex { table, index } => {
                if concurrent && index.unique {
                    late_tables.insert((table.schema.as_str(), table.name.as_str()));
                }
                if concurrent {
                    indexed_tables.insert((table.schema.as_str(), table.name.as_str()));
                }
                names.insert((table.schema.as_str(), index.name.as_str()));
            }
            Change::RenameTable { schema, from, to } => {
                renamed_tables.insert((schema.as_str(), from.as_str()));
                renamed_tables.insert((schema.as_str(), to.as_str()));
            }
            Change::RenameSchema { from, to } => {
                renamed_schemas.insert(from.as_str());
                renamed_schemas.insert(to.as_str());
            }
            Change::RenameConstraint { table: TableRef { schema, .. }, from, to }
            | Change::RenameIndex { schema, from, to } => {
                renamed_names.insert((schema.as_str(), from.as_str()));
                renamed_names.insert((schema.as_str(), to.as_str()));
            }
            Change::AddForeignKey { fk, .. } => {
                referenced.insert((fk.ref_schema.as_str(), fk.ref_table.as_str(), column_set(&fk.ref_columns)));
            }
            Change::AlterColumnType { table, column, .. }
            | Change::SetNotNull { table, column, .. }
            | Change::FinishNotNull { table, column, .. }
            | Change::Backfill { table, column, .. }
            | Change::UpdateEnumValue { table, column, .. } => {
                touched.insert((table.schema.as_str(), table.name.as_str(), column.as_str()));
                touched_tables.insert((table.schema.as_str(), table.name.as_str()));
            }
            // A column renamed or dropped: the undo of the online file runs
            // before the main file's puts it back, so it could not build
            // the old unique on it again.
            Change::RenameColumn { table, from, to } => {
                for column in [from, to] {
                    touched.insert((table.schema.as_str(), table.name.as_str(), column.as_str()));
                }
                touched_tables.insert((table.schema.as_str(), table.name.as_str()));
            }
            Change::DropColumn { table, column } | Change::DropGeneratedColumn { table, column, .. } => {
                touched.insert((table.schema.as_str(), table.name.as_str(), column.name.as_str()));
                touched_tables.insert((table.schema.as_str(), table.name.as_str()));
            }
            // A condition may name an enum's value.
            Change::RenameEnumValue { .. } => enum_renamed = true,
            _ => {}
        }
    }
    // What every kind of drop is held by: its table's place, its name, its
    // columns (`None`: SQL text, any column of the table).
    let free = |late: &HashSet<(&str, &str)>, table: &TableRef, name: &str, columns: Option<Vec<&str>>| {
        let (schema, t) = (table.schema.as_str(), table.name.as_str());
        late.contains(&(schema, t))
            && !names.contains(&(schema, name))
            && !renamed_tables.contains(&(schema, t))
            && !renamed_schemas.contains(schema)
            && !renamed_names.contains(&(schema, name))
            && match columns {
                Some(mut cols) => {
                    cols.sort();
                    !cols.iter().any(|col| touched.contains(&(schema, t, col)))
                        && !referenced.contains(&(schema, t, cols))
                }
                None => !touched_tables.contains(&(schema, t)) && !enum_renamed,
            }
    };
    changes
        .iter()
        .map(|c| match c {
            Change::DropUnique { table, unique } => {
                free(&late_tables, table, &unique.name, Some(unique.columns.iter().map(String::as_str).collect()))
            }
            Change::DropIndex { table, index } => {
                let plain = index.predicate.is_none() && index.items.iter().all(|i| i.column().is_some());
                let late = if index.unique { &late_tables } else { &indexed_tables };
                free(late, table, &index.name, plain.then(|| index.leading_columns()))
            }
            _ => false,
        })
        .collect()
}

/// The drops that run before the renames (so that a rename may take a
/// freed name) name what they drop as it is named then: the table and
/// context by their old names, and a constraint, index or trigger renamed
/// in the same build by its old name — whose rename, dropped anyway, then
/// goes (it would otherwise take the name first, and the new definition's
/// guarded `ADD` would keep the old one).
fn drops_by_old_names(changes: &mut Vec<Change>) {
    // The renames by their new names, each kept from its first change (a
    // search of every rename per drop grew with renames × drops).
    use std::collections::{HashMap, HashSet};
    let mut schemas: HashMap<String, String> = HashMap::new();
    let mut tables: HashMap<(String, String), String> = HashMap::new();
    let mut named: HashMap<(String, Option<String>, String), String> = HashMap::new();
    for c in changes.iter() {
        match c {
            Change::RenameSchema { from, to } => {
                schemas.entry(to.clone()).or_insert_with(|| from.clone());
            }
            Change::RenameTable { schema, from, to } => {
                tables.entry((schema.clone(), to.clone())).or_insert_with(|| from.clone());
            }
            Change::RenameConstraint { table, from, to } | Change::RenameTrigger { table, from, to } => {
                named
                    .entry((table.schema.clone(), Some(table.name.clone()), to.clone()))
                    .or_insert_with(|| from.clone());
            }
            Change::RenameIndex { schema, from, to } => {
                named.entry((schema.clone(), None, to.clone())).or_insert_with(|| from.clone());
            }
            _ => {}
        }
    }
    let old_table = |t: &TableRef| {
        let name = tables.get(&(t.schema.clone(), t.name.clone())).map_or_else(|| t.name.clone(), Clone::clone);
        let schema = schemas.get(&t.schema).map_or_else(|| t.schema.clone(), Clone::clone);
        TableRef { schema, name }
    };
    let mut folded: HashSet<(String, String)> = HashSet::new();
    let mut old_name = |t: &TableRef, name: &mut String, on_table: bool| {
        let key = (t.schema.clone(), on_table.then(|| t.name.clone()), name.clone());
        if let Some(from) = named.get(&key) {
            folded.insert((t.schema.clone(), name.clone()));
            *name = from.clone();
        }
    };
    for c in changes.iter_mut() {
        match c {
            Change::DropCheck { table, check } => {
                old_name(table, &mut check.name, true);
                *table = old_table(table);
            }
            Change::DropUnique { table, unique } => {
                old_name(table, &mut unique.name, true);
                *table = old_table(table);
            }
            Change::DropPrimaryKey { table, pk } => {
                old_name(table, &mut pk.name, true);
                *table = old_table(table);
            }
            Change::DropForeignKey { table, fk } => {
                old_name(table, &mut fk.name, true);
                *table = old_table(table);
            }
            Change::DropTrigger { table, trigger } => {
                old_name(table, &mut trigger.name, true);
                *table = old_table(table);
            }
            Change::DropIndex { table, index } => {
                old_name(table, &mut index.name, false);
                *table = old_table(table);
            }
            Change::DropPolicy { table, .. } | Change::DisablePartitionRowLevelSecurity { table, .. } => {
                *table = old_table(table);
            }
            Change::DisableRowLevelSecurity(t) => *t = old_table(t),
            _ => {}
        }
    }
    changes.retain(|c| match c {
        Change::RenameConstraint { table, to, .. } | Change::RenameTrigger { table, to, .. } => {
            !folded.contains(&(table.schema.clone(), to.clone()))
        }
        Change::RenameIndex { schema, to, .. } => !folded.contains(&(schema.clone(), to.clone())),
        _ => true,
    });
}

/// Rows per transaction for a backfill of `t`, or `None` for one
/// statement: batched when configured, or (`auto`) unless the aggregate's
/// `expected_rows` says it fits one batch. (One `UPDATE` holds the lock of
/// every row it fills until it commits: on a table of a million rows the
/// application's writes waited for all of it; a table of unknown size is
/// taken for a large one.)
fn batch_size(expected: &HashMap<String, u64>, new: &TableIndex<'_>, t: &TableRef, opts: Options) -> Option<u64> {
    let expected =
        new.table(&t.schema, &t.name).and_then(|t| t.aggregate.as_deref()).and_then(|q| expected.get(q).copied());
    match opts.batch_backfills {
        BatchBackfills::Always => Some(opts.backfill_batch),
        BatchBackfills::Never => None,
        BatchBackfills::Auto => match expected {
            Some(n) if n <= opts.backfill_batch => None,
            _ => Some(opts.backfill_batch),
        },
    }
}

/// Each aggregate's `expected_rows`, by its qualified name (`ctx.Name`, as
/// a table records its aggregate).
fn expected_rows(model: &Model) -> HashMap<String, u64> {
    let mut out = HashMap::new();
    for a in &model.aggregates {
        if let (Some(ctx), Some(n)) = (model.contexts.get(a.context.0), a.expected_rows) {
            out.entry(format!("{}.{}", ctx.name, a.name)).or_insert(n);
        }
    }
    out
}

/// Moves out of the main migration what reads or writes the rows of an
/// existing table, and returns it for the online one:
///
/// - a required column added with `@backfill`: added optional; filled,
///   then made NOT NULL through a validated check, online;
/// - NOT NULL on an existing column: the same, online;
/// - a check or foreign key: added `NOT VALID` in the main migration (a
///   catalog change; new rows are checked from then on), validated online;
/// - rows of a renamed CHECK-based enum value: updated online, while the
///   check admits both names; then the check takes its final form `NOT
///   VALID` and is validated.
///
/// Foreign keys of partitioned tables before PostgreSQL 18 (which cannot
/// be added `NOT VALID`) stay checked at once, in the main migration; rows
/// of a renamed value whose column also narrows stay there too (the
/// column cannot narrow before they change). Both are declared in the
/// migration's header.
fn online(
    changes: &mut Vec<Change>,
    lock: &Schema,
    new: &Schema,
    new_tables: &BTreeSet<TableRef>,
    batch: &dyn Fn(&TableRef) -> Option<u64>,
) -> Vec<Change> {
    let (lock_ix, new_ix) = (lock.index(), new.index());
    let existing = |t: &TableRef| !new_tables.contains(t) && lock_ix.table(&t.schema, &t.name).is_some();
    let partitioned_before_18 =
        |t: &TableRef| new.target < 18 && new_ix.table(&t.schema, &t.name).is_some_and(|t| t.partitioning.is_some());
    let narrowed: BTreeSet<(&TableRef, &str)> = changes
        .iter()
        .filter_map(|c| match c {
            Change::AlterColumnType { table, column, from, to, .. }
                if matches!(type_change(from, to), TypeChange::Narrowing) =>
            {
                Some((table, column.as_str()))
            }
            _ => None,
        })
        .collect();
    // Enum checks whose rows move online: (table, column).
    let mut moving: BTreeSet<(TableRef, String)> = BTreeSet::new();
    for c in changes.iter() {
        if let Change::UpdateEnumValue { table, column, .. } = c {
            if existing(table) && !narrowed.contains(&(table, column.as_str())) {
                moving.insert((table.clone(), column.clone()));
            }
        }
    }
    drop(narrowed);
    // An index whose condition or expressions name such a column is built
    // once the rows have their new names, online: built in the main
    // migration, rows still holding the old name fell on the wrong side of
    // its condition (`status != DID_NOT_ATTEND` counted the NO_SHOW rows
    // not yet renamed: a unique index refused them as duplicates). The old
    // index is dropped in the main migration (kept, the rows' update would
    // break it the same way): until the online migration builds the new
    // one, nothing enforces it.
    // (Not on a partitioned table: PostgreSQL cannot build its index
    // concurrently, and the main migration builds it, as before.)
    let names_moving = |table: &TableRef, index: &crate::relational::Index| {
        if new_ix.table(&table.schema, &table.name).is_none_or(|t| t.partitioning.is_some()) {
            return false;
        }
        let names =
            |sql: &str, column: &str| sql.split(|c: char| !(c.is_alphanumeric() || c == '_')).any(|w| w == column);
        moving.iter().filter(|(t, _)| t == table).any(|(_, column)| {
            index.predicate.as_deref().is_some_and(|p| names(p, column))
                || index.items.iter().any(|x| matches!(x, crate::relational::IndexItem::Expr(e) if names(e, column)))
        })
    };
    let rebuilt_late: HashSet<(String, String)> = changes
        .iter()
        .filter_map(|c| match c {
            Change::CreateIndex { table, index } if names_moving(table, index) => {
                Some((table.schema.clone(), index.name.clone()))
            }
            _ => None,
        })
        .collect();
    let old_values = |t: &TableRef, column: &str| -> Vec<String> {
        lock_ix
            .table(&t.schema, &t.name)
            .into_iter()
            .flat_map(|t| t.checks.iter())
            .filter_map(|c| c.enum_values())
            .filter(|(col, _)| *col == column)
            .flat_map(|(_, v)| v.to_vec())
            .collect()
    };
    let mut out = Vec::new();
    let mut main = Vec::with_capacity(changes.len());
    for c in changes.drain(..) {
        match c {
            Change::AddColumn { table, mut column, backfill: Some(value) } if existing(&table) => {
                column.nullable = true;
                out.push(Change::Backfill {
                    table: table.clone(),
                    column: column.name.clone(),
                    value: value.clone(),
                    batch: batch(&table),
                });
                out.push(Change::FinishNotNull {
                    table: table.clone(),
                    column: column.name.clone(),
                    backfill: Some(value),
                });
                main.push(Change::AddColumn { table, column, backfill: None });
            }
            Change::SetNotNull { table, column, backfill } if existing(&table) => {
                if let Some(value) = &backfill {
                    out.push(Change::Backfill {
                        table: table.clone(),
                        column: column.clone(),
                        value: value.clone(),
                        batch: batch(&table),
                    });
                }
                out.push(Change::FinishNotNull { table, column, backfill });
            }
            Change::UpdateEnumValue { table, column, from, to, .. }
                if moving.contains(&(table.clone(), column.clone())) =>
            {
                let batch = batch(&table);
                out.push(Change::UpdateEnumValue { table, column, from, to, batch });
            }
            Change::AddCheck { table, check } if existing(&table) => {
                let moves = check.enum_values().and_then(|(col, values)| {
                    moving.contains(&(table.clone(), col.to_string())).then(|| (col.to_string(), values.to_vec()))
                });
                match moves {
                    Some((col, values)) => {
                        // Both names of every renamed value, while rows move.
                        let mut both = old_values(&table, &col);
                        let mut seen: HashSet<String> = both.iter().cloned().collect();
                        for v in values {
                            if seen.insert(v.clone()) {
                                both.push(v);
                            }
                        }
                        let mut interim = check.clone();
                        interim.expr = crate::sql::fragments::in_list(&col, &both);
                        out.push(Change::ReplaceCheck { table: table.clone(), check: check.clone() });
                        out.push(Change::ValidateConstraint {
                            table: table.clone(),
                            name: check.name.clone(),
                            referenced: None,
                        });
                        main.push(Change::AddCheck { table, check: interim });
                    }
                    None => {
                        out.push(Change::ValidateConstraint {
                            table: table.clone(),
                            name: check.name.clone(),
                            referenced: None,
                        });
                        main.push(Change::AddCheck { table, check });
                    }
                }
            }
            Change::CreateIndex { table, index }
                if rebuilt_late.contains(&(table.schema.clone(), index.name.clone())) =>
            {
                out.push(Change::CreateIndex { table, index });
            }
            Change::SetComment { on: super::change::CommentOn::Index(schema, name), text }
                if rebuilt_late.contains(&(schema.clone(), name.clone())) =>
            {
                out.push(Change::SetComment { on: super::change::CommentOn::Index(schema, name), text });
            }
            Change::AddForeignKey { table, fk } if existing(&table) && !partitioned_before_18(&table) => {
                out.push(Change::ValidateConstraint {
                    table: table.clone(),
                    name: fk.name.clone(),
                    referenced: Some(fk.target()),
                });
                main.push(Change::AddForeignKey { table, fk });
            }
            other => main.push(other),
        }
    }
    *changes = main;
    out
}

/// Marks the type changes that can lose values: the migration checks the
/// rows first (see `sql::alter`).
fn mark_lossy(changes: &mut [Change]) {
    for c in changes {
        if let Change::AlterColumnType { from, to, lossy, .. } = c {
            *lossy = match type_change(from, to) {
                TypeChange::Narrowing => true,
                TypeChange::Incompatible => same_family(from, to),
                TypeChange::Widening { .. } => false,
            };
        }
    }
}

/// Two types whose values compare with each other (so a row can be checked
/// against its converted value).
fn same_family(a: &ColumnType, b: &ColumnType) -> bool {
    use ColumnType::*;
    if let (Array(a), Array(b)) = (a, b) {
        return same_family(a, b);
    }
    let numeric = |t: &ColumnType| matches!(t, SmallInt | Integer | BigInt | Numeric(_) | DoublePrecision);
    (a.is_text() && b.is_text()) || (numeric(a) && numeric(b)) || (a.is_temporal() && b.is_temporal())
}

/// After anything that creates or renames a partitioned table's indexes,
/// its partitions' copies get their decided names back (`after`: the schema
/// once `changes` ran).
fn sync_partition_index_names(changes: &mut Vec<Change>, after: &Schema) {
    let mut tables: Vec<TableRef> = Vec::new();
    // Those in `tables`, by a set: a search of the list per change grew
    // with the square of a change of every partitioned table.
    let mut listed: std::collections::HashSet<TableRef> = std::collections::HashSet::new();
    let partitioned: std::collections::HashSet<(&str, &str)> = after
        .tables
        .iter()
        .filter(|t| t.partitioning.is_some())
        .map(|t| (t.schema.as_str(), t.name.as_str()))
        .collect();
    let partitioned = |t: &TableRef| partitioned.contains(&(t.schema.as_str(), t.name.as_str()));
    // A table named in a schema that is renamed in the same changes ends
    // up in the renamed one.
    let schema_renames: Vec<(String, String)> = changes
        .iter()
        .filter_map(|c| match c {
            Change::RenameSchema { from, to } => Some((from.clone(), to.clone())),
            _ => None,
        })
        .collect();
    let final_schema =
        |s: &str| schema_renames.iter().find(|(from, _)| from == s).map_or_else(|| s.to_string(), |(_, to)| to.clone());
    // The tables (positions in `after`, ascending) that have an index or a
    // partition of each name, made once: a search of every table per
    // renamed index made a rename of every aggregate quadratic.
    let mut by_index: Option<std::collections::HashMap<(&str, &str), Vec<usize>>> = None;
    for c in changes.iter() {
        let touched: Vec<TableRef> = match c {
            Change::CreateTable(t) => vec![TableRef::of(t)],
            Change::RenameTable { schema, to, .. } => vec![TableRef { schema: schema.clone(), name: to.clone() }],
            Change::RenameIndex { schema, to, .. } => {
                let by_index = by_index.get_or_insert_with(|| {
                    let mut map: std::collections::HashMap<(&str, &str), Vec<usize>> = std::collections::HashMap::new();
                    for (k, t) in after.tables.iter().enumerate() {
                        let parts = t.partitioning.iter().flat_map(|p| p.partitions.iter().map(|x| x.name.as_str()));
                        for name in t.indexes.iter().map(|i| i.name.as_str()).chain(parts) {
                            let at = map.entry((t.schema.as_str(), name)).or_default();
                            if at.last() != Some(&k) {
                                at.push(k);
                            }
                        }
                    }
                    map
                });
                by_index
                    .get(&(schema.as_str(), to.as_str()))
                    .map_or_else(Vec::new, |at| at.iter().map(|&k| TableRef::of(&after.tables[k])).collect())
            }
            Change::AddPartition { table, .. }
            | Change::CreateIndex { table, .. }
            | Change::AddPrimaryKey { table, .. }
            | Change::AddUnique { table, .. }
            | Change::RenameConstraint { table, .. } => vec![table.clone()],
            _ => Vec::new(),
        };
        for mut t in touched {
            t.schema = final_schema(&t.schema);
            if partitioned(&t) && listed.insert(t.clone()) {
                tables.push(t);
            }
        }
    }
    changes.extend(tables.into_iter().map(Change::SyncPartitionIndexNames));
}

/// A renamed CHECK-based enum value's rows are updated after the column is
/// widened, but before it is narrowed (the old value may not fit after).
///
/// The changes come sorted by kind, the updates after the type changes:
/// each update of a narrowed column moves to just before the column's
/// first narrowing, in the updates' order (an update twice, once). One
/// pass: a move per update, each a scan of the changes, was quadratic
/// in a value renamed in every context (20,000 updates at 20,000
/// aggregates).
fn order_value_updates(changes: &mut Vec<Change>) {
    let narrowing = |c: &Change| match c {
        Change::AlterColumnType { table, column, from, to, .. }
            if matches!(type_change(from, to), TypeChange::Narrowing) =>
        {
            Some((table.clone(), column.clone()))
        }
        _ => None,
    };
    let narrowed: HashSet<(TableRef, String)> = changes.iter().filter_map(narrowing).collect();
    if narrowed.is_empty() {
        return;
    }
    let mut moving: HashMap<(TableRef, String), Vec<Change>> = HashMap::new();
    let mut rest = Vec::with_capacity(changes.len());
    for c in std::mem::take(changes) {
        let key = match &c {
            Change::UpdateEnumValue { table, column, .. } => Some((table.clone(), column.clone())),
            _ => None,
        };
        match key.filter(|k| narrowed.contains(k)) {
            Some(k) => {
                let group = moving.entry(k).or_default();
                if !group.contains(&c) {
                    group.push(c);
                }
            }
            None => rest.push(c),
        }
    }
    for c in rest {
        if let Some(group) = narrowing(&c).and_then(|k| moving.remove(&k)) {
            changes.extend(group);
        }
        changes.push(c);
    }
    debug_assert!(moving.is_empty(), "every narrowed column's narrowing is among the changes");
}

/// The changes that take `after` back to `before`: renames inverted, then
/// the difference.
fn undo(before: &Schema, after: &Schema, forward: &[Change]) -> Vec<Change> {
    let mut inverse: Vec<Change> = forward
        .iter()
        .rev()
        .filter_map(|c| {
            Some(match c {
                Change::RenameSchema { from, to } => Change::RenameSchema { from: to.clone(), to: from.clone() },
                Change::RenameTable { schema, from, to } => {
                    Change::RenameTable { schema: schema.clone(), from: to.clone(), to: from.clone() }
                }
                Change::RenameColumn { table, from, to } => {
                    Change::RenameColumn { table: table.clone(), from: to.clone(), to: from.clone() }
                }
                Change::RenameConstraint { table, from, to } => {
                    Change::RenameConstraint { table: table.clone(), from: to.clone(), to: from.clone() }
                }
                Change::RenameIndex { schema, from, to } => {
                    Change::RenameIndex { schema: schema.clone(), from: to.clone(), to: from.clone() }
                }
                Change::RenameTrigger { table, from, to } => {
                    Change::RenameTrigger { table: table.clone(), from: to.clone(), to: from.clone() }
                }
                Change::RenameType { schema, from, to } => {
                    Change::RenameType { schema: schema.clone(), from: to.clone(), to: from.clone() }
                }
                Change::RenameEnumValue { schema, type_name, from, to } => Change::RenameEnumValue {
                    schema: schema.clone(),
                    type_name: type_name.clone(),
                    from: to.clone(),
                    to: from.clone(),
                },
                _ => return None,
            })
        })
        .collect();
    // Renames run back in exactly the reverse order (a column renamed in a
    // renamed table is renamed back while the table still has its new
    // name), and before the rest of the undo, which names things as they
    // were.
    let mut rest = if inverse.is_empty() {
        // Nothing renamed: no copy of the whole schema to apply nothing to.
        diff(after, before)
    } else {
        diff(&apply(after, &inverse), before)
    };
    // Rows of a renamed CHECK-based enum value go back between the check
    // swap, like they came.
    rest.extend(forward.iter().filter_map(|c| match c {
        Change::UpdateEnumValue { table, column, from, to, .. } => Some(Change::UpdateEnumValue {
            table: table.clone(),
            column: column.clone(),
            from: to.clone(),
            to: from.clone(),
            batch: None,
        }),
        _ => None,
    }));
    super::change::sort_by_kind(&mut rest);
    super::diff::order_drops(&mut rest);
    order_value_updates(&mut rest);
    let mut restored = Vec::new();
    for c in &mut rest {
        // The values of a dropped column are gone: it comes back optional
        // (a NOT NULL column without a default cannot be added to a table
        // with rows), and required again where no row lacks a value.
        if let Change::AddColumn { table, column, .. } = c {
            if !column.nullable && column.default.is_none() && column.generated.is_none() && !column.identity {
                column.nullable = true;
                restored.push(Change::RestoreNotNull { table: table.clone(), column: column.name.clone() });
            }
        }
    }
    if !restored.is_empty() {
        // Where their kind goes, without sorting again (the drops and the
        // enum value updates were ordered above).
        let at = rest.iter().position(|c| c.kind() > crate::migrate::ChangeKind::RestoreNotNull).unwrap_or(rest.len());
        rest.splice(at..at, restored);
    }
    inverse.append(&mut rest);
    inverse
}

/// `@backfill(expr)` of every column that has one: (table, column, SQL).
fn backfills(new: &Schema) -> Vec<(TableRef, String, String)> {
    let mut out = Vec::new();
    for t in &new.tables {
        for c in &t.columns {
            if let Some(sql) = &c.backfill.0 {
                out.push((TableRef::of(t), c.name.clone(), sql.clone()));
            }
        }
    }
    out
}

/// Fills backfills, and refuses what can lose data ([`Change::loses_data`])
/// and what cannot be done in place.
#[allow(clippy::too_many_arguments)]
fn check(
    changes: &mut [Change],
    drop_checks: &[Change],
    lock: &Schema,
    new: &Schema,
    new_tables: &BTreeSet<TableRef>,
    backfills: &[(TableRef, String, String)],
    opts: Options,
    model_span: Span,
    out: &mut Planned,
) {
    // The values renamed in each table's column (a value of the same name
    // renamed in another enum does not excuse one lost here).
    let renamed_values: BTreeSet<(String, String, String, String)> = changes
        .iter()
        .filter_map(|c| match c {
            Change::UpdateEnumValue { table, column, from, .. } => {
                Some((table.schema.clone(), table.name.clone(), column.clone(), from.clone()))
            }
            _ => None,
        })
        .collect();
    let (lock_ix, new_ix) = (lock.index(), new.index());
    // The first backfill of each column, by table and column.
    let mut backfill_at: HashMap<(&TableRef, &str), &String> = HashMap::new();
    for (t, c, sql) in backfills {
        backfill_at.entry((t, c.as_str())).or_insert(sql);
    }
    let backfill_of = |t: &TableRef, c: &str| backfill_at.get(&(t, c)).map(|s| (*s).clone());
    // Where the model asks for a change: the table's or column's
    // declaration, else its context's, else the model block.
    // (A dropped table's span is its context's: the contexts by name.)
    let mut schema_spans: HashMap<&str, Span> = HashMap::new();
    for x in &new.schemas {
        schema_spans.entry(x.name.as_str()).or_insert(x.origin.0);
    }
    let table_span = |t: &TableRef| {
        new_ix
            .table(&t.schema, &t.name)
            .map(|x| x.origin.0)
            .or_else(|| schema_spans.get(t.schema.as_str()).copied())
            .unwrap_or(model_span)
    };
    let column_span = |t: &TableRef, c: &str| {
        new_ix.table(&t.schema, &t.name).and_then(|x| x.column(c)).map_or_else(|| table_span(t), |c| c.origin.0)
    };
    let refuse = |code: &'static str, change: String, help: &str, unsupported: bool, span: Span, out: &mut Planned| {
        if unsupported || !opts.allow_destructive {
            out.refusals.push(Refusal { code, change, help: help.to_string(), unsupported, span });
        }
    };
    let roots: std::cell::OnceCell<HashMap<(&str, &str), &relational::Table>> = std::cell::OnceCell::new();
    for c in changes.iter_mut() {
        let loses_data = c.loses_data();
        match c {
            Change::DropSchema(s) => refuse(
                id::E0701,
                format!("drop context (schema) `{}` and every table in it", s.name),
                "if it was renamed, add `@was(old_name)` to the context; to really drop it, run `dddc build --allow-destructive`",
                false,
                model_span,
                out,
            ),
            Change::DropTable(t) => {
                let span = table_span(&TableRef::of(t));
                // The aggregate is still there, its table named anew (the
                // naming convention or `as` changed): `@was` names the
                // aggregate itself, and is refused (E0509).
                // (The roots by aggregate, made at the first drop: a scan of
                // every table per drop was quadratic in a naming
                // convention changed at 20,000 aggregates.)
                let renamed = (t.kind == relational::TableKind::AggregateRoot)
                    .then(|| {
                        let roots = roots.get_or_init(|| {
                            new.tables
                                .iter()
                                .filter(|n| n.kind == relational::TableKind::AggregateRoot)
                                .filter_map(|n| Some(((n.schema.as_str(), n.aggregate.as_deref()?), &**n)))
                                .collect::<HashMap<_, _>>()
                        });
                        t.aggregate.as_deref().and_then(|a| roots.get(&(t.schema.as_str(), a)).copied())
                    })
                    .flatten();
                let help = match renamed {
                    Some(n) => format!(
                        "the aggregate is still in the model, its table now named `{}` (the naming convention or `as` changed): add `as {}` to the aggregate to keep its table and rows; to drop it and start the new one empty, run `dddc build --allow-destructive`",
                        n.name, t.name
                    ),
                    None => "if the aggregate or entity was renamed, add `@was(OldName)` to it; to really drop it, run `dddc build --allow-destructive`".to_string(),
                };
                refuse(id::E0701, format!("drop table `{}` and its rows", t.qualified()), &help, false, span, out)
            }
            Change::AddGeneratedColumn { table, column }
                if !new_tables.contains(table) && lock_ix.table(&table.schema, &table.name).is_some() =>
            {
                out.notes.push(format!(
                    "adding the stored generated column `{table}.{}` computes it for every row: it rewrites the whole table under an exclusive lock",
                    column.name
                ));
            }
            Change::DropColumn { table, column } if loses_data => refuse(
                id::E0701,
                format!("drop column `{table}.{}` and its values", column.name),
                "if the field was renamed, add `@was(old_name)` to it; to really drop it, run `dddc build --allow-destructive`",
                false,
                table_span(table),
                out,
            ),
            Change::DropPartition { table, partition, into_default: None } => refuse(
                id::E0701,
                format!("drop partition `{}` of `{table}` and its rows", partition.name),
                "extend the range instead of moving it, or run `dddc build --allow-destructive`",
                false,
                table_span(table),
                out,
            ),
            Change::AlterColumnType { table, column, from, to, .. }
                if new_ix
                    .table(&table.schema, &table.name)
                    .and_then(|t| t.partitioning.as_ref())
                    .is_some_and(|p| &p.column == column) =>
            {
                let span = column_span(table, column);
                refuse(
                    id::E0702,
                    format!("change the type of `{table}.{column}` from {from} to {to}: it is the partition key"),
                    "PostgreSQL cannot change the type of a partition key column; keep the type, or create a new aggregate with the new type and move the data",
                    true,
                    span,
                    out,
                )
            }
            // Both ways: the undo converts back (`json` to `int` has a cast,
            // `int` to `json` none, and the undo could never apply).
            Change::AlterColumnType { table, column, from, to, .. } if !castable(from, to) || !castable(to, from) => refuse(
                id::E0702,
                format!(
                    "change `{table}.{column}` from {from} to {to}, which PostgreSQL cannot convert both ways (the undo converts back; there is no cast)",
                ),
                "add a new field of the new type and fill it from the old one in a migration of your own (`dddc new`), then remove the old field",
                true,
                column_span(table, column),
                out,
            ),
            Change::AlterColumnType { table, column, from, to, .. } => {
                let span = column_span(table, column);
                match type_change(from, to) {
                    TypeChange::Widening { rewrite } => {
                        if rewrite && !new_tables.contains(table) {
                            out.notes.push(format!("changing `{table}.{column}` from {from} to {to} rewrites the whole table under an exclusive lock"));
                        }
                    }
                    // The column of a CHECK-based enum: the check, not the
                    // length, bounds its values, and every new value fits.
                    TypeChange::Narrowing if enum_column(&new_ix, table, column) => {}
                    TypeChange::Narrowing => refuse(
                        id::E0701,
                        format!("narrow `{table}.{column}` from {from} to {to} (values that do not fit would be lost or rejected)"),
                        "keep the wider type, or run `dddc build --allow-destructive` once the data fits",
                        false,
                        span,
                        out,
                    ),
                    TypeChange::Incompatible => refuse(
                        id::E0701,
                        format!("change `{table}.{column}` from {from} to {to} (a conversion that can fail or lose data)"),
                        "add a new field and migrate the data, or run `dddc build --allow-destructive`",
                        false,
                        span,
                        out,
                    ),
                }
            }
            Change::SetNotNull { table, column, backfill } => {
                let default =
                    new_ix.table(&table.schema, &table.name).and_then(|t| t.column(column)).and_then(|c| c.default.clone());
                *backfill = backfill_of(table, column).or(default);
                if backfill.is_none() && !new_tables.contains(table) {
                    let tenant = new_ix
                        .table(&table.schema, &table.name)
                        .and_then(|t| t.column(column))
                        .is_some_and(|c| c.source == Some(relational::ColumnSource::Tenant));
                    // The last step of making a table tenant-scoped: the
                    // column was filled by hand, which the model cannot see.
                    let help = if tenant {
                        "once every row has its tenant, run `dddc build --allow-destructive`: the migration checks that no row is left without one (a NOT VALID check, then validated) and stops there if one is; no row is changed"
                    } else {
                        "give the field a default, or `@backfill(expr)` to fill existing rows; or, once no row is NULL, run `dddc build --allow-destructive` (the migration stops at a row still NULL; no row is changed)"
                    };
                    refuse(
                        id::E0703,
                        format!("make `{table}.{column}` NOT NULL with no value for the rows where it is NULL"),
                        help,
                        false,
                        column_span(table, column),
                        out,
                    );
                }
            }
            Change::AddColumn { table, column, backfill } => {
                let existing = !new_tables.contains(table) && lock_ix.table(&table.schema, &table.name).is_some();
                if existing && !column.nullable && column.default.is_none() && column.generated.is_none() && !column.identity {
                    *backfill = backfill_of(table, &column.name);
                    if backfill.is_none() {
                        // The tenant column is implicit: no field to give a
                        // default or a backfill to.
                        let help = if column.source == Some(relational::ColumnSource::Tenant) {
                            "existing rows belong to no tenant: first add the column as an optional field (`tenant_id: uuid?`) and build, fill it with each row's tenant (`dddc new`), then replace the field with `tenant by tenant_id` and build; or use `--allow-destructive` while the table is empty"
                        } else {
                            "give the field a default, or `@backfill(expr)` to fill existing rows, or make it optional (`?`)"
                        };
                        refuse(
                            id::E0703,
                            format!("add required column `{table}.{}` with no value for existing rows", column.name),
                            help,
                            false,
                            column.origin.0,
                            out,
                        );
                    }
                }
            }
            _ => {}
        }
    }
    // The checks dropped, as the diff named them (with the names the model
    // gives now: the plan then names drops by their old names, and a
    // context or table renamed in the same edit hid them from the model's
    // checks, so values and event types lost went unrefused).
    for c in drop_checks {
        let Change::DropCheck { table, check } = c else { continue };
        // An events table's list of event types losing some: rows of
        // those types fail the new check (validated in the online
        // migration, after the main one committed).
        // (Known by the model's check: the lock's says less.)
        {
            let new_check = new_ix
                .table(&table.schema, &table.name)
                .and_then(|t| t.checks.iter().find(|c| c.name == check.name))
                .filter(|c| matches!(c.source, relational::CheckSource::EventTypes { .. }));
            if let Some(n) = new_check {
                let kept: HashSet<String> = quoted_values(&n.expr).into_iter().collect();
                let lost: Vec<String> = quoted_values(&check.expr).into_iter().filter(|v| !kept.contains(v)).collect();
                if !lost.is_empty() {
                    refuse(
                                id::E0701,
                                format!("remove event type(s) {} of `{table}` (its rows of those types would be rejected)", lost.join(", ")),
                                "keep the event type while rows of it remain; to remove it, run `dddc build --allow-destructive` once no row holds it (delete or archive them first)",
                                false,
                                n.origin.0,
                                out,
                            );
                }
            }
        }
        // An enum check swapped for one without some values.
        if let Some((col, old_values)) = check.enum_values() {
            let new_check =
                new_ix.table(&table.schema, &table.name).and_then(|t| t.checks.iter().find(|c| c.name == check.name));
            // A set: an enum of thousands of values was a scan per value.
            let new_values: Option<HashSet<&str>> =
                new_check.and_then(|c| c.enum_values()).map(|(_, nv)| nv.iter().map(String::as_str).collect());
            let lost: Vec<&String> = old_values
                .iter()
                .filter(|v| {
                    !renamed_values.contains(&(table.schema.clone(), table.name.clone(), col.to_string(), (*v).clone()))
                        && new_values.as_ref().is_none_or(|nv| !nv.contains(v.as_str()))
                })
                .collect();
            if !lost.is_empty() && new_values.is_some() {
                let lost: Vec<&str> = lost.iter().map(|s| s.as_str()).collect();
                refuse(
                            id::E0701,
                            format!("remove value(s) {} of `{table}.{col}` (rows holding them would be rejected)", lost.join(", ")),
                            "if a value was renamed, add `@was(OLD)` to it; to remove it, run `dddc build --allow-destructive` once no row holds it",
                            false,
                            new_check.map_or_else(|| table_span(table), |c| c.origin.0),
                            out,
                        );
            }
        }
    }
    // PostgreSQL cannot remove a value from an enum type. (The lock's types
    // and tables by name: a model has thousands.)
    let old_enums: std::collections::HashMap<(&str, &str), &relational::EnumType> =
        lock.enum_types.iter().rev().map(|o| ((o.schema.as_str(), o.name.as_str()), o)).collect();
    // The values renamed in each type (one of the same name renamed in
    // another type does not excuse one lost here).
    let renamed: HashSet<(&str, &str, &str)> = changes
        .iter()
        .filter_map(|c| match c {
            Change::RenameEnumValue { schema, type_name, from, .. } => {
                Some((schema.as_str(), type_name.as_str(), from.as_str()))
            }
            _ => None,
        })
        .collect();
    for e in &new.enum_types {
        if let Some(o) = old_enums.get(&(e.schema.as_str(), e.name.as_str())) {
            let values: HashSet<&str> = e.values.iter().map(String::as_str).collect();
            let lost: Vec<&str> = o
                .values
                .iter()
                .filter(|v| {
                    !values.contains(v.as_str()) && !renamed.contains(&(e.schema.as_str(), e.name.as_str(), v.as_str()))
                })
                .map(String::as_str)
                .collect();
            if !lost.is_empty() {
                refuse(
                    id::E0702,
                    format!("remove values from native enum `{}.{}`: {}", e.schema, e.name, lost.join(", ")),
                    "PostgreSQL cannot remove a value from an enum type; keep the value, or make the enum CHECK-based",
                    true,
                    e.origin.0,
                    out,
                );
            }
        }
    }
    // Partitioning that changes method or key needs a rebuild; so does a
    // partition kept by name whose bounds change (a hash partition's
    // modulus, a list partition's values): PostgreSQL cannot alter a
    // partition's bounds, and the lock would record ones the database does
    // not have.
    for t in &new.tables {
        if let Some(o) = lock_ix.table(&t.schema, &t.name) {
            let key = |t: &relational::Table| t.partitioning.as_ref().map(|p| (p.method, p.column.clone()));
            if key(o) != key(t) {
                refuse(
                    id::E0702,
                    format!("change the partitioning of `{}`", t.qualified()),
                    "a table cannot be (re)partitioned in place: create a new aggregate and move the data",
                    true,
                    t.origin.0,
                    out,
                );
                continue;
            }
            let (Some(before), Some(after)) = (&o.partitioning, &t.partitioning) else { continue };
            let old_bounds: HashMap<&str, &relational::PartitionBound> =
                before.partitions.iter().map(|p| (p.name.as_str(), &p.bound)).collect();
            // A list's values as a set (reordered, they bound the same rows).
            let same = |a: &relational::PartitionBound, b: &relational::PartitionBound| match (a, b) {
                (relational::PartitionBound::List(x), relational::PartitionBound::List(y)) => {
                    x.iter().collect::<BTreeSet<_>>() == y.iter().collect::<BTreeSet<_>>()
                }
                _ => a == b,
            };
            let moved: Vec<&str> = after
                .partitions
                .iter()
                .filter(|p| old_bounds.get(p.name.as_str()).is_some_and(|b| !same(b, &p.bound)))
                .map(|p| p.name.as_str())
                .collect();
            // A list partition dropped while another takes one of its
            // values (a partition renamed): the new one is created first,
            // and PostgreSQL refuses two partitions for one value.
            let kept: HashSet<&str> = after.partitions.iter().map(|p| p.name.as_str()).collect();
            let freed: HashMap<&str, &str> = before
                .partitions
                .iter()
                .filter(|p| !kept.contains(p.name.as_str()))
                .flat_map(|p| match &p.bound {
                    relational::PartitionBound::List(values) => {
                        values.iter().map(|v| (v.as_str(), p.name.as_str())).collect()
                    }
                    _ => Vec::new(),
                })
                .collect();
            for p in after.partitions.iter().filter(|p| !old_bounds.contains_key(p.name.as_str())) {
                let relational::PartitionBound::List(values) = &p.bound else { continue };
                if let Some(old) = values.iter().find_map(|v| freed.get(v.as_str())) {
                    refuse(
                        id::E0702,
                        format!("move values of partition `{old}` of `{}` to the new partition `{}`", t.qualified(), p.name),
                        "a list partition cannot be renamed, nor its values given to a new one, in one migration: keep its name, or first remove it (its rows go to the DEFAULT partition), build, then add the new one",
                        true,
                        t.origin.0,
                        out,
                    );
                }
            }
            if !moved.is_empty() {
                refuse(
                    id::E0702,
                    format!("change the bounds of partition(s) {} of `{}`", moved.join(", "), t.qualified()),
                    "PostgreSQL cannot change a partition's bounds in place: keep each partition's values (a hash partition's count), add new partitions under new names, or create a new aggregate and move the data",
                    true,
                    t.origin.0,
                    out,
                );
            }
        }
    }
}

fn enum_column(schema: &TableIndex<'_>, table: &TableRef, column: &str) -> bool {
    schema
        .table(&table.schema, &table.name)
        .is_some_and(|t| t.checks.iter().any(|c| c.enum_values().is_some_and(|(col, _)| col == column)))
}

/// Whether `ALTER COLUMN … TYPE to USING column::to` can run at all, even
/// on an empty table: PostgreSQL refuses a conversion it has no cast for
/// (`bigint` to `uuid`) when the statement is planned, so a migration with
/// one could never apply. String types convert to and from anything
/// (through the types' text forms), and an enum through its text (the
/// statement casts through `text`).
fn castable(from: &ColumnType, to: &ColumnType) -> bool {
    use ColumnType::*;
    let text_like = |t: &ColumnType| matches!(t, Text | Varchar(_) | Char(_) | Enum { .. });
    let number = |t: &ColumnType| matches!(t, SmallInt | Integer | BigInt | Numeric(_) | DoublePrecision);
    let time = |t: &ColumnType| matches!(t, Date | Timestamptz);
    match (from, to) {
        _ if from == to || text_like(from) || text_like(to) => true,
        (Array(a), Array(b)) => castable(a, b),
        (a, b) if number(a) && number(b) => true,
        (a, b) if time(a) && time(b) => true,
        (Integer, Boolean) | (Boolean, Integer) | (Timestamptz, Time) | (Time, Interval) | (Interval, Time) => true,
        (Jsonb, b) => number(b) || *b == Boolean,
        _ => false,
    }
}

/// Each run of backfills (and of NOT NULLs finished, which fill again)
/// in an order where a value that reads another backfilled column of its
/// table comes after it: `code @backfill(coalesce(alias, …))` beside a
/// renamed `alias @backfill(upper(full))` read the old NULLs of `alias`.
/// Otherwise in the order they came (a cycle keeps it too).
fn order_backfills(changes: &mut [Change]) {
    fn filled(c: &Change) -> Option<(&TableRef, &str, &str)> {
        match c {
            Change::Backfill { table, column, value, .. } => Some((table, column, value)),
            Change::FinishNotNull { table, column, backfill: Some(value) } => Some((table, column, value)),
            _ => None,
        }
    }
    // The fills of each table among the changes of one kind (a NOT NULL
    // finished without a value between them does not split them); only
    // a table with two or more is ordered: a scan per fill of every fill
    // of the run was quadratic in a value object filled on every table.
    // (index, column filled, its value) per kind and table.
    type Fills<'c> = Vec<(usize, &'c str, &'c str)>;
    let mut by_kind: HashMap<(crate::migrate::ChangeKind, &TableRef), Fills<'_>> = HashMap::new();
    for (i, c) in changes.iter().enumerate() {
        if let Some((table, column, value)) = filled(c) {
            by_kind.entry((c.kind(), table)).or_default().push((i, column, value));
        }
    }
    let mut moves: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
    for fills in by_kind.into_values().filter(|f| f.len() > 1) {
        let mut left: Vec<(usize, &str, &str)> = fills.clone();
        let mut order = Vec::with_capacity(fills.len());
        while !left.is_empty() {
            // The first whose value names no column still to fill; in a
            // cycle, the first left, as it came.
            let k = (0..left.len())
                .find(|&k| !left.iter().enumerate().any(|(j, f)| j != k && mentions(left[k].2, f.1)))
                .unwrap_or(0);
            order.push(left.remove(k).0);
        }
        moves.push((fills.into_iter().map(|f| f.0).collect(), order));
    }
    for (at, order) in moves {
        let taken: Vec<Change> = order.iter().map(|&i| changes[i].clone()).collect();
        for (slot, c) in at.into_iter().zip(taken) {
            changes[slot] = c;
        }
    }
}

/// Whether the SQL expression `sql` names the column `column` (as a word,
/// or quoted).
fn mentions(sql: &str, column: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    sql.match_indices(column).any(|(at, _)| {
        let before = sql[..at].chars().next_back();
        let after = sql[at + column.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

/// The string literals of an SQL condition (`(c IN ('A', 'B'))`), each
/// unquoted (`''` is one quote).
fn quoted_values(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = expr.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\'' {
            continue;
        }
        let mut value = String::new();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    value.push('\'');
                    continue;
                }
                break;
            }
            value.push(c);
        }
        out.push(value);
    }
    out
}

enum TypeChange {
    Widening { rewrite: bool },
    Narrowing,
    Incompatible,
}

/// Classifies a column type change.
fn type_change(from: &ColumnType, to: &ColumnType) -> TypeChange {
    use ColumnType::*;
    let int_digits = |t: &ColumnType| match t {
        SmallInt => Some(5),
        Integer => Some(10),
        BigInt => Some(19),
        _ => None,
    };
    let widen = |ok: bool, rewrite: bool| if ok { TypeChange::Widening { rewrite } } else { TypeChange::Narrowing };
    match (from, to) {
        (Varchar(a), Varchar(b)) => widen(b >= a, false),
        (Varchar(_), Text) => TypeChange::Widening { rewrite: false },
        (Char(_), Text) => TypeChange::Widening { rewrite: true },
        (Text, Varchar(_)) | (Text | Varchar(_), Char(_)) => TypeChange::Narrowing,
        (Char(a), Varchar(b)) | (Char(a), Char(b)) => widen(b >= a, true),
        (Numeric(_), Numeric(None)) => TypeChange::Widening { rewrite: false },
        (Numeric(None), Numeric(Some(_))) => TypeChange::Narrowing,
        (Numeric(Some((p1, s1))), Numeric(Some((p2, s2)))) => {
            if s2 == s1 && p2 >= p1 {
                TypeChange::Widening { rewrite: false }
            } else {
                widen(s2 >= s1 && p2 - s2 >= p1 - s1, true)
            }
        }
        (a, b) if int_digits(a).is_some() && int_digits(b).is_some() => widen(int_digits(b) >= int_digits(a), true),
        // Every integer of the type fits the numeric's integer digits.
        (a, Numeric(None)) if int_digits(a).is_some() => TypeChange::Widening { rewrite: true },
        (a, Numeric(Some((p, s)))) if int_digits(a).is_some() => widen(int_digits(a).is_some_and(|d| p - s >= d), true),
        (SmallInt | Integer, DoublePrecision) => TypeChange::Widening { rewrite: true },
        // An array changes as its elements do (the values are rewritten:
        // `text(10)[]` to `text(5)[]` was not checked at all, and
        // `int[]` to `bigint[]` was refused as incompatible).
        (Array(a), Array(b)) => match type_change(a, b) {
            TypeChange::Widening { .. } => TypeChange::Widening { rewrite: true },
            other => other,
        },
        (Date, Timestamptz) => TypeChange::Widening { rewrite: true },
        _ => TypeChange::Incompatible,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lowered(dir: &std::path::Path, name: &str, src: &str) -> (Model, Schema) {
        let path = dir.join(name);
        std::fs::write(&path, src).unwrap();
        let loaded = crate::loader::load(&path, &path).unwrap();
        // A syntax error leaves a model of what could be read.
        assert!(!loaded.diagnostics.iter().any(|d| d.is_error()), "{name}: {:?}", loaded.diagnostics);
        let model = crate::model::analyze(&loaded.files).model.expect("the model compiles");
        let schema = relational::lower((&model, crate::config::Language::En)).unwrap();
        (model, schema)
    }

    /// What keeps a drop in the main migration though its table gets a
    /// unique built concurrently: each guard of [`drops_late`] on its own.
    #[test]
    fn a_drop_stays_in_the_main_migration_when_something_needs_it_gone() {
        let t = TableRef { schema: "s".into(), name: "t".into() };
        let unique = |name: &str, cols: &[&str]| relational::Unique {
            name: name.into(),
            columns: cols.iter().map(|c| c.to_string()).collect(),
            origin: Default::default(),
        };
        let drop_old = Change::DropUnique { table: t.clone(), unique: unique("uq_old", &["a"]) };
        let add_new = Change::AddUnique { table: t.clone(), unique: unique("uq_new", &["a", "b"]) };
        // Only the new ones are built concurrently.
        let online = |changes: &[Change]| -> Vec<bool> {
            changes
                .iter()
                .map(|c| match c {
                    Change::AddUnique { unique, .. } => unique.name == "uq_new",
                    Change::CreateIndex { index, .. } => index.name.ends_with("_new"),
                    _ => false,
                })
                .collect()
        };
        let first_late = |changes: &[Change]| drops_late(changes, &online(changes))[0];
        let late = |extra: Vec<Change>| {
            let mut changes = vec![drop_old.clone(), add_new.clone()];
            changes.extend(extra);
            first_late(&changes)
        };
        assert!(late(vec![]), "the plain case waits for the new index");
        // Its name given again (a replacement built in the main migration).
        assert!(!late(vec![Change::AddUnique { table: t.clone(), unique: unique("uq_old", &["a", "c"]) }]));
        // Its table, schema or name renamed in the same plan.
        assert!(!late(vec![Change::RenameTable { schema: "s".into(), from: "t".into(), to: "u".into() }]));
        assert!(!late(vec![Change::RenameSchema { from: "s".into(), to: "r".into() }]));
        assert!(!late(vec![Change::RenameConstraint { table: t.clone(), from: "uq_old".into(), to: "uq_x".into() }]));
        // A foreign key added on exactly its columns (in any order):
        // PostgreSQL would tie the key to the old index, whose drop would
        // then fail. A key on other columns of the table does not hold it.
        let fk = |cols: &[&str]| Change::AddForeignKey {
            table: TableRef { schema: "s".into(), name: "child".into() },
            fk: relational::ForeignKey {
                name: "fk_child_t".into(),
                columns: cols.iter().map(|c| format!("t_{c}")).collect(),
                ref_schema: "s".into(),
                ref_table: "t".into(),
                ref_columns: cols.iter().map(|c| c.to_string()).collect(),
                on_delete: relational::FkAction::Restrict,
                on_update: relational::FkAction::NoAction,
                on_delete_columns: Vec::new(),
                origin: Default::default(),
            },
        };
        let drop_pair = Change::DropUnique { table: t.clone(), unique: unique("uq_old", &["a", "b"]) };
        let with_pair = |extra: Change| first_late(&[drop_pair.clone(), add_new.clone(), extra]);
        assert!(!with_pair(fk(&["b", "a"])), "a key on its columns needs it gone first");
        assert!(with_pair(fk(&["a"])), "a key on some of its columns does not");
        assert!(!late(vec![fk(&["a"])]));
        // One of its columns retyped or made NOT NULL.
        assert!(!late(vec![Change::AlterColumnType {
            table: t.clone(),
            column: "a".into(),
            from: ColumnType::Varchar(8),
            to: ColumnType::Varchar(4),
            default: None,
            lossy: true,
        }]));
        assert!(!late(vec![Change::SetNotNull { table: t.clone(), column: "a".into(), backfill: None }]));
        // One of its columns renamed (either way) or dropped.
        let rename = |from: &str, to: &str| Change::RenameColumn { table: t.clone(), from: from.into(), to: to.into() };
        assert!(!late(vec![rename("a", "x")]));
        assert!(!late(vec![rename("x", "a")]));
        assert!(late(vec![rename("y", "x")]));
        let column = |name: &str| relational::Column::new(name, ColumnType::Text, true, Default::default());
        assert!(!late(vec![Change::DropColumn { table: t.clone(), column: Box::new(column("a")) }]));
        assert!(late(vec![Change::DropColumn { table: t.clone(), column: Box::new(column("z")) }]));
        assert!(!late(vec![Change::DropGeneratedColumn {
            table: t.clone(),
            column: Box::new(column("a")),
            retyped: Vec::new()
        }]));
        // Another column's change does not hold it.
        assert!(late(vec![Change::SetNotNull { table: t.clone(), column: "z".into(), backfill: None }]));
        // No unique built concurrently on its table: nothing to wait for.
        let other = TableRef { schema: "s".into(), name: "v".into() };
        let changes = vec![drop_old.clone(), Change::AddUnique { table: other, unique: unique("uq_new", &["a"]) }];
        assert!(!first_late(&changes));
    }

    /// The same for a unique index (a `unique` under soft delete is a
    /// partial unique index): dropped late when its table gets a unique
    /// index built concurrently, held by the same guards; with a condition
    /// or an expression, by a change to any column of its table.
    #[test]
    fn an_index_is_dropped_late_under_the_same_guards() {
        let t = TableRef { schema: "s".into(), name: "t".into() };
        let index = |name: &str, unique: bool, cols: &[&str], predicate: Option<&str>| relational::Index {
            name: name.into(),
            unique,
            method: relational::IndexMethod::Btree,
            items: cols.iter().map(|c| relational::IndexItem::Column(c.to_string())).collect(),
            predicate: predicate.map(str::to_string),
            comment: None,
            origin: Default::default(),
        };
        let soft = Some("deleted_at IS NULL");
        let drop = |i: relational::Index| Change::DropIndex { table: t.clone(), index: i };
        let create = |i: relational::Index| Change::CreateIndex { table: t.clone(), index: i };
        let online = |changes: &[Change]| -> Vec<bool> {
            changes
                .iter()
                .map(|c| matches!(c, Change::CreateIndex { index, .. } if index.name.ends_with("_new")))
                .collect()
        };
        let late = |changes: Vec<Change>| drops_late(&changes, &online(&changes))[0];
        let old = drop(index("uq_old", true, &["a"], soft));
        let new = create(index("uq_new", true, &["a", "b"], soft));
        assert!(late(vec![old.clone(), new.clone()]), "waits for the new unique index");
        // A plain index dropped waits for any index built online (the
        // table's queries keep one meanwhile); a unique dropped waits only
        // for a unique.
        assert!(late(vec![drop(index("ix_old", false, &["a"], None)), new.clone()]));
        assert!(late(vec![drop(index("ix_old", false, &["a"], None)), create(index("ix_new", false, &["b"], None))]));
        assert!(!late(vec![drop(index("ix_old", false, &["a"], None)), create(index("ix_main", false, &["b"], None))]));
        assert!(!late(vec![old.clone(), create(index("ix_new", false, &["a", "b"], None))]));
        // Built in the main migration (not online): nothing to wait for.
        assert!(!late(vec![old.clone(), create(index("uq_main", true, &["a", "b"], soft))]));
        // Its name given again, its name renamed.
        assert!(!late(vec![old.clone(), new.clone(), create(index("uq_old", true, &["a", "c"], soft))]));
        let rename = Change::RenameIndex { schema: "s".into(), from: "uq_old".into(), to: "uq_x".into() };
        assert!(!late(vec![old.clone(), new.clone(), rename]));
        // With a condition, a change to any column of the table holds it;
        // without one, only to one of its columns.
        let touch = |col: &str| Change::SetNotNull { table: t.clone(), column: col.into(), backfill: None };
        assert!(!late(vec![old.clone(), new.clone(), touch("z")]));
        let plain_old = drop(index("uq_old", true, &["a"], None));
        assert!(late(vec![plain_old.clone(), new.clone(), touch("z")]));
        assert!(!late(vec![plain_old.clone(), new.clone(), touch("a")]));
        // A soft delete removed (its column dropped), a column renamed.
        let column = |name: &str| relational::Column::new(name, ColumnType::Text, true, Default::default());
        let dropped = Change::DropColumn { table: t.clone(), column: Box::new(column("deleted_at")) };
        assert!(!late(vec![old.clone(), new.clone(), dropped]));
        let renamed = Change::RenameColumn { table: t.clone(), from: "a".into(), to: "x".into() };
        assert!(!late(vec![plain_old.clone(), new.clone(), renamed]));
        // A condition may name an enum value the plan renames.
        let value =
            Change::RenameEnumValue { schema: "s".into(), type_name: "e".into(), from: "X".into(), to: "Y".into() };
        assert!(!late(vec![old.clone(), new.clone(), value.clone()]));
        assert!(late(vec![plain_old, new.clone(), value]));
    }

    /// A unique replaced by one of another name on an existing table: the
    /// old one goes at the end of the online migration, after the new
    /// index is built and attached, never in the main one (the table
    /// would take duplicates of the new key in between). The SQL and the
    /// database side are in tests/migrations/replace_unique_late_drop.
    #[test]
    fn a_replaced_unique_is_dropped_after_its_replacement() {
        let dir = tempfile::tempdir().unwrap();
        // A unique constraint, and (under soft delete) a partial unique
        // index.
        for soft in ["", "\n    soft_delete"] {
            let v1 = format!("model m {{ target postgres 16 }}\ncontext ventas {{\n  aggregate Cliente {{\n    nombre: text(100)\n    email: text(255) unique{soft}\n  }}\n}}\n");
            let v2 = v1.replace("email: text(255) unique", "email: text(255)\n    unique (email, nombre)");
            let (_, old) = lowered(dir.path(), "v1.ddd", &v1);
            let (model, new) = lowered(dir.path(), "v2.ddd", &v2);
            let planned = plan(&old, &model, &new, Options::default());
            let kinds: Vec<(FileKind, Vec<super::super::change::ChangeKind>)> =
                planned.files.iter().map(|f| (f.kind, f.changes.iter().map(Change::kind).collect())).collect();
            let drop_at = |f: &MigrationFile<'_>| {
                f.changes.iter().position(|c| {
                    matches!(c, Change::DropUnique { .. })
                        || matches!(c, Change::DropIndex { index, .. } if index.unique)
                })
            };
            let add_at = |f: &MigrationFile<'_>| {
                f.changes.iter().position(|c| {
                    matches!(c, Change::AddUnique { .. })
                        || matches!(c, Change::CreateIndex { index, .. } if index.unique)
                })
            };
            for f in &planned.files {
                if f.kind != FileKind::Online {
                    assert_eq!(drop_at(f), None, "the old unique is dropped before the online file: {kinds:?}");
                }
            }
            let online = planned.files.iter().find(|f| f.kind == FileKind::Online).expect("an online file");
            assert!(drop_at(online) > add_at(online) && add_at(online).is_some(), "{soft:?}: {kinds:?}");
        }
    }

    /// A file's schema after it shares with the one before it every table
    /// it does not change, and its undo is still the whole way back.
    #[test]
    fn a_file_copies_only_the_tables_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let v1 = "model m { target postgres 16 }\ncontext ventas {\n  aggregate Cliente {\n    nombre: text(100)\n  }\n  aggregate Pedido {\n    total: int\n  }\n}\n";
        let v2 = v1.replace("    total: int\n", "    total: int\n    nota: text(50)?\n");
        let (_, old) = lowered(dir.path(), "v1.ddd", v1);
        let (model, new) = lowered(dir.path(), "v2.ddd", &v2);
        let planned = plan(&old, &model, &new, Options::default());
        let [file] = planned.files.as_slice() else { panic!("one file: {:?}", planned_kinds(&planned)) };
        let shared = |name: &str| {
            let at = |s: &Schema| s.tables.iter().position(|t| t.name == name).expect(name);
            Arc::ptr_eq(&file.before.tables[at(&file.before)], &file.after.tables[at(&file.after)])
        };
        assert!(shared("cliente"), "a table the file does not change is shared");
        assert!(!shared("pedido"), "the table it changes is its own");
        assert_eq!(file.after.table("ventas", "pedido").unwrap().column("nota").map(|c| c.nullable), Some(true));
        assert!(file.before.table("ventas", "pedido").unwrap().column("nota").is_none(), "the lock's is untouched");
        let undo: Vec<String> = file.undo.iter().map(Change::describe).collect();
        assert_eq!(undo.len(), 1, "{undo:?}");
        assert!(
            matches!(&file.undo[0], Change::DropColumn { table, column } if table.name == "pedido" && column.name == "nota"),
            "{undo:?}"
        );
    }

    /// A schema or an enum type renamed copies only the tables that name
    /// it: its own, those with a key referencing it, those with a column
    /// of the type; every other table stays shared with the lock's.
    #[test]
    fn a_rename_copies_only_the_tables_that_name_it() {
        let dir = tempfile::tempdir().unwrap();
        let src = "model m { target postgres 16 }\ncontext ventas {\n  enum Estado native { ABIERTO, CERRADO }\n  aggregate Cliente {\n    nombre: text(100)\n    estado: Estado\n  }\n}\ncontext catalogo {\n  aggregate Producto {\n    titulo: text(100)\n  }\n  aggregate Oferta {\n    cliente: ref ventas.Cliente\n  }\n}\n";
        let (_, old) = lowered(dir.path(), "m.ddd", src);
        let at = |s: &Schema, name: &str| s.tables.iter().position(|t| t.name == name).expect(name);
        let shared = |new: &Schema, name: &str| Arc::ptr_eq(&old.tables[at(&old, name)], &new.tables[at(new, name)]);
        let table = |new: &Schema, name: &str| new.tables[at(new, name)].clone();
        let renamed =
            super::super::apply::apply(&old, &[Change::RenameSchema { from: "ventas".into(), to: "comercio".into() }]);
        assert!(shared(&renamed, "producto"), "a table that does not name the schema is shared");
        assert!(!shared(&renamed, "cliente") && !shared(&renamed, "oferta"));
        assert_eq!(table(&renamed, "cliente").schema, "comercio");
        assert!(table(&renamed, "oferta").foreign_keys.iter().all(|fk| fk.ref_schema == "comercio"));
        let ty = |new: &Schema| table(new, "cliente").column("estado").map(|c| c.ty.clone());
        assert_eq!(ty(&renamed), Some(ColumnType::Enum { schema: "comercio".into(), name: "estado".into() }));
        assert_eq!(table(&old, "cliente").schema, "ventas", "the lock's is untouched");
        let retyped = super::super::apply::apply(
            &old,
            &[Change::RenameType { schema: "ventas".into(), from: "estado".into(), to: "situacion".into() }],
        );
        assert!(shared(&retyped, "producto") && shared(&retyped, "oferta") && !shared(&retyped, "cliente"));
        assert_eq!(ty(&retyped), Some(ColumnType::Enum { schema: "ventas".into(), name: "situacion".into() }));
        assert_eq!(ty(&old), Some(ColumnType::Enum { schema: "ventas".into(), name: "estado".into() }));
    }

    fn planned_kinds(p: &Planned<'_>) -> Vec<FileKind> {
        p.files.iter().map(|f| f.kind).collect()
    }

    /// [`order_value_updates`] as it was, a move per update (quadratic),
    /// to compare the one pass with.
    fn order_value_updates_plainly(changes: &mut Vec<Change>) {
        let updates: Vec<Change> =
            changes.iter().filter(|c| matches!(c, Change::UpdateEnumValue { .. })).cloned().collect();
        for u in updates {
            let Change::UpdateEnumValue { table, column, .. } = &u else { continue };
            let narrowing = changes.iter().position(|c| {
                matches!(c, Change::AlterColumnType { table: t, column: col, from, to, .. }
                    if t == table && col == column && matches!(type_change(from, to), TypeChange::Narrowing))
            });
            if let Some(at) = narrowing {
                changes.retain(|c| *c != u);
                changes.insert(at.min(changes.len()), u);
            }
        }
    }

    #[test]
    fn value_updates_move_before_their_columns_first_narrowing() {
        let t = |name: &str| TableRef { schema: "s".into(), name: name.into() };
        let alter = |table: &str, column: &str, from: u32, to: u32| Change::AlterColumnType {
            table: t(table),
            column: column.into(),
            from: ColumnType::Varchar(from),
            to: ColumnType::Varchar(to),
            default: None,
            lossy: to < from,
        };
        let update = |table: &str, column: &str, from: &str| Change::UpdateEnumValue {
            table: t(table),
            column: column.into(),
            from: from.into(),
            to: "X".into(),
            batch: None,
        };
        // As a plan sorts them: type changes before the updates.
        let once = vec![
            alter("a", "estado", 6, 8),
            alter("b", "estado", 8, 6),
            Change::DropNotNull { table: t("c"), column: "x".into() },
            alter("a", "estado", 8, 6),
            alter("b", "estado", 6, 4),
            update("a", "estado", "BAJA"),
            update("c", "estado", "BAJA"),
            update("b", "estado", "BAJA"),
            update("a", "estado", "ALTA"),
            update("a", "otro", "BAJA"),
        ];
        // The one pass gives what the move per update gave.
        let (mut fast, mut plain) = (once.clone(), once.clone());
        order_value_updates(&mut fast);
        order_value_updates_plainly(&mut plain);
        assert_eq!(fast, plain);
        // An update given twice (no plan makes one) lands once, before the
        // narrowing (the old way moved it behind the narrowing the second
        // time).
        let mut fast = once;
        fast.insert(9, update("a", "estado", "BAJA"));
        order_value_updates(&mut fast);
        // The updates of `a.estado` (once each) before its narrowing, not
        // before its widening; `b`'s before its first narrowing; the rest
        // where they were.
        assert_eq!(
            fast,
            vec![
                alter("a", "estado", 6, 8),
                update("b", "estado", "BAJA"),
                alter("b", "estado", 8, 6),
                Change::DropNotNull { table: t("c"), column: "x".into() },
                update("a", "estado", "BAJA"),
                update("a", "estado", "ALTA"),
                alter("a", "estado", 8, 6),
                alter("b", "estado", 6, 4),
                update("c", "estado", "BAJA"),
                update("a", "otro", "BAJA"),
            ]
        );
    }
}
