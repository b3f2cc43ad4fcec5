//! The API's published contract: `/openapi.json` is a valid OpenAPI 3.1 document whose every `$ref`
//! resolves, and the router answers only what the document says, with problem bodies for errors.
//!
//! The validator is the OpenAPI Initiative's own JSON Schema of OAS 3.1
//! (`https://spec.openapis.org/oas/3.1/schema/2022-10-07`, Apache-2.0, as shipped in PyPI's
//! `openapi-spec-validator`), kept in `api_support/oas-3.1-schema.json` and run by the `jsonschema`
//! crate (draft 2020-12). That schema leaves Schema Objects to JSON Schema itself, so each of them is
//! also checked against the draft 2020-12 meta-schema, and a walk resolves every `$ref`: together
//! they catch what client generators trip on (a dangling `ScoreSort` was one).

mod api_support;

use api_support::{assert_problem, now, tenant, tenant_id, Api, Reply, TENANT, TOKEN};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use proptest::prelude::*;
use serde_json::Value;
use shared::api::{MAX_BODY_BYTES, MAX_URI_BYTES};
use shared::domain::{SyncId, SyncMode, SyncRun, SyncStatus, SyncTrigger};
use shared::ports::{SyncStore, TenantStore};
use std::collections::{BTreeMap, BTreeSet};

const OAS_31_SCHEMA: &str = include_str!("api_support/oas-3.1-schema.json");
const SYNC_ID: &str = "20261126T090000000Z-0000abcd";

fn document() -> Value {
    serde_json::from_str(&shared::api::openapi::document_json()).expect("the document is JSON")
}

#[test]
fn the_document_validates_against_the_openapi_3_1_schema() {
    let schema: Value = serde_json::from_str(OAS_31_SCHEMA).unwrap();
    let validator = jsonschema::draft202012::new(&schema).expect("the OAS 3.1 schema compiles");
    let document = document();
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // The validator is not a rubber stamp: a document missing `info` is refused.
    let mut broken = document.clone();
    broken.as_object_mut().unwrap().remove("info");
    assert!(!validator.is_valid(&broken));
}

/// Every Schema Object (components and inline) is valid JSON Schema 2020-12, the dialect OAS 3.1
/// uses.
#[test]
fn every_schema_object_is_valid_json_schema_2020_12() {
    let meta = serde_json::json!({"$ref": "https://json-schema.org/draft/2020-12/schema"});
    let validator = jsonschema::draft202012::new(&meta).expect("the meta-schema is bundled");
    let document = document();
    let mut schemas = Vec::new();
    if let Some(components) = document["components"]["schemas"].as_object() {
        schemas.extend(
            components
                .iter()
                .map(|(name, s)| (format!("#/components/schemas/{name}"), s)),
        );
    }
    collect_inline_schemas(&document["paths"], "#/paths".to_string(), &mut schemas);
    assert!(schemas.len() > 20, "only {} schemas found", schemas.len());
    for (pointer, schema) in schemas {
        let errors: Vec<String> = validator
            .iter_errors(schema)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{pointer}: {errors:?}");
    }
}

fn collect_inline_schemas<'a>(value: &'a Value, at: String, out: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let pointer = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                if key == "schema" {
                    out.push((pointer.clone(), child));
                }
                collect_inline_schemas(child, pointer, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect_inline_schemas(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Every `$ref` in the document points at something in it.
#[test]
fn every_ref_resolves() {
    let document = document();
    let mut refs = Vec::new();
    collect_refs(&document, &mut refs);
    assert!(
        refs.iter().any(|r| r == "#/components/schemas/ScoreSort"),
        "the sort parameter names its schema"
    );
    let dangling: BTreeSet<&String> = refs
        .iter()
        .filter(|r| resolve(&document, r).is_none())
        .collect();
    assert!(dangling.is_empty(), "dangling $refs: {dangling:?}");
    assert!(resolve(&document, "#/components/schemas/NoSuchSchema").is_none());
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("$ref", Value::String(target)) => out.push(target.clone()),
                    _ => collect_refs(child, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|child| collect_refs(child, out)),
        _ => {}
    }
}

fn resolve<'a>(document: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    let decoded = pointer
        .split('/')
        .map(|part| part.replace("~1", "/").replace("~0", "~"))
        .collect::<Vec<_>>()
        .join("/");
    // Only references inside the document: a client generator has nothing else to read.
    document.pointer(&decoded)
}

/// The statuses the document lists for each operation, `(METHOD, path template)`.
fn documented_statuses() -> BTreeMap<(Method, String), BTreeSet<u16>> {
    let document = document();
    let mut statuses = BTreeMap::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            let codes = operation["responses"]
                .as_object()
                .map(|responses| {
                    responses
                        .keys()
                        .filter_map(|code| code.parse::<u16>().ok())
                        .collect()
                })
                .unwrap_or_default();
            statuses.insert((method, path.clone()), codes);
        }
    }
    statuses
}

#[test]
fn the_statuses_found_by_hand_are_documented() {
    let documented = documented_statuses();
    let has = |method: Method, path: &str, status: u16| {
        documented
            .get(&(method.clone(), path.to_string()))
            .is_some_and(|codes| codes.contains(&status))
    };
    assert!(has(Method::GET, "/v1/insights/{id}", 400));
    assert!(has(Method::GET, "/v1/sync-runs/{id}", 400));
    assert!(has(Method::PATCH, "/v1/insights/{id}", 415));
    assert!(has(Method::PATCH, "/v1/insights/{id}", 413));
    assert!(has(Method::POST, "/v1/insights/bulk", 413));
    assert!(has(Method::POST, "/v1/insights/bulk", 415));
    assert!(has(Method::PUT, "/v1/settings", 413));
    assert!(has(Method::POST, "/v1/sync", 415));
    assert!(has(Method::POST, "/v1/sync", 409));
    assert!(has(Method::GET, "/oauth/install", 503));
    assert!(has(Method::POST, "/v1/connections", 201));
    assert!(has(Method::POST, "/v1/connections", 422));
    assert!(has(Method::POST, "/v1/connections", 503));
    assert!(has(Method::POST, "/v1/connections/{id}/pause", 404));
    assert!(has(Method::DELETE, "/v1/connections/{id}", 204));
    assert!(has(Method::DELETE, "/v1/connections/{id}", 409));
    assert!(has(
        Method::POST,
        "/v1/connections/{id}/customer-tenants",
        409
    ));
    assert!(has(
        Method::POST,
        "/v1/connections/{id}/customer-tenants",
        413
    ));
    assert!(has(
        Method::DELETE,
        "/v1/connections/{id}/customer-tenants/{tenant_id}",
        200
    ));
    assert!(has(Method::POST, "/v1/connections/{id}/consent-links", 201));
    assert!(has(Method::POST, "/v1/connections/{id}/consent-links", 415));
    assert!(has(Method::GET, "/oauth/m365/callback", 400));
    for (operation, codes) in &documented {
        assert!(codes.contains(&414), "{operation:?} lacks 414");
    }
}

#[tokio::test]
async fn a_uri_over_the_limit_is_a_414_problem() {
    let api = Api::new();
    let long = format!("/v1/insights?cursor={}", "a".repeat(MAX_URI_BYTES));
    let problem = api
        .call("GET", &long, None)
        .await
        .problem(StatusCode::URI_TOO_LONG);
    assert_eq!(problem["type"], "/problems/uri-too-long");
    // Unknown routes are measured too: the limit comes before routing.
    let long = format!("/{}", "x".repeat(MAX_URI_BYTES + 1));
    api.call("GET", &long, None)
        .await
        .problem(StatusCode::URI_TOO_LONG);
    // Just under the limit is read (and refused for what it says, not its length).
    let fits = format!("/v1/insights?cursor={}", "a".repeat(MAX_URI_BYTES - 40));
    let reply = api.call("GET", &fits, None).await;
    assert_ne!(reply.status, StatusCode::URI_TOO_LONG);
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_problem_on_every_body_route() {
    let api = seeded().await;
    // 10 MB, as the fuzzer sent: valid JSON, so only its size is wrong.
    let huge = format!(
        "{{\"status\":\"open\",\"pad\":\"{}\"}}",
        "x".repeat(10 << 20)
    );
    for (method, path) in [
        ("PATCH", "/v1/insights/some-id"),
        ("POST", "/v1/insights/bulk"),
        ("PUT", "/v1/settings"),
        ("POST", "/v1/sync"),
        ("POST", "/v1/connections"),
        ("POST", "/v1/connections/m365-0a1b2c3d/customer-tenants"),
        ("POST", "/v1/connections/m365-0a1b2c3d/consent-links"),
    ] {
        let problem = api
            .call(method, path, Some(&huge))
            .await
            .problem(StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(problem["type"], "/problems/bad-body", "{method} {path}");
    }
    let just_over = "x".repeat(MAX_BODY_BYTES + 1);
    api.call("PUT", "/v1/settings", Some(&just_over))
        .await
        .problem(StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn malformed_ids_are_400_problems_naming_the_id() {
    let api = seeded().await;
    for path in [
        "/v1/insights/bad%20id",
        "/v1/sync-runs/bad%20id",
        "/v1/clients/bad%20id",
    ] {
        let problem = api
            .call("GET", path, None)
            .await
            .problem(StatusCode::BAD_REQUEST);
        assert_eq!(problem["parameter"], "id", "{path}");
    }
    for (method, path) in [
        ("POST", "/v1/connections/bad%20id/pause"),
        ("POST", "/v1/connections/bad%20id/resume"),
        ("DELETE", "/v1/connections/bad%20id"),
        (
            "DELETE",
            "/v1/connections/bad%20id/customer-tenants/6f1c2d3e-0000-4000-8000-00000000ab12",
        ),
    ] {
        let problem = api
            .call(method, path, None)
            .await
            .problem(StatusCode::BAD_REQUEST);
        assert_eq!(problem["parameter"], "id", "{path}");
    }
}

#[tokio::test]
async fn a_body_without_a_json_content_type_is_a_415_problem() {
    let api = seeded().await;
    for (method, path) in [
        ("PATCH", "/v1/insights/some-id"),
        ("POST", "/v1/insights/bulk"),
        ("PUT", "/v1/settings"),
        ("POST", "/v1/sync"),
        ("POST", "/v1/connections"),
        ("POST", "/v1/connections/m365-0a1b2c3d/customer-tenants"),
        ("POST", "/v1/connections/m365-0a1b2c3d/consent-links"),
    ] {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from("{\"mode\":\"full\"}"))
            .unwrap();
        api.send(request)
            .await
            .problem(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
}

#[test]
fn the_template_placeholder_is_the_one_the_api_refuses() {
    let template = include_str!("../../infra/template.yaml");
    let placeholder = shared::sources::hubspot::PLACEHOLDER_VALUE;
    assert!(
        template.contains(&format!(
            r#"'{{"client_id":"{placeholder}","client_secret":"{placeholder}"}}'"#
        )),
        "infra/template.yaml creates the app secret with another placeholder"
    );
}

/// A tenant with a finished sync run, so the id routes can answer 200 too.
async fn seeded() -> Api {
    let api = Api::new();
    api.store.create_tenant(&tenant(TENANT)).await.unwrap();
    api.store
        .put_sync_run(&SyncRun {
            tenant_id: tenant_id(TENANT),
            sync_id: SyncId::parse(SYNC_ID).unwrap(),
            mode: SyncMode::Full,
            trigger: SyncTrigger::Schedule,
            started_at: now() - chrono::Duration::hours(2),
            finished_at: Some(now() - chrono::Duration::hours(1)),
            status: SyncStatus::Succeeded,
            counts: Default::default(),
            requests_used: 3,
            error: None,
            connection_id: None,
            platform: None,
            records: Default::default(),
            cursor: None,
        })
        .await
        .unwrap();
    api
}

// ---------------------------------------------------------------------------------------------
// The router answers only documented statuses, and every error is a problem document.

#[derive(Debug, Clone)]
enum Auth {
    Valid,
    Wrong,
    Missing,
}

#[derive(Debug, Clone)]
enum BodyKind {
    None,
    Json(String),
    NotJson(String),
    WrongContentType,
    TooLarge,
}

#[derive(Debug, Clone)]
struct Fuzzed {
    route: usize,
    id: String,
    query: Vec<(String, String)>,
    auth: Auth,
    body: BodyKind,
    long_uri: bool,
}

fn id_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(SYNC_ID.to_string()),
        Just("some-id".to_string()),
        Just("bad%20id".to_string()),
        Just("%FF%FE".to_string()),
        Just("x".repeat(300)),
        "[a-zA-Z0-9_.~-]{1,40}",
    ]
}

fn query_strategy() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        Just("limit"),
        Just("cursor"),
        Just("status"),
        Just("rule"),
        Just("sort"),
        Just("band"),
        Just("min_churn_risk"),
        Just("from"),
        Just("code"),
        Just("state"),
        Just("error"),
        Just("colour"),
    ]
    .prop_map(str::to_string);
    let value = prop_oneof![
        Just("0".to_string()),
        Just("1".to_string()),
        Just("201".to_string()),
        Just("-5".to_string()),
        Just("open".to_string()),
        Just("overall_desc".to_string()),
        Just("at_risk".to_string()),
        Just("2026-11-01T00:00:00Z".to_string()),
        Just("a.b".to_string()),
        "[a-zA-Z0-9%._~-]{0,24}",
    ];
    prop::collection::vec((name, value), 0..4)
}

fn body_strategy() -> impl Strategy<Value = BodyKind> {
    prop_oneof![
        Just(BodyKind::None),
        Just(BodyKind::Json("{}".to_string())),
        Just(BodyKind::Json(r#"{"mode":"full"}"#.to_string())),
        Just(BodyKind::Json(r#"{"mode":"sideways"}"#.to_string())),
        Just(BodyKind::Json(r#"{"status":"dismissed"}"#.to_string())),
        Just(BodyKind::Json(
            r#"{"status":"acknowledged","version":99}"#.to_string()
        )),
        Just(BodyKind::Json(r#"{"settings":{}}"#.to_string())),
        Just(BodyKind::Json("[1,2,3]".to_string())),
        "[ -~]{0,40}".prop_map(BodyKind::NotJson),
        Just(BodyKind::WrongContentType),
        Just(BodyKind::TooLarge),
    ]
}

fn fuzzed_strategy(routes: usize) -> impl Strategy<Value = Fuzzed> {
    (
        0..routes,
        id_strategy(),
        query_strategy(),
        prop_oneof![Just(Auth::Valid), Just(Auth::Wrong), Just(Auth::Missing)],
        body_strategy(),
        prop::bool::weighted(0.05),
    )
        .prop_map(|(route, id, query, auth, body, long_uri)| Fuzzed {
            route,
            id,
            query,
            auth,
            body,
            long_uri,
        })
}

fn build(method: &Method, template: &str, case: &Fuzzed) -> Request<Body> {
    let mut uri = template.replace("{id}", &case.id);
    let mut query: Vec<String> = case
        .query
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    if case.long_uri {
        query.push(format!("cursor={}", "c".repeat(MAX_URI_BYTES)));
    }
    if !query.is_empty() {
        uri = format!("{uri}?{}", query.join("&"));
    }
    let mut request = Request::builder().method(method.clone()).uri(uri);
    match case.auth {
        Auth::Valid => request = request.header(header::AUTHORIZATION, format!("Bearer {TOKEN}")),
        Auth::Wrong => request = request.header(header::AUTHORIZATION, "Bearer not-the-token"),
        Auth::Missing => {}
    }
    let body = match &case.body {
        BodyKind::None => Body::empty(),
        BodyKind::Json(json) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(json.clone())
        }
        BodyKind::NotJson(text) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(text.clone())
        }
        BodyKind::WrongContentType => {
            request = request.header(header::CONTENT_TYPE, "text/plain");
            Body::from(r#"{"mode":"full"}"#)
        }
        BodyKind::TooLarge => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(format!(
                "{{\"pad\":\"{}\"}}",
                "x".repeat(MAX_BODY_BYTES + 10)
            ))
        }
    };
    request.body(body).expect("the request builds")
}

fn check(reply: &Reply, method: &Method, template: &str, documented: &BTreeSet<u16>) {
    assert!(
        documented.contains(&reply.status.as_u16()),
        "{method} {template} answered {} which its operation does not document ({documented:?}): {}",
        reply.status,
        reply.text()
    );
    if reply.status.is_client_error() || reply.status.is_server_error() {
        assert_problem(reply);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn every_answer_is_documented_for_its_route_and_every_error_is_a_problem(
        cases in prop::collection::vec(fuzzed_strategy(shared::api::routes::table().len()), 1..6)
    ) {
        let routes: Vec<(Method, &'static str)> = shared::api::routes::table()
            .into_iter()
            .map(|route| (route.method, route.path))
            .collect();
        let documented = documented_statuses();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let api = seeded().await;
            for case in &cases {
                let (method, template) = &routes[case.route];
                let codes = &documented[&(method.clone(), template.to_string())];
                let reply = api.send(build(method, template, case)).await;
                check(&reply, method, template, codes);
            }
        });
    }

    /// Paths and methods no route serves are problems too (404 and 405).
    #[test]
    fn unrouted_requests_are_problems(
        segments in prop::collection::vec("[a-z0-9-]{1,12}", 1..4),
        method in prop_oneof![Just(Method::DELETE), Just(Method::GET), Just(Method::PUT), Just(Method::OPTIONS)],
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let api = Api::new();
            let path = format!("/v1/{}", segments.join("/"));
            let request = Request::builder()
                .method(method.clone())
                .uri(&path)
                .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
                .body(Body::empty())
                .unwrap();
            let reply = api.send(request).await;
            if reply.status.is_client_error() || reply.status.is_server_error() {
                assert_problem(&reply);
            }
            assert_ne!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{method} {path}");
        });
    }
}
