//! JSON Schemas of the record kinds, generated from the Rust types and
//! committed under `docs/schema/` (a test fails when they are stale).

use serde_json::{Value, json};

use crate::record::{Check, Probe, Sample, Stats};

/// kinds lists each record kind with its schema text, as written to
/// `docs/schema/<kind>.schema.json`. The `kind` tag lives on the `Record`
/// enum, so it is added here to each kind's own schema.
pub fn kinds() -> Vec<(&'static str, String)> {
    [
        ("probe", schemars::schema_for!(Probe)),
        ("check", schemars::schema_for!(Check)),
        ("stats", schemars::schema_for!(Stats)),
        ("sample", schemars::schema_for!(Sample)),
    ]
    .into_iter()
    .map(|(kind, schema)| {
        let mut v = schema.to_value();
        if let Some(props) = v.get_mut("properties").and_then(Value::as_object_mut) {
            props.insert("kind".into(), json!({ "description": "Record kind tag.", "const": kind }));
        }
        if let Some(req) = v.get_mut("required").and_then(Value::as_array_mut) {
            req.insert(0, json!("kind"));
        }
        (kind, serde_json::to_string_pretty(&v).unwrap_or_default() + "\n")
    })
    .collect()
}
