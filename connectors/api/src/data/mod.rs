//! The data model: schemas, values, structs, logical types and records.

mod builder;
pub mod logical;
mod record;
mod schema;
mod struct_;
mod value;

pub use builder::{SchemaBuilder, logical_schema, optional_copy};
pub use logical::{LogicalNames, LogicalType};
pub use record::{
    ConnectRecord, Extensions, RecordOffset, RecordPartition, RecordPosition, SchemaAndValue,
    TOPIC_EXTENSION,
};
pub use schema::{Field, FieldType, Schema, SchemaRef};
pub use struct_::Struct;
pub use value::Value;
