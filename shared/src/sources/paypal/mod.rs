//! PayPal: the first `PaymentsSource`. The HTTP client (OAuth2 client credentials, cached token,
//! paced, retried, counted), the walk over Transaction Search, invoices, disputes and
//! subscriptions, the mapping of PayPal's records into payer records, webhook verification, and the
//! factory that builds a connection's source.

pub mod api;
pub mod client;
pub mod cursor;
pub mod error;
pub mod factory;
pub mod normalise;
pub mod retry;
pub mod source;
pub mod webhook;
pub mod wire;

pub use client::{ClientStats, PaypalClient};
pub use error::PaypalError;
pub use factory::PaypalSources;
pub use normalise::EmailHasher;
pub use retry::RetryPolicy;
pub use source::PaypalSource;
pub use webhook::{ParsedEvent, TransmissionHeaders, WebhookError};
