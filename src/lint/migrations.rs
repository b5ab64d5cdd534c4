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
//!   tests. It leaves out the `COMMENT ON` statements dddc writes
//!   ([`Stmt::is_comment`], three in four statements of a first build):
//!   of squawk's rules only two look at one, `identifier-too-long` (dddc
//!   refuses a name past 63 bytes before it writes SQL) and the timeout
//!   rules (every migration sets both timeouts first). A test lints every
//!   form of comment dddc writes, so an upgrade of squawk that flags one
//!   fails it. It leaves out, on the same grounds, what no rule reads of
//!   a new table ([`Stmt::unread`]), the triggers and tenant policies
//!   ([`Stmt::unread_anywhere`]), and in a migration run in a transaction
//!   the indexes and foreign keys on the tables it creates, the
//!   constraints dropped `IF EXISTS` and row-level security switched
//!   ([`left_out`]); the debug builds check every one of these against
//!   the review of the statements read whole.
//! - [`lint_file`] lints a hand-written migration (`dddc lint
//!   --migrations`), honouring its own ignore comments.

use squawk_linter::{Linter, LinterSettings, Rule, Version};
use squawk_syntax::SourceFile;

use crate::migrate::locks::Op;
use crate::sql::stmt::{Ignore, LeftOut, Stmt};

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
    lint_parsed(&SourceFile::parse(text), text, target, transactional)
}

fn lint_parsed(
    parse: &squawk_syntax::Parse<SourceFile>,
    text: &str,
    target: u32,
    transactional: bool,
) -> Vec<squawk_linter::Violation> {
    // A fresh linter per text: it keeps state between calls.
    let mut linter = Linter::with_rules(&[], &[]);
    let version = format!("{target}.0").parse::<Version>().unwrap_or_else(|_| "13.0".parse().expect("a version"));
    linter.settings = LinterSettings { pg_version: version, assume_in_transaction: transactional };
    linter.lint(parse, text)
}

/// What [`review`] found.
#[derive(Debug, Default)]
pub struct Review {
    /// Rules a whole file breaks by convention, each with the reason:
    /// printed once, as squawk's file-level ignore.
    pub file_ignores: Vec<Ignore>,
    /// Findings nothing explains.
    pub findings: Vec<Finding>,
    /// The migration was linted in parts (see [`review_apart`]).
    pub linted_apart: bool,
}

/// Lints `prelude` and `stmts` as one migration of `kind` for PostgreSQL
/// `target`; attaches the ignores with their reasons to the statements (or
/// to the file, for conventions), and returns the findings nothing
/// explains.
///
/// The parts of statements no rule reads ([`crate::sql::stmt::unread_by_squawk`]) are left
/// out of the text squawk parses, and so are, in a migration run in a
/// transaction, the indexes and foreign keys on tables it creates and the
/// constraints it drops `IF EXISTS` ([`left_out`]); a large migration is
/// linted in parts ([`review_apart`]). Debug builds (the tests, the
/// fuzzer) review the statements without any of these shortcuts too, read
/// whole and linted as one text, and fail unless both reviews agree: one
/// reference for them all (it was a reference each, and the debug binary
/// linted a large first migration four times; squawk is unoptimised
/// there).
pub fn review(
    prelude: &[String],
    stmts: &mut [Stmt],
    kind: FileKind,
    target: u32,
    existing: &dyn Fn(&crate::relational::TableRef) -> bool,
) -> Review {
    #[cfg(debug_assertions)]
    let reference = (stmts.len() >= SPLIT_AT
        || stmts.iter().any(|s| s.partly_read() || s.left_out() != LeftOut::Never))
    .then(|| {
        let mut whole: Vec<Stmt> = stmts.iter().map(|s| s.clone().read_whole()).collect();
        (review_in(prelude, &mut whole, kind, target, existing, false), whole)
    });
    let review = review_in(prelude, stmts, kind, target, existing, true);
    #[cfg(debug_assertions)]
    if let Some((w, whole)) = reference {
        let found = |r: &Review| r.findings.iter().map(|f| (f.rule.clone(), f.statement.clone())).collect::<Vec<_>>();
        assert!(
            w.file_ignores == review.file_ignores && found(&w) == found(&review) && whole.as_slice() == &*stmts,
            "squawk's review differs when it reads the statements whole (as one text)"
        );
    }
    review
}

/// [`review`]; `shortcuts`: whether a large migration may be linted in
/// parts and the statements [`left_out`] names left out (the tests
/// compare both ways).
fn review_in(
    prelude: &[String],
    stmts: &mut [Stmt],
    kind: FileKind,
    target: u32,
    existing: &dyn Fn(&crate::relational::TableRef) -> bool,
    shortcuts: bool,
) -> Review {
    let out = left_out(stmts, kind, shortcuts);
    if shortcuts && stmts.len() >= SPLIT_AT {
        if let Some((review, ignores)) = review_apart(prelude, stmts, &out, kind, target, existing) {
            attach(stmts, ignores);
            return review;
        }
    }
    let all: Vec<usize> = (0..stmts.len()).filter(|&i| !out[i]).collect();
    let text = text_of(prelude, stmts, &all);
    let parse = SourceFile::parse(&text.0);
    // squawk passes over a table created in the transaction only while
    // the file has not ended it: a `COMMIT` (which only a model's `sql
    // "…"` escape could put there) has the statements read.
    let left = |i: usize| out[i] && !stmts[i].is_comment();
    if (0..stmts.len()).any(left) && parse.tree().stmts().any(|s| transaction_control(&s)) {
        return review_in(prelude, stmts, kind, target, existing, false);
    }
    let whole = locate(&text, &all, lint_parsed(&parse, &text.0, target, kind.transactional));
    explain(whole, stmts, kind, existing)
}

/// Whether `s` begins or ends a transaction, as squawk's rules read it.
fn transaction_control(s: &squawk_syntax::ast::Stmt) -> bool {
    use squawk_syntax::ast::Stmt as S;
    matches!(s, S::Begin(_) | S::Commit(_) | S::Rollback(_))
}

/// The statements squawk's review leaves out: dddc's comments
/// ([`Stmt::is_comment`]), and with `shortcuts` each
/// [`Stmt::unread_anywhere`] and, in a migration run in a transaction,
/// each [`Stmt::unread_in_transaction`] and each [`Stmt::unread_on_new`]
/// on a table a `CREATE TABLE` before it creates.
/// squawk passes over the latter (a table created in the transaction,
/// found by its name) the same in parts: a table's statements are in one
/// part.
fn left_out(stmts: &[Stmt], kind: FileKind, shortcuts: bool) -> Vec<bool> {
    let mut created = std::collections::HashSet::new();
    stmts
        .iter()
        .map(|s| {
            if s.op == Op::CreateTable {
                created.extend(s.table.as_ref());
            }
            s.is_comment()
                || (shortcuts
                    && match s.left_out() {
                        LeftOut::Never => false,
                        LeftOut::OnNewTable => {
                            kind.transactional && s.table.as_ref().is_some_and(|t| created.contains(t))
                        }
                        LeftOut::InTransaction => kind.transactional,
                        LeftOut::Anywhere => true,
                    })
        })
        .collect()
}

/// Below this many statements, [`review`] lints the migration whole.
const SPLIT_AT: usize = 2_000;

/// How many parts [`review_apart`] lints a large migration in: more than
/// the cores, so that they finish together, and each part's syntax tree is
/// a fraction of the whole's.
const PARTS: usize = 8;

/// The most SQL text in a part of a large migration (past [`PARTS`] × this,
/// there are more parts). squawk's syntax tree is about fourteen times its
/// text, and a worker holds one at a time: a first build of 2,000
/// aggregates (ten megabytes of SQL) peaked at 247-253 MB of RSS with parts
/// of 2 MB (eight parts), 226-228 MB with these (forty), and took 0.91-0.93 s
/// instead of 0.95-0.96; parts of 128 KB gained nothing more.
const PART_BYTES: usize = 256 << 10;

/// The rules whose verdict on a statement depends on every statement before
/// it in the file.
const TIMEOUT_RULES: [Rule; 2] = [Rule::RequireLockTimeout, Rule::RequireStatementTimeout];

/// A large migration (a first one is ten megabytes at 2,000 aggregates)
/// linted in parts ([`PARTS`], more when large) on every core: each part holds every statement
/// about some tables (by name: squawk keys what it remembers by a table's
/// name, whatever its schema), in the file's order, after the prelude.
///
/// squawk's rules look at one statement at a time, but for what they
/// remember across a file: which tables it creates (an index or a
/// constraint on a new table locks nothing anyone waits for), the
/// constraints it drops, adds `NOT VALID` or validates (by name), the
/// tables a constraint is validated on (which may allow `SET NOT NULL`),
/// where transactions begin and end, an ignore or
/// `assume-in-transaction` comment, and the timeouts set before the first
/// statement that locks. The parts give the whole file's verdicts when
/// each of the first three is confined to one part ([`tables_agree`]) and
/// none of the rest occurs (the prelude sets the timeouts in every part).
/// That is checked on the parts' own syntax trees, after the fact; when it
/// does not hold, when a timeout rule fires, or when a finding is left
/// unexplained (whose order would differ), `None`: the file is linted
/// whole. Otherwise the review, and the ignores to attach.
fn review_apart(
    prelude: &[String],
    stmts: &[Stmt],
    out: &[bool],
    kind: FileKind,
    target: u32,
    existing: &dyn Fn(&crate::relational::TableRef) -> bool,
) -> Option<(Review, Vec<(usize, Ignore)>)> {
    // More parts for a larger file: each worker holds one part's syntax
    // tree at a time, so the parts' size, not the file's, sets the memory.
    let read = || stmts.iter().zip(out).filter(|(_, &o)| !o).map(|(s, _)| s);
    let size: usize = read().map(text_len).sum();
    let parts = parts(stmts, out, PARTS.max(size.div_ceil(PART_BYTES)));
    if parts.len() < 2 {
        return None;
    }
    // Every part holds the prelude.
    if prelude.iter().chain(read().flat_map(|s| s.plain())).any(|t| t.contains("squawk-")) {
        return None;
    }
    // The largest first, so that the cores finish together.
    let sizes: Vec<usize> = parts.iter().map(|p| p.iter().map(|&i| text_len(&stmts[i])).sum()).collect();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by_key(|&k| (std::cmp::Reverse(sizes[k]), k));
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, parts.len());
    let queue = crate::threads::Queue::new(&order);
    // Each part's text is made by the worker that lints it, and dropped
    // with its syntax tree (the eight made at once were a copy of the
    // whole file: 14 MB of a first build's peak at 2,000 aggregates). The
    // violations keep no text: with a finding nothing explains (whose
    // place it would give), the file is linted whole below.
    let lint = |&k: &usize| {
        let text = text_of(prelude, stmts, &parts[k]);
        let (located, tables) = linted_part(&text, &parts[k], target, kind.transactional);
        let located: Vec<Located<'static>> = located.into_iter().map(|(i, v, _)| (i, v, None)).collect();
        (located, tables)
    };
    std::thread::scope(|s| {
        let (queue, lint) = (&queue, &lint);
        let helpers: Vec<_> =
            (1..workers).map_while(|_| crate::threads::try_spawn_scoped(s, move || queue.work(lint))).collect();
        queue.work(lint);
        for h in helpers {
            h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        }
    });
    let mut results: Vec<Option<(Vec<Located<'_>>, Option<Tables>)>> = (0..parts.len()).map(|_| None).collect();
    for (&k, r) in order.iter().zip(queue.results()) {
        results[k] = r;
    }
    let mut violations = Vec::new();
    let mut tables = Vec::new();
    for r in results {
        let (v, t) = r?;
        violations.push(v);
        tables.push(t?);
    }
    if !tables_agree(&tables) || violations.iter().flatten().any(|(_, v, _)| TIMEOUT_RULES.contains(&v.code)) {
        return None;
    }
    let (review, ignores) = explain_apart(violations.into_iter().flatten(), stmts, kind, existing);
    review.findings.is_empty().then_some((Review { linted_apart: true, ..review }, ignores))
}

/// The size of a statement's plain text in a part ([`text_of`]: a line each).
fn text_len(s: &Stmt) -> usize {
    s.linted_len()
}

/// The statements in at most `n` parts of about equal text, each the
/// statements about some table names, in the file's order. A statement
/// about no table (a schema, a function, a type) is a
/// group of its own: together, the 14,500 of a first build at 2,000
/// aggregates made one part six times the others, which one core linted
/// while the other waited (and whose parse held 20 MB). Whatever squawk
/// finds such a statement to alter, [`review_apart`] checks after the fact.
fn parts(stmts: &[Stmt], out: &[bool], n: usize) -> Vec<Vec<usize>> {
    /// Statements about one table name (or one about none), and their
    /// text's size.
    #[derive(Default, Clone)]
    struct Group {
        size: usize,
        members: Vec<usize>,
    }
    // A partition's statements go with its parent's: the statement that
    // creates it is about the parent.
    let parent: std::collections::HashMap<&str, &str> = stmts
        .iter()
        .filter_map(|s| Some((s.creates.as_ref()?.name.as_str(), s.table.as_ref()?.name.as_str())))
        .collect();
    // A partition of a partition too: bounded, as a cycle of names cannot
    // come from one file of statements but must not hang either.
    fn family<'a>(parent: &std::collections::HashMap<&'a str, &'a str>, mut name: &'a str) -> &'a str {
        for _ in 0..8 {
            match parent.get(name) {
                Some(&p) if p != name => name = p,
                _ => break,
            }
        }
        name
    }
    // By table name, or by place for a statement about none.
    let mut by_name: std::collections::HashMap<(Option<&str>, usize), Group> = std::collections::HashMap::new();
    for (i, s) in stmts.iter().enumerate().filter(|&(i, _)| !out[i]) {
        let key = s.table.as_ref().map_or((None, i), |t| (Some(family(&parent, &t.name)), 0));
        let g = by_name.entry(key).or_default();
        g.size += text_len(s);
        g.members.push(i);
    }
    let mut groups: Vec<_> = by_name.into_iter().collect();
    // The largest first, each into the part with the least text so far.
    groups.sort_by(|a, b| b.1.size.cmp(&a.1.size).then(a.0.cmp(&b.0)));
    let mut parts = vec![Group::default(); n.min(groups.len())];
    // The parts by their text so far, least first (the lowest index among
    // equals).
    let mut least: std::collections::BinaryHeap<std::cmp::Reverse<(usize, usize)>> =
        (0..parts.len()).map(|k| std::cmp::Reverse((0, k))).collect();
    for (_, g) in groups {
        let Some(std::cmp::Reverse((_, k))) = least.pop() else { break };
        let part = &mut parts[k];
        part.size += g.size;
        part.members.extend(g.members);
        least.push(std::cmp::Reverse((part.size, k)));
    }
    parts
        .into_iter()
        .map(|mut p| {
            p.members.sort_unstable();
            p.members
        })
        .collect()
}

/// What a part's statements say about tables and constraints, by name (as
/// squawk reads them, whatever the schema).
#[derive(Default)]
struct Tables {
    /// Tables created.
    created: std::collections::HashSet<String>,
    /// Tables altered or indexed.
    used: std::collections::HashSet<String>,
    /// Constraints added, dropped or validated: squawk remembers them by
    /// name alone (`NOT VALID` then validated in one transaction; dropped
    /// then added again; a `NOT NULL` check validated).
    constraints: std::collections::HashSet<String>,
    /// Tables a constraint is validated on (squawk lets such a
    /// validation allow a later `SET NOT NULL` on the table).
    validating: std::collections::HashSet<String>,
    /// Tables a column is made `NOT NULL` on.
    not_null: std::collections::HashSet<String>,
}

/// Lints one part; with what its statements say about tables (`None` when
/// the part holds something a whole file's verdicts depend on: a
/// transaction begun or ended, a constraint dropped or validated whose
/// name squawk cannot read, a validation or `SET NOT NULL` on a table
/// whose name it cannot read).
fn linted_part<'t>(
    part: &'t (String, Vec<usize>),
    which: &[usize],
    target: u32,
    transactional: bool,
) -> (Vec<Located<'t>>, Option<Tables>) {
    let parse = SourceFile::parse(&part.0);
    let tables = tables_of(&parse.tree());
    let found = lint_parsed(&parse, &part.0, target, transactional);
    (locate(part, which, found), tables)
}

fn tables_of(file: &squawk_syntax::ast::SourceFile) -> Option<Tables> {
    use squawk_syntax::ast::{self, AlterColumnOption, AlterTableAction, NameLike, Stmt as S};
    let mut t = Tables::default();
    // The names as the rules read them (`tables_created_in_transaction`,
    // and the rules that look a table up in it).
    let used = |r: Option<ast::TableRelationName>| {
        r.and_then(|r| r.table_name_ref()).and_then(|n| n.path_ref()).and_then(|p| p.segment()).map(|s| s.text())
    };
    let named =
        |r: Option<ast::ConstraintNameRef>| r.and_then(|c| c.path_ref()).and_then(|p| p.segment()).map(|s| s.text());
    for stmt in file.stmts() {
        match stmt {
            S::Begin(_) | S::Commit(_) | S::Rollback(_) => return None,
            S::CreateTable(c) => {
                t.created.extend(c.table_name().and_then(|n| n.path()).and_then(|p| p.segment()).map(|s| s.text()))
            }
            S::CreateIndex(c) => t.used.extend(used(c.table_relation_name())),
            S::AlterTable(a) => {
                let table = used(a.table_relation_name());
                for action in a.actions() {
                    match action {
                        AlterTableAction::DropConstraint(d) => t.constraints.insert(named(d.constraint_name_ref())?),
                        AlterTableAction::ValidateConstraint(v) => {
                            t.validating.insert(table.clone()?);
                            t.constraints.insert(named(v.constraint_name_ref())?)
                        }
                        AlterTableAction::AddConstraint(c) => match c.constraint().and_then(|c| c.constraint_name()) {
                            Some(n) => t.constraints.insert(n.text()),
                            None => false,
                        },
                        AlterTableAction::AlterColumn(c)
                            if matches!(c.option(), Some(AlterColumnOption::SetNotNull(_))) =>
                        {
                            t.not_null.insert(table.clone()?)
                        }
                        _ => false,
                    };
                }
                t.used.extend(table)
            }
            _ => {}
        }
    }
    Some(t)
}

/// The parts answer what squawk remembers across a file as the whole file
/// would: every table a part alters or indexes that the file creates is
/// created in that part; no constraint name is in two parts; and a table
/// a column is made `NOT NULL` on is validated on in no other part.
fn tables_agree(parts: &[Tables]) -> bool {
    let created: std::collections::HashSet<&String> = parts.iter().flat_map(|p| &p.created).collect();
    let mut names: std::collections::HashSet<&String> = std::collections::HashSet::new();
    // Each table validated on, with the part it is validated in (`None`:
    // more than one).
    let mut validated_in: std::collections::HashMap<&String, Option<usize>> = std::collections::HashMap::new();
    for (k, p) in parts.iter().enumerate() {
        for t in &p.validating {
            validated_in.entry(t).and_modify(|at| *at = at.filter(|&at| at == k)).or_insert(Some(k));
        }
    }
    parts.iter().all(|p| p.used.iter().all(|u| !created.contains(u) || p.created.contains(u)))
        && parts.iter().flat_map(|p| &p.constraints).all(|c| names.insert(c))
        && parts
            .iter()
            .enumerate()
            .all(|(k, p)| p.not_null.iter().all(|t| validated_in.get(t).is_none_or(|&at| at == Some(k))))
}

/// One violation: the statement it is in (an index into `stmts`, `None` in
/// the prelude), the violation, and the text linted (for a finding's line
/// and column; `None` for a part of a file linted apart, whose text is
/// dropped once linted).
type Located<'t> = (Option<usize>, squawk_linter::Violation, Option<&'t str>);

/// `prelude` and the statements `which` (in that order) as one text, with
/// the offset each statement starts at; each statement as the review reads
/// it ([`Stmt::push_linted`]).
fn text_of(prelude: &[String], stmts: &[Stmt], which: &[usize]) -> (String, Vec<usize>) {
    let mut text = String::new();
    for p in prelude {
        text.push_str(p);
        text.push('\n');
    }
    let mut starts = Vec::with_capacity(which.len());
    let mut seen = std::collections::HashSet::new();
    for &i in which {
        starts.push(text.len());
        stmts[i].push_linted(&mut text, &mut seen);
    }
    (text, starts)
}

/// Each violation found in a [`text_of`] text, with the statement it is in.
fn locate<'t>(
    (text, starts): &'t (String, Vec<usize>),
    which: &[usize],
    found: Vec<squawk_linter::Violation>,
) -> Vec<Located<'t>> {
    let first = starts.first().copied().unwrap_or(text.len());
    found
        .into_iter()
        .map(|v| {
            let at = usize::from(v.text_range.start());
            // The statement whose text holds `at` (the last one starting at
            // or before it).
            let index = (at >= first && at < text.len()).then(|| which[starts.partition_point(|&s| s <= at) - 1]);
            (index, v, Some(text.as_str()))
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
    // The lines of the text the last finding was in.
    let mut lines: Option<Lines<'_>> = None;
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
                // A part's violations have no text: a finding sends its
                // file to be linted whole.
                let text = text.unwrap_or_default();
                let lines = match lines.take() {
                    Some(l) if std::ptr::eq(l.text, text) => lines.insert(l),
                    _ => lines.insert(Lines::new(text)),
                };
                let (line, column) = lines.line_col(usize::from(v.text_range.start()));
                let statement = index.map_or_else(|| lines.line(line).to_string(), |i| stmts[i].plain().join("\n"));
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
    let lines = Lines::new(text);
    lint(text, target, transactional)
        .into_iter()
        .map(|v| {
            let (line, column) = lines.line_col(usize::from(v.text_range.start()));
            Finding {
                rule: v.code.to_string(),
                message: v.message,
                help: v.help,
                statement: lines.line(line).to_string(),
                line,
                column,
            }
        })
        .collect()
}

/// Where each line of a text starts: a finding's line and column by a
/// binary search (a scan from the top per finding made thousands of
/// findings in a large migration quadratic: forcing a required column
/// into every table of 2,000 is 2,500 of them in 10 MB).
struct Lines<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Lines<'t> {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Lines { text, starts }
    }

    /// The line (from 1) and column (in characters, from 1) of byte `at`.
    fn line_col(&self, at: usize) -> (usize, usize) {
        let at = at.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= at);
        let start = self.starts[line - 1];
        (line, self.text[start..at].chars().count() + 1)
    }

    /// Line `n` (from 1), as `str::lines` gives it; empty past the end.
    fn line(&self, n: usize) -> &'t str {
        let Some(&start) = self.starts.get(n.wrapping_sub(1)) else { return "" };
        let rest = &self.text[start..];
        match rest.find('\n') {
            Some(end) => rest[..end].strip_suffix('\r').unwrap_or(&rest[..end]),
            None => rest,
        }
    }
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
        Rule::ChangingColumnType if s.op == Op::AlterColumnTypeCatalog => {
            "a widening the model asks for: PostgreSQL changes only the catalog, as the header says"
        }
        Rule::ChangingColumnType if s.op == Op::AlterColumnTypeRecheck => {
            "a widening the model asks for: no rewrite, but the checks on the column read the table, as the header says"
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
        Rule::DisallowedUniqueConstraint if kind.undo && s.op == Op::AddConstraintWithIndex => {
            "an undo puts back the unique its migration dropped, in one transaction; the header declares the scan"
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
        Rule::RequireConcurrentIndexCreation if kind.undo && s.op == Op::CreateIndex => {
            "an undo puts back the index its migration dropped, in one transaction; the header declares the scan"
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
        // Refused (E0703) unless the build was told --allow-destructive.
        Rule::AddingRequiredField if s.op == Op::AddColumnRequired => {
            "a required column with no value for existing rows, allowed by --allow-destructive: it fails if the table has rows"
        }
        Rule::RequireConcurrentPartitionDetach if s.op == Op::MovePartitionRows => {
            "the DEFAULT partition is detached, its rows of the new range moved and attached again in one transaction; the header declares it"
        }
        Rule::AddingSerialPrimaryKeyField if kind.undo => {
            "an undo puts back the primary key its migration replaced, in one transaction; the header declares the scan"
        }
        // A key that replaces another is swapped in online when it can be
        // (see `migrate::plan`); these are the cases where it cannot.
        Rule::AddingSerialPrimaryKeyField | Rule::ConstraintMissingNotValid if s.op == Op::AddPrimaryKeyWithIndex => {
            "built in the transaction by design: the table is partitioned (no CONCURRENTLY there), or this migration renames its table or adds the key's columns; the header declares the scan"
        }
        Rule::RequireEnumValueOrdering => "the new value goes last, where the model lists it",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// [`Lines`] places a byte and gives a line as a scan from the top
        /// and `str::lines` do (CRLF, a bare CR, an empty last line).
        #[test]
        fn lines_place_a_byte_as_a_scan_does(text in "[a\n\r\u{e9}]{0,24}", at in 0usize..30, n in 0usize..8) {
            let lines = Lines::new(&text);
            if text.is_char_boundary(at.min(text.len())) {
                let before = &text[..at.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                proptest::prop_assert_eq!(lines.line_col(at), (line, column));
            }
            let by_scan = n.checked_sub(1).and_then(|k| text.lines().nth(k)).unwrap_or_default();
            proptest::prop_assert_eq!(lines.line(n), by_scan);
        }
    }

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

    /// The prelude of a transactional migration: both timeouts set.
    fn timeouts() -> Vec<String> {
        vec!["SET LOCAL lock_timeout = '5s';".to_string(), "SET LOCAL statement_timeout = '0';".to_string()]
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
    fn a_large_migration_is_reviewed_in_parts_with_the_same_result() {
        let timeouts = timeouts();
        let schema = FileKind { transactional: true, undo: false, creates_schema: true };
        let stmts = many_tables(1_200, true, None);
        assert!(stmts.len() >= SPLIT_AT);
        assert_eq!(parts_read(&stmts, PARTS).len(), PARTS);
        let r = same_both_ways(&timeouts, stmts, schema, &|_| false);
        assert!(r.linted_apart);
        let rules: Vec<&str> = r.file_ignores.iter().map(|i| i.rule.as_str()).collect();
        assert_eq!(rules, ["ban-char-field", "prefer-bigint-over-int", "prefer-text-field"]);
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        // On tables that exist, the foreign keys are explained statement by
        // statement (the whole file's verdicts, found in the parts).
        let later = FileKind { transactional: true, undo: false, creates_schema: false };
        let mut split = many_tables(1_200, false, None);
        review_in(&timeouts, &mut split, later, 15, &|_| true, true);
        assert!(split.iter().any(|s| s.ignores.iter().any(|i| i.rule == "adding-foreign-key-constraint")));
        assert!(same_both_ways(&timeouts, many_tables(1_200, false, None), later, &|_| true).linted_apart);
    }

    /// squawk knows a table by its name alone: `u.t3` altered in a file
    /// that creates `s.t3` is "created in this file" to it. The parts keep
    /// same-named tables of two schemas together, so they still agree with
    /// the whole file (and are used).
    #[test]
    fn same_named_tables_of_two_schemas_stay_in_one_part() {
        let schema = FileKind { transactional: true, undo: false, creates_schema: false };
        let mut stmts = many_tables(1_100, true, None);
        for i in 0..1_100 {
            let t = crate::relational::TableRef { schema: "u".into(), name: format!("t{i}") };
            let sql = format!("ALTER TABLE u.t{i} ADD CONSTRAINT u_t{i}_code_key UNIQUE (code);");
            stmts.push(Stmt::new(Op::AddConstraintWithIndex, Some(&t), sql));
        }
        let r = same_both_ways(&timeouts(), stmts, schema, &|t| t.schema == "u");
        assert!(r.linted_apart);
        assert!(r.findings.is_empty(), "{:?}", r.findings);
    }

    /// A partition is created by a statement about its parent (which it
    /// locks), and then altered by statements about itself: the parts keep
    /// both with the parent's, so the partition is "created in this file"
    /// in the part that alters it, as in the whole file.
    #[test]
    fn a_partitions_statements_stay_with_its_parents() {
        let schema = FileKind { transactional: true, undo: false, creates_schema: true };
        let mut stmts = many_tables(1_000, true, None);
        for i in 0..1_000 {
            let t = crate::relational::TableRef { schema: "s".into(), name: format!("t{i}") };
            let p = crate::relational::PartitionDef {
                name: format!("t{i}_default"),
                bound: crate::relational::PartitionBound::Default,
                row_level_security: true,
            };
            stmts.push(crate::sql::objects::create_partition(&t, &p));
            let part = crate::relational::TableRef { schema: "s".into(), name: p.name.clone() };
            let sql = format!("ALTER TABLE s.{} ENABLE ROW LEVEL SECURITY;", p.name);
            stmts.push(Stmt::new(Op::RowSecurity, Some(&part), sql));
        }
        let r = same_both_ways(&timeouts(), stmts, schema, &|_| false);
        assert!(r.linted_apart);
        assert!(r.findings.is_empty(), "{:?}", r.findings);
    }

    /// Each part holds every statement about its tables, in the file's
    /// order; the statements about no table are spread over the parts
    /// (a first build has thousands: comments on constraints and indexes).
    #[test]
    fn the_parts_keep_a_tables_statements_together_in_order() {
        let mut stmts = many_tables(300, true, None);
        stmts.push(Stmt::new(Op::NoTable, None, "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';".into()));
        for i in 0..2_000 {
            stmts.push(Stmt::new(Op::NoTable, None, format!("COMMENT ON INDEX s.i{i} IS 'An index, documented.';")));
        }
        stmts.insert(0, Stmt::new(Op::NoTable, None, "CREATE SCHEMA IF NOT EXISTS s;".into()));
        // A very large file is cut in more parts than the usual number.
        for n in [PARTS, 40] {
            the_parts_of(&stmts, n);
        }
    }

    /// [`parts`] of the statements squawk reads without the shortcuts.
    fn parts_read(stmts: &[Stmt], n: usize) -> Vec<Vec<usize>> {
        let kind = FileKind { transactional: true, undo: false, creates_schema: true };
        parts(stmts, &left_out(stmts, kind, false), n)
    }

    fn the_parts_of(stmts: &[Stmt], n: usize) {
        let parts = parts_read(stmts, n);
        assert_eq!(parts.len(), n);
        let mut seen: Vec<usize> = parts.iter().flatten().copied().collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..stmts.len()).collect::<Vec<_>>());
        let part_of = |i: usize| parts.iter().position(|p| p.contains(&i)).expect("in a part");
        for (i, s) in stmts.iter().enumerate().filter(|(_, s)| s.table.is_some()) {
            let same: Vec<usize> = (0..stmts.len())
                .filter(|&j| stmts[j].table.as_ref().map(|t| &t.name) == s.table.as_ref().map(|t| &t.name))
                .collect();
            assert!(same.iter().all(|&j| part_of(j) == part_of(i)), "statement {i}");
        }
        assert!(parts.iter().all(|p| p.windows(2).all(|w| w[0] < w[1])));
        let sizes: Vec<usize> = parts.iter().map(|p| p.iter().map(|&i| text_len(&stmts[i])).sum()).collect();
        let (min, max) = (sizes.iter().min().copied().unwrap_or(0), sizes.iter().max().copied().unwrap_or(0));
        // Largest first into the least filled part: no two parts differ by
        // more than one table's statements.
        let mut by_table: std::collections::HashMap<Option<&str>, usize> = std::collections::HashMap::new();
        for s in stmts.iter().filter(|s| s.table.is_some()) {
            *by_table.entry(s.table.as_ref().map(|t| t.name.as_str())).or_default() += text_len(s);
        }
        let largest = by_table.values().copied().max().unwrap_or(0);
        assert!(max - min <= largest && max - min < max / 5, "{n} parts balanced: {sizes:?}");
    }

    /// What the parts cannot see of each other has the file linted whole:
    /// an index on a new table in a part that does not create it, a
    /// transaction, a constraint validated, an ignore comment.
    #[test]
    fn what_the_parts_cannot_see_has_the_file_linted_whole() {
        let timeouts = timeouts();
        let schema = FileKind { transactional: true, undo: false, creates_schema: true };
        // A statement dddc files under no table (so in another part than
        // the table's creation) that squawk reads as an index on it.
        let stmts = many_tables(1_100, true, None);
        let apart = (0..1_100)
            .find_map(|i| {
                let index = Stmt::new(Op::CreateIndex, None, format!("CREATE INDEX IF NOT EXISTS i ON s.t{i} (name);"));
                let mut with = stmts.clone();
                with.push(index);
                let parts = parts_read(&with, PARTS);
                let part_of = |k: usize| parts.iter().position(|p| p.contains(&k));
                let create = with.iter().position(|s| {
                    s.op == Op::CreateTable && s.table.as_ref().is_some_and(|t| t.name == format!("t{i}"))
                });
                (create.and_then(part_of) != part_of(with.len() - 1)).then_some(with)
            })
            .expect("a table created in another part");
        assert!(!same_both_ways(&timeouts, apart, schema, &|_| false).linted_apart);
        let t = crate::relational::TableRef { schema: "s".into(), name: "t7".into() };
        for sql in ["BEGIN;", "-- squawk-ignore-file prefer-text-field\nSELECT 1;"] {
            let extra = Stmt::new(Op::Comment, Some(&t), sql.to_string());
            let r = same_both_ways(&timeouts, many_tables(1_100, true, Some(extra)), schema, &|_| false);
            assert!(!r.linted_apart, "{sql}");
        }
        // A statement dddc files under another table than the one squawk
        // reads, in another part: a constraint of t7's validated or
        // dropped there (squawk remembers constraints by name), or a
        // column of t7 made NOT NULL in another part than a validation
        // on t7 (which may prove it).
        let later = FileKind { transactional: true, undo: false, creates_schema: false };
        let base = many_tables(1_100, false, None);
        let in_another_part = |sql: &str| {
            (0..1_100)
                .find_map(|i| {
                    let u = crate::relational::TableRef { schema: "s".into(), name: format!("t{i}") };
                    let mut with = base.clone();
                    with.push(Stmt::new(Op::ValidateConstraint, Some(&u), sql.to_string()));
                    let parts = parts_read(&with, PARTS);
                    let part_of = |k: usize| parts.iter().position(|p| p.contains(&k));
                    let t7 = with.iter().position(|s| s.table.as_ref().is_some_and(|t| t.name == "t7"));
                    (t7.and_then(part_of) != part_of(with.len() - 1)).then_some(with)
                })
                .expect("another table in another part")
        };
        for sql in
            ["ALTER TABLE s.t7 VALIDATE CONSTRAINT t7_p_fkey;", "ALTER TABLE s.t7 DROP CONSTRAINT IF EXISTS t7_p_fkey;"]
        {
            assert!(!same_both_ways(&timeouts, in_another_part(sql), later, &|_| true).linted_apart, "{sql}");
        }
        // In an undo, which explains both SET NOT NULL and validating in
        // the transaction that adds: squawk finds nothing in the whole
        // file (the check validated first proves the column), but would
        // in the part without the validation, and attach an ignore there.
        let undo = FileKind { transactional: true, undo: true, creates_schema: false };
        let mut stmts = base.clone();
        for sql in [
            "ALTER TABLE s.t7 ADD CONSTRAINT t7_name_nn CHECK (name IS NOT NULL) NOT VALID;",
            "ALTER TABLE s.t7 VALIDATE CONSTRAINT t7_name_nn;",
        ] {
            stmts.push(Stmt::new(Op::AddCheckNotValid, Some(&t), sql.to_string()));
        }
        let not_null = in_another_part("ALTER TABLE s.t7 ALTER COLUMN name SET NOT NULL;").pop().expect("pushed");
        stmts.push(not_null);
        let r = same_both_ways(&timeouts, stmts, undo, &|_| true);
        assert!(r.findings.is_empty() && !r.linted_apart);
        // Tables by name, whatever their schema: one created in a part is
        // created for every part that alters it.
        let part = |created: &[&str], used: &[&str]| Tables {
            created: created.iter().map(|s| s.to_string()).collect(),
            used: used.iter().map(|s| s.to_string()).collect(),
            ..Tables::default()
        };
        assert!(tables_agree(&[part(&["a"], &["a", "x"]), part(&["b"], &["b", "y"])]));
        assert!(!tables_agree(&[part(&["a"], &["a"]), part(&["b"], &["b", "a"])]));
        // A constraint name in one part only; a table made NOT NULL
        // validated on in its own part only.
        let set = |names: &[&str]| names.iter().map(|s| s.to_string()).collect();
        let with = |constraints: &[&str], validating: &[&str], not_null: &[&str]| Tables {
            constraints: set(constraints),
            validating: set(validating),
            not_null: set(not_null),
            ..Tables::default()
        };
        assert!(tables_agree(&[with(&["c1"], &[], &[]), with(&["c2"], &[], &[])]));
        assert!(!tables_agree(&[with(&["c1"], &[], &[]), with(&["c1"], &[], &[])]));
        assert!(tables_agree(&[with(&[], &["t"], &["t"]), with(&[], &["u"], &[])]));
        assert!(!tables_agree(&[with(&[], &[], &["t"]), with(&[], &["t"], &[])]));
        assert!(!tables_agree(&[with(&[], &["t"], &["t"]), with(&[], &["t"], &[])]));
    }

    /// A migration that drops, adds `NOT VALID` and validates constraints
    /// on every table (a change of every table's check) is linted in
    /// parts, each table's statements with its constraints, with the
    /// whole file's verdicts.
    #[test]
    fn constraints_changed_on_every_table_are_linted_apart() {
        let timeouts = timeouts();
        // An undo, which explains validating in the transaction that adds.
        let later = FileKind { transactional: true, undo: true, creates_schema: false };
        let mut stmts = Vec::new();
        for i in 0..700 {
            let t = crate::relational::TableRef { schema: "s".into(), name: format!("t{i}") };
            let alter = |sql: String| Stmt::new(Op::AddCheckNotValid, Some(&t), sql);
            stmts.push(alter(format!("ALTER TABLE s.t{i} DROP CONSTRAINT IF EXISTS t{i}_status_check;")));
            stmts.push(alter(format!(
                "ALTER TABLE s.t{i} ADD CONSTRAINT t{i}_status_check CHECK (status IN ('A', 'B', 'C')) NOT VALID;"
            )));
            stmts.push(alter(format!(
                "ALTER TABLE s.t{i} ADD CONSTRAINT t{i}_name_nn CHECK (name IS NOT NULL) NOT VALID;"
            )));
            // In the same transaction: what constraint-missing-not-valid
            // finds, in every part as in the whole file.
            stmts.push(alter(format!("ALTER TABLE s.t{i} VALIDATE CONSTRAINT t{i}_name_nn;")));
            stmts.push(alter(format!("ALTER TABLE s.t{i} ALTER COLUMN name SET NOT NULL;")));
        }
        assert!(stmts.len() >= SPLIT_AT);
        let r = same_both_ways(&timeouts, stmts, later, &|_| true);
        assert!(r.findings.is_empty(), "{:?}", r.findings.first());
        assert!(r.linted_apart);
    }

    #[test]
    fn a_timeout_rule_or_an_unexplained_finding_has_the_whole_file_reviewed() {
        let schema = FileKind { transactional: true, undo: false, creates_schema: true };
        // No lock_timeout: the rule reports once, at the first statement
        // that locks, in the whole file.
        let r = same_both_ways(&[], many_tables(1_100, true, None), schema, &|_| false);
        assert!(!r.findings.is_empty() && !r.linted_apart);
        // A finding nothing explains.
        let timeouts = timeouts();
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

    /// Every form of `COMMENT ON` dddc writes, on names of 63 bytes that
    /// need quoting and on texts that try to break out of their literal.
    fn every_comment() -> Vec<Stmt> {
        use crate::migrate::change::CommentOn;
        let long = |c: char| std::iter::repeat_n(c, 61).collect::<String>() + "Ab";
        let (s, n) = (long('s'), long('n'));
        let t = crate::relational::TableRef { schema: s.clone(), name: "select".into() };
        let ons = [
            CommentOn::Schema(s.clone()),
            CommentOn::Table(t.clone()),
            CommentOn::Column(t.clone(), n.clone()),
            CommentOn::Constraint(t.clone(), n.clone()),
            CommentOn::Index(s.clone(), n.clone()),
            CommentOn::Type(s.clone(), n.clone()),
            CommentOn::Function(s.clone(), n.clone(), "uuid, text".into()),
            CommentOn::Role(n.clone()),
        ];
        let texts = [
            None,
            Some("A plain sentence."),
            Some("It's ''quoted'', $$dollar$$, */ -- squawk-ignore-file ban-drop-table\n; DROP TABLE t; \\ é ✓"),
        ];
        let mut stmts = Vec::new();
        for on in &ons {
            for text in texts {
                stmts.push(crate::sql::objects::comment_on(on, text));
            }
        }
        stmts
    }

    /// The review leaves dddc's comments out because no squawk rule flags
    /// one after the timeouts: linted on their own, in a migration that
    /// runs in a transaction or not and for each PostgreSQL dddc targets,
    /// none draws a violation. Without the timeouts squawk does flag them
    /// (they lock their table), so it reads every one as a statement.
    #[test]
    fn no_squawk_rule_flags_a_comment_dddc_writes() {
        let stmts = every_comment();
        assert!(stmts.iter().all(Stmt::is_comment));
        no_rule_flags_after_the_timeouts(&stmts);
    }

    /// `stmts` linted on their own after the timeouts, in a migration that
    /// runs in a transaction or not and for each PostgreSQL dddc targets,
    /// draw no violation; without the timeouts squawk does flag them (they
    /// lock their table), so it reads every one as a statement.
    fn no_rule_flags_after_the_timeouts(stmts: &[Stmt]) {
        for target in 13..=18 {
            for transactional in [true, false] {
                let mut text: String = ["lock_timeout", "statement_timeout"]
                    .iter()
                    .map(|n| crate::sql::objects::set_setting(n, "5s", transactional) + "\n")
                    .collect();
                if !transactional {
                    text.push_str("-- squawk-disable-assume-in-transaction\n");
                }
                let prelude = text.len();
                for s in stmts {
                    text.push_str(&s.sql);
                    text.push('\n');
                }
                let found = lint(&text, target, transactional);
                assert!(found.is_empty(), "{target} {transactional}: {:?}", found.first());
                let bare = lint(&text[prelude..], target, transactional);
                assert!(
                    bare.iter().any(|v| TIMEOUT_RULES.contains(&v.code)),
                    "without the timeouts, squawk flags the first statement that locks"
                );
            }
        }
    }

    /// A constraint dropped `IF EXISTS`, and row-level security enabled or
    /// disabled, are left out of squawk's text in a migration run in a
    /// transaction, and read in one that is not. No
    /// rule flags one after the timeouts (on names of 63 bytes that need
    /// quoting); what squawk remembers of it, the name, matters only
    /// outside a transaction: a constraint added again after it is not
    /// flagged by `prefer-robust-stmts` there, and is without it.
    #[test]
    fn a_dropped_constraint_is_left_out_in_a_transaction() {
        let long = |c: char| std::iter::repeat_n(c, 61).collect::<String>() + "Ab";
        let t = crate::relational::TableRef { schema: long('s'), name: "select".into() };
        let drop = crate::sql::objects::drop_constraint(&t, &long('c'));
        let tx = FileKind { transactional: true, undo: false, creates_schema: false };
        let online = FileKind { transactional: false, ..tx };
        assert_eq!(left_out(std::slice::from_ref(&drop), tx, true), [true]);
        assert_eq!(left_out(std::slice::from_ref(&drop), tx, false), [false]);
        assert_eq!(left_out(std::slice::from_ref(&drop), online, true), [false]);
        no_rule_flags_after_the_timeouts(std::slice::from_ref(&drop));
        let robust = |text: &str, transactional: bool| {
            let prelude: String = ["lock_timeout", "statement_timeout"]
                .iter()
                .map(|n| crate::sql::objects::set_setting(n, "5s", transactional) + "\n")
                .collect();
            let found = lint(&format!("{prelude}{text}"), 16, transactional);
            found.iter().filter(|v| v.code == Rule::PreferRobustStmts).count()
        };
        // Row-level security enabled, forced, unforced and disabled: the
        // same, but `prefer-robust-stmts` flags each outside a transaction.
        let rls: Vec<Stmt> = crate::sql::objects::enable_rls(&t.schema, &t.name)
            .into_iter()
            .chain(crate::sql::objects::disable_rls(&t.schema, &t.name))
            .collect();
        assert_eq!(left_out(&rls, tx, true), [true; 4]);
        assert_eq!(left_out(&rls, online, true), [false; 4]);
        for s in &rls {
            assert_eq!((robust(&s.sql, true), robust(&s.sql, false)), (0, 1), "{}", s.sql);
            let prelude = crate::sql::objects::set_setting("lock_timeout", "5s", true)
                + "\n"
                + &crate::sql::objects::set_setting("statement_timeout", "5s", true);
            assert!(lint(&format!("{prelude}\n{}", s.sql), 16, true).is_empty(), "{}", s.sql);
        }
        let add = "ALTER TABLE s.t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;";
        let dropped = format!("ALTER TABLE IF EXISTS s.t DROP CONSTRAINT IF EXISTS c;\n{add}");
        assert_eq!((robust(&dropped, false), robust(add, false)), (0, 1));
        assert_eq!((robust(&dropped, true), robust(add, true)), (0, 0));
    }

    /// squawk's review reads none of a trigger or policy dddc creates,
    /// because no rule flags one after the timeouts: each form of trigger
    /// (before and after PostgreSQL 14, with and without arguments, on
    /// names of 63 bytes that need quoting and arguments that try to break
    /// out of their literal), a tenant's policy and its drop. One whose
    /// argument or expression is not plainly one is read.
    #[test]
    fn no_squawk_rule_flags_a_trigger_dddc_writes() {
        use crate::relational::{FunctionCall, Trigger, TriggerEvent, TriggerTiming};
        let long = |c: char| std::iter::repeat_n(c, 61).collect::<String>() + "Ab";
        let t = crate::relational::TableRef { schema: long('s'), name: "select".into() };
        let args =
            [vec![], vec![crate::sql::literal("c.t"), crate::sql::literal("it's; UPDATE t SET a = 1, a = 2; -- x")]];
        let mut stmts = Vec::new();
        for target in [13, 14] {
            for args in &args {
                for (timing, events) in [
                    (TriggerTiming::Before, vec![TriggerEvent::Update]),
                    (TriggerTiming::After, vec![TriggerEvent::Insert, TriggerEvent::Update, TriggerEvent::Delete]),
                ] {
                    let function = FunctionCall { schema: long('f'), name: long('n'), args: args.clone() };
                    let tr = Trigger { name: long('t'), timing, events, function };
                    stmts.extend(crate::sql::objects::create_trigger(target, &t, &tr));
                }
            }
        }
        let created: Vec<&Stmt> = stmts.iter().filter(|s| s.op == Op::CreateTrigger).collect();
        assert_eq!(created.len(), 8);
        assert!(created.iter().all(|s| s.left_out() == LeftOut::Anywhere), "{created:?}");
        // A policy and its drop, read by no rule either.
        // (A column name that needs quoting has it read: `unread_by_squawk`
        // says no to any quoted name.)
        let condition = crate::sql::fragments::tenant_condition("tenant_id");
        let policy = crate::relational::Policy { name: long('p'), using: condition.clone(), with_check: condition };
        let policies = crate::sql::objects::create_policy(&t.schema, &t.name, &policy);
        assert!(policies.iter().all(|s| s.left_out() == LeftOut::Anywhere), "{policies:?}");
        stmts.extend(policies);
        no_rule_flags_after_the_timeouts(&stmts);
        // Left out of the review in a transaction and outside one; read by
        // the review without its shortcuts.
        let anywhere: Vec<bool> = stmts.iter().map(|s| s.left_out() == LeftOut::Anywhere).collect();
        for transactional in [true, false] {
            let kind = FileKind { transactional, undo: false, creates_schema: false };
            assert_eq!(left_out(&stmts, kind, true), anywhere);
            assert!(left_out(&stmts, kind, false).iter().all(|&o| !o));
        }
        let escaped = crate::relational::Policy {
            name: "p".into(),
            using: "(true)); UPDATE t SET a = 1, a = 2; --".into(),
            with_check: "(true)".into(),
        };
        assert_eq!(crate::sql::objects::create_policy("s", "t", &escaped)[1].left_out(), LeftOut::Never);
        let escaped = FunctionCall { schema: "f".into(), name: "g".into(), args: vec!["1); DROP TABLE t; --".into()] };
        let tr = Trigger {
            name: "t".into(),
            timing: TriggerTiming::After,
            events: vec![TriggerEvent::Insert],
            function: escaped,
        };
        assert_eq!(crate::sql::objects::create_trigger(14, &t, &tr)[0].left_out(), LeftOut::Never);
    }

    /// The comments are not in what the review lints: a migration of only
    /// comments and no timeouts has no finding, where the same statements
    /// built as any other would have one.
    #[test]
    fn the_review_leaves_comments_out() {
        let kind = FileKind { transactional: true, undo: false, creates_schema: false };
        let mut comments = every_comment();
        assert!(review_in(&[], &mut comments, kind, 15, &|_| true, false).findings.is_empty());
        assert!(comments.iter().all(|s| s.ignores.is_empty()));
        let mut others: Vec<Stmt> =
            every_comment().into_iter().map(|s| Stmt::new(s.op, s.table.as_ref(), s.sql)).collect();
        let r = review_in(&[], &mut others, kind, 15, &|_| true, false);
        assert!(r.findings.iter().any(|f| f.rule.starts_with("require-")), "{:?}", r.findings);
    }

    /// The `CREATE TABLE` statements of a model, as a first migration
    /// has them.
    fn created_tables(src: &str) -> Vec<Stmt> {
        first_migration(src).into_iter().filter(|s| s.op == Op::CreateTable).collect()
    }

    /// The statements of a model's first migration.
    fn first_migration(src: &str) -> Vec<Stmt> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.ddd");
        std::fs::write(&path, src).unwrap();
        let loaded = crate::loader::load(&path, &path).unwrap();
        assert!(!loaded.diagnostics.iter().any(|d| d.is_error()), "{:?}", loaded.diagnostics);
        let model = crate::model::analyze(&loaded.files).model.expect("the model compiles");
        let schema = crate::relational::lower((&model, crate::config::Language::En)).unwrap();
        crate::sql::ddl::create_statements(&schema).into_iter().flat_map(|(_, s)| s).collect()
    }

    /// A first migration's indexes and foreign keys on the tables it
    /// creates are left out of squawk's text, and only in a migration run
    /// in a transaction; one that could hold more than an expression is
    /// read. A `COMMIT` smuggled in through the `sql "…"` escape ends the
    /// transaction before the next table is created, so squawk flags that
    /// table's index: the review then reads them all, and the index gets
    /// its ignore (the debug builds also check that the review agrees
    /// with the one read whole).
    #[test]
    fn indexes_and_foreign_keys_on_new_tables_are_left_out() {
        let model = |check: &str| {
            format!(
                "model m {{\n  target postgres 16\n}}\ncontext c {{\n  aggregate Sala {{\n    nombre: text(20)\n    invariant lleno: {check}\n  }}\n  aggregate Turno {{\n    sala: ref Sala\n    dia: date\n    nota: text(20)\n    index (dia)\n    index (lower(nota))\n    index (dia) where sql \"nota IS NOT NULL; SELECT 1\" @name(turnos_raro)\n  }}\n}}\n"
            )
        };
        let schema = FileKind { transactional: true, undo: false, creates_schema: true };
        let online = FileKind { transactional: false, ..schema };
        let stmts = first_migration(&model("char_length(nombre) > 0"));
        let on_new: Vec<&Stmt> = stmts.iter().filter(|s| s.left_out() == LeftOut::OnNewTable).collect();
        assert!(on_new.iter().any(|s| s.op == Op::AddForeignKeyScan), "{on_new:?}");
        assert_eq!(on_new.iter().filter(|s| s.op == Op::CreateIndex).count(), 3, "{on_new:?}");
        assert!(!stmts.iter().any(|s| s.sql.contains("turnos_raro") && s.left_out() == LeftOut::OnNewTable));
        // Besides the comments and the triggers (left out of any migration).
        let always = |s: &Stmt| s.is_comment() || s.left_out() == LeftOut::Anywhere;
        let out = left_out(&stmts, schema, true);
        for (s, &o) in stmts.iter().zip(&out) {
            assert_eq!(o, always(s) || s.left_out() == LeftOut::OnNewTable, "{}", s.sql);
        }
        assert_eq!(left_out(&stmts, schema, false), stmts.iter().map(Stmt::is_comment).collect::<Vec<_>>());
        assert_eq!(left_out(&stmts, online, true), stmts.iter().map(always).collect::<Vec<_>>());
        let mut plain = stmts.clone();
        let r = review(&timeouts(), &mut plain, schema, 16, &|_| false);
        assert!(r.findings.is_empty() && plain.iter().all(|s| s.ignores.is_empty()), "{r:?}");
        // The COMMIT.
        let mut ended = first_migration(&model("sql \"nombre <> '') ; COMMIT; SELECT (1\""));
        review(&timeouts(), &mut ended, schema, 16, &|_| false);
        let index = ended.iter().find(|s| s.sql.contains("(dia);")).expect("the index");
        assert!(index.ignores.iter().any(|i| i.rule == "require-concurrent-index-creation"), "{index:?}");
    }

    /// What squawk reads of a new table is its name, its partitioning,
    /// its first column and each column whose type and clauses it has not
    /// read in the text before: the keys, the uniques, the checks and the
    /// columns it has seen are left out, and the text left is one
    /// statement per table that squawk parses without an error. A check
    /// whose expression could hold a name too long is read.
    #[test]
    fn what_squawk_reads_of_a_new_table() {
        let stmts = created_tables(
            "model m {\n  target postgres 16\n}\ncontext c {\n  aggregate Pago {\n    code: text(8)\n    monto: decimal(12, 2)\n    pagado_at: timestamp\n    key (code, pagado_at)\n    unique (monto, pagado_at)\n    invariant positivo: monto > 0\n    invariant texto: code != 'x, ''y'' )'\n    partition by range (pagado_at) monthly from 2025-11 to 2026-01\n  }\n  aggregate Plano {\n    nombre: text(20)\n    precio: decimal(12, 2)\n    code: text(8)\n    desde: timestamp\n  }\n}\n",
        );
        let pago = stmts.iter().find(|s| s.sql.contains("c.pago (")).expect("pago");
        assert!(pago.partly_read() && pago.sql.contains(" CHECK "), "{}", pago.sql);
        let (text, _) = text_of(&[], stmts.as_slice(), &(0..stmts.len()).collect::<Vec<_>>());
        assert_eq!(
            text,
            "CREATE TABLE IF NOT EXISTS c.pago (\n    code VARCHAR(8) NOT NULL,\n    monto NUMERIC(12, 2) NOT NULL,\n    pagado_at TIMESTAMPTZ NOT NULL,\n    created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP\n) PARTITION BY RANGE (pagado_at);\n\
             CREATE TABLE IF NOT EXISTS c.plano (\n    id UUID NOT NULL DEFAULT gen_random_uuid(),\n    nombre VARCHAR(20) NOT NULL,\n    code VARCHAR(8) NOT NULL\n);\n"
        );
        // Each statement read alone: lines of it, no key, unique or check,
        // a column of each shape (within the statement too), and it parses.
        for s in &stmts {
            let mut read = String::new();
            s.push_linted(&mut read, &mut std::collections::HashSet::new());
            let lines: Vec<&str> = s.sql.lines().map(|l| l.trim_end_matches(',')).collect();
            assert!(read.lines().all(|l| lines.contains(&l.trim_end_matches(','))), "{read}");
            assert!(
                !read.contains("CONSTRAINT") && read.matches(" TIMESTAMPTZ NOT NULL DEFAULT ").count() == 1,
                "{read}"
            );
            assert!(squawk_syntax::SourceFile::parse(&read).errors().is_empty(), "{read}");
        }
        // What dddc writes for an invariant.
        for ok in [
            "(a > 0) AND (b ~ '^[A-Z]{3}$')",
            "(code <> 'x, ''y'' )')",
            "(char_length(n) > 0)",
            "(é > 1e5)",
            "(estado IN ('A', 'B'))",
            "(coalesce(a, b) > 0)",
            " NUMERIC(12, 2) NOT NULL",
        ] {
            assert!(crate::sql::stmt::unread_by_squawk(ok), "{ok}");
        }
        assert!(crate::sql::stmt::unread_by_squawk(&format!("({} > 0)", "n".repeat(63))));
        // What only `sql "…"` could write.
        let long = format!("({} > 0)", "n".repeat(64));
        for no in [
            long.as_str(),
            "(\"a b\" > 0)",
            "(a > 0)); UPDATE t SET a = 1, a = 2; --",
            "(a > 0) -- ) x",
            "(a > 0 /* ) */)",
            "(a > (UPDATE t SET a = 1, a = 2 RETURNING 1))",
            "(a > 0))",
            "((a > 0)",
            "(a ~ E'\\'')",
            "(a = $$x$$)",
            "(a = 'unclosed)",
            // A list where one expression belongs (which PostgreSQL refuses and squawk reads
            // as columns): found by AFL++ through a value object compared
            // whole, now E0401, and still writable with the escape.
            "(a, b > c)",
            "((a, b > c))",
            "a, b",
            "(a > 0 AND (a, b) IS NULL)",
        ] {
            assert!(!crate::sql::stmt::unread_by_squawk(no), "{no}");
        }
    }

    /// A check written with the `sql "…"` escape: left out when it is
    /// plainly one expression, its table read whole when it could reach
    /// past one
    /// (here it closes the `CHECK` and appends an `UPDATE` that assigns
    /// a column twice, which squawk flags only when it reads it). The
    /// review of each first migration agrees with the review of it read
    /// whole (the debug builds compare them), and the escaped statement's
    /// finding is found.
    #[test]
    fn a_check_through_the_sql_escape_is_read_whole_unless_plain() {
        let model = |expr: &str| {
            format!(
                "model m {{\n  target postgres 16\n}}\ncontext c {{\n  aggregate Sala {{\n    nombre: text(20)\n    invariant lleno: sql \"{expr}\"\n  }}\n}}\n"
            )
        };
        let schema = FileKind { transactional: true, undo: false, creates_schema: true };
        let mut plain = created_tables(&model("char_length(nombre) > 0 AND nombre <> 'x'"));
        assert!(plain.iter().all(Stmt::partly_read), "{plain:?}");
        assert!(review(&timeouts(), &mut plain, schema, 16, &|_| false).findings.is_empty());
        let hostile = "nombre <> '') ; UPDATE c.sala SET nombre = 'a', nombre = 'b'; SELECT (1";
        let mut escaped = created_tables(&model(hostile));
        let (read, _) = text_of(&[], &escaped, &(0..escaped.len()).collect::<Vec<_>>());
        // The whole table (its columns and keys too).
        assert!(read.contains(hostile) && read.contains("PRIMARY KEY"), "{read}");
        let r = review(&timeouts(), &mut escaped, schema, 16, &|_| false);
        assert!(r.findings.iter().any(|f| f.rule == "ban-duplicate-column-assignments"), "{:?}", r.findings);
    }

    /// The debug builds' check of what is left out is not vacuous: a
    /// statement whose column types are marked unread (`CHAR(2)`, which
    /// squawk flags) makes the two reviews differ.
    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "squawk's review differs when it reads the statements whole")]
    fn leaving_out_what_squawk_reads_is_caught() {
        let t = crate::relational::TableRef { schema: "s".into(), name: "t".into() };
        let sql = "CREATE TABLE IF NOT EXISTS s.t (\n    id bigint PRIMARY KEY,\n    code CHAR(2)\n);".to_string();
        let n = |x: usize| u32::try_from(x).unwrap();
        let skip =
            crate::sql::stmt::Skip { from: n(sql.find(",\n    code").unwrap()), to: n(sql.len() - 3), shape: None };
        let mut stmts = vec![Stmt::new(Op::CreateTable, Some(&t), sql.clone()).unread(vec![skip])];
        let schema = FileKind { transactional: true, undo: false, creates_schema: true };
        review(&timeouts(), &mut stmts, schema, 15, &|_| false);
    }

    /// And for a whole statement left out: an index built in the
    /// transaction on a table that exists, which squawk flags, marked as
    /// one no rule reads.
    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "squawk's review differs when it reads the statements whole")]
    fn leaving_out_a_statement_squawk_reads_is_caught() {
        let t = crate::relational::TableRef { schema: "s".into(), name: "t".into() };
        let sql = "CREATE INDEX IF NOT EXISTS i ON s.t (name);".to_string();
        let mut stmts = vec![Stmt::new(Op::CreateIndex, Some(&t), sql).unread_anywhere()];
        let later = FileKind { transactional: true, undo: false, creates_schema: false };
        review(&timeouts(), &mut stmts, later, 16, &|_| true);
    }

    /// The same on the split path: a large migration reviewed in parts
    /// leaves its comments out too. The comment here is a statement that
    /// would draw a finding if linted (an index built in the transaction
    /// on a table that exists), so only leaving it out gives none.
    #[test]
    fn a_review_in_parts_leaves_comments_out() {
        let later = FileKind { transactional: true, undo: false, creates_schema: false };
        let t = crate::relational::TableRef { schema: "s".into(), name: "t0".into() };
        let sql = "CREATE INDEX IF NOT EXISTS i ON s.t0 (name);".to_string();
        let marked = Stmt::comment(Op::Comment, Some(&t), sql.clone());
        let r = same_both_ways(&timeouts(), many_tables(1_100, false, Some(marked)), later, &|_| true);
        assert!(r.findings.is_empty() && r.linted_apart, "{:?}", r.findings);
        // Not marked, the same statement is a finding (and sends the file
        // to be linted whole).
        let plain = Stmt::new(Op::Comment, Some(&t), sql);
        let r = same_both_ways(&timeouts(), many_tables(1_100, false, Some(plain)), later, &|_| true);
        assert!(r.findings.iter().any(|f| f.rule == "require-concurrent-index-creation"), "{:?}", r.findings);
    }
}
