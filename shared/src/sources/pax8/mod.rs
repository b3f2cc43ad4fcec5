//! Pax8: see `factory.rs` (a placeholder until the source is built).

mod factory;

pub use factory::Pax8Sources;
