use std::str::FromStr;

use bigdecimal::BigDecimal;
use connect_api::data::logical::DECIMAL_PRECISION;
use connect_api::{SchemaBuilder, Struct, Value};

use super::*;

const P: &str = "org.apache.rocketmq.connect.transforms.";

fn one(class: &str, extra: &[(&str, &str)]) -> TransformChain {
    single(&format!("{P}{class}"), extra)
}

#[test]
fn change_case_renames_struct_fields_and_map_keys() {
    let schema = SchemaBuilder::struct_()
        .field("first_name", SchemaBuilder::string().build())
        .unwrap()
        .build();
    let mut s = Struct::new(schema.clone()).unwrap();
    s.put("first_name", "Ada").unwrap();
    let mut t = one(
        "ChangeCase$Value",
        &[("from", "LOWER_UNDERSCORE"), ("to", "LOWER_CAMEL")],
    );
    let out = apply(&mut t, record(Some(schema), Value::Struct(s)));
    assert_eq!(field_names(&out.value), ["firstName"]);
    let out = apply(
        &mut t,
        record(None, map(&[("last_name", Value::from("L"))])),
    );
    assert!(out.value.map_get("lastName").is_some());

    let mut key = one(
        "ChangeCase$Key",
        &[("from", "UPPER_UNDERSCORE"), ("to", "LOWER_HYPHEN")],
    );
    let r = record(None, Value::Null).with_key(None, map(&[("ORDER_ID", Value::Int32(1))]));
    assert!(apply(&mut key, r).key.map_get("order-id").is_some());
}

/// `output.field.name` is honoured (the Java version ignores it).
#[test]
fn extract_nested_field_uses_the_output_name() {
    let address = SchemaBuilder::struct_()
        .field("city", SchemaBuilder::string().build())
        .unwrap()
        .build();
    let schema = SchemaBuilder::struct_()
        .field("id", SchemaBuilder::int32().build())
        .unwrap()
        .field("address", address.clone())
        .unwrap()
        .build();
    let mut a = Struct::new(address).unwrap();
    a.put("city", "Hangzhou").unwrap();
    let mut s = Struct::new(schema.clone()).unwrap();
    s.put("id", 1)
        .unwrap()
        .put("address", Value::Struct(a))
        .unwrap();
    let mut t = one(
        "ExtractNestedField$Value",
        &[
            ("input.outer.field.name", "address"),
            ("input.inner.field.name", "city"),
            ("output.field.name", "home_city"),
        ],
    );
    let out = apply(&mut t, record(Some(schema), Value::Struct(s)));
    assert_eq!(field_names(&out.value), ["id", "address", "home_city"]);
    assert_eq!(
        out.value
            .as_struct()
            .unwrap()
            .get_string("home_city")
            .unwrap(),
        Some("Hangzhou")
    );

    let nested = map(&[("address", map(&[("city", Value::from("Beijing"))]))]);
    let out = apply(&mut t, record(None, nested));
    assert_eq!(
        out.value.map_get("home_city"),
        Some(&Value::from("Beijing"))
    );
}

#[test]
fn extract_nested_field_reports_a_missing_outer_field() {
    let mut t = one(
        "ExtractNestedField$Value",
        &[
            ("input.outer.field.name", "nope"),
            ("input.inner.field.name", "city"),
            ("output.field.name", "c"),
        ],
    );
    let err = t
        .apply(record(Some(employee_schema()), employee(1, "a", "b")))
        .unwrap_err();
    assert!(err.to_string().contains("no field 'nope'"), "{err}");
}

/// A filtered record is dropped cleanly (`Ok(None)`), for structs and maps; others pass.
#[test]
fn pattern_filter_drops_full_matches_only() {
    let mut t = one(
        "PatternFilter$Value",
        &[("pattern", "test-.*"), ("fields", "name")],
    );
    assert_eq!(
        t.apply(record(
            Some(employee_schema()),
            employee(1, "test-user", "x")
        ))
        .unwrap(),
        None
    );
    assert!(
        t.apply(record(
            Some(employee_schema()),
            employee(1, "a test-user", "x")
        ))
        .unwrap()
        .is_some()
    );
    // "company" is not listed, so its match does not count.
    assert!(
        t.apply(record(
            Some(employee_schema()),
            employee(1, "real", "test-co")
        ))
        .unwrap()
        .is_some()
    );
    assert_eq!(
        t.apply(record(None, map(&[("name", Value::from("test-1"))])))
            .unwrap(),
        None
    );
    assert!(
        t.apply(record(None, Value::from("test-1")))
            .unwrap()
            .is_some()
    );

    // Without `fields` the Java transform filters nothing: here that is a configuration error.
    assert_eq!(
        crate::tests::single_errors(
            "org.apache.rocketmq.connect.transforms.PatternFilter$Value",
            &[("pattern", "test-.*")]
        ),
        ["transforms.t.fields"]
    );
}

#[test]
fn pattern_rename_supports_groups_and_flags() {
    let mut t = one(
        "PatternRename$Value",
        &[
            ("field.pattern", "^COMP(\\w+)$"),
            ("field.pattern.flags", "CASE_INSENSITIVE"),
            ("field.replacement", "org_$1"),
        ],
    );
    let out = apply(
        &mut t,
        record(Some(employee_schema()), employee(1, "a", "b")),
    );
    assert_eq!(field_names(&out.value), ["id", "name", "org_any"]);
}

#[test]
fn pattern_rename_collision_is_an_error_not_a_lost_field() {
    let mut t = one(
        "PatternRename$Value",
        &[
            ("field.pattern", "name|company"),
            ("field.replacement", "x"),
        ],
    );
    let err = t
        .apply(record(Some(employee_schema()), employee(1, "a", "b")))
        .unwrap_err();
    assert!(err.to_string().contains("collides"), "{err}");
}

#[test]
fn set_maximum_precision_caps_decimal_parameters() {
    let schema = SchemaBuilder::struct_()
        .field(
            "price",
            SchemaBuilder::decimal(2)
                .parameter(DECIMAL_PRECISION, "40")
                .build(),
        )
        .unwrap()
        .field(
            "small",
            SchemaBuilder::decimal(2)
                .parameter(DECIMAL_PRECISION, "10")
                .build(),
        )
        .unwrap()
        .field("plain", SchemaBuilder::decimal(2).build())
        .unwrap()
        .build();
    let mut s = Struct::new(schema.clone()).unwrap();
    s.put("price", BigDecimal::from_str("1.50").unwrap())
        .unwrap();
    let mut t = one("SetMaximumPrecision$Value", &[("precision.max", "20")]);
    let out = apply(&mut t, record(Some(schema), Value::Struct(s)));
    let out_schema = out.value_schema.unwrap();
    let precision = |name: &str| {
        out_schema
            .field(name)
            .unwrap()
            .schema()
            .parameters()
            .get(DECIMAL_PRECISION)
            .cloned()
    };
    assert_eq!(precision("price").as_deref(), Some("20"));
    assert_eq!(precision("small").as_deref(), Some("10"));
    assert_eq!(
        precision("plain").as_deref(),
        Some("20"),
        "absent precision counts as 64"
    );
    assert_eq!(
        out.value.as_struct().unwrap().get("price"),
        Some(&Value::Decimal(BigDecimal::from_str("1.50").unwrap()))
    );
}

/// Both variants work (the Java `$Value` is a no-op) and extensions survive.
#[test]
fn set_null_clears_key_or_value() {
    let r = record(Some(employee_schema()), employee(1, "a", "b"))
        .with_key(Some(SchemaBuilder::int64().build()), 1_i64)
        .with_extension("trace", "x");
    let out = apply(&mut one("SetNull$Value", &[]), r.clone());
    assert_eq!(
        (out.value_schema.is_none(), out.value.is_null()),
        (true, true)
    );
    assert_eq!(out.key, Value::Int64(1));
    assert_eq!(out.extensions.get("trace"), Some("x"));
    let out = apply(&mut one("SetNull$Key", &[]), r);
    assert!(out.key.is_null() && out.key_schema.is_none());
    assert!(!out.value.is_null());
}

#[test]
fn regex_router_rewrites_matching_topics() {
    let mut t = one(
        "RegexRouter",
        &[
            ("regex", "server_(\\d+)\\.(.*)"),
            ("replacement", "cdc-$2-$1"),
        ],
    );
    let mut r = record(None, Value::from("x"));
    r.set_topic("server_026.employee");
    assert_eq!(apply(&mut t, r).topic(), Some("cdc-employee-026"));
    // The partition's topic counts when there is no extension; non-matching topics stay.
    assert_eq!(
        apply(&mut t, record(None, Value::from("x"))).topic(),
        Some("t")
    );
}
