//! Transaction metadata (`provide.transaction.metadata`): the open transaction's id and
//! per-table event counts, which give each change its `transaction` block and the `END`
//! record its totals.

use crate::envelope::TransactionOrder;

/// The transaction whose changes are being sent.
#[derive(Debug, Default)]
pub struct TransactionTracker {
    open: Option<OpenTransaction>,
}

#[derive(Debug)]
struct OpenTransaction {
    id: String,
    total: i64,
    /// Events per table, in first-seen order.
    per_table: Vec<(String, i64)>,
}

/// A transaction that ended: its id and events per table.
pub type ClosedTransaction = (String, Vec<(String, i64)>);

impl TransactionTracker {
    /// Whether `id` is the open transaction.
    pub fn is_open(&self, id: &str) -> bool {
        self.open.as_ref().is_some_and(|t| t.id == id)
    }

    /// Opens `id`, closing the one open before (returned, for its `END` record).
    pub fn open(&mut self, id: String) -> Option<ClosedTransaction> {
        let closed = self.close();
        self.open = Some(OpenTransaction {
            id,
            total: 0,
            per_table: Vec::new(),
        });
        closed
    }

    /// The next change's place in the open transaction (`None` when none is open).
    pub fn next_order(&mut self, table: &str) -> Option<TransactionOrder> {
        let open = self.open.as_mut()?;
        open.total += 1;
        let count = match open.per_table.iter_mut().find(|(t, _)| t == table) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                open.per_table.push((table.to_owned(), 1));
                1
            }
        };
        Some(TransactionOrder {
            id: open.id.clone(),
            total_order: open.total,
            data_collection_order: count,
        })
    }

    /// Closes the open transaction.
    pub fn close(&mut self) -> Option<ClosedTransaction> {
        self.open.take().map(|t| (t.id, t.per_table))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_count_per_transaction_and_table() {
        let mut tracker = TransactionTracker::default();
        assert!(tracker.next_order("db.a").is_none());
        assert!(tracker.open("t1".into()).is_none());
        assert_eq!(tracker.next_order("db.a").unwrap().total_order, 1);
        let second = tracker.next_order("db.b").unwrap();
        assert_eq!((second.total_order, second.data_collection_order), (2, 1));
        assert_eq!(tracker.next_order("db.a").unwrap().data_collection_order, 2);
        let (id, counts) = tracker.open("t2".into()).unwrap();
        assert_eq!(id, "t1");
        assert_eq!(counts, vec![("db.a".into(), 2), ("db.b".into(), 1)]);
        assert!(tracker.is_open("t2"));
    }
}
