//! The Pax8 source against the Pax8 simulator (tools/pax8-sandbox): a full walk against the
//! simulator's ground truth, continuation by cursor, incremental walks, each failure mode, webhook
//! registration and verification, and secrets kept out of Debug.

#[path = "pax8_source/common.rs"]
mod common;
#[path = "pax8_source/failures.rs"]
mod failures;
#[path = "pax8_source/walk.rs"]
mod walk;
#[path = "pax8_source/webhooks.rs"]
mod webhooks;
