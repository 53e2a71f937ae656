//! [`Catalog`]: the connectors and tasks this worker can run, by Java class name or alias.

use connect_api::plugin::{ConnectorPlugins, Plugin, find_plugin};
use connect_api::{ConfigDef, ConnectorFactory, TaskFactory};

/// Connector and task plugins; shared read-only by the actors.
#[derive(Debug, Default)]
pub struct Catalog {
    connectors: Vec<Plugin<ConnectorFactory>>,
    tasks: Vec<Plugin<TaskFactory>>,
}

impl Catalog {
    pub fn new(plugins: ConnectorPlugins) -> Self {
        Self {
            connectors: plugins.connectors,
            tasks: plugins.tasks,
        }
    }

    pub fn connector(&self, name: &str) -> Option<&Plugin<ConnectorFactory>> {
        find_plugin(&self.connectors, name)
    }

    pub fn task(&self, name: &str) -> Option<&Plugin<TaskFactory>> {
        find_plugin(&self.tasks, name)
    }

    pub fn connectors(&self) -> &[Plugin<ConnectorFactory>] {
        &self.connectors
    }

    pub fn tasks(&self) -> &[Plugin<TaskFactory>] {
        &self.tasks
    }

    /// The configuration keys of the connector whose tasks are of class `task_class` — how a
    /// direct-mode sink task's configuration is validated without a sink connector.
    pub fn config_def_for_task(&self, task_class: &str) -> Option<ConfigDef> {
        let task = self.task(task_class)?.class_name;
        self.connectors.iter().find_map(|plugin| {
            let connector = (plugin.factory)();
            (connector.as_connector().task_class() == task)
                .then(|| connector.as_connector().config_def())
        })
    }
}
