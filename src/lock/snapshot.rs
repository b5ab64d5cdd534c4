//! `dddc.schema`: the schema after the last migration, as canonical text.
//!
//! One object per line: a keyword, the object's name, and its properties as
//! compact JSON (keys sorted, absent values left out). Objects of the whole
//! database come first; then each table, its line followed by indented lines
//! for its columns, keys, checks, indexes, triggers, policies and
//! partitions. Every list is sorted by name and every line is written the
//! same way on every run, so a change of the model is a diff of the lines it
//! touches, and two branches that change different aggregates change lines
//! far apart: git merges them.
//!
//! ```text
//! table reservas.reservas {"aggregate":"reservas.Reserva","kind":"aggregate_root","row_level_security":true}
//!   column estado {"default":"'PENDIENTE'","type":"VARCHAR(10)"}
//!   primary_key reservas_pkey {"columns":["id"]}
//! ```
//!
//! What only the docs use (where a column comes from, an invariant's text)
//! is not kept: the docs are made from the model.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::relational::{
    Check, CheckSource, Column, EnumType, ForeignKey, Function, Index, PartitionDef, Partitioning, Policy, PrimaryKey,
    PublicationDef, RoleDef, Schema, SchemaDef, Table, Trigger, Unique,
};

const HEADER: &str = "# dddc schema snapshot (format 2): the database schema the migrations of this folder build.\n\
# Written by `dddc build`; do not edit. One object per line, sorted, so that git merges it like code.\n";

/// The snapshot of a schema.
pub fn write(s: &Schema) -> String {
    let mut whole = Whole(Vec::with_capacity(estimate(s)));
    write_lines(s, &mut whole);
    // Names, kinds and serde_json's output are all UTF-8.
    String::from_utf8(whole.0).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// About the bytes [`write`] of `s` takes, a little more: under it, the
/// buffer doubled (8.5 MB at 2,000 aggregates took 12); over it costs
/// only address space, as pages never written are never faulted in
/// (12.7 MB for the generated 2,000 model's 8.5, 15.8 for its
/// multi-tenant rich one's 11.3). Comments are counted as they are, so
/// that a model documented at length is not under.
fn estimate(s: &Schema) -> usize {
    let comment = |c: &Option<String>| c.as_ref().map_or(0, String::len);
    // A check's condition is written twice (as SQL, and as the model
    // wrote it) when it comes from an invariant.
    let check = |c: &Check| 100 + 2 * c.expr.len() + comment(&c.comment);
    let size = |t: &Table| {
        100 + comment(&t.comment)
            + t.columns.iter().map(|c| 100 + comment(&c.comment)).sum::<usize>()
            + t.checks.iter().map(check).sum::<usize>()
            + t.partitioning.as_ref().map_or(0, |p| 100 * p.partitions.len())
            + 200 * (1 + t.uniques.len() + t.foreign_keys.len() + t.indexes.len() + t.triggers.len() + t.policies.len())
    };
    let enums =
        s.enum_types.iter().map(|e| 100 + comment(&e.comment) + e.values.iter().map(|v| v.len() + 3).sum::<usize>());
    let functions = s.functions.iter().map(|f| 200 + f.body.len() + comment(&f.comment));
    HEADER.len()
        + 100 * (s.schemas.len() + s.extensions.len() + s.roles.len() + s.publications.len())
        + enums.sum::<usize>()
        + functions.sum::<usize>()
        + s.tables.iter().map(|t| size(t)).sum::<usize>()
}

/// Whether [`write`] of `s` gives `text`, without the snapshot ever being
/// whole in memory: each line is compared as it is made (after the first
/// that differs, the rest are made but not compared). A check compares
/// the model's schema with `dddc.schema`: the 10.6 MB buffer of a whole
/// snapshot of 2,000 aggregates was part of its peak (when the
/// documents were made beside the comparison).
pub fn writes(s: &Schema, text: &str) -> bool {
    let mut against = Against { rest: text.as_bytes(), line: Vec::with_capacity(512) };
    write_lines(s, &mut against) && against.rest.is_empty()
}

/// [`writes`], against the text `reader` gives (`dddc.schema` read a
/// piece at a time: a check then does not hold it while its documents are
/// made, 11 MB at 2,000 aggregates of the multi-tenant model). A text
/// that cannot be read is not the snapshot.
pub fn writes_read(s: &Schema, reader: impl std::io::BufRead) -> bool {
    let mut against = AgainstRead { reader, line: Vec::with_capacity(512) };
    write_lines(s, &mut against) && against.reader.fill_buf().is_ok_and(|rest| rest.is_empty())
}

/// Where [`write_lines`] puts each line.
trait Lines {
    /// The buffer the next line is written at the end of.
    fn buffer(&mut self) -> &mut Vec<u8>;
    /// The line is written: `false` to stop.
    fn done(&mut self) -> bool;
}

/// Every line in one buffer.
struct Whole(Vec<u8>);

impl Lines for Whole {
    fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }
    fn done(&mut self) -> bool {
        true
    }
}

/// Each line compared with the start of what is left of a text.
struct Against<'a> {
    rest: &'a [u8],
    line: Vec<u8>,
}

impl Lines for Against<'_> {
    fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.line
    }
    fn done(&mut self) -> bool {
        let Some(rest) = self.rest.strip_prefix(self.line.as_slice()) else { return false };
        self.rest = rest;
        self.line.clear();
        true
    }
}

/// Each line compared with what `reader` gives next.
struct AgainstRead<R> {
    reader: R,
    line: Vec<u8>,
}

impl<R: std::io::BufRead> Lines for AgainstRead<R> {
    fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.line
    }
    fn done(&mut self) -> bool {
        let mut line = self.line.as_slice();
        while !line.is_empty() {
            let read = match self.reader.fill_buf() {
                Ok([]) => return false,
                Ok(read) => read,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return false,
            };
            let n = read.len().min(line.len());
            if read[..n] != line[..n] {
                return false;
            }
            self.reader.consume(n);
            line = &line[n..];
        }
        self.line.clear();
        true
    }
}

/// The snapshot's lines, each handed to `sink` once written; `false` when
/// the sink stopped it.
fn write_lines(s: &Schema, sink: &mut impl Lines) -> bool {
    // Bytes, so that each line's JSON is written by serde_json straight
    // into the buffer (a `Value`'s `Display` goes through `fmt` a token at
    // a time: a third of the time this took).
    sink.buffer().extend_from_slice(HEADER.as_bytes());
    let mut going = sink.done();
    let mut line = |indent: bool, kind: &str, name: &str, props: Props| {
        if !going {
            return;
        }
        let out = sink.buffer();
        out.extend_from_slice(if indent { b"  " } else { b"" });
        out.extend_from_slice(kind.as_bytes());
        out.push(b' ');
        out.extend_from_slice(name.as_bytes());
        match props {
            Props::Map(props) if props.as_object().is_some_and(|m| !m.is_empty()) => {
                out.push(b' ');
                // Compact, as `Display` writes it; writing to a Vec cannot fail.
                let _ = serde_json::to_writer(&mut *out, &props);
            }
            Props::Map(_) => {}
            Props::Part(part) => part.write(out),
        }
        out.push(b'\n');
        going = sink.done();
    };
    line(false, "target", &s.target.to_string(), Props::Map(Value::Null));
    let mut extensions = s.extensions.clone();
    extensions.sort();
    for e in &extensions {
        line(false, "extension", e, Props::Map(Value::Null));
    }
    for x in by_name(&s.schemas, |x| &x.name) {
        line(false, "schema", &x.name, Props::Map(props(x, &["name"])));
    }
    for e in sorted(&s.enum_types, |e| format!("{}.{}", e.schema, e.name)) {
        line(false, "enum", &format!("{}.{}", e.schema, e.name), Props::Map(props(e, &["schema", "name"])));
    }
    for f in sorted(&s.functions, |f| format!("{}.{}", f.schema, f.name)) {
        line(false, "function", &format!("{}.{}", f.schema, f.name), Props::Map(props(f, &["schema", "name"])));
    }
    for r in by_name(&s.roles, |r| &r.name) {
        let mut r = r.clone();
        r.read.sort();
        r.write.sort();
        line(false, "role", &r.name, Props::Map(props(&r, &["name"])));
    }
    for p in by_name(&s.publications, |p| &p.name) {
        line(false, "publication", &p.name, Props::Map(props(p, &["name"])));
    }
    for t in sorted(&s.tables, |t| format!("{}.{}", t.schema, t.name)) {
        line(false, "table", &format!("{}.{}", t.schema, t.name), Props::Part(Part::Table(t)));
        for c in by_name(&t.columns, |c| &c.name) {
            line(true, "column", &c.name, Props::Part(Part::Column(c)));
        }
        if let Some(pk) = &t.primary_key {
            line(true, "primary_key", &pk.name, Props::Part(Part::PrimaryKey(pk)));
        }
        for u in by_name(&t.uniques, |u| &u.name) {
            line(true, "unique", &u.name, Props::Part(Part::Unique(u)));
        }
        for c in by_name(&t.checks, |c| &c.name) {
            line(true, "check", &c.name, Props::Part(Part::Check(c)));
        }
        for f in by_name(&t.foreign_keys, |f| &f.name) {
            line(true, "foreign_key", &f.name, Props::Part(Part::ForeignKey(f)));
        }
        for i in by_name(&t.indexes, |i| &i.name) {
            line(true, "index", &i.name, Props::Part(Part::Index(i)));
        }
        for tr in by_name(&t.triggers, |x| &x.name) {
            line(true, "trigger", &tr.name, Props::Part(Part::Trigger(tr)));
        }
        for p in by_name(&t.policies, |x| &x.name) {
            line(true, "policy", &p.name, Props::Part(Part::Policy(p)));
        }
        for p in t.partitioning.iter().flat_map(|p| by_name(&p.partitions, |x| &x.name)) {
            line(true, "partition", &p.name, Props::Part(Part::Partition(p)));
        }
    }
    going
}

/// Reads a snapshot written by [`write`].
pub fn read(text: &str) -> Result<Schema, String> {
    read_with(text, true)
}

/// [`read`]; `direct` parses a table part's line straight into its type
/// when it can (the tests compare both ways).
fn read_with(text: &str, direct: bool) -> Result<Schema, String> {
    let mut s = Schema::default();
    let mut table: Option<Table> = None;
    for (i, raw) in text.lines().enumerate() {
        let at = |e: String| format!("line {}: {e}", i + 1);
        if raw.trim().is_empty() || raw.starts_with('#') {
            continue;
        }
        let indented = raw.starts_with("  ");
        let (kind, rest) = raw.trim_start().split_once(' ').ok_or_else(|| at("no name".into()))?;
        let (name, json) = rest.split_once(' ').unwrap_or((rest, ""));
        if direct && indented && kind != "check" {
            // The usual line: parsed straight into its type, with its name
            // spliced in as the first key, without the `Map` below.
            // Anything that does not parse so (a hand-edited line)
            // takes the long way, which says what is wrong with it.
            if let Some(t) = table.as_mut() {
                if part(t, kind, name, json) {
                    continue;
                }
            }
        }
        let mut props: Map<String, Value> = if json.is_empty() {
            Map::new()
        } else {
            serde_json::from_str(json).map_err(|e| at(format!("invalid properties: {e}")))?
        };
        if indented {
            let t = table.as_mut().ok_or_else(|| at(format!("`{kind}` outside a table")))?;
            props.insert("name".into(), Value::String(name.into()));
            match kind {
                "column" => t.columns.push(object(props).map_err(at)?),
                "primary_key" => t.primary_key = Some(object::<PrimaryKey>(props).map_err(at)?),
                "unique" => t.uniques.push(object::<Unique>(props).map_err(at)?),
                "check" => {
                    props.entry("source").or_insert_with(|| {
                        serde_json::to_value(CheckSource::Invariant { source: String::new() }).unwrap_or_default()
                    });
                    t.checks.push(object::<Check>(props).map_err(at)?)
                }
                "foreign_key" => t.foreign_keys.push(object::<ForeignKey>(props).map_err(at)?),
                "index" => t.indexes.push(object::<Index>(props).map_err(at)?),
                "trigger" => t.triggers.push(object::<Trigger>(props).map_err(at)?),
                "policy" => t.policies.push(object::<Policy>(props).map_err(at)?),
                "partition" => match &mut t.partitioning {
                    Some(p) => p.partitions.push(object::<PartitionDef>(props).map_err(at)?),
                    None => return Err(at("a partition of a table that is not partitioned".into())),
                },
                other => return Err(at(format!("unknown object `{other}`"))),
            }
            continue;
        }
        if let Some(t) = table.take() {
            s.tables.push(t.into());
        }
        let (qualifier, base) = name.split_once('.').unwrap_or(("", name));
        let qualified = |props: &mut Map<String, Value>| {
            props.insert("schema".into(), Value::String(qualifier.into()));
            props.insert("name".into(), Value::String(base.into()));
        };
        match kind {
            "target" => s.target = name.parse().map_err(|_| at(format!("bad target `{name}`")))?,
            "extension" => s.extensions.push(name.to_string()),
            "schema" => {
                props.insert("name".into(), Value::String(name.into()));
                s.schemas.push(object::<SchemaDef>(props).map_err(at)?);
            }
            "enum" => {
                qualified(&mut props);
                s.enum_types.push(object::<EnumType>(props).map_err(at)?);
            }
            "function" => {
                qualified(&mut props);
                s.functions.push(object::<Function>(props).map_err(at)?);
            }
            "role" => {
                props.insert("name".into(), Value::String(name.into()));
                s.roles.push(object::<RoleDef>(props).map_err(at)?);
            }
            "publication" => {
                props.insert("name".into(), Value::String(name.into()));
                s.publications.push(object::<PublicationDef>(props).map_err(at)?);
            }
            "table" => {
                let partition_by = props.remove("partition_by");
                qualified(&mut props);
                for list in ["columns", "uniques", "checks", "foreign_keys", "indexes", "triggers", "policies"] {
                    props.insert(list.into(), Value::Array(Vec::new()));
                }
                let mut t: Table = object(props).map_err(at)?;
                if let Some(Value::Object(mut p)) = partition_by {
                    p.insert("partitions".into(), Value::Array(Vec::new()));
                    t.partitioning = Some(object::<Partitioning>(p).map_err(at)?);
                }
                table = Some(t);
            }
            other => return Err(at(format!("unknown object `{other}`"))),
        }
    }
    if let Some(t) = table.take() {
        s.tables.push(t.into());
    }
    Ok(s)
}

/// A line's properties: a map made by [`props`] (the few objects of the
/// whole database), or a table's or its part's, written without one.
enum Props<'a> {
    Map(Value),
    Part(Part<'a>),
}

/// A table's line or one of its parts': most of the snapshot's lines.
/// Their properties are written straight, exactly as [`Part::map`] makes
/// them (keys sorted, absent values left out), without a sorted map built
/// and dropped per line: that map was about half the time of a check's
/// "compare the lock's schema" at 2,000 aggregates. Debug builds compare
/// the two ways on every line, and a test on every test model.
#[derive(Clone, Copy)]
enum Part<'a> {
    Table(&'a Table),
    Column(&'a Column),
    PrimaryKey(&'a PrimaryKey),
    Unique(&'a Unique),
    Check(&'a Check),
    ForeignKey(&'a ForeignKey),
    Index(&'a Index),
    Trigger(&'a Trigger),
    Policy(&'a Policy),
    Partition(&'a PartitionDef),
}

impl Part<'_> {
    /// ` {…}` after the line's name, or nothing for no properties.
    fn write(self, out: &mut Vec<u8>) {
        let before = out.len();
        out.push(b' ');
        let mut o = Obj { start: out.len(), out };
        self.props(&mut o);
        if o.out.len() == o.start {
            out.truncate(before);
        } else {
            out.push(b'}');
        }
        #[cfg(debug_assertions)]
        {
            let map = self.map();
            let expected =
                if map.as_object().is_some_and(|m| !m.is_empty()) { format!(" {map}") } else { String::new() };
            debug_assert_eq!(
                std::str::from_utf8(&out[before..]).ok(),
                Some(expected.as_str()),
                "a snapshot line's direct way drifted from its serde form"
            );
        }
    }

    /// The properties, each key in sorted order (the order of a
    /// `serde_json::Map`): what serde writes for a struct is in the order
    /// of its fields, so a nested struct is spelled out here unless its
    /// fields are declared sorted.
    fn props(self, o: &mut Obj) {
        match self {
            Part::Table(t) => {
                o.opt("aggregate", &t.aggregate);
                o.opt("comment", &t.comment);
                o.val("kind", &t.kind);
                if let Some(p) = &t.partitioning {
                    o.obj("partition_by", |o| {
                        o.val("column", &p.column);
                        o.val("method", &p.method);
                    });
                }
                o.flag("row_level_security", t.row_level_security);
            }
            Part::Column(c) => {
                o.opt("comment", &c.comment);
                o.opt("default", &c.default);
                if !c.depends_on.is_empty() {
                    o.val("depends_on", &c.depends_on);
                }
                o.opt("generated", &c.generated);
                o.flag("identity", c.identity);
                o.flag("nullable", c.nullable);
                o.val("type", &c.ty.to_string());
            }
            Part::PrimaryKey(k) => o.val("columns", &k.columns),
            Part::Unique(u) => o.val("columns", &u.columns),
            Part::Check(c) => {
                o.opt("comment", &c.comment);
                o.val("expr", &c.expr);
                // The evolution engine needs an enum's values; the rest of
                // a check's source is for the docs.
                if let CheckSource::Enum { name, column, values } = &c.source {
                    o.obj("source", |o| {
                        o.obj("enum", |o| {
                            o.val("column", column);
                            o.val("name", name);
                            o.val("values", values);
                        })
                    });
                }
            }
            Part::ForeignKey(f) => {
                o.val("columns", &f.columns);
                o.val("on_delete", &f.on_delete);
                if !f.on_delete_columns.is_empty() {
                    o.val("on_delete_columns", &f.on_delete_columns);
                }
                o.val("on_update", &f.on_update);
                o.val("ref_columns", &f.ref_columns);
                o.val("ref_schema", &f.ref_schema);
                o.val("ref_table", &f.ref_table);
            }
            Part::Index(i) => {
                o.opt("comment", &i.comment);
                o.val("items", &i.items);
                o.val("method", &i.method);
                o.opt("predicate", &i.predicate);
                o.flag("unique", i.unique);
            }
            Part::Trigger(t) => {
                o.val("events", &t.events);
                o.obj("function", |o| {
                    o.val("args", &t.function.args);
                    o.val("name", &t.function.name);
                    o.val("schema", &t.function.schema);
                });
                o.val("timing", &t.timing);
            }
            Part::Policy(p) => {
                o.val("using", &p.using);
                o.val("with_check", &p.with_check);
            }
            Part::Partition(p) => {
                // Its variants' fields are declared sorted.
                o.val("bound", &p.bound);
                o.flag("row_level_security", p.row_level_security);
            }
        }
    }

    /// The properties through serde and a sorted map: the reference the
    /// direct way is held to.
    #[cfg(any(test, debug_assertions))]
    fn map(self) -> Value {
        match self {
            Part::Table(t) => {
                let mut table = props(
                    &TableLine {
                        comment: &t.comment,
                        kind: t.kind,
                        aggregate: &t.aggregate,
                        row_level_security: t.row_level_security,
                    },
                    &[],
                );
                if let (Some(p), Some(m)) = (&t.partitioning, table.as_object_mut()) {
                    m.insert("partition_by".into(), props(p, &["partitions"]));
                }
                table
            }
            Part::Column(c) => props(c, &["name", "origin_note"]),
            Part::PrimaryKey(k) => props(k, &["name"]),
            Part::Unique(u) => props(u, &["name"]),
            Part::Check(c) => {
                let skip: &[&str] = if c.enum_values().is_some() { &["name"] } else { &["name", "source"] };
                props(c, skip)
            }
            Part::ForeignKey(f) => props(f, &["name"]),
            Part::Index(i) => props(i, &["name"]),
            Part::Trigger(t) => props(t, &["name"]),
            Part::Policy(p) => props(p, &["name"]),
            Part::Partition(p) => props(p, &["name"]),
        }
    }
}

/// A JSON object written a key at a time, in the order the keys are given.
struct Obj<'a> {
    out: &'a mut Vec<u8>,
    /// Where the object starts: nothing written yet while `out` ends here.
    start: usize,
}

impl Obj<'_> {
    fn key(&mut self, k: &str) -> &mut Vec<u8> {
        self.out.extend_from_slice(if self.out.len() == self.start { b"{\"" } else { b",\"" });
        self.out.extend_from_slice(k.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    /// `v` as serde_json writes it: for a string, a list, a number or a
    /// unit variant the same bytes as through a `Value` (writing to a Vec
    /// cannot fail).
    fn val<T: Serialize + ?Sized>(&mut self, k: &str, v: &T) {
        let _ = serde_json::to_writer(self.key(k), v);
    }

    /// An absent value is left out.
    fn opt(&mut self, k: &str, v: &Option<String>) {
        if let Some(v) = v {
            self.val(k, v);
        }
    }

    /// Written only when true (`skip_serializing_if = "is_false"`).
    fn flag(&mut self, k: &str, v: bool) {
        if v {
            self.key(k).extend_from_slice(b"true");
        }
    }

    fn obj(&mut self, k: &str, props: impl FnOnce(&mut Obj)) {
        let out = self.key(k);
        let mut o = Obj { start: out.len(), out };
        props(&mut o);
        if o.out.len() == o.start {
            o.out.push(b'{');
        }
        o.out.push(b'}');
    }
}

/// Adds the table part a line describes, parsed from `{"name":NAME, …JSON}`;
/// false when that does not parse.
fn part(t: &mut Table, kind: &str, name: &str, json: &str) -> bool {
    fn parse<T: DeserializeOwned>(name: &str, json: &str) -> Option<T> {
        let rest = if json.is_empty() { "}" } else { json.strip_prefix('{')? };
        let mut text = String::with_capacity(name.len() + json.len() + 12);
        text.push_str("{\"name\":");
        text.push_str(&serde_json::to_string(name).ok()?);
        if rest.trim_start().starts_with('}') {
            text.push_str(rest);
        } else {
            text.push(',');
            text.push_str(rest);
        }
        serde_json::from_str(&text).ok()
    }
    match kind {
        "column" => parse(name, json).map(|c| t.columns.push(c)).is_some(),
        "primary_key" => parse(name, json).map(|k| t.primary_key = Some(k)).is_some(),
        "unique" => parse(name, json).map(|u| t.uniques.push(u)).is_some(),
        "foreign_key" => parse(name, json).map(|f| t.foreign_keys.push(f)).is_some(),
        "index" => parse(name, json).map(|i| t.indexes.push(i)).is_some(),
        "trigger" => parse(name, json).map(|x| t.triggers.push(x)).is_some(),
        "policy" => parse(name, json).map(|p| t.policies.push(p)).is_some(),
        "partition" => match &mut t.partitioning {
            Some(p) => parse(name, json).map(|x| p.partitions.push(x)).is_some(),
            None => false,
        },
        _ => false,
    }
}

/// The object's properties without the keys its line already says, and
/// without absent values.
fn props<T: Serialize>(x: &T, skip: &[&str]) -> Value {
    let mut v = serde_json::to_value(x).unwrap_or_default();
    if let Some(m) = v.as_object_mut() {
        m.retain(|k, v| !skip.contains(&k.as_str()) && !v.is_null());
    }
    v
}

fn object<T: DeserializeOwned>(props: Map<String, Value>) -> Result<T, String> {
    serde_json::from_value(Value::Object(props)).map_err(|e| e.to_string())
}

fn sorted<T, K: Ord>(items: &[T], key: impl Fn(&T) -> K) -> Vec<&T> {
    let mut v: Vec<&T> = items.iter().collect();
    v.sort_by_cached_key(|x| key(x));
    v
}

/// [`sorted`] by a name the item holds: compared in place, in the same
/// stable order, without a key allocated per item.
fn by_name<T>(items: &[T], name: impl Fn(&T) -> &String) -> Vec<&T> {
    let mut v: Vec<&T> = items.iter().collect();
    v.sort_by(|a, b| name(a).cmp(name(b)));
    v
}

/// A table's line: [`Table`] without its parts.
#[cfg(any(test, debug_assertions))]
#[derive(Serialize)]
struct TableLine<'a> {
    comment: &'a Option<String>,
    kind: crate::relational::TableKind,
    aggregate: &'a Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    row_level_security: bool,
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_patch_with_huge_counts_is_an_error_not_a_panic() {
        for op in ["=18446744073709551615", "-18446744073709551615"] {
            assert!(Patch::apply("a\n", &["=1".into(), op.into()]).is_err(), "{op}");
        }
    }
    use super::*;

    /// The buffer is sized once: never under the text (it would double),
    /// nor far over it, for the examples and MiToga documented at length
    /// (every test model is held to the first half below).
    #[test]
    fn the_estimate_holds_the_text() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let read_example = |name: &str| {
            let path = root.join("examples").join(name).join("db/migration/dddc.schema");
            read(&std::fs::read_to_string(path).unwrap()).unwrap()
        };
        let mitoga = read_example("mitoga");
        let mut wordy = mitoga.clone();
        for t in wordy.tables.iter_mut().map(std::sync::Arc::make_mut) {
            t.comment = Some("Una tabla documentada con detalle. ".repeat(20));
            for c in &mut t.columns {
                c.comment = Some("Un campo documentado con detalle: qué guarda, quién lo escribe y cuándo. ".repeat(8));
            }
        }
        for (name, s) in [("mitoga", mitoga), ("history", read_example("history")), ("wordy mitoga", wordy)] {
            let (text, guess) = (write(&s), estimate(&s));
            eprintln!("{name}: {} bytes, estimated {guess} ({:.2}x)", text.len(), guess as f64 / text.len() as f64);
            assert!(guess >= text.len(), "{name}: {guess} < {}", text.len());
            assert!(guess <= 2 * text.len(), "{name}: {guess} > 2 x {}", text.len());
        }
    }

    #[test]
    fn an_empty_schema_round_trips() {
        let s = Schema { target: 16, extensions: vec!["pgcrypto".into()], ..Schema::default() };
        assert_eq!(read(&write(&s)), Ok(s));
    }

    #[test]
    fn a_text_is_compared_line_by_line_as_written() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(root.join("examples/mitoga/db/migration/dddc.schema")).unwrap();
        let schema = read(&text).unwrap();
        assert!(writes(&schema, &text));
        // Read a few bytes at a time, so that lines span reads.
        fn reader(text: &str, size: usize) -> std::io::BufReader<&[u8]> {
            std::io::BufReader::with_capacity(size, text.as_bytes())
        }
        for size in [1, 7, 4096, 1 << 20] {
            assert!(writes_read(&schema, reader(&text, size)), "{size}");
        }
        // An ASCII letter half way: replaced by another.
        let mid = (text.len() / 2..).find(|&i| text.as_bytes()[i].is_ascii_lowercase()).unwrap();
        let changed = [
            String::new(),
            text[..text.len() - 1].to_string(),
            format!("{text}\n"),
            format!("{text}table x.y\n"),
            format!("{}X{}", &text[..mid], &text[mid + 1..]),
            text.replacen('\n', "\n\n", 1),
            text.replacen("  column ", "  column  ", 1),
        ];
        for other in &changed {
            assert_ne!(other, &text);
            assert!(!writes(&schema, other), "{:?}", &other[other.len().saturating_sub(40)..]);
            for size in [1, 7, 4096] {
                assert!(!writes_read(&schema, reader(other, size)), "{size}");
            }
        }
        let empty = Schema { target: 16, ..Schema::default() };
        assert!(writes(&empty, &write(&empty)));
        assert!(writes_read(&empty, reader(&write(&empty), 5)));
        assert!(!writes(&empty, &text));
        assert!(!writes_read(&empty, reader(&text, 5)));
    }

    #[test]
    fn parts_read_straight_are_read_as_through_a_map() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut lines = 0;
        for example in ["mitoga", "history"] {
            let path = root.join("examples").join(example).join("db/migration/dddc.schema");
            let text = std::fs::read_to_string(&path).unwrap();
            lines += text.lines().filter(|l| l.starts_with("  ")).count();
            assert_eq!(read_with(&text, true), read_with(&text, false), "{}", path.display());
            assert_eq!(write(&read(&text).unwrap()), text, "{}", path.display());
        }
        assert!(lines > 100, "the examples have table parts to read ({lines})");
        // Every test model, lowered by the front end: hostile names (quotes,
        // backslashes, keywords, Unicode), tenants, partitions, identities.
        let mut models = 0;
        for entry in std::fs::read_dir(root.join("tests/models")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "ddd") {
                continue;
            }
            let loaded = crate::loader::load(&path, &path).unwrap();
            let errors: Vec<_> = loaded.diagnostics.iter().filter(|d| d.is_error()).collect();
            assert!(errors.is_empty(), "{}: {errors:?}", path.display());
            let model = crate::model::analyze(&loaded.files).model;
            let model = model.unwrap_or_else(|| panic!("{} has errors", path.display()));
            let schema = crate::relational::lower((&model, crate::config::Language::En)).unwrap();
            let text = write(&schema);
            assert!(estimate(&schema) >= text.len(), "{}: the snapshot's buffer would grow", path.display());
            assert_eq!(read_with(&text, true), read_with(&text, false), "{}", path.display());
            assert_eq!(write(&read(&text).unwrap()), text, "{}", path.display());
            models += 1;
        }
        assert!(models >= 9, "the test models were read ({models})");
        // A line the direct way cannot take (a key given twice, the name
        // in the properties, not an object) reads, or fails, as before.
        for text in [
            "target 16\ntable s.t {\"kind\":\"aggregate_root\"}\n  column c {\"type\":\"INT\",\"type\":\"TEXT\"}\n",
            "target 16\ntable s.t {\"kind\":\"aggregate_root\"}\n  column c {\"name\":\"d\",\"type\":\"INT\"}\n",
            "target 16\ntable s.t {\"kind\":\"aggregate_root\"}\n  column c [1]\n",
            "target 16\ntable s.t {\"kind\":\"aggregate_root\"}\n  index i\n",
            "target 16\ntable s.t {\"kind\":\"aggregate_root\"}\n  partition p {}\n",
        ] {
            assert_eq!(read_with(text, true), read_with(text, false), "{text}");
        }
    }

    /// Every table line and part of the examples and every test model is
    /// written straight as its sorted map writes it, and every shape of a
    /// part is among them (a kind no model has would not be checked).
    #[test]
    fn every_part_is_written_as_its_map_writes_it() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut schemas = Vec::new();
        for example in ["mitoga", "history"] {
            let path = root.join("examples").join(example).join("db/migration/dddc.schema");
            schemas.push(read(&std::fs::read_to_string(&path).unwrap()).unwrap());
        }
        for entry in std::fs::read_dir(root.join("tests/models")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "ddd") {
                let loaded = crate::loader::load(&path, &path).unwrap();
                let model = crate::model::analyze(&loaded.files).model.unwrap();
                schemas.push(crate::relational::lower((&model, crate::config::Language::En)).unwrap());
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut check = |part: Part, shapes: &[(&'static str, bool)]| {
            let mut out = Vec::new();
            part.write(&mut out);
            let map = part.map();
            assert!(map.as_object().is_some_and(|m| !m.is_empty()), "{map}");
            assert_eq!(String::from_utf8(out).unwrap(), format!(" {map}"));
            seen.extend(shapes.iter().filter(|(_, is)| *is).map(|(shape, _)| *shape));
        };
        for t in schemas.iter().flat_map(|s| &s.tables) {
            let rls = ("table with row-level security", t.row_level_security);
            let shapes = [
                ("table", true),
                ("partitioned table", t.partitioning.is_some()),
                rls,
                ("table comment", t.comment.is_some()),
                ("table of no aggregate", t.aggregate.is_none()),
            ];
            check(Part::Table(t), &shapes);
            for c in &t.columns {
                check(
                    Part::Column(c),
                    &[
                        ("column", true),
                        ("column comment", c.comment.is_some()),
                        ("column default", c.default.is_some()),
                        ("generated column", c.generated.is_some()),
                        ("identity column", c.identity),
                        ("nullable column", c.nullable),
                        ("column depending on others", !c.depends_on.is_empty()),
                    ],
                );
            }
            if let Some(k) = &t.primary_key {
                check(Part::PrimaryKey(k), &[("primary key", true)]);
            }
            for u in &t.uniques {
                check(Part::Unique(u), &[("unique", true)]);
            }
            for c in &t.checks {
                let is_enum = c.enum_values().is_some();
                let shapes =
                    [("enum check", is_enum), ("other check", !is_enum), ("check comment", c.comment.is_some())];
                check(Part::Check(c), &shapes);
            }
            for f in &t.foreign_keys {
                check(
                    Part::ForeignKey(f),
                    &[("foreign key", true), ("set null (cols)", !f.on_delete_columns.is_empty())],
                );
            }
            for i in &t.indexes {
                check(
                    Part::Index(i),
                    &[
                        ("index", true),
                        ("index comment", i.comment.is_some()),
                        ("partial index", i.predicate.is_some()),
                        ("unique index", i.unique),
                        ("expression index", i.items.iter().any(|x| x.column().is_none())),
                    ],
                );
            }
            for x in &t.triggers {
                check(Part::Trigger(x), &[("trigger", true), ("trigger with arguments", !x.function.args.is_empty())]);
            }
            for p in &t.policies {
                check(Part::Policy(p), &[("policy", true)]);
            }
            for p in t.partitioning.iter().flat_map(|p| &p.partitions) {
                let bound = match p.bound {
                    crate::relational::PartitionBound::Range { .. } => "range partition",
                    crate::relational::PartitionBound::List(_) => "list partition",
                    crate::relational::PartitionBound::Hash { .. } => "hash partition",
                    crate::relational::PartitionBound::Default => "default partition",
                };
                check(
                    Part::Partition(p),
                    &[(bound, true), ("partition with row-level security", p.row_level_security)],
                );
            }
        }
        assert_eq!(seen.len(), 32, "{seen:?}");
    }

    #[test]
    fn errors_name_their_line() {
        let e = read("target 16\n  column x {}\n").unwrap_err();
        assert!(e.starts_with("line 2:"), "{e}");
    }
}

/// A line patch between two snapshots, as the lock stores it: `=N` keeps N
/// lines, `-N` drops N lines, `+text` adds a line. Applied to the snapshot
/// after a migration it gives the snapshot before it — exact, because a
/// snapshot is a canonical text.
pub struct Patch;

/// The most (lines of both texts) x (lines changed) [`Patch::between`]
/// leaves to Myers' search, whose work is proportional to that product
/// (the bound is chosen, not timed: the rename that took 11 s was 220
/// times past it).
const MYERS_BUDGET: usize = 50_000_000;

/// Lines between the first and the last that differ past which
/// [`Patch::shortest`] numbers them before its search (as `similar` does
/// past 100 lines of text): a number compares faster than a line.
const NUMBERED_FROM: usize = 1_000;

/// `text`'s lines as `similar` splits them (`DiffableStr::tokenize_lines`),
/// each with its end: `\n`, `\r\n`, or a `\r` alone; the last one may have
/// none.
fn similar_lines(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut lines = Vec::with_capacity(memchr::memchr_iter(b'\n', bytes).count() + 1);
    let mut start = 0;
    while let Some(at) = memchr::memchr2(b'\n', b'\r', &bytes[start..]).map(|k| start + k) {
        let end = if bytes[at] == b'\r' && bytes.get(at + 1) == Some(&b'\n') { at + 2 } else { at + 1 };
        lines.push(&text[start..end]);
        start = end;
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

impl Patch {
    /// The operations that turn `from` into `to`: a shortest edit (Myers'),
    /// unless that would be slow, then one made block by block (see
    /// [`Patch::between_blocks`]).
    ///
    /// Myers' search costs the texts' length times the lines that differ:
    /// a rename of every aggregate of a 2,000-aggregate model (77,000
    /// lines, 73,000 of them moved by the new names) took 11 s. The other
    /// edit gives an upper bound of that count in linear time, and when
    /// the product passes [`MYERS_BUDGET`] it is the patch. Both are exact;
    /// the choice depends on the texts only, so the lock stays the same on
    /// any machine (and, under the budget, the same as before it existed).
    pub fn between(from: &str, to: &str) -> Vec<String> {
        let size = from.lines().count() + to.lines().count();
        // At most every line changes: small texts need no bound first.
        let blocks = (size.saturating_mul(size) > MYERS_BUDGET).then(|| Patch::between_blocks(from, to));
        if let Some(blocks) = blocks {
            let changed: usize = blocks
                .iter()
                .map(|op| match op.as_bytes().first() {
                    Some(b'-') => op[1..].parse::<usize>().unwrap_or(0),
                    Some(b'+') => 1,
                    _ => 0,
                })
                .sum();
            if size.saturating_mul(changed) > MYERS_BUDGET {
                debug_assert!(Patch::apply(from, &blocks).as_deref() == Ok(to), "the edit by blocks is exact");
                return blocks;
            }
        }
        Patch::shortest(from, to)
    }

    /// Myers' shortest edit, exactly as `similar` makes it of the whole
    /// texts (`TextDiff::from_lines`), with less reading. `similar` splits
    /// the texts into lines a character at a time, then, past 100 lines,
    /// numbers the distinct ones through a hash map so that its search
    /// compares numbers: for two snapshots of 77,000 lines that differ in
    /// one (a field added at 2,000 aggregates) both were about 60 ms of
    /// the build in a profile. Here the lines are found with `memchr`, and
    /// numbered only when more than [`NUMBERED_FROM`] of them lie between
    /// the first and the last that differ (those the search compares
    /// beyond the common head and tail, which it strips first). Numbering
    /// changes no comparison, so the edit is the same either way (a
    /// property test holds it to `similar`'s).
    fn shortest(from: &str, to: &str) -> Vec<String> {
        let (old, new) = (similar_lines(from), similar_lines(to));
        let head = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
        let tail = old[head..].iter().rev().zip(new[head..].iter().rev()).take_while(|(a, b)| a == b).count();
        let between = old.len() + new.len() - 2 * (head + tail);
        let ops = if between > NUMBERED_FROM {
            similar::TextDiff::configure().diff_slices(&old, &new).ops().to_vec()
        } else {
            similar::capture_diff_deadline(
                similar::Algorithm::Myers,
                &old[..],
                0..old.len(),
                &new[..],
                0..new.len(),
                None,
            )
        };
        // Each line without its end (as `str::lines` gives them, but for
        // a `\r` alone, which a snapshot never has).
        let new_lines: Vec<&str> =
            new.iter().map(|l| l.strip_suffix('\n').map_or(*l, |l| l.strip_suffix('\r').unwrap_or(l))).collect();
        let mut out = Vec::new();
        push_ops(&mut out, &ops, &new_lines);
        out
    }

    /// [`Patch::shortest`] as it was, the whole texts given to `similar`:
    /// what the tests hold it to.
    #[cfg(test)]
    fn shortest_of_the_whole(from: &str, to: &str) -> Vec<String> {
        use similar::TextDiff;
        let diff = TextDiff::from_lines(from, to);
        let new_lines: Vec<&str> = to.lines().collect();
        let mut out = Vec::new();
        push_ops(&mut out, diff.ops(), &new_lines);
        out
    }

    /// An edit made block by block (a block is a line at the margin and the
    /// indented lines under it: a table and its columns and constraints).
    /// Blocks whose first line each text holds once are kept in order where
    /// they can be (a longest increasing subsequence, n log n); between two
    /// such, the blocks are paired in order (a renamed table with its new
    /// name) and the rest dropped or added. Each pair of blocks gets Myers'
    /// shortest edit, which is cheap at the size of a block.
    fn between_blocks(from: &str, to: &str) -> Vec<String> {
        let (old, new): (Vec<&str>, Vec<&str>) = (from.lines().collect(), to.lines().collect());
        let (old_blocks, new_blocks) = (blocks(&old), blocks(&new));
        // Per first line: its count and block in `old`, its count in `new`.
        let mut heads: std::collections::HashMap<&str, (usize, usize, usize)> =
            std::collections::HashMap::with_capacity(old_blocks.len());
        for (i, b) in old_blocks.iter().enumerate() {
            heads.entry(old[b.start]).or_insert((0, i, 0)).0 += 1;
        }
        for b in &new_blocks {
            if let Some(e) = heads.get_mut(new[b.start]) {
                e.2 += 1;
            }
        }
        // (block in new, block in old) of the first lines unique to both.
        let pairs: Vec<(usize, usize)> = new_blocks
            .iter()
            .enumerate()
            .filter_map(|(j, b)| heads.get(new[b.start]).filter(|e| e.0 == 1 && e.2 == 1).map(|e| (j, e.1)))
            .collect();
        let mut tails: Vec<usize> = Vec::new();
        let mut prev: Vec<usize> = vec![usize::MAX; pairs.len()];
        for (k, &(_, o)) in pairs.iter().enumerate() {
            let at = tails.partition_point(|&t| pairs[t].1 < o);
            if at > 0 {
                prev[k] = tails[at - 1];
            }
            if at == tails.len() {
                tails.push(k);
            } else {
                tails[at] = k;
            }
        }
        let mut kept: Vec<(usize, usize)> = Vec::with_capacity(tails.len());
        let mut k = tails.last().copied().unwrap_or(usize::MAX);
        while k != usize::MAX {
            kept.push(pairs[k]);
            k = prev[k];
        }
        kept.reverse();
        let mut ops = Ops::default();
        let (mut i, mut j) = (0usize, 0usize);
        for (jn, io) in kept.into_iter().chain(std::iter::once((new_blocks.len(), old_blocks.len()))) {
            let paired = (io - i).min(jn - j);
            for t in 0..paired {
                ops.lines(&old[old_blocks[i + t].clone()], &new[new_blocks[j + t].clone()]);
            }
            for b in &old_blocks[i + paired..io] {
                ops.drop(b.len());
            }
            for b in &new_blocks[j + paired..jn] {
                new[b.clone()].iter().for_each(|l| ops.add(l));
            }
            if io < old_blocks.len() {
                ops.lines(&old[old_blocks[io].clone()], &new[new_blocks[jn].clone()]);
            }
            (i, j) = (io + 1, jn + 1);
        }
        ops.out
    }

    /// `from` with the operations applied; an error when they do not fit it
    /// (the snapshot is not the one the patch was made from).
    pub fn apply(from: &str, ops: &[String]) -> Result<String, String> {
        let lines: Vec<&str> = from.lines().collect();
        let mut at = 0usize;
        let mut out: Vec<&str> = Vec::with_capacity(lines.len());
        let count = |s: &str| s.parse::<usize>().map_err(|_| format!("a malformed patch operation `{s}`"));
        for op in ops {
            if let Some(n) = op.strip_prefix('=') {
                let n = count(n)?;
                let end = at.saturating_add(n);
                if end > lines.len() {
                    return Err("the patch does not fit the snapshot".into());
                }
                out.extend_from_slice(&lines[at..end]);
                at = end;
            } else if let Some(n) = op.strip_prefix('-') {
                at = at.saturating_add(count(n)?);
                if at > lines.len() {
                    return Err("the patch does not fit the snapshot".into());
                }
            } else if let Some(line) = op.strip_prefix('+') {
                out.push(line);
            } else {
                return Err(format!("a malformed patch operation `{op}`"));
            }
        }
        if at != lines.len() {
            return Err("the patch does not fit the snapshot".into());
        }
        // Every line ends: a text of one empty line is "\n", not "" (a
        // property test found it with a new seed).
        let mut text = out.join("\n");
        if !out.is_empty() {
            text.push('\n');
        }
        Ok(text)
    }
}

/// `ops` as the patch's operations: a kept run as `=N`, a dropped one as
/// `-N`, each line added as `+text` (from `new_lines`, which the ops'
/// `new_index` counts in).
fn push_ops(out: &mut Vec<String>, ops: &[similar::DiffOp], new_lines: &[&str]) {
    use similar::DiffOp;
    for op in ops {
        match *op {
            DiffOp::Equal { len, .. } => out.push(format!("={len}")),
            DiffOp::Delete { old_len, .. } => out.push(format!("-{old_len}")),
            DiffOp::Insert { new_index, new_len, .. } => {
                out.extend(new_lines[new_index..new_index + new_len].iter().map(|l| format!("+{l}")))
            }
            DiffOp::Replace { old_len, new_index, new_len, .. } => {
                out.push(format!("-{old_len}"));
                out.extend(new_lines[new_index..new_index + new_len].iter().map(|l| format!("+{l}")));
            }
        }
    }
}

/// The lines of each block: a line at the margin and the indented lines
/// that follow it (lines before the first such line make a block too).
fn blocks(lines: &[&str]) -> Vec<std::ops::Range<usize>> {
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        match out.last_mut() {
            Some(b) if l.starts_with([' ', '\t']) => b.end = i + 1,
            _ => out.push(i..i + 1),
        }
    }
    out
}

/// Patch operations, runs of kept or dropped lines merged.
#[derive(Default)]
struct Ops {
    out: Vec<String>,
}

impl Ops {
    fn run(&mut self, sign: char, n: usize) {
        if n == 0 {
            return;
        }
        if let Some(last) = self.out.last_mut().filter(|l| l.starts_with(sign)) {
            if let Ok(m) = last[1..].parse::<usize>() {
                *last = format!("{sign}{}", m + n);
                return;
            }
        }
        self.out.push(format!("{sign}{n}"));
    }
    fn keep(&mut self, n: usize) {
        self.run('=', n);
    }
    fn drop(&mut self, n: usize) {
        self.run('-', n);
    }
    fn add(&mut self, line: &str) {
        self.out.push(format!("+{line}"));
    }
    /// Myers' shortest edit from `old` to `new`.
    fn lines(&mut self, old: &[&str], new: &[&str]) {
        use similar::{Algorithm, DiffOp};
        for op in similar::capture_diff_slices(Algorithm::Myers, old, new) {
            match op {
                DiffOp::Equal { len, .. } => self.keep(len),
                DiffOp::Delete { old_len, .. } => self.drop(old_len),
                DiffOp::Insert { new_index, new_len, .. } => {
                    new[new_index..new_index + new_len].iter().for_each(|l| self.add(l))
                }
                DiffOp::Replace { old_len, new_index, new_len, .. } => {
                    self.drop(old_len);
                    new[new_index..new_index + new_len].iter().for_each(|l| self.add(l));
                }
            }
        }
    }
}

#[cfg(test)]
mod patch_tests {
    use super::{similar_lines, Patch};

    #[test]
    fn a_patch_takes_one_text_to_the_other_exactly() {
        let a = "a\nb\nc\nd\ne\n";
        let b = "a\nB\nc\ne\nf\ng\n";
        let ops = Patch::between(b, a);
        assert_eq!(Patch::apply(b, &ops).unwrap(), a);
        assert_eq!(Patch::apply(a, &Patch::between(a, b)).unwrap(), b);
        assert!(Patch::apply("x\n", &ops).is_err(), "a patch for another text is refused");
        assert_eq!(Patch::apply("", &Patch::between("", "x\n")).unwrap(), "x\n");
    }

    /// [`Patch::shortest`] on texts past 100 lines (where `similar`
    /// numbers every line, and `shortest` only past [`super::NUMBERED_FROM`]
    /// lines between the first and last that differ): the same edit as
    /// `similar`'s of the whole texts, for edits small and large, in texts
    /// of many repeated lines.
    #[test]
    fn the_shortest_edit_of_long_texts_is_similars() {
        let mut seed: u64 = 7;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        const LINES: [&str; 5] = ["table a\n", "  column x\n", "  column y\n", "  check z\n", "table b\n"];
        for (len, edits) in [(150, 1), (400, 3), (3_000, 2), (3_000, 40), (3_000, 900)] {
            let old: Vec<&str> = (0..len).map(|_| LINES[next(5) as usize]).collect();
            let mut new = old.clone();
            for _ in 0..edits {
                let at = next(new.len() as u64) as usize;
                match next(3) {
                    0 => drop(new.remove(at)),
                    1 => new.insert(at, LINES[next(5) as usize]),
                    _ => new[at] = LINES[next(5) as usize],
                }
            }
            let (old, new) = (old.concat(), new.concat());
            for (x, y) in [(&old, &new), (&new, &old)] {
                let ops = Patch::shortest(x, y);
                assert_eq!(ops, Patch::shortest_of_the_whole(x, y), "{len} lines, {edits} edits");
                assert_eq!(&Patch::apply(x, &ops).unwrap(), y);
            }
        }
    }

    proptest::proptest! {
        /// [`Patch::shortest`] gives the edit `similar` makes of the whole
        /// texts, and splits them as it does: texts of a few distinct
        /// lines (so that many repeat), with and without a last newline,
        /// CRLF and lone CR lines among them, after a common head of up
        /// to 150 lines (past 100 lines `similar` numbers them, and
        /// `shortest` does not when few lines differ; the way past
        /// [`super::NUMBERED_FROM`] is in the test above).
        #[test]
        fn the_shortest_edit_is_similars(
            a in proptest::collection::vec(0usize..8, 0..40),
            b in proptest::collection::vec(0usize..8, 0..40),
            cut_a in proptest::bool::ANY,
            cut_b in proptest::bool::ANY,
            head in 0usize..150,
        ) {
            const LINES: [&str; 8] = ["a\n", "b\n", "  c\n", "  d\n", "e\r\n", "\n", "f\r", "ñ\n"];
            let text = |ix: &[usize], cut: bool| {
                let mut t: String = ix.iter().map(|&i| LINES[i]).collect();
                if cut && t.ends_with('\n') && !t.ends_with("\r\n") {
                    t.pop();
                }
                t
            };
            let (a, b) = (text(&a, cut_a), text(&b, cut_b));
            // A common head, as a snapshot's edit has.
            let head: String = (0..head).map(|i| format!("table t{i}\n")).collect();
            let (a, b) = (format!("{head}{a}"), format!("{head}{b}"));
            for (x, y) in [(&a, &b), (&b, &a), (&a, &a)] {
                proptest::prop_assert_eq!(similar_lines(x), similar::DiffableStr::tokenize_lines(x.as_str()));
                let ops = Patch::shortest(x, y);
                // (`str::lines`, which the whole way took its lines from,
                // does not end one at a `\r` alone: it then read past them.)
                let lone_cr = |t: &str| t.replace("\r\n", "").contains('\r');
                if !lone_cr(x) && !lone_cr(y) {
                    proptest::prop_assert_eq!(&ops, &Patch::shortest_of_the_whole(x, y));
                }
                // A snapshot ends its last line, and has no CR.
                if y.ends_with('\n') && !x.contains('\r') && !y.contains('\r') {
                    proptest::prop_assert_eq!(Patch::apply(x, &ops).unwrap(), y.clone());
                }
            }
        }
    }

    /// The edit made block by block is exact whatever the texts: repeated
    /// lines and blocks, moved blocks, one text empty.
    #[test]
    fn the_edit_by_blocks_is_exact() {
        let texts = [
            "",
            "a\n",
            "a\nb\nc\nd\ne\n",
            "e\nd\nc\nb\na\n",
            "a\na\nb\nb\nc\n",
            "x\na\ny\nc\nx\n",
            "b\nc\nd\na\n",
            "  x\na\n  y\n  z\nb\n  y\n",
            "a\n  y\n  x\nc\n  z\nb\n  y\n  w\n",
            "b\n  y\na\n  y\n  z\n",
        ];
        for a in texts {
            for b in texts {
                let ops = Patch::between_blocks(a, b);
                assert_eq!(Patch::apply(a, &ops).unwrap(), b, "{a:?} -> {b:?}: {ops:?}");
            }
        }
        // Tables, most of them renamed (which moves them in the sorted
        // text): their columns are kept, their first lines replaced.
        let table = |name: &str| format!("table {name}\n  column id\n  column name\n  check {name}_named\n");
        let old: String = (0..2000).map(|i| table(&format!("item{i:04}"))).collect();
        let new: String =
            (0..2000).map(|i| table(&format!("{}{i:04}", if i % 3 == 0 { "item" } else { "thing" }))).collect();
        let ops = Patch::between_blocks(&old, &new);
        assert_eq!(Patch::apply(&old, &ops).unwrap(), new);
        let kept: usize = ops.iter().filter_map(|o| o.strip_prefix('=')).map(|n| n.parse::<usize>().unwrap()).sum();
        assert_eq!(kept, 667 * 4 + 1333 * 2);
    }

    /// Past the budget, `between` takes the edit by blocks; under it,
    /// Myers' shortest edit as before.
    #[test]
    fn a_large_change_skips_the_shortest_edit_search() {
        let old: String = (0..6000).map(|i| format!("table a{i:05}\n")).collect();
        let new: String = (0..6000).map(|i| format!("table b{i:05}\n")).collect();
        assert_eq!(Patch::between(&old, &new), Patch::between_blocks(&old, &new));
        assert_eq!(Patch::apply(&old, &Patch::between(&old, &new)).unwrap(), new);
        let small_old = "a\nb\nc\n";
        let small_new = "a\nc\nb\n";
        assert_eq!(Patch::between(small_old, small_new), ["=1", "+c", "=1", "-1"]);
    }
}
