//! Every REST route of the seed (and the Kafka Connect extras) against a real worker process:
//! success shapes, error statuses, secret masking, and bad input that changes nothing.

#![allow(
    clippy::unwrap_used,
    reason = "a panic in a test is a failed assertion"
)]

use std::time::Duration;

use connect_tests::{WorkerProcess, encode, eventually, file_pipeline};
use serde_json::json;

const WORKER: &str = env!("CARGO_BIN_EXE_connect-test-worker");

fn names(response: &connect_tests::Response) -> Vec<String> {
    let mut names: Vec<String> = response
        .body()
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// Cluster info, plugins, plugin config and validation.
#[test]
fn cluster_and_plugin_routes() {
    let dir = tempfile::tempdir().unwrap();
    let worker = WorkerProcess::start(WORKER, dir.path(), &[], &[]);

    let info = worker.get("/getClusterInfo");
    assert_eq!(
        (info.status, info.json.clone()),
        (200, json!({"status": 200, "body": ["test-worker"]}))
    );
    assert!(
        info.text.starts_with(r#"{"status":200,"body""#),
        "envelope order as Java: {}",
        info.text
    );

    let plugins = worker.get("/plugin/list");
    let classes: Vec<&str> = plugins
        .body()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["className"].as_str().unwrap())
        .collect();
    for class in [
        "org.apache.rocketmq.connect.file.FileSourceConnector",
        "org.apache.rocketmq.connect.transforms.PatternRename$Value",
        "org.apache.rocketmq.connect.runtime.converter.record.json.JsonConverter",
    ] {
        assert!(classes.contains(&class), "{class}");
    }
    let connectors = worker.get("/plugin/list/connectors");
    assert!(
        connectors
            .body()
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["type"] == "SOURCE" || p["type"] == "SINK")
    );
    assert!(
        connectors
            .body()
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p.get("task").is_none())
    );
    assert_eq!(
        worker.get("/plugin/reload").body(),
        "Plugin reload succeeded"
    );

    let config = worker.get("/plugin/config?className=FileSinkTask");
    assert_eq!(config.status, 200);
    assert!(
        config.body()["configs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["name"] == "filename" && k["required"] == true)
    );
    assert_eq!(worker.get("/plugin/config").status, 400);
    assert_eq!(
        worker
            .get("/plugin/config?className=com.example.Nope")
            .status,
        404
    );

    // Validation: per-key errors, and nothing is created.
    let bad = json!({"connector.class": "FileSourceConnector", "connector.direct.enable": "true",
        "source.task.class": "FileSourceTask", "sink.task.class": "FileSinkTask", "max.tasks": "many"});
    let validated = worker.get(&format!(
        "/plugin/config/validate?config={}",
        encode(&bad.to_string())
    ));
    assert_eq!(validated.status, 200);
    let keys: Vec<&str> = validated.body()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap())
        .collect();
    assert!(
        keys.contains(&"max.tasks") && keys.contains(&"filename"),
        "{keys:?}"
    );
    assert_eq!(validated.body()["errorCount"], keys.len());
    let good = file_pipeline(&dir.path().join("in"), &dir.path().join("out"));
    let ok = worker.post("/plugin/config/validate", &good.to_string());
    assert_eq!(ok.body()["errorCount"], 0, "{}", ok.text);
    assert_eq!(worker.post("/plugin/config/validate", "{nope").status, 400);
    assert!(
        worker
            .get("/connectors")
            .body()
            .as_array()
            .unwrap()
            .is_empty()
    );

    assert_eq!(worker.get("/health").body()["status"], "UP");
    assert_eq!(worker.get("/no/such/route").status, 404);
}

/// Create (three ways), read (config, status, tasks, task status, list), update, pause,
/// resume, restart, offsets, allocation, delete — and the error for each on a missing name.
#[test]
fn connector_routes() {
    let dir = tempfile::tempdir().unwrap();
    let worker = WorkerProcess::start(WORKER, dir.path(), &[], &[]);
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "x\ny\n").unwrap();
    let config = |n: &str| file_pipeline(&input, &dir.path().join(format!("out-{n}.txt")));

    // The seed's GET form with ?config=.
    let created = worker.get(&format!(
        "/connectors/seed-get?config={}",
        encode(&config("a").to_string())
    ));
    assert_eq!(created.status, 200, "{}", created.text);
    assert_eq!(created.body()["name"], "seed-get");
    // POST with the config as body; repeating it is idempotent.
    assert_eq!(
        worker
            .post("/connectors/posted", &config("b").to_string())
            .status,
        200
    );
    assert_eq!(
        worker
            .post("/connectors/posted", &config("b").to_string())
            .status,
        200
    );
    // Kafka style: 201 Created, then 409 for the same name.
    let kafka = json!({"name": "kafka-style", "config": config("c")});
    assert_eq!(worker.post("/connectors", &kafka.to_string()).status, 201);
    assert_eq!(worker.post("/connectors", &kafka.to_string()).status, 409);

    worker.wait_state("posted", "RUNNING");
    let cfg = worker.get("/connectors/posted/config");
    assert_eq!(cfg.body()["name"], "posted");
    assert_eq!(cfg.body()["type"], "SOURCE");
    assert_eq!(
        cfg.body()["tasks"],
        json!([{"connector": "posted", "task": 0}])
    );
    let status = worker.get("/connectors/posted/status");
    assert_eq!(status.body()["connector"]["workerId"], "test-worker");
    assert_eq!(status.body()["tasks"][0]["id"], 0);
    let tasks = worker.get("/connectors/posted/tasks");
    assert_eq!(
        tasks.body()[0]["id"],
        json!({"connector": "posted", "task": 0})
    );
    assert_eq!(tasks.body()[0]["config"]["task.id"], "0");
    assert_eq!(
        worker.get("/connectors/posted/tasks/0/status").body()["state"],
        "RUNNING"
    );
    assert_eq!(worker.get("/connectors/posted/tasks/7/status").status, 404);
    assert_eq!(worker.get("/connectors/posted/tasks/x/status").status, 400);

    let list = worker.get("/connectors/list");
    assert_eq!(names(&list), ["kafka-style", "posted", "seed-get"]);
    assert_eq!(list.body()["posted"]["info"]["name"], "posted");
    assert!(list.body()["posted"]["status"]["connector"]["state"].is_string());

    // Update through PUT (Kafka): a changed config reconfigures.
    let mut changed = config("b");
    changed["sink.filename"] = json!(dir.path().join("out-b2.txt").display().to_string());
    assert_eq!(
        worker
            .put("/connectors/posted/config", &changed.to_string())
            .status,
        200
    );
    eventually(
        "reconfigured sink writes the new file",
        Duration::from_secs(20),
        || std::fs::read_to_string(dir.path().join("out-b2.txt")).is_ok(),
    );

    assert_eq!(
        worker.get("/connectors/posted/pause").body(),
        "Connector [posted] paused successfully"
    );
    worker.wait_state("posted", "PAUSED");
    assert_eq!(
        worker.get("/connectors/posted/resume").body(),
        "Connector [posted] resumed successfully"
    );
    worker.wait_state("posted", "RUNNING");
    assert_eq!(
        worker.get("/connectors/pause/all").body(),
        "3 connectors are suspended"
    );
    worker.wait_state("seed-get", "PAUSED");
    assert_eq!(
        worker.get("/connectors/resume/all").body(),
        "3 connectors are resumed"
    );
    worker.wait_state("seed-get", "RUNNING");

    let restarted = worker.post(
        "/connectors/posted/restart?includeTasks=true&onlyFailed=false",
        "",
    );
    assert_eq!(restarted.status, 200, "{}", restarted.text);
    assert_eq!(
        worker
            .post("/connectors/posted/restart?includeTasks=maybe", "")
            .status,
        400
    );
    assert_eq!(
        worker.post("/connectors/posted/tasks/0/restart", "").status,
        200
    );
    worker.wait_state("posted", "RUNNING");

    eventually("offsets committed", Duration::from_secs(20), || {
        worker.get("/connectors/seed-get/offsets").body()["offsets"][0]["offset"]["nextPosition"]
            == 4
    });
    let allocated = worker.get("/allocated/connectors");
    assert_eq!(names(&allocated), ["kafka-style", "posted", "seed-get"]);
    eventually(
        "three running tasks in /allocated/tasks",
        Duration::from_secs(20),
        || {
            worker.get("/allocated/tasks").body()["runningTasks"]
                .as_array()
                .is_some_and(|t| t.len() == 3)
        },
    );

    // Delete: the seed's GET …/stop, and Kafka's DELETE.
    assert_eq!(
        worker.get("/connectors/seed-get/stop").body(),
        "Connector [seed-get] deleted successfully"
    );
    assert_eq!(worker.get("/connectors/seed-get/stop").status, 404);
    assert_eq!(worker.delete("/connectors/kafka-style").status, 200);
    assert_eq!(
        worker.get("/connectors/stop/all").body(),
        "[posted] connectors are deleted"
    );
    assert_eq!(
        worker.get("/connectors/stop/all").body(),
        "No connector needs to be deleted, please add connector first"
    );
    assert_eq!(
        worker.get("/connectors/pause/all").body(),
        "No connector needs to be paused, please add connector first"
    );

    for route in [
        "/connectors/gone/config",
        "/connectors/gone/status",
        "/connectors/gone/tasks",
        "/connectors/gone/pause",
        "/connectors/gone/resume",
        "/connectors/gone/offsets",
        "/connectors/gone/tasks/0/status",
    ] {
        let response = worker.get(route);
        assert_eq!(response.status, 404, "{route}");
        assert_eq!(response.json["errorCode"], 404, "{route}");
        assert_eq!(
            response.json["message"], "Connector [gone] does not exist",
            "{route}"
        );
    }
    assert_eq!(worker.post("/connectors/gone/restart", "").status, 404);
}

/// Bad input: clear 400s naming the problem, and nothing changes.
#[test]
fn bad_requests_are_rejected_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let worker = WorkerProcess::start(WORKER, dir.path(), &[], &[]);
    let good = file_pipeline(&dir.path().join("in.txt"), &dir.path().join("out.txt"));
    assert_eq!(
        worker.post("/connectors/keep", &good.to_string()).status,
        200
    );
    // Wait until the task configurations are stored: the info is then stable.
    worker.wait_state("keep", "RUNNING");
    let before = worker.get("/connectors/keep/config").json;

    let cases: Vec<(String, &str)> = vec![
        ("{not json".to_owned(), "not valid JSON"),
        ("[1, 2]".to_owned(), "not an array"),
        (String::new(), "is required"),
        (
            json!({"connector.class": "com.example.NoSuchConnector"}).to_string(),
            "connector.class",
        ),
        (json!({"max.tasks": "1"}).to_string(), "connector.class"),
        (
            {
                let mut c = good.clone();
                c["max.tasks"] = json!("lots");
                c.to_string()
            },
            "max.tasks",
        ),
        (
            {
                let mut c = good.clone();
                c.as_object_mut().unwrap().remove("sink.filename");
                c.to_string()
            },
            "filename",
        ),
        (
            {
                let mut c = good.clone();
                c["errors.tolerance"] = json!("sometimes");
                c.to_string()
            },
            "errors.tolerance",
        ),
        (
            {
                let mut c = good.clone();
                c["transforms"] = json!("t");
                c["transforms.t.class"] = json!("Nope");
                c.to_string()
            },
            "transforms.t.class",
        ),
        (
            {
                let mut c = good.clone();
                c["source.filename"] = serde_json::Value::Null;
                c.to_string()
            },
            "'source.filename' is null",
        ),
    ];
    for (body, expected) in &cases {
        for target in ["/connectors/keep", "/connectors/other"] {
            let response = worker.post(target, body);
            assert_eq!(response.status, 400, "{body} → {}", response.text);
            assert_eq!(response.json["errorCode"], 400);
            assert!(
                response.text.contains(expected),
                "{body}: expected {expected:?} in {}",
                response.text
            );
        }
    }
    assert_eq!(
        worker.get("/connectors/keep/config").json,
        before,
        "a rejected update changed nothing"
    );
    assert_eq!(worker.get("/connectors").body(), &json!(["keep"]));
    assert_eq!(worker.get("/connectors/keep?config=").status, 400);
}

/// Secret values are masked in every response and log line.
#[test]
fn secrets_are_masked() {
    let dir = tempfile::tempdir().unwrap();
    let worker = WorkerProcess::start(WORKER, dir.path(), &[], &[]);
    let mut config = file_pipeline(&dir.path().join("in.txt"), &dir.path().join("out.txt"));
    config["connection.password"] = json!("hunter2-secret-value");
    config["aws.secret.key"] = json!("hunter2-secret-value");
    let created = worker.post("/connectors/secretive", &config.to_string());
    assert_eq!(created.status, 200, "{}", created.text);
    worker.wait_state("secretive", "RUNNING");
    for route in [
        "/connectors/secretive/config",
        "/connectors/secretive/tasks",
        "/connectors/list",
        "/allocated/connectors",
        "/allocated/tasks",
    ] {
        let response = worker.get(route);
        assert!(
            !response.text.contains("hunter2"),
            "{route} leaks: {}",
            response.text
        );
        assert!(
            response.text.contains("********"),
            "{route}: {}",
            response.text
        );
    }
    config["max.tasks"] = json!("zero");
    let rejected = worker.post("/connectors/secretive", &config.to_string());
    assert!(!rejected.text.contains("hunter2"));
    assert!(
        !worker.log_text().contains("hunter2"),
        "the log leaks the secret"
    );
}

/// A connector literally named `list` (or `stop`, `pause`) works.
#[test]
fn reserved_looking_names_work() {
    let dir = tempfile::tempdir().unwrap();
    let worker = WorkerProcess::start(WORKER, dir.path(), &[], &[]);
    let config = file_pipeline(&dir.path().join("in.txt"), &dir.path().join("out.txt"));
    assert_eq!(
        worker.post("/connectors/list", &config.to_string()).status,
        200
    );
    let via_get = worker.get(&format!(
        "/connectors/stop?config={}",
        encode(&config.to_string())
    ));
    assert_eq!(via_get.status, 200, "{}", via_get.text);
    worker.wait_state("list", "RUNNING");
    assert_eq!(worker.get("/connectors/list/config").body()["name"], "list");
    assert_eq!(names(&worker.get("/connectors/list")), ["list", "stop"]);
    assert_eq!(
        worker.get("/connectors/list/pause").body(),
        "Connector [list] paused successfully"
    );
    worker.wait_state("list", "PAUSED");
    assert_eq!(
        worker.get("/connectors/stop/stop").body(),
        "Connector [stop] deleted successfully"
    );
    assert_eq!(worker.delete("/connectors/list").status, 200);
}
