//! The pgoutput protocol (version 1) messages the replication stream carries as raw WAL data:
//! Relation, Insert, Update, Delete, Truncate, Type and Origin. (Begin, Commit and logical
//! decoding messages are parsed by the transport.) Column values stay the server's text bytes,
//! sliced from the message without copying; an unchanged TOAST value is kept as such, so the
//! task can tell it from a null.

use bytes::Bytes;

/// One column value of a tuple.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Datum {
    Null,
    /// An unchanged TOASTed value the server did not send (`u`).
    Unchanged,
    /// The value in the type's text output format.
    Text(Bytes),
}

/// A column of a Relation message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationColumn {
    /// Part of the replica identity (the key the old tuple carries).
    pub key: bool,
    pub name: String,
    pub type_oid: u32,
    pub type_modifier: i32,
}

/// A decoded pgoutput message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Relation {
        oid: u32,
        namespace: String,
        name: String,
        /// `d` default (primary key), `n` nothing, `f` full, `i` index.
        replica_identity: u8,
        columns: Vec<RelationColumn>,
    },
    Insert {
        oid: u32,
        new: Vec<Datum>,
    },
    Update {
        oid: u32,
        /// The old row: its key columns (`K`, when the key changed) or all of it (`O`, under
        /// REPLICA IDENTITY FULL); absent otherwise.
        old: Option<Vec<Datum>>,
        /// The old row is the key only (`K`).
        old_is_key: bool,
        new: Vec<Datum>,
    },
    Delete {
        oid: u32,
        old: Vec<Datum>,
    },
    Truncate {
        oids: Vec<u32>,
    },
    Type {
        oid: u32,
    },
    /// Origin, and the boundary messages the transport already parsed.
    Other(u8),
}

/// Parses one message (its first byte is the message type).
pub fn parse(data: &Bytes) -> Result<Message, String> {
    let mut r = Reader { data, at: 0 };
    let tag = r.u8()?;
    let message = match tag {
        b'R' => {
            let oid = r.u32()?;
            let namespace = r.cstring()?;
            let name = r.cstring()?;
            let replica_identity = r.u8()?;
            let count = r.u16()?;
            let mut columns = Vec::with_capacity(usize::from(count));
            for _ in 0..count {
                let flags = r.u8()?;
                columns.push(RelationColumn {
                    key: flags & 1 == 1,
                    name: r.cstring()?,
                    type_oid: r.u32()?,
                    type_modifier: r.u32()? as i32,
                });
            }
            Message::Relation {
                oid,
                namespace,
                name,
                replica_identity,
                columns,
            }
        }
        b'I' => {
            let oid = r.u32()?;
            r.expect(b'N')?;
            Message::Insert {
                oid,
                new: r.tuple()?,
            }
        }
        b'U' => {
            let oid = r.u32()?;
            let mut old = None;
            let mut marker = r.u8()?;
            let old_is_key = marker == b'K';
            if marker == b'K' || marker == b'O' {
                old = Some(r.tuple()?);
                marker = r.u8()?;
            }
            if marker != b'N' {
                return Err(format!(
                    "pgoutput: Update of relation {oid}: expected 'N', found {:?}",
                    char::from(marker)
                ));
            }
            Message::Update {
                oid,
                old,
                old_is_key,
                new: r.tuple()?,
            }
        }
        b'D' => {
            let oid = r.u32()?;
            let marker = r.u8()?;
            if marker != b'K' && marker != b'O' {
                return Err(format!(
                    "pgoutput: Delete of relation {oid}: expected 'K' or 'O', found {:?}",
                    char::from(marker)
                ));
            }
            Message::Delete {
                oid,
                old: r.tuple()?,
            }
        }
        b'T' => {
            let count = r.u32()?;
            let _options = r.u8()?;
            let oids = (0..count).map(|_| r.u32()).collect::<Result<_, _>>()?;
            Message::Truncate { oids }
        }
        b'Y' => Message::Type { oid: r.u32()? },
        other => Message::Other(other),
    };
    Ok(message)
}

struct Reader<'a> {
    data: &'a Bytes,
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<std::ops::Range<usize>, String> {
        let end = self.at + n;
        if end > self.data.len() {
            return Err(format!(
                "pgoutput: message truncated ({} bytes, {end} needed)",
                self.data.len()
            ));
        }
        let range = self.at..end;
        self.at = end;
        Ok(range)
    }

    fn u8(&mut self) -> Result<u8, String> {
        let range = self.take(1)?;
        Ok(self.data[range.start])
    }

    fn u16(&mut self) -> Result<u16, String> {
        let range = self.take(2)?;
        Ok(u16::from_be_bytes([
            self.data[range.start],
            self.data[range.start + 1],
        ]))
    }

    fn u32(&mut self) -> Result<u32, String> {
        let range = self.take(4)?;
        let mut bytes = [0; 4];
        bytes.copy_from_slice(&self.data[range]);
        Ok(u32::from_be_bytes(bytes))
    }

    fn expect(&mut self, tag: u8) -> Result<(), String> {
        match self.u8()? {
            found if found == tag => Ok(()),
            found => Err(format!(
                "pgoutput: expected {:?}, found {:?}",
                char::from(tag),
                char::from(found)
            )),
        }
    }

    fn cstring(&mut self) -> Result<String, String> {
        let rest = &self.data[self.at..];
        let len = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or("pgoutput: unterminated string")?;
        let text = String::from_utf8_lossy(&rest[..len]).into_owned();
        self.at += len + 1;
        Ok(text)
    }

    fn tuple(&mut self) -> Result<Vec<Datum>, String> {
        let count = self.u16()?;
        let mut values = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            values.push(match self.u8()? {
                b'n' => Datum::Null,
                b'u' => Datum::Unchanged,
                b't' | b'b' => {
                    let len = self.u32()? as usize;
                    let range = self.take(len)?;
                    Datum::Text(self.data.slice(range))
                }
                other => {
                    return Err(format!(
                        "pgoutput: unknown tuple value kind {:?}",
                        char::from(other)
                    ));
                }
            });
        }
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds messages the way the server encodes them.
    #[derive(Default)]
    struct Encoder(Vec<u8>);

    impl Encoder {
        fn u8(mut self, v: u8) -> Self {
            self.0.push(v);
            self
        }
        fn u16(mut self, v: u16) -> Self {
            self.0.extend(v.to_be_bytes());
            self
        }
        fn u32(mut self, v: u32) -> Self {
            self.0.extend(v.to_be_bytes());
            self
        }
        fn cstring(mut self, s: &str) -> Self {
            self.0.extend(s.as_bytes());
            self.0.push(0);
            self
        }
        fn text(self, s: &str) -> Self {
            let mut e = self.u8(b't').u32(s.len() as u32);
            e.0.extend(s.as_bytes());
            e
        }
        fn done(self) -> Bytes {
            Bytes::from(self.0)
        }
    }

    fn text(s: &str) -> Datum {
        Datum::Text(Bytes::copy_from_slice(s.as_bytes()))
    }

    #[test]
    fn relation_names_its_columns_and_key() {
        let data = Encoder::default()
            .u8(b'R')
            .u32(16384)
            .cstring("public")
            .cstring("items")
            .u8(b'd')
            .u16(2)
            .u8(1)
            .cstring("id")
            .u32(23)
            .u32(u32::MAX)
            .u8(0)
            .cstring("price")
            .u32(1700)
            .u32(((10 << 16) | 2) + 4)
            .done();
        let Message::Relation {
            oid,
            namespace,
            name,
            replica_identity,
            columns,
        } = parse(&data).unwrap()
        else {
            panic!("not a relation")
        };
        assert_eq!(
            (oid, namespace.as_str(), name.as_str()),
            (16384, "public", "items")
        );
        assert_eq!(replica_identity, b'd');
        assert_eq!(
            columns,
            vec![
                RelationColumn {
                    key: true,
                    name: "id".into(),
                    type_oid: 23,
                    type_modifier: -1
                },
                RelationColumn {
                    key: false,
                    name: "price".into(),
                    type_oid: 1700,
                    type_modifier: ((10 << 16) | 2) + 4
                },
            ]
        );
    }

    #[test]
    fn tuples_keep_nulls_unchanged_toast_and_text_apart() {
        let insert = Encoder::default()
            .u8(b'I')
            .u32(7)
            .u8(b'N')
            .u16(3)
            .text("42")
            .u8(b'n')
            .text("")
            .done();
        assert_eq!(
            parse(&insert).unwrap(),
            Message::Insert {
                oid: 7,
                new: vec![text("42"), Datum::Null, text("")]
            }
        );
        let update = Encoder::default()
            .u8(b'U')
            .u32(7)
            .u8(b'O')
            .u16(2)
            .text("1")
            .text("old")
            .u8(b'N')
            .u16(2)
            .text("1")
            .u8(b'u')
            .done();
        assert_eq!(
            parse(&update).unwrap(),
            Message::Update {
                oid: 7,
                old: Some(vec![text("1"), text("old")]),
                old_is_key: false,
                new: vec![text("1"), Datum::Unchanged]
            }
        );
        let plain_update = Encoder::default()
            .u8(b'U')
            .u32(7)
            .u8(b'N')
            .u16(1)
            .text("2")
            .done();
        assert!(matches!(
            parse(&plain_update).unwrap(),
            Message::Update { old: None, .. }
        ));
        let delete = Encoder::default()
            .u8(b'D')
            .u32(7)
            .u8(b'K')
            .u16(2)
            .text("1")
            .u8(b'n')
            .done();
        assert_eq!(
            parse(&delete).unwrap(),
            Message::Delete {
                oid: 7,
                old: vec![text("1"), Datum::Null]
            }
        );
        let truncate = Encoder::default()
            .u8(b'T')
            .u32(2)
            .u8(0)
            .u32(7)
            .u32(8)
            .done();
        assert_eq!(
            parse(&truncate).unwrap(),
            Message::Truncate { oids: vec![7, 8] }
        );
    }

    #[test]
    fn truncated_and_malformed_messages_are_errors_not_panics() {
        let whole = Encoder::default()
            .u8(b'I')
            .u32(7)
            .u8(b'N')
            .u16(1)
            .text("hello")
            .done();
        for cut in 0..whole.len() {
            assert!(parse(&whole.slice(..cut)).is_err(), "cut at {cut}");
        }
        let bad_kind = Encoder::default()
            .u8(b'I')
            .u32(7)
            .u8(b'N')
            .u16(1)
            .u8(b'x')
            .done();
        assert!(
            parse(&bad_kind)
                .unwrap_err()
                .contains("unknown tuple value kind")
        );
        let bad_marker = Encoder::default().u8(b'D').u32(7).u8(b'N').done();
        assert!(
            parse(&bad_marker)
                .unwrap_err()
                .contains("expected 'K' or 'O'")
        );
    }
}
