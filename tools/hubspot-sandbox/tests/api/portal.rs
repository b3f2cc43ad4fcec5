//! The portal: generated from a seed, changed and deleted, and announced by signed webhooks.

use super::*;

#[tokio::test]
async fn same_seed_serves_the_same_portal() {
    let a = Sandbox::start(SandboxConfig::small(21))
        .await
        .expect("starts");
    let b = Sandbox::start(SandboxConfig::small(21))
        .await
        .expect("starts");
    let c = Sandbox::start(SandboxConfig::small(22))
        .await
        .expect("starts");
    for object_type in ["companies", "contacts", "deals", "emails"] {
        assert_eq!(a.records(object_type), b.records(object_type));
    }
    assert_eq!(a.private_app_token(), b.private_app_token());
    assert_ne!(a.records("companies"), c.records("companies"));
}

#[tokio::test]
async fn changes_show_in_search_and_deletions_leave_every_endpoint() {
    let sandbox = Sandbox::start(fast(SandboxConfig::small(16)))
        .await
        .expect("starts");
    let before = chrono::Utc::now().timestamp_millis();
    let touched = sandbox.touch_random("deals", 4);
    let company = sandbox.records("companies")[0].id.clone();
    assert!(sandbox.update_property("companies", &company, "lifecyclestage", Some("evangelist")));
    let mut properties = serde_json::Map::new();
    properties.insert("email".into(), json!("new.person@example.com"));
    let created = sandbox.create_record("contacts", properties, Some(&company));
    assert!(sandbox
        .associations("companies", &company, "contacts")
        .contains(&created));

    let changed_since = |object_type: &'static str, property: &'static str| {
        let sandbox = sandbox.clone();
        async move {
            let (status, page) = search(
                &sandbox,
                object_type,
                &json!({"filterGroups": [{"filters": [{"propertyName": property, "operator": "GTE", "value": before.to_string()}]}], "limit": 100}),
            )
            .await;
            assert_eq!(status, StatusCode::OK);
            page["results"]
                .as_array()
                .expect("results")
                .iter()
                .filter_map(|r| r["id"].as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        }
    };
    let mut deals = changed_since("deals", "hs_lastmodifieddate").await;
    deals.sort();
    assert_eq!(deals, touched);
    assert_eq!(
        changed_since("companies", "hs_lastmodifieddate").await,
        vec![company.clone()]
    );
    assert_eq!(
        changed_since("contacts", "lastmodifieddate").await,
        vec![created.clone()]
    );

    let gone = touched[0].clone();
    assert!(sandbox.delete_record("deals", &gone));
    assert!(!sandbox.delete_record("deals", &gone), "already archived");
    let (listed, _) = walk(&sandbox, "deals", "limit=100").await;
    assert!(listed.iter().all(|d| d["id"] != gone.as_str()));
    let (archived, _) = walk(&sandbox, "deals", "limit=100&archived=true").await;
    assert_eq!(archived.len(), 1);
    assert_eq!(archived[0]["archived"], true);
    assert!(!changed_since("deals", "hs_lastmodifieddate")
        .await
        .contains(&gone));
    let batch = post(
        &sandbox,
        &sandbox.private_app_token(),
        "/crm/v3/objects/deals/batch/read",
        &json!({"inputs": [{"id": gone}]}),
    )
    .await;
    assert_eq!(batch.status(), StatusCode::MULTI_STATUS);
    assert!(sandbox
        .associations("companies", &company, "deals")
        .iter()
        .all(|d| *d != gone));
}

#[tokio::test]
async fn webhooks_arrive_signed_with_v3_and_v1() {
    use axum::body::Bytes;
    use axum::http::HeaderMap;

    let sandbox = Sandbox::start(SandboxConfig::small(18))
        .await
        .expect("starts");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(HeaderMap, Bytes)>();
    let app = axum::Router::new().route(
        "/hooks/hubspot",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let tx = tx.clone();
            async move {
                let _ = tx.send((headers, body));
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let url = format!(
        "http://{}/hooks/hubspot?tenant=1",
        listener.local_addr().expect("addr")
    );
    tokio::spawn(async move { axum::serve(listener, app).await });

    let company = sandbox.records("companies")[0].id.clone();
    let events = vec![
        sandbox.webhook_event("company.propertyChange", &company),
        sandbox.webhook_event("company.deletion", &company),
    ];
    assert_ne!(events[0]["eventId"], events[1]["eventId"]);
    assert_eq!(
        events[0]["objectId"].as_u64().map(|id| id.to_string()),
        Some(company.clone())
    );
    assert_eq!(events[0]["portalId"], sandbox.portal_id());
    assert_eq!(events[0]["propertyName"], "lifecyclestage");
    let status = sandbox
        .send_webhooks(&url, &events)
        .await
        .expect("delivered");
    assert_eq!(status, 204);
    let (headers, body) = rx.recv().await.expect("received");
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .expect(name)
            .to_owned()
    };
    let timestamp = header("x-hubspot-request-timestamp");
    assert_eq!(
        header("x-hubspot-signature-v3"),
        hubspot_sandbox::signature_v3("sandbox-client-secret", "POST", &url, &body, &timestamp)
    );
    assert_eq!(
        header("x-hubspot-signature"),
        hubspot_sandbox::signature_v1("sandbox-client-secret", &body)
    );
    assert_eq!(header("x-hubspot-signature-version"), "v1");
    let received: Vec<Value> = serde_json::from_slice(&body).expect("JSON array");
    assert_eq!(received, events);
}
