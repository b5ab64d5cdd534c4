//! The resolved domain model: what the `.ddd` files mean, with every name
//! resolved, every type known and every expression type-checked.
//!
//! [`analyze`] runs the passes in a fixed order, each pushing diagnostics:
//!
//! 1. [`names`] — declarations are collected into scopes (contexts, the shared
//!    kernel); duplicates and invalid identifiers are reported; ids assigned.
//! 2. [`types`] — field types are resolved (scalars, enums, value objects,
//!    lists), value-object cycles found, annotations read.
//! 3. [`references`] — `ref` targets resolved to aggregate roots, actions
//!    checked, identity columns of every table known.
//! 4. [`exprs`] — invariants, checks, defaults, index items and `where`
//!    clauses are type-checked into [`TExpr`] trees.
//! 5. [`rules`] — model-level rules: root-only declarations, partitioning,
//!    audit, events, tenancy, roles, publications, target version.
//!
//! A pass runs even when an earlier one reported errors, but on what could be
//! resolved only, so errors do not cascade.

mod annotations;
mod exprs;
mod names;
mod references;
pub mod regex;
mod resolver;
mod rules;
mod types;

use serde::Serialize;

use crate::diagnostics::{Diagnostic, FileId, Span};
use crate::syntax::ast;

pub use names::snake_case;
pub use references::identity_columns;
pub(crate) use types::value_columns;
pub use types::MAX_TABLE_COLUMNS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ContextId(pub usize);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct EnumId(pub usize);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ValueId(pub usize);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct AggregateId(pub usize);

#[derive(Debug, Clone, Serialize)]
pub struct Model {
    pub name: String,
    pub doc: Option<String>,
    #[serde(skip)]
    pub span: Span,
    /// PostgreSQL major version the SQL is written for (13..=18).
    pub target: u32,
    pub tables: TableNaming,
    /// Extensions asked for in the model block (those implied by types are
    /// added when lowering).
    pub extensions: Vec<String>,
    pub defaults: Defaults,
    pub audit_log: Option<AuditLog>,
    pub contexts: Vec<Context>,
    pub enums: Vec<Enum>,
    pub values: Vec<ValueObject>,
    pub aggregates: Vec<Aggregate>,
    pub roles: Vec<Role>,
    pub publications: Vec<Publication>,
    /// `@allow` on the `model` block: for findings about the whole model.
    pub allows: Vec<Allow>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TableNaming {
    Snake,
    PluralEn,
    PluralEs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Defaults {
    pub timestamps: bool,
    pub soft_delete: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditLog {
    pub context: ContextId,
    pub table: String,
    pub range: Option<MonthRange>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Month {
    pub year: u32,
    pub month: u32,
}

impl Month {
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month { year: self.year + 1, month: 1 }
        } else {
            Month { year: self.year, month: self.month + 1 }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MonthRange {
    pub from: Month,
    pub to: Month,
}

impl MonthRange {
    /// Every month from `from` to `to`, both included.
    pub fn months(self) -> Vec<Month> {
        let mut out = Vec::new();
        let mut m = self.from;
        while m <= self.to {
            out.push(m);
            m = m.next();
        }
        out
    }
}

/// `@allow(CODE, "reason")`.
#[derive(Debug, Clone, Serialize)]
pub struct Allow {
    pub code: String,
    pub reason: String,
    #[serde(skip)]
    pub span: Span,
}

/// `@was(old_name)`.
#[derive(Debug, Clone, Serialize)]
pub struct Was {
    pub name: String,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Context {
    pub name: String,
    pub doc: Option<String>,
    #[serde(skip)]
    pub span: Span,
    /// `tenant by COLUMN`.
    pub tenant_by: Option<String>,
    pub was: Option<Was>,
    pub allows: Vec<Allow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Enum {
    pub name: String,
    /// `None`: declared at top level (the shared kernel).
    pub context: Option<ContextId>,
    pub doc: Option<String>,
    #[serde(skip)]
    pub span: Span,
    pub native: bool,
    pub values: Vec<EnumValue>,
    pub was: Option<Was>,
    pub allows: Vec<Allow>,
}

impl Enum {
    pub fn longest_value(&self) -> usize {
        self.values.iter().map(|v| v.name.len()).max().unwrap_or(1)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct EnumValue {
    pub name: String,
    pub doc: Option<String>,
    #[serde(skip)]
    pub span: Span,
    pub was: Option<Was>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ValueObject {
    pub name: String,
    pub context: Option<ContextId>,
    pub doc: Option<String>,
    #[serde(skip)]
    pub span: Span,
    pub shape: ValueShape,
    pub allows: Vec<Allow>,
}

#[derive(Debug, Clone, Serialize)]
pub enum ValueShape {
    /// `value Email: text(255) check …`: used like a type, one column.
    Single { ty: Scalar, check: Option<TExpr> },
    /// Embedded as prefixed columns.
    Fields { fields: Vec<Field>, invariants: Vec<Invariant> },
}

#[derive(Debug, Clone, Serialize)]
pub struct Aggregate {
    pub name: String,
    pub context: ContextId,
    /// The root's table, fields, invariants, indexes and child entities.
    pub root: Entity,
    pub soft_delete: bool,
    pub audited: bool,
    /// `tenant_scoped`, or inherited from `tenant by` on the context: the
    /// tenant column's name.
    pub tenant: Option<String>,
    pub expected_rows: Option<u64>,
    pub events: Option<Events>,
    pub partition: Option<Partition>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Entity {
    pub name: String,
    pub doc: Option<String>,
    #[serde(skip)]
    pub span: Span,
    /// `as name`: the table name, as written.
    pub table_as: Option<String>,
    /// `entity X one`: at most one per parent.
    pub one: bool,
    pub identity: Identity,
    pub fields: Vec<Field>,
    pub invariants: Vec<Invariant>,
    pub indexes: Vec<Index>,
    pub entities: Vec<Entity>,
    pub timestamps: bool,
    pub search: Option<Search>,
    pub was: Option<Was>,
    pub allows: Vec<Allow>,
}

impl Entity {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
    /// This entity and every entity below it, depth first.
    pub fn walk(&self) -> Vec<&Entity> {
        let mut out = vec![self];
        for e in &self.entities {
            out.extend(e.walk());
        }
        out
    }
}

/// How a table's rows are identified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    /// `id UUID DEFAULT gen_random_uuid()` (no `id` field, or `id: uuid`).
    Uuid,
    /// `id: uuid v7`.
    UuidV7,
    /// `id: bigint identity` (or int / smallint).
    Identity(Scalar),
    /// An `id` field of another type, supplied by the application.
    Supplied(Scalar),
    /// `key (a, b)`: the named fields' columns.
    Natural(Vec<String>),
}

impl Identity {
    /// Whether the application supplies the key's values (a natural key, an
    /// `id: text`) rather than the database generating them: such a key is
    /// unique per tenant in a tenant-scoped aggregate, since two tenants
    /// may each pick the same one.
    pub fn is_supplied(&self) -> bool {
        matches!(self, Identity::Supplied(_) | Identity::Natural(_))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Field {
    pub name: String,
    /// The column name (or column prefix, for a multi-field value object):
    /// the field name unless `@column(…)` says otherwise; `<field>_id` for a
    /// reference.
    pub column: String,
    /// `@column(…)` was written.
    #[serde(skip)]
    pub column_explicit: bool,
    /// Where `@column(…)`'s name is.
    #[serde(skip)]
    pub column_span: Option<Span>,
    pub doc: Option<String>,
    #[serde(skip)]
    pub span: Span,
    pub ty: FieldType,
    pub nullable: bool,
    pub default: Option<TExpr>,
    pub unique: bool,
    pub indexed: bool,
    pub was: Option<Was>,
    pub pii: bool,
    /// `@backfill(expr)`: the value existing rows get when the column is added
    /// or made NOT NULL.
    pub backfill: Option<TExpr>,
    /// `@name(…)` for the generated constraint of `unique`.
    pub name_override: Option<String>,
    pub allows: Vec<Allow>,
}

impl Field {
    /// The columns of a reference field with the target columns they point
    /// at: `<column>` alone for a single-column key (the references pass sets
    /// it to `<field>_id` unless `@column` says otherwise), `<column>_<key>`
    /// for each part of a composite key.
    pub fn ref_columns(&self) -> Vec<(String, KeyColumn)> {
        let FieldType::Ref(r) = &self.ty else {
            return Vec::new();
        };
        match r.key.as_slice() {
            [one] => vec![(self.column.clone(), one.clone())],
            many => many.iter().map(|k| (format!("{}_{}", self.column, k.column), k.clone())).collect(),
        }
    }
}

/// The columns of a child entity's table that point at its parent:
/// `<parent>_id` (`<parent>` the snake_case of the parent's type name), or
/// `<parent>_<key>` for each part of a composite key.
pub fn link_columns(parent_name: &str, parent_key: &[KeyColumn]) -> Vec<(String, KeyColumn)> {
    let base = snake_case(parent_name);
    match parent_key {
        [one] => vec![(format!("{base}_id"), one.clone())],
        many => many.iter().map(|k| (format!("{base}_{}", k.column), k.clone())).collect(),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum FieldType {
    Scalar(Scalar),
    /// `T[]` of a scalar.
    Array(Scalar),
    Enum(EnumId),
    /// A value object: one column (single) or prefixed columns.
    Value(ValueId),
    /// `T[]` of a multi-field value object: an element table.
    ValueList(ValueId),
    Ref(Ref),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ref {
    pub target: AggregateId,
    pub on_delete: RefAction,
    pub on_update: RefAction,
    pub loose: bool,
    /// The target's identity columns, filled by the references pass: the
    /// referencing columns have these types.
    pub key: Vec<KeyColumn>,
}

/// One column of a table's identity, as another table references it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyColumn {
    pub column: String,
    pub ty: KeyType,
}

/// The type of a key column: a scalar, or an enum's column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum KeyType {
    Scalar(Scalar),
    Enum(EnumId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scalar {
    Uuid,
    Text(Option<u32>),
    Char(u32),
    SmallInt,
    Int,
    BigInt,
    Decimal(Option<(u32, u32)>),
    Float,
    Bool,
    Date,
    Time,
    Interval,
    Timestamp,
    Json,
    Bytes,
    PasswordHash,
    Encrypted,
    GeoPoint,
}

impl Scalar {
    /// The `.ddd` spelling.
    pub fn ddd(self) -> String {
        match self {
            Scalar::Uuid => "uuid".into(),
            Scalar::Text(None) => "text".into(),
            Scalar::Text(Some(n)) => format!("text({n})"),
            Scalar::Char(n) => format!("char({n})"),
            Scalar::SmallInt => "smallint".into(),
            Scalar::Int => "int".into(),
            Scalar::BigInt => "bigint".into(),
            Scalar::Decimal(None) => "decimal".into(),
            Scalar::Decimal(Some((p, s))) => format!("decimal({p}, {s})"),
            Scalar::Float => "float".into(),
            Scalar::Bool => "bool".into(),
            Scalar::Date => "date".into(),
            Scalar::Time => "time".into(),
            Scalar::Interval => "interval".into(),
            Scalar::Timestamp => "timestamp".into(),
            Scalar::Json => "json".into(),
            Scalar::Bytes => "bytes".into(),
            Scalar::PasswordHash => "password_hash".into(),
            Scalar::Encrypted => "encrypted".into(),
            Scalar::GeoPoint => "geo_point".into(),
        }
    }

    pub fn expr_type(self) -> ExprType {
        match self {
            Scalar::Uuid => ExprType::Uuid,
            Scalar::Text(_) | Scalar::Char(_) | Scalar::PasswordHash => ExprType::Text,
            Scalar::SmallInt | Scalar::Int | Scalar::BigInt => ExprType::Int,
            Scalar::Decimal(_) | Scalar::Float => ExprType::Decimal,
            Scalar::Bool => ExprType::Bool,
            Scalar::Date => ExprType::Date,
            Scalar::Time => ExprType::Time,
            Scalar::Interval => ExprType::Interval,
            Scalar::Timestamp => ExprType::Timestamp,
            Scalar::Json => ExprType::Json,
            Scalar::Bytes | Scalar::Encrypted => ExprType::Bytes,
            Scalar::GeoPoint => ExprType::Geo,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Invariant {
    pub name: String,
    /// `@name(…)`: the whole constraint name.
    pub constraint_name: Option<String>,
    pub doc: Option<String>,
    #[serde(skip)]
    pub span: Span,
    /// The condition as written in the model, for the docs.
    pub source: String,
    pub expr: TExpr,
    pub allows: Vec<Allow>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexMethod {
    Btree,
    Gin,
    Gist,
    Brin,
    Hash,
}

impl IndexMethod {
    pub fn word(self) -> &'static str {
        match self {
            IndexMethod::Btree => "btree",
            IndexMethod::Gin => "gin",
            IndexMethod::Gist => "gist",
            IndexMethod::Brin => "brin",
            IndexMethod::Hash => "hash",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Index {
    pub unique: bool,
    pub method: IndexMethod,
    pub items: Vec<TExpr>,
    pub where_clause: Option<TExpr>,
    pub including_deleted: bool,
    /// `@name(…)`.
    pub name: Option<String>,
    pub doc: Option<String>,
    #[serde(skip)]
    pub span: Span,
    pub allows: Vec<Allow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Events {
    pub table_as: Option<String>,
    pub outbox: bool,
    pub range: Option<MonthRange>,
    pub names: Vec<EventDef>,
    pub doc: Option<String>,
    #[serde(skip)]
    pub span: Span,
    pub allows: Vec<Allow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventDef {
    pub name: String,
    pub doc: Option<String>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Partition {
    /// The partition key's column.
    pub column: String,
    pub spec: PartitionSpec,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub enum PartitionSpec {
    Range(Option<MonthRange>),
    List(Vec<ListPartition>),
    Hash(u32),
}

#[derive(Debug, Clone, Serialize)]
pub struct ListPartition {
    pub name: String,
    pub values: Vec<Literal>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Search {
    /// Text-search configuration (`spanish`, `english`, `simple`, …).
    pub config: String,
    /// Columns with their weight.
    pub items: Vec<(String, char)>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Role {
    pub name: String,
    pub doc: Option<String>,
    #[serde(skip)]
    pub span: Span,
    pub read: Vec<ContextId>,
    pub write: Vec<ContextId>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Publication {
    pub name: String,
    pub doc: Option<String>,
    #[serde(skip)]
    pub span: Span,
    pub items: Vec<PublicationItem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PublicationItem {
    Context(ContextId),
    Aggregate(AggregateId),
}

// ------------------------------------ literals, operators, ref actions --
//
// The model's own: every step after the model (lowering, SQL, lint, docs)
// uses these, never the syntax tree's, which stays in the front end.

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Literal {
    /// Digits as written, maybe with a fraction: `42`, `0.5`.
    Number(String),
    String(String),
    Bool(bool),
    Null,
    /// `2025-11-01`
    Date(String),
    EmptyObject,
    EmptyArray,
}

impl From<&ast::Literal> for Literal {
    fn from(l: &ast::Literal) -> Literal {
        match l {
            ast::Literal::Number(n) => Literal::Number(n.clone()),
            ast::Literal::String(s) => Literal::String(s.clone()),
            ast::Literal::Bool(b) => Literal::Bool(*b),
            ast::Literal::Null => Literal::Null,
            ast::Literal::Date(d) => Literal::Date(d.clone()),
            ast::Literal::EmptyObject => Literal::EmptyObject,
            ast::Literal::EmptyArray => Literal::EmptyArray,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl From<ast::CmpOp> for CmpOp {
    fn from(op: ast::CmpOp) -> CmpOp {
        match op {
            ast::CmpOp::Eq => CmpOp::Eq,
            ast::CmpOp::Ne => CmpOp::Ne,
            ast::CmpOp::Lt => CmpOp::Lt,
            ast::CmpOp::Le => CmpOp::Le,
            ast::CmpOp::Gt => CmpOp::Gt,
            ast::CmpOp::Ge => CmpOp::Ge,
        }
    }
}

impl CmpOp {
    /// The `.ddd` spelling.
    pub fn ddd(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl From<ast::ArithOp> for ArithOp {
    fn from(op: ast::ArithOp) -> ArithOp {
        match op {
            ast::ArithOp::Add => ArithOp::Add,
            ast::ArithOp::Sub => ArithOp::Sub,
            ast::ArithOp::Mul => ArithOp::Mul,
            ast::ArithOp::Div => ArithOp::Div,
            ast::ArithOp::Rem => ArithOp::Rem,
        }
    }
}

impl ArithOp {
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Rem => "%",
        }
    }
}

/// What a reference does when its target is deleted or its key updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RefAction {
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
    NoAction,
}

impl From<ast::RefAction> for RefAction {
    fn from(a: ast::RefAction) -> RefAction {
        match a {
            ast::RefAction::Restrict => RefAction::Restrict,
            ast::RefAction::Cascade => RefAction::Cascade,
            ast::RefAction::SetNull => RefAction::SetNull,
            ast::RefAction::SetDefault => RefAction::SetDefault,
            ast::RefAction::NoAction => RefAction::NoAction,
        }
    }
}

impl RefAction {
    /// The words of the `.ddd` source, which are also PostgreSQL's (upper-cased).
    pub fn words(self) -> &'static str {
        match self {
            RefAction::Restrict => "restrict",
            RefAction::Cascade => "cascade",
            RefAction::SetNull => "set null",
            RefAction::SetDefault => "set default",
            RefAction::NoAction => "no action",
        }
    }
}

// ------------------------------------------------------ typed expressions --

/// The type of an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExprType {
    Bool,
    Text,
    Int,
    Decimal,
    Date,
    Time,
    Timestamp,
    Interval,
    Uuid,
    Json,
    Bytes,
    Geo,
    Array,
    Enum(EnumId),
    /// The `null` literal.
    Null,
    /// `sql "…"`: trusted, unchecked.
    Any,
}

impl ExprType {
    pub fn is_numeric(self) -> bool {
        matches!(self, ExprType::Int | ExprType::Decimal)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TExpr {
    pub kind: TExprKind,
    pub ty: ExprType,
    /// May be NULL (a nullable column takes part): a CHECK on it passes on NULL.
    pub nullable: bool,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub enum TExprKind {
    /// A column of the expression's table, by its name relative to the scope
    /// (a value object's invariant names its own columns; lowering prefixes
    /// them when the value is embedded).
    Column(String),
    /// A whole multi-field value object or composite reference: its
    /// columns. Allowed only as an index's item and under `is null` / `is
    /// not null` (`exprs::one_value_each` refuses it elsewhere).
    Columns(Vec<String>),
    /// The subject of a single-column value object's check.
    Subject,
    EnumValue {
        enum_id: EnumId,
        value: String,
    },
    Literal(Literal),
    Not(Box<TExpr>),
    And(Vec<TExpr>),
    Or(Vec<TExpr>),
    Implies(Box<TExpr>, Box<TExpr>),
    Compare(CmpOp, Box<TExpr>, Box<TExpr>),
    IsNull {
        expr: Box<TExpr>,
        negated: bool,
    },
    In {
        expr: Box<TExpr>,
        list: Vec<TExpr>,
        negated: bool,
    },
    Between {
        expr: Box<TExpr>,
        low: Box<TExpr>,
        high: Box<TExpr>,
    },
    Matches {
        expr: Box<TExpr>,
        regex: String,
    },
    Arith(ArithOp, Box<TExpr>, Box<TExpr>),
    Neg(Box<TExpr>),
    Call(Function, Vec<TExpr>),
    Sql(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Function {
    Len,
    Lower,
    Upper,
    Trim,
    Abs,
    Coalesce,
    Now,
    Date,
}

impl Function {
    pub const ALL: [(&'static str, Function); 8] = [
        ("len", Function::Len),
        ("lower", Function::Lower),
        ("upper", Function::Upper),
        ("trim", Function::Trim),
        ("abs", Function::Abs),
        ("coalesce", Function::Coalesce),
        ("now", Function::Now),
        ("date", Function::Date),
    ];
    pub fn name(self) -> &'static str {
        Function::ALL.iter().find(|(_, f)| *f == self).map_or("", |(n, _)| n)
    }
}

impl TExpr {
    /// Visits this expression and every sub-expression.
    pub fn walk(&self, f: &mut dyn FnMut(&TExpr)) {
        f(self);
        match &self.kind {
            TExprKind::Not(e) | TExprKind::Neg(e) => e.walk(f),
            TExprKind::IsNull { expr, .. } | TExprKind::Matches { expr, .. } => expr.walk(f),
            TExprKind::And(v) | TExprKind::Or(v) | TExprKind::Call(_, v) => v.iter().for_each(|e| e.walk(f)),
            TExprKind::Implies(a, b) | TExprKind::Compare(_, a, b) | TExprKind::Arith(_, a, b) => {
                a.walk(f);
                b.walk(f);
            }
            TExprKind::In { expr, list, .. } => {
                expr.walk(f);
                list.iter().for_each(|e| e.walk(f));
            }
            TExprKind::Between { expr, low, high } => {
                expr.walk(f);
                low.walk(f);
                high.walk(f);
            }
            _ => {}
        }
    }

    /// Visits this expression and every sub-expression, mutably.
    pub fn walk_mut(&mut self, f: &mut dyn FnMut(&mut TExpr)) {
        f(self);
        match &mut self.kind {
            TExprKind::Not(e) | TExprKind::Neg(e) => e.walk_mut(f),
            TExprKind::IsNull { expr, .. } | TExprKind::Matches { expr, .. } => expr.walk_mut(f),
            TExprKind::And(v) | TExprKind::Or(v) | TExprKind::Call(_, v) => v.iter_mut().for_each(|e| e.walk_mut(f)),
            TExprKind::Implies(a, b) | TExprKind::Compare(_, a, b) | TExprKind::Arith(_, a, b) => {
                a.walk_mut(f);
                b.walk_mut(f);
            }
            TExprKind::In { expr, list, .. } => {
                expr.walk_mut(f);
                list.iter_mut().for_each(|e| e.walk_mut(f));
            }
            TExprKind::Between { expr, low, high } => {
                expr.walk_mut(f);
                low.walk_mut(f);
                high.walk_mut(f);
            }
            _ => {}
        }
    }

    /// The columns this expression reads.
    pub fn columns(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.walk(&mut |e| match &e.kind {
            TExprKind::Column(c) => out.push(c.clone()),
            TExprKind::Columns(cs) => out.extend(cs.iter().cloned()),
            _ => {}
        });
        out
    }
}

/// The outcome of analysis: the model (when the files could be read at all)
/// and every diagnostic, sorted.
pub struct Analysis {
    pub model: Option<Model>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Resolves and validates parsed files (root file first).
pub fn analyze(files: &[(FileId, ast::SourceFile)]) -> Analysis {
    analyze_with(files, Halves::BySize)
}

/// Whether a pass does its work in two halves, the second on a thread of
/// its own (the tests compare the three; the binary only sizes them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
enum Halves {
    /// From as many items as the pass says it pays.
    BySize,
    Never,
    /// From two items.
    Always,
}

impl Halves {
    fn split(self, items: usize, from: usize) -> bool {
        match self {
            Halves::BySize => items >= from.max(2),
            Halves::Never => false,
            Halves::Always => items >= 2,
        }
    }
}

/// [`analyze`], with its passes' work split as `halves` says.
fn analyze_with(files: &[(FileId, ast::SourceFile)], halves: Halves) -> Analysis {
    let mut r = resolver::Resolver::new(files);
    let pass = crate::timing::phase;
    let p = pass("resolve: names");
    names::run(&mut r);
    drop(p);
    let p = pass("resolve: types");
    types::run(&mut r, halves);
    drop(p);
    let p = pass("resolve: references");
    references::run(&mut r);
    drop(p);
    let p = pass("resolve: expressions");
    exprs::run(&mut r, halves);
    drop(p);
    let p = pass("resolve: rules");
    rules::run(&mut r);
    drop(p);
    let mut diagnostics = r.diagnostics;
    crate::diagnostics::sort(&mut diagnostics);
    Analysis { model: Some(r.model), diagnostics }
}

#[cfg(test)]
mod tests {
    /// Every test model and example (references across contexts, entities,
    /// partitions, search, events, tenants, errors of every pass) gives the
    /// same model and diagnostics with its passes split in halves as without.
    #[test]
    fn every_model_analyzes_alike_in_halves() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "ddd") {
                    out.push(path);
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut paths = Vec::new();
        for dir in ["tests/models", "tests/validation", "tests/lint"] {
            walk(&root.join(dir), &mut paths);
        }
        for example in std::fs::read_dir(root.join("examples")).unwrap() {
            paths.push(example.unwrap().path().join("model.ddd"));
        }
        paths.retain(|p| p.exists());
        paths.sort();
        let mut aggregates = 0;
        let (mut errors, mut compared) = (0, 0);
        for path in &paths {
            let Ok(loaded) = crate::loader::load(path, path) else { continue };
            compared += 1;
            let one = super::analyze_with(&loaded.files, super::Halves::Never);
            let halves = super::analyze_with(&loaded.files, super::Halves::Always);
            assert_eq!(one.diagnostics, halves.diagnostics, "{}", path.display());
            assert_eq!(format!("{:?}", one.model), format!("{:?}", halves.model), "{}", path.display());
            aggregates += one.model.map_or(0, |m| m.aggregates.len());
            errors += one.diagnostics.iter().filter(|d| d.is_error()).count();
        }
        // The fixtures of every pass's errors are among them.
        assert!(
            compared > 300 && aggregates > 300 && errors > 150,
            "{compared} models, {aggregates} aggregates, {errors} errors"
        );
    }

    /// Expressions checked in two halves on two threads give the model and
    /// the diagnostics (in their order) that one pass gives: every slot,
    /// typed or wrong, on many owners.
    #[test]
    fn expressions_checked_in_halves_are_checked_as_in_one_pass() {
        let mut src = String::from(
            "model m {\n  target postgres 16\n}\n\ncontext c {\n  enum Status {\n    OPEN\n    CLOSED\n  }\n\n  \
             value Money {\n    amount: decimal(12, 2)\n    currency: text(3) = 'EUR'\n    \
             invariant positive: amount >= 0\n  }\n",
        );
        for i in 0..40 {
            let default = if i % 3 == 0 { "'text'" } else { "0" };
            src.push_str(&format!(
                "  aggregate A{i} {{\n    name: text(100)\n    quantity: int = {default}\n    status: Status = OPEN\n    \
                 price: Money?\n    invariant ok{i}: quantity >= 0 and price.amount > 1\n    invariant bad{i}: quantity > 'x'\n    \
                 invariant unknown{i}: quanity > 0\n    invariant worse{i}: status\n    \
                 index (status, lower(name)) where quantity > 0\n  }}\n"
            ));
        }
        src.push_str("}\n");
        let parsed = crate::syntax::parse(crate::diagnostics::FileId(0), &src);
        let files = vec![(crate::diagnostics::FileId(0), parsed.file.unwrap())];
        let one = super::analyze_with(&files, super::Halves::Never);
        let halves = super::analyze_with(&files, super::Halves::Always);
        assert!(one.diagnostics.len() > 100, "{}", one.diagnostics.len());
        assert_eq!(one.diagnostics, halves.diagnostics);
        assert_eq!(format!("{:?}", one.model), format!("{:?}", halves.model));
        // What the checks stored is there: a typed invariant, not the
        // placeholder `true` its declaration left.
        let model = halves.model.unwrap();
        let ok = &model.aggregates[1].root.invariants[0];
        assert!(matches!(ok.expr.kind, super::TExprKind::And(_)), "{:?}", ok.expr);
    }
}
