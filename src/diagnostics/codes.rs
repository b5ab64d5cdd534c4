//! Every diagnostic code the compiler emits, with its title and its long
//! explanation (`dddc explain CODE`). The explanations live in
//! `src/diagnostics/explain/<CODE>.md`; a test fails when one is missing.
//!
//! Numbering follows the passes: E00xx files and syntax, E01xx names, E02xx
//! types, E03xx references, E04xx expressions, E05xx model rules, E06xx the
//! relational schema, E07xx evolution (what the next migration refuses), E08xx the live
//! database (`verify`, `drift`, `import`);
//! W0xxx are compiler warnings. Lint rules have their own
//! `L0xx` codes (see `lint`).

pub struct Code {
    pub code: &'static str,
    pub title: &'static str,
    pub explanation: &'static str,
}

macro_rules! codes {
    ($($code:ident => $title:expr,)*) => {
        pub mod id {
            $(pub const $code: &str = stringify!($code);)*
        }
        pub static CODES: &[Code] = &[
            $(Code {
                code: stringify!($code),
                title: $title,
                explanation: include_str!(concat!("explain/", stringify!($code), ".md")),
            },)*
        ];
    };
}

codes! {
    E0001 => "syntax error",
    E0002 => "include outside the model's root folder",
    E0003 => "include cycle",
    E0004 => "included or model file cannot be read",
    E0005 => "missing or repeated `model` block",
    E0101 => "duplicate declaration",
    E0102 => "unknown type",
    E0103 => "unknown enum value",
    E0104 => "unknown context",
    E0105 => "unknown field or column",
    E0106 => "invalid identifier",
    E0107 => "unknown setting, flag, annotation or method",
    E0108 => "invalid annotation arguments",
    E0201 => "`id` field inside a value object",
    E0202 => "invalid type arguments",
    E0203 => "`identity` or `v7` where it cannot apply",
    E0204 => "invalid default value",
    E0205 => "value object contains itself",
    E0206 => "invalid array or list",
    E0207 => "modifier not allowed on this field",
    E0301 => "reference to an entity that is not an aggregate root",
    E0302 => "`ref` to a value object or enum",
    E0303 => "`set null` on a non-nullable reference",
    E0304 => "aggregate used as a field type without `ref`",
    E0305 => "`ref` inside a value object",
    E0306 => "reference action a tenant-scoped foreign key cannot take",
    E0307 => "reference from a table that is not tenant-scoped into tenant data",
    E0401 => "expression type error",
    E0402 => "unknown function",
    E0403 => "wrong number of arguments",
    E0404 => "invalid regular expression",
    E0405 => "index PostgreSQL cannot build: no operator class, several columns in a hash, a function that is not immutable",
    E0501 => "partition key missing from a unique",
    E0502 => "target version not supported",
    E0503 => "invalid partitioning or range",
    E0504 => "declaration allowed on an aggregate root only",
    E0505 => "`audited` without an `audit_log`",
    E0506 => "invalid natural key",
    E0507 => "declared more than once",
    E0508 => "invalid full-text search",
    E0509 => "`@was` names a declaration that still exists",
    E0510 => "audit log in a tenant-scoped context",
    E0601 => "generated name collision",
    E0602 => "more columns than PostgreSQL allows",
    E0701 => "change that would lose data",
    E0702 => "change PostgreSQL cannot make in place",
    E0703 => "required column with no value for existing rows",
    E0801 => "migration does not apply",
    E0802 => "migration is not idempotent",
    E0803 => "database differs from the lock's schema",
    E0804 => "undo does not restore the schema before",
    E0805 => "applied migration differs from the lock",
    E0806 => "no PostgreSQL to verify on",
    W0001 => "doc comment documents nothing",
    W0002 => "stale `@was`",
    W0003 => "a role may write the audit log",
    W0004 => "a role may read, through the audit log, rows its grants keep from it",
    W0710 => "squawk flags a generated migration",
    W0801 => "server older than the model's target",
    W0802 => "database object the language cannot express",
}

pub fn lookup(code: &str) -> Option<&'static Code> {
    let code = code.trim().to_ascii_uppercase();
    CODES.iter().find(|c| c.code == code)
}
