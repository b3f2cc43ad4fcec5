//! Triage (issue 16): an overview number opens the list it counts; the list comes in the API's triage
//! order with the API's total; the sort control changes the order; two insights selected by keyboard
//! are acknowledged in bulk with a reason; one is snoozed until a date and leaves the open list.
//! Wired in `dashboard_browser.rs` with `mod triage;` and `triage::check(&ui).await;` (after the
//! overview, before `insights`, which dismisses one).

use super::harness::{eventually, Ui};
use serde_json::{json, Value};

/// The ids of the cards shown, in order.
async fn shown_ids(ui: &Ui) -> Vec<String> {
    let ids = ui
        .js(
            "return [...document.querySelectorAll('#insights-list .insight')].map(e => e.dataset.id);",
            vec![],
        )
        .await;
    serde_json::from_value(ids).unwrap_or_default()
}

fn api_ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["id"].as_str().map(str::to_string))
        .collect()
}

pub async fn check(ui: &Ui) {
    // The overview's "Open insights" card is a link to the open list, whose total it equals.
    ui.go("overview").await;
    let (_, overview) = ui.runner.get("/v1/overview").await.unwrap();
    ui.click("#overview-open-insights").await;
    let total = eventually("the open list says its total", || async {
        let total = ui
            .js(
                "const c = document.getElementById('insights-count'); return c ? (c.dataset.total || '') : '';",
                vec![],
            )
            .await;
        let total = total.as_str().unwrap_or_default().to_string();
        (!total.is_empty()).then_some(total).ok_or("no total yet".to_string())
    })
    .await;
    assert_eq!(total, overview["open_insights"].to_string());
    let hash = ui.js("return location.hash;", vec![]).await;
    assert_eq!(hash, json!("#/insights/status=open"));

    // Triage order: exactly the API's default order, critical first.
    let (_, expected) = ui
        .runner
        .get("/v1/insights?status=open&limit=50")
        .await
        .unwrap();
    let expected_ids = api_ids(&expected);
    eventually("the list shows the API's triage order", || async {
        let ids = shown_ids(ui).await;
        (ids == expected_ids)
            .then_some(())
            .ok_or(format!("{ids:?}"))
    })
    .await;
    let ranks: Vec<u8> = expected["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| match i["impact"].as_str() {
            Some("critical") => 3,
            Some("high") => 2,
            Some("medium") => 1,
            _ => 0,
        })
        .collect();
    assert!(
        ranks.windows(2).all(|w| w[0] >= w[1]),
        "impact first: {ranks:?}"
    );
    ui.screenshot("insights-triage").await;

    // The sort control: by confidence, as the API sorts it.
    ui.select("#insights-sort", "confidence").await;
    let (_, by_confidence) = ui
        .runner
        .get("/v1/insights?status=open&sort=confidence&limit=50")
        .await
        .unwrap();
    let by_confidence = api_ids(&by_confidence);
    eventually("the list follows the sort", || async {
        let ids = shown_ids(ui).await;
        (ids == by_confidence)
            .then_some(())
            .ok_or(format!("{ids:?}"))
    })
    .await;
    ui.select("#insights-sort", "impact").await;
    eventually("back in triage order", || async {
        let ids = shown_ids(ui).await;
        (ids == expected_ids)
            .then_some(())
            .ok_or(format!("{ids:?}"))
    })
    .await;

    // Bulk, by keyboard: select the first two cards (Space on their checkboxes), give a reason, and
    // acknowledge them with the toolbar's button.
    let chosen: Vec<String> = expected_ids.iter().take(2).cloned().collect();
    assert_eq!(chosen.len(), 2, "the demo has at least two open insights");
    for id in &chosen {
        ui.tab_to(&format!("[id=\"select-{id}\"]"), 200).await;
        ui.press(&[' ']).await;
    }
    let selected = ui.text("#bulk-count").await.unwrap();
    assert!(selected.starts_with("2 selected"), "{selected}");
    ui.type_into("#bulk-reason", "Renewal call booked").await;
    ui.tab_to("#bulk-acknowledge", 40).await;
    ui.press(&[fantoccini::key::Key::Enter.into()]).await;
    eventually("the acknowledged insights leave the open list", || async {
        let ids = shown_ids(ui).await;
        chosen
            .iter()
            .all(|id| !ids.contains(id))
            .then_some(())
            .ok_or(format!("{ids:?}"))
    })
    .await;
    for id in &chosen {
        let (_, insight) = ui.runner.get(&format!("/v1/insights/{id}")).await.unwrap();
        assert_eq!(insight["status"], "acknowledged", "{insight}");
        assert_eq!(insight["status_reason"], "Renewal call booked", "{insight}");
    }
    let outcome = ui.text("#bulk-outcome").await.unwrap();
    assert!(outcome.starts_with("2 done"), "{outcome}");
    ui.screenshot("insights-after-bulk").await;

    // Snooze the next one until a date: it leaves the open list and the API says until when.
    let snoozed = shown_ids(ui)
        .await
        .first()
        .cloned()
        .expect("one more open insight");
    let card = format!("#insights-list .insight[data-id=\"{snoozed}\"]");
    ui.click(&format!("{card} .action-snooze")).await;
    ui.click(&format!("{card} .action-snooze-confirm")).await;
    eventually("the snoozed insight leaves the open list", || async {
        let ids = shown_ids(ui).await;
        (!ids.contains(&snoozed))
            .then_some(())
            .ok_or(format!("{ids:?}"))
    })
    .await;
    let (_, insight) = ui
        .runner
        .get(&format!("/v1/insights/{snoozed}"))
        .await
        .unwrap();
    assert_eq!(insight["status"], "snoozed", "{insight}");
    assert!(insight["snoozed_until"].is_string(), "{insight}");
    ui.select("#filter-status", "snoozed").await;
    eventually("the snoozed list shows it", || async {
        let ids = shown_ids(ui).await;
        (ids == vec![snoozed.clone()])
            .then_some(())
            .ok_or(format!("{ids:?}"))
    })
    .await;
    super::a11y::assert_no_serious_violations(ui, "insights, snoozed list").await;
    ui.select("#filter-status", "open").await;
}
