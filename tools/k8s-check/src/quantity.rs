//! Kubernetes resource quantities: CPU in cores (`250m`, `1`, `1500000n`)
//! and memory in MiB (`512Mi`, `2Gi`, `1048576Ki`, `1G`, plain bytes).

/// cpu_cores parses a CPU quantity.
pub fn cpu_cores(q: &str) -> Option<f64> {
    let q = q.trim();
    let (num, scale) = if let Some(n) = q.strip_suffix('n') {
        (n, 1e-9)
    } else if let Some(u) = q.strip_suffix('u') {
        (u, 1e-6)
    } else if let Some(m) = q.strip_suffix('m') {
        (m, 1e-3)
    } else {
        (q, 1.0)
    };
    num.parse::<f64>().ok().map(|v| v * scale)
}

/// memory_mib parses a memory quantity.
pub fn memory_mib(q: &str) -> Option<f64> {
    let q = q.trim();
    const UNITS: [(&str, f64); 10] = [
        ("Ki", 1024.0),
        ("Mi", 1024.0 * 1024.0),
        ("Gi", 1024.0 * 1024.0 * 1024.0),
        ("Ti", 1024.0 * 1024.0 * 1024.0 * 1024.0),
        ("k", 1e3),
        ("K", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("m", 1e-3),
    ];
    for (suffix, factor) in UNITS {
        if let Some(n) = q.strip_suffix(suffix) {
            return n.parse::<f64>().ok().map(|v| v * factor / (1024.0 * 1024.0));
        }
    }
    q.parse::<f64>().ok().map(|v| v / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_parse() {
        assert_eq!(cpu_cores("250m"), Some(0.25));
        assert_eq!(cpu_cores("2"), Some(2.0));
        assert!((cpu_cores("1500000n").unwrap() - 0.0015).abs() < 1e-12);
        assert_eq!(memory_mib("512Mi"), Some(512.0));
        assert_eq!(memory_mib("2Gi"), Some(2048.0));
        assert_eq!(memory_mib("1048576Ki"), Some(1024.0));
        assert_eq!(memory_mib("x"), None);
    }
}
