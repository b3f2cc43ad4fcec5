//! Ports: the small traits handlers use to reach the world. Each has an AWS adapter and an in-process
//! adapter, and one conformance suite runs against both.

pub mod bus;
pub mod store;
pub mod vault;

pub use bus::{BusError, EventBus};
pub use store::*;
pub use vault::{SecretVault, VaultError};
