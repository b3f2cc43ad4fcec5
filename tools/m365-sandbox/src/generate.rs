//! Deterministic generation of the customer tenants from the seed and the CRM companies, with the
//! realistic mismatches matching must live with.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::config::SandboxConfig;
use crate::model::{AppUser, DeviceModel, SkuModel, TenantModel, TenantStory};

/// FNV-1a 64 of `bytes` (offset 0xcbf29ce484222325, prime 0x100000001b3).
pub fn fnv1a_64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The hardware serial of a company's device `index`: the same formula the NinjaOne sandbox uses,
/// so one company's devices show up on both platforms.
pub fn serial_of(hubspot_id: &str, index: usize) -> String {
    format!(
        "SN{:010}",
        fnv1a_64(hubspot_id.as_bytes()).wrapping_add(index as u64) % 10_000_000_000
    )
}

/// Serials Intune reports for devices whose firmware has none.
pub const PLACEHOLDER_SERIALS: [&str; 4] =
    ["To Be Filled By O.E.M.", "0123456789", "Default string", ""];

/// Microsoft's product ids of the SKUs generated (skuId, skuPartNumber).
const MAIN_SKUS: [(&str, &str); 3] = [
    ("05e9a617-0261-4cee-bb44-138d3ef5d965", "SPE_E3"),
    ("cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46", "SPB"),
    (
        "f245ecc8-75af-4f8e-b61f-27d8114de5f3",
        "O365_BUSINESS_PREMIUM",
    ),
];
const ADDON_SKUS: [(&str, &str); 2] = [
    ("4b9405b0-7788-4568-add1-99614e613b69", "EXCHANGESTANDARD"),
    ("f8a1db68-be16-40ed-86d5-cb42ce701560", "POWER_BI_PRO"),
];

fn guid(rng: &mut StdRng) -> String {
    let a: u32 = rng.random();
    let b: u16 = rng.random();
    let c: u16 = rng.random::<u16>() & 0x0fff;
    let d: u16 = (rng.random::<u16>() & 0x3fff) | 0x8000;
    let e: u64 = rng.random::<u64>() & 0xffff_ffff_ffff;
    format!("{a:08x}-{b:04x}-4{c:03x}-{d:04x}-{e:012x}")
}

fn slug(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn pick_story(rng: &mut StdRng) -> TenantStory {
    match rng.random_range(0..100) {
        0..35 => TenantStory::Healthy,
        35..50 => TenantStory::FullyUsed,
        50..70 => TenantStory::Shelfware,
        70..85 => TenantStory::Declining,
        85..95 => TenantStory::Growing,
        _ => TenantStory::PaymentTrouble,
    }
}

struct Owner<'a> {
    hubspot_id: Option<&'a str>,
    name: String,
    domain: Option<String>,
}

fn tenant(rng: &mut StdRng, owner: Owner<'_>, ordinal: usize) -> TenantModel {
    let story = if ordinal < 6 {
        // The first tenants cover every story, so a small sandbox still tells all of them.
        [
            TenantStory::Healthy,
            TenantStory::Shelfware,
            TenantStory::Declining,
            TenantStory::FullyUsed,
            TenantStory::PaymentTrouble,
            TenantStory::Growing,
        ][ordinal]
    } else {
        pick_story(rng)
    };
    let tenant_id = guid(rng);
    let mut domains: Vec<String> = owner.domain.into_iter().collect();
    if rng.random_bool(0.2) {
        if let Some(first) = domains.first().cloned() {
            let stem = first.split('.').next().unwrap_or("extra").to_owned();
            domains.push(format!("{stem}.net"));
        }
    }
    let initial_domain = format!(
        "{}{}.onmicrosoft.com",
        slug(&owner.name),
        if rng.random_bool(0.2) { "1" } else { "" }
    );
    // Concealment is Microsoft's default since 2021; about half the tenants keep it.
    let concealed_names = ordinal % 2 == 1 || rng.random_bool(0.2);

    let seats: u32 = rng.random_range(5..=120);
    let consumed = match story {
        TenantStory::FullyUsed => seats,
        TenantStory::Shelfware => (seats as f64 * rng.random_range(0.35..0.6)).round() as u32,
        _ => (seats as f64 * rng.random_range(0.85..0.97)).round() as u32,
    };
    let (main_id, main_part) = MAIN_SKUS[rng.random_range(0..MAIN_SKUS.len())];
    let mut skus = vec![SkuModel {
        sku_id: main_id.to_owned(),
        part_number: main_part.to_owned(),
        capability_status: "Enabled".to_owned(),
        enabled: seats,
        warning: 0,
        suspended: 0,
        consumed,
    }];
    if rng.random_bool(0.5) || story == TenantStory::PaymentTrouble {
        let (id, part) = ADDON_SKUS[rng.random_range(0..ADDON_SKUS.len())];
        let addon_seats: u32 = rng.random_range(1..=10);
        let mut addon = SkuModel {
            sku_id: id.to_owned(),
            part_number: part.to_owned(),
            capability_status: "Enabled".to_owned(),
            enabled: addon_seats,
            warning: 0,
            suspended: 0,
            consumed: rng.random_range(0..=addon_seats),
        };
        if story == TenantStory::PaymentTrouble {
            // Expired, in its grace period: the seats move from enabled to warning.
            addon.capability_status = "Warning".to_owned();
            addon.warning = addon.enabled;
            addon.enabled = 0;
        }
        skus.push(addon);
    }
    if story == TenantStory::PaymentTrouble {
        skus.push(SkuModel {
            // Visio Plan 2: never one of the add-ons above, so the ids stay distinct.
            sku_id: "c5928f49-12ba-48f7-ada3-0d743a3601d5".to_owned(),
            part_number: "VISIOCLIENT".to_owned(),
            capability_status: "Suspended".to_owned(),
            enabled: 0,
            warning: 0,
            suspended: 5,
            consumed: 0,
        });
    }

    let teams_share = rng.random_range(0.55..0.9);
    let active_30d = (consumed as f64 * rng.random_range(0.8..1.0)).round() as u32;
    let app_users = (0..consumed)
        .map(|index| {
            let active = index < active_30d;
            let odds = [0.9, 0.7, 0.6, 0.4, 0.2, teams_share];
            let mut apps = [false; 6];
            for (slot, p) in apps.iter_mut().zip(odds) {
                *slot = active && rng.random_bool(p);
            }
            if active && !apps.iter().any(|a| *a) {
                apps[0] = true;
            }
            AppUser { index, apps }
        })
        .collect();

    let serial_owner = owner
        .hubspot_id
        .map(str::to_owned)
        .unwrap_or_else(|| format!("m365-only-{tenant_id}"));
    let device_count = rng.random_range(2..=30usize);
    let mut devices = Vec::new();
    for index in 0..device_count + 2 {
        // Devices past the company's count are Intune-only (NinjaOne does not manage them); some of
        // the company's are missing from Intune.
        if index < device_count && rng.random_bool(0.1) {
            continue;
        }
        let mut serial = serial_of(&serial_owner, index);
        if rng.random_bool(0.15) {
            serial = serial.to_ascii_lowercase();
        }
        devices.push(DeviceModel {
            id: guid(rng),
            device_name: format!("{}-PC{index:03}", slug(&owner.name).to_ascii_uppercase()),
            serial_number: serial,
        });
    }
    if rng.random_bool(0.3) {
        let placeholder = PLACEHOLDER_SERIALS[rng.random_range(0..PLACEHOLDER_SERIALS.len())];
        devices.push(DeviceModel {
            id: guid(rng),
            device_name: format!("{}-VM", slug(&owner.name).to_ascii_uppercase()),
            serial_number: placeholder.to_owned(),
        });
    }

    TenantModel {
        tenant_id,
        hubspot_id: owner.hubspot_id.map(str::to_owned),
        display_name: owner.name,
        domains,
        initial_domain,
        concealed_names,
        story,
        skus,
        devices,
        app_users,
        licensed_users: consumed.max(1),
        teams_share,
        noise_seed: rng.random(),
    }
}

/// The tenants: one per company present on Microsoft 365 (some companies are absent), named like
/// the company or a variant of it, then the extra tenants no company owns.
pub fn generate(config: &SandboxConfig) -> Vec<TenantModel> {
    let mut rng = StdRng::seed_from_u64(config.seed ^ 0x3650_3650);
    let mut tenants = Vec::new();
    for (i, company) in config.companies.iter().enumerate() {
        // Every eighth company (not the first) has no tenant.
        if i % 8 == 7 {
            continue;
        }
        let name = match rng.random_range(0..100) {
            0..12 => format!("{} Ltd", company.name),
            12..18 => format!("{} GmbH", company.name),
            18..22 => company.name.replace(' ', ""),
            _ => company.name.clone(),
        };
        // Some tenants never added their custom domain.
        let domain = if rng.random_bool(0.08) {
            None
        } else {
            company.domain.clone()
        };
        let owner = Owner {
            hubspot_id: Some(&company.hubspot_id),
            name,
            domain,
        };
        tenants.push(tenant(&mut rng, owner, tenants.len()));
    }
    for extra in 0..config.extra_tenants {
        let name = format!("Contoso Branch {}", extra + 1);
        let owner = Owner {
            hubspot_id: None,
            domain: Some(format!("{}.example", slug(&name))),
            name,
        };
        tenants.push(tenant(&mut rng, owner, tenants.len()));
    }
    tenants
}
