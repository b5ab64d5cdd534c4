//! The drawing's promises, on random and degenerate diagrams: the same
//! input gives the same bytes; boxes do not overlap and lie inside their
//! frames and the viewBox; every edge starts and ends on its boxes' borders
//! and, in the layered layout, crosses no box; text from the model cannot
//! break out of the markup; large diagrams stay linear. (The browser's view
//! of the same pictures is checked by `tests/docs_site.rs`.)

use super::layout::{Rect, P};
use super::*;

/// A fixed pseudo-random sequence (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, m: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % m.max(1) as u64) as usize
    }
}

fn overlaps(a: &Rect, b: &Rect) -> bool {
    a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
}

fn contains(outer: &Rect, inner: &Rect) -> bool {
    inner.x >= outer.x
        && inner.y >= outer.y
        && inner.x + inner.w <= outer.x + outer.w
        && inner.y + inner.h <= outer.y + outer.h
}

fn on_border(r: &Rect, (x, y): P) -> bool {
    let (x0, y0, x1, y1) = (r.x, r.y, r.x + r.w, r.y + r.h);
    ((x == x0 || x == x1) && (y0..=y1).contains(&y)) || ((y == y0 || y == y1) && (x0..=x1).contains(&x))
}

/// Whether the segment enters the box's interior.
fn crossed_by(r: &Rect, (ax, ay): P, (bx, by): P) -> bool {
    let open = |p: i32, d: i32, lo: i32, hi: i32| -> Option<(f64, f64)> {
        if d == 0 {
            return (lo < p && p < hi).then_some((f64::NEG_INFINITY, f64::INFINITY));
        }
        let (t0, t1) = (f64::from(lo - p) / f64::from(d), f64::from(hi - p) / f64::from(d));
        Some((t0.min(t1), t0.max(t1)))
    };
    let (Some(tx), Some(ty)) = (open(ax, bx - ax, r.x, r.x + r.w), open(ay, by - ay, r.y, r.y + r.h)) else {
        return false;
    };
    tx.0.max(ty.0).max(0.0) < tx.1.min(ty.1).min(1.0)
}

/// The viewBox of a rendered SVG.
fn view_box(svg: &str) -> Rect {
    let at = svg.find("viewBox=\"").expect("a viewBox") + "viewBox=\"".len();
    let v: Vec<i32> =
        svg[at..].split('"').next().unwrap_or("").split(' ').map(|s| s.parse().expect("integer")).collect();
    Rect { x: v[0], y: v[1], w: v[2], h: v[3] }
}

/// Every element opened is closed, in order (the markup is well nested);
/// comments, CDATA and processing instructions do not occur.
fn assert_well_nested(svg: &str) {
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = svg.strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n").unwrap_or(svg);
    while let Some(i) = rest.find('<') {
        assert!(!rest[..i].contains('>'), "a stray `>` in text: {}", &rest[..i]);
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("an unterminated tag");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        assert!(!tag.starts_with(['!', '?']), "no comment, CDATA or processing instruction: <{tag}>");
        assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes in <{tag}>");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(name), "closing </{name}>");
        } else if !tag.ends_with('/') {
            stack.push(tag.split([' ', '\n']).next().unwrap_or(""));
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}

/// Every geometric promise, for any diagram. `clear`: no edge may cross a
/// box (true of the layered layout, not of the shelf-packed fallback).
fn check_with(d: &Diagram, clear: bool) -> String {
    let svg = render(d, None);
    assert_eq!(svg, render(&d.clone(), None), "same input, same bytes");
    assert_well_nested(&svg);
    let sc = draw::scene(d);
    let view = view_box(&svg);
    assert_eq!(sc.boxes.len(), d.nodes.len());
    let mut sorted: Vec<(usize, Rect)> = sc.boxes.iter().copied().enumerate().collect();
    sorted.sort_by_key(|(_, b)| (b.x, b.y));
    let widest = sorted.iter().map(|(_, b)| b.w).max().unwrap_or(0);
    for (k, (i, a)) in sorted.iter().enumerate() {
        assert!(contains(&view, a), "node {i} {a:?} outside the viewBox {view:?}");
        for (j, b) in sorted[k + 1..].iter().take_while(|(_, b)| b.x < a.x + a.w) {
            assert!(!overlaps(a, b), "nodes {i} and {j} overlap: {a:?} {b:?}");
        }
    }
    let frames: Vec<(usize, Rect)> = sc.frames.iter().enumerate().filter_map(|(g, f)| Some((g, (*f)?))).collect();
    for (k, (g, a)) in frames.iter().enumerate() {
        assert!(contains(&view, a), "frame {g} outside the viewBox");
        for (h, b) in &frames[k + 1..] {
            assert!(!overlaps(a, b), "frames {g} and {h} overlap");
        }
    }
    let group = |n: &Node| n.group.filter(|&g| g < d.groups.len());
    for g in 0..d.groups.len() {
        let used = d.nodes.iter().any(|n| group(n) == Some(g));
        assert_eq!(sc.frames[g].is_some(), used, "group {g} is framed exactly when it has nodes");
    }
    for (i, n) in d.nodes.iter().enumerate() {
        if let Some(f) = group(n).and_then(|g| sc.frames[g]) {
            assert!(contains(&f, &sc.boxes[i]), "node {i} outside its frame");
        }
    }
    let first = |id: &str| d.nodes.iter().position(|n| n.id == id);
    for (e, route) in d.edges.iter().zip(&sc.routes) {
        let (Some(u), Some(v)) = (first(&e.from), first(&e.to)) else {
            assert!(route.is_none(), "an edge to an unknown id is not drawn");
            continue;
        };
        let pts = route.as_ref().expect("an edge between known nodes is drawn");
        let (a, b) = (sc.boxes[u], sc.boxes[v]);
        assert!(pts.len() >= 2);
        assert!(on_border(&a, pts[0]), "edge {}→{} starts at {:?}, not on {a:?}", e.from, e.to, pts[0]);
        let last = pts[pts.len() - 1];
        assert!(on_border(&b, last), "edge {}→{} ends at {last:?}, not on {b:?}", e.from, e.to);
        for p in pts {
            assert!(contains(&view, &Rect { x: p.0, y: p.1, w: 0, h: 0 }), "edge point {p:?} outside the viewBox");
        }
        for s in pts.windows(2).filter(|_| clear) {
            let (x0, x1) = (s[0].0.min(s[1].0), s[0].0.max(s[1].0));
            let from = sorted.partition_point(|(_, b)| b.x < x0 - widest);
            for (_, b) in sorted[from..].iter().take_while(|(_, b)| b.x < x1) {
                assert!(!crossed_by(b, s[0], s[1]), "edge {}→{} crosses {b:?} at {s:?}", e.from, e.to);
            }
        }
    }
    svg
}

fn check(d: &Diagram) -> String {
    check_with(d, true)
}

fn row(name: &str, ty: &str, key: KeyMark, nullable: bool) -> Row {
    Row { name: name.into(), ty: ty.into(), key, nullable }
}

fn edge(from: &str, to: &str, label: Option<&str>) -> Edge {
    Edge {
        from: from.into(),
        to: to.into(),
        from_end: End::ZeroOrMany,
        to_end: End::One,
        dashed: false,
        label: label.map(String::from),
    }
}

/// A random diagram: `groups` frames (some nodes outside any), references
/// mostly to earlier nodes, some cycles, self-references and duplicates.
fn random(seed: u64, nodes: usize, groups: usize, edges: usize, cols: usize) -> Diagram {
    let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let kinds = [NodeKind::Root, NodeKind::Entity, NodeKind::ValueList, NodeKind::Events, NodeKind::AuditLog];
    let mut d = Diagram { title: format!("random {seed}"), ..Diagram::default() };
    d.groups = (0..groups).map(|g| Group { id: format!("g{g}"), label: format!("Grupo {g}") }).collect();
    for i in 0..nodes {
        let ncols = 1 + r.below(cols);
        d.nodes.push(Node {
            id: format!("n{i}"),
            title: format!("esquema.tabla_{}", "x".repeat(r.below(20))),
            subtitle: (r.below(3) > 0).then(|| "entidad".into()),
            group: if groups > 0 && r.below(6) > 0 { Some(r.below(groups + 1)) } else { None },
            kind: if r.below(8) == 0 { NodeKind::External } else { kinds[r.below(kinds.len())] },
            rows: (0..ncols)
                .map(|c| {
                    let key = [KeyMark::None, KeyMark::Pk, KeyMark::Fk, KeyMark::PkFk, KeyMark::Unique][r.below(5)];
                    row(&format!("col_{c}{}", "_".repeat(r.below(12))), "VARCHAR(20)", key, r.below(2) == 0)
                })
                .collect(),
            notes: (0..r.below(3)).map(|k| format!("nota {k}")).collect(),
            href: None,
        });
    }
    for _ in 0..edges {
        let a = r.below(nodes);
        let b = match r.below(10) {
            0 => a,
            1 => r.below(nodes),
            _ => r.below(a + 1),
        };
        let mut e = edge(&format!("n{a}"), &format!("n{b}"), (r.below(2) == 0).then_some("ref"));
        e.dashed = r.below(4) == 0;
        e.from_end = [End::One, End::ZeroOrOne, End::ZeroOrMany][r.below(3)];
        e.to_end = [End::One, End::ZeroOrOne, End::ZeroOrMany][r.below(3)];
        d.edges.push(e);
    }
    d
}

/// An overview: `contexts` frames of `per` aggregates, each with a few
/// table names and traits, references inside a context and to earlier ones.
fn overview(contexts: usize, per: usize) -> Diagram {
    let mut r = Rng(0x5EED);
    let mut d = Diagram { title: "overview".into(), ..Diagram::default() };
    for c in 0..contexts {
        d.groups.push(Group { id: format!("ctx{c}"), label: format!("contexto_{c}") });
        for a in 0..per {
            let i = c * per + a;
            d.nodes.push(Node {
                id: format!("a{i}"),
                title: format!("Agregado{i}"),
                subtitle: Some("agregado".into()),
                group: Some(c),
                kind: NodeKind::Root,
                rows: (0..1 + r.below(4)).map(|t| row(&format!("tabla_{i}_{t}"), "", KeyMark::None, false)).collect(),
                notes: vec!["borrado lógico".into(), "auditado".into()],
                href: Some(format!("ctx{c}.html#a{i}")),
            });
            if a > 0 && r.below(3) > 0 {
                d.edges.push(edge(&format!("a{i}"), &format!("a{}", c * per + r.below(a)), Some("padre")));
            }
            if c > 0 && r.below(4) == 0 {
                let t = r.below(c * per);
                d.edges.push(edge(&format!("a{i}"), &format!("a{t}"), Some("ref (sin FK)")));
            }
        }
    }
    d
}

#[test]
fn random_diagrams_keep_every_promise() {
    for seed in 0..60u64 {
        let (s, n) = (seed as usize, 1 + (seed as usize * 7) % 60);
        check(&random(seed, n, s % 9, n * (s % 4) + s % 30, 14));
    }
}

#[test]
fn identical_input_gives_identical_bytes() {
    let d = overview(6, 7);
    let a = render(&d, None);
    for _ in 0..3 {
        assert_eq!(render(&d, None), a);
    }
    // Another order is another diagram, but as valid.
    let mut e = d.clone();
    e.nodes.reverse();
    e.edges.reverse();
    check(&e);
}

#[test]
fn empty_and_degenerate_diagrams() {
    check(&Diagram::default());
    let one = Diagram { nodes: vec![Node { id: "a".into(), ..Node::default() }], ..Diagram::default() };
    check(&one);
    // Unknown ids, duplicate ids, a group index out of range, a lone
    // self-reference, a cycle, parallel edges, an empty group.
    let mut d = random(7, 6, 2, 0, 3);
    for n in d.nodes.iter_mut().filter(|n| n.group == Some(2)) {
        n.group = Some(99);
    }
    d.groups.push(Group { id: "vacío".into(), label: "vacío".into() });
    d.nodes[0].group = Some(99);
    d.nodes[5].id = "n4".into();
    d.edges = vec![
        edge("n0", "nada", None),
        edge("n1", "n1", Some("padre")),
        edge("n2", "n3", None),
        edge("n3", "n2", None),
        edge("n2", "n3", Some("otra")),
        edge("n4", "n0", None),
    ];
    let svg = check(&d);
    assert!(!svg.contains("id=\"vacío\""), "a group without nodes draws no frame");
    assert_eq!(svg.matches("<g class=\"rel\">").count(), 5);
}

#[test]
fn hostile_text_stays_text() {
    let evil = "<script>alert(1)</script> ]]> \" ' & \u{0} \u{1b}[31m \u{202e}RTL 表 😀 </svg>";
    let mut d = random(3, 4, 1, 4, 3);
    d.title = evil.into();
    d.groups[0].label = evil.into();
    d.groups[0].id = evil.into();
    for n in &mut d.nodes {
        n.title = evil.into();
        n.subtitle = Some(evil.into());
        n.rows[0].name = evil.into();
        n.rows[0].ty = evil.into();
        n.notes = vec![evil.into()];
        n.href = Some(format!("x.html?q={evil}"));
    }
    d.nodes[0].id = evil.into();
    d.nodes[1].href = Some("javascript:alert(1)".into());
    d.nodes[2].href = Some(" JavaScript:alert(1)".into());
    d.nodes[3].href = Some("data:text/html,<script>alert(1)</script>".into());
    for e in &mut d.edges {
        e.label = Some(evil.into());
    }
    d.edges.push(edge(evil, "n1", Some(evil)));
    for svg in [check(&d), render_inline(&d, "x", None)] {
        assert_well_nested(&svg);
        assert!(!svg.contains("<script"));
        assert!(!svg.to_ascii_lowercase().contains("javascript:"));
        assert!(!svg.contains("data:text"));
        assert!(!svg.contains('\u{0}') && !svg.contains('\u{1b}'), "characters XML forbids are replaced");
        let shown = "&lt;script&gt;alert(1)&lt;/script&gt; ]]&gt; &quot; &#39; &amp; \u{fffd} \u{fffd}[31m \u{202e}RTL 表 😀 &lt;/svg&gt;";
        assert!(svg.contains(&format!("<title>{shown}</title>")), "the title is escaped, not dropped");
        assert!(svg.contains(&format!("aria-label=\"{shown}\"")));
        assert_eq!(svg.matches("<a href=").count(), 1, "only the harmless link is kept");
    }
    // Long text is cut, and the box stays a sane size.
    let mut long = random(4, 1, 0, 0, 1);
    long.nodes[0].title = "ñ".repeat(5000);
    long.nodes[0].rows[0].name = "ñ".repeat(5000);
    check(&long);
    assert!(draw::scene(&long).boxes[0].w < 1000);
}

#[test]
fn inline_diagrams_fit_in_a_page() {
    let d = overview(2, 3);
    let svg = render_inline(&d, "ov", None);
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" class=\"erd\""), "{svg}");
    assert!(!svg.contains("<?xml") && !svg.contains("<style"), "no prolog and no inline style");
    assert!(svg.contains("id=\"ov-a0\"") && svg.contains("id=\"ov-ctx1\""), "ids are prefixed");
    assert!(!svg.contains("id=\"a0\""));
    // Same picture, same geometry as the standalone one.
    let standalone = render(&d, None);
    assert_eq!(view_box(&svg).w, view_box(&standalone).w);
    // The page's stylesheet scopes every rule to the diagrams.
    let css = stylesheet();
    for line in css.lines() {
        let selectors = line.split('{').next().unwrap_or("");
        assert!(selectors.split(',').all(|s| s.starts_with("svg.erd ")), "unscoped rule: {line}");
    }
    assert!(standalone.contains(&format!("<style>{}</style>", draw::css(None))));
}

#[test]
fn fallback_grid_keeps_every_promise() {
    // A chain 2,000 deep with every node also referencing the first: far
    // too many dummy nodes, so the level is shelf-packed.
    let mut d = Diagram { title: "chain".into(), ..Diagram::default() };
    for i in 0..2000 {
        d.nodes.push(Node {
            id: format!("n{i}"),
            title: format!("t{i}"),
            rows: vec![row("id", "UUID", KeyMark::Pk, false)],
            ..Node::default()
        });
        if i > 0 {
            d.edges.push(edge(&format!("n{i}"), &format!("n{}", i - 1), None));
            d.edges.push(edge(&format!("n{i}"), "n0", Some("raíz")));
        }
    }
    d.edges.push(edge("n5", "n5", Some("self")));
    check_with(&d, false);
}

#[test]
fn a_fifty_table_context_keeps_every_promise() {
    let ctx = random(11, 50, 10, 60, 12);
    let ctx = Diagram {
        nodes: ctx
            .nodes
            .into_iter()
            .map(|mut n| {
                n.rows.resize(12, row("columna_de_relleno", "TIMESTAMPTZ", KeyMark::None, true));
                n
            })
            .collect(),
        ..ctx
    };
    check(&ctx);
    check(&overview(20, 10));
}

#[test]
fn the_crossing_check_sees_crossings() {
    let b = Rect { x: 0, y: 0, w: 10, h: 10 };
    assert!(crossed_by(&b, (-5, 5), (15, 5)));
    assert!(crossed_by(&b, (-5, -4), (4, 5)), "through a corner");
    assert!(!crossed_by(&b, (-5, 0), (15, 0)), "along the border");
    assert!(!crossed_by(&b, (5, 10), (5, 30)), "from the border outwards");
    assert!(!crossed_by(&b, (-5, -4), (-1, 5)));
}

#[test]
fn the_nesting_check_sees_broken_markup() {
    assert_well_nested("<svg><g><title>a</title></g></svg>");
    for broken in ["<svg><g></svg>", "<svg>a > b</svg>", "<svg><!-- x --></svg>", "<svg a=\"b></svg>"] {
        assert!(std::panic::catch_unwind(|| assert_well_nested(broken)).is_err(), "{broken}");
    }
}

/// A layout kept for the site is the one the diagram gets without it: the
/// same picture, links or not; a diagram that differs in anything but its
/// links and title is laid out afresh.
#[test]
fn kept_layouts_draw_the_same_pictures() {
    let layouts = super::Layouts::default();
    for seed in 0..20 {
        let plain = random(seed, 12, 3, 16, 4);
        let mut linked = plain.clone();
        for (i, n) in linked.nodes.iter_mut().enumerate() {
            n.href = Some(format!("page-{i}.html"));
        }
        linked.title = format!("{} (linked)", plain.title);
        // The linked one lays out and keeps; the plain one takes its layout.
        assert_eq!(
            super::render_inline(&linked, "x", Some(&layouts)),
            super::render_inline(&linked, "x", None),
            "seed {seed}"
        );
        assert_eq!(layouts.0.lock().unwrap().len(), seed as usize + 1);
        assert_eq!(super::render(&plain, Some(&layouts)), super::render(&plain, None), "seed {seed}");
        assert_eq!(layouts.0.lock().unwrap().len(), seed as usize + 1, "the linked one's layout was not reused");
    }
    // A row longer by one character: a wider box, another layout.
    let d = random(7, 12, 3, 16, 4);
    let mut wider = d.clone();
    let row = wider.nodes.iter_mut().find_map(|n| n.rows.first_mut()).expect("a row");
    row.name.push('x');
    let before = layouts.0.lock().unwrap().len();
    assert_eq!(super::render(&wider, Some(&layouts)), super::render(&wider, None));
    assert_eq!(layouts.0.lock().unwrap().len(), before + 1);
}
