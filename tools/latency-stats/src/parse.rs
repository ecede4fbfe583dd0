//! One probe line into a [`ProbeView`] without building a `Probe` or a
//! `serde_json::Value`: [`crate::scan`] reads the common line, and this
//! module's serde visitor every other one, errors included.
//!
//! The visitor reads only the fields latency-stats needs, pours inter-token
//! gaps into a reused buffer, and skips everything else with `IgnoredAny`. Required
//! fields (`kind`, `ok`, `latency_ms`) and field types are still checked, so
//! a bad line is reported, never silently counted.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::accumulate::ProbeView;
use navikit::threshold::Field;

/// MAX_GROUP_FIELDS bounds `--by`.
pub const MAX_GROUP_FIELDS: usize = 8;

/// Parsed is one line's contribution.
// Boxing the large variant would allocate once per record on the hot path.
#[allow(clippy::large_enum_variant)]
pub enum Parsed<'a> {
    /// A probe record, with its group-key values in `--by` order.
    Probe(ProbeView<'a>, [Option<Cow<'a, str>>; MAX_GROUP_FIELDS]),
    /// A record of another known kind (check, stats), not counted.
    Other(&'static str),
}

/// parse_line parses one line; `itl` is a reused buffer for the gaps. The
/// common line takes [`crate::scan`]'s fast path; everything else, errors
/// included, [`parse_serde`].
pub fn parse_line<'a>(line: &'a [u8], by: &[String], itl: &'a mut Vec<f64>) -> Result<Parsed<'a>, String> {
    itl.clear();
    if let Some(crate::scan::Scanned { mut parsed, itl_seen }) = crate::scan::scan(line, by, itl) {
        let itl: &'a Vec<f64> = itl;
        if let Parsed::Probe(view, _) = &mut parsed
            && itl_seen
        {
            view.itl = &itl[..];
        }
        return Ok(parsed);
    }
    parse_serde(line, by, itl)
}

/// parse_serde parses one line with the serde visitor: every shape JSON
/// allows, and the words of every error.
pub fn parse_serde<'a>(line: &'a [u8], by: &[String], itl: &'a mut Vec<f64>) -> Result<Parsed<'a>, String> {
    navikit::ndjson::check_object(line)?;
    // The contract is UTF-8 text; skipped string fields are not checked by the parser.
    std::str::from_utf8(line).map_err(|e| format!("not UTF-8: {e}"))?;
    itl.clear();
    let mut de = serde_json::Deserializer::from_slice(line);
    let out = de
        .deserialize_map(LineVisitor { by, itl_buf: itl })
        .map_err(|e| if e.is_syntax() || e.is_eof() { format!("not JSON: {e}") } else { format!("bad record: {e}") })?;
    de.end().map_err(|e| format!("not JSON: {e}"))?;
    Ok(out)
}

/// other_kind is the name of a known record kind that is not a probe.
pub(crate) fn other_kind(kind: &str) -> Option<&'static str> {
    ["check", "stats", "sample"].into_iter().find(|k| *k == kind)
}

struct LineVisitor<'b, 'a> {
    by: &'b [String],
    itl_buf: &'a mut Vec<f64>,
}

fn non_negative<E: de::Error>(name: &str, v: f64) -> Result<f64, E> {
    if v < 0.0 { Err(E::custom(format!("`{name}` is negative ({v})"))) } else { Ok(v) }
}

/// MAX_COST_USD bounds one request's cost: no LLM call costs a million
/// dollars, and the bound keeps every sum finite.
pub const MAX_COST_USD: f64 = 1e6;

/// SEEN_* mark the fields every probe record must carry (as report-md reads them).
const SEEN_PROVIDER: u8 = 1;
const SEEN_MODEL: u8 = 2;
const SEEN_SCENARIO: u8 = 4;

impl<'de: 'a, 'a> Visitor<'de> for LineVisitor<'_, 'a> {
    type Value = Parsed<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a probe record object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let mut view = ProbeView::default();
        let mut groups: [Option<Cow<'a, str>>; MAX_GROUP_FIELDS] = Default::default();
        let mut kind: Option<Cow<'a, str>> = None;
        let mut ok = None;
        let mut latency = None;
        let mut itl_seen = false;
        let mut seen = 0u8;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let key: &str = &key;
            if let Some(j) = self.by.iter().position(|b| b == key) {
                let GroupValue(v) = map.next_value()?;
                groups[j] = Some(v);
                let value = groups[j].as_deref().unwrap_or_default();
                match key {
                    "provider" => {
                        view.provider = groups[j].clone();
                        seen |= SEEN_PROVIDER;
                    }
                    "model" => {
                        view.model = groups[j].clone();
                        seen |= SEEN_MODEL;
                    }
                    "scenario" => seen |= SEEN_SCENARIO,
                    "ts" => view.ts = groups[j].clone(),
                    "target" => view.target = groups[j].clone(),
                    "stand_in" => view.stand_in = groups[j].clone().filter(|v| !v.is_empty()),
                    "ok" => ok = Some(value == "true"),
                    "warmup" => view.warmup = value == "true",
                    _ => {}
                }
                continue;
            }
            match key {
                "kind" => {
                    let k = map.next_value::<Cow<'de, str>>()?;
                    // Another kind's fields are not a probe's (a stats record's
                    // `ok` is a count): skip the rest unread.
                    if let Some(other) = other_kind(&k) {
                        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                        return Ok(Parsed::Other(other));
                    }
                    kind = Some(k);
                }
                "ok" => ok = Some(map.next_value::<bool>()?),
                "warmup" => view.warmup = map.next_value::<Option<bool>>()?.unwrap_or(false),
                "latency_ms" => latency = Some(non_negative("latency_ms", map.next_value::<f64>()?)?),
                "itl_ms" => {
                    map.next_value_seed(GapsSeed(&mut *self.itl_buf))?;
                    itl_seen = true;
                }
                "input_tokens" => view.tokens[0] = map.next_value()?,
                "output_tokens" => view.tokens[1] = map.next_value()?,
                "cache_creation_input_tokens" => view.tokens[2] = map.next_value()?,
                "cache_read_input_tokens" => view.tokens[3] = map.next_value()?,
                "tokens_estimated" => view.tokens_estimated = map.next_value::<Option<bool>>()?.unwrap_or(false),
                "cost_usd" => {
                    let c: Option<f64> = map.next_value()?;
                    view.cost_usd = c.map(|c| non_negative("cost_usd", c)).transpose()?;
                    if view.cost_usd.is_some_and(|c| c > MAX_COST_USD) {
                        return Err(de::Error::custom(format!("`cost_usd` is over {MAX_COST_USD} dollars")));
                    }
                }
                "ts" => view.ts = Some(map.next_value::<Cow<'de, str>>()?),
                "seq" => {
                    map.next_value::<u64>()?;
                }
                "scenario" => {
                    map.next_value::<Cow<'de, str>>()?;
                    seen |= SEEN_SCENARIO;
                }
                "provider" => {
                    view.provider = Some(map.next_value::<Cow<'de, str>>()?);
                    seen |= SEEN_PROVIDER;
                }
                "model" => {
                    view.model = Some(map.next_value::<Cow<'de, str>>()?);
                    seen |= SEEN_MODEL;
                }
                "target" => view.target = Some(map.next_value::<Cow<'de, str>>()?),
                "stand_in" => view.stand_in = map.next_value::<Option<Cow<'de, str>>>()?,
                "error" => {
                    let e: Option<ErrorView<'de>> = map.next_value()?;
                    view.error = e.map(|e| (e.class, e.message));
                }
                other => {
                    if let Some(idx) = Field::ALL.iter().position(|f| f.record_name() == other && *f != Field::Itl) {
                        let v: Option<f64> = map.next_value()?;
                        view.values[idx] = v.map(|v| non_negative(other, v)).transpose()?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
        }
        match kind.as_deref() {
            Some("probe") => {}
            Some(other) if other_kind(other).is_some() => return Ok(Parsed::Other(other_kind(other).unwrap_or("?"))),
            Some(other) => return Err(de::Error::custom(format!("unknown record kind `{other}`"))),
            None => return Err(de::Error::missing_field("kind")),
        }
        view.ok = ok.ok_or_else(|| de::Error::missing_field("ok"))?;
        for (bit, name) in [(SEEN_PROVIDER, "provider"), (SEEN_MODEL, "model"), (SEEN_SCENARIO, "scenario")] {
            if seen & bit == 0 {
                return Err(de::Error::missing_field(name));
            }
        }
        let ts = view.ts.as_deref().ok_or_else(|| de::Error::missing_field("ts"))?;
        chrono::DateTime::parse_from_rfc3339(ts)
            .map_err(|e| de::Error::custom(format!("`ts` is not an RFC 3339 time ({e})")))?;
        let latency = latency.ok_or_else(|| de::Error::missing_field("latency_ms"))?;
        view.values[0] = Some(latency);
        if itl_seen {
            view.itl = &self.itl_buf[..];
        }
        Ok(Parsed::Probe(view, groups))
    }
}

#[derive(Deserialize)]
struct ErrorView<'a> {
    #[serde(borrow, default = "unknown_class")]
    class: Cow<'a, str>,
    #[serde(borrow, default)]
    message: Cow<'a, str>,
}

fn unknown_class() -> Cow<'static, str> {
    Cow::Borrowed("unknown")
}

struct GapsSeed<'a>(&'a mut Vec<f64>);

impl<'de> DeserializeSeed<'de> for GapsSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for GapsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of non-negative numbers")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        while let Some(v) = seq.next_element::<f64>()? {
            self.0.push(non_negative("itl_ms", v)?);
        }
        Ok(())
    }
}

/// GroupValue reads any scalar as a group key (strings borrowed when possible).
struct GroupValue<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for GroupValue<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(if v { "true" } else { "false" }))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(""))
            }
        }
        d.deserialize_any(V).map(GroupValue)
    }
}
