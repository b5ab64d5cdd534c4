//! What a user can do to dddc's input and to its runs: hostile model text
//! (NUL bytes, nesting deep enough to exhaust a recursive parser, a byte-order
//! mark), a build killed half-way, two builds at once, output piped into a
//! closed pipe. Each ends in a clear diagnostic or a consistent project,
//! never a panic.

mod support;

#[path = "../tools/genmodel/src/lib.rs"]
#[allow(dead_code)]
mod genmodel;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

const MODEL: &str = "/// Tienda.
model tienda {
  target postgres 16
  tables plural_es
}

/// Ventas.
context ventas {
  /// Un cliente.
  aggregate Cliente {
    /// Nombre completo.
    nombre: text(100)
  }
}
";

use support::cli::{dddc, stderr};

fn project(model: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("tienda.ddd"), model).expect("write model");
    dir
}

/// A run that fails on the model exits 1 with a coded diagnostic, and no
/// panic (exit 101) or signal.
#[track_caller]
fn rejected(model: &[u8], code: &str, message: &str) {
    let dir = project(model);
    let o = dddc(dir.path(), &["validate"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains(&format!("error[{code}]")), "{}", &err[..err.len().min(2000)]);
    assert!(err.contains(message), "{}", &err[..err.len().min(2000)]);
}

#[test]
fn deep_parentheses_are_an_error_not_a_crash() {
    for depth in [65, 800, 9_999, 100_000] {
        let model = format!(
            "model m {{ target postgres 16 }}\ncontext c {{\n  aggregate A {{\n    x: int\n    invariant i: {}x > 1{}\n  }}\n}}\n",
            "(".repeat(depth),
            ")".repeat(depth)
        );
        rejected(model.as_bytes(), "E0001", "nesting deeper than 64 levels");
    }
}

#[test]
fn long_prefix_operator_runs_are_an_error_not_a_crash() {
    let nots = format!(
        "model m {{ target postgres 16 }}\ncontext c {{\n  aggregate A {{\n    x: int\n    invariant i: {}x > 1\n  }}\n}}\n",
        "not ".repeat(50_000)
    );
    rejected(nots.as_bytes(), "E0001", "nesting deeper than 64 levels");
    let chain = format!(
        "model m {{ target postgres 16 }}\ncontext c {{\n  aggregate A {{\n    x: int\n    invariant i: x > 1{}\n  }}\n}}\n",
        " + 1".repeat(100_000)
    );
    rejected(chain.as_bytes(), "E0001", "more than 256 terms in one arithmetic chain");
}

/// `value V<i> { a: V<i+1>  b: V<i+1> }`, `depth` levels, the last of two
/// `int`s; when `fields` is 1, a chain of one field each.
fn nested_values(depth: usize, fields: usize) -> String {
    let mut model = String::from("model m { target postgres 16 }\ncontext c {\n");
    for i in 0..depth {
        let ty = if i + 1 == depth { "int".to_string() } else { format!("V{}", i + 1) };
        model.push_str(&format!("  value V{i} {{\n"));
        for f in ["a", "b"].iter().take(fields) {
            model.push_str(&format!("    {f}: {ty}\n"));
        }
        model.push_str("  }\n");
    }
    model.push_str("  aggregate A {\n    x: V0\n  }\n}\n");
    model
}

/// Value objects that each hold the next one twice double the columns at
/// every level: thirty levels would be a billion columns, two hundred more
/// than a 64-bit count holds. Refused before anything is expanded (it
/// exhausted the memory before E0602).
#[test]
fn value_objects_that_multiply_their_columns_are_an_error_not_a_hang() {
    for (depth, columns) in [(11, "2048"), (30, "1073741824"), (200, "2^64 or more")] {
        let message = format!("`x` alone gives {columns} columns");
        rejected(nested_values(depth, 2).as_bytes(), "E0602", &message);
    }
}

/// A chain of thousands of value objects, one inside the next: its column
/// name passes 63 bytes (E0106), found in time linear in the chain's length
/// but for the name itself (the search for value-object cycles and the
/// expansion were cubic: 91 s for 4,000).
#[test]
fn a_chain_of_thousands_of_value_objects_is_an_error_not_a_hang() {
    rejected(nested_values(4_000, 1).as_bytes(), "E0106", "is 8001 bytes long");
    let mut cycle = nested_values(4_000, 1);
    cycle = cycle.replace("  value V3999 {\n    a: int\n", "  value V3999 {\n    a: V0\n");
    rejected(cycle.as_bytes(), "E0205", "value object `V0` contains itself");
}

#[test]
fn a_nul_byte_is_rejected_with_its_position() {
    rejected(
        b"model m { target postgres 16 }\ncontext c { aggregate A { x: text = 'a\0b' } }\n",
        "E0001",
        "tienda.ddd:2:39",
    );
}

#[test]
fn a_byte_order_mark_keeps_the_model_doc() {
    let mut model = "\u{feff}".as_bytes().to_vec();
    model.extend_from_slice(MODEL.as_bytes());
    let dir = project(&model);
    let o = dddc(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("W0001"), "the doc comment documents the model: {}", stderr(&o));
    let doc = std::fs::read_to_string(dir.path().join("docs/modelo-datos.md"))
        .or_else(|_| std::fs::read_to_string(dir.path().join("docs/data-model.md")))
        .expect("model document");
    assert!(doc.contains("Tienda."), "{doc}");
    // `fmt` drops the mark and keeps the doc.
    let o = dddc(dir.path(), &["fmt"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let formatted = std::fs::read_to_string(dir.path().join("tienda.ddd")).expect("model");
    assert!(formatted.starts_with("/// Tienda.\nmodel tienda {"), "{formatted}");
}

#[test]
fn temporary_files_of_a_killed_build_are_removed_by_the_next() {
    let dir = project(MODEL.as_bytes());
    let mig = dir.path().join("db/migration");
    std::fs::create_dir_all(&mig).expect("mkdir");
    std::fs::create_dir_all(dir.path().join("docs/erd")).expect("mkdir");
    let left = [mig.join(".dddc-dddc.lock.aB3dE9.tmp"), dir.path().join("docs/erd/.dddc-ventas.puml.Zz9Yy8.tmp")];
    for f in &left {
        std::fs::write(f, "half").expect("write");
    }
    let o = dddc(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in &left {
        assert!(!f.exists(), "{} is still there", f.display());
    }
    let leftovers: Vec<String> = walk(dir.path()).into_iter().filter(|p| p.ends_with(".tmp")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A build that writes more files than the process may keep open (a large
/// model's diagrams, or its site): each staged file is closed once written.
/// With one descriptor per staged file, a site of 20,000 aggregates failed
/// with "Too many open files" at the limit of 20,000, and this build at 64.
#[cfg(unix)]
#[test]
fn a_build_writes_more_files_than_it_may_keep_open() {
    use std::os::unix::process::CommandExt;
    // The generated model (doc comments, enums, value objects, references
    // across contexts) with a context per aggregate: 2 diagrams each
    // (PlantUML and SVG).
    let dir = tempfile::tempdir().expect("temp dir");
    let shape = genmodel::Shape { per_context: 1, ..genmodel::Shape::new(60, 8) };
    for f in genmodel::ddd(&shape) {
        let path = dir.path().join(&f.path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, f.text).expect("write the model");
    }
    let mut build = Command::new(env!("CARGO_BIN_EXE_dddc"));
    build.arg("-C").arg(dir.path()).arg("build").env("NO_COLOR", "1");
    // SAFETY: setrlimit(2) only, between fork and exec.
    unsafe {
        build.pre_exec(|| {
            let limit = libc::rlimit { rlim_cur: 64, rlim_max: 64 };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let o = build.output().expect("dddc runs");
    assert!(o.status.success(), "{}", stderr(&o));
    let diagrams = walk(dir.path()).into_iter().filter(|p| p.contains("/docs/erd/")).count();
    assert_eq!(diagrams, 2 * 61, "a PlantUML file and a picture per context and of the overview");
    let o = dddc(dir.path(), &["check"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[cfg(unix)]
#[test]
fn written_files_keep_their_mode_and_follow_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project(MODEL.as_bytes());
    let o = dddc(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lock = dir.path().join("db/migration/dddc.lock");
    let mode = std::fs::metadata(&lock).expect("lock").permissions().mode() & 0o777;
    assert_eq!(mode & 0o044, 0o044, "a new file is readable by others under the usual umask, not 0600: {mode:o}");
    std::fs::set_permissions(&lock, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    std::fs::write(
        dir.path().join("tienda.ddd"),
        MODEL.replace("    nombre: text(100)\n", "    nombre: text(100)\n    alias: text(20)?\n"),
    )
    .expect("edit");
    let o = dddc(dir.path(), &["build"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mode = std::fs::metadata(&lock).expect("lock").permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "the rewritten lock keeps its mode");
}

#[test]
fn a_refused_build_piped_into_a_closed_pipe_does_not_panic() {
    let dir = project(MODEL.as_bytes());
    assert!(dddc(dir.path(), &["build"]).status.success());
    // A pending change: `plan` prints its SQL to stdout.
    std::fs::write(
        dir.path().join("tienda.ddd"),
        MODEL.replace("    nombre: text(100)\n", "    nombre: text(100)\n    alias: text(20)?\n"),
    )
    .expect("edit");
    let mut child = Command::new(env!("CARGO_BIN_EXE_dddc"))
        .arg("-C")
        .arg(dir.path())
        .args(["plan"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Close the reading end at once, as `| head -0` would.
    drop(child.stdout.take());
    let mut err = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut err).expect("read");
    let status = child.wait().expect("wait");
    assert_ne!(status.code(), Some(101), "panicked: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn two_builds_at_once_take_turns() {
    let dir = project(MODEL.as_bytes());
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_dddc"))
            .arg("-C")
            .arg(dir.path())
            .arg("build")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn")
    };
    let (a, b) = (spawn(), spawn());
    for c in [a, b] {
        let o = c.wait_with_output().expect("wait");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    // One of them wrote V1; the other found nothing to do. Either way the
    // project is consistent.
    let o = dddc(dir.path(), &["check"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let migrations: Vec<String> = walk(&dir.path().join("db/migration"));
    assert_eq!(migrations.iter().filter(|m| m.contains("/V")).count(), 1, "{migrations:?}");
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    out.sort();
    out
}

/// A rename of every aggregate (`@was`) changes most lines of the schema
/// snapshot; the lock's patch back to the previous snapshot is then made
/// block by block instead of by Myers' search (which took 11 s at 2,000
/// aggregates), and it must still be exact: `rewind` to V1 gives V1's
/// snapshot byte for byte, and V1's model builds no migration again.
#[test]
fn a_rename_of_every_aggregate_rewinds_exactly() {
    let dir = tempfile::tempdir().expect("temp dir");
    // 7,733 lines of snapshot, about half of them changed: past the budget.
    let files = genmodel::ddd(&genmodel::Shape::new(200, 12));
    for f in &files {
        let path = dir.path().join(&f.path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(&path, &f.text).expect("write the model");
    }
    let built = dddc(dir.path(), &["build"]);
    assert!(built.status.success(), "{}", stderr(&built));
    let snapshot = dir.path().join("db/migration/dddc.schema");
    let v1 = std::fs::read_to_string(&snapshot).expect("V1's snapshot");
    for f in &files {
        let renamed = f.text.split("aggregate Item").collect::<Vec<_>>().join("aggregate Thing");
        let renamed = (0..200).fold(renamed, |text, i| {
            text.replace(&format!("aggregate Thing{i} {{"), &format!("aggregate Thing{i} @was(Item{i}) {{"))
                .replace(&format!("Item{i}\n"), &format!("Thing{i}\n"))
                .replace(&format!("Item{i}?"), &format!("Thing{i}?"))
                .replace(&format!("Item{i} "), &format!("Thing{i} "))
        });
        std::fs::write(dir.path().join(&f.path), renamed).expect("rename");
    }
    let renamed = dddc(dir.path(), &["build"]);
    assert!(renamed.status.success(), "{}", stderr(&renamed));
    assert!(stderr(&renamed).contains("rename_in_250_tables"), "{}", stderr(&renamed));
    let checked = dddc(dir.path(), &["check", "--no-cache"]);
    assert!(checked.status.success(), "{}", stderr(&checked));
    let rewound = dddc(dir.path(), &["rewind", "--to", "1"]);
    assert!(rewound.status.success(), "{}", stderr(&rewound));
    assert!(std::fs::read_to_string(&snapshot).expect("the snapshot") == v1, "rewind gives V1's snapshot");
    // Back to V1's model: the build has no migration to write (only the
    // documents change back).
    for f in &files {
        std::fs::write(dir.path().join(&f.path), &f.text).expect("the model of V1");
    }
    let rebuilt = dddc(dir.path(), &["build"]);
    assert!(rebuilt.status.success(), "{}", stderr(&rebuilt));
    let migrations: Vec<String> = std::fs::read_dir(dir.path().join("db/migration"))
        .expect("the migrations")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    assert_eq!(migrations.len(), 2, "{migrations:?}");
    assert!(std::fs::read_to_string(&snapshot).expect("the snapshot") == v1);
}

// ------------------------------------------------------------- one thread --

/// `dddc ARGS` in `dir` with `DDDC_THREADS` set to `threads` (unset for
/// `None`) and the timings on: the output, and how many helper threads
/// the run says it started.
fn dddc_on(dir: &Path, threads: Option<&str>, args: &[&str]) -> (std::process::Output, usize) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dddc"));
    cmd.arg("-C").arg(dir).args(args).env("NO_COLOR", "1").env("DDDC_TIMINGS", "1").env_remove("SOURCE_DATE_EPOCH");
    match threads {
        Some(t) => cmd.env("DDDC_THREADS", t),
        None => cmd.env_remove("DDDC_THREADS"),
    };
    let o = cmd.output().expect("the dddc binary runs");
    let err = stderr(&o);
    let started = err
        .lines()
        .find_map(|l| l.strip_prefix("timing: helper threads started: "))
        .unwrap_or_else(|| panic!("no count of helper threads in:\n{err}"))
        .parse()
        .expect("a count");
    (o, started)
}

/// Every file under `dir` but the local memo (`.dddc`), by its path from
/// `dir`, with its bytes.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    walk(dir)
        .into_iter()
        .filter_map(|p| {
            let rel = p.strip_prefix(&dir.display().to_string())?.trim_start_matches('/').to_string();
            (!rel.starts_with(".dddc/")).then(|| (rel, std::fs::read(&p).expect("read an output")))
        })
        .collect()
}

/// What diagnostics lines say, without the timings.
fn said(o: &std::process::Output) -> String {
    stderr(o).lines().filter(|l| !l.starts_with("timing: ")).collect::<Vec<_>>().join("\n")
}

/// `DDDC_THREADS=1` runs every command on one thread: each place that
/// starts a helper does its work itself, as it must wherever no thread can
/// be started (a container's limit on threads or memory). The outputs and
/// the diagnostics are the same bytes as with the helpers, on a model past
/// every size from which dddc splits its work (500 aggregates: the types
/// and the lowering split from 200, the expressions from 2,000), every
/// context tenant-scoped and with outboxes, audit trails and search, and
/// on MiToga, for a fresh build, an edit, a check and a misspelt model.
#[test]
fn one_thread_makes_the_same_outputs_as_helpers() {
    let shape = genmodel::Shape { tenants: true, rich: true, ..genmodel::Shape::new(500, 12) };
    let (fresh, added) = (genmodel::ddd(&shape), genmodel::ddd(&genmodel::Shape { added_field: true, ..shape }));
    let (helpers, alone) = (tempfile::tempdir().expect("temp dir"), tempfile::tempdir().expect("temp dir"));
    let mitoga = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mitoga");
    let model_of_mitoga = |dir: &Path| {
        support::copy_dir(&mitoga, dir);
        for generated in ["db", "docs", ".dddc"] {
            let _ = std::fs::remove_dir_all(dir.join(generated));
        }
    };
    let (mitoga_helpers, mitoga_alone) =
        (tempfile::tempdir().expect("temp dir"), tempfile::tempdir().expect("temp dir"));
    model_of_mitoga(mitoga_helpers.path());
    model_of_mitoga(mitoga_alone.path());
    for (files, step) in [(&fresh, "a fresh build"), (&added, "a build with a field added")] {
        for dir in [helpers.path(), alone.path()] {
            for f in files {
                let path = dir.join(&f.path);
                std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
                std::fs::write(path, &f.text).expect("write the model");
            }
        }
        let (with, started) = dddc_on(helpers.path(), None, &["build"]);
        assert!(with.status.success(), "{step}: {}", stderr(&with));
        // That the count counts (debug builds count pest's own check of
        // each parse too, so this says nothing of any one place).
        assert!(started >= 3, "{step} with helpers started {started}");
        let (without, none) = dddc_on(alone.path(), Some("1"), &["build"]);
        assert!(without.status.success(), "{step}: {}", stderr(&without));
        assert_eq!(none, 0, "{step} on one thread started helpers");
        assert_eq!(said(&with), said(&without), "{step}: what the builds say");
        let (a, b) = (tree(helpers.path()), tree(alone.path()));
        assert_eq!(a.len(), b.len(), "{step}: the files");
        for ((pa, ba), (pb, bb)) in a.iter().zip(&b) {
            assert_eq!(pa, pb, "{step}: the files");
            assert!(ba == bb, "{step}: {pa} differs on one thread");
        }
    }
    let (checked, none) = dddc_on(alone.path(), Some("1"), &["check", "--no-cache"]);
    assert!(checked.status.success(), "{}", stderr(&checked));
    assert_eq!(none, 0, "a check on one thread started helpers");
    let (with, _) = dddc_on(helpers.path(), None, &["check", "--no-cache"]);
    assert_eq!(said(&with), said(&checked), "what the checks say");
    for (dir, threads) in [(mitoga_helpers.path(), None), (mitoga_alone.path(), Some("1"))] {
        let (o, _) = dddc_on(dir, threads, &["build"]);
        assert!(o.status.success(), "MiToga: {}", stderr(&o));
    }
    assert!(tree(mitoga_helpers.path()) == tree(mitoga_alone.path()), "MiToga built on one thread differs");
    // A misspelt type in every context: the same diagnostics, in order.
    for dir in [helpers.path(), alone.path()] {
        for f in &fresh {
            std::fs::write(dir.join(&f.path), f.text.replace(": Status", ": Statuss")).expect("misspell");
        }
    }
    let (with, _) = dddc_on(helpers.path(), None, &["validate"]);
    let (without, none) = dddc_on(alone.path(), Some("1"), &["validate"]);
    assert_eq!(with.status.code(), Some(1), "{}", stderr(&with));
    assert_eq!(none, 0);
    let said_with = said(&with);
    assert!(said_with.matches("error[").count() >= 100, "{}", &said_with[..said_with.len().min(2000)]);
    assert!(said_with == said(&without), "validate on one thread says something else");
}

/// `DDDC_TIMINGS=at` puts after each phase's time when it began and ended
/// (from the first phase's start) and its thread: the end is the start
/// plus the time, a phase inside another lies within it, and a build's
/// documents run on two threads.
#[test]
fn timings_at_say_when_each_phase_ran_and_where() {
    let mitoga = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mitoga");
    let dir = tempfile::tempdir().expect("temp dir");
    support::copy_dir(&mitoga, dir.path());
    let o = Command::new(env!("CARGO_BIN_EXE_dddc"))
        .arg("-C")
        .arg(dir.path())
        .args(["check", "--no-cache"])
        .env("DDDC_TIMINGS", "at")
        .env_remove("DDDC_THREADS")
        .output()
        .expect("the dddc binary runs");
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    // name → (took, from, to, thread)
    let mut phases: Vec<(String, f64, f64, f64, String)> = Vec::new();
    for line in err.lines().filter_map(|l| l.strip_prefix("timing: ")) {
        let Some((head, at)) = line.split_once(" ms [") else { continue };
        let (name, took) = head.rsplit_once(' ').expect("a name and a time");
        let (span, thread) = at.strip_suffix(']').and_then(|a| a.split_once(" ms, ")).expect("[from-to ms, thread]");
        let (from, to) = span.split_once('-').expect("from-to");
        let num = |s: &str| s.parse::<f64>().unwrap_or_else(|_| panic!("a number: {s} in {line}"));
        phases.push((name.to_string(), num(took), num(from), num(to), thread.to_string()));
    }
    assert!(phases.len() >= 10, "{err}");
    for (name, took, from, to, thread) in &phases {
        // Each of the three printed to a tenth: the sum within 0.15.
        assert!(*from >= 0.0 && (to - from - took).abs() <= 0.16, "{name}: {took} ms, {from}-{to}");
        assert!(thread.starts_with("ThreadId("), "{name}: {thread}");
    }
    let find = |n: &str| phases.iter().find(|p| p.0 == n).unwrap_or_else(|| panic!("no phase {n} in {err}"));
    let (total, front) = (find("total"), find("front end"));
    assert!(front.2 >= total.2 && front.3 <= total.3 + 0.16, "the front end within the run");
    let threads: std::collections::BTreeSet<&str> =
        phases.iter().filter(|p| p.0.starts_with("docs:")).map(|p| p.4.as_str()).collect();
    assert!(threads.len() >= 2, "the documents on two threads: {err}");
    // Without `at`, the times alone, as before.
    let o = Command::new(env!("CARGO_BIN_EXE_dddc"))
        .arg("-C")
        .arg(dir.path())
        .args(["check", "--no-cache"])
        .env("DDDC_TIMINGS", "1")
        .output()
        .expect("the dddc binary runs");
    let err = stderr(&o);
    assert!(err.contains("timing: front end ") && !err.contains(" ms ["), "{err}");
}
