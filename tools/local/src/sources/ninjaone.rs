//! NinjaOne: the IT management simulator (`tools/ninjaone-sandbox`), whose organisations line up
//! with the portal's companies and whose device serials overlap Microsoft 365's Intune devices.

use super::{webhook_secret, Context, Simulated};
use shared::domain::{ClientCredentials, ConnectionSettings, NinjaoneRegion, Platform};
use shared::ports::PlatformSources;
use shared::sources::ninjaone::NinjaoneSources;
use std::sync::Arc;

pub(super) async fn start(context: &Context<'_>) -> Result<Simulated, crate::runner::RunnerError> {
    let sandbox = start_simulator!(ninjaone_sandbox, context, Platform::Ninjaone);
    // The simulator stands in for every regional host; the region is what a person would pick.
    let sources = NinjaoneSources::new(context.http.clone(), context.vault.clone())
        .with_base_url(sandbox.base_url());
    Ok(Simulated {
        platform: Platform::Ninjaone,
        label: "Demo NinjaOne instance (simulator)",
        settings: ConnectionSettings::Ninjaone {
            region: NinjaoneRegion::Us,
        },
        credentials: ClientCredentials {
            webhook_secret: Some(webhook_secret()),
            ..ClientCredentials::new(sandbox.client_id(), sandbox.client_secret())
        },
        factory: PlatformSources::Accounts(Arc::new(sources)),
        base_url: sandbox.base_url(),
        shutdown: Box::new(move || Box::pin(sandbox.shutdown())),
    })
}
