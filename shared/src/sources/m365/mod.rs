//! Microsoft 365 through Microsoft Graph (SOURCES.md §4): a multi-tenant app consented by each
//! customer's admin, read per customer tenant with a client-credentials token: the organization
//! (name, verified domains), `subscribedSkus` (licences), Intune serials and, once a day, the usage
//! reports (daily counts, app use), paced under 14 report requests per 10 minutes per tenant.

pub mod client;
pub mod clock;
pub mod consent;
mod factory;
pub mod normalise;
pub mod pacing;
pub mod source;
pub mod wire;

pub use client::{GraphClient, RetryPolicy};
pub use clock::{system_clock, PacingClock, SystemClock};
pub use consent::{admin_consent_url, parse_consent_callback, ConsentCallback, ConsentError};
pub use factory::M365Sources;
pub use pacing::ReportPacing;
pub use source::{report_period, M365Source};
