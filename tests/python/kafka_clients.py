"""Kafka Connect client libraries from PyPI, used unchanged against the worker's Kafka Connect
listener (`kafkaRestPort`). Run by tests/tests/rest_api.rs::kafka_connect_clients_work_unchanged:

    python3 kafka_clients.py KAFKA_CONNECT_URL WORK_DIR

WORK_DIR holds input.txt (lines the file source reads); the connectors write output files
there. Every step asserts; the first failure exits non-zero with its traceback.
"""

import json
import sys
import time
import urllib.parse

import requests
from kafka_connect import KafkaConnect  # kafka-connect-py
from kafka_connect_api.errors import GenericNotFound
from kafka_connect_api.kafka_connect_api import Api, Cluster, Connector  # kafka-connect-api

URL, WORK = sys.argv[1], sys.argv[2]
INPUT = f"{WORK}/input.txt"


def eventually(what, check, timeout=30.0):
    """Waits for `check()` to be true (polling, as a user of the API would)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except (KeyError, requests.RequestException, ValueError) as e:
            last = e
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def absent(connector):
    """kafka-connect-api's `exists()` raises on the 404 it tests for (as against Kafka Connect)."""
    try:
        return not connector.exists()
    except GenericNotFound:
        return True


def lines(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def pipeline(output):
    return {
        "connector.class": "org.apache.rocketmq.connect.file.FileSourceConnector",
        "connector.direct.enable": "true",
        "source.task.class": "org.apache.rocketmq.connect.file.FileSourceTask",
        "sink.task.class": "org.apache.rocketmq.connect.file.FileSinkTask",
        "source.filename": INPUT,
        "sink.filename": output,
        "file.poll.interval.ms": "10",
        "max.tasks": "1",
    }


expected = lines(INPUT)
assert expected, "the test writes input lines first"

# ---- kafka-connect-py: the KafkaConnect client class ------------------------------------
kc = KafkaConnect(url=URL)
info = kc.get_cluster_info()
assert info["version"].startswith("3."), info
assert "kafka_cluster_id" in info and "commit" in info, info
assert kc.list_connectors() == [], kc.list_connectors()

out_a = f"{WORK}/a.txt"
created = kc.create_connector({"name": "a", "config": pipeline(out_a)})
assert created["name"] == "a" and created["type"] == "source", created
assert created["config"]["name"] == "a", created
eventually("connector a running with one task", lambda: kc.get_connector_status("a")["tasks"][0]["state"] == "RUNNING")
status = kc.get_connector_status("a")
assert status["connector"]["state"] == "RUNNING", status
assert "worker_id" in status["connector"] and "worker_id" in status["tasks"][0], status
assert "trace" not in status["connector"], status
assert status["type"] == "source", status
eventually("a's output", lambda: lines(out_a) == expected)

# Listing, with every expand form the library offers.
assert kc.list_connectors() == ["a"]
by_status = kc.list_connectors(expand="status")
assert by_status["a"]["status"]["connector"]["state"] == "RUNNING", by_status
by_info = kc.list_connectors(expand="info")
assert by_info["a"]["info"]["config"]["sink.filename"] == out_a, by_info
assert kc.list_connectors(state="RUNNING") and not kc.list_connectors(state="PAUSED")
both = requests.get(f"{URL}/connectors?expand=status&expand=info").json()
assert set(both["a"]) == {"status", "info"}, both

# Get, edit, put back: the configuration as read is a valid configuration to write.
config = kc.get_connector_config("a")
assert config["name"] == "a" and config["source.filename"] == INPUT, config
config["file.poll.interval.ms"] = "20"
updated = kc.update_connector("a", config)
assert updated["config"]["file.poll.interval.ms"] == "20", updated
assert kc.get_connector("a")["config"]["file.poll.interval.ms"] == "20"

# A name that does not match the URL is refused, and changes nothing.
mismatch = requests.put(f"{URL}/connectors/a/config", json=dict(config, name="b"))
assert mismatch.status_code == 400, mismatch.text
assert mismatch.json()["error_code"] == 400 and "doesn't match" in mismatch.json()["message"]
assert kc.get_connector_config("a")["name"] == "a"

# Tasks and their status.
tasks = kc.list_connector_tasks("a")
assert tasks[0]["id"] == {"connector": "a", "task": 0}, tasks
eventually("task 0 running", lambda: kc.get_connector_task_status("a", 0)["state"] == "RUNNING")
assert kc.get_connector_task_status("a", 0)["id"] == 0

# Pause and resume: 202, and the states follow.
response = requests.put(f"{URL}/connectors/a/pause")
assert response.status_code == 202 and response.text == "", response
kc.pause_connector("a")
eventually("a paused", lambda: kc.get_connector_status("a")["connector"]["state"] == "PAUSED")
kc.resume_connector("a")
eventually("a running again", lambda: kc.get_connector_status("a")["connector"]["state"] == "RUNNING")

# Restarts: the connector alone is 204; with its tasks 202 and a status body.
response = requests.post(f"{URL}/connectors/a/restart")
assert response.status_code == 204, response
response = requests.post(f"{URL}/connectors/a/restart?includeTasks=true&onlyFailed=false")
assert response.status_code == 202 and response.json()["name"] == "a", response.text
kc.restart_connector("a", include_tasks=True)
kc.restart_connector_task("a", 0)
eventually("a running after restarts", lambda: kc.get_connector_status("a")["tasks"][0]["state"] == "RUNNING")

# Topics (direct mode: none), and their reset.
assert kc.list_connector_topics("a") == {"a": {"topics": []}}, kc.list_connector_topics("a")
kc.reset_connector_topics("a")

# Plugins and validation.
plugins = kc.list_connector_plugins()
classes = {p["class"]: p["type"] for p in plugins}
assert classes["org.apache.rocketmq.connect.file.FileSourceConnector"] == "source", classes
assert all(t in ("source", "sink") for t in classes.values()), classes
verdict = kc.validate_connector_config("org.apache.rocketmq.connect.file.FileSourceConnector", pipeline(out_a))
assert verdict["error_count"] == 0, verdict
bad = dict(pipeline(out_a), **{"file.poll.interval.ms": "soon"})
verdict = kc.validate_connector_config("FileSourceConnector", bad)
assert verdict["error_count"] >= 1, verdict
flagged = [c["value"] for c in verdict["configs"] if c["value"]["errors"]]
assert any(v["name"] == "file.poll.interval.ms" for v in flagged), flagged
keys = requests.get(f"{URL}/connector-plugins/FileSourceConnector/config").json()
assert any(k["name"] == "filename" and k["required"] for k in keys), keys
mismatch = requests.put(
    f"{URL}/connector-plugins/FileSinkConnector/config/validate", json=pipeline(out_a)
)
assert mismatch.status_code == 400 and "does not match" in mismatch.json()["message"], mismatch.text

# Errors: Kafka Connect's shape and statuses.
missing = requests.get(f"{URL}/connectors/nope")
assert missing.status_code == 404 and missing.json()["error_code"] == 404, missing.text
duplicate = requests.post(f"{URL}/connectors", json={"name": "a", "config": pipeline(out_a)})
assert duplicate.status_code == 409 and duplicate.json()["error_code"] == 409, duplicate.text

# ---- STOPPED and offsets (KIP-875) -------------------------------------------------------
early = requests.patch(f"{URL}/connectors/a/offsets", json={"offsets": []})
assert early.status_code == 400, early.text
kc.stop_connector("a")
eventually("a stopped", lambda: kc.get_connector_status("a")["connector"]["state"] == "STOPPED")
status = kc.get_connector_status("a")
assert status["tasks"] == [], status
assert kc.list_connector_tasks("a") == []
offsets = requests.get(f"{URL}/connectors/a/offsets").json()["offsets"]
assert len(offsets) == 1, offsets
partition = offsets[0]["partition"]
assert offsets[0]["offset"]["nextPosition"] > 0, offsets
# Rewind to the start: once resumed, the whole input is copied again.
rewound = dict(offsets[0]["offset"], nextPosition=0)
def patch_when_tasks_are_gone():
    # 409 while the stopped connector's task is still finishing its last commit here.
    response = requests.patch(
        f"{URL}/connectors/a/offsets",
        json={"offsets": [{"partition": partition, "offset": rewound}]},
    )
    assert response.status_code in (200, 409), response.text
    return response if response.status_code == 200 else None


altered = eventually("the offsets altered", patch_when_tasks_are_gone)
assert "altered" in altered.json()["message"], altered.text
assert requests.get(f"{URL}/connectors/a/offsets").json()["offsets"][0]["offset"] == rewound
kc.resume_connector("a")
eventually("a running after the stop", lambda: kc.get_connector_status("a")["tasks"][0]["state"] == "RUNNING")
eventually("the input copied a second time", lambda: lines(out_a) == expected + expected)
# Reset: forgotten altogether, and copied a third time.
kc.stop_connector("a")
eventually("a stopped again", lambda: kc.get_connector_status("a")["connector"]["state"] == "STOPPED")
def reset_when_tasks_are_gone():
    response = requests.delete(f"{URL}/connectors/a/offsets")
    assert response.status_code in (200, 409), response.text
    return response if response.status_code == 200 else None


reset = eventually("the offsets reset", reset_when_tasks_are_gone)
assert "reset" in reset.json()["message"], reset.text
assert requests.get(f"{URL}/connectors/a/offsets").json() == {"offsets": []}
kc.resume_connector("a")
eventually("the input copied a third time", lambda: lines(out_a) == expected * 3)

# ---- kafka-connect-api: the Cluster / Connector object model ---------------------------
parsed = urllib.parse.urlparse(URL)
cluster = Cluster(Api(hostname=parsed.hostname, port=parsed.port))
assert cluster.version.startswith("3.")
assert set(cluster.connectors) == {"a"}
b = Connector(cluster, "b")
assert absent(b)
out_b = f"{WORK}/b.txt"
b.config = pipeline(out_b)  # PUT /connectors/b/config creates it
assert b.exists()
eventually("b running", lambda: b.state == "RUNNING")
eventually("b's output", lambda: lines(out_b) == expected)
config = b.config
config["file.poll.interval.ms"] = "15"
b.config = config  # get-edit-put through the object model
assert b.config["file.poll.interval.ms"] == "15"
eventually("b's task running", lambda: b.tasks and b.tasks[0].is_running())
b.cycle_connector()  # pause, restart every task, resume
eventually("b running after a cycle", lambda: b.state == "RUNNING" and b.tasks[0].is_running())
b.restart()

# Log levels: listed, set, and read back.
loggers = cluster.loggers
assert "root" in loggers and loggers["root"]["level"] in ("INFO", "DEBUG", "WARN"), loggers
changed = cluster.set_logger_log_level("connect_actors", "DEBUG")
assert "connect_actors" in changed, changed
assert cluster.loggers["connect_actors"]["level"] == "DEBUG"
assert requests.get(f"{URL}/admin/loggers/connect_actors::worker").json()["level"] == "DEBUG"
cluster.root_logger = "WARN"
assert cluster.root_logger["level"] == "WARN"
assert cluster.loggers["connect_actors"]["level"] == "WARN"  # set below root: reset with it
cluster.root_logger = "INFO"
invalid = requests.put(f"{URL}/admin/loggers/root", json={"level": "LOUD"})
assert invalid.status_code == 400 and invalid.json()["error_code"] == 400, invalid.text

# ---- deleting ----------------------------------------------------------------------------
b.delete()
assert absent(b)
kc.delete_connector("a")
assert kc.list_connectors() == []
response = requests.delete(f"{URL}/connectors/a")
assert response.status_code == 404, response.text
print(json.dumps({"ok": True, "lines": len(expected)}))
