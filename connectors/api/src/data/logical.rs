//! Logical types: Decimal, Date, Time and Timestamp, identified by schema name exactly as the
//! Java API (`io.openmessaging.connector.api.data.logical.*`). Kafka Connect's names
//! (`org.apache.kafka.connect.data.*`) are understood too, so envelopes from Kafka tools decode.

use bigdecimal::BigDecimal;
use bigdecimal::num_bigint::BigInt;

use super::schema::FieldType;
use super::value::Value;
use crate::error::ConnectError;

pub const DECIMAL_NAME: &str = "io.openmessaging.connector.api.data.logical.Decimal";
pub const DATE_NAME: &str = "io.openmessaging.connector.api.data.logical.Date";
pub const TIME_NAME: &str = "io.openmessaging.connector.api.data.logical.Time";
pub const TIMESTAMP_NAME: &str = "io.openmessaging.connector.api.data.logical.Timestamp";
/// Schema parameter carrying a Decimal's scale.
pub const DECIMAL_SCALE: &str = "scale";
/// Schema parameter carrying a Decimal's precision (used by `SetMaximumPrecision`).
pub const DECIMAL_PRECISION: &str = "connect.decimal.precision";

const KAFKA_DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";
const KAFKA_DATE: &str = "org.apache.kafka.connect.data.Date";
const KAFKA_TIME: &str = "org.apache.kafka.connect.data.Time";
const KAFKA_TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";

/// Milliseconds in a day.
pub const MILLIS_PER_DAY: i64 = 86_400_000;

/// Which family's names logical types are written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogicalNames {
    /// `io.openmessaging.connector.api.data.logical.*` (the RocketMQ / OpenMessaging API).
    #[default]
    RocketMq,
    /// `org.apache.kafka.connect.data.*` (Kafka Connect).
    Kafka,
}

/// A logical type and its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogicalType {
    /// Arbitrary-precision decimal with a fixed scale; stored as unscaled two's-complement bytes.
    Decimal { scale: i32 },
    /// Days since 1970-01-01 (UTC).
    Date,
    /// Milliseconds since midnight.
    Time,
    /// Milliseconds since the epoch (UTC).
    Timestamp,
}

impl LogicalType {
    /// The logical type a schema with this name, physical type and parameters denotes (worked
    /// out once, when the schema is built).
    pub(crate) fn denoted_by(
        name: Option<&str>,
        field_type: FieldType,
        parameters: &std::collections::BTreeMap<String, String>,
    ) -> Option<Self> {
        match (name?, field_type) {
            (DECIMAL_NAME | KAFKA_DECIMAL, FieldType::Bytes) => {
                let scale = parameters
                    .get(DECIMAL_SCALE)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                Some(Self::Decimal { scale })
            }
            (DATE_NAME | KAFKA_DATE, FieldType::Int32) => Some(Self::Date),
            (TIME_NAME | KAFKA_TIME, FieldType::Int32) => Some(Self::Time),
            (TIMESTAMP_NAME | KAFKA_TIMESTAMP, FieldType::Int64) => Some(Self::Timestamp),
            _ => None,
        }
    }

    /// The full schema name of this logical type in a naming family: a Kafka pipeline writes
    /// `org.apache.kafka.connect.data.*` so Kafka readers see their logical types, a RocketMQ
    /// one `io.openmessaging.connector.api.data.logical.*`; both are understood on read.
    pub fn schema_name(self, names: LogicalNames) -> &'static str {
        match (names, self) {
            (LogicalNames::RocketMq, Self::Decimal { .. }) => DECIMAL_NAME,
            (LogicalNames::RocketMq, Self::Date) => DATE_NAME,
            (LogicalNames::RocketMq, Self::Time) => TIME_NAME,
            (LogicalNames::RocketMq, Self::Timestamp) => TIMESTAMP_NAME,
            (LogicalNames::Kafka, Self::Decimal { .. }) => KAFKA_DECIMAL,
            (LogicalNames::Kafka, Self::Date) => KAFKA_DATE,
            (LogicalNames::Kafka, Self::Time) => KAFKA_TIME,
            (LogicalNames::Kafka, Self::Timestamp) => KAFKA_TIMESTAMP,
        }
    }

    /// The short name used in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Decimal { .. } => "Decimal",
            Self::Date => "Date",
            Self::Time => "Time",
            Self::Timestamp => "Timestamp",
        }
    }

    /// True when `value` is the in-memory form of this logical type.
    pub fn accepts(self, value: &Value) -> bool {
        matches!(
            (self, value),
            (Self::Decimal { .. }, Value::Decimal(_))
                | (Self::Date, Value::Date(_))
                | (Self::Time, Value::Time(_))
                | (Self::Timestamp, Value::Timestamp(_))
        )
    }

    /// Converts the in-memory form to the physical value (bytes / int32 / int64).
    pub fn to_physical(self, value: &Value) -> Result<Value, ConnectError> {
        match (self, value) {
            (Self::Decimal { scale }, Value::Decimal(decimal)) => {
                Ok(Value::Bytes(decimal_to_bytes(decimal, scale)))
            }
            (Self::Date, Value::Date(days)) => Ok(Value::Int32(*days)),
            (Self::Time, Value::Time(millis)) => {
                if (0..MILLIS_PER_DAY).contains(&i64::from(*millis)) {
                    Ok(Value::Int32(*millis))
                } else {
                    Err(ConnectError::data(format!(
                        "Time value {millis} ms is outside a day (0..86400000)"
                    )))
                }
            }
            (Self::Timestamp, Value::Timestamp(millis)) => Ok(Value::Int64(*millis)),
            (_, Value::Null) => Ok(Value::Null),
            (logical, other) => Err(ConnectError::data(format!(
                "expected a {} value, found {}",
                logical.name(),
                other.type_name()
            ))),
        }
    }

    /// Converts a physical value (bytes / int32 / int64) to the in-memory logical form.
    pub fn from_physical(self, value: Value) -> Result<Value, ConnectError> {
        match (self, value) {
            (Self::Decimal { scale }, Value::Bytes(bytes)) => {
                Ok(Value::Decimal(decimal_from_bytes(&bytes, scale)))
            }
            (Self::Date, Value::Int32(days)) => Ok(Value::Date(days)),
            (Self::Time, Value::Int32(millis)) => Ok(Value::Time(millis)),
            (Self::Timestamp, Value::Int64(millis)) => Ok(Value::Timestamp(millis)),
            (_, Value::Null) => Ok(Value::Null),
            (logical, other) => Err(ConnectError::data(format!(
                "cannot read a {} from a {} value",
                logical.name(),
                other.type_name()
            ))),
        }
    }
}

/// Unscaled big-endian two's-complement bytes of `decimal` at `scale` (Java `BigInteger.toByteArray`).
pub fn decimal_to_bytes(decimal: &BigDecimal, scale: i32) -> Vec<u8> {
    let (unscaled, _) = decimal
        .with_scale(i64::from(scale))
        .into_bigint_and_exponent();
    unscaled.to_signed_bytes_be()
}

/// The decimal whose unscaled two's-complement bytes are `bytes`, at `scale`.
pub fn decimal_from_bytes(bytes: &[u8], scale: i32) -> BigDecimal {
    BigDecimal::new(BigInt::from_signed_bytes_be(bytes), i64::from(scale))
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::data::SchemaBuilder;

    /// Decimal bytes are Java-compatible two's complement: 1.00 at scale 2 is unscaled 100 = 0x64.
    #[test]
    fn decimal_bytes_match_java_big_integer() {
        let one = BigDecimal::from_str("1.00").unwrap();
        assert_eq!(decimal_to_bytes(&one, 2), vec![0x64]);
        let minus = BigDecimal::from_str("-1.28").unwrap();
        assert_eq!(decimal_to_bytes(&minus, 2), vec![0x80]);
        assert_eq!(
            decimal_from_bytes(&[0xff, 0x38], 2),
            BigDecimal::from_str("-2.00").unwrap()
        );
    }

    #[test]
    fn logical_type_requires_matching_physical_type() {
        let wrong = SchemaBuilder::string().name(DATE_NAME).build();
        assert_eq!(wrong.logical_type(), None);
        let kafka = SchemaBuilder::int64().name(KAFKA_TIMESTAMP).build();
        assert_eq!(kafka.logical_type(), Some(LogicalType::Timestamp));
    }

    #[test]
    fn time_outside_a_day_is_rejected() {
        assert!(
            LogicalType::Time
                .to_physical(&Value::Time(86_400_000))
                .is_err()
        );
        assert_eq!(
            LogicalType::Time.to_physical(&Value::Time(5)).unwrap(),
            Value::Int32(5)
        );
    }
}
