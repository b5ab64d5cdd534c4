//! `dddc import` on a database created by hand-written SQL
//! (`tests/fixtures/import/shop.sql`): the model it writes validates, its
//! baseline V1 builds into an empty database whose catalog equals the
//! original for everything the language expresses (the rest is listed as
//! warnings), and an edit of the imported model gives a V2 that holds only
//! that edit and applies to the original database.

mod support;

#[path = "../tools/genmodel/src/lib.rs"]
#[allow(dead_code)]
mod genmodel;

use std::path::Path;

use support::cli::{dddc, stderr};
use support::pg::shared;

fn url(db: &str) -> String {
    let c = shared();
    format!("host={} port={} user={} dbname={db}", c.socket_dir().display(), c.port(), support::pg::SUPERUSER)
}

fn import_shop(db_name: &str) -> (tempfile::TempDir, String, postgres::Client) {
    let mut db = shared().create_database(db_name);
    db.batch_execute(&std::fs::read_to_string("tests/fixtures/import/shop.sql").unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let o = dddc(dir.path(), &["import", "--database-url", &url(db_name)]);
    let err = stderr(&o);
    assert!(o.status.success(), "import failed:\n{err}");
    if std::env::var_os("SHOW_IMPORT").is_some() {
        eprintln!("{err}");
    }
    (dir, err, db)
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn import_writes_a_model_that_says_what_the_database_holds() {
    let (dir, err, _db) = import_shop("import_model");
    let model = read(dir.path(), "model.ddd");
    for expected in [
        "context catalog {",
        "/// What the shop sells.",
        "aggregate Products as products {",
        "/// Stock keeping unit, unique among active products.",
        "sku: text(32)",
        "price: decimal(10, 2) = 0",
        "attributes: json = {}",
        "enum OrderStatus native {",
        "status: OrderStatus = DRAFT",
        "customer: ref sales.Customers on delete cascade on update no action @name(orders_customer_id_fkey)",
        "id: bigint identity",
        "key (order_id, line_no)",
        "invariant price_not_negative: sql \"price >= 0\"",
        "invariant placed_has_date: sql \"status = 'DRAFT' OR placed_at IS NOT NULL\"",
        "unique (sku) where sql \"(discontinued_at IS NULL)\" @name(products_sku_active)",
        "index (sql \"(lower(name))\") @name(products_lower_name)",
        "index using gin (attributes) @name(products_attributes)",
    ] {
        assert!(model.contains(expected), "model.ddd lacks {expected:?}:\n{model}");
    }
    // What the language cannot say is listed, never dropped silently.
    assert!(err.contains("warning[W0802]: sales.order_totals: a view"), "{err}");
    assert!(err.contains("triggers (orders_touch)"), "{err}");
    assert!(
        err.contains("sales.order_lines.order_lines_order_id_fkey: a foreign key on a primary-key column"),
        "{err}"
    );
    // The model is formatted and the baseline is built.
    let o = dddc(dir.path(), &["fmt", "--check"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.path().join("db/migration/V1__baseline.sql").exists());
    let o = dddc(dir.path(), &["check"]);
    assert!(o.status.success(), "check after import:\n{}", stderr(&o));
}

#[test]
fn the_baseline_builds_the_same_tables_columns_and_constraints() {
    let (dir, _err, mut original) = import_shop("import_round_trip");
    let v1 = read(dir.path(), "db/migration/V1__baseline.sql");
    let mut fresh = shared().create_database("import_round_trip_fresh");
    fresh.batch_execute(&format!("BEGIN;\n{v1}\nCOMMIT;")).expect("the baseline applies to an empty database");
    let scope = dddc::introspect::Scope { schemas: vec!["catalog".into(), "sales".into()], public: false };
    let (a, _) = dddc::introspect::read(&mut original, &scope).unwrap();
    let (b, _) = dddc::introspect::read(&mut fresh, &scope).unwrap();
    // The whole catalogs: they differ only in what import warned about.
    let differences: Vec<String> = dddc::introspect::compare(&b, &a).into_iter().map(|d| d.message).collect();
    assert_eq!(
        differences,
        [
            "function sales.touch() is in the database but not in the model",
            "foreign key order_lines_order_id_fkey on sales.order_lines is in the database but not in the model",
            "trigger orders_touch on sales.orders is in the database but not in the model",
        ],
        "original compared with the baseline built into an empty database"
    );
    // Everything the language expresses: tables, columns with their types,
    // nullability and defaults, primary keys, checks, enum types.
    let (a, b) = (dddc::introspect::canonical_schema(&a), dddc::introspect::canonical_schema(&b));
    assert_eq!(a.enum_types, b.enum_types);
    for t in &a.tables {
        let u = b.table(&t.schema, &t.name).unwrap_or_else(|| panic!("{} missing from the baseline", t.qualified()));
        let cols = |t: &dddc::relational::Table| {
            t.columns
                .iter()
                .map(|c| (c.name.clone(), c.ty.clone(), c.nullable, c.default.clone(), c.identity))
                .collect::<Vec<_>>()
        };
        assert_eq!(cols(t), cols(u), "columns of {}", t.qualified());
        assert_eq!(t.primary_key.as_ref().map(|p| &p.columns), u.primary_key.as_ref().map(|p| &p.columns));
        let checks =
            |t: &dddc::relational::Table| t.checks.iter().map(|c| (c.name.clone(), c.expr.clone())).collect::<Vec<_>>();
        assert_eq!(checks(t), checks(u), "checks of {}", t.qualified());
        // A foreign key on a primary-key column is not imported (a warning
        // says so, see above).
        let pk_cols = t.primary_key.as_ref().map(|p| p.columns.clone()).unwrap_or_default();
        let fks = |t: &dddc::relational::Table| {
            t.foreign_keys
                .iter()
                .filter(|f| !f.columns.iter().all(|c| pk_cols.contains(c)))
                .map(|f| (f.name.clone(), f.columns.clone(), f.ref_table.clone(), f.on_delete, f.on_update))
                .collect::<Vec<_>>()
        };
        assert_eq!(fks(t), fks(u), "foreign keys of {}", t.qualified());
        for i in &t.indexes {
            let same = u.indexes.iter().find(|j| j.name == i.name);
            assert_eq!(
                same.map(|j| (&j.items, j.unique, &j.predicate)),
                Some((&i.items, i.unique, &i.predicate)),
                "index {}",
                i.name
            );
        }
    }
}

#[test]
fn an_edit_after_import_is_the_only_change_and_applies_to_the_original() {
    let (dir, _err, mut original) = import_shop("import_edit");
    let model_path = dir.path().join("model.ddd");
    let model = read(dir.path(), "model.ddd");
    let edited =
        model.replacen("    country: char(2) = 'ES'\n", "    country: char(2) = 'ES'\n    phone: text(20)?\n", 1);
    assert_ne!(model, edited, "the customers' country field:\n{model}");
    std::fs::write(&model_path, edited).unwrap();
    let o = dddc(dir.path(), &["build", "--name", "customers_phone"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v2 = read(dir.path(), "db/migration/V2__customers_phone.sql");
    let statements: Vec<String> = dddc::sql::split::split_statements(&v2)
        .into_iter()
        .map(|s| s.lines().filter(|l| !l.starts_with("--")).collect::<Vec<_>>().join("\n").trim().to_string())
        .filter(|s| !s.starts_with("SET LOCAL"))
        .collect();
    assert_eq!(statements, ["ALTER TABLE sales.customers ADD COLUMN IF NOT EXISTS phone VARCHAR(20);"], "{v2}");
    original.batch_execute(&format!("BEGIN;\n{v2}\nCOMMIT;")).expect("V2 applies to the original database");
    let n: i64 = original
        .query_one(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'sales' AND table_name = 'customers' AND column_name = 'phone'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}

#[test]
fn import_refuses_an_existing_project_and_writes_nothing_on_failure() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dddc.toml"), "model = \"m.ddd\"\n").unwrap();
    let o = dddc(dir.path(), &["import", "--database-url", &url("postgres")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already holds a dddc project"), "{}", stderr(&o));
    let empty = tempfile::tempdir().unwrap();
    let o = dddc(empty.path(), &["import", "--database-url", "host=/nonexistent port=1 user=x dbname=y"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot connect to the database"), "{}", stderr(&o));
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0, "nothing written");
}

/// An import killed after it wrote its model and before its baseline's
/// lock (its output piped into `head`, ^C) left a folder a second import
/// refused as a project, with no word of how to go on: it now says the
/// import did not finish and how to finish it, and finishing it builds
/// the baseline the import would have.
#[test]
fn an_import_that_did_not_finish_says_how_to_finish_it() {
    let (dir, _err, _db) = import_shop("import_unfinished");
    let v1 = read(dir.path(), "db/migration/V1__baseline.sql");
    for left in ["db", "docs"] {
        std::fs::remove_dir_all(dir.path().join(left)).unwrap();
    }
    let o = dddc(dir.path(), &["import", "--database-url", &url("import_unfinished")]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("holds an import that did not finish"), "{}", stderr(&o));
    assert!(stderr(&o).contains("dddc build --name baseline"), "{}", stderr(&o));
    let o = dddc(dir.path(), &["build", "--name", "baseline"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read(dir.path(), "db/migration/V1__baseline.sql"), v1);
    let o = dddc(dir.path(), &["check"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Killed between its two renames (dddc.toml first): nothing to finish.
    let half = tempfile::tempdir().unwrap();
    std::fs::copy(dir.path().join("dddc.toml"), half.path().join("dddc.toml")).unwrap();
    let o = dddc(half.path(), &["import", "--database-url", &url("import_unfinished")]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("its model was never written: empty the folder"), "{}", stderr(&o));
    // Finished, it is a project like any other.
    let o = dddc(dir.path(), &["import", "--database-url", &url("import_unfinished")]);
    assert!(stderr(&o).contains("already holds a dddc project"), "{}", stderr(&o));
}

/// Enum types in `public` used by tables of other schemas (what a model's
/// shared enums become): the imported model named `public.Status`, a
/// context it did not declare, and did not validate. `public` is now a
/// context of its enums, with its comment, and the project verifies.
#[test]
fn enums_in_public_used_by_other_schemas_import_and_verify() {
    let mut db = shared().create_database("import_public_enums");
    db.batch_execute(
        "CREATE TYPE public.status AS ENUM ('OPEN', 'CLOSED'); \
         CREATE SCHEMA crm; \
         CREATE TABLE crm.tickets (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), status public.status NOT NULL DEFAULT 'OPEN');",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let o = dddc(dir.path(), &["import", "--database-url", &url("import_public_enums")]);
    assert!(o.status.success(), "import failed:\n{}", stderr(&o));
    let model = read(dir.path(), "model.ddd");
    assert!(model.contains("context public {") && model.contains("enum Status native {"), "{model}");
    assert!(model.contains("status: public.Status = OPEN"), "{model}");
    let o = dddc(dir.path(), &["verify", "--database-url", &url("postgres")]);
    assert!(o.status.success(), "verify of the imported project:\n{}", stderr(&o));
}

/// A database with everything in `public`, shaped like the usual sample
/// databases: imported with every gap named, and the imported project
/// passes `dddc verify` (its undo leaves `public` in place).
#[test]
fn a_public_schema_database_imports_with_its_gaps_named_and_verifies() {
    let mut db = shared().create_database("import_public");
    db.batch_execute(&std::fs::read_to_string("tests/fixtures/import/public.sql").unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let o = dddc(dir.path(), &["import", "--database-url", &url("import_public")]);
    let err = stderr(&o);
    assert!(o.status.success(), "import failed:\n{err}");
    for expected in [
        "public.actor_info: a view",
        "public.actor.last_update: type `timestamp without time zone` has no equivalent",
        "public.film.release_year: the domain year is read as its base type integer",
        "public.mpaa_rating: the value \"PG-13\" is not an identifier",
        "public.film.film_id: the default `nextval('film_film_id_seq'::regclass)` is not a literal",
        "public.film.fulltext: type TSVECTOR has no equivalent",
        "public.film.film_fulltext_idx: an index on a column left out",
        "public.payment: partitioned by range (payment_date) into 1 partition(s) the language cannot name",
    ] {
        assert!(err.contains(expected), "missing {expected:?}:\n{err}");
    }
    let model = read(dir.path(), "model.ddd");
    assert!(model.contains("context public {"), "{model}");
    assert!(model.contains("last_update: timestamp = now()"), "{model}");
    assert!(model.contains("language: ref public.Language on update cascade @name(film_language_id_fkey)"), "{model}");
    let u1 = read(dir.path(), "db/migration/U1__baseline.sql");
    assert!(!u1.contains("DROP SCHEMA IF EXISTS public"), "{u1}");
    let o = dddc(dir.path(), &["verify", "--database-url", &url("postgres")]);
    assert!(o.status.success(), "verify of the imported project:\n{}", stderr(&o));
}

/// Partitioned tables the language can describe come back as `partition
/// by …`, and the baseline builds the same partitions.
#[test]
fn partitioned_tables_import_as_partition_by() {
    let mut db = shared().create_database("import_partitions");
    db.batch_execute(
        "CREATE SCHEMA ops;
         CREATE TABLE ops.readings (id uuid NOT NULL DEFAULT gen_random_uuid(), taken_at timestamptz NOT NULL, value int NOT NULL,
             PRIMARY KEY (id, taken_at)) PARTITION BY RANGE (taken_at);
         CREATE TABLE ops.readings_2025_11 PARTITION OF ops.readings FOR VALUES FROM ('2025-11-01') TO ('2025-12-01');
         CREATE TABLE ops.readings_2025_12 PARTITION OF ops.readings FOR VALUES FROM ('2025-12-01') TO ('2026-01-01');
         CREATE TABLE ops.readings_default PARTITION OF ops.readings DEFAULT;
         CREATE TABLE ops.sites (id uuid NOT NULL DEFAULT gen_random_uuid(), country char(2) NOT NULL,
             PRIMARY KEY (id, country)) PARTITION BY LIST (country);
         CREATE TABLE ops.sites_es PARTITION OF ops.sites FOR VALUES IN ('ES');
         CREATE TABLE ops.sites_mx PARTITION OF ops.sites FOR VALUES IN ('MX');
         CREATE TABLE ops.sites_default PARTITION OF ops.sites DEFAULT;
         CREATE TABLE ops.events (id uuid NOT NULL DEFAULT gen_random_uuid(), PRIMARY KEY (id)) PARTITION BY HASH (id);
         CREATE TABLE ops.events_p0 PARTITION OF ops.events FOR VALUES WITH (modulus 2, remainder 0);
         CREATE TABLE ops.events_p1 PARTITION OF ops.events FOR VALUES WITH (modulus 2, remainder 1);",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let o = dddc(dir.path(), &["import", "--database-url", &url("import_partitions")]);
    let err = stderr(&o);
    assert!(o.status.success(), "import failed:\n{err}");
    let model = read(dir.path(), "model.ddd");
    for expected in [
        "partition by range (taken_at) monthly from 2025-11 to 2025-12",
        "partition by list (country) { es: 'ES', mx: 'MX' }",
        "partition by hash (id) into 2",
    ] {
        assert!(model.contains(expected), "model.ddd lacks {expected:?}:\n{model}\n{err}");
    }
    assert!(!err.contains("imported as a plain table"), "{err}");
    // Built into an empty database, the same tables and partitions.
    let v1 = read(dir.path(), "db/migration/V1__baseline.sql");
    let mut fresh = shared().create_database("import_partitions_fresh");
    fresh.batch_execute(&format!("BEGIN;\n{v1}\nCOMMIT;")).expect("the baseline applies");
    let scope = dddc::introspect::Scope { schemas: vec!["ops".into()], public: false };
    let (a, _) = dddc::introspect::read(&mut db, &scope).unwrap();
    let (b, _) = dddc::introspect::read(&mut fresh, &scope).unwrap();
    let partitions = |s: &dddc::relational::Schema| {
        s.tables
            .iter()
            .map(|t| {
                (
                    t.name.clone(),
                    t.partitioning.as_ref().map(|p| p.partitions.iter().map(|x| x.name.clone()).collect::<Vec<_>>()),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(partitions(&a), partitions(&b));
}

/// A database dddc itself built (the generated model's V1, 20 aggregates:
/// enum checks named `ck_<table>_<column>_valid`, value-object groups,
/// partial indexes) imports, and the baseline keeps every check by name
/// and expression. The import failed on it ("the imported model does not
/// parse"): a check not named `<table>_…` got its `@name` after the
/// expression.
#[test]
fn a_database_built_by_dddc_imports_with_every_check() {
    let built = tempfile::tempdir().unwrap();
    for f in genmodel::ddd(&genmodel::Shape::new(20, 12)) {
        let path = built.path().join(&f.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &f.text).unwrap();
    }
    let o = dddc(built.path(), &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut original = shared().create_database("import_dddc_built");
    let v1 = read(built.path(), "db/migration/V1__init.sql");
    original.batch_execute(&format!("BEGIN;\n{v1}\nCOMMIT;")).expect("dddc's V1 applies");
    let dir = tempfile::tempdir().unwrap();
    let o = dddc(dir.path(), &["import", "--database-url", &url("import_dddc_built")]);
    assert!(o.status.success(), "import failed:\n{}", stderr(&o));
    let baseline = read(dir.path(), "db/migration/V1__baseline.sql");
    let mut fresh = shared().create_database("import_dddc_built_fresh");
    fresh.batch_execute(&format!("BEGIN;\n{baseline}\nCOMMIT;")).expect("the baseline applies");
    let scope = dddc::introspect::Scope { schemas: vec!["ctx000".into()], public: false };
    let (a, _) = dddc::introspect::read(&mut original, &scope).unwrap();
    let (b, _) = dddc::introspect::read(&mut fresh, &scope).unwrap();
    let (a, b) = (dddc::introspect::canonical_schema(&a), dddc::introspect::canonical_schema(&b));
    let checks = |s: &dddc::relational::Schema| {
        s.tables
            .iter()
            .flat_map(|t| t.checks.iter().map(move |c| (t.qualified(), c.name.clone(), c.expr.clone())))
            .collect::<Vec<_>>()
    };
    assert!(checks(&a).iter().any(|(_, n, _)| n.starts_with("ck_")), "{:?}", checks(&a));
    assert_eq!(checks(&a), checks(&b));
}

/// Black-box findings of the twenty-seventh session. A CHECK on a column
/// named by a keyword: the model's `sql` invariant held `user <> ''`,
/// which PostgreSQL reads as `CURRENT_USER <> ''` (always true: the
/// baseline's check let every row in), and `char_length(select) > 0` (a
/// syntax error: the baseline could not be applied). The names stay
/// quoted. Flyway's history table in `public` was imported as an
/// aggregate (and U1 dropped it): left out, and said so.
#[test]
fn keyword_columns_keep_their_quotes_and_flyways_history_is_left_out() {
    let mut db = shared().create_database("import_keywords");
    db.batch_execute(
        "CREATE SCHEMA s;
         CREATE TABLE s.t (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), \"user\" text, \"select\" text,
           CONSTRAINT ck_user CHECK (\"user\" <> ''), CONSTRAINT ck_select CHECK (char_length(\"select\") > 0));
         CREATE TABLE public.flyway_schema_history (installed_rank int PRIMARY KEY, version varchar(50),
           description varchar(200) NOT NULL, type varchar(20) NOT NULL, script varchar(1000) NOT NULL,
           checksum int, installed_by varchar(100) NOT NULL, installed_on timestamp NOT NULL DEFAULT now(),
           execution_time int NOT NULL, success boolean NOT NULL);",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let o = dddc(dir.path(), &["import", "--database-url", &url("import_keywords")]);
    let err = stderr(&o);
    assert!(o.status.success(), "import failed:\n{err}");
    assert!(err.contains("left out Flyway's history table public.flyway_schema_history"), "{err}");
    let model = read(dir.path(), "model.ddd");
    assert!(!model.contains("context public") && !model.contains("FlywaySchemaHistory"), "{model}");
    assert!(model.contains(r#"sql """user"" <> ''""#), "{model}");
    assert!(model.contains(r#"sql "char_length(""select"") > 0""#), "{model}");
    let baseline = read(dir.path(), "db/migration/V1__baseline.sql");
    assert!(!baseline.contains("flyway_schema_history"), "{baseline}");
    let mut fresh = shared().create_database("import_keywords_fresh");
    fresh.batch_execute(&format!("BEGIN;\n{baseline}\nCOMMIT;")).expect("the baseline applies");
    for (row, constraint) in [
        ("(\"user\", \"select\") VALUES ('', 'x')", "ck_user"),
        ("(\"user\", \"select\") VALUES ('u', '')", "ck_select"),
    ] {
        let e = fresh.batch_execute(&format!("INSERT INTO s.t {row}")).expect_err(constraint);
        assert_eq!(e.as_db_error().and_then(|d| d.constraint()), Some(constraint), "{e}");
    }
    fresh.batch_execute("INSERT INTO s.t (\"user\", \"select\") VALUES ('u', 'x')").unwrap();
    // Recorded as applied without running it, as the import says to.
    db.batch_execute(
        "INSERT INTO public.flyway_schema_history VALUES (1, '1', '<< Flyway Baseline >>', 'BASELINE', \
         '<< Flyway Baseline >>', NULL, 'postgres', now(), 0, true)",
    )
    .unwrap();
    let o = dddc(dir.path(), &["drift", "--database-url", &url("import_keywords")]);
    assert!(o.status.success(), "drift on the original:\n{}", stderr(&o));
}

/// A folder holding a model (and no `dddc.toml`) is a project: import
/// wrote over its `model.ddd`. Refused, and the file is as it was.
#[test]
fn import_refuses_a_folder_with_a_model_and_overwrites_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("model.ddd"), "// mine\n").unwrap();
    let o = dddc(dir.path(), &["import", "--database-url", &url("postgres")]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("is not empty") && stderr(&o).contains("model.ddd"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(dir.path().join("model.ddd")).unwrap(), "// mine\n");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "nothing written");
}

/// What the language cannot say of a table, a column, a constraint or an
/// index was dropped without a word by import (the baseline made a
/// different table: an identity that refuses given ids, a validated
/// check where rows break it, a logged table) and unseen by drift. Each
/// is now a W0802 warning of both.
#[test]
fn what_the_language_cannot_say_is_named_by_import_and_drift() {
    let mut db = shared().create_database("import_options");
    db.batch_execute(
        "CREATE SCHEMA s;
         CREATE UNLOGGED TABLE s.t (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
           code text COLLATE \"C\", score int, ratio int, doc jsonb, n int)
           WITH (fillfactor = 70);
         ALTER TABLE s.t ADD CONSTRAINT t_code_key UNIQUE NULLS NOT DISTINCT (code);
         ALTER TABLE s.t ADD CONSTRAINT t_score_key UNIQUE (score) DEFERRABLE INITIALLY DEFERRED;
         INSERT INTO s.t (n) VALUES (-1);
         ALTER TABLE s.t ADD CONSTRAINT t_n_check CHECK (n > 0) NOT VALID;
         CREATE INDEX t_score_idx ON s.t (score DESC NULLS LAST) INCLUDE (ratio);
         CREATE INDEX t_code_idx ON s.t (code text_pattern_ops);
         CREATE INDEX t_doc_idx ON s.t USING gin (doc jsonb_path_ops);
         ALTER TABLE s.t ENABLE ROW LEVEL SECURITY;",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let o = dddc(dir.path(), &["import", "--database-url", &url("import_options")]);
    let err = stderr(&o);
    assert!(o.status.success(), "import failed:\n{err}");
    for expected in [
        "s.t: UNLOGGED",
        "storage parameters (fillfactor=70)",
        "row-level security enabled or forced, not both",
        "s.t.id: GENERATED BY DEFAULT AS IDENTITY",
        "s.t.code: a collation of its own",
        "s.t.t_code_key: the index has NULLS NOT DISTINCT",
        "s.t.t_score_key: the constraint is DEFERRABLE INITIALLY DEFERRED",
        "s.t.t_n_check: the constraint is NOT VALID",
        "s.t.t_score_idx: the index has a sort order (DESC or NULLS FIRST/LAST), INCLUDE columns",
        "s.t.t_code_idx: the index has an operator class that is not its type's default",
        "s.t.t_doc_idx: the index has an operator class",
    ] {
        assert!(err.contains(expected), "missing {expected:?}:\n{err}");
    }
    // A database built by dddc, then changed by hand where the lock cannot
    // see: drift names it.
    let built = tempfile::tempdir().unwrap();
    std::fs::write(
        built.path().join("m.ddd"),
        "/// M.\nmodel m {\n  target postgres 15\n}\n\n/// C.\ncontext c {\n  /// A.\n  aggregate A {\n    /// N.\n    n: text\n    index (n)\n  }\n}\n",
    )
    .unwrap();
    let o = dddc(built.path(), &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut deployed = shared().create_database("drift_options");
    let v1 = read(built.path(), "db/migration/V1__init.sql");
    deployed.batch_execute(&format!("BEGIN;\n{v1}\nCOMMIT;")).unwrap();
    let o = dddc(built.path(), &["drift", "--database-url", &url("drift_options")]);
    assert!(o.status.success() && !stderr(&o).contains("W0802"), "{}", stderr(&o));
    deployed.batch_execute("ALTER TABLE c.a SET UNLOGGED; ALTER INDEX c.idx_a_n SET (fillfactor = 50);").unwrap();
    let o = dddc(built.path(), &["drift", "--database-url", &url("drift_options")]);
    let err = stderr(&o);
    assert!(err.contains("warning[W0802]: c.a: UNLOGGED"), "{err}");
    assert!(err.contains("c.a.idx_a_n: the index has storage parameters (fillfactor=50)"), "{err}");
}

/// Schemas import stopped on with "the imported model does not validate
/// (a bug in dddc import)", and wrote nothing: an empty array default, an
/// identity column in a composite key, one not named `id`, one that is
/// not the key, `ON DELETE SET DEFAULT`, `SET NULL` on a NOT NULL column,
/// a column named outside the language's identifiers, a foreign key into
/// a schema not imported. Each imports now, what it cannot say named, and
/// the project checks.
#[test]
fn common_schemas_the_language_cannot_say_in_full_import_with_warnings() {
    for (name, sql, args, warned) in [
        ("arr_default", "CREATE TABLE s.t (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), tags text[] NOT NULL DEFAULT '{}', \
          more text[] DEFAULT '{a,b}');", &[][..], "s.t.more: the default `'{a,b}'::text[]` is not a literal"),
        ("identity_in_key", "CREATE TABLE s.t (id bigint GENERATED BY DEFAULT AS IDENTITY, at timestamptz, PRIMARY KEY (id, at)) \
          PARTITION BY RANGE (at);", &[], "s.t.id: an identity column that is not the table's one key"),
        ("identity_named", "CREATE TABLE s.t (\"AccountId\" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);", &[],
         "s.t.AccountId: an identity column"),
        ("identity_non_key", "CREATE TABLE s.t (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), \
          seq_no bigint GENERATED BY DEFAULT AS IDENTITY);", &[], "s.t.seq_no: an identity column"),
        ("set_default", "CREATE TABLE s.p (id uuid PRIMARY KEY DEFAULT gen_random_uuid()); \
          CREATE TABLE s.c (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), p_id uuid REFERENCES s.p ON DELETE SET DEFAULT);", &[],
         "ON DELETE SET DEFAULT: a reference has no default"),
        ("set_null_required", "CREATE TABLE s.p (id uuid PRIMARY KEY DEFAULT gen_random_uuid()); \
          CREATE TABLE s.c (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), p_id uuid NOT NULL REFERENCES s.p ON DELETE SET NULL);", &[],
         "ON DELETE SET NULL: the column is NOT NULL"),
        ("non_ascii", "CREATE TABLE s.t (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), \"año\" int CHECK (\"año\" > 0));", &[],
         "s.t.año: the name is not an identifier of the language"),
        ("quoted_name", "CREATE TABLE s.t (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), \"e-mail\" text CHECK (\"e-mail\" <> ''));
          CREATE INDEX t_mail ON s.t (lower(\"e-mail\"));", &[], "s.t.t_e-mail_check: a check on a column left out"),
        ("cross_schema", "CREATE SCHEMA a; CREATE TABLE a.p (id uuid PRIMARY KEY DEFAULT gen_random_uuid()); \
          CREATE TABLE s.c (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), p_id uuid REFERENCES a.p);", &["--schema", "s"][..],
         "s.c.c_p_id_fkey: a foreign key to a.p (id), which is not an imported table's primary key"),
    ] {
        let db_name = format!("import_gap_{name}");
        let mut db = shared().create_database(&db_name);
        db.batch_execute(&format!("CREATE SCHEMA s; {sql}")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut command = vec!["import", "--database-url"];
        let u = url(&db_name);
        command.push(&u);
        command.extend(args);
        let o = dddc(dir.path(), &command);
        let err = stderr(&o);
        assert!(o.status.success(), "{name}: import failed:\n{err}");
        assert!(err.contains(warned), "{name}: missing {warned:?}:\n{err}");
        let o = dddc(dir.path(), &["check"]);
        assert!(o.status.success(), "{name}: check:\n{}", stderr(&o));
    }
}

/// A `serial` key is imported as a field `id` and `key (id)`: the
/// baseline's table had `id` last (the resolver adds a natural key's `id`
/// field after the others), so `INSERT … VALUES` without a column list
/// and `SELECT *` differed between production and a database made from
/// V1. The columns are in the database's order.
#[test]
fn a_natural_key_id_keeps_its_place_among_the_columns() {
    let mut db = shared().create_database("import_order");
    db.batch_execute(
        "CREATE SCHEMA s; CREATE TABLE s.stock (id serial PRIMARY KEY, code text NOT NULL, qty int NOT NULL);",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let o = dddc(dir.path(), &["import", "--database-url", &url("import_order")]);
    assert!(o.status.success(), "import failed:\n{}", stderr(&o));
    let baseline = read(dir.path(), "db/migration/V1__baseline.sql");
    let mut fresh = shared().create_database("import_order_fresh");
    fresh.batch_execute(&format!("BEGIN;\n{baseline}\nCOMMIT;")).expect("the baseline applies");
    let columns = |db: &mut postgres::Client| -> Vec<String> {
        db.query("SELECT attname::text FROM pg_attribute WHERE attrelid = 's.stock'::regclass AND attnum > 0 ORDER BY attnum", &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    assert_eq!(columns(&mut fresh), columns(&mut db));
}

/// A `serial` key is imported as `id: int` and `key (id)`, its default
/// left out (warned). Made an identity, the obvious next edit, V2 failed
/// on the original database: "column id already has a default value".
/// The identity drops a default the model does not hold first; the
/// sequence goes on after the rows' ids. With rows.
#[test]
fn an_imported_serial_key_becomes_an_identity_on_the_original_database() {
    let mut db = shared().create_database("import_serial");
    db.batch_execute(
        "CREATE SCHEMA s; CREATE TABLE s.stock (id serial PRIMARY KEY, code text NOT NULL);
         INSERT INTO s.stock (code) VALUES ('a'), ('b');",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let o = dddc(dir.path(), &["import", "--database-url", &url("import_serial")]);
    assert!(o.status.success(), "import failed:\n{}", stderr(&o));
    let model = read(dir.path(), "model.ddd");
    assert!(model.contains("    id: int\n") && model.contains("    key (id)\n"), "{model}");
    std::fs::write(
        dir.path().join("model.ddd"),
        model.replace("    id: int\n", "    id: int identity\n").replace("    key (id)\n", ""),
    )
    .unwrap();
    let o = dddc(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let files: Vec<(String, String)> = std::fs::read_dir(dir.path().join("db/migration"))
        .unwrap()
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).unwrap_or_default()))
        .collect();
    let steps = dddc::introspect::verify::steps(&files, |_| false);
    assert!(steps.len() >= 2, "{files:?}");
    for step in &steps[1..] {
        dddc::introspect::verify::run(&mut db, &step.apply).unwrap();
    }
    let id: i32 = db.query_one("INSERT INTO s.stock (code) VALUES ('c') RETURNING id", &[]).unwrap().get(0);
    assert_eq!(id, 3);
    // The serial's sequence is gone: the identity's has the name a fresh
    // V1 gives it, and is the one pg_get_serial_sequence names.
    let sequences: Vec<String> = db
        .query("SELECT relname::text FROM pg_class WHERE relkind = 'S' AND relnamespace = 's'::regnamespace", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(sequences, ["stock_id_seq"]);
    let named: String = db.query_one("SELECT pg_get_serial_sequence('s.stock', 'id')", &[]).unwrap().get(0);
    assert_eq!(named, "s.stock_id_seq");
}

/// A generated column (imported as a plain one) was reported twice, and
/// each time wrongly: "in the database but not in the model" and
/// "missing from the database". One difference now, that says what it is.
#[test]
fn a_generated_column_imported_as_plain_is_one_difference() {
    let mut db = shared().create_database("import_generated");
    db.batch_execute(
        "CREATE SCHEMA s; CREATE TABLE s.t (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), net int NOT NULL, \
         gross int GENERATED ALWAYS AS (net * 2) STORED);",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let o = dddc(dir.path(), &["import", "--database-url", &url("import_generated")]);
    let err = stderr(&o);
    assert!(o.status.success(), "import failed:\n{err}");
    assert!(
        err.contains("column s.t.gross is generated as net * 2 in the database, a plain column in the model"),
        "{err}"
    );
    assert!(!err.contains("s.t.gross is in the database but not") && !err.contains("s.t.gross is missing"), "{err}");
}

/// A column import left out (a type the language lacks), then a field of
/// its name added to the model: V2's `ADD COLUMN IF NOT EXISTS` skips it,
/// and drift called the column "missing from the database". It says what
/// is there now.
#[test]
fn drift_says_a_column_of_a_type_the_language_lacks_is_there() {
    let mut db = shared().create_database("import_inet");
    db.batch_execute("CREATE SCHEMA s; CREATE TABLE s.t (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), ip inet);")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let o = dddc(dir.path(), &["import", "--database-url", &url("import_inet")]);
    assert!(o.status.success(), "import failed:\n{}", stderr(&o));
    // No Flyway history: drift compares with the lock's last migration.
    let model = read(dir.path(), "model.ddd");
    assert!(model.contains("  aggregate T as t {}\n"), "{model}");
    let model = model.replacen("  aggregate T as t {}\n", "  aggregate T as t {\n    ip: text?\n  }\n", 1);
    std::fs::write(dir.path().join("model.ddd"), &model).unwrap();
    let o = dddc(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v2 = std::fs::read_dir(dir.path().join("db/migration"))
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("V2__"))
        .expect("a V2");
    db.batch_execute(&format!("BEGIN;\n{}\nCOMMIT;", std::fs::read_to_string(v2.path()).unwrap())).unwrap();
    let o = dddc(dir.path(), &["drift", "--database-url", &url("import_inet")]);
    let err = stderr(&o);
    assert!(err.contains("column s.t.ip is in the database, but not as the lock says: type `inet`"), "{err}");
    assert!(!err.contains("s.t.ip is missing"), "{err}");
}
