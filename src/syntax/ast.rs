//! The typed syntax tree of one `.ddd` file.
//!
//! Every node keeps its [`Span`]. Items stay in source order (the formatter
//! prints them back in that order); meaning is decided later, in `model`.

use crate::diagnostics::Span;

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// `a.b.c`: a qualified type name or a value-object column path.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Path {
    pub parts: Vec<Ident>,
    pub span: Span,
}

impl Path {
    pub fn text(&self) -> String {
        self.parts.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(".")
    }
}

/// The text of the `///` comments attached to a declaration, lines joined by
/// `\n`, with the `///` and one following space removed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Doc {
    pub text: String,
    pub span: Span,
}

/// A `//` or `///` comment, kept for the formatter.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Comment {
    pub text: String,
    pub span: Span,
    /// `///`: documents a declaration.
    pub is_doc: bool,
    /// Nothing but whitespace before it on its line.
    pub own_line: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SourceFile {
    pub items: Vec<TopItem>,
    pub comments: Vec<Comment>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum TopItem {
    Include(Include),
    Model(Model),
    Context(Context),
    Enum(EnumDecl),
    Value(ValueDecl),
    Role(Role),
    Publication(Publication),
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Include {
    pub path: String,
    pub path_span: Span,
    pub span: Span,
}

/// `@name(args)` written after what it annotates.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Annotation {
    pub name: Ident,
    pub args: Vec<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Model {
    pub doc: Option<Doc>,
    pub name: Ident,
    /// `model m @allow(L007, 'why') {`: applies to the whole model.
    pub annotations: Vec<Annotation>,
    pub items: Vec<ModelItem>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ModelItem {
    Target { database: Ident, version: u32, version_span: Span, span: Span },
    Tables { rule: Ident, span: Span },
    Extensions { names: Vec<Ident>, span: Span },
    Defaults { settings: Vec<Setting>, span: Span },
    AuditLog { table: Path, range: Option<MonthRange>, span: Span },
    Role(Role),
    Publication(Publication),
    Context(Context),
    Enum(EnumDecl),
    Value(ValueDecl),
}

/// One line of `defaults { … }`: `timestamps`, `no timestamps`, `soft_delete`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Setting {
    pub negated: bool,
    pub name: Ident,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Month {
    pub year: u32,
    pub month: u32,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MonthRange {
    pub from: Month,
    pub to: Month,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Context {
    pub doc: Option<Doc>,
    pub name: Ident,
    pub annotations: Vec<Annotation>,
    pub items: Vec<ContextItem>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ContextItem {
    TenantBy { column: Ident, span: Span },
    Enum(EnumDecl),
    Value(ValueDecl),
    Aggregate(Aggregate),
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EnumDecl {
    pub doc: Option<Doc>,
    pub name: Ident,
    pub native: Option<Span>,
    pub annotations: Vec<Annotation>,
    pub values: Vec<EnumValue>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EnumValue {
    pub doc: Option<Doc>,
    pub name: Ident,
    pub annotations: Vec<Annotation>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ValueDecl {
    pub doc: Option<Doc>,
    pub name: Ident,
    pub annotations: Vec<Annotation>,
    pub body: ValueBody,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ValueBody {
    /// `value Email: text(255) check matches /…/`
    Single { ty: TypeExpr, check: Option<Expr> },
    /// `value Direccion { calle: text(255) … }`
    Fields(Vec<ValueItem>),
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ValueItem {
    Field(Field),
    Invariant(Invariant),
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum TypeExpr {
    Named(NamedType),
    Ref(RefType),
}

impl TypeExpr {
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Named(t) => t.span,
            TypeExpr::Ref(r) => r.span,
        }
    }
    pub fn is_optional(&self) -> bool {
        match self {
            TypeExpr::Named(t) => t.optional,
            TypeExpr::Ref(r) => r.optional,
        }
    }
}

/// `text(255)`, `Telefono[]`, `decimal(10, 2)?`, `bigint identity`, `uuid v7`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NamedType {
    pub name: Path,
    pub args: Vec<(u64, Span)>,
    pub array: bool,
    pub optional: bool,
    pub flag: Option<(TypeFlag, Span)>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TypeFlag {
    Identity,
    V7,
}

/// `ref marketplace.Tutor? on delete set null loose`
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RefType {
    pub target: Path,
    pub optional: bool,
    pub on_delete: Option<(RefAction, Span)>,
    pub on_update: Option<(RefAction, Span)>,
    pub loose: Option<Span>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefAction {
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
    NoAction,
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

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Field {
    pub doc: Option<Doc>,
    pub name: Ident,
    pub ty: TypeExpr,
    pub default: Option<Expr>,
    pub unique: Option<Span>,
    pub indexed: Option<Span>,
    pub annotations: Vec<Annotation>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Aggregate {
    pub doc: Option<Doc>,
    pub name: Ident,
    pub table_as: Option<Ident>,
    pub annotations: Vec<Annotation>,
    pub items: Vec<AggregateItem>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Entity {
    pub doc: Option<Doc>,
    pub name: Ident,
    pub table_as: Option<Ident>,
    pub one: Option<Span>,
    pub annotations: Vec<Annotation>,
    pub items: Vec<AggregateItem>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum AggregateItem {
    Field(Field),
    Flag(Flag),
    ExpectedRows { text: String, rows: u64, span: Span },
    Key { columns: Vec<Ident>, span: Span },
    Invariant(Invariant),
    Index(IndexDecl),
    Entity(Entity),
    Events(Events),
    Partition(Partition),
    Search(Search),
}

/// `soft_delete`, `audited`, `tenant_scoped`, `timestamps`, each maybe `no …`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Flag {
    pub negated: bool,
    pub kind: FlagKind,
    pub name: Ident,
    pub span: Span,
}

/// The four entity flags; the grammar admits no other word in that place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FlagKind {
    Timestamps,
    SoftDelete,
    Audited,
    TenantScoped,
}

impl FlagKind {
    /// The flag as written in source.
    pub fn keyword(self) -> &'static str {
        match self {
            FlagKind::Timestamps => "timestamps",
            FlagKind::SoftDelete => "soft_delete",
            FlagKind::Audited => "audited",
            FlagKind::TenantScoped => "tenant_scoped",
        }
    }

    pub fn from_keyword(word: &str) -> Option<FlagKind> {
        [FlagKind::Timestamps, FlagKind::SoftDelete, FlagKind::Audited, FlagKind::TenantScoped]
            .into_iter()
            .find(|k| k.keyword() == word)
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Invariant {
    pub doc: Option<Doc>,
    pub name: Ident,
    pub annotations: Vec<Annotation>,
    pub expr: Expr,
    pub span: Span,
}

/// `index …` or `unique …`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IndexDecl {
    pub doc: Option<Doc>,
    pub unique: bool,
    pub method: Option<Ident>,
    pub items: Vec<Expr>,
    pub where_clause: Option<Expr>,
    pub including_deleted: Option<Span>,
    pub annotations: Vec<Annotation>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Events {
    pub doc: Option<Doc>,
    pub outbox: Option<Span>,
    pub table_as: Option<Ident>,
    pub range: Option<MonthRange>,
    pub annotations: Vec<Annotation>,
    pub names: Vec<EventName>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EventName {
    pub doc: Option<Doc>,
    pub name: Ident,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Partition {
    pub kind: PartitionKind,
    pub column: Ident,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum PartitionKind {
    Range { range: Option<MonthRange> },
    List { parts: Vec<ListPart> },
    Hash { modulus: u32, modulus_span: Span },
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ListPart {
    pub name: Ident,
    pub values: Vec<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Search {
    pub config: Ident,
    pub items: Vec<SearchItem>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SearchItem {
    pub path: Path,
    pub weight: Option<(char, Span)>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Role {
    pub doc: Option<Doc>,
    pub name: Ident,
    pub grants: Vec<Grant>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Grant {
    pub write: bool,
    pub contexts: Vec<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Publication {
    pub doc: Option<Doc>,
    pub name: Ident,
    pub items: Vec<Path>,
    pub span: Span,
}

// ------------------------------------------------------------ expressions --

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ExprKind {
    Implies(Box<Expr>, Box<Expr>),
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Compare(CmpOp, Box<Expr>, Box<Expr>),
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    In {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
    },
    Matches {
        expr: Box<Expr>,
        regex: String,
    },
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
    Call {
        name: Ident,
        args: Vec<Expr>,
    },
    Path(Path),
    Literal(#[serde(with = "plain_literal")] Literal),
    Sql(String),
    Paren(Box<Expr>),
    /// The implicit subject of a single-column value object's `check`
    /// (`check matches /…/`).
    Subject,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
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

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// [`Literal`] in serde's default (externally tagged) form, for the syntax
/// memo's postcard encoding ([`crate::syntax::memo`]): postcard cannot read
/// the adjacently tagged form the schema snapshot's JSON has.
mod plain_literal {
    use super::Literal;
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize)]
    enum Plain {
        Number(String),
        String(String),
        Bool(bool),
        Null,
        Date(String),
        EmptyObject,
        EmptyArray,
    }

    pub fn serialize<S: serde::Serializer>(l: &Literal, s: S) -> Result<S::Ok, S::Error> {
        match l.clone() {
            Literal::Number(n) => Plain::Number(n),
            Literal::String(t) => Plain::String(t),
            Literal::Bool(b) => Plain::Bool(b),
            Literal::Null => Plain::Null,
            Literal::Date(d) => Plain::Date(d),
            Literal::EmptyObject => Plain::EmptyObject,
            Literal::EmptyArray => Plain::EmptyArray,
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Literal, D::Error> {
        Ok(match Plain::deserialize(d)? {
            Plain::Number(n) => Literal::Number(n),
            Plain::String(t) => Literal::String(t),
            Plain::Bool(b) => Literal::Bool(b),
            Plain::Null => Literal::Null,
            Plain::Date(d) => Literal::Date(d),
            Plain::EmptyObject => Literal::EmptyObject,
            Plain::EmptyArray => Literal::EmptyArray,
        })
    }
}
