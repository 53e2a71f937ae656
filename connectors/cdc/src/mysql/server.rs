//! Talking to the server outside the binlog stream: connection options, the binlog's current
//! position and files, the captured tables and their columns, and the checks validation runs
//! (binlog on, ROW format, FULL row image and metadata, grants) — each failing check says
//! which setting to change and how.

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder, Row};

use super::columns::{Column, ColumnKind};
use super::gtid::GtidSet;
use crate::config::CdcConfig;
use crate::position::BinlogPoint;

/// A failure talking to the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot connect to {host}:{port} as {user}: {source}")]
    Connect {
        host: String,
        port: u16,
        user: String,
        source: mysql_async::Error,
    },
    #[error("{what}: {source}")]
    Query {
        what: &'static str,
        source: mysql_async::Error,
    },
    #[error("{0}")]
    Unexpected(String),
}

impl ServerError {
    fn query(what: &'static str) -> impl FnOnce(mysql_async::Error) -> Self {
        move |source| Self::Query { what, source }
    }
}

/// Connection options of the configured server (no database selected; UTC session).
pub fn opts(config: &CdcConfig) -> Opts {
    OptsBuilder::default()
        .ip_or_hostname(config.hostname.clone())
        .tcp_port(config.port)
        .user(Some(config.user.clone()))
        .pass((!config.password.is_empty()).then(|| config.password.clone()))
        .prefer_socket(false)
        .init(vec!["SET time_zone = '+00:00'".to_owned()])
        .into()
}

/// Opens one connection.
pub async fn connect(config: &CdcConfig) -> Result<Conn, ServerError> {
    Conn::new(opts(config))
        .await
        .map_err(|source| ServerError::Connect {
            host: config.hostname.clone(),
            port: config.port,
            user: config.user.clone(),
            source,
        })
}

/// The binlog's current end (`SHOW MASTER STATUS`).
pub async fn current_point(conn: &mut Conn) -> Result<Option<BinlogPoint>, ServerError> {
    let row: Option<Row> = conn
        .query_first("SHOW MASTER STATUS")
        .await
        .map_err(ServerError::query("SHOW MASTER STATUS"))?;
    Ok(row.and_then(|row| {
        let file: Option<String> = row.get(0);
        let pos: Option<u64> = row.get(1);
        Some(BinlogPoint::new(file?, pos?))
    }))
}

/// The binlog's current end with the set of GTIDs completed there: MySQL reports both in one
/// row of `SHOW MASTER STATUS`; MariaDB maps the point to its GTID position
/// (`BINLOG_GTID_POS`). The set is empty before the first GTID, `None` where the server will not say.
pub async fn current_point_and_gtids(
    conn: &mut Conn,
) -> Result<Option<(BinlogPoint, Option<String>)>, ServerError> {
    let row: Option<Row> = conn
        .query_first("SHOW MASTER STATUS")
        .await
        .map_err(ServerError::query("SHOW MASTER STATUS"))?;
    let Some(row) = row else { return Ok(None) };
    let (Some(file), Some(pos)) = (row.get::<String, _>(0), row.get::<u64, _>(1)) else {
        return Ok(None);
    };
    let point = BinlogPoint::new(file, pos);
    let gtids = if row.len() > 4 {
        row.get::<Option<String>, _>(4)
            .flatten()
            .and_then(|raw| canonical_gtids(&raw))
    } else {
        gtids_at(conn, &point).await
    };
    Ok(Some((point, gtids)))
}

/// A set as the server printed it (MySQL breaks lines between sources), in the offset's
/// form; `None` for one this connector cannot read (MySQL 8.3+ tagged GTIDs), which then
/// positions by file.
fn canonical_gtids(raw: &str) -> Option<String> {
    GtidSet::parse(raw).ok().map(|set| set.to_string())
}

/// MariaDB's GTID position at a binlog point (`BINLOG_GTID_POS`): the completed set a reader
/// starting there begins with (empty before the first GTID). `None` on MySQL (no such
/// function) or where the server cannot say (a point outside its files).
pub async fn gtids_at(conn: &mut Conn, point: &BinlogPoint) -> Option<String> {
    conn.exec_first::<Option<String>, _, _>(
        "SELECT BINLOG_GTID_POS(?, ?)",
        (&point.file, point.pos),
    )
    .await
    .ok()
    .flatten()
    .flatten()
    .and_then(|raw| canonical_gtids(&raw))
}

/// The binlog files the server still has, oldest first.
pub async fn binlog_files(conn: &mut Conn) -> Result<Vec<String>, ServerError> {
    let rows: Vec<Row> = conn
        .query("SHOW BINARY LOGS")
        .await
        .map_err(ServerError::query("SHOW BINARY LOGS"))?;
    Ok(rows.iter().filter_map(|r| r.get::<String, _>(0)).collect())
}

/// The base tables in captured databases that the filters include, as `(db, table)`, sorted.
pub async fn captured_tables(
    conn: &mut Conn,
    config: &CdcConfig,
) -> Result<Vec<(String, String)>, ServerError> {
    let rows: Vec<(String, String)> = conn
        .query(
            "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES \
             WHERE TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_SCHEMA, TABLE_NAME",
        )
        .await
        .map_err(ServerError::query("listing tables"))?;
    Ok(rows
        .into_iter()
        .filter(|(db, table)| config.filters.table_included(db, table))
        .collect())
}

/// A table's columns (in order) and primary key (column indexes in key order).
pub async fn table_columns(
    conn: &mut Conn,
    db: &str,
    table: &str,
) -> Result<(Vec<Column>, Vec<usize>), ServerError> {
    type ColumnRow = (
        String,
        String,
        String,
        Option<u32>,
        Option<u32>,
        Option<u32>,
        Option<String>,
    );
    let rows: Vec<ColumnRow> = conn
        .exec(
            "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, NUMERIC_SCALE, NUMERIC_PRECISION, \
             DATETIME_PRECISION, CHARACTER_SET_NAME FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
            (db, table),
        )
        .await
        .map_err(ServerError::query("reading columns"))?;
    let mut columns = Vec::with_capacity(rows.len());
    for (name, data_type, column_type, scale, precision, fsp, charset) in rows {
        let kind = ColumnKind::from_information_schema(
            &data_type,
            &column_type,
            scale,
            precision,
            fsp,
            charset.as_deref(),
        )
        .ok_or_else(|| {
            ServerError::Unexpected(format!(
                "column {db}.{table}.{name} has type {column_type}, which this connector cannot capture"
            ))
        })?;
        columns.push(Column { name, kind });
    }
    if columns.is_empty() {
        // Dropped (or never there): no columns, no key — `SHOW INDEX` would fail on it.
        return Ok((columns, Vec::new()));
    }
    let key = primary_key(conn, db, table).await?;
    let primary_key = key
        .iter()
        .filter_map(|k| columns.iter().position(|c| &c.name == k))
        .collect();
    Ok((columns, primary_key))
}

/// The primary key's column names, in key order (empty without one) — as the server itself
/// has it, which is what the binlog's table maps report: a table without a `PRIMARY KEY`
/// whose first unique index has only NOT NULL columns has that index as its primary key.
pub async fn primary_key(
    conn: &mut Conn,
    db: &str,
    table: &str,
) -> Result<Vec<String>, ServerError> {
    let rows: Vec<mysql_async::Row> = conn
        .query(format!(
            "SHOW INDEX FROM {} FROM {}",
            super::snapshot::quote(table),
            super::snapshot::quote(db)
        ))
        .await
        .map_err(ServerError::query("reading the table's indexes"))?;
    let index_rows: Vec<IndexRow> = rows
        .iter()
        .map(|row| IndexRow {
            key: row.get::<String, _>("Key_name").unwrap_or_default(),
            unique: row.get::<i64, _>("Non_unique") == Some(0),
            column: row.get::<Option<String>, _>("Column_name").flatten(),
            nullable: row.get::<String, _>("Null").is_some_and(|n| n == "YES"),
        })
        .collect();
    Ok(server_primary_key(&index_rows))
}

/// One row of `SHOW INDEX`: a column of an index, in the server's order of indexes (the
/// primary key first, then unique indexes without nullable columns) and of their columns.
#[derive(Debug, Clone)]
struct IndexRow {
    key: String,
    unique: bool,
    /// `None` for an expression.
    column: Option<String>,
    nullable: bool,
}

/// The `PRIMARY` index, else the first unique index whose columns are all NOT NULL (the one
/// the server promotes), else none.
fn server_primary_key(rows: &[IndexRow]) -> Vec<String> {
    let columns_of =
        |key: &str| -> Vec<&IndexRow> { rows.iter().filter(|r| r.key == key).collect() };
    let mut keys: Vec<&str> = Vec::new();
    for row in rows {
        if !keys.contains(&row.key.as_str()) {
            keys.push(&row.key);
        }
    }
    let chosen = keys.iter().find(|&&k| k == "PRIMARY").or_else(|| {
        keys.iter().find(|&&k| {
            columns_of(k)
                .iter()
                .all(|r| r.unique && !r.nullable && r.column.is_some())
        })
    });
    chosen
        .map(|k| {
            columns_of(k)
                .iter()
                .filter_map(|r| r.column.clone())
                .collect()
        })
        .unwrap_or_default()
}

pub use crate::check::CheckFailure;

/// Checks that the server can be captured: binary log on, ROW format, FULL row image and
/// row metadata, and the privileges the connector uses.
pub async fn check(conn: &mut Conn) -> Result<Vec<CheckFailure>, ServerError> {
    let mut failures = Vec::new();
    let variables: Vec<(String, String)> = conn
        .query(
            "SHOW GLOBAL VARIABLES WHERE Variable_name IN \
             ('log_bin', 'binlog_format', 'binlog_row_image', 'binlog_row_metadata')",
        )
        .await
        .map_err(ServerError::query("reading server variables"))?;
    let get = |name: &str| {
        variables
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_ascii_uppercase())
            .unwrap_or_default()
    };
    let mut expect = |name: &str, wanted: &str, fix: &str| {
        let found = get(name);
        if found != wanted {
            failures.push(CheckFailure {
                setting: name.to_owned(),
                found: if found.is_empty() {
                    "unset".into()
                } else {
                    found
                },
                fix: fix.to_owned(),
            });
        }
    };
    expect(
        "log_bin",
        "ON",
        "start the server with --log-bin (and a --server-id) so it keeps a binary log",
    );
    expect(
        "binlog_format",
        "ROW",
        "set binlog_format=ROW (SET GLOBAL binlog_format='ROW' and in the server's configuration)",
    );
    expect(
        "binlog_row_image",
        "FULL",
        "set binlog_row_image=FULL so updates and deletes carry every column",
    );
    expect(
        "binlog_row_metadata",
        "FULL",
        "set binlog_row_metadata=FULL so the binlog names each column (MySQL 8.0.1+, MariaDB 10.5+)",
    );
    let grants: Vec<String> = conn
        .query("SHOW GRANTS")
        .await
        .map_err(ServerError::query("reading grants"))?;
    let grants = grants.join("\n").to_ascii_uppercase();
    let all = grants.contains("ALL PRIVILEGES ON *.*");
    for (privilege, alternatives) in [
        (
            "REPLICATION SLAVE",
            &["REPLICATION SLAVE", "REPLICATION REPLICA"][..],
        ),
        (
            "REPLICATION CLIENT",
            &["REPLICATION CLIENT", "BINLOG MONITOR", "SLAVE MONITOR"][..],
        ),
    ] {
        if !all && !alternatives.iter().any(|a| grants.contains(a)) {
            failures.push(CheckFailure {
                setting: format!("privilege {privilege}"),
                found: "not granted".into(),
                fix: format!("GRANT {privilege} ON *.* TO the connector's user"),
            });
        }
    }
    Ok(failures)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, unique: bool, column: &str, nullable: bool) -> IndexRow {
        IndexRow {
            key: key.to_owned(),
            unique,
            column: Some(column.to_owned()),
            nullable,
        }
    }

    #[test]
    fn the_primary_key_is_the_servers_own() {
        // A declared primary key wins.
        let declared = [
            row("PRIMARY", true, "id", false),
            row("u", true, "c", false),
        ];
        assert_eq!(server_primary_key(&declared), ["id"]);
        // Without one, the first unique index of NOT NULL columns, in its column order (as
        // MariaDB lists a table `UNIQUE (a), UNIQUE (c, b)` with `a` nullable).
        let promoted = [
            row("ubc", true, "c", false),
            row("ubc", true, "b", false),
            row("ua", true, "a", true),
        ];
        assert_eq!(server_primary_key(&promoted), ["c", "b"]);
        // A unique index with a nullable column, or a non-unique one, is no key.
        let none = [row("ua", true, "a", true), row("ix", false, "b", false)];
        assert!(server_primary_key(&none).is_empty());
        let mut expression = row("ue", true, "x", false);
        expression.column = None;
        assert!(server_primary_key(&[expression]).is_empty());
    }
}
