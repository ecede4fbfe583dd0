//! llm-probe's SSE decoder and event reader on arbitrary bytes: never panics.
#![no_main]
use llm_probe::provider::{Provider, Usage, on_event};
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut dec = llm_probe::sse::Decoder::new(std::io::Cursor::new(data.to_vec()));
    let mut usage = Usage::default();
    while let Ok(Some(ev)) = dec.next_event() {
        for p in [Provider::Anthropic, Provider::OpenAi, Provider::OpenAiResponses] {
            let _ = on_event(p, ev.event.as_deref(), &ev.data, &mut usage);
        }
    }
});
