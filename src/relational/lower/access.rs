//! Roles and publications (§13).

use std::collections::HashMap;

use super::Lowerer;
use crate::model;
use crate::relational::*;

impl Lowerer<'_> {
    pub(super) fn roles(&mut self) {
        for r in &self.model.roles {
            let names = |ids: &[model::ContextId]| ids.iter().map(|c| self.model.contexts[c.0].name.clone()).collect();
            self.schema.roles.push(RoleDef {
                name: r.name.clone(),
                read: names(&r.read),
                write: names(&r.write),
                comment: r.doc.clone(),
            });
        }
    }

    /// A publication's tables: a context's, or an aggregate's (entity and
    /// list tables included), sorted.
    pub(super) fn publications(&mut self) {
        if self.model.publications.is_empty() {
            return;
        }
        // Each context's and each aggregate's tables, in schema order, found
        // once: a scan of every table per item was quadratic in a
        // publication of thousands of aggregates.
        let mut by_context: HashMap<&str, Vec<TableRef>> = HashMap::new();
        let mut by_aggregate: HashMap<&str, Vec<TableRef>> = HashMap::new();
        for t in &self.schema.tables {
            by_context.entry(&t.schema).or_default().push(TableRef::of(t));
            if let Some(a) = &t.aggregate {
                by_aggregate.entry(a).or_default().push(TableRef::of(t));
            }
        }
        let mut defs = Vec::with_capacity(self.model.publications.len());
        for p in &self.model.publications {
            let mut tables: Vec<TableRef> = Vec::new();
            for item in &p.items {
                let wanted = match item {
                    model::PublicationItem::Context(c) => by_context.get(self.model.contexts[c.0].name.as_str()),
                    model::PublicationItem::Aggregate(a) => {
                        let agg = &self.model.aggregates[a.0];
                        let key = format!("{}.{}", self.model.contexts[agg.context.0].name, agg.name);
                        by_aggregate.get(key.as_str())
                    }
                };
                tables.extend(wanted.into_iter().flatten().cloned());
            }
            tables.sort();
            tables.dedup();
            defs.push(PublicationDef { name: p.name.clone(), tables });
        }
        self.schema.publications.extend(defs);
    }
}
