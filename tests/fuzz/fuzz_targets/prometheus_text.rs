//! http-check's Prometheus exposition parser on arbitrary text: never panics.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(scrape) = http_check::prom::parse(s)
    {
        let _ = http_check::prom::total(&scrape, "aep_llm_calls_total");
    }
});
