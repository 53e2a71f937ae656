//! A real Prometheus server on loopback (Debian's `prometheus` package, installed by
//! `scripts/test.sh`), scraping a worker's `/metrics`, queried through its HTTP API.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{eventually, http};

/// A Prometheus server that scrapes one target every 250 ms; killed on drop.
#[derive(Debug)]
pub struct Prometheus {
    child: Child,
    pub base: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Prometheus {
    /// Starts Prometheus with its data under `dir`, scraping `http://<target>/metrics`.
    pub fn start(dir: &Path, target: &str) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 250ms\n  scrape_timeout: 200ms\n\
                 scrape_configs:\n  - job_name: connect\n    static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .unwrap();
        let port = free_port();
        let log = std::fs::File::create(dir.join("prometheus.log")).unwrap();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start prometheus (scripts/test.sh installs it)");
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        eventually("prometheus ready", Duration::from_secs(60), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
                && http(&server.base, "GET", "/-/ready", None).status == 200
        });
        server
    }

    /// The value of an instant query that yields one series; `None` when it yields none.
    pub fn value(&self, query: &str) -> Option<f64> {
        let response = http(
            &self.base,
            "GET",
            &format!("/api/v1/query?query={}", crate::encode(query)),
            None,
        );
        assert_eq!(response.status, 200, "{query}: {}", response.text);
        let result = response.json["data"]["result"].as_array()?.clone();
        assert!(result.len() <= 1, "{query}: several series: {result:?}");
        result.first()?["value"][1].as_str()?.parse().ok()
    }

    /// Waits until `query` yields `want`.
    pub fn wait_for(&self, query: &str, want: f64) {
        let mut last = None;
        eventually(
            &format!("{query} == {want}"),
            Duration::from_secs(60),
            || {
                last = self.value(query);
                last == Some(want)
            },
        );
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
