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

/// mask_query masks the secret-named parameter values of the query that
/// follows `from`; None when there is nothing to mask.
fn mask_query(url: &str, from: usize) -> Option<String> {
    let start = url[from..].find('?')? + from + 1;
    let end = url[start..].find('#').map_or(url.len(), |e| start + e);
    let mut masked_any = false;
    let pairs: Vec<Cow<'_, str>> = url[start..end]
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value))
                if !value.is_empty() && SECRET_PARAMS.iter().any(|k| name.to_ascii_lowercase().ends_with(k)) =>
            {
                masked_any = true;
                Cow::Owned(format!("{name}={MASK}"))
            }
            _ => Cow::Borrowed(pair),
        })
        .collect();
    masked_any.then(|| format!("{}{}{}", &url[..start], pairs.join("&"), &url[end..]))
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
    // API keys anywhere in the word (`KEY:sk-…`, `"sk-…"`).
    let text = out.as_ref();
    let mut masked = String::new();
    let mut last = 0;
    let mut from = 0;
    while let Some(pos) = text[from..].find("sk").map(|p| p + from) {
        let boundary = pos == 0 || !text[..pos].ends_with(|c: char| c.is_ascii_alphanumeric());
        let end = text[pos..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .map_or(text.len(), |e| pos + e);
        if boundary && looks_like_api_key(&text[pos..end]) {
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
