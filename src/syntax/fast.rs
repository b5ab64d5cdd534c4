//! A hand-written parser for `grammar/ddd.pest`: the same tree as pest's,
//! pair for pair, several times sooner.
//!
//! pest's generated parser spends most of its time on bookkeeping: every
//! rule call checks the call limit and the stack, boxes its state, and a
//! failed alternative restores the token queue; that made it the largest
//! part of the front end (2.9 MB of model read at about 5 MB/s a core). This
//! module walks the grammar by hand, rule for rule, with the same ordered
//! choices, the same implicit whitespace (`skip` between the parts of a
//! sequence and between the turns of a repetition, never after the last
//! turn), the same catch-all `block_junk` and `top_junk` for lines that are
//! no item, and the same pairs, and hands the tree to the builder as the
//! same flat list ([`super::tree`]) pest's are turned into, so the rest of
//! the front end cannot tell the difference. The junk is then explained by
//! `syntax::errors`, which parses each broken line again with pest.
//!
//! It gives up in two cases: when the file does not parse at all (pest
//! parses it then, and its error is the diagnostic), and when rules nest
//! deeper than [`MAX_NESTING`] (the file is refused with a diagnostic of
//! its own; `syntax::limits` keeps real models far below it). Giving up is
//! always safe; the one way to be wrong is a tree that differs from pest's,
//! and debug builds (the tests, the fuzzer) parse every file both ways and
//! compare the trees ([`super::parse`]).

use super::tree::Node;
use super::Rule;

/// Deepest nesting of rules the parser follows. Each level of parentheses
/// is eight pairs deep (`expr` down to `unary`; `atom` is silent), so
/// `syntax::limits`'s 64 levels are under 600 (by that count, not measured
/// on a model). A file that gets past that scan stops here instead of
/// exhausting the stack: its brackets after a quote that the
/// scan took for the start of a string, on a line that is junk to the
/// grammar (`oops 'x`, then 100,000 parentheses on the next line). pest
/// had no answer to that either: the pipeline overflowed its stack.
pub const MAX_NESTING: usize = 2048;

/// Why the hand-written parser gave up on a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum GaveUp {
    /// The grammar does not read the file at all. `top_junk` takes any
    /// line, so no file is known to get here; pest decides if one does.
    NoParse,
    /// Rules nested deeper than [`MAX_NESTING`], from this byte on.
    TooDeep(usize),
}

/// The pairs of a file, in preorder (a failed alternative truncates the
/// list), or why it gave up.
pub(super) fn parse(text: &str) -> Result<Vec<Node>, GaveUp> {
    parse_range(text, 0..text.len())
}

/// [`parse`] of `text[range]` as if it were a whole file, the pairs' bytes
/// counted in `text` (for a part of a file that starts and ends at the
/// start of a line, see [`super::parse_part`]).
pub(super) fn parse_range(text: &str, range: std::ops::Range<usize>) -> Result<Vec<Node>, GaveUp> {
    // genmodel's documented model has a pair every 5.5 bytes (measured);
    // a list of a quarter of the text grows at most once for any text with
    // fewer pairs than one every 2 bytes.
    let nodes = Vec::with_capacity(range.len() / 4 + 16);
    let mut p = P { b: &text.as_bytes()[..range.end], pos: range.start, nodes, depth: 0, too_deep: None };
    let parsed = p.file();
    match (p.too_deep, parsed) {
        (Some(at), _) => Err(GaveUp::TooDeep(at)),
        (None, false) => Err(GaveUp::NoParse),
        (None, true) => Ok(p.nodes),
    }
}

fn ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

struct P<'a> {
    b: &'a [u8],
    pos: usize,
    nodes: Vec<Node>,
    /// How many rules are open.
    depth: usize,
    /// Where the nesting passed [`MAX_NESTING`]: every rule fails from
    /// then on.
    too_deep: Option<usize>,
}

impl<'a> P<'a> {
    // ------------------------------------------------------------ machinery --

    fn at(&self, s: &[u8]) -> bool {
        starts(self.b, self.pos, s)
    }

    fn lit(&mut self, s: &[u8]) -> bool {
        let hit = self.at(s);
        if hit {
            self.pos += s.len();
        }
        hit
    }

    /// `WHITESPACE* ~ (COMMENT ~ WHITESPACE*)*` between the parts of a
    /// non-atomic rule. Always succeeds, so it chains with `&&`.
    fn s(&mut self) -> bool {
        loop {
            match self.b.get(self.pos) {
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.pos += 1,
                Some(0xEF) if self.at("\u{FEFF}".as_bytes()) => self.pos += 3,
                Some(b'/') if self.b.get(self.pos + 1) == Some(&b'/') => {
                    self.pos += self.b[self.pos..].iter().position(|&c| c == b'\n').unwrap_or(self.b.len() - self.pos);
                }
                _ => return true,
            }
        }
    }

    /// A non-silent rule: its pair wraps whatever `f` pushed. On failure
    /// nothing is consumed and nothing pushed.
    fn node(&mut self, rule: Rule, f: impl FnOnce(&mut Self) -> bool) -> bool {
        if self.depth >= MAX_NESTING && self.too_deep.is_none() {
            self.too_deep = Some(self.pos);
        }
        if self.too_deep.is_some() {
            return false;
        }
        let (start, index) = (self.pos, self.nodes.len());
        self.nodes.push(Node { rule, start, end: start, desc: 0 });
        self.depth += 1;
        let matched = f(self);
        self.depth -= 1;
        if matched {
            let desc = self.nodes.len() - index - 1;
            self.nodes[index] = Node { rule, start, end: self.pos, desc };
            true
        } else {
            self.pos = start;
            self.nodes.truncate(index);
            false
        }
    }

    /// A silent sequence: all of `f` or nothing.
    fn seq(&mut self, f: impl FnOnce(&mut Self) -> bool) -> bool {
        let (start, index) = (self.pos, self.nodes.len());
        if f(self) {
            true
        } else {
            self.pos = start;
            self.nodes.truncate(index);
            false
        }
    }

    /// `x?`: `f` must undo itself when it fails (a rule or a `seq` does).
    fn opt(&mut self, f: impl FnOnce(&mut Self) -> bool) -> bool {
        f(self);
        true
    }

    /// `x*` in a non-atomic rule: `x ~ (skip ~ x)*`, no skip after the last.
    fn rep(&mut self, mut f: impl FnMut(&mut Self) -> bool) -> bool {
        if f(self) {
            loop {
                let before = self.pos;
                self.s();
                if !f(self) {
                    self.pos = before;
                    break;
                }
            }
        }
        true
    }

    /// `("," ~ x)*`.
    fn commas(&mut self, mut item: impl FnMut(&mut Self) -> bool) -> bool {
        self.rep(|p| p.seq(|p| p.lit(b",") && p.s() && item(p)))
    }

    /// `"(" ~ x ~ ("," ~ x)* ~ ")"`, inside a rule or a `seq` (which undo
    /// it when it fails).
    fn parens(&mut self, mut item: impl FnMut(&mut Self) -> bool) -> bool {
        self.lit(b"(") && self.s() && item(self) && self.s() && self.commas(&mut item) && self.s() && self.lit(b")")
    }

    /// `"{" ~ (item | block_junk)* ~ "}"`, inside a rule.
    fn block(&mut self, mut item: impl FnMut(&mut Self) -> bool) -> bool {
        self.lit(b"{") && self.s() && self.rep(|p| item(p) || p.block_junk()) && self.s() && self.lit(b"}")
    }

    /// `block_junk`, or the end of the parse where its braces nest past
    /// [`MAX_NESTING`] (pest's recursion would run out of stack there).
    fn block_junk(&mut self) -> bool {
        match block_junk_end(self.b, self.pos) {
            Ok(Some(end)) => {
                let start = self.pos;
                self.pos = end;
                self.leaf(Rule::block_junk, start)
            }
            Ok(None) => false,
            Err(at) => {
                self.too_deep.get_or_insert(at);
                false
            }
        }
    }

    fn leaf(&mut self, rule: Rule, start: usize) -> bool {
        self.nodes.push(Node { rule, start, end: self.pos, desc: 0 });
        true
    }

    /// An atomic rule: `scan` returns where it ends, if it matches here.
    fn atomic(&mut self, rule: Rule, scan: impl FnOnce(&[u8], usize) -> Option<usize>) -> bool {
        match scan(self.b, self.pos) {
            Some(end) => {
                let start = self.pos;
                self.pos = end;
                self.leaf(rule, start)
            }
            None => false,
        }
    }

    /// `kw_* = @{ "word" ~ !ident_char }`.
    fn kw(&mut self, word: &[u8], rule: Rule) -> bool {
        self.atomic(rule, |b, at| word_end(b, at, word))
    }

    /// `kw_* = @{ "word" ~ !ident_char ~ !colon_next }`.
    fn kw_nc(&mut self, word: &[u8], rule: Rule) -> bool {
        self.atomic(rule, |b, at| word_end(b, at, word).filter(|&end| !colon_next(b, end)))
    }

    // --------------------------------------------------------------- lexical --

    fn ident(&mut self) -> bool {
        self.atomic(Rule::ident, ident_end)
    }

    /// `path = ${ ident ~ ("." ~ ident)* }`: compound-atomic, no skip.
    fn path(&mut self) -> bool {
        self.node(Rule::path, |p| {
            if !p.ident() {
                return false;
            }
            while p.seq(|p| p.lit(b".") && p.ident()) {}
            true
        })
    }

    fn string(&mut self) -> bool {
        self.atomic(Rule::sq_string, sq_string_end) || self.atomic(Rule::dq_string, dq_string_end)
    }

    fn int(&mut self) -> bool {
        self.atomic(Rule::int, |b, at| {
            let end = digits(b, at)?;
            (!b.get(end).is_some_and(|&c| ident_char(c) || c == b'.')).then_some(end)
        })
    }

    fn month(&mut self) -> bool {
        self.atomic(Rule::month, |b, at| {
            let end = dashed(b, at, &[4, 2])?;
            (!b.get(end).is_some_and(|&c| ident_char(c) || c == b'-')).then_some(end)
        })
    }

    // ----------------------------------------------------------------- files --

    fn file(&mut self) -> bool {
        self.node(Rule::file, |p| {
            p.s();
            p.rep(|p| p.top_item() || p.atomic(Rule::top_junk, top_junk_end));
            p.s();
            p.pos == p.b.len() && p.leaf(Rule::EOI, p.pos)
        })
    }

    fn top_item(&mut self) -> bool {
        self.include()
            || self.model()
            || self.context()
            || self.enum_decl()
            || self.value_decl()
            || self.role()
            || self.publication()
    }

    fn include(&mut self) -> bool {
        self.node(Rule::include, |p| p.kw(b"include", Rule::kw_include) && p.s() && p.string())
    }

    /// `annotation*` after a name, then the block's `{`.
    fn annotations(&mut self) -> bool {
        self.rep(|p| p.annotation())
    }

    // ----------------------------------------------------------------- model --

    fn model(&mut self) -> bool {
        self.node(Rule::model, |p| {
            p.kw(b"model", Rule::kw_model)
                && p.s()
                && p.ident()
                && p.s()
                && p.annotations()
                && p.s()
                && p.block(|p| p.model_item())
        })
    }

    fn model_item(&mut self) -> bool {
        self.target()
            || self.tables_rule()
            || self.extensions()
            || self.defaults()
            || self.audit_log()
            || self.role()
            || self.publication()
            || self.context()
            || self.enum_decl()
            || self.value_decl()
    }

    fn target(&mut self) -> bool {
        self.node(Rule::target, |p| p.kw(b"target", Rule::kw_target) && p.s() && p.ident() && p.s() && p.int())
    }

    fn tables_rule(&mut self) -> bool {
        self.node(Rule::tables_rule, |p| p.kw(b"tables", Rule::kw_tables) && p.s() && p.ident())
    }

    fn extensions(&mut self) -> bool {
        self.node(Rule::extensions, |p| {
            p.kw(b"extensions", Rule::kw_extensions) && p.s() && p.ext_name() && p.s() && p.commas(|p| p.ext_name())
        })
    }

    fn ext_name(&mut self) -> bool {
        self.atomic(Rule::ext_name, |b, at| {
            let n = b[at..].iter().take_while(|&&c| ident_char(c) || c == b'-').count();
            (n > 0).then_some(at + n)
        })
    }

    fn defaults(&mut self) -> bool {
        self.node(Rule::defaults, |p| p.kw(b"defaults", Rule::kw_defaults) && p.s() && p.block(|p| p.setting()))
    }

    fn setting(&mut self) -> bool {
        self.node(Rule::setting, |p| p.opt(|p| p.kw(b"no", Rule::kw_no)) && p.s() && p.ident())
    }

    fn audit_log(&mut self) -> bool {
        self.node(Rule::audit_log, |p| {
            p.kw(b"audit_log", Rule::kw_audit_log) && p.s() && p.path() && p.s() && p.opt(|p| p.month_range())
        })
    }

    fn month_range(&mut self) -> bool {
        self.node(Rule::month_range, |p| {
            p.kw(b"monthly", Rule::kw_monthly)
                && p.s()
                && p.kw(b"from", Rule::kw_from)
                && p.s()
                && p.month()
                && p.s()
                && p.kw(b"to", Rule::kw_to)
                && p.s()
                && p.month()
        })
    }

    // -------------------------------------------------------------- contexts --

    fn context(&mut self) -> bool {
        self.node(Rule::context, |p| {
            p.kw(b"context", Rule::kw_context)
                && p.s()
                && p.ident()
                && p.s()
                && p.annotations()
                && p.s()
                && p.block(|p| p.tenant_by() || p.enum_decl() || p.value_decl() || p.aggregate())
        })
    }

    fn tenant_by(&mut self) -> bool {
        self.node(Rule::tenant_by, |p| {
            p.kw(b"tenant", Rule::kw_tenant) && p.s() && p.kw(b"by", Rule::kw_by) && p.s() && p.ident()
        })
    }

    // ------------------------------------------------------ enums and values --

    fn enum_decl(&mut self) -> bool {
        self.node(Rule::enum_decl, |p| {
            p.kw(b"enum", Rule::kw_enum)
                && p.s()
                && p.ident()
                && p.s()
                && p.opt(|p| p.node(Rule::native, |p| p.kw(b"native", Rule::kw_native)))
                && p.s()
                && p.annotations()
                && p.s()
                && p.block(|p| p.seq(|p| p.enum_value() && p.s() && p.opt(|p| p.lit(b","))))
        })
    }

    fn enum_value(&mut self) -> bool {
        self.node(Rule::enum_value, |p| p.ident() && p.s() && p.annotations())
    }

    fn value_decl(&mut self) -> bool {
        self.node(Rule::value_decl, |p| {
            p.kw(b"value", Rule::kw_value)
                && p.s()
                && p.ident()
                && p.s()
                && p.annotations()
                && p.s()
                && (p.value_single() || p.value_block())
        })
    }

    fn value_single(&mut self) -> bool {
        self.node(Rule::value_single, |p| {
            p.lit(b":")
                && p.s()
                && p.type_expr()
                && p.s()
                && p.opt(|p| p.seq(|p| p.kw(b"check", Rule::kw_check) && p.s() && p.check_expr()))
        })
    }

    fn value_block(&mut self) -> bool {
        self.node(Rule::value_block, |p| p.block(|p| p.field() || p.invariant()))
    }

    fn check_expr(&mut self) -> bool {
        self.node(Rule::check_expr, |p| p.node(Rule::implicit_test, |p| p.test_suffix()) || p.expr())
    }

    // ----------------------------------------------------------------- types --

    fn type_expr(&mut self) -> bool {
        self.node(Rule::type_expr, |p| p.ref_type() || p.plain_type())
    }

    fn plain_type(&mut self) -> bool {
        self.node(Rule::plain_type, |p| {
            p.path()
                && p.s()
                && p.opt(|p| p.type_args())
                && p.s()
                && p.opt(|p| p.node(Rule::array, |p| p.lit(b"[") && p.s() && p.lit(b"]")))
                && p.s()
                && p.opt(|p| p.optional())
                && p.s()
                && p.opt(|p| {
                    p.node(Rule::type_flag, |p| p.kw_nc(b"identity", Rule::kw_identity) || p.kw_nc(b"v7", Rule::kw_v7))
                })
        })
    }

    fn type_args(&mut self) -> bool {
        self.node(Rule::type_args, |p| p.parens(|p| p.int()))
    }

    fn optional(&mut self) -> bool {
        self.node(Rule::optional, |p| p.lit(b"?"))
    }

    fn ref_type(&mut self) -> bool {
        self.node(Rule::ref_type, |p| {
            p.kw(b"ref", Rule::kw_ref)
                && p.s()
                && p.path()
                && p.s()
                && p.opt(|p| p.optional())
                && p.s()
                && p.rep(|p| p.ref_option())
        })
    }

    fn ref_option(&mut self) -> bool {
        self.node(Rule::ref_option, |p| {
            p.node(Rule::on_delete, |p| {
                p.kw(b"on", Rule::kw_on) && p.s() && p.kw(b"delete", Rule::kw_delete) && p.s() && p.ref_action()
            }) || p.node(Rule::on_update, |p| {
                p.kw(b"on", Rule::kw_on) && p.s() && p.kw(b"update", Rule::kw_update) && p.s() && p.ref_action()
            }) || p.node(Rule::loose, |p| p.kw_nc(b"loose", Rule::kw_loose))
        })
    }

    fn ref_action(&mut self) -> bool {
        self.node(Rule::ref_action, |p| {
            p.kw(b"restrict", Rule::kw_restrict)
                || p.kw(b"cascade", Rule::kw_cascade)
                || p.node(Rule::set_null, |p| p.kw(b"set", Rule::kw_set) && p.s() && p.kw(b"null", Rule::kw_null))
                || p.node(Rule::set_default, |p| p.kw(b"set", Rule::kw_set) && p.s() && p.ident())
                || p.node(Rule::no_action, |p| p.kw(b"no", Rule::kw_no) && p.s() && p.kw(b"action", Rule::kw_action))
        })
    }

    // ---------------------------------------------------------------- fields --

    fn field(&mut self) -> bool {
        self.node(Rule::field, |p| {
            p.ident()
                && p.s()
                && p.lit(b":")
                && p.s()
                && p.type_expr()
                && p.s()
                && p.rep(|p| {
                    p.node(Rule::default_value, |p| p.lit(b"=") && p.s() && p.expr())
                        || p.node(Rule::unique_flag, |p| p.atomic(Rule::kw_unique_mod, unique_mod_end))
                        || p.node(Rule::indexed_flag, |p| p.kw_nc(b"indexed", Rule::kw_indexed))
                        || p.annotation()
                })
        })
    }

    fn annotation(&mut self) -> bool {
        self.node(Rule::annotation, |p| {
            p.lit(b"@") && p.s() && p.ident() && p.s() && p.opt(|p| p.seq(|p| p.parens(|p| p.expr())))
        })
    }

    // ------------------------------------------------------------ aggregates --

    fn aggregate(&mut self) -> bool {
        self.node(Rule::aggregate, |p| {
            p.kw(b"aggregate", Rule::kw_aggregate)
                && p.s()
                && p.ident()
                && p.s()
                && p.opt(|p| p.table_as())
                && p.s()
                && p.annotations()
                && p.s()
                && p.block(|p| p.aggregate_item())
        })
    }

    fn entity(&mut self) -> bool {
        self.node(Rule::entity, |p| {
            p.kw(b"entity", Rule::kw_entity)
                && p.s()
                && p.ident()
                && p.s()
                && p.opt(|p| p.table_as())
                && p.s()
                && p.opt(|p| p.node(Rule::one, |p| p.kw_nc(b"one", Rule::kw_one)))
                && p.s()
                && p.annotations()
                && p.s()
                && p.block(|p| p.aggregate_item())
        })
    }

    fn table_as(&mut self) -> bool {
        self.node(Rule::table_as, |p| p.kw(b"as", Rule::kw_as) && p.s() && p.ident())
    }

    fn aggregate_item(&mut self) -> bool {
        self.field()
            || self.flag()
            || self.expected_rows()
            || self.key()
            || self.invariant()
            || self.index(Rule::index, |p| p.kw(b"index", Rule::kw_index))
            || self.index(Rule::unique, |p| p.kw_nc(b"unique", Rule::kw_unique))
            || self.entity()
            || self.events()
            || self.partition()
            || self.search()
    }

    fn flag(&mut self) -> bool {
        self.node(Rule::flag, |p| {
            p.opt(|p| p.kw(b"no", Rule::kw_no))
                && p.s()
                && p.atomic(Rule::kw_flag, |b, at| {
                    [&b"soft_delete"[..], b"audited", b"tenant_scoped", b"timestamps"]
                        .iter()
                        .find_map(|w| word_end(b, at, w))
                        .filter(|&end| !colon_next(b, end))
                })
        })
    }

    fn expected_rows(&mut self) -> bool {
        self.node(Rule::expected_rows, |p| {
            p.kw(b"expected_rows", Rule::kw_expected_rows)
                && p.s()
                && p.atomic(Rule::size, |b, at| {
                    let mut end = decimal(b, at)?;
                    if matches!(b.get(end), Some(b'k' | b'K' | b'M' | b'G' | b'B')) {
                        end += 1;
                    }
                    (!b.get(end).is_some_and(|&c| ident_char(c))).then_some(end)
                })
        })
    }

    fn key(&mut self) -> bool {
        self.node(Rule::key, |p| p.kw(b"key", Rule::kw_key) && p.s() && p.parens(|p| p.ident()))
    }

    fn invariant(&mut self) -> bool {
        self.node(Rule::invariant, |p| {
            p.kw(b"invariant", Rule::kw_invariant)
                && p.s()
                && p.ident()
                && p.s()
                && p.annotations()
                && p.s()
                && p.lit(b":")
                && p.s()
                && p.expr()
        })
    }

    /// `index` and `unique`: the same shape after two keywords (`kw_unique`
    /// refuses a following `:`, a field named `unique`; `kw_index` does
    /// not).
    fn index(&mut self, rule: Rule, keyword: impl FnOnce(&mut Self) -> bool) -> bool {
        self.node(rule, |p| {
            keyword(p)
                && p.s()
                && p.opt(|p| p.node(Rule::using, |p| p.kw(b"using", Rule::kw_using) && p.s() && p.ident()))
                && p.s()
                && p.node(Rule::index_items, |p| p.parens(|p| p.expr()))
                && p.s()
                && p.rep(|p| {
                    p.node(Rule::where_clause, |p| p.kw(b"where", Rule::kw_where) && p.s() && p.expr())
                        || p.node(Rule::including_deleted, |p| {
                            p.kw(b"including", Rule::kw_including) && p.s() && p.kw(b"deleted", Rule::kw_deleted)
                        })
                        || p.annotation()
                })
        })
    }

    fn events(&mut self) -> bool {
        self.node(Rule::events, |p| {
            p.kw(b"events", Rule::kw_events)
                && p.s()
                && p.opt(|p| p.node(Rule::outbox, |p| p.kw(b"outbox", Rule::kw_outbox)))
                && p.s()
                && p.opt(|p| p.table_as())
                && p.s()
                && p.opt(|p| p.month_range())
                && p.s()
                && p.annotations()
                && p.s()
                && p.block(|p| p.seq(|p| p.node(Rule::event_name, |p| p.ident()) && p.s() && p.opt(|p| p.lit(b","))))
        })
    }

    fn partition(&mut self) -> bool {
        self.node(Rule::partition, |p| {
            p.kw(b"partition", Rule::kw_partition)
                && p.s()
                && p.kw(b"by", Rule::kw_by)
                && p.s()
                && (p.node(Rule::range_partition, |p| {
                    p.kw(b"range", Rule::kw_range) && p.s() && p.paren_ident() && p.s() && p.opt(|p| p.month_range())
                }) || p.node(Rule::list_partition, |p| {
                    p.kw(b"list", Rule::kw_list)
                        && p.s()
                        && p.paren_ident()
                        && p.s()
                        && p.lit(b"{")
                        && p.s()
                        && p.rep(|p| p.seq(|p| p.list_part() && p.s() && p.opt(|p| p.lit(b","))))
                        && p.s()
                        && p.lit(b"}")
                }) || p.node(Rule::hash_partition, |p| {
                    p.kw(b"hash", Rule::kw_hash)
                        && p.s()
                        && p.paren_ident()
                        && p.s()
                        && p.kw(b"into", Rule::kw_into)
                        && p.s()
                        && p.int()
                }))
        })
    }

    /// `"(" ~ ident ~ ")"`, inside a rule (no pair of its own).
    fn paren_ident(&mut self) -> bool {
        self.lit(b"(") && self.s() && self.ident() && self.s() && self.lit(b")")
    }

    fn list_part(&mut self) -> bool {
        self.node(Rule::list_part, |p| {
            p.ident() && p.s() && p.lit(b":") && p.s() && (p.literal() || p.seq(|p| p.parens(|p| p.literal())))
        })
    }

    fn search(&mut self) -> bool {
        self.node(Rule::search, |p| {
            p.kw(b"search", Rule::kw_search) && p.s() && p.ident() && p.s() && p.parens(|p| p.search_item())
        })
    }

    fn search_item(&mut self) -> bool {
        self.node(Rule::search_item, |p| {
            p.path()
                && p.s()
                && p.opt(|p| {
                    p.atomic(Rule::weight, |b, at| {
                        matches!(b.get(at), Some(b'A'..=b'D'))
                            .then_some(at + 1)
                            .filter(|&end| !b.get(end).is_some_and(|&c| ident_char(c)))
                    })
                })
        })
    }

    // ------------------------------------------------ roles and publications --

    fn role(&mut self) -> bool {
        self.node(Rule::role, |p| {
            p.kw(b"role", Rule::kw_role)
                && p.s()
                && p.ident()
                && p.s()
                && p.block(|p| {
                    p.node(Rule::grant, |p| {
                        (p.kw(b"read", Rule::kw_read) || p.kw(b"write", Rule::kw_write))
                            && p.s()
                            && p.ident()
                            && p.s()
                            && p.commas(|p| p.ident())
                    })
                })
        })
    }

    fn publication(&mut self) -> bool {
        self.node(Rule::publication, |p| {
            p.kw(b"publication", Rule::kw_publication)
                && p.s()
                && p.ident()
                && p.s()
                && p.lit(b"{")
                && p.s()
                && p.opt(|p| p.seq(|p| p.path() && p.s() && p.commas(|p| p.path()) && p.s() && p.opt(|p| p.lit(b","))))
                && p.s()
                && p.lit(b"}")
        })
    }

    // ----------------------------------------------------------- expressions --

    fn expr(&mut self) -> bool {
        self.node(Rule::expr, |p| {
            p.or_expr() && p.s() && p.opt(|p| p.seq(|p| p.kw(b"implies", Rule::kw_implies) && p.s() && p.or_expr()))
        })
    }

    fn or_expr(&mut self) -> bool {
        self.node(Rule::or_expr, |p| {
            p.and_expr() && p.s() && p.rep(|p| p.seq(|p| p.kw(b"or", Rule::kw_or) && p.s() && p.and_expr()))
        })
    }

    fn and_expr(&mut self) -> bool {
        self.node(Rule::and_expr, |p| {
            p.not_expr() && p.s() && p.rep(|p| p.seq(|p| p.kw(b"and", Rule::kw_and) && p.s() && p.not_expr()))
        })
    }

    fn not_expr(&mut self) -> bool {
        self.node(Rule::not_expr, |p| {
            p.seq(|p| p.kw(b"not", Rule::kw_not) && p.s() && p.not_expr())
                || p.node(Rule::test, |p| p.sum() && p.s() && p.opt(|p| p.test_suffix()))
        })
    }

    fn test_suffix(&mut self) -> bool {
        self.node(Rule::cmp_suffix, |p| {
            p.node(Rule::cmp_op, |p| {
                p.lit(b"==") || p.lit(b"!=") || p.lit(b"<=") || p.lit(b">=") || p.lit(b"<") || p.lit(b">")
            }) && p.s()
                && p.sum()
        }) || self.node(Rule::null_suffix, |p| {
            p.kw(b"is", Rule::kw_is) && p.s() && p.opt(|p| p.not_kw()) && p.s() && p.kw(b"null", Rule::kw_null)
        }) || self.node(Rule::in_suffix, |p| {
            p.opt(|p| p.not_kw()) && p.s() && p.kw(b"in", Rule::kw_in) && p.s() && p.parens(|p| p.expr())
        }) || self.node(Rule::between_suffix, |p| {
            p.kw(b"between", Rule::kw_between)
                && p.s()
                && p.sum()
                && p.s()
                && p.kw(b"and", Rule::kw_and)
                && p.s()
                && p.sum()
        }) || self.node(Rule::matches_suffix, |p| {
            p.kw(b"matches", Rule::kw_matches) && p.s() && p.atomic(Rule::regex, regex_end)
        })
    }

    fn not_kw(&mut self) -> bool {
        self.node(Rule::not_kw, |p| p.kw(b"not", Rule::kw_not))
    }

    fn sum(&mut self) -> bool {
        self.node(Rule::sum, |p| {
            p.product()
                && p.s()
                && p.rep(|p| p.seq(|p| p.node(Rule::add_op, |p| p.lit(b"+") || p.lit(b"-")) && p.s() && p.product()))
        })
    }

    fn product(&mut self) -> bool {
        self.node(Rule::product, |p| {
            p.unary()
                && p.s()
                && p.rep(|p| {
                    p.seq(|p| p.node(Rule::mul_op, |p| p.lit(b"*") || p.lit(b"/") || p.lit(b"%")) && p.s() && p.unary())
                })
        })
    }

    fn unary(&mut self) -> bool {
        self.node(Rule::unary, |p| p.seq(|p| p.node(Rule::neg, |p| p.lit(b"-")) && p.s() && p.unary()) || p.atom())
    }

    fn atom(&mut self) -> bool {
        self.node(Rule::sql_escape, |p| p.kw(b"sql", Rule::kw_sql) && p.s() && p.string())
            || self.node(Rule::call, |p| {
                word_end(p.b, p.pos, b"not").is_none()
                    && p.ident()
                    && p.s()
                    && p.lit(b"(")
                    && p.s()
                    && p.opt(|p| p.seq(|p| p.expr() && p.s() && p.commas(|p| p.expr())))
                    && p.s()
                    && p.lit(b")")
            })
            || self.literal()
            || (word_end(self.b, self.pos, b"not").is_none() && self.path())
            || self.seq(|p| p.lit(b"(") && p.s() && p.expr() && p.s() && p.lit(b")"))
    }

    fn literal(&mut self) -> bool {
        self.atomic(Rule::date_lit, |b, at| {
            dashed(b, at, &[4, 2, 2]).filter(|&end| !b.get(end).is_some_and(|&c| ident_char(c)))
        }) || self
            .atomic(Rule::number, |b, at| decimal(b, at).filter(|&end| !b.get(end).is_some_and(|&c| ident_char(c))))
            || self.string()
            || self.node(Rule::true_lit, |p| p.kw(b"true", Rule::kw_true))
            || self.node(Rule::false_lit, |p| p.kw(b"false", Rule::kw_false))
            || self.node(Rule::null_lit, |p| p.kw(b"null", Rule::kw_null))
            || self.node(Rule::empty_obj, |p| p.lit(b"{") && p.s() && p.lit(b"}"))
            || self.node(Rule::empty_arr, |p| p.lit(b"[") && p.s() && p.lit(b"]"))
    }
}

// ------------------------------------------------------------------ scanners --
// Each takes the text and a position and returns where its atomic rule ends.

/// Whether `s` is at `at`. A loop, not `starts_with`: the words are short
/// and most tries fail at the first byte, so an inlined loop saves a call to
/// `memcmp` per try (pest's keyword matching spent 7 % of a check in it;
/// this loop was not measured on its own).
fn starts(b: &[u8], at: usize, s: &[u8]) -> bool {
    b.get(at..at + s.len()).is_some_and(|w| w.iter().zip(s).all(|(x, y)| x == y))
}

fn word_end(b: &[u8], at: usize, word: &[u8]) -> Option<usize> {
    let end = at + word.len();
    (starts(b, at, word) && !b.get(end).is_some_and(|&c| ident_char(c))).then_some(end)
}

/// `colon_next = _{ (" " | "\t")* ~ ":" }`.
fn colon_next(b: &[u8], at: usize) -> bool {
    let blanks = b[at..].iter().take_while(|&&c| c == b' ' || c == b'\t').count();
    b.get(at + blanks) == Some(&b':')
}

/// `kw_unique_mod`: `unique` that is neither a field's name nor the start
/// of a `unique (…)` / `unique using …` constraint.
fn unique_mod_end(b: &[u8], at: usize) -> Option<usize> {
    let end = word_end(b, at, b"unique")?;
    if colon_next(b, end) {
        return None;
    }
    let blanks = b[end..].iter().take_while(|&&c| c == b' ' || c == b'\t').count();
    (!(starts(b, end + blanks, b"(") || starts(b, end + blanks, b"using"))).then_some(end)
}

fn ident_end(b: &[u8], at: usize) -> Option<usize> {
    match b.get(at) {
        Some(&c) if c.is_ascii_alphabetic() || c == b'_' => {
            Some(at + 1 + b[at + 1..].iter().take_while(|&&c| ident_char(c)).count())
        }
        _ => None,
    }
}

/// `ASCII_DIGIT+`.
fn digits(b: &[u8], at: usize) -> Option<usize> {
    let n = b[at..].iter().take_while(|c| c.is_ascii_digit()).count();
    (n > 0).then_some(at + n)
}

/// `ASCII_DIGIT+ ~ ("." ~ ASCII_DIGIT+)?`.
fn decimal(b: &[u8], at: usize) -> Option<usize> {
    let end = digits(b, at)?;
    match b.get(end) {
        Some(b'.') => Some(digits(b, end + 1).unwrap_or(end)),
        _ => Some(end),
    }
}

/// Groups of exactly so many digits joined by `-` (`2026-12` is `[4, 2]`).
fn dashed(b: &[u8], at: usize, groups: &[usize]) -> Option<usize> {
    let mut pos = at;
    for (i, &n) in groups.iter().enumerate() {
        if i > 0 {
            if b.get(pos) != Some(&b'-') {
                return None;
            }
            pos += 1;
        }
        let digits = b.get(pos..pos + n)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        pos += n;
    }
    Some(pos)
}

/// `(!"\n" ~ ANY)*`: to the end of the line (byte by byte, as below).
fn line_rest(b: &[u8], at: usize) -> usize {
    at + b[at..].iter().position(|&c| c == b'\n').unwrap_or(b.len() - at)
}

/// `top_junk = @{ (!"\n" ~ ANY)+ }`.
fn top_junk_end(b: &[u8], at: usize) -> Option<usize> {
    let end = line_rest(b, at);
    (end > at).then_some(end)
}

/// `block_junk = @{ junk_text ~ (junk_block ~ (!"\n" ~ ANY)*)? | junk_block }`,
/// with `junk_text = _{ (!("\n" | "{" | "}") ~ ANY)+ }`; `Err` as
/// [`junk_block_end`]'s.
fn block_junk_end(b: &[u8], at: usize) -> Result<Option<usize>, usize> {
    let text = b[at..].iter().take_while(|&&c| !matches!(c, b'\n' | b'{' | b'}')).count();
    if text == 0 {
        return junk_block_end(b, at);
    }
    let end = at + text;
    Ok(Some(junk_block_end(b, end)?.map_or(end, |block| line_rest(b, block))))
}

/// `junk_block = _{ "{" ~ (junk_block | !("{" | "}") ~ ANY)* ~ "}" }`: braces
/// that balance before the end of the file. An inner block that does not
/// close leaves the outer one unclosed too, so a count says the same as the
/// recursion, without a stack as deep as the braces. Braces nested past
/// [`MAX_NESTING`] are `Err` (where the first brace too deep is): pest's
/// recursion stops with an error there, and the parse is given up.
fn junk_block_end(b: &[u8], at: usize) -> Result<Option<usize>, usize> {
    if b.get(at) != Some(&b'{') {
        return Ok(None);
    }
    let mut depth = 0usize;
    for (i, &c) in b.iter().enumerate().skip(at) {
        match c {
            b'{' if depth == MAX_NESTING => return Err(i),
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Ok(Some(i + 1));
                }
            }
            _ => {}
        }
    }
    Ok(None)
}

/// `sq_string = @{ "'" ~ ("''" | !("'" | "\n") ~ ANY)* ~ "'" }`. Byte by
/// byte: the delimiters are ASCII, which no UTF-8 sequence contains.
fn sq_string_end(b: &[u8], at: usize) -> Option<usize> {
    if b.get(at) != Some(&b'\'') {
        return None;
    }
    let mut pos = at + 1;
    loop {
        match b.get(pos)? {
            b'\'' if b.get(pos + 1) == Some(&b'\'') => pos += 2,
            b'\'' => return Some(pos + 1),
            b'\n' => return None,
            _ => pos += 1,
        }
    }
}

/// `dq_string = @{ "\"" ~ ("\"\"" | !"\"" ~ ANY)* ~ "\"" }`.
fn dq_string_end(b: &[u8], at: usize) -> Option<usize> {
    if b.get(at) != Some(&b'"') {
        return None;
    }
    let mut pos = at + 1;
    loop {
        match b.get(pos)? {
            b'"' if b.get(pos + 1) == Some(&b'"') => pos += 2,
            b'"' => return Some(pos + 1),
            _ => pos += 1,
        }
    }
}

/// `regex = @{ "/" ~ ("\\" ~ (!"\n" ~ ANY) | !("/" | "\n") ~ ANY)+ ~ "/" }`.
fn regex_end(b: &[u8], at: usize) -> Option<usize> {
    if b.get(at) != Some(&b'/') {
        return None;
    }
    let mut pos = at + 1;
    loop {
        match b.get(pos) {
            Some(b'\\') if b.get(pos + 1).is_some_and(|&c| c != b'\n') => pos += 2,
            Some(b'/') | Some(b'\n') | None => break,
            Some(_) => pos += 1,
        }
    }
    (pos > at + 1 && b.get(pos) == Some(&b'/')).then_some(pos + 1)
}

#[cfg(test)]
mod tests {
    use pest::Parser;

    use super::*;
    use crate::syntax::{tree, DddParser};

    fn ddd_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("a directory of the repository").flatten() {
            let path = entry.path();
            if path.is_dir() {
                ddd_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "ddd") {
                out.push(path);
            }
        }
    }

    /// Every model of the repository (examples, fixtures, the validation
    /// suite's broken files, junk and all): the same pairs as pest's.
    #[test]
    fn every_model_of_the_repository_parses_as_pest_parses_it() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["examples", "tests"] {
            ddd_files(&root.join(dir), &mut files);
        }
        files.sort();
        let (mut clean, mut junk) = (0, 0);
        for path in &files {
            let Ok(text) = std::fs::read_to_string(path) else { continue };
            if crate::syntax::limits::check(crate::diagnostics::FileId(0), &text).is_some() {
                continue;
            }
            let slow = DddParser::parse(Rule::file, &text).map(tree::from_pest);
            let slow = slow.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(parse(&text).as_ref(), Ok(&slow), "{}", path.display());
            match slow.iter().any(|n| matches!(n.rule, Rule::block_junk | Rule::top_junk)) {
                true => junk += 1,
                false => clean += 1,
            }
        }
        assert!(clean > 300 && junk > 20, "{clean} files without junk, {junk} with: the corpus moved?");
    }

    /// The corners of the grammar where a hand-written parser is most
    /// likely to differ: implicit whitespace after an absent optional
    /// tail, keywords that refuse a following `:`, words that start like
    /// keywords, comments and a BOM between tokens, literals.
    #[test]
    fn corners_of_the_grammar_parse_as_pest_parses_them() {
        let cases = [
            "",
            "\u{FEFF}// only a comment",
            "model m { target postgres 16 tables plural extensions pg_trgm, btree_gist audit_log audit.log monthly from 2026-01 to 2026-12 defaults { no timestamps soft_delete } }",
            "context c { tenant by tenant_id enum E native @x { a @y(1), b, } value V: text check matches /a\\/b/ value W { x: int invariant i: x > 0 } }",
            "context c { aggregate A as as_t @t { unique: bool unique indexed @u\n  index: int\n  one: ref B? on delete set null on update no action loose\n  loose: ref B on delete set default\n  soft_delete\n  no audited\n  expected_rows 1.5M\n  key (a, b)\n  invariant i @allow(X, 'why'): a implies b or not c and d is not null\n  index using gin (a, lower(b)) where a in (1, 2) including deleted @i\n  unique (a) where not a between 1 and 2\n  entity E as e one { x: int identity }\n  events outbox as ev monthly from 2026-01 to 2027-01 { Created, Deleted }\n  partition by list (k) { a: 'x', b: (1, 2.5, 2026-01-02, true, false, null, {}, [ ]) }\n  search s (a.b A, c)\n  x: decimal(10, 2)[]? = -(1 + 2) * 3 / 4 % 5 - sql 'now()' // trailing\n  y: text = \"a \"\"b\"\"\" unique\n  z: uuid v7\n} }",
            "context c { aggregate A { partition by range (d) monthly from 2026-01 to 2026-03 } aggregate B { partition by hash (x) into 4 } }",
            "role r { read a, b write c } publication p { a.b, c, } publication q { } include 'x.ddd' include \"y.ddd\"",
            "context c { aggregate A { notx: bool = not_y unique_x: int indexedx: int x: int unique(a) } }",
            "context c { value V: int check > 0 value W: int check not in (1, 2) value X: text check is null }",
            "context c { aggregate A { x: int // c\n // d\n\r\n } } // end",
        ];
        for text in cases {
            let slow = DddParser::parse(Rule::file, text).map(tree::from_pest);
            let slow = slow.unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert!(!slow.iter().any(|n| matches!(n.rule, Rule::block_junk | Rule::top_junk)), "{text:?} has junk");
            assert_eq!(parse(text).as_ref(), Ok(&slow), "{text:?}");
        }
        // Junk: a misspelt keyword, a field without its colon, a block that
        // never closes, a number cut short, braces that balance or not,
        // junk at the top, a broken line followed by a good one.
        let junk: [&str; 11] = [
            "context c { aggregat A { } }",
            "modle m { }\ncontext c { }",
            "context c { aggregate A { x int } }",
            "context c {",
            "context c { aggregate A { x: int = 1. y: int } }",
            "context c { entiti E { a { b } c } d: int }\n}",
            "context c { aggregate A { oops { { } x: int } }",
            "context c { aggregate A { } } } stray",
            "enum E { a b ! c } value V { x int, y: int } role r { reed a } model m { defaults { no } }",
            "context c { aggregate A { x: int = 'unclosed\n y: int } }",
            // 30 levels of `not (` that never close: linear since `call`
            // refuses the name `not` (each level parsed twice before).
            &format!("context c {{ aggregate A {{ invariant i: {}x }} }}", "not (".repeat(30)),
        ];
        for text in junk {
            let slow = DddParser::parse(Rule::file, text).map(tree::from_pest);
            let slow = slow.unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert!(slow.iter().any(|n| matches!(n.rule, Rule::block_junk | Rule::top_junk)), "{text:?} has no junk");
            assert_eq!(parse(text).as_ref(), Ok(&slow), "{text:?}");
        }
    }

    /// Past [`MAX_NESTING`] the parser gives up instead of exhausting the
    /// stack: parentheses that `syntax::limits` does not count, because
    /// they follow a quote on a broken line. The file is refused with a
    /// diagnostic at the first parenthesis past the guard.
    #[test]
    fn nesting_past_the_guard_is_refused() {
        let deep = format!(
            "context c {{ aggregate A {{\n oops 'x\n y: int = {}1{}\n}} }}",
            "(".repeat(5000),
            ")".repeat(5000)
        );
        assert_eq!(crate::syntax::limits::check(crate::diagnostics::FileId(0), &deep).map(|d| d.message), None);
        let Err(GaveUp::TooDeep(at)) = parse(&deep) else { panic!("not given up") };
        assert_eq!(&deep[at..at + 1], "(");
        let parsed = crate::syntax::parse(crate::diagnostics::FileId(0), &deep);
        assert!(parsed.file.is_none());
        let [d] = &parsed.diagnostics[..] else { panic!("{:?}", parsed.diagnostics) };
        assert_eq!(d.message, "nesting too deep to read");
        assert_eq!(d.primary.as_ref().map(|p| p.span.start as usize), Some(at));
        // Braces in junk, counted rather than followed, have the same guard.
        let braces = format!("context c {{\n oops 'x\n {}{}\n}}", "{".repeat(5000), "}".repeat(5000));
        assert_eq!(crate::syntax::limits::check(crate::diagnostics::FileId(0), &braces).map(|d| d.message), None);
        let Err(GaveUp::TooDeep(at)) = parse(&braces) else { panic!("not given up") };
        let first = braces.find("\n {").map_or(0, |line| line + 2);
        assert_eq!(at, first + MAX_NESTING);
    }
}
