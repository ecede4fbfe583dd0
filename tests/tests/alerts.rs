//! The alerting rules on a real Prometheus: the rules report-md generates
//! from the week's targets (time-compressed 60x, so an hour's window is a
//! minute), scraping llm-sim failing half its chats and the textfile a real
//! failing check wrote. The alerts the faults call for reach `firing` in
//! Prometheus' own API; the ones they do not call for stay quiet.

use std::time::Duration;

use navi_testkit::prom::Prometheus;
use navi_testkit::{Cmd, K8sApi, Sim, fixture, pg, workspace_root};

#[test]
fn injected_faults_fire_their_alerts_on_a_real_prometheus() {
    let sim = Sim::start(&["--speed", "0", "--faults", "500=50%", "--seed", "3"]);
    let mut rules = Cmd::new("report-md").args(["alert-rules", "--compress", "60", "--targets"]);
    rules = rules.arg(workspace_root().join("config/targets.txt"));
    let rules = rules.run();
    rules.assert_code(0);
    let prom = Prometheus::start(&rules.stdout, sim.addr());
    // A real database missing a table the service needs: a failing check, not a stand-in.
    let pg = pg();
    let url = pg.fresh_db(&pg.admin_url, "alerts");
    let tables = prom.textfiles().join("tables.txt");
    std::fs::write(&tables, "llm_metrics\nnavi_sessions\n").unwrap();
    let checks = Cmd::new("pg-check")
        .args(["--tables-file"])
        .arg(&tables)
        .env("DATABASE_URL", format!("{url}?sslmode=require"))
        .run();
    checks.assert_code(1);
    let checks_text = checks.stdout.clone();
    Cmd::new("report-md")
        .args(["prometheus", "-o"])
        .arg(prom.textfiles().join("navi_checks.prom"))
        .stdin(checks.stdout)
        .run()
        .assert_code(1);
    // Chat traffic, half of it failing: bounded to 25 s at 20 requests a second.
    let traffic = std::thread::spawn({
        let base = sim.url.clone();
        move || {
            Cmd::new("llm-probe")
                .args(["run", "--provider", "navi", "--base-url", &base, "--rate", "20", "--duration", "25s"])
                .args(["--retries", "0"])
                .run()
        }
    });
    let want = ["NaviChatErrorBudgetFastBurn", "NaviChatSuccessEscalation", "NaviCheckFailing"];
    let firing = prom.wait_firing(&want, Duration::from_secs(60));
    let probes = traffic.join().expect("traffic");
    assert!(probes.stdout.lines().count() >= 100, "the workload ran: {}", probes.stderr);
    for name in want {
        assert!(firing.iter().any(|f| f == name), "{name} is not firing; firing: {firing:?}");
    }
    // The failing check is named; fast answers raise no latency alert.
    let failing: Vec<String> = prom
        .alerts()
        .into_iter()
        .filter(|(n, s, _)| n == "NaviCheckFailing" && s == "firing")
        .map(|(.., labels)| labels["check"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(failing.iter().any(|c| c == "pg.tables.present"), "{failing:?}");
    for quiet in
        ["NaviChatLatencyAboveTarget", "NaviChatLatencyEscalation", "NaviLlmCallsFlat", "NaviServiceMetricsAbsent"]
    {
        assert!(!firing.iter().any(|f| f == quiet), "{quiet} fired on fast, counted answers: {firing:?}");
    }
    // The recorded error ratio is what llm-sim's faults made it.
    let ratio = prom.query("navi:chat_errors:ratio_rate1h");
    let v: f64 = ratio[0]["value"][1].as_str().unwrap().parse().unwrap();
    assert!((0.35..0.65).contains(&v), "error ratio {v} for 50 % faults");

    // The dashboards: every panel shows data from this Prometheus (every query,
    // here, where a failing run feeds the error-class panel too),
    // once the monitor's other textfiles are in (the cluster's verdicts, and a
    // real probe run's numbers from the recorded llm-probe capture).
    let api = K8sApi::start("healthy");
    let k8s = api.cmd("k8s-check").run();
    let both = format!("{}{}", checks_text, k8s.stdout);
    Cmd::new("report-md").args(["prometheus", "-o"]).arg(prom.textfiles().join("navi_checks.prom")).stdin(both).run();
    let run = Cmd::new("latency-stats")
        .args(["--format", "prometheus"])
        .arg(fixture("latency-stats/sample-run.ndjson"))
        .run();
    std::fs::write(prom.textfiles().join("navi_probe.prom"), &run.stdout).unwrap();
    std::thread::sleep(Duration::from_secs(4));
    let mut empty = Vec::new();
    for entry in std::fs::read_dir(workspace_root().join("deploy/grafana")).unwrap() {
        let path = entry.unwrap().path();
        let board: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for panel in board["panels"].as_array().unwrap() {
            for target in panel["targets"].as_array().unwrap() {
                let expr = target["expr"].as_str().unwrap();
                if prom.query(expr).is_empty() {
                    empty.push(format!("{}: {}: {expr}", path.display(), panel["title"]));
                }
            }
        }
    }
    assert!(empty.is_empty(), "panel queries with no data:\n{}", empty.join("\n"));
}

#[test]
fn the_dashboards_fit_grafanas_published_schema_and_a_wrong_field_does_not() {
    let script = workspace_root().join("scripts/check-dashboards.sh");
    let out = Cmd::program(&script).run();
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("4 dashboard(s) fit"), "{}", out.stdout);
    // A misspelt panel field is caught: the check can fail.
    let dir = navi_testkit::TempDir::new("dash");
    let text = std::fs::read_to_string(workspace_root().join("deploy/grafana/navi-errors.json")).unwrap();
    std::fs::write(dir.path("bad.json"), text.replacen("\"gridPos\"", "\"gridPoz\"", 1)).unwrap();
    let out = Cmd::program(&script).arg(dir.path("bad.json")).run();
    assert_ne!(out.code, 0);
    assert!(out.stdout.contains("'\"gridPoz\"' does not exist in type 'Panel'"), "{}{}", out.stdout, out.stderr);
}
