//! `connection.url` in the Java forms (`jdbc:mysql://host:port/db?…`, `jdbc:mariadb://…`,
//! `jdbc:postgresql://…`, `jdbc:sqlite:path`) and the native ones (`mysql://`, `mariadb://`,
//! `postgres://`, `postgresql://`, `sqlite:`), turned into the URL the driver takes, with
//! `connection.user` / `connection.password` filled in when the URL carries none.

use connect_api::ConfigError;

/// Which dialect a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialectKind {
    MySql,
    Postgres,
    Sqlite,
}

impl DialectKind {
    /// The name `dialect.name` accepts (case-insensitive), as the Java SPI names them.
    pub fn from_name(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "mysql" | "mysqldatabasedialect" | "mariadb" => Some(Self::MySql),
            "postgres" | "postgresql" | "postgresqldatabasedialect" => Some(Self::Postgres),
            "sqlite" | "sqlitedatabasedialect" => Some(Self::Sqlite),
            _ => None,
        }
    }
}

/// A parsed `connection.url`.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionUrl {
    pub kind: DialectKind,
    /// The driver's URL, credentials included.
    pub native: String,
}

impl std::fmt::Debug for ConnectionUrl {
    // The native URL may carry a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ConnectionUrl({:?}, {})", self.kind, self.redacted())
    }
}

/// The file a SQLite URL (`jdbc:sqlite:<path>`, `sqlite:<path>?…`) opens or creates; `None` for
/// an in-memory database or another database's URL. The worker confines it to `allowedPaths`.
pub fn sqlite_path(url: &str) -> Option<String> {
    let url = url.trim();
    let bare = url.strip_prefix("jdbc:").unwrap_or(url);
    let path = bare.strip_prefix("sqlite:")?.trim_start_matches("//");
    let path = path.split('?').next().unwrap_or(path);
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| path.to_owned())
}

impl ConnectionUrl {
    /// Parses `url`; `user` / `password` are used when the URL has no credentials of its own.
    pub fn parse(
        url: &str,
        user: Option<&str>,
        password: Option<&str>,
    ) -> Result<Self, ConfigError> {
        let url = url.trim();
        let bare = url.strip_prefix("jdbc:").unwrap_or(url);
        let invalid = |message: &str| ConfigError::invalid("connection.url", url, message);
        if let Some(path) = bare.strip_prefix("sqlite:") {
            let path = path.trim_start_matches("//");
            if path.is_empty() {
                return Err(invalid("expected sqlite:<file path> or sqlite::memory:"));
            }
            // Create the file when missing, as the Java SQLite driver does.
            let native = if path.contains('?') {
                format!("sqlite:{path}")
            } else {
                format!("sqlite:{path}?mode=rwc")
            };
            return Ok(Self {
                kind: DialectKind::Sqlite,
                native,
            });
        }
        let (scheme, rest) = bare.split_once("://").ok_or_else(|| {
            invalid("expected jdbc:mysql://host:port/db, jdbc:postgresql://host:port/db or jdbc:sqlite:path (native mysql://, postgres://, sqlite: also accepted)")
        })?;
        let (kind, native_scheme) = match scheme.to_ascii_lowercase().as_str() {
            "mysql" | "mariadb" => (DialectKind::MySql, "mysql"),
            "postgresql" | "postgres" => (DialectKind::Postgres, "postgres"),
            other => {
                return Err(invalid(&format!(
                    "unsupported database '{other}': expected mysql, mariadb, postgresql or sqlite"
                )));
            }
        };
        let (authority, tail) = match rest.find(['/', '?']) {
            Some(at) => rest.split_at(at),
            None => (rest, ""),
        };
        if authority.is_empty() || authority.ends_with('@') {
            return Err(invalid("the URL names no host"));
        }
        let (tail, query) = match tail.split_once('?') {
            Some((path, query)) => (path, query),
            None => (tail, ""),
        };
        // JDBC-only parameters the native drivers reject are dropped; the rest pass through.
        let query: Vec<&str> = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .filter(|pair| {
                let key = pair.split('=').next().unwrap_or("");
                !is_jdbc_only_parameter(key)
            })
            .collect();
        let authority = if authority.contains('@') {
            authority.to_owned()
        } else {
            match (user.filter(|u| !u.is_empty()), password) {
                (Some(user), Some(password)) if !password.is_empty() => {
                    format!("{}:{}@{authority}", escape(user), escape(password))
                }
                (Some(user), _) => format!("{}@{authority}", escape(user)),
                (None, _) => authority.to_owned(),
            }
        };
        let mut native = format!("{native_scheme}://{authority}{tail}");
        if !query.is_empty() {
            native.push('?');
            native.push_str(&query.join("&"));
        }
        Ok(Self { kind, native })
    }

    /// The URL without its password, for messages.
    pub fn redacted(&self) -> String {
        match self.native.split_once("://") {
            Some((scheme, rest)) => match rest.split_once('@') {
                Some((credentials, host)) => {
                    let user = credentials.split(':').next().unwrap_or("");
                    format!("{scheme}://{user}:***@{host}")
                }
                None => self.native.clone(),
            },
            None => self.native.clone(),
        }
    }
}

/// Parameters of the Java drivers that mean nothing (or something else) to the native ones.
fn is_jdbc_only_parameter(key: &str) -> bool {
    matches!(
        key,
        "useSSL"
            | "useUnicode"
            | "characterEncoding"
            | "serverTimezone"
            | "allowPublicKeyRetrieval"
            | "rewriteBatchedStatements"
            | "zeroDateTimeBehavior"
            | "autoReconnect"
            | "useServerPrepStmts"
            | "cachePrepStmts"
            | "tinyInt1isBit"
            | "nullCatalogMeansCurrent"
            | "connectTimeout"
            | "socketTimeout"
            | "currentSchema"
            | "stringtype"
            | "reWriteBatchedInserts"
    )
}

/// Percent-encodes what would break the URL's authority.
fn escape(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    for byte in part.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_urls_become_native_with_credentials() {
        let url = ConnectionUrl::parse(
            "jdbc:mysql://127.0.0.1:3306/shop?useSSL=false&charset=utf8mb4",
            Some("app"),
            Some("p@ss"),
        )
        .unwrap();
        assert_eq!(url.kind, DialectKind::MySql);
        assert_eq!(
            url.native,
            "mysql://app:p%40ss@127.0.0.1:3306/shop?charset=utf8mb4"
        );
        assert_eq!(
            url.redacted(),
            "mysql://app:***@127.0.0.1:3306/shop?charset=utf8mb4"
        );

        // The seed's form: no database, tables qualified as db.table.
        let url = ConnectionUrl::parse("jdbc:mysql://127.0.0.1:3306", Some("root"), None).unwrap();
        assert_eq!(url.native, "mysql://root@127.0.0.1:3306");

        let url =
            ConnectionUrl::parse("jdbc:postgresql://h:5432/db", Some("u"), Some("p")).unwrap();
        assert_eq!(url.kind, DialectKind::Postgres);
        assert_eq!(url.native, "postgres://u:p@h:5432/db");
    }

    #[test]
    fn native_urls_keep_their_own_credentials() {
        let url = ConnectionUrl::parse("postgres://a:b@h/db", Some("x"), Some("y")).unwrap();
        assert_eq!(url.native, "postgres://a:b@h/db");
        assert_eq!(
            sqlite_path("jdbc:sqlite:/tmp/x.db").as_deref(),
            Some("/tmp/x.db")
        );
        assert_eq!(
            sqlite_path("sqlite:///tmp/x.db?mode=rwc").as_deref(),
            Some("/tmp/x.db")
        );
        assert_eq!(sqlite_path("jdbc:sqlite::memory:"), None);
        assert_eq!(sqlite_path("jdbc:mysql://h/db"), None);
        let url = ConnectionUrl::parse("jdbc:sqlite:/tmp/x.db", None, None).unwrap();
        assert_eq!(url.kind, DialectKind::Sqlite);
        assert_eq!(url.native, "sqlite:/tmp/x.db?mode=rwc");
    }

    #[test]
    fn bad_urls_name_the_key_and_what_is_expected() {
        let error = ConnectionUrl::parse("jdbc:oracle://h/db", None, None).unwrap_err();
        assert_eq!(error.key, "connection.url");
        assert!(
            error.message.contains("unsupported database 'oracle'"),
            "{error}"
        );
        let error = ConnectionUrl::parse("localhost:3306", None, None).unwrap_err();
        assert!(error.message.contains("expected jdbc:mysql://"), "{error}");
    }
}
