//! The score function's environment.

use crate::config::common::{EVENT_BUS_NAME, EXPORT_BUCKET_NAME, TABLE_NAME};
use crate::config::{ConfigError, Env};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreConfig {
    pub table_name: String,
    pub event_bus_name: String,
    /// Where exports are written; `None` fails export requests.
    pub export_bucket_name: Option<String>,
}

impl ScoreConfig {
    /// The variables it reads (checked against the SAM template in CI).
    pub const ENV_VARS: &'static [&'static str] = &[TABLE_NAME, EVENT_BUS_NAME, EXPORT_BUCKET_NAME];

    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: env.required(TABLE_NAME)?,
            event_bus_name: env.required(EVENT_BUS_NAME)?,
            export_bucket_name: env.optional(EXPORT_BUCKET_NAME),
        })
    }
}
