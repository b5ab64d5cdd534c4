//! Column types as SQL: as the migrations write them (`VARCHAR(255)`,
//! `NUMERIC(10, 2)`), and as PostgreSQL's `format_type()` prints them back
//! (`character varying(255)`, `numeric(10,2)`), which guards compare with.

use super::qualified;
use crate::relational::ColumnType;

/// The type as a migration writes it.
pub fn column_type(t: &ColumnType) -> String {
    match t {
        ColumnType::Uuid => "UUID".into(),
        ColumnType::Text => "TEXT".into(),
        ColumnType::Varchar(n) => format!("VARCHAR({n})"),
        ColumnType::Char(n) => format!("CHAR({n})"),
        ColumnType::SmallInt => "SMALLINT".into(),
        ColumnType::Integer => "INTEGER".into(),
        ColumnType::BigInt => "BIGINT".into(),
        ColumnType::Numeric(None) => "NUMERIC".into(),
        ColumnType::Numeric(Some((p, s))) => format!("NUMERIC({p}, {s})"),
        ColumnType::DoublePrecision => "DOUBLE PRECISION".into(),
        ColumnType::Boolean => "BOOLEAN".into(),
        ColumnType::Date => "DATE".into(),
        ColumnType::Time => "TIME".into(),
        ColumnType::Interval => "INTERVAL".into(),
        ColumnType::Timestamptz => "TIMESTAMPTZ".into(),
        ColumnType::Jsonb => "JSONB".into(),
        ColumnType::Bytea => "BYTEA".into(),
        ColumnType::Tsvector => "TSVECTOR".into(),
        ColumnType::GeographyPoint => "geography(Point, 4326)".into(),
        ColumnType::Enum { schema, name } => qualified(schema, name),
        ColumnType::Array(element) => format!("{}[]", column_type(element)),
    }
}

/// The type as `format_type(atttypid, atttypmod)` prints it.
pub fn format_type(t: &ColumnType) -> String {
    match t {
        ColumnType::Varchar(n) => format!("character varying({n})"),
        ColumnType::Char(n) => format!("character({n})"),
        ColumnType::Numeric(Some((p, s))) => format!("numeric({p},{s})"),
        ColumnType::Time => "time without time zone".into(),
        ColumnType::Timestamptz => "timestamp with time zone".into(),
        ColumnType::GeographyPoint => "geography(Point,4326)".into(),
        ColumnType::Enum { schema, name } => qualified(schema, name),
        ColumnType::Array(element) => format!("{}[]", format_type(element)),
        other => column_type(other).to_ascii_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_as_format_type_prints_them() {
        assert_eq!(format_type(&ColumnType::Varchar(200)), "character varying(200)");
        assert_eq!(format_type(&ColumnType::Numeric(Some((10, 2)))), "numeric(10,2)");
        assert_eq!(format_type(&ColumnType::Timestamptz), "timestamp with time zone");
        assert_eq!(format_type(&ColumnType::Array(Box::new(ColumnType::Text))), "text[]");
        assert_eq!(format_type(&ColumnType::DoublePrecision), "double precision");
        assert_eq!(format_type(&ColumnType::Char(2)), "character(2)");
        assert_eq!(column_type(&ColumnType::Numeric(Some((10, 2)))), "NUMERIC(10, 2)");
    }
}
