//! The connectors' configuration, with the Java connector's keys and defaults (reference
//! §11.1). Parsing collects every problem at once, each naming its key, value and what was
//! expected.

use std::time::Duration;

use connect_api::config_def::FileUse;
use connect_api::{Config, ConfigDef, ConfigError, ConfigType, Validator};

use crate::dialect::DialectOptions;
use crate::types::{DbTimeZone, TableId};
use crate::url::{ConnectionUrl, DialectKind};

/// Keys both connectors share.
#[derive(Debug, Clone)]
pub struct CommonConfig {
    pub url: ConnectionUrl,
    pub dialect: Option<DialectKind>,
    pub attempts: u32,
    pub backoff: Duration,
    pub time_zone: DbTimeZone,
    pub table_types: Vec<String>,
}

impl CommonConfig {
    fn parse(config: &Config, errors: &mut Vec<ConfigError>) -> Option<Self> {
        let url = match config.require("connection.url") {
            Ok(raw) => ConnectionUrl::parse(
                raw,
                config.get_trimmed("connection.user"),
                config.get("connection.password"),
            )
            .map_err(|e| errors.push(e))
            .ok(),
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let dialect = match config.get_trimmed("dialect.name") {
            None => None,
            Some(name) => match DialectKind::from_name(name) {
                Some(kind) => Some(kind),
                None => {
                    errors.push(ConfigError::invalid(
                        "dialect.name",
                        name,
                        "expected MySql, PostgreSql or Sqlite (or empty to follow connection.url)",
                    ));
                    None
                }
            },
        };
        let attempts = take(
            errors,
            config.parse_or("connection.attempts", 3u32, "a positive integer"),
        );
        let backoff_ms = take(
            errors,
            config.parse_or("connection.backoff.ms", 10_000u64, "milliseconds"),
        );
        let raw_zone = config.get_string_or("db.timezone", "UTC");
        let time_zone = DbTimeZone::parse(raw_zone).or_else(|| {
            errors.push(ConfigError::invalid(
                "db.timezone",
                raw_zone,
                "expected UTC or a fixed offset such as +08:00",
            ));
            None
        });
        let table_types = match config.get_list("table.types") {
            list if list.is_empty() => vec!["TABLE".to_owned()],
            list => list,
        };
        for table_type in &table_types {
            if !["TABLE", "VIEW"].contains(&table_type.to_ascii_uppercase().as_str()) {
                errors.push(ConfigError::invalid(
                    "table.types",
                    table_type,
                    "expected TABLE and/or VIEW",
                ));
            }
        }
        Some(Self {
            url: url?,
            dialect,
            attempts: attempts?.max(1),
            backoff: Duration::from_millis(backoff_ms?),
            time_zone: time_zone?,
            table_types,
        })
    }

    pub fn dialect_options(&self) -> DialectOptions {
        DialectOptions {
            time_zone: self.time_zone,
            connect_timeout: Duration::from_secs(10),
            max_connections: 2,
        }
    }
}

fn take<T>(errors: &mut Vec<ConfigError>, result: Result<T, ConfigError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

fn common_def() -> ConfigDef {
    ConfigDef::new()
        .required("connection.url", ConfigType::String, "jdbc:mysql://host:port/db, jdbc:postgresql://host:port/db, jdbc:sqlite:path, or a native URL")
        // A SQLite file is read and written (created when missing): confined like any file.
        .file_in_value(FileUse::Write, crate::url::sqlite_path)
        .optional("connection.user", ConfigType::String, "", "database user (when the URL has none)")
        .optional("connection.password", ConfigType::Password, "", "database password")
        .optional("connection.attempts", ConfigType::Int, "3", "connection attempts before a call fails")
        .optional("connection.backoff.ms", ConfigType::Long, "10000", "wait between connection attempts")
        .optional("dialect.name", ConfigType::String, "", "force a dialect: MySql, PostgreSql, Sqlite")
        .optional("db.timezone", ConfigType::String, "UTC", "zone of timestamps without time zone: UTC or +HH:MM")
        .optional("table.types", ConfigType::List, "TABLE", "TABLE, VIEW")
        .optional("quote.sql.identifiers", ConfigType::String, "ALWAYS", "identifiers are always quoted")
}

/// How the source reads a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The whole table every poll.
    Bulk,
    /// New rows by a strictly increasing column.
    Incrementing,
    /// New and updated rows by timestamp columns.
    Timestamp,
    /// Both: timestamp, ties broken by the incrementing column.
    TimestampIncrementing,
}

impl Mode {
    pub const NAMES: &'static [&'static str] = &[
        "bulk",
        "incrementing",
        "timestamp",
        "timestamp+incrementing",
        "query",
    ];

    fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "bulk" | "query" => Some(Self::Bulk),
            "incrementing" => Some(Self::Incrementing),
            "timestamp" => Some(Self::Timestamp),
            "timestamp+incrementing" => Some(Self::TimestampIncrementing),
            _ => None,
        }
    }

    pub fn uses_incrementing(self) -> bool {
        matches!(self, Self::Incrementing | Self::TimestampIncrementing)
    }

    pub fn uses_timestamp(self) -> bool {
        matches!(self, Self::Timestamp | Self::TimestampIncrementing)
    }
}

/// The source connector's configuration.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub common: CommonConfig,
    pub mode: Mode,
    pub incrementing_column: Option<String>,
    pub timestamp_columns: Vec<String>,
    /// Milliseconds since the epoch to start from; `None` = from the beginning.
    pub timestamp_initial: Option<i64>,
    pub timestamp_delay: Duration,
    pub whitelist: Vec<TableId>,
    pub blacklist: Vec<TableId>,
    /// Tables assigned to this task (task configurations only).
    pub tables: Option<Vec<TableId>>,
    pub query: Option<String>,
    pub topic_prefix: String,
    /// `connect.topicname`: when set and no prefix is, every record goes there.
    pub topic_name: Option<String>,
    pub poll_interval: Duration,
    pub batch_max_rows: usize,
    pub validate_non_null: bool,
    pub offset_suffix: String,
    pub query_suffix: String,
}

impl SourceConfig {
    pub fn parse(config: &Config) -> Result<Self, Vec<ConfigError>> {
        let mut errors = Vec::new();
        let common = CommonConfig::parse(config, &mut errors);
        let mode = match config.get_trimmed("mode") {
            None => Some(Mode::Bulk),
            Some(raw) => Mode::parse(raw).or_else(|| {
                errors.push(ConfigError::invalid(
                    "mode",
                    raw,
                    format!("unknown mode: expected one of {}", Mode::NAMES.join(", ")),
                ));
                None
            }),
        };
        let incrementing_column = config
            .get_trimmed("incrementing.column.name")
            .map(str::to_owned);
        let timestamp_columns = config.get_list("timestamp.column.name");
        if let Some(mode) = mode {
            if mode.uses_incrementing() && incrementing_column.is_none() {
                errors.push(ConfigError {
                    key: "incrementing.column.name".into(),
                    value: None,
                    message: format!("is required in mode {} and was not set", mode_name(mode)),
                });
            }
            if mode.uses_timestamp() && timestamp_columns.is_empty() {
                errors.push(ConfigError {
                    key: "timestamp.column.name".into(),
                    value: None,
                    message: format!("is required in mode {} and was not set", mode_name(mode)),
                });
            }
        }
        let timestamp_initial = match config.get_trimmed("timestamp.initial") {
            None => Some(None),
            Some(raw) => match raw.parse::<i64>() {
                Ok(-1) => Some(Some(now_millis())),
                Ok(ms) if ms >= 0 => Some(Some(ms)),
                _ => {
                    errors.push(ConfigError::invalid(
                        "timestamp.initial",
                        raw,
                        "expected epoch milliseconds, or -1 for the current time",
                    ));
                    None
                }
            },
        };
        let delay = take(
            &mut errors,
            config.parse_or("timestamp.delay.interval.ms", 0u64, "milliseconds"),
        );
        let poll = take(
            &mut errors,
            config.parse_or("poll.interval.ms", 5000u64, "milliseconds"),
        );
        let batch = take(
            &mut errors,
            config.parse_or("batch.max.rows", 100usize, "a positive integer"),
        );
        if batch == Some(0) {
            errors.push(ConfigError::invalid(
                "batch.max.rows",
                "0",
                "expected a positive integer",
            ));
        }
        let validate_non_null = take(&mut errors, config.get_bool_or("validate.non.null", true));
        let query = config.get_trimmed("query").map(str::to_owned);
        let whitelist: Vec<TableId> = config
            .get_list("table.whitelist")
            .iter()
            .map(|t| TableId::parse(t))
            .collect();
        let blacklist: Vec<TableId> = config
            .get_list("table.blacklist")
            .iter()
            .map(|t| TableId::parse(t))
            .collect();
        if !whitelist.is_empty() && !blacklist.is_empty() {
            errors.push(ConfigError::invalid(
                "table.blacklist",
                config.get("table.blacklist").unwrap_or(""),
                "cannot be combined with table.whitelist: set one of them",
            ));
        }
        if query.is_some() && !whitelist.is_empty() {
            errors.push(ConfigError::invalid(
                "query",
                config.get("query").unwrap_or(""),
                "cannot be combined with table.whitelist: a query replaces the tables",
            ));
        }
        if config
            .get_trimmed("mode")
            .is_some_and(|m| m.eq_ignore_ascii_case("query"))
            && query.is_none()
        {
            errors.push(
                ConfigError::missing("query")
                    .with_message("is required in mode query and was not set"),
            );
        }
        let tables = config.get_trimmed("tables").map(|list| {
            connect_api::config::split_list(list, &[','])
                .iter()
                .map(|t| TableId::parse(t))
                .collect()
        });
        if !errors.is_empty() {
            return Err(errors);
        }
        let (
            Some(common),
            Some(mode),
            Some(timestamp_initial),
            Some(delay),
            Some(poll),
            Some(batch),
            Some(validate_non_null),
        ) = (
            common,
            mode,
            timestamp_initial,
            delay,
            poll,
            batch,
            validate_non_null,
        )
        else {
            return Err(errors);
        };
        Ok(Self {
            common,
            mode,
            incrementing_column,
            timestamp_columns,
            timestamp_initial,
            timestamp_delay: Duration::from_millis(delay),
            whitelist,
            blacklist,
            tables,
            query,
            topic_prefix: config.get_string_or("topic.prefix", "").to_owned(),
            topic_name: config.get_trimmed("connect.topicname").map(str::to_owned),
            poll_interval: Duration::from_millis(poll),
            batch_max_rows: batch,
            validate_non_null,
            offset_suffix: config.get_string_or("offset.suffix", "").to_owned(),
            query_suffix: config.get_string_or("query.suffix", "").to_owned(),
        })
    }

    /// The keys the source understands.
    pub fn def() -> ConfigDef {
        common_def()
            .optional(
                "mode",
                ConfigType::String,
                "bulk",
                "bulk, incrementing, timestamp, timestamp+incrementing, query",
            )
            .validate_with(Validator::OneOf(Mode::NAMES))
            .optional(
                "incrementing.column.name",
                ConfigType::String,
                "",
                "strictly increasing column",
            )
            .optional(
                "timestamp.column.name",
                ConfigType::List,
                "",
                "timestamp columns (COALESCE order)",
            )
            .optional(
                "timestamp.initial",
                ConfigType::Long,
                "",
                "start at this epoch ms; -1 = now",
            )
            .optional(
                "timestamp.delay.interval.ms",
                ConfigType::Long,
                "0",
                "lag behind the database clock",
            )
            .optional(
                "table.whitelist",
                ConfigType::List,
                "",
                "tables to read (db.table)",
            )
            .optional(
                "table.blacklist",
                ConfigType::List,
                "",
                "tables not to read",
            )
            .optional(
                "query",
                ConfigType::String,
                "",
                "custom query instead of tables",
            )
            .optional(
                "topic.prefix",
                ConfigType::String,
                "",
                "topic = prefix + table",
            )
            .optional(
                "poll.interval.ms",
                ConfigType::Long,
                "5000",
                "per-table poll interval",
            )
            .optional("batch.max.rows", ConfigType::Int, "100", "rows per poll")
            .optional(
                "validate.non.null",
                ConfigType::Boolean,
                "true",
                "require non-null incrementing/timestamp columns",
            )
            .optional(
                "offset.suffix",
                ConfigType::String,
                "",
                "suffix of the position key",
            )
            .optional(
                "query.suffix",
                ConfigType::String,
                "",
                "appended to generated SQL",
            )
            .optional(
                "numeric.precision.mapping",
                ConfigType::Boolean,
                "false",
                "accepted for compatibility",
            )
            .optional(
                "numeric.mapping",
                ConfigType::String,
                "",
                "accepted for compatibility",
            )
            .optional(
                "schema.pattern",
                ConfigType::String,
                "",
                "accepted for compatibility",
            )
            .optional(
                "catalog.pattern",
                ConfigType::String,
                "",
                "accepted for compatibility",
            )
    }
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Bulk => "bulk",
        Mode::Incrementing => "incrementing",
        Mode::Timestamp => "timestamp",
        Mode::TimestampIncrementing => "timestamp+incrementing",
    }
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// How the sink writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertMode {
    Insert,
    Upsert,
    Update,
}

/// Where the sink's primary key comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PkMode {
    None,
    RecordKey,
    RecordValue,
}

/// The sink connector's configuration.
#[derive(Debug, Clone)]
pub struct SinkConfig {
    pub common: CommonConfig,
    pub table_format: String,
    pub table_from_header: bool,
    pub insert_mode: InsertMode,
    pub pk_mode: PkMode,
    pub pk_fields: Vec<String>,
    pub fields_whitelist: Vec<String>,
    pub auto_create: bool,
    pub auto_evolve: bool,
    pub delete_enabled: bool,
    pub batch_size: usize,
    pub max_retries: u32,
    pub retry_backoff: Duration,
}

impl SinkConfig {
    pub fn parse(config: &Config) -> Result<Self, Vec<ConfigError>> {
        let mut errors = Vec::new();
        let common = CommonConfig::parse(config, &mut errors);
        let insert_mode = match config
            .get_string_or("insert.mode", "insert")
            .to_ascii_lowercase()
            .as_str()
        {
            "insert" => Some(InsertMode::Insert),
            "upsert" => Some(InsertMode::Upsert),
            "update" => Some(InsertMode::Update),
            other => {
                errors.push(ConfigError::invalid(
                    "insert.mode",
                    other,
                    "expected insert, upsert or update",
                ));
                None
            }
        };
        let pk_mode = match config
            .get_string_or("pk.mode", "none")
            .to_ascii_lowercase()
            .as_str()
        {
            "none" => Some(PkMode::None),
            "record_key" => Some(PkMode::RecordKey),
            "record_value" => Some(PkMode::RecordValue),
            other => {
                errors.push(ConfigError::invalid(
                    "pk.mode",
                    other,
                    "expected none, record_key or record_value",
                ));
                None
            }
        };
        let delete_enabled = take(&mut errors, config.get_bool_or("delete.enabled", false));
        if let (Some(insert), Some(PkMode::None)) = (insert_mode, pk_mode)
            && insert != InsertMode::Insert
        {
            errors.push(ConfigError::invalid(
                "pk.mode",
                "none",
                format!(
                    "insert.mode={} needs a primary key: set pk.mode to record_key or record_value",
                    if insert == InsertMode::Upsert {
                        "upsert"
                    } else {
                        "update"
                    }
                ),
            ));
        }
        if delete_enabled == Some(true) && pk_mode.is_some_and(|m| m != PkMode::RecordKey) {
            errors.push(ConfigError::invalid(
                "delete.enabled",
                "true",
                "deletes are keyed by the record key: set pk.mode=record_key",
            ));
        }
        let batch_size = take(
            &mut errors,
            config.parse_or("batch.size", 100usize, "a positive integer"),
        );
        if batch_size == Some(0) {
            errors.push(ConfigError::invalid(
                "batch.size",
                "0",
                "expected a positive integer",
            ));
        }
        let max_retries = take(
            &mut errors,
            config.parse_or("max.retries", 10u32, "a non-negative integer"),
        );
        let backoff = take(
            &mut errors,
            config.parse_or("retry.backoff.ms", 3000u64, "milliseconds"),
        );
        let auto_create = take(&mut errors, config.get_bool_or("auto.create", false));
        let auto_evolve = take(&mut errors, config.get_bool_or("auto.evolve", false));
        let from_header = take(
            &mut errors,
            config.get_bool_or("table.name.from.header", false),
        );
        if !errors.is_empty() {
            return Err(errors);
        }
        let (
            Some(common),
            Some(insert_mode),
            Some(pk_mode),
            Some(delete_enabled),
            Some(batch_size),
            Some(max_retries),
            Some(backoff),
            Some(auto_create),
            Some(auto_evolve),
            Some(from_header),
        ) = (
            common,
            insert_mode,
            pk_mode,
            delete_enabled,
            batch_size,
            max_retries,
            backoff,
            auto_create,
            auto_evolve,
            from_header,
        )
        else {
            return Err(errors);
        };
        Ok(Self {
            common,
            table_format: config
                .get_string_or("table.name.format", "${topic}")
                .to_owned(),
            table_from_header: from_header,
            insert_mode,
            pk_mode,
            pk_fields: config.get_list("pk.fields"),
            fields_whitelist: config.get_list("fields.whitelist"),
            auto_create,
            auto_evolve,
            delete_enabled,
            batch_size,
            max_retries,
            retry_backoff: Duration::from_millis(backoff),
        })
    }

    /// The keys the sink understands.
    pub fn def() -> ConfigDef {
        common_def()
            .optional(
                "table.name.format",
                ConfigType::String,
                "${topic}",
                "target table; ${topic} is replaced by the record's topic",
            )
            .optional(
                "table.name.from.header",
                ConfigType::Boolean,
                "false",
                "take the table from the record's `table` extension",
            )
            .optional(
                "insert.mode",
                ConfigType::String,
                "insert",
                "insert, upsert, update",
            )
            .validate_with(Validator::OneOf(&["insert", "upsert", "update"]))
            .optional(
                "pk.mode",
                ConfigType::String,
                "none",
                "none, record_key, record_value",
            )
            .validate_with(Validator::OneOf(&["none", "record_key", "record_value"]))
            .optional("pk.fields", ConfigType::List, "", "primary key columns")
            .optional(
                "fields.whitelist",
                ConfigType::List,
                "",
                "value fields to write (empty = all)",
            )
            .optional(
                "auto.create",
                ConfigType::Boolean,
                "false",
                "create missing tables",
            )
            .optional(
                "auto.evolve",
                ConfigType::Boolean,
                "false",
                "add missing columns",
            )
            .optional(
                "delete.enabled",
                ConfigType::Boolean,
                "false",
                "a null value deletes the row of its key",
            )
            .optional("batch.size", ConfigType::Int, "100", "rows per statement")
            .optional(
                "max.retries",
                ConfigType::Int,
                "10",
                "retries of a failed write before the runtime takes over",
            )
            .optional(
                "retry.backoff.ms",
                ConfigType::Long,
                "3000",
                "wait between retries",
            )
            .optional(
                "tables.whitelist",
                ConfigType::List,
                "",
                "accepted for compatibility",
            )
    }
}

trait WithMessage {
    fn with_message(self, message: &str) -> Self;
}

impl WithMessage for ConfigError {
    fn with_message(mut self, message: &str) -> Self {
        self.message = message.to_owned();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(pairs: &[(&str, &str)]) -> Result<SourceConfig, Vec<ConfigError>> {
        let mut config = Config::new().with("connection.url", "jdbc:sqlite::memory:");
        for (k, v) in pairs {
            config.put(*k, *v);
        }
        SourceConfig::parse(&config)
    }

    #[test]
    fn the_seed_example_parses() {
        let config = Config::new()
            .with("connection.url", "jdbc:mysql://127.0.0.1:3306")
            .with("connection.user", "root")
            .with("connection.password", "secret")
            .with("table.whitelist", "shop.employee")
            .with("mode", "incrementing")
            .with("incrementing.column.name", "id")
            .with("connect.topicname", "test-topic-02");
        let parsed = SourceConfig::parse(&config).unwrap();
        assert_eq!(parsed.mode, Mode::Incrementing);
        assert_eq!(parsed.whitelist, vec![TableId::parse("shop.employee")]);
        assert_eq!(parsed.topic_name.as_deref(), Some("test-topic-02"));
        assert_eq!(parsed.batch_max_rows, 100);
    }

    #[test]
    fn bad_source_configs_name_every_key() {
        let errors = source(&[("mode", "sometimes")]).unwrap_err();
        assert_eq!(errors[0].key, "mode");
        assert!(errors[0].message.contains("unknown mode"), "{:?}", errors);

        let errors = source(&[("mode", "timestamp+incrementing")]).unwrap_err();
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["incrementing.column.name", "timestamp.column.name"]);

        let errors =
            source(&[("batch.max.rows", "many"), ("db.timezone", "Mars/Olympus")]).unwrap_err();
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert!(
            keys.contains(&"batch.max.rows") && keys.contains(&"db.timezone"),
            "{keys:?}"
        );
    }

    #[test]
    fn sink_modes_need_a_key() {
        let config = Config::new()
            .with("connection.url", "jdbc:sqlite::memory:")
            .with("insert.mode", "upsert");
        let errors = SinkConfig::parse(&config).unwrap_err();
        assert_eq!(errors[0].key, "pk.mode");
        let config = config
            .with("pk.mode", "record_value")
            .with("delete.enabled", "true");
        let errors = SinkConfig::parse(&config).unwrap_err();
        assert_eq!(errors[0].key, "delete.enabled");
        let config = config.with("pk.mode", "record_key");
        let parsed = SinkConfig::parse(&config).unwrap();
        assert_eq!(parsed.insert_mode, InsertMode::Upsert);
        assert_eq!(parsed.table_format, "${topic}");
    }
}
