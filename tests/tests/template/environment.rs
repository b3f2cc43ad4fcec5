//! Each function's environment: what its code reads is what the template sets, and the template's
//! values load as the function's configuration.

use super::*;

/// The checks below read each function's code from its `main.rs` into `shared`; a function whose binary
/// does not use the library yet cannot be checked, and that fails here, by name.
#[test]
fn every_function_binary_runs_the_library() {
    let template = template();
    let code = Codebase::load(&repo_root());
    let unwired: Vec<String> = functions(&template)
        .into_keys()
        .filter(|b| !code.is_wired(b))
        .collect();
    assert!(
        unwired.is_empty(),
        "functions/{{{}}}/src/main.rs do not use the shared library yet, so their environment, IAM and \
         events cannot be checked against the template",
        unwired.join(",")
    );
}

#[test]
fn every_variable_a_function_reads_is_set_for_it_and_no_other() {
    let template = template();
    let code = Codebase::load(&repo_root());
    let mut problems = Vec::new();
    for (binary, logical_id) in functions(&template) {
        if !code.is_wired(&binary) {
            continue; // every_function_binary_runs_the_library fails for it
        }
        let reads = code.env_vars_read(&binary);
        let set: BTreeMap<String, &Value> = template
            .properties(&logical_id)
            .get("Environment")
            .and_then(|e| e.get("Variables"))
            .and_then(Value::as_mapping)
            .map(|vars| {
                vars.iter()
                    .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v)))
                    .collect()
            })
            .unwrap_or_default();
        for name in &reads {
            if !set.contains_key(name) && !provided_by_lambda_or_left_default(name) {
                problems.push(format!(
                    "{binary} reads {name}, which {logical_id} does not set"
                ));
            }
        }
        for name in set.keys() {
            if !reads.contains(name) {
                problems.push(format!(
                    "{logical_id} sets {name}, which the {binary} code never reads"
                ));
            }
        }
        for (name, value) in &set {
            if let Err(e) = template.evaluate(value, &NO_OVERRIDES) {
                problems.push(format!("{logical_id}: {name} cannot be evaluated: {e}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "environment and code disagree:\n  {}",
        problems.join("\n  ")
    );
}

/// The values CloudFormation gives the api function load as its configuration.
#[test]
fn the_api_configuration_loads_from_the_template_environment() {
    let template = template();
    let env = evaluated_environment(&template, "ApiFunction");
    let read = std::cell::RefCell::new(BTreeSet::new());
    let config = shared::api::ApiFunctionConfig::from_lookup(|name| {
        read.borrow_mut().insert(name.to_string());
        env.get(name).cloned()
    })
    .unwrap_or_else(|e| panic!("the api does not start with the template's environment: {e}"));

    // Every name the loader asked for is set (none is left to a default the template forgot).
    let missing: Vec<_> = read
        .borrow()
        .iter()
        .filter(|n| !env.contains_key(*n))
        .cloned()
        .collect();
    assert!(
        missing.is_empty(),
        "api reads {missing:?}, not set by the template"
    );

    let api_url = template
        .evaluate(
            &template.section("Outputs")["ApiUrl"]["Value"],
            &NO_OVERRIDES,
        )
        .expect("ApiUrl evaluates");
    let redirect = template
        .evaluate(
            &template.section("Outputs")["OAuthRedirectUrl"]["Value"],
            &NO_OVERRIDES,
        )
        .expect("OAuthRedirectUrl evaluates");
    assert_eq!(
        config.api.oauth_redirect_uri(),
        redirect,
        "the output must be what the api sends HubSpot"
    );
    assert_eq!(
        config.api.public_base_url.as_str().trim_end_matches('/'),
        api_url
    );
    assert_eq!(
        config.table_name,
        template
            .evaluate(
                &serde_yaml::from_str("{Ref: Table}").unwrap(),
                &NO_OVERRIDES
            )
            .unwrap()
    );

    // The template's defaults are the code's own: an unchanged deployment behaves as the code documents.
    let defaults = shared::api::ApiFunctionConfig::from_lookup(|name| {
        [
            "TABLE_NAME",
            "EVENT_BUS_NAME",
            "PUBLIC_BASE_URL",
            "HUBSPOT_APP_SECRET_ID",
        ]
        .contains(&name)
        .then(|| env.get(name).cloned())
        .flatten()
    })
    .expect("loads with the required variables alone");
    // HubSpot's endpoints and scopes, and the app secret's id.
    assert_eq!(config.api.hubspot, defaults.api.hubspot);
    assert_eq!(config.api.tenant_claim, defaults.api.tenant_claim);
    // The tenant-secret prefix alone differs on purpose: one per stack, so dev and prod never share.
    assert_eq!(
        config.api.tenant_secret_prefix,
        format!("{}/tenants/", cfn::STACK_NAME)
    );

    // With a custom domain, both follow it.
    let custom = BTreeMap::from([("PublicBaseUrl", "https://insights.example.com")]);
    let env = evaluated_environment_with(&template, "ApiFunction", &custom);
    let config = shared::api::ApiFunctionConfig::from_lookup(|name| env.get(name).cloned())
        .expect("loads with a custom domain");
    assert_eq!(
        config.api.oauth_redirect_uri(),
        "https://insights.example.com/oauth/callback"
    );
    assert_eq!(
        template
            .evaluate(&template.section("Outputs")["WebhookUrl"]["Value"], &custom)
            .expect("WebhookUrl evaluates"),
        "https://insights.example.com/webhooks/hubspot"
    );
}

/// Ingest verifies signatures over `PUBLIC_BASE_URL` + path: that must be exactly the URL registered
/// with HubSpot (the `WebhookUrl` output), with and without a custom domain.
#[test]
fn the_ingest_configuration_loads_and_signs_the_url_hubspot_calls() {
    let template = template();
    for overrides in [
        BTreeMap::new(),
        BTreeMap::from([("PublicBaseUrl", "https://insights.example.com")]),
    ] {
        let env = evaluated_environment_with(&template, "IngestFunction", &overrides);
        let lookup = shared::config::Env::new(|name: &str| env.get(name).cloned());
        let config = shared::ingest::IngestConfig::from_env(&lookup).unwrap_or_else(|e| {
            panic!("ingest does not start with the template's environment: {e}")
        });
        let webhook_url = template
            .evaluate(
                &template.section("Outputs")["WebhookUrl"]["Value"],
                &overrides,
            )
            .expect("WebhookUrl evaluates");
        assert_eq!(
            format!(
                "{}{}",
                config.public_base_url.as_str(),
                shared::ingest::WEBHOOK_PATH
            ),
            webhook_url
        );
        let api_env = evaluated_environment_with(&template, "ApiFunction", &overrides);
        assert_eq!(
            api_env["PUBLIC_BASE_URL"], env["PUBLIC_BASE_URL"],
            "api and ingest must agree on the public URL"
        );
    }
}

/// sync and score start with exactly what the template gives them, and what they list as read is set.
#[test]
fn the_sync_and_score_configurations_load_from_the_template_environment() {
    let template = template();
    let sync_env = evaluated_environment(&template, "SyncFunction");
    let sync = shared::config::SyncConfig::from_env(&shared::config::Env::new(|name: &str| {
        sync_env.get(name).cloned()
    }))
    .unwrap_or_else(|e| panic!("sync does not start with the template's environment: {e}"));
    assert_eq!(
        sync.hubspot_api_base_url.as_str().trim_end_matches('/'),
        "https://api.hubapi.com"
    );
    for name in shared::config::SyncConfig::ENV_VARS {
        assert!(
            sync_env.contains_key(*name),
            "sync lists {name} as read; the template does not set it"
        );
    }
    let score_env = evaluated_environment(&template, "ScoreFunction");
    shared::config::ScoreConfig::from_env(&shared::config::Env::new(|name: &str| {
        score_env.get(name).cloned()
    }))
    .unwrap_or_else(|e| panic!("score does not start with the template's environment: {e}"));
    for name in shared::config::ScoreConfig::ENV_VARS {
        assert!(
            score_env.contains_key(*name),
            "score lists {name} as read; the template does not set it"
        );
    }
    let ingest_env = evaluated_environment(&template, "IngestFunction");
    for name in shared::ingest::IngestConfig::ENV_VARS {
        assert!(
            ingest_env.contains_key(*name),
            "ingest lists {name} as read; the template does not set it"
        );
    }
}

/// notify starts with what the template gives it, links alerts to the api's own address, and
/// lists as read only what the template sets.
#[test]
fn the_notify_configuration_loads_from_the_template_environment() {
    let template = template();
    for overrides in [
        BTreeMap::new(),
        BTreeMap::from([("PublicBaseUrl", "https://insights.example.com")]),
    ] {
        let env = evaluated_environment_with(&template, "NotifyFunction", &overrides);
        let config =
            shared::config::NotifyConfig::from_env(&shared::config::Env::new(|name: &str| {
                env.get(name).cloned()
            }))
            .unwrap_or_else(|e| {
                panic!("notify does not start with the template's environment: {e}")
            });
        let api_url = template
            .evaluate(&template.section("Outputs")["ApiUrl"]["Value"], &overrides)
            .expect("ApiUrl evaluates");
        assert_eq!(
            config.dashboard_url(),
            format!("{api_url}/"),
            "alerts link to the dashboard the api serves"
        );
        // No sender configured by default: email channels are refused, the others work.
        assert_eq!(config.alert_email_from, None);
        for name in shared::config::NotifyConfig::ENV_VARS {
            assert!(
                env.contains_key(*name),
                "notify lists {name} as read; the template does not set it"
            );
        }
    }
    let with_sender = BTreeMap::from([("AlertEmailFrom", "alerts@example.com")]);
    let env = evaluated_environment_with(&template, "NotifyFunction", &with_sender);
    let config = shared::config::NotifyConfig::from_env(&shared::config::Env::new(|name: &str| {
        env.get(name).cloned()
    }))
    .expect("loads with a sender");
    assert_eq!(
        config.alert_email_from.as_deref(),
        Some("alerts@example.com")
    );
}
