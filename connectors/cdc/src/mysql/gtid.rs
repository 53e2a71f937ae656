//! Global transaction ids and the set of those completed, in both servers' dialects:
//! MariaDB's `domain-server-seq` (the set keeps the last per domain, as `gtid_binlog_pos`)
//! and MySQL's `uuid:gno` (the set is `uuid:1-100:102-110,…`, as `gtid_executed` and
//! Debezium's offset `gtids`).
//!
//! The set is where a reader restarts when it positions by GTID: the server sends the first
//! transaction not in it. Positioning by GTID survives what file/position cannot: a binlog
//! rotated and purged while the connector was stopped (with nothing unread in it), and a
//! failover to a replica whose files are named and numbered differently.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// One transaction's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gtid {
    MariaDb { domain: u32, server: u32, seq: u64 },
    MySql { uuid: String, gno: u64 },
}

impl fmt::Display for Gtid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MariaDb {
                domain,
                server,
                seq,
            } => write!(f, "{domain}-{server}-{seq}"),
            Self::MySql { uuid, gno } => write!(f, "{uuid}:{gno}"),
        }
    }
}

impl Gtid {
    /// MySQL's GTID event carries the source's UUID as 16 bytes.
    pub fn mysql(sid: [u8; 16], gno: u64) -> Self {
        let hex: String = sid.iter().map(|b| format!("{b:02x}")).collect();
        Self::MySql {
            uuid: format!(
                "{}-{}-{}-{}-{}",
                &hex[0..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..32]
            ),
            gno,
        }
    }
}

/// The completed transactions. MariaDB domains and MySQL sources never mix on one server;
/// the set holds whichever it was given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GtidSet {
    /// MariaDB: domain → (server, seq) of its last transaction.
    domains: BTreeMap<u32, (u32, u64)>,
    /// MySQL: source UUID (lower case) → closed intervals of transaction numbers, sorted and
    /// disjoint.
    sources: BTreeMap<String, Vec<(u64, u64)>>,
    /// The set as the offset's `gtids` string, rebuilt when the set changes (read per row).
    rendered: Option<Arc<str>>,
}

impl GtidSet {
    /// Parses `gtid_binlog_pos` / `gtid_executed` / an offset's `gtids`. Empty text is the
    /// empty set.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut set = Self::default();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if let Some((uuid, intervals)) = item.split_once(':') {
                let uuid = uuid.trim().to_ascii_lowercase();
                if uuid.len() != 36 || uuid.chars().filter(|c| *c == '-').count() != 4 {
                    return Err(format!(
                        "'{item}' is not a MySQL GTID set entry (uuid:1-10)"
                    ));
                }
                for interval in intervals.split(':') {
                    let (start, end) = match interval.split_once('-') {
                        Some((a, b)) => (a.trim().parse(), b.trim().parse()),
                        None => (interval.trim().parse(), interval.trim().parse()),
                    };
                    let (Ok(start), Ok(end)) = (start, end) else {
                        return Err(format!(
                            "'{interval}' in '{item}' is not an interval (1-10)"
                        ));
                    };
                    if start == 0 || end < start {
                        return Err(format!("'{interval}' in '{item}' is an empty interval"));
                    }
                    set.add_interval(&uuid, start, end);
                }
            } else {
                let parts: Vec<&str> = item.split('-').collect();
                let parsed = match parts.as_slice() {
                    [d, s, q] => d
                        .parse()
                        .ok()
                        .zip(s.parse().ok())
                        .zip(q.parse().ok())
                        .map(|((d, s), q)| (d, s, q)),
                    _ => None,
                };
                let Some((domain, server, seq)) = parsed else {
                    return Err(format!(
                        "'{item}' is neither a MariaDB GTID (domain-server-seq) nor a MySQL GTID set entry"
                    ));
                };
                set.domains.insert(domain, (server, seq));
            }
        }
        set.render();
        Ok(set)
    }

    pub fn is_empty(&self) -> bool {
        self.domains.is_empty() && self.sources.is_empty()
    }

    /// A transaction committed.
    pub fn complete(&mut self, gtid: &Gtid) {
        match gtid {
            Gtid::MariaDb {
                domain,
                server,
                seq,
            } => {
                self.domains.insert(*domain, (*server, *seq));
            }
            Gtid::MySql { uuid, gno } => self.add_interval(uuid, *gno, *gno),
        }
        self.render();
    }

    fn add_interval(&mut self, uuid: &str, start: u64, end: u64) {
        let intervals = self.sources.entry(uuid.to_ascii_lowercase()).or_default();
        intervals.push((start, end));
        intervals.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(intervals.len());
        for &(a, b) in intervals.iter() {
            match merged.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        *intervals = merged;
    }

    fn render(&mut self) {
        let mut parts: Vec<String> = self
            .domains
            .iter()
            .map(|(domain, (server, seq))| format!("{domain}-{server}-{seq}"))
            .collect();
        for (uuid, intervals) in &self.sources {
            let mut part = uuid.clone();
            for (a, b) in intervals {
                if a == b {
                    part.push_str(&format!(":{a}"));
                } else {
                    part.push_str(&format!(":{a}-{b}"));
                }
            }
            parts.push(part);
        }
        self.rendered = (!parts.is_empty()).then(|| Arc::from(parts.join(",").as_str()));
    }

    /// The set as text (`None` when empty): the offset's `gtids`.
    pub fn rendered(&self) -> Option<Arc<str>> {
        self.rendered.clone()
    }

    /// MariaDB's `@slave_connect_state`: the last GTID per domain.
    pub fn mariadb_connect_state(&self) -> Option<String> {
        (!self.domains.is_empty()).then(|| {
            self.domains
                .iter()
                .map(|(domain, (server, seq))| format!("{domain}-{server}-{seq}"))
                .collect::<Vec<_>>()
                .join(",")
        })
    }

    /// MySQL's `COM_BINLOG_DUMP_GTID` set.
    pub fn mysql_sids(&self) -> Result<Vec<mysql_async::Sid<'static>>, String> {
        self.sources
            .iter()
            .map(|(uuid, intervals)| {
                let text = intervals.iter().fold(uuid.clone(), |mut text, (a, b)| {
                    text.push_str(&format!(":{a}-{b}"));
                    text
                });
                text.parse()
                    .map_err(|e| format!("GTID set entry '{text}': {e:?}"))
            })
            .collect()
    }

    /// Whether the set names MySQL sources (else MariaDB domains, or nothing).
    pub fn is_mysql(&self) -> bool {
        !self.sources.is_empty()
    }
}

impl fmt::Display for GtidSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.rendered.as_deref().unwrap_or(""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

    #[test]
    fn mariadb_keeps_the_last_transaction_per_domain() {
        let mut set = GtidSet::parse("0-1-100").unwrap();
        set.complete(&Gtid::MariaDb {
            domain: 0,
            server: 2,
            seq: 101,
        });
        set.complete(&Gtid::MariaDb {
            domain: 5,
            server: 1,
            seq: 7,
        });
        assert_eq!(set.to_string(), "0-2-101,5-1-7");
        assert_eq!(
            set.mariadb_connect_state().as_deref(),
            Some("0-2-101,5-1-7")
        );
        assert!(!set.is_mysql());
    }

    #[test]
    fn mysql_intervals_merge_as_transactions_complete() {
        let mut set = GtidSet::parse(&format!("{}:1-5:7", UUID.to_uppercase())).unwrap();
        assert_eq!(set.to_string(), format!("{UUID}:1-5:7"));
        set.complete(&Gtid::MySql {
            uuid: UUID.into(),
            gno: 6,
        });
        assert_eq!(set.to_string(), format!("{UUID}:1-7"));
        set.complete(&Gtid::MySql {
            uuid: UUID.into(),
            gno: 9,
        });
        assert_eq!(set.to_string(), format!("{UUID}:1-7:9"));
        let sids = set.mysql_sids().unwrap();
        assert_eq!(sids.len(), 1);
        assert_eq!(sids[0].to_string(), format!("{UUID}:1-7:9"));
        assert!(set.is_mysql());
    }

    #[test]
    fn the_event_uuid_renders_as_mysql_writes_it() {
        let sid = [
            0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1, 0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42,
            0x95, 0x62,
        ];
        assert_eq!(Gtid::mysql(sid, 23).to_string(), format!("{UUID}:23"));
    }

    #[test]
    fn empty_text_is_the_empty_set_and_bad_text_is_named() {
        let empty = GtidSet::parse(" ").unwrap();
        assert!(empty.is_empty());
        assert_eq!(empty.rendered(), None);
        let err = GtidSet::parse("0-1").unwrap_err();
        assert!(err.contains("'0-1'"), "{err}");
        let err = GtidSet::parse(&format!("{UUID}:5-3")).unwrap_err();
        assert!(err.contains("5-3"), "{err}");
    }
}
