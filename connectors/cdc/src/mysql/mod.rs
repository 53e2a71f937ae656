//! MySQL/MariaDB capture: columns and values (`columns`, `values`), the `source` block, the
//! server queries and checks (`server`), captured tables (`table`), snapshot chunks
//! (`snapshot`; tables without a key in `keyless`), transaction ids (`gtid`), the tables a DDL changed (`layout`), the binlog reader (`binlog`) and its row decoder (`rows`, DECIMALs in `decimal`), the task that merges them (`task`) and the
//! connector (`connector`).

pub mod binlog;
pub mod columns;
pub mod connector;
pub mod decimal;
pub mod gtid;
pub mod keyless;
pub mod layout;
pub mod rows;
pub mod server;
pub mod snapshot;
pub mod source;
pub mod table;
pub mod task;
pub mod values;

pub use connector::MySqlCdcConnector;
pub use task::{MySqlCdcTask, TASK_CLASS};
