//! The shape of what genmodel writes.

use genmodel::{ddd, ddd_single, Shape};

#[test]
fn a_context_per_fifty_aggregates() {
    let files = ddd(&Shape::new(120, 12));
    let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(names, ["model.ddd", "contexts/ctx000.ddd", "contexts/ctx001.ddd", "contexts/ctx002.ddd", "dddc.toml"]);
    let aggregates: usize = files.iter().map(|f| f.text.matches("  aggregate Item").count()).sum();
    assert_eq!(aggregates, 120);
}

#[test]
fn fields_are_as_many_as_asked() {
    let text = ddd_single(&Shape { docs: false, ..Shape::new(1, 20) });
    let body = text.split("aggregate Item0 {").nth(1).expect("aggregate");
    let fields = body.lines().filter(|l| l.starts_with("    ") && l.contains(": ") && !l.contains("invariant")).count();
    assert_eq!(fields, 20);
}

#[test]
fn every_declaration_is_documented() {
    let text = ddd_single(&Shape::new(8, 14));
    let lines: Vec<&str> = text.lines().collect();
    for (n, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        let is_decl = t.starts_with("model ")
            || t.starts_with("context ")
            || t.starts_with("aggregate ")
            || t.starts_with("entity ")
            || t.starts_with("invariant ")
            || t.starts_with("index ")
            || t.starts_with("value ")
            || t.starts_with("enum ")
            || (t.contains(": ") && !t.starts_with("///"));
        if is_decl {
            assert!(n > 0 && lines[n - 1].trim_start().starts_with("///"), "undocumented: {l}");
        }
    }
}

#[test]
fn the_added_field_is_the_only_difference() {
    let shape = Shape::new(10, 12);
    let a = ddd_single(&shape);
    let b = ddd_single(&Shape { added_field: true, ..shape });
    assert_eq!(b.len() - a.len(), "    /// Added after the first build.\n    added_note: text(40)?\n".len());
}

#[test]
fn tenants_scope_every_context_and_change_nothing_else() {
    let shape = Shape::new(120, 12);
    let plain = ddd(&shape);
    let scoped = ddd(&Shape { tenants: true, ..shape });
    let line = "  // Each customer's rows are theirs alone.\n  tenant by tenant_id\n\n";
    for (a, b) in plain.iter().zip(&scoped) {
        assert_eq!(a.path, b.path);
        if a.path.starts_with("contexts/") {
            assert_eq!(b.text.matches("tenant by tenant_id").count(), 1, "{}", b.path);
            assert_eq!(b.text.replacen(line, "", 1), a.text, "{}", b.path);
        } else {
            assert_eq!(a.text, b.text);
        }
    }
}
