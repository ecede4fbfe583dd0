//! `llm-probe run`: closed- or open-loop load, retries, multi-turn
//! conversations, one probe record per request written the moment it ends.
//!
//! Open loop follows wrk2: each request has an intended send time on the
//! arrival schedule, and its latency counts from that time, so a slow server
//! cannot hide queueing (coordinated omission); `service_ms` keeps the time
//! from the actual send. Ctrl-C stops new requests and lets in-flight ones
//! finish within `--grace`; a second Ctrl-C exits at once. Records are written
//! under a lock, so an exit never cuts a line in half.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use chrono::Utc;
use navikit::ndjson::RecordWriter;
use navikit::record::{Attempt, Probe, Record};
use navikit::rng::Rng;
use navikit::{Error, Outcome};

use crate::cli::Arrival;
use crate::dialect::{Prompt, Turn};
use crate::exchange;
use crate::measure;
use crate::options::{Load, RunOptions, Target};
use crate::scenario::Scenario;

/// OUTPUT serialises record writes against the hard exit of a second Ctrl-C.
static OUTPUT: Mutex<()> = Mutex::new(());
static SIGNALS: AtomicUsize = AtomicUsize::new(0);
static STOP: AtomicBool = AtomicBool::new(false);

fn stop_requested() -> bool {
    STOP.load(Ordering::Relaxed)
}

fn exit_now(code: i32) -> ! {
    let _guard = OUTPUT.lock();
    std::process::exit(code)
}

fn install_signals(grace: Duration) {
    let _ = ctrlc::set_handler(move || {
        if SIGNALS.fetch_add(1, Ordering::SeqCst) == 0 {
            eprintln!(
                "llm-probe: interrupted: no new requests; letting in-flight ones finish (Ctrl-C again to stop now)"
            );
            STOP.store(true, Ordering::SeqCst);
            std::thread::spawn(move || {
                std::thread::sleep(grace);
                eprintln!("llm-probe: grace period over");
                exit_now(130);
            });
        } else {
            exit_now(130);
        }
    });
}

/// Job is one conversation to run.
struct Job {
    index: u64,
    intended: Option<Instant>,
}

/// run carries out `llm-probe run`: every record goes to stdout.
pub fn run(opts: &RunOptions) -> Result<Outcome, Error> {
    let progress = planned_here(opts).filter(|_| std::io::stderr().is_terminal()).map(|n| {
        let bar = indicatif::ProgressBar::new(n);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} requests  {per_sec}  eta {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    if let Some(at) = opts.start_at {
        wait_until(at, opts.grace);
    }
    let mut out = RecordWriter::stdout();
    let written = drive(opts, |probe| {
        write_record(&mut out, &Record::Probe(Box::new(probe)))?;
        if let Some(p) = &progress {
            p.inc(1);
        }
        Ok(())
    })?;
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    eprintln!("llm-probe: {written} record(s) written");
    if interrupted() {
        return Err(Error::Interrupted);
    }
    Ok(Outcome::Pass)
}

/// wait_until sleeps until a wall-clock time (a start already past starts
/// at once), in slices so Ctrl-C is not kept waiting.
fn wait_until(at: chrono::DateTime<Utc>, grace: Duration) {
    install_signals(grace);
    let left = (at - Utc::now()).to_std().unwrap_or_default();
    if left > Duration::ZERO {
        eprintln!("llm-probe: starting at {} (in {} s)", at.format("%H:%M:%S%.3f UTC"), left.as_secs());
    }
    while !stop_requested() {
        let Ok(left) = (at - Utc::now()).to_std() else { break };
        if left.is_zero() {
            break;
        }
        std::thread::sleep(left.min(Duration::from_millis(100)));
    }
}

/// interrupted says whether Ctrl-C ended the run.
pub fn interrupted() -> bool {
    stop_requested() && SIGNALS.load(Ordering::SeqCst) > 0
}

/// planned_here is how many requests this shard makes, when counted.
fn planned_here(opts: &RunOptions) -> Option<u64> {
    let (shard, shards) = opts.shard;
    opts.runs.map(|r| opts.warmup + r).map(|t| if t > shard { (t - shard).div_ceil(shards) } else { 0 })
}

/// write_record writes one record under the output lock; a closed stdout
/// (`| head`) stops new requests.
pub fn write_record(out: &mut RecordWriter<std::io::Stdout>, record: &Record) -> Result<(), Error> {
    let res = {
        let _guard = OUTPUT.lock();
        out.write(record)
    };
    res.map_err(|e| {
        STOP.store(true, Ordering::SeqCst);
        Error::Io(e)
    })
}

/// drive makes the requests `opts` asks for and hands each record, the
/// moment its request ends, to `consume`, one record at a time; it returns
/// how many were consumed. An error from `consume` stops new requests.
pub fn drive<F>(opts: &RunOptions, consume: F) -> Result<u64, Error>
where
    F: FnMut(Probe) -> Result<(), Error> + Send,
{
    install_signals(opts.grace);
    let jobs_here = planned_here(opts);
    let deadline = opts.duration.map(|d| Instant::now() + d);
    let agent = exchange::agent(&opts.target.timeouts);
    // Each worker hands its own record over, under one lock: a writer
    // thread woken for every record cost a context switch per request.
    let sink = Mutex::new(Sink { consume, written: 0, error: None });
    let emit = |probe: Probe| -> bool {
        let Ok(mut s) = sink.lock() else { return false };
        if s.error.is_some() {
            return false;
        }
        match (s.consume)(probe) {
            Ok(()) => {
                s.written += 1;
                true
            }
            Err(e) => {
                s.error = Some(e);
                STOP.store(true, Ordering::SeqCst);
                false
            }
        }
    };
    let t = &opts.target;
    let first_bodies = t
        .scenarios
        .iter()
        .map(|s| body(t, s, &[Turn { role: "user", text: s.turns.first().cloned().unwrap_or_default() }], opts.stream))
        .collect();
    let ctx = Ctx { opts, agent, emit: &emit, first_bodies, secrets: t.secrets() };
    // Never more threads than the work needs: a run of 10 requests gets at
    // most 10 workers, whatever --concurrency or --max-in-flight say.
    let needed = |n: u64| jobs_here.map_or(n, |j| n.min(j.max(1)));
    match opts.load {
        Load::Closed(c) => closed_loop(&ctx, needed(c), jobs_here, deadline),
        Load::Open(rate, arrival, cap) => {
            open_loop(&ctx, rate / opts.shard.1 as f64, arrival, needed(cap), jobs_here, deadline)
        }
    }
    let s = sink.into_inner().map_err(|_| Error::input("the record writer panicked"))?;
    match s.error {
        Some(e) => Err(e),
        None => Ok(s.written),
    }
}

/// Sink is where finished records go, and what became of them.
struct Sink<F> {
    consume: F,
    written: u64,
    error: Option<Error>,
}

struct Ctx<'a> {
    opts: &'a RunOptions,
    agent: ureq::Agent,
    /// Each scenario's first request body, serialised once.
    first_bodies: Vec<Vec<u8>>,
    /// Values never to appear in a record.
    secrets: Vec<&'a str>,
    /// Hands a record over; false once records can no longer be taken.
    emit: &'a (dyn Fn(Probe) -> bool + Sync),
}

fn closed_loop(ctx: &Ctx<'_>, workers: u64, jobs: Option<u64>, deadline: Option<Instant>) {
    let next = AtomicU64::new(0);
    let (shard, shards) = ctx.opts.shard;
    std::thread::scope(|s| {
        for w in 0..workers {
            let next = &next;
            s.spawn(move || {
                let mut rng = Rng::new(ctx.opts.seed ^ (w + 1).wrapping_mul(0x9E37_79B9));
                loop {
                    let j = next.fetch_add(1, Ordering::Relaxed);
                    if stop_requested() || jobs.is_some_and(|n| j >= n) || deadline.is_some_and(|d| Instant::now() >= d)
                    {
                        break;
                    }
                    conversation(ctx, Job { index: shard + j * shards, intended: None }, &mut rng);
                }
            });
        }
    });
}

fn open_loop(ctx: &Ctx<'_>, rate: f64, arrival: Arrival, cap: u64, jobs: Option<u64>, deadline: Option<Instant>) {
    let (shard, shards) = ctx.opts.shard;
    let (job_tx, job_rx) = mpsc::channel::<Job>();
    let job_rx = Mutex::new(job_rx);
    // Workers free for a job not yet handed out. A due job takes one (the
    // dispatcher counts it down), or a new worker is started for it, up to
    // `cap`: threads (and their buffers) follow the requests actually in
    // flight, not the cap. A worker counts itself free only after a job.
    let idle = AtomicU64::new(0);
    std::thread::scope(|s| {
        let mut started = 0u64;
        let mut said_cannot_start = false;
        let start_worker = |w: u64| {
            let (job_rx, idle) = (&job_rx, &idle);
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn_scoped(s, move || {
                    let mut rng = Rng::new(ctx.opts.seed ^ (w + 1).wrapping_mul(0x9E37_79B9));
                    loop {
                        let job = job_rx.lock().ok().and_then(|rx| rx.recv().ok());
                        let Some(job) = job else { break };
                        if stop_requested() {
                            break;
                        }
                        conversation(ctx, job, &mut rng);
                        idle.fetch_add(1, Ordering::SeqCst);
                    }
                })
                .is_ok()
        };
        let mut rng = Rng::new(ctx.opts.seed);
        let start = Instant::now();
        let mut offset = 0.0f64;
        let mut j = 0u64;
        while !stop_requested() && jobs.is_none_or(|n| j < n) {
            // A schedule beyond any clock (a tiny rate over a huge run) ends the run.
            let Some(intended) = Duration::try_from_secs_f64(offset).ok().and_then(|o| start.checked_add(o)) else {
                break;
            };
            if deadline.is_some_and(|d| intended >= d) {
                break;
            }
            // Sleep in slices so Ctrl-C ends a slow schedule at once.
            while !stop_requested() {
                let now = Instant::now();
                if intended <= now {
                    break;
                }
                std::thread::sleep((intended - now).min(Duration::from_millis(50)));
            }
            if stop_requested() {
                break;
            }
            let free = idle.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
            if !free && started < cap {
                if start_worker(started) {
                    started += 1;
                } else if started == 0 || !std::mem::replace(&mut said_cannot_start, true) {
                    // No thread at all would lose every job without a word.
                    eprintln!(
                        "llm-probe: cannot start a worker thread ({started} running): requests wait for a free one"
                    );
                    if started == 0 {
                        break;
                    }
                }
            }
            if job_tx.send(Job { index: shard + j * shards, intended: Some(intended) }).is_err() {
                break;
            }
            j += 1;
            offset += match arrival {
                Arrival::Constant => 1.0 / rate,
                Arrival::Poisson => rng.exponential(1.0 / rate),
            };
        }
        drop(job_tx);
    });
}

fn conversation(ctx: &Ctx<'_>, job: Job, rng: &mut Rng) {
    let o = ctx.opts;
    let index = (job.index % o.target.scenarios.len() as u64) as usize;
    let scenario = &o.target.scenarios[index];
    let multi = scenario.turns.len() > 1;
    let mut history: Vec<Turn> = Vec::new();
    for (turn, prompt) in scenario.turns.iter().enumerate() {
        if turn > 0 && stop_requested() {
            return;
        }
        history.push(Turn { role: "user", text: prompt.clone() });
        let origin = if turn == 0 { job.intended.unwrap_or_else(Instant::now) } else { Instant::now() };
        let (mut probe, text) = request(ctx, index, turn, &history, origin, rng);
        probe.seq = job.index;
        probe.warmup = job.index < o.warmup;
        if multi {
            probe.conversation_id = Some(format!("{}-{}", o.run_id, job.index));
            probe.turn = Some(turn as u32);
        }
        let ok = probe.ok;
        if !(ctx.emit)(probe) || !ok {
            return;
        }
        history.push(Turn { role: "assistant", text });
    }
}

fn backoff(attempt: u32, rng: &mut Rng) -> Duration {
    let base = 0.5 * 2f64.powi(attempt as i32);
    let jittered = base * (0.5 + rng.unit());
    Duration::from_secs_f64(jittered.min(20.0))
}

/// request makes one request (with retries) and returns its record and the answer text.
fn request(
    ctx: &Ctx<'_>,
    scenario: usize,
    turn: usize,
    history: &[Turn],
    origin: Instant,
    rng: &mut Rng,
) -> (Probe, String) {
    let o = ctx.opts;
    let t = &o.target;
    let s = &t.scenarios[scenario];
    // A conversation's first turn is the same request every time: its body
    // was serialised once, before the run.
    let later_turn;
    let body = if turn == 0 {
        &ctx.first_bodies[scenario]
    } else {
        later_turn = body(t, s, history, o.stream);
        &later_turn
    };
    let mut attempts = Vec::new();
    let mut wait = Duration::ZERO;
    let req = t.request(body, o.stream);
    let first_send = Instant::now();
    let (outcome, sent) = loop {
        let sent = Instant::now();
        let out = exchange::attempt(&ctx.agent, &req, &t.timeouts);
        attempts.push(Attempt {
            status: out.status,
            wait_ms: measure::ms(wait),
            error: out.result.as_ref().err().map(|f| f.class.to_string()),
        });
        let retry = match &out.result {
            Err(f) if f.retryable && (attempts.len() as u64) <= o.retries && !stop_requested() => {
                let w = f.retry_after.unwrap_or_else(|| backoff(attempts.len() as u32 - 1, rng));
                (first_send.elapsed() + w < o.max_retry_time).then_some(w)
            }
            _ => None,
        };
        match retry {
            Some(w) => {
                std::thread::sleep(w);
                wait = w;
            }
            None => break (out, sent),
        }
    };
    let times = measure::Times { origin, sent, end: Instant::now() };
    measure::record(&o.run_id, t, s, history, outcome, attempts, times, &ctx.secrets)
}

/// body is a request's body for this conversation so far, serialised.
fn body(t: &Target, s: &Scenario, history: &[Turn], stream: bool) -> Vec<u8> {
    let prompt = Prompt {
        model: &t.model,
        system: s.system.as_deref(),
        history,
        max_tokens: s.max_tokens,
        workspace: &s.workspace_path,
    };
    t.encode(&prompt, stream)
}
