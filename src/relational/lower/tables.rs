//! Aggregate roots and entities: identity, tenant, parent link, fields,
//! references, full-text search, timestamps, soft delete, invariants.

use super::builder::{columns, TableBuilder};
use super::{column_type, Lowerer, TIMESTAMP_FN, UUID_V7_FN};
use crate::model::{self, identity_columns, link_columns, Aggregate, Entity, FieldType, Identity, TExpr, TExprKind};
use crate::relational::names::{cols_part, fit, table_name};
use crate::relational::*;
use crate::sql::expr::{literal_sql, render, Columns};
use crate::sql::fragments;

impl<'a> Lowerer<'a> {
    pub(super) fn aggregate(&mut self, a: &'a Aggregate) {
        let ctx = self.model.contexts[a.context.0].name.clone();
        let name = self.table_of(a);
        self.entity(a, &a.root, &ctx, name.clone(), None, true);
        if let Some(ev) = &a.events {
            self.events_table(a, ev, &ctx, &name);
        }
    }

    /// About how many columns the table of `e` has, to size its list at
    /// once: its fields, a value object's as many as it embeds (the count
    /// the model checks against PostgreSQL's limit), and the key, tenant,
    /// parent link, timestamps and deletion mark a table may add. A column
    /// is 264 bytes; grown by doubling, the 19 of a table of the
    /// 2,000-aggregate model were copied about one and a half times each,
    /// into 32 places.
    fn columns_about(&self, e: &Entity) -> usize {
        let width = |f: &model::Field| match f.ty {
            FieldType::Value(v) => self.value_columns.get(v.0).copied().unwrap_or(1),
            FieldType::ValueList(_) => 0,
            _ => 1,
        };
        let fields = e.fields.iter().fold(0u64, |n, f| n.saturating_add(width(f)));
        // The model refuses a table past the limit before lowering.
        fields.min(model::MAX_TABLE_COLUMNS) as usize + 6
    }

    /// The table of an aggregate root (`parent` is `None`) or an entity, then
    /// its lists' element tables and its child entities.
    fn entity(
        &mut self,
        a: &'a Aggregate,
        e: &'a Entity,
        ctx: &str,
        name: String,
        parent: Option<(&'a Entity, &str)>,
        root: bool,
    ) {
        self.check_table_name(&name, e.span);
        let kind = if root { TableKind::AggregateRoot } else { TableKind::Entity };
        let mut b = TableBuilder::new(ctx, &name, kind, e.span);
        b.t.columns.reserve(self.columns_about(e));
        b.t.comment = e.doc.clone();
        b.t.aggregate = Some(format!("{ctx}.{}", a.name));
        b.soft_delete = root && a.soft_delete;
        b.tenant = a.tenant.clone();
        let pk_cols = self.identity(&mut b, e);
        if let Some(t) = &a.tenant {
            b.column(t, ColumnType::Uuid, false, e.span).source = Some(ColumnSource::Tenant);
        }
        let mut parent_index = None;
        if let Some((p, parent_table)) = parent {
            let cols = self.link_columns_to(&mut b, p, ColumnSource::Parent { entity: p.name.clone() }, e.span);
            let fk_cols = self.owned_by(&mut b, &cols, p, parent_table, e.span);
            if e.one {
                b.unique(cols.clone(), None, None, e.span);
            }
            parent_index = b.fk_index(fk_cols, e.span);
        }
        let mut lists = Vec::new();
        // In the order written: with a natural key, a field `id` is an
        // ordinary field the resolver adds after the others (it knows only
        // at the end that no identity takes the name), and its column went
        // last (an imported `id` + `key (id)` table had it so).
        let mut fields: Vec<&model::Field> = e.fields.iter().collect();
        if matches!(e.identity, Identity::Natural(_)) {
            fields.sort_by_key(|f| (f.span.file, f.span.start));
        }
        for f in fields {
            self.field(&mut b, f, &mut lists);
        }
        if let Some(s) = &e.search {
            search(&mut b, s, &name);
        }
        if e.timestamps {
            for c in ["created_at", "updated_at"] {
                let col = b.column(c, ColumnType::Timestamptz, false, e.span);
                col.default = Some("CURRENT_TIMESTAMP".into());
                col.source = Some(ColumnSource::Timestamps);
            }
            b.t.triggers.push(Trigger {
                name: fit(&format!("{name}_updated_at")),
                timing: TriggerTiming::Before,
                events: vec![TriggerEvent::Update],
                function: FunctionCall { schema: "public".into(), name: TIMESTAMP_FN.into(), args: Vec::new() },
            });
        }
        if root && a.soft_delete {
            b.column("deleted_at", ColumnType::Timestamptz, true, e.span).source = Some(ColumnSource::SoftDelete);
        }
        // Primary key (with the partition key, as PostgreSQL requires). A
        // key the application supplies (a natural key, an `id: text`) is
        // unique per tenant: the tenant column leads it, or one tenant
        // could not use a key another holds (and the error would tell it
        // that the other has it).
        let mut pk = pk_cols;
        if let (Some(t), true) = (&a.tenant, e.identity.is_supplied()) {
            pk.insert(0, t.clone());
        }
        if let Some(p) = a.partition.as_ref().filter(|_| root) {
            if !pk.contains(&p.column) {
                pk.push(p.column.clone());
            }
        }
        b.t.primary_key = Some(PrimaryKey { name: fit(&format!("{name}_pkey")), columns: pk });
        for inv in &e.invariants {
            let cname = inv.constraint_name.clone().unwrap_or_else(|| format!("{name}_{}", inv.name));
            let source = CheckSource::Invariant { source: inv.source.clone() };
            b.check(cname, render(&inv.expr, &Columns::PLAIN), source, inv.doc.clone(), inv.span);
        }
        for ix in &e.indexes {
            self.index(&mut b, ix);
        }
        // Entity links and declared indexes are in: now the references'.
        self.reference_indexes(&mut b, e);
        if let Some(name) = parent_index {
            b.drop_fk_index_if_covered(&name);
        }
        if a.audited {
            self.audit_trigger(&mut b, e, ctx);
        }
        if let Some(t) = &a.tenant {
            b.tenant_policy(t);
        }
        if let Some(p) = a.partition.as_ref().filter(|_| root) {
            b.t.partitioning = Some(self.partitioning(&name, p));
        }
        self.push_table(b.t);
        for (f, vid) in lists {
            self.list_table(a, e, ctx, &name, f, vid);
        }
        for child in &e.entities {
            let child_name = child
                .table_as
                .clone()
                .unwrap_or_else(|| format!("{name}_{}", table_name(&child.name, self.model.tables)));
            self.entity(a, child, ctx, child_name, Some((e, &name)), false);
        }
    }

    /// The identity columns; returns the primary key's columns.
    fn identity(&mut self, b: &mut TableBuilder, e: &Entity) -> Vec<String> {
        match &e.identity {
            Identity::Uuid => {
                b.column("id", ColumnType::Uuid, false, e.span).default = Some("gen_random_uuid()".into());
                vec!["id".into()]
            }
            Identity::UuidV7 => {
                let f = if self.model.target >= 18 {
                    "uuidv7()".to_string()
                } else {
                    self.uses_v7_function = true;
                    format!("public.{UUID_V7_FN}()")
                };
                b.column("id", ColumnType::Uuid, false, e.span).default = Some(f);
                vec!["id".into()]
            }
            Identity::Identity(s) => {
                b.column("id", column_type(*s), false, e.span).identity = true;
                vec!["id".into()]
            }
            Identity::Supplied(s) => {
                b.column("id", column_type(*s), false, e.span);
                vec!["id".into()]
            }
            Identity::Natural(cols) => cols.clone(),
        }
    }

    /// Adds the columns that point at `parent`'s rows (`<parent>_id`, or one
    /// per part of a composite key) and returns their names.
    pub(super) fn link_columns_to(
        &self,
        b: &mut TableBuilder,
        parent: &Entity,
        source: ColumnSource,
        origin: Span,
    ) -> Vec<String> {
        let key = identity_columns(self.model, parent);
        let links = link_columns(&parent.name, &key);
        for (col, k) in &links {
            let ty = self.key_type(k);
            b.column(col, ty, false, origin).source = Some(source.clone());
        }
        links.into_iter().map(|(c, _)| c).collect()
    }

    /// The foreign key of a table whose rows belong to `parent`'s (an
    /// entity, a list's elements): they go with it, and follow its key.
    /// In a tenant-scoped aggregate the tenant column is part of it, so that
    /// a row can only belong to a parent of its own tenant. Returns the
    /// foreign key's columns.
    pub(super) fn owned_by(
        &mut self,
        b: &mut TableBuilder,
        cols: &[String],
        parent: &Entity,
        parent_table: &str,
        origin: Span,
    ) -> Vec<String> {
        let key: Vec<String> = identity_columns(self.model, parent).into_iter().map(|k| k.column).collect();
        let (columns, ref_columns) = match &b.tenant {
            Some(t) => {
                let ref_columns: Vec<String> = std::iter::once(t.clone()).chain(key).collect();
                self.tenant_keys.push((b.t.schema.clone(), parent_table.to_string(), ref_columns.clone()));
                (std::iter::once(t.clone()).chain(cols.iter().cloned()).collect(), ref_columns)
            }
            None => (cols.to_vec(), key),
        };
        b.t.foreign_keys.push(ForeignKey {
            name: fit(&format!("fk_{}_{}", b.t.name, cols_part(cols))),
            columns: columns.clone(),
            ref_schema: b.t.schema.clone(),
            ref_table: parent_table.to_string(),
            ref_columns,
            on_delete: FkAction::Cascade,
            on_update: FkAction::Cascade,
            on_delete_columns: Vec::new(),
            origin: origin.into(),
        });
        columns
    }

    /// The tenant columns of a reference from a table scoped by `source` to
    /// `target`: both, when both aggregates are tenant-scoped and the
    /// reference has a foreign key.
    fn tenant_pair(&self, source: &Option<String>, r: &model::Ref) -> Option<(String, String)> {
        let target = self.model.aggregates[r.target.0].tenant.clone();
        match (source, target) {
            (Some(s), Some(t)) if !r.loose => Some((s.clone(), t)),
            _ => None,
        }
    }

    /// One field's columns, checks and constraints. Value-object lists are
    /// collected for tables of their own.
    fn field(
        &mut self,
        b: &mut TableBuilder,
        f: &'a model::Field,
        lists: &mut Vec<(&'a model::Field, model::ValueId)>,
    ) {
        match &f.ty {
            FieldType::Ref(r) => {
                let names = self.reference(b, f, r);
                self.modifiers(b, f, names);
            }
            FieldType::ValueList(v) => lists.push((f, *v)),
            _ => {
                let cols = self.embed(b, f, "", "", false);
                self.modifiers(b, f, cols);
            }
        }
    }

    /// A reference's columns and foreign key; returns the columns.
    fn reference(&mut self, b: &mut TableBuilder, f: &model::Field, r: &model::Ref) -> Vec<String> {
        let target = &self.model.aggregates[r.target.0];
        let target_table = self.table_of(target);
        let target_ctx = self.model.contexts[target.context.0].name.clone();
        let cols = f.ref_columns();
        let backfill = f.backfill.as_ref().map(|x| render(x, &Columns::PLAIN));
        for (c, k) in &cols {
            let ty = self.key_type(k);
            let col = b.column(c, ty, f.nullable, f.span);
            col.comment = f.doc.clone();
            col.source = Some(ColumnSource::Reference { context: target_ctx.clone(), aggregate: target.name.clone() });
            col.backfill = Backfill(backfill.clone());
        }
        let names: Vec<String> = cols.iter().map(|(c, _)| c.clone()).collect();
        if r.loose {
            return names;
        }
        let mut columns = names.clone();
        let mut ref_columns: Vec<String> = cols.iter().map(|(_, k)| k.column.clone()).collect();
        let mut on_delete_columns = Vec::new();
        // Between two tenant-scoped aggregates the key includes the tenant:
        // a row can only reference its own tenant's.
        if let Some((source, target_tenant)) = self.tenant_pair(&b.tenant, r) {
            columns.insert(0, source);
            ref_columns.insert(0, target_tenant);
            self.tenant_keys.push((target_ctx.clone(), target_table.clone(), ref_columns.clone()));
            if matches!(fk_action(r.on_delete), FkAction::SetNull | FkAction::SetDefault) {
                on_delete_columns = names.clone();
            }
        }
        let t = b.t.name.clone();
        b.t.foreign_keys.push(ForeignKey {
            name: f
                .name_override
                .clone()
                .filter(|_| !f.unique)
                .unwrap_or_else(|| fit(&format!("fk_{t}_{}", cols_part(&names)))),
            columns,
            ref_schema: target_ctx,
            ref_table: target_table,
            ref_columns,
            on_delete: fk_action(r.on_delete),
            on_update: fk_action(r.on_update),
            on_delete_columns,
            origin: f.span.into(),
        });
        names
    }

    /// `unique` and `indexed` on a field.
    pub(super) fn modifiers(&mut self, b: &mut TableBuilder, f: &model::Field, cols: Vec<String>) {
        if f.unique {
            b.unique(cols.clone(), f.name_override.clone(), None, f.span);
        }
        if f.indexed {
            b.plain_index(cols, IndexMethod::Btree, true, f.span);
        }
    }

    pub(super) fn default_sql(&self, d: &TExpr, ty: &FieldType) -> String {
        match (&d.kind, ty) {
            (TExprKind::Literal(crate::model::Literal::EmptyArray), FieldType::Array(_)) => "'{}'".into(),
            (TExprKind::Literal(l), _) => literal_sql(l),
            _ => render(d, &Columns::PLAIN),
        }
    }

    /// Every foreign key's columns get an index (the seed's "FK without
    /// index" cannot happen). FK indexes are never partial: the referential
    /// checks of deletes in the target scan every row.
    fn reference_indexes(&mut self, b: &mut TableBuilder, e: &Entity) {
        for f in &e.fields {
            if let FieldType::Ref(r) = &f.ty {
                let mut cols: Vec<String> = f.ref_columns().into_iter().map(|(c, _)| c).collect();
                if let Some((source, _)) = self.tenant_pair(&b.tenant, r) {
                    cols.insert(0, source);
                } else if r.loose {
                    // No foreign key to serve: the index serves the
                    // application's lookups, which row-level security
                    // always filters by tenant (§9.4: it leads every index).
                    cols = b.with_tenant(cols);
                }
                b.fk_index(cols, f.span);
            }
        }
    }
}

/// The stored `search_vector` column and its GIN index.
fn search(b: &mut TableBuilder, s: &model::Search, table: &str) {
    let col = b.column("search_vector", ColumnType::Tsvector, true, s.span);
    col.generated = Some(fragments::search_vector(&s.config, &s.items));
    col.depends_on = s.items.iter().map(|(c, _)| c.clone()).collect();
    col.source = Some(ColumnSource::Search { config: s.config.clone() });
    b.push_index(Index {
        name: fit(&format!("idx_{table}_search_vector_gin")),
        unique: false,
        method: IndexMethod::Gin,
        items: columns(&["search_vector".to_string()]),
        predicate: None,
        comment: None,
        origin: s.span.into(),
    });
}

pub(super) fn fk_action(a: model::RefAction) -> FkAction {
    use model::RefAction;
    match a {
        RefAction::Restrict => FkAction::Restrict,
        RefAction::Cascade => FkAction::Cascade,
        RefAction::SetNull => FkAction::SetNull,
        RefAction::SetDefault => FkAction::SetDefault,
        RefAction::NoAction => FkAction::NoAction,
    }
}
