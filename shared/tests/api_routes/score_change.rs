//! `GET /v1/clients/{id}/score-change`: the change between two dates, split into lines that add
//! up to it exactly.

use super::*;

/// A scored point of `client` `days_ago`, crm and usage with weights 0.6 / 0.4, each dimension's
/// factors as given (its score their rounded sum).
fn scored_point(
    client: &str,
    days_ago: i64,
    crm: &[(&str, f64)],
    usage: &[(&str, f64)],
) -> ScorePoint {
    let dimension = |dimension, weight, factors: &[(&str, f64)]| {
        let sum: f64 = factors.iter().map(|(_, p)| p).sum();
        DimensionScore {
            dimension,
            score: Some(sum.round() as u8),
            weight,
            factors: factors
                .iter()
                .map(|(name, points)| Factor {
                    source: shared::domain::Platform::Hubspot,
                    name: (*name).to_owned(),
                    value: None,
                    points: *points,
                    explanation: String::new(),
                })
                .collect(),
        }
    };
    let dims = vec![
        dimension(Dimension::Crm, 0.6, crm),
        dimension(Dimension::Usage, 0.4, usage),
    ];
    let overall: f64 = dims
        .iter()
        .map(|d| d.weight * f64::from(d.score.unwrap()))
        .sum();
    let mut score = score(client, overall.round() as u8, 20);
    score.dimensions = dims;
    score.scored_at = now() - Duration::days(days_ago);
    score.point()
}

fn hundredths(value: &Value) -> i64 {
    (value.as_f64().expect("points are numbers") * 100.0).round() as i64
}

/// The lines add up to the total, and each line's parts to the line.
fn assert_adds_up(change: &Value) {
    let lines = change["lines"].as_array().expect("lines");
    let sum: i64 = lines.iter().map(|l| hundredths(&l["points"])).sum();
    assert_eq!(sum, change["total"].as_i64().unwrap() * 100, "{change:#}");
    for line in lines.iter().filter(|l| l["kind"] != "rounding") {
        let parts: i64 = line["parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| hundredths(&p["points"]))
            .sum();
        assert_eq!(parts, hundredths(&line["points"]), "{line:#}");
    }
}

#[tokio::test]
async fn a_change_between_two_dates_splits_into_dimension_and_factor_lines_that_add_up() {
    let api = TestApi::new();
    seed(&api).await;
    let a = tenant_id(TENANT_A);
    api.store
        .append_history(
            &a,
            &[
                scored_point(
                    "c-watch",
                    10,
                    &[("recency", 50.0), ("stage", 30.0)],
                    &[("adoption", 61.0)],
                ),
                scored_point(
                    "c-watch",
                    5,
                    &[("recency", 40.0), ("stage", 30.0)],
                    &[("adoption", 61.0)],
                ),
                scored_point(
                    "c-watch",
                    2,
                    &[("recency", 12.5), ("stage", 30.0)],
                    &[("adoption", 55.0)],
                ),
            ],
            400,
        )
        .await
        .unwrap();
    let from = (now() - Duration::days(10)).format("%Y-%m-%d");
    let to = (now() - Duration::days(2)).format("%Y-%m-%d");
    let reply = api
        .get(&format!(
            "/v1/clients/c-watch/score-change?from={from}&to={to}"
        ))
        .await
        .ok();
    let change = &reply["change"];
    assert_adds_up(change);
    // 0.6*80 + 0.4*61 = 72.4 (72) -> 0.6*43 + 0.4*55 = 47.8 (48).
    assert_eq!(change["start"]["overall"], 72);
    assert_eq!(change["end"]["overall"], 48);
    assert_eq!(change["total"], -24);
    assert_eq!(change["weights_estimated"], false);
    let lines = change["lines"].as_array().unwrap();
    let keys: Vec<&str> = lines.iter().map(|l| l["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["crm", "usage", "rounding"]);
    // crm 80 -> 43 (42.5 rounds up) at 0.6: -22.2; recency moved 37.5 points at 0.6: -22.5, and
    // the dimension's own rounding is the remainder.
    assert_eq!(lines[0]["points"], -22.2);
    assert_eq!(lines[0]["parts"][0]["key"], "recency");
    assert_eq!(lines[0]["parts"][0]["points"], -22.5);
    assert_eq!(lines[0]["parts"][0]["before"], 50.0);
    assert_eq!(lines[0]["parts"][0]["after"], 12.5);
    assert_eq!(lines[0]["parts"][1]["key"], "remainder");
    assert_eq!(lines[0]["parts"][1]["points"], 0.3);
    assert_eq!(lines[1]["points"], -2.4);
    assert_eq!(lines[2]["points"], 0.6);
    assert_eq!(reply["client_id"], "c-watch");
}

#[tokio::test]
async fn by_default_the_last_30_days_end_at_the_current_score() {
    let api = TestApi::new();
    seed(&api).await;
    let reply = api.get("/v1/clients/c-critical/score-change").await.ok();
    let change = &reply["change"];
    assert_adds_up(change);
    // The point 20 days ago (25, before weights were kept) to the current score (10).
    assert_eq!(change["start"]["overall"], 25);
    assert_eq!(change["end"]["overall"], 10);
    assert_eq!(change["total"], -15);
    assert_eq!(change["weights_estimated"], true);
    // Payment and support gained data: the re-weighting line.
    let reweighting = change["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == "reweighting")
        .expect("a re-weighting line");
    let dims: Vec<&str> = reweighting["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    assert_eq!(dims, ["crm", "payment", "usage", "support"]);
}

#[tokio::test]
async fn bad_dates_unknown_clients_and_other_tenants_are_refused() {
    let api = TestApi::new();
    seed(&api).await;
    let bad = api
        .get("/v1/clients/c-watch/score-change?from=yesterday")
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json()["parameter"], "from");
    let reversed = api
        .get("/v1/clients/c-watch/score-change?from=2026-11-20&to=2026-11-01")
        .await;
    assert_eq!(reversed.status, StatusCode::BAD_REQUEST);
    let unknown = api.get("/v1/clients/c-nobody/score-change").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let other = api
        .call(
            "GET",
            "/v1/clients/c-watch/score-change",
            Some(TENANT_B),
            None,
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
}
