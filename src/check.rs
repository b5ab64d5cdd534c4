//! `dddc check`, the CI gate: compares what a build would write with what
//! is on disk, and the migration files with their checksums in the lock.
//! Reads what the caller hands it; writes nothing (but the temporary files
//! of the documents' memo, when [`Disk::docs_memo`] holds one: kept only if
//! the caller saves it after a passing check).

use std::path::{Path, PathBuf};

use crate::build::{self, BuildError, Inputs};
use crate::config::Config;
use crate::lock::Lock;
use crate::model::Model;

/// Why the gate fails; one per problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub reason: String,
    /// A unified diff, for a stale file.
    pub diff: Option<String>,
}

/// Reads a file of the project, `None` when it does not exist.
pub type ReadFile = Box<dyn Fn(&Path) -> Option<Vec<u8>>>;

/// Whether a file of the project holds exactly these bytes (see
/// [`crate::output::holds_streamed`]).
pub type SameFile = Box<dyn Fn(&Path, &mut dyn crate::output::Pieces) -> bool + Sync>;

/// What is on disk, as the caller read it (paths relative to the project).
pub struct Disk {
    pub lock_text: Option<String>,
    /// `dddc.schema`, the lock's snapshot: its text, or its file (read
    /// a piece at a time when compared).
    pub snapshot: Option<crate::lock::Snapshot>,
    /// Every file of the migrations folder and its subfolders (Flyway reads
    /// those too): path relative to the folder, `/`-separated → the SHA-256
    /// of its bytes, in hex (all a check compares; the bytes of a first
    /// migration and of the snapshot are tens of megabytes on a large model,
    /// and need not be held).
    pub migration_files: Vec<(String, String)>,
    /// Reads a file of the project, `None` when it does not exist.
    pub read: ReadFile,
    /// Whether a file of the project holds exactly these bytes (in pieces,
    /// in order): asked of each document as soon as it is made (on the
    /// documents' threads), so that the documents already on disk are not
    /// all held at once.
    pub same: SameFile,
    /// Generated documentation files present on disk (relative paths).
    pub doc_files: Vec<PathBuf>,
    /// The diagrams and documents' sections made in earlier runs
    /// ([`crate::memo`]): the
    /// caller saves it once the check has passed.
    pub docs_memo: Option<crate::memo::Memo>,
}

pub fn run(model: &Model, config: &Config, project_dir: &Path, disk: &Disk) -> Vec<Finding> {
    // As the CLI reads it: the snapshot only when the model's differs.
    let text = disk.snapshot.as_ref().and_then(|s| s.text().ok());
    let (lock, pending) = parse_lock_deferred(disk.lock_text.as_deref(), text.as_deref());
    drop(text);
    run_parsed(model, None, lock, pending, config, project_dir, disk).findings
}

/// What [`run_parsed`] found.
#[derive(Debug)]
pub struct Checked {
    pub findings: Vec<Finding>,
    /// A build now would write nothing and say nothing (no notice, no
    /// warning): what `build` may answer from `check`'s cache.
    pub build_quiet: bool,
}

/// The lock read from the texts of `dddc.lock` and `dddc.schema`: `None`
/// when there is no lock. (The CLI reads it while the model is compiled.)
pub fn parse_lock(lock_text: Option<&str>, snapshot_text: Option<&str>) -> Option<Result<Lock, String>> {
    lock_text.map(|text| Lock::parse(text, snapshot_text))
}

/// [`parse_lock`], leaving the snapshot to [`run_parsed`]
/// ([`Lock::parse_deferred`]): with `true`, the lock's schema is still to
/// be read.
pub fn parse_lock_deferred(
    lock_text: Option<&str>,
    snapshot_text: Option<&str>,
) -> (Option<Result<Lock, String>>, bool) {
    match lock_text.map(|text| Lock::parse_deferred(text, snapshot_text)) {
        Some(Ok((lock, pending))) => (Some(Ok(lock)), pending),
        Some(Err(e)) => (Some(Err(e)), false),
        None => (None, false),
    }
}

/// [`run`], given the lock [`parse_lock`] read (or
/// [`parse_lock_deferred`], with `schema_pending` as it said) and, when the
/// front end lowered it, the model's schema in the documents' language
/// (see [`crate::frontend_in`]).
pub fn run_parsed(
    model: &Model,
    lowered: Option<&crate::relational::Schema>,
    parsed: Option<Result<Lock, String>>,
    schema_pending: bool,
    config: &Config,
    project_dir: &Path,
    disk: &Disk,
) -> Checked {
    let mut out = Vec::new();
    let finding = |reason: String| Finding { reason, diff: None };
    let lock = match parsed {
        None => {
            out.push(finding("no lock: the model has never been built; run `dddc build`".into()));
            None
        }
        Some(Ok(l)) => Some(l),
        Some(Err(e)) => {
            let e = crate::lock::with_help(e, &project_dir.join(&config.migrations.dir));
            out.push(finding(format!("{}: {e}", lock_path(config).display())));
            return Checked { findings: out, build_quiet: false };
        }
    };
    if let Some(lock) = &lock {
        migration_files(
            &lock.migrations,
            disk,
            Path::new(&config.migrations.dir),
            &config.migrations.lock_timeout,
            &mut out,
        );
    }
    // The documents that are on disk as made: compared as they are made,
    // then dropped.
    let unchanged_docs = std::sync::Mutex::new(Vec::new());
    let same_file = &disk.same;
    let unchanged = |path: &Path, bytes: &mut dyn crate::output::Pieces| {
        let same = same_file(path, bytes);
        if same {
            unchanged_docs.lock().unwrap_or_else(|e| e.into_inner()).push(path.to_path_buf());
        }
        same
    };
    // What a build would write now, against the lock as it is.
    let has_lock = lock.is_some();
    let inputs = Inputs {
        config,
        lock,
        name: None,
        source_date_epoch: std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|v| v.trim().parse().ok()),
        now_epoch: 0,
        allow_destructive: false,
        project_dir,
        lowered,
        snapshot: disk.snapshot.as_ref(),
        schema_pending: schema_pending && has_lock,
        docs: crate::build::DocsOptions {
            memo: disk.docs_memo.as_ref(),
            unchanged: Some(&unchanged),
            compare_first: true,
        },
        keep_statements: false,
    };
    let planned = {
        let _p = crate::timing::phase("build in memory");
        build::plan(model, &inputs)
    };
    let unchanged_docs = unchanged_docs.into_inner().unwrap_or_else(|e| e.into_inner());
    let _p = crate::timing::phase("compare with the disk");
    let build_quiet =
        matches!(&planned, Ok(p) if p.warnings.is_empty() && p.notices.is_empty() && p.summary.is_empty());
    match planned {
        Ok(plan) => {
            let migrations_dir = PathBuf::from(&config.migrations.dir);
            for o in &plan.outputs {
                let on_disk = (disk.read)(&o.path);
                if on_disk.as_deref().is_some_and(|d| d == o.bytes.as_slice() || only_line_endings(d, &o.bytes)) {
                    continue;
                }
                let is_migration = o.path.parent() == Some(migrations_dir.as_path())
                    && o.path.file_name().is_some_and(|n| n.to_string_lossy().starts_with(['V', 'U']));
                if is_migration && has_lock {
                    out.push(finding(format!(
                        "the model has changes that no migration holds yet (`{}` would be written): run `dddc build`",
                        o.path.display()
                    )));
                } else if o.path.ends_with(crate::lock::LOCK_FILE) || o.path.ends_with(crate::lock::SNAPSHOT_FILE) {
                    let stale = finding("the lock is stale: run `dddc build`".into());
                    if has_lock
                        && !plan.outputs.iter().any(|x| x.path.to_string_lossy().ends_with(".sql"))
                        && !out.contains(&stale)
                    {
                        out.push(stale);
                    }
                } else if has_lock || !is_migration {
                    // Borrowed when valid UTF-8 (copied only to mend it).
                    let old = on_disk.as_deref().map(String::from_utf8_lossy);
                    let new = String::from_utf8_lossy(&o.bytes);
                    let diff = unified_diff(&o.path, old.as_deref().unwrap_or(""), &new);
                    let reason = match old {
                        None => format!("`{}` is missing: run `dddc build`", o.path.display()),
                        Some(_) => format!(
                            "`{}` is stale (edited by hand, or the model changed): run `dddc build`",
                            o.path.display()
                        ),
                    };
                    out.push(Finding { reason, diff: Some(diff) });
                }
            }
            // Documentation files no build would write (a removed context's ERD).
            // A set: a model of a context per aggregate has thousands of
            // diagrams, and a list made this quadratic.
            let written: std::collections::HashSet<&Path> = plan
                .outputs
                .iter()
                .map(|o| o.path.as_path())
                .chain(unchanged_docs.iter().map(PathBuf::as_path))
                .collect();
            for f in &disk.doc_files {
                if !written.contains(&f.as_path()) {
                    out.push(finding(format!("`{}` is left over (no longer generated): delete it", f.display())));
                }
            }
        }
        Err(BuildError::Refused(refusals)) => {
            let list: Vec<String> = refusals.iter().map(|r| r.change.clone()).collect();
            out.push(finding(format!(
                "the model has changes that no migration holds yet, and a build would refuse them: {}",
                list.join("; ")
            )));
        }
        Err(BuildError::Diagnostics(d)) => {
            out.push(finding(format!("the model cannot be lowered: {}", d.first().map_or("", |d| d.message.as_str()))));
        }
        Err(BuildError::Message(m)) => out.push(finding(m)),
        // As when the lock was read whole: that one problem.
        Err(BuildError::Snapshot(e)) => {
            return Checked {
                findings: vec![finding(format!("{}: {e}", lock_path(config).display()))],
                build_quiet: false,
            }
        }
    }
    Checked { findings: out, build_quiet }
}

fn lock_path(config: &Config) -> PathBuf {
    Path::new(&config.migrations.dir).join(crate::lock::LOCK_FILE)
}

/// A file of the documentation folder that builds write (and remove when
/// they no longer write it): Markdown, PlantUML, HTML and the site's
/// pictures, styles and scripts that say dddc wrote them in their first
/// lines (every generated file does, except the SVG pictures, which count
/// when the PlantUML file of the same diagram is beside them). A file of
/// the team's own in the documentation folder (a README, a page of notes)
/// is never taken for one: `build` would delete it.
pub fn is_generated_doc(path: &Path, head: &[u8], puml_beside: bool) -> bool {
    let kind = path.extension().and_then(|x| x.to_str());
    if !matches!(kind, Some("md" | "puml" | "html" | "svg" | "css" | "js")) {
        return false;
    }
    let head = &head[..head.len().min(2048)];
    head.windows(4).any(|w| w == b"dddc") || (kind == Some("svg") && puml_beside)
}

/// What [`run_parsed`] finds in the migrations folder against the lock's
/// migrations, without planning a build: `build` asks it of the files it
/// has just written before it records a pass for `check`.
pub fn migration_findings(migrations: &[crate::lock::Migration], disk: &Disk, lock_timeout: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    migration_files(migrations, disk, Path::new(""), lock_timeout, &mut out);
    out
}

/// Whether `on_disk` is `ours` with its line breaks as `\r\n`: what git
/// checks out with `core.autocrlf = true` (Git for Windows' default). Not
/// an edit: Flyway's checksum reads lines, whatever their ends, and git
/// stores the file as dddc wrote it.
fn only_line_endings(on_disk: &[u8], ours: &[u8]) -> bool {
    if on_disk.len() <= ours.len() || !on_disk.contains(&b'\r') {
        return false;
    }
    crate::lock::lf_only(on_disk) == ours
}

/// Each migration of the lock is on disk with the recorded checksum; every
/// migration file on disk is in the lock; no two have one version.
fn migration_files(
    migrations: &[crate::lock::Migration],
    disk: &Disk,
    dir: &Path,
    lock_timeout: &str,
    out: &mut Vec<Finding>,
) {
    let mut known: Vec<&str> = Vec::new();
    // A checksum that differs only because git wrote the file with `\r\n`.
    let crlf_of = |name: &str, sha256: &str| {
        (disk.read)(&dir.join(name)).is_some_and(|bytes| crate::lock::same_but_line_ends(&bytes, sha256))
    };
    for m in migrations {
        if m.is_pending() {
            known.extend(m.files().map(|f| f.name.as_str()));
            // As `build` decides it: no longer the template `dddc new` wrote.
            let written = (disk.read)(&dir.join(&m.file.name)).is_some_and(|b| {
                crate::lock::lf_only(&b)
                    != crate::lock::hand_written_template(&m.file.name, &m.version, false, lock_timeout).into_bytes()
            });
            let reason = if written {
                format!("hand-written migration `{}` is written but not yet recorded: run `dddc build` to record its checksum", m.file.name)
            } else {
                format!(
                    "hand-written migration `{}` is still the template `dddc new` wrote: write it, then run `dddc build` to record it (or remove it with `dddc rewind`)",
                    m.file.name
                )
            };
            out.push(Finding { reason, diff: None });
            continue;
        }
        for sum in m.files() {
            known.push(&sum.name);
            match disk.migration_files.iter().find(|(n, _)| *n == sum.name) {
                None => out.push(Finding { reason: format!("migration `{}` is in the lock but missing on disk", sum.name), diff: None }),
                Some((_, sha256)) if *sha256 != sum.sha256 && crlf_of(&sum.name, &sum.sha256) => {}
                Some((_, sha256)) if *sha256 != sum.sha256 && m.hand_written => out.push(Finding {
                    reason: format!(
                        "hand-written migration `{}` was edited after it was recorded; a migration that ran must never change: revert it, and put the new statements in a new migration (`dddc new`)",
                        sum.name
                    ),
                    diff: None,
                }),
                Some((_, sha256)) if *sha256 != sum.sha256 => out.push(Finding {
                    reason: format!(
                        "migration `{}` was edited after it was generated (its SHA-256 differs from the lock); a migration that ran must never change: revert it and change the model instead",
                        sum.name
                    ),
                    diff: None,
                }),
                Some(_) => {}
            }
        }
    }
    // Two versioned migrations with one version: a merge brought another
    // branch's migrations beside this branch's.
    // Keyed as Flyway compares them: `V1` and `V1.0` are one version.
    let mut by_version: std::collections::BTreeMap<Vec<u128>, (&str, Vec<&str>)> = std::collections::BTreeMap::new();
    for (name, _) in &disk.migration_files {
        if flyway_kind(name) == FlywayFile::Versioned && name.ends_with(".sql") && !name.contains('/') {
            if let Some(v) = crate::lock::version_of(name) {
                by_version.entry(crate::lock::version_key(v)).or_insert((v, Vec::new())).1.push(name);
            }
        }
    }
    for (v, names) in by_version.values() {
        if names.len() > 1 {
            out.push(Finding {
                reason: format!(
                    "{} migrations have version {v} ({}): a merge brought another branch's migrations beside this branch's; run `dddc rebase`",
                    names.len(),
                    names.join(", ")
                ),
                diff: None,
            });
        }
    }
    for (name, _) in &disk.migration_files {
        if known.contains(&name.as_str()) {
            continue;
        }
        let reason = match flyway_kind(name) {
            FlywayFile::Repeatable | FlywayFile::Other => continue,
            _ if name.contains('/') => format!(
                "migration `{name}` is in a subfolder of the migrations folder, where Flyway finds and runs it too, but it is not in the lock: move it out of the way, or delete it"
            ),
            FlywayFile::Baseline => format!(
                "baseline migration `{name}` is not in the lock: Flyway would run it instead of the versioned migrations on an empty database; delete it"
            ),
            _ => format!(
                "migration `{name}` is not in the lock: a migration is generated by `dddc build`, or registered with `dddc new` when written by hand; after a merge, run `dddc rebase`"
            ),
        };
        out.push(Finding { reason, diff: None });
    }
}

/// What Flyway makes of a file of the migrations folder (by its name; a
/// `.sql.conf` file goes with its migration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlywayFile {
    /// `V<version>__<description>.sql`
    Versioned,
    /// `U<version>__<description>.sql`
    Undo,
    /// `B<version>__<description>.sql`
    Baseline,
    /// `R__<description>.sql`: run after the versioned ones whenever its
    /// checksum changes.
    Repeatable,
    /// Anything Flyway ignores.
    Other,
}

pub fn flyway_kind(path: &str) -> FlywayFile {
    let name = path.rsplit('/').next().unwrap_or(path);
    let name = name.strip_suffix(".conf").unwrap_or(name);
    let Some(stem) = name.strip_suffix(".sql") else { return FlywayFile::Other };
    if let Some(rest) = stem.strip_prefix("R__") {
        return if rest.is_empty() { FlywayFile::Other } else { FlywayFile::Repeatable };
    }
    let mut chars = stem.chars();
    let kind = match chars.next() {
        Some('V') => FlywayFile::Versioned,
        Some('U') => FlywayFile::Undo,
        Some('B') => FlywayFile::Baseline,
        _ => return FlywayFile::Other,
    };
    let rest = chars.as_str();
    match rest.split_once("__") {
        Some((version, _))
            if version.starts_with(|c: char| c.is_ascii_digit())
                && version.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '_') =>
        {
            kind
        }
        _ => FlywayFile::Other,
    }
}

/// Repeatable migrations (`R__*.sql`) of the folder: dddc leaves them alone,
/// and says so.
pub fn repeatable_migrations(disk: &Disk) -> Vec<&str> {
    disk.migration_files
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| flyway_kind(n) == FlywayFile::Repeatable && !n.ends_with(".conf"))
        .collect()
}

pub fn unified_diff(path: &Path, old: &str, new: &str) -> String {
    let name = path.display().to_string();
    // Patience, not Myers: Myers' search grows with lines × differences,
    // and a file that differs on every few lines (an unformatted file of
    // 20,000 aggregates under `fmt --check`) took seconds. Patience
    // anchors on the lines that occur once on each side and searches only
    // between them.
    let diff = similar::TextDiff::configure().algorithm(similar::Algorithm::Patience).diff_lines(old, new);
    let mut unified = diff.unified_diff();
    unified.context_radius(3);
    let mut out = String::new();
    let mut shown = 0usize;
    let mut left = 0usize;
    // The headers, then the hunks a line at a time until the budget is
    // spent: the rest is counted, not printed.
    let full = format!("--- {name} (on disk)\n+++ {name} (generated)\n");
    for hunk in unified.iter_hunks() {
        if shown >= DIFF_LINES_SHOWN {
            // Counted as printed, "\\ No newline at end of file" included.
            left += hunk.to_string().split_inclusive('\n').count();
            continue;
        }
        // Split at `\n` only: a line of a CRLF file keeps its `\r` (and a
        // file of lone `\r` line ends is one line here).
        for line in hunk.to_string().split_inclusive('\n') {
            if shown >= DIFF_LINES_SHOWN {
                left += 1;
                continue;
            }
            push_cut(&mut out, line);
            shown += 1;
        }
    }
    if out.is_empty() {
        return String::new();
    }
    let mut text = full;
    text.push_str(&out);
    if left > 0 {
        text.push_str(&format!("… {left} more line(s) of this diff not shown\n"));
    }
    text
}

/// Lines of a diff printed per file (hunk headers included); the rest are
/// counted. A check after an edit of a large model with the site on found
/// every page that lists the model stale, and printed 21 MB.
pub const DIFF_LINES_SHOWN: usize = 300;

/// Bytes of one diff line printed; the rest are counted. The site's
/// search index is one line of megabytes.
pub const DIFF_LINE_BYTES: usize = 400;

/// `piece` (a line with its `\n`, if it has one) onto `out`, its line cut
/// after [`DIFF_LINE_BYTES`] (at a character boundary) with how much was
/// left out.
fn push_cut(out: &mut String, piece: &str) {
    let (line, end_of_line) = match piece.strip_suffix('\n') {
        Some(line) => (line, "\n"),
        None => (piece, ""),
    };
    if line.len() <= DIFF_LINE_BYTES {
        out.push_str(line);
    } else {
        let mut end = DIFF_LINE_BYTES;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        out.push_str(&line[..end]);
        out.push_str(&format!(" … ({} more bytes on this line)", line.len() - end));
    }
    out.push_str(end_of_line);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole unified diff, as `unified_diff` printed it before it was
    /// bounded.
    fn whole(old: &str, new: &str) -> String {
        similar::TextDiff::configure()
            .algorithm(similar::Algorithm::Patience)
            .diff_lines(old, new)
            .unified_diff()
            .context_radius(3)
            .header("f (on disk)", "f (generated)")
            .to_string()
    }

    #[test]
    fn a_small_diff_is_printed_whole() {
        for (old, new) in [
            ("a\nb\nc\n", "a\nB\nc\n"),
            ("a\r\nb\r\n", "a\r\nc\r\n"),
            ("a\nb", "a\nb\n"),
            ("", "x\n"),
            ("x\n", ""),
            ("a\rb\r", "a\rc\r"),
        ] {
            assert_eq!(unified_diff(Path::new("f"), old, new), whole(old, new), "{old:?} -> {new:?}");
        }
        assert_eq!(unified_diff(Path::new("f"), "same\n", "same\n"), "");
    }

    #[test]
    fn a_long_line_is_cut_and_a_long_diff_counted() {
        let long = "é".repeat(DIFF_LINE_BYTES);
        let d = unified_diff(Path::new("f"), &format!("{long}\n"), "short\n");
        let cut = d.lines().find(|l| l.starts_with('-') && !l.starts_with("---")).unwrap();
        // 400 bytes of two-byte characters: 200 of them, then the count.
        assert_eq!(cut, format!("-{} … ({} more bytes on this line)", "é".repeat(199), 2 * DIFF_LINE_BYTES - 398));

        // Every third line changed: many hunks, far more lines than shown.
        let old: String = (0..3_000).map(|i| format!("line {i}\n")).collect();
        let new: String =
            (0..3_000).map(|i| if i % 3 == 0 { format!("LINE {i}\n") } else { format!("line {i}\n") }).collect();
        let full = whole(&old, &new);
        let d = unified_diff(Path::new("f"), &old, &new);
        let lines: Vec<&str> = d.lines().collect();
        assert_eq!(lines.len(), 2 + DIFF_LINES_SHOWN + 1, "headers, the lines shown, the count");
        assert!(full.starts_with(&lines[..2 + DIFF_LINES_SHOWN].join("\n")), "the lines shown are the diff's first");
        let hidden = full.lines().count() - 2 - DIFF_LINES_SHOWN;
        assert_eq!(lines.last().unwrap(), &format!("… {hidden} more line(s) of this diff not shown"));

        // Without a final newline: the hint line is counted too.
        let (old, new) = (old.trim_end(), new.trim_end());
        let full = whole(old, new);
        assert!(full.ends_with("\\ No newline at end of file\n"), "{}", &full[full.len() - 80..]);
        let d = unified_diff(Path::new("f"), old, new);
        let hidden = full.lines().count() - 2 - DIFF_LINES_SHOWN;
        assert_eq!(d.lines().last().unwrap(), format!("… {hidden} more line(s) of this diff not shown"));
    }

    #[test]
    fn versions_compare_as_flyway_compares_them() {
        use crate::lock::version_key as key;
        assert_eq!(key("1"), key("1.0"));
        assert_eq!(key("1"), key("01"));
        assert_eq!(key("1_1"), key("1.1"));
        assert!(key("1.10") > key("1.9"));
        assert!(key("20270115093000") > key("2"));
        assert_ne!(key("1"), key("10"));
    }

    #[test]
    fn flyway_file_names() {
        assert_eq!(flyway_kind("V1__init.sql"), FlywayFile::Versioned);
        assert_eq!(flyway_kind("V1_1__x.sql"), FlywayFile::Versioned);
        assert_eq!(flyway_kind("V2.3__x.sql.conf"), FlywayFile::Versioned);
        assert_eq!(flyway_kind("U3__x.sql"), FlywayFile::Undo);
        assert_eq!(flyway_kind("B4__base.sql"), FlywayFile::Baseline);
        assert_eq!(flyway_kind("R__views.sql"), FlywayFile::Repeatable);
        assert_eq!(flyway_kind("old/V9__x.sql"), FlywayFile::Versioned);
        assert_eq!(flyway_kind("Vx__x.sql"), FlywayFile::Other);
        assert_eq!(flyway_kind("VERSION.sql"), FlywayFile::Other);
        assert_eq!(flyway_kind("dddc.lock"), FlywayFile::Other);
        assert_eq!(flyway_kind("R__.sql"), FlywayFile::Other);
    }
}
