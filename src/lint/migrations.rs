//! Migrations reviewed by squawk (the `squawk-linter` crate, the library
//! behind the squawk CLI), with its default rules.
//!
//! - [`review`] lints what dddc writes, statement by statement as built,
//!   before an idempotency guard wrapped it (squawk does not look inside
//!   `DO` blocks, so linting the file alone would miss exactly the
//!   statements that need it most). A rule that fires by design is
//!   explained ([`reason`]): the statement gets squawk's ignore comment with
//!   the reason, so squawk run on the committed file agrees. A finding
//!   without a reason is reported by `build` and `plan`, and fails the
//!   tests.
//! - [`lint_file`] lints a hand-written migration (`dddc lint
//!   --migrations`), honouring its own ignore comments.

use squawk_linter::{Linter, LinterSettings, Rule, Version};
use squawk_syntax::SourceFile;

use crate::migrate::locks::Op;
use crate::sql::stmt::{Ignore, Stmt};

/// How a migration file runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileKind {
    /// Flyway runs it in one transaction (no `.conf` with
    /// `executeInTransaction=false`).
    pub transactional: bool,
    /// An undo script.
    pub undo: bool,
    /// Creates the whole schema: every table in it is new.
    pub creates_schema: bool,
}

/// A squawk rule that fired with no reason to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: String,
    pub message: String,
    pub help: Option<String>,
    /// The statement as built (or the file's text around the finding).
    pub statement: String,
    /// 1-based line and column in the linted text.
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "squawk {}: {}", self.rule, self.message)?;
        if let Some(h) = &self.help {
            write!(f, " ({h})")?;
        }
        Ok(())
    }
}

fn lint(text: &str, target: u32, transactional: bool) -> Vec<squawk_linter::Violation> {
    let parse = SourceFile::parse(text);
    // A fresh linter per text: it keeps state between calls.
    let mut linter = Linter::with_rules(&[], &[]);
    let version = format!("{target}.0").parse::<Version>().unwrap_or_else(|_| "13.0".parse().expect("a version"));
    linter.settings = LinterSettings { pg_version: version, assume_in_transaction: transactional };
    linter.lint(&parse, text)
}

/// What [`review`] found.
#[derive(Debug, Default)]
pub struct Review {
    /// Rules a whole file breaks by convention, each with the reason:
    /// printed once, as squawk's file-level ignore.
    pub file_ignores: Vec<Ignore>,
    /// Findings nothing explains.
    pub findings: Vec<Finding>,
    /// The comments were linted apart from the rest (see [`review`]).
    pub linted_apart: bool,
}

/// Lints `prelude` and `stmts` as one migration of `kind` for PostgreSQL
/// `target`; attaches the ignores with their reasons to the statements (or
/// to the file, for conventions), and returns the findings nothing
/// explains.
pub fn review(
    prelude: &[String],
    stmts: &mut [Stmt],
    kind: FileKind,
    target: u32,
    existing: &dyn Fn(&crate::relational::TableRef) -> bool,
) -> Review {
    review_in(prelude, stmts, kind, target, existing, true)
}

/// [`review`]; `split`: whether a large migration's comments may be linted
/// apart (the tests compare both ways).
fn review_in(
    prelude: &[String],
    stmts: &mut [Stmt],
    kind: FileKind,
    target: u32,
    existing: &dyn Fn(&crate::relational::TableRef) -> bool,
    split: bool,
) -> Review {
    let all: Vec<usize> = (0..stmts.len()).collect();
    let (comments, rest): (Vec<usize>, Vec<usize>) = all.iter().partition(|&&i| stmts[i].op == Op::Comment);
    // A large schema is mostly `COMMENT ON`s (the doc comments): they are
    // linted apart from the other statements, on a second thread. No rule
    // looks at them but the timeout rules (which report once per file) and
    // the per-name identifier rule, so the two halves find what the whole
    // would, unless a timeout rule fires or a finding is left unexplained
    // (whose order would differ): then the whole is linted as before.
    if split && comments.len() >= SPLIT_AT && !rest.is_empty() {
        let (text_a, text_b) = (text_of(prelude, stmts, &rest), text_of(prelude, stmts, &comments));
        let (a, b) = std::thread::scope(|s| {
            let b = crate::threads::spawn_scoped(s, || violations(&text_b, &comments, target, kind.transactional));
            let a = violations(&text_a, &rest, target, kind.transactional);
            (a, b.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
        });
        let timeouts = a.iter().chain(&b).any(|(_, v, _)| TIMEOUT_RULES.contains(&v.code));
        if !timeouts {
            // The ignores are attached only if the halves' verdict stands.
            let (review, ignores) = explain_apart(a.into_iter().chain(b), stmts, kind, existing);
            if review.findings.is_empty() {
                attach(stmts, ignores);
                return Review { linted_apart: true, ..review };
            }
        }
    }
    let text = text_of(prelude, stmts, &all);
    let whole = violations(&text, &all, target, kind.transactional);
    explain(whole, stmts, kind, existing)
}

/// Below this many `COMMENT ON`s, [`review`] lints the migration whole.
const SPLIT_AT: usize = 2_000;

/// The rules whose verdict on a statement depends on every statement before
/// it in the file.
const TIMEOUT_RULES: [Rule; 2] = [Rule::RequireLockTimeout, Rule::RequireStatementTimeout];

/// One violation: the statement it is in (an index into `stmts`, `None` in
/// the prelude), the violation, and the text linted (for a finding's line
/// and column).
type Located<'t> = (Option<usize>, squawk_linter::Violation, &'t str);

/// `prelude` and the statements `which` (in that order) as one text, with
/// the offset each statement starts at.
fn text_of(prelude: &[String], stmts: &[Stmt], which: &[usize]) -> (String, Vec<usize>) {
    let mut text = String::new();
    for p in prelude {
        text.push_str(p);
        text.push('\n');
    }
    let mut starts = Vec::with_capacity(which.len());
    for &i in which {
        starts.push(text.len());
        for p in &stmts[i].plain {
            text.push_str(p);
            text.push('\n');
        }
    }
    (text, starts)
}

/// Lints a [`text_of`] text; each violation with the statement it is in.
fn violations<'t>(
    (text, starts): &'t (String, Vec<usize>),
    which: &[usize],
    target: u32,
    transactional: bool,
) -> Vec<Located<'t>> {
    let first = starts.first().copied().unwrap_or(text.len());
    lint(text, target, transactional)
        .into_iter()
        .map(|v| {
            let at = usize::from(v.text_range.start());
            // The statement whose text holds `at` (the last one starting at
            // or before it).
            let index = (at >= first && at < text.len()).then(|| which[starts.partition_point(|&s| s <= at) - 1]);
            (index, v, text.as_str())
        })
        .collect()
}

/// Attaches the ignores the violations call for to the statements (or the
/// file), and returns the findings nothing explains.
fn explain<'t>(
    violations: impl IntoIterator<Item = Located<'t>>,
    stmts: &mut [Stmt],
    kind: FileKind,
    existing: &dyn Fn(&crate::relational::TableRef) -> bool,
) -> Review {
    let (review, ignores) = explain_apart(violations, stmts, kind, existing);
    attach(stmts, ignores);
    review
}

/// [`explain`], leaving the statements as they are: the ignores to attach
/// come back, each with its statement's index, in the order `explain`
/// attaches them.
fn explain_apart<'t>(
    violations: impl IntoIterator<Item = Located<'t>>,
    stmts: &[Stmt],
    kind: FileKind,
    existing: &dyn Fn(&crate::relational::TableRef) -> bool,
) -> (Review, Vec<(usize, Ignore)>) {
    let mut findings = Vec::new();
    let mut file_ignores: Vec<Ignore> = Vec::new();
    let mut ignores: Vec<(usize, Ignore)> = Vec::new();
    let mut given: std::collections::HashSet<(usize, String)> = std::collections::HashSet::new();
    for (index, v, text) in violations {
        let rule = v.code.to_string();
        if let Some(why) = file_reason(v.code, kind) {
            if !file_ignores.iter().any(|x| x.rule == rule) {
                file_ignores.push(Ignore { rule, reason: why.to_string() });
            }
            continue;
        }
        let explained = index.and_then(|i| {
            let s = &stmts[i];
            let new = kind.creates_schema || s.table.as_ref().is_none_or(|t| !existing(t));
            reason(v.code, s, kind, new).map(|why| (i, why))
        });
        match explained {
            Some((i, why)) => {
                if !stmts[i].ignores.iter().any(|x| x.rule == rule) && given.insert((i, rule.clone())) {
                    ignores.push((i, Ignore { rule, reason: why.to_string() }));
                }
            }
            None => {
                let (line, column) = line_col(text, usize::from(v.text_range.start()));
                let statement = index.map_or_else(
                    || text.lines().nth(line - 1).unwrap_or_default().to_string(),
                    |i| stmts[i].plain.join("\n"),
                );
                findings.push(Finding { rule, message: v.message, help: v.help, statement, line, column });
            }
        }
    }
    file_ignores.sort_by(|a, b| a.rule.cmp(&b.rule));
    (Review { file_ignores, findings, linted_apart: false }, ignores)
}

/// Attaches what [`explain_apart`] found.
fn attach(stmts: &mut [Stmt], ignores: Vec<(usize, Ignore)>) {
    for (i, ignore) in ignores {
        stmts[i].ignores.push(ignore);
    }
}

/// Rules a file breaks by the language's conventions, wherever they fire.
fn file_reason(rule: Rule, kind: FileKind) -> Option<&'static str> {
    Some(match rule {
        Rule::PreferTextField => {
            "the language maps text(n) to VARCHAR(n), the seed's convention; widening one later changes only the catalog"
        }
        Rule::BanCharField => "CHAR(n) only where the model declares char(n), a fixed-width code",
        Rule::PreferBigintOverInt | Rule::PreferBigintOverSmallint => "the model declares these integer widths",
        Rule::PreferTimestampTz => "the model declares these timestamps without time zone",
        Rule::BanDropColumn
        | Rule::BanDropTable
        | Rule::BanDropNotNull
            if kind.undo =>
        {
            "an undo removes what its migration added; its header lists what loses data"
        }
        _ => return None,
    })
}

/// Lints a migration as written (a hand-written one): squawk's own ignore
/// comments apply; nothing is explained away.
pub fn lint_file(text: &str, target: u32, transactional: bool) -> Vec<Finding> {
    lint(text, target, transactional)
        .into_iter()
        .map(|v| {
            let at = usize::from(v.text_range.start());
            let (line, column) = line_col(text, at);
            Finding {
                rule: v.code.to_string(),
                message: v.message,
                help: v.help,
                statement: text.lines().nth(line - 1).unwrap_or_default().to_string(),
                line,
                column,
            }
        })
        .collect()
}

fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Why a statement breaks a squawk rule on purpose, or `None` when it
/// should not. `new`: the statement is on a table created in this
/// migration (or on no table).
pub fn reason(rule: Rule, s: &Stmt, kind: FileKind, new: bool) -> Option<&'static str> {
    Some(match rule {
        Rule::PreferRobustStmts if s.is_guarded() => "the migration runs it inside a guard, so running it again changes nothing",
        Rule::PreferRobustStmts if s.op == Op::Backfill => {
            "it changes only the rows still to change, so running it again is safe"
        }
        Rule::PreferRobustStmts
            if matches!(
                s.op,
                Op::SetNotNullProven | Op::AlterColumn | Op::Comment | Op::RowSecurity | Op::Publication | Op::NoTable
            ) =>
        {
            "running it again leaves the same result"
        }
        Rule::RenamingColumn | Rule::RenamingTable => {
            "a rename the model asks for with @was; deploy code that uses the new name with it"
        }
        Rule::BanDropNotNull => "the model makes the field optional; no rows change",
        Rule::BanDropColumn | Rule::BanDropTable | Rule::BanDropDatabase => {
            "a removal the model asks for; one that loses data needs --allow-destructive"
        }
        Rule::ChangingColumnType => "a type change the model asks for; the header declares the rewrite",
        Rule::AddingFieldWithDefault if s.op == Op::AddColumnRewrite => {
            "the column is filled for every row; the header declares the rewrite"
        }
        Rule::AddingFieldWithDefault => "a constant default: PostgreSQL stores it once, without a rewrite",
        Rule::ConstraintMissingNotValid if kind.undo => "an undo runs as one script: it validates at once",
        Rule::ConstraintMissingNotValid | Rule::AddingForeignKeyConstraint | Rule::DisallowedUniqueConstraint
            if new =>
        {
            "on a table created in this migration: there is nothing to check yet"
        }
        Rule::AddingForeignKeyConstraint | Rule::ConstraintMissingNotValid if s.op == Op::AddForeignKeyScan => {
            "a partitioned table cannot take a foreign key NOT VALID before PostgreSQL 18; the header declares the check"
        }
        Rule::DisallowedUniqueConstraint if s.op == Op::AddConstraintWithIndex => {
            "replaces a constraint of the same name in the same transaction, so duplicates never get in; the header declares the scan"
        }
        Rule::RequireConcurrentIndexDeletion if s.op == Op::DropIndex && !kind.transactional => {
            "drops only an invalid index a failed concurrent build left behind (no rows read); DROP INDEX CONCURRENTLY cannot run inside the guard"
        }
        Rule::RequireConcurrentIndexDeletion if s.op == Op::DropIndex => {
            "dropping an index changes only the catalog: its ACCESS EXCLUSIVE lock lasts as long as it is waited for, at most lock_timeout"
        }
        Rule::RequireConcurrentIndexCreation | Rule::RequireConcurrentIndexDeletion if new => {
            "on a table created in this migration: nobody writes to it yet"
        }
        Rule::RequireConcurrentIndexCreation if s.op == Op::CreateIndex => {
            "built in the transaction by design: it replaces a unique of the same name (so duplicates never get in), or the table is partitioned (no CONCURRENTLY there); the header declares the scan"
        }
        Rule::AddingNotNullableField | Rule::AddingRequiredField if s.op == Op::SetNotNullProven => {
            "a validated CHECK (c IS NOT NULL) proves it: PostgreSQL does not scan"
        }
        Rule::AddingNotNullableField | Rule::AddingRequiredField if new || kind.undo => {
            "on a table created in this migration, or in an undo"
        }
        Rule::RequireConcurrentPartitionDetach if s.op == Op::MovePartitionRows => {
            "the DEFAULT partition is detached, its rows of the new range moved and attached again in one transaction; the header declares it"
        }
        Rule::RequireEnumValueOrdering => "the new value goes last, where the model lists it",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unexplained_findings_are_reported_with_their_place() {
        let mut stmts = vec![Stmt::new(Op::CreateIndex, None, "CREATE INDEX IF NOT EXISTS i ON s.t (a);".to_string())];
        let kind = FileKind { transactional: true, undo: false, creates_schema: false };
        let prelude =
            vec!["SET LOCAL lock_timeout = '5s';".to_string(), "SET LOCAL statement_timeout = 0;".to_string()];
        stmts[0].table = Some(crate::relational::TableRef { schema: "s".into(), name: "t".into() });
        stmts[0].op = Op::CreateIndexConcurrently;
        let findings = review(&prelude, &mut stmts, kind, 15, &|_| true).findings;
        assert!(findings.iter().any(|f| f.rule == "require-concurrent-index-creation"), "{findings:?}");
        assert_eq!(findings[0].line, 3);
    }

    #[test]
    fn a_guarded_statement_is_explained_and_carries_the_ignore() {
        let plain = "ALTER TABLE s.t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;".to_string();
        let mut stmts = vec![Stmt::guarded(Op::ValidateConstraint, None, plain, "DO $$ … $$;".into())];
        let kind = FileKind { transactional: false, undo: false, creates_schema: false };
        let prelude = vec!["SET lock_timeout = '5s';".to_string(), "SET statement_timeout = 0;".to_string()];
        let findings = review(&prelude, &mut stmts, kind, 15, &|_| true).findings;
        assert!(findings.is_empty(), "{findings:?}");
        assert!(stmts[0].ignores.iter().any(|i| i.rule == "prefer-robust-stmts"), "{:?}", stmts[0].ignores);
    }

    /// A migration on `n` tables, each created (when `create`), referenced
    /// and commented.
    fn many_tables(n: usize, create: bool, extra: Option<Stmt>) -> Vec<Stmt> {
        let mut stmts = Vec::new();
        for i in 0..n {
            let t = crate::relational::TableRef { schema: "s".into(), name: format!("t{i}") };
            let create_sql = format!("CREATE TABLE IF NOT EXISTS s.t{i} (id integer PRIMARY KEY, name VARCHAR(10), code CHAR(2), p integer);");
            if create {
                stmts.push(Stmt::new(Op::CreateTable, Some(&t), create_sql));
            }
            stmts.push(Stmt::new(
                Op::Comment,
                Some(&t),
                format!("COMMENT ON TABLE s.t{i} IS 'Table {i}: ''quoted'' $$ */';"),
            ));
            stmts.push(Stmt::new(Op::Comment, Some(&t), format!("COMMENT ON COLUMN s.t{i}.name IS 'The name.';")));
            if i > 0 {
                let fk = format!(
                    "ALTER TABLE s.t{i} ADD CONSTRAINT t{i}_p_fkey FOREIGN KEY (p) REFERENCES s.t{} (id);",
                    i - 1
                );
                stmts.push(Stmt::new(Op::AddForeignKeyScan, Some(&t), fk));
            }
        }
        stmts.extend(extra);
        stmts
    }

    /// The review of a large migration, split and whole: the same ignores
    /// on the same statements, the same file ignores and findings.
    fn same_both_ways(
        prelude: &[String],
        stmts: Vec<Stmt>,
        kind: FileKind,
        existing: &dyn Fn(&crate::relational::TableRef) -> bool,
    ) -> Review {
        let (mut split, mut whole) = (stmts.clone(), stmts);
        let a = review_in(prelude, &mut split, kind, 15, existing, true);
        let b = review_in(prelude, &mut whole, kind, 15, existing, false);
        assert_eq!(a.file_ignores, b.file_ignores);
        assert_eq!(a.findings, b.findings);
        assert_eq!(split, whole);
        a
    }

    #[test]
    fn a_large_migrations_comments_are_reviewed_apart_with_the_same_result() {
        let timeouts =
            vec!["SET LOCAL lock_timeout = '5s';".to_string(), "SET LOCAL statement_timeout = '0';".to_string()];
        let schema = FileKind { transactional: true, undo: false, creates_schema: true };
        let stmts = many_tables(1_200, true, None);
        assert!(stmts.iter().filter(|s| s.op == Op::Comment).count() >= SPLIT_AT);
        let r = same_both_ways(&timeouts, stmts, schema, &|_| false);
        assert!(r.linted_apart);
        let rules: Vec<&str> = r.file_ignores.iter().map(|i| i.rule.as_str()).collect();
        assert_eq!(rules, ["ban-char-field", "prefer-bigint-over-int", "prefer-text-field"]);
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        // On tables that exist, the foreign keys are explained statement by
        // statement (the whole file's verdicts, found in the half without
        // the comments).
        let later = FileKind { transactional: true, undo: false, creates_schema: false };
        let mut split = many_tables(1_200, false, None);
        review_in(&timeouts, &mut split, later, 15, &|_| true, true);
        assert!(split.iter().any(|s| s.ignores.iter().any(|i| i.rule == "adding-foreign-key-constraint")));
        assert!(same_both_ways(&timeouts, many_tables(1_200, false, None), later, &|_| true).linted_apart);
    }

    #[test]
    fn a_timeout_rule_or_an_unexplained_finding_has_the_whole_file_reviewed() {
        let schema = FileKind { transactional: true, undo: false, creates_schema: true };
        // No lock_timeout: the rule reports once, at the first statement
        // that locks, in the whole file.
        let r = same_both_ways(&[], many_tables(1_100, true, None), schema, &|_| false);
        assert!(!r.findings.is_empty() && !r.linted_apart);
        // A finding nothing explains.
        let timeouts =
            vec!["SET LOCAL lock_timeout = '5s';".to_string(), "SET LOCAL statement_timeout = '0';".to_string()];
        let t = crate::relational::TableRef { schema: "s".into(), name: "t0".into() };
        let index =
            Stmt::new(Op::CreateIndexConcurrently, Some(&t), "CREATE INDEX IF NOT EXISTS i ON s.t0 (name);".into());
        let later = FileKind { transactional: true, undo: false, creates_schema: false };
        let r = same_both_ways(&timeouts, many_tables(1_100, false, Some(index)), later, &|_| true);
        assert!(r.findings.iter().any(|f| f.rule == "require-concurrent-index-creation"), "{:?}", r.findings);
        assert!(!r.linted_apart);
    }

    #[test]
    fn validating_in_the_transaction_that_adds_is_found() {
        let text = "SET LOCAL lock_timeout = '5s';\nSET LOCAL statement_timeout = 0;\nALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT c;\n";
        let findings = lint_file(text, 15, true);
        assert!(findings.iter().any(|f| f.rule == "constraint-missing-not-valid" && f.line == 4), "{findings:?}");
    }
}
