//! Which databases, tables and columns are captured, and which columns form a table's key
//! when `message.key.columns` says so. Patterns are Debezium's: regular expressions matched
//! against the whole `db`, `db.table` or `db.table.column` name, case-insensitively.

use connect_api::ConfigError;

use crate::config::Dialect;
use regex::{Regex, RegexBuilder};

/// The include/exclude lists and key-column overrides, compiled once.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    db_include: Vec<Regex>,
    db_exclude: Vec<Regex>,
    table_include: Vec<Regex>,
    table_exclude: Vec<Regex>,
    column_include: Vec<Regex>,
    column_exclude: Vec<Regex>,
    /// (`db.table` pattern, key column names).
    key_columns: Vec<(Regex, Vec<String>)>,
    /// The server's own databases (schemas), never captured.
    system: &'static [&'static str],
}

/// MySQL's databases no connector captures: the server's own.
const MYSQL_SYSTEM: &[&str] = &["mysql", "information_schema", "performance_schema", "sys"];
/// PostgreSQL's schemas no connector captures.
const POSTGRES_SYSTEM: &[&str] = &["pg_catalog", "information_schema", "pg_toast"];

fn compile(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(&format!("^(?:{pattern})$"))
        .case_insensitive(true)
        .build()
}

impl Filters {
    /// Compiles the lists; `lookup` resolves a key through its aliases to (key as written,
    /// value). The first level is the database (MySQL) or the schema (PostgreSQL).
    pub fn parse<'a>(
        dialect: Dialect,
        lookup: impl Fn(&'static str) -> Option<(&'static str, &'a str)>,
    ) -> Result<Self, Vec<ConfigError>> {
        let (first_include, first_exclude, system) = match dialect {
            Dialect::MySql => (
                "database.include.list",
                "database.exclude.list",
                MYSQL_SYSTEM,
            ),
            Dialect::Postgres => (
                "schema.include.list",
                "schema.exclude.list",
                POSTGRES_SYSTEM,
            ),
        };
        let mut errors = Vec::new();
        let mut list = |name: &'static str| -> Vec<Regex> {
            let Some((key, raw)) = lookup(name) else {
                return Vec::new();
            };
            connect_api::config::split_list(raw, &[','])
                .iter()
                .filter_map(|pattern| match compile(pattern) {
                    Ok(regex) => Some(regex),
                    Err(e) => {
                        errors.push(ConfigError::invalid(
                            key,
                            pattern,
                            format!("not a valid regular expression: {e}"),
                        ));
                        None
                    }
                })
                .collect()
        };
        let mut filters = Self {
            db_include: list(first_include),
            db_exclude: list(first_exclude),
            table_include: list("table.include.list"),
            table_exclude: list("table.exclude.list"),
            column_include: list("column.include.list"),
            column_exclude: list("column.exclude.list"),
            key_columns: Vec::new(),
            system,
        };
        if let Some((key, raw)) = lookup("message.key.columns") {
            for entry in raw.split(';').map(str::trim).filter(|e| !e.is_empty()) {
                let Some((table, columns)) = entry.split_once(':') else {
                    errors.push(ConfigError::invalid(
                        key,
                        entry,
                        "expected <db>.<table>:<column>[,<column>…] entries separated by ';'",
                    ));
                    continue;
                };
                match compile(table.trim()) {
                    Ok(regex) => filters.key_columns.push((
                        regex,
                        columns
                            .split(',')
                            .map(|c| c.trim().to_owned())
                            .filter(|c| !c.is_empty())
                            .collect(),
                    )),
                    Err(e) => errors.push(ConfigError::invalid(
                        key,
                        entry,
                        format!("not a valid regular expression: {e}"),
                    )),
                }
            }
        }
        if errors.is_empty() {
            Ok(filters)
        } else {
            Err(errors)
        }
    }

    /// True when the database's tables may be captured.
    pub fn database_included(&self, db: &str) -> bool {
        if self.system.iter().any(|s| s.eq_ignore_ascii_case(db))
            || (self.system.contains(&"pg_toast") && db.starts_with("pg_toast"))
        {
            return false;
        }
        (self.db_include.is_empty() || self.db_include.iter().any(|r| r.is_match(db)))
            && !self.db_exclude.iter().any(|r| r.is_match(db))
    }

    /// True when `db.table` is captured.
    pub fn table_included(&self, db: &str, table: &str) -> bool {
        if !self.database_included(db) {
            return false;
        }
        let full = format!("{db}.{table}");
        (self.table_include.is_empty() || self.table_include.iter().any(|r| r.is_match(&full)))
            && !self.table_exclude.iter().any(|r| r.is_match(&full))
    }

    /// True when the column appears in events.
    pub fn column_included(&self, db: &str, table: &str, column: &str) -> bool {
        if self.column_include.is_empty() && self.column_exclude.is_empty() {
            return true;
        }
        let full = format!("{db}.{table}.{column}");
        (self.column_include.is_empty() || self.column_include.iter().any(|r| r.is_match(&full)))
            && !self.column_exclude.iter().any(|r| r.is_match(&full))
    }

    /// The key columns `message.key.columns` names for `db.table`, if any.
    pub fn key_columns(&self, db: &str, table: &str) -> Option<&[String]> {
        let full = format!("{db}.{table}");
        self.key_columns
            .iter()
            .find(|(r, _)| r.is_match(&full))
            .map(|(_, columns)| columns.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters(pairs: &[(&'static str, &'static str)]) -> Result<Filters, Vec<ConfigError>> {
        let lookup = |name: &'static str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(k, v)| (*k, *v))
        };
        Filters::parse(Dialect::MySql, lookup)
    }

    /// Patterns match whole names, case-insensitively; excludes win; system databases never
    /// match.
    #[test]
    fn include_and_exclude_lists() {
        let f = filters(&[
            ("database.include.list", "inv.*"),
            ("table.exclude.list", "inventory\\.secret.*"),
            ("column.exclude.list", "inventory\\.customers\\.ssn"),
        ])
        .unwrap();
        assert!(f.table_included("inventory", "customers"));
        assert!(f.table_included("INVENTORY", "orders"));
        assert!(!f.table_included("inventory", "secrets"));
        assert!(!f.table_included("other", "customers"));
        assert!(!f.database_included("mysql"));
        assert!(f.column_included("inventory", "customers", "name"));
        assert!(!f.column_included("inventory", "customers", "ssn"));
        // "inv" alone is not the whole of "inventory"'s pattern-free sibling "investments2"? It is
        // a prefix match only through ".*": a plain name matches only itself.
        let exact = filters(&[("table.include.list", "db.t")]).unwrap();
        assert!(!exact.table_included("db", "t2"));
    }

    /// `message.key.columns` picks key columns per table; a malformed entry names the key.
    #[test]
    fn message_key_columns() {
        let f = filters(&[("message.key.columns", "db.t1:a,b; db.t2:c")]).unwrap();
        assert_eq!(f.key_columns("db", "t1").unwrap(), ["a", "b"]);
        assert_eq!(f.key_columns("db", "t2").unwrap(), ["c"]);
        assert!(f.key_columns("db", "t3").is_none());
        let errors = filters(&[("message.key.columns", "db.t1")]).unwrap_err();
        assert_eq!(errors[0].key, "message.key.columns");
    }
}
