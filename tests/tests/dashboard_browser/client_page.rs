//! The client 360 page as a customer-success manager checks it: factors in words whose Points column
//! is whole at 1,400 and at 400 px, evidence in words, the HubSpot link, the history (a line, or a
//! sentence for a single score), the CRM records, and a "why it changed" waterfall whose steps, as
//! shown, add up to the end score minus the start score.

use super::harness::{eventually, Ui, NARROW, WIDE};
use serde_json::{json, Value};

/// The client the demo scored lowest: the one a manager opens first, with insights and history.
async fn least_healthy_client(ui: &Ui) -> String {
    let (_, page) = ui
        .runner
        .get("/v1/health-scores?limit=1&sort=overall_asc")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    page["items"][0]["client_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no scored client: {page}"))
        .to_string()
}

/// Every Points cell of every factor table lies inside its dimension's panel, whole: no column cut
/// off, no text clipped inside its cell. Returns the offending cells, described.
async fn clipped_points(ui: &Ui) -> Vec<String> {
    let found = ui
        .js(
            "const bad = [];
             for (const table of document.querySelectorAll('#client-page .dim table.factors')) {
               const panel = table.closest('.dim').getBoundingClientRect();
               for (const cell of table.querySelectorAll('tr > :last-child')) {
                 const r = cell.getBoundingClientRect();
                 if (r.width === 0 || r.right > panel.right + 0.5 || r.left < panel.left - 0.5
                     || cell.scrollWidth > cell.clientWidth + 1) {
                   bad.push(table.closest('.dim').dataset.dimension + ': ' + cell.textContent.trim()
                     + ' [' + Math.round(r.left) + '..' + Math.round(r.right) + ' in '
                     + Math.round(panel.left) + '..' + Math.round(panel.right) + ']');
                 }
               }
             }
             return bad;",
            vec![],
        )
        .await;
    found
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The waterfall's table as shown: start, end, and each step's points read from its text.
async fn shown_change(ui: &Ui) -> Value {
    ui.js(
        "const table = document.getElementById('change-table');
         if (!table) return null;
         const read = (text) => parseFloat(text.trim().replace('\\u2212', '-').replace('+', ''));
         const steps = [...table.querySelectorAll('tbody tr.step')].map((row) =>
           [row.querySelector('th').textContent, read(row.querySelector('td').textContent)]);
         return { start: read(table.querySelector('tr.start td').textContent),
                  end: read(table.querySelector('tr.end td').textContent),
                  steps, bars: document.querySelectorAll('#client-change svg.waterfall rect').length };",
        vec![],
    )
    .await
}

fn assert_adds_up(change: &Value, what: &str) {
    let start = change["start"].as_f64().expect("a start score");
    let end = change["end"].as_f64().expect("an end score");
    let steps = change["steps"].as_array().expect("steps");
    // Added in hundredths, as shown (two decimals): exact.
    let sum: i64 = steps
        .iter()
        .map(|s| (s[1].as_f64().expect("a number") * 100.0).round() as i64)
        .sum();
    assert_eq!(
        sum,
        ((end - start) * 100.0).round() as i64,
        "{what}: the steps shown add up to the end minus the start: {change}"
    );
    for step in steps {
        let label = step[0].as_str().unwrap_or_default();
        assert!(
            !label.is_empty() && !label.contains('_'),
            "{what}: a step reads in words: {label:?}"
        );
    }
    if !steps.is_empty() {
        // A bar for the start, each step and the end.
        assert_eq!(
            change["bars"].as_u64(),
            Some(steps.len() as u64 + 2),
            "{what}: one bar per step"
        );
    }
}

pub async fn check(ui: &Ui) {
    let id = least_healthy_client(ui).await;
    let (_, detail) = ui
        .runner
        .get(&format!("/v1/clients/{id}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    ui.go(&format!("client/{id}")).await;
    eventually("the client page shows four dimensions", || async {
        let dims = ui.all("#client-page .dim").await?;
        (dims.len() == 4)
            .then_some(())
            .ok_or(format!("{} dimensions", dims.len()))
    })
    .await;

    // Factors in words, as the API words them.
    let labels = ui
        .js(
            "return [...document.querySelectorAll('#client-page .dim .factors tbody tr')]
               .map((row) => [row.querySelector('strong').textContent,
                              row.children[1].textContent]);",
            vec![],
        )
        .await;
    let labels = labels.as_array().expect("factor rows");
    assert!(!labels.is_empty(), "the dimensions list their factors");
    for row in labels {
        let (label, value) = (row[0].as_str().unwrap(), row[1].as_str().unwrap());
        assert!(!label.contains('_'), "a factor label in words: {label}");
        assert!(!value.is_empty(), "{label} shows its value");
    }
    let recency = &detail["dimensions"][0]["factors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "activity_recency")
        .cloned()
        .unwrap_or(Value::Null);
    if let Some(text) = recency["value_text"].as_str() {
        let shown = ui
            .text("#client-page .dim[data-dimension='crm'] tr[data-factor='activity_recency'] td:nth-child(2)")
            .await
            .unwrap();
        assert_eq!(shown, text);
        assert!(text == "no data" || text.ends_with(" days") || text.ends_with(" day"));
    }

    // Evidence in words; an upside never reads "at stake".
    for item in ui.all("#client-insights .evidence-words li").await.unwrap() {
        let text = item.prop("textContent").await.unwrap().unwrap_or_default();
        assert!(!text.contains('_'), "evidence in words: {text}");
    }
    for insight in detail["open_insights"].as_array().unwrap() {
        if insight["type"] == "upsell_opportunity" && insight["revenue_text"].is_string() {
            assert!(
                insight["revenue_text"]
                    .as_str()
                    .unwrap()
                    .ends_with(" upside"),
                "{insight}"
            );
        }
    }

    // The HubSpot link opens the company on the portal's host.
    let href = ui
        .client
        .find(fantoccini::Locator::Css("#client-hubspot-link"))
        .await
        .expect("a link to the company in HubSpot")
        .attr("href")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(
        href.starts_with("https://app.hubspot.com/contacts/")
            || href.starts_with("https://app-eu1.hubspot.com/contacts/"),
        "{href}"
    );
    assert!(href.ends_with(&format!("/company/{id}")), "{href}");

    // History: a line over the points with its table, or a sentence for a single score.
    let points = detail["history"].as_array().map_or(0, Vec::len);
    if points >= 2 {
        assert_eq!(
            ui.count("#client-page svg.chart").await,
            1,
            "the history is drawn"
        );
        assert_eq!(
            ui.count("#client-page details table tbody tr").await,
            points,
            "the history's text alternative lists every point"
        );
    } else {
        assert_eq!(
            ui.count("#client-page svg.chart").await,
            0,
            "one dot is not drawn"
        );
        let note = ui.text("#client-history-note").await.unwrap();
        assert!(
            note.starts_with("One score so far") || note.starts_with("No history"),
            "{note}"
        );
    }

    // The CRM records the API returned are on the page.
    for (css, key) in [
        ("#client-contacts tbody tr", "contacts"),
        ("#client-deals tbody tr", "open_deals"),
        ("#client-tickets tbody tr", "open_tickets"),
        ("#client-interactions li", "recent_interactions"),
    ] {
        assert_eq!(
            ui.count(css).await,
            detail[key].as_array().map_or(0, Vec::len),
            "{key} listed"
        );
    }

    // Why it changed: the default range (30 days), then the widest range the history allows.
    let default = eventually("the waterfall is explained", || async {
        let change = shown_change(ui).await;
        (!change.is_null())
            .then_some(change)
            .ok_or("no change table yet".to_string())
    })
    .await;
    assert_adds_up(&default, "30 days");
    ui.js(
        "document.getElementById('change-from').value = arguments[0]; return true;",
        vec![json!((chrono::Utc::now() - chrono::Duration::days(89))
            .format("%Y-%m-%d")
            .to_string())],
    )
    .await;
    ui.click("#change-explain").await;
    let wide = eventually("the waterfall explains 89 days", || async {
        let change = shown_change(ui).await;
        let summary = ui.text("#change-summary").await.unwrap_or_default();
        (!change.is_null() && summary.starts_with("From"))
            .then_some(change)
            .ok_or(summary)
    })
    .await;
    assert_adds_up(&wide, "89 days");

    // The Points column is whole at both widths.
    let bad = clipped_points(ui).await;
    assert!(bad.is_empty(), "Points cut off at 1,400 px: {bad:?}");
    ui.screenshot("client-360-1400").await;
    ui.set_size(NARROW).await;
    eventually("the layout settles at 400 px", || async {
        let bad = clipped_points(ui).await;
        bad.is_empty().then_some(()).ok_or(format!("{bad:?}"))
    })
    .await;
    ui.screenshot("client-360-400").await;
    ui.set_size(WIDE).await;
}
