//! The parse tree the builder reads: pest's pairs, or the hand-written
//! parser's ([`super::fast`]), as one flat list in preorder.
//!
//! Both parsers give the same tree; keeping it flat and owned by one `Vec`
//! means the hand-written parser's tree needs no conversion, a pair is two
//! slices (no reference count), and a walk over every pair is a walk over
//! a slice.

use super::Rule;

/// One pair: its rule, its bytes, and how many pairs below it follow it in
/// the list (its subtree).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Node {
    pub rule: Rule,
    pub start: usize,
    pub end: usize,
    pub desc: usize,
}

/// A pair: the node first, then its subtree.
#[derive(Clone, Copy)]
pub(super) struct Pair<'t> {
    text: &'t str,
    nodes: &'t [Node],
}

impl<'t> Pair<'t> {
    /// The first pair of a tree (`nodes` holds the root and its subtree).
    pub fn root(text: &'t str, nodes: &'t [Node]) -> Option<Self> {
        let n = nodes.first()?;
        Some(Pair { text, nodes: &nodes[..1 + n.desc] })
    }

    pub fn as_rule(&self) -> Rule {
        self.nodes[0].rule
    }

    pub fn start(&self) -> usize {
        self.nodes[0].start
    }

    pub fn end(&self) -> usize {
        self.nodes[0].end
    }

    pub fn as_str(&self) -> &'t str {
        &self.text[self.start()..self.end()]
    }

    /// The pairs right below this one.
    pub fn into_inner(self) -> Pairs<'t> {
        Pairs { text: self.text, rest: &self.nodes[1..] }
    }

    /// Every pair below this one, in preorder.
    pub fn descendants(self) -> impl Iterator<Item = &'t Node> {
        self.nodes[1..].iter()
    }
}

/// The pairs right below one pair, in order.
#[derive(Clone)]
pub(super) struct Pairs<'t> {
    text: &'t str,
    rest: &'t [Node],
}

impl<'t> Iterator for Pairs<'t> {
    type Item = Pair<'t>;

    fn next(&mut self) -> Option<Pair<'t>> {
        let n = self.rest.first()?;
        let (this, rest) = self.rest.split_at(1 + n.desc);
        self.rest = rest;
        Some(Pair { text: self.text, nodes: this })
    }
}

/// pest's pairs as a flat list.
pub(super) fn from_pest(pairs: pest::iterators::Pairs<'_, Rule>) -> Vec<Node> {
    fn push(pair: pest::iterators::Pair<'_, Rule>, out: &mut Vec<Node>) {
        let index = out.len();
        let (start, end) = (pair.as_span().start(), pair.as_span().end());
        out.push(Node { rule: pair.as_rule(), start, end, desc: 0 });
        for inner in pair.into_inner() {
            push(inner, out);
        }
        out[index].desc = out.len() - index - 1;
    }
    let mut out = Vec::new();
    for pair in pairs {
        push(pair, &mut out);
    }
    out
}
