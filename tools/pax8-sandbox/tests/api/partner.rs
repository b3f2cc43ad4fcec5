use crate::common::{get, start, token};
use pax8_sandbox::MAX_PAGE_SIZE;

#[tokio::test]
async fn listings_page_from_zero_and_cap_the_size_at_200() {
    let sandbox = start().await;
    let token = token(&sandbox).await;
    let companies = sandbox.truth().len();
    let (status, _, body) = get(&sandbox, &token, "/v1/companies?page=0&size=500").await;
    assert_eq!(status, 200);
    assert_eq!(body["page"]["size"], MAX_PAGE_SIZE);
    assert_eq!(body["page"]["totalElements"], companies);
    assert_eq!(body["content"].as_array().map(Vec::len), Some(companies));
    let (_, _, body) = get(&sandbox, &token, "/v1/companies?page=1&size=10").await;
    assert_eq!(body["page"]["number"], 1);
    assert_eq!(body["page"]["totalPages"], companies.div_ceil(10));
    assert_eq!(body["content"].as_array().map(Vec::len), Some(10));
    let (_, _, body) = get(&sandbox, &token, "/v1/companies").await;
    assert_eq!(body["page"]["size"], 10, "the documented default");
    let (_, _, body) = get(&sandbox, &token, "/v1/companies?page=99&size=200").await;
    assert_eq!(body["content"].as_array().map(Vec::len), Some(0));
    assert_eq!(get(&sandbox, &token, "/v1/companies?size=0").await.0, 400);
    assert_eq!(get(&sandbox, &token, "/v1/companies?page=x").await.0, 400);
}

#[tokio::test]
async fn companies_contacts_subscriptions_history_usage_and_products() {
    let sandbox = start().await;
    let token = token(&sandbox).await;
    let company = sandbox
        .truth()
        .into_iter()
        .find(|c| c.subscriptions.len() >= 2)
        .expect("a company with subscriptions");
    let id = &company.company_id;
    let (status, _, body) = get(&sandbox, &token, &format!("/v1/companies/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["name"], company.name.as_str());
    assert!(body["updatedDate"]
        .as_str()
        .is_some_and(|d| d.ends_with("+0000")));
    let (_, _, contacts) = get(
        &sandbox,
        &token,
        &format!("/v1/companies/{id}/contacts?size=200"),
    )
    .await;
    let emails = contacts["content"].as_array().expect("contacts");
    assert_eq!(emails.len(), company.contact_domains.len());
    let (_, _, subs) = get(
        &sandbox,
        &token,
        &format!("/v1/subscriptions?companyId={id}&size=200"),
    )
    .await;
    let rows = subs["content"].as_array().expect("rows");
    assert_eq!(rows.len(), company.subscriptions.len());
    assert!(rows
        .iter()
        .all(|r| r["companyId"] == id.as_str() && r["productName"].is_string()));
    let expected = &company.subscriptions[0];
    let (_, _, history) = get(
        &sandbox,
        &token,
        &format!("/v1/subscriptions/{}/history", expected.id),
    )
    .await;
    let versions = history["content"].as_array().expect("versions");
    assert_eq!(versions.len(), expected.quantity_history.len());
    assert_eq!(versions[0]["quantity"], expected.quantity, "newest first");
    assert!(versions.iter().all(|v| v["id"] == expected.id.as_str()));
    let (_, _, usage) = get(
        &sandbox,
        &token,
        &format!("/v1/subscriptions/{}/usage-summaries", expected.id),
    )
    .await;
    assert!(usage["content"][0]["currentCharges"].is_number());
    let product = rows[0]["productId"].as_str().expect("product id");
    let (status, _, product) = get(&sandbox, &token, &format!("/v1/products/{product}")).await;
    assert_eq!(status, 200);
    assert!(product["vendorName"].is_string());
    let unknown = "00000000-0000-4000-8000-000000000000";
    assert_eq!(
        get(&sandbox, &token, &format!("/v1/companies/{unknown}"))
            .await
            .0,
        404
    );
    assert_eq!(
        get(
            &sandbox,
            &token,
            &format!("/v1/subscriptions?companyId={unknown}")
        )
        .await
        .0,
        403
    );
    assert_eq!(
        get(
            &sandbox,
            &token,
            &format!("/v1/subscriptions/{unknown}/history")
        )
        .await
        .0,
        404
    );
    // Filters.
    let (_, _, cancelled) = get(
        &sandbox,
        &token,
        "/v1/subscriptions?status=Cancelled&size=200",
    )
    .await;
    assert!(cancelled["content"]
        .as_array()
        .expect("rows")
        .iter()
        .all(|r| r["status"] == "Cancelled"));
    // A change shows in the listing and the history.
    sandbox
        .change_quantity(&expected.id, 99.0)
        .expect("changed");
    let (_, _, history) = get(
        &sandbox,
        &token,
        &format!("/v1/subscriptions/{}/history", expected.id),
    )
    .await;
    assert_eq!(history["content"][0]["quantity"], 99.0);
    assert!(sandbox
        .stats()
        .by_route
        .contains_key("GET /v1/subscriptions/{id}/history"));
}
