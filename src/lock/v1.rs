//! Locks of format 1 (dddc 0.1): the schema inside `dddc.lock`, with column
//! types, index items, actions, trigger timings and partition bounds as
//! printed SQL. This is the one place that reads such text back, to carry
//! projects over to format 2; the next build writes the new files.

use serde_json::{Map, Value};

use super::{Lock, Migration};

pub(super) fn read(mut value: Value) -> Result<Lock, String> {
    let bad = |e: String| format!("the lock (format 1) is not valid: {e}");
    let model = value.get("model").and_then(Value::as_str).unwrap_or_default().to_string();
    let migrations: Vec<Migration> =
        serde_json::from_value(value.get("migrations").cloned().unwrap_or(Value::Array(Vec::new())))
            .map_err(|e| bad(e.to_string()))?;
    let mut schema = value.get_mut("schema").map(Value::take).ok_or_else(|| bad("no schema".into()))?;
    if let Some(tables) = schema.get_mut("tables").and_then(Value::as_array_mut) {
        for t in tables {
            table(t).map_err(bad)?;
        }
    }
    if let Some(pubs) = schema.get_mut("publications").and_then(Value::as_array_mut) {
        for p in pubs {
            if let Some(tables) = p.get_mut("tables").and_then(Value::as_array_mut) {
                for t in tables.iter_mut() {
                    let text = t.as_str().unwrap_or_default().to_string();
                    let (s, n) = text.split_once('.').unwrap_or(("public", &text));
                    *t = serde_json::json!({ "schema": s, "name": n });
                }
            }
        }
    }
    let schema = serde_json::from_value(schema).map_err(|e| bad(e.to_string()))?;
    Ok(Lock { format: 1, dddc: "0.1".into(), model, migrations, schema })
}

fn table(t: &mut Value) -> Result<(), String> {
    let Some(t) = t.as_object_mut() else { return Err("a table is not an object".into()) };
    for c in list(t, "columns") {
        c.remove("origin_note");
    }
    for c in list(t, "checks") {
        let source = c.remove("source").and_then(|s| s.as_str().map(String::from)).unwrap_or_default();
        let new = match c.remove("enum_values") {
            Some(Value::Array(pair)) if pair.len() == 2 => serde_json::json!({ "enum": {
                "name": source.strip_prefix("enum ").unwrap_or(&source),
                "column": pair[0],
                "values": pair[1],
            }}),
            _ => serde_json::json!({ "invariant": { "source": source } }),
        };
        c.insert("source".into(), new);
    }
    for f in list(t, "foreign_keys") {
        for key in ["on_delete", "on_update"] {
            let word = f.get(key).and_then(Value::as_str).unwrap_or("RESTRICT").to_ascii_lowercase().replace(' ', "_");
            f.insert(key.into(), Value::String(word));
        }
    }
    for i in list(t, "indexes") {
        if let Some(items) = i.get_mut("items").and_then(Value::as_array_mut) {
            for item in items.iter_mut() {
                let text = item.as_str().unwrap_or_default();
                *item = Value::String(unquote(text));
            }
        }
    }
    for tr in list(t, "triggers") {
        let when = tr.remove("when").and_then(|w| w.as_str().map(String::from)).unwrap_or_default();
        let mut words = when.split(' ').filter(|w| *w != "OR");
        let timing = words.next().unwrap_or("AFTER").to_ascii_lowercase();
        let events: Vec<Value> = words.map(|w| Value::String(w.to_ascii_lowercase())).collect();
        let call = tr.remove("function").and_then(|f| f.as_str().map(String::from)).unwrap_or_default();
        let (head, args) = call.split_once('(').ok_or_else(|| format!("bad trigger function `{call}`"))?;
        let (schema, name) = head.split_once('.').ok_or_else(|| format!("bad trigger function `{call}`"))?;
        let args: Vec<Value> =
            split_list(args.strip_suffix(')').unwrap_or(args)).into_iter().map(Value::String).collect();
        tr.insert("timing".into(), Value::String(timing));
        tr.insert("events".into(), Value::Array(events));
        tr.insert(
            "function".into(),
            serde_json::json!({ "schema": unquote(schema), "name": unquote(name), "args": args }),
        );
    }
    if let Some(Value::Object(p)) = t.get_mut("partitioning") {
        let method = p.get("method").and_then(Value::as_str).unwrap_or("RANGE").to_ascii_lowercase();
        p.insert("method".into(), Value::String(method));
        if let Some(parts) = p.get_mut("partitions").and_then(Value::as_array_mut) {
            for part in parts {
                if let Some(part) = part.as_object_mut() {
                    let text = part.get("bound").and_then(Value::as_str).unwrap_or_default().to_string();
                    part.insert("bound".into(), bound(&text)?);
                }
            }
        }
    }
    Ok(())
}

fn list<'a>(t: &'a mut Map<String, Value>, key: &str) -> Vec<&'a mut Map<String, Value>> {
    t.get_mut(key)
        .and_then(Value::as_array_mut)
        .map_or_else(Vec::new, |a| a.iter_mut().filter_map(Value::as_object_mut).collect())
}

/// `"order"` → `order`; other text unchanged.
fn unquote(text: &str) -> String {
    match text.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => text.to_string(),
    }
}

/// `FOR VALUES FROM (a) TO (b)`, `FOR VALUES IN (…)`, `FOR VALUES WITH
/// (MODULUS n, REMAINDER i)`, `DEFAULT`.
fn bound(text: &str) -> Result<Value, String> {
    let bad = || format!("bad partition bound `{text}`");
    if text == "DEFAULT" {
        return Ok(Value::String("default".into()));
    }
    if let Some(rest) = text.strip_prefix("FOR VALUES FROM (") {
        let (from, to) = rest.split_once(") TO (").ok_or_else(bad)?;
        let to = to.strip_suffix(')').ok_or_else(bad)?;
        return Ok(serde_json::json!({ "range": { "from": from, "to": to } }));
    }
    if let Some(rest) = text.strip_prefix("FOR VALUES IN (") {
        let values = split_list(rest.strip_suffix(')').ok_or_else(bad)?);
        return Ok(serde_json::json!({ "list": values }));
    }
    if let Some(rest) = text.strip_prefix("FOR VALUES WITH (MODULUS ") {
        let (m, r) = rest.strip_suffix(')').and_then(|x| x.split_once(", REMAINDER ")).ok_or_else(bad)?;
        let n = |x: &str| x.trim().parse::<u32>().map_err(|_| bad());
        return Ok(serde_json::json!({ "hash": { "modulus": n(m)?, "remainder": n(r)? } }));
    }
    Err(bad())
}

/// Comma-separated SQL literals, commas inside quotes kept.
fn split_list(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => out.push(std::mem::take(&mut current).trim().to_string()),
            _ => current.push(c),
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_lists_of_format_1() {
        assert_eq!(bound("DEFAULT"), Ok(Value::String("default".into())));
        assert_eq!(
            bound("FOR VALUES FROM ('2025-11-01 00:00:00+00') TO ('2025-12-01 00:00:00+00')"),
            Ok(serde_json::json!({"range": {"from": "'2025-11-01 00:00:00+00'", "to": "'2025-12-01 00:00:00+00'"}}))
        );
        assert_eq!(bound("FOR VALUES IN ('ES', 'a,b')"), Ok(serde_json::json!({"list": ["'ES'", "'a,b'"]})));
        assert_eq!(
            bound("FOR VALUES WITH (MODULUS 8, REMAINDER 3)"),
            Ok(serde_json::json!({"hash": {"modulus": 8, "remainder": 3}}))
        );
        assert_eq!(split_list("'ctx.t', 'id'"), ["'ctx.t'", "'id'"]);
        assert_eq!(unquote("\"order\""), "order");
    }
}
