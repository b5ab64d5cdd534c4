//! Regression tests for compiler bugs the database tests found (each one was
//! written with the correct expectation before its fix).

mod support;

use dddc::relational::Schema;
use postgres::Client;

/// A fresh database `name` with the V1 of `ddd` applied in one transaction.
fn setup(name: &str, ddd: &str) -> Client {
    let (_, v1) = compile(ddd).unwrap_or_else(|d| panic!("the model does not compile:\n{d}"));
    apply(name, &v1)
}

/// The schema and V1 of `ddd`, or the rendered diagnostics.
fn compile(ddd: &str) -> Result<(Schema, String), String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("model.ddd");
    std::fs::write(&root, ddd).expect("write model");
    let fe = dddc::frontend(&root, &root).unwrap_or_else(|e| panic!("cannot read model: {e:?}"));
    let Some(model) = fe.model else {
        return Err(dddc::diagnostics::render_text(
            &fe.sources,
            &fe.diagnostics,
            dddc::diagnostics::ColorChoice::Never,
        ));
    };
    let schema = dddc::relational::lower(&model).map_err(|d| format!("{d:#?}"))?;
    let v1 = dddc::sql::ddl::script(&[], &[], &dddc::sql::ddl::create_statements(&schema));
    Ok((schema, v1))
}

fn apply(name: &str, v1: &str) -> Client {
    let mut db = support::pg::shared().create_database(name);
    if let Err(e) = db.batch_execute(&format!("BEGIN;\n{v1}\nCOMMIT;")) {
        panic!("V1 does not apply: {}\n{v1}", support::pg::describe_error(&e));
    }
    db
}

#[track_caller]
fn violates(db: &mut Client, sql: &str, constraint: &str) {
    match db.batch_execute(sql) {
        Ok(()) => panic!("expected a violation of {constraint}, but this succeeded:\n  {sql}"),
        Err(e) => assert_eq!(
            e.as_db_error().and_then(|d| d.constraint()),
            Some(constraint),
            "{sql}: {}",
            support::pg::describe_error(&e)
        ),
    }
}

/// §7: an optional value object nested in an *optional* group is still
/// all-or-nothing once the outer group is present. The compiler emits
/// `<table>_<field>_<nested>_all_or_none` when the outer group is required
/// (`places_work_geo_all_or_none`) but nothing when it is optional, so
/// `home_geo_lat` without `home_geo_lon` is accepted.
#[test]
fn nested_optional_value_in_optional_group_is_all_or_none() {
    let mut db = setup(
        "bug_nested_optional_value",
        r#"
model bug_nested {
  target postgres 15
  tables plural_en
  defaults { no timestamps }
}

value Geo {
  lat: float
  lon: float
}

value Address {
  street: text(50)
  geo: Geo?
}

context c {
  aggregate Place {
    work: Address
    home: Address?
  }
}
"#,
    );
    // Required outer group: enforced (the control).
    violates(
        &mut db,
        "INSERT INTO c.places (work_street, work_geo_lat) VALUES ('w', 1)",
        "places_work_geo_all_or_none",
    );
    // Optional outer group, present, with half of the nested group.
    violates(
        &mut db,
        "INSERT INTO c.places (work_street, home_street, home_geo_lat) VALUES ('w', 'h', 1)",
        "places_home_geo_all_or_none",
    );
}

/// §9.6: the audit log's `entidad` is `schema.table` of the audited table.
/// On a partitioned aggregate the trigger runs on the partition, and
/// `TG_TABLE_NAME` is the partition's name: `ops.readings_2025_11` is
/// recorded instead of `ops.readings` (and a query for the table's history
/// misses those rows).
#[test]
fn audit_of_a_partitioned_table_names_the_table() {
    let mut db = setup(
        "bug_audit_partitioned",
        r#"
model bug_audit {
  target postgres 15
  tables plural_en
  defaults { no timestamps }
  audit_log trail.log
}

context trail {
}

context ops {
  aggregate Reading {
    taken_at: timestamp
    value: int
    audited
    partition by range (taken_at) monthly from 2025-11 to 2025-12
  }
}
"#,
    );
    db.batch_execute("INSERT INTO ops.readings (taken_at, value) VALUES ('2025-11-15Z', 1)").unwrap();
    let entidad: String = db.query_one("SELECT entidad::text FROM trail.log", &[]).unwrap().get(0);
    assert_eq!(entidad, "ops.readings");
}

/// §8.3 promises an index on every FK column ("FK without index cannot
/// happen"); §9.4 puts `tenant_id` first in every index of a tenant-scoped
/// table, so the FK index of a tenant-scoped child is `(tenant_id,
/// parent_id)`. The referential-integrity queries PostgreSQL runs when a
/// parent is deleted or its key updated (`WHERE parent_id = $1`, RLS
/// bypassed) cannot use it: every parent delete scans the child table. The
/// FK columns must lead some index.
#[test]
fn foreign_key_columns_lead_an_index_under_tenancy() {
    let mut db = setup(
        "bug_tenant_fk_index",
        r#"
model bug_tenant_fk {
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
  aggregate Deal {
    account: ref Account
  }
}
"#,
    );
    let unindexed: Vec<String> = db
        .query(
            "SELECT c.conrelid::regclass::text || ' ' || c.conname FROM pg_constraint c \
             WHERE c.contype = 'f' AND NOT EXISTS ( \
               SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indpred IS NULL \
               AND (SELECT array_agg(k ORDER BY k) FROM unnest((i.indkey::int2[])[0:cardinality(c.conkey) - 1]) k) \
                 = (SELECT array_agg(k ORDER BY k) FROM unnest(c.conkey) k)) \
             ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(unindexed.is_empty(), "foreign keys whose columns lead no index: {unindexed:?}");
}

/// §11/§14: "PostgreSQL truncates identifiers to 63 bytes silently; the
/// compiler never lets that happen". Field names are checked (E0106), and
/// so are table names, but not the column names derived from them: a
/// 60-byte value-object field gives `<field>_street` (67 bytes), a 60-byte
/// reference gives `<field>_id` (63 + 1), a long aggregate type gives the
/// entity's `<root>_id` (72). V1 applies with `NOTICE: identifier … will be
/// truncated`, and the database then has columns the lock does not know
/// (two parts sharing their first 63 bytes would even fail with "column
/// specified more than once"). Rejecting the model is as good as a fix.
#[test]
fn derived_column_names_are_never_truncated() {
    let ddd = r#"
model bug_long_columns {
  target postgres 15
  tables snake
  defaults { no timestamps }
}

value Address {
  street: text(50)
  city: text(50)
}

context c {
  aggregate Target {
    name: text(10)
  }
  aggregate Holder {
    direccion_de_facturacion_fiscal_registrada_en_la_hacienda_pu: Address
    la_referencia_al_objetivo_principal_de_la_campana_de_marketi: ref Target
  }
  aggregate ConfiguracionDeUmbralesDeAlarmaDeLaSalaDeControlPrincipalX as cfg {
    name: text(10)
    entity Paso {
      n: int
    }
  }
}
"#;
    let Ok((schema, v1)) = compile(ddd) else {
        return; // rejected with a diagnostic: fine
    };
    let too_long: Vec<String> = schema
        .tables
        .iter()
        .flat_map(|t| t.columns.iter().map(move |c| (t, c)))
        .filter(|(_, c)| c.name.len() > 63)
        .map(|(t, c)| format!("{}.{} ({} bytes)", t.qualified(), c.name, c.name.len()))
        .collect();
    assert!(too_long.is_empty(), "column names PostgreSQL will truncate: {too_long:#?}");
    let mut db = apply("bug_long_columns", &v1);
    for t in &schema.tables {
        for c in &t.columns {
            let n: i64 = db
                .query_one(
                    "SELECT count(*) FROM information_schema.columns \
                     WHERE table_schema = $1 AND table_name = $2 AND column_name = $3",
                    &[&t.schema, &t.name, &c.name],
                )
                .unwrap()
                .get(0);
            assert_eq!(n, 1, "column {}.{} is not in the catalog", t.qualified(), c.name);
        }
    }
}

/// §13 + §9.6: a `write` role may INSERT, UPDATE and DELETE in its contexts,
/// but on an `audited` aggregate every change fails with `permission
/// denied for schema trail`: the audit trigger function runs as the
/// caller (SECURITY INVOKER) and the role has no right on the audit log.
/// (MiToga's `app_reservas` cannot write a `reservas.reservas` row.) The
/// shared audit function should be `SECURITY DEFINER` with a pinned
/// `search_path`, so that writing the trail needs no grant on it.
#[test]
fn a_write_role_can_change_its_audited_tables() {
    let mut db = setup(
        "bug_audit_role",
        r#"
model bug_audit_role {
  target postgres 15
  tables plural_en
  audit_log trail.log

  role bug_audit_writer {
    write shop
  }
}

context trail {
}

context shop {
  aggregate Order {
    total: int
    audited
  }
}
"#,
    );
    let as_writer = db.batch_execute(
        "SET ROLE bug_audit_writer;
         INSERT INTO shop.orders (total) VALUES (1);
         UPDATE shop.orders SET total = 2;
         DELETE FROM shop.orders;",
    );
    db.batch_execute("RESET ROLE").unwrap();
    if let Err(e) = as_writer {
        panic!("the write role cannot change an audited table: {}", support::pg::describe_error(&e));
    }
    let actions: Vec<String> =
        db.query("SELECT accion::text FROM trail.log ORDER BY id", &[]).unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(actions, ["INSERT", "UPDATE", "DELETE"]);
}

/// Adversarial review, second round: `is [not] null` on an optional value
/// object of several columns rendered a row constructor
/// (`(total_amount, total_currency IS NOT NULL)`), which PostgreSQL
/// rejects inside `OR`. It means "all its columns are NULL" (or not).
#[test]
fn is_null_on_a_multi_column_value_object() {
    let mut db = setup(
        "bug_vo_is_null",
        r#"
model bug_vo_is_null {
  target postgres 15
  tables plural_en
  defaults { no timestamps }
}

value Money {
  amount: decimal(12, 2)
  currency: char(3)
}

context billing {
  aggregate Invoice {
    paid: bool = false
    total: Money?
    invariant paid_has_total: paid implies total is not null
    invariant draft_or_total: total is null or total.amount >= 0
  }
}
"#,
    );
    violates(&mut db, "INSERT INTO billing.invoices (paid) VALUES (true)", "invoices_paid_has_total");
    db.batch_execute("INSERT INTO billing.invoices (paid) VALUES (false)").expect("a draft without total");
    db.batch_execute("INSERT INTO billing.invoices (paid, total_amount, total_currency) VALUES (true, 10, 'EUR')")
        .expect("a paid invoice with its total");
    violates(
        &mut db,
        "INSERT INTO billing.invoices (paid, total_amount, total_currency) VALUES (true, -1, 'EUR')",
        "invoices_draft_or_total",
    );
}

/// Adversarial review, second round: a natural key in a tenant-scoped
/// aggregate was a global primary key: tenant B could not create invoice
/// A/1 once tenant A had it, and the error told B that A had it. The
/// tenant column leads the key.
#[test]
fn a_natural_key_is_unique_per_tenant() {
    let mut db = setup(
        "bug_natural_key_tenant",
        r#"
model bug_natural_key_tenant {
  target postgres 15
  tables plural_en
  defaults { no timestamps }
}

context billing {
  tenant by tenant_id

  aggregate Invoice {
    series: text(4)
    number: int
    key (series, number)
    entity Line {
      text: text(100)
    }
  }
}
"#,
    );
    let pk = support::catalog::primary_key(&mut db, "billing.invoices");
    assert_eq!(pk, ["tenant_id", "series", "number"]);
    db.batch_execute(
        "INSERT INTO billing.invoices (tenant_id, series, number) VALUES ('11111111-1111-1111-1111-111111111111', 'A', 1);\n\
         INSERT INTO billing.invoices (tenant_id, series, number) VALUES ('22222222-2222-2222-2222-222222222222', 'A', 1);",
    )
    .expect("two tenants may use the same key");
    violates(
        &mut db,
        "INSERT INTO billing.invoices (tenant_id, series, number) VALUES ('22222222-2222-2222-2222-222222222222', 'A', 1)",
        "invoices_pkey",
    );
    // A line belongs to an invoice of its own tenant only.
    let fk = db
        .batch_execute(
            "INSERT INTO billing.invoices_lines (tenant_id, invoice_series, invoice_number, text) \
             VALUES ('33333333-3333-3333-3333-333333333333', 'A', 1, 'x')",
        )
        .expect_err("no invoice A/1 in tenant 3");
    assert_eq!(fk.code(), Some(&postgres::error::SqlState::FOREIGN_KEY_VIOLATION), "{fk}");
}

/// Adversarial review, second round: the audit function is `SECURITY
/// DEFINER`, and EXECUTE was not revoked from PUBLIC: a read-only role could
/// attach it to a temporary table of its own and write forged rows into the
/// audit log as its owner. Now only the audit triggers may run it.
#[test]
fn a_read_only_role_cannot_forge_audit_rows() {
    let mut db = setup(
        "bug_audit_forgery",
        r#"
model bug_audit_forgery {
  target postgres 15
  tables plural_en
  audit_log trail.log

  role bug_forgery_auditor {
    read trail
  }
  role bug_forgery_writer {
    write shop
  }
}

context trail {
}

context shop {
  aggregate Order {
    total: int
    audited
  }
}
"#,
    );
    let attack = db.batch_execute(
        "SET ROLE bug_forgery_auditor;
         CREATE TEMPORARY TABLE forged (id int);
         CREATE TRIGGER forge AFTER INSERT ON forged FOR EACH ROW EXECUTE FUNCTION trail.audit_row_change('shop.orders', 'id');
         INSERT INTO forged VALUES (42);",
    );
    let _ = db.batch_execute("ROLLBACK; RESET ROLE");
    let e = attack.expect_err("the reader attached the audit function to a table of its own");
    assert_eq!(e.code(), Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE), "{e}");
    let forged: i64 = db.query_one("SELECT count(*) FROM trail.log", &[]).unwrap().get(0);
    assert_eq!(forged, 0);
    // The audit triggers still write, for a role that may only write the
    // audited table.
    let as_writer = db.batch_execute("SET ROLE bug_forgery_writer; INSERT INTO shop.orders (total) VALUES (1);");
    db.batch_execute("RESET ROLE").unwrap();
    as_writer.expect("the writer's insert is audited");
    let rows: i64 = db.query_one("SELECT count(*) FROM trail.log", &[]).unwrap().get(0);
    assert_eq!(rows, 1);
}
