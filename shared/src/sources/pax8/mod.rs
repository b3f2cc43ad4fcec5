//! Pax8: an `AccountsSource` over the partner API. The HTTP client (JSON client credentials with
//! the partner audience, a token cached for its 24 hours, paced, retried, counted), the walk over
//! companies, contacts, subscriptions and their history, the mapping into account records with
//! cloud-subscription signals, webhook registration and verification, and the factory.

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

pub use client::{ClientStats, Endpoints, Pax8Client};
pub use error::Pax8Error;
pub use factory::Pax8Sources;
pub use retry::RetryPolicy;
pub use source::Pax8Source;
