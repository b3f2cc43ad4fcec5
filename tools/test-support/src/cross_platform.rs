//! Fixtures of the cross-platform entities: a client as the CRM sees it, a PayPal connection and
//! its payers. Panics on ids the domain refuses (a test's own typo).

use chrono::{DateTime, Utc};
use shared::domain::{
    ClientId, ClientSnapshot, Connection, ConnectionId, ConnectionSettings, ConnectionStatus,
    PayerRecord, PaypalEnvironment, Platform, TenantId,
};

/// A HubSpot client with a name and a domain, and nothing else.
pub fn client(id: &str, name: &str, domain: Option<&str>, at: DateTime<Utc>) -> ClientSnapshot {
    ClientSnapshot {
        client_id: ClientId::parse(id).unwrap_or_else(|e| panic!("fixture client id {id:?}: {e}")),
        name: name.to_owned(),
        domain: domain.map(str::to_owned),
        lifecycle_stage: Some("customer".into()),
        activity: Default::default(),
        reported_revenue: None,
        contacts: vec![],
        deals: vec![],
        tickets: vec![],
        engagements: vec![],
        sources: vec!["hubspot".into()],
        updated_at: at,
        csm_sentiment: None,
    }
}

/// An active sandbox PayPal connection of `tenant`, its secret under `ci/<tenant>/<id>`.
pub fn paypal_connection(tenant: &TenantId, id: &str, at: DateTime<Utc>) -> Connection {
    Connection {
        tenant_id: tenant.clone(),
        id: ConnectionId::parse(id).unwrap_or_else(|e| panic!("fixture connection id {id:?}: {e}")),
        platform: Platform::Paypal,
        label: "PayPal".into(),
        status: ConnectionStatus::Active,
        status_reason: None,
        credentials_secret_id: format!("ci/{tenant}/{id}"),
        settings: ConnectionSettings::Paypal {
            environment: PaypalEnvironment::Sandbox,
            webhook_id: None,
        },
        connected_at: at,
        last_sync_at: None,
        last_full_sync_at: None,
        created_at: at,
        updated_at: at,
        webhook_registered: None,
        version: 0,
    }
}

/// A payer of `connection` with what matching reads: a business name, an email domain and
/// merchant-set references; no payments.
pub fn payer(
    connection: &Connection,
    external_id: &str,
    business_name: Option<&str>,
    email_domain: Option<&str>,
    reference_ids: &[&str],
    at: DateTime<Utc>,
) -> PayerRecord {
    PayerRecord {
        connection_id: connection.id.clone(),
        platform: connection.platform,
        external_id: external_id.to_owned(),
        name: None,
        business_name: business_name.map(str::to_owned),
        email_hash: None,
        email_domain: email_domain.map(str::to_owned),
        reference_ids: reference_ids.iter().map(|r| r.to_string()).collect(),
        payments: vec![],
        invoices: vec![],
        disputes: vec![],
        subscriptions: vec![],
        updated_at: at,
    }
}
