//! The stats histogram codec on arbitrary text and on mutated real
//! encodings: never panics, never allocates what a header merely claims.
#![no_main]
use base64::Engine;
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = navikit::histogram::decode(s);
    }
    // Raw bytes as the decoded payload, base64-encoded, reach the header checks.
    let _ = navikit::histogram::decode(&base64::engine::general_purpose::STANDARD.encode(data));
});
