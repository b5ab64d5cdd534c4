//! What `dddc build` writes, computed without touching the disk: the caller
//! (the CLI) reads the current files, asks for the outputs and writes them.
//! (The one exception is the documents' memo, when the caller hands one in
//! [`DocsOptions::memo`]: it is read, and new entries go to its temporary
//! files, kept only when the caller saves it.)

use std::path::PathBuf;

use crate::config::Config;
use crate::diagnostics::Diagnostic;
use crate::lock::{FileSum, Lock, Migration};
use crate::model::Model;
pub use crate::output::Output;
use crate::relational::{self, Schema};
use crate::sql::ddl;
use crate::sql::stmt::Stmt;

/// What a build produces.
#[derive(Debug, Default)]
pub struct Plan {
    pub outputs: Vec<Output>,
    /// One line per migration written, for the user.
    pub summary: Vec<String>,
    /// Facts worth a line to the user (a lock upgraded to a new format).
    pub notices: Vec<String>,
    pub warnings: Vec<Diagnostic>,
    /// Each migration written, statement by statement.
    pub files: Vec<FileReport>,
}

#[derive(Debug)]
pub enum BuildError {
    /// Problems in the model (E0601 …).
    Diagnostics(Vec<Diagnostic>),
    /// Changes that can lose data, not allowed.
    Refused(Vec<crate::migrate::Refusal>),
    /// Anything else, in one sentence.
    Message(String),
    /// The lock's snapshot, read only when needed
    /// ([`Inputs::schema_pending`]), does not parse: what
    /// [`Lock::parse`] would have said.
    Snapshot(String),
}

/// Inputs that are not the model: the lock as it is on disk and the build's
/// options.
pub struct Inputs<'a> {
    pub config: &'a Config,
    pub lock: Option<Lock>,
    /// `--name`: the migration's description.
    pub name: Option<&'a str>,
    /// `SOURCE_DATE_EPOCH`, when set: a date for migration headers (and the
    /// version under `versioning = "timestamp"`).
    pub source_date_epoch: Option<i64>,
    /// The time now, for `versioning = "timestamp"` without
    /// `SOURCE_DATE_EPOCH`.
    pub now_epoch: i64,
    pub allow_destructive: bool,
    /// The project folder, to find documentation template overrides.
    pub project_dir: &'a std::path::Path,
    /// The model already lowered in the documents' language (the front
    /// end's, see [`crate::frontend_in`]): lowering is then not repeated.
    pub lowered: Option<&'a Schema>,
    /// The text of `dddc.schema` that `lock` was read from, or its file:
    /// whether the schema changed is then one snapshot compared with it,
    /// instead of two written.
    pub snapshot: Option<&'a crate::lock::Snapshot>,
    /// `lock` was read without its schema ([`Lock::parse_deferred`]): the
    /// schema is read from `snapshot` only when that text is not the
    /// one the model's schema writes.
    pub schema_pending: bool,
    /// How the documents are made.
    pub docs: DocsOptions<'a>,
    /// Whether each file's report keeps its statements
    /// ([`FileReport::statements`], `dddc plan`'s lock report). A build has
    /// no use for them: at 2,000 aggregates a first one's held 23 MB to
    /// the end, beside the file's text.
    pub keep_statements: bool,
}

impl<'a> Inputs<'a> {
    /// A first build (no lock), nothing else set.
    pub fn new(config: &'a Config, project_dir: &'a std::path::Path) -> Inputs<'a> {
        Inputs {
            config,
            lock: None,
            name: None,
            source_date_epoch: None,
            now_epoch: 0,
            allow_destructive: false,
            project_dir,
            lowered: None,
            snapshot: None,
            schema_pending: false,
            docs: DocsOptions::default(),
            keep_statements: true,
        }
    }

    /// The inputs' documents part.
    pub fn docs(&self) -> DocsInputs<'a> {
        DocsInputs { config: self.config, project_dir: self.project_dir, options: self.docs }
    }
}

/// How the documents are made, beyond the model and the configuration.
#[derive(Clone, Copy, Default)]
pub struct DocsOptions<'a> {
    /// The diagrams and documents' sections made in earlier runs
    /// ([`crate::memo`], [`crate::docs::MEMO_FOLDER`]): the
    /// caller saves it once the run has succeeded.
    pub memo: Option<&'a crate::memo::Memo>,
    /// Whether a document made is the caller's already ([`crate::docs::Project::unchanged`]).
    pub unchanged: Option<&'a crate::docs::Unchanged<'a>>,
    /// See [`crate::docs::Project::compare_first`].
    pub compare_first: bool,
}

/// What the documents need of a build's inputs ([`plan_docs`]): a caller
/// that plans in two steps makes it from its own parts, so that the
/// lock and its snapshot text, which [`Inputs`] borrows, can be dropped
/// before the documents are made.
#[derive(Clone, Copy)]
pub struct DocsInputs<'a> {
    pub config: &'a Config,
    pub project_dir: &'a std::path::Path,
    pub options: DocsOptions<'a>,
}

/// A build's migrations and lock, planned ([`plan_migrations`]); its
/// documents are still to make ([`plan_docs`]).
pub struct Migrations<'a> {
    plan: Plan,
    /// The model's lowered schema (the front end's, or lowered here).
    schema: std::borrow::Cow<'a, Schema>,
    /// The migrations of the lock the build leaves, for the documents' site.
    records: Vec<crate::docs::MigrationRecord>,
    writes_lock: bool,
}

impl Migrations<'_> {
    /// Whether the build writes the lock again: the lock it was given is
    /// then no longer needed, schema and all (the caller may drop them
    /// before the documents are made).
    pub fn writes_lock(&self) -> bool {
        self.writes_lock
    }

    /// The files planned so far (the migrations and the lock), taken out
    /// by a caller that writes them while the documents are made.
    pub fn take_outputs(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.plan.outputs)
    }
}

/// Everything a build writes: [`plan_migrations`], then [`plan_docs`].
pub fn plan(model: &Model, inputs: &Inputs<'_>) -> Result<Plan, BuildError> {
    let migrations = plan_migrations(model, inputs, inputs.lowered)?;
    plan_docs(model, &inputs.docs(), migrations)
}

/// The documents, after the migrations. Documentation describes the model
/// as it is, whatever the migrations; its site lists the migrations of
/// the lock the build leaves. It is made after the migrations, not beside
/// them on a thread of its own: the documents take two threads themselves
/// (the diagrams on a queue both draw from), and a large migration's
/// squawk review is linted in parts on every core, so on two cores the
/// overlap bought little time while their working memory added up. A
/// first build of 2,000 aggregates peaked at 186-206 MB of RSS beside
/// them and 148-160 MB after them, 2-3 % slower (docs/performance.md has
/// the runs).
pub fn plan_docs(model: &Model, inputs: &DocsInputs<'_>, migrations: Migrations<'_>) -> Result<Plan, BuildError> {
    let Migrations { mut plan, schema, records, .. } = migrations;
    let project = crate::docs::Project {
        lint: Some(&inputs.config.lint),
        migrations: Some(&records),
        memo: inputs.options.memo,
        unchanged: inputs.options.unchanged,
        compare_first: inputs.options.compare_first,
    };
    let _p = crate::timing::phase("docs");
    let docs = crate::docs::generate_with(model, &schema, &inputs.config.docs, inputs.project_dir, &project)
        .map_err(BuildError::Message)?;
    plan.outputs.extend(docs);
    Ok(plan)
}

/// The migrations and the lock a build writes, its documents not yet made.
/// `lowered` is [`Inputs::lowered`], passed apart so that what is planned
/// borrows it and not the inputs: the caller can then drop the inputs'
/// lock and snapshot before the documents are made.
pub fn plan_migrations<'s>(
    model: &Model,
    inputs: &Inputs<'_>,
    lowered: Option<&'s Schema>,
) -> Result<Migrations<'s>, BuildError> {
    // Borrowed from the front end when it lowered already: a check of an
    // unchanged model never needs its own copy (13 MB at 2,000 aggregates).
    let schema: std::borrow::Cow<'s, Schema> = match lowered {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(
            relational::lower((model, inputs.config.docs.language)).map_err(BuildError::Diagnostics)?,
        ),
    };
    let dir = PathBuf::from(&inputs.config.migrations.dir);
    let mut plan = Plan::default();
    match &inputs.lock {
        None => {
            let description = slug(inputs.name.unwrap_or("init"));
            let (lock, snapshot) = first_migration(model, &schema, &description, inputs, &dir, &mut plan);
            push_lock_with(&mut plan, &dir, &lock, &schema, Some(snapshot));
            let records = migration_records(&lock, &dir);
            Ok(Migrations { plan, schema, records, writes_lock: true })
        }
        Some(lock) => {
            let opts = crate::migrate::Options {
                allow_destructive: inputs.allow_destructive,
                backfill_batch: inputs.config.migrations.backfill_batch,
                batch_backfills: inputs.config.migrations.batch_backfills,
            };
            // Whether the lock needs writing again (nothing planned, but the
            // snapshot differs) is decided with the plan.
            let (mut planned, same_schema) = if inputs.schema_pending {
                let empty = crate::lock::Snapshot::Text(String::new());
                plan_from_snapshot(model, &schema, inputs.snapshot.unwrap_or(&empty), opts)?
            } else {
                let planned = {
                    let _p = crate::timing::phase("plan the change");
                    crate::migrate::plan(&lock.schema, model, &schema, opts)
                };
                let _p = crate::timing::phase("compare the lock's schema");
                let same = planned.is_empty() && lock.same_schema_as_read(&schema, inputs.snapshot);
                (planned, same)
            };
            plan.warnings.extend(planned.warnings.iter().cloned());
            if !planned.refusals.is_empty() {
                return Err(BuildError::Refused(planned.refusals));
            }
            let current_format = lock.format == crate::lock::FORMAT;
            if same_schema && current_format {
                let records = migration_records(lock, &dir);
                return Ok(Migrations { plan, schema, records, writes_lock: false });
            }
            if !current_format {
                plan.notices.push(format!(
                    "the lock is upgraded from format {} to {}: the schema snapshot moves to `{}`",
                    lock.format,
                    crate::lock::FORMAT,
                    dir.join(crate::lock::SNAPSHOT_FILE).display()
                ));
            }
            // The lock's other fields; its schema is the model's, passed
            // beside it (the lock's own is not cloned only to be replaced,
            // nor the model's, 20 MB at 2,000 aggregates, only to be held
            // in it).
            let mut next = Lock {
                format: lock.format,
                dddc: lock.dddc.clone(),
                model: lock.model.clone(),
                migrations: lock.migrations.clone(),
                schema: Schema::default(),
            };
            let snapshot = if planned.is_empty() {
                // The same schema, but the snapshot is written anew: the
                // last migration's patch must start from the new text.
                let new = crate::lock::snapshot::write(&schema);
                let read = inputs.snapshot.map(crate::lock::Snapshot::text).and_then(Result::ok);
                next.continue_from(&new, read.as_deref());
                Some(new)
            } else {
                next_migrations(model, &mut planned, inputs, &dir, &mut next, &schema, &mut plan)
            };
            // Its schemas before and after each file are not needed by the
            // documents (21 MB with a field added at 2,000 aggregates).
            drop(planned);
            push_lock_with(&mut plan, &dir, &next, &schema, snapshot);
            let records = migration_records(&next, &dir);
            Ok(Migrations { plan, schema, records, writes_lock: true })
        }
    }
}

/// The plan against a lock read without its schema
/// ([`Inputs::schema_pending`]), and whether the lock's schema is the
/// model's. The snapshot is read only when its text is not what the
/// model's schema writes: a snapshot reads back as the schema it was
/// written from, so when the texts agree the model's schema stands for
/// the lock's (a check of an unchanged model at 2,000 aggregates then
/// skips reading 8.5 MB).
fn plan_from_snapshot(
    model: &Model,
    schema: &Schema,
    snapshot: &crate::lock::Snapshot,
    opts: crate::migrate::Options,
) -> Result<(crate::migrate::Planned<'static>, bool), BuildError> {
    // A CRLF text (a Windows checkout) differs here, and is compared the
    // long way below.
    let same_text = {
        let _p = crate::timing::phase("compare the lock's schema");
        snapshot.written_from(schema)
    };
    if same_text {
        let planned = {
            let _p = crate::timing::phase("plan the change");
            // Empty but for a model that plans against itself (then the
            // files get their own list of its tables, as below).
            crate::migrate::plan(schema, model, schema, opts).detached()
        };
        // (Unless the file changed since it was compared.)
        #[cfg(debug_assertions)]
        if let Some(text) = snapshot.text().ok().filter(|t| crate::lock::snapshot::writes(schema, t)) {
            let read = Lock::read_schema(&text).expect("a snapshot dddc wrote reads back");
            let from_read = crate::migrate::plan(&read, model, schema, opts);
            assert_eq!(planned_summary(&planned), planned_summary(&from_read), "the snapshot read back plans alike");
        }
        let same = planned.is_empty();
        return Ok((planned, same));
    }
    let (lock_schema, crlf) = {
        let _p = crate::timing::phase("read the lock's schema");
        let text = snapshot.text().map_err(BuildError::Snapshot)?;
        (Lock::read_schema(&text).map_err(BuildError::Snapshot)?, text.contains('\r'))
    };
    let planned = {
        let _p = crate::timing::phase("plan the change");
        // The files borrow the schema read here: they get their own list
        // of its tables (the tables are shared).
        crate::migrate::plan(&lock_schema, model, schema, opts).detached()
    };
    let same = planned.is_empty()
        && crlf
        && crate::lock::snapshot::writes(schema, &crate::lock::snapshot::write(&lock_schema));
    Ok((planned, same))
}

/// What a plan decides, without the schemas it carries (for comparing two).
#[cfg(debug_assertions)]
fn planned_summary(p: &crate::migrate::Planned<'_>) -> String {
    let files: Vec<String> = p.files.iter().map(|f| format!("{:?} {:?} {:?}", f.kind, f.changes, f.undo)).collect();
    format!("{files:?} {:?} {:?} {:?}", p.refusals, p.warnings, p.notes)
}

/// The migrations of `lock`, oldest first, for the site's history page.
fn migration_records(lock: &Lock, dir: &std::path::Path) -> Vec<crate::docs::MigrationRecord> {
    let path = |name: &str| dir.join(name).to_string_lossy().replace('\\', "/");
    lock.migrations
        .iter()
        .map(|m| crate::docs::MigrationRecord {
            version: m.version.clone(),
            description: m.description.clone(),
            file: path(&m.file.name),
            undo: m.undo.as_ref().map(|u| path(&u.name)),
            sha256: m.file.sha256.clone(),
            online: m.conf.is_some(),
        })
        .collect()
}

/// The lock's two files: `lock` (its own schema is not read) and the
/// snapshot of `schema`, the schema it records, given when it was written
/// already.
fn push_lock_with(plan: &mut Plan, dir: &std::path::Path, lock: &Lock, schema: &Schema, snapshot: Option<String>) {
    let _p = crate::timing::phase("lock files");
    debug_assert!(snapshot.as_ref().is_none_or(|s| *s == crate::lock::snapshot::write(schema)));
    let snapshot = snapshot.unwrap_or_else(|| crate::lock::snapshot::write(schema));
    let json = lock.to_json(&snapshot);
    plan.outputs.push(Output { path: dir.join(crate::lock::LOCK_FILE), bytes: json.into_bytes() });
    plan.outputs.push(Output { path: dir.join(crate::lock::SNAPSHOT_FILE), bytes: snapshot.into_bytes() });
}

/// Writes the files of a planned evolution and records them in the lock;
/// returns the snapshot of `schema` (the model's, which the lock records),
/// which it wrote on the way.
fn next_migrations(
    model: &Model,
    planned: &mut crate::migrate::Planned<'_>,
    inputs: &Inputs<'_>,
    dir: &std::path::Path,
    lock: &mut Lock,
    schema: &Schema,
    plan: &mut Plan,
) -> Option<String> {
    use crate::migrate::{Change, FileKind, TableRef};
    let base = inputs.name.map(slug).unwrap_or_else(|| derive_slug(&planned.files));
    let date = inputs.source_date_epoch.map(civil_date);
    let config = &inputs.config.migrations;
    // A file's snapshot before it is the one after the file before it.
    let mut last_after: Option<String> = None;
    let files = planned.files.len();
    for (i, f) in std::mem::take(&mut planned.files).into_iter().enumerate() {
        let version = next_version(lock, inputs, i);
        let only_indexes = f
            .changes
            .iter()
            .all(|c| matches!(c, Change::CreateIndex { .. } | Change::AddUnique { .. } | Change::SetComment { .. }));
        let description = match (f.kind, files) {
            (_, 1) => base.clone(),
            (FileKind::EnumValues, _) => format!("{base}_enum_values"),
            (FileKind::Main, _) => base.clone(),
            (FileKind::Online, _) if only_indexes => format!("{base}_indexes"),
            (FileKind::Online, _) => format!("{base}_online"),
        };
        let file = format!("V{version}__{description}.sql");
        let undo_file = format!("U{version}__{description}.sql");
        let partitioned: std::collections::BTreeSet<TableRef> = f
            .before
            .tables
            .iter()
            .chain(f.after.tables.iter())
            .filter(|t| t.partitioning.is_some())
            .map(|t| TableRef::of(t))
            .collect();
        let transactional = f.kind != FileKind::Online;
        let cx = crate::sql::alter::Context {
            before: &f.before,
            after: &f.after,
            partitioned: &partitioned,
            target: model.target,
            new_tables: &f.new_tables,
            concurrent: f.kind == FileKind::Online,
            inline_validation: false,
            lock_timeout: &config.lock_timeout,
            at: Default::default(),
        };
        let stmts = {
            let _p = crate::timing::phase("migration: statements");
            render_changes(&f.changes, &cx)
        };
        let mut header = header_start(&file, &model.name);
        header.extend(match f.kind {
            FileKind::EnumValues => vec!["New enum values, committed before any statement uses them.".to_string()],
            FileKind::Main => vec![
                "One transaction. Idempotent: running it again changes nothing.".to_string(),
                format!(
                    "Strong locks wait at most lock_timeout ({}); on a timeout nothing has changed: run it again.",
                    config.lock_timeout
                ),
            ],
            FileKind::Online => vec![
                "Outside a transaction (see the .conf file): each statement commits on its own, so no strong lock"
                    .to_string(),
                "is held while a table is read or filled. Idempotent: after a failure (a lock timeout, a duplicate"
                    .to_string(),
                "found by a unique index), fix the cause, `flyway repair`, and run it again.".to_string(),
            ],
        });
        if let Some(d) = &date {
            header.push(format!("Date: {d}"));
        }
        if f.kind == FileKind::Main {
            for n in &planned.notes {
                header.push(format!("NOTE: {n}"));
            }
            let locked = crate::migrate::locks::objects_locked_changing(&f.changes, &f.after);
            warn_lock_table(&file, locked, &mut header, plan);
        }
        header.push("Changes:".into());
        header.extend(f.changes.iter().map(|c| format!("  - {}", c.describe())));
        // Outside a transaction, the tables the main migration created are
        // committed, and may have rows: none is new any more.
        let none = std::collections::BTreeSet::new();
        let new_tables = if transactional { &f.new_tables } else { &none };
        let (sql, report, findings) = finish_file(
            &file,
            header,
            vec![("Statements".to_string(), stmts)],
            transactional,
            false,
            false,
            model.target,
            inputs,
            new_tables,
        );
        plan.warnings.extend(findings);
        plan.files.push(report);
        let undo_new_tables: std::collections::BTreeSet<TableRef> = f
            .undo
            .iter()
            .filter_map(|c| if let Change::CreateTable(t) = c { Some(TableRef::of(t)) } else { None })
            .collect();
        let ucx = crate::sql::alter::Context {
            before: &f.after,
            after: &f.before,
            target: model.target,
            new_tables: &undo_new_tables,
            concurrent: false,
            partitioned: &partitioned,
            inline_validation: true,
            lock_timeout: &config.lock_timeout,
            at: Default::default(),
        };
        let mut undo_header = undo_header_start(&undo_file, &file, &model.name);
        let losses: Vec<String> = f
            .undo
            .iter()
            .filter(|c| c.loses_data() && !matches!(c, Change::AlterColumnType { .. }))
            .map(|c| c.describe())
            .collect();
        if !losses.is_empty() {
            undo_header.push("WARNING: this undo loses data:".into());
            undo_header.extend(losses.iter().map(|l| format!("  - {l}")));
        }
        // What no undo brings back: the values of the columns its
        // migration dropped (each comes back empty; a required one is
        // required again only on a table with no rows).
        let emptied: Vec<String> = f
            .changes
            .iter()
            .filter_map(|c| match c {
                Change::DropColumn { table, column } if column.generated.is_none() => {
                    Some(format!("  - {table}.{}", column.name))
                }
                _ => None,
            })
            .collect();
        if !emptied.is_empty() {
            undo_header.push(
                "WARNING: this undo adds back the columns its migration dropped, without their values (NOT NULL again only if no row lacks a value):"
                    .into(),
            );
            undo_header.extend(emptied);
        }
        let kept: Vec<String> = f
            .changes
            .iter()
            .filter_map(|c| match c {
                Change::AddEnumValue { schema, type_name, value, .. } => {
                    Some(format!("  - {value} of {schema}.{type_name}"))
                }
                _ => None,
            })
            .collect();
        if !kept.is_empty() {
            undo_header.push(
                "Leaves in place the enum values its migration added (PostgreSQL cannot remove a value from an enum type):"
                    .into(),
            );
            undo_header.extend(kept);
        }
        let narrowing: Vec<String> = f
            .undo
            .iter()
            .filter_map(|c| match c {
                Change::AlterColumnType { table, column, to, lossy: true, .. } => {
                    Some(format!("  - {table}.{column} becomes {}", crate::sql::types::column_type(to)))
                }
                _ => None,
            })
            .collect();
        if !narrowing.is_empty() {
            undo_header.push(
                "WARNING: this undo narrows column types; it stops, changing nothing, if a row holds a value that does not fit:"
                    .into(),
            );
            undo_header.extend(narrowing);
        }
        if let Some(d) = &date {
            undo_header.push(format!("Date: {d}"));
        }
        let undo_stmts = {
            let _p = crate::timing::phase("migration: undo statements");
            render_changes(&f.undo, &ucx)
        };
        let (undo, _, undo_findings) = finish_file(
            &undo_file,
            undo_header,
            vec![("Statements".to_string(), undo_stmts)],
            true,
            true,
            false,
            model.target,
            inputs,
            &undo_new_tables,
        );
        if inputs.config.migrations.undo {
            plan.warnings.extend(undo_findings);
        }
        let conf = (!transactional).then(|| "executeInTransaction=false\n".to_string());
        // The snapshot back from after this file to before it; the last
        // file's "after" is the snapshot the lock records.
        // The first file's is the lock's, whose text was read: it is
        // borrowed when it is the one dddc writes (12 MB not made again at
        // 2,000 aggregates).
        let snapshots = crate::timing::phase("migration: snapshots");
        let before_text: std::borrow::Cow<'_, str> = match (last_after.take(), inputs.snapshot) {
            (Some(text), _) => text.into(),
            (None, Some(crate::lock::Snapshot::Text(text))) if crate::lock::snapshot::writes(&f.before, text) => {
                text.as_str().into()
            }
            (None, _) => crate::lock::snapshot::write(&f.before).into(),
        };
        debug_assert!(before_text == crate::lock::snapshot::write(&f.before));
        let after_text = if i + 1 == files {
            // The last file's schemas are not needed any more: dropped
            // before the snapshot after it is written and compared with
            // the one before (a change of every table copies every table
            // into the schema after: 134 MB of heap here, with an index
            // added to every aggregate at 2,000, before).
            drop((f.before, f.after));
            crate::lock::snapshot::write(schema)
        } else {
            crate::lock::snapshot::write(&f.after)
        };
        drop(snapshots);
        // The migration before this build's first left this text: its
        // digest and patch agree with it (a lock written before the
        // digests, or its snapshot in an older dddc's words).
        if i == 0 {
            match &before_text {
                std::borrow::Cow::Borrowed(_) => lock.continue_from(&before_text, None),
                std::borrow::Cow::Owned(_) => {
                    let read = inputs.snapshot.map(crate::lock::Snapshot::text).and_then(Result::ok);
                    lock.continue_from(&before_text, read.as_deref());
                }
            }
        }
        let snapshot_undo = {
            let _p = crate::timing::phase("migration: snapshot undo patch");
            crate::lock::snapshot::Patch::between(&after_text, &before_text)
        };
        lock.migrations.push(Migration {
            version: version.clone(),
            description: description.clone(),
            file: FileSum::of(&file, sql.as_bytes()),
            undo: inputs.config.migrations.undo.then(|| FileSum::of(&undo_file, undo.as_bytes())),
            conf: conf.as_ref().map(|c| FileSum::of(&format!("{file}.conf"), c.as_bytes())),
            hand_written: false,
            snapshot_undo,
            // The last file's is the lock's digest, made when it is
            // written ([`Lock::to_json`]).
            snapshot_blake3: (i + 1 < files).then(|| crate::lock::schema_digest(after_text.as_bytes())),
        });
        last_after = Some(after_text);
        plan.summary.push(format!("{file} ({} change(s))", f.changes.len()));
        plan.outputs.push(Output { path: dir.join(&file), bytes: sql.into_bytes() });
        if inputs.config.migrations.undo {
            plan.outputs.push(Output { path: dir.join(&undo_file), bytes: undo.into_bytes() });
        }
        if let Some(c) = conf {
            plan.outputs.push(Output { path: dir.join(format!("{file}.conf")), bytes: c.into_bytes() });
        }
    }
    last_after
}

/// The statements of `changes`, in one list sized once: collected from
/// the changes' lists, it grew by doubling (545,000 statements of 200 bytes
/// in the online file of every context made tenant-scoped at 20,000
/// aggregates).
fn render_changes(changes: &[crate::migrate::Change], cx: &crate::sql::alter::Context<'_>) -> Vec<Stmt> {
    let each: Vec<Vec<Stmt>> = changes.iter().map(|c| crate::sql::alter::statements(c, cx)).collect();
    let mut out = Vec::with_capacity(each.iter().map(Vec::len).sum());
    for stmts in each {
        out.extend(stmts);
    }
    out
}

/// What one migration file does, statement by statement: what `dddc plan`
/// reports and the lock audit checks.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub file: String,
    /// Flyway runs it in one transaction.
    pub transactional: bool,
    /// The statements that set the session up (timeouts).
    pub prelude: Vec<String>,
    /// Empty unless [`Inputs::keep_statements`].
    pub statements: Vec<Stmt>,
    /// Tables the file reads or rewrites while it holds a lock that blocks
    /// writes on them: declared in its header.
    pub declared: Vec<String>,
}

impl FileReport {
    /// Each statement with the lock it takes, on which table, what it does
    /// meanwhile and what that blocks: `dddc plan`'s lock report, as SQL
    /// comments.
    pub fn lock_report(&self) -> String {
        let mut out = format!(
            "-- Lock report ({}; PostgreSQL's table locks, \"blocks\" is what the application cannot do meanwhile):\n",
            if self.transactional {
                "one transaction: every lock is held until it commits"
            } else {
                "outside a transaction: each statement commits, and releases its locks, on its own"
            }
        );
        for (i, s) in self.statements.iter().enumerate() {
            let text = s.plain().first().unwrap_or(&s.sql);
            let mut summary: String = text.lines().next().unwrap_or_default().chars().take(90).collect();
            if summary.len() < text.len() {
                summary.push('…');
            }
            let lock = match (&s.table, s.effect()) {
                (Some(t), Some((level, work))) => {
                    format!(
                        "{:<22} {:<28} {:<18} blocks {}",
                        level.sql_name(),
                        t.to_string(),
                        work.describe(),
                        level.blocks()
                    )
                }
                _ => format!("{:<22} {:<28} {:<18}", "-", "-", "-"),
            };
            out.push_str(&format!("-- {:>3}. {lock}\n--      {summary}\n", i + 1));
            if let Some(level) = s.op.referenced_lock() {
                for r in &s.referenced {
                    out.push_str(&format!("--      and {} on {r} (blocks {})\n", level.sql_name(), level.blocks()));
                }
            }
            if s.lifts_row_security {
                out.push_str("--      run by a table owner without BYPASSRLS: ACCESS EXCLUSIVE while it runs\n");
            }
        }
        if !self.declared.is_empty() {
            out.push_str(&format!(
                "-- Reads or rewrites while writes are blocked: {} (declared in the header)\n",
                self.declared.join(", ")
            ));
        }
        out
    }

    /// The report as JSON (`dddc plan --format json`).
    pub fn to_json(&self) -> serde_json::Value {
        let statements: Vec<serde_json::Value> = self
            .statements
            .iter()
            .map(|s| {
                let (lock, work) = match s.effect() {
                    Some((l, w)) => (Some(l.sql_name()), Some(w.describe())),
                    None => (None, None),
                };
                serde_json::json!({
                    "sql": s.sql,
                    "table": s.table.as_ref().map(|t| t.to_string()),
                    "lock": lock,
                    "work": work,
                    "blocks": s.effect().map(|(l, _)| l.blocks()),
                    "referenced": s.referenced.iter().map(|r| serde_json::json!({
                        "table": r.to_string(),
                        "lock": s.op.referenced_lock().map(|l| l.sql_name()),
                    })).collect::<Vec<_>>(),
                    "lifts_row_security": s.lifts_row_security,
                    "squawk_ignores": s.ignores.iter().map(|i| serde_json::json!({"rule": i.rule, "reason": i.reason})).collect::<Vec<_>>(),
                })
            })
            .collect();
        serde_json::json!({
            "file": self.file,
            "transactional": self.transactional,
            "prelude": self.prelude,
            "statements": statements,
            "declared": self.declared,
        })
    }
}

/// A migration's text: header (with what it locks and what it declares),
/// the timeouts, the statements with squawk's ignore comments where a rule
/// fires by design; its report; and squawk's findings nothing explains, as
/// warnings.
#[allow(clippy::too_many_arguments)]
fn finish_file(
    file: &str,
    mut header: Vec<String>,
    groups: Vec<(String, Vec<Stmt>)>,
    transactional: bool,
    undo: bool,
    creates_schema: bool,
    target: u32,
    inputs: &Inputs<'_>,
    new_tables: &std::collections::BTreeSet<crate::relational::TableRef>,
) -> (String, FileReport, Vec<Diagnostic>) {
    let config = &inputs.config.migrations;
    let (prelude, mut groups) = timeouts(groups, transactional, config);
    // squawk reads the whole file: one list, of which the groups are
    // slices afterwards.
    let sizes: Vec<usize> = groups.iter().map(|(_, s)| s.len()).collect();
    // Sized at once, not grown by doubling (a first build of 2,000
    // aggregates has 65,000 statements); the first group's list is kept,
    // not copied, and the others are moved onto its end (an evolution's
    // file is one group, and an online file's second group is the two
    // statements that reset the session, for which `timeouts` left room).
    let mut all: Vec<Stmt> = groups.first_mut().map(|(_, s)| std::mem::take(s)).unwrap_or_default();
    all.reserve_exact(sizes.iter().sum::<usize>() - all.len());
    for (_, s) in groups.iter_mut().skip(1) {
        all.extend(std::mem::take(s));
    }
    let existing = |t: &crate::relational::TableRef| !creates_schema && !new_tables.contains(t);
    let kind = crate::lint::migrations::FileKind { transactional, undo, creates_schema };
    let review = {
        let _p = crate::timing::phase("squawk review");
        crate::lint::migrations::review(&prelude, &mut all, kind, target, &existing)
    };
    crate::timing::note(format_args!(
        "squawk review: {} statements, {}",
        all.len(),
        if review.linted_apart { "linted in parts" } else { "linted whole" }
    ));
    let findings = review.findings;
    let locks = {
        let _p = crate::timing::phase("migration: locks");
        lock_summary(&all, &existing)
    };
    if !locks.is_empty() {
        header.push(format!("Locks: {}", locks.join("; ")));
    }
    let declared = {
        let _p = crate::timing::phase("migration: scans");
        declared_scans(&all, transactional, &existing)
    };
    for (table, what) in &declared {
        header.push(format!("WARNING: {what} while it holds a lock that blocks writes on {table}"));
    }
    if all.iter().any(|s| s.lifts_row_security) {
        header.push(
            "Run by the tables' owner without BYPASSRLS, statements that read every tenant's rows lift FORCE ROW LEVEL SECURITY for their own transaction (an ACCESS EXCLUSIVE lock while they run); a migration role with BYPASSRLS avoids it."
                .into(),
        );
    }
    if !transactional {
        // For squawk run over every file with --assume-in-transaction.
        header.push("squawk-disable-assume-in-transaction".into());
    }
    if !review.file_ignores.is_empty() {
        let rules: Vec<&str> = review.file_ignores.iter().map(|i| i.rule.as_str()).collect();
        header.push(format!("squawk-ignore-file {}", rules.join(", ")));
        header.extend(review.file_ignores.iter().map(|i| format!("  {}: {}", i.rule, i.reason)));
    }
    // The groups, as slices of the reviewed list (not copied back).
    let mut at = 0;
    let parts: Vec<(&str, &[Stmt])> = groups
        .iter()
        .zip(sizes)
        .map(|((title, _), n)| {
            at += n;
            (title.as_str(), &all[at - n..at])
        })
        .collect();
    let text = {
        let _p = crate::timing::phase("migration: text");
        ddl::script(&header, &prelude, &parts)
    };
    let warnings = findings
        .iter()
        .map(|f| {
            Diagnostic::warning(crate::diagnostics::codes::id::W0710, format!("{file}: {f}"))
                .with_note(format!("statement: {}", f.statement.lines().next().unwrap_or_default()))
                .with_help("please report this: dddc should write what squawk accepts, or say in the file why not")
        })
        .collect();
    let report = FileReport {
        file: file.to_string(),
        transactional,
        prelude,
        statements: if inputs.keep_statements { all } else { Vec::new() },
        declared: declared.into_iter().map(|(t, _)| t).collect(),
    };
    (text, report, warnings)
}

/// The timeouts a migration sets: in one transaction, `SET LOCAL` at the
/// top; outside one, `SET` at the top, `lock_timeout` lifted around the
/// statements that only take weak locks (a concurrent index build waits
/// for older transactions through the lock manager, and would fail, leaving
/// an invalid index, at the first long one), and both reset at the end
/// (Flyway reuses the connection).
fn timeouts(
    mut groups: Vec<(String, Vec<Stmt>)>,
    transactional: bool,
    config: &crate::config::Migrations,
) -> (Vec<String>, Vec<(String, Vec<Stmt>)>) {
    use crate::migrate::locks::Op;
    use crate::sql::objects::{reset_setting, set_setting};
    let prelude = vec![
        set_setting("lock_timeout", &config.lock_timeout, transactional),
        set_setting("statement_timeout", &config.statement_timeout, transactional),
    ];
    if transactional {
        return (prelude, groups);
    }
    let resets = vec![
        Stmt::new(Op::NoTable, None, reset_setting("lock_timeout")),
        Stmt::new(Op::NoTable, None, reset_setting("statement_timeout")),
    ];
    let mut current = config.lock_timeout.clone();
    let last = groups.len().saturating_sub(1);
    for (k, (_, stmts)) in groups.iter_mut().enumerate() {
        // Where lock_timeout changes, and to what: found first, so that
        // the list is sized once (the online file of every context made
        // tenant-scoped at 20,000 aggregates has 545,000 statements).
        let mut switches: Vec<(usize, String)> = Vec::new();
        for (i, s) in stmts.iter().enumerate() {
            // An `UPDATE` of rows (a backfill) holds the rows it changed
            // while it waits: behind an idle transaction, without a
            // timeout, it would block the application's writes to them
            // for as long as that transaction lives. It fails after
            // lock_timeout instead, and a run again goes on from there.
            let wanted = match s.effect() {
                Some((level, work)) if level.is_strong() || work == crate::migrate::locks::Work::Rows => {
                    Some(config.lock_timeout.clone())
                }
                Some(_) => Some("0".to_string()),
                None => None,
            };
            if let Some(w) = wanted.filter(|w| *w != current) {
                current = w.clone();
                switches.push((i, w));
            }
        }
        // The resets are moved onto the end of the last group by
        // `finish_file`: room for them, so that the list is not copied.
        let room = if k == last { resets.len() } else { 0 };
        if switches.is_empty() {
            stmts.reserve_exact(room);
            continue;
        }
        let mut out = Vec::with_capacity(stmts.len() + switches.len() + room);
        let mut switches = switches.into_iter().peekable();
        for (i, s) in stmts.drain(..).enumerate() {
            if let Some((_, w)) = switches.next_if(|(at, _)| *at == i) {
                out.push(Stmt::new(Op::NoTable, None, set_setting("lock_timeout", &w, false)));
            }
            out.push(s);
        }
        *stmts = out;
    }
    groups.push(("Session settings back to their defaults (Flyway reuses the connection)".to_string(), resets));
    (prelude, groups)
}

/// Per existing table, the locks the file takes on it (strongest first),
/// each with what it does meanwhile.
fn lock_summary(stmts: &[Stmt], existing: &dyn Fn(&crate::relational::TableRef) -> bool) -> Vec<String> {
    use crate::migrate::locks::{LockLevel, Work};
    let mut per: std::collections::BTreeMap<String, std::collections::BTreeSet<(std::cmp::Reverse<LockLevel>, Work)>> =
        std::collections::BTreeMap::new();
    for s in stmts {
        let mut note = |t: &crate::relational::TableRef, level: LockLevel, work: Work| {
            if existing(t) {
                per.entry(t.to_string()).or_default().insert((std::cmp::Reverse(level), work));
            }
        };
        if let (Some(t), Some((level, work))) = (&s.table, s.effect()) {
            note(t, level, work);
        }
        if let Some(level) = s.op.referenced_lock() {
            for r in &s.referenced {
                note(r, level, Work::Catalog);
            }
        }
    }
    per.into_iter()
        .map(|(t, locks)| {
            let locks: Vec<String> =
                locks.iter().map(|(level, work)| format!("{} ({})", level.0, work.describe())).collect();
            format!("{t} {}", locks.join(", "))
        })
        .collect()
}

/// Tables read or rewritten while a lock that blocks writes on them is
/// held: in a transaction, by an earlier statement or this one; outside,
/// by this one.
fn declared_scans(
    stmts: &[Stmt],
    transactional: bool,
    existing: &dyn Fn(&crate::relational::TableRef) -> bool,
) -> Vec<(String, String)> {
    use crate::migrate::locks::LockLevel;
    let mut held: std::collections::BTreeMap<String, LockLevel> = std::collections::BTreeMap::new();
    let mut out: Vec<(String, String)> = Vec::new();
    // The tables in `out` (a scan of it per statement made a migration
    // that validates a check on each of 20,000 tables quadratic).
    let mut declared: std::collections::HashSet<String> = std::collections::HashSet::new();
    for s in stmts {
        let Some((level, work)) = s.effect() else { continue };
        // The statement's table, and the tables it reads through foreign
        // keys (a check, rows moved) under the lock it takes on them.
        let mut touched: Vec<(&crate::relational::TableRef, LockLevel)> = s.table.iter().map(|t| (t, level)).collect();
        // (Through a new table's foreign keys nothing is read: it is empty.)
        if let (Some(r), true) = (s.op.referenced_lock(), s.table.as_ref().is_some_and(existing)) {
            touched.extend(s.referenced.iter().map(|t| (t, r)));
        }
        for (t, level) in touched {
            if !existing(t) {
                continue;
            }
            let key = t.to_string();
            let strongest = if transactional {
                let e = held.entry(key.clone()).or_insert(level);
                *e = (*e).max(level);
                *e
            } else {
                level
            };
            if work.is_long() && strongest >= LockLevel::Share && !declared.contains(&key) {
                let what = format!("{} ({})", work.describe(), s.op.statement().replace('`', ""));
                declared.insert(key.clone());
                out.push((key, what));
            }
        }
    }
    out
}

/// The next version: one more than the last, or a timestamp
/// (`YYYYMMDDHHMMSS`, one second later per extra file of the same build).
pub fn next_version(lock: &Lock, inputs: &Inputs<'_>, offset: usize) -> String {
    match inputs.config.migrations.versioning {
        crate::config::Versioning::Sequence => {
            let last = lock.migrations.iter().filter_map(|m| m.version.parse::<u64>().ok()).max().unwrap_or(0);
            (last + 1).to_string()
        }
        crate::config::Versioning::Timestamp => {
            let epoch = inputs.source_date_epoch.unwrap_or(inputs.now_epoch) + offset as i64;
            let last = lock.migrations.iter().filter_map(|m| m.version.parse::<u64>().ok()).max().unwrap_or(0);
            let stamp = timestamp(epoch);
            // Never go back in time: a lock from another machine may be ahead.
            match stamp.parse::<u64>() {
                Ok(v) if v > last => stamp,
                _ => (last + 1).to_string(),
            }
        }
    }
}

/// `YYYYMMDDHHMMSS` (UTC).
fn timestamp(epoch: i64) -> String {
    let date = civil_date(epoch).replace('-', "");
    let secs = epoch.rem_euclid(86_400);
    format!("{date}{:02}{:02}{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// A short description from the changes: `add_notas_to_reservas`,
/// `create_pagos_facturas`, `update_3_tables`.
fn derive_slug(files: &[crate::migrate::MigrationFile<'_>]) -> String {
    use crate::migrate::Change;
    let changes: Vec<&Change> =
        files.iter().flat_map(|f| f.changes.iter()).filter(|c| !matches!(c, Change::SetComment { .. })).collect();
    // Counted by qualified name: two contexts may have tables of one name.
    let qualified: std::collections::BTreeSet<(String, String)> = changes
        .iter()
        .filter_map(|c| match c {
            Change::CreateTable(t) | Change::DropTable(t) => Some((t.schema.clone(), t.name.clone())),
            Change::RenameTable { schema, to, .. } => Some((schema.clone(), to.clone())),
            other => other.table().map(|t| (t.schema.clone(), t.name.clone())),
        })
        .collect();
    let tables: Vec<String> = qualified.iter().map(|(_, n)| n.clone()).collect();
    if changes.is_empty() {
        return "update_comments".into();
    }
    let first = changes.first().copied();
    let verb = match first {
        Some(Change::CreateTable(_)) => "create".to_string(),
        Some(Change::AddColumn { column, .. }) if changes.len() == 1 => format!("add_{}_to", column.name),
        Some(Change::DropColumn { column, .. }) if changes.len() == 1 => format!("drop_{}_from", column.name),
        Some(Change::RenameSchema { to, .. }) => return slug(&format!("rename_context_{to}")),
        Some(Change::RenameTable { .. } | Change::RenameColumn { .. }) => "rename_in".to_string(),
        Some(Change::CreateIndex { index, .. }) if changes.len() == 1 => return slug(&index.name),
        _ => "update".to_string(),
    };
    let text = match tables.len() {
        0 => match first {
            Some(c) => c.describe(),
            None => "update".into(),
        },
        1 => format!("{verb}_{}", tables.first().map_or("", |s| s.as_str())),
        n => format!("{verb}_{n}_tables").replace("add_", "update_").replace("drop_", "update_"),
    };
    slug(&text)
}

/// V1 and its undo; the lock it returns has an empty schema (its schema is
/// `schema`, which the caller passes beside it: V1, the docs and the lock's
/// files share it, and it is never copied into the lock), and the
/// snapshot of `schema`.
fn first_migration(
    model: &Model,
    schema: &Schema,
    description: &str,
    inputs: &Inputs<'_>,
    dir: &std::path::Path,
    plan: &mut Plan,
) -> (Lock, String) {
    let version = "1".to_string();
    let file = format!("V{version}__{description}.sql");
    let undo_file = format!("U{version}__{description}.sql");
    let date = inputs.source_date_epoch.map(civil_date);
    let mut header = header_start(&file, &model.name);
    header.push("Creates the whole schema in one transaction. Idempotent: running it again changes nothing.".into());
    if let Some(d) = &date {
        header.push(format!("Date: {d}"));
    }
    warn_lock_table(&file, crate::migrate::locks::objects_locked_creating(schema), &mut header, plan);
    let none = std::collections::BTreeSet::new();
    let stmts = {
        let _p = crate::timing::phase("migration: statements");
        ddl::create_statements(schema)
    };
    // The snapshot (8.5 MB at 2,000 aggregates, 17-23 ms on one thread) is
    // written beside the rest: squawk's review, V1's text, its checksums and
    // U1 leave the other core idle most of the time (`DDDC_TIMINGS=at`).
    // Started with the statements it slowed them as much as it saved: the
    // design lint runs beside those.
    std::thread::scope(|s| {
        let snapshot = crate::threads::beside(s, || {
            let _p = crate::timing::phase("lock files: snapshot");
            crate::lock::snapshot::write(schema)
        });
        let (sql, report, findings) = finish_file(&file, header, stmts, true, false, true, model.target, inputs, &none);
        plan.warnings.extend(findings);
        plan.files.push(report);
        // V1's checksums (SHA-256 and Flyway's CRC of 10 MB at 2,000
        // aggregates, about 10 ms) beside U1.
        let (sql_sum, undo) = std::thread::scope(|s| {
            let sql_sum = crate::threads::beside(s, || FileSum::of(&file, sql.as_bytes()));
            let mut undo_header = undo_header_start(&undo_file, &file, &model.name);
            undo_header.push("WARNING: drops every table of the model, and the data in them.".into());
            if let Some(d) = &date {
                undo_header.push(format!("Date: {d}"));
            }
            let undo_stmts = {
                let _p = crate::timing::phase("migration: undo statements");
                ddl::drop_statements(schema)
            };
            let (undo, _, undo_findings) =
                finish_file(&undo_file, undo_header, undo_stmts, true, true, true, model.target, inputs, &none);
            if inputs.config.migrations.undo {
                plan.warnings.extend(undo_findings);
            }
            (sql_sum.join(), undo)
        });
        let mut lock = Lock::new(&model.name, Schema::default());
        let undo_sum = inputs.config.migrations.undo.then(|| FileSum::of(&undo_file, undo.as_bytes()));
        lock.migrations.push(Migration {
            version,
            description: description.to_string(),
            file: sql_sum,
            undo: undo_sum,
            ..Migration::default()
        });
        plan.summary.push(format!("{} ({} tables)", file, schema.tables.len()));
        plan.outputs.push(Output { path: dir.join(&file), bytes: sql.into_bytes() });
        if inputs.config.migrations.undo {
            plan.outputs.push(Output { path: dir.join(&undo_file), bytes: undo.into_bytes() });
        }
        (lock, snapshot.join())
    })
}

/// When a migration's one transaction locks about `n` objects, more than
/// PostgreSQL's lock table holds with its defaults, `file`'s header and a
/// note say so, with the setting the server needs. Every object created
/// stays locked until the commit, so a first migration of a few thousand
/// tables fails on a default server with "out of shared memory" (seen at
/// 2,000 aggregates on PostgreSQL 15: about 30,000 objects).
fn warn_lock_table(file: &str, n: usize, header: &mut Vec<String>, plan: &mut Plan) {
    if n <= crate::migrate::locks::DEFAULT_LOCK_TABLE {
        return;
    }
    let per_connection = crate::migrate::locks::locks_per_transaction_needed(n, 100);
    let need = format!("max_locks_per_transaction = {per_connection} or more with max_connections = 100");
    header.extend([
        format!(
            "WARNING: {}{n} objects until it commits (each table, partition, index and",
            crate::migrate::locks::HEADER_LOCKS
        ),
        "TOAST table it creates or changes). PostgreSQL's lock table has room for max_locks_per_transaction x".into(),
        "max_connections objects, 6400 with the defaults, shared by every session; beyond that the".into(),
        "migration fails with \"out of shared memory\" and nothing is created. Before applying it, set".into(),
        format!("{need} (the product of the two is what counts; a server restart)."),
    ]);
    plan.notices
        .push(format!("{file} locks about {n} objects in one transaction: PostgreSQL needs {need} (see its header)"));
}

/// A migration description for a file name: lower-case ASCII letters,
/// digits and `_`, at most 60 characters.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let c = match c {
            'á' | 'à' | 'ä' | 'â' | 'Á' => 'a',
            'é' | 'è' | 'ë' | 'ê' | 'É' => 'e',
            'í' | 'ì' | 'ï' | 'î' | 'Í' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' | 'Ó' => 'o',
            'ú' | 'ù' | 'ü' | 'û' | 'Ú' => 'u',
            'ñ' | 'Ñ' => 'n',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_');
    let mut out: String = out.chars().take(60).collect();
    while out.ends_with('_') {
        out.pop();
    }
    if out.is_empty() {
        "migration".into()
    } else {
        out
    }
}

/// The first lines of a migration's header: its file and where it comes
/// from.
fn header_start(file: &str, model: &str) -> Vec<String> {
    vec![
        file.to_string(),
        format!("Generated by dddc from model `{model}`. Do not edit: change the model and run `dddc build`."),
    ]
}

/// The first lines of an undo file's header: its file and the migration
/// it undoes.
fn undo_header_start(undo_file: &str, file: &str, model: &str) -> Vec<String> {
    vec![undo_file.to_string(), format!("Generated by dddc from model `{model}`. Undoes {file}.")]
}

/// `YYYY-MM-DD` (UTC) of a Unix time.
pub fn civil_date(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slug("init"), "init");
        assert_eq!(slug("Añadir notas a reservas!"), "anadir_notas_a_reservas");
        assert_eq!(slug("  --  "), "migration");
    }

    /// Outside a transaction, lock_timeout is set before the first
    /// statement of each run of strong or weak locks (carried from one
    /// group to the next), left alone around a statement that takes no
    /// table lock, and reset at the end in a group of its own; the last
    /// group has room for the resets, which `finish_file` moves onto it.
    /// In a transaction, the groups are left as they are.
    #[test]
    fn lock_timeout_follows_the_statements_outside_a_transaction() {
        use crate::migrate::locks::Op;
        let config = crate::config::Migrations::default();
        let t = crate::relational::TableRef { schema: "s".into(), name: "t".into() };
        let stmt = |op: Op, sql: &str| Stmt::new(op, Some(&t), sql.into());
        let groups = || {
            vec![
                (
                    "A".to_string(),
                    vec![
                        stmt(Op::CreateIndexConcurrently, "weak 1"),
                        stmt(Op::CreateIndexConcurrently, "weak 2"),
                        stmt(Op::AttachUniqueIndex, "strong 1"),
                        Stmt::new(Op::NoTable, None, "no lock".into()),
                        stmt(Op::ValidateConstraint, "weak 3"),
                    ],
                ),
                ("B".to_string(), vec![stmt(Op::AttachUniqueIndex, "strong 2")]),
                ("C".to_string(), vec![stmt(Op::AttachUniqueIndex, "strong 3")]),
            ]
        };
        let (prelude, out) = timeouts(groups(), false, &config);
        assert_eq!(prelude, ["SET lock_timeout = '5s';", "SET statement_timeout = '0';"]);
        let texts: Vec<(&str, Vec<&str>)> =
            out.iter().map(|(title, s)| (title.as_str(), s.iter().map(|s| s.sql.as_str()).collect())).collect();
        let zero = "SET lock_timeout = '0';";
        let five = "SET lock_timeout = '5s';";
        assert_eq!(
            texts,
            [
                ("A", vec![zero, "weak 1", "weak 2", five, "strong 1", "no lock", zero, "weak 3"]),
                ("B", vec![five, "strong 2"]),
                ("C", vec!["strong 3"]),
                (
                    "Session settings back to their defaults (Flyway reuses the connection)",
                    vec!["RESET lock_timeout;", "RESET statement_timeout;"]
                ),
            ]
        );
        assert!(out[2].1.capacity() >= out[2].1.len() + 2, "room for the resets");
        let (prelude, out) = timeouts(groups(), true, &config);
        assert_eq!(prelude, ["SET LOCAL lock_timeout = '5s';", "SET LOCAL statement_timeout = '0';"]);
        let same: Vec<Vec<&str>> = out.iter().map(|(_, s)| s.iter().map(|s| s.sql.as_str()).collect()).collect();
        assert_eq!(
            same,
            [vec!["weak 1", "weak 2", "strong 1", "no lock", "weak 3"], vec!["strong 2"], vec!["strong 3"]]
        );
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(1_764_000_000), "2025-11-24");
        assert_eq!(civil_date(951_782_400), "2000-02-29");
    }
}
