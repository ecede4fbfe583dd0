//! llm-probe's response-header parsers (retry-after, Server-Timing) on
//! arbitrary header values: never panic, never exceed their caps.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Some(d) = llm_probe::exchange::parse_server_timing(s) {
            assert!(d <= llm_probe::exchange::MAX_SERVER_TIMING, "{d:?}");
        }
        let mid = (0..=s.len() / 2).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
        let (a, b) = s.split_at(mid);
        for (ms, secs) in [(Some(a), Some(b)), (None, Some(s)), (Some(s), None)] {
            if let Some(d) = llm_probe::exchange::parse_retry_after(ms, secs) {
                assert!(d <= llm_probe::exchange::MAX_RETRY_AFTER, "{d:?}");
            }
        }
    }
});
