//! L004 `unnamed-constraint`.

use crate::lint::context::{Ctx, Finding};
use crate::model::TExprKind;

rule_docs! {
    /// # L004: unnamed-constraint
    ///
    /// ## What it does
    /// Flags a `sql "…"` escape whose text declares a constraint of its own —
    /// `CHECK`, `UNIQUE`, `PRIMARY KEY`, `FOREIGN KEY`, `REFERENCES` or
    /// `EXCLUDE` — that is not introduced by `CONSTRAINT <name>`. Words inside
    /// quoted SQL strings are ignored.
    ///
    /// Every constraint the language declares is named by the compiler, so an
    /// unnamed constraint can only come in through `sql`: text that closes the
    /// invariant's `CHECK (` early and opens another one.
    ///
    /// ## Why
    /// The seed's critical error "Constraints sin nombres (auto-generados)".
    /// PostgreSQL then names the constraint itself (`reservas_check1`), so the
    /// name differs between databases, the next migration cannot drop or
    /// change it by name, and the lock no longer describes the database.
    ///
    /// ## Example
    /// ```ddd
    /// context reservas {
    ///   /// Reserva de una sala.
    ///   aggregate Reserva {
    ///     inicio: timestamp
    ///     fin: timestamp
    ///     invariant orden: sql "fin > inicio) , CHECK (fin - inicio <= interval '8 hours'"
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// Write each rule as an invariant of its own; the compiler names it
    /// `<table>_<invariant>`.
    /// ```ddd
    /// context reservas {
    ///   /// Reserva de una sala.
    ///   aggregate Reserva {
    ///     inicio: timestamp
    ///     fin: timestamp
    ///     invariant orden: fin > inicio
    ///     invariant duracion_maxima: sql "fin - inicio <= interval '8 hours'"
    ///   }
    /// }
    /// ```
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for site in cx.exprs() {
        site.expr.walk(&mut |e| {
            if let TExprKind::Sql(text) = &e.kind {
                if let Some(kw) = unnamed_constraint(text) {
                    out.push(
                        Finding::new(e.span, format!("`sql` escape declares an unnamed `{kw}` constraint"))
                            .decl(site.decl)
                            .label("PostgreSQL would name this constraint itself")
                            .help("write it as an invariant of its own (`invariant name: …`) so the compiler names it"),
                    );
                }
            }
        });
    }
}

/// The first constraint keyword of `sql` not introduced by
/// `CONSTRAINT <name>`.
pub(crate) fn unnamed_constraint(sql: &str) -> Option<&'static str> {
    let tokens = tokens(sql);
    let upper: Vec<String> = tokens.iter().map(|t| t.to_ascii_uppercase()).collect();
    let at = |i: usize| upper.get(i).map(String::as_str);
    for i in 0..upper.len() {
        let kw = match (at(i), at(i + 1)) {
            (Some("CHECK"), _) => "CHECK",
            (Some("UNIQUE"), _) => "UNIQUE",
            (Some("PRIMARY"), Some("KEY")) => "PRIMARY KEY",
            (Some("FOREIGN"), Some("KEY")) => "FOREIGN KEY",
            (Some("REFERENCES"), _) => "REFERENCES",
            (Some("EXCLUDE"), _) => "EXCLUDE",
            (Some("CONSTRAINT"), next) => {
                // `CONSTRAINT` with no name after it.
                if next.is_none_or(is_keyword) {
                    return Some("CONSTRAINT");
                }
                continue;
            }
            _ => continue,
        };
        let named = i >= 2 && at(i - 2) == Some("CONSTRAINT") && !is_keyword(&upper[i - 1]);
        if !named {
            return Some(kw);
        }
    }
    None
}

fn is_keyword(t: &str) -> bool {
    matches!(t, "CHECK" | "UNIQUE" | "PRIMARY" | "FOREIGN" | "REFERENCES" | "EXCLUDE" | "(" | ")" | ",")
}

/// Words and punctuation of SQL text, skipping `'…'` strings.
fn tokens(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = sql.chars().peekable();
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        if !cur.is_empty() {
            out.push(std::mem::take(cur));
        }
    };
    while let Some(c) = chars.next() {
        if c == '\'' {
            flush(&mut cur, &mut out);
            while let Some(s) = chars.next() {
                if s == '\'' {
                    if chars.peek() == Some(&'\'') {
                        chars.next();
                    } else {
                        break;
                    }
                }
            }
        } else if c.is_alphanumeric() || c == '_' || c == '"' {
            cur.push(c);
        } else {
            flush(&mut cur, &mut out);
            if matches!(c, '(' | ')' | ',') {
                out.push(c.to_string());
            }
        }
    }
    flush(&mut cur, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::unnamed_constraint;

    #[test]
    fn finds_unnamed_constraints_only() {
        assert_eq!(unnamed_constraint("fin > inicio"), None);
        assert_eq!(unnamed_constraint("x > 0) , CHECK (y > 0"), Some("CHECK"));
        assert_eq!(unnamed_constraint("x > 0), CONSTRAINT ck_y CHECK (y > 0"), None);
        assert_eq!(unnamed_constraint("nota <> 'CHECK this'"), None);
        assert_eq!(unnamed_constraint("a) , UNIQUE (b"), Some("UNIQUE"));
        assert_eq!(unnamed_constraint("a), CONSTRAINT CHECK (b"), Some("CONSTRAINT"));
        assert_eq!(unnamed_constraint("x), FOREIGN KEY (y) REFERENCES t"), Some("FOREIGN KEY"));
    }
}
