use crate::common::{get, start, token};
use axum::http::HeaderMap;
use axum::routing::post;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

/// What the receiver was sent: the Authorization header and the body.
type Seen = Arc<Mutex<Vec<(Option<String>, Value)>>>;

async fn create(sandbox: &pax8_sandbox::Sandbox, token: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/api/v2/webhooks", sandbox.base_url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn webhooks_are_created_listed_deleted_and_deliver_with_their_authorization() {
    let sandbox = start().await;
    let token = token(&sandbox).await;
    let seen: Seen = Arc::default();
    let kept = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(
            move |headers: HeaderMap, axum::Json(body): axum::Json<Value>| {
                let kept = kept.clone();
                async move {
                    let authorization = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    kept.lock().expect("lock").push((authorization, body));
                    "ok"
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let (status, _) = create(&sandbox, &token, json!({ "url": url })).await;
    assert_eq!(status, 400, "displayName is required");
    let (status, _) = create(
        &sandbox,
        &token,
        json!({ "displayName": "x", "errorThreshold": 25 }),
    )
    .await;
    assert_eq!(status, 400, "errorThreshold at most 20");
    let (status, _) = create(
        &sandbox,
        &token,
        json!({ "displayName": "x", "webhookTopics": [{"topic": "SUBSCRIPTION", "filters": []}, {"topic": "SUBSCRIPTION", "filters": []}] }),
    )
    .await;
    assert_eq!(status, 400, "one of each topic");
    let (status, created) = create(
        &sandbox,
        &token,
        json!({ "displayName": "CI", "url": url, "authorization": "my_super_secret", "active": true,
            "webhookTopics": [{"topic": "SUBSCRIPTION", "filters": []}] }),
    )
    .await;
    assert_eq!(status, 200);
    let id = created["id"].as_str().expect("id").to_owned();
    let (_, _, list) = get(&sandbox, &token, "/api/v2/webhooks").await;
    assert_eq!(list["content"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        get(&sandbox, &token, &format!("/api/v2/webhooks/{id}"))
            .await
            .0,
        200
    );

    let company = sandbox.truth()[0].company_id.clone();
    let deliveries = sandbox
        .fire_subscription_event(&company)
        .await
        .expect("fired");
    assert_eq!(deliveries.len(), 1);
    let (authorization, body) = seen.lock().expect("lock").pop().expect("delivered");
    assert_eq!(authorization.as_deref(), Some("my_super_secret"));
    assert_eq!(body["payloadData"]["companyId"], company.as_str());
    assert_eq!(body["webhookId"], id.as_str());
    assert_eq!(body["webhookTopic"]["topic"], "SUBSCRIPTION");

    let deleted = reqwest::Client::new()
        .delete(format!("{}/api/v2/webhooks/{id}", sandbox.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), 204);
    assert!(sandbox.webhooks().is_empty());
    assert!(sandbox
        .fire_subscription_event(&company)
        .await
        .expect("none")
        .is_empty());
}
