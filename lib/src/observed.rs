//! The `observed` shapes one tool writes and another reads, as types both
//! use, so producer and consumer cannot disagree on a field name. Tests pipe
//! the real producer into the real consumer.

use serde::{Deserialize, Serialize};

use crate::record::Check;

/// SECRET_KEYS_CHECK is the check whose `observed` is a [`SecretKeys`].
pub const SECRET_KEYS_CHECK: &str = "k8s.secret.keys";

/// SecretKeys is what k8s-check's `k8s.secret.keys` observed: the key names
/// of the database secret (never values) and its DB_HOST, which cloud-check
/// compares with the managed database's endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretKeys {
    /// Key names present in the secret, sorted.
    pub keys: Vec<String>,
    /// The secret's DB_HOST (a host name, not a secret), when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_host: Option<String>,
}

impl SecretKeys {
    /// SecretKeys::to_value is the JSON for `Check::observed`.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// SecretKeys::from_check reads it back from a `k8s.secret.keys` record.
    pub fn from_check(c: &Check) -> Option<SecretKeys> {
        if c.check != SECRET_KEYS_CHECK {
            return None;
        }
        serde_json::from_value(c.observed.clone()?).ok()
    }
}
