//! HubSpot's webhooks: the request signature (v1 and v3) and the delivery's event format. The
//! generic ingest (`crate::ingest`: tenant lookup, de-duplication, the sync plan) calls into these.

pub mod event;
pub mod signature;

pub use event::{parse_delivery, DeliveryError, WebhookEvent};
pub use signature::{SignatureError, SignatureHeaders, SignedRequest};
