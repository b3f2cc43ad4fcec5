//! The Syncs page: every run the API lists, with its counts, and the status filter's effect.

use super::harness::{eventually, Ui};

pub async fn check(ui: &Ui) {
    ui.go("syncs").await;
    let (_, runs) = ui.runner.get("/v1/sync-runs?limit=50").await.unwrap();
    let listed = runs["items"].as_array().map_or(0, Vec::len);
    let rows = ui.all("#syncs-table tbody tr").await.unwrap();
    assert_eq!(rows.len(), listed, "one row per run");
    assert!(listed > 0, "the demo has synced");
    let records = ui
        .text("#syncs-table tbody tr:first-child td:nth-child(7)")
        .await
        .unwrap();
    assert_ne!(records, "—", "the newest run shows what it fetched");
    ui.screenshot("syncs").await;

    ui.select("#sync-status-filter", "succeeded").await;
    eventually("only succeeded runs are left", || async {
        let statuses = ui
            .js(
                "return [...document.querySelectorAll('#syncs-table tbody tr td:nth-child(5)')] \
                 .map((td) => td.textContent);",
                vec![],
            )
            .await;
        let statuses: Vec<String> = serde_json::from_value(statuses).map_err(|e| e.to_string())?;
        if !statuses.is_empty() && statuses.iter().all(|s| s == "succeeded") {
            Ok(())
        } else {
            Err(format!("{statuses:?}"))
        }
    })
    .await;
    ui.select("#sync-status-filter", "").await;
}
