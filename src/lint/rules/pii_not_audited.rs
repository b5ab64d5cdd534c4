//! L028 `pii-not-audited`.

use crate::lint::context::{Ctx, Finding};
use crate::model::ValueShape;

rule_docs! {
    /// # L028: pii-not-audited
    ///
    /// ## What it does
    /// Reports an aggregate that holds personal data — a field marked `@pii`
    /// in its root or entities, directly or inside a value object — and is
    /// not `audited`.
    ///
    /// ## Why
    /// The seed's checklist: "Audit trail en tabla separada (eventos
    /// críticos)". Data-protection law (GDPR, LOPDGDD, the Latin American
    /// ARCO laws) asks who accessed or changed personal data and when, and a
    /// right-of-access request needs the history. `audited` records every
    /// insert, update and delete of the aggregate's tables in the model's
    /// `audit_log`, with the user and the row before and after.
    ///
    /// ## Example
    /// ```ddd
    /// model clinica {
    ///   target postgres 16
    ///   audit_log auditoria.eventos monthly from 2025-11 to 2026-12
    /// }
    ///
    /// context auditoria {}
    ///
    /// context pacientes {
    ///   /// Paciente de la clínica.
    ///   aggregate Paciente {
    ///     nombre: text(100)
    ///     historia_clinica: encrypted @pii
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// ```ddd
    /// model clinica {
    ///   target postgres 16
    ///   audit_log auditoria.eventos monthly from 2025-11 to 2026-12
    /// }
    ///
    /// context auditoria {}
    ///
    /// context pacientes {
    ///   /// Paciente de la clínica.
    ///   aggregate Paciente {
    ///     nombre: text(100)
    ///     historia_clinica: encrypted @pii
    ///     audited
    ///   }
    /// }
    /// ```
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for a in &cx.model.aggregates {
        if a.audited {
            continue;
        }
        let pii = a.root.walk().into_iter().flat_map(|e| e.fields.iter()).find(|f| {
            f.pii
                || match &f.ty {
                    crate::model::FieldType::Value(v) | crate::model::FieldType::ValueList(v) => {
                        match &cx.model.values[v.0].shape {
                            ValueShape::Fields { fields, .. } => fields.iter().any(|x| x.pii),
                            ValueShape::Single { .. } => false,
                        }
                    }
                    _ => false,
                }
        });
        let Some(f) = pii else { continue };
        let help = if cx.model.audit_log.is_some() {
            format!("add `audited` to `{}`", a.name)
        } else {
            format!(
                "declare `audit_log <context>.<table> monthly from … to …` in the model and add `audited` to `{}`",
                a.name
            )
        };
        out.push(
            Finding::new(a.root.span, format!("aggregate `{}` holds personal data and is not audited", a.name))
                .label("changes to personal data leave no trail")
                .secondary(f.span, "personal data")
                .help(help),
        );
    }
}
