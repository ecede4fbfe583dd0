//! A real Prometheus (Debian's `prometheus`) with node_exporter's textfile
//! collector, on loopback, for the alerting tests: it scrapes a service's
//! `/metrics` and the toolkit's `.prom` files every second and evaluates a
//! rules file, and its own `/api/v1/alerts` says what fired.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Cmd, TempDir};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// get fetches a URL with curl (installed by scripts/setup-test-deps.sh).
fn get(url: &str) -> Option<String> {
    let out = Cmd::program("curl").args(["-sf", "--max-time", "5", url]).run();
    (out.code == 0).then_some(out.stdout)
}

/// Prometheus is a running Prometheus and node_exporter, stopped when dropped.
pub struct Prometheus {
    children: Vec<Child>,
    /// Base URL of Prometheus, e.g. `http://127.0.0.1:40123`.
    pub url: String,
    dir: TempDir,
}

impl Prometheus {
    /// Prometheus::start evaluates `rules` every second over the service at
    /// `service` (`host:port`) and the textfiles under [`Prometheus::textfiles`].
    pub fn start(rules: &str, service: &str) -> Prometheus {
        let dir = TempDir::new("prometheus");
        std::fs::create_dir_all(dir.path("textfiles")).expect("textfile dir");
        std::fs::write(dir.path("rules.yaml"), rules).expect("rules");
        let exporter = free_port();
        let mut children = vec![
            Command::new("prometheus-node-exporter")
                .arg(format!("--web.listen-address=127.0.0.1:{exporter}"))
                .args(["--collector.disable-defaults", "--collector.textfile"])
                .arg(format!("--collector.textfile.directory={}", dir.path("textfiles").display()))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("prometheus-node-exporter (scripts/setup-test-deps.sh installs it)"),
        ];
        let config = format!(
            "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\nrule_files: [rules.yaml]\nscrape_configs:\n  - job_name: navi-backend\n    static_configs: [{{targets: ['{service}']}}]\n  - job_name: node\n    static_configs: [{{targets: ['127.0.0.1:{exporter}']}}]\n"
        );
        std::fs::write(dir.path("prometheus.yml"), config).expect("config");
        let port = free_port();
        children.push(
            Command::new("prometheus")
                .arg(format!("--config.file={}", dir.path("prometheus.yml").display()))
                .arg(format!("--storage.tsdb.path={}", dir.path("data").display()))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .arg("--log.level=warn")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("prometheus (scripts/setup-test-deps.sh installs it)"),
        );
        let p = Prometheus { children, url: format!("http://127.0.0.1:{port}"), dir };
        let deadline = Instant::now() + Duration::from_secs(30);
        while get(&format!("{}/-/ready", p.url)).is_none() {
            assert!(Instant::now() < deadline, "Prometheus did not become ready in 30 s");
            std::thread::sleep(Duration::from_millis(200));
        }
        p
    }

    /// Prometheus::textfiles is the directory node_exporter reads `.prom` files from.
    pub fn textfiles(&self) -> PathBuf {
        self.dir.path("textfiles")
    }

    /// Prometheus::alerts is every alert Prometheus holds: (name, state, labels).
    pub fn alerts(&self) -> Vec<(String, String, serde_json::Value)> {
        let Some(body) = get(&format!("{}/api/v1/alerts", self.url)) else { return Vec::new() };
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        v.pointer("/data/alerts")
            .and_then(|a| a.as_array())
            .map(|alerts| {
                alerts
                    .iter()
                    .map(|a| {
                        let name = a.pointer("/labels/alertname").and_then(|n| n.as_str()).unwrap_or_default();
                        let state = a.get("state").and_then(|s| s.as_str()).unwrap_or_default();
                        (name.to_string(), state.to_string(), a.get("labels").cloned().unwrap_or_default())
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Prometheus::wait_firing waits until every named alert is firing, or
    /// the time is up; it returns the names that fired.
    pub fn wait_firing(&self, names: &[&str], within: Duration) -> Vec<String> {
        let deadline = Instant::now() + within;
        loop {
            let firing: Vec<String> =
                self.alerts().into_iter().filter(|(_, s, _)| s == "firing").map(|(n, ..)| n).collect();
            if names.iter().all(|n| firing.iter().any(|f| f == n)) || Instant::now() >= deadline {
                return firing;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Prometheus::query runs an instant query and returns its result vector.
    pub fn query(&self, promql: &str) -> Vec<serde_json::Value> {
        let out = Cmd::program("curl")
            .args(["-sf", "--max-time", "5", "--data-urlencode"])
            .arg(format!("query={promql}"))
            .arg(format!("{}/api/v1/query", self.url))
            .run();
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_default();
        v.pointer("/data/result").and_then(|r| r.as_array()).cloned().unwrap_or_default()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
