#!/usr/bin/env bash
# The CDC benchmark (raw binlog read / SELECT vs the MySQL CDC connector delivering to RocketMQ,
# same rows, one MariaDB and one broker on loopback). BENCH_ROWS sets the row count
# (default 1000000; the streaming case inserts them in one transaction).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/rocketmq.sh install
./scripts/databases.sh install
cargo build --release --locked -p connect-runtime --bin rocketmq-connect -p connect-tests --bin cdc-bench
exec "${CARGO_TARGET_DIR:-target}/release/cdc-bench" "$@"
