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
./scripts/rocketmq.sh install
target=${CARGO_TARGET_DIR:-$root/target}
cargo build --release --locked -p connect-runtime --bin rocketmq-connect -p connect-tests --bin mq-bench
worker=${1:-$target/release/rocketmq-connect}
messages=${BENCH_MESSAGES:-100000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The bench starts the `rocketmq-connect` beside it: here, the worker under callgrind.
cp "$target/release/mq-bench" "$work/"
cat > "$work/rocketmq-connect" <<SCRIPT
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file=$work/worker.%p "$worker" "\$@"
SCRIPT
chmod +x "$work/rocketmq-connect"
BENCH_MESSAGES=$messages BENCH_ROUNDS=1 "$work/mq-bench" > "$work/bench.out" 2>"$work/bench.err" &
bench=$!
wait_for() {
    until grep -q "$1" "$work/bench.out"; do
        kill -0 "$bench" 2>/dev/null || { cat "$work/bench.err" >&2; exit 1; }
        sleep 0.2
    done
}
wait_for 'produce raw'
callgrind_control -z >/dev/null
wait_for 'produce runtime'
callgrind_control -d >/dev/null
# The consume phase is not counted: stopping the worker ends the bench, which stops its
# broker on the way out.
pkill -f "valgrind --tool=callgrind --callgrind-out-file=$work" || true
wait "$bench" || true
grep 'produce' "$work/bench.out"
dump=$(ls -S "$work"/worker.*.* 2>/dev/null | head -1)
[ -n "${COUNT_DUMP:-}" ] && cp "$dump" "$COUNT_DUMP"
callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$dump" | python3 -c "
import re, sys
messages = float(sys.argv[1])
parts = {
    'task loop': 'connect_dataplane::loops::source::SourceLoop::run::{{closure}}',
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
    print(f'{name:>24}: {found.get(name, 0) / messages:8.0f} instructions per message')
" "$messages"
