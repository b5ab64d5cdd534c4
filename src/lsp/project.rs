//! Which model a file belongs to, found as the command line finds it: the
//! nearest `dddc.toml` above the file and its `model`, else a file that
//! holds a `model` block itself, else the single `.ddd` file of a folder
//! above it.

use std::path::{Path, PathBuf};

use super::analysis::{absolute, ProjectSpec};
use crate::config::{self, Config};
use crate::diagnostics::FileId;
use crate::syntax::{self, ast};

/// The project of the file at `path` (absolute), whose text is `text`.
/// `ceiling` is the workspace folder the file is in, if any: the search
/// does not go above it. `None`: the file belongs to no model that can be
/// found.
pub fn discover(path: &Path, text: &str, ceiling: Option<&Path>) -> Option<ProjectSpec> {
    let start = path.parent()?;
    let folders: Vec<&Path> = start
        .ancestors()
        .scan(false, |done, dir| {
            if *done {
                return None;
            }
            *done = ceiling.is_some_and(|c| dir == c);
            Some(dir)
        })
        .collect();
    for dir in &folders {
        if dir.join("dddc.toml").is_file() {
            return Some(with_config(dir, path, text));
        }
    }
    if has_model_block(text) {
        return Some(ProjectSpec {
            dir: start.to_path_buf(),
            root: path.to_path_buf(),
            config: Config::default(),
            config_error: None,
        });
    }
    // The single `.ddd` file of a folder above, as `dddc` run there would
    // take (a few levels: a model's includes are near it).
    folders.iter().take(4).find_map(|dir| {
        let project = config::discover(Some(dir)).ok()?;
        let root = absolute(&project.model);
        (root != path).then(|| ProjectSpec { dir: dir.to_path_buf(), root, config: project.config, config_error: None })
    })
}

/// The project of a folder with a `dddc.toml`. When the file cannot be
/// read, the defaults stand in and the error is reported; the model is
/// then the file named by a readable `model` key, else the file itself
/// when it holds a `model` block, else the folder's single `.ddd` file.
fn with_config(dir: &Path, path: &Path, text: &str) -> ProjectSpec {
    match config::discover(Some(dir)) {
        Ok(p) => ProjectSpec { dir: dir.to_path_buf(), root: absolute(&p.model), config: p.config, config_error: None },
        Err(e) => {
            let named = std::fs::read_to_string(dir.join("dddc.toml"))
                .ok()
                .and_then(|t| t.parse::<toml::Table>().ok())
                .and_then(|t| t.get("model").and_then(|m| m.as_str()).map(|m| dir.join(m)))
                .filter(|p| p.is_file());
            let root = named.unwrap_or_else(|| {
                if has_model_block(text) {
                    return path.to_path_buf();
                }
                single_ddd(dir).unwrap_or_else(|| path.to_path_buf())
            });
            ProjectSpec {
                dir: dir.to_path_buf(),
                root: absolute(&root),
                config: Config::default(),
                config_error: Some(e),
            }
        }
    }
}

fn single_ddd(dir: &Path) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "ddd") && p.is_file())
        .collect();
    (found.len() == 1).then(|| found.remove(0))
}

/// Whether a text declares a `model` block (the root of a model).
pub fn has_model_block(text: &str) -> bool {
    // Cheap before exact: most files do not mention the word at all.
    if !text.contains("model") {
        return false;
    }
    syntax::parse(FileId(0), text).file.is_some_and(|f| f.items.iter().any(|i| matches!(i, ast::TopItem::Model(_))))
}
