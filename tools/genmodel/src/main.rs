//! `genmodel`: writes a generated dddc project (and the same-shaped DBML).
//!
//! ```text
//! genmodel --aggregates 2000 [--fields 12] [--per-context 50] [--no-docs]
//!          [--added-field] [--tenants] [--rich] [--single-file] [--dbml FILE] OUT_DIR
//! ```
//!
//! `OUT_DIR` receives `dddc.toml`, `model.ddd` and `contexts/*.ddd` (or only
//! `model.ddd` with `--single-file`). `--dbml FILE` also writes the DBML.
//!
//! ```text
//! genmodel --odd SHAPE --size N [--edited] OUT_DIR
//! ```
//!
//! writes one of the unusual shapes of `odd.rs` (`dddc.toml` and
//! `model.ddd`), before or after its edit.

mod odd;

use std::path::PathBuf;
use std::process::ExitCode;

use genmodel::Shape;

const USAGE: &str = "usage: genmodel --aggregates N [--fields C] [--per-context K] [--no-docs] [--added-field] [--tenants] [--rich] [--single-file] [--dbml FILE] OUT_DIR\n       genmodel --odd SHAPE --size N [--edited] OUT_DIR   (SHAPE: invariants, indexes, entities, enum, enum-uses, was-enums, hub, publication, role, docs, rename, contexts, events, audited, values, files, mitoga)";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("genmodel: {e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    let mut shape = Shape::new(0, 12);
    let mut out: Option<PathBuf> = None;
    let mut dbml: Option<PathBuf> = None;
    let mut single = false;
    let (mut odd, mut size, mut edited) = (None::<String>, 0, false);
    let mut args = args.into_iter();
    while let Some(a) = args.next() {
        let mut number = |name: &str| -> Result<usize, String> {
            let v = args.next().ok_or_else(|| format!("{name} needs a value"))?;
            v.parse().map_err(|_| format!("{name}: `{v}` is not a number"))
        };
        match a.as_str() {
            "--aggregates" => shape.aggregates = number("--aggregates")?,
            "--fields" => shape.fields = number("--fields")?,
            "--per-context" => shape.per_context = number("--per-context")?,
            "--no-docs" => shape.docs = false,
            "--added-field" => shape.added_field = true,
            "--tenants" => shape.tenants = true,
            "--rich" => shape.rich = true,
            "--single-file" => single = true,
            "--odd" => odd = Some(args.next().ok_or("--odd needs a shape")?),
            "--size" => size = number("--size")?,
            "--edited" => edited = true,
            "--dbml" => dbml = Some(args.next().ok_or("--dbml needs a file")?.into()),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            s if s.starts_with('-') => return Err(format!("unknown option `{s}`")),
            s => out = Some(s.into()),
        }
    }
    if let Some(name) = odd {
        let out = out.ok_or("no output folder")?;
        let files = odd::files(&name, size, edited)?;
        for (path, text) in files {
            let path = out.join(path);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        return std::fs::write(out.join("dddc.toml"), genmodel::CONFIG)
            .map_err(|e| format!("cannot write dddc.toml: {e}"));
    }
    if shape.aggregates == 0 {
        return Err("--aggregates must be at least 1".into());
    }
    let out = out.ok_or("no output folder")?;
    let files = genmodel::project(&shape, single);
    for f in files {
        let path = out.join(&f.path);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(|e| format!("cannot create {}: {e}", p.display()))?;
        }
        std::fs::write(&path, f.text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    if let Some(path) = dbml {
        std::fs::write(&path, genmodel::dbml(&shape)).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}
