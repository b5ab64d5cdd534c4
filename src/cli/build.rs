//! `build` and `plan`.

use std::path::{Path, PathBuf};

use dddc::build::{BuildError, Inputs};
use dddc::output;
use serde_json::json;

use super::{
    load_lock, load_model, migration_files_on_disk, migrations_dir, now_epoch, read_and_parse_lock, report_lock,
    source_date_epoch, Format, Output, EXIT_FAIL,
};

pub fn build(out: &Output, model: Option<&Path>, name: Option<&str>, dry_run: bool, allow_destructive: bool) -> u8 {
    build_in(out, model, name, dry_run, allow_destructive)
}

/// A build killed between renaming `dddc.schema` and `dddc.lock` (the
/// last two renames) left the new snapshot beside the old lock, whose
/// digest refuses it, and the old snapshot kept aside under a second name
/// (a temporary file's): that one is put back before the temporary files
/// are removed, and the project is as a build killed before its renames
/// leaves it (a migration the lock does not know yet, which this build
/// writes again). Anything else is left for the lock's reader to refuse.
fn put_back_a_killed_builds_snapshot(out: &Output, mig_dir: &Path) {
    // Only a killed build leaves a kept copy: without one, every other
    // build, nothing is put back, and neither the lock nor the snapshot is
    // read here (parsing the lock's JSON and the snapshot's digest were
    // most of the 10 ms between a build's start and its cache lookup, at
    // 2,000 aggregates, for a build with nothing to do).
    if dddc::files::kept_copies(mig_dir, dddc::lock::SNAPSHOT_FILE).is_empty() {
        return;
    }
    let (lock_path, snapshot_path) = (mig_dir.join(dddc::lock::LOCK_FILE), mig_dir.join(dddc::lock::SNAPSHOT_FILE));
    let Ok(lock) = output::read_regular_to_string(&lock_path) else { return };
    let fits = output::read_regular(&snapshot_path).ok().and_then(|bytes| dddc::lock::records_snapshot(&lock, &bytes));
    if fits != Some(false) {
        return;
    }
    if let Some(kept) = dddc::lock::kept_snapshot(mig_dir) {
        if std::fs::rename(&kept, &snapshot_path).is_ok() {
            out.say(&format!(
                "put back {} as {} records it: a dddc run was killed before it finished",
                super::display_path(&snapshot_path).display(),
                dddc::lock::LOCK_FILE
            ));
        }
    }
}

/// The build of the project `model` names (a file or a folder).
pub fn build_in(out: &Output, model: Option<&Path>, name: Option<&str>, dry_run: bool, allow_destructive: bool) -> u8 {
    let project = match super::discover(out, model) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mig_dir = migrations_dir(&project);
    // One build at a time per project; what a killed one left is cleaned.
    let _guard = if dry_run {
        None
    } else {
        match output::lock_project(&project.dir, out.quiet) {
            Ok(l) => {
                put_back_a_killed_builds_snapshot(out, &mig_dir);
                output::remove_stale_temporaries(&mig_dir);
                output::remove_stale_temporaries(&project.dir.join(&project.config.docs.dir));
                Some(l)
            }
            Err(e) => return out.usage_error(&e),
        }
    };
    if !dry_run {
        if let Some(code) = up_to_date_from_cache(out, &project) {
            return code;
        }
    }
    // What earlier runs parsed and drew (`dddc::memo`); a dry run writes
    // nothing, not even that, and does all the work.
    let open_memo = |folder| if dry_run { None } else { dddc::memo::Memo::open(&project.dir, folder) };
    let (syntax, docs) = (open_memo(dddc::syntax::memo::FOLDER), open_memo(dddc::docs::MEMO_FOLDER));
    let save_memos = || {
        for memo in [&syntax, &docs].into_iter().flatten() {
            memo.save();
        }
    };
    // The lock (its 8.5 MB snapshot at 2,000 aggregates) is read on a
    // second thread while the model is compiled; what it could not read is
    // reported after the model, as before.
    let (fe, lock_read) = std::thread::scope(|s| {
        let lock = dddc::threads::beside(s, || {
            let _p = dddc::timing::phase("read the lock");
            read_and_parse_lock(&project)
        });
        let fe = super::frontend_remembering(out, &project, syntax.as_ref());
        (fe, lock.join())
    });
    let mut fe = match fe {
        Ok(fe) => fe,
        Err(code) => return code,
    };
    let Some(model) = fe.model.take() else {
        out.report(&fe.sources, &fe.diagnostics);
        return EXIT_FAIL;
    };
    let model = &model;
    let (mut lock, snapshot) = match report_lock(out, &project, lock_read) {
        Ok((lock, text)) => (lock, text.map(dddc::lock::Snapshot::Text)),
        Err(code) => return code,
    };
    // A lost lock must not start history again over migrations that ran,
    // unless each of them, and the snapshot when it is there, is byte for
    // byte what this build writes: a first build killed while it renamed
    // its files into place, the lock last. (A snapshot of another state is
    // the history's: a V2 that may have run, its files gone since.)
    // Checked once the build is planned.
    let on_disk = if lock.is_none() {
        let mut files = migration_files_on_disk(&mig_dir);
        if mig_dir.join(dddc::lock::SNAPSHOT_FILE).is_file() {
            files.push(dddc::lock::SNAPSHOT_FILE.to_string());
        }
        files
    } else {
        Vec::new()
    };
    let lost_lock = || {
        out.report(&fe.sources, &fe.diagnostics);
        out.error(&format!(
            "`{}` holds migrations ({}) but no lock: a build now would write a new V1 over that history; nothing was written\n\
             help: restore `{}` and `{}` from version control (`git checkout -- {}`)\n\
             help: if that lock was never committed (a first build stopped before it wrote its lock, then run again with another model, `--name` or `SOURCE_DATE_EPOCH`), run it again as it was; or, if those migrations never ran on any database, delete them",
            mig_dir.display(),
            on_disk.join(", "),
            dddc::lock::LOCK_FILE,
            dddc::lock::SNAPSHOT_FILE,
            mig_dir.display()
        ));
        EXIT_FAIL
    };
    // Hand-written migrations that are written now get their checksums.
    let recorded = match &mut lock {
        Some(l) => {
            let dir = mig_dir.clone();
            dddc::team::record_hand_written(
                l,
                &|n: &str| dddc::output::read_regular(&dir.join(n)).ok(),
                &project.config.migrations.lock_timeout,
            )
        }
        None => Vec::new(),
    };
    // The documents on disk as made: compared as they are made, and
    // dropped (a build after an edit of one context draws 40 of the 41
    // diagrams of 2,000 aggregates the same, 15 MB held until written
    // before); their digests are kept to record the pass for `check`.
    let unchanged_docs = std::sync::Mutex::new(Vec::new());
    let unchanged = |path: &Path, pieces: &mut dyn dddc::output::Pieces| {
        let mut hashing = dddc::check_cache::Hashing::new(pieces);
        let same = dddc::output::holds_streamed(&project.dir.join(path), &mut hashing);
        if same {
            unchanged_docs.lock().unwrap_or_else(|e| e.into_inner()).push((path.to_path_buf(), hashing.digest()));
        }
        same
    };
    let docs_options =
        dddc::build::DocsOptions { memo: docs.as_ref(), unchanged: Some(&unchanged), compare_first: false };
    let docs_inputs =
        dddc::build::DocsInputs { config: &project.config, project_dir: &project.dir, options: docs_options };
    // The design lint runs on a second thread while the build is planned.
    let mut snapshot = snapshot;
    let (plan, report, lock, early) = std::thread::scope(|s| {
        let mut inputs = Inputs {
            config: &project.config,
            lock,
            name,
            source_date_epoch: source_date_epoch(),
            now_epoch: now_epoch(),
            allow_destructive,
            project_dir: &project.dir,
            lowered: fe.schema.as_ref(),
            snapshot: snapshot.as_ref(),
            schema_pending: false,
            docs: docs_options,
            keep_statements: false,
        };
        let report = dddc::threads::beside(s, || super::design_lint(&project, &fe, model));
        let mut planned = dddc::build::plan_migrations(model, &inputs, fe.schema.as_ref());
        let mut lock = inputs.lock.take();
        // A lock written again is not needed any more: its schema (about
        // 25 MB at 2,000 aggregates) and the text of its snapshot (8.5 MB)
        // are dropped before the documents are made, the peak of a build
        // after an edit.
        if planned.as_ref().is_ok_and(|m| m.writes_lock()) {
            if let Some(l) = &mut lock {
                l.schema = dddc::relational::Schema::default();
            }
            snapshot = None;
        }
        // The migrations and the lock are compared with the disk and
        // staged on a helper while the documents are made, and their text
        // dropped (a first build's V1, U1 and lock files are 20 MB at
        // 2,000 aggregates). A dry run keeps them, to say what it would
        // write.
        let early = match &mut planned {
            Ok(m) if !dry_run => {
                let outputs = m.take_outputs();
                Some(dddc::threads::beside(s, || stage_changed(&project.dir, outputs)))
            }
            _ => None,
        };
        let plan = planned.and_then(|m| dddc::build::plan_docs(model, &docs_inputs, m));
        (plan, report.join(), lock, early.map(|e| e.join()))
    });
    let mut plan = match plan {
        Ok(p) => p,
        Err(e) => {
            // What was staged is removed before anything is said: a closed
            // pipe on the message ends the program there.
            drop(early);
            return refused_or_failed(out, &fe, e, "nothing was written");
        }
    };
    let mut unchanged_docs = std::mem::take(&mut *unchanged_docs.lock().unwrap_or_else(|e| e.into_inner()));
    let lock_written = |plan: &dddc::build::Plan| {
        plan.outputs.iter().any(|o| o.path.ends_with(dddc::lock::LOCK_FILE))
            || early.as_ref().is_some_and(|e| e.files.iter().any(|(p, _)| p.ends_with(dddc::lock::LOCK_FILE)))
    };
    if !recorded.is_empty() && !lock_written(&plan) {
        if let Some(l) = &lock {
            let (json, snapshot) = l.to_files();
            let dir = std::path::PathBuf::from(&project.config.migrations.dir);
            plan.outputs.push(dddc::build::Output { path: dir.join(dddc::lock::LOCK_FILE), bytes: json.into_bytes() });
            plan.outputs
                .push(dddc::build::Output { path: dir.join(dddc::lock::SNAPSHOT_FILE), bytes: snapshot.into_bytes() });
        }
    }
    let mut all = fe.diagnostics.clone();
    all.extend(plan.warnings.iter().cloned());
    // Printed once the files are written, or once it is known that there is
    // nothing to write: the default SIGPIPE ends the program at its first
    // write to a closed pipe (`dddc build 2>&1 | head -3`), and before, that
    // lost a run that was about to write.
    let report_findings = || {
        out.report(&fe.sources, &all);
        if let Some(report) = &report {
            lint_summary(out, &project, report, &fe.sources);
        }
    };
    // Each file read a piece at a time against what would be written, not
    // whole beside it (the data dictionary and the snapshot are 10 and 8.5
    // MB at 2,000 aggregates, and this is the peak of a build that
    // changes them).
    let compare = dddc::timing::phase("compare with the disk");
    let changed: Vec<&dddc::build::Output> = plan
        .outputs
        .iter()
        .filter(|o| !dddc::output::holds(&project.dir.join(&o.path), &[o.bytes.as_slice()]))
        .collect();
    // The migrations and the lock staged beside the documents are found
    // by their digests too.
    let (early_changed, early_staged) = match early {
        Some(e) => {
            unchanged_docs.extend(e.files);
            (e.changed, Some(e.staged))
        }
        None => (Vec::new(), None),
    };
    let written: std::collections::HashSet<&Path> =
        plan.outputs.iter().map(|o| o.path.as_path()).chain(unchanged_docs.iter().map(|(p, _)| p.as_path())).collect();
    // The files on disk without a lock: each one this build writes, as it
    // is there.
    let config_dir = Path::new(&project.config.migrations.dir);
    let rewritten: std::collections::HashSet<&Path> =
        early_changed.iter().map(PathBuf::as_path).chain(changed.iter().map(|o| o.path.as_path())).collect();
    if !on_disk
        .iter()
        .map(|name| config_dir.join(name))
        .all(|p| written.contains(p.as_path()) && !rewritten.contains(p.as_path()))
    {
        drop(compare);
        drop(early_staged);
        return lost_lock();
    }
    // Generated documentation no build writes any more (a removed context's
    // diagram): removed, so that `check` passes after `build`.
    let stale: Vec<PathBuf> = generated_docs(&project.dir, Path::new(&project.config.docs.dir))
        .into_iter()
        .filter(|p| !written.contains(&p.as_path()))
        .collect();
    drop(compare);
    out.field("migrations", json!(plan.summary));
    out.field("notices", json!(plan.notices));
    out.field("recorded", json!(recorded));
    if dry_run {
        report_findings();
        let would: Vec<PathBuf> = changed.iter().map(|o| o.path.clone()).collect();
        out.field("would_write", super::paths(&would));
        out.field("would_remove", super::paths(&stale));
        if !out.json() {
            for p in &would {
                println!("would write {}", p.display());
            }
            for p in &stale {
                println!("would remove {}", p.display());
            }
        }
        return 0;
    }
    let lint = report.as_ref().map(|r| dddc::check_cache::LintSummary::new(r, super::min_score(None, &project.config)));
    if changed.is_empty() && stale.is_empty() && early_changed.is_empty() {
        let quiet =
            plan.warnings.is_empty() && plan.notices.is_empty() && plan.summary.is_empty() && recorded.is_empty();
        save_memos();
        let problems = super::check::record_after_build(&project, &fe, lint, &plan.outputs, &unchanged_docs, quiet);
        report_findings();
        migration_problems(out, &problems);
        out.field("written", json!([]));
        out.field("removed", json!([]));
        out.say("up to date: nothing to write");
        return 0;
    }
    let write = dddc::timing::phase("write");
    let written = early_staged
        .unwrap_or_else(|| Ok(output::Staged::default()))
        .and_then(|early| early.commit(output::stage(&project.dir, &changed)?));
    if let Err(e) = written {
        report_findings();
        return out.usage_error(&e);
    }
    let mut removed = Vec::new();
    for p in &stale {
        match std::fs::remove_file(project.dir.join(p)) {
            Ok(()) => removed.push(p.clone()),
            Err(e) => {
                report_findings();
                return out.usage_error(&format!("cannot remove stale `{}`: {e}", p.display()));
            }
        }
    }
    drop(write);
    save_memos();
    let problems = super::check::record_after_build(&project, &fe, lint, &plan.outputs, &unchanged_docs, false);
    report_findings();
    migration_problems(out, &problems);
    let written: Vec<PathBuf> = early_changed.into_iter().chain(changed.iter().map(|o| o.path.clone())).collect();
    out.field("written", super::paths(&written));
    out.field("removed", super::paths(&removed));
    for n in &plan.notices {
        out.say(&format!("note: {n}"));
    }
    for r in &recorded {
        out.say(&format!("recorded the hand-written migration {r}"));
    }
    for line in &plan.summary {
        let file = line.split(' ').next().unwrap_or_default();
        if on_disk.is_empty() || written.iter().any(|p| p.file_name().is_some_and(|n| n == file)) {
            out.say(&format!("wrote {line}"));
        } else {
            // The lock was lost, the migration on disk is this one.
            out.say(&format!("finished the first build a stopped run left without its lock: {line} was in place"));
        }
    }
    for p in &written {
        out.say(&format!("  {}", p.display()));
    }
    for p in &removed {
        out.say(&format!("  removed {} (no longer generated)", p.display()));
    }
    0
}

/// The migrations and the lock, compared with the disk and staged while
/// the documents are made ([`stage_changed`]).
struct Early {
    /// Each file, by the digest of what the build made.
    files: Vec<(PathBuf, dddc::check_cache::Hash)>,
    /// The files that differ from the disk, in the outputs' order.
    changed: Vec<PathBuf>,
    /// Those, staged; or why they could not be.
    staged: Result<output::Staged, String>,
}

/// `outputs` compared with the files under `dir`, the ones that differ
/// staged, and their text dropped.
fn stage_changed(dir: &Path, outputs: Vec<dddc::build::Output>) -> Early {
    let files = outputs.iter().map(|o| (o.path.clone(), dddc::check_cache::digest(&o.bytes))).collect();
    let changed: Vec<&dddc::build::Output> =
        outputs.iter().filter(|o| !output::holds(&dir.join(&o.path), &[o.bytes.as_slice()])).collect();
    let staged = output::stage(dir, &changed);
    Early { files, changed: changed.iter().map(|o| o.path.clone()).collect(), staged }
}

/// A build with nothing to do, answered from `check`'s last pass when
/// nothing changed since (see `dddc::check_cache`): the same words and
/// fields as [`build_in`] prints when it finds nothing to write.
fn up_to_date_from_cache(out: &Output, project: &dddc::config::Project) -> Option<u8> {
    use dddc::check_cache;
    let entry = check_cache::read(project)?;
    let lint = entry.lint.as_ref().filter(|l| l.passes && entry.build_quiet)?;
    if check_cache::state(project)? != entry.state
        || check_cache::inputs_from_disk(&entry.inputs) != entry.inputs_digest
    {
        return None;
    }
    out.field("migrations", json!([]));
    out.field("notices", json!([]));
    out.field("recorded", json!([]));
    lint_line(out, lint.score, lint.minimum, lint.errors, lint.warnings, true);
    out.field("written", json!([]));
    out.field("removed", json!([]));
    // The pass recorded found the migrations folder as the lock says.
    out.field("migration_problems", json!([]));
    out.say("up to date: nothing to write");
    Some(0)
}

fn lint_line(out: &Output, score: u32, min: u32, errors: usize, warnings: usize, passes: bool) {
    out.field(
        "lint",
        json!({"score": score, "minimum": min, "errors": errors, "warnings": warnings, "passes": passes}),
    );
    out.say(&format!(
        "lint: design score {score}/100 (minimum {min}), {errors} error(s), {warnings} warning(s){}",
        if passes { "" } else { ": `dddc check` will fail on it (see `dddc lint`)" }
    ));
}

/// One line on the design lint, and the findings `check` would fail on.
fn lint_summary(
    out: &Output,
    project: &dddc::config::Project,
    report: &dddc::lint::Report,
    sources: &dddc::diagnostics::Sources,
) {
    let min = super::min_score(None, &project.config);
    let passes = dddc::lint::passes(report, Some(min));
    lint_line(out, report.score, min, report.errors(), report.warnings(), passes);
    if !passes && !out.json() {
        let errors: Vec<dddc::diagnostics::Diagnostic> =
            report.findings.iter().filter(|d| d.is_error()).cloned().collect();
        if !errors.is_empty() {
            eprint!("{}", dddc::diagnostics::render_text(sources, &errors, out.color));
        }
    }
}

/// The documentation files a build owns under `rel` (relative to `base`):
/// the files it writes there, recognised by `check::is_generated_doc`,
/// subfolders included, sorted.
pub fn generated_docs(base: &Path, rel: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    collect(base, rel, &mut out);
    out
}

fn collect(base: &Path, rel: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(base.join(rel)) else { return };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let Some(name) = p.file_name() else { continue };
        // git's folder and dddc's cache are never documentation (with
        // `[docs] dir = "."` they are inside the documentation folder).
        if name == ".git" || name == dddc::check_cache::DIR {
            continue;
        }
        let child = rel.join(name);
        // A link to a folder is the team's own (dddc never makes one), and
        // may lead back up: never followed, so that no generated file is
        // seen twice (and removed through its alias) and a loop ends.
        let link = std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink());
        if p.is_dir() {
            if !link {
                collect(base, &child, out);
            }
        } else {
            let mut head = Vec::with_capacity(2048);
            if let Ok(f) = dddc::output::open_regular(&p) {
                use std::io::Read;
                let _ = f.take(2048).read_to_end(&mut head);
            }
            let puml_beside = p.with_extension("puml").is_file();
            if dddc::check::is_generated_doc(&child, &head, puml_beside) {
                out.push(child);
            }
        }
    }
}

/// A refused or failed build/plan: reported, exit 1.
fn refused_or_failed(out: &Output, fe: &dddc::Frontend, e: BuildError, what: &str) -> u8 {
    match e {
        BuildError::Diagnostics(d) => {
            let mut all = fe.diagnostics.clone();
            all.extend(d);
            out.report(&fe.sources, &all);
        }
        BuildError::Refused(refusals) => {
            let mut all = fe.diagnostics.clone();
            all.extend(refusals.iter().map(|r| r.to_diagnostic()));
            out.report(&fe.sources, &all);
            out.field(
                "refused",
                json!(refusals
                    .iter()
                    .map(|r| json!({"code": r.code, "change": r.change, "help": r.help}))
                    .collect::<Vec<_>>()),
            );
            if !out.json() {
                eprintln!("error: the model changes in ways that can lose data; {what}");
            }
        }
        BuildError::Message(m) | BuildError::Snapshot(m) => {
            out.report(&fe.sources, &fe.diagnostics);
            out.error(&m);
        }
    }
    EXIT_FAIL
}

pub fn plan(out: &Output, model: Option<&Path>) -> u8 {
    let (project, fe, model) = match load_model(out, model) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let lock = match load_lock(out, &project) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let inputs = Inputs { lock, source_date_epoch: source_date_epoch(), ..Inputs::new(&project.config, &project.dir) };
    let plan = match dddc::build::plan(&model, &inputs) {
        Ok(p) => p,
        Err(e) => return refused_or_failed(out, &fe, e, "the next build would refuse them"),
    };
    let mut all = fe.diagnostics.clone();
    all.extend(plan.warnings.iter().cloned());
    out.report(&fe.sources, &all);
    let sql: Vec<&dddc::build::Output> = plan
        .outputs
        .iter()
        .filter(|o| o.path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('V')))
        .filter(|o| o.path.extension().is_some_and(|x| x == "sql"))
        .collect();
    if sql.is_empty() {
        out.say("no changes: the database schema matches the model");
    }
    let report_of = |o: &dddc::build::Output| {
        let name = o.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        plan.files.iter().find(|r| r.file == name)
    };
    if out.format != Format::Text {
        let files: Vec<serde_json::Value> = sql
            .iter()
            .map(|o| {
                let mut v = report_of(o).map(|r| r.to_json()).unwrap_or_else(|| json!({}));
                v["path"] = json!(o.path.display().to_string());
                v["text"] = json!(String::from_utf8_lossy(&o.bytes));
                v
            })
            .collect();
        out.field("migrations", json!(files));
        return 0;
    }
    for o in sql {
        println!("-- ===== {} =====", o.path.display());
        if let Some(r) = report_of(o) {
            print!("{}", r.lock_report());
            println!("--");
        }
        print!("{}", String::from_utf8_lossy(&o.bytes));
    }
    0
}

/// What the migrations folder has that `check` will fail on and a build
/// cannot mend (a migration of the lock deleted or edited, a file the lock
/// does not know): said as warnings, so that a build never answers "up to
/// date" over a folder the gate rejects.
fn migration_problems(out: &Output, problems: &[String]) {
    out.field("migration_problems", json!(problems));
    if problems.is_empty() || out.json() {
        return;
    }
    for p in problems {
        eprintln!("warning: {p}");
    }
    eprintln!("warning: `dddc check` fails until the migrations folder agrees with the lock");
}
