//! Parsing with [`crate::memo`]: a file whose text an earlier run parsed
//! cleanly is read back from `.dddc/syntax/` instead of parsed again (pest
//! reads about 5 MB/s per core: the 2.9 MB of the 2,000-aggregate model
//! were about 250 ms of CPU of every build and check, though an edit
//! changes one file).
//!
//! The key is the file's text (and this dddc, as every memo key); the
//! entry is its syntax tree in postcard's encoding. A file whose parse said
//! anything (an error, a warning) is never remembered: it is parsed every
//! time, so its diagnostics are always fresh. A tree is read back under the
//! id its file has now ([`crate::diagnostics::read_as`]); one that does not
//! decode is a miss.

use super::{ast, parse, Parsed};
use crate::diagnostics::FileId;
use crate::memo::Memo;

/// The folder in `.dddc/`.
pub const FOLDER: &str = "syntax";

/// [`parse`], remembered in `memo`.
pub fn parse_remembered(file: FileId, text: &str, memo: &Memo) -> Parsed {
    let key = memo.hasher().update(text.as_bytes()).finish();
    if let Some(tree) = memo.get_bytes(&key).and_then(|bytes| read_back(file, &bytes)) {
        return Parsed { file: Some(tree), diagnostics: Vec::new() };
    }
    let parsed = parse(file, text);
    if let (Some(tree), true) = (&parsed.file, parsed.diagnostics.is_empty()) {
        if let Some(bytes) = remember(tree) {
            memo.put_bytes(key, &bytes);
        }
    }
    parsed
}

/// A tree as an entry holds it.
fn remember(tree: &ast::SourceFile) -> Option<Vec<u8>> {
    postcard::to_stdvec(tree).ok()
}

/// An entry's tree, every span in `file`; `None` when it does not decode
/// (or leaves bytes over).
fn read_back(file: FileId, bytes: &[u8]) -> Option<ast::SourceFile> {
    crate::diagnostics::read_as(file, || match postcard::take_from_bytes::<ast::SourceFile>(bytes) {
        Ok((tree, [])) => Some(tree),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every example and test model that parses cleanly: the tree read
    /// back, under another file id, is the tree parsed under that id.
    #[test]
    fn a_remembered_tree_is_the_tree_parsed() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        let mut stack = vec![root.join("examples"), root.join("tests/models")];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "ddd") {
                    files.push(p);
                }
            }
        }
        assert!(files.len() > 10, "{files:?}");
        let dir = tempfile::tempdir().unwrap();
        let mut remembered = 0;
        for path in &files {
            let text = std::fs::read_to_string(path).unwrap();
            let parsed = parse(FileId(3), &text);
            let expected = parse(FileId(7), &text);
            let Some(tree) = parsed.file.filter(|_| parsed.diagnostics.is_empty()) else { continue };
            let bytes = remember(&tree).expect("encodes");
            assert_eq!(read_back(FileId(7), &bytes), expected.file, "{}", path.display());
            assert_eq!(read_back(FileId(7), &bytes[..bytes.len() - 1]), None, "{}", path.display());
            remembered += 1;
            // Through the memo: put by one run, read by the next.
            let first = Memo::open(dir.path(), FOLDER).unwrap();
            assert_eq!(parse_remembered(FileId(3), &text, &first).file.as_ref(), Some(&tree));
            first.save();
            let second = Memo::open(dir.path(), FOLDER).unwrap();
            let key = second.hasher().update(text.as_bytes()).finish();
            assert_eq!(second.get_bytes(&key).as_deref(), Some(bytes.as_slice()), "{}", path.display());
            assert_eq!(parse_remembered(FileId(7), &text, &second).file, expected.file);
        }
        assert!(remembered > 10, "{remembered} of {} files remembered", files.len());
    }
}
