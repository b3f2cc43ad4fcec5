//! Microsoft 365: the Microsoft Graph simulator (`tools/m365-sandbox`), one customer tenant per
//! company it keeps (verified domains equal to the company's domain, Intune device serials that
//! overlap NinjaOne's). The demo connection is the MSP's multi-tenant app, consented in every
//! customer tenant the simulator generated.

use super::{webhook_secret, Context, Simulated};
use shared::domain::{ClientCredentials, ConnectionSettings, M365CustomerTenant, Platform};
use shared::ports::PlatformSources;
use shared::sources::m365::M365Sources;
use std::sync::Arc;

pub(super) async fn start(context: &Context<'_>) -> Result<Simulated, crate::runner::RunnerError> {
    let sandbox = start_simulator!(m365_sandbox, context, Platform::M365);
    let consented_at = Some(chrono::Utc::now());
    let customer_tenants = sandbox
        .tenant_ids()
        .into_iter()
        .map(|tenant_id| M365CustomerTenant {
            tenant_id,
            label: None,
            consented_at,
        })
        .collect();
    let sources = M365Sources::new(context.http.clone(), context.vault.clone())
        .with_base_url(sandbox.base_url());
    Ok(Simulated {
        platform: Platform::M365,
        label: "Demo Microsoft 365 app (simulator)",
        settings: ConnectionSettings::M365 { customer_tenants },
        credentials: ClientCredentials {
            webhook_secret: Some(webhook_secret()),
            ..ClientCredentials::new(sandbox.client_id(), sandbox.client_secret())
        },
        factory: PlatformSources::Accounts(Arc::new(sources)),
        base_url: sandbox.base_url(),
        shutdown: Box::new(move || Box::pin(sandbox.shutdown())),
    })
}
