#!/usr/bin/env bash
# Counts the instructions the worker spends per message produced by the file source in the
# RocketMQ benchmark (BENCH_MESSAGES lines of 100 bytes, default 100000, one round), with the
# worker under callgrind.
#
# Times on a shared two-core machine move ±20–30% between runs; instruction counts of the
# data path do not. Counters are zeroed when the bench prints its raw produce line and dumped
# when it prints the runtime's; the count is split into the task's loop (poll, convert, send,
# settle), the RocketMQ client's runtime and the REST server (the bench polls the offsets).
# Usage: scripts/count-mq.sh [release worker binary] (COUNT_DUMP=<file> keeps the dump).
# Needs valgrind; builds what it runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/callgrind-count.sh
./scripts/rocketmq.sh install
target=${CARGO_TARGET_DIR:-$root/target}
cargo build --release --locked -p connect-runtime --bin rocketmq-connect -p connect-tests --bin mq-bench
worker=${1:-$target/release/rocketmq-connect}
messages=${BENCH_MESSAGES:-100000}
count_start "$target/release/mq-bench" BENCH_MESSAGES="$messages" BENCH_ROUNDS=1
count_between 'produce raw' 'produce runtime'
grep 'produce' "$work/bench.out"
count_report "$messages" message \
    'task loop=connect_dataplane::loops::source::SourceLoop::run::{{closure}}' \
    'RocketMQ client runtime=tokio::runtime::scheduler::multi_thread::worker::run' \
    'REST server=actix_http::h1::dispatcher::InnerDispatcher<T,S,B,X,U>::poll_request' \
    'whole worker=PROGRAM TOTALS'
