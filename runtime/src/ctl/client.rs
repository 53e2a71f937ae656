//! The worker's seed API as `ctl` uses it: requests with the context's credentials, and the
//! `{"status", "body"}` / `{"errorCode", "message"}` envelopes unwrapped into a body or an
//! error that says what the worker said.

use std::time::Duration;

use serde_json::Value;

use super::contexts::Target;

/// A connection to one worker.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    target: Target,
    runtime: tokio::runtime::Runtime,
}

impl Client {
    pub fn new(target: Target) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .danger_accept_invalid_certs(target.insecure)
            .build()
            .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the HTTP client's runtime: {e}"))?;
        Ok(Self {
            http,
            target,
            runtime,
        })
    }

    /// `method path` with an optional JSON body; the envelope's body, or the worker's error.
    pub fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, String> {
        let url = format!("{}{path}", self.target.url.trim_end_matches('/'));
        let mut request = self.http.request(method.clone(), &url);
        if let Some(user) = &self.target.user {
            request = request.basic_auth(user, self.target.password.as_deref());
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        self.runtime.block_on(async {
            let response = request
                .send()
                .await
                .map_err(|e| format!("{method} {url}: {e}"))?;
            let status = response.status();
            let text = response
                .text()
                .await
                .map_err(|e| format!("{method} {url}: {e}"))?;
            let json: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
            if status.is_success() {
                // The seed's envelope; anything else (the Prometheus text) as it came.
                Ok(match json {
                    Value::Object(mut o) if o.contains_key("status") && o.contains_key("body") => {
                        o.remove("body").unwrap_or(Value::Null)
                    }
                    other => other,
                })
            } else {
                let message = json
                    .get("message")
                    .and_then(Value::as_str)
                    .map_or_else(|| json.to_string(), str::to_owned);
                Err(format!("{method} {path}: {} {message}", status.as_u16()))
            }
        })
    }

    pub fn get(&self, path: &str) -> Result<Value, String> {
        self.call(reqwest::Method::GET, path, None)
    }

    /// The Prometheus text of `GET /metrics`.
    pub fn metrics_text(&self) -> Result<String, String> {
        match self.get("/metrics")? {
            Value::String(text) => Ok(text),
            other => Err(format!("GET /metrics: not Prometheus text: {other}")),
        }
    }
}

/// Percent-encodes a path segment (a connector name).
pub fn segment(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
