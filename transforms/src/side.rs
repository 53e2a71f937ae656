//! Key/Value variants: most transforms work on "the key" or "the value" of a record, selected
//! by class name (`…$Key` / `…$Value`). [`FieldTransform`] is written once against a
//! schema-and-value; [`OnSide`] applies it to the chosen side of a record.

use connect_api::config_def::ConfigDef;
use connect_api::{Config, ConnectRecord, ConnectResult, SchemaAndValue, Transform};

/// Which part of the record a transform works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Key,
    Value,
}

/// A transform of one side of a record.
pub trait FieldTransform: Send + Default + 'static {
    /// Keys relative to `transforms.<alias>.`.
    fn config_def() -> ConfigDef;

    /// Takes the validated configuration.
    fn configure(&mut self, config: &Config) -> ConnectResult<()>;

    /// Transforms `data` (the record's key or value, already taken out of `record`).
    /// `None` drops the whole record.
    fn transform(
        &mut self,
        data: SchemaAndValue,
        record: &ConnectRecord,
    ) -> ConnectResult<Option<SchemaAndValue>>;
}

/// Applies a [`FieldTransform`] to the key or the value.
#[derive(Debug, Default)]
pub struct OnSide<T> {
    side: Option<Side>,
    inner: T,
}

impl<T: FieldTransform> OnSide<T> {
    pub fn new(side: Side) -> Self {
        Self {
            side: Some(side),
            inner: T::default(),
        }
    }
}

impl<T: FieldTransform> Transform for OnSide<T> {
    fn config_def(&self) -> ConfigDef {
        T::config_def()
    }

    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.inner.configure(config)
    }

    fn apply(&mut self, mut record: ConnectRecord) -> ConnectResult<Option<ConnectRecord>> {
        let side = self.side.unwrap_or(Side::Value);
        let data = match side {
            Side::Key => record.take_key(),
            Side::Value => record.take_value(),
        };
        let Some(out) = self.inner.transform(data, &record)? else {
            return Ok(None);
        };
        match side {
            Side::Key => {
                record.key_schema = out.schema;
                record.key = out.value;
            }
            Side::Value => {
                record.value_schema = out.schema;
                record.value = out.value;
            }
        }
        Ok(Some(record))
    }
}

/// Factory helpers for the registry.
pub fn key<T: FieldTransform>() -> Box<dyn Transform> {
    Box::new(OnSide::<T>::new(Side::Key))
}

pub fn value<T: FieldTransform>() -> Box<dyn Transform> {
    Box::new(OnSide::<T>::new(Side::Value))
}
