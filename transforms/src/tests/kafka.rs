use connect_api::{LogicalType, SchemaBuilder, Struct, Value};

use super::*;

const K: &str = "org.apache.kafka.connect.transforms.";

fn one(class: &str, extra: &[(&str, &str)]) -> TransformChain {
    single(&format!("{K}{class}"), extra)
}

fn bad(class: &str, extra: &[(&str, &str)]) -> Vec<String> {
    single_errors(&format!("{K}{class}"), extra)
}

#[test]
fn insert_field_adds_record_metadata() {
    let mut t = one(
        "InsertField$Value",
        &[
            ("topic.field", "src_topic!"),
            ("partition.field", "queue"),
            ("offset.field", "offset"),
            ("timestamp.field", "ts"),
            ("static.field", "origin"),
            ("static.value", "rmq"),
        ],
    );
    let out = apply(
        &mut t,
        record(Some(employee_schema()), employee(1, "a", "b")),
    );
    let s = out.value.as_struct().unwrap();
    assert_eq!(s.get_string("src_topic").unwrap(), Some("t"));
    assert_eq!(s.get_int32("queue").unwrap(), Some(3));
    assert_eq!(s.get_int64("offset").unwrap(), Some(17));
    assert_eq!(s.get("ts"), Some(&Value::Timestamp(1000)));
    assert_eq!(s.get_string("origin").unwrap(), Some("rmq"));
    assert!(
        !s.schema()
            .field("src_topic")
            .unwrap()
            .schema()
            .is_optional()
    );

    let out = apply(&mut t, record(None, map(&[("a", Value::Int32(1))])));
    assert_eq!(out.value.map_get("origin"), Some(&Value::from("rmq")));
    // Tombstones pass untouched.
    assert!(apply(&mut t, record(None, Value::Null)).value.is_null());
}

#[test]
fn insert_field_errors() {
    assert_eq!(
        bad("InsertField$Value", &[("static.field", "x")]),
        ["transforms.t.static.value"]
    );
    assert_eq!(bad("InsertField$Value", &[]), ["transforms.t.topic.field"]);
    let mut t = one("InsertField$Value", &[("topic.field", "name")]);
    let err = t
        .apply(record(Some(employee_schema()), employee(1, "a", "b")))
        .unwrap_err();
    assert!(
        err.to_string().contains("already has a field 'name'"),
        "{err}"
    );
    assert!(t.apply(record(None, Value::Int32(1))).is_err());
}

#[test]
fn replace_field_includes_excludes_and_renames() {
    let mut t = one(
        "ReplaceField$Value",
        &[
            ("exclude", "name"),
            ("renames", "company:employer,id:emp_id"),
        ],
    );
    let out = apply(
        &mut t,
        record(Some(employee_schema()), employee(7, "a", "acme")),
    );
    assert_eq!(field_names(&out.value), ["emp_id", "employer"]);
    assert_eq!(
        out.value.as_struct().unwrap().get_int64("emp_id").unwrap(),
        Some(7)
    );

    let mut keep = one("ReplaceField$Value", &[("include", "id")]);
    let out = apply(
        &mut keep,
        record(None, map(&[("id", Value::Int64(1)), ("x", Value::Null)])),
    );
    assert_eq!(out.value, map(&[("id", Value::Int64(1))]));

    assert_eq!(
        bad("ReplaceField$Value", &[("renames", "justone")]),
        ["transforms.t.renames"]
    );
}

#[test]
fn mask_field_masks_by_type() {
    let mut t = one("MaskField$Value", &[("fields", "name,id")]);
    let out = apply(
        &mut t,
        record(Some(employee_schema()), employee(9, "secret", "acme")),
    );
    let s = out.value.as_struct().unwrap();
    assert_eq!(
        (s.get_string("name").unwrap(), s.get_int64("id").unwrap()),
        (Some(""), Some(0))
    );
    assert_eq!(s.get_string("company").unwrap(), Some("acme"));

    let mut stars = one(
        "MaskField$Value",
        &[("fields", "name"), ("replacement", "***")],
    );
    let out = apply(
        &mut stars,
        record(
            None,
            map(&[("name", Value::from("x")), ("n", Value::Int32(1))]),
        ),
    );
    assert_eq!(out.value.map_get("name"), Some(&Value::from("***")));

    let mut bad_replacement = one(
        "MaskField$Value",
        &[("fields", "id"), ("replacement", "***")],
    );
    let err = bad_replacement
        .apply(record(Some(employee_schema()), employee(9, "a", "b")))
        .unwrap_err();
    assert!(err.to_string().contains("not a valid int64"), "{err}");
    assert_eq!(bad("MaskField$Value", &[]), ["transforms.t.fields"]);
}

#[test]
fn cast_fields_and_whole_values() {
    let mut t = one("Cast$Value", &[("spec", "id:string,name:int32")]);
    let out = apply(
        &mut t,
        record(Some(employee_schema()), employee(42, " 17 ", "x")),
    );
    let s = out.value.as_struct().unwrap();
    assert_eq!(s.get_string("id").unwrap(), Some("42"));
    assert_eq!(s.get_int32("name").unwrap(), Some(17));

    let mut whole = one("Cast$Value", &[("spec", "int8")]);
    let schema = SchemaBuilder::int64().build();
    let out = apply(&mut whole, record(Some(schema.clone()), Value::Int64(100)));
    assert_eq!(out.value, Value::Int8(100));
    let err = whole
        .apply(record(Some(schema), Value::Int64(1000)))
        .unwrap_err();
    assert!(err.to_string().contains("does not fit in int8"), "{err}");

    let mut to_bool = one("Cast$Value", &[("spec", "flag:boolean")]);
    let out = apply(
        &mut to_bool,
        record(None, map(&[("flag", Value::Int32(2))])),
    );
    assert_eq!(out.value.map_get("flag"), Some(&Value::Boolean(true)));

    assert_eq!(
        bad("Cast$Value", &[("spec", "id:varchar")]),
        ["transforms.t.spec"]
    );
    assert_eq!(bad("Cast$Value", &[("spec", "map")]), ["transforms.t.spec"]);
}

#[test]
fn extract_and_hoist_field() {
    let mut extract = one("ExtractField$Key", &[("field", "id")]);
    let r = record(None, Value::Null).with_key(Some(employee_schema()), employee(5, "a", "b"));
    let out = apply(&mut extract, r);
    assert_eq!(out.key, Value::Int64(5));
    assert_eq!(
        out.key_schema.unwrap().field_type(),
        connect_api::FieldType::Int64
    );

    let mut missing = one("ExtractField$Value", &[("field", "nope")]);
    assert!(
        missing
            .apply(record(Some(employee_schema()), employee(5, "a", "b")))
            .is_err()
    );

    let mut hoist = one("HoistField$Value", &[("field", "line")]);
    let out = apply(
        &mut hoist,
        record(Some(SchemaBuilder::string().build()), Value::from("hello")),
    );
    assert_eq!(
        out.value.as_struct().unwrap().get_string("line").unwrap(),
        Some("hello")
    );
    let out = apply(&mut hoist, record(None, Value::from("hello")));
    assert_eq!(out.value, map(&[("line", Value::from("hello"))]));
}

#[test]
fn flatten_lifts_nested_fields() {
    let inner = SchemaBuilder::struct_()
        .field("city", SchemaBuilder::string().build())
        .unwrap()
        .build();
    let schema = SchemaBuilder::struct_()
        .field("id", SchemaBuilder::int32().build())
        .unwrap()
        .field("addr", inner.clone())
        .unwrap()
        .build();
    let mut i = Struct::new(inner).unwrap();
    i.put("city", "HZ").unwrap();
    let mut s = Struct::new(schema.clone()).unwrap();
    s.put("id", 1)
        .unwrap()
        .put("addr", Value::Struct(i))
        .unwrap();
    let mut t = one("Flatten$Value", &[("delimiter", "_")]);
    let out = apply(&mut t, record(Some(schema), Value::Struct(s)));
    assert_eq!(field_names(&out.value), ["id", "addr_city"]);
    assert_eq!(
        out.value
            .as_struct()
            .unwrap()
            .get_string("addr_city")
            .unwrap(),
        Some("HZ")
    );

    let mut dots = one("Flatten$Value", &[]);
    let out = apply(
        &mut dots,
        record(None, map(&[("a", map(&[("b", Value::Int32(1))]))])),
    );
    assert_eq!(out.value, map(&[("a.b", Value::Int32(1))]));
}

#[test]
fn value_to_key_builds_the_key_from_value_fields() {
    let mut t = one("ValueToKey", &[("fields", "id,company")]);
    let out = apply(
        &mut t,
        record(Some(employee_schema()), employee(3, "a", "acme")),
    );
    assert_eq!(field_names(&out.key), ["id", "company"]);
    let out = apply(
        &mut t,
        record(
            None,
            map(&[("id", Value::Int64(3)), ("company", Value::from("c"))]),
        ),
    );
    assert_eq!(
        out.key,
        map(&[("id", Value::Int64(3)), ("company", Value::from("c"))])
    );
    // As Kafka: a field the map lacks is a null in the key.
    let out = apply(&mut t, record(None, map(&[("id", Value::Int64(3))])));
    assert_eq!(
        out.key,
        map(&[("id", Value::Int64(3)), ("company", Value::Null)])
    );
}

#[test]
fn timestamp_converter_between_string_unix_and_logical() {
    let mut parse = one(
        "TimestampConverter$Value",
        &[
            ("field", "when"),
            ("target.type", "Timestamp"),
            ("format", "yyyy-MM-dd'T'HH:mm:ss'Z'"),
        ],
    );
    let out = apply(
        &mut parse,
        record(None, map(&[("when", Value::from("2022-06-14T11:57:51Z"))])),
    );
    assert_eq!(
        out.value.map_get("when"),
        Some(&Value::Timestamp(1_655_207_871_000))
    );

    let schema = SchemaBuilder::timestamp().build();
    let mut format = one(
        "TimestampConverter$Value",
        &[("target.type", "string"), ("format", "yyyy-MM-dd HH:mm")],
    );
    let out = apply(
        &mut format,
        record(Some(schema), Value::Timestamp(1_655_207_871_000)),
    );
    assert_eq!(out.value, Value::from("2022-06-14 11:57"));

    let mut to_date = one(
        "TimestampConverter$Value",
        &[("target.type", "Date"), ("unix.precision", "seconds")],
    );
    let out = apply(
        &mut to_date,
        record(
            Some(SchemaBuilder::int64().build()),
            Value::Int64(1_655_207_871),
        ),
    );
    assert_eq!(out.value, Value::Date(19_157));
    assert_eq!(
        out.value_schema.unwrap().logical_type(),
        Some(LogicalType::Date)
    );

    let err = parse
        .apply(record(None, map(&[("when", Value::from("yesterday"))])))
        .unwrap_err();
    assert!(
        err.to_string().contains("does not match the format"),
        "{err}"
    );
}

#[test]
fn timestamp_converter_config_errors() {
    assert_eq!(
        bad("TimestampConverter$Value", &[("target.type", "string")]),
        ["transforms.t.format"]
    );
    assert_eq!(
        bad("TimestampConverter$Value", &[("target.type", "epoch")]),
        ["transforms.t.target.type"]
    );
    assert_eq!(
        bad(
            "TimestampConverter$Value",
            &[("target.type", "string"), ("format", "yyyy GG")]
        ),
        ["transforms.t.format"]
    );
}
