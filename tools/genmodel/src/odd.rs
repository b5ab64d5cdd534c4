//! Models shaped unlike the benchmark's: one list of a model grows instead
//! of the number of aggregates (an aggregate with thousands of invariants,
//! indexes or entities, an enum of thousands of values, one used by every
//! aggregate, an enum per aggregate with a `@was` in the model, one
//! aggregate every other one references, a publication of every
//! aggregate, a role over every context, long doc comments, a rename of
//! every aggregate, a bounded context per aggregate, an outbox partitioned
//! by month on every aggregate, every aggregate audited and searchable,
//! a context per aggregate audited with a role reading the log and half
//! of them, tenant-scoped aggregates keyed by a code the application
//! supplies, a team's hand-written tenant columns turned into `tenant
//! by` (every supplied key swapped, every reference moved), value objects on every aggregate, a file per context), and one shaped like
//! a real model: the bundled MiToga's five
//! contexts copied `n` times. Each comes with an edit, so a
//! build that plans a change is measured too. `scripts/bench-shapes.sh`
//! runs them at three sizes and prints how the cost grows.

use std::fmt::Write;

/// The shapes, by the name `genmodel --odd` takes.
pub const SHAPES: &[&str] = &[
    "invariants",
    "indexes",
    "entities",
    "enum",
    "enum-uses",
    "was-enums",
    "hub",
    "publication",
    "role",
    "docs",
    "rename",
    "contexts",
    "events",
    "audited",
    "audit-readers",
    "keys",
    "tenant-adoption",
    "values",
    "files",
    "mitoga",
];

const HEADER: &str = "/// A generated model of an unusual shape (tools/genmodel/src/odd.rs).\n\
model odd {\n  target postgres 16\n  tables plural_en\n}\n\n";

/// `model.ddd` of `shape` at size `n`, before or after its edit; `None`
/// for an unknown shape.
pub fn model(shape: &str, n: usize, edited: bool) -> Option<String> {
    let mut s = String::from(HEADER);
    match shape {
        "invariants" => one_aggregate(&mut s, |s| {
            s.push_str("    /// A number.\n    n: int\n    /// Another.\n    m: int\n");
            for i in 0..n {
                let bound = if edited && i == n / 2 { i + 1 } else { i };
                let _ = writeln!(s, "    /// Rule {i}.\n    invariant rule{i}: n != {i} or m > {bound}");
            }
        }),
        "indexes" => one_aggregate(&mut s, |s| {
            for f in 0..60 {
                let _ = writeln!(s, "    /// Field {f}.\n    f{f}: int");
            }
            for k in 0..n {
                let second = if edited && k == n / 2 { (k / 60 + 1) % 60 } else { (k / 60) % 60 };
                let _ = writeln!(
                    s,
                    "    /// Index {k}.\n    index (f{}, f{second}, f{}) @name(ix_{k})",
                    k % 60,
                    (k / 3600) % 60
                );
            }
        }),
        "entities" => one_aggregate(&mut s, |s| {
            s.push_str("    /// A number.\n    n: int\n");
            for e in 0..n {
                let _ = writeln!(s, "    /// Part {e}.\n    entity Part{e} {{\n      /// A count.\n      x: int\n      /// A label.\n      y: text(20)?");
                if edited && e == n / 2 {
                    s.push_str("      /// Added by the edit.\n      z: int?\n");
                }
                s.push_str("    }\n");
            }
        }),
        "enum" => {
            s.push_str("/// The context.\ncontext c {\n  /// Many values.\n  enum Kind {\n");
            if edited {
                s.push_str("    /// Added by the edit, first.\n    KNEW\n");
            }
            for v in 0..n {
                let _ = writeln!(s, "    /// Value {v}.\n    K{v}");
            }
            s.push_str(
                "  }\n  /// The aggregate.\n  aggregate Thing {\n    /// Its kind.\n    kind: Kind = K0\n  }\n}\n",
            );
        }
        "enum-uses" => {
            // One shared enum of `n` values (a code list), each value the
            // default of one aggregate and named by its invariant.
            s.push_str("/// Codes.\nenum Code native {\n");
            for v in 0..n {
                let _ = writeln!(s, "  /// Code {v}.\n  K{v}");
            }
            s.push_str("}\n");
            contexts(&mut s, n, |s, a| {
                let _ = writeln!(
                    s,
                    "    /// Its code.\n    code: Code = K{a}\n    /// Not the next code.\n    invariant not_next: code != K{}",
                    (a + 1) % n
                );
                if edited && a == n / 2 {
                    s.push_str("    /// Added by the edit.\n    note: text(10)?\n");
                }
            });
        }
        "was-enums" => {
            // An enum of 20 values per aggregate, and the edit renames one
            // aggregate with `@was`: every build then looks for renamed
            // enum values.
            for c in 0..n.div_ceil(50) {
                let _ = writeln!(s, "/// Context {c}.\ncontext c{c} {{");
                for a in c * 50..n.min(c * 50 + 50) {
                    let _ = writeln!(s, "  /// Kind {a}.\n  enum Kind{a} native {{");
                    for v in 0..20 {
                        let _ = writeln!(s, "    /// Value {v}.\n    V{a}_{v}");
                    }
                    let name = if edited && a == n / 2 { format!("Renamed{a} @was(A{a})") } else { format!("A{a}") };
                    let _ = writeln!(s, "  }}\n  /// Aggregate {a}.\n  aggregate {name} {{\n    /// Its kind.\n    kind: Kind{a} = V{a}_0\n  }}");
                }
                s.push_str("}\n");
            }
        }
        "role" => {
            // A context per aggregate and a role that reads every one; the
            // edit adds a role that writes every one.
            for c in 0..n {
                let _ = writeln!(s, "/// Context {c}.\ncontext c{c} {{\n  /// Aggregate {c}.\n  aggregate A{c} {{\n    /// Name.\n    name: text(50)\n  }}\n}}");
            }
            let names: Vec<String> = (0..n).map(|c| format!("c{c}")).collect();
            let _ = writeln!(s, "/// Reads everything.\nrole reader {{\n  read {}\n}}", names.join(", "));
            if edited {
                let _ = writeln!(s, "/// Writes everything.\nrole writer {{\n  write {}\n}}", names.join(", "));
            }
        }
        "hub" => {
            s.push_str("/// The hub's context.\ncontext hub {\n  /// Every other aggregate references it.\n  aggregate Hub {\n    /// Name.\n    name: text(50)\n");
            if edited {
                s.push_str("    /// Added by the edit.\n    code: text(10)?\n");
            }
            s.push_str("  }\n}\n");
            contexts(&mut s, n, |s, _| {
                s.push_str("    /// The hub.\n    hub: ref hub.Hub\n    /// Name.\n    name: text(50)\n")
            });
        }
        "publication" => {
            contexts(&mut s, n, |s, _| s.push_str("    /// Name.\n    name: text(50)\n"));
            let names: Vec<String> = (0..n.div_ceil(50)).map(|c| format!("c{c}")).collect();
            let _ = writeln!(s, "/// Reads everything.\nrole reader {{\n  read {}\n}}", names.join(", "));
            let items: Vec<String> =
                (0..n).filter(|a| !(edited && *a == n / 2)).map(|a| format!("c{}.A{a}", a / 50)).collect();
            let _ = writeln!(s, "/// Every aggregate.\npublication everything {{ {} }}", items.join(", "));
        }
        "docs" => {
            let doc = |s: &mut String, indent: &str, what: &str, lines: usize, a: usize| {
                for l in 0..lines {
                    let _ = writeln!(
                        s,
                        "{indent}/// {what}, line {l}: prose with `code`, **bold**, a [link](https://example.com/{a}/{l}) and ñ, ü, €."
                    );
                }
            };
            for c in 0..n.div_ceil(50) {
                doc(&mut s, "", "Context", 20, c);
                let _ = writeln!(s, "context c{c} {{");
                for a in c * 50..n.min(c * 50 + 50) {
                    doc(&mut s, "  ", "Aggregate", 20, a);
                    let _ = writeln!(s, "  aggregate A{a} {{");
                    for f in 0..4 {
                        let what = if edited && a == n / 2 && f == 0 { "Edited field" } else { "Field" };
                        doc(&mut s, "    ", what, 5, a);
                        let _ = writeln!(s, "    f{f}: text(50)?");
                    }
                    s.push_str("  }\n");
                }
                s.push_str("}\n");
            }
        }
        "rename" => {
            let name = |a: usize| if edited { format!("Renamed{a}") } else { format!("A{a}") };
            for c in 0..n.div_ceil(50) {
                let _ = writeln!(s, "/// Context {c}.\ncontext c{c} {{");
                for a in c * 50..n.min(c * 50 + 50) {
                    let was = if edited { format!(" @was(A{a})") } else { String::new() };
                    let _ = writeln!(s, "  /// Aggregate {a}.\n  aggregate {}{was} {{\n    /// Name.\n    name: text(50)\n    /// A number.\n    n: int = 0", name(a));
                    if a > 0 {
                        let p = a - 1;
                        let _ = writeln!(s, "    /// The one before.\n    previous: ref c{}.{}?", p / 50, name(p));
                    }
                    let _ = writeln!(s, "    /// Numbers are not negative.\n    invariant positive: n >= 0\n    /// By name.\n    index (name)\n  }}");
                }
                s.push_str("}\n");
            }
        }
        "contexts" => {
            // Many small contexts, as a model split by team or by service
            // may be: a schema, a diagram and a section of each document
            // per aggregate.
            for c in 0..n {
                let _ = writeln!(s, "/// Context {c}: one aggregate.\ncontext c{c} {{\n  /// Aggregate {c}.\n  aggregate A{c} {{\n    /// Name.\n    name: text(50)");
                if c > 0 {
                    let _ = writeln!(s, "    /// The one before.\n    previous: ref c{}.A{}?", c - 1, c - 1);
                }
                if edited && c == n / 2 {
                    s.push_str("    /// Added by the edit.\n    code: text(10)?\n");
                }
                s.push_str("  }\n}\n");
            }
        }
        "events" => {
            // Every aggregate with an outbox partitioned by month over two
            // years (25 tables each, with the DEFAULT partition); the edit
            // adds an event to the middle one's list.
            contexts(&mut s, n, |s, a| {
                s.push_str("    /// Name.\n    name: text(50)\n    /// What happened to it.\n    events outbox monthly from 2025-01 to 2026-12 {\n      CREATED\n      CLOSED\n");
                if edited && a == n / 2 {
                    s.push_str("      REOPENED\n");
                }
                s.push_str("    }\n");
            });
        }
        "audited" => {
            // Every aggregate audited and searchable: a trigger per table
            // on one shared, partitioned audit log, and a generated
            // `tsvector` column with its GIN index.
            s = s.replace(
                "  tables plural_en\n",
                "  tables plural_en\n  audit_log c0.audit_events monthly from 2025-01 to 2026-12\n",
            );
            contexts(&mut s, n, |s, a| {
                s.push_str("    audited\n    /// Name.\n    name: text(50)\n    /// About it.\n    about: text?\n    search english (name A, about B)\n");
                if edited && a == n / 2 {
                    s.push_str("    /// Added by the edit.\n    code: text(10)?\n");
                }
            });
        }
        "audit-readers" => {
            // A context per aggregate, each audited, the log in a context of
            // its own, and a role that reads the log and half the contexts:
            // W0004 names the other half (a list of them searched per
            // aggregate grew with the square of the contexts). The edit
            // grants the role one more.
            s = s.replace(
                "  tables plural_en\n",
                "  tables plural_en\n  audit_log trail.log monthly from 2025-01 to 2026-12\n",
            );
            s.push_str("/// The audit trail.\ncontext trail {\n}\n");
            for c in 0..n {
                let _ = writeln!(s, "/// Context {c}.\ncontext c{c} {{\n  /// Aggregate {c}.\n  aggregate A{c} {{\n    audited\n    /// Name.\n    name: text(50)\n  }}\n}}");
            }
            let granted = n / 2 + usize::from(edited);
            let names: Vec<String> = (0..granted).map(|c| format!("c{c}")).collect();
            let _ = writeln!(
                s,
                "/// Reads the trail and half the contexts.\nrole reader {{\n  read trail, {}\n}}",
                names.join(", ")
            );
        }
        "keys" => {
            // Tenant-scoped contexts whose aggregates the application keys
            // (`key (code)`, so `(tenant_id, code)`). The edit widens every
            // key: each table's primary key is replaced, its index built
            // concurrently and swapped in (one online migration).
            let key = if edited { "key (code, part)" } else { "key (code)" };
            contexts(&mut s, n, |s, _| {
                let _ = write!(
                    s,
                    "    /// The code the application gives it.\n    code: text(20)\n    /// A second part of the key.\n    part: int\n    /// Shown.\n    label: text(80)\n    {key}\n"
                );
            });
            s = s.replace(" {\n  /// Aggregate ", " {\n  tenant by tenant_id\n  /// Aggregate ");
        }
        "tenant-adoption" => {
            // Contexts whose `tenant_id` the team wrote by hand, each
            // aggregate keyed by a code the application supplies and
            // referencing the one before it. The edit adopts `tenant by`:
            // every key becomes `(tenant_id, code)`, swapped in online,
            // and every reference moves onto it inside the swap.
            contexts(&mut s, n, |s, a| {
                if !edited {
                    s.push_str("    /// Whose row it is.\n    tenant_id: uuid\n");
                }
                s.push_str("    /// The code the application gives it.\n    code: text(20)\n    /// Shown.\n    label: text(80)\n");
                if a % 50 != 0 {
                    let _ = writeln!(s, "    /// The one before it.\n    prev: ref A{}", a - 1);
                }
                s.push_str("    key (code)\n");
            });
            if edited {
                s = s.replace(" {\n  /// Aggregate ", " {\n  tenant by tenant_id\n  /// Aggregate ");
            }
        }
        "values" => {
            // Value objects every aggregate embeds: an address (with a
            // nested one and an invariant) twice, a checked single-column
            // value, and a list of phones (an element table each). The edit
            // adds a part to the address: two columns on every table.
            s.push_str("/// Shared values.\ncontext shared {\n  /// A point.\n  value Geo {\n    /// Latitude.\n    lat: decimal(9, 6)\n    /// Longitude.\n    lon: decimal(9, 6)\n  }\n  /// A postal address.\n  value Address {\n    /// Street.\n    street: text(100)\n    /// City.\n    city: text(50)\n    /// ISO country.\n    country: char(2)\n    /// Where it is.\n    geo: Geo?\n");
            if edited {
                s.push_str("    /// Added by the edit.\n    region: text(50)?\n");
            }
            s.push_str("    /// Upper-case country codes.\n    invariant country_upper: country matches /^[A-Z]{2}$/\n  }\n  /// An e-mail address.\n  value Email: text(255) check matches /^[^@ ]+@[^@ ]+$/\n  /// A phone.\n  value Phone {\n    /// Kind.\n    kind: text(10)\n    /// Number.\n    number: text(20)\n  }\n}\n");
            contexts(&mut s, n, |s, _| {
                s.push_str("    /// Home.\n    home: shared.Address?\n    /// Work.\n    work: shared.Address\n    /// Contact.\n    email: shared.Email\n    /// Phones.\n    phones: shared.Phone[]\n");
            });
        }
        _ => return None,
    }
    Some(s)
}

/// The files of `shape` at size `n`, before or after its edit: a model and
/// the files it includes. Most shapes are one `model.ddd`; `mitoga` and
/// `files` are a file per context.
pub fn files(shape: &str, n: usize, edited: bool) -> Result<Vec<(String, String)>, String> {
    match shape {
        "mitoga" => mitoga(n, edited),
        "files" => Ok(file_per_context(n, edited)),
        _ => Ok(vec![(
            "model.ddd".to_string(),
            model(shape, n, edited)
                .ok_or_else(|| format!("unknown shape `{shape}` (one of: {})", SHAPES.join(", ")))?,
        )]),
    }
}

/// A context of one aggregate per file, each referencing the one before
/// it in its own file, all included by `model.ddd`: a model split by team,
/// a file each. The edit adds a field to the middle file.
fn file_per_context(n: usize, edited: bool) -> Vec<(String, String)> {
    let mut model = String::from(HEADER);
    let mut files = Vec::with_capacity(n + 1);
    for c in 0..n {
        let _ = writeln!(model, "include \"contexts/c{c}.ddd\"");
        let mut s = format!("/// Context {c}: one aggregate, a file of its own.\ncontext c{c} {{\n  /// Aggregate {c}.\n  aggregate A{c} {{\n    /// Name.\n    name: text(50)\n");
        if c > 0 {
            let _ = writeln!(s, "    /// The one before.\n    previous: ref c{}.A{}?", c - 1, c - 1);
        }
        if edited && c == n / 2 {
            s.push_str("    /// Added by the edit.\n    code: text(10)?\n");
        }
        s.push_str("  }\n}\n");
        files.push((format!("contexts/c{c}.ddd"), s));
    }
    files.insert(0, ("model.ddd".to_string(), model));
    files
}

/// MiToga's contexts as `examples/mitoga` has them, in the order it
/// includes them.
const MITOGA: [(&str, &str); 5] = [
    ("autenticacion", include_str!("../../../examples/mitoga/contexts/autenticacion.ddd")),
    ("marketplace", include_str!("../../../examples/mitoga/contexts/marketplace.ddd")),
    ("reservas", include_str!("../../../examples/mitoga/contexts/reservas.ddd")),
    ("pagos", include_str!("../../../examples/mitoga/contexts/pagos.ddd")),
    ("auditoria", include_str!("../../../examples/mitoga/contexts/auditoria.ddd")),
];

/// The bundled MiToga (11 aggregates, every construct of the language, a
/// doc comment nearly everywhere) with its five contexts copied `n` times:
/// copy `k` > 0 renames each context `name_k`, and every mention of it.
/// As MiToga is, a file per context (`contexts/<name>.ddd`) included by
/// `model.ddd`, whose model block, roles, publication and shared kernel
/// stay as they are. The edit adds a field to the middle copy's `Reserva`.
pub fn mitoga(n: usize, edited: bool) -> Result<Vec<(String, String)>, String> {
    let root = include_str!("../../../examples/mitoga/mitoga.ddd");
    let mut model: String = root.lines().filter(|l| !l.starts_with("include ")).flat_map(|l| [l, "\n"]).collect();
    let mut files = Vec::new();
    for k in 0..n.max(1) {
        for (name, text) in MITOGA {
            let (file, mut copy) =
                if k == 0 { (name.to_string(), text.to_string()) } else { (format!("{name}_{k}"), suffixed(text, k)) };
            if edited && k == n / 2 && name == "reservas" {
                let at = "    cancelada_at: timestamp? /// Momento de la cancelación.\n";
                let i = copy
                    .find(at)
                    .ok_or("examples/mitoga/contexts/reservas.ddd no longer has the line the edit follows")?;
                copy.insert_str(i + at.len(), "    /// Added by the edit.\n    nota_interna: text(200)?\n");
            }
            let _ = writeln!(model, "include \"contexts/{file}.ddd\"");
            files.push((format!("contexts/{file}.ddd"), copy));
        }
    }
    files.insert(0, ("model.ddd".to_string(), model));
    Ok(files)
}

/// `text` with each of MiToga's context names, as a whole word, followed
/// by `_k`.
fn suffixed(text: &str, k: usize) -> String {
    let mut out = String::with_capacity(text.len() + 256);
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        out.push_str(word);
        if MITOGA.iter().any(|(name, _)| name == word) {
            let _ = write!(out, "_{k}");
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// One context holding one aggregate whose body `body` writes.
fn one_aggregate(s: &mut String, body: impl FnOnce(&mut String)) {
    s.push_str("/// The context.\ncontext c {\n  /// The aggregate.\n  aggregate Big {\n");
    body(s);
    s.push_str("  }\n}\n");
}

/// `n` documented aggregates `A0`… in contexts `c0`… of 50, each body
/// written by `body`.
fn contexts(s: &mut String, n: usize, body: impl Fn(&mut String, usize)) {
    for c in 0..n.div_ceil(50) {
        let _ = writeln!(s, "/// Context {c}.\ncontext c{c} {{");
        for a in c * 50..n.min(c * 50 + 50) {
            let _ = writeln!(s, "  /// Aggregate {a}.\n  aggregate A{a} {{");
            body(s, a);
            s.push_str("  }\n");
        }
        s.push_str("}\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three copies: the model and fifteen context files; the second copy
    /// renames its contexts and every mention of them, whole words only;
    /// the edit changes the middle copy's `reservas` alone.
    #[test]
    fn mitoga_copies_rename_their_contexts_and_the_edit_touches_one() {
        let plain = mitoga(3, false).unwrap();
        let edited = mitoga(3, true).unwrap();
        assert_eq!(plain.len(), 16);
        assert!(plain[0].1.contains("include \"contexts/reservas_2.ddd\"\n"));
        let copy = &plain.iter().find(|(p, _)| p == "contexts/reservas_1.ddd").unwrap().1;
        assert!(copy.contains("context reservas_1 {") && copy.contains("ref marketplace_1.Tutor"), "{copy}");
        assert!(!copy.contains("marketplace.") && !copy.contains("context reservas {"));
        let changed: Vec<&str> = plain.iter().zip(&edited).filter(|(a, b)| a != b).map(|(a, _)| a.0.as_str()).collect();
        assert_eq!(changed, ["contexts/reservas_1.ddd"]);
        assert_eq!(
            suffixed("reservas reservasx xreservas reservas.X", 4),
            "reservas_4 reservasx xreservas reservas_4.X"
        );
    }
}
