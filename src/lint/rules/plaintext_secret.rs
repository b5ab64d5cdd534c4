//! L003 `plaintext-secret`.

use crate::lint::context::{has_words, words, Ctx, Finding};
use crate::model::Scalar;

rule_docs! {
    /// # L003: plaintext-secret
    ///
    /// ## What it does
    /// Flags a field whose name says it holds a secret and whose type stores
    /// it readable: `text`, `text(n)`, `char(n)`, a number, or a single-column
    /// value object over one of those.
    ///
    /// A name says "secret" when one of its words (snake_case or camelCase) is
    /// `password`, `passwd`, `pwd`, `contrasena`, `contrasenia`, `clave`,
    /// `secret`, `secreto`, `token`, `pin`, `otp`, `cvv`, `cvc`, `apikey`, or
    /// contains `api_key`, `private_key`, `access_key`, `secret_key`,
    /// `client_secret`. Names that say the value is already protected —
    /// with the word `hash`, `hashed`, `digest`, `encrypted`, `cifrado`,
    /// `cifrada` — or that it is no secret — `idempotency`, `idempotencia`,
    /// `public`, `publica`, `publico` — are left alone, and so are the types
    /// `password_hash`, `encrypted` and `bytes`.
    ///
    /// ## Why
    /// The seed's critical error "Passwords en texto plano" and its security
    /// checklist: passwords always hashed with bcrypt or argon2, sensitive
    /// data encrypted at column level. A readable secret leaks through every
    /// backup, replica, log of a slow query and analyst with `SELECT` rights.
    /// Card verification codes (`cvv`) may not be stored at all (PCI DSS).
    ///
    /// ## Example
    /// ```ddd
    /// context identidad {
    ///   /// Cuenta de acceso.
    ///   aggregate Cuenta {
    ///     email: text(255) unique
    ///     password: text(100)
    ///     api_key: text(64)
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// Store a password as `password_hash` (the compiler adds a CHECK that only
    /// accepts bcrypt or argon2 hashes); store a secret the application must
    /// read back as `encrypted` (pgcrypto); store a token you only compare as a
    /// digest (`token_hash: bytes`).
    /// ```ddd
    /// context identidad {
    ///   /// Cuenta de acceso.
    ///   aggregate Cuenta {
    ///     email: text(255) unique
    ///     password: password_hash
    ///     api_key: encrypted
    ///   }
    /// }
    /// ```
}

const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "contrasena",
    "contrasenia",
    "clave",
    "secret",
    "secreto",
    "token",
    "pin",
    "otp",
    "cvv",
    "cvc",
    "apikey",
];
const SECRET_PHRASES: &[&str] = &["api_key", "private_key", "access_key", "secret_key", "client_secret"];
const PROTECTED_WORDS: &[&str] = &[
    "hash",
    "hashed",
    "digest",
    "encrypted",
    "cifrado",
    "cifrada",
    "idempotency",
    "idempotencia",
    "public",
    "publica",
    "publico",
];

/// The secret word a name contains, if any.
pub(crate) fn secret_word(name: &str) -> Option<String> {
    let w = words(name);
    if w.iter().any(|x| PROTECTED_WORDS.contains(&x.as_str())) {
        return None;
    }
    if let Some(p) = SECRET_PHRASES.iter().find(|p| has_words(&w, p)) {
        return Some((*p).to_string());
    }
    w.into_iter().find(|x| SECRET_WORDS.contains(&x.as_str()))
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for site in cx.fields() {
        let f = site.field;
        let Some(s) = cx.scalar(f) else { continue };
        let readable = matches!(s, Scalar::Text(_) | Scalar::Char(_) | Scalar::SmallInt | Scalar::Int | Scalar::BigInt);
        if !readable {
            continue;
        }
        let Some(word) = secret_word(&f.name) else {
            continue;
        };
        let fix = if matches!(word.as_str(), "password" | "passwd" | "pwd" | "contrasena" | "contrasenia") {
            format!("store only a hash: `{}: password_hash`", f.name)
        } else if matches!(word.as_str(), "cvv" | "cvc") {
            "do not store card verification codes at all (PCI DSS forbids it)".to_string()
        } else {
            format!("store it as `{}: encrypted` (pgcrypto), or keep only a digest as `{}_hash: bytes`", f.name, f.name)
        };
        out.push(
            Finding::new(
                f.span,
                format!("`{}` in {} stores a secret as readable `{}`", f.name, site.owner.describe(), s.ddd()),
            )
            .label(format!("`{word}` stored in plain text"))
            .help(fix),
        );
    }
}
