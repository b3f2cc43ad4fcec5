//! NinjaOne: an `AccountsSource`. The HTTP client (OAuth2 client credentials on the tenant's
//! regional host, cached token, paced, retried, counted), the walk over organisations, devices,
//! health, antivirus, alerts, end users and tickets, the mapping into account records, webhook
//! registration and verification, and the factory that builds a connection's source.

pub mod client;
pub mod cursor;
pub mod error;
pub mod factory;
pub mod normalise;
pub mod reads;
pub mod settings;
pub mod source;
pub mod webhook;
pub mod wire;

pub use client::{ClientStats, NinjaClient};
pub use error::NinjaError;
pub use factory::NinjaoneSources;
pub use settings::{NinjaoneSettings, MAX_PAGE_SIZE, WEBHOOK_SECRET_HEADER};
pub use source::NinjaoneSource;
