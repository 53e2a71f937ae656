//! The best a raw RocketMQ producer does on this machine, as benchmarks' baseline: batches of
//! up to 512 messages (and under 1 MiB), every queue of the topic sending concurrently, and
//! every batch built and encoded (ids set, bodies concatenated, with the client's own code)
//! before the clock starts: what is timed is the sending alone, the broker's and the
//! transport's limit. `BENCH_RAW_TIMESTAMP=1` gives every raw message the property the
//! runtime writes on each of its own (`connect.timestamp`, as the Java runtime does), so the
//! broker stores the same bytes for both: what that property costs the broker shows as the
//! difference from a run without it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use connect_dataplane::mq::TIMESTAMP_PROPERTY;
use connect_runtime::rocketmq::RocketMqRuntime;
use rocketmq_client_rust::DefaultMQProducer;
use rocketmq_model::common::message::MessageTrait;
use rocketmq_model::common::message::message_batch::MessageBatch;
use rocketmq_model::common::message::message_client_id_setter::MessageClientIDSetter;
use rocketmq_model::common::message::message_single::Message;
use rocketmq_protocol::common::message::message_decoder::encode_messages;

const BATCH_MESSAGES: usize = 512;
const BATCH_BYTES: usize = 1 << 20;

/// Sends every body of `data` to `topic` (created with 4 queues); returns messages/s.
pub fn produce(runtime: &RocketMqRuntime, namesrv: &str, topic: &str, data: &[Vec<u8>]) -> f64 {
    let client_runtime = runtime.client_runtime();
    runtime.block_on(async {
        let mut producer = DefaultMQProducer::builder(client_runtime)
            .producer_group("bench-raw-concurrent-producer")
            .name_server_addr(namesrv.to_owned())
            .build();
        producer.start().await.expect("start the raw producer");
        producer
            .create_topic("TBW102", topic, 4, HashMap::new())
            .await
            .expect("create the topic");
        let queues = loop {
            match producer.fetch_publish_message_queues(topic).await {
                Ok(queues) if !queues.is_empty() => break queues,
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        };
        let with_timestamp = std::env::var("BENCH_RAW_TIMESTAMP").is_ok_and(|v| v == "1");
        // Each queue's share, cut into batches by count and size.
        let mut shares: Vec<Vec<Vec<Message>>> = vec![Vec::new(); queues.len()];
        for (i, body) in data.iter().enumerate() {
            let share = &mut shares[i % queues.len()];
            let full = share.last().is_none_or(|batch| {
                batch.len() >= BATCH_MESSAGES
                    || batch
                        .iter()
                        .map(|m| m.body().map_or(0, |b| b.len()))
                        .sum::<usize>()
                        + body.len()
                        > BATCH_BYTES
            });
            if full {
                share.push(Vec::new());
            }
            if let Some(batch) = share.last_mut() {
                let mut message = Message::builder().topic(topic).body_slice(body);
                if with_timestamp {
                    message = message
                        .raw_property(TIMESTAMP_PROPERTY, "1764547200000")
                        .expect("a valid property");
                }
                batch.push(message.build_unchecked());
            }
        }
        // What the client's `send_batch_to_queue` does before sending, done here untimed.
        let shares: Vec<Vec<MessageBatch>> = shares
            .into_iter()
            .map(|batches| batches.into_iter().map(encode).collect())
            .collect();
        let started = Instant::now();
        let sends = shares.into_iter().zip(queues).map(|(batches, queue)| {
            let producer = producer.clone();
            async move {
                for batch in batches {
                    producer
                        .send_to_queue(batch, queue.clone())
                        .await
                        .expect("send a batch");
                }
            }
        });
        futures_util::future::join_all(sends).await;
        let rate = data.len() as f64 / started.elapsed().as_secs_f64();
        producer.shutdown().await;
        rate
    })
}

/// The batch as the client's batch send builds it: each message with its id, the bodies
/// encoded into the batch's body.
fn encode(mut messages: Vec<Message>) -> MessageBatch {
    for message in &mut messages {
        MessageClientIDSetter::set_uniq_id(message);
    }
    let body = encode_messages(&messages);
    let mut batch = MessageBatch::generate_from_messages(messages).expect("a valid batch");
    MessageClientIDSetter::set_uniq_id(&mut batch.final_message);
    batch.set_body(body);
    batch
}
