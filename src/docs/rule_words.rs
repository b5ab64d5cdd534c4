//! What each lint rule checks, in the documents' languages: the site's
//! design-review page names every finding's rule in words, and a Spanish
//! page must not fall back to the rules' English summaries. English comes
//! from the rules themselves ([`crate::lint::rules`]); Spanish from the
//! table below, which a test keeps complete.

use crate::config::Language;

/// The rule's one-line summary in `language`; `None` for a code no rule
/// has.
pub fn summary(code: &str, language: Language) -> Option<&'static str> {
    let rule = crate::lint::rule(code)?;
    match language {
        Language::En => Some(rule.summary),
        Language::Es => SPANISH.iter().find(|(c, _)| *c == rule.code).map(|(_, s)| *s),
    }
}

/// Every rule's summary in Spanish, by code.
pub const SPANISH: &[(&str, &str)] = &[
    ("L001", "tabla sin clave primaria"),
    ("L002", "clave foránea cuyas columnas no encabezan ningún índice"),
    ("L003", "contraseña, token u otro secreto guardado como texto legible"),
    ("L004", "restricción sin nombre colada mediante `sql`"),
    ("L005", "tabla con más de 20 columnas"),
    ("L006", "campo `json` usado como cajón de sastre: sin documentar o llamado como `data`"),
    ("L007", "agregado sin borrado lógico aunque el modelo lo pide, o ningún borrado lógico en todo el modelo"),
    ("L008", "agregado con más de 5 entidades"),
    ("L009", "referencia a otro contexto con una clave foránea real"),
    ("L010", "`@pii` o identificador sensible guardado sin cifrar"),
    ("L011", "datos multi-tenant sin seguridad por filas"),
    ("L012", "objeto de valor con campos que parecen una identidad"),
    ("L013", "enumeración con un único valor"),
    ("L014", "invariante que se cumple sin más cuando un campo opcional es NULL"),
    ("L015", "tabla particionada por rango con solo su partición DEFAULT"),
    ("L016", "`expected_rows` por encima de 10M sin particionado"),
    ("L017", "columna de tiempo de una tabla de solo inserción sin índice BRIN"),
    ("L018", "vía de escape `sql \"…\"` utilizada"),
    ("L019", "agregado que no declara ninguna invariante"),
    ("L020", "raíz de agregado sin comentario de documentación"),
    ("L021", "entidad con una `ref` a la raíz de su propio agregado"),
    ("L022", "`@allow` que no suprime nada o no nombra ninguna regla"),
    ("L023", "importe de dinero guardado como `float`"),
    ("L024", "estado guardado como texto libre en lugar de una enumeración"),
    ("L025", "tabla sin `created_at`/`updated_at` ni columna de tiempo propia"),
    ("L026", "nombre que rompe las convenciones snake_case / PascalCase / UPPER_SNAKE"),
    ("L027", "índice declarado ya cubierto por otro índice o clave"),
    ("L028", "agregado con datos `@pii` que no está `audited`"),
    ("L029", "enumeración de más de 50 valores escrita en el CHECK de cada columna"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_a_summary_in_every_language() {
        for r in crate::lint::rules() {
            for language in [Language::En, Language::Es] {
                assert!(summary(r.code, language).is_some(), "{} has no summary in {language:?}", r.code);
            }
        }
        for (code, _) in SPANISH {
            assert!(crate::lint::rule(code).is_some(), "{code} is not a rule any more");
        }
        assert_eq!(summary("L999", Language::Es), None);
    }
}
