//! SQL expressions in one canonical spelling, so that the text dddc wrote
//! and the text PostgreSQL prints back for it compare equal.
//!
//! PostgreSQL stores a CHECK, a default or an index predicate as a parse
//! tree and prints it its own way: `estado IN ('A', 'B')` comes back as
//! `((estado)::text = ANY ((ARRAY['A'::character varying, 'B'::character
//! varying])::text[]))`, `BETWEEN` as two comparisons, every operator in
//! parentheses. [`canonical`] parses either spelling (the subset of SQL
//! expressions that constraints, defaults, index expressions and policies
//! use) and prints it one way: casts PostgreSQL adds for text and numbers
//! dropped, `= ANY (ARRAY[…])` as `IN (…)`, `BETWEEN` expanded, parentheses
//! only where precedence needs them, keywords upper-case, identifiers
//! quoted only when they must be. Text it cannot parse is returned with its
//! whitespace collapsed, so that it still compares with itself.

/// The canonical spelling of an SQL expression.
pub fn canonical(sql: &str) -> String {
    let tokens = match tokenize(sql) {
        Some(t) => t,
        None => return collapse(sql),
    };
    let mut p = Parser { tokens, at: 0 };
    match p.expr() {
        Some(e) if p.at == p.tokens.len() => print(&simplify(e), 0),
        _ => collapse(sql),
    }
}

fn collapse(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    /// A quoted identifier (case kept).
    Quoted(String),
    Str(String),
    Num(String),
    Op(String),
    Punct(char),
}

fn tokenize(s: &str) -> Option<Vec<Tok>> {
    let b: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' || ((c == 'E' || c == 'e') && b.get(i + 1) == Some(&'\'')) {
            let escapes = c != '\'';
            if escapes {
                i += 1;
            }
            i += 1;
            let mut text = String::new();
            loop {
                let ch = *b.get(i)?;
                if escapes && ch == '\\' {
                    text.push(*b.get(i + 1)?);
                    i += 2;
                } else if ch == '\'' {
                    if b.get(i + 1) == Some(&'\'') {
                        text.push('\'');
                        i += 2;
                    } else {
                        i += 1;
                        break;
                    }
                } else {
                    text.push(ch);
                    i += 1;
                }
            }
            out.push(Tok::Str(text));
        } else if c == '"' {
            i += 1;
            let mut text = String::new();
            loop {
                let ch = *b.get(i)?;
                if ch == '"' {
                    if b.get(i + 1) == Some(&'"') {
                        text.push('"');
                        i += 2;
                    } else {
                        i += 1;
                        break;
                    }
                } else {
                    text.push(ch);
                    i += 1;
                }
            }
            out.push(Tok::Quoted(text));
        } else if c.is_ascii_digit() || (c == '.' && b.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            let start = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == '.' || b[i] == 'e' || b[i] == 'E') {
                i += 1;
            }
            out.push(Tok::Num(b[start..i].iter().collect()));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < b.len() && (b[i].is_alphanumeric() || b[i] == '_' || b[i] == '$') {
                i += 1;
            }
            out.push(Tok::Ident(b[start..i].iter().collect::<String>().to_lowercase()));
        } else if "(),[].".contains(c) {
            out.push(Tok::Punct(c));
            i += 1;
        } else if "+-*/%<>=!~|:^&#@".contains(c) {
            let start = i;
            while i < b.len() && "+-*/%<>=!~|:^&#@".contains(b[i]) {
                // `-` after an operator starts a negative operand.
                if i > start && b[i] == '-' {
                    break;
                }
                i += 1;
            }
            out.push(Tok::Op(b[start..i].iter().collect()));
        } else {
            return None;
        }
    }
    Some(out)
}

#[derive(Debug, Clone, PartialEq)]
enum E {
    Col(Vec<String>),
    Str(String),
    Num(String),
    Bool(bool),
    Null,
    /// `CURRENT_TIMESTAMP` and the like.
    Keyword(String),
    Cast(Box<E>, String),
    Call(String, Vec<E>),
    Array(Vec<E>),
    Unary(String, Box<E>),
    Bin(String, Box<E>, Box<E>),
    And(Vec<E>),
    Or(Vec<E>),
    Not(Box<E>),
    IsNull(Box<E>, bool),
    In(Box<E>, Vec<E>, bool),
    /// `x op ANY (array)` / `ALL`.
    Quant(String, Box<E>, String, Box<E>),
    Between(Box<E>, Box<E>, Box<E>),
}

struct Parser {
    tokens: Vec<Tok>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.at)
    }
    fn word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(x)) if x == w)
    }
    fn eat_word(&mut self, w: &str) -> bool {
        let yes = self.word(w);
        if yes {
            self.at += 1;
        }
        yes
    }
    fn eat_punct(&mut self, c: char) -> bool {
        let yes = self.peek() == Some(&Tok::Punct(c));
        if yes {
            self.at += 1;
        }
        yes
    }
    fn op(&self) -> Option<String> {
        match self.peek() {
            Some(Tok::Op(o)) => Some(o.clone()),
            _ => None,
        }
    }

    fn expr(&mut self) -> Option<E> {
        self.or()
    }
    fn or(&mut self) -> Option<E> {
        let mut items = vec![self.and()?];
        while self.eat_word("or") {
            items.push(self.and()?);
        }
        Some(if items.len() == 1 { items.remove(0) } else { E::Or(items) })
    }
    fn and(&mut self) -> Option<E> {
        let mut items = vec![self.not()?];
        while self.eat_word("and") {
            items.push(self.not()?);
        }
        Some(if items.len() == 1 { items.remove(0) } else { E::And(items) })
    }
    fn not(&mut self) -> Option<E> {
        if self.eat_word("not") {
            return Some(E::Not(Box::new(self.not()?)));
        }
        self.is()
    }
    fn is(&mut self) -> Option<E> {
        let mut e = self.cmp()?;
        while self.eat_word("is") {
            let negated = self.eat_word("not");
            if self.eat_word("null") {
                e = E::IsNull(Box::new(e), negated);
            } else if self.eat_word("true") || self.eat_word("false") {
                let value = matches!(self.tokens.get(self.at - 1), Some(Tok::Ident(w)) if w == "true");
                let cmp = E::Bin("=".into(), Box::new(e), Box::new(E::Bool(value)));
                e = if negated { E::Not(Box::new(cmp)) } else { cmp };
            } else {
                return None;
            }
        }
        Some(e)
    }
    fn cmp(&mut self) -> Option<E> {
        let left = self.add()?;
        let negated = self.word("not")
            && matches!(self.tokens.get(self.at + 1), Some(Tok::Ident(w)) if w == "in" || w == "between" || w == "like");
        if negated {
            self.at += 1;
        }
        if self.eat_word("in") {
            if !self.eat_punct('(') {
                return None;
            }
            let list = self.list(')')?;
            return Some(E::In(Box::new(left), list, negated));
        }
        if self.eat_word("between") {
            let low = self.add()?;
            if !self.eat_word("and") {
                return None;
            }
            let high = self.add()?;
            let b = E::Between(Box::new(left), Box::new(low), Box::new(high));
            return Some(if negated { E::Not(Box::new(b)) } else { b });
        }
        if self.eat_word("like") {
            let right = self.add()?;
            let l = E::Bin("~~".into(), Box::new(left), Box::new(right));
            return Some(if negated { E::Not(Box::new(l)) } else { l });
        }
        if let Some(op) = self.op().filter(|o| {
            matches!(o.as_str(), "=" | "<>" | "!=" | "<" | ">" | "<=" | ">=" | "~" | "~*" | "!~" | "!~*" | "~~" | "!~~")
        }) {
            self.at += 1;
            let op = if op == "!=" { "<>".to_string() } else { op };
            if self.word("any") || self.word("all") || self.word("some") {
                let q = match self.peek() {
                    Some(Tok::Ident(w)) if w == "all" => "ALL",
                    _ => "ANY",
                }
                .to_string();
                self.at += 1;
                if !self.eat_punct('(') {
                    return None;
                }
                let arr = self.expr()?;
                if !self.eat_punct(')') {
                    return None;
                }
                return Some(E::Quant(op, Box::new(left), q, Box::new(arr)));
            }
            let right = self.add()?;
            return Some(E::Bin(op, Box::new(left), Box::new(right)));
        }
        Some(left)
    }
    fn add(&mut self) -> Option<E> {
        let mut e = self.mul()?;
        while let Some(op) = self.op().filter(|o| matches!(o.as_str(), "+" | "-" | "||")) {
            self.at += 1;
            let r = self.mul()?;
            e = E::Bin(op, Box::new(e), Box::new(r));
        }
        Some(e)
    }
    fn mul(&mut self) -> Option<E> {
        let mut e = self.unary()?;
        while let Some(op) = self.op().filter(|o| matches!(o.as_str(), "*" | "/" | "%")) {
            self.at += 1;
            let r = self.unary()?;
            e = E::Bin(op, Box::new(e), Box::new(r));
        }
        Some(e)
    }
    fn unary(&mut self) -> Option<E> {
        if self.op().as_deref() == Some("-") {
            self.at += 1;
            let inner = self.unary()?;
            return Some(match inner {
                E::Num(n) => E::Num(format!("-{n}")),
                other => E::Unary("-".into(), Box::new(other)),
            });
        }
        if self.op().as_deref() == Some("+") {
            self.at += 1;
            return self.unary();
        }
        self.postfix()
    }
    fn postfix(&mut self) -> Option<E> {
        let mut e = self.primary()?;
        loop {
            if self.op().as_deref() == Some("::") {
                self.at += 1;
                let ty = self.type_name()?;
                e = E::Cast(Box::new(e), ty);
            } else {
                return Some(e);
            }
        }
    }
    /// A type name after `::` or in `CAST(… AS …)`: words, a `(n, m)`
    /// modifier, `[]`, a schema-qualified or quoted name.
    fn type_name(&mut self) -> Option<String> {
        let mut words = Vec::new();
        loop {
            match self.peek()? {
                Tok::Ident(w) => {
                    words.push(w.clone());
                    self.at += 1;
                }
                Tok::Quoted(w) => {
                    words.push(w.to_lowercase());
                    self.at += 1;
                }
                _ => break,
            }
            if self.eat_punct('.') {
                let last = words.pop().unwrap_or_default();
                words.push(format!("{last}."));
                continue;
            }
            // `character varying`, `double precision`, `time with time zone`
            if !matches!(self.peek(), Some(Tok::Ident(w)) if ["varying", "precision", "with", "without", "time", "zone"].contains(&w.as_str()))
            {
                break;
            }
        }
        if words.is_empty() {
            return None;
        }
        let mut ty = words.join(" ").replace(". ", ".");
        if self.eat_punct('(') {
            let mut mods = Vec::new();
            while !self.eat_punct(')') {
                match self.peek()? {
                    Tok::Num(n) | Tok::Ident(n) => mods.push(n.clone()),
                    Tok::Punct(',') => {}
                    _ => return None,
                }
                self.at += 1;
            }
            ty.push_str(&format!("({})", mods.join(",")));
        }
        while self.peek() == Some(&Tok::Punct('[')) && self.tokens.get(self.at + 1) == Some(&Tok::Punct(']')) {
            self.at += 2;
            ty.push_str("[]");
        }
        Some(ty)
    }
    fn list(&mut self, close: char) -> Option<Vec<E>> {
        let mut items = Vec::new();
        if self.eat_punct(close) {
            return Some(items);
        }
        loop {
            items.push(self.expr()?);
            if self.eat_punct(close) {
                return Some(items);
            }
            if !self.eat_punct(',') {
                return None;
            }
        }
    }
    fn primary(&mut self) -> Option<E> {
        match self.peek()?.clone() {
            Tok::Str(s) => {
                self.at += 1;
                Some(E::Str(s))
            }
            Tok::Num(n) => {
                self.at += 1;
                Some(E::Num(n))
            }
            Tok::Punct('(') => {
                self.at += 1;
                let e = self.expr()?;
                self.eat_punct(')').then_some(e)
            }
            Tok::Quoted(q) => {
                self.at += 1;
                self.path_or_call(q)
            }
            Tok::Ident(w) => {
                self.at += 1;
                match w.as_str() {
                    "true" => Some(E::Bool(true)),
                    "false" => Some(E::Bool(false)),
                    "null" => Some(E::Null),
                    "current_timestamp" | "current_date" | "current_time" | "localtimestamp" | "current_user" => {
                        Some(E::Keyword(w.to_uppercase()))
                    }
                    "array" if self.eat_punct('[') => Some(E::Array(self.list(']')?)),
                    // A typed literal, `DATE '1900-01-01'`: PostgreSQL prints
                    // it as a cast, which the canonical form leaves out.
                    "date" | "time" | "timestamp" | "timestamptz" | "interval" | "uuid" | "jsonb" | "json"
                        if matches!(self.peek(), Some(Tok::Str(_))) =>
                    {
                        let Some(Tok::Str(text)) = self.peek().cloned() else { return None };
                        self.at += 1;
                        Some(E::Str(if w == "interval" { interval(&text) } else { text }))
                    }
                    // `TRIM(BOTH FROM x)` is how PostgreSQL prints `trim(x)`.
                    "trim" if self.peek() == Some(&Tok::Punct('(')) => {
                        self.at += 1;
                        let name = if self.eat_word("leading") {
                            "ltrim"
                        } else if self.eat_word("trailing") {
                            "rtrim"
                        } else {
                            self.eat_word("both");
                            "trim"
                        };
                        let mut args = Vec::new();
                        if !self.eat_word("from") {
                            args.push(self.expr()?);
                            if self.eat_word("from") {
                                let chars = args.remove(0);
                                args.push(self.expr()?);
                                args.push(chars);
                            }
                        } else {
                            args.push(self.expr()?);
                        }
                        self.eat_punct(')').then(|| E::Call(name.into(), args))
                    }
                    "cast" if self.peek() == Some(&Tok::Punct('(')) => {
                        self.at += 1;
                        let e = self.expr()?;
                        if !self.eat_word("as") {
                            return None;
                        }
                        let ty = self.type_name()?;
                        self.eat_punct(')').then(|| E::Cast(Box::new(e), ty))
                    }
                    _ => self.path_or_call(w),
                }
            }
            _ => None,
        }
    }
    fn path_or_call(&mut self, first: String) -> Option<E> {
        let mut parts = vec![first];
        while self.eat_punct('.') {
            match self.peek()?.clone() {
                Tok::Ident(w) | Tok::Quoted(w) => {
                    self.at += 1;
                    parts.push(w);
                }
                _ => return None,
            }
        }
        if self.eat_punct('(') {
            let args = self.list(')')?;
            return Some(E::Call(parts.join(".").to_lowercase(), args));
        }
        Some(E::Col(parts))
    }
}

/// Casts PostgreSQL adds to text and numbers, and to the types of literals
/// (`'spanish'::regconfig`, `'A'::"char"`): left out of the canonical form.
fn dropped_cast(ty: &str) -> bool {
    let base = ty.split('(').next().unwrap_or(ty).trim_end_matches("[]");
    matches!(
        base,
        "text"
            | "character varying"
            | "varchar"
            | "character"
            | "bpchar"
            | "char"
            | "name"
            | "numeric"
            | "integer"
            | "int"
            | "int4"
            | "bigint"
            | "int8"
            | "smallint"
            | "int2"
            | "double precision"
            | "float8"
            | "real"
            | "regconfig"
            | "unknown"
    )
}

fn numeric_type(ty: &str) -> bool {
    let base = ty.split('(').next().unwrap_or(ty);
    matches!(
        base,
        "numeric"
            | "integer"
            | "int"
            | "int4"
            | "bigint"
            | "int8"
            | "smallint"
            | "int2"
            | "double precision"
            | "float8"
            | "real"
    )
}

fn simplify(e: E) -> E {
    let s = |x: Box<E>| Box::new(simplify(*x));
    match e {
        // A number written as a string (`'-1'::integer`) is the number.
        E::Cast(inner, ty) if dropped_cast(&ty) => match simplify(*inner) {
            E::Str(t) if numeric_type(&ty) && t.parse::<f64>().is_ok() => E::Num(t),
            other => other,
        },
        // A literal's type is the column's or the function's: PostgreSQL
        // spells it out (`'NORMAL'::shop.priority`), dddc leaves it implicit.
        E::Cast(inner, ty) => match simplify(*inner) {
            E::Str(t) if ty == "interval" => E::Str(interval(&t)),
            E::Str(t) => E::Str(t),
            other => E::Cast(Box::new(other), ty),
        },
        // `x = ANY (ARRAY[a, b])` is `x IN (a, b)`.
        E::Quant(op, left, q, arr) => match (op.as_str(), q.as_str(), simplify(*arr)) {
            ("=", "ANY", E::Array(items)) => simplify(E::In(left, items, false)),
            ("<>", "ALL", E::Array(items)) => simplify(E::In(left, items, true)),
            (_, _, other) => E::Quant(op, s(left), q, Box::new(other)),
        },
        // PostgreSQL prints `x IN ('A')` as `x = 'A'`.
        E::In(left, mut items, negated) if items.len() == 1 => {
            E::Bin(if negated { "<>" } else { "=" }.into(), s(left), Box::new(simplify(items.remove(0))))
        }
        E::In(left, items, negated) => E::In(s(left), items.into_iter().map(simplify).collect(), negated),
        E::Between(x, low, high) => {
            let x = simplify(*x);
            E::And(vec![E::Bin(">=".into(), Box::new(x.clone()), s(low)), E::Bin("<=".into(), Box::new(x), s(high))])
        }
        E::And(items) => {
            let mut flat = Vec::new();
            for i in items.into_iter().map(simplify) {
                match i {
                    E::And(inner) => flat.extend(inner),
                    other => flat.push(other),
                }
            }
            E::And(flat)
        }
        E::Or(items) => {
            let mut flat = Vec::new();
            for i in items.into_iter().map(simplify) {
                match i {
                    E::Or(inner) => flat.extend(inner),
                    other => flat.push(other),
                }
            }
            E::Or(flat)
        }
        E::Not(x) => match simplify(*x) {
            E::IsNull(inner, negated) => E::IsNull(inner, !negated),
            E::In(l, items, negated) => E::In(l, items, !negated),
            other => E::Not(Box::new(other)),
        },
        E::Call(name, args) => {
            let args: Vec<E> = args.into_iter().map(simplify).collect();
            match (name.as_str(), args.as_slice()) {
                ("now", []) => E::Keyword("CURRENT_TIMESTAMP".into()),
                // Functions on the search path are printed unqualified.
                _ => E::Call(name.trim_start_matches("pg_catalog.").trim_start_matches("public.").to_string(), args),
            }
        }
        E::Array(items) => E::Array(items.into_iter().map(simplify).collect()),
        E::Unary(op, x) => E::Unary(op, s(x)),
        E::Bin(op, l, r) => E::Bin(op, s(l), s(r)),
        E::IsNull(x, n) => E::IsNull(s(x), n),
        other => other,
    }
}

/// An interval's text as PostgreSQL prints it: hours, minutes and seconds
/// as `HH:MM:SS` (`'4 hours'` → `'04:00:00'`), days and longer units as
/// words. Text it does not understand is kept.
fn interval(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    if !words.len().is_multiple_of(2) || words.is_empty() {
        return text.to_string();
    }
    let (mut seconds, mut days, mut months) = (0i64, 0i64, 0i64);
    for pair in words.chunks(2) {
        let Ok(n) = pair[0].parse::<i64>() else { return text.to_string() };
        match pair[1].trim_end_matches('s') {
            "second" | "sec" => seconds += n,
            "minute" | "min" => seconds += 60 * n,
            "hour" => seconds += 3600 * n,
            "day" => days += n,
            "week" => days += 7 * n,
            "month" | "mon" => months += n,
            "year" => months += 12 * n,
            _ => return text.to_string(),
        }
    }
    let mut parts = Vec::new();
    let plural = |n: i64, one: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {one}s") };
    if months / 12 != 0 {
        parts.push(plural(months / 12, "year"));
    }
    if months % 12 != 0 {
        parts.push(plural(months % 12, "mon"));
    }
    if days != 0 {
        parts.push(plural(days, "day"));
    }
    if seconds != 0 || parts.is_empty() {
        parts.push(format!("{:02}:{:02}:{:02}", seconds / 3600, seconds % 3600 / 60, seconds % 60));
    }
    parts.join(" ")
}

/// Binding strength, for the parentheses the canonical form needs.
fn level(e: &E) -> u8 {
    match e {
        E::Or(_) => 1,
        E::And(_) => 2,
        E::Not(_) => 3,
        E::IsNull(..) => 4,
        E::Bin(op, ..)
            if matches!(
                op.as_str(),
                "=" | "<>" | "<" | ">" | "<=" | ">=" | "~" | "~*" | "!~" | "!~*" | "~~" | "!~~"
            ) =>
        {
            5
        }
        E::In(..) | E::Quant(..) | E::Between(..) => 5,
        E::Bin(op, ..) if matches!(op.as_str(), "+" | "-" | "||") => 6,
        E::Bin(..) => 7,
        E::Unary(..) => 8,
        _ => 9,
    }
}

fn ident(name: &str) -> String {
    // A keyword stays quoted: `"user" <> ''` unquoted is `CURRENT_USER <> ''`
    // (always true), and `"select"` a syntax error. `dddc import` writes a
    // CHECK's canonical text into the model as it is.
    crate::sql::ident(name)
}

/// Prints `e`; wraps it in parentheses when it binds looser than `outer`.
fn print(e: &E, outer: u8) -> String {
    let me = level(e);
    let text = match e {
        E::Col(parts) => parts.iter().map(|p| ident(p)).collect::<Vec<_>>().join("."),
        E::Str(s) => format!("'{}'", s.replace('\'', "''")),
        E::Num(n) => n.clone(),
        E::Bool(true) => "TRUE".into(),
        E::Bool(false) => "FALSE".into(),
        E::Null => "NULL".into(),
        E::Keyword(k) => k.clone(),
        E::Cast(x, ty) => format!("{}::{ty}", print(x, 9)),
        E::Call(name, args) => {
            format!("{name}({})", args.iter().map(|a| print(a, 0)).collect::<Vec<_>>().join(", "))
        }
        E::Array(items) => format!("ARRAY[{}]", items.iter().map(|a| print(a, 0)).collect::<Vec<_>>().join(", ")),
        E::Unary(op, x) => format!("{op}{}", print(x, me + 1)),
        E::Bin(op, l, r) => format!("{} {op} {}", print(l, me), print(r, me + 1)),
        E::And(items) => items.iter().map(|i| print(i, me + 1)).collect::<Vec<_>>().join(" AND "),
        E::Or(items) => items.iter().map(|i| print(i, me + 1)).collect::<Vec<_>>().join(" OR "),
        E::Not(x) => format!("NOT {}", print(x, me + 1)),
        E::IsNull(x, negated) => format!("{} IS {}NULL", print(x, me + 1), if *negated { "NOT " } else { "" }),
        E::In(x, items, negated) => format!(
            "{} {}IN ({})",
            print(x, me + 1),
            if *negated { "NOT " } else { "" },
            items.iter().map(|i| print(i, 0)).collect::<Vec<_>>().join(", ")
        ),
        E::Quant(op, l, q, arr) => format!("{} {op} {q} ({})", print(l, me + 1), print(arr, 0)),
        E::Between(x, low, high) => {
            format!("{} BETWEEN {} AND {}", print(x, me + 1), print(low, me + 1), print(high, me + 1))
        }
    };
    if me < outer {
        format!("({text})")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[track_caller]
    fn same(ours: &str, theirs: &str) {
        assert_eq!(canonical(ours), canonical(theirs), "\n  dddc:       {ours}\n  PostgreSQL: {theirs}");
    }

    #[test]
    fn what_postgresql_prints_back_equals_what_dddc_wrote() {
        same(
            "(estado IN ('A', 'B'))",
            "((estado)::text = ANY ((ARRAY['A'::character varying, 'B'::character varying])::text[]))",
        );
        same("(n BETWEEN 1 AND 5)", "((n >= 1) AND (n <= 5))");
        same("((NOT paid) OR (total IS NOT NULL))", "((NOT paid) OR (total IS NOT NULL))");
        same("(char_length(nombre) > 0)", "(char_length((nombre)::text) > 0)");
        same("'PENDIENTE'", "'PENDIENTE'::character varying");
        same("CURRENT_TIMESTAMP", "now()");
        same("'{}'::jsonb", "'{}'::jsonb");
        same("(email ~ '^[^@]+@')", "((email)::text ~ '^[^@]+@'::text)");
        same(
            "(tenant_id = current_setting('app.tenant_id')::uuid)",
            "(tenant_id = (current_setting('app.tenant_id'::text))::uuid)",
        );
        same("(NOT (a IS NULL AND b IS NULL))", "(NOT ((a IS NULL) AND (b IS NULL)))");
        same("(deleted_at IS NULL)", "(deleted_at IS NULL)");
        same("-1", "'-1'::integer");
        same("'NORMAL'", "'NORMAL'::shop.priority");
        same("(tipo IN ('A'))", "((tipo)::text = 'A'::text)");
        same("(fin - inicio <= interval '4 hours')", "((fin - inicio) <= '04:00:00'::interval)");
        same(
            "(d BETWEEN DATE '1900-01-01' AND CAST(CURRENT_TIMESTAMP AS DATE))",
            "((d >= '1900-01-01'::date) AND (d <= (CURRENT_TIMESTAMP)::date))",
        );
        same("(char_length(trim(asunto)) > 0)", "((char_length(TRIM(BOTH FROM asunto)) > 0))");
    }

    #[test]
    fn different_expressions_stay_different() {
        assert_ne!(canonical("(n > 0)"), canonical("(n >= 0)"));
        assert_ne!(canonical("(estado IN ('A', 'B'))"), canonical("(estado IN ('A', 'C'))"));
        assert_ne!(canonical("(a AND b) OR c"), canonical("a AND (b OR c)"));
        assert_ne!(canonical("created_at::date"), canonical("created_at"));
    }

    /// `dddc import` writes the canonical text of a CHECK into the model: a
    /// column named by a keyword stays quoted, or it means something else
    /// (`user` is `CURRENT_USER`) or nothing (`select`).
    #[test]
    fn a_keyword_named_column_stays_quoted() {
        assert_eq!(canonical("(\"user\" <> ''::text)"), "\"user\" <> ''");
        assert_eq!(canonical("(char_length(\"select\") > 0)"), "char_length(\"select\") > 0");
        assert_eq!(canonical("(\"Notes\" IS NOT NULL)"), "\"Notes\" IS NOT NULL");
        assert_eq!(canonical("(notes IS NOT NULL)"), "notes IS NOT NULL");
    }

    #[test]
    fn unparsable_text_compares_with_itself() {
        assert_eq!(canonical("weird @@ thing  here"), canonical("weird @@   thing here"));
    }
}
