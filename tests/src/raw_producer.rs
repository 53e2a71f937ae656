//! The best a raw RocketMQ producer does on this machine, as benchmarks' baseline: batches of
//! up to 512 messages (and under 1 MiB), every queue of the topic sending concurrently.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use connect_runtime::rocketmq::RocketMqRuntime;
use rocketmq_client_rust::DefaultMQProducer;
use rocketmq_model::common::message::message_single::Message;

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
                batch.push(
                    Message::builder()
                        .topic(topic)
                        .body_slice(body)
                        .build_unchecked(),
                );
            }
        }
        let started = Instant::now();
        let sends = shares.into_iter().zip(queues).map(|(batches, queue)| {
            let producer = producer.clone();
            async move {
                for batch in batches {
                    producer
                        .send_batch_to_queue(batch, queue.clone())
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
