//! The backfill on the in-memory store: a snapshot as of a past day, one history point per day per
//! client, a declining client going down, nothing made up left behind, and only once.

use super::*;
use shared::domain::{
    AuthKind, ClientId, CompanyActivity, Deal, Direction, Engagement, EngagementKind, Tenant,
    Ticket, TicketPriority,
};
use shared::ports::{InsightStore, TenantStore};

fn at(days_ago: f64, now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::milliseconds((days_ago * 86_400_000.0) as i64)
}

fn engagement(id: usize, occurred_at: DateTime<Utc>, direction: Direction) -> Engagement {
    Engagement {
        id: format!("e{id}"),
        kind: EngagementKind::Email,
        direction: Some(direction),
        occurred_at,
        completed: false,
        contact_ids: vec!["c1".to_owned()],
    }
}

fn snapshot(id: &str, engagements: Vec<Engagement>, tickets: Vec<Ticket>) -> ClientSnapshot {
    let last = engagements.iter().map(|e| e.occurred_at).max();
    ClientSnapshot {
        client_id: ClientId::parse(id).unwrap_or_else(|e| panic!("{e}")),
        name: format!("Client {id}"),
        domain: None,
        lifecycle_stage: Some("customer".to_owned()),
        activity: CompanyActivity {
            last_contacted: last,
            last_sales_activity: last,
            last_updated_notes: last,
        },
        reported_revenue: Some(10_000.0),
        contacts: vec![shared::domain::ContactSummary {
            id: "c1".to_owned(),
            lifecycle_stage: None,
            nps_rating: None,
        }],
        deals: Vec::new(),
        tickets,
        engagements,
        sources: vec!["hubspot".to_owned()],
        updated_at: last.unwrap_or(DateTime::UNIX_EPOCH),
        csm_sentiment: None,
    }
}

/// Emails back and forth every `every` days over `from..to` days ago.
fn emails(from: f64, to: f64, every: f64, now: DateTime<Utc>, first_id: usize) -> Vec<Engagement> {
    let mut out = Vec::new();
    let mut days = from;
    let mut id = first_id;
    while days > to {
        let direction = if id.is_multiple_of(2) {
            Direction::Outbound
        } else {
            Direction::Inbound
        };
        out.push(engagement(id, at(days, now), direction));
        id += 1;
        days -= every;
    }
    out
}

#[test]
fn a_snapshot_as_of_a_past_day_drops_what_came_later_and_reopens_what_closed_later() {
    let now = Utc::now();
    let day = at(30.0, now);
    let mut s = snapshot(
        "101",
        vec![
            engagement(1, at(40.0, now), Direction::Inbound),
            engagement(2, at(10.0, now), Direction::Outbound),
        ],
        vec![
            Ticket {
                id: "t-later".to_owned(),
                is_open: true,
                priority: Some(TicketPriority::Urgent),
                created_at: Some(at(5.0, now)),
                closed_at: None,
            },
            Ticket {
                id: "t-closed-later".to_owned(),
                is_open: false,
                priority: Some(TicketPriority::High),
                created_at: Some(at(50.0, now)),
                closed_at: Some(at(20.0, now)),
            },
            Ticket {
                id: "t-closed-before".to_owned(),
                is_open: false,
                priority: None,
                created_at: Some(at(60.0, now)),
                closed_at: Some(at(55.0, now)),
            },
        ],
    );
    s.deals = vec![
        Deal {
            id: "won-later".to_owned(),
            amount: Some(5_000.0),
            is_closed: true,
            is_closed_won: true,
            close_date: Some(at(3.0, now)),
            stage: None,
        },
        Deal {
            id: "lost-before".to_owned(),
            amount: Some(1_000.0),
            is_closed: true,
            is_closed_won: false,
            close_date: Some(at(45.0, now)),
            stage: None,
        },
    ];
    let then = as_of(&s, day);
    assert_eq!(
        then.engagements
            .iter()
            .map(|e| e.id.as_str())
            .collect::<Vec<_>>(),
        ["e1"]
    );
    let tickets: Vec<(&str, bool)> = then
        .tickets
        .iter()
        .map(|t| (t.id.as_str(), t.is_open))
        .collect();
    assert_eq!(
        tickets,
        [("t-closed-later", true), ("t-closed-before", false)]
    );
    assert_eq!(then.tickets[0].closed_at, None);
    let deals: Vec<(&str, bool, bool)> = then
        .deals
        .iter()
        .map(|d| (d.id.as_str(), d.is_closed, d.is_closed_won))
        .collect();
    assert_eq!(
        deals,
        [("won-later", false, false), ("lost-before", true, false)]
    );
    // HubSpot's dates were set 10 days ago; on the day, the last contact was the email of day 40.
    assert_eq!(then.activity.last_contacted, Some(at(40.0, now)));
    assert_eq!(then.activity.last_updated_notes, Some(at(40.0, now)));
    assert!(then.updated_at <= day);
    assert_eq!(as_of(&s, now), s, "today's snapshot is the snapshot");
}

async fn tenant_with(store: &MemoryStore, snapshots: &[ClientSnapshot]) -> TenantId {
    let id = TenantId::parse("backfill-test").unwrap_or_else(|e| panic!("{e}"));
    let tenant = Tenant::connected(
        id.clone(),
        "Backfill test".to_owned(),
        Some(7),
        "secret".to_owned(),
        AuthKind::PrivateApp,
        Utc::now() - Duration::days(400),
    );
    store
        .create_tenant(&tenant)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store
        .put_snapshots(&id, snapshots)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    id
}

#[tokio::test]
async fn every_past_day_gets_a_point_and_a_declining_client_goes_down() {
    let now = Utc::now();
    // Busy months ago, silent for the last 70 days.
    let declining = snapshot("201", emails(200.0, 70.0, 2.0, now, 0), Vec::new());
    // Quiet months ago, busy lately.
    let improving = snapshot("202", emails(40.0, 0.0, 1.5, now, 1_000), Vec::new());
    // The same pace all along.
    let steady = snapshot("203", emails(200.0, 0.0, 3.0, now, 2_000), Vec::new());
    let store = MemoryStore::new();
    let clients = [declining, improving, steady];
    let tenant = tenant_with(&store, &clients).await;

    let done = backfill(&store, &tenant, DAYS, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("a tenant never scored is backfilled"));
    assert_eq!((done.days, done.clients), (DAYS, 3));
    assert!(done.rows >= 3 * DAYS as usize, "{done:?}");

    let history = |client: &ClientSnapshot| {
        let store = &store;
        let tenant = &tenant;
        let client = client.client_id.clone();
        async move {
            store
                .history(tenant, &client, now - Duration::days(100), now)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
        }
    };
    for client in &clients {
        let points = history(client).await;
        assert_eq!(points.len(), DAYS as usize, "{}", client.client_id);
        // One a day, each at the day's time, all before today.
        for pair in points.windows(2) {
            assert_eq!(pair[1].at - pair[0].at, Duration::days(1));
        }
        assert_eq!(points[points.len() - 1].at, now - Duration::days(1));
    }
    let overall = |points: &[shared::domain::ScorePoint]| {
        (points[0].overall, points[points.len() - 1].overall)
    };
    let (first, last) = overall(&history(&clients[0]).await);
    assert!(last + 10 < first, "declining: {first} -> {last}");
    let (first, last) = overall(&history(&clients[1]).await);
    assert!(last > first + 10, "improving: {first} -> {last}");
    let (first, last) = overall(&history(&clients[2]).await);
    assert!(first.abs_diff(last) <= 5, "steady: {first} -> {last}");

    // The made-up snapshots stayed in the fork.
    let stored = every_page(|page| {
        let store = &store;
        let tenant = &tenant;
        async move { store.list_snapshots(tenant, &page).await }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stored, clients.to_vec());
    // The silent client's inactivity was found in the past, with the day it was.
    let insights = store
        .insights_for_clients(&tenant, &[clients[0].client_id.clone()])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        insights
            .iter()
            .any(|i| i.created_at < now - Duration::days(1)),
        "{insights:?}"
    );
    assert!(store.get_summary(&tenant).await.ok().flatten().is_some());

    // Once only: a second start finds the summary and leaves the history alone.
    assert_eq!(backfill(&store, &tenant, DAYS, now).await.ok(), Some(None));
    assert_eq!(history(&clients[0]).await.len(), DAYS as usize);
}

#[tokio::test]
async fn a_tenant_without_clients_has_nothing_to_backfill() {
    let store = MemoryStore::new();
    let tenant = tenant_with(&store, &[]).await;
    assert_eq!(
        backfill(&store, &tenant, DAYS, Utc::now()).await.ok(),
        Some(None)
    );
}
