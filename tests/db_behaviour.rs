//! What each construct of the language does in a real PostgreSQL: small
//! inline models, lowered and applied (V1, in one transaction) to a database
//! of their own, then probed with targeted statements. A rejected row must
//! name the constraint §11 of the language reference promises.
//!
//! Roles are cluster-wide: every role created here has a name no other test
//! of this binary uses.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use dddc::relational::Schema;
use postgres::error::SqlState;
use postgres::Client;
use sha2::{Digest, Sha256};

// ------------------------------------------------------------------ helpers --

/// Compiles `ddd` (the root file of a one-file model) to its schema and V1.
fn compile(ddd: &str) -> (Schema, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("model.ddd");
    std::fs::write(&root, ddd).expect("write model");
    compile_file(&root)
}

fn compile_file(root: &Path) -> (Schema, String) {
    let fe = dddc::frontend(root, root).unwrap_or_else(|e| panic!("cannot read model: {e:?}"));
    let Some(model) = fe.model else {
        panic!(
            "the model does not compile:\n{}",
            dddc::diagnostics::render_text(&fe.sources, &fe.diagnostics, dddc::diagnostics::ColorChoice::Never)
        );
    };
    let schema = dddc::relational::lower(&model).unwrap_or_else(|d| panic!("lowering failed: {d:#?}"));
    let v1 = dddc::sql::ddl::script(&["V1".to_string()], &[], &dddc::sql::ddl::create_statements(&schema));
    (schema, v1)
}

/// A fresh database `name` with `ddd`'s V1 applied in one transaction.
fn setup(name: &str, ddd: &str) -> (Client, Schema) {
    let (schema, v1) = compile(ddd);
    (apply(name, &v1), schema)
}

fn apply(name: &str, v1: &str) -> Client {
    let mut db = support::pg::shared().create_database(name);
    if let Err(e) = db.batch_execute(&format!("BEGIN;\n{v1}\nCOMMIT;")) {
        panic!("V1 does not apply: {}\n{v1}", describe(&e));
    }
    db
}

fn describe(e: &postgres::Error) -> String {
    let mut s = support::pg::describe_error(e);
    if let Some(db) = e.as_db_error() {
        if let Some(c) = db.constraint() {
            s.push_str(&format!(" [constraint {c}]"));
        }
        if let Some(w) = db.where_() {
            s.push_str(&format!("\n  where: {w}"));
        }
    }
    s
}

#[track_caller]
fn ok(db: &mut Client, sql: &str) {
    if let Err(e) = db.batch_execute(sql) {
        panic!("expected success:\n  {sql}\nfailed: {}", describe(&e));
    }
}

/// `sql` must fail on `constraint` (the name PostgreSQL reports).
#[track_caller]
fn violates(db: &mut Client, sql: &str, constraint: &str) {
    match db.batch_execute(sql) {
        Ok(()) => panic!("expected a violation of {constraint}, but this succeeded:\n  {sql}"),
        Err(e) => {
            let got = e.as_db_error().and_then(|d| d.constraint());
            assert_eq!(got, Some(constraint), "wrong constraint for:\n  {sql}\nerror: {}", describe(&e));
        }
    }
}

/// `sql` must fail with SQLSTATE `code`; returns the message.
#[track_caller]
fn fails(db: &mut Client, sql: &str, code: SqlState) -> String {
    match db.batch_execute(sql) {
        Ok(()) => panic!("expected SQLSTATE {}, but this succeeded:\n  {sql}", code.code()),
        Err(e) => {
            assert_eq!(e.code(), Some(&code), "wrong error for:\n  {sql}\nerror: {}", describe(&e));
            e.as_db_error().map(|d| d.message().to_string()).unwrap_or_default()
        }
    }
}

#[track_caller]
fn one<T: for<'a> postgres::types::FromSql<'a>>(db: &mut Client, sql: &str) -> T {
    match db.query_one(sql, &[]) {
        Ok(row) => row.get(0),
        Err(e) => panic!("{sql}: {}", describe(&e)),
    }
}

#[track_caller]
fn strings(db: &mut Client, sql: &str) -> Vec<String> {
    match db.query(sql, &[]) {
        Ok(rows) => rows.iter().map(|r| r.get::<_, String>(0)).collect(),
        Err(e) => panic!("{sql}: {}", describe(&e)),
    }
}

/// Column names of index or constraint `name`'s key, in order.
fn key_columns(db: &mut Client, constraint: &str) -> Vec<String> {
    strings(
        db,
        &format!(
            "SELECT a.attname::text FROM pg_constraint c, unnest(c.conkey) WITH ORDINALITY k(attnum, ord) \
             JOIN pg_attribute a ON a.attnum = k.attnum \
             WHERE c.conname = '{constraint}' AND a.attrelid = c.conrelid ORDER BY k.ord"
        ),
    )
}

/// An INSERT of `base` with some columns replaced or added (values are SQL).
fn insert(table: &str, base: &[(&str, &str)], over: &[(&str, &str)]) -> String {
    let mut cols: Vec<(&str, &str)> = base.to_vec();
    for (c, v) in over {
        match cols.iter_mut().find(|(bc, _)| bc == c) {
            Some(slot) => slot.1 = v,
            None => cols.push((c, v)),
        }
    }
    let names: Vec<&str> = cols.iter().map(|(c, _)| *c).collect();
    let values: Vec<&str> = cols.iter().map(|(_, v)| *v).collect();
    format!("INSERT INTO {table} ({}) VALUES ({})", names.join(", "), values.join(", "))
}

/// §11: a name longer than 63 bytes keeps 54 bytes, then `_` and 8 hex
/// digits of the SHA-256 of the full name.
fn limited(name: &str) -> String {
    if name.len() <= 63 {
        return name.to_string();
    }
    let mut cut = 54;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    let hash = Sha256::digest(name.as_bytes());
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}_{}", &name[..cut], &hex[..8])
}

// ---------------------------------------------------- invariants, expressions --

const EXPRESSIONS: &str = r#"
model beh_expr {
  target postgres 15
  tables plural_en
}

context shop {
  enum Status {
    DRAFT
    PLACED
    SHIPPED
    CANCELLED
  }

  enum Color native {
    RED
    GREEN
  }

  aggregate Order {
    status: Status = DRAFT
    color: Color = RED
    code: text(20)
    size: text(2)
    qty: int
    price: decimal(10, 2)
    discount: int?
    shipped_at: timestamp?
    invariant shipped_has_date: status == SHIPPED implies shipped_at is not null
    invariant size_known: size in ('S', 'M', 'L')
    invariant code_not_reserved: code not in ('AA-00', 'ZZ-99')
    invariant qty_range: qty between 1 and 100
    invariant code_shape: code matches /^[A-Z]{2}-[0-9]+$/
    invariant total_cap: qty * price + 1 <= 10000
    invariant code_short: len(code) <= 8
    invariant discount_cap: coalesce(discount, 0) <= 50
    invariant not_future: shipped_at is null or shipped_at <= now()
    invariant not_cancelled_red: not (status == CANCELLED and color == RED)
  }
}
"#;

const ORDER: &[(&str, &str)] = &[("code", "'AB-12'"), ("size", "'M'"), ("qty", "2"), ("price", "10")];

#[test]
fn invariants_compile_every_operator() {
    let (mut db, _) = setup("beh_expressions", EXPRESSIONS);
    let t = "shop.orders";
    // Valid rows, including the edges of each invariant.
    for over in [
        &[][..],
        &[("status", "'SHIPPED'"), ("shipped_at", "now() - interval '1 day'")][..],
        &[("discount", "50")][..],
        &[("qty", "100"), ("price", "99.99")][..],
        &[("qty", "1"), ("size", "'L'"), ("code", "'ZZ-98765'")][..],
        &[("status", "'CANCELLED'"), ("color", "'GREEN'")][..],
    ] {
        ok(&mut db, &insert(t, ORDER, over));
    }
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("status", "'SHIPPED'")], "orders_shipped_has_date"),
        (&[("size", "'XL'")], "orders_size_known"),
        (&[("code", "'AA-00'")], "orders_code_not_reserved"),
        (&[("qty", "0")], "orders_qty_range"),
        (&[("qty", "101")], "orders_qty_range"),
        (&[("code", "'ab-12'")], "orders_code_shape"),
        (&[("qty", "100"), ("price", "100")], "orders_total_cap"),
        (&[("code", "'AB-123456'")], "orders_code_short"),
        (&[("discount", "51")], "orders_discount_cap"),
        (&[("status", "'SHIPPED'"), ("shipped_at", "now() + interval '1 day'")], "orders_not_future"),
        (&[("status", "'CANCELLED'")], "orders_not_cancelled_red"),
        (&[("status", "'NOPE'")], "ck_orders_status_valid"),
    ];
    for (over, constraint) in cases {
        violates(&mut db, &insert(t, ORDER, over), constraint);
    }
    assert_eq!(one::<i64>(&mut db, "SELECT count(*) FROM shop.orders"), 6);
}

#[test]
fn enums_check_based_and_native() {
    let (mut db, _) = setup("beh_enums", EXPRESSIONS);
    // CHECK-based: VARCHAR sized to the longest value, a named CHECK.
    assert_eq!(
        one::<String>(
            &mut db,
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute \
             WHERE attrelid = 'shop.orders'::regclass AND attname = 'status'"
        ),
        "character varying(9)"
    );
    violates(&mut db, &insert("shop.orders", ORDER, &[("status", "'shipped'")]), "ck_orders_status_valid");
    // Native: a type of the context's schema; bad input is 22P02.
    assert_eq!(
        one::<String>(
            &mut db,
            "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum \
             WHERE enumtypid = 'shop.color'::regtype"
        ),
        "RED,GREEN"
    );
    let msg =
        fails(&mut db, &insert("shop.orders", ORDER, &[("color", "'BLUE'")]), SqlState::INVALID_TEXT_REPRESENTATION);
    assert!(msg.contains("invalid input value for enum"), "{msg}");
    ok(&mut db, &insert("shop.orders", ORDER, &[("color", "'GREEN'")]));
    assert_eq!(
        one::<String>(&mut db, "SELECT status || '/' || color::text FROM shop.orders"),
        "DRAFT/GREEN",
        "defaults of both enum kinds"
    );
}

// ------------------------------------------------------ references, uniques --

const REFERENCES: &str = r#"
model beh_refs {
  target postgres 15
  tables snake
  defaults { no timestamps }
}

context core {
  aggregate Parent {
    name: text(20)
  }
  aggregate KidRestrict {
    parent: ref Parent
  }
  aggregate KidCascade {
    parent: ref Parent on delete cascade
  }
  aggregate KidSetNull {
    parent: ref Parent? on delete set null
  }
  aggregate Account {
    email: text(100) unique
    a: int
    b: int
    unique (a, b)
  }
  aggregate Member {
    email: text(100) unique
    nick: text(20) indexed
    soft_delete
  }
}

context other {
  aggregate Remote {
    parent: ref core.Parent
    loose_parent: ref core.Parent loose
  }
}
"#;

#[test]
fn foreign_keys_restrict_cascade_set_null() {
    let (mut db, _) = setup("beh_fk_actions", REFERENCES);
    ok(
        &mut db,
        "INSERT INTO core.parent (id, name) VALUES ('00000000-0000-0000-0000-000000000001', 'p1');
         INSERT INTO core.kid_restrict (parent_id) VALUES ('00000000-0000-0000-0000-000000000001');
         INSERT INTO core.kid_cascade (parent_id) VALUES ('00000000-0000-0000-0000-000000000001');
         INSERT INTO core.kid_cascade (parent_id) VALUES ('00000000-0000-0000-0000-000000000001');
         INSERT INTO core.kid_set_null (parent_id) VALUES ('00000000-0000-0000-0000-000000000001');",
    );
    violates(
        &mut db,
        "INSERT INTO core.kid_restrict (parent_id) VALUES (gen_random_uuid())",
        "fk_kid_restrict_parent_id",
    );
    // restrict: the parent cannot go while a child points at it.
    violates(&mut db, "DELETE FROM core.parent", "fk_kid_restrict_parent_id");
    ok(&mut db, "DELETE FROM core.kid_restrict");
    // cascade deletes the children, set null empties the column.
    ok(&mut db, "DELETE FROM core.parent");
    assert_eq!(one::<i64>(&mut db, "SELECT count(*) FROM core.kid_cascade"), 0);
    assert_eq!(one::<i64>(&mut db, "SELECT count(*) FROM core.kid_set_null WHERE parent_id IS NULL"), 1);
    // The catalog says the same.
    assert_eq!(
        strings(
            &mut db,
            "SELECT conname || ':' || confdeltype::text FROM pg_constraint \
             WHERE contype = 'f' AND connamespace = 'core'::regnamespace ORDER BY 1"
        ),
        ["fk_kid_cascade_parent_id:c", "fk_kid_restrict_parent_id:r", "fk_kid_set_null_parent_id:n",]
    );
}

#[test]
fn unique_without_and_with_soft_delete() {
    let (mut db, _) = setup("beh_unique", REFERENCES);
    // Without soft delete: real UNIQUE constraints.
    ok(&mut db, "INSERT INTO core.account (email, a, b) VALUES ('x@e.com', 1, 1)");
    violates(&mut db, "INSERT INTO core.account (email, a, b) VALUES ('x@e.com', 2, 2)", "uq_account_email");
    violates(&mut db, "INSERT INTO core.account (email, a, b) VALUES ('y@e.com', 1, 1)", "uq_account_a_b");
    ok(&mut db, "INSERT INTO core.account (email, a, b) VALUES ('y@e.com', 1, 2)");
    assert_eq!(
        strings(
            &mut db,
            "SELECT conname::text FROM pg_constraint WHERE conrelid = 'core.account'::regclass \
             AND contype = 'u' ORDER BY 1"
        ),
        ["uq_account_a_b", "uq_account_email"]
    );
    // With soft delete: a partial unique index over the live rows only.
    ok(&mut db, "INSERT INTO core.member (email, nick) VALUES ('x@e.com', 'a')");
    violates(&mut db, "INSERT INTO core.member (email, nick) VALUES ('x@e.com', 'b')", "uq_member_email");
    ok(&mut db, "UPDATE core.member SET deleted_at = now()");
    ok(&mut db, "INSERT INTO core.member (email, nick) VALUES ('x@e.com', 'c')");
    violates(&mut db, "INSERT INTO core.member (email, nick) VALUES ('x@e.com', 'd')", "uq_member_email");
    assert_eq!(
        one::<String>(&mut db, "SELECT indexdef FROM pg_indexes WHERE indexname = 'uq_member_email'"),
        "CREATE UNIQUE INDEX uq_member_email ON core.member USING btree (email) WHERE (deleted_at IS NULL)"
    );
    // Plain indexes are partial the same way.
    assert_eq!(
        one::<String>(&mut db, "SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_member_nick'"),
        "CREATE INDEX idx_member_nick ON core.member USING btree (nick) WHERE (deleted_at IS NULL)"
    );
}

#[test]
fn cross_context_and_loose_references() {
    let (mut db, _) = setup("beh_cross_context", REFERENCES);
    ok(&mut db, "INSERT INTO core.parent (id, name) VALUES ('00000000-0000-0000-0000-000000000001', 'p1')");
    // Cross-context: a real FK into the other schema.
    violates(
        &mut db,
        "INSERT INTO other.remote (parent_id, loose_parent_id) VALUES (gen_random_uuid(), gen_random_uuid())",
        "fk_remote_parent_id",
    );
    // Loose: any id is accepted, there is no FK on the column…
    ok(
        &mut db,
        "INSERT INTO other.remote (parent_id, loose_parent_id) \
         VALUES ('00000000-0000-0000-0000-000000000001', gen_random_uuid())",
    );
    assert_eq!(
        strings(
            &mut db,
            "SELECT conname || ' -> ' || confrelid::regclass::text FROM pg_constraint \
             WHERE conrelid = 'other.remote'::regclass AND contype = 'f'"
        ),
        ["fk_remote_parent_id -> core.parent"]
    );
    // …but an index, like every reference.
    assert_eq!(
        strings(&mut db, "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'other' ORDER BY 1"),
        ["idx_remote_loose_parent_id", "idx_remote_parent_id", "remote_pkey"]
    );
}

// ------------------------------------------------------------ value objects --

const VALUES: &str = r#"
model beh_values {
  target postgres 15
  tables plural_en
  defaults { no timestamps }
}

value Email: text(100) check matches /^[^@ ]+@[^@ ]+$/

value Money {
  amount: decimal(10, 2)
  currency: char(3)
  invariant non_negative: amount >= 0
}

value Phone {
  prefix: text(4)
  number: text(15)
  invariant prefix_shape: prefix matches /^\+[0-9]{1,3}$/
}

context crm {
  aggregate Customer {
    email: Email
    balance: Money
    credit: Money?
    phones: Phone[]
  }
}
"#;

const CUSTOMER: &[(&str, &str)] = &[
    ("id", "'00000000-0000-0000-0000-0000000000c1'"),
    ("email", "'a@b.c'"),
    ("balance_amount", "0"),
    ("balance_currency", "'EUR'"),
];

#[test]
fn value_objects_embedded_optional_and_single_column() {
    let (mut db, _) = setup("beh_value_objects", VALUES);
    let t = "crm.customers";
    ok(&mut db, &insert(t, CUSTOMER, &[]));
    ok(
        &mut db,
        &insert(t, CUSTOMER, &[("id", "gen_random_uuid()"), ("credit_amount", "5"), ("credit_currency", "'USD'")]),
    );
    let fresh = [("id", "gen_random_uuid()")];
    let cases: &[(&[(&str, &str)], &str)] = &[
        // single-column value: ck_<table>_<column>_<value>
        (&[("email", "'not an email'")], "ck_customers_email_email"),
        // value-object invariant: <table>_<field>_<invariant>
        (&[("balance_amount", "-1")], "customers_balance_non_negative"),
        (&[("credit_amount", "-1"), ("credit_currency", "'EUR'")], "customers_credit_non_negative"),
        // optional group: all or nothing
        (&[("credit_amount", "1")], "customers_credit_all_or_none"),
        (&[("credit_currency", "'EUR'")], "customers_credit_all_or_none"),
    ];
    for (over, constraint) in cases {
        let mut all: Vec<(&str, &str)> = fresh.to_vec();
        all.extend_from_slice(over);
        violates(&mut db, &insert(t, CUSTOMER, &all), constraint);
    }
    // A required group stays NOT NULL column by column.
    fails(
        &mut db,
        &insert(t, CUSTOMER, &[("id", "gen_random_uuid()"), ("balance_currency", "NULL")]),
        SqlState::NOT_NULL_VIOLATION,
    );
}

#[test]
fn value_object_list_element_table() {
    let (mut db, _) = setup("beh_value_list", VALUES);
    ok(&mut db, &insert("crm.customers", CUSTOMER, &[]));
    let c = "'00000000-0000-0000-0000-0000000000c1'";
    ok(
        &mut db,
        &format!(
            "INSERT INTO crm.customers_phones (customer_id, position, prefix, number) VALUES \
             ({c}, 0, '+34', '600111222'), ({c}, 1, '+1', '5551234')"
        ),
    );
    assert_eq!(key_columns(&mut db, "customers_phones_pkey"), ["customer_id", "position"]);
    violates(
        &mut db,
        &format!(
            "INSERT INTO crm.customers_phones (customer_id, position, prefix, number) \
             VALUES ({c}, 1, '+44', '7000')"
        ),
        "customers_phones_pkey",
    );
    violates(
        &mut db,
        &format!(
            "INSERT INTO crm.customers_phones (customer_id, position, prefix, number) \
             VALUES ({c}, 2, '0034', '7000')"
        ),
        "customers_phones_prefix_shape",
    );
    violates(
        &mut db,
        "INSERT INTO crm.customers_phones (customer_id, position, prefix, number) \
         VALUES (gen_random_uuid(), 0, '+1', '1')",
        "fk_customers_phones_customer_id",
    );
    // The elements do not outlive their owner.
    ok(&mut db, "DELETE FROM crm.customers");
    assert_eq!(one::<i64>(&mut db, "SELECT count(*) FROM crm.customers_phones"), 0);
}

// ------------------------------------------------------------ password hash --

#[test]
fn password_hash_accepts_bcrypt_and_argon2_only() {
    let (mut db, _) = setup(
        "beh_password",
        "model beh_password { target postgres 15 tables plural_en }\n\
         context auth {\n  aggregate Account {\n    password: password_hash\n  }\n}\n",
    );
    let bcrypt = "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW";
    assert_eq!(bcrypt.len(), 7 + 53);
    let good = [
        bcrypt.to_string(),
        bcrypt.replacen("$2b$", "$2a$", 1),
        bcrypt.replacen("$2b$", "$2y$", 1),
        "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG".to_string(),
        "$argon2i$v=19$m=4096,t=3,p=1$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A".to_string(),
        "$argon2d$v=19$m=4096,t=3,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc".to_string(),
    ];
    for h in &good {
        ok(&mut db, &format!("INSERT INTO auth.accounts (password) VALUES ('{h}')"));
    }
    let bad = [
        "plaintext".to_string(),
        bcrypt[..bcrypt.len() - 1].to_string(), // 52 characters after the cost
        format!("{bcrypt}x"),                   // 54
        bcrypt.replacen("$2b$", "$2c$", 1),
        bcrypt.replacen("$12$", "$1$", 1),
        "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ".to_string(), // no hash part
        "$argon2x$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA".to_string(),
        format!(" {bcrypt}"),
    ];
    for h in &bad {
        violates(&mut db, &format!("INSERT INTO auth.accounts (password) VALUES ('{h}')"), "ck_accounts_password_hash");
    }
}

// ----------------------------------------------------------------- entities --

const ENTITIES: &str = r#"
model beh_entities {
  target postgres 15
  tables plural_es
}

context agenda {
  aggregate Reserva {
    titulo: text(50)
    entity Sesion {
      inicio: timestamp
      fin: timestamp
      invariant orden: fin > inicio
      entity Material {
        url: text(200)
      }
    }
    entity Pago one {
      importe: int
    }
  }
}
"#;

#[test]
fn entities_tables_cascade_and_one() {
    let (mut db, _) = setup("beh_entities", ENTITIES);
    let r = "'00000000-0000-0000-0000-0000000000a1'";
    let s = "'00000000-0000-0000-0000-0000000000b1'";
    ok(
        &mut db,
        &format!(
            "INSERT INTO agenda.reservas (id, titulo) VALUES ({r}, 'r');
             INSERT INTO agenda.reservas_sesiones (id, reserva_id, inicio, fin) VALUES
               ({s}, {r}, '2025-01-01 10:00Z', '2025-01-01 11:00Z');
             INSERT INTO agenda.reservas_sesiones (reserva_id, inicio, fin) VALUES
               ({r}, '2025-01-02 10:00Z', '2025-01-02 11:00Z');
             INSERT INTO agenda.reservas_sesiones_materiales (sesion_id, url) VALUES ({s}, 'https://x');
             INSERT INTO agenda.reservas_pagos (reserva_id, importe) VALUES ({r}, 10);"
        ),
    );
    violates(
        &mut db,
        &format!(
            "INSERT INTO agenda.reservas_sesiones (reserva_id, inicio, fin) VALUES \
             ({r}, '2025-01-02 10:00Z', '2025-01-02 09:00Z')"
        ),
        "reservas_sesiones_orden",
    );
    // `one`: a second child for the same parent is rejected.
    violates(
        &mut db,
        &format!("INSERT INTO agenda.reservas_pagos (reserva_id, importe) VALUES ({r}, 20)"),
        "uq_reservas_pagos_reserva_id",
    );
    violates(
        &mut db,
        "INSERT INTO agenda.reservas_sesiones (reserva_id, inicio, fin) VALUES \
         (gen_random_uuid(), '2025-01-02 10:00Z', '2025-01-02 11:00Z')",
        "fk_reservas_sesiones_reserva_id",
    );
    assert_eq!(
        strings(
            &mut db,
            "SELECT conname || ':' || confrelid::regclass::text || ':' || confdeltype::text FROM pg_constraint \
             WHERE contype = 'f' AND connamespace = 'agenda'::regnamespace ORDER BY 1"
        ),
        [
            "fk_reservas_pagos_reserva_id:agenda.reservas:c",
            "fk_reservas_sesiones_materiales_sesion_id:agenda.reservas_sesiones:c",
            "fk_reservas_sesiones_reserva_id:agenda.reservas:c",
        ]
    );
    // Deleting the root deletes the whole aggregate.
    ok(&mut db, "DELETE FROM agenda.reservas");
    for t in ["reservas_sesiones", "reservas_sesiones_materiales", "reservas_pagos"] {
        assert_eq!(one::<i64>(&mut db, &format!("SELECT count(*) FROM agenda.{t}")), 0, "{t}");
    }
}

// --------------------------------------------------------------- identities --

const IDENTITIES: &str = r#"
model beh_identities {
  target postgres 15
  tables plural_en
  defaults { no timestamps }
}

context ids {
  aggregate Counter {
    id: bigint identity
    label: text(10)
  }
  aggregate Event {
    id: uuid v7
    label: text(10)
  }
  aggregate Rate {
    currency: char(3)
    day: date
    value: decimal(10, 4)
    key (currency, day)
  }
}
"#;

#[test]
fn identities_identity_uuid_v7_and_natural_keys() {
    let (mut db, _) = setup("beh_identities", IDENTITIES);
    // bigint identity: GENERATED ALWAYS.
    ok(&mut db, "INSERT INTO ids.counters (label) VALUES ('a'), ('b')");
    assert_eq!(one::<String>(&mut db, "SELECT string_agg(id::text, ',' ORDER BY id) FROM ids.counters"), "1,2");
    fails(&mut db, "INSERT INTO ids.counters (id, label) VALUES (10, 'c')", SqlState::GENERATED_ALWAYS);
    // uuid v7: version nibble 7, variant 10xx, increasing over time.
    for i in 0..5 {
        ok(&mut db, &format!("INSERT INTO ids.events (label) VALUES ('e{i}'); SELECT pg_sleep(0.002);"));
    }
    assert_eq!(
        one::<i64>(
            &mut db,
            "SELECT count(*) FROM ids.events WHERE substring(id::text, 15, 1) = '7' \
             AND substring(id::text, 20, 1) IN ('8', '9', 'a', 'b')"
        ),
        5
    );
    assert_eq!(strings(&mut db, "SELECT label::text FROM ids.events ORDER BY id"), ["e0", "e1", "e2", "e3", "e4"]);
    // The embedded time is now (milliseconds since the epoch, first 48 bits).
    let skew: f64 = one(
        &mut db,
        "SELECT max(abs(extract(epoch FROM clock_timestamp()) * 1000 \
           - ('x' || substring(replace(id::text, '-', ''), 1, 12))::bit(48)::bigint))::float8 \
         FROM ids.events",
    );
    assert!(skew < 60_000.0, "uuid v7 time is {skew} ms away from now");
    // Natural key.
    assert_eq!(key_columns(&mut db, "rates_pkey"), ["currency", "day"]);
    ok(&mut db, "INSERT INTO ids.rates VALUES ('USD', '2025-01-01', 1.1), ('USD', '2025-01-02', 1.2)");
    violates(&mut db, "INSERT INTO ids.rates VALUES ('USD', '2025-01-01', 1.3)", "rates_pkey");
    assert_eq!(
        one::<i64>(
            &mut db,
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 'ids.rates'::regclass AND attname = 'id'"
        ),
        0,
        "a natural key replaces the surrogate id"
    );
}

// --------------------------------------------------------------- timestamps --

#[test]
fn timestamps_updated_at_trigger() {
    let (mut db, _) = setup(
        "beh_timestamps",
        "model beh_timestamps { target postgres 15 tables plural_en }\n\
         context inv {\n  aggregate Item {\n    name: text(10)\n  }\n}\n",
    );
    ok(
        &mut db,
        "INSERT INTO inv.items (name, created_at, updated_at) \
         VALUES ('a', '2000-01-01Z', '2000-01-01Z')",
    );
    assert_eq!(
        strings(
            &mut db,
            "SELECT tgname || ' ' || pg_get_triggerdef(oid) FROM pg_trigger \
             WHERE tgrelid = 'inv.items'::regclass AND NOT tgisinternal"
        ),
        ["items_updated_at CREATE TRIGGER items_updated_at BEFORE UPDATE ON inv.items \
          FOR EACH ROW EXECUTE FUNCTION trigger_set_timestamp()"]
    );
    ok(&mut db, "BEGIN; UPDATE inv.items SET name = 'b'");
    assert!(one::<bool>(
        &mut db,
        "SELECT updated_at = CURRENT_TIMESTAMP AND created_at = '2000-01-01Z' FROM inv.items"
    ));
    ok(&mut db, "COMMIT");
    // Even an UPDATE that tries to keep the old value gets the current time.
    ok(&mut db, "UPDATE inv.items SET updated_at = '2000-01-01Z'");
    assert!(one::<bool>(&mut db, "SELECT updated_at > '2020-01-01Z' FROM inv.items"));
    assert!(one::<bool>(
        &mut db,
        "SELECT column_default = 'CURRENT_TIMESTAMP' AND is_nullable = 'NO' \
         FROM information_schema.columns WHERE table_schema = 'inv' AND table_name = 'items' \
         AND column_name = 'created_at'"
    ));
}

// ------------------------------------------------------------ domain events --

#[test]
fn events_table_partitions_and_outbox() {
    let (mut db, _) = setup(
        "beh_events",
        r#"
model beh_events {
  target postgres 15
  tables plural_es
}

context ventas {
  aggregate Pedido {
    total: int
    events outbox monthly from 2025-11 to 2026-01 {
      PEDIDO_CREADO
      PEDIDO_PAGADO
    }
  }
}
"#,
    );
    let p = "'00000000-0000-0000-0000-0000000000a1'";
    let event = |at: &str, tipo: &str| {
        format!(
            "INSERT INTO ventas.pedidos_eventos (pedido_id, tipo_evento, occurred_at, payload) \
             VALUES ({p}, '{tipo}', '{at}', '{{\"n\": 1}}')"
        )
    };
    ok(&mut db, &event("2025-12-15 12:00Z", "PEDIDO_CREADO"));
    ok(&mut db, &event("2026-01-31 23:59Z", "PEDIDO_PAGADO"));
    ok(&mut db, &event("2030-06-01 00:00Z", "PEDIDO_PAGADO"));
    ok(&mut db, &event("2025-10-31 23:59Z", "PEDIDO_PAGADO"));
    assert_eq!(
        strings(&mut db, "SELECT tableoid::regclass::text FROM ventas.pedidos_eventos ORDER BY occurred_at"),
        [
            "ventas.pedidos_eventos_default",
            "ventas.pedidos_eventos_2025_12",
            "ventas.pedidos_eventos_2026_01",
            "ventas.pedidos_eventos_default",
        ]
    );
    assert_eq!(
        strings(
            &mut db,
            "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
             WHERE i.inhparent = 'ventas.pedidos_eventos'::regclass ORDER BY 1"
        ),
        ["pedidos_eventos_2025_11", "pedidos_eventos_2025_12", "pedidos_eventos_2026_01", "pedidos_eventos_default",]
    );
    violates(&mut db, &event("2025-12-15 12:00Z", "PEDIDO_OTRO"), "ck_pedidos_eventos_tipo_evento_valid");
    // The row as the spec describes it.
    assert!(one::<bool>(
        &mut db,
        "SELECT metadata = '{}'::jsonb AND published_at IS NULL AND id > 0 \
         FROM ventas.pedidos_eventos WHERE occurred_at = '2025-12-15 12:00Z'"
    ));
    assert_eq!(key_columns(&mut db, "pedidos_eventos_pkey"), ["id", "occurred_at"]);
    // Outbox: a partial index for the relay.
    let pending = strings(
        &mut db,
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'ventas' \
         AND tablename = 'pedidos_eventos' AND indexdef LIKE '%WHERE (published_at IS NULL)'",
    );
    assert_eq!(pending.len(), 1, "{pending:?}");
}

// -------------------------------------------------------------------- audit --

#[test]
fn audit_trail_records_every_change() {
    let (mut db, _) = setup(
        "beh_audit",
        r#"
model beh_audit {
  target postgres 15
  tables plural_en
  audit_log trail.log monthly from 2025-11 to 2025-12
}

context trail {
}

context shop {
  aggregate Order {
    total: int
    audited
    entity Line {
      qty: int
    }
  }
  aggregate Plain {
    x: int
  }
}
"#,
    );
    let user = "7f6c1d1e-0000-4000-8000-000000000001";
    let o = "00000000-0000-0000-0000-0000000000a1";
    ok(&mut db, &format!("SET app.user_id = '{user}'"));
    ok(&mut db, &format!("INSERT INTO shop.orders (id, total) VALUES ('{o}', 1)"));
    ok(&mut db, "UPDATE shop.orders SET total = 2");
    ok(&mut db, "INSERT INTO shop.plains (x) VALUES (1)");
    ok(&mut db, &format!("INSERT INTO shop.orders_lines (order_id, qty) VALUES ('{o}', 3)"));
    ok(&mut db, "RESET app.user_id");
    ok(&mut db, "DELETE FROM shop.orders");
    let rows = db
        .query(
            "SELECT accion::text, entidad::text, entidad_id, usuario_id::text, \
               datos_antes->>'total', datos_despues->>'total', datos_antes IS NULL, datos_despues IS NULL \
             FROM trail.log ORDER BY id",
            &[],
        )
        .unwrap();
    type Row = (String, String, Option<String>, Option<String>, Option<String>, Option<String>, bool, bool);
    let got: Vec<Row> =
        rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6), r.get(7))).collect();
    let s = |x: &str| Some(x.to_string());
    let line_id: String = one(&mut db, "SELECT entidad_id FROM trail.log WHERE entidad = 'shop.orders_lines' LIMIT 1");
    let expected: Vec<Row> = vec![
        ("INSERT".into(), "shop.orders".into(), s(o), s(user), None, s("1"), true, false),
        ("UPDATE".into(), "shop.orders".into(), s(o), s(user), s("1"), s("2"), false, false),
        ("INSERT".into(), "shop.orders_lines".into(), Some(line_id.clone()), s(user), None, None, true, false),
        // The cascade from the root deletes the line first or last; both
        // are audited, without a user (the setting was reset).
    ];
    assert_eq!(&got[..3], &expected[..], "audit rows");
    let mut deletes: Vec<(String, Option<String>, Option<String>, bool)> =
        got[3..].iter().map(|r| (r.1.clone(), r.2.clone(), r.3.clone(), r.7)).collect();
    deletes.sort();
    assert_eq!(
        deletes,
        [("shop.orders".to_string(), s(o), None, true), ("shop.orders_lines".to_string(), Some(line_id), None, true),]
    );
    assert!(got[3..].iter().all(|r| r.0 == "DELETE" && !r.6));
    assert_eq!(
        strings(
            &mut db,
            "SELECT tgname::text FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE '%audit' ORDER BY 1"
        ),
        ["orders_audit", "orders_lines_audit"]
    );
}

/// What W0004 warns of, on PostgreSQL: an application role (it writes a
/// tenant-scoped context) that may also read the audit log's context sees,
/// through the log, every tenant's rows and the rows of an audited context
/// it has no grant on, while its grants on the contexts themselves give it
/// one tenant's rows and none of the other context. The warning is
/// checked on the same model.
#[test]
fn a_role_that_reads_the_audit_log_reads_what_its_grants_keep_from_it() {
    let ddd = r#"
model beh_audit_reader {
  target postgres 15
  tables plural_en
  audit_log trail.log monthly from 2025-11 to 2027-12
  role beh_w0004_app { write shop  read trail }
}

context trail {
}

context shop {
  tenant by tenant_id
  aggregate Order {
    total: int
    audited
  }
}

context hr {
  aggregate Salary {
    amount: int
    audited
  }
}
"#;
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("model.ddd");
    std::fs::write(&root, ddd).expect("write model");
    let fe = dddc::frontend(&root, &root).expect("the model reads");
    let warned: Vec<&str> = fe.diagnostics.iter().filter(|d| d.code == "W0004").map(|d| d.message.as_str()).collect();
    assert_eq!(
        warned,
        ["role `beh_w0004_app` may read `trail`, which holds the audit log of `hr`, which it may not read"],
        "the warning, on this model"
    );
    let (mut db, _) = setup("beh_audit_reader", ddd);
    let (a, b) = ("aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002");
    // As the superuser (no row-level security): a row of each tenant, and
    // a salary.
    ok(
        &mut db,
        &format!(
            "INSERT INTO shop.orders (id, tenant_id, total) VALUES \
               ('00000000-0000-0000-0000-0000000000a1', '{a}', 10), \
               ('00000000-0000-0000-0000-0000000000b1', '{b}', 20);
             INSERT INTO hr.salaries (amount) VALUES (5000);"
        ),
    );
    ok(&mut db, "SET ROLE beh_w0004_app");
    assert!(!one::<bool>(&mut db, "SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = current_user"));
    ok(&mut db, &format!("SET app.tenant_id = '{a}'"));
    // Its grants: tenant A's order, no salary.
    assert_eq!(strings(&mut db, "SELECT total::text FROM shop.orders"), ["10"]);
    fails(&mut db, "SELECT amount FROM hr.salaries", SqlState::INSUFFICIENT_PRIVILEGE);
    // The log: tenant B's order and the salary, before and after.
    assert_eq!(
        strings(
            &mut db,
            "SELECT entidad || ':' || (datos_despues->>'total') FROM trail.log WHERE entidad = 'shop.orders' ORDER BY 1"
        ),
        ["shop.orders:10", "shop.orders:20"]
    );
    assert_eq!(
        strings(&mut db, "SELECT datos_despues->>'amount' FROM trail.log WHERE entidad = 'hr.salaries'"),
        ["5000"]
    );
    ok(&mut db, "RESET ROLE");
}

// ------------------------------------------------------------------ tenancy --

#[test]
fn tenancy_row_level_security() {
    let (mut db, _) = setup(
        "beh_tenancy",
        r#"
model beh_tenancy {
  target postgres 15
  tables plural_en
}

context crm {
  tenant by tenant_id
  aggregate Account {
    name: text(50)
    entity Contact {
      email: text(100)
    }
  }
}
"#,
    );
    let (a, b) = ("aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002");
    // As the superuser (which bypasses RLS): one account per tenant.
    ok(
        &mut db,
        &format!(
            "INSERT INTO crm.accounts (id, tenant_id, name) VALUES \
               ('00000000-0000-0000-0000-0000000000a1', '{a}', 'of A'), \
               ('00000000-0000-0000-0000-0000000000b1', '{b}', 'of B');
             INSERT INTO crm.accounts_contacts (tenant_id, account_id, email) VALUES \
               ('{a}', '00000000-0000-0000-0000-0000000000a1', 'a@a'), \
               ('{b}', '00000000-0000-0000-0000-0000000000b1', 'b@b');"
        ),
    );
    assert_eq!(
        strings(
            &mut db,
            "SELECT c.relname || ':' || c.relrowsecurity || ':' || c.relforcerowsecurity || ':' || p.polname \
             FROM pg_class c JOIN pg_policy p ON p.polrelid = c.oid \
             WHERE c.relnamespace = 'crm'::regnamespace ORDER BY 1"
        ),
        ["accounts:true:true:tenant_isolation", "accounts_contacts:true:true:tenant_isolation",]
    );
    ok(
        &mut db,
        "DO $$ BEGIN CREATE ROLE beh_tenant_app NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
         GRANT USAGE ON SCHEMA crm TO beh_tenant_app;
         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA crm TO beh_tenant_app;",
    );
    // A session that never set a tenant fails, rather than seeing no rows
    // or every tenant's (docs/language.md).
    ok(&mut db, "SET ROLE beh_tenant_app");
    let msg = fails(&mut db, "SELECT count(*) FROM crm.accounts", SqlState::UNDEFINED_OBJECT);
    assert!(msg.contains("unrecognized configuration parameter \"app.tenant_id\""), "{msg}");
    ok(&mut db, &format!("SET app.tenant_id = '{a}'"));
    assert!(!one::<bool>(&mut db, "SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = current_user"));
    assert_eq!(strings(&mut db, "SELECT name::text FROM crm.accounts"), ["of A"]);
    assert_eq!(strings(&mut db, "SELECT email::text FROM crm.accounts_contacts"), ["a@a"]);
    ok(&mut db, &format!("INSERT INTO crm.accounts (tenant_id, name) VALUES ('{a}', 'new A')"));
    let msg = fails(
        &mut db,
        &format!("INSERT INTO crm.accounts (tenant_id, name) VALUES ('{b}', 'sneaky')"),
        SqlState::INSUFFICIENT_PRIVILEGE,
    );
    assert!(msg.contains("row-level security policy"), "{msg}");
    fails(
        &mut db,
        &format!(
            "INSERT INTO crm.accounts_contacts (tenant_id, account_id, email) \
             VALUES ('{b}', '00000000-0000-0000-0000-0000000000b1', 'x@x')"
        ),
        SqlState::INSUFFICIENT_PRIVILEGE,
    );
    fails(&mut db, &format!("UPDATE crm.accounts SET tenant_id = '{b}'"), SqlState::INSUFFICIENT_PRIVILEGE);
    // B's rows are invisible, so they cannot be changed either.
    ok(&mut db, "DELETE FROM crm.accounts_contacts");
    // Reset (a pooled connection after RESET ALL), the setting reads ''
    // and the cast fails too.
    ok(&mut db, "RESET app.tenant_id");
    let msg = fails(&mut db, "SELECT count(*) FROM crm.accounts", SqlState::INVALID_TEXT_REPRESENTATION);
    assert!(msg.contains("invalid input syntax for type uuid"), "{msg}");
    ok(&mut db, "RESET ROLE");
    assert_eq!(strings(&mut db, "SELECT email::text FROM crm.accounts_contacts"), ["b@b"]);
}

// ------------------------------------------------------------- partitioning --

#[test]
fn partitioning_range_list_hash() {
    let (mut db, _) = setup(
        "beh_partitions",
        r#"
model beh_partitions {
  target postgres 15
  tables plural_en
  defaults { no timestamps }
}

context ops {
  aggregate Reading {
    taken_at: timestamp
    value: int
    partition by range (taken_at) monthly from 2025-11 to 2026-01
  }
  aggregate Invoice {
    country: char(2)
    number: int
    partition by list (country) { es: 'ES', andean: ('PE', 'CO') }
  }
  aggregate Session {
    token: text(10)
    partition by hash (id) into 4
  }
}
"#,
    );
    let partitions = |db: &mut Client, parent: &str| {
        strings(
            db,
            &format!(
                "SELECT c.relname || ' ' || pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i \
                 JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = '{parent}'::regclass ORDER BY 1"
            ),
        )
    };
    assert_eq!(
        partitions(&mut db, "ops.readings"),
        [
            "readings_2025_11 FOR VALUES FROM ('2025-11-01 00:00:00+00') TO ('2025-12-01 00:00:00+00')",
            "readings_2025_12 FOR VALUES FROM ('2025-12-01 00:00:00+00') TO ('2026-01-01 00:00:00+00')",
            "readings_2026_01 FOR VALUES FROM ('2026-01-01 00:00:00+00') TO ('2026-02-01 00:00:00+00')",
            "readings_default DEFAULT",
        ]
    );
    assert_eq!(key_columns(&mut db, "readings_pkey"), ["id", "taken_at"]);
    ok(
        &mut db,
        "INSERT INTO ops.readings (taken_at, value) VALUES \
         ('2025-11-01 00:00Z', 1), ('2025-12-31 23:59:59Z', 2), ('2026-01-15Z', 3), ('2027-01-01Z', 4)",
    );
    assert_eq!(
        strings(&mut db, "SELECT tableoid::regclass::text FROM ops.readings ORDER BY value"),
        ["ops.readings_2025_11", "ops.readings_2025_12", "ops.readings_2026_01", "ops.readings_default",]
    );
    assert_eq!(
        partitions(&mut db, "ops.invoices"),
        ["invoices_andean FOR VALUES IN ('PE', 'CO')", "invoices_default DEFAULT", "invoices_es FOR VALUES IN ('ES')",]
    );
    ok(&mut db, "INSERT INTO ops.invoices (country, number) VALUES ('ES', 1), ('CO', 2), ('FR', 3)");
    assert_eq!(
        strings(&mut db, "SELECT tableoid::regclass::text FROM ops.invoices ORDER BY number"),
        ["ops.invoices_es", "ops.invoices_andean", "ops.invoices_default"]
    );
    assert_eq!(key_columns(&mut db, "invoices_pkey"), ["id", "country"]);
    assert_eq!(
        partitions(&mut db, "ops.sessions"),
        [
            "sessions_p0 FOR VALUES WITH (modulus 4, remainder 0)",
            "sessions_p1 FOR VALUES WITH (modulus 4, remainder 1)",
            "sessions_p2 FOR VALUES WITH (modulus 4, remainder 2)",
            "sessions_p3 FOR VALUES WITH (modulus 4, remainder 3)",
        ]
    );
    ok(&mut db, "INSERT INTO ops.sessions (token) SELECT 't' || g FROM generate_series(1, 40) g");
    let spread = strings(&mut db, "SELECT tableoid::regclass::text FROM ops.sessions GROUP BY 1 ORDER BY 1");
    assert!(spread.len() >= 2 && spread.iter().all(|p| p.starts_with("ops.sessions_p")), "{spread:?}");
}

// ----------------------------------------------------------- full-text search --

#[test]
fn full_text_search_vector() {
    let (mut db, _) = setup(
        "beh_search",
        r#"
model beh_search {
  target postgres 15
  tables plural_en
}

context market {
  aggregate Tutor {
    name: text(100)
    bio: text?
    search spanish (name A, bio B)
  }
}
"#,
    );
    ok(
        &mut db,
        "INSERT INTO market.tutors (name, bio) VALUES \
         ('Ana García', 'Clases de matemáticas y física'), ('Luis', NULL)",
    );
    assert_eq!(one::<i64>(&mut db, "SELECT count(*) FROM market.tutors WHERE search_vector IS NOT NULL"), 2);
    assert_eq!(
        strings(
            &mut db,
            "SELECT name::text FROM market.tutors WHERE search_vector @@ to_tsquery('spanish', 'matemática')"
        ),
        ["Ana García"]
    );
    assert_eq!(
        strings(&mut db, "SELECT name::text FROM market.tutors WHERE search_vector @@ to_tsquery('spanish', 'luis')"),
        ["Luis"]
    );
    // Weights: the name is A, the biography B.
    assert_eq!(
        one::<i64>(
            &mut db,
            "SELECT count(*) FROM market.tutors WHERE search_vector = \
               setweight(to_tsvector('spanish', name), 'A') \
               || setweight(to_tsvector('spanish', coalesce(bio, '')), 'B')"
        ),
        2
    );
    assert_eq!(
        one::<String>(&mut db, "SELECT ts_filter(search_vector, '{a}')::text FROM market.tutors WHERE name = 'Luis'"),
        "'luis':1A"
    );
    ok(&mut db, "UPDATE market.tutors SET bio = 'química' WHERE name = 'Luis'");
    assert_eq!(
        strings(
            &mut db,
            "SELECT name::text FROM market.tutors WHERE search_vector @@ to_tsquery('spanish', 'química')"
        ),
        ["Luis"]
    );
    assert_eq!(
        strings(&mut db, "SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_tutors_search_vector_gin'"),
        ["CREATE INDEX idx_tutors_search_vector_gin ON market.tutors USING gin (search_vector)"]
    );
}

// ------------------------------------------------ roles, grants, publications --

#[test]
fn roles_grants_and_publications() {
    let (mut db, _) = setup(
        "beh_roles",
        r#"
model beh_roles {
  target postgres 15
  tables plural_en

  role beh_catalog_orders {
    read cat
    write ord
  }

  publication beh_pub { cat.Product, ord }
}

context cat {
  aggregate Product {
    name: text(20)
    entity Variant {
      sku: text(10)
    }
  }
  aggregate Brand {
    name: text(20)
  }
}

context ord {
  aggregate Order {
    id: bigint identity
    n: int
  }
  aggregate Note {
    body: text(20)
  }
}
"#,
    );
    ok(&mut db, "INSERT INTO cat.products (name) VALUES ('p')");
    assert!(!one::<bool>(&mut db, "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'beh_catalog_orders'"));
    ok(&mut db, "SET ROLE beh_catalog_orders");
    assert_eq!(strings(&mut db, "SELECT name::text FROM cat.products"), ["p"]);
    fails(&mut db, "INSERT INTO cat.products (name) VALUES ('q')", SqlState::INSUFFICIENT_PRIVILEGE);
    fails(&mut db, "UPDATE cat.brands SET name = 'q'", SqlState::INSUFFICIENT_PRIVILEGE);
    ok(&mut db, "INSERT INTO ord.orders (n) VALUES (1), (2)");
    ok(&mut db, "INSERT INTO ord.notes (body) VALUES ('n')");
    ok(&mut db, "UPDATE ord.orders SET n = n + 1");
    ok(&mut db, "DELETE FROM ord.orders WHERE n = 3");
    assert_eq!(strings(&mut db, "SELECT id || ':' || n FROM ord.orders"), ["1:2"]);
    ok(&mut db, "RESET ROLE");
    assert_eq!(
        strings(
            &mut db,
            "SELECT schemaname || '.' || tablename FROM pg_publication_tables \
             WHERE pubname = 'beh_pub' ORDER BY 1"
        ),
        ["cat.products", "cat.products_variants", "ord.notes", "ord.orders",]
    );
}

// ----------------------------------------------------------- hostile names --

#[test]
fn hostile_model_comments_defaults_and_names() {
    let (schema, v1) = compile_file(Path::new("tests/models/hostile_names.ddd"));
    let mut db = apply("beh_hostile_model", &v1);
    // Every comment the compiler meant to write is exactly what the catalog holds.
    let mut expected = BTreeSet::new();
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    for s in &schema.schemas {
        if let Some(c) = &s.comment {
            expected.insert((format!("schema {}", s.name), c.clone()));
        }
    }
    for e in &schema.enum_types {
        if let Some(c) = &e.comment {
            expected.insert((format!("type {}.{}", quote(&e.schema), quote(&e.name)), c.clone()));
        }
    }
    for t in &schema.tables {
        let q = format!("{}.{}", quote(&t.schema), quote(&t.name));
        if let Some(c) = &t.comment {
            expected.insert((format!("table {q}"), c.clone()));
        }
        for col in &t.columns {
            if let Some(c) = &col.comment {
                expected.insert((format!("column {q}.{}", col.name), c.clone()));
            }
        }
        for ch in &t.checks {
            if let Some(c) = &ch.comment {
                expected.insert((format!("constraint {q}.{}", ch.name), c.clone()));
            }
        }
        for i in &t.indexes {
            if let Some(c) = &i.comment {
                expected.insert((format!("index {q}.{}", i.name), c.clone()));
            }
        }
    }
    assert!(expected.len() > 15, "{expected:?}");
    let actual: BTreeSet<(String, String)> = db
        .query(
            "SELECT 'schema ' || nspname, obj_description(oid, 'pg_namespace') FROM pg_namespace \
               WHERE nspname IN ('order', 'group') AND obj_description(oid, 'pg_namespace') IS NOT NULL
             UNION ALL
             SELECT 'type ' || format('\"order\".\"%s\"', typname), obj_description(oid, 'pg_type') FROM pg_type \
               WHERE typnamespace = '\"order\"'::regnamespace AND obj_description(oid, 'pg_type') IS NOT NULL
             UNION ALL
             SELECT 'table ' || format('\"%s\".\"%s\"', n.nspname, c.relname), obj_description(c.oid, 'pg_class') \
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
               WHERE n.nspname IN ('order', 'group') AND c.relkind IN ('r', 'p') \
               AND obj_description(c.oid, 'pg_class') IS NOT NULL
             UNION ALL
             SELECT 'column ' || format('\"%s\".\"%s\".%s', n.nspname, c.relname, a.attname), col_description(c.oid, a.attnum) \
               FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
               WHERE n.nspname IN ('order', 'group') AND c.relkind IN ('r', 'p') AND a.attnum > 0 \
               AND col_description(c.oid, a.attnum) IS NOT NULL
             UNION ALL
             SELECT 'constraint ' || format('\"%s\".\"%s\".%s', n.nspname, c.relname, co.conname), obj_description(co.oid, 'pg_constraint') \
               FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
               WHERE n.nspname IN ('order', 'group') AND obj_description(co.oid, 'pg_constraint') IS NOT NULL
             UNION ALL
             SELECT 'index ' || format('\"%s\".\"%s\".%s', n.nspname, t.relname, c.relname), obj_description(c.oid, 'pg_class') \
               FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid \
               JOIN pg_namespace n ON n.oid = c.relnamespace \
               WHERE n.nspname IN ('order', 'group') AND obj_description(c.oid, 'pg_class') IS NOT NULL",
            &[],
        )
        .unwrap_or_else(|e| panic!("{}", describe(&e)))
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1)))
        .collect();
    let missing: Vec<_> = expected.difference(&actual).collect();
    let extra: Vec<_> = actual.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "comments differ\nexpected but not in the catalog: {missing:#?}\nin the catalog but not expected: {extra:#?}"
    );
    // …and the compiler's comments are the doc text of the source, verbatim.
    let mut doc = |sql: &str| one::<String>(&mut db, sql);
    assert_eq!(
        doc("SELECT obj_description('\"order\"'::regnamespace, 'pg_namespace')"),
        "Context whose schema name is the reserved word `order` — it's \"quoted\" $$."
    );
    assert_eq!(
        doc("SELECT obj_description('\"order\".\"user\"'::regclass, 'pg_class')"),
        "The user: table name `user` under `tables snake`. Doc: O'Reilly \"quoted\"."
    );
    assert_eq!(
        doc("SELECT col_description(attrelid, attnum) FROM pg_attribute \
             WHERE attrelid = '\"order\".\"user\"'::regclass AND attname = 'name'"),
        "Column named `name`; doc with backslash \\ and `\\'`."
    );
    assert_eq!(
        doc("SELECT obj_description('\"order\".\"order\"'::regclass, 'pg_class')"),
        "Order: table name `order`. Doc with */ and /* and -- and ;"
    );
    assert_eq!(
        doc("SELECT obj_description(oid, 'pg_constraint') FROM pg_constraint WHERE conname = 'order_primary_ordered'"),
        "'from' must not exceed \"to\" */"
    );
    assert_eq!(
        doc("SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = 'table'"),
        "Role named with a reserved word; doc with 'quote' and $$."
    );
    // Defaults with quotes and dollars come back verbatim.
    ok(
        &mut db,
        "INSERT INTO \"order\".\"user\" (id, name, password) VALUES \
         ('00000000-0000-0000-0000-0000000000a1', 'u', '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW');
         INSERT INTO \"order\".\"order\" (user_id, \"nombreCompleto\") VALUES ('00000000-0000-0000-0000-0000000000a1', 'N');",
    );
    assert_eq!(
        strings(
            &mut db,
            "SELECT concat_ws(' | ', \"select\", \"group\", \"table\", \"order\", \"limit\", \"offset\", \"check\", \"default\") \
             FROM \"order\".\"order\""
        ),
        ["FROM | it's a 'group' | DROP | 0 | 10 | -1 | she said \"hi\" and $$bye$$ | t"]
    );
    // The 63-byte rule, on an invariant and on names built from a 63-byte table name.
    let long = limited("order_el_limite_de_la_linea_debe_ser_positivo_y_no_superar_el_maximo");
    assert_eq!(long.len(), 63);
    violates(&mut db, "UPDATE \"order\".\"order\" SET \"limit\" = 0", &long);
    let table = "tabla_con_un_nombre_larguisimo_que_ocupa_exactamente_sesenta_y3";
    assert_eq!(table.len(), 63);
    violates(
        &mut db,
        &format!("INSERT INTO \"order\".{table} (valor) VALUES (0)"),
        &limited(&format!("{table}_positivo")),
    );
    let names = strings(
        &mut db,
        &format!(
            "SELECT conname::text FROM pg_constraint WHERE conrelid = '\"order\".{table}'::regclass AND contype <> 'n' \
             UNION ALL SELECT tgname::text FROM pg_trigger WHERE tgrelid = '\"order\".{table}'::regclass \
             AND NOT tgisinternal ORDER BY 1"
        ),
    );
    let mut want = vec![
        limited(&format!("{table}_pkey")),
        limited(&format!("{table}_positivo")),
        limited(&format!("{table}_updated_at")),
        limited(&format!("{table}_audit")),
        limited(&format!("fk_{table}_user_id")),
    ];
    want.sort();
    assert_eq!(names, want);
}

#[test]
fn hostile_doc_comments_inline() {
    let (mut db, _) = setup(
        "beh_hostile_docs",
        r#"
model beh_docs {
  target postgres 15
  tables plural_en
}

/// Schema doc: it's $$ and $dddc$ */ \ ñandú 漢字 🎉
context docs {
  /// Enum doc: 'quoted' $body$ \n
  enum Kind native {
    A
    B
  }

  /// Table doc: O'Reilly $tag$ /* */ -- ; \\ 👩‍💻 עברית
  aggregate Note {
    /// Column doc: ''doubled'' $$ `x` 🙃
    body: text(10)
    kind: Kind = A /// Trailing doc: E'\n' and */
    /// Invariant doc: it's */ done \
    invariant body_set: len(body) > 0
    /// Index doc: "quoted" $$
    index (body)
  }
}
"#,
    );
    let doc = |db: &mut Client, sql: &str| one::<String>(db, sql);
    assert_eq!(
        doc(&mut db, "SELECT obj_description('docs'::regnamespace, 'pg_namespace')"),
        "Schema doc: it's $$ and $dddc$ */ \\ ñandú 漢字 🎉"
    );
    assert_eq!(
        doc(&mut db, "SELECT obj_description('docs.kind'::regtype, 'pg_type')"),
        "Enum doc: 'quoted' $body$ \\n"
    );
    assert_eq!(
        doc(&mut db, "SELECT obj_description('docs.notes'::regclass, 'pg_class')"),
        "Table doc: O'Reilly $tag$ /* */ -- ; \\\\ 👩‍💻 עברית"
    );
    let column = |db: &mut Client, c: &str| {
        doc(
            db,
            &format!(
                "SELECT col_description(attrelid, attnum) FROM pg_attribute \
                 WHERE attrelid = 'docs.notes'::regclass AND attname = '{c}'"
            ),
        )
    };
    assert_eq!(column(&mut db, "body"), "Column doc: ''doubled'' $$ `x` 🙃");
    assert_eq!(column(&mut db, "kind"), "Trailing doc: E'\\n' and */");
    assert_eq!(
        doc(
            &mut db,
            "SELECT obj_description(oid, 'pg_constraint') FROM pg_constraint WHERE conname = 'notes_body_set'"
        ),
        "Invariant doc: it's */ done \\"
    );
    assert_eq!(
        doc(&mut db, "SELECT obj_description('docs.idx_notes_body'::regclass, 'pg_class')"),
        "Index doc: \"quoted\" $$"
    );
}

#[test]
fn hostile_reserved_words_as_fields() {
    let (mut db, _) = setup(
        "beh_reserved",
        r#"
model beh_reserved {
  target postgres 15
  tables snake
  defaults { no timestamps }
}

context select {
  aggregate From {
    where: text(10)
    order: int
    group: text(10)?
    user: text(10)
    limit: int = 5
    check: bool = true
    default: text(10) = 'x'
    table: text(10)
    column: text(10)
    primary: int
    offset: int
    index: int
    value: int
    select: text(10)
    invariant order_positive: order > 0
    invariant where_not_blank: len(where) > 0
    index (select, where)
    unique (user, table)
  }
}
"#,
    );
    ok(
        &mut db,
        "INSERT INTO \"select\".\"from\" (\"where\", \"order\", \"user\", \"table\", \"column\", \"primary\", \
           \"offset\", index, value, \"select\") VALUES ('w', 1, 'u', 't', 'c', 2, 3, 4, 5, 's')",
    );
    assert_eq!(
        strings(
            &mut db,
            "SELECT concat_ws(',', \"where\", \"order\", \"group\", \"user\", \"limit\", \"check\", \"default\", \
               \"table\", \"column\", \"primary\", \"offset\", index, value, \"select\") FROM \"select\".\"from\""
        ),
        ["w,1,u,5,t,x,t,c,2,3,4,5,s"]
    );
    violates(
        &mut db,
        "INSERT INTO \"select\".\"from\" (\"where\", \"order\", \"user\", \"table\", \"column\", \"primary\", \
           \"offset\", index, value, \"select\") VALUES ('w', 0, 'u2', 't', 'c', 2, 3, 4, 5, 's')",
        "from_order_positive",
    );
    violates(
        &mut db,
        "INSERT INTO \"select\".\"from\" (\"where\", \"order\", \"user\", \"table\", \"column\", \"primary\", \
           \"offset\", index, value, \"select\") VALUES ('w', 1, 'u', 't', 'c', 2, 3, 4, 5, 's')",
        "uq_from_user_table",
    );
    assert_eq!(
        strings(&mut db, "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'select' ORDER BY 1"),
        ["from_pkey", "idx_from_select_where", "uq_from_user_table"]
    );
}

#[test]
fn long_generated_names_are_hashed() {
    let invariant = "quantity_must_be_positive_and_below_the_maximum_warehouse_capacity";
    let (mut db, _) = setup(
        "beh_long_names",
        &format!(
            r#"
model beh_long {{
  target postgres 15
  tables plural_en
  defaults {{ no timestamps }}
}}

context stock {{
  aggregate Order {{
    quantity: int
    destination_warehouse_identifier_for_the_regional_distribution: text(10) unique
    invariant {invariant}: quantity > 0 and quantity < 1000
  }}
}}
"#
        ),
    );
    let full = format!("orders_{invariant}");
    assert!(full.len() > 63);
    let name = limited(&full);
    assert_eq!(name.len(), 63);
    assert_eq!(&name[..54], &full[..54]);
    ok(
        &mut db,
        "INSERT INTO stock.orders (quantity, destination_warehouse_identifier_for_the_regional_distribution) \
         VALUES (1, 'a')",
    );
    violates(
        &mut db,
        "INSERT INTO stock.orders (quantity, destination_warehouse_identifier_for_the_regional_distribution) \
         VALUES (0, 'b')",
        &name,
    );
    violates(
        &mut db,
        "INSERT INTO stock.orders (quantity, destination_warehouse_identifier_for_the_regional_distribution) \
         VALUES (1, 'a')",
        &limited("uq_orders_destination_warehouse_identifier_for_the_regional_distribution"),
    );
}

/// Under tenancy a natural key is unique per tenant, and so is the key of
/// its list's elements: two tenants with a customer `ACME` each keep a
/// phone 0 (the elements' key was `(customer_id, position)`: the second
/// tenant's insert failed, and the duplicate-key error told it which codes
/// the first had).
#[test]
fn a_tenants_natural_key_leads_its_list_elements_key() {
    let (mut db, _) = setup(
        "beh_tenant_natural_list",
        "model beh_tenant_natural_list { target postgres 15 }\n\
         value Phone { number: text(20) }\n\
         context crm {\n  tenant by tenant_id\n\
           aggregate Customer {\n    code: text(20)\n    phones: Phone[]\n    key (code)\n  }\n}\n",
    );
    assert_eq!(key_columns(&mut db, "customer_phones_pkey"), ["tenant_id", "customer_id", "position"]);
    let (a, b) = ("00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b");
    for t in [a, b] {
        ok(&mut db, &format!("INSERT INTO crm.customer (tenant_id, code) VALUES ('{t}', 'ACME')"));
        ok(&mut db, &format!("INSERT INTO crm.customer_phones VALUES ('{t}', 'ACME', 0, '+1 555 0100')"));
    }
    violates(
        &mut db,
        &format!("INSERT INTO crm.customer_phones VALUES ('{a}', 'ACME', 0, '+1 555 0199')"),
        "customer_phones_pkey",
    );
}
