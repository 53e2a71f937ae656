//! JDBC connectors: tables → topics (source) and topics → tables (sink), for MariaDB/MySQL,
//! PostgreSQL and SQLite.
pub mod config;
pub mod dialect;
pub mod probe;
pub mod source;
pub mod types;
pub mod url;
