//! What a run keeps for "why it changed" and the overview's trends: history points with each
//! dimension's weight and factor points, and one tenant trend point per day of the `now` scored at.

use super::*;
use shared::scoring::attribution::explain_change;

#[tokio::test]
async fn a_run_writes_the_trend_point_of_its_day_and_history_that_explains_the_change() {
    let store = tenant_with(&[busy("busy"), dormant("dormant")]).await;
    let bus = InProcessBus::new();
    // A backfill scores past days with a pinned `now`: each writes its own day's point.
    let ten_days_ago = now() - Duration::days(10);
    handle_tenant_synced(&store, &bus, &synced(), ten_days_ago)
        .await
        .unwrap();
    let first = store
        .history(&tenant(), &id("busy"), ten_days_ago, ten_days_ago)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    let start = first[0].clone();
    // Every scored dimension is there with its weight, and the weights make the overall.
    let scored: Vec<_> = start.parts.iter().map(|p| p.dimension).collect();
    assert!(!scored.is_empty());
    let weights: f64 = start.parts.iter().map(|p| p.weight).sum();
    assert!((weights - 1.0).abs() < 1e-4, "weights add up to {weights}");
    let weighted: f64 = start
        .parts
        .iter()
        .map(|p| p.weight * f64::from(start.score_of(p.dimension).unwrap()))
        .sum();
    assert_eq!(weighted.round() as u8, start.overall);
    assert!(start.parts.iter().all(|p| !p.factors.is_empty()));

    // Later the busy client goes quiet; the same day is scored twice: the last run wins.
    store
        .put_snapshots(&tenant(), &[dormant("busy")])
        .await
        .unwrap();
    handle_tenant_synced(&store, &bus, &synced(), now() - Duration::hours(2))
        .await
        .unwrap();
    handle_tenant_synced(&store, &bus, &synced(), now())
        .await
        .unwrap();
    let trend = store
        .trend_points(&tenant(), ten_days_ago.date_naive(), now().date_naive())
        .await
        .unwrap();
    let days: Vec<_> = trend.iter().map(|p| p.day).collect();
    assert_eq!(days, [ten_days_ago.date_naive(), now().date_naive()]);
    assert_eq!(trend[1].at, now(), "the day's last run wins");
    let summary = assert_summary_is_live(&store).await;
    assert_eq!(trend[1].clients, summary.clients);
    assert_eq!(trend[1].average_health, summary.average_health());
    assert_eq!(trend[1].open_insights, summary.open_insights.total);
    assert_eq!(
        trend[0].clients_by_band.healthy
            + trend[0].clients_by_band.watch
            + trend[0].clients_by_band.at_risk
            + trend[0].clients_by_band.critical,
        2
    );

    // The history between the two explains the fall exactly, factor by factor.
    let end = store
        .history(&tenant(), &id("busy"), now() - Duration::hours(3), now())
        .await
        .unwrap()
        .pop()
        .expect("the fall wrote a point");
    let tenant_record = store.get_tenant(&tenant()).await.unwrap();
    let change = explain_change(&start, &end, &tenant_record.settings.weights);
    assert!(change.total < 0);
    assert!(!change.weights_estimated);
    let sum: i64 = change
        .lines
        .iter()
        .map(|l| (l.points * 100.0).round() as i64)
        .sum();
    assert_eq!(sum, i64::from(change.total) * 100);
    let crm = change
        .lines
        .iter()
        .find(|l| l.key == "crm")
        .expect("a crm line");
    assert!(crm
        .parts
        .iter()
        .any(|p| p.key == "activity_recency" && p.points < 0.0));
}
