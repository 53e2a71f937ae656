//! A captured table: its columns as the server describes them (snapshot) or the change stream
//! maps them (streaming), which of them events keep, its key, and the Debezium schemas —
//! built by one function from either description, for every database.

use std::sync::Arc;

use connect_api::{ConnectError, SchemaRef, Value};

use crate::config::CdcConfig;
use crate::envelope::TableSchemas;

/// What a database's column type tells the table.
pub trait ColumnDef {
    fn name(&self) -> &str;
    /// The field's schema; `None` for a column events leave out (a type not mapped).
    fn schema(&self, config: &CdcConfig) -> Option<SchemaRef>;
    /// The database's `source` block schema.
    fn source_schema() -> SchemaRef;
}

/// One table's layout and schemas.
#[derive(Debug)]
pub struct CapturedTable<C> {
    /// The first level of the name: the database (MySQL) or schema (PostgreSQL).
    pub db: String,
    pub table: String,
    /// Every column of the row image, in order.
    pub columns: Vec<C>,
    /// Indexes of the columns events keep (`column.*.list`, mapped types).
    pub kept: Vec<usize>,
    /// Indexes (into `columns`) of the columns that order snapshot chunks: the primary key
    /// (on PostgreSQL, else the REPLICA IDENTITY index). Empty without one: the table is read
    /// in one piece, since `message.key.columns` need not be unique (a chunk boundary inside a
    /// run of equal keys would skip rows, and a change of one row would supersede another's).
    pub chunk_key: Vec<usize>,
    /// Where the chunk key's columns sit in a projected row: how snapshot rows and streamed
    /// changes are matched. `None` when the table has no chunk key or events leave one of its
    /// columns out: rows cannot be matched then.
    pub match_key: Option<Vec<usize>>,
    pub schemas: Arc<TableSchemas>,
}

impl<C: ColumnDef> CapturedTable<C> {
    /// Builds the table from its columns and primary key (column indexes).
    pub fn new(
        config: &CdcConfig,
        db: &str,
        table: &str,
        columns: Vec<C>,
        primary_key: Vec<usize>,
    ) -> Result<Self, ConnectError> {
        let schemas: Vec<Option<SchemaRef>> = columns
            .iter()
            .map(|c| {
                config
                    .filters
                    .column_included(db, table, c.name())
                    .then(|| c.schema(config))
                    .flatten()
            })
            .collect();
        let kept: Vec<usize> = (0..columns.len())
            .filter(|&i| schemas[i].is_some())
            .collect();
        let key_columns: Vec<usize> = match config.filters.key_columns(db, table) {
            Some(names) => names
                .iter()
                .filter_map(|n| {
                    columns
                        .iter()
                        .position(|c| c.name().eq_ignore_ascii_case(n))
                })
                .collect(),
            None => primary_key.clone(),
        };
        let chunk_key = primary_key;
        let fields: Vec<_> = kept
            .iter()
            .filter_map(|&i| Some((columns[i].name().to_owned(), schemas[i].clone()?)))
            .collect();
        let key_fields = key_columns
            .iter()
            .filter_map(|k| kept.iter().position(|i| i == k))
            .collect();
        let match_key = (!chunk_key.is_empty())
            .then(|| {
                chunk_key
                    .iter()
                    .map(|k| kept.iter().position(|i| i == k))
                    .collect::<Option<Vec<usize>>>()
            })
            .flatten();
        let schemas = TableSchemas::new(
            &config.server_name,
            &format!("{db}.{table}"),
            &fields,
            key_fields,
            &C::source_schema(),
        )?;
        Ok(Self {
            db: db.to_owned(),
            table: table.to_owned(),
            columns,
            kept,
            chunk_key,
            match_key,
            schemas: Arc::new(schemas),
        })
    }
}

impl<C> CapturedTable<C> {
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

    /// A fingerprint of a projected row's chunk key ([`Self::match_key`]), to match snapshot
    /// rows against streamed changes of the same row. By the chunk key, not the event key: the
    /// event key may be `message.key.columns`, which need not be unique, and a change of one
    /// row must not take another's place. `None` when rows cannot be matched.
    pub fn key_fingerprint(&self, projected: &[Value]) -> Option<String> {
        let mut out = String::new();
        for &i in self.match_key.as_ref()? {
            out.push_str(&format!("{:?}\u{1f}", projected[i]));
        }
        Some(out)
    }
}
