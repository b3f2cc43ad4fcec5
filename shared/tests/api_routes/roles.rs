//! Roles: every operation of the route table, called with every role (and none), answers as the
//! table says: 401 without credentials, 403 naming both roles below the one it needs, and never
//! either from the required role up. The OpenAPI document states the same role for each.

use super::*;
use shared::api::Access;
use shared::domain::Role;

/// The callers of the walk: no credentials, no role claim (a viewer), then each role.
const CALLERS: [(Option<&str>, Option<&str>); 5] = [
    (None, None),
    (Some(TENANT_A), None),
    (Some(TENANT_A), Some("viewer")),
    (Some(TENANT_A), Some("editor")),
    (Some(TENANT_A), Some("admin")),
];

fn role_of(role: Option<&str>) -> Role {
    role.and_then(Role::parse).unwrap_or(Role::Viewer)
}

#[tokio::test]
async fn every_operation_answers_every_role_as_the_table_says() {
    let table = shared::api::routes::table();
    let mut walked = 0;
    for route in &table {
        let path = route
            .path
            .replace("{id}", "some-id")
            .replace("{tenant_id}", "8f2a6c1e-1b7d-4e7a-9c1d-2f6b3a4c5d6e");
        for (tenant, role) in CALLERS {
            // A fresh API each time: an allowed call may change what the next one sees.
            let api = TestApi::new();
            seed(&api).await;
            let reply = api
                .call_as(route.method.as_str(), &path, tenant, role, Some(json!({})))
                .await;
            let what = format!("{} {} as {tenant:?}/{role:?}", route.method, route.path);
            match route.access {
                Access::Public => {
                    assert_ne!(reply.status, StatusCode::UNAUTHORIZED, "{what}");
                    assert_ne!(reply.status, StatusCode::FORBIDDEN, "{what}");
                }
                Access::AtLeast(required) => match tenant {
                    None => {
                        let problem = reply.problem(StatusCode::UNAUTHORIZED);
                        assert_eq!(problem["type"], "/problems/unauthenticated", "{what}");
                    }
                    Some(_) if !role_of(role).allows(required) => {
                        let problem = reply.problem(StatusCode::FORBIDDEN);
                        assert_eq!(problem["type"], "/problems/forbidden", "{what}");
                        assert_eq!(problem["required_role"], required.name(), "{what}");
                        assert_eq!(problem["role"], role_of(role).name(), "{what}");
                        assert!(
                            problem["detail"]
                                .as_str()
                                .is_some_and(|d| d.contains(required.name())),
                            "{what}: {problem}"
                        );
                    }
                    Some(_) => {
                        assert_ne!(reply.status, StatusCode::UNAUTHORIZED, "{what}");
                        assert_ne!(reply.status, StatusCode::FORBIDDEN, "{what}");
                    }
                },
            }
            walked += 1;
        }
    }
    assert_eq!(walked, table.len() * CALLERS.len());
}

#[tokio::test]
async fn the_openapi_document_states_each_operations_role_from_the_table() {
    let api = TestApi::new();
    let document = api.call("GET", "/openapi.json", None, None).await.ok();
    for route in shared::api::routes::table() {
        let method = route.method.as_str().to_lowercase();
        let operation = &document["paths"][route.path][&method];
        let what = format!("{} {}", route.method, route.path);
        let description = operation["description"].as_str().unwrap_or_default();
        match route.access {
            Access::Public => {
                assert!(operation.get("x-required-role").is_none(), "{what}");
                assert!(description.ends_with("Needs no sign-in."), "{what}");
            }
            Access::AtLeast(role) => {
                assert_eq!(operation["x-required-role"], role.name(), "{what}");
                assert!(
                    description.ends_with(&format!("Needs the `{role}` role or a higher one.")),
                    "{what}: {description}"
                );
                assert_eq!(
                    operation["responses"].get("403").is_some(),
                    role > Role::Viewer,
                    "{what}: a 403 is documented exactly where a signed-in caller can get one"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_roles_the_brief_names_hold() {
    let access = |method: &str, path: &str| {
        shared::api::routes::table()
            .into_iter()
            .find(|r| r.method.as_str() == method && r.path == path)
            .map(|r| r.access)
            .unwrap_or_else(|| panic!("no route {method} {path}"))
    };
    let at_least = Access::AtLeast;
    assert_eq!(access("GET", "/v1/overview"), at_least(Role::Viewer));
    assert_eq!(access("PATCH", "/v1/insights/{id}"), at_least(Role::Editor));
    assert_eq!(access("PUT", "/v1/correlations"), at_least(Role::Editor));
    assert_eq!(access("POST", "/v1/sync"), at_least(Role::Editor));
    assert_eq!(
        access("PUT", "/v1/clients/{id}/snooze"),
        at_least(Role::Editor)
    );
    assert_eq!(access("PUT", "/v1/settings"), at_least(Role::Admin));
    assert_eq!(access("POST", "/v1/connections"), at_least(Role::Admin));
    assert_eq!(
        access("DELETE", "/v1/alert-rules/{id}"),
        at_least(Role::Admin)
    );
    assert_eq!(access("GET", "/v1/audit"), at_least(Role::Editor));
    assert_eq!(access("GET", "/oauth/install"), Access::Public);
}

#[tokio::test]
async fn an_unknown_role_is_a_viewer_and_the_role_claim_is_configurable() {
    let api = TestApi::new();
    seed(&api).await;
    let patch = json!({"status": "acknowledged"});
    let path = "/v1/insights/ins-c-critical-inactive_client";
    let problem = api
        .call_as(
            "PATCH",
            path,
            Some(TENANT_A),
            Some("owner"),
            Some(patch.clone()),
        )
        .await
        .problem(StatusCode::FORBIDDEN);
    assert_eq!(problem["role"], "viewer");
    assert_eq!(problem["required_role"], "editor");
    // Case and spaces do not matter.
    api.call_as(
        "PATCH",
        path,
        Some(TENANT_A),
        Some(" Editor "),
        Some(patch.clone()),
    )
    .await
    .ok();

    // Another claim name: `role` alone no longer counts.
    let api = TestApi::with_authenticator(
        Authenticator::api_gateway("tenant_id").with_role_claim("custom:role"),
    );
    seed(&api).await;
    api.call_as(
        "PATCH",
        path,
        Some(TENANT_A),
        Some("admin"),
        Some(patch.clone()),
    )
    .await
    .problem(StatusCode::FORBIDDEN);
    let mut event: Value = serde_json::from_str(&fixture("apigw-patch-insight.json")).unwrap();
    event["rawPath"] = json!(path);
    event["requestContext"]["http"]["path"] = json!(path);
    event["requestContext"]["authorizer"]["jwt"]["claims"]["tenant_id"] = json!(TENANT_A);
    event["requestContext"]["authorizer"]["jwt"]["claims"]["custom:role"] = json!("editor");
    let request = lambda_http::request::from_str(&event.to_string()).unwrap();
    let reply = api.send(request).await;
    assert_eq!(reply.ok()["status"], "acknowledged");
}
