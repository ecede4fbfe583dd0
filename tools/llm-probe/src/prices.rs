//! The price table: USD per million tokens for input, output, cache writes
//! and cache reads, matched by the longest model-name prefix.

use std::collections::BTreeMap;
use std::path::Path;

use navikit::Error;
use serde::Deserialize;

/// Price is one model's rates in USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Prompt tokens.
    pub input: f64,
    /// Completion tokens.
    pub output: f64,
    /// Prompt-cache writes (defaults to the input rate).
    #[serde(default)]
    pub cache_write: Option<f64>,
    /// Prompt-cache reads (defaults to the input rate).
    #[serde(default)]
    pub cache_read: Option<f64>,
}

/// Prices maps model prefixes to rates.
#[derive(Debug, Clone, Default)]
pub struct Prices(BTreeMap<String, Price>);

const DEFAULT: &str = include_str!("../prices.yaml");

/// Tokens are the counts a request is billed for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tokens {
    /// Prompt tokens (excluding cache reads and writes).
    pub input: u64,
    /// Completion tokens.
    pub output: u64,
    /// Tokens written to the cache.
    pub cache_write: u64,
    /// Tokens read from the cache.
    pub cache_read: u64,
}

impl Prices {
    /// Prices::built_in is the committed table.
    pub fn built_in() -> Prices {
        Prices::parse("built-in prices.yaml", DEFAULT).unwrap_or_default()
    }

    /// Prices::load reads a table from a file.
    pub fn load(path: &Path) -> Result<Prices, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::input(format!("cannot read prices {}: {e}", path.display())))?;
        Prices::parse(&path.display().to_string(), &text)
    }

    /// Prices::parse reads a table's text.
    pub fn parse(name: &str, text: &str) -> Result<Prices, Error> {
        let map: BTreeMap<String, Price> = serde_saphyr::from_str(text).map_err(|e| {
            Error::input(format!("{name}: {}", e.to_string().lines().next().unwrap_or("invalid price table")))
        })?;
        Ok(Prices(map))
    }

    /// Prices::for_model finds the rates for a model (`claude-sonnet-4-2025…` → `claude-sonnet-4`).
    pub fn for_model(&self, model: &str) -> Option<Price> {
        let m = model.rsplit('/').next().unwrap_or(model);
        self.0.iter().filter(|(k, _)| m.starts_with(k.as_str())).max_by_key(|(k, _)| k.len()).map(|(_, p)| *p)
    }

    /// Prices::cost is the dollar cost of a request, or None for an unknown model.
    pub fn cost(&self, model: &str, t: Tokens) -> Option<f64> {
        let p = self.for_model(model)?;
        let total = t.input as f64 * p.input
            + t.output as f64 * p.output
            + t.cache_write as f64 * p.cache_write.unwrap_or(p.input)
            + t.cache_read as f64 * p.cache_read.unwrap_or(p.input);
        Some(total / 1_000_000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_arithmetic_is_exact() {
        let p = Prices::built_in();
        let t = Tokens { input: 1000, output: 500, cache_write: 2000, cache_read: 10_000 };
        // 1000*3 + 500*15 + 2000*3.75 + 10000*0.30 = 3000 + 7500 + 7500 + 3000 = 21000 per million
        assert_eq!(p.cost("claude-sonnet-4-20250514", t), Some(0.021));
        assert_eq!(p.cost("gpt-4o-mini", Tokens { input: 1_000_000, ..Tokens::default() }), Some(0.15));
        assert_eq!(p.cost("unknown-model", t), None);
    }
}
