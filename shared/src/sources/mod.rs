//! The data sources: one folder per platform, each owning its client, auth, wire types,
//! normalisation, webhook verification and the factory that builds it from configuration.
//! The connector engine sees them only through the source ports.

pub mod http_retry;
pub mod hubspot;
pub mod m365;
pub mod ninjaone;
pub mod pax8;
pub mod paypal;
pub mod token_slot;
