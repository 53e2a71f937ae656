//! `ctl top`: connectors and tasks with their rates, redrawn every interval (like `vector
//! top`). Rates are the growth of the worker's counters between two refreshes.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::client::Client;
use super::summary::{self, Totals};
use super::table;

/// Redraws until `q` + Enter (or Ctrl-C, or stdin closing while interactive).
pub fn run(client: &Client, interval: Duration) -> Result<(), String> {
    let (quit_tx, quit) = mpsc::channel::<()>();
    // Kept here so the channel never disconnects: when stdin is not a terminal and the reader
    // ends without `q`, each wait still lasts one interval.
    let _keep_open = quit_tx.clone();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            match line {
                Ok(line) if line.trim().eq_ignore_ascii_case("q") => break,
                Ok(_) => {}
                Err(_) => return,
            }
        }
        let _ = quit_tx.send(());
    });
    let mut previous: Option<(Instant, BTreeMap<String, Totals>)> = None;
    loop {
        let screen = match (client.get("/connectors/list"), client.metrics_text()) {
            (Ok(details), Ok(metrics)) => {
                let now = Instant::now();
                let totals = summary::totals(&metrics);
                let screen = render(&details, &totals, previous.as_ref(), now, interval);
                previous = Some((now, totals));
                screen
            }
            (Err(e), _) | (_, Err(e)) => format!("cannot reach the worker: {e}\n"),
        };
        let mut out = std::io::stdout().lock();
        // Home and clear, then the frame: no flicker of a half-drawn screen.
        let _ = write!(out, "\x1b[H\x1b[2J{screen}");
        let _ = out.flush();
        drop(out);
        if quit.recv_timeout(interval).is_ok() {
            return Ok(());
        }
    }
}

fn render(
    details: &serde_json::Value,
    totals: &BTreeMap<String, Totals>,
    previous: Option<&(Instant, BTreeMap<String, Totals>)>,
    now: Instant,
    interval: Duration,
) -> String {
    let per_second = |name: &str, pick: fn(&Totals) -> f64| -> String {
        let Some((then, before)) = previous else {
            return "-".to_owned();
        };
        let seconds = now.duration_since(*then).as_secs_f64();
        let (Some(current), Some(before)) = (totals.get(name), before.get(name)) else {
            return "0.0".to_owned();
        };
        if seconds <= 0.0 {
            return "-".to_owned();
        }
        format!("{:.1}", ((pick(current) - pick(before)) / seconds).max(0.0))
    };
    let rows: Vec<Vec<String>> = summary::rows(details)
        .into_iter()
        .map(|r| {
            let total = totals.get(&r.name).copied().unwrap_or_default();
            vec![
                per_second(&r.name, |t| t.records_in),
                per_second(&r.name, |t| t.records_out),
                per_second(&r.name, |t| t.errors),
                format!("{}", total.dead_letters),
                format!("{}", total.lag),
                r.worker,
            ]
            .into_iter()
            .fold(
                vec![
                    r.name.clone(),
                    r.kind,
                    r.state,
                    format!("{}/{}", r.running, r.tasks),
                ],
                |mut row, cell| {
                    row.push(cell);
                    row
                },
            )
        })
        .collect();
    let mut screen = format!(
        "rocketmq-connect top: {} connectors, refreshed every {:.1} s; q + Enter or Ctrl-C quits\n\n",
        rows.len(),
        interval.as_secs_f64()
    );
    screen.push_str(&table::render(
        &[
            "CONNECTOR",
            "TYPE",
            "STATE",
            "TASKS",
            "IN/S",
            "OUT/S",
            "ERR/S",
            "DLQ",
            "LAG",
            "WORKER",
        ],
        &rows,
    ));
    screen
}
