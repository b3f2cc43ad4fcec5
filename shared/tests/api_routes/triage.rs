//! Triage: the list's order, total and stable pages; bulk changes with a reason and per-id outcomes;
//! snoozes that hide an insight until their date; every overview number equal to its list's total.

use super::*;
use std::sync::atomic::{AtomicI64, Ordering};

/// A test API whose clock (API and store) can be moved forward.
fn api_with_clock() -> (TestApi, Arc<AtomicI64>) {
    let offset = Arc::new(AtomicI64::new(0));
    let clock = {
        let offset = offset.clone();
        move || now() + Duration::seconds(offset.load(Ordering::SeqCst))
    };
    let store = MemoryStore::with_clock(clock.clone());
    let bus = InProcessBus::new();
    let vault = InProcessVault::new();
    let state = ApiState::new(
        Arc::new(store.clone()),
        Arc::new(bus.clone()),
        Arc::new(vault.clone()),
        config(),
        Authenticator::api_gateway("tenant_id"),
    )
    .with_clock(clock);
    let router = router(state);
    (
        TestApi {
            store,
            bus,
            vault,
            router,
        },
        offset,
    )
}

fn at_stake(mut insight: Insight, amount: Option<f64>) -> Insight {
    insight.revenue_at_stake = amount;
    insight
}

/// Tenant A's insights for ordering: impacts, amounts at stake and confidences that each decide
/// one step of the order.
async fn seed_triage(api: &TestApi) {
    let a = tenant_id(TENANT_A);
    let mut upsell = insight(
        TENANT_A,
        "c-up",
        InsightRule::UpsellOpportunity,
        99,
        Impact::Critical,
        1,
    );
    upsell.revenue_at_stake = None;
    upsell.revenue_upside = Some(500_000.0);
    let insights = vec![
        at_stake(
            insight(
                TENANT_A,
                "c-low",
                InsightRule::InactiveClient,
                99,
                Impact::Low,
                1,
            ),
            Some(90_000.0),
        ),
        upsell,
        at_stake(
            insight(
                TENANT_A,
                "c-small",
                InsightRule::InactiveClient,
                95,
                Impact::Critical,
                2,
            ),
            Some(1_000.0),
        ),
        at_stake(
            insight(
                TENANT_A,
                "c-big",
                InsightRule::InactiveClient,
                60,
                Impact::Critical,
                3,
            ),
            Some(40_000.0),
        ),
        at_stake(
            insight(
                TENANT_A,
                "c-big",
                InsightRule::MultipleRiskFactors,
                80,
                Impact::Critical,
                4,
            ),
            Some(40_000.0),
        ),
        at_stake(
            insight(
                TENANT_A,
                "c-high",
                InsightRule::DecliningEngagement,
                45,
                Impact::High,
                5,
            ),
            None,
        ),
        at_stake(
            insight(
                TENANT_A,
                "c-medium",
                InsightRule::DecliningEngagement,
                70,
                Impact::Medium,
                6,
            ),
            Some(5_000.0),
        ),
    ];
    api.store.create_tenant(&tenant(TENANT_A)).await.unwrap();
    api.store.put_insights(&a, &insights).await.unwrap();
}

const TRIAGE_ORDER: [&str; 7] = [
    "ins-c-big-multiple_risk_factors",
    "ins-c-big-inactive_client",
    "ins-c-small-inactive_client",
    // Critical, but an upside is not at stake: after every critical amount at stake.
    "ins-c-up-upsell_opportunity",
    "ins-c-high-declining_engagement",
    "ins-c-medium-declining_engagement",
    "ins-c-low-inactive_client",
];

async fn every_page(api: &TestApi, query: &str, limit: usize) -> (Vec<String>, Vec<Value>) {
    let mut seen = Vec::new();
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/v1/insights?{query}&limit={limit}");
        if let Some(cursor) = &cursor {
            let encoded: String = url::form_urlencoded::byte_serialize(cursor.as_bytes()).collect();
            path.push_str(&format!("&cursor={encoded}"));
        }
        let page = api.get(&path).await.ok();
        seen.extend(ids(&page));
        cursor = page["next_cursor"].as_str().map(str::to_string);
        pages.push(page);
        if cursor.is_none() || pages.len() > 50 {
            break;
        }
    }
    (seen, pages)
}

#[tokio::test]
async fn insights_come_in_triage_order_with_the_total_of_the_filter() {
    let api = TestApi::new();
    seed_triage(&api).await;

    let first = api.get("/v1/insights?status=open&limit=3").await.ok();
    assert_eq!(ids(&first), TRIAGE_ORDER[..3]);
    assert_eq!(first["total"], 7, "the total counts every page: {first}");
    assert_eq!(first["sort"], "impact");
    // No counts by status when one status is asked for; all of them otherwise.
    assert_eq!(first.get("status_counts"), None);
    let any = api.get("/v1/insights?limit=1").await.ok();
    assert_eq!(any["status_counts"]["open"], 7);
    assert_eq!(any["total"], 7);

    let (all, pages) = every_page(&api, "status=open", 3).await;
    assert_eq!(all, TRIAGE_ORDER);
    assert_eq!(pages.len(), 3);
    assert!(pages.iter().all(|p| p["total"] == 7));

    // The upside is named so, never "at stake".
    let upsell = &first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(pages[1]["items"].as_array().unwrap())
        .find(|i| i["id"] == "ins-c-up-upsell_opportunity")
        .cloned()
        .unwrap();
    assert_eq!(upsell["revenue_at_stake"], Value::Null);
    assert_eq!(upsell["revenue_upside"], 500_000.0);

    let (by_revenue, _) = every_page(&api, "sort=revenue", 2).await;
    assert_eq!(
        by_revenue[..4],
        [
            "ins-c-low-inactive_client",
            "ins-c-big-multiple_risk_factors",
            "ins-c-big-inactive_client",
            "ins-c-medium-declining_engagement",
        ]
    );
    let (by_confidence, _) = every_page(&api, "sort=confidence", 4).await;
    assert_eq!(
        by_confidence[..3],
        [
            "ins-c-up-upsell_opportunity",
            "ins-c-low-inactive_client",
            "ins-c-small-inactive_client",
        ]
    );
    let (by_update, _) = every_page(&api, "sort=updated", 5).await;
    assert_eq!(by_update[0], "ins-c-low-inactive_client");
    assert_eq!(by_update[6], "ins-c-medium-declining_engagement");

    // A filter's total is the filter's, not the tenant's.
    let critical = api.get("/v1/insights?impact=critical&limit=1").await.ok();
    assert_eq!(critical["total"], 4);
    let problem = api
        .get("/v1/insights?sort=loudest")
        .await
        .problem(StatusCode::BAD_REQUEST);
    assert_eq!(problem["parameter"], "sort");
}

#[tokio::test]
async fn a_page_boundary_holds_when_an_insight_leaves_the_list_between_pages() {
    let api = TestApi::new();
    seed_triage(&api).await;
    let first = api.get("/v1/insights?status=open&limit=3").await.ok();
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    // Someone acknowledges the first insight of page one before page two is read.
    api.call(
        "PATCH",
        &format!("/v1/insights/{}", TRIAGE_ORDER[0]),
        Some(TENANT_A),
        Some(json!({"status": "acknowledged"})),
    )
    .await
    .ok();
    let encoded: String = url::form_urlencoded::byte_serialize(cursor.as_bytes()).collect();
    let second = api
        .get(&format!(
            "/v1/insights?status=open&limit=3&cursor={encoded}"
        ))
        .await
        .ok();
    // An offset would skip one; the position does not.
    assert_eq!(ids(&second), TRIAGE_ORDER[3..6]);
    assert_eq!(second["total"], 6);

    // A cursor of one sort does not continue another.
    let problem = api
        .get(&format!(
            "/v1/insights?status=open&limit=3&sort=confidence&cursor={encoded}"
        ))
        .await
        .problem(StatusCode::BAD_REQUEST);
    assert_eq!(problem["parameter"], "cursor");
}

#[tokio::test]
async fn bulk_acknowledge_reports_each_id_and_keeps_the_summary_right() {
    let api = TestApi::new();
    seed(&api).await;
    let a = tenant_id(TENANT_A);
    let mut resolved = insight(
        TENANT_A,
        "c-old",
        InsightRule::InactiveClient,
        90,
        Impact::High,
        30,
    );
    resolved.status = InsightStatus::Resolved;
    api.store.put_insights(&a, &[resolved]).await.unwrap();
    store_summary(&api).await;

    let body = json!({
        "ids": [
            "ins-c-critical-inactive_client",
            "ins-c-risk-declining_engagement",
            "ins-c-old-inactive_client",
            "ins-nobody-inactive_client",
            "not#an#id",
            "ins-c-critical-inactive_client",
        ],
        "action": "acknowledge",
        "reason": "  Call booked with the account team  ",
    });
    let result = api
        .call("POST", "/v1/insights/bulk", Some(TENANT_A), Some(body))
        .await
        .ok();
    let outcomes: Vec<(&str, &str)> = result["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap(), r["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("ins-c-critical-inactive_client", "done"),
            ("ins-c-risk-declining_engagement", "done"),
            ("ins-c-old-inactive_client", "conflict"),
            ("ins-nobody-inactive_client", "not_found"),
            ("not#an#id", "not_found"),
        ]
    );
    assert_eq!(
        (&result["done"], &result["conflicts"], &result["not_found"]),
        (&json!(2), &json!(1), &json!(2))
    );
    let acknowledged = api
        .get("/v1/insights/ins-c-critical-inactive_client")
        .await
        .ok();
    assert_eq!(acknowledged["status"], "acknowledged");
    assert_eq!(
        acknowledged["status_reason"],
        "Call booked with the account team"
    );

    // The stored summary followed: the overview agrees with the open list.
    let overview = api.get("/v1/overview").await.ok();
    assert_eq!(overview["open_insights"], 3);
    assert_eq!(overview["open_insights_by_impact"]["critical"], 0);
    assert_overview_matches_lists(&api).await;

    // Asking again changes nothing and says done.
    let again = api
        .call(
            "POST",
            "/v1/insights/bulk",
            Some(TENANT_A),
            Some(json!({"ids": ["ins-c-critical-inactive_client"], "action": "acknowledge"})),
        )
        .await
        .ok();
    assert_eq!(again["done"], 1);
    assert_eq!(api.get("/v1/overview").await.ok()["open_insights"], 3);

    // No ids, or more than 100, is refused whole.
    for ids in [
        json!([]),
        json!((0..101).map(|n| format!("i{n}")).collect::<Vec<_>>()),
    ] {
        let problem = api
            .call(
                "POST",
                "/v1/insights/bulk",
                Some(TENANT_A),
                Some(json!({"ids": ids, "action": "dismiss"})),
            )
            .await
            .problem(StatusCode::BAD_REQUEST);
        assert!(
            problem["detail"].as_str().unwrap().contains("ids"),
            "{problem}"
        );
    }
}

#[tokio::test]
async fn a_snooze_hides_an_insight_until_its_date_then_it_is_open_again() {
    let (api, clock) = api_with_clock();
    seed(&api).await;
    store_summary(&api).await;
    let id = "ins-c-critical-inactive_client";
    let until = now() + Duration::days(3);

    let snoozed = api
        .call(
            "PATCH",
            &format!("/v1/insights/{id}"),
            Some(TENANT_A),
            Some(json!({"status": "snoozed", "snoozed_until": until, "reason": "Renewal call on Friday"})),
        )
        .await
        .ok();
    assert_eq!(snoozed["status"], "snoozed");
    assert_eq!(snoozed["snoozed_until"], json!(until));
    let open = api.get("/v1/insights?status=open").await.ok();
    assert!(!ids(&open).contains(&id.to_string()));
    assert_eq!(open["total"], 4);
    let listed = api.get("/v1/insights?status=snoozed").await.ok();
    assert_eq!(ids(&listed), [id]);
    assert_eq!(api.get("/v1/overview").await.ok()["open_insights"], 4);
    assert_overview_matches_lists(&api).await;

    // A day before the date: still snoozed.
    clock.store(Duration::days(2).num_seconds(), Ordering::SeqCst);
    assert_eq!(api.get("/v1/insights?status=open").await.ok()["total"], 4);

    // The date has come: open again everywhere, the reason kept, with no job having run.
    clock.store(Duration::days(3).num_seconds(), Ordering::SeqCst);
    let open = api.get("/v1/insights?status=open").await.ok();
    assert_eq!(open["total"], 5);
    assert_eq!(ids(&open)[0], id, "critical: first in triage order");
    let back = api.get(&format!("/v1/insights/{id}")).await.ok();
    assert_eq!(back["status"], "open");
    assert_eq!(back.get("snoozed_until"), None);
    assert_eq!(back["status_reason"], "Renewal call on Friday");
    assert_eq!(
        api.get("/v1/insights?status=snoozed").await.ok()["total"],
        0
    );
    assert_eq!(api.get("/v1/overview").await.ok()["open_insights"], 5);
    assert_overview_matches_lists(&api).await;

    // Acknowledging it now moves the counts once, not twice.
    api.call(
        "PATCH",
        &format!("/v1/insights/{id}"),
        Some(TENANT_A),
        Some(json!({"status": "acknowledged"})),
    )
    .await
    .ok();
    assert_eq!(api.get("/v1/overview").await.ok()["open_insights"], 4);
    assert_overview_matches_lists(&api).await;
}

#[tokio::test]
async fn a_snooze_needs_a_date_to_come_and_only_a_snooze_takes_one() {
    let api = TestApi::new();
    seed(&api).await;
    let path = "/v1/insights/ins-c-risk-declining_engagement";
    for (body, field) in [
        (json!({"status": "snoozed"}), "snoozed_until"),
        (
            json!({"status": "snoozed", "snoozed_until": now() - Duration::hours(1)}),
            "snoozed_until",
        ),
        (
            json!({"status": "snoozed", "snoozed_until": now() + Duration::days(400)}),
            "snoozed_until",
        ),
        (
            json!({"status": "dismissed", "snoozed_until": now() + Duration::days(1)}),
            "snoozed_until",
        ),
        (
            json!({"status": "dismissed", "reason": "x".repeat(501)}),
            "reason",
        ),
    ] {
        let problem = api
            .call("PATCH", path, Some(TENANT_A), Some(body.clone()))
            .await
            .problem(StatusCode::BAD_REQUEST);
        assert!(
            problem["detail"].as_str().unwrap().contains(field),
            "{body}: {problem}"
        );
    }
    assert_eq!(api.get(path).await.ok()["status"], "open");
}

/// Once the tenant has a summary, the open list in triage order is read from the triage index a
/// page at a time, its total taken from the summary: the same insights in the same order with the
/// same totals as reading the list whole (which a confidence filter still does), snoozes that ran
/// out merged in at their place.
#[tokio::test]
async fn the_indexed_open_list_pages_like_the_list_read_whole() {
    let (api, clock) = api_with_clock();
    seed_triage(&api).await;
    let rules = [
        InsightRule::InactiveClient,
        InsightRule::DecliningEngagement,
        InsightRule::UpsellOpportunity,
    ];
    let impacts = [Impact::Low, Impact::Medium, Impact::High, Impact::Critical];
    let generated: Vec<Insight> = (0..60)
        .map(|n: usize| {
            let mut insight = insight(
                TENANT_A,
                &format!("g-{n:02}"),
                rules[n % 3],
                (30 + n * 7 % 70) as u8,
                impacts[n * 5 % 4],
                (n * 13 % 40) as i64,
            );
            insight.revenue_at_stake = [None, Some(500.0), Some(n as f64 * 100.0)][n % 3];
            insight
        })
        .collect();
    let a = tenant_id(TENANT_A);
    api.store.put_insights(&a, &generated).await.unwrap();
    store_summary(&api).await;
    for (id, days) in [
        ("ins-g-07-declining_engagement", 1),
        ("ins-g-20-upsell_opportunity", 5),
    ] {
        api.call(
            "PATCH",
            &format!("/v1/insights/{id}"),
            Some(TENANT_A),
            Some(json!({"status": "snoozed", "snoozed_until": now() + Duration::days(days)})),
        )
        .await
        .ok();
    }
    // The first snooze has run out, the second not.
    clock.store(Duration::days(2).num_seconds(), Ordering::SeqCst);

    for filter in [
        "",
        "&impact=critical",
        "&type=churn_risk",
        "&band=needs_review",
    ] {
        let (indexed, pages) = every_page(&api, &format!("status=open{filter}"), 9).await;
        let (whole, whole_pages) =
            every_page(&api, &format!("status=open&min_confidence=0{filter}"), 9).await;
        assert!(!indexed.is_empty(), "{filter}");
        assert_eq!(indexed, whole, "{filter}");
        assert_eq!(pages[0]["total"], whole_pages[0]["total"], "{filter}");
        assert_eq!(pages[0]["total"], json!(indexed.len()), "{filter}");
    }
    let (open, _) = every_page(&api, "status=open", 9).await;
    assert!(open.contains(&"ins-g-07-declining_engagement".to_string()));
    assert!(!open.contains(&"ins-g-20-upsell_opportunity".to_string()));

    // The total is the summary's (counting every match would read them all): an insight written
    // without a scoring run's summary is listed at once and counted from the next summary.
    let late = at_stake(
        insight(
            TENANT_A,
            "g-late",
            InsightRule::InactiveClient,
            90,
            Impact::Critical,
            0,
        ),
        Some(1e9),
    );
    api.store.put_insights(&a, &[late]).await.unwrap();
    let first = api.get("/v1/insights?status=open&limit=1").await.ok();
    assert_eq!(ids(&first), ["ins-g-late-inactive_client"], "{first}");
    assert_eq!(first["total"], json!(open.len()));
}

#[tokio::test]
async fn each_overview_number_equals_its_lists_total() {
    let api = TestApi::new();
    seed(&api).await;
    // Without a stored summary (counted live), then with one.
    assert_overview_matches_lists(&api).await;
    store_summary(&api).await;
    assert_overview_matches_lists(&api).await;
    api.call(
        "PATCH",
        "/v1/insights/ins-c-watch-high_value_low_engagement",
        Some(TENANT_A),
        Some(json!({"status": "dismissed"})),
    )
    .await
    .ok();
    assert_overview_matches_lists(&api).await;
}

/// The summary score would write now for tenant A's scores and insights.
async fn store_summary(api: &TestApi) {
    let a = tenant_id(TENANT_A);
    let scores = api
        .store
        .list_scores(&a, &ScoreQuery::default(), &PageRequest::first(200))
        .await
        .unwrap()
        .items;
    let insights = api
        .store
        .matching_insights(&a, &InsightFilter::default())
        .await
        .unwrap();
    let summary = TenantSummary::of(&scores, &insights, now());
    api.store.put_summary(&a, &summary, false).await.unwrap();
}

/// Every count of the overview equals the total of the list its link opens.
async fn assert_overview_matches_lists(api: &TestApi) {
    let overview = api.get("/v1/overview").await.ok();
    let total = |query: String| async move {
        api.get(&format!("/v1/insights?{query}&limit=1")).await.ok()["total"].clone()
    };
    assert_eq!(
        overview["open_insights"],
        total("status=open".into()).await,
        "{overview}"
    );
    assert_eq!(
        overview["open_insights_needing_review"],
        total("status=open&band=needs_review".into()).await
    );
    for (kind, n) in overview["open_insights_by_type"].as_object().unwrap() {
        assert_eq!(
            *n,
            total(format!("status=open&type={kind}")).await,
            "{kind}"
        );
    }
    for (impact, n) in overview["open_insights_by_impact"].as_object().unwrap() {
        assert_eq!(
            *n,
            total(format!("status=open&impact={impact}")).await,
            "{impact}"
        );
    }
    let clients = |query: &str| {
        let query = query.to_string();
        async move {
            let page = api
                .get(&format!("/v1/health-scores?limit=200{query}"))
                .await
                .ok();
            assert_eq!(page["next_cursor"], Value::Null);
            json!(page["items"].as_array().unwrap().len())
        }
    };
    assert_eq!(overview["clients"], clients("").await);
    for (band, n) in overview["clients_by_band"].as_object().unwrap() {
        assert_eq!(*n, clients(&format!("&band={band}")).await, "{band}");
    }
    assert_eq!(
        overview["clients_at_risk"],
        clients("&max_overall=49").await
    );
}
