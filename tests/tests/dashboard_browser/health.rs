//! Health: every client in the table; sorting by overall puts the healthiest first; the band and
//! churn filters show exactly the API's answer (and live in the address); revenue and renewal are
//! shown as the API gives them and sort; the overview's "clients at risk" opens the filtered list.

use super::harness::{eventually, Ui};

pub async fn check(ui: &Ui) {
    let companies = ui.companies;
    ui.click("#tab-health").await;
    eventually("the health table lists every client", || async {
        let rows = ui.all("#health-table tbody tr").await?;
        (rows.len() == companies)
            .then_some(())
            .ok_or(format!("{} rows", rows.len()))
    })
    .await;
    ui.click("#health-table button[data-sort=\"overall\"]")
        .await;
    let overall_column = || async {
        let mut scores = Vec::new();
        for cell in ui
            .all("#health-table tbody tr td:nth-of-type(1) .badge")
            .await?
        {
            let text = cell.text().await.map_err(|e| e.to_string())?;
            scores.push(text.trim().parse::<u32>().map_err(|e| e.to_string())?);
        }
        Ok::<_, String>(scores)
    };
    let scores = eventually("the table is sorted by overall, descending", || async {
        let scores = overall_column().await?;
        let descending = scores.windows(2).all(|w| w[0] >= w[1]);
        (descending && scores.len() == companies)
            .then_some(scores.clone())
            .ok_or(format!("{scores:?}"))
    })
    .await;
    let (_, best) = ui
        .runner
        .get("/v1/health-scores?sort=overall_desc&limit=1")
        .await
        .unwrap();
    assert_eq!(
        Some(u64::from(scores[0])),
        best["items"][0]["overall"].as_u64()
    );
    assert_eq!(
        ui.all("#health-table svg.spark").await.unwrap().len(),
        companies,
        "every row has a trend sparkline"
    );
    ui.screenshot("health").await;

    // Revenue: the column shows the API's figure for each client, and sorting by it (descending)
    // puts the largest first with the unknown ones last.
    let (_, listed) = ui.runner.get("/v1/health-scores?limit=200").await.unwrap();
    let items = listed["items"].as_array().cloned().unwrap_or_default();
    assert!(
        items.iter().any(|i| i["revenue"].is_number()),
        "the demo's clients have revenue: {listed}"
    );
    ui.click("#health-table button[data-sort=\"revenue\"]")
        .await;
    ui.click("#health-table button[data-sort=\"revenue\"]")
        .await;
    let shown = ui
        .js(
            "return [...document.querySelectorAll('#health-table tbody td[data-revenue]')]
               .map((td) => td.dataset.revenue === '' ? null : Number(td.dataset.revenue));",
            vec![],
        )
        .await;
    let shown: Vec<Option<f64>> = serde_json::from_value(shown).unwrap_or_default();
    let known: Vec<f64> = shown.iter().map_while(|v| *v).collect();
    assert!(
        known.windows(2).all(|w| w[0] >= w[1]),
        "revenue descending: {known:?}"
    );
    assert!(
        shown[known.len()..].iter().all(Option::is_none),
        "unknown revenue last: {shown:?}"
    );
    let mut api_revenue: Vec<f64> = items.iter().filter_map(|i| i["revenue"].as_f64()).collect();
    api_revenue.sort_by(|a, b| b.total_cmp(a));
    assert_eq!(known, api_revenue, "the column is the API's revenue");
    ui.screenshot("health-by-revenue").await;

    // Band and churn filters: the rows are the API's answer for the same parameters.
    ui.select("#health-band", "at_risk").await;
    ui.select("#health-churn", "50").await;
    let (_, filtered) = ui
        .runner
        .get("/v1/health-scores?band=at_risk&min_churn_risk=50&limit=200")
        .await
        .unwrap();
    let mut want: Vec<String> = filtered["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["client_id"].as_str().map(str::to_string))
        .collect();
    want.sort();
    eventually("the table shows the filtered clients", || async {
        let ids = ui
            .js(
                "return [...document.querySelectorAll('#health-table tbody tr[data-client]')].map((r) => r.dataset.client);",
                vec![],
            )
            .await;
        let mut ids: Vec<String> = serde_json::from_value(ids).unwrap_or_default();
        ids.sort();
        (ids == want).then_some(()).ok_or(format!("{ids:?} want {want:?}"))
    })
    .await;
    let hash = ui.js("return location.hash;", vec![]).await;
    assert_eq!(hash, "#/health/band=at_risk&min_churn_risk=50");
    ui.screenshot("health-filtered").await;

    // The overview's "clients at risk" opens the list it counts.
    ui.go("overview").await;
    let (_, overview) = ui.runner.get("/v1/overview").await.unwrap();
    ui.click("#overview-at-risk").await;
    eventually("the at-risk list has the overview's count", || async {
        let rows = ui.count("#health-table tbody tr[data-client]").await;
        let want = overview["clients_at_risk"].as_u64().unwrap_or(u64::MAX);
        (rows as u64 == want)
            .then_some(())
            .ok_or(format!("{rows} rows, want {want}"))
    })
    .await;
    ui.go("health").await;
}
