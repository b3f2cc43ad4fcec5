//! The health list's name search and its revenue and renewal columns.

use super::*;
use shared::domain::{ClientSnapshot, Deal};
use shared::ports::SnapshotStore;

fn deal(id: &str, amount: f64, open: bool, won: bool, close_in_days: i64) -> Deal {
    Deal {
        id: id.to_string(),
        amount: Some(amount),
        is_closed: !open,
        is_closed_won: won,
        close_date: Some(now() + Duration::days(close_in_days)),
        stage: None,
    }
}

fn snapshot(client: &str, deals: Vec<Deal>, reported_revenue: Option<f64>) -> ClientSnapshot {
    ClientSnapshot {
        client_id: client_id(client),
        name: format!("Client {client}"),
        domain: None,
        lifecycle_stage: Some("customer".to_string()),
        activity: Default::default(),
        reported_revenue,
        contacts: vec![],
        deals,
        tickets: vec![],
        engagements: vec![],
        sources: vec!["hubspot".to_string()],
        updated_at: now(),
        csm_sentiment: None,
    }
}

fn named(client: &str, name: &str, overall: u8, churn_risk: u8) -> HealthScore {
    HealthScore {
        segment: None,
        settings_version: 0,
        client_name: name.to_string(),
        ..score(client, overall, churn_risk)
    }
}

async fn seed_named(api: &TestApi) {
    let a = tenant_id(TENANT_A);
    api.store.create_tenant(&tenant(TENANT_A)).await.unwrap();
    api.store
        .put_scores(
            &a,
            &[
                named("c-1", "Acme Robotics", 20, 80),
                named("c-2", "Northwind Traders", 35, 60),
                named("c-3", "ACME Logistics", 55, 40),
                named("c-4", "Globex", 65, 20),
                named("c-5", "Initech (acme subsidiary)", 80, 10),
                named("c-6", "Umbrella", 90, 5),
            ],
        )
        .await
        .unwrap();
    api.store
        .put_snapshots(
            &a,
            &[
                // Won deals count; the lost one and the open ones do not; the nearest open deal,
                // even overdue, is the renewal.
                snapshot(
                    "c-1",
                    vec![
                        deal("d1", 1200.0, false, true, -200),
                        deal("d2", 300.5, false, true, -20),
                        deal("d3", 999.0, false, false, -10),
                        deal("d4", 5000.0, true, false, 45),
                        deal("d5", 700.0, true, false, -3),
                    ],
                    Some(99_999.0),
                ),
                // No won deal with an amount: the company's reported revenue.
                snapshot(
                    "c-3",
                    vec![deal("d6", 800.0, true, false, 30)],
                    Some(42_000.0),
                ),
                // Nothing known.
                snapshot("c-4", vec![], None),
            ],
        )
        .await
        .unwrap();
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["client_name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_search_finds_clients_by_any_part_of_their_name_in_any_case() {
    let api = TestApi::new();
    seed_named(&api).await;
    let found = api.get("/v1/health-scores?q=acme").await.ok();
    assert_eq!(
        names(&found),
        vec![
            "Acme Robotics",
            "ACME Logistics",
            "Initech (acme subsidiary)"
        ]
    );
    assert_eq!(found["next_cursor"], Value::Null);

    // With the band and churn filters and the order.
    let found = api
        .get("/v1/health-scores?q=%20ACME%20&min_churn_risk=30&sort=overall_desc")
        .await
        .ok();
    assert_eq!(names(&found), vec!["ACME Logistics", "Acme Robotics"]);
    let found = api.get("/v1/health-scores?q=acme&band=watch").await.ok();
    assert_eq!(names(&found), vec!["ACME Logistics"]);
    let none = api.get("/v1/health-scores?q=zebra").await.ok();
    assert_eq!(names(&none), Vec::<String>::new());
    assert_eq!(none["next_cursor"], Value::Null);
    // An empty search is no search.
    let all = api.get("/v1/health-scores?q=").await.ok();
    assert_eq!(all["items"].as_array().unwrap().len(), 6);
}

#[tokio::test]
async fn a_search_pages_without_skipping_or_repeating_a_match() {
    let api = TestApi::new();
    seed_named(&api).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let path = match &cursor {
            None => "/v1/health-scores?q=acme&limit=2".to_string(),
            Some(c) => format!(
                "/v1/health-scores?q=acme&limit=2&cursor={}",
                url::form_urlencoded::byte_serialize(c.as_bytes()).collect::<String>()
            ),
        };
        let page = api.get(&path).await.ok();
        let got = names(&page);
        assert!(got.len() <= 2, "a page holds at most `limit`: {got:?}");
        seen.extend(got);
        cursor = page["next_cursor"].as_str().map(str::to_string);
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(
        seen,
        vec![
            "Acme Robotics",
            "ACME Logistics",
            "Initech (acme subsidiary)"
        ]
    );
}

#[tokio::test]
async fn a_search_longer_than_100_characters_is_refused() {
    let api = TestApi::new();
    seed_named(&api).await;
    let long = "a".repeat(101);
    let problem = api
        .get(&format!("/v1/health-scores?q={long}"))
        .await
        .problem(StatusCode::BAD_REQUEST);
    assert_eq!(problem["parameter"], "q", "{problem}");
}

#[tokio::test]
async fn each_row_has_the_clients_revenue_and_next_renewal() {
    let api = TestApi::new();
    seed_named(&api).await;
    let page = api.get("/v1/health-scores").await.ok();
    let row = |id: &str| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["client_id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} listed: {page}"))
    };
    // Won deals (1,200 + 300.50), not the lost one nor the company's reported revenue.
    assert_eq!(row("c-1")["revenue"], json!(1500.5));
    // The overdue open deal is the next renewal, before the one in 45 days.
    assert_eq!(
        row("c-1")["renewal_at"],
        json!((now() - Duration::days(3)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    );
    assert_eq!(row("c-3")["revenue"], json!(42000.0));
    assert_eq!(
        row("c-3")["renewal_at"],
        json!((now() + Duration::days(30)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    );
    assert_eq!(row("c-4")["revenue"], Value::Null);
    assert_eq!(row("c-4")["renewal_at"], Value::Null);
    // No snapshot at all: both unknown, the score still listed with its dimensions.
    assert_eq!(row("c-6")["revenue"], Value::Null);
    assert_eq!(row("c-6")["dimensions"].as_array().unwrap().len(), 4);
}
