//! A captured table: its columns as the server describes them (snapshot) or the binlog maps
//! them (streaming), which of them events keep, its key, and the Debezium schemas — built by
//! one function from either description.

use std::sync::Arc;

use connect_api::{ConnectError, Value};

use super::columns::Column;
use super::{source, values};
use crate::config::CdcConfig;
use crate::envelope::TableSchemas;

/// One table's layout and schemas.
#[derive(Debug)]
pub struct CapturedTable {
    pub db: String,
    pub table: String,
    /// Every column of the row image, in order.
    pub columns: Vec<Column>,
    /// Indexes of the columns events keep (`column.*.list`).
    pub kept: Vec<usize>,
    /// Indexes (into `columns`) of the columns that order snapshot chunks: the primary key,
    /// else `message.key.columns`; empty when the table has neither (read in one piece).
    pub chunk_key: Vec<usize>,
    pub schemas: Arc<TableSchemas>,
}

impl CapturedTable {
    /// Builds the table from its columns and primary key (column indexes).
    pub fn new(
        config: &CdcConfig,
        db: &str,
        table: &str,
        columns: Vec<Column>,
        primary_key: Vec<usize>,
    ) -> Result<Self, ConnectError> {
        let kept: Vec<usize> = (0..columns.len())
            .filter(|&i| config.filters.column_included(db, table, &columns[i].name))
            .collect();
        let key_columns: Vec<usize> = match config.filters.key_columns(db, table) {
            Some(names) => names
                .iter()
                .filter_map(|n| columns.iter().position(|c| c.name.eq_ignore_ascii_case(n)))
                .collect(),
            None => primary_key.clone(),
        };
        let chunk_key = if primary_key.is_empty() {
            key_columns.clone()
        } else {
            primary_key
        };
        let fields: Vec<_> = kept
            .iter()
            .map(|&i| {
                (
                    columns[i].name.clone(),
                    values::field_schema(&columns[i].kind, &config.modes),
                )
            })
            .collect();
        let key_fields = key_columns
            .iter()
            .filter_map(|k| kept.iter().position(|i| i == k))
            .collect();
        let schemas = TableSchemas::new(
            &config.server_name,
            &format!("{db}.{table}"),
            &fields,
            key_fields,
            &source::schema(),
        )?;
        Ok(Self {
            db: db.to_owned(),
            table: table.to_owned(),
            columns,
            kept,
            chunk_key,
            schemas: Arc::new(schemas),
        })
    }

    /// `db.table`.
    pub fn id(&self) -> &str {
        &self.schemas.id
    }

    /// The kept columns of a full row image.
    pub fn project(&self, mut row: Vec<Value>) -> Vec<Value> {
        if self.kept.len() == row.len() {
            return row;
        }
        self.kept
            .iter()
            .map(|&i| std::mem::take(&mut row[i]))
            .collect()
    }

    /// A fingerprint of the key of a projected row, to match snapshot rows against streamed
    /// changes of the same key.
    pub fn key_fingerprint(&self, projected: &[Value]) -> String {
        let mut out = String::new();
        for &i in &self.schemas.key_fields {
            out.push_str(&format!("{:?}\u{1f}", projected[i]));
        }
        out
    }
}
