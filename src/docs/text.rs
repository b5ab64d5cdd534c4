//! Text helpers shared by the views and registered as template filters:
//! Markdown code spans and table cells, heading anchors, PlantUML and Mermaid
//! escaping. Every function is total: any model text goes in, valid output
//! comes out.

/// The anchor GitHub (and GitLab) give a heading: lower-case, letters,
/// digits, `-` and `_` kept, spaces turned into `-`, everything else dropped.
/// The HTML page uses the same ids, so links work in both.
pub fn slug(heading_text: &str) -> String {
    let mut out = String::new();
    for c in heading_text.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || c == '-' || c == '_' {
            out.push(c);
        } else if c == ' ' {
            out.push('-');
        }
    }
    out
}

/// The text of a Markdown heading line as a reader sees it: code-span
/// backticks removed (what [`slug`] is computed from).
pub fn heading_text(markdown: &str) -> String {
    markdown.chars().filter(|c| *c != '`').collect()
}

/// A Markdown code span holding `text` verbatim, whatever backticks it
/// contains (the fence is one backtick longer than the longest run inside).
pub fn code(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    if !text.contains(['\n', '\r', '`']) {
        // The usual name or type: one backtick each side, no copy first.
        let pad = text.starts_with(' ') && text.ends_with(' ') && !text.trim().is_empty();
        let mut out = String::with_capacity(text.len() + 4);
        out.push_str(if pad { "` " } else { "`" });
        out.push_str(text);
        out.push_str(if pad { " `" } else { "`" });
        return out;
    }
    code_fenced(text)
}

/// [`code`] of any text: line breaks made spaces, the fence longer than any
/// run of backticks inside.
fn code_fenced(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    let text = text.replace(['\n', '\r'], " ");
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = text.starts_with('`')
        || text.ends_with('`')
        || (text.starts_with(' ') && text.ends_with(' ') && !text.trim().is_empty());
    if pad {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

/// Markdown made safe for one cell of a pipe table: lines joined with a
/// space, paragraphs separated by `<br>`, every `|` escaped (GFM unescapes
/// it inside code spans too).
pub fn cell(markdown: &str) -> String {
    if !markdown.contains(['\n', '|']) {
        // One line: its paragraph is itself, trimmed.
        return markdown.trim().to_string();
    }
    cell_paragraphs(markdown)
}

fn cell_paragraphs(markdown: &str) -> String {
    paragraphs(markdown).join("<br>").replace('|', "\\|")
}

/// Markdown on one line, for a list item: lines and paragraphs joined with
/// a space.
pub fn inline(markdown: &str) -> String {
    if !markdown.contains('\n') {
        return markdown.trim().to_string();
    }
    inline_paragraphs(markdown)
}

fn inline_paragraphs(markdown: &str) -> String {
    paragraphs(markdown).join(" ")
}

/// The paragraphs of a text (separated by blank lines), each on one line.
fn paragraphs(markdown: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in markdown.lines().map(str::trim) {
        if line.is_empty() {
            if !current.is_empty() {
                out.push(current.join(" "));
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        out.push(current.join(" "));
    }
    out
}

/// Text for a PlantUML member line, label or title: no line break, and the
/// two-character Creole markups (`**`, `//`, `--`, `__`, `~~`, `==`)
/// escaped with `~` so names show as written.
pub fn puml(text: &str) -> String {
    // Most names have no line break and no markup pair after their first
    // character: they are kept as they are.
    let b = text.as_bytes();
    let markup = (1..b.len().saturating_sub(1)).any(|i| b[i] == b[i + 1] && b"*/-_~=".contains(&b[i]));
    if !markup && !text.contains(['\n', '\r']) {
        return text.to_string();
    }
    puml_escaped(text)
}

fn puml_escaped(text: &str) -> String {
    let text = text.replace(['\n', '\r'], " ");
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let pair = chars.get(i + 1) == Some(&c);
        if pair && matches!(c, '*' | '/' | '-' | '_' | '~' | '=') && i > 0 {
            out.push('~');
            out.push(c);
            out.push(c);
            i += 2;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Text inside a PlantUML double-quoted name: [`puml`], and no `"`.
pub fn puml_quoted(text: &str) -> String {
    puml(&text.replace('"', "'"))
}

/// An identifier PlantUML and Mermaid accept as an entity alias: ASCII
/// letters, digits and `_`, not starting with a digit.
pub fn alias(parts: &[&str]) -> String {
    let mut out = String::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push('_');
        }
        for c in p.chars() {
            out.push(if c.is_ascii_alphanumeric() { c } else { '_' });
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// An HTML `id` (and the fragment of a link to it) for a name of the model:
/// ASCII letters, digits and `_` kept, every run of anything else one `-`
/// (identifiers never hold `-`, so `t-reservas-reservas` cannot be two
/// names run together). The site's templates (`|id`) and its search index
/// both call it, so links and anchors agree.
pub fn html_id(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// A PostgreSQL type as one Mermaid attribute word: `VARCHAR(255)` →
/// `VARCHAR_255`, `CHAR(2)[]` → `CHAR_2_array`, `NUMERIC(12, 2)` →
/// `NUMERIC_12_2`.
pub fn mermaid_word(ty: &str) -> String {
    let ty = ty.replace("[]", " array");
    let mut out = String::new();
    for c in ty.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_string();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("t_{out}")
    } else {
        out
    }
}

/// Text for a Mermaid quoted comment or label: no double quote, no line
/// break.
pub fn mermaid_text(text: &str) -> String {
    text.replace('"', "'").replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// The short ways of `code`, `cell`, `inline` and `puml` give what
        /// the long ways give, on text made of the characters they care about.
        #[test]
        fn short_ways_agree_with_the_long_ways(text in "[ a_é*/|`\t\r\n~=-]{0,12}") {
            prop_assert_eq!(code(&text), code_fenced(&text));
            prop_assert_eq!(cell(&text), cell_paragraphs(&text));
            prop_assert_eq!(inline(&text), inline_paragraphs(&text));
            prop_assert_eq!(puml(&text), puml_escaped(&text));
        }
    }

    use super::*;

    #[test]
    fn slugs_like_github() {
        assert_eq!(slug("Table autenticacion.usuarios"), "table-autenticacionusuarios");
        assert_eq!(slug("Contexto «reservas»"), "contexto-reservas");
        assert_eq!(slug("Índices"), "índices");
        assert_eq!(slug("a_b - c"), "a_b---c");
    }

    #[test]
    fn code_spans_hold_backticks() {
        assert_eq!(code("x"), "`x`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`a"), "`` `a ``");
        assert_eq!(code(""), "");
    }

    #[test]
    fn cells_are_one_line() {
        assert_eq!(cell("a\nb\n\nc | d"), "a b<br>c \\| d");
        assert_eq!(cell("a\r\n\r\n\r\nb"), "a<br>b");
        assert_eq!(inline("`a|b`\n\nc"), "`a|b` c");
    }

    #[test]
    fn puml_escapes_creole() {
        assert_eq!(puml("a__b"), "a~__b");
        assert_eq!(puml("__b"), "__b");
        assert_eq!(puml("\"order\".\"select\""), "\"order\".\"select\"");
        assert_eq!(puml_quoted("say \"hi\""), "say 'hi'");
    }

    #[test]
    fn html_ids() {
        assert_eq!(html_id("reservas.reservas"), "reservas-reservas");
        assert_eq!(html_id("Reserva › Sesion › Material"), "Reserva-Sesion-Material");
        assert_eq!(html_id("«x» y"), "x-y");
        assert_eq!(html_id(""), "");
    }

    #[test]
    fn mermaid_words() {
        assert_eq!(mermaid_word("VARCHAR(255)"), "VARCHAR_255");
        assert_eq!(mermaid_word("NUMERIC(12, 2)"), "NUMERIC_12_2");
        assert_eq!(mermaid_word("CHAR(2)[]"), "CHAR_2_array");
        assert_eq!(mermaid_word("\"order\".\"select\""), "order_select");
        assert_eq!(mermaid_word("DOUBLE PRECISION"), "DOUBLE_PRECISION");
    }
}
