//! A coverage-guided fuzz target for the parser alone, run by AFL++ through
//! cargo-afl: `TARGET=parse scripts/fuzz-afl.sh`.
//!
//! A file is read by the hand-written parser (`dddc::syntax`'s `fast`)
//! when it has no broken line, and by pest's generated parser otherwise.
//! cargo-afl builds with debug assertions, and with them `syntax::parse`
//! parses every file both ways: where the hand-written parser reads a file,
//! its tree must be pest's pair for pair, and where it gives up, pest must
//! read junk or fail. Either mismatch panics, and AFL reports it. Without
//! the rest of the pipeline it runs thousands of inputs a second instead of
//! about sixty.

fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(text) = std::str::from_utf8(data) {
            let _ = dddc::syntax::parse(dddc::diagnostics::FileId(0), text);
        }
    });
}
