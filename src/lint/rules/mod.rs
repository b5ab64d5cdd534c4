//! The rules, one per file. Each file opens with the rule's doc comment —
//! its documentation, served by `dddc explain` and collected into
//! `docs/lint-rules.md` — and has one `check` function. The table below holds
//! each rule's metadata; its order is code order.
//!
//! Codes are stable: a retired rule keeps its code forever, a new rule takes
//! the next free one.

use super::context::{Ctx, Finding};
use crate::diagnostics::Severity;

/// Keeps a rule's doc comment as data (`DOCS`, one line each) and as the
/// rustdoc of that constant, so the comment *is* the documentation.
macro_rules! rule_docs {
    ($(#[doc = $line:literal])*) => {
        $(#[doc = $line])*
        pub(crate) const DOCS: &[&str] = &[$($line),*];
    };
}

mod aggregate_without_invariants;
mod append_only_without_brin;
mod cross_context_foreign_key;
mod entity_references_own_root;
mod float_money;
mod json_dump;
mod large_check_enum;
mod large_table_unpartitioned;
mod missing_soft_delete;
mod missing_timestamps;
mod naming_convention;
mod no_primary_key;
mod nullable_invariant;
mod oversized_aggregate;
mod pii_not_audited;
mod plaintext_secret;
mod redundant_index;
mod single_value_enum;
mod sql_escape_hatch;
mod status_as_text;
mod tenant_without_rls;
mod too_many_columns;
mod unbounded_partition_range;
mod undocumented_aggregate;
mod unencrypted_pii;
mod unindexed_foreign_key;
mod unnamed_constraint;
pub(crate) mod unused_allow;
mod value_object_identity;

pub(crate) type Check = fn(&Ctx<'_>, &mut Vec<Finding>);

/// One rule's metadata.
pub(crate) struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    pub docs: &'static [&'static str],
    pub check: Check,
}

/// The rule that reports `@allow`s that suppress nothing: it runs last.
pub(crate) const UNUSED_ALLOW: &str = "L022";

use Severity::{Error, Info, Warning};

pub(crate) static TABLE: &[Rule] = &[
    // Critical: the seed's "Errores Críticos".
    Rule {
        code: "L001",
        name: "no-primary-key",
        severity: Error,
        summary: "table without a primary key",
        docs: no_primary_key::DOCS,
        check: no_primary_key::check,
    },
    Rule {
        code: "L002",
        name: "unindexed-foreign-key",
        severity: Error,
        summary: "foreign key whose columns do not lead any index",
        docs: unindexed_foreign_key::DOCS,
        check: unindexed_foreign_key::check,
    },
    Rule {
        code: "L003",
        name: "plaintext-secret",
        severity: Error,
        summary: "password, token or other secret stored as readable text",
        docs: plaintext_secret::DOCS,
        check: plaintext_secret::check,
    },
    Rule {
        code: "L004",
        name: "unnamed-constraint",
        severity: Error,
        summary: "constraint without a name smuggled in through `sql`",
        docs: unnamed_constraint::DOCS,
        check: unnamed_constraint::check,
    },
    // Smells: the seed's "Code Smells".
    Rule {
        code: "L005",
        name: "too-many-columns",
        severity: Warning,
        summary: "table with more than 20 columns",
        docs: too_many_columns::DOCS,
        check: too_many_columns::check,
    },
    Rule {
        code: "L006",
        name: "json-dump",
        severity: Warning,
        summary: "`json` field used as a dump: undocumented or named like `data`",
        docs: json_dump::DOCS,
        check: json_dump::check,
    },
    Rule {
        code: "L007",
        name: "missing-soft-delete",
        severity: Warning,
        summary: "aggregate without soft delete although the model wants it, or no soft delete anywhere",
        docs: missing_soft_delete::DOCS,
        check: missing_soft_delete::check,
    },
    Rule {
        code: "L008",
        name: "oversized-aggregate",
        severity: Warning,
        summary: "aggregate with more than 5 entities",
        docs: oversized_aggregate::DOCS,
        check: oversized_aggregate::check,
    },
    Rule {
        code: "L009",
        name: "cross-context-foreign-key",
        severity: Warning,
        summary: "reference to another context with a real foreign key",
        docs: cross_context_foreign_key::DOCS,
        check: cross_context_foreign_key::check,
    },
    Rule {
        code: "L010",
        name: "unencrypted-pii",
        severity: Warning,
        summary: "`@pii` or sensitive identifier stored unencrypted",
        docs: unencrypted_pii::DOCS,
        check: unencrypted_pii::check,
    },
    Rule {
        code: "L011",
        name: "tenant-without-rls",
        severity: Warning,
        summary: "multi-tenant data without row-level security",
        docs: tenant_without_rls::DOCS,
        check: tenant_without_rls::check,
    },
    Rule {
        code: "L012",
        name: "value-object-identity",
        severity: Warning,
        summary: "value object with identity-like fields",
        docs: value_object_identity::DOCS,
        check: value_object_identity::check,
    },
    Rule {
        code: "L013",
        name: "single-value-enum",
        severity: Warning,
        summary: "enum with a single value",
        docs: single_value_enum::DOCS,
        check: single_value_enum::check,
    },
    Rule {
        code: "L014",
        name: "nullable-invariant",
        severity: Warning,
        summary: "invariant that silently passes when a nullable field is NULL",
        docs: nullable_invariant::DOCS,
        check: nullable_invariant::check,
    },
    Rule {
        code: "L015",
        name: "unbounded-partition-range",
        severity: Warning,
        summary: "range-partitioned table with only its DEFAULT partition",
        docs: unbounded_partition_range::DOCS,
        check: unbounded_partition_range::check,
    },
    // Optimisations: the seed's "Optimizaciones" and performance checklist.
    Rule {
        code: "L016",
        name: "large-table-unpartitioned",
        severity: Warning,
        summary: "`expected_rows` above 10M without partitioning",
        docs: large_table_unpartitioned::DOCS,
        check: large_table_unpartitioned::check,
    },
    Rule {
        code: "L017",
        name: "append-only-without-brin",
        severity: Info,
        summary: "time column of an append-only table without a BRIN index",
        docs: append_only_without_brin::DOCS,
        check: append_only_without_brin::check,
    },
    Rule {
        code: "L018",
        name: "sql-escape-hatch",
        severity: Info,
        summary: "`sql \"…\"` escape hatch used",
        docs: sql_escape_hatch::DOCS,
        check: sql_escape_hatch::check,
    },
    // Domain-driven design and the rest of the checklist.
    Rule {
        code: "L019",
        name: "aggregate-without-invariants",
        severity: Info,
        summary: "aggregate that declares no invariant",
        docs: aggregate_without_invariants::DOCS,
        check: aggregate_without_invariants::check,
    },
    Rule {
        code: "L020",
        name: "undocumented-aggregate",
        severity: Info,
        summary: "aggregate root without a doc comment",
        docs: undocumented_aggregate::DOCS,
        check: undocumented_aggregate::check,
    },
    Rule {
        code: "L021",
        name: "entity-references-own-root",
        severity: Warning,
        summary: "entity with a `ref` to its own aggregate root",
        docs: entity_references_own_root::DOCS,
        check: entity_references_own_root::check,
    },
    Rule {
        code: "L022",
        name: "unused-allow",
        severity: Warning,
        summary: "`@allow` that suppresses nothing or names no rule",
        docs: unused_allow::DOCS,
        check: unused_allow::check,
    },
    Rule {
        code: "L023",
        name: "float-money",
        severity: Warning,
        summary: "amount of money stored as `float`",
        docs: float_money::DOCS,
        check: float_money::check,
    },
    Rule {
        code: "L024",
        name: "status-as-text",
        severity: Warning,
        summary: "status or state stored as free text instead of an enum",
        docs: status_as_text::DOCS,
        check: status_as_text::check,
    },
    Rule {
        code: "L025",
        name: "missing-timestamps",
        severity: Warning,
        summary: "table without `created_at`/`updated_at` nor a time column of its own",
        docs: missing_timestamps::DOCS,
        check: missing_timestamps::check,
    },
    Rule {
        code: "L026",
        name: "naming-convention",
        severity: Warning,
        summary: "name that breaks the snake_case / PascalCase / UPPER_SNAKE conventions",
        docs: naming_convention::DOCS,
        check: naming_convention::check,
    },
    Rule {
        code: "L027",
        name: "redundant-index",
        severity: Warning,
        summary: "declared index already covered by another index or key",
        docs: redundant_index::DOCS,
        check: redundant_index::check,
    },
    Rule {
        code: "L028",
        name: "pii-not-audited",
        severity: Info,
        summary: "aggregate holding `@pii` data that is not `audited`",
        docs: pii_not_audited::DOCS,
        check: pii_not_audited::check,
    },
    Rule {
        code: "L029",
        name: "large-check-enum",
        severity: Warning,
        summary: "enum of more than 50 values written into every column's CHECK",
        docs: large_check_enum::DOCS,
        check: large_check_enum::check,
    },
];

/// A rule's doc comment as Markdown: one leading space dropped per line.
pub(crate) fn explanation(docs: &[&str]) -> String {
    let mut out = String::new();
    for line in docs {
        out.push_str(line.strip_prefix(' ').unwrap_or(line));
        out.push('\n');
    }
    out
}
