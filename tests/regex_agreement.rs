//! The compile-time check of regular expressions (`dddc::model::regex`)
//! against a real PostgreSQL: every pattern of a corpus (hand-written corner
//! cases, random patterns from a fixed seed) is compiled by the server with
//! `'' ~ pattern`; `check` must fail exactly when the server raises
//! "invalid regular expression", with the same message. Run on every
//! version the test suite runs on (15, and 18 in CI).

mod support;

use dddc::model::regex::check;

/// xorshift64*: random patterns from a fixed seed, the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

/// Hand-written patterns: valid and invalid ones for every rule.
#[rustfmt::skip]
const HAND: &[&str] = &[
    // everyday patterns
    "^[A-Z]{3}[0-9]{2,5}$", "^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$", "^\\d{4}-\\d{2}-\\d{2}$", "^[A-Z(+$",
    "^\\+?[0-9 ]{6,20}$", "^(?:[01]\\d|2[0-3]):[0-5]\\d$", "^[[:upper:]][[:lower:]]*$", "^\\w+(\\s\\w+)*$",
    "^[^\\s]+$", "^(https?|ftp)://[^/]+(/.*)?$", "^[A-Z]{2}\\d{2}[A-Z0-9]{1,30}$", "^#[0-9a-fA-F]{6}$",
    // parentheses
    "(", ")", "a)", "(a", "((a)", "(a))", "()", "(|)", "(?:)", "(?:a", "a(?:b)c", "((((((((((a))))))))))",
    // lookaround
    "(?=a)", "(?!a)b", "(?<=a)b", "(?<!a)b", "(?<a)", "(?<", "(?", "(?P<n>a)", "(?=a", "(?=(a))", "(a)(?=\\1)",
    "(?=a)*", "(?!a)+", "(?<=a){2}", "(?=(?!(?<=(?<!a))))", "(?=)", "(?#comment)a", "(?#unterminated", "a(?#x)*",
    "(?#x)*",
    // back-references
    "(a)\\1", "\\1", "(a)\\2", "(a\\1)", "(a)|\\1", "((a)\\2)", "(a)(b)(c)(d)(e)(f)(g)(h)(i)\\9", "\\9", "(a)\\10",
    "(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\\10", "\\12", "\\81", "\\18", "(a){0}\\1", "(?:a)\\1", "(a)\\1*", "(a)\\1{2,3}",
    "(a)[\\1]", "[\\12]",
    // quantifiers
    "a*", "a+", "a?", "a*?", "a+?", "a??", "a{2}", "a{2,}", "a{2,3}", "a{2}?", "a{2,}?", "a{2,3}?", "a**", "a*+",
    "a+*", "a???", "*a", "+a", "?a", "a|*", "(*)", "a{3,2}", "a{0}", "a{0,0}", "a{255}", "a{256}", "a{0,255}",
    "a{1,256}", "a{2550}", "a{0000000001}", "a{,2}", "a{}", "a{x}", "a{2x}", "a{2,x}", "a{2", "a{2,", "a{1,2,3}", "{",
    "{1}", "{a}", "a{", "}", "a}", "a{1}{2}", "^*", "$+", "\\A*", "\\Z?", "\\y+", "\\Y*", "\\m*", "\\M{2}",
    "[[:<:]]*", "[[:>:]]a", "x{2}*", "(a){3}", "(?:ab)+?",
    // escapes
    "\\d\\s\\w\\D\\S\\W", "\\m\\M\\y\\Y\\A\\Z", "\\b\\B", "\\t\\n\\r\\f\\v\\a\\e", "\\u00e9", "\\u12", "\\u12g4",
    "\\U0001F600", "\\U0010FFFF", "\\U7FFFFFFF", "\\UFFFFFFFF", "\\x41", "\\x", "\\xg", "\\x7ffffffe", "\\x7fffffff",
    "\\x0041", "\\0", "\\012", "\\377", "\\777", "\\08", "\\cA", "\\c", "\\c\\", "\\q", "\\k", "\\z", "\\g", "\\h",
    "\\i", "\\j", "\\l", "\\o", "\\p", "\\C", "\\E", "\\F", "\\G", "\\N", "\\Q", "\\R", "\\X", "\\.", "\\\\", "\\é",
    "a\\", "\\", "\\-", "\\(", "\\{2}",
    // brackets
    "[a]", "[", "[a", "]", "[]]", "[]", "[^]", "[^]]", "[]a]", "[a-z]", "[z-a]", "[a-a]", "[a-]", "[-a]", "[a-z-9]",
    "[a-b-c]", "[--a]", "[!--]", "[]-a]", "[a-\\d]", "[\\d-z]", "[\\w]", "[\\W\\S]", "[\\A]", "[\\y]", "[\\m]",
    "[\\Z]", "[\\b]", "[\\]", "[\\", "[a\\]b]", "[[:alpha:]]", "[[:word:]]", "[[:foo:]]", "[[:ALPHA:]]", "[[::]]",
    "[[:alpha:]", "[[:alpha]", "[[:alpha:]-z]", "[a-[:alpha:]]", "[[.a.]]", "[[.space.]]", "[[.hyphen.]-z]",
    "[[.foo.]]", "[[..]]", "[[.a.]-[.z.]]", "[[.z.]-a]", "[[=a=]]", "[[=a=]-z]", "[[==]]", "[[=ab=]]", "[[=", "[[.",
    "[[:", "[[x]", "[[]", "[a-[.z.]]", "[[.].]]", "[\\u0041-\\u005a]", "[\\x5a-\\x41]", "[a-\\x7a]", "[é-à]", "[à-é]",
    "[[:alnum:][:digit:][:xdigit:][:space:][:punct:][:print:][:graph:][:cntrl:][:blank:]]",
    "[[:ascii:][:lower:][:upper:]]",
    // directors and embedded options
    "***:a", "***=((", "***?", "***", "****", "***:(?i)a", "***:***:a", "(?i)a", "(?i)[a-z]", "a(?i)", "(?z)a", "(?i",
    "(?i:a)", "(?)", "(?c)a", "(?x)a b # comment", "(?x)a { 2 }", "(?x)a{ 2 , 3 }", "(?q)((", "(?qx)( a",
    "(?b)\\(a\\)\\1", "(?b)a\\{2\\}", "(?b)a\\{x\\}", "(?b)a\\{2", "(?b)*a", "(?b)^*", "(?b)a**", "(?b)\\(",
    "(?b)\\)", "(?b)a\\", "(?b)a+?|{", "(?b)$a$", "(?e)a*?", "(?e)a)", "(?e)(?:a)", "(?e)\\d", "(?e)[\\d]",
    "(?e)a{2}?", "(?e)\\", "(?bi)a", "(?ex)a b", "(?w)a", "(?mnpst)a", "(?xt) a", "(?Q)a",
    // expanded syntax, BRE/ERE corners, constraints, numbers that overflow
    "(?x)a{ 2 }", "(?x)a {2}", "(?x)a{2 ,3 }", "(?x)[ ]", "(?x)[#]", "(?x)a#b(", "(?x)a\\ b", "(?x)a{\n2}",
    "(?x)a{#c\n2}", "(?x){2}", "(?x) *", "(?x)( ?:a)", "(?x)(? :a)", "(?bx)a\\{ 2 \\}", "(?bx)a $ ", "(?bx)$ \\)",
    "[[:<:]]", "[[[:<:]]]", "a[[:<:]]b", "[[:<:]", "(?:(a))\\1", "(?=(a))\\1", "((?=(a)))\\2", "(?<=a\\1)",
    "(a)((?<=\\1))", "\\cé", "[\\c]", "[\\cA]", "[\\x]", "***=\\", "***=[", "(?q)\\", "(?b)\\", "(?b)[\\]",
    "(?e)[\\]", "(?e)[\\", "(?b)\\{1\\}", "(?b)^\\{1\\}", "(?b)\\(\\{1\\}\\)", "(?b)a\\{1,2\\}\\{1\\}",
    "(?b)\\(*a\\)", "(?b)\\(^*a\\)", "(?b)\\1", "(?b)\\(a\\)\\2", "(?e){", "(?e)a{1", "(?e)a{1}?", "(?e)())", "a{1}}",
    "a{1}{", "{1", "{1,2", "(?i)[Z-a]", "(?i)[a-Z]", "[A-z]", "(?tx) a", "a|", "|a", "||", "(^)*", "(?:^)*", "(?:$)+",
    "(\\y)*", "[[.-.]-z]", "[a-[.-.]]", "[---]", "[----]", "[a--]", "[^-a]", "[^]-]",
    "\\x00000000000000000000000000000000000000041", "\\x1111111111111111111111111111111111111111",
    "\\100000000000000000000000000000000000000000", "\\4294967297", "(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)\\12",
    "(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)\\12", "(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)\\99",
    // too complex (stack or NFA size in PostgreSQL)
    "(?:a{255}){255}", "(a{255}){255}", "(?:a{100}){100}", "(?:[a-z]{1,255}){1,255}", "(a{255})\\1{255}",
];

/// Fragments for structured random patterns.
#[rustfmt::skip]
const FRAGMENTS: &[&str] = &[
    "a", "b", "(", ")", "(?:", "(?=", "(?!", "(?<=", "(?<!", "[", "]", "[a-z]", "[^0-9]", "[[:alpha:]]", "[[:nope:]]",
    "[[.space.]]", "[[=a=]]", "\\d", "\\w", "\\S", "\\y", "\\m", "\\1", "\\2", "\\12", "\\x41", "\\u00e9", "*", "+",
    "?", "*?", "{2}", "{1,3}", "{3,1}", "{256}", "{2,}", "|", "^", "$", ".", "-", "\\", "{", "}", "[z-a]", "[a-\\d]",
    "\\q", "(?#c)", "(?i)",
];

fn corpus() -> Vec<String> {
    let mut out: Vec<String> = HAND.iter().map(|s| s.to_string()).collect();
    let mut rng = Rng(0x5eed_1234_abcd_0042);
    let alphabet: Vec<char> = "()[]{}*+?|^$.\\1a-z:,=!<0123456789bdwxyAu".chars().collect();
    for _ in 0..1000 {
        let len = 1 + rng.below(16);
        out.push((0..len).map(|_| alphabet[rng.below(alphabet.len())]).collect());
    }
    for _ in 0..600 {
        let len = 1 + rng.below(8);
        out.push((0..len).map(|_| FRAGMENTS[rng.below(FRAGMENTS.len())]).collect());
    }
    out
}

#[test]
fn regex_check_agrees_with_postgresql() {
    let mut db = support::pg::shared().create_database("regex_agreement");
    db.batch_execute(
        "CREATE FUNCTION chk(p text) RETURNS text LANGUAGE plpgsql AS $f$ \
         BEGIN PERFORM '' ~ p; RETURN 'OK'; \
         EXCEPTION WHEN invalid_regular_expression THEN RETURN SQLERRM; \
         WHEN OTHERS THEN RETURN 'limit: ' || SQLERRM; END $f$",
    )
    .expect("create chk()");
    let patterns = corpus();
    let (mut disagreements, mut other_message, mut invalid) = (Vec::new(), Vec::new(), 0);
    let mut limits = Vec::new();
    for p in &patterns {
        let answer: String = db.query_one("SELECT chk($1)", &[p]).expect("chk").get(0);
        // Patterns past the server's resources (memory, stack) fail by build
        // and version, not by syntax: shown, not compared.
        if answer.starts_with("limit: ") {
            limits.push(format!("{p:?}: {answer}"));
            continue;
        }
        let pg = answer.strip_prefix("invalid regular expression: ");
        assert!(pg.is_some() || answer == "OK", "unexpected answer {answer:?} for {p:?}");
        invalid += pg.is_some() as usize;
        let ours = check(p).err().map(|e| e.message);
        if ours.is_some() != pg.is_some() {
            disagreements.push(format!("{p:?}: PostgreSQL {answer:?}, check {ours:?}"));
        } else if ours.as_deref() != pg {
            other_message.push(format!("{p:?}: PostgreSQL {pg:?}, check {ours:?}"));
        }
    }
    println!("{} patterns, {invalid} invalid in PostgreSQL, {} past its limits", patterns.len(), limits.len());
    for l in &limits {
        println!("  {l}");
    }
    assert!(limits.len() <= 10, "too many patterns hit the server's limits: the corpus no longer tests syntax");
    assert!(patterns.len() >= 1500 && invalid >= 500, "the corpus lost its breadth");
    assert!(disagreements.is_empty(), "check and PostgreSQL disagree:\n{}", disagreements.join("\n"));
    assert!(other_message.is_empty(), "same verdict, other message:\n{}", other_message.join("\n"));
}
