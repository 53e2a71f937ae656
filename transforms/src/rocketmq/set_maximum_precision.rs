//! `SetMaximumPrecision$Key` / `$Value`: caps the declared precision
//! (`connect.decimal.precision`, 64 when absent) of top-level Decimal fields at
//! `precision.max`, so sinks with a precision limit accept the schema. Values are unchanged.

use connect_api::config_def::{ConfigDef, ConfigType, Validator};
use connect_api::data::SchemaBuilder;
use connect_api::data::logical::DECIMAL_PRECISION;
use connect_api::{Config, ConnectRecord, ConnectResult, LogicalType, SchemaAndValue, Value};

use crate::field_rename::struct_like;
use crate::side::FieldTransform;
use crate::util::{SchemaCache, make_struct};

const DEFAULT_PRECISION: i64 = 64;

#[derive(Debug, Default)]
pub struct SetMaximumPrecision {
    max: i64,
    cache: SchemaCache,
}

impl FieldTransform for SetMaximumPrecision {
    fn config_def() -> ConfigDef {
        ConfigDef::new()
            .required(
                "precision.max",
                ConfigType::Int,
                "Largest precision a Decimal field may declare",
            )
            .validate_with(Validator::Range { min: 1, max: 1000 })
    }

    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.max = config.parse_required("precision.max", "an integer")?;
        Ok(())
    }

    fn transform(
        &mut self,
        data: SchemaAndValue,
        _record: &ConnectRecord,
    ) -> ConnectResult<Option<SchemaAndValue>> {
        let max = self.max;
        match (data.schema, data.value) {
            (Some(schema), Value::Struct(s)) => {
                let out_schema = self.cache.get_or_try_insert(&schema, |input| {
                    let mut builder = struct_like(input);
                    for field in input.fields() {
                        let fs = field.schema();
                        let precision = fs
                            .parameters()
                            .get(DECIMAL_PRECISION)
                            .and_then(|p| p.parse::<i64>().ok())
                            .unwrap_or(DEFAULT_PRECISION);
                        let capped =
                            if matches!(fs.logical_type(), Some(LogicalType::Decimal { .. }))
                                && precision > max
                            {
                                SchemaBuilder::from_schema(fs)
                                    .parameter(DECIMAL_PRECISION, max.to_string())
                                    .build()
                            } else {
                                fs.clone()
                            };
                        builder = builder.field(field.name(), capped)?;
                    }
                    Ok(builder.build())
                })?;
                let values = s.into_values();
                Ok(Some(SchemaAndValue::new(
                    Some(out_schema.clone()),
                    make_struct(out_schema, values)?,
                )))
            }
            (schema, value) => Ok(Some(SchemaAndValue::new(schema, value))),
        }
    }
}
