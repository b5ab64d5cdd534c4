//! Figures for the whole pipeline: `cargo bench --bench pipeline`.
//!
//! Measures, on the bundled MiToga model and on a generated model of a few
//! hundred aggregates, the time to read + parse + validate, to lower to the
//! relational schema, to write V1, and to plan an evolution against a lock.
//! Prints the median of several runs; asserts nothing (machines are noisy).

use std::path::Path;
use std::time::{Duration, Instant};

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn time<T>(iterations: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut runs = Vec::new();
    for _ in 0..iterations {
        let start = Instant::now();
        std::hint::black_box(f());
        runs.push(start.elapsed());
    }
    median(runs)
}

/// A model with `contexts` × `aggregates` aggregates of 8 fields, an enum, a
/// value object, an entity, an invariant and an index each.
fn synthetic(contexts: usize, aggregates: usize) -> String {
    let mut s = String::from("model big {\n  tables plural_en\n  defaults { soft_delete }\n}\n\nvalue Money {\n  amount: decimal(12, 2)\n  currency: char(3)\n  invariant positive: amount >= 0\n}\n");
    for c in 0..contexts {
        s.push_str(&format!("\n/// Context {c}.\ncontext ctx{c} {{\n  enum Status{c} {{ DRAFT ACTIVE CLOSED }}\n"));
        for a in 0..aggregates {
            let prev = if a > 0 { format!("    previous: ref Item{c}x{}?\n", a - 1) } else { String::new() };
            s.push_str(&format!(
                "  /// Aggregate {a}.\n  aggregate Item{c}x{a} {{\n    name: text(100)\n    code: text(20) unique\n    status: Status{c} = DRAFT\n    price: Money\n    quantity: int = 0\n    notes: text?\n    due: date?\n{prev}    entity Line{a} {{\n      amount: decimal(10, 2)\n      invariant positive: amount > 0\n    }}\n    invariant closed_has_due: status == CLOSED implies due is not null\n    index (status, name)\n  }}\n"
            ));
        }
        s.push_str("}\n");
    }
    s
}

fn bench_model(label: &str, root: &Path, iterations: usize) {
    let fe = time(iterations, || dddc::frontend(root, root).expect("model reads"));
    let front = dddc::frontend(root, root).expect("model reads");
    assert!(
        front.model.is_some(),
        "{label}: the model has errors: {:?}",
        front.diagnostics.first().map(|d| &d.message)
    );
    let model = front.model.expect("valid model");
    let lower = time(iterations, || dddc::relational::lower(&model).expect("lowers"));
    let schema = dddc::relational::lower(&model).expect("lowers");
    let config = dddc::config::Config::default();
    let inputs = dddc::build::Inputs::new(&config, Path::new("."));
    let v1 = time(iterations, || dddc::build::plan(&model, &inputs).expect("plans"));
    let first = dddc::build::plan(&model, &inputs).expect("plans");
    let text = |name: &str| {
        first.outputs.iter().find(|o| o.path.ends_with(name)).map(|o| String::from_utf8_lossy(&o.bytes).into_owned())
    };
    let mut lock = dddc::lock::Lock::parse(&text("dddc.lock").expect("a lock"), text("dddc.schema").as_deref())
        .expect("lock parses");
    // An evolution: drop a column from the lock's view so the plan has work.
    if let Some(t) = lock.schema.tables.first_mut() {
        t.columns.retain(|c| c.name != "created_at");
    }
    let evolve_inputs = dddc::build::Inputs { lock: Some(lock), ..inputs };
    let evolve = time(iterations, || dddc::build::plan(&model, &evolve_inputs).expect("plans"));
    let v1_bytes: usize = first.outputs.iter().map(|o| o.bytes.len()).sum();
    println!(
        "{label:<28} {:>5} tables  front end {:>9.2?}  lower {:>9.2?}  build (V1, U1, lock, docs) {:>9.2?} ({} KiB)  evolution plan {:>9.2?}",
        schema.tables.len(),
        fe,
        lower,
        v1,
        v1_bytes / 1024,
        evolve
    );
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    println!("dddc pipeline benchmark (median of runs)");
    bench_model("examples/mitoga", &root.join("examples/mitoga/mitoga.ddd"), 20);
    let dir = tempfile::tempdir().expect("temp dir");
    for (c, a) in [(10, 10), (20, 25)] {
        let path = dir.path().join(format!("big_{c}x{a}.ddd"));
        std::fs::write(&path, synthetic(c, a)).expect("write model");
        bench_model(&format!("synthetic {c} ctx x {a} agg"), &path, 5);
    }
}
