//! The threshold parser on arbitrary text: never panics, and what parses evaluates.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(t) = navikit::threshold::Threshold::parse(s)
    {
        let _ = t.holds(Some(1.0));
        let _ = t.metric.name();
    }
});
