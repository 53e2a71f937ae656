//! The `ConfigStore` actor: persisted connector configurations, target states and task
//! configurations. Runs on a `SyncArbiter` because every change is a blocking, durable write.
//! Only the controller sends it writes.

use actix::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::{ConfigSnapshot, ConnectorEntry};
use crate::ports::{DocumentStore, load_json, save_json};

#[derive(Debug, Default, Serialize, Deserialize)]
struct Document {
    connectors: ConfigSnapshot,
}

#[derive(Debug)]
pub struct ConfigStore {
    store: Box<dyn DocumentStore>,
    document: Document,
}

impl ConfigStore {
    /// Loads the persisted document; a corrupt one is an error (never silently emptied).
    pub fn open(store: Box<dyn DocumentStore>) -> Result<Self, String> {
        let document = load_json(store.as_ref())?;
        Ok(Self { store, document })
    }

    /// Applies `change` to a copy, persists it, and only then makes it current.
    fn write(&mut self, change: impl FnOnce(&mut ConfigSnapshot)) -> Result<(), String> {
        let mut next = Document {
            connectors: self.document.connectors.clone(),
        };
        change(&mut next.connectors);
        save_json(self.store.as_ref(), &next)?;
        self.document = next;
        Ok(())
    }
}

impl Actor for ConfigStore {
    type Context = SyncContext<Self>;
}

/// Every stored connector.
#[derive(Debug, Message)]
#[rtype(result = "ConfigSnapshot")]
pub struct GetConfigs;

/// Creates, replaces (`Some`) or removes (`None`) connector entries, in one durable write.
#[derive(Debug, Message)]
#[rtype(result = "Result<(), String>")]
pub struct ApplyChanges {
    pub changes: Vec<(String, Option<ConnectorEntry>)>,
}

impl Handler<GetConfigs> for ConfigStore {
    type Result = MessageResult<GetConfigs>;
    fn handle(&mut self, _msg: GetConfigs, _ctx: &mut Self::Context) -> Self::Result {
        MessageResult(self.document.connectors.clone())
    }
}

impl Handler<ApplyChanges> for ConfigStore {
    type Result = Result<(), String>;
    fn handle(&mut self, msg: ApplyChanges, _ctx: &mut Self::Context) -> Self::Result {
        self.write(|connectors| {
            for (name, change) in msg.changes {
                match change {
                    Some(entry) => connectors.insert(name, entry),
                    None => connectors.remove(&name),
                };
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use connect_api::Config;

    use super::*;
    use crate::model::TargetState;
    use crate::ports::MemoryDocument;

    /// What was saved is what a new store (a restarted worker) loads.
    #[actix_rt::test]
    async fn saved_entries_survive_a_restart() {
        let doc = MemoryDocument::default();
        let store = SyncArbiter::start(1, {
            let doc = doc.clone();
            move || ConfigStore::open(Box::new(doc.clone())).unwrap()
        });
        let entry = ConnectorEntry {
            config: Config::new().with("connector.class", "X"),
            target: TargetState::Paused,
            tasks: vec![],
        };
        let changes = vec![
            ("a".to_owned(), Some(entry.clone())),
            ("b".to_owned(), Some(entry.clone())),
        ];
        store.send(ApplyChanges { changes }).await.unwrap().unwrap();
        store
            .send(ApplyChanges {
                changes: vec![("b".to_owned(), None)],
            })
            .await
            .unwrap()
            .unwrap();

        let reopened = ConfigStore::open(Box::new(doc)).unwrap();
        assert_eq!(reopened.document.connectors.len(), 1);
        assert_eq!(reopened.document.connectors["a"], entry);
    }

    #[test]
    fn a_corrupt_document_is_an_error() {
        let doc = MemoryDocument::default();
        doc.save(b"{not json").unwrap();
        assert!(
            ConfigStore::open(Box::new(doc))
                .unwrap_err()
                .contains("not a valid store document")
        );
    }
}
