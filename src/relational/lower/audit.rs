//! The audit trail (§9.6): the audit-log table and the trigger every table
//! of an audited aggregate gets.

use super::builder::TableBuilder;
use super::{Lowerer, AUDIT_FN};
use crate::model::{self, Entity, Identity, PartitionSpec};
use crate::relational::names::fit;
use crate::relational::*;
use crate::sql::{fragments, literal};

impl Lowerer<'_> {
    pub(super) fn audit_table(&mut self, log: &model::AuditLog) {
        let ctx = self.model.contexts[log.context.0].name.clone();
        let name = log.table.clone();
        let mut b = TableBuilder::new(&ctx, &name, TableKind::AuditLog, log.span);
        b.t.comment = Some(self.words.audit_table.into());
        b.column("id", ColumnType::BigInt, false, log.span).identity = true;
        b.column("usuario_id", ColumnType::Uuid, true, log.span).comment = Some(self.words.audit_user.into());
        b.column("accion", ColumnType::Varchar(6), false, log.span);
        b.column("entidad", ColumnType::Varchar(127), false, log.span).comment = Some(self.words.audit_entity.into());
        b.column("entidad_id", ColumnType::Text, true, log.span).comment = Some(self.words.audit_entity_id.into());
        b.column("timestamp", ColumnType::Timestamptz, false, log.span).default = Some("CURRENT_TIMESTAMP".into());
        b.column("datos_antes", ColumnType::Jsonb, true, log.span);
        b.column("datos_despues", ColumnType::Jsonb, true, log.span);
        b.column("metadata", ColumnType::Jsonb, false, log.span).default = Some("'{}'::jsonb".into());
        let actions = ["INSERT", "UPDATE", "DELETE"].map(String::from);
        b.check(
            format!("ck_{name}_accion_valid"),
            fragments::in_list("accion", &actions),
            CheckSource::AuditActions,
            None,
            log.span,
        );
        b.t.primary_key =
            Some(PrimaryKey { name: fit(&format!("{name}_pkey")), columns: vec!["id".into(), "timestamp".into()] });
        b.plain_index(vec!["entidad".into(), "entidad_id".into()], IndexMethod::Btree, false, log.span);
        b.plain_index(vec!["usuario_id".into()], IndexMethod::Btree, false, log.span);
        b.plain_index(vec!["timestamp".into()], IndexMethod::Brin, false, log.span);
        let spec =
            model::Partition { column: "timestamp".into(), spec: PartitionSpec::Range(log.range), span: log.span };
        b.t.partitioning = Some(self.partitioning(&name, &spec));
        self.push_table(b.t);
    }

    /// `AFTER INSERT OR UPDATE OR DELETE` on a table of an audited aggregate.
    pub(super) fn audit_trigger(&mut self, b: &mut TableBuilder, e: &Entity, ctx: &str) {
        let key = match &e.identity {
            Identity::Natural(cols) => cols.clone(),
            _ => vec!["id".into()],
        };
        self.audit_trigger_keyed(b, key, ctx);
    }

    /// The same on a table whose rows `key` names (a list's elements: the
    /// owner's key and the position).
    pub(super) fn audit_trigger_keyed(&mut self, b: &mut TableBuilder, key: Vec<String>, ctx: &str) {
        let Some(log) = &self.model.audit_log else { return };
        let schema = self.model.contexts[log.context.0].name.clone();
        // The table's own name first: in a partitioned table the trigger
        // fires on the partition.
        let name = b.t.name.clone();
        let args = std::iter::once(literal(&format!("{ctx}.{name}"))).chain(key.iter().map(|k| literal(k))).collect();
        b.t.triggers.push(Trigger {
            name: fit(&format!("{name}_audit")),
            timing: TriggerTiming::After,
            events: vec![TriggerEvent::Insert, TriggerEvent::Update, TriggerEvent::Delete],
            function: FunctionCall { schema, name: AUDIT_FN.into(), args },
        });
    }
}
