//! `dddc.toml`: every key optional, unknown keys rejected (a typo in CI
//! configuration should fail loudly, not be ignored).

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The root model file, relative to the project folder.
    pub model: Option<String>,
    /// The oldest dddc that may work on this project (`"0.2.0"`): an older
    /// one stops with a message instead of writing files the team's other
    /// machines would write differently.
    pub min_version: Option<String>,
    pub migrations: Migrations,
    pub docs: Docs,
    pub lint: Lint,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Migrations {
    pub dir: String,
    pub versioning: Versioning,
    pub undo: bool,
    /// `SET lock_timeout` before statements that take a lock stronger than
    /// SHARE UPDATE EXCLUSIVE on an existing table: such a statement that
    /// waits behind a long transaction fails instead of queueing every
    /// query on the table behind it. PostgreSQL syntax: `5s`, `500ms`,
    /// `1min`; `0` waits forever.
    pub lock_timeout: String,
    /// `SET statement_timeout` at the top of every migration; `0` (the
    /// default) is no limit, written out so that a server or role default
    /// cannot cut a validation or a backfill half-way.
    pub statement_timeout: String,
    /// Rows per transaction of a batched backfill.
    pub backfill_batch: u64,
    /// When a backfill of existing rows runs in batches, each committed on
    /// its own: `auto` (unless the aggregate's `expected_rows` is at most
    /// `backfill_batch`), `always` or `never`.
    pub batch_backfills: BatchBackfills,
}

impl Default for Migrations {
    fn default() -> Self {
        Migrations {
            dir: "db/migration".into(),
            versioning: Versioning::Sequence,
            undo: true,
            lock_timeout: "5s".into(),
            statement_timeout: "0".into(),
            backfill_batch: 10_000,
            batch_backfills: BatchBackfills::Auto,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum BatchBackfills {
    #[default]
    Auto,
    Always,
    Never,
}

/// A PostgreSQL duration setting as `dddc.toml` may give it: a whole
/// number, optionally followed by `ms`, `s`, `min`, `h` or `d`.
pub fn is_duration(text: &str) -> bool {
    let digits = text.chars().take_while(|c| c.is_ascii_digit()).count();
    digits > 0 && matches!(&text[digits..], "" | "ms" | "s" | "min" | "h" | "d")
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Versioning {
    #[default]
    Sequence,
    Timestamp,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Docs {
    pub dir: String,
    pub language: Language,
    pub mermaid: bool,
    pub html: bool,
    /// A folder whose templates override the built-in ones, by file name.
    pub templates: Option<String>,
    /// How many steps one render of a template may take while the project
    /// replaces any: a template whose loops never end stops with an error.
    pub template_steps: u64,
}

/// [`Docs::template_steps`] when unset: the built-in templates, replaced
/// by copies of themselves, took under 10,000,000 steps per render on the
/// generated model of 20,000 aggregates (`docs/configuration.md`); this
/// many take about 3.5 s on the machine of `docs/performance.md`.
pub const DEFAULT_TEMPLATE_STEPS: u64 = 100_000_000;

impl Default for Docs {
    fn default() -> Self {
        Docs {
            dir: "docs".into(),
            language: Language::En,
            mermaid: false,
            html: false,
            templates: None,
            template_steps: DEFAULT_TEMPLATE_STEPS,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Es,
}

/// The design score below which `lint` and `check` fail when `[lint]
/// min_score` is not set (the seed's threshold).
pub const DEFAULT_MIN_SCORE: u32 = 85;

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Lint {
    pub min_score: Option<u32>,
    pub deny: Vec<String>,
    pub allow: Vec<String>,
}

/// Where a command's files are.
#[derive(Debug, Clone)]
pub struct Project {
    /// The folder holding `dddc.toml` (or the model), against which output
    /// paths are resolved.
    pub dir: PathBuf,
    /// The root model file.
    pub model: PathBuf,
    pub config: Config,
}

/// Finds the model: the `MODEL` argument (a file or a folder), else `model`
/// in `dddc.toml`, else the single `*.ddd` file of the folder.
pub fn discover(arg: Option<&Path>) -> Result<Project, String> {
    let (dir, explicit_file) = match arg {
        Some(p) if p.is_dir() => (p.to_path_buf(), None),
        Some(p) if p.is_file() => (p.parent().map(Path::to_path_buf).unwrap_or_default(), Some(p.to_path_buf())),
        Some(p) => return Err(format!("`{}` is neither a .ddd file nor a folder", p.display())),
        None => (PathBuf::from("."), None),
    };
    let config = load_config(&dir)?;
    if let Some(file) = explicit_file {
        return Ok(Project { dir, model: file, config });
    }
    if let Some(m) = &config.model {
        let model = dir.join(m);
        if !model.is_file() {
            return Err(format!("`model = \"{m}\"` in {}: no such file", dir.join("dddc.toml").display()));
        }
        return Ok(Project { dir, model, config });
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot read folder `{}`: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ddd") && p.is_file())
        .collect();
    found.sort();
    match found.len() {
        1 => Ok(Project { dir, model: found.remove(0), config }),
        0 => Err(format!(
            "no model in `{}`: pass a .ddd file, set `model` in dddc.toml, or run `dddc init`",
            dir.display()
        )),
        n => {
            // The first few by name: a folder of 10,000 models was one
            // line of 10,000 names.
            const SHOWN: usize = 5;
            let mut names: Vec<String> = found
                .iter()
                .take(SHOWN)
                .filter_map(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .collect();
            if n > SHOWN {
                names.push(format!("and {} more", n - SHOWN));
            }
            Err(format!(
                "several .ddd files in `{}` ({}): set `model = \"…\"` in dddc.toml or pass the file",
                dir.display(),
                names.join(", ")
            ))
        }
    }
}

pub fn load_config(dir: &Path) -> Result<Config, String> {
    let path = dir.join("dddc.toml");
    match crate::files::read_regular_to_string(&path) {
        Ok(text) => {
            let config: Config = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            let m = &config.migrations;
            for (key, value) in [("lock_timeout", &m.lock_timeout), ("statement_timeout", &m.statement_timeout)] {
                if !is_duration(value) {
                    return Err(format!(
                        "{}: [migrations] {key} = \"{value}\" is not a duration PostgreSQL reads (e.g. \"5s\", \"500ms\", \"1min\", \"0\")",
                        path.display()
                    ));
                }
            }
            if m.backfill_batch == 0 {
                return Err(format!("{}: [migrations] backfill_batch must be at least 1", path.display()));
            }
            // minijinja keeps its fuel as an `isize`.
            if !(1..=i64::MAX as u64).contains(&config.docs.template_steps) {
                return Err(format!(
                    "{}: [docs] template_steps must be from 1 to {} (default {DEFAULT_TEMPLATE_STEPS})",
                    path.display(),
                    i64::MAX
                ));
            }
            if let Some(min) = &config.min_version {
                let Some(wanted) = parse_version(min) else {
                    return Err(format!(
                        "{}: min_version = \"{min}\" is not a version (e.g. \"0.2.0\")",
                        path.display()
                    ));
                };
                let this = env!("CARGO_PKG_VERSION");
                if parse_version(this).is_some_and(|v| v < wanted) {
                    return Err(format!(
                        "{}: this project needs dddc {min} or newer, and this is dddc {this}: install a newer dddc (cargo install --locked --git …, see the README)",
                        path.display()
                    ));
                }
            }
            Ok(config)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// `"1.2.3"` (or `"1.2"`) as comparable numbers.
pub fn parse_version(text: &str) -> Option<(u64, u64, u64)> {
    let mut parts = text.trim().trim_start_matches('v').split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    let patch = parts.next().map_or(Some(0), |p| p.split('-').next().and_then(|x| x.parse().ok()))?;
    if parts.next().is_some() {
        return None;
    }
    Some((major, minor, patch))
}

/// Every key of `dddc.toml`, for `docs/configuration.md`: `(section, key,
/// default, example, description)`, the section empty for the top level,
/// default and example written as TOML. Defaults are read from the
/// `Default`s above, so the documentation cannot drift from the code;
/// `tests/docs.rs` writes the document's table from this list and checks
/// that it names every key serde accepts.
pub fn documented_keys() -> Vec<(&'static str, &'static str, String, &'static str, &'static str)> {
    let d = Config::default();
    let text = |v: &str| format!("\"{v}\"");
    let unset = || "(unset)".to_string();
    let list = |v: &[String]| format!("[{}]", v.iter().map(|x| text(x)).collect::<Vec<_>>().join(", "));
    let (m, docs, lint) = (&d.migrations, &d.docs, &d.lint);
    vec![
        ("", "model", d.model.as_deref().map_or_else(unset, text), "\"mitoga.ddd\"",
         "The root model file, relative to the project folder. Unset: the `MODEL` argument, else the single `*.ddd` file of the folder."),
        ("", "min_version", d.min_version.as_deref().map_or_else(unset, text), "\"0.2.0\"",
         "The oldest dddc that may work on the project: an older one stops with a message instead of writing files the team's other machines would write differently."),
        ("migrations", "dir", text(&m.dir), "\"src/main/resources/db/migration\"",
         "Where migrations, their undo scripts and the lock (`dddc.lock`, `dddc.schema`) are written."),
        ("migrations", "versioning", text(match m.versioning { Versioning::Sequence => "sequence", Versioning::Timestamp => "timestamp" }), "\"timestamp\"",
         "`sequence` numbers migrations V1, V2…; `timestamp` uses `YYYYMMDDHHMMSS` (UTC, `SOURCE_DATE_EPOCH` when set), for branches that add migrations in parallel."),
        ("migrations", "undo", m.undo.to_string(), "false",
         "Also write `U<version>__<name>.sql`, Flyway's undo script, next to every migration."),
        ("migrations", "lock_timeout", text(&m.lock_timeout), "\"2s\"",
         "`SET lock_timeout` before statements that take a strong lock on an existing table: behind a long transaction they fail instead of queueing every query on the table. `0` waits forever."),
        ("migrations", "statement_timeout", text(&m.statement_timeout), "\"30min\"",
         "`SET statement_timeout` at the top of every migration; `0` is no limit, written out so that a server or role default cannot cut a validation or a backfill half-way."),
        ("migrations", "backfill_batch", m.backfill_batch.to_string(), "50000",
         "Rows per transaction of a batched backfill (at least 1)."),
        ("migrations", "batch_backfills", text(match m.batch_backfills { BatchBackfills::Auto => "auto", BatchBackfills::Always => "always", BatchBackfills::Never => "never" }), "\"always\"",
         "When a backfill of existing rows runs in batches, each committed on its own: `auto` (unless the aggregate's `expected_rows` is at most `backfill_batch`: one `UPDATE` holds every row it fills until it commits, and blocks the application's writes to them), `always` or `never`."),
        ("docs", "dir", text(&docs.dir), "\"doc/database\"",
         "Where the documentation is written: ERDs (`erd/*.puml` and `erd/*.svg`), the data dictionary, the model document and the site."),
        ("docs", "language", text(match docs.language { Language::En => "en", Language::Es => "es" }), "\"es\"",
         "The language of every generated sentence: headings, labels and file names of the documents, and the comments dddc writes into the database (functions, audit log, event tables). The model's own doc comments are kept as written."),
        ("docs", "mermaid", docs.mermaid.to_string(), "true",
         "Also embed each context's diagram as a Mermaid `erDiagram` block in the model document (drawn by code hosts that render Mermaid)."),
        ("docs", "html", docs.html.to_string(), "true",
         "Also write the browsable HTML site under `<dir>/site/`: every diagram as a picture, every context, aggregate, table and column, the design review and a search box; it works offline, opened from the disk."),
        ("docs", "templates", docs.templates.as_deref().map_or_else(unset, text), "\"doc-templates\"",
         "A folder of templates (and the site's `site.css`, `site.js`) that replace the built-in ones of the same file name; a file there that replaces nothing is an error."),
        ("docs", "template_steps", docs.template_steps.to_string(), "500000000",
         "While the project replaces any template, how many steps (minijinja's fuel: about one per instruction) one render may take before it is stopped with an error: a template whose loops never end (100,000 × 100,000) would hang `build` for good. The built-in templates, replaced by copies of themselves, took under 10,000,000 per render on the generated model of 20,000 aggregates (a context per 50), and 100,000,000 steps of a loop take about 3.5 s on the machine of `performance.md`."),
        ("lint", "min_score", lint.min_score.map_or_else(|| format!("(unset: {DEFAULT_MIN_SCORE})"), |s| s.to_string()), "90",
         "The design score below which `dddc lint` and `dddc check` fail (`--min-score` overrides it)."),
        ("lint", "deny", list(&lint.deny), "[\"L019\"]",
         "Rules (codes or names) whose findings become errors."),
        ("lint", "allow", list(&lint.allow), "[\"L018\"]",
         "Rules (codes or names) switched off for the whole project; prefer `@allow(CODE, \"reason\")` on the declaration."),
    ]
}
