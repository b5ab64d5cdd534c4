//! A relational schema as statements: the script that creates it (V1) and
//! the one that removes it (U1), printed object by object through
//! [`super::objects`], the renderers later migrations use too.
//!
//! Order of the creating script (each group depends only on earlier ones):
//! schemas, extensions, enum types, functions, tables and their partitions,
//! foreign keys (after every table, so that tables may reference each other
//! in any order), indexes, the names of the partitions' indexes, triggers,
//! row-level security, roles and grants (after the tables they grant on),
//! publications, comments.

use super::objects as o;
use super::stmt::{Ignore, Stmt};
use crate::migrate::change::CommentOn;
use crate::relational::{Schema, TableRef};

/// Creating statements, grouped under `-- section` headings.
pub fn create_statements(schema: &Schema) -> Vec<(String, Vec<Stmt>)> {
    // The comments, three in four of a first build's statements, are made
    // on a thread beside the rest: the design lint beside this soon ends,
    // and the other core was idle for about 60 ms of a first build of
    // 2,000 aggregates (a hundred in all, on one thread).
    std::thread::scope(|s| {
        let comments = crate::threads::beside(s, || comments(schema));
        let mut groups = objects(schema);
        let comments = comments.join();
        if !comments.is_empty() {
            groups.push(("Comments".to_string(), comments));
        }
        groups
    })
}

/// [`create_statements`] but the comments.
fn objects(schema: &Schema) -> Vec<(String, Vec<Stmt>)> {
    let mut groups: Vec<(String, Vec<Stmt>)> = Vec::new();
    let mut push = |title: &str, stmts: Vec<Stmt>| {
        if !stmts.is_empty() {
            groups.push((title.to_string(), stmts));
        }
    };
    push("Schemas (one per bounded context)", schema.schemas.iter().map(|s| o::create_schema(&s.name)).collect());
    push("Extensions", schema.extensions.iter().map(|e| o::create_extension(e)).collect());
    push("Enum types", schema.enum_types.iter().map(o::create_enum_type).collect());
    push(
        "Functions",
        schema
            .functions
            .iter()
            .flat_map(|f| std::iter::once(o::create_function(f)).chain(o::function_privileges(f)))
            .collect(),
    );
    let mut tables = Vec::new();
    for t in &schema.tables {
        tables.push(o::create_table(t));
        for part in t.partitioning.iter().flat_map(|p| &p.partitions) {
            tables.push(o::create_partition(&TableRef::of(t), part));
        }
    }
    push("Tables", tables);
    push(
        "Foreign keys",
        schema
            .tables
            .iter()
            .flat_map(|t| t.foreign_keys.iter().map(move |f| o::add_foreign_key(&TableRef::of(t), f, false)))
            .collect(),
    );
    push(
        "Indexes",
        schema
            .tables
            .iter()
            .flat_map(|t| t.indexes.iter().map(move |i| o::create_index(&TableRef::of(t), i, false)))
            .collect(),
    );
    push(
        "Index names of partitions (PostgreSQL names a partition's copy of an index itself)",
        schema.tables.iter().filter_map(|t| o::partition_index_names(t)).collect(),
    );
    push(
        "Triggers",
        schema
            .tables
            .iter()
            .flat_map(|t| t.triggers.iter().flat_map(move |tr| o::create_trigger(schema.target, &TableRef::of(t), tr)))
            .collect(),
    );
    let mut rls = Vec::new();
    for t in &schema.tables {
        // A partition named directly is a table of its own: it gets the
        // same protection as its parent.
        for rel in o::rls_relations(t) {
            rls.extend(o::enable_rls(&t.schema, &rel));
            for p in &t.policies {
                rls.extend(o::create_policy(&t.schema, &rel, p));
            }
        }
    }
    push("Row-level security (on every partition too)", rls);
    let mut roles = Vec::new();
    for r in &schema.roles {
        roles.push(o::create_role(&r.name));
        for s in &r.read {
            roles.extend(o::grants(&r.name, s, false));
        }
        for s in &r.write {
            roles.extend(o::grants(&r.name, s, true));
        }
    }
    push("Roles and grants (NOLOGIN: no credentials in migrations)", roles);
    push("Publications", schema.publications.iter().map(o::create_publication).collect());
    groups
}

/// The undo of [`create_statements`]: drops what it created, in reverse order.
pub fn drop_statements(schema: &Schema) -> Vec<(String, Vec<Stmt>)> {
    let mut groups: Vec<(String, Vec<Stmt>)> = Vec::new();
    let mut push = |title: &str, stmts: Vec<Stmt>| {
        if !stmts.is_empty() {
            groups.push((title.to_string(), stmts));
        }
    };
    push("Publications", schema.publications.iter().map(|p| o::drop_publication(&p.name)).collect());
    push(
        "Roles: their privileges revoked; dropped unless they can log in (dddc never creates such a role) or something still depends on them",
        schema
            .roles
            .iter()
            .rev()
            .map(|r| o::drop_role(&r.name, &r.read.iter().chain(&r.write).cloned().collect::<Vec<_>>()))
            .collect(),
    );
    push(
        "Foreign keys",
        schema
            .tables
            .iter()
            .rev()
            .flat_map(|t| t.foreign_keys.iter().rev().map(move |f| o::drop_constraint(&TableRef::of(t), &f.name)))
            .collect(),
    );
    push(
        "Tables (with their partitions, indexes, triggers and policies)",
        schema.tables.iter().rev().map(|t| o::drop_table(&t.schema, &t.name)).collect(),
    );
    push("Functions", schema.functions.iter().rev().map(o::drop_function).collect());
    push("Enum types", schema.enum_types.iter().rev().map(|e| o::drop_enum_type(&e.schema, &e.name)).collect());
    push("Extensions", schema.extensions.iter().rev().map(|e| o::drop_extension(e)).collect());
    // `public` exists in every database before V1 and stays after U1.
    push(
        "Schemas",
        schema.schemas.iter().rev().filter(|s| s.name != "public").map(|s| o::drop_schema(&s.name)).collect(),
    );
    groups
}

/// Statements as a script: a header, the statements that set the session
/// up (timeouts), then each group under its heading. A statement that
/// squawk flags by design carries squawk's ignore comment with the reason.
///
/// The text is sized exactly before it is written: grown by doubling, the
/// online file of every context made tenant-scoped at 20,000 aggregates
/// (192 MB, with a header of 19 MB and 220,100 ignore comments) was copied
/// once more onto fresh pages.
pub fn script<T: AsRef<str>, S: AsRef<[Stmt]>>(header: &[String], prelude: &[String], groups: &[(T, S)]) -> String {
    let header_len: usize = header.iter().map(|h| "-- ".len() + h.len() + 1).sum();
    let prelude_len: usize =
        if prelude.is_empty() { 0 } else { 1 + prelude.iter().map(|p| p.len() + 1).sum::<usize>() };
    let groups_len: usize = groups
        .iter()
        .map(|(title, stmts)| {
            "\n-- ".len()
                + title.as_ref().len()
                + 1
                + stmts.as_ref().iter().map(|s| ignores_len(&s.ignores) + s.sql.len() + 1).sum::<usize>()
        })
        .sum();
    let size = header_len + prelude_len + groups_len;
    let mut out = String::with_capacity(size);
    for h in header {
        out.push_str("-- ");
        out.push_str(h);
        out.push('\n');
    }
    if !prelude.is_empty() {
        out.push('\n');
        for p in prelude {
            out.push_str(p);
            out.push('\n');
        }
    }
    for (title, stmts) in groups {
        out.push_str("\n-- ");
        out.push_str(title.as_ref());
        out.push('\n');
        for s in stmts.as_ref() {
            push_ignores(&mut out, &s.ignores);
            out.push_str(&s.sql);
            out.push('\n');
        }
    }
    debug_assert_eq!(out.len(), size, "the script's size counted as it is written");
    out
}

/// `-- squawk-ignore rule, rule -- reason; reason`, for a statement with
/// ignores; nothing for one without.
fn push_ignores(out: &mut String, ignores: &[Ignore]) {
    if ignores.is_empty() {
        return;
    }
    out.push_str(IGNORE);
    for (k, i) in ignores.iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        out.push_str(&i.rule);
    }
    out.push_str(" -- ");
    for (k, reason) in reasons(ignores).enumerate() {
        if k > 0 {
            out.push_str("; ");
        }
        out.push_str(reason);
    }
    out.push('\n');
}

/// The ignores' reasons, each once (two rules ignored for one cause, a
/// partitioned table's key built in the transaction, said it twice).
fn reasons(ignores: &[Ignore]) -> impl Iterator<Item = &str> {
    ignores
        .iter()
        .enumerate()
        .filter(|(k, i)| !ignores[..*k].iter().any(|e| e.reason == i.reason))
        .map(|(_, i)| i.reason.as_str())
}

/// The length of what [`push_ignores`] writes.
fn ignores_len(ignores: &[Ignore]) -> usize {
    if ignores.is_empty() {
        return 0;
    }
    let reasons: Vec<&str> = reasons(ignores).collect();
    IGNORE.len()
        + ignores.iter().map(|i| i.rule.len()).sum::<usize>()
        + (ignores.len() - 1) * ", ".len()
        + " -- ".len()
        + reasons.iter().map(|r| r.len()).sum::<usize>()
        + (reasons.len() - 1) * "; ".len()
        + 1
}

const IGNORE: &str = "-- squawk-ignore ";

fn comments(schema: &Schema) -> Vec<Stmt> {
    let mut out = Vec::new();
    let mut c = |on: CommentOn, text: &Option<String>| {
        if let Some(t) = text {
            out.push(o::comment_on(&on, Some(t)));
        }
    };
    for s in &schema.schemas {
        c(CommentOn::Schema(s.name.clone()), &s.comment);
    }
    for e in &schema.enum_types {
        c(CommentOn::Type(e.schema.clone(), e.name.clone()), &e.comment);
    }
    for f in &schema.functions {
        c(CommentOn::Function(f.schema.clone(), f.name.clone(), f.args.clone()), &f.comment);
    }
    for t in &schema.tables {
        let r = TableRef::of(t);
        c(CommentOn::Table(r.clone()), &t.comment);
        for col in &t.columns {
            c(CommentOn::Column(r.clone(), col.name.clone()), &col.comment);
        }
        for ch in &t.checks {
            c(CommentOn::Constraint(r.clone(), ch.name.clone()), &ch.comment);
        }
        for i in &t.indexes {
            c(CommentOn::Index(t.schema.clone(), i.name.clone()), &i.comment);
        }
    }
    for r in &schema.roles {
        c(CommentOn::Role(r.name.clone()), &r.comment);
    }
    out
}
