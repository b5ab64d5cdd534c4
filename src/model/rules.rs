//! Pass 5 — model rules: what only makes sense once everything is resolved:
//! the target version, the audit log, partitioning and its keys, full-text
//! search, roles and publications.

use std::collections::{HashMap, HashSet};

use super::exprs::scope_of;
use super::resolver::{seen_before, Looked, Resolver};
use super::resolver::{EntityLoc, Owner};
use super::types::unknown_field_error;
use super::*;
use crate::diagnostics::codes::id;
use crate::diagnostics::{did_you_mean, some_names_in};

/// Text-search configurations shipped with PostgreSQL.
const TS_CONFIGS: &[&str] = &[
    "simple",
    "arabic",
    "armenian",
    "basque",
    "catalan",
    "danish",
    "dutch",
    "english",
    "finnish",
    "french",
    "german",
    "greek",
    "hindi",
    "hungarian",
    "indonesian",
    "irish",
    "italian",
    "lithuanian",
    "nepali",
    "norwegian",
    "portuguese",
    "romanian",
    "russian",
    "serbian",
    "spanish",
    "swedish",
    "tamil",
    "turkish",
    "yiddish",
];

pub(super) fn run(r: &mut Resolver<'_>) {
    target(r);
    audit_log(r);
    partitions(r);
    events(r);
    search(r);
    roles(r);
    audit_log_access(r);
    publications(r);
    renames(r);
    tenant_references(r);
    index_methods(r);
}

/// What PostgreSQL refuses in an index, which the build used to pass and
/// the first migration then failed on: a method with no default operator
/// class for an item's type (`gin` on a text column: `pg_trgm`'s classes
/// are not the default; `gist` on a scalar without `btree_gist`; `brin` on
/// a boolean, an array or JSON), a `hash` index over several items, and
/// `now()` or `date()` of a timestamp (they depend on the clock or the
/// session's time zone: not IMMUTABLE) in an item or a condition.
fn index_methods(r: &mut Resolver<'_>) {
    let has = |name: &str| r.model.extensions.iter().any(|e| e == name);
    let (gist_scalars, gin_scalars, intarray) = (has("btree_gist"), has("btree_gin"), has("intarray"));
    // Booleans too: `btree_gin` and `btree_gist` index them (PostgreSQL 15
    // builds both; E0405 refused them).
    let scalar =
        |t: ExprType| !matches!(t, ExprType::Array | ExprType::Json | ExprType::Geo | ExprType::Any | ExprType::Null);
    // A native enum is a type of its own, which `brin` has no operator
    // class for (a CHECK enum is text, which it has).
    let native = |t: ExprType| matches!(t, ExprType::Enum(id) if r.model.enums.get(id.0).is_some_and(|e| e.native));
    let mut problems: Vec<(Span, String, String, &'static str)> = Vec::new();
    for a in &r.model.aggregates {
        for e in a.root.walk() {
            // `intarray` gives `int[]` (and only it) a default gist class.
            let int_array = |item: &crate::model::TExpr| {
                matches!(&item.kind, TExprKind::Column(c)
                    if e.fields.iter().any(|f| f.column == *c && f.ty == crate::model::FieldType::Array(crate::model::Scalar::Int)))
            };
            for ix in &e.indexes {
                let method = ix.method.word();
                if ix.method == IndexMethod::Hash && ix.items.len() > 1 {
                    problems.push((
                        ix.span,
                        "a hash index over several items".into(),
                        "PostgreSQL's hash indexes have one column".into(),
                        "index one item with `using hash`, or drop `using hash` for a btree index over all of them",
                    ));
                }
                for item in &ix.items {
                    let t = item.ty;
                    let indexable = match ix.method {
                        IndexMethod::Btree | IndexMethod::Hash => true,
                        IndexMethod::Gin => {
                            matches!(t, ExprType::Array | ExprType::Json | ExprType::Any) || (gin_scalars && scalar(t))
                        }
                        IndexMethod::Gist => {
                            matches!(t, ExprType::Geo | ExprType::Any)
                                || (gist_scalars && scalar(t))
                                || (intarray && int_array(item))
                        }
                        IndexMethod::Brin => {
                            !matches!(t, ExprType::Bool | ExprType::Array | ExprType::Json) && !native(t)
                        }
                    };
                    if !indexable {
                        let help = match ix.method {
                            IndexMethod::Gin if scalar(t) => "gin indexes arrays and JSON; for words in text use `search`, for equality and ranges drop `using gin` (a btree index), or add `btree_gin` to the model's `extensions`",
                            IndexMethod::Gist if scalar(t) => "gist indexes geometry; for a scalar column drop `using gist` (a btree index), or add `btree_gist` to the model's `extensions`",
                            _ => "drop `using …` for a btree index",
                        };
                        problems.push((
                            item.span,
                            format!(
                                "`using {method}` cannot index {}",
                                if native(t) { "a native enum" } else { type_words(t) }
                            ),
                            format!("PostgreSQL has no default {method} operator class for this type"),
                            help,
                        ));
                    }
                }
                for x in ix.items.iter().chain(&ix.where_clause) {
                    x.walk(&mut |sub| {
                        let TExprKind::Call(f, args) = &sub.kind else { return };
                        let moving = match f {
                            Function::Now => true,
                            Function::Date => args.first().is_some_and(|a| a.ty == ExprType::Timestamp),
                            _ => false,
                        };
                        if moving {
                            problems.push((
                                sub.span,
                                format!("`{}()` in an index", f.name()),
                                "its value depends on the clock or the session's time zone: PostgreSQL builds indexes only with IMMUTABLE functions".into(),
                                "index the column itself (a range condition in the query uses it), or store the value in a field of its own",
                            ));
                        }
                    });
                }
            }
        }
    }
    for (span, message, label, help) in problems {
        r.error(Diagnostic::error(id::E0405, message).at(span, label).with_help(help));
    }
}

fn type_words(t: ExprType) -> &'static str {
    match t {
        ExprType::Bool => "a boolean",
        ExprType::Text => "text",
        ExprType::Int => "an integer",
        ExprType::Decimal => "a decimal",
        ExprType::Date => "a date",
        ExprType::Time => "a time",
        ExprType::Timestamp => "a timestamp",
        ExprType::Interval => "an interval",
        ExprType::Uuid => "a uuid",
        ExprType::Json => "JSON",
        ExprType::Bytes => "bytes",
        ExprType::Geo => "a geometry",
        ExprType::Array => "an array",
        ExprType::Enum(_) => "an enum",
        ExprType::Null | ExprType::Any => "this value",
    }
}

fn target(r: &mut Resolver<'_>) {
    let v = r.model.target;
    if !(13..=18).contains(&v) {
        let span = r.target_span.unwrap_or(r.model.span);
        r.error(
            Diagnostic::error(id::E0502, format!("PostgreSQL {v} is not a supported target"))
                .at(span, "supported targets are 13 to 18")
                .with_help(
                    "the generated SQL relies on gen_random_uuid() (13+) and stored generated columns (12+); write `target postgres 16`",
                ),
        );
        r.model.target = v.clamp(13, 18);
    }
}

fn check_range(r: &mut Resolver<'_>, range: &ast::MonthRange) {
    for m in [range.from, range.to] {
        if !(1..=12).contains(&m.month) || m.year < 1900 {
            r.error(
                Diagnostic::error(id::E0503, format!("`{:04}-{:02}` is not a month", m.year, m.month))
                    .at(m.span, "expected `YYYY-MM` with a month from 01 to 12")
                    .with_help("write e.g. `2025-11`"),
            );
            return;
        }
    }
    if (range.from.year, range.from.month) > (range.to.year, range.to.month) {
        r.error(
            Diagnostic::error(id::E0503, "the range ends before it starts")
                .at(range.span, "`from` is after `to`")
                .with_help("swap the two months"),
        );
    } else if (range.to.year - range.from.year) * 12 + range.to.month > range.from.month + 1200 {
        r.error(
            Diagnostic::error(id::E0503, "the range spans more than 100 years")
                .at(range.span, "that is over 1200 partitions")
                .with_help("shorten the range; extend it later with a model edit"),
        );
    }
}

fn audit_log(r: &mut Resolver<'_>) {
    if let Some((path, range, span)) = r.audit_log_ast {
        if let Some(range) = &range {
            check_range(r, range);
        }
        match path.parts.as_slice() {
            [ctx, table] => {
                r.check_identifier(table, "table name");
                if let Some(c) = r.context_id(ctx) {
                    r.model.audit_log = Some(AuditLog {
                        context: c,
                        table: table.name.clone(),
                        range: range.map(|m| MonthRange {
                            from: Month { year: m.from.year, month: m.from.month },
                            to: Month { year: m.to.year, month: m.to.month },
                        }),
                        span,
                    });
                }
            }
            _ => r.error(
                Diagnostic::error(id::E0104, format!("`audit_log {}` names no context", path.text()))
                    .at(path.span, "expected `context.table`")
                    .with_help("write `audit_log auditoria.eventos`"),
            ),
        }
    }
    if r.audit_log_ast.is_none() {
        let audited: Vec<Span> = r.model.aggregates.iter().filter(|a| a.audited).map(|a| a.root.span).collect();
        for span in audited {
            r.error(
                Diagnostic::error(id::E0505, "`audited` aggregate, but the model has no `audit_log`")
                    .at(span, "its changes would have nowhere to go")
                    .with_help("add `audit_log auditoria.eventos` to the model block (and `context auditoria { }`)"),
            );
        }
    }
}

fn partitions(r: &mut Resolver<'_>) {
    let mut refs_to: Option<Vec<Vec<Span>>> = None;
    for (aid, p) in r.partition_asts.clone() {
        let scope = scope_of(r, &Owner::Entity(EntityLoc { aggregate: aid, path: Vec::new() }));
        let Some((column, ty, nullable)) = scope.column(&p.column.name) else {
            let name = &p.column.name;
            r.error(unknown_field_error(name, p.column.span, scope.closest(name), scope.names()));
            continue;
        };
        if nullable {
            r.error(
                Diagnostic::error(id::E0503, format!("partition key `{}` is optional", p.column.name))
                    .at(p.column.span, "a partition key cannot be NULL")
                    .with_help("make the field required"),
            );
        }
        match &p.kind {
            ast::PartitionKind::Range { range } => {
                if let Some(range) = range {
                    check_range(r, range);
                    if !matches!(ty, ExprType::Date | ExprType::Timestamp) {
                        r.error(
                            Diagnostic::error(
                                id::E0503,
                                format!("monthly partitions on `{}`, which is not a date", p.column.name),
                            )
                            .at(p.column.span, "monthly ranges need a `date` or `timestamp` key")
                            .with_help("partition by a date or timestamp column, or drop the monthly range"),
                        );
                    }
                }
            }
            ast::PartitionKind::Hash { modulus, modulus_span } => {
                if *modulus == 0 || *modulus > 1024 {
                    r.error(
                        Diagnostic::error(id::E0503, format!("`into {modulus}` partitions"))
                            .at(*modulus_span, "between 1 and 1024 hash partitions")
                            .with_help("e.g. `partition by hash (id) into 8`"),
                    );
                }
            }
            ast::PartitionKind::List { parts } => {
                // What a text value must fit: the key's declared length, or
                // its enum's values. PostgreSQL 15 refuses a value longer
                // than a `CHAR(n)`/`VARCHAR(n)` key and one that is not a
                // native enum's label when it creates the partition; a
                // CHECK enum's partition it creates, and no row can reach.
                let declared =
                    r.model.aggregates[aid.0].root.fields.iter().find(|f| f.column == column).and_then(|f| {
                        match f.ty {
                            crate::model::FieldType::Scalar(crate::model::Scalar::Text(Some(n)))
                            | crate::model::FieldType::Scalar(crate::model::Scalar::Char(n)) => Some(n as usize),
                            _ => None,
                        }
                    });
                // The enum's values as a set and listed for the help, once
                // (a scan and a list per partition value: 20,000 values
                // not in an enum of 20,000 took 0.43 s to validate).
                let enum_values: Option<(HashSet<String>, String)> = match ty {
                    ExprType::Enum(id) => r.model.enums.get(id.0).map(|e| {
                        let names = e.values.iter().map(|v| v.name.as_str());
                        (names.clone().map(str::to_string).collect(), some_names_in(names))
                    }),
                    _ => None,
                };
                let mut seen_names = std::collections::HashMap::new();
                let mut seen_values: HashSet<String> = HashSet::new();
                if parts.is_empty() {
                    r.error(
                        Diagnostic::error(id::E0503, "a list partitioning with no partition")
                            .at(p.span, "list the partitions")
                            .with_help("e.g. `partition by list (pais) { es: 'ES', mx: 'MX' }`"),
                    );
                }
                for lp in parts {
                    if let Some(first) = seen_before(&mut seen_names, lp.name.name.clone(), lp.name.span) {
                        super::resolver::duplicate(r, "partition", &lp.name, first);
                    }
                    for v in &lp.values {
                        let ok = match (&v.kind, ty) {
                            (ast::ExprKind::Literal(ast::Literal::String(_)), ExprType::Text | ExprType::Enum(_)) => {
                                true
                            }
                            (ast::ExprKind::Literal(ast::Literal::Number(n)), t) => t.is_numeric() && !n.is_empty(),
                            (ast::ExprKind::Literal(ast::Literal::Bool(_)), ExprType::Bool) => true,
                            (ast::ExprKind::Literal(ast::Literal::Date(_)), ExprType::Date) => true,
                            _ => false,
                        };
                        if !ok {
                            r.error(
                                Diagnostic::error(
                                    id::E0503,
                                    format!("partition value does not fit `{}`", p.column.name),
                                )
                                .at(v.span, "wrong type for the partition key")
                                .with_help("list values of the key's type"),
                            );
                        } else if let ast::ExprKind::Literal(ast::Literal::String(text)) = &v.kind {
                            let chars = text.chars().count();
                            if let Some(n) = declared.filter(|n| chars > *n) {
                                r.error(
                                    Diagnostic::error(
                                        id::E0503,
                                        format!("partition value is longer than `{}`", p.column.name),
                                    )
                                    .at(v.span, format!("{chars} characters; the key holds {n}"))
                                    .with_help("list values the key can hold, or widen the field"),
                                );
                            }
                            if let Some((_, listed)) = enum_values.as_ref().filter(|(vs, _)| !vs.contains(text)) {
                                r.error(
                                    Diagnostic::error(
                                        id::E0503,
                                        format!(
                                            "partition value '{text}' is not a value of `{}`'s enum",
                                            p.column.name
                                        ),
                                    )
                                    .at(v.span, "no row can hold it")
                                    .with_help(format!("list the enum's values: {listed}")),
                                );
                            }
                        }
                        let text = crate::syntax::fmt::expr_to_string(v);
                        if !seen_values.insert(text.clone()) {
                            r.error(
                                Diagnostic::error(id::E0503, format!("value {text} is listed in two partitions"))
                                    .at(v.span, "listed again")
                                    .with_help("a value belongs to one partition"),
                            );
                        }
                    }
                }
            }
        }
        if let Some(part) = &mut r.model.aggregates[aid.0].partition {
            part.column = column.clone();
        }
        // Uniques must contain the key; the compiler adds it to the primary key.
        let root = &r.model.aggregates[aid.0].root;
        let mut errors = Vec::new();
        for f in &root.fields {
            if f.unique && f.column != column {
                errors.push((f.span, format!("`{}` is unique on its own", f.name)));
            }
        }
        for ix in root.indexes.iter().filter(|i| i.unique) {
            let cols: Vec<String> = ix.items.iter().flat_map(TExpr::columns).collect();
            if !cols.contains(&column) {
                errors.push((ix.span, "this unique lacks the partition key".to_string()));
            }
        }
        for (span, label) in errors {
            r.error(
                Diagnostic::error(
                    id::E0501,
                    format!("a unique on a table partitioned by `{}` must include it", p.column.name),
                )
                .at(span, label)
                .with_secondary(p.column.span, "partition key")
                .with_help(format!(
                    "add `{}` to the unique: PostgreSQL enforces uniqueness per partition",
                    p.column.name
                )),
            );
        }
        // Foreign keys need a unique target; with the key added to the
        // primary key, `id` alone is no longer one.
        if column != "id" {
            let root = &r.model.aggregates[aid.0].root;
            if let Some(child) = root.entities.first() {
                let span = child.span;
                r.error(
                    Diagnostic::error(id::E0503, "a partitioned aggregate with entities")
                        .at(span, "this entity's foreign key could not point at the partitioned root")
                        .with_secondary(p.span, "partitioned here")
                        .with_help("partition by `id` (`partition by hash (id) into 8`), or make the entity an aggregate of its own"),
                );
            }
            let name = r.model.aggregates[aid.0].name.clone();
            // Every foreign key, by its target, gathered once: a walk of
            // the model per partitioned aggregate grew with the square of
            // a model with one in every few contexts.
            let refs_to = refs_to.get_or_insert_with(|| {
                let mut by_target = vec![Vec::new(); r.model.aggregates.len()];
                for a in &r.model.aggregates {
                    for e in a.root.walk() {
                        for f in &e.fields {
                            if let FieldType::Ref(rf) = &f.ty {
                                // (An unresolved one's target is none.)
                                if let Some(to) = by_target.get_mut(rf.target.0).filter(|_| !rf.loose) {
                                    to.push(f.span);
                                }
                            }
                        }
                    }
                }
                by_target
            });
            for span in refs_to[aid.0].clone() {
                r.error(
                    Diagnostic::error(id::E0503, format!("a foreign key to partitioned aggregate `{name}`"))
                        .at(span, "its primary key includes the partition key, so `id` alone is not unique")
                        .with_secondary(p.span, "partitioned here")
                        .with_help(format!("make it `ref {name} loose`, or partition `{name}` by `id`")),
                );
            }
        }
    }
}

fn events(r: &mut Resolver<'_>) {
    for a in r.aggregate_asts.clone() {
        for item in &a.items {
            if let ast::AggregateItem::Events(ev) = item {
                if let Some(range) = &ev.range {
                    check_range(r, range);
                }
            }
        }
    }
}

fn search(r: &mut Resolver<'_>) {
    for (loc, s) in r.search_asts.clone() {
        if !TS_CONFIGS.contains(&s.config.name.as_str()) {
            let mut d = Diagnostic::error(id::E0107, format!("unknown text-search configuration `{}`", s.config.name))
                .at(s.config.span, "not a configuration PostgreSQL ships");
            d = match did_you_mean(&s.config.name, TS_CONFIGS.iter().copied()) {
                Some(x) => d.with_help(format!("did you mean `{x}`?")),
                None => d.with_help("use `simple`, `english`, `spanish`, … (see `\\dF` in psql)"),
            };
            r.error(d);
        }
        // The fields' names once per search (once per item, a search of
        // 1,500 fields took 0.38 s to validate).
        let scope = scope_of(r, &Owner::Entity(loc.clone()));
        let mut items = Vec::new();
        let mut searched = HashSet::new();
        for item in &s.items {
            let key = item.path.text();
            match scope.column(&key) {
                Some((column, ExprType::Text, _)) => {
                    if !searched.insert(column.clone()) {
                        r.error(
                            Diagnostic::error(id::E0508, format!("`{key}` is searched twice"))
                                .at(item.path.span, "listed again")
                                .with_help("list each field once, with its weight"),
                        );
                    }
                    items.push((column, item.weight.map_or('D', |w| w.0)));
                }
                Some((_, ty, _)) => {
                    let _ = ty;
                    r.error(
                        Diagnostic::error(id::E0508, format!("`{key}` is not text"))
                            .at(item.path.span, "full-text search indexes text fields")
                            .with_help("search text fields only"),
                    );
                }
                None => {
                    r.error(unknown_field_error(&key, item.path.span, scope.closest(&key), scope.names()));
                }
            }
        }
        if let Some(search) = &mut r.entity_mut(&loc).search {
            search.items = items;
        }
    }
}

/// Whether PostgreSQL keeps the name for itself: `public`, `none` and the
/// session's role names may not name a role, and `pg_` starts the system's
/// roles and schemas; `information_schema` is the standard's schema. Each
/// built, and the first migration failed (`role name "public" is
/// reserved`), or a context took `information_schema` as its schema and
/// its undo dropped it.
fn reserved_by_postgresql(name: &str, role: bool) -> bool {
    let lower = name.to_ascii_lowercase();
    if role {
        lower.starts_with("pg_")
            || matches!(lower.as_str(), "public" | "none" | "current_user" | "session_user" | "current_role")
    } else {
        // A context's `pg_` is refused with the schema names.
        lower == "information_schema"
    }
}

fn reserved_names(r: &mut Resolver<'_>) {
    let mut found = Vec::new();
    for role in &r.role_asts {
        if reserved_by_postgresql(&role.name.name, true) {
            found.push((role.name.span, "role", role.name.name.clone()));
        }
    }
    for c in &r.model.contexts {
        if reserved_by_postgresql(&c.name, false) {
            found.push((c.span, "context", c.name.clone()));
        }
    }
    for (span, what, name) in found {
        r.error(
            Diagnostic::error(id::E0106, format!("{what} name `{name}` is reserved by PostgreSQL"))
                .at(span, format!("PostgreSQL keeps `{name}` for itself"))
                .with_help(format!("name the {what} something else (names starting with `pg_` are the system's)")),
        );
    }
}

fn roles(r: &mut Resolver<'_>) {
    reserved_names(r);
    for role in r.role_asts.clone() {
        let mut out = Role {
            name: role.name.name.clone(),
            doc: role.doc.as_ref().map(|d| d.text.clone()),
            span: role.name.span,
            read: Vec::new(),
            write: Vec::new(),
        };
        // Each list's contexts as a set beside it (a search of the list per
        // grant grew with the square of a role over many contexts).
        let (mut read, mut write) = (HashSet::new(), HashSet::new());
        for g in &role.grants {
            for c in &g.contexts {
                if let Some(cid) = r.context_id(c) {
                    let (list, seen) = if g.write { (&mut out.write, &mut write) } else { (&mut out.read, &mut read) };
                    if seen.insert(cid) {
                        list.push(cid);
                    }
                }
            }
        }
        // `write` includes `read`.
        out.read.retain(|c| !write.contains(c));
        r.model.roles.push(out);
    }
}

/// The audit log holds the rows of every audited table, of every tenant,
/// before and after each change. A context scoped by tenant would make it
/// a table of no tenant with no row-level security (its rows readable and
/// deletable by any tenant the schema's grants reach): an error. A role
/// that writes its context may forge or delete the trail: a warning. A
/// role that reads it reads, through it, the audited rows of contexts it
/// has no grant on, and an application role (one that writes) every
/// tenant's: a warning each (an auditor role that reads every audited
/// context and writes nothing is what the log is for).
fn audit_log_access(r: &mut Resolver<'_>) {
    let Some(log) = r.model.audit_log.as_ref().map(|l| (l.context, l.span, l.table.clone())) else { return };
    let (context, span, table) = log;
    let name = r.model.contexts[context.0].name.clone();
    if let Some(column) = r.model.contexts[context.0].tenant_by.clone() {
        r.error(
            Diagnostic::error(id::E0510, format!("the audit log `{name}.{table}` is in a context scoped by tenant"))
                .at(span, format!("`{name}` says `tenant by {column}`, which the shared log cannot honour"))
                .with_help(
                    "the log holds every tenant's rows: put it in a context of its own, without `tenant by` (`audit_log auditoria.eventos`, `context auditoria { }`), and let only roles that may see every tenant read it",
                ),
        );
    }
    // A writer of the log's context: a warning, not an error (such models
    // were valid, and moving the log drops it): once per role.
    for role in r.role_asts.clone() {
        let grant = role.grants.iter().filter(|g| g.write).flat_map(|g| &g.contexts).find(|c| c.name == name);
        if let Some(c) = grant {
            // (`error` records any diagnostic; this one is a warning.)
            r.error(
                Diagnostic::warning(
                    id::W0003,
                    format!("role `{}` may write `{name}`, which holds the audit log", role.name.name),
                )
                .at(c.span, "writing this context means writing the audit trail: forging or deleting it")
                .with_help(
                    "the audit triggers write the log whatever the role: give the role `read` on this context, or keep the log in a context of its own",
                ),
            );
        }
    }
    audit_log_readers(r, context, &name);
}

/// W0004: a role that reads the audit log's context (and does not write
/// it: W0003 says that) reads through the log what its grants keep from
/// it.
fn audit_log_readers(r: &mut Resolver<'_>, log: ContextId, name: &str) {
    let reads_log =
        |role: &crate::syntax::ast::Role| role.grants.iter().flat_map(|g| &g.contexts).any(|c| c.name == name);
    if !r.role_asts.iter().any(|role| reads_log(role)) {
        return;
    }
    // The audited contexts but the log's, in model order, and those of
    // them with an aggregate scoped by tenant: flags by context (a list
    // searched per aggregate grew with the square of a model of many
    // audited contexts).
    let mut audited_at = vec![false; r.model.contexts.len()];
    let mut tenant_at = vec![false; r.model.contexts.len()];
    for a in r.model.aggregates.iter().filter(|a| a.audited && a.context != log) {
        audited_at[a.context.0] = true;
        tenant_at[a.context.0] |= a.tenant.is_some();
    }
    let names = |flags: &[bool]| -> Vec<&str> {
        r.model.contexts.iter().zip(flags).filter(|(_, f)| **f).map(|(c, _)| c.name.as_str()).collect()
    };
    let (audited, tenants) = (names(&audited_at), names(&tenant_at));
    // At most five names, then how many more (every context of a large
    // model made one line of its own size).
    let list = |names: &[&str]| {
        let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        crate::diagnostics::first_names(&quoted, 5)
    };
    let mut found = Vec::new();
    for role in &r.role_asts {
        let granted = |write: bool| role.grants.iter().filter(move |g| g.write == write).flat_map(|g| &g.contexts);
        let Some(read) = granted(false).find(|c| c.name == name) else { continue };
        if granted(true).any(|c| c.name == name) {
            continue;
        }
        let grants: std::collections::HashSet<&str> =
            role.grants.iter().flat_map(|g| &g.contexts).map(|c| c.name.as_str()).collect();
        let hidden: Vec<&str> = audited.iter().copied().filter(|c| !grants.contains(c)).collect();
        let writes = granted(true).next().map(|c| c.name.clone());
        let d = if !hidden.is_empty() {
            Diagnostic::warning(
                id::W0004,
                format!(
                    "role `{}` may read `{name}`, which holds the audit log of {}, which it may not read",
                    role.name.name,
                    list(&hidden)
                ),
            )
            .at(read.span, "reading this context means reading the rows before and after each change of every audited table")
            .with_help(format!(
                "grant the role `read` on {} if it may read {}, or take `{name}` from it (the log is for a role that may read every audited context)",
                list(&hidden),
                if hidden.len() == 1 { "it" } else { "them" }
            ))
        } else if let (Some(w), false) = (writes, tenants.is_empty()) {
            Diagnostic::warning(
                id::W0004,
                format!(
                    "role `{}` writes `{w}` and may read `{name}`, which holds every tenant's audited rows of {}",
                    role.name.name,
                    list(&tenants)
                ),
            )
            .at(
                read.span,
                "the log has no row-level security: through it, an application role reads every tenant's rows",
            )
            .with_help(format!(
                "take `{name}` from this role, and give `read` on it to an auditor role of its own that writes nothing"
            ))
        } else {
            continue;
        };
        found.push(d);
    }
    for d in found {
        // (`error` records any diagnostic; this one is a warning.)
        r.error(d);
    }
}

fn publications(r: &mut Resolver<'_>) {
    for p in r.publication_asts.clone() {
        let mut items = Vec::new();
        for path in &p.items {
            match path.parts.as_slice() {
                [ctx] => {
                    if let Some(c) = r.context_id(ctx) {
                        items.push(PublicationItem::Context(c));
                    }
                }
                [ctx, agg] => {
                    let Some(c) = r.context_id(ctx) else { continue };
                    // By the scope's names (a scan of the aggregates per
                    // item grew with the square of a publication of every
                    // aggregate).
                    let found = match r.types.get(&(Some(c), agg.name.clone())) {
                        Some((super::resolver::Decl::Aggregate(a), _)) => Some(*a),
                        _ => None,
                    };
                    match found {
                        Some(a) => items.push(PublicationItem::Aggregate(a)),
                        None => {
                            let close = r.name_index().closest(Looked::Aggregate, Some(c), &agg.name, |index| {
                                index.aggregates_in.get(&c).into_iter().flatten().map(String::as_str).collect()
                            });
                            let mut d = Diagnostic::error(id::E0102, format!("unknown aggregate `{}`", path.text()))
                                .at(path.span, "no such aggregate in this context");
                            if let Some(s) = close {
                                d = d.with_help(format!("did you mean `{s}`?"));
                            } else {
                                d = d.with_help("a publication lists contexts or `context.Aggregate`");
                            }
                            r.error(d);
                        }
                    }
                }
                _ => r.error(
                    Diagnostic::error(id::E0102, format!("`{}` is not a context or aggregate", path.text()))
                        .at(path.span, "expected `context` or `context.Aggregate`")
                        .with_help("a publication lists contexts or `context.Aggregate`"),
                ),
            }
        }
        r.model.publications.push(Publication {
            name: p.name.name.clone(),
            doc: p.doc.as_ref().map(|d| d.text.clone()),
            span: p.name.span,
            items,
        });
    }
}

/// `@was(old)` renames `old` into this declaration: when `old` is still
/// declared beside it, the rename cannot happen (and the build would read
/// the edit as an addition), so both are named.
fn renames(r: &mut Resolver<'_>) {
    let mut clashes: Vec<(Span, String, Span, &'static str)> = Vec::new();
    // The declaration's own name: `@was` of itself renames nothing (an
    // aggregate moved to another context keeps its name; see below).
    let mut selves: Vec<(Span, String, &'static str)> = Vec::new();
    let mut check = |was: &Option<Was>, own: &str, siblings: &[(&str, Span)], what: &'static str| {
        if let Some(w) = was {
            if w.name == own {
                selves.push((w.span, w.name.clone(), what));
            } else if let Some((_, span)) = siblings.iter().find(|(n, _)| *n == w.name) {
                clashes.push((w.span, w.name.clone(), *span, what));
            }
        }
    };
    let m = &r.model;
    let contexts: Vec<(&str, Span)> = m.contexts.iter().map(|c| (c.name.as_str(), c.span)).collect();
    for c in &m.contexts {
        check(&c.was, &c.name, &contexts, "context");
    }
    // The names beside each declaration, per context, listed once: built
    // per declaration, they made this pass quadratic (16 % of `validate`'s
    // samples at 20,000 aggregates).
    let mut enum_siblings: HashMap<Option<ContextId>, Vec<(&str, Span)>> = HashMap::new();
    for o in &m.enums {
        enum_siblings.entry(o.context).or_default().push((o.name.as_str(), o.span));
    }
    let mut aggregate_siblings: HashMap<ContextId, Vec<(&str, Span)>> = HashMap::new();
    for o in &m.aggregates {
        aggregate_siblings.entry(o.context).or_default().push((o.name.as_str(), o.root.span));
    }
    for e in &m.enums {
        let siblings = enum_siblings.get(&e.context).map_or(&[][..], Vec::as_slice);
        check(&e.was, &e.name, siblings, "enum");
        let values: Vec<(&str, Span)> = e.values.iter().map(|v| (v.name.as_str(), v.span)).collect();
        for v in &e.values {
            check(&v.was, &v.name, &values, "enum value");
        }
    }
    for a in &m.aggregates {
        let siblings = aggregate_siblings.get(&a.context).map_or(&[][..], Vec::as_slice);
        check(&a.root.was, &a.name, siblings, "aggregate");
        for e in a.root.walk() {
            let children: Vec<(&str, Span)> = e.entities.iter().map(|c| (c.name.as_str(), c.span)).collect();
            for c in &e.entities {
                check(&c.was, &c.name, &children, "entity");
            }
            let fields: Vec<(&str, Span)> = e.fields.iter().map(|f| (f.name.as_str(), f.span)).collect();
            for f in &e.fields {
                check(&f.was, &f.name, &fields, "field");
            }
        }
    }
    for v in &m.values {
        if let ValueShape::Fields { fields, .. } = &v.shape {
            let names: Vec<(&str, Span)> = fields.iter().map(|f| (f.name.as_str(), f.span)).collect();
            for f in fields {
                check(&f.was, &f.name, &names, "field");
            }
        }
    }
    for (at, name, what) in selves {
        let help = if what == "aggregate" {
            "`@was` names an old name in the same context; moving an aggregate to another context (its tables to another schema) is not something dddc migrates yet: keep it in its context, or create it in the new one, copy the rows with a hand-written migration, and remove the old one with `--allow-destructive`".to_string()
        } else {
            format!("remove `@was({name})`")
        };
        r.error(
            Diagnostic::error(id::E0509, format!("`@was({name})` names this {what} itself"))
                .at(at, format!("this {what} is already called `{name}`"))
                .with_help(help),
        );
    }
    for (at, name, existing, what) in clashes {
        r.error(
            Diagnostic::error(id::E0509, format!("`@was({name})` renames {what} `{name}`, which still exists"))
                .at(at, format!("says this {what} was called `{name}`"))
                .with_secondary(existing, format!("but `{name}` is still declared here"))
                .with_help(format!(
                    "a rename replaces the old declaration: remove `{name}`, or remove `@was({name})` if both should exist"
                )),
        );
    }
}

/// A reference between two tenant-scoped aggregates is a composite foreign
/// key `(tenant, x_id)`: `set null`/`set default` may touch only the
/// reference's own columns, which PostgreSQL supports on delete from 15 on
/// (`ON DELETE SET NULL (x_id)`) and never on update.
///
/// A reference from a table that is not tenant-scoped to a tenant-scoped
/// aggregate is refused unless it is `loose`: its foreign key would be the
/// target's `id` alone (or nothing to reference at all, when the target's
/// key is supplied, and so unique per tenant), and a foreign key's checks ignore
/// row-level security — any tenant could probe another's ids, point a
/// shared row at them, and block their deletes.
fn tenant_references(r: &mut Resolver<'_>) {
    let mut problems = Vec::new();
    let mut untenanted = Vec::new();
    for a in &r.model.aggregates {
        if a.tenant.is_none() {
            for e in a.root.walk() {
                for f in &e.fields {
                    let FieldType::Ref(rf) = &f.ty else { continue };
                    let target = &r.model.aggregates[rf.target.0];
                    if !rf.loose && target.tenant.is_some() {
                        untenanted.push((f.span, a.name.clone(), target.name.clone()));
                    }
                }
            }
            continue;
        }
        for e in a.root.walk() {
            for f in &e.fields {
                let FieldType::Ref(rf) = &f.ty else { continue };
                let target = &r.model.aggregates[rf.target.0];
                if rf.loose || target.tenant.is_none() {
                    continue;
                }
                let nulls = |x: RefAction| matches!(x, RefAction::SetNull | RefAction::SetDefault);
                if nulls(rf.on_update) {
                    problems.push((f.span, format!("on update {}", rf.on_update.words()), None));
                } else if nulls(rf.on_delete) && r.model.target < 15 {
                    problems.push((f.span, format!("on delete {}", rf.on_delete.words()), Some(r.model.target)));
                }
            }
        }
    }
    for (span, source, target) in untenanted {
        r.error(
            Diagnostic::error(
                id::E0307,
                format!("`{source}` is not tenant-scoped but references the tenant-scoped `{target}`"),
            )
            .at(span, "its foreign key could not include the tenant: any tenant could point it at another's rows")
            .with_help(format!(
                "make `{source}` tenant-scoped (`tenant_scoped`, or `tenant by` on its context), or make the reference `loose` (an id column and an index, no foreign key)"
            )),
        );
    }
    for (span, action, target) in problems {
        let d = match target {
            Some(v) => Diagnostic::error(
                id::E0306,
                format!("`{action}` on a reference between tenant-scoped aggregates needs PostgreSQL 15"),
            )
            .at(span, format!("the foreign key is `(tenant, id)`; PostgreSQL {v} would clear the tenant column too"))
            .with_help(
                "target postgres 15 or later (`ON DELETE SET NULL (column)`), or use `on delete restrict` or `cascade`",
            ),
            None => Diagnostic::error(id::E0306, format!("`{action}` on a reference between tenant-scoped aggregates"))
                .at(span, "the foreign key is `(tenant, id)`; PostgreSQL would clear the tenant column too")
                .with_help("use `on update cascade`, `restrict` or `no action`"),
        };
        r.error(d);
    }
}
