//! A three-transform chain (rename, insert topic/offset, cast) on an 8-field struct record,
//! one record per iteration: the reported elements/s are records/s.

use connect_api::{
    Config, ConnectRecord, RecordOffset, RecordPartition, SchemaBuilder, Struct, Value,
};
use connect_transforms::TransformChain;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

fn record() -> ConnectRecord {
    let mut builder = SchemaBuilder::struct_().name("employee");
    for (name, schema) in [
        ("id", SchemaBuilder::int64().build()),
        ("name", SchemaBuilder::string().build()),
        ("howold", SchemaBuilder::int32().build()),
        ("male", SchemaBuilder::int32().build()),
        ("company", SchemaBuilder::string().build()),
        ("money", SchemaBuilder::float64().build()),
        ("begin_time", SchemaBuilder::int64().build()),
        ("modify_time", SchemaBuilder::string().build()),
    ] {
        builder = builder.field(name, schema).expect("unique field names");
    }
    let schema = builder.build();
    let values = vec![
        Value::Int64(12),
        Value::from("name-06"),
        Value::Int32(19),
        Value::Int32(3),
        Value::from("acme"),
        Value::Float64(10.5),
        Value::Int64(1_655_207_871_000),
        Value::from("2022-06-14T11:57:51Z"),
    ];
    let value = Struct::from_values(schema.clone(), values).expect("values fit");
    let partition = RecordPartition::new().with("topic", "t").with("queueId", 1);
    ConnectRecord::new(
        partition,
        RecordOffset::new().with("queueOffset", 42),
        Some(1),
    )
    .with_value(Some(schema), Value::Struct(value))
}

fn chain(c: &mut Criterion) {
    let config: Config = [
        ("transforms", "rename, insert, cast"),
        (
            "transforms.rename.class",
            "org.apache.rocketmq.connect.transforms.PatternRename$Value",
        ),
        ("transforms.rename.field.pattern", "company"),
        ("transforms.rename.field.replacement", "employer"),
        (
            "transforms.insert.class",
            "org.apache.kafka.connect.transforms.InsertField$Value",
        ),
        ("transforms.insert.topic.field", "src_topic"),
        ("transforms.insert.offset.field", "src_offset"),
        (
            "transforms.cast.class",
            "org.apache.kafka.connect.transforms.Cast$Value",
        ),
        ("transforms.cast.spec", "howold:int64,money:string"),
    ]
    .into_iter()
    .collect();
    let mut chain = TransformChain::from_config(&config).expect("valid chain");
    let input = record();
    let mut group = c.benchmark_group("transform_chain");
    group.throughput(Throughput::Elements(1));
    group.bench_function("rename_insert_cast", |b| {
        b.iter_batched(
            || input.clone(),
            |r| chain.apply(r).expect("transforms").expect("kept"),
            BatchSize::SmallInput,
        );
    });
    group.bench_function("clone_only_baseline", |b| {
        b.iter_batched(
            || input.clone(),
            std::hint::black_box,
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

criterion_group!(benches, chain);
criterion_main!(benches);
