//! The `model` block, roles and publications.

use crate::syntax::tree::Pair;

use super::Builder;
use crate::syntax::ast::*;
use crate::syntax::errors::Place;
use crate::syntax::Rule;

impl Builder<'_> {
    pub(super) fn model(&mut self, pair: Pair<'_>) -> Model {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        let mut name = None;
        let mut items = Vec::new();
        let mut annotations = Vec::new();
        for p in pair.into_inner() {
            let item_span = self.span(&p);
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::annotation => annotations.push(self.annotation(p)),
                Rule::target => {
                    let mut database = None;
                    let mut version = (0, item_span);
                    for q in p.into_inner() {
                        match q.as_rule() {
                            Rule::ident => database = Some(self.ident(q)),
                            Rule::int => version = (q.as_str().parse().unwrap_or(u32::MAX), self.span(&q)),
                            _ => {}
                        }
                    }
                    if let Some(database) = database {
                        items.push(ModelItem::Target {
                            database,
                            version: version.0,
                            version_span: version.1,
                            span: item_span,
                        });
                    }
                }
                Rule::tables_rule => {
                    if let Some(rule) = p.into_inner().find(|q| q.as_rule() == Rule::ident) {
                        items.push(ModelItem::Tables { rule: self.ident(rule), span: item_span });
                    }
                }
                Rule::extensions => {
                    let names =
                        p.into_inner().filter(|q| q.as_rule() == Rule::ext_name).map(|q| self.ident(q)).collect();
                    items.push(ModelItem::Extensions { names, span: item_span });
                }
                Rule::defaults => {
                    let mut settings = Vec::new();
                    for q in p.into_inner() {
                        match q.as_rule() {
                            Rule::setting => {
                                let s_span = self.span(&q);
                                let mut negated = false;
                                for r in q.into_inner() {
                                    match r.as_rule() {
                                        Rule::kw_no => negated = true,
                                        Rule::ident => {
                                            settings.push(Setting { negated, name: self.ident(r), span: s_span })
                                        }
                                        _ => {}
                                    }
                                }
                            }
                            Rule::block_junk => self.junk(Place::Defaults, &q),
                            _ => {}
                        }
                    }
                    items.push(ModelItem::Defaults { settings, span: item_span });
                }
                Rule::audit_log => {
                    let mut table = None;
                    let mut range = None;
                    for q in p.into_inner() {
                        match q.as_rule() {
                            Rule::path => table = Some(self.path(q)),
                            Rule::month_range => range = self.month_range(q),
                            _ => {}
                        }
                    }
                    if let Some(table) = table {
                        items.push(ModelItem::AuditLog { table, range, span: item_span });
                    }
                }
                Rule::role => items.push(ModelItem::Role(self.role(p))),
                Rule::publication => items.push(ModelItem::Publication(self.publication(p))),
                Rule::context => items.push(ModelItem::Context(self.context(p))),
                Rule::enum_decl => items.push(ModelItem::Enum(self.enum_decl(p))),
                Rule::value_decl => items.push(ModelItem::Value(self.value_decl(p))),
                Rule::block_junk => self.junk(Place::Model, &p),
                _ => {}
            }
        }
        Model { doc, name: name.unwrap_or_else(|| self.missing(span)), annotations, items, span }
    }

    pub(super) fn month_range(&mut self, pair: Pair<'_>) -> Option<MonthRange> {
        let span = self.span(&pair);
        let months: Vec<Month> =
            pair.into_inner().filter(|q| q.as_rule() == Rule::month).map(|q| self.month(q)).collect();
        match months[..] {
            [from, to] => Some(MonthRange { from, to, span }),
            _ => None,
        }
    }

    pub(super) fn month(&self, pair: Pair<'_>) -> Month {
        let s = pair.as_str();
        let year = s.get(0..4).and_then(|y| y.parse().ok()).unwrap_or(0);
        let month = s.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(0);
        Month { year, month, span: self.span(&pair) }
    }

    pub(super) fn role(&mut self, pair: Pair<'_>) -> Role {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        let mut name = None;
        let mut grants = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::grant => {
                    let g_span = self.span(&p);
                    let mut write = false;
                    let mut contexts = Vec::new();
                    for q in p.into_inner() {
                        match q.as_rule() {
                            Rule::kw_write => write = true,
                            Rule::ident => contexts.push(self.ident(q)),
                            _ => {}
                        }
                    }
                    grants.push(Grant { write, contexts, span: g_span });
                }
                Rule::block_junk => self.junk(Place::Role, &p),
                _ => {}
            }
        }
        Role { doc, name: name.unwrap_or_else(|| self.missing(span)), grants, span }
    }

    pub(super) fn publication(&mut self, pair: Pair<'_>) -> Publication {
        let doc = self.doc(&pair);
        let span = self.span(&pair);
        let mut name = None;
        let mut items = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::path => items.push(self.path(p)),
                _ => {}
            }
        }
        Publication { doc, name: name.unwrap_or_else(|| self.missing(span)), items, span }
    }

    // --------------------------------------------------------- expressions --
}
