//! `Filter`: drops every record it is applied to. Combine with a predicate
//! (`transforms.<alias>.predicate`, optionally `negate`) to drop only some.

use connect_api::config_def::ConfigDef;
use connect_api::{Config, ConnectRecord, ConnectResult, Transform};

#[derive(Debug, Default)]
pub struct Filter;

impl Transform for Filter {
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    fn configure(&mut self, _config: &Config) -> ConnectResult<()> {
        Ok(())
    }
    fn apply(&mut self, _record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        Ok(None)
    }
}
