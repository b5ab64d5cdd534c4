//! `dddc import`: an existing database's schema, read by [`super::read`],
//! written as a `.ddd` model.
//!
//! A context per schema, an aggregate per table (`as <table>` keeps its
//! name), a field per column, a `ref` per single-column foreign key (with its
//! delete action), native enums for enum types, `invariant … : sql '…'`
//! for CHECKs (the expression language cannot always say them; `sql` keeps
//! the database's own text), indexes and uniques with `@name` where the name
//! is not the one dddc would generate, comments as `///` docs, and
//! `no timestamps` (an imported table keeps exactly its columns). What the
//! language cannot express is returned as warnings, never dropped silently.

use crate::relational::{ColumnType, FkAction, IndexItem, IndexMethod, Schema, Table};

use super::Unsupported;

/// The model's text (not yet formatted) and what it could not say.
pub fn to_model(name: &str, schema: &Schema, mut unsupported: Vec<Unsupported>) -> (String, Vec<Unsupported>) {
    let mut out = String::new();
    out.push_str(&format!(
        "/// Imported by `dddc import` from a PostgreSQL {} database.\nmodel {} {{\n  target postgres {}\n",
        schema.target,
        ident(name),
        schema.target.clamp(13, 18)
    ));
    if !schema.extensions.is_empty() {
        let ext: Vec<&String> = schema.extensions.iter().filter(|e| e.as_str() != "postgis").collect();
        if !ext.is_empty() {
            out.push_str(&format!("  extensions {}\n", ext.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", ")));
        }
    }
    out.push_str("  defaults {\n    no timestamps\n  }\n}\n");
    // Each schema's enum types and tables, grouped once (a filter of every
    // table per schema grew with schemas × tables: a schema per tenant).
    let mut enums_of: std::collections::HashMap<&str, Vec<&crate::relational::EnumType>> = Default::default();
    for e in &schema.enum_types {
        enums_of.entry(e.schema.as_str()).or_default().push(e);
    }
    let mut tables_of: std::collections::HashMap<&str, Vec<&Table>> = Default::default();
    for t in &schema.tables {
        tables_of.entry(t.schema.as_str()).or_default().push(t);
    }
    // Each imported table's primary key: a foreign key is a `ref` only to
    // an imported table's key.
    let keys: Keys = schema
        .tables
        .iter()
        .map(|t| ((t.schema.clone(), t.name.clone()), t.primary_key.as_ref().map(|p| p.columns.clone())))
        .collect();
    // A schema that holds enum types but no table is a context of them:
    // the CLI adds it to `schemas`, with its comment.
    for s in &schema.schemas {
        out.push('\n');
        doc(&mut out, "", s.comment.as_deref());
        out.push_str(&format!("context {} {{\n", ident(&s.name)));
        for e in enums_of.get(s.name.as_str()).into_iter().flatten() {
            doc(&mut out, "  ", e.comment.as_deref());
            out.push_str(&format!("  enum {} native {{\n", pascal(&e.name)));
            for v in &e.values {
                if is_ident(v) {
                    out.push_str(&format!("    {v}\n"));
                } else {
                    unsupported.push(Unsupported {
                        object: format!("{}.{}", e.schema, e.name),
                        reason: format!("the value {v:?} is not an identifier: left out of the enum"),
                    });
                }
            }
            out.push_str("  }\n");
        }
        for t in tables_of.get(s.name.as_str()).into_iter().flatten() {
            table(&mut out, t, &keys, &mut unsupported);
        }
        out.push_str("}\n");
    }
    (out, unsupported)
}

/// The imported tables' primary keys, by `(schema, table)`.
type Keys = std::collections::HashMap<(String, String), Option<Vec<String>>>;

fn table(out: &mut String, t: &Table, keys: &Keys, unsupported: &mut Vec<Unsupported>) {
    let object = t.qualified();
    out.push('\n');
    doc(out, "  ", t.comment.as_deref());
    out.push_str(&format!("  aggregate {} as {} {{\n", pascal(&t.name), ident(&t.name)));
    let pk: Vec<String> = t.primary_key.as_ref().map(|p| p.columns.clone()).unwrap_or_default();
    // The identity dddc writes by default: `id UUID DEFAULT gen_random_uuid()`.
    let default_id = pk == ["id"]
        && t.column("id").is_some_and(|c| {
            c.ty == ColumnType::Uuid && c.default.as_deref().is_some_and(|d| d.contains("gen_random_uuid"))
        });
    if t.primary_key.is_none() {
        unsupported.push(Unsupported {
            object: object.clone(),
            reason: "no primary key: dddc gives it an `id uuid` primary key".into(),
        });
    }
    let partition_clause = t.partitioning.as_ref().and_then(|p| partition_by(t, p));
    if let (Some(p), None) = (&t.partitioning, &partition_clause) {
        unsupported.push(Unsupported {
            object: object.clone(),
            reason: format!(
                "partitioned by {:?} ({}) into {} partition(s) the language cannot name (it names them `<table>_2025_11`, \
                 `<table>_<key>`, `<table>_p0`… plus `<table>_default`): imported as a plain table; declare `partition by …` by hand",
                p.method,
                p.column,
                p.partitions.len()
            )
            .to_lowercase(),
        });
    }
    // Columns the language cannot type are left out, and what uses them.
    // A foreign key the model can say: one column, to an imported table's
    // primary key (the model's `ref` references that).
    let as_ref = |f: &&crate::relational::ForeignKey| {
        f.columns.len() == 1
            && keys
                .get(&(f.ref_schema.clone(), f.ref_table.clone()))
                .is_some_and(|k| k.as_ref().is_some_and(|k| *k == f.ref_columns))
    };
    for f in t.foreign_keys.iter().filter(|f| f.columns.len() == 1 && !as_ref(f)) {
        unsupported.push(Unsupported {
            object: format!("{object}.{}", f.name),
            reason: format!(
                "a foreign key to {}.{} ({}), which is not an imported table's primary key: its column is imported, the constraint is not",
                f.ref_schema,
                f.ref_table,
                f.ref_columns.join(", ")
            ),
        });
    }
    let skipped: Vec<&str> = t
        .columns
        .iter()
        .filter(|c| {
            let named = is_ident(&c.name) && c.name.len() <= 63;
            if !named {
                unsupported.push(Unsupported {
                    object: format!("{object}.{}", c.name),
                    reason: "the name is not an identifier of the language (ASCII letters, digits and `_`): the column is left out".into(),
                });
            }
            !named || (ddd_type(&c.ty, &t.schema).is_none() && !t.foreign_keys.iter().filter(as_ref).any(|f| f.columns == [c.name.clone()]))
        })
        .map(|c| c.name.as_str())
        .collect();
    // (A name PostgreSQL quotes, `"e-mail"`, is found quoted: split at
    // the `-` it would not be.)
    let uses_skipped = |cols: &[String], sql: &[&str]| {
        cols.iter().any(|c| skipped.contains(&c.as_str()))
            || sql.iter().any(|e| {
                e.split(|ch: char| !(ch.is_alphanumeric() || ch == '_')).any(|w| skipped.contains(&w))
                    || skipped.iter().any(|s| e.contains(&format!("\"{}\"", s.replace('"', "\"\""))))
            })
    };
    for c in &t.columns {
        if default_id && c.name == "id" || !is_ident(&c.name) {
            continue;
        }
        let fk = t.foreign_keys.iter().filter(as_ref).find(|f| f.columns == [c.name.clone()]);
        // A key is made of plain columns: a reference in the primary key is
        // imported as its column.
        let fk = match fk {
            Some(f) if pk.contains(&c.name) => {
                unsupported.push(Unsupported {
                    object: format!("{object}.{}", f.name),
                    reason: "a foreign key on a primary-key column: the language's keys are plain columns, so the \
                             column is imported and the constraint is not; keep it in a hand-written migration"
                        .into(),
                });
                None
            }
            other => other,
        };
        doc(out, "    ", c.comment.as_deref());
        if let Some(fk) = fk {
            let target = format!("{}.{}", ident(&fk.ref_schema), pascal(&fk.ref_table));
            let field = field_of(t, &c.name);
            let field = field.as_str();
            let mut line = format!("    {}: ref {target}{}", field, if c.nullable { "?" } else { "" });
            // `set default`: a reference has no default in the language;
            // `set null` on a required one is an error of the model (E0303:
            // the delete would fail on NOT NULL).
            let mut fk_action = |a: FkAction, when: &str| {
                let (default, null) = (a == FkAction::SetDefault, a == FkAction::SetNull && !c.nullable);
                if default || null {
                    let why = if default {
                        "a reference has no default in the language"
                    } else {
                        "the column is NOT NULL, so PostgreSQL could never set it (E0303)"
                    };
                    unsupported.push(Unsupported {
                        object: format!("{object}.{}", fk.name),
                        reason: format!(
                            "ON {} SET {}: {why}; imported as `no action`",
                            when.to_uppercase(),
                            if default { "DEFAULT" } else { "NULL" }
                        ),
                    });
                    FkAction::NoAction
                } else {
                    a
                }
            };
            let (on_delete, on_update) = (fk_action(fk.on_delete, "delete"), fk_action(fk.on_update, "update"));
            if on_delete != FkAction::Restrict {
                line.push_str(&format!(" on delete {}", action(on_delete)));
            }
            if on_update != FkAction::Restrict {
                line.push_str(&format!(" on update {}", action(on_update)));
            }
            if field == c.name {
                line.push_str(&format!(" @column({})", c.name));
            }
            // The name dddc would give it is `fk_<table>_<column>`.
            if fk.name != format!("fk_{}_{}", t.name, c.name) {
                line.push_str(&format!(" @name({})", fk.name));
            }
            out.push_str(&line);
            out.push('\n');
            continue;
        }
        let Some(ty) = ddd_type(&c.ty, &t.schema) else {
            unsupported.push(Unsupported {
                object: format!("{object}.{}", c.name),
                reason: format!("type {} has no equivalent in the language: the column is left out", c.ty),
            });
            continue;
        };
        if c.generated.is_some() {
            unsupported.push(Unsupported {
                object: format!("{object}.{}", c.name),
                reason: "a generated column: imported as a plain column".into(),
            });
        }
        let mut line = format!("    {}: {ty}", field_name(&c.name));
        // The language's `identity` is the one key `id` of an integer type.
        let integer = matches!(c.ty, ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt);
        if c.identity && c.name == "id" && pk == ["id"] && integer {
            line.push_str(" identity");
        } else if c.identity {
            unsupported.push(Unsupported {
                object: format!("{object}.{}", c.name),
                reason:
                    "an identity column that is not the table's one key `id`: the language's `identity` is only that; \
                         imported as a plain column (keep the identity in a hand-written migration)"
                        .into(),
            });
        }
        if c.nullable {
            line.push('?');
        }
        if let Some(d) = &c.default {
            match default(d, &c.ty) {
                Some(v) => line.push_str(&format!(" = {v}")),
                None => unsupported.push(Unsupported {
                    object: format!("{object}.{}", c.name),
                    reason: format!("the default `{d}` is not a literal: left out"),
                }),
            }
        }
        if field_name(&c.name) != c.name {
            line.push_str(&format!(" @column({})", c.name));
        }
        out.push_str(&line);
        out.push('\n');
    }
    for fk in t.foreign_keys.iter().filter(|f| f.columns.len() > 1) {
        unsupported.push(Unsupported {
            object: format!("{object}.{}", fk.name),
            reason: "a foreign key over several columns: its columns are imported, the constraint is not".into(),
        });
    }
    let identity_id = pk == ["id"]
        && t.column("id").is_some_and(|c| {
            c.identity && matches!(c.ty, ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt)
        });
    if !pk.is_empty() && !default_id && !identity_id {
        out.push_str(&format!("    key ({})\n", pk.iter().map(|c| field_of(t, c)).collect::<Vec<_>>().join(", ")));
    }
    for c in &t.checks {
        if uses_skipped(&[], &[&c.expr]) {
            unsupported.push(Unsupported {
                object: format!("{object}.{}", c.name),
                reason: "a check on a column left out: left out too".into(),
            });
            continue;
        }
        doc(out, "    ", c.comment.as_deref());
        let (name, rename) = match c.name.strip_prefix(&format!("{}_", t.name)).filter(|n| is_ident(n)) {
            Some(n) => (n.to_string(), None),
            None => (field_name(&c.name), Some(c.name.clone())),
        };
        let canonical = super::canon::canonical(&c.expr);
        let expr = canonical.trim();
        let expr = expr.strip_prefix('(').and_then(|e| e.strip_suffix(')')).unwrap_or(expr);
        // `@name` follows the invariant's name (after the expression it is
        // a syntax error: a check named otherwise than `<table>_…`, as
        // dddc's own `ck_<table>_<column>_valid`, made the import fail).
        let rename = rename.map(|r| format!(" @name({r})")).unwrap_or_default();
        out.push_str(&format!("    invariant {name}{rename}: sql {}\n", quote(expr)));
    }
    for u in &t.uniques {
        if uses_skipped(&u.columns, &[]) {
            unsupported.push(Unsupported {
                object: format!("{object}.{}", u.name),
                reason: "a unique on a column left out: left out too".into(),
            });
            continue;
        }
        out.push_str(&format!(
            "    unique ({}) @name({})\n",
            u.columns.iter().map(|c| field_of(t, c)).collect::<Vec<_>>().join(", "),
            u.name
        ));
    }
    for i in &t.indexes {
        let columns: Vec<String> = i.items.iter().filter_map(|x| x.column().map(str::to_string)).collect();
        let exprs: Vec<&str> = i
            .items
            .iter()
            .filter_map(|x| match x {
                IndexItem::Expr(e) => Some(e.as_str()),
                IndexItem::Column(_) => None,
            })
            .chain(i.predicate.as_deref())
            .collect();
        if uses_skipped(&columns, &exprs) {
            unsupported.push(Unsupported {
                object: format!("{object}.{}", i.name),
                reason: "an index on a column left out: left out too".into(),
            });
            continue;
        }
        doc(out, "    ", i.comment.as_deref());
        let items: Vec<String> = i
            .items
            .iter()
            .map(|x| match x {
                IndexItem::Column(c) => field_of(t, c),
                IndexItem::Expr(e) => format!("sql {}", quote(e)),
            })
            .collect();
        let method = match i.method {
            IndexMethod::Btree => String::new(),
            m => format!("using {} ", crate::sql::objects::index_method(m)),
        };
        let kind = if i.unique { "unique" } else { "index" };
        let mut line = format!("    {kind} {method}({})", items.join(", "));
        if let Some(p) = &i.predicate {
            line.push_str(&format!(" where sql {}", quote(p)));
        }
        line.push_str(&format!(" @name({})", i.name));
        out.push_str(&line);
        out.push('\n');
    }
    if let Some(clause) = &partition_clause {
        out.push_str(&format!("    {clause}\n"));
    }
    if !t.triggers.is_empty() {
        unsupported.push(Unsupported {
            object,
            reason: format!(
                "triggers ({}): the language has none of its own; keep them in a hand-written migration",
                t.triggers.iter().map(|x| x.name.as_str()).collect::<Vec<_>>().join(", ")
            ),
        });
    }
    out.push_str("  }\n");
}

/// The `partition by …` that gives exactly these partitions, when the
/// language can say it: hash `into N` (`<table>_p<i>`), list with one key
/// per value (`<table>_<key>`), or monthly ranges (`<table>_<yyyy>_<mm>`);
/// a DEFAULT partition is `<table>_default` (the language always adds one
/// to range and list partitioning: its absence is a difference import lists).
fn partition_by(t: &Table, p: &crate::relational::Partitioning) -> Option<String> {
    use crate::relational::{PartitionBound, PartitionMethod};
    let column = field_of(t, &p.column);
    let suffix = |name: &str| name.strip_prefix(&format!("{}_", t.name)).map(str::to_string);
    let parts: Vec<_> = p.partitions.iter().filter(|x| x.bound != PartitionBound::Default).collect();
    if p.partitions.iter().any(|x| x.bound == PartitionBound::Default && x.name != format!("{}_default", t.name)) {
        return None;
    }
    match p.method {
        PartitionMethod::Hash => {
            let n = parts.len();
            let fits = parts.iter().all(|x| match x.bound {
                PartitionBound::Hash { modulus, remainder } => {
                    modulus as usize == n && x.name == format!("{}_p{remainder}", t.name)
                }
                _ => false,
            });
            (fits && n > 0).then(|| format!("partition by hash ({column}) into {n}"))
        }
        PartitionMethod::List => {
            let mut items = Vec::new();
            for x in &parts {
                let key = suffix(&x.name).filter(|k| is_ident(k))?;
                let PartitionBound::List(values) = &x.bound else { return None };
                let literals: Vec<String> = values.iter().map(|v| super::canon::canonical(v)).collect();
                if literals.iter().any(|v| !(v.starts_with('\'') || v.parse::<f64>().is_ok())) {
                    return None;
                }
                items.push(match literals.as_slice() {
                    [one] => format!("{key}: {one}"),
                    many => format!("{key}: ({})", many.join(", ")),
                });
            }
            (!items.is_empty()).then(|| format!("partition by list ({column}) {{ {} }}", items.join(", ")))
        }
        PartitionMethod::Range => {
            // Monthly: `<table>_yyyy_mm` from the first of the month to the next.
            let mut months: Vec<(i32, u32)> = Vec::new();
            for x in &parts {
                let key = suffix(&x.name)?;
                let (y, m) = key.split_once('_')?;
                let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
                let PartitionBound::Range { from, to } = &x.bound else { return None };
                let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                let starts =
                    |text: &str, yy: i32, mm: u32| text.trim_matches('\'').starts_with(&format!("{yy:04}-{mm:02}-01"));
                if !starts(from, y, m) || !starts(to, ny, nm) {
                    return None;
                }
                months.push((y, m));
            }
            months.sort();
            let (first, last) = (*months.first()?, *months.last()?);
            let count = (last.0 - first.0) * 12 + last.1 as i32 - first.1 as i32 + 1;
            (count as usize == months.len()).then(|| {
                format!(
                    "partition by range ({column}) monthly from {:04}-{:02} to {:04}-{:02}",
                    first.0, first.1, last.0, last.1
                )
            })
        }
    }
}

/// The field a column is imported as: a reference's column `<x>_id` is
/// the field `x`.
fn field_of(t: &Table, column: &str) -> String {
    let in_key = t.primary_key.as_ref().is_some_and(|p| p.columns.iter().any(|c| c == column));
    let is_ref = !in_key && t.foreign_keys.iter().any(|f| f.columns == [column.to_string()]);
    match column.strip_suffix("_id").filter(|f| is_ref && is_ident(f)) {
        Some(f) => f.to_string(),
        None => field_name(column),
    }
}

fn action(a: FkAction) -> &'static str {
    match a {
        FkAction::Restrict => "restrict",
        FkAction::Cascade => "cascade",
        FkAction::SetNull => "set null",
        FkAction::SetDefault => "set default",
        FkAction::NoAction => "no action",
    }
}

/// The `.ddd` spelling of a column type.
fn ddd_type(ty: &ColumnType, schema: &str) -> Option<String> {
    Some(match ty {
        ColumnType::Uuid => "uuid".into(),
        ColumnType::Text => "text".into(),
        ColumnType::Varchar(n) => format!("text({n})"),
        ColumnType::Char(n) => format!("char({n})"),
        ColumnType::SmallInt => "smallint".into(),
        ColumnType::Integer => "int".into(),
        ColumnType::BigInt => "bigint".into(),
        ColumnType::Numeric(Some((p, s))) => format!("decimal({p}, {s})"),
        ColumnType::Numeric(None) => return None,
        ColumnType::DoublePrecision => "float".into(),
        ColumnType::Boolean => "bool".into(),
        ColumnType::Date => "date".into(),
        ColumnType::Time => "time".into(),
        ColumnType::Interval => "interval".into(),
        ColumnType::Timestamptz => "timestamp".into(),
        ColumnType::Jsonb => "json".into(),
        ColumnType::Bytea => "bytes".into(),
        ColumnType::GeographyPoint => "geo_point".into(),
        ColumnType::Tsvector => return None,
        ColumnType::Enum { schema: s, name } if s == schema => pascal(name),
        ColumnType::Enum { schema: s, name } => format!("{}.{}", ident(s), pascal(name)),
        ColumnType::Array(inner) => format!("{}[]", ddd_type(inner, schema)?),
    })
}

/// A column default as a `.ddd` default, when it is a literal.
fn default(sql: &str, ty: &ColumnType) -> Option<String> {
    let canon = super::canon::canonical(sql);
    if let ColumnType::Enum { .. } = ty {
        let v = canon.strip_prefix('\'')?.strip_suffix('\'')?;
        return is_ident(v).then(|| v.to_string());
    }
    match canon.as_str() {
        "CURRENT_TIMESTAMP" if *ty == ColumnType::Timestamptz => return Some("now()".into()),
        "true" | "TRUE" => return Some("true".into()),
        "false" | "FALSE" => return Some("false".into()),
        "'{}'" if *ty == ColumnType::Jsonb => return Some("{}".into()),
        "'[]'" if *ty == ColumnType::Jsonb => return Some("[]".into()),
        // An empty array: the language's `[]`; other array literals are
        // left out (with a warning).
        "'{}'" if matches!(ty, ColumnType::Array(_)) => return Some("[]".into()),
        _ if matches!(ty, ColumnType::Array(_)) => return None,
        _ => {}
    }
    if canon.parse::<f64>().is_ok() {
        return Some(canon);
    }
    if canon.starts_with('\'') && canon.ends_with('\'') && canon.len() >= 2 {
        return Some(canon);
    }
    None
}

fn doc(out: &mut String, indent: &str, comment: Option<&str>) {
    if let Some(c) = comment {
        for line in c.lines() {
            out.push_str(&format!("{indent}/// {line}\n").replace("/// \n", "///\n"));
        }
    }
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A name as a `.ddd` identifier (the SQL name, when it is one).
fn ident(s: &str) -> String {
    if is_ident(s) {
        s.to_string()
    } else {
        let cleaned: String = s.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
        format!("x_{cleaned}")
    }
}

fn field_name(s: &str) -> String {
    if is_ident(s) && s.chars().all(|c| !c.is_ascii_uppercase()) {
        s.to_string()
    } else {
        ident(&s.to_lowercase())
    }
}

/// `reservas_sesiones` → `ReservasSesiones`.
fn pascal(s: &str) -> String {
    ident(s)
        .split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

/// A `.ddd` string literal: single quotes, `''` for a quote.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
