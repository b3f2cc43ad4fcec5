//! `ChannelSender`: the `AlertSender` that reaches real channels. It reads the channel's secret,
//! renders the message for the channel's kind, sends it once and says how the channel took it.
//! Errors name what went wrong, never the URL or a key.

use crate::channels::email::SesEmail;
use crate::channels::secret::{ChannelSecret, UrlPolicy};
use crate::channels::{slack, teams, webhook};
use crate::domain::{AlertChannel, AlertMessage, ChannelKind, TenantId};
use crate::ports::alerts::{AlertSender, SendError, SendReceipt};
use crate::ports::vault::{SecretVault, VaultError};
use crate::sources::http_retry::retry_after;
use chrono::Utc;
use secrecy::ExposeSecret;
use std::sync::Arc;
use std::time::Duration;

/// Seconds to open a connection to a channel.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Seconds for a whole request: a slow channel must not hold a notify batch.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest part of a channel's answer kept in an error.
const MAX_ERROR_TEXT: usize = 200;

#[derive(Debug, Clone, Copy)]
pub struct SenderOptions {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Tests and the local runner: plain http to 127.0.0.1 and localhost.
    pub url_policy: UrlPolicy,
}

impl Default for SenderOptions {
    fn default() -> Self {
        Self {
            connect_timeout: CONNECT_TIMEOUT,
            request_timeout: REQUEST_TIMEOUT,
            url_policy: UrlPolicy::default(),
        }
    }
}

pub struct ChannelSender {
    http: reqwest::Client,
    vault: Arc<dyn SecretVault>,
    email: Option<SesEmail>,
    url_policy: UrlPolicy,
}

impl ChannelSender {
    /// `email` is `None` where no sender address is configured: email channels then fail as
    /// misconfigured, the others work.
    pub fn new(
        vault: Arc<dyn SecretVault>,
        email: Option<SesEmail>,
        options: SenderOptions,
    ) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            // A redirect could carry the message (and a signed body) to another host.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!(
                "connected-insights-alerts/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()?;
        Ok(Self {
            http,
            vault,
            email,
            url_policy: options.url_policy,
        })
    }

    async fn secret(&self, channel: &AlertChannel) -> Result<ChannelSecret, SendError> {
        let Some(secret_id) = &channel.secret_id else {
            return Err(SendError::Misconfigured(
                "the channel has no secret holding its URL".into(),
            ));
        };
        let stored = self
            .vault
            .get(secret_id)
            .await
            .map_err(|error| match error {
                VaultError::NotFound(_) => {
                    SendError::Misconfigured("the channel's secret does not exist".into())
                }
                VaultError::AccessDenied(_) => {
                    SendError::Misconfigured("the channel's secret cannot be read".into())
                }
                VaultError::Unavailable(_)
                | VaultError::Conflict(_)
                | VaultError::AlreadyExists(_) => SendError::Unavailable {
                    message: "the secret store is unavailable".into(),
                    retry_after: None,
                },
            })?;
        ChannelSecret::parse(channel.kind, &stored.value, self.url_policy)
            .map_err(|error| SendError::Misconfigured(error.to_string()))
    }

    async fn post(
        &self,
        secret: &ChannelSecret,
        body: Vec<u8>,
        headers: &[(&str, String)],
    ) -> Result<SendReceipt, SendError> {
        let url = secret.url().expose_secret();
        let mut request = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        let wait = retry_after(response.headers(), Utc::now());
        if response.status().is_success() {
            return Ok(SendReceipt {
                status,
                message_id: None,
            });
        }
        // The answer's text says why (Slack: `no_service`, `invalid_payload`); a timeout reading
        // it leaves it empty.
        let text = response.text().await.unwrap_or_default();
        Err(classify(status, wait, &redact(&text, url)))
    }
}

/// A channel's HTTP answer (not 2xx) as a [`SendError`]; `text` is its body, already redacted.
pub fn classify(status: u16, retry_after: Option<Duration>, text: &str) -> SendError {
    let said = if text.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status} {text}")
    };
    match status {
        404 | 410 => SendError::Gone(said),
        413 => SendError::TooLarge(said),
        408 | 429 | 500..=599 => SendError::Unavailable {
            message: said,
            retry_after,
        },
        300..=399 => SendError::Rejected {
            status,
            message: format!("{said} (redirects are not followed)"),
        },
        _ => SendError::Rejected {
            status,
            message: said,
        },
    }
}

/// What failed before an answer came: reqwest's own message names the URL, so only its kind is said.
fn transport_error(error: reqwest::Error) -> SendError {
    let message = if error.is_timeout() {
        "the channel did not answer in time"
    } else if error.is_connect() {
        "the channel could not be reached"
    } else if error.is_builder() {
        return SendError::Misconfigured("the channel's URL cannot be used".into());
    } else {
        "the request to the channel failed"
    };
    SendError::Unavailable {
        message: message.into(),
        retry_after: None,
    }
}

/// The first line of a channel's answer, cut short, with anything of the URL (its host, path or
/// query pieces of 6 characters or more, which a receiver may echo) taken out.
fn redact(text: &str, url: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    let mut kept: String = line.chars().take(MAX_ERROR_TEXT).collect();
    let mut pieces: Vec<&str> = vec![url];
    pieces.extend(
        url.split(['/', '?', '&', '=', ':', '#'])
            .filter(|piece| piece.len() >= 6),
    );
    pieces.sort_by_key(|piece| std::cmp::Reverse(piece.len()));
    for piece in pieces {
        if !piece.is_empty() {
            kept = kept.replace(piece, "[redacted]");
        }
    }
    kept
}

#[async_trait::async_trait]
impl AlertSender for ChannelSender {
    async fn send(
        &self,
        tenant_id: &TenantId,
        channel: &AlertChannel,
        message: &AlertMessage,
    ) -> Result<SendReceipt, SendError> {
        match channel.kind {
            ChannelKind::Email => match &self.email {
                Some(email) => email.send(&channel.recipients, message).await,
                None => Err(SendError::Misconfigured(
                    "email alerts have no sender address configured".into(),
                )),
            },
            ChannelKind::Slack => {
                let secret = self.secret(channel).await?;
                let body = serde_json::to_vec(&slack::render(message)).map_err(render_error)?;
                self.post(&secret, body, &[]).await
            }
            ChannelKind::Teams => {
                let secret = self.secret(channel).await?;
                let card = teams::render(message).map_err(|too_large| {
                    SendError::TooLarge(format!(
                        "the Teams card is {} bytes, over the limit of {}",
                        too_large.bytes, too_large.limit
                    ))
                })?;
                let body = serde_json::to_vec(&card).map_err(render_error)?;
                self.post(&secret, body, &[]).await
            }
            ChannelKind::Webhook => {
                let secret = self.secret(channel).await?;
                let key = secret.signing_key().ok_or_else(|| {
                    SendError::Misconfigured("the webhook has no signing secret".into())
                })?;
                let now = Utc::now();
                let body =
                    serde_json::to_vec(&webhook::render(message, now)).map_err(render_error)?;
                let channel_key = format!("{tenant_id}/{}", channel.id);
                let id = webhook::message_id(&channel_key, message);
                let signed = webhook::sign(&key, &id, now.timestamp(), &body);
                let headers = [
                    (webhook::WEBHOOK_ID, signed.id.clone()),
                    (webhook::WEBHOOK_TIMESTAMP, signed.timestamp),
                    (webhook::WEBHOOK_SIGNATURE, signed.signature),
                ];
                let mut receipt = self.post(&secret, body, &headers).await?;
                receipt.message_id = Some(signed.id);
                Ok(receipt)
            }
        }
    }
}

fn render_error(error: serde_json::Error) -> SendError {
    SendError::Rejected {
        status: 0,
        message: format!("the message could not be rendered: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified_as_slack_documents_them() {
        let wait = Some(Duration::from_secs(3));
        assert!(
            matches!(classify(410, None, "no_service"), SendError::Gone(m) if m.contains("no_service"))
        );
        assert!(matches!(
            classify(404, None, "channel_not_found"),
            SendError::Gone(_)
        ));
        assert_eq!(
            classify(429, wait, ""),
            SendError::Unavailable {
                message: "HTTP 429".into(),
                retry_after: wait
            }
        );
        assert!(classify(503, None, "").is_retryable());
        assert!(matches!(
            classify(400, None, "invalid_payload"),
            SendError::Rejected { status: 400, message } if message.contains("invalid_payload")
        ));
        assert!(matches!(
            classify(403, None, "action_prohibited"),
            SendError::Rejected { status: 403, .. }
        ));
        assert!(matches!(classify(413, None, ""), SendError::TooLarge(_)));
        assert!(matches!(
            classify(302, None, ""),
            SendError::Rejected { status: 302, .. }
        ));
    }

    #[test]
    fn an_answer_that_echoes_the_url_is_redacted() {
        let url = "https://hooks.slack.com/services/T0001/B0002/TOKENVALUE123";
        let said = redact(
            &format!("no such hook {url} (TOKENVALUE123)\nsecond line"),
            url,
        );
        assert!(!said.contains("TOKENVALUE123"), "{said}");
        assert!(!said.contains("second line"), "{said}");
        assert!(said.starts_with("no such hook"), "{said}");
    }
}
