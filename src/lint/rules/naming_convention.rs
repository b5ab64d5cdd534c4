//! L026 `naming-convention`.

use crate::lint::context::{Ctx, Finding};
use crate::model::{snake_case, ValueShape};

rule_docs! {
    /// # L026: naming-convention
    ///
    /// ## What it does
    /// Flags names that break the language's conventions:
    ///
    /// - contexts, fields, `@column` names, invariants and `as` table names
    ///   in snake_case: lower-case letters, digits and `_`, starting with a
    ///   letter;
    /// - aggregates, entities, value objects and enums in PascalCase;
    /// - enum values in UPPER_SNAKE.
    ///
    /// ## Why
    /// The seed's checklist: "Nombres auto-explicativos (snake_case)". Field,
    /// context and invariant names become SQL identifiers as written, and
    /// PostgreSQL folds unquoted names to lower case: a field `fechaAlta`
    /// becomes a column that every query must quote as `"fechaAlta"` forever.
    /// Type names become table names through snake_case, so `CLIENTE` or
    /// `cliente_vip` produce surprising tables. Consistent case also tells a
    /// reader at a glance whether a name is a type, a field or a value.
    ///
    /// ## Example
    /// ```ddd
    /// context ventas {
    ///   enum estadoPedido {
    ///     borrador
    ///     PAGADO
    ///   }
    ///   /// Pedido.
    ///   aggregate pedido {
    ///     fechaAlta: date
    ///     estado: estadoPedido = PAGADO
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
    ///   }
    ///   /// Pedido.
    ///   aggregate Pedido {
    ///     fecha_alta: date
    ///     estado: EstadoPedido = PAGADO
    ///   }
    /// }
    /// ```
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let m = cx.model;
    for c in &m.contexts {
        snake(out, c.span, "context", &c.name);
    }
    for e in &m.enums {
        pascal(out, e.span, "enum", &e.name);
        for v in &e.values {
            if !is_upper_snake(&v.name) {
                out.push(
                    Finding::new(v.span, format!("enum value `{}` is not UPPER_SNAKE", v.name))
                        .decl(e.span)
                        .label("enum values are UPPER_SNAKE")
                        .help(format!("rename it `{}`", snake_case(&v.name).to_ascii_uppercase())),
                );
            }
        }
    }
    for v in &m.values {
        pascal(out, v.span, "value object", &v.name);
        if let ValueShape::Fields { fields, invariants } = &v.shape {
            for f in fields {
                snake(out, f.span, "field", &f.name);
            }
            for i in invariants {
                snake(out, i.span, "invariant", &i.name);
            }
        }
    }
    for site in cx.entities() {
        let e = site.entity;
        let kind = if site.is_root() { "aggregate" } else { "entity" };
        pascal(out, e.span, kind, &e.name);
        if let Some(t) = &e.table_as {
            snake(out, e.span, "table name", t);
        }
        for f in &e.fields {
            snake(out, f.span, "field", &f.name);
            if f.column_explicit && f.column != f.name {
                snake(out, f.span, "column name", &f.column);
            }
        }
        for i in &e.invariants {
            snake(out, i.span, "invariant", &i.name);
        }
    }
}

fn is_snake(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_pascal(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_uppercase())
        && s.chars().all(|c| c.is_ascii_alphanumeric())
        && s.chars().any(|c| c.is_ascii_lowercase())
}

fn is_upper_snake(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_uppercase())
        && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn snake(out: &mut Vec<Finding>, span: crate::diagnostics::Span, what: &str, name: &str) {
    if is_snake(name) {
        return;
    }
    out.push(
        Finding::new(span, format!("{what} `{name}` is not snake_case"))
            .label("becomes an SQL identifier as written")
            .help(format!("rename it `{}`", snake_case(name).trim_start_matches('_'))),
    );
}

fn pascal(out: &mut Vec<Finding>, span: crate::diagnostics::Span, what: &str, name: &str) {
    if is_pascal(name) {
        return;
    }
    let fixed: String = snake_case(name)
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            cs.next().map(|c| c.to_ascii_uppercase().to_string() + cs.as_str()).unwrap_or_default()
        })
        .collect();
    out.push(
        Finding::new(span, format!("{what} `{name}` is not PascalCase"))
            .label("type names are PascalCase")
            .help(format!("rename it `{fixed}`")),
    );
}
