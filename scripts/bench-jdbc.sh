#!/usr/bin/env bash
# The JDBC benchmark (connector tasks vs raw sqlx, same rows, MariaDB / PostgreSQL / SQLite
# servers started on loopback). BENCH_ROWS sets the row count (default 200000).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/databases.sh install
cargo build --release --locked -p connect-tests --bin jdbc-bench
exec "${CARGO_TARGET_DIR:-target}/release/jdbc-bench" "$@"
