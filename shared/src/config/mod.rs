//! Every function's configuration, read from the environment once per cold start, with errors that
//! name the variable.
//!
//! Each variable's name is written once, as a constant named like it: the ones several functions
//! read in [`common`] and [`hubspot`], the rest beside the one function that reads them. Each
//! function's file lists what it reads (`ENV_VARS`, checked against `infra/template.yaml`).

pub mod alerts;
pub mod api;
pub mod common;
pub mod hubspot;
pub mod ingest;
pub mod notify;
pub mod paypal;
pub mod score;
pub mod sources;
pub mod sync;

pub use api::{ApiConfig, ApiFunctionConfig, DashboardSignIn, TokenUse};
pub use ingest::{IngestConfig, PublicBaseUrl};
pub use notify::NotifyConfig;
pub use score::ScoreConfig;
pub use sync::SyncConfig;

use url::Url;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {name} is required")]
    Missing { name: &'static str },
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// A view of the environment (the process's, or a map in tests).
pub struct Env<F> {
    lookup: F,
}

impl Env<fn(&str) -> Option<String>> {
    pub fn process() -> Self {
        fn var(name: &str) -> Option<String> {
            std::env::var(name).ok()
        }
        Env { lookup: var }
    }
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    pub fn new(lookup: F) -> Self {
        Env { lookup }
    }

    /// The trimmed value; empty counts as absent.
    pub fn optional(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    pub fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.optional(name).ok_or(ConfigError::Missing { name })
    }

    /// An http(s) URL, or `default` when absent.
    pub fn url(&self, name: &'static str, default: Option<&str>) -> Result<Url, ConfigError> {
        let value = match (self.optional(name), default) {
            (Some(v), _) => v,
            (None, Some(d)) => d.to_string(),
            (None, None) => return Err(ConfigError::Missing { name }),
        };
        let parsed = Url::parse(&value).map_err(|e| ConfigError::Invalid {
            name,
            reason: e.to_string(),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ConfigError::Invalid {
                name,
                reason: "must be an http or https URL".to_string(),
            });
        }
        Ok(parsed)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::HashMap;

    /// An environment holding these pairs.
    pub(crate) fn env(pairs: &[(&str, &str)]) -> Env<impl Fn(&str) -> Option<String>> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Env::new(move |name: &str| map.get(name).cloned())
    }

    #[test]
    fn blank_counts_as_absent_and_urls_must_be_http() {
        let blank = env(&[("TABLE_NAME", "  "), ("U", "ftp://x"), ("V", "http://x")]);
        assert_eq!(blank.optional("TABLE_NAME"), None);
        assert_eq!(
            blank.required("TABLE_NAME"),
            Err(ConfigError::Missing { name: "TABLE_NAME" })
        );
        assert!(matches!(
            blank.url("U", None),
            Err(ConfigError::Invalid { name: "U", .. })
        ));
        assert_eq!(blank.url("V", None).unwrap().as_str(), "http://x/");
        assert_eq!(
            blank.url("W", Some("https://d")).unwrap().as_str(),
            "https://d/"
        );
    }
}
