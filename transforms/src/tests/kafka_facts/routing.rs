//! Kafka's RegexRouterTest and predicate tests (TopicNameMatchesTest, HasHeaderKeyTest).

use connect_api::{Config, ConnectRecord, Predicate, Value};

use super::smt;
use crate::predicates::{HasHeaderKey, RecordIsTombstone, TopicNameMatches};
use crate::tests::record;

fn on_topic(topic: Option<&str>) -> ConnectRecord {
    let mut r = record(None, Value::Null);
    r.position.partition = Default::default();
    if let Some(topic) = topic {
        r.set_topic(topic);
    }
    r
}

#[test]
fn regex_router_rewrites_whole_matches() {
    let cases = [
        ("foo", "bar", "foo", "bar"),
        ("foo", "bar", "orig", "orig"),
        ("(.*)", "$1", "orig", "orig"),
        ("(.*)", "prefix-$1", "orig", "prefix-orig"),
        ("(.*)", "$1-suffix", "orig", "orig-suffix"),
        (
            "(.*)-(\\d\\d\\d\\d\\d\\d\\d\\d)",
            "$1",
            "index-20160117",
            "index",
        ),
    ];
    for (regex, replacement, topic, expected) in cases {
        let mut t = smt(
            "RegexRouter",
            &[("regex", regex), ("replacement", replacement)],
        );
        let out = t.apply(on_topic(Some(topic))).unwrap().unwrap();
        assert_eq!(
            out.topic(),
            Some(expected),
            "{regex} → {replacement} on {topic}"
        );
    }
}

fn configured<P: Predicate>(mut p: P, pairs: &[(&str, &str)]) -> Result<P, String> {
    let config: Config = pairs.iter().copied().collect();
    let errors = p.config_def().validate(&config);
    if !errors.is_empty() {
        return Err(errors[0].key.clone());
    }
    p.configure(&config).map_err(|e| e.to_string())?;
    Ok(p)
}

#[test]
fn topic_name_matches() {
    assert!(configured(TopicNameMatches::default(), &[]).is_err());
    assert!(configured(TopicNameMatches::default(), &[("pattern", "")]).is_err());
    assert!(configured(TopicNameMatches::default(), &[("pattern", "[")]).is_err());
    assert!(configured(TopicNameMatches::default(), &[("pattern", "*")]).is_err());
    let p = configured(TopicNameMatches::default(), &[("pattern", "my-prefix-.*")]).unwrap();
    for (topic, expected) in [
        ("my-prefix-", true),
        ("my-prefix-foo", true),
        ("x-my-prefix-", false),
        ("x-my-prefix-foo", false),
        ("your-prefix-", false),
        ("your-prefix-foo", false),
    ] {
        assert_eq!(p.test(&on_topic(Some(topic))), expected, "{topic}");
    }
    assert!(!p.test(&on_topic(None)));
}

#[test]
fn has_header_key() {
    assert!(configured(HasHeaderKey::default(), &[]).is_err());
    assert!(configured(HasHeaderKey::default(), &[("name", "")]).is_err());
    let p = configured(HasHeaderKey::default(), &[("name", "foo")]).unwrap();
    let with = |names: &[&str]| {
        let mut r = record(None, Value::Null);
        for n in names {
            r.extensions.put((*n).to_owned(), "");
        }
        p.test(&r)
    };
    assert!(with(&["foo"]));
    assert!(with(&["foo", "bar"]));
    assert!(with(&["bar", "foo"]));
    assert!(!with(&["bar"]));
    assert!(!with(&[]));
}

#[test]
fn record_is_tombstone() {
    let p = configured(RecordIsTombstone, &[]).unwrap();
    assert!(p.test(&record(None, Value::Null)));
    assert!(!p.test(&record(None, Value::Int32(1))));
}
