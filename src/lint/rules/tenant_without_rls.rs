//! L011 `tenant-without-rls`.

use crate::lint::context::{Ctx, Finding, Owner};

rule_docs! {
    /// # L011: tenant-without-rls
    ///
    /// ## What it does
    /// Flags multi-tenant data that row-level security does not protect:
    ///
    /// - in a context where some aggregates are `tenant_scoped` and others are
    ///   not, each aggregate that is not (reported with the scoped ones as
    ///   context);
    /// - an aggregate that is not tenant-scoped but has a field of its own
    ///   named like a tenant column (`tenant_id`, `tenant`, `inquilino_id`,
    ///   or the column a context's `tenant by` uses): tenancy written by hand,
    ///   without the policy;
    /// - a table of a tenant-scoped aggregate that the emitted schema leaves
    ///   without `ENABLE ROW LEVEL SECURITY`.
    ///
    /// ## Why
    /// The seed's checklist: "Row-Level Security (RLS) si multi-tenant". A
    /// tenant-scoped aggregate gets `tenant_id`, RLS and the
    /// `tenant_isolation` policy, so one tenant never reads another's rows even
    /// when the application forgets a `WHERE`. A neighbour without it, or a
    /// hand-made `tenant_id` column, relies on every query remembering the
    /// filter: one forgotten `WHERE` leaks data across tenants.
    ///
    /// ## Example
    /// ```ddd
    /// context academia {
    ///   /// Curso de una academia.
    ///   aggregate Curso {
    ///     nombre: text(100)
    ///     tenant_scoped
    ///   }
    ///   /// Profesor de una academia.
    ///   aggregate Profesor {
    ///     tenant_id: uuid
    ///     nombre: text(100)
    ///   }
    /// }
    /// ```
    ///
    /// ## Fix
    /// Scope the whole context with `tenant by tenant_id` (or mark every
    /// aggregate `tenant_scoped`); move shared, tenant-less data to a context
    /// of its own.
    /// ```ddd
    /// context academia {
    ///   tenant by tenant_id
    ///   /// Curso de una academia.
    ///   aggregate Curso {
    ///     nombre: text(100)
    ///   }
    ///   /// Profesor de una academia.
    ///   aggregate Profesor {
    ///     nombre: text(100)
    ///   }
    /// }
    /// ```
}

const TENANT_NAMES: &[&str] = &["tenant_id", "tenant", "inquilino_id", "inquilino"];

pub(crate) fn check(cx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let m = cx.model;
    // Mixed contexts.
    let mut by_context: Vec<Vec<&crate::model::Aggregate>> = vec![Vec::new(); m.contexts.len()];
    for a in &m.aggregates {
        if let Some(list) = by_context.get_mut(a.context.0) {
            list.push(a);
        }
    }
    for (c, aggs) in m.contexts.iter().zip(&by_context) {
        let scoped: Vec<_> = aggs.iter().filter(|a| a.tenant.is_some()).collect();
        if scoped.is_empty() || scoped.len() == aggs.len() {
            continue;
        }
        for a in aggs.iter().filter(|a| a.tenant.is_none()) {
            let mut f = Finding::new(
                a.root.span,
                format!(
                    "aggregate `{}` is not tenant-scoped, but context `{}` holds tenant-scoped aggregates",
                    a.name, c.name
                ),
            )
            .label("no `tenant_id`, no row-level security")
            .help(format!(
                "mark it `tenant_scoped` (or scope the context with `tenant by tenant_id`); move shared data out of `{}`",
                c.name
            ));
            for s in scoped.iter().take(3) {
                f = f.secondary(s.root.span, "tenant-scoped");
            }
            out.push(f);
        }
    }
    // Tenancy by hand.
    // A set: every context may say `tenant by` (the same name, mostly),
    // and each field is looked up twice.
    let mut names: std::collections::HashSet<&str> = TENANT_NAMES.iter().copied().collect();
    names.extend(m.contexts.iter().filter_map(|c| c.tenant_by.as_deref()));
    for site in cx.fields() {
        let Owner::Entity(owner) = site.owner else {
            continue;
        };
        let f = site.field;
        if owner.aggregate.tenant.is_some() || !(names.contains(f.name.as_str()) || names.contains(f.column.as_str())) {
            continue;
        }
        out.push(
            Finding::new(
                f.span,
                format!(
                    "`{}` looks like a tenant column, but aggregate `{}` is not tenant-scoped",
                    f.name, owner.aggregate.name
                ),
            )
            .label("tenancy by hand: no row-level security policy")
            .help(format!(
                "remove the field and mark `{}` `tenant_scoped` (or use `tenant by` on the context): the compiler adds the column, RLS and the policy",
                owner.aggregate.name
            )),
        );
    }
    // Tables of scoped aggregates left without RLS.
    let scoped_paths: std::collections::HashSet<String> = m
        .aggregates
        .iter()
        .filter(|a| a.tenant.is_some())
        .map(|a| format!("{}.{}", m.contexts[a.context.0].name, a.name))
        .collect();
    for t in &cx.schema.tables {
        let Some(agg) = t.aggregate.as_deref() else {
            continue;
        };
        let scoped = scoped_paths.contains(agg);
        if scoped && !t.row_level_security {
            out.push(
                Finding::new(
                    t.origin.0,
                    format!("table `{}` of a tenant-scoped aggregate has no row-level security", t.qualified()),
                )
                .label("no `ENABLE ROW LEVEL SECURITY`")
                .help("this is a compiler bug: tenant-scoped aggregates get RLS on every table; report it"),
            );
        }
    }
}
