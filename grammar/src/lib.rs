//! The `.ddd` grammar (`grammar/ddd.pest`) as pest's generated parser.
//!
//! dddc parses with a hand-written parser (`src/syntax/fast.rs`) that gives
//! the same pairs; pest's parser reads the files that parser gives up on,
//! gives the syntax errors their expected tokens, and in debug builds
//! (every test, the fuzzer) parses every file again to check the other's
//! tree. It is a crate of its own so that the tests can run it optimised
//! (`[profile.dev.package.dddc-grammar]` in dddc's `Cargo.toml`): compiled
//! inside dddc, at dddc's opt-level 0, that check was most of a debug
//! build's parsing (about 600 of 730 ms on 500 aggregates).

use pest_derive::Parser;

/// pest's parser of the grammar; [`Rule`] names its rules.
#[derive(Parser)]
#[grammar = "../ddd.pest"]
pub struct DddParser;
