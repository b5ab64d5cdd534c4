//! Roles and publications (§13).

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
        for p in &self.model.publications {
            let mut tables: Vec<TableRef> = Vec::new();
            for item in &p.items {
                let wanted: Vec<TableRef> = match item {
                    model::PublicationItem::Context(c) => {
                        let name = &self.model.contexts[c.0].name;
                        self.schema.tables.iter().filter(|t| &t.schema == name).map(TableRef::of).collect()
                    }
                    model::PublicationItem::Aggregate(a) => {
                        let agg = &self.model.aggregates[a.0];
                        let key = format!("{}.{}", self.model.contexts[agg.context.0].name, agg.name);
                        self.schema
                            .tables
                            .iter()
                            .filter(|t| t.aggregate.as_deref() == Some(key.as_str()))
                            .map(TableRef::of)
                            .collect()
                    }
                };
                tables.extend(wanted);
            }
            tables.sort();
            tables.dedup();
            self.schema.publications.push(PublicationDef { name: p.name.clone(), tables });
        }
    }
}
