//! `ReplaceField$Key` / `$Value`: keeps (`include`), drops (`exclude`) and renames (`renames`,
//! `old:new,…`) top-level fields. Kafka's older names `whitelist`/`blacklist` work too. Null
//! fields are copied as their defaults unless `replace.null.with.default=false`.

use std::collections::HashMap;

use connect_api::config_def::{ConfigDef, ConfigType};
use connect_api::{Config, ConfigError, ConnectRecord, ConnectResult, SchemaAndValue};

use crate::field_rename::{kafka_struct_like, rename_fields};
use crate::side::FieldTransform;
use crate::util::{SchemaCache, replace_null_with_default, with_replace_null_key};

#[derive(Debug, Default)]
pub struct ReplaceField {
    include: Vec<String>,
    exclude: Vec<String>,
    renames: HashMap<String, String>,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

fn parse_renames(raw: &[String]) -> Result<HashMap<String, String>, ConfigError> {
    let mut renames = HashMap::new();
    for pair in raw {
        match pair.split_once(':') {
            Some((from, to))
                if !from.trim().is_empty() && !to.trim().is_empty() && !to.contains(':') =>
            {
                renames.insert(from.trim().to_owned(), to.trim().to_owned());
            }
            _ => {
                return Err(ConfigError::invalid(
                    "renames",
                    pair,
                    "expected old:new pairs separated by commas",
                ));
            }
        }
    }
    Ok(renames)
}

impl FieldTransform for ReplaceField {
    fn config_def() -> ConfigDef {
        with_replace_null_key(
            ConfigDef::new()
                .optional(
                    "include",
                    ConfigType::List,
                    "",
                    "Fields to keep (empty: all)",
                )
                .optional("exclude", ConfigType::List, "", "Fields to drop")
                .optional(
                    "whitelist",
                    ConfigType::List,
                    "",
                    "Deprecated name of include",
                )
                .optional(
                    "blacklist",
                    ConfigType::List,
                    "",
                    "Deprecated name of exclude",
                )
                .optional("renames", ConfigType::List, "", "old:new pairs"),
        )
    }

    fn configure(&mut self, config: &Config) -> ConnectResult<()> {
        self.include = config.get_list("include");
        self.include.extend(config.get_list("whitelist"));
        self.exclude = config.get_list("exclude");
        self.exclude.extend(config.get_list("blacklist"));
        self.renames = parse_renames(&config.get_list("renames"))?;
        self.replace_null_with_default = replace_null_with_default(config)?;
        Ok(())
    }

    fn transform(
        &mut self,
        data: SchemaAndValue,
        _record: &ConnectRecord,
    ) -> ConnectResult<Option<SchemaAndValue>> {
        let (include, exclude, renames) = (&self.include, &self.exclude, &self.renames);
        let rename = |name: &str| {
            let kept = (include.is_empty() || include.iter().any(|f| f == name))
                && !exclude.iter().any(|f| f == name);
            kept.then(|| {
                renames
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| name.to_owned())
            })
        };
        rename_fields(
            "ReplaceField",
            data,
            &mut self.cache,
            kafka_struct_like,
            self.replace_null_with_default,
            &rename,
        )
        .map(Some)
    }
}
