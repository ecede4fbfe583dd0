//! Scenarios: the representative NAVI tasks a run sends, each with an
//! optional output assertion so a run is an E2E test with pass/fail. The ten
//! shipped under `scenarios/` are built in; `--scenarios DIR` reads others.

use std::path::Path;

use navikit::Error;
use regex::Regex;
use serde::Deserialize;

/// Scenario is one task: a prompt, or several turns of a conversation.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Name (file stem).
    pub name: String,
    /// System prompt.
    pub system: Option<String>,
    /// User turns; one for a single request.
    pub turns: Vec<String>,
    /// Output token cap.
    pub max_tokens: u64,
    /// Every string must appear in the answer.
    pub contains: Vec<String>,
    /// The answer must match.
    pub regex: Option<Regex>,
    /// Workspace path sent to the NAVI service.
    pub workspace_path: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    system: Option<String>,
    prompt: Option<String>,
    #[serde(default)]
    turns: Vec<String>,
    max_tokens: Option<u64>,
    #[serde(default)]
    expect: RawExpect,
    workspace_path: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    #[serde(default)]
    contains: Vec<String>,
    regex: Option<String>,
}

/// BUILT_IN are the shipped scenarios, compiled into the binary.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("hello-world", include_str!("../../../scenarios/hello-world.yaml")),
    ("bug-fix", include_str!("../../../scenarios/bug-fix.yaml")),
    ("refactor", include_str!("../../../scenarios/refactor.yaml")),
    ("unit-tests", include_str!("../../../scenarios/unit-tests.yaml")),
    ("explain-code", include_str!("../../../scenarios/explain-code.yaml")),
    ("sql-query", include_str!("../../../scenarios/sql-query.yaml")),
    ("shell-one-liner", include_str!("../../../scenarios/shell-one-liner.yaml")),
    ("code-review", include_str!("../../../scenarios/code-review.yaml")),
    ("docstring", include_str!("../../../scenarios/docstring.yaml")),
    ("multi-file-plan", include_str!("../../../scenarios/multi-file-plan.yaml")),
];

/// parse reads one scenario file's text.
pub fn parse(source: &str, stem: &str, text: &str) -> Result<Scenario, Error> {
    let raw: RawScenario = serde_saphyr::from_str(text).map_err(|e| {
        Error::input(format!("{source}: {}", e.to_string().lines().next().unwrap_or("invalid scenario")))
    })?;
    let _ = raw.description;
    let turns = match (raw.prompt, raw.turns) {
        (Some(p), t) if t.is_empty() => vec![p],
        (None, t) if !t.is_empty() => t,
        (Some(_), _) => return Err(Error::input(format!("{source}: give either `prompt` or `turns`, not both"))),
        (None, _) => return Err(Error::input(format!("{source}: needs a `prompt` or `turns`"))),
    };
    let regex = raw
        .expect
        .regex
        .map(|r| Regex::new(&r).map_err(|e| Error::input(format!("{source}: expect.regex: {e}"))))
        .transpose()?;
    Ok(Scenario {
        name: raw.name.unwrap_or_else(|| stem.to_string()),
        system: raw.system,
        turns,
        max_tokens: raw.max_tokens.unwrap_or(512),
        contains: raw.expect.contains,
        regex,
        workspace_path: raw.workspace_path.unwrap_or_else(|| "/tmp/test".into()),
    })
}

/// load returns the scenarios of a directory, or the built-in ones.
pub fn load(dir: Option<&Path>) -> Result<Vec<Scenario>, Error> {
    let Some(dir) = dir else {
        return BUILT_IN.iter().map(|(stem, text)| parse(&format!("built-in {stem}"), stem, text)).collect();
    };
    let entries =
        std::fs::read_dir(dir).map_err(|e| Error::input(format!("cannot read scenarios {}: {e}", dir.display())))?;
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(Error::input(format!("{}: no *.yaml scenarios", dir.display())));
    }
    paths
        .iter()
        .map(|p| {
            let text =
                std::fs::read_to_string(p).map_err(|e| Error::input(format!("cannot read {}: {e}", p.display())))?;
            let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("scenario");
            parse(&p.display().to_string(), stem, &text)
        })
        .collect()
}

/// select keeps the named scenarios, in the order given.
pub fn select(all: Vec<Scenario>, names: &[String]) -> Result<Vec<Scenario>, Error> {
    if names.is_empty() {
        return Ok(all);
    }
    names
        .iter()
        .map(|n| {
            all.iter().find(|s| &s.name == n).cloned().ok_or_else(|| {
                let known: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
                Error::input(format!("unknown scenario `{n}` (known: {})", known.join(", ")))
            })
        })
        .collect()
}

impl Scenario {
    /// Scenario::check says why an answer fails the assertion, if it does.
    pub fn check(&self, answer: &str) -> Option<String> {
        for c in &self.contains {
            if !answer.contains(c.as_str()) {
                return Some(format!("answer does not contain {c:?}"));
            }
        }
        match &self.regex {
            Some(r) if !r.is_match(answer) => Some(format!("answer does not match /{}/", r.as_str())),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ten_built_in_scenarios_load() {
        let all = load(None).unwrap();
        assert_eq!(all.len(), 10);
        assert_eq!(all[9].turns.len(), 2);
        let hello = &all[0];
        assert_eq!(hello.check("print(\"Hello, World!\")"), None);
        assert!(hello.check("echo hi").unwrap().contains("does not contain \"print(\""));
    }

    #[test]
    fn bad_scenarios_say_where() {
        let e = parse("x.yaml", "x", "prompt: p\nexpect:\n  regex: '('\n").unwrap_err().to_string();
        assert!(e.starts_with("x.yaml: expect.regex"), "{e}");
        let e = parse("x.yaml", "x", "max_tokens: 5\n").unwrap_err().to_string();
        assert_eq!(e, "x.yaml: needs a `prompt` or `turns`");
        let e = parse("x.yaml", "x", "prompt: p\npromt: q\n").unwrap_err().to_string();
        assert!(e.contains("promt"), "{e}");
    }
}
