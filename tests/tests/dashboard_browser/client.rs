//! The client page, opened from the health table: four dimensions with their factors, the history
//! chart, open insights.

use super::harness::{eventually, Ui};

pub async fn check(ui: &Ui) {
    ui.go("health").await;
    ui.click("#health-table tbody tr th a").await;
    eventually("the client page shows four dimensions", || async {
        let dims = ui.all("#client-page .dim").await?;
        (dims.len() == 4)
            .then_some(())
            .ok_or(format!("{} dimensions", dims.len()))
    })
    .await;
    let factor_rows = ui.all("#client-page .dim .factors tbody tr").await.unwrap();
    assert!(!factor_rows.is_empty(), "the dimensions list their factors");
    // The demo backfills 90 days of history, so the history is a line (client_page checks the rest).
    assert!(
        !ui.all("#client-page svg.chart").await.unwrap().is_empty(),
        "the score history is drawn"
    );
    ui.screenshot("client").await;
}
