//! A text picture of a database's catalog, to compare two databases (or one
//! before and after a migration) object by object.

/// Schemas that belong to PostgreSQL itself.
pub const USER_NS: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') \
                       AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'";

pub fn lines(db: &mut postgres::Client, sql: &str) -> Vec<String> {
    db.query(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {}", super::pg::describe_error(&e)))
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect()
}

/// The columns of `table`'s primary key, in the key's order.
pub fn primary_key(db: &mut postgres::Client, table: &str) -> Vec<String> {
    lines(
        db,
        &format!(
            "SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) \
             WHERE i.indrelid = '{table}'::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)"
        ),
    )
}

/// A text picture of the catalog, one object per line, sorted (so column
/// order does not matter).
pub fn fingerprint(db: &mut postgres::Client) -> String {
    let not_extension = |class: &str, oid: &str| {
        format!(
            "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '{class}'::regclass \
             AND e.objid = {oid} AND e.deptype = 'e')"
        )
    };
    let acl = |col: &str| format!("(SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest({col}) x)");
    let queries = [
        format!(
            "SELECT format('schema %I comment=%L acl=%s', n.nspname, obj_description(n.oid, 'pg_namespace'), {}) \
             FROM pg_namespace n WHERE {USER_NS}",
            acl("n.nspacl")
        ),
        "SELECT format('extension %I', extname) FROM pg_extension".to_string(),
        format!(
            "SELECT format('relation %I.%I kind=%s rls=%s force=%s partkey=%s partition_of=%s bound=%s comment=%L acl=%s', \
               n.nspname, c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity, \
               pg_get_partkeydef(c.oid), \
               (SELECT i.inhparent::regclass::text FROM pg_inherits i WHERE i.inhrelid = c.oid), \
               pg_get_expr(c.relpartbound, c.oid), obj_description(c.oid, 'pg_class'), {}) \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND {USER_NS} AND {}",
            acl("c.relacl"),
            not_extension("pg_class", "c.oid")
        ),
        format!(
            "SELECT format('column %I.%I.%I %s notnull=%s identity=%s generated=%s default=%s comment=%L', \
               n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
               a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid), col_description(c.oid, a.attnum)) \
             FROM pg_attribute a \
             JOIN pg_class c ON c.oid = a.attrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') \
               AND {USER_NS} AND {}",
            not_extension("pg_class", "c.oid")
        ),
        format!(
            "SELECT format('constraint %s %I type=%s %s deferrable=%s validated=%s comment=%L', \
               co.conrelid::regclass, co.conname, co.contype, pg_get_constraintdef(co.oid), co.condeferrable, \
               co.convalidated, obj_description(co.oid, 'pg_constraint')) \
             FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace WHERE {USER_NS}"
        ),
        "SELECT format('index %I.%I %s comment=%L', schemaname, indexname, indexdef, \
           obj_description(format('%I.%I', schemaname, indexname)::regclass, 'pg_class')) FROM pg_indexes \
         WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            .to_string(),
        "SELECT format('trigger %s %I enabled=%s %s', tgrelid::regclass, tgname, tgenabled, pg_get_triggerdef(oid)) \
         FROM pg_trigger WHERE NOT tgisinternal"
            .to_string(),
        "SELECT format('policy %I.%I %I %s roles=%s cmd=%s using=%s check=%s', schemaname, tablename, \
           policyname, permissive, roles::text, cmd, qual, with_check) FROM pg_policies"
            .to_string(),
        format!(
            "SELECT format('type %I.%I kind=%s labels=%s comment=%L', n.nspname, t.typname, t.typtype, \
               (SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = t.oid), \
               obj_description(t.oid, 'pg_type')) \
             FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
             WHERE {USER_NS} AND t.typtype IN ('e', 'd', 'c') AND (t.typtype <> 'c' OR \
               (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c') AND {}",
            not_extension("pg_type", "t.oid")
        ),
        format!(
            "SELECT format('function %s body_md5=%s comment=%L acl=%s', p.oid::regprocedure, \
               CASE WHEN p.prokind IN ('f', 'p') THEN md5(pg_get_functiondef(p.oid)) END, \
               obj_description(p.oid, 'pg_proc'), {}) \
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {USER_NS} AND {}",
            acl("p.proacl"),
            not_extension("pg_proc", "p.oid")
        ),
        "SELECT format('comment %s = %L', pg_describe_object(classoid, objoid, objsubid), description) \
         FROM pg_description WHERE objoid >= 16384"
            .to_string(),
        "SELECT format('publication %I all=%s ins=%s upd=%s del=%s', pubname, puballtables, pubinsert, \
           pubupdate, pubdelete) FROM pg_publication"
            .to_string(),
        "SELECT format('publication table %I %I.%I', pubname, schemaname, tablename) FROM pg_publication_tables"
            .to_string(),
        format!(
            "SELECT format('default acl %s in %s on %s: %s', defaclrole::regrole, defaclnamespace::regnamespace, \
               defaclobjtype, {}) FROM pg_default_acl",
            acl("defaclacl")
        ),
    ];
    // In one round trip, by the simple protocol: one `query` each (the
    // extended protocol's two round trips each) made the fingerprint 50 ms,
    // half the time of the migration cases, which take thousands of them.
    let all = queries.join(";\n");
    let messages = db.simple_query(&all).unwrap_or_else(|e| panic!("{all}: {}", super::pg::describe_error(&e)));
    let mut out = Vec::new();
    let mut rows = Vec::new();
    for m in messages {
        match m {
            postgres::SimpleQueryMessage::Row(r) => rows.push(r.get(0).expect("a line, never NULL").to_string()),
            postgres::SimpleQueryMessage::CommandComplete(_) => {
                rows.sort();
                out.append(&mut rows);
            }
            _ => {}
        }
    }
    assert!(rows.is_empty(), "every query of the fingerprint completes");
    out.join("\n") + "\n"
}
