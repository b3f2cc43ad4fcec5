//! Email alerts through SES v2: against moto's SES (the sender identity verified first), and against
//! the local receiver standing in for the SES endpoint, which shows the request carries both parts.
//!
//! moto 5.1 keeps only one body of a `Simple` message (the HTML part when there is one) in what it
//! records (`GET /moto-api/data.json`, `ses.Message`), so the plain-text part is checked on the wire.

mod channels_support;

use channels_support::{channel, digest, single, tenant};
use shared::channels::{ChannelSender, SenderOptions, SesEmail};
use shared::domain::ChannelKind;
use shared::ports::alerts::{AlertSender, SendError};
use shared::vault::InProcessVault;
use std::sync::Arc;
use test_support::receiver::{Receiver, Reply};

async fn ses_client(endpoint: &str) -> aws_sdk_sesv2::Client {
    let config = aws_sdk_sesv2::config::Builder::from(&test_support::aws_config().await)
        .endpoint_url(endpoint)
        .build();
    aws_sdk_sesv2::Client::from_conf(config)
}

fn sender_with(email: SesEmail) -> ChannelSender {
    ChannelSender::new(
        Arc::new(InProcessVault::new()),
        Some(email),
        SenderOptions::default(),
    )
    .unwrap()
}

fn email_channel(recipients: &[&str]) -> shared::domain::AlertChannel {
    let mut channel = channel("email", ChannelKind::Email, None);
    channel.recipients = recipients.iter().map(|r| r.to_string()).collect();
    channel
}

#[tokio::test]
async fn moto_records_the_email_from_the_verified_sender_with_the_escaped_html_part() {
    let endpoint = test_support::require_service(test_support::SESV2);
    let client = ses_client(&endpoint).await;
    let from = format!("{}@alerts.example.com", test_support::unique_name("from"));
    let to = format!("{}@example.com", test_support::unique_name("ops"));
    client
        .create_email_identity()
        .email_identity(&from)
        .send()
        .await
        .expect("moto verifies the sender identity");
    let sender = sender_with(SesEmail::new(client.clone(), &from));
    let receipt = sender
        .send(&tenant(), &email_channel(&[&to]), &single())
        .await
        .expect("moto accepts the email");
    assert_eq!(receipt.status, 200);
    let message_id = receipt.message_id.expect("SES's message id");

    let data: serde_json::Value = reqwest::get(format!(
        "{}/moto-api/data.json",
        endpoint.trim_end_matches('/')
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let recorded = data["ses"]["Message"]
        .as_array()
        .expect("moto's SES messages")
        .iter()
        .find(|m| m["id"] == message_id.as_str())
        .expect("moto recorded the message")
        .clone();
    assert_eq!(recorded["source"], from.as_str());
    assert_eq!(recorded["destinations"]["ToAddresses"][0], to.as_str());
    assert_eq!(
        recorded["subject"],
        "Acme <Ltd> & Co moved from Watch to At risk (61 → 44)"
    );
    let html = recorded["body"].as_str().unwrap();
    assert!(html.contains("Acme &lt;Ltd&gt; &amp; Co"), "{html}");
    assert!(html.contains("No activity logged for 46 days"), "{html}");

    // A sender SES has not verified is refused, and retrying will not help.
    let unverified = sender_with(SesEmail::new(client, "nobody@unverified.example.net"));
    let error = unverified
        .send(&tenant(), &email_channel(&[&to]), &single())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SendError::Rejected { message, .. } if message.contains("MessageRejected")),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_ses_request_carries_the_subject_and_both_parts() {
    let receiver = Receiver::start().await.unwrap();
    let path = "/v2/email/outbound-emails";
    receiver.always(path, Reply::new(200, r#"{"MessageId":"local-1"}"#));
    let client = ses_client(receiver.base_url()).await;
    let sender = sender_with(SesEmail::new(client, "alerts@example.com"));
    let receipt = sender
        .send(
            &tenant(),
            &email_channel(&["a@example.com", "b@example.com"]),
            &digest(3),
        )
        .await
        .unwrap();
    assert_eq!(receipt.message_id.as_deref(), Some("local-1"));
    let taken = receiver.requests_to(path);
    assert_eq!(taken.len(), 1);
    let body = taken[0].json();
    assert_eq!(body["FromEmailAddress"], "alerts@example.com");
    assert_eq!(
        body["Destination"]["ToAddresses"],
        serde_json::json!(["a@example.com", "b@example.com"])
    );
    let simple = &body["Content"]["Simple"];
    assert_eq!(
        simple["Subject"]["Data"],
        "3 client alerts: At-risk customers"
    );
    assert_eq!(simple["Subject"]["Charset"], "UTF-8");
    let text = simple["Body"]["Text"]["Data"].as_str().unwrap();
    let html = simple["Body"]["Html"]["Data"].as_str().unwrap();
    assert!(
        text.contains("Client 2\nWatch (61) → At risk (44)"),
        "{text}"
    );
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains("<h3>"),
        "{html}"
    );
}

#[tokio::test]
async fn ses_throttling_is_unavailable_and_tried_once() {
    let receiver = Receiver::start().await.unwrap();
    let path = "/v2/email/outbound-emails";
    receiver.always(
        path,
        Reply::new(
            429,
            r#"{"__type":"TooManyRequestsException","message":"slow down"}"#,
        ),
    );
    let client = ses_client(receiver.base_url()).await;
    let sender = sender_with(SesEmail::new(client, "alerts@example.com"));
    let error = sender
        .send(&tenant(), &email_channel(&["a@example.com"]), &single())
        .await
        .unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
    assert_eq!(
        receiver.requests_to(path).len(),
        1,
        "the SDK must not retry on its own"
    );
    let none = sender
        .send(&tenant(), &email_channel(&[]), &single())
        .await
        .unwrap_err();
    assert!(matches!(none, SendError::Misconfigured(_)));
}
