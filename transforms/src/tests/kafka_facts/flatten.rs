//! Kafka's FlattenTest.

use connect_api::{SchemaAndValue, SchemaBuilder, SchemaRef, Struct, Value};

use super::{key_after, smt, value_after};
use crate::tests::{map, record};

fn flatten() -> crate::TransformChain {
    smt("Flatten$Value", &[])
}

fn required(b: SchemaBuilder) -> SchemaRef {
    b.required().build()
}

#[test]
fn the_top_level_must_be_a_struct_or_a_map() {
    let int32 = required(SchemaBuilder::int32());
    assert!(
        flatten()
            .apply(record(Some(int32), Value::Int32(42)))
            .is_err()
    );
    assert!(flatten().apply(record(None, Value::Int32(42))).is_err());
}

#[test]
fn nested_structs_are_flattened() {
    let leaves = SchemaBuilder::struct_()
        .required()
        .field("int8", required(SchemaBuilder::int8()))
        .unwrap()
        .field("int16", required(SchemaBuilder::int16()))
        .unwrap()
        .field("int32", required(SchemaBuilder::int32()))
        .unwrap()
        .field("int64", required(SchemaBuilder::int64()))
        .unwrap()
        .field("float32", required(SchemaBuilder::float32()))
        .unwrap()
        .field("float64", required(SchemaBuilder::float64()))
        .unwrap()
        .field("boolean", required(SchemaBuilder::bool()))
        .unwrap()
        .field("string", required(SchemaBuilder::string()))
        .unwrap()
        .field("bytes", required(SchemaBuilder::bytes()))
        .unwrap()
        .build();
    let values = vec![
        Value::Int8(8),
        Value::Int16(16),
        Value::Int32(32),
        Value::Int64(64),
        Value::Float32(32.0),
        Value::Float64(64.0),
        Value::Boolean(true),
        Value::from("stringy"),
        Value::Bytes(b"bytes".to_vec()),
    ];
    let b = Struct::from_values(leaves.clone(), values.clone()).unwrap();
    let a_schema = SchemaBuilder::struct_()
        .required()
        .field("B", leaves.clone())
        .unwrap()
        .build();
    let a = Struct::from_values(a_schema.clone(), vec![Value::Struct(b)]).unwrap();
    let top = SchemaBuilder::struct_()
        .required()
        .field("A", a_schema)
        .unwrap()
        .build();
    let input = Struct::from_values(top.clone(), vec![Value::Struct(a)]).unwrap();

    let out = value_after(
        &mut flatten(),
        SchemaAndValue::new(Some(top), Value::Struct(input)),
    );
    let s = out.value.as_struct().unwrap();
    assert_eq!(s.schema().fields().len(), 9);
    for (field, value) in leaves.fields().iter().zip(&values) {
        let name = format!("A.B.{}", field.name());
        assert_eq!(s.get(&name), Some(value), "{name}");
        assert_eq!(s.schema().field(&name).unwrap().schema(), field.schema());
    }
}

#[test]
fn nested_maps_are_flattened_with_the_delimiter() {
    let leaves = map(&[
        ("int8", Value::Int8(8)),
        ("int64", Value::Int64(64)),
        ("float32", Value::Float32(32.0)),
        ("boolean", Value::Boolean(true)),
        ("string", Value::from("stringy")),
        ("bytes", Value::Bytes(b"bytes".to_vec())),
    ]);
    let input = map(&[("A", map(&[("B", leaves)]))]);
    let mut t = smt("Flatten$Value", &[("delimiter", "#")]);
    let out = value_after(&mut t, SchemaAndValue::new(None, input));
    assert!(out.schema.is_none());
    assert_eq!(out.value.map_get("A#B#int8"), Some(&Value::Int8(8)));
    assert_eq!(
        out.value.map_get("A#B#bytes"),
        Some(&Value::Bytes(b"bytes".to_vec()))
    );
    assert_eq!(
        out.value.map_get("A#B#string"),
        Some(&Value::from("stringy"))
    );

    let mut t = smt("Flatten$Key", &[]);
    let keyed = key_after(
        &mut t,
        SchemaAndValue::new(None, map(&[("A", map(&[("B", Value::Int32(12))]))])),
    );
    assert_eq!(keyed.key.map_get("A.B"), Some(&Value::Int32(12)));
}

#[test]
fn optional_fields_and_structs() {
    let opt_int32 = SchemaBuilder::int32().optional().build();
    let inner = SchemaBuilder::struct_()
        .required()
        .field("opt_int32", opt_int32.clone())
        .unwrap()
        .build();
    let top = SchemaBuilder::struct_()
        .required()
        .field("B", inner.clone())
        .unwrap()
        .build();
    let b = Struct::from_values(inner, vec![Value::Null]).unwrap();
    let input = Struct::from_values(top.clone(), vec![Value::Struct(b)]).unwrap();
    let out = value_after(
        &mut flatten(),
        SchemaAndValue::new(Some(top), Value::Struct(input)),
    );
    assert_eq!(
        out.value.as_struct().unwrap().get("B.opt_int32"),
        Some(&Value::Null)
    );

    // A null optional top-level struct passes untouched.
    let optional = SchemaBuilder::struct_()
        .optional()
        .field("opt_int32", opt_int32.clone())
        .unwrap()
        .build();
    let out = value_after(
        &mut flatten(),
        SchemaAndValue::new(Some(optional.clone()), Value::Null),
    );
    assert_eq!(out, SchemaAndValue::new(Some(optional), Value::Null));

    // A null optional nested struct.
    let inner = SchemaBuilder::struct_()
        .optional()
        .field("opt_int32", opt_int32)
        .unwrap()
        .build();
    let top = SchemaBuilder::struct_()
        .required()
        .field("B", inner)
        .unwrap()
        .build();
    let input = Struct::from_values(top.clone(), vec![Value::Null]).unwrap();
    let out = value_after(
        &mut flatten(),
        SchemaAndValue::new(Some(top), Value::Struct(input)),
    );
    assert_eq!(
        out.value.as_struct().unwrap().get("B.opt_int32"),
        Some(&Value::Null)
    );

    // A null in a nested map.
    let out = value_after(
        &mut flatten(),
        SchemaAndValue::new(None, map(&[("B", map(&[("opt_int32", Value::Null)]))])),
    );
    assert_eq!(out.value.map_get("B.opt_int32"), Some(&Value::Null));
}

#[test]
fn arrays_are_kept_as_they_are() {
    let input = map(&[(
        "foo",
        Value::Array(vec![
            Value::from("bar"),
            map(&[("baz", map(&[("lfg", Value::from("lfg"))]))]),
        ]),
    )]);
    let out = value_after(&mut flatten(), SchemaAndValue::new(None, input.clone()));
    assert_eq!(out.value, input);

    let lfg = SchemaBuilder::struct_()
        .required()
        .field("lfg", required(SchemaBuilder::string()))
        .unwrap()
        .build();
    let baz = SchemaBuilder::struct_()
        .required()
        .field("baz", lfg.clone())
        .unwrap()
        .build();
    let array = SchemaBuilder::array(baz.clone())
        .required()
        .doc("durk")
        .build();
    let top = SchemaBuilder::struct_()
        .required()
        .field("foo", array)
        .unwrap()
        .build();
    let element = Struct::from_values(
        baz,
        vec![Value::Struct(
            Struct::from_values(lfg, vec![Value::from("lfg")]).unwrap(),
        )],
    )
    .unwrap();
    let input = Struct::from_values(
        top.clone(),
        vec![Value::Array(vec![Value::Struct(element)])],
    )
    .unwrap();
    let out = value_after(
        &mut flatten(),
        SchemaAndValue::new(Some(top.clone()), Value::Struct(input.clone())),
    );
    assert_eq!(out.schema, Some(top));
    assert_eq!(out.value, Value::Struct(input));
}

/// `testOptionalAndDefaultValuesNested`: an optional top-level struct makes every leaf
/// optional, and its default feeds the leaves' defaults.
#[test]
fn optional_parents_and_their_defaults_reach_the_leaves() {
    let builder = SchemaBuilder::struct_()
        .optional()
        .field("req_field", required(SchemaBuilder::string()))
        .unwrap()
        .field(
            "opt_field",
            SchemaBuilder::string()
                .optional()
                .default_value(Value::from("child_default"))
                .unwrap()
                .build(),
        )
        .unwrap();
    let shape = builder.clone().build();
    let default =
        Struct::from_values(shape, vec![Value::from("req_default"), Value::Null]).unwrap();
    let schema = builder
        .default_value(Value::Struct(default))
        .unwrap()
        .build();
    // An empty struct, as Kafka's test builds it: nothing set, not even the required field.
    let input = Struct::new(schema.clone()).unwrap();

    let out = value_after(
        &mut flatten(),
        SchemaAndValue::new(Some(schema), Value::Struct(input)),
    );
    let out_schema = out.schema.unwrap();
    assert!(!out_schema.is_optional());
    assert_eq!(out_schema.fields().len(), 2);
    let req = out_schema.field("req_field").unwrap().schema();
    assert!(req.is_optional());
    assert_eq!(req.default_value(), Some(&Value::from("req_default")));
    let opt = out_schema.field("opt_field").unwrap().schema();
    assert!(opt.is_optional());
    assert_eq!(opt.default_value(), Some(&Value::from("child_default")));

    // A non-null optional top-level struct: the flat struct is required, its leaves optional.
    let schema = SchemaBuilder::struct_()
        .optional()
        .field("a", required(SchemaBuilder::int32()))
        .unwrap()
        .build();
    let input = Struct::from_values(schema.clone(), vec![Value::Int32(1)]).unwrap();
    let out = value_after(
        &mut flatten(),
        SchemaAndValue::new(Some(schema), Value::Struct(input)),
    );
    let s = out.value.as_struct().unwrap();
    assert!(!s.schema().is_optional());
    assert!(s.schema().field("a").unwrap().schema().is_optional());
    assert_eq!(s.get("a"), Some(&Value::Int32(1)));
}

#[test]
fn tombstones_pass_through() {
    let out = value_after(&mut flatten(), SchemaAndValue::null());
    assert_eq!(out, SchemaAndValue::null());
    let schema = SchemaBuilder::struct_()
        .optional()
        .name("name")
        .version(1)
        .doc("doc")
        .field("magic", SchemaBuilder::int64().optional().build())
        .unwrap()
        .build();
    let out = value_after(
        &mut flatten(),
        SchemaAndValue::new(Some(schema.clone()), Value::Null),
    );
    assert_eq!(out, SchemaAndValue::new(Some(schema), Value::Null));
}

#[test]
fn null_fields_keep_their_places() {
    let names = [
        "firstNull",
        "firstNonNull",
        "secondNull",
        "secondNonNull",
        "thirdNonNull",
    ];
    let values = [
        Value::Null,
        Value::from("nonNull"),
        Value::Null,
        Value::from("alsoNonNull"),
        Value::Null,
    ];
    let input = Value::Map(
        names
            .iter()
            .map(|n| Value::from(*n))
            .zip(values.iter().cloned())
            .collect(),
    );
    let out = value_after(&mut flatten(), SchemaAndValue::new(None, input.clone()));
    assert_eq!(out.value, input);

    let schema = names
        .iter()
        .fold(SchemaBuilder::struct_().required(), |b, n| {
            b.field(*n, SchemaBuilder::string().optional().build())
                .unwrap()
        })
        .build();
    let input = Struct::from_values(schema.clone(), values.to_vec()).unwrap();
    let out = value_after(
        &mut flatten(),
        SchemaAndValue::new(Some(schema.clone()), Value::Struct(input.clone())),
    );
    assert_eq!(out, SchemaAndValue::new(Some(schema), Value::Struct(input)));
}

#[test]
fn a_map_field_in_a_schema_is_refused() {
    let schema = SchemaBuilder::struct_()
        .required()
        .field(
            "m",
            required(SchemaBuilder::map(
                required(SchemaBuilder::string()),
                required(SchemaBuilder::int32()),
            )),
        )
        .unwrap()
        .build();
    let input = Struct::from_values(schema.clone(), vec![Value::Map(vec![])]).unwrap();
    let err = flatten()
        .apply(record(Some(schema), Value::Struct(input)))
        .unwrap_err();
    assert!(err.to_string().contains("MAP"), "{err}");
}
