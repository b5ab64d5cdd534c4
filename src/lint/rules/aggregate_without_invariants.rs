//! L019 `aggregate-without-invariants`.

use crate::lint::context::{Ctx, Finding};

rule_docs! {
    /// # L019: aggregate-without-invariants
    ///
    /// ## What it does
    /// Reports an aggregate whose root and entities declare no invariant at
    /// all. Checks that come from types (enums, value objects, `password_hash`)
    /// do not count: they are the same for every aggregate that uses them.
    ///
    /// ## Why
    /// An aggregate exists to protect business rules: a reservation ends after
    /// it starts, a refund never exceeds the payment. The seed's checklist
    /// asks for "Constraints de negocio (CHECK, NOT NULL, UNIQUE)". An
    /// aggregate with no invariant is either missing its rules — which then
    /// live only in application code, where a script or a second service
    /// bypasses them — or is not really an aggregate (a lookup table, a
    /// log), which is worth saying in its doc comment.
    ///
    /// ## Example
    /// ```ddd
    /// context reservas {
    ///   /// Reserva de una sala.
    ///   aggregate Reserva {
    ///     inicio: timestamp
    ///     fin: timestamp
    ///     personas: int
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// ```ddd
    /// context reservas {
    ///   /// Reserva de una sala.
    ///   aggregate Reserva {
    ///     inicio: timestamp
    ///     fin: timestamp
    ///     personas: int
    ///     invariant orden: fin > inicio
    ///     invariant aforo: personas between 1 and 20
    ///   }
    /// }
    /// ```
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for a in &cx.model.aggregates {
        if a.root.walk().iter().any(|e| !e.invariants.is_empty()) {
            continue;
        }
        out.push(
            Finding::new(a.root.span, format!("aggregate `{}` declares no invariant", a.name))
                .label("no business rule enforced by the database")
                .help("write the rules the aggregate protects as `invariant name: …` (they become named CHECK constraints)"),
        );
    }
}
