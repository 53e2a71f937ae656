//! Kafka's ExtractFieldTest, HoistFieldTest, InsertFieldTest, ReplaceFieldTest and
//! ValueToKeyTest.

use connect_api::{ConnectRecord, SchemaAndValue, SchemaBuilder, SchemaRef, Struct, Value};

use super::{K, key_after, smt, value_after};
use crate::tests::{map, record, single_errors};

fn int32() -> SchemaRef {
    SchemaBuilder::int32().required().build()
}

fn optional_with_default() -> SchemaRef {
    SchemaBuilder::int32()
        .optional()
        .default_value(Value::Int32(42))
        .unwrap()
        .build()
}

/// A one-field struct `{name: null}` whose field is an optional int32 with default 42.
fn unset_optional(name: &str) -> (SchemaRef, Value) {
    let schema = SchemaBuilder::struct_()
        .required()
        .field(name, optional_with_default())
        .unwrap()
        .build();
    let value = Value::Struct(Struct::from_values(schema.clone(), vec![Value::Null]).unwrap());
    (schema, value)
}

#[test]
fn extract_field_by_name_and_by_nested_path() {
    let v1 = |extra: &[(&str, &str)]| {
        let mut config = vec![("field", "magic")];
        config.extend_from_slice(extra);
        smt("ExtractField$Key", &config)
    };
    let keyed = key_after(
        &mut v1(&[]),
        SchemaAndValue::new(None, map(&[("magic", Value::Int32(42))])),
    );
    assert_eq!((keyed.key_schema, keyed.key), (None, Value::Int32(42)));

    let mut v2 = smt(
        "ExtractField$Key",
        &[("field", "magic.foo"), ("field.syntax.version", "v2")],
    );
    let keyed = key_after(
        &mut v2,
        SchemaAndValue::new(None, map(&[("magic", map(&[("foo", Value::Int32(42))]))])),
    );
    assert_eq!((keyed.key_schema, keyed.key), (None, Value::Int32(42)));

    let keyed = key_after(&mut v1(&[]), SchemaAndValue::null());
    assert_eq!((keyed.key_schema, keyed.key), (None, Value::Null));

    let schema = SchemaBuilder::struct_()
        .required()
        .field("magic", int32())
        .unwrap()
        .build();
    let value = Value::Struct(Struct::from_values(schema.clone(), vec![Value::Int32(42)]).unwrap());
    let keyed = key_after(
        &mut v1(&[]),
        SchemaAndValue::new(Some(schema.clone()), value.clone()),
    );
    assert_eq!(
        (keyed.key_schema, keyed.key),
        (Some(int32()), Value::Int32(42))
    );

    let inner = SchemaBuilder::struct_()
        .required()
        .field("foo", int32())
        .unwrap()
        .build();
    let nested = SchemaBuilder::struct_()
        .required()
        .field("magic", inner.clone())
        .unwrap()
        .build();
    let nested_value = Value::Struct(
        Struct::from_values(
            nested.clone(),
            vec![Value::Struct(
                Struct::from_values(inner, vec![Value::Int32(42)]).unwrap(),
            )],
        )
        .unwrap(),
    );
    let keyed = key_after(
        &mut v2,
        SchemaAndValue::new(Some(nested.clone()), nested_value),
    );
    assert_eq!(
        (keyed.key_schema, keyed.key),
        (Some(int32()), Value::Int32(42))
    );

    // A null optional struct gives a null of the field's schema.
    let optional = SchemaBuilder::struct_()
        .optional()
        .field("magic", int32())
        .unwrap()
        .build();
    let keyed = key_after(
        &mut v1(&[]),
        SchemaAndValue::new(Some(optional), Value::Null),
    );
    assert_eq!((keyed.key_schema, keyed.key), (Some(int32()), Value::Null));

    // A missing key of a map is a null; a missing field of a schema is an error.
    let mut missing = smt("ExtractField$Key", &[("field", "nonexistent")]);
    let keyed = key_after(
        &mut missing,
        SchemaAndValue::new(None, map(&[("magic", Value::Int32(42))])),
    );
    assert_eq!((keyed.key_schema, keyed.key), (None, Value::Null));
    let mut missing_v2 = smt(
        "ExtractField$Key",
        &[
            ("field", "magic.nonexistent"),
            ("field.syntax.version", "V2"),
        ],
    );
    let keyed = key_after(
        &mut missing_v2,
        SchemaAndValue::new(None, map(&[("magic", map(&[("foo", Value::Int32(42))]))])),
    );
    assert_eq!(keyed.key, Value::Null);
    for (t, path) in [
        (&mut missing, "nonexistent"),
        (&mut missing_v2, "magic.nonexistent"),
    ] {
        let r = record(None, Value::Null).with_key(Some(schema.clone()), value.clone());
        let err = t.apply(r).unwrap_err().to_string();
        assert!(err.contains(&format!("Unknown field: {path}")), "{err}");
    }
}

#[test]
fn extract_field_syntax_version_values() {
    let class = format!("{K}ExtractField$Value");
    for ok in ["v1", "v2", "V1", "V2"] {
        assert!(
            single_errors(&class, &[("field", "a"), ("field.syntax.version", ok)]).is_empty(),
            "{ok}"
        );
    }
    for bad in ["v3", "V 1", "v", "V 2", "2", "1"] {
        assert_eq!(
            single_errors(&class, &[("field", "a"), ("field.syntax.version", bad)]),
            ["transforms.t.field.syntax.version"],
            "{bad}"
        );
    }
    // An unclosed backtick in a V2 path names the field key.
    assert_eq!(
        single_errors(
            &class,
            &[("field", "foo.`bar"), ("field.syntax.version", "V2")]
        ),
        ["transforms.t.field"]
    );
}

#[test]
fn extract_field_of_an_unset_optional_field() {
    for key in [false, true] {
        for (replace, expected) in [("true", Value::Int32(42)), ("false", Value::Null)] {
            let class = if key {
                "ExtractField$Key"
            } else {
                "ExtractField$Value"
            };
            let mut t = smt(
                class,
                &[
                    ("field", "optional_with_default"),
                    ("replace.null.with.default", replace),
                ],
            );
            let (schema, value) = unset_optional("optional_with_default");
            let out = if key {
                let r = key_after(&mut t, SchemaAndValue::new(Some(schema), value));
                SchemaAndValue::new(r.key_schema, r.key)
            } else {
                value_after(&mut t, SchemaAndValue::new(Some(schema), value))
            };
            assert_eq!(out.value, expected, "{class} replace={replace}");
            assert_eq!(out.schema, Some(optional_with_default()));
        }
    }
}

#[test]
fn hoist_field_wraps_the_key() {
    let mut t = smt("HoistField$Key", &[("field", "magic")]);
    let keyed = key_after(&mut t, SchemaAndValue::new(None, Value::Int32(42)));
    assert_eq!(
        (keyed.key_schema, keyed.key),
        (None, map(&[("magic", Value::Int32(42))]))
    );

    let keyed = key_after(&mut t, SchemaAndValue::new(Some(int32()), Value::Int32(42)));
    let wrapper = keyed.key_schema.unwrap();
    assert!(!wrapper.is_optional());
    assert_eq!(wrapper.name(), None);
    assert_eq!(wrapper.field("magic").unwrap().schema(), &int32());
    assert_eq!(
        keyed.key.as_struct().unwrap().get("magic"),
        Some(&Value::Int32(42))
    );

    // An optional null is wrapped (no longer a tombstone); a required null cannot be.
    let optional = SchemaBuilder::int32().optional().build();
    let keyed = key_after(&mut t, SchemaAndValue::new(Some(optional), Value::Null));
    assert_eq!(
        keyed.key.as_struct().unwrap().get("magic"),
        Some(&Value::Null)
    );
    let r = record(None, Value::Null).with_key(Some(int32()), Value::Null);
    assert!(t.apply(r).is_err());
    let keyed = key_after(&mut t, SchemaAndValue::null());
    assert_eq!(keyed.key, map(&[("magic", Value::Null)]));
}

fn insert_config() -> Vec<(&'static str, &'static str)> {
    vec![
        ("topic.field", "topic_field!"),
        ("partition.field", "partition_field"),
        ("timestamp.field", "timestamp_field?"),
        ("static.field", "instance_id"),
        ("static.value", "my-instance-id"),
    ]
}

/// Topic "test", queue (Kafka's partition) `queue`, timestamp `ts`.
fn at(r: ConnectRecord, queue: i32, ts: Option<i64>) -> ConnectRecord {
    let mut r = r;
    r.position.partition.insert("queueId", queue.to_string());
    r.set_topic("test");
    r.timestamp = ts;
    r
}

#[test]
fn insert_field_with_a_schema() {
    let schema = SchemaBuilder::struct_()
        .required()
        .name("name")
        .version(1)
        .doc("doc")
        .field("magic", SchemaBuilder::int64().optional().build())
        .unwrap()
        .build();
    let value = Value::Struct(Struct::from_values(schema.clone(), vec![Value::Int64(42)]).unwrap());
    let mut t = smt("InsertField$Value", &insert_config());
    let out = t
        .apply(at(
            record(Some(schema.clone()), value.clone()),
            0,
            Some(789),
        ))
        .unwrap()
        .unwrap();
    let out_schema = out.value_schema.clone().unwrap();
    assert_eq!(
        (out_schema.name(), out_schema.version(), out_schema.doc()),
        (Some("name"), Some(1), Some("doc"))
    );
    let s = out.value.as_struct().unwrap();
    assert_eq!(s.get("magic"), Some(&Value::Int64(42)));
    let field = |name: &str| out_schema.field(name).unwrap().schema().clone();
    assert!(!field("topic_field").is_optional());
    assert_eq!(s.get_string("topic_field").unwrap(), Some("test"));
    assert!(field("partition_field").is_optional());
    assert_eq!(s.get("partition_field"), Some(&Value::Int32(0)));
    assert!(field("timestamp_field").is_optional());
    assert_eq!(s.get("timestamp_field"), Some(&Value::Timestamp(789)));
    assert_eq!(s.get_string("instance_id").unwrap(), Some("my-instance-id"));
    // The next record of the same schema gets the same output schema.
    let again = t
        .apply(at(record(Some(schema), value), 1, Some(789)))
        .unwrap()
        .unwrap();
    assert!(std::sync::Arc::ptr_eq(
        again.value_schema.as_ref().unwrap(),
        &out_schema
    ));

    // A value that is no struct or map is refused; tombstones pass.
    let mut topic_only = smt("InsertField$Value", &[("topic.field", "topic_field")]);
    assert!(
        topic_only
            .apply(record(Some(int32()), Value::Int32(42)))
            .is_err()
    );
    let out = t
        .apply(at(record(None, Value::Null), 0, Some(1)))
        .unwrap()
        .unwrap();
    assert!(out.value.is_null());
}

#[test]
fn insert_field_without_a_schema_and_into_keys() {
    let mut t = smt("InsertField$Value", &insert_config());
    let out = t
        .apply(at(
            record(None, map(&[("magic", Value::Int64(42))])),
            0,
            Some(123),
        ))
        .unwrap()
        .unwrap();
    assert_eq!(out.value.map_get("magic"), Some(&Value::Int64(42)));
    assert_eq!(out.value.map_get("topic_field"), Some(&Value::from("test")));
    assert_eq!(out.value.map_get("partition_field"), Some(&Value::Int32(0)));
    assert_eq!(
        out.value.map_get("instance_id"),
        Some(&Value::from("my-instance-id"))
    );
    // Schemaless, the timestamp is a plain long (as Kafka).
    assert_eq!(
        out.value.map_get("timestamp_field"),
        Some(&Value::Int64(123))
    );

    let mut t = smt("InsertField$Key", &insert_config());
    let r = at(
        record(None, Value::Null).with_key(None, map(&[("magic", Value::Int64(42))])),
        0,
        None,
    );
    let out = t.apply(r).unwrap().unwrap();
    assert_eq!(out.key.map_get("topic_field"), Some(&Value::from("test")));
    // No timestamp on the record: no timestamp key at all.
    assert_eq!(out.key.map_get("timestamp_field"), None);
    assert!(out.value.is_null());
    // A null key leaves the record as it was.
    let r = at(record(None, map(&[("a", Value::Int32(1))])), 0, Some(1));
    assert_eq!(t.apply(r.clone()).unwrap().unwrap(), r);
}

#[test]
fn insert_field_copies_an_unset_optional_field() {
    let schema = SchemaBuilder::struct_()
        .required()
        .name("name")
        .version(1)
        .doc("doc")
        .field(
            "magic_with_default",
            SchemaBuilder::int64()
                .optional()
                .default_value(Value::Int64(42))
                .unwrap()
                .build(),
        )
        .unwrap()
        .build();
    for (replace, expected) in [("true", Value::Int64(42)), ("false", Value::Null)] {
        let mut config = insert_config();
        config.push(("replace.null.with.default", replace));
        let mut t = smt("InsertField$Value", &config);
        let value = Value::Struct(Struct::from_values(schema.clone(), vec![Value::Null]).unwrap());
        let out = t
            .apply(at(record(Some(schema.clone()), value), 0, Some(789)))
            .unwrap()
            .unwrap();
        let s = out.value.as_struct().unwrap();
        assert_eq!(
            s.get_without_default("magic_with_default"),
            Some(&expected),
            "replace={replace}"
        );
    }
}

#[test]
fn replace_field_includes_excludes_and_renames() {
    let mut t = smt(
        "ReplaceField$Value",
        &[("exclude", "dont"), ("renames", "abc:xyz,foo:bar")],
    );
    let input = map(&[
        ("dont", Value::from("whatever")),
        ("abc", Value::Int32(42)),
        ("foo", Value::Boolean(true)),
        ("etc", Value::from("etc")),
    ]);
    let out = value_after(&mut t, SchemaAndValue::new(None, input));
    assert_eq!(
        out.value,
        map(&[
            ("xyz", Value::Int32(42)),
            ("bar", Value::Boolean(true)),
            ("etc", Value::from("etc"))
        ])
    );

    let schema = SchemaBuilder::struct_()
        .required()
        .field("dont", SchemaBuilder::string().required().build())
        .unwrap()
        .field("abc", int32())
        .unwrap()
        .field("foo", SchemaBuilder::bool().required().build())
        .unwrap()
        .field("etc", SchemaBuilder::string().required().build())
        .unwrap()
        .build();
    let value = Struct::from_values(
        schema.clone(),
        vec![
            Value::from("whatever"),
            Value::Int32(42),
            Value::Boolean(true),
            Value::from("etc"),
        ],
    )
    .unwrap();
    let mut t = smt(
        "ReplaceField$Value",
        &[("include", "abc,foo"), ("renames", "abc:xyz,foo:bar")],
    );
    let out = value_after(
        &mut t,
        SchemaAndValue::new(Some(schema.clone()), Value::Struct(value)),
    );
    let s = out.value.as_struct().unwrap();
    assert_eq!(s.schema().fields().len(), 2);
    assert_eq!(s.get("xyz"), Some(&Value::Int32(42)));
    assert_eq!(s.get("bar"), Some(&Value::Boolean(true)));
    // Tombstones pass, schema and all.
    let out = value_after(
        &mut t,
        SchemaAndValue::new(Some(schema.clone()), Value::Null),
    );
    assert_eq!(out, SchemaAndValue::new(Some(schema), Value::Null));
    assert_eq!(
        value_after(&mut t, SchemaAndValue::null()),
        SchemaAndValue::null()
    );
}

#[test]
fn replace_field_renames_are_pairs() {
    let class = format!("{K}ReplaceField$Value");
    for bad in ["a:b:c", "a:", "a"] {
        assert_eq!(
            single_errors(&class, &[("renames", bad)]),
            ["transforms.t.renames"],
            "{bad}"
        );
    }
}

#[test]
fn replace_field_copies_an_unset_optional_field() {
    for key in [false, true] {
        for (replace, expected) in [("true", Value::Int32(42)), ("false", Value::Null)] {
            let class = if key {
                "ReplaceField$Key"
            } else {
                "ReplaceField$Value"
            };
            let mut t = smt(
                class,
                &[
                    ("include", "abc"),
                    ("renames", "abc:optional_with_default"),
                    ("replace.null.with.default", replace),
                ],
            );
            let (schema, value) = unset_optional("abc");
            let out = if key {
                let r = key_after(&mut t, SchemaAndValue::new(Some(schema), value));
                r.key
            } else {
                value_after(&mut t, SchemaAndValue::new(Some(schema), value)).value
            };
            let s = out.as_struct().unwrap();
            assert_eq!(s.schema().fields().len(), 1);
            assert_eq!(
                s.get_without_default("optional_with_default"),
                Some(&expected),
                "{class} replace={replace}"
            );
        }
    }
}

#[test]
fn value_to_key() {
    let mut t = smt("ValueToKey", &[("fields", "a,b")]);
    let out = t
        .apply(record(
            None,
            map(&[
                ("a", Value::Int32(1)),
                ("b", Value::Int32(2)),
                ("c", Value::Int32(3)),
            ]),
        ))
        .unwrap()
        .unwrap();
    assert_eq!(
        (out.key_schema, out.key),
        (None, map(&[("a", Value::Int32(1)), ("b", Value::Int32(2))]))
    );

    let schema = SchemaBuilder::struct_()
        .required()
        .field("a", int32())
        .unwrap()
        .field("b", int32())
        .unwrap()
        .field("c", int32())
        .unwrap()
        .build();
    let value = Value::Struct(
        Struct::from_values(
            schema.clone(),
            vec![Value::Int32(1), Value::Int32(2), Value::Int32(3)],
        )
        .unwrap(),
    );
    let out = t
        .apply(record(Some(schema.clone()), value.clone()))
        .unwrap()
        .unwrap();
    let key_schema = out.key_schema.unwrap();
    assert_eq!(
        key_schema
            .fields()
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert!(!key_schema.is_optional());
    assert_eq!(
        out.key.as_struct().unwrap().values(),
        &[Value::Int32(1), Value::Int32(2)]
    );

    let err = smt("ValueToKey", &[("fields", "not_exist")])
        .apply(record(Some(schema), value))
        .unwrap_err();
    assert!(err.to_string().contains("not_exist"), "{err}");

    for (replace, expected) in [("true", Value::Int32(42)), ("false", Value::Null)] {
        let mut t = smt(
            "ValueToKey",
            &[
                ("fields", "optional_with_default"),
                ("replace.null.with.default", replace),
            ],
        );
        let (schema, value) = unset_optional("optional_with_default");
        let out = t.apply(record(Some(schema), value)).unwrap().unwrap();
        assert_eq!(
            out.key
                .as_struct()
                .unwrap()
                .get_without_default("optional_with_default"),
            Some(&expected),
            "replace={replace}"
        );
    }
}
