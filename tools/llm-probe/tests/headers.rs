//! Response headers llm-probe reads: Server-Timing.

use std::time::Duration;

use llm_probe::exchange::{MAX_SERVER_TIMING, parse_server_timing};

#[test]
fn server_timing_takes_total_then_app() {
    let ms = |v: f64| Some(Duration::from_secs_f64(v / 1000.0));
    assert_eq!(parse_server_timing("app;dur=12.5"), ms(12.5));
    assert_eq!(parse_server_timing("db;dur=3, app;desc=\"handler\";dur=7, total;dur=9.25"), ms(9.25));
    assert_eq!(parse_server_timing("cache;desc=hit, APP ; dur=\"4\""), ms(4.0));
    // Parts of the work are not the whole: no total, no app, no value.
    assert_eq!(parse_server_timing("db;dur=3, cfRequestDuration;dur=80"), None);
    assert_eq!(parse_server_timing("app"), None);
    assert_eq!(parse_server_timing("app;dur=-1"), None);
    assert_eq!(parse_server_timing("app;dur=NaN"), None);
    assert_eq!(parse_server_timing("app;dur=inf"), None);
    assert_eq!(parse_server_timing("app;dur=1e300"), None);
    assert_eq!(parse_server_timing(""), None);
    assert_eq!(parse_server_timing("app;dur=86400000"), Some(MAX_SERVER_TIMING));
}
