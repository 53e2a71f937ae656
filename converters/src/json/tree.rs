//! A parsed JSON payload that loses nothing Kafka's reader keeps: numbers as their text (a
//! NUMERIC decimal reads every digit; serde_json's tree would pass it through f64) and object
//! fields in document order (a schemaless map keeps its key order, as Jackson's does).
//!
//! [`JsonLike`] is what decoding needs of a JSON value (schemas, their defaults and payloads are
//! all read from this tree).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// One JSON value, borrowing from the message text where it can.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node<'a> {
    Null,
    Bool(bool),
    /// The number exactly as written.
    Number(Cow<'a, str>),
    String(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    /// Fields in document order.
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
}

/// A string that borrows from the input unless it had escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

/// An object's fields, in order, each still raw.
struct Fields<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Fields<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;
        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = Fields<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
                    fields.push((key, map.next_value::<&'de RawValue>()?));
                }
                Ok(Fields(fields))
            }
        }
        deserializer.deserialize_map(FieldsVisitor)
    }
}

/// How deep arrays and objects may nest (serde_json's own limit): deeper input is an error,
/// never a stack overflow.
const MAX_DEPTH: usize = 128;

/// Parses `text` (one JSON document).
pub(crate) fn parse(text: &str) -> Result<Node<'_>, serde_json::Error> {
    let raw: &RawValue = serde_json::from_str(text)?;
    node(raw, 0)
}

fn node(raw: &RawValue, depth: usize) -> Result<Node<'_>, serde_json::Error> {
    let text = raw.get();
    let nested = matches!(text.as_bytes().first(), Some(b'{' | b'['));
    if nested && depth >= MAX_DEPTH {
        return Err(serde::de::Error::custom(format!(
            "nested deeper than {MAX_DEPTH} levels"
        )));
    }
    Ok(match text.as_bytes().first() {
        Some(b'{') => {
            let Fields(fields) = serde_json::from_str(text)?;
            let mut out: Vec<(Cow<'_, str>, Node<'_>)> = Vec::with_capacity(fields.len());
            // Wide objects look keys up in a map, so repeated keys stay linear to find.
            let mut index: HashMap<Cow<'_, str>, usize> = HashMap::new();
            for (key, value) in fields {
                let value = node(value, depth + 1)?;
                // A repeated key: the last value wins, at the first one's place (as Jackson).
                let seen = if out.len() < 16 {
                    out.iter().position(|(k, _)| *k == key)
                } else {
                    if index.is_empty() {
                        index.extend(out.iter().enumerate().map(|(i, (k, _))| (k.clone(), i)));
                    }
                    index.get(&key).copied()
                };
                match seen {
                    Some(at) => out[at].1 = value,
                    None => {
                        if !index.is_empty() {
                            index.insert(key.clone(), out.len());
                        }
                        out.push((key, value));
                    }
                }
            }
            Node::Object(out)
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text)?;
            Node::Array(
                items
                    .into_iter()
                    .map(|item| node(item, depth + 1))
                    .collect::<Result<_, _>>()?,
            )
        }
        Some(b'"') => Node::String(serde_json::from_str::<Text<'_>>(text)?.0),
        Some(b't') => Node::Bool(true),
        Some(b'f') => Node::Bool(false),
        Some(b'n') => Node::Null,
        _ => Node::Number(Cow::Borrowed(text)),
    })
}

/// What decoding reads of a JSON value.
pub(crate) trait JsonLike {
    fn is_null(&self) -> bool;
    fn as_bool(&self) -> Option<bool>;
    fn as_str(&self) -> Option<&str>;
    /// The number as written (for exact decimals), `None` when not a number.
    fn number_text(&self) -> Option<Cow<'_, str>>;
    fn as_i64(&self) -> Option<i64>;
    fn as_f64(&self) -> Option<f64>;
    fn items(&self) -> Option<Vec<&Self>>;
    /// An object's fields in document order.
    fn fields(&self) -> Option<Vec<(&str, &Self)>>;
    /// A short text of the value for error messages.
    fn shown(&self) -> String;
    /// The value of `key` in an object.
    fn get(&self, key: &str) -> Option<&Self> {
        self.fields()?
            .into_iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }
    /// A JSON null (a struct field absent from an object).
    fn null() -> Self;
    /// A JSON string (a map key read as a value).
    fn string(text: &str) -> Self;
}

/// True when a JSON number's text is an integer (no fraction, no exponent).
fn integral(text: &str) -> bool {
    !text.contains(['.', 'e', 'E'])
}

impl Node<'_> {
    /// The value as compact JSON text (for a schema parameter that is not a string).
    pub(crate) fn text(&self) -> String {
        match self {
            Node::Null => "null".to_owned(),
            Node::Bool(b) => b.to_string(),
            Node::Number(text) => text.to_string(),
            Node::String(s) => serde_json::to_string(s).unwrap_or_default(),
            Node::Array(items) => {
                let items: Vec<String> = items.iter().map(Node::text).collect();
                format!("[{}]", items.join(","))
            }
            Node::Object(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| {
                        format!(
                            "{}:{}",
                            serde_json::to_string(k).unwrap_or_default(),
                            v.text()
                        )
                    })
                    .collect();
                format!("{{{}}}", fields.join(","))
            }
        }
    }
}

impl JsonLike for Node<'_> {
    fn is_null(&self) -> bool {
        matches!(self, Node::Null)
    }
    fn as_bool(&self) -> Option<bool> {
        match self {
            Node::Bool(b) => Some(*b),
            _ => None,
        }
    }
    fn as_str(&self) -> Option<&str> {
        match self {
            Node::String(s) => Some(s),
            _ => None,
        }
    }
    fn number_text(&self) -> Option<Cow<'_, str>> {
        match self {
            Node::Number(text) => Some(Cow::Borrowed(text)),
            _ => None,
        }
    }
    fn as_i64(&self) -> Option<i64> {
        match self {
            Node::Number(text) if integral(text) => text.parse().ok(),
            _ => None,
        }
    }
    fn as_f64(&self) -> Option<f64> {
        match self {
            Node::Number(text) => text.parse().ok(),
            _ => None,
        }
    }
    fn items(&self) -> Option<Vec<&Self>> {
        match self {
            Node::Array(items) => Some(items.iter().collect()),
            _ => None,
        }
    }
    fn fields(&self) -> Option<Vec<(&str, &Self)>> {
        match self {
            Node::Object(fields) => Some(fields.iter().map(|(k, v)| (k.as_ref(), v)).collect()),
            _ => None,
        }
    }
    fn shown(&self) -> String {
        match self {
            Node::Null => "null".to_owned(),
            Node::Bool(b) => b.to_string(),
            Node::Number(text) => text.to_string(),
            Node::String(s) => serde_json::to_string(s).unwrap_or_default(),
            Node::Array(_) => "an array".to_owned(),
            Node::Object(_) => "an object".to_owned(),
        }
    }
    fn null() -> Self {
        Node::Null
    }
    fn string(text: &str) -> Self {
        Node::String(Cow::Owned(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_text_and_objects_their_order() {
        let tree = parse(r#" {"b": 1.5600, "a": [12345678901234567890.123456789, -0, 1e3], "c": "x\"y", "d": null} "#)
            .unwrap();
        let Node::Object(fields) = &tree else {
            panic!("{tree:?}")
        };
        let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["b", "a", "c", "d"]);
        assert_eq!(fields[0].1, Node::Number(Cow::Borrowed("1.5600")));
        assert_eq!(
            fields[1].1.items().unwrap()[0].number_text().as_deref(),
            Some("12345678901234567890.123456789")
        );
        assert_eq!(fields[2].1.as_str(), Some("x\"y"));
        assert!(fields[3].1.is_null());
        assert_eq!(parse("1e3").unwrap().as_i64(), None);
        assert_eq!(parse("1e3").unwrap().as_f64(), Some(1000.0));
        assert!(parse("{").is_err());
        assert!(parse("[1,]").is_err());
        assert!(parse("1 x").is_err());
    }

    /// Deep nesting is an error, not a stack overflow (10 KB of brackets).
    #[test]
    fn deep_nesting_is_an_error() {
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        assert!(
            parse(&deep)
                .unwrap_err()
                .to_string()
                .contains("nested deeper")
        );
        let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(parse(&ok).is_ok());
    }

    /// A repeated key keeps its first place and its last value, as Jackson reads it.
    #[test]
    fn a_repeated_key_keeps_the_last_value() {
        let Node::Object(fields) = parse(r#"{"a":1,"b":2,"a":3}"#).unwrap() else {
            panic!("an object")
        };
        assert_eq!(fields.len(), 2);
        assert_eq!(fields[0].0, "a");
        assert_eq!(fields[0].1, Node::Number(Cow::Borrowed("3")));
        // The same in a wide object (keys found through the map).
        let wide: Vec<String> = (0..40).map(|i| format!(r#""k{i}":{i}"#)).collect();
        let text = format!(r#"{{{},"k3":"again","k39":"last"}}"#, wide.join(","));
        let Node::Object(fields) = parse(&text).unwrap() else {
            panic!("an object")
        };
        assert_eq!(fields.len(), 40);
        assert_eq!(fields[3].1.as_str(), Some("again"));
        assert_eq!(fields[39].1.as_str(), Some("last"));
    }
}
