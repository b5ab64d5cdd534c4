//! Partitioning (§9.5): the partitions of a range (monthly), list or hash
//! partitioned table, plus a DEFAULT partition for range and list.

use super::Lowerer;
use crate::model::{self, PartitionSpec};
use crate::relational::names::fit;
use crate::relational::*;
use crate::sql::expr::literal_sql;

impl Lowerer<'_> {
    pub(super) fn partitioning(&self, table: &str, p: &model::Partition) -> Partitioning {
        let part =
            |name: String, bound: PartitionBound| PartitionDef { name: fit(&name), bound, row_level_security: false };
        let mut parts = Vec::new();
        let method = match &p.spec {
            PartitionSpec::Range(range) => {
                for m in range.iter().flat_map(|r| r.months()) {
                    parts.push(part(
                        format!("{table}_{:04}_{:02}", m.year, m.month),
                        PartitionBound::Range { from: month_bound(m), to: month_bound(m.next()) },
                    ));
                }
                parts.push(part(format!("{table}_default"), PartitionBound::Default));
                PartitionMethod::Range
            }
            PartitionSpec::List(list) => {
                for lp in list {
                    let values = lp.values.iter().map(literal_sql).collect();
                    parts.push(part(format!("{table}_{}", lp.name), PartitionBound::List(values)));
                }
                parts.push(part(format!("{table}_default"), PartitionBound::Default));
                PartitionMethod::List
            }
            PartitionSpec::Hash(n) => {
                for i in 0..*n {
                    parts.push(part(format!("{table}_p{i}"), PartitionBound::Hash { modulus: *n, remainder: i }));
                }
                PartitionMethod::Hash
            }
        };
        Partitioning { method, column: p.column.clone(), partitions: parts }
    }
}

/// `'2025-11-01 00:00:00+00'`: an explicit UTC instant, so that bounds do not
/// depend on the server's time zone (a date-only literal would be read in it).
fn month_bound(m: model::Month) -> String {
    format!("'{:04}-{:02}-01 00:00:00+00'", m.year, m.month)
}
