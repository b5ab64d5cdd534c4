//! Writing a command's files so that nothing a user can do to the process
//! (kill it, run two at once, fill the disk) leaves a broken project:
//!
//! - every file is written to a temporary file beside its destination
//!   (`.dddc-<name>.<random>.tmp`), flushed to disk, then renamed over it;
//!   the snapshot and then the lock are renamed last, so a build killed
//!   half-way leaves at worst new files the lock does not know yet (a
//!   pending change; a snapshot the lock's digest refuses, for one rename's
//!   time), never a lock that names files that are not there; a rename
//!   that fails puts back what the renames before it replaced (each
//!   replaced file keeps a hard-linked second name until the end, where
//!   the filesystem gives one);
//! - a build stages its migrations and lock while it makes the documents
//!   ([`stage`], then [`Staged::commit`] with the documents'): a run that
//!   fails after that removes them, as it removes the documents';
//! - a file keeps the permissions it had; a new one gets the user's umask;
//! - temporary files a killed run left behind are removed by the next run;
//! - two runs in one project take turns: the second waits for the first
//!   (an advisory lock on the project folder).

use std::fs::File;
use std::path::{Path, PathBuf};

/// A file to write, relative to the project folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

pub use crate::files::{kept_copies, open_regular, read_regular, read_regular_to_string};

use crate::files::{TMP_PREFIX, TMP_SUFFIX};

/// The threads that stage the files: a file is written, then flushed to
/// disk, and the flush mostly waits, so more threads than cores overlap
/// the waits (how the filesystem serves flushes made at once was not
/// looked at, only the time). A fresh build of 2,000
/// contexts of one aggregate each (4,006 files) spent 1,240/1,429/1,487 ms
/// writing with eight threads and each folder made once, against
/// 1,549/2,050/2,046 ms with two and a folder asked for per file (three
/// pairs in turns, on this machine's shared disk, whose speed varied
/// threefold within the hour; eight threads alone, 1,086/1,286/1,306
/// against 1,390/1,867/2,020 ms).
const STAGING_THREADS: usize = 8;

/// The folders a failed run made, the last made first (one that is not
/// empty is left).
fn remove_folders(made: &[PathBuf]) {
    for folder in made.iter().rev() {
        let _ = std::fs::remove_dir(folder);
    }
}

/// Writes every file or none of the outputs' contents: all are staged first
/// (on [`STAGING_THREADS`] threads, the largest first), then renamed into
/// place, the lock last.
pub fn write_atomically(dir: &Path, outputs: &[&Output]) -> Result<(), String> {
    stage(dir, outputs)?.commit(Staged::default())
}

/// Files written to temporary files beside their destinations and flushed
/// to disk ([`stage`]), not yet renamed into place ([`Staged::commit`]).
/// Dropped uncommitted, the temporary files are removed, then the folders
/// made for them.
#[derive(Default)]
pub struct Staged {
    /// Each temporary file and its destination, in the outputs' order.
    files: Vec<(tempfile::TempPath, PathBuf)>,
    /// The folders made for them, in the order made.
    new_folders: Vec<PathBuf>,
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.files.is_empty() || !self.new_folders.is_empty() {
            self.files.clear();
            remove_folders(&self.new_folders);
        }
    }
}

impl Staged {
    /// Renames these files, then `later`'s, into place, a lock among them
    /// last (it says which migrations exist: it changes last), and flushes
    /// their folders.
    pub fn commit(mut self, mut later: Staged) -> Result<(), String> {
        let mut staged = std::mem::take(&mut self.files);
        staged.append(&mut later.files);
        self.new_folders.clear();
        later.new_folders.clear();
        // Stable: the outputs' order but for the lock.
        // The snapshot just before it: a run killed between the two leaves
        // a snapshot the lock's digest refuses, a window of one rename.
        staged.sort_by_key(|(_, dest)| match dest.file_name().and_then(|n| n.to_str()) {
            Some("dddc.lock") => 2,
            Some("dddc.schema") => 1,
            _ => 0,
        });
        let mut dirs: std::collections::BTreeSet<PathBuf> = std::collections::BTreeSet::new();
        // Each file being replaced keeps a second name until the end, so
        // that a rename failing half-way (a lock made immutable, a document
        // path that became a folder) can put back every file renamed before
        // it: a build that failed there had written its migration and
        // snapshot but not its lock, and once the user removed the
        // migration the lock named, the next build found nothing to do.
        let kept: Vec<Before> = staged.iter().map(|(_, dest)| keep_aside(dest)).collect();
        let mut renamed: Vec<PathBuf> = Vec::with_capacity(staged.len());
        // A failure drops (removes) the temporary files not yet renamed,
        // puts back what the renamed ones replaced, and leaves the folders.
        for (tmp, dest) in staged {
            if let Err(e) = tmp.persist(&dest) {
                for (done, before) in renamed.iter().zip(&kept).rev() {
                    let _ = match before {
                        Before::Kept(k) => std::fs::rename(k, done),
                        Before::Absent => std::fs::remove_file(done),
                        Before::Unkept => Ok(()),
                    };
                }
                drop_kept(&kept);
                return Err(format!("cannot write {}: {e}", dest.display()));
            }
            if let Some(p) = dest.parent() {
                if !dirs.contains(p) {
                    dirs.insert(p.to_path_buf());
                }
            }
            renamed.push(dest);
        }
        drop_kept(&kept);
        // The renames themselves reach the disk.
        for d in dirs {
            if let Ok(f) = File::open(&d) {
                let _ = f.sync_all();
            }
        }
        Ok(())
    }
}

/// What was at a destination before its rename: how a failed commit
/// puts it back.
enum Before {
    /// Nothing: a file renamed there is removed.
    Absent,
    /// A file, kept under a second name (a hard link beside it, named like
    /// a temporary file so that a run killed before removing it has it
    /// removed by the next): renamed back.
    Kept(PathBuf),
    /// Something that could not be kept (no hard links on the filesystem,
    /// `fs.protected_hardlinks` on a file of another owner, a folder): left
    /// as the rename leaves it, as before there was a way back. (Refusing
    /// to go on there failed every build of a project whose files root had
    /// written, which a rename replaces.)
    Unkept,
}

fn keep_aside(dest: &Path) -> Before {
    match std::fs::symlink_metadata(dest) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Before::Absent,
        Err(_) => return Before::Unkept,
        Ok(m) if m.is_dir() => return Before::Unkept,
        Ok(_) => {}
    }
    let (Some(folder), Some(name)) = (dest.parent(), dest.file_name()) else { return Before::Unkept };
    let keep = folder.join(format!("{TMP_PREFIX}{}.kept-{}{TMP_SUFFIX}", name.to_string_lossy(), std::process::id()));
    let _ = std::fs::remove_file(&keep);
    match std::fs::hard_link(dest, &keep) {
        Ok(()) => Before::Kept(keep),
        Err(_) => Before::Unkept,
    }
}

fn drop_kept(kept: &[Before]) {
    for k in kept {
        if let Before::Kept(k) = k {
            let _ = std::fs::remove_file(k);
        }
    }
}

/// Stages every file of `outputs` or none ([`Staged`]): each is written to
/// a temporary file beside its destination and flushed, on
/// [`STAGING_THREADS`] threads, the largest first.
pub fn stage(dir: &Path, outputs: &[&Output]) -> Result<Staged, String> {
    let mut order: Vec<usize> = (0..outputs.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(outputs[i].bytes.len()), i));
    // Read once per process ([`remember_umask`]), before the threads.
    let new_mode = new_file_mode();
    // The folders this run makes, in the order made: removed again if it
    // fails.
    let mut new_folders = Vec::new();
    // Each folder made (or found) once, before any file: a model of 2,000
    // contexts writes 4,006 files into a handful of folders, and each file
    // asked for its folder again (a failed `mkdir` each).
    let mut folders: std::collections::HashSet<PathBuf> = std::collections::HashSet::new();
    for &i in &order {
        let dest = dir.join(&outputs[i].path);
        let parent = dest.parent().map_or_else(|| dir.to_path_buf(), Path::to_path_buf);
        if folders.insert(parent.clone()) {
            if let Err(e) = make_folders(&parent, &mut new_folders) {
                remove_folders(&new_folders);
                return Err(format!("cannot write {}: {e}", dest.display()));
            }
        }
    }
    // After a failure, the files not begun are not written (a full disk).
    let failed = std::sync::atomic::AtomicBool::new(false);
    let stage = |&i: &usize| {
        if failed.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(String::new());
        }
        let o = outputs[i];
        let dest = dir.join(&o.path);
        let parent = dest.parent().map_or_else(|| dir.to_path_buf(), Path::to_path_buf);
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let result = tempfile::Builder::new()
            .prefix(&format!("{TMP_PREFIX}{name}."))
            .suffix(TMP_SUFFIX)
            .tempfile_in(&parent)
            .and_then(|mut tmp| {
                crate::memo::write_in_parts(&mut tmp, &o.bytes)?;
                tmp.as_file().sync_all()?;
                set_mode(tmp.as_file(), &dest, new_mode)?;
                // Closed now, kept by its path (removed if the run fails):
                // a file open per output ran out of descriptors at a few
                // thousand files (a site of 20,000 aggregates; 1,024 is a
                // common limit).
                Ok(tmp.into_temp_path())
            });
        result.map(|tmp| (tmp, dest.clone())).map_err(|e| {
            failed.store(true, std::sync::atomic::Ordering::Relaxed);
            format!("cannot write {}: {e}", dest.display())
        })
    };
    // Every file staged, or none kept: a failure drops (removes) the rest,
    // and the error said is the first one met (not a file left unbegun).
    let results = crate::threads::map_waiting(&order, STAGING_THREADS, stage);
    if let Some(e) = results.iter().filter_map(|r| r.as_ref().err()).find(|e| !e.is_empty()).cloned() {
        // The temporary files removed, then the folders made for them
        // (the last made first; one that is not empty is left).
        drop(results);
        remove_folders(&new_folders);
        return Err(e);
    }
    let mut files: Vec<(usize, (tempfile::TempPath, PathBuf))> =
        order.iter().copied().zip(results.into_iter().flatten()).collect();
    files.sort_by_key(|(i, _)| *i);
    Ok(Staged { files: files.into_iter().map(|(_, f)| f).collect(), new_folders })
}

/// Whether the file at `path` holds exactly the bytes of `pieces`, one
/// after the other, read 256 KiB at a time: a check compares every
/// document with the disk, and a 10 MB document read whole (or put
/// together) to be compared once was part of its peak memory. `false`
/// when it cannot be read.
pub fn holds(path: &Path, pieces: &[&[u8]]) -> bool {
    holds_streamed(path, &mut Slices::new(pieces))
}

/// [`holds`] for what `reader` gives, `len` bytes said beforehand (a
/// file's size: pieces of another size are not read against it).
pub fn holds_in(reader: impl std::io::Read, len: u64, pieces: &[&[u8]]) -> bool {
    holds_streamed_in(reader, len, &mut Slices::new(pieces))
}

/// The bytes of a document, in pieces, in order, each asked for when the
/// one before has been compared: a piece may be made only then, and
/// dropped once compared (a check compares the data dictionary a
/// context's section at a time, and never holds them all).
pub trait Pieces {
    /// The next piece; `None` after the last.
    fn next_piece(&mut self) -> Option<std::borrow::Cow<'_, [u8]>>;
    /// The size of all the pieces, when it is known before they are made
    /// (a file of another size is then not read).
    fn size(&self) -> Option<u64> {
        None
    }
}

/// Pieces already made.
pub struct Slices<'a> {
    pieces: std::slice::Iter<'a, &'a [u8]>,
    size: u64,
}

impl<'a> Slices<'a> {
    pub fn new(pieces: &'a [&'a [u8]]) -> Slices<'a> {
        Slices { pieces: pieces.iter(), size: pieces.iter().map(|p| p.len() as u64).sum() }
    }
}

impl Pieces for Slices<'_> {
    fn next_piece(&mut self) -> Option<std::borrow::Cow<'_, [u8]>> {
        self.pieces.next().map(|p| std::borrow::Cow::Borrowed(*p))
    }
    fn size(&self) -> Option<u64> {
        Some(self.size)
    }
}

/// [`holds`], for pieces made as they are compared: it stops asking for
/// them at the first that differs.
pub fn holds_streamed(path: &Path, pieces: &mut dyn Pieces) -> bool {
    let Ok(file) = open_regular(path) else { return false };
    let Ok(len) = file.metadata().map(|m| m.len()) else { return false };
    holds_streamed_in(file, len, pieces)
}

/// [`holds_streamed`] for what `reader` gives, `len` bytes said
/// beforehand.
pub fn holds_streamed_in(mut reader: impl std::io::Read, len: u64, pieces: &mut dyn Pieces) -> bool {
    if pieces.size().is_some_and(|size| size != len) {
        return false;
    }
    let mut buffer = vec![0; (256 << 10).min(len.saturating_add(1)) as usize];
    // `buffer[at..filled]` is read and not yet compared.
    let (mut at, mut filled) = (0, 0);
    let mut total = 0u64;
    let mut read = |buffer: &mut [u8]| loop {
        match reader.read(buffer) {
            Ok(n) => return Some(n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        }
    };
    while let Some(piece) = pieces.next_piece() {
        total += piece.len() as u64;
        if total > len {
            return false;
        }
        let mut piece = &piece[..];
        while !piece.is_empty() {
            if at == filled {
                match read(&mut buffer) {
                    Some(0) | None => return false,
                    Some(n) => (at, filled) = (0, n),
                }
            }
            let n = (filled - at).min(piece.len());
            if buffer[at..at + n] != piece[..n] {
                return false;
            }
            at += n;
            piece = &piece[n..];
        }
    }
    // Every piece is the same: nothing must follow.
    at == filled && read(&mut buffer[..1]) == Some(0)
}

/// `create_dir_all`, adding each folder this call made (and no other: one
/// that existed) to `made`.
fn make_folders(folder: &Path, made: &mut Vec<PathBuf>) -> std::io::Result<()> {
    // The working folder (`fmt` writes paths relative to it).
    if folder.as_os_str().is_empty() {
        return Ok(());
    }
    match make_folder(folder, made) {
        // Its parent first; then once more, and only once (as
        // `create_dir_all`: a parent removed meanwhile is an error).
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            make_folders(folder.parent().ok_or(e)?, made)?;
            make_folder(folder, made)
        }
        other => other,
    }
}

/// One folder of [`make_folders`], whose parent is there.
fn make_folder(folder: &Path, made: &mut Vec<PathBuf>) -> std::io::Result<()> {
    match std::fs::create_dir(folder) {
        Ok(()) => {
            made.push(folder.to_path_buf());
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && folder.is_dir() => Ok(()),
        Err(e) => Err(e),
    }
}

/// The permissions of the file being replaced, or `new_mode` (the
/// umask's) for a new one (a temporary file is created private).
#[cfg(unix)]
fn set_mode(tmp: &File, dest: &Path, new_mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = match std::fs::metadata(dest) {
        Ok(m) => m.permissions().mode() & 0o7777,
        Err(_) => new_mode,
    };
    tmp.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &File, _: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}

/// A new file's mode under the process's umask, read once per process
/// ([`read_umask`]).
fn new_file_mode() -> u32 {
    *NEW_FILE_MODE.get_or_init(read_umask)
}

static NEW_FILE_MODE: std::sync::OnceLock<u32> = std::sync::OnceLock::new();

/// Reads the umask for [`stage`] now. The mask is read by setting it and
/// setting it back, and a file another thread creates meanwhile gets the
/// mask set for that moment: the CLI calls this first, before any thread
/// starts (a build stages its migrations while the documents' memo makes
/// its files).
pub fn remember_umask() {
    new_file_mode();
}

#[cfg(unix)]
fn read_umask() -> u32 {
    // SAFETY: umask(2) cannot fail; the mask is restored at once.
    let mask = unsafe {
        let old = libc::umask(0o022);
        libc::umask(old);
        old
    };
    0o666 & !(mask as u32)
}

#[cfg(not(unix))]
fn read_umask() -> u32 {
    0o666
}

/// Removes the temporary files a killed run left in `dir` and below.
pub fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        // dddc writes through no link: one to a folder is not followed
        // (two links to `.` made this walk exponential).
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            remove_stale_temporaries(&path);
        } else if name.starts_with(TMP_PREFIX) && name.ends_with(TMP_SUFFIX) {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// An exclusive advisory lock on a folder, held until dropped.
pub struct ProjectLock {
    _file: File,
}

/// Takes the project's lock (on its folder), waiting, with a message, while
/// another dddc holds it.
pub fn lock_project(project: &Path, quiet: bool) -> Result<ProjectLock, String> {
    let dir = if project.as_os_str().is_empty() { Path::new(".") } else { project };
    let file = File::open(dir).map_err(|e| format!("cannot open {}: {e}", dir.display()))?;
    if !try_lock(&file, false)? {
        if !quiet {
            eprintln!("waiting for another dddc run in this project to finish…");
        }
        try_lock(&file, true)?;
    }
    Ok(ProjectLock { _file: file })
}

#[cfg(unix)]
fn try_lock(file: &File, wait: bool) -> Result<bool, String> {
    use std::os::unix::io::AsRawFd;
    let flags = if wait { libc::LOCK_EX } else { libc::LOCK_EX | libc::LOCK_NB };
    // SAFETY: flock(2) on a descriptor this function's caller keeps open.
    let rc = unsafe { libc::flock(file.as_raw_fd(), flags) };
    if rc == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(format!("cannot lock the project: {err}"))
    }
}

#[cfg(not(unix))]
fn try_lock(_: &File, _: bool) -> Result<bool, String> {
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_holds_its_bytes_and_no_others() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        // Several pieces, differing in the last one.
        let big: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &big).unwrap();
        assert!(holds(&path, &[&big]));
        // In pieces of every kind: empty, small, across the reads.
        for cuts in [vec![0], vec![1, 2, 3], vec![262_143, 262_144, 262_145], vec![0, 0, 500_000, 699_999, 700_000]] {
            let mut pieces = Vec::new();
            let mut at = 0;
            for cut in cuts {
                pieces.push(&big[at..cut]);
                at = cut;
            }
            pieces.push(&big[at..]);
            assert!(holds(&path, &pieces), "{:?}", pieces.iter().map(|p| p.len()).collect::<Vec<_>>());
            let mut other = pieces.clone();
            other.swap(0, pieces.len() - 1);
            assert_eq!(holds(&path, &other), other.concat() == big);
        }
        let mut last = big.clone();
        *last.last_mut().unwrap() ^= 1;
        assert!(!holds(&path, &[&last]));
        let mut first = big.clone();
        first[0] ^= 1;
        assert!(!holds(&path, &[&first]));
        assert!(!holds(&path, &[&big[..big.len() - 1]]));
        assert!(!holds(&path, &[&big, b"x"]));
        assert!(!holds(&path, &[b"x", &big[1..]]));
        std::fs::write(&path, b"").unwrap();
        assert!(holds(&path, &[]));
        assert!(holds(&path, &[b"", b""]));
        assert!(!holds(&path, &[b"x"]));
        assert!(!holds(&dir.path().join("missing"), &[]));
        assert!(!holds(dir.path(), &[]), "a folder holds no bytes");
        // A reader that gives a byte at a time, interrupted in between.
        struct Trickle<'a>(&'a [u8], bool);
        impl std::io::Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.1 = !self.1;
                if self.1 {
                    return Err(std::io::ErrorKind::Interrupted.into());
                }
                let n = self.0.len().min(buf.len()).min(1);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let text = b"a text in pieces";
        assert!(holds_in(Trickle(text, false), 16, &[b"a te", b"", b"xt in pieces"]));
        assert!(!holds_in(Trickle(text, false), 16, &[b"a te", b"", b"xt in piecez"]));
        // A file that grew, or shrank, after its size was read.
        assert!(!holds_in(&text[..], 15, &[&text[..15]]));
        assert!(!holds_in(&text[..15], 16, &[text]));
    }

    /// Pieces made as they are asked for, of a size not known beforehand.
    struct Made<'a> {
        pieces: Vec<&'a [u8]>,
        asked: usize,
    }

    impl Pieces for Made<'_> {
        fn next_piece(&mut self) -> Option<std::borrow::Cow<'_, [u8]>> {
            let piece = self.pieces.get(self.asked)?;
            self.asked += 1;
            Some(std::borrow::Cow::Owned(piece.to_vec()))
        }
    }

    #[test]
    fn pieces_made_as_compared_stop_at_the_first_that_differs() {
        let made = |pieces: &[&'static [u8]]| Made { pieces: pieces.to_vec(), asked: 0 };
        let text = b"a text in pieces";
        let holds = |pieces: &mut Made<'_>| holds_streamed_in(&text[..], text.len() as u64, pieces);
        for cuts in [vec![&text[..]], vec![&b""[..], b"a", b" text in", b"", b" pieces"]] {
            let mut pieces = made(&cuts);
            assert!(holds(&mut pieces));
            assert_eq!(pieces.asked, cuts.len());
        }
        let mut differs = made(&[b"a te", b"XX", b"t in pieces", b"never asked"]);
        assert!(!holds(&mut differs));
        assert_eq!(differs.asked, 2, "nothing is asked after the piece that differs");
        // Longer than the file: stopped before it is read past its end.
        let mut longer = made(&[&text[..], b"!", b"never asked"]);
        assert!(!holds(&mut longer));
        assert_eq!(longer.asked, 2);
        assert!(!holds(&mut made(&[&text[..15]])), "shorter");
        assert!(!holds(&mut made(&[])));
        assert!(holds_streamed_in(&b""[..], 0, &mut made(&[b"", b""])));
        // A file that grew after its size was read.
        assert!(!holds_streamed_in(&text[..], 15, &mut made(&[&text[..15]])));
        // From a file.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let big: Vec<u8> = (0..600_000u32).map(|i| (i % 241) as u8).collect();
        std::fs::write(&path, &big).unwrap();
        let halves = [&big[..300_001], &big[300_001..]];
        assert!(holds_streamed(&path, &mut Made { pieces: halves.to_vec(), asked: 0 }));
        assert!(!holds_streamed(&path, &mut Made { pieces: vec![&big[..300_001]], asked: 0 }));
        assert!(!holds_streamed(&dir.path().join("missing"), &mut made(&[])));
    }

    fn files_under(dir: &Path) -> Vec<String> {
        let mut out = Vec::new();
        let mut dirs = vec![dir.to_path_buf()];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                if e.path().is_dir() {
                    dirs.push(e.path());
                } else {
                    out.push(e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned());
                }
            }
        }
        out.sort();
        out
    }

    /// Staged on several threads, written all or none: one file that cannot
    /// be written (its folder is a file) leaves no other file, and no
    /// temporary one, whichever thread staged what first.
    #[test]
    fn one_file_that_cannot_be_written_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("blocked"), "a file, not a folder").unwrap();
        let mut outputs: Vec<Output> = (0..40)
            .map(|i| Output { path: format!("docs/f{i}.md").into(), bytes: vec![b'x'; (i + 1) * 30_000] })
            .collect();
        outputs.push(Output { path: "db/dddc.lock".into(), bytes: b"{}".to_vec() });
        outputs.push(Output { path: "docs/erd/deeper/e.puml".into(), bytes: b"@startuml".to_vec() });
        std::fs::create_dir(dir.path().join("kept")).unwrap();
        outputs.push(Output { path: "kept/new/k.md".into(), bytes: b"k".to_vec() });
        // Through a folder that is not there yet, into one that is.
        outputs.push(Output { path: "gone/../kept/y.md".into(), bytes: b"y".to_vec() });
        outputs.push(Output { path: "blocked/V1__init.sql".into(), bytes: b"SELECT 1;".to_vec() });
        let all: Vec<&Output> = outputs.iter().collect();
        let err = write_atomically(dir.path(), &all).unwrap_err();
        assert!(err.contains("cannot write") && err.contains("blocked"), "{err}");
        assert_eq!(files_under(dir.path()), ["blocked"]);
        // Nor the folders made for it; the ones there before stay.
        let mut entries: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        entries.sort();
        assert_eq!(entries, ["blocked", "kept"]);
        assert_eq!(std::fs::read_dir(dir.path().join("kept")).unwrap().count(), 0);

        // Without it, every file is there with its bytes.
        outputs.pop();
        let all: Vec<&Output> = outputs.iter().collect();
        write_atomically(dir.path(), &all).unwrap();
        for o in &outputs {
            assert_eq!(std::fs::read(dir.path().join(&o.path)).unwrap(), o.bytes, "{}", o.path.display());
        }
        assert_eq!(files_under(dir.path()).len(), outputs.len() + 1);
    }

    /// Staged in two parts (a build stages its migrations while it makes
    /// the documents): when the second cannot be staged, dropping the first
    /// removes its files and the folders made for them; committed
    /// together, every file of both is in place.
    #[test]
    fn a_first_part_staged_goes_when_the_second_fails() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("blocked"), "a file, not a folder").unwrap();
        let first: Vec<Output> = vec![
            Output { path: "db/migration/V1__init.sql".into(), bytes: vec![b'v'; 300_000] },
            Output { path: "db/migration/dddc.lock".into(), bytes: b"{}".to_vec() },
        ];
        let second = [
            Output { path: "docs/erd/a.puml".into(), bytes: b"@startuml".to_vec() },
            Output { path: "blocked/x.md".into(), bytes: b"x".to_vec() },
        ];
        let staged = stage(dir.path(), &first.iter().collect::<Vec<_>>()).unwrap();
        assert_eq!(files_under(dir.path()).len(), 3, "the two temporary files and `blocked`");
        let err = stage(dir.path(), &second.iter().collect::<Vec<_>>()).map(|_| ()).unwrap_err();
        assert!(err.contains("blocked"), "{err}");
        drop(staged);
        assert_eq!(files_under(dir.path()), ["blocked"]);
        let entries: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        assert_eq!(entries, ["blocked"], "the folders made for the first part are removed");

        let staged = stage(dir.path(), &first.iter().collect::<Vec<_>>()).unwrap();
        let later = stage(dir.path(), &second[..1].iter().collect::<Vec<_>>()).unwrap();
        staged.commit(later).unwrap();
        for o in first.iter().chain(&second[..1]) {
            assert_eq!(std::fs::read(dir.path().join(&o.path)).unwrap(), o.bytes, "{}", o.path.display());
        }
        assert_eq!(files_under(dir.path()).len(), 4);
    }

    /// Two parts committed together rename the lock last, whichever part
    /// holds it; a rename that fails in the second part puts back what
    /// the renames before it replaced (a new migration removed, a changed
    /// snapshot's old bytes back), and the lock stays as it was: a build
    /// that failed there had left its migration and snapshot, the lock not
    /// naming them, and once the user removed the migration the next build
    /// found nothing to do.
    #[test]
    fn a_rename_that_fails_puts_back_what_was_renamed_before_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("db")).unwrap();
        std::fs::write(dir.path().join("db/dddc.schema"), "old schema").unwrap();
        std::fs::write(dir.path().join("db/dddc.lock"), "old lock").unwrap();
        let first = [
            Output { path: "db/dddc.lock".into(), bytes: b"{}".to_vec() },
            Output { path: "db/V2__x.sql".into(), bytes: b"SELECT 1;".to_vec() },
            Output { path: "db/dddc.schema".into(), bytes: b"new schema".to_vec() },
        ];
        let second = [Output { path: "docs/a.md".into(), bytes: b"# A".to_vec() }];
        let staged = stage(dir.path(), &first.iter().collect::<Vec<_>>()).unwrap();
        let later = stage(dir.path(), &second.iter().collect::<Vec<_>>()).unwrap();
        // The document's destination is now a folder that is not empty:
        // its rename fails.
        std::fs::create_dir_all(dir.path().join("docs/a.md/x")).unwrap();
        let err = staged.commit(later).unwrap_err();
        assert!(err.contains("docs/a.md"), "{err}");
        assert!(!dir.path().join("db/V2__x.sql").exists(), "the new migration stayed");
        assert_eq!(std::fs::read_to_string(dir.path().join("db/dddc.schema")).unwrap(), "old schema");
        assert_eq!(std::fs::read_to_string(dir.path().join("db/dddc.lock")).unwrap(), "old lock");
        assert!(files_under(dir.path()).iter().all(|f| !f.contains(TMP_SUFFIX)), "{:?}", files_under(dir.path()));

        // Without the folder in the way, every file is replaced, and no
        // second name is left.
        std::fs::remove_dir_all(dir.path().join("docs/a.md")).unwrap();
        let staged = stage(dir.path(), &first.iter().collect::<Vec<_>>()).unwrap();
        let later = stage(dir.path(), &second.iter().collect::<Vec<_>>()).unwrap();
        staged.commit(later).unwrap();
        for o in first.iter().chain(&second) {
            assert_eq!(std::fs::read(dir.path().join(&o.path)).unwrap(), o.bytes, "{}", o.path.display());
        }
        assert!(files_under(dir.path()).iter().all(|f| !f.contains(TMP_SUFFIX)), "{:?}", files_under(dir.path()));
    }

    /// A file that fails while the others are being staged (its name fits,
    /// its temporary file's does not), in a folder made for this run:
    /// nothing is left, neither the files staged meanwhile, nor their
    /// temporary files, nor the folders made.
    #[test]
    fn a_file_failing_while_staged_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("kept")).unwrap();
        let long = format!("{}.md", "n".repeat(240));
        let mut outputs: Vec<Output> = (0..60)
            .map(|i| Output { path: format!("made/f{i}.md").into(), bytes: vec![b'x'; (i + 1) * 20_000] })
            .collect();
        outputs.push(Output { path: "kept/new/deeper/k.md".into(), bytes: b"k".to_vec() });
        outputs.push(Output { path: format!("made/too/{long}").into(), bytes: b"long".to_vec() });
        outputs.push(Output { path: "db/dddc.lock".into(), bytes: b"{}".to_vec() });
        let all: Vec<&Output> = outputs.iter().collect();
        let err = write_atomically(dir.path(), &all).unwrap_err();
        assert!(err.contains("cannot write") && err.contains(&long), "{err}");
        assert!(files_under(dir.path()).is_empty(), "{:?}", files_under(dir.path()));
        let entries: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        assert_eq!(entries, ["kept"]);
        assert_eq!(std::fs::read_dir(dir.path().join("kept")).unwrap().count(), 0);
    }
}
