//! The Kafka Connect single message transforms users expect, under their Kafka class names
//! (`org.apache.kafka.connect.transforms.*`). Where Kafka speaks of partitions, offsets and
//! headers, these read the RocketMQ equivalents: `queueId`, `queueOffset`, extensions.

mod cast;
mod extract_field;
mod filter;
mod flatten;
mod header_from;
mod headers;
mod hoist_field;
mod insert_field;
mod mask_field;
mod replace_field;
mod set_schema_metadata;
pub(crate) mod timestamp_converter;
mod timestamp_router;
mod value_to_key;

pub use cast::Cast;
pub use extract_field::ExtractField;
pub use filter::Filter;
pub use flatten::Flatten;
pub use header_from::HeaderFrom;
pub use headers::{DropHeaders, InsertHeader};
pub use hoist_field::HoistField;
pub use insert_field::InsertField;
pub use mask_field::MaskField;
pub use replace_field::ReplaceField;
pub use set_schema_metadata::SetSchemaMetadata;
pub use timestamp_converter::TimestampConverter;
pub use timestamp_router::TimestampRouter;
pub use value_to_key::ValueToKey;
