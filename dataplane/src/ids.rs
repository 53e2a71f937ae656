//! Who a loop works for: a task of a connector, and the claim it runs under.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A task of a connector.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TaskId {
    pub connector: String,
    pub task: u32,
}

impl TaskId {
    pub fn new(connector: impl Into<String>, task: u32) -> Self {
        Self {
            connector: connector.into(),
            task,
        }
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.connector, self.task)
    }
}

/// A claim's place in the position log (distributed mode); 0 standalone. Commits are fenced
/// by it: only the newest claim of a task may commit its positions.
pub type Epoch = u64;
