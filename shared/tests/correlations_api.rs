//! The correlations API on the in-memory store: the review queue with its evidence and the clients'
//! names, confirming, rejecting, mapping by hand and unlinking (each recording who decided and
//! when), and matching runs that never undo a person's decision.

mod api_support;

use api_support::{now, tenant, tenant_id, Api, TENANT};
use axum::http::StatusCode;
use serde_json::{json, Value};
use shared::domain::{
    ClientId, ClientSnapshot, ConnectionId, Correlation, CorrelationStatus, MatchingSettings,
    PayerRecord, Platform,
};
use shared::matching::{self, ClientProfile, Matcher, RecordProfile};
use shared::ports::{
    ConnectionStore, CorrelationStore, PageRequest, PayerStore, SnapshotStore, TenantStore,
};

const CONNECTION: &str = "paypal-1a2b3c4d";

fn connection_id() -> ConnectionId {
    ConnectionId::parse(CONNECTION).unwrap()
}

fn client(id: &str, name: &str, domain: Option<&str>) -> ClientSnapshot {
    ClientSnapshot {
        client_id: ClientId::parse(id).unwrap(),
        name: name.into(),
        domain: domain.map(str::to_string),
        lifecycle_stage: Some("customer".into()),
        activity: Default::default(),
        reported_revenue: None,
        contacts: vec![],
        deals: vec![],
        tickets: vec![],
        engagements: vec![],
        sources: vec!["hubspot".into()],
        updated_at: now(),
        csm_sentiment: None,
    }
}

fn payer(external_id: &str, business: Option<&str>, email_domain: Option<&str>) -> PayerRecord {
    PayerRecord {
        connection_id: connection_id(),
        platform: Platform::Paypal,
        external_id: external_id.into(),
        name: None,
        business_name: business.map(str::to_string),
        email_hash: None,
        email_domain: email_domain.map(str::to_string),
        reference_ids: vec![],
        payments: vec![],
        invoices: vec![],
        disputes: vec![],
        subscriptions: vec![],
        updated_at: now(),
    }
}

/// A tenant with a PayPal connection, three clients (two sharing a name) and four payers: one on
/// Acme's domain, one named like both Initech companies, one on free mail, one the sync has not
/// matched yet.
async fn world() -> Api {
    let api = Api::new();
    let tenant_id = tenant_id(TENANT);
    api.store.create_tenant(&tenant(TENANT)).await.unwrap();
    api.store
        .create_connection(&test_support::cross_platform::paypal_connection(
            &tenant_id,
            CONNECTION,
            now(),
        ))
        .await
        .unwrap();
    api.store
        .put_snapshots(
            &tenant_id,
            &[
                client("101", "Acme Inc", Some("acme.com")),
                client("102", "Initech", Some("initech.com")),
                client("103", "Initech", Some("initech.io")),
            ],
        )
        .await
        .unwrap();
    api.store
        .put_payers(
            &tenant_id,
            &[
                payer("PAYER-ACME", Some("ACME Ltd."), Some("acme.com")),
                payer("PAYER-INITECH", Some("Initech LLC"), Some("gmail.com")),
                payer("PAYER-FREE", None, Some("gmail.com")),
                payer("PAYER-NEW", Some("Nobody Known"), None),
            ],
        )
        .await
        .unwrap();
    api
}

/// One matching run over every payer, as the sync will do it: candidates, reconciled with the
/// stored correlations, written.
async fn run_matching(api: &Api) -> Vec<Correlation> {
    let tenant_id = tenant_id(TENANT);
    let page = PageRequest::first(100);
    let clients: Vec<ClientProfile> = api
        .store
        .list_snapshots(&tenant_id, &page)
        .await
        .unwrap()
        .items
        .iter()
        .map(ClientProfile::from)
        .collect();
    let records: Vec<RecordProfile> = api
        .store
        .list_payers(&tenant_id, &connection_id(), &page)
        .await
        .unwrap()
        .items
        .iter()
        .map(RecordProfile::from)
        .collect();
    let stored = api
        .store
        .list_correlations(&tenant_id, None, &page)
        .await
        .unwrap()
        .items;
    let settings = MatchingSettings::default();
    let matcher = Matcher::new(&clients, &[], settings);
    let candidates = matching::match_records(&matcher, &records);
    let writes = matching::reconcile(&tenant_id, &stored, &candidates, &settings, now());
    api.store
        .put_correlations(&tenant_id, &writes)
        .await
        .unwrap();
    writes
}

async fn stored(api: &Api, external_id: &str) -> Vec<Correlation> {
    let mut rows = api
        .store
        .correlations_of_record(&tenant_id(TENANT), &connection_id(), external_id)
        .await
        .unwrap();
    rows.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    rows
}

fn target(external_id: &str, client_id: &str) -> String {
    json!({
        "connection_id": CONNECTION,
        "external_id": external_id,
        "client_id": client_id,
    })
    .to_string()
}

async fn queue(api: &Api) -> Vec<Value> {
    let reply = api
        .call("GET", "/v1/correlations?status=needs_review", None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()["items"].as_array().unwrap().clone()
}

fn pairs(items: &[Value]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|i| {
            (
                i["external_id"].as_str().unwrap().to_string(),
                i["client_id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pair(external: &str, client: &str) -> (String, String) {
    (external.to_string(), client.to_string())
}

#[tokio::test]
async fn the_review_queue_shows_the_evidence_side_by_side_and_the_clients_names() {
    let api = world().await;
    run_matching(&api).await;
    let items = queue(&api).await;
    assert_eq!(
        pairs(&items),
        [
            pair("PAYER-ACME", "101"),
            pair("PAYER-INITECH", "102"),
            pair("PAYER-INITECH", "103")
        ]
    );
    let acme = &items[0];
    assert_eq!(acme["client_name"], "Acme Inc");
    assert_eq!(acme["platform"], "paypal");
    assert_eq!(acme["status"], "needs_review");
    assert_eq!(acme["method"], "email_domain");
    assert_eq!(acme["confidence"], 0.75);
    assert_eq!(acme["evidence"][0]["source_value"], "acme.com");
    assert_eq!(acme["evidence"][0]["client_value"], "acme.com");
    assert_eq!(acme["evidence"][1]["method"], "normalised_name");
    assert_eq!(acme["evidence"][1]["source_value"], "ACME Ltd.");
    assert_eq!(acme["evidence"][1]["client_value"], "Acme Inc");
    assert!(acme["decided_by"].is_null());
}

#[tokio::test]
async fn the_list_pages_and_refuses_bad_parameters() {
    let api = world().await;
    run_matching(&api).await;
    let first = api
        .call("GET", "/v1/correlations?status=needs_review&limit=2", None)
        .await
        .json();
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let second = api
        .call(
            "GET",
            &format!("/v1/correlations?status=needs_review&limit=2&cursor={cursor}"),
            None,
        )
        .await
        .json();
    assert_eq!(
        pairs(second["items"].as_array().unwrap()),
        [pair("PAYER-INITECH", "103")]
    );
    assert!(second["next_cursor"].is_null());

    let problem = api
        .call("GET", "/v1/correlations?status=maybe", None)
        .await
        .problem(StatusCode::BAD_REQUEST);
    assert_eq!(problem["parameter"], "status");
    let problem = api
        .call("GET", "/v1/correlations?cursor=not-a-cursor", None)
        .await
        .problem(StatusCode::BAD_REQUEST);
    assert_eq!(problem["parameter"], "cursor");
}

#[tokio::test]
async fn confirming_records_who_and_when_and_takes_the_rivals_out_of_the_queue() {
    let api = world().await;
    run_matching(&api).await;
    let reply = api
        .call(
            "POST",
            "/v1/correlations/confirm",
            Some(&target("PAYER-INITECH", "103")),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let confirmed = reply.json();
    assert_eq!(confirmed["status"], "confirmed");
    assert_eq!(confirmed["decided_by"], "tester");
    assert_eq!(confirmed["client_name"], "Initech");
    assert_eq!(
        confirmed["decided_at"].as_str().unwrap(),
        now().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    );
    assert_eq!(pairs(&queue(&api).await), [pair("PAYER-ACME", "101")]);
    let rows = stored(&api, "PAYER-INITECH").await;
    assert!(!rows[0].status.is_linked() && matching::is_dormant(&rows[0]));
    assert_eq!(rows[1].status, CorrelationStatus::Confirmed);

    // The next matching run leaves the person's decision and the quieted rival alone.
    assert!(run_matching(&api).await.is_empty());
    assert_eq!(stored(&api, "PAYER-INITECH").await, rows);
}

#[tokio::test]
async fn a_rejected_match_stays_rejected_through_later_matching_runs() {
    let api = world().await;
    run_matching(&api).await;
    let reply = api
        .call(
            "POST",
            "/v1/correlations/reject",
            Some(&target("PAYER-INITECH", "102")),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["status"], "rejected");
    assert_eq!(reply.json()["decided_by"], "tester");
    run_matching(&api).await;
    let rows = stored(&api, "PAYER-INITECH").await;
    assert_eq!(rows[0].status, CorrelationStatus::Rejected);
    assert_eq!(rows[0].decided_by.as_deref(), Some("tester"));
    assert_eq!(rows[1].status, CorrelationStatus::NeedsReview);
}

#[tokio::test]
async fn mapping_by_hand_is_certain_and_supersedes_the_candidates() {
    let api = world().await;
    run_matching(&api).await;
    let reply = api
        .call(
            "PUT",
            "/v1/correlations",
            Some(&target("PAYER-INITECH", "101")),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let mapping = reply.json();
    assert_eq!(mapping["status"], "confirmed");
    assert_eq!(mapping["method"], "explicit_id");
    assert_eq!(mapping["confidence"], 1.0);
    assert_eq!(mapping["client_name"], "Acme Inc");
    assert_eq!(mapping["decided_by"], "tester");
    assert_eq!(pairs(&queue(&api).await), [pair("PAYER-ACME", "101")]);
    let rows = stored(&api, "PAYER-INITECH").await;
    let linked: Vec<&str> = rows
        .iter()
        .filter(|r| r.status.is_linked())
        .map(|r| r.client_id.as_str())
        .collect();
    assert_eq!(linked, ["101"]);

    // Mapping it elsewhere moves the link: the earlier mapping becomes rejected by the person.
    let reply = api
        .call(
            "PUT",
            "/v1/correlations",
            Some(&target("PAYER-INITECH", "102")),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let rows = stored(&api, "PAYER-INITECH").await;
    let statuses: Vec<(&str, CorrelationStatus)> = rows
        .iter()
        .map(|r| (r.client_id.as_str(), r.status))
        .collect();
    assert_eq!(statuses[0], ("101", CorrelationStatus::Rejected));
    assert_eq!(statuses[1], ("102", CorrelationStatus::Confirmed));
    assert!(run_matching(&api).await.is_empty());
}

#[tokio::test]
async fn a_record_matching_found_nothing_for_can_be_mapped_and_unlinked() {
    let api = world().await;
    run_matching(&api).await;
    assert!(stored(&api, "PAYER-NEW").await.is_empty());
    let reply = api
        .call("PUT", "/v1/correlations", Some(&target("PAYER-NEW", "102")))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let reply = api
        .call(
            "DELETE",
            "/v1/correlations",
            Some(&target("PAYER-NEW", "102")),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["status"], "rejected");
    let rows = stored(&api, "PAYER-NEW").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, CorrelationStatus::Rejected);
}

#[tokio::test]
async fn decisions_about_what_does_not_exist_are_refused_and_change_nothing() {
    let api = world().await;
    run_matching(&api).await;
    let before = api
        .store
        .list_correlations(&tenant_id(TENANT), None, &PageRequest::first(100))
        .await
        .unwrap()
        .items;
    let problem = api
        .call(
            "POST",
            "/v1/correlations/confirm",
            Some(&target("PAYER-ACME", "102")),
        )
        .await
        .problem(StatusCode::NOT_FOUND);
    assert!(problem["detail"].as_str().unwrap().contains("correlation"));
    api.call(
        "DELETE",
        "/v1/correlations",
        Some(&target("PAYER-FREE", "101")),
    )
    .await
    .problem(StatusCode::NOT_FOUND);
    for (body, field) in [
        (target("PAYER-ACME", "999"), "client_id"),
        (target("PAYER-GONE", "101"), "external_id"),
        (target("  ", "101"), "external_id"),
        (
            json!({"connection_id": "paypal-ffffffff", "external_id": "PAYER-ACME", "client_id": "101"})
                .to_string(),
            "connection_id",
        ),
    ] {
        let problem = api
            .call("PUT", "/v1/correlations", Some(&body))
            .await
            .problem(StatusCode::BAD_REQUEST);
        assert_eq!(problem["field"], field, "{problem}");
    }
    api.call(
        "POST",
        "/v1/correlations/reject",
        Some(r#"{"connection_id": "bad id!", "external_id": "x", "client_id": "101"}"#),
    )
    .await
    .problem(StatusCode::UNPROCESSABLE_ENTITY);
    let after = api
        .store
        .list_correlations(&tenant_id(TENANT), None, &PageRequest::first(100))
        .await
        .unwrap()
        .items;
    assert_eq!(before, after);
}

#[tokio::test]
async fn correlations_need_credentials() {
    let api = world().await;
    let reply = api
        .send(
            axum::http::Request::get("/v1/correlations")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    reply.problem(StatusCode::UNAUTHORIZED);
}

/// The client's page lists the records matched to it: what waits for review, then what a person
/// confirmed first, with what each record says.
#[tokio::test]
async fn a_clients_page_lists_its_linked_records_with_what_they_say() {
    use shared::events::{TenantSynced, SCHEMA_VERSION};
    use shared::handlers::score::handle_tenant_synced;
    let api = world().await;
    let synced = TenantSynced {
        schema_version: SCHEMA_VERSION,
        tenant_id: tenant_id(TENANT),
        sync_id: shared::domain::SyncId::parse("sync-1").unwrap(),
        mode: shared::domain::SyncMode::Full,
        started_at: now(),
        finished_at: now(),
        counts: Default::default(),
        changed_client_ids: vec![],
        changed_clients: 0,
    };
    // The score step matches payers to clients, then scores them.
    handle_tenant_synced(&api.store, &api.bus, &synced, now())
        .await
        .unwrap();

    let records = |reply: Value| {
        reply["linked_records"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let before = records(api.call("GET", "/v1/clients/101", None).await.json());
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!(before[0]["external_id"], "PAYER-ACME");
    assert_eq!(before[0]["status"], "needs_review");
    assert_eq!(before[0]["name"], "ACME Ltd.");
    assert_eq!(before[0]["email_domain"], "acme.com");
    assert_eq!(before[0]["open_invoices"], 0);

    let body =
        json!({"connection_id": CONNECTION, "external_id": "PAYER-ACME", "client_id": "101"});
    let reply = api
        .call("POST", "/v1/correlations/confirm", Some(&body.to_string()))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let after = records(api.call("GET", "/v1/clients/101", None).await.json());
    assert_eq!(after[0]["status"], "confirmed", "{after:?}");
    // A client nothing was matched to has none.
    let none = records(api.call("GET", "/v1/clients/102", None).await.json());
    assert!(none.iter().all(|r| r["status"] != "confirmed"), "{none:?}");
}

/// The matching thresholds are the tenant's: a lower auto-link threshold lets a payer on the client's
/// domain with its name link itself at the next matching run; thresholds out of order are refused.
#[tokio::test]
async fn the_tenant_sets_its_matching_thresholds() {
    let api = world().await;
    let current = api.call("GET", "/v1/settings", None).await.json();
    assert_eq!(current["matching"]["auto_link"], 0.9);
    let update = |matching: Value| {
        json!({"settings": current["settings"], "matching": matching, "version": current["version"]})
            .to_string()
    };
    let refused = api
        .call(
            "PUT",
            "/v1/settings",
            Some(&update(
                json!({"auto_link": 0.5, "review": 0.6, "ambiguity_margin": 0.1}),
            )),
        )
        .await
        .problem(StatusCode::BAD_REQUEST);
    assert_eq!(refused["field"], "matching.review");

    let reply = api
        .call(
            "PUT",
            "/v1/settings",
            Some(&update(
                json!({"auto_link": 0.7, "review": 0.6, "ambiguity_margin": 0.1}),
            )),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let tenant = api.store.get_tenant(&tenant_id(TENANT)).await.unwrap();
    assert_eq!(tenant.matching.auto_link, 0.7);
    let snapshots = api
        .store
        .list_snapshots(&tenant.id, &PageRequest::first(100))
        .await
        .unwrap()
        .items;
    shared::handlers::correlate::correlate_tenant(&api.store, &tenant, &snapshots, now())
        .await
        .unwrap();
    let acme = api
        .store
        .correlations_of_record(&tenant.id, &connection_id(), "PAYER-ACME")
        .await
        .unwrap();
    assert_eq!(acme.len(), 1, "{acme:?}");
    assert_eq!(acme[0].status, CorrelationStatus::Auto, "{acme:?}");
}
