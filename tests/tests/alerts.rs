//! The alerting rules on a real Prometheus: the rules report-md generates
//! from the week's targets (time-compressed 60x, so an hour's window is a
//! minute), scraping llm-sim failing half its chats and the textfile a real
//! failing check wrote. The alerts the faults call for reach `firing` in
//! Prometheus' own API; the ones they do not call for stay quiet.

use std::time::Duration;

use navi_testkit::prom::Prometheus;
use navi_testkit::{Cmd, Sim, pg, workspace_root};

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
        .args(["--only", "pg.connect,pg.tables.present", "--tables-file"])
        .arg(&tables)
        .env("DATABASE_URL", format!("{url}?sslmode=require"))
        .run();
    checks.assert_code(1);
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
    let failing = prom.alerts().into_iter().find(|(n, s, _)| n == "NaviCheckFailing" && s == "firing").unwrap();
    assert_eq!(failing.2["check"], "pg.tables.present", "{:?}", failing.2);
    for quiet in
        ["NaviChatLatencyAboveTarget", "NaviChatLatencyEscalation", "NaviLlmCallsFlat", "NaviServiceMetricsAbsent"]
    {
        assert!(!firing.iter().any(|f| f == quiet), "{quiet} fired on fast, counted answers: {firing:?}");
    }
    // The recorded error ratio is what llm-sim's faults made it.
    let ratio = prom.query("navi:chat_errors:ratio_rate1h");
    let v: f64 = ratio[0]["value"][1].as_str().unwrap().parse().unwrap();
    assert!((0.35..0.65).contains(&v), "error ratio {v} for 50 % faults");
}
