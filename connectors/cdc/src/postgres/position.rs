//! Where a PostgreSQL connector is: Debezium's offset keys (`lsn`, `lsn_commit`, `txId`,
//! `ts_usec`) plus how far into a transaction the records went (`txn_lsn`, `event`) and the
//! shared snapshot/signal progress.

use connect_api::{RecordOffset, SidePositions};

use crate::position::{
    OffsetEntries, SnapshotPosition, SnapshotProgress, put_progress, read_progress,
};

/// The connector's whole position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PgPosition {
    /// The end of the last transaction whose changes were all sent: replication restarts
    /// here, and the slot may confirm up to here.
    pub lsn_commit: u64,
    /// The last change sent.
    pub lsn: u64,
    /// The commit LSN (Begin's `final_lsn`) of the transaction being sent, 0 when none.
    pub txn_lsn: u64,
    /// How many of that transaction's changes were sent (skipped when it is replayed).
    pub events: u64,
    pub tx_id: Option<i64>,
    pub ts_usec: i64,
    pub snapshot: Option<SnapshotProgress>,
    pub signals: SidePositions,
    /// The slot's lag behind the server's WAL when last read (bytes) and its `wal_status`:
    /// monitoring, shown in `GET /connectors/{name}/offsets`; not used to restart.
    pub slot_lag_bytes: Option<i64>,
    pub slot_wal_status: Option<String>,
}

impl SnapshotPosition for PgPosition {
    fn snapshot_mut(&mut self) -> &mut Option<SnapshotProgress> {
        &mut self.snapshot
    }

    fn offset(&self) -> RecordOffset {
        self.to_offset()
    }
}

impl PgPosition {
    pub fn to_offset(&self) -> RecordOffset {
        // Six keys always, up to three more, and the snapshot progress while one runs; pushed
        // in key order (nearly), so the map's sort has little to do.
        let mut entries: OffsetEntries = Vec::with_capacity(14);
        entries.extend([
            ("event".into(), self.events.into()),
            ("lsn".into(), self.lsn.into()),
            ("lsn_commit".into(), self.lsn_commit.into()),
            ("lsn_proc".into(), self.lsn.into()),
        ]);
        if let Some(lag) = self.slot_lag_bytes {
            entries.push(("slot_lag_bytes".into(), lag.into()));
        }
        if let Some(status) = &self.slot_wal_status {
            entries.push(("slot_wal_status".into(), status.clone().into()));
        }
        // (`signal_offsets`, when there are signals, sorts before the slot's keys.)
        put_progress(&mut entries, self.snapshot.as_ref(), &self.signals);
        entries.push(("ts_usec".into(), self.ts_usec.into()));
        if let Some(tx) = self.tx_id {
            entries.push(("txId".into(), tx.into()));
        }
        entries.push(("txn_lsn".into(), self.txn_lsn.into()));
        RecordOffset::from_entries(entries)
    }

    /// Reads this connector's offset or the Java plugin's (which restarts at `lsn_commit`,
    /// else at `lsn`). `None` without any LSN, and for a Java offset written during its
    /// snapshot (nothing here can resume that snapshot: it is taken again).
    pub fn from_offset(offset: &RecordOffset) -> Option<Self> {
        if crate::position::Position::is_foreign_snapshot(offset) {
            return None;
        }
        let lsn = offset.get_i64("lsn").map(|l| l as u64);
        let lsn_commit = offset.get_i64("lsn_commit").map(|l| l as u64).or(lsn)?;
        let (snapshot, signals) = read_progress(offset);
        Some(Self {
            lsn_commit,
            lsn: lsn.unwrap_or(lsn_commit),
            txn_lsn: offset.get_i64("txn_lsn").unwrap_or(0).max(0) as u64,
            events: offset.get_i64("event").unwrap_or(0).max(0) as u64,
            tx_id: offset.get_i64("txId"),
            ts_usec: offset.get_i64("ts_usec").unwrap_or(0),
            snapshot,
            signals,
            slot_lag_bytes: offset.get_i64("slot_lag_bytes"),
            slot_wal_status: offset.get_str("slot_wal_status").map(str::to_owned),
        })
    }
}

/// An LSN as PostgreSQL writes it ("16/B374D848").
pub fn lsn_text(lsn: u64) -> String {
    format!("{:X}/{:X}", lsn >> 32, lsn & 0xffff_ffff)
}

/// Parses "16/B374D848".
pub fn parse_lsn(text: &str) -> Option<u64> {
    let (high, low) = text.trim().split_once('/')?;
    Some((u64::from_str_radix(high, 16).ok()? << 32) | u64::from_str_radix(low, 16).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_round_trip_and_java_offsets_restart_at_their_commit() {
        let position = PgPosition {
            lsn_commit: 100,
            lsn: 140,
            txn_lsn: 200,
            events: 3,
            tx_id: Some(771),
            ts_usec: 1_700_000_000_000_000,
            snapshot: Some(SnapshotProgress {
                tables: vec!["public.a".into()],
                after: Some(vec![serde_json::json!(5)]),
                incremental: false,
            }),
            signals: [("q:0".to_owned(), 4)].into(),
            slot_lag_bytes: Some(4096),
            slot_wal_status: Some("reserved".into()),
        };
        assert_eq!(
            PgPosition::from_offset(&position.to_offset()),
            Some(position)
        );
        let java: RecordOffset =
            serde_json::from_str(r#"{"lsn":24023128,"txId":555,"ts_usec":1}"#).unwrap();
        let read = PgPosition::from_offset(&java).unwrap();
        assert_eq!(
            (read.lsn_commit, read.events, read.txn_lsn),
            (24023128, 0, 0)
        );
        assert!(PgPosition::from_offset(&RecordOffset::new()).is_none());
        let java_snapshot: RecordOffset = serde_json::from_str(
            r#"{"lsn":24023128,"snapshot":true,"last_snapshot_record":false}"#,
        )
        .unwrap();
        assert!(PgPosition::from_offset(&java_snapshot).is_none());
    }

    #[test]
    fn lsn_text_round_trips() {
        assert_eq!(parse_lsn("16/B374D848"), Some(0x16_B374_D848));
        assert_eq!(lsn_text(0x16_B374_D848), "16/B374D848");
        assert_eq!(parse_lsn("0/0"), Some(0));
        assert!(parse_lsn("nonsense").is_none());
    }
}
