//! Reading a snapshot chunk without locks: the next `chunk.size` rows of a table in key order
//! after the last key sent, with the binlog watermarks around the read. On MariaDB the read runs
//! in `START TRANSACTION WITH CONSISTENT SNAPSHOT` and the server names the exact binlog point
//! of that snapshot (`binlog_snapshot_file/position`), so the window is empty; elsewhere the
//! window is `SHOW MASTER STATUS` before and after the read. [`crate::window`]
//! reconciles the chunk with the changes streamed inside the window (DBLog).

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Params, Row};

use super::server::{self, ServerError};
use super::table::CapturedTable;
use super::values;
use crate::config::ValueModes;
use crate::position::BinlogPoint;
use connect_api::Value;

/// One chunk: its rows (full row images, converted) with their key text for resuming, and the
/// binlog window it was read in.
#[derive(Debug)]
pub struct Chunk {
    pub rows: Vec<ChunkRow>,
    /// Fewer rows than asked: the table is done.
    pub last: bool,
    pub low: BinlogPoint,
    pub high: BinlogPoint,
}

/// A snapshot row.
#[derive(Debug)]
pub struct ChunkRow {
    /// The row's kept columns, converted.
    pub values: Vec<Value>,
    /// The chunk key's raw text values, in key order: where the next chunk starts.
    pub key_text: Vec<serde_json::Value>,
}

pub(super) fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// The chunk query: every column, in key order, after `after` (a row comparison on the key).
pub fn chunk_sql(table: &CapturedTable, after: bool, limit: usize) -> String {
    let columns: Vec<String> = table.columns.iter().map(|c| quote(&c.name)).collect();
    let key: Vec<String> = table
        .chunk_key
        .iter()
        .map(|&i| quote(&table.columns[i].name))
        .collect();
    let mut sql = format!(
        "SELECT {} FROM {}.{}",
        columns.join(", "),
        quote(&table.db),
        quote(&table.table)
    );
    if key.is_empty() {
        return sql;
    }
    if after {
        let marks = vec!["?"; key.len()].join(", ");
        sql.push_str(&format!(" WHERE ({}) > ({marks})", key.join(", ")));
    }
    sql.push_str(&format!(" ORDER BY {} LIMIT {limit}", key.join(", ")));
    sql
}

/// Starts a consistent-snapshot transaction: the binlog end just before it, and the exact
/// point of the snapshot where the server names it (MariaDB's
/// `binlog_snapshot_file/position`). Chunks and keyless reads both start here.
pub async fn begin(
    conn: &mut Conn,
) -> Result<(Option<BinlogPoint>, Option<BinlogPoint>), ServerError> {
    let q = |what| move |source| ServerError::Query { what, source };
    conn.query_drop("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        .await
        .map_err(q("setting the isolation level"))?;
    let before = server::current_point(conn).await?;
    conn.query_drop("START TRANSACTION WITH CONSISTENT SNAPSHOT")
        .await
        .map_err(q("starting the snapshot transaction"))?;
    Ok((before, snapshot_point(conn).await?))
}

async fn snapshot_point(conn: &mut Conn) -> Result<Option<BinlogPoint>, ServerError> {
    let exact: Vec<(String, String)> = conn
        .query("SHOW STATUS LIKE 'binlog_snapshot_%'")
        .await
        .map_err(|source| ServerError::Query {
            what: "reading the snapshot's binlog point",
            source,
        })?;
    let point = {
        let file = exact
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("binlog_snapshot_file"));
        let pos = exact
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("binlog_snapshot_position"));
        match (file, pos) {
            (Some((_, f)), Some((_, p))) if !f.is_empty() => {
                p.parse().ok().map(|p| BinlogPoint::new(f.clone(), p))
            }
            _ => None,
        }
    };
    Ok(point)
}

/// Reads the chunk after `after` (the raw key values of the last row sent).
pub async fn read_chunk(
    conn: &mut Conn,
    table: &CapturedTable,
    after: Option<&[serde_json::Value]>,
    chunk_size: usize,
    modes: &ValueModes,
) -> Result<Chunk, ServerError> {
    let q = |what| move |source| ServerError::Query { what, source };
    let (before, exact_point) = begin(conn).await?;
    let keyed = !table.chunk_key.is_empty();
    let sql = chunk_sql(table, after.is_some() && keyed, chunk_size);
    let params = match after {
        Some(values) if keyed => Params::Positional(
            values
                .iter()
                .map(|v| match v {
                    serde_json::Value::String(s) => mysql_async::Value::from(s.as_str()),
                    serde_json::Value::Null => mysql_async::Value::NULL,
                    other => mysql_async::Value::from(other.to_string()),
                })
                .collect(),
        ),
        _ => Params::Empty,
    };
    // Always a prepared statement (the binary protocol), also without a key to pass: the text
    // protocol prints a FLOAT to six digits (1.2345678 as "1.23457"), where the binlog and
    // the binary protocol carry the stored value.
    let raw: Vec<Row> = conn
        .exec(sql, params)
        .await
        .map_err(q("reading a snapshot chunk"))?;
    conn.query_drop("COMMIT")
        .await
        .map_err(q("ending the snapshot transaction"))?;
    let after_read = server::current_point(conn).await?;
    let rows = raw
        .iter()
        .map(|row| convert_row(table, row, modes))
        .collect::<Result<Vec<_>, _>>()?;
    let last = !keyed || rows.len() < chunk_size;
    let (low, high) = match (exact_point, before, after_read) {
        (Some(p), _, _) => (p.clone(), p),
        (None, Some(b), Some(a)) => (b, a),
        _ => {
            return Err(ServerError::Unexpected(
                "the server reports no binlog position (is log_bin on?)".into(),
            ));
        }
    };
    Ok(Chunk {
        rows,
        last,
        low,
        high,
    })
}

/// A snapshot row read from the server: converted, with its chunk key's text.
pub fn convert_row(
    table: &CapturedTable,
    row: &Row,
    modes: &ValueModes,
) -> Result<ChunkRow, ServerError> {
    let mut converted = Vec::with_capacity(table.columns.len());
    for (i, column) in table.columns.iter().enumerate() {
        let failed = |e: values::ValueError| {
            ServerError::Unexpected(format!("{}.{}: {e}", table.id(), column.name))
        };
        let value = match row.as_ref(i) {
            Some(v) if values::binary_protocol_reads_as_binlog(&column.kind, v) => {
                let direct = values::from_value(&column.kind, v, modes).map_err(failed)?;
                debug_assert_eq!(
                    Some(&direct),
                    values::from_text(&column.kind, raw_text(row, i).as_deref(), modes)
                        .ok()
                        .as_ref(),
                    "{}: the binary value {v:?} read directly and through its text differ",
                    column.name
                );
                direct
            }
            _ => values::from_text(&column.kind, raw_text(row, i).as_deref(), modes)
                .map_err(failed)?,
        };
        converted.push(value);
    }
    let key_text = table
        .chunk_key
        .iter()
        .map(|&i| match raw_text(row, i) {
            Some(bytes) => serde_json::Value::String(String::from_utf8_lossy(&bytes).into_owned()),
            None => serde_json::Value::Null,
        })
        .collect();
    Ok(ChunkRow {
        values: table.project(converted),
        key_text,
    })
}

/// A column's value from a prepared statement (binary protocol) printed the way the text
/// protocol prints it: the form [`values::from_text`] reads (TIMESTAMP, ENUM and SET, whose
/// binary values mean something else than the binlog's) and the chunk key is kept in.
fn raw_text(row: &Row, index: usize) -> Option<Vec<u8>> {
    use mysql_async::Value as V;
    match row.as_ref(index)? {
        V::NULL => None,
        V::Bytes(b) => Some(b.clone()),
        V::Int(i) => Some(i.to_string().into_bytes()),
        V::UInt(u) => Some(u.to_string().into_bytes()),
        V::Float(f) => Some(f.to_string().into_bytes()),
        V::Double(d) => Some(d.to_string().into_bytes()),
        V::Date(y, mo, d, h, mi, s, us) => {
            Some(format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{us:06}").into_bytes())
        }
        V::Time(neg, days, h, m, s, us) => Some(
            format!(
                "{}{}:{m:02}:{s:02}.{us:06}",
                if *neg { "-" } else { "" },
                u32::from(*h) + days * 24
            )
            .into_bytes(),
        ),
    }
}
