//! Pass 4 — expressions: every invariant, check, default, backfill, index item
//! and `where` clause is resolved against the columns of its table (or value
//! object) and type-checked into a [`TExpr`].

use std::collections::{BTreeMap, HashMap, HashSet};

use super::resolver::Resolver;
use super::resolver::{Owner, PendingExpr, Slot};
use super::*;
use crate::diagnostics::codes::id;
use crate::diagnostics::{did_you_mean, some_names_in, Spelling};

/// What a name in an expression can mean.
#[derive(Debug, Clone)]
enum Name {
    Column {
        column: String,
        ty: ExprType,
        nullable: bool,
    },
    /// A multi-field value object or a composite reference.
    Group {
        columns: Vec<String>,
        nullable: bool,
    },
    /// A list of value objects: a table of its own.
    List,
    Subject(ExprType),
}

#[derive(Default)]
pub(super) struct Scope {
    names: BTreeMap<String, Name>,
    /// Fields with a type error: silently unknown.
    poisoned: Vec<String>,
    /// The names sorted for "did you mean", at the scope's first unknown
    /// name: 20,000 invariants of one aggregate each naming a field
    /// misspelt its own way were each compared with every field (38 s to
    /// validate).
    spelling: std::cell::OnceCell<Spelling>,
}

impl Scope {
    /// The name here closest to `name`, if one is close.
    pub(super) fn closest(&self, name: &str) -> Option<&str> {
        self.spelling.get_or_init(|| Spelling::new(self.names.keys().map(String::as_str))).closest(name)
    }

    /// The column, type and nullability of the field `path` names.
    pub(super) fn column(&self, path: &str) -> Option<(String, ExprType, bool)> {
        match self.names.get(path)? {
            Name::Column { column, ty, nullable } => Some((column.clone(), *ty, *nullable)),
            _ => None,
        }
    }

    /// Every name here, in order.
    pub(super) fn names(&self) -> impl ExactSizeIterator<Item = &str> {
        self.names.keys().map(String::as_str)
    }
}

pub(super) fn run(r: &mut Resolver<'_>, halves: Halves) {
    let pending = std::mem::take(&mut r.pending_exprs);
    // The poisoned fields by owner, found once (a scan of all of them per
    // owner grew with the square of a model whose types were all unknown).
    let mut poisoned: HashMap<&Owner, Vec<String>> = HashMap::new();
    let all_poisoned = std::mem::take(&mut r.poisoned);
    for (o, n) in &all_poisoned {
        poisoned.entry(o).or_default().push(n.clone());
    }
    // Checking reads the model and stores nothing in it (a scope holds
    // the fields' names and types, never what this pass stores): the
    // expressions of a large model are checked in two halves, the second
    // on a thread of its own, each half's diagnostics in its own list,
    // then put in the order one pass would have given them.
    let checked = {
        let (shared, poisoned): (&Resolver<'_>, _) = (r, &poisoned);
        let halves = halves_by_owner(&pending, halves);
        crate::threads::map_halves(&halves, |part| check_all(shared, poisoned, part))
    };
    let mut typed = Vec::with_capacity(pending.len());
    for (types, diagnostics) in checked {
        typed.extend(types);
        r.diagnostics.extend(diagnostics);
    }
    for (p, t) in pending.iter().zip(typed) {
        if let Some(t) = t {
            store(r, &p.owner, p.slot, t);
        }
    }
    drop(poisoned);
    r.poisoned = all_poisoned;
}

/// Fewer expressions than this are checked on one thread (a bound
/// chosen, not timed: MiToga's 100 or so stay on one).
const CHECKED_APART: usize = 2_000;

/// `pending` as one part, or as two split at the first change of owner
/// from its middle (an owner's expressions stay together: its scope is
/// built once).
fn halves_by_owner<'p, 'a>(pending: &'p [PendingExpr<'a>], halves: Halves) -> Vec<&'p [PendingExpr<'a>]> {
    if !halves.split(pending.len(), CHECKED_APART) {
        return vec![pending];
    }
    let mid = pending.len() / 2;
    let at = (mid..pending.len()).find(|&i| pending[i].owner != pending[i - 1].owner).unwrap_or(pending.len());
    let (first, second) = pending.split_at(at);
    vec![first, second]
}

/// Each expression of `part` checked, in order (`None`: not typed, with
/// its diagnostics), and the diagnostics.
fn check_all(
    r: &Resolver<'_>,
    poisoned: &HashMap<&Owner, Vec<String>>,
    part: &[PendingExpr<'_>],
) -> (Vec<Option<TExpr>>, Vec<Diagnostic>) {
    let mut cx =
        Cx { r, diagnostics: Vec::new(), enum_values: Vec::new(), value_owners: None, spellings: HashMap::new() };
    // An owner's expressions come one after another, and nothing in this
    // pass changes the names they see: build each owner's scope once (it
    // was built per expression, 9 % of a large model's front end).
    let mut scope_owner: Option<&Owner> = None;
    let mut scope = Scope::default();
    let mut typed = Vec::with_capacity(part.len());
    for p in part {
        if scope_owner != Some(&p.owner) {
            scope = scope_of(r, &p.owner);
            scope.poisoned = poisoned.get(&p.owner).cloned().unwrap_or_default();
            scope_owner = Some(&p.owner);
        }
        let cx = &mut cx;
        let typed_one = match p.slot {
            Slot::Invariant(_) | Slot::IndexWhere(_) | Slot::ValueCheck => {
                check(cx, &scope, p.ast, None).and_then(|t| require_bool(cx, t, p.slot))
            }
            Slot::IndexItem(..) => check(cx, &scope, p.ast, None),
            Slot::Default(i) => default_value(cx, &p.owner, i, p.ast, &Scope::default()),
            Slot::Backfill(i) if backfills_several_columns(cx, &p.owner, i) => {
                cx.error(
                    Diagnostic::error(id::E0108, "`@backfill` on a field of several columns")
                        .at(p.ast.span, "one expression cannot fill a value object's parts, a reference or a list")
                        .with_help("put `@backfill(…)` on each part of the value object that needs one, or fill the rows in a hand-written migration (`dddc new`)"),
                );
                None
            }
            Slot::Backfill(i) => default_value(cx, &p.owner, i, p.ast, &scope),
        };
        let whole_allowed = matches!(p.slot, Slot::IndexItem(..));
        typed.push(typed_one.and_then(|t| one_value_each(cx, t, whole_allowed)));
    }
    (typed, cx.diagnostics)
}

/// `t`, unless it uses a value object or reference of several columns
/// where one value belongs: such a name stands for its columns, which SQL
/// reads as a list (`CHECK (fin_moneda, fin_monto > inicio)`, which
/// PostgreSQL refuses). It may be tested whole with `is null` / `is not
/// null` (all its columns), and be an index's item (`whole_allowed`).
fn one_value_each(r: &mut Cx<'_, '_>, t: TExpr, whole_allowed: bool) -> Option<TExpr> {
    if whole_allowed && matches!(t.kind, TExprKind::Columns(_)) {
        return Some(t);
    }
    let mut tested: Vec<*const TExpr> = Vec::new();
    let mut misused = None;
    t.walk(&mut |e| match &e.kind {
        TExprKind::IsNull { expr, .. } => tested.push(&**expr as *const TExpr),
        TExprKind::Columns(_) if !tested.contains(&(e as *const TExpr)) => misused = misused.or(Some(e.span)),
        _ => {}
    });
    let Some(span) = misused else { return Some(t) };
    r.error(
        Diagnostic::error(id::E0401, "a value object or reference of several columns used as one value")
            .at(span, "this name stands for several columns")
            .with_help("name one of its parts (`field.part`), or test it whole with `is null` / `is not null`"),
    );
    None
}

/// Whether field `idx` of `owner` is a value object of several parts, a
/// reference or a list: a `@backfill` there was dropped without a word
/// (its expression not even checked).
fn backfills_several_columns(cx: &Cx<'_, '_>, owner: &Owner, idx: usize) -> bool {
    let ty = match owner {
        Owner::Entity(loc) => cx.entity(loc).fields.get(idx).map(|f| &f.ty),
        Owner::Value(v) => match &cx.model.values[v.0].shape {
            ValueShape::Fields { fields, .. } => fields.get(idx).map(|f| &f.ty),
            ValueShape::Single { .. } => None,
        },
    };
    match ty {
        Some(FieldType::Value(v)) => matches!(cx.model.values[v.0].shape, ValueShape::Fields { .. }),
        Some(FieldType::Ref(_) | FieldType::ValueList(_)) => true,
        _ => false,
    }
}

/// What checking an expression needs: the resolver to read, and a list of
/// its own for diagnostics.
struct Cx<'r, 'a> {
    r: &'r Resolver<'a>,
    diagnostics: Vec<Diagnostic>,
    /// Each enum's values as a set, made at its first use when it has
    /// more than [`SCANNED_VALUES`] (a scan per use grew with values ×
    /// uses: a 20,000-value enum used by 20,000 aggregates took 0.7 s).
    enum_values: Vec<Option<HashSet<&'r str>>>,
    /// Which enum has a value of a name (the first by declaration), made
    /// at the first bare upper-case name that is nothing else.
    value_owners: Option<HashMap<&'r str, EnumId>>,
    /// Each enum's values sorted for "did you mean", made at the first
    /// misspelt value: 20,000 values misspelt each its own way were each
    /// compared with every value (29 s to validate).
    spellings: HashMap<EnumId, Spelling>,
}

/// Enums with at most this many values are scanned (a bound chosen, not
/// timed: a set costs more to make than a short scan saves).
const SCANNED_VALUES: usize = 16;

impl<'a> std::ops::Deref for Cx<'_, 'a> {
    type Target = Resolver<'a>;
    fn deref(&self) -> &Resolver<'a> {
        self.r
    }
}

impl<'r> Cx<'r, '_> {
    fn error(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    /// Is `name` a value of enum `eid`?
    fn has_value(&mut self, eid: EnumId, name: &str) -> bool {
        let model: &'r Model = &self.r.model;
        let en = &model.enums[eid.0];
        if en.values.len() <= SCANNED_VALUES {
            return en.values.iter().any(|v| v.name == name);
        }
        if self.enum_values.len() <= eid.0 {
            self.enum_values.resize_with(model.enums.len(), || None);
        }
        self.enum_values[eid.0]
            .get_or_insert_with(|| en.values.iter().map(|v| v.name.as_str()).collect())
            .contains(name)
    }

    /// The value of enum `eid` closest to `name`, if one is close.
    fn closest_value(&mut self, eid: EnumId, name: &str) -> Option<&str> {
        let model: &'r Model = &self.r.model;
        let values = &model.enums[eid.0].values;
        if values.len() <= SCANNED_VALUES {
            return did_you_mean(name, values.iter().map(|v| v.name.as_str()));
        }
        self.spellings.entry(eid).or_insert_with(|| Spelling::new(values.iter().map(|v| v.name.as_str()))).closest(name)
    }

    /// The first enum, by declaration, with a value named `name`.
    fn value_owner(&mut self, name: &str) -> Option<EnumId> {
        let model: &'r Model = &self.r.model;
        let owners = self.value_owners.get_or_insert_with(|| {
            let mut owners = HashMap::new();
            for (i, e) in model.enums.iter().enumerate() {
                for v in &e.values {
                    owners.entry(v.name.as_str()).or_insert(EnumId(i));
                }
            }
            owners
        });
        owners.get(name).copied()
    }
}

fn require_bool(r: &mut Cx<'_, '_>, t: TExpr, slot: Slot) -> Option<TExpr> {
    if matches!(t.ty, ExprType::Bool | ExprType::Any) {
        return Some(t);
    }
    let what = match slot {
        Slot::IndexWhere(_) => "a `where` clause",
        Slot::ValueCheck => "a `check`",
        _ => "an invariant",
    };
    r.error(
        Diagnostic::error(id::E0401, format!("{what} must be a condition, found {}", type_name(r, t.ty)))
            .at(t.span, "not true or false")
            .with_help("compare it with something: `x > 0`, `x is not null`, `x == VALUE`"),
    );
    None
}

fn store(r: &mut Resolver<'_>, owner: &Owner, slot: Slot, t: TExpr) {
    match owner {
        Owner::Entity(loc) => {
            let e = r.entity_mut(loc);
            match slot {
                Slot::Invariant(i) => e.invariants[i].expr = t,
                Slot::Default(i) => e.fields[i].default = Some(t),
                Slot::Backfill(i) => e.fields[i].backfill = Some(t),
                Slot::IndexItem(i, j) => e.indexes[i].items[j] = t,
                Slot::IndexWhere(i) => e.indexes[i].where_clause = Some(t),
                Slot::ValueCheck => {}
            }
        }
        Owner::Value(v) => match &mut r.model.values[v.0].shape {
            ValueShape::Single { check, .. } => {
                if slot == Slot::ValueCheck {
                    *check = Some(t);
                }
            }
            ValueShape::Fields { fields, invariants } => match slot {
                Slot::Invariant(i) => invariants[i].expr = t,
                Slot::Default(i) => fields[i].default = Some(t),
                Slot::Backfill(i) => fields[i].backfill = Some(t),
                _ => {}
            },
        },
    }
}

/// Every name an expression on `owner` may use.
pub(super) fn scope_of(r: &Resolver<'_>, owner: &Owner) -> Scope {
    let mut names = BTreeMap::new();
    match owner {
        Owner::Value(v) => match &r.model.values[v.0].shape {
            ValueShape::Single { ty, .. } => {
                names.insert("value".to_string(), Name::Subject(ty.expr_type()));
            }
            ValueShape::Fields { fields, .. } => {
                for f in fields {
                    add_field(&r.model, &mut names, f, "", "", false);
                }
            }
        },
        Owner::Entity(loc) => {
            let agg = &r.model.aggregates[loc.aggregate.0];
            let e = r.entity(loc);
            let col = |ty: ExprType, nullable: bool, c: &str| Name::Column { column: c.to_string(), ty, nullable };
            match &e.identity {
                Identity::Uuid | Identity::UuidV7 => {
                    names.insert("id".into(), col(ExprType::Uuid, false, "id"));
                }
                Identity::Identity(s) | Identity::Supplied(s) => {
                    names.insert("id".into(), col(s.expr_type(), false, "id"));
                }
                Identity::Natural(_) => {}
            }
            for f in &e.fields {
                add_field(&r.model, &mut names, f, "", "", false);
            }
            if e.timestamps {
                names.insert("created_at".into(), col(ExprType::Timestamp, false, "created_at"));
                names.insert("updated_at".into(), col(ExprType::Timestamp, false, "updated_at"));
            }
            if loc.path.is_empty() && agg.soft_delete {
                names.insert("deleted_at".into(), col(ExprType::Timestamp, true, "deleted_at"));
            }
            if let Some(t) = &agg.tenant {
                names.insert(t.clone(), col(ExprType::Uuid, false, t));
            }
            if let Some((last, parent_path)) = loc.path.split_last() {
                let _ = last;
                let parent_loc = super::resolver::EntityLoc { aggregate: loc.aggregate, path: parent_path.to_vec() };
                let parent = r.entity(&parent_loc);
                let key = identity_columns(&r.model, parent);
                for (c, k) in link_columns(&parent.name, &key) {
                    names.insert(c.clone(), col(key_type(k.ty), false, &c));
                }
            }
        }
    }
    Scope { names, ..Scope::default() }
}

fn key_type(k: KeyType) -> ExprType {
    match k {
        KeyType::Scalar(s) => s.expr_type(),
        KeyType::Enum(e) => ExprType::Enum(e),
    }
}

/// Adds a field's names: `prefix.name` → its column(s).
fn add_field(model: &Model, names: &mut BTreeMap<String, Name>, f: &Field, path: &str, col: &str, nullable: bool) {
    let key = format!("{path}{}", f.name);
    let column = format!("{col}{}", f.column);
    let nullable = nullable || f.nullable;
    let plain = |ty: ExprType| Name::Column { column: column.clone(), ty, nullable };
    match &f.ty {
        FieldType::Scalar(s) => {
            names.insert(key, plain(s.expr_type()));
        }
        FieldType::Array(_) => {
            names.insert(key, plain(ExprType::Array));
        }
        FieldType::Enum(e) => {
            names.insert(key, plain(ExprType::Enum(*e)));
        }
        FieldType::ValueList(_) => {
            names.insert(key, Name::List);
        }
        FieldType::Ref(_) => {
            let cols = f.ref_columns();
            match cols.as_slice() {
                [(c, k)] => {
                    names.insert(
                        key,
                        Name::Column { column: format!("{col}{c}"), ty: key_type(k.ty.clone()), nullable },
                    );
                }
                many => {
                    let columns = many.iter().map(|(c, _)| format!("{col}{c}")).collect();
                    names.insert(key, Name::Group { columns, nullable });
                }
            }
        }
        FieldType::Value(v) => match &model.values[v.0].shape {
            ValueShape::Single { ty, .. } => {
                names.insert(key, plain(ty.expr_type()));
            }
            ValueShape::Fields { fields, .. } => {
                let mut inner = BTreeMap::new();
                for part in fields {
                    add_field(model, &mut inner, part, "", &format!("{column}_"), nullable);
                }
                let columns: Vec<String> = inner
                    .values()
                    .flat_map(|n| match n {
                        Name::Column { column, .. } => vec![column.clone()],
                        Name::Group { columns, .. } => columns.clone(),
                        _ => vec![],
                    })
                    .collect();
                for (k, n) in inner {
                    names.insert(format!("{key}.{k}"), n);
                }
                names.insert(key, Name::Group { columns, nullable });
            }
        },
    }
}

fn type_name(r: &Resolver<'_>, t: ExprType) -> String {
    match t {
        ExprType::Enum(e) => format!("enum `{}`", r.model.enums[e.0].name),
        ExprType::Null => "`null`".into(),
        ExprType::Any => "anything".into(),
        other => {
            let s = format!("{other:?}").to_lowercase();
            format!("`{s}`")
        }
    }
}

fn mk(kind: TExprKind, ty: ExprType, nullable: bool, span: Span) -> TExpr {
    TExpr { kind, ty, nullable, span }
}

fn is_bare_upper(e: &ast::Expr) -> bool {
    matches!(&e.kind, ast::ExprKind::Path(p) if p.parts.len() == 1
        && p.parts[0].name.chars().any(|c| c.is_ascii_uppercase())
        && !p.parts[0].name.chars().any(|c| c.is_ascii_lowercase()))
}

/// Type-checks `e`. `expected` lets a bare enum value resolve against the
/// enum it is compared with. Reports and returns `None` on error.
fn check(r: &mut Cx<'_, '_>, scope: &Scope, e: &ast::Expr, expected: Option<ExprType>) -> Option<TExpr> {
    use ast::ExprKind as K;
    let span = e.span;
    match &e.kind {
        K::Paren(inner) => check(r, scope, inner, expected),
        K::Subject => match scope.names.get("value") {
            Some(Name::Subject(ty)) => Some(mk(TExprKind::Subject, *ty, false, span)),
            _ => None,
        },
        K::Sql(s) => Some(mk(TExprKind::Sql(s.clone()), ExprType::Any, true, span)),
        K::Literal(l) => {
            let ty = match l {
                ast::Literal::Number(n) if n.contains('.') => ExprType::Decimal,
                ast::Literal::Number(_) => ExprType::Int,
                ast::Literal::String(_) => ExprType::Text,
                ast::Literal::Bool(_) => ExprType::Bool,
                ast::Literal::Null => ExprType::Null,
                ast::Literal::Date(_) => ExprType::Date,
                ast::Literal::EmptyObject => ExprType::Json,
                ast::Literal::EmptyArray => ExprType::Array,
            };
            Some(mk(TExprKind::Literal(Literal::from(l)), ty, matches!(l, ast::Literal::Null), span))
        }
        K::Path(p) => path(r, scope, p, expected),
        K::Not(inner) => {
            let t = boolean(r, scope, inner, "`not`")?;
            let n = t.nullable;
            Some(mk(TExprKind::Not(Box::new(t)), ExprType::Bool, n, span))
        }
        K::And(parts) | K::Or(parts) => {
            let word = if matches!(e.kind, K::And(_)) { "`and`" } else { "`or`" };
            let mut out = Vec::new();
            let mut ok = true;
            for p in parts {
                match boolean(r, scope, p, word) {
                    Some(t) => out.push(t),
                    None => ok = false,
                }
            }
            if !ok {
                return None;
            }
            let n = out.iter().any(|t| t.nullable);
            let kind = if matches!(e.kind, K::And(_)) { TExprKind::And(out) } else { TExprKind::Or(out) };
            Some(mk(kind, ExprType::Bool, n, span))
        }
        K::Implies(a, b) => {
            let a = boolean(r, scope, a, "`implies`");
            let b = boolean(r, scope, b, "`implies`");
            let (a, b) = (a?, b?);
            let n = a.nullable || b.nullable;
            Some(mk(TExprKind::Implies(Box::new(a), Box::new(b)), ExprType::Bool, n, span))
        }
        K::Compare(op, a, b) => {
            let (ta, tb) = if is_bare_upper(a) && !is_bare_upper(b) {
                let tb = check(r, scope, b, None)?;
                let ta = check(r, scope, a, Some(tb.ty))?;
                (ta, tb)
            } else {
                let ta = check(r, scope, a, None)?;
                let tb = check(r, scope, b, Some(ta.ty))?;
                (ta, tb)
            };
            if ta.ty == ExprType::Null || tb.ty == ExprType::Null {
                let word = if *op == ast::CmpOp::Ne { "is not null" } else { "is null" };
                r.error(
                    Diagnostic::error(id::E0401, format!("comparison with `null` using `{}`", op.ddd()))
                        .at(span, "never true in SQL")
                        .with_help(format!("write `… {word}`")),
                );
                return None;
            }
            comparable(r, &ta, &tb, span, op.ddd())?;
            if matches!(op, ast::CmpOp::Lt | ast::CmpOp::Le | ast::CmpOp::Gt | ast::CmpOp::Ge) {
                orderable(r, &ta, op.ddd())?;
            }
            let n = ta.nullable || tb.nullable;
            Some(mk(TExprKind::Compare(CmpOp::from(*op), Box::new(ta), Box::new(tb)), ExprType::Bool, n, span))
        }
        K::IsNull { expr, negated } => {
            let t = check(r, scope, expr, None)?;
            Some(mk(TExprKind::IsNull { expr: Box::new(t), negated: *negated }, ExprType::Bool, false, span))
        }
        K::In { expr, list, negated } => {
            let t = check(r, scope, expr, None)?;
            let mut items = Vec::new();
            for item in list {
                let ti = check(r, scope, item, Some(t.ty))?;
                comparable(r, &t, &ti, item.span, "in")?;
                items.push(ti);
            }
            let n = t.nullable;
            Some(mk(TExprKind::In { expr: Box::new(t), list: items, negated: *negated }, ExprType::Bool, n, span))
        }
        K::Between { expr, low, high } => {
            let t = check(r, scope, expr, None)?;
            let lo = check(r, scope, low, Some(t.ty))?;
            let hi = check(r, scope, high, Some(t.ty))?;
            comparable(r, &t, &lo, low.span, "between")?;
            comparable(r, &t, &hi, high.span, "between")?;
            orderable(r, &t, "between")?;
            let n = t.nullable || lo.nullable || hi.nullable;
            Some(mk(
                TExprKind::Between { expr: Box::new(t), low: Box::new(lo), high: Box::new(hi) },
                ExprType::Bool,
                n,
                span,
            ))
        }
        K::Matches { expr, regex } => {
            let t = check(r, scope, expr, None)?;
            if !matches!(t.ty, ExprType::Text | ExprType::Any) {
                r.error(
                    Diagnostic::error(id::E0401, format!("`matches` on {}", type_name(r, t.ty)))
                        .at(t.span, "a regular expression applies to text only")
                        .with_help("compare numbers with `<`, `between` or `in`"),
                );
                return None;
            }
            if let Err(e) = super::regex::check(regex) {
                // The literal `/…/` ends the expression; `\/` is one
                // character of the pattern.
                let raw = regex.replace('/', "\\/").len() + 2;
                let literal = Span { start: span.end.saturating_sub(raw as u32), ..span };
                let before = regex.get(..e.offset).map_or(0, |p| p.matches('/').count());
                let at = literal.start + 1 + (e.offset + before) as u32;
                // The character there, whole (a multi-byte one too).
                let width = regex.get(e.offset..).and_then(|r| r.chars().next()).map_or(1, char::len_utf8) as u32;
                let point = Span { start: at.min(span.end), end: (at + width).min(span.end), ..span };
                r.error(
                    Diagnostic::error(id::E0404, format!("invalid regular expression: {}", e.message))
                        .at(point, "PostgreSQL rejects the pattern here")
                        .with_secondary(literal, "every INSERT would fail on this CHECK")
                        .with_help("fix the pattern (PostgreSQL's regular expressions, `~`); escape a literal `(`, `[` or `{` with `\\`"),
                );
                return None;
            }
            let n = t.nullable;
            Some(mk(TExprKind::Matches { expr: Box::new(t), regex: regex.clone() }, ExprType::Bool, n, span))
        }
        K::Arith(op, a, b) => {
            let ta = check(r, scope, a, None)?;
            let tb = check(r, scope, b, None)?;
            let ty = arith_type(*op, ta.ty, tb.ty);
            let Some(ty) = ty else {
                r.error(
                    Diagnostic::error(
                        id::E0401,
                        format!("`{}` between {} and {}", op.symbol(), type_name(r, ta.ty), type_name(r, tb.ty)),
                    )
                    .at(span, "no such arithmetic")
                    .with_help("arithmetic works on numbers, dates with days, timestamps with intervals"),
                );
                return None;
            };
            let n = ta.nullable || tb.nullable;
            Some(mk(TExprKind::Arith(ArithOp::from(*op), Box::new(ta), Box::new(tb)), ty, n, span))
        }
        K::Neg(inner) => {
            let t = check(r, scope, inner, None)?;
            if !(t.ty.is_numeric() || matches!(t.ty, ExprType::Interval | ExprType::Any)) {
                r.error(
                    Diagnostic::error(id::E0401, format!("`-` on {}", type_name(r, t.ty)))
                        .at(span, "only numbers and intervals can be negated")
                        .with_help("remove the `-`"),
                );
                return None;
            }
            let (ty, n) = (t.ty, t.nullable);
            Some(mk(TExprKind::Neg(Box::new(t)), ty, n, span))
        }
        K::Call { name, args } => call(r, scope, name, args, span, expected),
    }
}

fn boolean(r: &mut Cx<'_, '_>, scope: &Scope, e: &ast::Expr, word: &str) -> Option<TExpr> {
    let t = check(r, scope, e, None)?;
    if matches!(t.ty, ExprType::Bool | ExprType::Any) {
        return Some(t);
    }
    r.error(
        Diagnostic::error(id::E0401, format!("{word} needs a condition, found {}", type_name(r, t.ty)))
            .at(t.span, "not true or false")
            .with_help("compare it with something: `x > 0`, `x is not null`"),
    );
    None
}

fn path(r: &mut Cx<'_, '_>, scope: &Scope, p: &ast::Path, expected: Option<ExprType>) -> Option<TExpr> {
    let key = p.text();
    let span = p.span;
    // An enum value, when the other side is an enum.
    if let (Some(ExprType::Enum(eid)), [only]) = (expected, p.parts.as_slice()) {
        if !scope.names.contains_key(&only.name) {
            if r.has_value(eid, &only.name) {
                return Some(mk(
                    TExprKind::EnumValue { enum_id: eid, value: only.name.clone() },
                    ExprType::Enum(eid),
                    false,
                    span,
                ));
            }
            let resolver = r.r;
            let en = &resolver.model.enums[eid.0];
            let mut d = Diagnostic::error(id::E0103, format!("unknown enum value `{}`", only.name))
                .at(span, format!("not a value of `{}`", en.name))
                .with_secondary(en.span, "enum declared here");
            d = match r.closest_value(eid, &only.name) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!("the values of `{}` are: {}", en.name, values_listed(en))),
            };
            r.error(d);
            return None;
        }
    }
    match scope.names.get(&key) {
        Some(Name::Column { column, ty, nullable }) => {
            Some(mk(TExprKind::Column(column.clone()), *ty, *nullable, span))
        }
        Some(Name::Subject(ty)) => Some(mk(TExprKind::Subject, *ty, false, span)),
        Some(Name::Group { columns, nullable }) => {
            Some(mk(TExprKind::Columns(columns.clone()), ExprType::Any, *nullable, span))
        }
        Some(Name::List) => {
            r.error(
                Diagnostic::error(id::E0401, format!("`{key}` is a list"))
                    .at(span, "a list is a table of its own")
                    .with_help("conditions on list elements belong in the value object's own invariants"),
            );
            None
        }
        None if scope.poisoned.iter().any(|n| key == *n || key.starts_with(&format!("{n}."))) => None,
        None => {
            let is_upper = is_bare_upper(&ast::Expr { kind: ast::ExprKind::Path(p.clone()), span });
            if is_upper && expected.is_none() {
                // Maybe an enum value on the left of a comparison with a literal.
                if let Some(owner) = r.value_owner(&key) {
                    let owner = r.model.enums[owner.0].name.clone();
                    r.error(
                        Diagnostic::error(id::E0401, format!("`{key}` is an enum value here compared with no enum"))
                            .at(span, "compare it with a field of that enum")
                            .with_help(format!("e.g. `estado == {key}` where `estado` is a `{owner}`")),
                    );
                    return None;
                }
            }
            r.error(super::types::unknown_field_error(&key, span, scope.closest(&key), scope.names()));
            None
        }
    }
}

/// The help for an enum's value written as a string (`'ACTIVO'`): the
/// value bare, the nearest value, or the enum's values. The editor's quick
/// fix reads the value from it.
fn enum_as_string_help(r: &mut Cx<'_, '_>, e: EnumId, s: &str) -> String {
    let resolver = r.r;
    let en = &resolver.model.enums[e.0];
    if r.has_value(e, s) {
        format!("write `{s}` without quotes")
    } else if let Some(close) = r.closest_value(e, s) {
        format!("`{s}` is not a value of `{}`; did you mean `{close}` (written bare)?", en.name)
    } else {
        format!("`{s}` is not a value of `{}`; its values are: {}", en.name, values_listed(en))
    }
}

/// An enum's values for a help line: the first dozen and how many more.
fn values_listed(en: &Enum) -> String {
    some_names_in(en.values.iter().map(|v| v.name.as_str()))
}

/// Can `a` and `b` be compared?
fn comparable(r: &mut Cx<'_, '_>, a: &TExpr, b: &TExpr, span: Span, op: &str) -> Option<()> {
    use ExprType as T;
    let ok = match (a.ty, b.ty) {
        (T::Any, _) | (_, T::Any) => true,
        (x, y) if x == y => !matches!(x, T::Geo),
        (x, y) if x.is_numeric() && y.is_numeric() => true,
        (T::Date | T::Timestamp, T::Date | T::Timestamp) => true,
        (T::Enum(e), T::Text) | (T::Text, T::Enum(e)) => {
            let lit = if matches!(b.kind, TExprKind::Literal(_)) { b } else { a };
            if let TExprKind::Literal(Literal::String(s)) = &lit.kind {
                let help = enum_as_string_help(r, e, s);
                r.error(
                    Diagnostic::error(id::E0401, "an enum compared with a string")
                        .at(lit.span, "enum values are written bare")
                        .with_help(help),
                );
                return None;
            }
            false
        }
        _ => false,
    };
    if !ok {
        r.error(
            Diagnostic::error(id::E0401, format!("`{op}` between {} and {}", type_name(r, a.ty), type_name(r, b.ty)))
                .at(span, "these types cannot be compared")
                .with_secondary(a.span, type_name(r, a.ty))
                .with_help("compare values of the same type"),
        );
        return None;
    }
    Some(())
}

fn orderable(r: &mut Cx<'_, '_>, t: &TExpr, op: &str) -> Option<()> {
    if matches!(t.ty, ExprType::Json | ExprType::Geo | ExprType::Array | ExprType::Bytes) {
        r.error(
            Diagnostic::error(id::E0401, format!("`{op}` on {}", type_name(r, t.ty)))
                .at(t.span, "this type has no order")
                .with_help("order comparisons apply to numbers, text, dates and times"),
        );
        return None;
    }
    Some(())
}

fn arith_type(op: ast::ArithOp, a: ExprType, b: ExprType) -> Option<ExprType> {
    use ast::ArithOp::*;
    use ExprType as T;
    Some(match (op, a, b) {
        (_, T::Any, x) | (_, x, T::Any) => x,
        (_, T::Int, T::Int) => T::Int,
        (_, x, y) if x.is_numeric() && y.is_numeric() => T::Decimal,
        (Add | Sub, T::Timestamp, T::Interval) | (Add, T::Interval, T::Timestamp) => T::Timestamp,
        (Sub, T::Timestamp, T::Timestamp) => T::Interval,
        (Add | Sub, T::Date, T::Int) | (Add, T::Int, T::Date) => T::Date,
        (Sub, T::Date, T::Date) => T::Int,
        (Add | Sub, T::Date, T::Interval) => T::Timestamp,
        (Add | Sub, T::Interval, T::Interval) => T::Interval,
        (Mul | Div, T::Interval, x) if x.is_numeric() => T::Interval,
        (Mul, x, T::Interval) if x.is_numeric() => T::Interval,
        (Add | Sub, T::Time, T::Interval) => T::Time,
        _ => return None,
    })
}

fn call(
    r: &mut Cx<'_, '_>,
    scope: &Scope,
    name: &ast::Ident,
    args: &[ast::Expr],
    span: Span,
    expected: Option<ExprType>,
) -> Option<TExpr> {
    let Some((_, f)) = Function::ALL.iter().find(|(n, _)| *n == name.name).copied() else {
        let mut d = Diagnostic::error(id::E0402, format!("unknown function `{}`", name.name))
            .at(name.span, "not a function of the language");
        d = match did_you_mean(&name.name, Function::ALL.iter().map(|(n, _)| *n)) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help("the functions are len, lower, upper, trim, abs, coalesce, now and date; use `sql \"…\"` for anything else"),
        };
        r.error(d);
        return None;
    };
    let (min, max) = match f {
        Function::Now => (0, 0),
        Function::Coalesce => (2, usize::MAX),
        _ => (1, 1),
    };
    if args.len() < min || args.len() > max {
        let want = match (min, max) {
            (0, 0) => "no arguments".to_string(),
            (1, 1) => "one argument".to_string(),
            _ => "two or more arguments".to_string(),
        };
        r.error(
            Diagnostic::error(id::E0403, format!("`{}` takes {want}, found {}", name.name, args.len()))
                .at(span, format!("`{}` called with {} argument(s)", name.name, args.len()))
                .with_help(format!("call it with {want}")),
        );
        return None;
    }
    let mut targs = Vec::new();
    for a in args {
        targs.push(check(r, scope, a, expected)?);
    }
    let nullable = targs.iter().any(|t| t.nullable);
    let arg_type = |r: &mut Cx<'_, '_>, t: &TExpr, ok: &[ExprType], want: &str| -> Option<()> {
        if t.ty == ExprType::Any || ok.contains(&t.ty) {
            return Some(());
        }
        r.error(
            Diagnostic::error(id::E0401, format!("`{}` of {}", name.name, type_name(r, t.ty)))
                .at(t.span, format!("expected {want}"))
                .with_help(format!("`{}` takes {want}", name.name)),
        );
        None
    };
    let ty = match f {
        Function::Len => {
            arg_type(r, &targs[0], &[ExprType::Text], "text")?;
            ExprType::Int
        }
        Function::Lower | Function::Upper | Function::Trim => {
            arg_type(r, &targs[0], &[ExprType::Text], "text")?;
            ExprType::Text
        }
        Function::Abs => {
            arg_type(r, &targs[0], &[ExprType::Int, ExprType::Decimal, ExprType::Interval], "a number")?;
            targs[0].ty
        }
        Function::Now => ExprType::Timestamp,
        Function::Date => {
            arg_type(r, &targs[0], &[ExprType::Timestamp, ExprType::Date, ExprType::Text], "a timestamp")?;
            ExprType::Date
        }
        Function::Coalesce => {
            let first = targs[0].clone();
            for t in &targs[1..] {
                comparable(r, &first, t, t.span, "coalesce")?;
            }
            let n = targs.iter().all(|t| t.nullable);
            return Some(mk(TExprKind::Call(f, targs), first.ty, n, span));
        }
    };
    Some(mk(TExprKind::Call(f, targs), ty, nullable, span))
}

/// A default (no columns in scope) or a backfill (the row's columns in scope),
/// checked against the field's type.
fn default_value(r: &mut Cx<'_, '_>, owner: &Owner, idx: usize, e: &ast::Expr, scope: &Scope) -> Option<TExpr> {
    let (field_ty, nullable, fname) = {
        let f = match owner {
            Owner::Entity(loc) => r.entity(loc).fields.get(idx)?,
            Owner::Value(v) => match &r.model.values[v.0].shape {
                ValueShape::Fields { fields, .. } => fields.get(idx)?,
                ValueShape::Single { .. } => return None,
            },
        };
        (f.ty.clone(), f.nullable, f.name.clone())
    };
    let want = match &field_ty {
        FieldType::Scalar(s) => Some((s.expr_type(), Some(*s))),
        FieldType::Array(_) => Some((ExprType::Array, None)),
        FieldType::Enum(en) => Some((ExprType::Enum(*en), None)),
        FieldType::Value(v) => match &r.model.values[v.0].shape {
            ValueShape::Single { ty, .. } => Some((ty.expr_type(), Some(*ty))),
            ValueShape::Fields { .. } => None,
        },
        _ => None,
    };
    let (want_ty, scalar) = want?;
    if scope.names.is_empty() {
        if let ast::ExprKind::Path(p) = &e.kind {
            if !matches!(want_ty, ExprType::Enum(_)) {
                r.error(
                    Diagnostic::error(id::E0204, format!("default `{}` for field `{fname}`", p.text()))
                        .at(e.span, "a default cannot name a column")
                        .with_help("write a literal (`0`, `'x'`, `true`), `now()`, or `{}` / `[]` for json"),
                );
                return None;
            }
        }
    }
    let t = check(r, scope, e, Some(want_ty))?;
    let ok = match (want_ty, t.ty) {
        (_, ExprType::Any) => true,
        (_, ExprType::Null) => {
            if !nullable {
                r.error(
                    Diagnostic::error(id::E0204, format!("`null` default for required field `{fname}`"))
                        .at(e.span, "the column is NOT NULL")
                        .with_help(format!("make the field optional, or choose a real default for `{fname}`")),
                );
                return None;
            }
            true
        }
        (x, y) if x == y => true,
        (ExprType::Decimal, ExprType::Int) => true,
        (ExprType::Json, ExprType::Array | ExprType::Text) => true,
        (ExprType::Timestamp, ExprType::Date) => true,
        (
            ExprType::Uuid | ExprType::Date | ExprType::Time | ExprType::Interval | ExprType::Timestamp,
            ExprType::Text,
        ) => {
            matches!(t.kind, TExprKind::Literal(_))
        }
        _ => false,
    };
    if !ok {
        let help = match (want_ty, &t.kind) {
            (ExprType::Enum(en), TExprKind::Literal(Literal::String(s))) => enum_as_string_help(r, en, s),
            _ => "give a default of the field's type".to_string(),
        };
        r.error(
            Diagnostic::error(id::E0204, format!("default of field `{fname}` is {}", type_name(r, t.ty)))
                .at(e.span, format!("expected {}", type_name(r, want_ty)))
                .with_help(help),
        );
        return None;
    }
    if let (Some(Scalar::Text(Some(n)) | Scalar::Char(n)), TExprKind::Literal(Literal::String(s))) = (scalar, &t.kind) {
        if s.chars().count() > n as usize {
            r.error(
                Diagnostic::error(id::E0204, format!("default of field `{fname}` is longer than {n} characters"))
                    .at(e.span, "too long for the column")
                    .with_help("shorten the default or widen the field"),
            );
            return None;
        }
    }
    if let Some(problem) = scalar.and_then(|s| out_of_range(s, &t)) {
        r.error(
            Diagnostic::error(id::E0204, format!("default of field `{fname}` does not fit its type"))
                .at(e.span, problem)
                .with_help("choose a default inside the type's range, or widen the field's type"),
        );
        return None;
    }
    if let TExprKind::Literal(Literal::Date(text)) = &t.kind {
        if !is_date(text) {
            r.error(
                Diagnostic::error(id::E0204, format!("default of field `{fname}` is not a valid date"))
                    .at(e.span, "no such day in the calendar")
                    .with_help("write an existing date as `YYYY-MM-DD`"),
            );
            return None;
        }
    }
    if let TExprKind::Literal(Literal::String(text)) = &t.kind {
        let (ok, form) = match want_ty {
            ExprType::Date => (is_date(text), "`YYYY-MM-DD`, or write the date bare: `2025-11-01`"),
            ExprType::Uuid => (is_uuid(text), "a UUID like `'00000000-0000-0000-0000-000000000000'`"),
            ExprType::Time => (is_time(text), "`HH:MM` or `HH:MM:SS`"),
            ExprType::Timestamp => (
                text.len() >= 10
                    && is_date(&text[..10])
                    && text[10..].chars().all(|c| c.is_ascii_digit() || " :T.+-Z".contains(c)),
                "`YYYY-MM-DD HH:MM:SS+00`",
            ),
            ExprType::Json => (
                // As `jsonb` reads it: PostgreSQL takes `1e400` (a JSON
                // number past f64, which serde's `Value` refused) and
                // refuses `1e-20000` (more decimals than `numeric` holds).
                crate::jsonb::jsonb(text).is_some(),
                "JSON text: `'{\"a\": 1}'`, `'[]'`, or `{}` / `[]` bare",
            ),
            _ => (true, ""),
        };
        if !ok {
            r.error(
                Diagnostic::error(
                    id::E0204,
                    format!("default of field `{fname}` is not a valid {}", type_name(r, want_ty)),
                )
                .at(e.span, "PostgreSQL would reject this value when the migration runs")
                .with_help(format!("write it as {form}")),
            );
            return None;
        }
    }
    if scalar == Some(Scalar::PasswordHash) || scalar == Some(Scalar::Encrypted) {
        r.error(
            Diagnostic::error(id::E0204, format!("a default for secret field `{fname}`"))
                .at(e.span, "a secret must never be written in a migration")
                .with_help("remove the default"),
        );
        return None;
    }
    Some(t)
}

/// A calendar date `YYYY-MM-DD` that exists (leap years included).
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| {
        s.get(r).filter(|x| x.bytes().all(|c| c.is_ascii_digit())).and_then(|x| x.parse::<u32>().ok())
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else { return false };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    y >= 1 && (1..=days).contains(&d)
}

/// Why a numeric literal default does not fit its column, if it does not:
/// integers outside the type's range, decimals with more digits than
/// `decimal(p, s)` holds (PostgreSQL would round the fraction silently, or
/// reject the value when the migration runs).
fn out_of_range(scalar: Scalar, t: &TExpr) -> Option<String> {
    let (digits, negative) = match &t.kind {
        TExprKind::Literal(Literal::Number(n)) => (n.as_str(), false),
        TExprKind::Neg(inner) => match &inner.kind {
            TExprKind::Literal(Literal::Number(n)) => (n.as_str(), true),
            _ => return None,
        },
        _ => return None,
    };
    let (int_part, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let int_part = int_part.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let int_range = |bits: u32| -> Option<String> {
        let max = (1u128 << (bits - 1)) - 1;
        let fits = frac.is_empty()
            && int_part.len() <= 39
            && int_part.parse::<u128>().map_or(int_part.is_empty(), |v| if negative { v <= max + 1 } else { v <= max });
        (!fits).then(|| {
            let min = format!("-{}", max + 1);
            if frac.is_empty() {
                format!("{}{digits} is outside {min}..{max}", if negative { "-" } else { "" })
            } else {
                format!("{digits} is not a whole number")
            }
        })
    };
    match scalar {
        Scalar::SmallInt => int_range(16),
        Scalar::Int => int_range(32),
        Scalar::BigInt => int_range(64),
        Scalar::Decimal(Some((p, s))) => {
            if frac.len() > s as usize {
                Some(format!("{digits} has {} decimal place(s); decimal({p}, {s}) keeps {s}", frac.len()))
            } else if int_part.len() > (p - s) as usize {
                Some(format!("{digits} has {} integer digit(s); decimal({p}, {s}) holds {}", int_part.len(), p - s))
            } else {
                None
            }
        }
        _ => None,
    }
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| if [8, 13, 18, 23].contains(&i) { c == '-' } else { c.is_ascii_hexdigit() })
}

fn is_time(s: &str) -> bool {
    let parts: Vec<&str> = s.split(':').collect();
    let ok = |p: &str, max: u32| p.len() == 2 && p.parse::<u32>().is_ok_and(|v| v <= max);
    match parts.as_slice() {
        [h, m] => ok(h, 23) && ok(m, 59),
        [h, m, sec] => ok(h, 23) && ok(m, 59) && (ok(sec, 59) || sec.split('.').next().is_some_and(|x| ok(x, 59))),
        _ => false,
    }
}
