//! Sampling a server while a load runs (`pg-check --sample`, `http-check
//! --sample`): one reading every interval, written as sample records the
//! moment it is taken, until a time bound or SIGINT/SIGTERM (the load
//! recipe stops the samplers with SIGTERM when the load ends), so a sampler
//! left behind by a failed recipe still ends on its own.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::ndjson::RecordWriter;
use crate::record::{Record, Sample};
use crate::{Error, Outcome};

static STOP: AtomicBool = AtomicBool::new(false);
/// WRITING is held while a record is written, so a forced exit never cuts a line.
static WRITING: Mutex<()> = Mutex::new(());
/// STOP_GRACE is how long a reading may still take after SIGTERM, and
/// BOUND_GRACE how long past `--sample-for`: a server that stops answering
/// mid-query cannot keep the sampler (and the recipe waiting on it) alive.
const STOP_GRACE: Duration = Duration::from_secs(5);
const BOUND_GRACE: Duration = Duration::from_secs(30);

/// exit_after ends the process after `wait`, between two records.
fn exit_after(wait: Duration, why: &'static str) {
    std::thread::spawn(move || {
        std::thread::sleep(wait);
        let _guard = WRITING.lock();
        eprintln!("sample: {why}");
        std::process::exit(0)
    });
}

/// Plan is how often and for how long to sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Time between readings.
    pub every: Duration,
    /// The longest the sampler runs.
    pub bound: Duration,
}

/// MIN_EVERY keeps a typo (`--sample 1ms`) from hammering a production server.
pub const MIN_EVERY: Duration = Duration::from_millis(200);

impl Plan {
    /// Plan::parse reads `--sample EVERY` and `--sample-for BOUND`.
    pub fn parse(every: &str, bound: &str) -> Result<Plan, Error> {
        let every = crate::duration::parse(every).map_err(|e| Error::input(format!("--sample: {e}")))?;
        let bound = crate::duration::parse(bound).map_err(|e| Error::input(format!("--sample-for: {e}")))?;
        if every < MIN_EVERY {
            return Err(Error::input(format!("--sample: at least {} ms between readings", MIN_EVERY.as_millis())));
        }
        Ok(Plan { every, bound })
    }
}

/// run takes a reading every `plan.every` until the bound or a signal and
/// writes its samples. A failed reading is reported on stderr and the
/// sampling goes on (a blip must not end the timeline); a run in which no
/// reading succeeded fails.
pub fn run(
    tool: &str,
    plan: Plan,
    out: &mut RecordWriter<impl std::io::Write>,
    mut read: impl FnMut() -> Result<Vec<Sample>, String>,
) -> Result<Outcome, Error> {
    let _ = ctrlc::set_handler(|| {
        if !STOP.swap(true, Ordering::SeqCst) {
            exit_after(STOP_GRACE, "a reading outlived the stop signal; stopped without it");
        }
    });
    exit_after(plan.bound.saturating_add(BOUND_GRACE), "a reading outlived --sample-for; stopped without it");
    let start = Instant::now();
    let (mut good, mut last_error) = (0u64, None);
    let mut tick = 0u32;
    while !STOP.load(Ordering::SeqCst) && start.elapsed() < plan.bound {
        match read() {
            Ok(samples) => {
                good += 1;
                let _guard = WRITING.lock();
                for s in samples {
                    out.write(&Record::Sample(s))?;
                }
            }
            Err(e) => {
                eprintln!("{tool}: reading {tick} failed: {e}");
                last_error = Some(e);
            }
        }
        tick = tick.saturating_add(1);
        let next = plan.every.checked_mul(tick).map_or(plan.bound, |d| d.min(plan.bound));
        // Sleep in slices so a signal ends the sampler at once.
        while !STOP.load(Ordering::SeqCst) && start.elapsed() < next {
            std::thread::sleep((next - start.elapsed()).min(Duration::from_millis(100)));
        }
    }
    match (good, last_error) {
        (0, Some(e)) => {
            eprintln!("{tool}: no reading succeeded: {e}");
            Ok(Outcome::Fail)
        }
        _ => Ok(Outcome::Pass),
    }
}
