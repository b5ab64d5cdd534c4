//! Generated names (§11): table names from type names, constraint and index
//! names, and the 63-byte rule.

use sha2::{Digest, Sha256};

use crate::model::{snake_case, TableNaming};

/// PostgreSQL keeps 63 bytes of an identifier (NAMEDATALEN − 1).
pub const MAX_IDENTIFIER: usize = 63;

/// A generated name that fits: longer than 63 bytes, it keeps its first 54
/// bytes (cut on a character boundary) and ends in `_` plus the first 8 hex
/// digits of the SHA-256 of the full name.
pub fn fit(name: &str) -> String {
    if name.len() <= MAX_IDENTIFIER {
        return name.to_string();
    }
    let mut cut = 54;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    let digest = Sha256::digest(name.as_bytes());
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("{}_{hex}", &name[..cut])
}

/// The table name of a type under the model's naming rule:
/// `Usuario` → `usuario` (snake), `usuarios` (plural_es), `usuarios` (plural_en).
pub fn table_name(type_name: &str, rule: TableNaming) -> String {
    let snake = snake_case(type_name);
    match rule {
        TableNaming::Snake => snake,
        TableNaming::PluralEn => pluralize_last(&snake, plural_en),
        TableNaming::PluralEs => pluralize_last(&snake, plural_es),
    }
}

fn pluralize_last(snake: &str, f: fn(&str) -> String) -> String {
    match snake.rsplit_once('_') {
        Some((head, last)) if !last.is_empty() => format!("{head}_{}", f(last)),
        _ => f(snake),
    }
}

/// English plural of one lower-case word.
pub fn plural_en(w: &str) -> String {
    const IRREGULAR: &[(&str, &str)] = &[
        ("person", "people"),
        ("child", "children"),
        ("man", "men"),
        ("woman", "women"),
        ("mouse", "mice"),
        ("datum", "data"),
        ("index", "indexes"),
        ("status", "statuses"),
    ];
    if let Some((_, p)) = IRREGULAR.iter().find(|(s, _)| *s == w) {
        return (*p).to_string();
    }
    let ends = |s: &str| w.ends_with(s);
    if ends("s") || ends("x") || ends("z") || ends("ch") || ends("sh") {
        format!("{w}es")
    } else if ends("y") && !w[..w.len() - 1].ends_with(['a', 'e', 'i', 'o', 'u']) {
        format!("{}ies", &w[..w.len() - 1])
    } else {
        format!("{w}s")
    }
}

/// Spanish plural of one lower-case word (written without accents, as
/// identifiers are ASCII): vowel → +s; `z` → `ces`; `-is` unchanged
/// (`analisis`, `crisis`); other consonants → +es (`tutor` → `tutores`,
/// `sesion` → `sesiones`).
pub fn plural_es(w: &str) -> String {
    if w.ends_with(['a', 'e', 'i', 'o', 'u']) {
        format!("{w}s")
    } else if let Some(stem) = w.strip_suffix('z') {
        format!("{stem}ces")
    } else if w.ends_with("is") || w.ends_with("us") && w.len() > 4 {
        w.to_string()
    } else {
        format!("{w}es")
    }
}

/// `<cols>` of a generated name: items joined by `_`; an expression item
/// contributes its function and column names (`lower(email)` → `lower_email`).
pub fn cols_part(items: &[String]) -> String {
    items
        .iter()
        .map(|i| {
            i.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| !w.is_empty() && !is_sql_noise(w))
                .collect::<Vec<_>>()
                .join("_")
        })
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

fn is_sql_noise(w: &str) -> bool {
    matches!(w.to_ascii_uppercase().as_str(), "AS" | "CAST" | "CURRENT_TIMESTAMP" | "TRUE" | "FALSE" | "NULL")
        || w.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plural_rules() {
        assert_eq!(table_name("Usuario", TableNaming::PluralEs), "usuarios");
        assert_eq!(table_name("Tutor", TableNaming::PluralEs), "tutores");
        assert_eq!(table_name("Sesion", TableNaming::PluralEs), "sesiones");
        assert_eq!(table_name("Lapiz", TableNaming::PluralEs), "lapices");
        assert_eq!(table_name("Analisis", TableNaming::PluralEs), "analisis");
        assert_eq!(table_name("EstadoUsuario", TableNaming::PluralEs), "estado_usuarios");
        assert_eq!(table_name("Category", TableNaming::PluralEn), "categories");
        assert_eq!(table_name("Box", TableNaming::PluralEn), "boxes");
        assert_eq!(table_name("Day", TableNaming::PluralEn), "days");
        assert_eq!(table_name("OrderLine", TableNaming::Snake), "order_line");
    }

    #[test]
    fn long_names_are_cut_and_hashed() {
        let long = "a".repeat(70);
        let fitted = fit(&long);
        assert_eq!(fitted.len(), 63);
        assert!(fitted.starts_with(&"a".repeat(54)));
        assert_eq!(fit("short"), "short");
        // A multi-byte character straddling byte 54 is not split.
        let s = format!("{}ñ{}", "a".repeat(53), "b".repeat(20));
        assert!(fit(&s).starts_with(&"a".repeat(53)));
        assert!(fit(&s).len() <= 63);
    }

    #[test]
    fn cols_of_expressions() {
        assert_eq!(cols_part(&["lower(email)".into()]), "lower_email");
        assert_eq!(cols_part(&["estado".into(), "email".into()]), "estado_email");
    }
}

/// The name of a partition's own copy of a partitioned table's index or
/// constraint index (§11: no name is left to PostgreSQL, whose choice would
/// depend on the order the indexes were created in): the table's name inside
/// the index name becomes the partition's (`idx_eventos_occurred_at` →
/// `idx_eventos_2025_11_occurred_at`), or, when the index name does not
/// contain it, the partition's suffix is appended.
pub fn partition_index_name(index: &str, table: &str, partition: &str) -> String {
    let name = match index.find(table) {
        Some(at) => [&index[..at], partition, &index[at + table.len()..]].concat(),
        None => {
            let suffix = partition.strip_prefix(table).and_then(|s| s.strip_prefix('_')).unwrap_or(partition);
            [index, "_", suffix].concat()
        }
    };
    // (One allocation when it fits, as nearly every name does.)
    if name.len() <= MAX_IDENTIFIER {
        name
    } else {
        fit(&name)
    }
}

/// Every index a partition holds for its table: `(parent index, partition,
/// name)`, the primary key and unique constraints included. (A model with
/// monthly partitions has thousands: `validate` of MiToga's contexts
/// copied 180 times spent a tenth of its time naming them, with a copy of
/// the two names borrowed here.)
pub fn partition_indexes(t: &super::Table) -> Vec<(&str, &str, String)> {
    let Some(p) = &t.partitioning else { return Vec::new() };
    let parents: Vec<&str> = t
        .primary_key
        .iter()
        .map(|pk| pk.name.as_str())
        .chain(t.uniques.iter().map(|u| u.name.as_str()))
        .chain(t.indexes.iter().map(|i| i.name.as_str()))
        .collect();
    let mut out = Vec::with_capacity(p.partitions.len() * parents.len());
    for part in &p.partitions {
        for parent in &parents {
            out.push((*parent, part.name.as_str(), partition_index_name(parent, &t.name, &part.name)));
        }
    }
    out
}

#[cfg(test)]
mod partition_tests {
    use super::*;

    #[test]
    fn partition_index_names_follow_the_partition() {
        assert_eq!(
            partition_index_name(
                "idx_reservas_eventos_occurred_at_brin",
                "reservas_eventos",
                "reservas_eventos_2025_11"
            ),
            "idx_reservas_eventos_2025_11_occurred_at_brin"
        );
        assert_eq!(partition_index_name("ventas_pkey", "ventas", "ventas_es"), "ventas_es_pkey");
        assert_eq!(partition_index_name("idx_busqueda", "ventas", "ventas_p3"), "idx_busqueda_p3");
        assert!(partition_index_name(&"x".repeat(60), "ventas", "ventas_default").len() <= MAX_IDENTIFIER);
    }
}
