//! `llm-probe preflight`: Monday's checklist as check records. API keys are
//! present (their values never printed), config and scenarios are valid, the
//! target answers on its port, and with `--live` one minimal call succeeds.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::Instant;

use navikit::checks::{Def, Runner, Selection};
use navikit::record::{Check, CheckStatus};
use navikit::{Error, Outcome};

use crate::dialect::{Prompt, Turn};
use crate::exchange;
use crate::options::Target;

const TOOL: &str = "llm-probe";

/// CHECKS is the preflight's registry (`llm-probe preflight --list`, docs/checks.md).
pub const CHECKS: &[Def] = &[
    Def {
        name: "llm.config.valid",
        meaning: "the config parsed and the model has a price, so cost per request can be computed",
    },
    Def {
        name: "llm.api_key.present",
        meaning: "the key variable is set (never printed); skip only when the live call succeeded without one",
    },
    Def { name: "llm.scenarios.valid", meaning: "every scenario parsed; warn below the plan's 10" },
    Def { name: "llm.target.reachable", meaning: "the API host accepts TCP connections" },
    Def { name: "llm.live_call", meaning: "with --live, one minimal request succeeds (the class says why not)" },
];

/// checks computes the preflight verdicts and the stand-in the live call met, if any.
pub fn checks(t: &Target, live: bool, extra_keys: &[String]) -> (Vec<Check>, Option<String>) {
    let target = navikit::redact::redact_url(&t.base_url).into_owned();
    let mut out = Vec::new();
    let config_msg = match &t.config_name {
        Some(n) => format!("{n}: provider {}, model {}", t.provider.name(), t.model),
        None => format!("flags: provider {}, model {}", t.provider.name(), t.model),
    };
    // The config parsed (or the run would have stopped with exit 2); what is
    // left to judge is whether the run can report what the plan asks: cost.
    out.push(match t.prices.for_model(&t.model) {
        Some(_) => Check::new(TOOL, "llm.config.valid", &target, CheckStatus::Pass, format!("{config_msg}; priced"))
            .observed(t.model.clone()),
        None => Check::new(
            TOOL,
            "llm.config.valid",
            &target,
            CheckStatus::Fail,
            format!("{config_msg}; the price table has no entry for {}: cost per request cannot be computed (add it with --prices)", t.model),
        )
        .observed(t.model.clone()),
    });
    // Whether a target needs a key is learned from the target, never from its
    // address (a port-forward to a real provider is on localhost too): only a
    // live call that succeeded without one shows the key was not needed.
    let live = live.then(|| live_call(t, &target));
    let answered_without_key = t.key.is_none() && live.as_ref().is_some_and(|(c, _)| c.status == CheckStatus::Pass);
    let mut keys = vec![t.key_env.clone()];
    keys.extend(extra_keys.iter().filter(|k| **k != t.key_env).cloned());
    for name in keys {
        let set = std::env::var(&name).ok().is_some_and(|v| !v.trim().is_empty());
        let (status, msg) = match (set, answered_without_key && name == t.key_env) {
            (true, _) => (CheckStatus::Pass, format!("{name} is set")),
            (false, true) => (
                CheckStatus::Skip,
                format!("{name} is not set, and the target answered the live call without one: no key to check"),
            ),
            (false, false) => (CheckStatus::Fail, format!("{name} is not set or empty: export it before the run")),
        };
        out.push(Check::new(TOOL, "llm.api_key.present", &name, status, msg).observed(if set { "***" } else { "" }));
    }
    let names: Vec<&str> = t.scenarios.iter().map(|s| s.name.as_str()).collect();
    let status = if t.scenarios.len() >= 10 { CheckStatus::Pass } else { CheckStatus::Warn };
    out.push(
        Check::new(
            TOOL,
            "llm.scenarios.valid",
            &target,
            status,
            format!("{} scenario(s) valid: {}", names.len(), names.join(", ")),
        )
        .observed(names.len() as u64)
        .expected(">= 10"),
    );
    out.push(reachable(t, &target));
    let mut stand_in = None;
    if let Some((c, s)) = live {
        out.push(c);
        stand_in = s;
    }
    (out, stand_in)
}

fn reachable(t: &Target, target: &str) -> Check {
    let rest = t.base_url.split("://").nth(1).unwrap_or_default();
    let authority = rest.split('/').next().unwrap_or_default();
    let default_port = if t.base_url.starts_with("https") { 443 } else { 80 };
    let host_port = if authority.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok()) {
        authority.to_string()
    } else {
        format!("{authority}:{default_port}")
    };
    let started = Instant::now();
    let addr = host_port.to_socket_addrs().ok().and_then(|mut a| a.next());
    let result = match addr {
        Some(a) => TcpStream::connect_timeout(&a, t.timeouts.connect).map_err(|e| e.to_string()),
        None => Err(format!("cannot resolve {host_port}")),
    };
    match result {
        Ok(_) => {
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            Check::new(
                TOOL,
                "llm.target.reachable",
                target,
                CheckStatus::Pass,
                format!("{host_port} accepts connections ({ms:.1} ms)"),
            )
            .observed((ms * 10.0).round() / 10.0)
        }
        Err(e) => Check::new(TOOL, "llm.target.reachable", target, CheckStatus::Fail, format!("{host_port}: {e}")),
    }
}

fn live_call(t: &Target, target: &str) -> (Check, Option<String>) {
    let agent = exchange::agent(&t.timeouts);
    let history = [Turn { role: "user", text: "Reply with the word ok.".into() }];
    let prompt = Prompt { model: &t.model, system: None, history: &history, max_tokens: 16, workspace: "/tmp/test" };
    let stream = t.provider.streams();
    let body = t.encode(&prompt, stream);
    let req = t.request(&body, stream);
    let out = exchange::attempt(&agent, &req, &t.timeouts);
    let secrets = t.secrets();
    let check = match out.result {
        Ok(a) => Check::new(
            TOOL,
            "llm.live_call",
            target,
            CheckStatus::Pass,
            format!(
                "{} answered in {:.0} ms ({} output tokens)",
                t.model,
                a.end.as_secs_f64() * 1000.0,
                a.usage.output.unwrap_or(0)
            ),
        )
        .observed(out.status.unwrap_or(0)),
        Err(f) => Check::new(
            TOOL,
            "llm.live_call",
            target,
            CheckStatus::Fail,
            navikit::redact::redact_with(&format!("{}: {}", f.class, f.message), &secrets),
        )
        .observed(out.status.unwrap_or(0)),
    };
    (check, out.stand_in)
}

/// run writes the preflight records and says whether anything failed.
pub fn run(t: &Target, live: bool, extra_keys: &[String], policy: &Selection) -> Result<Outcome, Error> {
    let mut out = Runner::stdout(policy);
    let (checks, stand_in) = checks(t, live, extra_keys);
    out.stand_in(stand_in);
    out.emit_all(checks.into_iter().filter(|c| policy.wanted(&c.check)))?;
    Ok(out.finish(TOOL))
}
