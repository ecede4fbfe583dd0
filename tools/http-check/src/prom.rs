//! A parser for the Prometheus text exposition format (0.0.4): comments,
//! `# HELP`/`# TYPE` lines, and samples `name{label="value",…} value
//! [timestamp]` with escaped label values. Written here because the crates
//! that parse it are unmaintained; fuzzed in tests/fuzz.

use std::collections::BTreeMap;

/// Sample is one line of a scrape.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Metric name.
    pub name: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Value.
    pub value: f64,
}

fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// parse_value reads a sample value; Rust's float syntax already takes the
/// exposition format's `+Inf`, `-Inf` and `NaN` (any case, optional sign).
fn parse_value(s: &str) -> Option<f64> {
    s.parse().ok()
}

fn parse_labels(s: &str) -> Result<(BTreeMap<String, String>, &str), String> {
    let mut labels = BTreeMap::new();
    let mut rest = s;
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix('}') {
            return Ok((labels, r));
        }
        let eq = rest.find('=').ok_or("label without `=`")?;
        let name = rest[..eq].trim();
        if !valid_name(name) {
            return Err(format!("bad label name `{name}`"));
        }
        rest = rest[eq + 1..].trim_start().strip_prefix('"').ok_or("label value must be quoted")?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next() {
                Some((i, '"')) => break i,
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c @ ('\\' | '"'))) => value.push(c),
                    _ => return Err("bad escape in label value".into()),
                },
                Some((_, c)) => value.push(c),
                None => return Err("unterminated label value".into()),
            }
        };
        labels.insert(name.to_string(), value);
        rest = rest[end + 1..].trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

/// Scrape is a parsed exposition: its samples and the families it declares
/// (a counter with no samples yet is declared by its `# TYPE` line).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scrape {
    /// Samples in order.
    pub samples: Vec<Sample>,
    /// Names from `# HELP` and `# TYPE` lines.
    pub families: std::collections::BTreeSet<String>,
}

/// parse reads a whole scrape; an error names the line.
pub fn parse(text: &str) -> Result<Scrape, String> {
    let mut out = Vec::new();
    let mut families = std::collections::BTreeSet::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let at = |why: String| format!("line {}: {why}", i + 1);
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let mut parts = comment.split_whitespace();
            match parts.next() {
                Some("HELP") => {
                    let n = parts
                        .next()
                        .filter(|n| valid_name(n))
                        .ok_or_else(|| at("# HELP without a metric name".into()))?;
                    families.insert(n.to_string());
                }
                Some("TYPE") => {
                    let n = parts
                        .next()
                        .filter(|n| valid_name(n))
                        .ok_or_else(|| at("# TYPE without a metric name".into()))?;
                    families.insert(n.to_string());
                    let kind = parts.next().unwrap_or_default();
                    if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                        return Err(at(format!("unknown metric type `{kind}`")));
                    }
                }
                _ => {}
            }
            continue;
        }
        let name_end =
            line.find(|c: char| c == '{' || c.is_whitespace()).ok_or_else(|| at("sample without a value".into()))?;
        let name = &line[..name_end];
        if !valid_name(name) {
            return Err(at(format!("bad metric name `{name}`")));
        }
        let (labels, rest) = match line[name_end..].strip_prefix('{') {
            Some(r) => parse_labels(r).map_err(at)?,
            None => (BTreeMap::new(), &line[name_end..]),
        };
        let mut fields = rest.split_whitespace();
        let value = fields.next().and_then(parse_value).ok_or_else(|| at("missing or bad sample value".into()))?;
        if let Some(ts) = fields.next() {
            ts.parse::<i64>().map_err(|_| at(format!("bad timestamp `{ts}`")))?;
        }
        if fields.next().is_some() {
            return Err(at("trailing text after the sample".into()));
        }
        out.push(Sample { name: name.to_string(), labels, value });
    }
    Ok(Scrape { samples: out, families })
}

/// total sums every sample of a series; a declared family without samples is 0.
pub fn total(scrape: &Scrape, name: &str) -> Option<f64> {
    let values: Vec<f64> = scrape.samples.iter().filter(|s| s.name == name).map(|s| s.value).collect();
    if values.is_empty() {
        return scrape.families.contains(name).then_some(0.0);
    }
    Some(values.iter().sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exposition_text() {
        let text = "# HELP x_total Things.\n# TYPE x_total counter\nx_total{a=\"1\",b=\"q\\\"uote\\n\"} 3\nx_total{a=\"2\"} 4 1700000000000\nup 1\nh_bucket{le=\"+Inf\"} +Inf\n";
        let s = parse(text).unwrap();
        assert_eq!(s.samples.len(), 4);
        assert_eq!(s.samples[0].labels["b"], "q\"uote\n");
        assert_eq!(total(&s, "x_total"), Some(7.0));
        assert_eq!(total(&s, "missing"), None);
        let declared = parse("# TYPE calls_total counter\n").unwrap();
        assert_eq!(total(&declared, "calls_total"), Some(0.0));
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(parse("ok 1\n9bad 1\n").unwrap_err(), "line 2: bad metric name `9bad`");
        assert!(parse("x{a=1} 2").unwrap_err().contains("quoted"));
        assert!(parse("x{a=\"1\" 2").unwrap_err().contains("line 1"));
        assert!(parse("x one").unwrap_err().contains("bad sample value"));
        assert!(parse("# TYPE x bogus").unwrap_err().contains("unknown metric type"));
    }

    #[test]
    fn help_lines_declare_a_family_and_need_a_valid_name() {
        let declared = parse("# HELP calls_total Calls made.\n").unwrap();
        assert!(declared.families.contains("calls_total"), "{declared:?}");
        assert_eq!(total(&declared, "calls_total"), Some(0.0));
        assert_eq!(parse("up 1\n# HELP\n").unwrap_err(), "line 2: # HELP without a metric name");
        assert_eq!(parse("# HELP 9lives Lives.\n").unwrap_err(), "line 1: # HELP without a metric name");
        // Any other comment is only a comment.
        assert_eq!(parse("# a note\n# EOF\n").unwrap(), Scrape::default());
    }

    #[test]
    fn metric_names_follow_the_prometheus_rule() {
        for good in ["up", "_private", ":recorded", "job:rate5m", "a_b:c9"] {
            assert!(valid_name(good), "{good} is a valid name");
        }
        for bad in ["", "9lives", "a-b", "a.b", "a b", "é"] {
            assert!(!valid_name(bad), "{bad} is not a valid name");
        }
        let s = parse("_hidden 1\n:recorded 2\njob:rate5m 3\n").unwrap();
        assert_eq!(
            s.samples.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(),
            ["_hidden", ":recorded", "job:rate5m"]
        );
        assert_eq!(parse("a-b 1\n").unwrap_err(), "line 1: bad metric name `a-b`");
    }

    #[test]
    fn special_values_parse_as_prometheus_spells_them() {
        assert_eq!(parse_value("+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_value("Inf"), Some(f64::INFINITY));
        assert_eq!(parse_value("-Inf"), Some(f64::NEG_INFINITY));
        assert!(parse_value("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_value("1e3"), Some(1000.0));
        assert_eq!(parse_value("many"), None);
    }
}
