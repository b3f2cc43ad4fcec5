//! HubSpot write-back against the sandbox portal: the property group and properties created once,
//! every scored company's values written, only changed companies sent again, 207 refusals retried
//! once, batches of at most 100, and a clear error for installs without the write scopes.

mod writeback_support;

use secrecy::SecretString;
use shared::handlers::writeback::WritebackError;
use shared::ports::writeback::{CrmWriteError, CrmWriteback};
use shared::ports::SecretVault;
use shared::sources::hubspot::{StoredCredentials, TokenSet};
use writeback_support::{now, portal, score};

const BATCH_UPDATE: &str = "POST /crm/v3/objects/companies/batch/update";
const CREATE_PROPERTY: &str = "POST /crm/v3/properties/companies";
const CREATE_GROUP: &str = "POST /crm/v3/properties/companies/groups";
const PROPERTIES: [&str; 5] = [
    "ci_health_score",
    "ci_health_band",
    "ci_churn_risk",
    "ci_top_insight",
    "ci_last_scored",
];

#[tokio::test]
async fn enabling_creates_the_group_and_five_properties_once() {
    let p = portal(20).await;
    let crm = p.crm().await;
    let report = p.run(&crm).await.unwrap();

    assert!(report.schema_checked && report.group_created);
    let groups = p.sandbox.property_groups("companies");
    assert_eq!(groups.len(), 1);
    assert_eq!(
        (groups[0].name.as_str(), groups[0].label.as_str()),
        ("connected_insights", "Connected Insights")
    );
    let created: Vec<String> = p
        .sandbox
        .custom_properties("companies")
        .iter()
        .map(|p| p.name.clone())
        .collect();
    assert_eq!(created, PROPERTIES);
    let band = p
        .sandbox
        .custom_properties("companies")
        .into_iter()
        .find(|p| p.name == "ci_health_band")
        .unwrap();
    assert_eq!(band.property_type, "enumeration");
    let values: Vec<&str> = band.options.iter().map(|o| o.value.as_str()).collect();
    assert_eq!(values, ["healthy", "watch", "at_risk", "critical"]);
    assert_eq!(p.calls(CREATE_PROPERTY), 5);

    // The next run remembers the schema: not even a read of it.
    p.sandbox.reset_stats();
    let again = p.run(&crm).await.unwrap();
    assert!(!again.schema_checked);
    assert_eq!(p.calls("GET /crm/v3/properties/companies"), 0);

    // Ensuring it again (a store that lost the mark) reads, and creates nothing.
    let outcome = crm.ensure_schema().await.unwrap();
    assert!(!outcome.group_created && outcome.properties_created.is_empty());
    assert_eq!(p.calls(CREATE_PROPERTY) + p.calls(CREATE_GROUP), 0);
    assert_eq!(p.calls("GET /crm/v3/properties/companies"), 1);
}

#[tokio::test]
async fn every_scored_company_holds_its_values_and_an_unchanged_run_sends_nothing() {
    let p = portal(40).await;
    let scores = p.score_all(20).await;
    let top = writeback_support::insight(
        scores[0].client_id.as_str(),
        shared::domain::Impact::High,
        "Gone quiet",
    );
    p.put_insight(&top).await;
    let crm = p.crm().await;
    let report = p.run(&crm).await.unwrap();
    assert_eq!(report.companies_sent, 40);
    assert_eq!(report.companies_written, 40);
    assert!(report.companies_refused.is_empty());

    for score in &scores {
        let company = p.company(score.client_id.as_str());
        let value = |name: &str| company.properties.get(name).cloned().flatten();
        assert_eq!(value("ci_health_score"), Some(score.overall.to_string()));
        assert_eq!(value("ci_churn_risk"), Some(score.churn_risk.to_string()));
        let band = match score.band {
            shared::domain::HealthBand::Healthy => "healthy",
            shared::domain::HealthBand::Watch => "watch",
            shared::domain::HealthBand::AtRisk => "at_risk",
            shared::domain::HealthBand::Critical => "critical",
        };
        assert_eq!(value("ci_health_band").as_deref(), Some(band));
        assert_eq!(
            value("ci_last_scored"),
            Some(score.scored_at.timestamp_millis().to_string())
        );
        let expected_top = (score.client_id == scores[0].client_id).then(|| "Gone quiet".into());
        assert_eq!(value("ci_top_insight"), expected_top);
    }

    p.sandbox.reset_stats();
    let unchanged = p.run(&crm).await.unwrap();
    assert_eq!(unchanged.companies_sent, 0);
    assert_eq!(p.calls(BATCH_UPDATE), 0);
    assert_eq!(
        unchanged.crm_requests, 0,
        "nothing at all was asked of HubSpot"
    );

    // A rescoring with the same values (a later scored_at) is no change either.
    let mut same = scores[3].clone();
    same.scored_at = now();
    p.put_score(same).await;
    assert_eq!(p.run(&crm).await.unwrap().companies_sent, 0);

    // One company moves: one input, in one request.
    let moved = score(scores[7].client_id.as_str(), 3);
    p.put_score(moved.clone()).await;
    let one = p.run(&crm).await.unwrap();
    assert_eq!((one.companies_sent, one.companies_written), (1, 1));
    assert_eq!(p.calls(BATCH_UPDATE), 1);
    let company = p.company(moved.client_id.as_str());
    assert_eq!(
        company.properties.get("ci_health_band").cloned().flatten(),
        Some("critical".into())
    );
}

#[tokio::test]
async fn a_refused_input_is_sent_once_more_and_the_others_are_recorded() {
    let p = portal(30).await;
    let scores = p.score_all(40).await;
    let crm = p.crm().await;
    crm.ensure_schema().await.unwrap();
    let flaky = scores[5].client_id.to_string();
    p.sandbox.fail_next_update_of(&[&flaky]);
    p.sandbox.reset_stats();
    let report = p.run(&crm).await.unwrap();
    assert_eq!(report.companies_written, 30);
    assert!(report.companies_refused.is_empty());
    assert_eq!(
        p.calls(BATCH_UPDATE),
        2,
        "the batch, then the one refused input"
    );
    assert!(p
        .company(&flaky)
        .properties
        .get("ci_health_score")
        .cloned()
        .flatten()
        .is_some());

    // Refused twice: reported, not recorded, and sent again by the next run.
    let moved = score(scores[9].client_id.as_str(), 90);
    p.put_score(moved.clone()).await;
    p.sandbox.set_batch_update_failure_rate(1.0);
    p.sandbox.reset_stats();
    let refused = p.run(&crm).await.unwrap();
    assert_eq!(refused.companies_written, 0);
    assert_eq!(refused.companies_refused.len(), 1);
    assert_eq!(
        refused.companies_refused[0].company_id,
        moved.client_id.to_string()
    );
    assert!(refused.companies_refused[0]
        .reason
        .contains("INTERNAL_ERROR"));
    assert_eq!(p.calls(BATCH_UPDATE), 2, "one retry, no more");
    p.sandbox.set_batch_update_failure_rate(0.0);
    let later = p.run(&crm).await.unwrap();
    assert_eq!((later.companies_sent, later.companies_written), (1, 1));
}

#[tokio::test]
async fn batches_hold_at_most_100_companies() {
    let p = portal(250).await;
    let crm = p.crm().await;
    p.run(&crm).await.unwrap(); // ensures the schema, and remembers it
    p.score_all(10).await;
    p.sandbox.reset_stats();
    let report = p.run(&crm).await.unwrap();
    assert_eq!(report.companies_written, 250);
    assert_eq!(p.calls(BATCH_UPDATE), 3);
    assert_eq!(report.crm_requests, 3);
}

#[tokio::test]
async fn a_portal_that_refused_the_write_scopes_gets_a_reinstall_error() {
    let p = portal(5).await;
    p.score_all(50).await;
    // The admin declined the optional scopes; the stored tokens recorded none (an older install).
    p.sandbox.refuse_write_scopes(true);
    let tokens = p.sandbox.issue_oauth_tokens();
    let mut set = TokenSet::new(
        SecretString::from(tokens.access_token),
        SecretString::from(tokens.refresh_token),
        1800,
        chrono::Utc::now(),
    );
    set.hub_id = Some(p.sandbox.portal_id());
    let secret_id = p.tenant.credentials_secret_id.clone();
    p.vault
        .put(
            &secret_id,
            &StoredCredentials::oauth(set.clone()).to_secret(),
            None,
        )
        .await
        .unwrap();
    let crm = p.crm().await;
    let error = p.run(&crm).await.unwrap_err();
    assert!(
        matches!(
            &error,
            WritebackError::Crm {
                source: CrmWriteError::MissingScopes { .. },
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("reinstall"), "{error}");
    assert!(!error.is_retryable());
    assert!(p.sandbox.custom_properties("companies").is_empty());

    // Tokens that recorded their scopes are refused before any request.
    set.scopes = vec!["oauth".into(), "crm.objects.companies.read".into()];
    p.vault
        .put(&secret_id, &StoredCredentials::oauth(set).to_secret(), None)
        .await
        .unwrap();
    p.sandbox.reset_stats();
    let refused = p.writebacks().writeback_for(&p.tenant).await.unwrap_err();
    let CrmWriteError::MissingScopes { scopes } = &refused else {
        panic!("expected missing scopes, got {refused}");
    };
    assert!(scopes.contains(&"crm.objects.companies.write".to_owned()));
    assert!(refused.to_string().contains("reinstall"));
    assert_eq!(p.sandbox.stats().requests, 0);
}

#[tokio::test]
async fn a_tenant_that_must_reauthorise_is_refused_without_a_request() {
    let mut p = portal(5).await;
    let crm = p.crm().await;
    p.tenant.status = shared::domain::TenantStatus::NeedsReauth;
    p.sandbox.reset_stats();
    let error = p.run(&crm).await.unwrap_err();
    assert!(matches!(error, WritebackError::NeedsReauth(_)), "{error}");
    assert!(!error.is_retryable());
    assert_eq!(p.sandbox.stats().requests, 0);
}

#[tokio::test]
async fn a_tenant_without_writeback_is_left_alone() {
    let mut p = portal(5).await;
    p.score_all(50).await;
    p.tenant.writeback.enabled = false;
    let crm = p.crm().await;
    let report = p.run(&crm).await.unwrap();
    assert!(!report.ran);
    assert_eq!(p.sandbox.stats().requests, 0);
}

#[tokio::test]
async fn rate_limited_and_failing_requests_are_retried_by_the_portal_client() {
    let p = portal(250).await;
    // Enough retries that a request refused every time is practically impossible (0.2^9).
    let retry = shared::sources::hubspot::RetryPolicy {
        max_retries: 8,
        ..test_support::fixtures::fast_retry()
    };
    let crm = p
        .writebacks_retrying(retry)
        .writeback_for(&p.tenant)
        .await
        .unwrap();
    p.run(&crm).await.unwrap();
    p.score_all(30).await;
    // A fifth of the requests answered 429 TEN_SECONDLY_ROLLING or 5xx, past the reads' limiter.
    p.sandbox.set_faults(hubspot_sandbox::Faults {
        rate_limit_rate: 0.15,
        server_error_rate: 0.05,
        ..hubspot_sandbox::Faults::none()
    });
    p.sandbox.reset_stats();
    let report = p.run(&crm).await.unwrap();
    p.sandbox.set_faults(hubspot_sandbox::Faults::none());
    assert_eq!(report.companies_written, 250);
    let stats = p.sandbox.stats();
    assert_eq!(
        stats.requests,
        3 + stats.injected_faults,
        "three batches, and one more request for each refusal: {stats:?}"
    );
    assert_eq!(report.crm_requests, stats.requests);
    for company in p.companies() {
        assert!(company
            .properties
            .get("ci_health_score")
            .cloned()
            .flatten()
            .is_some());
    }
}
