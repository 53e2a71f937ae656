//! The [`Transform`] and [`Predicate`] traits: per-record, synchronous, CPU-only steps.

use crate::config::Config;
use crate::config_def::ConfigDef;
use crate::data::ConnectRecord;
use crate::error::ConnectResult;

/// Changes, routes or drops one record at a time.
///
/// Lifecycle: `configure` once (after [`config_def`](Self::config_def) validation), then
/// `apply` per record, then `stop`. `&mut self` lets a transform cache derived schemas.
pub trait Transform: Send {
    /// The keys this transform understands, relative to `transforms.<alias>.`.
    fn config_def(&self) -> ConfigDef;

    /// Takes the (validated) configuration; fails on values only checkable by parsing, such
    /// as a regular expression.
    fn configure(&mut self, config: &Config) -> ConnectResult<()>;

    /// Returns the transformed record, or `None` to drop it.
    fn apply(&mut self, record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>>;

    /// Releases resources (called when the task stops).
    fn stop(&mut self) {}
}

/// A condition on a record, used to apply a transform only to some records (Kafka Connect's
/// predicates: `transforms.<alias>.predicate` and `.negate`).
pub trait Predicate: Send {
    fn config_def(&self) -> ConfigDef;
    fn configure(&mut self, config: &Config) -> ConnectResult<()>;
    fn test(&self, record: &ConnectRecord) -> bool;
}
