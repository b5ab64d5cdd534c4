//! Aggregates, entities and what they contain.

use crate::syntax::tree::Pair;

use super::{parse_size, Builder};
use crate::syntax::ast::*;
use crate::syntax::errors::Place;
use crate::syntax::Rule;

impl Builder<'_> {
    pub(super) fn aggregate(&mut self, pair: Pair<'_>) -> Aggregate {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        let mut name = None;
        let mut table_as = None;
        let mut annotations = Vec::new();
        let mut items = items_for(&pair);
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::table_as => table_as = self.table_as(p),
                Rule::annotation => annotations.push(self.annotation(p)),
                _ => self.aggregate_item(p, &mut items),
            }
        }
        Aggregate { doc, name: name.unwrap_or_else(|| self.missing(span)), table_as, annotations, items, span }
    }

    pub(super) fn table_as(&mut self, pair: Pair<'_>) -> Option<Ident> {
        pair.into_inner().find(|q| q.as_rule() == Rule::ident).map(|q| self.ident(q))
    }

    pub(super) fn entity(&mut self, pair: Pair<'_>) -> Entity {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        let mut name = None;
        let mut table_as = None;
        let mut one = None;
        let mut annotations = Vec::new();
        let mut items = items_for(&pair);
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::table_as => table_as = self.table_as(p),
                Rule::one => one = Some(self.span(&p)),
                Rule::annotation => annotations.push(self.annotation(p)),
                _ => self.aggregate_item(p, &mut items),
            }
        }
        Entity { doc, name: name.unwrap_or_else(|| self.missing(span)), table_as, one, annotations, items, span }
    }

    pub(super) fn aggregate_item(&mut self, p: Pair<'_>, items: &mut Vec<AggregateItem>) {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::field => items.extend(self.field(p).map(AggregateItem::Field)),
            Rule::flag => {
                let mut negated = false;
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::kw_no => negated = true,
                        Rule::kw_flag => {
                            let name = self.ident(q);
                            // The grammar's `kw_flag` only admits the four keywords.
                            if let Some(kind) = FlagKind::from_keyword(&name.name) {
                                items.push(AggregateItem::Flag(Flag { negated, kind, name, span }));
                            }
                        }
                        _ => {}
                    }
                }
            }
            Rule::expected_rows => {
                if let Some(size) = p.into_inner().find(|q| q.as_rule() == Rule::size) {
                    let text = size.as_str().to_string();
                    items.push(AggregateItem::ExpectedRows { rows: parse_size(&text), text, span });
                }
            }
            Rule::key => {
                let columns = p.into_inner().filter(|q| q.as_rule() == Rule::ident).map(|q| self.ident(q)).collect();
                items.push(AggregateItem::Key { columns, span });
            }
            Rule::invariant => items.extend(self.invariant(p).map(AggregateItem::Invariant)),
            Rule::index | Rule::unique => items.push(AggregateItem::Index(self.index(p))),
            Rule::entity => items.push(AggregateItem::Entity(self.entity(p))),
            Rule::events => items.push(AggregateItem::Events(self.events(p))),
            Rule::partition => items.extend(self.partition(p).map(AggregateItem::Partition)),
            Rule::search => {
                let mut config = None;
                let mut search_items = Vec::new();
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::ident => config = Some(self.ident(q)),
                        Rule::search_item => {
                            let mut path = None;
                            let mut weight = None;
                            for r in q.into_inner() {
                                match r.as_rule() {
                                    Rule::path => path = Some(self.path(r)),
                                    Rule::weight => weight = r.as_str().chars().next().map(|c| (c, self.span(&r))),
                                    _ => {}
                                }
                            }
                            if let Some(path) = path {
                                search_items.push(SearchItem { path, weight });
                            }
                        }
                        _ => {}
                    }
                }
                if let Some(config) = config {
                    items.push(AggregateItem::Search(Search { config, items: search_items, span }));
                }
            }
            Rule::block_junk => self.junk(Place::Aggregate, &p),
            _ => {}
        }
    }

    pub(super) fn invariant(&mut self, pair: Pair<'_>) -> Option<Invariant> {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        let mut name = None;
        let mut annotations = Vec::new();
        let mut expr = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::annotation => annotations.push(self.annotation(p)),
                Rule::expr => expr = Some(self.expr(p)),
                _ => {}
            }
        }
        Some(Invariant { doc, name: name?, annotations, expr: expr?, span })
    }

    pub(super) fn index(&mut self, pair: Pair<'_>) -> IndexDecl {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        let mut idx = IndexDecl {
            doc,
            unique: pair.as_rule() == Rule::unique,
            method: None,
            items: Vec::new(),
            where_clause: None,
            including_deleted: None,
            annotations: Vec::new(),
            span,
        };
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::using => idx.method = p.into_inner().find(|q| q.as_rule() == Rule::ident).map(|q| self.ident(q)),
                Rule::index_items => idx.items = p.into_inner().map(|q| self.expr(q)).collect(),
                Rule::where_clause => {
                    idx.where_clause = p.into_inner().find(|q| q.as_rule() == Rule::expr).map(|q| self.expr(q))
                }
                Rule::including_deleted => idx.including_deleted = Some(self.span(&p)),
                Rule::annotation => idx.annotations.push(self.annotation(p)),
                _ => {}
            }
        }
        let anns = idx.annotations.clone();
        self.check_annotations(&anns);
        idx
    }

    pub(super) fn events(&mut self, pair: Pair<'_>) -> Events {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        let mut ev =
            Events { doc, outbox: None, table_as: None, range: None, annotations: Vec::new(), names: Vec::new(), span };
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::outbox => ev.outbox = Some(self.span(&p)),
                Rule::table_as => ev.table_as = self.table_as(p),
                Rule::month_range => ev.range = self.month_range(p),
                Rule::annotation => ev.annotations.push(self.annotation(p)),
                Rule::event_name => {
                    let doc = self.doc(&p);
                    if let Some(name) = p.into_inner().next() {
                        ev.names.push(EventName { doc, name: self.ident(name) });
                    }
                }
                Rule::block_junk => self.junk(Place::Events, &p),
                _ => {}
            }
        }
        ev
    }

    pub(super) fn partition(&mut self, pair: Pair<'_>) -> Option<Partition> {
        let span = self.span(&pair);
        let inner = pair
            .into_inner()
            .find(|p| matches!(p.as_rule(), Rule::range_partition | Rule::list_partition | Rule::hash_partition))?;
        let rule = inner.as_rule();
        let mut column = None;
        let mut range = None;
        let mut parts = Vec::new();
        let mut modulus = (0, span);
        for p in inner.into_inner() {
            match p.as_rule() {
                Rule::ident => column = Some(self.ident(p)),
                Rule::month_range => range = self.month_range(p),
                Rule::int => modulus = (p.as_str().parse().unwrap_or(u32::MAX), self.span(&p)),
                Rule::list_part => {
                    let p_span = self.span(&p);
                    let mut name = None;
                    let mut values = Vec::new();
                    for q in p.into_inner() {
                        if q.as_rule() == Rule::ident && name.is_none() {
                            name = Some(self.ident(q));
                        } else {
                            values.push(self.atom(q));
                        }
                    }
                    if let Some(name) = name {
                        parts.push(ListPart { name, values, span: p_span });
                    }
                }
                _ => {}
            }
        }
        let kind = match rule {
            Rule::range_partition => PartitionKind::Range { range },
            Rule::list_partition => PartitionKind::List { parts },
            _ => PartitionKind::Hash { modulus: modulus.0, modulus_span: modulus.1 },
        };
        Some(Partition { kind, column: column?, span })
    }
}

/// The list of an aggregate's or entity's items, sized at once for the
/// pairs below it (its name and annotations too, a few more than it
/// needs): an item is 336 bytes, and the 17 of an aggregate of the
/// 2,000-aggregate model, grown by doubling, were copied about one and a
/// half times each, into 32 places.
fn items_for(pair: &Pair<'_>) -> Vec<AggregateItem> {
    Vec::with_capacity(pair.into_inner().count())
}
