//! Overview: opened from the URL the runner printed; the token leaves the address bar; the cards say
//! what the API says.

use super::harness::{eventually, Ui};

pub async fn check(ui: &Ui) {
    ui.client.goto(&ui.runner.dashboard_url).await.unwrap();
    eventually("the overview shows every client", || async {
        let shown = ui.text("#overview-clients").await?;
        (shown == ui.companies.to_string())
            .then_some(())
            .ok_or(shown)
    })
    .await;
    let address = ui.client.current_url().await.unwrap();
    assert!(
        !address.as_str().contains("token"),
        "the token is taken out of the address bar: {address}"
    );
    let (_, overview) = ui.runner.get("/v1/overview").await.unwrap();
    assert_eq!(
        ui.text("#overview-at-risk").await.unwrap(),
        overview["clients_at_risk"].to_string()
    );
    ui.screenshot("overview").await;
}
