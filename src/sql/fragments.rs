//! SQL fragments the lowering stores in the schema: conditions of the checks
//! it generates (enum lists, password hashes, all-or-none groups), partial
//! index predicates, the tenant policy, the full-text vector, and the bodies
//! of the functions the schema needs. Written here so that `relational`
//! decides *what* exists and `sql` alone writes *how* it reads.

use super::{ident, literal, qualified};

/// `(col IN ('A', 'B'))`.
pub fn in_list(column: &str, values: &[String]) -> String {
    let values: Vec<String> = values.iter().map(|v| literal(v)).collect();
    format!("({} IN ({}))", ident(column), values.join(", "))
}

/// bcrypt (`$2a$`/`$2b$`/`$2y$`, two-digit cost, 53 characters) or an argon2
/// PHC string.
pub const PASSWORD_HASH_RE: &str = r"^(\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}|\$argon2(id|i|d)\$v=19\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+)$";

/// The password-hash format check of a column.
pub fn password_hash(column: &str) -> String {
    format!("({} ~ {})", ident(column), literal(PASSWORD_HASH_RE))
}

/// `((required present) OR (all null))`: an optional group of columns is
/// all there or all absent.
pub fn all_or_none(required: &[String], all: &[String]) -> String {
    let present: Vec<String> = required.iter().map(|c| format!("({} IS NOT NULL)", ident(c))).collect();
    let absent: Vec<String> = all.iter().map(|c| format!("({} IS NULL)", ident(c))).collect();
    format!("(({}) OR ({}))", present.join(" AND "), absent.join(" AND "))
}

/// `(col >= 0)`.
pub fn non_negative(column: &str) -> String {
    format!("({} >= 0)", ident(column))
}

/// `(col IS NULL)`.
pub fn is_null(column: &str) -> String {
    format!("({} IS NULL)", ident(column))
}

/// A partial index's predicate with the soft-delete condition added.
pub fn live_rows(predicate: Option<&str>) -> String {
    match predicate {
        Some(p) => format!("({p} AND {})", is_null("deleted_at")),
        None => is_null("deleted_at"),
    }
}

/// The tenant-isolation condition of a row-level security policy.
pub fn tenant_condition(column: &str) -> String {
    format!("({} = (current_setting('app.tenant_id'))::uuid)", ident(column))
}

/// A weighted full-text vector over text columns.
pub fn search_vector(config: &str, items: &[(String, char)]) -> String {
    items
        .iter()
        .map(|(c, w)| {
            format!(
                "setweight(to_tsvector({}::regconfig, coalesce({}, '')), {})",
                literal(config),
                ident(c),
                literal(&w.to_string())
            )
        })
        .collect::<Vec<_>>()
        .join(" || ")
}

/// Sets `updated_at` on every UPDATE.
pub const TIMESTAMP_BODY: &str = "\nBEGIN\n    NEW.updated_at = CURRENT_TIMESTAMP;\n    RETURN NEW;\nEND;\n";

pub const UUID_V7_BODY: &str = "
DECLARE
    ts bytea := substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3);
    bytes bytea := ts || substring(uuid_send(gen_random_uuid()) FROM 7);
BEGIN
    bytes := set_byte(bytes, 6, (get_byte(bytes, 6) & 15) | 112);
    bytes := set_byte(bytes, 8, (get_byte(bytes, 8) & 63) | 128);
    RETURN encode(bytes, 'hex')::uuid;
END;
";

const AUDIT_BODY_TEMPLATE: &str = "
-- Runs as its owner (SECURITY DEFINER) and only from the audit triggers:
-- EXECUTE is revoked from PUBLIC, so no role can attach it to a table of
-- its own and forge audit rows.
DECLARE
    old_row jsonb;
    new_row jsonb;
    row_key text;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        old_row := to_jsonb(OLD);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_row := to_jsonb(NEW);
    END IF;
    SELECT string_agg(coalesce(new_row, old_row) ->> k, ',') INTO row_key FROM unnest(TG_ARGV[1:]) AS k;
    INSERT INTO {table} (usuario_id, accion, entidad, entidad_id, datos_antes, datos_despues)
    VALUES (
        nullif(current_setting('app.user_id', true), '')::uuid,
        TG_OP,
        TG_ARGV[0],
        row_key,
        old_row,
        new_row
    );
    RETURN NULL;
END;
";

/// The audit trigger function's body, writing to `schema.table`.
pub fn audit_body(schema: &str, table: &str) -> String {
    AUDIT_BODY_TEMPLATE.replace("{table}", &qualified(schema, table))
}
