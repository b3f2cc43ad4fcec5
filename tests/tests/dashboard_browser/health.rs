//! Health: every client in the table; sorting by overall puts the healthiest first.

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
}
