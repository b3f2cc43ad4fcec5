//! What clients of similar size hold on Pax8, across the tenant: the yardstick of the product gap.

use crate::scoring::ClientFeatures;
use std::collections::BTreeMap;

/// Peers are clients whose seats are within this factor of the client's (half to twice).
pub const SIMILAR_SIZE_FACTOR: f64 = 2.0;

/// Each client's Pax8 seats and live products, for the clients with a linked Pax8 company, kept so
/// that a client's peers and what they hold are found in O(products x log clients).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProductPeers {
    /// Seats, ascending (ties by client id): position i is the i-th client in this order.
    seats: Vec<f64>,
    /// Position of each client in `seats`, by client id.
    position: BTreeMap<String, usize>,
    /// The positions of the clients holding each product, ascending, by product id.
    holders: BTreeMap<String, Vec<usize>>,
    /// Product names by id.
    names: BTreeMap<String, String>,
}

/// A product most of a client's peers hold and the client lacks.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductGapFinding {
    pub product_id: String,
    pub product_name: String,
    /// Peers holding it, out of `peers`.
    pub holders: u32,
    pub peers: u32,
}

impl ProductPeers {
    pub fn from_features(features: &[ClientFeatures]) -> Self {
        let mut clients: Vec<(f64, &str, &BTreeMap<String, String>)> = features
            .iter()
            .filter_map(|f| {
                let subs = f.accounts.subscriptions.as_ref()?;
                let seats = if subs.seats.is_finite() {
                    subs.seats
                } else {
                    0.0
                };
                Some((seats, f.client_id.as_str(), &subs.products))
            })
            .collect();
        clients.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
        let mut peers = ProductPeers::default();
        for (at, (seats, client, products)) in clients.into_iter().enumerate() {
            peers.seats.push(seats);
            peers.position.insert(client.to_owned(), at);
            for (id, name) in products {
                peers.holders.entry(id.clone()).or_default().push(at);
                peers
                    .names
                    .entry(id.clone())
                    .or_insert_with(|| name.clone());
            }
        }
        peers
    }

    /// The products at least `min_share` of the client's peers (other clients with seats within
    /// [`SIMILAR_SIZE_FACTOR`] of its own) hold and it lacks, when it has at least `min_peers`
    /// peers; most held first, then by name.
    pub fn gaps(&self, client_id: &str, min_share: f64, min_peers: u32) -> Vec<ProductGapFinding> {
        let Some(&own) = self.position.get(client_id) else {
            return Vec::new();
        };
        let seats = self.seats[own];
        if seats <= 0.0 {
            return Vec::new();
        }
        let low = self
            .seats
            .partition_point(|s| *s < seats / SIMILAR_SIZE_FACTOR);
        let high = self
            .seats
            .partition_point(|s| *s <= seats * SIMILAR_SIZE_FACTOR);
        // The client itself is in its own range.
        let count = u32::try_from(high - low - 1).unwrap_or(u32::MAX);
        if count < min_peers.max(1) {
            return Vec::new();
        }
        let mut gaps: Vec<ProductGapFinding> = self
            .holders
            .iter()
            .filter(|(_, at)| at.binary_search(&own).is_err())
            .filter_map(|(product, at)| {
                let held = at.partition_point(|p| *p < high) - at.partition_point(|p| *p < low);
                let held = u32::try_from(held).unwrap_or(u32::MAX);
                (held > 0 && f64::from(held) >= min_share * f64::from(count)).then(|| {
                    ProductGapFinding {
                        product_id: product.clone(),
                        product_name: self.names.get(product).cloned().unwrap_or_default(),
                        holders: held,
                        peers: count,
                    }
                })
            })
            .collect();
        gaps.sort_by(|a, b| {
            b.holders
                .cmp(&a.holders)
                .then(a.product_name.cmp(&b.product_name))
        });
        gaps
    }
}
