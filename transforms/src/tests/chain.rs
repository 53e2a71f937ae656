use connect_api::{ConnectError, Value};

use super::*;

const RENAME: &str = "org.apache.rocketmq.connect.transforms.PatternRename$Value";

/// The seed's single-transform example renames `company` to `company02`.
#[test]
fn seed_single_transform_example() {
    let mut chain = chain(&[
        ("transforms", "Replace"),
        ("transforms.Replace.field.pattern", "company"),
        ("transforms.Replace.field.replacement", "company02"),
        ("transforms.Replace.class", RENAME),
    ]);
    let out = apply(
        &mut chain,
        record(Some(employee_schema()), employee(12, "name-06", "acme")),
    );
    assert_eq!(field_names(&out.value), ["id", "name", "company02"]);
    assert_eq!(
        out.value
            .as_struct()
            .unwrap()
            .get_string("company02")
            .unwrap(),
        Some("acme")
    );
    // Schemaless maps are renamed too.
    let out = apply(
        &mut chain,
        record(None, map(&[("company", Value::from("acme"))])),
    );
    assert_eq!(out.value.map_get("company02"), Some(&Value::from("acme")));
}

/// The seed's two-transform example runs in the listed order: company → company02 → company03.
#[test]
fn seed_multiple_transforms_run_in_order() {
    let pairs = [
        ("transforms", "Replace, Replace02"),
        ("transforms.Replace.field.pattern", "company"),
        ("transforms.Replace.field.replacement", "company02"),
        ("transforms.Replace.class", RENAME),
        ("transforms.Replace02.field.pattern", "company02"),
        ("transforms.Replace02.field.replacement", "company03"),
        ("transforms.Replace02.class", RENAME),
    ];
    let mut forward = chain(&pairs);
    assert_eq!(forward.aliases(), ["Replace", "Replace02"]);
    let out = apply(
        &mut forward,
        record(Some(employee_schema()), employee(1, "a", "b")),
    );
    assert_eq!(field_names(&out.value), ["id", "name", "company03"]);

    // Reversed, the second rename finds nothing to rename: order matters and is kept.
    let mut reversed_pairs = pairs;
    reversed_pairs[0] = ("transforms", "Replace02,Replace");
    let mut reversed = chain(&reversed_pairs);
    let out = apply(
        &mut reversed,
        record(Some(employee_schema()), employee(1, "a", "b")),
    );
    assert_eq!(field_names(&out.value), ["id", "name", "company02"]);
}

#[test]
fn no_transforms_is_an_empty_chain() {
    let mut chain = chain(&[("connector.class", "X")]);
    assert!(chain.is_empty());
    let r = record(None, Value::from("x"));
    assert_eq!(chain.apply(r.clone()).unwrap(), Some(r));
}

/// Every problem of every alias is reported at once, each naming alias and key.
#[test]
fn bad_configuration_names_alias_and_key() {
    let keys = error_keys(&[
        ("transforms", "A, B, C, D, E"),
        ("transforms.A.class", "com.example.NoSuchTransform"),
        // B has no class at all.
        ("transforms.C.class", RENAME),
        ("transforms.C.field.pattern", "(unclosed"),
        ("transforms.C.field.replacement", "x"),
        (
            "transforms.D.class",
            "org.apache.rocketmq.connect.transforms.SetMaximumPrecision$Value",
        ),
        ("transforms.D.precision.max", "lots"),
        ("transforms.E.class", "ExtractField$Value"),
    ]);
    assert_eq!(
        keys,
        [
            "transforms.A.class",
            "transforms.B.class",
            "transforms.C.field.pattern",
            "transforms.D.precision.max",
            "transforms.E.field",
        ]
    );
}

#[test]
fn error_messages_say_what_was_expected() {
    let errors = TransformChain::validate(&config(&[
        ("transforms", "C"),
        ("transforms.C.class", "ChangeCase$Value"),
        ("transforms.C.from", "LOWER_CAMEL"),
        ("transforms.C.to", "Shouting"),
    ]));
    assert_eq!(errors.len(), 1);
    let text = errors[0].to_string();
    assert!(
        text.contains("transforms.C.to")
            && text.contains("Shouting")
            && text.contains("UPPER_CAMEL"),
        "{text}"
    );
}

/// A failure while transforming names the alias and the class.
#[test]
fn runtime_errors_name_the_alias() {
    let mut chain = chain(&[
        ("transforms", "pick"),
        ("transforms.pick.class", "ExtractField$Value"),
        ("transforms.pick.field", "id"),
    ]);
    let err = chain.apply(record(None, Value::Int32(5))).unwrap_err();
    assert!(matches!(err, ConnectError::Data(_)));
    assert!(err.to_string().contains("transform 'pick'"), "{err}");
}

/// Kafka's `.type` works wherever `.class` does; `Filter` drops what its predicate matches.
#[test]
fn filter_with_topic_predicate_and_negation() {
    let mut drop_orders = chain(&[
        ("transforms", "dropOrders"),
        (
            "transforms.dropOrders.type",
            "org.apache.kafka.connect.transforms.Filter",
        ),
        ("transforms.dropOrders.predicate", "isOrders"),
        ("predicates", "isOrders"),
        (
            "predicates.isOrders.type",
            "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
        ),
        ("predicates.isOrders.pattern", "orders-.*"),
    ]);
    let mut orders = record(None, Value::from("x"));
    orders.set_topic("orders-eu");
    assert_eq!(drop_orders.apply(orders.clone()).unwrap(), None);
    let mut other = orders.clone();
    other.set_topic("users");
    assert!(drop_orders.apply(other.clone()).unwrap().is_some());

    let mut keep_orders = chain(&[
        ("transforms", "f"),
        ("transforms.f.type", "Filter"),
        ("transforms.f.predicate", "isOrders"),
        ("transforms.f.negate", "true"),
        ("predicates", "isOrders"),
        ("predicates.isOrders.type", "TopicNameMatches"),
        ("predicates.isOrders.pattern", "orders-.*"),
    ]);
    assert!(keep_orders.apply(orders).unwrap().is_some());
    assert_eq!(keep_orders.apply(other).unwrap(), None);
}

#[test]
fn tombstone_and_header_predicates() {
    let mut drop_tombstones = chain(&[
        ("transforms", "f"),
        ("transforms.f.class", "Filter"),
        ("transforms.f.predicate", "t"),
        ("predicates", "t"),
        ("predicates.t.type", "RecordIsTombstone"),
    ]);
    assert_eq!(
        drop_tombstones.apply(record(None, Value::Null)).unwrap(),
        None
    );
    assert!(
        drop_tombstones
            .apply(record(None, Value::from("x")))
            .unwrap()
            .is_some()
    );

    let mut drop_flagged = chain(&[
        ("transforms", "f"),
        ("transforms.f.class", "Filter"),
        ("transforms.f.predicate", "h"),
        ("predicates", "h"),
        ("predicates.h.type", "HasHeaderKey"),
        ("predicates.h.name", "skip"),
    ]);
    let flagged = record(None, Value::from("x")).with_extension("skip", "1");
    assert_eq!(drop_flagged.apply(flagged).unwrap(), None);
    assert!(
        drop_flagged
            .apply(record(None, Value::from("x")))
            .unwrap()
            .is_some()
    );
}

#[test]
fn predicate_configuration_errors() {
    let keys = error_keys(&[
        ("transforms", "f, g"),
        ("transforms.f.class", "Filter"),
        ("transforms.f.predicate", "missing"),
        ("transforms.g.class", "Filter"),
        ("transforms.g.predicate", "p"),
        ("transforms.g.negate", "perhaps"),
        ("predicates", "p, q"),
        ("predicates.p.type", "TopicNameMatches"),
        ("predicates.p.pattern", "[bad"),
        ("predicates.q.type", "NoSuchPredicate"),
    ]);
    assert_eq!(
        keys,
        [
            "predicates.p.pattern",
            "predicates.q.type",
            "transforms.f.predicate",
            "transforms.g.negate"
        ]
    );
}

/// Every registered name resolves to a transform that can be built with its config def.
#[test]
fn registry_names_are_unique_and_cover_the_seed_list() {
    let registry = crate::transforms();
    let mut names = std::collections::HashSet::new();
    for plugin in &registry {
        assert!(
            names.insert(plugin.class_name),
            "duplicate {}",
            plugin.class_name
        );
        for alias in plugin.aliases {
            assert!(names.insert(alias), "duplicate alias {alias}");
        }
    }
    for simple in [
        "ChangeCase",
        "ExtractNestedField",
        "PatternRename",
        "PatternFilter",
        "SetMaximumPrecision",
        "SetNull",
    ] {
        for side in ["Key", "Value"] {
            assert!(names.contains(
                format!("org.apache.rocketmq.connect.transforms.{simple}${side}").as_str()
            ));
        }
    }
    for simple in [
        "InsertField",
        "ReplaceField",
        "MaskField",
        "Cast",
        "ExtractField",
        "HoistField",
        "Flatten",
        "TimestampConverter",
    ] {
        for side in ["Key", "Value"] {
            assert!(
                names.contains(
                    format!("org.apache.kafka.connect.transforms.{simple}${side}").as_str()
                )
            );
            assert!(names.contains(format!("{simple}${side}").as_str()));
        }
    }
    for name in [
        "org.apache.kafka.connect.transforms.ValueToKey",
        "org.apache.kafka.connect.transforms.Filter",
        "org.apache.rocketmq.connect.transforms.RegexRouter",
    ] {
        assert!(names.contains(name), "{name}");
    }
}
