//! A snapshot seen through the protocol: spans become ranges and
//! locations, positions become byte offsets, files become URIs.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lsp_types::{Location, Position, Range, Uri};

use super::analysis::Snapshot;
use super::text::{path_to_uri, Encoding, LineIndex};
use crate::diagnostics::{FileId, Span};

pub struct View<'a> {
    pub snap: &'a Snapshot,
    pub enc: Encoding,
    /// The URIs the client opened files by: answers use its spelling.
    pub uris: &'a HashMap<PathBuf, Uri>,
    /// Each file's text (the snapshot's, or a newer one for the files a
    /// quick pass read), and where its lines start: found for a file when
    /// a position in it is first asked for (found for every file, they
    /// were a scan of the whole model per request, 8 ms of a hover at
    /// 20,000 aggregates).
    texts: Vec<&'a str>,
    lines: Vec<OnceCell<LineIndex>>,
}

impl<'a> View<'a> {
    pub fn new(snap: &'a Snapshot, enc: Encoding, uris: &'a HashMap<PathBuf, Uri>) -> View<'a> {
        View::with_texts(snap, enc, uris, &[])
    }

    /// The snapshot with newer texts for some of its files.
    pub fn with_texts(
        snap: &'a Snapshot,
        enc: Encoding,
        uris: &'a HashMap<PathBuf, Uri>,
        newer: &[(FileId, &'a str)],
    ) -> View<'a> {
        let texts: Vec<&'a str> = snap
            .sources
            .iter()
            .map(|(id, f)| newer.iter().find(|(n, _)| *n == id).map_or(f.text.as_str(), |(_, t)| *t))
            .collect();
        let lines = texts.iter().map(|_| OnceCell::new()).collect();
        View { snap, enc, uris, texts, lines }
    }

    pub fn text(&self, file: FileId) -> &'a str {
        self.texts.get(file.0 as usize).copied().unwrap_or("")
    }

    /// Where the lines of `file` start, once found.
    fn lines(&self, file: FileId) -> Option<&LineIndex> {
        let cell = self.lines.get(file.0 as usize)?;
        Some(cell.get_or_init(|| LineIndex::new(self.text(file))))
    }

    pub fn range(&self, span: Span) -> Range {
        let text = self.text(span.file);
        match self.lines(span.file) {
            Some(l) => l.range(text, span.start as usize, span.end as usize, self.enc),
            None => Range::default(),
        }
    }

    pub fn offset(&self, file: FileId, pos: Position) -> usize {
        self.lines(file).map_or(0, |l| l.offset(self.text(file), pos, self.enc))
    }

    pub fn uri(&self, file: FileId) -> Option<Uri> {
        uri_for(self.uris, &self.snap.sources.get(file).path)
    }

    pub fn location(&self, span: Span) -> Option<Location> {
        Some(Location { uri: self.uri(span.file)?, range: self.range(span) })
    }
}

/// The URI to name a file by: the client's, else one made from the path.
pub fn uri_for(uris: &HashMap<PathBuf, Uri>, path: &Path) -> Option<Uri> {
    uris.get(path).cloned().or_else(|| path_to_uri(path))
}
