//! The simulator itself: its token endpoint, paging, listings, webhooks, failure modes and the
//! ground truth it generates.

#[path = "api/common.rs"]
mod common;
#[path = "api/faults.rs"]
mod faults;
#[path = "api/generation.rs"]
mod generation;
#[path = "api/partner.rs"]
mod partner;
#[path = "api/token.rs"]
mod token;
#[path = "api/webhooks.rs"]
mod webhooks;
