//! Fidelity and tenant security on PostgreSQL (the adversarial review's
//! defects): tenants isolated through every partition and every reference,
//! migrations run by the tables' owner, projects built by an older dddc
//! upgraded in place, and type changes that would lose data refused by the
//! database instead of truncating.

mod support;

use dddc::build::{plan, Inputs};
use dddc::config::Config;
use dddc::lock::Lock;
use dddc::relational::Schema;
use postgres::error::SqlState;
use postgres::Client;
use support::catalog::{fingerprint, primary_key};

const A: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const B: &str = "bbbbbbbb-0000-4000-8000-000000000002";
/// The ordinary role that owns the databases of the owner tests.
const OWNER: &str = "dddc_owner";

/// The validated model and its schema.
fn model(ddd: &str) -> (dddc::model::Model, Schema) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("model.ddd");
    std::fs::write(&root, ddd).expect("write model");
    let fe = dddc::frontend(&root, &root).expect("read model");
    let (Some(model), Some(schema)) = (fe.model, fe.schema) else {
        panic!(
            "the model does not compile:\n{}",
            dddc::diagnostics::render_text(&fe.sources, &fe.diagnostics, dddc::diagnostics::ColorChoice::Never)
        );
    };
    (model, schema)
}

/// One migration as Flyway runs it.
struct Migration {
    name: String,
    sql: String,
    undo: Option<String>,
    in_transaction: bool,
}

/// The migrations a build of `ddd` writes on top of `lock` (all of them,
/// V1 included, without one), in version order.
fn build(ddd: &str, lock: Option<Lock>, allow_destructive: bool) -> (Vec<Migration>, Lock) {
    let (model, _) = model(ddd);
    let config = Config::default();
    let dir = tempfile::tempdir().expect("temp dir");
    let known: Vec<String> =
        lock.iter().flat_map(|l| l.migrations.iter().map(|m| m.file.name.clone())).collect::<Vec<_>>();
    let inputs = Inputs { lock, allow_destructive, ..Inputs::new(&config, dir.path()) };
    let planned = plan(&model, &inputs).unwrap_or_else(|e| panic!("the build fails: {e:?}"));
    let file = |name: &str| {
        planned
            .outputs
            .iter()
            .find(|o| o.path.file_name().is_some_and(|n| n.to_string_lossy() == name))
            .map(|o| String::from_utf8_lossy(&o.bytes).into_owned())
    };
    let lock_text = file("dddc.lock").expect("the build writes the lock");
    let lock = Lock::parse(&lock_text, file("dddc.schema").as_deref()).expect("a valid lock");
    let mut out = Vec::new();
    for m in &lock.migrations {
        if known.contains(&m.file.name) {
            continue;
        }
        out.push(Migration {
            name: m.file.name.clone(),
            sql: file(&m.file.name).expect("the migration is written"),
            undo: m.undo.as_ref().and_then(|u| file(&u.name)),
            in_transaction: m.conf.is_none(),
        });
    }
    (out, lock)
}

/// Runs a migration script as Flyway would: in one transaction, or (with
/// `executeInTransaction=false`) statement by statement.
fn run(db: &mut Client, sql: &str, in_transaction: bool) -> Result<(), String> {
    let result = if in_transaction {
        db.batch_execute(&format!("BEGIN;\n{sql}\nCOMMIT;"))
    } else {
        // Every statement dddc writes outside a transaction is on lines of
        // its own, and a `DO` block ends with `$…$;`.
        split(sql).iter().try_for_each(|s| db.batch_execute(s))
    };
    result.map_err(|e| {
        let _ = db.batch_execute("ROLLBACK");
        support::pg::describe_error(&e)
    })
}

/// Statements of a script written by dddc: a statement ends at a line that
/// ends in `;` outside a dollar-quoted body.
fn split(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut in_body = false;
    for line in sql.lines() {
        if line.starts_with("--") && current.is_empty() {
            continue;
        }
        current.push_str(line);
        current.push('\n');
        let tags = line.matches("$dddc").count();
        if tags % 2 == 1 {
            in_body = !in_body;
        }
        if !in_body && line.trim_end().ends_with(';') {
            out.push(std::mem::take(&mut current));
        }
    }
    out
}

#[track_caller]
fn ok(db: &mut Client, sql: &str) {
    if let Err(e) = db.batch_execute(sql) {
        panic!("{sql}: {}", support::pg::describe_error(&e));
    }
}

#[track_caller]
fn fails(db: &mut Client, sql: &str, code: SqlState) -> String {
    match db.batch_execute(sql) {
        Ok(()) => panic!("expected {code:?}, but this succeeded:\n  {sql}"),
        Err(e) => {
            assert_eq!(e.code(), Some(&code), "{sql}: {}", support::pg::describe_error(&e));
            support::pg::describe_error(&e)
        }
    }
}

fn strings(db: &mut Client, sql: &str) -> Vec<String> {
    db.query(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {}", support::pg::describe_error(&e)))
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect()
}

// ------------------------------------------------------- tenant isolation --

const PARTITIONED_TENANTS: &str = r#"
/// A shop that serves many tenants.
model isolation {
  target postgres 15
  tables plural_en

  /// The application's role.
  role app {
    write sales
  }
}

/// Sales: every row belongs to a tenant.
context sales {
  tenant by tenant_id

  /// A customer of a tenant.
  aggregate Customer {
    /// Shown on invoices.
    name: text(50)
  }

  /// An order, partitioned by country.
  aggregate Order {
    /// Who ordered.
    customer: ref Customer
    /// ISO country code.
    country: char(2)
    partition by list (country) { es: 'ES', mx: 'MX' }
  }

  /// A payment, perhaps of an order.
  aggregate Payment {
    /// The order paid, if known.
    order_ref: ref Order? loose
    /// Who paid.
    customer: ref Customer? on delete set null
    /// How much.
    amount: decimal(10, 2)
  }
}
"#;

/// Two tenants, through an ordinary role: the parent and every partition
/// named directly show and accept the current tenant's rows only, and a row
/// can never reference another tenant's.
#[test]
fn tenants_are_isolated_through_every_partition_and_reference() {
    let (migrations, _) = build(PARTITIONED_TENANTS, None, false);
    let mut db = support::pg::shared().create_database("fid_isolation");
    run(&mut db, &migrations[0].sql, true).expect("V1 applies");
    let (ca, cb) = ("00000000-0000-4000-8000-0000000000a1", "00000000-0000-4000-8000-0000000000b1");
    ok(
        &mut db,
        &format!(
            "INSERT INTO sales.customers (id, tenant_id, name) VALUES ('{ca}', '{A}', 'of A'), ('{cb}', '{B}', 'of B');
             INSERT INTO sales.orders (tenant_id, customer_id, country) VALUES
               ('{A}', '{ca}', 'ES'), ('{A}', '{ca}', 'MX'), ('{A}', '{ca}', 'PE'),
               ('{B}', '{cb}', 'ES'), ('{B}', '{cb}', 'MX'), ('{B}', '{cb}', 'PE');"
        ),
    );
    ok(&mut db, &format!("SET ROLE app; SET app.tenant_id = '{A}'"));
    assert_eq!(strings(&mut db, "SELECT current_user::text"), ["app"]);
    for rel in ["orders", "orders_es", "orders_mx", "orders_default"] {
        let seen = strings(&mut db, &format!("SELECT DISTINCT tenant_id::text FROM sales.{rel}"));
        assert_eq!(seen, [A], "tenant A reads sales.{rel}");
        let msg = fails(
            &mut db,
            &format!(
                "INSERT INTO sales.{rel} (tenant_id, customer_id, country) VALUES ('{B}', '{cb}', '{}')",
                match rel {
                    "orders_mx" => "MX",
                    "orders_default" => "PE",
                    _ => "ES",
                }
            ),
            SqlState::INSUFFICIENT_PRIVILEGE,
        );
        assert!(msg.contains("row-level security"), "sales.{rel}: {msg}");
        // B's rows cannot be reached to be changed either.
        ok(&mut db, &format!("UPDATE sales.{rel} SET country = country"));
    }
    // A reference to another tenant's row does not exist for this one.
    let msg = fails(
        &mut db,
        &format!("INSERT INTO sales.orders (tenant_id, customer_id, country) VALUES ('{A}', '{cb}', 'ES')"),
        SqlState::FOREIGN_KEY_VIOLATION,
    );
    assert!(msg.contains("fk_orders_customer_id"), "{msg}");
    fails(
        &mut db,
        &format!("INSERT INTO sales.payments (tenant_id, customer_id, amount) VALUES ('{A}', '{cb}', 1)"),
        SqlState::FOREIGN_KEY_VIOLATION,
    );
    ok(&mut db, &format!("INSERT INTO sales.payments (tenant_id, customer_id, amount) VALUES ('{A}', '{ca}', 1)"));
    ok(&mut db, "RESET ROLE; RESET app.tenant_id");
    // `on delete set null` clears the reference, never the tenant.
    ok(
        &mut db,
        &format!("DELETE FROM sales.orders WHERE customer_id = '{ca}'; DELETE FROM sales.customers WHERE id = '{ca}'"),
    );
    assert_eq!(
        strings(&mut db, "SELECT tenant_id::text || ':' || coalesce(customer_id::text, 'null') FROM sales.payments"),
        [format!("{A}:null")]
    );
}

// ------------------------------------------------- upgrades of old projects --

/// The schema an older dddc wrote for the same model: partitions without
/// row-level security, references between tenant tables on the id alone.
fn as_older_dddc_wrote_it(mut s: Schema) -> Schema {
    for t in s.tables.iter_mut().map(std::sync::Arc::make_mut) {
        for p in t.partitioning.iter_mut().flat_map(|p| p.partitions.iter_mut()) {
            p.row_level_security = false;
        }
        for fk in &mut t.foreign_keys {
            if fk.columns.len() == 2 && fk.columns[0] == "tenant_id" && fk.ref_columns[0] == "tenant_id" {
                fk.columns.remove(0);
                fk.ref_columns.remove(0);
                fk.on_delete_columns.clear();
            }
        }
        t.uniques.retain(|u| u.columns != ["tenant_id", "id"]);
        let name = t.name.clone();
        for ix in &mut t.indexes {
            let prefix = format!("idx_{name}_tenant_id_");
            if ix.items.len() == 2 && ix.items[0].column() == Some("tenant_id") {
                if let Some(rest) = ix.name.strip_prefix(&prefix) {
                    ix.name = format!("idx_{name}_{rest}");
                    ix.items.remove(0);
                }
            }
        }
    }
    s
}

/// A database at V1 of an older dddc's schema of `ddd`, with its lock.
fn older_project(db: &mut Client, ddd: &str) -> Lock {
    let (model, schema) = model(ddd);
    older_project_of(db, &model.name, as_older_dddc_wrote_it(schema))
}

/// A database at V1 of `old`, the schema an older dddc wrote for model
/// `name`, with its lock.
fn older_project_of(db: &mut Client, name: &str, old: Schema) -> Lock {
    let v1 = dddc::sql::ddl::script(&[], &[], &dddc::sql::ddl::create_statements(&old));
    run(db, &v1, true).unwrap_or_else(|e| panic!("the older V1 applies: {e}"));
    let mut lock = Lock::new(name, old);
    lock.migrations.push(dddc::lock::Migration {
        version: "1".into(),
        description: "init".into(),
        file: dddc::lock::FileSum::of("V1__init.sql", v1.as_bytes()),
        ..Default::default()
    });
    lock
}

/// [`older_project`] of `PARTITIONED_TENANTS` holding both tenants' rows:
/// a customer each (the ids returned, A's then B's) with two orders and a
/// payment.
fn older_tenants_project(db: &mut Client) -> (Lock, &'static str, &'static str) {
    let lock = older_project(db, PARTITIONED_TENANTS);
    let (ca, cb) = ("00000000-0000-4000-8000-0000000000a1", "00000000-0000-4000-8000-0000000000b1");
    for (t, c) in [(A, ca), (B, cb)] {
        ok(
            db,
            &format!(
                "SET app.tenant_id = '{t}';
                 INSERT INTO sales.customers (id, tenant_id, name) VALUES ('{c}', '{t}', 'x');
                 INSERT INTO sales.orders (tenant_id, customer_id, country) VALUES ('{t}', '{c}', 'ES'), ('{t}', '{c}', 'PE');
                 INSERT INTO sales.payments (tenant_id, customer_id, amount) VALUES ('{t}', '{c}', 5);
                 RESET app.tenant_id;"
            ),
        );
    }
    (lock, ca, cb)
}

/// A project built before partitions were protected and tenant references
/// were composite: the next build protects every partition and makes every
/// reference composite, the owner (an ordinary role) runs it on a database
/// holding both tenants' rows, and the result is exactly a fresh V1.
#[test]
fn an_older_tenant_schema_is_upgraded_by_its_owner() {
    let pg = support::pg::shared();
    let mut db = pg.create_owned_database("fid_upgrade", OWNER);
    let (lock, _, cb) = older_tenants_project(&mut db);
    let (migrations, _) = build(PARTITIONED_TENANTS, Some(lock), false);
    assert!(!migrations.is_empty(), "the upgrade writes migrations");
    let all: String = migrations.iter().map(|m| m.sql.as_str()).collect();
    assert!(all.contains("ENABLE ROW LEVEL SECURITY"), "{all}");
    assert!(all.contains("FOREIGN KEY (tenant_id, customer_id)"), "{all}");
    upgrade_to_fresh_v1(&mut db, &migrations, PARTITIONED_TENANTS, "fid_upgrade_fresh");
    // Both tenants' rows survived; the partitions now enforce the tenant.
    ok(&mut db, &format!("SET app.tenant_id = '{A}'"));
    assert_eq!(strings(&mut db, "SELECT count(*)::text FROM sales.orders_default"), ["1"]);
    fails(
        &mut db,
        &format!("INSERT INTO sales.orders_es (tenant_id, customer_id, country) VALUES ('{B}', '{cb}', 'ES')"),
        SqlState::INSUFFICIENT_PRIVILEGE,
    );
    fails(
        &mut db,
        &format!("INSERT INTO sales.orders (tenant_id, customer_id, country) VALUES ('{A}', '{cb}', 'ES')"),
        SqlState::FOREIGN_KEY_VIOLATION,
    );
    ok(&mut db, "RESET app.tenant_id");
    // Every undo, newest first, gives the older schema back.
    for m in migrations.iter().rev() {
        let undo = m.undo.as_ref().expect("an undo");
        run(&mut db, undo, true).unwrap_or_else(|e| panic!("undo of {}: {e}", m.name));
    }
}

/// A reference made composite by the tenancy upgrade is enforced between
/// its two migrations: the main one keeps the old foreign key, and the
/// online one replaces it in one statement once the unique it needs is
/// built. (Dropped in the main migration, as it was, a row pointing at no
/// customer went in meanwhile, and the online migration then stopped on
/// it.) A partitioned table's reference (no `NOT VALID` on PostgreSQL 15)
/// still moves as before.
#[test]
fn a_reference_holds_between_the_upgrades_two_migrations() {
    let pg = support::pg::shared();
    let mut db = pg.create_owned_database("fid_upgrade_window", OWNER);
    let (lock, _, cb) = older_tenants_project(&mut db);
    let (migrations, _) = build(PARTITIONED_TENANTS, Some(lock), false);
    assert_eq!(migrations.len(), 2, "a main migration and an online one");
    let (main, online) = (&migrations[0], &migrations[1]);
    run(&mut db, &main.sql, main.in_transaction).unwrap_or_else(|e| panic!("{}: {e}", main.name));
    // Between the two: a payment of no customer is refused by the old key.
    ok(&mut db, &format!("SET app.tenant_id = '{A}'"));
    let nobody = "00000000-0000-4000-8000-00000000dead";
    let msg = fails(
        &mut db,
        &format!("INSERT INTO sales.payments (tenant_id, customer_id, amount) VALUES ('{A}', '{nobody}', 1)"),
        SqlState::FOREIGN_KEY_VIOLATION,
    );
    assert!(msg.contains("fk_payments_customer_id"), "{msg}");
    ok(&mut db, "RESET app.tenant_id");
    assert!(!main.sql.contains("DROP CONSTRAINT IF EXISTS fk_payments_customer_id"), "{}", main.sql);
    assert!(main.sql.contains("DROP CONSTRAINT IF EXISTS fk_orders_customer_id"), "{}", main.sql);
    assert!(
        online.sql.contains(
            "ALTER TABLE sales.payments DROP CONSTRAINT IF EXISTS fk_payments_customer_id, ADD CONSTRAINT fk_payments_customer_id FOREIGN KEY (tenant_id, customer_id)"
        ),
        "{}",
        online.sql
    );
    // The replacing statement's locks, seen inside a transaction once the
    // statements before it ran: ACCESS EXCLUSIVE on both tables (what the
    // drop alone takes), as the lock table says.
    let statements = split(&online.sql);
    let at = statements
        .iter()
        .position(|s| s.contains("DROP CONSTRAINT IF EXISTS fk_payments_customer_id, ADD"))
        .expect("the replacing statement");
    for s in &statements[..at] {
        ok(&mut db, s);
    }
    assert_eq!(
        dddc::migrate::locks::Op::ReplaceForeignKeyNotValid.effect().map(|e| e.0),
        Some(dddc::migrate::locks::LockLevel::AccessExclusive)
    );
    assert_eq!(
        dddc::migrate::locks::Op::ReplaceForeignKeyNotValid.referenced_lock(),
        Some(dddc::migrate::locks::LockLevel::AccessExclusive)
    );
    ok(&mut db, "BEGIN");
    ok(&mut db, &statements[at]);
    assert_eq!(
        strings(
            &mut db,
            "SELECT c.relname::text FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
             WHERE l.pid = pg_backend_pid() AND l.mode = 'AccessExclusiveLock'
               AND c.relname IN ('payments', 'customers') ORDER BY 1"
        ),
        ["customers", "payments"]
    );
    ok(&mut db, "ROLLBACK");
    for _ in 0..2 {
        run(&mut db, &online.sql, online.in_transaction).unwrap_or_else(|e| panic!("{}: {e}", online.name));
    }
    // After: the reference is through the tenant.
    ok(&mut db, &format!("SET app.tenant_id = '{A}'"));
    let msg = fails(
        &mut db,
        &format!("INSERT INTO sales.payments (tenant_id, customer_id, amount) VALUES ('{A}', '{cb}', 1)"),
        SqlState::FOREIGN_KEY_VIOLATION,
    );
    assert!(msg.contains("fk_payments_customer_id"), "{msg}");
    ok(&mut db, "RESET app.tenant_id");
    assert_fresh_v1(&mut db, PARTITIONED_TENANTS, "fid_upgrade_window_fresh");
}

/// A shop made tenant-scoped the way E0703's help says, on a database
/// with rows: the tenant column first as an optional field, filled by the
/// team, then `tenant by`.
const SHOP_BEFORE_TENANTS: &str = r#"
model shop {
  target postgres 16
  tables plural_en
}

/// Sales.
context sales {
  /// A customer.
  aggregate Customer {
    /// Shown on invoices.
    name: text(100)
  }

  /// An order of a customer.
  aggregate Order {
    /// Who ordered.
    customer: ref Customer
    /// What it costs.
    total: decimal(10, 2)
  }
}
"#;

/// The two-step path of E0703's help, as a team runs it on rows: the
/// column added optional and filled, then `tenant by` (built with
/// `--allow-destructive`, which the help asks for once every row has its
/// tenant). The reference to the customer is enforced all along, the
/// main migration's statements run while it still is, and the result is
/// a fresh V1 of the last model.
#[test]
fn a_reference_holds_when_a_shop_with_rows_becomes_tenant_scoped() {
    let pg = support::pg::shared();
    let mut db = pg.create_owned_database("fid_tenant_later", OWNER);
    let step1 = SHOP_BEFORE_TENANTS
        .replace("name: text(100)\n", "name: text(100)\n    tenant_id: uuid?\n")
        .replace("total: decimal(10, 2)\n", "total: decimal(10, 2)\n    tenant_id: uuid?\n");
    let step2 = SHOP_BEFORE_TENANTS.replace("context sales {\n", "context sales {\n  tenant by tenant_id\n");
    let (v1, lock) = build(SHOP_BEFORE_TENANTS, None, false);
    run(&mut db, &v1[0].sql, true).expect("V1");
    let (ca, cb) = ("00000000-0000-4000-8000-0000000000a1", "00000000-0000-4000-8000-0000000000b1");
    ok(
        &mut db,
        &format!(
            "INSERT INTO sales.customers (id, name) VALUES ('{ca}', 'a'), ('{cb}', 'b');
             INSERT INTO sales.orders (customer_id, total) VALUES ('{ca}', 1), ('{cb}', 2);"
        ),
    );
    let (v2, lock) = build(&step1, Some(lock), false);
    for m in &v2 {
        run(&mut db, &m.sql, m.in_transaction).unwrap_or_else(|e| panic!("{}: {e}", m.name));
    }
    ok(
        &mut db,
        &format!(
            "UPDATE sales.customers SET tenant_id = CASE id WHEN '{ca}' THEN '{A}'::uuid ELSE '{B}'::uuid END;
             UPDATE sales.orders o SET tenant_id = c.tenant_id FROM sales.customers c WHERE c.id = o.customer_id;"
        ),
    );
    let (v3, _) = build(&step2, Some(lock), true);
    assert_eq!(v3.len(), 2, "a main migration and an online one");
    let (main, online) = (&v3[0], &v3[1]);
    run(&mut db, &main.sql, main.in_transaction).unwrap_or_else(|e| panic!("{}: {e}", main.name));
    ok(&mut db, &format!("SET app.tenant_id = '{A}'"));
    let nobody = "00000000-0000-4000-8000-00000000dead";
    let msg = fails(
        &mut db,
        &format!("INSERT INTO sales.orders (tenant_id, customer_id, total) VALUES ('{A}', '{nobody}', 3)"),
        SqlState::FOREIGN_KEY_VIOLATION,
    );
    assert!(msg.contains("fk_orders_customer_id"), "{msg}");
    ok(&mut db, "RESET app.tenant_id");
    assert!(!main.sql.contains("DROP CONSTRAINT IF EXISTS fk_orders_customer_id"), "{}", main.sql);
    assert!(online.sql.contains("DROP CONSTRAINT IF EXISTS fk_orders_customer_id, ADD CONSTRAINT"), "{}", online.sql);
    for _ in 0..2 {
        run(&mut db, &online.sql, online.in_transaction).unwrap_or_else(|e| panic!("{}: {e}", online.name));
    }
    ok(&mut db, &format!("SET app.tenant_id = '{A}'"));
    assert_eq!(strings(&mut db, "SELECT count(*)::text FROM sales.orders"), ["1"]);
    let msg = fails(
        &mut db,
        &format!("INSERT INTO sales.orders (tenant_id, customer_id, total) VALUES ('{A}', '{cb}', 3)"),
        SqlState::FOREIGN_KEY_VIOLATION,
    );
    assert!(msg.contains("fk_orders_customer_id"), "{msg}");
    ok(&mut db, "RESET app.tenant_id");
    assert_fresh_v1(&mut db, &step2, "fid_tenant_later_fresh");
}

/// Billing whose tenant column the team wrote by hand, with keys the
/// application supplies (an invoice's key is its series alone; a credit
/// note names the invoice it corrects, a payment its invoice), and the
/// same model adopting `tenant by`: the migration case of that name,
/// which runs it under the lock audit.
const TENANTS_BY_HAND: &str = include_str!("migrations/tenancy_by_hand_references/v1.ddd");
/// [`TENANTS_BY_HAND`] with `tenant by`.
const TENANTS_BY_DDDC: &str = include_str!("migrations/tenancy_by_hand_references/v2.ddd");

/// [`TENANTS_BY_HAND`] adopting `tenant by` ([`TENANTS_BY_DDDC`]): the
/// tenant columns are dddc's, the invoice's key becomes `(tenant_id,
/// series)` (swapped in online, its columns being `NOT NULL` already) and
/// every reference to it goes through the tenant. The references are enforced all along:
/// the main migration keeps them, and the online one moves each onto the
/// new key after its index is built and before the old key goes (they
/// were dropped in the main migration and added back after the swap, so
/// that rows written between the two files were checked by neither). A
/// run stopped before the swap's last statement is undone by its undo
/// or taken up again, and the result is a fresh V1.
#[test]
fn references_hold_while_a_supplied_key_is_swapped_for_the_tenant() {
    let pg = support::pg::shared();
    let mut db = pg.create_owned_database("fid_swap_window", OWNER);
    let (v1, lock) = build(TENANTS_BY_HAND, None, false);
    run(&mut db, &v1[0].sql, true).expect("V1");
    ok(
        &mut db,
        &format!(
            "INSERT INTO billing.invoices (tenant_id, series) VALUES ('{A}', 'A1'), ('{B}', 'B1');
             INSERT INTO billing.invoices (tenant_id, series, credit_of_id) VALUES ('{A}', 'A2', 'A1');
             INSERT INTO billing.payments (tenant_id, invoice_id, amount) VALUES ('{A}', 'A1', 5), ('{B}', 'B1', 7);"
        ),
    );
    let (up, _) = build(TENANTS_BY_DDDC, Some(lock), false);
    assert_eq!(up.len(), 2, "a main migration and an online one");
    let (main, online) = (&up[0], &up[1]);
    for fk in ["fk_payments_invoice_id", "fk_invoices_credit_of_id"] {
        assert!(!main.sql.contains(fk), "the main migration leaves {fk} alone:\n{}", main.sql);
    }
    // A payment of no invoice and a credit note of none, refused by the
    // rule in force (the old or the new one), by name.
    let refused = |db: &mut Client| {
        ok(db, &format!("SET app.tenant_id = '{A}'"));
        for (sql, fk) in [
            (
                format!("INSERT INTO billing.payments (tenant_id, invoice_id, amount) VALUES ('{A}', 'ZZ', 1)"),
                "fk_payments_invoice_id",
            ),
            (
                format!("INSERT INTO billing.invoices (tenant_id, series, credit_of_id) VALUES ('{A}', 'A3', 'ZZ')"),
                "fk_invoices_credit_of_id",
            ),
        ] {
            let msg = fails(db, &sql, SqlState::FOREIGN_KEY_VIOLATION);
            assert!(msg.contains(fk), "{msg}");
        }
        ok(db, "RESET app.tenant_id");
    };
    run(&mut db, &main.sql, main.in_transaction).unwrap_or_else(|e| panic!("{}: {e}", main.name));
    refused(&mut db);
    // The online migration statement by statement, up to the swap's last
    // one (the old key dropped and the new index attached as the key):
    // after each, the rules hold.
    let statements = split(&online.sql);
    let attach = statements
        .iter()
        .position(|s| {
            s.contains(
                "DROP CONSTRAINT IF EXISTS invoices_pkey_old, ADD CONSTRAINT invoices_pkey PRIMARY KEY USING INDEX",
            )
        })
        .expect("the swap's attach");
    for s in &statements[..attach] {
        ok(&mut db, s);
        refused(&mut db);
    }
    // Stopped there: both references are on the new key's index, which is
    // not yet the key; the old key is still the table's, aside.
    assert_eq!(
        strings(
            &mut db,
            "SELECT conname::text || ' ' || conindid::regclass::text FROM pg_constraint
             WHERE conname IN ('fk_payments_invoice_id', 'fk_invoices_credit_of_id') ORDER BY 1"
        ),
        ["fk_invoices_credit_of_id billing.invoices_pkey", "fk_payments_invoice_id billing.invoices_pkey"]
    );
    assert_eq!(
        strings(
            &mut db,
            "SELECT conname::text FROM pg_constraint WHERE conrelid = 'billing.invoices'::regclass AND contype = 'p'"
        ),
        ["invoices_pkey_old"]
    );
    // Its undo puts the old key and references back from there.
    let undo = online.undo.as_ref().expect("the online migration's undo");
    run(&mut db, undo, true).unwrap_or_else(|e| panic!("undo of {} stopped half-way: {e}", online.name));
    assert_eq!(primary_key(&mut db, "billing.invoices"), ["series"]);
    refused(&mut db);
    // Run again from the start, twice: the swap goes through.
    for _ in 0..2 {
        run(&mut db, &online.sql, online.in_transaction).unwrap_or_else(|e| panic!("{}: {e}", online.name));
    }
    refused(&mut db);
    assert_eq!(primary_key(&mut db, "billing.invoices"), ["tenant_id", "series"]);
    // Now through the tenant: B's invoice is not A's to pay.
    ok(&mut db, &format!("SET app.tenant_id = '{A}'"));
    let msg = fails(
        &mut db,
        &format!("INSERT INTO billing.payments (tenant_id, invoice_id, amount) VALUES ('{A}', 'B1', 1)"),
        SqlState::FOREIGN_KEY_VIOLATION,
    );
    assert!(msg.contains("fk_payments_invoice_id"), "{msg}");
    ok(&mut db, "RESET app.tenant_id");
    assert_fresh_v1(&mut db, TENANTS_BY_DDDC, "fid_swap_window_fresh");
    // A swap stopped half-way and taken up again by a second run.
    let mut db = pg.create_owned_database("fid_swap_resumed", OWNER);
    run(&mut db, &v1[0].sql, true).expect("V1");
    run(&mut db, &main.sql, main.in_transaction).unwrap_or_else(|e| panic!("{}: {e}", main.name));
    for s in &statements[..attach] {
        ok(&mut db, s);
    }
    run(&mut db, &online.sql, online.in_transaction).unwrap_or_else(|e| panic!("{} taken up again: {e}", online.name));
    refused(&mut db);
    assert_fresh_v1(&mut db, TENANTS_BY_DDDC, "fid_swap_resumed_fresh");
    // Both undos, newest first, give the hand-written tenants back.
    for m in up.iter().rev() {
        run(&mut db, m.undo.as_ref().expect("an undo"), true).unwrap_or_else(|e| panic!("undo of {}: {e}", m.name));
    }
    assert_eq!(primary_key(&mut db, "billing.invoices"), ["series"]);
    assert_fresh_v1(&mut db, TENANTS_BY_HAND, "fid_swap_undone_fresh");
}

/// Runs the upgrade's `migrations` on `db` as its owner, each twice, and
/// checks that the result is exactly a fresh V1 of `ddd` (made in a
/// database `fresh`).
fn upgrade_to_fresh_v1(db: &mut Client, migrations: &[Migration], ddd: &str, fresh: &str) {
    for m in migrations {
        run(db, &m.sql, m.in_transaction).unwrap_or_else(|e| panic!("{} (as the owner): {e}\n{}", m.name, m.sql));
        run(db, &m.sql, m.in_transaction).unwrap_or_else(|e| panic!("{} again: {e}", m.name));
    }
    assert_fresh_v1(db, ddd, fresh);
}

/// `db` holds exactly what a fresh V1 of `ddd` makes (in a database
/// `fresh`).
fn assert_fresh_v1(db: &mut Client, ddd: &str, fresh: &str) {
    let (fresh_v1, _) = build(ddd, None, false);
    let mut fresh = support::pg::shared().create_owned_database(fresh, OWNER);
    run(&mut fresh, &fresh_v1[0].sql, true).expect("fresh V1");
    assert_eq!(fingerprint(db), fingerprint(&mut fresh));
}

/// A reference whose target is not valid for its tenant stops the upgrade
/// with the foreign key's name instead of being accepted.
#[test]
fn an_upgrade_finds_cross_tenant_references_already_stored() {
    let pg = support::pg::shared();
    let mut db = pg.create_owned_database("fid_upgrade_bad", OWNER);
    let lock = older_project(&mut db, PARTITIONED_TENANTS);
    let cb = "00000000-0000-4000-8000-0000000000b1";
    // The hole an older dddc left: A's order references B's customer.
    ok(
        &mut db,
        &format!(
            "SET app.tenant_id = '{B}'; INSERT INTO sales.customers (id, tenant_id, name) VALUES ('{cb}', '{B}', 'B');
             SET app.tenant_id = '{A}'; INSERT INTO sales.orders (tenant_id, customer_id, country) VALUES ('{A}', '{cb}', 'ES');
             RESET app.tenant_id;"
        ),
    );
    let (migrations, _) = build(PARTITIONED_TENANTS, Some(lock), false);
    let mut failure = None;
    for m in &migrations {
        if let Err(e) = run(&mut db, &m.sql, m.in_transaction) {
            failure = Some(e);
            break;
        }
    }
    let e = failure.expect("the cross-tenant row stops the upgrade");
    assert!(e.contains("fk_orders_customer_id"), "{e}");
}

/// Tenant-scoped aggregates whose keys the application supplies: an
/// `id: text`, an entity's, and another aggregate's reference to it.
const SUPPLIED_KEYS: &str = r#"
model supplied {
  target postgres 15
  tables plural_en
  defaults { no timestamps }
}

context catalog {
  tenant by tenant_id

  aggregate Subject {
    id: text(40)
    name: text(80)
    entity Alias {
      id: text(40)
    }
  }

  aggregate Course {
    subject: ref Subject
    title: text(80)
  }
}
"#;

/// [`SUPPLIED_KEYS`] as an older dddc lowered it (each supplied `id` a
/// global key, the references on a unique `(tenant_id, id)` beside it),
/// at V1 on `db`, with its lock.
fn older_supplied_keys_project(db: &mut Client) -> Lock {
    let (model, schema) = model(SUPPLIED_KEYS);
    let mut old = schema.clone();
    for t in old.tables.iter_mut().map(std::sync::Arc::make_mut) {
        let Some(pk) = t.primary_key.as_mut().filter(|pk| pk.columns == ["tenant_id", "id"]) else { continue };
        pk.columns.remove(0);
        if t.name == "subjects" {
            t.uniques.push(dddc::relational::Unique {
                name: "uq_subjects_tenant_id_id".into(),
                columns: vec!["tenant_id".into(), "id".into()],
                origin: t.origin,
            });
        }
    }
    older_project_of(db, &model.name, old)
}

/// A subject `fisica-a` / `fisica-b` for each tenant, with an alias and a
/// course naming it, written as the tenant (row-level security on).
fn supplied_keys_rows(db: &mut Client) {
    for (t, k) in [(A, "a"), (B, "b")] {
        ok(
            db,
            &format!(
                "SET app.tenant_id = '{t}';
                 INSERT INTO catalog.subjects (id, tenant_id, name) VALUES ('fisica-{k}', '{t}', 'x');
                 INSERT INTO catalog.subjects_aliases (id, tenant_id, subject_id) VALUES ('fis-{k}', '{t}', 'fisica-{k}');
                 INSERT INTO catalog.courses (tenant_id, subject_id, title) VALUES ('{t}', 'fisica-{k}', 'y');
                 RESET app.tenant_id;"
            ),
        );
    }
}

/// The same upgrade on a database that drifted: someone dropped the
/// unique beside the key `CASCADE`, and the two references on it with
/// it. The block that moves the references runs while a unique stands or
/// a reference is missing, so it puts them back (`NOT VALID`, then
/// validated): the result is exactly a fresh V1, and a dangling row is
/// refused again.
#[test]
fn a_key_swap_puts_back_references_a_unique_dropped_by_hand_took() {
    let mut db = support::pg::shared().create_owned_database("fid_supplied_keys_drift", OWNER);
    let lock = older_supplied_keys_project(&mut db);
    ok(
        &mut db,
        &format!(
            "SET app.tenant_id = '{A}';
             INSERT INTO catalog.subjects (id, tenant_id, name) VALUES ('fisica-a', '{A}', 'x');
             INSERT INTO catalog.courses (tenant_id, subject_id, title) VALUES ('{A}', 'fisica-a', 'y');
             RESET app.tenant_id;
             ALTER TABLE catalog.subjects DROP CONSTRAINT uq_subjects_tenant_id_id CASCADE;"
        ),
    );
    assert_eq!(strings(&mut db, "SELECT count(*)::text FROM pg_constraint WHERE contype = 'f'"), ["0"]);
    let (migrations, _) = build(SUPPLIED_KEYS, Some(lock), false);
    upgrade_to_fresh_v1(&mut db, &migrations, SUPPLIED_KEYS, "fid_supplied_keys_drift_fresh");
    assert_eq!(
        strings(
            &mut db,
            "SELECT conname::text || ' ' || convalidated FROM pg_constraint WHERE contype = 'f' ORDER BY 1"
        ),
        ["fk_courses_subject_id true", "fk_subjects_aliases_subject_id true"]
    );
    ok(&mut db, &format!("SET app.tenant_id = '{A}'"));
    let msg = fails(
        &mut db,
        &format!("INSERT INTO catalog.courses (tenant_id, subject_id, title) VALUES ('{A}', 'nope', 'w')"),
        SqlState::FOREIGN_KEY_VIOLATION,
    );
    assert!(msg.contains("fk_courses_subject_id"), "{msg}");
}

/// The same upgrade where the new model gives the unique's name to
/// another unique (`unique (name) @name(uq_subjects_tenant_id_id)`): left
/// for the swap, the old unique would still stand when the main
/// migration's guard looked for its namesake, which it would then skip.
/// The old unique is dropped in the main migration instead, before its
/// namesake, and the foreign keys PostgreSQL tied to it move the old way
/// (dropped before it there, added back `NOT VALID` online once the new
/// key exists, and validated): the result is exactly a fresh V1, the
/// namesake on its own columns, and a dangling row is refused.
#[test]
fn a_key_swap_leaves_a_unique_whose_name_is_reused_to_the_main_migration() {
    let mut db = support::pg::shared().create_owned_database("fid_supplied_keys_reused", OWNER);
    let lock = older_supplied_keys_project(&mut db);
    supplied_keys_rows(&mut db);
    let reused = SUPPLIED_KEYS
        .replace("    name: text(80)\n", "    name: text(80)\n    unique (name) @name(uq_subjects_tenant_id_id)\n");
    assert_ne!(reused, SUPPLIED_KEYS);
    let (migrations, _) = build(&reused, Some(lock), false);
    assert_eq!(migrations.len(), 2, "a main migration and an online one");
    let main = &migrations[0].sql;
    let at = |needle: &str| main.find(needle).unwrap_or_else(|| panic!("no {needle:?} in the main migration:\n{main}"));
    let unique_gone = at("DROP CONSTRAINT IF EXISTS uq_subjects_tenant_id_id;");
    assert!(at("DROP CONSTRAINT IF EXISTS fk_courses_subject_id;") < unique_gone, "{main}");
    assert!(at("DROP CONSTRAINT IF EXISTS fk_subjects_aliases_subject_id;") < unique_gone, "{main}");
    assert!(unique_gone < at("ADD CONSTRAINT uq_subjects_tenant_id_id UNIQUE (tenant_id, name)"), "{main}");
    upgrade_to_fresh_v1(&mut db, &migrations, &reused, "fid_supplied_keys_reused_fresh");
    assert_eq!(
        strings(
            &mut db,
            "SELECT conname::text || ' ' || convalidated FROM pg_constraint WHERE contype = 'f' ORDER BY 1"
        ),
        ["fk_courses_subject_id true", "fk_subjects_aliases_subject_id true"]
    );
    ok(&mut db, &format!("SET app.tenant_id = '{A}'"));
    let msg = fails(
        &mut db,
        &format!("INSERT INTO catalog.subjects (id, tenant_id, name) VALUES ('quimica-a', '{A}', 'x')"),
        SqlState::UNIQUE_VIOLATION,
    );
    assert!(msg.contains("uq_subjects_tenant_id_id"), "{msg}");
    let msg = fails(
        &mut db,
        &format!("INSERT INTO catalog.courses (tenant_id, subject_id, title) VALUES ('{A}', 'fisica-b', 'w')"),
        SqlState::FOREIGN_KEY_VIOLATION,
    );
    assert!(msg.contains("fk_courses_subject_id"), "{msg}");
}

/// A project built when a tenant-scoped aggregate's supplied `id` was a
/// global primary key (tenant B could not use a key tenant A held, and the
/// error told B that A held it; the references used a unique `(tenant_id,
/// id)` beside it): the next build makes the key `(tenant_id, id)`, its
/// index built concurrently and swapped in, the references moved onto it
/// with the unique's drop in one block (they were dropped in a main
/// migration before, and rows written until the online one ran were not
/// checked) and validated; the owner runs it on a database holding both
/// tenants' rows, and the result is exactly a fresh V1. B can then use
/// A's key.
#[test]
fn a_supplied_key_becomes_unique_per_tenant_in_place() {
    let pg = support::pg::shared();
    let mut db = pg.create_owned_database("fid_supplied_keys", OWNER);
    let lock = older_supplied_keys_project(&mut db);
    assert_eq!(primary_key(&mut db, "catalog.subjects"), ["id"]);
    supplied_keys_rows(&mut db);
    // The hole: B cannot have A's key, and learns that A has it.
    ok(&mut db, &format!("SET app.tenant_id = '{B}'"));
    let msg = fails(
        &mut db,
        &format!("INSERT INTO catalog.subjects (id, tenant_id, name) VALUES ('fisica-a', '{B}', 'mine')"),
        SqlState::UNIQUE_VIOLATION,
    );
    assert!(msg.contains("subjects_pkey"), "{msg}");
    ok(&mut db, "RESET app.tenant_id");
    let (migrations, _) = build(SUPPLIED_KEYS, Some(lock), false);
    // Online only: the unique beside the key goes with the old key, and
    // the references on it move onto the new key then.
    assert_eq!(migrations.len(), 1, "one migration, online");
    assert!(!migrations[0].in_transaction, "{}", migrations[0].sql);
    let online = &migrations[0].sql;
    assert!(
        online.contains(
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS subjects_pkey ON catalog.subjects (tenant_id, id);"
        ),
        "{online}"
    );
    assert!(online.contains("PRIMARY KEY USING INDEX subjects_pkey"), "{online}");
    // Statement by statement, the references hold after each: a course
    // of no subject and an alias of none are refused, by name.
    // The block that moves them off the unique holds ACCESS EXCLUSIVE on
    // the three tables (catalog only), as the lock table says: seen
    // inside a transaction, then rolled back and run for real.
    assert_eq!(
        dddc::migrate::locks::Op::MoveForeignKeysOffUnique.effect().map(|e| e.0),
        Some(dddc::migrate::locks::LockLevel::AccessExclusive)
    );
    let mut blocks = 0;
    for s in split(online) {
        if s.contains("DROP CONSTRAINT IF EXISTS uq_subjects_tenant_id_id;") {
            blocks += 1;
            // What each table's rows saw in this transaction, before and
            // after the block: its file (a rewrite changes it) and its
            // scans (fewer index scans are no scan: the block drops the
            // unique's index, whose scans leave the table's sum).
            let work = |db: &mut Client| -> Vec<(String, u32, i64, i64)> {
                db.query(
                    "SELECT c.relname::text, c.relfilenode, s.seq_scan, coalesce(s.idx_scan, 0)
                     FROM pg_class c JOIN pg_stat_xact_user_tables s ON s.relid = c.oid
                     WHERE c.relname IN ('courses', 'subjects', 'subjects_aliases') ORDER BY 1",
                    &[],
                )
                .expect("the tables' statistics")
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
                .collect()
            };
            ok(&mut db, "BEGIN");
            let before = work(&mut db);
            ok(&mut db, &s);
            let after = work(&mut db);
            assert_eq!(before.len(), 3);
            for (b, a) in before.iter().zip(&after) {
                assert!(
                    a.0 == b.0 && a.1 == b.1 && a.2 == b.2 && a.3 <= b.3,
                    "the block reads or rewrites {b:?} -> {a:?}"
                );
            }
            assert_eq!(
                strings(
                    &mut db,
                    "SELECT c.relname::text FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                     WHERE l.pid = pg_backend_pid() AND l.mode = 'AccessExclusiveLock' AND c.relkind = 'r' ORDER BY 1"
                ),
                ["courses", "subjects", "subjects_aliases"]
            );
            ok(&mut db, "ROLLBACK");
        }
        ok(&mut db, &s);
        ok(&mut db, &format!("SET app.tenant_id = '{A}'"));
        for (sql, fk) in [
            (
                format!("INSERT INTO catalog.courses (tenant_id, subject_id, title) VALUES ('{A}', 'nope', 'w')"),
                "fk_courses_subject_id",
            ),
            (
                format!(
                    "INSERT INTO catalog.subjects_aliases (id, tenant_id, subject_id) VALUES ('zz', '{A}', 'nope')"
                ),
                "fk_subjects_aliases_subject_id",
            ),
        ] {
            let msg = fails(&mut db, &sql, SqlState::FOREIGN_KEY_VIOLATION);
            assert!(msg.contains(fk), "after {s}: {msg}");
        }
        ok(&mut db, "RESET app.tenant_id");
    }
    assert_eq!(blocks, 1, "{online}");
    // Exactly a fresh V1 of the model: no unique beside the key, no index
    // left behind by the swap.
    upgrade_to_fresh_v1(&mut db, &migrations, SUPPLIED_KEYS, "fid_supplied_keys_fresh");
    assert_eq!(primary_key(&mut db, "catalog.subjects"), ["tenant_id", "id"]);
    assert_eq!(primary_key(&mut db, "catalog.subjects_aliases"), ["tenant_id", "id"]);
    assert_eq!(
        strings(&mut db, "SELECT bool_and(convalidated)::text FROM pg_constraint WHERE contype = 'f'"),
        ["true"]
    );
    // B now uses A's key, as a role of the model would, and still cannot
    // reach A's row through it.
    ok(&mut db, &format!("SET app.tenant_id = '{B}'"));
    ok(&mut db, &format!("INSERT INTO catalog.subjects (id, tenant_id, name) VALUES ('fisica-a', '{B}', 'mine')"));
    ok(&mut db, &format!("INSERT INTO catalog.courses (tenant_id, subject_id, title) VALUES ('{B}', 'fisica-a', 'z')"));
    assert_eq!(
        strings(&mut db, "SELECT name::text FROM catalog.subjects WHERE id LIKE 'fisica-%' ORDER BY name"),
        ["mine", "x"]
    );
    let msg = fails(
        &mut db,
        &format!("INSERT INTO catalog.subjects (id, tenant_id, name) VALUES ('fisica-a', '{B}', 'twice')"),
        SqlState::UNIQUE_VIOLATION,
    );
    assert!(msg.contains("subjects_pkey"), "{msg}");
    ok(&mut db, "DELETE FROM catalog.courses WHERE subject_id = 'fisica-a'");
    ok(&mut db, "DELETE FROM catalog.subjects WHERE id = 'fisica-a'");
    // A reference to another tenant's row still does not exist for this one.
    ok(&mut db, &format!("SET app.tenant_id = '{A}'"));
    let msg = fails(
        &mut db,
        &format!("INSERT INTO catalog.courses (tenant_id, subject_id, title) VALUES ('{A}', 'fisica-b', 'w')"),
        SqlState::FOREIGN_KEY_VIOLATION,
    );
    assert!(msg.contains("fk_courses_subject_id"), "{msg}");
    ok(&mut db, "RESET app.tenant_id");
    // Every undo, newest first, gives the older schema back.
    for m in migrations.iter().rev() {
        let undo = m.undo.as_ref().expect("an undo");
        run(&mut db, undo, true).unwrap_or_else(|e| panic!("undo of {}: {e}", m.name));
    }
    assert_eq!(primary_key(&mut db, "catalog.subjects"), ["id"]);
}

const KEYED_V1: &str = r#"
/// Invoices of a billing service with many tenants.
model keyed {
  target postgres 15
  tables plural_en
  defaults { no timestamps }
}

/// Billing: every table is tenant-scoped.
context billing {
  tenant by tenant_id

  /// An invoice, known by its series until numbers are used instead.
  aggregate Invoice {
    /// The series, unique per tenant.
    series: text(4)
    /// The number within the tenant.
    number: int
    key (series)
  }
}
"#;

/// A key changed to columns whose rows repeat (tenant A has number 1
/// twice; tenant B also has a number 1, which is no duplicate): the
/// online migration, run by the tables' owner, stops on the new key's
/// index, the old key still enforced meanwhile; its undo then gives V1's
/// schema back; once A's rows are fixed it runs again from where it
/// stopped, and another run changes nothing.
#[test]
fn a_key_swap_stopped_by_duplicates_resumes_once_they_are_fixed() {
    stopped_swap(KEYED_V1, "fid_key_swap", "invoices_pkey_old", &["invoices_pkey"]);
}

/// The same when an index of the model holds the name the old key would
/// wait under: it waits as `invoices_pkey_old2`, the undo of the stopped
/// run gives that name back to `invoices_pkey`, and the index is left
/// alone throughout.
#[test]
fn a_key_swap_stopped_while_its_aside_name_is_taken_is_undone_and_resumed() {
    let v1 = KEYED_V1.replace("    key (series)\n", "    key (series)\n    index (number) @name(invoices_pkey_old)\n");
    assert_ne!(v1, KEYED_V1);
    stopped_swap(&v1, "fid_key_swap_taken", "invoices_pkey_old2", &["invoices_pkey", "invoices_pkey_old"]);
}

/// [`a_key_swap_stopped_by_duplicates_resumes_once_they_are_fixed`] on
/// the model `v1` (KEYED_V1 and more), in databases named from `db_name`:
/// the old key waits as `aside`, and the indexes of `invoices` are
/// `indexes` at the end.
fn stopped_swap(v1_model: &str, db_name: &str, aside: &str, indexes: &[&str]) {
    let pg = support::pg::shared();
    let mut db = pg.create_owned_database(db_name, OWNER);
    let (v1, lock) = build(v1_model, None, false);
    run(&mut db, &v1[0].sql, true).expect("V1");
    ok(
        &mut db,
        &format!(
            "SET app.tenant_id = '{A}';
             INSERT INTO billing.invoices (tenant_id, series, number) VALUES ('{A}', 'A', 1), ('{A}', 'B', 1), ('{A}', 'C', 2);
             SET app.tenant_id = '{B}';
             INSERT INTO billing.invoices (tenant_id, series, number) VALUES ('{B}', 'A', 1);
             RESET app.tenant_id;"
        ),
    );
    let v2_model = v1_model.replace("key (series)", "key (number)");
    let (v2, _) = build(&v2_model, Some(lock), false);
    assert_eq!(v2.len(), 1, "only an online migration: {:?}", v2.iter().map(|m| &m.name).collect::<Vec<_>>());
    assert!(!v2[0].in_transaction);
    assert!(v2[0].sql.contains(&format!("RENAME CONSTRAINT invoices_pkey TO {aside};")), "{}", v2[0].sql);
    let e = run(&mut db, &v2[0].sql, false).expect_err("A's A/1 and B/1 share number 1");
    assert!(e.contains("could not create unique index \"invoices_pkey\""), "{e}");
    // The old key, aside, still holds.
    assert_eq!(primary_key(&mut db, "billing.invoices"), ["tenant_id", "series"]);
    assert_eq!(
        strings(
            &mut db,
            "SELECT conname::text FROM pg_constraint WHERE contype = 'p' AND conrelid = 'billing.invoices'::regclass"
        ),
        [aside]
    );
    ok(&mut db, &format!("SET app.tenant_id = '{A}'"));
    fails(
        &mut db,
        &format!("INSERT INTO billing.invoices (tenant_id, series, number) VALUES ('{A}', 'A', 9)"),
        SqlState::UNIQUE_VIOLATION,
    );
    ok(&mut db, "RESET app.tenant_id");
    // Undone instead, the old key gets its name back and the half-built
    // index goes: the database is V1's again.
    let undo = v2[0].undo.as_ref().expect("an undo");
    run(&mut db, undo, true).unwrap_or_else(|e| panic!("the undo after a failed swap: {e}"));
    assert_fresh_v1(&mut db, v1_model, &format!("{db_name}_v1"));
    // Run again, it stops on the same rows, and goes through once they
    // are fixed.
    let e = run(&mut db, &v2[0].sql, false).expect_err("still duplicates");
    assert!(e.contains("could not create unique index \"invoices_pkey\""), "{e}");
    ok(
        &mut db,
        &format!(
            "SET app.tenant_id = '{A}'; UPDATE billing.invoices SET number = 3 WHERE series = 'B'; RESET app.tenant_id;"
        ),
    );
    run(&mut db, &v2[0].sql, false).expect("resumes once the rows are fixed");
    run(&mut db, &v2[0].sql, false).expect("and again, changing nothing");
    assert_eq!(primary_key(&mut db, "billing.invoices"), ["tenant_id", "number"]);
    assert_eq!(
        strings(
            &mut db,
            "SELECT relname::text FROM pg_class WHERE relname LIKE 'invoices%' AND relkind = 'i' ORDER BY relname"
        ),
        indexes
    );
    assert_fresh_v1(&mut db, &v2_model, &format!("{db_name}_fresh"));
}

// ------------------------------------------------------- lossy type changes --

const NARROW_V1: &str = r#"
model narrow {
  target postgres 15
  tables plural_en
}
context ops {
  aggregate Ticket {
    code: text(10)
    amount: decimal(10, 4)
  }
}
"#;

/// Undoing a widening (and a narrowing allowed with `--allow-destructive`)
/// never truncates: a value that does not fit stops the script, changing
/// nothing, and the undo's header says so.
#[test]
fn narrowing_a_column_never_truncates_a_value() {
    let pg = support::pg::shared();
    let mut db = pg.create_owned_database("fid_narrow", OWNER);
    let (v1, lock1) = build(NARROW_V1, None, false);
    run(&mut db, &v1[0].sql, true).expect("V1");
    let wide = NARROW_V1.replace("code: text(10)", "code: text(15)");
    let (v2, lock2) = build(&wide, Some(lock1), false);
    assert_eq!(v2.len(), 1);
    run(&mut db, &v2[0].sql, true).expect("V2");
    ok(&mut db, "INSERT INTO ops.tickets (code, amount) VALUES ('ABCDEFGHIJKLMNO', 1.5)");
    let undo = v2[0].undo.as_ref().expect("U2");
    assert!(undo.contains("WARNING: this undo narrows column types"), "{undo}");
    assert!(undo.contains("ops.tickets.code becomes VARCHAR(10)"), "{undo}");
    let e = run(&mut db, undo, true).expect_err("the undo must stop");
    assert!(e.contains("do not fit"), "{e}");
    assert_eq!(strings(&mut db, "SELECT code::text FROM ops.tickets"), ["ABCDEFGHIJKLMNO"]);
    // A narrowing the user allowed stops the same way, and goes through once
    // the data fits.
    let narrow = wide.replace("amount: decimal(10, 4)", "amount: decimal(10, 2)").replace("text(15)", "text(12)");
    let (v3, _) = build(&narrow, Some(lock2), true);
    ok(&mut db, "UPDATE ops.tickets SET amount = 1.2345");
    let e = run(&mut db, &v3[0].sql, true).expect_err("1.2345 does not fit decimal(10, 2)");
    assert!(e.contains("do not fit"), "{e}");
    ok(&mut db, "UPDATE ops.tickets SET amount = 1.25, code = 'ABCDEFGHIJKL'");
    run(&mut db, &v3[0].sql, true).expect("V3 once the data fits");
    assert_eq!(strings(&mut db, "SELECT code::text || ' ' || amount::text FROM ops.tickets"), ["ABCDEFGHIJKL 1.25"]);
}

const ROLE_V1: &str = r#"
/// Roles added later.
model roles {
  target postgres 15
  tables plural_en
}

/// Shop.
context shop {
  /// An order.
  aggregate Order {
    total: int
  }
}
"#;

fn with_role(role: &str, doc: &str) -> String {
    ROLE_V1.replace(
        "  tables plural_en\n}",
        &format!("  tables plural_en\n\n  /// {doc}\n  role {role} {{\n    read shop\n  }}\n}}"),
    )
}

/// Adversarial review, second round: a role added by an evolution lost its
/// doc comment (a fresh V1 has it as `COMMENT ON ROLE`), and a changed doc
/// comment changed nothing.
#[test]
fn a_role_added_later_keeps_its_comment() {
    let mut db = support::pg::shared().create_database("fid_role_comment");
    let (v1, lock) = build(ROLE_V1, None, false);
    for m in &v1 {
        run(&mut db, &m.sql, m.in_transaction).unwrap();
    }
    let (v2, lock) = build(&with_role("fid_role_reader", "Reads the shop."), Some(lock), false);
    for m in &v2 {
        run(&mut db, &m.sql, m.in_transaction).unwrap();
    }
    let comment = |db: &mut Client| -> Option<String> {
        db.query_one("SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = 'fid_role_reader'", &[])
            .unwrap()
            .get(0)
    };
    assert_eq!(comment(&mut db).as_deref(), Some("Reads the shop."));
    let (v3, _) = build(&with_role("fid_role_reader", "Reads orders."), Some(lock), false);
    assert_eq!(v3.len(), 1, "a changed role comment is a migration");
    run(&mut db, &v3[0].sql, true).unwrap();
    assert_eq!(comment(&mut db).as_deref(), Some("Reads orders."));
    // Undone back: the role goes.
    for m in v3.iter().rev().chain(v2.iter().rev()) {
        run(&mut db, m.undo.as_deref().unwrap(), true).unwrap();
    }
    let left: i64 =
        db.query_one("SELECT count(*) FROM pg_roles WHERE rolname = 'fid_role_reader'", &[]).unwrap().get(0);
    assert_eq!(left, 0);
}

/// Adversarial review, second round: V1 adopts a role that exists already
/// (a login role of the same name), and its undo ran `DROP OWNED BY`, which
/// dropped an unrelated table that role owned, then dropped the login role.
/// The undo now revokes what it granted and keeps a role that can log in.
#[test]
fn undoing_a_role_never_drops_what_it_did_not_create() {
    let mut db = support::pg::shared().create_database("fid_role_preexisting");
    ok(
        &mut db,
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fid_reporting') THEN CREATE ROLE fid_reporting LOGIN; END IF; END $$;
         CREATE TABLE public.reporting_kpis (k int);
         ALTER TABLE public.reporting_kpis OWNER TO fid_reporting;
         INSERT INTO public.reporting_kpis VALUES (1);",
    );
    let (v1, _) = build(&with_role("fid_reporting", "Reporting."), None, false);
    run(&mut db, &v1[0].sql, true).unwrap();
    let can_read: bool =
        db.query_one("SELECT has_table_privilege('fid_reporting', 'shop.orders', 'SELECT')", &[]).unwrap().get(0);
    assert!(can_read, "the grants go to the existing role");
    run(&mut db, v1[0].undo.as_deref().unwrap(), true).unwrap();
    let kpis: i64 = db.query_one("SELECT count(*) FROM public.reporting_kpis", &[]).unwrap().get(0);
    assert_eq!(kpis, 1, "the pre-existing role's table and rows are still there");
    let login: bool =
        db.query_one("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'fid_reporting'", &[]).unwrap().get(0);
    assert!(login, "the login role is kept");
}

/// Adversarial review, second round: the undo of a role failed when run by
/// an ordinary table owner (`DROP OWNED BY` needs rights it does not have).
#[test]
fn the_table_owner_can_undo_a_role() {
    let pg = support::pg::shared();
    let _ = pg.create_owned_database("fid_role_owner", OWNER);
    let mut db = pg.connect_as("fid_role_owner", OWNER);
    let (v1, _) = build(&with_role("fid_role_owned", "Owned."), None, false);
    run(&mut db, &v1[0].sql, true).unwrap();
    run(&mut db, v1[0].undo.as_deref().unwrap(), true).unwrap_or_else(|e| panic!("U1 as the owner: {e}"));
    let left: i64 = db.query_one("SELECT count(*) FROM pg_roles WHERE rolname = 'fid_role_owned'", &[]).unwrap().get(0);
    assert_eq!(left, 0);
}
