//! L029 `large-check-enum`.

use crate::lint::context::{Ctx, Finding};
use crate::relational::CheckSource;

rule_docs! {
    /// # L029: large-check-enum
    ///
    /// ## What it does
    /// Flags a CHECK-based enum (the default mapping) of more than 50
    /// values that some column uses.
    ///
    /// ## Why
    /// A CHECK-based enum is a `VARCHAR` with a CHECK listing every value,
    /// written again on every column of the enum. A code list of hundreds
    /// of values used in many tables makes each table's definition, each
    /// migration and each insert's check as long as the list, and the model
    /// as large as values × columns to compile (2,000 values on 2,000
    /// aggregates: four million values). Adding a value swaps every one of
    /// those CHECKs, each validated by a scan of its table.
    ///
    /// ## Example
    /// ```ddd
    /// context clientes {
    ///   enum Pais {
    ///     AR BO BR CL CO EC GY PY PE SR UY VE MX GT HN SV NI CR PA CU DO PR US CA ES PT
    ///     FR IT DE NL BE LU CH AT IE GB DK SE NO FI IS PL CZ SK HU RO BG GR HR SI MT
    ///   }
    ///   /// Cliente.
    ///   aggregate Cliente {
    ///     pais: Pais = ES
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// Make it `native`: one type, which each column names, and `ALTER TYPE …
    /// ADD VALUE` to add a value (a native enum cannot lose one). A list
    /// that changes often, or carries more than a name, is an aggregate of
    /// its own that the columns reference.
    /// ```ddd
    /// context clientes {
    ///   enum Pais native {
    ///     AR BO BR CL CO EC GY PY PE SR UY VE MX GT HN SV NI CR PA CU DO PR US CA ES PT
    ///     FR IT DE NL BE LU CH AT IE GB DK SE NO FI IS PL CZ SK HU RO BG GR HR SI MT
    ///   }
    ///   /// Cliente.
    ///   aggregate Cliente {
    ///     pais: Pais = ES
    ///   }
    /// }
    /// ```
}

/// The most values a CHECK-based enum has before the rule speaks.
const MOST_VALUES: usize = 50;

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let large: Vec<usize> = (0..cx.model.enums.len())
        .filter(|&i| !cx.model.enums[i].native && cx.model.enums[i].values.len() > MOST_VALUES)
        .collect();
    if large.is_empty() {
        return;
    }
    // The columns checked by each large enum, by its name and (for an enum
    // of a context) its context's schema: one pass over the schema.
    let mut by_name: std::collections::HashMap<&str, Vec<usize>> = std::collections::HashMap::new();
    for (k, &i) in large.iter().enumerate() {
        by_name.entry(cx.model.enums[i].name.as_str()).or_default().push(k);
    }
    let mut columns = vec![0usize; large.len()];
    for t in &cx.schema.tables {
        for c in &t.checks {
            let CheckSource::Enum { name, .. } = &c.source else { continue };
            for &k in by_name.get(name.as_str()).into_iter().flatten() {
                let e = &cx.model.enums[large[k]];
                if e.context.is_none_or(|ctx| cx.model.contexts[ctx.0].name == t.schema) {
                    columns[k] += 1;
                }
            }
        }
    }
    for (k, &i) in large.iter().enumerate() {
        if columns[k] == 0 {
            continue;
        }
        let e = &cx.model.enums[i];
        out.push(
            Finding::new(
                e.span,
                format!(
                    "enum `{}` has {} values, each written again in the CHECK of {} column(s)",
                    e.name,
                    e.values.len(),
                    columns[k]
                ),
            )
            .label("a CHECK-based enum: every column of it lists every value")
            .help("make it `native` (one type; `ALTER TYPE … ADD VALUE` adds a value), or an aggregate the columns reference"),
        );
    }
}
