//! JSON text as PostgreSQL's `jsonb` reads and prints it: what a `json`
//! default may be (E0204: PostgreSQL refuses the rest when the migration
//! runs) and the form `dddc verify` compares defaults in.

/// A `jsonb` value's text as PostgreSQL prints it back: an object's keys
/// shorter first, then by their bytes, a repeated key's last value kept,
/// `": "` and `", "` between items, numbers as `numeric` prints them
/// (`1e2` is `100`, `2.50` stays `2.50`). `None` when it is not JSON. A
/// default written `'{"b":1,"a":2}'` comes back `'{"a": 2, "b": 1}'`, and
/// `dddc verify` took it for another default. `None` too for a number
/// PostgreSQL refuses (`1e-20000`: too many decimals), so that E0204
/// refuses a default it would refuse.
pub fn jsonb(text: &str) -> Option<String> {
    let mut p = Json { s: text.as_bytes(), at: 0 };
    let v = p.value()?;
    p.ws();
    if p.at != p.s.len() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    v.print(&mut out);
    Some(out)
}

enum JsonValue {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<JsonValue>),
    Object(Vec<(String, JsonValue)>),
}

impl JsonValue {
    fn print(&self, out: &mut String) {
        match self {
            JsonValue::Null => out.push_str("null"),
            JsonValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            JsonValue::Number(n) => out.push_str(n),
            JsonValue::String(s) => json_string(s, out),
            JsonValue::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.print(out);
                }
                out.push(']');
            }
            JsonValue::Object(items) => {
                out.push('{');
                for (i, (k, v)) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    json_string(k, out);
                    out.push_str(": ");
                    v.print(out);
                }
                out.push('}');
            }
        }
    }
}

/// A string as `jsonb` prints it: `"` and `\\` escaped, control characters
/// as `\b \f \n \r \t` or `\u00XX`, the rest as it is.
fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The most decimals a `numeric` holds, and digits before its point (a
/// number past either: "value overflows numeric format", PostgreSQL 15).
const MAX_SCALE: usize = 16_383;
const MAX_WHOLE: usize = 131_072;

/// A JSON number as `numeric` prints it: no exponent, as many decimals as
/// it was written with less the exponent (`1.5e1` is `15`, `1e-2` is
/// `0.01`), no sign on zero.
fn numeric(text: &str) -> Option<String> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().ok()?),
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // Bounded as PostgreSQL bounds `numeric` (131,072 digits before the
    // point, 16,383 after): it refuses the rest too. (`i64::MIN` has no
    // absolute value: a range, not `abs`.)
    if !(-20_000..=140_000).contains(&exponent) || frac.len() > 20_000 || int.len() > 140_000 {
        return None;
    }
    let scale = (frac.len() as i64 - exponent).max(0) as usize;
    if scale > MAX_SCALE {
        return None;
    }
    // digits × 10^(exponent - frac.len()), printed with `scale` decimals.
    let mut digits: String = format!("{int}{frac}");
    let shift = exponent - frac.len() as i64;
    if shift > 0 {
        digits.extend(std::iter::repeat_n('0', shift as usize));
    }
    // Now digits × 10^-(decimals), decimals = max(0, -shift).
    let decimals = (-shift).max(0) as usize;
    if digits.len() <= decimals {
        let pad = decimals + 1 - digits.len();
        digits.insert_str(0, &"0".repeat(pad));
    }
    let (whole, fraction) = digits.split_at(digits.len() - decimals);
    let whole = whole.trim_start_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    // `scale` never exceeds `decimals`: the digits past it are zeros only
    // when the exponent moved them (`1.50e1`: decimals 1, scale 1).
    let fraction = &fraction[..scale.min(fraction.len())];
    if whole.len() > MAX_WHOLE {
        return None;
    }
    let zero = whole == "0" && fraction.bytes().all(|b| b == b'0');
    let mut out = String::new();
    if negative && !zero {
        out.push('-');
    }
    out.push_str(whole);
    if !fraction.is_empty() {
        out.push('.');
        out.push_str(fraction);
    }
    Some(out)
}

struct Json<'a> {
    s: &'a [u8],
    at: usize,
}

impl Json<'_> {
    fn ws(&mut self) {
        while self.at < self.s.len() && matches!(self.s[self.at], b' ' | b'\t' | b'\n' | b'\r') {
            self.at += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        self.ws();
        if self.s.get(self.at) == Some(&b) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn word(&mut self, w: &str) -> bool {
        if self.s[self.at..].starts_with(w.as_bytes()) {
            self.at += w.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Option<JsonValue> {
        self.ws();
        match *self.s.get(self.at)? {
            b'n' if self.word("null") => Some(JsonValue::Null),
            b't' if self.word("true") => Some(JsonValue::Bool(true)),
            b'f' if self.word("false") => Some(JsonValue::Bool(false)),
            b'"' => self.string().map(JsonValue::String),
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        items.push(self.value()?);
                        if self.eat(b']') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                Some(JsonValue::Array(items))
            }
            b'{' => {
                self.at += 1;
                let mut items: Vec<(String, JsonValue)> = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        self.ws();
                        let key = self.string()?;
                        if !self.eat(b':') {
                            return None;
                        }
                        let v = self.value()?;
                        items.retain(|(k, _)| *k != key);
                        items.push((key, v));
                        if self.eat(b'}') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                items.sort_by(|(a, _), (b, _)| a.len().cmp(&b.len()).then_with(|| a.as_bytes().cmp(b.as_bytes())));
                Some(JsonValue::Object(items))
            }
            b'-' | b'0'..=b'9' => {
                let start = self.at;
                self.at += 1;
                while self.at < self.s.len()
                    && matches!(self.s[self.at], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                {
                    self.at += 1;
                }
                let text = std::str::from_utf8(&self.s[start..self.at]).ok()?;
                // JSON's grammar: what `numeric` would also read, no `+` lead,
                // no bare `.`.
                serde_json::from_str::<serde::de::IgnoredAny>(text).ok()?;
                numeric(text).map(JsonValue::Number)
            }
            _ => None,
        }
    }

    fn string(&mut self) -> Option<String> {
        if self.s.get(self.at) != Some(&b'"') {
            return None;
        }
        let start = self.at;
        self.at += 1;
        while self.at < self.s.len() {
            match self.s[self.at] {
                b'\\' => self.at += 2,
                b'"' => {
                    self.at += 1;
                    let raw = std::str::from_utf8(&self.s[start..self.at]).ok()?;
                    return serde_json::from_str::<String>(raw).ok();
                }
                _ => self.at += 1,
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::jsonb;

    #[test]
    fn jsonb_text_as_postgresql_prints_it_back() {
        // Each printed back by PostgreSQL 15 (`SELECT 'x'::jsonb`).
        for (written, printed) in [
            (r#"{"zeta":1,"a": [1,2.50, 1e2]}"#, r#"{"a": [1, 2.50, 100], "zeta": 1}"#),
            (r#"{"bb": 1, "a": 2, "ccc": 3, "b": 4}"#, r#"{"a": 2, "b": 4, "bb": 1, "ccc": 3}"#),
            (r#"{"a": 1, "a": 2}"#, r#"{"a": 2}"#),
            ("[1.5e1, 1e-2, -0, -0.0, 0.10, 1.50e1, 12E+1, -3.25e-1]", "[15, 0.01, 0, 0.0, 0.10, 15.0, 120, -0.325]"),
            (r#"  {"s": "\u00e9\t\"\\", "n": null, "t": true}  "#, r#"{"n": null, "s": "é\t\"\\", "t": true}"#),
            (r#"{"é": 1, "z": 2, "ab": 3}"#, r#"{"z": 2, "ab": 3, "é": 1}"#),
            ("[1e0, 0e5, 5.0e-3, 100e-2]", "[1, 0, 0.0050, 1.00]"),
            ("{}", "{}"),
            ("[]", "[]"),
        ] {
            assert_eq!(jsonb(written).as_deref(), Some(printed), "{written}");
        }
        assert_eq!(jsonb("1e400").map(|s| s.len()), Some(401));
        // Exponents past what `numeric` holds, down to `i64::MIN`: no
        // panic, no wrap, no text.
        for far in [
            "1e-9223372036854775808",
            "1.5e-9223372036854775808",
            "1e9223372036854775807",
            "1e99999999999999999999",
            "1e-20001",
        ] {
            assert_eq!(jsonb(far), None, "{far}");
        }
        // At PostgreSQL 15's limits, and one past each (it refuses those).
        assert_eq!(jsonb("1e-16383").map(|s| s.len()), Some(16385));
        assert_eq!(jsonb("1e131071").map(|s| s.len()), Some(131072));
        assert_eq!(jsonb("[1e-16384]"), None);
        assert_eq!(jsonb("[1e131072]"), None);
        for bad in ["{", "[1,]", "{'a': 1}", "01", "+1", ".5", "1.", "nul", "[1] x"] {
            assert_eq!(jsonb(bad), None, "{bad}");
        }
    }
}
