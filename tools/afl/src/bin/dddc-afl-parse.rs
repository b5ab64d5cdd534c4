//! A coverage-guided fuzz target for the parser alone, run by AFL++ through
//! cargo-afl: `TARGET=parse scripts/fuzz-afl.sh`.
//!
//! `dddc::syntax` reads a file with its hand-written parser (`fast`), junk
//! lines included; pest's generated parser would read it only where the
//! grammar does not (no such file is known). cargo-afl builds with debug assertions, and with them
//! `syntax::parse` parses every file both ways: where the hand-written
//! parser reads a file, its tree must be pest's pair for pair, and where it
//! gives up because the grammar does not read the file, pest must fail too.
//! Either mismatch panics, and AFL reports it; so does a hang of either
//! parser. Without the rest of the pipeline it ran 574-797 inputs a second
//! in the thirteenth session's runs, the pipeline target 60-340.

fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(text) = std::str::from_utf8(data) {
            let _ = dddc::syntax::parse(dddc::diagnostics::FileId(0), text);
        }
    });
}
