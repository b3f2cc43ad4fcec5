//! Reading objects: list paging, requested properties, embedded associations, batch read, v4 associations.

use super::*;

#[tokio::test]
async fn paging_walks_every_record_exactly_once() {
    let sandbox = Sandbox::start(fast(SandboxConfig::small(5)))
        .await
        .expect("starts");
    for object_type in [
        "companies",
        "contacts",
        "deals",
        "tickets",
        "calls",
        "emails",
        "meetings",
        "notes",
        "tasks",
    ] {
        let expected: Vec<String> = sandbox
            .records(object_type)
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert!(!expected.is_empty(), "{object_type} generated");
        let (records, pages) = walk(&sandbox, object_type, "limit=7").await;
        let ids: Vec<String> = records
            .iter()
            .map(|r| r["id"].as_str().expect("id").to_owned())
            .collect();
        assert_eq!(
            ids, expected,
            "{object_type}: every record once, in id order"
        );
        assert_eq!(
            pages,
            expected.len().div_ceil(7),
            "{object_type}: no empty trailing page"
        );
    }
}

#[tokio::test]
async fn list_returns_requested_properties_and_embedded_associations() {
    let sandbox = Sandbox::start(fast(SandboxConfig::small(6)))
        .await
        .expect("starts");
    let (records, _) = walk(
        &sandbox,
        "contacts",
        "limit=100&properties=email,hs_email_replied,no_such_property&associations=companies",
    )
    .await;
    let portal: Vec<_> = sandbox.records("contacts");
    assert_eq!(records.len(), portal.len());
    for (served, held) in records.iter().zip(&portal) {
        let props = served["properties"].as_object().expect("properties");
        assert_eq!(
            props.get("email").and_then(Value::as_str),
            held.properties.get("email").cloned().flatten().as_deref()
        );
        assert!(props.contains_key("lastmodifieddate") && props.contains_key("hs_object_id"));
        assert!(!props.contains_key("no_such_property") && !props.contains_key("firstname"));
        assert!(served["createdAt"]
            .as_str()
            .is_some_and(|d| d.ends_with('Z')));
        let embedded: Vec<String> = served["associations"]["companies"]["results"]
            .as_array()
            .map(|links| {
                links
                    .iter()
                    .inspect(|l| assert_eq!(l["type"], "contact_to_company"))
                    .map(|l| l["id"].as_str().expect("id").to_owned())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            embedded,
            sandbox.associations("contacts", &held.id, "companies")
        );
    }
    let too_big = get(
        &sandbox,
        &sandbox.private_app_token(),
        "/crm/v3/objects/contacts?limit=101",
    )
    .await;
    assert_eq!(too_big.status(), StatusCode::BAD_REQUEST);
    assert_eq!(body(too_big).await["category"], "VALIDATION_ERROR");
}

#[tokio::test]
async fn batch_read_and_v4_associations_follow_the_portal() {
    let sandbox = Sandbox::start(fast(SandboxConfig::small(8)))
        .await
        .expect("starts");
    let token = sandbox.private_app_token();
    let deals = sandbox.records("deals");
    let wanted: Vec<&str> = deals.iter().take(3).map(|d| d.id.as_str()).collect();
    let ok = post(
        &sandbox,
        &token,
        "/crm/v3/objects/deals/batch/read",
        &json!({"inputs": wanted.iter().map(|id| json!({"id": id})).collect::<Vec<_>>(), "properties": ["amount"]}),
    )
    .await;
    assert_eq!(ok.status(), StatusCode::OK);
    let ok = body(ok).await;
    let got: BTreeSet<&str> = ok["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(got, wanted.iter().copied().collect());

    let partial = post(
        &sandbox,
        &token,
        "/crm/v3/objects/deals/batch/read",
        &json!({"inputs": [{"id": wanted[0]}, {"id": "999"}]}),
    )
    .await;
    assert_eq!(partial.status(), StatusCode::MULTI_STATUS);
    let partial = body(partial).await;
    assert_eq!(partial["numErrors"], 1);
    assert_eq!(partial["errors"][0]["context"]["ids"], json!(["999"]));
    assert_eq!(partial["results"].as_array().map(Vec::len), Some(1));

    let contacts = sandbox.records("contacts");
    let inputs: Vec<Value> = contacts.iter().map(|c| json!({"id": c.id})).collect();
    let links = post(
        &sandbox,
        &token,
        "/crm/v4/associations/contacts/companies/batch/read",
        &json!({"inputs": inputs}),
    )
    .await;
    assert!(links.status() == StatusCode::OK || links.status() == StatusCode::MULTI_STATUS);
    let links = body(links).await;
    let mut seen = 0;
    for result in links["results"].as_array().expect("results") {
        let from = result["from"]["id"].as_str().expect("from id");
        let to: Vec<String> = result["to"]
            .as_array()
            .expect("to")
            .iter()
            .map(|t| {
                t["toObjectId"]
                    .as_u64()
                    .expect("numeric toObjectId")
                    .to_string()
            })
            .collect();
        assert_eq!(to, sandbox.associations("contacts", from, "companies"));
        assert!(result["to"][0]["associationTypes"]
            .as_array()
            .is_some_and(|t| !t.is_empty()));
        seen += 1;
    }
    let without = contacts
        .iter()
        .filter(|c| {
            sandbox
                .associations("contacts", &c.id, "companies")
                .is_empty()
        })
        .count();
    assert_eq!(seen + without, contacts.len());
    assert_eq!(links["errors"].as_array().map_or(0, Vec::len), without);
}
