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
//! characters are left.

/// The longest name (in characters, lowercase) whose closest is found by
/// a walk: PostgreSQL's identifiers are at most 63 bytes, and a walk keeps
/// a row per character of the names walked (at most a third more than the
/// name's), each as long as the name.
const WALKED: usize = 64;

/// Names to find the closest of, sorted by length, then by their
/// lowercase characters.
#[derive(Debug, Default)]
pub struct Spelling {
    /// Each name's lowercase characters and the name itself, sorted.
    names: Vec<(Box<[char]>, String)>,
    /// Where the names of each length (in characters) begin in `names`,
    /// shortest first, and `(usize::MAX, names.len())` last.
    lengths: Vec<(usize, usize)>,
    /// How many cells of the edit distance the walks computed: what the
    /// tests bound instead of a time.
    #[cfg(test)]
    cells: std::sync::atomic::AtomicUsize,
}

impl Spelling {
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut names: Vec<(Box<[char]>, String)> =
            names.into_iter().map(|n| (n.to_lowercase().chars().collect(), n.to_string())).collect();
        names.sort_unstable_by(|a, b| (a.0.len(), a).cmp(&(b.0.len(), b)));
        names.dedup();
        let mut lengths = Vec::new();
        for (i, (key, _)) in names.iter().enumerate() {
            if lengths.last().is_none_or(|&(len, _)| len != key.len()) {
                lengths.push((key.len(), i));
            }
        }
        lengths.push((usize::MAX, names.len()));
        Spelling {
            names,
            lengths,
            #[cfg(test)]
            cells: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// What [`super::did_you_mean`] answers for `name` among these names:
    /// the closest within a third of its length (at least 1), case aside;
    /// of equally close ones, the first in string order.
    ///
    /// Walked with a bound raised from 0 up to the limit (by one to 4,
    /// then doubled), so that the walk for a name one edit away prunes
    /// every prefix more than one edit away from the name's prefixes: in a
    /// single walk at the limit, 20,000 names numbered alike were all
    /// within 4 edits of `Agregdo12345` until their last digit, and every
    /// one was walked. A name longer than [`WALKED`] characters is
    /// compared with every name instead, as `did_you_mean` does: its rows
    /// would be as many as its characters, each as long, walked once per
    /// bound (a name of 3,000 letters took 2 s a lookup).
    pub fn closest(&self, name: &str) -> Option<&str> {
        let query: Vec<char> = name.to_lowercase().chars().collect();
        if query.len() > WALKED {
            return super::did_you_mean(name, self.names.iter().map(|(_, n)| n.as_str()));
        }
        let limit = (name.chars().count() / 3).max(1);
        let mut rows = Vec::new();
        let mut within = 0;
        loop {
            if let Some(found) = self.walk(&query, within, &mut rows) {
                return Some(found);
            }
            if within >= limit {
                return None;
            }
            within = if within < 4 { within + 1 } else { within * 2 }.min(limit);
        }
    }

    /// The first name in string order of those at most `within` edits
    /// from `query`, the closest first; `rows` is scratch.
    fn walk(&self, query: &[char], within: usize, rows: &mut Vec<usize>) -> Option<&str> {
        let mut best: Option<(usize, &str)> = None;
        for pair in self.lengths.windows(2) {
            let [(len, start), (_, end)] = [pair[0], pair[1]];
            // The distance is at least the difference in length.
            if len.abs_diff(query.len()) > within {
                continue;
            }
            if let Some((d, name)) = self.walk_length(&self.names[start..end], query, within, rows) {
                if best.is_none_or(|b| (d, name) < b) {
                    best = Some((d, name));
                }
            }
        }
        best.map(|(_, n)| n)
    }

    /// [`Spelling::walk`] among `names`, all of one length, as a trie.
    fn walk_length<'s>(
        &self,
        names: &'s [(Box<[char]>, String)],
        query: &[char],
        within: usize,
        rows: &mut Vec<usize>,
    ) -> Option<(usize, &'s str)> {
        let width = query.len() + 1;
        // `rows[d * width..][..width]`: the distances from the prefix of
        // `d` characters of the name last walked to each prefix of the
        // query. Rows up to `walked` are those of `last`'s prefixes.
        rows.clear();
        rows.extend(0..width);
        let mut last: &[char] = &[];
        let mut walked = 0;
        let mut best: Option<(usize, &str)> = None;
        let mut i = 0;
        while let Some((key, original)) = names.get(i) {
            let shared = key.iter().zip(last).take_while(|(a, b)| a == b).count();
            let mut depth = shared.min(walked);
            let mut pruned = false;
            while depth < key.len() {
                depth += 1;
                rows.resize((depth + 1) * width, 0);
                #[cfg(test)]
                self.cells.fetch_add(width, std::sync::atomic::Ordering::Relaxed);
                let (before, row) = rows.split_at_mut(depth * width);
                let above = &before[(depth - 1) * width..];
                row[0] = depth;
                let c = key[depth - 1];
                for (j, q) in query.iter().enumerate() {
                    row[j + 1] = (above[j] + usize::from(c != *q)).min(above[j + 1] + 1).min(row[j] + 1);
                }
                // Every way to the last cell crosses this row, a cell is
                // never less than the one it comes from, and from cell `j`
                // the rest of the name and of the query differ in length
                // by at least as many edits.
                let left = key.len() - depth;
                if row.iter().enumerate().all(|(j, &d)| d + left.abs_diff(query.len() - j) > within) {
                    pruned = true;
                    break;
                }
            }
            last = key;
            walked = depth;
            if pruned {
                // Skip every name under this prefix: they follow it.
                let prefix = &key[..depth];
                i += names[i..].partition_point(|(k, _)| k.starts_with(prefix));
                continue;
            }
            let d = rows[depth * width + width - 1];
            if d <= within && best.is_none_or(|b| (d, original.as_str()) < b) {
                best = Some((d, original));
            }
            i += 1;
        }
        best
    }
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

    /// The limit is a third of the name as written, not of its lowercase
    /// (`İ` lowercases to two characters).
    #[test]
    fn the_limit_is_counted_on_the_name_as_written() {
        assert_eq!(Spelling::new(["İİ"]).closest("İİİ"), None);
        assert_eq!(super::super::did_you_mean("İİİ", ["İİ"]), None);
    }

    /// A name past the walked length is compared with every name, with
    /// the same answers.
    #[test]
    fn long_names_answer_as_the_scan_does() {
        let long = |seed: u64, len: usize| -> String {
            (0..len as u64).map(|i| char::from(b'a' + ((i * 7 + seed * 13 + i * i * seed) % 26) as u8)).collect()
        };
        let names: Vec<String> = (0..50).map(|s| long(s, 60 + s as usize)).chain([long(99, 3000)]).collect();
        let spelling = Spelling::new(names.iter().map(String::as_str));
        let mut near = names[50].clone();
        near.remove(1500);
        let mut asked = vec![near, long(7, 3000), names[10][1..].to_string(), long(1000, 70)];
        asked.push(names[20].to_uppercase());
        // Walked: 60 characters, the names of 60 to 80 within reach.
        let mut walked = names[0].clone();
        walked.replace_range(5..6, "0");
        asked.push(walked);
        for name in &asked {
            let scan = super::super::did_you_mean(name, names.iter().map(String::as_str));
            assert_eq!(spelling.closest(name), scan, "{name}");
        }
        assert_eq!(spelling.closest(&asked[0]), Some(names[50].as_str()));
        assert_eq!(spelling.closest(&asked[2]), Some(names[10].as_str()));
        assert_eq!(spelling.closest(&asked[4]), Some(names[20].as_str()));
        assert_eq!(spelling.closest(&asked[5]), Some(names[0].as_str()));
    }

    /// The walk's work, counted in cells of the edit distance, not timed:
    /// comparing a name with each of 20,000 would be 20,000 × 13 × 14
    /// cells (3.6 million) per lookup.
    #[test]
    fn a_lookup_among_twenty_thousand_walks_a_few_prefixes() {
        let names: Vec<String> = (0..20_000).map(|i| format!("Agregado{i}")).collect();
        let spelling = Spelling::new(names.iter().map(String::as_str));
        for (asked, found) in
            [("Agregdo12345", "Agregado12345"), ("agregado7", "Agregado7"), ("Agregado1234x", "Agregado1234")]
        {
            spelling.cells.store(0, std::sync::atomic::Ordering::Relaxed);
            assert_eq!(spelling.closest(asked), Some(found));
            let cells = spelling.cells.load(std::sync::atomic::Ordering::Relaxed);
            assert!(cells < 20_000, "{asked}: {cells} cells");
        }
    }

    #[test]
    fn a_misspelt_name_finds_its_own_among_thousands() {
        let names: Vec<String> = (0..20_000).map(|i| format!("Agregado{i}")).collect();
        let spelling = Spelling::new(names.iter().map(String::as_str));
        assert_eq!(spelling.closest("Agregdo12345"), Some("Agregado12345"));
        assert_eq!(spelling.closest("agregado7"), Some("Agregado7"));
        assert_eq!(spelling.closest("Pedido"), None);
        assert!(Spelling::new([]).closest("x").is_none());
    }
}
