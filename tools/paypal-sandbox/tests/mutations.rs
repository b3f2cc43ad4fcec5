//! Disputes paging and reach, and what tests make happen: a payment, failed charges, a dispute, a refund.

mod common;

use std::collections::HashSet;
use std::time::Duration as StdDuration;

use chrono::Duration;
use common::{anchor, config, get, post, search_path, start, token};
use paypal_sandbox::PaymentStory;
use serde_json::json;

#[tokio::test]
async fn disputes_page_by_token_and_reach_180_days_unless_asked_by_transaction() {
    let sandbox = start(config(21)).await;
    let token = token(&sandbox).await;
    let (status, _, all) = get(&sandbox, &token, "/v1/customer/disputes?page_size=50").await;
    assert_eq!(status, 200);
    let total = all["items"].as_array().unwrap().len();
    assert!(total >= 2, "{all}");
    let mut seen = HashSet::new();
    let mut path = "/v1/customer/disputes?page_size=1".to_owned();
    for _ in 0..=total {
        let (status, _, page) = get(&sandbox, &token, &path).await;
        assert_eq!(status, 200);
        for item in page["items"].as_array().unwrap() {
            seen.insert(item["dispute_id"].as_str().unwrap().to_owned());
        }
        let next = page["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next_page")
            .cloned();
        match next {
            Some(link) => {
                let href = link["href"].as_str().unwrap();
                assert!(href.contains("next_page_token="));
                path = href.trim_start_matches(&sandbox.base_url()).to_owned();
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), total);
    let too_old = anchor() - Duration::days(181);
    let (status, _, body) = get(
        &sandbox,
        &token,
        &format!("/v1/customer/disputes?start_time={}", common::at(too_old)),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["name"], "INVALID_REQUEST");
    let (status, _, _) = get(&sandbox, &token, "/v1/customer/disputes?page_size=51").await;
    assert_eq!(status, 400);
    // A dispute older than 180 days is found by its transaction only.
    let truth = sandbox.ground_truth();
    let chargeback_payer = truth
        .iter()
        .find(|p| p.story == PaymentStory::DisputeChargeback)
        .unwrap();
    let listed: HashSet<String> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["dispute_id"].as_str().unwrap().to_owned())
        .collect();
    let unlisted: Vec<&String> = chargeback_payer
        .dispute_ids
        .iter()
        .filter(|id| !listed.contains(*id))
        .collect();
    assert!(!unlisted.is_empty(), "an old dispute outside the 180 days");
    for id in unlisted {
        let (_, _, dispute) = get(&sandbox, &token, &format!("/v1/customer/disputes/{id}")).await;
        let txn = dispute["disputed_transactions"][0]["seller_transaction_id"]
            .as_str()
            .unwrap();
        let (_, _, by_txn) = get(
            &sandbox,
            &token,
            &format!("/v1/customer/disputes?disputed_transaction_id={txn}"),
        )
        .await;
        assert_eq!(by_txn["items"][0]["dispute_id"], id.as_str());
    }
}

#[tokio::test]
async fn paying_an_overdue_invoice_changes_what_the_api_returns() {
    let sandbox = start(config(21)).await;
    let token = token(&sandbox).await;
    let (_, open) = post(
        &sandbox,
        &token,
        "/v2/invoicing/search-invoices?page_size=100",
        &json!({"status": ["UNPAID", "SENT", "PARTIALLY_PAID"]}),
    )
    .await;
    let invoice = &open["items"][0];
    let id = invoice["id"].as_str().unwrap();
    assert_ne!(invoice["due_amount"]["value"], "0.00");
    let resource = sandbox.pay_invoice(id).expect("payable");
    assert_eq!(resource["status"], "PAID");
    let (_, _, now_paid) = get(&sandbox, &token, &format!("/v2/invoicing/invoices/{id}")).await;
    assert_eq!(now_paid["status"], "PAID");
    assert_eq!(now_paid["due_amount"]["value"], "0.00");
    let payment = now_paid["payments"]["transactions"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(sandbox.pay_invoice(id).is_none(), "nothing left to pay");
    // The payment row shows in Transaction Search once the reporting lag has passed.
    sandbox.advance_clock(StdDuration::from_secs(3 * 3_600 + 1));
    let token = common::token(&sandbox).await;
    let now = sandbox.now();
    let (_, _, rows) = get(
        &sandbox,
        &token,
        &search_path(
            now - Duration::days(1),
            now,
            &format!(
                "&transaction_id={}",
                payment["payment_id"].as_str().unwrap()
            ),
        ),
    )
    .await;
    assert_eq!(rows["total_items"], 1);
}

#[tokio::test]
async fn three_failed_charges_suspend_a_healthy_subscription() {
    let sandbox = start(config(21)).await;
    let token = token(&sandbox).await;
    let payer = sandbox
        .ground_truth()
        .into_iter()
        .find(|p| p.story == PaymentStory::HealthySubscription)
        .unwrap();
    let id = &payer.subscription_ids[0];
    let first = sandbox.fail_subscription_payment(id).unwrap();
    assert_eq!(first["status"], "ACTIVE");
    assert_eq!(first["billing_info"]["failed_payments_count"], 1);
    sandbox.fail_subscription_payment(id).unwrap();
    let third = sandbox.fail_subscription_payment(id).unwrap();
    assert_eq!(third["status"], "SUSPENDED");
    assert!(
        sandbox.fail_subscription_payment(id).is_none(),
        "no charge on a suspended subscription"
    );
    let (_, _, sub) = get(&sandbox, &token, &format!("/v1/billing/subscriptions/{id}")).await;
    assert_eq!(sub["status"], "SUSPENDED");
    assert_eq!(sub["billing_info"]["failed_payments_count"], 3);
    assert!(
        sub["billing_info"].get("last_failed_payment").is_none(),
        "only with fields=last_failed_payment"
    );
}

#[tokio::test]
async fn a_new_dispute_and_a_refund_show_up() {
    let sandbox = start(config(21)).await;
    let token = token(&sandbox).await;
    let payment = sandbox
        .transactions()
        .into_iter()
        .find(|t| {
            t.event_code == "T0006"
                && t.status == 'S'
                && t.initiated_at < anchor() - Duration::days(3)
        })
        .unwrap();
    let dispute = sandbox.open_dispute(&payment.transaction_id).unwrap();
    let id = dispute["dispute_id"].as_str().unwrap();
    let (_, _, listed) = get(&sandbox, &token, "/v1/customer/disputes?page_size=50").await;
    assert_eq!(listed["items"][0]["dispute_id"], id, "newest first");
    assert_eq!(listed["items"][0]["dispute_life_cycle_stage"], "INQUIRY");
    let refund = sandbox.refund_transaction(&payment.transaction_id).unwrap();
    let facts = sandbox.transactions();
    let original = facts
        .iter()
        .find(|t| t.transaction_id == payment.transaction_id)
        .unwrap();
    assert_eq!(original.status, 'V');
    let refund_row = facts.iter().find(|t| t.transaction_id == refund).unwrap();
    assert_eq!(refund_row.event_code, "T1107");
    assert_eq!(
        refund_row.reference_id.as_deref(),
        Some(payment.transaction_id.as_str())
    );
    assert!(refund_row.amount.starts_with('-'));
}
