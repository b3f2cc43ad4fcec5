//! The HubSpot portal the runner syncs (the generated sandbox, or a real portal with a private-app
//! token) and its tenant in the store.

use crate::cli::Args;
use crate::runner::RunnerError;
use hubspot_sandbox::Sandbox;
use secrecy::SecretString;
use shared::api::config::DEFAULT_TENANT_SECRET_PREFIX;
use shared::domain::{
    AuthKind, HubSpotLimits, SyncSchedule, SyncStatus, Tenant, TenantId, TenantStatus,
};
use shared::ports::{PageRequest, SecretVault, StoreError, SyncStore, TenantStore, VaultError};
use shared::sources::hubspot::api::{DEFAULT_API_BASE_URL, DEFAULT_AUTHORIZE_URL};
use shared::sources::hubspot::StoredCredentials;
use shared::store::MemoryStore;
use shared::vault::InProcessVault;

/// The demo portal's tenant, and the tenant of a real portal: two ids, so one data file never mixes
/// the sandbox's records with a real portal's.
const SANDBOX_TENANT: &str = "local-sandbox";
const HUBSPOT_TENANT: &str = "local-hubspot";

/// The portal the runner syncs.
pub struct Portal {
    pub tenant_id: TenantId,
    pub name: String,
    pub api_base_url: String,
    pub authorize_url: String,
    pub portal_id: Option<u64>,
    pub token: SecretString,
    pub limits: HubSpotLimits,
    /// The sandbox's OAuth app secret (`None` for a real portal): see `crate::oauth`.
    pub oauth_app_secret: Option<SecretString>,
    /// Kept alive while the runner runs; `None` for a real portal.
    pub sandbox: Option<Sandbox>,
}

pub async fn start_portal(args: &Args) -> Result<Portal, RunnerError> {
    if let Some(token) = &args.hubspot_access_token {
        return Ok(Portal {
            tenant_id: tenant_id(HUBSPOT_TENANT),
            name: "HubSpot portal".to_owned(),
            api_base_url: DEFAULT_API_BASE_URL.to_owned(),
            authorize_url: DEFAULT_AUTHORIZE_URL.to_owned(),
            portal_id: None,
            token: token.clone(),
            limits: HubSpotLimits::for_auth(AuthKind::PrivateApp),
            oauth_app_secret: None,
            sandbox: None,
        });
    }
    let config = args.sandbox_config();
    let limits = HubSpotLimits {
        per_ten_seconds: config.rate_limit_per_ten_seconds,
        search_per_second: config.search_per_second,
        daily: config.daily_limit,
    };
    let sandbox = Sandbox::start(config.clone())
        .await
        .map_err(|e| RunnerError::Sandbox(e.to_string()))?;
    Ok(Portal {
        tenant_id: tenant_id(SANDBOX_TENANT),
        name: "Demo portal (HubSpot sandbox)".to_owned(),
        api_base_url: sandbox.base_url(),
        authorize_url: sandbox.authorize_url_base(),
        portal_id: Some(sandbox.portal_id()),
        token: SecretString::from(sandbox.private_app_token()),
        limits,
        oauth_app_secret: Some(crate::oauth::sandbox_app_secret(&config)),
        sandbox: Some(sandbox),
    })
}

fn tenant_id(raw: &str) -> TenantId {
    TenantId::parse(raw).unwrap_or_else(|_| unreachable!("the local tenant ids are valid"))
}

/// Creates the portal's tenant (or brings a stored one up to date), stores its token in the vault,
/// and disables the other local tenant so the scheduler does not sync a portal this run cannot reach.
pub async fn prepare_tenant(
    store: &MemoryStore,
    vault: &InProcessVault,
    portal: &Portal,
    args: &Args,
) -> Result<Tenant, RunnerError> {
    let now = chrono::Utc::now();
    let secret_id = format!("{DEFAULT_TENANT_SECRET_PREFIX}{}", portal.tenant_id);
    let secret = StoredCredentials::private_app(portal.token.clone()).to_secret();
    match vault.create(&secret_id, &secret).await {
        Err(VaultError::AlreadyExists(_)) => {
            vault.put(&secret_id, &secret, None).await?;
        }
        other => other?,
    }
    let schedule = SyncSchedule {
        enabled: true,
        interval_minutes: u32::try_from(args.sync_interval.as_secs().div_ceil(60)).unwrap_or(60),
        ..SyncSchedule::default()
    };
    let tenant = match store.get_tenant(&portal.tenant_id).await {
        Ok(mut stored) => {
            stored.reconnect(portal.portal_id, secret_id, AuthKind::PrivateApp, now);
            stored.name = portal.name.clone();
            stored.schedule = schedule;
            stored.limits = portal.limits;
            store.update_tenant(&stored).await?
        }
        Err(StoreError::NotFound { .. }) => {
            let tenant = Tenant {
                schedule,
                limits: portal.limits,
                ..Tenant::connected(
                    portal.tenant_id.clone(),
                    portal.name.clone(),
                    portal.portal_id,
                    secret_id,
                    AuthKind::PrivateApp,
                    now,
                )
            };
            store.create_tenant(&tenant).await?;
            store.get_tenant(&tenant.id).await?
        }
        Err(e) => return Err(e.into()),
    };
    let other = if portal.sandbox.is_some() {
        HUBSPOT_TENANT
    } else {
        SANDBOX_TENANT
    };
    match store.get_tenant(&tenant_id(other)).await {
        Ok(mut idle) if idle.status == TenantStatus::Active => {
            idle.status = TenantStatus::Disabled;
            idle.status_reason = Some("not the portal of the current local run".to_owned());
            idle.updated_at = now;
            store.update_tenant(&idle).await?;
        }
        Ok(_) | Err(StoreError::NotFound { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(tenant)
}

/// A run the runner was stopped in the middle of stays `running` in the store; without this it would
/// block manual syncs for an hour after a restart.
pub async fn close_interrupted_runs(
    store: &MemoryStore,
    tenant_id: &TenantId,
) -> Result<(), StoreError> {
    let recent = store
        .list_sync_runs(tenant_id, &PageRequest::first(20))
        .await?;
    for mut run in recent.items {
        if run.status == SyncStatus::Running {
            run.status = SyncStatus::Failed;
            run.finished_at = Some(chrono::Utc::now());
            run.error = Some("the local runner stopped during this sync".to_owned());
            store.put_sync_run(&run).await?;
        }
    }
    Ok(())
}
