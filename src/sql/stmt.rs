//! A statement of a migration as the printers build it: its text, the plain
//! statements inside it before an idempotency guard wrapped them (what squawk
//! lints: its parser does not look inside `DO` blocks), and what it locks
//! ([`Op`], whose lock and work are in [`crate::migrate::locks`]).

use crate::migrate::locks::{LockLevel, Op, Work};
use crate::relational::TableRef;

#[derive(Debug, Clone)]
pub struct Stmt {
    /// The statement as the migration runs it.
    pub sql: String,
    /// The statements inside as built, before a guard wrapped them, when
    /// they are not `sql` itself ([`Stmt::plain`]); `None` for most, whose
    /// text was held twice (ten megabytes of a first build's peak at
    /// 2,000 aggregates).
    plain: Option<Vec<String>>,
    pub op: Op,
    /// The table the statement is about.
    pub table: Option<TableRef>,
    /// The other tables it locks: the one a foreign key references, those
    /// a dropped table's foreign keys reference.
    pub referenced: Vec<TableRef>,
    /// The table it creates when that is not [`Stmt::table`]: a partition,
    /// whose statement is about (and locks) its parent.
    pub creates: Option<TableRef>,
    /// squawk rules that fire on the statement by design, each with why;
    /// printed as squawk's ignore comment above it.
    pub ignores: Vec<Ignore>,
    /// Lifts `FORCE ROW LEVEL SECURITY` around itself when run by the
    /// tables' owner without `BYPASSRLS` (an `ACCESS EXCLUSIVE` lock for
    /// as long as it runs).
    pub lifts_row_security: bool,
    /// A `COMMENT ON` built by [`crate::sql::objects::comment_on`]: no
    /// squawk rule can flag one after the timeouts every migration sets
    /// first, so the review leaves it out ([`Stmt::is_comment`]).
    comment: bool,
    /// Parts of the one plain statement that squawk's review leaves out
    /// ([`Stmt::unread`], [`Stmt::push_linted`]): those of a `CREATE
    /// TABLE` that no rule reads.
    unread: Option<Box<[Skip]>>,
    /// When squawk's review may leave the whole statement out.
    left_out: LeftOut,
}

/// When squawk's review may leave a whole statement out (the caller's
/// word, which the debug builds check; see
/// [`crate::lint::migrations::review`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeftOut {
    Never,
    /// In a migration run in a transaction, when its table is created
    /// before it in the migration ([`Stmt::unread_on_new`]).
    OnNewTable,
    /// In any migration run in a transaction
    /// ([`Stmt::unread_in_transaction`]).
    InTransaction,
    /// In any migration ([`Stmt::unread_anywhere`]).
    Anywhere,
}

/// Bytes `from..to` of a statement that squawk's review leaves out: always
/// (`shape` is `None`), or when the text from byte `shape` to `to` was
/// already read in the same text (a column whose type and clauses an
/// earlier column of the text had: what squawk reads of a column of a new
/// table is its type, whose rules dddc's conventions explain file-wide).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Skip {
    pub from: u32,
    pub to: u32,
    pub shape: Option<u32>,
}

/// Equal when every field is, the plain form compared as
/// [`Stmt::plain`] gives it (whether it is held apart or not); what the
/// review leaves out is not part of the statement.
impl PartialEq for Stmt {
    fn eq(&self, other: &Stmt) -> bool {
        let Stmt {
            sql,
            plain: _,
            op,
            table,
            referenced,
            creates,
            ignores,
            lifts_row_security,
            comment,
            unread: _,
            left_out: _,
        } = self;
        *sql == other.sql
            && self.plain() == other.plain()
            && *op == other.op
            && *table == other.table
            && *referenced == other.referenced
            && *creates == other.creates
            && *ignores == other.ignores
            && *lifts_row_security == other.lifts_row_security
            && *comment == other.comment
    }
}

impl Eq for Stmt {}

/// A squawk rule a statement breaks on purpose, and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    pub rule: String,
    pub reason: String,
}

impl Stmt {
    /// A statement that is its own plain form.
    pub fn new(op: Op, table: Option<&TableRef>, sql: String) -> Stmt {
        Stmt {
            plain: None,
            sql,
            op,
            table: table.cloned(),
            referenced: Vec::new(),
            creates: None,
            ignores: Vec::new(),
            lifts_row_security: false,
            comment: false,
            unread: None,
            left_out: LeftOut::Never,
        }
    }

    /// A `COMMENT ON` statement, which [`Stmt::is_comment`] tells apart.
    pub fn comment(op: Op, table: Option<&TableRef>, sql: String) -> Stmt {
        Stmt { comment: true, ..Stmt::new(op, table, sql) }
    }

    /// Whether the statement is a `COMMENT ON` of [`Stmt::comment`] (not
    /// a text that happens to start so, such as a model's `sql` escape).
    pub fn is_comment(&self) -> bool {
        self.comment
    }

    /// `sql` wraps `plain` in a guard (a `DO` block that runs it only when
    /// needed).
    pub fn guarded(op: Op, table: Option<&TableRef>, plain: String, sql: String) -> Stmt {
        Stmt {
            sql,
            plain: Some(vec![plain]),
            op,
            table: table.cloned(),
            referenced: Vec::new(),
            creates: None,
            ignores: Vec::new(),
            lifts_row_security: false,
            comment: false,
            unread: None,
            left_out: LeftOut::Never,
        }
    }

    /// A block whose statements are computed when it runs.
    pub fn opaque(op: Op, table: Option<&TableRef>, sql: String) -> Stmt {
        Stmt {
            sql,
            plain: Some(Vec::new()),
            op,
            table: table.cloned(),
            referenced: Vec::new(),
            creates: None,
            ignores: Vec::new(),
            lifts_row_security: false,
            comment: false,
            unread: None,
            left_out: LeftOut::Never,
        }
    }

    /// The same statement naming `t` as another table it locks.
    pub fn referencing(mut self, t: &TableRef) -> Stmt {
        if !self.referenced.contains(t) {
            self.referenced.push(t.clone());
        }
        self
    }

    /// The same statement creating `t`, which is not its table.
    pub fn creating(mut self, t: TableRef) -> Stmt {
        self.creates = Some(t);
        self
    }

    /// The same statement wrapped: `wrap` turns its text into the new text
    /// (a `DO` block lifting row-level security around it); the plain form
    /// stays what it was.
    pub fn wrapped(mut self, wrap: impl FnOnce(&str) -> String) -> Stmt {
        let sql = wrap(&self.sql);
        let was = std::mem::replace(&mut self.sql, sql);
        self.plain.get_or_insert_with(|| vec![was]);
        self
    }

    /// The statements inside as built, before a guard wrapped them; empty
    /// for a block whose statements are computed when it runs.
    pub fn plain(&self) -> &[String] {
        self.plain.as_deref().unwrap_or(std::slice::from_ref(&self.sql))
    }

    /// Sets the statements inside (a block computed when it runs, whose
    /// statements are known after all).
    pub fn set_plain(&mut self, plain: Vec<String>) {
        self.plain = Some(plain);
        self.unread = None;
    }

    /// The same statement with `skips` of its text left out of squawk's
    /// review: parts no rule of squawk reads (the caller's word, which the
    /// debug builds check: see [`crate::lint::migrations::review`]).
    /// Ignored unless they are ranges of the text between two characters,
    /// in order, apart, each shape inside its range.
    pub fn unread(mut self, skips: Vec<Skip>) -> Stmt {
        let at = |i: u32| self.sql.is_char_boundary(i as usize);
        let fits = skips.iter().all(|k| {
            k.from <= k.to && at(k.from) && at(k.to) && k.shape.is_none_or(|s| k.from <= s && s <= k.to && at(s))
        }) && skips.windows(2).all(|w| w[0].to <= w[1].from)
            && u32::try_from(self.sql.len()).is_ok();
        self.unread = (fits && self.plain.is_none() && !skips.is_empty()).then(|| skips.into_boxed_slice());
        self
    }

    /// The same statement, which squawk's review may leave out when its
    /// table is created before it in the same migration, run in a
    /// transaction (the caller's word, which the debug builds check): an
    /// index not built concurrently, or a foreign key added valid, whose
    /// expressions are plainly expressions. The rules that read one
    /// (`require-concurrent-index-creation`, `adding-foreign-key-constraint`,
    /// `constraint-missing-not-valid`) pass over a table created in the
    /// transaction; `prefer-robust-stmts` over every statement in one.
    pub fn unread_on_new(mut self) -> Stmt {
        self.left_out = LeftOut::OnNewTable;
        self
    }

    /// The same statement, which squawk's review may leave out of any
    /// migration run in a transaction (the caller's word, which the debug
    /// builds check): `ALTER TABLE … DROP CONSTRAINT IF EXISTS`, which only
    /// `prefer-robust-stmts` reads (a missing `IF EXISTS`, and the name,
    /// for a constraint added again later), and only outside a
    /// transaction, and `require-timeout-settings`, after the timeouts
    /// every migration sets first.
    pub fn unread_in_transaction(mut self) -> Stmt {
        self.left_out = LeftOut::InTransaction;
        self
    }

    /// The same statement, which squawk's review may leave out of any
    /// migration (the caller's word, which the debug builds check): one no
    /// rule reads after the timeouts every migration sets first, in a
    /// transaction or not (a trigger or a policy dddc writes, see
    /// [`crate::sql::objects::create_trigger`]).
    pub fn unread_anywhere(mut self) -> Stmt {
        self.left_out = LeftOut::Anywhere;
        self
    }

    /// When squawk's review may leave the statement out.
    pub fn left_out(&self) -> LeftOut {
        self.left_out
    }

    /// Whether the review leaves part of the statement out.
    pub fn partly_read(&self) -> bool {
        self.unread.is_some()
    }

    /// The same statement read whole by the review.
    pub fn read_whole(mut self) -> Stmt {
        self.unread = None;
        self
    }

    /// Appends the plain statements to `text` as squawk's review reads
    /// them, a line each; `seen`: the shapes of [`Skip`] already read in
    /// `text`, to which those read now are added.
    pub fn push_linted<'s>(&'s self, text: &mut String, seen: &mut std::collections::HashSet<&'s str>) {
        let plain = self.plain();
        let skips = self.unread.as_deref().filter(|_| plain.len() == 1).unwrap_or_default();
        for p in plain {
            let mut at = 0;
            for k in skips {
                let (from, to) = (k.from as usize, k.to as usize);
                if let Some(shape) = k.shape {
                    if seen.insert(&p[shape as usize..to]) {
                        continue;
                    }
                }
                text.push_str(&p[at..from]);
                at = to;
            }
            text.push_str(&p[at..]);
            text.push('\n');
        }
    }

    /// The size of what [`Stmt::push_linted`] appends at most.
    pub fn linted_len(&self) -> usize {
        let plain = self.plain();
        let skips = self.unread.as_deref().filter(|_| plain.len() == 1).unwrap_or_default();
        let left: usize = skips.iter().filter(|k| k.shape.is_none()).map(|k| (k.to - k.from) as usize).sum();
        plain.iter().map(|p| p.len() + 1).sum::<usize>() - left
    }

    /// Marks the statement as lifting row-level security when `rels` is
    /// not empty.
    pub fn lifting(mut self, rels: &[String]) -> Stmt {
        self.lifts_row_security = !rels.is_empty();
        self
    }

    /// Whether the text differs from the plain form (guarded or computed).
    pub fn is_guarded(&self) -> bool {
        let plain = self.plain();
        plain.len() != 1 || plain[0] != self.sql
    }

    /// The lock on the statement's table, and what it does meanwhile.
    pub fn effect(&self) -> Option<(LockLevel, Work)> {
        self.op.effect()
    }
}

/// Whether squawk's rules read nothing in `expr`, a `CHECK` constraint's
/// expression in a `CREATE TABLE`. The rules that look into a new table
/// read its columns (their types, `NOT NULL`, defaults, references) and
/// its keys and uniques; a check's expression is read only by the two
/// rules that walk every node of the file: `identifier-too-long` (a name
/// past 63 bytes) and `ban-duplicate-column-assignments` (`UPDATE … SET`,
/// `INSERT`, a `CREATE TABLE`'s columns). An expression dddc writes holds
/// neither; one with the model's `sql "…"` escape may hold anything, so
/// this reads the text as squawk's lexer would and says no to whatever
/// could reach past one expression or hold a statement: outside its
/// string literals (`''` escapes a quote) a `;`, a comment, a quoted name
/// or dollar quote, an `E'…'` string, parentheses that do not balance, a
/// run of name characters past 63 bytes, or a word that begins a
/// statement or a clause of one, or a comma that makes a list where one
/// expression belongs (outside a call's or type's parentheses, `f(a, b)`,
/// and an `IN (…)` list: PostgreSQL refuses `CHECK (a, b > c)`, squawk reads it
/// as a list of columns).
pub fn unread_by_squawk(expr: &str) -> bool {
    const WORDS: [&str; 14] = [
        "select",
        "update",
        "insert",
        "delete",
        "merge",
        "set",
        "values",
        "with",
        "returning",
        "create",
        "alter",
        "drop",
        "table",
        "into",
    ];
    let b = expr.as_bytes();
    let name = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || !c.is_ascii();
    let mut i = 0;
    // Each open parenthesis: whether a comma may stand in it (a call's, a
    // type's or an `IN` list's).
    let mut open: Vec<bool> = Vec::new();
    let mut last_word = "";
    while i < b.len() {
        match b[i] {
            b'\'' => {
                if i > 0 && matches!(b[i - 1], b'E' | b'e') {
                    return false;
                }
                last_word = "";
                // To the closing quote, `''` inside.
                i += 1;
                loop {
                    match b.get(i) {
                        None => return false,
                        Some(b'\'') if b.get(i + 1) == Some(&b'\'') => i += 2,
                        Some(b'\'') => break,
                        Some(_) => i += 1,
                    }
                }
            }
            b'(' => {
                let call = i > 0 && name(b[i - 1]);
                open.push(call || last_word.eq_ignore_ascii_case("in"));
            }
            b')' => {
                if open.pop().is_none() {
                    return false;
                }
            }
            b',' if !open.last().copied().unwrap_or(false) => return false,
            b';' | b'"' | b'$' | b'\\' => return false,
            b'-' if b.get(i + 1) == Some(&b'-') => return false,
            b'/' if b.get(i + 1) == Some(&b'*') => return false,
            c if name(c) => {
                let start = i;
                while b.get(i + 1).is_some_and(|&c| name(c)) {
                    i += 1;
                }
                let word = &expr[start..=i];
                if word.len() > 63 || WORDS.iter().any(|w| word.eq_ignore_ascii_case(w)) {
                    return false;
                }
                last_word = word;
            }
            b' ' | b'\n' | b'\t' => {}
            _ => last_word = "",
        }
        i += 1;
    }
    open.is_empty()
}

/// Texts of statements, for scripts that need only the text.
pub fn texts(stmts: &[Stmt]) -> Vec<String> {
    stmts.iter().map(|s| s.sql.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain form as it was when every statement held a copy: the text
    /// itself, the statement a guard wraps, or none for a computed block;
    /// a wrapped statement keeps the text it had.
    #[test]
    fn the_plain_form_is_held_only_when_it_differs() {
        let plain = Stmt::new(Op::Comment, None, "COMMENT ON SCHEMA s IS 'x';".into());
        assert_eq!(plain.plain(), ["COMMENT ON SCHEMA s IS 'x';"]);
        assert!(plain.plain.is_none() && !plain.is_guarded());
        let guarded = Stmt::guarded(Op::Comment, None, "ALTER TABLE t ADD c int;".into(), "DO $$ … $$;".into());
        assert_eq!(guarded.plain(), ["ALTER TABLE t ADD c int;"]);
        assert!(guarded.is_guarded());
        assert!(Stmt::opaque(Op::Backfill, None, "DO $$ … $$;".into()).plain().is_empty());
        let wrapped = plain.clone().wrapped(|sql| format!("DO $$ BEGIN {sql} END $$;"));
        assert_eq!(wrapped.plain(), ["COMMENT ON SCHEMA s IS 'x';"]);
        assert_eq!(wrapped.sql, "DO $$ BEGIN COMMENT ON SCHEMA s IS 'x'; END $$;");
        assert!(wrapped.is_guarded());
        // Wrapped twice, the plain form is still the first text.
        let twice = wrapped.wrapped(|sql| format!("-- again\n{sql}"));
        assert_eq!(twice.plain(), ["COMMENT ON SCHEMA s IS 'x';"]);
        // Equal by what plain() gives, held apart or not.
        let same = Stmt::guarded(Op::Comment, None, plain.sql.clone(), plain.sql.clone());
        assert_eq!(plain, same);
        let mut set = Stmt::opaque(Op::Backfill, None, "DO $$ … $$;".into());
        set.set_plain(vec!["UPDATE t SET c = 1;".into()]);
        assert_eq!(set.plain(), ["UPDATE t SET c = 1;"]);
    }
}
