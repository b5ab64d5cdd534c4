//! Hover: what a name is, its doc comment, and the SQL it becomes — a
//! field's column(s) with type, nullability and default; an aggregate's or
//! entity's table with its constraints and indexes; an invariant's CHECK.

use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind};

use super::index::{Kind, ModelRef, Owner, Role, SymbolId};
use super::schema;
use super::view::View;
use crate::diagnostics::{FileId, Span};
use crate::model::{self, Model, ValueShape};
use crate::relational::{CheckSource, ColumnSource, Schema, Table, TableRef};
use crate::sql::objects::{
    add_check, add_foreign_key, column_definition, create_enum_type, create_index, create_table, foreign_key_clause,
};
use crate::sql::stmt::Stmt;

pub fn hover(view: &View<'_>, file: FileId, offset: usize) -> Option<Hover> {
    let index = &view.snap.index;
    let occ = index.at(file, offset)?;
    let value = match occ.role {
        Role::LinkColumn => link_column(view, occ.symbol, view.text(file).get(occ.span.range()).unwrap_or("")),
        _ => describe(view, occ.symbol),
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value }),
        range: Some(view.range(occ.span)),
    })
}

/// The hover text of a symbol: its declaration, doc comment and SQL.
pub fn describe(view: &View<'_>, id: SymbolId) -> String {
    let index = &view.snap.index;
    let sym = index.get(id);
    let mut out = format!("```ddd\n{} {}\n```\n", sym.kind.word(), declaration(view, id));
    if let Some(doc) = &sym.doc {
        out.push_str(&format!("\n{doc}\n"));
    }
    let (Some(model), Some(m)) = (view.snap.model.as_ref(), sym.model.as_ref()) else { return out };
    let sql = match view.snap.schema.as_ref() {
        Some(s) => sql_of(model, s, m, sym.decl),
        None if sql_kind(sym.kind) => Some("-- the SQL shows once the model's errors are fixed".to_string()),
        None => None,
    };
    if let Some(ddd) = model_facts(model, m) {
        out.push_str(&format!("\n{ddd}\n"));
    }
    if let Some(sql) = sql.filter(|s| !s.is_empty()) {
        out.push_str(&format!("\n```sql\n{sql}\n```\n"));
    }
    out
}

fn sql_kind(kind: Kind) -> bool {
    matches!(kind, Kind::Field | Kind::Aggregate | Kind::Entity | Kind::Invariant | Kind::Enum | Kind::Context)
}

/// The declaration's line as written (`estado: EstadoReserva = PENDIENTE`),
/// with its place (`reservas.Reserva.estado`) for names that are not
/// unique in the model.
fn declaration(view: &View<'_>, id: SymbolId) -> String {
    let index = &view.snap.index;
    let sym = index.get(id);
    let text = view.text(sym.extent.file);
    let written = text.get(sym.extent.range()).unwrap_or("");
    let first_line = header(written.lines().next().unwrap_or(""));
    let path = index.path(id);
    match sym.kind {
        // `estado: EstadoReserva = PENDIENTE` reads best with its owner.
        Kind::Field => {
            let owner = path.rsplit_once('.').map_or("", |(o, _)| o);
            format!("{owner}.{first_line}").trim_start_matches('.').to_string()
        }
        Kind::Invariant | Kind::EnumValue | Kind::Role | Kind::Publication | Kind::Model => path,
        _ => {
            // `aggregate Pago as pagos @allow(…)`: the header without the
            // keyword, qualified.
            let rest = first_line.split_once(char::is_whitespace).map_or("", |(_, r)| r).trim();
            let tail = rest.strip_prefix(sym.name.as_str()).unwrap_or("");
            format!("{path}{tail}")
        }
    }
}

/// A declaration's first line up to its body's `{` (outside quotes): a
/// one-line `enum Estado { ABIERTO CERRADO }` is `enum Estado`.
fn header(line: &str) -> &str {
    let mut quote = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '{') => return line[..i].trim(),
            _ => {}
        }
    }
    line.trim()
}

/// What the model says that the source line does not show.
fn model_facts(model: &Model, m: &ModelRef) -> Option<String> {
    match m {
        ModelRef::Enum(e) => {
            let e = model.enums.get(e.0)?;
            let values: Vec<String> = e.values.iter().map(|v| format!("`{}`", v.name)).collect();
            Some(format!("{} enum, values: {}", if e.native { "Native" } else { "CHECK-based" }, values.join(", ")))
        }
        ModelRef::EnumValue(e, _) => model.enums.get(e.0).map(|e| format!("A value of enum `{}`.", e.name)),
        ModelRef::Value(v) => match &model.values.get(v.0)?.shape {
            ValueShape::Single { ty, .. } => Some(format!("A single-column value object of type `{}`.", ty.ddd())),
            ValueShape::Fields { fields, .. } => {
                let parts: Vec<String> = fields.iter().map(|f| format!("`{}`", f.name)).collect();
                Some(format!("Embedded as prefixed columns: {}.", parts.join(", ")))
            }
        },
        _ => None,
    }
}

fn sql_of(model: &Model, schema: &Schema, m: &ModelRef, decl: Span) -> Option<String> {
    match m {
        ModelRef::Context(_) => {
            let s = schema.schemas.iter().find(|s| s.origin.0 == decl)?;
            Some(crate::sql::objects::create_schema(&s.name).sql)
        }
        ModelRef::Entity(..) => {
            let t = schema::entity_table(schema, decl)?;
            Some(table_sql(t))
        }
        ModelRef::Field(Owner::Entity(a, path), i) => {
            let e = schema::entity(model, *a, path)?;
            let f = e.fields.get(*i)?;
            if let Some(list) = schema::list_table(schema, f.span) {
                return Some(table_sql(list));
            }
            let t = schema::entity_table(schema, e.span)?;
            Some(field_sql(model, t, f))
        }
        ModelRef::Field(Owner::Value(_), _) => {
            let lines: Vec<String> = schema::columns_from(schema, decl)
                .iter()
                .map(|(t, c)| format!("-- {}\n{}", t.qualified(), column_definition(c)))
                .collect();
            Some(if lines.is_empty() { "-- not embedded in any table yet".into() } else { lines.join("\n") })
        }
        ModelRef::Invariant(..) => {
            let lines: Vec<String> = schema::checks_from(schema, decl)
                .iter()
                .map(|(t, c)| plain(add_check(&TableRef::of(t), c, false)))
                .collect();
            Some(lines.join("\n"))
        }
        ModelRef::Enum(e) => {
            let en = model.enums.get(e.0)?;
            if en.native {
                let t = schema.enum_types.iter().find(|t| t.origin.0 == decl)?;
                Some(create_enum_type(t).plain().join("\n"))
            } else {
                let values: Vec<String> = en.values.iter().map(|v| crate::sql::literal(&v.name)).collect();
                Some(format!(
                    "-- each column of this enum:\nVARCHAR({}) CHECK (column IN ({}))",
                    en.longest_value(),
                    values.join(", ")
                ))
            }
        }
        ModelRef::EnumValue(e, i) => {
            let en = model.enums.get(e.0)?;
            let v = en.values.get(*i)?;
            Some(crate::sql::literal(&v.name))
        }
        ModelRef::Value(v) => {
            let vo = model.values.get(v.0)?;
            let ValueShape::Single { .. } = &vo.shape else { return None };
            single_value_sql(schema, &vo.name)
        }
    }
}

/// A single-column value object as its first use shows it: the column
/// and its check.
fn single_value_sql(schema: &Schema, value: &str) -> Option<String> {
    let is_it =
        |s: &Option<ColumnSource>| matches!(s, Some(ColumnSource::ValueObject { value: v, field: None }) if v == value);
    let (t, c) = schema.tables.iter().find_map(|t| t.columns.iter().find(|c| is_it(&c.source)).map(|c| (t, c)))?;
    let mut lines = vec![format!("-- each use is a column like {}.{}", t.qualified(), c.name), column_definition(c)];
    for check in &t.checks {
        if matches!(&check.source, CheckSource::SingleValue { value: v, .. } if v == value)
            && check.expr.contains(&c.name)
        {
            lines.push(format!("CONSTRAINT {} CHECK {}", check.name, check.expr));
            break;
        }
    }
    Some(lines.join("\n"))
}

/// A statement as written before the guard that makes it idempotent.
fn plain(s: Stmt) -> String {
    if s.plain().is_empty() {
        s.sql
    } else {
        s.plain().join("\n")
    }
}

/// A field's column(s), with the checks and foreign key it brings.
fn field_sql(model: &Model, t: &Table, f: &model::Field) -> String {
    let mut lines = vec![format!("-- {}", t.qualified())];
    lines.extend(schema::field_columns(model, t, f).iter().map(|c| column_definition(c)));
    for c in t.checks.iter().filter(|c| c.origin.0 == f.span) {
        lines.push(format!("CONSTRAINT {} CHECK {}", c.name, c.expr));
    }
    for u in t.uniques.iter().filter(|u| u.origin.0 == f.span) {
        lines.push(format!("CONSTRAINT {} UNIQUE ({})", u.name, u.columns.join(", ")));
    }
    for fk in t.foreign_keys.iter().filter(|k| k.origin.0 == f.span) {
        lines.push(foreign_key_clause(fk));
    }
    let r = TableRef::of(t);
    for i in t.indexes.iter().filter(|i| i.origin.0 == f.span) {
        lines.push(create_index(&r, i, false).sql);
    }
    lines.join("\n")
}

/// A table: `CREATE TABLE` with its constraints, then its foreign keys and
/// indexes.
fn table_sql(t: &Table) -> String {
    let mut out = create_table(t).sql;
    let r = TableRef::of(t);
    for fk in &t.foreign_keys {
        out.push('\n');
        out.push_str(&plain(add_foreign_key(&r, fk, false)));
    }
    for i in &t.indexes {
        out.push('\n');
        out.push_str(&create_index(&r, i, false).sql);
    }
    if t.row_level_security {
        out.push_str(&format!("\n-- row-level security: {}", policy_names(t)));
    }
    out
}

fn policy_names(t: &Table) -> String {
    t.policies.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
}

/// `reserva_id` in an entity: the column linking it to its parent.
fn link_column(view: &View<'_>, parent: SymbolId, column: &str) -> String {
    let index = &view.snap.index;
    let mut out = format!(
        "```ddd\ncolumn {column}\n```\n\nThe link to the parent `{}`: every row belongs to one of its rows and is deleted with it.\n",
        index.path(parent)
    );
    let sym = index.get(parent);
    if let Some(schema) = view.snap.schema.as_ref() {
        let child_tables = schema.tables.iter().filter(|t| {
            t.kind == crate::relational::TableKind::Entity
                && t.column(column).is_some()
                && Some(t.origin.0) != Some(sym.decl)
        });
        let lines: Vec<String> = child_tables
            .filter_map(|t| t.column(column).map(|c| format!("-- {}\n{}", t.qualified(), column_definition(c))))
            .take(1)
            .collect();
        if !lines.is_empty() {
            out.push_str(&format!("\n```sql\n{}\n```\n", lines.join("\n")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::header;

    #[test]
    fn a_header_ends_at_its_body() {
        assert_eq!(header("  enum Estado { ABIERTO CERRADO }"), "enum Estado");
        assert_eq!(header("aggregate Pago as pagos {"), "aggregate Pago as pagos");
        assert_eq!(
            header("aggregate Pago @allow(L009, 'a { in a reason') {"),
            "aggregate Pago @allow(L009, 'a { in a reason')"
        );
        assert_eq!(header("estado: EstadoReserva = PENDIENTE"), "estado: EstadoReserva = PENDIENTE");
        assert_eq!(header("nota: text = \"{}\""), "nota: text = \"{}\"");
    }
}
