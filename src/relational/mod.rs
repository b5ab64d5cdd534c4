//! The relational schema: what the database holds, decided entirely here —
//! tables, columns, constraints, indexes, triggers, policies, comments, and
//! every generated name (§11 of the language reference).
//!
//! [`lower`] turns the domain model into a [`Schema`]; the lock stores it as
//! JSON; the evolution engine diffs two of them; `sql` prints it. SQL
//! fragments it holds (check conditions, defaults, index expressions) were
//! written by `sql::expr`, never by hand here.
//!
//! Everything is ordered deterministically: contexts, aggregates and fields in
//! model order, generated objects in a fixed order per table.

mod lower;
pub mod names;

use serde::{Deserialize, Serialize};

use crate::diagnostics::Span;

pub use lower::lower;

/// Where an object of the schema comes from in the model, for diagnostics.
/// Not part of the object's identity: two objects that differ only in their
/// origin are equal (the lock does not store origins).
#[derive(Debug, Clone, Copy, Default)]
pub struct Origin(pub Span);

impl PartialEq for Origin {
    fn eq(&self, _: &Origin) -> bool {
        true
    }
}

impl From<Span> for Origin {
    fn from(s: Span) -> Origin {
        Origin(s)
    }
}

/// Version of the schema format stored in the lock.
pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Schema {
    /// PostgreSQL major version the SQL targets.
    pub target: u32,
    pub extensions: Vec<String>,
    pub schemas: Vec<SchemaDef>,
    pub enum_types: Vec<EnumType>,
    pub functions: Vec<Function>,
    pub tables: Vec<Table>,
    pub roles: Vec<RoleDef>,
    pub publications: Vec<PublicationDef>,
}

impl Schema {
    pub fn table(&self, schema: &str, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.schema == schema && t.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemaDef {
    pub name: String,
    pub comment: Option<String>,
    #[serde(skip)]
    pub origin: Origin,
}

/// `CREATE TYPE schema.name AS ENUM (…)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnumType {
    pub schema: String,
    pub name: String,
    pub values: Vec<String>,
    pub comment: Option<String>,
    #[serde(skip)]
    pub origin: Origin,
}

/// A function the schema needs (timestamps, audit, uuid v7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Function {
    pub schema: String,
    pub name: String,
    /// Argument list as in the signature, e.g. `""`.
    pub args: String,
    pub returns: String,
    pub language: String,
    pub volatility: String,
    /// `SECURITY DEFINER` with a pinned `search_path`: runs with its owner's
    /// rights (the audit function writes a table the roles cannot).
    #[serde(default)]
    pub security_definer: bool,
    /// The body, without dollar quotes.
    pub body: String,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub schema: String,
    pub name: String,
    pub comment: Option<String>,
    /// What the table stores, for the docs: `aggregate root`, `entity`, …
    pub kind: TableKind,
    /// The aggregate (`context.Aggregate`) the table belongs to.
    pub aggregate: Option<String>,
    pub columns: Vec<Column>,
    pub primary_key: Option<PrimaryKey>,
    pub uniques: Vec<Unique>,
    pub checks: Vec<Check>,
    pub foreign_keys: Vec<ForeignKey>,
    pub indexes: Vec<Index>,
    pub triggers: Vec<Trigger>,
    /// `ENABLE` + `FORCE ROW LEVEL SECURITY`.
    pub row_level_security: bool,
    pub policies: Vec<Policy>,
    pub partitioning: Option<Partitioning>,
    #[serde(skip)]
    pub origin: Origin,
}

impl Table {
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableKind {
    AggregateRoot,
    Entity,
    ValueList,
    Events,
    AuditLog,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// The SQL type as printed: `VARCHAR(255)`, `TIMESTAMPTZ`, `autenticacion.estado`.
    #[serde(rename = "type")]
    pub ty: String,
    pub nullable: bool,
    /// SQL expression.
    pub default: Option<String>,
    /// `GENERATED ALWAYS AS IDENTITY`.
    pub identity: bool,
    /// `GENERATED ALWAYS AS (expr) STORED`.
    pub generated: Option<String>,
    /// The columns a generated column is computed from: a change of their
    /// type needs the generated column rebuilt around it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    pub comment: Option<String>,
    /// Where the column comes from, for the docs (`value object Direccion`,
    /// `reference to marketplace.Tutor`, `timestamps`, …).
    pub origin_note: Option<String>,
    #[serde(skip)]
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrimaryKey {
    pub name: String,
    pub columns: Vec<String>,
}

/// A `UNIQUE` table constraint (a partial unique is an [`Index`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unique {
    pub name: String,
    pub columns: Vec<String>,
    #[serde(skip)]
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    /// The SQL condition, parenthesised.
    pub expr: String,
    /// What the check enforces in the model's words (an invariant's source,
    /// `enum EstadoUsuario`, `password hash format`, …), for the docs.
    pub source: String,
    pub comment: Option<String>,
    /// For the check of a CHECK-based enum: its column and values, so that
    /// the evolution engine can tell a value added from one removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enum_values: Option<(String, Vec<String>)>,
    #[serde(skip)]
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub ref_schema: String,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    pub on_delete: String,
    pub on_update: String,
    /// `ON DELETE SET NULL (cols)`: the columns a `set null`/`set default`
    /// clears, when not all of them (a tenant-scoped reference keeps its
    /// tenant column).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_delete_columns: Vec<String>,
    #[serde(skip)]
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    /// `btree`, `gin`, `gist`, `brin`, `hash`.
    pub method: String,
    /// Column names or parenthesised SQL expressions, as printed.
    pub items: Vec<String>,
    /// Partial index condition, SQL.
    pub predicate: Option<String>,
    pub comment: Option<String>,
    #[serde(skip)]
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    pub name: String,
    /// `BEFORE UPDATE`, `AFTER INSERT OR UPDATE OR DELETE`.
    pub when: String,
    /// `schema.function(args)` as called.
    pub function: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub name: String,
    pub using: String,
    pub with_check: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Partitioning {
    /// `RANGE`, `LIST`, `HASH`.
    pub method: String,
    pub column: String,
    pub partitions: Vec<PartitionDef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartitionDef {
    pub name: String,
    /// `FOR VALUES FROM ('2025-11-01') TO ('2025-12-01')`, `DEFAULT`, …
    pub bound: String,
    /// Row-level security enabled and forced on the partition itself, with
    /// its table's policies: a partition named directly in a query is
    /// checked by its own policies, not its parent's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub row_level_security: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleDef {
    pub name: String,
    pub read: Vec<String>,
    pub write: Vec<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicationDef {
    pub name: String,
    /// `schema.table`, sorted.
    pub tables: Vec<String>,
}
