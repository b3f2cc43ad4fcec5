//! Pax8's hosts, paths and documented constants, in one place (SOURCES.md §3).

/// The partner API's host; paths below carry their version (`/v1`, `/api/v2`).
pub const API_BASE_URL: &str = "https://api.pax8.com";

/// The token endpoint. UNCONFIRMED: the spec's OAuth2 `tokenUrl` is this host, while the same spec
/// documents the operation as `POST https://api.pax8.com/v1/token` ([`ALTERNATE_TOKEN_URL`]). The
/// factory's `with_token_url` switches; with a base-URL override (a simulator) the token path is
/// [`TOKEN_PATH`] on that host.
pub const TOKEN_URL: &str = "https://token-manager.pax8.com/oauth/token";
pub const ALTERNATE_TOKEN_URL: &str = "https://api.pax8.com/v1/token";
pub const TOKEN_PATH: &str = "/oauth/token";

/// "The audience should be set to `https://api.pax8.com` for the partner endpoints."
pub const PARTNER_AUDIENCE: &str = "https://api.pax8.com";

pub const COMPANIES: &str = "/v1/companies";
pub const SUBSCRIPTIONS: &str = "/v1/subscriptions";
pub const WEBHOOKS: &str = "/api/v2/webhooks";

/// The largest page Pax8 serves (`size` 1-200).
pub const PAGE_SIZE: u32 = 200;

/// The webhook topic of subscription events (completed line items). UNCONFIRMED: the topic names
/// are served at runtime by `GET /api/v2/webhooks/topic-definitions`; Pax8's examples spell topics
/// in capitals (`INVOICE`, `PRODUCT`).
pub const SUBSCRIPTION_TOPIC: &str = "SUBSCRIPTION";

pub fn company(id: &str) -> String {
    format!("{COMPANIES}/{}", encode(id))
}

pub fn contacts(company_id: &str) -> String {
    format!("{COMPANIES}/{}/contacts", encode(company_id))
}

pub fn history(subscription_id: &str) -> String {
    format!("{SUBSCRIPTIONS}/{}/history", encode(subscription_id))
}

pub fn webhook(id: &str) -> String {
    format!("{WEBHOOKS}/{}", encode(id))
}

/// Ids come from Pax8 (UUIDs) or a webhook body: a path segment never carries more than its id.
fn encode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}

/// `page` and `size` of a listing.
pub fn page_query(page: u32) -> Vec<(&'static str, String)> {
    vec![("page", page.to_string()), ("size", PAGE_SIZE.to_string())]
}
