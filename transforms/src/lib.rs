//! Single-record transforms, predicates, and the chain that runs them.
//!
//! # Codemap
//! - [`chain`]: [`TransformChain`] — parses `transforms`/`transforms.<alias>.*` and
//!   `predicates`, validates every alias up front, applies steps in order, stops them.
//! - [`side`]: the `$Key`/`$Value` mechanism ([`side::FieldTransform`] + [`side::OnSide`]).
//! - [`rocketmq`]: the seed's set under `org.apache.rocketmq.connect.transforms.*`:
//!   ChangeCase, ExtractNestedField, PatternFilter, PatternRename, SetMaximumPrecision,
//!   SetNull, RegexRouter.
//! - [`kafka`]: the Kafka Connect set under `org.apache.kafka.connect.transforms.*`:
//!   InsertField, ReplaceField, MaskField, Cast, ExtractField, HoistField, Flatten, ValueToKey,
//!   TimestampConverter, SetSchemaMetadata, TimestampRouter, DropHeaders, InsertHeader,
//!   HeaderFrom, Filter (with RegexRouter shared with the RocketMQ set). Headers are the
//!   record's extensions.
//! - [`debezium`]: Debezium's `ExtractNewRecordState` (CDC envelopes → rows).
//! - [`predicates`](mod@predicates): TopicNameMatches, HasHeaderKey, RecordIsTombstone.
//! - [`field_path`](mod@field_path): nested field paths (`field.syntax.version=V2`, KIP-821).
//! - [`java_text`]: values as Kafka prints them (Java float forms, ISO dates), for casts to text.
//! - [`transforms()`] and [`predicates()`]: the registries, by class name and aliases.
//!
//! Every transform handles schema'd structs and schemaless maps; a tombstone (null value)
//! passes through untouched unless the transform is about nulls.

pub mod chain;
pub mod debezium;
pub mod field_path;
mod field_rename;
pub mod java_text;
pub mod kafka;
mod predicate_impls;
pub mod rocketmq;
pub mod side;
pub mod util;

use connect_api::plugin::{Plugin, PluginKind};
use connect_api::{Predicate, Transform};

pub use chain::TransformChain;

/// Builds an unconfigured transform.
pub type TransformFactory = fn() -> Box<dyn Transform>;
/// Builds an unconfigured predicate.
pub type PredicateFactory = fn() -> Box<dyn Predicate>;

/// The predicate implementations.
pub mod predicates {
    pub use crate::predicate_impls::{HasHeaderKey, RecordIsTombstone, TopicNameMatches};
}

macro_rules! sided {
    ($list:ident, $prefix:literal, $name:literal, $ty:ty, [$($alias_key:literal),*], [$($alias_value:literal),*]) => {
        $list.push(Plugin {
            class_name: concat!($prefix, $name, "$Key"),
            aliases: &[concat!($name, "$Key") $(, $alias_key)*],
            kind: PluginKind::Transformation,
            factory: side::key::<$ty>,
        });
        $list.push(Plugin {
            class_name: concat!($prefix, $name, "$Value"),
            aliases: &[concat!($name, "$Value") $(, $alias_value)*],
            kind: PluginKind::Transformation,
            factory: side::value::<$ty>,
        });
    };
}

/// Every built-in transform: Java class name first, then short and cross-ecosystem aliases.
pub fn transforms() -> Vec<Plugin<TransformFactory>> {
    use kafka::*;
    use rocketmq::*;
    let mut list: Vec<Plugin<TransformFactory>> = Vec::with_capacity(40);
    sided!(
        list,
        "org.apache.rocketmq.connect.transforms.",
        "ChangeCase",
        ChangeCase,
        [],
        []
    );
    sided!(
        list,
        "org.apache.rocketmq.connect.transforms.",
        "ExtractNestedField",
        ExtractNestedField,
        [],
        []
    );
    sided!(
        list,
        "org.apache.rocketmq.connect.transforms.",
        "PatternFilter",
        PatternFilter,
        [],
        []
    );
    sided!(
        list,
        "org.apache.rocketmq.connect.transforms.",
        "PatternRename",
        PatternRename,
        [],
        []
    );
    sided!(
        list,
        "org.apache.rocketmq.connect.transforms.",
        "SetMaximumPrecision",
        SetMaximumPrecision,
        [],
        []
    );
    sided!(
        list,
        "org.apache.rocketmq.connect.transforms.",
        "SetNull",
        SetNull,
        [],
        []
    );
    list.push(Plugin {
        class_name: "io.debezium.transforms.ExtractNewRecordState",
        aliases: &["ExtractNewRecordState", "UnwrapFromEnvelope"],
        kind: PluginKind::Transformation,
        factory: || Box::new(debezium::ExtractNewRecordState::default()),
    });
    list.push(Plugin {
        class_name: "org.apache.rocketmq.connect.transforms.RegexRouter",
        aliases: &[
            "RegexRouter",
            "org.apache.kafka.connect.transforms.RegexRouter",
        ],
        kind: PluginKind::Transformation,
        factory: || Box::new(RegexRouter::default()),
    });
    sided!(
        list,
        "org.apache.kafka.connect.transforms.",
        "InsertField",
        InsertField,
        ["org.apache.rocketmq.connect.transforms.InsertField$Key"],
        ["org.apache.rocketmq.connect.transforms.InsertField$Value"]
    );
    sided!(
        list,
        "org.apache.kafka.connect.transforms.",
        "ReplaceField",
        ReplaceField,
        ["org.apache.rocketmq.connect.transforms.ReplaceField$Key"],
        ["org.apache.rocketmq.connect.transforms.ReplaceField$Value"]
    );
    sided!(
        list,
        "org.apache.kafka.connect.transforms.",
        "MaskField",
        MaskField,
        ["org.apache.rocketmq.connect.transforms.MaskField$Key"],
        ["org.apache.rocketmq.connect.transforms.MaskField$Value"]
    );
    sided!(
        list,
        "org.apache.kafka.connect.transforms.",
        "Cast",
        Cast,
        ["org.apache.rocketmq.connect.transforms.Cast$Key"],
        ["org.apache.rocketmq.connect.transforms.Cast$Value"]
    );
    sided!(
        list,
        "org.apache.kafka.connect.transforms.",
        "ExtractField",
        ExtractField,
        ["org.apache.rocketmq.connect.transforms.ExtractField$Key"],
        ["org.apache.rocketmq.connect.transforms.ExtractField$Value"]
    );
    sided!(
        list,
        "org.apache.kafka.connect.transforms.",
        "HoistField",
        HoistField,
        ["org.apache.rocketmq.connect.transforms.HoistField$Key"],
        ["org.apache.rocketmq.connect.transforms.HoistField$Value"]
    );
    sided!(
        list,
        "org.apache.kafka.connect.transforms.",
        "Flatten",
        Flatten,
        ["org.apache.rocketmq.connect.transforms.Flatten$Key"],
        ["org.apache.rocketmq.connect.transforms.Flatten$Value"]
    );
    sided!(
        list,
        "org.apache.kafka.connect.transforms.",
        "TimestampConverter",
        TimestampConverter,
        ["org.apache.rocketmq.connect.transforms.TimestampConverter$Key"],
        ["org.apache.rocketmq.connect.transforms.TimestampConverter$Value"]
    );
    list.push(Plugin {
        class_name: "org.apache.kafka.connect.transforms.ValueToKey",
        aliases: &[
            "ValueToKey",
            "org.apache.rocketmq.connect.transforms.ValueToKey",
        ],
        kind: PluginKind::Transformation,
        factory: || Box::new(ValueToKey::default()),
    });
    sided!(
        list,
        "org.apache.kafka.connect.transforms.",
        "SetSchemaMetadata",
        SetSchemaMetadata,
        [],
        []
    );
    list.push(Plugin {
        class_name: "org.apache.kafka.connect.transforms.HeaderFrom$Key",
        aliases: &["HeaderFrom$Key"],
        kind: PluginKind::Transformation,
        factory: || Box::new(HeaderFrom::new(side::Side::Key)),
    });
    list.push(Plugin {
        class_name: "org.apache.kafka.connect.transforms.HeaderFrom$Value",
        aliases: &["HeaderFrom$Value"],
        kind: PluginKind::Transformation,
        factory: || Box::new(HeaderFrom::new(side::Side::Value)),
    });
    list.push(Plugin {
        class_name: "org.apache.kafka.connect.transforms.TimestampRouter",
        aliases: &["TimestampRouter"],
        kind: PluginKind::Transformation,
        factory: || Box::new(TimestampRouter::default()),
    });
    list.push(Plugin {
        class_name: "org.apache.kafka.connect.transforms.DropHeaders",
        aliases: &["DropHeaders"],
        kind: PluginKind::Transformation,
        factory: || Box::new(DropHeaders::default()),
    });
    list.push(Plugin {
        class_name: "org.apache.kafka.connect.transforms.InsertHeader",
        aliases: &["InsertHeader"],
        kind: PluginKind::Transformation,
        factory: || Box::new(InsertHeader::default()),
    });
    list.push(Plugin {
        class_name: "org.apache.kafka.connect.transforms.Filter",
        aliases: &["Filter", "org.apache.rocketmq.connect.transforms.Filter"],
        kind: PluginKind::Transformation,
        factory: || Box::new(Filter),
    });
    list
}

/// Every built-in predicate.
pub fn predicates() -> Vec<Plugin<PredicateFactory>> {
    use predicate_impls::*;
    vec![
        Plugin {
            class_name: "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
            aliases: &[
                "TopicNameMatches",
                "org.apache.rocketmq.connect.transforms.predicates.TopicNameMatches",
            ],
            kind: PluginKind::Predicate,
            factory: || Box::new(TopicNameMatches::default()),
        },
        Plugin {
            class_name: "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
            aliases: &[
                "HasHeaderKey",
                "HasExtensionKey",
                "org.apache.rocketmq.connect.transforms.predicates.HasHeaderKey",
            ],
            kind: PluginKind::Predicate,
            factory: || Box::new(HasHeaderKey::default()),
        },
        Plugin {
            class_name: "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
            aliases: &[
                "RecordIsTombstone",
                "org.apache.rocketmq.connect.transforms.predicates.RecordIsTombstone",
            ],
            kind: PluginKind::Predicate,
            factory: || Box::new(RecordIsTombstone),
        },
    ]
}

#[cfg(test)]
mod tests;
