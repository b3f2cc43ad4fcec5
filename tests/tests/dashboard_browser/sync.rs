//! The sync button: it starts a run; the status line changes at once and ends on the new run.

use super::harness::{eventually, Ui};
use fantoccini::Locator;

pub async fn check(ui: &Ui) {
    // The demo's other connections sync at start too: wait until no run is going, so the line can
    // change.
    let before = eventually("no sync is running", || async {
        let line = ui.text("#sync-status").await?;
        (!line.contains("running"))
            .then_some(line.clone())
            .ok_or(line)
    })
    .await;
    let (_, runs) = ui.runner.get("/v1/sync-runs?limit=1").await.unwrap();
    let previous_run = runs["items"][0]["sync_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    ui.click("#sync-button").await;
    let during = ui.text("#sync-status").await.unwrap();
    assert_ne!(during, before, "pressing sync changes the status line");
    let new_run = eventually("a new sync run is recorded", || async {
        let (_, runs) = ui.runner.get("/v1/sync-runs?limit=1").await?;
        let id = runs["items"][0]["sync_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        (id != previous_run && !id.is_empty())
            .then_some(id)
            .ok_or("no new run".to_string())
    })
    .await;
    let shown = eventually("the status line reports the new run's end", || async {
        let element = ui
            .client
            .find(Locator::Css("#sync-status"))
            .await
            .map_err(|e| e.to_string())?;
        let run = element
            .attr("data-sync-id")
            .await
            .map_err(|e| e.to_string())?;
        let status = element
            .attr("data-status")
            .await
            .map_err(|e| e.to_string())?;
        let text = element.text().await.map_err(|e| e.to_string())?;
        (run.as_deref() == Some(new_run.as_str()) && status.as_deref() == Some("succeeded"))
            .then_some(text.clone())
            .ok_or(format!("{run:?} {status:?} {text}"))
    })
    .await;
    assert!(shown.starts_with("Last sync succeeded"), "{shown}");
    ui.screenshot("after-sync").await;
}
