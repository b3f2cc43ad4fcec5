//! The API surface over HTTP: token, Transaction Search, invoices, disputes, subscriptions.

mod common;

use chrono::Duration;
use common::{anchor, config, get, post, search_path, start, token};
use paypal_sandbox::PaymentStory;
use serde_json::json;

#[tokio::test]
async fn token_endpoint_answers_paypal_shape_and_refuses_wrong_secret() {
    let sandbox = start(config(7)).await;
    let response = common::client()
        .post(format!("{}/v1/oauth2/token", sandbox.base_url()))
        .basic_auth(sandbox.client_id(), Some(sandbox.client_secret()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 32_400);
    assert!(body["scope"]
        .as_str()
        .unwrap()
        .contains("reporting/search/read"));
    for field in ["access_token", "app_id", "nonce"] {
        assert!(body[field].is_string(), "{field} missing");
    }
    let wrong = common::client()
        .post(format!("{}/v1/oauth2/token", sandbox.base_url()))
        .basic_auth(sandbox.client_id(), Some("not-the-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": "invalid_client", "error_description": "Client Authentication failed"})
    );
}

#[tokio::test]
async fn transaction_search_returns_rows_with_payer_info_on_fields_all() {
    let sandbox = start(config(7)).await;
    let token = token(&sandbox).await;
    let end = anchor();
    let (status, _, body) = get(
        &sandbox,
        &token,
        &search_path(end - Duration::days(31), end, "&fields=all&page_size=500"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let rows = body["transaction_details"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows
        .iter()
        .all(|r| r["payer_info"]["account_id"].is_string()));
    assert!(rows
        .iter()
        .all(|r| r["transaction_info"]["transaction_event_code"].is_string()));
    let (_, _, plain) = get(
        &sandbox,
        &token,
        &search_path(end - Duration::days(31), end, ""),
    )
    .await;
    let first = &plain["transaction_details"][0];
    assert!(
        first.get("payer_info").is_none(),
        "payer_info only with fields=all"
    );
}

#[tokio::test]
async fn invoices_search_and_list_page_with_totals() {
    let sandbox = start(config(7)).await;
    let token = token(&sandbox).await;
    let (status, body) = post(
        &sandbox,
        &token,
        "/v2/invoicing/search-invoices?page_size=5&total_required=true",
        &json!({"status": ["PAID"]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    assert!(items.iter().all(|i| i["status"] == "PAID"));
    assert!(body["total_items"].as_u64().unwrap() > 5);
    let invoice = &items[0];
    assert!(invoice["detail"]["payment_term"]["due_date"].is_string());
    assert!(invoice["primary_recipients"][0]["billing_info"]["email_address"].is_string());
    let (status, _, list) = get(
        &sandbox,
        &token,
        "/v2/invoicing/invoices?page=1&page_size=100",
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        list.get("total_items").is_none(),
        "totals only with total_required"
    );
    let (status, _, _) = get(&sandbox, &token, "/v2/invoicing/invoices?page_size=101").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn disputes_list_and_detail_carry_the_seller_transaction() {
    let sandbox = start(config(7)).await;
    let token = token(&sandbox).await;
    let (status, _, body) = get(&sandbox, &token, "/v1/customer/disputes?page_size=50").await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().unwrap();
    assert!(!items.is_empty());
    let id = items[0]["dispute_id"].as_str().unwrap();
    let (status, _, dispute) = get(&sandbox, &token, &format!("/v1/customer/disputes/{id}")).await;
    assert_eq!(status, 200);
    assert!(dispute["disputed_transactions"][0]["seller_transaction_id"].is_string());
    assert!(dispute["disputed_transactions"][0]["buyer"]["name"].is_string());
}

#[tokio::test]
async fn suspended_subscription_shows_failed_payments() {
    let sandbox = start(config(7)).await;
    let token = token(&sandbox).await;
    let failing = sandbox
        .ground_truth()
        .into_iter()
        .find(|p| p.story == PaymentStory::FailedSubscription)
        .expect("a failed-subscription payer");
    let id = &failing.subscription_ids[0];
    let (status, _, sub) = get(
        &sandbox,
        &token,
        &format!("/v1/billing/subscriptions/{id}?fields=last_failed_payment"),
    )
    .await;
    assert_eq!(status, 200, "{sub}");
    assert_eq!(sub["status"], "SUSPENDED");
    assert_eq!(sub["billing_info"]["failed_payments_count"], 3);
    assert!(sub["billing_info"]["last_failed_payment"]["reason_code"].is_string());
    assert_eq!(sub["subscriber"]["payer_id"], failing.payer_id.as_str());
    let (status, _, missing) =
        get(&sandbox, &token, "/v1/billing/subscriptions/I-NOSUCHTHING").await;
    assert_eq!(status, 404);
    assert_eq!(missing["name"], "RESOURCE_NOT_FOUND");
}
