//! Scores a generated tenant of 10,000 clients with 300,000 engagements. Target: the whole tenant
//! in under 0.5 s on one core. Prints clients per second and engagements folded per second, then
//! lets criterion measure the same run.

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use shared::domain::{
    ClientId, ClientSnapshot, CompanyActivity, ContactSummary, Deal, Direction, Engagement,
    EngagementKind, ScorePoint, ScoringSettings, TenantId, Ticket, TicketPriority,
};
use shared::scoring::score_tenant;
use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

const CLIENTS: usize = 10_000;
const ENGAGEMENTS: usize = 300_000;

/// SplitMix64: a tiny deterministic generator, so every run scores the same tenant.
struct Generator(u64);

impl Generator {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn days_ago(&mut self, now: DateTime<Utc>, max_days: i64) -> DateTime<Utc> {
        let minutes = self.below((max_days * 1_440) as u64) as i64;
        now - Duration::minutes(minutes)
    }
}

struct Tenant {
    snapshots: Vec<ClientSnapshot>,
    histories: HashMap<ClientId, Vec<ScorePoint>>,
}

fn generate(now: DateTime<Utc>) -> Tenant {
    let mut g = Generator(42);
    let stages = [
        "customer",
        "evangelist",
        "opportunity",
        "lead",
        "subscriber",
        "salesqualifiedlead",
    ];
    let mut snapshots = Vec::with_capacity(CLIENTS);
    let mut histories = HashMap::with_capacity(CLIENTS);
    for i in 0..CLIENTS {
        let client_id = ClientId::parse(format!("company-{i}")).unwrap_or_else(|e| panic!("{e}"));
        let contacts: Vec<ContactSummary> = (0..1 + g.below(8))
            .map(|c| ContactSummary {
                id: format!("{i}-{c}"),
                lifecycle_stage: None,
                nps_rating: None,
            })
            .collect();
        // Clients differ in how busy they are; the total stays exactly ENGAGEMENTS.
        let count = ENGAGEMENTS / CLIENTS - 20 + (i % 41);
        let count = if i + 1 == CLIENTS {
            ENGAGEMENTS
                - snapshots
                    .iter()
                    .map(|s: &ClientSnapshot| s.engagements.len())
                    .sum::<usize>()
        } else {
            count
        };
        let recency_days = 1 + g.below(180) as i64;
        let engagements = (0..count)
            .map(|e| {
                let kind = match g.below(10) {
                    0..=3 => EngagementKind::Email,
                    4..=5 => EngagementKind::Call,
                    6..=7 => EngagementKind::Meeting,
                    8 => EngagementKind::Note,
                    _ => EngagementKind::Task,
                };
                let direction = match kind {
                    EngagementKind::Email | EngagementKind::Call => Some(if g.chance(60) {
                        Direction::Outbound
                    } else {
                        Direction::Inbound
                    }),
                    _ => None,
                };
                let contact = &contacts[g.below(contacts.len() as u64) as usize];
                Engagement {
                    id: format!("{i}-e{e}"),
                    kind,
                    direction,
                    occurred_at: g.days_ago(now - Duration::days(recency_days), 365),
                    completed: g.chance(70),
                    contact_ids: vec![contact.id.clone()],
                }
            })
            .collect();
        let deals = (0..g.below(6))
            .map(|d| {
                let closed = g.chance(70);
                Deal {
                    id: format!("{i}-d{d}"),
                    amount: g.chance(90).then(|| (g.below(200_000) as f64) / 3.0),
                    is_closed: closed,
                    is_closed_won: closed && g.chance(65),
                    close_date: closed.then(|| g.days_ago(now, 900)),
                    stage: None,
                }
            })
            .collect();
        let tickets = (0..g.below(5))
            .map(|t| {
                let open = g.chance(30);
                let created = g.days_ago(now, 400);
                Ticket {
                    id: format!("{i}-t{t}"),
                    is_open: open,
                    priority: match g.below(5) {
                        0 => None,
                        1 => Some(TicketPriority::Low),
                        2 => Some(TicketPriority::Medium),
                        3 => Some(TicketPriority::High),
                        _ => Some(TicketPriority::Urgent),
                    },
                    created_at: Some(created),
                    closed_at: (!open).then(|| created + Duration::hours(g.below(400) as i64)),
                }
            })
            .collect();
        let history = (1..=3)
            .map(|week| ScorePoint {
                settings_version: 0,
                as_scored: None,
                client_id: client_id.clone(),
                at: now - Duration::days(7 * week) - Duration::hours(g.below(12) as i64),
                overall: g.below(101) as u8,
                churn_risk: g.below(101) as u8,
                crm: None,
                payment: None,
                usage: None,
                support: None,
                parts: Vec::new(),
                overrides: Vec::new(),
            })
            .collect();
        histories.insert(client_id.clone(), history);
        snapshots.push(ClientSnapshot {
            client_id,
            name: format!("Company {i}"),
            domain: Some(format!("company-{i}.example")),
            lifecycle_stage: Some(stages[g.below(stages.len() as u64) as usize].to_owned()),
            activity: CompanyActivity {
                last_contacted: g.chance(50).then(|| g.days_ago(now, 200)),
                last_sales_activity: g.chance(50).then(|| g.days_ago(now, 200)),
                last_updated_notes: None,
            },
            reported_revenue: g.chance(30).then(|| g.below(500_000) as f64),
            contacts,
            deals,
            tickets,
            engagements,
            sources: vec!["hubspot".to_owned()],
            updated_at: now,
            csm_sentiment: None,
        });
    }
    Tenant {
        snapshots,
        histories,
    }
}

fn scoring(c: &mut Criterion) {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 26, 12, 0, 0)
        .single()
        .unwrap_or_default();
    let tenant_id = TenantId::parse("bench-tenant").unwrap_or_else(|e| panic!("{e}"));
    let settings = ScoringSettings::default();
    let tenant = generate(now);
    let engagements: usize = tenant.snapshots.iter().map(|s| s.engagements.len()).sum();

    let mut runs = Vec::new();
    let mut insights = 0;
    for _ in 0..5 {
        let started = Instant::now();
        let result = score_tenant(
            &tenant_id,
            black_box(&tenant.snapshots),
            &tenant.histories,
            &settings,
            now,
        );
        runs.push(started.elapsed());
        insights = result.insights.len();
    }
    runs.sort();
    let median = runs[runs.len() / 2].as_secs_f64();
    println!(
        "score_tenant: {} clients, {engagements} engagements, {insights} insights in {:.1} ms \
         (median of {}): {:.0} clients/s, {:.0} engagements folded/s",
        tenant.snapshots.len(),
        median * 1_000.0,
        runs.len(),
        tenant.snapshots.len() as f64 / median,
        engagements as f64 / median,
    );

    let mut group = c.benchmark_group("scoring");
    group.sample_size(10);
    group.throughput(Throughput::Elements(tenant.snapshots.len() as u64));
    group.bench_function("score_tenant_10k_clients_300k_engagements", |b| {
        b.iter(|| {
            score_tenant(
                &tenant_id,
                black_box(&tenant.snapshots),
                &tenant.histories,
                &settings,
                now,
            )
        })
    });
    group.finish();
}

criterion_group!(benches, scoring);
criterion_main!(benches);
