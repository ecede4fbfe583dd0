//! pg-check's database URL parser and Fernet token check: never panic, never echo a password.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(t) = pg_check::conn::Target::from_url(s, None) {
            let shown = t.display();
            if let Some(pw) = t.password().filter(|p| p.len() > 3) {
                assert!(!shown.contains(&format!(":{pw}@")), "password shown");
            }
        }
        let _ = pg_check::fernet_token::well_formed(s);
    }
});
