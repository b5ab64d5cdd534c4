//! Renames, never guessed: only `@was(old)` says that something was called
//! otherwise. The model is lowered a second time under its old names; the
//! two schemas are parallel (lowering depends on names only for names), so
//! pairing them object by object tells, for every generated name too
//! (constraints, indexes, triggers, partitions), what it was called.

use super::change::{Change, TableRef};
use crate::diagnostics::codes::id;
use crate::diagnostics::{Diagnostic, Span};
use crate::model::{Entity, FieldType, Identity, Model};
use crate::relational::{Schema, Table};

/// The model with every `@was` undone: each renamed declaration under its
/// previous name.
pub fn previous_names(model: &Model) -> Model {
    renamed_back(model).unwrap_or_else(|| model.clone())
}

/// [`previous_names`], or `None` when the model has no `@was` (it is then
/// its own previous self, and need not be lowered again).
pub fn renamed_back(model: &Model) -> Option<Model> {
    // Most builds have no `@was`: say so without cloning the model (the
    // clone was two thirds of planning an unchanged 2,000-aggregate model).
    if !has_was(model) {
        debug_assert!(undo_renames(model).is_none(), "has_was missed an @was");
        return None;
    }
    undo_renames(model)
}

/// Whether any declaration of the model has an `@was`: what
/// [`undo_renames`] undoes.
fn has_was(model: &Model) -> bool {
    fn entity(e: &Entity) -> bool {
        e.was.is_some() || e.fields.iter().any(|f| f.was.is_some()) || e.entities.iter().any(entity)
    }
    let value_fields = |v: &crate::model::ValueObject| match &v.shape {
        crate::model::ValueShape::Fields { fields, .. } => fields.iter().any(|f| f.was.is_some()),
        _ => false,
    };
    model.contexts.iter().any(|c| c.was.is_some())
        || model.enums.iter().any(|e| e.was.is_some() || e.values.iter().any(|v| v.was.is_some()))
        || model.aggregates.iter().any(|a| entity(&a.root))
        || model.values.iter().any(value_fields)
}

fn undo_renames(model: &Model) -> Option<Model> {
    let mut changed = false;
    let mut m = model.clone();
    for c in &mut m.contexts {
        if let Some(w) = &c.was {
            c.name = w.name.clone();
            changed = true;
        }
    }
    for e in &mut m.enums {
        if let Some(w) = &e.was {
            e.name = w.name.clone();
            changed = true;
        }
        for v in &mut e.values {
            if let Some(w) = &v.was {
                v.name = w.name.clone();
                changed = true;
            }
        }
    }
    // Values of native enums also appear in expressions (`estado == ACTIVO`);
    // PostgreSQL stores them by oid, so checks and index predicates follow a
    // renamed value. Values of CHECK-based enums are strings: their checks
    // are swapped instead.
    let value_renames: Vec<(crate::model::EnumId, String, String)> = model
        .enums
        .iter()
        .enumerate()
        .filter(|(_, e)| e.native)
        .flat_map(|(i, e)| {
            e.values
                .iter()
                .filter_map(move |v| v.was.as_ref().map(|w| (crate::model::EnumId(i), v.name.clone(), w.name.clone())))
        })
        .collect();
    for a in &mut m.aggregates {
        if let Some(w) = &a.root.was {
            a.name = w.name.clone();
        }
        changed |= rename_entity(&mut a.root, &value_renames);
    }
    for v in &mut m.values {
        if let crate::model::ValueShape::Fields { fields, invariants } = &mut v.shape {
            for f in fields {
                changed |= rename_field(f);
            }
            for i in invariants {
                rename_values(&mut i.expr, &value_renames);
            }
        }
    }
    changed.then_some(m)
}

/// Undoes the `@was` of an entity, its fields and its children; whether
/// there was any.
fn rename_entity(e: &mut Entity, values: &[(crate::model::EnumId, String, String)]) -> bool {
    let mut changed = false;
    if let Some(w) = &e.was {
        e.name = w.name.clone();
        changed = true;
    }
    // Columns named in expressions follow their field's old name.
    let mut columns: Vec<(String, String)> = Vec::new();
    for f in &mut e.fields {
        let new_column = f.column.clone();
        changed |= rename_field(f);
        if f.column != new_column {
            columns.push((new_column, f.column.clone()));
        }
        if let Some(d) = &mut f.default {
            rename_values(d, values);
        }
    }
    let old_column = |c: &str| -> String {
        for (new, old) in &columns {
            if c == new {
                return old.clone();
            }
            if let Some(rest) = c.strip_prefix(&format!("{new}_")) {
                return format!("{old}_{rest}");
            }
        }
        c.to_string()
    };
    for i in &mut e.invariants {
        rename_values(&mut i.expr, values);
    }
    for ix in &mut e.indexes {
        if let Some(w) = &mut ix.where_clause {
            rename_values(w, values);
        }
    }
    let rename_columns = |x: &mut crate::model::TExpr| rename_columns(x, &old_column);
    for i in &mut e.invariants {
        rename_columns(&mut i.expr);
    }
    for ix in &mut e.indexes {
        for item in &mut ix.items {
            rename_columns(item);
        }
        if let Some(w) = &mut ix.where_clause {
            rename_columns(w);
        }
    }
    if let Some(s) = &mut e.search {
        for (c, _) in &mut s.items {
            *c = old_column(c);
        }
    }
    if let Identity::Natural(cols) = &mut e.identity {
        for c in cols {
            *c = old_column(c);
        }
    }
    // Names used in expressions are columns, renamed by the database along
    // with the column; enum values inside them are data, renamed here.

    for c in &mut e.entities {
        changed |= rename_entity(c, values);
    }
    changed
}

fn rename_columns(e: &mut crate::model::TExpr, old: &dyn Fn(&str) -> String) {
    use crate::model::TExprKind as K;
    e.walk_mut(&mut |x| match &mut x.kind {
        K::Column(c) => *c = old(c),
        K::Columns(cs) => cs.iter_mut().for_each(|c| *c = old(c)),
        _ => {}
    });
}

/// Undoes a field's `@was`; whether it had one.
fn rename_field(f: &mut crate::model::Field) -> bool {
    let Some(w) = &f.was else { return false };
    if !f.column_explicit {
        f.column = match &f.ty {
            FieldType::Ref(r) if r.key.len() == 1 => format!("{}_id", w.name),
            _ => w.name.clone(),
        };
    }
    f.name = w.name.clone();
    true
}

fn rename_values(e: &mut crate::model::TExpr, values: &[(crate::model::EnumId, String, String)]) {
    e.walk_mut(&mut |x| {
        if let crate::model::TExprKind::EnumValue { enum_id, value } = &mut x.kind {
            if let Some((_, _, old)) = values.iter().find(|(id, new, _)| id == enum_id && new == value) {
                *value = old.clone();
            }
        }
    });
}

/// The lock's schema with the model's renames applied, the rename changes,
/// and warnings for `@was` that rename nothing.
pub struct Renamed {
    pub schema: Schema,
    pub changes: Vec<Change>,
    pub warnings: Vec<Diagnostic>,
}

/// `new` is the model's schema, `was` the same model lowered under its old
/// names, `lock` the schema the database has.
pub fn apply_renames(lock: &Schema, new: &Schema, was: &Schema, model: &Model) -> Renamed {
    let mut s = lock.clone();
    let mut changes = Vec::new();
    let mut warnings = Vec::new();
    // Each change applied in place: a copy of the schema per change made a
    // rename of every aggregate quadratic (2,000 of them: 36,525 changes,
    // four minutes).
    let mut places = super::apply::Places::default();
    let mut push = |s: &mut Schema, c: Change| {
        super::apply::apply_one(s, &mut places, &c);
        changes.push(c);
    };
    // Contexts.
    for (n, w) in new.schemas.iter().zip(&was.schemas) {
        if n.name != w.name && s.schemas.iter().any(|x| x.name == w.name) && !s.schemas.iter().any(|x| x.name == n.name)
        {
            push(&mut s, Change::RenameSchema { from: w.name.clone(), to: n.name.clone() });
        }
    }
    // Enum types and their values. Where each type is, by its current
    // name (the contexts are renamed by now): a search of every type for
    // each value made a model of many enums with one `@was` anywhere
    // grow with types² × values.
    // (Every type of a name, as the scan found them: a rename renames
    // each type of its old name. A rename onto a name the lock has is not
    // made, below, so each list holds one type in practice.)
    let mut type_at: std::collections::HashMap<(String, String), Vec<usize>> = std::collections::HashMap::new();
    for (i, x) in s.enum_types.iter().enumerate() {
        type_at.entry((x.schema.clone(), x.name.clone())).or_default().push(i);
    }
    for (n, w) in new.enum_types.iter().zip(&was.enum_types) {
        let key = |name: &str| (n.schema.clone(), name.to_string());
        // Not onto a name the lock still has (a type this edit removes):
        // as for tables, the type is then made anew and the old one goes,
        // which the plan refuses or asks `--allow-destructive` for. The
        // rename was written, guarded, and skipped by PostgreSQL, and its
        // values and defaults then failed against the old type.
        if n.name != w.name && type_at.contains_key(&key(&w.name)) && !type_at.contains_key(&key(&n.name)) {
            push(&mut s, Change::RenameType { schema: n.schema.clone(), from: w.name.clone(), to: n.name.clone() });
            if let Some(renamed) = type_at.remove(&key(&w.name)) {
                type_at.entry(key(&n.name)).or_default().extend(renamed);
            }
        }
        for (nv, wv) in n.values.iter().zip(&w.values) {
            if nv == wv {
                continue;
            }
            let has_old =
                type_at.get(&key(&n.name)).is_some_and(|at| at.iter().any(|&i| s.enum_types[i].values.contains(wv)));
            if has_old {
                push(
                    &mut s,
                    Change::RenameEnumValue {
                        schema: n.schema.clone(),
                        type_name: n.name.clone(),
                        from: wv.clone(),
                        to: nv.clone(),
                    },
                );
            }
        }
    }
    // Tables, then what is inside them. Where each table is, by its current
    // name (a renamed table keeps its place): a search of every table for
    // each made a rename of a column of every aggregate quadratic.
    let mut at: std::collections::HashMap<(String, String), usize> = std::collections::HashMap::new();
    for (i, t) in s.tables.iter().enumerate() {
        at.entry((t.schema.clone(), t.name.clone())).or_insert(i);
    }
    for (n, w) in new.tables.iter().zip(&was.tables) {
        let key = |name: &str| (n.schema.clone(), name.to_string());
        if n.name != w.name && at.contains_key(&key(&w.name)) && !at.contains_key(&key(&n.name)) {
            push(&mut s, Change::RenameTable { schema: n.schema.clone(), from: w.name.clone(), to: n.name.clone() });
            if let Some(i) = at.remove(&key(&w.name)) {
                at.insert(key(&n.name), i);
            }
        }
        let Some(&pos) = at.get(&key(&n.name)) else { continue };
        let current = s.tables[pos].clone();
        let r = TableRef::of(n);
        for (nc, wc) in n.columns.iter().zip(&w.columns) {
            if nc.name != wc.name && current.column(&wc.name).is_some() && current.column(&nc.name).is_none() {
                push(&mut s, Change::RenameColumn { table: r.clone(), from: wc.name.clone(), to: nc.name.clone() });
            }
        }
        rename_inner(&mut s, &mut push, n, w, &r, pos);
        follow_columns(&mut s, n, w, pos);
        // CHECK-based enum values renamed: the rows follow.
        for (nc, wc) in n.checks.iter().zip(&w.checks) {
            if let (Some((col, nv)), Some((_, wv))) = (nc.enum_values(), wc.enum_values()) {
                for (a, b) in nv.iter().zip(wv) {
                    // Only a renamed value is looked for (a scan of every
                    // check per value grew with the square of an enum).
                    if a != b && current.checks.iter().any(|c| c.enum_values().is_some_and(|(_, v)| v.contains(b))) {
                        push(
                            &mut s,
                            Change::UpdateEnumValue {
                                table: r.clone(),
                                column: col.to_string(),
                                from: b.clone(),
                                to: a.clone(),
                                batch: None,
                            },
                        );
                    }
                }
            }
        }
    }
    // `@was` that names nothing in the lock.
    stale(model, new, was, lock, &mut warnings);
    Renamed { schema: s, changes, warnings }
}

/// PostgreSQL rewrites checks, indexes, generated columns and policies when a
/// column they use is renamed. Where the lock's object is the old-named
/// version of the model's, it becomes the model's. `at`: the table's
/// position in `s`.
fn follow_columns(s: &mut Schema, n: &Table, w: &Table, at: usize) {
    let t = std::sync::Arc::make_mut(&mut s.tables[at]);
    for (nc, wc) in n.checks.iter().zip(&w.checks) {
        // An enum check whose values were renamed is swapped, not followed:
        // PostgreSQL renames columns inside checks, not values.
        if nc.enum_values().map(|(_, v)| v) != wc.enum_values().map(|(_, v)| v) {
            continue;
        }
        if let Some(c) = t.checks.iter_mut().find(|c| c.name == nc.name && c.expr == wc.expr) {
            c.expr = nc.expr.clone();
            c.source = nc.source.clone();
        }
    }
    for (ni, wi) in n.indexes.iter().zip(&w.indexes) {
        if let Some(i) =
            t.indexes.iter_mut().find(|i| i.name == ni.name && i.items == wi.items && i.predicate == wi.predicate)
        {
            i.items = ni.items.clone();
            i.predicate = ni.predicate.clone();
        }
    }
    for (ncol, wcol) in n.columns.iter().zip(&w.columns) {
        if let Some(c) = t.columns.iter_mut().find(|c| c.name == ncol.name && c.generated == wcol.generated) {
            c.generated = ncol.generated.clone();
        }
    }
    for (np, wp) in n.policies.iter().zip(&w.policies) {
        if let Some(p) =
            t.policies.iter_mut().find(|p| p.name == np.name && p.using == wp.using && p.with_check == wp.with_check)
        {
            p.using = np.using.clone();
            p.with_check = np.with_check.clone();
        }
    }
}

/// Generated names inside a table: where the object is unchanged but for
/// the rename, the database keeps it and only its name changes. `at`: the
/// table's position in `s`.
fn rename_inner(
    s: &mut Schema,
    push: &mut impl FnMut(&mut Schema, Change),
    n: &Table,
    w: &Table,
    r: &TableRef,
    at: usize,
) {
    let current = s.tables[at].clone();
    let constraint_exists = |t: &Table, name: &str| {
        t.primary_key.as_ref().is_some_and(|p| p.name == name)
            || t.uniques.iter().any(|u| u.name == name)
            || t.checks.iter().any(|c| c.name == name)
            || t.foreign_keys.iter().any(|f| f.name == name)
    };
    let mut pairs: Vec<(String, String, bool)> = Vec::new(); // (old, new, is_index)
    if let (Some(np), Some(wp)) = (&n.primary_key, &w.primary_key) {
        pairs.push((wp.name.clone(), np.name.clone(), false));
    }
    pairs.extend(n.uniques.iter().zip(&w.uniques).map(|(a, b)| (b.name.clone(), a.name.clone(), false)));
    pairs.extend(n.checks.iter().zip(&w.checks).map(|(a, b)| (b.name.clone(), a.name.clone(), false)));
    pairs.extend(n.foreign_keys.iter().zip(&w.foreign_keys).map(|(a, b)| (b.name.clone(), a.name.clone(), false)));
    pairs.extend(n.indexes.iter().zip(&w.indexes).map(|(a, b)| (b.name.clone(), a.name.clone(), true)));
    if let (Some(np), Some(wp)) = (&n.partitioning, &w.partitioning) {
        pairs.extend(np.partitions.iter().zip(&wp.partitions).map(|(a, b)| (b.name.clone(), a.name.clone(), true)));
    }
    for (old, new, is_index) in pairs {
        if old == new {
            continue;
        }
        if is_index {
            let exists = |t: &Table, name: &str| {
                t.indexes.iter().any(|i| i.name == name)
                    || t.partitioning.as_ref().is_some_and(|p| p.partitions.iter().any(|x| x.name == name))
            };
            if exists(&current, &old) && !exists(&current, &new) {
                push(s, Change::RenameIndex { schema: r.schema.clone(), from: old, to: new });
            }
        } else if constraint_exists(&current, &old) && !constraint_exists(&current, &new) {
            push(s, Change::RenameConstraint { table: r.clone(), from: old, to: new });
        }
    }
    for (a, b) in n.triggers.iter().zip(&w.triggers) {
        if a.name != b.name && current.triggers.iter().any(|t| t.name == b.name) {
            push(s, Change::RenameTrigger { table: r.clone(), from: b.name.clone(), to: a.name.clone() });
        }
    }
}

fn stale(model: &Model, new: &Schema, was: &Schema, lock: &Schema, warnings: &mut Vec<Diagnostic>) {
    let mut warn = |span: Span, what: &str, old: &str| {
        warnings.push(
            Diagnostic::warning(id::W0002, format!("`@was({old})` renames nothing"))
                .at(span, format!("the last migration has no {what} `{old}`"))
                .with_help("remove `@was` once the migration that renamed it has been generated"),
        );
    };
    for c in &model.contexts {
        if let Some(w) = &c.was {
            if !lock.schemas.iter().any(|s| s.name == w.name) {
                warn(w.span, "context", &w.name);
            }
        }
    }
    let lock = lock.index();
    for (n, w) in new.tables.iter().zip(&was.tables) {
        let old_table = lock.table(&w.schema, &w.name).or_else(|| lock.table(&n.schema, &w.name));
        if n.name != w.name && old_table.is_none() {
            let span = if n.origin.0 == Span::default() { w.origin.0 } else { n.origin.0 };
            warn(span, "table", &w.name);
        }
        let lock_table = old_table.or_else(|| lock.table(&n.schema, &n.name));
        for (nc, wc) in n.columns.iter().zip(&w.columns) {
            if nc.name != wc.name {
                let known = lock_table.is_some_and(|t| t.column(&wc.name).is_some());
                if !known && lock_table.is_some() {
                    warn(nc.origin.0, "column", &wc.name);
                }
            }
        }
    }
}
