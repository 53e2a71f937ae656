#!/usr/bin/env bash
# MariaDB and PostgreSQL servers for tests, CI, benchmarks and local use — bound to 127.0.0.1
# only, on free ports, with a throwaway data directory. SQLite needs nothing (it is embedded).
#
#   scripts/databases.sh install               install the Debian packages once per machine
#                                              (a no-op when they are there)
#   scripts/databases.sh start mariadb|postgres DIR
#                                              start a fresh server with its data under DIR
#                                              (MariaDB with a ROW binlog for change data
#                                              capture; DB_BINLOG=off starts it without;
#                                              DB_SERVER_ID=N for a second server that
#                                              replicates from the first; PostgreSQL with
#                                              wal_level=logical for change data capture,
#                                              DB_WAL=replica starts it without, DB_PG_SLOTS=N
#                                              sets max_replication_slots, 10 by default);
#                                              writes DIR/env and prints DB_URL=<native URL>
#                                              (user `connect`, password `connect`, database
#                                              `connect`)
#   scripts/databases.sh stop DIR              stop it (fast shutdown)
#   scripts/databases.sh kill DIR              kill -9 it (failure injection)
#   scripts/databases.sh restart DIR           start it again on the same port and data
#
# Servers run as the `mysql` / `postgres` system users the packages create; run as root.
set -Eeuo pipefail

# A step that fails says which one, with the end of the server's log: a failure seen only in CI
# must be diagnosable from its output.
SERVER_DIR=
report_failure() {
    local status=$? line=$1 command=$2
    echo "scripts/databases.sh: line $line: '$command' failed with status $status" >&2
    if [[ -n "$SERVER_DIR" && -f "$SERVER_DIR/server.log" ]]; then
        echo "--- last lines of $SERVER_DIR/server.log ---" >&2
        tail -n 40 "$SERVER_DIR/server.log" >&2
    fi
}
trap 'report_failure "$LINENO" "$BASH_COMMAND"' ERR

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)

install() {
    local missing=()
    command -v mariadbd >/dev/null 2>&1 || [[ -x /usr/sbin/mariadbd ]] || missing+=(mariadb-server)
    [[ -n "$PG_BIN" && -x "$PG_BIN/initdb" ]] || missing+=(postgresql)
    if [[ ${#missing[@]} -eq 0 ]]; then
        echo "MariaDB and PostgreSQL already installed"
        return
    fi
    echo "installing ${missing[*]} (once per machine)"
    # The packages' own services must not start: we run servers by hand on loopback.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null ||
        { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for() { # description, command...
    local what=$1
    shift
    for _ in $(seq 1 600); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    echo "timed out waiting for $what" >&2
    return 1
}

mariadb_client() { mariadb --no-defaults --socket="$1/mysqld.sock" -uroot "${@:2}"; }

launch_mariadb() { # dir
    local dir=$1 port binlog=()
    port=$(cat "$dir/port")
    # Change data capture needs the binlog in ROW format with full images and column metadata.
    if [[ "$(cat "$dir/binlog" 2>/dev/null)" != off ]]; then
        # A replica logs what it applies (--log-slave-updates), so it can stand in for its
        # primary after a failover with the same GTIDs.
        binlog=(--server-id="$(cat "$dir/server_id")" --log-bin="$dir/data/binlog"
            --log-slave-updates --binlog-format=ROW
            --binlog-row-image=FULL --binlog-row-metadata=FULL --binlog-checksum=CRC32)
    fi
    (exec setsid /usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$dir/data" \
        --tmpdir="$dir/tmp" \
        "${binlog[@]}" \
        --socket="$dir/mysqld.sock" --pid-file="$dir/server.pid" --port="$port" \
        --bind-address=127.0.0.1 --skip-name-resolve --innodb-buffer-pool-size=128M \
        --innodb-flush-log-at-trx-commit=2 --max-connections=500 \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_bin) \
        >> "$dir/server.log" 2>&1 < /dev/null &
    wait_for "MariaDB on port $port" mariadb_client "$dir" -e 'SELECT 1'
}

launch_postgres() { # dir
    local dir=$1
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $(cat "$dir/port") -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300 \
            -c wal_level=$(cat "$dir/wal") -c max_wal_senders=10 -c max_replication_slots=$(cat "$dir/slots")" \
        start >/dev/null
}

start() { # kind, dir
    local kind=$1 dir=$2 port
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    SERVER_DIR=$dir
    port=$(free_port)
    echo "$port" > "$dir/port"
    echo "$kind" > "$dir/kind"
    case "$kind" in
    mariadb)
        echo "${DB_BINLOG:-on}" > "$dir/binlog"
        echo "${DB_SERVER_ID:-1}" > "$dir/server_id"
        # Each server has its own temporary directory: servers bootstrapping at once in the shared
        # /tmp remove each other's temporary tables ("Unknown table 'mysql.tmp_user_sys'").
        mkdir -p "$dir/data" "$dir/tmp"
        chown mysql:mysql "$dir" "$dir/data" "$dir/tmp"
        mariadb-install-db --no-defaults --user=mysql --datadir="$dir/data" --tmpdir="$dir/tmp" \
            --auth-root-authentication-method=socket >> "$dir/server.log" 2>&1
        launch_mariadb "$dir"
        mariadb_client "$dir" -e "CREATE USER 'connect'@'%' IDENTIFIED BY 'connect';
            GRANT ALL ON *.* TO 'connect'@'%' WITH GRANT OPTION; CREATE DATABASE connect;"
        echo "DB_URL=mysql://connect:connect@127.0.0.1:$port/connect" > "$dir/env"
        ;;
    postgres)
        echo "${DB_WAL:-logical}" > "$dir/wal"
        echo "${DB_PG_SLOTS:-10}" > "$dir/slots"
        echo connect > "$dir/pwfile"
        touch "$dir/server.log"
        chown postgres:postgres "$dir" "$dir/pwfile" "$dir/server.log"
        runuser -u postgres -- "$PG_BIN/initdb" -D "$dir/data" -U connect --pwfile="$dir/pwfile" \
            --auth-local=trust --auth-host=scram-sha-256 -E UTF8 >> "$dir/server.log" 2>&1
        launch_postgres "$dir"
        runuser -u postgres -- "$PG_BIN/psql" -h "$dir" -p "$port" -U connect -d postgres \
            -qc 'CREATE DATABASE connect' >/dev/null
        echo "DB_URL=postgres://connect:connect@127.0.0.1:$port/connect" > "$dir/env"
        ;;
    *)
        echo "unknown database kind '$kind' (expected mariadb or postgres)" >&2
        exit 2
        ;;
    esac
    cat "$dir/env"
}

server_pid() { cat "$1/server.pid" 2>/dev/null || head -1 "$1/data/postmaster.pid" 2>/dev/null; }

stop() { # dir
    local dir=$1 pid
    pid=$(server_pid "$dir" || true)
    case "$(cat "$dir/kind")" in
    mariadb) [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true ;;
    postgres) runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true ;;
    esac
    [[ -z "$pid" ]] || wait_for "the server to exit" sh -c "! kill -0 $pid"
}

kill9() { # dir
    local dir=$1 pid
    pid=$(server_pid "$dir")
    kill -9 "$pid"
    wait_for "the server to die" sh -c "! kill -0 $pid"
    if [[ "$(cat "$dir/kind")" == postgres ]]; then
        # Its backends outlive the postmaster briefly; the data directory is free once they go.
        pkill -9 -f -- "-D $dir/data" 2>/dev/null || true
    fi
}

restart() { # dir
    local dir=$1
    SERVER_DIR=$dir
    case "$(cat "$dir/kind")" in
    mariadb) launch_mariadb "$dir" ;;
    postgres) rm -f "$dir/data/postmaster.pid"; launch_postgres "$dir" ;;
    esac
}

case "${1:-}" in
install) install ;;
start) start "${2:?kind}" "${3:?dir}" ;;
stop) stop "${2:?dir}" ;;
kill) kill9 "${2:?dir}" ;;
restart) restart "${2:?dir}" ;;
*)
    sed -n '2,16p' "$0"
    exit 2
    ;;
esac
