//! Column types, read from either side of the server: the snapshot reads
//! `information_schema.COLUMNS`, the binlog reader a TABLE_MAP event's FULL row metadata. Both
//! become one [`ColumnKind`], so a table's events have one schema whichever path produced
//! them, and old binlog replayed after a DDL still decodes with the columns it was written
//! with (no DDL parser, no schema history to lose).

use mysql_async::binlog::events::{OptionalMetadataField, TableMapEvent};
use mysql_async::consts::ColumnType;

/// What a column holds, with what the Debezium mapping needs (signedness, fsp, precision,
/// enum values).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ColumnKind {
    TinyInt {
        unsigned: bool,
    },
    SmallInt {
        unsigned: bool,
    },
    MediumInt {
        unsigned: bool,
    },
    Int {
        unsigned: bool,
    },
    BigInt {
        unsigned: bool,
    },
    Float,
    Double,
    Decimal {
        precision: u32,
        scale: u32,
    },
    /// BIT(length).
    Bit {
        length: u32,
    },
    /// Character data (CHAR, VARCHAR, TEXT…).
    Text,
    /// Binary data (BINARY, VARBINARY, BLOB…).
    Binary,
    Date,
    /// TIME(fsp).
    Time {
        fsp: u32,
    },
    /// DATETIME(fsp).
    DateTime {
        fsp: u32,
    },
    /// TIMESTAMP(fsp).
    Timestamp {
        fsp: u32,
    },
    Year,
    Enum {
        values: Vec<String>,
    },
    Set {
        values: Vec<String>,
    },
    Json,
    /// GEOMETRY and other spatial types: their WKB bytes.
    Geometry,
}

/// One captured column.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
}

/// The MySQL charset id of binary data (`binary`).
const BINARY_CHARSET: u16 = 63;

impl ColumnKind {
    /// The kind of an `information_schema.COLUMNS` row: `DATA_TYPE`, `COLUMN_TYPE` (carries
    /// `unsigned`, lengths, enum values), precision/scale and the character set (absent for
    /// binary types).
    pub fn from_information_schema(
        data_type: &str,
        column_type: &str,
        numeric_scale: Option<u32>,
        numeric_precision: Option<u32>,
        datetime_precision: Option<u32>,
        charset: Option<&str>,
    ) -> Option<Self> {
        let unsigned = column_type.to_ascii_lowercase().contains("unsigned");
        let fsp = datetime_precision.unwrap_or(0);
        let binary = charset.is_none() || charset == Some("binary");
        Some(match data_type.to_ascii_lowercase().as_str() {
            "tinyint" | "bool" | "boolean" => Self::TinyInt { unsigned },
            "smallint" => Self::SmallInt { unsigned },
            "mediumint" => Self::MediumInt { unsigned },
            "int" | "integer" => Self::Int { unsigned },
            "bigint" => Self::BigInt { unsigned },
            "float" => Self::Float,
            "double" | "real" | "double precision" => Self::Double,
            "decimal" | "numeric" | "dec" | "fixed" => Self::Decimal {
                precision: numeric_precision.unwrap_or(10),
                scale: numeric_scale.unwrap_or(0),
            },
            "bit" => Self::Bit {
                length: numeric_precision.unwrap_or_else(|| length_in(column_type).unwrap_or(1)),
            },
            "char" | "varchar" | "tinytext" | "text" | "mediumtext" | "longtext" => {
                if binary {
                    Self::Binary
                } else {
                    Self::Text
                }
            }
            "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" => {
                Self::Binary
            }
            "date" => Self::Date,
            "time" => Self::Time { fsp },
            "datetime" => Self::DateTime { fsp },
            "timestamp" => Self::Timestamp { fsp },
            "year" => Self::Year,
            "enum" => Self::Enum {
                values: quoted_values(column_type),
            },
            "set" => Self::Set {
                values: quoted_values(column_type),
            },
            "json" => Self::Json,
            "geometry" | "point" | "linestring" | "polygon" | "multipoint" | "multilinestring"
            | "multipolygon" | "geometrycollection" => Self::Geometry,
            _ => return None,
        })
    }
}

/// `n` of `bit(n)`.
fn length_in(column_type: &str) -> Option<u32> {
    let open = column_type.find('(')?;
    let close = column_type[open..].find(')')? + open;
    column_type[open + 1..close].trim().parse().ok()
}

/// The values of `enum('a','b''c')` / `set(...)`, unquoted.
pub(crate) fn quoted_values(column_type: &str) -> Vec<String> {
    let Some(open) = column_type.find('(') else {
        return Vec::new();
    };
    let body = &column_type[open + 1..column_type.rfind(')').unwrap_or(column_type.len())];
    let mut values = Vec::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\'' {
            continue;
        }
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\'' if chars.peek() == Some(&'\'') => {
                    chars.next();
                    value.push('\'');
                }
                '\'' => break,
                '\\' => {
                    if let Some(escaped) = chars.next() {
                        value.push(escaped);
                    }
                }
                other => value.push(other),
            }
        }
        values.push(value);
    }
    values
}

/// A table's columns as a TABLE_MAP event describes them, with the primary key's column
/// indexes. Needs `binlog_row_metadata=FULL` (names, signedness, charsets, enum values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedTable {
    pub columns: Vec<Column>,
    pub primary_key: Vec<usize>,
}

/// Why a TABLE_MAP event cannot be turned into columns.
#[derive(Debug, thiserror::Error)]
pub enum TableMapError {
    #[error(
        "the binlog's table map for {0} has no column names: set binlog_row_metadata=FULL on the server (and restart the connector from a position written after that)"
    )]
    NoColumnNames(String),
    #[error("table map for {table}: {message}")]
    Malformed { table: String, message: String },
}

impl MappedTable {
    /// Reads the columns of `tme`.
    pub fn from_table_map(tme: &TableMapEvent<'_>) -> Result<Self, TableMapError> {
        let table = format!("{}.{}", tme.database_name(), tme.table_name());
        let malformed = |message: String| TableMapError::Malformed {
            table: table.clone(),
            message,
        };
        let count = tme.columns_count() as usize;
        let mut names = Vec::new();
        let mut signedness = Vec::new();
        let mut enum_values: Vec<Vec<String>> = Vec::new();
        let mut set_values: Vec<Vec<String>> = Vec::new();
        let mut default_charset = None;
        let mut non_default: Vec<(u64, u16)> = Vec::new();
        let mut column_charsets: Vec<u16> = Vec::new();
        let mut primary_key = Vec::new();
        for field in tme.iter_optional_meta() {
            match field.map_err(|e| malformed(e.to_string()))? {
                OptionalMetadataField::ColumnName(n) => {
                    for name in n.iter_names() {
                        names.push(
                            name.map_err(|e| malformed(e.to_string()))?
                                .name()
                                .into_owned(),
                        );
                    }
                }
                OptionalMetadataField::Signedness(bits) => {
                    signedness = bits.iter().by_vals().collect();
                }
                OptionalMetadataField::DefaultCharset(d) => {
                    default_charset = Some(d.default_charset());
                    for entry in d.iter_non_default() {
                        let entry = entry.map_err(|e| malformed(e.to_string()))?;
                        non_default.push((entry.column_index(), entry.charset()));
                    }
                }
                OptionalMetadataField::ColumnCharset(c) => {
                    for charset in c.iter_charsets() {
                        column_charsets.push(charset.map_err(|e| malformed(e.to_string()))?);
                    }
                }
                OptionalMetadataField::EnumStrValue(v) => {
                    for values in v.iter_values() {
                        let values = values.map_err(|e| malformed(e.to_string()))?;
                        enum_values.push(
                            values
                                .values()
                                .iter()
                                .map(|s| s.value().into_owned())
                                .collect(),
                        );
                    }
                }
                OptionalMetadataField::SetStrValue(v) => {
                    for values in v.iter_values() {
                        let values = values.map_err(|e| malformed(e.to_string()))?;
                        set_values.push(
                            values
                                .values()
                                .iter()
                                .map(|s| s.value().into_owned())
                                .collect(),
                        );
                    }
                }
                OptionalMetadataField::SimplePrimaryKey(pk) => {
                    for index in pk.iter_indexes() {
                        primary_key.push(index.map_err(|e| malformed(e.to_string()))? as usize);
                    }
                }
                OptionalMetadataField::PrimaryKeyWithPrefix(pk) => {
                    for key in pk.iter_keys() {
                        primary_key.push(
                            key.map_err(|e| malformed(e.to_string()))?.column_index() as usize
                        );
                    }
                }
                _ => {}
            }
        }
        if names.len() != count {
            return Err(TableMapError::NoColumnNames(table));
        }
        // Signedness has one bit per numeric column, charsets one entry per character column,
        // enum/set values one list per enum/set column: walk the columns to hand them out.
        let mut signed_iter = signedness.into_iter();
        let mut enums = enum_values.into_iter();
        let mut sets = set_values.into_iter();
        let mut charset_index = 0usize;
        let mut charset_of_next = |column_index: usize| -> Option<u16> {
            let charset = if !column_charsets.is_empty() {
                column_charsets.get(charset_index).copied()
            } else {
                let own = non_default
                    .iter()
                    .find(|(i, _)| *i as usize == charset_index)
                    .map(|(_, c)| *c);
                own.or(default_charset)
            };
            let _ = column_index;
            charset_index += 1;
            charset
        };
        let mut columns = Vec::with_capacity(count);
        for (index, name) in names.into_iter().enumerate() {
            let column_type = tme
                .get_column_type(index)
                .map_err(|e| malformed(format!("column {name}: {e}")))?
                .ok_or_else(|| malformed(format!("column {name} has no type")))?;
            let meta = tme.get_column_metadata(index).unwrap_or(&[]);
            use ColumnType::*;
            let kind = match column_type {
                MYSQL_TYPE_TINY => ColumnKind::TinyInt {
                    unsigned: signed_iter.next().unwrap_or(false),
                },
                MYSQL_TYPE_SHORT => ColumnKind::SmallInt {
                    unsigned: signed_iter.next().unwrap_or(false),
                },
                MYSQL_TYPE_INT24 => ColumnKind::MediumInt {
                    unsigned: signed_iter.next().unwrap_or(false),
                },
                MYSQL_TYPE_LONG => ColumnKind::Int {
                    unsigned: signed_iter.next().unwrap_or(false),
                },
                MYSQL_TYPE_LONGLONG => ColumnKind::BigInt {
                    unsigned: signed_iter.next().unwrap_or(false),
                },
                MYSQL_TYPE_FLOAT => {
                    signed_iter.next();
                    ColumnKind::Float
                }
                MYSQL_TYPE_DOUBLE => {
                    signed_iter.next();
                    ColumnKind::Double
                }
                MYSQL_TYPE_NEWDECIMAL | MYSQL_TYPE_DECIMAL => {
                    signed_iter.next();
                    ColumnKind::Decimal {
                        precision: u32::from(*meta.first().unwrap_or(&10)),
                        scale: u32::from(*meta.get(1).unwrap_or(&0)),
                    }
                }
                MYSQL_TYPE_BIT => ColumnKind::Bit {
                    length: u32::from(*meta.get(1).unwrap_or(&0)) * 8
                        + u32::from(*meta.first().unwrap_or(&1)),
                },
                MYSQL_TYPE_YEAR => ColumnKind::Year,
                MYSQL_TYPE_DATE | MYSQL_TYPE_NEWDATE => ColumnKind::Date,
                MYSQL_TYPE_TIME | MYSQL_TYPE_TIME2 => ColumnKind::Time {
                    fsp: u32::from(*meta.first().unwrap_or(&0)),
                },
                MYSQL_TYPE_DATETIME | MYSQL_TYPE_DATETIME2 => ColumnKind::DateTime {
                    fsp: u32::from(*meta.first().unwrap_or(&0)),
                },
                MYSQL_TYPE_TIMESTAMP | MYSQL_TYPE_TIMESTAMP2 => ColumnKind::Timestamp {
                    fsp: u32::from(*meta.first().unwrap_or(&0)),
                },
                MYSQL_TYPE_ENUM => ColumnKind::Enum {
                    values: enums.next().unwrap_or_default(),
                },
                MYSQL_TYPE_SET => ColumnKind::Set {
                    values: sets.next().unwrap_or_default(),
                },
                MYSQL_TYPE_JSON => ColumnKind::Json,
                MYSQL_TYPE_GEOMETRY => ColumnKind::Geometry,
                MYSQL_TYPE_VARCHAR
                | MYSQL_TYPE_VAR_STRING
                | MYSQL_TYPE_STRING
                | MYSQL_TYPE_TINY_BLOB
                | MYSQL_TYPE_MEDIUM_BLOB
                | MYSQL_TYPE_LONG_BLOB
                | MYSQL_TYPE_BLOB => {
                    if charset_of_next(index) == Some(BINARY_CHARSET) {
                        ColumnKind::Binary
                    } else {
                        ColumnKind::Text
                    }
                }
                other => {
                    return Err(malformed(format!(
                        "column {name} has unsupported type {other:?}"
                    )));
                }
            };
            columns.push(Column { name, kind });
        }
        Ok(Self {
            columns,
            primary_key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// information_schema rows map to the kinds the binlog side produces.
    #[test]
    fn information_schema_kinds() {
        let k = |dt: &str, ct: &str, s, p, d, cs| {
            ColumnKind::from_information_schema(dt, ct, s, p, d, cs).unwrap()
        };
        assert_eq!(
            k("int", "int(10) unsigned", Some(0), Some(10), None, None),
            ColumnKind::Int { unsigned: true }
        );
        assert_eq!(
            k("decimal", "decimal(11,2)", Some(2), Some(11), None, None),
            ColumnKind::Decimal {
                precision: 11,
                scale: 2
            }
        );
        assert_eq!(
            k("datetime", "datetime(3)", None, None, Some(3), None),
            ColumnKind::DateTime { fsp: 3 }
        );
        assert_eq!(
            k("varchar", "varchar(10)", None, None, None, Some("utf8mb4")),
            ColumnKind::Text
        );
        assert_eq!(
            k("varbinary", "varbinary(10)", None, None, None, None),
            ColumnKind::Binary
        );
        assert_eq!(
            k("bit", "bit(5)", None, Some(5), None, None),
            ColumnKind::Bit { length: 5 }
        );
        assert_eq!(
            k(
                "enum",
                "enum('a','it''s','c\\'d')",
                None,
                None,
                None,
                Some("utf8mb4")
            ),
            ColumnKind::Enum {
                values: vec!["a".into(), "it's".into(), "c'd".into()]
            }
        );
        assert!(
            ColumnKind::from_information_schema("vector", "vector(3)", None, None, None, None)
                .is_none()
        );
    }
}
