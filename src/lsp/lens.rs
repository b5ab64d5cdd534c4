//! The code lens on the model block: the migration the next `dddc build`
//! would write, in one line (`2 changes: add column …, rename …`).
//! Its command, `dddc.showPlan`, is the editor's: the VS Code extension
//! shows `dddc plan`'s SQL for the project folder it is given.

use lsp_types::{CodeLens, Command};
use serde_json::json;

use super::analysis::Pending;
use super::index::Kind;
use super::view::View;
use crate::diagnostics::FileId;

/// How many changes the title names before "…".
const NAMED: usize = 3;

pub fn code_lens(view: &View<'_>, file: FileId) -> Vec<CodeLens> {
    let snap = view.snap;
    let Some(model) = snap.index.symbols.iter().find(|s| s.kind == Kind::Model && s.decl.file == file) else {
        return Vec::new();
    };
    // Only the model block that is the model's (a second one is an error).
    if snap.files.first().map(|(f, _)| *f) != Some(file) {
        return Vec::new();
    }
    let dir = snap.spec.dir.to_string_lossy().into_owned();
    vec![CodeLens {
        range: view.range(model.decl),
        command: Some(Command {
            title: title(&snap.pending),
            command: "dddc.showPlan".into(),
            arguments: Some(vec![json!(dir)]),
        }),
        data: None,
    }]
}

pub fn title(p: &Pending) -> String {
    match p {
        Pending::Unknown => "pending migration: fix the model's errors to see it".into(),
        Pending::LockError(e) => format!("pending migration unknown: {e}"),
        Pending::FirstBuild { tables } => {
            format!("no migration yet: the first `dddc build` writes V1 ({tables} table{})", plural(*tables))
        }
        Pending::Changes { changes, refused } if *refused > 0 => format!(
            "{refused} change{} refused (would lose data): see the errors; {} other change{}",
            plural(*refused),
            changes.len(),
            plural(changes.len())
        ),
        Pending::Changes { changes, .. } if changes.is_empty() => "up to date: no pending migration".into(),
        Pending::Changes { changes, .. } => {
            let mut named: Vec<&str> = changes.iter().take(NAMED).map(String::as_str).collect();
            if changes.len() > NAMED {
                named.push("…");
            }
            format!("{} change{}: {}", changes.len(), plural(changes.len()), named.join(", "))
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_name_the_first_changes() {
        let p =
            Pending::Changes { changes: vec!["add column a.b".into(), "rename column a.c to d".into()], refused: 0 };
        assert_eq!(title(&p), "2 changes: add column a.b, rename column a.c to d");
        let many = Pending::Changes { changes: (0..5).map(|i| format!("c{i}")).collect(), refused: 0 };
        assert_eq!(title(&many), "5 changes: c0, c1, c2, …");
        assert_eq!(title(&Pending::Changes { changes: vec![], refused: 0 }), "up to date: no pending migration");
        assert!(title(&Pending::FirstBuild { tables: 1 }).ends_with("(1 table)"));
    }
}
