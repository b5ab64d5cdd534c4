//! PostgreSQL regular expressions, checked at compile time: an invariant
//! `code matches /^[A-Z(+$/` would otherwise compile into a CHECK that makes
//! every INSERT fail. A token-for-token port of the parser of PostgreSQL's
//! regex engine (Henry Spencer's ARE: `regc_lex.c`, `regcomp.c`,
//! `regc_locale.c`) that builds no automaton, so it reports the error
//! PostgreSQL would, with its wording; `tests/regex_agreement.rs` compares it
//! with a real server.

use std::fmt;

/// A pattern PostgreSQL would reject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegexError {
    /// Byte offset in the pattern of the construct where the problem is
    /// detected: the offending token, or the opening `(`, `[` or `{` that is
    /// never closed; 0 for problems with the pattern as a whole.
    pub offset: usize,
    /// PostgreSQL's wording, as in `invalid regular expression: <message>`.
    pub message: String,
}

impl fmt::Display for RegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

impl std::error::Error for RegexError {}

/// Checks a pattern as PostgreSQL's `~` would compile it.
///
/// Returns `Err` with PostgreSQL's message for every syntax error. PostgreSQL
/// also says "regular expression is too complex" when it runs out of stack or
/// compile space; that depends on its NFA builder and is approximated: it is
/// reported for nesting deeper than a stock PostgreSQL 15 accepts and for
/// patterns whose shortest match is 44,000 characters or longer. Bigger NFAs
/// that PostgreSQL rejects (say `(?:a{0,255}){200}`) pass this check.
pub fn check(pattern: &str) -> Result<(), RegexError> {
    let mut v = Lexer::new(pattern);
    v.prefixes()?;
    v.con = [Con::Bre, Con::Ere, Con::Q, Con::Q][v.ext as usize + 2 * v.quote as usize];
    v.next()?;
    v.parse()
}

/// PostgreSQL's messages (regerrs.h).
const BADPAT: &str = "invalid regexp (reg version 0.8)";
const ECOLLATE: &str = "invalid collating element";
const ECTYPE: &str = "invalid character class";
const EESCAPE: &str = "invalid escape \\ sequence";
const ESUBREG: &str = "invalid backreference number";
const EBRACK: &str = "brackets [] not balanced";
const EPAREN: &str = "parentheses () not balanced";
const EBRACE: &str = "braces {} not balanced";
const BADBR: &str = "invalid repetition count(s)";
const ERANGE: &str = "invalid character range";
const BADRPT: &str = "quantifier operand invalid";
const ASSERT: &str = "\"can't happen\" -- you found a bug";
const BADOPT: &str = "invalid embedded option";
const ETOOBIG: &str = "regular expression is too complex";

type R<X> = Result<X, RegexError>;

fn fail<X>(offset: usize, message: &str) -> R<X> {
    Err(RegexError { offset, message: message.to_string() })
}

/// Token types of regcomp.c: operators are their own character, the rest are these.
const EMPTY: u8 = b'n';
const EOS: u8 = b'e';
const PLAIN: u8 = b'p';
const DIGIT: u8 = b'd';
const BACKREF: u8 = b'b';
const COLLEL: u8 = b'I';
const ECLASS: u8 = b'E';
const CCLASS: u8 = b'C';
const END: u8 = b'X';
const CCLASSS: u8 = b's';
const CCLASSC: u8 = b'c';
const RANGE: u8 = b'R';
const LACON: u8 = b'L';
const WBDRY: u8 = b'w';
const NWBDRY: u8 = b'W';
const SBEGIN: u8 = b'A';
const SEND: u8 = b'Z';

/// Lexical contexts of regc_lex.c (`L_ERE`, `L_BRE`, `L_Q`, ...).
#[derive(Clone, Copy, PartialEq, Eq, Default)]
enum Con {
    #[default]
    Ere,
    Bre,
    Q,
    EBnd,
    BBnd,
    Brack,
    Cel,
    Ecl,
    Ccl,
}

/// `DUPINF`: an unbounded repetition count.
const INF: u32 = 256;
/// `DUPMAX`: the largest repetition count.
const DUPMAX: u32 = 255;
/// `CHR_MAX`: the largest character value an escape may denote.
const CHR_MAX: u32 = 0x7fff_fffe;

/// PostgreSQL 15 runs out of stack (2MB `max_stack_depth`, reported as "too
/// complex") parsing about 8170 nested parentheses or lookarounds, or about
/// 13070 capture groups in a row: regcomp.c recurses into `parsebranch()`
/// after a capture or back-reference that has more of its branch after it.
/// The budget leaves a 1% margin, as the exact limit varies a little.
const STACK_BUDGET: u64 = 198_025;
const COST_PAREN: u64 = 24;
const COST_MESSY: u64 = 15;
/// PostgreSQL also runs out of stack walking an NFA whose paths are about
/// 43,500 states long. The shortest match (a lower bound for the walk) is what
/// is estimated here, in characters, with a 1% margin.
const PATH_BUDGET: u64 = 44_000;

/// Class names of regc_locale.c.
const CLASSES: &str = "alnum alpha ascii blank cntrl digit graph lower print punct space upper xdigit word";

/// Collating element names of regc_locale.c and their codes (one-character names stand for themselves).
const CNAMES: &str = "NUL=0 SOH=1 STX=2 ETX=3 EOT=4 ENQ=5 ACK=6 BEL=7 alert=7 BS=8 backspace=8 HT=9 tab=9 LF=10 \
    newline=10 VT=11 vertical-tab=11 FF=12 form-feed=12 CR=13 carriage-return=13 SO=14 SI=15 DLE=16 DC1=17 \
    DC2=18 DC3=19 DC4=20 NAK=21 SYN=22 ETB=23 CAN=24 EM=25 SUB=26 ESC=27 IS4=28 FS=28 IS3=29 GS=29 IS2=30 RS=30 \
    IS1=31 US=31 space=32 exclamation-mark=33 quotation-mark=34 number-sign=35 dollar-sign=36 percent-sign=37 \
    ampersand=38 apostrophe=39 left-parenthesis=40 right-parenthesis=41 asterisk=42 plus-sign=43 comma=44 \
    hyphen=45 hyphen-minus=45 period=46 full-stop=46 slash=47 solidus=47 zero=48 one=49 two=50 three=51 four=52 \
    five=53 six=54 seven=55 eight=56 nine=57 colon=58 semicolon=59 less-than-sign=60 equals-sign=61 \
    greater-than-sign=62 question-mark=63 commercial-at=64 left-square-bracket=91 backslash=92 \
    reverse-solidus=92 right-square-bracket=93 circumflex=94 circumflex-accent=94 underscore=95 low-line=95 \
    grave-accent=96 left-brace=123 left-curly-bracket=123 vertical-line=124 right-brace=125 \
    right-curly-bracket=125 tilde=126 DEL=127";

/// What one `parse()` call of regcomp.c is working on: the whole pattern, a
/// group (capturing when `cap > 0`) or a lookaround constraint.
struct Frame {
    /// Is a lookaround, is inside one (`type == LACON`: no captures, no back-references).
    lookaround: bool,
    lacon: bool,
    cap: usize,
    /// Byte offset of the opening token.
    open: usize,
    /// Shortest match of the current branch, and of the branches before it.
    len: u64,
    shortest: u64,
    /// Contains a capture or back-reference (regcomp.c's `CAP`/`BACKR` flags).
    messy: bool,
    /// Pending `parsebranch()` recursions in the current branch.
    cont: u64,
}

impl Frame {
    fn new(lookaround: bool, lacon: bool, cap: usize, open: usize) -> Frame {
        Frame { lookaround, lacon, cap, open, len: 0, shortest: u64::MAX, messy: false, cont: 0 }
    }

    /// Ends the current branch (at `|`, or at the end of the frame).
    fn branch(&mut self) -> u64 {
        self.shortest = self.shortest.min(self.len);
        self.len = 0;
        self.shortest
    }
}

/// The `struct vars` of regcomp.c, minus the NFA.
#[derive(Default)]
struct Lexer<'a> {
    s: &'a str,
    b: &'a [u8],
    /// `v->now`, a byte offset.
    pos: usize,
    con: Con,
    /// `REG_ADVF`, `REG_EXTENDED`, `REG_QUOTE` and `REG_EXPANDED`.
    adv: bool,
    ext: bool,
    quote: bool,
    expanded: bool,
    next_t: u8,
    val: u32,
    last_t: u8,
    /// Byte offset where the lookahead token starts.
    tok: usize,
    /// `v->nsubexp`: capturing groups opened so far.
    nsub: usize,
    /// Byte offset of the `[` or `{` being scanned.
    opened: usize,
}

impl<'a> Lexer<'a> {
    fn new(s: &'a str) -> Lexer<'a> {
        Lexer { s, b: s.as_bytes(), adv: true, ext: true, next_t: EMPTY, last_t: EMPTY, ..Default::default() }
    }

    fn eos(&self) -> bool {
        self.pos >= self.b.len()
    }

    fn next1(&self, c: u8) -> bool {
        self.b.get(self.pos) == Some(&c)
    }

    fn peek(&self, k: usize) -> u8 {
        self.b.get(self.pos + k).copied().unwrap_or(0)
    }

    /// Consumes one character and returns its code point.
    fn getc(&mut self) -> u32 {
        let c = self.s.get(self.pos..).and_then(|r| r.chars().next()).unwrap_or('\0');
        self.pos += c.len_utf8();
        c as u32
    }

    fn ret(&mut self, t: u8, val: u32) -> R<()> {
        self.next_t = t;
        self.val = val;
        Ok(())
    }

    /// `prefixes()`: the `***` directors and leading embedded options.
    fn prefixes(&mut self) -> R<()> {
        if self.b.len() >= 4 && self.b.starts_with(b"***") {
            match self.b[3] {
                b'?' => return fail(0, BADPAT),
                b'=' => {
                    (self.quote, self.adv, self.ext, self.expanded) = (true, false, false, false);
                    self.pos = 4;
                    return Ok(());
                }
                b':' => self.pos = 4,
                _ => return fail(0, BADRPT),
            }
        }
        // `iscalpha()`: letters of a UTF-8 locale, not only ASCII ones.
        let alpha = |v: &Self, at: usize| v.s.get(at..).and_then(|r| r.chars().next()).is_some_and(char::is_alphabetic);
        if !(self.next1(b'(') && self.peek(1) == b'?' && alpha(self, self.pos + 2)) {
            return Ok(());
        }
        self.pos += 2;
        while alpha(self, self.pos) {
            match self.peek(0) {
                b'b' => (self.ext, self.adv, self.quote) = (false, false, false),
                b'e' => (self.ext, self.adv, self.quote) = (true, false, false),
                b'q' => (self.quote, self.ext, self.adv) = (true, false, false),
                b't' => self.expanded = false,
                b'x' => self.expanded = true,
                b'c' | b'i' | b'm' | b'n' | b'p' | b's' | b'w' => {}
                _ => return fail(self.pos, BADOPT),
            }
            self.pos += 1;
        }
        if !self.next1(b')') {
            return fail(self.pos, BADOPT);
        }
        self.pos += 1;
        if self.quote {
            self.expanded = false;
        }
        Ok(())
    }

    /// `next()`: lexes the next token into `next_t`/`val`.
    fn next(&mut self) -> R<()> {
        loop {
            self.last_t = self.next_t;
            if self.expanded && matches!(self.con, Con::Ere | Con::Bre | Con::EBnd | Con::BBnd) {
                self.skip();
            }
            self.tok = self.pos;
            if self.eos() {
                return match self.con {
                    Con::Ere | Con::Bre | Con::Q => self.ret(EOS, 0),
                    Con::EBnd | Con::BBnd => fail(self.opened, EBRACE),
                    _ => fail(self.opened, EBRACK),
                };
            }
            let c = self.getc();
            match self.con {
                Con::Ere => {}
                Con::Bre => return self.bre(c),
                Con::Q => return self.ret(PLAIN, c),
                Con::EBnd | Con::BBnd => return self.bound(c),
                Con::Brack => return self.brack(c),
                Con::Cel | Con::Ecl | Con::Ccl => {
                    let d = [b'.', b'=', b':'][self.con as usize - Con::Cel as usize];
                    if c == d as u32 && self.next1(b']') {
                        self.pos += 1;
                        self.con = Con::Brack;
                        return self.ret(END, c);
                    }
                    return self.ret(PLAIN, c);
                }
            }
            let t = match char::from_u32(c).unwrap_or('\0') {
                '|' | ')' | '.' | '^' | '$' => c as u8,
                '*' | '+' | '?' => return self.quantifier(c as u8),
                '{' => {
                    if self.expanded {
                        self.skip();
                    }
                    if self.eos() || !self.peek(0).is_ascii_digit() {
                        return self.ret(PLAIN, c);
                    }
                    self.opened = self.tok;
                    self.con = Con::EBnd;
                    b'{'
                }
                '(' if self.adv && self.next1(b'?') => {
                    self.pos += 1;
                    match char::from_u32(self.getc()).unwrap_or('\0') {
                        ':' => return self.ret(b'(', 0),
                        '#' => {
                            // A comment: skipped up to and including `)`.
                            let rest = self.b.get(self.pos..).unwrap_or_default();
                            self.pos += rest.iter().position(|&b| b == b')').map_or(rest.len(), |i| i + 1);
                            continue;
                        }
                        '=' | '!' => LACON,
                        '<' if matches!(self.peek(0), b'=' | b'!') => {
                            self.pos += 1;
                            LACON
                        }
                        _ => return fail(self.tok, BADRPT),
                    }
                }
                '(' => return self.ret(b'(', 1),
                '[' => return self.open_bracket(),
                '\\' => {
                    if self.eos() {
                        return fail(self.tok, EESCAPE);
                    }
                    if !self.adv {
                        let c = self.getc();
                        return self.ret(PLAIN, c);
                    }
                    return self.escape();
                }
                _ => return self.ret(PLAIN, c),
            };
            return self.ret(t, 0);
        }
    }

    /// `*`, `+`, `?` or the `}` of a bound, non-greedy (value 0) when followed by `?` in an ARE.
    fn quantifier(&mut self, t: u8) -> R<()> {
        let lazy = self.adv && self.next1(b'?');
        self.pos += lazy as usize;
        self.ret(t, !lazy as u32)
    }

    /// `[` outside brackets: `[[:<:]]`, `[[:>:]]` or the start of a bracket expression.
    fn open_bracket(&mut self) -> R<()> {
        let rest = self.b.get(self.pos..).unwrap_or_default();
        if rest.starts_with(b"[:<:]]") || rest.starts_with(b"[:>:]]") {
            let t = if rest[2] == b'<' { b'<' } else { b'>' };
            self.pos += 6;
            return self.ret(t, 0);
        }
        self.opened = self.tok;
        self.con = Con::Brack;
        if self.next1(b'^') {
            self.pos += 1;
            return self.ret(b'[', 0);
        }
        self.ret(b'[', 1)
    }

    /// Inside `{...}` (ERE/ARE) or `\{...\}` (BRE).
    fn bound(&mut self, c: u32) -> R<()> {
        match char::from_u32(c).unwrap_or('\0') {
            d @ '0'..='9' => self.ret(DIGIT, d as u32 - '0' as u32),
            ',' => self.ret(b',', 0),
            '}' if self.con == Con::EBnd => {
                self.con = Con::Ere;
                self.quantifier(b'}')
            }
            '\\' if self.con == Con::BBnd && self.next1(b'}') => {
                self.pos += 1;
                self.con = Con::Bre;
                self.ret(b'}', 1)
            }
            _ => fail(self.tok, BADBR),
        }
    }

    /// Inside a bracket expression.
    fn brack(&mut self, c: u32) -> R<()> {
        match char::from_u32(c).unwrap_or('\0') {
            ']' if self.last_t == b'[' => self.ret(PLAIN, c),
            ']' => {
                self.con = if self.ext { Con::Ere } else { Con::Bre };
                self.ret(b']', c)
            }
            '\\' if self.adv => {
                if self.eos() {
                    return fail(self.tok, EESCAPE);
                }
                self.escape()?;
                match self.next_t {
                    PLAIN | CCLASSS | CCLASSC => Ok(()),
                    _ => fail(self.tok, EESCAPE),
                }
            }
            '-' if self.last_t == b'[' || self.next1(b']') => self.ret(PLAIN, c),
            '-' => self.ret(RANGE, c),
            '[' => {
                if self.eos() {
                    return fail(self.opened, EBRACK);
                }
                let (con, t) = match self.peek(0) {
                    b'.' => (Con::Cel, COLLEL),
                    b'=' => (Con::Ecl, ECLASS),
                    b':' => (Con::Ccl, CCLASS),
                    _ => return self.ret(PLAIN, c),
                };
                self.pos += 1;
                self.con = con;
                self.ret(t, 0)
            }
            _ => self.ret(PLAIN, c),
        }
    }

    /// `lexescape()`: an ARE escape, backslash already eaten.
    fn escape(&mut self) -> R<()> {
        let start = self.pos;
        let c = self.getc();
        let Some(ch) = char::from_u32(c).filter(char::is_ascii_alphanumeric) else {
            return self.ret(PLAIN, c);
        };
        // Escapes for one character: `\a` is BEL, `\B` a backslash, `\e` ESC ...
        if let Some(&[_, v]) = b"a\x07b\x08B\\e\x1bf\x0cn\nr\rt\tv\x0b".chunks(2).find(|p| p[0] == c as u8) {
            return self.ret(PLAIN, v as u32);
        }
        let (t, v) = match ch {
            'A' => (SBEGIN, 0),
            'Z' => (SEND, 0),
            'm' => (b'<', 0),
            'M' => (b'>', 0),
            'y' => (WBDRY, 0),
            'Y' => (NWBDRY, 0),
            'd' | 's' | 'w' => (CCLASSS, 0),
            'D' | 'S' | 'W' => (CCLASSC, 0),
            'c' if !self.eos() => (PLAIN, self.getc() & 0o37),
            'u' | 'U' | 'x' => {
                let (min, max) = [(4, 4), (8, 8), (1, 255)][(ch == 'U') as usize + 2 * (ch == 'x') as usize];
                match self.digits(16, min, max) {
                    Some(v) if v <= CHR_MAX => (PLAIN, v),
                    _ => return fail(self.tok, EESCAPE),
                }
            }
            '0'..='9' => {
                // A back-reference if one digit, or if that many groups are open; else octal.
                self.pos = start;
                let n = self.digits(10, 1, 255).unwrap_or(0);
                if ch != '0' && (self.pos == start + 1 || (n as i32 > 0 && n as i32 as usize <= self.nsub)) {
                    return self.ret(BACKREF, n);
                }
                self.pos = start;
                self.octal()?
            }
            _ => return fail(self.tok, EESCAPE),
        };
        self.ret(t, v)
    }

    /// `\ooo`: up to three octal digits, value at most 0xff.
    fn octal(&mut self) -> R<(u8, u32)> {
        match self.digits(8, 1, 3) {
            Some(v) if v > 0xff => {
                self.pos -= 1;
                Ok((PLAIN, v >> 3))
            }
            Some(v) => Ok((PLAIN, v)),
            None => fail(self.tok, EESCAPE),
        }
    }

    /// `lexdigits()`: `None` if fewer than `min` digits; wraps like C's unsigned arithmetic.
    fn digits(&mut self, base: u32, min: usize, max: usize) -> Option<u32> {
        let mut n: u32 = 0;
        let mut len = 0;
        while len < max && !self.eos() {
            let Some(d) = (self.peek(0) as char).to_digit(16).filter(|&d| d < base) else { break };
            self.pos += 1;
            n = n.wrapping_mul(base).wrapping_add(d);
            len += 1;
        }
        (len >= min).then_some(n)
    }

    /// `brenext()`: a token of a BRE, `c` already eaten.
    fn bre(&mut self, c: u32) -> R<()> {
        match char::from_u32(c).unwrap_or('\0') {
            '*' if matches!(self.last_t, EMPTY | b'(' | b'^') => self.ret(PLAIN, c),
            '*' => self.ret(b'*', 1),
            '[' => self.open_bracket(),
            '.' => self.ret(b'.', 0),
            '^' if matches!(self.last_t, EMPTY | b'(') => self.ret(b'^', 0),
            '$' => {
                if self.expanded {
                    self.skip();
                }
                if self.eos() || (self.next1(b'\\') && self.peek(1) == b')') {
                    return self.ret(b'$', 0);
                }
                self.ret(PLAIN, c)
            }
            '\\' => {
                if self.eos() {
                    return fail(self.tok, EESCAPE);
                }
                let c = self.getc();
                match char::from_u32(c).unwrap_or('\0') {
                    '{' => {
                        (self.opened, self.con) = (self.tok, Con::BBnd);
                        self.ret(b'{', 0)
                    }
                    '(' | ')' | '<' | '>' => self.ret(c as u8, 1),
                    d @ '1'..='9' => self.ret(BACKREF, d as u32 - '0' as u32),
                    _ => self.ret(PLAIN, c),
                }
            }
            _ => self.ret(PLAIN, c),
        }
    }

    /// `skip()`: white space and `#` comments of the expanded syntax.
    fn skip(&mut self) {
        while let Some(&b) = self.b.get(self.pos) {
            match b {
                b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' => self.pos += 1,
                b'#' => {
                    self.pos =
                        self.b[self.pos..].iter().position(|&b| b == b'\n').map_or(self.b.len(), |i| self.pos + i)
                }
                _ => return,
            }
        }
    }

    /// `parse()`, `parsebranch()` and `parseqatom()` of regcomp.c, with an
    /// explicit stack of [`Frame`]s in place of their recursion.
    fn parse(&mut self) -> R<()> {
        let mut st = vec![Frame::new(false, false, 0, 0)];
        // Per capture group: `Some(shortest match)` once closed (`v->subs[n] != NULL`).
        let mut closed: Vec<Option<u64>> = vec![None];
        let mut depth = COST_PAREN;
        loop {
            let fi = st.len() - 1;
            let top = fi == 0;
            if self.next_t == b'|' {
                depth -= std::mem::take(&mut st[fi].cont) * COST_MESSY;
                st[fi].branch();
                self.next()?;
                continue;
            }
            if self.next_t == EOS || (!top && self.next_t == b')') {
                if top {
                    return if st[0].branch() >= PATH_BUDGET { fail(0, ETOOBIG) } else { Ok(()) };
                }
                if self.next_t == EOS {
                    return fail(st[fi].open, EPAREN);
                }
                let Some(mut f) = st.pop() else { return fail(0, ASSERT) };
                depth -= f.cont * COST_MESSY + COST_PAREN;
                self.next()?;
                if f.lookaround {
                    continue; // a constraint: no quantifier, no length
                }
                let len = f.branch();
                if f.cap > 0 {
                    closed[f.cap] = Some(len);
                }
                self.quantified(&mut st[fi - 1], fi == 1, &mut depth, len, f.cap > 0 || f.messy)?;
                continue;
            }
            let lacon = st[fi].lacon;
            let len = match self.next_t {
                b'^' | b'$' | SBEGIN | SEND | b'<' | b'>' | WBDRY | NWBDRY => {
                    self.next()?;
                    continue;
                }
                LACON | b'(' => {
                    let (open, cap) = (self.tok, self.next_t == b'(' && !lacon && self.val != 0);
                    let lookaround = self.next_t == LACON;
                    if cap {
                        self.nsub += 1;
                        closed.push(None);
                    }
                    self.next()?;
                    st.push(Frame::new(lookaround, lacon || lookaround, if cap { self.nsub } else { 0 }, open));
                    depth += COST_PAREN;
                    if depth > STACK_BUDGET {
                        return fail(open, ETOOBIG);
                    }
                    continue;
                }
                b'*' | b'+' | b'?' | b'{' => return fail(self.tok, BADRPT),
                b')' if !self.ext || self.adv => return fail(self.tok, EPAREN),
                b')' | PLAIN | b'.' | CCLASSS | CCLASSC => {
                    self.next()?;
                    1
                }
                b'[' => {
                    self.bracket()?;
                    self.next()?;
                    1
                }
                BACKREF => {
                    let n = self.val as usize;
                    let Some(len) = closed.get(n).copied().flatten().filter(|_| !lacon) else {
                        return fail(self.tok, ESUBREG);
                    };
                    self.next()?;
                    self.quantified(&mut st[fi], top, &mut depth, len, true)?;
                    continue;
                }
                _ => return fail(self.tok, ASSERT),
            };
            self.quantified(&mut st[fi], top, &mut depth, len, false)?;
        }
    }

    /// The quantifier part of `parseqatom()` after an atom whose shortest
    /// match is `len`, then the bookkeeping of lengths and recursion depth.
    fn quantified(&mut self, f: &mut Frame, top: bool, depth: &mut u64, len: u64, messy: bool) -> R<()> {
        let quantifier = matches!(self.next_t, b'*' | b'+' | b'?' | b'{');
        let (m, n) = match self.next_t {
            b'*' => (0, INF),
            b'+' => (1, INF),
            b'?' => (0, 1),
            b'{' => {
                let at = self.tok;
                self.next()?;
                let m = self.scannum(at)?;
                let mut n = m;
                if self.next_t == b',' {
                    self.next()?;
                    n = if self.next_t == DIGIT { self.scannum(at)? } else { INF };
                    if m > n {
                        return fail(at, BADBR);
                    }
                }
                if self.next_t != b'}' {
                    return fail(at, BADBR);
                }
                (m, n)
            }
            _ => (1, 1),
        };
        if quantifier {
            self.next()?;
        }
        if n == 0 {
            return Ok(()); // x{0} cancels everything
        }
        f.len = f.len.saturating_add(len.saturating_mul(m as u64));
        f.messy |= messy;
        if messy && !matches!(self.next_t, b'|' | EOS) && (top || self.next_t != b')') {
            f.cont += 1;
            *depth += COST_MESSY;
            if *depth > STACK_BUDGET {
                return fail(self.tok, ETOOBIG);
            }
        }
        Ok(())
    }

    /// `scannum()`: a repetition count, at most `DUPMAX`.
    fn scannum(&mut self, at: usize) -> R<u32> {
        let mut n = 0;
        while self.next_t == DIGIT && n < DUPMAX {
            n = n * 10 + self.val;
            self.next()?;
        }
        if self.next_t == DIGIT || n > DUPMAX {
            return fail(at, BADBR);
        }
        Ok(n)
    }

    /// `bracket()`/`cbracket()`: from `[` to the closing `]` (not yet consumed).
    fn bracket(&mut self) -> R<()> {
        self.next()?;
        while self.next_t != b']' {
            self.brackpart()?;
        }
        Ok(())
    }

    /// `brackpart()`: one item or range of a bracket expression.
    fn brackpart(&mut self) -> R<()> {
        let at = self.tok;
        let start = match self.next_t {
            RANGE => return fail(at, ERANGE),
            PLAIN => {
                let c = self.val;
                self.next()?;
                if self.next_t != RANGE {
                    return Ok(());
                }
                c
            }
            COLLEL => self.element()?,
            ECLASS => return self.element().map(drop),
            CCLASS => {
                let name = self.scanplain()?;
                return if CLASSES.split(' ').any(|c| c == name) { Ok(()) } else { fail(at, ECTYPE) };
            }
            CCLASSS | CCLASSC => return self.next(),
            _ => return fail(at, ASSERT),
        };
        let mut end = start;
        if self.next_t == RANGE {
            self.next()?;
            end = match self.next_t {
                PLAIN | RANGE => {
                    let c = self.val;
                    self.next()?;
                    c
                }
                COLLEL => self.element()?,
                _ => return fail(self.tok, ERANGE),
            };
        }
        if start > end {
            return fail(at, ERANGE);
        }
        Ok(())
    }

    /// `scanplain()`: the name inside `[. .]`, `[= =]` or `[: :]`, and the
    /// token after it. An empty name comes out as the closing `.]` like in C.
    fn scanplain(&mut self) -> R<&'a str> {
        let start = self.pos;
        self.next()?;
        let mut end = self.pos;
        while self.next_t == PLAIN {
            end = self.pos;
            self.next()?;
        }
        self.next()?;
        Ok(self.s.get(start..end).unwrap_or(""))
    }

    /// `element()`: the character a collating element names.
    fn element(&mut self) -> R<u32> {
        let at = self.tok;
        let name = self.scanplain()?;
        let mut chars = name.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            return Ok(c as u32);
        }
        let mut entries = CNAMES.split_whitespace().filter_map(|e| e.split_once('='));
        match entries.find(|&(n, _)| n == name).and_then(|(_, c)| c.parse().ok()) {
            Some(c) => Ok(c),
            None => fail(at, ECOLLATE),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(patterns: &[&str]) {
        for p in patterns {
            assert_eq!(check(p), Ok(()), "{p:?}");
        }
    }

    fn bad(message: &str, patterns: &[&str]) {
        for p in patterns {
            assert_eq!(check(p).map_err(|e| e.message), Err(message.to_string()), "{p:?}");
        }
    }

    fn at(pattern: &str) -> usize {
        check(pattern).expect_err(pattern).offset
    }

    #[test]
    fn everyday_patterns() {
        ok(&["^[A-Z]{3}[0-9]{2,5}$", "^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$", "^\\d{4}-\\d{2}-\\d{2}$"]);
        ok(&["^(?:[01]\\d|2[0-3]):[0-5]\\d$", "^[[:upper:]][[:lower:]]*$", "^\\w+(\\s\\w+)*$", "", "é+"]);
        bad(EBRACK, &["^[A-Z(+$"]);
    }

    #[test]
    fn parentheses() {
        ok(&["()", "(a)", "(|)", "(a|)", "(?:)", "(?:a)", "((((a))))", "a(b(c)d)e"]);
        bad(EPAREN, &["(", "(a", ")", "a)", "(a))", "((a)", "(?:a", "(?=a"]);
        assert_eq!((at("ab(cd"), at("(a))"), at("é(")), (2, 3, 2));
    }

    #[test]
    fn brackets() {
        ok(&["[a]", "[]a]", "[^]a]", "[]]", "[a-]", "[-a]", "[a-z0-9_]", "[[]", "[[x]", "[\\]]", "[(]"]);
        bad(EBRACK, &["[", "[a", "[]", "[^]", "[^", "[a-", "[[:alpha:]", "[[:alpha]", "[[.a.]", "[[=a", "[\\d"]);
        assert_eq!(at("x[a"), 1);
    }

    #[test]
    fn lookaround() {
        ok(&["(?=a)", "(?!a)b", "(?<=a)b", "(?<!a)b", "(?=)", "(?=(a)|b)", "(a)(?=b)\\1"]);
        bad(BADRPT, &["(?", "(?<", "(?<a)", "x(?P<n>a)", "(?>a)", "(?=a)*", "(?<!a){2}"]);
        bad(ESUBREG, &["(a)(?=\\1)", "(?<=(a)\\1)", "(?!(a)\\1)"]);
    }

    #[test]
    fn backreferences() {
        ok(&["(a)\\1", "((a)\\2)", "(a)|\\1", "(a)\\1*", "(a){0}\\1", "(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\\10"]);
        bad(ESUBREG, &["\\1", "\\9", "\\1{0}|(a)", "(a)\\2", "(a\\1)", "(?:a)\\1", "(a)\\10x\\2"]);
        // Several digits make a back-reference only when that many groups are open; else octal.
        ok(&["\\12", "\\18", "(a)\\18", "\\1234"]);
        bad(EESCAPE, &["\\81", "\\99"]);
        assert_eq!(at("(a)\\2"), 3);
    }

    #[test]
    fn quantifiers() {
        ok(&["a*", "a+", "a?", "a*?", "a+?", "a??", "a{2}", "a{2,}", "a{2,3}", "a{2}?", "a{2,}?", "a{0,255}"]);
        ok(&["a{0}", "(a){3}", "a{0000000003}", "(?:a|b)+?c"]);
        bad(BADRPT, &["*", "+a", "?", "a**", "a*+", "a???", "a|*", "(*)", "(+)", "a{2}{3}", "a{2}*"]);
        bad(BADRPT, &["^*", "$+", "\\A*", "\\Z?", "\\y+", "\\Y*", "\\m*", "\\M{2}", "[[:<:]]*", "{1}"]);
        bad(BADBR, &["a{256}", "a{1,256}", "a{2550}", "a{3,2}", "a{1,2,3}", "a{2x}", "a{2,x}", "a{2 }"]);
        bad(EBRACE, &["a{2", "a{2,", "a{2,3"]);
        // `{` not followed by a digit is an ordinary character.
        ok(&["{", "a{", "a{,2}", "a{}", "a{x}", "}", "a}", "{a}"]);
        assert_eq!((at("a{3,2}"), at("a**"), at("a{2")), (1, 2, 1));
    }

    #[test]
    fn escapes() {
        ok(&["\\d\\s\\w\\D\\S\\W", "\\m\\M\\y\\Y\\A\\Z", "\\b\\B\\t\\n\\r\\f\\v\\a\\e", "\\u00e9\\U0001F600"]);
        ok(&["\\x41", "\\x7ffffffe", "\\0", "\\012", "\\377", "\\777", "\\cA", "\\c\\", "\\.", "\\\\", "\\é", "\\-"]);
        bad(EESCAPE, &["\\", "a\\", "\\q", "\\k", "\\z", "\\C", "\\E", "\\N", "\\X", "\\u12", "\\u12g4", "\\U1234"]);
        bad(EESCAPE, &["\\UFFFFFFFF", "\\x", "\\xg", "\\x7fffffff", "\\c", "(?e)\\"]);
        bad(EESCAPE, &["[\\A]", "[\\Z]", "[\\y]", "[\\m]", "[\\1]", "[\\", "[\\q]"]);
        ok(&["[\\d\\W]", "[\\b]", "[\\12]", "[\\x41-\\x5a]", "[\\]]"]);
        assert_eq!(at("a\\q"), 1);
    }

    #[test]
    fn ranges() {
        ok(&["[a-z]", "[a-a]", "[--a]", "[!--]", "[]-a]", "[[.space.]-~]", "[à-é]", "[\\u0041-\\u005a]"]);
        bad(ERANGE, &["[z-a]", "[é-à]", "[a-b-c]", "[a-z-9]", "[a-\\d]", "[\\d-z]", "[[:alpha:]-z]", "[a-[:alpha:]]"]);
        bad(ERANGE, &["[[=a=]-z]", "[[.z.]-a]", "[\\x5a-\\x41]"]);
        assert_eq!(at("x[az-a]"), 3);
    }

    #[test]
    fn classes_and_collating_elements() {
        for class in CLASSES.split(' ') {
            ok(&[&format!("[[:{class}:]]"), &format!("[^x[:{class}:]y]")]);
        }
        bad(ECTYPE, &["[[:foo:]]", "[[:ALPHA:]]", "[[::]]", "[[: alpha:]]"]);
        ok(&["[[.a.]]", "[[.space.]]", "[[.hyphen.]-z]", "[[.NUL.]-[.DEL.]]", "[[.].]]", "[[=a=]]", "[[=space=]]"]);
        bad(ECOLLATE, &["[[.foo.]]", "[[..]]", "[[.ab.]]", "[[=ab=]]", "[[==]]", "[[.Space.]]"]);
    }

    #[test]
    fn options_and_directors() {
        ok(&["***:a", "***=((", "***:(?i)a", "(?i)a", "(?c)A", "(?mnpswt)a", "(?q)(([", "(?qx)( a"]);
        ok(&["(?x)a b # comment\n c", "(?x)a { 2 , 3 }", "(?#comment)a", "a(?#x)*", "(?#unterminated"]);
        bad(BADOPT, &["(?P<n>a)", "(?z)a", "(?i", "(?i:a)", "(?é)", "(?iQ)"]);
        bad(BADRPT, &["a(?i)", "***", "****", "***x", "***:***:a", "(?#x)*", "(?)"]);
        bad(BADPAT, &["***?"]);
    }

    #[test]
    fn bre_and_ere_syntaxes() {
        ok(&["(?b)\\(a\\)\\1", "(?b)a\\{2\\}", "(?b)*a", "(?b)^*", "(?b)a+?|{(", "(?b)$a$", "(?b)a\\|b"]);
        bad(BADBR, &["(?b)a\\{x\\}", "(?b)a\\{2}"]);
        bad(EPAREN, &["(?b)\\(", "(?b)\\)"]);
        bad(EBRACE, &["(?b)a\\{2"]);
        ok(&["(?e)a)", "(?e)\\d", "(?e)[\\d]", "(?e)a{2}"]);
        bad(BADRPT, &["(?e)a*?", "(?e)(?:a)", "(?e)a{2}?"]);
    }

    #[test]
    fn first_error_wins() {
        // PostgreSQL lexes one token ahead, so an error in that token comes first.
        assert_eq!(check("[z-a\\q]").map_err(|e| e.message), Err(EESCAPE.into()));
        assert_eq!(check("[[:foo:]\\q]").map_err(|e| e.message), Err(EESCAPE.into()));
        assert_eq!(check("a{3,2}\\q").map_err(|e| e.message), Err(BADBR.into()));
        assert_eq!(check("(a\\2").map_err(|e| e.message), Err(ESUBREG.into()));
    }

    #[test]
    fn too_complex() {
        bad(ETOOBIG, &["(?:a{255}){255}", "(a{255}){255}", "((a{20}){20}){200}", "(a{255})\\1{255}"]);
        ok(&["(?:a{100}){100}", "(?:[a-z]{1,255}){1,255}", "^([a-z0-9-]{1,63}\\.){1,127}[a-z]{2,63}$"]);
        let nested = |n: usize| format!("{}a{}", "(".repeat(n), ")".repeat(n));
        assert_eq!(check(&nested(8000)), Ok(()));
        assert_eq!(check(&nested(9000)).map_err(|e| e.message), Err(ETOOBIG.into()));
        assert_eq!(check(&"(a)".repeat(13_000)), Ok(()));
        assert_eq!(check(&"(a)".repeat(14_000)).map_err(|e| e.message), Err(ETOOBIG.into()));
    }

    #[test]
    fn huge_inputs_are_quick_and_never_panic() {
        let start = std::time::Instant::now();
        assert!(check(&"(".repeat(100_000)).is_err());
        assert!(check(&"(?=".repeat(100_000)).is_err());
        assert!(check(&"[".repeat(1 << 20)).is_err());
        assert_eq!(check(&"a|".repeat(1 << 19)), Ok(()));
        assert_eq!(check(&"(?:a)*".repeat(1 << 17)), Ok(()));
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let alphabet: Vec<char> = "()[]{}*+?|^$.\\-:=!<>,#01289abcdxyuUAZé\u{3000} \n".chars().collect();
        let mut big = String::new();
        for _ in 0..60_000 {
            let len = (seed % 24) as usize;
            let p: String = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
                .collect();
            let _ = check(&p);
            let _ = check(&format!("***:(?x){p}"));
            let _ = check(&format!("(?b){p}"));
            big.push_str(&p);
        }
        let _ = check(&big[..big.len().min(1 << 20)]);
        assert!(start.elapsed().as_secs() < 20, "took {:?}", start.elapsed());
    }

    #[test]
    fn display() {
        let e = check("a{3,2}").unwrap_err();
        assert_eq!(e.to_string(), "invalid repetition count(s) (at byte 1)");
    }
}
