//! Pax8: the cloud subscriptions simulator (`tools/pax8-sandbox`), whose companies line up
//! with the portal's companies (some carry the HubSpot id as `externalId`, others its website).

use super::{webhook_secret, Context, Simulated};
use shared::domain::{ClientCredentials, ConnectionSettings, Platform};
use shared::ports::PlatformSources;
use shared::sources::pax8::Pax8Sources;
use std::sync::Arc;

pub(super) async fn start(context: &Context<'_>) -> Result<Simulated, crate::runner::RunnerError> {
    let sandbox = start_simulator!(pax8_sandbox, context, Platform::Pax8);
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
