//! apache/rocketmq-connect's own transform tests (`transforms/src/test/.../test/*Test.java`)
//! replayed as facts. Their schemas come from the OpenMessaging builder, where a schema is
//! optional unless made required — as ours.

use std::str::FromStr;

use bigdecimal::BigDecimal;
use connect_api::data::logical::DECIMAL_PRECISION;
use connect_api::{SchemaAndValue, SchemaBuilder, SchemaRef, Struct, Value};

use super::{map, record, single};

const P: &str = "org.apache.rocketmq.connect.transforms.";

fn transform(class: &str, extra: &[(&str, &str)]) -> crate::TransformChain {
    single(&format!("{P}{class}"), extra)
}

fn string() -> SchemaRef {
    SchemaBuilder::string().build()
}

/// Applies to the key or the value side, as the Java tests do for both variants.
fn on_side(chain: &mut crate::TransformChain, key: bool, input: SchemaAndValue) -> SchemaAndValue {
    let r = if key {
        record(None, Value::Null).with_key(input.schema, input.value)
    } else {
        record(input.schema, input.value)
    };
    let mut out = chain.apply(r).unwrap().expect("a record");
    if key {
        out.take_key()
    } else {
        out.take_value()
    }
}

#[test]
fn change_case_upper_underscore_to_lower_underscore() {
    let schema = SchemaBuilder::struct_()
        .field("FIRST_NAME", string())
        .unwrap()
        .field("LAST_NAME", string())
        .unwrap()
        .build();
    let input = Struct::from_values(
        schema.clone(),
        vec![Value::from("test"), Value::from("user")],
    )
    .unwrap();
    let mut t = transform(
        "ChangeCase$Value",
        &[("from", "UPPER_UNDERSCORE"), ("to", "LOWER_UNDERSCORE")],
    );
    for _ in 0..50 {
        let out = on_side(
            &mut t,
            false,
            SchemaAndValue::new(Some(schema.clone()), Value::Struct(input.clone())),
        );
        let s = out.value.as_struct().unwrap();
        assert_eq!(s.get_string("first_name").unwrap(), Some("test"));
        assert_eq!(s.get_string("last_name").unwrap(), Some("user"));
    }
}

#[test]
fn extract_nested_field_copies_address_state_to_the_top() {
    let address = SchemaBuilder::struct_()
        .name("Address")
        .field("city", string())
        .unwrap()
        .field("state", string())
        .unwrap()
        .build();
    let schema = SchemaBuilder::struct_()
        .field("first_name", string())
        .unwrap()
        .field("last_name", string())
        .unwrap()
        .field("address", address.clone())
        .unwrap()
        .build();
    let expected_schema = SchemaBuilder::struct_()
        .field("first_name", string())
        .unwrap()
        .field("last_name", string())
        .unwrap()
        .field("address", address.clone())
        .unwrap()
        .field("state", string())
        .unwrap()
        .build();
    let inner = Value::Struct(
        Struct::from_values(address, vec![Value::from("Austin"), Value::from("tx")]).unwrap(),
    );
    let input = Struct::from_values(
        schema.clone(),
        vec![Value::from("test"), Value::from("developer"), inner.clone()],
    )
    .unwrap();
    let expected = Struct::from_values(
        expected_schema.clone(),
        vec![
            Value::from("test"),
            Value::from("developer"),
            inner,
            Value::from("tx"),
        ],
    )
    .unwrap();
    let mut t = transform(
        "ExtractNestedField$Value",
        &[
            ("input.inner.field.name", "state"),
            ("input.outer.field.name", "address"),
            ("output.field.name", "state"),
        ],
    );
    for _ in 0..50 {
        let out = on_side(
            &mut t,
            false,
            SchemaAndValue::new(Some(schema.clone()), Value::Struct(input.clone())),
        );
        assert_eq!(out.schema, Some(expected_schema.clone()));
        assert_eq!(out.value, Value::Struct(expected.clone()));
    }
}

#[test]
fn pattern_filter_drops_whole_matches_of_listed_fields() {
    let mut t = transform(
        "PatternFilter$Value",
        &[("fields", "input"), ("pattern", "^filter$")],
    );
    let schema = SchemaBuilder::struct_()
        .field("input", string())
        .unwrap()
        .build();
    let as_struct = |text: &str| {
        record(
            Some(schema.clone()),
            Value::Struct(Struct::from_values(schema.clone(), vec![Value::from(text)]).unwrap()),
        )
    };
    let as_map = |text: &str| record(None, map(&[("input", Value::from(text))]));
    assert!(t.apply(as_struct("filter")).unwrap().is_none());
    assert!(t.apply(as_map("filter")).unwrap().is_none());
    assert!(t.apply(as_struct("ok")).unwrap().is_some());
    assert!(t.apply(as_map("ok")).unwrap().is_some());
}

#[test]
fn pattern_rename_schemaless_and_an_empty_replacement_that_strips_a_prefix() {
    for key in [false, true] {
        let side = if key {
            "PatternRename$Key"
        } else {
            "PatternRename$Value"
        };
        let mut t = transform(
            side,
            &[("field.pattern", "\\."), ("field.replacement", "_")],
        );
        let input = map(&[
            ("first.name", Value::from("example")),
            ("last.name", Value::from("user")),
        ]);
        let out = on_side(&mut t, key, SchemaAndValue::new(None, input));
        assert_eq!(
            out.value,
            map(&[
                ("first_name", Value::from("example")),
                ("last_name", Value::from("user"))
            ])
        );

        let mut t = transform(
            side,
            &[("field.pattern", "^prefixed"), ("field.replacement", "")],
        );
        let schema = SchemaBuilder::struct_()
            .name("testing")
            .field("prefixedfirstname", string())
            .unwrap()
            .field("prefixedlastname", string())
            .unwrap()
            .build();
        let input = Struct::from_values(
            schema.clone(),
            vec![Value::from("example"), Value::from("user")],
        )
        .unwrap();
        let out = on_side(
            &mut t,
            key,
            SchemaAndValue::new(Some(schema), Value::Struct(input)),
        );
        let expected_schema = SchemaBuilder::struct_()
            .name("testing")
            .field("firstname", string())
            .unwrap()
            .field("lastname", string())
            .unwrap()
            .build();
        let expected = Struct::from_values(
            expected_schema.clone(),
            vec![Value::from("example"), Value::from("user")],
        )
        .unwrap();
        assert_eq!(out.schema, Some(expected_schema));
        assert_eq!(out.value, Value::Struct(expected));
    }
}

#[test]
fn set_maximum_precision_noop_and_convert() {
    let mut t = transform("SetMaximumPrecision$Value", &[("precision.max", "32")]);
    let schema = SchemaBuilder::struct_()
        .field("first", string())
        .unwrap()
        .field("last", string())
        .unwrap()
        .field("email", string())
        .unwrap()
        .build();
    // The Java test sets `first` twice and never `email`.
    let input = Struct::from_values(
        schema.clone(),
        vec![
            Value::from("none@none.com"),
            Value::from("user"),
            Value::Null,
        ],
    )
    .unwrap();
    let out = on_side(
        &mut t,
        false,
        SchemaAndValue::new(Some(schema.clone()), Value::Struct(input.clone())),
    );
    assert_eq!(out, SchemaAndValue::new(Some(schema), Value::Struct(input)));

    let decimal = |precision: Option<&str>, optional: bool| {
        let mut b = SchemaBuilder::decimal(5).optional_if(optional);
        if let Some(p) = precision {
            b = b.parameter(DECIMAL_PRECISION, p);
        }
        b.build()
    };
    let one = Value::Decimal(BigDecimal::from_str("1").unwrap());
    let schema = SchemaBuilder::struct_()
        .field("first", decimal(None, false))
        .unwrap()
        .field("second", decimal(Some("16"), true))
        .unwrap()
        .field("third", decimal(Some("48"), true))
        .unwrap()
        .build();
    let input =
        Struct::from_values(schema.clone(), vec![one.clone(), Value::Null, one.clone()]).unwrap();
    let expected_schema = SchemaBuilder::struct_()
        .field("first", decimal(Some("32"), false))
        .unwrap()
        .field("second", decimal(Some("16"), true))
        .unwrap()
        .field("third", decimal(Some("32"), true))
        .unwrap()
        .build();
    let out = on_side(
        &mut t,
        false,
        SchemaAndValue::new(Some(schema), Value::Struct(input)),
    );
    assert_eq!(out.schema, Some(expected_schema.clone()));
    let expected =
        Struct::from_values(expected_schema, vec![one.clone(), Value::Null, one]).unwrap();
    assert_eq!(out.value, Value::Struct(expected));
}

#[test]
fn set_null_clears_the_key_and_its_schema() {
    let mut t = transform("SetNull$Key", &[]);
    let r = record(None, Value::from("")).with_key(Some(string()), "key");
    let out = t.apply(r).unwrap().unwrap();
    assert_eq!(out.key, Value::Null);
    assert_eq!(out.key_schema, None);
}
