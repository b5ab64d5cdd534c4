//! Helpers shared by the integration tests. Each test binary includes this
//! with `mod support;` and uses only part of it, hence `allow(dead_code)`.
#![allow(dead_code)]

pub mod catalog;
pub mod cli;
pub mod lock_audit;
pub mod pg;
