//! Connected Insights: the library the Lambda functions share.
//!
//! Layers, bottom up: `domain` (types) and `scoring` (pure rules, no I/O); `ports` (the traits handlers
//! use); adapters (`store`, `bus`, `vault`, and the data sources in `sources`), each with an AWS and an in-process
//! implementation; and the handlers each function runs.

pub mod alerts;
pub mod api;
pub mod aws;
pub mod bus;
pub mod channels;
pub mod config;
pub mod connector;
pub mod domain;
pub mod events;
pub mod handlers;
pub mod ingest;
pub mod matching;
pub mod objects;
pub mod portability;
pub mod ports;
pub mod scoring;
pub mod sources;
pub mod store;
pub mod vault;
pub mod wiring;
