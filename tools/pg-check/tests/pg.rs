//! pg-check against a real PostgreSQL (the throwaway clusters of
//! scripts/test.sh): each check passing, and failing on purpose.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use navi_testkit::{Cmd, Output, TempDir, pg, pg_client};
use navikit::record::Check;

fn checks(out: &Output) -> BTreeMap<String, Check> {
    out.checks()
}

fn status(m: &BTreeMap<String, Check>, name: &str) -> String {
    m.get(name).map(|c| c.status.as_str().to_string()).unwrap_or_else(|| format!("missing {name}"))
}

fn pg_check(url: &str, args: &[&str], key: Option<&str>) -> Output {
    let mut cmd =
        Cmd::new("pg-check").args(args).env("DATABASE_URL", url).env_remove("DB_SSLMODE").env_remove("PGSSLMODE");
    cmd = match key {
        Some(k) => cmd.env("AUDIT_ENCRYPTION_KEY", k),
        None => cmd.env_remove("AUDIT_ENCRYPTION_KEY"),
    };
    cmd.run()
}

fn verify_full(url: &str, ca: &str) -> String {
    format!("{url}?sslmode=verify-full&sslrootcert={ca}")
}

fn seed(url: &str, key: Option<&str>, audit_rows: usize) {
    let mut c = pg_client(url);
    c.execute(
        "INSERT INTO llm_metrics (provider, model, status) VALUES ('anthropic', 'claude-sonnet-4', 'success')",
        &[],
    )
    .expect("test set-up");
    let f = key.map(|k| fernet::Fernet::new(k).expect("test set-up"));
    for i in 0..audit_rows {
        let payload = format!("{{\"action\":\"navi.chat\",\"n\":{i}}}");
        let stored = match &f {
            Some(f) => f.encrypt(payload.as_bytes()),
            None => payload,
        };
        c.execute("INSERT INTO audit_logs (actor, action, payload) VALUES ('navi', 'navi.chat', $1)", &[&stored])
            .expect("test set-up");
    }
}

#[test]
fn a_healthy_database_passes_every_check() {
    let pg = pg();
    let url = pg.fresh_db(&pg.admin_url, "healthy");
    let key = fernet::Fernet::generate_key();
    // Row counts before the workload, then the workload's rows, then every check.
    let before = pg_check(&url, &["--only", "pg.llm_metrics.rows,pg.telemetry_events.rows", "--allow-skip"], None);
    let dir = TempDir::new("before");
    std::fs::write(dir.path("before.ndjson"), &before.stdout).unwrap();
    seed(&url, Some(&key), 5);
    pg_client(&url).execute("INSERT INTO telemetry_events (event_type) VALUES ('navi.chat')", &[]).unwrap();
    let baseline = dir.path("before.ndjson");
    let out = pg_check(
        &verify_full(&url, &pg.ca),
        // The trend needs runs of history (it is `skip` without): tested on its own below.
        &["--connections-min", "0", "--rows-baseline", baseline.to_str().unwrap(), "--skip", "pg.connections.trend"],
        Some(&key),
    );
    out.assert_code(0);
    let m = checks(&out);
    assert_eq!(m.len(), 12, "{:?}", m.keys());
    for (name, c) in &m {
        assert_eq!(c.status.as_str(), "pass", "{name}: {}", c.message);
    }
    assert_eq!(m["pg.ssl.in_use"].observed.as_ref().unwrap()["version"], "TLSv1.3");
    assert_eq!(m["pg.alembic.head"].observed, Some(serde_json::json!(["0031_metrics_learning"])));
    assert_eq!(m["pg.audit.encrypted"].observed.as_ref().unwrap()["decrypted"], 5);
    assert_eq!(m["pg.llm_metrics.rows"].observed, Some(serde_json::json!({"rows": 1, "baseline_rows": 0, "added": 1})));
    assert_eq!(m["pg.telemetry_events.rows"].observed.as_ref().unwrap()["added"], 1);
    // A real database that does not call itself a stand-in: no verdict is marked.
    assert!(m.values().all(|c| c.stand_in.is_none()));
    assert!(m.values().all(|c| c.target.contains(":***@")), "password masked in targets");
    assert!(!out.stdout.contains("postgres:") || !out.stdout.contains(&pg.admin_url));
}

#[test]
fn migrations_and_tables_fail_when_wrong() {
    let pg = pg();
    let url = pg.fresh_db(&pg.admin_url, "schema");
    let mut c = pg_client(&url);
    c.batch_execute("UPDATE alembic_version SET version_num = '0030_add_index'; DROP TABLE telemetry_events").unwrap();
    let out = pg_check(&url, &["--only", "pg.alembic.head,pg.tables.present"], None);
    out.assert_code(1);
    let m = checks(&out);
    assert_eq!(status(&m, "pg.alembic.head"), "fail");
    assert_eq!(m["pg.alembic.head"].observed, Some(serde_json::json!(["0030_add_index"])));
    assert_eq!(status(&m, "pg.tables.present"), "fail");
    assert_eq!(m["pg.tables.present"].observed, Some(serde_json::json!({"missing": ["telemetry_events"]})));
    c.batch_execute("DROP TABLE alembic_version").unwrap();
    let m = checks(&pg_check(&url, &["--only", "pg.alembic.head"], None));
    assert!(m["pg.alembic.head"].message.starts_with("no alembic_version table"), "{}", m["pg.alembic.head"].message);
}

#[test]
fn tls_modes_behave_like_libpq() {
    let pg = pg();
    let url = pg.fresh_db(&pg.admin_url, "tls");
    // require against a server without TLS: no connection.
    let nossl = pg.fresh_db(&pg.nossl_admin_url, "nossl");
    let out = pg_check(&format!("{nossl}?sslmode=require"), &[], None);
    out.assert_code(1);
    let m = checks(&out);
    assert_eq!(m.len(), 13, "every selected check says it was not checked");
    assert_eq!(status(&m, "pg.connect"), "fail");
    assert!(m.values().filter(|c| c.check != "pg.connect").all(|c| c.status.as_str() == "error"));
    assert!(m["pg.connect"].message.contains("server does not support TLS"), "{}", m["pg.connect"].message);
    // disable against a TLS server: connected, but not encrypted.
    let m = checks(&pg_check(&url, &["--sslmode", "disable", "--only", "pg.ssl.in_use"], None));
    assert_eq!(status(&m, "pg.ssl.in_use"), "fail");
    // require encrypts without verifying; verify-full with the wrong root fails.
    let m = checks(&pg_check(&format!("{url}?sslmode=require"), &["--only", "pg.ssl.in_use"], None));
    assert_eq!(status(&m, "pg.ssl.in_use"), "pass");
    let dir = TempDir::new("ca");
    let other = dir.path("other.pem");
    std::fs::write(&other, include_str!("fixtures/other-ca.pem")).unwrap();
    let out = pg_check(&format!("{url}?sslmode=verify-full&sslrootcert={}", other.display()), &[], None);
    out.assert_code(1);
    assert!(checks(&out)["pg.connect"].message.contains("certificate"), "{}", out.stdout);
    // verify-ca accepts the chain for a host name the certificate does not name.
    let by_name = url.replace("127.0.0.1", "localhost");
    let m = checks(&pg_check(
        &format!("{by_name}?sslmode=verify-ca&sslrootcert={}", pg.ca),
        &["--only", "pg.ssl.in_use"],
        None,
    ));
    assert_eq!(status(&m, "pg.ssl.in_use"), "pass");
}

#[test]
fn audit_rows_must_be_fernet_tokens_of_the_key() {
    let pg = pg();
    let key = fernet::Fernet::generate_key();
    let plain = pg.fresh_db(&pg.admin_url, "plain");
    seed(&plain, None, 3);
    let out = pg_check(&plain, &["--only", "pg.audit.encrypted"], Some(&key));
    out.assert_code(1);
    let m = checks(&out);
    assert_eq!(m["pg.audit.encrypted"].observed.as_ref().unwrap()["not_fernet"], 3);
    assert!(!out.stdout.contains("navi.chat\\\",\\\"n"), "plaintext is never printed");

    let other = pg.fresh_db(&pg.admin_url, "otherkey");
    seed(&other, Some(&fernet::Fernet::generate_key()), 4);
    let m = checks(&pg_check(&other, &["--only", "pg.audit.encrypted"], Some(&key)));
    assert_eq!(status(&m, "pg.audit.encrypted"), "fail");
    assert_eq!(m["pg.audit.encrypted"].observed.as_ref().unwrap()["wrong_key"], 4);
    // Without a key, well-formed tokens pass on shape alone.
    let m = checks(&pg_check(&other, &["--only", "pg.audit.encrypted"], None));
    assert_eq!(status(&m, "pg.audit.encrypted"), "pass");
    assert_eq!(m["pg.audit.encrypted"].observed.as_ref().unwrap()["well_formed"], 4);
    assert!(!m["pg.audit.encrypted"].message.contains(&key));
}

#[test]
fn idle_in_transaction_warns_and_strict_fails() {
    let pg = pg();
    let url = pg.fresh_db(&pg.admin_url, "idle");
    let mut holder = pg_client(&url);
    let tx = holder.transaction().unwrap();
    let mut tx = tx;
    tx.execute("SELECT 1", &[]).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let args = ["--only", "pg.connections.idle_in_transaction", "--idle-in-transaction", "1s"];
    let out = pg_check(&url, &args, None);
    out.assert_code(0);
    let m = checks(&out);
    assert_eq!(status(&m, "pg.connections.idle_in_transaction"), "warn");
    assert_eq!(m["pg.connections.idle_in_transaction"].observed, Some(serde_json::json!(1)));
    pg_check(&url, &[&args[..], &["--strict"]].concat(), None).assert_code(1);
    tx.rollback().unwrap();
}

#[test]
fn steady_connection_growth_is_flagged_as_a_leak() {
    let pg = pg();
    let url = pg.fresh_db(&pg.admin_url, "leak");
    let _held: Vec<postgres::Client> = (0..3).map(|_| pg_client(&url)).collect();
    let dir = TempDir::new("hist");
    let hist = dir.path("history.ndjson");
    // Earlier runs saw 0, 1, 2 connections; now there are 3.
    let first = pg_check(&url, &["--only", "pg.connections.database"], None);
    let line = first.stdout.lines().next().unwrap().to_string();
    let mut text = String::new();
    for n in 0..3 {
        text.push_str(&line.replace("\"observed\":3", &format!("\"observed\":{n}")));
        text.push('\n');
    }
    std::fs::write(&hist, text).unwrap();
    let out = pg_check(&url, &["--history", hist.to_str().unwrap()], None);
    let m = checks(&out);
    assert_eq!(status(&m, "pg.connections.trend"), "warn", "{}", m["pg.connections.trend"].message);
    assert!(m["pg.connections.trend"].message.contains("0 → 1 → 2 → 3"), "{}", m["pg.connections.trend"].message);
    assert_eq!(status(&m, "pg.connections.database"), "pass");
}

/// cut_proxy forwards to Postgres until the client asks about pg_stat_activity, then drops the connection.
fn cut_proxy(upstream: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("test set-up");
    let addr = listener.local_addr().expect("test set-up").to_string();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let server = TcpStream::connect(&upstream).expect("test set-up");
            let (mut c_in, mut s_out) =
                (client.try_clone().expect("test set-up"), server.try_clone().expect("test set-up"));
            let (mut s_in, mut c_out) = (server, client);
            std::thread::spawn(move || {
                let mut buf = [0u8; 16384];
                while let Ok(n) = s_in.read(&mut buf) {
                    if n == 0 || c_out.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
            let mut buf = [0u8; 16384];
            while let Ok(n) = c_in.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if buf[..n].windows(16).any(|w| w == b"pg_stat_activity") {
                    let _ = c_in.shutdown(std::net::Shutdown::Both);
                    let _ = s_out.shutdown(std::net::Shutdown::Both);
                    break;
                }
                if s_out.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    });
    addr
}

#[test]
fn a_server_that_goes_away_mid_run_gives_error_records_not_a_hang() {
    let pg = pg();
    let url = pg.fresh_db(&pg.admin_url, "gone");
    let hostport = url.split('@').nth(1).unwrap().split('/').next().unwrap().to_string();
    let proxy = cut_proxy(hostport.clone());
    let via = url.replace(&hostport, &proxy);
    let started = std::time::Instant::now();
    let out = pg_check(&format!("{via}?sslmode=disable"), &[], None);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    out.assert_code(1);
    let m = checks(&out);
    assert_eq!(status(&m, "pg.alembic.head"), "pass");
    for name in ["pg.connections.database", "pg.llm_metrics.rows", "pg.audit.encrypted"] {
        assert_eq!(status(&m, name), "error", "{name}: {:?}", m.get(name));
    }
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

#[test]
fn bad_configuration_exits_2_without_the_password() {
    let out = pg_check("postgresql+psycopg2://u:hunter2secret@h:notaport/db", &[], None);
    out.assert_code(2);
    assert!(out.stderr.contains("port is not a number") && !out.stderr.contains("hunter2secret"), "{}", out.stderr);
    let out = pg_check("postgresql://u@h/db", &["--only", "pg.nope"], None);
    out.assert_code(2);
    assert!(out.stderr.contains("unknown check `pg.nope`"));
    let out = pg_check("postgresql://u:pw@127.0.0.1:1/db", &["--connect-timeout", "2s"], None);
    out.assert_code(1);
    assert_eq!(checks(&out)["pg.connect"].status.as_str(), "fail");
}

#[test]
fn empty_metrics_and_connection_limits_fail_on_purpose() {
    let pg = pg();
    let url = pg.fresh_db(&pg.admin_url, "limits");
    let _held: Vec<postgres::Client> = (0..2).map(|_| pg_client(&url)).collect();
    let dir = TempDir::new("limits");
    let before = pg_check(&url, &["--only", "pg.llm_metrics.rows", "--allow-skip"], None);
    std::fs::write(dir.path("before.ndjson"), &before.stdout).unwrap();
    let out = pg_check(
        &url,
        &[
            "--rows-baseline",
            dir.path("before.ndjson").to_str().unwrap(),
            "--only",
            "pg.llm_metrics.rows,pg.connections.active,pg.connections.headroom,pg.connections.database",
            "--active-max",
            "0",
            "--headroom-warn-pct",
            "0.5",
            "--connections-max",
            "1",
        ],
        None,
    );
    out.assert_code(1);
    let m = checks(&out);
    assert_eq!(status(&m, "pg.llm_metrics.rows"), "fail");
    assert!(
        m["pg.llm_metrics.rows"].message.starts_with("no rows added to llm_metrics"),
        "{}",
        m["pg.llm_metrics.rows"].message
    );
    assert_eq!(status(&m, "pg.connections.active"), "fail", "0 active is not below a limit of 0");
    assert_eq!(status(&m, "pg.connections.headroom"), "warn");
    assert_eq!(status(&m, "pg.connections.database"), "warn");
    assert_eq!(m["pg.connections.database"].observed, Some(serde_json::json!(2)));
}

#[test]
fn null_payloads_are_not_encrypted_ones_and_an_empty_table_list_is_refused() {
    let pg = pg();
    let url = pg.fresh_db(&pg.admin_url, "nulls");
    let mut c = pg_client(&url);
    for _ in 0..3 {
        c.execute("INSERT INTO audit_logs (actor, action, payload) VALUES ('navi', 'navi.chat', NULL)", &[]).unwrap();
    }
    let out = pg_check(&url, &["--only", "pg.audit.encrypted"], None);
    out.assert_code(1);
    let m = checks(&out);
    assert_eq!(status(&m, "pg.audit.encrypted"), "skip", "{}", m["pg.audit.encrypted"].message);
    let dir = TempDir::new("tables");
    std::fs::write(dir.path("t.txt"), "# nothing listed\n\n").unwrap();
    let out = pg_check(&url, &["--tables-file", dir.path("t.txt").to_str().unwrap()], None);
    out.assert_code(2);
    assert!(out.stderr.contains("names no table"), "{}", out.stderr);
}

#[test]
fn a_database_commented_as_a_stand_in_marks_every_verdict() {
    let pg = pg();
    let url = pg.fresh_db(&pg.admin_url, "standin");
    let db = url.rsplit('/').next().unwrap().to_string();
    // As scripts/demo.sh declares its database; past 200 characters it is cut.
    let comment = format!("navi-launch stand-in: a throwaway test database {}", "x".repeat(300));
    pg_client(&url).batch_execute(&format!("COMMENT ON DATABASE {db} IS '{comment}'")).unwrap();
    let out = pg_check(&url, &["--only", "pg.connect,pg.alembic.head"], None);
    out.assert_code(0);
    let m = checks(&out);
    assert_eq!(m.len(), 2, "{:?}", m.keys());
    let declared: String = comment.chars().take(200).collect();
    for (name, c) in &m {
        assert_eq!(c.stand_in.as_deref(), Some(declared.as_str()), "{name}");
    }
    // A comment that mentions the marker but does not open with it declares nothing.
    pg_client(&url)
        .batch_execute(&format!("COMMENT ON DATABASE {db} IS 'a copy of staging, no navi-launch stand-in'"))
        .unwrap();
    let m = checks(&pg_check(&url, &["--only", "pg.connect"], None));
    assert_eq!(m["pg.connect"].stand_in, None);
}

#[test]
fn connect_reports_the_round_trip_in_milliseconds() {
    let pg = pg();
    let url = pg.fresh_db(&pg.admin_url, "rtt");
    let out = pg_check(&url, &["--only", "pg.connect"], None);
    out.assert_code(0);
    let m = checks(&out);
    let observed = m["pg.connect"].observed.as_ref().unwrap();
    // A SELECT 1 over loopback takes tens of microseconds to milliseconds:
    // at least 0.01 ms once rounded, and far below a second.
    let rtt = observed["rtt_ms"].as_f64().unwrap();
    assert!(rtt > 0.0 && rtt < 1000.0, "round trip {rtt} ms");
    let connect = observed["connect_ms"].as_f64().unwrap();
    assert!(connect > 0.0 && connect < 10_000.0, "connected in {connect} ms");
}

/// options_for are pg-check's checked options for `url`, as the binary
/// parses them (sslmode given, so no environment variable decides it).
fn options_for(url: &str) -> pg_check::cli::Options {
    let args = navikit::cli::parse_from::<pg_check::cli::Args, _, _>([
        "pg-check",
        "--database-url",
        url,
        "--sslmode",
        "disable",
    ])
    .expect("test set-up");
    pg_check::cli::check(args).expect("test set-up")
}

#[test]
fn activity_counts_pg_checks_own_session_among_the_servers_connections() {
    let pg = pg();
    let url = pg.fresh_db(&pg.admin_url, "activity");
    let _held: Vec<postgres::Client> = (0..3).map(|_| pg_client(&url)).collect();
    let opts = options_for(&url);
    let target = opts.target.as_ref().unwrap();
    let ctx = pg_check::checks::Ctx { opts: &opts, db: target, target: target.display() };
    let mut c = pg_client(&url);
    // PostgreSQL copies pg_stat_activity once per transaction: inside one,
    // the reference count sees exactly the backends activity() saw, whatever
    // the other tests connect or disconnect meanwhile.
    c.batch_execute("BEGIN").unwrap();
    let a = pg_check::checks::activity(&ctx, &mut c).unwrap();
    let seen = c
        .query_one(
            "SELECT count(*) FILTER (WHERE backend_type = 'client backend'),
                    count(*) FILTER (WHERE datname = current_database() AND pid <> pg_backend_pid()),
                    current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
             FROM pg_stat_activity",
            &[],
        )
        .unwrap();
    c.batch_execute("COMMIT").unwrap();
    let (clients, here, usable): (i64, i64, i32) = (seen.get(0), seen.get(1), seen.get(2));
    // Every client backend of the server, this session (pg-check's own) included.
    assert_eq!(a.total, clients);
    assert_eq!(a.usable, i64::from(usable));
    assert_eq!(a.database, here);
    assert_eq!((a.database, a.active, a.idle_old), (3, 0, 0), "the three held sessions, idle; this one left out");
    let headroom = pg_check::checks::connection_checks(&ctx, &a)
        .into_iter()
        .find(|v| v.check == "pg.connections.headroom")
        .unwrap();
    let observed = headroom.observed.unwrap();
    assert_eq!((observed["used"].as_i64(), observed["usable"].as_i64()), (Some(clients), Some(i64::from(usable))));
}

#[test]
fn connections_at_the_maximum_are_within_the_range() {
    let pg = pg();
    let url = pg.fresh_db(&pg.admin_url, "atmax");
    let _held: Vec<postgres::Client> = (0..2).map(|_| pg_client(&url)).collect();
    let range = ["--only", "pg.connections.database", "--connections-min", "2", "--connections-max", "2"];
    let out = pg_check(&url, &range, None);
    out.assert_code(0);
    let m = checks(&out);
    assert_eq!(status(&m, "pg.connections.database"), "pass", "{}", m["pg.connections.database"].message);
    assert_eq!(m["pg.connections.database"].observed, Some(serde_json::json!(2)));
}

#[test]
fn rows_added_are_counted_from_a_baseline_that_already_had_rows() {
    let pg = pg();
    let url = pg.fresh_db(&pg.admin_url, "rowsdiff");
    seed(&url, None, 0);
    seed(&url, None, 0);
    let dir = TempDir::new("rowsdiff");
    let baseline = dir.path("before.ndjson");
    let before = pg_check(&url, &["--only", "pg.llm_metrics.rows", "--allow-skip"], None);
    std::fs::write(&baseline, &before.stdout).unwrap();
    let args = ["--only", "pg.llm_metrics.rows", "--rows-baseline", baseline.to_str().unwrap()];
    // Two rows before, two now: nothing was recorded.
    let out = pg_check(&url, &args, None);
    out.assert_code(1);
    let m = checks(&out);
    assert_eq!(status(&m, "pg.llm_metrics.rows"), "fail");
    assert_eq!(m["pg.llm_metrics.rows"].observed, Some(serde_json::json!({"rows": 2, "baseline_rows": 2, "added": 0})));
    assert!(m["pg.llm_metrics.rows"].message.contains("(2 → 2)"), "{}", m["pg.llm_metrics.rows"].message);
    // One more row: one added, not the sum of the two counts.
    seed(&url, None, 0);
    let out = pg_check(&url, &args, None);
    out.assert_code(0);
    let m = checks(&out);
    assert_eq!(m["pg.llm_metrics.rows"].observed, Some(serde_json::json!({"rows": 3, "baseline_rows": 2, "added": 1})));
    assert!(
        m["pg.llm_metrics.rows"].message.starts_with("1 row(s) added since "),
        "{}",
        m["pg.llm_metrics.rows"].message
    );
}

/// history_of is the text of a --history file: one pg.connections.database
/// record of this database per earlier run, saying `counts` connections.
fn history_of(url: &str, counts: &[i64]) -> String {
    let target = pg_check::conn::Target::from_url(url, Some("disable")).expect("test set-up").display();
    counts
        .iter()
        .map(|&n| {
            let c =
                Check::new("pg-check", "pg.connections.database", &target, navikit::CheckStatus::Pass, "").observed(n);
            format!("{}\n", serde_json::to_string(&navikit::Record::Check(c)).expect("test set-up"))
        })
        .collect()
}

#[test]
fn the_trend_waits_for_enough_runs_of_history() {
    let pg = pg();
    let url = pg.fresh_db(&pg.admin_url, "fewruns");
    let _held: Vec<postgres::Client> = (0..2).map(|_| pg_client(&url)).collect();
    let dir = TempDir::new("fewruns");
    let hist = dir.path("history.ndjson");
    std::fs::write(&hist, history_of(&url, &[0, 1])).unwrap();
    let out =
        pg_check(&url, &["--only", "pg.connections.trend", "--allow-skip", "--history", hist.to_str().unwrap()], None);
    out.assert_code(0);
    let m = checks(&out);
    assert_eq!(status(&m, "pg.connections.trend"), "skip");
    assert_eq!(m["pg.connections.trend"].message, "3 run(s) of history; 4 needed to judge a trend");
    assert_eq!(m["pg.connections.trend"].observed, Some(serde_json::json!([0.0, 1.0, 2.0])));
}

#[test]
fn the_trend_judges_only_the_last_runs_and_a_flat_step_is_not_growth() {
    let pg = pg();
    let url = pg.fresh_db(&pg.admin_url, "flatstep");
    let _held: Vec<postgres::Client> = (0..2).map(|_| pg_client(&url)).collect();
    let dir = TempDir::new("flatstep");
    let hist = dir.path("history.ndjson");
    // Six runs with this one (2 connections); the last four are 0, 1, 1, 2.
    std::fs::write(&hist, history_of(&url, &[5, 4, 0, 1, 1])).unwrap();
    let out = pg_check(&url, &["--only", "pg.connections.trend", "--history", hist.to_str().unwrap()], None);
    out.assert_code(0);
    let m = checks(&out);
    assert_eq!(status(&m, "pg.connections.trend"), "pass", "{}", m["pg.connections.trend"].message);
    assert_eq!(m["pg.connections.trend"].message, "no steady growth over the last 4 runs (0, 1, 1, 2)");
    assert_eq!(m["pg.connections.trend"].observed, Some(serde_json::json!([0.0, 1.0, 1.0, 2.0])));
}
