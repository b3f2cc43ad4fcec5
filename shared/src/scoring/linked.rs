//! The records of other platforms linked to a client through its correlations: what the engine reads
//! beside the client's CRM snapshot.

use crate::domain::{
    AccountRecord, ClientId, Correlation, MatchMethod, PayerRecord, Platform, SourceRef,
};
use std::collections::HashMap;

/// How a linked record was matched to its client.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecordMatch {
    pub platform: Platform,
    pub method: MatchMethod,
    /// The correlation's confidence, 0-1.
    pub confidence: f64,
}

impl RecordMatch {
    pub fn of(correlation: &Correlation) -> Self {
        Self {
            platform: correlation.platform,
            method: correlation.method,
            confidence: correlation.confidence,
        }
    }

    /// The match's confidence as a weight 0..=1; anything unusable (NaN) weighs nothing.
    pub fn weight(&self) -> f64 {
        if self.confidence.is_finite() {
            self.confidence.clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    pub fn source(&self) -> SourceRef {
        SourceRef {
            platform: self.platform,
            matched_by: Some(self.method),
            match_confidence: Some((self.weight() * 100.0).round() / 100.0),
        }
    }
}

/// One payer record linked to a client, with its match.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkedPayer {
    pub link: RecordMatch,
    pub payer: PayerRecord,
}

/// One account record (a NinjaOne organisation, a Pax8 company, a Microsoft 365 tenant) linked to a
/// client, with its match.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkedAccount {
    pub link: RecordMatch,
    pub account: AccountRecord,
}

/// Everything linked to one client; empty for a client known to its CRM only.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LinkedRecords {
    /// In (connection, external id) order, so the same links always give the same output.
    pub payers: Vec<LinkedPayer>,
    /// In (connection, external id) order, like `payers`.
    pub accounts: Vec<LinkedAccount>,
    /// The users' overrides of the client (any, expired ones included: scoring keeps those in force
    /// at its `now`). Not a linked record, so `is_empty` leaves them out.
    pub overrides: Vec<crate::domain::ClientOverride>,
}

impl LinkedRecords {
    pub fn is_empty(&self) -> bool {
        self.payers.is_empty() && self.accounts.is_empty()
    }

    /// The linked accounts of one platform.
    pub fn accounts_of(&self, platform: Platform) -> impl Iterator<Item = &LinkedAccount> {
        self.accounts
            .iter()
            .filter(move |a| a.account.platform == platform)
    }

    pub fn push_account(&mut self, link: RecordMatch, account: AccountRecord) {
        self.accounts.push(LinkedAccount { link, account });
        self.accounts.sort_by(|a, b| {
            (
                a.account.connection_id.as_str(),
                a.account.external_id.as_str(),
            )
                .cmp(&(
                    b.account.connection_id.as_str(),
                    b.account.external_id.as_str(),
                ))
        });
    }

    pub fn push(&mut self, link: RecordMatch, payer: PayerRecord) {
        self.payers.push(LinkedPayer { link, payer });
        self.payers.sort_by(|a, b| {
            (a.payer.connection_id.as_str(), a.payer.external_id.as_str())
                .cmp(&(b.payer.connection_id.as_str(), b.payer.external_id.as_str()))
        });
    }
}

/// Joins correlations to payer and account records: each client gets the records its linked (auto
/// or confirmed) correlations point at. Correlations waiting for review or rejected link nothing; a
/// correlation whose record is missing is skipped.
pub fn link_records(
    correlations: &[Correlation],
    payers: &[PayerRecord],
    accounts: &[AccountRecord],
) -> HashMap<ClientId, LinkedRecords> {
    let payers_by_key: HashMap<(&str, &str), &PayerRecord> = payers
        .iter()
        .map(|p| ((p.connection_id.as_str(), p.external_id.as_str()), p))
        .collect();
    let accounts_by_key: HashMap<(&str, &str), &AccountRecord> = accounts
        .iter()
        .map(|a| ((a.connection_id.as_str(), a.external_id.as_str()), a))
        .collect();
    let mut linked: HashMap<ClientId, LinkedRecords> = HashMap::new();
    for correlation in correlations.iter().filter(|c| c.status.is_linked()) {
        let key = (
            correlation.connection_id.as_str(),
            correlation.external_id.as_str(),
        );
        if let Some(payer) = payers_by_key.get(&key) {
            let records = linked.entry(correlation.client_id.clone()).or_default();
            let already = records
                .payers
                .iter()
                .any(|p| (p.payer.connection_id.as_str(), p.payer.external_id.as_str()) == key);
            if !already {
                records.push(RecordMatch::of(correlation), (*payer).clone());
            }
        } else if let Some(account) = accounts_by_key.get(&key) {
            let records = linked.entry(correlation.client_id.clone()).or_default();
            let already = records.accounts.iter().any(|a| {
                (
                    a.account.connection_id.as_str(),
                    a.account.external_id.as_str(),
                ) == key
            });
            if !already {
                records.push_account(RecordMatch::of(correlation), (*account).clone());
            }
        }
    }
    linked
}
