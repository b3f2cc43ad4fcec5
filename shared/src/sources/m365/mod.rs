//! Microsoft 365: see `factory.rs` (a placeholder until the source is built).

mod factory;

pub use factory::M365Sources;
