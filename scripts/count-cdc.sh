#!/usr/bin/env bash
# Counts the instructions the worker spends per streamed row of the CDC benchmark (MariaDB,
# one transaction of BENCH_ROWS rows, default 100000), with the worker under callgrind.
#
# Times on a shared two-core machine move ±20–30% between runs; instruction counts of the
# data path do not. The worker runs the whole streaming phase under callgrind (counters zeroed
# when the rows are loaded, dumped when the bench prints its streaming line) and the count is
# split into the task's loop (poll, convert, send, settle), the binlog reader, the RocketMQ
# client's runtime and the REST server (the bench polls the offsets; this part grows with the
# run's length, not with rows). Usage: scripts/count-cdc.sh [release worker binary]
# (BENCH_SCHEMAS=false as for the bench; COUNT_DUMP=<file> keeps the dump). Needs valgrind; builds what it runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/callgrind-count.sh
./scripts/rocketmq.sh install
./scripts/databases.sh install
target=${CARGO_TARGET_DIR:-$root/target}
cargo build --release --locked -p connect-runtime --bin rocketmq-connect -p connect-tests --bin cdc-bench
worker=${1:-$target/release/rocketmq-connect}
rows=${BENCH_ROWS:-100000}
count_start "$target/release/cdc-bench" BENCH_DB=mariadb BENCH_ROWS="$rows"
count_between '^loaded' '^streaming'
grep '^streaming' "$work/bench.out"
count_report "$rows" row \
    'task loop=connect_dataplane::loops::source::SourceLoop::run::{{closure}}' \
    'binlog reader=connect_cdc::mysql::binlog::spawn::{{closure}}' \
    'RocketMQ client runtime=tokio::runtime::scheduler::multi_thread::worker::run' \
    'REST server=actix_http::h1::dispatcher::InnerDispatcher<T,S,B,X,U>::poll_request' \
    'whole worker=PROGRAM TOTALS'
