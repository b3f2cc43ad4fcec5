//! Keyboard only, no mouse: from the nav to the insights, act on the first open insight, and see it
//! leave the open list; the health page's search is reached and used the same way.

use super::harness::{eventually, Ui};
use fantoccini::key::Key;

pub async fn check(ui: &Ui) {
    // From a fresh load of the overview: focus starts at the top of the page.
    ui.go("overview").await;
    assert_eq!(ui.reload().await, "overview");
    ui.tab_to("#tab-insights", 40).await;
    ui.press(&[Key::Enter.into()]).await;
    eventually("Enter on the tab opens the insights", || async {
        let page = ui
            .js(
                "return document.getElementById('main').dataset.page || '';",
                vec![],
            )
            .await;
        (page == "insights" && ui.count(".insight[data-status=open]").await > 0)
            .then_some(())
            .ok_or(page.to_string())
    })
    .await;
    let first = ui
        .js(
            "return document.querySelector('#insights-list .insight[data-status=open]').dataset.id;",
            vec![],
        )
        .await;
    let id = first.as_str().unwrap_or_default().to_string();
    ui.tab_to(
        &format!("#insights-list .insight[data-id=\"{id}\"] .action-acknowledge"),
        80,
    )
    .await;
    ui.press(&[Key::Enter.into()]).await;
    eventually("the acknowledged insight leaves the open list", || async {
        let left = ui
            .count(&format!("#insights-list .insight[data-id=\"{id}\"]"))
            .await;
        (left == 0).then_some(()).ok_or(format!("{left} left"))
    })
    .await;
    let (_, insight) = ui.runner.get(&format!("/v1/insights/{id}")).await.unwrap();
    assert_eq!(insight["status"], "acknowledged", "{insight}");

    // Health: Tab to the search, type, and the table narrows to the API's answer.
    ui.go("health").await;
    ui.tab_to("#health-search", 60).await;
    let (_, all) = ui.runner.get("/v1/health-scores?limit=1").await.unwrap();
    let name = all["items"][0]["client_name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let fragment: String = name.chars().take(5).collect();
    for c in fragment.chars() {
        ui.press(&[c]).await;
    }
    let (_, expected) = ui
        .runner
        .get(&format!(
            "/v1/health-scores?limit=200&q={}",
            url::form_urlencoded::byte_serialize(fragment.as_bytes()).collect::<String>()
        ))
        .await
        .unwrap();
    let want = expected["items"].as_array().map(Vec::len).unwrap_or(0);
    assert!(want >= 1, "the API finds {name} by {fragment:?}");
    eventually("the table shows the search's clients", || async {
        let rows = ui.count("#health-table tbody tr[data-client]").await;
        (rows == want)
            .then_some(())
            .ok_or(format!("{rows} rows, want {want}"))
    })
    .await;
    ui.screenshot("health-search").await;
    // Clear the search again for the views after this one.
    ui.js(
        "const s = document.getElementById('health-search'); s.value = '';
         s.dispatchEvent(new Event('input')); return true;",
        vec![],
    )
    .await;
}
