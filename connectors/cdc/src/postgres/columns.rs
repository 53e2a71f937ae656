//! PostgreSQL column types as the connector maps them. One function ([`PgKind::of`]) turns a
//! type oid and modifier into a kind, for the Relation messages of the stream and for the
//! catalog the snapshot reads alike, so both paths give a column the same schema.

use std::collections::HashMap;

/// How a column's values are read and what schema they get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PgKind {
    Bool,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    /// `numeric(p,s)`; `None` without a declared precision (variable scale).
    Numeric(Option<(u32, u32)>),
    Money,
    Text,
    Uuid,
    Json,
    Xml,
    Bytea,
    Date,
    /// `time(p)`; p is 6 when undeclared.
    Time(u32),
    TimeTz,
    /// `timestamp(p)`; p is 6 when undeclared.
    Timestamp(u32),
    TimestampTz,
    Interval,
    /// `bit(n)` / `varbit(n)`: the declared length (`varbit` without one: 0).
    Bits(u32),
    /// An enum type and its labels in order.
    Enum(Vec<String>),
    /// The `hstore` extension's key/value text.
    Hstore,
    /// The `ltree` extension's label paths.
    Ltree,
    /// A one-dimensional array of the element kind.
    Array(Box<PgKind>),
    /// A type the connector does not map: its name (kept as text only with
    /// `include.unknown.datatypes=true`).
    Unknown(String),
}

/// A table column: its name and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgColumn {
    pub name: String,
    pub kind: PgKind,
}

impl crate::table::ColumnDef for PgColumn {
    fn name(&self) -> &str {
        &self.name
    }

    fn schema(&self, config: &crate::config::CdcConfig) -> Option<connect_api::SchemaRef> {
        let modes = &config.postgres.as_ref()?.modes;
        super::values::field_schema(&self.kind, modes)
    }

    fn source_schema() -> connect_api::SchemaRef {
        super::source::schema()
    }
}

/// A user-defined type from `pg_type`: enums, domains and arrays of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserType {
    Enum(Vec<String>),
    /// A domain over `base` (with its modifier).
    Domain {
        base: u32,
        modifier: i32,
    },
    /// An array whose element type is `element`.
    Array {
        element: u32,
    },
    /// Anything else (composite, range, extension types such as hstore): its name.
    Other(String),
}

/// The server's non-builtin types, loaded from the catalog.
pub type TypeRegistry = HashMap<u32, UserType>;

impl PgKind {
    /// The kind of type `oid` with modifier `modifier` (-1: none).
    pub fn of(oid: u32, modifier: i32, types: &TypeRegistry) -> Self {
        Self::resolve(oid, modifier, types, 0)
    }

    fn resolve(oid: u32, modifier: i32, types: &TypeRegistry, depth: u8) -> Self {
        let precision = |default: u32| {
            if modifier < 0 {
                default
            } else {
                modifier as u32
            }
        };
        match oid {
            16 => Self::Bool,
            21 => Self::Int16,
            23 => Self::Int32,
            20 | 26 => Self::Int64,
            700 => Self::Float32,
            701 => Self::Float64,
            1700 => Self::Numeric((modifier >= 4).then(|| {
                let m = (modifier - 4) as u32;
                ((m >> 16) & 0xffff, m & 0xffff)
            })),
            790 => Self::Money,
            18 | 19 | 25 | 1042 | 1043 | 869 | 650 | 829 | 774 => Self::Text,
            2950 => Self::Uuid,
            114 | 3802 => Self::Json,
            142 => Self::Xml,
            17 => Self::Bytea,
            1082 => Self::Date,
            1083 => Self::Time(precision(6)),
            1266 => Self::TimeTz,
            1114 => Self::Timestamp(precision(6)),
            1184 => Self::TimestampTz,
            1186 => Self::Interval,
            // Ranges (int4range … daterange) are their text, as in Debezium 1.7.
            3904 | 3906 | 3908 | 3910 | 3912 | 3926 => Self::Text,
            1560 => Self::Bits(precision(1)),
            1562 => Self::Bits(precision(0)),
            _ => match BUILTIN_ARRAYS.iter().find(|(array, _)| *array == oid) {
                // An array column's type modifier is its element's (numeric(10,2)[]).
                Some((_, element)) => Self::Array(Box::new(Self::of(*element, modifier, types))),
                None => Self::user(oid, modifier, types, depth),
            },
        }
    }

    fn user(oid: u32, modifier: i32, types: &TypeRegistry, depth: u8) -> Self {
        if depth > 8 {
            return Self::Unknown(format!("type {oid}"));
        }
        match types.get(&oid) {
            Some(UserType::Enum(labels)) => Self::Enum(labels.clone()),
            Some(UserType::Domain { base, modifier: m }) => {
                let modifier = if *m >= 0 { *m } else { modifier };
                Self::resolve(*base, modifier, types, depth + 1)
            }
            Some(UserType::Array { element }) => {
                match Self::resolve(*element, modifier, types, depth + 1) {
                    unknown @ Self::Unknown(_) => unknown,
                    kind => Self::Array(Box::new(kind)),
                }
            }
            Some(UserType::Other(name)) => match name.as_str() {
                "citext" => Self::Text,
                "hstore" => Self::Hstore,
                "ltree" => Self::Ltree,
                _ => Self::Unknown(name.clone()),
            },
            None => Self::Unknown(format!("type {oid}")),
        }
    }
}

/// Builtin array types and their element types.
const BUILTIN_ARRAYS: &[(u32, u32)] = &[
    (1000, 16),
    (1005, 21),
    (1007, 23),
    (1016, 20),
    (1028, 26),
    (1021, 700),
    (1022, 701),
    (1231, 1700),
    (791, 790),
    (1002, 18),
    (1003, 19),
    (1009, 25),
    (1014, 1042),
    (1015, 1043),
    (1041, 869),
    (651, 650),
    (1040, 829),
    (2951, 2950),
    (199, 114),
    (3807, 3802),
    (143, 142),
    (1001, 17),
    (1182, 1082),
    (1183, 1083),
    (1270, 1266),
    (1115, 1114),
    (1185, 1184),
    (1187, 1186),
    (1561, 1560),
    (1563, 1562),
    // Ranges: int4range, numrange, tsrange, tstzrange, daterange, int8range.
    (3905, 3904),
    (3907, 3906),
    (3909, 3908),
    (3911, 3910),
    (3913, 3912),
    (3927, 3926),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_types_and_modifiers() {
        let none = TypeRegistry::new();
        assert_eq!(
            PgKind::of(1700, ((10 << 16) | 2) + 4, &none),
            PgKind::Numeric(Some((10, 2)))
        );
        assert_eq!(PgKind::of(1700, -1, &none), PgKind::Numeric(None));
        assert_eq!(PgKind::of(1114, 3, &none), PgKind::Timestamp(3));
        assert_eq!(PgKind::of(1114, -1, &none), PgKind::Timestamp(6));
        assert_eq!(PgKind::of(1560, 5, &none), PgKind::Bits(5));
        assert_eq!(
            PgKind::of(1007, -1, &none),
            PgKind::Array(Box::new(PgKind::Int32))
        );
        assert_eq!(
            PgKind::of(99999, -1, &none),
            PgKind::Unknown("type 99999".into())
        );
    }

    #[test]
    fn enums_domains_and_their_arrays_resolve_through_the_registry() {
        let types = TypeRegistry::from([
            (50000, UserType::Enum(vec!["a".into(), "b".into()])),
            (50001, UserType::Array { element: 50000 }),
            (
                50002,
                UserType::Domain {
                    base: 1700,
                    modifier: ((8 << 16) | 3) + 4,
                },
            ),
            (50003, UserType::Other("hstore".into())),
            (50004, UserType::Other("citext".into())),
            (50005, UserType::Other("postgis_geometry".into())),
        ]);
        assert_eq!(
            PgKind::of(50001, -1, &types),
            PgKind::Array(Box::new(PgKind::Enum(vec!["a".into(), "b".into()])))
        );
        assert_eq!(PgKind::of(50002, -1, &types), PgKind::Numeric(Some((8, 3))));
        assert_eq!(PgKind::of(50003, -1, &types), PgKind::Hstore);
        let more = TypeRegistry::from([
            (50004, UserType::Other("citext".into())),
            (50005, UserType::Other("postgis_geometry".into())),
        ]);
        assert_eq!(PgKind::of(50004, -1, &more), PgKind::Text);
        assert_eq!(
            PgKind::of(50005, -1, &more),
            PgKind::Unknown("postgis_geometry".into())
        );
        assert_eq!(PgKind::of(3904, -1, &more), PgKind::Text);
    }
}
