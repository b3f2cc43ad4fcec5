//! The Settings page: a refused change is named beside its field, and the preview's band changes
//! add up to the count it announces.

use super::harness::{eventually, Ui};

async fn set_value(ui: &Ui, id: &str, value: &str) {
    ui.js(
        "const el = document.getElementById(arguments[0]); el.value = arguments[1]; \
         el.dispatchEvent(new Event('input', { bubbles: true })); return null;",
        vec![id.into(), value.into()],
    )
    .await;
}

pub async fn check(ui: &Ui) {
    ui.go("settings").await;
    let crm = ui
        .js(
            "return document.getElementById('setting-weights-crm').value;",
            vec![],
        )
        .await;
    let crm = crm.as_str().unwrap_or("0.3").to_owned();
    let (_, before) = ui.runner.get("/v1/settings").await.unwrap();
    // Weights that add up to more than 1: the server refuses, the message sits by the weights.
    set_value(ui, "setting-weights-crm", "0.9").await;
    let sum = ui.text("#weights-sum").await.unwrap();
    assert!(sum.contains("must add up to 1"), "{sum}");
    ui.click("#settings-preview").await;
    eventually("the weights' error is shown beside them", || async {
        let text = ui
            .text("#settings-error-weights")
            .await
            .map_err(|e| e.to_string())?;
        if text.contains("add up to 1") {
            Ok(())
        } else {
            Err(text)
        }
    })
    .await;
    ui.screenshot("settings-refused").await;

    // Back to valid weights: the preview lists the moves, which add up to the count it gives.
    set_value(ui, "setting-weights-crm", &crm).await;
    set_value(ui, "setting-thresholds-inactive-days", "7").await;
    ui.click("#settings-preview").await;
    let summary = eventually("the preview answers", || async {
        ui.text("#preview-summary").await.map_err(|e| e.to_string())
    })
    .await;
    let moved: u64 = ui
        .js(
            "return [...document.querySelectorAll('#preview-moves tbody tr td:last-child')] \
             .reduce((n, td) => n + Number(td.textContent), 0);",
            vec![],
        )
        .await
        .as_u64()
        .unwrap_or(0);
    if moved == 0 {
        assert!(summary.starts_with("No client"), "{summary}");
    } else {
        assert!(
            summary.starts_with(&format!("{moved} of ")),
            "{summary} vs {moved}"
        );
    }
    ui.screenshot("settings-preview").await;

    // The churn outcome definition: its signals are switches, all on by default, and a horizon
    // outside 30 to 365 days is refused beside its field.
    let switches = ui
        .js(
            "return [...document.querySelectorAll('#settings-group-outcomes input[type=checkbox]')] \
             .map((el) => el.checked);",
            vec![],
        )
        .await;
    assert_eq!(
        switches,
        serde_json::json!([true, true, true, true]),
        "{switches}"
    );
    set_value(ui, "setting-outcomes-horizon-days", "7").await;
    ui.click("#settings-preview").await;
    eventually("the horizon's error is shown beside it", || async {
        let text = ui
            .text("#setting-outcomes-horizon-days-error")
            .await
            .map_err(|e| e.to_string())?;
        if text.contains("30 to 365") {
            Ok(())
        } else {
            Err(text)
        }
    })
    .await;
    set_value(ui, "setting-outcomes-horizon-days", "90").await;
    super::a11y::assert_no_serious_violations(ui, "settings after preview").await;
    // Nothing was saved: the API still has the settings as they were.
    let (_, after) = ui.runner.get("/v1/settings").await.unwrap();
    assert_eq!(after["settings"], before["settings"]);
    assert_eq!(after["version"], before["version"]);
}
