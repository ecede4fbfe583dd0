//! The fast scanner against the serde visitor: on every line, `parse_line`
//! (scanner first) and `parse_serde` give the same view, groups, kind or
//! error, bit for bit; and the scanner does take the common lines.

use latency_stats::parse::{Parsed, parse_line, parse_serde};
use latency_stats::scan::scan;
use navi_testkit::synth::{Rng, Shape, probe_line};

fn render(r: Result<Parsed<'_>, String>) -> String {
    match r {
        Ok(Parsed::Probe(view, groups)) => format!("{view:?} {groups:?}"),
        Ok(Parsed::Other(kind)) => format!("other {kind}"),
        Err(e) => format!("error {e}"),
    }
}

fn both(line: &str, by: &[String]) -> (String, String) {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let fast = render(parse_line(line.trim().as_bytes(), by, &mut a));
    let slow = render(parse_serde(line.trim().as_bytes(), by, &mut b));
    (fast, slow)
}

fn scanned(line: &str, by: &[String]) -> bool {
    scan(line.as_bytes(), by, &mut Vec::new()).is_some()
}

fn bys() -> Vec<Vec<String>> {
    let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        v(&[]),
        v(&["scenario"]),
        v(&["scenario", "ok"]),
        v(&["status", "model", "warmup"]),
        v(&["stand_in", "provider", "ts", "target", "seq"]),
        v(&["kind"]),
    ]
}

#[test]
fn synthetic_lines_take_the_fast_path_and_agree() {
    let mut rng = Rng::new(5);
    let mut line = String::new();
    for shape in [Shape::WithGaps, Shape::Flat] {
        for i in 0..3000 {
            probe_line(&mut rng, i, shape, &mut line);
            for by in &bys()[..5] {
                assert!(scanned(&line, by), "the scanner gave up on {line}");
                let (fast, slow) = both(&line, by);
                assert_eq!(fast, slow, "{line}");
            }
        }
    }
}

const BASE: &str = r#"{"kind":"probe","ts":"2026-02-07T10:00:00.123Z","provider":"openai","model":"m","scenario":"s","ok":true,"latency_ms":12.5}"#;

/// with replaces BASE's `"latency_ms":12.5}` tail by `tail`.
fn with(tail: &str) -> String {
    BASE.replace(r#""latency_ms":12.5}"#, tail)
}

#[test]
fn edge_lines_agree_with_serde() {
    let lines = [
        BASE.to_string(),
        with(r#""latency_ms":12}"#),
        with(r#""latency_ms":0}"#),
        with(r#""latency_ms":0.0}"#),
        with(r#""latency_ms":1e3}"#),
        with(r#""latency_ms":1E+2,"ttft_ms":2.5e-3}"#),
        with(r#""latency_ms":123456789012345678}"#),
        with(r#""latency_ms":1234567890123456789}"#),
        with(r#""latency_ms":0.1234567890123456789}"#),
        with(r#""latency_ms":9007199254740993.0}"#),
        with(r#""latency_ms":3.0e22,"cost_usd":1e23}"#),
        with(r#""latency_ms":1e-22,"tpot_ms":1e-23}"#),
        with(r#""latency_ms":-0.0}"#),
        with(r#""latency_ms":-1}"#),
        with(r#""latency_ms":01}"#),
        with(r#""latency_ms":1.}"#),
        with(r#""latency_ms":.5}"#),
        with(r#""latency_ms":"12"}"#),
        with(r#""latency_ms":null}"#),
        with(r#""latency_ms":12.5,"itl_ms":[]}"#),
        with(r#""latency_ms":12.5,"itl_ms":null}"#),
        with(r#""latency_ms":12.5,"itl_ms":[1,2.5, 3e1 ]}"#),
        with(r#""latency_ms":12.5,"itl_ms":[1,-2]}"#),
        with(r#""latency_ms":12.5,"itl_ms":[1,]}"#),
        with(r#""latency_ms":12.5,"itl_ms":[1],"itl_ms":[2]}"#),
        with(r#""latency_ms":12.5,"input_tokens":5,"output_tokens":null,"cache_read_input_tokens":2.0}"#),
        with(r#""latency_ms":12.5,"input_tokens":-5}"#),
        with(r#""latency_ms":12.5,"seq":"7"}"#),
        with(r#""latency_ms":12.5,"seq":7.5}"#),
        with(r#""latency_ms":12.5,"cost_usd":1000001}"#),
        with(r#""latency_ms":12.5,"cost_usd":null,"warmup":null,"tokens_estimated":true}"#),
        with(r#""latency_ms":12.5,"warmup":"yes"}"#),
        with(r#""latency_ms":12.5,"stand_in":"llm-sim","target":"http://x"}"#),
        with(r#""latency_ms":12.5,"stand_in":""}"#),
        with(r#""latency_ms":12.5,"stand_in":null}"#),
        with(r#""latency_ms":12.5,"extra":{"a":[1,{"b":null}],"c":"d"},"more":[true,false]}"#),
        with(r#""latency_ms":12.5,"extra":{"a":[1,{"b":null}],"c":"d"]}"#),
        with(r#""latency_ms":12.5,"extra":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}"#),
        with(r#""latency_ms":12.5,"note":"say \"hi\""}"#),
        with(r#""latency_ms":12.5,"note":"caf\u00e9"}"#),
        with(r#""latency_ms":12.5,"note":"café"}"#),
        with(r#""latency_ms":12.5,"l\u0061tency_ms":3}"#),
        with(r#""latency_ms":12.5,"ok":false,"error":{"class":"io","message":"reset"}}"#),
        with(r#""latency_ms":12.5,"ok":false,"error":{"message":"reset","code":5}}"#),
        with(r#""latency_ms":12.5,"ok":false,"error":{}}"#),
        with(r#""latency_ms":12.5,"ok":false,"error":null}"#),
        with(r#""latency_ms":12.5,"ok":false,"error":{"class":"a","class":"b"}}"#),
        with(r#""latency_ms":12.5,"ok":false,"error":{"class":null}}"#),
        with(r#""latency_ms":12.5,"ok":false,"error":["io","reset"]}"#),
        with(r#""latency_ms":12.5,"ok":false,"error":{"message":"HTTP 429 \"slow down\""}}"#),
        with(r#""latency_ms":12.5 , "ok" : 1 }"#),
        with(r#""latency_ms" : 12.5 , "ttft_ms" :1e22, "output_tokens_per_s": 3.0e-21 ,"ok" : true }"#),
        with(r#""latency_ms":12.5}  "#),
        with(r#""latency_ms":12.5}x"#),
        with(r#""latency_ms":12.5,}"#),
        with(r#""latency_ms":12.5,"status":200,"service_ms":3,"ttft_any_ms":1,"output_tokens_per_s":4.25}"#),
        with(r#""latency_ms":12.5,"kind":"stats","ok":5}"#),
        with(r#""latency_ms":12.5,"kind":"banana"}"#),
        BASE.replace(r#""kind":"probe","#, ""),
        BASE.replace(r#""model":"m","#, ""),
        BASE.replace(r#""ok":true,"#, ""),
        BASE.replace(r#""ts":"2026-02-07T10:00:00.123Z","#, ""),
        BASE.replace(r#""kind":"probe""#, r#""kind":"check","status":"pass""#),
        BASE.replace(r#""kind":"probe""#, r#""kind":"sample","x":[1,2]"#),
        r#"{"kind":"stats","ok":5,"group":{}}"#.to_string(),
        r#"{}"#.to_string(),
        r#"[1]"#.to_string(),
        r#"{"kind":"probe""#.to_string(),
    ];
    let times = [
        "2024-02-29T23:59:59Z",
        "2023-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-12-31T23:59:59.999999999Z",
        "2026-12-31T23:59:59.9999999999Z",
        "2026-12-31T23:59:60Z",
        "2026-12-31T24:00:00Z",
        "2026-12-31T10:00:00+02:00",
        "2026-12-31t10:00:00z",
        "2026-12-31T10:00:00.Z",
        "2026-13-01T10:00:00Z",
        "1900-02-29T10:00:00Z",
        "2000-02-29T10:00:00Z",
        "26-12-31T10:00:00Z",
    ];
    let mut all: Vec<String> = lines.to_vec();
    for t in times {
        all.push(BASE.replace("2026-02-07T10:00:00.123Z", t));
    }
    for line in &all {
        for by in bys() {
            let (fast, slow) = both(line, &by);
            assert_eq!(fast, slow, "{line} by {by:?}");
        }
    }
    // The plain lines do take the fast path.
    for line in [&all[0], &all[1], &all[4], &all[20], &all[35], &all[40], &all[42]] {
        assert!(scanned(line, &[]), "{line}");
    }
    // Spaces between tokens, exact exponents, other kinds and real calendar
    // times take it too.
    let spaced = all.iter().find(|l| l.contains(r#""latency_ms" : 12.5"#)).expect("the spaced line");
    assert!(scanned(spaced, &[]), "{spaced}");
    let sample = all.iter().find(|l| l.contains(r#""kind":"sample""#)).expect("the sample line");
    assert!(scanned(sample, &[]), "{sample}");
    for t in ["2024-02-29T23:59:59Z", "2026-12-31T23:59:59.999999999Z", "2000-02-29T10:00:00Z"] {
        let line = BASE.replace("2026-02-07T10:00:00.123Z", t);
        assert!(scanned(&line, &[]), "{line}");
    }
    assert!(!scanned(&format!(" {BASE}"), &[]), "an untrimmed line is serde's");
    // And the unusual ones go to serde.
    for line in [&all[7], &all[12], &all[38], &all[39]] {
        assert!(!scanned(line, &[]), "{line}");
    }
}

#[test]
fn damaged_lines_agree_with_serde() {
    // Every synthetic line with one byte replaced, at each position in turn:
    // whatever the scanner accepts, serde reads the same way.
    let mut rng = Rng::new(9);
    let mut line = String::new();
    let bytes: &[u8] = b"{}[],:\"\\0123456789.-+eEtrufalsn x";
    for i in 0..40 {
        probe_line(&mut rng, i, if i % 2 == 0 { Shape::WithGaps } else { Shape::Flat }, &mut line);
        for pos in 0..line.len() {
            let mut damaged = line.clone().into_bytes();
            damaged[pos] = bytes[(pos + i as usize) % bytes.len()];
            let Ok(text) = String::from_utf8(damaged) else { continue };
            let (fast, slow) = both(&text, &[]);
            assert_eq!(fast, slow, "{text}");
        }
    }
}

#[test]
fn every_field_has_its_key() {
    use latency_stats::scan::{Key, key_of};
    use navikit::threshold::Field;
    for (idx, f) in Field::ALL.iter().enumerate() {
        let want = match f {
            Field::Latency => Key::Latency,
            Field::Itl => Key::Itl,
            _ => Key::Value(idx),
        };
        assert_eq!(key_of(f.record_name().as_bytes()), want, "{f:?}");
    }
    assert_eq!(key_of(b"latency_mz"), Key::Other);
    assert_eq!(key_of(b""), Key::Other);
}
