//! navikit::redact on arbitrary text, as servers send it back in messages
//! and `Location` headers: never panics, and a secret-named query parameter
//! planted in a URL never survives, whatever surrounds it.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let _ = navikit::redact::redact_text(s);
    let _ = navikit::redact::redact_url(s);
    let mid = (0..=s.len() / 2).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
    let (a, b) = s.split_at(mid);
    // Quoting would end the value early; the planted secret must be ours.
    if a.contains(['"', '\'', '<', '>', '`', '}', ')']) || s.contains("PLANTEDSECRET42") {
        return;
    }
    // Planted after each separator a query or fragment may use.
    let sep = ["&", ";", "#", "?", "\\u0026"][usize::from(data.first().copied().unwrap_or(0)) % 5];
    let url = format!("https://h.example/p?{a}{sep}token=PLANTEDSECRET42&{b}");
    let shown = navikit::redact::redact_url(&url);
    assert!(!shown.contains("PLANTEDSECRET42"), "{shown}");
});
