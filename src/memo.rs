//! dddc's local memory of work done in earlier runs, so that a build or a
//! check after an edit redoes only what the edit changed (issue 14): the
//! diagrams drawn and the documents' sections rendered ([`crate::docs`],
//! `.dddc/docs/`) and the files parsed ([`crate::loader`],
//! `.dddc/syntax/`). [`crate::check_cache`]'s record
//! of the last pass sits beside them, in the folder git ignores
//! (`.dddc/.gitignore` holds `*`): never committed, never merged, never
//! trusted across machines. A clean checkout (CI) has none and does
//! everything.
//!
//! An entry is addressed by the BLAKE3 of everything it is made from: this
//! dddc (its version and its executable's path, size and modification
//! time, as [`executable`] says; a rebuilt dddc is another one), the
//! memory's folder, and what the caller feeds the key — for a diagram, the
//! templates and the view; for a parse, the file's text. Nothing in it is
//! ever stale: what it holds for a key is what doing the work again gives.
//!
//! An entry's contents are kept in LZ4's block format (lz4_flex): the
//! diagrams and sections shrink about 6 times, the syntax trees 2.5 times
//! (`.dddc/` of 20,000 aggregates: 355 -> 74 MB), and writing them in
//! full was 2-3 s of a fresh build of 20,000 aggregates here. A missing,
//! unreadable, truncated or altered entry (each carries the BLAKE3 of its
//! stored bytes, checked before they are unpacked) is a miss. A new entry is written to a
//! temporary file as soon as it is made, and renamed into place only by
//! [`Memo::save`], which the CLI calls after a run that succeeded (a run
//! that fails removes its temporary files; one that is killed leaves them
//! to the next save). Entries are not fsynced: one a crash cut short is a
//! miss. The same call removes the entries that run did not use, so a
//! folder holds one model's work. `dddc check --no-cache` neither reads
//! nor writes it.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const HEADER: &str = "dddc memo 2\n";

/// How old a temporary file must be for a save to take it for one a
/// killed run left behind.
const LEFT_BEHIND: std::time::Duration = std::time::Duration::from_secs(600);

/// A file's or a text's BLAKE3.
pub type Hash = [u8; 32];

/// The folder of dddc's local caches in a project (this one's, and
/// [`crate::check_cache`]'s).
pub const DIR: &str = ".dddc";

/// Creates `dir` (the cache's folder, or one inside it) with the
/// `.gitignore` that keeps the cache out of git; `None` when it cannot.
pub fn create_dir(dir: &Path) -> Option<()> {
    std::fs::create_dir_all(dir).ok()?;
    let root = dir.ancestors().find(|d| d.file_name().is_some_and(|n| n == DIR))?;
    let ignore = root.join(".gitignore");
    if !ignore.exists() {
        let _ = std::fs::write(&ignore, "# dddc's local cache: never committed\n*\n");
    }
    Some(())
}

/// Writes `bytes` to `to` a mebibyte per call. One `write` of many
/// megabytes took 20 times as long as the same bytes in 1 MiB calls, now
/// and then, on the 2-core ext4 machine the benchmark runs on (200 MB:
/// 0.05 s in parts, 0.05 s or 1.0–1.2 s whole); in parts it never did.
/// The large files dddc writes go through here: a build's outputs
/// ([`crate::output`]), the memo's entries and check's record (here, in
/// the first layer, so that all three can).
pub fn write_in_parts(to: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    for part in bytes.chunks(1 << 20) {
        to.write_all(part)?;
    }
    Ok(())
}

/// This dddc: its version, and its executable's path, size and
/// modification time (a rebuilt binary is another dddc); `None` when the
/// executable cannot be found.
pub fn executable() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let meta = std::fs::metadata(&exe).ok()?;
    let mtime = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some(format!(
        "version {}\nexe {} {} {}.{:09}\n",
        env!("CARGO_PKG_VERSION"),
        exe.display(),
        meta.len(),
        mtime.as_secs(),
        mtime.subsec_nanos()
    ))
}

/// The BLAKE3 of `bytes`, as [`crate::check_cache::Hashed::digest`] has it.
pub fn digest(bytes: &[u8]) -> Hash {
    *blake3::hash(bytes).as_bytes()
}

/// Bytes in lower-case hex (a SHA-256 as the lock writes it).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One folder of a project's memory, for one run.
pub struct Memo {
    folder: &'static str,
    dir: PathBuf,
    /// This dddc, folded into every key.
    salt: Hash,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Every key this run asked for (hits and misses alike).
    used: HashSet<Hash>,
    /// What this run made, to be written by [`Memo::save`].
    /// Written to temporary files in the folder as they are made (not
    /// held in memory: the diagrams alone are 15 MB at 2,000 aggregates),
    /// renamed into place by `save`, removed when the run ends without it.
    fresh: Vec<(Hash, tempfile::TempPath)>,
    /// The folder could not be created or written: nothing more is tried.
    unwritable: bool,
    /// The folder was made (or found) by this run: not asked for again
    /// per entry (three calls each; 6,000 entries for a build of 2,000
    /// bounded contexts).
    folder_made: bool,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo").field("dir", &self.dir).finish_non_exhaustive()
    }
}

/// A key's hasher: what [`Memo::hasher`] starts, fed with everything
/// the files are made from.
pub struct KeyHasher(blake3::Hasher);

impl KeyHasher {
    pub fn update(&mut self, bytes: &[u8]) -> &mut KeyHasher {
        // Each part with its length, so that two parts cannot run together.
        self.0.update(&(bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    /// Feeds `value` as its derived `Hash` writes it: every field, also
    /// those a view does not serialise for its template (the kinds the SVG
    /// draws from), so that a key is complete by construction. (`str`
    /// writes its bytes and a 0xFF no UTF-8 text holds, a `Vec` its length
    /// first: two values never write the same stream.)
    pub fn hashed<T: std::hash::Hash + ?Sized>(&mut self, value: &T) -> &mut KeyHasher {
        /// The stream, gathered in blocks: the views write it a few bytes
        /// at a time.
        struct Feed<'a>(&'a mut blake3::Hasher, Vec<u8>);
        impl std::hash::Hasher for Feed<'_> {
            fn write(&mut self, bytes: &[u8]) {
                self.1.extend_from_slice(bytes);
                if self.1.len() >= 1 << 16 {
                    self.0.update(&self.1);
                    self.1.clear();
                }
            }
            fn finish(&self) -> u64 {
                unreachable!("the stream is read from the BLAKE3 hasher")
            }
        }
        let mut feed = Feed(&mut self.0, Vec::with_capacity(1 << 16));
        feed.0.update(b"hash");
        value.hash(&mut feed);
        let Feed(hasher, rest) = feed;
        hasher.update(&rest);
        self
    }

    pub fn finish(&self) -> Hash {
        *self.0.finalize().as_bytes()
    }
}

impl Memo {
    /// The project's memory in `.dddc/<folder>`; `None` when this dddc
    /// cannot say which executable it is (then nothing is remembered).
    pub fn open(project_dir: &Path, folder: &'static str) -> Option<Memo> {
        let mut salt = blake3::Hasher::new();
        salt.update(HEADER.as_bytes());
        salt.update(folder.as_bytes());
        salt.update(executable()?.as_bytes());
        Some(Memo {
            folder,
            dir: project_dir.join(DIR).join(folder),
            salt: *salt.finalize().as_bytes(),
            state: Mutex::new(State::default()),
        })
    }

    /// A key's hasher, this dddc already in it.
    pub fn hasher(&self) -> KeyHasher {
        let mut h = blake3::Hasher::new();
        h.update(&self.salt);
        KeyHasher(h)
    }

    /// The bytes remembered for `key`.
    pub fn get_bytes(&self, key: &Hash) -> Option<Vec<u8>> {
        self.lock().used.insert(*key);
        let entry = crate::files::read_regular(&self.dir.join(hex(key))).ok()?;
        let rest = entry.strip_prefix(HEADER.as_bytes())?;
        let (sum, newline) = (rest.get(..64)?, rest.get(64)?);
        if *newline != b'\n' || sum != hex(&digest(&rest[65..])).as_bytes() {
            return None;
        }
        unpack(&rest[65..])
    }

    /// Remembers `body` for `key` (kept by [`Memo::save`]).
    pub fn put_bytes(&self, key: Hash, body: &[u8]) {
        let folder_made = {
            let mut state = self.lock();
            state.used.insert(key);
            if state.unwritable {
                return;
            }
            state.folder_made
        };
        let packed = lz4_flex::block::compress_prepend_size(body);
        let sum = hex(&digest(&packed));
        // Written outside the lock: the parses and the documents' threads
        // put entries at the same time (the first ones may each make the
        // folder; making it again is harmless).
        let folder = if folder_made { Some(()) } else { create_dir(&self.dir) };
        let written = folder.and_then(|()| {
            let mut tmp = tempfile::Builder::new().prefix(".entry.").tempfile_in(&self.dir).ok()?;
            tmp.write_all(HEADER.as_bytes()).ok()?;
            tmp.write_all(sum.as_bytes()).ok()?;
            tmp.write_all(b"\n").ok()?;
            write_in_parts(&mut tmp, &packed).ok()?;
            Some(tmp.into_temp_path())
        });
        let mut state = self.lock();
        match written {
            Some(path) => {
                state.folder_made = true;
                state.fresh.push((key, path));
            }
            None => state.unwritable = true,
        }
    }

    /// The texts remembered for `key`, as many as were put.
    pub fn get(&self, key: &Hash) -> Option<Vec<String>> {
        decode(self.get_bytes(key)?)
    }

    /// Remembers `texts` for `key` (kept by [`Memo::save`]).
    pub fn put(&self, key: Hash, texts: &[&str]) {
        self.put_bytes(key, &encode(texts));
    }

    /// Keeps what this run made and removes what it did not use. Failing
    /// to (a read-only checkout) is not an error: the next run does the
    /// work again.
    pub fn save(&self) {
        let _p = crate::timing::phase(match self.folder {
            "docs" => "save the memo: docs",
            "syntax" => "save the memo: syntax",
            _ => "save the memo",
        });
        let state = std::mem::take(&mut *self.lock());
        if state.fresh.is_empty() && state.used.is_empty() {
            return;
        }
        for (key, path) in state.fresh {
            let _ = path.persist(self.dir.join(hex(&key)));
        }
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return };
        let used: HashSet<String> = state.used.iter().map(|k| hex(k)).collect();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            // Only what this module writes: entries, and temporary files
            // a killed run left (old ones: a newer one may be another
            // dddc's, running in this project now).
            let entry_name = name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit());
            let left_behind = name.starts_with(".entry.")
                && entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > LEFT_BEHIND));
            if (entry_name && !used.contains(name)) || left_behind {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The bytes `packed` (LZ4's block, its size before it) holds; `None` for
/// what is not a packing, or claims more than LZ4 can pack into its size
/// (at most 255 bytes for one), which is not allocated for.
fn unpack(packed: &[u8]) -> Option<Vec<u8>> {
    let claimed = u32::from_le_bytes(packed.get(..4)?.try_into().ok()?) as usize;
    if claimed > (packed.len() - 4).saturating_mul(255) + 16 {
        return None;
    }
    lz4_flex::block::decompress_size_prepended(packed).ok()
}

/// A decimal number and its `\n`, taken from the front of `body`.
fn number_line(body: &mut &[u8]) -> Option<usize> {
    let end = body.iter().position(|&b| b == b'\n')?;
    let n = std::str::from_utf8(&body[..end]).ok()?.parse::<usize>().ok()?;
    *body = &body[end + 1..];
    Some(n)
}

/// How many texts, each one's length, a line each; then the texts.
fn encode(texts: &[&str]) -> Vec<u8> {
    let mut body = format!("{}\n", texts.len()).into_bytes();
    for t in texts {
        body.extend_from_slice(format!("{}\n", t.len()).as_bytes());
    }
    for t in texts {
        body.extend_from_slice(t.as_bytes());
    }
    body
}

fn decode(entry: Vec<u8>) -> Option<Vec<String>> {
    let mut body = entry.as_slice();
    let parts = number_line(&mut body)?;
    // Each length takes two bytes at least: a count past that is not an
    // entry's (and is not allocated for).
    if parts > body.len() / 2 {
        return None;
    }
    let lengths = (0..parts).map(|_| number_line(&mut body)).collect::<Option<Vec<usize>>>()?;
    if lengths.iter().try_fold(0usize, |a, l| a.checked_add(*l)) != Some(body.len()) {
        return None;
    }
    // Every text but the last copied out; the last (a diagram's SVG, the
    // largest) keeps the buffer.
    let mut start = entry.len() - body.len();
    let mut texts = Vec::with_capacity(parts);
    for len in &lengths[..parts.saturating_sub(1)] {
        texts.push(String::from_utf8(entry[start..start + len].to_vec()).ok()?);
        start += len;
    }
    if parts > 0 {
        let mut last = entry;
        last.drain(..start);
        texts.push(String::from_utf8(last).ok()?);
    }
    Some(texts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_read_back_and_a_wrong_shape_is_a_miss() {
        let texts = ["@startuml\n'é\n@enduml\n", "<svg/>", ""];
        let bytes = encode(&texts);
        assert_eq!(decode(bytes.clone()), Some(texts.iter().map(|t| t.to_string()).collect()));
        assert_eq!(decode(bytes[..bytes.len() - 1].to_vec()), None);
        assert_eq!(decode([bytes.as_slice(), b"x"].concat()), None);
        assert_eq!(decode(b"2\n1\n1\n\xff\xfe".to_vec()), None, "not UTF-8");
        assert_eq!(decode(b"2\n1\n1\nA\xfe".to_vec()), None, "the last not UTF-8");
        assert_eq!(decode(b"18446744073709551615\n".to_vec()), None, "a count no entry has");
        assert_eq!(decode(b"0\n".to_vec()), Some(Vec::new()));
        assert_eq!(decode(encode(&["solo"])), Some(vec!["solo".to_string()]));
    }

    #[test]
    fn an_entry_cut_short_or_altered_anywhere_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let memo = Memo::open(dir.path(), "diagrams").unwrap();
        let key = memo.hasher().update(b"k").finish();
        memo.put(key, &["@startuml\n'é\n@enduml\n", "<svg/>"]);
        memo.save();
        let path = dir.path().join(DIR).join("diagrams").join(hex(&key));
        let good = std::fs::read(&path).unwrap();
        let read = || Memo::open(dir.path(), "diagrams").unwrap().get(&key);
        assert!(read().is_some());
        for cut in 0..good.len() {
            std::fs::write(&path, &good[..cut]).unwrap();
            assert_eq!(read(), None, "cut at {cut}");
        }
        for i in 0..good.len() {
            let mut altered = good.clone();
            altered[i] ^= 0x01;
            std::fs::write(&path, &altered).unwrap();
            assert_eq!(read(), None, "byte {i} altered");
        }
    }

    /// Entries are kept packed, and unpacked only once their BLAKE3 holds:
    /// stored bytes that carry their own sum but are not LZ4's, or claim
    /// more than LZ4 could have packed into them (4 GB in 2 bytes), are a
    /// miss, not a panic or a 4 GB allocation.
    #[test]
    fn entries_are_packed_and_a_summed_but_broken_packing_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let memo = Memo::open(dir.path(), "docs").unwrap();
        let key = memo.hasher().update(b"k").finish();
        let svg = "<svg>".to_string() + &"<rect x=\"1\" y=\"2\"/>".repeat(10_000) + "</svg>";
        memo.put(key, &[&svg]);
        memo.save();
        let path = dir.path().join(DIR).join("docs").join(hex(&key));
        let stored = std::fs::metadata(&path).unwrap().len() as usize;
        assert!(stored * 10 < svg.len(), "{stored} bytes stored for {}", svg.len());
        let read = || Memo::open(dir.path(), "docs").unwrap().get(&key);
        assert_eq!(read(), Some(vec![svg.clone()]));
        let summed = |packed: &[u8]| [HEADER.as_bytes(), hex(&digest(packed)).as_bytes(), b"\n", packed].concat();
        let claims_4_gb = [0xff, 0xff, 0xff, 0xff, 0x10, b'x'];
        for packed in [&b""[..], b"\x05\0\0\0", &claims_4_gb, b"not lz4 at all, not even close"] {
            std::fs::write(&path, summed(packed)).unwrap();
            assert_eq!(read(), None, "{packed:?}");
        }
        // LZ4's best ratio (one byte repeated) is under the bound.
        let same = "a".repeat(4 << 20);
        memo.put(key, &[&same]);
        memo.save();
        assert_eq!(read(), Some(vec![same]));
        // The unpacked bytes, summed but not the texts' shape.
        std::fs::write(&path, summed(&lz4_flex::block::compress_prepend_size(b"3\n1\n"))).unwrap();
        assert_eq!(read(), None);
    }

    #[test]
    fn entries_are_kept_for_the_next_run_and_the_unused_removed() {
        let dir = tempfile::tempdir().unwrap();
        let key = |memo: &Memo, s: &str| memo.hasher().update(s.as_bytes()).finish();
        let first = Memo::open(dir.path(), "diagrams").unwrap();
        let (a, b) = (key(&first, "a"), key(&first, "b"));
        assert_ne!(a, b);
        assert_eq!(first.get(&a), None);
        first.put(a, &["A", "a"]);
        first.put(b, &["B", "b"]);
        // Nothing is on disk before `save`.
        assert_eq!(first.get(&a), None);
        first.save();
        let second = Memo::open(dir.path(), "diagrams").unwrap();
        assert_eq!(second.get(&a), Some(vec!["A".to_string(), "a".to_string()]));
        second.save();
        let third = Memo::open(dir.path(), "diagrams").unwrap();
        assert_eq!(third.get(&a), Some(vec!["A".to_string(), "a".to_string()]));
        assert_eq!(third.get(&b), None, "`b` was not used by the second run");
        assert!(dir.path().join(DIR).join(".gitignore").exists());
        // Keys differ with the order of the parts, not only their bytes,
        // and with the folder.
        assert_ne!(
            first.hasher().update(b"ab").update(b"c").finish(),
            first.hasher().update(b"a").update(b"bc").finish()
        );
        let other = Memo::open(dir.path(), "syntax").unwrap();
        assert_ne!(key(&other, "a"), a);
    }

    #[test]
    fn a_run_that_ends_without_saving_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let memo = Memo::open(dir.path(), "docs").unwrap();
        let key = memo.hasher().update(b"k").finish();
        memo.put(key, &["texto"]);
        let folder = dir.path().join(DIR).join("docs");
        let names = || -> Vec<String> {
            std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
        };
        assert_eq!(names().len(), 1, "written as it is made, to a temporary file: {:?}", names());
        assert!(names()[0].starts_with(".entry."));
        drop(memo);
        assert_eq!(names(), Vec::<String>::new());
        // A temporary file a killed run left is removed by the next save;
        // a recent one, maybe another dddc's at work, is left alone.
        std::fs::write(folder.join(".entry.old"), "x").unwrap();
        std::fs::write(folder.join(".entry.new"), "x").unwrap();
        let old = std::fs::File::options().write(true).open(folder.join(".entry.old")).unwrap();
        old.set_modified(std::time::SystemTime::now() - LEFT_BEHIND * 2).unwrap();
        let memo = Memo::open(dir.path(), "docs").unwrap();
        memo.put(key, &["texto"]);
        memo.save();
        let mut left = names();
        left.sort();
        assert_eq!(left, vec![".entry.new".to_string(), hex(&key)]);
    }

    /// The folder is made by the first entry only; if it goes away during
    /// the run, the memo stops there (the next run does the work again)
    /// and nothing fails.
    #[test]
    fn the_folder_is_made_once_and_its_loss_ends_the_memo_quietly() {
        let dir = tempfile::tempdir().unwrap();
        let memo = Memo::open(dir.path(), "docs").unwrap();
        let key = |s: &str| memo.hasher().update(s.as_bytes()).finish();
        let folder = dir.path().join(DIR).join("docs");
        assert!(!folder.exists(), "nothing made before an entry");
        memo.put(key("a"), &["A"]);
        assert!(memo.lock().folder_made && folder.is_dir());
        memo.put(key("b"), &["B"]);
        memo.save();
        let next = Memo::open(dir.path(), "docs").unwrap();
        assert_eq!(next.get(&key("a")), Some(vec!["A".to_string()]));
        assert_eq!(next.get(&key("b")), Some(vec!["B".to_string()]));
        next.put(key("c"), &["C"]);
        std::fs::remove_dir_all(dir.path().join(DIR)).unwrap();
        next.put(key("d"), &["D"]);
        assert!(next.lock().unwritable);
        next.put(key("e"), &["E"]);
        next.save();
        let last = Memo::open(dir.path(), "docs").unwrap();
        assert_eq!(last.get(&key("d")), None);
    }

    #[test]
    fn read_as_puts_the_id_back_after_a_panic() {
        use crate::diagnostics::{read_as, FileId};
        let id = |v: u32| serde_json::from_str::<FileId>(&v.to_string()).unwrap();
        assert_eq!(id(4), FileId(4));
        assert_eq!(read_as(FileId(9), || id(4)), FileId(9));
        let caught = std::panic::catch_unwind(|| read_as(FileId(9), || panic!("while reading")));
        assert!(caught.is_err());
        assert_eq!(id(4), FileId(4), "the id before is back");
    }
}
