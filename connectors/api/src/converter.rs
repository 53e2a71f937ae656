//! The [`RecordConverter`] trait: bytes on the wire ⇄ schema and value in memory.

use crate::config::Config;
use crate::data::{Schema, SchemaAndValue, Value};
use crate::error::ConnectResult;

/// Serializes keys or values for RocketMQ and back.
pub trait RecordConverter: Send + Sync {
    /// Configures from `key.converter.*` / `value.converter.*` keys (prefix stripped).
    fn configure(&mut self, _config: &Config, _is_key: bool) -> ConnectResult<()> {
        Ok(())
    }

    /// Serializes `value`; `None` for a null value (no body). (`fromConnectData` in Java.)
    fn encode(
        &self,
        topic: &str,
        schema: Option<&Schema>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>>;

    /// Deserializes bytes (`None`: no body) into a schema and value. (`toConnectData` in Java.)
    fn decode(&self, topic: &str, bytes: Option<&[u8]>) -> ConnectResult<SchemaAndValue>;
}
