//! Nested field paths (Kafka's KIP-821, `field.syntax.version`): with `V1` (the default) a
//! field name is taken whole; with `V2` dots separate steps (`address.city`) and a step in
//! backticks may hold dots (`` `a.b`.c ``; a backslash before a backtick that is followed by a
//! dot keeps it). Lookups walk structs (by schema) or maps (schemaless).

use connect_api::config_def::{ConfigDef, ConfigType, Validator};
use connect_api::{Config, ConfigError, ConnectError, ConnectResult, Field, SchemaRef, Value};

pub const FIELD_SYNTAX_VERSION: &str = "field.syntax.version";

/// Adds `field.syntax.version` to a transform's keys.
pub fn with_syntax_key(def: ConfigDef) -> ConfigDef {
    def.optional(
        FIELD_SYNTAX_VERSION,
        ConfigType::String,
        "V1",
        "V1: field names are taken whole; V2: dots separate nested fields, backticks quote",
    )
    .validate_with(Validator::OneOf(&["V1", "V2"]))
}

/// A parsed field path: the steps from the outer struct or map inwards.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath {
    text: String,
    steps: Vec<String>,
}

impl FieldPath {
    /// Parses `text` under the configured syntax (the key `field.syntax.version`).
    pub fn configured(config: &Config, key: &str, text: &str) -> Result<Self, ConfigError> {
        let v2 = config
            .get_string_or(FIELD_SYNTAX_VERSION, "V1")
            .eq_ignore_ascii_case("V2");
        let steps = if v2 {
            parse_v2(text).map_err(|message| ConfigError::invalid(key, text, message))?
        } else {
            vec![text.to_owned()]
        };
        Ok(Self {
            text: text.to_owned(),
            steps,
        })
    }

    /// The path as configured.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The field the path names in a struct `schema`, `None` when a step is missing or
    /// crosses a non-struct.
    pub fn field_in<'a>(&self, schema: &'a SchemaRef) -> Option<&'a Field> {
        let (last, parents) = self.steps.split_last()?;
        let mut current = schema;
        for step in parents {
            current = current.field(step)?.schema();
        }
        current.field(last)
    }

    /// The value the path names in a struct (defaults applied when `with_defaults`); a null
    /// on the way gives a null.
    pub fn value_in_struct(&self, value: &Value, with_defaults: bool) -> Value {
        let mut current = value;
        for step in &self.steps {
            let Value::Struct(s) = current else {
                return Value::Null;
            };
            let Some(field) = s.schema().field(step) else {
                return Value::Null;
            };
            current = if with_defaults {
                s.get_field(field)
            } else {
                &s.values()[field.index()]
            };
        }
        current.clone()
    }

    /// The value the path names in a schemaless map: missing keys and nulls on the way give a
    /// null; anything else on the way is an error.
    pub fn value_in_map(&self, value: &Value) -> ConnectResult<Value> {
        let mut current = value;
        for step in &self.steps {
            match current {
                Value::Null => return Ok(Value::Null),
                Value::Map(_) => match current.map_get(step) {
                    Some(next) => current = next,
                    None => return Ok(Value::Null),
                },
                other => {
                    return Err(ConnectError::data(format!(
                        "field path '{}': step '{step}' needs a map, found a {}",
                        self.text,
                        other.type_name()
                    )));
                }
            }
        }
        Ok(current.clone())
    }
}

/// Splits a V2 path into its steps.
fn parse_v2(path: &str) -> Result<Vec<String>, String> {
    let bytes = path.as_bytes();
    let incomplete = |position: usize| {
        format!(
            "Incomplete backtick pair in path: [{path}], consider adding a backslash before \
             backtick at position {position} to escape it"
        )
    };
    let find = |from: usize, byte: u8| {
        bytes[from..]
            .iter()
            .position(|b| *b == byte)
            .map(|p| p + from)
    };
    let mut steps = Vec::new();
    let mut idx = 0;
    while idx < bytes.len() {
        if bytes[idx] == b'`' {
            let opening = idx;
            let mut start = idx + 1;
            let mut step = String::new();
            let mut at = start;
            loop {
                let close = find(at, b'`').ok_or_else(|| incomplete(opening))?;
                let escaped = close > start && bytes[close - 1] == b'\\';
                if close == bytes.len() - 1 {
                    if escaped {
                        return Err(incomplete(opening));
                    }
                    step.push_str(&path[start..close]);
                    idx = close + 1;
                    break;
                }
                if bytes[close + 1] != b'.' {
                    at = close + 1;
                    continue;
                }
                if escaped {
                    step.push_str(&path[start..close - 1]);
                    step.push('`');
                    start = close + 1;
                    at = start;
                    continue;
                }
                step.push_str(&path[start..close]);
                idx = close + 1;
                break;
            }
            steps.push(step);
        } else {
            let end = find(idx, b'.').unwrap_or(bytes.len());
            steps.push(path[idx..end].to_owned());
            idx = end;
        }
        // Past the separating dot; a dot at the very end leaves an empty last step.
        if idx < bytes.len() {
            idx += 1;
            if idx == bytes.len() {
                steps.push(String::new());
            }
        }
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka's FieldPathNotationTest, as facts.
    #[test]
    fn v2_paths_split_as_kafka_splits_them() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            ("foobarbaz", &["foobarbaz"]),
            ("foo.bar.baz", &["foo", "bar", "baz"]),
            ("foo`bar`baz", &["foo`bar`baz"]),
            ("..", &["", "", ""]),
            ("foo..", &["foo", "", ""]),
            (".bar.", &["", "bar", ""]),
            ("..baz", &["", "", "baz"]),
            ("`foo.bar.baz`", &["foo.bar.baz"]),
            ("foo.`bar.baz`", &["foo", "bar.baz"]),
            ("`foo.bar`.baz", &["foo.bar", "baz"]),
            ("foo.`bar`.baz", &["foo", "bar", "baz"]),
            ("foo.``bar.baz`", &["foo", "`bar.baz"]),
            ("foo.`bar.baz``", &["foo", "bar.baz`"]),
            ("foo.`ba`r.baz`", &["foo", "ba`r.baz"]),
            ("foo.ba`r.baz", &["foo", "ba`r", "baz"]),
            ("foo.``bar``.baz", &["foo", "`bar`", "baz"]),
            ("``foo.bar.baz``", &["`foo.bar.baz`"]),
            ("foo.`bar\\`.baz`", &["foo", "bar`.baz"]),
            ("foo.`bar.`baz`", &["foo", "bar.`baz"]),
            ("foo.`bar\\`.`baz`", &["foo", "bar`.`baz"]),
            ("foo.`bar\\\\`.\\`baz`", &["foo", "bar\\`.\\`baz"]),
        ];
        for (path, steps) in cases {
            assert_eq!(parse_v2(path).unwrap(), *steps, "{path}");
        }
    }

    fn v2(path: &str) -> FieldPath {
        let config: Config = [(FIELD_SYNTAX_VERSION, "V2")].into_iter().collect();
        FieldPath::configured(&config, "field", path).unwrap()
    }

    /// Kafka's SingleFieldPathTest: lookups through structs and maps.
    #[test]
    fn lookups_walk_structs_and_maps() {
        use connect_api::{SchemaBuilder, Struct};
        let inner = SchemaBuilder::struct_()
            .optional()
            .field("inner", SchemaBuilder::string().build())
            .unwrap()
            .build();
        let foo = SchemaBuilder::struct_()
            .required()
            .field("bar", SchemaBuilder::int32().required().build())
            .unwrap()
            .field("baz", inner)
            .unwrap()
            .build();
        let schema = SchemaBuilder::struct_()
            .required()
            .field("foo", foo.clone())
            .unwrap()
            .build();
        let foo_value =
            Value::Struct(Struct::from_values(foo, vec![Value::Int32(42), Value::Null]).unwrap());
        let value =
            Value::Struct(Struct::from_values(schema.clone(), vec![foo_value.clone()]).unwrap());

        assert_eq!(
            v2("foo.bar").field_in(&schema).map(|f| f.name()),
            Some("bar")
        );
        assert_eq!(
            v2("foo.bar").value_in_struct(&value, true),
            Value::Int32(42)
        );
        assert_eq!(v2("foo").value_in_struct(&value, true), foo_value);
        assert_eq!(v2("foo.baz").value_in_struct(&value, true), Value::Null);
        assert!(v2("foo.baz.inner").field_in(&schema).is_some());
        assert_eq!(
            v2("foo.baz.inner").value_in_struct(&value, true),
            Value::Null
        );
        for unknown in ["un.known", "foo.unknown", "unknown"] {
            assert!(v2(unknown).field_in(&schema).is_none(), "{unknown}");
            assert_eq!(v2(unknown).value_in_struct(&value, true), Value::Null);
        }

        let map = Value::map_of([(
            "foo".to_owned(),
            Value::map_of([
                ("bar".to_owned(), Value::Int32(42)),
                ("baz".to_owned(), Value::Null),
            ]),
        )]);
        assert_eq!(v2("foo.bar").value_in_map(&map).unwrap(), Value::Int32(42));
        for null in [
            "foo.baz",
            "un.known",
            "foo.unknown",
            "unknown",
            "foo.baz.inner",
        ] {
            assert_eq!(v2(null).value_in_map(&map).unwrap(), Value::Null, "{null}");
        }
        // Something other than a map on the way is an error.
        assert!(v2("foo.bar.x").value_in_map(&map).is_err());
    }

    #[test]
    fn unclosed_backticks_are_errors_naming_the_position() {
        let cases = [
            ("`foo.bar.baz", 0),
            ("foo.`bar.baz", 4),
            ("foo.bar.`baz", 8),
            ("foo.bar.`baz\\`", 8),
        ];
        for (path, position) in cases {
            assert_eq!(
                parse_v2(path).unwrap_err(),
                format!(
                    "Incomplete backtick pair in path: [{path}], consider adding a backslash \
                     before backtick at position {position} to escape it"
                )
            );
        }
    }
}
