//! Shared setup of the write-back tests: a sandbox portal, the OAuth tenant `acme` with write-back on,
//! its HubSpot write-back built the way `notify` builds it, and scores and insights of the portal's
//! companies written straight into the store (what scoring would have written).
#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use hubspot_sandbox::{Sandbox, SandboxConfig, SandboxRecord};
use shared::domain::{
    ClientId, ConfidenceBand, HealthBand, HealthScore, Impact, Insight, InsightId, InsightRule,
    InsightStatus, Tenant, Trend, WritebackSettings,
};
use shared::handlers::writeback::{write_back_scores, WritebackError, WritebackReport};
use shared::ports::writeback::CrmWriteback;
use shared::ports::{InsightStore, ScoreStore};
use shared::sources::hubspot::{
    HubSpotClient, HubSpotSources, HubSpotWriteback, HubSpotWritebacks, RetryPolicy,
};
use shared::store::MemoryStore;
use shared::vault::InProcessVault;
use std::sync::Arc;
use test_support::fixtures::{fast_retry, oauth_tenant, sandbox_oauth_client};

pub struct Portal {
    pub sandbox: Sandbox,
    pub store: Arc<MemoryStore>,
    pub vault: Arc<InProcessVault>,
    pub tenant: Tenant,
}

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
}

/// A sandbox of `companies` companies and the tenant `acme` on it, write-back (and tasks) enabled.
pub async fn portal(companies: usize) -> Portal {
    let sandbox = Sandbox::start(SandboxConfig {
        companies,
        ..SandboxConfig::small(11)
    })
    .await
    .expect("the sandbox starts");
    let store = Arc::new(MemoryStore::new());
    let vault = Arc::new(InProcessVault::new());
    let mut tenant = oauth_tenant(&sandbox, &store, &vault, 1800).await;
    tenant.writeback = WritebackSettings {
        enabled: true,
        create_tasks: true,
    };
    Portal {
        sandbox,
        store,
        vault,
        tenant,
    }
}

impl Portal {
    pub fn writebacks(&self) -> HubSpotWritebacks<MemoryStore> {
        self.writebacks_retrying(fast_retry())
    }

    pub fn writebacks_retrying(&self, retry: RetryPolicy) -> HubSpotWritebacks<MemoryStore> {
        let http = HubSpotClient::default_http().expect("an HTTP client");
        let sources = HubSpotSources::new(
            http,
            self.sandbox.base_url(),
            Some(sandbox_oauth_client(
                &self.sandbox.base_url(),
                self.sandbox.authorize_url_base(),
                retry,
            )),
            self.vault.clone(),
            self.store.clone(),
        )
        .with_retry(retry);
        HubSpotWritebacks::new(sources)
    }

    /// The tenant's HubSpot write-back, as `notify` builds it.
    pub async fn crm(&self) -> HubSpotWriteback {
        self.writebacks()
            .writeback_for(&self.tenant)
            .await
            .expect("the write-back is built")
    }

    pub async fn run(&self, crm: &dyn CrmWriteback) -> Result<WritebackReport, WritebackError> {
        write_back_scores(self.store.as_ref(), crm, &self.tenant, now()).await
    }

    pub fn companies(&self) -> Vec<SandboxRecord> {
        self.sandbox.records("companies")
    }

    pub fn company(&self, id: &str) -> SandboxRecord {
        self.companies()
            .into_iter()
            .find(|c| c.id == id)
            .expect("the company exists")
    }

    /// Scores every company of the portal: overall `base + i % 60`, churn `100 - overall`.
    pub async fn score_all(&self, base: u8) -> Vec<HealthScore> {
        let scores: Vec<HealthScore> = self
            .companies()
            .iter()
            .enumerate()
            .map(|(i, c)| score(&c.id, base + (i % 60) as u8))
            .collect();
        self.store
            .put_scores(&self.tenant.id, &scores)
            .await
            .expect("scores are stored");
        scores
    }

    pub async fn put_score(&self, score: HealthScore) {
        self.store
            .put_scores(&self.tenant.id, &[score])
            .await
            .expect("the score is stored");
    }

    pub async fn put_insight(&self, insight: &Insight) {
        self.store
            .put_insights(&self.tenant.id, std::slice::from_ref(insight))
            .await
            .expect("the insight is stored");
    }

    /// Requests the sandbox received on `route` since the last reset.
    pub fn calls(&self, route: &str) -> u64 {
        self.sandbox
            .stats()
            .by_route
            .get(route)
            .copied()
            .unwrap_or_default()
    }
}

pub fn score(company_id: &str, overall: u8) -> HealthScore {
    HealthScore {
        segment: None,
        settings_version: 0,
        sources: Default::default(),
        client_id: ClientId::parse(company_id).unwrap(),
        client_name: format!("Company {company_id}"),
        overall,
        band: HealthBand::of(overall),
        churn_risk: 100 - overall,
        dimensions: vec![],
        trend: Trend {
            delta_7d: None,
            delta_30d: None,
        },
        scored_at: now() - Duration::minutes(5),
        overrides: Vec::new(),
    }
}

pub fn insight(company_id: &str, impact: Impact, title: &str) -> Insight {
    let rule = InsightRule::InactiveClient;
    Insight {
        sources: Default::default(),
        id: InsightId::parse(format!("acme.{company_id}.{}", rule.as_str())).unwrap(),
        tenant_id: shared::domain::TenantId::parse("acme").unwrap(),
        client_id: ClientId::parse(company_id).unwrap(),
        client_name: format!("Company {company_id}"),
        insight_type: rule.insight_type(),
        rule,
        title: title.into(),
        description: "No contact in 45 days.".into(),
        explanation: "The last call, email or meeting was 45 days ago.".into(),
        confidence: 90,
        confidence_band: ConfidenceBand::of(90),
        impact,
        revenue_at_stake: None,
        recommendations: vec!["Call the champion this week.".into()],
        evidence: vec![],
        status: InsightStatus::Open,
        created_at: now() - Duration::hours(1),
        updated_at: now() - Duration::hours(1),
        status_changed_at: None,
        status_changed_by: None,
        status_reason: None,
        snoozed_until: None,
        revenue_upside: None,
        version: 0,
    }
}
