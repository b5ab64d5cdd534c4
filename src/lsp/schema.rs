//! Where a declaration of the model ends up in the relational schema.
//! Lowering records the declaration each table, column and constraint
//! comes from (`Origin`, the span of its name in the model); these
//! functions read that link back.

use crate::diagnostics::Span;
use crate::model::{self, FieldType, Model, ValueShape};
use crate::relational::{Check, Column, Schema, Table, TableKind};

/// The table of an aggregate root or an entity, by the span of its name.
pub fn entity_table(schema: &Schema, decl: Span) -> Option<&Table> {
    schema
        .tables
        .iter()
        .find(|t| t.origin.0 == decl && matches!(t.kind, TableKind::AggregateRoot | TableKind::Entity))
        .map(|t| &**t)
}

/// The element table of a list of value objects, by the field's span.
pub fn list_table(schema: &Schema, field: Span) -> Option<&Table> {
    schema.tables.iter().find(|t| t.origin.0 == field && t.kind == TableKind::ValueList).map(|t| &**t)
}

/// The columns a field of an entity becomes in its table: one, the parts
/// of a value object (prefixed), or a reference's key columns.
pub fn field_columns<'s>(model: &Model, table: &'s Table, field: &model::Field) -> Vec<&'s Column> {
    column_names(model, field, "").iter().filter_map(|n| table.column(n)).collect()
}

fn column_names(model: &Model, field: &model::Field, prefix: &str) -> Vec<String> {
    match &field.ty {
        FieldType::Ref(_) => field.ref_columns().into_iter().map(|(c, _)| format!("{prefix}{c}")).collect(),
        FieldType::ValueList(_) => Vec::new(),
        FieldType::Value(v) => match model.values.get(v.0).map(|v| &v.shape) {
            Some(ValueShape::Fields { fields, .. }) => {
                let inner = format!("{prefix}{}_", field.column);
                fields.iter().flat_map(|part| column_names(model, part, &inner)).collect()
            }
            _ => vec![format!("{prefix}{}", field.column)],
        },
        _ => vec![format!("{prefix}{}", field.column)],
    }
}

/// Every column made from a declaration (a value object's part is a
/// column of each table that embeds it), with its table.
pub fn columns_from(schema: &Schema, decl: Span) -> Vec<(&Table, &Column)> {
    schema
        .tables
        .iter()
        .flat_map(|t| t.columns.iter().filter(move |c| c.origin.0 == decl).map(move |c| (&**t, c)))
        .collect()
}

/// Every check made from a declaration (an invariant, or a field's enum,
/// password or value-object check), with its table.
pub fn checks_from(schema: &Schema, decl: Span) -> Vec<(&Table, &Check)> {
    schema
        .tables
        .iter()
        .flat_map(|t| t.checks.iter().filter(move |c| c.origin.0 == decl).map(move |c| (&**t, c)))
        .collect()
}

/// The entity a model reference designates.
pub fn entity<'m>(model: &'m Model, aggregate: model::AggregateId, path: &[usize]) -> Option<&'m model::Entity> {
    let mut e = &model.aggregates.get(aggregate.0)?.root;
    for i in path {
        e = e.entities.get(*i)?;
    }
    Some(e)
}
