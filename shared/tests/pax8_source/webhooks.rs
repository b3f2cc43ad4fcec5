//! Registering the connection's webhook with Pax8 and verifying what Pax8 delivers to it.

use crate::common::{connection, credentials, factory, sandbox, WEBHOOK_SECRET};
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use pax8_sandbox::{CompanySeed, SandboxConfig};
use shared::domain::ClientCredentials;
use shared::ports::source::{AccountsSourceFactory, SourceError};
use std::sync::{Arc, Mutex};

type Received = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A receiver on a local port that keeps what it is sent.
async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let kept = received.clone();
    let app = axum::Router::new().route(
        "/hooks/pax8",
        post(move |headers: HeaderMap, body: Bytes| {
            let kept = kept.clone();
            async move {
                kept.lock().expect("lock").push((headers, body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{address}/hooks/pax8"), received)
}

#[tokio::test]
async fn a_registered_webhook_delivers_events_that_verify_and_name_their_company() {
    let sandbox = sandbox(SandboxConfig::for_companies(3, CompanySeed::synthetic(10))).await;
    let sources = factory(&sandbox, 1).await;
    let (url, received) = receiver().await;
    let registered = sources
        .register_webhook(&connection(), &credentials(&sandbox), &url)
        .await
        .expect("registered");
    assert!(registered);
    // Registering again replaces, not adds.
    sources
        .register_webhook(&connection(), &credentials(&sandbox), &url)
        .await
        .expect("registered again");
    let webhooks = sandbox.webhooks();
    assert_eq!(webhooks.len(), 1);
    assert_eq!(webhooks[0]["authorization"], WEBHOOK_SECRET);
    assert_eq!(webhooks[0]["url"], url.as_str());
    assert_eq!(webhooks[0]["webhookTopics"][0]["topic"], "SUBSCRIPTION");
    assert_eq!(webhooks[0]["active"], true);

    let company = sandbox.truth()[0].company_id.clone();
    let deliveries = sandbox
        .fire_subscription_event(&company)
        .await
        .expect("delivered");
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].status, 200);
    let (headers, body) = received.lock().expect("lock").pop().expect("received");
    let verified = sources
        .verify_webhook(&connection(), &headers, &body)
        .await
        .expect("verified");
    assert_eq!(verified.account_ids, [company]);
    assert!(!verified.event_id.is_empty());
    assert!(verified.event_type.starts_with("SUBSCRIPTION"));

    let mut wrong = headers.clone();
    wrong.insert(
        http::header::AUTHORIZATION,
        http::HeaderValue::from_static("whsec-pax8-test-0123456788"),
    );
    let refused = sources.verify_webhook(&connection(), &wrong, &body).await;
    assert!(
        matches!(refused, Err(SourceError::Rejected { status: 401, .. })),
        "{refused:?}"
    );
    let mut missing = headers.clone();
    missing.remove(http::header::AUTHORIZATION);
    let refused = sources.verify_webhook(&connection(), &missing, &body).await;
    assert!(
        matches!(refused, Err(SourceError::Rejected { status: 401, .. })),
        "{refused:?}"
    );
    let garbage = sources
        .verify_webhook(&connection(), &headers, b"not json")
        .await;
    assert!(
        matches!(garbage, Err(SourceError::InvalidResponse(_))),
        "{garbage:?}"
    );
}

#[tokio::test]
async fn a_webhook_is_not_registered_without_a_secret() {
    let sandbox = sandbox(SandboxConfig::for_companies(3, CompanySeed::synthetic(4))).await;
    let sources = factory(&sandbox, 1).await;
    let without = ClientCredentials::new(sandbox.client_id(), sandbox.client_secret());
    let refused = sources
        .register_webhook(&connection(), &without, "http://127.0.0.1:9/hooks")
        .await;
    assert!(
        matches!(refused, Err(SourceError::Credentials(_))),
        "{refused:?}"
    );
    assert!(sandbox.webhooks().is_empty());
}
