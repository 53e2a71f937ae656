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

// ---- Security (issue 13): each finding of the attack review, against a real worker ----

/// The file connectors read and write only under `allowedPaths`, never the store; a worker
/// without it refuses them, naming the key. Store files are 0600.
#[test]
fn file_connectors_are_confined_to_allowed_paths() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("in.txt"), "a\n").unwrap();
    std::os::unix::fs::symlink("/etc", data.join("etc")).unwrap();
    let allowed = format!("{},{}", data.display(), dir.path().join("store").display());
    let worker = WorkerProcess::start(
        WORKER,
        dir.path(),
        &[("allowedPaths", allowed.as_str())],
        &[],
    );
    let refused = |input: &str, output: &str| {
        let config = file_pipeline(std::path::Path::new(input), std::path::Path::new(output));
        let response = worker.post("/connectors/copy", &config.to_string());
        assert_eq!(
            response.status, 400,
            "{input} → {output}: {}",
            response.text
        );
        response.json["errors"].clone()
    };
    let out = data.join("out.txt");
    let shadow = refused("/etc/shadow", out.to_str().unwrap());
    assert_eq!(shadow[0]["key"], "source.filename", "{shadow}");
    assert!(
        shadow[0]["message"]
            .as_str()
            .unwrap()
            .contains("allowedPaths"),
        "{shadow}"
    );
    let through_link = refused(
        data.join("etc/hostname").to_str().unwrap(),
        out.to_str().unwrap(),
    );
    assert_eq!(through_link[0]["key"], "source.filename");
    let dotdot = format!("{}/../../../../etc/passwd", data.display());
    refused(&dotdot, out.to_str().unwrap());
    let store_file = dir.path().join("store/config/connectors.json");
    let into_store = refused(
        data.join("in.txt").to_str().unwrap(),
        store_file.to_str().unwrap(),
    );
    assert_eq!(into_store[0]["key"], "sink.filename", "{into_store}");
    assert!(
        into_store[0]["message"].as_str().unwrap().contains("store"),
        "{into_store}"
    );
    // A SQLite URL names a file too.
    let sqlite = worker.post(
        "/connectors/sqlite",
        &json!({"connector.class": "JdbcSinkConnector", "connect.topicnames": "t",
            "connection.url": "jdbc:sqlite:/etc/connect-evil.db"})
        .to_string(),
    );
    assert_eq!(sqlite.status, 400, "{}", sqlite.text);
    let url_error = sqlite.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == "connection.url")
        .cloned()
        .unwrap_or_else(|| panic!("no connection.url error: {}", sqlite.text));
    assert!(
        url_error["message"]
            .as_str()
            .unwrap()
            .contains("allowedPaths"),
        "{url_error}"
    );
    assert!(!std::path::Path::new("/etc/connect-evil.db").exists());
    // Inside the allowed directory it works, and the store stays private.
    let good = file_pipeline(&data.join("in.txt"), &out);
    assert_eq!(
        worker.post("/connectors/copy", &good.to_string()).status,
        200
    );
    eventually("the copy", Duration::from_secs(20), || {
        std::fs::read_to_string(&out).is_ok_and(|t| t == "a\n")
    });
    let mode = std::fs::metadata(&store_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "store file mode {mode:o}");

    // A worker without allowedPaths refuses file connectors, naming the key.
    let other = tempfile::tempdir().unwrap();
    let closed = WorkerProcess::start(WORKER, other.path(), &[("allowedPaths", "")], &[]);
    let response = closed.post("/connectors/copy", &good.to_string());
    assert_eq!(response.status, 400, "{}", response.text);
    assert!(response.text.contains("allowedPaths"), "{}", response.text);
}

/// Requests a browser makes for another site are refused; curl-style requests are not.
#[test]
fn cross_site_requests_are_refused_and_programmatic_ones_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let worker = WorkerProcess::start(
        WORKER,
        dir.path(),
        &[("httpAllowedOrigins", "https://ui.example")],
        &[],
    );
    let config = connect_tests::verifiable_pipeline(&[]).to_string();
    let call = |method: &str, target: &str, headers: &[(&str, &str)], body: Option<&str>| {
        connect_tests::http_with(&worker.base, method, target, headers, body)
    };
    // A page of another site: a text/plain "simple request" POST, a fetch, an <img> GET.
    let evil = call(
        "POST",
        "/connectors/x",
        &[
            ("Origin", "http://evil.example"),
            ("Content-Type", "text/plain"),
        ],
        Some(&config),
    );
    assert_eq!(evil.status, 403, "{}", evil.text);
    assert!(evil.text.contains("httpAllowedOrigins"), "{}", evil.text);
    let img = call(
        "GET",
        &format!("/connectors/x?config={}", encode(&config)),
        &[("Sec-Fetch-Site", "cross-site")],
        None,
    );
    assert_eq!(img.status, 403);
    let localhost_page = call(
        "GET",
        "/connectors/stop/all",
        &[("Sec-Fetch-Site", "same-site")],
        None,
    );
    assert_eq!(localhost_page.status, 403);
    // DNS rebinding: the worker on loopback answers only loopback host names.
    let rebound = call("GET", "/connectors", &[("Host", "evil.example:8082")], None);
    // … whatever forwarding headers the rebound page adds.
    for forwarded in [
        ("X-Forwarded-Host", "localhost"),
        ("Forwarded", "host=localhost"),
    ] {
        let disguised = call(
            "GET",
            "/connectors/stop/all",
            &[("Host", "evil.example:8082"), forwarded],
            None,
        );
        assert_eq!(disguised.status, 403, "{forwarded:?}: {}", disguised.text);
    }
    assert_eq!(rebound.status, 403, "{}", rebound.text);
    assert_eq!(
        worker.get("/connectors").body(),
        &json!([]),
        "nothing created"
    );
    // An allowed origin, the worker's own origin, a typed URL and curl all work.
    let own = worker.base.clone();
    assert_eq!(
        call(
            "GET",
            "/connectors",
            &[("Origin", "https://ui.example")],
            None
        )
        .status,
        200
    );
    assert_eq!(
        call("GET", "/connectors", &[("Origin", &own)], None).status,
        200
    );
    assert_eq!(
        call("GET", "/connectors", &[("Sec-Fetch-Site", "none")], None).status,
        200
    );
    let created = worker.get(&format!("/connectors/x?config={}", encode(&config)));
    assert_eq!(created.status, 200, "{}", created.text);
}

/// HTTP Basic on every route but /health, over HTTPS; no anonymous API off loopback.
#[test]
fn authentication_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users");
    let hash = bcrypt::hash("op-pass", 4).unwrap();
    std::fs::write(&users, format!("# operators\nop:{hash}\n")).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    let worker = WorkerProcess::start(
        WORKER,
        dir.path(),
        &[
            ("httpAuthUsersFile", users.to_str().unwrap()),
            ("httpTlsCertFile", cert.to_str().unwrap()),
            ("httpTlsKeyFile", key.to_str().unwrap()),
            ("kafkaRestPort", "0"),
        ],
        &[],
    );
    assert!(worker.base.starts_with("https://"), "{}", worker.base);
    let kafka = worker.kafka_base.clone().unwrap();
    assert!(kafka.starts_with("https://"), "{kafka}");
    let curl = |path: &str, credentials: Option<&str>| {
        let mut command = std::process::Command::new("curl");
        command
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert"])
            .arg(&cert)
            .arg(format!("{}{path}", worker.base));
        if let Some(credentials) = credentials {
            command.args(["-u", credentials]);
        }
        String::from_utf8(command.output().unwrap().stdout).unwrap()
    };
    assert_eq!(curl("/health", None), "200");
    assert_eq!(curl("/connectors", None), "401");
    assert_eq!(curl("/connectors", Some("op:wrong")), "401");
    assert_eq!(curl("/connectors", Some("op:op-pass")), "200");
    assert_eq!(curl("/connectors/stop/all", Some("nobody:op-pass")), "401");
    // The dashboard, its API description and the Kafka Connect listener are behind the same
    // authentication and TLS.
    for path in ["/ui/", "/ui/app.js", "/openapi.json", "/swagger-ui/"] {
        assert_eq!(curl(path, None), "401", "{path}");
        assert_eq!(curl(path, Some("op:op-pass")), "200", "{path}");
    }
    let kafka_curl = |credentials: Option<&str>| {
        let mut command = std::process::Command::new("curl");
        command
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert"])
            .arg(&cert)
            .arg(format!("{kafka}/connectors"));
        if let Some(credentials) = credentials {
            command.args(["-u", credentials]);
        }
        String::from_utf8(command.output().unwrap().stdout).unwrap()
    };
    assert_eq!(kafka_curl(None), "401");
    assert_eq!(kafka_curl(Some("op:op-pass")), "200");
    // Plain HTTP to the TLS port gets nothing useful.
    assert_ne!(
        std::process::Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
            .arg(worker.base.replace("https://", "http://") + "/connectors")
            .output()
            .unwrap()
            .stdout,
        b"200"
    );

    // A missing certificate stops startup naming the key.
    let broken = tempfile::tempdir().unwrap();
    std::fs::write(
        broken.path().join("worker.conf"),
        format!(
            "httpPort=0\nstorePathRootDir={}\nhttpTlsCertFile={}\nhttpTlsKeyFile={}\n",
            broken.path().join("store").display(),
            broken.path().join("missing.pem").display(),
            key.display()
        ),
    )
    .unwrap();
    let no_cert = std::process::Command::new(WORKER)
        .args(["standalone", "-c"])
        .arg(broken.path().join("worker.conf"))
        .output()
        .unwrap();
    assert!(!no_cert.status.success());
    let said = String::from_utf8_lossy(&no_cert.stderr);
    assert!(said.contains("httpTlsCertFile"), "{said}");

    // Off loopback without users the worker refuses to start, saying what to set.
    let open = tempfile::tempdir().unwrap();
    std::fs::write(
        open.path().join("worker.conf"),
        format!(
            "httpPort=0\nhttpBindAddress=0.0.0.0\nstorePathRootDir={}\n",
            open.path().join("store").display()
        ),
    )
    .unwrap();
    let refused = std::process::Command::new(WORKER)
        .args(["standalone", "-c"])
        .arg(open.path().join("worker.conf"))
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("httpAuthUsersFile") && said.contains("httpAllowAnonymous"),
        "{said}"
    );
}

/// Each limit is a 4xx naming the limit's worker key; protocol errors keep the envelope.
#[test]
fn limits_and_protocol_errors() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let worker = WorkerProcess::start(
        WORKER,
        dir.path(),
        &[
            ("maxConnectors", "2"),
            ("maxTasksPerConnector", "4"),
            ("maxConfigBytes", "4096"),
            ("httpMaxBodyBytes", "8192"),
            ("httpBodyReadTimeoutMs", "500"),
            ("testPluginsEnable", "false"),
        ],
        &[],
    );
    let pipeline = |extra: &[(&str, &str)]| connect_tests::verifiable_pipeline(extra).to_string();
    let big = pipeline(&[("padding", &"x".repeat(10_000))]);
    let too_big = worker.post("/connectors/big", &big);
    assert_eq!(too_big.status, 413, "{}", too_big.text);
    assert!(
        too_big.json["message"]
            .as_str()
            .unwrap()
            .contains("httpMaxBodyBytes")
    );
    let large = worker.post(
        "/connectors/big",
        &pipeline(&[("padding", &"x".repeat(5_000))]),
    );
    assert_eq!(large.status, 413, "{}", large.text);
    assert!(large.text.contains("maxConfigBytes"), "{}", large.text);
    let tasks = worker.post("/connectors/many", &pipeline(&[("max.tasks", "5")]));
    assert_eq!(tasks.status, 400);
    assert!(
        tasks.text.contains("maxTasksPerConnector"),
        "{}",
        tasks.text
    );
    let fault = worker.post("/connectors/fault", &pipeline(&[("panic.on.poll", "true")]));
    assert_eq!(fault.status, 400, "{}", fault.text);
    assert!(fault.text.contains("testPluginsEnable"), "{}", fault.text);
    for name in ["a", "b"] {
        assert_eq!(
            worker
                .post(&format!("/connectors/{name}"), &pipeline(&[]))
                .status,
            200
        );
    }
    let third = worker.post("/connectors/c", &pipeline(&[]));
    assert_eq!(third.status, 400);
    assert!(third.text.contains("maxConnectors"), "{}", third.text);

    // A body that never completes is cut off after httpBodyReadTimeoutMs.
    let authority = worker.base.trim_start_matches("http://").to_owned();
    let mut slow = std::net::TcpStream::connect(&authority).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        slow,
        "POST /connectors/slow HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"a\""
    )
    .unwrap();
    let mut answer = String::new();
    let _ = slow.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("httpBodyReadTimeoutMs"), "{answer}");

    // 405 with Allow; HEAD where GET is safe and not on the seed's state-changing GETs.
    let wrong = worker.delete("/connectors");
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.header("Allow").as_deref(), Some("GET, HEAD, POST"));
    assert_eq!(wrong.json["errorCode"], 405);
    let head = connect_tests::http(&worker.base, "HEAD", "/connectors/a/status", None);
    assert_eq!(head.status, 200);
    assert!(head.text.is_empty(), "{}", head.text);
    let head_stop = connect_tests::http(&worker.base, "HEAD", "/connectors/a/stop", None);
    assert_eq!(head_stop.status, 405);
    assert_eq!(
        worker.get("/connectors/a/status").status,
        200,
        "not deleted"
    );
    // The framework's own errors are enveloped; names are UTF-8.
    let bad_query = worker.post("/connectors/a/restart?includeTasks=maybe", "");
    assert_eq!(bad_query.status, 400);
    assert_eq!(bad_query.json["errorCode"], 400, "{}", bad_query.text);
    let latin1 = worker.post("/connectors/caf%E9", &pipeline(&[]));
    assert_eq!(latin1.status, 400, "{}", latin1.text);
    assert!(latin1.text.contains("UTF-8"), "{}", latin1.text);
}

/// A JDBC connector's config read and written back keeps its real password (it still
/// connects); a `${file:…}` password is resolved for the task and never shown.
#[test]
fn secrets_survive_write_back_and_provider_values_never_leak() {
    use connect_tests::db::{Database, DbKind};
    let dir = tempfile::tempdir().unwrap();
    let db = Database::start(DbKind::Postgres, &dir.path().join("pg"));
    db.execute("CREATE TABLE items (id INT PRIMARY KEY, name TEXT)");
    db.execute("INSERT INTO items VALUES (1, 'one')");
    db.execute("CREATE USER app PASSWORD 'Pg-s3cret-42'");
    db.execute("GRANT SELECT ON items TO app");
    let secrets = dir.path().join("secrets.properties");
    std::fs::write(&secrets, "db.password=Pg-s3cret-42\n").unwrap();
    let worker = WorkerProcess::start(WORKER, dir.path(), &[("configProviders", "file")], &[]);
    let out = dir.path().join("out.txt");
    let connector = |password: &str, interval: &str| {
        json!({
            "connector.class": "org.apache.rocketmq.connect.jdbc.connector.JdbcSourceConnector",
            "connector.direct.enable": "true",
            "source.task.class": "JdbcSourceTask",
            "sink.task.class": "org.apache.rocketmq.connect.file.FileSinkTask",
            "sink.filename": out.display().to_string(),
            "connection.url": db.jdbc_url(),
            "connection.user": "app",
            "connection.password": password,
            "table.whitelist": "items",
            "mode": "bulk",
            "poll.interval.ms": interval,
        })
    };
    let direct = worker.post(
        "/connectors/pg",
        &connector("Pg-s3cret-42", "500").to_string(),
    );
    assert_eq!(direct.status, 200, "{}", direct.text);
    worker.wait_state("pg", "RUNNING");
    let shown = worker.get("/connectors/pg/config");
    assert_eq!(shown.body()["config"]["connection.password"], "********");
    // Written back as read, with one change: validation and the task use the real password.
    let mut edited = shown.body()["config"].clone();
    edited["poll.interval.ms"] = json!("600");
    let put = worker.put("/connectors/pg/config", &edited.to_string());
    assert_eq!(put.status, 200, "{}", put.text);
    worker.wait_state("pg", "RUNNING");
    let stored = std::fs::read_to_string(dir.path().join("store/config/connectors.json")).unwrap();
    assert!(
        stored.contains("Pg-s3cret-42") && !stored.contains("********"),
        "{stored}"
    );

    // A provider reference: stored and shown as written, resolved only for the task.
    let reference = format!("${{file:{}:db.password}}", secrets.display());
    let via_file = worker.post(
        "/connectors/pg-file",
        &connector(&reference, "500").to_string(),
    );
    assert_eq!(via_file.status, 200, "{}", via_file.text);
    worker.wait_state("pg-file", "RUNNING");
    for target in [
        "/connectors/pg-file",
        "/connectors/pg-file/config",
        "/connectors/pg-file/status",
        "/connectors/pg-file/tasks",
        "/connectors/list",
    ] {
        let response = worker.get(target);
        assert!(
            !response.text.contains("Pg-s3cret-42"),
            "{target}: {}",
            response.text
        );
    }
    let validated = worker.put(
        "/plugin/config/validate",
        &connector(&reference, "500").to_string(),
    );
    assert!(
        !validated.text.contains("Pg-s3cret-42"),
        "{}",
        validated.text
    );
    assert!(!worker.log_text().contains("Pg-s3cret-42"), "the log leaks");
    // An error echoing a URL with credentials is masked.
    let mut leaky = connector("x", "500");
    leaky["connection.url"] = json!(format!("{}?password=Pg-s3cret-42", db.jdbc_url()));
    leaky["mode"] = json!("sometimes");
    let response = worker.post("/connectors/leaky", &leaky.to_string());
    assert_eq!(response.status, 400);
    assert!(!response.text.contains("Pg-s3cret-42"), "{}", response.text);
}

/// 50 rounds of concurrent task restarts (and connector restarts with tasks) end RUNNING.
#[test]
fn concurrent_restarts_end_with_the_true_status() {
    let dir = tempfile::tempdir().unwrap();
    let worker = WorkerProcess::start(WORKER, dir.path(), &[], &[]);
    let config = connect_tests::verifiable_pipeline(&[("throughput", "100")]);
    assert_eq!(
        worker.post("/connectors/r", &config.to_string()).status,
        200
    );
    worker.wait_state("r", "RUNNING");
    for round in 0..50 {
        let target = if round % 5 == 4 {
            "/connectors/r/restart?includeTasks=true"
        } else {
            "/connectors/r/tasks/0/restart"
        };
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let base = worker.base.clone();
                std::thread::spawn(move || connect_tests::http(&base, "POST", target, None).status)
            })
            .collect();
        for handle in handles {
            let status = handle.join().unwrap();
            assert!(status < 300, "round {round}: {status}");
        }
        worker.wait_state("r", "RUNNING");
    }
    // Each restart answers only after the instance it replaced has stopped and reported, so
    // a late UNASSIGNED (the bug: stuck there forever) would have made a round's wait time out.
}

/// The REST fuzzer (schemathesis) against both APIs, each driven by the description the
/// worker serves (`/openapi.json`, generated from the handlers): coverage, fuzzing and
/// stateful phases, 45 seconds per API, with zero server errors and zero responses that
/// disagree with the description (status codes, content types, body schemas).
#[test]
fn rest_fuzzing_finds_no_server_error_and_no_schema_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let mut worker = WorkerProcess::start(
        WORKER,
        dir.path(),
        &[
            ("testPluginsEnable", "false"),
            ("allowedPaths", ""),
            ("kafkaRestPort", "0"),
        ],
        &[],
    );
    let kafka = worker.kafka_base.clone().unwrap();
    for base in [worker.base.clone(), kafka] {
        let spec = connect_tests::http(&base, "GET", "/openapi.json", None);
        assert_eq!(spec.status, 200);
        assert!(
            spec.json["paths"].as_object().unwrap().len() >= 20,
            "{}",
            spec.text
        );
        let run = std::process::Command::new("schemathesis")
            .current_dir(dir.path())
            .arg("run")
            .arg(format!("{base}/openapi.json"))
            .args(["--url", &base])
            .args([
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            ])
            // One worker: with two, CPython 3.11's `ast.parse` (in Hypothesis, describing its
            // strategies) sometimes fails across threads, a tool error rather than a finding.
            .args(["--max-time", "45", "--workers", "1", "--no-color"])
            .args(["--generation-database", "none", "--seed", "13"])
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run schemathesis ({e}); scripts/test.sh installs it (pip install schemathesis==4.32.5)")
            });
        let report = String::from_utf8_lossy(&run.stdout);
        assert!(
            run.status.success(),
            "the fuzzer found failures at {base}:\n{report}"
        );
        let generated: u64 = report
            .lines()
            .find(|line| line.contains(" generated, "))
            .and_then(|line| line.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no test-case count in:\n{report}"));
        assert!(generated >= 1_500, "only {generated} requests:\n{report}");
        eprintln!("FIGURE rest_fuzz_requests={generated} at {base}");
    }
    // The worker is still up and answers; Swagger UI is served from the binary, on both
    // listeners.
    assert_eq!(worker.get("/health").status, 200);
    let swagger = worker.get("/swagger-ui/");
    assert_eq!(swagger.status, 200);
    assert!(swagger.text.contains("swagger"), "{}", swagger.text);
    let kafka = worker.kafka_base.clone().unwrap();
    let redirect = connect_tests::http(&kafka, "GET", "/swagger-ui/", None);
    assert_eq!(redirect.status, 302, "{}", redirect.head);
    let page = connect_tests::http(&kafka, "GET", "/swagger-ui/index.html", None);
    assert_eq!(page.status, 200);
    assert!(page.text.contains("swagger"), "{}", page.text);
    assert!(worker.terminate(Duration::from_secs(30)).success());
}

/// Two Kafka Connect client libraries from PyPI (kafka-connect-py, kafka-connect-api), used
/// unchanged against the Kafka Connect listener (`kafkaRestPort`): create, list with
/// `expand`, get-edit-put, pause/resume/restart, STOPPED with offsets altered and reset (the
/// input copied again each time), plugins and validation, log levels, delete
/// (`tests/python/kafka_clients.py` asserts each step). The seed's API on `httpPort` keeps
/// its envelope meanwhile.
#[test]
fn kafka_connect_clients_work_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let input: Vec<String> = (0..50).map(|i| format!("line {i}")).collect();
    std::fs::write(dir.path().join("input.txt"), input.join("\n") + "\n").unwrap();
    let mut worker = WorkerProcess::start(WORKER, dir.path(), &[("kafkaRestPort", "0")], &[]);
    let kafka = worker
        .kafka_base
        .clone()
        .expect("the Kafka Connect listener");
    assert_ne!(kafka, worker.base);
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("python/kafka_clients.py");
    let run = std::process::Command::new("python3")
        .arg(&script)
        .arg(&kafka)
        .arg(dir.path())
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3: {e}"));
    assert!(
        run.status.success(),
        "the Kafka Connect clients failed:\n{}\n{}\nworker warnings:\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr),
        worker.warnings()
    );
    // The seed's API, beside it, still answers in its envelope.
    let seed = worker.get("/connectors");
    assert_eq!(seed.status, 200);
    assert_eq!(seed.json["status"], 200, "{}", seed.text);
    // Kafka Connect's unknown routes answer in its error shape.
    let missing = connect_tests::http(&kafka, "GET", "/no/such/route", None);
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json["error_code"], 404, "{}", missing.text);
    assert!(worker.terminate(Duration::from_secs(30)).success());
}

/// `rocketmq-connect ctl` as an operator uses it: apply a file, tables and `-o json`,
/// describe, pause/resume/restart, offsets, plugins, contexts, errors; then `top` in a real
/// terminal (tmux): the connector's row appears with a live records-in rate while lines
/// arrive, and `q` quits it.
#[test]
fn ctl_manages_connectors_and_top_shows_them_live() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.txt");
    let output = dir.path().join("output.txt");
    std::fs::write(&input, "one\ntwo\nthree\n").unwrap();
    let mut worker = WorkerProcess::start(WORKER, dir.path(), &[], &[]);
    let contexts = dir.path().join("ctl.json");
    let ctl = |args: &[&str], with_url: bool| {
        let mut command = std::process::Command::new(WORKER);
        command.arg("ctl");
        if with_url {
            command.args(["--url", &worker.base]);
        }
        let run = command
            .args(args)
            .env("ROCKETMQ_CONNECT_CTL_CONFIG", &contexts)
            .env_remove("ROCKETMQ_CONNECT_URL")
            .output()
            .unwrap();
        (
            run.status.success(),
            String::from_utf8_lossy(&run.stdout).into_owned(),
            String::from_utf8_lossy(&run.stderr).into_owned(),
        )
    };
    let file = dir.path().join("a.json");
    let connector = json!({ "name": "a", "config": file_pipeline(&input, &output) });
    std::fs::write(&file, connector.to_string()).unwrap();
    let (ok, out, err) = ctl(&["apply", "-f", file.to_str().unwrap()], true);
    assert!(ok, "{err}");
    assert_eq!(out, "connector a applied\n");
    worker.eventually("the file copied", Duration::from_secs(30), || {
        std::fs::read_to_string(&output).unwrap_or_default() == "one\ntwo\nthree\n"
    });

    // The table for people, JSON for scripts.
    worker.eventually("a running with its task", Duration::from_secs(30), || {
        let (_, out, _) = ctl(&["get", "connectors"], true);
        out.lines().nth(1).is_some_and(|row| {
            let cells: Vec<&str> = row.split_whitespace().collect();
            cells[..4] == ["a", "source", "RUNNING", "1/1"]
        })
    });
    let (_, out, _) = ctl(&["get", "connectors"], true);
    let header: Vec<&str> = out.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "TYPE", "STATE", "TASKS", "WORKER"]);
    let (ok, out, _) = ctl(&["get", "connectors", "-o", "json"], true);
    assert!(ok);
    let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        parsed["a"]["status"]["connector"]["state"], "RUNNING",
        "{out}"
    );

    // Lifecycle.
    let (ok, out, err) = ctl(&["pause", "a"], true);
    assert!(ok && out == "connector a paused\n", "{out}{err}");
    worker.eventually("a paused", Duration::from_secs(30), || {
        worker.get("/connectors/a/status").body()["connector"]["state"] == "PAUSED"
    });
    let (_, out, _) = ctl(&["describe", "a"], true);
    assert!(out.contains("State:   PAUSED"), "{out}");
    assert!(
        out.contains(&format!("source.filename = {}", input.display())),
        "{out}"
    );
    assert!(ctl(&["resume", "a"], true).0);
    assert!(ctl(&["restart", "a", "--tasks"], true).0);
    assert!(ctl(&["restart", "a", "--task", "0"], true).0);
    worker.eventually("a running again", Duration::from_secs(30), || {
        worker.get("/connectors/a/status").body()["tasks"][0]["state"] == "RUNNING"
    });
    let (_, out, _) = ctl(&["get", "offsets", "a"], true);
    assert!(
        out.starts_with("PARTITION") && out.contains("nextPosition"),
        "{out}"
    );
    let (_, out, _) = ctl(&["get", "plugins"], true);
    assert!(
        out.contains("org.apache.rocketmq.connect.file.FileSourceConnector"),
        "{out}"
    );

    // Errors name what the worker said; nothing is printed on stdout.
    let (ok, out, err) = ctl(&["describe", "nope"], true);
    assert!(!ok && out.is_empty(), "{out}");
    assert!(err.contains("404"), "{err}");

    // A worker that is not there: a clear error naming the URL, a failing exit, no output.
    let mut unreachable = std::process::Command::new(WORKER)
        .args(["ctl", "--url", "http://127.0.0.1:1", "get", "connectors"])
        .env("ROCKETMQ_CONNECT_CTL_CONFIG", &contexts)
        .output()
        .unwrap();
    assert!(!unreachable.status.success());
    assert!(unreachable.stdout.is_empty());
    let said = String::from_utf8(std::mem::take(&mut unreachable.stderr)).unwrap();
    assert!(
        said.contains("http://127.0.0.1:1/connectors/list"),
        "{said}"
    );

    // Contexts: a named worker, then no --url needed.
    let (ok, _, err) = ctl(
        &["config", "set-context", "local", "--to-url", &worker.base],
        false,
    );
    assert!(ok, "{err}");
    let (_, out, _) = ctl(&["config", "get-contexts"], false);
    assert!(
        out.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["*", "local", &worker.base]),
        "{out}"
    );
    let (ok, out, err) = ctl(&["get", "connectors"], false);
    assert!(
        ok && out.lines().nth(1).is_some_and(|l| l.starts_with("a ")),
        "{out}{err}"
    );

    // `top` in a terminal.
    let session = format!("ctl-top-{}", std::process::id());
    let tmux = |args: &[&str]| {
        std::process::Command::new("tmux")
            .args(args)
            .output()
            .expect("tmux (scripts/test.sh installs it)")
    };
    let command = format!("{WORKER} ctl --url {} top --interval-ms 200", worker.base);
    let started = tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "160",
        "-y",
        "30",
        &command,
    ]);
    assert!(started.status.success(), "{started:?}");
    let mut appended = 0;
    let mut screen = String::new();
    let live = connect_tests::poll_until(Duration::from_secs(30), || {
        // Lines keep arriving, so the rate is not zero.
        appended += 1;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&input)
            .unwrap();
        std::io::Write::write_all(&mut f, format!("more {appended}\n").as_bytes()).unwrap();
        screen = String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", &session]).stdout)
            .into_owned();
        screen.lines().any(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            cells.len() >= 6
                && cells[..4] == ["a", "source", "RUNNING", "1/1"]
                && cells[4].parse::<f64>().is_ok_and(|rate| rate > 0.0)
        })
    });
    let quit_and_check = |screen: &str| {
        assert!(
            screen.contains("CONNECTOR") && screen.contains("IN/S"),
            "{screen}"
        );
    };
    if !live {
        tmux(&["kill-session", "-t", &session]);
        panic!("top never showed a live rate for a; the last screen:\n{screen}");
    }
    quit_and_check(&screen);
    tmux(&["send-keys", "-t", &session, "q", "Enter"]);
    let ended = connect_tests::poll_until(Duration::from_secs(10), || {
        !tmux(&["has-session", "-t", &session]).status.success()
    });
    if !ended {
        tmux(&["kill-session", "-t", &session]);
    }
    assert!(ended, "top did not quit on q");

    let (ok, out, _) = ctl(&["delete", "a"], false);
    assert!(ok && out == "connector a deleted\n", "{out}");
    let (_, out, _) = ctl(&["get", "connectors"], false);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(worker.terminate(Duration::from_secs(30)).success());
}

/// The dashboard in a real headless Chromium (`tests/python/dashboard.py`, Selenium with
/// Debian's chromedriver): it shows the connector the test made, its plot gains samples and
/// a records-in rate while lines arrive, and its Pause button pauses it. Under
/// authentication the page asks for credentials like every route; its files are compiled in
/// and carry a content security policy that allows only themselves.
#[test]
fn dashboard_in_a_real_browser() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.txt");
    let output = dir.path().join("output.txt");
    std::fs::write(&input, "first\n").unwrap();
    let mut worker = WorkerProcess::start(WORKER, dir.path(), &[], &[]);
    let created = worker.post("/connectors/a", &file_pipeline(&input, &output).to_string());
    assert_eq!(created.status, 200, "{}", created.text);
    let page = worker.get("/ui/");
    assert_eq!(page.status, 200);
    assert!(
        page.head
            .to_ascii_lowercase()
            .contains("content-security-policy: default-src 'self'"),
        "{}",
        page.head
    );
    assert_eq!(worker.get("/ui").status, 308);
    let screenshot = std::env::var_os("DASHBOARD_SCREENSHOT").map_or_else(
        || dir.path().join("dashboard.png"),
        std::path::PathBuf::from,
    );
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("python/dashboard.py");
    let run = std::process::Command::new("python3")
        .arg(&script)
        .arg(&worker.base)
        .arg(&input)
        .arg(&screenshot)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3: {e}"));
    assert!(
        run.status.success(),
        "the browser test failed:\n{}\n{}\nworker warnings:\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr),
        worker.warnings()
    );
    let png = std::fs::read(&screenshot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
    assert!(worker.terminate(Duration::from_secs(30)).success());
}
