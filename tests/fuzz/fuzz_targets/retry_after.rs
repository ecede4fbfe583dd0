//! llm-probe's retry-after parser on arbitrary header values: never panics,
//! never waits longer than the cap.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let mid = (0..=s.len() / 2).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
        let (a, b) = s.split_at(mid);
        for (ms, secs) in [(Some(a), Some(b)), (None, Some(s)), (Some(s), None)] {
            if let Some(d) = llm_probe::exchange::parse_retry_after(ms, secs) {
                assert!(d <= llm_probe::exchange::MAX_RETRY_AFTER, "{d:?}");
            }
        }
    }
});
