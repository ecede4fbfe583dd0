//! Normalises messages into patterns so that failures differing only in
//! numbers, ids or hashes count as one: "timeout after 30012ms" and
//! "timeout after 30877ms" both become "timeout after #ms".

/// MAX_PATTERN_LEN bounds a pattern's length so one huge message cannot
/// grow a summary.
pub const MAX_PATTERN_LEN: usize = 160;

/// normalize replaces every run of digits, and every word that looks like an
/// id (hex strings, UUIDs, words mixing letters and digits such as
/// `req_01HXYZ7`), with `#`, collapses whitespace and truncates the result.
pub fn normalize(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(MAX_PATTERN_LEN));
    for (i, word) in message.split_whitespace().enumerate() {
        if out.len() >= MAX_PATTERN_LEN {
            break;
        }
        if i > 0 {
            out.push(' ');
        }
        normalize_word(word, &mut out);
    }
    if out.len() > MAX_PATTERN_LEN {
        let mut cut = MAX_PATTERN_LEN;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
}

fn normalize_word(word: &str, out: &mut String) {
    // Split the word into runs of id-ish characters and punctuation, so that
    // `id=abc123,` keeps its `id=` and `,`.
    let mut rest = word;
    while !rest.is_empty() {
        let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-')).unwrap_or(rest.len());
        if end == 0 {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let token = &rest[..end];
        push_token(token, out);
        rest = &rest[end..];
    }
}

fn push_token(token: &str, out: &mut String) {
    let digits = token.chars().filter(char::is_ascii_digit).count();
    let letters = token.chars().filter(|c| c.is_alphabetic()).count();
    if digits == 0 {
        out.push_str(token);
        return;
    }
    let hexish = token.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    let id_like = (hexish && token.len() >= 8)
        || (letters > 0 && digits > 0 && token.len() >= 8 && token.contains(['_', '-']))
        || (letters > 0 && digits >= 3 && token.len() >= 10);
    if id_like {
        out.push('#');
        return;
    }
    // Replace digit runs but keep unit suffixes: `30012ms` → `#ms`.
    let mut in_digits = false;
    for c in token.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('#');
                in_digits = true;
            }
        } else {
            in_digits = false;
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn numbers_and_ids_collapse() {
        assert_eq!(normalize("timeout after 30012ms"), "timeout after #ms");
        assert_eq!(normalize("timeout after 30877ms"), "timeout after #ms");
        assert_eq!(normalize("HTTP 529 overloaded (request-id req_01HXYZ7ABC)"), "HTTP # overloaded (request-id #)");
        assert_eq!(
            normalize("pod navi-backend-7d9f8c6b5-x2x4z OOMKilled"),
            normalize("pod navi-backend-5f6d7c8b9-abcde OOMKilled")
        );
        assert_eq!(normalize("uuid 123e4567-e89b-12d3-a456-426614174000 missing"), "uuid # missing");
        assert_eq!(normalize("stream   cut\tat byte 12"), "stream cut at byte #");
    }

    #[test]
    fn long_messages_are_bounded() {
        let long = "word ".repeat(200);
        assert!(normalize(&long).len() <= super::MAX_PATTERN_LEN + '…'.len_utf8());
    }
}
