//! The ByteArray converter (`…converter.record.ByteArrayConverter`): bytes pass through.

use connect_api::{
    ConnectError, ConnectResult, FieldType, RecordConverter, Schema, SchemaAndValue, SchemaBuilder,
    SchemaRef, Value,
};

/// Bytes unchanged; the value must be BYTES (or schemaless bytes).
#[derive(Debug)]
pub struct ByteArrayConverter {
    schema: SchemaRef,
}

impl Default for ByteArrayConverter {
    fn default() -> Self {
        Self {
            schema: SchemaBuilder::bytes().optional().build(),
        }
    }
}

impl RecordConverter for ByteArrayConverter {
    fn encode(
        &self,
        _topic: &str,
        schema: Option<&Schema>,
        value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        if let Some(schema) = schema
            && (schema.field_type() != FieldType::Bytes || schema.logical_type().is_some())
        {
            return Err(ConnectError::data(format!(
                "the ByteArray converter needs a bytes schema, got {}",
                schema.describe()
            )));
        }
        match value {
            Value::Null => Ok(None),
            Value::Bytes(bytes) => Ok(Some(bytes.clone())),
            other => Err(ConnectError::data(format!(
                "the ByteArray converter needs a bytes value, got {}",
                other.type_name()
            ))),
        }
    }

    fn decode(&self, _topic: &str, bytes: Option<&[u8]>) -> ConnectResult<SchemaAndValue> {
        let value = bytes.map_or(Value::Null, |b| Value::Bytes(b.to_vec()));
        Ok(SchemaAndValue::new(Some(self.schema.clone()), value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_pass_through_and_other_types_are_rejected() {
        let c = ByteArrayConverter::default();
        let out = c
            .encode("t", None, &Value::Bytes(vec![0, 1, 255]))
            .unwrap()
            .unwrap();
        assert_eq!(out, vec![0, 1, 255]);
        assert_eq!(
            c.decode("t", Some(&out)).unwrap().value,
            Value::Bytes(out.clone())
        );
        assert!(c.encode("t", None, &Value::from("text")).is_err());
        let int_schema = SchemaBuilder::int32().build();
        assert!(
            c.encode("t", Some(&int_schema), &Value::Bytes(vec![1]))
                .is_err()
        );
    }
}
