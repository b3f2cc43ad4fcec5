//! Webhook deliveries and verify-webhook-signature: SUCCESS only for the sandbox's own, unchanged.

mod common;

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::Router;
use common::{config, post as api_post, start, token};
use paypal_sandbox::{PaymentStory, Sandbox};
use serde_json::{json, Value};

type Received = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A receiver that records every delivery and answers 200.
async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let sink = received.clone();
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push((headers, body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The verification request a receiver builds from a delivery.
fn verification(headers: &HeaderMap, body: &Bytes, webhook_id: &str) -> Value {
    json!({
        "auth_algo": header(headers, "paypal-auth-algo"),
        "cert_url": header(headers, "paypal-cert-url"),
        "transmission_id": header(headers, "paypal-transmission-id"),
        "transmission_sig": header(headers, "paypal-transmission-sig"),
        "transmission_time": header(headers, "paypal-transmission-time"),
        "webhook_id": webhook_id,
        "webhook_event": serde_json::from_slice::<Value>(body).unwrap(),
    })
}

async fn verify(sandbox: &Sandbox, token: &str, request: &Value) -> String {
    let (status, body) = api_post(
        sandbox,
        token,
        "/v1/notifications/verify-webhook-signature",
        request,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["verification_status"].as_str().unwrap().to_owned()
}

async fn one_delivery(sandbox: &Sandbox) -> (HeaderMap, Bytes) {
    let (url, received) = receiver().await;
    let open = sandbox
        .ground_truth()
        .into_iter()
        .find(|p| p.story == PaymentStory::LatePayer)
        .expect("a late payer");
    let invoice = sandbox
        .pay_invoice(&open.invoice_ids[open.invoice_ids.len() - 1])
        .expect("an open invoice");
    let delivery = sandbox
        .send_webhook(&url, "INVOICING.INVOICE.PAID", invoice)
        .await
        .unwrap();
    assert_eq!(delivery.status, 200);
    let got = received.lock().unwrap().pop().expect("delivered");
    got
}

#[tokio::test]
async fn a_delivery_carries_the_envelope_and_headers_and_verifies() {
    let sandbox = start(config(3)).await;
    let token = token(&sandbox).await;
    let (headers, body) = one_delivery(&sandbox).await;
    let event: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(event["event_type"], "INVOICING.INVOICE.PAID");
    assert_eq!(event["resource"]["status"], "PAID");
    for field in ["id", "resource_type", "create_time", "summary"] {
        assert!(event[field].is_string(), "{field}");
    }
    assert_eq!(header(&headers, "paypal-auth-algo"), "SHA256withRSA");
    let request = verification(&headers, &body, &sandbox.webhook_id());
    assert_eq!(verify(&sandbox, &token, &request).await, "SUCCESS");
}

#[tokio::test]
async fn any_change_to_the_delivery_fails_verification() {
    let sandbox = start(config(3)).await;
    let token = token(&sandbox).await;
    let (headers, body) = one_delivery(&sandbox).await;
    let genuine = verification(&headers, &body, &sandbox.webhook_id());
    let mut tampered_body = genuine.clone();
    tampered_body["webhook_event"]["resource"]["status"] = json!("CANCELLED");
    let mut wrong_sig = genuine.clone();
    wrong_sig["transmission_sig"] = json!("bm90IHRoZSBzaWduYXR1cmU=");
    let mut wrong_time = genuine.clone();
    wrong_time["transmission_time"] = json!("2020-01-01T00:00:00Z");
    let mut other_webhook = genuine.clone();
    other_webhook["webhook_id"] = json!("9XX99999XX9999999");
    let mut unknown = genuine.clone();
    unknown["transmission_id"] = json!("00000000-0000-0000-0000-000000000000");
    for (what, request) in [
        ("body", tampered_body),
        ("signature", wrong_sig),
        ("time", wrong_time),
        ("webhook id", other_webhook),
        ("transmission id", unknown),
    ] {
        assert_eq!(
            verify(&sandbox, &token, &request).await,
            "FAILURE",
            "changed {what}"
        );
    }
    let (status, _) = api_post(
        &sandbox,
        &token,
        "/v1/notifications/verify-webhook-signature",
        &json!({"auth_algo": "x"}),
    )
    .await;
    assert_eq!(status, 400);
}
