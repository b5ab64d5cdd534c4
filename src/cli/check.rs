//! `check`, the CI gate.

use std::path::{Path, PathBuf};

use dddc::check_cache;
use serde_json::json;

use super::{migrations_dir, read_lock, Output, EXIT_FAIL};

pub fn check(out: &Output, model: Option<&Path>, use_cache: bool) -> u8 {
    let project = match super::discover(out, model) {
        Ok(p) => p,
        Err(code) => return code,
    };
    // The project as it is before anything of it is read: a pass is
    // recorded only if it is still so afterwards. When it is as the last
    // pass left it, and so are the model's files, that pass is the answer
    // (see `dddc::check_cache`). When a model file differs from the last
    // pass's (an edit of the model: the usual commit), the pass cannot
    // answer, and the state is hashed on the lock's thread, before that
    // thread reads anything, while the model compiles. (A model file can
    // be in the state too, under `[docs] dir = "."` or included from the
    // documentation folder; an edit of it while it is read is then seen
    // by the model's own digest, taken from the text compiled, and the
    // next check runs in full.)
    let entry = if use_cache { check_cache::read(&project) } else { None };
    let model_as_passed = entry.as_ref().is_some_and(|e| check_cache::inputs_from_disk(&e.inputs) == e.inputs_digest);
    let before = match (use_cache, model_as_passed) {
        (false, _) => Before::Known(None),
        (true, true) => Before::Known(check_cache::state(&project)),
        (true, false) => Before::ToHash,
    };
    if let (Before::Known(Some(state)), Some(entry)) = (&before, &entry) {
        if entry.state == *state {
            return passed(out, &entry.repeatable, entry.lint.as_ref(), true);
        }
    }
    let code = check_in_full(out, &project, before, use_cache);
    if code != 0 && use_cache {
        check_cache::forget(&project);
    }
    code
}

/// The project's state before a full check ([`check_cache::state`]).
enum Before {
    /// Hashed already (`None`: not wanted, or it could not be hashed).
    Known(Option<String>),
    /// To be hashed before anything of it is read.
    ToHash,
}

fn check_in_full(out: &Output, project: &dddc::config::Project, before: Before, use_cache: bool) -> u8 {
    // What earlier runs parsed (`dddc::memo`; drawn: `Disk::docs_memo`).
    let syntax = if use_cache { dddc::memo::Memo::open(&project.dir, dddc::syntax::memo::FOLDER) } else { None };
    // The lock is read, and the migrations hashed (a first one is ten
    // megabytes at 2,000 aggregates), on a second thread while the model
    // is compiled.
    let (fe, (lock, migration_files, before)) = std::thread::scope(|s| {
        let lock = dddc::threads::beside(s, || {
            let before = match before {
                Before::Known(state) => state,
                Before::ToHash => check_cache::state(project),
            };
            let lock = read_lock_deferred(project);
            let _p = dddc::timing::phase("hash the migrations, list the documents");
            let mut migration_files = Vec::new();
            let unreadable = collect_migrations(&migrations_dir(project), "", &mut migration_files);
            migration_files.sort();
            let doc_files = super::build::generated_docs(&project.dir, &PathBuf::from(&project.config.docs.dir));
            (lock, (migration_files, doc_files, unreadable), before)
        });
        let fe = super::frontend_remembering(out, project, syntax.as_ref());
        (fe, lock.join())
    });
    let (migration_files, doc_files, unreadable) = migration_files;
    let fe = match fe {
        Ok(fe) => fe,
        Err(code) => return code,
    };
    out.report(&fe.sources, &fe.diagnostics);
    let Some(model) = fe.model.as_ref() else {
        out.field("findings", json!([{"reason": "the model has errors", "diff": null}]));
        out.say("check failed: the model has errors");
        return EXIT_FAIL;
    };
    let (lock_text, snapshot, (parsed, schema_pending)) = match lock {
        Ok(t) => t,
        Err(e) => return out.usage_error(&e),
    };
    let (dir, same_dir) = (project.dir.clone(), project.dir.clone());
    let disk = dddc::check::Disk {
        lock_text,
        snapshot,
        migration_files,
        read: Box::new(move |p: &Path| dddc::output::read_regular(&dir.join(p)).ok()),
        same: Box::new(move |p: &Path, pieces: &mut dyn dddc::output::Pieces| {
            dddc::output::holds_streamed(&same_dir.join(p), pieces)
        }),
        doc_files,
        docs_memo: if use_cache { dddc::memo::Memo::open(&project.dir, dddc::docs::MEMO_FOLDER) } else { None },
    };
    let repeatable: Vec<String> = dddc::check::repeatable_migrations(&disk).into_iter().map(String::from).collect();
    print_repeatable(out, &repeatable);
    // The design lint runs on a second thread while the outputs are built
    // and compared.
    let (checked, report) = std::thread::scope(|s| {
        let report = dddc::threads::beside(s, || super::design_lint(project, &fe, model));
        let checked = dddc::check::run_parsed(
            model,
            fe.schema.as_ref(),
            parsed,
            schema_pending,
            &project.config,
            &project.dir,
            &disk,
        );
        (checked, report.join())
    });
    let mut findings = checked.findings;
    let mig_dir = PathBuf::from(&project.config.migrations.dir);
    for name in unreadable {
        findings.push(dddc::check::Finding {
            reason: format!(
                "`{}` is not a regular file that can be read (a FIFO, a device, a socket?): Flyway cannot run it; replace it with the file, or remove it",
                mig_dir.join(name).display()
            ),
            diff: None,
        });
    }
    // Lint: errors or a score below the minimum fail the gate too.
    let lint = report.as_ref().map(|r| check_cache::LintSummary::new(r, super::min_score(None, &project.config)));
    print_lint(out, lint.as_ref());
    if let (Some(report), Some(summary)) = (report, &lint) {
        let min = summary.minimum;
        if !summary.passes {
            if !out.json() {
                eprint!("{}", dddc::lint::render_text(&report, &fe.sources, out.color));
            }
            findings.push(dddc::check::Finding {
                reason: format!(
                    "lint: {} error finding(s), design score {} (minimum {min}); see `dddc lint`",
                    report.errors(),
                    report.score
                ),
                diff: None,
            });
        }
    }
    if findings.is_empty() {
        for memo in [&syntax, &disk.docs_memo].into_iter().flatten() {
            memo.save();
        }
        // Recorded when nothing was printed but the verdict, and nothing
        // changed while the check ran.
        if let Some(before) =
            before.filter(|b| fe.diagnostics.is_empty() && check_cache::state(project).as_ref() == Some(b))
        {
            let entry = check_cache::Entry {
                state: before,
                inputs: fe.sources.iter().map(|(_, f)| f.path.clone()).collect(),
                inputs_digest: check_cache::inputs_from_texts(
                    fe.sources.iter().map(|(_, f)| (f.path.as_path(), f.text.as_str())),
                ),
                lint: lint.clone(),
                repeatable: repeatable.clone(),
                build_quiet: checked.build_quiet && lint.as_ref().is_some_and(|l| l.passes),
            };
            check_cache::write(project, &entry);
        }
        return passed(out, &repeatable, lint.as_ref(), false);
    }
    out.field(
        "findings",
        json!(findings.iter().map(|f| json!({"reason": f.reason, "diff": f.diff})).collect::<Vec<_>>()),
    );
    if !out.json() {
        for f in &findings {
            eprintln!("error: {}", f.reason);
            if let Some(d) = &f.diff {
                eprintln!("{d}");
            }
        }
        eprintln!("check failed: {} problem(s)", findings.len());
    }
    EXIT_FAIL
}

/// After a build (which wrote, or found nothing to write): records a pass
/// for `check` when a check now would pass and print nothing but its
/// verdict, so that the check a pre-commit hook runs next answers at once.
/// That holds when the model had no diagnostic, the lint passes, every
/// output the build made is on disk as it made it (and every document it
/// found there as made and dropped, `unchanged`, still has the digest of
/// the bytes it compared), no other generated document is there, and the
/// migrations folder agrees with the lock
/// (what [`dddc::check::migration_findings`] looks at) — the rest of a
/// check is the build itself, which makes the same outputs from the same
/// files. All of it is checked against the files as the project's state
/// hashed them, in that one read (and the lock read again only to parse
/// it, if it is still the file hashed): the state recorded is exactly the
/// one checked. Returns what the migrations folder has that `check` will
/// fail on (a migration of the lock missing or edited, one not in the
/// lock), for the build to say.
pub fn record_after_build(
    project: &dddc::config::Project,
    fe: &dddc::Frontend,
    lint: Option<check_cache::LintSummary>,
    outputs: &[dddc::build::Output],
    unchanged: &[(PathBuf, check_cache::Hash)],
    build_quiet: bool,
) -> Vec<String> {
    let _p = dddc::timing::phase("record the pass for check");
    let mut problems = Vec::new();
    let recorded = (|| {
        let state = check_cache::state_with_files(project, true)?;
        let hashed = |folder: &str, name: &str| {
            state.files.iter().find(|f| f.folder == folder && f.name == name).and_then(|f| f.digest)
        };
        let dir = migrations_dir(project);
        let lock_text = dddc::output::read_regular_to_string(&dir.join(dddc::lock::LOCK_FILE)).ok()?;
        if hashed("migrations", dddc::lock::LOCK_FILE) != Some(check_cache::digest(lock_text.as_bytes())) {
            return None;
        }
        let migrations = dddc::lock::Lock::migrations_only(&lock_text).ok()?;
        let mut migration_files: Vec<(String, String)> = state
            .files
            .iter()
            .filter(|f| f.folder == "migrations")
            // Each file's name (the snapshot's with no checksum: the lock
            // records none of it).
            .filter_map(|f| {
                f.digest.map(|_| (f.name.clone(), f.sha256.map_or_else(String::new, |d| check_cache::hex(&d))))
            })
            .collect();
        migration_files.sort();
        let disk = dddc::check::Disk {
            lock_text: Some(lock_text),
            snapshot: None,
            migration_files,
            // A migration file's bytes, read only when its checksum differs
            // (its line ends changed by git are not an edit).
            read: Box::new(move |p: &Path| dddc::output::read_regular(&dir.join(p)).ok()),
            same: Box::new(|_: &Path, _: &mut dyn dddc::output::Pieces| false),
            doc_files: Vec::new(),
            docs_memo: None,
        };
        let findings = dddc::check::migration_findings(&migrations, &disk, &project.config.migrations.lock_timeout);
        if !findings.is_empty() {
            problems = findings.into_iter().map(|f| f.reason).collect();
            return None;
        }
        let lint = lint.filter(|l| l.passes)?;
        if !fe.diagnostics.is_empty() {
            return None;
        }
        let repeatable: Vec<String> = dddc::check::repeatable_migrations(&disk).into_iter().map(String::from).collect();
        // Every output as the build made it, among the files hashed.
        let by_path: std::collections::HashMap<&Path, &check_cache::Hashed> =
            state.files.iter().filter(|f| f.folder != "config").map(|f| (f.path.as_path(), f)).collect();
        let wanted: Vec<(&check_cache::Hashed, &[u8])> = outputs
            .iter()
            .map(|o| by_path.get(project.dir.join(&o.path).as_path()).map(|f| (*f, o.bytes.as_slice())))
            .collect::<Option<_>>()?;
        if !dddc::threads::map_halves(&wanted, |(f, bytes)| f.digest == Some(check_cache::digest(bytes)))
            .into_iter()
            .all(|same| same)
        {
            return None;
        }
        // And each document the build found on disk as it made it (and
        // dropped), by the digest of what it compared.
        if !unchanged.iter().all(|(path, digest)| {
            by_path.get(project.dir.join(path).as_path()).is_some_and(|f| f.digest == Some(*digest))
        }) {
            return None;
        }
        // No other generated document (by what the state read of it).
        let written: std::collections::HashSet<PathBuf> = outputs
            .iter()
            .map(|o| project.dir.join(&o.path))
            .chain(unchanged.iter().map(|(p, _)| project.dir.join(p)))
            .collect();
        let docs: std::collections::HashSet<&str> =
            state.files.iter().filter(|f| f.folder == "docs").map(|f| f.name.as_str()).collect();
        let other_generated =
            state.files.iter().filter(|f| f.folder == "docs" && !written.contains(&f.path)).any(|f| {
                let puml = Path::new(&f.name).with_extension("puml");
                let puml_beside = puml.to_str().is_some_and(|p| docs.contains(p));
                dddc::check::is_generated_doc(Path::new(&f.name), &f.head, puml_beside)
            });
        if other_generated {
            return None;
        }
        Some(check_cache::Entry {
            state: state.digest,
            inputs: fe.sources.iter().map(|(_, f)| f.path.clone()).collect(),
            inputs_digest: check_cache::inputs_from_texts(
                fe.sources.iter().map(|(_, f)| (f.path.as_path(), f.text.as_str())),
            ),
            lint: Some(lint),
            repeatable,
            build_quiet,
        })
    })();
    match recorded {
        Some(entry) => check_cache::write(project, &entry),
        None => check_cache::forget(project),
    }
    problems
}

/// The verdict of a check that found nothing; `cached` when the last pass
/// answered.
fn passed(out: &Output, repeatable: &[String], lint: Option<&check_cache::LintSummary>, cached: bool) -> u8 {
    if cached {
        print_repeatable(out, repeatable);
        print_lint(out, lint);
    }
    out.field("findings", json!([]));
    out.field("cached", json!(cached));
    out.say(if cached {
        "check passed: migrations, lock and documentation are up to date (nothing changed since the last check passed)"
    } else {
        "check passed: migrations, lock and documentation are up to date"
    });
    0
}

fn print_repeatable(out: &Output, repeatable: &[String]) {
    for r in repeatable {
        out.say(&format!(
            "note: `{r}` is a repeatable migration: dddc leaves it alone (Flyway runs it after the versioned ones whenever it changes)"
        ));
    }
    out.field("repeatable", json!(repeatable));
}

fn print_lint(out: &Output, lint: Option<&check_cache::LintSummary>) {
    if let Some(l) = lint {
        out.field("lint", json!({"score": l.score, "minimum": l.minimum, "errors": l.errors, "warnings": l.warnings}));
    }
}

/// What [`read_lock_deferred`] reads.
type LockRead = (Option<String>, Option<dddc::lock::Snapshot>, (Option<Result<dddc::lock::Lock, String>>, bool));

/// The lock's text, its snapshot's file (compared later, a piece at a
/// time, and only if the model's schema does not write the same text; not
/// held meanwhile), and the lock parsed without its schema
/// ([`dddc::check::parse_lock_deferred`]).
fn read_lock_deferred(project: &dddc::config::Project) -> Result<LockRead, String> {
    let _p = dddc::timing::phase("read the lock");
    read_lock(project).map(|(lock_text, snapshot_text)| {
        let parsed = dddc::check::parse_lock_deferred(lock_text.as_deref(), snapshot_text.as_deref());
        let snapshot =
            snapshot_text.map(|_| dddc::lock::Snapshot::File(migrations_dir(project).join(dddc::lock::SNAPSHOT_FILE)));
        (lock_text, snapshot, parsed)
    })
}

/// Every file under `dir` (subfolders included: Flyway searches them), as
/// `/`-separated paths relative to the migrations folder, with the SHA-256
/// of its bytes (read a piece at a time, not held).
/// Whether Flyway (or dddc) reads a file of that name in the migrations
/// folder: a versioned, undo, baseline or repeatable migration, its
/// `.sql.conf`, the lock or the snapshot.
fn is_flyways(name: &str) -> bool {
    use dddc::check::{flyway_kind, FlywayFile};
    !matches!(flyway_kind(name), FlywayFile::Other)
        || name == dddc::lock::LOCK_FILE
        || name == dddc::lock::SNAPSHOT_FILE
}

fn collect_migrations(dir: &Path, prefix: &str, out: &mut Vec<(String, String)>) -> Vec<String> {
    let mut buf = vec![0u8; 1 << 16];
    let mut above = dir.canonicalize().into_iter().collect();
    let mut unreadable = Vec::new();
    collect_migrations_in(dir, prefix, &mut buf, &mut above, out, &mut unreadable);
    unreadable.sort();
    unreadable
}

/// `above`: the folders walked into to get here, as links resolve them. A
/// link back to one of them is not followed (two links to `.` made the
/// walk exponential, and `check` never ended).
fn collect_migrations_in(
    dir: &Path,
    prefix: &str,
    buf: &mut [u8],
    above: &mut Vec<PathBuf>,
    out: &mut Vec<(String, String)>,
    unreadable: &mut Vec<String>,
) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let path = e.path();
        let name = format!("{prefix}{}", e.file_name().to_string_lossy());
        if path.is_dir() {
            let Ok(real) = path.canonicalize() else { continue };
            if above.contains(&real) {
                continue;
            }
            above.push(real);
            collect_migrations_in(&path, &format!("{name}/"), buf, above, out, unreadable);
            above.pop();
        } else if let Some(sha256) = check_cache::file_sha256_hex(&path, buf) {
            out.push((name, sha256));
        } else if is_flyways(&e.file_name().to_string_lossy()) {
            // A FIFO, a device, a socket or a file that cannot be read,
            // named as Flyway runs it: skipped silently, it passed.
            unreadable.push(name);
        }
    }
}
