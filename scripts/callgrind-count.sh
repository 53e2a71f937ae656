# Shared by scripts/count-*.sh (sourced, not run): a benchmark binary run with the worker it
# starts under callgrind, counters zeroed and dumped on the bench's own output lines, and the
# dump's instructions split by thread role per unit moved. Callgrind counts user-space
# instructions only: system calls (file reads, socket writes, futex waits) are not in the
# count, and a `rep movsb` copy counts a byte as an instruction.
#
#   count_start <bench binary> [VAR=value ...]   copies the bench into $work beside a
#                                                `rocketmq-connect` that runs $worker under
#                                                callgrind, starts it; sets $work, $bench
#   count_between <zero line> <dump line>        zeroes at the first line, dumps at the second,
#                                                stops the worker (which ends the bench)
#   count_report <units> <unit name> <label=function> ...
#                                                prints instructions per unit for each
#                                                function's inclusive count (COUNT_DUMP=<file>
#                                                keeps the dump)
# Needs $worker (the release worker binary) set by the caller.

count_start() {
    local bench_binary=$1
    shift
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    # The bench starts the `rocketmq-connect` beside it: here, the worker under callgrind.
    cp "$bench_binary" "$work/"
    cat > "$work/rocketmq-connect" <<SCRIPT
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file=$work/worker.%p "$worker" "\$@"
SCRIPT
    chmod +x "$work/rocketmq-connect"
    env "$@" "$work/$(basename "$bench_binary")" > "$work/bench.out" 2>"$work/bench.err" &
    bench=$!
}

count_wait_for() {
    until grep -q "$1" "$work/bench.out"; do
        kill -0 "$bench" 2>/dev/null || { cat "$work/bench.err" >&2; exit 1; }
        sleep 0.2
    done
}

count_between() {
    count_wait_for "$1"
    callgrind_control -z >/dev/null
    count_wait_for "$2"
    callgrind_control -d >/dev/null
    # Nothing past the counted phase is needed: stopping the worker ends the bench, which
    # stops what it started on the way out.
    pkill -f "valgrind --tool=callgrind --callgrind-out-file=$work" || true
    wait "$bench" || true
}

count_report() {
    local units=$1 unit=$2
    shift 2
    local dump
    dump=$(ls -S "$work"/worker.*.* 2>/dev/null | head -1)
    if [ -n "${COUNT_DUMP:-}" ]; then cp "$dump" "$COUNT_DUMP"; fi
    callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$dump" | python3 -c "
import re, sys
units, unit = float(sys.argv[1]), sys.argv[2]
parts = dict(arg.split('=', 1) for arg in sys.argv[3:])
found = {}
for line in sys.stdin:
    m = re.match(r'^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*?)(?: \[.*\])?\s*$', line)
    if not m:
        continue
    for name, function in parts.items():
        if name not in found and m.group(2).endswith(function):
            found[name] = int(m.group(1).replace(',', ''))
for name in parts:
    print(f'{name:>24}: {found.get(name, 0) / units:8.0f} instructions per {unit}')
" "$units" "$unit" "$@"
}
