//! Test support shared by every tool's integration tests and the
//! cross-tool pipeline tests: run a real binary of the workspace with
//! arguments, stdin and environment, and parse what it printed.
//!
//! Binaries are found beside the test executable (`target/<profile>/`);
//! `scripts/test.sh` builds them all first with `cargo build --bins`.

pub mod hostile;
pub mod prom;
pub mod synth;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use navikit::record::Record;

/// workspace_root is the repository's top directory.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// fixture is the path of a committed fixture under `tests/fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    workspace_root().join("tests/fixtures").join(rel)
}

/// bin_path finds a workspace binary next to the running test, or in
/// `NAVI_BIN_DIR` when that is set (to run the tests, or write a golden
/// fixture, with the binaries of another build).
pub fn bin_path(name: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("NAVI_BIN_DIR") {
        // Said every time: left set by mistake, it would test another build.
        eprintln!("navi-testkit: running {name} from NAVI_BIN_DIR={}", dir.to_string_lossy());
        return PathBuf::from(dir).join(name);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    let mut dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let path = dir.join(name);
    assert!(path.exists(), "{} is not built: run `cargo build --bins` first (scripts/test.sh does)", path.display());
    path
}

/// Cmd builds one run of a tool.
pub struct Cmd {
    cmd: Command,
    stdin: Option<Vec<u8>>,
}

/// Output is what a finished run left.
#[derive(Debug)]
pub struct Output {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Cmd {
    /// Cmd::new runs the workspace binary `name`.
    pub fn new(name: &str) -> Cmd {
        Cmd::program(bin_path(name))
    }

    /// Cmd::program runs any program.
    pub fn program(path: impl AsRef<std::ffi::OsStr>) -> Cmd {
        let mut cmd = Command::new(path);
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        Cmd { cmd, stdin: None }
    }

    /// Cmd::args adds arguments.
    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd.args(args);
        self
    }

    /// Cmd::arg adds one argument.
    pub fn arg(mut self, a: impl AsRef<std::ffi::OsStr>) -> Cmd {
        self.cmd.arg(a);
        self
    }

    /// Cmd::env sets an environment variable.
    pub fn env(mut self, k: &str, v: impl AsRef<std::ffi::OsStr>) -> Cmd {
        self.cmd.env(k, v);
        self
    }

    /// Cmd::env_remove unsets an environment variable.
    pub fn env_remove(mut self, k: &str) -> Cmd {
        self.cmd.env_remove(k);
        self
    }

    /// Cmd::stdin feeds bytes on standard input.
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Cmd {
        self.stdin = Some(bytes.into());
        self.cmd.stdin(Stdio::piped());
        self
    }

    /// Cmd::command gives access to the underlying command.
    pub fn command(&mut self) -> &mut Command {
        &mut self.cmd
    }

    /// Cmd::run runs to completion.
    pub fn run(mut self) -> Output {
        let mut child = self.cmd.spawn().expect("spawn");
        if let Some(bytes) = self.stdin.take() {
            let mut stdin = child.stdin.take().expect("stdin");
            std::thread::spawn(move || {
                let _ = stdin.write_all(&bytes);
            });
        }
        let out = child.wait_with_output().expect("wait");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Output {
    /// Output::records parses stdout as NDJSON records, failing the test on a bad line.
    pub fn records(&self) -> Vec<Record> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(i, l)| {
                navikit::ndjson::parse_record(l.as_bytes())
                    .unwrap_or_else(|e| panic!("stdout line {}: {e}: {l}", i + 1))
            })
            .collect()
    }

    /// Output::checks maps each check record of stdout by its check name
    /// (the last record wins for per-pod checks).
    pub fn checks(&self) -> std::collections::BTreeMap<String, navikit::record::Check> {
        self.records()
            .into_iter()
            .map(|r| match r {
                Record::Check(c) => (c.check.clone(), c),
                other => panic!("expected check records, got {}", other.kind()),
            })
            .collect()
    }

    /// Output::json parses every stdout line as a JSON value.
    pub fn json(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect()
    }

    /// Output::assert_code fails with both streams shown when the code differs.
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "exit code\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
}

/// TempDir is a directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// TempDir::new makes a fresh directory under the system temp dir.
    pub fn new(tag: &str) -> TempDir {
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let p = std::env::temp_dir().join(format!("navi-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).expect("mkdir");
        TempDir(p)
    }

    /// TempDir::path joins a name onto the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// spawn_listening starts a server that prints `listening on URL` on
/// stderr, waits for that line and keeps draining stderr afterwards.
pub fn spawn_listening(mut cmd: Command) -> (std::process::Child, String) {
    use std::io::BufRead;
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn server");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = std::io::BufReader::new(stderr).lines();
    let mut url = None;
    for line in lines.by_ref() {
        let line = line.unwrap_or_default();
        if let Some(rest) = line.split("listening on ").nth(1) {
            url = Some(rest.split_whitespace().next().unwrap_or_default().to_string());
            break;
        }
    }
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let url = url.unwrap_or_else(|| panic!("server did not start: {:?}", child.try_wait()));
    (child, url)
}

/// K8sApi is a running recorded Kubernetes API with a kubeconfig for it.
pub struct K8sApi {
    child: std::process::Child,
    dir: TempDir,
}

impl K8sApi {
    /// K8sApi::start serves `tests/fixtures/k8s/<variant>.json` over the healthy fixture.
    pub fn start(variant: &str) -> K8sApi {
        K8sApi::start_in(variant, &fixture("k8s"))
    }

    /// K8sApi::start_in serves `<dir>/<variant>.json` over `<dir>/healthy.json`.
    pub fn start_in(variant: &str, dir: &Path) -> K8sApi {
        let mut cmd = Command::new(bin_path("recorded-k8s-api"));
        cmd.arg("0").arg(variant).arg(dir);
        let (child, url) = spawn_listening(cmd);
        let dir = TempDir::new("kube");
        let config = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: recorded\n  cluster:\n    server: {url}\ncontexts:\n- name: recorded\n  context: {{cluster: recorded, user: recorded}}\ncurrent-context: recorded\nusers:\n- name: recorded\n  user: {{token: recorded-api-token}}\n"
        );
        std::fs::write(dir.path("kubeconfig"), config).expect("kubeconfig");
        K8sApi { child, dir }
    }

    /// K8sApi::kubeconfig is the path of the kubeconfig.
    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.path("kubeconfig")
    }

    /// K8sApi::cmd is a command with KUBECONFIG and a fresh KUBECACHEDIR set.
    pub fn cmd(&self, tool: &str) -> Cmd {
        Cmd::new(tool).env("KUBECONFIG", self.kubeconfig()).env("KUBECACHEDIR", self.dir.path("cache"))
    }
}

impl Drop for K8sApi {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sim is a running llm-sim on a free loopback port, stopped when dropped.
pub struct Sim {
    child: std::process::Child,
    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub url: String,
}

impl Sim {
    /// Sim::start runs llm-sim with extra arguments on port 0 and waits until it listens.
    pub fn start(args: &[&str]) -> Sim {
        Sim::start_with_env(args, &[])
    }

    /// Sim::start_with_env also sets environment variables.
    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Sim {
        let mut cmd = Command::new(bin_path("llm-sim"));
        cmd.args(["--listen", "127.0.0.1:0"]).args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let (child, url) = spawn_listening(cmd);
        Sim { child, url }
    }

    /// Sim::addr is `host:port` of the server.
    pub fn addr(&self) -> &str {
        self.url.trim_start_matches("http://")
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// promtool_accepts asserts that Prometheus' own `promtool check metrics`
/// (installed by scripts/setup-test-deps.sh) accepts exposition text, lint
/// included: what the textfile collector is given must scrape cleanly.
pub fn promtool_accepts(text: &str) {
    let out = Cmd::program("promtool").args(["check", "metrics"]).stdin(text.as_bytes().to_vec()).run();
    assert_eq!(out.code, 0, "promtool check metrics rejects it:\n{}{}\n---\n{text}", out.stdout, out.stderr);
}

/// python is the interpreter of the test venv (`NAVI_PYTHON`, set by
/// scripts/test.sh), where the official SDKs are installed.
pub fn python() -> String {
    std::env::var("NAVI_PYTHON").unwrap_or_else(|_| {
        let venv = workspace_root().join(".venv/bin/python");
        assert!(
            venv.exists(),
            "no Python venv with the SDKs: run scripts/test.sh (or scripts/setup-test-deps.sh) first"
        );
        venv.display().to_string()
    })
}

/// Pg is the throwaway PostgreSQL clusters scripts/test.sh started: one with
/// TLS (its certificate is `ca`), one without.
pub struct Pg {
    /// Superuser URL of the TLS cluster (password inline).
    pub admin_url: String,
    /// Superuser URL of the cluster without TLS.
    pub nossl_admin_url: String,
    /// The TLS cluster's certificate, usable as sslrootcert.
    pub ca: String,
}

/// pg reads the clusters from the environment scripts/test.sh sets.
pub fn pg() -> Pg {
    let var = |k: &str| {
        std::env::var(k).unwrap_or_else(|_| {
            panic!("{k} is not set: run the tests through scripts/test.sh, which starts PostgreSQL")
        })
    };
    Pg { admin_url: var("NAVI_PG_ADMIN_URL"), nossl_admin_url: var("NAVI_PG_NOSSL_ADMIN_URL"), ca: var("NAVI_PG_CA") }
}

/// with_db replaces the database of a URL.
pub fn with_db(url: &str, db: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

impl Pg {
    /// Pg::fresh_db creates a database with the stand-in NAVI schema and returns its URL (no sslmode).
    pub fn fresh_db(&self, admin_url: &str, tag: &str) -> String {
        let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let name = format!("t_{tag}_{}_{}", std::process::id(), n % 1_000_000_000);
        let mut admin = postgres::Client::connect(admin_url, postgres::NoTls).expect("admin connect");
        admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create database");
        let url = with_db(admin_url, &name);
        let schema = std::fs::read_to_string(workspace_root().join("docs/navi-schema.sql")).expect("schema");
        pg_client(&url).batch_execute(&schema).expect("load schema");
        url
    }
}

/// pg_client opens a plain connection for test set-up.
pub fn pg_client(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).expect("connect")
}
