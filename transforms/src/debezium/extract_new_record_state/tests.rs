//! Cases after Debezium 1.7's `ExtractNewRecordStateTest` (inputs and expected outputs), on
//! envelopes shaped like the CDC connector's.

use connect_api::data::SchemaBuilder;
use connect_api::{Config, ConnectRecord, SchemaRef, Struct, Transform, Value};

use super::ExtractNewRecordState;

fn row_schema() -> SchemaRef {
    SchemaBuilder::struct_()
        .name("dummy.Value")
        .field("id", SchemaBuilder::int8().optional().build())
        .unwrap()
        .optional()
        .build()
}

fn source_schema() -> SchemaRef {
    SchemaBuilder::struct_()
        .name("source")
        .field("lsn", SchemaBuilder::int32().optional().build())
        .unwrap()
        .field("db", SchemaBuilder::string().optional().build())
        .unwrap()
        .field("table", SchemaBuilder::string().optional().build())
        .unwrap()
        .optional()
        .build()
}

fn envelope_schema() -> SchemaRef {
    SchemaBuilder::struct_()
        .name("dummy.Envelope")
        .field("before", row_schema())
        .unwrap()
        .field("after", row_schema())
        .unwrap()
        .field("source", source_schema())
        .unwrap()
        .field("op", SchemaBuilder::string().optional().build())
        .unwrap()
        .field("ts_ms", SchemaBuilder::int64().optional().build())
        .unwrap()
        .optional()
        .build()
}

fn row(id: i8) -> Struct {
    let mut s = Struct::new(row_schema()).unwrap();
    s.put("id", id).unwrap();
    s
}

fn change(op: &str, before: Option<i8>, after: Option<i8>) -> ConnectRecord {
    let mut source = Struct::new(source_schema()).unwrap();
    source.put("lsn", 1234_i32).unwrap();
    source.put("db", "inventory").unwrap();
    source.put("table", "customers").unwrap();
    let mut envelope = Struct::new(envelope_schema()).unwrap();
    if let Some(b) = before {
        envelope.put("before", row(b)).unwrap();
    }
    if let Some(a) = after {
        envelope.put("after", row(a)).unwrap();
    }
    envelope.put("source", source).unwrap();
    envelope.put("op", op).unwrap();
    envelope.put("ts_ms", 12_345_i64).unwrap();
    let mut record = ConnectRecord::default().with_value(Some(envelope_schema()), envelope);
    record.set_topic("dummy");
    record
}

fn transform(pairs: &[(&str, &str)]) -> ExtractNewRecordState {
    let config = pairs.iter().fold(Config::new(), |c, (k, v)| c.with(*k, *v));
    let mut t = ExtractNewRecordState::default();
    t.configure(&config).unwrap();
    t
}

fn id_of(record: &ConnectRecord) -> Option<&Value> {
    record.value.as_struct().and_then(|s| s.get("id"))
}

/// Defaults: tombstones and deletes are dropped, creates become their `after` row with the
/// row schema.
#[test]
fn defaults_drop_tombstones_and_deletes() {
    let mut t = transform(&[]);
    assert!(t.apply(ConnectRecord::default()).unwrap().is_none());
    assert!(t.apply(change("d", Some(1), None)).unwrap().is_none());
    let out = t.apply(change("c", None, Some(1))).unwrap().unwrap();
    assert_eq!(id_of(&out), Some(&Value::Int8(1)));
    assert_eq!(out.value_schema.unwrap().name(), Some("dummy.Value"));
}

/// `drop.tombstones=false` keeps tombstones; `delete.handling.mode=none` keeps a delete as a
/// null value with the row schema.
#[test]
fn tombstones_and_deletes_kept() {
    let mut t = transform(&[
        ("drop.tombstones", "false"),
        ("delete.handling.mode", "none"),
    ]);
    let tombstone = t.apply(ConnectRecord::default()).unwrap().unwrap();
    assert!(tombstone.is_tombstone());
    let delete = t.apply(change("d", Some(1), None)).unwrap().unwrap();
    assert!(delete.value.is_null());
    assert_eq!(delete.value_schema.unwrap().name(), Some("dummy.Value"));
}

/// `rewrite` turns a delete into its `before` row with `__deleted: "true"`, others "false".
#[test]
fn rewrite_marks_deletes() {
    let mut t = transform(&[("delete.handling.mode", "rewrite")]);
    let delete = t.apply(change("d", Some(1), None)).unwrap().unwrap();
    let value = delete.value.as_struct().unwrap();
    assert_eq!(value.get("id"), Some(&Value::Int8(1)));
    assert_eq!(value.get("__deleted"), Some(&Value::String("true".into())));
    let create = t.apply(change("c", None, Some(2))).unwrap().unwrap();
    assert_eq!(
        create.value.as_struct().unwrap().get("__deleted"),
        Some(&Value::String("false".into()))
    );
}

/// `add.fields`: `op` from the envelope, bare names from `source`, `source.x` named
/// `__source_x`, `x:NEW` named `__NEW`; the prefix is configurable.
#[test]
fn add_fields_names_and_sources() {
    let mut t = transform(&[("add.fields", "op,table,source.lsn,ts_ms:EVENT_TS")]);
    let out = t.apply(change("c", None, Some(1))).unwrap().unwrap();
    let value = out.value.as_struct().unwrap();
    assert_eq!(value.get("__op"), Some(&Value::String("c".into())));
    assert_eq!(
        value.get("__table"),
        Some(&Value::String("customers".into()))
    );
    assert_eq!(value.get("__source_lsn"), Some(&Value::Int32(1234)));
    assert_eq!(value.get("__EVENT_TS"), Some(&Value::Int64(12_345)));
    let names: Vec<&str> = value.schema().fields().iter().map(|f| f.name()).collect();
    assert_eq!(
        names,
        ["id", "__op", "__table", "__source_lsn", "__EVENT_TS"]
    );
    let mut prefixed = transform(&[("add.fields", "op"), ("add.fields.prefix", "prefix.")]);
    let out = prefixed
        .apply(change("u", Some(1), Some(1)))
        .unwrap()
        .unwrap();
    assert_eq!(
        out.value.as_struct().unwrap().get("prefix.op"),
        Some(&Value::String("u".into()))
    );
}

/// `add.headers` as in the Java README (`op,source.db,source.table`): headers `__op`,
/// `__source_db`, `__source_table`, added to deletes too.
#[test]
fn add_headers_as_the_java_readme() {
    let mut t = transform(&[
        ("add.headers", "op,source.db,source.table"),
        ("delete.handling.mode", "none"),
    ]);
    let out = t.apply(change("c", None, Some(1))).unwrap().unwrap();
    assert_eq!(out.extensions.get("__op"), Some("c"));
    assert_eq!(out.extensions.get("__source_db"), Some("inventory"));
    assert_eq!(out.extensions.get("__source_table"), Some("customers"));
    let delete = t.apply(change("d", Some(1), None)).unwrap().unwrap();
    assert_eq!(delete.extensions.get("__op"), Some("d"));
}

/// Records that are not envelopes (heartbeats, schema changes) pass through unchanged.
#[test]
fn non_envelopes_pass_through() {
    let schema = SchemaBuilder::struct_()
        .name("io.debezium.connector.common.Heartbeat")
        .field("ts_ms", SchemaBuilder::int64().optional().build())
        .unwrap()
        .build();
    let mut value = Struct::new(schema.clone()).unwrap();
    value.put("ts_ms", 1_i64).unwrap();
    let record = ConnectRecord::default().with_value(Some(schema), value);
    let mut t = transform(&[("add.fields", "op")]);
    assert_eq!(t.apply(record.clone()).unwrap().unwrap(), record);
}
