//! Data portability: the export bucket's port on both adapters (one conformance suite, S3 on moto's
//! server from `AWS_ENDPOINT_URL_S3`), the export handler, the export API, and the round trip
//! (export tenant A, import into an empty tenant B, export B: the same data).

mod api_support;
mod scoring_support;

#[path = "portability/objects.rs"]
mod objects;

#[path = "portability/fixtures.rs"]
mod fixtures;

#[path = "portability/handler.rs"]
mod handler;

#[path = "portability/round_trip.rs"]
mod round_trip;

#[path = "portability/api.rs"]
mod api;

#[path = "portability/scale.rs"]
mod scale;
