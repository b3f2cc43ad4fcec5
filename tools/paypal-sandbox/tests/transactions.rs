//! Transaction Search: the 31-day window, the 3-year horizon, paging totals, late rows, shared ids.

mod common;

use std::collections::HashSet;
use std::time::Duration as StdDuration;

use chrono::Duration;
use common::{anchor, config, get, search_path, start, token};

#[tokio::test]
async fn a_window_longer_than_31_days_is_refused_with_paypal_error_shape() {
    let sandbox = start(config(11)).await;
    let token = token(&sandbox).await;
    let end = anchor();
    let (status, headers, body) = get(
        &sandbox,
        &token,
        &search_path(end - Duration::days(31) - Duration::seconds(1), end, ""),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["name"], "INVALID_REQUEST");
    assert!(body["message"].is_string());
    let debug_id = body["debug_id"].as_str().unwrap();
    assert_eq!(headers["paypal-debug-id"], debug_id);
    let detail = &body["details"][0];
    assert_eq!(detail["field"], "end_date");
    assert_eq!(detail["location"], "query");
    assert!(detail["issue"].is_string() && detail["description"].is_string());
    // Exactly 31 days is allowed.
    let (status, _, _) = get(
        &sandbox,
        &token,
        &search_path(end - Duration::days(31), end, ""),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn missing_dates_bad_syntax_and_history_beyond_three_years_are_refused() {
    let sandbox = start(config(11)).await;
    let token = token(&sandbox).await;
    let (status, _, body) = get(
        &sandbox,
        &token,
        "/v1/reporting/transactions?end_date=2026-01-01T00:00:00Z",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["details"][0]["field"], "start_date");
    assert_eq!(body["details"][0]["issue"], "MISSING_REQUIRED_PARAMETER");
    // Seconds are required.
    let (status, _, _) = get(
        &sandbox,
        &token,
        "/v1/reporting/transactions?start_date=2026-01-01T00:00Z&end_date=2026-01-02T00:00Z",
    )
    .await;
    assert_eq!(status, 400);
    let old = anchor() - Duration::days(3 * 365 + 2);
    let (status, _, body) = get(
        &sandbox,
        &token,
        &search_path(old, old + Duration::days(10), ""),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "Data for the given start date is not available."
    );
    let (status, _, _) = get(
        &sandbox,
        &token,
        &search_path(anchor() - Duration::days(2), anchor(), "&page_size=501"),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn pages_add_up_to_total_items() {
    let sandbox = start(config(11)).await;
    let token = token(&sandbox).await;
    let end = anchor();
    let start_at = end - Duration::days(31);
    let (_, _, first) = get(
        &sandbox,
        &token,
        &search_path(start_at, end, "&page_size=7&page=1"),
    )
    .await;
    let total = first["total_items"].as_u64().unwrap();
    let pages = first["total_pages"].as_u64().unwrap();
    assert!(total > 7, "enough rows to page: {total}");
    assert_eq!(pages, total.div_ceil(7));
    assert!(first["links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["rel"] == "next"));
    let mut seen = Vec::new();
    for page in 1..=pages {
        let (status, _, body) = get(
            &sandbox,
            &token,
            &search_path(start_at, end, &format!("&page_size=7&page={page}")),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(body["page"], page);
        for row in body["transaction_details"].as_array().unwrap() {
            let info = &row["transaction_info"];
            seen.push(format!(
                "{}:{}",
                info["transaction_id"], info["transaction_event_code"]
            ));
        }
    }
    assert_eq!(seen.len() as u64, total);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len() as u64,
        total,
        "no row twice"
    );
    let (_, _, beyond) = get(
        &sandbox,
        &token,
        &search_path(start_at, end, &format!("&page_size=7&page={}", pages + 1)),
    )
    .await;
    assert_eq!(
        beyond["transaction_details"].as_array().map(Vec::len),
        Some(0)
    );
    assert!(!beyond["links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["rel"] == "next"));
}

#[tokio::test]
async fn late_rows_are_hidden_until_the_reporting_lag_has_passed() {
    let sandbox = start(config(11)).await;
    let token = token(&sandbox).await;
    let now = sandbox.now();
    let hidden: Vec<String> = sandbox
        .transactions()
        .into_iter()
        .filter(|t| t.initiated_at <= now && t.visible_at > now && t.balance_affecting)
        .map(|t| t.transaction_id)
        .collect();
    assert!(!hidden.is_empty(), "the account has late rows");
    let ids_in = |body: &serde_json::Value| -> HashSet<String> {
        body["transaction_details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["transaction_info"]["transaction_id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    let (_, _, before) = get(
        &sandbox,
        &token,
        &search_path(now - Duration::hours(4), now, "&page_size=500"),
    )
    .await;
    assert!(hidden.iter().all(|id| !ids_in(&before).contains(id)));
    sandbox.advance_clock(StdDuration::from_secs(3 * 3_600 + 60));
    let later = sandbox.now();
    let token = common::token(&sandbox).await;
    let (_, _, after) = get(
        &sandbox,
        &token,
        &search_path(now - Duration::hours(4), later, "&page_size=500"),
    )
    .await;
    assert!(
        hidden.iter().all(|id| ids_in(&after).contains(id)),
        "late rows appear after the lag"
    );
}

#[tokio::test]
async fn a_transaction_id_can_carry_a_balance_affecting_and_a_non_balance_affecting_row() {
    let sandbox = start(config(11)).await;
    let token = token(&sandbox).await;
    let facts = sandbox.transactions();
    let shared = facts
        .iter()
        .find(|t| !t.balance_affecting)
        .expect("a non-balance-affecting row");
    let day = shared.initiated_at;
    let window = (day - Duration::days(1), day + Duration::days(1));
    let query = format!("&transaction_id={}", shared.transaction_id);
    let (_, _, default_rows) =
        get(&sandbox, &token, &search_path(window.0, window.1, &query)).await;
    assert_eq!(
        default_rows["total_items"], 1,
        "balance-affecting only by default"
    );
    let (_, _, all_rows) = get(
        &sandbox,
        &token,
        &search_path(
            window.0,
            window.1,
            &format!("{query}&balance_affecting_records_only=N"),
        ),
    )
    .await;
    assert_eq!(all_rows["total_items"], 2);
    let codes: HashSet<String> = all_rows["transaction_details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["transaction_info"]["transaction_event_code"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        codes,
        HashSet::from(["T1201".to_owned(), "T1106".to_owned()])
    );
}

#[tokio::test]
async fn filters_by_status_and_event_code() {
    let sandbox = start(config(11)).await;
    let token = token(&sandbox).await;
    let end = anchor();
    let begin = end - Duration::days(31);
    for status in ["D", "P", "S"] {
        let (code, _, body) = get(
            &sandbox,
            &token,
            &search_path(
                begin,
                end,
                &format!("&transaction_status={status}&page_size=500"),
            ),
        )
        .await;
        assert_eq!(code, 200);
        let rows = body["transaction_details"].as_array().unwrap();
        assert!(rows
            .iter()
            .all(|r| r["transaction_info"]["transaction_status"] == status));
    }
    let (_, _, denied) = get(
        &sandbox,
        &token,
        &search_path(begin, end, "&transaction_status=D"),
    )
    .await;
    assert!(
        denied["total_items"].as_u64().unwrap() >= 1,
        "a denied payment in the last month"
    );
    let (_, _, subs) = get(
        &sandbox,
        &token,
        &search_path(begin, end, "&transaction_type=T0002&page_size=500"),
    )
    .await;
    for row in subs["transaction_details"].as_array().unwrap() {
        assert_eq!(row["transaction_info"]["transaction_event_code"], "T0002");
        assert_eq!(row["transaction_info"]["paypal_reference_id_type"], "SUB");
    }
}

#[tokio::test]
async fn filters_by_amount_range_in_cents_and_currency() {
    let sandbox = start(config(11)).await;
    let token = token(&sandbox).await;
    let end = anchor();
    let begin = end - Duration::days(31);
    let (status, _, body) = get(
        &sandbox,
        &token,
        &search_path(
            begin,
            end,
            "&transaction_amount=%5B10000%20TO%2050000%5D&page_size=500",
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let rows = body["transaction_details"].as_array().unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        let value: f64 = row["transaction_info"]["transaction_amount"]["value"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((100.0..=500.0).contains(&value), "{value}");
    }
    let (_, _, euros) = get(
        &sandbox,
        &token,
        &search_path(begin, end, "&transaction_currency=EUR"),
    )
    .await;
    assert_eq!(euros["total_items"], 0);
    let (status, _, _) = get(
        &sandbox,
        &token,
        &search_path(begin, end, "&transaction_amount=cheap"),
    )
    .await;
    assert_eq!(status, 400);
}
