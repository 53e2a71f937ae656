//! Talking to PostgreSQL outside the replication stream (sqlx): sessions pinned to the text
//! formats the value parser reads, the checks validation runs (version, `wal_level`,
//! replication privilege, slots, publication, replica identity, grants), the slot and
//! publication, the captured tables, their columns and keys, and the catalog's types.

use std::collections::HashMap;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgRow};
use sqlx::{AssertSqlSafe, Connection, Row};

use super::columns::{PgColumn, PgKind, TypeRegistry, UserType};
use super::position::parse_lsn;
use crate::check::CheckFailure;
use crate::config::{CdcConfig, PgSettings, PublicationAutocreate};

/// The session settings both the snapshot and the replication stream run with: the text
/// formats `values::from_text` parses.
pub const SESSION_SETTINGS: &[(&str, &str)] = &[
    ("DateStyle", "ISO"),
    ("IntervalStyle", "iso_8601"),
    ("TimeZone", "UTC"),
    ("extra_float_digits", "3"),
    ("bytea_output", "hex"),
    ("standard_conforming_strings", "on"),
    ("lc_monetary", "C"),
];

/// A failure talking to the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot connect to {host}:{port} database {dbname} as {user}: {source}")]
    Connect {
        host: String,
        port: u16,
        dbname: String,
        user: String,
        source: sqlx::Error,
    },
    #[error("{what}: {source}")]
    Query {
        what: &'static str,
        source: sqlx::Error,
    },
    #[error("{0}")]
    Unexpected(String),
}

impl ServerError {
    fn query(what: &'static str) -> impl FnOnce(sqlx::Error) -> Self {
        move |source| Self::Query { what, source }
    }

    /// True when trying again later may help (the server is down or restarting).
    pub fn is_transient(&self) -> bool {
        let source = match self {
            Self::Connect { source, .. } | Self::Query { source, .. } => source,
            Self::Unexpected(_) => return false,
        };
        match source {
            sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Protocol(_) => true,
            // 57P01..57P03: shutting down / cannot connect now; 53300: too many connections.
            sqlx::Error::Database(e) => e
                .code()
                .is_some_and(|c| c.starts_with("57P") || c == "53300"),
            _ => false,
        }
    }
}

/// The settings of a PostgreSQL configuration.
pub fn settings(config: &CdcConfig) -> Result<&PgSettings, ServerError> {
    config
        .postgres
        .as_ref()
        .ok_or_else(|| ServerError::Unexpected("not a PostgreSQL configuration".into()))
}

/// Opens one session on the configured database.
pub async fn connect(config: &CdcConfig) -> Result<PgConnection, ServerError> {
    let pg = settings(config)?;
    let options = PgConnectOptions::new()
        .host(&config.hostname)
        .port(config.port)
        .username(&config.user)
        .password(&config.password)
        .database(&pg.dbname)
        .application_name(&format!("rocketmq-connect-cdc-{}", config.server_name))
        .ssl_mode(sqlx::postgres::PgSslMode::Disable)
        .options(SESSION_SETTINGS.iter().copied());
    PgConnection::connect_with(&options)
        .await
        .map_err(|source| ServerError::Connect {
            host: config.hostname.clone(),
            port: config.port,
            dbname: pg.dbname.clone(),
            user: config.user.clone(),
            source,
        })
}

async fn scalar(
    conn: &mut PgConnection,
    what: &'static str,
    sql: &'static str,
) -> Result<String, ServerError> {
    let row: PgRow = sqlx::query(sql)
        .fetch_one(&mut *conn)
        .await
        .map_err(ServerError::query(what))?;
    row.try_get::<Option<String>, _>(0)
        .map(Option::unwrap_or_default)
        .map_err(ServerError::query(what))
}

/// A replication slot as the server describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotInfo {
    pub plugin: String,
    pub database: String,
    pub active_pid: Option<i32>,
    pub confirmed_flush: Option<u64>,
    /// `reserved`, `extended`, `unreserved` or `lost`.
    pub wal_status: String,
}

/// The slot named `slot`, if it exists.
pub async fn slot(conn: &mut PgConnection, slot: &str) -> Result<Option<SlotInfo>, ServerError> {
    let row = sqlx::query(
        "SELECT plugin::text, database::text, active_pid, confirmed_flush_lsn::text, wal_status::text \
         FROM pg_replication_slots WHERE slot_name = $1",
    )
    .bind(slot)
    .fetch_optional(&mut *conn)
    .await
    .map_err(ServerError::query("read pg_replication_slots"))?;
    let Some(row) = row else {
        return Ok(None);
    };
    let text = |i: usize| row.try_get::<Option<String>, _>(i).ok().flatten();
    Ok(Some(SlotInfo {
        plugin: text(0).unwrap_or_default(),
        database: text(1).unwrap_or_default(),
        active_pid: row.try_get::<Option<i32>, _>(2).ok().flatten(),
        confirmed_flush: text(3).as_deref().and_then(parse_lsn),
        wal_status: text(4).unwrap_or_default(),
    }))
}

/// How many bytes of WAL the slot's confirmed position is behind the server's, and its
/// `wal_status`.
pub async fn slot_lag(
    conn: &mut PgConnection,
    slot: &str,
) -> Result<Option<(i64, String)>, ServerError> {
    let row = sqlx::query(
        "SELECT (pg_current_wal_lsn() - confirmed_flush_lsn)::int8, wal_status::text \
         FROM pg_replication_slots WHERE slot_name = $1",
    )
    .bind(slot)
    .fetch_optional(&mut *conn)
    .await
    .map_err(ServerError::query("read the slot's lag"))?;
    Ok(row.map(|r| {
        (
            r.try_get::<Option<i64>, _>(0).ok().flatten().unwrap_or(0),
            r.try_get::<Option<String>, _>(1)
                .ok()
                .flatten()
                .unwrap_or_default(),
        )
    }))
}

/// The slot's `catalog_xmin` (what Debezium puts in `source.xmin`); `None` when the slot or
/// its `catalog_xmin` is missing.
pub async fn slot_xmin(conn: &mut PgConnection, slot: &str) -> Result<Option<i64>, ServerError> {
    let row = sqlx::query(
        "SELECT catalog_xmin::text::int8 FROM pg_replication_slots WHERE slot_name = $1",
    )
    .bind(slot)
    .fetch_optional(&mut *conn)
    .await
    .map_err(ServerError::query("read the slot's catalog_xmin"))?;
    Ok(row.and_then(|r| r.try_get::<Option<i64>, _>(0).ok().flatten()))
}

/// Checks that the server can be captured with this configuration. A failure to query
/// (not a failed check) is an error.
pub async fn check(
    conn: &mut PgConnection,
    config: &CdcConfig,
) -> Result<Vec<CheckFailure>, ServerError> {
    let pg = settings(config)?;
    let mut failures = Vec::new();
    let version: i64 = scalar(
        conn,
        "read server_version_num",
        "SELECT current_setting('server_version_num')",
    )
    .await?
    .parse()
    .unwrap_or(0);
    if version < 140_000 {
        failures.push(CheckFailure::new(
            "server_version_num",
            version.to_string(),
            "PostgreSQL 14 or newer is needed (logical decoding messages in pgoutput)",
        ));
        return Ok(failures);
    }
    let wal_level = scalar(
        conn,
        "read wal_level",
        "SELECT current_setting('wal_level')",
    )
    .await?;
    if wal_level != "logical" {
        failures.push(CheckFailure::new(
            "wal_level",
            &wal_level,
            "set wal_level=logical (ALTER SYSTEM SET wal_level = logical;) and restart the server",
        ));
    }
    let privileged = scalar(
        conn,
        "read the role's privileges",
        "SELECT (rolreplication OR rolsuper)::text FROM pg_roles WHERE rolname = current_user",
    )
    .await?;
    let superuser = scalar(
        conn,
        "read the role's privileges",
        "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user",
    )
    .await?
        == "true";
    if privileged != "true" {
        failures.push(CheckFailure::new(
            "REPLICATION privilege",
            &config.user,
            format!(
                "the user cannot stream changes: ALTER ROLE \"{}\" WITH REPLICATION",
                config.user
            ),
        ));
    }
    match slot(conn, &pg.slot_name).await? {
        Some(existing) => {
            if existing.plugin != "pgoutput" {
                failures.push(CheckFailure::new(
                    "slot.name",
                    format!("{} (plugin {})", pg.slot_name, existing.plugin),
                    format!(
                        "the slot decodes with {}, this connector reads pgoutput: set slot.name to another slot, or drop this one with SELECT pg_drop_replication_slot('{}')",
                        existing.plugin, pg.slot_name
                    ),
                ));
            } else if existing.database != pg.dbname {
                failures.push(CheckFailure::new(
                    "slot.name",
                    format!("{} (database {})", pg.slot_name, existing.database),
                    "the slot belongs to another database: set slot.name to a slot of database.dbname",
                ));
            }
        }
        None => {
            let free: i64 = scalar(
                conn,
                "count the replication slots",
                "SELECT (current_setting('max_replication_slots')::int - (SELECT count(*) FROM pg_replication_slots))::text",
            )
            .await?
            .parse()
            .unwrap_or(0);
            if free <= 0 {
                let max = scalar(
                    conn,
                    "read max_replication_slots",
                    "SELECT current_setting('max_replication_slots')",
                )
                .await?;
                failures.push(CheckFailure::new(
                    "max_replication_slots",
                    &max,
                    format!(
                        "all {max} replication slots are used: raise max_replication_slots (and restart the server) or drop an unused slot with SELECT pg_drop_replication_slot('<name>')"
                    ),
                ));
            }
        }
    }
    let senders: i64 = scalar(
        conn,
        "count the WAL senders",
        "SELECT (current_setting('max_wal_senders')::int - (SELECT count(*) FROM pg_stat_replication))::text",
    )
    .await?
    .parse()
    .unwrap_or(0);
    if senders <= 0 {
        failures.push(CheckFailure::new(
            "max_wal_senders",
            "all used",
            "raise max_wal_senders (and restart the server)",
        ));
    }
    let publication_exists = publication(conn, &pg.publication_name).await?.is_some();
    match pg.publication_autocreate {
        PublicationAutocreate::Disabled if !publication_exists => {
            failures.push(CheckFailure::new(
                "publication.name",
                &pg.publication_name,
                format!(
                    "the publication does not exist and publication.autocreate.mode=disabled: CREATE PUBLICATION {} FOR TABLE …, or set publication.autocreate.mode=filtered",
                    pg.publication_name
                ),
            ));
        }
        PublicationAutocreate::AllTables if !publication_exists && !superuser => {
            failures.push(CheckFailure::new(
                "publication.autocreate.mode",
                "all_tables",
                format!(
                    "creating a publication FOR ALL TABLES needs a superuser: set publication.autocreate.mode=filtered, or CREATE PUBLICATION {} FOR ALL TABLES as a superuser",
                    pg.publication_name
                ),
            ));
        }
        _ => {}
    }
    for table in captured_tables(conn, config).await? {
        if !table.selectable {
            failures.push(CheckFailure::new(
                "SELECT privilege",
                table.id(),
                format!("GRANT SELECT ON {} TO \"{}\"", table.quoted(), config.user),
            ));
        }
        if !table.has_primary_key && matches!(table.replica_identity.as_str(), "d" | "n") {
            failures.push(CheckFailure::new(
                "REPLICA IDENTITY",
                table.id(),
                format!(
                    "the table has no primary key, so its UPDATE and DELETE fail while it is published: ALTER TABLE {} REPLICA IDENTITY FULL",
                    table.quoted()
                ),
            ));
        }
    }
    Ok(failures)
}

/// Whether the publication exists: `Some(true)` when it is FOR ALL TABLES.
pub async fn publication(conn: &mut PgConnection, name: &str) -> Result<Option<bool>, ServerError> {
    let row = sqlx::query("SELECT puballtables FROM pg_publication WHERE pubname = $1")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await
        .map_err(ServerError::query("read pg_publication"))?;
    Ok(row.map(|r| r.try_get::<bool, _>(0).unwrap_or(false)))
}

/// A table the configuration captures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRef {
    pub oid: u32,
    pub schema: String,
    pub name: String,
    pub has_primary_key: bool,
    /// `relreplident`: d default, n nothing, f full, i index.
    pub replica_identity: String,
    pub selectable: bool,
}

impl TableRef {
    /// `schema.table`.
    pub fn id(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// `"schema"."table"`.
    pub fn quoted(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }
}

/// An identifier quoted for SQL.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The ordinary tables of the database the filters capture, in name order.
pub async fn captured_tables(
    conn: &mut PgConnection,
    config: &CdcConfig,
) -> Result<Vec<TableRef>, ServerError> {
    Ok(permanent_tables(conn)
        .await?
        .into_iter()
        .filter(|t| config.filters.table_included(&t.schema, &t.name))
        .collect())
}

/// The tables a filtered publication holds: the captured ones and the signal table.
async fn published_tables(
    conn: &mut PgConnection,
    config: &CdcConfig,
) -> Result<Vec<TableRef>, ServerError> {
    Ok(permanent_tables(conn)
        .await?
        .into_iter()
        .filter(|t| {
            config.filters.table_included(&t.schema, &t.name)
                || config.is_signal_table(&t.schema, &t.name)
        })
        .collect())
}

/// Every permanent ordinary or partitioned (root) table of the database, in name order.
async fn permanent_tables(conn: &mut PgConnection) -> Result<Vec<TableRef>, ServerError> {
    let rows = sqlx::query(
        "SELECT c.oid::int8, n.nspname::text, c.relname::text, \
                EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary), \
                c.relreplident::text, has_table_privilege(c.oid, 'SELECT') \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relpersistence = 'p' \
         ORDER BY n.nspname, c.relname",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(ServerError::query("list the tables"))?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            Some(TableRef {
                oid: row.try_get::<i64, _>(0).ok()? as u32,
                schema: row.try_get(1).ok()?,
                name: row.try_get(2).ok()?,
                has_primary_key: row.try_get(3).ok()?,
                replica_identity: row.try_get(4).ok()?,
                selectable: row.try_get(5).ok()?,
            })
        })
        .collect())
}

/// Creates the publication when missing (per `publication.autocreate.mode`); a filtered one
/// is reset to the captured tables (and the signal table) when its set differs.
pub async fn ensure_publication(
    conn: &mut PgConnection,
    config: &CdcConfig,
) -> Result<(), ServerError> {
    let pg = settings(config)?;
    let existing = publication(conn, &pg.publication_name).await?;
    let name = quote_ident(&pg.publication_name);
    let sql = match (pg.publication_autocreate, existing) {
        (PublicationAutocreate::Disabled, None) => {
            return Err(ServerError::Unexpected(format!(
                "publication {} does not exist and publication.autocreate.mode=disabled",
                pg.publication_name
            )));
        }
        (PublicationAutocreate::Disabled, Some(_))
        | (PublicationAutocreate::AllTables, Some(_))
        // FOR ALL TABLES includes the captured ones (and cannot be altered into a list).
        | (PublicationAutocreate::Filtered, Some(true)) => {
            return Ok(());
        }
        (PublicationAutocreate::AllTables, None) => {
            format!("CREATE PUBLICATION {name} FOR ALL TABLES WITH (publish_via_partition_root = true)")
        }
        (PublicationAutocreate::Filtered, existing) => {
            let tables = published_tables(conn, config).await?;
            let list: Vec<String> = tables.iter().map(TableRef::quoted).collect();
            if existing.is_some() {
                let current = sqlx::query(
                    "SELECT schemaname::text || '.' || tablename::text FROM pg_publication_tables WHERE pubname = $1 ORDER BY 1",
                )
                .bind(&pg.publication_name)
                .fetch_all(&mut *conn)
                .await
                .map_err(ServerError::query("read pg_publication_tables"))?;
                let mut current: Vec<String> =
                    current.iter().filter_map(|r| r.try_get(0).ok()).collect();
                let mut wanted: Vec<String> = tables.iter().map(TableRef::id).collect();
                current.sort();
                wanted.sort();
                if current == wanted {
                    return Ok(());
                }
                if list.is_empty() {
                    // SET TABLE needs at least one table: an empty publication is re-created.
                    format!(
                        "DROP PUBLICATION {name}; CREATE PUBLICATION {name} WITH (publish_via_partition_root = true)"
                    )
                } else {
                    format!("ALTER PUBLICATION {name} SET TABLE {}", list.join(", "))
                }
            } else if list.is_empty() {
                format!("CREATE PUBLICATION {name} WITH (publish_via_partition_root = true)")
            } else {
                format!(
                    "CREATE PUBLICATION {name} FOR TABLE {} WITH (publish_via_partition_root = true)",
                    list.join(", ")
                )
            }
        }
    };
    sqlx::raw_sql(AssertSqlSafe(sql))
        .execute(&mut *conn)
        .await
        .map_err(ServerError::query("create the publication"))?;
    Ok(())
}

/// Creates the slot when missing; returns it and whether it was created now.
pub async fn ensure_slot(
    conn: &mut PgConnection,
    config: &CdcConfig,
) -> Result<(SlotInfo, bool), ServerError> {
    let pg = settings(config)?;
    if let Some(existing) = slot(conn, &pg.slot_name).await? {
        return Ok((existing, false));
    }
    sqlx::query("SELECT lsn::text FROM pg_create_logical_replication_slot($1, 'pgoutput')")
        .bind(&pg.slot_name)
        .fetch_one(&mut *conn)
        .await
        .map_err(ServerError::query("create the replication slot"))?;
    let created = slot(conn, &pg.slot_name)
        .await?
        .ok_or_else(|| ServerError::Unexpected("the slot vanished after its creation".into()))?;
    Ok((created, true))
}

/// Drops the slot (`slot.drop.on.stop`, a lost slot). A walsender still holding it (ours,
/// closing) is ended first and waited for (`pg_terminate_backend` with a timeout): no retry
/// loop racing its exit.
pub async fn drop_slot(conn: &mut PgConnection, name: &str) -> Result<(), ServerError> {
    sqlx::query(
        "SELECT pg_terminate_backend(active_pid, 10000) FROM pg_replication_slots \
         WHERE slot_name = $1 AND active_pid IS NOT NULL",
    )
    .bind(name)
    .execute(&mut *conn)
    .await
    .map_err(ServerError::query("end the slot's walsender"))?;
    sqlx::query("SELECT pg_drop_replication_slot($1)")
        .bind(name)
        .execute(&mut *conn)
        .await
        .map_err(ServerError::query("drop the replication slot"))?;
    Ok(())
}

/// The catalog's enums, domains, arrays of them and other non-builtin types.
pub async fn load_types(conn: &mut PgConnection) -> Result<TypeRegistry, ServerError> {
    let rows = sqlx::query(
        "SELECT t.oid::int8, t.typtype::text, t.typbasetype::int8, t.typtypmod, t.typelem::int8, t.typname::text, \
                COALESCE((SELECT string_agg(e.enumlabel::text, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), '') \
         FROM pg_type t WHERE t.oid >= 16384",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(ServerError::query("read pg_type"))?;
    let mut types = HashMap::new();
    for row in rows {
        let oid = row.try_get::<i64, _>(0).unwrap_or(0) as u32;
        let kind: String = row.try_get(1).unwrap_or_default();
        let base = row.try_get::<i64, _>(2).unwrap_or(0) as u32;
        let modifier: i32 = row.try_get(3).unwrap_or(-1);
        let element = row.try_get::<i64, _>(4).unwrap_or(0) as u32;
        let name: String = row.try_get(5).unwrap_or_default();
        let labels: String = row.try_get(6).unwrap_or_default();
        let user = match kind.as_str() {
            "e" => UserType::Enum(labels.split(',').map(str::to_owned).collect()),
            "d" => UserType::Domain { base, modifier },
            _ if element != 0 && name.starts_with('_') => UserType::Array { element },
            _ => UserType::Other(name),
        };
        types.insert(oid, user);
    }
    Ok(types)
}

/// The index a table's events are keyed by: its primary key, else the index of its
/// `REPLICA IDENTITY USING INDEX` (unique, not partial, on NOT NULL columns: a key as good).
/// A table with neither has no key (`message.key.columns` may name one). A macro so that the
/// queries stay static text (`concat!`).
macro_rules! key_index {
    () => {
        "(SELECT k.indexrelid FROM pg_index k \
          WHERE k.indrelid = $1 AND k.indisvalid AND (k.indisprimary OR k.indisreplident) \
          ORDER BY k.indisprimary DESC LIMIT 1)"
    };
}

/// Whether column `a` is one of index `i`'s key columns: not one of its `INCLUDE` columns,
/// which the WAL's old-key image leaves out (they come after the `indnkeyatts` key columns).
macro_rules! is_key_column {
    () => {
        "(a.attnum = ANY(i.indkey) AND array_position(i.indkey::int2[], a.attnum) \
          - array_lower(i.indkey::int2[], 1) < i.indnkeyatts)"
    };
}

/// A table's columns (in order, dropped ones left out) and key (column indexes, in the key's
/// order; see `key_index!`). The snapshot and the stream both take the key from here.
pub async fn table_columns(
    conn: &mut PgConnection,
    oid: u32,
    types: &TypeRegistry,
) -> Result<(Vec<PgColumn>, Vec<usize>), ServerError> {
    let rows = sqlx::query(concat!(
        "SELECT a.attname::text, a.atttypid::int8, a.atttypmod, COALESCE(",
        is_key_column!(),
        ", false) \
         FROM pg_attribute a \
         LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indexrelid = ",
        key_index!(),
        " WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
    ))
    .bind(i64::from(oid))
    .fetch_all(&mut *conn)
    .await
    .map_err(ServerError::query("read the table's columns"))?;
    let mut columns = Vec::with_capacity(rows.len());
    let mut key = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let name: String = row
            .try_get(0)
            .map_err(ServerError::query("read a column"))?;
        let type_oid = row.try_get::<i64, _>(1).unwrap_or(0) as u32;
        let modifier: i32 = row.try_get(2).unwrap_or(-1);
        if row.try_get::<bool, _>(3).unwrap_or(false) {
            key.push(i);
        }
        columns.push(PgColumn {
            name,
            kind: PgKind::of(type_oid, modifier, types),
        });
    }
    // Key columns in the key's own order.
    let key_order = sqlx::query(concat!(
        "SELECT array_position(i.indkey::int2[], a.attnum)::int4, a.attname::text \
         FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND ",
        is_key_column!(),
        " WHERE i.indrelid = $1 AND i.indexrelid = ",
        key_index!()
    ))
    .bind(i64::from(oid))
    .fetch_all(&mut *conn)
    .await
    .map_err(ServerError::query("read the key"))?;
    let mut ordered: Vec<(i32, String)> = key_order
        .iter()
        .filter_map(|r| Some((r.try_get(0).ok()?, r.try_get(1).ok()?)))
        .collect();
    ordered.sort();
    if ordered.len() == key.len() {
        key = ordered
            .iter()
            .filter_map(|(_, name)| columns.iter().position(|c| &c.name == name))
            .collect();
    }
    Ok((columns, key))
}

/// The oid of `schema.table`, if the table exists.
pub async fn table_oid(
    conn: &mut PgConnection,
    schema: &str,
    table: &str,
) -> Result<Option<u32>, ServerError> {
    let row = sqlx::query(
        "SELECT c.oid::int8 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relname = $2",
    )
    .bind(schema)
    .bind(table)
    .fetch_optional(&mut *conn)
    .await
    .map_err(ServerError::query("find the table"))?;
    Ok(row
        .and_then(|r| r.try_get::<i64, _>(0).ok())
        .map(|o| o as u32))
}
