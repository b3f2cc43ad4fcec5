//! Helpers for whole-system tests: an emulated Lambda Runtime API and the real function binaries
//! running under it.

pub mod functions;
pub mod local_runner;
pub mod runtime_api;
pub mod world;
