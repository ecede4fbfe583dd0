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
/// with `***`, leaving everything else as it is.
pub fn redact_url(url: &str) -> Cow<'_, str> {
    let Some(scheme_end) = url.find("://") else { return Cow::Borrowed(url) };
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

/// redact_text masks, in free text: every URL password, every token that
/// looks like an API key (`sk-…`, `sk-ant-…`), and the current values of
/// [`SECRET_ENV_VARS`] and of any `extra` secrets the caller knows of.
pub fn redact_text(text: &str) -> String {
    redact_with(text, &[])
}

/// redact_with is [`redact_text`] with extra secret values to mask.
pub fn redact_with(text: &str, extra: &[&str]) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&redact_word(word));
    }
    let env_values: Vec<String> = SECRET_ENV_VARS.iter().filter_map(|k| std::env::var(k).ok()).collect();
    for secret in env_values.iter().map(String::as_str).chain(extra.iter().copied()) {
        // Very short values would mask ordinary words; real secrets are longer.
        if secret.len() >= 6 && out.contains(secret) {
            out = out.replace(secret, MASK);
        }
    }
    out
}

fn redact_word(word: &str) -> Cow<'_, str> {
    if word.contains("://") {
        if let Some(pos) = word.find("://") {
            // The URL may follow other characters such as a quote or `url=`.
            let start = word[..pos]
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '.' || c == '-'))
                .map_or(0, |i| i + 1);
            let redacted = redact_url(&word[start..]);
            if let Cow::Owned(r) = redacted {
                return Cow::Owned(format!("{}{r}", &word[..start]));
            }
        }
        return Cow::Borrowed(word);
    }
    let trimmed = word.trim_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    if looks_like_api_key(trimmed) {
        return Cow::Owned(word.replace(trimmed, MASK));
    }
    Cow::Borrowed(word)
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
    fn keys_and_urls_in_text_are_masked() {
        let t =
            redact_text("connect to url=postgresql://u:hunter22@h/db failed with key sk-ant-api03-abcdefghijklmnop.");
        assert_eq!(t, "connect to url=postgresql://u:***@h/db failed with key ***.");
        assert_eq!(redact_with("token XYZSECRET1 leaked", &["XYZSECRET1"]), "token *** leaked");
    }
}
