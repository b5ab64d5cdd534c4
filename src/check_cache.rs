//! `check`'s memory of its last pass, so that a `dddc check` of a project
//! nothing changed in since answers from a hash of its files instead of
//! building every output again (issue 14: `check` runs on every commit, and
//! in a repository where the model is one part of many, most commits do not
//! touch it).
//!
//! The cache is local: `<project>/.dddc/check`, in a folder that ignores
//! itself for git (`.dddc/.gitignore` holds `*`). It is never committed,
//! never merged and never trusted across machines: a clean checkout (CI)
//! always runs the full check. It holds one thing: "with every file below
//! exactly as it is, the full check passed and printed nothing but its
//! verdict", and it is used only when every one of those files hashes the
//! same again (BLAKE3, about four times as fast as SHA-256 here; SHA-256
//! only where the lock's checksums are compared):
//!
//! - the dddc executable (path, size, modification time) and its version, so
//!   that another dddc, or a rebuilt one, never answers from it;
//! - `SOURCE_DATE_EPOCH`, the root model path, `dddc.toml`, the names of the
//!   folder's `.ddd` files (which one is the model, when `dddc.toml` says
//!   none);
//! - every model file the front end read, hashed from the very text it
//!   compiled;
//! - the templates folder, the migrations folder and the documentation
//!   folder, walked whole: every name, and every file's bytes.
//!
//! A missing, unreadable or malformed cache is simply a miss. The cache is
//! written only after a full pass that found nothing and printed no
//! diagnostic, and only when the state hashed before that check began is
//! the state hashed after it (a file edited while `check` ran is never
//! recorded as checked).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest, Sha256};

use crate::config::Project;
pub use crate::memo::{create_dir, digest, executable, hex, Hash, DIR};

/// Pieces ([`crate::output::Pieces`]) passed on as they are, and hashed on
/// the way: once all are given, [`Hashing::digest`] is [`digest`] of them
/// one after the other. A build drops a document that is on disk as it
/// made it, and records the pass for `check` from its digest.
pub struct Hashing<'a> {
    pieces: &'a mut dyn crate::output::Pieces,
    hasher: blake3::Hasher,
}

impl<'a> Hashing<'a> {
    pub fn new(pieces: &'a mut dyn crate::output::Pieces) -> Hashing<'a> {
        Hashing { pieces, hasher: blake3::Hasher::new() }
    }

    pub fn digest(&self) -> Hash {
        *self.hasher.finalize().as_bytes()
    }
}

impl crate::output::Pieces for Hashing<'_> {
    fn next_piece(&mut self) -> Option<std::borrow::Cow<'_, [u8]>> {
        let piece = self.pieces.next_piece()?;
        self.hasher.update(&piece);
        Some(piece)
    }
    fn size(&self) -> Option<u64> {
        self.pieces.size()
    }
}

const FILE: &str = "check";
const HEADER: &str = "dddc check cache 2";
/// Folders deeper than this are not followed (a symbolic link that loops):
/// the state cannot be hashed, and the check runs in full.
const MAX_DEPTH: usize = 32;

/// What `check` printed besides its verdict, to print it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintSummary {
    pub score: u32,
    pub minimum: u32,
    pub errors: usize,
    pub warnings: usize,
    /// The lint passes the gate (always so in an entry: a check that
    /// failed records nothing).
    pub passes: bool,
}

impl LintSummary {
    pub fn new(report: &crate::lint::Report, minimum: u32) -> LintSummary {
        LintSummary {
            score: report.score,
            minimum,
            errors: report.errors(),
            warnings: report.warnings(),
            passes: crate::lint::passes(report, Some(minimum)),
        }
    }
}

/// The last pass recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Every project file and folder the check depends on, besides the
    /// model's files ([`state`]).
    pub state: String,
    /// The model's files, in the order the front end read them.
    pub inputs: Vec<PathBuf>,
    /// Their contents ([`inputs_from_disk`], [`inputs_from_texts`]).
    pub inputs_digest: String,
    pub lint: Option<LintSummary>,
    /// The repeatable migrations `check` noted.
    pub repeatable: Vec<String>,
    /// A build would write nothing and say nothing but the lint's line, so
    /// `build` may answer "up to date" from this entry too.
    pub build_quiet: bool,
}

impl Entry {
    pub fn to_text(&self) -> Option<String> {
        let mut s = format!(
            "{HEADER}\nstate {}\ninputs {}\nbuild {}\n",
            self.state,
            self.inputs_digest,
            if self.build_quiet { "quiet" } else { "speaks" }
        );
        match &self.lint {
            Some(l) => {
                s.push_str(&format!("lint {} {} {} {} {}\n", l.score, l.minimum, l.errors, l.warnings, l.passes))
            }
            None => s.push_str("lint none\n"),
        }
        for r in &self.repeatable {
            if r.contains('\n') {
                return None;
            }
            s.push_str(&format!("repeatable {r}\n"));
        }
        for p in &self.inputs {
            let p = p.to_str()?;
            if p.contains('\n') {
                return None;
            }
            s.push_str(&format!("input {p}\n"));
        }
        Some(s)
    }

    pub fn parse(text: &str) -> Option<Entry> {
        let mut lines = text.lines();
        if lines.next()? != HEADER {
            return None;
        }
        let state = lines.next()?.strip_prefix("state ")?.to_string();
        let inputs_digest = lines.next()?.strip_prefix("inputs ")?.to_string();
        let build_quiet = match lines.next()?.strip_prefix("build ")? {
            "quiet" => true,
            "speaks" => false,
            _ => return None,
        };
        let lint = match lines.next()?.strip_prefix("lint ")? {
            "none" => None,
            l => {
                let n: Vec<&str> = l.split(' ').collect();
                let [score, minimum, errors, warnings, passes] = n.as_slice() else { return None };
                Some(LintSummary {
                    score: score.parse().ok()?,
                    minimum: minimum.parse().ok()?,
                    errors: errors.parse().ok()?,
                    warnings: warnings.parse().ok()?,
                    passes: passes.parse().ok()?,
                })
            }
        };
        let mut repeatable = Vec::new();
        let mut inputs = Vec::new();
        for line in lines {
            if let Some(r) = line.strip_prefix("repeatable ") {
                repeatable.push(r.to_string());
            } else if let Some(p) = line.strip_prefix("input ") {
                inputs.push(PathBuf::from(p));
            } else {
                return None;
            }
        }
        let hex = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex(&state) || !hex(&inputs_digest) || inputs.is_empty() {
            return None;
        }
        Some(Entry { state, inputs, inputs_digest, lint, repeatable, build_quiet })
    }
}

fn path_of(project: &Project) -> PathBuf {
    project.dir.join(DIR).join(FILE)
}

/// The recorded pass, when there is one that reads.
pub fn read(project: &Project) -> Option<Entry> {
    Entry::parse(&crate::files::read_regular_to_string(&path_of(project)).ok()?)
}

/// Records a pass. Failing to (a read-only checkout) is not an error: the
/// next check runs in full.
pub fn write(project: &Project, entry: &Entry) {
    let Some(text) = entry.to_text() else { return };
    let dir = project.dir.join(DIR);
    if create_dir(&dir).is_none() {
        return;
    }
    let Ok(mut tmp) = tempfile::Builder::new().prefix(".check.").tempfile_in(&dir) else { return };
    if crate::memo::write_in_parts(&mut tmp, text.as_bytes()).is_ok() {
        let _ = tmp.persist(dir.join(FILE));
    }
}

/// Removes the recorded pass (after a check that did not pass), so that a
/// stale entry is never left to be mistaken for the present.
pub fn forget(project: &Project) {
    let _ = std::fs::remove_file(path_of(project));
}

/// The hash of everything but the model's files that a check reads or
/// depends on; `None` when some of it cannot be read (then nothing is
/// cached and the check runs in full).
pub fn state(project: &Project) -> Option<String> {
    state_with_files(project, false).map(|s| s.digest)
}

/// [`state`], with each file it hashed.
pub struct State {
    pub digest: String,
    pub files: Vec<Hashed>,
}

/// A file [`state_with_files`] hashed, as it read it.
pub struct Hashed {
    /// The folder it is in: `"migrations"`, `"docs"` or `"templates"`
    /// (`"config"` for `dddc.toml`).
    pub folder: &'static str,
    /// Its path in that folder, `/`-separated.
    pub name: String,
    pub path: PathBuf,
    /// The BLAKE3 of its bytes (`None`: it could not be read).
    pub digest: Option<Hash>,
    /// Its SHA-256, from the same read, for a migration (a file of the
    /// migrations folder but the lock and the snapshot): what the lock
    /// records of it.
    pub sha256: Option<[u8; 32]>,
    /// Its first [`HEAD`] bytes, from the same read.
    pub head: Vec<u8>,
}

/// How much of each file [`Hashed::head`] keeps: what
/// [`crate::check::is_generated_doc`] looks at.
pub const HEAD: usize = 2048;

/// [`state`], keeping what it read of each file: a build that has just
/// written the project checks its files against these, so that the state it
/// records is the one it checked, read once. With `sha256`, each
/// migration's SHA-256 too ([`Hashed::sha256`]).
pub fn state_with_files(project: &Project, sha256: bool) -> Option<State> {
    let _p = crate::timing::phase("hash the project (check cache)");
    let mut described = String::new();
    let mut files: Vec<(&'static str, String, PathBuf)> = Vec::new();
    described.push_str(&format!("{HEADER}\n{}", executable()?));
    described.push_str(&format!(
        "epoch {:?}\nmodel {}\n",
        std::env::var_os("SOURCE_DATE_EPOCH"),
        crate::loader::normalize(&crate::loader::absolute(&project.model)).display()
    ));
    let mut add_file = |label: &str, folder: &'static str, name: String, path: PathBuf, described: &mut String| {
        described.push_str(&format!("{label} {}\n", files.len()));
        files.push((folder, name, path));
    };
    add_file("config", "config", "dddc.toml".into(), project.dir.join("dddc.toml"), &mut described);
    let mut roots: Vec<String> = std::fs::read_dir(&project.dir)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".ddd"))
        .collect();
    roots.sort();
    described.push_str(&format!("roots {roots:?}\n"));
    let config = &project.config;
    // Each folder walked as `check` walks it: the migrations folder follows
    // links to folders (Flyway's files may be there), the documentation
    // folder does not (`generated_docs`).
    let mut folders: Vec<(&'static str, PathBuf, bool)> = vec![
        ("migrations", project.dir.join(&config.migrations.dir), true),
        ("docs", project.dir.join(&config.docs.dir), false),
    ];
    if let Some(t) = &config.docs.templates {
        folders.push(("templates", project.dir.join(t), true));
    }
    for (label, dir, follow) in folders {
        described.push_str(&format!("folder {label}\n"));
        let mut entries = Vec::new();
        walk(&dir, "", 0, follow, &mut entries)?;
        for (name, entry) in entries {
            match entry {
                Walked::File(p) => add_file(&format!("file {name:?}"), label, name, p, &mut described),
                Walked::Dir => described.push_str(&format!("dir {name:?}\n")),
                Walked::Link(target) => described.push_str(&format!("link {name:?} {target:?}\n")),
            }
        }
    }
    let wanted: Vec<(PathBuf, bool)> = files
        .iter()
        .map(|(folder, name, p)| {
            let migration = sha256
                && *folder == "migrations"
                && name != crate::lock::LOCK_FILE
                && name != crate::lock::SNAPSHOT_FILE;
            (p.clone(), migration)
        })
        .collect();
    let hashes = hash_files_with_heads(&wanted);
    let mut h = blake3::Hasher::new();
    h.update(described.as_bytes());
    for hash in &hashes {
        match hash.as_ref().and_then(|read| read.digest) {
            Some(d) => h.update(&d),
            None => h.update(b"missing"),
        };
    }
    let files = files
        .into_iter()
        .zip(hashes)
        .map(|((folder, name, path), hash)| match hash {
            Some(read) => Hashed { folder, name, path, digest: read.digest, sha256: read.sha256, head: read.head },
            None => Hashed { folder, name, path, digest: None, sha256: None, head: Vec::new() },
        })
        .collect();
    Some(State { digest: h.finalize().to_hex().to_string(), files })
}

/// The hash of the model's files as they are on disk now.
pub fn inputs_from_disk(paths: &[PathBuf]) -> String {
    let wanted: Vec<(PathBuf, bool)> = paths.iter().map(|p| (p.clone(), false)).collect();
    let mut h = blake3::Hasher::new();
    for (p, read) in paths.iter().zip(hash_files_with_heads(&wanted)) {
        h.update(p.as_os_str().as_encoded_bytes());
        h.update(&[0]);
        match read.and_then(|read| read.digest) {
            Some(d) => h.update(&d),
            None => h.update(b"missing"),
        };
    }
    h.finalize().to_hex().to_string()
}

/// The same hash, of the texts the front end compiled (the loader keeps a
/// file's bytes as they were read).
pub fn inputs_from_texts<'a>(files: impl Iterator<Item = (&'a Path, &'a str)>) -> String {
    let mut h = blake3::Hasher::new();
    for (p, text) in files {
        h.update(p.as_os_str().as_encoded_bytes());
        h.update(&[0]);
        h.update(blake3::hash(text.as_bytes()).as_bytes());
    }
    h.finalize().to_hex().to_string()
}

/// What [`walk`] finds.
enum Walked {
    File(PathBuf),
    Dir,
    /// A link to a folder, not followed: where it points.
    Link(PathBuf),
}

/// Every entry under `dir`, sorted, with `/`-separated names. The cache's
/// own folder is left out. A missing folder has no entries. Links to
/// folders are followed when `follow` (to a depth of [`MAX_DEPTH`]).
fn walk(dir: &Path, prefix: &str, depth: usize, follow: bool, out: &mut Vec<(String, Walked)>) -> Option<()> {
    let mut above: Vec<PathBuf> = dir.canonicalize().into_iter().collect();
    walk_in(dir, prefix, depth, follow, &mut above, out)
}

/// [`walk`]; `above`: the folders walked into to get here, as links
/// resolve them.
fn walk_in(
    dir: &Path,
    prefix: &str,
    depth: usize,
    follow: bool,
    above: &mut Vec<PathBuf>,
    out: &mut Vec<(String, Walked)>,
) -> Option<()> {
    if depth > MAX_DEPTH {
        return None;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && depth == 0 => return Some(()),
        Err(_) => return None,
    };
    let mut list: Vec<(String, PathBuf)> = Vec::new();
    for e in entries {
        let e = e.ok()?;
        list.push((e.file_name().to_str()?.to_string(), e.path()));
    }
    list.sort();
    for (name, path) in list {
        // dddc's cache, and git's folder where the documentation folder
        // holds it (`[docs] dir = "."`), as `generated_docs` skips it.
        if name == DIR || (!follow && name == ".git") {
            continue;
        }
        let full = format!("{prefix}{name}");
        if path.is_dir() {
            let link = std::fs::symlink_metadata(&path).ok()?.file_type().is_symlink();
            if link && !follow {
                out.push((full, Walked::Link(std::fs::read_link(&path).ok()?)));
                continue;
            }
            // A link back to a folder walked into on the way here (directly,
            // or through a sibling that links back): `check` does not
            // follow it; the state is not hashed (the check runs in full).
            let real = path.canonicalize().ok()?;
            if above.contains(&real) {
                return None;
            }
            out.push((full.clone(), Walked::Dir));
            above.push(real);
            let walked = walk_in(&path, &format!("{full}/"), depth + 1, follow, above, out);
            above.pop();
            walked?;
        } else {
            out.push((full, Walked::File(path)));
        }
    }
    Some(())
}

/// What [`read_file`] hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hashes {
    Blake3,
    Sha256,
    Both,
}

/// What [`read_file`] read of a file.
struct FileRead {
    digest: Option<Hash>,
    sha256: Option<[u8; 32]>,
    /// Its first [`HEAD`] bytes.
    head: Vec<u8>,
}

/// Each file's BLAKE3, its SHA-256 too where asked, and its first [`HEAD`]
/// bytes (`None` when it cannot be read), on every core.
fn hash_files_with_heads(paths: &[(PathBuf, bool)]) -> Vec<Option<FileRead>> {
    let mut order: Vec<usize> = (0..paths.len()).collect();
    // The largest first, so that the cores finish together.
    let sizes: Vec<u64> = paths.iter().map(|(p, _)| std::fs::metadata(p).map_or(0, |m| m.len())).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(sizes[i]));
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(paths.len().max(1)).min(8);
    let mut results: Vec<Option<FileRead>> = (0..paths.len()).map(|_| None).collect();
    let parts: Vec<Vec<(usize, Option<FileRead>)>> = std::thread::scope(|s| {
        let work = || {
            let mut done = Vec::new();
            let mut buf = vec![0u8; 1 << 18];
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&i) = order.get(k) else { break };
                let (path, sha256) = &paths[i];
                done.push((i, read_file(path, if *sha256 { Hashes::Both } else { Hashes::Blake3 }, &mut buf)));
            }
            done
        };
        let helpers: Vec<_> = (1..threads).map_while(|_| crate::threads::try_spawn_waiting(s, work)).collect();
        let mut parts = vec![work()];
        parts.extend(helpers.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))));
        parts
    });
    for (i, d) in parts.into_iter().flatten() {
        results[i] = d;
    }
    results
}

/// The SHA-256 of a file, in hex, read through `buf` (`None` when it cannot
/// be read).
pub fn file_sha256_hex(path: &Path, buf: &mut [u8]) -> Option<String> {
    read_file(path, Hashes::Sha256, buf)?.sha256.map(|d| hex(&d))
}

/// A file's hashes and its head, from one read through `buf`.
fn read_file(path: &Path, hashes: Hashes, buf: &mut [u8]) -> Option<FileRead> {
    let mut f = crate::files::open_regular(path).ok()?;
    let mut blake = (hashes != Hashes::Sha256).then(blake3::Hasher::new);
    let mut sha = (hashes != Hashes::Blake3).then(Sha256::new);
    let mut head = Vec::new();
    loop {
        match f.read(buf) {
            Ok(0) => break,
            Ok(n) => {
                let piece = &buf[..n];
                if let Some(h) = &mut blake {
                    h.update(piece);
                }
                if let Some(sha) = &mut sha {
                    sha.update(piece);
                }
                head.extend_from_slice(&piece[..n.min(HEAD - head.len())]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(FileRead { digest: blake.map(|h| *h.finalize().as_bytes()), sha256: sha.map(|s| s.finalize().into()), head })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_hashed_on_the_way_are_the_digest_of_the_whole() {
        let pieces: [&[u8]; 4] = [b"a text", b"", b" in ", b"pieces"];
        let mut slices = crate::output::Slices::new(&pieces);
        let mut hashing = Hashing::new(&mut slices);
        assert_eq!(crate::output::Pieces::size(&hashing), Some(16));
        let mut given = Vec::new();
        while let Some(piece) = crate::output::Pieces::next_piece(&mut hashing) {
            given.extend_from_slice(&piece);
        }
        assert_eq!(given, b"a text in pieces");
        assert_eq!(hashing.digest(), digest(b"a text in pieces"));
    }

    fn entry() -> Entry {
        Entry {
            state: "a".repeat(64),
            inputs: vec![PathBuf::from("/p/m.ddd"), PathBuf::from("/p/contexts/x y.ddd")],
            inputs_digest: "b".repeat(64),
            lint: Some(LintSummary { score: 97, minimum: 85, errors: 0, warnings: 3, passes: true }),
            repeatable: vec!["R__views.sql".into()],
            build_quiet: true,
        }
    }

    #[test]
    fn an_entry_reads_back_as_written() {
        let e = entry();
        assert_eq!(Entry::parse(&e.to_text().unwrap()), Some(e.clone()));
        let none = Entry { lint: None, repeatable: vec![], build_quiet: false, ..e };
        assert_eq!(Entry::parse(&none.to_text().unwrap()), Some(none));
    }

    #[test]
    fn anything_malformed_is_a_miss() {
        let text = entry().to_text().unwrap();
        assert_eq!(Entry::parse(""), None);
        // An earlier version's cache (SHA-256 digests), or a later one's.
        assert_eq!(Entry::parse(&text.replace("cache 2", "cache 1")), None);
        assert_eq!(Entry::parse(&text.replace("cache 2", "cache 3")), None);
        assert_eq!(Entry::parse(&text.replace(&"a".repeat(64), "abc")), None);
        assert_eq!(Entry::parse(&text.replace("lint 97", "lint x")), None);
        assert_eq!(Entry::parse(&format!("{text}<<<<<<< HEAD\n")), None);
        let no_inputs: String = text.lines().filter(|l| !l.starts_with("input ")).map(|l| format!("{l}\n")).collect();
        assert_eq!(Entry::parse(&no_inputs), None);
        let newline = Entry { inputs: vec![PathBuf::from("a\nb")], ..entry() };
        assert_eq!(newline.to_text(), None);
    }

    #[test]
    fn the_texts_and_the_disk_hash_alike() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.ddd");
        let b = dir.path().join("b.ddd");
        std::fs::write(&a, "\u{feff}model m {}\r\n").unwrap();
        std::fs::write(&b, "").unwrap();
        let paths = vec![a.clone(), b.clone()];
        let from_texts = inputs_from_texts([(a.as_path(), "\u{feff}model m {}\r\n"), (b.as_path(), "")].into_iter());
        assert_eq!(inputs_from_disk(&paths), from_texts);
        std::fs::write(&b, " ").unwrap();
        assert_ne!(inputs_from_disk(&paths), from_texts);
        std::fs::remove_file(&b).unwrap();
        assert_ne!(inputs_from_disk(&paths), from_texts);
    }
}
