//! What this source assumes about NinjaOne where SOURCES.md §2 marks a fact unconfirmed: each is a
//! setting with a documented default, changeable per factory (`NinjaoneSources::with_settings`).

use std::time::Duration;

/// Header carrying the connection's webhook secret on NinjaOne's deliveries: NinjaOne signs nothing,
/// so the webhook is registered with this custom header (`PUT /v2/webhook` `headers[]`).
pub const WEBHOOK_SECRET_HEADER: &str = "X-Connected-Insights-Secret";

/// The largest `pageSize` NinjaOne documents (activities: 10-1000); CIPP pages organisations with it.
pub const MAX_PAGE_SIZE: usize = 1_000;

#[derive(Debug, Clone, PartialEq)]
pub struct NinjaoneSettings {
    /// Token endpoint path. CIPP uses `/ws/oauth/token`, the homotechsual module `/oauth/token`:
    /// unconfirmed which is right, so the first by default.
    pub token_path: String,
    /// Scopes asked for. Which scope each endpoint needs (ticketing) is unconfirmed; CIPP asks
    /// `monitoring management`.
    pub scope: String,
    /// Put before every API path: the spec's paths are `/v2/...` (empty), CIPP calls `/api/v2/...`
    /// (`/api`). Unconfirmed.
    pub api_prefix: String,
    /// The organisation custom field holding the client's HubSpot company id.
    pub reference_field: String,
    /// An organisation tag `<prefix><id>` holding the HubSpot company id.
    pub reference_tag_prefix: String,
    /// Organisations read whole per step of a walk (their devices, health, antivirus and alerts).
    pub orgs_per_step: usize,
    /// `pageSize` of device lists, cursor queries and ticket board runs (capped at [`MAX_PAGE_SIZE`]).
    pub page_size: usize,
    /// Tickets created this long ago or later are kept, besides open ones.
    pub ticket_window: Duration,
    /// Requests per second a connection sends at most. NinjaOne publishes no rate limit
    /// (unconfirmed): a pace that stays clear of a modest limit; 429s are honoured besides.
    pub requests_per_second: Option<u32>,
}

impl Default for NinjaoneSettings {
    fn default() -> Self {
        NinjaoneSettings {
            token_path: "/ws/oauth/token".to_owned(),
            scope: "monitoring management".to_owned(),
            api_prefix: String::new(),
            reference_field: "hubspot_company_id".to_owned(),
            reference_tag_prefix: "hubspot:".to_owned(),
            orgs_per_step: 200,
            page_size: MAX_PAGE_SIZE,
            ticket_window: Duration::from_secs(90 * 86_400),
            requests_per_second: Some(10),
        }
    }
}

impl NinjaoneSettings {
    pub(crate) fn page_size(&self) -> usize {
        self.page_size.clamp(1, MAX_PAGE_SIZE)
    }

    pub(crate) fn orgs_per_step(&self) -> usize {
        self.orgs_per_step.clamp(1, MAX_PAGE_SIZE)
    }
}
