//! Pax8's companies, contacts and subscriptions as account records: pure functions.
//!
//! Identity keeps what matching needs and no more: the website, `externalId` as a reference id, and
//! the DOMAINS of contacts' emails (most common first); never names, addresses or phone numbers.

use crate::domain::{
    AccountIdentity, AccountRecord, AccountSignals, CloudSubscription, CloudSubscriptionStatus,
    CloudSubscriptions, ConnectionId, Platform, QuantityChange,
};
use crate::sources::pax8::wire::{
    parse_date, parse_instant, WireCompany, WireContact, WireSubscription,
};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Pax8's subscription statuses in our terms.
pub fn status(pax8: &str) -> CloudSubscriptionStatus {
    match pax8 {
        // Converted: from trial to paid; Activated: a product needing activation, activated.
        "Active" | "Activated" | "Converted" => CloudSubscriptionStatus::Active,
        "Trial" => CloudSubscriptionStatus::Trial,
        "PendingManual" | "PendingAutomated" | "WaitingForDetails" | "PendingActivation" => {
            CloudSubscriptionStatus::Pending
        }
        "PendingCancel" => CloudSubscriptionStatus::PendingCancel,
        "Cancelled" => CloudSubscriptionStatus::Cancelled,
        _ => CloudSubscriptionStatus::Other,
    }
}

fn non_empty(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Whether the company is gone (listed with status `Deleted`).
pub fn is_deleted(company: &WireCompany) -> bool {
    company.status.as_deref() == Some("Deleted")
}

/// An account with no signals yet and only what `identity` says: the shape every step builds on.
pub fn account(
    connection_id: &ConnectionId,
    external_id: &str,
    name: String,
    identity: AccountIdentity,
    subscriptions: Vec<CloudSubscription>,
    now: DateTime<Utc>,
) -> AccountRecord {
    let updated_at = subscriptions
        .iter()
        .filter_map(|s| s.updated_at)
        .max()
        .unwrap_or(now);
    AccountRecord {
        connection_id: connection_id.clone(),
        platform: Platform::Pax8,
        external_id: external_id.to_owned(),
        name,
        identity,
        signals: AccountSignals::CloudSubscriptions(CloudSubscriptions { subscriptions }),
        seen_at: now,
        updated_at,
    }
}

/// A listed company as an account; `None` for a deleted one or one without an id.
pub fn company_record(
    connection_id: &ConnectionId,
    company: &WireCompany,
    now: DateTime<Utc>,
) -> Option<AccountRecord> {
    let id = non_empty(company.id.as_deref())?;
    if is_deleted(company) {
        return None;
    }
    let identity = AccountIdentity {
        website: non_empty(company.website.as_deref()),
        reference_ids: non_empty(company.external_id.as_deref())
            .into_iter()
            .collect(),
        ..AccountIdentity::default()
    };
    let mut record = account(
        connection_id,
        &id,
        non_empty(company.name.as_deref()).unwrap_or_default(),
        identity,
        Vec::new(),
        now,
    );
    record.updated_at = company
        .updated_date
        .as_deref()
        .and_then(parse_instant)
        .unwrap_or(now);
    Some(record)
}

/// Lower-cased domains of the contacts' emails, most common first (ties by name).
pub fn email_domains(contacts: &[WireContact]) -> Vec<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for contact in contacts {
        let domain = contact
            .email
            .as_deref()
            .and_then(|email| email.trim().rsplit_once('@'))
            .map(|(_, domain)| domain.trim().trim_end_matches('.').to_ascii_lowercase())
            .filter(|d| d.contains('.') && !d.contains(char::is_whitespace));
        if let Some(domain) = domain {
            *counts.entry(domain).or_default() += 1;
        }
    }
    let mut domains: Vec<(String, usize)> = counts.into_iter().collect();
    domains.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    domains.into_iter().map(|(domain, _)| domain).collect()
}

/// A subscription row and the id of its company; `None` without an id or a company.
pub fn subscription(
    wire: &WireSubscription,
    now: DateTime<Utc>,
) -> Option<(String, CloudSubscription)> {
    let id = non_empty(wire.id.as_deref())?;
    let company_id = non_empty(wire.company_id.as_deref())?;
    let product_id = non_empty(wire.product_id.as_deref()).unwrap_or_default();
    let end = wire.end_date.as_deref().or(wire
        .commitment_term
        .as_ref()
        .and_then(|c| c.end_date.as_deref()));
    let row = CloudSubscription {
        id,
        product_name: non_empty(wire.product_name.as_deref()).unwrap_or_else(|| product_id.clone()),
        product_id,
        vendor: None,
        quantity: wire.quantity.unwrap_or(0.0),
        status: wire
            .status
            .as_deref()
            .map_or(CloudSubscriptionStatus::Other, status),
        billing_term: non_empty(wire.billing_term.as_deref()),
        start_date: wire.start_date.as_deref().and_then(parse_date),
        end_date: end.and_then(parse_date),
        unit_price: wire.price,
        updated_at: updated_at(wire),
        quantity_history: Vec::new(),
        seen_at: now,
    };
    Some((company_id, row))
}

/// When a version took effect: `updatedDate`, else `createdDate`, else `startDate`.
pub fn updated_at(wire: &WireSubscription) -> Option<DateTime<Utc>> {
    [&wire.updated_date, &wire.created_date, &wire.start_date]
        .into_iter()
        .find_map(|d| d.as_deref().and_then(parse_instant))
}

/// Past versions as quantity changes, oldest first, a change kept only where the quantity moved.
pub fn quantity_history(versions: &[WireSubscription]) -> Vec<QuantityChange> {
    let mut dated: Vec<QuantityChange> = versions
        .iter()
        .filter_map(|v| {
            Some(QuantityChange {
                at: updated_at(v)?,
                quantity: v.quantity?,
            })
        })
        .collect();
    dated.sort_by_key(|c| c.at);
    let mut changes: Vec<QuantityChange> = Vec::with_capacity(dated.len());
    for change in dated {
        if changes
            .last()
            .is_none_or(|last| last.quantity != change.quantity)
        {
            changes.push(change);
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(updated: &str, quantity: f64, status: &str) -> WireSubscription {
        serde_json::from_value(serde_json::json!({
            "id": "s-1", "companyId": "c-1", "productId": "p-1", "quantity": quantity,
            "status": status, "updatedDate": updated, "createdDate": "2020-12-01",
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn statuses_map_and_unknown_ones_are_never_live() {
        assert_eq!(status("Activated"), CloudSubscriptionStatus::Active);
        assert_eq!(
            status("WaitingForDetails"),
            CloudSubscriptionStatus::Pending
        );
        assert_eq!(
            status("PendingCancel"),
            CloudSubscriptionStatus::PendingCancel
        );
        assert!(!status("Suspended").is_live());
    }

    #[test]
    fn history_is_oldest_first_and_only_where_the_quantity_moved() {
        let history = quantity_history(&[
            version("2021-03-01T00:00:00Z", 8.0, "Active"),
            version("2021-02-01T00:00:00Z", 5.0, "Active"),
            version("2021-01-01T00:00:00Z", 5.0, "PendingAutomated"),
        ]);
        let quantities: Vec<f64> = history.iter().map(|c| c.quantity).collect();
        assert_eq!(quantities, [5.0, 8.0]);
        assert_eq!(history[0].at.to_rfc3339(), "2021-01-01T00:00:00+00:00");
    }

    #[test]
    fn only_domains_are_kept_most_common_first() {
        let contacts: Vec<WireContact> = serde_json::from_str(
            r#"[{"email":"Ann@Acme.com"},{"email":"bo@gmail.com"},{"email":"cy@acme.com"},{"email":"broken"},{}]"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(email_domains(&contacts), ["acme.com", "gmail.com"]);
    }

    #[test]
    fn a_deleted_company_is_no_account_and_external_id_is_a_reference() {
        let connection = ConnectionId::parse("pax8-1").unwrap_or_else(|e| panic!("{e}"));
        let company = |status: &str| -> WireCompany {
            serde_json::from_value(serde_json::json!({
                "id": "c-1", "name": "Acme", "website": " https://acme.com/ ",
                "externalId": "1001", "status": status,
            }))
            .unwrap_or_else(|e| panic!("{e}"))
        };
        let now = Utc::now();
        assert!(company_record(&connection, &company("Deleted"), now).is_none());
        let record = company_record(&connection, &company("Active"), now)
            .unwrap_or_else(|| panic!("an active company is an account"));
        assert_eq!(
            record.identity.website.as_deref(),
            Some("https://acme.com/")
        );
        assert_eq!(record.identity.reference_ids, ["1001"]);
    }
}
