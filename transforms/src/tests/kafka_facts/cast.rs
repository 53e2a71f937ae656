//! Kafka's CastTest.

use std::str::FromStr;

use bigdecimal::BigDecimal;
use connect_api::data::logical::MILLIS_PER_DAY;
use connect_api::{FieldType, SchemaAndValue, SchemaBuilder, SchemaRef, Struct, Value};

use super::{K, key_after, smt, value_after};
use crate::tests::{map, single_errors};

fn cast(spec: &str) -> crate::TransformChain {
    smt("Cast$Value", &[("spec", spec)])
}

fn with_schema(schema: SchemaRef, value: Value) -> SchemaAndValue {
    SchemaAndValue::new(Some(schema), value)
}

fn decimal(text: &str) -> Value {
    Value::Decimal(BigDecimal::from_str(text).unwrap())
}

#[test]
fn bad_specs_are_config_errors() {
    for spec in [
        "",
        "foo:faketype",
        "foo:array",
        "array",
        "foo:bytes",
        "foo:int8:extra",
        "foo:int8,int32",
    ] {
        assert_eq!(
            single_errors(&format!("{K}Cast$Value"), &[("spec", spec)]),
            ["transforms.t.spec"],
            "{spec}"
        );
    }
}

#[test]
fn a_null_key_or_value_passes_untouched() {
    let string = SchemaBuilder::string().optional().build();
    for spec in ["foo:int64", "int64"] {
        let mut t = cast(spec);
        let out = value_after(&mut t, with_schema(string.clone(), Value::Null));
        assert_eq!(out, with_schema(string.clone(), Value::Null), "{spec}");
        let out = value_after(&mut t, SchemaAndValue::null());
        assert_eq!(out, SchemaAndValue::null(), "{spec}");

        let mut t = smt("Cast$Key", &[("spec", spec)]);
        let out = key_after(&mut t, with_schema(string.clone(), Value::Null));
        assert_eq!(out.key_schema, Some(string.clone()), "{spec}");
        assert!(out.key.is_null());
    }
}

#[test]
fn whole_value_casts_of_an_int32() {
    let int32 = SchemaBuilder::int32().required().build();
    let cases = [
        ("int8", Value::Int8(42)),
        ("int16", Value::Int16(42)),
        ("int32", Value::Int32(42)),
        ("int64", Value::Int64(42)),
        ("float32", Value::Float32(42.0)),
        ("float64", Value::Float64(42.0)),
        ("boolean", Value::Boolean(true)),
        ("string", Value::from("42")),
    ];
    for (target, expected) in cases {
        let mut t = cast(target);
        let out = value_after(&mut t, with_schema(int32.clone(), Value::Int32(42)));
        assert_eq!(out.value, expected, "{target}");
        let schema = out.schema.unwrap();
        assert_eq!(schema.field_type(), FieldType::from_name(target).unwrap());
        assert!(!schema.is_optional());
        // Schemaless: the same value, still no schema.
        let out = value_after(&mut t, SchemaAndValue::new(None, Value::Int32(42)));
        assert_eq!(out, SchemaAndValue::new(None, expected.clone()), "{target}");
        // The key side casts the same way.
        let mut t = smt("Cast$Key", &[("spec", target)]);
        let keyed = key_after(&mut t, with_schema(int32.clone(), Value::Int32(42)));
        assert_eq!(keyed.key, expected, "{target}");
    }
    let out = value_after(
        &mut cast("boolean"),
        SchemaAndValue::new(None, Value::Int32(0)),
    );
    assert_eq!(out.value, Value::Boolean(false));
    // A list cannot be cast.
    let err = cast("int8")
        .apply(crate::tests::record(
            None,
            Value::Array(vec![Value::Int32(1)]),
        ))
        .unwrap_err();
    assert!(err.to_string().contains("Cast"), "{err}");
}

#[test]
fn whole_value_casts_of_logical_values_and_defaults() {
    let out = value_after(
        &mut cast("string"),
        with_schema(SchemaBuilder::decimal(0).build(), decimal("42")),
    );
    assert_eq!(out.value, Value::from("42"));
    assert_eq!(out.schema.unwrap().field_type(), FieldType::String);

    let out = value_after(
        &mut cast("string"),
        with_schema(
            SchemaBuilder::timestamp().build(),
            Value::Timestamp(MILLIS_PER_DAY + 1),
        ),
    );
    assert_eq!(out.value, Value::from("1970-01-02T00:00:00.001Z"));

    // The schema's default is cast with the value.
    let float = SchemaBuilder::float32()
        .required()
        .default_value(Value::Float32(-42.125))
        .unwrap()
        .build();
    let out = value_after(
        &mut cast("int32"),
        with_schema(float, Value::Float32(42.125)),
    );
    assert_eq!(out.value, Value::Int32(42));
    let schema = out.schema.unwrap();
    assert_eq!(schema.field_type(), FieldType::Int32);
    assert_eq!(schema.default_value(), Some(&Value::Int32(-42)));
}

#[test]
fn field_casts_with_a_schema() {
    let spec = "int8:int16,int16:int32,int32:int64,int64:boolean,float32:float64,float64:boolean,\
                boolean:int8,string:int32,bigdecimal:string,date:string,optional:int32,\
                bytes:string,byteArray:string";
    let schema = SchemaBuilder::struct_()
        .required()
        .field("int8", SchemaBuilder::int8().required().build())
        .unwrap()
        .field("int16", SchemaBuilder::int16().optional().build())
        .unwrap()
        .field(
            "int32",
            SchemaBuilder::int32()
                .required()
                .default_value(Value::Int32(2))
                .unwrap()
                .build(),
        )
        .unwrap()
        .field("int64", SchemaBuilder::int64().required().build())
        .unwrap()
        .field("float32", SchemaBuilder::float32().required().build())
        .unwrap()
        .field(
            "float64",
            SchemaBuilder::float64()
                .required()
                .default_value(Value::Float64(-1.125))
                .unwrap()
                .build(),
        )
        .unwrap()
        .field("boolean", SchemaBuilder::bool().required().build())
        .unwrap()
        .field("string", SchemaBuilder::string().required().build())
        .unwrap()
        .field("bigdecimal", SchemaBuilder::decimal(0).required().build())
        .unwrap()
        .field("date", SchemaBuilder::date().required().build())
        .unwrap()
        .field("optional", SchemaBuilder::float32().optional().build())
        .unwrap()
        .field("timestamp", SchemaBuilder::timestamp().required().build())
        .unwrap()
        .field("bytes", SchemaBuilder::bytes().required().build())
        .unwrap()
        .field("byteArray", SchemaBuilder::bytes().required().build())
        .unwrap()
        .build();
    let bytes = vec![0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10];
    let mut s = Struct::new(schema.clone()).unwrap();
    s.put("int8", Value::Int8(8)).unwrap();
    s.put("int16", Value::Int16(16)).unwrap();
    s.put("int32", Value::Int32(32)).unwrap();
    s.put("int64", Value::Int64(64)).unwrap();
    s.put("float32", Value::Float32(32.0)).unwrap();
    s.put("float64", Value::Float64(-64.0)).unwrap();
    s.put("boolean", Value::Boolean(true)).unwrap();
    s.put("string", "42").unwrap();
    s.put("bigdecimal", decimal("42")).unwrap();
    s.put("date", Value::Date(1)).unwrap();
    s.put("timestamp", Value::Timestamp(0)).unwrap();
    s.put("bytes", Value::Bytes(bytes.clone())).unwrap();
    s.put("byteArray", Value::Bytes(bytes)).unwrap();

    let out = value_after(&mut cast(spec), with_schema(schema, Value::Struct(s)));
    let out = out.value.as_struct().unwrap().clone();
    let expect = |name: &str, ty: FieldType, optional: bool, value: Value| {
        let field = out.schema().field(name).unwrap().schema().clone();
        assert_eq!(field.field_type(), ty, "{name}");
        assert_eq!(field.is_optional(), optional, "{name}");
        assert_eq!(out.get(name), Some(&value), "{name}");
        field
    };
    expect("int8", FieldType::Int16, false, Value::Int16(8));
    expect("int16", FieldType::Int32, true, Value::Int32(16));
    let int32 = expect("int32", FieldType::Int64, false, Value::Int64(32));
    assert_eq!(int32.default_value(), Some(&Value::Int64(2)));
    expect("int64", FieldType::Boolean, false, Value::Boolean(true));
    expect("float32", FieldType::Float64, false, Value::Float64(32.0));
    let float64 = expect("float64", FieldType::Boolean, false, Value::Boolean(true));
    assert_eq!(float64.default_value(), Some(&Value::Boolean(true)));
    expect("boolean", FieldType::Int8, false, Value::Int8(1));
    expect("string", FieldType::Int32, false, Value::Int32(42));
    expect("bigdecimal", FieldType::String, false, Value::from("42"));
    expect("date", FieldType::String, false, Value::from("1970-01-02"));
    expect("optional", FieldType::Int32, true, Value::Null);
    let timestamp = out.schema().field("timestamp").unwrap().schema();
    assert_eq!(timestamp, &SchemaBuilder::timestamp().required().build());
    expect(
        "bytes",
        FieldType::String,
        false,
        Value::from("/ty6mHZUMhA="),
    );
    expect(
        "byteArray",
        FieldType::String,
        false,
        Value::from("/ty6mHZUMhA="),
    );
}

#[test]
fn field_casts_without_a_schema() {
    let spec = "int8:int16,int16:int32,int32:int64,int64:boolean,float32:float64,float64:boolean,\
                boolean:int8,string:int32";
    let input = map(&[
        ("int8", Value::Int8(8)),
        ("int16", Value::Int16(16)),
        ("int32", Value::Int32(32)),
        ("int64", Value::Int64(64)),
        ("float32", Value::Float32(32.0)),
        ("float64", Value::Float64(-64.0)),
        ("boolean", Value::Boolean(true)),
        ("string", Value::from("42")),
    ]);
    let out = value_after(&mut cast(spec), SchemaAndValue::new(None, input));
    assert!(out.schema.is_none());
    let expected = [
        ("int8", Value::Int16(8)),
        ("int16", Value::Int32(16)),
        ("int32", Value::Int64(32)),
        ("int64", Value::Boolean(true)),
        ("float32", Value::Float64(32.0)),
        ("float64", Value::Boolean(true)),
        ("boolean", Value::Int8(1)),
        ("string", Value::Int32(42)),
    ];
    for (name, value) in expected {
        assert_eq!(out.value.map_get(name), Some(&value), "{name}");
    }
}

#[test]
fn logical_values_cast_to_primitives() {
    let schema = SchemaBuilder::struct_()
        .required()
        .field("date_to_int32", SchemaBuilder::date().required().build())
        .unwrap()
        .field(
            "timestamp_to_int64",
            SchemaBuilder::timestamp().required().build(),
        )
        .unwrap()
        .field("time_to_int64", SchemaBuilder::time().required().build())
        .unwrap()
        .field(
            "timestamp_to_float64",
            SchemaBuilder::timestamp().required().build(),
        )
        .unwrap()
        .field(
            "null_timestamp_to_int32",
            SchemaBuilder::timestamp().optional().build(),
        )
        .unwrap()
        .build();
    let mut s = Struct::new(schema.clone()).unwrap();
    s.put("date_to_int32", Value::Date(1)).unwrap();
    s.put("timestamp_to_int64", Value::Timestamp(0)).unwrap();
    s.put("time_to_int64", Value::Time(1)).unwrap();
    s.put("timestamp_to_float64", Value::Timestamp(i64::MAX))
        .unwrap();
    let spec = "date_to_int32:int32,timestamp_to_int64:int64,time_to_int64:int64,\
                timestamp_to_float64:float64,null_timestamp_to_int32:int32";
    let out = value_after(&mut cast(spec), with_schema(schema, Value::Struct(s)));
    let out = out.value.as_struct().unwrap().clone();
    assert_eq!(out.get("date_to_int32"), Some(&Value::Int32(1)));
    assert_eq!(out.get("timestamp_to_int64"), Some(&Value::Int64(0)));
    assert_eq!(out.get("time_to_int64"), Some(&Value::Int64(1)));
    assert_eq!(
        out.get("timestamp_to_float64"),
        Some(&Value::Float64(9.223_372_036_854_776e18))
    );
    assert_eq!(out.get("null_timestamp_to_int32"), Some(&Value::Null));
    let null_field = out.schema().field("null_timestamp_to_int32").unwrap();
    assert_eq!(null_field.schema().field_type(), FieldType::Int32);
    assert!(null_field.schema().is_optional());

    // Deliberate difference: Kafka wraps 2147483648 into an int32 as -2147483648; we refuse to
    // change a number silently.
    let decimal_schema = SchemaBuilder::struct_()
        .required()
        .field(
            "decimal_to_int32",
            SchemaBuilder::decimal(0).required().build(),
        )
        .unwrap()
        .build();
    let mut s = Struct::new(decimal_schema.clone()).unwrap();
    s.put("decimal_to_int32", decimal("2147483648")).unwrap();
    let err = cast("decimal_to_int32:int32")
        .apply(crate::tests::record(Some(decimal_schema), Value::Struct(s)))
        .unwrap_err();
    assert!(err.to_string().contains("does not fit"), "{err}");
}

#[test]
fn logical_values_cast_to_strings_in_kafkas_forms() {
    let schema = SchemaBuilder::struct_()
        .required()
        .field("date", SchemaBuilder::date().required().build())
        .unwrap()
        .field("decimal", SchemaBuilder::decimal(0).required().build())
        .unwrap()
        .field("time", SchemaBuilder::time().required().build())
        .unwrap()
        .field("timestamp", SchemaBuilder::timestamp().required().build())
        .unwrap()
        .build();
    let mut s = Struct::new(schema.clone()).unwrap();
    s.put("date", Value::Date(1)).unwrap();
    s.put("decimal", decimal("1982")).unwrap();
    s.put("time", Value::Time(3_600_000)).unwrap();
    s.put("timestamp", Value::Timestamp(1_700_000_000_123))
        .unwrap();
    let spec = "date:string,decimal:string,time:string,timestamp:string";
    let out = value_after(&mut cast(spec), with_schema(schema, Value::Struct(s)));
    let out = out.value.as_struct().unwrap().clone();
    assert_eq!(out.get_string("date").unwrap(), Some("1970-01-02"));
    assert_eq!(out.get_string("decimal").unwrap(), Some("1982"));
    assert_eq!(out.get_string("time").unwrap(), Some("01:00:00.000Z"));
    assert_eq!(
        out.get_string("timestamp").unwrap(),
        Some("2023-11-14T22:13:20.123Z")
    );
    for field in out.schema().fields() {
        assert_eq!(field.schema().field_type(), FieldType::String);
    }
}

#[test]
fn numbers_to_booleans_and_floats_to_strings_as_java_does() {
    let to_bool = |v: Value| value_after(&mut cast("boolean"), SchemaAndValue::new(None, v)).value;
    // The integral part decides (Kafka: longValue() != 0).
    assert_eq!(to_bool(Value::Float64(0.5)), Value::Boolean(false));
    assert_eq!(to_bool(Value::Float64(-1.5)), Value::Boolean(true));
    assert_eq!(to_bool(decimal("0.5")), Value::Boolean(false));
    assert_eq!(to_bool(Value::Date(1)), Value::Boolean(true));
    let to_string = |v: Value| value_after(&mut cast("string"), SchemaAndValue::new(None, v)).value;
    assert_eq!(to_string(Value::Float64(1e7)), Value::from("1.0E7"));
    assert_eq!(to_string(Value::Float32(32.0)), Value::from("32.0"));
    assert_eq!(to_string(Value::Float64(1e-4)), Value::from("1.0E-4"));
}

/// `castFieldWithDefaultValueRecordWithSchema`: a null field with a default.
#[test]
fn a_null_field_with_a_default_under_replace_null_with_default() {
    let schema = SchemaBuilder::struct_()
        .required()
        .field(
            "magic",
            SchemaBuilder::int32()
                .optional()
                .default_value(Value::Int32(10))
                .unwrap()
                .build(),
        )
        .unwrap()
        .build();
    let input = || {
        let s = Struct::from_values(schema.clone(), vec![Value::Null]).unwrap();
        with_schema(schema.clone(), Value::Struct(s))
    };
    for (replace, expected) in [("true", Value::from("10")), ("false", Value::Null)] {
        let mut t = smt(
            "Cast$Value",
            &[
                ("spec", "magic:string"),
                ("replace.null.with.default", replace),
            ],
        );
        let out = value_after(&mut t, input());
        let out = out.value.as_struct().unwrap().clone();
        let magic = out.schema().field("magic").unwrap().schema().clone();
        assert_eq!(magic.field_type(), FieldType::String);
        assert!(magic.is_optional());
        assert_eq!(magic.default_value(), Some(&Value::from("10")));
        assert_eq!(
            out.get_without_default("magic"),
            Some(&expected),
            "replace={replace}"
        );
    }
}

/// Kafka copies every field as `Struct.get` reads it: a null field that is not cast, but has
/// a default, is copied as its default (with `replace.null.with.default=true`).
#[test]
fn fields_not_cast_are_copied_with_their_defaults() {
    let schema = SchemaBuilder::struct_()
        .required()
        .field("n", SchemaBuilder::int32().required().build())
        .unwrap()
        .field(
            "d",
            SchemaBuilder::string()
                .optional()
                .default_value(Value::from("dflt"))
                .unwrap()
                .build(),
        )
        .unwrap()
        .build();
    for (replace, expected) in [("true", Value::from("dflt")), ("false", Value::Null)] {
        let s = Struct::from_values(schema.clone(), vec![Value::Int32(1), Value::Null]).unwrap();
        let mut t = smt(
            "Cast$Value",
            &[("spec", "n:int64"), ("replace.null.with.default", replace)],
        );
        let out = value_after(&mut t, with_schema(schema.clone(), Value::Struct(s)));
        let out = out.value.as_struct().unwrap().clone();
        assert_eq!(
            out.get_without_default("d"),
            Some(&expected),
            "replace={replace}"
        );
    }
}
