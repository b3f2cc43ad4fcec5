use crate::{get_json, sandbox, token};
use std::collections::BTreeSet;

#[tokio::test]
async fn organization_lists_the_verified_domains_with_the_initial_one() {
    let sandbox = sandbox(6).await;
    for truth in sandbox.truth() {
        let token = token(&sandbox, &truth.external_id).await;
        let (status, body) = get_json(&sandbox, &token, "/organization").await;
        assert_eq!(status, 200);
        let org = &body["value"][0];
        assert_eq!(org["displayName"], truth.display_name.as_str());
        let domains = org["verifiedDomains"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let initial: Vec<&str> = domains
            .iter()
            .filter(|d| d["isInitial"] == true)
            .filter_map(|d| d["name"].as_str())
            .collect();
        assert_eq!(initial, vec![truth.initial_domain.as_str()]);
        assert!(truth.initial_domain.ends_with(".onmicrosoft.com"));
        let custom: Vec<&str> = domains
            .iter()
            .filter(|d| d["isInitial"] == false)
            .filter_map(|d| d["name"].as_str())
            .collect();
        assert_eq!(
            custom,
            truth
                .verified_domains
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
        );
    }
}

#[tokio::test]
async fn subscribed_skus_and_report_settings_follow_the_documented_shapes() {
    let sandbox = sandbox(8).await;
    let mut concealed = BTreeSet::new();
    for truth in sandbox.truth() {
        let token = token(&sandbox, &truth.external_id).await;
        let (_, skus) = get_json(&sandbox, &token, "/subscribedSkus").await;
        let skus = skus["value"].as_array().cloned().unwrap_or_default();
        assert_eq!(skus.len(), truth.skus.len());
        for (wire, sku) in skus.iter().zip(&truth.skus) {
            assert_eq!(wire["skuId"], sku.sku_id.as_str());
            assert_eq!(wire["skuPartNumber"], sku.part_number.as_str());
            assert_eq!(wire["consumedUnits"], sku.consumed);
            assert_eq!(wire["prepaidUnits"]["enabled"], sku.enabled);
            assert_eq!(wire["prepaidUnits"]["warning"], sku.warning);
            assert_eq!(wire["prepaidUnits"]["suspended"], sku.suspended);
            assert_eq!(
                wire["id"],
                format!("{}_{}", truth.external_id, sku.sku_id).as_str()
            );
        }
        let (_, settings) = get_json(&sandbox, &token, "/admin/reportSettings").await;
        assert_eq!(settings["displayConcealedNames"], truth.names_concealed);
        concealed.insert(truth.names_concealed);
    }
    assert_eq!(
        concealed.len(),
        2,
        "some tenants conceal names, others do not"
    );
}

#[tokio::test]
async fn managed_devices_page_with_next_links_and_carry_the_shared_serial_formula() {
    let sandbox = sandbox(6).await;
    let truth = sandbox
        .truth()
        .into_iter()
        .filter(|t| t.hubspot_id.is_some())
        .max_by_key(|t| t.device_serials.len())
        .expect("tenants");
    let token = token(&sandbox, &truth.external_id).await;
    let mut url = "/deviceManagement/managedDevices?$top=5".to_owned();
    let mut serials = BTreeSet::new();
    let mut pages = 0;
    loop {
        let (status, body) = get_json(&sandbox, &token, &url).await;
        assert_eq!(status, 200);
        pages += 1;
        for device in body["value"].as_array().cloned().unwrap_or_default() {
            serials.insert(
                device["serialNumber"]
                    .as_str()
                    .unwrap_or_default()
                    .to_uppercase(),
            );
        }
        match body["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    assert!(pages > 1, "several pages of 5");
    for serial in &truth.device_serials {
        assert!(serials.contains(serial), "{serial} listed");
    }
    let hubspot_id = truth.hubspot_id.clone().expect("a company's tenant");
    let formula: BTreeSet<String> = (0..40)
        .map(|i| m365_sandbox::serial_of(&hubspot_id, i))
        .collect();
    assert!(
        truth
            .device_serials
            .iter()
            .filter(|s| formula.contains(*s))
            .count()
            >= truth.device_serials.len() / 2,
        "the company's serials follow serial_of(hubspot_id, index)"
    );
}
