//! PayPal: the payments simulator (`tools/paypal-sandbox`), whose payers line up with the portal's
//! companies (its README says how).

use super::{Context, Simulated};
use shared::domain::{ClientCredentials, ConnectionSettings, PaypalEnvironment, Platform};
use shared::ports::PlatformSources;
use shared::sources::paypal::PaypalSources;
use std::sync::Arc;

/// Payer emails are hashed with one key for the whole install so hashes compare across connections
/// and restarts; a local demo holds no real emails, so a fixed key is enough here.
const EMAIL_HASH_KEY: &[u8] = b"connected-insights-local-email-hash";

pub(super) async fn start(context: &Context<'_>) -> Result<Simulated, crate::runner::RunnerError> {
    let sandbox = start_simulator!(paypal_sandbox, context, Platform::Paypal);
    let sources = PaypalSources::new(context.http.clone(), context.vault.clone(), EMAIL_HASH_KEY)
        .with_base_url(sandbox.base_url());
    Ok(Simulated {
        platform: Platform::Paypal,
        label: "Demo PayPal account (simulator)",
        settings: ConnectionSettings::Paypal {
            environment: PaypalEnvironment::Sandbox,
            webhook_id: Some(sandbox.webhook_id()),
        },
        credentials: ClientCredentials::new(sandbox.client_id(), sandbox.client_secret()),
        factory: PlatformSources::Payments(Arc::new(sources)),
        base_url: sandbox.base_url(),
        shutdown: Box::new(move || Box::pin(sandbox.shutdown())),
    })
}
