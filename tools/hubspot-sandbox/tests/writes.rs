//! The write endpoints as HubSpot documents them: property groups and properties (409 on a taken
//! name, 400 on a bad definition), batch update (100 inputs at most, 207 per-input failures, values
//! checked against the property's type), tasks with inline associations, and 403 MISSING_SCOPES.

use hubspot_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

async fn post(sandbox: &Sandbox, path: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", sandbox.base_url()))
        .bearer_auth(sandbox.private_app_token())
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn property(name: &str, kind: &str, field: &str) -> Value {
    json!({"name": name, "label": name, "type": kind, "fieldType": field, "groupName": "ci"})
}

#[tokio::test]
async fn properties_are_created_once_and_checked() {
    let sandbox = Sandbox::start(SandboxConfig::small(3)).await.unwrap();
    let groups = "/crm/v3/properties/companies/groups";
    let (status, _) = post(&sandbox, groups, json!({"name": "ci", "label": "CI"})).await;
    assert_eq!(status, 201);
    let (status, body) = post(&sandbox, groups, json!({"name": "ci", "label": "CI"})).await;
    assert_eq!(
        (status, body["category"].as_str()),
        (409, Some("OBJECT_ALREADY_EXISTS"))
    );

    let path = "/crm/v3/properties/companies";
    assert_eq!(
        post(&sandbox, path, property("ci_score", "number", "number"))
            .await
            .0,
        201
    );
    let (status, body) = post(&sandbox, path, property("ci_score", "number", "number")).await;
    assert_eq!(
        (status, body["category"].as_str()),
        (409, Some("OBJECT_ALREADY_EXISTS"))
    );
    assert_eq!(
        post(&sandbox, path, property("name", "string", "text"))
            .await
            .0,
        409
    );
    let (status, body) = post(&sandbox, path, property("ci_bad", "number", "select")).await;
    assert_eq!(
        (status, body["category"].as_str()),
        (400, Some("VALIDATION_ERROR"))
    );
    assert_eq!(
        post(&sandbox, path, property("Bad Name", "string", "text"))
            .await
            .0,
        400
    );
    assert_eq!(
        post(&sandbox, path, property("ci_enum", "enumeration", "select"))
            .await
            .0,
        400
    );
    assert_eq!(sandbox.custom_properties("companies").len(), 1);
}

#[tokio::test]
async fn batch_update_applies_values_and_reports_per_input_failures() {
    let sandbox = Sandbox::start(SandboxConfig::small(3)).await.unwrap();
    let groups = "/crm/v3/properties/companies/groups";
    post(&sandbox, groups, json!({"name": "ci", "label": "CI"})).await;
    post(
        &sandbox,
        "/crm/v3/properties/companies",
        property("ci_score", "number", "number"),
    )
    .await;
    let ids: Vec<String> = sandbox
        .records("companies")
        .iter()
        .map(|c| c.id.clone())
        .collect();
    let path = "/crm/v3/objects/companies/batch/update";

    let input = |id: &str, value: &str| json!({"id": id, "properties": {"ci_score": value}});
    let too_many: Vec<Value> = (0..101).map(|_| input(&ids[0], "1")).collect();
    assert_eq!(
        post(&sandbox, path, json!({"inputs": too_many})).await.0,
        400
    );
    let (status, body) = post(&sandbox, path, json!({"inputs": [input(&ids[0], "lots")]})).await;
    assert_eq!(
        (status, body["category"].as_str()),
        (400, Some("VALIDATION_ERROR"))
    );
    let unknown = json!({"inputs": [{"id": ids[0], "properties": {"ci_nope": "1"}}]});
    assert_eq!(post(&sandbox, path, unknown).await.0, 400);

    sandbox.fail_next_update_of(&[&ids[1]]);
    let (status, body) = post(
        &sandbox,
        path,
        json!({"inputs": [input(&ids[0], "70"), input(&ids[1], "20"), input("999", "5")]}),
    )
    .await;
    assert_eq!(status, 207);
    assert_eq!(body["results"].as_array().unwrap().len(), 1);
    assert_eq!(body["numErrors"], 2);
    let value = |id: &str| {
        sandbox
            .records("companies")
            .into_iter()
            .find(|c| c.id == id)
            .and_then(|c| c.properties.get("ci_score").cloned().flatten())
    };
    assert_eq!(value(&ids[0]).as_deref(), Some("70"));
    assert_eq!(value(&ids[1]), None, "the failed input changed nothing");
    let (status, _) = post(&sandbox, path, json!({"inputs": [input(&ids[1], "20")]})).await;
    assert_eq!(status, 200, "it fails once only");
    assert_eq!(value(&ids[1]).as_deref(), Some("20"));
}

#[tokio::test]
async fn tasks_are_created_on_the_company_for_a_known_owner_and_patched() {
    let sandbox = Sandbox::start(SandboxConfig::small(3)).await.unwrap();
    let company = sandbox.records("companies")[0].id.clone();
    let owner = sandbox.owners()[0].id.clone();
    let task = |owner: &str| {
        json!({
            "properties": {"hs_timestamp": "1767225600000", "hs_task_subject": "Call them",
                "hs_task_status": "NOT_STARTED", "hs_task_priority": "HIGH", "hubspot_owner_id": owner},
            "associations": [{"to": {"id": company},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 192}]}],
        })
    };
    assert_eq!(
        post(&sandbox, "/crm/v3/objects/tasks", task("123")).await.0,
        400,
        "unknown owner"
    );
    let (status, body) = post(&sandbox, "/crm/v3/objects/tasks", task(&owner)).await;
    assert_eq!(status, 201);
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        sandbox.associations("tasks", &id, "companies"),
        vec![company.clone()]
    );

    let response = reqwest::Client::new()
        .patch(format!("{}/crm/v3/objects/tasks/{id}", sandbox.base_url()))
        .bearer_auth(sandbox.private_app_token())
        .json(&json!({"properties": {"hs_task_status": "COMPLETED"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let stored = sandbox
        .records("tasks")
        .into_iter()
        .find(|t| t.id == id)
        .unwrap();
    assert_eq!(
        stored
            .properties
            .get("hs_task_status")
            .cloned()
            .flatten()
            .as_deref(),
        Some("COMPLETED")
    );
}

#[tokio::test]
async fn writes_without_the_write_scopes_are_refused_with_missing_scopes() {
    let sandbox = Sandbox::start(SandboxConfig::small(3)).await.unwrap();
    sandbox.refuse_write_scopes(true);
    let (status, body) = post(
        &sandbox,
        "/crm/v3/properties/companies/groups",
        json!({"name": "ci", "label": "CI"}),
    )
    .await;
    assert_eq!(
        (status, body["category"].as_str()),
        (403, Some("MISSING_SCOPES"))
    );
    assert_eq!(
        body["errors"][0]["context"]["requiredGranularScopes"][0],
        "crm.schemas.companies.write"
    );
    // Reading is still allowed, and token info leaves the write scopes out.
    let tokens = sandbox.issue_oauth_tokens();
    let info: Value = reqwest::get(format!(
        "{}/oauth/v1/access-tokens/{}",
        sandbox.base_url(),
        tokens.access_token
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let scopes: Vec<&str> = info["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(scopes.contains(&"crm.objects.companies.read"));
    assert!(!scopes.contains(&"crm.objects.companies.write"));
    sandbox.refuse_write_scopes(false);
    let granted = sandbox.issue_oauth_tokens();
    let info: Value = reqwest::get(format!(
        "{}/oauth/v1/access-tokens/{}",
        sandbox.base_url(),
        granted.access_token
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert!(info["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s == "crm.objects.companies.write"));
}
