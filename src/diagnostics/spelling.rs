//! "Did you mean" among many names: the names sorted once, then walked as
//! a trie for each name asked about.
//!
//! [`super::did_you_mean`] compares a name with every candidate. A model
//! whose names were misspelt each its own way (a family of value objects
//! renamed, a prefix of an enum's values changed) asks once per
//! misspelling, so its time grew with the square of the model: 20,000
//! aggregates each referring to another by a misspelt name took 76 s to
//! validate. Sorted, names that share a prefix share the rows of the edit
//! distance computed for it, and once no cell of a prefix's row can lead
//! to a distance within the limit every name under that prefix is skipped:
//! a name is compared with the few prefixes near it, not with the whole
//! list, when the names share prefixes or one is close (a name with no
//! close match among names that share nothing costs about what a scan
//! does). Names are grouped by length first, so that the groups too long
//! or too short are never walked, and a prefix's row knows how many
//! characters are left. Of each row only the cells within the bound of its
//! diagonal are computed: the others cannot end within it.
//!
//! A bound of a third of a name's length prunes late, so past 2 edits a
//! lookup of a long name walks only the names one of whose ends is within
//! about half the bound of the same half of the name asked about
//! ([`Spelling::near`], found in the same tries and in those of the names
//! read backwards).

/// The longest name (in characters as written, as the limit counts them)
/// whose closest is looked for. A walk keeps a row per character of the
/// names walked (at most a third more than the name's), each of its band
/// (at most two thirds of the name and one): at this length 342 rows of
/// 171 cells, twice that for a name whose lowercase doubles (`İ` is two
/// characters lowercase). Every name becomes an identifier of PostgreSQL,
/// at most 63 bytes, so a longer one is an error of its own rather than a
/// typo of another; compared with every name instead, as before 6a61fe8
/// past 64 characters, 2,000 aggregates of 70 letters, each referred to
/// by a name of one letter changed, took 25 s to validate (292 ms at 200),
/// and walked, a name of 3,000 letters took 2 s a lookup.
const WALKED: usize = 256;

/// A name's lowercase characters and the name itself.
type Entry = (Box<[char]>, String);

/// The largest bound walked over every name of a length within reach
/// when the limit is past [`HALVED`]; a larger one walks only the names
/// [`Spelling::near`] leaves. At 3 and 4 the whole walks were most of a
/// far lookup's work among 20,000 names of six words (1,857 cells a
/// lookup at 2, 5,056 at 4, rows computed whole).
const WALKED_WHOLE: usize = 2;

/// The largest limit (that of a name of 14 characters or fewer) whose
/// lookups walk every name of a length within reach at each bound, as
/// before [`Spelling::near`]: the halves were measured on longer names.
const HALVED: usize = 4;

/// Names to find the closest of, sorted by length, then by their
/// lowercase characters.
#[derive(Debug, Default)]
pub struct Spelling {
    /// Each name's lowercase characters and the name itself, sorted.
    names: Vec<Entry>,
    /// Where the names of each length (in characters) begin in `names`,
    /// shortest first, and `(usize::MAX, names.len())` last.
    lengths: Vec<(usize, usize)>,
    /// How many characters each name shares with the one before it (0
    /// for the first of its length), and the least of those over each run
    /// of `2^k` names from each: `shared[k][i]` is the least of
    /// `shared[0][i..i + 2^k]`.
    shared: Vec<Vec<u32>>,
    /// The tries the halves of a name are walked in, made at the first
    /// lookup that walks them.
    halves: std::sync::OnceLock<Halves>,
    /// How many cells of the edit distance the walks computed: what the
    /// tests bound instead of a time.
    #[cfg(test)]
    cells: std::sync::atomic::AtomicUsize,
}

/// How many lengths (in characters) [`Halves`] sorts together.
const GROUPED: usize = 8;

/// The names sorted by their length divided by [`GROUPED`], then by their
/// characters, and by their characters read backwards: a lookup walks
/// the groups of the lengths within its reach, each as one trie. Walked a
/// length at a time, the first characters of each name far from the one
/// asked about were walked again for each length (833 ms to validate 20,000
/// references each far from every aggregate's name, 370 grouped); walked
/// whatever their length, names too long or too short were walked too:
/// 20,000 enum values `V0`…, asked about as `QQQQQQQQ12345`, are all 7
/// characters shorter, yet read backwards each is within reach of
/// `54321…` until its last (289 → 873 ms).
#[derive(Debug)]
struct Halves {
    /// Places in [`Spelling::names`].
    forward: Vec<usize>,
    /// Each name's characters read backwards, and its place.
    backward: Vec<(Box<[char]>, usize)>,
    /// Where each group begins in both, `(group, start)`, and
    /// `(usize::MAX, names.len())` last.
    groups: Vec<(usize, usize)>,
}

impl Halves {
    fn new(names: &[Entry]) -> Self {
        let mut forward: Vec<usize> = (0..names.len()).collect();
        forward.sort_unstable_by(|&a, &b| {
            let [a, b] = [&names[a].0, &names[b].0];
            (a.len() / GROUPED, a).cmp(&(b.len() / GROUPED, b))
        });
        let backward = names.iter().enumerate().map(|(i, (key, _))| (key.iter().rev().copied().collect(), i));
        let mut backward: Vec<(Box<[char]>, usize)> = backward.collect();
        backward.sort_unstable_by(|a, b| (a.0.len() / GROUPED, a).cmp(&(b.0.len() / GROUPED, b)));
        let groups = runs(forward.iter().map(|&place| names[place].0.len() / GROUPED));
        Halves { forward, backward, groups }
    }
}

impl Spelling {
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut names: Vec<Entry> =
            names.into_iter().map(|n| (n.to_lowercase().chars().collect(), n.to_string())).collect();
        names.sort_unstable_by(|a, b| (a.0.len(), a).cmp(&(b.0.len(), b)));
        names.dedup();
        let lengths = lengths(&names);
        let mut shared = vec![vec![0; names.len()]];
        for pair in lengths.windows(2) {
            let [(_, start), (_, end)] = [pair[0], pair[1]];
            for i in start + 1..end {
                let [(a, _), (b, _)] = [&names[i - 1], &names[i]];
                let common = a.iter().zip(b.iter()).take_while(|(a, b)| a == b).count();
                shared[0][i] = u32::try_from(common).unwrap_or(u32::MAX);
            }
        }
        let mut span = 1;
        while span * 2 <= names.len() {
            let below = &shared[shared.len() - 1];
            let level = (0..=names.len() - span * 2).map(|i| below[i].min(below[i + span])).collect();
            shared.push(level);
            span *= 2;
        }
        Spelling {
            lengths,
            shared,
            names,
            halves: std::sync::OnceLock::new(),
            #[cfg(test)]
            cells: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// What [`super::did_you_mean`] answers for `name` among these names
    /// when it is at most [`WALKED`] characters long: the closest within a
    /// third of its length (at least 1), case aside; of equally close
    /// ones, the first in string order.
    ///
    /// Walked with a bound raised from 0 up to the limit (by one to 4,
    /// then doubled), so that the walk for a name one edit away prunes
    /// every prefix more than one edit away from the name's prefixes: in a
    /// single walk at the limit, 20,000 names numbered alike were all
    /// within 4 edits of `Agregdo12345` until their last digit, and every
    /// one was walked. Past 2 edits, when the limit is past 4, only the
    /// names [`Spelling::near`] leaves are walked (all of them when it
    /// leaves too many). A name longer than [`WALKED`] characters has none.
    pub fn closest(&self, name: &str) -> Option<&str> {
        let written = name.chars().count();
        if written > WALKED {
            return None;
        }
        let query: Vec<char> = name.to_lowercase().chars().collect();
        let limit = (written / 3).max(1);
        let mut rows = Vec::new();
        // The names a walk past `WALKED_WHOLE` walks, with their lengths;
        // `None` inside when they are too many to be worth listing.
        let mut near = None;
        let mut within = 0;
        loop {
            let near = if limit <= HALVED || within <= WALKED_WHOLE {
                &None
            } else {
                near.get_or_insert_with(|| {
                    let names = self.near(&query, limit, &mut rows)?;
                    let lengths = lengths(&names);
                    Some((names, lengths))
                })
            };
            let found = match near {
                None => {
                    let shared = Some(&self.shared[..]);
                    self.walk(&self.names, &self.lengths, shared, &query, within, &mut rows).map(|i| &self.names[i])
                }
                Some((names, lengths)) => self.walk(names, lengths, None, &query, within, &mut rows).map(|i| names[i]),
            };
            if let Some((_, found)) = found {
                return Some(found);
            }
            if within >= limit {
                return None;
            }
            within = if within < 4 { within + 1 } else { within * 2 }.min(limit);
        }
    }

    /// The names that may be at most `limit` edits from `query`, in their
    /// order: those with a prefix at most `limit / 2` edits from the first
    /// half of `query`, or a suffix at most `limit - limit / 2 - 1` from
    /// the second. Every name within the limit is one of them, since the
    /// edits that turn one into the other turn the first half of `query`
    /// into a prefix of the name and the second half into the rest, and
    /// one of the two takes no more than its bound.
    ///
    /// Walking whole names at a bound of a third of their length prunes
    /// late: 20,000 names of six words (`ReservaTutorPago…`) were mostly
    /// within 9 edits of `ZzAlfaBravoDelta…` until their fourth word, and
    /// each such misspelling walked most of them. Half the query at half
    /// the bound prunes after a word or two.
    ///
    /// `None` when the places found (a name found by both halves counted
    /// twice) are as many as half the names of a length within reach or
    /// more: listing and sorting them would cost more than the walk they
    /// spare.
    fn near(&self, query: &[char], limit: usize, rows: &mut Vec<usize>) -> Option<Vec<&Entry>> {
        let halves = self.halves.get_or_init(|| Halves::new(&self.names));
        let half = query.len() / 2;
        let first = limit / 2;
        let rest: Vec<char> = query[half..].iter().rev().copied().collect();
        let mut found = Vec::new();
        for pair in halves.groups.windows(2) {
            let [(group, start), (_, end)] = [pair[0], pair[1]];
            let shortest = group * GROUPED;
            if shortest + GROUPED - 1 + limit < query.len() || shortest > query.len() + limit {
                continue;
            }
            let forward = |i: usize| (&*self.names[halves.forward[start + i]].0, halves.forward[start + i]);
            self.prefixes_within(end - start, forward, &query[..half], first, rows, &mut found);
            let backward = |i: usize| (&*halves.backward[start + i].0, halves.backward[start + i].1);
            self.prefixes_within(end - start, backward, &rest, limit - first - 1, rows, &mut found);
        }
        found.retain(|&i| self.names[i].0.len().abs_diff(query.len()) <= limit);
        let reached = self.lengths.windows(2).filter(|pair| pair[0].0.abs_diff(query.len()) <= limit);
        let reached: usize = reached.map(|pair| pair[1].1 - pair[0].1).sum();
        if found.len() >= reached / 2 {
            return None;
        }
        found.sort_unstable();
        found.dedup();
        Some(found.into_iter().map(|i| &self.names[i]).collect())
    }

    /// Adds to `found` the place of every one of `count` names, sorted,
    /// with a prefix at most `within` edits from `query`: `name(i)` is the
    /// `i`th name's characters and its place.
    fn prefixes_within<'k>(
        &self,
        count: usize,
        name: impl Fn(usize) -> (&'k [char], usize),
        query: &[char],
        within: usize,
        rows: &mut Vec<usize>,
        found: &mut Vec<usize>,
    ) {
        if query.len() <= within {
            // The empty prefix of every name is within reach.
            found.extend((0..count).map(|i| name(i).1));
            return;
        }
        let mut rows = Rows::new(rows, query.len(), within);
        let mut last: &[char] = &[];
        let mut walked = 0;
        let mut i = 0;
        while i < count {
            let (key, _) = name(i);
            let shared = key.iter().zip(last).take_while(|(a, b)| a == b).count();
            let mut depth = shared.min(walked);
            // Whether the prefix of `depth` characters is within reach
            // (`Some(true)`) or none under it can be (`Some(false)`).
            let mut verdict = None;
            while depth < key.len() {
                depth += 1;
                let row = self.next_row(&mut rows, depth, key[depth - 1], query);
                if row.get(query.len()).is_some_and(|d| d <= within) {
                    verdict = Some(true);
                    break;
                }
                // A cell is never less than the one it comes from.
                if row.cells.iter().all(|&d| d > within) {
                    verdict = Some(false);
                    break;
                }
            }
            last = key;
            walked = depth;
            let Some(within_reach) = verdict else {
                i += 1;
                continue;
            };
            // The names under this prefix follow it.
            let end = under(i, count, &key[..depth], |j| name(j).0);
            if within_reach {
                found.extend((i..end).map(|i| name(i).1));
            }
            i = end;
        }
    }

    /// [`Rows::next`], counted in tests. Only the cells within the bound
    /// of the diagonal are computed (a cell `j` away from it is at least
    /// `j` edits), so a walk at 1 edit computes 3 cells a row however long
    /// the name: whole rows made a family of 2,000 names of 70 letters,
    /// each asked about with its last letter changed, cost 37,204 cells a
    /// lookup (59,001 at 20,000).
    fn next_row<'r>(&self, rows: &'r mut Rows, depth: usize, c: char, query: &[char]) -> Band<'r> {
        let band = rows.next(depth, c, query);
        #[cfg(test)]
        self.cells.fetch_add(band.cells.len(), std::sync::atomic::Ordering::Relaxed);
        band
    }

    /// The place in `names` (sorted, their lengths begin where `lengths`
    /// says) of the first name in string order of those at most `within`
    /// edits from `query`, the closest first, and its distance; `rows` is
    /// scratch.
    fn walk<E: std::borrow::Borrow<Entry>>(
        &self,
        names: &[E],
        lengths: &[(usize, usize)],
        shared: Option<&[Vec<u32>]>,
        query: &[char],
        within: usize,
        rows: &mut Vec<usize>,
    ) -> Option<usize> {
        let mut best: Option<(usize, &str, usize)> = None;
        for pair in lengths.windows(2) {
            let [(len, start), (_, end)] = [pair[0], pair[1]];
            // The distance is at least the difference in length.
            if len.abs_diff(query.len()) > within {
                continue;
            }
            let shared = shared.map(|levels| Shared { levels, start });
            if let Some((d, i)) = self.walk_length(&names[start..end], shared, query, within, rows) {
                let name = names[start + i].borrow().1.as_str();
                if best.is_none_or(|(bd, bn, _)| (d, name) < (bd, bn)) {
                    best = Some((d, name, start + i));
                }
            }
        }
        best.map(|(_, _, i)| i)
    }

    /// [`Spelling::walk`] among `names`, all of one length, as a trie: the
    /// distance and place of the name found. With `shared`, what each name
    /// shares with the one before it is read there, not compared.
    fn walk_length<E: std::borrow::Borrow<Entry>>(
        &self,
        names: &[E],
        shared: Option<Shared>,
        query: &[char],
        within: usize,
        rows: &mut Vec<usize>,
    ) -> Option<(usize, usize)> {
        // Rows up to `walked` are those of `last`'s prefixes.
        let mut rows = Rows::new(rows, query.len(), within);
        let mut last: &[char] = &[];
        let mut walked = 0;
        let mut best: Option<(usize, &str, usize)> = None;
        let mut i = 0;
        while let Some((key, original)) = names.get(i).map(E::borrow) {
            // The name before this one is `last` or under the prefix of
            // `last` skipped, which this one does not begin with.
            let common = match &shared {
                Some(shared) => shared.before(i),
                None => key.iter().zip(last).take_while(|(a, b)| a == b).count(),
            };
            let mut depth = common.min(walked);
            let mut pruned = false;
            while depth < key.len() {
                depth += 1;
                let row = self.next_row(&mut rows, depth, key[depth - 1], query);
                // Every way to the last cell crosses this row, a cell is
                // never less than the one it comes from, and from cell `j`
                // the rest of the name and of the query differ in length
                // by at least as many edits.
                let left = key.len() - depth;
                let cells = row.cells.iter().enumerate().map(|(k, &d)| (row.low + k, d));
                if cells.into_iter().all(|(j, d)| d + left.abs_diff(query.len() - j) > within) {
                    pruned = true;
                    break;
                }
            }
            last = key;
            walked = depth;
            if pruned {
                // Skip every name under this prefix: they follow it.
                i = match &shared {
                    Some(shared) => shared.under(i, names.len(), depth),
                    None => under(i, names.len(), &key[..depth], |j| &names[j].borrow().0),
                };
                continue;
            }
            let d = rows.band(depth).get(query.len()).filter(|&d| d <= within);
            if let Some(d) = d.filter(|&d| best.is_none_or(|(bd, bn, _)| (d, original.as_str()) < (bd, bn))) {
                best = Some((d, original, i));
            }
            i += 1;
        }
        best.map(|(d, _, i)| (d, i))
    }
}

/// [`Spelling::shared`] for the names of one length, which begin at
/// `start`: the walk of a family of names that share 45 letters compared
/// them again at each prefix it skipped (`memcmp`, a fifth of the time of
/// validating 2,000 of them each referred to misspelt), and for each name
/// it came to. Read here, the CPU time of that validation fell 57 → 38 ms
/// (1,040 → 510 ms at 20,000; 70 letters at 20,000, 1,200 → 540 ms).
struct Shared<'s> {
    levels: &'s [Vec<u32>],
    start: usize,
}

impl Shared<'_> {
    /// How many characters the `i`th name shares with the one before it.
    fn before(&self, i: usize) -> usize {
        if i == 0 {
            return 0;
        }
        usize::try_from(self.levels[0][self.start + i]).unwrap_or(usize::MAX)
    }

    /// [`under`] for the prefix of `depth` characters of the `i`th of
    /// `count` names: the first name after it that shares less with the
    /// one before, galloped to by runs of doubling length, then of halving
    /// length (from the longest level down, each step was a cache miss:
    /// slower than comparing the names).
    fn under(&self, i: usize, count: usize, depth: usize) -> usize {
        // Every name before `end` shares the prefix.
        let shares = |k: usize, end: usize| {
            end + (1 << k) <= count && usize::try_from(self.levels[k][self.start + end]).unwrap_or(usize::MAX) >= depth
        };
        let mut end = i + 1;
        let mut k = 0;
        while k < self.levels.len() && shares(k, end) {
            end += 1 << k;
            k += 1;
        }
        while k > 0 {
            k -= 1;
            if shares(k, end) {
                end += 1 << k;
            }
        }
        end
    }
}

/// The cells of a row of the edit distance within a bound of its
/// diagonal: `cells[k]` is the distance to the query's prefix of `low + k`
/// characters, at most the bound plus one; every other cell of the row is
/// more than the bound.
struct Band<'r> {
    low: usize,
    cells: &'r [usize],
}

impl Band<'_> {
    /// The cell for the query's prefix of `j` characters, if in the band.
    fn get(&self, j: usize) -> Option<usize> {
        self.cells.get(j.checked_sub(self.low)?).copied()
    }
}

/// The rows of the edit distance from the prefixes of the name walked to
/// those of the query, each only within `within` of its diagonal: row `d`
/// keeps at `d * span + k` the cell for the query's prefix of
/// `d + k - within` characters (`span` is `2 * within + 1`), and
/// `within + 1` where that is not a prefix of the query.
struct Rows<'v> {
    cells: &'v mut Vec<usize>,
    query: usize,
    within: usize,
}

impl<'v> Rows<'v> {
    /// Row 0 in `cells`, for a query of `query` characters: its prefix of
    /// `j` characters is `j` edits from nothing.
    fn new(cells: &'v mut Vec<usize>, query: usize, within: usize) -> Self {
        cells.clear();
        let far = within + 1;
        cells.extend((0..=2 * within).map(|k| k.checked_sub(within).filter(|&j| j <= query).unwrap_or(far)));
        Rows { cells, query, within }
    }

    fn span(&self) -> usize {
        2 * self.within + 1
    }

    /// The places in row `depth` of its cells for prefixes of the query:
    /// from the first, to before the last (the same when none is).
    fn on_query(&self, depth: usize) -> (usize, usize) {
        let first = self.within.saturating_sub(depth);
        let end = (self.query + self.within + 1).saturating_sub(depth).min(self.span());
        (first, end.max(first))
    }

    /// Row `depth`'s cells for prefixes of the query.
    fn band(&self, depth: usize) -> Band<'_> {
        let (first, end) = self.on_query(depth);
        let row = &self.cells[depth * self.span()..][first..end];
        Band { low: depth + first - self.within, cells: row }
    }

    /// Computes row `depth`, for the name's prefix ending in `c`, from the
    /// row above it, and returns its band.
    fn next(&mut self, depth: usize, c: char, query: &[char]) -> Band<'_> {
        let (span, far) = (self.span(), self.within + 1);
        self.cells.resize((depth + 1) * span, far);
        let (first, end) = self.on_query(depth);
        let (before, row) = self.cells.split_at_mut(depth * span);
        let above = &before[(depth - 1) * span..];
        // The cell to the left of the first is off the band or the query.
        let mut left = far;
        for k in first..end {
            let j = depth + k - self.within;
            let d = match j.checked_sub(1) {
                None => depth,
                Some(before) => {
                    let up = above.get(k + 1).copied().unwrap_or(far);
                    (above[k] + usize::from(c != query[before])).min(up + 1).min(left + 1)
                }
            };
            row[k] = d.min(far);
            left = row[k];
        }
        self.band(depth)
    }
}

/// Where the run of names that begin with `prefix` ends, from the one at
/// `start` (which does) among `count` sorted ones, `key(i)` the `i`th's
/// characters. Runs are mostly short: galloped from `start` before a
/// binary search, a run costs comparisons by its own length, not by all
/// the names'.
fn under<'k>(start: usize, count: usize, prefix: &[char], key: impl Fn(usize) -> &'k [char]) -> usize {
    // Every name before `low` begins with `prefix`, none from `high` on.
    let mut low = start + 1;
    let mut step = 1;
    let mut high = loop {
        let probe = start + step;
        if probe >= count {
            break count;
        }
        if !key(probe).starts_with(prefix) {
            break probe;
        }
        low = probe + 1;
        step *= 2;
    };
    while low < high {
        let middle = low + (high - low) / 2;
        if key(middle).starts_with(prefix) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    low
}

/// Where the names of each length begin in `names` (sorted by length):
/// `(length, start)`, shortest first, and `(usize::MAX, names.len())`.
fn lengths<E: std::borrow::Borrow<Entry>>(names: &[E]) -> Vec<(usize, usize)> {
    runs(names.iter().map(|name| name.borrow().0.len()))
}

/// Where each run of equal `keys` begins: `(key, start)`, and
/// `(usize::MAX, count)` last.
fn runs(keys: impl Iterator<Item = usize>) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut count = 0;
    for (i, key) in keys.enumerate() {
        if runs.last().is_none_or(|&(last, _)| last != key) {
            runs.push((key, i));
        }
        count = i + 1;
    }
    runs.push((usize::MAX, count));
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Names that share long prefixes, as generated and renamed ones
        /// do, in cases that sort otherwise than their lowercase: the walk
        /// skips whole runs of them.
        #[test]
        fn names_with_shared_prefixes_answer_as_the_scan_does(
            name in "(monto|mnto|agregado|MONTO)[0-9]{0,4}",
            names in proptest::collection::vec(("(Monto|monto|MONTO|Agregado|agregado)", 0u32..3000), 0..60),
        ) {
            let names: Vec<String> = names.iter().map(|(word, n)| format!("{word}{n}")).collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let spelling = Spelling::new(names.iter().copied());
            proptest::prop_assert_eq!(spelling.closest(&name), super::super::did_you_mean(&name, names.iter().copied()));
        }
    }

    proptest::proptest! {
        /// Names made of a few words, asked about with words of their own
        /// and others: most are further than 2 edits, so the halves find
        /// the names walked.
        #[test]
        fn far_names_answer_as_the_scan_does(
            name in "((res|Tu|pago|usu|alfa|BRAVO|x)){2,7}",
            names in proptest::collection::vec("((res|tu|Pago|usu|ses|FAC|cli)){2,6}", 20..80),
        ) {
            let spelling = Spelling::new(names.iter().map(String::as_str));
            proptest::prop_assert_eq!(spelling.closest(&name), super::super::did_you_mean(&name, names.iter().map(String::as_str)));
        }
    }

    proptest::proptest! {
        /// A name with a quarter of it, at one end, replaced: found by the
        /// half at the other end.
        #[test]
        fn names_with_one_end_changed_answer_as_the_scan_does(
            names in proptest::collection::vec(
                "((Reserva|tutor|PAGO|usuario|sesion|factura|cliente|materia|hora|plan|cupon|lima)){3,6}",
                30..120,
            ),
            picked in proptest::prelude::any::<proptest::sample::Index>(),
            at_start in proptest::prelude::any::<bool>(),
            junk in "[xyzqXYZQ]{0,12}",
        ) {
            let name: Vec<char> = picked.get(&names).chars().collect();
            let junk: Vec<char> = junk.chars().take(name.len() / 4).collect();
            let asked: String = if at_start {
                junk.iter().chain(&name[junk.len()..]).collect()
            } else {
                name[..name.len() - junk.len()].iter().chain(&junk).collect()
            };
            let spelling = Spelling::new(names.iter().map(String::as_str));
            proptest::prop_assert_eq!(spelling.closest(&asked), super::super::did_you_mean(&asked, names.iter().map(String::as_str)));
        }
    }

    /// What `spelling` answers for `name`, and the cells its walks took.
    fn counted<'s>(spelling: &'s Spelling, name: &str) -> (Option<&'s str>, usize) {
        spelling.cells.store(0, std::sync::atomic::Ordering::Relaxed);
        let found = spelling.closest(name);
        (found, spelling.cells.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Names of six words each and misspellings of six other words: the
    /// shape of `scripts/bench-errors.sh`'s `refs-far`.
    fn six_words(count: usize) -> (Vec<String>, Vec<String>) {
        let words = ["Reserva", "Tutor", "Pago", "Usuario", "Sesion", "Factura"];
        let words = words.into_iter().chain(["Cliente", "Materia", "Horario", "Resena", "Cupon", "Plan"]);
        let words: Vec<&str> = words.collect();
        let others =
            ["alfa", "bravo", "delta", "eco", "golf", "hotel", "india", "kilo", "lima", "mike", "oscar", "papa"];
        (0..count)
            .map(|i| {
                let (mut name, mut asked, mut x) = (String::new(), String::from("Zz"), i);
                for k in 0..6 {
                    name.push_str(words[x % 12]);
                    asked.push_str(others[(x * 5 + k) % 12]);
                    x /= 12;
                }
                (name, asked)
            })
            .unzip()
    }

    /// Each far misspelling walks a few thousand cells, not most of the
    /// names: walked whole at a third of their length, these lookups took
    /// 184,440 cells each on average (440,169 at worst), and the mean grew
    /// 4.9× from 2,000 names; by their halves 2,511 (7,426 at worst), 1.8×
    /// the mean at 2,000, and with only the rows' bands 1,336 (4,043 at
    /// worst), 1.6×.
    #[test]
    fn a_far_misspelling_among_twenty_thousand_walks_a_few_prefixes() {
        let (names, asked) = six_words(20_000);
        let spelling = Spelling::new(names.iter().map(String::as_str));
        let mut cells = Vec::new();
        for name in asked.iter().step_by(200) {
            let (found, walked) = counted(&spelling, name);
            assert_eq!(found, None, "{name}");
            cells.push(walked);
        }
        let mean = cells.iter().sum::<usize>() / cells.len();
        assert!(mean < 2_000 && cells.iter().all(|&c| c < 6_000), "mean {mean}, {cells:?}");
        // What the scan answers for a few of them, and for names close
        // to one: found by the halves, or by the walks before them.
        for (i, name) in asked.iter().enumerate().step_by(7_001) {
            let scan = super::super::did_you_mean(name, names.iter().map(String::as_str));
            assert_eq!(spelling.closest(name), scan, "{name}");
            let mut near = names[i].clone();
            near.replace_range(8..11, "xyz");
            let scan = super::super::did_you_mean(&near, names.iter().map(String::as_str));
            assert!(scan.is_some());
            assert_eq!(spelling.closest(&near), scan, "{near}");
        }
    }

    /// A name as far as the limit allows, its edits split between the
    /// halves at each one's bound: 24 characters (a limit of 8, so 4
    /// edits for the first half, 3 for the second), 5 + 3 and 4 + 4
    /// letters replaced, among names far from it.
    #[test]
    fn names_at_the_limit_are_near_through_either_half() {
        let asked = "abcdefghijklmnopqrstuvwx";
        for close in ["zzzzzfghijklmnopqrstuyyy", "zzzzefghijklmnopqrstyyyy"] {
            let names: Vec<String> = (0..20).map(|i| format!("{i:0>24}")).chain([close.to_string()]).collect();
            let spelling = Spelling::new(names.iter().map(String::as_str));
            let query: Vec<char> = asked.chars().collect();
            let near = spelling.near(&query, 8, &mut Vec::new()).expect("a name or two of 21");
            assert_eq!(near.iter().map(|(_, name)| name.as_str()).collect::<Vec<_>>(), [close]);
            assert_eq!(spelling.closest(asked), Some(close));
            assert_eq!(super::super::did_you_mean(asked, names.iter().map(String::as_str)), Some(close));
        }
    }

    /// When most names may be close, the walk goes over all of them, with
    /// the same answers.
    #[test]
    fn most_names_near_are_walked_whole() {
        let names: Vec<String> = (0..2_000).map(|i| format!("AgregadoGrande{i}")).collect();
        let spelling = Spelling::new(names.iter().map(String::as_str));
        let asked = "AgregadoGrandeXYZWV";
        let query: Vec<char> = asked.to_lowercase().chars().collect();
        assert!(spelling.near(&query, 6, &mut Vec::new()).is_none());
        for asked in [asked, "AgregadoGrnd12345", "AgregadoGrandeXX1999"] {
            let scan = super::super::did_you_mean(asked, names.iter().map(String::as_str));
            assert_eq!(spelling.closest(asked), scan, "{asked}");
        }
    }

    /// The limit is a third of the name as written, not of its lowercase
    /// (`İ` lowercases to two characters).
    #[test]
    fn the_limit_is_counted_on_the_name_as_written() {
        assert_eq!(Spelling::new(["İİ"]).closest("İİİ"), None);
        assert_eq!(super::super::did_you_mean("İİİ", ["İİ"]), None);
        // And so is the longest name walked: 129 written, 257 lowercase.
        let long = "İ".repeat(129);
        let asked = format!("{}I", "İ".repeat(128));
        assert_eq!(Spelling::new([long.as_str()]).closest(&asked), Some(long.as_str()));
        assert_eq!(super::super::did_you_mean(&asked, [long.as_str()]), Some(long.as_str()));
    }

    /// Names up to the walked length answer as the scan does; a longer
    /// one has no answer, however close.
    #[test]
    fn long_names_answer_as_the_scan_does_up_to_the_walked_length() {
        let long = |seed: u64, len: usize| -> String {
            (0..len as u64).map(|i| char::from(b'a' + ((i * 7 + seed * 13 + i * i * seed) % 26) as u8)).collect()
        };
        let names: Vec<String> = (0..50).map(|s| long(s, 60 + s as usize)).chain([long(99, 3000)]).collect();
        let names: Vec<String> = names.into_iter().chain([long(98, 256), long(97, 257)]).collect();
        let spelling = Spelling::new(names.iter().map(String::as_str));
        let mut near = names[50].clone();
        near.remove(1500);
        let mut asked = vec![long(7, 3000), names[10][1..].to_string(), long(1000, 70)];
        asked.push(names[20].to_uppercase());
        // Walked: 60 characters, the names of 60 to 80 within reach.
        let mut walked = names[0].clone();
        walked.replace_range(5..6, "0");
        asked.push(walked);
        let mut longest = names[51].clone();
        longest.replace_range(100..103, "000");
        asked.push(longest);
        for name in &asked {
            let scan = super::super::did_you_mean(name, names.iter().map(String::as_str));
            assert_eq!(spelling.closest(name), scan, "{name}");
        }
        assert_eq!(spelling.closest(&asked[1]), Some(names[10].as_str()));
        assert_eq!(spelling.closest(&asked[3]), Some(names[20].as_str()));
        assert_eq!(spelling.closest(&asked[4]), Some(names[0].as_str()));
        assert_eq!(spelling.closest(&asked[5]), Some(names[51].as_str()));
        // Past it: a letter removed from 3,000, or changed in 257.
        assert_eq!(spelling.closest(&near), None);
        let mut past = names[52].clone();
        past.replace_range(100..101, "0");
        assert_eq!(spelling.closest(&past), None);
        assert!(super::super::did_you_mean(&past, names.iter().map(String::as_str)).is_some());
    }

    /// A family of long names, each asked about with its last letter
    /// changed: a row's band at 1 edit is 3 cells, not the 71 of a row
    /// (37,204 cells a lookup with whole rows; now 1,347).
    #[test]
    fn long_names_walk_the_band_of_each_row() {
        let family = "AgregadoConUnNombreMuyLargoQueSuperaElLimiteDePostgresqlYMasAun";
        let names: Vec<String> = (0..2_000).map(|i| format!("{family}{i:06}X")).collect();
        let spelling = Spelling::new(names.iter().map(String::as_str));
        for i in (0..2_000).step_by(97) {
            let (found, cells) = counted(&spelling, &format!("{family}{i:06}Y"));
            assert_eq!(found, Some(names[i].as_str()));
            assert!(cells < 3_000, "{i}: {cells} cells");
        }
    }

    /// The walk's work, counted in cells of the edit distance, not timed:
    /// comparing a name with each of 20,000 would be 20,000 × 13 × 14
    /// cells (3.6 million) per lookup; the walks take 162, 18 and 1,857.
    #[test]
    fn a_lookup_among_twenty_thousand_walks_a_few_prefixes() {
        let names: Vec<String> = (0..20_000).map(|i| format!("Agregado{i}")).collect();
        let spelling = Spelling::new(names.iter().map(String::as_str));
        for (asked, found) in
            [("Agregdo12345", "Agregado12345"), ("agregado7", "Agregado7"), ("Agregado1234x", "Agregado1234")]
        {
            let (answer, cells) = counted(&spelling, asked);
            assert_eq!(answer, Some(found));
            assert!(cells < 2_500, "{asked}: {cells} cells");
        }
    }

    #[test]
    fn a_name_with_none_close_among_thousands_has_no_answer() {
        let names: Vec<String> = (0..20_000).map(|i| format!("Agregado{i}")).collect();
        let spelling = Spelling::new(names.iter().map(String::as_str));
        assert_eq!(spelling.closest("Pedido"), None);
        assert!(Spelling::new([]).closest("x").is_none());
    }
}
