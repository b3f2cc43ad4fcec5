//! `POST /v1/connections`: connecting PayPal, NinjaOne, Pax8 or Microsoft 365.
//!
//! One body for every platform, its platform-specific members checked per platform (PayPal: the
//! environment and webhook id; NinjaOne: the region; Microsoft 365: the customer tenants). The
//! credentials are tried through [`crate::ports::ConnectionSources::check_credentials`] before
//! anything is stored. NinjaOne, Pax8 and Microsoft 365 connections get a random webhook secret
//! kept with the credentials; NinjaOne and Pax8 then have our webhook registered, best effort: a
//! platform that refuses it leaves a connection whose changes are seen at the scheduled syncs,
//! and the view says so.

use super::{
    connection_secret_id, new_connection_id, ConnectionView, MAX_CONNECTIONS, MAX_LABEL_CHARS,
};
use crate::api::error::{ApiError, Problem};
use crate::api::extract::ApiJson;
use crate::api::{ApiState, Caller};
use crate::domain::{
    ClientCredentials, Connection, ConnectionSettings, ConnectionStatus, M365CustomerTenant,
    NinjaoneRegion, PaypalEnvironment, Platform, SyncMode, SyncTrigger,
};
use crate::events::{ProductEvent, SyncRequested};
use crate::ports::SourceError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::time::Duration;

/// Client ids and secrets are at most a few hundred characters; anything far longer is no
/// credential.
const MAX_CREDENTIAL_CHARS: usize = 512;
/// Customer tenants one Microsoft 365 connection may read.
pub const MAX_CUSTOMER_TENANTS: usize = 500;
/// How long registering a webhook may take before the connection is answered without it.
const WEBHOOK_REGISTRATION_BUDGET: Duration = Duration::from_secs(10);

/// The body of `POST /v1/connections`. `Debug` shows the secret redacted.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConnection {
    /// `paypal`, `ninjaone`, `pax8` or `m365` (HubSpot connects through `/oauth/install`).
    pub platform: Platform,
    /// A name to tell accounts apart ("PayPal EU"); 1-100 characters.
    pub label: String,
    /// The API client's id: PayPal's REST app (Apps & Credentials), NinjaOne's API client app
    /// (Administration, Apps, API, client credentials), Pax8's API credentials, or the MSP's
    /// multi-tenant Microsoft Entra app (its application id).
    pub client_id: String,
    /// The client's secret; kept in the secret store, never shown again.
    #[schema(value_type = String, format = Password)]
    pub client_secret: SecretString,
    /// PayPal only, required: which PayPal environment the credentials belong to.
    #[serde(default)]
    pub environment: Option<PaypalEnvironment>,
    /// PayPal only: the id PayPal gave the webhook registered for this account (developer
    /// dashboard, Webhooks), pointing at `/webhooks/paypal/{tenant}/{connection}`. PayPal's verify
    /// call needs it: without it deliveries are refused and only the schedule's syncs see changes.
    #[serde(default)]
    pub webhook_id: Option<String>,
    /// NinjaOne only, required: the regional instance the account lives on.
    #[serde(default)]
    pub region: Option<NinjaoneRegion>,
    /// Microsoft 365 only: customer tenants whose administrator already consented the app (the
    /// credentials are tried in each). Others are added later with an admin-consent link.
    #[serde(default)]
    pub customer_tenants: Option<Vec<NewCustomerTenant>>,
}

/// A Microsoft 365 customer tenant named by a person.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCustomerTenant {
    /// The customer's Microsoft Entra tenant id (a GUID).
    pub tenant_id: String,
    /// A name to recognise it by; 1-100 characters.
    #[serde(default)]
    pub label: Option<String>,
}

/// Connect a platform. The credentials are tried first (a token is fetched): refused ones answer
/// 422 and nothing is stored. Then the secret is kept, the connection saved, its webhook registered
/// (NinjaOne, Pax8; best effort) and its first, full sync requested.
#[utoipa::path(
    post,
    path = "/v1/connections",
    tag = "connections",
    security(("bearer" = [])),
    request_body(content = NewConnection, content_type = "application/json"),
    responses(
        (status = 201, description = "Connected; the first sync was requested", body = ConnectionView),
        (status = 400, description = "The body is not JSON, or a member breaks a rule (named in `field`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The tenant has not connected a portal yet", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The tenant has as many connections as it may have", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A body was sent without a JSON content type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body is not a new connection, or the platform refused the credentials (`/problems/credentials-refused`); nothing was stored", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The platform is not configured here (`/problems/platform-not-configured`), or could not be reached; nothing was stored", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_connection(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewConnection>,
) -> Result<Response, ApiError> {
    let platform = body.platform;
    let label = checked_label(&body)?;
    let settings = checked_settings(&body)?;
    let mut credentials = checked_credentials(&body)?;
    if state.sources.get(platform).is_none() {
        return Err(ApiError::PlatformNotConfigured {
            platform: platform.display_name(),
        });
    }
    let tenant_id = &caller.tenant_id;
    state.store.get_tenant(tenant_id).await?;
    if state.store.list_connections(tenant_id).await?.len() >= MAX_CONNECTIONS {
        return Err(ApiError::conflict(format!(
            "This account already has {MAX_CONNECTIONS} connections; delete one first."
        )));
    }
    state
        .sources
        .check_credentials(&settings, &credentials)
        .await
        .map_err(|error| refused_or_unavailable(platform, error))?;
    if platform != Platform::Paypal {
        credentials.webhook_secret = Some(new_webhook_secret());
    }

    let now = state.now();
    let id = new_connection_id(platform)?;
    let secret_id = connection_secret_id(&state.config.tenant_secret_prefix, tenant_id, &id);
    let secret = serde_json::to_string(&credentials).map_err(ApiError::internal)?;
    state
        .vault
        .create(&secret_id, &SecretString::from(secret))
        .await?;
    let mut connection = Connection {
        tenant_id: tenant_id.clone(),
        id: id.clone(),
        platform,
        label,
        status: ConnectionStatus::Active,
        status_reason: None,
        credentials_secret_id: secret_id.clone(),
        settings,
        connected_at: now,
        last_sync_at: None,
        last_full_sync_at: None,
        created_at: now,
        updated_at: now,
        webhook_registered: None,
        version: 0,
    };
    if let Err(error) = state.store.create_connection(&connection).await {
        // Nothing refers to the secret yet: leave no orphan behind.
        if let Err(vault_error) = state.vault.delete(&secret_id).await {
            tracing::error!(error = %vault_error, connection = %id, "could not remove the secret of an unsaved connection");
        }
        return Err(error.into());
    }
    tracing::info!(connection = %id, platform = %platform, "connection created");
    let audit = crate::domain::AuditChange::new(
        "connection.created",
        crate::domain::AuditEntityKind::Connection,
        &id,
    )
    .after(&serde_json::json!({"platform": platform, "status": connection.status}));
    if let Err(error) = crate::api::audit::record(&state, &caller, audit).await {
        // The connection is saved: failing the request would invite a retry that creates a second
        // one, so this failure is only logged (as an error: the trail misses a change).
        tracing::error!(error = %error, connection = %id, "could not record the new connection in the audit trail");
    }
    if matches!(platform, Platform::Ninjaone | Platform::Pax8) {
        connection = register_webhook(&state, connection, &credentials).await;
    }
    let trigger = SyncTrigger::Manual {
        requested_by: caller.subject.clone(),
    };
    let first_sync = SyncRequested::tenant(tenant_id.clone(), SyncMode::Full, trigger, now)
        .on_connection(id.clone());
    if let Err(error) = state
        .bus
        .publish(&[ProductEvent::SyncRequested(first_sync)])
        .await
    {
        // The connection is saved and active: the schedule syncs it on its next round. Failing
        // here would invite a retry that creates a second connection.
        tracing::warn!(error = %error, connection = %id, "could not request the first sync of a new connection");
    }
    Ok((StatusCode::CREATED, Json(ConnectionView::from(connection))).into_response())
}

/// Registers the connection's webhook with its platform and records whether that worked. Never
/// fails the connection: without a webhook, the schedule's syncs still see every change.
async fn register_webhook(
    state: &ApiState,
    mut connection: Connection,
    credentials: &ClientCredentials,
) -> Connection {
    let url = format!(
        "{}{}",
        state.config.public_base_url.as_str().trim_end_matches('/'),
        connection.webhook_path()
    );
    let registered = match state.sources.get(connection.platform) {
        Some(crate::ports::PlatformSources::Accounts(factory)) => {
            match tokio::time::timeout(
                WEBHOOK_REGISTRATION_BUDGET,
                factory.register_webhook(&connection, credentials, &url),
            )
            .await
            {
                Ok(Ok(registered)) => registered,
                Ok(Err(error)) => {
                    // The platform's message only: never the credentials.
                    tracing::warn!(connection = %connection.id, %error,
                        "could not register the webhook; changes are seen at scheduled syncs");
                    false
                }
                Err(_) => {
                    tracing::warn!(connection = %connection.id,
                        "registering the webhook took too long; changes are seen at scheduled syncs");
                    false
                }
            }
        }
        _ => false,
    };
    connection.webhook_registered = Some(registered);
    connection.updated_at = state.now();
    match state.store.update_connection(&connection).await {
        Ok(updated) => updated,
        Err(error) => {
            tracing::warn!(connection = %connection.id, %error,
                "could not record whether the webhook is registered");
            connection
        }
    }
}

/// 256 random bits, hex: what the platform must send back with each delivery.
fn new_webhook_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn invalid(field: &str, reason: impl Into<String>) -> ApiError {
    ApiError::InvalidField {
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// The platform's settings from the body; members of another platform are refused by name.
fn checked_settings(body: &NewConnection) -> Result<ConnectionSettings, ApiError> {
    let platform = body.platform;
    let only_for = |field: &str, owner: Platform| {
        invalid(
            field,
            format!("is for {owner} connections only, not {platform}"),
        )
    };
    if platform != Platform::Paypal {
        if body.environment.is_some() {
            return Err(only_for("environment", Platform::Paypal));
        }
        if body.webhook_id.is_some() {
            return Err(only_for("webhook_id", Platform::Paypal));
        }
    }
    if platform != Platform::Ninjaone && body.region.is_some() {
        return Err(only_for("region", Platform::Ninjaone));
    }
    if platform != Platform::M365 && body.customer_tenants.is_some() {
        return Err(only_for("customer_tenants", Platform::M365));
    }
    match platform {
        Platform::Paypal => Ok(ConnectionSettings::Paypal {
            environment: body
                .environment
                .ok_or_else(|| invalid("environment", "is required: `sandbox` or `live`"))?,
            webhook_id: checked_webhook_id(body)?,
        }),
        Platform::Ninjaone => Ok(ConnectionSettings::Ninjaone {
            region: body.region.ok_or_else(|| {
                invalid(
                    "region",
                    "is required: the instance you sign in to (us, us2, eu, oc or ca)",
                )
            })?,
        }),
        Platform::Pax8 => Ok(ConnectionSettings::Pax8),
        Platform::M365 => {
            let given = body.customer_tenants.as_deref().unwrap_or_default();
            if given.len() > MAX_CUSTOMER_TENANTS {
                return Err(invalid(
                    "customer_tenants",
                    format!("may list at most {MAX_CUSTOMER_TENANTS} tenants"),
                ));
            }
            let mut tenants: Vec<M365CustomerTenant> = Vec::with_capacity(given.len());
            for tenant in given {
                let tenant = checked_customer_tenant(tenant, "customer_tenants")?;
                if tenants.iter().any(|t| t.tenant_id == tenant.tenant_id) {
                    return Err(invalid(
                        "customer_tenants",
                        format!("lists tenant {} twice", tenant.tenant_id),
                    ));
                }
                tenants.push(tenant);
            }
            Ok(ConnectionSettings::M365 {
                customer_tenants: tenants,
            })
        }
        Platform::Hubspot => Err(invalid(
            "platform",
            "cannot be hubspot here: HubSpot connects through /oauth/install",
        )),
    }
}

/// A customer tenant as given: its id a GUID (kept lower case), its label checked like a
/// connection's. Not consented yet: the admin-consent callback records that.
pub(crate) fn checked_customer_tenant(
    given: &NewCustomerTenant,
    field: &str,
) -> Result<M365CustomerTenant, ApiError> {
    let tenant_id = parse_tenant_guid(&given.tenant_id).ok_or_else(|| {
        invalid(
            field,
            "tenant ids are the customer's Microsoft Entra tenant id, a GUID \
             (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
        )
    })?;
    let label = match given.label.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(label) => Some(checked_text(label, field)?),
    };
    Ok(M365CustomerTenant {
        tenant_id,
        label,
        consented_at: None,
    })
}

/// A Microsoft Entra tenant id: a GUID, in its canonical lower-case, hyphenated form.
pub(crate) fn parse_tenant_guid(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.len() != 36 {
        return None;
    }
    let guid = uuid::Uuid::parse_str(raw).ok()?;
    Some(guid.hyphenated().to_string())
}

/// PayPal's webhook ids are short upper-case letters and digits (`8PT597110X687430LKGECATA`).
fn checked_webhook_id(body: &NewConnection) -> Result<Option<String>, ApiError> {
    let Some(id) = body.webhook_id.as_deref().map(str::trim) else {
        return Ok(None);
    };
    if id.is_empty() {
        return Ok(None);
    }
    if id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(invalid(
            "webhook_id",
            "must be PayPal's webhook id: up to 64 letters, digits or '-'",
        ));
    }
    Ok(Some(id.to_string()))
}

fn checked_label(body: &NewConnection) -> Result<String, ApiError> {
    if body.platform == Platform::Hubspot {
        return Err(invalid(
            "platform",
            "cannot be hubspot here: HubSpot connects through /oauth/install",
        ));
    }
    checked_text(body.label.trim(), "label")
}

/// 1-100 characters without control characters.
pub(crate) fn checked_text(text: &str, field: &str) -> Result<String, ApiError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_LABEL_CHARS {
        return Err(invalid(
            field,
            format!("must have 1 to {MAX_LABEL_CHARS} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(invalid(field, "must not contain control characters"));
    }
    Ok(text.to_string())
}

fn checked_credentials(body: &NewConnection) -> Result<ClientCredentials, ApiError> {
    for (field, value) in [
        ("client_id", body.client_id.as_str()),
        ("client_secret", body.client_secret.expose_secret()),
    ] {
        let value = value.trim();
        if value.is_empty()
            || value.chars().count() > MAX_CREDENTIAL_CHARS
            || value.chars().any(char::is_whitespace)
        {
            return Err(invalid(
                field,
                format!("must have 1 to {MAX_CREDENTIAL_CHARS} characters and no spaces"),
            ));
        }
    }
    Ok(ClientCredentials::new(
        body.client_id.trim(),
        body.client_secret.expose_secret().trim(),
    ))
}

/// What a failed credential check means for the person connecting.
pub(crate) fn refused_or_unavailable(platform: Platform, error: SourceError) -> ApiError {
    let name = platform.display_name();
    match error {
        SourceError::NeedsReauth { reason } => ApiError::CredentialsRefused {
            platform: name,
            reason,
        },
        // Not configured in this function (the factory's own 501).
        SourceError::Rejected { status: 501, .. } => {
            ApiError::PlatformNotConfigured { platform: name }
        }
        SourceError::Rejected { status, message } => ApiError::CredentialsRefused {
            platform: name,
            reason: format!("HTTP {status}: {message}"),
        },
        SourceError::Unavailable { .. }
        | SourceError::RateLimited { .. }
        | SourceError::InvalidResponse(_) => ApiError::Unavailable {
            what: api_name(platform),
            source: Box::new(error),
        },
        SourceError::InvalidCursor(_) | SourceError::Credentials(_) => ApiError::internal(error),
    }
}

fn api_name(platform: Platform) -> &'static str {
    match platform {
        Platform::Hubspot => "HubSpot API",
        Platform::Paypal => "PayPal API",
        Platform::Ninjaone => "NinjaOne API",
        Platform::Pax8 => "Pax8 API",
        Platform::M365 => "Microsoft 365 API",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: &str) -> NewConnection {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_new_connection_never_prints_its_secret() {
        let body = body(
            r#"{"platform":"paypal","label":"EU","client_id":"id-1","client_secret":"s3cr3t-value","environment":"sandbox"}"#,
        );
        assert!(!format!("{body:?}").contains("s3cr3t-value"));
        let credentials = checked_credentials(&body).unwrap();
        assert!(!format!("{credentials:?}").contains("s3cr3t-value"));
    }

    #[test]
    fn refusals_and_outages_are_told_apart() {
        let refused = refused_or_unavailable(
            Platform::Pax8,
            SourceError::NeedsReauth {
                reason: "invalid_client".into(),
            },
        );
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let down = refused_or_unavailable(
            Platform::Ninjaone,
            SourceError::Unavailable {
                message: "timeout".into(),
            },
        );
        assert_eq!(down.status(), StatusCode::SERVICE_UNAVAILABLE);
    }

    #[test]
    fn each_platform_takes_its_own_settings_and_refuses_the_others() {
        let ninja = body(
            r#"{"platform":"ninjaone","label":"N","client_id":"a","client_secret":"b","region":"eu"}"#,
        );
        assert_eq!(
            checked_settings(&ninja).unwrap(),
            ConnectionSettings::Ninjaone {
                region: NinjaoneRegion::Eu
            }
        );
        let no_region =
            body(r#"{"platform":"ninjaone","label":"N","client_id":"a","client_secret":"b"}"#);
        assert!(checked_settings(&no_region).is_err());
        let pax8_with_region = body(
            r#"{"platform":"pax8","label":"P","client_id":"a","client_secret":"b","region":"eu"}"#,
        );
        assert!(checked_settings(&pax8_with_region).is_err());
        let m365 = body(
            r#"{"platform":"m365","label":"M","client_id":"a","client_secret":"b",
                "customer_tenants":[{"tenant_id":"6F1C2D3E-0000-4000-8000-00000000AB12","label":" Acme "}]}"#,
        );
        let ConnectionSettings::M365 { customer_tenants } = checked_settings(&m365).unwrap() else {
            panic!("not m365")
        };
        assert_eq!(
            customer_tenants[0].tenant_id,
            "6f1c2d3e-0000-4000-8000-00000000ab12"
        );
        assert_eq!(customer_tenants[0].label.as_deref(), Some("Acme"));
    }

    #[test]
    fn tenant_ids_must_be_guids() {
        assert!(parse_tenant_guid("contoso.onmicrosoft.com").is_none());
        assert!(parse_tenant_guid("6f1c2d3e00004000800000000000ab12").is_none());
        assert!(parse_tenant_guid("{6f1c2d3e-0000-4000-8000-00000000ab12}").is_none());
        assert!(parse_tenant_guid(" 6f1c2d3e-0000-4000-8000-00000000ab12 ").is_some());
    }

    #[test]
    fn webhook_secrets_are_long_and_differ() {
        let (a, b) = (new_webhook_secret(), new_webhook_secret());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
