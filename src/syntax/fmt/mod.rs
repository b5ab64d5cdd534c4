//! The canonical layout of `.ddd` source (`dddc fmt`).

mod expr;

pub use expr::{expr_to_string, literal_to_string, quote_string};
