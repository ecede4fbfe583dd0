//! llm-probe's SSE decoder and event reader on arbitrary bytes: never panics.
#![no_main]
use llm_probe::dialect::{DIALECTS, Usage};
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut dec = llm_probe::sse::Decoder::new(std::io::Cursor::new(data.to_vec()));
    let mut usage = Usage::default();
    while let Ok(Some(ev)) = dec.next_event() {
        for d in DIALECTS {
            let _ = d.on_event(ev.event.as_deref(), &ev.data, &mut usage);
            let _ = d.ends_answer(&ev.data);
        }
    }
});
