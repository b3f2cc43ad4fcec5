use crate::{get, get_json, http, sandbox, token};
use std::time::Duration;

async fn download(sandbox: &m365_sandbox::Sandbox, token: &str, call: &str) -> String {
    let response = get(sandbox, token, &format!("/reports/{call}")).await;
    assert_eq!(response.status().as_u16(), 302, "CSV reports redirect");
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a location")
        .to_owned();
    let refused = http()
        .get(&location)
        .bearer_auth(token)
        .send()
        .await
        .expect("answers");
    assert_eq!(
        refused.status().as_u16(),
        400,
        "no Authorization on the pre-authenticated URL"
    );
    let body = http().get(&location).send().await.expect("answers");
    assert_eq!(body.status().as_u16(), 200);
    body.text().await.unwrap_or_default()
}

#[tokio::test]
async fn count_reports_have_the_documented_columns_and_the_generated_days() {
    let sandbox = sandbox(4).await;
    let tenant = sandbox.tenant_ids()[0].clone();
    let token = token(&sandbox, &tenant).await;
    let refresh = sandbox.report_refresh_date();

    let csv = download(
        &sandbox,
        &token,
        "getOffice365ActiveUserCounts(period='D7')",
    )
    .await;
    assert!(
        csv.starts_with('\u{feff}'),
        "Graph's files carry a byte order mark"
    );
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    assert_eq!(
        lines.next(),
        Some("Report Refresh Date,Office 365,Exchange,OneDrive,SharePoint,Skype For Business,Yammer,Teams,Report Date,Report Period")
    );
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    assert_eq!(rows.len(), 7);
    let truth = sandbox.daily(&tenant, refresh).expect("the tenant");
    assert_eq!(rows[0][0], refresh.to_string());
    assert_eq!(rows[0][8], refresh.to_string());
    assert_eq!(rows[0][1], truth.active_users.to_string());
    assert_eq!(rows[0][7], truth.teams_active.to_string());

    let csv = download(&sandbox, &token, "getEmailActivityUserCounts(period='D30')").await;
    assert!(csv.contains("Report Refresh Date,Send,Receive,Read,Meeting Created,Meeting Interacted,Report Date,Report Period"));
    assert_eq!(csv.lines().count(), 31);
    let csv = download(
        &sandbox,
        &token,
        "getTeamsUserActivityUserCounts(period='D7')",
    )
    .await;
    assert!(csv.contains(
        "Report Refresh Date,Report Date,Team Chat Messages,Private Chat Messages,Calls,Meetings"
    ));

    let (status, body) = get_json(
        &sandbox,
        &token,
        "/reports/getEmailActivityUserCounts(period='D8')",
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("BadRequest"))
    );
}

#[tokio::test]
async fn a_download_url_expires_after_a_few_minutes() {
    let sandbox = sandbox(2).await;
    let token = token(&sandbox, &sandbox.tenant_ids()[0]).await;
    let response = get(
        &sandbox,
        &token,
        "/reports/getOffice365ActiveUserCounts(period='D7')",
    )
    .await;
    let location = response.headers()["location"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    sandbox.advance_clock(Duration::from_secs(301));
    let late = http().get(&location).send().await.expect("answers");
    assert_eq!(late.status().as_u16(), 403);
}

#[tokio::test]
async fn app_user_detail_pages_in_json_and_conceals_names_where_the_tenant_does() {
    let sandbox = sandbox(10).await;
    for truth in sandbox.truth().into_iter().take(4) {
        let token = token(&sandbox, &truth.external_id).await;
        let mut url =
            "/reports/getM365AppUserDetail(period='D30')?$format=application/json".to_owned();
        let (mut rows, mut active, mut pages) = (0usize, 0u32, 0usize);
        loop {
            let (status, body) = get_json(&sandbox, &token, &url).await;
            assert_eq!(status, 200);
            pages += 1;
            let value = body["value"].as_array().cloned().unwrap_or_default();
            assert!(value.len() <= 200, "200 rows a page at most");
            for row in value {
                rows += 1;
                let upn = row["userPrincipalName"].as_str().unwrap_or_default();
                assert_eq!(upn.contains('@'), !truth.names_concealed, "{upn}");
                let details = &row["details"][0];
                if ["outlook", "word", "excel", "powerPoint", "oneNote", "teams"]
                    .iter()
                    .any(|app| details[*app] == true)
                {
                    active += 1;
                }
            }
            match body["@odata.nextLink"].as_str() {
                Some(next) => url = next.to_owned(),
                None => break,
            }
        }
        assert!(rows > 0 && pages == rows.div_ceil(200).max(1));
        assert_eq!(active, truth.active_users_30d);
    }
}

#[tokio::test]
async fn the_fifteenth_report_request_in_ten_minutes_gets_429_with_retry_after_per_tenant() {
    let sandbox = sandbox(4).await;
    let ids = sandbox.tenant_ids();
    let first = token(&sandbox, &ids[0]).await;
    let second = token(&sandbox, &ids[1]).await;
    let call = "/reports/getOffice365ActiveUserCounts(period='D7')";
    for _ in 0..14 {
        assert_eq!(get(&sandbox, &first, call).await.status().as_u16(), 302);
    }
    let refused = get(&sandbox, &first, call).await;
    assert_eq!(refused.status().as_u16(), 429);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap_or_default()
        .parse()
        .unwrap_or_default();
    assert!((590..=600).contains(&wait), "Retry-After {wait}");
    let body: serde_json::Value = refused.json().await.unwrap_or_default();
    assert_eq!(body["error"]["code"], "TooManyRequests");
    assert_eq!(
        get(&sandbox, &second, call).await.status().as_u16(),
        302,
        "per tenant"
    );
    let (status, _) = get_json(&sandbox, &first, "/subscribedSkus").await;
    assert_eq!(status, 200, "other resources are not report-limited");

    sandbox.advance_clock(Duration::from_secs(wait));
    assert_eq!(get(&sandbox, &first, call).await.status().as_u16(), 302);
    assert_eq!(sandbox.stats().throttled, 1);
    assert_eq!(sandbox.stats().reports_by_tenant[&ids[0]], 15);
}
