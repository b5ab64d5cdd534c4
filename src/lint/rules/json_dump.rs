//! L006 `json-dump`.

use crate::lint::context::{words, Ctx, Finding};
use crate::model::{FieldType, Scalar};

rule_docs! {
    /// # L006: json-dump
    ///
    /// ## What it does
    /// Flags a `json` field (or `json[]`) that looks like a dump: it has no
    /// doc comment saying what it holds, or one of its name's words is `data`,
    /// `datos`, `dato`, `extra`, `extras`, `misc`, `payload`, `info`, `blob`,
    /// `stuff`, `otros`, `varios` or `resto`.
    ///
    /// ## Why
    /// The seed's smell "JSON columns usados como dump". A JSON column is
    /// right for data whose shape belongs to someone else (a gateway's
    /// response) or truly varies (user preferences); used as a catch-all it
    /// hides columns from the schema: no types, no NOT NULL, no CHECK, no
    /// foreign keys, no documentation in the data dictionary, and queries
    /// that dig into it need expression indexes nobody remembers to add.
    ///
    /// ## Example
    /// ```ddd
    /// context catalogo {
    ///   /// Producto del catálogo.
    ///   aggregate Producto {
    ///     nombre: text(200)
    ///     datos: json = {}
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// Turn the keys you know into fields (a value object groups them), and
    /// document what the JSON that remains holds and why it is JSON. When a
    /// dump is what you want (a third party's raw payload kept for disputes),
    /// say so: `@allow(L006, 'respuesta cruda de la pasarela')`.
    /// ```ddd
    /// context catalogo {
    ///   /// Producto del catálogo.
    ///   aggregate Producto {
    ///     nombre: text(200)
    ///     peso_gramos: int
    ///     /// Atributos libres que muestra la ficha (`{"color": "rojo"}`); no
    ///     /// se filtra ni se ordena por ellos.
    ///     atributos: json = {}
    ///   }
    /// }
    /// ```
}

const DUMP_WORDS: &[&str] = &[
    "data", "datos", "dato", "extra", "extras", "misc", "payload", "info", "blob", "stuff", "otros", "varios", "resto",
];

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for site in cx.fields() {
        let f = site.field;
        if !matches!(f.ty, FieldType::Scalar(Scalar::Json) | FieldType::Array(Scalar::Json)) {
            continue;
        }
        let dump_word = words(&f.name).into_iter().find(|w| DUMP_WORDS.contains(&w.as_str()));
        let undocumented = f.doc.as_deref().is_none_or(|d| d.trim().is_empty());
        let (message, label) = match (&dump_word, undocumented) {
            (Some(w), _) => (
                format!("`json` field `{}` is named like a dump (`{w}`)", f.name),
                "a name that says nothing about the content",
            ),
            (None, true) => {
                (format!("`json` field `{}` has no doc comment saying what it holds", f.name), "undocumented JSON")
            }
            (None, false) => continue,
        };
        out.push(
            Finding::new(f.span, message)
                .label(label)
                .help("model the keys you know as fields or a value object; name and document what stays JSON, or `@allow(L006, 'why')` a deliberate dump"),
        );
    }
}
