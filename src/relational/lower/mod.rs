//! Lowering: domain model → relational schema (§3–§9, §11, §13 of the
//! language reference), one file per construct:
//!
//! - [`tables`] — aggregate roots and entities, their fields, references and
//!   full-text search; [`values`] — value objects embedded as columns, and
//!   lists of them as element tables; [`indexes`] — declared indexes and
//!   uniques; [`events`] and [`audit`] — the events and audit-log tables and
//!   triggers; [`partitions`] — partitioning; [`access`] — roles and
//!   publications; [`collisions`] — names used twice.
//! - [`builder`] — a table under construction, with the rules every table
//!   follows (tenant column first, soft delete, no index twice).
//!
//! Each table is built column by column in a fixed order: identity, tenant,
//! parent link, fields, search vector, timestamps, soft delete; then
//! constraints, indexes, triggers and policies.

mod access;
mod audit;
mod builder;
mod collisions;
mod events;
mod indexes;
mod partitions;
mod tables;
mod values;

use super::names::{cols_part, fit, table_name};
use super::*;
use crate::diagnostics::codes::id;
use crate::diagnostics::Diagnostic;
use crate::model::{self, Aggregate, FieldType, KeyColumn, KeyType, Model, Scalar, ValueShape};
use crate::sql::fragments;

/// Lowers a validated model. Fails only on generated-name problems (E0601,
/// E0106), which the model alone cannot see.
pub fn lower(model: &Model) -> Result<Schema, Vec<Diagnostic>> {
    let mut l = Lowerer {
        model,
        schema: Schema { target: model.target, ..Schema::default() },
        diags: Vec::new(),
        tenant_keys: Vec::new(),
        uses_v7_function: false,
    };
    l.run();
    collisions::collisions(&l.schema, &mut l.diags);
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
    /// An identity defaults to the generated `uuid_generate_v7()`.
    uses_v7_function: bool,
}

const TIMESTAMP_FN: &str = "trigger_set_timestamp";
const UUID_V7_FN: &str = "uuid_generate_v7";
const AUDIT_FN: &str = "audit_row_change";

/// The column type of a scalar.
fn column_type(s: Scalar) -> ColumnType {
    match s {
        Scalar::Uuid => ColumnType::Uuid,
        Scalar::Text(None) | Scalar::PasswordHash => ColumnType::Text,
        Scalar::Text(Some(n)) => ColumnType::Varchar(n),
        Scalar::Char(n) => ColumnType::Char(n),
        Scalar::SmallInt => ColumnType::SmallInt,
        Scalar::Int => ColumnType::Integer,
        Scalar::BigInt => ColumnType::BigInt,
        Scalar::Decimal(d) => ColumnType::Numeric(d),
        Scalar::Float => ColumnType::DoublePrecision,
        Scalar::Bool => ColumnType::Boolean,
        Scalar::Date => ColumnType::Date,
        Scalar::Time => ColumnType::Time,
        Scalar::Interval => ColumnType::Interval,
        Scalar::Timestamp => ColumnType::Timestamptz,
        Scalar::Json => ColumnType::Jsonb,
        Scalar::Bytes | Scalar::Encrypted => ColumnType::Bytea,
        Scalar::GeoPoint => ColumnType::GeographyPoint,
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
            self.schema.enum_types.push(EnumType {
                schema: self.enum_schema(e),
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

    /// The schema of an enum type: its context's, or `public` for the shared
    /// kernel.
    fn enum_schema(&self, e: &model::Enum) -> String {
        e.context.map_or("public".to_string(), |c| self.model.contexts[c.0].name.clone())
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

    /// The functions the tables call: timestamps, uuid v7, audit.
    fn functions(&mut self) {
        let calls =
            |name: &str| self.schema.tables.iter().any(|t| t.triggers.iter().any(|tr| tr.function.name == name));
        let needs_timestamps = calls(TIMESTAMP_FN);
        let needs_audit = calls(AUDIT_FN);
        let plpgsql = |schema: &str, name: &str, returns: &str, body: String, comment: &str| Function {
            schema: schema.to_string(),
            name: name.to_string(),
            args: String::new(),
            returns: returns.to_string(),
            language: "plpgsql".into(),
            volatility: "VOLATILE".into(),
            security_definer: false,
            body,
            comment: Some(comment.to_string()),
        };
        let mut fns = Vec::new();
        if self.uses_v7_function {
            fns.push(plpgsql(
                "public",
                UUID_V7_FN,
                "uuid",
                fragments::UUID_V7_BODY.into(),
                "UUID version 7 (RFC 9562): 48-bit Unix time in milliseconds, then random bits. Generated by dddc for PostgreSQL versions without uuidv7().",
            ));
        }
        if needs_timestamps {
            fns.push(plpgsql(
                "public",
                TIMESTAMP_FN,
                "trigger",
                fragments::TIMESTAMP_BODY.into(),
                "Sets updated_at on every UPDATE (BEFORE UPDATE trigger of every table with timestamps).",
            ));
        }
        if let Some(log) = self.model.audit_log.as_ref().filter(|_| needs_audit) {
            let schema = self.model.contexts[log.context.0].name.clone();
            let mut f = plpgsql(
                &schema,
                AUDIT_FN,
                "trigger",
                fragments::audit_body(&schema, &log.table),
                "Appends one row per INSERT, UPDATE or DELETE of an audited table to the audit log; trigger arguments name the table, then its key columns.",
            );
            f.security_definer = true;
            fns.push(f);
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

    fn key_type(&self, k: &KeyColumn) -> ColumnType {
        match &k.ty {
            KeyType::Scalar(s) => column_type(*s),
            KeyType::Enum(en) => self.enum_column_type(*en),
        }
    }

    /// A CHECK-based enum is a `VARCHAR` as long as its longest value; a
    /// native one its type.
    fn enum_column_type(&self, en: model::EnumId) -> ColumnType {
        let e = &self.model.enums[en.0];
        if e.native {
            ColumnType::Enum { schema: self.enum_schema(e), name: model::snake_case(&e.name) }
        } else {
            ColumnType::Varchar(e.longest_value() as u32)
        }
    }
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
