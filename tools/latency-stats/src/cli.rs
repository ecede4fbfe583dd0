//! Command-line arguments, checked into [`Options`] before any work starts.

use clap::{Parser, ValueEnum};
use navikit::Error;
use navikit::threshold::{Metric, Threshold};

const AFTER_HELP: &str = "\
Input: probe records (NDJSON) from FILEs, or standard input when FILE is `-` or absent.
Output: one stats record per group on stdout (or a table, CSV, or Prometheus text).

Targets file (--targets): one threshold per line; `escalate: success>95%` marks an
  escalation trigger, reported but not deciding the exit code; -t on the same metric wins.

Thresholds (k6 syntax, repeatable): p95<5s  p99<=10000ms  ttft.p95<800ms  success>99%
  error_rate<1%  cost_per_request<0.02  tokens_per_s>20  itl.p99<50ms  tpot.mean<30ms

Exit status:
  0  every threshold met (with --baseline: no metric regressed)
  1  at least one threshold missed (with --baseline: a metric regressed)
  2  usage or input error (bad flag, unreadable file, malformed record: FILE:LINE: why)

Examples:
  llm-probe run --runs 100 | tee results.ndjson | latency-stats --threshold 'p95<5s' --format table
  latency-stats --by scenario,model results/*.ndjson | jq '.latency_ms.p95'
  latency-stats --histograms shard-*.ndjson > part.ndjson; cat part*.ndjson | latency-stats --merge
  latency-stats --format prometheus results.ndjson > /var/lib/node_exporter/navi_probe.prom
  latency-stats --histograms run1.ndjson > baseline.ndjson; latency-stats --baseline baseline.ndjson run2.ndjson";

/// Format is the output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One stats record per group (NDJSON).
    Ndjson,
    /// An aligned table for people.
    Table,
    /// CSV, one row per group.
    Csv,
    /// Prometheus text exposition (node_exporter textfile collector).
    Prometheus,
}

/// Args are the raw command-line arguments.
#[derive(Debug, Parser)]
#[command(name = "latency-stats", version, about = "Summarise llm-probe records: latency percentiles, TTFT, tokens, cost, errors, SLOs", after_help = AFTER_HELP)]
pub struct Args {
    /// Input files of probe records (`-` = stdin; default stdin).
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,
    /// Group by these record fields, comma-separated (e.g. scenario,model).
    #[arg(long, value_delimiter = ',', value_name = "FIELDS")]
    pub by: Vec<String>,
    /// Count warm-up records too (excluded by default).
    #[arg(long)]
    pub include_warmup: bool,
    /// A threshold such as `p95<5s`; repeatable. Any missed threshold exits 1.
    /// A threshold on a metric the targets file already judges replaces it.
    #[arg(long = "threshold", short = 't', value_name = "EXPR")]
    pub thresholds: Vec<String>,
    /// A targets file: one threshold per line, `#` comments, `escalate: EXPR`
    /// for the plan's escalation triggers (e.g. `config/targets.txt`).
    #[arg(long, value_name = "FILE")]
    pub targets: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Ndjson)]
    pub format: Format,
    /// Embed the HDR histograms (V2 + DEFLATE, base64) so summaries can be merged.
    #[arg(long)]
    pub histograms: bool,
    /// Read stats records (made with --histograms) and merge them per group.
    #[arg(long)]
    pub merge: bool,
    /// How many failure patterns to list per group.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub top_errors: usize,
    /// Parsing threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Compare against this baseline run (probe records, or stats made with
    /// --histograms): one check record per group and metric, exit 1 on a regression.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<String>,
    /// With --baseline: the smallest change that counts, e.g. `p95=10%`,
    /// `success=1` (points), or `10%` for every percentile and the cost (repeatable).
    #[arg(long, value_name = "SPEC", requires = "baseline")]
    pub tolerance: Vec<String>,
    /// With --baseline: seed of the bootstrap.
    #[arg(long, default_value_t = 1, requires = "baseline")]
    pub seed: u64,
}

/// Options are the checked arguments.
#[derive(Debug, Clone)]
pub struct Options {
    /// Input paths (empty = stdin).
    pub files: Vec<String>,
    /// Group-by field names.
    pub by: Vec<String>,
    /// Count warm-up records.
    pub include_warmup: bool,
    /// Parsed thresholds.
    pub thresholds: Vec<Threshold>,
    /// Output format.
    pub format: Format,
    /// Embed histograms.
    pub histograms: bool,
    /// Merge stats records.
    pub merge: bool,
    /// Failure patterns per group.
    pub top_errors: usize,
    /// Parsing threads.
    pub jobs: usize,
    /// The baseline to compare against, with its tolerances and seed.
    pub baseline: Option<(String, crate::compare::Tolerances, u64)>,
}

/// MAX_JOBS bounds the parsing threads (`--jobs 40000` is a typo, not a plan).
const MAX_JOBS: usize = 256;

/// parse reads the process arguments into checked options.
pub fn parse() -> Result<Options, Error> {
    check(navikit::cli::parse_args::<Args>()?)
}

/// thresholds reads `--targets FILE` and `--threshold` flags into the list
/// latency-stats judges (a flag on a metric the file judges replaces it);
/// `llm-probe search` judges its steps with the same list.
pub fn thresholds(flags: &[String], targets: Option<&str>) -> Result<Vec<Threshold>, Error> {
    let from_flags = flags.iter().map(|t| Threshold::parse(t).map_err(Error::input)).collect::<Result<Vec<_>, _>>()?;
    let from_file = match targets {
        Some(path) => {
            let text = navikit::files::read_small(path)?;
            Threshold::parse_list(path, &text).map_err(Error::input)?
        }
        None => Vec::new(),
    };
    let thresholds = Threshold::overlay(from_file, from_flags);
    for t in &thresholds {
        if let Metric::Named(name) = &t.metric {
            return Err(Error::input(format!(
                "bad threshold `{}`: unknown metric `{name}` for latency-stats",
                t.source
            )));
        }
    }
    Ok(thresholds)
}

/// check validates raw arguments into options.
pub fn check(args: Args) -> Result<Options, Error> {
    let thresholds = thresholds(&args.thresholds, args.targets.as_deref())?;
    if args.baseline.is_some() && !thresholds.is_empty() {
        // Judged against the baseline only: a threshold here would be dropped.
        return Err(Error::input(
            "--baseline compares two runs and judges no --threshold/--targets: run latency-stats without --baseline for those",
        ));
    }
    let by: Vec<String> = args.by.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let jobs = match args.jobs {
        Some(j) if (1..=MAX_JOBS).contains(&j) => j,
        Some(j) => return Err(Error::input(format!("--jobs must be between 1 and {MAX_JOBS}, got {j}"))),
        None => cores,
    };
    Ok(Options {
        files: args.files,
        by,
        include_warmup: args.include_warmup,
        thresholds,
        format: args.format,
        histograms: args.histograms,
        merge: args.merge,
        top_errors: args.top_errors,
        jobs,
        baseline: match args.baseline {
            Some(b) => Some((b, crate::compare::Tolerances::parse(&args.tolerance).map_err(Error::input)?, args.seed)),
            None => None,
        },
    })
}
