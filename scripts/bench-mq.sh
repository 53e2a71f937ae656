#!/usr/bin/env bash
# The RocketMQ data-plane benchmark (raw client vs the runtime, same broker, same messages).
# Builds the worker and the benchmark in release, then runs it; starts a loopback broker
# unless NAMESRV_ADDR is set. BENCH_MESSAGES sets the message count (default 500000).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/rocketmq.sh install
cargo build --release --locked -p connect-runtime --bin rocketmq-connect -p connect-tests --bin mq-bench
exec "${CARGO_TARGET_DIR:-target}/release/mq-bench" "$@"
