//! pg-check: the plan's database checks in one read-only pass, one check
//! record per verdict. See [`checks::CHECKS`] and docs/checks.md.

pub mod checks;
pub mod cli;
pub mod conn;
pub mod fernet_token;
pub mod sample;

use std::time::{Duration, Instant};

use navikit::checks::Runner;
use navikit::record::{Check, CheckStatus};
use navikit::{Error, Outcome};

use checks::{CHECKS, Ctx};
use cli::Options;

/// TOOL is the name on every record.
pub const TOOL: &str = "pg-check";

/// run connects, runs the selected checks and writes each verdict as it is reached.
pub fn run(opts: &Options) -> Result<Outcome, Error> {
    let sel = &opts.selection;
    if sel.list {
        navikit::checks::list(CHECKS, &mut std::io::stdout().lock())?;
        return Ok(Outcome::Pass);
    }
    if let Some(plan) = opts.sample {
        return sample::run(opts, plan);
    }
    let mut out = Runner::stdout(sel);
    let Some(target) = &opts.target else {
        let why = "no database configured: set DATABASE_URL (or --database-url, or PGHOST)";
        out.emit_all(navikit::checks::skipped(TOOL, CHECKS, sel, "", why))?;
        return Ok(out.finish(TOOL));
    };
    // Connect, then every query within its statement_timeout, plus slack.
    let per_query = opts.limits.statement.checked_mul(CHECKS.len() as u32 + 4).unwrap_or(Duration::MAX);
    conn::watchdog(opts.limits.connect.saturating_add(per_query).saturating_add(Duration::from_secs(5)));
    let ctx = Ctx { opts, db: target, target: target.display() };
    let wanted = |n: &str| sel.wanted(n);
    let started = Instant::now();
    let mut client = match conn::connect(target, &opts.limits) {
        Ok(c) => c,
        Err(e) => {
            let msg = navikit::redact::redact_with(&e, &target.password().into_iter().collect::<Vec<_>>());
            let why = format!("cannot connect (sslmode={}): {msg}", target.sslmode.name());
            out.emit(Check::new(TOOL, "pg.connect", &ctx.target, CheckStatus::Fail, why))?;
            let rest = CHECKS.iter().filter(|d| d.name != "pg.connect" && wanted(d.name));
            out.emit_all(rest.map(|d| {
                Check::new(TOOL, d.name, &ctx.target, CheckStatus::Error, "not checked: the database is unreachable")
            }))?;
            return Ok(out.finish(TOOL));
        }
    };
    let connect_ms = started.elapsed().as_secs_f64() * 1000.0;
    out.stand_in(checks::stand_in(&mut client));
    if wanted("pg.connect") {
        out.emit(checks::connect_check(&ctx, connect_ms, &mut client))?;
    }
    type Simple = fn(&Ctx<'_>, &mut postgres::Client) -> Check;
    let simple: [(&str, Simple); 4] = [
        ("pg.ssl.in_use", checks::ssl),
        ("pg.server.version", checks::version),
        ("pg.alembic.head", checks::alembic),
        ("pg.tables.present", checks::tables),
    ];
    for (name, f) in simple {
        if wanted(name) {
            out.emit(f(&ctx, &mut client))?;
        }
    }
    let conn_names = [
        "pg.connections.database",
        "pg.connections.active",
        "pg.connections.idle_in_transaction",
        "pg.connections.headroom",
        "pg.connections.trend",
    ];
    let mut current = None;
    if conn_names.iter().any(|n| wanted(n)) {
        match checks::activity(&ctx, &mut client) {
            Ok(a) => {
                current = Some(a.database);
                out.emit_all(checks::connection_checks(&ctx, &a).into_iter().filter(|c| wanted(&c.check)))?;
            }
            Err(e) => {
                let msg = conn::describe(&e);
                out.emit_all(
                    conn_names[..4]
                        .iter()
                        .filter(|n| wanted(n))
                        .map(|n| Check::new(TOOL, n, &ctx.target, CheckStatus::Error, format!("query failed: {msg}"))),
                )?;
            }
        }
    }
    for table in ["llm_metrics", "telemetry_events"] {
        if wanted(&format!("pg.{table}.rows")) {
            out.emit(checks::rows(&ctx, &mut client, table)?)?;
        }
    }
    if wanted("pg.audit.encrypted") {
        out.emit(checks::audit(&ctx, &mut client))?;
    }
    if wanted("pg.connections.trend") {
        let c = match current {
            Some(n) => checks::trend(&ctx, n)?,
            None => Check::new(
                TOOL,
                "pg.connections.trend",
                &ctx.target,
                CheckStatus::Error,
                "no connection count this run",
            ),
        };
        out.emit(c)?;
    }
    Ok(out.finish(TOOL))
}
