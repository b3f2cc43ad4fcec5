//! The HTTP API routes what the api router serves, with the JWT authorizer exactly on `/v1`.

use super::*;

#[test]
fn the_http_api_routes_what_the_router_serves_with_jwt_exactly_on_v1() {
    let template = template();
    let mut routes: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (route_id, route) in template.resources_of_type("AWS::ApiGatewayV2::Route") {
        let props = &route["Properties"];
        let key = props["RouteKey"].as_str().expect("route key").to_string();
        let target = template
            .evaluate(&props["Target"], &NO_OVERRIDES)
            .expect("target evaluates");
        let integration = target.trim_start_matches("integrations/").to_string();
        let integration = template
            .section("Resources")
            .iter()
            .filter_map(|(id, _)| id.as_str())
            .find(|id| format!("{}-{}-id", cfn::STACK_NAME, id.to_lowercase()) == integration)
            .unwrap_or_else(|| panic!("{route_id} targets an unknown integration {integration}"))
            .to_string();
        let function = Template::target(&template.properties(&integration)["IntegrationUri"])
            .expect("integration targets a function");
        let auth = props["AuthorizationType"]
            .as_str()
            .unwrap_or("NONE")
            .to_string();
        if auth == "JWT" {
            assert_eq!(
                Template::target(&props["AuthorizerId"]),
                Some("JwtAuthorizer"),
                "{route_id}"
            );
        }
        routes.insert(key, (function.to_string(), auth));
    }
    let functions = functions(&template);

    // Every route of the api router is reachable, through the api function, authorized iff under /v1.
    for route in shared::api::routes::table() {
        let key = format!("{} {}", route.method, route.path);
        let (function, auth) = if route.path.starts_with("/v1/") {
            routes
                .get("ANY /v1/{proxy+}")
                .unwrap_or_else(|| panic!("no route serves {key}"))
        } else {
            routes
                .get(&key)
                .unwrap_or_else(|| panic!("no route serves {key}"))
        };
        assert_eq!(function, &functions["api"], "{key}");
        let expected = if route.path.starts_with("/v1/") {
            "JWT"
        } else {
            "NONE"
        };
        assert_eq!(auth, expected, "{key}");
    }
    // The webhook goes to ingest, unauthenticated (HubSpot signs it).
    let webhook_route = format!("POST {}", shared::ingest::WEBHOOK_PATH);
    let (function, auth) = routes
        .get(&webhook_route)
        .unwrap_or_else(|| panic!("no route {webhook_route}"));
    assert_eq!(
        (function.as_str(), auth.as_str()),
        (functions["ingest"].as_str(), "NONE")
    );
    // Connections' webhooks go to ingest too, unauthenticated (ingest asks PayPal to verify its
    // deliveries, and compares NinjaOne's and Pax8's with the connection's webhook secret).
    let connection_routes: Vec<String> = [
        shared::ingest::PAYPAL_WEBHOOK_ROUTE,
        shared::ingest::NINJAONE_WEBHOOK_ROUTE,
        shared::ingest::PAX8_WEBHOOK_ROUTE,
    ]
    .iter()
    .map(|path| format!("POST {path}"))
    .collect();
    for route in &connection_routes {
        let (function, auth) = routes
            .get(route)
            .unwrap_or_else(|| panic!("no route {route}"));
        assert_eq!(
            (function.as_str(), auth.as_str()),
            (functions["ingest"].as_str(), "NONE"),
            "{route}"
        );
    }
    // No route the code does not serve.
    let served: BTreeSet<String> = shared::api::routes::table()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .chain(["ANY /v1/{proxy+}".to_string(), webhook_route.clone()])
        .chain(connection_routes.iter().cloned())
        .collect();
    for key in routes.keys() {
        assert!(
            served.contains(key),
            "the template routes {key}, which no handler serves"
        );
    }

    // The authorizer and the claim are the deployer's parameters, and the api reads that claim.
    let authorizer = template.properties("JwtAuthorizer");
    assert_eq!(authorizer["AuthorizerType"].as_str(), Some("JWT"));
    assert_eq!(
        Template::target(&authorizer["JwtConfiguration"]["Issuer"]),
        Some("JwtIssuer")
    );
    assert_eq!(
        Template::target(&authorizer["JwtConfiguration"]["Audience"]),
        Some("JwtAudience")
    );
    assert_eq!(
        Template::target(
            &template.properties(&functions["api"])["Environment"]["Variables"]["TENANT_CLAIM"]
        ),
        Some("TenantClaim")
    );
    assert_eq!(
        Template::target(
            &template.properties(&functions["api"])["Environment"]["Variables"]["ROLE_CLAIM"]
        ),
        Some("RoleClaim")
    );

    // Throttling on the stage.
    let stage = template.resources_of_type("AWS::ApiGatewayV2::Stage");
    assert_eq!(stage.len(), 1);
    let settings = &stage[0].1["Properties"]["DefaultRouteSettings"];
    assert!(
        settings.get("ThrottlingRateLimit").is_some()
            && settings.get("ThrottlingBurstLimit").is_some()
    );
}
