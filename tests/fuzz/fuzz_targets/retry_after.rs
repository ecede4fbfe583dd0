//! llm-probe's retry-after parser on arbitrary header values: never panics,
//! never waits longer than the cap.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let (a, b) = s.split_at(s.len() / 2);
        for (ms, secs) in [(Some(a), Some(b)), (None, Some(s)), (Some(s), None)] {
            if let Some(d) = llm_probe::exchange::parse_retry_after(ms, secs) {
                assert!(d <= llm_probe::exchange::MAX_RETRY_AFTER, "{d:?}");
            }
        }
    }
});
