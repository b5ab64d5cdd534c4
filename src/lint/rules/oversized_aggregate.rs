//! L008 `oversized-aggregate`.

use crate::lint::context::{Ctx, Finding};

/// More entities than this in one aggregate is a smell.
pub(crate) const MAX_ENTITIES: usize = 5;

rule_docs! {
    /// # L008: oversized-aggregate
    ///
    /// ## What it does
    /// Flags an aggregate with more than 5 entities below its root, counted at
    /// every depth (value objects and value-object lists do not count).
    ///
    /// ## Why
    /// An aggregate is a consistency boundary: everything in it is loaded,
    /// locked and saved together, and deleting the root cascades to all of it.
    /// A large aggregate means long transactions, lock contention on the root
    /// and cascades that touch many tables. Usually some of the entities have
    /// a life of their own and are better as aggregates that reference the
    /// root by `ref`.
    ///
    /// ## Example
    /// ```ddd
    /// context escuela {
    ///   /// Curso con todo dentro.
    ///   aggregate Curso {
    ///     nombre: text(100)
    ///     entity Leccion { titulo: text(100) }
    ///     entity Tarea { enunciado: text }
    ///     entity Entrega { nota: smallint? }
    ///     entity Foro { tema: text(100) }
    ///     entity Mensaje { cuerpo: text }
    ///     entity Inscripcion { alumno: text(100) }
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// Keep inside only what must change atomically with the root; make the
    /// rest aggregates of their own that reference it.
    /// ```ddd
    /// context escuela {
    ///   /// Curso y su temario.
    ///   aggregate Curso {
    ///     nombre: text(100)
    ///     entity Leccion { titulo: text(100) }
    ///     entity Tarea { enunciado: text }
    ///   }
    ///   /// Alumno inscrito en un curso, con sus entregas.
    ///   aggregate Inscripcion {
    ///     curso: ref Curso
    ///     alumno: text(100)
    ///     entity Entrega { nota: smallint? }
    ///   }
    ///   /// Foro de un curso.
    ///   aggregate Foro {
    ///     curso: ref Curso
    ///     tema: text(100)
    ///     entity Mensaje { cuerpo: text }
    ///   }
    /// }
    /// ```
}

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for a in &cx.model.aggregates {
        let entities = a.root.walk().len() - 1;
        if entities <= MAX_ENTITIES {
            continue;
        }
        let names: Vec<String> = a.root.walk()[1..].iter().map(|e| format!("`{}`", e.name)).collect();
        out.push(
            Finding::new(
                a.root.span,
                format!("aggregate `{}` has {entities} entities (more than {MAX_ENTITIES})", a.name),
            )
            .label(format!("{entities} entities in one consistency boundary"))
            .note(format!("entities: {}", names.join(", ")))
            .help("keep inside only what must change atomically with the root; make the rest aggregates that `ref` it"),
        );
    }
}
