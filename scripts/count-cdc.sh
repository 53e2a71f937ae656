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
./scripts/rocketmq.sh install
./scripts/databases.sh install
target=${CARGO_TARGET_DIR:-$root/target}
cargo build --release --locked -p connect-runtime --bin rocketmq-connect -p connect-tests --bin cdc-bench
worker=${1:-$target/release/rocketmq-connect}
rows=${BENCH_ROWS:-100000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The bench starts the `rocketmq-connect` beside it: here, the worker under callgrind.
cp "$target/release/cdc-bench" "$work/"
cat > "$work/rocketmq-connect" <<EOF
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file=$work/worker.%p "$worker" "\$@"
EOF
chmod +x "$work/rocketmq-connect"
BENCH_DB=mariadb BENCH_ROWS=$rows "$work/cdc-bench" > "$work/bench.out" 2>"$work/bench.err" &
bench=$!
wait_for() {
    until grep -q "$1" "$work/bench.out"; do
        kill -0 "$bench" 2>/dev/null || { cat "$work/bench.err" >&2; exit 1; }
        sleep 0.5
    done
}
wait_for '^loaded'
callgrind_control -z >/dev/null
wait_for '^streaming'
callgrind_control -d >/dev/null
# The worker is not needed past the streaming phase: stopping it ends the bench, which stops
# its broker and database on the way out.
pkill -f "valgrind --tool=callgrind --callgrind-out-file=$work" || true
wait "$bench" || true
grep '^streaming' "$work/bench.out"
dump=$(ls -S "$work"/worker.*.* 2>/dev/null | head -1)
# COUNT_DUMP=<file> keeps the callgrind dump, to read by function with callgrind_annotate.
[ -n "${COUNT_DUMP:-}" ] && cp "$dump" "$COUNT_DUMP"
callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$dump" | python3 -c "
import re, sys
rows = float(sys.argv[1])
parts = {
    'task loop': 'connect_dataplane::loops::source::SourceLoop::run::{{closure}}',
    'binlog reader': 'connect_cdc::mysql::binlog::spawn::{{closure}}',
    'RocketMQ client runtime': 'tokio::runtime::scheduler::multi_thread::worker::run',
    'REST server': 'actix_http::h1::dispatcher::InnerDispatcher<T,S,B,X,U>::poll_request',
    'whole worker': 'PROGRAM TOTALS',
}
found = {}
for line in sys.stdin:
    m = re.match(r'^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*?)(?: \[.*\])?\s*$', line)
    if not m:
        continue
    for name, function in parts.items():
        if name not in found and m.group(2).endswith(function):
            found[name] = int(m.group(1).replace(',', ''))
for name in parts:
    print(f'{name:>24}: {found.get(name, 0) / rows:8.0f} instructions per row')
" "$rows"
