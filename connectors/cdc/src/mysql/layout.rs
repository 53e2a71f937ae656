//! The `tableChanges` of a schema-change record: which tables a DDL statement changed
//! (`crate::ddl`) and each one's layout after it, read from `information_schema`.
//!
//! The server only knows tables as they are now. That is the layout right after the statement
//! only if no later statement in the binlog changed the table again, so while the reader lags
//! the binlog after the statement is scanned (`SHOW BINLOG EVENTS`) for statements naming the
//! table; if there is one, or the scan is too long to be worth it, the layout is left out
//! (`table: null`) rather than given wrong.

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row};

use super::server::{self, ServerError};
use crate::ddl::{self, TableChangeKind, TableTarget};
use crate::envelope::{ColumnLayout, TableChange, TableLayout};
use crate::position::BinlogPoint;

/// Binlog events scanned at most, per statement, to decide whether a layout is still current.
const SCAN_LIMIT: usize = 500_000;

/// The tables `ddl` (run in `db`, ending at `at`) changed, with their layouts where known.
pub async fn table_changes(
    conn: &mut Conn,
    db: &str,
    ddl: &str,
    at: &BinlogPoint,
) -> Result<Vec<TableChange>, ServerError> {
    let targets = ddl::table_targets(db, ddl);
    let mut changes = Vec::with_capacity(targets.len());
    for target in targets {
        let table = if target.kind == TableChangeKind::Drop
            || changed_again_later(conn, &target, at).await?
        {
            None
        } else {
            describe(conn, &target.db, &target.table).await?
        };
        changes.push(TableChange::of(target, table));
    }
    Ok(changes)
}

/// Whether a statement after `at` may have changed the table (or the scan could not tell).
async fn changed_again_later(
    conn: &mut Conn,
    target: &TableTarget,
    at: &BinlogPoint,
) -> Result<bool, ServerError> {
    let Some(end) = server::current_point(conn).await? else {
        return Ok(true);
    };
    if end <= *at {
        return Ok(false);
    }
    let files = server::binlog_files(conn).await?;
    let mut scanned = 0;
    for file in files
        .iter()
        .filter(|f| BinlogPoint::new(f.as_str(), 0) >= BinlogPoint::new(at.file.clone(), 0))
    {
        let from = if **file == *at.file { at.pos } else { 4 };
        let sql = format!(
            "SHOW BINLOG EVENTS IN '{}' FROM {from} LIMIT {}",
            file.replace('\'', "''"),
            SCAN_LIMIT - scanned + 1
        );
        let rows: Vec<Row> = conn.query(sql).await.map_err(|source| ServerError::Query {
            what: "SHOW BINLOG EVENTS",
            source,
        })?;
        scanned += rows.len();
        if scanned > SCAN_LIMIT {
            return Ok(true);
        }
        for row in &rows {
            let kind: Option<String> = row.get(2);
            if kind.as_deref() != Some("Query") {
                continue;
            }
            let info: String = row.get(5).unwrap_or_default();
            let (default_db, statement) = split_use(&info);
            let names_it = ddl::table_targets(default_db.unwrap_or(&target.db), statement)
                .iter()
                .any(|t| {
                    t.db.eq_ignore_ascii_case(&target.db)
                        && t.table.eq_ignore_ascii_case(&target.table)
                });
            if names_it {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// `SHOW BINLOG EVENTS` prefixes a statement with the database it ran in: "use `db`; SQL".
fn split_use(info: &str) -> (Option<&str>, &str) {
    if let Some(rest) = info.strip_prefix("use `")
        && let Some((db, statement)) = rest.split_once("`; ")
    {
        return (Some(db), statement);
    }
    (None, info)
}

/// The table as the server has it now, `None` if it does not exist.
async fn describe(
    conn: &mut Conn,
    db: &str,
    table: &str,
) -> Result<Option<TableLayout>, ServerError> {
    let collation: Option<Option<String>> = conn
        .exec_first(
            "SELECT TABLE_COLLATION FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
            (db, table),
        )
        .await
        .map_err(|source| ServerError::Query {
            what: "reading the table's collation",
            source,
        })?;
    let Some(collation) = collation else {
        return Ok(None);
    };
    let rows: Vec<Row> = conn
        .exec(
            "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_MAXIMUM_LENGTH, \
             NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION, CHARACTER_SET_NAME, \
             IS_NULLABLE, EXTRA, ORDINAL_POSITION FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
            (db, table),
        )
        .await
        .map_err(|source| ServerError::Query {
            what: "reading the table's columns",
            source,
        })?;
    let columns = rows.iter().map(column_layout).collect();
    let primary_key = server::primary_key(conn, db, table).await?;
    Ok(Some(TableLayout {
        // A collation's name starts with its character set's (`utf8mb4_bin`).
        default_charset: collation.map(|c| c.split('_').next().unwrap_or(&c).to_owned()),
        primary_key,
        columns,
    }))
}

fn column_layout(row: &Row) -> ColumnLayout {
    let text = |i: usize| row.get::<Option<String>, _>(i).flatten();
    let number = |i: usize| {
        row.get::<Option<u64>, _>(i)
            .flatten()
            .and_then(|n| i32::try_from(n).ok())
    };
    let data_type = text(1).unwrap_or_default().to_ascii_uppercase();
    let column_type = text(2).unwrap_or_default().to_ascii_lowercase();
    let unsigned = column_type.contains("unsigned");
    let type_name = if unsigned {
        format!("{data_type} UNSIGNED")
    } else {
        data_type.clone()
    };
    // Integers keep the display width the column was declared with (`int(11)`), as the DDL
    // Debezium parses does; strings their length; decimals their precision; times their
    // fractional digits.
    let declared_width = column_type
        .split_once('(')
        .and_then(|(_, rest)| rest.split([')', ',']).next())
        .and_then(|n| n.trim().parse::<i32>().ok());
    let (length, scale) = match data_type.as_str() {
        "DECIMAL" | "NUMERIC" => (number(4), number(5)),
        "CHAR" | "VARCHAR" | "BINARY" | "VARBINARY" => (number(3), None),
        "DATETIME" | "TIMESTAMP" | "TIME" => (number(6).filter(|p| *p > 0), None),
        "FLOAT" | "DOUBLE" => (
            declared_width,
            number(5).filter(|_| declared_width.is_some()),
        ),
        _ => (declared_width, None),
    };
    let extra = text(9).unwrap_or_default().to_ascii_lowercase();
    let auto_incremented = extra.contains("auto_increment");
    ColumnLayout {
        name: text(0).unwrap_or_default(),
        jdbc_type: jdbc_type(&data_type, &column_type),
        type_expression: Some(type_name.clone()),
        type_name,
        charset: text(7),
        length,
        scale,
        position: number(10).unwrap_or(0),
        optional: text(8).is_some_and(|n| n.eq_ignore_ascii_case("YES")),
        auto_incremented,
        generated: auto_incremented,
    }
}

/// `java.sql.Types` for a MySQL type, as Debezium's MySQL DDL parser assigns them.
fn jdbc_type(data_type: &str, column_type: &str) -> i32 {
    match data_type {
        "BIT" => -7,
        "TINYINT" if column_type.starts_with("tinyint(1)") => -7,
        "TINYINT" => -6,
        "SMALLINT" => 5,
        "MEDIUMINT" | "INT" | "INTEGER" | "YEAR" => 4,
        "BIGINT" => -5,
        "FLOAT" => 6,
        "DOUBLE" | "REAL" => 8,
        "DECIMAL" => 3,
        "NUMERIC" => 2,
        "DATE" => 91,
        "TIME" => 92,
        "DATETIME" => 93,
        "TIMESTAMP" => 2014,
        "CHAR" | "ENUM" | "SET" => 1,
        "VARCHAR" | "TINYTEXT" | "TEXT" | "MEDIUMTEXT" | "LONGTEXT" => 12,
        "BINARY" => -2,
        "VARBINARY" => -3,
        "TINYBLOB" | "BLOB" | "MEDIUMBLOB" | "LONGBLOB" => 2004,
        "BOOLEAN" | "BOOL" => 16,
        _ => 1111,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_lose_their_use_prefix() {
        assert_eq!(
            split_use("use `connect`; ALTER TABLE items ADD c INT"),
            (Some("connect"), "ALTER TABLE items ADD c INT")
        );
        assert_eq!(split_use("BEGIN"), (None, "BEGIN"));
    }

    #[test]
    fn jdbc_types_follow_debezium() {
        assert_eq!(jdbc_type("INT", "int(11)"), 4);
        assert_eq!(jdbc_type("TINYINT", "tinyint(1)"), -7);
        assert_eq!(jdbc_type("TIMESTAMP", "timestamp(3)"), 2014);
        assert_eq!(jdbc_type("JSON", "json"), 1111);
        assert_eq!(jdbc_type("TEXT", "text"), 12);
    }
}
