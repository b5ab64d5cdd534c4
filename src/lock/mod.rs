//! The state `build` needs, in two committed files of the migrations
//! folder, both written by `build` and nothing else:
//!
//! - `dddc.lock` — pretty JSON with sorted keys: the format, the dddc that
//!   wrote it, and every migration with the checksums of its files (SHA-256,
//!   and Flyway's own).
//! - `dddc.schema` — the schema after the last migration, one object per
//!   line, sorted ([`snapshot`]): reviewable in a pull request, and two
//!   branches that change different aggregates merge it without conflict.
//!
//! A lock of format 1 (the schema inside `dddc.lock` as JSON) is still read
//! ([`v1`]); the next build writes format 2.

pub mod snapshot;
mod v1;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::relational::Schema;

/// Format of the lock this dddc writes.
pub const FORMAT: u32 = 2;
pub const LOCK_FILE: &str = "dddc.lock";
pub const SNAPSHOT_FILE: &str = "dddc.schema";

#[derive(Debug, Clone, PartialEq)]
pub struct Lock {
    /// Format of the files read ([`FORMAT`] once written again).
    pub format: u32,
    /// The version of dddc that wrote the lock.
    pub dddc: String,
    /// The model's name.
    pub model: String,
    pub migrations: Vec<Migration>,
    /// The schema after the last migration.
    pub schema: Schema,
}

/// `dddc.lock` as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct LockFile {
    format: u32,
    #[serde(default)]
    dddc: String,
    model: String,
    migrations: Vec<Migration>,
    /// The BLAKE3 of `dddc.schema` as written (line ends `\n`): a snapshot
    /// edited by hand or cut short is refused instead of being taken for
    /// a smaller schema (an emptied one made the next build recreate every
    /// table, and its undo drop them all). Locks written before it have
    /// none, and are not checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    schema_blake3: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Migration {
    /// Flyway version: `1`, `2`, … or a timestamp.
    pub version: String,
    pub description: String,
    pub file: FileSum,
    pub undo: Option<FileSum>,
    /// `V<N>__….sql.conf` (`executeInTransaction=false`).
    pub conf: Option<FileSum>,
    /// Written by a person (`dddc new`), not generated: it does not change
    /// the snapshot. Its checksums are empty until the next build records
    /// them, once it is no longer the template.
    #[serde(default, skip_serializing_if = "is_false")]
    pub hand_written: bool,
    /// How to take the snapshot back from after this migration to before
    /// it ([`snapshot::Patch`]): what `dddc rewind` uses, and `dddc drift`
    /// on a database at an older version.
    /// Empty for the first migration and for hand-written ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub snapshot_undo: Vec<String>,
    /// The BLAKE3 of the snapshot right after this migration, as dddc wrote
    /// it: what taking the snapshot back through the next migration's
    /// patch must give. `dddc rewind` (and `dddc drift` on a database at
    /// an older version) refuses a patch that gives anything else, edited by
    /// hand or mangled while a merge of the lock was resolved by hand,
    /// instead of rewinding to a wrong schema. `None` for hand-written
    /// migrations and in locks written before it (not checked then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_blake3: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Migration {
    /// Its files: the migration, its undo, its `.conf`.
    pub fn files(&self) -> impl Iterator<Item = &FileSum> {
        std::iter::once(&self.file).chain(self.undo.iter()).chain(self.conf.iter())
    }

    /// A hand-written migration not yet recorded (still the template).
    pub fn is_pending(&self) -> bool {
        self.hand_written && self.file.sha256.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FileSum {
    pub name: String,
    pub sha256: String,
    /// Flyway's checksum of the file, as `flyway_schema_history.checksum`
    /// shows it.
    pub flyway_checksum: i32,
}

impl FileSum {
    pub fn of(name: &str, bytes: &[u8]) -> FileSum {
        FileSum { name: name.to_string(), sha256: sha256_hex(bytes), flyway_checksum: flyway_checksum(bytes) }
    }
}

/// The digest of a `dddc.schema` text the lock records.
pub(crate) fn schema_digest(snapshot: &[u8]) -> String {
    blake3::hash(snapshot).to_hex().to_string()
}

/// [`schema_digest`] of a snapshot as read from the disk: a CRLF
/// checkout's lines as LF, as dddc wrote them.
fn read_digest(snapshot: &[u8]) -> String {
    if snapshot.contains(&b'\r') {
        schema_digest(&lf_only(snapshot))
    } else {
        schema_digest(snapshot)
    }
}

/// What the message of a snapshot the lock's digest refuses begins with
/// (after the file's name): a caller that knows why it may be so adds
/// its help.
pub const SNAPSHOT_REFUSED: &str = "is not the one";

/// `message`, what reading the lock in `migrations_dir` said, with the
/// help for a build killed between its last two renames when that is what
/// it looks like: a snapshot refused by its digest, and the one the lock
/// records kept aside under a second name (which the next build puts
/// back).
pub fn with_help(mut message: String, migrations_dir: &std::path::Path) -> String {
    if message.contains(SNAPSHOT_REFUSED) && kept_snapshot(migrations_dir).is_some() {
        message.push_str(
            "\nhelp: a dddc run (a build, a rebase) was killed before it finished writing the lock; `dddc build` puts back the snapshot the lock records",
        );
    }
    message
}

/// The snapshot a killed run kept aside under a second name
/// ([`crate::output`]) that the lock in `migrations_dir` records, if the
/// lock records a digest and any kept copy has it.
pub fn kept_snapshot(migrations_dir: &std::path::Path) -> Option<std::path::PathBuf> {
    let lock = crate::files::read_regular_to_string(&migrations_dir.join(LOCK_FILE)).ok()?;
    crate::files::kept_copies(migrations_dir, SNAPSHOT_FILE)
        .into_iter()
        .find(|kept| crate::files::read_regular(kept).is_ok_and(|bytes| records_snapshot(&lock, &bytes) == Some(true)))
}

/// Whether the lock's text records `snapshot` (its bytes) by its digest:
/// `None` when the lock does not parse or records no digest. A build
/// killed between renaming the snapshot and the lock left the new
/// snapshot beside the old lock, and the old snapshot kept under a
/// second name ([`crate::output`]): this finds which one the lock knows.
pub fn records_snapshot(lock: &str, snapshot: &[u8]) -> Option<bool> {
    let value: serde_json::Value = serde_json::from_str(lock).ok()?;
    let recorded = value.get("schema_blake3")?.as_str()?;
    Some(read_digest(snapshot) == recorded)
}

impl Lock {
    pub fn new(model: &str, schema: Schema) -> Lock {
        Lock {
            format: FORMAT,
            dddc: env!("CARGO_PKG_VERSION").to_string(),
            model: model.to_string(),
            migrations: Vec::new(),
            schema,
        }
    }

    /// The two files, as this dddc writes them: (`dddc.lock`, `dddc.schema`).
    pub fn to_files(&self) -> (String, String) {
        let snapshot = snapshot::write(&self.schema);
        (self.to_json(&snapshot), snapshot)
    }

    /// `dddc.lock` alone, as this dddc writes it beside `snapshot` (the
    /// text of `dddc.schema`, whose digest it records).
    pub fn to_json(&self, snapshot: &str) -> String {
        let digest = schema_digest(snapshot.as_bytes());
        let mut migrations = self.migrations.clone();
        // The snapshot after the last generated migration is this one
        // (a hand-written migration does not change it): recorded here,
        // where its digest is made anyway, when the build left it open.
        if let Some(last) = migrations.iter_mut().rev().find(|m| !m.hand_written) {
            last.snapshot_blake3.get_or_insert_with(|| digest.clone());
        }
        let file = LockFile {
            format: FORMAT,
            dddc: env!("CARGO_PKG_VERSION").to_string(),
            model: self.model.clone(),
            migrations,
            schema_blake3: Some(digest),
        };
        // Without serde_json's `preserve_order`, a `Value` keeps its object
        // keys in a BTreeMap: sorted.
        let value = serde_json::to_value(&file).unwrap_or(serde_json::Value::Null);
        let mut json = serde_json::to_string_pretty(&value).unwrap_or_default();
        json.push('\n');
        json
    }

    /// Reads the lock and, for format 2, its snapshot (`None` when the file
    /// is missing).
    /// The migrations `dddc.lock` (format 2, as dddc writes it) records,
    /// without reading the snapshot: what `build` checks its own files
    /// against before it records a pass for `check`.
    pub fn migrations_only(lock: &str) -> Result<Vec<Migration>, String> {
        let file: LockFile = serde_json::from_str(lock).map_err(|e| format!("the lock is not valid: {e}"))?;
        if file.format != FORMAT {
            return Err(format!("the lock has format {}", file.format));
        }
        Ok(file.migrations)
    }

    pub fn parse(lock: &str, snapshot_text: Option<&str>) -> Result<Lock, String> {
        Lock::parse_with(lock, snapshot_text, true).map(|(lock, _)| lock)
    }

    /// [`Lock::parse`], leaving the snapshot unread: the lock's schema is
    /// then empty, and `true` comes with it (read it with
    /// [`Lock::read_schema`]). Everything else is checked as `parse` checks
    /// it: a missing snapshot, conflict markers, the format, the version. A
    /// format 1 lock holds its schema: it is read, and `false` comes with it.
    pub fn parse_deferred(lock: &str, snapshot_text: Option<&str>) -> Result<(Lock, bool), String> {
        Lock::parse_with(lock, snapshot_text, false)
    }

    /// The schema of a `dddc.schema` text, or what is wrong with it (as
    /// [`Lock::parse`] words it).
    pub fn read_schema(text: &str) -> Result<Schema, String> {
        snapshot::read(text).map_err(|e| format!("`{SNAPSHOT_FILE}`: {e}"))
    }

    fn parse_with(lock: &str, snapshot_text: Option<&str>, read_schema: bool) -> Result<(Lock, bool), String> {
        if let Some(line) = conflict_marker(lock) {
            return Err(format!(
                "the lock has git conflict markers (line {line}): two branches built migrations; run `dddc rebase` to resolve it"
            ));
        }
        let value: serde_json::Value =
            serde_json::from_str(lock).map_err(|e| format!("the lock is not valid JSON: {e}"))?;
        let format = value.get("format").and_then(serde_json::Value::as_u64).unwrap_or(0) as u32;
        match format {
            1 => v1::read(value).and_then(checked_names).map(|l| (l, false)),
            FORMAT => {
                let file: LockFile =
                    serde_json::from_value(value).map_err(|e| format!("the lock is not valid: {e}"))?;
                // A newer dddc may record what this one would drop on the
                // next write (and write other bytes than the team's).
                let this = env!("CARGO_PKG_VERSION");
                let (theirs, ours) = (crate::config::parse_version(&file.dddc), crate::config::parse_version(this));
                if let (Some(t), Some(o)) = (theirs, ours) {
                    if t > o {
                        return Err(format!(
                            "the lock was written by dddc {}, newer than this dddc ({this}): install dddc {} or newer (a team shares one version: set `min_version` in dddc.toml)",
                            file.dddc, file.dddc
                        ));
                    }
                }
                let text = snapshot_text.ok_or_else(|| {
                    format!("`{SNAPSHOT_FILE}` is missing beside `{LOCK_FILE}`: restore it from version control")
                })?;
                if let Some(line) = conflict_marker(text) {
                    return Err(format!(
                        "`{SNAPSHOT_FILE}` has git conflict markers (line {line}): run `dddc rebase` to resolve them"
                    ));
                }
                if let Some(recorded) = &file.schema_blake3 {
                    let digest = read_digest(text.as_bytes());
                    // Written in another layout but the same schema (an
                    // editor's reflow): stale, and the next build writes it
                    // back; one that does not read says where.
                    let same =
                        || Lock::read_schema(text).map(|s| schema_digest(snapshot::write(&s).as_bytes()) == *recorded);
                    if digest != *recorded && !same()? {
                        return Err(format!(
                            "`{SNAPSHOT_FILE}` {SNAPSHOT_REFUSED} `{LOCK_FILE}` records (its digest differs): it was edited by hand, cut short, or merged by git; restore both from version control, or after a merge run `dddc rebase`"
                        ));
                    }
                }
                let schema = if read_schema { Lock::read_schema(text)? } else { Schema::default() };
                let lock = Lock { format, dddc: file.dddc, model: file.model, migrations: file.migrations, schema };
                checked_names(lock).map(|l| (l, !read_schema))
            }
            n if n > FORMAT => {
                let by = value.get("dddc").and_then(serde_json::Value::as_str).unwrap_or("a newer dddc");
                Err(format!(
                    "the lock has format {n}, written by dddc {by}; this dddc ({}) reads formats 1 to {FORMAT}: install a newer dddc",
                    env!("CARGO_PKG_VERSION")
                ))
            }
            n => Err(format!("the lock has an unknown format {n}")),
        }
    }

    /// The lock's snapshot is `now`, as this dddc writes the lock's
    /// schema: what a build's first new migration starts from, or what a
    /// build or a rewind writes without one. `read` is the text the
    /// snapshot was read as, when `now` is not that text itself. The last
    /// generated migration left `now`: its digest is recorded (a lock
    /// written before the digests had none), and when `read` is another
    /// text of the same schema (an older dddc's words) its patch is made
    /// again from `now`, so that rewinding through it gives the snapshot
    /// before it. A reflow of `now` by hand, which the patch starts from
    /// already, and a patch that does not fit `read` are left as they are
    /// (a rewind refuses the latter, by the digest of the migration
    /// before).
    pub fn continue_from(&mut self, now: &str, read: Option<&str>) {
        let Some(last) = self.migrations.iter_mut().rev().find(|m| !m.hand_written) else { return };
        // The lock's own text was checked against the digest it records
        // for it when read, which its last migration records too.
        if read.is_none() && last.snapshot_blake3.is_some() {
            return;
        }
        let digest = schema_digest(now.as_bytes());
        if let Some(old) = read.filter(|old| *old != now) {
            if last.snapshot_blake3.as_ref() != Some(&digest) && !last.snapshot_undo.is_empty() {
                if let Ok(before) = snapshot::Patch::apply(old, &last.snapshot_undo) {
                    last.snapshot_undo = snapshot::Patch::between(now, &before);
                }
            }
        }
        last.snapshot_blake3 = Some(digest);
    }

    /// Whether the lock holds the same database as another: what only the
    /// docs use (where a column comes from, an invariant's text) and the
    /// order of columns are not part of it.
    pub fn same_schema(&self, other: &Schema) -> bool {
        snapshot::writes(other, &snapshot::write(&self.schema))
    }

    /// [`Lock::same_schema`], for a lock read from `snapshot` (the text of
    /// `dddc.schema`, or its file): one snapshot written and compared with
    /// it.
    /// A text that is not as dddc writes it (reformatted by hand) is then a
    /// different schema, so that the next build writes it back; one with
    /// CRLF line ends (a Windows checkout) is compared the long way.
    pub fn same_schema_as_read(&self, other: &Schema, snapshot: Option<&Snapshot>) -> bool {
        match snapshot {
            Some(s) if s.written_from(other) => true,
            // Our snapshots have no CR: any other text differs.
            Some(s) => s.text().is_ok_and(|text| text.contains('\r')) && self.same_schema(other),
            None => self.same_schema(other),
        }
    }
}

/// The text of `dddc.schema` a lock was read from: in memory, or left in
/// its file and read a piece at a time when compared. A check reads the
/// text once, while the model is compiled, to parse the lock and look for
/// conflict markers, and then keeps only the path: the text (11 MB at
/// 2,000 aggregates of the multi-tenant model) is not held while the
/// documents are made, when the check's memory peaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Snapshot {
    Text(String),
    File(std::path::PathBuf),
}

impl Snapshot {
    /// Whether [`snapshot::write`] of `schema` gives exactly this text (a
    /// file that cannot be read does not).
    pub fn written_from(&self, schema: &Schema) -> bool {
        match self {
            Snapshot::Text(text) => snapshot::writes(schema, text),
            Snapshot::File(path) => crate::files::open_regular(path)
                .is_ok_and(|f| snapshot::writes_read(schema, std::io::BufReader::with_capacity(256 << 10, f))),
        }
    }

    /// The text, read from the file when it is there.
    pub fn text(&self) -> Result<std::borrow::Cow<'_, str>, String> {
        match self {
            Snapshot::Text(text) => Ok(std::borrow::Cow::Borrowed(text)),
            Snapshot::File(path) => crate::files::read_regular_to_string(path)
                .map(std::borrow::Cow::Owned)
                .map_err(|e| format!("cannot read {}: {e}", path.display())),
        }
    }
}

/// Flyway's order of versions: numeric parts compared as numbers (`1.10`
/// after `1.9`), trailing zero parts and leading zeros ignored (`1`, `1.0`
/// and `01` are one version to Flyway).
pub fn version_key(version: &str) -> Vec<u128> {
    let mut key: Vec<u128> = version.split(['.', '_']).map(|p| p.parse().unwrap_or(u128::MAX)).collect();
    while key.len() > 1 && key.last() == Some(&0) {
        key.pop();
    }
    key
}

/// The version of a `V<version>__<name>.sql` (or `U…`) file name.
pub fn version_of(file: &str) -> Option<&str> {
    let rest = file.strip_prefix('V').or_else(|| file.strip_prefix('U'))?;
    let (v, _) = rest.split_once("__")?;
    (!v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '_')).then_some(v)
}

/// The lock, when every file name it records is a migration file's.
fn checked_names(lock: Lock) -> Result<Lock, String> {
    for f in lock.migrations.iter().flat_map(Migration::files) {
        check_file_name(&f.name)?;
    }
    // Each entry's files carry its version (Flyway reads the version from
    // the name): a version edited by hand while resolving a conflict made
    // a lock whose V2 was recorded as 3, and check passed it.
    for m in &lock.migrations {
        let undo = m.undo.iter().map(|u| (u, 'U'));
        for (f, kind) in std::iter::once((&m.file, 'V')).chain(m.conf.iter().map(|c| (c, 'V'))).chain(undo) {
            if !f.name.starts_with(&format!("{kind}{}__", m.version)) {
                return Err(format!(
                    "the lock records `{}` as version {}, which its name does not say (`{kind}{}__…`): restore the lock from version control, or run `dddc rebase` after a merge",
                    f.name, m.version, m.version
                ));
            }
        }
    }
    Ok(lock)
}

/// A file name the lock records must be a migration file of the folder
/// itself (`V2__x.sql`, `U2__x.sql`, `V2__x.sql.conf`): `rewind` and
/// `rebase` remove and write the files a lock names, and a lock comes from
/// another branch too.
fn check_file_name(name: &str) -> Result<(), String> {
    let plain = !name.is_empty()
        && !name.contains(['/', '\\', '\0'])
        && !name.starts_with('.')
        && (name.starts_with('V') || name.starts_with('U'))
        && name.contains("__")
        && (name.ends_with(".sql") || name.ends_with(".sql.conf"));
    if plain {
        Ok(())
    } else {
        Err(format!("the lock names `{name}`, which is not a migration file of the migrations folder"))
    }
}

/// The line of the first git conflict marker, if any.
pub fn conflict_marker(text: &str) -> Option<usize> {
    text.lines().position(|l| l.starts_with("<<<<<<< ") || l == "=======" || l.starts_with(">>>>>>> ")).map(|i| i + 1)
}

/// The text `dddc new` writes for a hand-written migration (`undo`: its
/// undo script): a header that says what it is, the timeouts, and a place
/// to write. `team::record_hand_written` compares with it to know whether the
/// file has been written yet.
pub fn hand_written_template(file: &str, version: &str, undo: bool, lock_timeout: &str) -> String {
    let what = if undo {
        format!("Undoes V{version} (Flyway's undo convention): write what reverts it.")
    } else {
        "Written by hand: a data fix, a backfill, something the model does not say.".to_string()
    };
    format!(
        "-- {file}\n-- {what}\n-- Registered by `dddc new`. The next `dddc build` records its checksum once it is\n-- no longer this template; from then on it must not change, like a generated migration.\n-- Flyway runs it in one transaction; for statements that cannot run in one (CREATE INDEX\n-- CONCURRENTLY), add `{file}.conf` holding `executeInTransaction=false` before it is recorded.\n-- It does not change the schema dddc knows: schema changes belong in the model.\n\n{set}\n\n-- Write the migration here.\n",
        set = crate::sql::objects::set_setting("lock_timeout", lock_timeout, true)
    )
}

/// `bytes` with each `\r\n` as `\n`.
pub fn lf_only(bytes: &[u8]) -> Vec<u8> {
    let mut lf = Vec::with_capacity(bytes.len());
    let mut it = bytes.iter().peekable();
    while let Some(&b) = it.next() {
        if b == b'\r' && it.peek() == Some(&&b'\n') {
            continue;
        }
        lf.push(b);
    }
    lf
}

/// Whether `bytes` are the file the lock recorded as `sha256` but for its
/// line ends: git's `core.autocrlf` writes `\r\n` in a checkout and `\n`
/// in the repository, so a file recorded on one machine is read with the
/// other on another. Not an edit (Flyway's checksum reads lines too).
pub fn same_but_line_ends(bytes: &[u8], sha256: &str) -> bool {
    if bytes.contains(&b'\r') {
        sha256_hex(&lf_only(bytes)) == sha256
    } else if bytes.contains(&b'\n') {
        let mut crlf = Vec::with_capacity(bytes.len() + bytes.len() / 32);
        for &b in bytes {
            if b == b'\n' {
                crlf.push(b'\r');
            }
            crlf.push(b);
        }
        sha256_hex(&crlf) == sha256
    } else {
        false
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Flyway's checksum: CRC32 over the file's lines read as text, each line
/// without its line break (`\n`, `\r\n` or `\r`), a leading byte-order mark
/// dropped, as a signed 32-bit integer.
pub fn flyway_checksum(bytes: &[u8]) -> i32 {
    let text = String::from_utf8_lossy(bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut crc = crc32fast::Hasher::new();
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        crc.update(&rest.as_bytes()[..end]);
        rest = &rest[end..];
        if let Some(r) = rest.strip_prefix("\r\n") {
            rest = r;
        } else if let Some(r) = rest.strip_prefix('\n').or_else(|| rest.strip_prefix('\r')) {
            rest = r;
        }
    }
    crc.finalize() as i32
}

#[cfg(test)]
mod tests {

    /// A snapshot written anew without a migration (a newer dddc's words
    /// for the same schema): the last migration's patch then starts from
    /// the new text and still gives the snapshot before it, whose digest
    /// the migration before records; the last one records the new text's
    /// digest. A reflow of the text the patch starts from leaves the lock
    /// as it is.
    #[test]
    fn the_last_patch_follows_a_snapshot_written_anew() {
        let v1 = "target 16\ntable c.a {}\n  column id {\"type\":\"UUID\"}\n";
        let v2 = format!("{v1}  column n {{\"type\":\"INTEGER\"}}\n");
        let migration = |n: &str, undo: Vec<String>, digest: &str| Migration {
            version: n.into(),
            description: "x".into(),
            file: FileSum::of(&format!("V{n}__x.sql"), n.as_bytes()),
            snapshot_undo: undo,
            snapshot_blake3: Some(digest.into()),
            ..Migration::default()
        };
        let mut lock = Lock::new("m", Schema::default());
        lock.migrations.push(migration("1", Vec::new(), &schema_digest(v1.as_bytes())));
        lock.migrations.push(migration("2", snapshot::Patch::between(&v2, v1), &schema_digest(v2.as_bytes())));
        let reflowed = v2.replace("{\"", "{ \"");
        let mut kept = lock.clone();
        kept.continue_from(&v2, Some(&reflowed));
        assert_eq!(kept, lock, "a reflow of the text the patch starts from");
        let anew = v2.replace("table c.a {}", "table c.a {\"kind\":\"aggregate_root\"}");
        lock.continue_from(&anew, Some(&v2));
        let last = &lock.migrations[1];
        assert_eq!(snapshot::Patch::apply(&anew, &last.snapshot_undo).as_deref(), Ok(v1), "the new text taken back");
        let json: serde_json::Value = serde_json::from_str(&lock.to_json(&anew)).expect("JSON");
        assert_eq!(json["migrations"][1]["snapshot_blake3"].as_str(), Some(schema_digest(anew.as_bytes()).as_str()));
        assert_eq!(json["migrations"][0]["snapshot_blake3"].as_str(), Some(schema_digest(v1.as_bytes()).as_str()));
    }

    /// A build on a lock whose snapshot this dddc writes in other words
    /// (an older dddc's): the new migration's patch gives this dddc's
    /// text, and the last migration's patch is made again from it, so
    /// that rewinding through both gives what each migration records. A
    /// lock written before the digests gets the one of the text the new
    /// migration starts from.
    #[test]
    fn a_build_continues_from_a_snapshot_in_other_words() {
        let v1 = "target 16\ntable c.a {}\n  column id {\"type\":\"UUID\"}\n";
        let old = format!("{v1}  column n {{\"type\":\"INTEGER\"}}\n");
        let ours = old.replace("table c.a {}", "table c.a {\"kind\":\"aggregate_root\"}");
        let after = format!("{ours}  column m {{\"type\":\"TEXT\"}}\n");
        let migration = |n: &str, undo: Vec<String>, digest: Option<String>| Migration {
            version: n.into(),
            description: "x".into(),
            file: FileSum::of(&format!("V{n}__x.sql"), n.as_bytes()),
            snapshot_undo: undo,
            snapshot_blake3: digest,
            ..Migration::default()
        };
        let digest = |t: &str| Some(schema_digest(t.as_bytes()));
        let mut lock = Lock::new("m", Schema::default());
        lock.migrations.push(migration("1", Vec::new(), digest(v1)));
        lock.migrations.push(migration("2", snapshot::Patch::between(&old, v1), digest(&old)));
        let mut legacy = lock.clone();
        lock.continue_from(&ours, Some(&old));
        lock.migrations.push(migration("3", snapshot::Patch::between(&after, &ours), None));
        let json: serde_json::Value = serde_json::from_str(&lock.to_json(&after)).expect("JSON");
        let back = |text: &str, m: usize| -> String {
            let ops: Vec<String> = serde_json::from_value(json["migrations"][m]["snapshot_undo"].clone()).expect("ops");
            let text = snapshot::Patch::apply(text, &ops).expect("fits");
            let name = format!("V{}'s result", m + 1);
            assert_eq!(json["migrations"][m - 1]["snapshot_blake3"].as_str(), digest(&text).as_deref(), "{name}");
            text
        };
        assert_eq!(back(&back(&after, 2), 1), v1);
        // The lock's own text: nothing to make again.
        let mut same = legacy.clone();
        same.continue_from(&old, None);
        assert_eq!(same, legacy);
        for m in &mut legacy.migrations {
            m.snapshot_blake3 = None;
        }
        legacy.continue_from(&old, None);
        assert_eq!(legacy.migrations[1].snapshot_blake3, digest(&old), "recorded on first use");
        assert_eq!(legacy.migrations[0].snapshot_blake3, None);
    }

    #[test]
    fn a_lock_may_name_only_migration_files_of_its_folder() {
        let lock = include_str!("../../examples/history/db/migration/dddc.lock");
        let snapshot = include_str!("../../examples/history/db/migration/dddc.schema");
        assert!(Lock::parse(lock, Some(snapshot)).is_ok());
        for bad in ["../../src/main.rs", "sub/V2__x.sql", "", "README.md", "V2__x.sql\\0"] {
            let text = lock.replacen("\"name\": \"V2__reservas_add_notas.sql\"", &format!("\"name\": {bad:?}"), 1);
            let err = Lock::parse(&text, Some(snapshot)).expect_err(bad);
            assert!(err.contains("not a migration file"), "{bad}: {err}");
        }
    }
    use super::*;

    #[test]
    fn flyway_checksum_ignores_line_breaks_and_bom() {
        let unix = flyway_checksum(b"SELECT 1;\nSELECT 2;\n");
        assert_eq!(unix, flyway_checksum(b"SELECT 1;\r\nSELECT 2;\r\n"));
        assert_eq!(unix, flyway_checksum("\u{feff}SELECT 1;\nSELECT 2;".as_bytes()));
        assert_eq!(unix, flyway_checksum(b"SELECT 1;SELECT 2;"));
        // CRC32 of the concatenated lines, as a signed integer.
        assert_eq!(unix, crc32fast::hash(b"SELECT 1;SELECT 2;") as i32);
        assert_ne!(unix, flyway_checksum(b"SELECT 1;\nSELECT 3;\n"));
    }

    #[test]
    fn lock_round_trips_with_sorted_keys() {
        let lock = Lock::new("m", Schema { target: 16, ..Schema::default() });
        let (json, snapshot) = lock.to_files();
        assert!(json.find("\"dddc\"") < json.find("\"format\""));
        assert!(json.find("\"format\"") < json.find("\"migrations\""));
        assert!(json.find("\"migrations\"") < json.find("\"model\""));
        assert_eq!(Lock::parse(&json, Some(&snapshot)), Ok(lock));
    }

    #[test]
    fn conflict_markers_are_named() {
        let text = "{\n<<<<<<< HEAD\n  \"a\": 1\n=======\n  \"a\": 2\n>>>>>>> topic\n}\n";
        let e = Lock::parse(text, None).unwrap_err();
        assert!(e.contains("conflict markers (line 2)") && e.contains("dddc rebase"), "{e}");
    }
}
