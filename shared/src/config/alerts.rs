//! The variables of alerting the api (test alerts) and notify (alerts) both read.

use crate::config::{ConfigError, Env};

/// The SES identity alert emails are sent from (optional: without it email channels are refused as
/// not configured, and the delivery log says so).
pub const ALERT_EMAIL_FROM: &str = "ALERT_EMAIL_FROM";
/// `true` lets channel URLs be plain http on this machine (127.0.0.1, localhost): the local runner
/// and the system test, whose receivers have no TLS. The template sets `false`; absent is `false`.
pub const ALERT_CHANNELS_ALLOW_LOCAL_HTTP: &str = "ALERT_CHANNELS_ALLOW_LOCAL_HTTP";

/// The sender address, when set: `name@domain.tld`.
pub fn alert_email_from<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<Option<String>, ConfigError> {
    let from = env.optional(ALERT_EMAIL_FROM);
    if let Some(from) = &from {
        let valid = from
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
        if !valid {
            return Err(ConfigError::Invalid {
                name: ALERT_EMAIL_FROM,
                reason: "must be an email address (name@verified-domain.example)".to_string(),
            });
        }
    }
    Ok(from)
}

/// Whether channel URLs may be plain http on this machine.
pub fn allow_local_http_channels<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<bool, ConfigError> {
    match env.optional(ALERT_CHANNELS_ALLOW_LOCAL_HTTP).as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ConfigError::Invalid {
            name: ALERT_CHANNELS_ALLOW_LOCAL_HTTP,
            reason: "must be true or false".to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::env;

    #[test]
    fn local_http_is_off_unless_said_and_nonsense_is_refused() {
        let read = |value: &str| {
            allow_local_http_channels(&env(&[(ALERT_CHANNELS_ALLOW_LOCAL_HTTP, value)]))
        };
        assert_eq!(read(""), Ok(false));
        assert_eq!(read("false"), Ok(false));
        assert_eq!(read("true"), Ok(true));
        assert!(read("yes").is_err());
    }

    #[test]
    fn the_sender_must_be_an_address() {
        let read = |value: &str| alert_email_from(&env(&[(ALERT_EMAIL_FROM, value)]));
        assert_eq!(read(" "), Ok(None));
        assert_eq!(
            read(" alerts@insights.example.com "),
            Ok(Some("alerts@insights.example.com".to_string()))
        );
        assert!(read("alerts").is_err());
    }
}
