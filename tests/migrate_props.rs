//! Laws of the evolution engine, checked on generated schemas.
//!
//! Models are generated as `.ddd` text from a fixed vocabulary (contexts,
//! CHECK-based and native enums, aggregates with fields of every scalar
//! kind, nullability, defaults, `unique`, `indexed`, references, invariants,
//! indexes, entities, events, soft delete, timestamps), so every generated
//! model validates. A second model is either generated independently or
//! derived from the first by a few edits (add, drop, rename with `@was`,
//! retype, toggle nullability / default / uniqueness / soft delete, add an
//! enum value, add or drop an aggregate).
//!
//! - `diff(s, s)` is empty;
//! - applying `diff(a, b)` to `a` in the IR gives `b` (after `normalized`);
//! - the migration plan from `a` to the model of `b` ends at `b`: the
//!   `after` of its last file, renames included, is `b`;
//! - determinism: planning the build twice, from two separate compilations
//!   of the same model, gives byte-identical outputs (or the same refusal).
//!
//! Case counts are modest so the file runs in a few seconds in debug builds.

use std::path::Path;

use proptest::prelude::*;

use dddc::build::{plan, BuildError, Inputs};
use dddc::config::Config;
use dddc::lock::Lock;
use dddc::migrate::{apply::apply, diff::diff, normalized, Options};
use dddc::relational::Schema;

// ------------------------------------------------------------ the model --

/// A tiny deterministic generator (SplitMix64): a whole model from a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// Field vocabulary: name, types it may take, a default literal if any.
const FIELDS: &[(&str, &[&str], Option<&str>)] = &[
    ("nombre", &["text(100)", "text(200)"], Some("'sin nombre'")),
    ("email", &["text(255)", "text"], Some("'nadie@mitoga.es'")),
    ("horas", &["int", "bigint"], Some("0")),
    ("precio", &["decimal(10, 2)", "decimal(12, 2)"], Some("0")),
    ("activo", &["bool"], Some("true")),
    ("fecha", &["date"], None),
    ("inicio", &["timestamp"], None),
    ("pais", &["char(2)"], Some("'ES'")),
    ("notas", &["text", "text(500)"], Some("''")),
    ("visitas", &["bigint"], Some("0")),
];
const CONTEXTS: &[&str] = &["ventas", "reservas", "pagos"];
const AGGREGATES: &[&str] = &["Cliente", "Reserva", "Pago", "Tutor", "Bono", "Sesion"];
const ENUMS: &[&str] = &["Estado", "Nivel"];
const VALUES: &[&str] = &["ACTIVO", "PENDIENTE", "BAJA", "SUSPENDIDO", "CERRADO"];

#[derive(Debug, Clone)]
struct Field {
    name: String,
    /// `@was(…)`.
    was: Option<String>,
    vocab: usize,
    ty: &'static str,
    nullable: bool,
    default: bool,
    unique: bool,
    indexed: bool,
}

#[derive(Debug, Clone)]
struct Enum {
    name: &'static str,
    native: bool,
    values: Vec<&'static str>,
}

#[derive(Debug, Clone)]
struct Aggregate {
    name: &'static str,
    fields: Vec<Field>,
    /// (enum index in the context, nullable).
    status: Option<(usize, bool)>,
    /// A reference to another aggregate: (context, aggregate name).
    reference: Option<(&'static str, &'static str)>,
    soft_delete: bool,
    timestamps: bool,
    invariant: bool,
    /// `index (field)` on the field of that position.
    index: Option<usize>,
    entity: Option<Vec<Field>>,
    events: bool,
}

#[derive(Debug, Clone)]
struct Context {
    name: &'static str,
    enums: Vec<Enum>,
    aggregates: Vec<Aggregate>,
}

#[derive(Debug, Clone)]
struct Model {
    contexts: Vec<Context>,
}

fn gen_field(r: &mut Rng, vocab: usize) -> Field {
    let (name, types, default) = FIELDS[vocab];
    let ty = r.pick(types);
    Field {
        name: name.to_string(),
        was: None,
        vocab,
        ty,
        nullable: r.chance(35),
        default: default.is_some() && r.chance(40),
        unique: r.chance(15),
        indexed: r.chance(15),
    }
}

fn gen_fields(r: &mut Rng, min: usize, max: usize) -> Vec<Field> {
    let mut pool: Vec<usize> = (0..FIELDS.len()).collect();
    let n = min + r.below(max - min + 1);
    let mut out = Vec::new();
    for _ in 0..n {
        let i = pool.remove(r.below(pool.len()));
        out.push(gen_field(r, i));
    }
    out.sort_by_key(|f| f.vocab);
    out
}

fn gen_enum(r: &mut Rng, name: &'static str) -> Enum {
    let mut values: Vec<&'static str> = VALUES.iter().copied().filter(|_| r.chance(60)).collect();
    if values.is_empty() {
        values.push(VALUES[r.below(VALUES.len())]);
    }
    Enum { name, native: r.chance(40), values }
}

fn gen_aggregate(r: &mut Rng, name: &'static str, enums: usize, earlier: &[(&'static str, &'static str)]) -> Aggregate {
    let fields = gen_fields(r, 1, 4);
    let index = (r.chance(30)).then(|| r.below(fields.len())).filter(|&i| !fields[i].indexed);
    Aggregate {
        name,
        invariant: fields.iter().any(|f| f.name == "horas") && r.chance(50),
        index,
        fields,
        status: (enums > 0 && r.chance(60)).then(|| (r.below(enums), r.chance(30))),
        reference: (!earlier.is_empty() && r.chance(40)).then(|| earlier[r.below(earlier.len())]),
        soft_delete: r.chance(25),
        timestamps: r.chance(70),
        entity: r.chance(25).then(|| gen_fields(r, 1, 2)),
        events: r.chance(15),
    }
}

fn gen_model(seed: u64) -> Model {
    let mut r = Rng(seed);
    let mut names: Vec<&'static str> = AGGREGATES.to_vec();
    let mut earlier: Vec<(&'static str, &'static str)> = Vec::new();
    let n_contexts = 1 + r.below(2);
    let mut contexts = Vec::new();
    for &cname in CONTEXTS.iter().take(n_contexts) {
        let mut enums = Vec::new();
        for &e in ENUMS {
            if r.chance(50) {
                enums.push(gen_enum(&mut r, e));
            }
        }
        let mut aggregates = Vec::new();
        for _ in 0..1 + r.below(2) {
            if names.is_empty() {
                break;
            }
            let name = names.remove(r.below(names.len()));
            aggregates.push(gen_aggregate(&mut r, name, enums.len(), &earlier));
            earlier.push((cname, name));
        }
        contexts.push(Context { name: cname, enums, aggregates });
    }
    Model { contexts }
}

/// A few edits of a model; every edit keeps it valid.
fn mutate(m: &Model, seed: u64) -> Model {
    let mut r = Rng(seed);
    let mut m = m.clone();
    // `@was` of the original belongs to the original's last step only.
    for c in &mut m.contexts {
        for a in &mut c.aggregates {
            for f in a.fields.iter_mut().chain(a.entity.iter_mut().flatten()) {
                f.was = None;
            }
        }
    }
    for _ in 0..1 + r.below(4) {
        let ci = r.below(m.contexts.len());
        let n_enums = m.contexts[ci].enums.len();
        let c = &mut m.contexts[ci];
        if c.aggregates.is_empty() {
            continue;
        }
        let ai = r.below(c.aggregates.len());
        let a = &mut c.aggregates[ai];
        let fi = r.below(a.fields.len());
        match r.below(14) {
            0 => {
                // Add a field.
                let used: Vec<usize> = a.fields.iter().map(|f| f.vocab).collect();
                let free: Vec<usize> = (0..FIELDS.len()).filter(|i| !used.contains(i)).collect();
                if !free.is_empty() {
                    let v = free[r.below(free.len())];
                    a.fields.push(gen_field(&mut r, v));
                }
            }
            1 if a.fields.len() > 1 => {
                a.fields.remove(fi);
                a.index = None;
                a.invariant = a.invariant && a.fields.iter().any(|f| f.name == "horas");
            }
            2 => {
                // Rename with @was (not `horas`, which the invariant names).
                let f = &mut a.fields[fi];
                if f.name != "horas" && f.was.is_none() && !f.name.ends_with("_v2") {
                    f.was = Some(f.name.clone());
                    f.name = format!("{}_v2", f.name);
                }
            }
            3 => {
                let f = &mut a.fields[fi];
                f.ty = r.pick(FIELDS[f.vocab].1);
            }
            4 => a.fields[fi].nullable = !a.fields[fi].nullable,
            5 => {
                let f = &mut a.fields[fi];
                f.default = FIELDS[f.vocab].2.is_some() && !f.default;
            }
            6 => a.fields[fi].unique = !a.fields[fi].unique,
            7 => {
                if a.index != Some(fi) {
                    a.fields[fi].indexed = !a.fields[fi].indexed;
                }
            }
            8 => a.soft_delete = !a.soft_delete,
            9 => {
                if let Some(e) = c.enums.first_mut() {
                    if let Some(v) = VALUES.iter().find(|v| !e.values.contains(v)) {
                        e.values.push(v);
                    }
                }
            }
            10 => a.entity = if a.entity.is_some() { None } else { Some(gen_fields(&mut r, 1, 2)) },
            11 => {
                a.index = if a.index.is_some() || a.fields[fi].indexed { None } else { Some(fi) };
            }
            12 => a.status = if a.status.is_some() || n_enums == 0 { None } else { Some((0, true)) },
            _ => a.events = !a.events,
        }
    }
    // Sometimes a whole aggregate comes or goes (one nobody references).
    if r.chance(20) {
        let referenced: Vec<&'static str> =
            m.contexts.iter().flat_map(|c| c.aggregates.iter().filter_map(|a| a.reference.map(|x| x.1))).collect();
        let c = &mut m.contexts[0];
        if c.aggregates.len() > 1 && !referenced.contains(&c.aggregates[c.aggregates.len() - 1].name) {
            c.aggregates.pop();
        }
    } else if r.chance(20) {
        let used: Vec<&'static str> = m.contexts.iter().flat_map(|c| c.aggregates.iter().map(|a| a.name)).collect();
        if let Some(&name) = AGGREGATES.iter().find(|n| !used.contains(n)) {
            let last = m.contexts.len() - 1;
            let enums = m.contexts[last].enums.len();
            let agg = gen_aggregate(&mut r, name, enums, &[]);
            m.contexts[last].aggregates.push(agg);
        }
    }
    m
}

fn render_field(f: &Field) -> String {
    let mut s = format!("{}: {}", f.name, f.ty);
    if f.nullable {
        s.push('?');
    }
    if f.default {
        s.push_str(&format!(" = {}", FIELDS[f.vocab].2.unwrap_or("0")));
    }
    if f.unique {
        s.push_str(" unique");
    }
    if f.indexed {
        s.push_str(" indexed");
    }
    if let Some(w) = &f.was {
        s.push_str(&format!(" @was({w})"));
    }
    s
}

fn render(m: &Model) -> String {
    let mut s = String::from("/// Generated.\nmodel props {\n  target postgres 16\n  tables plural_es\n}\n");
    for c in &m.contexts {
        s.push_str(&format!("\n/// Context {}.\ncontext {} {{\n", c.name, c.name));
        for e in &c.enums {
            s.push_str(&format!("  enum {}{} {{\n", e.name, if e.native { " native" } else { "" }));
            for v in &e.values {
                s.push_str(&format!("    {v}\n"));
            }
            s.push_str("  }\n");
        }
        for a in &c.aggregates {
            s.push_str(&format!("  /// Aggregate {}.\n  aggregate {} {{\n", a.name, a.name));
            for f in &a.fields {
                s.push_str(&format!("    {}\n", render_field(f)));
            }
            if let Some((ei, nullable)) = a.status {
                if let Some(e) = c.enums.get(ei) {
                    if nullable {
                        s.push_str(&format!("    estado: {}?\n", e.name));
                    } else {
                        s.push_str(&format!("    estado: {} = {}\n", e.name, e.values[0]));
                    }
                }
            }
            if let Some((ctx, target)) = a.reference {
                s.push_str(&format!("    {}: ref {ctx}.{target}? on delete set null\n", target.to_lowercase()));
            }
            if a.soft_delete {
                s.push_str("    soft_delete\n");
            }
            if !a.timestamps {
                s.push_str("    no timestamps\n");
            }
            if a.invariant {
                s.push_str("    invariant horas_no_negativas: horas >= 0\n");
            }
            if let Some(i) = a.index {
                if let Some(f) = a.fields.get(i) {
                    s.push_str(&format!("    index ({})\n", f.name));
                }
            }
            if let Some(fields) = &a.entity {
                s.push_str(&format!("    entity {}Linea {{\n", a.name));
                for f in fields {
                    s.push_str(&format!("      {}\n", render_field(f)));
                }
                s.push_str("    }\n");
            }
            if a.events {
                s.push_str(&format!("    events {{\n      {}_CREADO\n    }}\n", a.name.to_uppercase()));
            }
            s.push_str("  }\n");
        }
        s.push_str("}\n");
    }
    s
}

// ------------------------------------------------------------ compiling --

struct Compiled {
    model: dddc::model::Model,
    schema: Schema,
}

fn compile(src: &str) -> Compiled {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = tmp.path().join("props.ddd");
    std::fs::write(&path, src).expect("write model");
    let fe = dddc::frontend(&path, Path::new("props.ddd")).expect("read model");
    let Some(model) = fe.model else {
        panic!(
            "the generated model does not compile:\n{}\n{src}",
            dddc::diagnostics::render_text(&fe.sources, &fe.diagnostics, dddc::diagnostics::ColorChoice::Never)
        );
    };
    let schema = dddc::relational::lower(&model).unwrap_or_else(|d| panic!("lowering failed: {d:?}\n{src}"));
    Compiled { model, schema }
}

/// An empty project folder (no template overrides).
fn project_dir() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temp dir")).path()
}

fn lock_of(c: &Compiled, config: &Config) -> Lock {
    let inputs = Inputs::new(config, project_dir());
    let p = plan(&c.model, &inputs).unwrap_or_else(|e| panic!("V1 plan: {e:?}"));
    let text = |name: &str| {
        p.outputs.iter().find(|o| o.path.ends_with(name)).map(|o| String::from_utf8_lossy(&o.bytes).into_owned())
    };
    Lock::parse(&text("dddc.lock").expect("a lock"), text("dddc.schema").as_deref()).expect("the lock parses")
}

/// The build's outputs (or its refusal) as one comparable text.
fn build_text(c: &Compiled, lock: &Lock, config: &Config) -> String {
    let inputs = Inputs {
        lock: Some(lock.clone()),
        source_date_epoch: Some(1_764_000_000),
        allow_destructive: true,
        ..Inputs::new(config, project_dir())
    };
    match plan(&c.model, &inputs) {
        Ok(p) => p
            .outputs
            .iter()
            .map(|o| format!("== {}\n{}", o.path.display(), String::from_utf8_lossy(&o.bytes)))
            .chain(p.summary.iter().cloned())
            .collect::<Vec<_>>()
            .join("\n"),
        Err(BuildError::Refused(r)) => format!("refused: {r:?}"),
        Err(e) => format!("error: {e:?}"),
    }
}

fn show_diff(a: &Schema, b: &Schema) -> String {
    let a = serde_json::to_string_pretty(a).unwrap();
    let b = serde_json::to_string_pretty(b).unwrap();
    similar::TextDiff::from_lines(&a, &b).unified_diff().context_radius(2).header("expected", "got").to_string()
}

/// `DDDC_KNOWN_BUGS=1` also runs the inputs that hit known engine bugs.
fn known_bugs() -> bool {
    std::env::var("DDDC_KNOWN_BUGS").as_deref() == Ok("1")
}

/// Known bug: a native enum that loses a value diffs as `CreateEnumType` +
/// `DropEnumType`, which the variant order runs create-then-drop, so
/// applying the diff drops the type (the same pair makes the undo of
/// `ALTER TYPE … ADD VALUE` fail on PostgreSQL, see
/// `tests/migrations/known_bugs/add_enum_value_native_undo`).
fn loses_native_enum_value(a: &Schema, b: &Schema) -> bool {
    a.enum_types.iter().any(|e| {
        b.enum_types
            .iter()
            .any(|n| n.schema == e.schema && n.name == e.name && e.values.iter().any(|v| !n.values.contains(v)))
    })
}

/// Known bug: `apply` of a `RenameColumn` does not rewrite the expressions
/// that name the column (index items and predicates, checks, generated
/// columns, policies), which PostgreSQL rewrites; `plan` patches the diff's
/// input for it (`renames::follow_columns`) but a file's `after` keeps the
/// old names. Blanks those expressions, unless `DDDC_KNOWN_BUGS=1`.
fn without_column_expressions(s: &Schema) -> Schema {
    let mut s = s.clone();
    if known_bugs() {
        return s;
    }
    for t in s.tables.iter_mut().map(std::sync::Arc::make_mut) {
        for i in &mut t.indexes {
            i.items.clear();
            i.predicate = None;
        }
        for c in &mut t.checks {
            c.expr.clear();
        }
        for c in &mut t.columns {
            c.generated = None;
        }
        for p in &mut t.policies {
            p.using.clear();
            p.with_check.clear();
        }
    }
    s
}

/// `DDDC_PROP_CASES=N` overrides the modest default case counts.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("DDDC_PROP_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(cases);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

// ------------------------------------------------------------ the laws --

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn diff_of_a_schema_with_itself_is_empty(seed in any::<u64>()) {
        let src = render(&gen_model(seed));
        let c = compile(&src);
        let changes = diff(&c.schema, &c.schema);
        prop_assert!(changes.is_empty(), "diff(s, s) = {changes:#?}\n{src}");
        // Every table compared, not skipped as shared: a copy that shares
        // none of them.
        let copy = Schema {
            tables: c.schema.tables.iter().map(|t| std::sync::Arc::new((**t).clone())).collect(),
            ..c.schema.clone()
        };
        let changes = diff(&c.schema, &copy);
        prop_assert!(changes.is_empty(), "diff(s, copy of s) = {changes:#?}\n{src}");
        // The lock's copy of the schema (through JSON) diffs empty too.
        let lock = lock_of(&c, &Config::default());
        let changes = diff(&lock.schema, &c.schema);
        prop_assert!(changes.is_empty(), "diff(lock, s) = {changes:#?}\n{src}");
    }
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn applying_the_diff_gives_the_target(seed_a in any::<u64>(), seed_b in any::<u64>(), edit in any::<bool>()) {
        let ma = gen_model(seed_a);
        let mb = if edit { mutate(&ma, seed_b) } else { gen_model(seed_b) };
        let (src_a, src_b) = (render(&ma), render(&mb));
        let (a, b) = (compile(&src_a), compile(&src_b));
        prop_assume!(known_bugs() || !loses_native_enum_value(&a.schema, &b.schema));
        let changes = diff(&a.schema, &b.schema);
        let got = normalized(&apply(&a.schema, &changes));
        let want = normalized(&b.schema);
        prop_assert!(got == want, "apply(a, diff(a, b)) != b:\n{}\n--- a\n{src_a}\n--- b\n{src_b}", show_diff(&want, &got));
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn the_plan_ends_at_the_target(seed_a in any::<u64>(), seed_b in any::<u64>()) {
        let ma = gen_model(seed_a);
        let mb = mutate(&ma, seed_b);
        let (src_a, src_b) = (render(&ma), render(&mb));
        let (a, b) = (compile(&src_a), compile(&src_b));
        let planned = dddc::migrate::plan(&a.schema, &b.model, &b.schema, Options { allow_destructive: true, ..Options::default() });
        if !planned.refusals.is_empty() {
            // Only what no flag allows may be refused here.
            prop_assert!(planned.refusals.iter().all(|r| r.unsupported), "{:?}", planned.refusals);
            return Ok(());
        }
        let end = planned.files.last().map_or(a.schema.clone(), |f| (*f.after).clone());
        let (mut got, mut want) = (normalized(&end), normalized(&b.schema));
        if src_b.contains("@was(") {
            got = without_column_expressions(&got);
            want = without_column_expressions(&want);
        }
        prop_assert!(got == want, "the plan does not end at b:\n{}\n--- a\n{src_a}\n--- b\n{src_b}", show_diff(&want, &got));
        // Each file starts where the previous one ended.
        for w in planned.files.windows(2) {
            prop_assert!(normalized(&w[0].after) == normalized(&w[1].before));
        }
    }
}

proptest! {
    #![proptest_config(config(32))]

    #[test]
    fn planning_is_deterministic(seed_a in any::<u64>(), seed_b in any::<u64>()) {
        let ma = gen_model(seed_a);
        let mb = mutate(&ma, seed_b);
        let (src_a, src_b) = (render(&ma), render(&mb));
        let config = Config::default();
        let lock = lock_of(&compile(&src_a), &config);
        prop_assert!(lock == lock_of(&compile(&src_a), &config), "V1 and its lock differ between two runs");
        let first = build_text(&compile(&src_b), &lock, &config);
        let second = build_text(&compile(&src_b), &lock, &config);
        prop_assert!(first == second, "two builds of the same model and lock differ:\n{}",
            similar::TextDiff::from_lines(&first, &second).unified_diff());
    }
}

/// The generator covers what it claims: over a few seeds every construct
/// shows up, and every generated model (and edit) compiles.
#[test]
fn the_generator_covers_the_vocabulary() {
    let mut text = String::new();
    for seed in 0..40u64 {
        let m = gen_model(seed);
        text.push_str(&render(&m));
        let edited = render(&mutate(&m, seed ^ 0xDDDC));
        compile(&edited);
        text.push_str(&edited);
    }
    for needle in [
        "native",
        "unique",
        "indexed",
        "?",
        "@was(",
        "ref ",
        "soft_delete",
        "no timestamps",
        "invariant",
        "index (",
        "entity ",
        "events {",
        "estado: ",
    ] {
        assert!(text.contains(needle), "no generated model uses {needle:?}");
    }
}

/// Past a few lookups `apply` answers from a map of where each table, and
/// each index by name, is; an index or a foreign key added to or dropped
/// from a table leaves the tables' map current and the indexes' to be made
/// again. Here thirty tables (more changes of each kind than lookups by a
/// scan) each lose an index, which moves the next one up, get a new one
/// and a reference, and see the moved index's comment change; one is
/// renamed: the schema applied is the target's.
#[test]
fn many_indexes_and_references_changed_apply_to_the_target() {
    let model = |edited: bool| {
        let mut src = String::from("model m { target postgres 16 }\ncontext c {\n");
        for i in 0..30 {
            let name = if edited && i == 29 { "Renamed29 @was(A29)".to_string() } else { format!("A{i}") };
            src.push_str(&format!("  aggregate {name} {{\n    code: text(20)\n    amount: int\n"));
            if edited {
                src.push_str(&format!("    other: ref A{}?\n", (i + 1) % 29));
                src.push_str("    /// By code and amount.\n    index (code, amount)\n");
                src.push_str("    /// Lookups by amount, now documented again.\n    index (amount)\n");
            } else {
                src.push_str("    index (code)\n    /// Lookups by amount.\n    index (amount)\n");
            }
            src.push_str("  }\n");
        }
        src.push_str("}\n");
        src
    };
    let (a, b) = (compile(&model(false)), compile(&model(true)));
    let changes = diff(&a.schema, &b.schema);
    let got = normalized(&apply(&a.schema, &changes));
    let want = normalized(&b.schema);
    assert!(got == want, "apply(a, diff(a, b)) != b:\n{}", show_diff(&want, &got));
    let planned = dddc::migrate::plan(&a.schema, &b.model, &b.schema, Options::default());
    assert!(planned.refusals.is_empty(), "{:?}", planned.refusals);
    let end = planned.files.last().map_or(a.schema.clone(), |f| (*f.after).clone());
    assert!(normalized(&end) == want, "the plan's end != b:\n{}", show_diff(&want, &normalized(&end)));
}
