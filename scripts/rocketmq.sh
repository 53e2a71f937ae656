#!/usr/bin/env bash
# The RocketMQ name server and broker (the Rust implementation, rocketmq-rust 1.0.0) for tests,
# CI and local use — bound to 127.0.0.1 only, on free ports, with a throwaway store.
#
#   scripts/rocketmq.sh install      build and install once per machine (a no-op afterwards);
#                                    ~20 min cold on 2 cores
#   scripts/rocketmq.sh start DIR    start both with their store under DIR; writes DIR/env with
#                                    NAMESRV_ADDR=127.0.0.1:<port> and prints it
#   scripts/rocketmq.sh stop DIR     stop what `start DIR` started
#   scripts/rocketmq.sh kill-broker DIR     kill -9 the broker (failure injection)
#   scripts/rocketmq.sh restart-broker DIR  start it again on the same ports and store
#   scripts/rocketmq.sh bin-dir      print where the binaries are
#
# The store lives on a memory file system (/dev/shm) when one with room is mounted, else under
# DIR: the rocketmq-rust 1.0 store refuses writes once 90% of its disk's total space is used
# (diskSpaceWarningLevelRatio, which it caps at 90), and a build machine's disk is often that full.
# Set ROCKETMQ_STORE_ON_DISK=1 to keep it under DIR (a benchmark writing gigabytes does).
#
# The install root is $ROCKETMQ_RUST_ROOT, else /opt/rocketmq-rust if writable, else
# ~/.local/share/rocketmq-rust. Point a worker at the local broker with namesrvAddr=<NAMESRV_ADDR>,
# or at your own cluster with its name server address.
set -euo pipefail

VERSION=1.0.0

root_dir() {
    if [[ -n "${ROCKETMQ_RUST_ROOT:-}" ]]; then
        echo "$ROCKETMQ_RUST_ROOT"
    elif mkdir -p /opt/rocketmq-rust 2>/dev/null && [[ -w /opt/rocketmq-rust ]]; then
        echo /opt/rocketmq-rust
    else
        echo "$HOME/.local/share/rocketmq-rust"
    fi
}

BIN="$(root_dir)/bin"

install() {
    if [[ -x "$BIN/rocketmq-namesrv-rust" && -x "$BIN/rocketmq-broker-rust" ]] &&
        grep -q "rocketmq-broker $VERSION" "$(root_dir)/.crates.toml" 2>/dev/null; then
        echo "rocketmq-rust $VERSION already installed in $BIN"
        return
    fi
    echo "installing rocketmq-rust $VERSION into $(root_dir) (once per machine)"
    cargo install --locked --quiet "rocketmq-namesrv@$VERSION" "rocketmq-broker@$VERSION" --root "$(root_dir)"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

port_free() {
    python3 -c "import socket, sys; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', $1)); s.close()" 2>/dev/null
}

wait_for() { # description, command...
    local what=$1
    shift
    for _ in $(seq 1 300); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    echo "timed out waiting for $what" >&2
    return 1
}

listening() { python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 1).close()"; }
ready() { python3 -c "import urllib.request; assert urllib.request.urlopen('http://127.0.0.1:$1/readyz', timeout=1).status == 200"; }

# Starts a detached process in its own session; the shell records its own pid before exec, so
# the pid file names the server even though setsid may fork.
launch() { # dir, name, command...
    local dir=$1 name=$2
    shift 2
    # The whole subshell is redirected and execs into the server: no shell lingers holding the
    # caller's stdout (a caller reading our output through a pipe would otherwise never see EOF).
    (cd "$dir" && ROCKETMQ_HOME="$dir" exec setsid sh -c 'echo $$ > "$0"; exec "$@"' "$dir/$name.pid" "$@") \
        >> "$dir/$name.log" 2>&1 < /dev/null &
    wait_for "$name to record its pid" test -s "$dir/$name.pid"
}

# Whether the process is running (a server that exited but was not yet reaped counts as gone).
alive() { # pid
    [[ $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) =~ ^[^Z]$ ]]
}

# Whether the process itself listens on the port: a server that lost its port to another
# test's server exits, and a check by port alone would find the other one.
owns_port() { # pid, port
    python3 - "$1" "$2" <<'PY'
import os, sys
pid, port = sys.argv[1], int(sys.argv[2])
inodes = set()
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    try:
        rows = open(table).read().splitlines()[1:]
    except OSError:
        continue
    for row in rows:
        fields = row.split()
        if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
            inodes.add("socket:[%s]" % fields[9])
fds = "/proc/%s/fd" % pid
def target(fd):
    try:
        return os.readlink(os.path.join(fds, fd))
    except OSError:
        return None
sys.exit(0 if any(target(fd) in inodes for fd in os.listdir(fds)) else 1)
PY
}

# Waits until the server NAME started under DIR listens on PORT itself and passes the check.
# Returns 2 at once when it exits first (typically a port another process took between
# choosing and binding it), 1 after 60 s; either way the end of its log goes to stderr, since
# the caller may delete DIR.
wait_up() { # dir, name, port, description, command...
    local dir=$1 name=$2 port=$3 what=$4 pid deadline=$((SECONDS + 60))
    shift 4
    pid=$(cat "$dir/$name.pid")
    while ((SECONDS < deadline)); do
        if "$@" >/dev/null 2>&1 && owns_port "$pid" "$port" 2>/dev/null && alive "$pid"; then
            return 0
        fi
        if ! alive "$pid"; then
            echo "$name exited before $what; the end of $dir/$name.log:" >&2
            tail -n 15 "$dir/$name.log" >&2
            return 2
        fi
        sleep 0.1
    done
    echo "timed out after 60 s waiting for $what; the end of $dir/$name.log:" >&2
    tail -n 15 "$dir/$name.log" >&2
    return 1
}

launch_broker() { # dir (holding broker.toml and health_port)
    local dir=$1 health_port broker_port
    health_port=$(cat "$dir/health_port")
    broker_port=$(sed -n 's/^listenPort = //p' "$dir/broker.toml")
    rm -f "$dir/broker.pid"
    ROCKETMQ_HEALTH_BIND_ADDR="127.0.0.1:$health_port" ROCKETMQ_SHUTDOWN_TIMEOUT_SECONDS=5 \
        launch "$dir" broker "$BIN/rocketmq-broker-rust" -c broker.toml
    wait_up "$dir" broker "$broker_port" "the broker to be ready" ready "$health_port"
}

kill_broker() {
    local dir=${1:?usage: rocketmq.sh kill-broker DIR} pid
    pid=$(cat "$dir/broker.pid")
    kill -KILL "$pid"
    wait_for "the broker to die" sh -c "! kill -0 $pid"
    rm -f "$dir/broker.pid"
}

# Where the store of a broker started under DIR lives; recorded in DIR/store_root so that stop
# removes it and restart-broker finds it again.
choose_store_root() { # dir
    local dir=$1 shm=/dev/shm
    if [[ -z "${ROCKETMQ_STORE_ON_DISK:-}" && -d "$shm" && -w "$shm" ]] &&
        [[ $(df --output=avail -k "$shm" | tail -1 | tr -dc 0-9) -gt $((4 * 1024 * 1024)) ]]; then
        remove_orphan_stores "$shm"
        mktemp -d "$shm/connect-rocketmq-store.XXXXXX"
    else
        echo "$dir/store"
    fi
}

# A test process killed before it stopped its broker leaves its store behind in memory: remove
# stores whose owner directory is gone.
remove_orphan_stores() { # shm
    local store owner
    for store in "$1"/connect-rocketmq-store.*; do
        [[ -f "$store/owner" ]] || continue
        owner=$(cat "$store/owner")
        [[ -d "$owner" ]] || rm -rf "$store"
    done
}

# Starts both servers once on freshly chosen ports; returns wait_up's status on failure, with
# everything it started stopped again.
start_once() { # dir (absolute)
    local dir=$1
    local namesrv_port broker_port ha_port health_port
    namesrv_port=$(free_port)
    # The broker also listens on listenPort-2 (the "fast" port): both must be free.
    while :; do
        broker_port=$(free_port)
        if port_free $((broker_port - 2)); then break; fi
    done
    ha_port=$(free_port)
    health_port=$(free_port)
    local store
    store=$(choose_store_root "$dir")
    mkdir -p "$store"
    echo "$dir" > "$store/owner"
    echo "$store" > "$dir/store_root"

    cat > "$dir/namesrv.toml" <<CONF
rocketmqHome = "$dir"
kvConfigPath = "$dir/namesrv/kvConfig.json"
configStorePath = "$dir/namesrv/namesrv.properties"
listenPort = $namesrv_port
bindAddress = "127.0.0.1"
CONF
    cat > "$dir/broker.toml" <<CONF
[broker]
namesrvAddr = "127.0.0.1:$namesrv_port"
brokerIp1 = "127.0.0.1"
listenPort = $broker_port
storePathRootDir = "$store"
autoCreateTopicEnable = true

[broker.brokerServerConfig]
bindAddress = "127.0.0.1"

[broker.brokerIdentity]
brokerName = "connect-test-broker"
brokerClusterName = "DefaultCluster"
brokerId = 0

[store]
storePathRootDir = "$store"
haListenPort = $ha_port
haListenAddress = "127.0.0.1"
# Without this every send waits ~1 ms on a timer (infra facts: 181 µs vs 1403 µs a send).
commitLogMicroBatchMaxWaitMicros = 0
mappedFileSizeCommitLog = 67108864
mappedFileSizeConsumeQueue = 1200000
maxHashSlotNum = 500000
maxIndexNum = 2000000

[logging]
filter = "warn,rocketmq_store::message_store::local_file_message_store::read_path=error"
CONF
    echo "$health_port" > "$dir/health_port"
    rm -f "$dir/namesrv.pid"
    launch "$dir" namesrv "$BIN/rocketmq-namesrv-rust" -c namesrv.toml || return 1
    local status=0
    wait_up "$dir" namesrv "$namesrv_port" "the name server on port $namesrv_port" \
        listening "$namesrv_port" || status=$?
    # A broker that does not come up (e.g. it refuses a nearly full disk) must not leave the
    # name server behind: the caller gets no directory to stop.
    if (( status == 0 )); then
        launch_broker "$dir" || status=$?
    fi
    if (( status != 0 )); then
        # The rocketmq-rust 1.0 store refuses writes once (total - available) / total of its
        # disk reaches 90%, counting blocks reserved for root as used (unlike df's Use%).
        local size avail
        read -r size avail < <(df --output=size,avail -k "$store" | tail -1)
        if (( (size - avail) * 100 >= 88 * size )); then
            echo "the disk holding the broker store $store has $((avail / 1024 / 1024)) GiB of $((size / 1024 / 1024)) GiB available: the broker refuses to write with less than 10% available; free some space (or run where /dev/shm has 4 GiB free)" >&2
        fi
        stop "$dir"
        return "$status"
    fi
    printf 'NAMESRV_ADDR=127.0.0.1:%s\nBROKER_ADDR=127.0.0.1:%s\n' "$namesrv_port" "$broker_port" > "$dir/env"
}

start() {
    local dir=${1:?usage: rocketmq.sh start DIR}
    [[ -x "$BIN/rocketmq-broker-rust" ]] || { echo "not installed: run scripts/rocketmq.sh install" >&2; exit 1; }
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    # Ports are chosen free but bound later by the servers; under parallel tests another process
    # can take one in between, and the server exits. A server that exits before it is ready is
    # therefore started again on other ports (whatever the reason: its log is printed each time).
    local attempt status
    for attempt in 1 2 3; do
        status=0
        start_once "$dir" || status=$?
        if (( status == 0 )); then
            cat "$dir/env"
            return
        fi
        (( status == 2 && attempt < 3 )) || exit 1
        echo "starting again on other ports (attempt $((attempt + 1)) of 3)" >&2
    done
}

stop() {
    local dir=${1:?usage: rocketmq.sh stop DIR}
    for name in broker namesrv; do
        local pidfile="$dir/$name.pid"
        [[ -f "$pidfile" ]] || continue
        local pid
        pid=$(cat "$pidfile")
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        rm -f "$pidfile"
    done
    # A store on the memory file system is memory until removed.
    if [[ -f "$dir/store_root" ]]; then
        local store
        store=$(cat "$dir/store_root")
        [[ "$store" == /dev/shm/connect-rocketmq-store.* ]] && rm -rf "$store"
        rm -f "$dir/store_root"
    fi
}

case "${1:-}" in
    install) install ;;
    start) start "${2:-}" ;;
    stop) stop "${2:-}" ;;
    kill-broker) kill_broker "${2:-}" ;;
    restart-broker) launch_broker "$(cd "${2:?usage: rocketmq.sh restart-broker DIR}" && pwd)" ;;
    bin-dir) echo "$BIN" ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
esac
