//! L024 `status-as-text`.

use crate::lint::context::{Ctx, Finding};
use crate::model::Scalar;

rule_docs! {
    /// # L024: status-as-text
    ///
    /// ## What it does
    /// Flags a `text`, `text(n)` or `char(n)` field that holds a status: it is
    /// named `estado`, `status`, `state`, `situacion`, `fase`, `phase`,
    /// `stage`, `etapa`, `rol` or `role`, or its name ends in `_estado`,
    /// `_status` or `_state`.
    ///
    /// ## Why
    /// A status has a closed set of values and the domain's rules depend on
    /// them. Free text accepts `'activo'`, `'Activo'` and `'ACTVO'` alike, so
    /// every query and every invariant must guess the spelling. An enum gives
    /// the column a named CHECK over the allowed values (or a native type),
    /// documents them in the data dictionary, and lets invariants name them
    /// (`estado == CANCELADA`) with the compiler checking each value.
    ///
    /// ## Example
    /// ```ddd
    /// context ventas {
    ///   /// Pedido.
    ///   aggregate Pedido {
    ///     estado: text(20)
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// ```ddd
    /// context ventas {
    ///   enum EstadoPedido {
    ///     BORRADOR
    ///     PAGADO
    ///     ENVIADO
    ///   }
    ///   /// Pedido.
    ///   aggregate Pedido {
    ///     estado: EstadoPedido = BORRADOR
    ///   }
    /// }
    /// ```
}

const STATUS_NAMES: &[&str] =
    &["estado", "status", "state", "situacion", "fase", "phase", "stage", "etapa", "rol", "role"];
const STATUS_SUFFIXES: &[&str] = &["_estado", "_status", "_state"];

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for site in cx.fields() {
        let f = site.field;
        if !matches!(cx.scalar(f), Some(Scalar::Text(_) | Scalar::Char(_))) {
            continue;
        }
        let n = f.name.to_ascii_lowercase();
        if !(STATUS_NAMES.contains(&n.as_str()) || STATUS_SUFFIXES.iter().any(|s| n.ends_with(s))) {
            continue;
        }
        out.push(
            Finding::new(f.span, format!("`{}` holds a status as free text", f.name))
                .label("any spelling is accepted")
                .help("declare an enum with the allowed values and use it as the field's type"),
        );
    }
}
