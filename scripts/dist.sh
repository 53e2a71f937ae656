#!/usr/bin/env bash
# Builds the release binary for distribution into dist/: `rocketmq-connect` with its debug
# information split off into `rocketmq-connect.debug` (found again through a GNU debuglink by
# gdb, perf and backtrace symbolizers) and `rocketmq-connect.dwp` (the split DWARF units).
# The binary keeps its symbol table, so a profile or a panic still names functions.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p connect-runtime --bin rocketmq-connect
built="${CARGO_TARGET_DIR:-target}/release"
rm -rf dist
mkdir -p dist
cp "$built/rocketmq-connect" "$built/rocketmq-connect.dwp" dist/
cd dist
objcopy --only-keep-debug rocketmq-connect rocketmq-connect.debug
objcopy --strip-debug --add-gnu-debuglink=rocketmq-connect.debug rocketmq-connect
./rocketmq-connect --version
ls -l
