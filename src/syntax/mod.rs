//! Syntax: source text → typed AST ([`ast`]).
//!
//! Parsing never fails outright: a line that is not valid becomes a syntax
//! diagnostic (see [`errors`]) and the rest of the file is still read, so a
//! run reports every broken line at once. `pest::iterators::Pair` never leaves
//! this module.

pub mod ast;
mod build;
mod comments;
mod errors;
pub mod fmt;
pub mod limits;

use pest::Parser;
use pest_derive::Parser;

use crate::diagnostics::{Diagnostic, FileId};

#[derive(Parser)]
#[grammar = "../grammar/ddd.pest"]
pub(crate) struct DddParser;

/// The result of parsing one file: the tree (when the file's structure could be
/// read at all) and the syntax diagnostics.
pub struct Parsed {
    pub file: Option<ast::SourceFile>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses one source file. Never panics, whatever the input.
pub fn parse(file: FileId, text: &str) -> Parsed {
    if let Some(d) = limits::check(file, text) {
        return Parsed { file: None, diagnostics: vec![d] };
    }
    match DddParser::parse(Rule::file, text) {
        Ok(mut pairs) => {
            let Some(root) = pairs.next() else {
                return Parsed { file: None, diagnostics: vec![] };
            };
            let literal_spans = comments::literal_spans(root.clone());
            let comments = comments::collect(text, file, &literal_spans);
            let mut builder = build::Builder::new(file, text, comments);
            let ast = builder.file(root);
            let mut diagnostics = builder.diagnostics;
            // A `///` right above a broken line documents what the line meant
            // to declare: saying it documents nothing would be a cascade.
            diagnostics.retain(|d| {
                let Some(p) = d.primary.as_ref().filter(|_| d.code == crate::diagnostics::codes::id::W0001) else {
                    return true;
                };
                let after = p.span.end as usize;
                let next = after + text[after..].len() - text[after..].trim_start().len();
                !builder.junk.iter().any(|j| j.start == next)
            });
            for junk in builder.junk {
                diagnostics.push(errors::explain_junk(file, text, &junk));
            }
            Parsed { file: Some(ast), diagnostics }
        }
        Err(err) => Parsed { file: None, diagnostics: vec![errors::from_pest(file, text, &err, Rule::file, false)] },
    }
}

/// Whether `name` can be written unquoted in the grammar as an identifier.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
