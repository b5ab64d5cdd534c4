//! The only place SQL text is written. One function quotes identifiers
//! ([`ident`]), one quotes literals ([`literal`]); both always double the quote
//! character and never guess that a string is "already quoted".
//!
//! - [`expr`] renders typed model expressions (checks, defaults, predicates).
//! - [`objects`] renders each database object (create, alter, drop): the
//!   only printer of objects, used by both of the following.
//! - [`ddl`] renders a relational schema as a migration script and its undo.
//! - [`alter`] renders the changes of a later migration.
//! - [`stmt`] is a statement as those printers build it: its text, its
//!   plain form for squawk, and the lock it takes.
//! - [`types`] prints column types, as migrations write them and as
//!   `format_type()` reads them back.
//! - [`fragments`] writes the conditions and function bodies the lowering
//!   stores in the schema.

use crate::memo::fnv;

pub mod alter;
pub mod ddl;
pub mod expr;
pub mod fragments;
pub mod objects;
pub mod split;
pub mod stmt;
pub mod types;

/// Keywords PostgreSQL does not accept as a bare column name or in every
/// expression position: its reserved, type/function-name and column-name
/// keywords (`pg_get_keywords()` categories R, T and C, PostgreSQL 13–18).
const KEYWORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "json",
    "json_array",
    "json_arrayagg",
    "json_exists",
    "json_object",
    "json_objectagg",
    "json_query",
    "json_scalar",
    "json_serialize",
    "json_table",
    "json_value",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "merge_action",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// The keywords in an open-addressing table made at compile time: slot
/// `fnv(word) % SLOTS` or the next free one holds the word's index in
/// [`KEYWORDS`] plus one (0: empty). Every identifier of every statement
/// is looked up: a binary search of the list, then of the keywords of the
/// identifier's first letter, was a fifth of the making of a migration's
/// statements (the comparisons, not the hash, cost: most identifiers share
/// a first letter with a dozen keywords). By hand rather than `phf`: its
/// `phf_set!` needs a proc-macro crate (or a build script) the project
/// does not build, for 164 fixed words.
const SLOTS: usize = 512;
const KEYWORD_SLOTS: [u8; SLOTS] = keyword_slots();

const fn keyword_slots() -> [u8; SLOTS] {
    assert!(KEYWORDS.len() < 255 && KEYWORDS.len() * 2 < SLOTS);
    let mut out = [0u8; SLOTS];
    let mut i = 0;
    while i < KEYWORDS.len() {
        let mut at = fnv(KEYWORDS[i].as_bytes()) as usize % SLOTS;
        while out[at] != 0 {
            at = (at + 1) % SLOTS;
        }
        out[at] = (i + 1) as u8;
        i += 1;
    }
    out
}

/// Whether `name` is one of [`KEYWORDS`].
fn is_keyword(name: &str) -> bool {
    let mut at = fnv(name.as_bytes()) as usize % SLOTS;
    loop {
        match KEYWORD_SLOTS[at] {
            0 => return false,
            k if KEYWORDS[k as usize - 1] == name => return true,
            _ => at = (at + 1) % SLOTS,
        }
    }
}

/// Whether `name` must be double-quoted to mean itself.
pub fn needs_quotes(name: &str) -> bool {
    let bytes = name.as_bytes();
    let plain = matches!(bytes.first(), Some(c) if c.is_ascii_lowercase() || *c == b'_')
        && bytes.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_');
    !plain || is_keyword(name)
}

/// `name` onto `out`, double-quoted (with `"` doubled) only when it must be.
pub fn push_ident(out: &mut String, name: &str) {
    if needs_quotes(name) {
        out.push('"');
        out.push_str(&name.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(name);
    }
}

/// An identifier, double-quoted (with `"` doubled) only when it must be.
pub fn ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    push_ident(&mut out, name);
    out
}

/// `schema.name`, each part quoted as needed.
pub fn qualified(schema: &str, name: &str) -> String {
    let mut out = String::with_capacity(schema.len() + name.len() + 5);
    push_qualified(&mut out, schema, name);
    out
}

/// [`qualified`] onto `out`.
pub fn push_qualified(out: &mut String, schema: &str, name: &str) {
    push_ident(out, schema);
    out.push('.');
    push_ident(out, name);
}

/// [`literal`] onto `out`.
pub fn push_literal(out: &mut String, s: &str) {
    let backslash = s.contains('\\');
    out.push_str(if backslash { "E'" } else { "'" });
    for (i, part) in s.split('\'').enumerate() {
        if i > 0 {
            out.push_str("''");
        }
        if backslash {
            out.push_str(&part.replace('\\', "\\\\"));
        } else {
            out.push_str(part);
        }
    }
    out.push('\'');
}

/// A string literal: `'…'` with `'` doubled. Backslashes are literal under
/// `standard_conforming_strings = on`, PostgreSQL's default since 9.1; a
/// string holding one is written `E'…'` with backslashes doubled so that it
/// means the same whatever that setting is.
pub fn literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 3);
    push_literal(&mut out, s);
    out
}

/// `$tag$body$tag$` with a tag that does not occur in `body`.
pub fn dollar_quote(body: &str) -> String {
    let mut tag = "dddc".to_string();
    // (The usual case, a body without `$dddc$`, found without a copy.)
    if body.contains("$dddc$") {
        let mut n = 0;
        while body.contains(&format!("${tag}$")) {
            n += 1;
            tag = format!("dddc{n}");
        }
    }
    let mut out = String::with_capacity(body.len() + 2 * tag.len() + 4);
    for part in ["$", &tag, "$", body, "$", &tag, "$"] {
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_sorted_for_binary_search() {
        let mut sorted = KEYWORDS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, KEYWORDS);
    }

    /// The table finds exactly the keywords: each one, and nothing a letter
    /// off from one (before, after, longer, shorter).
    #[test]
    fn every_keyword_and_only_those_is_found_in_the_table() {
        for k in KEYWORDS {
            assert!(needs_quotes(k), "{k}");
            for near in [format!("{k}x"), format!("{k}_"), format!("a{k}"), k[..k.len() - 1].to_string()] {
                assert_eq!(needs_quotes(&near), KEYWORDS.binary_search(&near.as_str()).is_ok(), "{near}");
            }
        }
        assert_eq!(KEYWORD_SLOTS.iter().filter(|&&k| k != 0).count(), KEYWORDS.len());
        assert!(!needs_quotes("zz") && !needs_quotes("_all") && needs_quotes("") && needs_quotes("é"));
        assert_eq!(qualified("order", "a\"b"), "\"order\".\"a\"\"b\"");
    }

    #[test]
    fn identifiers_are_quoted_only_when_needed() {
        assert_eq!(ident("usuarios"), "usuarios");
        assert_eq!(ident("order"), "\"order\"");
        assert_eq!(ident("Email"), "\"Email\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(ident("_x1"), "_x1");
    }

    #[test]
    fn literals_double_quotes_and_backslashes() {
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal(r"a\b"), r"E'a\\b'");
        assert_eq!(literal("$$ */"), "'$$ */'");
        assert_eq!(literal(""), "''");
        assert_eq!(literal("'"), "''''");
        assert_eq!(literal(r"\'\"), r"E'\\''\\'");
        assert_eq!(literal("ñ'é"), "'ñ''é'");
        let mut pushed = String::from("x = ");
        push_literal(&mut pushed, "it's");
        assert_eq!(pushed, "x = 'it''s'");
    }

    #[test]
    fn dollar_quote_avoids_its_tag() {
        assert_eq!(dollar_quote("x"), "$dddc$x$dddc$");
        assert_eq!(dollar_quote("$dddc$"), "$dddc1$$dddc$$dddc1$");
    }
}
