//! The fast path of [`crate::parse::parse_line`]: a byte scanner for the
//! common probe line — UTF-8 without control bytes, no escapes in its
//! strings, plain numbers — that reads the fields latency-stats needs in one pass.
//!
//! It only ever accepts: anything unusual (an escape, a control byte, a
//! float where a count belongs, a negative number, any syntax error, a
//! nesting deeper than [`MAX_DEPTH`]) makes it give up with `None`, and the
//! caller parses the line again with the serde visitor, which reports the
//! exact error or reads the rare shape. So a line's result never depends on
//! which path read it: the unit tests and the `stats_line` fuzz target
//! compare the two on every line the scanner accepts.
//!
//! Why a second reader: the serde visitor spent most of latency-stats' time
//! per record (see docs/benchmarks.md); this one skips the fields it does
//! not keep with a byte loop and reads numbers the way serde_json does
//! (significand then one multiplication or division by an exact power of
//! ten), so the values are bit-identical.

use std::borrow::Cow;

use crate::accumulate::ProbeView;
use crate::parse::{MAX_COST_USD, MAX_GROUP_FIELDS, Parsed, other_kind};
use navikit::threshold::Field;

/// MAX_DEPTH bounds the nesting the scanner skips; deeper lines go to serde.
const MAX_DEPTH: u32 = 32;

/// POW10 holds the powers of ten a double represents exactly.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// Number is a JSON number as the scanner read it.
#[derive(Clone, Copy)]
enum Number {
    /// A non-negative integer without fraction or exponent.
    Int(u64),
    /// Anything else, already converted.
    Float(f64),
}

impl Number {
    fn as_f64(self) -> f64 {
        match self {
            Number::Int(n) => n as f64,
            Number::Float(f) => f,
        }
    }
}

/// Value is one scalar value (or a skipped compound one).
enum Value<'a> {
    Str(&'a str),
    Num(Number),
    Bool(bool),
    Null,
    /// An object or array, skipped and validated.
    Compound,
}

/// Scanned is what the scanner read: the caller attaches the gaps buffer.
pub struct Scanned<'a> {
    /// The line's contribution, with `itl` still empty.
    pub parsed: Parsed<'a>,
    /// Whether `itl_ms` was present (its gaps are in the buffer).
    pub itl_seen: bool,
}

struct Cursor<'a> {
    /// The line, checked to be UTF-8 without control bytes.
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    /// ws skips spaces (the only whitespace left: tabs and line ends are
    /// control bytes, which send the line to serde).
    fn ws(&mut self) {
        while self.b.get(self.i) == Some(&b' ') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// more reads what follows a member or element: `,` (another comes:
    /// true) or the closing `close` (false); anything else gives up.
    fn more(&mut self, close: u8) -> Option<bool> {
        self.ws();
        let c = self.peek()?;
        self.i += 1;
        match c {
            b',' => Some(true),
            c if c == close => Some(false),
            _ => None,
        }
    }

    /// string reads a string without escapes (the opening quote is next).
    fn string(&mut self) -> Option<&'a str> {
        let start = self.i + 1;
        let end = start + quote_or_backslash(self.b.get(start..)?)?;
        // An escape is serde's job.
        if self.b[end] != b'"' {
            return None;
        }
        self.i = end + 1;
        self.s.get(start..end)
    }

    /// number reads a JSON number, giving up on negatives and on
    /// significands or exponents the exact path does not cover.
    fn number(&mut self) -> Option<Number> {
        let mut m: u64 = 0;
        let mut count = 0u32;
        match self.peek()? {
            b'0' => {
                self.i += 1;
                count = 1;
            }
            b'1'..=b'9' => {
                self.digits(&mut m, &mut count)?;
            }
            _ => return None,
        }
        let mut exp: i32 = 0;
        let mut plain = true;
        if self.peek() == Some(b'.') {
            plain = false;
            self.i += 1;
            let run = self.digits(&mut m, &mut count)?;
            if run == 0 {
                return None;
            }
            exp = -(run as i32);
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            plain = false;
            self.i += 1;
            let negative = match self.peek()? {
                b'-' => {
                    self.i += 1;
                    true
                }
                b'+' => {
                    self.i += 1;
                    false
                }
                _ => false,
            };
            let (mut e, mut n) = (0u64, 0u32);
            let run = self.digits(&mut e, &mut n)?;
            if run == 0 {
                return None;
            }
            let e = i32::try_from(e).ok().filter(|e| *e <= 400)?;
            exp += if negative { -e } else { e };
        }
        if plain {
            return Some(Number::Int(m));
        }
        // serde_json's own conversion: the significand as a double, then one
        // power of ten. Only powers to 10^22 are exact doubles: the rare
        // larger exponent is left to serde.
        let pow = *POW10.get(exp.unsigned_abs() as usize)?;
        let f = m as f64;
        Some(Number::Float(if exp >= 0 { f * pow } else { f / pow }))
    }

    /// digits appends the run of digits at the cursor to `m` and returns its
    /// length; `None` once `count` passes 18 digits (beyond exact u64 work).
    fn digits(&mut self, m: &mut u64, count: &mut u32) -> Option<usize> {
        let start = self.i;
        while let Some(&c) = self.b.get(self.i) {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            // Wrapping: a run too long to be exact is given up below anyway.
            *m = m.wrapping_mul(10).wrapping_add(u64::from(d));
            self.i += 1;
        }
        let run = self.i - start;
        *count += u32::try_from(run).ok()?;
        (*count <= 18).then_some(run)
    }

    /// key reads an object key without escapes, as bytes.
    fn key(&mut self) -> Option<&'a [u8]> {
        let start = self.i + 1;
        let end = start + quote_or_backslash(self.b.get(start..)?)?;
        if self.b[end] != b'"' {
            return None;
        }
        self.i = end + 1;
        Some(&self.b[start..end])
    }

    /// member_key reads an object member's key and its `:`.
    #[inline(always)]
    fn member_key(&mut self) -> Option<&'a [u8]> {
        self.ws();
        if self.peek()? != b'"' {
            return None;
        }
        let key = self.key()?;
        self.eat(b':')?;
        Some(key)
    }

    /// value reads any value; compound ones are skipped.
    fn value(&mut self, depth: u32) -> Option<Value<'a>> {
        self.ws();
        match self.peek()? {
            b'"' => self.string().map(Value::Str),
            b't' => self.literal(b"true").map(|_| Value::Bool(true)),
            b'f' => self.literal(b"false").map(|_| Value::Bool(false)),
            b'n' => self.literal(b"null").map(|_| Value::Null),
            b'{' | b'[' => self.skip_compound(depth + 1).map(|_| Value::Compound),
            _ => self.number().map(Value::Num),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    /// skip_compound validates and skips an object or array.
    fn skip_compound(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let close = if self.peek()? == b'{' { b'}' } else { b']' };
        self.i += 1;
        self.ws();
        if self.peek()? == close {
            self.i += 1;
            return Some(());
        }
        loop {
            if close == b'}' {
                self.member_key()?;
            }
            self.value(depth)?;
            if !self.more(close)? {
                return Some(());
            }
        }
    }

    /// gaps reads `itl_ms`: null, or an array of non-negative numbers.
    fn gaps(&mut self, out: &mut Vec<f64>) -> Option<()> {
        self.ws();
        if self.peek()? == b'n' {
            return self.literal(b"null");
        }
        if self.peek()? != b'[' {
            return None;
        }
        self.i += 1;
        self.ws();
        if self.peek()? == b']' {
            self.i += 1;
            return Some(());
        }
        loop {
            self.ws();
            out.push(self.number()?.as_f64());
            if !self.more(b']')? {
                return Some(());
            }
        }
    }

    /// error_view reads the `error` object's class and message (strings;
    /// other members skipped; a repeated member is serde's error to report).
    fn error_view(&mut self) -> Option<Option<(Cow<'a, str>, Cow<'a, str>)>> {
        self.ws();
        if self.peek()? == b'n' {
            return self.literal(b"null").map(|_| None);
        }
        if self.peek()? != b'{' {
            return None;
        }
        self.i += 1;
        let (mut class, mut message) = (None, None);
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
        } else {
            loop {
                let key = self.member_key()?;
                let slot = match key {
                    b"class" => Some(&mut class),
                    b"message" => Some(&mut message),
                    _ => None,
                };
                match (slot, self.value(1)?) {
                    (Some(s), Value::Str(v)) if s.is_none() => *s = Some(v),
                    (Some(_), _) => return None,
                    (None, _) => {}
                }
                if !self.more(b'}')? {
                    break;
                }
            }
        }
        Some(Some((Cow::Borrowed(class.unwrap_or("unknown")), Cow::Borrowed(message.unwrap_or("")))))
    }
}

/// quote_or_backslash finds the first `"` or `\\`, eight bytes at a time
/// (strings here are short: a call into memchr costs more than it saves).
fn quote_or_backslash(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Nonzero where a byte of `x` is zero; the lowest flagged byte is exact.
    let zero_bytes = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut i = 0;
    while let Some(word) = b.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let w = u64::from_le_bytes(w);
        let hits = zero_bytes(w ^ (ONES * u64::from(b'"'))) | zero_bytes(w ^ (ONES * u64::from(b'\\')));
        if hits != 0 {
            return Some(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b[i..].iter().position(|&c| c == b'"' || c == b'\\').map(|p| i + p)
}

fn non_negative(n: Number) -> Option<f64> {
    // Negative numbers never reach here (the scanner gives up on `-`).
    Some(n.as_f64())
}

fn opt_bool(v: Value<'_>) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(b),
        Value::Null => Some(false),
        _ => None,
    }
}

fn opt_count(v: Value<'_>) -> Option<Option<u64>> {
    match v {
        Value::Num(Number::Int(n)) => Some(Some(n)),
        Value::Null => Some(None),
        _ => None,
    }
}

fn opt_number(v: Value<'_>) -> Option<Option<f64>> {
    match v {
        Value::Num(n) => non_negative(n).map(Some),
        Value::Null => Some(None),
        _ => None,
    }
}

/// Key is a probe field the scanner reads, found from its name in one
/// dispatch on the name's length (the fields' meanings are in
/// docs/records.md; `Value` indexes [`Field::ALL`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// `kind`.
    Kind,
    /// `ok`.
    Ok,
    /// `warmup`.
    Warmup,
    /// `latency_ms`.
    Latency,
    /// `itl_ms`.
    Itl,
    /// Token counts: input, output, cache creation, cache read.
    Tokens(usize),
    /// `tokens_estimated`.
    TokensEstimated,
    /// `cost_usd`.
    Cost,
    /// `seq`.
    Seq,
    /// A string label.
    Label(Label),
    /// `stand_in`.
    StandIn,
    /// `error`.
    Error,
    /// Another single-valued [`Field`], by its index in [`Field::ALL`].
    Value(usize),
    /// Anything else: validated and skipped.
    Other,
}

/// Label is a string field kept from the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// `ts`.
    Ts,
    /// `scenario`.
    Scenario,
    /// `provider`.
    Provider,
    /// `model`.
    Model,
    /// `target`.
    Target,
}

/// key_of names a field.
pub fn key_of(k: &[u8]) -> Key {
    let field = |f: Field| Key::Value(crate::accumulate::field_index(f));
    match (k.len(), k) {
        (2, b"ok") => Key::Ok,
        (2, b"ts") => Key::Label(Label::Ts),
        (3, b"seq") => Key::Seq,
        (4, b"kind") => Key::Kind,
        (5, b"model") => Key::Label(Label::Model),
        (5, b"error") => Key::Error,
        (6, b"warmup") => Key::Warmup,
        (6, b"itl_ms") => Key::Itl,
        (6, b"target") => Key::Label(Label::Target),
        (7, b"ttft_ms") => field(Field::Ttft),
        (7, b"tpot_ms") => field(Field::Tpot),
        (8, b"scenario") => Key::Label(Label::Scenario),
        (8, b"provider") => Key::Label(Label::Provider),
        (8, b"cost_usd") => Key::Cost,
        (8, b"stand_in") => Key::StandIn,
        (10, b"latency_ms") => Key::Latency,
        (10, b"service_ms") => field(Field::Service),
        (11, b"ttft_any_ms") => field(Field::TtftAny),
        (12, b"input_tokens") => Key::Tokens(0),
        (13, b"output_tokens") => Key::Tokens(1),
        (16, b"tokens_estimated") => Key::TokensEstimated,
        (19, b"output_tokens_per_s") => field(Field::TokensPerS),
        (23, b"cache_read_input_tokens") => Key::Tokens(3),
        (27, b"cache_creation_input_tokens") => Key::Tokens(2),
        _ => Key::Other,
    }
}

/// scan reads one trimmed line, or gives up (`None`) for the serde visitor.
/// The gaps go into `itl`, which the caller has cleared.
pub fn scan<'a>(line: &'a [u8], by: &[String], itl: &mut Vec<f64>) -> Option<Scanned<'a>> {
    // Control bytes (raw in a string is an error; tab, CR and LF between
    // tokens are rare) go to serde: then only spaces are whitespace here.
    if line.chunks(32).any(|c| c.iter().fold(false, |any, &b| any | (b < 0x20))) {
        return None;
    }
    // A record line starts with its object (callers trim it, as serde's path needs).
    if line.first() != Some(&b'{') {
        return None;
    }
    let text = std::str::from_utf8(line).ok()?;
    let mut c = Cursor { s: text, b: line, i: 0 };
    c.eat(b'{')?;
    let mut view = ProbeView::default();
    let mut groups: [Option<Cow<'a, str>>; MAX_GROUP_FIELDS] = Default::default();
    let mut kind: Option<&'a str> = None;
    let mut ok = None;
    let mut latency = None;
    let mut itl_seen = false;
    let (mut provider, mut model, mut scenario) = (false, false, false);
    let mut other: Option<&'static str> = None;
    c.ws();
    if c.peek()? == b'}' {
        // No `kind`: serde reports it.
        return None;
    }
    loop {
        let key = c.member_key()?;
        if other.is_some() {
            // Another kind's fields are not a probe's: validated, not read.
            c.value(0)?;
        } else if let Some(j) = by.iter().position(|b| b.as_bytes() == key) {
            let v: Cow<'a, str> = match c.value(0)? {
                Value::Str(s) => Cow::Borrowed(s),
                Value::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
                Value::Num(Number::Int(n)) => Cow::Owned(n.to_string()),
                Value::Null => Cow::Borrowed(""),
                Value::Num(Number::Float(_)) | Value::Compound => return None,
            };
            // As the serde visitor: a grouped field is read as text.
            let is_true = v == "true";
            match key_of(key) {
                Key::Label(Label::Provider) => {
                    view.provider = Some(v.clone());
                    provider = true;
                }
                Key::Label(Label::Model) => {
                    view.model = Some(v.clone());
                    model = true;
                }
                Key::Label(Label::Scenario) => scenario = true,
                Key::Label(Label::Ts) => view.ts = Some(v.clone()),
                Key::Label(Label::Target) => view.target = Some(v.clone()),
                Key::StandIn => view.stand_in = Some(v.clone()).filter(|v| !v.is_empty()),
                Key::Ok => ok = Some(is_true),
                Key::Warmup => view.warmup = is_true,
                _ => {}
            }
            groups[j] = Some(v);
        } else {
            match key_of(key) {
                Key::Kind => {
                    let Value::Str(k) = c.value(0)? else { return None };
                    other = other_kind(k);
                    kind = Some(k);
                }
                Key::Ok => {
                    let Value::Bool(b) = c.value(0)? else { return None };
                    ok = Some(b);
                }
                Key::Warmup => view.warmup = opt_bool(c.value(0)?)?,
                Key::Latency => {
                    let Value::Num(n) = c.value(0)? else { return None };
                    latency = Some(non_negative(n)?);
                }
                Key::Itl => {
                    c.gaps(itl)?;
                    itl_seen = true;
                }
                Key::Tokens(idx) => view.tokens[idx] = opt_count(c.value(0)?)?,
                Key::TokensEstimated => view.tokens_estimated = opt_bool(c.value(0)?)?,
                Key::Cost => {
                    view.cost_usd = opt_number(c.value(0)?)?;
                    if view.cost_usd.is_some_and(|c| c > MAX_COST_USD) {
                        return None;
                    }
                }
                Key::Seq => {
                    let Value::Num(Number::Int(_)) = c.value(0)? else { return None };
                }
                Key::Label(which) => {
                    let Value::Str(s) = c.value(0)? else { return None };
                    let s = Some(Cow::Borrowed(s));
                    match which {
                        Label::Ts => view.ts = s,
                        Label::Scenario => scenario = true,
                        Label::Provider => {
                            view.provider = s;
                            provider = true;
                        }
                        Label::Model => {
                            view.model = s;
                            model = true;
                        }
                        Label::Target => view.target = s,
                    }
                }
                Key::StandIn => {
                    view.stand_in = match c.value(0)? {
                        Value::Str(s) => Some(Cow::Borrowed(s)),
                        Value::Null => None,
                        _ => return None,
                    }
                }
                Key::Error => view.error = c.error_view()?,
                Key::Value(idx) => view.values[idx] = opt_number(c.value(0)?)?,
                Key::Other => {
                    c.value(0)?;
                }
            }
        }
        if !c.more(b'}')? {
            break;
        }
    }
    c.ws();
    if c.i != line.len() {
        return None;
    }
    if let Some(other) = other {
        return Some(Scanned { parsed: Parsed::Other(other), itl_seen: false });
    }
    // Everything below is an error the serde visitor words.
    if kind != Some("probe") || !(provider && model && scenario) {
        return None;
    }
    view.ok = ok?;
    view.values[0] = Some(latency?);
    if !plain_utc_time(view.ts.as_deref()?.as_bytes()) {
        return None;
    }
    Some(Scanned { parsed: Parsed::Probe(view, groups), itl_seen })
}

/// plain_utc_time accepts the time llm-probe writes, `YYYY-MM-DDTHH:MM:SS`,
/// optional 1–9 fraction digits, then `Z`, with a real calendar date. Any
/// other form (offsets, leap seconds, lowercase) goes to chrono's parser.
fn plain_utc_time(t: &[u8]) -> bool {
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        t.get(r)?.iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) =
        (digits(0..4), digits(5..7), digits(8..10), digits(11..13), digits(14..16), digits(17..19))
    else {
        return false;
    };
    if t.len() < 20 || t[4] != b'-' || t[7] != b'-' || t[10] != b'T' || t[13] != b':' || t[16] != b':' {
        return false;
    }
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_days = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if d == 0 || d > month_days || h > 23 || mi > 59 || s > 59 {
        return false;
    }
    let rest = &t[19..];
    let zone = match rest.first() {
        Some(b'.') => {
            let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 || n > 9 {
                return false;
            }
            &rest[1 + n..]
        }
        _ => rest,
    };
    zone == b"Z"
}
