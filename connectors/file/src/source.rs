//! The file source: follows a file and emits one record per complete line.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use connect_api::config_def::{ConfigDef, ConfigType, FileUse, Validator};
use connect_api::{
    Config, ConnectError, ConnectRecord, ConnectResult, Connector, ConnectorContext, RecordOffset,
    RecordPartition, SchemaBuilder, SchemaRef, SourceConnector, SourceTask, SourceTaskContext,
    Value,
};

pub const TASK_CLASS: &str = "org.apache.rocketmq.connect.file.FileSourceTask";

/// Offset key: the byte position after the last emitted line.
pub const POSITION_KEY: &str = "nextPosition";
/// Partition key: the file name.
pub const FILENAME_KEY: &str = "filename";
/// Offset key: a fingerprint of the file's first bytes (up to [`HEAD_BYTES`]), so a file
/// replaced while the worker was down — even one that got the same inode number back — is
/// read from its start instead of from the old file's position.
pub const HEAD_KEY: &str = "head";
/// Offset key: how many leading bytes the fingerprint covers.
pub const HEAD_LEN_KEY: &str = "headLen";
/// Leading bytes fingerprinted.
pub const HEAD_BYTES: u64 = 64;

fn config_def() -> ConfigDef {
    ConfigDef::new()
        .required(
            "filename",
            ConfigType::String,
            "The file to read; appended lines are followed",
        )
        .file(FileUse::Read)
        .validate_with(Validator::NonEmpty)
        .optional(
            "batch.size",
            ConfigType::Int,
            "1000",
            "Most lines returned by one poll",
        )
        .validate_with(Validator::Range {
            min: 1,
            max: 1_000_000,
        })
        .optional(
            "file.poll.interval.ms",
            ConfigType::Int,
            "100",
            "Wait between looks at the file when no line is complete",
        )
        .validate_with(Validator::Range {
            min: 1,
            max: 60_000,
        })
}

/// One task reading one file.
#[derive(Debug, Default)]
pub struct FileSourceConnector {
    config: Config,
}

#[async_trait]
impl Connector for FileSourceConnector {
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

    /// A file is read by one task, whatever `max.tasks` says.
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

impl SourceConnector for FileSourceConnector {
    fn create_task(&self) -> Box<dyn SourceTask> {
        Box::new(FileSourceTask::default())
    }
}

/// Reads complete lines from `position` on.
#[derive(Debug, Default)]
pub struct FileSourceTask {
    filename: String,
    position: u64,
    batch_size: usize,
    poll_interval: Duration,
    file: Option<File>,
    string_schema: Option<SchemaRef>,
    bytes_schema: Option<SchemaRef>,
    /// The open file's bytes from `position` on that were read but not yet returned: lines
    /// past the last batch and a partial last line. Each byte is read from the file once.
    pending: Vec<u8>,
    /// Bytes a line of the last read took on average, newline included (0 before the first):
    /// the read-ahead follows it, so what is held past a batch and moved to the front after
    /// the batch is returned stays near a quarter of a batch.
    line_bytes: usize,
    /// Where each line of the current read ends (reused across reads).
    line_ends: Vec<usize>,
    warned_missing: bool,
    /// The last read found no complete line in a full budget: read the largest chunk.
    long_line: bool,
    /// Inode of the open file (a different inode behind the name at end of file = rotation).
    inode: u64,
    /// Fingerprint of the open file's first `head_len` bytes.
    head: u64,
    head_len: u64,
    /// Fingerprint the committed position belongs to (checked when the file is first opened).
    committed_head: Option<(u64, u64)>,
}

/// FNV-1a of the first `len` bytes of `file`; `None` when the file is shorter.
fn fingerprint(file: &mut File, len: u64) -> Option<u64> {
    let mut head = vec![0u8; usize::try_from(len).ok()?];
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_exact(&mut head).ok()?;
    Some(head.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    }))
}

fn inode_of(metadata: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(metadata)
}

const READ_CHUNK: usize = 1 << 20;

impl FileSourceTask {
    fn partition(&self) -> RecordPartition {
        RecordPartition::new().with(FILENAME_KEY, self.filename.clone())
    }

    /// Opens the file if needed; false while it does not exist yet.
    fn open(&mut self) -> ConnectResult<bool> {
        if self.file.is_none() {
            match File::open(&self.filename) {
                Ok(mut file) => {
                    // What was read ahead belongs to the file this one replaces.
                    self.pending.clear();
                    self.inode = file.metadata().map(|m| inode_of(&m)).unwrap_or(0);
                    self.head_len = 0;
                    if let Some((head, head_len)) = self.committed_head.take()
                        && self.position > 0
                        && fingerprint(&mut file, head_len) != Some(head)
                    {
                        tracing::warn!(file = %self.filename, "the file was replaced since the last commit; reading the new one from its start");
                        self.position = 0;
                    }
                    self.file = Some(file);
                    self.warned_missing = false;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    if !self.warned_missing {
                        tracing::warn!(file = %self.filename, "source file does not exist yet; waiting for it");
                        self.warned_missing = true;
                    }
                    return Ok(false);
                }
                Err(e) => {
                    return Err(ConnectError::retriable(format!(
                        "cannot open {}: {e}",
                        self.filename
                    )));
                }
            }
        }
        Ok(true)
    }

    /// Reads whatever complete lines are available, up to the batch size.
    fn read_lines(&mut self) -> ConnectResult<Vec<ConnectRecord>> {
        // Open first: opening may rewind the position (a replaced file).
        if !self.open()? {
            return Ok(Vec::new());
        }
        let position = self.position;
        let filename = self.filename.clone();
        let Some(file) = self.file.as_mut() else {
            return Ok(Vec::new());
        };
        let len = file
            .metadata()
            .map_err(|e| ConnectError::retriable(format!("cannot stat {filename}: {e}")))?
            .len();
        if self.head_len < HEAD_BYTES && len > self.head_len {
            let covered = len.min(HEAD_BYTES);
            if let Some(head) = fingerprint(file, covered) {
                (self.head, self.head_len) = (head, covered);
            }
        }
        if len < position + self.pending.len() as u64 {
            // Now shorter than what was held: read that part again. (A file rewritten in
            // place to at least its old length is not noticed, as rewrites in place never
            // were: the source follows appends.)
            self.pending.clear();
        }
        if len < position {
            tracing::warn!(file = %filename, position, len, "source file shrank (truncated or replaced); reading it again from the start");
            self.position = 0;
            self.file = None;
            return Ok(Vec::new());
        }
        if len == position {
            // At the end of this file: if the name now points at another file (rotation:
            // rename + create), switch to it from its start.
            if std::fs::metadata(&filename).is_ok_and(|m| inode_of(&m) != self.inode) {
                tracing::info!(file = %filename, "the file was rotated; reading the new one from its start");
                self.file = None;
                self.position = 0;
            }
            return Ok(Vec::new());
        }
        // Hold about what one batch needs (a quarter more than the last read's lines took,
        // 256 bytes a line before the first) and read only what is missing; after meeting a
        // line longer than that, hold up to the largest chunk until it is consumed.
        let budget = if self.long_line {
            READ_CHUNK
        } else {
            let line = match self.line_bytes {
                0 => 256,
                bytes => bytes + bytes / 4,
            };
            self.batch_size
                .saturating_mul(line)
                .clamp(64 * 1024, READ_CHUNK)
        };
        let mut buffer = std::mem::take(&mut self.pending);
        let held = buffer.len();
        let unread = len - position - held as u64;
        let want = unread.min(budget.saturating_sub(held) as u64);
        if want > 0 {
            // Into the vector's spare room: nothing is zeroed first.
            buffer.reserve(usize::try_from(want).unwrap_or(READ_CHUNK));
            let read = file
                .seek(SeekFrom::Start(position + held as u64))
                .and_then(|_| file.by_ref().take(want).read_to_end(&mut buffer));
            if let Err(e) = read {
                buffer.truncate(held);
                self.pending = buffer;
                return Err(ConnectError::retriable(format!(
                    "cannot read {filename}: {e}"
                )));
            }
        }

        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let partition = self.partition();
        let (head, head_len) = (self.head, self.head_len);
        // The same for every line of this read: formatted once.
        let head_hex = format!("{head:016x}");
        let string_schema = self
            .string_schema
            .get_or_insert_with(|| SchemaBuilder::string().optional().build())
            .clone();
        let bytes_schema = self
            .bytes_schema
            .get_or_insert_with(|| SchemaBuilder::bytes().optional().build())
            .clone();
        // This read's lines: up to a batch of complete ones.
        let mut line_ends = std::mem::take(&mut self.line_ends);
        line_ends.clear();
        line_ends.extend(memchr::memchr_iter(b'\n', &buffer).take(self.batch_size));
        let Some(&last_newline) = line_ends.last() else {
            self.line_ends = line_ends;
            if buffer.len() >= READ_CHUNK {
                self.pending = buffer;
                return Err(ConnectError::data(format!(
                    "{filename}: a line at byte {position} is longer than {READ_CHUNK} bytes"
                )));
            }
            // No newline in the whole read, and more bytes follow it: a line longer than the
            // budget (a partial last line just waits for its newline).
            if len - position > buffer.len() as u64 {
                self.long_line = true;
            }
            self.pending = buffer;
            return Ok(Vec::new());
        };
        self.long_line = false;
        let consumed = last_newline + 1;
        // Validated at once (SIMD, a fraction of the per-line cost); when some line is not
        // UTF-8, each line is checked on its own and that one stays bytes.
        let text = simdutf8::basic::from_utf8(&buffer[..consumed]).ok();
        let mut records = Vec::with_capacity(line_ends.len());
        let mut start = 0;
        for &newline in &line_ends {
            let next = position + newline as u64 + 1;
            let (schema, value) = match text {
                // A newline is never inside a multi-byte character: the slice is whole lines.
                Some(text) => (
                    string_schema.clone(),
                    Value::String(text[start..newline].to_owned()),
                ),
                None => match std::str::from_utf8(&buffer[start..newline]) {
                    Ok(line) => (string_schema.clone(), Value::String(line.to_owned())),
                    Err(_) => (
                        bytes_schema.clone(),
                        Value::Bytes(buffer[start..newline].to_vec()),
                    ),
                },
            };
            start = newline + 1;
            // Built whole and in key order (nothing to sort), not entry by entry.
            let offset = RecordOffset::from_entries(vec![
                (HEAD_KEY.into(), head_hex.clone().into()),
                (HEAD_LEN_KEY.into(), head_len.into()),
                (POSITION_KEY.into(), next.into()),
            ]);
            records.push(
                ConnectRecord::new(partition.clone(), offset, Some(timestamp))
                    .with_value(Some(schema), value),
            );
        }
        self.line_ends = line_ends;
        self.position += consumed as u64;
        self.line_bytes = consumed / records.len();
        buffer.drain(..consumed);
        self.pending = buffer;
        Ok(records)
    }
}

#[async_trait]
impl SourceTask for FileSourceTask {
    async fn start(&mut self, config: Config, context: SourceTaskContext) -> ConnectResult<()> {
        let errors = config_def().validate(&config);
        if !errors.is_empty() {
            return Err(ConnectError::Config(errors));
        }
        self.filename = config.require("filename")?.to_owned();
        self.batch_size = usize::try_from(config.get_i32_or("batch.size", 1000)?).unwrap_or(1000);
        self.poll_interval = Duration::from_millis(
            config
                .get_i64_or("file.poll.interval.ms", 100)?
                .unsigned_abs(),
        );
        let committed = context
            .offset_storage_reader()
            .read_offset(&self.partition());
        self.position = committed
            .as_ref()
            .and_then(|offset| offset.get_i64(POSITION_KEY))
            .and_then(|p| u64::try_from(p).ok())
            .unwrap_or(0);
        self.committed_head = committed.as_ref().and_then(|offset| {
            let head = u64::from_str_radix(offset.get_str(HEAD_KEY)?, 16).ok()?;
            let len = u64::try_from(offset.get_i64(HEAD_LEN_KEY)?).ok()?;
            Some((head, len))
        });
        tracing::info!(file = %self.filename, position = self.position, "file source starting");
        Ok(())
    }

    async fn poll(&mut self) -> ConnectResult<Vec<ConnectRecord>> {
        let records = self.read_lines()?;
        if records.is_empty() && !self.long_line {
            tokio::time::sleep(self.poll_interval).await;
        }
        Ok(records)
    }

    async fn stop(&mut self) -> ConnectResult<()> {
        self.file = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use connect_api::{OffsetStorageReader, TaskInfo};

    use super::*;

    #[derive(Debug)]
    struct Stored(Option<RecordOffset>);
    impl OffsetStorageReader for Stored {
        fn read_offset(&self, _partition: &RecordPartition) -> Option<RecordOffset> {
            self.0.clone()
        }
    }

    fn context(offset: Option<RecordOffset>) -> SourceTaskContext {
        SourceTaskContext {
            info: TaskInfo {
                connector_name: "f".into(),
                task_id: 0,
                configs: Config::new(),
            },
            offsets: Arc::new(Stored(offset)),
            topics: None,
            gauges: None,
        }
    }

    /// Appends `bytes` to the file at `path`, as a writer following the file would.
    fn append(path: &std::path::Path, bytes: &[u8]) {
        std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .unwrap()
            .write_all(bytes)
            .unwrap();
    }

    fn config(path: &std::path::Path) -> Config {
        Config::new()
            .with("filename", path.display())
            .with("file.poll.interval.ms", "1")
    }

    /// Complete lines only; a partial last line waits; the offset is the byte after each line.
    #[tokio::test]
    async fn reads_complete_lines_and_follows_appends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        std::fs::write(&path, b"one\ntwo\npart").unwrap();
        let mut task = FileSourceTask::default();
        task.start(config(&path), context(None)).await.unwrap();
        let records = task.poll().await.unwrap();
        let values: Vec<&Value> = records.iter().map(|r| &r.value).collect();
        assert_eq!(values, [&Value::from("one"), &Value::from("two")]);
        assert_eq!(records[1].position.offset.get_i64(POSITION_KEY), Some(8));
        assert!(task.poll().await.unwrap().is_empty());
        append(&path, b"ial\n\xff\xfe\n");
        let records = task.poll().await.unwrap();
        assert_eq!(records[0].value, Value::from("partial"));
        assert_eq!(
            records[1].value,
            Value::Bytes(vec![0xff, 0xfe]),
            "non-UTF-8 lines stay bytes"
        );
    }

    /// A partial last line waits without spinning; a rotated file is followed from its start;
    /// a file replaced while the worker was down is read from its start, not from the old
    /// position.
    #[tokio::test]
    async fn partial_lines_rotation_and_replacement() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        std::fs::write(&path, b"a\nb").unwrap();
        let mut task = FileSourceTask::default();
        task.start(config(&path), context(None)).await.unwrap();
        assert_eq!(task.poll().await.unwrap().len(), 1);
        assert!(task.poll().await.unwrap().is_empty());
        assert!(!task.long_line, "a partial tail is not a long line");

        append(&path, b"\n");
        let records = task.poll().await.unwrap();
        assert_eq!(records[0].value, Value::from("b"));
        // Rotate: rename the old file away, create a new one at the same name.
        std::fs::rename(&path, dir.path().join("in.txt.1")).unwrap();
        std::fs::write(&path, b"new-1\n").unwrap();
        assert!(
            task.poll().await.unwrap().is_empty(),
            "noticing the rotation"
        );
        let records = task.poll().await.unwrap();
        assert_eq!(records[0].value, Value::from("new-1"));
        let committed = records[0].position.offset.clone();

        // Replace the file while "down": a restart with the old offset reads the new file whole.
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, b"other-1\nother-2\n").unwrap();
        let mut restarted = FileSourceTask::default();
        restarted
            .start(config(&path), context(Some(committed)))
            .await
            .unwrap();
        let values: Vec<Value> = restarted
            .poll()
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.value)
            .collect();
        assert_eq!(values, [Value::from("other-1"), Value::from("other-2")]);
    }

    /// A line longer than the read budget is still read whole.
    #[tokio::test]
    async fn long_lines_are_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        let long = "x".repeat(300_000);
        std::fs::write(&path, format!("{long}\nshort\n")).unwrap();
        let mut task = FileSourceTask::default();
        task.start(config(&path).with("batch.size", "1"), context(None))
            .await
            .unwrap();
        let mut values = Vec::new();
        for _ in 0..4 {
            values.extend(task.poll().await.unwrap().into_iter().map(|r| r.value));
        }
        assert_eq!(values, [Value::String(long), Value::from("short")]);
    }

    /// Lines read ahead of a small batch come out in order with their own positions, each
    /// read from the file once; a file cut shorter than what was held is read again.
    #[tokio::test]
    async fn lines_read_ahead_keep_their_positions_and_are_dropped_when_the_file_shrinks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        std::fs::write(&path, b"one\ntwo\nthree\nfo").unwrap();
        let mut task = FileSourceTask::default();
        task.start(config(&path).with("batch.size", "2"), context(None))
            .await
            .unwrap();
        let first = task.poll().await.unwrap();
        assert_eq!(first.len(), 2);
        assert_eq!(first[1].position.offset.get_i64(POSITION_KEY), Some(8));
        assert_eq!(
            task.pending, b"three\nfo",
            "the rest is held, not read again"
        );
        append(&path, b"ur\n");
        let next = task.poll().await.unwrap();
        let values: Vec<&Value> = next.iter().map(|r| &r.value).collect();
        assert_eq!(values, [&Value::from("three"), &Value::from("four")]);
        assert_eq!(next[1].position.offset.get_i64(POSITION_KEY), Some(19));

        // Read ahead ("x-1\nx-2\n" held past a batch of one), then the file is rewritten
        // shorter than what was held: the held bytes are dropped and the new ones read.
        std::fs::write(&path, b"one\ntwo\nthree\nfour\nx-1\nx-2\n").unwrap();
        let mut task = FileSourceTask::default();
        task.start(
            config(&path).with("batch.size", "1"),
            context(Some(RecordOffset::new().with(POSITION_KEY, 19))),
        )
        .await
        .unwrap();
        assert_eq!(task.poll().await.unwrap()[0].value, Value::from("x-1"));
        assert_eq!(task.pending, b"x-2\n");
        std::fs::write(&path, b"one\ntwo\nthree\nfour\nx-1\ny\n").unwrap();
        let records = task.poll().await.unwrap();
        assert_eq!(records[0].value, Value::from("y"));
        assert_eq!(records[0].position.offset.get_i64(POSITION_KEY), Some(25));
    }

    /// A restart resumes from the committed position.
    #[tokio::test]
    async fn resumes_from_the_committed_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        std::fs::write(&path, b"one\ntwo\n").unwrap();
        let mut task = FileSourceTask::default();
        task.start(
            config(&path),
            context(Some(RecordOffset::new().with(POSITION_KEY, 4))),
        )
        .await
        .unwrap();
        let records = task.poll().await.unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].value, Value::from("two"));
    }

    #[tokio::test]
    async fn missing_file_is_waited_for_and_bad_config_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("later.txt");
        let mut task = FileSourceTask::default();
        task.start(config(&path), context(None)).await.unwrap();
        assert!(task.poll().await.unwrap().is_empty());
        std::fs::write(&path, b"x\n").unwrap();
        assert_eq!(task.poll().await.unwrap().len(), 1);

        let mut bad = FileSourceTask::default();
        let err = bad
            .start(Config::new().with("batch.size", "0"), context(None))
            .await
            .unwrap_err();
        let keys: Vec<&str> = err.config_errors().iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["filename", "batch.size"]);
    }
}
