//! Doc comments (and the few labels that carry Markdown) as HTML for the
//! site: rendered by pulldown-cmark, then sanitised by ammonia, so that raw
//! HTML in a `///` comment (`<img src=x onerror=…>`, `<script>`, a
//! `javascript:` link) can never run in the page. This is the only place
//! model text becomes markup: the templates mark nothing else as safe
//! except the SVG diagrams, which escape every character themselves.
//!
//! Sanitising keeps what documentation uses (emphasis, code, lists, tables,
//! links to `http`, `https`, `mailto` and relative pages) and drops images
//! and image maps too: the site makes no request when it is viewed.

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{html, Options, Parser};

/// The sanitiser, built once.
static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.rm_tags(["img", "area", "map"])
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer"))
        .strip_comments(true);
    b
});

/// [`to_html`] and [`to_inline_html`], each text rendered once: the site's
/// pages show most doc comments more than once (2.3 times on MiToga), and
/// sanitising is a tenth of a check of it. One per set of templates, so a
/// long-running process (the language server) keeps nothing after a run.
#[derive(Default)]
pub struct Memo {
    rendered: std::sync::Mutex<std::collections::HashMap<(bool, String), String>>,
}

impl Memo {
    pub fn html(&self, markdown: &str, inline: bool) -> String {
        let render = if inline { to_inline_html } else { to_html };
        if plain(markdown) {
            // Cheaper made again than looked up.
            return render(markdown);
        }
        let key = (inline, markdown.to_string());
        // A poisoned lock (a panic on the other thread) only loses the memo.
        if let Some(done) = self.rendered.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return done;
        }
        let html = render(markdown);
        if let Ok(mut m) = self.rendered.lock() {
            m.insert(key, html.clone());
        }
        html
    }
}

/// Whether `markdown` is plain text: lines that begin with a letter and
/// do not end with a space, of letters, digits, spaces and `.,;:()?%/-'`
/// (and any other character but controls and the no-break space, which
/// the sanitiser writes `&nbsp;`). No Markdown construct begins or lies in
/// such text, and HTML escapes none of it: it is one paragraph of itself,
/// which is what pulldown-cmark and ammonia make of it, without their cost
/// (most doc comments are such text: 204 of the 273 `///` lines of
/// MiToga's; its check in full 16.0 -> 15.3 ms). Agreement is tested below
/// on random text.
fn plain(markdown: &str) -> bool {
    !markdown.is_empty()
        && markdown.split('\n').all(|line| {
            let mut chars = line.chars();
            chars.next().is_some_and(char::is_alphabetic)
                && !line.ends_with(' ')
                && chars.all(|c| {
                    if c.is_ascii() {
                        c.is_ascii_alphanumeric()
                            || matches!(c, ' ' | '.' | ',' | ';' | ':' | '(' | ')' | '?' | '%' | '/' | '-' | '\'')
                    } else {
                        !c.is_control() && c != '\u{a0}'
                    }
                })
        })
}

/// Markdown as sanitised HTML blocks (`<p>…</p>`, lists, tables).
pub fn to_html(markdown: &str) -> String {
    if plain(markdown) {
        return format!("<p>{markdown}</p>\n");
    }
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options));
    CLEANER.clean(&raw).to_string()
}

/// Markdown as sanitised inline HTML: [`to_html`] without the paragraph
/// around it when it is a single paragraph (a label, a table cell).
pub fn to_inline_html(markdown: &str) -> String {
    if plain(markdown) {
        return markdown.to_string();
    }
    let block = to_html(markdown);
    let trimmed = block.trim_end();
    match trimmed.strip_prefix("<p>").and_then(|s| s.strip_suffix("</p>")) {
        Some(inner) if !inner.contains("<p>") => inner.to_string(),
        _ => block,
    }
}

/// The first sentence of a doc comment as plain text, at most `max`
/// characters: for lists and the search index.
pub fn summary(markdown: &str, max: usize) -> String {
    let mut text = String::new();
    for event in Parser::new(markdown) {
        match event {
            pulldown_cmark::Event::Text(t) | pulldown_cmark::Event::Code(t) => text.push_str(&t),
            pulldown_cmark::Event::SoftBreak | pulldown_cmark::Event::HardBreak => text.push(' '),
            pulldown_cmark::Event::End(pulldown_cmark::TagEnd::Paragraph) => break,
            _ => {}
        }
    }
    let end = text.find(". ").map_or(text.len(), |i| i + 1);
    let sentence = text[..end].trim();
    if sentence.chars().count() <= max {
        return sentence.to_string();
    }
    let mut cut: String = sentence.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memo_gives_what_rendering_gives() {
        let memo = Memo::default();
        for text in ["**PII**", "a\n\nb", "<script>x</script>", "**PII**", ""] {
            for inline in [false, true] {
                let direct = if inline { to_inline_html(text) } else { to_html(text) };
                assert_eq!(memo.html(text, inline), direct, "{text:?} inline={inline}");
                assert_eq!(memo.html(text, inline), direct, "{text:?} inline={inline}, again");
            }
        }
    }

    #[test]
    fn markdown_is_rendered() {
        assert_eq!(to_html("Una *reserva* con `id`."), "<p>Una <em>reserva</em> con <code>id</code>.</p>\n");
        assert_eq!(to_inline_html("**PII**"), "<strong>PII</strong>");
        assert_eq!(to_inline_html("a\n\nb"), "<p>a</p>\n<p>b</p>\n");
        let link = to_html("[docs](https://example.com/x)");
        assert!(link.contains("href=\"https://example.com/x\"") && link.contains("rel=\"noopener noreferrer\""));
        assert!(to_html("| a |\n|---|\n| b |").contains("<td>b</td>"));
    }

    #[test]
    fn hostile_html_never_runs() {
        for evil in [
            "<img src=x onerror=alert(1)>",
            "<script>alert(1)</script>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "[x](javascript:alert(1))",
            "[x](  JaVaScRiPt:alert(1))",
            "<svg onload=alert(1)>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<div style=\"background:url(https://evil.example/t.png)\">x</div>",
            "![tracker](https://evil.example/t.png)",
            "<b onclick=\"alert(1)\">x</b>",
            "<!-- <script>alert(1)</script> -->",
            "<style>body{display:none}</style>",
            "<form action=\"https://evil.example\"><input></form>",
            "<object data=\"x.swf\"></object><embed src=\"x\">",
            "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
        ] {
            let html = to_html(evil).to_ascii_lowercase();
            for bad in [
                "<script",
                "onerror",
                "onload",
                "onclick",
                "javascript:",
                "<img",
                "<svg",
                "<iframe",
                "style",
                "<form",
                "<input",
                "<object",
                "<embed",
                "<meta",
                "evil.example/t.png",
                "<!--",
            ] {
                assert!(!html.contains(bad), "`{evil}` gave `{html}`");
            }
        }
        // The text around survives, escaped.
        assert_eq!(to_html("1 < 2 & <b>bold</b>"), "<p>1 &lt; 2 &amp; <b>bold</b></p>\n");
    }

    /// What pulldown-cmark and ammonia make of `markdown`, always.
    fn rendered(markdown: &str) -> String {
        let mut raw = String::new();
        html::push_html(&mut raw, Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH));
        CLEANER.clean(&raw).to_string()
    }

    #[test]
    fn plain_text_is_its_own_paragraph() {
        for text in [
            "Tipo de cambio diario frente al euro, para informes consolidados.",
            "Una reserva (de clase): 50% / hora - ¿cancelable?",
            "Línea uno\nlínea dos",
            "Código ISO 4217…",
            "The tutor's rate",
        ] {
            assert!(plain(text), "{text:?}");
            assert_eq!(to_html(text), rendered(text), "{text:?}");
            assert_eq!(to_html(text), format!("<p>{text}</p>\n"));
            assert_eq!(to_inline_html(text), text);
        }
        for text in [
            "", "1. list", "- item", "a  \nb", "a\n\nb", " lead", "trail ", "a\\", "a & b", "a\u{a0}b", "`x`", "a *b*",
            "# h", "a\n===", "a\n---", "a\r\nb", "a\tb", "<b>", "[x](y)", "a\n    b", "a\"b", "a _b_", "~~x~~",
        ] {
            assert!(!plain(text), "{text:?} taken for plain text");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]

        /// Text taken for plain is rendered as pulldown-cmark and ammonia
        /// render it: plain words with Markdown's and HTML's characters
        /// among them (any one of those let in fails here in a few cases).
        #[test]
        fn plain_text_agrees_with_the_renderer(
            text in "[a-zA-Zé][a-z]{0,2}([ .,;:()?%/'-]{0,2}[a-z0-9\u{2028}\u{feff}\u{fffd}\u{301}\u{200f}\u{3000}\u{1f600}]{1,3}|[ \n]{0,2}[-*_`'\"&<>#!+=|~\\[\\]\\\\\u{a0}\u{2026}\t\r\n]{1,2}){1,6}"
        ) {
            if plain(&text) {
                proptest::prop_assert_eq!(to_html(&text), rendered(&text));
                proptest::prop_assert_eq!(to_inline_html(&text), text);
            }
        }
    }

    #[test]
    fn summaries_are_one_plain_sentence() {
        assert_eq!(summary("Una *reserva* de clase. Puede cancelarse.", 80), "Una reserva de clase.");
        assert_eq!(summary("Línea uno\nlínea dos\n\nOtro párrafo.", 80), "Línea uno línea dos");
        assert_eq!(summary("abcdef", 4), "abc…");
        assert_eq!(summary("", 10), "");
    }
}
