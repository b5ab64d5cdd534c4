//! `dddc.lock`: the schema after the last migration and the checksums of
//! every migration file. Pretty JSON with sorted keys, so that a change of the
//! model is a readable diff. It is the only state `build` needs.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::relational::{self, Schema};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lock {
    /// Format of this file ([`relational::FORMAT`]).
    pub format: u32,
    /// The model's name.
    pub model: String,
    pub migrations: Vec<Migration>,
    /// The schema after the last migration.
    pub schema: Schema,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Migration {
    /// Flyway version: `1`, `2`, … or a timestamp.
    pub version: String,
    pub description: String,
    pub file: FileSum,
    pub undo: Option<FileSum>,
    /// `V<N>__….sql.conf` (`executeInTransaction=false`).
    pub conf: Option<FileSum>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileSum {
    pub name: String,
    pub sha256: String,
    /// Flyway's checksum of the file, as `flyway_schema_history.checksum`
    /// shows it.
    pub flyway_checksum: i32,
}

impl FileSum {
    pub fn of(name: &str, bytes: &[u8]) -> FileSum {
        FileSum { name: name.to_string(), sha256: sha256_hex(bytes), flyway_checksum: flyway_checksum(bytes) }
    }
}

impl Lock {
    pub fn new(model: &str, schema: Schema) -> Lock {
        Lock { format: relational::FORMAT, model: model.to_string(), migrations: Vec::new(), schema }
    }

    /// Pretty JSON, keys sorted, ending with a newline.
    pub fn to_json(&self) -> String {
        // Without serde_json's `preserve_order`, a `Value` keeps its object
        // keys in a BTreeMap: sorted.
        let value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
        s.push('\n');
        s
    }

    pub fn parse(text: &str) -> Result<Lock, String> {
        let lock: Lock = serde_json::from_str(text).map_err(|e| format!("the lock is not valid: {e}"))?;
        if lock.format != relational::FORMAT {
            return Err(format!(
                "the lock has format {}, this dddc reads format {}: use a matching dddc version",
                lock.format,
                relational::FORMAT
            ));
        }
        Ok(lock)
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Flyway's checksum: CRC32 over the file's lines read as text, each line
/// without its line break (`\n`, `\r\n` or `\r`), a leading byte-order mark
/// dropped, as a signed 32-bit integer.
pub fn flyway_checksum(bytes: &[u8]) -> i32 {
    let text = String::from_utf8_lossy(bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut crc = crc32fast::Hasher::new();
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        crc.update(&rest.as_bytes()[..end]);
        rest = &rest[end..];
        if let Some(r) = rest.strip_prefix("\r\n") {
            rest = r;
        } else if let Some(r) = rest.strip_prefix('\n').or_else(|| rest.strip_prefix('\r')) {
            rest = r;
        }
    }
    crc.finalize() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flyway_checksum_ignores_line_breaks_and_bom() {
        let unix = flyway_checksum(b"SELECT 1;\nSELECT 2;\n");
        assert_eq!(unix, flyway_checksum(b"SELECT 1;\r\nSELECT 2;\r\n"));
        assert_eq!(unix, flyway_checksum("\u{feff}SELECT 1;\nSELECT 2;".as_bytes()));
        assert_eq!(unix, flyway_checksum(b"SELECT 1;SELECT 2;"));
        // CRC32 of the concatenated lines, as a signed integer.
        assert_eq!(unix, crc32fast::hash(b"SELECT 1;SELECT 2;") as i32);
        assert_ne!(unix, flyway_checksum(b"SELECT 1;\nSELECT 3;\n"));
    }

    #[test]
    fn lock_round_trips_with_sorted_keys() {
        let lock = Lock::new("m", Schema { target: 16, ..Schema::default() });
        let json = lock.to_json();
        assert!(json.find("\"format\"") < json.find("\"migrations\""));
        assert!(json.find("\"migrations\"") < json.find("\"model\""));
        assert_eq!(Lock::parse(&json), Ok(lock));
    }
}
