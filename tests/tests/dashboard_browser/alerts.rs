//! Alerts: a rule with a webhook channel on this machine is created from the form and listed; its
//! signing secret is shown once, and the API keeps the URL to itself.

use super::harness::{eventually, Ui};

pub async fn check(ui: &Ui) {
    let hook_url = "http://127.0.0.1:9/alerts/browser-walk-hook";
    eventually("the alerts page opens", || async {
        ui.click("#tab-alerts").await;
        ui.all("#alert-rule-form #rule-name")
            .await?
            .first()
            .map(|_| ())
            .ok_or("no form yet".to_string())
    })
    .await;
    ui.type_into("#rule-name", "Browser walk rule").await;
    ui.select("#channel-kind-0", "webhook").await;
    ui.type_into("#channel-url-0", hook_url).await;
    ui.click("#alert-rule-form button[type=submit]").await;
    let secret = eventually("the signing secret is shown once", || async {
        match ui.text("#signing-secrets code.signing-secret").await {
            Ok(secret) if secret.starts_with("whsec_") => Ok(secret),
            // Say what the form said, if it refused.
            other => Err(format!(
                "{other:?}; the form says: {:?}",
                ui.text("#rule-message").await
            )),
        }
    })
    .await;
    eventually("the new rule is listed", || async {
        let rows = ui.all("#alert-rules-table tbody tr[data-rule]").await?;
        let mut names = Vec::new();
        for row in rows {
            names.push(row.text().await.map_err(|e| e.to_string())?);
        }
        names
            .iter()
            .any(|n| n.contains("Browser walk rule") && n.contains("Webhook: 127.0.0.1"))
            .then_some(())
            .ok_or(format!("{names:?}"))
    })
    .await;
    let (_, rules) = ui.runner.get("/v1/alert-rules").await.unwrap();
    let listed = rules.to_string();
    assert!(listed.contains("Browser walk rule"), "{listed}");
    assert!(
        !listed.contains("browser-walk-hook"),
        "the URL stays secret: {listed}"
    );
    assert!(
        !listed.contains(&secret),
        "the signing secret is shown only once"
    );
    ui.screenshot("alerts").await;
}
