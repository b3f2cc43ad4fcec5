//! Insights: filtering by impact shows exactly the API's answer; dismissing one takes it off the open
//! list and the API says who dismissed it.

use super::harness::{eventually, Ui};

pub async fn check(ui: &Ui) {
    ui.click("#tab-insights").await;
    eventually("insights are listed", || async {
        let cards = ui.all("#insights-list .insight").await?;
        (!cards.is_empty())
            .then_some(())
            .ok_or("none yet".to_string())
    })
    .await;
    let (_, open) = ui
        .runner
        .get("/v1/insights?status=open&limit=1")
        .await
        .unwrap();
    let impact = open["items"][0]["impact"]
        .as_str()
        .unwrap_or_else(|| panic!("no open insight: {open}"))
        .to_string();
    let (_, expected) = ui
        .runner
        .get(&format!(
            "/v1/insights?status=open&impact={impact}&limit=50"
        ))
        .await
        .unwrap();
    let mut expected_ids: Vec<String> = expected["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["id"].as_str().map(str::to_string))
        .collect();
    expected_ids.sort();
    ui.select("#filter-impact", &impact).await;
    let shown_ids = eventually("the list shows the filtered insights", || async {
        let mut ids = Vec::new();
        for card in ui.all("#insights-list .insight").await? {
            let class = card.attr("class").await.map_err(|e| e.to_string())?;
            if !class
                .unwrap_or_default()
                .contains(&format!("impact-{impact}-edge"))
            {
                return Err("a card of another impact is still shown".to_string());
            }
            ids.extend(card.attr("data-id").await.map_err(|e| e.to_string())?);
        }
        ids.sort();
        (ids == expected_ids)
            .then_some(ids.clone())
            .ok_or(format!("{ids:?}"))
    })
    .await;
    ui.screenshot("insights-filtered").await;

    // Dismiss the first one: it leaves the open list, and the API says it is dismissed.
    let dismissed_id = shown_ids[0].clone();
    ui.click(&format!(
        "#insights-list .insight[data-id=\"{dismissed_id}\"] .action-dismiss"
    ))
    .await;
    eventually("the dismissed insight leaves the open list", || async {
        let still = ui
            .all(&format!(
                "#insights-list .insight[data-id=\"{dismissed_id}\"]"
            ))
            .await?;
        still
            .is_empty()
            .then_some(())
            .ok_or("still shown".to_string())
    })
    .await;
    let (_, insight) = ui
        .runner
        .get(&format!("/v1/insights/{dismissed_id}"))
        .await
        .unwrap();
    assert_eq!(insight["status"], "dismissed", "{insight}");
    assert_eq!(insight["status_changed_by"], "local-user", "{insight}");
    ui.screenshot("insights-after-dismiss").await;
}
