//! What one simulated answer will be and when each piece goes out: model
//! profiles, the answer text, token counts consistent with that text, and
//! the timing, all drawn from a per-request seeded generator so a run under
//! `--seed` is reproducible.

use std::time::Duration;

use navikit::rng::Rng;

/// Profile is the timing and length behaviour of one model family.
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    /// Median time to first token in milliseconds.
    pub ttft_ms: f64,
    /// Log-spread of the time to first token.
    pub ttft_sigma: f64,
    /// Output tokens per second once streaming.
    pub tokens_per_s: f64,
    /// Median answer length in tokens.
    pub out_tokens: f64,
    /// Reasons before answering by default (o-series, R1-style models).
    pub reasoning: bool,
}

/// MODELS lists the models `/v1/models` reports, with their profiles.
pub const MODELS: &[(&str, Profile)] = &[
    (
        "claude-sonnet-4",
        Profile { ttft_ms: 650.0, ttft_sigma: 0.30, tokens_per_s: 60.0, out_tokens: 180.0, reasoning: false },
    ),
    (
        "claude-opus-4",
        Profile { ttft_ms: 1100.0, ttft_sigma: 0.35, tokens_per_s: 35.0, out_tokens: 220.0, reasoning: false },
    ),
    (
        "claude-haiku-4",
        Profile { ttft_ms: 350.0, ttft_sigma: 0.25, tokens_per_s: 120.0, out_tokens: 150.0, reasoning: false },
    ),
    ("gpt-4o", Profile { ttft_ms: 450.0, ttft_sigma: 0.30, tokens_per_s: 80.0, out_tokens: 170.0, reasoning: false }),
    (
        "gpt-4o-mini",
        Profile { ttft_ms: 300.0, ttft_sigma: 0.25, tokens_per_s: 110.0, out_tokens: 150.0, reasoning: false },
    ),
    ("o3-mini", Profile { ttft_ms: 500.0, ttft_sigma: 0.30, tokens_per_s: 90.0, out_tokens: 160.0, reasoning: true }),
    (
        "deepseek-r1",
        Profile { ttft_ms: 550.0, ttft_sigma: 0.30, tokens_per_s: 50.0, out_tokens: 160.0, reasoning: true },
    ),
];

const DEFAULT_PROFILE: Profile =
    Profile { ttft_ms: 500.0, ttft_sigma: 0.30, tokens_per_s: 70.0, out_tokens: 170.0, reasoning: false };

/// profile_for finds a model's profile by longest matching name prefix
/// (`claude-sonnet-4-20250514` → `claude-sonnet-4`), else a default.
pub fn profile_for(model: &str) -> Profile {
    let m = model.rsplit('/').next().unwrap_or(model);
    MODELS
        .iter()
        .filter(|(name, _)| m.starts_with(name))
        .max_by_key(|(name, _)| name.len())
        .map_or(DEFAULT_PROFILE, |(_, p)| *p)
}

/// Request is what the API layer extracted from a request body.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Model asked for.
    pub model: String,
    /// All prompt text (system and messages), for counting input tokens.
    pub prompt: String,
    /// The last user message, which decides the answer.
    pub last_user: String,
    /// Upper bound on output tokens.
    pub max_tokens: u64,
    /// Reasoning requested (Anthropic `thinking`, OpenAI `reasoning_effort`),
    /// with a token budget.
    pub thinking_budget: Option<u64>,
}

/// Plan is one answer ready to be sent.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Delay before the first generated token (thinking or answer).
    pub ttft: Duration,
    /// Reasoning chunks, sent before the answer.
    pub thinking: Vec<String>,
    /// Answer chunks; joined they are the whole answer.
    pub answer: Vec<String>,
    /// Delay before each chunk after the first, thinking then answer.
    pub gaps: Vec<Duration>,
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Answer tokens.
    pub answer_tokens: u64,
    /// Reasoning tokens.
    pub thinking_tokens: u64,
    /// Stopped at max_tokens rather than naturally.
    pub truncated: bool,
}

impl Plan {
    /// Plan::text is the whole answer.
    pub fn text(&self) -> String {
        self.answer.concat()
    }

    /// Plan::thinking_text is the whole reasoning.
    pub fn thinking_text(&self) -> String {
        self.thinking.concat()
    }

    /// Plan::output_tokens counts answer and reasoning tokens (as billed).
    pub fn output_tokens(&self) -> u64 {
        self.answer_tokens + self.thinking_tokens
    }

    /// Plan::total_delay is the time until the last chunk.
    pub fn total_delay(&self) -> Duration {
        self.ttft + self.gaps.iter().sum::<Duration>()
    }
}

/// count_tokens estimates tokens the way most tokenizers average on English
/// and code: about four characters a token, at least one.
pub fn count_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4).max(1)
}

fn snippet(prompt: &str) -> &'static str {
    let p = prompt.to_ascii_lowercase();
    let table: &[(&[&str], &str)] = &[
        (
            &["hello world", "hello-world"],
            "Here is a simple script:\n```python\nprint(\"Hello, World!\")\n```\nSave it as hello.py and run `python hello.py`.",
        ),
        (
            &["sql"],
            "```sql\nSELECT u.id, u.name, COUNT(o.id) AS orders\nFROM users u LEFT JOIN orders o ON o.user_id = u.id\nGROUP BY u.id, u.name ORDER BY orders DESC;\n```",
        ),
        (&["shell", "bash", "one-liner"], "```bash\nfind . -name '*.log' -mtime +7 -print -delete\n```"),
        (
            &["docstring"],
            "```python\ndef add(a, b):\n    \"\"\"Return the sum of a and b.\"\"\"\n    return a + b\n```",
        ),
        (
            &["unit test", "tests for", "pytest"],
            "```python\nimport pytest\n\ndef test_add():\n    assert add(2, 3) == 5\n```",
        ),
        (&["refactor"], "```python\ndef total(prices):\n    return sum(p for p in prices if p > 0)\n```"),
        (
            &["bug", "fix"],
            "The bug is an off-by-one error in the loop bound. Fix:\n```python\nfor i in range(len(items)):\n    process(items[i])\n```",
        ),
        (
            &["review"],
            "Review:\n1. The names are clear.\n2. Handle the error when the file is missing.\n3. Add a test for the empty input.",
        ),
        (
            &["plan", "multi-file"],
            "Plan:\n1. Add models.py with the new table.\n2. Update api.py to expose the endpoint.\n3. Write tests in test_api.py.",
        ),
        (
            &["explain"],
            "This function reads the file line by line, counts the words in each line and returns the total.",
        ),
    ];
    table.iter().find(|(keys, _)| keys.iter().any(|k| p.contains(k))).map_or("Sure, here is the answer.", |(_, s)| s)
}

/// FILLER pads an answer past its canned text: the first round starts a new
/// paragraph, later rounds go on the same line. Tokens are cut from these
/// texts as they are (see [`words_up_to`]), so none is allocated.
const FILLER: (&str, &str) = (
    "\n\nThe approach keeps the code simple and readable, so it is easy to test and maintain. Each step is small and can be checked on its own.",
    " The approach keeps the code simple and readable, so it is easy to test and maintain. Each step is small and can be checked on its own.",
);

/// THOUGHTS is the reasoning text, first round and later rounds.
const THOUGHTS: (&str, &str) = (
    "Let me think about what the user needs and check the edge cases first.",
    " Let me think about what the user needs and check the edge cases first.",
);

/// words splits text into tokens that keep their leading whitespace, so
/// joining them gives the text back.
#[cfg(test)]
fn words(text: &str) -> Vec<&str> {
    words_up_to(text, usize::MAX).0
}

/// words_up_to is the first `limit` of [`words`]' tokens and how many there
/// are in all: the tokens are slices of the text, and only the ones an
/// answer keeps are listed (a canned answer has hundreds of words;
/// `max_tokens` often lets 16 through).
fn words_up_to(text: &str, limit: usize) -> (Vec<&str>, usize) {
    let mut out = Vec::new();
    let mut count = 0;
    let mut start = 0;
    let mut has_text = false;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() && has_text {
            if count < limit {
                out.push(&text[start..i]);
            }
            count += 1;
            start = i;
            has_text = false;
        }
        has_text |= !c.is_whitespace();
    }
    if start < text.len() {
        if count < limit {
            out.push(&text[start..]);
        }
        count += 1;
    }
    (out, count)
}

/// fill extends `tokens` to `n` with the words of `first`, then of `more`
/// over and over.
fn fill(tokens: &mut Vec<&'static str>, n: usize, (first, more): (&'static str, &'static str)) {
    let mut from = first;
    while tokens.len() < n {
        let (words, _) = words_up_to(from, n - tokens.len());
        tokens.extend(words);
        from = more;
    }
}

/// chunk groups tokens into deltas of one to three tokens, as streaming APIs
/// do, with how many tokens each delta holds.
fn chunk(tokens: &[&str], rng: &mut Rng) -> (Vec<String>, Vec<usize>) {
    let (mut out, mut sizes) = (Vec::new(), Vec::new());
    let mut rest = tokens;
    while !rest.is_empty() {
        let n = (1 + rng.below(3) as usize).min(rest.len());
        let (these, after) = rest.split_at(n);
        out.push(these.concat());
        sizes.push(n);
        rest = after;
    }
    (out, sizes)
}

/// make_plan draws one answer for a request.
pub fn make_plan(req: &Request, rng: &mut Rng, speed: f64) -> Plan {
    let profile = profile_for(&req.model);
    let scale =
        |ms: f64| if speed == 0.0 { Duration::ZERO } else { Duration::from_secs_f64((ms / speed).max(0.0) / 1000.0) };
    let max_tokens = req.max_tokens.max(1);
    // Only the tokens max_tokens lets through are made: drawing a long answer
    // to cut it to 16 tokens was most of a short request's time.
    let max_keep = usize::try_from(max_tokens).unwrap_or(usize::MAX);
    let (mut tokens, snippet_tokens) = words_up_to(snippet(&req.last_user), max_keep);
    let wanted = rng.lognormal(profile.out_tokens, 0.35).round().max(snippet_tokens as f64) as usize;
    let truncated = wanted as u64 > max_tokens;
    let keep = wanted.min(max_keep);
    tokens.truncate(keep);
    fill(&mut tokens, keep, FILLER);
    let answer_tokens = tokens.len() as u64;

    let thinking_budget = req.thinking_budget.or(profile.reasoning.then_some(1024));
    let mut thinking_words = Vec::new();
    if let Some(budget) = thinking_budget {
        let n = (rng.lognormal(60.0, 0.3).round() as u64).clamp(1, budget.max(1)) as usize;
        fill(&mut thinking_words, n, THOUGHTS);
    }
    let thinking_tokens = thinking_words.len() as u64;
    let (thinking, thinking_sizes) = chunk(&thinking_words, rng);
    let (answer, answer_sizes) = chunk(&tokens, rng);
    let per_token_ms = 1000.0 / profile.tokens_per_s;
    let sizes = thinking_sizes.iter().chain(&answer_sizes);
    let gaps = sizes.skip(1).map(|&n| scale(n as f64 * per_token_ms * rng.lognormal(1.0, 0.25))).collect();
    Plan {
        ttft: scale(rng.lognormal(profile.ttft_ms, profile.ttft_sigma)),
        thinking,
        answer,
        gaps,
        input_tokens: count_tokens(&req.prompt),
        answer_tokens,
        thinking_tokens,
        truncated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(prompt: &str, max: u64) -> Request {
        Request {
            model: "claude-sonnet-4".into(),
            prompt: prompt.into(),
            last_user: prompt.into(),
            max_tokens: max,
            thinking_budget: None,
        }
    }

    #[test]
    fn plans_are_deterministic_and_consistent() {
        let a = make_plan(&req("Create a simple hello world Python script", 1024), &mut Rng::new(3), 1.0);
        let b = make_plan(&req("Create a simple hello world Python script", 1024), &mut Rng::new(3), 1.0);
        assert_eq!(a.text(), b.text());
        assert_eq!(a.ttft, b.ttft);
        assert!(a.text().contains("print(\"Hello, World!\")"));
        assert_eq!(a.gaps.len(), a.answer.len() - 1);
        assert_eq!(words(&a.text()).len() as u64, a.answer_tokens);
        assert_eq!(a.input_tokens, count_tokens("Create a simple hello world Python script"));
    }

    #[test]
    fn counting_words_agrees_with_splitting_them() {
        for text in ["", " ", "a", " a  b\n\nc ", "héllo wörld  ", "\n\nx", "one two three four"] {
            let all = words(text);
            assert_eq!(all.concat(), text);
            for limit in [0, 1, 2, 100] {
                let (some, n) = words_up_to(text, limit);
                assert_eq!(n, all.len(), "{text:?}");
                assert_eq!(some, all[..limit.min(all.len())], "{text:?} {limit}");
            }
        }
    }

    #[test]
    fn max_tokens_truncates_and_speed_zero_removes_delays() {
        let p = make_plan(&req("explain this", 5), &mut Rng::new(1), 0.0);
        assert_eq!(p.answer_tokens, 5);
        assert!(p.truncated);
        assert_eq!(p.total_delay(), Duration::ZERO);
    }

    #[test]
    fn reasoning_models_think_first() {
        let mut r = req("sql query", 500);
        r.model = "o3-mini".into();
        let p = make_plan(&r, &mut Rng::new(1), 1.0);
        assert!(p.thinking_tokens > 0);
        assert_eq!(p.gaps.len(), p.thinking.len() + p.answer.len() - 1);
        assert_eq!(profile_for("claude-sonnet-4-20250514").tokens_per_s, 60.0);
    }
}
