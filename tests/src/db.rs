//! Real databases for integration tests: MariaDB and PostgreSQL servers started by
//! `scripts/databases.sh` on loopback (stopped on drop), SQLite files, and a small SQL client
//! (sqlx's `Any` driver, text results) independent of the connectors under test.

use std::path::{Path, PathBuf};
use std::process::Command;

use sqlx::Row;

/// A database server (or SQLite file) for one test.
#[derive(Debug)]
pub struct Database {
    dir: PathBuf,
    /// The native URL (`mysql://…`, `postgres://…`, `sqlite:…`).
    pub url: String,
    pub kind: DbKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    MariaDb,
    Postgres,
    Sqlite,
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/databases.sh")
}

fn run_script(args: &[&str]) -> String {
    run_script_with_env(args, &[])
}

fn run_script_with_env(args: &[&str], env: &[(&str, &str)]) -> String {
    let output = Command::new(script())
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run scripts/databases.sh");
    assert!(
        output.status.success(),
        "scripts/databases.sh {args:?} failed (run scripts/databases.sh install?):\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

impl Database {
    /// Starts a fresh server (or names a fresh SQLite file) under `dir`.
    pub fn start(kind: DbKind, dir: &Path) -> Self {
        Self::start_with_env(kind, dir, &[])
    }

    /// Starts a fresh server with `env` set for `scripts/databases.sh` (e.g. `DB_BINLOG=off`).
    pub fn start_with_env(kind: DbKind, dir: &Path, env: &[(&str, &str)]) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let url = match kind {
            DbKind::Sqlite => format!("sqlite:{}?mode=rwc", dir.join("test.db").display()),
            DbKind::MariaDb | DbKind::Postgres => {
                let name = if kind == DbKind::MariaDb {
                    "mariadb"
                } else {
                    "postgres"
                };
                let out = run_script_with_env(&["start", name, dir.to_str().unwrap()], env);
                out.lines()
                    .find_map(|l| l.strip_prefix("DB_URL="))
                    .expect("DB_URL printed")
                    .to_owned()
            }
        };
        Self {
            dir: dir.to_owned(),
            url,
            kind,
        }
    }

    /// `connection.url` in the Java form, credentials apart (as users write it).
    pub fn jdbc_url(&self) -> String {
        match self.kind {
            DbKind::MariaDb => format!("jdbc:mysql://{}", self.host_and_db()),
            DbKind::Postgres => format!("jdbc:postgresql://{}", self.host_and_db()),
            DbKind::Sqlite => format!("jdbc:sqlite:{}", self.dir.join("test.db").display()),
        }
    }

    fn host_and_db(&self) -> &str {
        self.url
            .split_once('@')
            .map_or(self.url.as_str(), |(_, rest)| rest)
    }

    /// The keys a connector needs to reach this database.
    pub fn connection(&self) -> serde_json::Value {
        serde_json::json!({
            "connection.url": self.jdbc_url(),
            "connection.user": "connect",
            "connection.password": "connect",
        })
    }

    /// The server's TCP port on 127.0.0.1 (0 for SQLite).
    pub fn port(&self) -> u16 {
        self.url
            .rsplit(':')
            .next()
            .and_then(|rest| rest.split('/').next())
            .and_then(|port| port.parse().ok())
            .unwrap_or(0)
    }

    /// kill -9 the server.
    pub fn kill(&self) {
        run_script(&["kill", self.dir.to_str().unwrap()]);
    }

    /// Starts it again on the same port and data.
    pub fn restart(&self) {
        run_script(&["restart", self.dir.to_str().unwrap()]);
    }

    /// Runs statements (separated by `;` at line ends).
    pub fn execute(&self, sql: &str) {
        execute_at(&self.url, sql);
    }

    /// Every row of `sql` with every column as text (the query casts: results must be text).
    pub fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let url = self.url.clone();
        let sql = sql.to_owned();
        block_on(async move {
            let mut conn = connect(&url).await;
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .fetch_all(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            rows.iter()
                .map(|row| {
                    (0..row.len())
                        .map(|i| row.try_get::<Option<String>, _>(i).unwrap())
                        .collect()
                })
                .collect()
        })
    }

    /// The first column of every row of `sql` as text (e.g. the file names of `SHOW BINARY
    /// LOGS`, whose other columns are numbers).
    pub fn first_column(&self, sql: &str) -> Vec<String> {
        let url = self.url.clone();
        let sql = sql.to_owned();
        block_on(async move {
            let mut conn = connect(&url).await;
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
                .fetch_all(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
                .iter()
                .filter_map(|row| row.try_get::<String, _>(0).ok())
                .collect()
        })
    }

    /// A single integer (e.g. `SELECT COUNT(*) …`), 0 when the query fails (table missing).
    pub fn count(&self, sql: &str) -> i64 {
        let url = self.url.clone();
        let sql = sql.to_owned();
        block_on(async move {
            let mut conn = connect(&url).await;
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut conn)
                .await
                .unwrap_or(0)
        })
    }
}

/// Runs statements (separated by `;` at line ends) on the database at `url` — for threads that
/// write while the test holds the [`Database`].
pub fn execute_at(url: &str, sql: &str) {
    let url = url.to_owned();
    let sql = sql.to_owned();

    block_on(async move {
        let mut conn = connect(&url).await;
        for statement in sql.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned()))
                .execute(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
    });
}

impl Drop for Database {
    fn drop(&mut self) {
        if self.kind != DbKind::Sqlite {
            let _ = Command::new(script()).arg("stop").arg(&self.dir).output();
        }
    }
}

async fn connect(url: &str) -> sqlx::AnyConnection {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("connect {url}: {e}"))
}

/// Runs `future` on a thread of its own, so callers inside a runtime can use the helpers too.
fn block_on<T: Send>(future: impl std::future::Future<Output = T> + Send) -> T {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(future)
            })
            .join()
            .unwrap()
    })
}
