//! The worker configuration: a Java `.properties` file with the Java runtime's keys
//! (`workerId`, `httpPort`, `storePathRootDir`, …, reference §2), overridable by environment
//! variables `ROCKETMQ_CONNECT_<KEY_IN_UPPER_SNAKE_CASE>` (e.g. `ROCKETMQ_CONNECT_HTTP_PORT`).
//!
//! Unlike the Java runtime, which silently keeps the default when a value does not parse, a
//! bad value is an error naming the key and where it came from; an unknown key is a warning.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use connect_actors::allocation::Strategy;
use connect_actors::cluster::ClusterSettings;
use connect_actors::cluster::log::SnapshotPolicy;
use connect_actors::security::{ConfigProviders, FileAccess, Limits};
use connect_actors::settings::{RestartPolicy, WorkerSettings};
pub use connect_api::config::parse_properties;
use connect_dataplane::settings::DataPlaneSettings;

/// How a key's value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Port,
    /// A positive number of milliseconds.
    Millis,
    Count,
    Bool,
}

/// Every key this worker reads, and the Java keys it accepts without using.
const KEYS: &[(&str, Kind, bool)] = &[
    ("workerId", Kind::Text, true),
    ("httpPort", Kind::Port, true),
    ("kafkaRestPort", Kind::Port, true),
    ("httpBindAddress", Kind::Text, true),
    ("storePathRootDir", Kind::Text, true),
    ("namesrvAddr", Kind::Text, true),
    ("keyConverter", Kind::Text, true),
    ("valueConverter", Kind::Text, true),
    ("offsetCommitIntervalMsConfig", Kind::Millis, true),
    ("offsetCommitTimeoutMsConfig", Kind::Millis, true),
    ("maxStartTimeoutMills", Kind::Millis, true),
    ("maxStopTimeoutMills", Kind::Millis, true),
    ("taskRestartMaxAttempts", Kind::Count, true),
    ("taskRestartBackoffInitialMs", Kind::Millis, true),
    ("taskRestartBackoffMaxMs", Kind::Millis, true),
    ("taskRestartResetMs", Kind::Millis, true),
    ("connectClusterId", Kind::Text, true),
    ("autoCreateTopicEnable", Kind::Bool, true),
    // Security and limits.
    ("allowedPaths", Kind::Text, true),
    ("configProviders", Kind::Text, true),
    ("secretKeyPattern", Kind::Text, true),
    ("maxConnectors", Kind::Count, true),
    ("maxTasksPerConnector", Kind::Count, true),
    ("maxConfigBytes", Kind::Count, true),
    ("testPluginsEnable", Kind::Bool, true),
    ("httpAuthUsersFile", Kind::Text, true),
    ("httpTlsCertFile", Kind::Text, true),
    ("httpTlsKeyFile", Kind::Text, true),
    ("httpAllowAnonymous", Kind::Bool, true),
    ("httpAllowedOrigins", Kind::Text, true),
    ("httpMaxBodyBytes", Kind::Count, true),
    ("httpBodyReadTimeoutMs", Kind::Millis, true),
    // Distributed mode.
    ("clusterStoreTopic", Kind::Text, true),
    ("allocTaskStrategy", Kind::Text, true),
    ("configStoreTopic", Kind::Text, true),
    ("positionStoreTopic", Kind::Text, true),
    ("connectStatusTopic", Kind::Text, true),
    ("heartbeatIntervalMs", Kind::Millis, true),
    ("sessionTimeoutMs", Kind::Millis, true),
    ("controlLogSnapshotRecords", Kind::Count, true),
    ("controlLogSnapshotIntervalMs", Kind::Millis, true),
    // Accepted for compatibility with Java configuration files; not used in standalone mode.
    ("clusterName", Kind::Text, false),
    ("pluginPaths", Kind::Text, false),
    ("aclEnable", Kind::Bool, false),
    ("accessKey", Kind::Text, false),
    ("secretKey", Kind::Text, false),
    ("autoCreateGroupEnable", Kind::Bool, false),
    ("maxMessageSize", Kind::Count, false),
    ("operationTimeout", Kind::Millis, false),
    ("configPersistInterval", Kind::Millis, false),
    ("positionPersistInterval", Kind::Millis, false),
    ("offsetStoreTopic", Kind::Text, false),
    ("offsetPersistInterval", Kind::Millis, false),
    ("statePersistInterval", Kind::Millis, false),
    ("rmqProducerGroup", Kind::Text, true),
    ("rmqConsumerGroup", Kind::Text, false),
    ("adminExtGroup", Kind::Text, false),
    ("rmqMaxRedeliveryTimes", Kind::Count, false),
    ("rmqMessageConsumeTimeout", Kind::Millis, false),
    ("rmqMaxConsumeThreadNums", Kind::Count, false),
    ("rmqMinConsumeThreadNums", Kind::Count, false),
    ("brokerSuspendMaxTimeMillis", Kind::Millis, false),
    // Metrics reporters (the Java runtime's: a log reporter, a RocketMQ-topic reporter).
    ("openLogMetricReporter", Kind::Bool, true),
    ("metrics.topic", Kind::Text, true),
    ("metricsReportIntervalMs", Kind::Millis, true),
    ("metricsConfigPath", Kind::Text, false),
    ("clusterManagementService", Kind::Text, false),
    ("configManagementService", Kind::Text, false),
    ("positionManagementService", Kind::Text, false),
    ("stateManagementService", Kind::Text, false),
    ("connectHome", Kind::Text, false),
];

/// A parsed worker configuration.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Where the configuration came from (for messages).
    pub source_name: String,
    pub http_port: u16,
    /// `kafkaRestPort`: where Kafka Connect's REST API is served beside the seed's (same
    /// address, security and limits); off when unset.
    pub kafka_rest_port: Option<u16>,
    pub http_bind_address: String,
    pub store_path_root_dir: PathBuf,
    pub namesrv_addr: Option<String>,
    pub settings: WorkerSettings,
    /// Distributed mode's topics, strategy and timings.
    pub cluster: ClusterSettings,
    /// Authentication, TLS and request limits of the REST API.
    pub http: HttpSettings,
    /// The periodic metrics reporters.
    pub metrics: MetricsSettings,
    /// The secret-key pattern (`secretKeyPattern`), when not the default.
    pub secret_key_pattern: Option<regex::Regex>,
    /// Keys that were not recognised, for warnings.
    pub unknown_keys: Vec<String>,
}

/// Which metrics reporters run, and how often (`GET /metrics` is always served).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsSettings {
    /// `openLogMetricReporter`: log every metric (target `ROCKETMQ_CONNECT_STATS`).
    pub log_reporter: bool,
    /// `metrics.topic`: send every metric as a message to this topic (needs `namesrvAddr`).
    pub topic: Option<String>,
    /// `metricsReportIntervalMs`: how often reporters report (the Java runtime: 10 s).
    pub interval: Duration,
}

/// How the REST API guards itself.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// `httpAuthUsersFile`: lines `user:<argon2 or bcrypt hash>`; HTTP Basic on every route
    /// but `/health` when set.
    pub users_file: Option<PathBuf>,
    /// `httpTlsCertFile` / `httpTlsKeyFile`: PEM files; HTTPS when both are set.
    pub tls_cert_file: Option<PathBuf>,
    pub tls_key_file: Option<PathBuf>,
    /// `httpAllowAnonymous`: serve without authentication on a non-loopback address.
    pub allow_anonymous: bool,
    /// `httpAllowedOrigins`: browser origins (`https://ui.example.com`) allowed cross-site.
    pub allowed_origins: Vec<String>,
    /// `httpMaxBodyBytes`: the largest request body.
    pub max_body_bytes: usize,
    /// `httpBodyReadTimeoutMs`: how long a request body may take to arrive.
    pub body_read_timeout: Duration,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            users_file: None,
            tls_cert_file: None,
            tls_key_file: None,
            allow_anonymous: false,
            allowed_origins: Vec::new(),
            max_body_bytes: 1024 * 1024,
            body_read_timeout: Duration::from_secs(10),
        }
    }
}

/// A configuration problem: the key, where its value came from, what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {key}={value:?}: {message}")]
pub struct WorkerConfigError {
    pub source_name: String,
    pub key: String,
    pub value: String,
    pub message: String,
}

/// `httpPort` → `ROCKETMQ_CONNECT_HTTP_PORT`.
pub fn env_name(key: &str) -> String {
    let mut out = String::from("ROCKETMQ_CONNECT_");
    for (i, c) in key.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

fn check(kind: Kind, value: &str) -> Result<(), &'static str> {
    let ok = match kind {
        Kind::Text => true,
        Kind::Port => value.parse::<u16>().is_ok(),
        Kind::Millis => value.parse::<u64>().is_ok_and(|v| v > 0),
        Kind::Count => value.parse::<u32>().is_ok(),
        Kind::Bool => value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false"),
    };
    if ok {
        return Ok(());
    }
    Err(match kind {
        Kind::Port => "expected a port number (0-65535; 0 picks a free port)",
        Kind::Millis => "expected a positive number of milliseconds",
        Kind::Count => "expected a non-negative integer",
        Kind::Bool => "expected true or false",
        Kind::Text => "unreachable",
    })
}

impl WorkerConfig {
    /// Reads `path`, then applies environment overrides from `env`.
    pub fn load(
        path: &Path,
        env: impl Iterator<Item = (String, String)>,
    ) -> Result<Self, WorkerConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| WorkerConfigError {
            source_name: path.display().to_string(),
            key: String::new(),
            value: String::new(),
            message: format!("cannot read the worker configuration: {e}"),
        })?;
        Self::from_sources(&path.display().to_string(), &text, env)
    }

    /// Parses properties `text` named `name`, then environment overrides.
    pub fn from_sources(
        name: &str,
        text: &str,
        env: impl Iterator<Item = (String, String)>,
    ) -> Result<Self, WorkerConfigError> {
        let mut values: BTreeMap<String, (String, String)> = BTreeMap::new();
        let mut unknown_keys = Vec::new();
        for (line, key, value) in parse_properties(text) {
            match KEYS.iter().find(|(k, _, _)| *k == key) {
                Some(_) => {
                    values.insert(key, (value, format!("{name}:{line}")));
                }
                None => unknown_keys.push(key),
            }
        }
        let env: BTreeMap<String, String> = env.collect();
        for (key, _, _) in KEYS {
            if let Some(value) = env.get(&env_name(key)) {
                values.insert(
                    (*key).to_owned(),
                    (
                        value.trim().to_owned(),
                        format!("environment {}", env_name(key)),
                    ),
                );
            }
        }
        for (key, (value, origin)) in &values {
            if let Some((_, kind, _)) = KEYS.iter().find(|(k, _, _)| k == key) {
                check(*kind, value).map_err(|message| WorkerConfigError {
                    source_name: origin.clone(),
                    key: key.clone(),
                    value: value.clone(),
                    message: message.to_owned(),
                })?;
            }
        }
        let text = |key: &str, default: &str| {
            values
                .get(key)
                .map_or(default.to_owned(), |(v, _)| v.clone())
        };
        let millis = |key: &str, default: Duration| {
            values
                .get(key)
                .and_then(|(v, _)| v.parse().ok())
                .map_or(default, Duration::from_millis)
        };
        let defaults = WorkerSettings::default();
        let invalid = |key: &str, message: String| {
            let (value, origin) = values
                .get(key)
                .cloned()
                .unwrap_or_else(|| (String::new(), name.to_owned()));
            WorkerConfigError {
                source_name: origin,
                key: key.to_owned(),
                value,
                message,
            }
        };
        let flag = |key: &str| {
            values
                .get(key)
                .is_some_and(|(v, _)| v.trim().eq_ignore_ascii_case("true"))
        };
        let count = |key: &str, default: usize| {
            values
                .get(key)
                .and_then(|(v, _)| v.parse().ok())
                .unwrap_or(default)
        };
        let path = |key: &str| {
            values
                .get(key)
                .map(|(v, _)| v.trim())
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let store = values.get("storePathRootDir").map_or_else(
            || {
                std::env::var_os("HOME").map_or_else(
                    || PathBuf::from("connectorStore"),
                    |h| PathBuf::from(h).join("connectorStore"),
                )
            },
            |(v, _)| PathBuf::from(v),
        );
        let settings = WorkerSettings {
            worker_id: text("workerId", "standalone-worker"),
            data: DataPlaneSettings {
                offset_commit_interval: millis(
                    "offsetCommitIntervalMsConfig",
                    defaults.data.offset_commit_interval,
                ),
                offset_commit_timeout: millis(
                    "offsetCommitTimeoutMsConfig",
                    defaults.data.offset_commit_timeout,
                ),
                key_converter: text("keyConverter", &defaults.data.key_converter),
                value_converter: text("valueConverter", &defaults.data.value_converter),
                auto_create_topics: values
                    .get("autoCreateTopicEnable")
                    .is_none_or(|(v, _)| v.trim().eq_ignore_ascii_case("true")),
                producer_group: text("rmqProducerGroup", &defaults.data.producer_group),
            },
            start_timeout: millis("maxStartTimeoutMills", defaults.start_timeout),
            stop_timeout: millis("maxStopTimeoutMills", defaults.stop_timeout),
            restart: RestartPolicy {
                max_attempts: values
                    .get("taskRestartMaxAttempts")
                    .and_then(|(v, _)| v.parse().ok())
                    .unwrap_or(defaults.restart.max_attempts),
                initial_backoff: millis(
                    "taskRestartBackoffInitialMs",
                    defaults.restart.initial_backoff,
                ),
                max_backoff: millis("taskRestartBackoffMaxMs", defaults.restart.max_backoff),
                healthy_after: millis("taskRestartResetMs", defaults.restart.healthy_after),
            },
            files: FileAccess::new(
                &connect_api::config::split_list(&text("allowedPaths", ""), &[','])
                    .into_iter()
                    .map(PathBuf::from)
                    .collect::<Vec<_>>(),
                std::slice::from_ref(&store),
            ),
            providers: ConfigProviders::parse(&text("configProviders", ""))
                .map_err(|message| invalid("configProviders", message))?,
            limits: Limits {
                max_connectors: count("maxConnectors", defaults.limits.max_connectors),
                max_tasks_per_connector: count(
                    "maxTasksPerConnector",
                    defaults.limits.max_tasks_per_connector,
                ),
                max_config_bytes: count("maxConfigBytes", defaults.limits.max_config_bytes),
                test_plugins: flag("testPluginsEnable"),
            },
        };
        let secret_key_pattern = match values.get("secretKeyPattern") {
            Some((pattern, _)) => Some(
                connect_api::secrets::compile_key_pattern(pattern)
                    .map_err(|message| invalid("secretKeyPattern", message))?,
            ),
            None => None,
        };
        let http_defaults = HttpSettings::default();
        let http = HttpSettings {
            users_file: path("httpAuthUsersFile"),
            tls_cert_file: path("httpTlsCertFile"),
            tls_key_file: path("httpTlsKeyFile"),
            allow_anonymous: flag("httpAllowAnonymous"),
            allowed_origins: connect_api::config::split_list(
                &text("httpAllowedOrigins", ""),
                &[','],
            ),
            max_body_bytes: count("httpMaxBodyBytes", http_defaults.max_body_bytes),
            body_read_timeout: millis("httpBodyReadTimeoutMs", http_defaults.body_read_timeout),
        };
        if http.tls_cert_file.is_some() != http.tls_key_file.is_some() {
            let missing = if http.tls_cert_file.is_none() {
                "httpTlsCertFile"
            } else {
                "httpTlsKeyFile"
            };
            return Err(invalid(
                missing,
                "HTTPS needs both httpTlsCertFile and httpTlsKeyFile".to_owned(),
            ));
        }
        let cluster_defaults = ClusterSettings::default();
        let strategy = match values.get("allocTaskStrategy") {
            None => cluster_defaults.strategy,
            Some((value, origin)) => {
                Strategy::parse(value).map_err(|message| WorkerConfigError {
                    source_name: origin.clone(),
                    key: "allocTaskStrategy".to_owned(),
                    value: value.clone(),
                    message,
                })?
            }
        };
        let cluster = ClusterSettings {
            cluster_id: text("connectClusterId", &cluster_defaults.cluster_id),
            config_topic: text("configStoreTopic", &cluster_defaults.config_topic),
            position_topic: text("positionStoreTopic", &cluster_defaults.position_topic),
            status_topic: text("connectStatusTopic", &cluster_defaults.status_topic),
            cluster_topic: text("clusterStoreTopic", &cluster_defaults.cluster_topic),
            strategy,
            heartbeat_interval: millis("heartbeatIntervalMs", cluster_defaults.heartbeat_interval),
            session_timeout: millis("sessionTimeoutMs", cluster_defaults.session_timeout),
            write_deadline: cluster_defaults.write_deadline,
            snapshots: SnapshotPolicy {
                every_records: count(
                    "controlLogSnapshotRecords",
                    usize::try_from(cluster_defaults.snapshots.every_records).unwrap_or(1000),
                )
                .max(1) as u64,
                max_age: millis(
                    "controlLogSnapshotIntervalMs",
                    cluster_defaults.snapshots.max_age,
                ),
            },
        };
        if cluster.session_timeout < cluster.heartbeat_interval * 3 {
            let (value, origin) = values
                .get("sessionTimeoutMs")
                .cloned()
                .unwrap_or_else(|| (String::new(), name.to_owned()));
            return Err(WorkerConfigError {
                source_name: origin,
                key: "sessionTimeoutMs".to_owned(),
                value,
                message: format!(
                    "must be at least three heartbeat intervals ({} ms)",
                    cluster.heartbeat_interval.as_millis() * 3
                ),
            });
        }
        let metrics = MetricsSettings {
            log_reporter: flag("openLogMetricReporter"),
            topic: Some(text("metrics.topic", ""))
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
            interval: millis("metricsReportIntervalMs", Duration::from_secs(10))
                .max(Duration::from_millis(100)),
        };
        if metrics.topic.is_some() && !values.contains_key("namesrvAddr") {
            return Err(invalid(
                "metrics.topic",
                "the topic reporter needs RocketMQ: set namesrvAddr, or remove metrics.topic"
                    .to_owned(),
            ));
        }
        Ok(Self {
            source_name: name.to_owned(),
            cluster,
            metrics,
            http_port: values
                .get("httpPort")
                .and_then(|(v, _)| v.parse().ok())
                .unwrap_or(8082),
            kafka_rest_port: values
                .get("kafkaRestPort")
                .and_then(|(v, _)| v.parse().ok()),
            http_bind_address: text("httpBindAddress", "127.0.0.1"),
            store_path_root_dir: store,
            namesrv_addr: values
                .get("namesrvAddr")
                .map(|(v, _)| v.clone())
                .filter(|v| !v.is_empty()),
            settings,
            http,
            secret_key_pattern,
            unknown_keys,
        })
    }

    /// Keys given but unused by this worker (accepted Java keys), for an informational log.
    pub fn unused_keys(text: &str) -> Vec<String> {
        parse_properties(text)
            .into_iter()
            .filter(|(_, key, _)| KEYS.iter().any(|(k, _, used)| k == key && !used))
            .map(|(_, key, _)| key)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JAVA_STANDALONE: &str = "
# the shipped Java sample
workerId=standalone-worker
storePathRootDir=/tmp/storeRoot
## Http port for user to access REST API
httpPort=8082
namesrvAddr=127.0.0.1:9876
# RocketMQ acl
aclEnable=false
accessKey=rocketmq
secretKey=12345678
autoCreateGroupEnable=false
clusterName=DefaultCluster
pluginPaths=/home/connect/plugins
";

    #[test]
    fn the_java_sample_conf_loads() {
        let config = WorkerConfig::from_sources(
            "connect-standalone.conf",
            JAVA_STANDALONE,
            std::iter::empty(),
        )
        .unwrap();
        assert_eq!(config.http_port, 8082);
        assert_eq!(config.settings.worker_id, "standalone-worker");
        assert_eq!(config.store_path_root_dir, PathBuf::from("/tmp/storeRoot"));
        assert_eq!(config.namesrv_addr.as_deref(), Some("127.0.0.1:9876"));
        assert!(config.unknown_keys.is_empty());
        assert!(WorkerConfig::unused_keys(JAVA_STANDALONE).contains(&"pluginPaths".to_owned()));
    }

    /// Distributed keys: the Java strategy class names and short names are accepted, anything
    /// else names the key and what is expected; a session timeout shorter than three
    /// heartbeats is refused (one late heartbeat would drop a live worker).
    #[test]
    fn distributed_keys_are_read_and_checked() {
        let load = |text: &str| WorkerConfig::from_sources("w.conf", text, std::iter::empty());
        let java = "allocTaskStrategy=org.apache.rocketmq.connect.runtime.service.strategy.DefaultAllocateConnAndTaskStrategy\nconfigStoreTopic=cfg\nconnectClusterId=c1\n";
        let config = load(java).unwrap();
        assert_eq!(config.cluster.strategy, Strategy::RoundRobin);
        assert_eq!(config.cluster.config_topic, "cfg");
        assert_eq!(config.cluster.cluster_id, "c1");
        assert_eq!(
            load("allocTaskStrategy=AllocateConnAndTaskStrategyByConsistentHash")
                .unwrap()
                .cluster
                .strategy,
            Strategy::ConsistentHash
        );
        let err = load("workerId=w\nallocTaskStrategy=Random").unwrap_err();
        assert_eq!(
            (err.key.as_str(), err.source_name.as_str()),
            ("allocTaskStrategy", "w.conf:2")
        );
        assert!(
            err.message.contains("DefaultAllocateConnAndTaskStrategy"),
            "{err}"
        );
        let err = load("heartbeatIntervalMs=1000\nsessionTimeoutMs=2000").unwrap_err();
        assert_eq!(err.key, "sessionTimeoutMs");
        assert!(err.message.contains("3000 ms"), "{err}");
        let err = load("sessionTimeoutMs=soon").unwrap_err();
        assert_eq!(err.key, "sessionTimeoutMs");
    }

    /// A bad value names the key, the value and the line; an unknown key is only recorded.
    #[test]
    fn bad_values_name_key_and_line() {
        let text = "workerId=w\nhttpPort=eighty\nsomeTypo=1\n";
        let err = WorkerConfig::from_sources("w.conf", text, std::iter::empty()).unwrap_err();
        assert_eq!(err.key, "httpPort");
        assert_eq!(
            err.to_string(),
            "w.conf:2: httpPort=\"eighty\": expected a port number (0-65535; 0 picks a free port)"
        );
        let ok = WorkerConfig::from_sources(
            "w.conf",
            "someTypo=1\noffsetCommitIntervalMsConfig=500",
            std::iter::empty(),
        )
        .unwrap();
        assert_eq!(ok.unknown_keys, ["someTypo"]);
        assert_eq!(
            ok.settings.data.offset_commit_interval,
            Duration::from_millis(500)
        );
        let zero =
            WorkerConfig::from_sources("w.conf", "maxStopTimeoutMills=0", std::iter::empty())
                .unwrap_err();
        assert_eq!(zero.key, "maxStopTimeoutMills");
    }

    #[test]
    fn environment_overrides_the_file() {
        let env = vec![("ROCKETMQ_CONNECT_HTTP_PORT".to_owned(), "9000".to_owned())];
        let config =
            WorkerConfig::from_sources("w.conf", "httpPort=8082", env.into_iter()).unwrap();
        assert_eq!(config.http_port, 9000);
        let env = vec![("ROCKETMQ_CONNECT_HTTP_PORT".to_owned(), "x".to_owned())];
        let err = WorkerConfig::from_sources("w.conf", "", env.into_iter()).unwrap_err();
        assert_eq!(err.source_name, "environment ROCKETMQ_CONNECT_HTTP_PORT");
        assert_eq!(
            env_name("offsetCommitIntervalMsConfig"),
            "ROCKETMQ_CONNECT_OFFSET_COMMIT_INTERVAL_MS_CONFIG"
        );
    }

    #[test]
    fn properties_syntax() {
        let parsed = parse_properties("a = 1\n! comment\nb: two\nc=long \\\n  value\n  d=x=y\n");
        let pairs: Vec<(&str, &str)> = parsed
            .iter()
            .map(|(_, k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [("a", "1"), ("b", "two"), ("c", "long value"), ("d", "x=y")]
        );
    }
}
