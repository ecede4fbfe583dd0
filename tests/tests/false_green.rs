//! The false-green matrix, both sides, for every check each tool registers
//! (its `--list`, so a new check joins the matrix by being registered):
//!
//! - cannot look: the check says `skip`, with a reason, when the tool has
//!   nothing to look at — never `pass` — and such a run fails unless the user
//!   allows skips;
//! - broken: some broken world — a real PostgreSQL set up wrong, the recorded
//!   Kubernetes API serving a broken cluster, llm-sim told to break, captured
//!   cloud answers of a misconfigured account — draws `fail` from it; the few
//!   checks whose strongest verdict is by design not `fail` are named with why.

use std::collections::BTreeSet;
use std::time::Duration;

use navi_testkit::{Cmd, Output, TempDir};
use navikit::record::{CheckStatus, Record};

/// bare runs a tool with none of the variables that point it at a target.
fn bare(tool: &str, args: &[&str], home: &TempDir) -> Output {
    let mut cmd = Cmd::new(tool).args(args).env("HOME", home.path("home"));
    for k in [
        "DATABASE_URL",
        "PGHOST",
        "KUBECONFIG",
        "KUBERNETES_SERVICE_HOST",
        "STAGING_URL",
        "CLOUD_PROVIDER",
        "NAVI_START_CMD",
        "NAVI_START_HEALTH_URL",
        "ANTHROPIC_API_KEY",
        "OPENAI_API_KEY",
        "ANTHROPIC_BASE_URL",
    ] {
        cmd = cmd.env_remove(k);
    }
    cmd.run()
}

fn listed(tool: &str) -> BTreeSet<String> {
    let (program, sub) = tool.split_once(' ').map_or((tool, None), |(p, s)| (p, Some(s)));
    let out = Cmd::new(program).args(sub).arg("--list").run();
    out.assert_code(0);
    out.stdout.lines().filter_map(|l| l.split_whitespace().next().map(str::to_string)).collect()
}

#[test]
fn every_registered_check_says_skip_when_it_cannot_look() {
    let home = TempDir::new("nohome");
    for tool in ["pg-check", "k8s-check", "http-check", "cloud-check"] {
        let names = listed(tool);
        assert!(names.len() >= 4, "{tool} lists {names:?}");
        let out = bare(tool, &[], &home);
        out.assert_code(1);
        let mut seen = BTreeSet::new();
        for r in out.records() {
            let Record::Check(c) = r else { panic!("{tool}: a non-check record") };
            assert_eq!(c.status, CheckStatus::Skip, "{tool} {}: {}", c.check, c.message);
            assert!(!c.message.is_empty(), "{tool} {}: a skip says why", c.check);
            seen.insert(c.check);
        }
        assert_eq!(seen, names, "{tool}: every registered check, and nothing else");
        bare(tool, &["--allow-skip"], &home).assert_code(0);
    }
    // The start-up test has no default service to start.
    let out = bare("http-check", &["startup"], &home);
    out.assert_code(1);
    let statuses: Vec<CheckStatus> = out.checks().values().map(|c| c.status).collect();
    assert_eq!(statuses, [CheckStatus::Skip, CheckStatus::Skip]);
}

#[test]
fn a_preflight_that_could_not_check_the_key_is_not_a_pass() {
    let home = TempDir::new("pre");
    let out = bare("llm-probe", &["preflight", "--base-url", "http://127.0.0.1:9"], &home);
    let m = out.checks();
    // No live call showed the target needs no key: a missing key fails, whatever the address.
    assert_eq!(m["llm.api_key.present"].status, CheckStatus::Fail, "{}", m["llm.api_key.present"].message);
    assert_eq!(m["llm.target.reachable"].status, CheckStatus::Fail);
    out.assert_code(1);
}

/// Drawn is, per check, every verdict the broken worlds drew from it.
type Drawn = std::collections::BTreeMap<String, BTreeSet<CheckStatus>>;

fn draw(into: &mut Drawn, out: &Output) {
    for r in out.records() {
        if let Record::Check(c) = r {
            into.entry(c.check).or_default().insert(c.status);
        }
    }
}

/// broken_side asserts that every registered check of `tool` fails in at
/// least one broken world — or draws the verdict `other` names for it, with
/// the reason its strongest verdict is not `fail` by design.
fn broken_side(tool: &str, seen: &Drawn, other: &[(&str, CheckStatus, &str)]) {
    let mut missing = Vec::new();
    for name in listed(tool) {
        let want = other.iter().find(|(n, ..)| *n == name).map_or(CheckStatus::Fail, |(_, s, _)| *s);
        let why = other.iter().find(|(n, ..)| *n == name).map_or("", |(.., why)| why);
        if !seen.get(&name).is_some_and(|s| s.contains(&want)) {
            missing.push(format!("{name}: drew {:?}, want {want:?} {why}", seen.get(&name)));
        }
    }
    assert!(missing.is_empty(), "{tool}: no broken world drew the verdict:\n{}", missing.join("\n"));
}

#[test]
fn every_k8s_check_fails_when_the_recorded_cluster_is_broken() {
    let mut seen = Drawn::new();
    let dir = navi_testkit::fixture("k8s");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let variant = entry.unwrap().path().file_stem().unwrap().to_string_lossy().to_string();
        let api = navi_testkit::K8sApi::start(&variant);
        draw(&mut seen, &api.cmd("k8s-check").run());
    }
    broken_side("k8s-check", &seen, &[]);
}

#[test]
fn every_cloud_check_fails_when_the_captured_cloud_is_broken() {
    let mut seen = Drawn::new();
    for (provider, dir) in [("aws", "cloud/aws-broken"), ("gcp", "cloud/gcp-broken")] {
        let out = Cmd::new("cloud-check")
            .args(["--provider", provider, "--from"])
            .arg(navi_testkit::fixture(dir))
            .args(["--db-host", "somewhere-else.example"])
            .run();
        draw(&mut seen, &out);
    }
    // A regional GKE cluster shrunk below its pools' bounds (3 zones × 2..5).
    let dir = TempDir::new("gke");
    std::fs::copy(navi_testkit::fixture("cloud/gcp-healthy/cloudsql.json"), dir.path("cloudsql.json")).expect("set-up");
    let gke = r#"{"currentNodeCount": 4, "locations": ["a", "b", "c"], "nodePools": [{"name": "p", "autoscaling": {"enabled": true, "minNodeCount": 2, "maxNodeCount": 5}}]}"#;
    std::fs::write(dir.path("gke.json"), gke).expect("set-up");
    draw(&mut seen, &Cmd::new("cloud-check").args(["--provider", "gcp", "--from"]).arg(dir.path("")).run());
    // A CLI that cannot answer is the tool unable to look, not a broken cloud.
    let out = Cmd::new("cloud-check").args(["--provider", "aws"]).env("PATH", "/nonexistent").run();
    draw(&mut seen, &out);
    broken_side(
        "cloud-check",
        &seen,
        &[
            ("cloud.cli.available", CheckStatus::Error, "the CLI is how the tool looks: without it, it cannot"),
            ("cloud.db.class", CheckStatus::Warn, "another instance class may be a deliberate choice"),
        ],
    );
}

#[test]
fn every_pg_check_fails_when_the_database_is_broken() {
    let pg = navi_testkit::pg();
    let mut seen = Drawn::new();
    let pg_check = |url: &str, args: &[&str]| {
        Cmd::new("pg-check")
            .args(args)
            .env("DATABASE_URL", url)
            .env_remove("DB_SSLMODE")
            .env_remove("PGSSLMODE")
            .env_remove("AUDIT_ENCRYPTION_KEY")
            .run()
    };
    // Nobody listening where the database should be.
    draw(&mut seen, &pg_check("postgresql://navi:x@127.0.0.1:9/navi", &[]));
    // A server without TLS, one migration behind, without a table the service
    // needs, keeping audit payloads in the clear, leaking a connection per run,
    // with a session parked in a transaction and one busy past the limit, and
    // a workload that wrote nothing.
    let url = pg.fresh_db(&pg.nossl_admin_url, "broken");
    navi_testkit::pg_client(&url)
        .batch_execute(
            "UPDATE alembic_version SET version_num = '0030_usage_limits';
             INSERT INTO audit_logs (actor, action, payload) VALUES ('navi', 'navi.chat', '{\"prompt\":\"in the clear\"}')",
        )
        .expect("set-up");
    let dir = TempDir::new("pgbroken");
    let tables = dir.path("tables");
    std::fs::write(&tables, "llm_metrics\ntelemetry_events\nnavi_sessions\n").expect("set-up");
    let before =
        ["--sslmode", "prefer", "--only", "pg.connections.database,pg.llm_metrics.rows,pg.telemetry_events.rows"];
    let mut history = String::new();
    let mut held = Vec::new();
    for _ in 0..3 {
        history.push_str(&pg_check(&url, &[&before[..], &["--allow-skip"]].concat()).stdout);
        held.push(navi_testkit::pg_client(&url));
    }
    std::fs::write(dir.path("history"), &history).expect("set-up");
    held.extend((0..3).map(|_| navi_testkit::pg_client(&url)));
    held[0].batch_execute("BEGIN; SELECT 1").expect("set-up");
    let busy_url = url.clone();
    let busy = std::thread::spawn(move || navi_testkit::pg_client(&busy_url).batch_execute("SELECT pg_sleep(4)"));
    std::thread::sleep(Duration::from_millis(1500));
    let (history, tables) = (dir.path("history"), tables.display().to_string());
    let out = pg_check(
        &url,
        &[
            "--sslmode",
            "prefer",
            "--tables-file",
            &tables,
            "--rows-baseline",
            &history.display().to_string(),
            "--history",
            &history.display().to_string(),
            "--idle-in-transaction",
            "1s",
            "--active-max",
            "1",
            "--headroom-warn-pct",
            "5",
        ],
    );
    busy.join().expect("thread").expect("pg_sleep");
    draw(&mut seen, &out);
    // Only PostgreSQL >= 15 runs here, and bringing the shared clusters to
    // 95 % of their connections would starve the other tests.
    let pinned = "the < 15 warn and the 95 % fail are pinned by unit tests in pg-check's checks.rs";
    broken_side(
        "pg-check",
        &seen,
        &[
            ("pg.server.version", CheckStatus::Pass, pinned),
            ("pg.connections.headroom", CheckStatus::Warn, pinned),
            (
                "pg.connections.database",
                CheckStatus::Warn,
                "a connection count outside the expected range is worth a look, not a verdict",
            ),
            (
                "pg.connections.idle_in_transaction",
                CheckStatus::Warn,
                "a parked session is a symptom; --strict fails it",
            ),
            (
                "pg.connections.trend",
                CheckStatus::Warn,
                "growth across runs is a suspicion of a leak; --strict fails it",
            ),
        ],
    );
}

#[test]
fn every_http_check_fails_when_the_service_is_broken() {
    let mut seen = Drawn::new();
    // /health answers 500, /metrics is not Prometheus text, the chat is slow.
    let sim = navi_testkit::Sim::start(&[
        "--speed",
        "0",
        "--break",
        "health,metrics",
        "--faults",
        "slow_first_token=100%",
        "--slow-first-token-ms",
        "1500",
    ]);
    draw(&mut seen, &Cmd::new("http-check").args(["--base-url", &sim.url, "--smoke-limit", "1s"]).run());
    // A working service nobody sends traffic to between two scrapes.
    let idle = navi_testkit::Sim::start(&["--speed", "0"]);
    let out = Cmd::new("http-check")
        .args(["--base-url", &idle.url, "--only", "http.metrics.increasing", "--interval", "200ms"])
        .run();
    draw(&mut seen, &out);
    broken_side(
        "http-check",
        &seen,
        &[("http.metrics.increasing", CheckStatus::Warn, "flat counters may be a quiet hour; --strict fails it")],
    );
    // Start-up: a service that ignores APP_ENV starts without the key, and one
    // that dies at once never becomes healthy with it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let health = format!("http://127.0.0.1:{port}/health");
    let sim = navi_testkit::bin_path("llm-sim");
    let lax = format!("env -u APP_ENV APP_ENV=development {} --listen 127.0.0.1:{port}", sim.display());
    for cmd in [lax.as_str(), "echo starting; exit 3"] {
        let out =
            Cmd::new("http-check").args(["startup", "--cmd", cmd, "--health-url", &health, "--timeout", "2s"]).run();
        draw(&mut seen, &out);
    }
    broken_side("http-check startup", &seen, &[]);
}

#[test]
fn every_preflight_check_fails_when_the_set_up_is_broken() {
    let mut seen = Drawn::new();
    let home = TempDir::new("prebroken");
    let scenarios = home.path("scenarios");
    std::fs::create_dir_all(&scenarios).expect("set-up");
    std::fs::copy(navi_testkit::workspace_root().join("scenarios/bug-fix.yaml"), scenarios.join("bug-fix.yaml"))
        .expect("set-up");
    // No key, a model without a price, one scenario, nobody listening.
    let scenarios = scenarios.display().to_string();
    let args = ["preflight", "--base-url", "http://127.0.0.1:9", "--model", "claude-unpriced-9", "--scenarios"];
    draw(&mut seen, &bare("llm-probe", &[&args[..], &[&scenarios]].concat(), &home));
    // A target that refuses the key it is given.
    let sim =
        navi_testkit::Sim::start_with_env(&["--speed", "0", "--require-key"], &[("SIM_API_KEY", "the-right-key")]);
    let out = Cmd::new("llm-probe")
        .args(["preflight", "--live", "--base-url", &sim.url])
        .env("ANTHROPIC_API_KEY", "a-wrong-key")
        .run();
    draw(&mut seen, &out);
    broken_side(
        "llm-probe preflight",
        &seen,
        &[("llm.scenarios.valid", CheckStatus::Warn, "fewer scenarios than the plan's 10 still measure something")],
    );
}

#[test]
fn every_registered_check_has_one_row_in_docs_checks_md() {
    let doc = std::fs::read_to_string(navi_testkit::workspace_root().join("docs/checks.md")).expect("docs/checks.md");
    let rows: Vec<&str> = doc.lines().filter_map(|l| l.strip_prefix("| `")?.split('`').next()).collect();
    let mut registered = BTreeSet::new();
    for tool in ["llm-probe preflight", "pg-check", "k8s-check", "http-check", "http-check startup", "cloud-check"] {
        registered.extend(listed(tool));
    }
    for name in &registered {
        let n = rows.iter().filter(|r| *r == name).count();
        assert_eq!(n, 1, "{name} has {n} rows in docs/checks.md");
    }
    let strays: Vec<&&str> = rows.iter().filter(|r| r.contains('.') && !registered.contains(**r)).collect();
    assert!(strays.is_empty(), "rows for checks no tool registers: {strays:?}");
}
