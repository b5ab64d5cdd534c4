//! Layout tree + comments → text. Comments are placed by source position
//! (see the rules in the module doc of `fmt`), then blank lines are decided.

use super::layout::{Group, Kind, Node};
use crate::syntax::ast::{Comment, Doc};

pub(super) fn render(text: &str, nodes: &[Node<'_>], comments: &[Comment]) -> String {
    let mut docs = Vec::new();
    collect_docs(nodes, &mut docs);
    // `///` comments attached to a declaration are printed from its `doc`.
    // Docs do not overlap: the one that may hold a comment is the last to
    // start at or before it (a search of every doc per comment made a
    // formatted file of thousands of documented declarations quadratic).
    docs.sort_by_key(|d| d.span.start);
    let in_doc = |c: &Comment| {
        let before = docs.partition_point(|d| d.span.start <= c.span.start);
        before > 0 && c.span.end <= docs[before - 1].span.end
    };
    let free: Vec<&Comment> = comments.iter().filter(|c| !(c.is_doc && in_doc(c))).collect();
    debug_assert!(free.windows(2).all(|w| w[0].span.start <= w[1].span.start), "comments in source order");
    let mut r = Renderer { text, free, all: comments, lines: Vec::new() };
    r.block(nodes, 0, text.len(), 0, true);
    separate_stray_docs(&mut r.lines);
    to_text(&r.lines)
}

fn collect_docs<'a>(nodes: &[Node<'a>], out: &mut Vec<&'a Doc>) {
    for n in nodes {
        out.extend(n.doc);
        if let Kind::Block { children, .. } = &n.kind {
            collect_docs(children, out);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineKind {
    /// An item or a block header; `documentable` if a `///` right above it
    /// or at its end would document it.
    Code {
        documentable: bool,
    },
    /// A block's `}`.
    Close,
    /// A `///` line of a declaration's doc.
    Doc,
    /// A `//` comment on its own line; `stray` for a `///` that documents
    /// nothing.
    Comment {
        stray: bool,
    },
    Blank,
}

struct Line {
    indent: usize,
    text: String,
    kind: LineKind,
    trailing: Option<String>,
}

struct Renderer<'t, 'c> {
    text: &'t str,
    /// Comments not attached as docs, in source order.
    free: Vec<&'c Comment>,
    /// Every comment, in source order.
    all: &'c [Comment],
    lines: Vec<Line>,
}

enum Event<'n, 'a, 'c> {
    Node(&'n Node<'a>),
    Comment(&'c Comment),
}

impl<'c> Renderer<'_, 'c> {
    /// The free comments starting in `from..to`.
    fn comments_in(&self, from: usize, to: usize) -> Vec<&'c Comment> {
        // `free` is in source order: the range is found by two searches.
        let first = self.free.partition_point(|c| (c.span.start as usize) < from);
        let end = self.free.partition_point(|c| (c.span.start as usize) < to).max(first);
        self.free[first..end].to_vec()
    }

    /// Prints the items of one block (or of the file, `top`) whose body spans
    /// `from..to` in the source.
    fn block(&mut self, nodes: &[Node<'_>], from: usize, to: usize, indent: usize, top: bool) {
        let ends: Vec<usize> = nodes.iter().map(|n| self.token_end(n)).collect();
        // Nodes come in source order, one after another: the node a
        // position may be in is found by a search (a scan of every node
        // per comment grew with nodes × comments in a large block).
        let in_order = nodes.windows(2).zip(&ends).all(|(w, &end)| w[0].start <= w[1].start && end <= w[1].start);
        let inside_node = |pos: usize| {
            if in_order {
                let i = nodes.partition_point(|n| n.start <= pos);
                i > 0 && pos < ends[i - 1]
            } else {
                nodes.iter().zip(&ends).any(|(n, &end)| (n.start..end).contains(&pos))
            }
        };
        let mut events: Vec<(usize, Event<'_, '_, 'c>)> = nodes.iter().map(|n| (n.start, Event::Node(n))).collect();
        for c in self.comments_in(from, to) {
            if !inside_node(c.span.start as usize) {
                events.push((c.span.start as usize, Event::Comment(c)));
            }
        }
        events.sort_by_key(|(pos, _)| *pos);

        let first_line = self.lines.len();
        // The previous item and the line index right after it.
        let mut prev: Option<(Group, usize)> = None;
        for (_, event) in events {
            match event {
                Event::Comment(c) if !c.own_line && (!top || self.lines.len() > first_line) => {
                    if !self.trail(c) {
                        self.push(indent, comment_text(c), comment_kind(c));
                    }
                }
                Event::Comment(c) => {
                    if self.lines.len() > first_line && self.blank_before(c.span.start as usize) {
                        self.push_blank();
                    }
                    self.push(indent, comment_text(c), comment_kind(c));
                }
                Event::Node(n) => {
                    let start = match n.doc {
                        Some(d) => n.start.min(d.span.start as usize),
                        None => n.start,
                    };
                    if self.lines.len() > first_line && self.blank_before(start) {
                        self.push_blank();
                    }
                    if let Some((group, after)) = prev {
                        let forced = if top {
                            !(group == Group::Include && n.group == Group::Include)
                        } else {
                            group == Group::Spaced || n.group == Group::Spaced
                        };
                        let has_blank = self.lines[after..].iter().any(|l| l.kind == LineKind::Blank);
                        if forced && !has_blank {
                            self.lines.insert(after, blank());
                        }
                    }
                    self.node(n, indent);
                    prev = Some((n.group, self.lines.len()));
                }
            }
        }
    }

    /// Puts a comment at the end of the last line, if that line can take it.
    fn trail(&mut self, c: &Comment) -> bool {
        let Some(last) = self.lines.last_mut() else {
            return false;
        };
        // A `///` that documents nothing must not land on a declaration's line,
        // where it would start documenting it.
        let fits = match last.kind {
            LineKind::Close => true,
            LineKind::Code { documentable } => !(c.is_doc && documentable),
            _ => false,
        };
        if !fits || last.trailing.is_some() {
            return false;
        }
        last.trailing = Some(comment_text(c));
        true
    }

    fn node(&mut self, n: &Node<'_>, indent: usize) {
        // Comments inside a one-line item, or inside a block's header, move
        // above it (above its doc too, so they don't split the doc from it).
        let hoist_end = match &n.kind {
            Kind::Line(_) => self.token_end(n),
            Kind::Block { open, .. } => *open,
        };
        for c in self.comments_in(n.start, hoist_end) {
            self.push(indent, comment_text(c), comment_kind(c));
        }
        // A string that spans lines would push a trailing doc off the
        // declaration's first line, where it documents nothing: move it up.
        let one_line = match &n.kind {
            Kind::Line(text) => !text.contains('\n'),
            Kind::Block { header, .. } => !header.contains('\n'),
        };
        let mut trailing_doc = None;
        if let Some(doc) = n.doc {
            let mut doc_lines: Vec<&str> = doc.text.split('\n').collect();
            if doc.span.end as usize > n.start && one_line {
                trailing_doc = doc_lines.pop().map(doc_text);
            }
            for l in doc_lines {
                self.push(indent, doc_text(l), LineKind::Doc);
            }
        }
        let code = LineKind::Code { documentable: n.documentable };
        match &n.kind {
            Kind::Line(text) => {
                self.push(indent, text.clone(), code);
                if let Some(last) = self.lines.last_mut() {
                    last.trailing = trailing_doc;
                }
            }
            Kind::Block { header, open, close, children } => {
                self.push(indent, format!("{header} {{"), code);
                let header_line = self.lines.len() - 1;
                self.lines[header_line].trailing = trailing_doc;
                self.block(children, *open + 1, *close, indent + 1, false);
                if self.lines.len() == header_line + 1 {
                    self.lines[header_line].text.push('}');
                } else {
                    self.push(indent, "}".into(), LineKind::Close);
                }
            }
        }
    }

    fn push(&mut self, indent: usize, text: String, kind: LineKind) {
        self.lines.push(Line { indent, text, kind, trailing: None });
    }

    fn push_blank(&mut self) {
        self.lines.push(blank());
    }

    /// Where a node's last token ends. A rule that ends in an optional part
    /// (`field_modifier*`, …) has a span that runs over the blanks and comments
    /// after it, which belong to what follows.
    fn token_end(&self, n: &Node<'_>) -> usize {
        let bytes = self.text.as_bytes();
        let mut end = n.end.min(bytes.len());
        loop {
            loop {
                if end > n.start && matches!(bytes[end - 1], b' ' | b'\t' | b'\r' | b'\n') {
                    end -= 1;
                } else if end >= n.start + 3 && self.text.get(..end).is_some_and(|t| t.ends_with('\u{feff}')) {
                    end -= 3;
                } else {
                    break;
                }
            }
            let i = self.all.partition_point(|c| (c.span.end as usize) < end);
            match self.all.get(i) {
                Some(c) if c.span.end as usize == end && c.span.start as usize >= n.start => {
                    end = c.span.start as usize;
                }
                _ => return end,
            }
        }
    }

    /// Whether the source has an empty line right before `pos`.
    fn blank_before(&self, pos: usize) -> bool {
        let before = &self.text.as_bytes()[..pos.min(self.text.len())];
        let gap = before.iter().rev().take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
        gap.filter(|&&b| b == b'\n').count() >= 2
    }
}

fn blank() -> Line {
    Line { indent: 0, text: String::new(), kind: LineKind::Blank, trailing: None }
}

fn comment_kind(c: &Comment) -> LineKind {
    LineKind::Comment { stray: c.is_doc }
}

fn comment_text(c: &Comment) -> String {
    if c.is_doc {
        doc_text(&c.text)
    } else if c.text.is_empty() {
        "//".into()
    } else {
        format!("// {}", c.text)
    }
}

fn doc_text(text: &str) -> String {
    if text.is_empty() {
        "///".into()
    } else {
        format!("/// {text}")
    }
}

/// A `///` that documents nothing stays so: a blank line keeps it from the
/// declaration or doc comment below it.
fn separate_stray_docs(lines: &mut Vec<Line>) {
    let mut i = 0;
    while i + 1 < lines.len() {
        let stray = lines[i].kind == LineKind::Comment { stray: true };
        let next_safe = matches!(
            lines[i + 1].kind,
            LineKind::Blank
                | LineKind::Close
                | LineKind::Comment { stray: false }
                | LineKind::Code { documentable: false }
        );
        if stray && !next_safe {
            lines.insert(i + 1, blank());
        }
        i += 1;
    }
}

fn to_text(lines: &[Line]) -> String {
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        if l.kind == LineKind::Blank {
            // Never two blank lines, nor one at the start or before a `}`.
            let prev_blank = i == 0 || lines[i - 1].kind == LineKind::Blank;
            let next_close = lines.get(i + 1).is_none_or(|n| n.kind == LineKind::Close);
            if !prev_blank && !next_close {
                out.push('\n');
            }
            continue;
        }
        for _ in 0..l.indent {
            out.push_str("  ");
        }
        out.push_str(&l.text);
        if let Some(t) = &l.trailing {
            out.push(' ');
            out.push_str(t);
        }
        out.push('\n');
    }
    out
}
