//! Drawing: text metrics, escaping, and the SVG markup.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::layout::{self, Rect, Scene, FPAD, FTITLE, P};
use super::{Diagram, End, KeyMark, Node};

/// Advance of one monospace character at the 12px font size, in tenths of a
/// pixel (0.6 em: DejaVu Sans Mono, Liberation Mono, Courier New...).
const CW: i64 = 72;
const LINE: i32 = 16;
const PADX: i32 = 8;
/// Longer text is cut with `…` (the whole text stays in the tooltip): a
/// PostgreSQL name (63 bytes) fits.
const MAXC: usize = 64;
/// A box's title is a qualified name (`schema.table`, up to 127 bytes in
/// PostgreSQL): cut only past that, so that a diagram never hides which
/// table a box is.
const MAX_TITLE: usize = 128;
const MARGIN: i32 = 16;

/// The look of a diagram: `(selectors, declarations)`, written into a
/// standalone SVG's `<style>`, or scoped into the page's stylesheet for an
/// inline one (see [`css`]).
const RULES: &[(&str, &str)] = &[
    ("text", "fill:#1a202c"),
    (".bg", "fill:#fff"),
    (".o", "fill:none;stroke:#4a5568"),
    (".h", "fill:#c9dcf2"),
    (".sep", "fill:none;stroke:#a0aec0"),
    (".entity .h", "fill:#d7ebd0"),
    (".values .h", "fill:#f4e8c1"),
    (".events .h", "fill:#e4d9f2"),
    (".audit .h", "fill:#e2e2e2"),
    (".ext .h", "fill:#f2f2f2"),
    (".ext .o", "stroke:#8a94a6;stroke-dasharray:5 3"),
    ("a:hover .o", "stroke:#2b6cb0;stroke-width:2"),
    (".tt", "font-weight:bold;text-anchor:middle"),
    (".st", "font-style:italic;fill:#4a5568;text-anchor:middle"),
    (".k", "font-weight:bold;fill:#9b2c2c"),
    (".ty", "fill:#4a5568"),
    (".nl", "fill:#8a94a6"),
    (".nt", "font-style:italic;fill:#4a5568"),
    (".e,.m", "fill:none;stroke:#2d3748;stroke-width:1.2"),
    (".dash", "stroke-dasharray:6 4"),
    (".mo", "fill:#fff;stroke:#2d3748;stroke-width:1.2"),
    (
        ".el",
        "font-size:11px;fill:#2d3748;text-anchor:middle;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round",
    ),
    (".f", "fill:#f7f9fc;stroke:#a0aec0"),
    (".fl", "font-weight:bold;fill:#4a5568;paint-order:stroke;stroke:#f7f9fc;stroke-width:4px"),
    (".dt", "font-size:14px;font-weight:bold"),
];

/// The rules as CSS, each selector prefixed with `scope` and a space when
/// given (`svg.erd .bg`).
pub(super) fn css(scope: Option<&str>) -> String {
    let mut out = String::new();
    for (selectors, declarations) in RULES {
        let list: Vec<String> = selectors
            .split(',')
            .map(|s| match scope {
                Some(scope) => format!("{scope} {s}"),
                None => s.to_string(),
            })
            .collect();
        let _ = write!(out, "{}{{{declarations}}}", list.join(","));
        if scope.is_some() {
            out.push('\n');
        }
    }
    out
}

/// Where the SVG goes.
pub(super) enum Embedding<'a> {
    /// An image file: XML declaration and a `<style>` of its own.
    Standalone,
    /// An element of an HTML page: ids prefixed, styled by the page.
    Inline { id_prefix: &'a str },
}

impl Embedding<'_> {
    /// An `id` attribute value, escaped, prefixed when inline.
    fn id(&self, id: &str) -> String {
        match self {
            Embedding::Standalone => escaped(id),
            Embedding::Inline { id_prefix } => escaped(&format!("{id_prefix}-{id}")),
        }
    }
}

/// Ranges of characters two cells wide (East Asian, emoji), and of
/// characters with no width (combining marks, zero-width characters).
const WIDE: [u32; 22] = [
    0x1100, 0x115F, 0x2E80, 0x303E, 0x3041, 0xA4CF, 0xAC00, 0xD7A3, 0xF900, 0xFAFF, 0xFE30, 0xFE4F, 0xFF00, 0xFF60,
    0xFFE0, 0xFFE6, 0x1F300, 0x1F64F, 0x1F900, 0x1F9FF, 0x20000, 0x3FFFD,
];
const ZERO: [u32; 8] = [0x0300, 0x036F, 0x200B, 0x200F, 0x20D0, 0x20FF, 0xFE00, 0xFE0F];

/// Display width in monospace character cells.
fn cells(s: &str) -> usize {
    let within = |t: &[u32], c: u32| t.chunks(2).any(|r| (r[0]..=r[1]).contains(&c));
    s.chars()
        .map(|c| match c as u32 {
            ..0x300 => 1,
            c if within(&ZERO, c) => 0,
            c => 1 + within(&WIDE, c) as usize,
        })
        .sum()
}

/// Pixels for `c` cells, rounded up.
fn px(c: usize) -> i32 {
    ((c as i64 * CW + 9) / 10) as i32
}

/// The text cut to `MAXC` cells.
fn clip(s: &str) -> String {
    clip_to(s, MAXC)
}

/// The text cut to `max` cells, `…` in the last.
fn clip_to(s: &str, max: usize) -> String {
    if cells(s) <= max {
        return s.to_string();
    }
    let (mut out, mut used) = (String::new(), 0);
    for c in s.chars() {
        let w = cells(c.encode_utf8(&mut [0; 4]));
        if used + w > max - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// Appends `s` escaped for XML text and attribute values; characters XML
/// forbids become U+FFFD (tab and line breaks a space).
fn esc(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

fn escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    esc(&mut out, s);
    out
}

/// A link target, unless its scheme could run code (`javascript:`...).
fn safe_href(h: &str) -> Option<&str> {
    match h.find([':', '/', '?', '#']) {
        Some(i) if h.as_bytes()[i] == b':' => {
            matches!(h[..i].to_ascii_lowercase().as_str(), "http" | "https" | "mailto").then_some(h)
        }
        _ => Some(h),
    }
}

/// Indexed by `KeyMark as usize` (declaration order).
const MARKS: [&str; 5] = ["", "PK", "FK", "PK FK", "UQ"];
/// Indexed by `NodeKind as usize`: the class that colours the header.
const KINDS: [&str; 6] = ["root", "entity", "values", "events", "audit", "ext"];

/// A node's size and the columns of its rows.
struct Metrics {
    w: i32,
    h: i32,
    head: i32,
    /// Cells before the name, and before the type.
    name_at: usize,
    ty_at: usize,
    /// Leading primary-key rows (a line follows them).
    pk: usize,
}

fn measure(n: &Node) -> Metrics {
    let key_c = n.rows.iter().map(|r| MARKS[r.key as usize].len()).max().unwrap_or(0);
    let name_at = if key_c > 0 { key_c + 1 } else { 0 };
    let name_c = n.rows.iter().map(|r| cells(&clip(&r.name))).max().unwrap_or(0);
    let ty_c = n.rows.iter().map(|r| cells(&clip(&r.ty)) + r.nullable as usize).max().unwrap_or(0);
    let ty_at = name_at + name_c + 2;
    let row_c = if ty_c > 0 { ty_at + ty_c } else { name_at + name_c };
    let sub_c = n.subtitle.as_deref().map_or(0, |s| cells(&clip(s)) + 2);
    let note_c = n.notes.iter().map(|s| cells(&clip(s))).max().unwrap_or(0);
    let inner = row_c.max(cells(&clip_to(&n.title, MAX_TITLE))).max(sub_c).max(note_c);
    let head = 6 + LINE + if n.subtitle.is_some() { 14 } else { 0 } + 2;
    let pk = n.rows.iter().take_while(|r| matches!(r.key, KeyMark::Pk | KeyMark::PkFk)).count();
    let mut h = head;
    if !n.rows.is_empty() || !n.notes.is_empty() {
        h += 8 + LINE * n.rows.len() as i32;
        if pk > 0 && pk < n.rows.len() {
            h += 5;
        }
        if !n.notes.is_empty() {
            h += if n.rows.is_empty() { 0 } else { 5 } + LINE * n.notes.len() as i32;
        }
    }
    Metrics { w: (2 * PADX + px(inner)).max(96), h, head, name_at, ty_at, pk }
}

/// Places the edge labels greedily, in edge order: at the middle, then a
/// quarter from either end, of the route's inner segments, longest first;
/// the first spot that covers no box and no earlier label, else the first.
fn place_labels(d: &Diagram, sc: &Scene) -> Vec<Option<(P, String)>> {
    const CELL: i32 = 128;
    type Grid = BTreeMap<(i32, i32), Vec<Rect>>;
    let cells_of = |r: &Rect| {
        let (x0, x1) = (r.x.div_euclid(CELL), (r.x + r.w).div_euclid(CELL));
        let (y0, y1) = (r.y.div_euclid(CELL), (r.y + r.h).div_euclid(CELL));
        (x0..=x1).flat_map(move |cx| (y0..=y1).map(move |cy| (cx, cy)))
    };
    let add = |grid: &mut Grid, r: Rect| cells_of(&r).for_each(|c| grid.entry(c).or_default().push(r));
    let meets = |a: &Rect, b: &Rect| a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
    let hit = |grid: &Grid, r: &Rect| cells_of(r).any(|c| grid.get(&c).is_some_and(|v| v.iter().any(|o| meets(o, r))));
    let mut grid = Grid::new();
    sc.boxes.iter().for_each(|b| add(&mut grid, *b));
    let len = |s: &[P]| (s[1].0 - s[0].0).abs() + (s[1].1 - s[0].1).abs();
    d.edges
        .iter()
        .zip(&sc.routes)
        .map(|(e, r)| {
            let r = r.as_ref()?;
            let text = clip(e.label.as_deref().filter(|l| !l.is_empty())?);
            let w = px(cells(&text)) + 4;
            let inner = if r.len() > 3 { &r[1..r.len() - 1] } else { &r[..] };
            let mut segs: Vec<&[P]> = inner.windows(2).collect();
            segs.sort_by_key(|s| std::cmp::Reverse(len(s)));
            let spot =
                |s: &[P], a: i32, b: i32| (s[0].0 + (s[1].0 - s[0].0) * a / b, s[0].1 + (s[1].1 - s[0].1) * a / b + 4);
            let spots: Vec<P> =
                segs.iter().take(4).flat_map(|s| [spot(s, 1, 2), spot(s, 1, 4), spot(s, 3, 4)]).collect();
            let at = |p: &P| Rect { x: p.0 - w / 2, y: p.1 - 12, w, h: 16 };
            let p = *spots.iter().find(|p| !hit(&grid, &at(p))).or(spots.first()).unwrap_or(&r[0]);
            add(&mut grid, at(&p));
            Some((p, text))
        })
        .collect()
}

/// A diagram's nodes measured, and its scene laid out with those sizes.
pub struct Laid {
    metrics: Vec<Metrics>,
    scene: Scene,
}

/// Every node measured, and the scene laid out with those sizes.
fn laid_out(d: &Diagram) -> Laid {
    let metrics: Vec<Metrics> = d.nodes.iter().map(measure).collect();
    let sizes: Vec<P> = metrics.iter().map(|m| (m.w, m.h)).collect();
    let label_w: Vec<i32> = d.groups.iter().map(|g| px(cells(&clip(&g.label)))).collect();
    let scene = layout::scene(d, &sizes, &label_w);
    Laid { metrics, scene }
}

/// The scene [`render`] draws, for the tests' geometric checks.
#[cfg(test)]
pub(super) fn scene(d: &Diagram) -> Scene {
    laid_out(d).scene
}

pub(super) fn render(d: &Diagram, embedding: &Embedding<'_>, layouts: Option<&super::Layouts>) -> String {
    let kept;
    let made;
    let laid = match layouts {
        Some(layouts) => {
            kept = layouts.get_or_make(d, || laid_out(d));
            &*kept
        }
        None => {
            made = laid_out(d);
            &made
        }
    };
    let (metrics, sc) = (&laid.metrics, &laid.scene);
    let labels = place_labels(d, sc);
    // The viewBox: everything drawn, the title above, and a margin.
    let mut all: Vec<Rect> = sc.boxes.iter().chain(sc.frames.iter().flatten()).copied().collect();
    all.extend(sc.routes.iter().flatten().flatten().map(|p| Rect { x: p.0 - 8, y: p.1 - 8, w: 16, h: 16 }));
    all.extend(labels.iter().flatten().map(|((x, y), t)| Rect {
        x: x - px(cells(t)) / 2 - 2,
        y: y - 12,
        w: px(cells(t)) + 4,
        h: 16,
    }));
    let b = all.iter().fold(None, |b: Option<[i32; 4]>, r| {
        let [x0, y0, x1, y1] = b.unwrap_or([r.x, r.y, r.x + r.w, r.y + r.h]);
        Some([x0.min(r.x), y0.min(r.y), x1.max(r.x + r.w), y1.max(r.y + r.h)])
    });
    let [x0, mut y0, mut x1, y1] = b.unwrap_or([0; 4]);
    let (title, title_at) = (clip(&d.title), (x0, y0 - 14));
    if !title.is_empty() {
        (y0, x1) = (y0 - 32, x1.max(x0 + ((cells(&title) as i64 * 84 + 9) / 10) as i32));
    }
    let (vx, vy, vw, vh) = (x0 - MARGIN, y0 - MARGIN, x1 - x0 + 2 * MARGIN, y1 - y0 + 2 * MARGIN);

    let mut o = String::with_capacity(4096 + d.nodes.len() * 1500);
    let name = escaped(&d.title);
    if let Embedding::Standalone = embedding {
        o.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    }
    let class = match embedding {
        Embedding::Standalone => "",
        Embedding::Inline { .. } => " class=\"erd\"",
    };
    let _ = writeln!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\"{class} width=\"{vw}\" height=\"{vh}\" \
         viewBox=\"{vx} {vy} {vw} {vh}\" role=\"img\" aria-label=\"{name}\" font-family=\"monospace\" \
         font-size=\"12\">\n<title>{name}</title>"
    );
    if let Embedding::Standalone = embedding {
        let _ = writeln!(o, "<style>{}</style>", css(None));
    }
    let _ = writeln!(o, "<rect x=\"{vx}\" y=\"{vy}\" width=\"{vw}\" height=\"{vh}\" fill=\"#fff\"/>");
    if !title.is_empty() {
        let _ = writeln!(o, "<text class=\"dt\" x=\"{}\" y=\"{}\">{}</text>", title_at.0, title_at.1, escaped(&title));
    }
    // Frames first; their titles last, over the edges that cross them.
    let mut titles = String::new();
    for (g, f) in d.groups.iter().zip(&sc.frames) {
        let Some(f) = f else { continue };
        let (id, label, shown) = (embedding.id(&g.id), escaped(&g.label), escaped(&clip(&g.label)));
        let (Rect { x, y, w, h }, tx, ty) = (*f, f.x + FPAD, f.y + FTITLE - 10);
        let _ = writeln!(
            o,
            "<g id=\"{id}\" class=\"grp\"><title>{label}</title><rect class=\"f\" x=\"{x}\" y=\"{y}\" \
             width=\"{w}\" height=\"{h}\" rx=\"6\"/></g>"
        );
        let _ = writeln!(titles, "<text class=\"fl\" x=\"{tx}\" y=\"{ty}\">{shown}</text>");
    }
    for ((e, r), ends) in d.edges.iter().zip(&sc.routes).zip(&sc.ends) {
        if let (Some(r), Some((u, v))) = (r, ends) {
            let tip = format!("{} → {}", d.nodes[*u].title, d.nodes[*v].title);
            edge(&mut o, e, tip, r);
        }
    }
    for ((n, m), r) in d.nodes.iter().zip(metrics).zip(&sc.boxes) {
        node(&mut o, n, m, *r, embedding);
    }
    o.push_str(&titles);
    for ((x, y), text) in labels.iter().flatten() {
        let _ = writeln!(o, "<text class=\"el\" x=\"{x}\" y=\"{y}\">{}</text>", escaped(text));
    }
    o.push_str("</svg>\n");
    o
}

fn edge(o: &mut String, e: &super::Edge, mut tip: String, r: &[P]) {
    if let Some(l) = e.label.as_deref().filter(|l| !l.is_empty()) {
        let _ = write!(tip, ": {l}");
    }
    let _ = write!(
        o,
        "<g class=\"rel\"><title>{}</title><path class=\"e{}\" d=\"",
        escaped(&tip),
        if e.dashed { " dash" } else { "" }
    );
    for (i, p) in r.iter().enumerate() {
        let _ = write!(o, "{}{} {}", if i == 0 { "M" } else { " L" }, p.0, p.1);
    }
    o.push_str("\"/>");
    if r.len() >= 2 {
        end_mark(o, r[0], r[1], e.from_end);
        end_mark(o, r[r.len() - 1], r[r.len() - 2], e.to_end);
    }
    o.push_str("</g>\n");
}

/// The crow's-foot mark at `p` on a box border, `next` being the next point
/// of the edge (away from the box).
fn end_mark(o: &mut String, p: P, next: P, end: End) {
    let (ddx, ddy) = (next.0 - p.0, next.1 - p.1);
    let (dx, dy) = if ddx.abs() >= ddy.abs() { (ddx.signum(), 0) } else { (0, ddy.signum()) };
    let at = |t: i32, s: i32| (p.0 + dx * t - dy * s, p.1 + dy * t + dx * s);
    let mut path = String::new();
    let mut seg = |a: P, b: P| {
        let _ = write!(path, "M{} {} L{} {}", a.0, a.1, b.0, b.1);
    };
    let (bar, circle) = match end {
        End::One => {
            seg(at(7, -6), at(7, 6));
            (11, None)
        }
        End::ZeroOrOne => (7, Some(15)),
        End::ZeroOrMany => (0, Some(15)),
    };
    if end == End::ZeroOrMany {
        seg(at(0, -6), at(10, 0));
        seg(at(10, 0), at(0, 6));
    }
    if bar > 0 {
        seg(at(bar, -6), at(bar, 6));
    }
    let _ = write!(o, "<path class=\"m\" d=\"{path}\"/>");
    if let Some(t) = circle {
        let c = at(t, 0);
        let _ = write!(o, "<circle class=\"mo\" cx=\"{}\" cy=\"{}\" r=\"4\"/>", c.0, c.1);
    }
}

fn node(o: &mut String, n: &Node, m: &Metrics, r: Rect, embedding: &Embedding<'_>) {
    let href = n.href.as_deref().and_then(safe_href);
    if let Some(h) = href {
        let _ = write!(o, "<a href=\"{}\">", escaped(h));
    }
    let mut tip = n.title.clone();
    if let Some(s) = &n.subtitle {
        let _ = write!(tip, " ({s})");
    }
    let (x, y, w, h, x1, hb) = (r.x, r.y, r.w, r.h, r.x + r.w, r.y + m.head);
    let (id, kind, tip, y4, x4, x5) =
        (embedding.id(&n.id), KINDS[n.kind as usize], escaped(&tip), y + 4, x + 4, x1 - 4);
    let _ = write!(
        o,
        "<g id=\"{id}\" class=\"n {kind}\"><title>{tip}</title><rect class=\"bg\" x=\"{x}\" y=\"{y}\" width=\"{w}\" \
         height=\"{h}\" rx=\"4\"/><path class=\"h\" d=\"M{x} {hb} V{y4} Q{x} {y} {x4} {y} H{x5} Q{x1} {y} {x1} {y4} V{hb} Z\"/>"
    );
    let cx = x + w / 2;
    let _ =
        write!(o, "<text class=\"tt\" x=\"{cx}\" y=\"{}\">{}</text>", y + 18, escaped(&clip_to(&n.title, MAX_TITLE)));
    if let Some(s) = &n.subtitle {
        let _ = write!(o, "<text class=\"st\" x=\"{cx}\" y=\"{}\">«{}»</text>", y + 32, escaped(&clip(s)));
    }
    let mut seps = vec![y + m.head];
    let mut ty = y + m.head + 4;
    let tx = x + PADX;
    for (i, row) in n.rows.iter().enumerate() {
        if i == m.pk && i > 0 {
            seps.push(ty + 2);
            ty += 5;
        }
        let cls = if row.nullable { " class=\"nl\"" } else { "" };
        let _ = write!(o, "<text{cls} x=\"{tx}\" y=\"{}\">", ty + 12);
        if row.key != KeyMark::None {
            let _ = write!(o, "<tspan class=\"k\">{}</tspan>", MARKS[row.key as usize]);
        }
        let _ = write!(o, "<tspan x=\"{}\">{}</tspan>", tx + px(m.name_at), escaped(&clip(&row.name)));
        if !row.ty.is_empty() || row.nullable {
            let q = if row.nullable { "?" } else { "" };
            let c = if row.nullable { "" } else { " class=\"ty\"" };
            let _ = write!(o, "<tspan{c} x=\"{}\">{}{q}</tspan>", tx + px(m.ty_at), escaped(&clip(&row.ty)));
        }
        o.push_str("</text>");
        ty += LINE;
    }
    if !n.notes.is_empty() && !n.rows.is_empty() {
        seps.push(ty + 2);
        ty += 5;
    }
    for note in &n.notes {
        let _ = write!(o, "<text class=\"nt\" x=\"{tx}\" y=\"{}\">{}</text>", ty + 12, escaped(&clip(note)));
        ty += LINE;
    }
    if seps.len() > 1 || !n.rows.is_empty() || !n.notes.is_empty() {
        o.push_str("<path class=\"sep\" d=\"");
        for s in &seps {
            let _ = write!(o, "M{x} {s} H{}", x + w);
        }
        o.push_str("\"/>");
    }
    let _ = write!(o, "<rect class=\"o\" x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" rx=\"4\"/></g>");
    o.push_str(if href.is_some() { "</a>\n" } else { "\n" });
}
