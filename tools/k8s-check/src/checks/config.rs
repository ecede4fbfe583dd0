//! The configuration checks: the database secret and configmap, and the
//! audit key of production containers, with environment variables resolved
//! the way the kubelet resolves them. Secret values stay in memory.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use navikit::observed::SecretKeys;
use navikit::record::{Check, CheckStatus};
use serde_json::{Value, json};

use super::{Cluster, chk, need};

/// decoded returns a secret's data, base64-decoded, in memory only.
pub(super) fn decoded(secret: &Value) -> BTreeMap<String, String> {
    secret
        .get("data")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| {
                    v.as_str()
                        .and_then(|s| STANDARD.decode(s).ok())
                        .map(|b| (k.clone(), String::from_utf8_lossy(&b).into_owned()))
                })
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn secret(c: &Cluster<'_>, _t: &str) -> Vec<Check> {
    let n = "k8s.secret.keys";
    let target = format!("{}/secret/{}", c.ns(), c.o.secret);
    let f = c.get(&c.secret, &format!("/api/v1/namespaces/{}/secrets/{}", c.ns(), c.o.secret));
    let s = match need(f, n, &target, &format!("secret {}", c.o.secret)) {
        Ok(v) => v,
        Err(e) => return vec![e],
    };
    let d = decoded(s);
    const KEYS: [&str; 7] = ["DATABASE_URL", "DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD", "DB_SSLMODE"];
    let missing: Vec<&str> = KEYS.iter().copied().filter(|k| d.get(*k).is_none_or(|v| v.is_empty())).collect();
    let mut problems: Vec<String> = Vec::new();
    if !missing.is_empty() {
        problems.push(format!("missing or empty: {}", missing.join(", ")));
    }
    if let Some(mode) = d
        .get("DB_SSLMODE")
        .filter(|m| m.as_str() != "require" && m.as_str() != "verify-full" && m.as_str() != "verify-ca")
    {
        problems.push(format!("DB_SSLMODE is `{mode}`, must be `require`, `verify-ca` or `verify-full`"));
    }
    if let Some(url) = d.get("DATABASE_URL") {
        match navikit::dburl::DbUrl::parse(url) {
            Err(e) => problems.push(format!("DATABASE_URL does not parse: {e}")),
            Ok(u) => {
                let port = u.port.unwrap_or(5432).to_string();
                let pairs = [
                    ("DB_USER", u.user.as_deref()),
                    ("DB_HOST", u.host.as_deref()),
                    ("DB_PORT", Some(port.as_str())),
                    ("DB_NAME", u.dbname.as_deref()),
                ];
                for (k, v) in pairs {
                    if let Some(x) = d.get(k)
                        && Some(x.trim()) != v
                    {
                        problems.push(format!("DATABASE_URL disagrees with {k}"));
                    }
                }
                if d.get("DB_PASSWORD").is_some_and(|p| Some(p.as_str()) != u.password()) {
                    problems.push("DATABASE_URL's password disagrees with DB_PASSWORD".into());
                }
            }
        }
    }
    // Only the password-bearing values are secret; DB_SSLMODE=disable may be shown.
    let secrets: Vec<&str> =
        ["DB_PASSWORD", "DATABASE_URL"].iter().filter_map(|k| d.get(*k).map(String::as_str)).collect();
    let msg = navikit::redact::redact_with(&problems.join("; "), &secrets);
    let observed =
        SecretKeys { keys: d.keys().cloned().collect(), db_host: d.get("DB_HOST").map(|h| h.trim().to_string()) }
            .to_value();
    vec![if problems.is_empty() {
        chk(
            n,
            &target,
            CheckStatus::Pass,
            format!(
                "all {} keys present, DB_SSLMODE={}, DATABASE_URL agrees with DB_*",
                KEYS.len(),
                d.get("DB_SSLMODE").map_or("", String::as_str)
            ),
        )
        .observed(observed)
    } else {
        chk(n, &target, CheckStatus::Fail, msg).observed(observed).expected(json!(KEYS))
    }]
}

pub(super) fn configmap(c: &Cluster<'_>, _t: &str) -> Vec<Check> {
    let n = "k8s.configmap.keys";
    let target = format!("{}/configmap/{}", c.ns(), c.o.configmap);
    let f = c.get(&c.configmap, &format!("/api/v1/namespaces/{}/configmaps/{}", c.ns(), c.o.configmap));
    let cm = match need(f, n, &target, &format!("configmap {}", c.o.configmap)) {
        Ok(v) => v,
        Err(e) => return vec![e],
    };
    let data = cm.get("data").and_then(Value::as_object).cloned().unwrap_or_default();
    let get = |k: &str| data.get(k).and_then(Value::as_str);
    let mut problems = Vec::new();
    for (k, lo, hi) in [
        ("DB_POOL_SIZE", 1, 500),
        ("DB_MAX_OVERFLOW", 0, 1000),
        ("DB_POOL_TIMEOUT", 1, 600),
        ("DB_POOL_RECYCLE", 1, 86400),
    ] {
        match get(k).map(|v| v.trim().parse::<i64>()) {
            None => problems.push(format!("{k} missing")),
            Some(Err(_)) => problems.push(format!("{k} is not a number")),
            Some(Ok(v)) if v < lo || v > hi => problems.push(format!("{k}={v} outside {lo}..{hi}")),
            Some(Ok(_)) => {}
        }
    }
    for k in ["ALEMBIC_AUTO_UPGRADE", "DB_ECHO"] {
        match get(k).map(|v| v.trim().to_ascii_lowercase()) {
            None if k == "DB_ECHO" => {}
            None => problems.push(format!("{k} missing")),
            Some(v) if ["true", "false", "1", "0", "yes", "no"].contains(&v.as_str()) => {}
            Some(v) => problems.push(format!("{k}=`{v}` is not a boolean")),
        }
    }
    vec![if problems.is_empty() {
        chk(n, &target, CheckStatus::Pass, "pool settings numeric and sane; ALEMBIC_AUTO_UPGRADE is a boolean")
            .observed(Value::Object(data))
    } else {
        chk(n, &target, CheckStatus::Fail, problems.join("; ")).observed(Value::Object(data))
    }]
}

/// Resolved is where an environment variable of a container comes from.
enum Resolved {
    /// Its value and where it was found.
    Value(String, String),
    /// Not set anywhere in the container's spec.
    Absent,
    /// Set, but from a source that could not be read (why).
    Unknown(String),
}

/// object_data reads a ConfigMap's `data` or a Secret's decoded `data`.
fn object_data(c: &Cluster<'_>, kind: &str, name: &str) -> Result<Option<BTreeMap<String, String>>, String> {
    let path = format!("/api/v1/namespaces/{}/{kind}/{name}", c.ns());
    Ok(c.o.kubectl.json(&path)?.map(|v| {
        if kind == "secrets" {
            decoded(&v)
        } else {
            v.get("data")
                .and_then(Value::as_object)
                .map(|m| m.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect())
                .unwrap_or_default()
        }
    }))
}

/// resolve_env finds a variable the way the kubelet sets it: `env` entries
/// (a literal `value`, or `valueFrom` a ConfigMap or Secret key) win over
/// `envFrom` sources, of which the last to define it wins.
fn resolve_env(c: &Cluster<'_>, container: &Value, key: &str) -> Resolved {
    let env = container.get("env").and_then(Value::as_array).cloned().unwrap_or_default();
    if let Some(e) = env.iter().rev().find(|e| e.get("name").and_then(Value::as_str) == Some(key)) {
        if let Some(v) = e.get("value").and_then(Value::as_str) {
            return Resolved::Value(v.to_string(), "set directly in the deployment".into());
        }
        for (field, kind) in [("configMapKeyRef", "configmaps"), ("secretKeyRef", "secrets")] {
            if let Some(r) = e.pointer(&format!("/valueFrom/{field}")) {
                let name = r.get("name").and_then(Value::as_str).unwrap_or("");
                let k = r.get("key").and_then(Value::as_str).unwrap_or("");
                return match object_data(c, kind, name) {
                    Ok(Some(d)) => match d.get(k) {
                        Some(v) => Resolved::Value(v.clone(), format!("from {kind} {name}/{k}")),
                        None => Resolved::Unknown(format!("{kind} {name} has no key {k}")),
                    },
                    Ok(None) => Resolved::Unknown(format!("{kind} {name} not found")),
                    Err(e) => Resolved::Unknown(e),
                };
            }
        }
        return Resolved::Unknown(format!(
            "{key} is set from a source k8s-check cannot read (fieldRef or resourceFieldRef)"
        ));
    }
    let sources = container.get("envFrom").and_then(Value::as_array).cloned().unwrap_or_default();
    for src in sources.iter().rev() {
        let prefix = src.get("prefix").and_then(Value::as_str).unwrap_or("");
        let Some(stripped) = key.strip_prefix(prefix) else { continue };
        for (field, kind) in [("configMapRef", "configmaps"), ("secretRef", "secrets")] {
            let Some(r) = src.get(field) else { continue };
            let name = r.get("name").and_then(Value::as_str).unwrap_or("");
            match object_data(c, kind, name) {
                Ok(Some(d)) => {
                    if let Some(v) = d.get(stripped) {
                        return Resolved::Value(v.clone(), format!("from envFrom {kind} {name}"));
                    }
                }
                Ok(None) if r.get("optional").and_then(Value::as_bool) == Some(true) => {}
                Ok(None) => return Resolved::Unknown(format!("envFrom {kind} {name} not found")),
                Err(e) => return Resolved::Unknown(format!("envFrom {kind} {name}: {e}")),
            }
        }
    }
    Resolved::Absent
}

/// audit_key: in every container that runs with APP_ENV=production,
/// AUDIT_ENCRYPTION_KEY resolves to a valid Fernet key.
pub(super) fn audit_key(c: &Cluster<'_>, t: &str) -> Vec<Check> {
    let n = "k8s.audit_key.production";
    let d = match need(c.deployment(), n, t, "deployment") {
        Ok(d) => d,
        Err(e) => return vec![e],
    };
    let containers = d.pointer("/spec/template/spec/containers").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut production = Vec::new();
    let mut seen = Vec::new();
    let mut unknown = Vec::new();
    for ct in &containers {
        let name = ct.get("name").and_then(Value::as_str).unwrap_or("?").to_string();
        match resolve_env(c, ct, "APP_ENV") {
            Resolved::Value(v, _) if v.trim().eq_ignore_ascii_case("production") => production.push((name, ct)),
            Resolved::Value(v, from) => seen.push(format!("{name}: APP_ENV=`{v}` ({from})")),
            Resolved::Absent => seen.push(format!("{name}: APP_ENV not set")),
            Resolved::Unknown(why) => unknown.push(format!("cannot resolve APP_ENV of container {name}: {why}")),
        }
    }
    // A container that cannot be resolved never hides one that fails: the
    // production containers are judged first, the unknown ones make it a skip.
    if production.is_empty() && !unknown.is_empty() {
        return vec![chk(n, t, CheckStatus::Skip, unknown.join("; "))];
    }
    if production.is_empty() {
        return vec![chk(
            n,
            t,
            CheckStatus::Skip,
            format!(
                "no container runs with APP_ENV=production ({}): mandatory audit encryption is not exercised here",
                seen.join("; ")
            ),
        )];
    }
    let mut problems = Vec::new();
    let mut sources = Vec::new();
    for (name, ct) in production {
        match resolve_env(c, ct, "AUDIT_ENCRYPTION_KEY") {
            Resolved::Value(k, from) if fernet::Fernet::new(k.trim()).is_some() => sources.push(format!("{name}: {from}")),
            Resolved::Value(_, from) => problems.push(format!(
                "{name}: AUDIT_ENCRYPTION_KEY {from} is not a valid Fernet key (32 url-safe base64 bytes)"
            )),
            Resolved::Absent => problems.push(format!(
                "{name}: APP_ENV=production but AUDIT_ENCRYPTION_KEY is not set: the service will refuse to start; add it from a secret"
            )),
            Resolved::Unknown(why) => problems.push(format!("{name}: AUDIT_ENCRYPTION_KEY: {why}")),
        }
    }
    vec![if !problems.is_empty() {
        chk(n, t, CheckStatus::Fail, problems.join("; "))
    } else if !unknown.is_empty() {
        chk(
            n,
            t,
            CheckStatus::Skip,
            format!("{}; the production containers pass ({})", unknown.join("; "), sources.join("; ")),
        )
    } else {
        chk(n, t, CheckStatus::Pass, format!("AUDIT_ENCRYPTION_KEY is a valid Fernet key ({})", sources.join("; ")))
    }]
}
