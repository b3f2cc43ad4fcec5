//! PayPal's records turned into `PayerRecord`s: pure functions, no I/O, no clock (`now` is passed).
//!
//! Rows are grouped by payer: PayPal's `account_id` / `payer_id` when given, else `email:<hash>`.
//! An email is never kept in clear: only its keyed hash (HMAC-SHA256, hex) and its lower-cased
//! domain, which is what matching needs.

mod disputes;
mod invoices;
mod subscriptions;
mod transactions;

pub use disputes::{dispute_payer, seller_transaction_id, to_dispute, DisputePayer};
pub use invoices::{invoice_payers, to_invoice};
pub use subscriptions::{subscription_payers, to_subscription};
pub use transactions::{payment_kind, payment_status, transaction_payers, TransactionBatch};

use crate::domain::{ConnectionId, Money, PayerRecord, Platform};
use crate::sources::paypal::wire;
use chrono::{DateTime, NaiveDate, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Hashes payer emails with a key of ours, so stored hashes can be compared with each other (and
/// with a CRM contact's email hashed the same way) but not reversed by a dictionary of addresses.
#[derive(Clone)]
pub struct EmailHasher {
    key: Arc<[u8]>,
}

impl std::fmt::Debug for EmailHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EmailHasher(<key redacted>)")
    }
}

impl EmailHasher {
    pub fn new(key: &[u8]) -> Self {
        EmailHasher { key: key.into() }
    }

    /// Hex HMAC-SHA256 of the trimmed, lower-cased address.
    pub fn hash(&self, email: &str) -> String {
        let normalised = email.trim().to_lowercase();
        // HMAC accepts keys of any length, so this cannot fail.
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.key) else {
            return String::new();
        };
        mac.update(normalised.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// The lower-cased domain of an address (`None` when it is not one).
pub fn email_domain(email: &str) -> Option<String> {
    let (local, domain) = email.trim().rsplit_once('@')?;
    let domain = domain.trim().trim_end_matches('.').to_lowercase();
    (!local.is_empty() && domain.contains('.') && !domain.contains(char::is_whitespace))
        .then_some(domain)
}

/// Who a row belongs to, as far as the row says.
#[derive(Debug, Clone, Default)]
pub struct PayerIdentity<'a> {
    pub account_id: Option<&'a str>,
    pub email: Option<&'a str>,
    pub name: Option<String>,
    pub business_name: Option<String>,
}

/// Builds the payer records of one step: rows fold into the record of their payer.
pub struct PayerBook<'a> {
    connection_id: &'a ConnectionId,
    hasher: &'a EmailHasher,
    now: DateTime<Utc>,
    records: BTreeMap<String, PayerRecord>,
}

impl<'a> PayerBook<'a> {
    pub fn new(
        connection_id: &'a ConnectionId,
        hasher: &'a EmailHasher,
        now: DateTime<Utc>,
    ) -> Self {
        PayerBook {
            connection_id,
            hasher,
            now,
            records: BTreeMap::new(),
        }
    }

    /// The external id of a payer: the account id, else `email:<hash>`; `None` when the row names
    /// neither (the merchant's own movements: fees, withdrawals).
    pub fn external_id(&self, identity: &PayerIdentity<'_>) -> Option<String> {
        if let Some(id) = non_empty(identity.account_id) {
            return Some(id.to_owned());
        }
        let email = non_empty(identity.email)?;
        Some(format!("email:{}", self.hasher.hash(email)))
    }

    /// The record of `identity` (created on first use), with its identity fields filled; `None`
    /// when the identity names no payer.
    pub fn payer(&mut self, identity: &PayerIdentity<'_>) -> Option<&mut PayerRecord> {
        let external_id = self.external_id(identity)?;
        self.payer_with_id(external_id, identity)
    }

    /// Like [`PayerBook::payer`] under a given external id.
    pub fn payer_with_id(
        &mut self,
        external_id: String,
        identity: &PayerIdentity<'_>,
    ) -> Option<&mut PayerRecord> {
        let email = non_empty(identity.email);
        let email_hash = email.map(|e| self.hasher.hash(e));
        let email_domain = email.and_then(email_domain);
        let record = self
            .records
            .entry(external_id.clone())
            .or_insert_with(|| PayerRecord {
                connection_id: self.connection_id.clone(),
                platform: Platform::Paypal,
                external_id,
                name: None,
                business_name: None,
                email_hash: None,
                email_domain: None,
                reference_ids: Vec::new(),
                payments: Vec::new(),
                invoices: Vec::new(),
                disputes: Vec::new(),
                subscriptions: Vec::new(),
                updated_at: DateTime::<Utc>::MIN_UTC,
            });
        let newer = |old: &mut Option<String>, new: Option<String>| {
            if let Some(new) = new.filter(|n| !n.trim().is_empty()) {
                *old = Some(new.trim().to_owned());
            }
        };
        newer(&mut record.name, identity.name.clone());
        newer(&mut record.business_name, identity.business_name.clone());
        newer(&mut record.email_hash, email_hash);
        newer(&mut record.email_domain, email_domain);
        Some(record)
    }

    /// The records, each with `updated_at` set (to `now` when no row said when it changed).
    pub fn finish(self) -> Vec<PayerRecord> {
        let now = self.now;
        self.records
            .into_values()
            .map(|mut record| {
                if record.updated_at == DateTime::<Utc>::MIN_UTC {
                    record.updated_at = now;
                }
                record
            })
            .collect()
    }
}

/// Adds a merchant-set reference (distinct, first-seen order).
pub fn add_reference(record: &mut PayerRecord, reference: Option<&str>) {
    if let Some(reference) = non_empty(reference).map(str::trim) {
        if !record.reference_ids.iter().any(|r| r == reference) {
            record.reference_ids.push(reference.to_owned());
        }
    }
}

/// Puts `row` in `rows`, replacing the row with the same id (a later page's view wins).
pub fn upsert<T>(rows: &mut Vec<T>, row: T, id: impl Fn(&T) -> &str) {
    match rows.iter().position(|old| id(old) == id(&row)) {
        Some(index) => rows[index] = row,
        None => rows.push(row),
    }
}

/// Moves a record's `updated_at` forward to `at`.
pub fn touch(record: &mut PayerRecord, at: Option<DateTime<Utc>>) {
    if let Some(at) = at {
        record.updated_at = record.updated_at.max(at);
    }
}

pub fn non_empty(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.trim().is_empty())
}

/// PayPal's date-times: RFC 3339, and Transaction Search's `2014-07-11T04:03:52+0000`.
pub fn parse_time(value: Option<&str>) -> Option<DateTime<Utc>> {
    let value = value?.trim();
    DateTime::parse_from_rfc3339(value)
        .or_else(|_| DateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%z"))
        .or_else(|_| DateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// `YYYY-MM-DD`, or the date of a date-time.
pub fn parse_date(value: Option<&str>) -> Option<NaiveDate> {
    let text = value?.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .or_else(|| parse_time(Some(text)).map(|at| at.date_naive()))
}

/// An amount; `None` when the value is missing or not a number.
pub fn money(value: Option<&wire::Money>) -> Option<Money> {
    let value = value?;
    let amount = value.value.as_deref()?.trim().parse::<f64>().ok()?;
    amount.is_finite().then(|| Money {
        value: amount,
        currency: value
            .currency_code
            .as_deref()
            .unwrap_or("XXX")
            .trim()
            .to_uppercase(),
    })
}

/// The name a person reads from PayPal's name object.
pub fn person_name(name: Option<&wire::Name>) -> Option<String> {
    let name = name?;
    if let Some(full) =
        non_empty(name.full_name.as_deref()).or(non_empty(name.alternate_full_name.as_deref()))
    {
        return Some(full.trim().to_owned());
    }
    let parts: Vec<&str> = [name.given_name.as_deref(), name.surname.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_hashed_with_the_key_case_insensitively_and_never_kept() {
        let hasher = EmailHasher::new(b"key-1");
        let hash = hasher.hash(" Jane.Doe@Acme.COM ");
        assert_eq!(hash, hasher.hash("jane.doe@acme.com"));
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains("acme"));
        assert_ne!(hash, EmailHasher::new(b"key-2").hash("jane.doe@acme.com"));
        assert_eq!(
            email_domain("Jane@Mail.Acme.COM").as_deref(),
            Some("mail.acme.com")
        );
        assert_eq!(email_domain("not-an-address"), None);
        assert_eq!(email_domain("@acme.com"), None);
        assert!(!format!("{hasher:?}").contains("key-1"));
    }

    #[test]
    fn reads_both_date_time_forms_and_amounts() {
        let a = parse_time(Some("2014-07-11T04:03:52+0000"));
        let b = parse_time(Some("2014-07-11T04:03:52Z"));
        assert!(a.is_some());
        assert_eq!(a, b);
        assert_eq!(parse_time(Some("yesterday")), None);
        assert_eq!(
            parse_date(Some("2026-03-01")),
            NaiveDate::from_ymd_opt(2026, 3, 1)
        );
        let amount = money(Some(&wire::Money {
            currency_code: Some("usd".into()),
            value: Some("-12.50".into()),
        }));
        assert_eq!(
            amount,
            Some(Money {
                value: -12.5,
                currency: "USD".into()
            })
        );
        assert_eq!(
            money(Some(&wire::Money {
                currency_code: None,
                value: Some("abc".into())
            })),
            None
        );
    }
}
