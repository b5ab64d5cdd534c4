//! A live catalog read into the compiler's [`Schema`], with read-only
//! queries that work on PostgreSQL 13 to 18.

use std::collections::HashMap;

use postgres::{Client, Row};

use crate::relational::{
    Check, CheckSource, Column, ColumnType, EnumType, FkAction, ForeignKey, Function, FunctionCall, Index, IndexItem,
    IndexMethod, PartitionBound, PartitionDef, PartitionMethod, Partitioning, Policy, PrimaryKey, PublicationDef,
    RoleDef, Schema, SchemaDef, Table, TableRef, Trigger, TriggerEvent, TriggerTiming, Unique,
};

/// What the catalog holds that the schema cannot say: reported, never
/// dropped silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// `schema.table.column`, `schema.view`, …
    pub object: String,
    pub reason: String,
}

/// Which schemas to read.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// The schemas to read; empty: every schema except the system ones and
    /// `public` (whose functions and enum types are read when used). Its
    /// tables are read when `public` is named here.
    pub schemas: Vec<String>,
    /// Read the tables of `public` too (a model with a context `public`),
    /// when `schemas` is empty.
    pub public: bool,
}

fn err(e: postgres::Error) -> String {
    crate::pg::describe_error(&e)
}

/// The catalog as a schema, and what it could not express.
pub fn read(db: &mut Client, scope: &Scope) -> Result<(Schema, Vec<Unsupported>), String> {
    let mut unsupported = Vec::new();
    let version: i32 = db.query_one("SELECT current_setting('server_version_num')::int", &[]).map_err(err)?.get(0);
    let mut schema = Schema { target: (version / 10_000) as u32, ..Schema::default() };
    // Schemas.
    let rows = db
        .query(
            &format!(
                "SELECT n.nspname, ds.description FROM pg_namespace n {} \
                 WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' AND (n.nspname <> 'public' OR $1) \
                 AND NOT {} ORDER BY 1",
                description("n.oid", "pg_namespace", "0"),
                of_extension("n.oid", "pg_namespace")
            ),
            &[&(scope.public || scope.schemas.iter().any(|s| s == "public"))],
        )
        .map_err(err)?;
    for r in rows {
        let name: String = r.get(0);
        if scope.schemas.is_empty() || scope.schemas.contains(&name) {
            schema.schemas.push(SchemaDef { name, comment: r.get(1), origin: Default::default() });
        }
    }
    let names: Vec<String> = schema.schemas.iter().map(|s| s.name.clone()).collect();
    let mut with_public = names.clone();
    with_public.push("public".into());
    // Extensions.
    for r in db.query("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1", &[]).map_err(err)? {
        schema.extensions.push(r.get(0));
    }
    // Enum types (public ones too: a shared kernel's native enums live there).
    for r in db
        .query(
            &format!(
                "SELECT n.nspname, t.typname, array_agg(e.enumlabel::text ORDER BY e.enumsortorder), ds.description \
                 FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace {} \
                 WHERE n.nspname = ANY ($1) AND NOT {} \
                 GROUP BY n.nspname, t.typname, t.oid, ds.description ORDER BY 1, 2",
                description("t.oid", "pg_type", "0"),
                of_extension("t.oid", "pg_type")
            ),
            &[&with_public],
        )
        .map_err(err)?
    {
        schema.enum_types.push(EnumType {
            schema: r.get(0),
            name: r.get(1),
            values: r.get(2),
            comment: r.get(3),
            origin: Default::default(),
        });
    }
    // Functions (not extensions').
    for r in db
        .query(
            &format!(
                "SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), pg_get_function_result(p.oid), \
                        l.lanname, p.provolatile::text, p.prosecdef, p.prosrc, ds.description \
                 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang {} \
                 WHERE n.nspname = ANY ($1) AND p.prokind = 'f' AND NOT {} ORDER BY 1, 2, 3",
                description("p.oid", "pg_proc", "0"),
                of_extension("p.oid", "pg_proc")
            ),
            &[&with_public],
        )
        .map_err(err)?
    {
        let volatility: String = r.get(5);
        schema.functions.push(Function {
            schema: r.get(0),
            name: r.get(1),
            args: r.get(2),
            returns: r.get(3),
            language: r.get(4),
            volatility: match volatility.as_str() {
                "i" => "IMMUTABLE",
                "s" => "STABLE",
                _ => "VOLATILE",
            }
            .into(),
            security_definer: r.get(6),
            body: r.get(7),
            comment: r.get(8),
        });
    }
    // Views, foreign tables, materialized views: not the schema's.
    for r in db
        .query(
            "SELECT n.nspname || '.' || c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = ANY ($1) AND c.relkind IN ('v', 'm', 'f') ORDER BY 1",
            &[&names],
        )
        .map_err(err)?
    {
        let kind: String = r.get(1);
        let what = match kind.as_str() {
            "v" => "a view",
            "m" => "a materialized view",
            _ => "a foreign table",
        };
        unsupported.push(Unsupported { object: r.get(0), reason: format!("{what}: the language has no views; keep it in a hand-written migration") });
    }
    // Tables.
    let tables = db
        .query(
            &format!(
                "SELECT c.oid, n.nspname, c.relname, ds.description, c.relrowsecurity AND c.relforcerowsecurity, \
                        c.relkind = 'p', c.relpersistence::text, array_to_string(c.reloptions, ', '), \
                        c.relrowsecurity <> c.relforcerowsecurity \
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace {} \
                 WHERE n.nspname = ANY ($1) AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 2, 3",
                description("c.oid", "pg_class", "0")
            ),
            &[&names],
        )
        .map_err(err)?;
    // Each kind of object read for every table at once: a query per table
    // and kind was 12,500 round trips for a database of 2,500 tables.
    let oids: Vec<u32> = tables.iter().map(|t| t.get(0)).collect();
    let mut columns = rows_by_table(db, &columns_query(), &oids)?;
    let mut constraints = rows_by_table(db, &constraints_query(schema.target), &oids)?;
    let mut indexes = rows_by_table(db, &indexes_query(), &oids)?;
    let mut triggers = rows_by_table(db, TRIGGERS, &oids)?;
    let mut policies = rows_by_table(db, POLICIES, &oids)?;
    let partitioned: Vec<u32> = tables.iter().filter(|t| t.get::<_, bool>(5)).map(|t| t.get(0)).collect();
    let mut keys = rows_by_table(db, &partition_keys_query(), &partitioned)?;
    let mut partitions = rows_by_table(db, PARTITIONS, &partitioned)?;
    let mut index_options = rows_by_table(db, &index_options_query(schema.target), &oids)?;
    for t in tables {
        let oid: u32 = t.get(0);
        let rows = |of: &mut HashMap<u32, Vec<Row>>| of.remove(&oid).unwrap_or_default();
        let mut table = Table { comment: t.get(3), row_level_security: t.get(4), ..Table::new(t.get(1), t.get(2)) };
        table_options(&t, &table, &mut unsupported);
        read_columns(rows(&mut columns), &mut table, &mut unsupported);
        read_constraints(rows(&mut constraints), &mut table, &mut unsupported);
        read_indexes(rows(&mut indexes), &mut table, &mut unsupported);
        for r in rows(&mut index_options) {
            let (name, what): (String, Vec<String>) = (r.get(0), r.get(1));
            if !what.is_empty() {
                unsupported.push(Unsupported {
                    object: format!("{}.{}.{name}", table.schema, table.name),
                    reason: format!(
                        "the index has {}: the language cannot say it, and it is left out",
                        what.join(", ")
                    ),
                });
            }
        }
        read_triggers(rows(&mut triggers), &mut table);
        read_policies(rows(&mut policies), &mut table);
        if t.get::<_, bool>(5) {
            let Some(key) = rows(&mut keys).pop() else {
                return Err(format!("`{}.{}` is partitioned but has no partition key", table.schema, table.name));
            };
            read_partitions(&key, rows(&mut partitions), &mut table, &mut unsupported);
        }
        schema.tables.push(table.into());
    }
    read_roles(db, &names, &mut schema)?;
    // Publications: the tables added to them (not the partitions
    // `pg_publication_tables` expands them into).
    for r in db
        .query(
            "SELECT p.pubname, p.puballtables, coalesce(array_agg(n.nspname || '.' || c.relname ORDER BY n.nspname, c.relname) \
                    FILTER (WHERE c.relname IS NOT NULL), '{}') \
             FROM pg_publication p LEFT JOIN pg_publication_rel pr ON pr.prpubid = p.oid \
             LEFT JOIN pg_class c ON c.oid = pr.prrelid LEFT JOIN pg_namespace n ON n.oid = c.relnamespace \
             GROUP BY p.pubname, p.puballtables ORDER BY 1",
            &[],
        )
        .map_err(err)?
    {
        let name: String = r.get(0);
        if r.get::<_, bool>(1) {
            unsupported.push(Unsupported {
                object: name,
                reason: "a publication FOR ALL TABLES: the model publishes aggregates one by one".into(),
            });
            continue;
        }
        let tables: Vec<String> = r.get(2);
        schema.publications.push(PublicationDef {
            name,
            tables: tables
                .iter()
                .filter_map(|t| t.split_once('.'))
                .map(|(s, n)| TableRef { schema: s.into(), name: n.into() })
                .collect(),
        });
    }
    Ok((schema, unsupported))
}

/// What a table holds beyond its columns that the language cannot say:
/// `UNLOGGED`, storage parameters, row-level security enabled without
/// being forced (or forced without being enabled).
fn table_options(r: &Row, t: &Table, unsupported: &mut Vec<Unsupported>) {
    let mut what = Vec::new();
    if r.get::<_, String>(6) == "u" {
        what.push("UNLOGGED (its rows are lost in a crash; the model's tables are logged)".to_string());
    }
    if let Some(options) = r.get::<_, Option<String>>(7).filter(|o| !o.is_empty()) {
        what.push(format!("storage parameters ({options})"));
    }
    if r.get::<_, bool>(8) {
        what.push("row-level security enabled or forced, not both (the model enables and forces it together)".into());
    }
    if !what.is_empty() {
        unsupported.push(Unsupported {
            object: format!("{}.{}", t.schema, t.name),
            reason: format!("{}: the language cannot say it, and it is left out", what.join("; ")),
        });
    }
}

/// For every index of the tables (a constraint's too), what the language
/// cannot say of it: a sort order, `INCLUDE` columns, an operator class or
/// collation of its own, storage parameters, `NULLS NOT DISTINCT`
/// (PostgreSQL 15's: `server` is the server's major version; it was read
/// through JSON of the whole row on every version, 40 % of the query's
/// time).
fn index_options_query(server: u32) -> String {
    let nulls = if server >= 15 { "i.indnullsnotdistinct" } else { "false" };
    format!("SELECT ic.relname::text, array_remove(ARRAY[ \
        CASE WHEN EXISTS (SELECT 1 FROM unnest(i.indoption::int2[]) o WHERE o <> 0) THEN 'a sort order (DESC or NULLS FIRST/LAST)' END, \
        CASE WHEN i.indnatts > i.indnkeyatts THEN 'INCLUDE columns' END, \
        CASE WHEN EXISTS (SELECT 1 FROM unnest(i.indclass::oid[]) k(c) JOIN pg_opclass oc ON oc.oid = k.c WHERE NOT oc.opcdefault) \
             THEN 'an operator class that is not its type''s default' END, \
        CASE WHEN EXISTS (SELECT 1 FROM unnest(i.indcollation::oid[], i.indkey::int2[]) AS k(coll, att) \
                          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.att \
                          WHERE k.coll <> 0 AND k.att <> 0 AND k.coll <> a.attcollation) THEN 'a collation of its own' END, \
        CASE WHEN ic.reloptions IS NOT NULL THEN 'storage parameters (' || array_to_string(ic.reloptions, ', ') || ')' END, \
        CASE WHEN {nulls} THEN 'NULLS NOT DISTINCT' END \
     ], NULL), i.indrelid \
     FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = ANY ($1) ORDER BY i.indrelid, ic.relname")
}

/// The rows of `sql` by table: `$1` is the tables' oids, and the last
/// column of each row its table's oid. Each table's rows keep the query's
/// order.
fn rows_by_table(db: &mut Client, sql: &str, oids: &[u32]) -> Result<HashMap<u32, Vec<Row>>, String> {
    let mut out: HashMap<u32, Vec<Row>> = HashMap::new();
    for r in db.query(sql, &[&oids]).map_err(err)? {
        let oid: u32 = r.get(r.len() - 1);
        out.entry(oid).or_default().push(r);
    }
    Ok(out)
}

fn columns_query() -> String {
    format!(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, a.attidentity::text, a.attgenerated::text, \
                pg_get_expr(d.adbin, d.adrelid), ds.description, \
                ty.typtype::text, format_type(ty.typbasetype, ty.typtypmod), coalesce(et.typtype::text, ''), \
                a.attcollation <> ty.typcollation AND a.attcollation <> 0, a.attrelid \
         FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum {} \
         JOIN pg_type ty ON ty.oid = a.atttypid \
         LEFT JOIN pg_type et ON et.oid = ty.typelem AND ty.typcategory = 'A' \
         WHERE a.attrelid = ANY ($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attrelid, a.attnum",
        description("a.attrelid", "pg_class", "a.attnum")
    )
}

/// The join that gives an object's comment as `ds.description`: what
/// `obj_description` and `col_description` return, at a fraction of the
/// cost (each is a SQL function run once per row: the comments of the
/// columns, constraints and indexes of 1,400 aggregates took about a
/// third of the catalog's reading).
fn description(oid: &str, catalog: &str, sub: &str) -> String {
    format!(
        "LEFT JOIN pg_catalog.pg_description ds ON ds.objoid = {oid} \
         AND ds.classoid = 'pg_catalog.{catalog}'::regclass AND ds.objsubid = {sub}"
    )
}

/// Whether the object is an extension's (a dependency of kind `e`), with
/// the catalog named so that `pg_depend`'s index is used: without it, every
/// schema looked through the whole of `pg_depend`.
fn of_extension(oid: &str, catalog: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep WHERE dep.classid = 'pg_catalog.{catalog}'::regclass \
         AND dep.objid = {oid} AND dep.deptype = 'e')"
    )
}

fn read_columns(rows: Vec<Row>, t: &mut Table, unsupported: &mut Vec<Unsupported>) {
    for r in rows {
        let name: String = r.get(0);
        let mut type_text: String = r.get(1);
        let (kind, element_kind): (String, String) = (r.get(7), r.get(9));
        // A domain is read as its base type; what it checks is not.
        if kind == "d" {
            let base: String = r.get(8);
            unsupported.push(Unsupported {
                object: format!("{}.{}.{name}", t.schema, t.name),
                reason: format!(
                    "the domain {type_text} is read as its base type {base}; the domain's own checks are not"
                ),
            });
            type_text = base;
        }
        // A name that is not an enum type is not a type of the language.
        let enum_like = kind == "e" || element_kind == "e";
        let parsed = parse_format_type(&type_text).filter(|ty| {
            let mut inner = ty;
            while let ColumnType::Array(e) = inner {
                inner = e;
            }
            !matches!(inner, ColumnType::Enum { .. }) || enum_like
        });
        let Some(ty) = parsed else {
            unsupported.push(Unsupported {
                object: format!("{}.{}.{name}", t.schema, t.name),
                reason: format!("type `{type_text}` has no equivalent in the language"),
            });
            continue;
        };
        let identity: String = r.get(3);
        let generated: String = r.get(4);
        let object = || format!("{}.{}.{name}", t.schema, t.name);
        if identity == "d" {
            unsupported.push(Unsupported {
                object: object(),
                reason:
                    "GENERATED BY DEFAULT AS IDENTITY: the language's `identity` is GENERATED ALWAYS, which refuses an \
                         INSERT that gives the value (a table made from the model does)"
                        .into(),
            });
        }
        if r.get::<_, bool>(10) {
            unsupported.push(Unsupported {
                object: object(),
                reason: "a collation of its own (COLLATE): the language cannot say it, and it is left out".into(),
            });
        }
        let expr: Option<String> = r.get(5);
        let (default, generated) = if generated == "s" { (None, expr) } else { (expr, None) };
        t.columns.push(Column {
            default,
            identity: !identity.is_empty(),
            generated,
            comment: r.get(6),
            ..Column::new(name, ty, r.get(2), Default::default())
        });
    }
}

/// `format_type()`'s spelling of a type, as a column type of the schema.
pub fn parse_format_type(s: &str) -> Option<ColumnType> {
    if let Some(element) = s.strip_suffix("[]") {
        return parse_format_type(element).map(|e| ColumnType::Array(Box::new(e)));
    }
    let arg = |prefix: &str| s.strip_prefix(prefix).and_then(|r| r.strip_suffix(')'));
    if let Some(n) = arg("character varying(") {
        return n.parse().ok().map(ColumnType::Varchar);
    }
    if let Some(n) = arg("character(") {
        return n.parse().ok().map(ColumnType::Char);
    }
    if let Some(ps) = arg("numeric(") {
        let (p, sc) = ps.split_once(',')?;
        return Some(ColumnType::Numeric(Some((p.trim().parse().ok()?, sc.trim().parse().ok()?))));
    }
    Some(match s {
        "uuid" => ColumnType::Uuid,
        "text" => ColumnType::Text,
        "smallint" => ColumnType::SmallInt,
        "integer" => ColumnType::Integer,
        "bigint" => ColumnType::BigInt,
        "numeric" => ColumnType::Numeric(None),
        "double precision" => ColumnType::DoublePrecision,
        "boolean" => ColumnType::Boolean,
        "date" => ColumnType::Date,
        "time without time zone" => ColumnType::Time,
        "interval" => ColumnType::Interval,
        "timestamp with time zone" => ColumnType::Timestamptz,
        "jsonb" => ColumnType::Jsonb,
        "bytea" => ColumnType::Bytea,
        "tsvector" => ColumnType::Tsvector,
        "geography(Point,4326)" => ColumnType::GeographyPoint,
        // A native enum: `schema.name` (or `name` in `public`), maybe quoted.
        other => {
            let unquote = |p: &str| match p.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
                Some(inner) => inner.replace("\"\"", "\""),
                None => p.to_string(),
            };
            let (schema, name) = other.split_once('.').unwrap_or(("public", other));
            let (schema, name) = (unquote(schema), unquote(name));
            let plain = |x: &str| x.chars().all(|c| c.is_alphanumeric() || c == '_' || c == ' ');
            if other.contains('(') || other.contains(' ') && !other.contains('"') || !plain(&schema) {
                return None;
            }
            ColumnType::Enum { schema, name }
        }
    })
}

/// SQL for the names of the columns `keys` (an `int2[]` of attribute
/// numbers of relation `rel`), in their order: one query instead of one per
/// column.
fn column_names(keys: &str, rel: &str) -> String {
    format!(
        "ARRAY(SELECT a.attname::text FROM unnest({keys}) WITH ORDINALITY k(n, o) \
         JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.n ORDER BY k.o)"
    )
}

fn fk_action(c: &str) -> FkAction {
    match c {
        "r" => FkAction::Restrict,
        "c" => FkAction::Cascade,
        "n" => FkAction::SetNull,
        "d" => FkAction::SetDefault,
        _ => FkAction::NoAction,
    }
}

/// A foreign key to a partitioned table is one constraint to PostgreSQL's
/// user and one more per partition in its catalog (`conparentid` names
/// the first): only the first is read, or `verify`, `drift` and `import`
/// found a foreign key per partition that no one declared.
///
/// `server`: the server's major version. `confdelsetcols` is PostgreSQL
/// 15's; before, no foreign key sets only some columns. (It was read
/// through JSON of the whole row, on every version and for every
/// constraint: half the query's time.)
fn constraints_query(server: u32) -> String {
    let set_cols = if server >= 15 { "c.confdelsetcols" } else { "'{}'::int2[]" };
    format!(
        "SELECT c.conname, c.contype::text, {}, pg_get_constraintdef(c.oid), ds.description, \
                rn.nspname, r.relname, {}, c.confdeltype::text, c.confupdtype::text, {}, \
                c.condeferrable, c.condeferred, NOT c.convalidated, c.connoinherit, c.confmatchtype::text, c.conrelid \
         FROM pg_constraint c LEFT JOIN pg_class r ON r.oid = c.confrelid LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace {} \
         WHERE c.conrelid = ANY ($1) AND c.contype IN ('p', 'u', 'c', 'f') \
           AND (c.contype <> 'f' OR c.conparentid = 0) ORDER BY c.conrelid, c.conname",
        column_names("c.conkey", "c.conrelid"),
        column_names("c.confkey", "c.confrelid"),
        column_names(set_cols, "c.conrelid"),
        description("c.oid", "pg_constraint", "0"),
    )
}

fn read_constraints(rows: Vec<Row>, t: &mut Table, unsupported: &mut Vec<Unsupported>) {
    for r in rows {
        let name: String = r.get(0);
        let kind: String = r.get(1);
        let cols: Vec<String> = r.get(2);
        let mut what = Vec::new();
        if r.get::<_, bool>(11) {
            what.push(if r.get::<_, bool>(12) { "DEFERRABLE INITIALLY DEFERRED" } else { "DEFERRABLE" });
        }
        if r.get::<_, bool>(13) {
            what.push("NOT VALID (rows may break it; a table made from the model checks every row)");
        }
        // (PostgreSQL marks keys and foreign keys NO INHERIT too.)
        if kind == "c" && r.get::<_, bool>(14) {
            what.push("NO INHERIT");
        }
        if r.get::<_, String>(15) == "f" {
            what.push("MATCH FULL");
        }
        if !what.is_empty() {
            unsupported.push(Unsupported {
                object: format!("{}.{}.{name}", t.schema, t.name),
                reason: format!(
                    "the constraint is {}: the language cannot say it, and it is left out",
                    what.join(", ")
                ),
            });
        }
        match kind.as_str() {
            "p" => t.primary_key = Some(PrimaryKey { name, columns: cols }),
            "u" => t.uniques.push(Unique { name, columns: cols, origin: Default::default() }),
            "c" => {
                let def: String = r.get(3);
                let expr = def
                    .strip_prefix("CHECK ")
                    .unwrap_or(&def)
                    .trim_end_matches(" NOT VALID")
                    .trim_end_matches(" NO INHERIT")
                    .to_string();
                t.checks.push(Check {
                    name,
                    expr,
                    source: CheckSource::Invariant { source: String::new() },
                    comment: r.get(4),
                    origin: Default::default(),
                });
            }
            _ => {
                let on_delete: String = r.get(8);
                let on_update: String = r.get(9);
                t.foreign_keys.push(ForeignKey {
                    name,
                    columns: cols,
                    ref_schema: r.get(5),
                    ref_table: r.get(6),
                    ref_columns: r.get(7),
                    on_delete: fk_action(&on_delete),
                    on_update: fk_action(&on_update),
                    on_delete_columns: r.get(10),
                    origin: Default::default(),
                });
            }
        }
    }
}

fn indexes_query() -> String {
    format!(
        "SELECT ic.relname, i.indisunique, am.amname, pg_get_expr(i.indpred, i.indrelid), ds.description, \
                ARRAY(SELECT pg_get_indexdef(i.indexrelid, g, true) FROM generate_series(1, i.indnkeyatts::int) g ORDER BY g), \
                ARRAY(SELECT coalesce(a.attname::text, '') FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o) \
                      LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o), i.indrelid \
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam {} \
         WHERE i.indrelid = ANY ($1) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid) \
         ORDER BY i.indrelid, ic.relname",
        description("i.indexrelid", "pg_class", "0")
    )
}

fn read_indexes(rows: Vec<Row>, t: &mut Table, unsupported: &mut Vec<Unsupported>) {
    for r in rows {
        // Each key item as PostgreSQL prints it, and the column it is (empty
        // for an expression).
        let (printed, columns): (Vec<String>, Vec<String>) = (r.get(5), r.get(6));
        let items = printed
            .into_iter()
            .zip(columns)
            .map(|(item, column)| match column.is_empty() {
                false => IndexItem::Column(column),
                true if item.starts_with('(') => IndexItem::Expr(item),
                true => IndexItem::Expr(format!("({item})")),
            })
            .collect();
        let (name, method): (String, String) = (r.get(0), r.get(2));
        let method = match method.as_str() {
            "btree" => IndexMethod::Btree,
            "gin" => IndexMethod::Gin,
            "gist" => IndexMethod::Gist,
            "brin" => IndexMethod::Brin,
            "hash" => IndexMethod::Hash,
            other => {
                unsupported.push(Unsupported {
                    object: format!("{}.{}.{name}", t.schema, t.name),
                    reason: format!("an index using {other}: the language has btree, gin, gist, brin and hash"),
                });
                continue;
            }
        };
        t.indexes.push(Index {
            name,
            unique: r.get(1),
            method,
            items,
            predicate: r.get(3),
            comment: r.get(4),
            origin: Default::default(),
        });
    }
}

const TRIGGERS: &str = "SELECT tg.tgname, tg.tgtype::int, n.nspname, p.proname, tg.tgargs, tg.tgrelid \
     FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid JOIN pg_namespace n ON n.oid = p.pronamespace \
     WHERE tg.tgrelid = ANY ($1) AND NOT tg.tgisinternal ORDER BY tg.tgrelid, tg.tgname";

fn read_triggers(rows: Vec<Row>, t: &mut Table) {
    for r in rows {
        let ty: i32 = r.get(1);
        let args: Vec<u8> = r.get(4);
        let mut args: Vec<String> = args.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
        if args.last().is_some_and(String::is_empty) {
            args.pop();
        }
        let mut events = Vec::new();
        if ty & 4 != 0 {
            events.push(TriggerEvent::Insert);
        }
        if ty & 16 != 0 {
            events.push(TriggerEvent::Update);
        }
        if ty & 8 != 0 {
            events.push(TriggerEvent::Delete);
        }
        t.triggers.push(Trigger {
            name: r.get(0),
            timing: if ty & 2 != 0 { TriggerTiming::Before } else { TriggerTiming::After },
            events,
            // dddc writes arguments as SQL string literals.
            function: FunctionCall {
                schema: r.get(2),
                name: r.get(3),
                args: args.iter().map(|a| crate::sql::literal(a)).collect(),
            },
        });
    }
}

const POLICIES: &str = "SELECT polname, pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid), polrelid \
     FROM pg_policy WHERE polrelid = ANY ($1) ORDER BY polrelid, polname";

fn read_policies(rows: Vec<Row>, t: &mut Table) {
    for r in rows {
        t.policies.push(Policy {
            name: r.get(0),
            using: r.get::<_, Option<String>>(1).unwrap_or_default(),
            with_check: r.get::<_, Option<String>>(2).unwrap_or_default(),
        });
    }
}

fn partition_keys_query() -> String {
    format!(
        "SELECT partstrat::text, partattrs::int2[], {}, partrelid FROM pg_partitioned_table p WHERE partrelid = ANY ($1)",
        column_names("p.partattrs::int2[]", "p.partrelid")
    )
}

const PARTITIONS: &str = "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), c.relrowsecurity AND c.relforcerowsecurity, i.inhparent \
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = ANY ($1) ORDER BY i.inhparent, c.relname";

/// A partitioned table's key (`r`, a row of `partition_keys_query`) and
/// partitions (rows of `PARTITIONS`).
fn read_partitions(r: &Row, partitions_rows: Vec<Row>, t: &mut Table, unsupported: &mut Vec<Unsupported>) {
    let strategy: String = r.get(0);
    let attrs: Vec<i16> = r.get(1);
    let names: Vec<String> = r.get(2);
    // An expression in the key is attribute number 0, which has no name.
    let ([_], [column]) = (attrs.as_slice(), names.as_slice()) else {
        unsupported.push(Unsupported {
            object: format!("{}.{}", t.schema, t.name),
            reason: "partitioned by an expression or several columns: the language partitions by one column".into(),
        });
        return;
    };
    let column = column.clone();
    let mut partitions = Vec::new();
    for p in partitions_rows {
        let bound: String = p.get(1);
        let Some(bound) = parse_bound(&bound) else {
            unsupported
                .push(Unsupported { object: p.get(0), reason: format!("partition bound `{bound}` not understood") });
            continue;
        };
        partitions.push(PartitionDef { name: p.get(0), bound, row_level_security: p.get(2) });
    }
    t.partitioning = Some(Partitioning {
        method: match strategy.as_str() {
            "l" => PartitionMethod::List,
            "h" => PartitionMethod::Hash,
            _ => PartitionMethod::Range,
        },
        column,
        partitions,
    });
}

/// `FOR VALUES FROM ('2025-11-01') TO ('2025-12-01')`, `FOR VALUES IN
/// ('ES', 'MX')`, `FOR VALUES WITH (modulus 4, remainder 0)`, `DEFAULT`.
pub fn parse_bound(text: &str) -> Option<PartitionBound> {
    if text == "DEFAULT" {
        return Some(PartitionBound::Default);
    }
    let inner = |s: &str| s.trim().strip_prefix('(').and_then(|x| x.strip_suffix(')')).map(|x| x.trim().to_string());
    if let Some(rest) = text.strip_prefix("FOR VALUES FROM ") {
        let (from, to) = rest.split_once(" TO ")?;
        return Some(PartitionBound::Range { from: inner(from)?, to: inner(to)? });
    }
    if let Some(rest) = text.strip_prefix("FOR VALUES IN ") {
        let list = inner(rest)?;
        return Some(PartitionBound::List(split_values(&list)));
    }
    if let Some(rest) = text.strip_prefix("FOR VALUES WITH ") {
        let list = inner(rest)?;
        let mut modulus = None;
        let mut remainder = None;
        for part in list.split(',') {
            let mut w = part.split_whitespace();
            match (w.next(), w.next()) {
                (Some("modulus"), Some(n)) => modulus = n.parse().ok(),
                (Some("remainder"), Some(n)) => remainder = n.parse().ok(),
                _ => return None,
            }
        }
        return Some(PartitionBound::Hash { modulus: modulus?, remainder: remainder? });
    }
    None
}

/// `'A', 'B'` → the literals, each as written (quotes kept).
fn split_values(list: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let chars: Vec<char> = list.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            if quoted && chars.get(i + 1) == Some(&'\'') {
                current.push_str("''");
                i += 2;
                continue;
            }
            quoted = !quoted;
            current.push(c);
        } else if c == ',' && !quoted {
            out.push(current.trim().to_string());
            current.clear();
        } else {
            current.push(c);
        }
        i += 1;
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

/// Roles with privileges on the schemas: `write` where they may insert,
/// update and delete in every table of a schema, `read` where they may
/// select. Owners, superusers and PUBLIC are not roles of the model.
fn read_roles(db: &mut Client, schemas: &[String], schema: &mut Schema) -> Result<(), String> {
    let rows = db
        .query(
            "SELECT DISTINCT r.rolname, shobj_description(r.oid, 'pg_authid') FROM pg_namespace n, aclexplode(n.nspacl) a \
             JOIN pg_roles r ON r.oid = a.grantee \
             WHERE n.nspname = ANY ($1) AND a.privilege_type = 'USAGE' AND r.oid <> n.nspowner AND NOT r.rolsuper ORDER BY 1",
            &[&schemas],
        )
        .map_err(err)?;
    for r in rows {
        let name: String = r.get(0);
        let mut role = RoleDef { name: name.clone(), read: Vec::new(), write: Vec::new(), comment: r.get(1) };
        for s in schemas {
            let row = db
                .query_one(
                    "SELECT has_schema_privilege($1, $2, 'USAGE'), \
                            coalesce(bool_and(has_table_privilege($1, c.oid, 'SELECT')), false), \
                            coalesce(bool_and(has_table_privilege($1, c.oid, 'INSERT') AND has_table_privilege($1, c.oid, 'UPDATE') \
                              AND has_table_privilege($1, c.oid, 'DELETE')), false), \
                            count(c.oid) \
                     FROM pg_namespace n LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r', 'p') \
                     WHERE n.nspname = $2",
                    &[&name, s],
                )
                .map_err(err)?;
            let (usage, select, write): (bool, bool, bool) = (row.get(0), row.get(1), row.get(2));
            if usage && write {
                role.write.push(s.clone());
            } else if usage && (select || row.get::<_, i64>(3) == 0) {
                role.read.push(s.clone());
            }
        }
        schema.roles.push(role);
    }
    Ok(())
}
