//! What the function reads from its environment (set by template.yaml), parsed once at cold
//! start. A missing or malformed value fails the cold start with the variable's name.

use std::path::PathBuf;
use std::time::Duration;

/// Environment variables the function reads. The template test checks template.yaml sets them.
pub const LAKE_LOCATION: &str = "OCSF_LAKE_LOCATION";
pub const DEAD_LETTER_LOCATION: &str = "OCSF_DEAD_LETTER_LOCATION";
pub const PROVIDER_ROLE_ARN: &str = "OCSF_PROVIDER_ROLE_ARN";
pub const PROVIDER_EXTERNAL_ID: &str = "OCSF_PROVIDER_EXTERNAL_ID";
pub const CONFIG: &str = "OCSF_CONFIG";
pub const BUFFER_MB: &str = "OCSF_BUFFER_MB";
pub const TIME_RESERVE_SECONDS: &str = "OCSF_TIME_RESERVE_SECONDS";
pub const METRICS_NAMESPACE: &str = "OCSF_METRICS_NAMESPACE";
pub const CONCURRENCY: &str = "OCSF_CONCURRENCY";

/// Every variable above, for checks against the deployment template.
pub const ENV_NAMES: &[&str] = &[
    LAKE_LOCATION,
    DEAD_LETTER_LOCATION,
    PROVIDER_ROLE_ARN,
    PROVIDER_EXTERNAL_ID,
    CONFIG,
    BUFFER_MB,
    TIME_RESERVE_SECONDS,
    METRICS_NAMESPACE,
    CONCURRENCY,
];

/// Where dead letters go when OCSF_DEAD_LETTER_LOCATION is not set: this prefix of the bucket the
/// input came from (for Kinesis input, of the lake bucket).
pub const DEFAULT_DEAD_LETTER_PREFIX: &str = "ocsf-dead-letter/";

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{name} is not set")]
    Missing { name: &'static str },
    #[error("{name}={value:?}: {reason}")]
    Invalid {
        name: &'static str,
        value: String,
        reason: String,
    },
}

/// `s3://bucket/prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    /// Empty, or ending with `/`.
    pub prefix: String,
}

impl S3Location {
    pub fn parse(s: &str) -> Result<S3Location, String> {
        let rest = s
            .strip_prefix("s3://")
            .ok_or_else(|| "expected s3://bucket/prefix".to_string())?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err("the bucket name is empty".into());
        }
        Ok(S3Location {
            bucket: bucket.to_string(),
            prefix: crate::output::lake::folder(prefix),
        })
    }

    /// The full key of `key` under this location.
    pub fn key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }
}

impl std::fmt::Display for S3Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// The Security Lake bucket (and prefix) under which the sources' class locations lie.
    pub lake: S3Location,
    pub dead_letters: Option<S3Location>,
    /// Write the lake through this role (Security Lake's provider role), with this external ID.
    pub provider_role_arn: Option<String>,
    pub provider_external_id: Option<String>,
    /// A sources config file; the one built into the binary when unset.
    pub config: Option<PathBuf>,
    /// Buffered rows per batch before they are written out as part objects (OCSF_BUFFER_MB
    /// shared among the concurrent inputs).
    pub buffer_bytes: usize,
    /// Stop starting new work when less than this is left of the invocation.
    pub time_reserve: Duration,
    pub metrics_namespace: String,
    /// SQS messages handled at once in one invocation; the buffer is shared among them.
    pub concurrency: usize,
}

impl Settings {
    pub fn from_env() -> Result<Settings, SettingsError> {
        Settings::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingsError> {
        let location = |name: &'static str, v: String| {
            S3Location::parse(&v).map_err(|reason| SettingsError::Invalid {
                name,
                value: v,
                reason,
            })
        };
        let number = |name: &'static str, default: u64| -> Result<u64, SettingsError> {
            match get(name) {
                None => Ok(default),
                Some(v) => v.trim().parse().map_err(|e| SettingsError::Invalid {
                    name,
                    value: v,
                    reason: format!("{e}"),
                }),
            }
        };
        let lake = location(
            LAKE_LOCATION,
            get(LAKE_LOCATION).ok_or(SettingsError::Missing {
                name: LAKE_LOCATION,
            })?,
        )?;
        let dead_letters = get(DEAD_LETTER_LOCATION)
            .map(|v| location(DEAD_LETTER_LOCATION, v))
            .transpose()?;
        let provider_role_arn = get(PROVIDER_ROLE_ARN);
        if let Some(arn) = &provider_role_arn
            && !arn.starts_with("arn:")
        {
            return Err(SettingsError::Invalid {
                name: PROVIDER_ROLE_ARN,
                value: arn.clone(),
                reason: "expected a role ARN".into(),
            });
        }
        let concurrency = number(CONCURRENCY, 4)?.clamp(1, 64) as usize;
        Ok(Settings {
            lake,
            dead_letters,
            provider_role_arn,
            provider_external_id: get(PROVIDER_EXTERNAL_ID),
            config: get(CONFIG).map(PathBuf::from),
            buffer_bytes: (number(BUFFER_MB, 32)?.max(1) as usize) << 20,
            time_reserve: Duration::from_secs(number(TIME_RESERVE_SECONDS, 10)?),
            metrics_namespace: get(METRICS_NAMESPACE).unwrap_or_else(|| "OcsfTransform".into()),
            concurrency,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let m: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn reads_locations_and_defaults() {
        let s = from(&[
            (LAKE_LOCATION, "s3://lake-bucket"),
            (DEAD_LETTER_LOCATION, "s3://staging/dl//"),
            (BUFFER_MB, "8"),
            (CONCURRENCY, "2"),
        ])
        .unwrap();
        assert_eq!(s.lake.bucket, "lake-bucket");
        assert_eq!(s.lake.prefix, "");
        let dl = s.dead_letters.unwrap();
        assert_eq!(dl.key("a/b.jsonl"), "dl/a/b.jsonl");
        assert_eq!(s.buffer_bytes, 8 << 20);
        assert_eq!(s.concurrency, 2);
        assert_eq!(s.time_reserve, Duration::from_secs(10));
    }

    #[test]
    fn names_the_variable_that_is_wrong() {
        let e = from(&[]).unwrap_err().to_string();
        assert!(e.contains(LAKE_LOCATION), "{e}");
        let e = from(&[(LAKE_LOCATION, "lake-bucket/x")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("s3://bucket/prefix"), "{e}");
        let e = from(&[(LAKE_LOCATION, "s3://b"), (PROVIDER_ROLE_ARN, "role")])
            .unwrap_err()
            .to_string();
        assert!(e.contains(PROVIDER_ROLE_ARN), "{e}");
    }
}
