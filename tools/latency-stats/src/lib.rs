//! latency-stats: the plan's "analyze_performance" step as a streaming tool.
//!
//! Reads probe records, groups them (`--by`), and writes one stats record per
//! group with HDR-histogram percentiles, counts, tokens, cost, error classes,
//! normalised failure patterns and SLO verdicts. Parsing runs on every core:
//! one thread cuts the input into line-aligned chunks, workers parse them
//! into their own accumulators, and the accumulators are merged at the end,
//! which is exact for histograms and sums.

pub mod accumulate;
pub mod cli;
pub mod compare;
pub mod output;
pub mod parse;
mod read;
pub mod scan;

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use navikit::ndjson::{Input, at};
use navikit::record::{Record, Stats};
use navikit::{Error, Outcome};

use accumulate::GroupAcc;
use cli::Options;
use parse::MAX_GROUP_FIELDS;
use read::read_probes;

/// Groups maps a group key (values joined by U+001F) to its accumulator.
pub type Groups = HashMap<String, GroupAcc>;

const KEY_SEP: char = '\u{1f}';

/// run carries out one invocation and writes its output to stdout.
pub fn run(opts: &Options) -> Result<Outcome, Error> {
    if let Some((baseline, tolerances, seed)) = &opts.baseline {
        let checks = compare_runs(opts, baseline, tolerances, *seed)?;
        let mut out = navikit::ndjson::RecordWriter::stdout();
        for c in &checks {
            out.write(&Record::Check(c.clone()))?;
        }
        // A regression fails the run, and so does a comparison that judged
        // nothing (no group in both runs, every metric too thin): that is
        // not "no regression". Single metrics too thin to judge are skips,
        // shown with their reason.
        let judged = checks.iter().any(|c| c.status != navikit::record::CheckStatus::Skip);
        let regressed = checks.iter().any(|c| c.status == navikit::record::CheckStatus::Fail);
        if !judged {
            eprintln!("latency-stats: nothing could be compared (see the skip records)");
        }
        return Ok(Outcome::from_failed(regressed || !judged));
    }
    let stats = summarise(opts)?;
    let mut out = std::io::stdout().lock();
    output::write(&mut out, opts, &stats)?;
    let failed = stats.iter().any(|s| s.slo.iter().any(|v| !v.ok && !v.escalation));
    Ok(Outcome::from_failed(failed))
}

/// summarise reads the inputs and returns one stats record per group, sorted by group.
pub fn summarise(opts: &Options) -> Result<Vec<Stats>, Error> {
    Ok(accumulate_groups(opts)?
        .into_iter()
        .map(|(group, acc)| acc.to_stats(group, &opts.thresholds, opts.top_errors, opts.histograms))
        .collect())
}

/// compare_runs compares the baseline file with the inputs, group by group
/// (see [`compare`]); a group in only one run is reported as a skip.
pub fn compare_runs(
    opts: &Options,
    baseline: &str,
    tolerances: &compare::Tolerances,
    seed: u64,
) -> Result<Vec<navikit::record::Check>, Error> {
    let base_opts = Options { files: vec![baseline.to_string()], merge: holds_stats(baseline)?, ..opts.clone() };
    let base = accumulate_groups(&base_opts)?;
    let cur = accumulate_groups(opts)?;
    let mut checks = Vec::new();
    let keys: std::collections::BTreeSet<&BTreeMap<String, String>> = base.keys().chain(cur.keys()).collect();
    for key in keys {
        let label = if key.is_empty() {
            "all".to_string()
        } else {
            key.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
        };
        match (base.get(key), cur.get(key)) {
            (Some(b), Some(c)) => {
                let stand_in = c.stand_ins().first().or(b.stand_ins().first()).cloned();
                let changes = compare::compare(b, c, tolerances, seed);
                checks.extend(compare::to_checks(&label, &changes, (b.requests, c.requests), stand_in));
            }
            (b, _) => checks.push(navikit::record::Check::new(
                "latency-stats",
                "stats.compare.group",
                &label,
                navikit::record::CheckStatus::Skip,
                format!("group {label} is only in the {} run", if b.is_some() { "baseline" } else { "current" }),
            )),
        }
    }
    Ok(checks)
}

/// holds_stats says whether a file's first record is a stats record (a
/// baseline kept as `--histograms` summaries) rather than probe records.
fn holds_stats(path: &str) -> Result<bool, Error> {
    use std::io::BufRead;
    let mut reader = Input::open(path)?.into_reader();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        // One line, bounded: the first record decides, whatever follows it.
        if (&mut reader).take(1 << 20).read_until(b'\n', &mut buf)? == 0 {
            return Ok(false);
        }
        let line = navikit::ndjson::trim_line(&buf);
        if !line.is_empty() {
            return Ok(navikit::ndjson::parse_record(line).is_ok_and(|r| r.kind() == "stats"));
        }
    }
}

/// accumulate_groups reads the inputs into one accumulator per group.
pub fn accumulate_groups(opts: &Options) -> Result<BTreeMap<BTreeMap<String, String>, GroupAcc>, Error> {
    if opts.by.len() > MAX_GROUP_FIELDS {
        return Err(Error::input(format!("--by takes at most {MAX_GROUP_FIELDS} fields")));
    }
    let inputs = Input::open_all(&opts.files)?;
    let names: Vec<String> = inputs.iter().map(|i| i.name.clone()).collect();
    let (groups, skipped) =
        if opts.merge { (merge_inputs(inputs)?, BTreeMap::new()) } else { read_probes(inputs, opts)? };
    for (kind, n) in &skipped {
        eprintln!("latency-stats: ignored {n} record(s) of kind `{kind}` (only probe records are summarised)");
    }
    if groups.is_empty() {
        let what = if opts.merge { "stats" } else { "probe" };
        return Err(Error::input(format!("{}: no {what} records", names.join(", "))));
    }
    Ok(groups
        .into_iter()
        .map(|(key, acc)| {
            let group =
                if opts.merge { serde_json::from_str(&key).unwrap_or_default() } else { group_map(&opts.by, &key) };
            (group, acc)
        })
        .collect())
}

fn group_map(by: &[String], key: &str) -> BTreeMap<String, String> {
    if by.is_empty() {
        return BTreeMap::new();
    }
    by.iter().cloned().zip(key.split(KEY_SEP).map(str::to_string)).collect()
}

/// merge_inputs reads stats records and merges those of equal groups. The
/// key is the group map as canonical JSON (a BTreeMap serialises sorted).
fn merge_inputs(inputs: Vec<Input>) -> Result<Groups, Error> {
    let mut groups = Groups::new();
    for input in inputs {
        let name = input.name.clone();
        input.records(|rec, line| {
            let Record::Stats(s) = rec else {
                return Err(at(&name, line, format!("--merge reads stats records, found a {} record", rec.kind())));
            };
            let acc = GroupAcc::from_stats(&s).map_err(|why| at(&name, line, why))?;
            let key = serde_json::to_string(&s.group).map_err(|e| at(&name, line, e))?;
            groups.entry(key).or_default().merge(acc);
            Ok(())
        })?;
    }
    Ok(groups)
}
