//! The connector's configuration: the Java plugin's keys (Debezium 1.7 MySQL) and their 2.x
//! aliases, in one table that drives both `/plugin/config` and the parser, so a key's default
//! is written once. [`CdcConfig::parse`] reports every bad key at once, naming it.

use std::time::Duration;

use connect_api::{Config, ConfigDef, ConfigError, ConfigType};

use crate::filters::Filters;

/// One key: its name, older/newer names that mean the same, type, default (empty: none) and
/// what it does.
struct Key {
    name: &'static str,
    aliases: &'static [&'static str],
    ty: ConfigType,
    default: &'static str,
    doc: &'static str,
}

const fn key(
    name: &'static str,
    aliases: &'static [&'static str],
    ty: ConfigType,
    default: &'static str,
    doc: &'static str,
) -> Key {
    Key {
        name,
        aliases,
        ty,
        default,
        doc,
    }
}

use ConfigType::{Boolean, Int, List, Long, Password, String as Str};

/// Which database a connector captures: it picks the key table beside [`COMMON`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    MySql,
    Postgres,
}

impl Dialect {
    fn keys(self) -> &'static [Key] {
        match self {
            Self::MySql => MYSQL,
            Self::Postgres => POSTGRES,
        }
    }

    /// Every key of this dialect: the common ones, then its own.
    fn all_keys(self) -> impl Iterator<Item = &'static Key> {
        COMMON.iter().chain(self.keys())
    }
}

/// The keys every connector reads. Keys Debezium has that change nothing here are accepted
/// and described, so Java configurations pass unchanged.
const COMMON: &[Key] = &[
    key("database.hostname", &[], Str, "", "MySQL/MariaDB host"),
    key(
        "database.password",
        &[],
        Password,
        "",
        "password of database.user",
    ),
    key(
        "database.server.name",
        &["topic.prefix"],
        Str,
        "",
        "logical server name: names the offsets, topics and schemas",
    ),
    key(
        "table.include.list",
        &["table.whitelist"],
        List,
        "",
        "regexes of <db>.<table> to capture (all when empty)",
    ),
    key(
        "table.exclude.list",
        &["table.blacklist"],
        List,
        "",
        "regexes of <db>.<table> not to capture",
    ),
    key(
        "column.include.list",
        &["column.whitelist"],
        List,
        "",
        "regexes of <db>.<table>.<column> to keep",
    ),
    key(
        "column.exclude.list",
        &["column.blacklist"],
        List,
        "",
        "regexes of <db>.<table>.<column> to drop",
    ),
    key(
        "message.key.columns",
        &[],
        Str,
        "",
        "<db>.<table>:<col>,<col>;… key columns for tables without (or instead of) a primary key",
    ),
    key(
        "snapshot.fetch.size",
        &[],
        Int,
        "",
        "accepted for compatibility; chunks are incremental.snapshot.chunk.size rows",
    ),
    key(
        "max.batch.size",
        &[],
        Int,
        "2048",
        "most records one poll returns",
    ),
    key(
        "max.queue.size",
        &[],
        Int,
        "8192",
        "most change events buffered between the binlog reader and the task",
    ),
    key(
        "poll.interval.ms",
        &[],
        Long,
        "500",
        "longest a poll waits for the first event",
    ),
    key(
        "tombstones.on.delete",
        &[],
        Boolean,
        "false",
        "follow each delete with a tombstone; RocketMQ cannot carry an empty message, so only false is accepted (the Java plugin fails on tombstones too)",
    ),
    key(
        "provide.transaction.metadata",
        &[],
        Boolean,
        "false",
        "add the transaction block and BEGIN/END records",
    ),
    key(
        "include.schema.changes",
        &[],
        Boolean,
        "true",
        "publish DDL as schema-change records on the <server> topic",
    ),
    key(
        "heartbeat.interval.ms",
        &[],
        Int,
        "0",
        "heartbeat records every this many ms (0: off)",
    ),
    key(
        "heartbeat.topics.prefix",
        &[],
        Str,
        "__debezium-heartbeat",
        "heartbeat topic prefix (the topic is made RocketMQ-valid)",
    ),
    key(
        "signal.data.collection",
        &[],
        Str,
        "",
        "<db>.<table> of the signal table",
    ),
    key(
        "signal.rocketmq.topic",
        &[],
        Str,
        "",
        "RocketMQ topic of ad-hoc signals (messages keyed by the server name, the Java body format); read from its end while the task runs",
    ),
    key(
        "signal.name.srv.addr",
        &[],
        Str,
        "",
        "name server of the signal topic",
    ),
    key(
        "read.only",
        &[],
        Boolean,
        "false",
        "never write to the database (no signal-table watermarks)",
    ),
    key(
        "incremental.snapshot.chunk.size",
        &[],
        Int,
        "1024",
        "rows per snapshot chunk",
    ),
    key(
        "incremental.snapshot.allow.schema.changes",
        &[],
        Boolean,
        "false",
        "accepted for compatibility",
    ),
    key(
        "skipped.operations",
        &[],
        List,
        "",
        "operations not to publish: c, u, d (t is always skipped)",
    ),
    key(
        "decimal.handling.mode",
        &[],
        Str,
        "precise",
        "precise | double | string",
    ),
    key(
        "binary.handling.mode",
        &[],
        Str,
        "bytes",
        "bytes | base64 | hex",
    ),
    key(
        "event.deserialization.failure.handling.mode",
        &["inconsistent.schema.handling.mode"],
        Str,
        "fail",
        "fail | warn | skip",
    ),
    key(
        "connect.topicname",
        &[],
        Str,
        "",
        "one topic for every table (else <server>_<db>_<table>)",
    ),
    key(
        "source.version",
        &[],
        Str,
        "1.7.2.Final",
        "the source.version written into events",
    ),
    key(
        "kafka.transforms",
        &[],
        List,
        "",
        "Kafka SMT aliases applied inside the task, before conversion",
    ),
];

/// MySQL/MariaDB's own keys (history storage and locking are accepted for compatibility).
const MYSQL: &[Key] = &[
    key("database.port", &[], Int, "3306", "MySQL/MariaDB port"),
    key(
        "database.user",
        &[],
        Str,
        "",
        "user with REPLICATION SLAVE, REPLICATION CLIENT (BINLOG MONITOR on MariaDB), SELECT",
    ),
    key(
        "database.server.id",
        &["database.server.id.offset"],
        Long,
        "",
        "replica server id of the binlog connection (unique among the server's replicas); derived from the server name when unset",
    ),
    key(
        "database.include.list",
        &["database.whitelist"],
        List,
        "",
        "regexes of databases to capture (all when empty)",
    ),
    key(
        "database.exclude.list",
        &["database.blacklist"],
        List,
        "",
        "regexes of databases not to capture",
    ),
    key(
        "snapshot.mode",
        &[],
        Str,
        "initial",
        "initial | initial_only | when_needed | never | schema_only (no_data) | schema_only_recovery (recovery)",
    ),
    key(
        "snapshot.locking.mode",
        &[],
        Str,
        "minimal",
        "accepted for compatibility: snapshots here never lock (chunked, watermarked)",
    ),
    key(
        "time.precision.mode",
        &[],
        Str,
        "adaptive_time_microseconds",
        "adaptive_time_microseconds | adaptive | connect",
    ),
    key(
        "bigint.unsigned.handling.mode",
        &[],
        Str,
        "long",
        "long | precise",
    ),
    key(
        "database.connectionTimeZone",
        &["database.serverTimezone"],
        Str,
        "",
        "accepted for compatibility: binlog and snapshot values are read in UTC",
    ),
    key(
        "database.history",
        &["schema.history.internal"],
        Str,
        "",
        "accepted for compatibility: schemas come from the binlog's row metadata",
    ),
    key(
        "database.history.rocketmq.topic",
        &["schema.history.internal.rocketmq.topic"],
        Str,
        "",
        "accepted for compatibility (no history topic is needed)",
    ),
    key(
        "database.history.name.srv.addr",
        &["schema.history.internal.name.srv.addr"],
        Str,
        "",
        "accepted for compatibility",
    ),
    key(
        "database.history.skip.unparseable.ddl",
        &["schema.history.internal.skip.unparseable.ddl"],
        Boolean,
        "false",
        "accepted for compatibility (no DDL parser)",
    ),
    key(
        "database.history.store.only.monitored.tables.ddl",
        &[
            "database.history.store.only.captured.tables.ddl",
            "schema.history.internal.store.only.captured.tables.ddl",
        ],
        Boolean,
        "false",
        "accepted for compatibility",
    ),
    key(
        "database.history.recovery.attempts",
        &[],
        Int,
        "60",
        "accepted for compatibility",
    ),
    key(
        "database.history.recovery.poll.interval.ms",
        &[],
        Int,
        "1000",
        "accepted for compatibility",
    ),
];

/// PostgreSQL's own keys (Debezium 1.7 PostgreSQL).
const POSTGRES: &[Key] = &[
    key("database.port", &[], Int, "5432", "PostgreSQL port"),
    key(
        "database.user",
        &[],
        Str,
        "",
        "user with REPLICATION (or superuser) and SELECT on the captured tables",
    ),
    key("database.dbname", &[], Str, "", "the database to capture"),
    key(
        "database.sslmode",
        &[],
        Str,
        "disable",
        "disable (TLS to PostgreSQL is not in this build)",
    ),
    key(
        "schema.include.list",
        &["schema.whitelist"],
        List,
        "",
        "regexes of schemas to capture (all when empty)",
    ),
    key(
        "schema.exclude.list",
        &["schema.blacklist"],
        List,
        "",
        "regexes of schemas not to capture",
    ),
    key(
        "snapshot.mode",
        &[],
        Str,
        "initial",
        "initial | always | initial_only | when_needed | never (no_data) | exported (= initial)",
    ),
    key(
        "time.precision.mode",
        &[],
        Str,
        "adaptive",
        "adaptive | adaptive_time_microseconds | connect",
    ),
    key(
        "plugin.name",
        &[],
        Str,
        "pgoutput",
        "pgoutput (decoderbufs and wal2json are read as pgoutput: the events are the same)",
    ),
    key(
        "slot.name",
        &[],
        Str,
        "debezium",
        "the logical replication slot ([a-z0-9_], at most 63 characters)",
    ),
    key(
        "slot.drop.on.stop",
        &[],
        Boolean,
        "false",
        "drop the slot when the task stops (the WAL it held is released; changes made meanwhile are lost)",
    ),
    key(
        "publication.name",
        &[],
        Str,
        "dbz_publication",
        "the publication the slot reads ([a-z0-9_], at most 63 characters)",
    ),
    key(
        "publication.autocreate.mode",
        &[],
        Str,
        "all_tables",
        "all_tables | filtered | disabled: create the publication when missing, for every table or the captured ones",
    ),
    key(
        "status.update.interval.ms",
        &[],
        Int,
        "10000",
        "how often the slot's confirmed position is reported to the server",
    ),
    key(
        "heartbeat.action.query",
        &[],
        Str,
        "",
        "SQL run at each heartbeat (e.g. an UPDATE of a captured table, so the slot advances on an idle database)",
    ),
    key(
        "interval.handling.mode",
        &[],
        Str,
        "numeric",
        "numeric (microseconds) | string (ISO-8601)",
    ),
    key(
        "hstore.handling.mode",
        &[],
        Str,
        "json",
        "json (a JSON object as text) | map",
    ),
    key(
        "money.fraction.digits",
        &[],
        Int,
        "2",
        "the scale of money values",
    ),
    key(
        "include.unknown.datatypes",
        &[],
        Boolean,
        "false",
        "keep columns of unmapped types as text (else they are left out)",
    ),
    key(
        "unavailable.value.placeholder",
        &[],
        Str,
        "__debezium_unavailable_value",
        "what an unchanged TOAST value the server did not send becomes",
    ),
    key(
        "xmin.fetch.interval.ms",
        &[],
        Long,
        "0",
        "how often the slot's catalog_xmin is read into source.xmin (ms); 0: never, xmin stays null",
    ),
];

/// The key `name` or the first alias set in `config`: (the key found, its trimmed value).
fn lookup<'a>(config: &'a Config, name: &'static str) -> Option<(&'static str, &'a str)> {
    let aliases = COMMON
        .iter()
        .chain(MYSQL)
        .chain(POSTGRES)
        .find(|k| k.name == name)
        .map(|k| k.aliases)
        .unwrap_or(&[]);
    std::iter::once(name)
        .chain(aliases.iter().copied())
        .find_map(|key| config.get_trimmed(key).map(|v| (key, v)))
}

/// Which initial snapshot to take (Debezium 1.7 `snapshot.mode`, 2.x names accepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SnapshotMode {
    #[default]
    /// Snapshot when there are no offsets, then stream.
    Initial,
    /// Snapshot, then stop streaming.
    InitialOnly,
    /// Snapshot when there are no offsets or the stored binlog position is gone.
    WhenNeeded,
    /// Stream from the oldest binlog (PostgreSQL: from the slot), no snapshot.
    Never,
    /// Snapshot on every start, then stream (PostgreSQL).
    Always,
    /// No data snapshot: stream from the current position (`schema_only`, 2.x `no_data`).
    SchemaOnly,
    /// Keep the stored position (schemas come from the binlog anyway: nothing to rebuild).
    SchemaOnlyRecovery,
}

impl SnapshotMode {
    fn parse(dialect: Dialect, raw: &str) -> Option<Self> {
        let raw = raw.to_ascii_lowercase();
        Some(match (dialect, raw.as_str()) {
            (_, "initial") | (Dialect::Postgres, "exported") => Self::Initial,
            (_, "initial_only") => Self::InitialOnly,
            (_, "when_needed") => Self::WhenNeeded,
            (_, "never") | (Dialect::Postgres, "no_data") => Self::Never,
            (Dialect::Postgres, "always") => Self::Always,
            (Dialect::MySql, "schema_only" | "no_data") => Self::SchemaOnly,
            (Dialect::MySql, "schema_only_recovery" | "recovery") => Self::SchemaOnlyRecovery,
            _ => return None,
        })
    }

    /// True when a connector without offsets snapshots the data first.
    pub fn snapshots_data(self) -> bool {
        matches!(
            self,
            Self::Initial | Self::InitialOnly | Self::WhenNeeded | Self::Always
        )
    }
}

/// `decimal.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecimalMode {
    #[default]
    Precise,
    Double,
    String,
}

/// `time.precision.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimePrecision {
    /// `adaptive`: Debezium's time types, by the column's precision (PostgreSQL's TIME(p ≤ 3)
    /// in ms; MySQL reads it as `adaptive_time_microseconds`).
    Adaptive,
    #[default]
    /// `adaptive_time_microseconds`: as `adaptive`, TIME always in µs.
    AdaptiveTimeMicroseconds,
    /// Kafka Connect's Date/Time/Timestamp (milliseconds).
    Connect,
}

/// `binary.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BinaryMode {
    #[default]
    Bytes,
    Base64,
    Hex,
}

/// How a value is represented, one choice per `*.handling.mode` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueModes {
    pub decimal: DecimalMode,
    pub time: TimePrecision,
    /// `bigint.unsigned.handling.mode=precise`: BIGINT UNSIGNED as Decimal(scale 0).
    pub bigint_unsigned_precise: bool,
    pub binary: BinaryMode,
}

impl Default for ValueModes {
    fn default() -> Self {
        Self {
            decimal: DecimalMode::Precise,
            time: TimePrecision::AdaptiveTimeMicroseconds,
            bigint_unsigned_precise: false,
            binary: BinaryMode::Bytes,
        }
    }
}

/// Operations whose events are not published (`skipped.operations`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SkippedOps {
    pub create: bool,
    pub update: bool,
    pub delete: bool,
}

/// `publication.autocreate.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PublicationAutocreate {
    /// `FOR ALL TABLES` (needs a superuser).
    #[default]
    AllTables,
    /// `FOR TABLE` the captured tables, reset when the set differs.
    Filtered,
    /// The publication must exist.
    Disabled,
}

/// PostgreSQL's settings.
#[derive(Debug, Clone)]
pub struct PgSettings {
    pub dbname: String,
    pub slot_name: String,
    pub publication_name: String,
    pub publication_autocreate: PublicationAutocreate,
    pub slot_drop_on_stop: bool,
    pub status_interval: Duration,
    pub heartbeat_action_query: Option<String>,
    /// How often the slot's `catalog_xmin` is read for `source.xmin` (`xmin.fetch.interval.ms`;
    /// `None`: never, as Debezium with 0).
    pub xmin_fetch_interval: Option<Duration>,
    /// The value representations (`*.handling.mode` and PostgreSQL's own keys).
    pub modes: crate::postgres::values::PgModes,
}

/// The parsed configuration; what validation checks is what the task runs.
#[derive(Debug, Clone)]
pub struct CdcConfig {
    pub dialect: Dialect,
    /// PostgreSQL's settings (`None` for MySQL).
    pub postgres: Option<PgSettings>,
    pub hostname: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub server_id: u32,
    pub server_name: String,
    pub filters: Filters,
    pub snapshot_mode: SnapshotMode,
    pub max_batch_size: usize,
    pub max_queue_size: usize,
    pub poll_interval: Duration,
    pub tombstones_on_delete: bool,
    pub provide_transaction_metadata: bool,
    pub include_schema_changes: bool,
    pub heartbeat_interval: Option<Duration>,
    pub heartbeat_topics_prefix: String,
    pub signal_data_collection: Option<String>,
    /// `signal.rocketmq.topic`: ad-hoc signals as messages keyed by the server name.
    pub signal_topic: Option<String>,
    pub read_only: bool,
    pub chunk_size: usize,
    pub skipped: SkippedOps,
    pub modes: ValueModes,
    /// `connect.topicname`: every table's events go there.
    pub topic_name: Option<String>,
    pub source_version: String,
}

impl CdcConfig {
    /// Whether `db.table` (`schema.table`) is the signal table (`signal.data.collection`): its
    /// rows are read even when the filters leave it out.
    pub fn is_signal_table(&self, db: &str, table: &str) -> bool {
        self.signal_data_collection
            .as_deref()
            .is_some_and(|signals| {
                signals.len() == db.len() + 1 + table.len()
                    && signals.eq_ignore_ascii_case(&format!("{db}.{table}"))
            })
    }

    /// MySQL's declared keys for `/plugin/config`.
    pub fn def() -> ConfigDef {
        Self::def_for(Dialect::MySql)
    }

    /// MySQL: parses `config`, collecting every problem (each names its key and value).
    pub fn parse(config: &Config) -> Result<Self, Vec<ConfigError>> {
        Self::parse_for(Dialect::MySql, config)
    }

    /// The declared keys of a dialect for `/plugin/config`, generated from the key tables.
    pub fn def_for(dialect: Dialect) -> ConfigDef {
        dialect.all_keys().fold(ConfigDef::new(), |def, k| {
            if matches!(
                k.name,
                "database.hostname" | "database.user" | "database.server.name" | "database.dbname"
            ) {
                def.required(k.name, k.ty, k.doc)
            } else {
                def.optional(k.name, k.ty, k.default, k.doc)
            }
        })
    }

    /// Parses `config` for `dialect`, collecting every problem (each names its key and value).
    pub fn parse_for(dialect: Dialect, config: &Config) -> Result<Self, Vec<ConfigError>> {
        let mut errors = Vec::new();
        let mut p = Parser {
            config,
            dialect,
            errors: &mut errors,
        };
        let hostname = p.required("database.hostname");
        let user = p.required("database.user");
        let server_name = p.required("database.server.name");
        if !server_name.is_empty() && !valid_server_name(&server_name) {
            p.error(
                "database.server.name",
                &server_name,
                "expected letters, digits, '_', '-' or '.' (it names topics, schemas and offsets)",
            );
        }
        let port = p.number::<u16>("database.port", "a TCP port (1-65535)");
        let password = p.string("database.password");
        let server_id = match lookup(config, "database.server.id") {
            _ if dialect == Dialect::Postgres => 0,
            Some((key, raw)) => match raw.parse::<u32>() {
                Ok(id) if id > 0 => id,
                _ => {
                    p.error(
                        key,
                        raw,
                        "expected a replica server id between 1 and 4294967295",
                    );
                    0
                }
            },
            None => derived_server_id(&server_name),
        };
        let snapshot_modes = match dialect {
            Dialect::MySql => {
                "initial, initial_only, when_needed, never, schema_only (no_data) or schema_only_recovery (recovery)"
            }
            Dialect::Postgres => {
                "initial, always, initial_only, when_needed, never (no_data) or exported"
            }
        };
        let snapshot_mode = p.choice(
            "snapshot.mode",
            |raw| SnapshotMode::parse(dialect, raw),
            snapshot_modes,
        );
        let locking = p.string("snapshot.locking.mode");
        if dialect == Dialect::MySql
            && !["minimal", "minimal_percona", "extended", "none"]
                .contains(&locking.to_ascii_lowercase().as_str())
        {
            p.error(
                "snapshot.locking.mode",
                &locking,
                "expected minimal, minimal_percona, extended or none",
            );
        }
        let decimal = p.choice(
            "decimal.handling.mode",
            |v| match v.to_ascii_lowercase().as_str() {
                "precise" => Some(DecimalMode::Precise),
                "double" => Some(DecimalMode::Double),
                "string" => Some(DecimalMode::String),
                _ => None,
            },
            "precise, double or string",
        );
        let time = p.choice(
            "time.precision.mode",
            |v| match v.to_ascii_lowercase().as_str() {
                "adaptive_time_microseconds" => Some(TimePrecision::AdaptiveTimeMicroseconds),
                "adaptive" => Some(TimePrecision::Adaptive),
                "connect" => Some(TimePrecision::Connect),
                _ => None,
            },
            "adaptive_time_microseconds, adaptive or connect",
        );
        let bigint_unsigned_precise = dialect == Dialect::MySql
            && p.choice(
                "bigint.unsigned.handling.mode",
                |v| match v.to_ascii_lowercase().as_str() {
                    "long" => Some(false),
                    "precise" => Some(true),
                    _ => None,
                },
                "long or precise",
            );
        let binary = p.choice(
            "binary.handling.mode",
            |v| match v.to_ascii_lowercase().as_str() {
                "bytes" => Some(BinaryMode::Bytes),
                "base64" => Some(BinaryMode::Base64),
                "hex" => Some(BinaryMode::Hex),
                _ => None,
            },
            "bytes, base64 or hex",
        );
        let mut skipped = SkippedOps::default();
        for op in p.list("skipped.operations") {
            match op.as_str() {
                "c" => skipped.create = true,
                "u" => skipped.update = true,
                "d" => skipped.delete = true,
                "t" | "none" => {}
                other => p.error(
                    "skipped.operations",
                    other,
                    "expected a list of c, u, d, t or none",
                ),
            }
        }
        let heartbeat_ms = p.number::<u64>("heartbeat.interval.ms", "milliseconds (0: off)");
        let chunk_size = p.number::<usize>("incremental.snapshot.chunk.size", "a row count");
        if chunk_size == 0 {
            p.error(
                "incremental.snapshot.chunk.size",
                "0",
                "expected at least 1 row",
            );
        }
        let max_batch_size = p.number::<usize>("max.batch.size", "a record count").max(1);
        let max_queue_size = p.number::<usize>("max.queue.size", "an event count").max(1);
        let filters = match Filters::parse(dialect, |name| lookup(config, name)) {
            Ok(filters) => filters,
            Err(list) => {
                p.errors.extend(list);
                Filters::default()
            }
        };
        let signal_data_collection =
            lookup(config, "signal.data.collection").map(|(_, v)| v.to_owned());
        if let Some(collection) = &signal_data_collection
            && collection.split('.').count() != 2
        {
            p.error(
                "signal.data.collection",
                collection,
                "expected <database>.<table>",
            );
        }
        // Accepted for compatibility, but still type-checked.
        let flags: &[&'static str] = match dialect {
            Dialect::MySql => &[
                "database.history.skip.unparseable.ddl",
                "database.history.store.only.monitored.tables.ddl",
                "incremental.snapshot.allow.schema.changes",
            ],
            Dialect::Postgres => &["incremental.snapshot.allow.schema.changes"],
        };
        for flag in flags {
            p.boolean(flag);
        }
        let modes = ValueModes {
            decimal,
            time,
            bigint_unsigned_precise: dialect == Dialect::MySql && bigint_unsigned_precise,
            binary,
        };
        let postgres = (dialect == Dialect::Postgres).then(|| pg_settings(&mut p, modes));
        let parsed = Self {
            dialect,
            postgres,
            hostname,
            port,
            user,
            password,
            server_id,
            filters,
            snapshot_mode,
            max_batch_size,
            max_queue_size,
            poll_interval: Duration::from_millis(
                p.number::<u64>("poll.interval.ms", "milliseconds").max(1),
            ),
            tombstones_on_delete: {
                let tombstones = p.boolean("tombstones.on.delete");
                if tombstones {
                    p.error(
                        "tombstones.on.delete",
                        "true",
                        "a tombstone is an empty message, which RocketMQ cannot carry (the Java plugin fails on them): set it to false; deletes still arrive as op=d events",
                    );
                }
                tombstones
            },
            provide_transaction_metadata: p.boolean("provide.transaction.metadata"),
            include_schema_changes: p.boolean("include.schema.changes"),
            heartbeat_interval: (heartbeat_ms > 0).then(|| Duration::from_millis(heartbeat_ms)),
            heartbeat_topics_prefix: p.string("heartbeat.topics.prefix"),
            signal_data_collection,
            signal_topic: lookup(config, "signal.rocketmq.topic").map(|(_, v)| v.to_owned()),
            read_only: p.boolean("read.only"),
            chunk_size: chunk_size.max(1),
            skipped,
            modes,
            topic_name: lookup(config, "connect.topicname").map(|(_, v)| v.to_owned()),
            source_version: p.string("source.version"),
            server_name,
        };
        if errors.is_empty() {
            Ok(parsed)
        } else {
            Err(errors)
        }
    }
}

/// PostgreSQL's own keys, parsed through `p` (errors recorded there).
fn pg_settings(p: &mut Parser<'_, '_>, base: ValueModes) -> PgSettings {
    let dbname = p.required("database.dbname");
    let identifier = |p: &mut Parser<'_, '_>, name: &'static str| {
        let value = p.string(name);
        let valid = !value.is_empty()
            && value.len() <= 63
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            p.error(
                name,
                &value,
                "expected 1 to 63 lower-case letters, digits or '_' (PostgreSQL's rule for slot names)",
            );
        }
        value
    };
    let slot_name = identifier(p, "slot.name");
    let publication_name = identifier(p, "publication.name");
    let plugin = p.string("plugin.name").to_ascii_lowercase();
    match plugin.as_str() {
        "pgoutput" => {}
        "decoderbufs" | "wal2json" | "wal2json_streaming" | "wal2json_rds" => {
            tracing::warn!(plugin = %plugin, "plugin.name: read as pgoutput, the server's built-in plugin (the events are the same)");
        }
        other => p.error(
            "plugin.name",
            other,
            "expected pgoutput (decoderbufs and wal2json are read as pgoutput)",
        ),
    }
    let sslmode = p.string("database.sslmode").to_ascii_lowercase();
    if !matches!(sslmode.as_str(), "disable" | "allow" | "prefer") {
        p.error(
            "database.sslmode",
            &sslmode,
            "TLS to PostgreSQL is not in this build: use disable (or prefer/allow, which then connect without TLS)",
        );
    }
    let publication_autocreate = p.choice(
        "publication.autocreate.mode",
        |v| match v.to_ascii_lowercase().as_str() {
            "all_tables" => Some(PublicationAutocreate::AllTables),
            "filtered" => Some(PublicationAutocreate::Filtered),
            "disabled" => Some(PublicationAutocreate::Disabled),
            _ => None,
        },
        "all_tables, filtered or disabled",
    );
    let interval_string = p.choice(
        "interval.handling.mode",
        |v| match v.to_ascii_lowercase().as_str() {
            "numeric" => Some(false),
            "string" => Some(true),
            _ => None,
        },
        "numeric or string",
    );
    let hstore_map = p.choice(
        "hstore.handling.mode",
        |v| match v.to_ascii_lowercase().as_str() {
            "json" => Some(false),
            "map" => Some(true),
            _ => None,
        },
        "json or map",
    );
    let xmin_fetch_ms = p.number::<u64>("xmin.fetch.interval.ms", "milliseconds");
    PgSettings {
        dbname,
        slot_name,
        publication_name,
        publication_autocreate,
        slot_drop_on_stop: p.boolean("slot.drop.on.stop"),
        status_interval: Duration::from_millis(
            p.number::<u64>("status.update.interval.ms", "milliseconds")
                .max(100),
        ),
        heartbeat_action_query: lookup(p.config, "heartbeat.action.query")
            .map(|(_, v)| v.to_owned()),
        xmin_fetch_interval: (xmin_fetch_ms > 0).then(|| Duration::from_millis(xmin_fetch_ms)),
        modes: crate::postgres::values::PgModes {
            base,
            interval_string,
            money_digits: p.number::<u32>("money.fraction.digits", "a digit count"),
            unknown_as_text: p.boolean("include.unknown.datatypes"),
            hstore_map,
            placeholder: p.string("unavailable.value.placeholder"),
        },
    }
}

/// Server names name topics and schemas: keep them to characters every consumer accepts.
fn valid_server_name(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// A stable replica id from the server name when `database.server.id` is unset (Debezium
/// picks a random one; a stable one keeps `SHOW SLAVE HOSTS` readable across restarts).
fn derived_server_id(server_name: &str) -> u32 {
    // FNV-1a, folded into 5400..=2^31 so it stays clear of small hand-assigned ids.
    let hash = server_name.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    5400 + hash % (i32::MAX as u32 - 5400)
}

/// Reads keys through the table (defaults, aliases), recording errors instead of stopping.
struct Parser<'a, 'e> {
    config: &'a Config,
    dialect: Dialect,
    errors: &'e mut Vec<ConfigError>,
}

impl Parser<'_, '_> {
    fn error(&mut self, key: &str, value: &str, message: &str) {
        self.errors.push(ConfigError::invalid(key, value, message));
    }

    fn default_of(&self, name: &str) -> &'static str {
        self.dialect
            .all_keys()
            .find(|k| k.name == name)
            .map(|k| k.default)
            .unwrap_or("")
    }

    fn string(&mut self, name: &'static str) -> String {
        lookup(self.config, name)
            .map(|(_, v)| v)
            .unwrap_or(self.default_of(name))
            .to_owned()
    }

    fn required(&mut self, name: &'static str) -> String {
        match lookup(self.config, name) {
            Some((_, v)) => v.to_owned(),
            None => {
                self.errors.push(ConfigError::missing(name));
                String::new()
            }
        }
    }

    fn list(&mut self, name: &'static str) -> Vec<String> {
        connect_api::config::split_list(&self.string(name), &[','])
            .into_iter()
            .map(|s| s.to_ascii_lowercase())
            .collect()
    }

    fn number<T: std::str::FromStr + Default>(&mut self, name: &'static str, expected: &str) -> T {
        let (key, raw) = lookup(self.config, name).unwrap_or((name, self.default_of(name)));
        match raw.parse() {
            Ok(v) => v,
            Err(_) => {
                self.error(key, raw, &format!("expected {expected}"));
                T::default()
            }
        }
    }

    fn boolean(&mut self, name: &'static str) -> bool {
        let (key, raw) = lookup(self.config, name).unwrap_or((name, self.default_of(name)));
        match raw.to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            _ => {
                self.error(key, raw, "expected true or false");
                false
            }
        }
    }

    fn choice<T: Default>(
        &mut self,
        name: &'static str,
        parse: impl Fn(&str) -> Option<T>,
        expected: &str,
    ) -> T {
        let (key, raw) = lookup(self.config, name).unwrap_or((name, self.default_of(name)));
        match parse(raw) {
            Some(v) => v,
            None => {
                self.error(key, raw, &format!("expected {expected}"));
                T::default()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Config {
        Config::new()
            .with("database.hostname", "127.0.0.1")
            .with("database.user", "cdc")
            .with("database.server.name", "dbserver1")
    }

    /// The Java README's configuration parses as is, old key names included.
    #[test]
    fn java_readme_configuration_parses() {
        let config = base()
            .with("database.port", "3306")
            .with("database.password", "dbz")
            .with("database.server.id", "184054")
            .with("database.include.list", "inventory")
            .with("table.include.list", "inventory.employee")
            .with("max.batch.size", "50")
            .with("snapshot.mode", "when_needed")
            .with("database.history.skip.unparseable.ddl", "true")
            .with("database.history.name.srv.addr", "localhost:9876")
            .with(
                "database.history.rocketmq.topic",
                "db-history-debezium-topic",
            )
            .with("database.history.store.only.monitored.tables.ddl", "true")
            .with("include.schema.changes", "false")
            .with("database.connectionTimeZone", "UTC");
        let parsed = CdcConfig::parse(&config).unwrap();
        assert_eq!(parsed.server_id, 184054);
        assert_eq!(parsed.max_batch_size, 50);
        assert_eq!(parsed.snapshot_mode, SnapshotMode::WhenNeeded);
        assert!(!parsed.include_schema_changes);
        assert!(!parsed.tombstones_on_delete);
        assert!(parsed.filters.table_included("inventory", "employee"));
        assert!(!parsed.filters.table_included("inventory", "other"));
    }

    /// 2.x names are aliases of the 1.7 keys.
    #[test]
    fn two_x_aliases_are_understood() {
        let config = Config::new()
            .with("database.hostname", "h")
            .with("database.user", "u")
            .with("topic.prefix", "srv")
            .with("snapshot.mode", "no_data")
            .with("table.whitelist", "db.t");
        let parsed = CdcConfig::parse(&config).unwrap();
        assert_eq!(parsed.server_name, "srv");
        assert_eq!(parsed.snapshot_mode, SnapshotMode::SchemaOnly);
        assert!(parsed.filters.table_included("db", "t"));
        let recovery = CdcConfig::parse(&base().with("snapshot.mode", "recovery")).unwrap();
        assert_eq!(recovery.snapshot_mode, SnapshotMode::SchemaOnlyRecovery);
    }

    /// Every bad key is reported at once, by the name the user wrote.
    #[test]
    fn bad_values_name_their_keys() {
        let config = Config::new()
            .with("database.hostname", "h")
            .with("database.user", "u")
            .with("topic.prefix", "bad name")
            .with("snapshot.mode", "sometimes")
            .with("decimal.handling.mode", "float")
            .with("database.port", "99999")
            .with("tombstones.on.delete", "true")
            .with("table.whitelist", "db.(");
        let errors = CdcConfig::parse(&config).unwrap_err();
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        for key in [
            "database.server.name",
            "snapshot.mode",
            "decimal.handling.mode",
            "database.port",
            "tombstones.on.delete",
            "table.whitelist",
        ] {
            assert!(keys.contains(&key), "{key} missing from {keys:?}");
        }
        let missing = CdcConfig::parse(&Config::new()).unwrap_err();
        assert!(
            missing
                .iter()
                .any(|e| e.key == "database.hostname" && e.value.is_none())
        );
    }

    /// Without `database.server.id` the replica id is stable per server name.
    #[test]
    fn server_id_is_derived_stably() {
        let a = CdcConfig::parse(&base()).unwrap().server_id;
        let b = CdcConfig::parse(&base()).unwrap().server_id;
        assert_eq!(a, b);
        assert!(a >= 5400);
    }

    /// The definition lists every key with its default.
    #[test]
    fn definition_lists_the_keys() {
        let def = CdcConfig::def();
        assert!(def.key("snapshot.mode").is_some());
        assert!(def.key("database.hostname").unwrap().is_required());
    }
}
