use crate::{get_json, sandbox, token, token_response};

#[tokio::test]
async fn a_consented_tenant_gets_a_bearer_token_of_3599_seconds() {
    let sandbox = sandbox(4).await;
    let tenant = sandbox.tenant_ids()[0].clone();
    let (status, body) = token_response(&sandbox, &tenant, &sandbox.client_secret()).await;
    assert_eq!(status, 200);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    let token = body["access_token"].as_str().unwrap_or_default();
    let (status, org) = get_json(&sandbox, token, "/organization").await;
    assert_eq!(status, 200);
    assert_eq!(
        org["value"][0]["id"],
        tenant.as_str(),
        "the token is the tenant's"
    );
}

#[tokio::test]
async fn refusals_carry_the_documented_aadsts_codes() {
    let sandbox = sandbox(4).await;
    let tenant = sandbox.tenant_ids()[1].clone();

    let (status, body) = token_response(&sandbox, &tenant, "wrong").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert_eq!(body["error_codes"][0], 7000215);

    sandbox.revoke_consent(&tenant);
    let (status, body) = token_response(&sandbox, &tenant, &sandbox.client_secret()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    assert_eq!(body["error_codes"][0], 700016);
    assert!(body["error_description"]
        .as_str()
        .unwrap_or_default()
        .starts_with("AADSTS700016"));

    sandbox.grant_consent(&tenant);
    let (status, _) = token_response(&sandbox, &tenant, &sandbox.client_secret()).await;
    assert_eq!(status, 200);

    let (status, body) = token_response(&sandbox, "organizations", &sandbox.client_secret()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let (status, body) = token_response(
        &sandbox,
        "00000000-0000-4000-8000-000000000000",
        &sandbox.client_secret(),
    )
    .await;
    assert_eq!(
        (status, body["error_codes"][0].as_u64()),
        (400, Some(90002))
    );
}

#[tokio::test]
async fn revoking_consent_kills_issued_tokens_and_expired_tokens_get_invalid_authentication_token()
{
    let sandbox = sandbox(4).await;
    let ids = sandbox.tenant_ids();
    let first = token(&sandbox, &ids[0]).await;
    let second = token(&sandbox, &ids[1]).await;
    sandbox.revoke_consent(&ids[0]);
    let (status, body) = get_json(&sandbox, &first, "/subscribedSkus").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    let (status, _) = get_json(&sandbox, &second, "/subscribedSkus").await;
    assert_eq!(status, 200, "another tenant's token still works");

    sandbox.advance_clock(std::time::Duration::from_secs(3600));
    let (status, body) = get_json(&sandbox, &second, "/subscribedSkus").await;
    assert_eq!(status, 401, "expired after 3599 s");
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    assert_eq!(sandbox.stats().unauthorized, 2);
}
