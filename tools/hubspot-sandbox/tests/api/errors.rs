//! Failures: injected faults, unknown object types and bad bodies answer as HubSpot does.

use super::*;

#[tokio::test]
async fn injected_faults_answer_5xx_423_and_429() {
    let sandbox = Sandbox::start(fast(SandboxConfig::small(17)))
        .await
        .expect("starts");
    let token = sandbox.private_app_token();
    sandbox.set_faults(Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    });
    let mut seen = HashSet::new();
    for _ in 0..30 {
        seen.insert(
            get(&sandbox, &token, "/crm/v3/objects/companies")
                .await
                .status()
                .as_u16(),
        );
    }
    assert!(
        seen.iter().all(|s| [500, 502, 504].contains(s)) && seen.len() >= 2,
        "{seen:?}"
    );
    sandbox.set_faults(Faults {
        locked_rate: 1.0,
        ..Faults::default()
    });
    assert_eq!(
        get(&sandbox, &token, "/crm/v3/objects/companies")
            .await
            .status(),
        StatusCode::LOCKED
    );
    sandbox.set_faults(Faults {
        rate_limit_rate: 1.0,
        ..Faults::default()
    });
    let limited = get(&sandbox, &token, "/crm/v3/objects/companies").await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body(limited).await["policyName"], "TEN_SECONDLY_ROLLING");
    sandbox.set_faults(Faults::none());
    assert_eq!(
        get(&sandbox, &token, "/crm/v3/objects/companies")
            .await
            .status(),
        StatusCode::OK
    );
    let stats = sandbox.stats();
    assert_eq!((stats.injected_faults, stats.rate_limited), (32, 0));
    sandbox.reset_stats();
    assert_eq!(sandbox.stats().requests, 0);
}

#[tokio::test]
async fn unknown_object_types_and_bad_bodies_get_hubspot_errors() {
    let sandbox = Sandbox::start(fast(SandboxConfig::small(20)))
        .await
        .expect("starts");
    let token = sandbox.private_app_token();
    let unknown = get(&sandbox, &token, "/crm/v3/objects/widgets").await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    let unknown = body(unknown).await;
    assert_eq!(unknown["status"], "error");
    assert!(unknown["message"]
        .as_str()
        .is_some_and(|m| m.contains("widgets")));
    let bad = client()
        .post(format!(
            "{}/crm/v3/objects/deals/search",
            sandbox.base_url()
        ))
        .bearer_auth(&token)
        .body("{not json")
        .send()
        .await
        .expect("answers");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(body(bad).await["category"], "VALIDATION_ERROR");
    let too_many: Vec<Value> = (0..101).map(|i| json!({"id": i.to_string()})).collect();
    let refused = post(
        &sandbox,
        &token,
        "/crm/v3/objects/deals/batch/read",
        &json!({"inputs": too_many}),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let missing_auth = client()
        .get(format!("{}/crm/v3/objects/deals", sandbox.base_url()))
        .send()
        .await
        .expect("answers");
    assert_eq!(missing_auth.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        body(missing_auth).await["category"],
        "INVALID_AUTHENTICATION"
    );
}
