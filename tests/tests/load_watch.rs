//! The load-and-watch recipe (scripts/load-watch.sh) on the demo's
//! stand-ins: llm-sim recording NAVI chats to a real PostgreSQL, sampled by
//! pg-check and http-check while llm-probe loads it. With llm-sim's leak
//! switch the report must name the database whose connections rose and did
//! not fall back; without it, it must not.

use navi_testkit::{Cmd, Sim, TempDir, bin_path, pg, workspace_root};
use navikit::record::Record;

/// watch runs the recipe against a fresh database and returns its records,
/// the database's name and the benchmarks document made from them.
fn watch(leak: bool) -> (Vec<Record>, String, String) {
    let pg = pg();
    let db = pg.fresh_db(&pg.nossl_admin_url, if leak { "leak" } else { "noleak" });
    let name = db.rsplit('/').next().unwrap_or_default().to_string();
    let mut args = vec!["--record-to-db", "--speed", "20"];
    if leak {
        args.extend(["--leak-db-connections", "30"]);
    }
    let sim = Sim::start_with_env(&args, &[("DATABASE_URL", &db)]);
    let dir = TempDir::new("watch");
    let out = dir.path("watch.ndjson");
    let bins = bin_path("llm-probe").parent().expect("bin dir").display().to_string();
    let path = format!("{bins}:{}", std::env::var("PATH").unwrap_or_default());
    Cmd::program("bash")
        .arg(workspace_root().join("scripts/load-watch.sh"))
        .arg(&out)
        .args([
            "--provider",
            "navi",
            "--base-url",
            &sim.url,
            "--runs",
            "20",
            "--rate",
            "10",
            "--scenario",
            "hello-world",
        ])
        .env("PATH", &path)
        .env("DATABASE_URL", &db)
        .env("STAGING_URL", &sim.url)
        .env("SAMPLE_EVERY", "300ms")
        .env("SETTLE", "2")
        .run()
        .assert_code(0);
    let text = std::fs::read_to_string(&out).expect("records");
    let records: Vec<Record> =
        text.lines().map(|l| navikit::ndjson::parse_record(l.as_bytes()).expect("a record")).collect();
    let stats = Cmd::new("latency-stats").arg(&out).run();
    stats.assert_code(0);
    let doc = Cmd::new("report-md").args(["benchmarks", "-"]).stdin(format!("{}{text}", stats.stdout)).run();
    doc.assert_code(1); // no targets were judged: the page says so and exits 1
    (records, name, doc.stdout)
}

#[test]
fn a_leaking_service_is_named_and_a_clean_one_is_not() {
    let (records, db, doc) = watch(true);
    let tools: std::collections::BTreeSet<&str> =
        records.iter().filter_map(|r| if let Record::Sample(s) = r { Some(s.tool.as_str()) } else { None }).collect();
    assert_eq!(tools.into_iter().collect::<Vec<_>>(), ["http-check", "pg-check"]);
    assert_eq!(records.iter().filter(|r| matches!(r, Record::Probe(_))).count(), 20);
    let flagged = format!(
        "**pg_connections{{datname=\"{db}\"}}** rose from 2 to 22 with the load and was still 22 after it ended: it did not fall back"
    );
    assert!(doc.contains(&flagged), "expected `{flagged}` in:\n{doc}");
    assert!(doc.contains("## Server timeline during the load"), "{doc}");
    assert!(doc.contains("**Stand-in:** these samples were read from stand-ins"), "{doc}");

    let (_, db, doc) = watch(false);
    assert!(!doc.contains("did not fall back"), "{doc}");
    assert!(!doc.contains(&format!("pg_connections{{datname=\"{db}\"}}** rose")), "{doc}");
}
