#!/usr/bin/env bash
# The whole test suite: unit, property and integration tests of every crate. Integration tests
# start real processes on loopback, including a RocketMQ name server and broker and MariaDB and
# PostgreSQL servers, a Prometheus server, a REST fuzzer (schemathesis), Kafka Connect client
# libraries, headless Chromium with Selenium, and tmux: the first run on a machine installs them
# (about 20 minutes on 2 cores for the broker, under a minute for the rest; later runs skip it).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/rocketmq.sh install
./scripts/databases.sh install
# A real Prometheus server and promtool (Debian's package), once per machine: the metrics
# tests scrape the worker with it. Its own service must not start.
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
    echo "installing prometheus (once per machine)"
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus >/dev/null ||
        { apt-get update -q >/dev/null &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus >/dev/null; }
fi
# Chromium and its driver (Debian's) and Selenium: the dashboard's browser test, once per machine.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    echo "installing chromium and chromedriver (once per machine)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null ||
        { apt-get update -q >/dev/null &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null; }
fi
if ! python3 -c "import selenium" 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check "selenium==4.51.0"
fi
# tmux drives `ctl top` in a real terminal (tests/tests/rest_api.rs).
if ! command -v tmux >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends tmux >/dev/null ||
        { apt-get update -q >/dev/null &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends tmux >/dev/null; }
fi
# The REST fuzzer and two Kafka Connect client libraries (tests/tests/rest_api.rs), once per
# machine.
if ! schemathesis --version 2>/dev/null | grep -q "4.32.5"; then
    python3 -m pip install --quiet --disable-pip-version-check "schemathesis==4.32.5"
fi
if ! python3 -c "import kafka_connect, kafka_connect_api" 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check \
        "kafka-connect-py==1.0.0" "kafka-connect-api==0.5.10"
fi
cargo test --workspace --locked "$@"
