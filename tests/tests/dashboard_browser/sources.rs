//! Sources and Matches: the PayPal simulator's connection is listed beside the portal, the account
//! platforms can be connected from the same page; a payer waiting for review is confirmed from its
//! evidence, and the API says so.

use super::harness::{eventually, Ui};

pub async fn check(ui: &Ui) {
    eventually("the PayPal connection is listed", || async {
        ui.click("#tab-sources").await;
        let rows = ui
            .all("#connections-table tr[data-connection^='paypal-']")
            .await?;
        let forms = ui.all("#ninjaone-form, #pax8-form, #m365-form").await?;
        (rows.len() == 1 && forms.len() == 3)
            .then_some(())
            .ok_or(format!(
                "{} PayPal rows, {} account forms",
                rows.len(),
                forms.len()
            ))
    })
    .await;
    ui.screenshot("sources").await;

    let (_, queue) = ui
        .runner
        .get("/v1/correlations?status=needs_review&limit=50")
        .await
        .unwrap();
    // The simulator's payers on a company's domain without its id wait for a person.
    let first = queue["items"]
        .as_array()
        .and_then(|i| i.first())
        .cloned()
        .unwrap_or_else(|| panic!("the demo has matches to review: {queue}"));
    let external = first["external_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let connection = first["connection_id"].as_str().unwrap_or_default();
    let client_id = first["client_id"].as_str().unwrap_or_default();
    // A record may wait with several candidate clients: the card of this one candidate.
    let card = format!(
        "#matches-list article[data-connection-id='{connection}'][data-external-id='{external}'][data-client-id='{client_id}']"
    );
    eventually("the review queue shows the API's first match", || async {
        ui.click("#tab-matches").await;
        ui.all(&card)
            .await?
            .first()
            .map(|_| ())
            .ok_or("not yet".to_string())
    })
    .await;
    ui.screenshot("matches").await;
    ui.click(&format!("{card} button.primary")).await;
    eventually("the confirmed match leaves the queue", || async {
        let left = ui.all(&card).await?;
        left.is_empty()
            .then_some(())
            .ok_or("still shown".to_string())
    })
    .await;
    let (_, all_rows) = ui.runner.get("/v1/correlations?limit=200").await.unwrap();
    let decided = all_rows["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["external_id"] == external.as_str() && c["client_id"] == first["client_id"])
        .cloned()
        .unwrap_or_default();
    assert_eq!(decided["status"], "confirmed", "{decided}");
}
