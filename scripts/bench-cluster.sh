#!/usr/bin/env bash
# Distributed-mode figures (failover after kill -9, duplicates, 100 connectors, a joining
# worker, memory per worker) on a loopback broker with release builds.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/rocketmq.sh install
cargo build --release --locked -p connect-tests --bin connect-test-worker --bin cluster-bench
exec "${CARGO_TARGET_DIR:-target}/release/cluster-bench" "$@"
