//! JSON converter throughput on the seed's `employee` envelope (8 fields, one record per
//! iteration: the reported elements/s are records/s).

use connect_api::{Config, RecordConverter};
use connect_converters::JsonConverter;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const ENVELOPE: &[u8] = br#"{"schema":{"name":"server_026.test_database.employee_copy3.Value","optional":true,"type":"struct","fields":[{"field":"id","optional":true,"type":"int64"},{"field":"name","optional":true,"type":"string"},{"field":"howold","optional":true,"type":"int32"},{"optional":true,"field":"male","type":"int32"},{"optional":true,"field":"company","type":"string"},{"field":"money","optional":true,"type":"double"},{"field":"begin_time","name":"io.debezium.time.Timestamp","optional":true,"type":"int64"},{"field":"modify_time","name":"io.debezium.time.ZonedTimestamp","optional":true,"type":"string"}]},"payload":{"id":12,"name":"name-06","howold":19,"male":3,"company":"acme","money":10.5,"begin_time":1655207871000,"modify_time":"2022-06-14T11:57:51Z"}}"#;

fn json(c: &mut Criterion) {
    let mut converter = JsonConverter::new();
    converter
        .configure(&Config::new(), false)
        .expect("default config is valid");
    let decoded = converter
        .decode("t", Some(ENVELOPE))
        .expect("seed envelope decodes");

    let mut group = c.benchmark_group("json_converter");
    group.throughput(Throughput::Elements(1));
    group.bench_function("decode_envelope", |b| {
        b.iter(|| {
            converter
                .decode("t", Some(std::hint::black_box(ENVELOPE)))
                .expect("decodes")
        });
    });
    group.bench_function("encode_envelope", |b| {
        b.iter(|| {
            converter
                .encode(
                    "t",
                    decoded.schema.as_deref(),
                    std::hint::black_box(&decoded.value),
                )
                .expect("encodes")
        });
    });
    let mut schemaless = JsonConverter::new();
    schemaless
        .configure(&Config::new().with("schemas.enable", "false"), false)
        .expect("valid config");
    let payload = br#"{"id":12,"name":"name-06","howold":19,"male":3,"company":"acme","money":10.5,"begin_time":1655207871000,"modify_time":"2022-06-14T11:57:51Z"}"#;
    group.bench_function("decode_schemaless", |b| {
        b.iter(|| {
            schemaless
                .decode("t", Some(std::hint::black_box(payload)))
                .expect("decodes")
        });
    });
    // The raw baselines: serde_json alone parsing the same bytes into its own tree, and
    // writing that tree back — what any JSON converter must at least do.
    group.bench_function("raw_serde_json_parse_envelope", |b| {
        b.iter(|| {
            serde_json::from_slice::<serde_json::Value>(std::hint::black_box(ENVELOPE))
                .expect("parses")
        });
    });
    let tree: serde_json::Value = serde_json::from_slice(ENVELOPE).expect("parses");
    group.bench_function("raw_serde_json_write_envelope", |b| {
        b.iter(|| serde_json::to_vec(std::hint::black_box(&tree)).expect("writes"));
    });
    group.bench_function("raw_serde_json_parse_schemaless", |b| {
        b.iter(|| {
            serde_json::from_slice::<serde_json::Value>(std::hint::black_box(payload))
                .expect("parses")
        });
    });
    group.finish();
}

criterion_group!(benches, json);
criterion_main!(benches);
