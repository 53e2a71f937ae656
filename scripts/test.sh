#!/usr/bin/env bash
# The whole test suite: unit, property and integration tests of every crate. Integration tests
# start real processes on loopback, including a RocketMQ name server and broker and MariaDB and
# PostgreSQL servers: the first run on a machine installs them (about 20 minutes on 2 cores for
# the broker, under a minute for the database packages; later runs skip it).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/rocketmq.sh install
./scripts/databases.sh install
cargo test --workspace --locked "$@"
