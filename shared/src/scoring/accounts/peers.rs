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

/// What one client with a linked Pax8 company holds: its seats and live products (name by id).
#[derive(Debug, Clone, PartialEq)]
pub struct ProductHolding {
    pub seats: f64,
    pub client_id: String,
    pub products: BTreeMap<String, String>,
}

impl ProductHolding {
    /// The holding of a client with a linked Pax8 company; `None` for any other.
    pub fn of(features: &ClientFeatures) -> Option<Self> {
        let subs = features.accounts.subscriptions.as_ref()?;
        Some(Self {
            // Seats that are no number count as none, so they still sort.
            seats: if subs.seats.is_finite() {
                subs.seats
            } else {
                0.0
            },
            client_id: features.client_id.as_str().to_owned(),
            products: subs.products.clone(),
        })
    }
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
        Self::from_holdings(features.iter().filter_map(ProductHolding::of).collect())
    }

    /// The peers of these holdings, in any order: a run that reads its clients a page at a time
    /// keeps only each page's holdings and builds the peers once every page is read.
    pub fn from_holdings(mut clients: Vec<ProductHolding>) -> Self {
        clients.sort_by(|a, b| {
            a.seats
                .total_cmp(&b.seats)
                .then(a.client_id.cmp(&b.client_id))
        });
        let mut peers = ProductPeers::default();
        for (at, holding) in clients.into_iter().enumerate() {
            let ProductHolding {
                seats,
                client_id,
                products,
            } = holding;
            peers.seats.push(seats);
            peers.position.insert(client_id, at);
            for (id, name) in products {
                peers.holders.entry(id.clone()).or_default().push(at);
                peers.names.entry(id).or_insert(name);
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
