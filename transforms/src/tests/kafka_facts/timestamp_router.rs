//! Kafka's TimestampRouterTest, and its rules' edges.

use connect_api::Value;

use super::smt;
use crate::tests::record;

fn routed(config: &[(&str, &str)], topic: &str, timestamp: Option<i64>) -> Result<String, String> {
    let mut r = record(None, Value::Null);
    r.set_topic(topic);
    r.timestamp = timestamp;
    smt("TimestampRouter", config)
        .apply(r)
        .map(|out| out.unwrap().topic().unwrap().to_owned())
        .map_err(|e| e.to_string())
}

#[test]
fn routes_by_the_records_timestamp() {
    // 2017-01-03T06:30:01.864Z
    let at = Some(1_483_425_001_864);
    assert_eq!(routed(&[], "test", at).unwrap(), "test-20170103");
    assert_eq!(
        routed(&[("timestamp.format", "yyyy-MM-dd'T'HH")], "orders", at).unwrap(),
        "orders-2017-01-03T06"
    );
    assert_eq!(
        routed(
            &[("topic.format", "${timestamp}_${topic}_${topic}")],
            "t",
            at
        )
        .unwrap(),
        "20170103_t_t"
    );
    assert_eq!(routed(&[], "t", Some(-1)).unwrap(), "t-19691231");
    let err = routed(&[], "t", None).unwrap_err();
    assert!(err.contains("no timestamp"), "{err}");
    let err = routed(&[], "t", Some(i64::MAX)).unwrap_err();
    assert!(err.contains("out of range"), "{err}");
    // A pattern that is no date format is refused when configured (Kafka fails at the first
    // record).
    assert_eq!(
        crate::tests::single_errors(
            &format!("{}TimestampRouter", super::K),
            &[("timestamp.format", "bad-format")]
        ),
        ["transforms.t.timestamp.format"]
    );
}
