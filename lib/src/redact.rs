//! Keeps secrets out of every output: passwords in URLs, API keys, and the
//! values of secret-bearing environment variables, all printed as `***`.

use std::borrow::Cow;

/// MASK is what a secret is printed as.
pub const MASK: &str = "***";

/// SECRET_ENV_VARS are environment variables whose values are always secret.
pub const SECRET_ENV_VARS: &[&str] = &[
    "ANTHROPIC_API_KEY",
    "OPENAI_API_KEY",
    "AUDIT_ENCRYPTION_KEY",
    "DB_PASSWORD",
    "PGPASSWORD",
    "STAGING_DB_PASSWORD",
    "NAVI_API_TOKEN",
    "HTTP_CHECK_AUTH",
    "LLM_PROBE_API_KEY",
];

/// redact_url replaces the password of a URL (`scheme://user:pass@host`)
/// and the values of its secret-named query parameters (`?key=…`,
/// `&access_token=…`, `&X-Amz-Signature=…`) with `***`, leaving everything
/// else as it is.
pub fn redact_url(url: &str) -> Cow<'_, str> {
    let Some(scheme_end) = url.find("://") else { return Cow::Borrowed(url) };
    let without_password = mask_password(url, scheme_end);
    // The password is masked first, so a raw `?` in it cannot pass for the query.
    match mask_query(&without_password, scheme_end + 3) {
        Some(masked) => Cow::Owned(masked),
        None => without_password,
    }
}

fn mask_password(url: &str, scheme_end: usize) -> Cow<'_, str> {
    let rest = &url[scheme_end + 3..];
    // The user information ends at the last `@` (navikit::dburl's rule): a
    // password may hold a raw `/`, `?` or `#`. An `@` later in a path or query
    // can only make this mask too much, never too little.
    let Some(at) = rest.rfind('@') else { return Cow::Borrowed(url) };
    let userinfo = &rest[..at];
    let Some(colon) = userinfo.find(':') else { return Cow::Borrowed(url) };
    // A user name holds no `/`, `?` or `#`: a `:` after one is in a path or query.
    if userinfo[..colon].contains(['/', '?', '#']) {
        return Cow::Borrowed(url);
    }
    let start = scheme_end + 3 + colon + 1;
    let end = scheme_end + 3 + at;
    Cow::Owned(format!("{}{MASK}{}", &url[..start], &url[end..]))
}

/// SECRET_PARAMS end the query parameter names whose values are secrets:
/// API keys (`key`, `api_key`), tokens, signatures of signed URLs (S3's
/// `X-Amz-Signature`, Azure's `sig`), credentials and passwords.
const SECRET_PARAMS: [&str; 9] =
    ["key", "token", "secret", "password", "passwd", "sig", "signature", "credential", "auth"];

/// mask_query masks the values of secret-named parameters after the first
/// `?` or `#` that follows `from`: the query and the fragment (OAuth returns
/// tokens there), pairs split at `&`, `;`, `?`, `#` and a JSON-escaped `&`
/// (`\u0026`). None when there is nothing to mask.
fn mask_query(url: &str, from: usize) -> Option<String> {
    let start = url.get(from..)?.find(['?', '#'])? + from + 1;
    let rest = &url[start..];
    let mut out = String::with_capacity(url.len());
    out.push_str(&url[..start]);
    let mut masked_any = false;
    let mut pos = 0;
    while pos <= rest.len() {
        let (end, sep_len) = next_separator(&rest[pos..]).map_or((rest.len(), 0), |(i, n)| (pos + i, n));
        let pair = &rest[pos..end];
        match pair.split_once('=') {
            Some((name, value)) if !value.is_empty() && secret_param(name) => {
                masked_any = true;
                out.push_str(name);
                out.push('=');
                out.push_str(MASK);
                // A value ends where quoting around the URL does (`"…?key=v"}`).
                out.push_str(value.find(['"', '\'', '<', '>', '`', '}', ')']).map_or("", |i| &value[i..]));
            }
            _ => out.push_str(pair),
        }
        out.push_str(&rest[end..end + sep_len]);
        if sep_len == 0 {
            break;
        }
        pos = end + sep_len;
    }
    masked_any.then_some(out)
}

/// next_separator finds where the next parameter starts: its index and length.
fn next_separator(s: &str) -> Option<(usize, usize)> {
    let single = s.find(['&', ';', '?', '#']);
    // Looked for only before the next plain separator: linear in the query.
    match s[..single.unwrap_or(s.len())].find("\\u0026") {
        Some(i) => Some((i, 6)),
        None => single.map(|i| (i, 1)),
    }
}

/// secret_param says whether a parameter name names a secret: its last
/// word (`auth[token]` → `token`), percent-decoded, in any case, ends with
/// one of [`SECRET_PARAMS`] (a plural too: `tokens`, `keys`).
fn secret_param(name: &str) -> bool {
    let decoded = crate::dburl::percent_decode(name).to_ascii_lowercase();
    let last = decoded.split(['[', ']', '.']).rfind(|w| !w.is_empty()).unwrap_or_default();
    let singular = last.strip_suffix('s').unwrap_or(last);
    SECRET_PARAMS.iter().any(|k| last.ends_with(k) || singular.ends_with(k))
}

/// redact_text masks, in free text: every URL password, every token that
/// looks like an API key (`sk-…`, `sk-ant-…`), and the current values of
/// [`SECRET_ENV_VARS`] and of any `extra` secrets the caller knows of.
pub fn redact_text(text: &str) -> String {
    redact_with(text, &[])
}

/// redact_with is [`redact_text`] with extra secret values to mask.
pub fn redact_with(text: &str, extra: &[&str]) -> String {
    // Words end at any whitespace or comma (a message may join a URL to
    // another with either); the separators are kept as they were.
    let mut out = String::with_capacity(text.len());
    let mut word_start = 0;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() || c == ',' {
            out.push_str(&redact_word(&text[word_start..i]));
            out.push(c);
            word_start = i + c.len_utf8();
        }
    }
    out.push_str(&redact_word(&text[word_start..]));
    let env_values: Vec<String> = SECRET_ENV_VARS.iter().filter_map(|k| std::env::var(k).ok()).collect();
    for secret in env_values.iter().map(String::as_str).chain(extra.iter().copied()) {
        // Very short values would mask ordinary words; real secrets are longer.
        if secret.len() >= 6 && out.contains(secret) {
            out = out.replace(secret, MASK);
        }
    }
    out
}

/// SECRET_KEYS end the names whose `NAME=value` is a secret (`password=` of
/// a libpq DSN, `ANTHROPIC_API_KEY=`, `x_token=`).
const SECRET_KEYS: [&str; 6] = ["password", "passwd", "secret", "token", "api_key", "apikey"];

fn redact_word(word: &str) -> Cow<'_, str> {
    // `NAME=value` with a secret name: the whole value goes.
    if let Some((name, value)) = word.split_once('=') {
        let name_lc = name.trim_start_matches(|c: char| !c.is_ascii_alphanumeric()).to_ascii_lowercase();
        if !value.is_empty() && !value.contains("://") && SECRET_KEYS.iter().any(|k| name_lc.ends_with(k)) {
            return Cow::Owned(format!("{name}={MASK}"));
        }
    }
    let mut out = Cow::Borrowed(word);
    // Every URL in the word, each from its scheme to the next one's.
    if word.contains("://") {
        let mut starts: Vec<usize> = word
            .match_indices("://")
            .map(|(pos, _)| {
                word[..pos]
                    .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '.' || c == '-'))
                    .map_or(0, |i| i + 1)
            })
            .collect();
        starts.dedup();
        let mut rebuilt = String::with_capacity(word.len());
        rebuilt.push_str(&word[..starts[0]]);
        for (n, &from) in starts.iter().enumerate() {
            let to = starts.get(n + 1).copied().unwrap_or(word.len());
            rebuilt.push_str(&redact_url(&word[from..to]));
        }
        out = Cow::Owned(rebuilt);
    }
    // A relative or JSON-escaped URL (`/cb?key=…`, `https:\/\/h\/p?key=…`)
    // carries its query too.
    if word.contains('=')
        && let Some(masked) = mask_query(&out, 0)
    {
        out = Cow::Owned(masked);
    }
    // API keys anywhere in the word (`KEY:sk-…`, `"sk-…"`).
    let text = out.as_ref();
    let mut masked = String::new();
    let mut last = 0;
    let mut from = 0;
    while let Some(pos) = text[from..].find("sk").map(|p| p + from) {
        let boundary = pos == 0 || !text[..pos].ends_with(|c: char| c.is_ascii_alphanumeric());
        // The token's end is looked for only where a key can start, so a
        // word of `-sk-sk-sk…` is read once, not once per `sk`.
        let candidate = boundary && (text[pos..].starts_with("sk-") || text[pos..].starts_with("sk_"));
        let end = if candidate {
            text[pos..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .map_or(text.len(), |e| pos + e)
        } else {
            pos
        };
        if candidate && looks_like_api_key(&text[pos..end]) {
            masked.push_str(&text[last..pos]);
            masked.push_str(MASK);
            last = end;
            from = end;
        } else {
            from = pos + 2;
        }
    }
    if last == 0 {
        return out;
    }
    masked.push_str(&text[last..]);
    Cow::Owned(masked)
}

/// looks_like_api_key says whether a token has the shape of an API key.
pub fn looks_like_api_key(token: &str) -> bool {
    (token.starts_with("sk-") || token.starts_with("sk_")) && token.len() >= 20
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_passwords_are_masked() {
        assert_eq!(
            redact_url("postgresql+psycopg2://navi:s3cret@db:5432/navi"),
            "postgresql+psycopg2://navi:***@db:5432/navi"
        );
        assert_eq!(redact_url("postgresql://navi@db/navi"), "postgresql://navi@db/navi");
        assert_eq!(redact_url("http://h/p?x=a:b@c"), "http://h/p?x=a:b@c");
        assert_eq!(redact_url("postgres://u:p@ss@h/db"), "postgres://u:***@h/db");
        // Raw `/`, `?` and `#` in a password (as navikit::dburl accepts them).
        assert_eq!(redact_url("postgresql://navi:k9/Tq?x#y@db/navi"), "postgresql://navi:***@db/navi");
    }

    #[test]
    fn secret_query_parameters_are_masked() {
        assert_eq!(
            redact_url("https://gw.example/v1?api-version=2024-06&key=abc123&X-Amz-Signature=f00d#top"),
            "https://gw.example/v1?api-version=2024-06&key=***&X-Amz-Signature=***#top"
        );
        assert_eq!(redact_url("http://u:p?w@h/x?access_token=t0k&q=1"), "http://u:***@h/x?access_token=***&q=1");
        assert!(matches!(redact_url("http://h:9090/api/v1/query?query=up&time=1"), Cow::Borrowed(_)));
        assert_eq!(redact_url("http://h/?token="), "http://h/?token=");
        assert_eq!(
            redact_text("redirecting to https://evil.example/cb?state=1&token=s3cr3t-value, not followed"),
            "redirecting to https://evil.example/cb?state=1&token=***, not followed"
        );
        // Fragments, other separators, nested and escaped queries, encoded
        // and bracketed names, relative and JSON-escaped URLs.
        let cases = [
            ("https://h/cb#state=x&access_token=S1", "https://h/cb#state=x&access_token=***"),
            ("https://h/p?a=1;token=S2", "https://h/p?a=1;token=***"),
            ("https://h/p?next=/cb?key=S3", "https://h/p?next=/cb?key=***"),
            ("https://h/p?a=1\\u0026token=S4", "https://h/p?a=1\\u0026token=***"),
            ("https://h/p?ke%79=S5&auth[token]=S6&Tokens=S7", "https://h/p?ke%79=***&auth[token]=***&Tokens=***"),
        ];
        for (url, want) in cases {
            assert_eq!(redact_url(url), want, "{url}");
        }
        assert_eq!(redact_text("Location: /cb?key=S8 sent"), "Location: /cb?key=*** sent");
        assert_eq!(redact_text(r#"{"url":"https:\/\/h\/p?a=1&key=S9"}"#), r#"{"url":"https:\/\/h\/p?a=1&key=***"}"#);
    }

    #[test]
    fn long_hostile_words_are_read_in_linear_time() {
        let word = "-ska".repeat(200_000);
        assert_eq!(redact_text(&word), word);
        let query = format!("https://h/p?{}", "a=1&".repeat(200_000));
        assert_eq!(redact_text(&query), query);
    }

    #[test]
    fn keys_and_urls_in_text_are_masked() {
        let t =
            redact_text("connect to url=postgresql://u:hunter22@h/db failed with key sk-ant-api03-abcdefghijklmnop.");
        assert_eq!(t, "connect to url=postgresql://u:***@h/db failed with key ***.");
        assert_eq!(redact_with("token XYZSECRET1 leaked", &["XYZSECRET1"]), "token *** leaked");
    }

    #[test]
    fn secrets_in_any_layout_are_masked() {
        for (text, want) in [
            (
                "probe http://api/health\nDATABASE_URL=postgresql://navi:hunter22pw@db/navi",
                "probe http://api/health\nDATABASE_URL=postgresql://navi:***@db/navi",
            ),
            (
                "see http://wiki/x,postgresql://navi:hunter22pw@db/navi",
                "see http://wiki/x,postgresql://navi:***@db/navi",
            ),
            (
                "see http://wiki/x;postgresql://navi:hunter22pw@db/navi",
                "see http://wiki/x;postgresql://navi:***@db/navi",
            ),
            ("ANTHROPIC_API_KEY=sk-ant-api03-abcdefghijklmnopqrst", "ANTHROPIC_API_KEY=***"),
            ("key:\tsk-ant-api03-abcdefghijklmnopqrst", "key:\t***"),
            ("key:sk-ant-api03-abcdefghijklmnopqrst!", "key:***!"),
            ("password=hunter22pw host=db", "password=*** host=db"),
            ("x_token=abc123456 ok", "x_token=*** ok"),
            // Glued to a word by a dash, a key is still a key; inside a word it is not.
            ("task-sk-ant-api03-abcdefghijklmnopqrst", "task-***"),
            ("tasksk-ant-api03-abcdefghijklmnopqrst", "tasksk-ant-api03-abcdefghijklmnopqrst"),
        ] {
            assert_eq!(redact_text(text), want, "{text}");
        }
    }
}
