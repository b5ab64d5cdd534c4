//! L012 `value-object-identity`.

use crate::lint::context::{Ctx, Finding};
use crate::model::{FieldType, Scalar, ValueShape};

rule_docs! {
    /// # L012: value-object-identity
    ///
    /// ## What it does
    /// Flags a field of a multi-field value object that looks like an
    /// identity: it is named `uuid`, `guid`, `codigo`, `code`, `identificador`,
    /// `identifier`, `key` or `clave`, its name ends in `_id` or `_uuid`, or
    /// its type is `uuid`. (A field called `id` is already a compile error.)
    ///
    /// ## Why
    /// A value object is defined by its values and has no identity: two equal
    /// addresses are the same address. A field that identifies something says
    /// that either the value object is really an entity (it has a life and an
    /// identity of its own: make it one) or that it smuggles a reference to an
    /// aggregate without `ref` (no foreign key, no index, no type checking).
    ///
    /// ## Example
    /// ```ddd
    /// value LineaPedido {
    ///   producto_id: uuid
    ///   cantidad: int
    /// }
    ///
    /// context ventas {
    ///   /// Pedido.
    ///   aggregate Pedido {
    ///     lineas: LineaPedido[]
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// Make it an entity of the aggregate, with a real `ref` to what it points
    /// at.
    /// ```ddd
    /// context ventas {
    ///   /// Producto.
    ///   aggregate Producto {
    ///     nombre: text(100)
    ///   }
    ///   /// Pedido.
    ///   aggregate Pedido {
    ///     entity Linea {
    ///       producto: ref Producto
    ///       cantidad: int
    ///     }
    ///   }
    /// }
    /// ```
}

const IDENTITY_NAMES: &[&str] = &["uuid", "guid", "codigo", "code", "identificador", "identifier", "key", "clave"];

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for v in &cx.model.values {
        let ValueShape::Fields { fields, .. } = &v.shape else {
            continue;
        };
        for f in fields {
            let n = f.name.to_ascii_lowercase();
            let by_name = IDENTITY_NAMES.contains(&n.as_str()) || n.ends_with("_id") || n.ends_with("_uuid");
            let by_type = f.ty == FieldType::Scalar(Scalar::Uuid);
            if !(by_name || by_type) {
                continue;
            }
            let why = if by_type && !by_name {
                "a `uuid` identifies something".to_string()
            } else {
                format!("`{}` reads like an identity", f.name)
            };
            out.push(
                Finding::new(
                    f.span,
                    format!("value object `{}` has an identity-like field `{}`", v.name, f.name),
                )
                .label(why)
                .secondary(v.span, "value objects have no identity")
                .help("if it points at an aggregate, make the owner an entity with a `ref`; if it identifies the value itself, make it an entity"),
            );
        }
    }
}
