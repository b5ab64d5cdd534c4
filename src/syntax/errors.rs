//! Syntax errors in words. Pest's rule names never reach the user: a piece of
//! junk is re-parsed with the rule its first word asks for, and what that parse
//! expected is translated by [`describe`].

use pest::error::{Error as PestError, ErrorVariant, InputLocation};
use pest::Parser;

use super::{DddParser, Rule};
use crate::diagnostics::codes::id;
use crate::diagnostics::{did_you_mean, Diagnostic, FileId, Span};

/// Where a piece of junk was found, to explain it .
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    Top,
    Model,
    Defaults,
    Context,
    Enum,
    Value,
    Aggregate,
    Events,
    Role,
}

pub(super) struct Junk {
    pub place: Place,
    pub start: usize,
    pub end: usize,
}

/// Whether a line looks like the start of an item of its own (a keyword, a
/// misspelt keyword, or `name:`), rather than the continuation of the
/// broken line above it.
pub(super) fn starts_item(line: &str) -> bool {
    let word: String = line.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    if word.is_empty() {
        return line.starts_with('@');
    }
    let rest = line[word.len()..].trim_start();
    rest.starts_with(':')
        || STARTERS.iter().any(|(w, _)| *w == word)
        || did_you_mean(&word, STARTERS.iter().map(|(w, _)| *w)).is_some()
}

/// Keywords that start an item, with the rule that parses such an item alone.
const STARTERS: &[(&str, Rule)] = &[
    ("include", Rule::only_include),
    ("model", Rule::only_model),
    ("context", Rule::only_context),
    ("enum", Rule::only_enum),
    ("value", Rule::only_value),
    ("aggregate", Rule::only_aggregate),
    ("entity", Rule::only_entity),
    ("invariant", Rule::only_invariant),
    ("index", Rule::only_index),
    ("unique", Rule::only_unique),
    ("events", Rule::only_events),
    ("partition", Rule::only_partition),
    ("search", Rule::only_search),
    ("key", Rule::only_key),
    ("expected_rows", Rule::only_expected_rows),
    ("soft_delete", Rule::only_flag),
    ("audited", Rule::only_flag),
    ("tenant_scoped", Rule::only_flag),
    ("timestamps", Rule::only_flag),
    ("no", Rule::only_flag),
    ("role", Rule::only_role),
    ("publication", Rule::only_publication),
    ("target", Rule::only_target),
    ("tables", Rule::only_tables),
    ("extensions", Rule::only_extensions),
    ("defaults", Rule::only_defaults),
    ("audit_log", Rule::only_audit_log),
    ("tenant", Rule::only_tenant_by),
    ("read", Rule::only_grant),
    ("write", Rule::only_grant),
];

fn allowed_here(place: Place) -> &'static [&'static str] {
    match place {
        Place::Top => &["model", "context", "enum", "value", "include", "role", "publication"],
        Place::Model => &[
            "target",
            "tables",
            "extensions",
            "defaults",
            "audit_log",
            "context",
            "enum",
            "value",
            "role",
            "publication",
        ],
        Place::Defaults => &["timestamps", "soft_delete"],
        Place::Context => &["aggregate", "enum", "value", "tenant"],
        Place::Enum => &[],
        Place::Value => &["invariant"],
        Place::Aggregate => &[
            "entity",
            "invariant",
            "index",
            "unique",
            "key",
            "events",
            "partition",
            "search",
            "expected_rows",
            "soft_delete",
            "audited",
            "tenant_scoped",
            "timestamps",
        ],
        Place::Events => &[],
        Place::Role => &["read", "write"],
    }
}

fn place_words(place: Place) -> &'static str {
    match place {
        Place::Top => "at the top level of a file",
        Place::Model => "in the `model` block",
        Place::Defaults => "in `defaults { … }`",
        Place::Context => "in a context",
        Place::Enum => "in an enum",
        Place::Value => "in a value object",
        Place::Aggregate => "in an aggregate or entity",
        Place::Events => "in an `events` block",
        Place::Role => "in a role",
    }
}

/// The place as the subject of a sentence: "an aggregate or entity may hold …".
fn place_subject(place: Place) -> &'static str {
    match place {
        Place::Top => "the top level of a file",
        Place::Model => "the `model` block",
        Place::Defaults => "`defaults { … }`",
        Place::Context => "a context",
        Place::Enum => "an enum",
        Place::Value => "a value object",
        Place::Aggregate => "an aggregate or entity",
        Place::Events => "an `events` block",
        Place::Role => "a role",
    }
}

fn what_belongs(place: Place) -> String {
    let words: Vec<String> = allowed_here(place).iter().map(|w| format!("`{w}`")).collect();
    match place {
        Place::Enum => "enum values in UPPER_SNAKE case, one per line".to_string(),
        Place::Events => "event names in UPPER_SNAKE case, one per line".to_string(),
        Place::Value | Place::Aggregate => format!("fields (`name: type`), {}", join_or(&words)),
        _ => join_or(&words),
    }
}

fn join_or(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

/// Where the line of `at` starts, for [`explain_junk`]; on a long line (a
/// model written on one line), where the block the junk is in starts:
/// after the nearest brace before `at`. Each region is then read again
/// from its block, not from the start of the line: with an error in each
/// of 2,000 aggregates on one line, reading each from the start of the
/// line took 15 s.
fn item_start(text: &str, at: usize) -> usize {
    let b = text.as_bytes();
    let near = at.saturating_sub(LONG_LINE);
    if let Some(i) = b[near..at].iter().rposition(|&c| c == b'\n') {
        return near + i + 1;
    }
    if near == 0 {
        return 0;
    }
    // A brace in a string stops it too (`= '{}'`): the region is then read
    // from inside the string, as junk.
    b[..at].iter().rposition(|&c| matches!(c, b'\n' | b'{' | b'}')).map_or(0, |i| i + 1)
}

/// A line longer than this is explained from the block its junk is in
/// ([`item_start`]).
const LONG_LINE: usize = 256;

/// Explains one region of lines the grammar could not read.
pub(super) fn explain_junk(file: FileId, text: &str, junk: &Junk) -> Diagnostic {
    // Junk that starts mid-line follows an item the grammar accepted up to
    // there (`nota: text(` read as `nota: text`): explain the whole line.
    let line_start = item_start(text, junk.start);
    let indent = text[line_start..].len() - text[line_start..].trim_start().len();
    let junk = &Junk { place: junk.place, start: (line_start + indent).min(junk.start), end: junk.end };
    let region = &text[junk.start..junk.end];
    let first_word: String = region.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    let rest = region[first_word.len()..].trim_start();
    let first_len =
        if first_word.is_empty() { region.chars().next().map_or(0, char::len_utf8) } else { first_word.len() };
    let word_span = Span::new(file, junk.start, junk.start + first_len);

    // Names are ASCII: `año`.
    let word_end =
        region.char_indices().find(|(_, c)| !(c.is_alphanumeric() || *c == '_')).map_or(region.len(), |(i, _)| i);
    let word = &region[..word_end];
    if !word.is_ascii() && !word.is_empty() {
        return Diagnostic::error(id::E0001, format!("`{word}` is not a valid name"))
            .at(Span::new(file, junk.start, junk.start + word_end), "names are ASCII letters, digits and `_`")
            .with_help("write it without accents or `ñ` (names become SQL identifiers); doc comments and strings may hold any text");
    }

    // `@allow(…)` on a line of its own.
    if region.starts_with('@') {
        return Diagnostic::error(id::E0001, "annotation on a line of its own")
            .at(Span::new(file, junk.start, junk.start + line_len(region)), "this annotates nothing")
            .with_help("annotations follow what they annotate: `email: Email unique @pii`, `aggregate Pago @allow(L020, 'why') {`, `invariant x @allow(…): …`");
    }

    let candidate = if rest.starts_with(':') && !first_word.is_empty() && place_has_fields(junk.place) {
        Some(Rule::only_field)
    } else if junk.place == Place::Enum {
        Some(Rule::only_enum_value)
    } else {
        STARTERS.iter().find(|(w, _)| *w == first_word).map(|(_, r)| *r)
    };

    let Some(rule) = candidate else {
        let found = if first_word.is_empty() { token_at(region, 0) } else { first_word.clone() };
        let mut d = Diagnostic::error(id::E0001, format!("expected {}, found `{}`", what_belongs(junk.place), found))
            .at(word_span, format!("not valid {}", place_words(junk.place)));
        let keywords: Vec<&str> = STARTERS.iter().map(|(w, _)| *w).collect();
        if let Some(k) = did_you_mean(&first_word, keywords.iter().copied()) {
            d = d.with_help(format!("did you mean `{k}`?"));
        } else if !first_word.is_empty() && place_has_fields(junk.place) {
            d = d.with_help(format!("a field is written `{first_word}: type`"));
        } else {
            d = d.with_help(format!("{} may hold {}", place_subject(junk.place), what_belongs(junk.place)));
        }
        return d;
    };

    pest::set_error_detail(true);
    let result = DddParser::parse(rule, region);
    pest::set_error_detail(false);
    match result {
        Err(err) => {
            let mut d = from_pest(file, region, &err, rule, !text[junk.end..].trim().is_empty());
            shift(&mut d, junk.start);
            d
        }
        Ok(_) => {
            let kind = first_word;
            Diagnostic::error(id::E0001, format!("`{kind}` is not allowed {}", place_words(junk.place)))
                .at(word_span, "misplaced")
                .with_help(format!("{} may hold {}", place_subject(junk.place), what_belongs(junk.place)))
        }
    }
}

fn place_has_fields(place: Place) -> bool {
    matches!(place, Place::Aggregate | Place::Value)
}

fn line_len(s: &str) -> usize {
    s.find('\n').unwrap_or(s.len())
}

fn shift(d: &mut Diagnostic, by: usize) {
    if let Some(p) = &mut d.primary {
        p.span.start += by as u32;
        p.span.end += by as u32;
    }
}

/// The token at `offset`, for "found `…`".
fn token_at(text: &str, offset: usize) -> String {
    let rest = &text[offset.min(text.len())..];
    if rest.trim().is_empty() {
        return "end of file".into();
    }
    let Some(c) = rest.chars().next() else {
        return "end of file".into();
    };
    if c == '\n' {
        return "end of line".into();
    }
    if c.is_ascii_alphanumeric() || c == '_' {
        rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
    } else {
        c.to_string()
    }
}

/// A pest error in words: position, what was expected, what was found.
/// `in_line`: `text` is one piece of a file (a junk region), whose end is the
/// end of a line, not of the file.
pub(super) fn from_pest(file: FileId, text: &str, err: &PestError<Rule>, entry: Rule, in_line: bool) -> Diagnostic {
    // Re-run with details on to learn the literal tokens that were expected.
    let detailed = if err.parse_attempts().is_none() {
        pest::set_error_detail(true);
        let e = DddParser::parse(entry, text).err();
        pest::set_error_detail(false);
        e
    } else {
        None
    };
    let err = detailed.as_ref().unwrap_or(err);
    // The furthest position the parser reached, and what it expected there.
    let mut attempts = err.parse_attempts();
    let location = match err.location.clone() {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    // A keyword matched partly (`no` of `nothing`) leaves the furthest
    // position inside a word: there the error's own position says more.
    let inside_word = |p: usize| {
        p > 0
            && p < text.len()
            && text.is_char_boundary(p)
            && text[..p].chars().last().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            && text[p..].chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if attempts.as_ref().is_some_and(|a| inside_word(a.max_position)) {
        attempts = None;
    }
    let offset = attempts.as_ref().map_or(location, |a| a.max_position);
    let offset = skip_trivia(text, offset.min(text.len()));
    let mut expected: Vec<String> = Vec::new();
    if let Some(attempts) = &attempts {
        for t in attempts.expected_tokens() {
            let t = t.to_string();
            let internal = t.contains("..")
                || (t.chars().count() == 1 && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            if !t.trim().is_empty() && !t.starts_with("//") && t != "\u{feff}" && !internal {
                expected.push(format!("`{t}`"));
            }
        }
        for stack in attempts.call_stacks() {
            if let Some(rule) = stack.deepest.get_rule() {
                if let Some(w) = describe(*rule) {
                    expected.push(w.to_string());
                }
            }
        }
    } else if let ErrorVariant::ParsingError { positives, .. } = &err.variant {
        for r in positives {
            if let Some(w) = describe(*r) {
                expected.push(w.to_string());
            }
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    expected.retain(|e| seen.insert(e.clone()));
    if in_line {
        expected.retain(|e| e != "end of file");
    }
    // The keyword just written is not what is missing after it.
    let line_before = text[..offset].rsplit('\n').next().unwrap_or("");
    if let Some(prev) = line_before.split_whitespace().last().filter(|w| w.chars().all(|c| c.is_ascii_alphabetic())) {
        expected.retain(|e| *e != format!("`{prev}`"));
    }
    let mut found = token_at(text, offset);
    if in_line && found == "end of file" {
        found = "end of line".into();
    }
    let found_words =
        if found == "end of file" || found == "end of line" { found.clone() } else { format!("`{found}`") };
    let message = if expected.is_empty() {
        format!("unexpected {found_words}")
    } else {
        format!("expected {}, found {found_words}", join_or(&expected))
    };
    let end = if found.starts_with("end of") { offset } else { (offset + found.len()).min(text.len()) };
    // A quote that opens a string never closed on its line.
    let line_start = offset - line_before.len();
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = &text[line_start..line_end];
    if let Some(quote) =
        ['\'', '"'].into_iter().find(|q| line.matches(*q).count() % 2 == 1 && !line.trim_start().starts_with("//"))
    {
        if let Some(open) = line.rfind(quote) {
            let at = line_start + open;
            return Diagnostic::error(id::E0001, "unterminated string")
                .at(Span::new(file, at, line_end), "this string is not closed on its line")
                .with_help(format!("close it with `{quote}`; write `{quote}{quote}` for a quote inside a string"));
        }
    }
    // At the end of the file, a missing `}` is the only thing worth saying.
    if found == "end of file" && expected.iter().any(|e| e == "`}`") {
        return Diagnostic::error(id::E0001, "expected `}`, found end of file")
            .at(Span::new(file, offset, offset), "unexpected here")
            .with_help("a block opened with `{` is not closed: add the missing `}`");
    }
    let mut d = Diagnostic::error(id::E0001, message).at(Span::new(file, offset, end.max(offset)), "unexpected here");
    if let Some(k) = did_you_mean(&found, STARTERS.iter().map(|(w, _)| *w)) {
        if k != found {
            d = d.with_help(format!("did you mean `{k}`?"));
        }
    }
    if d.help.is_none() {
        d = d.with_help(help_for(&expected, &found));
    }
    d
}

fn help_for(expected: &[String], found: &str) -> String {
    if expected.iter().any(|e| e == "`}`") && found == "end of file" {
        "a block opened with `{` is not closed: add the missing `}`".into()
    } else if expected.iter().any(|e| e == "a type" || e == "`ref`") {
        "a field is written `name: type`".into()
    } else if expected.iter().any(|e| e == "`:`") {
        "a field is written `name: type`, an invariant `invariant name: condition`".into()
    } else {
        "see the language reference (docs/language.md) for the syntax of this construct".into()
    }
}

fn skip_trivia(text: &str, mut offset: usize) -> usize {
    loop {
        let rest = &text[offset.min(text.len())..];
        let trimmed = rest.trim_start_matches([' ', '\t', '\r', '\n', '\u{feff}']);
        offset += rest.len() - trimmed.len();
        if trimmed.starts_with("//") {
            offset += trimmed.find('\n').unwrap_or(trimmed.len());
        } else {
            return offset;
        }
    }
}

/// A grammar rule in the words of the language reference; `None` for rules a
/// user should never hear about.
fn describe(rule: Rule) -> Option<&'static str> {
    use Rule::*;
    Some(match rule {
        ident => "a name",
        path => "a name",
        int => "a whole number",
        number | size => "a number",
        sq_string | dq_string => "a string",
        regex => "a regular expression `/…/`",
        date_lit => "a date like `2025-11-01`",
        month => "a month like `2025-11`",
        ext_name => "an extension name",
        type_expr | plain_type | ref_type => "a type",
        type_args => "`(`",
        optional => "`?`",
        array => "`[]`",
        type_flag => "`identity` or `v7`",
        ref_option | on_delete | on_update => "`on delete`, `on update` or `loose`",
        ref_action => "`restrict`, `cascade`, `set null`, `set default` or `no action`",
        default_value => "`=` and a default",
        annotation => "an annotation like `@pii`",
        field => "a field `name: type`",
        invariant => "`invariant`",
        index => "`index`",
        unique | unique_flag => "`unique`",
        indexed_flag => "`indexed`",
        entity => "`entity`",
        events => "`events`",
        partition => "`partition`",
        search | search_item => "a field to search",
        weight => "a weight `A`–`D`",
        key => "`key`",
        flag => "a flag",
        table_as => "`as`",
        month_range => "`monthly from … to …`",
        expr | or_expr | and_expr | not_expr | test | sum | product | unary | check_expr | implicit_test => {
            "an expression"
        }
        cmp_op => "a comparison (`==`, `!=`, `<`, …)",
        add_op | mul_op => "an operator",
        call => "a function call",
        index_items => "`(`",
        where_clause => "`where`",
        including_deleted => "`including deleted`",
        enum_value => "an enum value",
        event_name => "an event name",
        grant => "`read` or `write`",
        list_part => "a partition `name: value`",
        setting => "a setting",
        model => "`model`",
        context => "`context`",
        enum_decl => "`enum`",
        value_decl => "`value`",
        aggregate => "`aggregate`",
        role => "`role`",
        publication => "`publication`",
        include => "`include`",
        EOI => "end of file",
        kw_model => "`model`",
        kw_include => "`include`",
        kw_target => "`target`",
        kw_tables => "`tables`",
        kw_extensions => "`extensions`",
        kw_defaults => "`defaults`",
        kw_audit_log => "`audit_log`",
        kw_context => "`context`",
        kw_tenant => "`tenant`",
        kw_by => "`by`",
        kw_enum => "`enum`",
        kw_native | native => "`native`",
        kw_value => "`value`",
        kw_check => "`check`",
        kw_aggregate => "`aggregate`",
        kw_entity => "`entity`",
        kw_one | one => "`one`",
        kw_as => "`as`",
        kw_ref => "`ref`",
        kw_on => "`on`",
        kw_delete => "`delete`",
        kw_update => "`update`",
        kw_restrict => "`restrict`",
        kw_cascade => "`cascade`",
        kw_set => "`set`",
        kw_no => "`no`",
        kw_action => "`action`",
        kw_loose | loose => "`loose`",
        kw_unique | kw_unique_mod => "`unique`",
        kw_indexed => "`indexed`",
        kw_identity => "`identity`",
        kw_v7 => "`v7`",
        kw_flag => "`soft_delete`, `audited`, `tenant_scoped` or `timestamps`",
        kw_expected_rows => "`expected_rows`",
        kw_key => "`key`",
        kw_invariant => "`invariant`",
        kw_index => "`index`",
        kw_using | using => "`using`",
        kw_where => "`where`",
        kw_including => "`including`",
        kw_deleted => "`deleted`",
        kw_events => "`events`",
        kw_outbox | outbox => "`outbox`",
        kw_monthly => "`monthly`",
        kw_from => "`from`",
        kw_to => "`to`",
        kw_partition => "`partition`",
        kw_range | range_partition => "`range`",
        kw_list | list_partition => "`list`",
        kw_hash | hash_partition => "`hash`",
        kw_into => "`into`",
        kw_search => "`search`",
        kw_role => "`role`",
        kw_read => "`read`",
        kw_write => "`write`",
        kw_publication => "`publication`",
        kw_implies => "`implies`",
        kw_or => "`or`",
        kw_and => "`and`",
        kw_not | not_kw => "`not`",
        kw_is => "`is`",
        kw_null | null_lit => "`null`",
        kw_in => "`in`",
        kw_between => "`between`",
        kw_matches => "`matches`",
        kw_true | true_lit => "`true`",
        kw_false | false_lit => "`false`",
        kw_sql | sql_escape => "`sql \"…\"`",
        _ => return None,
    })
}
