//! L023 `float-money`.

use crate::lint::context::{words, Ctx, Finding};
use crate::model::Scalar;

rule_docs! {
    /// # L023: float-money
    ///
    /// ## What it does
    /// Flags a `float` field whose name says it is an amount of money: one of
    /// its words is `precio`, `price`, `importe`, `monto`, `amount`, `total`,
    /// `subtotal`, `saldo`, `balance`, `coste`, `costo`, `cost`, `tarifa`,
    /// `fee`, `comision`, `commission`, `salario`, `salary`, `sueldo`,
    /// `impuesto`, `tax`, `iva`, `descuento`, `discount`, `pago`, `payment`,
    /// `cuota`, `dinero`, `money`.
    ///
    /// ## Why
    /// `float` is `DOUBLE PRECISION`: binary floating point, which cannot
    /// represent 0.10 exactly. Sums drift by fractions of a cent, equal
    /// amounts compare unequal, and the ledger stops balancing. Money is exact
    /// decimal arithmetic.
    ///
    /// ## Example
    /// ```ddd
    /// context ventas {
    ///   /// Pedido.
    ///   aggregate Pedido {
    ///     total: float
    ///     invariant total_positivo: total > 0
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// Use `decimal(p, s)` — `decimal(12, 2)` for most currencies — or a value
    /// object that pairs the amount with its currency.
    /// ```ddd
    /// context ventas {
    ///   /// Pedido.
    ///   aggregate Pedido {
    ///     total: decimal(12, 2)
    ///     invariant total_positivo: total > 0
    ///   }
    /// }
    /// ```
}

const MONEY_WORDS: &[&str] = &[
    "precio",
    "price",
    "importe",
    "monto",
    "amount",
    "total",
    "subtotal",
    "saldo",
    "balance",
    "coste",
    "costo",
    "cost",
    "tarifa",
    "fee",
    "comision",
    "commission",
    "salario",
    "salary",
    "sueldo",
    "impuesto",
    "tax",
    "iva",
    "descuento",
    "discount",
    "pago",
    "payment",
    "cuota",
    "dinero",
    "money",
];

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for site in cx.fields() {
        let f = site.field;
        if cx.scalar(f) != Some(Scalar::Float) {
            continue;
        }
        let Some(w) = words(&f.name).into_iter().find(|w| MONEY_WORDS.contains(&w.as_str())) else {
            continue;
        };
        out.push(
            Finding::new(f.span, format!("`{}` looks like money (`{w}`) but is a `float`", f.name))
                .label("binary floating point: 0.10 is not exact")
                .help(format!("use `{}: decimal(12, 2)` (or a value object with the amount and its currency)", f.name)),
        );
    }
}
