//! L013 `single-value-enum`.

use crate::lint::context::{Ctx, Finding};

rule_docs! {
    /// # L013: single-value-enum
    ///
    /// ## What it does
    /// Flags an enum that declares a single value.
    ///
    /// ## Why
    /// A column that can hold only one value carries no information: every
    /// row has the same `'ACTIVO'`. Usually the other states were forgotten
    /// (an `estado` with only `ACTIVO` never records a suspension) or the
    /// enum stands for a flag that should be a `bool`, or for nothing at all.
    ///
    /// ## Example
    /// ```ddd
    /// context crm {
    ///   enum EstadoCliente {
    ///     ACTIVO
    ///   }
    ///   /// Cliente.
    ///   aggregate Cliente {
    ///     estado: EstadoCliente = ACTIVO
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// Declare the states the domain really has, or drop the enum (a `bool`
    /// for a yes/no, nothing for a constant).
    /// ```ddd
    /// context crm {
    ///   enum EstadoCliente {
    ///     ACTIVO
    ///     SUSPENDIDO
    ///     BAJA
    ///   }
    ///   /// Cliente.
    ///   aggregate Cliente {
    ///     estado: EstadoCliente = ACTIVO
    ///   }
    /// }
    /// ```
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for e in &cx.model.enums {
        if e.values.len() != 1 {
            continue;
        }
        out.push(
            Finding::new(e.span, format!("enum `{}` has a single value, `{}`", e.name, e.values[0].name))
                .label("every row would hold the same value")
                .secondary(e.values[0].span, "the only value")
                .help("declare the other states, or use a `bool` (or nothing) instead"),
        );
    }
}
