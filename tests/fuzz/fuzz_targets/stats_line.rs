//! latency-stats' fast probe-line parser: never panics, for any group-by.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let by = vec!["scenario".to_string(), "ok".to_string()];
    let mut itl = Vec::new();
    if let Ok(latency_stats::parse::Parsed::Probe(view, _)) = latency_stats::parse::parse_line(data, &by, &mut itl) {
        let mut acc = latency_stats::accumulate::GroupAcc::default();
        acc.add(&view, false);
    }
});
