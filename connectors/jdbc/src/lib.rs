//! JDBC connectors: tables → topics (source) and topics → tables (sink), for MariaDB/MySQL,
//! PostgreSQL and SQLite.
pub mod dialect;
pub mod types;
pub mod url;
