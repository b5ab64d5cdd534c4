//! How column types and index items are written in the lock and read back:
//! types in the notation a DBA reads (`VARCHAR(255)`, `NUMERIC(10, 2)`,
//! `TIMESTAMPTZ`, `autenticacion.estado` for a native enum, `TEXT[]`),
//! which is also how the lock of format 1 wrote them. Migrations print SQL
//! through `sql::types`, which quotes what must be quoted.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{ColumnType, IndexItem};

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::Uuid => f.write_str("UUID"),
            ColumnType::Text => f.write_str("TEXT"),
            ColumnType::Varchar(n) => write!(f, "VARCHAR({n})"),
            ColumnType::Char(n) => write!(f, "CHAR({n})"),
            ColumnType::SmallInt => f.write_str("SMALLINT"),
            ColumnType::Integer => f.write_str("INTEGER"),
            ColumnType::BigInt => f.write_str("BIGINT"),
            ColumnType::Numeric(None) => f.write_str("NUMERIC"),
            ColumnType::Numeric(Some((p, s))) => write!(f, "NUMERIC({p}, {s})"),
            ColumnType::DoublePrecision => f.write_str("DOUBLE PRECISION"),
            ColumnType::Boolean => f.write_str("BOOLEAN"),
            ColumnType::Date => f.write_str("DATE"),
            ColumnType::Time => f.write_str("TIME"),
            ColumnType::Interval => f.write_str("INTERVAL"),
            ColumnType::Timestamptz => f.write_str("TIMESTAMPTZ"),
            ColumnType::Jsonb => f.write_str("JSONB"),
            ColumnType::Bytea => f.write_str("BYTEA"),
            ColumnType::Tsvector => f.write_str("TSVECTOR"),
            ColumnType::GeographyPoint => f.write_str("geography(Point, 4326)"),
            ColumnType::Enum { schema, name } => write!(f, "{schema}.{name}"),
            ColumnType::Array(t) => write!(f, "{t}[]"),
        }
    }
}

impl FromStr for ColumnType {
    type Err = String;

    fn from_str(s: &str) -> Result<ColumnType, String> {
        if let Some(element) = s.strip_suffix("[]") {
            return Ok(ColumnType::Array(Box::new(element.parse()?)));
        }
        let number = |x: &str| x.trim().parse::<u32>().map_err(|_| format!("bad type `{s}`"));
        let args = |prefix: &str| s.strip_prefix(prefix).and_then(|r| r.strip_suffix(')'));
        if let Some(n) = args("VARCHAR(") {
            return Ok(ColumnType::Varchar(number(n)?));
        }
        if let Some(n) = args("CHAR(") {
            return Ok(ColumnType::Char(number(n)?));
        }
        if let Some(ps) = args("NUMERIC(") {
            let (p, sc) = ps.split_once(',').ok_or_else(|| format!("bad type `{s}`"))?;
            return Ok(ColumnType::Numeric(Some((number(p)?, number(sc)?))));
        }
        Ok(match s {
            "UUID" => ColumnType::Uuid,
            "TEXT" => ColumnType::Text,
            "SMALLINT" => ColumnType::SmallInt,
            "INTEGER" => ColumnType::Integer,
            "BIGINT" => ColumnType::BigInt,
            "NUMERIC" => ColumnType::Numeric(None),
            "DOUBLE PRECISION" => ColumnType::DoublePrecision,
            "BOOLEAN" => ColumnType::Boolean,
            "DATE" => ColumnType::Date,
            "TIME" => ColumnType::Time,
            "INTERVAL" => ColumnType::Interval,
            "TIMESTAMPTZ" => ColumnType::Timestamptz,
            "JSONB" => ColumnType::Jsonb,
            "BYTEA" => ColumnType::Bytea,
            "TSVECTOR" => ColumnType::Tsvector,
            "geography(Point, 4326)" => ColumnType::GeographyPoint,
            // A native enum type: `schema.name`, either part maybe quoted.
            _ => {
                let unquote = |p: &str| match p.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
                    Some(inner) => inner.replace("\"\"", "\""),
                    None => p.to_string(),
                };
                let (schema, name) = s.split_once('.').ok_or_else(|| format!("unknown type `{s}`"))?;
                ColumnType::Enum { schema: unquote(schema), name: unquote(name) }
            }
        })
    }
}

impl Serialize for ColumnType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ColumnType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ColumnType, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for IndexItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndexItem::Column(c) | IndexItem::Expr(c) => f.write_str(c),
        }
    }
}

impl super::Index {
    /// The items, comma-separated, for people.
    pub fn items_text(&self) -> String {
        self.items.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    }
}

/// An index item is its column's name, or its expression, which always
/// starts with `(` (a column name never does).
impl Serialize for IndexItem {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            IndexItem::Column(c) | IndexItem::Expr(c) => s.serialize_str(c),
        }
    }
}

impl<'de> Deserialize<'de> for IndexItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<IndexItem, D::Error> {
        let text = String::deserialize(d)?;
        Ok(if text.starts_with('(') { IndexItem::Expr(text) } else { IndexItem::Column(text) })
    }
}

impl ColumnType {
    /// `text`, `varchar(n)` or `char(n)`.
    pub fn is_text(&self) -> bool {
        matches!(self, ColumnType::Text | ColumnType::Varchar(_) | ColumnType::Char(_))
    }

    /// A date or time with a date.
    pub fn is_temporal(&self) -> bool {
        matches!(self, ColumnType::Date | ColumnType::Timestamptz)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_round_trip_through_their_notation() {
        let types = [
            ColumnType::Uuid,
            ColumnType::Varchar(255),
            ColumnType::Char(2),
            ColumnType::Numeric(None),
            ColumnType::Numeric(Some((10, 2))),
            ColumnType::DoublePrecision,
            ColumnType::GeographyPoint,
            ColumnType::Enum { schema: "pagos".into(), name: "estado_pago".into() },
            ColumnType::Array(Box::new(ColumnType::Text)),
        ];
        for t in types {
            assert_eq!(t.to_string().parse::<ColumnType>(), Ok(t.clone()), "{t}");
        }
        assert!("VARCHAR(x)".parse::<ColumnType>().is_err());
        assert_eq!(
            "\"Pagos\".estado".parse::<ColumnType>(),
            Ok(ColumnType::Enum { schema: "Pagos".into(), name: "estado".into() })
        );
    }
}
