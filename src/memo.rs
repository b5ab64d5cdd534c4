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
//! stored bytes, checked before they are unpacked) is a miss.
//!
//! Entries are stored in packs (`pack.<hex>`), not a file each: a fresh
//! build of 20,000 aggregates made 1,600 of them, and creating a file on
//! the ext4 disk the benchmarks run on cost more than writing its bytes
//! (`ext4_create` was a fifth of such a build's CPU samples). A pack is
//! the entries one after the other, then a table (each key, where its
//! entry starts and its length), then a footer: where the table starts,
//! how many rows it has, the table's BLAKE3 and a magic line; a pack
//! whose footer or table does not read is ignored whole. A run appends
//! the entries it makes to one temporary file as they are made, and
//! [`Memo::save`], which the CLI calls after a run that succeeded, adds
//! the table and renames it into place (a run that fails removes it; one
//! that is killed leaves it to a later save). Packs are never changed
//! once in place. Entries are not fsynced: one a crash cut short is a
//! miss. `dddc check --no-cache` neither reads nor writes the memory.
//!
//! The same call drops what the run did not use: a pack none of whose
//! entries it used is removed; one where those it did not use take more
//! bytes than those it did is rewritten, the used ones copied as they are
//! into the run's new pack; and the packs are kept at most
//! [`MAX_PACKS`], the smallest merged into the new one past that. An
//! entry the run did not use may so stay a while in a pack that keeps
//! most of its bytes: it is still what its key says (nothing is ever
//! stale), and the folder holds at most about twice one model's work.
//! A key held twice (two runs at once; a copy altered, or of a shape its
//! caller did not want, and made again) is read from the first copy that
//! verifies, the newest pack first; only the copy read counts as used,
//! and none when the run put the key again.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const HEADER: &str = "dddc memo 3\n";

/// A pack's last bytes: where its table starts (u64), its rows (u64), the
/// table's BLAKE3, and this line.
const PACK_MAGIC: &[u8; 16] = b"dddc memo pack1\n";
const FOOTER: u64 = 8 + 8 + 32 + 16;
/// A row of a pack's table: the key, where the entry starts, its length.
const ROW: u64 = 32 + 8 + 8;
/// The prefix of a pack's name, and of the temporary file a run writes.
const PACK: &str = "pack.";
const PACK_TMP: &str = ".pack.";
/// How many packs a save leaves in a folder at most.
pub const MAX_PACKS: usize = 8;

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

/// FNV-1a, 32 bits: a small hash that is the same on every machine, for
/// what no one can choose the input of to collide (the SQL keywords'
/// table, where `syntax::parts` cuts a run of small contexts).
pub const fn fnv(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u32;
        h = h.wrapping_mul(0x0100_0193);
        i += 1;
    }
    h
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
    /// What this run made, to be kept by [`Memo::save`]: appended to a
    /// temporary pack in the folder as it is made (not held in memory: the
    /// diagrams alone are 15 MB at 2,000 aggregates), removed when the run
    /// ends without a save.
    fresh: Option<Fresh>,
    /// The folder could not be created or written: nothing more is tried.
    unwritable: bool,
    /// The packs in the folder, read when an entry is first asked for.
    on_disk: Option<OnDisk>,
    /// The rows (pack, row) this run read an entry from.
    hits: HashSet<(usize, usize)>,
}

/// A run's temporary pack: its file, its rows so far and its length.
struct Fresh {
    file: tempfile::NamedTempFile,
    rows: Vec<Row>,
    len: u64,
}

/// A row of a pack's table.
#[derive(Clone, Copy)]
struct Row {
    key: Hash,
    at: u64,
    len: u64,
}

/// A pack in place: its path and its table.
struct Pack {
    path: PathBuf,
    rows: Vec<Row>,
}

#[derive(Default)]
struct OnDisk {
    packs: Vec<Pack>,
    /// Where each key is: (pack, row), every copy.
    index: HashMap<Hash, Vec<(usize, usize)>>,
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
        let places: Vec<(usize, usize, PathBuf, Row)> = {
            let mut state = self.lock();
            let disk = state.on_disk.get_or_insert_with(|| read_packs(&self.dir));
            let places = disk.index.get(key)?;
            places.iter().map(|&(p, r)| (p, r, disk.packs[p].path.clone(), disk.packs[p].rows[r])).collect()
        };
        // The first copy that reads (two runs at once may both have made
        // one; a copy may have been altered).
        places.into_iter().find_map(|(p, r, path, row)| {
            let entry = read_at(&path, row.at, row.len).ok()?;
            let rest = entry.strip_prefix(HEADER.as_bytes())?;
            let (sum, newline) = (rest.get(..64)?, rest.get(64)?);
            if *newline != b'\n' || sum != hex(&digest(&rest[65..])).as_bytes() {
                return None;
            }
            let body = unpack(&rest[65..])?;
            self.lock().hits.insert((p, r));
            Some(body)
        })
    }

    /// Remembers `body` for `key` (kept by [`Memo::save`]).
    pub fn put_bytes(&self, key: Hash, body: &[u8]) {
        if self.lock().unwritable {
            return;
        }
        // Packed outside the lock: the parses and the documents' threads
        // put entries at the same time.
        let packed = lz4_flex::block::compress_prepend_size(body);
        let sum = hex(&digest(&packed));
        let mut state = self.lock();
        if state.unwritable {
            return;
        }
        let appended = (|| {
            if state.fresh.is_none() {
                create_dir(&self.dir)?;
                let file = tempfile::Builder::new().prefix(PACK_TMP).tempfile_in(&self.dir).ok()?;
                state.fresh = Some(Fresh { file, rows: Vec::new(), len: 0 });
            }
            let fresh = state.fresh.as_mut()?;
            let len = (HEADER.len() + sum.len() + 1 + packed.len()) as u64;
            let out = fresh.file.as_file_mut();
            out.write_all(HEADER.as_bytes()).ok()?;
            out.write_all(sum.as_bytes()).ok()?;
            out.write_all(b"\n").ok()?;
            write_in_parts(out, &packed).ok()?;
            fresh.rows.push(Row { key, at: fresh.len, len });
            fresh.len += len;
            Some(())
        })();
        if appended.is_none() {
            // Half an entry may be in the file: none of it is kept.
            state.unwritable = true;
            state.fresh = None;
        }
    }

    /// How many entries this run read back.
    #[cfg(test)]
    pub(crate) fn hits(&self) -> usize {
        self.lock().hits.len()
    }

    /// The texts remembered for `key`, as many as were put.
    pub fn get(&self, key: &Hash) -> Option<Vec<String>> {
        decode(self.get_bytes(key)?)
    }

    /// Remembers `texts` for `key` (kept by [`Memo::save`]).
    pub fn put(&self, key: Hash, texts: &[&str]) {
        self.put_bytes(key, &encode(texts));
    }

    /// Keeps what this run made and drops what it did not use (see the
    /// module's notes). Failing to (a read-only checkout) is not an error:
    /// the next run does the work again.
    pub fn save(&self) {
        let _p = crate::timing::phase(match self.folder {
            "docs" => "save the memo: docs",
            "syntax" => "save the memo: syntax",
            _ => "save the memo",
        });
        let state = std::mem::take(&mut *self.lock());
        // Nothing asked for and nothing made: the folder is left alone.
        if state.fresh.is_none() && state.on_disk.is_none() {
            return;
        }
        let disk = state.on_disk.unwrap_or_else(|| read_packs(&self.dir));
        let mut fresh = state.fresh;
        // What this run read of each pack: the rest it did not use. A key
        // it put too (what it read there was not what the caller wanted:
        // a `remembered` entry of another shape) is the new entry's only.
        let made: HashSet<Hash> = fresh.iter().flat_map(|f| f.rows.iter().map(|r| r.key)).collect();
        let live = |i: usize| -> Vec<Row> {
            let rows = &disk.packs[i].rows;
            (0..rows.len())
                .filter(|&r| state.hits.contains(&(i, r)) && !made.contains(&rows[r].key))
                .map(|r| rows[r])
                .collect()
        };
        let bytes = |rows: &[Row]| rows.iter().map(|r| r.len).sum::<u64>();
        // The packs by the bytes this run read of them, most first.
        let mut order: Vec<(u64, usize, Vec<Row>)> = (0..disk.packs.len())
            .map(|i| {
                let rows = live(i);
                (bytes(&rows), i, rows)
            })
            .collect();
        order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let (mut keep, mut merge, mut gone) = (0, Vec::new(), Vec::new());
        for (used, i, rows) in order {
            if rows.is_empty() {
                gone.push(i);
            } else if bytes(&disk.packs[i].rows) - used > used || keep + 1 >= MAX_PACKS {
                // Mostly what this run did not use, or one pack too many.
                merge.push((i, rows));
            } else {
                keep += 1;
            }
        }
        if !merge.is_empty() && fresh.is_none() {
            fresh = create_dir(&self.dir).and_then(|()| {
                let file = tempfile::Builder::new().prefix(PACK_TMP).tempfile_in(&self.dir).ok()?;
                Some(Fresh { file, rows: Vec::new(), len: 0 })
            });
            if fresh.is_none() {
                return;
            }
        }
        let mut placed = None;
        if let Some(mut f) = fresh {
            for (i, rows) in &merge {
                for row in rows {
                    // An entry that no longer reads is left behind.
                    if let Ok(entry) = read_at(&disk.packs[*i].path, row.at, row.len) {
                        if write_in_parts(f.file.as_file_mut(), &entry).is_err() {
                            return;
                        }
                        f.rows.push(Row { key: row.key, at: f.len, len: row.len });
                        f.len += row.len;
                    }
                }
            }
            let (table, name) = table_of(&f.rows, f.len);
            if write_in_parts(f.file.as_file_mut(), &table).is_err() {
                return;
            }
            let path = self.dir.join(name);
            if f.file.persist(&path).is_err() {
                return;
            }
            placed = Some(path);
        }
        // The packs merged or unused go only once the new one is in place.
        for i in merge.iter().map(|(i, _)| *i).chain(gone) {
            let path = &disk.packs[i].path;
            if placed.as_ref() != Some(path) {
                let _ = std::fs::remove_file(path);
            }
        }
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            // Only what this module writes: the entries of earlier dddcs (a
            // file each), and temporary files a killed run left (old ones:
            // a newer one may be another dddc's, running in this project
            // now).
            let old_entry = name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit());
            let left_behind = (name.starts_with(PACK_TMP) || name.starts_with(".entry."))
                && entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > LEFT_BEHIND));
            if old_entry || left_behind {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A pack's table and footer for `rows`, its entries `len` bytes, and the
/// pack's name (from the table's BLAKE3).
fn table_of(rows: &[Row], len: u64) -> (Vec<u8>, String) {
    let mut table = Vec::with_capacity(rows.len() * ROW as usize + FOOTER as usize);
    for r in rows {
        table.extend_from_slice(&r.key);
        table.extend_from_slice(&r.at.to_le_bytes());
        table.extend_from_slice(&r.len.to_le_bytes());
    }
    let sum = digest(&table);
    table.extend_from_slice(&len.to_le_bytes());
    table.extend_from_slice(&(rows.len() as u64).to_le_bytes());
    table.extend_from_slice(&sum);
    table.extend_from_slice(PACK_MAGIC);
    (table, format!("{PACK}{}", hex(&sum[..16])))
}

/// The packs in `dir` whose footer and table read; the others are
/// ignored (and left alone).
fn read_packs(dir: &Path) -> OnDisk {
    let mut disk = OnDisk::default();
    let Ok(entries) = std::fs::read_dir(dir) else { return disk };
    // The newest first: of two copies of a key, the later one is read
    // first (and a name orders packs of one time).
    let mut paths: Vec<(std::cmp::Reverse<Option<std::time::SystemTime>>, PathBuf)> = entries
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.starts_with(PACK)))
        .map(|e| (std::cmp::Reverse(e.metadata().and_then(|m| m.modified()).ok()), e.path()))
        .collect();
    paths.sort();
    let paths = paths.into_iter().map(|(_, p)| p);
    for path in paths {
        let Some(rows) = read_table(&path) else { continue };
        let p = disk.packs.len();
        for (r, row) in rows.iter().enumerate() {
            disk.index.entry(row.key).or_default().push((p, r));
        }
        disk.packs.push(Pack { path, rows });
    }
    disk
}

/// A pack's table, when its footer holds, its table has the BLAKE3 the
/// footer says, and every row lies among the entries.
fn read_table(path: &Path) -> Option<Vec<Row>> {
    let mut file = crate::files::open_regular(path).ok()?;
    let size = file.metadata().ok()?.len();
    let mut footer = [0u8; FOOTER as usize];
    file.seek(SeekFrom::Start(size.checked_sub(FOOTER)?)).ok()?;
    file.read_exact(&mut footer).ok()?;
    let u64_at = |b: &[u8], i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
    let (start, count) = (u64_at(&footer, 0), u64_at(&footer, 8));
    if &footer[48..] != PACK_MAGIC || count.checked_mul(ROW)?.checked_add(start)?.checked_add(FOOTER)? != size {
        return None;
    }
    let mut table = vec![0u8; (count * ROW) as usize];
    file.seek(SeekFrom::Start(start)).ok()?;
    file.read_exact(&mut table).ok()?;
    if digest(&table)[..] != footer[16..48] {
        return None;
    }
    table
        .chunks_exact(ROW as usize)
        .map(|c| {
            let row = Row { key: c[..32].try_into().expect("32 bytes"), at: u64_at(c, 32), len: u64_at(c, 40) };
            (row.at.checked_add(row.len)? <= start).then_some(row)
        })
        .collect()
}

/// `len` bytes of the file at `path` from `at`.
fn read_at(path: &Path, at: u64, len: u64) -> std::io::Result<Vec<u8>> {
    let mut file = crate::files::open_regular(path)?;
    file.seek(SeekFrom::Start(at))?;
    let mut bytes = vec![0u8; len as usize];
    file.read_exact(&mut bytes)?;
    Ok(bytes)
}

/// What a folder of the memory holds: every entry of every pack that
/// reads, in the packs' order (for tests, and a look at the memory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The key, in hex.
    pub key: String,
    pub pack: PathBuf,
    /// Where the entry's bytes start in the pack, and how many.
    pub at: u64,
    pub len: u64,
}

/// The entries stored in `.dddc/<folder>` of `project_dir`.
pub fn stored(project_dir: &Path, folder: &str) -> Vec<Stored> {
    let disk = read_packs(&project_dir.join(DIR).join(folder));
    disk.packs
        .iter()
        .flat_map(|p| p.rows.iter().map(|r| Stored { key: hex(&r.key), pack: p.path.clone(), at: r.at, len: r.len }))
        .collect()
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

    /// The one pack of `folder` and where its one entry lies.
    fn only_entry(dir: &Path, folder: &str) -> Stored {
        let mut all = stored(dir, folder);
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0)
    }

    /// A pack holding `entries` (key, stored bytes) as [`Memo::save`]
    /// writes one.
    fn pack_of(entries: &[(Hash, Vec<u8>)]) -> Vec<u8> {
        let (mut bytes, mut rows) = (Vec::new(), Vec::new());
        for (key, entry) in entries {
            rows.push(Row { key: *key, at: bytes.len() as u64, len: entry.len() as u64 });
            bytes.extend_from_slice(entry);
        }
        let (table, _) = table_of(&rows, bytes.len() as u64);
        [bytes, table].concat()
    }

    #[test]
    fn an_entry_or_a_pack_cut_short_or_altered_anywhere_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let memo = Memo::open(dir.path(), "diagrams").unwrap();
        let key = memo.hasher().update(b"k").finish();
        memo.put(key, &["@startuml\n'é\n@enduml\n", "<svg/>"]);
        memo.save();
        let at = only_entry(dir.path(), "diagrams");
        assert_eq!(at.key, hex(&key));
        assert!(at.pack.file_name().unwrap().to_str().unwrap().starts_with(PACK));
        let good = std::fs::read(&at.pack).unwrap();
        assert_eq!(good.len() as u64, at.len + ROW + FOOTER, "the entry, a row, the footer");
        let read = || Memo::open(dir.path(), "diagrams").unwrap().get(&key);
        assert!(read().is_some());
        for cut in 0..good.len() {
            std::fs::write(&at.pack, &good[..cut]).unwrap();
            assert_eq!(read(), None, "cut at {cut}");
        }
        for i in 0..good.len() {
            let mut altered = good.clone();
            altered[i] ^= 0x01;
            std::fs::write(&at.pack, &altered).unwrap();
            assert_eq!(read(), None, "byte {i} altered");
        }
        // A row that claims bytes past the entries, with its table summed.
        let entry = good[..at.len as usize].to_vec();
        let mut rows = vec![Row { key, at: 0, len: at.len + 1 }];
        let (table, _) = table_of(&rows, at.len);
        std::fs::write(&at.pack, [entry.clone(), table].concat()).unwrap();
        assert_eq!(read(), None, "a row past the entries");
        rows[0].len = at.len;
        let (table, _) = table_of(&rows, at.len);
        std::fs::write(&at.pack, [entry, table].concat()).unwrap();
        assert!(read().is_some(), "and as it was");
        // Not a regular file: ignored, never read (a FIFO would block).
        std::fs::remove_file(&at.pack).unwrap();
        std::fs::create_dir(&at.pack).unwrap();
        assert_eq!(read(), None);
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
        let at = only_entry(dir.path(), "docs");
        assert!(at.len as usize * 10 < svg.len(), "{} bytes stored for {}", at.len, svg.len());
        let read = || Memo::open(dir.path(), "docs").unwrap().get(&key);
        assert_eq!(read(), Some(vec![svg.clone()]));
        let summed = |packed: &[u8]| [HEADER.as_bytes(), hex(&digest(packed)).as_bytes(), b"\n", packed].concat();
        let claims_4_gb = [0xff, 0xff, 0xff, 0xff, 0x10, b'x'];
        for packed in [&b""[..], b"\x05\0\0\0", &claims_4_gb, b"not lz4 at all, not even close"] {
            std::fs::write(&at.pack, pack_of(&[(key, summed(packed))])).unwrap();
            assert_eq!(read(), None, "{packed:?}");
        }
        // LZ4's best ratio (one byte repeated) is under the bound.
        let same = "a".repeat(4 << 20);
        let memo = Memo::open(dir.path(), "docs").unwrap();
        memo.put(key, &[&same]);
        memo.save();
        assert_eq!(read(), Some(vec![same]));
        // The unpacked bytes, summed but not the texts' shape.
        let at = only_entry(dir.path(), "docs");
        std::fs::write(&at.pack, pack_of(&[(key, summed(&lz4_flex::block::compress_prepend_size(b"3\n1\n")))]))
            .unwrap();
        assert_eq!(read(), None);
    }

    #[test]
    fn entries_are_kept_for_the_next_run_and_the_unused_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let key = |memo: &Memo, s: &str| memo.hasher().update(s.as_bytes()).finish();
        let first = Memo::open(dir.path(), "diagrams").unwrap();
        let (a, b) = (key(&first, "a"), key(&first, "b"));
        assert_ne!(a, b);
        assert_eq!(first.get(&a), None);
        first.put(a, &["A", "a"]);
        first.put(b, &["B".repeat(1000).as_str(), "b"]);
        // Nothing is on disk before `save`.
        assert_eq!(first.get(&a), None);
        assert!(stored(dir.path(), "diagrams").is_empty());
        first.save();
        let second = Memo::open(dir.path(), "diagrams").unwrap();
        assert_eq!(second.get(&a), Some(vec!["A".to_string(), "a".to_string()]));
        second.save();
        // `b` was not used by the second run, and is most of the pack's
        // bytes: `a` is copied into a new pack, the old one removed.
        let left = stored(dir.path(), "diagrams");
        assert_eq!(left.iter().map(|s| s.key.as_str()).collect::<Vec<_>>(), [hex(&a)]);
        let third = Memo::open(dir.path(), "diagrams").unwrap();
        assert_eq!(third.get(&a), Some(vec!["A".to_string(), "a".to_string()]));
        assert_eq!(third.get(&b), None);
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

    /// A run that saved one pack in `.dddc/docs`: `small` ("s") and
    /// `big` (most of its bytes, returned) in it.
    fn small_and_big(dir: &Path) -> (Memo, String) {
        let first = Memo::open(dir, "docs").unwrap();
        let big = "x".repeat(100_000) + &"yz".repeat(50_000);
        first.put(first.hasher().update(b"small").finish(), &["s"]);
        first.put(first.hasher().update(b"big").finish(), &[&big]);
        first.save();
        (first, big)
    }

    /// A pack most of whose bytes a run used is kept as it is (the same
    /// file), the few it did not use staying in it; one mostly unused is
    /// rewritten, and one none of whose entries a run used is removed.
    #[test]
    fn a_pack_mostly_used_is_kept_and_one_unused_removed() {
        let dir = tempfile::tempdir().unwrap();
        let (first, big) = small_and_big(dir.path());
        let key = |s: &str| first.hasher().update(s.as_bytes()).finish();
        let pack = only_entry_pack(dir.path());
        let inode = || std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&pack).unwrap());
        let before = inode();
        let second = Memo::open(dir.path(), "docs").unwrap();
        assert_eq!(second.get(&key("big")), Some(vec![big.clone()]));
        second.put(key("new"), &["n"]);
        second.save();
        assert_eq!(inode(), before, "kept as it was");
        let third = Memo::open(dir.path(), "docs").unwrap();
        assert_eq!(third.get(&key("small")), Some(vec!["s".to_string()]), "unused once, still what its key says");
        assert_eq!(third.get(&key("new")), Some(vec!["n".to_string()]));
        third.save();
        // The third run did not use `big`, most of its pack's bytes: what it
        // used of that pack (`small`) is copied into a new one.
        let mut left: Vec<String> = stored(dir.path(), "docs").into_iter().map(|s| s.key).collect();
        left.sort();
        let mut want = vec![hex(&key("small")), hex(&key("new"))];
        want.sort();
        assert_eq!(left, want);
        assert!(!pack.exists());
        let fourth = Memo::open(dir.path(), "docs").unwrap();
        fourth.put(key("other"), &["o"]);
        fourth.save();
        assert_eq!(only_entry(dir.path(), "docs").key, hex(&key("other")), "none used: every pack removed");
    }

    /// Makes `pack` the newest of its folder (an hour ahead): the one read
    /// first.
    fn newest(pack: &Path) {
        let f = std::fs::File::options().write(true).open(pack).unwrap();
        f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(3600)).unwrap();
    }

    /// A key read and put again in one run (what it read was not what the
    /// caller wanted: an entry of another shape) is the new entry's from
    /// then on, even when the old one's pack comes first: the old copy no
    /// longer counts as used.
    #[test]
    fn a_key_read_and_put_again_keeps_the_new_entry() {
        let dir = tempfile::tempdir().unwrap();
        let first = Memo::open(dir.path(), "docs").unwrap();
        let key = first.hasher().update(b"k").finish();
        first.put(key, &["old"]);
        first.save();
        let first_pack = only_entry(dir.path(), "docs").pack;
        let second = Memo::open(dir.path(), "docs").unwrap();
        assert_eq!(second.get(&key), Some(vec!["old".to_string()]));
        second.put(key, &["new", "shape"]);
        newest(&first_pack);
        second.save();
        assert!(!first_pack.exists(), "its one entry superseded");
        let third = Memo::open(dir.path(), "docs").unwrap();
        assert_eq!(third.get(&key), Some(vec!["new".to_string(), "shape".to_string()]));
    }

    /// An entry altered in its pack is a miss, made again into the run's
    /// new pack; later runs read that copy even when the altered one's
    /// pack is read first (the newest), and keep the pack the rest of
    /// which they use.
    #[test]
    fn a_copy_that_does_not_read_gives_way_to_one_that_does() {
        let dir = tempfile::tempdir().unwrap();
        let (first, big) = small_and_big(dir.path());
        let key = |s: &str| first.hasher().update(s.as_bytes()).finish();
        let at = stored(dir.path(), "docs").into_iter().find(|s| s.key == hex(&key("small"))).unwrap();
        let mut bytes = std::fs::read(&at.pack).unwrap();
        bytes[(at.at + at.len - 1) as usize] ^= 0x01;
        std::fs::remove_file(&at.pack).unwrap();
        let first_pack = at.pack.clone();
        std::fs::write(&first_pack, bytes).unwrap();
        newest(&first_pack);
        let second = Memo::open(dir.path(), "docs").unwrap();
        assert_eq!(second.get(&key("small")), None, "altered");
        second.put(key("small"), &["s"]);
        assert_eq!(second.get(&key("big")), Some(vec![big.clone()]));
        second.save();
        assert!(first_pack.exists(), "most of it used");
        assert_eq!(stored(dir.path(), "docs").len(), 3, "`small` twice");
        for _ in 0..2 {
            let next = Memo::open(dir.path(), "docs").unwrap();
            assert_eq!(next.get(&key("small")), Some(vec!["s".to_string()]));
            assert_eq!(next.get(&key("big")), Some(vec![big.clone()]));
            next.save();
        }
    }

    /// Two runs at once in one folder: the second to save finds the pack
    /// both read gone (the first rewrote it), and keeps its own entries;
    /// nothing either used is lost but what the other removed, and no
    /// entry reads wrong.
    #[test]
    fn two_runs_saving_at_once_lose_nothing_they_made() {
        let dir = tempfile::tempdir().unwrap();
        let (first, _) = small_and_big(dir.path());
        let key = |s: &str| first.hasher().update(s.as_bytes()).finish();
        let (a, b) = (Memo::open(dir.path(), "docs").unwrap(), Memo::open(dir.path(), "docs").unwrap());
        assert_eq!(a.get(&key("small")), Some(vec!["s".to_string()]));
        assert_eq!(b.get(&key("small")), Some(vec!["s".to_string()]));
        a.put(key("a"), &["A"]);
        b.put(key("b"), &["B"]);
        a.save();
        b.save();
        let next = Memo::open(dir.path(), "docs").unwrap();
        assert_eq!(next.get(&key("small")), Some(vec!["s".to_string()]), "copied by the first save");
        assert_eq!(next.get(&key("a")), Some(vec!["A".to_string()]));
        assert_eq!(next.get(&key("b")), Some(vec!["B".to_string()]));
        assert_eq!(next.get(&key("big")), None);
    }

    fn only_entry_pack(dir: &Path) -> PathBuf {
        let packs: HashSet<PathBuf> = stored(dir, "docs").into_iter().map(|s| s.pack).collect();
        assert_eq!(packs.len(), 1);
        packs.into_iter().next().unwrap()
    }

    /// Runs that each make a little leave at most [`MAX_PACKS`] packs,
    /// every entry they used readable.
    #[test]
    fn the_packs_are_kept_few() {
        let dir = tempfile::tempdir().unwrap();
        let key = |memo: &Memo, i: usize| memo.hasher().update(&i.to_le_bytes()).finish();
        for run in 0..3 * MAX_PACKS {
            let memo = Memo::open(dir.path(), "docs").unwrap();
            for i in 0..run {
                assert_eq!(memo.get(&key(&memo, i)), Some(vec![format!("entry {i}")]), "run {run}");
            }
            memo.put(key(&memo, run), &[&format!("entry {run}")]);
            memo.save();
            let packs: HashSet<PathBuf> = stored(dir.path(), "docs").into_iter().map(|s| s.pack).collect();
            assert!(packs.len() <= MAX_PACKS, "run {run}: {} packs", packs.len());
        }
        assert_eq!(stored(dir.path(), "docs").len(), 3 * MAX_PACKS, "each entry once");
    }

    #[test]
    fn a_run_that_ends_without_saving_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let memo = Memo::open(dir.path(), "docs").unwrap();
        let key = memo.hasher().update(b"k").finish();
        memo.put(key, &["texto"]);
        memo.put(memo.hasher().update(b"l").finish(), &["otro"]);
        let folder = dir.path().join(DIR).join("docs");
        let names = || -> Vec<String> {
            let mut names: Vec<String> = std::fs::read_dir(&folder)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        assert_eq!(names().len(), 1, "written as they are made, to one temporary file: {:?}", names());
        assert!(names()[0].starts_with(PACK_TMP));
        drop(memo);
        assert_eq!(names(), Vec::<String>::new());
        // A temporary file a killed run left, and an entry of an earlier
        // dddc (a file each), are removed by the next save; a recent
        // temporary file, maybe another dddc's at work, is left alone.
        for name in [".pack.old", ".entry.old", ".pack.new"] {
            std::fs::write(folder.join(name), "x").unwrap();
        }
        for name in [".pack.old", ".entry.old"] {
            let old = std::fs::File::options().write(true).open(folder.join(name)).unwrap();
            old.set_modified(std::time::SystemTime::now() - LEFT_BEHIND * 2).unwrap();
        }
        std::fs::write(folder.join(hex(&key)), "an entry of dddc memo 2").unwrap();
        let memo = Memo::open(dir.path(), "docs").unwrap();
        memo.put(key, &["texto"]);
        memo.save();
        let pack = only_entry(dir.path(), "docs").pack.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(names(), vec![".pack.new".to_string(), pack]);
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
        assert!(memo.lock().fresh.is_some() && folder.is_dir());
        memo.put(key("b"), &["B"]);
        memo.save();
        let next = Memo::open(dir.path(), "docs").unwrap();
        assert_eq!(next.get(&key("a")), Some(vec!["A".to_string()]));
        assert_eq!(next.get(&key("b")), Some(vec!["B".to_string()]));
        next.put(key("c"), &["C"]);
        std::fs::remove_dir_all(dir.path().join(DIR)).unwrap();
        next.put(key("d"), &["D"]);
        next.save();
        let last = Memo::open(dir.path(), "docs").unwrap();
        assert_eq!(last.get(&key("a")), None);
        assert_eq!(last.get(&key("d")), None);
        // A folder that cannot be made: put stops trying, and save is quiet.
        std::fs::write(dir.path().join(DIR), "a file where the folder goes").unwrap();
        let memo = Memo::open(dir.path(), "docs").unwrap();
        memo.put(key("e"), &["E"]);
        assert!(memo.lock().unwritable);
        memo.put(key("f"), &["F"]);
        memo.save();
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
