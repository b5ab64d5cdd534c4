//! The events table of an aggregate (§9.3): identity, the root's key
//! without a foreign key (events outlive the aggregate), the event type,
//! payload, the outbox, monthly partitions.

use super::builder::{columns, TableBuilder};
use super::Lowerer;
use crate::model::{self, Aggregate, PartitionSpec, TableNaming};
use crate::relational::names::fit;
use crate::relational::*;
use crate::sql::fragments;

impl Lowerer<'_> {
    pub(super) fn events_table(&mut self, a: &Aggregate, ev: &model::Events, ctx: &str, root_table: &str) {
        let suffix = if self.model.tables == TableNaming::PluralEs { "eventos" } else { "events" };
        let name = ev.table_as.clone().unwrap_or_else(|| format!("{root_table}_{suffix}"));
        self.check_table_name(&name, ev.span);
        let mut b = TableBuilder::new(ctx, &name, TableKind::Events, ev.span);
        b.t.comment = Some(ev.doc.clone().unwrap_or_else(|| self.words.events_table(&a.name)));
        b.t.aggregate = Some(format!("{ctx}.{}", a.name));
        b.tenant = a.tenant.clone();
        b.column("id", ColumnType::BigInt, false, ev.span).identity = true;
        if let Some(t) = &a.tenant {
            b.column(t, ColumnType::Uuid, false, ev.span).source = Some(ColumnSource::Tenant);
        }
        let link_cols =
            self.link_columns_to(&mut b, &a.root, ColumnSource::Aggregate { name: a.name.clone() }, ev.span);
        let longest = ev.names.iter().map(|n| n.name.len()).max().unwrap_or(1);
        b.column("tipo_evento", ColumnType::Varchar(longest as u32), false, ev.span).source =
            Some(ColumnSource::EventType);
        b.column("occurred_at", ColumnType::Timestamptz, false, ev.span).default = Some("CURRENT_TIMESTAMP".into());
        b.column("payload", ColumnType::Jsonb, false, ev.span);
        b.column("metadata", ColumnType::Jsonb, false, ev.span).default = Some("'{}'::jsonb".into());
        if ev.outbox {
            b.column("published_at", ColumnType::Timestamptz, true, ev.span).source = Some(ColumnSource::OutboxRelay);
        }
        let values: Vec<String> = ev.names.iter().map(|n| n.name.clone()).collect();
        b.check(
            format!("ck_{name}_tipo_evento_valid"),
            fragments::in_list("tipo_evento", &values),
            CheckSource::EventTypes { aggregate: a.name.clone() },
            None,
            ev.span,
        );
        b.t.primary_key =
            Some(PrimaryKey { name: fit(&format!("{name}_pkey")), columns: vec!["id".into(), "occurred_at".into()] });
        b.plain_index(link_cols, IndexMethod::Btree, false, ev.span);
        b.plain_index(vec!["occurred_at".into()], IndexMethod::Brin, false, ev.span);
        if ev.outbox {
            let cols = b.with_tenant(vec!["occurred_at".into()]);
            b.push_index(Index {
                name: fit(&format!("idx_{name}_pending")),
                unique: false,
                method: IndexMethod::Btree,
                items: columns(&cols),
                predicate: Some(fragments::is_null("published_at")),
                comment: Some(self.words.outbox_pending.into()),
                origin: ev.span.into(),
            });
        }
        if let Some(t) = &a.tenant {
            b.tenant_policy(t);
        }
        let spec =
            model::Partition { column: "occurred_at".into(), spec: PartitionSpec::Range(ev.range), span: ev.span };
        b.t.partitioning = Some(self.partitioning(&name, &spec));
        self.push_table(b.t);
    }
}
