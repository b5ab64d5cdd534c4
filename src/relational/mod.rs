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
mod types;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::diagnostics::Span;

pub use lower::lower;
pub(crate) use lower::AUDIT_FN;

fn is_false(b: &bool) -> bool {
    !*b
}

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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Schema {
    /// PostgreSQL major version the SQL targets.
    pub target: u32,
    pub extensions: Vec<String>,
    pub schemas: Vec<SchemaDef>,
    pub enum_types: Vec<EnumType>,
    pub functions: Vec<Function>,
    /// Shared, not copied, between the schemas a plan makes from one
    /// another: a migration's schema after it is the one before it with
    /// only the tables it changes copied ([`Arc::make_mut`]).
    pub tables: Vec<Arc<Table>>,
    pub roles: Vec<RoleDef>,
    pub publications: Vec<PublicationDef>,
}

impl Schema {
    /// A table by name: a scan. In a loop over many tables, look them up in
    /// [`Schema::index`] instead.
    pub fn table(&self, schema: &str, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.schema == schema && t.name == name).map(|t| &**t)
    }

    /// The tables by `(schema, name)`, for lookups in a loop (a large model's
    /// thousands of tables each looked up in another schema).
    pub fn index(&self) -> TableIndex<'_> {
        TableIndex { tables: &self.tables, at: self.positions() }
    }

    /// Each table's position in `tables` by schema and name; of two
    /// same-named tables, the first, as `table` finds it.
    pub fn positions(&self) -> std::collections::HashMap<(&str, &str), usize> {
        let mut map = std::collections::HashMap::with_capacity(self.tables.len());
        for (i, t) in self.tables.iter().enumerate() {
            map.entry((t.schema.as_str(), t.name.as_str())).or_insert(i);
        }
        map
    }
}

/// [`Schema::index`].
pub struct TableIndex<'a> {
    tables: &'a [Arc<Table>],
    at: std::collections::HashMap<(&'a str, &'a str), usize>,
}

impl<'a> TableIndex<'a> {
    pub fn table(&self, schema: &str, name: &str) -> Option<&'a Table> {
        self.at.get(&(schema, name)).map(|&i| &*self.tables[i])
    }

    /// Every table, in schema order.
    pub fn tables(&self) -> &'a [Arc<Table>] {
        self.tables
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
    #[serde(default, skip_serializing_if = "is_false")]
    pub row_level_security: bool,
    pub policies: Vec<Policy>,
    pub partitioning: Option<Partitioning>,
    #[serde(skip)]
    pub origin: Origin,
}

impl Table {
    /// `schema.name` with nothing in it yet: an aggregate root's table
    /// without columns, keys, constraints, indexes, triggers or policies.
    pub fn new(schema: String, name: String) -> Table {
        Table {
            schema,
            name,
            comment: None,
            kind: TableKind::AggregateRoot,
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
            origin: Origin::default(),
        }
    }

    pub fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
    /// The names of the table's constraints and indexes: its key's, its
    /// uniques', checks', foreign keys' and indexes'.
    pub fn constraint_and_index_names(&self) -> impl Iterator<Item = &str> {
        let key = self.primary_key.iter().map(|k| k.name.as_str());
        key.chain(self.uniques.iter().map(|u| u.name.as_str()))
            .chain(self.checks.iter().map(|c| c.name.as_str()))
            .chain(self.foreign_keys.iter().map(|f| f.name.as_str()))
            .chain(self.indexes.iter().map(|x| x.name.as_str()))
    }
    /// The names of the table's audit triggers (`audited`).
    pub fn audit_triggers(&self) -> impl Iterator<Item = &str> {
        self.triggers.iter().filter(|t| t.function.name == AUDIT_FN).map(|t| t.name.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    #[serde(rename = "type")]
    pub ty: ColumnType,
    #[serde(default, skip_serializing_if = "is_false")]
    pub nullable: bool,
    /// SQL expression.
    pub default: Option<String>,
    /// `GENERATED ALWAYS AS IDENTITY`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub identity: bool,
    /// `GENERATED ALWAYS AS (expr) STORED`.
    pub generated: Option<String>,
    /// The columns a generated column is computed from: a change of their
    /// type needs the generated column rebuilt around it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    pub comment: Option<String>,
    /// Where the column comes from, for the docs (a value object, a
    /// reference, timestamps…); `None` for a plain field or the identity.
    #[serde(rename = "origin_note")]
    pub source: Option<ColumnSource>,
    /// `@backfill(expr)` of its field, as SQL: the value existing rows get
    /// when the column is added or made NOT NULL. Model knowledge the
    /// database does not hold: not stored, not compared.
    #[serde(skip)]
    pub backfill: Backfill,
    #[serde(skip)]
    pub origin: Origin,
}

impl Column {
    /// A plain column: no default, identity, generated expression, comment
    /// or source; the rest is set on the value it returns.
    pub fn new(name: impl Into<String>, ty: ColumnType, nullable: bool, origin: Origin) -> Column {
        Column {
            name: name.into(),
            ty,
            nullable,
            default: None,
            identity: false,
            generated: None,
            depends_on: Vec::new(),
            comment: None,
            source: None,
            backfill: Backfill::default(),
            origin,
        }
    }
}

/// A column type, as the compiler decides it. `sql` prints it; the lock
/// stores it in the compact notation of its `Display`/`FromStr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnType {
    Uuid,
    Text,
    Varchar(u32),
    Char(u32),
    SmallInt,
    Integer,
    BigInt,
    /// `NUMERIC` or `NUMERIC(precision, scale)`.
    Numeric(Option<(u32, u32)>),
    DoublePrecision,
    Boolean,
    Date,
    Time,
    Interval,
    Timestamptz,
    Jsonb,
    Bytea,
    Tsvector,
    /// `geography(Point, 4326)` (PostGIS).
    GeographyPoint,
    /// A native enum type.
    Enum {
        schema: String,
        name: String,
    },
    Array(Box<ColumnType>),
}

/// Where a column comes from, when it is not simply a field of the model.
/// The docs translate it; nothing parses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnSource {
    Tenant,
    /// The link to the parent entity (`<parent>_id`).
    Parent {
        entity: String,
    },
    /// The link of a list's element to its owner.
    Owner {
        entity: String,
    },
    /// An event's link to its aggregate (no foreign key).
    Aggregate {
        name: String,
    },
    Reference {
        context: String,
        aggregate: String,
    },
    /// A value object's column: the part of a multi-field one embedded as
    /// `field` (`None`: a single-column value object).
    ValueObject {
        value: String,
        field: Option<String>,
    },
    Enum {
        name: String,
    },
    Search {
        config: String,
    },
    Timestamps,
    SoftDelete,
    ListPosition,
    EventType,
    OutboxRelay,
}

/// `@backfill` SQL of a column, outside the column's identity: two columns
/// that differ only in it are equal.
#[derive(Debug, Clone, Default)]
pub struct Backfill(pub Option<String>);

impl PartialEq for Backfill {
    fn eq(&self, _: &Backfill) -> bool {
        true
    }
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
    /// What the check enforces, in the model's terms.
    pub source: CheckSource,
    pub comment: Option<String>,
    #[serde(skip)]
    pub origin: Origin,
}

impl Check {
    /// For the check of a CHECK-based enum: its column and values, so that
    /// the evolution engine can tell a value added from one removed.
    pub fn enum_values(&self) -> Option<(&str, &[String])> {
        match &self.source {
            CheckSource::Enum { column, values, .. } => Some((column, values)),
            _ => None,
        }
    }
}

/// What a CHECK enforces, for the docs and the evolution engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckSource {
    /// An invariant: its condition as written in the model.
    Invariant {
        source: String,
    },
    /// An invariant of a multi-field value object.
    ValueRule {
        value: String,
        source: String,
    },
    /// The check of a single-column value object.
    SingleValue {
        value: String,
        source: String,
    },
    /// A CHECK-based enum's values.
    Enum {
        name: String,
        column: String,
        values: Vec<String>,
    },
    /// The event names of an aggregate's events table.
    EventTypes {
        aggregate: String,
    },
    PasswordHash,
    ListPosition,
    /// An optional value object: all its required parts or none.
    AllOrNone {
        value: String,
    },
    AuditActions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FkAction {
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
    NoAction,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub ref_schema: String,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    pub on_delete: FkAction,
    pub on_update: FkAction,
    /// `ON DELETE SET NULL (cols)`: the columns a `set null`/`set default`
    /// clears, when not all of them (a tenant-scoped reference keeps its
    /// tenant column).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_delete_columns: Vec<String>,
    #[serde(skip)]
    pub origin: Origin,
}

impl ForeignKey {
    pub fn target(&self) -> TableRef {
        TableRef { schema: self.ref_schema.clone(), name: self.ref_table.clone() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexMethod {
    Btree,
    Gin,
    Gist,
    Brin,
    Hash,
}

/// What an index is on: a column, or an SQL expression (parenthesised).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IndexItem {
    Column(String),
    Expr(String),
}

impl IndexItem {
    pub fn column(&self) -> Option<&str> {
        match self {
            IndexItem::Column(c) => Some(c),
            IndexItem::Expr(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Index {
    pub name: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    pub method: IndexMethod,
    pub items: Vec<IndexItem>,
    /// Partial index condition, SQL.
    pub predicate: Option<String>,
    pub comment: Option<String>,
    #[serde(skip)]
    pub origin: Origin,
}

impl Index {
    /// The plain columns the index starts with, up to its first expression.
    pub fn leading_columns(&self) -> Vec<&str> {
        self.items.iter().map_while(IndexItem::column).collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerTiming {
    Before,
    After,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerEvent {
    Insert,
    Update,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    pub name: String,
    pub timing: TriggerTiming,
    pub events: Vec<TriggerEvent>,
    /// The function called, with its arguments as SQL literals.
    pub function: FunctionCall,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    pub schema: String,
    pub name: String,
    pub args: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub name: String,
    pub using: String,
    pub with_check: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartitionMethod {
    Range,
    List,
    Hash,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Partitioning {
    pub method: PartitionMethod,
    pub column: String,
    pub partitions: Vec<PartitionDef>,
}

impl Partitioning {
    pub fn default_partition(&self) -> Option<&PartitionDef> {
        self.partitions.iter().find(|p| p.bound == PartitionBound::Default)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartitionDef {
    pub name: String,
    pub bound: PartitionBound,
    /// Row-level security enabled and forced on the partition itself, with
    /// its table's policies: a partition named directly in a query is
    /// checked by its own policies, not its parent's.
    #[serde(default, skip_serializing_if = "is_false")]
    pub row_level_security: bool,
}

/// The rows a partition holds. Values are SQL literals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartitionBound {
    Range { from: String, to: String },
    List(Vec<String>),
    Hash { modulus: u32, remainder: u32 },
    Default,
}

/// `schema.table`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TableRef {
    pub schema: String,
    pub name: String,
}

impl TableRef {
    pub fn of(t: &Table) -> TableRef {
        TableRef { schema: t.schema.clone(), name: t.name.clone() }
    }
}

impl std::fmt::Display for TableRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
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
    /// Sorted.
    pub tables: Vec<TableRef>,
}
