//! Reading a model: the root file and every file it `include`s, each parsed
//! once. An include is resolved relative to the including file and may not
//! leave the root file's folder: such a path is an error and is never read.

use std::path::{Component, Path, PathBuf};

use crate::diagnostics::codes::id;
use crate::diagnostics::{Diagnostic, FileId, Sources, Span};
use crate::syntax::{self, ast};

/// Every file of a model, parsed.
pub struct Loaded {
    pub sources: Sources,
    /// Parsed files in the order they were read (root first). Files whose
    /// structure could not be read at all are missing here; their syntax
    /// error is in `diagnostics`.
    pub files: Vec<(FileId, ast::SourceFile)>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The root file itself could not be read: a usage or I/O error (exit 2).
#[derive(Debug)]
pub struct RootError(pub String);

/// Where [`load_with`] gets a file's text and its parse. [`load`] reads the
/// disk and parses every file; the language server reads the editor's
/// unsaved buffers instead, and reuses the parse of a file that did not
/// change.
pub trait Files {
    /// The text of a file, by the normalised absolute path the loader
    /// resolved (for the root, the path it was given).
    fn read(&self, path: &Path) -> std::io::Result<String>;

    /// The parse of a file's text.
    fn parse(&self, file: FileId, text: &str) -> syntax::Parsed {
        syntax::parse(file, text)
    }

    /// Files a file includes, about to be read one by one, with the id each
    /// gets if those before it include nothing: they may be read and parsed
    /// ahead, in parallel. A parse made under another id than the file gets,
    /// or of another text than it has then, must not be used.
    fn prefetch(&self, _files: &[(PathBuf, FileId)]) {}
}

/// The files on disk, each parsed; the files a file includes are parsed
/// ahead on every core (a large model is a file per context).
/// With a memo ([`syntax::memo`]), a file parsed cleanly by an earlier run
/// is read back from it.
#[derive(Default)]
struct Disk<'a> {
    ahead: std::sync::Mutex<std::collections::HashMap<FileId, (String, syntax::Parsed)>>,
    memo: Option<&'a crate::memo::Memo>,
}

impl Disk<'_> {
    fn parse_now(&self, file: FileId, text: &str) -> syntax::Parsed {
        match self.memo {
            Some(memo) => syntax::memo::parse_remembered(file, text, memo),
            None => syntax::parse(file, text),
        }
    }
}

impl Files for Disk<'_> {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        read_text(path)
    }

    fn parse(&self, file: FileId, text: &str) -> syntax::Parsed {
        let ahead = self.ahead.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&file);
        match ahead {
            Some((t, parsed)) if t == text => parsed,
            _ => self.parse_now(file, text),
        }
    }

    fn prefetch(&self, files: &[(PathBuf, FileId)]) {
        let workers = std::thread::available_parallelism().map_or(1, usize::from).min(files.len());
        if workers < 2 {
            return;
        }
        let next = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            // Those that cannot be started are done without: what is not
            // parsed ahead is parsed when it is read.
            for _ in 0..workers {
                crate::threads::try_spawn_scoped(s, || loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((path, id)) = files.get(i) else { break };
                    if let Ok(text) = read_text(path) {
                        let parsed = self.parse_now(*id, &text);
                        self.ahead
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .insert(*id, (text, parsed));
                    }
                });
            }
        });
    }
}

pub fn load(root: &Path, display_root: &Path) -> Result<Loaded, RootError> {
    load_with(root, display_root, &Disk::default())
}

/// [`load`], each file parsed cleanly by an earlier run read back from
/// `memo` ([`syntax::memo`]).
pub fn load_remembering(root: &Path, display_root: &Path, memo: &crate::memo::Memo) -> Result<Loaded, RootError> {
    load_with(root, display_root, &Disk { memo: Some(memo), ..Disk::default() })
}

/// [`load`], with the files' texts and parses from `files`.
pub fn load_with(root: &Path, display_root: &Path, files: &dyn Files) -> Result<Loaded, RootError> {
    let text =
        files.read(root).map_err(|e| RootError(format!("cannot read model `{}`: {e}", display_root.display())))?;
    let root_dir = root.parent().map(Path::to_path_buf).unwrap_or_default();
    let display_dir = display_root.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut loader = Loader {
        root_dir: normalize(&absolute(&root_dir)),
        real_root: std::cell::OnceCell::new(),
        display_dir,
        sources: Sources::default(),
        files: Vec::new(),
        diagnostics: Vec::new(),
        io: files,
    };
    let id = loader.sources.add(display_name(display_root), normalize(&absolute(root)), text);
    loader.visit(id, &mut vec![id]);
    loader.check_model_blocks(id);
    Ok(Loaded { sources: loader.sources, files: loader.files, diagnostics: loader.diagnostics })
}

struct Loader<'a> {
    root_dir: PathBuf,
    /// `root_dir` with its links resolved, found at the first include
    /// (a model of 2,000 files resolved it again for each).
    real_root: std::cell::OnceCell<PathBuf>,
    display_dir: PathBuf,
    sources: Sources,
    files: Vec<(FileId, ast::SourceFile)>,
    diagnostics: Vec<Diagnostic>,
    io: &'a dyn Files,
}

impl Loader<'_> {
    fn visit(&mut self, file: FileId, stack: &mut Vec<FileId>) {
        let parsed = self.io.parse(file, &self.sources.get(file).text);
        self.diagnostics.extend(parsed.diagnostics);
        let Some(ast) = parsed.file else { return };
        let includes: Vec<ast::Include> = ast
            .items
            .iter()
            .filter_map(|i| match i {
                ast::TopItem::Include(inc) => Some(inc.clone()),
                _ => None,
            })
            .collect();
        self.files.push((file, ast));
        self.prefetch(file, &includes);
        for inc in includes {
            self.include(file, &inc, stack);
        }
    }

    /// Hands the includes of `from` that [`Loader::include`] will read, with
    /// the ids they will get (if none of them includes another file), to
    /// [`Files::prefetch`].
    fn prefetch(&self, from: FileId, includes: &[ast::Include]) {
        if includes.len() < 2 {
            return;
        }
        let mut next = self.sources.len() as u32;
        let mut ahead: Vec<(PathBuf, FileId)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for inc in includes {
            // Only what `include` would read: inside the folder (through
            // links too), not read yet, a regular file.
            let Ok(target) = self.target(from, inc) else { continue };
            let inside = self.outside_through_link(&target, inc).is_none() && target.is_file();
            if inside && self.sources.find_path(&target).is_none() && seen.insert(target.clone()) {
                ahead.push((target, FileId(next)));
                next += 1;
            }
        }
        self.io.prefetch(&ahead);
    }

    /// The file an include names (relative to the including file), or
    /// E0002 when the path leaves the model's folder.
    fn target(&self, from: FileId, inc: &ast::Include) -> Result<PathBuf, Box<Diagnostic>> {
        let base = self.sources.get(from).path.parent().unwrap_or(Path::new(""));
        let rel = Path::new(&inc.path);
        let target = normalize(&base.join(rel));
        if rel.is_absolute() || !target.starts_with(&self.root_dir) {
            return Err(Box::new(
                Diagnostic::error(id::E0002, format!("`{}` is outside the model's folder", inc.path))
                    .at(inc.path_span, "this path leaves the folder of the root model file")
                    .with_help("keep every included file inside the model's folder and use a relative path"),
            ));
        }
        Ok(target)
    }

    /// E0002 when `target`, inside the folder by its path, leads outside it
    /// through a symbolic link.
    fn outside_through_link(&self, target: &Path, inc: &ast::Include) -> Option<Diagnostic> {
        let real = target.canonicalize().ok()?;
        let real_root =
            self.real_root.get_or_init(|| self.root_dir.canonicalize().unwrap_or_else(|_| self.root_dir.clone()));
        (!real.starts_with(real_root)).then(|| {
            Diagnostic::error(id::E0002, format!("`{}` leads outside the model's folder", inc.path))
                .at(inc.path_span, "this path resolves (through a link) outside the model's folder")
                .with_help("copy the file into the model's folder")
        })
    }

    fn include(&mut self, from: FileId, inc: &ast::Include, stack: &mut Vec<FileId>) {
        let target = match self.target(from, inc) {
            Ok(t) => t,
            Err(d) => {
                self.diagnostics.push(*d);
                return;
            }
        };
        if let Some(existing) = self.sources.find_path(&target) {
            if let Some(pos) = stack.iter().position(|f| *f == existing) {
                let mut chain: Vec<String> = stack[pos..].iter().map(|f| self.sources.get(*f).name.clone()).collect();
                chain.push(self.sources.get(existing).name.clone());
                self.diagnostics.push(
                    Diagnostic::error(id::E0003, format!("include cycle: {}", chain.join(" → ")))
                        .at(inc.span, "this include closes the cycle")
                        .with_help(
                            "remove one of the includes; a file is read once, so each file needs including only once",
                        ),
                );
            }
            return;
        }
        // A symlink may still point outside: check where it really leads.
        if let Some(d) = self.outside_through_link(&target, inc) {
            self.diagnostics.push(d);
            return;
        }
        let text = match self.io.read(&target) {
            Ok(t) => t,
            Err(e) => {
                self.diagnostics.push(
                    Diagnostic::error(id::E0004, format!("cannot read `{}`: {e}", inc.path))
                        .at(inc.path_span, "included here")
                        .with_help("the path is relative to the file that includes it"),
                );
                return;
            }
        };
        let rel_to_root = target.strip_prefix(&self.root_dir).unwrap_or(&target);
        let name = display_name(&self.display_dir.join(rel_to_root));
        let id = self.sources.add(name, target, text);
        stack.push(id);
        self.visit(id, stack);
        stack.pop();
    }

    fn check_model_blocks(&mut self, root: FileId) {
        let mut root_models = Vec::new();
        for (file, ast) in &self.files {
            for item in &ast.items {
                if let ast::TopItem::Model(m) = item {
                    if *file == root {
                        root_models.push(m.name.span);
                    } else {
                        self.diagnostics.push(
                            Diagnostic::error(id::E0005, "a `model` block in an included file")
                                .at(m.name.span, "only the root file may hold the `model` block")
                                .with_help("move this block into the root file, or include this file from nowhere and use it as the root"),
                        );
                    }
                }
            }
        }
        let root_parsed = self.files.iter().any(|(f, _)| *f == root)
            && !self
                .diagnostics
                .iter()
                .any(|d| d.is_error() && d.primary.as_ref().is_some_and(|p| p.span.file == root));
        match root_models.as_slice() {
            [] if root_parsed => {
                let end = self.sources.get(root).text.len().min(1);
                self.diagnostics.push(
                    Diagnostic::error(id::E0005, "the root file has no `model` block")
                        .at(Span::new(root, 0, end), "expected `model NAME { … }` in this file")
                        .with_help("add `model my_model { target postgres 16 }` to the root file"),
                );
            }
            [_first, rest @ ..] => {
                for span in rest {
                    self.diagnostics.push(
                        Diagnostic::error(id::E0005, "more than one `model` block")
                            .at(*span, "second `model` block")
                            .with_secondary(root_models[0], "first defined here")
                            .with_help("a model has exactly one `model` block; merge them"),
                    );
                }
            }
            _ => {}
        }
    }
}

fn read_text(path: &Path) -> std::io::Result<String> {
    decode(crate::files::read_regular(path)?)
}

/// A model file's text: UTF-8, without the byte-order mark it may start
/// with. Editors take the mark out of the text they show (and of the
/// positions they send and apply): kept in, every column of the first line
/// was one too far — in `dddc validate`'s messages, and in a rename's
/// edits to a file not open, which landed one character to the right.
pub fn decode(mut bytes: Vec<u8>) -> std::io::Result<String> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "the file is not valid UTF-8"))
}

pub fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().map(|d| d.join(p)).unwrap_or_else(|_| p.to_path_buf())
    }
}

/// Lexical normalisation: `a/./b/../c` → `a/c`, without touching the disk.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn display_name(p: &Path) -> String {
    normalize(p).to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The disk, read and parsed one file at a time.
    struct OneByOne;

    impl Files for OneByOne {
        fn read(&self, path: &Path) -> std::io::Result<String> {
            read_text(path)
        }
    }

    fn same_as_one_by_one(root: &Path) {
        let ahead = load(root, Path::new("m.ddd")).expect("root");
        let plain = load_with(root, Path::new("m.ddd"), &OneByOne).expect("root");
        assert_eq!(format!("{:?}", ahead.files), format!("{:?}", plain.files));
        assert_eq!(format!("{:?}", ahead.diagnostics), format!("{:?}", plain.diagnostics));
        let names = |l: &Loaded| l.sources.iter().map(|(_, s)| s.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&ahead), names(&plain));
    }

    #[test]
    fn files_parsed_ahead_are_those_read_one_by_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        };
        // `a` includes two more files, so the ids guessed for `b` and `c`
        // are wrong and their parses ahead must not be used; `b` is
        // included twice; `bad` is not UTF-8; `d` is a folder; `c` has a
        // syntax error (its spans carry the file's id).
        write(
            "m.ddd",
            "model m { target postgres 16 }\ninclude \"a.ddd\"\ninclude \"b.ddd\"\ninclude \"bad.ddd\"\ninclude \"b.ddd\"\ninclude \"d\"\ninclude \"c.ddd\"\n",
        );
        write("a.ddd", "include \"a1.ddd\"\ninclude \"a2.ddd\"\ncontext a { }\n");
        write("a1.ddd", "context a1 { }\n");
        write("a2.ddd", "context a2 { }\n");
        write("b.ddd", "/// B.\ncontext b { aggregate X { name: text(10) } }\n");
        write("c.ddd", "context c { aggregate { }\n");
        std::fs::write(dir.path().join("bad.ddd"), b"context \xff { }").expect("write");
        std::fs::create_dir_all(dir.path().join("d")).expect("mkdir");
        same_as_one_by_one(&dir.path().join("m.ddd"));
        // Every guess right: the root includes only files that include
        // nothing.
        write("m.ddd", "model m { target postgres 16 }\ninclude \"a1.ddd\"\ninclude \"a2.ddd\"\ninclude \"b.ddd\"\ninclude \"c.ddd\"\n");
        same_as_one_by_one(&dir.path().join("m.ddd"));
    }
}
