//! Reading a project's files: only regular ones. A FIFO, a device
//! (`/dev/zero`) or a socket where dddc reads a lock, a snapshot, a model
//! or a migration would block forever or never end; it is an error
//! instead. (A black-box round hung `check` and `build` for good on each.)

use std::fs::File;
use std::path::Path;

/// Opens `path` for reading if it is a regular file (a link to one
/// included). A FIFO, a device (`/dev/zero`) or a socket where dddc reads
/// a project's file would block forever or never end: it is an error
/// instead. Opened without blocking, so that a FIFO with no writer does
/// not hold the open itself.
pub fn open_regular(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"));
    }
    Ok(file)
}

/// The bytes of the regular file at `path` ([`open_regular`]).
pub fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut file = open_regular(path)?;
    let mut bytes = Vec::with_capacity(file.metadata().map_or(0, |m| m.len() as usize));
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The text of the regular file at `path` ([`open_regular`]).
pub fn read_regular_to_string(path: &Path) -> std::io::Result<String> {
    String::from_utf8(read_regular(path)?)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "stream did not contain valid UTF-8"))
}

/// Prefix and suffix of the temporary files a command writes beside its
/// outputs ([`crate::output`]).
pub const TMP_PREFIX: &str = ".dddc-";
pub const TMP_SUFFIX: &str = ".tmp";

/// The files a killed commit kept aside under a second name for `name` in
/// `folder` (what it replaced, which a failed rename would have put
/// back: [`crate::output`]), in the order of their names.
pub fn kept_copies(folder: &Path, name: &str) -> Vec<std::path::PathBuf> {
    let prefix = format!("{TMP_PREFIX}{name}.kept-");
    let mut found: Vec<std::path::PathBuf> = std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let n = e.file_name();
            let n = n.to_string_lossy();
            n.starts_with(&prefix) && n.ends_with(TMP_SUFFIX) && e.file_type().is_ok_and(|t| t.is_file())
        })
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}
