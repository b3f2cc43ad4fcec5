//! What the sandbox really generated, for tests to compare a source's records against.

use crate::generate::PLACEHOLDER_SERIALS;
use crate::model::{SkuModel, TenantModel, TenantStory, APPS};
use std::collections::BTreeMap;

/// One generated tenant as a correct reader should see it.
#[derive(Clone, Debug, PartialEq)]
pub struct TenantTruth {
    /// The tenant id (GUID): the account's external id.
    pub external_id: String,
    /// The CRM company it really belongs to (None: a tenant the CRM does not have).
    pub hubspot_id: Option<String>,
    pub display_name: String,
    /// Verified domains without the initial `*.onmicrosoft.com` one.
    pub verified_domains: Vec<String>,
    pub initial_domain: String,
    pub names_concealed: bool,
    pub story: TenantStory,
    pub skus: Vec<SkuModel>,
    /// Intune serials upper-cased, placeholders and empty ones left out, sorted.
    pub device_serials: Vec<String>,
    /// Users active in any app in the last 30 days (`getM365AppUserDetail`).
    pub active_users_30d: u32,
    /// Users per app in the last 30 days.
    pub apps_in_use: BTreeMap<String, u32>,
}

pub(crate) fn truth_of(tenant: &TenantModel) -> TenantTruth {
    let mut device_serials: Vec<String> = tenant
        .devices
        .iter()
        .map(|d| d.serial_number.trim().to_ascii_uppercase())
        .filter(|s| {
            !PLACEHOLDER_SERIALS
                .iter()
                .any(|p| p.eq_ignore_ascii_case(s))
        })
        .collect();
    device_serials.sort();
    device_serials.dedup();
    let mut apps_in_use = BTreeMap::new();
    for user in &tenant.app_users {
        for (app, used) in APPS.iter().zip(user.apps) {
            if used {
                *apps_in_use.entry((*app).to_owned()).or_default() += 1;
            }
        }
    }
    TenantTruth {
        external_id: tenant.tenant_id.clone(),
        hubspot_id: tenant.hubspot_id.clone(),
        display_name: tenant.display_name.clone(),
        verified_domains: tenant.domains.clone(),
        initial_domain: tenant.initial_domain.clone(),
        names_concealed: tenant.concealed_names,
        story: tenant.story,
        skus: tenant.skus.clone(),
        device_serials,
        active_users_30d: tenant
            .app_users
            .iter()
            .filter(|u| u.apps.iter().any(|a| *a))
            .count() as u32,
        apps_in_use,
    }
}
