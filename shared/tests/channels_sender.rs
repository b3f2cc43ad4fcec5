//! `ChannelSender` against the local receiver playing Slack, Teams and a signed-webhook endpoint,
//! with the answers they document; the signed requests verified by the Standard Webhooks library;
//! errors that never show a channel's URL or key; and the in-process `RecordingSender`.

mod channels_support;

use channels_support::{channel, digest, single, tenant};
use secrecy::{ExposeSecret, SecretString};
use shared::channels::{ChannelSecret, ChannelSender, RecordingSender, SenderOptions, UrlPolicy};
use shared::domain::{AlertChannel, ChannelKind};
use shared::ports::alerts::{AlertSender, SendError};
use shared::ports::vault::SecretVault;
use shared::vault::InProcessVault;
use std::sync::Arc;
use std::time::{Duration, Instant};
use test_support::receiver::{Receiver, Reply};

/// A marker in every channel URL: no error may show it.
const MARKER: &str = "MARKER7f3e9a";

struct Setup {
    receiver: Receiver,
    vault: Arc<InProcessVault>,
    sender: ChannelSender,
}

async fn setup(request_timeout: Duration) -> Setup {
    let receiver = Receiver::start().await.unwrap();
    let vault = Arc::new(InProcessVault::new());
    let options = SenderOptions {
        request_timeout,
        url_policy: UrlPolicy::LOCAL,
        ..SenderOptions::default()
    };
    let sender = ChannelSender::new(vault.clone(), None, options).unwrap();
    Setup {
        receiver,
        vault,
        sender,
    }
}

impl Setup {
    /// A channel of `kind` whose secret points at `path` on the receiver; returns it and its secret.
    async fn channel(&self, kind: ChannelKind, path: &str) -> (AlertChannel, ChannelSecret) {
        let secret =
            ChannelSecret::for_new_channel(kind, &self.receiver.url(path), UrlPolicy::LOCAL)
                .unwrap();
        let secret_id = format!("tenants/acme-msp/alert-channels/{}", path.replace('/', "-"));
        self.vault
            .create(&secret_id, &secret.to_stored())
            .await
            .unwrap();
        (
            channel(&format!("ch{}", path.len()), kind, Some(secret_id)),
            secret,
        )
    }

    /// Scripts `path` to answer `reply`, sends one alert of `kind` there and returns the failure.
    async fn failure(&self, kind: ChannelKind, path: &str, reply: Reply) -> SendError {
        self.receiver.always(path, reply);
        let (channel, _) = self.channel(kind, path).await;
        match self.sender.send(&tenant(), &channel, &single()).await {
            Ok(receipt) => panic!("expected a failure, got {receipt:?}"),
            Err(error) => error,
        }
    }
}

fn slack_path(name: &str) -> String {
    format!("/services/T0001/B0002/{MARKER}{name}")
}

fn assert_no_secret_in(error: &SendError) {
    for shown in [error.to_string(), format!("{error:?}")] {
        assert!(!shown.contains(MARKER), "the URL leaked: {shown}");
        assert!(!shown.contains("127.0.0.1"), "the host leaked: {shown}");
        assert!(!shown.contains("whsec_"), "the key leaked: {shown}");
    }
}

#[tokio::test]
async fn slack_answers_200_ok_and_the_sender_returns_a_sent_receipt() {
    let setup = setup(Duration::from_secs(10)).await;
    let path = slack_path("ok");
    let (channel, _) = setup.channel(ChannelKind::Slack, &path).await;
    let receipt = setup
        .sender
        .send(&tenant(), &channel, &single())
        .await
        .unwrap();
    assert_eq!(receipt.status, 200);
    let taken = setup.receiver.requests_to(&path);
    assert_eq!(taken.len(), 1, "sent once");
    assert_eq!(taken[0].method, "POST");
    assert_eq!(taken[0].header("content-type"), Some("application/json"));
    let body = taken[0].json();
    assert!(body["text"].is_string());
    assert_eq!(body["blocks"][0]["type"], "header");
}

#[tokio::test]
async fn slack_answers_are_classified_and_no_error_shows_the_url() {
    let setup = setup(Duration::from_secs(10)).await;
    let cases: [(&str, Reply); 6] = [
        ("gone", Reply::slack_no_service()),
        ("archived", Reply::slack_channel_is_archived()),
        ("notfound", Reply::slack_channel_not_found()),
        ("limited", Reply::slack_rate_limited(7)),
        ("invalid", Reply::slack_invalid_payload()),
        ("prohibited", Reply::slack_action_prohibited()),
    ];
    let mut errors = Vec::new();
    for (name, reply) in cases {
        let error = setup
            .failure(ChannelKind::Slack, &slack_path(name), reply)
            .await;
        assert_no_secret_in(&error);
        errors.push(error);
    }
    assert!(
        matches!(&errors[0], SendError::Gone(m) if m.contains("410") && m.contains("no_service"))
    );
    assert!(matches!(&errors[1], SendError::Gone(m) if m.contains("channel_is_archived")));
    assert!(matches!(&errors[2], SendError::Gone(m) if m.contains("404")));
    assert_eq!(
        errors[3],
        SendError::Unavailable {
            message: "HTTP 429 rate_limited".into(),
            retry_after: Some(Duration::from_secs(7)),
        }
    );
    assert!(errors[3].is_retryable());
    assert_eq!(
        errors[4],
        SendError::Rejected {
            status: 400,
            message: "HTTP 400 invalid_payload".into()
        }
    );
    assert!(
        matches!(&errors[5], SendError::Rejected { status: 403, message } if message.contains("action_prohibited"))
    );
    assert!(!errors[4].is_retryable() && !errors[0].is_retryable());
}

#[tokio::test]
async fn server_errors_timeouts_and_refused_connections_are_unavailable_without_the_url() {
    let setup = setup(Duration::from_millis(600)).await;
    let failing = slack_path("failing");
    let error = setup
        .failure(ChannelKind::Slack, &failing, Reply::new(503, "unavailable"))
        .await;
    assert!(
        matches!(
            &error,
            SendError::Unavailable {
                retry_after: None,
                ..
            }
        ),
        "{error:?}"
    );
    assert_no_secret_in(&error);

    let slow = Reply::slack_ok().after(Duration::from_secs(5));
    let started = Instant::now();
    let error = setup
        .failure(ChannelKind::Slack, &slack_path("slow"), slow)
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the request timeout was not applied"
    );
    assert_eq!(
        error,
        SendError::Unavailable {
            message: "the channel did not answer in time".into(),
            retry_after: None
        }
    );

    // A port nothing listens on: bind one, then let it go.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = closed.local_addr().unwrap();
    drop(closed);
    let secret = ChannelSecret::for_new_channel(
        ChannelKind::Slack,
        &format!("http://{address}/services/T/B/{MARKER}"),
        UrlPolicy::LOCAL,
    )
    .unwrap();
    setup
        .vault
        .create("closed", &secret.to_stored())
        .await
        .unwrap();
    let closed_channel =
        channels_support::channel("closed", ChannelKind::Slack, Some("closed".into()));
    let error = setup
        .sender
        .send(&tenant(), &closed_channel, &single())
        .await
        .unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
    assert_no_secret_in(&error);
}

#[tokio::test]
async fn an_answer_that_echoes_the_url_is_kept_out_of_the_error() {
    let setup = setup(Duration::from_secs(10)).await;
    let path = slack_path("echo");
    let url = setup.receiver.url(&path);
    let echo = Reply::new(400, &format!("bad request to {url}: {MARKER}echo"));
    let error = setup.failure(ChannelKind::Slack, &path, echo).await;
    assert!(
        matches!(&error, SendError::Rejected { status: 400, message } if message.contains("bad request to"))
    );
    assert_no_secret_in(&error);
}

#[tokio::test]
async fn teams_workflows_take_the_card_with_202_accepted() {
    let setup = setup(Duration::from_secs(10)).await;
    let path = format!("/workflows/{MARKER}/triggers/manual/paths/invoke");
    setup.receiver.always(&path, Reply::teams_accepted());
    let (channel, _) = setup.channel(ChannelKind::Teams, &path).await;
    let receipt = setup
        .sender
        .send(&tenant(), &channel, &digest(150))
        .await
        .unwrap();
    assert_eq!(receipt.status, 202);
    let taken = setup.receiver.requests_to(&path);
    assert_eq!(taken.len(), 1);
    assert!(taken[0].body.len() <= shared::channels::teams::MAX_MESSAGE_BYTES);
    let body = taken[0].json();
    assert_eq!(body["attachments"][0]["content"]["type"], "AdaptiveCard");
    // Teams' "request entity too large" is TooLarge, never retried.
    setup
        .receiver
        .always(&path, Reply::new(413, "Request Entity Too Large"));
    let error = setup
        .sender
        .send(&tenant(), &channel, &single())
        .await
        .unwrap_err();
    assert!(matches!(error, SendError::TooLarge(_)), "{error:?}");
}

#[tokio::test]
async fn signed_webhooks_verify_with_the_standard_webhooks_library_and_fail_when_tampered() {
    let setup = setup(Duration::from_secs(10)).await;
    let path = format!("/hooks/{MARKER}");
    let (channel, secret) = setup.channel(ChannelKind::Webhook, &path).await;
    let message = single();
    let receipt = setup
        .sender
        .send(&tenant(), &channel, &message)
        .await
        .unwrap();
    let taken = setup.receiver.requests_to(&path);
    assert_eq!(taken.len(), 1);
    let request = &taken[0];
    let id = request.header("webhook-id").unwrap().to_string();
    assert!(id.starts_with("msg_"));
    assert_eq!(receipt.message_id.as_deref(), Some(id.as_str()));
    let timestamp: i64 = request
        .header("webhook-timestamp")
        .unwrap()
        .parse()
        .unwrap();
    assert!((chrono::Utc::now().timestamp() - timestamp).abs() < 60);
    assert!(request
        .header("webhook-signature")
        .unwrap()
        .starts_with("v1,"));

    let signing_secret = secret.signing_secret().unwrap().expose_secret().to_string();
    let verifier = standardwebhooks::Webhook::new(&signing_secret).unwrap();
    verifier
        .verify(&request.body, &request.headers)
        .expect("the Standard Webhooks library accepts the signature");
    let body = request.json();
    assert_eq!(body["type"], "client.health_changed");
    assert_eq!(body["data"]["items"][0]["client_name"], "Acme <Ltd> & Co");

    let tampered = request.body_text().replace("client-1", "client-2");
    assert!(verifier
        .verify(tampered.as_bytes(), &request.headers)
        .is_err());
    let other_key = ChannelSecret::for_new_channel(
        ChannelKind::Webhook,
        "https://example.com/x",
        UrlPolicy::default(),
    )
    .unwrap();
    let wrong = standardwebhooks::Webhook::new(other_key.signing_secret().unwrap().expose_secret())
        .unwrap();
    assert!(wrong.verify(&request.body, &request.headers).is_err());

    // Sending the same message again (a retry) keeps its webhook-id, so the receiver can dedupe.
    setup
        .sender
        .send(&tenant(), &channel, &message)
        .await
        .unwrap();
    let again = setup.receiver.requests_to(&path);
    assert_eq!(again[1].header("webhook-id"), Some(id.as_str()));
    setup
        .sender
        .send(&tenant(), &channel, &digest(2))
        .await
        .unwrap();
    let third = setup.receiver.requests_to(&path);
    assert_ne!(third[2].header("webhook-id"), Some(id.as_str()));
    verifier.verify(&third[2].body, &third[2].headers).unwrap();
    assert_eq!(third[2].json()["type"], "alert.digest");
}

#[tokio::test]
async fn channels_without_a_usable_secret_are_misconfigured_and_say_so_without_the_value() {
    let setup = setup(Duration::from_secs(10)).await;
    let no_secret = channel("none", ChannelKind::Slack, None);
    let missing = channel("missing", ChannelKind::Slack, Some("does/not/exist".into()));
    setup
        .vault
        .create(
            "bad-json",
            &SecretString::from(format!("not json {MARKER}")),
        )
        .await
        .unwrap();
    let bad_json = channel("bad", ChannelKind::Slack, Some("bad-json".into()));
    setup
        .vault
        .create(
            "no-key",
            &SecretString::from(format!(r#"{{"url":"https://example.com/{MARKER}"}}"#)),
        )
        .await
        .unwrap();
    let no_key = channel("nokey", ChannelKind::Webhook, Some("no-key".into()));
    setup
        .vault
        .create(
            "plain-http",
            &SecretString::from(format!(
                r#"{{"url":"http://hooks.slack.com/services/{MARKER}"}}"#
            )),
        )
        .await
        .unwrap();
    let plain_http = channel("http", ChannelKind::Slack, Some("plain-http".into()));
    let mut email = channel("email", ChannelKind::Email, None);
    email.recipients = vec!["ops@example.com".into()];
    for channel in [no_secret, missing, bad_json, no_key, plain_http, email] {
        let error = setup
            .sender
            .send(&tenant(), &channel, &single())
            .await
            .unwrap_err();
        assert!(
            matches!(error, SendError::Misconfigured(_)),
            "{}: {error:?}",
            channel.id
        );
        assert_no_secret_in(&error);
    }
    assert!(setup.receiver.requests().is_empty());
}

#[tokio::test]
async fn the_recording_sender_keeps_every_attempt_and_fails_channels_as_told() {
    let sender = RecordingSender::new();
    let slack = channel("slack", ChannelKind::Slack, Some("s".into()));
    let teams = channel("teams", ChannelKind::Teams, Some("t".into()));
    sender.fail_channel(&slack.id, SendError::Gone("HTTP 410 no_service".into()));
    let unavailable = SendError::Unavailable {
        message: "HTTP 503".into(),
        retry_after: Some(Duration::from_secs(1)),
    };
    sender.fail_channel_times(&teams.id, unavailable.clone(), 2);

    assert_eq!(
        sender.send(&tenant(), &slack, &single()).await,
        Err(SendError::Gone("HTTP 410 no_service".into()))
    );
    assert_eq!(
        sender.send(&tenant(), &teams, &single()).await,
        Err(unavailable.clone())
    );
    assert_eq!(
        sender.send(&tenant(), &teams, &single()).await,
        Err(unavailable)
    );
    assert!(sender.send(&tenant(), &teams, &digest(3)).await.is_ok());
    assert_eq!(sender.attempts().len(), 4);
    assert_eq!(sender.sent().len(), 1);
    assert_eq!(sender.sent_to(&teams.id)[0].items.len(), 3);
    assert!(sender.sent_to(&slack.id).is_empty());
    sender.heal(&slack.id);
    assert!(sender.send(&tenant(), &slack, &single()).await.is_ok());
    assert_eq!(sender.sent()[1].tenant_id, tenant());
}
