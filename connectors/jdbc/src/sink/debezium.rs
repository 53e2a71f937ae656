//! Debezium's semantic types, as CDC records carry them (`io.debezium.time.*`), turned into the
//! Connect logical types the dialects know how to create and bind — so a change stream
//! unwrapped by `ExtractNewRecordState` lands in DATE / TIME / TIMESTAMP columns, not in
//! integers. Values the target type cannot hold (a MicroTime beyond a day) are left as they are.

use std::borrow::Cow;

use chrono::DateTime;
use connect_api::data::logical::MILLIS_PER_DAY;
use connect_api::{Schema, SchemaBuilder, Value};

use super::plan::FieldValue;

const DATE: &str = "io.debezium.time.Date";
const TIME: &str = "io.debezium.time.Time";
const MICRO_TIME: &str = "io.debezium.time.MicroTime";
const TIMESTAMP: &str = "io.debezium.time.Timestamp";
const MICRO_TIMESTAMP: &str = "io.debezium.time.MicroTimestamp";
const ZONED_TIMESTAMP: &str = "io.debezium.time.ZonedTimestamp";

/// True for the schemas [`normalize`] changes: Debezium's time types.
pub fn is_debezium_time(schema: &Schema) -> bool {
    matches!(
        schema.name(),
        Some(DATE | TIME | MICRO_TIME | TIMESTAMP | MICRO_TIMESTAMP | ZONED_TIMESTAMP)
    )
}

/// The Connect logical type a Debezium time becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logical {
    Date,
    Time,
    Timestamp,
}

impl Logical {
    fn builder(self) -> SchemaBuilder {
        match self {
            Logical::Date => SchemaBuilder::date(),
            Logical::Time => SchemaBuilder::time(),
            Logical::Timestamp => SchemaBuilder::timestamp(),
        }
    }
}

/// A value of a Debezium time schema as the Connect logical type and value it stands for;
/// `None` for other schemas and for values the logical type cannot hold (they stay as they
/// are).
pub fn convert(schema: &Schema, value: &Value) -> Option<(Logical, Value)> {
    let name = schema.name()?;
    Some(match (name, value) {
        (DATE, Value::Int32(days)) => (Logical::Date, Value::Date(*days)),
        (TIME, Value::Int32(ms)) => (Logical::Time, Value::Time(*ms)),
        (MICRO_TIME, Value::Int64(us)) if (0..MILLIS_PER_DAY * 1000).contains(us) => {
            (Logical::Time, Value::Time((us / 1000) as i32))
        }
        (TIMESTAMP, Value::Int64(ms)) => (Logical::Timestamp, Value::Timestamp(*ms)),
        (MICRO_TIMESTAMP, Value::Int64(us)) => {
            (Logical::Timestamp, Value::Timestamp(us.div_euclid(1000)))
        }
        (ZONED_TIMESTAMP, Value::String(text)) => {
            let at = DateTime::parse_from_rfc3339(text).ok()?;
            (Logical::Timestamp, Value::Timestamp(at.timestamp_millis()))
        }
        (DATE, Value::Null) => (Logical::Date, Value::Null),
        (TIME | MICRO_TIME, Value::Null) => (Logical::Time, Value::Null),
        (TIMESTAMP | MICRO_TIMESTAMP | ZONED_TIMESTAMP, Value::Null) => {
            (Logical::Timestamp, Value::Null)
        }
        _ => return None,
    })
}

/// The field with Debezium's time types as Connect Date / Time / Timestamp (milliseconds).
pub fn normalize(field: FieldValue<'_>) -> FieldValue<'_> {
    let Some((logical, value)) = convert(&field.schema, &field.value) else {
        return field;
    };
    FieldValue {
        schema: logical
            .builder()
            .optional_if(field.schema.is_optional())
            .build(),
        name: field.name,
        value: Cow::Owned(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, schema: SchemaBuilder, value: Value) -> FieldValue<'static> {
        FieldValue {
            name: "f".into(),
            value: Cow::Owned(value),
            schema: schema.name(name).optional().build(),
        }
    }

    /// Each Debezium time type becomes the Connect logical type with the same instant.
    #[test]
    fn debezium_times_become_logical_types() {
        let date = normalize(field(DATE, SchemaBuilder::int32(), Value::Int32(19782)));
        assert_eq!(*date.value, Value::Date(19782));
        assert_eq!(
            date.schema.logical_type(),
            Some(connect_api::LogicalType::Date)
        );
        let micro = normalize(field(
            MICRO_TIMESTAMP,
            SchemaBuilder::int64(),
            Value::Int64(1_655_207_871_123_456),
        ));
        assert_eq!(*micro.value, Value::Timestamp(1_655_207_871_123));
        let zoned = normalize(field(
            ZONED_TIMESTAMP,
            SchemaBuilder::string(),
            Value::String("2022-06-14T11:57:51.5Z".into()),
        ));
        assert_eq!(*zoned.value, Value::Timestamp(1_655_207_871_500));
        let time = normalize(field(
            MICRO_TIME,
            SchemaBuilder::int64(),
            Value::Int64(45_000_500_000),
        ));
        assert_eq!(*time.value, Value::Time(45_000_500));
        // Beyond a day a TIME cannot be a Connect Time: left as microseconds.
        let long = normalize(field(
            MICRO_TIME,
            SchemaBuilder::int64(),
            Value::Int64(3_020_399_000_000),
        ));
        assert_eq!(*long.value, Value::Int64(3_020_399_000_000));
        let null = normalize(field(TIMESTAMP, SchemaBuilder::int64(), Value::Null));
        assert_eq!(
            null.schema.logical_type(),
            Some(connect_api::LogicalType::Timestamp)
        );
    }
}
