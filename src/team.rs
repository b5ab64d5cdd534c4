//! What a team does to the migrations folder besides building, computed
//! without touching the disk (the CLI reads, and writes what comes back):
//!
//! - [`new_migration`]: a hand-written migration (`dddc new NAME`), registered
//!   in the lock; [`record_hand_written`] records its checksums once it is
//!   written, from then on protected like a generated one.
//! - [`rewind`]: forget the migrations after a version (`dddc rewind --to
//!   N`), the snapshot taken back with the patches the lock keeps, so that
//!   the next build writes them again from the model.
//! - [`rebase`]: after merging another branch, keep its migrations and move
//!   this branch's after them (`dddc rebase`); the build regenerates this
//!   branch's SQL against the merged history.
//!
//! None of this is for migrations that ran on a shared database: those are
//! never rewritten (the commands say so, and `check` keeps watching their
//! checksums).

use std::path::{Path, PathBuf};

use crate::build::Output;
use crate::lock::snapshot::{self, Patch};
use crate::lock::{FileSum, Lock, Migration, LOCK_FILE, SNAPSHOT_FILE};

/// Files to write and files to remove, paths relative to the project.
#[derive(Debug, Default)]
pub struct FileOps {
    pub write: Vec<Output>,
    pub remove: Vec<PathBuf>,
}

/// The text `dddc new` writes for a hand-written migration (`undo`: its
/// undo script); [`record_hand_written`] compares with it to know whether
/// the file has been written yet. (In [`crate::lock`], where `check`
/// reads it too.)
pub fn template(file: &str, version: &str, undo: bool, lock_timeout: &str) -> String {
    crate::lock::hand_written_template(file, version, undo, lock_timeout)
}

/// A hand-written migration after the lock's last one: its two files (from
/// the template) and the lock that registers them, checksums empty until
/// [`record_hand_written`].
pub fn new_migration(
    lock: &Lock,
    dir: &Path,
    version: String,
    description: &str,
    lock_timeout: &str,
) -> (FileOps, Lock) {
    let file = format!("V{version}__{description}.sql");
    let undo_file = format!("U{version}__{description}.sql");
    let mut next = lock.clone();
    next.migrations.push(Migration {
        version: version.clone(),
        description: description.to_string(),
        file: FileSum { name: file.clone(), ..FileSum::default() },
        undo: Some(FileSum { name: undo_file.clone(), ..FileSum::default() }),
        conf: None,
        hand_written: true,
        snapshot_undo: Vec::new(),
        snapshot_blake3: None,
    });
    let ops = FileOps {
        write: vec![
            Output { path: dir.join(&file), bytes: template(&file, &version, false, lock_timeout).into_bytes() },
            Output {
                path: dir.join(&undo_file),
                bytes: template(&undo_file, &version, true, lock_timeout).into_bytes(),
            },
        ],
        remove: Vec::new(),
    };
    (ops, next)
}

/// Records the checksums of the hand-written migrations that are written
/// (no longer their template), with a `.conf` beside one if there is;
/// returns their file names. `read` reads a file of the migrations folder
/// by name.
pub fn record_hand_written(lock: &mut Lock, read: &dyn Fn(&str) -> Option<Vec<u8>>, lock_timeout: &str) -> Vec<String> {
    let mut recorded = Vec::new();
    for m in lock.migrations.iter_mut().filter(|m| m.is_pending()) {
        let Some(bytes) = read(&m.file.name) else { continue };
        // (A checkout with `\r\n` line ends holds the template too.)
        if crate::lock::lf_only(&bytes) == template(&m.file.name, &m.version, false, lock_timeout).into_bytes() {
            continue;
        }
        m.file = FileSum::of(&m.file.name, &bytes);
        if let Some(u) = &mut m.undo {
            match read(&u.name) {
                Some(b) => *u = FileSum::of(&u.name, &b),
                None => m.undo = None,
            }
        }
        let conf = format!("{}.conf", m.file.name);
        m.conf = read(&conf).map(|b| FileSum::of(&conf, &b));
        recorded.push(m.file.name.clone());
    }
    recorded
}

/// The schema right after the lock's migration number `at` (0-based): the
/// snapshot taken back through the patch of each later migration.
/// `snapshot_text` is the snapshot file the lock's last migration left.
pub fn schema_after(lock: &Lock, snapshot_text: &str, at: usize) -> Result<crate::relational::Schema, String> {
    snapshot_after(lock, snapshot_text, at).and_then(|text| read_rewound(&text))
}

fn read_rewound(text: &str) -> Result<crate::relational::Schema, String> {
    snapshot::read(text).map_err(|e| format!("the rewound snapshot does not read back: {e}"))
}

/// The text of [`schema_after`]'s snapshot, each patch's result checked
/// against the digest the lock records for it.
fn snapshot_after(lock: &Lock, snapshot_text: &str, at: usize) -> Result<String, String> {
    let mut text = snapshot_text.to_string();
    // A snapshot reflowed by hand (which the lock takes for stale when it
    // reads back as its schema) is taken back from the text dddc wrote.
    let last = lock.migrations.iter().rev().find(|m| !m.hand_written);
    if let Some(digest) = last.and_then(|m| m.snapshot_blake3.as_ref()) {
        if crate::lock::schema_digest(text.as_bytes()) != *digest {
            let written = snapshot::write(&lock.schema);
            if crate::lock::schema_digest(written.as_bytes()) == *digest {
                text = written;
            }
        }
    }
    for (k, m) in lock.migrations.iter().enumerate().skip(at + 1).rev() {
        if m.hand_written {
            continue;
        }
        if m.snapshot_undo.is_empty() && text != snapshot::write(&lock.schema) {
            return Err(format!(
                "`{}` has no snapshot patch (an older dddc built it): cannot rewind past it",
                m.file.name
            ));
        }
        text = Patch::apply(&text, &m.snapshot_undo)
            .map_err(|e| format!("cannot take the snapshot back through `{}`: {e}", m.file.name))?;
        // What the generated migration before it left, if the lock
        // records it (a hand-written one changes nothing).
        let before = lock.migrations[..k].iter().rev().find(|b| !b.hand_written);
        if let Some((b, digest)) = before.and_then(|b| b.snapshot_blake3.as_ref().map(|d| (b, d))) {
            if crate::lock::schema_digest(text.as_bytes()) != *digest {
                return Err(format!(
                    "taking the snapshot back through `{}` does not give the one `{}` left (`{LOCK_FILE}` records its digest): the patch of `{}` in `{LOCK_FILE}` (`snapshot_undo`) was edited by hand, or a merge of the lock was resolved by hand; restore `{LOCK_FILE}` and `{SNAPSHOT_FILE}` from version control, or after a merge run `dddc rebase`",
                    m.file.name, b.file.name, m.file.name
                ));
            }
        }
    }
    Ok(text)
}

/// The lock as it was right after migration `to`: the later migrations
/// forgotten (their files to remove), the snapshot taken back through each
/// one's patch. `snapshot_text` is the snapshot file as it is (it must be
/// the one the lock's last migration left).
/// `read` reads a file of the migrations folder by name (to tell a
/// hand-written migration not recorded yet from its template).
pub fn rewind(
    lock: &Lock,
    snapshot_text: &str,
    to: &str,
    dir: &Path,
    discard_hand_written: bool,
    read: &dyn Fn(&str) -> Option<Vec<u8>>,
    lock_timeout: &str,
) -> Result<(FileOps, Lock), String> {
    let at = lock.migrations.iter().position(|m| m.version == to).ok_or_else(|| {
        let versions: Vec<&str> = lock.migrations.iter().map(|m| m.version.as_str()).collect();
        format!("no migration with version {to} in the lock (versions: {})", versions.join(", "))
    })?;
    let later = &lock.migrations[at + 1..];
    if later.is_empty() {
        return Err(format!("V{to} is the last migration already: nothing to rewind"));
    }
    // The online half of the build that wrote V`to` (its validations,
    // concurrent indexes, NOT NULL finished): forgotten alone, the next
    // build would not know the constraints V`to` added NOT VALID still
    // wait for it (the lock records them as made), and they would stay
    // unvalidated.
    if let Some(next) = later.first().filter(|m| is_online_half(&lock.migrations[at], m)) {
        return Err(format!(
            "V{} ({}) finishes what V{to} began (validations, indexes built concurrently): rewind to the version before V{to}, or keep both",
            next.version, next.file.name
        ));
    }
    // A hand-written migration is not the model's to write again.
    // (One whose files are still the templates `dddc new` wrote holds
    // nothing yet; one written since, but not yet recorded by a build,
    // does: its checksums are empty until then.)
    let written = |m: &Migration| {
        !m.is_pending() || {
            let differs = |name: &str, undo: bool| {
                read(name).is_some_and(|b| {
                    crate::lock::lf_only(&b) != template(name, &m.version, undo, lock_timeout).into_bytes()
                })
            };
            differs(&m.file.name, false) || m.undo.as_ref().is_some_and(|u| differs(&u.name, true))
        }
    };
    let hand: Vec<&str> = later.iter().filter(|m| m.hand_written && written(m)).map(|m| m.file.name.as_str()).collect();
    if !hand.is_empty() && !discard_hand_written {
        return Err(format!(
            "rewinding to V{to} would delete the hand-written migration(s) {}, which no build writes again: keep a copy of their SQL and run `dddc rewind --to {to} --discard-hand-written`, then add them back with `dddc new`",
            hand.join(", ")
        ));
    }
    let text = snapshot_after(lock, snapshot_text, at)?;
    let schema = read_rewound(&text)?;
    let mut next = lock.clone();
    next.migrations.truncate(at + 1);
    // Written by an older dddc, the rewound text may not be what this
    // one writes for its schema (the lock's next snapshot).
    next.continue_from(&snapshot::write(&schema), Some(&text));
    next.schema = schema;
    let remove = later.iter().flat_map(|m| m.files().map(|f| dir.join(&f.name))).collect();
    Ok((FileOps { write: Vec::new(), remove }, next))
}

/// Whether `next` is the second migration of the build that wrote `main`:
/// the one outside a transaction that finishes it, named after it with
/// `online` (`V3__update_a_online.sql` after `V2__update_a.sql`), with its
/// `.sql.conf`. (By the name alone, a build whose only file was named
/// `…online` was taken for one.)
fn is_online_half(main: &Migration, next: &Migration) -> bool {
    let words = |d: &str| d.replace(' ', "_");
    !next.hand_written
        && !main.hand_written
        && next.conf.is_some()
        && words(&next.description) == format!("{}_online", words(&main.description))
}

/// What `dddc rebase` does before the build that regenerates this branch's
/// migrations.
#[derive(Debug)]
pub struct Rebase {
    /// The other branch's lock: the history this branch continues.
    pub lock: Lock,
    pub ops: FileOps,
    /// This branch's generated migrations, forgotten (to be regenerated).
    pub dropped: Vec<Migration>,
    /// This branch's hand-written migrations, kept, to be registered again
    /// after the regenerated ones: (migration, its files' bytes by name).
    pub hand_written: Vec<(Migration, NamedFiles)>,
}

/// Files by name, with their bytes.
pub type NamedFiles = Vec<(String, Vec<u8>)>;

/// `ours` (this branch's lock) onto `theirs` (the merged branch's):
/// `theirs`'s migrations keep their versions (and their files, restored
/// from `their_file` where the merge left another content on disk); this
/// branch's own migrations are removed from disk, the generated ones to be
/// built again from the model, the hand-written ones to be registered
/// again after them. `disk` reads a file of the migrations folder by name.
pub fn rebase(
    ours: &Lock,
    theirs: &Lock,
    dir: &Path,
    disk: &dyn Fn(&str) -> Option<Vec<u8>>,
    their_file: &dyn Fn(&str) -> Option<Vec<u8>>,
) -> Result<Rebase, String> {
    let known = |m: &Migration| theirs.migrations.iter().any(|t| t.file.name == m.file.name && t.version == m.version);
    let mut ops = FileOps::default();
    for t in &theirs.migrations {
        for f in t.files() {
            if f.sha256.is_empty() {
                continue;
            }
            let on_disk = disk(&f.name);
            if on_disk.as_deref().map(crate::lock::sha256_hex).as_deref() != Some(f.sha256.as_str()) {
                let bytes = their_file(&f.name).ok_or_else(|| {
                    format!("`{}` of the merged branch is neither on disk as it was built nor in git", f.name)
                })?;
                if crate::lock::sha256_hex(&bytes) != f.sha256 {
                    return Err(format!("`{}` in git does not match the merged branch's lock", f.name));
                }
                ops.write.push(Output { path: dir.join(&f.name), bytes });
            }
        }
    }
    let mut dropped = Vec::new();
    let mut hand_written = Vec::new();
    for m in ours.migrations.iter().filter(|m| !known(m)) {
        let mut names: Vec<String> = m.files().map(|f| f.name.clone()).collect();
        // A hand-written migration not yet recorded may have its `.conf`
        // beside it already: the lock names it once a build records it.
        let conf = format!("{}.conf", m.file.name);
        if m.hand_written && m.conf.is_none() && disk(&conf).is_some() {
            names.push(conf);
        }
        // A file of the same name in the other branch's history stays.
        let theirs_has = |n: &str| theirs.migrations.iter().any(|t| t.files().any(|f| f.name == n));
        for n in names.iter().filter(|n| !theirs_has(n)) {
            ops.remove.push(dir.join(n));
        }
        if m.hand_written {
            let files = names.iter().filter_map(|n| disk(n).map(|b| (n.clone(), b))).collect();
            hand_written.push((m.clone(), files));
        } else {
            dropped.push(m.clone());
        }
    }
    Ok(Rebase { lock: theirs.clone(), ops, dropped, hand_written })
}

/// Registers a kept hand-written migration again at `version`: its files
/// under their new names, the lock entry with its checksums (empty if it
/// was still a template).
pub fn reregister(
    lock: &mut Lock,
    dir: &Path,
    m: &Migration,
    files: &[(String, Vec<u8>)],
    version: String,
    lock_timeout: &str,
) -> FileOps {
    // Still the template: a fresh one, naming its new file. One written
    // but not yet recorded by a build (its checksums empty) keeps its
    // bytes, and the next build records them.
    let template_or_missing = |name: &str, undo: bool| {
        files
            .iter()
            .find(|(n, _)| n == name)
            .is_none_or(|(_, b)| crate::lock::lf_only(b) == template(name, &m.version, undo, lock_timeout).into_bytes())
    };
    let conf = format!("{}.conf", m.file.name);
    let unwritten = template_or_missing(&m.file.name, false)
        && m.undo.as_ref().is_none_or(|u| template_or_missing(&u.name, true))
        && !files.iter().any(|(n, _)| *n == conf);
    if m.is_pending() && unwritten {
        let (ops, next) = new_migration(lock, dir, version, &m.description, lock_timeout);
        *lock = next;
        return ops;
    }
    let rename = |name: &str| {
        let rest = name.split_once("__").map_or(name, |(_, r)| r);
        // `V` or `U`: the lock checks its names (`Lock::parse`).
        let kind = name.get(..1).unwrap_or("V");
        format!("{kind}{version}__{rest}")
    };
    let mut ops = FileOps::default();
    let mut entry = Migration { version: version.clone(), ..m.clone() };
    let mut sum = |s: &FileSum| -> FileSum {
        let new = rename(&s.name);
        match files.iter().find(|(n, _)| *n == s.name) {
            Some((_, bytes)) => {
                ops.write.push(Output { path: dir.join(&new), bytes: bytes.clone() });
                if s.sha256.is_empty() {
                    FileSum { name: new, ..FileSum::default() }
                } else {
                    FileSum::of(&new, bytes)
                }
            }
            None => FileSum { name: new, ..FileSum::default() },
        }
    };
    let [file, undo, conf_sum] = [Some(&m.file), m.undo.as_ref(), m.conf.as_ref()].map(|s| s.map(&mut sum));
    entry.file = file.unwrap_or_default();
    entry.undo = undo;
    entry.conf = conf_sum;
    // The `.conf` of one not yet recorded: moved, recorded with it later.
    if m.conf.is_none() {
        if let Some((_, bytes)) = files.iter().find(|(n, _)| *n == conf) {
            ops.write.push(Output { path: dir.join(format!("{}.conf", entry.file.name)), bytes: bytes.clone() });
        }
    }
    lock.migrations.push(entry);
    ops
}
