use crate::{access_token, small, start};
use axum::http::HeaderMap;
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

type Received = Arc<Mutex<Vec<(Option<String>, Value)>>>;

async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let kept = received.clone();
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: String| {
            let kept = kept.clone();
            async move {
                let secret = headers
                    .get("x-connected-insights-secret")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let body = serde_json::from_str(&body).unwrap_or(Value::Null);
                kept.lock().expect("lock").push((secret, body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hook"), received)
}

#[tokio::test]
async fn a_registered_webhook_receives_activities_with_its_headers() {
    let sandbox = start(small()).await;
    let token = access_token(&sandbox).await;
    let (url, received) = receiver().await;
    let http = reqwest::Client::new();
    let put = http
        .put(format!("{}/v2/webhook", sandbox.base_url()))
        .bearer_auth(&token)
        .json(&json!({
            "url": url,
            "activities": { "CONDITION": ["TRIGGERED"] },
            "expand": ["device"],
            "headers": [{ "name": "X-Connected-Insights-Secret", "value": "s3cret" }],
        }))
        .send()
        .await
        .expect("answer");
    assert_eq!(put.status(), 204);
    let org: u32 = sandbox.truth()[0].external_id.parse().expect("id");
    assert_eq!(sandbox.fire_webhook(org).await.expect("delivered"), 200);
    let got = received.lock().expect("lock").clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0.as_deref(), Some("s3cret"));
    assert_eq!(got[0].1["device"]["organizationId"], json!(org));
    assert!(got[0].1["id"].is_u64());

    let delete = http
        .delete(format!("{}/v2/webhook", sandbox.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answer");
    assert_eq!(delete.status(), 204);
    assert!(sandbox.webhook().is_none());
    assert!(sandbox.fire_webhook(org).await.is_err());
}
