//! The file sink: appends each record's value as one line.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::sync::Arc;

use async_trait::async_trait;
use connect_api::config_def::{ConfigDef, ConfigType, FileUse, Validator};
use connect_api::{
    Config, ConnectError, ConnectRecord, ConnectResult, Connector, ConnectorContext, OffsetMap,
    SinkConnector, SinkTask, SinkTaskContext, Value,
};

pub const TASK_CLASS: &str = "org.apache.rocketmq.connect.file.FileSinkTask";

fn config_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            "filename",
            ConfigType::String,
            "The file to append to (created if missing)",
        )
        .file(FileUse::Write)
        .validate_with(Validator::NonEmpty)
}

/// One task appending to one file.
#[derive(Debug, Default)]
pub struct FileSinkConnector {
    config: Config,
}

#[async_trait]
impl Connector for FileSinkConnector {
    fn config_def(&self) -> ConfigDef {
        config_def()
    }

    async fn start(
        &mut self,
        config: Config,
        _context: Arc<dyn ConnectorContext>,
    ) -> ConnectResult<()> {
        self.config = config;
        Ok(())
    }

    /// One writer per file keeps lines whole, whatever `max.tasks` says.
    fn task_configs(&self, _max_tasks: usize) -> ConnectResult<Vec<Config>> {
        Ok(vec![self.config.clone()])
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }

    fn task_class(&self) -> &'static str {
        TASK_CLASS
    }
}

impl SinkConnector for FileSinkConnector {
    fn create_task(&self) -> Box<dyn SinkTask> {
        Box::new(FileSinkTask::default())
    }
}

/// Buffered appends; `flush` writes through and syncs.
#[derive(Debug, Default)]
pub struct FileSinkTask {
    filename: String,
    writer: Option<BufWriter<File>>,
}

impl FileSinkTask {
    fn writer(&mut self) -> ConnectResult<&mut BufWriter<File>> {
        self.writer
            .as_mut()
            .ok_or_else(|| ConnectError::other("the file sink was used before start"))
    }
}

#[async_trait]
impl SinkTask for FileSinkTask {
    async fn start(&mut self, config: Config, _context: SinkTaskContext) -> ConnectResult<()> {
        let errors = config_def().validate(&config);
        if !errors.is_empty() {
            return Err(ConnectError::Config(errors));
        }
        self.filename = config.require("filename")?.to_owned();
        if let Some(parent) = std::path::Path::new(&self.filename)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(|e| {
                ConnectError::retriable(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.filename)
            .map_err(|e| ConnectError::retriable(format!("cannot open {}: {e}", self.filename)))?;
        self.writer = Some(BufWriter::with_capacity(64 * 1024, file));
        Ok(())
    }

    async fn put(&mut self, records: &[ConnectRecord]) -> ConnectResult<()> {
        let filename = self.filename.clone();
        let writer = self.writer()?;
        for record in records {
            let written = match &record.value {
                Value::Null => continue,
                Value::String(text) => writer.write_all(text.as_bytes()),
                Value::Bytes(bytes) => writer.write_all(bytes),
                other => writer.write_all(other.to_string().as_bytes()),
            };
            written
                .and_then(|()| writer.write_all(b"\n"))
                .map_err(|e| ConnectError::retriable(format!("cannot write {filename}: {e}")))?;
        }
        // Hand the batch to the OS now so readers of the file see it promptly; durability
        // (fsync) waits for `flush`, which precedes every offset commit.
        writer
            .flush()
            .map_err(|e| ConnectError::retriable(format!("cannot write {filename}: {e}")))
    }

    async fn flush(&mut self, _offsets: &OffsetMap) -> ConnectResult<()> {
        let filename = self.filename.clone();
        let writer = self.writer()?;
        writer
            .flush()
            .and_then(|()| writer.get_ref().sync_data())
            .map_err(|e| ConnectError::retriable(format!("cannot flush {filename}: {e}")))
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        if let Some(mut writer) = self.writer.take() {
            writer
                .flush()
                .map_err(|e| ConnectError::other(format!("cannot flush {}: {e}", self.filename)))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use connect_api::{RecordOffset, RecordPartition, SinkTaskControl, TaskInfo};

    use super::*;

    #[derive(Debug)]
    struct NoControl;
    impl SinkTaskControl for NoControl {
        fn reset_offset(&self, _: &RecordPartition, _: &RecordOffset) {}
        fn pause(&self, _: &[RecordPartition]) {}
        fn resume(&self, _: &[RecordPartition]) {}
        fn assignment(&self) -> HashSet<RecordPartition> {
            HashSet::new()
        }
    }

    fn context() -> SinkTaskContext {
        SinkTaskContext {
            info: TaskInfo {
                connector_name: "s".into(),
                task_id: 0,
                configs: Config::new(),
            },
            control: Arc::new(NoControl),
            reporter: None,
        }
    }

    /// Strings and bytes are written verbatim, one per line; nulls are skipped; flush syncs.
    #[tokio::test]
    async fn writes_values_as_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/out.txt");
        let mut task = FileSinkTask::default();
        task.start(Config::new().with("filename", path.display()), context())
            .await
            .unwrap();
        let record = |v: Value| ConnectRecord::default().with_value(None, v);
        task.put(&[
            record(Value::from("a")),
            record(Value::Null),
            record(Value::Bytes(vec![0xff])),
            record(Value::Int32(3)),
        ])
        .await
        .unwrap();
        task.flush(&OffsetMap::new()).await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"a\n\xff\n3\n");
        task.stop().await.unwrap();
    }

    #[tokio::test]
    async fn missing_filename_is_a_config_error() {
        let err = FileSinkTask::default()
            .start(Config::new(), context())
            .await
            .unwrap_err();
        assert_eq!(err.config_errors()[0].key, "filename");
    }
}
