//! A relational schema as statements: the script that creates it (V1) and
//! the one that removes it (U1). Every statement is idempotent: `IF NOT
//! EXISTS` where PostgreSQL has it, a guarded `DO` block where it has not.
//!
//! Order of the creating script (each group depends only on earlier ones):
//! schemas, extensions, enum types, functions, tables and their partitions,
//! foreign keys (after every table, so that tables may reference each other
//! in any order), indexes, triggers, row-level security, roles and grants
//! (after the tables they grant on), publications, comments.

use super::{dollar_quote, ident, literal, qualified};
use crate::relational::{Column, ForeignKey, Function, Index, Schema, Table};

/// Creating statements, grouped under `-- section` headings.
pub fn create_statements(schema: &Schema) -> Vec<(String, Vec<String>)> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    let mut push = |title: &str, stmts: Vec<String>| {
        if !stmts.is_empty() {
            groups.push((title.to_string(), stmts));
        }
    };
    push(
        "Schemas (one per bounded context)",
        schema.schemas.iter().map(|s| format!("CREATE SCHEMA IF NOT EXISTS {};", ident(&s.name))).collect(),
    );
    push(
        "Extensions",
        schema.extensions.iter().map(|e| format!("CREATE EXTENSION IF NOT EXISTS {};", ident(e))).collect(),
    );
    push(
        "Enum types",
        schema
            .enum_types
            .iter()
            .map(|e| {
                let values: Vec<String> = e.values.iter().map(|v| literal(v)).collect();
                guarded_create(&format!(
                    "CREATE TYPE {} AS ENUM ({});",
                    qualified(&e.schema, &e.name),
                    values.join(", ")
                ))
            })
            .collect(),
    );
    push("Functions", schema.functions.iter().map(create_function).collect());
    let mut tables = Vec::new();
    for t in &schema.tables {
        tables.push(create_table(t));
        if let Some(p) = &t.partitioning {
            for part in &p.partitions {
                tables.push(format!(
                    "CREATE TABLE IF NOT EXISTS {} PARTITION OF {} {};",
                    qualified(&t.schema, &part.name),
                    qualified(&t.schema, &t.name),
                    part.bound
                ));
            }
        }
    }
    push("Tables", tables);
    push(
        "Foreign keys",
        schema.tables.iter().flat_map(|t| t.foreign_keys.iter().map(move |f| add_foreign_key(t, f))).collect(),
    );
    push("Indexes", schema.tables.iter().flat_map(|t| t.indexes.iter().map(move |i| create_index(t, i))).collect());
    push(
        "Index names of partitions (PostgreSQL names a partition's copy of an index itself)",
        schema.tables.iter().filter_map(partition_index_names).collect(),
    );
    push(
        "Triggers",
        schema
            .tables
            .iter()
            .flat_map(|t| t.triggers.iter().map(move |tr| create_trigger(schema.target, t, tr)))
            .collect(),
    );
    let mut rls = Vec::new();
    for t in &schema.tables {
        // A partition named directly is a table of its own: it gets the
        // same protection as its parent.
        for rel in rls_relations(t) {
            rls.extend(enable_rls(&t.schema, &rel));
            for p in &t.policies {
                rls.extend(create_policy(&t.schema, &rel, p));
            }
        }
    }
    push("Row-level security (on every partition too)", rls);
    let mut roles = Vec::new();
    for r in &schema.roles {
        roles.push(guarded_create(&format!("CREATE ROLE {} NOLOGIN;", ident(&r.name))));
        for s in &r.read {
            roles.extend(grants(&r.name, s, false));
        }
        for s in &r.write {
            roles.extend(grants(&r.name, s, true));
        }
    }
    push("Roles and grants (NOLOGIN: no credentials in migrations)", roles);
    push(
        "Publications",
        schema
            .publications
            .iter()
            .map(|p| {
                let tables = publication_tables(p);
                let create = if tables.is_empty() {
                    format!("CREATE PUBLICATION {};", ident(&p.name))
                } else {
                    format!("CREATE PUBLICATION {} FOR TABLE {};", ident(&p.name), tables.join(", "))
                };
                guarded(&format!("SELECT 1 FROM pg_publication WHERE pubname = {}", literal(&p.name)), &create)
            })
            .collect(),
    );
    push("Comments", comments(schema));
    groups
}

/// The undo of [`create_statements`]: drops what it created, in reverse order.
pub fn drop_statements(schema: &Schema) -> Vec<(String, Vec<String>)> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    let mut push = |title: &str, stmts: Vec<String>| {
        if !stmts.is_empty() {
            groups.push((title.to_string(), stmts));
        }
    };
    push(
        "Publications",
        schema.publications.iter().map(|p| format!("DROP PUBLICATION IF EXISTS {};", ident(&p.name))).collect(),
    );
    push(
        "Roles (kept, with a notice, when another database still uses them)",
        schema.roles.iter().rev().map(|r| drop_role(&r.name)).collect(),
    );
    push(
        "Foreign keys",
        schema
            .tables
            .iter()
            .rev()
            .flat_map(|t| {
                t.foreign_keys.iter().rev().map(move |f| {
                    format!(
                        "ALTER TABLE IF EXISTS {} DROP CONSTRAINT IF EXISTS {};",
                        qualified(&t.schema, &t.name),
                        ident(&f.name)
                    )
                })
            })
            .collect(),
    );
    push(
        "Tables (with their partitions, indexes, triggers and policies)",
        schema
            .tables
            .iter()
            .rev()
            .map(|t| format!("DROP TABLE IF EXISTS {};", qualified(&t.schema, &t.name)))
            .collect(),
    );
    push(
        "Functions",
        schema
            .functions
            .iter()
            .rev()
            .map(|f| format!("DROP FUNCTION IF EXISTS {}({});", qualified(&f.schema, &f.name), f.args))
            .collect(),
    );
    push(
        "Enum types",
        schema
            .enum_types
            .iter()
            .rev()
            .map(|e| format!("DROP TYPE IF EXISTS {};", qualified(&e.schema, &e.name)))
            .collect(),
    );
    push(
        "Extensions",
        schema.extensions.iter().rev().map(|e| format!("DROP EXTENSION IF EXISTS {};", ident(e))).collect(),
    );
    push(
        "Schemas",
        schema.schemas.iter().rev().map(|s| format!("DROP SCHEMA IF EXISTS {};", ident(&s.name))).collect(),
    );
    groups
}

/// Statements as a script: a header, then each group under its heading.
pub fn script(header: &[String], groups: &[(String, Vec<String>)]) -> String {
    let mut out = String::new();
    for h in header {
        out.push_str("-- ");
        out.push_str(h);
        out.push('\n');
    }
    for (title, stmts) in groups {
        out.push_str("\n-- ");
        out.push_str(title);
        out.push('\n');
        for s in stmts {
            out.push_str(s);
            out.push('\n');
        }
    }
    out
}

/// The tables of a publication (`schema.table` in the IR), quoted.
pub fn publication_tables(p: &crate::relational::PublicationDef) -> Vec<String> {
    p.tables
        .iter()
        .map(|t| {
            let (s, n) = t.split_once('.').unwrap_or(("public", t));
            qualified(s, n)
        })
        .collect()
}

/// The table and its partitions under row-level security: every relation
/// a query can name, so every one its policies must cover.
pub fn rls_relations(t: &Table) -> Vec<String> {
    let parts = t.partitioning.iter().flat_map(|p| p.partitions.iter().filter(|x| x.row_level_security));
    std::iter::once(t.name.clone()).filter(|_| t.row_level_security).chain(parts.map(|x| x.name.clone())).collect()
}

pub fn enable_rls(schema: &str, table: &str) -> Vec<String> {
    let q = qualified(schema, table);
    vec![format!("ALTER TABLE {q} ENABLE ROW LEVEL SECURITY;"), format!("ALTER TABLE {q} FORCE ROW LEVEL SECURITY;")]
}

pub fn create_policy(schema: &str, table: &str, p: &crate::relational::Policy) -> Vec<String> {
    let q = qualified(schema, table);
    vec![
        format!("DROP POLICY IF EXISTS {} ON {q};", ident(&p.name)),
        format!("CREATE POLICY {} ON {q} USING {} WITH CHECK {};", ident(&p.name), p.using, p.with_check),
    ]
}

/// Renames each partition's copy of the table's indexes (primary key and
/// unique constraints included) to the name the compiler decided, whatever
/// PostgreSQL called it. Found through `pg_inherits`, so it works whatever
/// order the indexes were created in, and does nothing when the names are
/// right already.
pub fn partition_index_names(t: &Table) -> Option<String> {
    let names = crate::relational::names::partition_indexes(t);
    if names.is_empty() {
        return None;
    }
    let rows: Vec<String> = names
        .iter()
        .map(|(parent, part, want)| format!("({}, {}, {})", literal(parent), literal(part), literal(want)))
        .collect();
    let schema = literal(&t.schema);
    let body = format!(
        "\nDECLARE\n    r record;\nBEGIN\n    FOR r IN\n        SELECT c.relname AS have, w.want\n        FROM (VALUES\n            {}\n        ) AS w (parent, part, want)\n        JOIN pg_namespace n ON n.nspname = {schema}\n        JOIN pg_class pc ON pc.relname = w.parent AND pc.relnamespace = n.oid\n        JOIN pg_inherits i ON i.inhparent = pc.oid\n        JOIN pg_class c ON c.oid = i.inhrelid\n        JOIN pg_index x ON x.indexrelid = c.oid\n        JOIN pg_class pt ON pt.oid = x.indrelid AND pt.relname = w.part AND pt.relnamespace = n.oid\n        WHERE c.relname <> w.want\n    LOOP\n        EXECUTE format('ALTER INDEX %I.%I RENAME TO %I', {schema}, r.have, r.want);\n    END LOOP;\nEND\n",
        rows.join(",\n            ")
    );
    Some(format!("DO {};", dollar_quote(&body)))
}

fn guarded_create(statement: &str) -> String {
    let body =
        format!("\nBEGIN\n    {statement}\nEXCEPTION\n    WHEN duplicate_object OR unique_violation THEN NULL;\nEND\n");
    format!("DO {};", dollar_quote(&body))
}

/// `DO` block running `statement` only when `exists_query` finds nothing.
pub fn guarded(exists_query: &str, statement: &str) -> String {
    let body = format!("\nBEGIN\n    IF NOT EXISTS ({exists_query}) THEN\n        {statement}\n    END IF;\nEND\n");
    format!("DO {};", dollar_quote(&body))
}

fn create_function(f: &Function) -> String {
    let security = if f.security_definer { " SECURITY DEFINER SET search_path = pg_catalog, pg_temp" } else { "" };
    format!(
        "CREATE OR REPLACE FUNCTION {}({}) RETURNS {} LANGUAGE {} {}{security} AS {};",
        qualified(&f.schema, &f.name),
        f.args,
        f.returns,
        f.language,
        f.volatility,
        dollar_quote(&f.body)
    )
}

pub fn column_definition(c: &Column) -> String {
    let mut s = format!("{} {}", ident(&c.name), c.ty);
    if let Some(g) = &c.generated {
        s.push_str(&format!(" GENERATED ALWAYS AS ({g}) STORED"));
        return s;
    }
    if !c.nullable {
        s.push_str(" NOT NULL");
    }
    if c.identity {
        s.push_str(" GENERATED ALWAYS AS IDENTITY");
    }
    if let Some(d) = &c.default {
        s.push_str(" DEFAULT ");
        s.push_str(d);
    }
    s
}

fn create_table(t: &Table) -> String {
    let mut lines: Vec<String> = t.columns.iter().map(column_definition).collect();
    if let Some(pk) = &t.primary_key {
        lines.push(format!("CONSTRAINT {} PRIMARY KEY ({})", ident(&pk.name), idents(&pk.columns)));
    }
    for u in &t.uniques {
        lines.push(format!("CONSTRAINT {} UNIQUE ({})", ident(&u.name), idents(&u.columns)));
    }
    for c in &t.checks {
        lines.push(format!("CONSTRAINT {} CHECK {}", ident(&c.name), c.expr));
    }
    let partition = t
        .partitioning
        .as_ref()
        .map(|p| format!(" PARTITION BY {} ({})", p.method, ident(&p.column)))
        .unwrap_or_default();
    format!(
        "CREATE TABLE IF NOT EXISTS {} (\n    {}\n){partition};",
        qualified(&t.schema, &t.name),
        lines.join(",\n    ")
    )
}

pub fn idents(cols: &[String]) -> String {
    cols.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ")
}

pub fn foreign_key_clause(f: &ForeignKey) -> String {
    let cleared =
        if f.on_delete_columns.is_empty() { String::new() } else { format!(" ({})", idents(&f.on_delete_columns)) };
    format!(
        "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {}{cleared} ON UPDATE {}",
        ident(&f.name),
        idents(&f.columns),
        qualified(&f.ref_schema, &f.ref_table),
        idents(&f.ref_columns),
        f.on_delete,
        f.on_update
    )
}

fn add_foreign_key(t: &Table, f: &ForeignKey) -> String {
    let q = qualified(&t.schema, &t.name);
    guarded(
        &format!(
            "SELECT 1 FROM pg_constraint WHERE conname = {} AND conrelid = to_regclass({})",
            literal(&f.name),
            literal(&q)
        ),
        &format!("ALTER TABLE {q} ADD {};", foreign_key_clause(f)),
    )
}

pub fn create_index(t: &Table, i: &Index) -> String {
    let using = if i.method == "btree" { String::new() } else { format!(" USING {}", i.method) };
    let predicate = i.predicate.as_ref().map(|p| format!(" WHERE {p}")).unwrap_or_default();
    format!(
        "CREATE {}INDEX IF NOT EXISTS {} ON {}{using} ({}){predicate};",
        if i.unique { "UNIQUE " } else { "" },
        ident(&i.name),
        qualified(&t.schema, &t.name),
        i.items.join(", ")
    )
}

fn create_trigger(target: u32, t: &Table, tr: &crate::relational::Trigger) -> String {
    let q = qualified(&t.schema, &t.name);
    let body = format!("{} ON {q} FOR EACH ROW EXECUTE FUNCTION {}", tr.when, tr.function);
    if target >= 14 {
        format!("CREATE OR REPLACE TRIGGER {} {body};", ident(&tr.name))
    } else {
        format!("DROP TRIGGER IF EXISTS {} ON {q};\nCREATE TRIGGER {} {body};", ident(&tr.name), ident(&tr.name))
    }
}

pub fn grants(role: &str, schema: &str, write: bool) -> Vec<String> {
    let (r, s) = (ident(role), ident(schema));
    let privileges = if write { "SELECT, INSERT, UPDATE, DELETE" } else { "SELECT" };
    let mut out = vec![
        format!("GRANT USAGE ON SCHEMA {s} TO {r};"),
        format!("GRANT {privileges} ON ALL TABLES IN SCHEMA {s} TO {r};"),
        format!("ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {privileges} ON TABLES TO {r};"),
    ];
    if write {
        out.push(format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r};"));
        out.push(format!("ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT USAGE, SELECT ON SEQUENCES TO {r};"));
    }
    out
}

fn drop_role(name: &str) -> String {
    let body = format!(
        "\nBEGIN\n    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {lit}) THEN\n        EXECUTE 'DROP OWNED BY ' || quote_ident({lit});\n        BEGIN\n            EXECUTE 'DROP ROLE ' || quote_ident({lit});\n        EXCEPTION\n            WHEN dependent_objects_still_exist THEN\n                RAISE NOTICE 'role % is still used by another database; kept', {lit};\n        END;\n    END IF;\nEND\n",
        lit = literal(name)
    );
    format!("DO {};", dollar_quote(&body))
}

fn comments(schema: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    let c =
        |what: String, text: &Option<String>| text.as_ref().map(|t| format!("COMMENT ON {what} IS {};", literal(t)));
    for s in &schema.schemas {
        out.extend(c(format!("SCHEMA {}", ident(&s.name)), &s.comment));
    }
    for e in &schema.enum_types {
        out.extend(c(format!("TYPE {}", qualified(&e.schema, &e.name)), &e.comment));
    }
    for f in &schema.functions {
        out.extend(c(format!("FUNCTION {}({})", qualified(&f.schema, &f.name), f.args), &f.comment));
    }
    for t in &schema.tables {
        let q = qualified(&t.schema, &t.name);
        out.extend(c(format!("TABLE {q}"), &t.comment));
        for col in &t.columns {
            out.extend(c(format!("COLUMN {q}.{}", ident(&col.name)), &col.comment));
        }
        for ch in &t.checks {
            out.extend(c(format!("CONSTRAINT {} ON {q}", ident(&ch.name)), &ch.comment));
        }
        for i in &t.indexes {
            out.extend(c(format!("INDEX {}", qualified(&t.schema, &i.name)), &i.comment));
        }
    }
    for r in &schema.roles {
        out.extend(c(format!("ROLE {}", ident(&r.name)), &r.comment));
    }
    out
}
