//! L005 `too-many-columns`.

use crate::lint::context::{Ctx, Finding};
use crate::relational::TableKind;

/// More columns than this is a smell (the seed's threshold).
pub(crate) const MAX_COLUMNS: usize = 20;

rule_docs! {
    /// # L005: too-many-columns
    ///
    /// ## What it does
    /// Flags a table of an aggregate root, an entity or a value-object list
    /// with more than 20 columns in the emitted schema. Every column counts:
    /// `id`, the tenant column, parent links, each column of an embedded value
    /// object, the search vector, `created_at`, `updated_at` and `deleted_at`.
    /// Event and audit tables, whose shape the compiler fixes, are not checked.
    ///
    /// ## Why
    /// The seed's smell "Tablas con >20 columnas (considerar splitting)". A
    /// wide table usually mixes several concepts: columns that are read
    /// together and change together belong to one entity, the rest to another.
    /// Wide rows also make every update rewrite more bytes and fit fewer rows
    /// per page.
    ///
    /// ## Example
    /// ```ddd
    /// value Direccion {
    ///   calle: text(200)
    ///   ciudad: text(100)
    ///   codigo_postal: text(10)
    ///   pais: char(2)
    /// }
    ///
    /// context crm {
    ///   /// Cliente con todo junto.
    ///   aggregate Cliente {
    ///     nombre: text(100)
    ///     apellidos: text(100)
    ///     email: text(255)
    ///     telefono: text(20)
    ///     envio: Direccion
    ///     facturacion: Direccion
    ///     empresa: text(200)?
    ///     cif: text(20)?
    ///     notas: text?
    ///     newsletter: bool = false
    ///     idioma: char(2)
    ///     fecha_alta: date
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// Split what changes or is read apart into an entity (one-to-one with
    /// `entity X one`) or into an aggregate of its own.
    /// ```ddd
    /// value Direccion {
    ///   calle: text(200)
    ///   ciudad: text(100)
    ///   codigo_postal: text(10)
    ///   pais: char(2)
    /// }
    ///
    /// context crm {
    ///   /// Cliente.
    ///   aggregate Cliente {
    ///     nombre: text(100)
    ///     apellidos: text(100)
    ///     email: text(255)
    ///     telefono: text(20)
    ///     envio: Direccion
    ///     newsletter: bool = false
    ///     idioma: char(2)
    ///     fecha_alta: date
    ///
    ///     /// Datos fiscales, solo para clientes que piden factura.
    ///     entity Facturacion one {
    ///       direccion: Direccion
    ///       empresa: text(200)
    ///       cif: text(20)
    ///     }
    ///   }
    /// }
    /// ```
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for t in &cx.schema.tables {
        if !matches!(t.kind, TableKind::AggregateRoot | TableKind::Entity | TableKind::ValueList)
            || t.columns.len() <= MAX_COLUMNS
        {
            continue;
        }
        out.push(
            Finding::new(
                t.origin.0,
                format!(
                    "table `{}` has {} columns (more than {MAX_COLUMNS})",
                    t.qualified(),
                    t.columns.len()
                ),
            )
            .label(format!("{} columns", t.columns.len()))
            .help("move fields that are read or changed apart into an entity (`entity X one` for one-to-one) or an aggregate of their own"),
        );
    }
}
