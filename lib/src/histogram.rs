//! The histogram codec of `Stats.histograms`, beside the record it belongs
//! to: HDR histograms of values in thousandths of the field's unit,
//! serialised V2 + DEFLATE and base64-encoded. latency-stats writes and
//! merges them; report-md draws them. One codec, so the two cannot drift.
//!
//! Decoding is bounded by the input's real length: a header that claims a
//! larger payload than DEFLATE could expand the given bytes to is refused
//! before anything is allocated, so 100 bytes cannot ask for gigabytes.

use std::io::Read;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};

/// SCALE turns a field's unit into histogram integers (thousandths).
pub const SCALE: f64 = 1000.0;

/// V2_DEFLATE_COOKIE opens a compressed V2 histogram.
const V2_DEFLATE_COOKIE: u32 = 0x1c84_9314;
/// DEFLATE cannot expand input more than about 1032 times.
const MAX_INFLATE_RATIO: u64 = 1032;
/// MAX_ENCODED_BYTES bounds one encoded histogram (a full 3-digit histogram
/// of microseconds up to days compresses to a few kilobytes).
pub const MAX_ENCODED_BYTES: usize = 4 * 1024 * 1024;

/// encode serialises a histogram as V2 + DEFLATE, base64.
pub fn encode(h: &Histogram<u64>) -> String {
    let mut buf = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = V2DeflateSerializer::new().serialize(h, &mut buf);
    BASE64.encode(buf)
}

/// decode parses what [`encode`] made, refusing headers that claim more
/// than the input can hold.
pub fn decode(text: &str) -> Result<Histogram<u64>, String> {
    if text.len() > MAX_ENCODED_BYTES {
        return Err(format!("histogram text is {} bytes (limit {MAX_ENCODED_BYTES})", text.len()));
    }
    let bytes = BASE64.decode(text.as_bytes()).map_err(|e| format!("not base64: {e}"))?;
    check_header(&bytes)?;
    let mut h: Histogram<u64> = Deserializer::new()
        .deserialize(&mut std::io::Cursor::new(bytes))
        .map_err(|e| format!("not an HDR histogram: {e:?}"))?;
    h.auto(true);
    Ok(h)
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).and_then(|s| s.try_into().ok()).map(u32::from_be_bytes)
}

/// check_header bounds both lengths a compressed V2 histogram claims: the
/// compressed one by the bytes present, the inflated one by what DEFLATE
/// could make of them.
fn check_header(bytes: &[u8]) -> Result<(), String> {
    let cookie = be32(bytes, 0).ok_or("not an HDR histogram: too short")?;
    if cookie != V2_DEFLATE_COOKIE {
        return Err("not an HDR histogram: not V2 + DEFLATE".into());
    }
    let claimed = be32(bytes, 4).ok_or("not an HDR histogram: too short")? as usize;
    let present = bytes.len() - 8;
    if claimed > present {
        return Err(format!("histogram claims {claimed} compressed bytes, has {present}"));
    }
    let mut inner = [0u8; 8];
    flate2::read::ZlibDecoder::new(&bytes[8..8 + claimed])
        .read_exact(&mut inner)
        .map_err(|e| format!("not an HDR histogram: {e}"))?;
    let payload = u64::from(be32(&inner, 4).unwrap_or(u32::MAX));
    if payload > claimed as u64 * MAX_INFLATE_RATIO {
        return Err(format!("histogram claims a {payload}-byte payload from {claimed} compressed bytes"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_is_exact() {
        let mut h: Histogram<u64> = Histogram::new(3).expect("histogram");
        for v in [1u64, 250, 250, 10_000, 3_600_000_000] {
            h.record(v).expect("record");
        }
        let back = decode(&encode(&h)).expect("decode");
        assert_eq!(back, h);
    }

    #[test]
    fn lying_headers_are_refused() {
        let mut forged = V2_DEFLATE_COOKIE.to_be_bytes().to_vec();
        forged.extend_from_slice(&u32::MAX.to_be_bytes());
        forged.extend_from_slice(&[0u8; 16]);
        let e = decode(&BASE64.encode(&forged)).expect_err("refused");
        assert!(e.contains("claims"), "{e}");
        assert!(decode("AAAA").is_err());
        assert!(decode("not base64!").is_err());
    }
}
