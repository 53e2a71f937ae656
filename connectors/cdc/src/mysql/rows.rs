//! Row images of a rows event, decoded straight from the event's bytes.
//!
//! mysql_common's `RowsEventRows` builds a full `Column` for every column of every row
//! (database, table and column names and flags, each a reference-counted copy made unique)
//! and reads the table map's optional metadata again for each row: streaming a 300,000-row
//! transaction, that was about a tenth of the task thread (perf). What decoding needs of a
//! column (its type, metadata and signedness) is read here once per table map
//! ([`RowLayout`]); a row image then costs its values, which borrow the event's bytes.
//!
//! The format is the server's (and mysql_common's reading of it): per image, for an update
//! with a shared image (MySQL's partial JSON updates) a length-encoded options word and a
//! bitmap of the partial JSON columns, then a null bitmap over the columns present in the
//! image, then each present non-null value.

use std::io;

use mysql_async::binlog::events::{OptionalMetaExtractor, RowsEventData, TableMapEvent};
use mysql_async::binlog::value::BinlogValue;
use mysql_async::consts::ColumnType;
use mysql_common::io::ParseBuf;

use super::decimal;

/// `PARTIAL_JSON_UPDATES` in a shared image's options word.
const PARTIAL_JSON_UPDATES: u64 = 1;

/// What decoding needs of one column.
#[derive(Debug)]
struct ColumnCodec {
    kind: ColumnType,
    meta: Vec<u8>,
    unsigned: bool,
}

impl ColumnCodec {
    /// A DECIMAL read by [`decimal`]: (precision, scale) from its metadata, up to 38 digits;
    /// `None` for other columns and wider DECIMALs (mysql_common reads those). Metadata that
    /// cannot describe a DECIMAL is an error here: mysql_common's reader would panic on it.
    fn narrow_decimal(&self) -> io::Result<Option<(usize, usize)>> {
        if self.kind != ColumnType::MYSQL_TYPE_NEWDECIMAL {
            return Ok(None);
        }
        match *self.meta.as_slice() {
            [precision, scale, ..] if scale <= precision => {
                let (precision, scale) = (usize::from(precision), usize::from(scale));
                Ok((precision <= decimal::MAX_PRECISION).then_some((precision, scale)))
            }
            _ => Err(invalid(format!(
                "a DECIMAL column's metadata {:?} is not (precision, scale ≤ precision)",
                self.meta
            ))),
        }
    }
}

/// A table map's columns, read once for all the rows that refer to it.
#[derive(Debug)]
pub struct RowLayout {
    columns: Vec<ColumnCodec>,
    json_columns: usize,
}

/// One image: the values of the columns present in it, in column order.
pub type Image<'d> = Vec<Cell<'d>>;

/// One value of a row image.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'d> {
    /// As mysql_common reads it (NULL as `Value::NULL`), as its `BinlogRow` holds it.
    Binlog(BinlogValue<'d>),
    /// A DECIMAL of at most 38 digits, read here ([`super::decimal`]): its unscaled value and
    /// scale.
    Decimal { unscaled: i128, scale: u8 },
}

fn invalid(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

impl RowLayout {
    pub fn of(tme: &TableMapEvent<'_>) -> io::Result<Self> {
        let optional = OptionalMetaExtractor::new(tme.iter_optional_meta())?;
        // One signedness bit per numeric column, in order (YEAR counts as numeric).
        let mut signedness = optional.iter_signedness();
        let count = tme.columns_count() as usize;
        let mut columns = Vec::with_capacity(count);
        for i in 0..count {
            let kind = tme
                .get_column_type(i)
                .map_err(|e| invalid(format!("column {i}: {e}")))?
                .ok_or_else(|| invalid(format!("column {i} has no type in the table map")))?;
            let unsigned = kind.is_numeric_type() && signedness.next().unwrap_or(false);
            columns.push(ColumnCodec {
                kind,
                meta: tme.get_column_metadata(i).unwrap_or(&[]).to_vec(),
                unsigned,
            });
        }
        let json_columns = columns
            .iter()
            .filter(|c| c.kind == ColumnType::MYSQL_TYPE_JSON)
            .count();
        Ok(Self {
            columns,
            json_columns,
        })
    }

    /// The rows of `event` (a rows event of this layout's table), each as its before and
    /// after image.
    pub fn rows<'d>(&'d self, event: &'d RowsEventData<'d>) -> Rows<'d> {
        Rows {
            layout: self,
            event,
            data: ParseBuf(event.rows_data()),
        }
    }

    fn image<'d>(
        &'d self,
        present: impl Fn(usize) -> bool,
        shared_image: bool,
        buf: &mut ParseBuf<'d>,
    ) -> io::Result<Image<'d>> {
        let mut partial_json: &[u8] = &[];
        if shared_image {
            let options = buf
                .checked_eat_lenenc_int()
                .ok_or_else(|| invalid("a shared row image ends early".to_owned()))?;
            if options & PARTIAL_JSON_UPDATES != 0 {
                partial_json = take(buf, self.json_columns.div_ceil(8))?;
            }
        }
        let count = (0..self.columns.len()).filter(|&i| present(i)).count();
        let nulls = take(buf, count.div_ceil(8))?;
        let mut values = Vec::with_capacity(count);
        let mut in_image = 0;
        let mut json_index = 0;
        for (i, column) in self.columns.iter().enumerate() {
            // Partial-update bits count every JSON column, present in this image or not.
            let partial = column.kind == ColumnType::MYSQL_TYPE_JSON && {
                json_index += 1;
                bit(partial_json, json_index - 1)
            };
            if !present(i) {
                continue;
            }
            if bit(nulls, in_image) {
                values.push(Cell::Binlog(BinlogValue::Value(mysql_async::Value::NULL)));
            } else if let Some((precision, scale)) = column.narrow_decimal()? {
                let bytes = take(buf, decimal::width(precision, scale))?;
                let unscaled = decimal::unscaled(bytes, precision, scale).ok_or_else(|| {
                    invalid(format!(
                        "column {i}: not a DECIMAL({precision},{scale}): {bytes:02x?}"
                    ))
                })?;
                values.push(Cell::Decimal {
                    unscaled,
                    scale: scale as u8,
                });
            } else {
                let ctx = (
                    column.kind,
                    column.meta.as_slice(),
                    column.unsigned,
                    partial,
                );
                values.push(Cell::Binlog(buf.parse::<BinlogValue<'d>>(ctx)?));
            }
            in_image += 1;
        }
        Ok(values)
    }
}

/// Bit `i` of a little-endian bitmap (bit 0 is the first byte's lowest; false past its end,
/// as an absent partial bitmap): row images' null and present-column bitmaps, a SET's members.
pub(super) fn bit(bitmap: &[u8], i: usize) -> bool {
    bitmap
        .get(i / 8)
        .is_some_and(|byte| byte >> (i % 8) & 1 == 1)
}

fn take<'d>(buf: &mut ParseBuf<'d>, len: usize) -> io::Result<&'d [u8]> {
    buf.checked_eat(len)
        .ok_or_else(|| invalid(format!("a row image ends early (wanted {len} more bytes)")))
}

/// The rows of one rows event.
#[derive(Debug)]
pub struct Rows<'d> {
    layout: &'d RowLayout,
    event: &'d RowsEventData<'d>,
    data: ParseBuf<'d>,
}

impl<'d> Iterator for Rows<'d> {
    type Item = io::Result<(Option<Image<'d>>, Option<Image<'d>>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.data.is_empty() {
            return None;
        }
        let row = self.row();
        if row.is_err() {
            // Fused: an error may have consumed nothing, and would otherwise repeat forever.
            self.data = ParseBuf(&[]);
        }
        Some(row)
    }
}

impl<'d> Rows<'d> {
    fn row(&mut self) -> io::Result<(Option<Image<'d>>, Option<Image<'d>>)> {
        let columns = self.event.num_columns() as usize;
        if columns > self.layout.columns.len() {
            return Err(invalid(format!(
                "a rows event has {columns} columns, its table map {}",
                self.layout.columns.len()
            )));
        }
        // Each image's bitmap has exactly `columns` bits.
        let before = match self.event.columns_before_image() {
            Some(bits) => Some(self.layout.image(
                |i| i < columns && bits[i],
                false,
                &mut self.data,
            )?),
            None => None,
        };
        let partial = matches!(self.event, RowsEventData::PartialUpdateRowsEvent(_));
        let after = match self.event.columns_after_image() {
            Some(bits) => Some(self.layout.image(
                |i| i < columns && bits[i],
                partial,
                &mut self.data,
            )?),
            None => None,
        };
        Ok((before, after))
    }
}

#[cfg(test)]
mod tests {
    use mysql_async::Value as MyValue;

    use super::*;

    /// INT, VARCHAR(255) and INT UNSIGNED, as a table map describes them.
    fn layout() -> RowLayout {
        let column = |kind, meta: &[u8], unsigned| ColumnCodec {
            kind,
            meta: meta.to_vec(),
            unsigned,
        };
        RowLayout {
            columns: vec![
                column(ColumnType::MYSQL_TYPE_LONG, &[], false),
                column(ColumnType::MYSQL_TYPE_VARCHAR, &[255, 0], false),
                column(ColumnType::MYSQL_TYPE_LONG, &[], true),
            ],
            json_columns: 0,
        }
    }

    /// Values of the present columns in order, NULLs from the bitmap (which counts only the
    /// present columns), signedness from the layout; the rest of the buffer is left unread.
    #[test]
    fn an_image_reads_its_present_columns() {
        let layout = layout();
        // All three present: null bitmap 0b010 (the VARCHAR is NULL), -7, then 4294967295.
        let bytes = [0b010, 0xf9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xaa];
        let mut buf = ParseBuf(&bytes);
        let image = layout.image(|_| true, false, &mut buf).unwrap();
        assert_eq!(
            image,
            vec![
                Cell::Binlog(BinlogValue::Value(MyValue::Int(-7))),
                Cell::Binlog(BinlogValue::Value(MyValue::NULL)),
                Cell::Binlog(BinlogValue::Value(MyValue::Int(i64::from(u32::MAX)))),
            ]
        );
        assert_eq!(buf.0, [0xaa]);
        // Only the first two present: the bitmap's bits are theirs.
        let bytes = [0b00, 5, 0, 0, 0, 2, b'h', b'i'];
        let mut buf = ParseBuf(&bytes);
        let image = layout.image(|i| i < 2, false, &mut buf).unwrap();
        assert_eq!(
            image,
            vec![
                Cell::Binlog(BinlogValue::Value(MyValue::Int(5))),
                Cell::Binlog(BinlogValue::Value(MyValue::Bytes(b"hi".to_vec()))),
            ]
        );
        assert!(buf.is_empty());
    }

    /// DECIMALs of up to 38 digits are read here into their unscaled value; wider ones as
    /// mysql_common reads them (its text).
    #[test]
    fn decimals_are_read_into_integers_up_to_38_digits() {
        let decimal = |precision, scale| ColumnCodec {
            kind: ColumnType::MYSQL_TYPE_NEWDECIMAL,
            meta: vec![precision, scale],
            unsigned: false,
        };
        let layout = RowLayout {
            columns: vec![decimal(12, 2), decimal(40, 2), decimal(12, 2)],
            json_columns: 0,
        };
        let mut bytes = vec![0b000];
        // DECIMAL(12,2) 1234.56: a 1-digit group, a 9-digit group, the 2-digit fraction.
        bytes.extend([0x80, 0x00, 0x00, 0x04, 0xd2, 56]);
        // DECIMAL(40,2) 1.05: a 2-digit group, four 9-digit groups, the fraction.
        bytes.extend([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 5]);
        // DECIMAL(12,2) -1234.56: every byte inverted, then the first's top bit flipped.
        bytes.extend([0x7f, 0xff, 0xff, 0xfb, 0x2d, !56]);
        let image = layout
            .image(|_| true, false, &mut ParseBuf(&bytes))
            .unwrap();
        assert_eq!(
            image,
            vec![
                Cell::Decimal {
                    unscaled: 123_456,
                    scale: 2
                },
                Cell::Binlog(BinlogValue::Value(MyValue::Bytes(b"1.05".to_vec()))),
                Cell::Decimal {
                    unscaled: -123_456,
                    scale: 2
                },
            ]
        );
        // Bytes no DECIMAL(12,2) has, and metadata no DECIMAL has: errors, not panics.
        let bad = [0b000, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00];
        let one = RowLayout {
            columns: vec![decimal(12, 2)],
            json_columns: 0,
        };
        let error = one.image(|_| true, false, &mut ParseBuf(&bad)).unwrap_err();
        assert!(error.to_string().contains("not a DECIMAL(12,2)"), "{error}");
        for meta in [vec![2, 5], vec![12]] {
            let odd = RowLayout {
                columns: vec![ColumnCodec {
                    kind: ColumnType::MYSQL_TYPE_NEWDECIMAL,
                    meta,
                    unsigned: false,
                }],
                json_columns: 0,
            };
            let error = odd
                .image(|_| true, false, &mut ParseBuf(&[0, 0x80, 0]))
                .unwrap_err();
            assert!(error.to_string().contains("metadata"), "{error}");
        }
    }

    /// A truncated image is an error naming what is missing, not a panic.
    #[test]
    fn a_truncated_image_is_an_error() {
        let layout = layout();
        let bytes = [0b000, 1, 0];
        let error = layout
            .image(|_| true, false, &mut ParseBuf(&bytes))
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof, "{error}");
        assert!(layout.image(|_| true, false, &mut ParseBuf(&[])).is_err());
    }

    #[test]
    fn bitmaps_are_least_significant_bit_first() {
        assert!(bit(&[0b0000_0100], 2));
        assert!(!bit(&[0b0000_0100], 1));
        assert!(bit(&[0, 0b1000_0000], 15));
        assert!(!bit(&[], 0), "past the end reads as unset");
    }
}
