//! Kafka's SetSchemaMetadataTest.

use connect_api::{SchemaAndValue, SchemaBuilder, Struct, Value};

use super::{K, smt, value_after};
use crate::tests::{record, single_errors};

fn empty_struct() -> connect_api::SchemaRef {
    SchemaBuilder::struct_().required().build()
}

#[test]
fn name_version_or_both_are_set() {
    type Case<'a> = (&'a [(&'a str, &'a str)], Option<&'a str>, Option<i32>);
    let cases: [Case<'_>; 3] = [
        (&[("schema.name", "foo")], Some("foo"), None),
        (&[("schema.version", "42")], None, Some(42)),
        (
            &[("schema.name", "foo"), ("schema.version", "42")],
            Some("foo"),
            Some(42),
        ),
    ];
    for (config, name, version) in cases {
        let out = value_after(
            &mut smt("SetSchemaMetadata$Value", config),
            SchemaAndValue::new(Some(empty_struct()), Value::Null),
        );
        let schema = out.schema.unwrap();
        assert_eq!(schema.name(), name);
        assert_eq!(schema.version(), version);
        assert!(out.value.is_null());
    }
    assert_eq!(
        single_errors(&format!("{K}SetSchemaMetadata$Value"), &[]),
        ["transforms.t.schema.name"]
    );
}

#[test]
fn a_struct_is_rehomed_on_the_new_schema() {
    let with_default = SchemaBuilder::string()
        .optional()
        .default_value(Value::from("default"))
        .unwrap()
        .build();
    let schema = SchemaBuilder::struct_()
        .required()
        .name("my.orig.SchemaDefn")
        .field("f1", with_default)
        .unwrap()
        .field("f2", SchemaBuilder::int32().required().build())
        .unwrap()
        .build();
    for (replace, f1) in [("false", Value::Null), ("true", Value::from("default"))] {
        let value =
            Struct::from_values(schema.clone(), vec![Value::Null, Value::Int32(1)]).unwrap();
        let mut t = smt(
            "SetSchemaMetadata$Value",
            &[
                ("schema.name", "foo"),
                ("schema.version", "42"),
                ("replace.null.with.default", replace),
            ],
        );
        let out = value_after(
            &mut t,
            SchemaAndValue::new(Some(schema.clone()), Value::Struct(value)),
        );
        let new_schema = out.schema.unwrap();
        assert_eq!(
            (new_schema.name(), new_schema.version()),
            (Some("foo"), Some(42))
        );
        let s = out.value.as_struct().unwrap();
        assert!(std::sync::Arc::ptr_eq(s.schema(), &new_schema));
        for (old, new) in schema.fields().iter().zip(new_schema.fields()) {
            assert_eq!(
                (old.name(), old.index(), old.schema()),
                (new.name(), new.index(), new.schema())
            );
        }
        assert_eq!(s.get_without_default("f1"), Some(&f1), "replace={replace}");
        assert_eq!(s.get("f2"), Some(&Value::Int32(1)));
    }
}

#[test]
fn a_value_needs_a_schema_but_a_null_passes() {
    let mut t = smt("SetSchemaMetadata$Value", &[("schema.name", "foo")]);
    assert!(t.apply(record(None, Value::Int32(42))).is_err());
    let out = value_after(&mut t, SchemaAndValue::null());
    assert_eq!(out, SchemaAndValue::null());
}
