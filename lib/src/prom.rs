//! Prometheus text exposition helpers shared by the tools that write
//! textfiles (latency-stats, report-md).

/// escape_label escapes a label value as the exposition format requires.
pub fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotes_backslashes_and_newlines_are_escaped() {
        assert_eq!(super::escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
