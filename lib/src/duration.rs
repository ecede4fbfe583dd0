//! Durations as people write them on command lines: `500ms`, `30s`, `2m`,
//! `1h`, `1.5s`; a bare number is seconds.

use std::time::Duration;

/// parse reads a duration such as `30s` or `250ms`.
pub fn parse(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let end = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(end);
    let value: f64 = num.parse().map_err(|_| format!("`{text}` is not a duration (write 500ms, 30s, 2m)"))?;
    let secs = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "us" | "µs" => value / 1e6,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        "d" => value * 86400.0,
        other => return Err(format!("unknown unit `{other}` in `{text}` (use ms, s, m, h or d)")),
    };
    Duration::try_from_secs_f64(secs).map_err(|_| format!("`{text}` is out of range"))
}

/// flag reads a duration given to `--<name>`, as a usage error naming the flag.
pub fn flag(name: &str, text: &str) -> Result<Duration, crate::Error> {
    parse(text).map_err(|e| crate::Error::input(format!("--{name}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert!(parse("5 parsecs").unwrap_err().contains("unknown unit"));
        assert!(parse("fast").is_err());
    }
}
