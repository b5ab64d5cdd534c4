//! Layout, in integer coordinates, every tie broken by input order.
//!
//! One level (`rank`, then `place`). Cycles are broken by a depth-first
//! search (an edge back to a node on the stack is flipped). Layers come from
//! the longest path from the top (a referenced node above its referrers);
//! nodes that reference nothing are pulled down next to their highest
//! referrer, and a node that would make its layer wider than about three
//! times the height of the whole moves down (its referrers with it). Each
//! layer an edge crosses gets a dummy node; barycenter sweeps order the
//! layers, keeping the order with the fewest crossings; x comes from
//! isotonic regression per layer (each node as near the mean of its
//! neighbours as the no-overlap constraints allow), sweeping down and up.
//! An edge is a stub perpendicular to each box border, its ports spread
//! along the side in the order of where the edge goes, joined by straight
//! segments through its dummies, which sit in the gaps between boxes. Nodes
//! without edges are shelf-packed apart. A level with more than
//! `MAX_LAYERED` nodes and dummies is shelf-packed in layer order instead,
//! with direct edges: linear, whatever the graph.
//!
//! The scene (`scene`): each group is a block laid out as one level, with a
//! zero-size port node on an extra top or bottom layer for each edge
//! leaving it; the framed blocks are the nodes of the level above. An edge
//! between blocks is its inner route to the port, the route between the
//! blocks and the inner route from the other block's port. The blocks are
//! laid out twice: the second time each layer of ports is ordered by where
//! the first layout sent its edges.

use std::collections::BTreeMap;

use super::Diagram;

/// Length of the straight part of an edge at a box border (the marks fit).
const STUB: i32 = 20;
const GAP_Y: i32 = 56;
const GAP_X: i32 = 40;
const LOOP: i32 = 28;
/// A frame's padding and the height of its title band.
pub(super) const FPAD: i32 = 12;
pub(super) const FTITLE: i32 = 28;
const MAX_LAYERED: usize = 20_000;

pub(super) type P = (i32, i32);

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Rect {
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Real,
    /// A zero-size port on the top layer: an edge leaving the block upwards.
    Top,
    /// A zero-size port on the bottom layer.
    Bottom,
    Dummy,
}

#[derive(Clone, Copy)]
struct LNode {
    w: i32,
    h: i32,
    /// Room kept free on the right (for a self-loop drawn at another level).
    extra: i32,
    kind: Kind,
    /// Orders a layer of ports: where their edges go outside the block.
    key: i32,
}

impl LNode {
    fn new(w: i32, h: i32, extra: i32, kind: Kind) -> Self {
        LNode { w, h, extra, kind, key: 0 }
    }
}

/// `lo` is drawn below `up` unless the edge closes a cycle. A fixed port is
/// an x offset on the node's top or bottom side.
#[derive(Clone, Copy)]
struct LEdge {
    lo: usize,
    up: usize,
    lo_port: Option<i32>,
    up_port: Option<i32>,
}

impl LEdge {
    fn new(lo: usize, up: usize) -> Self {
        LEdge { lo, up, lo_port: None, up_port: None }
    }
}

struct Ranking {
    layer: Vec<usize>,
    /// The edge points downwards (it closed a cycle).
    flip: Vec<bool>,
    isolated: Vec<bool>,
}

/// A laid-out level: top-left corners, extent, and each edge's route from
/// `lo` to `up`; everything within `0..w` × `0..h`.
struct Placed {
    x: Vec<i32>,
    y: Vec<i32>,
    w: i32,
    h: i32,
    routes: Vec<Vec<P>>,
}

fn rank(nodes: &[LNode], edges: &[LEdge]) -> Ranking {
    let n = nodes.len();
    let real = |v: usize| nodes[v].kind == Kind::Real;
    let mut out: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    let mut isolated = vec![true; n];
    for (i, e) in edges.iter().enumerate().filter(|(_, e)| e.lo != e.up) {
        out[e.lo].push((e.up, i));
        isolated[e.lo] = false;
        isolated[e.up] = false;
    }
    let (mut flip, mut state, mut stack) = (vec![false; edges.len()], vec![0u8; n], Vec::new());
    for s in 0..n {
        if state[s] == 0 {
            state[s] = 1;
            stack.push((s, 0));
        }
        while let Some(&(v, k)) = stack.last() {
            let Some(&(w, i)) = out[v].get(k) else {
                state[v] = 2;
                stack.pop();
                continue;
            };
            let top = stack.len() - 1;
            stack[top].1 += 1;
            match state[w] {
                0 => {
                    state[w] = 1;
                    stack.push((w, 0));
                }
                1 => flip[i] = true,
                _ => {}
            }
        }
    }
    let (mut below, mut above) = (vec![Vec::new(); n], vec![0usize; n]);
    for (i, e) in edges.iter().enumerate().filter(|(_, e)| e.lo != e.up) {
        let (a, b) = if flip[i] { (e.up, e.lo) } else { (e.lo, e.up) };
        below[b].push(a);
        above[a] += 1;
    }
    // Longest path, in topological order from the top.
    let (mut layer, mut left) = (vec![0usize; n], above.clone());
    let mut queue: Vec<usize> = (0..n).filter(|&v| above[v] == 0).collect();
    let mut head = 0;
    while let Some(&v) = queue.get(head) {
        head += 1;
        for &a in &below[v] {
            layer[a] = layer[a].max(layer[v] + 1);
            left[a] -= 1;
            if left[a] == 0 {
                queue.push(a);
            }
        }
    }
    for v in (0..n).filter(|&v| above[v] == 0 && real(v)) {
        layer[v] = below[v].iter().map(|&a| layer[a]).min().map_or(layer[v], |l| l - 1);
    }
    // Bound the layers' width (about three times the height of the whole):
    // top down, a node that does not fit moves down, its referrers with it.
    let area: i64 =
        (0..n).filter(|&v| !isolated[v]).map(|v| (nodes[v].w + GAP_X) as i64 * (nodes[v].h + GAP_Y) as i64).sum();
    let limit = (3 * area).isqrt();
    let mut width: Vec<i64> = Vec::new();
    for &v in queue.iter().filter(|&&v| real(v) && !isolated[v]) {
        let w = (nodes[v].w + GAP_X) as i64;
        while width.get(layer[v]).is_some_and(|&u| u > 0 && u + w > limit) {
            layer[v] += 1;
        }
        if width.len() <= layer[v] {
            width.resize(layer[v] + 1, 0);
        }
        width[layer[v]] += w;
        for &a in &below[v] {
            layer[a] = layer[a].max(layer[v] + 1);
        }
    }
    // Ports leaving upwards get a layer of their own, ports leaving
    // downwards the one below all others.
    let has_top = nodes.iter().any(|v| v.kind == Kind::Top);
    (0..n).filter(|&v| nodes[v].kind != Kind::Top).for_each(|v| layer[v] += has_top as usize);
    let bottom = (0..n).filter(|&v| nodes[v].kind != Kind::Bottom && !isolated[v]).map(|v| layer[v] + 1).max();
    (0..n).filter(|&v| nodes[v].kind == Kind::Bottom).for_each(|v| layer[v] = bottom.unwrap_or(1));
    Ranking { layer, flip, isolated }
}

const TOP: u8 = 0;
const BOTTOM: u8 = 1;
const LEFT: u8 = 2;
const RIGHT: u8 = 3;

/// One end of an edge: the side of its node, where the edge goes (which
/// orders the ports of a side) and how far out the stub reaches.
struct EndSpec {
    node: usize,
    side: u8,
    key: i64,
    fixed: Option<i32>,
    reach: i32,
}

/// Spreads the ports of each side evenly, in key order.
fn ports(ends: &[EndSpec], rect: impl Fn(usize) -> Rect) -> Vec<P> {
    let mut sides: BTreeMap<(usize, u8), Vec<(i64, usize)>> = BTreeMap::new();
    for (i, e) in ends.iter().enumerate() {
        sides.entry((e.node, e.side)).or_default().push((e.key, i));
    }
    let mut out = vec![(0, 0); ends.len()];
    for ((node, side), mut list) in sides {
        list.sort_unstable();
        let (r, k) = (rect(node), list.len() as i64);
        for (j, &(_, i)) in list.iter().enumerate() {
            let along = |len: i32| ((len as i64 * (2 * j as i64 + 1)) / (2 * k)) as i32;
            let fx = || ends[i].fixed.unwrap_or_else(|| along(r.w));
            out[i] = match side {
                TOP => (r.x + fx(), r.y),
                BOTTOM => (r.x + fx(), r.y + r.h),
                LEFT => (r.x, r.y + along(r.h)),
                _ => (r.x + r.w, r.y + along(r.h)),
            };
        }
    }
    out
}

/// Packs `order` in rows, left to right from `at`, about twice as wide as
/// tall and at least `min_w` wide. Returns the bottom.
fn shelf(order: &[usize], w: &[i32], h: &[i32], at: P, min_w: i32, x: &mut [i32], y: &mut [i32]) -> i32 {
    let area: i64 = order.iter().map(|&v| (w[v] + GAP_X) as i64 * (h[v] + GAP_X) as i64).sum();
    let widest = order.iter().map(|&v| w[v]).max().unwrap_or(0) as i64;
    let target = (2 * area).isqrt().max(min_w as i64).max(widest) as i32;
    let (mut cx, mut cy, mut row) = (0, at.1, 0);
    for &v in order {
        if cx > 0 && cx + w[v] > target {
            (cx, cy, row) = (0, cy + row + GAP_X, 0);
        }
        (x[v], y[v]) = (at.0 + cx, cy);
        cx += w[v] + GAP_X;
        row = row.max(h[v]);
    }
    cy + row
}

/// Orders the nodes of a layer that have neighbours in the fixed layer by
/// barycenter (compared exactly, as fractions); the others keep their slot.
fn sort_layer(layer: &mut [usize], pos: &mut [usize], adj: &Packed) {
    let slots: Vec<usize> = (0..layer.len()).filter(|&i| !adj.of(layer[i]).is_empty()).collect();
    let bary = |v: usize| (adj.of(v).iter().map(|&u| pos[u as usize] as i64).sum::<i64>(), adj.of(v).len() as i64, v);
    let mut keyed: Vec<(i64, i64, usize)> = slots.iter().map(|&i| bary(layer[i])).collect();
    keyed.sort_by(|a, b| (a.0 * b.1).cmp(&(b.0 * a.1)).then(pos[a.2].cmp(&pos[b.2])));
    for (&i, k) in slots.iter().zip(&keyed) {
        layer[i] = k.2;
    }
    for (i, &v) in layer.iter().enumerate() {
        pos[v] = i;
    }
}

/// Edge crossings between consecutive layers (inversions, Fenwick tree).
fn crossings(layers: &[Vec<usize>], pos: &[usize], down: &Packed) -> u64 {
    let mut total = 0;
    let (mut edges, mut tree): (Vec<(usize, usize)>, Vec<u64>) = (Vec::new(), Vec::new());
    for pair in layers.windows(2) {
        let m = pair[1].len();
        edges.clear();
        edges.extend(pair[0].iter().flat_map(|&v| down.of(v).iter().map(move |&u| (pos[v], pos[u as usize]))));
        edges.sort_unstable();
        tree.clear();
        tree.resize(m + 1, 0);
        for (k, &(_, b)) in edges.iter().enumerate() {
            let (mut i, mut le) = (b + 1, 0);
            while i > 0 {
                le += tree[i];
                i &= i - 1;
            }
            total += k as u64 - le;
            let mut i = b + 1;
            while i <= m {
                tree[i] += 1;
                i += i & i.wrapping_neg();
            }
        }
    }
    total
}

/// Each node's neighbours in the layer above (or below), packed in one
/// list (`at[v]..at[v + 1]` of `to`): the sweeps read them again and
/// again, and a diagram has mostly dummies (333,000 nodes of which 292,000
/// dummies in the 4,240 levels laid out for the 2,000-aggregate model),
/// each of which had two `Vec`s of one neighbour.
struct Packed {
    at: Vec<u32>,
    to: Vec<u32>,
}

impl Packed {
    /// The neighbours of `nodes` nodes (at most `MAX_LAYERED`, dummies
    /// included) from `links` (node, neighbour), each node's in the order
    /// of `links`.
    fn new(nodes: usize, links: &[(u32, u32)]) -> Self {
        let mut at = vec![0u32; nodes + 1];
        for &(v, _) in links {
            at[v as usize + 1] += 1;
        }
        for v in 0..nodes {
            at[v + 1] += at[v];
        }
        let mut next = at.clone();
        let mut to = vec![0u32; links.len()];
        for &(v, u) in links {
            to[next[v as usize] as usize] = u;
            next[v as usize] += 1;
        }
        Packed { at, to }
    }

    fn of(&self, v: usize) -> &[u32] {
        &self.to[self.at[v] as usize..self.at[v + 1] as usize]
    }
}

/// Moves each node of `layer` (left edges at `xs`, `offs` from the
/// layer's first node: widths and gaps) as near as it can to where
/// `want` puts it without overlap: the layer's isotonic regression by
/// pool-adjacent-violators. `pools` is kept between calls.
fn balance(
    layer: &[usize],
    offs: &[i64],
    xs: &mut [i64],
    want: impl Fn(&[i64], usize) -> i64,
    pools: &mut Vec<(i64, i64)>,
) {
    pools.clear();
    // The last pool (sum, count) is kept out of the list: most nodes are
    // dummies, each a pool of its own that no other joins.
    let mut top = (0i64, 0i64);
    for (&v, &off) in layer.iter().zip(offs) {
        let (mut s, mut c) = (want(xs, v) - off, 1);
        // Pools merge while the one before has a mean at or past this one's.
        while top.1 > 0 && top.0 * c >= s * top.1 {
            (s, c) = (s + top.0, c + top.1);
            top = pools.pop().unwrap_or((0, 0));
        }
        if top.1 > 0 {
            pools.push(top);
        }
        top = (s, c);
    }
    if top.1 > 0 {
        pools.push(top);
    }
    let mut i = 0;
    for &(s, c) in pools.iter() {
        let mean = if c == 1 { s } else { s.div_euclid(c) };
        for _ in 0..c {
            xs[layer[i]] = mean + offs[i];
            i += 1;
        }
    }
}

/// Where [`balance`] wants `v`: its centre at the mean centre of its
/// neighbours `s / c` (`s` the sum of their centres), or where it is if
/// it has none. A dummy has one neighbour on each side: no division for
/// it (an `idiv` was a third of the layout's samples).
fn towards(xs: &[i64], v: usize, half: &[i64], s: i64, c: usize) -> i64 {
    match c {
        0 => xs[v],
        1 => s - half[v],
        _ => s.div_euclid(c as i64) - half[v],
    }
}

fn place(nodes: &[LNode], edges: &[LEdge], r: &Ranking) -> Placed {
    let n = nodes.len();
    let mut rw: Vec<i32> = nodes.iter().map(|v| v.w + v.extra).collect();
    for e in edges.iter().filter(|e| e.lo == e.up) {
        rw[e.lo] = nodes[e.lo].w + nodes[e.lo].extra.max(LOOP);
    }
    let hs: Vec<i32> = nodes.iter().map(|v| v.h).collect();
    let mut used: Vec<usize> = (0..n).filter(|&v| !r.isolated[v]).map(|v| r.layer[v]).collect();
    used.sort_unstable();
    used.dedup();
    let nl = used.len();
    let lay: Vec<usize> = r.layer.iter().map(|l| used.binary_search(l).unwrap_or(0)).collect();
    let dummies: usize = edges.iter().map(|e| lay[e.lo].abs_diff(lay[e.up]).saturating_sub(1)).sum();
    let layered = n + dummies <= MAX_LAYERED;
    let (mut x, mut y) = (vec![0; n], vec![0; n]);
    let mut ends: Vec<EndSpec> = Vec::new();
    // Per edge: its first end in `ends` (the other follows) and the points
    // between its stubs.
    let mut specs: Vec<Option<(usize, Vec<P>)>> = Vec::with_capacity(edges.len());
    let rect = |x: &[i32], y: &[i32], v: usize| Rect { x: x[v], y: y[v], w: nodes[v].w, h: nodes[v].h };
    if !layered {
        // Rows in layer order, the ports above and below them.
        let mut order: Vec<usize> = (0..n).filter(|&v| nodes[v].kind == Kind::Real).collect();
        order.sort_by_key(|&v| (r.isolated[v], lay[v], v));
        let y0 = if nodes.iter().any(|v| v.kind == Kind::Top) { GAP_Y } else { 0 };
        let bottom = shelf(&order, &rw, &hs, (0, y0), 0, &mut x, &mut y);
        for e in edges {
            for (v, o) in [(e.lo, e.up), (e.up, e.lo)].into_iter().filter(|&(v, _)| nodes[v].kind != Kind::Real) {
                x[v] = x[o] + nodes[o].w / 2;
                y[v] = if nodes[v].kind == Kind::Top { 0 } else { bottom + GAP_Y };
            }
        }
        for e in edges {
            if e.lo == e.up {
                specs.push(None);
                continue;
            }
            let (a, b) = (rect(&x, &y, e.lo), rect(&x, &y, e.up));
            let (sa, sb) = match () {
                _ if b.y + b.h + 2 * STUB <= a.y => (TOP, BOTTOM),
                _ if a.y + a.h + 2 * STUB <= b.y => (BOTTOM, TOP),
                _ if b.x >= a.x + a.w => (RIGHT, LEFT),
                _ => (LEFT, RIGHT),
            };
            let key = |s: u8, o: Rect| (if s <= BOTTOM { o.x + o.w / 2 } else { o.y + o.h / 2 }) as i64;
            specs.push(Some((ends.len(), Vec::new())));
            ends.push(EndSpec { node: e.lo, side: sa, key: key(sa, b), fixed: e.lo_port, reach: STUB });
            ends.push(EndSpec { node: e.up, side: sb, key: key(sb, a), fixed: e.up_port, reach: STUB });
        }
    } else {
        // Dummy nodes, and each node's neighbours in the layers above and below.
        let (mut kind, mut lay_all): (Vec<Kind>, Vec<usize>) = (nodes.iter().map(|v| v.kind).collect(), lay.clone());
        // (node, its neighbour above) and (node, its neighbour below).
        let (mut ups, mut downs) = (Vec::<(u32, u32)>::new(), Vec::<(u32, u32)>::new());
        let mut chains: Vec<Vec<usize>> = vec![Vec::new(); edges.len()];
        for (i, e) in edges.iter().enumerate().filter(|(_, e)| e.lo != e.up) {
            let (a, b) = if r.flip[i] { (e.up, e.lo) } else { (e.lo, e.up) };
            let mut prev = a;
            for l in (lay[b] + 1..lay[a]).rev() {
                let d = kind.len();
                kind.push(Kind::Dummy);
                lay_all.push(l);
                downs.push((d as u32, prev as u32));
                ups.push((prev as u32, d as u32));
                chains[i].push(d);
                prev = d;
            }
            ups.push((prev as u32, b as u32));
            downs.push((b as u32, prev as u32));
        }
        let total = kind.len();
        let (upa, downa) = (Packed::new(total, &ups), Packed::new(total, &downs));
        drop((ups, downs));
        let mut layers: Vec<Vec<usize>> = vec![Vec::new(); nl];
        for v in (0..total).filter(|&v| v >= n || !r.isolated[v]) {
            layers[lay_all[v]].push(v);
        }
        // A layer of ports keeps the order of their keys.
        let ports_only = |l: &[usize]| l.iter().all(|&v| matches!(kind[v], Kind::Top | Kind::Bottom));
        let fixed: Vec<bool> = layers.iter().map(|l| ports_only(l)).collect();
        for l in layers.iter_mut().filter(|l| ports_only(l)) {
            l.sort_by_key(|&v| (nodes[v].key, v));
        }
        let mut pos = vec![0usize; total];
        layers.iter().for_each(|l| l.iter().enumerate().for_each(|(i, &v)| pos[v] = i));
        let (mut best, mut best_c) = (layers.clone(), crossings(&layers, &pos, &downa));
        for it in 0..8 {
            if best_c == 0 {
                break;
            }
            let (range, adj): (Vec<usize>, _) = if it % 2 == 0 {
                ((1..nl).collect(), &upa)
            } else {
                ((0..nl.saturating_sub(1)).rev().collect(), &downa)
            };
            for l in range.into_iter().filter(|&l| !fixed[l]) {
                sort_layer(&mut layers[l], &mut pos, adj);
            }
            let c = crossings(&layers, &pos, &downa);
            if c < best_c {
                (best_c, best) = (c, layers.clone());
            }
        }
        let layers = best;
        // x: packed, then each node pulled towards its neighbours.
        // From a node's left to the next one's: its width and a gap.
        let sep = |a: usize, b: usize| {
            let gap = [12, 22, 22, GAP_X][(kind[a] == Kind::Real) as usize * 2 + (kind[b] == Kind::Real) as usize];
            (rw.get(a).copied().unwrap_or(0) + gap) as i64
        };
        let half: Vec<i64> = (0..total).map(|v| nodes.get(v).map_or(0, |v| v.w as i64 / 2)).collect();
        // The layers keep their order from here: each node's offset from
        // its layer's first, once.
        let offs: Vec<Vec<i64>> = layers
            .iter()
            .map(|l| {
                let mut off = 0;
                (0..l.len())
                    .map(|i| {
                        off += if i > 0 { sep(l[i - 1], l[i]) } else { 0 };
                        off
                    })
                    .collect()
            })
            .collect();
        let half = &half[..];
        let centres = |xs: &[i64], near: &[u32]| near.iter().map(|&u| xs[u as usize] + half[u as usize]).sum::<i64>();
        let up = |xs: &[i64], v: usize| towards(xs, v, half, centres(xs, upa.of(v)), upa.of(v).len());
        let down = |xs: &[i64], v: usize| towards(xs, v, half, centres(xs, downa.of(v)), downa.of(v).len());
        let both = |xs: &[i64], v: usize| {
            let (a, b) = (upa.of(v), downa.of(v));
            towards(xs, v, half, centres(xs, a) + centres(xs, b), a.len() + b.len())
        };
        let mut xs = vec![0i64; total];
        let mut pools = Vec::new();
        for (l, o) in layers.iter().zip(&offs) {
            balance(l, o, &mut xs, |xs, v| xs[v], &mut pools);
        }
        for it in 1..11 {
            for li in 0..nl {
                match it {
                    10 => balance(&layers[li], &offs[li], &mut xs, both, &mut pools),
                    _ if it % 2 == 0 => balance(&layers[li], &offs[li], &mut xs, up, &mut pools),
                    _ => {
                        let l = nl - 1 - li;
                        balance(&layers[l], &offs[l], &mut xs, down, &mut pools)
                    }
                }
            }
        }
        let minx = xs.iter().copied().min().unwrap_or(0);
        let xi = |v: usize| (xs[v] - minx) as i32;
        let (mut top, mut bot, mut cy) = (vec![0; nl], vec![0; nl], 0);
        for l in 0..nl {
            top[l] = cy;
            bot[l] = cy + layers[l].iter().filter(|&&v| v < n).map(|&v| nodes[v].h).max().unwrap_or(0);
            cy = bot[l] + if fixed[l] || fixed.get(l + 1) == Some(&true) { STUB + 4 } else { GAP_Y };
        }
        for v in (0..n).filter(|&v| !r.isolated[v]) {
            (x[v], y[v]) = (xi(v), top[lay[v]]);
        }
        let right = layers.iter().flatten().map(|&v| xi(v) + rw.get(v).copied().unwrap_or(0)).max().unwrap_or(0);
        for (i, e) in edges.iter().enumerate() {
            if e.lo == e.up {
                specs.push(None);
                continue;
            }
            let ((a, pa), (b, pb)) =
                if r.flip[i] { ((e.up, e.up_port), (e.lo, e.lo_port)) } else { ((e.lo, e.lo_port), (e.up, e.up_port)) };
            let (ch, centre) = (&chains[i], |v: usize| (x[v] + nodes[v].w / 2) as i64);
            let ka = ch.first().map_or(centre(b), |&d| xi(d) as i64);
            let kb = ch.last().map_or(centre(a), |&d| xi(d) as i64);
            let mids = ch.iter().flat_map(|&d| [(xi(d), bot[lay_all[d]]), (xi(d), top[lay_all[d]])]);
            specs.push(Some((ends.len(), mids.collect())));
            let real = |v: usize| nodes[v].kind == Kind::Real;
            ends.push(EndSpec { node: a, side: TOP, key: ka, fixed: pa, reach: if real(a) { STUB } else { 0 } });
            let reach = if real(b) { bot[lay[b]] + STUB - y[b] - nodes[b].h } else { 0 };
            ends.push(EndSpec { node: b, side: BOTTOM, key: kb, fixed: pb, reach });
        }
        // Nodes without edges: beside the layers if a port must reach the
        // bottom, else below.
        let iso: Vec<usize> = (0..n).filter(|&v| r.isolated[v] && nodes[v].kind == Kind::Real).collect();
        let beside = nodes.iter().any(|v| v.kind == Kind::Bottom);
        let at = match (nl, beside) {
            (0, _) => (0, 0),
            (_, true) => (right + GAP_X, 0),
            _ => (0, cy),
        };
        shelf(&iso, &rw, &hs, at, if beside { 0 } else { right }, &mut x, &mut y);
    }
    for (i, e) in edges.iter().enumerate().filter(|(_, e)| e.lo == e.up) {
        specs[i] = Some((ends.len(), Vec::new()));
        ends.push(EndSpec { node: e.lo, side: TOP, key: i64::MAX, fixed: None, reach: STUB });
    }
    let mut pts = ports(&ends, |v| rect(&x, &y, v));
    for (k, mids) in specs.iter().zip(edges).filter(|(_, e)| layered && e.lo != e.up).filter_map(|(s, _)| s.as_ref()) {
        // A port node goes right above (below) where its edge comes from.
        let (a, b) = (ends[*k].node, ends[k + 1].node);
        if nodes[b].kind != Kind::Real {
            pts[k + 1].0 = mids.last().map_or(pts[*k].0, |p| p.0);
            x[b] = pts[k + 1].0;
        } else if nodes[a].kind != Kind::Real {
            pts[*k].0 = mids.first().map_or(pts[k + 1].0, |p| p.0);
            x[a] = pts[*k].0;
        }
    }
    let stub = |j: usize| {
        let (dx, dy) = [(0, -1), (0, 1), (-1, 0), (1, 0)][ends[j].side as usize];
        (pts[j].0 + dx * ends[j].reach, pts[j].1 + dy * ends[j].reach)
    };
    let mut routes: Vec<Vec<P>> = specs
        .into_iter()
        .zip(edges)
        .enumerate()
        .map(|(i, (spec, e))| {
            let Some((k, mids)) = spec else { return Vec::new() };
            let mut route = vec![pts[k], stub(k)];
            if e.lo == e.up {
                let b = rect(&x, &y, e.lo);
                let (lx, ly) = (b.x + b.w + LOOP - 6, b.y + 14);
                route.extend([(lx, b.y - STUB), (lx, ly), (b.x + b.w, ly)]);
            } else {
                route.extend(mids.into_iter().chain([stub(k + 1), pts[k + 1]]));
                if r.flip[i] && layered {
                    route.reverse();
                }
            }
            route
        })
        .collect();
    // Shift everything (a loop reaches above its box) into 0..w × 0..h.
    let boxes = (0..n).flat_map(|v| [(x[v], y[v]), (x[v] + rw[v], y[v] + nodes[v].h)]);
    let all: Vec<P> = boxes.chain(routes.iter().flatten().copied()).collect();
    let (x0, y0) = all.iter().fold((i32::MAX, i32::MAX), |m, p| (m.0.min(p.0), m.1.min(p.1)));
    let (x1, y1) = all.iter().fold((i32::MIN, i32::MIN), |m, p| (m.0.max(p.0), m.1.max(p.1)));
    if all.is_empty() {
        return Placed { x, y, w: 0, h: 0, routes };
    }
    x.iter_mut().for_each(|v| *v -= x0);
    y.iter_mut().for_each(|v| *v -= y0);
    routes.iter_mut().flatten().for_each(|p| *p = (p.0 - x0, p.1 - y0));
    Placed { x, y, w: x1 - x0, h: y1 - y0, routes }
}

/// Drops repeated points and the middle of three collinear ones.
fn simplify(pts: Vec<P>) -> Vec<P> {
    let mut out: Vec<P> = Vec::with_capacity(pts.len());
    for p in pts {
        if out.last() == Some(&p) {
            continue;
        }
        if let [.., a, b] = out[..] {
            let (ux, uy, vx, vy) = ((b.0 - a.0) as i64, (b.1 - a.1) as i64, (p.0 - b.0) as i64, (p.1 - b.1) as i64);
            if ux * vy == uy * vx && ux * vx + uy * vy > 0 {
                out.pop();
            }
        }
        out.push(p);
    }
    out
}

/// Where everything goes, in one coordinate space.
pub(super) struct Scene {
    pub boxes: Vec<Rect>,
    /// The frame of each group; `None` for a group without nodes.
    pub frames: Vec<Option<Rect>>,
    /// Each edge's nodes, and its route from `from` to `to`; `None` when an
    /// id is unknown.
    pub ends: Vec<Option<(usize, usize)>>,
    pub routes: Vec<Option<Vec<P>>>,
}

/// `sizes`: each node's box; `label_w`: each group's title width.
/// Whether the ports of each layer of `r` are in the order of their
/// keys already (ties kept in node order), as [`place`] sorts them.
fn ports_in_order(nodes: &[LNode], r: &Ranking) -> bool {
    let mut last: BTreeMap<usize, i32> = BTreeMap::new();
    nodes.iter().enumerate().filter(|(_, v)| matches!(v.kind, Kind::Top | Kind::Bottom)).all(|(i, v)| {
        let before = last.insert(r.layer[i], v.key);
        before.is_none_or(|k| k <= v.key)
    })
}

pub(super) fn scene(d: &Diagram, sizes: &[P], label_w: &[i32]) -> Scene {
    let n = d.nodes.len();
    // An id names its first node: collected backwards, the first comes last.
    let ids: BTreeMap<&str, usize> = d.nodes.iter().enumerate().rev().map(|(i, nd)| (nd.id.as_str(), i)).collect();
    let ends: Vec<Option<(usize, usize)>> =
        d.edges.iter().map(|e| Some((*ids.get(e.from.as_str())?, *ids.get(e.to.as_str())?))).collect();
    let known = || ends.iter().enumerate().filter_map(|(i, e)| Some((i, (*e)?)));
    // Blocks: one per group with nodes, one per node outside any group.
    let ng = d.groups.len();
    let mut gblock = vec![usize::MAX; ng];
    let mut blocks: Vec<(Option<usize>, Vec<usize>)> = Vec::new();
    let (mut block_of, mut local) = (vec![0; n], vec![0; n]);
    for (i, nd) in d.nodes.iter().enumerate() {
        let g = nd.group.filter(|&g| g < ng);
        if g.is_none_or(|g| gblock[g] == usize::MAX) {
            if let Some(g) = g {
                gblock[g] = blocks.len();
            }
            blocks.push((g, Vec::new()));
        }
        let b = g.map_or(blocks.len() - 1, |g| gblock[g]);
        (block_of[i], local[i]) = (b, blocks[b].1.len());
        blocks[b].1.push(i);
    }
    let nb = blocks.len();
    let (mut bedges, mut bedge_of, mut loops) = (Vec::new(), vec![usize::MAX; ends.len()], vec![false; n]);
    for (i, (u, v)) in known() {
        loops[u] |= u == v;
        if block_of[u] != block_of[v] {
            bedge_of[i] = bedges.len();
            bedges.push(LEdge::new(block_of[u], block_of[v]));
        }
    }
    // Blocks are ranked before their size is known: guess it from the area.
    let guess: Vec<LNode> = blocks
        .iter()
        .map(|(_, m)| {
            let area: i64 = m.iter().map(|&i| (sizes[i].0 + GAP_X) as i64 * (sizes[i].1 + GAP_Y) as i64).sum();
            let w = (area.isqrt() as i32).max(m.iter().map(|&i| sizes[i].0).max().unwrap_or(1)).max(1);
            LNode::new(w, (area / w as i64) as i32, 0, Kind::Real)
        })
        .collect();
    let brank = rank(&guess, &bedges);
    // Inner levels, with a port node for each end of an edge between blocks.
    let mut inner: Vec<(Vec<LNode>, Vec<LEdge>)> = blocks
        .iter()
        .map(|(_, m)| (m.iter().map(|&i| LNode::new(sizes[i].0, sizes[i].1, 0, Kind::Real)).collect(), Vec::new()))
        .collect();
    // Per edge: its inner edge and port node in the block of `from`, and
    // in that of `to`.
    let mut via: Vec<[Option<(usize, usize)>; 2]> = vec![[None, None]; ends.len()];
    for (i, (u, v)) in known() {
        let (bu, bv) = (block_of[u], block_of[v]);
        if bu == bv {
            via[i][0] = Some((inner[bu].1.len(), 0));
            inner[bu].1.push(LEdge::new(local[u], local[v]));
            continue;
        }
        let flipped = brank.flip[bedge_of[i]];
        for (end, b, node, lower) in [(0, bu, u, !flipped), (1, bv, v, flipped)] {
            if blocks[b].0.is_some() {
                let (nodes, edges) = &mut inner[b];
                let t = nodes.len();
                nodes.push(LNode::new(0, 0, 0, if lower { Kind::Top } else { Kind::Bottom }));
                via[i][end] = Some((edges.len(), t));
                edges.push(if lower { LEdge::new(local[node], t) } else { LEdge::new(t, local[node]) });
            }
        }
    }
    let mut again = inner.iter().any(|(nodes, _)| nodes.iter().any(|v| v.kind != Kind::Real));
    let ranks: Vec<Ranking> = inner.iter().map(|(nodes, edges)| rank(nodes, edges)).collect();
    let mut placed: Vec<Placed> = inner.iter().zip(&ranks).map(|((nodes, edges), r)| place(nodes, edges, r)).collect();
    let (bnodes, top) = loop {
        let bnodes: Vec<LNode> = blocks
            .iter()
            .zip(&placed)
            .map(|((g, m), p)| match g {
                Some(g) => LNode::new(p.w.max(label_w[*g]) + 2 * FPAD, p.h + FTITLE + FPAD, 0, Kind::Real),
                None => LNode::new(sizes[m[0]].0, sizes[m[0]].1, if loops[m[0]] { LOOP } else { 0 }, Kind::Real),
            })
            .collect();
        for (i, (u, v)) in known().filter(|&(i, _)| bedge_of[i] != usize::MAX) {
            let be = &mut bedges[bedge_of[i]];
            be.lo_port = via[i][0].map(|(_, t)| FPAD + placed[block_of[u]].x[t]);
            be.up_port = via[i][1].map(|(_, t)| FPAD + placed[block_of[v]].x[t]);
        }
        let top = place(&bnodes, &bedges, &brank);
        if !again {
            break (bnodes, top);
        }
        again = false;
        // Again, each port ordered by where its edge went.
        for (i, (u, v)) in known().filter(|&(i, _)| bedge_of[i] != usize::MAX) {
            let r = &top.routes[bedge_of[i]];
            if let Some((_, t)) = via[i][0] {
                inner[block_of[u]].0[t].key = r[2].0 - top.x[block_of[u]];
            }
            if let Some((_, t)) = via[i][1] {
                inner[block_of[v]].0[t].key = r[r.len() - 3].0 - top.x[block_of[v]];
            }
        }
        // `place` reads a key only to order a layer of ports: a block whose
        // ports keep their order is laid out as it was, and when none
        // changes, so is the whole scene.
        let mut changed = false;
        for (b, ((nodes, edges), r)) in inner.iter().zip(&ranks).enumerate() {
            if !ports_in_order(nodes, r) {
                placed[b] = place(nodes, edges, r);
                changed = true;
            }
        }
        if !changed {
            break (bnodes, top);
        }
    };
    // Where each block's inner level starts.
    let origin: Vec<P> = (0..nb)
        .map(|b| match blocks[b].0 {
            Some(_) => (top.x[b] + FPAD, top.y[b] + FTITLE),
            None => (top.x[b] - placed[b].x[0], top.y[b] - placed[b].y[0]),
        })
        .collect();
    let shift = |b: usize, e: usize, rev: bool| {
        let r = placed[b].routes[e].iter().map(|p| (p.0 + origin[b].0, p.1 + origin[b].1));
        if rev {
            r.rev().collect()
        } else {
            r.collect::<Vec<P>>()
        }
    };
    let boxes = (0..n)
        .map(|i| {
            let (b, l) = (block_of[i], local[i]);
            Rect { x: origin[b].0 + placed[b].x[l], y: origin[b].1 + placed[b].y[l], w: sizes[i].0, h: sizes[i].1 }
        })
        .collect();
    let mut frames = vec![None; ng];
    for (b, (g, _)) in blocks.iter().enumerate() {
        if let Some(g) = g {
            frames[*g] = Some(Rect { x: top.x[b], y: top.y[b], w: bnodes[b].w, h: bnodes[b].h });
        }
    }
    let routes = (0..ends.len())
        .map(|i| {
            let (u, v) = ends[i]?;
            let (bu, bv) = (block_of[u], block_of[v]);
            if bu == bv {
                return Some(simplify(shift(bu, via[i][0]?.0, false)));
            }
            let flipped = brank.flip[bedge_of[i]];
            let mut pts = via[i][0].map_or(Vec::new(), |(e, _)| shift(bu, e, flipped));
            pts.extend(&top.routes[bedge_of[i]]);
            pts.extend(via[i][1].map_or(Vec::new(), |(e, _)| shift(bv, e, flipped)));
            Some(simplify(pts))
        })
        .collect();
    Scene { boxes, frames, ends, routes }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(kind: Kind, key: i32) -> LNode {
        LNode { key, ..LNode::new(0, 0, 0, kind) }
    }

    /// The second layout of a block is skipped only when `place` would sort
    /// its ports as they stand: per layer, ties in node order.
    #[test]
    fn ports_in_order_looks_at_each_layer_of_ports() {
        let real = LNode::new(100, 40, 0, Kind::Real);
        let ranking = |layer: Vec<usize>| Ranking { flip: Vec::new(), isolated: vec![false; layer.len()], layer };
        // Top ports on layer 1, bottom ones on layer 0: each in order, though
        // the keys fall from one layer to the next.
        let nodes = [port(Kind::Top, 5), real, port(Kind::Bottom, 1), port(Kind::Top, 9), port(Kind::Bottom, 1)];
        assert!(ports_in_order(&nodes, &ranking(vec![1, 2, 0, 1, 0])));
        // A block's own nodes are not sorted: their keys do not count.
        let with_real_key = [port(Kind::Top, 5), LNode { key: -3, ..real }, port(Kind::Top, 6)];
        assert!(ports_in_order(&with_real_key, &ranking(vec![1, 1, 1])));
        // One port before another with a smaller key, in one layer: sorted
        // differently, laid out again.
        let nodes = [port(Kind::Top, 5), real, port(Kind::Top, 4)];
        assert!(!ports_in_order(&nodes, &ranking(vec![1, 0, 1])));
        // The same ports on two layers are each in order.
        assert!(ports_in_order(&nodes, &ranking(vec![1, 0, 2])));
    }
}
