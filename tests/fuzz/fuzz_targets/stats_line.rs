//! latency-stats' probe-line parsers: never panic, for any group-by, and the
//! fast scanner reads every line it accepts exactly as the serde visitor does.
#![no_main]
use latency_stats::parse::{Parsed, parse_line, parse_serde};

fn render(r: Result<Parsed<'_>, String>) -> String {
    match r {
        Ok(Parsed::Probe(view, groups)) => format!("{view:?} {groups:?}"),
        Ok(Parsed::Other(kind)) => format!("other {kind}"),
        Err(e) => format!("error {e}"),
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let by = vec!["scenario".to_string(), "ok".to_string()];
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let line = data.trim_ascii();
    assert_eq!(render(parse_line(line, &by, &mut a)), render(parse_serde(line, &by, &mut b)));
    if let Ok(Parsed::Probe(view, _)) = parse_line(line, &by, &mut a) {
        let mut acc = latency_stats::accumulate::GroupAcc::default();
        acc.add(&view, false);
    }
});
