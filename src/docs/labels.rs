//! Every word the documents print that does not come from the model, in
//! English and Spanish (`[docs] language`). Templates read them as `t.*`;
//! with strict undefined, a misspelt label fails the build instead of
//! printing nothing.

use serde::Serialize;

use super::text;
use crate::config::Language;
use crate::relational::{CheckSource, ColumnSource, TableKind};

/// A heading the documents link to: the name, the Markdown heading text and
/// its anchor (computed the way code hosts do).
#[derive(Debug, Clone, Serialize, Hash)]
pub struct Heading {
    pub name: String,
    pub text: String,
    pub anchor: String,
}

#[derive(Debug, Hash, Serialize)]
pub struct Labels {
    pub lang: &'static str,
    // File names.
    pub dictionary_file: &'static str,
    pub model_file: &'static str,
    // Front matter.
    pub generated_md: &'static str,
    pub generated_puml: &'static str,
    pub dictionary_title: &'static str,
    pub dictionary_intro: &'static str,
    pub model_doc_title: &'static str,
    pub see_also: &'static str,
    pub contents: &'static str,
    pub overview: &'static str,
    pub html_contents: &'static str,
    // Diagrams.
    pub erd_title_context: &'static str,
    pub erd_title_overview: &'static str,
    pub erd_legend: &'static str,
    pub erd_events: &'static str,
    pub erd_loose: &'static str,
    pub erd_external: &'static str,
    pub erd_aggregate: &'static str,
    pub erd: &'static str,
    pub erd_overview: &'static str,
    // Headings and names of things.
    pub context: &'static str,
    pub aggregate: &'static str,
    pub aggregates: &'static str,
    pub entity: &'static str,
    pub table: &'static str,
    pub tables: &'static str,
    pub enum_word: &'static str,
    pub value_object: &'static str,
    pub shared_enums: &'static str,
    pub shared_kernel: &'static str,
    pub shared_kernel_intro: &'static str,
    pub context_map: &'static str,
    pub context_map_intro: &'static str,
    pub roles: &'static str,
    pub role: &'static str,
    pub publications: &'static str,
    pub publication: &'static str,
    pub publishes: &'static str,
    pub functions: &'static str,
    pub references_of: &'static str,
    pub domain_events_of: &'static str,
    // Properties.
    pub target: &'static str,
    pub table_naming: &'static str,
    pub defaults: &'static str,
    pub extensions: &'static str,
    pub audit_log: &'static str,
    pub monthly_partitions: &'static str,
    pub kind: &'static str,
    pub primary_key: &'static str,
    pub rls: &'static str,
    pub rls_enabled: &'static str,
    pub pii_columns: &'static str,
    pub tenant_column: &'static str,
    pub root_table: &'static str,
    pub identity: &'static str,
    pub storage: &'static str,
    pub partitioning: &'static str,
    pub expected_rows: &'static str,
    pub cardinality: &'static str,
    pub invariants: &'static str,
    pub delivery: &'static str,
    pub outbox: &'static str,
    pub events_stored: &'static str,
    pub allows: &'static str,
    pub used_by: &'static str,
    // Table headers.
    pub columns: &'static str,
    pub column: &'static str,
    #[serde(rename = "type")]
    pub type_: &'static str,
    pub null: &'static str,
    pub default: &'static str,
    pub constraints: &'static str,
    pub description: &'static str,
    pub origin: &'static str,
    pub checks: &'static str,
    pub in_the_model: &'static str,
    pub uniques: &'static str,
    pub indexes: &'static str,
    pub name: &'static str,
    pub method: &'static str,
    pub unique: &'static str,
    pub index_items: &'static str,
    pub condition: &'static str,
    pub foreign_keys: &'static str,
    pub foreign_key: &'static str,
    pub references: &'static str,
    pub on_delete: &'static str,
    pub on_update: &'static str,
    pub loose_references: &'static str,
    pub loose_reference: &'static str,
    pub loose_explained: &'static str,
    pub event_types: &'static str,
    pub event: &'static str,
    pub triggers: &'static str,
    pub when: &'static str,
    pub function: &'static str,
    pub purpose: &'static str,
    pub policies: &'static str,
    pub partition: &'static str,
    pub bound: &'static str,
    pub code: &'static str,
    pub declared_on: &'static str,
    pub reason: &'static str,
    pub returns: &'static str,
    pub language: &'static str,
    pub value: &'static str,
    pub field: &'static str,
    pub required: &'static str,
    pub details: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub integrity: &'static str,
    pub optional: &'static str,
    pub reads: &'static str,
    pub writes: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    // Enums and value objects.
    pub enum_native: &'static str,
    pub enum_check: &'static str,
    pub value_single: &'static str,
    pub value_check: &'static str,
    pub value_embedded: &'static str,
    // Column constraints.
    pub c_primary_key: &'static str,
    pub c_identity: &'static str,
    pub c_generated: &'static str,
    pub c_references: &'static str,
    pub c_loose_reference: &'static str,
    pub c_unique: &'static str,
    pub c_event_type: &'static str,
    pub c_pii: &'static str,
    // Kinds of field type.
    pub kind_enum: &'static str,
    pub kind_value: &'static str,
    pub kind_value_list: &'static str,
    pub kind_reference: &'static str,
    // Entity cardinality and identity.
    pub card_at_most_one: &'static str,
    pub card_many: &'static str,
    pub id_generated: &'static str,
    pub id_supplied: &'static str,
    pub id_natural: &'static str,
    // Traits of aggregates and fields.
    pub trait_soft_delete: &'static str,
    pub trait_audited: &'static str,
    pub trait_tenant: &'static str,
    pub trait_partitioned: &'static str,
    pub trait_events: &'static str,
    pub trait_events_outbox: &'static str,
    pub trait_timestamps: &'static str,
    pub trait_loose: &'static str,
    pub trait_unique: &'static str,
    pub trait_indexed: &'static str,
    pub trait_default: &'static str,
    // What an `@allow` is declared on.
    pub subject_context: &'static str,
    pub subject_enum: &'static str,
    pub subject_value: &'static str,
    pub subject_table: &'static str,
    pub subject_field: &'static str,
    pub subject_invariant: &'static str,
    pub subject_index: &'static str,
    pub subject_events: &'static str,
    // Kinds of table.
    pub kind_aggregate_root: &'static str,
    pub kind_entity: &'static str,
    pub kind_value_list_table: &'static str,
    pub kind_events: &'static str,
    pub kind_audit_log: &'static str,
    // The site.
    pub erd_source: &'static str,
    pub erd_picture: &'static str,
    pub erd_scale_note: &'static str,
    pub invariant: &'static str,
    pub site_home: &'static str,
    pub site_fields: &'static str,
    pub site_types: &'static str,
    pub site_skip: &'static str,
    pub site_search: &'static str,
    pub site_search_hint: &'static str,
    pub site_no_results: &'static str,
    pub site_contexts: &'static str,
    pub site_diagram_fit: &'static str,
    pub site_diagram_full: &'static str,
    pub site_diagram_hint: &'static str,
    pub site_neighbourhood: &'static str,
    pub site_tables_outside: &'static str,
    pub site_referenced_by: &'static str,
    pub site_lint: &'static str,
    pub site_lint_intro: &'static str,
    pub site_score: &'static str,
    pub site_findings: &'static str,
    pub site_no_findings: &'static str,
    pub site_accepted: &'static str,
    pub site_rule: &'static str,
    pub site_where: &'static str,
    pub site_about: &'static str,
    pub site_count: &'static str,
    pub site_points: &'static str,
    pub site_severity: &'static str,
    pub severity_error: &'static str,
    pub severity_warning: &'static str,
    pub severity_info: &'static str,
    /// Plural, capitalised, before a count: `Warnings: 2`.
    pub severity_errors: &'static str,
    pub severity_warnings: &'static str,
    pub severity_infos: &'static str,
    pub site_migrations: &'static str,
    pub site_migrations_intro: &'static str,
    pub site_no_migrations: &'static str,
    pub site_version: &'static str,
    pub site_file: &'static str,
    pub site_undo: &'static str,
    pub site_checksum: &'static str,
    pub site_online: &'static str,
    pub site_last_migration: &'static str,
}

/// Serialises a view's `t` as a map the templates look up by hash.
///
/// A struct reaches minijinja as a list of (field, value) pairs searched
/// in order; `t` has over 200 fields and the templates read them inside
/// their loops (`t.yes` on every column), which put a linear search with
/// a string compare on each. The map is built once per language.
/// Serialised any other way, it is the same map of the same fields in the
/// same order.
pub fn serialize<S: serde::Serializer>(t: &&Labels, s: S) -> Result<S::Ok, S::Error> {
    use std::sync::OnceLock;
    static CACHE: [OnceLock<minijinja::Value>; 2] = [OnceLock::new(), OnceLock::new()];
    let slot = [&EN, &ES].iter().position(|l| std::ptr::eq(*l, *t));
    let build = || minijinja::Value::from_object(LabelMap::of(t));
    match slot {
        Some(i) => CACHE[i].get_or_init(build).serialize(s),
        None => build().serialize(s),
    }
}

/// The labels by name, in their declaration order.
#[derive(Debug)]
struct LabelMap(indexmap::IndexMap<String, minijinja::Value>);

impl LabelMap {
    fn of(t: &Labels) -> LabelMap {
        let fields = minijinja::Value::from_serialize(t);
        let mut map = indexmap::IndexMap::new();
        for key in fields.try_iter().into_iter().flatten() {
            let value = fields.get_item(&key).unwrap_or_default();
            map.insert(key.as_str().unwrap_or_default().to_string(), value);
        }
        LabelMap(map)
    }
}

impl minijinja::value::Object for LabelMap {
    fn get_value(self: &std::sync::Arc<Self>, key: &minijinja::Value) -> Option<minijinja::Value> {
        self.0.get(key.as_str()?).cloned()
    }

    fn get_value_by_str(self: &std::sync::Arc<Self>, key: &str) -> Option<minijinja::Value> {
        self.0.get(key).cloned()
    }

    fn enumerate(self: &std::sync::Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Values(self.0.keys().map(|k| minijinja::Value::from(k.as_str())).collect())
    }

    fn enumerator_len(self: &std::sync::Arc<Self>) -> Option<usize> {
        Some(self.0.len())
    }
}

pub fn for_language(language: Language) -> &'static Labels {
    match language {
        Language::En => &EN,
        Language::Es => &ES,
    }
}

impl Labels {
    pub fn table_kind(&self, kind: TableKind) -> &'static str {
        match kind {
            TableKind::AggregateRoot => self.kind_aggregate_root,
            TableKind::Entity => self.kind_entity,
            TableKind::ValueList => self.kind_value_list_table,
            TableKind::Events => self.kind_events,
            TableKind::AuditLog => self.kind_audit_log,
        }
    }

    fn heading(&self, word: &str, name: &str) -> Heading {
        let text = format!("{word} {}", text::code(name));
        Heading { name: name.to_string(), anchor: text::slug(&text::heading_text(&text)), text }
    }
    pub fn heading_context(&self, name: &str) -> Heading {
        self.heading(self.context, name)
    }
    pub fn heading_table(&self, qualified: &str) -> Heading {
        self.heading(self.table, qualified)
    }
    pub fn heading_aggregate(&self, path: &str) -> Heading {
        self.heading(self.aggregate, path)
    }
    pub fn heading_enum(&self, name: &str) -> Heading {
        self.heading(self.enum_word, name)
    }
    pub fn heading_value(&self, name: &str) -> Heading {
        self.heading(self.value_object, name)
    }

    /// Where a column comes from, in the document's language.
    pub fn column_source(&self, s: &ColumnSource) -> String {
        let w = |en: &'static str, es: &'static str| if self.lang == "es" { es } else { en };
        match s {
            ColumnSource::Tenant => "tenant".into(),
            ColumnSource::Parent { entity } => format!("{} {entity}", w("parent", "entidad madre")),
            ColumnSource::Owner { entity } => format!("{} {entity}", w("owner", "propietario")),
            ColumnSource::Aggregate { name } => format!("{} {name}", w("aggregate", "agregado")),
            ColumnSource::Reference { context, aggregate } => {
                format!("{} {context}.{aggregate}", w("reference to", "referencia a"))
            }
            ColumnSource::ValueObject { value, field: Some(f) } => {
                format!("{} {value} ({f})", w("value object", "objeto de valor"))
            }
            ColumnSource::ValueObject { value, field: None } => {
                format!("{} {value}", w("value object", "objeto de valor"))
            }
            ColumnSource::Enum { name } => format!("{} {name}", w("enum", "enumeración")),
            ColumnSource::Search { config } => {
                format!("{} ({config})", w("full-text search", "búsqueda de texto completo"))
            }
            ColumnSource::Timestamps => w("timestamps", "marcas de tiempo").into(),
            ColumnSource::SoftDelete => w("soft delete", "borrado lógico").into(),
            ColumnSource::ListPosition => w("list position", "posición en la lista").into(),
            ColumnSource::EventType => w("event type", "tipo de evento").into(),
            ColumnSource::OutboxRelay => w("outbox relay", "relé del outbox").into(),
        }
    }

    /// What a check enforces: prose in the document's language, and the
    /// model's own text to show as code. An enum → prose only; a value
    /// object's rule → both; an invariant's condition → code only.
    pub fn check_source(&self, source: &CheckSource) -> (Option<String>, Option<String>) {
        let w = |en: &'static str, es: &'static str| if self.lang == "es" { es } else { en };
        match source {
            CheckSource::PasswordHash => (
                Some(
                    w("password hash format (bcrypt or argon2)", "formato de hash de contraseña (bcrypt o argon2)")
                        .into(),
                ),
                None,
            ),
            CheckSource::ListPosition => (Some(w("list position", "posición en la lista").into()), None),
            CheckSource::AuditActions => (Some(w("audited operations", "operaciones auditadas").into()), None),
            CheckSource::Enum { name, .. } => (Some(format!("{} {name}", w("enum", "enumeración"))), None),
            CheckSource::EventTypes { aggregate } => {
                (Some(format!("{} {aggregate}", w("events of", "eventos de"))), None)
            }
            CheckSource::AllOrNone { value } => (
                Some(if self.lang == "es" {
                    format!("{value} opcional: todas sus partes obligatorias o ninguna")
                } else {
                    format!("optional {value}: all required parts or none")
                }),
                None,
            ),
            CheckSource::SingleValue { value, source } => {
                (Some(format!("{} {value}", w("value", "valor"))), Some(source.clone()))
            }
            CheckSource::ValueRule { value, source } => (Some(value.clone()), Some(source.clone())),
            CheckSource::Invariant { source } => (None, Some(source.clone())),
        }
    }
}

pub static EN: Labels = Labels {
    lang: "en",
    dictionary_file: "data-dictionary.md",
    model_file: "data-model.md",
    generated_md: "Generated by `dddc` from the model. Do not edit by hand: change the model and run `dddc build`.",
    generated_puml: "Generated by dddc from the model. Do not edit by hand: change the model and run `dddc build`.",
    dictionary_title: "Data dictionary",
    dictionary_intro: "Every table and column of the database, by bounded context (one PostgreSQL schema each), for",
    model_doc_title: "Data model",
    see_also: "The domain behind it",
    contents: "Contents",
    overview: "Overview",
    html_contents: "Contents",
    erd_title_context: "Bounded context",
    erd_title_overview: "Bounded contexts and aggregates of",
    erd_legend: "* NOT NULL · PK primary key · FK foreign key · UQ unique · dashed line: no foreign key",
    erd_events: "events",
    erd_loose: "loose",
    erd_external: "external",
    erd_aggregate: "aggregate",
    erd: "ERD",
    erd_overview: "Overview ERD",
    context: "Context",
    aggregate: "Aggregate",
    aggregates: "Aggregates",
    entity: "Entity",
    table: "Table",
    tables: "Tables",
    enum_word: "Enum",
    value_object: "Value object",
    shared_enums: "Shared enums",
    shared_kernel: "Shared kernel",
    shared_kernel_intro: "Value objects and enums declared outside any context, usable by all of them.",
    context_map: "Context map",
    context_map_intro: "References from one bounded context to an aggregate of another.",
    roles: "Roles",
    role: "Role",
    publications: "Publications",
    publication: "Publication",
    publishes: "Publishes",
    functions: "Functions",
    references_of: "References of",
    domain_events_of: "Domain events of",
    target: "Target",
    table_naming: "Table naming",
    defaults: "Defaults",
    extensions: "Extensions",
    audit_log: "Audit log",
    monthly_partitions: "monthly partitions",
    kind: "Kind",
    primary_key: "Primary key",
    rls: "Row-level security",
    rls_enabled: "enabled and forced",
    pii_columns: "Personal data (`@pii`)",
    tenant_column: "Tenant column",
    root_table: "Root table",
    identity: "Identity",
    storage: "Storage",
    partitioning: "Partitioning",
    expected_rows: "Expected rows",
    cardinality: "Cardinality",
    invariants: "Invariants",
    delivery: "Delivery",
    outbox: "transactional outbox (`published_at` marks what the relay has sent)",
    events_stored: "stored in the events table",
    allows: "Lint exceptions (`@allow`)",
    used_by: "Used by",
    columns: "Columns",
    column: "Column",
    type_: "Type",
    null: "Null",
    default: "Default",
    constraints: "Constraints",
    description: "Description",
    origin: "Origin",
    checks: "Invariants and checks",
    in_the_model: "Model",
    uniques: "Unique constraints",
    indexes: "Indexes",
    name: "Name",
    method: "Method",
    unique: "Unique",
    index_items: "Columns / expressions",
    condition: "Condition",
    foreign_keys: "Foreign keys",
    foreign_key: "foreign key",
    references: "References",
    on_delete: "On delete",
    on_update: "On update",
    loose_references: "References without foreign key",
    loose_reference: "no foreign key (`loose`)",
    loose_explained: "Declared `loose` in the model: the column and its index exist, the foreign key does not (the target may live in another database).",
    event_types: "Event types",
    event: "Event",
    triggers: "Triggers",
    when: "When",
    function: "Function",
    purpose: "Purpose",
    policies: "Row-level security policies",
    partition: "Partition",
    bound: "Bound",
    code: "Code",
    declared_on: "Declared on",
    reason: "Reason",
    returns: "Returns",
    language: "Language",
    value: "Value",
    field: "Field",
    required: "Required",
    details: "Details",
    from: "From",
    to: "To",
    integrity: "Integrity",
    optional: "optional",
    reads: "Reads",
    writes: "Writes",
    yes: "yes",
    no: "no",
    enum_native: "Stored as the native PostgreSQL enum type",
    enum_check: "Stored as text with a `CHECK` on the values, type",
    value_single: "Stored in one column of type",
    value_check: "checked by",
    value_embedded: "Embedded in the tables that use it as one column per field, named `<field>_<part>`.",
    c_primary_key: "PK",
    c_identity: "identity",
    c_generated: "generated",
    c_references: "FK →",
    c_loose_reference: "reference (no FK) →",
    c_unique: "unique",
    c_event_type: "event type",
    c_pii: "**PII**",
    kind_enum: "enum",
    kind_value: "value object",
    kind_value_list: "list of value objects",
    kind_reference: "reference",
    card_at_most_one: "at most one per",
    card_many: "zero or more per",
    id_generated: "generated",
    id_supplied: "supplied by the application",
    id_natural: "natural key",
    trait_soft_delete: "soft delete",
    trait_audited: "audited",
    trait_tenant: "tenant-scoped",
    trait_partitioned: "partitioned by",
    trait_events: "domain events",
    trait_events_outbox: "domain events (outbox)",
    trait_timestamps: "timestamps",
    trait_loose: "loose",
    trait_unique: "unique",
    trait_indexed: "indexed",
    trait_default: "default",
    subject_context: "context",
    subject_enum: "enum",
    subject_value: "value object",
    subject_table: "table",
    subject_field: "field",
    subject_invariant: "invariant",
    subject_index: "index",
    subject_events: "events",
    kind_aggregate_root: "aggregate root",
    kind_entity: "entity",
    kind_value_list_table: "value-object list",
    kind_events: "domain events",
    kind_audit_log: "audit log",
    erd_source: "PlantUML source",
    erd_picture: "Picture",
    erd_scale_note: "At most 4096 × 4096 pixels: PlantUML cuts bigger pictures off (PLANTUML_LIMIT_SIZE); the .svg next to this file is drawn full size.",
    invariant: "Invariant",
    site_home: "Home",
    site_fields: "Fields",
    site_types: "Value objects and enums",
    site_skip: "Skip to the content",
    site_search: "Search",
    site_search_hint: "Tables, columns, aggregates, enums…",
    site_no_results: "Nothing found",
    site_contexts: "Bounded contexts",
    site_diagram_fit: "Fit to the page",
    site_diagram_full: "Actual size",
    site_diagram_hint: "Click a box to open its table or aggregate.",
    site_neighbourhood: "Its tables, and the tables they reference or that reference them",
    site_tables_outside: "Tables outside any aggregate",
    site_referenced_by: "Referenced by",
    site_lint: "Design review",
    site_lint_intro: "What `dddc lint` reports on this model, with the project's `[lint]` settings.",
    site_score: "Design score",
    site_findings: "Findings",
    site_no_findings: "No findings.",
    site_accepted: "Accepted with `@allow`",
    site_rule: "Rule",
    site_where: "Where",
    site_about: "About",
    site_count: "Count",
    site_points: "Points off",
    site_severity: "Severity",
    severity_error: "error",
    severity_warning: "warning",
    severity_info: "note",
    severity_errors: "Errors",
    severity_warnings: "Warnings",
    severity_infos: "Notes",
    site_migrations: "Migration history",
    site_migrations_intro: "Every migration the lock records, oldest first: Flyway applies them in this order. The checksum is the SHA-256 of the file as `dddc build` wrote it; `dddc check` fails when a file differs.",
    site_no_migrations: "No migration yet: run `dddc build`.",
    site_version: "Version",
    site_file: "File",
    site_undo: "Undo",
    site_checksum: "SHA-256",
    site_online: "outside a transaction",
    site_last_migration: "Last migration",
};

pub static ES: Labels = Labels {
    lang: "es",
    dictionary_file: "diccionario-datos.md",
    model_file: "modelo-datos.md",
    generated_md: "Generado por `dddc` a partir del modelo. No lo edites a mano: cambia el modelo y ejecuta `dddc build`.",
    generated_puml: "Generado por dddc a partir del modelo. No lo edites a mano: cambia el modelo y ejecuta `dddc build`.",
    dictionary_title: "Diccionario de datos",
    dictionary_intro: "Todas las tablas y columnas de la base de datos, por contexto delimitado (un esquema de PostgreSQL cada uno), para",
    model_doc_title: "Modelo de datos",
    see_also: "El dominio que hay detrás",
    contents: "Contenido",
    overview: "Visión general",
    html_contents: "Contenido",
    erd_title_context: "Contexto delimitado",
    erd_title_overview: "Contextos delimitados y agregados de",
    erd_legend: "* NOT NULL · PK clave primaria · FK clave foránea · UQ única · línea discontinua: sin clave foránea",
    erd_events: "eventos",
    erd_loose: "sin FK",
    erd_external: "externa",
    erd_aggregate: "agregado",
    erd: "Diagrama ER",
    erd_overview: "Diagrama ER general",
    context: "Contexto",
    aggregate: "Agregado",
    aggregates: "Agregados",
    entity: "Entidad",
    table: "Tabla",
    tables: "Tablas",
    enum_word: "Enumeración",
    value_object: "Objeto de valor",
    shared_enums: "Enumeraciones compartidas",
    shared_kernel: "Núcleo compartido",
    shared_kernel_intro: "Objetos de valor y enumeraciones declarados fuera de todo contexto, disponibles para todos.",
    context_map: "Mapa de contextos",
    context_map_intro: "Referencias desde un contexto delimitado a un agregado de otro.",
    roles: "Roles",
    role: "Rol",
    publications: "Publicaciones",
    publication: "Publicación",
    publishes: "Publica",
    functions: "Funciones",
    references_of: "Referencias de",
    domain_events_of: "Eventos de dominio de",
    target: "Destino",
    table_naming: "Nombres de tabla",
    defaults: "Por defecto",
    extensions: "Extensiones",
    audit_log: "Registro de auditoría",
    monthly_partitions: "particiones mensuales",
    kind: "Tipo de tabla",
    primary_key: "Clave primaria",
    rls: "Seguridad por filas (RLS)",
    rls_enabled: "activada y forzada",
    pii_columns: "Datos personales (`@pii`)",
    tenant_column: "Columna de tenant",
    root_table: "Tabla raíz",
    identity: "Identidad",
    storage: "Almacenamiento",
    partitioning: "Particionado",
    expected_rows: "Filas previstas",
    cardinality: "Cardinalidad",
    invariants: "Invariantes",
    delivery: "Entrega",
    outbox: "*transactional outbox* (`published_at` marca lo que el relé ya envió)",
    events_stored: "guardados en la tabla de eventos",
    allows: "Excepciones de lint (`@allow`)",
    used_by: "Lo usan",
    columns: "Columnas",
    column: "Columna",
    type_: "Tipo",
    null: "Nulo",
    default: "Por defecto",
    constraints: "Restricciones",
    description: "Descripción",
    origin: "Origen",
    checks: "Invariantes y comprobaciones",
    in_the_model: "Modelo",
    uniques: "Restricciones de unicidad",
    indexes: "Índices",
    name: "Nombre",
    method: "Método",
    unique: "Único",
    index_items: "Columnas / expresiones",
    condition: "Condición",
    foreign_keys: "Claves foráneas",
    foreign_key: "clave foránea",
    references: "Referencia a",
    on_delete: "Al borrar",
    on_update: "Al actualizar",
    loose_references: "Referencias sin clave foránea",
    loose_reference: "sin clave foránea (`loose`)",
    loose_explained: "Declaradas `loose` en el modelo: existen la columna y su índice, pero no la clave foránea (el destino puede vivir en otra base de datos).",
    event_types: "Tipos de evento",
    event: "Evento",
    triggers: "Disparadores",
    when: "Cuándo",
    function: "Función",
    purpose: "Propósito",
    policies: "Políticas de seguridad por filas",
    partition: "Partición",
    bound: "Límites",
    code: "Código",
    declared_on: "Declarada en",
    reason: "Motivo",
    returns: "Devuelve",
    language: "Lenguaje",
    value: "Valor",
    field: "Campo",
    required: "Obligatorio",
    details: "Detalles",
    from: "Desde",
    to: "Hacia",
    integrity: "Integridad",
    optional: "opcional",
    reads: "Lee",
    writes: "Escribe",
    yes: "sí",
    no: "no",
    enum_native: "Se guarda como el tipo enumerado nativo de PostgreSQL",
    enum_check: "Se guarda como texto con un `CHECK` sobre los valores, tipo",
    value_single: "Se guarda en una columna de tipo",
    value_check: "comprobado por",
    value_embedded: "Se incrusta en las tablas que lo usan, una columna por campo, llamada `<campo>_<parte>`.",
    c_primary_key: "PK",
    c_identity: "identidad",
    c_generated: "generada",
    c_references: "FK →",
    c_loose_reference: "referencia (sin FK) →",
    c_unique: "única",
    c_event_type: "tipo de evento",
    c_pii: "**PII**",
    kind_enum: "enumeración",
    kind_value: "objeto de valor",
    kind_value_list: "lista de objetos de valor",
    kind_reference: "referencia",
    card_at_most_one: "como mucho una por",
    card_many: "cero o más por",
    id_generated: "generada",
    id_supplied: "la asigna la aplicación",
    id_natural: "clave natural",
    trait_soft_delete: "borrado lógico",
    trait_audited: "auditado",
    trait_tenant: "por tenant",
    trait_partitioned: "particionado por",
    trait_events: "eventos de dominio",
    trait_events_outbox: "eventos de dominio (outbox)",
    trait_timestamps: "marcas de tiempo",
    trait_loose: "sin FK",
    trait_unique: "único",
    trait_indexed: "indexado",
    trait_default: "por defecto",
    subject_context: "contexto",
    subject_enum: "enumeración",
    subject_value: "objeto de valor",
    subject_table: "tabla",
    subject_field: "campo",
    subject_invariant: "invariante",
    subject_index: "índice",
    subject_events: "eventos",
    kind_aggregate_root: "raíz de agregado",
    kind_entity: "entidad",
    kind_value_list_table: "lista de objetos de valor",
    kind_events: "eventos de dominio",
    kind_audit_log: "registro de auditoría",
    erd_source: "fuente PlantUML",
    erd_picture: "Imagen",
    erd_scale_note: "Como mucho 4096 × 4096 píxeles: PlantUML recorta las imágenes mayores (PLANTUML_LIMIT_SIZE); el .svg junto a este archivo se dibuja a tamaño completo.",
    invariant: "Invariante",
    site_home: "Inicio",
    site_fields: "Campos",
    site_types: "Objetos de valor y enumeraciones",
    site_skip: "Ir al contenido",
    site_search: "Buscar",
    site_search_hint: "Tablas, columnas, agregados, enumeraciones…",
    site_no_results: "No se ha encontrado nada",
    site_contexts: "Contextos delimitados",
    site_diagram_fit: "Ajustar a la página",
    site_diagram_full: "Tamaño real",
    site_diagram_hint: "Pulsa una caja para abrir su tabla o su agregado.",
    site_neighbourhood: "Sus tablas, y las tablas a las que hacen referencia o que les hacen referencia",
    site_tables_outside: "Tablas fuera de todo agregado",
    site_referenced_by: "Referenciada por",
    site_lint: "Revisión del diseño",
    site_lint_intro: "Lo que `dddc lint` informa sobre este modelo, con la configuración `[lint]` del proyecto.",
    site_score: "Puntuación del diseño",
    site_findings: "Hallazgos",
    site_no_findings: "Sin hallazgos.",
    site_accepted: "Aceptados con `@allow`",
    site_rule: "Regla",
    site_where: "Dónde",
    site_about: "Sobre",
    site_count: "Cantidad",
    site_points: "Puntos restados",
    site_severity: "Gravedad",
    severity_error: "error",
    severity_warning: "aviso",
    severity_info: "nota",
    severity_errors: "Errores",
    severity_warnings: "Avisos",
    severity_infos: "Notas",
    site_migrations: "Historial de migraciones",
    site_migrations_intro: "Todas las migraciones que registra el lock, de la más antigua a la más reciente: Flyway las aplica en este orden. La suma de control es el SHA-256 del archivo tal como lo escribió `dddc build`; `dddc check` falla si un archivo difiere.",
    site_no_migrations: "Todavía no hay migraciones: ejecuta `dddc build`.",
    site_version: "Versión",
    site_file: "Archivo",
    site_undo: "Deshacer",
    site_checksum: "SHA-256",
    site_online: "fuera de una transacción",
    site_last_migration: "Última migración",
};
