//! Kafka's DropHeadersTest, InsertHeaderTest and HeaderFromTest. Headers are extensions here:
//! one value per name, so where Kafka appends a second header of a name, the later value is
//! the one kept (the README's differences table).

use connect_api::{ConnectRecord, SchemaBuilder, SchemaRef, Struct, Value};

use super::{K, smt};
use crate::tests::{map, record, single_errors};

/// Kafka's common record: key "key", value "value", timestamp 0, with `headers`.
fn with_headers(headers: &[(&str, &str)]) -> ConnectRecord {
    let mut r = record(None, Value::from("value")).with_key(None, "key");
    r.timestamp = Some(0);
    for (k, v) in headers {
        r.extensions.put((*k).to_owned(), *v);
    }
    r
}

fn headers_of(r: &ConnectRecord) -> Vec<(String, String)> {
    r.extensions
        .iter()
        .filter(|(k, _)| *k != "topic")
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = list
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    out.sort();
    out
}

/// Everything but the headers is unchanged.
fn assert_rest_unchanged(before: &ConnectRecord, after: &ConnectRecord) {
    assert_eq!(after.position, before.position);
    assert_eq!(after.timestamp, before.timestamp);
    assert_eq!(after.key, before.key);
    assert_eq!(after.value, before.value);
    assert_eq!(after.topic(), before.topic());
}

#[test]
fn drop_headers() {
    let mut t = smt("DropHeaders", &[("headers", "to-drop")]);
    let before = with_headers(&[
        ("existing", "existing-value"),
        ("to-drop", "existing-value"),
    ]);
    let after = t.apply(before.clone()).unwrap().unwrap();
    assert_eq!(headers_of(&after), pairs(&[("existing", "existing-value")]));
    assert_rest_unchanged(&before, &after);

    let before = with_headers(&[("existing", "existing-value")]);
    let after = t.apply(before.clone()).unwrap().unwrap();
    assert_eq!(headers_of(&after), pairs(&[("existing", "existing-value")]));

    assert_eq!(
        single_errors(&format!("{K}DropHeaders"), &[("headers", "")]),
        ["transforms.t.headers"]
    );
}

#[test]
fn insert_header() {
    let mut t = smt(
        "InsertHeader",
        &[("header", "inserted"), ("value.literal", "inserted-value")],
    );
    let before = with_headers(&[("existing", "existing-value")]);
    let after = t.apply(before.clone()).unwrap().unwrap();
    assert_eq!(
        headers_of(&after),
        pairs(&[
            ("existing", "existing-value"),
            ("inserted", "inserted-value")
        ])
    );
    assert_rest_unchanged(&before, &after);

    // An existing header of the same name: one value, the inserted one.
    let mut t = smt(
        "InsertHeader",
        &[("header", "existing"), ("value.literal", "inserted-value")],
    );
    let after = t
        .apply(with_headers(&[("existing", "preexisting-value")]))
        .unwrap()
        .unwrap();
    assert_eq!(headers_of(&after), pairs(&[("existing", "inserted-value")]));

    // Kafka types "1" as an INT8 header; its text is the same.
    let mut t = smt(
        "InsertHeader",
        &[("header", "inserted"), ("value.literal", "1")],
    );
    let after = t.apply(with_headers(&[])).unwrap().unwrap();
    assert_eq!(after.extensions.get("inserted"), Some("1"));

    // An empty literal is a value; a missing one, or a missing header name, is an error.
    let mut t = smt(
        "InsertHeader",
        &[("header", "inserted"), ("value.literal", "")],
    );
    assert_eq!(
        t.apply(with_headers(&[]))
            .unwrap()
            .unwrap()
            .extensions
            .get("inserted"),
        Some("")
    );
    let class = format!("{K}InsertHeader");
    assert_eq!(
        single_errors(&class, &[("value.literal", "1")]),
        ["transforms.t.header"]
    );
    assert_eq!(
        single_errors(&class, &[("header", "inserted")]),
        ["transforms.t.value.literal"]
    );
}

fn string() -> SchemaRef {
    SchemaBuilder::string().required().build()
}

fn two_strings() -> (SchemaRef, Value) {
    let schema = SchemaBuilder::struct_()
        .required()
        .field("field1", string())
        .unwrap()
        .field("field2", string())
        .unwrap()
        .build();
    let value = Struct::from_values(
        schema.clone(),
        vec![Value::from("field1-value"), Value::from("field2-value")],
    )
    .unwrap();
    (schema, Value::Struct(value))
}

/// One HeaderFrom case, run on the key and on the value, with a schema and without.
fn header_from(
    fields: &str,
    headers: &str,
    operation: &str,
    input: (SchemaRef, Value),
    existing: &[(&str, &str)],
    expected_fields: &[&str],
    expected_headers: &[(&str, &str)],
) {
    for key in [false, true] {
        let side = if key {
            "HeaderFrom$Key"
        } else {
            "HeaderFrom$Value"
        };
        for schemaless in [false, true] {
            let (schema, value) = input.clone();
            let (schema, value) = if schemaless {
                let s = value.as_struct().unwrap();
                let entries = s
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| (Value::from(f.name()), s.get_field(f).clone()))
                    .collect();
                (None, Value::Map(entries))
            } else {
                (Some(schema), value)
            };
            let mut r = with_headers(existing);
            if key {
                r = r.with_key(schema, value);
            } else {
                r = r.with_value(schema, value);
            }
            let mut t = smt(
                side,
                &[
                    ("fields", fields),
                    ("headers", headers),
                    ("operation", operation),
                ],
            );
            let out = t.apply(r).unwrap().unwrap();
            let data = if key { &out.key } else { &out.value };
            let names: Vec<String> = match data {
                Value::Struct(s) => s
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.name().to_owned())
                    .collect(),
                Value::Map(entries) => entries.iter().map(|(k, _)| k.to_string()).collect(),
                other => panic!("{other:?}"),
            };
            assert_eq!(names, expected_fields, "{side} schemaless={schemaless}");
            assert_eq!(
                headers_of(&out),
                pairs(expected_headers),
                "{side} schemaless={schemaless}"
            );
        }
    }
}

#[test]
fn header_from_copies_and_moves() {
    header_from(
        "field1",
        "inserted1",
        "copy",
        two_strings(),
        &[("header1", "existing-value")],
        &["field1", "field2"],
        &[("header1", "existing-value"), ("inserted1", "field1-value")],
    );
    header_from(
        "field1",
        "inserted1",
        "move",
        two_strings(),
        &[("header1", "existing-value")],
        &["field2"],
        &[("header1", "existing-value"), ("inserted1", "field1-value")],
    );
    // A header of the same name already there: the field's value replaces it.
    header_from(
        "field1",
        "inserted1",
        "copy",
        two_strings(),
        &[("inserted1", "existing-value")],
        &["field1", "field2"],
        &[("inserted1", "field1-value")],
    );
    header_from(
        "field1",
        "inserted1",
        "move",
        two_strings(),
        &[("inserted1", "existing-value")],
        &["field2"],
        &[("inserted1", "field1-value")],
    );
    // Two headers from one field; two fields into one header (the last wins).
    header_from(
        "field1,field1",
        "inserted1,inserted2",
        "move",
        two_strings(),
        &[("header1", "existing-value")],
        &["field2"],
        &[
            ("header1", "existing-value"),
            ("inserted1", "field1-value"),
            ("inserted2", "field1-value"),
        ],
    );
    header_from(
        "field1,field2",
        "inserted1,inserted1",
        "move",
        two_strings(),
        &[("header1", "existing-value")],
        &[],
        &[("header1", "existing-value"), ("inserted1", "field2-value")],
    );
}

#[test]
fn header_from_a_struct_field_writes_json() {
    let inner = SchemaBuilder::struct_()
        .required()
        .field("foo", string())
        .unwrap()
        .build();
    let schema = SchemaBuilder::struct_()
        .required()
        .field("field1", inner.clone())
        .unwrap()
        .field("field2", string())
        .unwrap()
        .build();
    let field1 = Value::Struct(Struct::from_values(inner, vec![Value::from("foo-value")]).unwrap());
    let value = Value::Struct(
        Struct::from_values(schema.clone(), vec![field1, Value::from("field2-value")]).unwrap(),
    );
    let json = r#"{"foo":"foo-value"}"#;
    header_from(
        "field1",
        "inserted1",
        "copy",
        (schema.clone(), value.clone()),
        &[("header1", "existing-value")],
        &["field1", "field2"],
        &[("header1", "existing-value"), ("inserted1", json)],
    );
    header_from(
        "field1",
        "inserted1",
        "move",
        (schema, value),
        &[("header1", "existing-value")],
        &["field2"],
        &[("header1", "existing-value"), ("inserted1", json)],
    );
}

/// `replace.null.with.default=false`: a null field sets no header (a header here has no null).
#[test]
fn header_from_a_null_field_without_replace_null_with_default() {
    let with_default = SchemaBuilder::string()
        .optional()
        .default_value(Value::from("default"))
        .unwrap()
        .build();
    let schema = SchemaBuilder::struct_()
        .required()
        .field("field1", with_default.clone())
        .unwrap()
        .field("field2", with_default)
        .unwrap()
        .build();
    let value = Value::Struct(
        Struct::from_values(
            schema.clone(),
            vec![Value::from("field1-value"), Value::Null],
        )
        .unwrap(),
    );
    for (operation, fields) in [("copy", vec!["field1", "field2"]), ("move", vec![])] {
        let mut t = smt(
            "HeaderFrom$Value",
            &[
                ("fields", "field1,field2"),
                ("headers", "inserted1,inserted2"),
                ("operation", operation),
                ("replace.null.with.default", "false"),
            ],
        );
        let out = t
            .apply(
                with_headers(&[("header1", "existing-value")])
                    .with_value(Some(schema.clone()), value.clone()),
            )
            .unwrap()
            .unwrap();
        assert_eq!(
            headers_of(&out),
            pairs(&[("header1", "existing-value"), ("inserted1", "field1-value")]),
            "{operation}"
        );
        let names: Vec<&str> = out
            .value
            .as_struct()
            .unwrap()
            .schema()
            .fields()
            .iter()
            .map(|f| f.name())
            .collect();
        assert_eq!(names, fields);
    }
    // With the default (true) the null field's default is the header.
    let mut t = smt(
        "HeaderFrom$Value",
        &[
            ("fields", "field2"),
            ("headers", "inserted2"),
            ("operation", "copy"),
        ],
    );
    let out = t
        .apply(with_headers(&[]).with_value(Some(schema), value))
        .unwrap()
        .unwrap();
    assert_eq!(out.extensions.get("inserted2"), Some("default"));
}

#[test]
fn header_from_configuration_errors() {
    for side in ["HeaderFrom$Key", "HeaderFrom$Value"] {
        let class = format!("{K}{side}");
        assert_eq!(
            single_errors(
                &class,
                &[
                    ("fields", "foo,bar"),
                    ("headers", "foo"),
                    ("operation", "copy")
                ]
            ),
            ["transforms.t.headers"]
        );
        assert_eq!(
            single_errors(
                &class,
                &[
                    ("fields", "foo"),
                    ("headers", "foo,bar"),
                    ("operation", "copy")
                ]
            ),
            ["transforms.t.headers"]
        );
        assert_eq!(
            single_errors(
                &class,
                &[("fields", ""), ("headers", ""), ("operation", "copy")]
            ),
            ["transforms.t.fields", "transforms.t.headers"]
        );
        assert_eq!(
            single_errors(
                &class,
                &[("fields", "a"), ("headers", "b"), ("operation", "Move")]
            ),
            ["transforms.t.operation"]
        );
    }
    // With a schema, a field the schema lacks is an error naming it (Kafka fails too).
    let (schema, value) = two_strings();
    let mut t = smt(
        "HeaderFrom$Value",
        &[("fields", "nope"), ("headers", "h"), ("operation", "copy")],
    );
    let err = t
        .apply(record(Some(schema), value))
        .unwrap_err()
        .to_string();
    assert!(err.contains("no field 'nope'"), "{err}");
    // Schemaless: a missing field sets no header; a plain value is refused.
    let mut t = smt(
        "HeaderFrom$Value",
        &[
            ("fields", "absent"),
            ("headers", "h"),
            ("operation", "copy"),
        ],
    );
    let out = t
        .apply(record(None, map(&[("a", Value::Int32(1))])))
        .unwrap()
        .unwrap();
    assert_eq!(out.extensions.get("h"), None);
    assert!(t.apply(record(None, Value::Int32(1))).is_err());
}
