//! Pax8: the cloud subscriptions simulator (`tools/pax8-sandbox`), whose companies line up
//! with the portal's companies (some carry the HubSpot id as `externalId`, others its website).

use super::{simulator_error, webhook_secret, Context, Simulated};
use pax8_sandbox::{CompanySeed, Sandbox, SandboxConfig};
use shared::domain::{ClientCredentials, ConnectionSettings, Platform};
use shared::ports::PlatformSources;
use shared::sources::pax8::Pax8Sources;
use std::sync::Arc;

pub(super) async fn start(context: &Context<'_>) -> Result<Simulated, crate::runner::RunnerError> {
    let companies = context.companies.seeds(
        |hubspot_id, name, domain| CompanySeed {
            hubspot_id,
            name,
            domain,
        },
        CompanySeed::synthetic,
    );
    let sandbox = Sandbox::start(SandboxConfig::for_companies(context.seed, companies))
        .await
        .map_err(|e| simulator_error(Platform::Pax8, e.to_string()))?;
    let sources = Pax8Sources::new(context.http.clone(), context.vault.clone())
        .with_base_url(sandbox.base_url());
    Ok(Simulated {
        platform: Platform::Pax8,
        label: "Demo Pax8 partner account (simulator)",
        settings: ConnectionSettings::Pax8,
        credentials: ClientCredentials {
            webhook_secret: Some(webhook_secret()),
            ..ClientCredentials::new(sandbox.client_id(), sandbox.client_secret())
        },
        factory: PlatformSources::Accounts(Arc::new(sources)),
        base_url: sandbox.base_url(),
        shutdown: Box::new(move || Box::pin(sandbox.shutdown())),
    })
}
