//! A captured MySQL table: the shared [`crate::table::CapturedTable`] over binlog/catalog
//! columns.

use connect_api::SchemaRef;

use super::columns::Column;
use super::{source, values};
use crate::config::CdcConfig;
use crate::table::ColumnDef;

/// One MySQL table's layout and schemas.
pub type CapturedTable = crate::table::CapturedTable<Column>;

impl ColumnDef for Column {
    fn name(&self) -> &str {
        &self.name
    }

    fn schema(&self, config: &CdcConfig) -> Option<SchemaRef> {
        Some(values::field_schema(&self.kind, &config.modes))
    }

    fn source_schema() -> SchemaRef {
        source::schema()
    }
}
