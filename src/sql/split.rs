//! A script split into its statements, the way `psql` and Flyway split it:
//! at top-level semicolons, outside comments, quoted strings and
//! identifiers, and dollar quotes. A migration that must run outside a
//! transaction (`executeInTransaction=false`) is sent one statement at a
//! time, as Flyway does; `dddc verify` and the tests do the same.

/// Splits a script into statements at top-level semicolons, respecting
/// comments, quoted strings and identifiers, and dollar quotes. Statements
/// that hold only comments are dropped.
pub fn split_statements(sql: &str) -> Vec<String> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let mut meaningful = false;
    let push = |out: &mut Vec<String>, s: &str, meaningful: bool| {
        let s = s.trim();
        if meaningful && !s.is_empty() {
            out.push(s.to_string());
        }
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'\'' | b'"' => {
                meaningful = true;
                // E'…' strings take backslash escapes.
                let escapes = c == b'\''
                    && i > 0
                    && (b[i - 1] == b'E' || b[i - 1] == b'e')
                    && (i < 2 || !(b[i - 2].is_ascii_alphanumeric() || b[i - 2] == b'_'));
                i += 1;
                while i < b.len() {
                    if escapes && b[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if b[i] == c {
                        if b.get(i + 1) == Some(&c) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
                continue;
            }
            b'$' if i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b'$') => {
                // $tag$ … $tag$ (tag empty or an identifier not starting with a digit).
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                let tag_ok = j < b.len() && b[j] == b'$' && !b.get(i + 1).is_some_and(|x| x.is_ascii_digit());
                if tag_ok {
                    meaningful = true;
                    let tag = &sql[i..=j];
                    match sql[j + 1..].find(tag) {
                        Some(end) => i = j + 1 + end + tag.len(),
                        None => i = b.len(),
                    }
                    continue;
                }
                meaningful = true;
                i += 1;
                continue;
            }
            b';' => {
                push(&mut out, &sql[start..=i], meaningful);
                meaningful = false;
                i += 1;
                start = i;
                continue;
            }
            c if !c.is_ascii_whitespace() => meaningful = true,
            _ => {}
        }
        i += 1;
    }
    push(&mut out, &sql[start..], meaningful);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn splitter_respects_quotes_and_dollar_quotes() {
        let sql = "-- a; comment\nCREATE INDEX CONCURRENTLY x ON t (a);\n\
                   DO $dddc$\nBEGIN\n  IF 1 = 1 THEN RAISE NOTICE 'x;y'; END IF;\nEND\n$dddc$;\n\
                   COMMENT ON TABLE t IS 'it''s; fine';\nSELECT $$a;b$$, \"we;ird\", E'\\';';\n/* c; */ -- only comments;\n";
        let parts = super::split_statements(sql);
        assert_eq!(parts.len(), 4, "{parts:#?}");
        assert!(parts[0].ends_with("ON t (a);"));
        assert!(parts[1].starts_with("DO $dddc$") && parts[1].ends_with("$dddc$;"));
        assert_eq!(parts[2], "COMMENT ON TABLE t IS 'it''s; fine';");
        assert!(parts[3].ends_with("E'\\';';"));
    }
}
