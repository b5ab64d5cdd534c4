//! What earlier runs parsed (`.dddc/syntax`), drew and rendered
//! (`.dddc/docs`: each context's diagrams and its sections of the data
//! dictionary and the model document), remembered (`dddc::memo`): a build
//! or a check after an edit redoes only what the edit changed, and what it
//! takes from the memory is byte for byte what doing the work afresh
//! gives. Runs the real binary on throwaway projects.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use support::cli::{dddc, stderr};

const MODEL: &str = "model tienda {
  tables plural_es
}

/// Ventas.
context ventas {
  /// Un cliente.
  aggregate Cliente {
    /// Nombre completo.
    nombre: text(100)
    correo: text(200) unique
  }
}

/// Envíos.
context envios {
  /// Un envío.
  aggregate Envio {
    cliente: ref ventas.Cliente
    /// Dirección de entrega.
    direccion: text(300)
  }
}
";

/// [`MODEL`] with a hundred documented products in `ventas`: its sections of
/// the two documents are then over the 32 KB from which the memo keeps a
/// section (`envios`'s are smaller, and made every time).
fn model() -> String {
    let mut products = String::new();
    for i in 0..100 {
        products.push_str(&format!(
            "  /// Producto {i} del catálogo.\n  aggregate Producto{i} {{\n    /// Nombre visible.\n    nombre: text(100)\n    \
             /// Código interno.\n    codigo: text(20) unique\n    /// Precio en céntimos.\n    precio: int\n    \
             /// Descripción larga.\n    descripcion: text(2000)?\n  }}\n"
        ));
    }
    MODEL.replace("context ventas {\n", &format!("context ventas {{\n{products}"))
}

/// The same model, a field added to one context's aggregate.
fn edited() -> String {
    model().replace("    direccion: text(300)\n", "    direccion: text(300)\n    notas: text(500)?\n")
}

fn project(model: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("tienda.ddd"), model).expect("write model");
    // (The products are not what the design review asks for.)
    std::fs::write(dir.path().join("dddc.toml"), LINT).expect("write config");
    dir
}

/// No minimum design score: `check` is about the files here.
const LINT: &str = "[lint]\nmin_score = 0\n";

/// Builds, which must succeed; what it said on stderr.
fn build(dir: &Path) -> String {
    let o = dddc(dir, &["build"]);
    assert!(o.status.success(), "build failed: {}", stderr(&o));
    stderr(&o)
}

/// The remembered diagrams and sections: name → bytes.
fn entries(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    entries_in(dir, "docs")
}

/// The entries of `.dddc/<folder>`: key → stored bytes (each from its
/// pack; a key stored twice, its last copy).
fn entries_in(dir: &Path, folder: &str) -> BTreeMap<String, Vec<u8>> {
    dddc::memo::stored(dir, folder)
        .into_iter()
        .map(|s| {
            let pack = std::fs::read(&s.pack).expect("read a pack");
            (s.key, pack[s.at as usize..(s.at + s.len) as usize].to_vec())
        })
        .collect()
}

/// The packs of `.dddc/<folder>`.
fn packs_in(dir: &Path, folder: &str) -> std::collections::BTreeSet<PathBuf> {
    dddc::memo::stored(dir, folder).into_iter().map(|s| s.pack).collect()
}

/// Every file of the documentation folder with its bytes.
fn docs(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.join("docs")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// A build after an edit takes the unchanged context's diagram and
/// sections from the memory and makes the edited one's: the documents are
/// those a first build of the edited model writes. The memory then holds
/// this model's pieces, the new one in a pack of its own; the edited
/// context's old diagram stays in the first build's pack, which the second
/// used most of and kept as it was.
#[test]
fn a_build_after_an_edit_writes_what_a_first_build_writes() {
    let dir = project(&model());
    build(dir.path());
    let before = entries(dir.path());
    assert_eq!(
        before.len(),
        5,
        "per context a diagram, `ventas`'s two sections (`envios`'s are too small), and the overview: {:?}",
        before.keys()
    );
    std::fs::write(dir.path().join("tienda.ddd"), edited()).expect("write");
    build(dir.path());
    let after = entries(dir.path());
    let made: Vec<&String> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    assert_eq!(made.len(), 1, "`ventas` and the overview are as they were; `envios`'s diagram is made again");
    assert_eq!(after.len(), 6, "{:?}", after.keys());
    assert!(before.iter().all(|(k, v)| after.get(k) == Some(v)), "the first pack as it was");
    assert_eq!(packs_in(dir.path(), "docs").len(), 2);
    if cfg!(debug_assertions) {
        // A debug build reads every file of two contexts or more in parts
        // (`syntax::parts`, from 64 KiB in a release build): the head and
        // `ventas` are read back from the first pack, kept as mostly read,
        // and `envios` as it is now is beside them.
        assert_eq!(entries_in(dir.path(), "syntax").len(), 4, "the three parts of before, and `envios` now");
    } else {
        assert_eq!(
            entries_in(dir.path(), "syntax").len(),
            1,
            "the model's one file, as it is now: the old one's pack removed"
        );
    }

    let fresh = project(&edited());
    build(fresh.path());
    assert_eq!(docs(dir.path()), docs(fresh.path()));
    // And from a memory of every diagram, too.
    std::fs::remove_dir_all(fresh.path().join("docs")).expect("remove docs");
    build(fresh.path());
    assert_eq!(docs(dir.path()), docs(fresh.path()));
    let c = dddc(dir.path(), &["check", "--no-cache"]);
    assert!(c.status.success(), "{}", stderr(&c));
}

/// An entry that does not read — cut short, a byte changed, a folder in
/// its place — is a miss: the piece is made again, the run passes, and the
/// entry is written again as it should be.
#[test]
fn an_entry_that_does_not_read_is_a_miss_and_is_written_again() {
    let dir = project(&model());
    build(dir.path());
    let good = entries(dir.path());
    let stored = dddc::memo::stored(dir.path(), "docs");
    assert_eq!(packs_in(dir.path(), "docs").len(), 1, "one build, one pack");
    let mut pack = std::fs::read(&stored[0].pack).unwrap();
    // The first entry's second half zeroed, a byte near the second's end
    // changed.
    let (first, second) = (&stored[0], &stored[1]);
    pack[(first.at + first.len / 2) as usize..(first.at + first.len) as usize].fill(0);
    pack[(second.at + second.len - 2) as usize] ^= 0x20;
    std::fs::write(&stored[0].pack, pack).unwrap();
    // The check's own memory would answer without drawing anything.
    let check_again = || {
        std::fs::remove_file(dir.path().join(".dddc/check")).expect("a pass was recorded");
        let c = dddc(dir.path(), &["check"]);
        assert!(c.status.success(), "{}", stderr(&c));
    };
    check_again();
    let copies: Vec<(String, Vec<u8>)> = dddc::memo::stored(dir.path(), "docs")
        .into_iter()
        .map(|s| {
            let pack = std::fs::read(&s.pack).expect("read a pack");
            (s.key, pack[s.at as usize..(s.at + s.len) as usize].to_vec())
        })
        .collect();
    for (key, bytes) in &good {
        assert!(copies.iter().any(|(k, b)| k == key && b == bytes), "{key} is there as it was");
    }
    assert!(copies.iter().filter(|(k, _)| *k == first.key || *k == second.key).count() >= 2);
    assert!(copies.iter().all(|(k, _)| good.contains_key(k)), "nothing else");
    // The next check reads the copies that read: it makes none again.
    let packs = packs_in(dir.path(), "docs");
    check_again();
    let after: std::collections::BTreeSet<PathBuf> = packs_in(dir.path(), "docs");
    assert!(after.is_subset(&packs), "no new pack: {packs:?} -> {after:?}");
}

/// The templates are part of every key: a diagram's template overridden
/// after a build is rendered, never answered from the memory.
#[test]
fn an_overridden_template_is_never_answered_from_the_memory() {
    let dir = project(&model());
    build(dir.path());
    let templates = dir.path().join("plantillas");
    std::fs::create_dir(&templates).expect("mkdir");
    let builtin = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/docs/erd_context.puml.j2");
    let text = std::fs::read_to_string(builtin).expect("the built-in template");
    let text = text.replacen("@startuml", "@startuml\n' revisado por el equipo", 1);
    std::fs::write(templates.join("erd_context.puml.j2"), text).expect("write");
    std::fs::write(dir.path().join("dddc.toml"), "[docs]\ntemplates = \"plantillas\"\n").expect("write");
    build(dir.path());
    let puml = std::fs::read_to_string(dir.path().join("docs/erd/ventas.puml")).expect("read");
    assert!(puml.contains("' revisado por el equipo"), "{puml}");
    assert_eq!(entries(dir.path()).len(), 5);
}

/// A dry run, a failed build and `check --no-cache` leave the memory as
/// it was.
#[test]
fn runs_that_write_nothing_leave_the_memory_alone() {
    let dir = project(&model());
    build(dir.path());
    let before = entries(dir.path());
    std::fs::write(dir.path().join("tienda.ddd"), edited()).expect("write");
    assert!(dddc(dir.path(), &["build", "--dry-run"]).status.success());
    assert_eq!(entries(dir.path()), before, "a dry run");
    let c = dddc(dir.path(), &["check", "--no-cache"]);
    assert_eq!(c.status.code(), Some(1), "the edit is pending: {}", stderr(&c));
    assert_eq!(entries(dir.path()), before, "check --no-cache");
    let c = dddc(dir.path(), &["check"]);
    assert_eq!(c.status.code(), Some(1), "{}", stderr(&c));
    assert_eq!(entries(dir.path()), before, "a failed check");
    std::fs::write(dir.path().join("tienda.ddd"), edited().replace("text(500)?", "nosuchtype")).expect("write");
    assert_eq!(dddc(dir.path(), &["build"]).status.code(), Some(1));
    assert_eq!(entries(dir.path()), before, "a failed build");

    // Neither reads nor writes it: from no memory at all, none is made,
    // by a dry run that would write, or by a check that passes.
    let memory = dir.path().join(".dddc");
    std::fs::write(dir.path().join("tienda.ddd"), edited()).expect("write");
    std::fs::remove_dir_all(&memory).expect("remove the memory");
    let o = dddc(dir.path(), &["build", "--dry-run"]);
    assert!(o.status.success() && String::from_utf8_lossy(&o.stdout).contains("would write"), "{}", stderr(&o));
    assert!(!memory.exists(), "a dry run");
    build(dir.path());
    std::fs::remove_dir_all(&memory).expect("the build made one");
    let c = dddc(dir.path(), &["check", "--no-cache"]);
    assert!(c.status.success(), "{}", stderr(&c));
    assert!(!memory.exists(), "check --no-cache");
}

/// A model split in files: after an edit of one, the others are read back
/// from the memory, and the build writes what a first build of the edited
/// model writes. A file whose parse says anything (here a doc comment that
/// documents nothing, W0001) is never remembered: its warning is printed by
/// every run.
#[test]
fn files_parsed_before_are_read_back_and_a_file_with_a_warning_is_parsed_again() {
    let split = |model: &str| {
        let dir = tempfile::tempdir().expect("temp dir");
        let (head, envios) = model.split_at(model.find("/// Envíos.").expect("the second context"));
        let envios = envios.replace("  }\n}\n", "  }\n  /// Nada.\n}\n");
        std::fs::write(dir.path().join("tienda.ddd"), format!("{head}include \"contextos/envios.ddd\"\n")).unwrap();
        std::fs::create_dir(dir.path().join("contextos")).unwrap();
        std::fs::write(dir.path().join("contextos/envios.ddd"), envios).unwrap();
        std::fs::write(dir.path().join("dddc.toml"), LINT).unwrap();
        dir
    };
    let dir = split(&model());
    let said = build(dir.path());
    assert!(said.contains("W0001"), "{said}");
    let remembered = entries_in(dir.path(), "syntax");
    // (In parts in a debug build, see above: its head and `ventas`.)
    let parts = if cfg!(debug_assertions) { 2 } else { 1 };
    assert_eq!(remembered.len(), parts, "`tienda.ddd` only: `envios.ddd` has a warning");
    let packs = packs_in(dir.path(), "syntax");
    assert_eq!(packs.len(), 1);
    let entry = packs.into_iter().next().unwrap();
    let inode = || std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&entry).unwrap());
    let first_inode = inode();
    let edited = split(&edited());
    std::fs::copy(edited.path().join("contextos/envios.ddd"), dir.path().join("contextos/envios.ddd")).unwrap();
    let said = build(dir.path());
    assert!(said.contains("W0001"), "the warning again: {said}");
    assert_eq!(entries_in(dir.path(), "syntax"), remembered, "`tienda.ddd` read back, kept");
    assert_eq!(inode(), first_inode, "read back, not parsed and written again");
    build(edited.path());
    assert_eq!(docs(dir.path()), docs(edited.path()));
    let c = dddc(dir.path(), &["check", "--no-cache"]);
    assert!(c.status.success(), "{}", stderr(&c));
}

/// The built-in documents read only a table of contents of their view and
/// each context's section (`sections`); a project that replaces them gets
/// the whole view. The built-in texts, given as overrides, write the same
/// documents; an override of a section's template changes every section.
#[test]
fn the_documents_read_the_same_whole_view_when_overridden() {
    let plain = project(&model());
    build(plain.path());
    let dir = project(&model());
    let templates = dir.path().join("plantillas");
    std::fs::create_dir(&templates).expect("mkdir");
    for name in ["data_dictionary.md.j2", "data_model.md.j2"] {
        let builtin = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/docs").join(name);
        std::fs::copy(builtin, templates.join(name)).expect("copy");
    }
    std::fs::write(dir.path().join("dddc.toml"), "[docs]\ntemplates = \"plantillas\"\n").expect("write");
    build(dir.path());
    assert_eq!(docs(dir.path()), docs(plain.path()));
    let builtin = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/docs/data_model_context.md.j2");
    let text = std::fs::read_to_string(builtin).expect("read").replacen(
        "## {{ c.heading.text }}",
        "## {{ c.heading.text }} (revisado)",
        1,
    );
    std::fs::write(templates.join("data_model_context.md.j2"), text).expect("write");
    build(dir.path());
    let model = std::fs::read_to_string(dir.path().join("docs/data-model.md")).expect("read");
    assert_eq!(model.matches("(revisado)").count(), 2, "{model}");

    // MiToga, everything in it (Spanish, Mermaid, the site): the built-in
    // outer templates as overrides write the documents it ships with.
    let mitoga = tempfile::tempdir().expect("temp dir");
    support::copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mitoga"), mitoga.path());
    let toml = std::fs::read_to_string(mitoga.path().join("dddc.toml")).expect("read");
    assert!(toml.contains("[docs]\n"), "{toml}");
    std::fs::write(mitoga.path().join("dddc.toml"), toml.replace("[docs]\n", "[docs]\ntemplates = \"plantillas\"\n"))
        .expect("write");
    support::copy_dir(&templates, &mitoga.path().join("plantillas"));
    std::fs::remove_file(mitoga.path().join("plantillas/data_model_context.md.j2")).expect("remove");
    let c = dddc(mitoga.path(), &["check", "--no-cache"]);
    assert!(c.status.success(), "{}", stderr(&c));
}

/// With the site on, its context and aggregate pages are remembered too
/// (a page's diagram and template are most of the site's time): a build
/// after an edit of one context takes the other pages from the memory,
/// and one that adds an aggregate (a new link in every page's navigation)
/// makes them all again. Each time the documents are those a first build
/// of the same model writes.
#[test]
fn the_sites_pages_are_remembered_and_made_again_when_a_link_changes() {
    let site = |dir: &Path| {
        std::fs::write(dir.join("dddc.toml"), format!("{LINT}\n[docs]\nhtml = true\n")).expect("write config");
    };
    let dir = project(&model());
    site(dir.path());
    build(dir.path());
    let first = entries(dir.path());
    // 5 as without the site, then 2 context pages and 102 aggregate pages.
    assert_eq!(first.len(), 5 + 104, "{:?}", first.keys());

    // A field added to `envios`: `ventas`'s 101 pages are kept.
    std::fs::write(dir.path().join("tienda.ddd"), edited()).expect("write");
    build(dir.path());
    let second = entries(dir.path());
    let kept = second.keys().filter(|k| first.contains_key(*k)).count();
    assert!(kept >= 101 + 4, "{kept} kept of {}", second.len());
    let fresh = project(&edited());
    site(fresh.path());
    build(fresh.path());
    same_but_history(dir.path(), fresh.path());

    // An aggregate added to `ventas`: every page's navigation lists it.
    let added = edited().replace(
        "context ventas {\n",
        "context ventas {\n  /// Una tienda.\n  aggregate Tienda {\n    /// Nombre.\n    nombre: text(100)\n  }\n",
    );
    std::fs::write(dir.path().join("tienda.ddd"), &added).expect("write");
    build(dir.path());
    let third = entries(dir.path());
    let pages_kept = third.keys().filter(|k| second.contains_key(*k)).count();
    assert!(pages_kept <= 5, "no page is kept, only diagrams and sections: {pages_kept}");
    let fresh = project(&added);
    site(fresh.path());
    build(fresh.path());
    same_but_history(dir.path(), fresh.path());
    let c = dddc(dir.path(), &["check", "--no-cache"]);
    assert!(c.status.success(), "{}", stderr(&c));

    // A check on a clean checkout (no memory) remembers no page: as many
    // entries as without the site.
    std::fs::remove_dir_all(dir.path().join(".dddc")).expect("remove .dddc");
    let c = dddc(dir.path(), &["check"]);
    assert!(c.status.success(), "{}", stderr(&c));
    assert_eq!(entries(dir.path()).len(), 5, "{:?}", entries(dir.path()).keys());
}

/// The documents of two projects are the same but for the pages that show
/// the migrations' history (the site's home and history pages), which
/// differ between a project built twice and one built once.
fn same_but_history(a: &Path, b: &Path) {
    let history = ["docs/site/index.html", "docs/site/migrations.html"];
    let (a, b) = (docs(a), docs(b));
    let differ: Vec<&PathBuf> = a.keys().filter(|k| a.get(*k) != b.get(*k)).collect();
    assert!(differ.iter().all(|k| history.iter().any(|h| Path::new(h) == k.as_path())), "{differ:?}");
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
}
