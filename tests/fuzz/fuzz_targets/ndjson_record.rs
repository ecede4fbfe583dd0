//! The NDJSON record reader on arbitrary lines: never panics.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = navikit::ndjson::parse_record(data);
    let input = navikit::ndjson::Input::from_reader("fuzz", std::io::Cursor::new(data.to_vec()));
    let _ = input.records(|_, _| Ok(()));
});
