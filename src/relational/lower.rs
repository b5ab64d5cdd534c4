//! Lowering: domain model → relational schema (§3–§9, §11, §13 of the
//! language reference). Each table is built column by column in a fixed
//! order: identity, tenant, parent link, fields, search vector, timestamps,
//! soft delete; then constraints, indexes, triggers and policies.

use std::collections::BTreeMap;

use super::names::{cols_part, fit, table_name};
use super::*;
use crate::diagnostics::codes::id;
use crate::diagnostics::Diagnostic;
use crate::model::{
    self, identity_columns, link_columns, Aggregate, Entity, FieldType, Identity, IndexMethod, KeyColumn, KeyType,
    Model, PartitionSpec, Scalar, TExpr, TExprKind, TableNaming, ValueShape,
};
use crate::sql::expr::{literal_sql, render, Columns};
use crate::sql::{fragments, ident, literal};

/// Lowers a validated model. Fails only on generated-name problems (E0601,
/// E0106), which the model alone cannot see.
pub fn lower(model: &Model) -> Result<Schema, Vec<Diagnostic>> {
    let mut l = Lowerer {
        model,
        schema: Schema { target: model.target, ..Schema::default() },
        diags: Vec::new(),
        tenant_keys: Vec::new(),
    };
    l.run();
    collisions(&l.schema, &mut l.diags);
    if l.diags.is_empty() {
        Ok(l.schema)
    } else {
        crate::diagnostics::sort(&mut l.diags);
        Err(l.diags)
    }
}

struct Lowerer<'a> {
    model: &'a Model,
    schema: Schema,
    diags: Vec<Diagnostic>,
    /// `(schema, table, columns)`: keys other tables reference together
    /// with the tenant column, which need a unique constraint of their own.
    tenant_keys: Vec<(String, String, Vec<String>)>,
}

const TIMESTAMP_FN: &str = "trigger_set_timestamp";
const UUID_V7_FN: &str = "uuid_generate_v7";
const AUDIT_FN: &str = "audit_row_change";

/// A table being built.
struct TableBuilder {
    t: Table,
    /// Soft delete applies: uniques and plain indexes become partial.
    soft_delete: bool,
    /// Tenant column, leading every index and unique.
    tenant: Option<String>,
}

impl TableBuilder {
    fn new(schema: &str, name: &str, kind: TableKind, origin: Span) -> Self {
        TableBuilder {
            t: Table {
                schema: schema.to_string(),
                name: name.to_string(),
                comment: None,
                kind,
                aggregate: None,
                columns: Vec::new(),
                primary_key: None,
                uniques: Vec::new(),
                checks: Vec::new(),
                foreign_keys: Vec::new(),
                indexes: Vec::new(),
                triggers: Vec::new(),
                row_level_security: false,
                policies: Vec::new(),
                partitioning: None,
                origin: origin.into(),
            },
            soft_delete: false,
            tenant: None,
        }
    }

    fn column(&mut self, name: &str, ty: &str, nullable: bool, origin: Span) -> &mut Column {
        self.t.columns.push(Column {
            name: name.to_string(),
            ty: ty.to_string(),
            nullable,
            default: None,
            identity: false,
            generated: None,
            depends_on: Vec::new(),
            comment: None,
            origin_note: None,
            origin: origin.into(),
        });
        let last = self.t.columns.len() - 1;
        &mut self.t.columns[last]
    }

    fn check(&mut self, name: String, expr: String, source: String, comment: Option<String>, origin: Span) {
        self.t.checks.push(Check { name: fit(&name), expr, source, comment, enum_values: None, origin: origin.into() });
    }

    /// Columns led by the tenant column, when there is one.
    fn with_tenant(&self, cols: Vec<String>) -> Vec<String> {
        match &self.tenant {
            Some(t) if cols.first() != Some(t) => std::iter::once(t.clone()).chain(cols).collect(),
            _ => cols,
        }
    }

    /// A unique over plain columns: a constraint, or a partial unique index
    /// under soft delete or with a condition.
    fn unique(&mut self, cols: Vec<String>, name: Option<String>, predicate: Option<String>, origin: Span) {
        let cols = self.with_tenant(cols);
        let name = name.unwrap_or_else(|| fit(&format!("uq_{}_{}", self.t.name, cols_part(&cols))));
        let predicate = self.soft_delete_predicate(predicate, false);
        if predicate.is_none() {
            self.t.uniques.push(Unique { name, columns: cols, origin: origin.into() });
        } else {
            let items = cols.iter().map(|c| ident(c)).collect();
            self.push_index(Index {
                name,
                unique: true,
                method: "btree".into(),
                items,
                predicate,
                comment: None,
                origin: origin.into(),
            });
        }
    }

    fn soft_delete_predicate(&self, predicate: Option<String>, including_deleted: bool) -> Option<String> {
        if !self.soft_delete || including_deleted {
            return predicate;
        }
        Some(match predicate {
            Some(p) => fragments::live_rows(Some(&p)),
            None => fragments::live_rows(None),
        })
    }

    /// Adds an index unless an equivalent one exists.
    fn push_index(&mut self, ix: Index) {
        let same = |o: &Index| o.items == ix.items && o.method == ix.method && o.predicate == ix.predicate;
        if let Some(existing) = self.t.indexes.iter_mut().find(|o| same(o)) {
            existing.unique |= ix.unique;
            return;
        }
        self.t.indexes.push(ix);
    }

    /// An index on plain columns (`btree` unless said).
    fn plain_index(&mut self, cols: Vec<String>, method: &str, partial: bool, origin: Span) {
        let cols = if method == "btree" { self.with_tenant(cols) } else { cols };
        if self.covered(&cols) {
            return;
        }
        let suffix = if method == "btree" { String::new() } else { format!("_{method}") };
        let name = fit(&format!("idx_{}_{}{suffix}", self.t.name, cols_part(&cols)));
        let predicate = if partial { self.soft_delete_predicate(None, false) } else { None };
        let items = cols.iter().map(|c| ident(c)).collect();
        self.push_index(Index {
            name,
            unique: false,
            method: method.into(),
            items,
            predicate,
            comment: None,
            origin: origin.into(),
        });
    }

    /// The index that serves a foreign key: its columns first, never led by
    /// the tenant column and never partial — PostgreSQL's referential checks
    /// (`WHERE fk = $1` on a delete of the parent) ignore row-level security
    /// and any other condition. Skipped when the primary key, a unique
    /// constraint or a plain index already starts with the columns.
    fn fk_index(&mut self, cols: Vec<String>, origin: Span) {
        let quoted: Vec<String> = cols.iter().map(|c| ident(c)).collect();
        let by_index = self.t.indexes.iter().any(|ix| {
            ix.method == "btree"
                && ix.predicate.is_none()
                && ix.items.len() >= quoted.len()
                && ix.items[..quoted.len()] == quoted[..]
        });
        if self.covered(&cols) || by_index {
            return;
        }
        // A declared index on the same columns may hold the plain name (a
        // partial one, under soft delete): the foreign key's says what it is.
        let mut name = fit(&format!("idx_{}_{}", self.t.name, cols_part(&cols)));
        if self.t.indexes.iter().any(|i| i.name == name) || self.t.uniques.iter().any(|u| u.name == name) {
            name = fit(&format!("idx_{}_{}_fk", self.t.name, cols_part(&cols)));
        }
        self.push_index(Index {
            name,
            unique: false,
            method: "btree".into(),
            items: quoted,
            predicate: None,
            comment: None,
            origin: origin.into(),
        });
    }

    /// Whether the primary key or a unique constraint already starts with
    /// these columns (so an index for a foreign key would be redundant).
    fn covered(&self, cols: &[String]) -> bool {
        let starts = |c: &[String]| c.len() >= cols.len() && c[..cols.len()] == *cols;
        self.t.primary_key.as_ref().is_some_and(|pk| starts(&pk.columns))
            || self.t.uniques.iter().any(|u| starts(&u.columns))
    }
}

fn sql_type(s: Scalar) -> String {
    match s {
        Scalar::Uuid => "UUID".into(),
        Scalar::Text(None) | Scalar::PasswordHash => "TEXT".into(),
        Scalar::Text(Some(n)) => format!("VARCHAR({n})"),
        Scalar::Char(n) => format!("CHAR({n})"),
        Scalar::SmallInt => "SMALLINT".into(),
        Scalar::Int => "INTEGER".into(),
        Scalar::BigInt => "BIGINT".into(),
        Scalar::Decimal(None) => "NUMERIC".into(),
        Scalar::Decimal(Some((p, s))) => format!("NUMERIC({p}, {s})"),
        Scalar::Float => "DOUBLE PRECISION".into(),
        Scalar::Bool => "BOOLEAN".into(),
        Scalar::Date => "DATE".into(),
        Scalar::Time => "TIME".into(),
        Scalar::Interval => "INTERVAL".into(),
        Scalar::Timestamp => "TIMESTAMPTZ".into(),
        Scalar::Json => "JSONB".into(),
        Scalar::Bytes | Scalar::Encrypted => "BYTEA".into(),
        Scalar::GeoPoint => "geography(Point, 4326)".into(),
    }
}

impl<'a> Lowerer<'a> {
    fn run(&mut self) {
        let m = self.model;
        self.extensions();
        for c in &m.contexts {
            self.schema.schemas.push(SchemaDef { name: c.name.clone(), comment: c.doc.clone(), origin: c.span.into() });
        }
        for e in m.enums.iter().filter(|e| e.native) {
            let schema = e.context.map_or("public".to_string(), |c| m.contexts[c.0].name.clone());
            self.schema.enum_types.push(EnumType {
                schema,
                name: model::snake_case(&e.name),
                values: e.values.iter().map(|v| v.name.clone()).collect(),
                comment: e.doc.clone(),
                origin: e.span.into(),
            });
        }
        for (ci, _) in m.contexts.iter().enumerate() {
            for a in m.aggregates.iter().filter(|a| a.context.0 == ci) {
                self.aggregate(a);
            }
            if let Some(log) = &m.audit_log {
                if log.context.0 == ci {
                    self.audit_table(log);
                }
            }
        }
        self.tenant_key_uniques();
        self.functions();
        self.roles();
        self.publications();
    }

    /// A composite foreign key `(tenant, x_id)` needs a unique constraint on
    /// exactly the referenced `(tenant, id)` of its target (the primary key
    /// is `id` alone). Never partial, even under soft delete: a foreign key
    /// cannot use a partial index.
    fn tenant_key_uniques(&mut self) {
        let keys = std::mem::take(&mut self.tenant_keys);
        for (schema, table, cols) in keys {
            let Some(t) = self.schema.tables.iter_mut().find(|t| t.schema == schema && t.name == table) else {
                continue;
            };
            let same = |c: &[String]| c.len() == cols.len() && cols.iter().all(|x| c.contains(x));
            if t.primary_key.as_ref().is_some_and(|pk| same(&pk.columns)) || t.uniques.iter().any(|u| same(&u.columns))
            {
                continue;
            }
            let origin = t.origin;
            t.uniques.push(Unique { name: fit(&format!("uq_{}_{}", t.name, cols_part(&cols))), columns: cols, origin });
        }
    }

    fn extensions(&mut self) {
        let m = self.model;
        let mut ext = m.extensions.clone();
        let uses = |s: Scalar| {
            m.aggregates
                .iter()
                .flat_map(|a| a.root.walk())
                .flat_map(|e| e.fields.iter())
                .any(|f| uses_scalar(m, &f.ty, s))
                || m.values.iter().any(|v| match &v.shape {
                    ValueShape::Single { ty, .. } => *ty == s,
                    ValueShape::Fields { fields, .. } => fields.iter().any(|f| uses_scalar(m, &f.ty, s)),
                })
        };
        if uses(Scalar::Encrypted) && !ext.iter().any(|e| e == "pgcrypto") {
            ext.push("pgcrypto".into());
        }
        if uses(Scalar::GeoPoint) && !ext.iter().any(|e| e == "postgis") {
            ext.push("postgis".into());
        }
        self.schema.extensions = ext;
    }

    fn functions(&mut self) {
        let tables = &self.schema.tables;
        let needs_timestamps = tables.iter().any(|t| t.triggers.iter().any(|tr| tr.function.contains(TIMESTAMP_FN)));
        let needs_v7 = tables
            .iter()
            .any(|t| t.columns.iter().any(|c| c.default.as_deref().is_some_and(|d| d.contains(UUID_V7_FN))));
        let audit = self.model.audit_log.as_ref().map(|l| self.model.contexts[l.context.0].name.clone());
        let mut fns = Vec::new();
        if needs_v7 {
            fns.push(Function {
                schema: "public".into(),
                name: UUID_V7_FN.into(),
                args: String::new(),
                returns: "uuid".into(),
                language: "plpgsql".into(),
                volatility: "VOLATILE".into(),
                security_definer: false,
                body: fragments::UUID_V7_BODY.into(),
                comment: Some("UUID version 7 (RFC 9562): 48-bit Unix time in milliseconds, then random bits. Generated by dddc for PostgreSQL versions without uuidv7().".into()),
            });
        }
        if needs_timestamps {
            fns.push(Function {
                schema: "public".into(),
                name: TIMESTAMP_FN.into(),
                args: String::new(),
                returns: "trigger".into(),
                language: "plpgsql".into(),
                volatility: "VOLATILE".into(),
                security_definer: false,
                body: fragments::TIMESTAMP_BODY.into(),
                comment: Some(
                    "Sets updated_at on every UPDATE (BEFORE UPDATE trigger of every table with timestamps).".into(),
                ),
            });
        }
        if let (Some(schema), Some(log)) = (audit, &self.model.audit_log) {
            let any_audited = self.model.aggregates.iter().any(|a| a.audited);
            if any_audited {
                let body = fragments::audit_body(&schema, &log.table);
                fns.push(Function {
                    schema,
                    name: AUDIT_FN.into(),
                    args: String::new(),
                    returns: "trigger".into(),
                    language: "plpgsql".into(),
                    volatility: "VOLATILE".into(),
                    security_definer: true,
                    body,
                    comment: Some("Appends one row per INSERT, UPDATE or DELETE of an audited table to the audit log; trigger arguments name the table, then its key columns.".into()),
                });
            }
        }
        self.schema.functions = fns;
    }

    /// Adds a finished table; the partitions of a table under row-level
    /// security get it too.
    fn push_table(&mut self, mut t: Table) {
        if t.row_level_security {
            for p in t.partitioning.iter_mut().flat_map(|p| p.partitions.iter_mut()) {
                p.row_level_security = true;
            }
        }
        self.schema.tables.push(t);
    }

    fn table_of(&self, a: &Aggregate) -> String {
        a.root.table_as.clone().unwrap_or_else(|| table_name(&a.root.name, self.model.tables))
    }

    fn check_table_name(&mut self, name: &str, origin: Span) {
        if name.len() > super::names::MAX_IDENTIFIER {
            self.diags.push(
                Diagnostic::error(id::E0106, format!("table name `{name}` is {} bytes long", name.len()))
                    .at(origin, "PostgreSQL identifiers hold at most 63 bytes")
                    .with_help("give the table a shorter name with `as short_name`"),
            );
        }
    }

    fn aggregate(&mut self, a: &'a Aggregate) {
        let ctx = self.model.contexts[a.context.0].name.clone();
        let name = self.table_of(a);
        self.entity(a, &a.root, &ctx, name.clone(), None, true);
        if let Some(ev) = &a.events {
            self.events_table(a, ev, &ctx, &name);
        }
    }

    #[allow(clippy::too_many_lines)]
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
        b.t.comment = e.doc.clone();
        b.t.aggregate = Some(format!("{ctx}.{}", a.name));
        b.soft_delete = root && a.soft_delete;
        b.tenant = a.tenant.clone();

        // Identity.
        let pk_cols: Vec<String> = match &e.identity {
            Identity::Uuid => {
                b.column("id", "UUID", false, e.span).default = Some("gen_random_uuid()".into());
                vec!["id".into()]
            }
            Identity::UuidV7 => {
                let f = if self.model.target >= 18 { "uuidv7()".to_string() } else { format!("public.{UUID_V7_FN}()") };
                b.column("id", "UUID", false, e.span).default = Some(f);
                vec!["id".into()]
            }
            Identity::Identity(s) => {
                b.column("id", &sql_type(*s), false, e.span).identity = true;
                vec!["id".into()]
            }
            Identity::Supplied(s) => {
                b.column("id", &sql_type(*s), false, e.span);
                vec!["id".into()]
            }
            Identity::Natural(cols) => cols.clone(),
        };
        if let Some(t) = &a.tenant {
            let c = b.column(t, "UUID", false, e.span);
            c.origin_note = Some("tenant".into());
        }
        // Link to the parent.
        if let Some((p, parent_table)) = parent {
            let cols = self.link_columns_to(&mut b, p, format!("parent {}", p.name), e.span);
            let fk_cols = self.owned_by(&mut b, &cols, p, parent_table, e.span);
            if e.one {
                b.unique(cols.clone(), None, None, e.span);
            }
            b.fk_index(fk_cols, e.span);
        }
        // Fields.
        let mut lists = Vec::new();
        for f in &e.fields {
            self.field(&mut b, f, &mut lists);
        }
        // Full-text search.
        if let Some(s) = &e.search {
            let col = b.column("search_vector", "TSVECTOR", true, s.span);
            col.generated = Some(fragments::search_vector(&s.config, &s.items));
            col.depends_on = s.items.iter().map(|(c, _)| c.clone()).collect();
            col.origin_note = Some(format!("full-text search ({})", s.config));
            let ix_name = fit(&format!("idx_{name}_search_vector_gin"));
            b.push_index(Index {
                name: ix_name,
                unique: false,
                method: "gin".into(),
                items: vec!["search_vector".into()],
                predicate: None,
                comment: None,
                origin: s.span.into(),
            });
        }
        if e.timestamps {
            for c in ["created_at", "updated_at"] {
                let col = b.column(c, "TIMESTAMPTZ", false, e.span);
                col.default = Some("CURRENT_TIMESTAMP".into());
                col.origin_note = Some("timestamps".into());
            }
            b.t.triggers.push(Trigger {
                name: fit(&format!("{name}_updated_at")),
                when: "BEFORE UPDATE".into(),
                function: format!("public.{TIMESTAMP_FN}()"),
            });
        }
        if root && a.soft_delete {
            b.column("deleted_at", "TIMESTAMPTZ", true, e.span).origin_note = Some("soft delete".into());
        }
        // Primary key (with the partition key, as PostgreSQL requires).
        let mut pk = pk_cols.clone();
        if root {
            if let Some(p) = &a.partition {
                if !pk.contains(&p.column) {
                    pk.push(p.column.clone());
                }
            }
        }
        b.t.primary_key = Some(PrimaryKey { name: fit(&format!("{name}_pkey")), columns: pk });
        // Invariants.
        for inv in &e.invariants {
            let cname = inv.constraint_name.clone().unwrap_or_else(|| format!("{name}_{}", inv.name));
            b.check(cname, render(&inv.expr, &Columns::PLAIN), inv.source.clone(), inv.doc.clone(), inv.span);
        }
        // Declared indexes and uniques.
        for ix in &e.indexes {
            self.index(&mut b, ix);
        }
        // Entity links and other indexes are in; FK indexes for references.
        self.reference_indexes(&mut b, e);
        if a.audited {
            let key = match &e.identity {
                Identity::Natural(cols) => cols.clone(),
                _ => vec!["id".into()],
            };
            let audit_schema = self.model.audit_log.as_ref().map(|l| self.model.contexts[l.context.0].name.clone());
            if let Some(s) = audit_schema {
                // The table's own name first: in a partitioned table the
                // trigger fires on the partition.
                let args: Vec<String> =
                    std::iter::once(literal(&format!("{ctx}.{name}"))).chain(key.iter().map(|k| literal(k))).collect();
                b.t.triggers.push(Trigger {
                    name: fit(&format!("{name}_audit")),
                    when: "AFTER INSERT OR UPDATE OR DELETE".into(),
                    function: format!("{}.{AUDIT_FN}({})", ident(&s), args.join(", ")),
                });
            }
        }
        if let Some(t) = &a.tenant {
            tenant_policy(&mut b, t);
        }
        if root {
            if let Some(p) = &a.partition {
                b.t.partitioning = Some(self.partitioning(&name, p));
            }
        }
        self.push_table(b.t);
        // Element tables of value-object lists, then child entities.
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

    /// Adds the columns that point at `parent`'s rows (`<parent>_id`, or one
    /// per part of a composite key) and returns their names.
    fn link_columns_to(&self, b: &mut TableBuilder, parent: &Entity, note: String, origin: Span) -> Vec<String> {
        let key = identity_columns(self.model, parent);
        let links = link_columns(&parent.name, &key);
        for (col, k) in &links {
            let ty = self.key_type(k);
            b.column(col, &ty, false, origin).origin_note = Some(note.clone());
        }
        links.into_iter().map(|(c, _)| c).collect()
    }

    /// The foreign key of a table whose rows belong to `parent`'s (an
    /// entity, a list's elements): they go with it, and follow its key.
    /// In a tenant-scoped aggregate the tenant column is part of it, so that
    /// a row can only belong to a parent of its own tenant. Returns the
    /// foreign key's columns.
    fn owned_by(
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
            on_delete: "CASCADE".into(),
            on_update: "CASCADE".into(),
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

    fn key_type(&self, k: &KeyColumn) -> String {
        match &k.ty {
            KeyType::Scalar(s) => sql_type(*s),
            KeyType::Enum(en) => self.enum_column_type(*en),
        }
    }

    fn enum_column_type(&self, en: model::EnumId) -> String {
        let e = &self.model.enums[en.0];
        if e.native {
            let schema = e.context.map_or("public".to_string(), |c| self.model.contexts[c.0].name.clone());
            crate::sql::qualified(&schema, &model::snake_case(&e.name))
        } else {
            format!("VARCHAR({})", e.longest_value())
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
        let t = b.t.name.clone();
        match &f.ty {
            FieldType::Ref(r) => {
                let target = &self.model.aggregates[r.target.0];
                let target_table = self.table_of(target);
                let target_ctx = self.model.contexts[target.context.0].name.clone();
                let cols = f.ref_columns();
                for (c, k) in &cols {
                    let ty = self.key_type(k);
                    let col = b.column(c, &ty, f.nullable, f.span);
                    col.comment = f.doc.clone();
                    col.origin_note = Some(format!("reference to {target_ctx}.{}", target.name));
                }
                let names: Vec<String> = cols.iter().map(|(c, _)| c.clone()).collect();
                if !r.loose {
                    let mut columns = names.clone();
                    let mut ref_columns: Vec<String> = cols.iter().map(|(_, k)| k.column.clone()).collect();
                    let mut on_delete_columns = Vec::new();
                    // Between two tenant-scoped aggregates the key includes
                    // the tenant: a row can only reference its own tenant's.
                    if let Some((source, target_tenant)) = self.tenant_pair(&b.tenant, r) {
                        columns.insert(0, source);
                        ref_columns.insert(0, target_tenant);
                        self.tenant_keys.push((target_ctx.clone(), target_table.clone(), ref_columns.clone()));
                        if matches!(
                            r.on_delete,
                            crate::syntax::ast::RefAction::SetNull | crate::syntax::ast::RefAction::SetDefault
                        ) {
                            on_delete_columns = names.clone();
                        }
                    }
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
                        on_delete: r.on_delete.words().to_uppercase(),
                        on_update: r.on_update.words().to_uppercase(),
                        on_delete_columns,
                        origin: f.span.into(),
                    });
                }
                self.modifiers(b, f, names);
            }
            FieldType::ValueList(v) => lists.push((f, *v)),
            _ => {
                let cols = self.embed(b, f, "", "", false);
                self.modifiers(b, f, cols);
            }
        }
    }

    /// `unique` and `indexed` on a field.
    fn modifiers(&mut self, b: &mut TableBuilder, f: &model::Field, cols: Vec<String>) {
        if f.unique {
            b.unique(cols.clone(), f.name_override.clone(), None, f.span);
        }
        if f.indexed {
            b.plain_index(cols, "btree", true, f.span);
        }
    }

    /// The columns of a non-reference field, value objects expanded;
    /// returns the column names. `prefix` is the column prefix of the
    /// enclosing value objects, `path` their field path for constraint names.
    fn embed(
        &mut self,
        b: &mut TableBuilder,
        f: &model::Field,
        prefix: &str,
        path: &str,
        group_nullable: bool,
    ) -> Vec<String> {
        let t = b.t.name.clone();
        let column = format!("{prefix}{}", f.column);
        let nullable = f.nullable || group_nullable;
        let default = f.default.as_ref().map(|d| self.default_sql(d, &f.ty));
        let plain = |b: &mut TableBuilder, ty: String, note: Option<String>| {
            let c = b.column(&column, &ty, nullable, f.span);
            c.default = default.clone();
            c.comment = f.doc.clone();
            c.origin_note = note;
            vec![column.clone()]
        };
        match &f.ty {
            FieldType::Scalar(s) => {
                let cols = plain(b, sql_type(*s), None);
                if *s == Scalar::PasswordHash {
                    b.check(
                        format!("ck_{t}_{column}_hash"),
                        fragments::password_hash(&column),
                        "password hash format (bcrypt or argon2)".into(),
                        None,
                        f.span,
                    );
                }
                cols
            }
            FieldType::Array(s) => plain(b, format!("{}[]", sql_type(*s)), None),
            FieldType::Enum(en) => {
                let e = &self.model.enums[en.0];
                let ty = self.enum_column_type(*en);
                let cols = plain(b, ty, Some(format!("enum {}", e.name)));
                if !e.native {
                    let values: Vec<String> = e.values.iter().map(|v| v.name.clone()).collect();
                    b.check(
                        format!("ck_{t}_{column}_valid"),
                        fragments::in_list(&column, &values),
                        format!("enum {}", e.name),
                        None,
                        f.span,
                    );
                    if let Some(c) = b.t.checks.last_mut() {
                        c.enum_values = Some((column.clone(), e.values.iter().map(|v| v.name.clone()).collect()));
                    }
                }
                cols
            }
            FieldType::Value(v) => {
                let vo = &self.model.values[v.0];
                match &vo.shape {
                    ValueShape::Single { ty, check } => {
                        let cols = plain(b, sql_type(*ty), Some(format!("value object {}", vo.name)));
                        if *ty == Scalar::PasswordHash {
                            b.check(
                                format!("ck_{t}_{column}_hash"),
                                fragments::password_hash(&column),
                                "password hash format (bcrypt or argon2)".into(),
                                None,
                                f.span,
                            );
                        }
                        if let Some(c) = check {
                            let cols_map = Columns { prefix: "", subject: Some(&column) };
                            b.check(
                                format!("ck_{t}_{column}_{}", model::snake_case(&vo.name)),
                                render(c, &cols_map),
                                format!("value {}: {}", vo.name, texpr_source(c)),
                                vo.doc.clone(),
                                f.span,
                            );
                        }
                        cols
                    }
                    ValueShape::Fields { fields, invariants } => {
                        let inner_prefix = format!("{column}_");
                        let inner_path = format!("{path}{}", f.column);
                        let first = b.t.columns.len();
                        let mut cols = Vec::new();
                        let mut required = Vec::new();
                        for part in fields {
                            if matches!(part.ty, FieldType::ValueList(_) | FieldType::Ref(_)) {
                                continue;
                            }
                            let part_cols = self.embed(b, part, &inner_prefix, &format!("{inner_path}_"), nullable);
                            if !part.nullable {
                                // Leaves that must be present when the group is.
                                required.extend(required_leaves(self.model, part, &part_cols));
                            }
                            cols.extend(part_cols);
                        }
                        for c in &mut b.t.columns[first..] {
                            if c.origin_note.is_none() {
                                c.origin_note = Some(format!("value object {} ({})", vo.name, f.name));
                            }
                        }
                        for inv in invariants {
                            let cols_map = Columns { prefix: &inner_prefix, subject: None };
                            b.check(
                                format!("{t}_{inner_path}_{}", inv.name),
                                render(&inv.expr, &cols_map),
                                format!("{}: {}", vo.name, inv.source),
                                inv.doc.clone(),
                                inv.span,
                            );
                        }
                        // A group with no required part is valid whatever is set.
                        if f.nullable && !required.is_empty() {
                            b.check(
                                format!("{t}_{inner_path}_all_or_none"),
                                fragments::all_or_none(&required, &cols),
                                format!("optional {}: all required parts or none", vo.name),
                                None,
                                f.span,
                            );
                        }
                        cols
                    }
                }
            }
            FieldType::ValueList(_) | FieldType::Ref(_) => Vec::new(),
        }
    }

    fn default_sql(&self, d: &TExpr, ty: &FieldType) -> String {
        match (&d.kind, ty) {
            (TExprKind::Literal(crate::syntax::ast::Literal::EmptyArray), FieldType::Array(_)) => "'{}'".into(),
            (TExprKind::Literal(l), _) => literal_sql(l),
            _ => render(d, &Columns::PLAIN),
        }
    }

    fn index(&mut self, b: &mut TableBuilder, ix: &model::Index) {
        let mut items: Vec<String> = Vec::new();
        let mut name_items: Vec<String> = Vec::new();
        for item in &ix.items {
            match &item.kind {
                TExprKind::Column(c) => {
                    items.push(ident(c));
                    name_items.push(c.clone());
                }
                TExprKind::Columns(cs) => {
                    items.extend(cs.iter().map(|c| ident(c)));
                    name_items.extend(cs.iter().cloned());
                }
                _ => {
                    let sql = render(item, &Columns::PLAIN);
                    let sql = if sql.starts_with('(') { sql } else { format!("({sql})") };
                    name_items.push(sql.clone());
                    items.push(sql);
                }
            }
        }
        // The tenant column leads btree indexes only: gin, gist and hash have
        // no operator class for a uuid (without btree_gin/btree_gist), and
        // row-level security filters the tenant anyway.
        if let Some(t) = b.tenant.as_ref().filter(|_| ix.unique || ix.method == IndexMethod::Btree) {
            if items.first() != Some(&ident(t)) {
                items.insert(0, ident(t));
                name_items.insert(0, t.clone());
            }
        }
        let method = ix.method.word();
        let predicate = ix.where_clause.as_ref().map(|w| render(w, &Columns::PLAIN));
        let t = b.t.name.clone();
        if ix.unique {
            let plain_cols = ix.items.iter().all(|i| matches!(i.kind, TExprKind::Column(_) | TExprKind::Columns(_)));
            let all_plain = plain_cols && predicate.is_none() && !b.soft_delete;
            let name = ix.name.clone().unwrap_or_else(|| fit(&format!("uq_{t}_{}", cols_part(&name_items))));
            if all_plain {
                b.t.uniques.push(Unique { name, columns: name_items, origin: ix.span.into() });
            } else {
                let predicate = b.soft_delete_predicate(predicate, false);
                b.push_index(Index {
                    name,
                    unique: true,
                    method: "btree".into(),
                    items,
                    predicate,
                    comment: ix.doc.clone(),
                    origin: ix.span.into(),
                });
            }
        } else {
            let suffix = if ix.method == IndexMethod::Btree { String::new() } else { format!("_{method}") };
            let name = ix.name.clone().unwrap_or_else(|| fit(&format!("idx_{t}_{}{suffix}", cols_part(&name_items))));
            let predicate = b.soft_delete_predicate(predicate, ix.including_deleted);
            b.push_index(Index {
                name,
                unique: false,
                method: method.into(),
                items,
                predicate,
                comment: ix.doc.clone(),
                origin: ix.span.into(),
            });
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
                }
                b.fk_index(cols, f.span);
            }
        }
    }

    fn partitioning(&self, table: &str, p: &model::Partition) -> Partitioning {
        let mut parts = Vec::new();
        let method = match &p.spec {
            PartitionSpec::Range(range) => {
                if let Some(r) = range {
                    for m in r.months() {
                        parts.push(PartitionDef {
                            name: fit(&format!("{table}_{:04}_{:02}", m.year, m.month)),
                            bound: format!("FOR VALUES FROM ({}) TO ({})", month_bound(m), month_bound(m.next())),
                            row_level_security: false,
                        });
                    }
                }
                parts.push(PartitionDef {
                    name: fit(&format!("{table}_default")),
                    bound: "DEFAULT".into(),
                    row_level_security: false,
                });
                "RANGE"
            }
            PartitionSpec::List(list) => {
                for lp in list {
                    let values: Vec<String> = lp.values.iter().map(literal_sql).collect();
                    parts.push(PartitionDef {
                        name: fit(&format!("{table}_{}", lp.name)),
                        bound: format!("FOR VALUES IN ({})", values.join(", ")),
                        row_level_security: false,
                    });
                }
                parts.push(PartitionDef {
                    name: fit(&format!("{table}_default")),
                    bound: "DEFAULT".into(),
                    row_level_security: false,
                });
                "LIST"
            }
            PartitionSpec::Hash(n) => {
                for i in 0..*n {
                    parts.push(PartitionDef {
                        name: fit(&format!("{table}_p{i}")),
                        bound: format!("FOR VALUES WITH (MODULUS {n}, REMAINDER {i})"),
                        row_level_security: false,
                    });
                }
                "HASH"
            }
        };
        Partitioning { method: method.into(), column: p.column.clone(), partitions: parts }
    }

    fn list_table(
        &mut self,
        a: &Aggregate,
        owner: &Entity,
        ctx: &str,
        owner_table: &str,
        f: &model::Field,
        vid: model::ValueId,
    ) {
        let name = format!("{owner_table}_{}", f.column);
        self.check_table_name(&name, f.span);
        let mut b = TableBuilder::new(ctx, &name, TableKind::ValueList, f.span);
        b.t.comment = f.doc.clone();
        b.t.aggregate = Some(format!("{ctx}.{}", a.name));
        b.tenant = a.tenant.clone();
        if let Some(t) = &a.tenant {
            b.column(t, "UUID", false, f.span).origin_note = Some("tenant".into());
        }
        let link_cols = self.link_columns_to(&mut b, owner, format!("owner {}", owner.name), f.span);
        b.column("position", "INTEGER", false, f.span).origin_note = Some("list position".into());
        let vo = &self.model.values[vid.0];
        let part_field = model::Field {
            name: f.name.clone(),
            column: String::new(),
            column_explicit: false,
            column_span: None,
            doc: None,
            span: f.span,
            ty: FieldType::Value(vid),
            nullable: false,
            default: None,
            unique: false,
            indexed: false,
            was: None,
            pii: f.pii,
            backfill: None,
            name_override: None,
            allows: Vec::new(),
        };
        match &vo.shape {
            ValueShape::Fields { fields, invariants } => {
                for part in fields {
                    if matches!(part.ty, FieldType::ValueList(_) | FieldType::Ref(_)) {
                        continue;
                    }
                    self.embed(&mut b, part, "", "", false);
                }
                for inv in invariants {
                    b.check(
                        format!("{name}_{}", inv.name),
                        render(&inv.expr, &Columns::PLAIN),
                        format!("{}: {}", vo.name, inv.source),
                        inv.doc.clone(),
                        inv.span,
                    );
                }
            }
            ValueShape::Single { .. } => {
                let mut single = part_field;
                single.column = "value".into();
                self.embed(&mut b, &single, "", "", false);
            }
        }
        for c in &mut b.t.columns {
            if c.origin_note.is_none() {
                c.origin_note = Some(format!("value object {} ({})", vo.name, f.name));
            }
        }
        let mut pk = link_cols.clone();
        pk.push("position".into());
        b.t.primary_key = Some(PrimaryKey { name: fit(&format!("{name}_pkey")), columns: pk });
        let fk_cols = self.owned_by(&mut b, &link_cols, owner, owner_table, f.span);
        b.fk_index(fk_cols, f.span);
        b.check(
            format!("ck_{name}_position"),
            fragments::non_negative("position"),
            "list position".into(),
            None,
            f.span,
        );
        if let Some(t) = &a.tenant {
            tenant_policy(&mut b, t);
        }
        self.push_table(b.t);
    }

    fn events_table(&mut self, a: &Aggregate, ev: &model::Events, ctx: &str, root_table: &str) {
        let suffix = if self.model.tables == TableNaming::PluralEs { "eventos" } else { "events" };
        let name = ev.table_as.clone().unwrap_or_else(|| format!("{root_table}_{suffix}"));
        self.check_table_name(&name, ev.span);
        let mut b = TableBuilder::new(ctx, &name, TableKind::Events, ev.span);
        b.t.comment = Some(ev.doc.clone().unwrap_or_else(|| format!("Domain events of aggregate {}.", a.name)));
        b.t.aggregate = Some(format!("{ctx}.{}", a.name));
        b.tenant = a.tenant.clone();
        b.column("id", "BIGINT", false, ev.span).identity = true;
        if let Some(t) = &a.tenant {
            b.column(t, "UUID", false, ev.span).origin_note = Some("tenant".into());
        }
        // The root's key, with no foreign key: events outlive the aggregate.
        let link_cols = self.link_columns_to(&mut b, &a.root, format!("aggregate {}", a.name), ev.span);
        let longest = ev.names.iter().map(|n| n.name.len()).max().unwrap_or(1);
        b.column("tipo_evento", &format!("VARCHAR({longest})"), false, ev.span).origin_note = Some("event type".into());
        let occurred = b.column("occurred_at", "TIMESTAMPTZ", false, ev.span);
        occurred.default = Some("CURRENT_TIMESTAMP".into());
        b.column("payload", "JSONB", false, ev.span);
        b.column("metadata", "JSONB", false, ev.span).default = Some("'{}'::jsonb".into());
        if ev.outbox {
            b.column("published_at", "TIMESTAMPTZ", true, ev.span).origin_note = Some("outbox relay".into());
        }
        let values: Vec<String> = ev.names.iter().map(|n| n.name.clone()).collect();
        b.check(
            format!("ck_{name}_tipo_evento_valid"),
            fragments::in_list("tipo_evento", &values),
            format!("events of {}", a.name),
            None,
            ev.span,
        );
        b.t.primary_key =
            Some(PrimaryKey { name: fit(&format!("{name}_pkey")), columns: vec!["id".into(), "occurred_at".into()] });
        b.plain_index(link_cols, "btree", false, ev.span);
        b.plain_index(vec!["occurred_at".into()], "brin", false, ev.span);
        if ev.outbox {
            let cols = b.with_tenant(vec!["occurred_at".into()]);
            b.push_index(Index {
                name: fit(&format!("idx_{name}_pending")),
                unique: false,
                method: "btree".into(),
                items: cols.iter().map(|c| ident(c)).collect(),
                predicate: Some(fragments::is_null("published_at")),
                comment: Some("Events not yet published by the outbox relay.".into()),
                origin: ev.span.into(),
            });
        }
        if let Some(t) = &a.tenant {
            tenant_policy(&mut b, t);
        }
        let spec =
            model::Partition { column: "occurred_at".into(), spec: PartitionSpec::Range(ev.range), span: ev.span };
        b.t.partitioning = Some(self.partitioning(&name, &spec));
        self.push_table(b.t);
    }

    fn audit_table(&mut self, log: &model::AuditLog) {
        let ctx = self.model.contexts[log.context.0].name.clone();
        let name = log.table.clone();
        let mut b = TableBuilder::new(&ctx, &name, TableKind::AuditLog, log.span);
        b.t.comment =
            Some("Audit trail: one row per INSERT, UPDATE or DELETE of an audited aggregate's tables.".into());
        b.column("id", "BIGINT", false, log.span).identity = true;
        b.column("usuario_id", "UUID", true, log.span).comment =
            Some("The acting user: `app.user_id` of the session, when set.".into());
        b.column("accion", "VARCHAR(6)", false, log.span);
        b.column("entidad", "VARCHAR(127)", false, log.span).comment =
            Some("`schema.table` of the changed row.".into());
        b.column("entidad_id", "TEXT", true, log.span).comment =
            Some("Key of the changed row (comma-separated for composite keys).".into());
        b.column("timestamp", "TIMESTAMPTZ", false, log.span).default = Some("CURRENT_TIMESTAMP".into());
        b.column("datos_antes", "JSONB", true, log.span);
        b.column("datos_despues", "JSONB", true, log.span);
        b.column("metadata", "JSONB", false, log.span).default = Some("'{}'::jsonb".into());
        b.check(
            format!("ck_{name}_accion_valid"),
            "(accion IN ('INSERT', 'UPDATE', 'DELETE'))".into(),
            "audited operations".into(),
            None,
            log.span,
        );
        b.t.primary_key =
            Some(PrimaryKey { name: fit(&format!("{name}_pkey")), columns: vec!["id".into(), "timestamp".into()] });
        b.plain_index(vec!["entidad".into(), "entidad_id".into()], "btree", false, log.span);
        b.plain_index(vec!["usuario_id".into()], "btree", false, log.span);
        b.plain_index(vec!["timestamp".into()], "brin", false, log.span);
        let spec =
            model::Partition { column: "timestamp".into(), spec: PartitionSpec::Range(log.range), span: log.span };
        b.t.partitioning = Some(self.partitioning(&name, &spec));
        self.push_table(b.t);
    }

    fn roles(&mut self) {
        for r in &self.model.roles {
            let names = |ids: &[model::ContextId]| ids.iter().map(|c| self.model.contexts[c.0].name.clone()).collect();
            self.schema.roles.push(RoleDef {
                name: r.name.clone(),
                read: names(&r.read),
                write: names(&r.write),
                comment: r.doc.clone(),
            });
        }
    }

    fn publications(&mut self) {
        for p in &self.model.publications {
            let mut tables: Vec<String> = Vec::new();
            for item in &p.items {
                let wanted: Vec<String> = match item {
                    model::PublicationItem::Context(c) => {
                        let name = &self.model.contexts[c.0].name;
                        self.schema.tables.iter().filter(|t| &t.schema == name).map(Table::qualified).collect()
                    }
                    model::PublicationItem::Aggregate(a) => {
                        let agg = &self.model.aggregates[a.0];
                        let key = format!("{}.{}", self.model.contexts[agg.context.0].name, agg.name);
                        self.schema
                            .tables
                            .iter()
                            .filter(|t| t.aggregate.as_deref() == Some(key.as_str()))
                            .map(Table::qualified)
                            .collect()
                    }
                };
                tables.extend(wanted);
            }
            tables.sort();
            tables.dedup();
            self.schema.publications.push(PublicationDef { name: p.name.clone(), tables });
        }
    }
}

fn tenant_policy(b: &mut TableBuilder, column: &str) {
    let cond = fragments::tenant_condition(column);
    b.t.row_level_security = true;
    b.t.policies.push(Policy { name: "tenant_isolation".into(), using: cond.clone(), with_check: cond });
}

/// `'2025-11-01 00:00:00+00'`: an explicit UTC instant, so that bounds do not
/// depend on the server's time zone (a date-only literal would be read in it).
fn month_bound(m: model::Month) -> String {
    format!("'{:04}-{:02}-01 00:00:00+00'", m.year, m.month)
}

fn uses_scalar(model: &Model, ty: &FieldType, s: Scalar) -> bool {
    match ty {
        FieldType::Scalar(x) | FieldType::Array(x) => *x == s,
        FieldType::Value(v) | FieldType::ValueList(v) => match &model.values[v.0].shape {
            ValueShape::Single { ty, .. } => *ty == s,
            ValueShape::Fields { fields, .. } => fields.iter().any(|f| uses_scalar(model, &f.ty, s)),
        },
        _ => false,
    }
}

/// The columns of a required part that must be set when its group is.
fn required_leaves(model: &Model, part: &model::Field, cols: &[String]) -> Vec<String> {
    match &part.ty {
        FieldType::Value(v) => match &model.values[v.0].shape {
            ValueShape::Fields { fields, .. } => {
                // Only the nested value's own required parts.
                let mut out = Vec::new();
                let mut i = 0;
                for f in fields {
                    let n = leaf_count(model, f);
                    if !f.nullable {
                        out.extend(required_leaves(model, f, &cols[i.min(cols.len())..(i + n).min(cols.len())]));
                    }
                    i += n;
                }
                out
            }
            ValueShape::Single { .. } => cols.to_vec(),
        },
        _ => cols.to_vec(),
    }
}

fn leaf_count(model: &Model, f: &model::Field) -> usize {
    match &f.ty {
        FieldType::Value(v) => match &model.values[v.0].shape {
            ValueShape::Fields { fields, .. } => fields
                .iter()
                .filter(|p| !matches!(p.ty, FieldType::ValueList(_) | FieldType::Ref(_)))
                .map(|p| leaf_count(model, p))
                .sum(),
            ValueShape::Single { .. } => 1,
        },
        FieldType::ValueList(_) | FieldType::Ref(_) => 0,
        _ => 1,
    }
}

fn texpr_source(e: &TExpr) -> String {
    render(e, &Columns { prefix: "", subject: Some("value") })
}

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
        for (_, part, name) in super::names::partition_indexes(t) {
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
            if c.name.len() > super::names::MAX_IDENTIFIER {
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
