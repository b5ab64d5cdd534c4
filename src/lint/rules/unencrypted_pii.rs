//! L010 `unencrypted-pii`.

use crate::lint::context::{has_words, words, Ctx, Finding};
use crate::model::Scalar;

rule_docs! {
    /// # L010: unencrypted-pii
    ///
    /// ## What it does
    /// Flags personal or sensitive data stored in the clear:
    ///
    /// - a field marked `@pii` whose type is not `encrypted` (or
    ///   `password_hash`);
    /// - a `text`/`char`/number field, marked or not, whose name says it is a
    ///   sensitive identifier: one of its words is `dni`, `nie`, `ssn`,
    ///   `curp`, `pasaporte`, `passport`, `iban`, or it contains
    ///   `card_number`, `numero_tarjeta`, `tarjeta_credito`, `credit_card`,
    ///   `cuenta_bancaria`, `bank_account`, `account_number`,
    ///   `social_security`, `seguridad_social`, `documento_identidad`.
    ///
    /// Names with `hash`, `cifrado`, `encrypted`, `last4`, `ultimos` are left
    /// alone.
    ///
    /// ## Why
    /// The seed's checklist: "Datos sensibles con encryption column-level".
    /// Identity documents, card and bank numbers give whoever reads a backup,
    /// a replica or an analyst's export what they need for fraud; encrypting
    /// them with pgcrypto keeps them unreadable outside the application.
    /// Marking a field `@pii` documents it; the lint then asks for encryption
    /// or an explicit reason.
    ///
    /// ## Example
    /// ```ddd
    /// context clientes {
    ///   /// Cliente.
    ///   aggregate Cliente {
    ///     nombre: text(100)
    ///     dni: text(9) @pii
    ///     iban: text(34)
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// Store it as `encrypted` (`pgp_sym_encrypt` in the application), keep
    /// only what you need (the last four digits), or say why it stays readable
    /// with `@allow(L010, 'lo exige la facturación electrónica')`.
    /// ```ddd
    /// context clientes {
    ///   /// Cliente.
    ///   aggregate Cliente {
    ///     nombre: text(100)
    ///     dni: encrypted @pii
    ///     iban: encrypted @pii
    ///     iban_ultimos: char(4)
    ///   }
    /// }
    /// ```
}

const SENSITIVE_WORDS: &[&str] = &["dni", "nie", "ssn", "curp", "pasaporte", "passport", "iban"];
const SENSITIVE_PHRASES: &[&str] = &[
    "card_number",
    "numero_tarjeta",
    "tarjeta_credito",
    "credit_card",
    "cuenta_bancaria",
    "bank_account",
    "account_number",
    "social_security",
    "seguridad_social",
    "documento_identidad",
];
const SAFE_WORDS: &[&str] = &["hash", "hashed", "cifrado", "cifrada", "encrypted", "last4", "ultimos"];

fn sensitive_name(name: &str) -> Option<String> {
    let w = words(name);
    if w.iter().any(|x| SAFE_WORDS.contains(&x.as_str())) {
        return None;
    }
    if let Some(p) = SENSITIVE_PHRASES.iter().find(|p| has_words(&w, p)) {
        return Some((*p).to_string());
    }
    w.into_iter().find(|x| SENSITIVE_WORDS.contains(&x.as_str()))
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for site in cx.fields() {
        let f = site.field;
        let scalar = cx.scalar(f);
        if matches!(scalar, Some(Scalar::Encrypted | Scalar::PasswordHash)) {
            continue;
        }
        let ty = || scalar.map_or_else(|| "a readable type".to_string(), |s| format!("`{}`", s.ddd()));
        if f.pii {
            out.push(
                Finding::new(f.span, format!("`@pii` field `{}` is stored unencrypted as {}", f.name, ty()))
                    .label("personal data readable by anyone with SELECT")
                    .help(format!(
                    "store it as `{}: encrypted` (pgcrypto), or say why it stays readable with `@allow(L010, 'why')`",
                    f.name
                )),
            );
            continue;
        }
        let readable = matches!(scalar, Some(Scalar::Text(_) | Scalar::Char(_) | Scalar::Int | Scalar::BigInt));
        if let (true, Some(what)) = (readable, sensitive_name(&f.name)) {
            out.push(
                Finding::new(
                    f.span,
                    if what == f.name {
                        format!("`{}` is a sensitive identifier stored unencrypted as {}", f.name, ty())
                    } else {
                        format!(
                            "`{}` looks like a sensitive identifier (`{what}`) stored unencrypted as {}",
                            f.name,
                            ty()
                        )
                    },
                )
                .label("sensitive identifier in the clear")
                .help(format!(
                    "store it as `{}: encrypted @pii`, keep only what you need (the last digits), or say why with `@allow(L010, 'why')`",
                    f.name
                )),
            );
        }
    }
}
