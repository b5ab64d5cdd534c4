//! Value objects: embedded as prefixed columns with their checks (§7), and
//! lists of them as element tables.

use super::builder::TableBuilder;
use super::{column_type, Lowerer};
use crate::model::{self, Aggregate, Entity, FieldType, Scalar, TExpr, ValueShape};
use crate::relational::names::fit;
use crate::relational::*;
use crate::sql::expr::{render, Columns};
use crate::sql::fragments;

impl<'a> Lowerer<'a> {
    /// The columns of a non-reference field, value objects expanded;
    /// returns the column names. `prefix` is the column prefix of the
    /// enclosing value objects, `path` their field path for constraint names.
    pub(super) fn embed(
        &mut self,
        b: &mut TableBuilder,
        f: &model::Field,
        prefix: &str,
        path: &str,
        group_nullable: bool,
    ) -> Vec<String> {
        self.embed_parts(b, f, prefix, path, group_nullable).0
    }

    /// [`Lowerer::embed`], and of its columns those that must be set
    /// whenever the value object holding the field is: for a value object's,
    /// its required parts' (`None`: all of them). Each nested value
    /// object's required columns come from expanding it, once: counting
    /// them afresh at every level made a chain of value objects cost the
    /// cube of its length.
    fn embed_parts(
        &mut self,
        b: &mut TableBuilder,
        f: &model::Field,
        prefix: &str,
        path: &str,
        group_nullable: bool,
    ) -> (Vec<String>, Option<Vec<String>>) {
        let t = b.t.name.clone();
        let column = format!("{prefix}{}", f.column);
        let nullable = f.nullable || group_nullable;
        let default = f.default.as_ref().map(|d| self.default_sql(d, &f.ty));
        let backfill = f.backfill.as_ref().map(|x| render(x, &Columns::PLAIN));
        let plain = |b: &mut TableBuilder, ty: ColumnType, source: Option<ColumnSource>| {
            let c = b.column(&column, ty, nullable, f.span);
            c.default = default.clone();
            c.comment = f.doc.clone();
            c.source = source;
            c.backfill = Backfill(backfill.clone());
            vec![column.clone()]
        };
        let password_check = |b: &mut TableBuilder| {
            b.check(
                format!("ck_{t}_{column}_hash"),
                fragments::password_hash(&column),
                CheckSource::PasswordHash,
                None,
                f.span,
            );
        };
        let cols = match &f.ty {
            FieldType::Scalar(s) => {
                let cols = plain(b, column_type(*s), None);
                if *s == Scalar::PasswordHash {
                    password_check(b);
                }
                cols
            }
            FieldType::Array(s) => plain(b, ColumnType::Array(Box::new(column_type(*s))), None),
            FieldType::Enum(en) => {
                let e = &self.model.enums[en.0];
                let ty = self.enum_column_type(*en);
                let cols = plain(b, ty, Some(ColumnSource::Enum { name: e.name.clone() }));
                if !e.native {
                    let values: Vec<String> = e.values.iter().map(|v| v.name.clone()).collect();
                    b.check(
                        format!("ck_{t}_{column}_valid"),
                        fragments::in_list(&column, &values),
                        CheckSource::Enum { name: e.name.clone(), column: column.clone(), values },
                        None,
                        f.span,
                    );
                }
                cols
            }
            FieldType::Value(v) => {
                let vo = &self.model.values[v.0];
                match &vo.shape {
                    ValueShape::Single { ty, check } => {
                        let source = ColumnSource::ValueObject { value: vo.name.clone(), field: None };
                        let cols = plain(b, column_type(*ty), Some(source));
                        if *ty == Scalar::PasswordHash {
                            password_check(b);
                        }
                        if let Some(c) = check {
                            let cols_map = Columns { prefix: "", subject: Some(&column) };
                            b.check(
                                format!("ck_{t}_{column}_{}", model::snake_case(&vo.name)),
                                render(c, &cols_map),
                                CheckSource::SingleValue { value: vo.name.clone(), source: texpr_source(c) },
                                vo.doc.clone(),
                                f.span,
                            );
                        }
                        cols
                    }
                    ValueShape::Fields { fields, invariants } => {
                        let inner_prefix = format!("{column}_");
                        let inner_path = format!("{path}{}", f.column);
                        let first = b.t.columns.len();
                        let mut cols = Vec::new();
                        let mut required = Vec::new();
                        for part in fields {
                            if matches!(part.ty, FieldType::ValueList(_) | FieldType::Ref(_)) {
                                continue;
                            }
                            let (part_cols, part_required) =
                                self.embed_parts(b, part, &inner_prefix, &format!("{inner_path}_"), nullable);
                            if !part.nullable {
                                // Leaves that must be present when the group is.
                                required.extend(part_required.unwrap_or_else(|| part_cols.clone()));
                            }
                            cols.extend(part_cols);
                        }
                        let source = ColumnSource::ValueObject { value: vo.name.clone(), field: Some(f.name.clone()) };
                        for c in &mut b.t.columns[first..] {
                            c.source.get_or_insert_with(|| source.clone());
                        }
                        for inv in invariants {
                            let cols_map = Columns { prefix: &inner_prefix, subject: None };
                            b.check(
                                format!("{t}_{inner_path}_{}", inv.name),
                                render(&inv.expr, &cols_map),
                                CheckSource::ValueRule { value: vo.name.clone(), source: inv.source.clone() },
                                inv.doc.clone(),
                                inv.span,
                            );
                        }
                        // A group with no required part is valid whatever is set.
                        if f.nullable && !required.is_empty() {
                            b.check(
                                format!("{t}_{inner_path}_all_or_none"),
                                fragments::all_or_none(&required, &cols),
                                CheckSource::AllOrNone { value: vo.name.clone() },
                                None,
                                f.span,
                            );
                        }
                        return (cols, Some(required));
                    }
                }
            }
            FieldType::ValueList(_) | FieldType::Ref(_) => Vec::new(),
        };
        (cols, None)
    }

    /// The element table of a list of value objects: `<owner>_<field>`,
    /// keyed by the owner's key and a position.
    pub(super) fn list_table(
        &mut self,
        a: &Aggregate,
        owner: &Entity,
        ctx: &str,
        owner_table: &str,
        f: &model::Field,
        vid: model::ValueId,
    ) {
        let name = format!("{owner_table}_{}", f.column);
        self.check_table_name(&name, f.span);
        let mut b = TableBuilder::new(ctx, &name, TableKind::ValueList, f.span);
        b.t.comment = f.doc.clone();
        b.t.aggregate = Some(format!("{ctx}.{}", a.name));
        b.tenant = a.tenant.clone();
        if let Some(t) = &a.tenant {
            b.column(t, ColumnType::Uuid, false, f.span).source = Some(ColumnSource::Tenant);
        }
        let link_cols = self.link_columns_to(&mut b, owner, ColumnSource::Owner { entity: owner.name.clone() }, f.span);
        b.column("position", ColumnType::Integer, false, f.span).source = Some(ColumnSource::ListPosition);
        let vo = &self.model.values[vid.0];
        match &vo.shape {
            ValueShape::Fields { fields, invariants } => {
                for part in fields {
                    if matches!(part.ty, FieldType::ValueList(_) | FieldType::Ref(_)) {
                        continue;
                    }
                    self.embed(&mut b, part, "", "", false);
                }
                for inv in invariants {
                    b.check(
                        format!("{name}_{}", inv.name),
                        render(&inv.expr, &Columns::PLAIN),
                        CheckSource::ValueRule { value: vo.name.clone(), source: inv.source.clone() },
                        inv.doc.clone(),
                        inv.span,
                    );
                }
            }
            ValueShape::Single { .. } => {
                let single = model::Field {
                    name: f.name.clone(),
                    column: "value".into(),
                    column_explicit: false,
                    column_span: None,
                    doc: None,
                    span: f.span,
                    ty: FieldType::Value(vid),
                    nullable: false,
                    default: None,
                    unique: false,
                    indexed: false,
                    was: None,
                    pii: f.pii,
                    backfill: None,
                    name_override: None,
                    allows: Vec::new(),
                };
                self.embed(&mut b, &single, "", "", false);
            }
        }
        let source = ColumnSource::ValueObject { value: vo.name.clone(), field: Some(f.name.clone()) };
        for c in &mut b.t.columns {
            c.source.get_or_insert_with(|| source.clone());
        }
        // A supplied key is unique per tenant: two tenants' owners may
        // share it, and so may their elements' keys unless the tenant leads
        // them (tenant A's phone 0 of customer `ACME` collided with B's).
        let mut pk = match &a.tenant {
            Some(_) if owner.identity.is_supplied() => b.with_tenant(link_cols.clone()),
            _ => link_cols.clone(),
        };
        pk.push("position".into());
        b.t.primary_key = Some(PrimaryKey { name: fit(&format!("{name}_pkey")), columns: pk });
        let fk_cols = self.owned_by(&mut b, &link_cols, owner, owner_table, f.span);
        b.fk_index(fk_cols, f.span);
        b.check(
            format!("ck_{name}_position"),
            fragments::non_negative("position"),
            CheckSource::ListPosition,
            None,
            f.span,
        );
        if let Some(t) = &a.tenant {
            b.tenant_policy(t);
        }
        // The elements of an audited aggregate's list are its rows too:
        // an element changed left no trail.
        if a.audited {
            let key = b.t.primary_key.as_ref().map(|p| p.columns.clone()).unwrap_or_default();
            self.audit_trigger_keyed(&mut b, key, ctx);
        }
        self.push_table(b.t);
    }
}

fn texpr_source(e: &TExpr) -> String {
    render(e, &Columns { prefix: "", subject: Some("value") })
}
