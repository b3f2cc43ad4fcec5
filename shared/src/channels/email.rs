//! Email alerts through Amazon SES (v2 `SendEmail`): a subject, a plain-text part and an HTML part
//! in which every value from the data is HTML-escaped, from the configured sender address.

use crate::channels::wording::{change_line, clip, factor_title, message_title, more_line};
use crate::domain::{AlertItem, AlertMessage};
use crate::ports::alerts::{SendError, SendReceipt};
use aws_sdk_sesv2::config::retry::RetryConfig;
use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};

/// A digest email lists at most this many alerts, then says how many more.
pub const MAX_DIGEST_ITEMS: usize = 200;
/// Subjects longer than this are cut (mail clients show far less).
pub const MAX_SUBJECT_CHARS: usize = 200;
/// SES takes at most 50 recipients a message.
pub const MAX_RECIPIENTS: usize = 50;

/// A rendered email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailParts {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// `&`, `<`, `>`, `"` and `'` as entities: text from tenants' CRM data is never markup.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

/// Only http(s) links become `href`s; anything else (a `javascript:` URL) is left out.
fn safe_link(link: &str) -> Option<String> {
    let lower = link.trim().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        .then(|| escape_html(link.trim()))
}

pub fn render(message: &AlertMessage) -> EmailParts {
    // Line breaks in a subject would start new headers.
    let subject = clip(
        &message_title(message).replace(['\r', '\n'], " "),
        MAX_SUBJECT_CHARS,
    );
    let shown = if message.digest || message.items.len() != 1 {
        message.items.len().min(MAX_DIGEST_ITEMS)
    } else {
        1
    };
    let left_out = message.items.len() - shown;

    let mut text = format!("{subject}\n\n");
    let mut html = format!(
        "<!DOCTYPE html><html><body style=\"font-family:sans-serif\"><h2>{}</h2>",
        escape_html(&subject)
    );
    for item in &message.items[..shown] {
        text.push_str(&item_text(item));
        html.push_str(&item_html(item));
    }
    if left_out > 0 {
        text.push_str(&format!("{}\n", more_line(left_out)));
        html.push_str(&format!(
            "<p><strong>{}</strong></p>",
            escape_html(&more_line(left_out))
        ));
    }
    if let Some(dashboard) = &message.dashboard_url {
        text.push_str(&format!("\nSee all on the dashboard: {dashboard}\n"));
        if let Some(href) = safe_link(dashboard) {
            html.push_str(&format!(
                "<p><a href=\"{href}\">See all on the dashboard</a></p>"
            ));
        }
    }
    let mut footer = format!("Rule: {}", message.rule_name);
    if message.test {
        footer.push_str(" · This is a test alert");
    }
    text.push_str(&format!("\n{footer}\n"));
    html.push_str(&format!(
        "<p style=\"color:#666;font-size:small\">{}</p></body></html>",
        escape_html(&footer)
    ));
    EmailParts {
        subject,
        text,
        html,
    }
}

fn item_text(item: &AlertItem) -> String {
    let mut text = format!("{}\n{}\n", item.client_name, change_line(&item.change));
    for factor in &item.top_factors {
        text.push_str(&format!(
            "  - {}: {}\n",
            factor_title(factor),
            factor.explanation
        ));
    }
    if let Some(link) = &item.link {
        text.push_str(&format!("Open client: {link}\n"));
    }
    text.push('\n');
    text
}

fn item_html(item: &AlertItem) -> String {
    let name = match item.link.as_deref().and_then(safe_link) {
        Some(href) => format!("<a href=\"{href}\">{}</a>", escape_html(&item.client_name)),
        None => escape_html(&item.client_name),
    };
    let mut html = format!(
        "<h3>{name}</h3><p>{}</p>",
        escape_html(&change_line(&item.change))
    );
    if !item.top_factors.is_empty() {
        html.push_str("<ul>");
        for factor in &item.top_factors {
            html.push_str(&format!(
                "<li><strong>{}</strong>: {}</li>",
                escape_html(&factor_title(factor)),
                escape_html(&factor.explanation)
            ));
        }
        html.push_str("</ul>");
    }
    html
}

/// Sends alert emails through SES from one verified sender address.
#[derive(Clone)]
pub struct SesEmail {
    client: aws_sdk_sesv2::Client,
    from: String,
}

impl SesEmail {
    /// `from` is the configured sender (`ALERT_EMAIL_FROM`), an identity verified in SES. The
    /// client's own retries are turned off: a send is one attempt, the caller paces and retries.
    pub fn new(client: aws_sdk_sesv2::Client, from: impl Into<String>) -> Self {
        let config = client
            .config()
            .to_builder()
            .retry_config(RetryConfig::disabled())
            .build();
        Self {
            client: aws_sdk_sesv2::Client::from_conf(config),
            from: from.into(),
        }
    }

    pub async fn send(
        &self,
        recipients: &[String],
        message: &AlertMessage,
    ) -> Result<SendReceipt, SendError> {
        if recipients.is_empty() {
            return Err(SendError::Misconfigured(
                "the email channel has no recipients".into(),
            ));
        }
        if recipients.len() > MAX_RECIPIENTS {
            return Err(SendError::Misconfigured(format!(
                "an email channel takes at most {MAX_RECIPIENTS} recipients"
            )));
        }
        let parts = render(message);
        let content = |data: String| {
            Content::builder()
                .data(data)
                .charset("UTF-8")
                .build()
                .map_err(|_| SendError::Rejected {
                    status: 400,
                    message: "the email could not be built".into(),
                })
        };
        let body = Body::builder()
            .text(content(parts.text)?)
            .html(content(parts.html)?)
            .build();
        let email = Message::builder()
            .subject(content(parts.subject)?)
            .body(body)
            .build();
        let output = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(
                Destination::builder()
                    .set_to_addresses(Some(recipients.to_vec()))
                    .build(),
            )
            .content(EmailContent::builder().simple(email).build())
            .send()
            .await
            .map_err(classify)?;
        Ok(SendReceipt {
            status: 200,
            message_id: output.message_id().map(str::to_string),
        })
    }
}

/// SES's answer as a [`SendError`]: its error code and message (never credentials or addresses of
/// the service).
fn classify(error: SdkError<SendEmailError>) -> SendError {
    let service = match error {
        SdkError::ServiceError(service) => service.into_err(),
        SdkError::TimeoutError(_) => {
            return SendError::Unavailable {
                message: "SES did not answer in time".into(),
                retry_after: None,
            }
        }
        SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            return SendError::Unavailable {
                message: "SES could not be reached".into(),
                retry_after: None,
            }
        }
        _ => {
            return SendError::Unavailable {
                message: "the SES request failed".into(),
                retry_after: None,
            }
        }
    };
    let code = service.code().unwrap_or("Unknown").to_string();
    let detail = clip(service.message().unwrap_or_default(), 200);
    let message = format!("SES {code}: {detail}");
    match service {
        SendEmailError::TooManyRequestsException(_) | SendEmailError::LimitExceededException(_) => {
            SendError::Unavailable {
                message,
                retry_after: None,
            }
        }
        SendEmailError::MailFromDomainNotVerifiedException(_)
        | SendEmailError::AccountSuspendedException(_)
        | SendEmailError::SendingPausedException(_)
        | SendEmailError::NotFoundException(_) => SendError::Misconfigured(message),
        SendEmailError::MessageRejected(_) | SendEmailError::BadRequestException(_) => {
            SendError::Rejected {
                status: 400,
                message,
            }
        }
        _ => SendError::Unavailable {
            message,
            retry_after: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escaping_covers_every_markup_character() {
        assert_eq!(
            escape_html(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
        assert_eq!(safe_link("javascript:alert(1)"), None);
        assert_eq!(
            safe_link("https://x.test/?a=1&b=2").as_deref(),
            Some("https://x.test/?a=1&amp;b=2")
        );
    }
}
