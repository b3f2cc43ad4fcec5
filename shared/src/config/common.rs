//! The variables several functions read: where their data and events go, and where callers reach us.

/// The DynamoDB table (sync, score, api, ingest).
pub const TABLE_NAME: &str = "TABLE_NAME";
/// The EventBridge bus (sync, score, api, ingest).
pub const EVENT_BUS_NAME: &str = "EVENT_BUS_NAME";
/// The export bucket (score writes archives, api links to them). Unset: exports are unavailable.
pub const EXPORT_BUCKET_NAME: &str = "EXPORT_BUCKET_NAME";
/// Where callers and HubSpot reach the API and the webhook (api, ingest).
pub const PUBLIC_BASE_URL: &str = "PUBLIC_BASE_URL";
