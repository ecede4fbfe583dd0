//! llm-probe's config and scenario parsers on arbitrary YAML: never panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = llm_probe::config::parse("fuzz.yaml", s, &mut |_| {});
        let _ = llm_probe::scenario::parse("fuzz.yaml", "fuzz", s);
    }
});
