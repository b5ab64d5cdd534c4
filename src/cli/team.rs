//! `new`, `rewind` and `rebase`: the team workflows on the migrations
//! folder (the library's `team` module decides, this file reads git and the
//! disk and writes).

use std::path::{Path, PathBuf};
use std::process::Command;

use dddc::build::Inputs;
use dddc::lock::Lock;
use dddc::output::write_atomically;
use serde_json::json;

use super::{load_lock, load_model, migrations_dir, now_epoch, source_date_epoch, Output, EXIT_FAIL, EXIT_USAGE};

/// Writes `write`, then removes `remove` (those not written again), then
/// writes the lock: killed half-way, the lock still names what to finish.
fn apply(out: &Output, project_dir: &Path, ops: &dddc::team::FileOps, lock: &Lock, mig_rel: &Path) -> Result<(), u8> {
    let (json, snapshot) = lock.to_files();
    let mut files: Vec<dddc::build::Output> = ops.write.clone();
    files.push(dddc::build::Output { path: mig_rel.join(dddc::lock::SNAPSHOT_FILE), bytes: snapshot.into_bytes() });
    files.push(dddc::build::Output { path: mig_rel.join(dddc::lock::LOCK_FILE), bytes: json.into_bytes() });
    let (lock_files, rest): (Vec<_>, Vec<_>) = files
        .iter()
        .partition(|o| o.path.ends_with(dddc::lock::LOCK_FILE) || o.path.ends_with(dddc::lock::SNAPSHOT_FILE));
    write_atomically(project_dir, &rest).map_err(|e| out.usage_error(&e))?;
    for r in &ops.remove {
        if ops.write.iter().any(|w| &w.path == r) {
            continue;
        }
        match std::fs::remove_file(project_dir.join(r)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(out.usage_error(&format!("cannot remove `{}`: {e}", r.display()))),
        }
    }
    write_atomically(project_dir, &lock_files).map_err(|e| out.usage_error(&e))?;
    Ok(())
}

/// `dddc new NAME`: a hand-written migration after the last one.
pub fn new(out: &Output, name: &str) -> u8 {
    let project = match dddc::config::discover(None) {
        Ok(p) => p,
        Err(e) => return out.usage_error(&e),
    };
    let lock = match load_lock(out, &project) {
        Ok(Some(l)) => l,
        Ok(None) => {
            out.error(
                "no lock yet: run `dddc build` first (V1 creates the schema; hand-written migrations come after it)",
            );
            return EXIT_FAIL;
        }
        Err(code) => return code,
    };
    let description = dddc::build::slug(name);
    if description.is_empty() {
        return out.usage_error(&format!("`{name}` gives an empty migration name: use letters or digits"));
    }
    let inputs = Inputs {
        source_date_epoch: source_date_epoch(),
        now_epoch: now_epoch(),
        ..Inputs::new(&project.config, &project.dir)
    };
    let version = dddc::build::next_version(&lock, &inputs, 0);
    let mig_rel = PathBuf::from(&project.config.migrations.dir);
    let (ops, next) =
        dddc::team::new_migration(&lock, &mig_rel, version, &description, &project.config.migrations.lock_timeout);
    if let Err(code) = apply(out, &project.dir, &ops, &next, &mig_rel) {
        return code;
    }
    let written: Vec<PathBuf> = ops.write.iter().map(|o| o.path.clone()).collect();
    out.field("written", super::paths(&written));
    for p in &written {
        out.say(&format!("wrote {}", p.display()));
    }
    out.say("write the migration (and its undo); the next `dddc build` records their checksums");
    0
}

/// `dddc rewind --to N`.
pub fn rewind(out: &Output, to: &str, discard_hand_written: bool) -> u8 {
    let project = match dddc::config::discover(None) {
        Ok(p) => p,
        Err(e) => return out.usage_error(&e),
    };
    let lock = match load_lock(out, &project) {
        Ok(Some(l)) => l,
        Ok(None) => {
            out.error("no lock: nothing to rewind");
            return EXIT_FAIL;
        }
        Err(code) => return code,
    };
    let mig_dir = migrations_dir(&project);
    let snapshot_text = std::fs::read_to_string(mig_dir.join(dddc::lock::SNAPSHOT_FILE)).unwrap_or_default();
    let mig_rel = PathBuf::from(&project.config.migrations.dir);
    let read = |name: &str| std::fs::read(mig_dir.join(name)).ok();
    let lock_timeout = &project.config.migrations.lock_timeout;
    let (ops, next) =
        match dddc::team::rewind(&lock, &snapshot_text, to, &mig_rel, discard_hand_written, &read, lock_timeout) {
            Ok(x) => x,
            Err(e) => {
                out.error(&e);
                return EXIT_FAIL;
            }
        };
    // A file edited since it was recorded may be work nobody else has.
    let forgotten: Vec<&dddc::lock::Migration> = lock.migrations.iter().skip(next.migrations.len()).collect();
    // A migration on a shared branch (merged from `main`) may have run on
    // a shared database: it is never rewound, not even on a branch.
    if git_ok(&mig_dir, &["rev-parse", "--git-dir"]) {
        let shared = shared_branches(&mig_dir);
        // The same migration: the bytes the lock recorded (or, not yet
        // recorded, the bytes on disk).
        let holder = |m: &dddc::lock::Migration| {
            let disk = std::fs::read(mig_dir.join(&m.file.name)).ok();
            let same = |b: &[u8]| {
                if m.file.sha256.is_empty() {
                    disk.as_deref() == Some(b)
                } else {
                    dddc::lock::sha256_hex(b) == m.file.sha256
                }
            };
            shared_holder(&mig_dir, &shared, &m.file.name, &same)
        };
        if let Some((m, branch)) = forgotten.iter().find_map(|m| holder(m).map(|b| (m, b))) {
            let last_shared = lock
                .migrations
                .iter()
                .rev()
                .find(|x| holder(x).is_some())
                .map(|x| x.version.clone())
                .unwrap_or_else(|| m.version.clone());
            out.error(&format!(
                "`{}` is on `{branch}`, where a shared database may have run it: rewinding never forgets a shared migration; rewind to V{last_shared} or later (only this branch's own migrations after it); nothing was changed",
                m.file.name
            ));
            return EXIT_FAIL;
        }
    }
    for m in &forgotten {
        for f in m.files() {
            if let Ok(bytes) = std::fs::read(mig_dir.join(&f.name)) {
                if !f.sha256.is_empty()
                    && dddc::lock::sha256_hex(&bytes) != f.sha256
                    && !dddc::lock::same_but_line_ends(&bytes, &f.sha256)
                {
                    out.error(&format!(
                        "`{}` was edited after it was recorded: move it out of the way before rewinding; nothing was changed",
                        f.name
                    ));
                    return EXIT_FAIL;
                }
            }
        }
    }
    if let Err(code) = apply(out, &project.dir, &ops, &next, &mig_rel) {
        return code;
    }
    out.field("removed", super::paths(&ops.remove));
    out.field("version", json!(to));
    for p in &ops.remove {
        out.say(&format!("removed {}", p.display()));
    }
    out.say(&format!(
        "rewound to V{to}: the next `dddc build` writes the model's changes since then again (only for migrations no shared database has run)"
    ));
    0
}

/// `git -C dir show SPEC`, when it succeeds.
fn git_show(dir: &Path, spec: &str) -> Option<Vec<u8>> {
    let out = Command::new("git").arg("-C").arg(dir).args(["show", spec]).output().ok()?;
    out.status.success().then_some(out.stdout)
}

fn git_ok(dir: &Path, args: &[&str]) -> bool {
    Command::new("git").arg("-C").arg(dir).args(args).output().is_ok_and(|o| o.status.success())
}

/// `git -C dir ARGS`'s output, trimmed, when it succeeds.
fn git_text(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A branch a team ships migrations from: its short name and full ref.
struct Shared {
    name: String,
    refname: String,
}

/// The branches a team ships migrations from, those that exist: the
/// remote's default (`origin/HEAD`), `main` and `master`, local and on
/// `origin` (full refs: a tag or a local branch named `origin/main` is
/// not taken for one). A migration on one of them may have run on a
/// shared database.
fn shared_branches(dir: &Path) -> Vec<Shared> {
    let mut names: Vec<(String, String)> = Vec::new();
    let local = |b: &str| (b.to_string(), format!("refs/heads/{b}"));
    let remote = |b: &str| (format!("origin/{b}"), format!("refs/remotes/origin/{b}"));
    if let Some(r) = git_text(dir, &["symbolic-ref", "-q", "refs/remotes/origin/HEAD"]) {
        if let Some(b) = r.strip_prefix("refs/remotes/origin/") {
            names.push(local(b));
            names.push(remote(b));
        }
    }
    for b in ["main", "master"] {
        names.push(local(b));
        names.push(remote(b));
    }
    let mut seen = std::collections::HashSet::new();
    names
        .into_iter()
        .filter(|(_, r)| seen.insert(r.clone()))
        .filter(|(_, r)| git_ok(dir, &["rev-parse", "-q", "--verify", r]))
        .map(|(name, refname)| Shared { name, refname })
        .collect()
}

/// The branch checked out, unless HEAD is detached.
fn current_branch(dir: &Path) -> Option<String> {
    git_text(dir, &["symbolic-ref", "-q", "--short", "HEAD"])
}

/// Whether the current branch is a local shared one (`main`).
fn on_shared_branch(shared: &[Shared], branch: Option<&str>) -> bool {
    branch.is_some_and(|b| shared.iter().any(|s| s.name == b && s.refname == format!("refs/heads/{b}")))
}

/// Whether commit `rev` is on a shared branch other than the one checked
/// out (a remote's `main` when pulling, `main` when cherry-picking from it).
fn on_another_shared(dir: &Path, shared: &[Shared], branch: Option<&str>, rev: &str) -> bool {
    shared
        .iter()
        .filter(|s| branch.is_none_or(|b| s.refname != format!("refs/heads/{b}")))
        .any(|s| git_ok(dir, &["merge-base", "--is-ancestor", rev, &s.refname]))
}

/// The first shared branch that holds migration `file` (a name in the
/// migrations folder `dir`) as this one (`same`: its bytes are this
/// migration's; a branch's own migration of the same name is not main's).
fn shared_holder(dir: &Path, shared: &[Shared], file: &str, same: &dyn Fn(&[u8]) -> bool) -> Option<String> {
    shared
        .iter()
        .find(|s| git_show(dir, &format!("{}:./{file}", s.refname)).is_some_and(|b| same(&b)))
        .map(|s| s.name.clone())
}

/// The lock and snapshot at a git revision (`HEAD`, `MERGE_HEAD`, …).
fn lock_at(dir: &Path, rev: &str) -> Option<Result<Lock, String>> {
    let lock = git_show(dir, &format!("{rev}:./{}", dddc::lock::LOCK_FILE))?;
    let snapshot = git_show(dir, &format!("{rev}:./{}", dddc::lock::SNAPSHOT_FILE));
    let lock = String::from_utf8_lossy(&lock).into_owned();
    let snapshot = snapshot.map(|s| String::from_utf8_lossy(&s).into_owned());
    Some(Lock::parse(&lock, snapshot.as_deref()).map_err(|e| format!("the lock at `{rev}`: {e}")))
}

/// `dddc rebase [--onto REF]`: after `git merge` of another branch, that
/// branch's migrations keep their versions and this branch's changes are
/// built again after them.
pub fn rebase(out: &Output, model: Option<&Path>, onto: Option<&str>, allow_destructive: bool) -> u8 {
    let (project, fe, model) = match load_model(out, model) {
        Ok(x) => x,
        Err(code) => {
            if code == EXIT_FAIL {
                out.error(
                    "the merged model has errors (conflict markers?): resolve them first, then run `dddc rebase` again",
                );
            }
            return code;
        }
    };
    let mig_dir = migrations_dir(&project);
    if !git_ok(&mig_dir, &["rev-parse", "--git-dir"]) {
        out.error("`dddc rebase` reads the branches' locks from git, and this is not a git repository");
        return EXIT_USAGE;
    }
    let merging = git_ok(&mig_dir, &["rev-parse", "-q", "--verify", "MERGE_HEAD"]);
    // On a shared branch (`main`) merging a feature branch in, main's
    // migrations may have run on a shared database: they keep their
    // versions, and the merged branch's changes are built again after
    // them (the sides swap). Kept otherwise, a feature's migration took
    // main's shipped version.
    let branch = current_branch(&mig_dir);
    let shared = shared_branches(&mig_dir);
    let on_shared = on_shared_branch(&shared, branch.as_deref());
    if let (true, Some(r)) = (on_shared, onto) {
        let at = |rev: &str| git_text(&mig_dir, &["rev-parse", "-q", "--verify", &format!("{rev}^{{commit}}")]);
        if at(r) != at("HEAD") {
            out.error(&format!(
                "`{}` is a shared branch: its migrations may have run on a shared database and keep their versions, so it is not rebased onto `{r}`; merge it into the other branch and run `dddc rebase` there",
                branch.as_deref().unwrap_or_default()
            ));
            return EXIT_FAIL;
        }
    }
    // `git rebase main` (or a cherry-pick) stopped on the lock's conflict:
    // HEAD is main's side, the commit replayed this branch's. The same
    // swap: HEAD's migrations stay, the replayed commit's are built again.
    let replaying = if merging || onto.is_some() {
        None
    } else {
        ["REBASE_HEAD", "CHERRY_PICK_HEAD"].into_iter().find(|r| git_ok(&mig_dir, &["rev-parse", "-q", "--verify", r]))
    };
    // A commit picked from a shared branch brings migrations that may have
    // run: they are not this branch's to build again.
    if replaying == Some("CHERRY_PICK_HEAD")
        && on_another_shared(&mig_dir, &shared, branch.as_deref(), "CHERRY_PICK_HEAD")
    {
        out.error("the commit being picked is on a shared branch: its migrations keep their versions, so they are not built again after this branch's; `git cherry-pick --abort`, then merge that branch and run `dddc rebase`");
        return EXIT_FAIL;
    }
    // Pulling `main` into `main` (or merging a branch a shared database
    // already ran, such as a hotfix on `origin/main`): the incoming side
    // is the shared one and keeps its versions, as on any branch.
    let incoming_shared = merging && on_another_shared(&mig_dir, &shared, branch.as_deref(), "MERGE_HEAD");
    let swapped = on_shared && onto.is_none() && merging && !incoming_shared;
    // The other branch's history, and the revision its files come from.
    let theirs_revs: Vec<&str> = match onto {
        None if swapped || replaying.is_some() => vec!["HEAD"],
        Some(r) => vec![r],
        // (A conflicted file's "theirs" stage is MERGE_HEAD's blob.)
        None if merging => vec!["MERGE_HEAD"],
        None => {
            out.error("no merge, rebase or cherry-pick in progress: run `dddc rebase` when `git merge <branch>` (or `git rebase`) stops on the lock's conflict, or name the branch with `--onto <branch>`");
            return EXIT_USAGE;
        }
    };
    let mut theirs = None;
    for rev in &theirs_revs {
        if let Some(l) = lock_at(&mig_dir, rev) {
            theirs = Some((l, rev.to_string()));
            break;
        }
    }
    let Some((theirs, theirs_rev)) = theirs else {
        out.error(&format!("no lock in `{}` of the other branch: nothing to rebase onto", theirs_revs.join("` or `")));
        return EXIT_FAIL;
    };
    let theirs = match theirs {
        Ok(l) => l,
        Err(e) => {
            out.error(&e);
            return EXIT_FAIL;
        }
    };
    // This branch's history: the conflict's own side, else the commit
    // before the merge.
    let merge_commit = git_ok(&mig_dir, &["rev-parse", "-q", "--verify", "HEAD^2"]);
    let ours_revs: Vec<&str> = if swapped {
        vec!["MERGE_HEAD"]
    } else if let Some(r) = replaying {
        vec![r]
    } else if merging || !merge_commit {
        vec!["HEAD"]
    } else {
        vec!["HEAD^1"]
    };
    let ours = ours_revs.iter().find_map(|r| lock_at(&mig_dir, r));
    let ours = match ours {
        // The commit replayed: only the migrations it adds are its own
        // (an earlier commit's, moved at an earlier stop, are not).
        Some(Ok(mut l)) if replaying.is_some() => {
            if let Some(Ok(parent)) = replaying.and_then(|r| lock_at(&mig_dir, &format!("{r}^"))) {
                let had = |m: &dddc::lock::Migration| {
                    parent.migrations.iter().any(|p| p.file.name == m.file.name && p.version == m.version)
                };
                l.migrations.retain(|m| !had(m));
            }
            l
        }
        Some(Ok(l)) => l,
        Some(Err(e)) => {
            out.error(&e);
            return EXIT_FAIL;
        }
        None => {
            out.error("this branch has no committed lock: build and commit before rebasing");
            return EXIT_FAIL;
        }
    };
    let mig_rel = PathBuf::from(&project.config.migrations.dir);
    let disk = |n: &str| std::fs::read(mig_dir.join(n)).ok();
    let their_file = |n: &str| {
        theirs_revs
            .iter()
            .find_map(|r| git_show(&mig_dir, &format!("{r}:./{n}")))
            .or_else(|| git_show(&mig_dir, &format!("{theirs_rev}:./{n}")))
    };
    let rebase = match dddc::team::rebase(&ours, &theirs, &mig_rel, &disk, &their_file) {
        Ok(r) => r,
        Err(e) => {
            out.error(&e);
            return EXIT_FAIL;
        }
    };
    // This branch's changes, built again against the other's history.
    let name = rebase.dropped.first().map(|m| m.description.clone());
    let inputs = Inputs {
        lock: Some(rebase.lock.clone()),
        name: name.as_deref(),
        allow_destructive,
        source_date_epoch: source_date_epoch(),
        now_epoch: now_epoch(),
        ..Inputs::new(&project.config, &project.dir)
    };
    let plan = match dddc::build::plan(&model, &inputs) {
        Ok(p) => p,
        Err(dddc::build::BuildError::Refused(refusals)) => {
            let mut all = fe.diagnostics.clone();
            all.extend(refusals.iter().map(|r| r.to_diagnostic()));
            out.report(&fe.sources, &all);
            out.error(if allow_destructive {
                "the merged model changes the other branch's schema in ways a build refuses; nothing was changed"
            } else {
                "the merged model changes the other branch's schema in ways a build refuses; nothing was changed. \
                 If this branch meant them (a drop, a narrowing), run `dddc rebase --allow-destructive`"
            });
            return EXIT_FAIL;
        }
        Err(dddc::build::BuildError::Diagnostics(d)) => {
            out.report(&fe.sources, &d);
            return EXIT_FAIL;
        }
        Err(dddc::build::BuildError::Message(m) | dddc::build::BuildError::Snapshot(m)) => {
            out.error(&m);
            return EXIT_FAIL;
        }
    };
    out.report(&fe.sources, &plan.warnings);
    let file = |p: &str| {
        plan.outputs.iter().find(|o| o.path.ends_with(p)).map(|o| String::from_utf8_lossy(&o.bytes).into_owned())
    };
    let mut lock = match (file(dddc::lock::LOCK_FILE), file(dddc::lock::SNAPSHOT_FILE)) {
        (Some(l), s) => match Lock::parse(&l, s.as_deref()) {
            Ok(l) => l,
            Err(e) => {
                out.error(&e);
                return EXIT_FAIL;
            }
        },
        _ => rebase.lock.clone(),
    };
    let mut ops = rebase.ops;
    ops.write.extend(
        plan.outputs
            .iter()
            .filter(|o| !o.path.ends_with(dddc::lock::LOCK_FILE) && !o.path.ends_with(dddc::lock::SNAPSHOT_FILE))
            .cloned(),
    );
    let mut moved = Vec::new();
    for (i, (m, files)) in rebase.hand_written.iter().enumerate() {
        let version = dddc::build::next_version(&lock, &inputs, plan.summary.len() + i);
        let more = dddc::team::reregister(
            &mut lock,
            &mig_rel,
            m,
            files,
            version.clone(),
            &project.config.migrations.lock_timeout,
        );
        moved.push(format!("{} → V{version}", m.file.name));
        ops.write.extend(more.write);
    }
    if let Err(code) = apply(out, &project.dir, &ops, &lock, &mig_rel) {
        return code;
    }
    let kept: Vec<&str> = theirs.migrations.iter().map(|m| m.file.name.as_str()).collect();
    let dropped: Vec<&str> = rebase.dropped.iter().map(|m| m.file.name.as_str()).collect();
    out.field("kept", json!(kept));
    out.field("regenerated", json!(plan.summary));
    out.field("replaced", json!(dropped));
    out.field("moved", json!(moved));
    out.field("removed", super::paths(&ops.remove));
    let (kept_side, replaced_side) = match (&branch, swapped, replaying) {
        (Some(b), true, _) => (format!("`{b}`'s"), "the merged branch's"),
        (_, _, Some(_)) => ("the branch rebased onto's".to_string(), "the replayed commit's"),
        _ => ("the other branch's".to_string(), "this branch's"),
    };
    out.say(&format!("kept {kept_side} {} migration(s) as they are", kept.len()));
    for d in &dropped {
        out.say(&format!("replaced {replaced_side} {d}"));
    }
    for s in &plan.summary {
        out.say(&format!("wrote {s}"));
    }
    for m in &moved {
        out.say(&format!("moved the hand-written {m}"));
    }
    // The merge also left the model and the documents to add.
    let model_rel = project.model.strip_prefix(&project.dir).unwrap_or(&project.model).display().to_string();
    let then = if replaying.is_some() { "git rebase --continue" } else { "git commit" };
    out.say(&format!(
        "now review, then `git add {} {} {model_rel} && {then}`",
        project.config.migrations.dir, project.config.docs.dir
    ));
    0
}
