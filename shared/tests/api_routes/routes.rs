//! Routing itself: unknown routes, open routes and the OpenAPI document.

use super::*;

#[tokio::test]
async fn unknown_routes_and_wrong_methods_are_problems() {
    let api = TestApi::new();
    let problem = api
        .get("/v1/nothing-here")
        .await
        .problem(StatusCode::NOT_FOUND);
    assert_eq!(problem["type"], "/problems/route-not-found");
    let problem = api
        .call("DELETE", "/v1/insights/ins-x", Some(TENANT_A), None)
        .await
        .problem(StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(problem["type"], "/problems/method-not-allowed");
    api.call("POST", "/v1/overview", Some(TENANT_A), None)
        .await
        .problem(StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn health_and_dashboard_need_no_credentials() {
    let api = TestApi::new();
    let health = api.call("GET", "/health", None, None).await.ok();
    assert_eq!(health["status"], "ok");
    let page = api.call("GET", "/", None, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.content_type().starts_with("text/html"));
    assert!(String::from_utf8_lossy(&page.body).contains("<html"));
}

/// Every route in the table is in the document with the same method, and the document has no
/// other; and each documented operation is answered by the router (not a 404 or 405 of routing).
#[tokio::test]
async fn the_openapi_document_matches_the_served_routes() {
    let api = TestApi::new();
    let reply = api.call("GET", "/openapi.json", None, None).await;
    let document = reply.ok();
    assert_eq!(document["openapi"], "3.1.0");

    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in item.as_object().unwrap().keys() {
            if [
                "get", "put", "post", "delete", "patch", "head", "options", "trace",
            ]
            .contains(&method.as_str())
            {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let served: BTreeSet<(String, String)> = shared::api::routes::table()
        .iter()
        .map(|route| (route.method.to_string(), route.path.to_string()))
        .collect();
    assert_eq!(documented, served);

    for (method, path) in &served {
        let concrete = path.replace("{id}", "some-id");
        let reply = api
            .call(method, &concrete, Some(TENANT_A), Some(json!({})))
            .await;
        if reply.status == StatusCode::NOT_FOUND || reply.status == StatusCode::METHOD_NOT_ALLOWED {
            let problem = reply.json();
            assert_ne!(
                problem["type"], "/problems/route-not-found",
                "{method} {path}"
            );
            assert_ne!(
                problem["type"], "/problems/method-not-allowed",
                "{method} {path}"
            );
        }
    }

    // The schemas the responses name are in the document.
    let schemas = document["components"]["schemas"]
        .as_object()
        .expect("schemas");
    for name in [
        "Problem",
        "Insight",
        "InsightPage",
        "HealthScore",
        "Overview",
        "SyncRun",
        "SettingsView",
    ] {
        assert!(schemas.contains_key(name), "{name} missing");
    }
    let bearer = &document["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["scheme"], "bearer");
}
