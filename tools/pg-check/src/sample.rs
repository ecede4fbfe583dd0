//! `pg-check --sample`: the server's side of a load, read on an interval —
//! client connections by database and state (a leak is connections that
//! rise with the load and do not fall back after it) and lock waits. One
//! read-only session, reopened when it breaks; pg-check's own session is
//! left out of the counts.

use std::collections::BTreeMap;

use chrono::Utc;
use navikit::ndjson::RecordWriter;
use navikit::record::Sample;
use navikit::sample::Plan;
use navikit::{Error, Outcome};

use crate::cli::Options;
use crate::{TOOL, checks, conn};

/// CONNECTIONS is the series of client connections, labelled `datname` and `state`.
pub const CONNECTIONS: &str = "pg_connections";
/// WAITING_LOCKS is the series of lock requests not yet granted.
pub const WAITING_LOCKS: &str = "pg_waiting_locks";

/// run samples until the plan's bound or a signal.
pub fn run(opts: &Options, plan: Plan) -> Result<Outcome, Error> {
    let Some(target) = &opts.target else {
        return Err(Error::input("--sample needs a database: set DATABASE_URL (or --database-url, or PGHOST)"));
    };
    let shown = target.display();
    let secrets: Vec<&str> = target.password().into_iter().collect();
    let mut session: Option<(postgres::Client, Option<String>)> = None;
    let mut out = RecordWriter::stdout();
    // After failed connects, try again less often (every 2, 4, … 32 readings):
    // a server that accepts and never answers holds each attempt's thread.
    let (mut tick, mut failed_connects) = (0u64, 0u32);
    navikit::sample::run(TOOL, plan, &mut out, || {
        tick += 1;
        if session.is_none() && tick % (1u64 << failed_connects.min(5)) != 0 {
            return Err("waiting before the next connect".into());
        }
        if session.is_none() {
            let mut c = conn::connect(target, &opts.limits).map_err(|e| {
                failed_connects += 1;
                navikit::redact::redact_with(&e, &secrets)
            })?;
            failed_connects = 0;
            let stand_in = checks::stand_in(&mut c);
            session = Some((c, stand_in));
        }
        let Some((client, stand_in)) = session.as_mut() else { return Err("no session".into()) };
        match read(client, &shown, stand_in.clone()) {
            Ok(samples) => Ok(samples),
            Err(e) => {
                session = None;
                Err(navikit::redact::redact_with(&conn::describe(&e), &secrets))
            }
        }
    })
}

fn read(c: &mut postgres::Client, target: &str, stand_in: Option<String>) -> Result<Vec<Sample>, postgres::Error> {
    let ts = Utc::now();
    let sample = |series: &str, labels: BTreeMap<String, String>, value: f64| Sample {
        ts,
        tool: TOOL.into(),
        target: target.into(),
        series: series.into(),
        labels,
        value,
        stand_in: stand_in.clone(),
    };
    let mut out = Vec::new();
    let rows = c.query(
        "SELECT coalesce(datname, ''), coalesce(state, 'unknown'), count(*)::bigint FROM pg_stat_activity \
         WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() GROUP BY 1, 2 ORDER BY 1, 2",
        &[],
    )?;
    for r in rows {
        let (db, state, n): (String, String, i64) = (r.get(0), r.get(1), r.get(2));
        out.push(sample(CONNECTIONS, BTreeMap::from([("datname".into(), db), ("state".into(), state)]), n as f64));
    }
    let waiting: i64 = c.query_one("SELECT count(*)::bigint FROM pg_locks WHERE NOT granted", &[])?.get(0);
    out.push(sample(WAITING_LOCKS, BTreeMap::new(), waiting as f64));
    Ok(out)
}
