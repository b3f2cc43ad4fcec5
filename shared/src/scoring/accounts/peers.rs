//! What clients of similar size hold on Pax8, across the tenant: the yardstick of the product gap.

use crate::scoring::ClientFeatures;
use std::collections::BTreeMap;

/// Peers are clients whose seats are within this factor of the client's (half to twice).
pub const SIMILAR_SIZE_FACTOR: f64 = 2.0;

/// Each client's Pax8 seats and live products, for the clients with a linked Pax8 company.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProductPeers {
    /// (client id, seats, product ids), by client id.
    clients: Vec<(String, f64, Vec<String>)>,
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
        let mut peers = ProductPeers::default();
        for f in features {
            let Some(subs) = &f.accounts.subscriptions else {
                continue;
            };
            peers.clients.push((
                f.client_id.to_string(),
                subs.seats,
                subs.products.keys().cloned().collect(),
            ));
            for (id, name) in &subs.products {
                peers
                    .names
                    .entry(id.clone())
                    .or_insert_with(|| name.clone());
            }
        }
        peers.clients.sort_by(|a, b| a.0.cmp(&b.0));
        peers
    }

    /// The products at least `min_share` of the client's peers (other clients with seats within
    /// [`SIMILAR_SIZE_FACTOR`] of its own) hold and it lacks, when it has at least `min_peers`
    /// peers; most held first, then by name.
    pub fn gaps(&self, client_id: &str, min_share: f64, min_peers: u32) -> Vec<ProductGapFinding> {
        let Some((_, seats, own)) = self.clients.iter().find(|c| c.0 == client_id) else {
            return Vec::new();
        };
        if *seats <= 0.0 {
            return Vec::new();
        }
        let peers: Vec<&(String, f64, Vec<String>)> = self
            .clients
            .iter()
            .filter(|c| c.0 != client_id)
            .filter(|c| c.1 >= seats / SIMILAR_SIZE_FACTOR && c.1 <= seats * SIMILAR_SIZE_FACTOR)
            .collect();
        let count = u32::try_from(peers.len()).unwrap_or(u32::MAX);
        if count < min_peers.max(1) {
            return Vec::new();
        }
        let mut holders: BTreeMap<&str, u32> = BTreeMap::new();
        for peer in &peers {
            for product in &peer.2 {
                *holders.entry(product.as_str()).or_default() += 1;
            }
        }
        let mut gaps: Vec<ProductGapFinding> = holders
            .into_iter()
            .filter(|(product, held)| {
                !own.iter().any(|p| p == product)
                    && f64::from(*held) >= min_share * f64::from(count)
            })
            .map(|(product, held)| ProductGapFinding {
                product_id: product.to_owned(),
                product_name: self
                    .names
                    .get(product)
                    .cloned()
                    .unwrap_or_else(|| product.to_owned()),
                holders: held,
                peers: count,
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
