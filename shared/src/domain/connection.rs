//! Connections: a tenant's link to one source platform. A tenant has any number of them; each has its
//! own status, credentials, checkpoints, leases and sync runs.

use crate::domain::{ConnectionId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The platforms a connection can reach.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// CRM: companies, contacts, deals, tickets, engagements.
    Hubspot,
    /// Payments: transactions, invoices, disputes, subscriptions.
    Paypal,
    /// IT management: organisations, devices, alerts, tickets.
    Ninjaone,
    /// Cloud subscriptions: companies, subscriptions, usage.
    Pax8,
    /// Microsoft 365 usage through Microsoft Graph.
    M365,
}

impl Platform {
    pub const ALL: [Platform; 5] = [
        Platform::Hubspot,
        Platform::Paypal,
        Platform::Ninjaone,
        Platform::Pax8,
        Platform::M365,
    ];

    /// The lowercase name used in snapshots' `sources`, events and URLs (`paypal`).
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Hubspot => "hubspot",
            Platform::Paypal => "paypal",
            Platform::Ninjaone => "ninjaone",
            Platform::Pax8 => "pax8",
            Platform::M365 => "m365",
        }
    }

    /// The name people read (`PayPal`).
    pub fn display_name(self) -> &'static str {
        match self {
            Platform::Hubspot => "HubSpot",
            Platform::Paypal => "PayPal",
            Platform::Ninjaone => "NinjaOne",
            Platform::Pax8 => "Pax8",
            Platform::M365 => "Microsoft 365",
        }
    }

    pub fn parse(name: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    Active,
    /// The platform refused the credentials: someone must connect again.
    NeedsReauth,
    /// Syncing failed in a way retries did not fix; `status_reason` says why.
    Error,
    /// A person paused it: the schedule skips it and nothing is fetched.
    Paused,
}

impl ConnectionStatus {
    /// Whether the schedule syncs a connection in this status.
    pub fn is_syncable(self) -> bool {
        matches!(self, ConnectionStatus::Active | ConnectionStatus::Error)
    }
}

/// Which PayPal environment a connection talks to; credentials differ per environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaypalEnvironment {
    Sandbox,
    Live,
}

/// What a connection needs to know about its platform besides the secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "platform", rename_all = "snake_case")]
pub enum ConnectionSettings {
    /// HubSpot's settings stay on the tenant record (portal id, auth kind, limits).
    Hubspot,
    Paypal {
        environment: PaypalEnvironment,
        /// The id of the webhook registered for this connection, which PayPal's
        /// verify-webhook-signature call needs; `None` until one is registered.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        webhook_id: Option<String>,
    },
    /// NinjaOne: the tenant's instance lives on one regional host.
    Ninjaone { region: NinjaoneRegion },
    /// Pax8: one partner account; nothing besides the client credentials.
    Pax8,
    /// Microsoft 365: the MSP's multi-tenant app (its client credentials in the secret) and the
    /// customer tenants whose admins consented it. Each customer tenant is one account.
    M365 {
        #[serde(default)]
        customer_tenants: Vec<M365CustomerTenant>,
    },
}

/// NinjaOne's regional instances (SOURCES.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NinjaoneRegion {
    Us,
    Us2,
    Eu,
    Oc,
    Ca,
}

impl NinjaoneRegion {
    /// The instance's host (`eu.ninjarmm.com`).
    pub fn host(self) -> &'static str {
        match self {
            NinjaoneRegion::Us => "app.ninjarmm.com",
            NinjaoneRegion::Us2 => "us2.ninjarmm.com",
            NinjaoneRegion::Eu => "eu.ninjarmm.com",
            NinjaoneRegion::Oc => "oc.ninjarmm.com",
            NinjaoneRegion::Ca => "ca.ninjarmm.com",
        }
    }
}

/// A customer tenant of an MSP's Microsoft 365 connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct M365CustomerTenant {
    /// The Entra tenant id (a GUID, lower case).
    pub tenant_id: String,
    /// A name people chose; the tenant's own display name is read at sync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// When the customer's admin consented the app (the admin-consent callback), if we saw it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consented_at: Option<DateTime<Utc>>,
}

impl ConnectionSettings {
    pub fn platform(&self) -> Platform {
        match self {
            ConnectionSettings::Hubspot => Platform::Hubspot,
            ConnectionSettings::Paypal { .. } => Platform::Paypal,
            ConnectionSettings::Ninjaone { .. } => Platform::Ninjaone,
            ConnectionSettings::Pax8 => Platform::Pax8,
            ConnectionSettings::M365 { .. } => Platform::M365,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub tenant_id: TenantId,
    pub id: ConnectionId,
    pub platform: Platform,
    /// A name people chose ("PayPal EU account").
    pub label: String,
    pub status: ConnectionStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// Secrets Manager id (or name) of this connection's credentials.
    pub credentials_secret_id: String,
    pub settings: ConnectionSettings,
    /// When the credentials were last given: a sync that started before it used older ones.
    pub connected_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sync_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_full_sync_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Whether the platform sends this connection's changes to our webhook (NinjaOne, Pax8: we
    /// register it when the connection is made); `None` where webhooks are not ours to register
    /// (HubSpot, PayPal, Microsoft 365) or for connections made before this was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_registered: Option<bool>,
    /// Optimistic-concurrency version, incremented by every write.
    #[serde(default)]
    pub version: u64,
}

impl Connection {
    /// The path of this connection's webhook on the ingest API, the public base URL going in
    /// front: `/webhooks/<platform>/<tenant>/<connection>` (the route names the connection, so a
    /// delivery is verified with that connection's own secret).
    pub fn webhook_path(&self) -> String {
        format!("/webhooks/{}/{}/{}", self.platform, self.tenant_id, self.id)
    }
}

/// OAuth2 client credentials a person gives when connecting a platform (PayPal, NinjaOne, Pax8, the
/// MSP's Microsoft 365 app). Kept in the connection's secret; `Debug` never shows the secrets.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: String,
    /// The shared secret webhook deliveries to this connection must carry (NinjaOne and Pax8 send a
    /// header we choose; neither signs): generated when the connection is made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
}

impl ClientCredentials {
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        ClientCredentials {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            webhook_secret: None,
        }
    }
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}
