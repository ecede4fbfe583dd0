//! pg-check: the plan's database checks in one read-only pass, one check
//! record per verdict. See [`checks::NAMES`] and docs/checks.md.

pub mod checks;
pub mod cli;
pub mod conn;
pub mod fernet_token;

use std::time::Instant;

use navikit::ndjson::RecordWriter;
use navikit::record::{Check, CheckStatus, Record};
use navikit::{Error, Outcome};

use checks::Ctx;
use cli::Options;

/// run connects, runs the selected checks and writes each verdict as it is reached.
pub fn run(opts: &Options) -> Result<Outcome, Error> {
    let mut out = RecordWriter::stdout();
    let mut failed = false;
    let mut emit = |c: Check, out: &mut RecordWriter<std::io::Stdout>| -> Result<(), Error> {
        failed |= c.status.fails(opts.selection.strict);
        out.write(&Record::Check(c))?;
        Ok(())
    };
    let ctx = Ctx { opts, target: opts.target.display() };
    let wanted = |n: &str| opts.selection.wanted(n);
    let started = Instant::now();
    let mut client = match conn::connect(&opts.target, &opts.limits) {
        Ok(c) => c,
        Err(e) => {
            let msg = navikit::redact::redact_with(&e, &opts.target.password().into_iter().collect::<Vec<_>>());
            emit(
                Check::new(
                    "pg-check",
                    "pg.connect",
                    &ctx.target,
                    CheckStatus::Fail,
                    format!("cannot connect (sslmode={}): {msg}", opts.target.sslmode.name()),
                ),
                &mut out,
            )?;
            return Ok(Outcome::Fail);
        }
    };
    let connect_ms = started.elapsed().as_secs_f64() * 1000.0;
    if wanted("pg.connect") {
        emit(checks::connect_check(&ctx, connect_ms, &mut client), &mut out)?;
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
            emit(f(&ctx, &mut client), &mut out)?;
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
                for c in checks::connection_checks(&ctx, &a) {
                    if wanted(&c.check) {
                        emit(c, &mut out)?;
                    }
                }
            }
            Err(e) => {
                let msg = conn::describe(&e);
                for n in &conn_names[..4] {
                    if wanted(n) {
                        emit(
                            Check::new("pg-check", n, &ctx.target, CheckStatus::Error, format!("query failed: {msg}")),
                            &mut out,
                        )?;
                    }
                }
            }
        }
    }
    for (name, f) in
        [("pg.llm_metrics.rows", checks::llm_metrics as Simple), ("pg.audit.encrypted", checks::audit as Simple)]
    {
        if wanted(name) {
            emit(f(&ctx, &mut client), &mut out)?;
        }
    }
    if wanted("pg.connections.trend") {
        let c = match current {
            Some(n) => checks::trend(&ctx, n)?,
            None => Check::new(
                "pg-check",
                "pg.connections.trend",
                &ctx.target,
                CheckStatus::Error,
                "no connection count this run",
            ),
        };
        emit(c, &mut out)?;
    }
    Ok(Outcome::from_failed(failed))
}
