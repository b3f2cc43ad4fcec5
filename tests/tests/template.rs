//! infra/template.yaml checked against the code it deploys:
//! - every environment variable a function's code reads is set for it (and nothing it never reads);
//! - the binaries the template builds are the workspace's `[[bin]]` targets, built the Lambda way;
//! - the event rules match the source and detail-types the code emits, with retries and DLQs;
//! - the table's keys and indexes equal `shared::store::table::table_definition()`;
//! - each function's IAM actions cover the AWS calls its code makes, and grant no other; likewise the
//!   indexes it may query (the calls: the port methods its code calls, through the actions and
//!   indexes each adapter declares per method);
//! - the HTTP API routes what the api router serves, with the JWT authorizer exactly on `/v1`.
//!
//! cfn-lint and checkov run separately (scripts/check-template.sh).

#[path = "template/cfn.rs"]
mod cfn;
#[path = "template/code.rs"]
mod code;
#[path = "template/source.rs"]
mod source;

use cfn::{strings, Template};
use code::{Codebase, Service};
use serde_yaml::Value;
use shared::events::{ProductEvent, EVENT_SOURCE};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository")
        .to_path_buf()
}

fn template() -> Template {
    Template::load(&repo_root().join("infra/template.yaml"))
}

/// The four functions: template logical id and the binary (and `functions/<name>` crate) it runs.
fn functions(template: &Template) -> BTreeMap<String, String> {
    let mut by_binary = BTreeMap::new();
    for (logical_id, resource) in template.resources_of_type("AWS::Serverless::Function") {
        let binary = resource
            .get("Metadata")
            .and_then(|m| m.get("BuildProperties"))
            .and_then(|p| p.get("Binary"))
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{logical_id} names no Metadata.BuildProperties.Binary"));
        by_binary.insert(binary.to_string(), logical_id);
    }
    by_binary
}

const NO_OVERRIDES: BTreeMap<&str, &str> = BTreeMap::new();

/// Variables Lambda itself provides, or that select behaviour the template deliberately leaves at
/// its default (the SDK's endpoint overrides exist for local runs against DynamoDB Local and moto).
fn provided_by_lambda_or_left_default(name: &str) -> bool {
    name.starts_with("AWS_")
        || name.starts_with("_")
        || name == "RUST_LOG"
        || name == "LAMBDA_TASK_ROOT"
}

#[test]
fn the_template_builds_each_workspace_binary_for_lambda_on_arm64() {
    let template = template();
    let code = Codebase::load(&repo_root());
    let built = functions(&template);
    let binaries: BTreeSet<String> = code.function_binaries().into_keys().collect();
    assert_eq!(
        built.keys().cloned().collect::<BTreeSet<_>>(),
        binaries,
        "the template's functions and the workspace's functions/* binaries differ"
    );
    assert_eq!(
        binaries,
        ["api", "ingest", "score", "sync"].map(String::from).into()
    );

    for (binary, logical_id) in &built {
        let metadata = template
            .resource(logical_id)
            .get("Metadata")
            .expect("metadata");
        assert_eq!(
            metadata.get("BuildMethod").and_then(Value::as_str),
            Some("rust-cargolambda"),
            "{logical_id}"
        );
        let prop = |name: &str| {
            template
                .function_property(logical_id, name)
                .unwrap_or_else(|| panic!("{logical_id} has no {name}"))
        };
        assert_eq!(
            prop("Runtime").as_str(),
            Some("provided.al2023"),
            "{logical_id}"
        );
        assert_eq!(prop("Handler").as_str(), Some("bootstrap"), "{logical_id}");
        assert_eq!(
            strings(Some(prop("Architectures"))),
            ["arm64"],
            "{logical_id}"
        );
        // cargo-lambda runs in CodeUri and SAM copies target/lambda/<binary>/bootstrap from there, so
        // CodeUri must be the workspace root, whose members include the function's crate.
        let code_uri = prop("CodeUri").as_str().expect("CodeUri is a path");
        let workspace = repo_root().join("infra").join(code_uri);
        assert_eq!(
            workspace.canonicalize().expect("CodeUri exists"),
            repo_root().canonicalize().expect("repo root"),
            "{logical_id}: CodeUri must point at the workspace root"
        );
        assert_eq!(
            code.function_binaries()[binary],
            repo_root().join("functions").join(binary),
            "the {binary} binary comes from functions/{binary}"
        );
        // Structured logs with a bounded retention.
        // SAM merges a function's LoggingConfig over the Globals one.
        let log_format = template
            .properties(logical_id)
            .get("LoggingConfig")
            .and_then(|l| l.get("LogFormat"))
            .or_else(|| template.root["Globals"]["Function"]["LoggingConfig"].get("LogFormat"));
        assert_eq!(
            log_format.and_then(Value::as_str),
            Some("JSON"),
            "{logical_id}"
        );
        let log_group = Template::target(
            template
                .properties(logical_id)
                .get("LoggingConfig")
                .and_then(|l| l.get("LogGroup"))
                .unwrap_or_else(|| panic!("{logical_id} names no log group")),
        )
        .expect("log group is a Ref");
        assert_eq!(
            template.resource_type(log_group),
            Some("AWS::Logs::LogGroup")
        );
        assert!(
            template
                .properties(log_group)
                .get("RetentionInDays")
                .is_some(),
            "{log_group}"
        );
    }
}

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

fn evaluated_environment(template: &Template, logical_id: &str) -> BTreeMap<String, String> {
    evaluated_environment_with(template, logical_id, &NO_OVERRIDES)
}

fn evaluated_environment_with(
    template: &Template,
    logical_id: &str,
    overrides: &BTreeMap<&str, &str>,
) -> BTreeMap<String, String> {
    template
        .properties(logical_id)
        .get("Environment")
        .and_then(|e| e.get("Variables"))
        .and_then(Value::as_mapping)
        .map(|vars| {
            vars.iter()
                .map(|(k, v)| {
                    let name = k.as_str().expect("variable names are strings").to_string();
                    let value = template
                        .evaluate(v, overrides)
                        .unwrap_or_else(|e| panic!("{logical_id}.{name}: {e}"));
                    (name, value)
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn tenant_secrets_share_one_prefix_that_only_sync_and_api_may_touch() {
    let template = template();
    // The api names each tenant's secret `<prefix><tenant id>` and records it on the tenant; sync reads
    // the name from there, so only the api is told the prefix, and both roles are held to it.
    let prefix = evaluated_environment(&template, "ApiFunction")
        .get("TENANT_SECRET_PREFIX")
        .cloned()
        .expect("api knows where tenant secrets live");
    let mut roles_on_prefix = BTreeSet::new();
    let prefix_arn = format!(
        "arn:aws:secretsmanager:{}:{}:secret:{prefix}*",
        cfn::REGION,
        cfn::ACCOUNT_ID
    );
    let app_secret = template
        .evaluate(
            &serde_yaml::from_str("{Ref: HubSpotAppSecret}").unwrap(),
            &NO_OVERRIDES,
        )
        .unwrap();

    for (binary, logical_id) in functions(&template) {
        let role = role_of(&template, &logical_id);
        for statement in allow_statements(&template, &role) {
            let actions = strings(statement.get("Action"));
            if !actions.iter().any(|a| a.starts_with("secretsmanager:")) {
                continue;
            }
            let resources = statement_resources(&template, statement);
            for resource in &resources {
                if *resource == prefix_arn {
                    roles_on_prefix.insert(binary.clone());
                }
                let allowed = *resource == app_secret
                    || (*resource == prefix_arn && (binary == "sync" || binary == "api"));
                assert!(allowed, "{role} may use secrets at {resource}: only the app secret, and the tenant prefix for sync and api");
            }
        }
    }
    assert_eq!(
        roles_on_prefix,
        BTreeSet::from(["api".to_string(), "sync".to_string()]),
        "sync (tokens) and api (install) must both be allowed the tenant prefix"
    );
}

#[test]
fn event_rules_route_the_codes_detail_types_with_retries_and_dead_letter_queues() {
    let template = template();
    let functions = functions(&template);
    let expected_target = BTreeMap::from([
        ("SyncRequested", functions["sync"].as_str()),
        ("TenantSynced", functions["score"].as_str()),
    ]);
    let mut routed = BTreeMap::new();
    let mut schedules = Vec::new();
    for (rule_id, rule) in template.resources_of_type("AWS::Events::Rule") {
        let props = rule.get("Properties").expect("rule properties");
        let targets = props
            .get("Targets")
            .and_then(Value::as_sequence)
            .expect("rule has targets");
        assert_eq!(targets.len(), 1, "{rule_id}: one target per rule");
        let target = &targets[0];
        let function =
            Template::target(target.get("Arn").expect("target Arn")).expect("target is a resource");

        // Retries, a DLQ that lets this rule (and only it) send, and permission to invoke.
        let retry = target
            .get("RetryPolicy")
            .unwrap_or_else(|| panic!("{rule_id} has no RetryPolicy"));
        assert!(
            retry
                .get("MaximumRetryAttempts")
                .and_then(Value::as_u64)
                .unwrap_or(0)
                > 0,
            "{rule_id}"
        );
        let dlq = Template::target(
            target
                .get("DeadLetterConfig")
                .and_then(|d| d.get("Arn"))
                .unwrap_or_else(|| panic!("{rule_id} has no dead-letter queue")),
        )
        .expect("DLQ is a resource");
        assert_eq!(template.resource_type(dlq), Some("AWS::SQS::Queue"));
        assert!(
            queue_accepts_from_rule(&template, dlq, &rule_id),
            "{dlq} must accept messages from {rule_id}"
        );
        assert!(
            template
                .resources_of_type("AWS::Lambda::Permission")
                .iter()
                .any(|(_, p)| {
                    let p = &p["Properties"];
                    Template::target(&p["FunctionName"]) == Some(function)
                        && p["Principal"].as_str() == Some("events.amazonaws.com")
                        && Template::target(&p["SourceArn"]) == Some(rule_id.as_str())
                }),
            "{rule_id} has no permission to invoke {function}"
        );

        if props.get("ScheduleExpression").is_some() {
            schedules.push(function.to_string());
            continue;
        }
        assert!(
            props.get("EventBusName").and_then(Template::target) == Some("EventBus"),
            "{rule_id} must listen on the product's bus"
        );
        let pattern = props.get("EventPattern").expect("pattern");
        assert_eq!(
            strings(pattern.get("source")),
            [EVENT_SOURCE],
            "{rule_id}: source"
        );
        for detail_type in strings(pattern.get("detail-type")) {
            assert!(
                ProductEvent::DETAIL_TYPES.contains(&detail_type.as_str()),
                "{rule_id} matches {detail_type:?}, which the code never emits"
            );
            routed.insert(detail_type, function.to_string());
        }
    }
    assert_eq!(
        schedules,
        [functions["sync"].clone()],
        "one schedule, and it targets sync"
    );
    for (detail_type, function) in expected_target {
        assert_eq!(
            routed.get(detail_type).map(String::as_str),
            Some(function),
            "{detail_type} must reach {function}"
        );
    }
    // ScoresUpdated is for the deployer's own rules (alerts, automations): nothing of ours consumes it.
    assert_eq!(routed.len(), 2, "unexpected routes: {routed:?}");

    // The schedule's expression is the parameter, so each environment sets its own rate.
    let schedule_rule = template
        .resources_of_type("AWS::Events::Rule")
        .into_iter()
        .find(|(_, r)| r["Properties"].get("ScheduleExpression").is_some())
        .expect("a schedule");
    assert_eq!(
        Template::target(&schedule_rule.1["Properties"]["ScheduleExpression"]),
        Some("SyncScheduleExpression")
    );
    assert_eq!(
        template
            .evaluate(
                &schedule_rule.1["Properties"]["ScheduleExpression"],
                &NO_OVERRIDES
            )
            .unwrap(),
        "rate(1 hour)"
    );
}

fn queue_accepts_from_rule(template: &Template, queue: &str, rule: &str) -> bool {
    template
        .resources_of_type("AWS::SQS::QueuePolicy")
        .iter()
        .any(|(_, policy)| {
            let props = &policy["Properties"];
            let for_queue = props["Queues"]
                .as_sequence()
                .is_some_and(|qs| qs.iter().any(|q| Template::target(q) == Some(queue)));
            let statements = props["PolicyDocument"]["Statement"]
                .as_sequence()
                .cloned()
                .unwrap_or_default();
            for_queue
                && statements.iter().any(|s| {
                    s["Effect"].as_str() == Some("Allow")
                        && s["Principal"]["Service"].as_str() == Some("events.amazonaws.com")
                        && strings(s.get("Action")).contains(&"sqs:SendMessage".to_string())
                        && Template::target(&s["Condition"]["ArnEquals"]["aws:SourceArn"])
                            == Some(rule)
                })
        })
}

#[test]
fn asynchronous_functions_park_failed_invocations_and_sync_is_capped() {
    let template = template();
    let functions = functions(&template);
    for binary in ["sync", "score"] {
        let logical_id = &functions[binary];
        let config = template
            .properties(logical_id)
            .get("EventInvokeConfig")
            .unwrap_or_else(|| panic!("{logical_id} has no EventInvokeConfig"));
        let on_failure = &config["DestinationConfig"]["OnFailure"];
        assert_eq!(on_failure["Type"].as_str(), Some("SQS"), "{logical_id}");
        let queue =
            Template::target(&on_failure["Destination"]).expect("destination is a queue of ours");
        assert_eq!(template.resource_type(queue), Some("AWS::SQS::Queue"));
        // The role is explicit, so SAM adds nothing: it must be allowed to send there itself.
        let role = role_of(&template, logical_id);
        assert!(
            allow_statements(&template, &role)
                .iter()
                .any(
                    |s| strings(s.get("Action")).contains(&"sqs:SendMessage".into())
                        && statement_resources(&template, s).contains(
                            &template
                                .evaluate(
                                    &serde_yaml::from_str(&format!(
                                        "{{Fn::GetAtt: [{queue}, Arn]}}"
                                    ))
                                    .unwrap(),
                                    &NO_OVERRIDES
                                )
                                .unwrap()
                        )
                ),
            "{role} cannot send to its failure destination {queue}"
        );
    }
    assert!(
        template
            .properties(&functions["sync"])
            .get("ReservedConcurrentExecutions")
            .is_some(),
        "sync must have reserved concurrency"
    );
}

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
    // No route the code does not serve.
    let served: BTreeSet<String> = shared::api::routes::table()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .chain(["ANY /v1/{proxy+}".to_string(), webhook_route.clone()])
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

    // Throttling on the stage.
    let stage = template.resources_of_type("AWS::ApiGatewayV2::Stage");
    assert_eq!(stage.len(), 1);
    let settings = &stage[0].1["Properties"]["DefaultRouteSettings"];
    assert!(
        settings.get("ThrottlingRateLimit").is_some()
            && settings.get("ThrottlingBurstLimit").is_some()
    );
}

#[test]
fn each_role_allows_exactly_the_aws_calls_its_function_makes() {
    let template = template();
    let code = Codebase::load(&repo_root());
    let mut problems = Vec::new();
    for (binary, logical_id) in functions(&template) {
        if !code.is_wired(&binary) {
            continue; // every_function_binary_runs_the_library fails for it
        }
        let explained = code.aws_actions(&binary);
        eprintln!("{binary}: AWS calls found in the code (action <- port methods): {explained:?}");
        let needed: BTreeSet<String> = explained.keys().cloned().collect();
        let role = role_of(&template, &logical_id);
        let granted: BTreeSet<String> = allow_statements(&template, &role)
            .iter()
            .flat_map(|s| strings(s.get("Action")))
            .filter(|a| {
                Service::ALL
                    .iter()
                    .any(|s| a.starts_with(&format!("{}:", s.iam_prefix())))
            })
            .collect();
        for action in needed.difference(&granted) {
            problems.push(format!(
                "{binary} calls {action} (through {:?}), which {role} does not allow",
                explained[action]
            ));
        }
        for action in granted.difference(&needed) {
            problems.push(format!(
                "{role} allows {action}, which the {binary} code never calls"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "IAM and code disagree:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn each_role_may_query_exactly_the_indexes_its_function_queries() {
    let template = template();
    let code = Codebase::load(&repo_root());
    let mut problems = Vec::new();
    for (binary, logical_id) in functions(&template) {
        if !code.is_wired(&binary) {
            continue; // every_function_binary_runs_the_library fails for it
        }
        let needed = code.indexes_queried(&binary);
        let role = role_of(&template, &logical_id);
        let granted: BTreeSet<String> = allow_statements(&template, &role)
            .into_iter()
            .filter(|s| strings(s.get("Action")).contains(&"dynamodb:Query".to_string()))
            .flat_map(|s| statement_resources(&template, s))
            .filter_map(|r| r.rsplit_once("/index/").map(|(_, gsi)| gsi.to_string()))
            .collect();
        eprintln!("{binary}: indexes queried {needed:?}, granted {granted:?}");
        for gsi in needed.difference(&granted) {
            problems.push(format!(
                "{binary} queries {gsi}, which {role} may not query"
            ));
        }
        for gsi in granted.difference(&needed) {
            problems.push(format!(
                "{role} may query {gsi}, which the {binary} code never does"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "IAM and code disagree on indexes:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn each_role_may_emit_exactly_the_detail_types_its_function_emits() {
    let template = template();
    let code = Codebase::load(&repo_root());
    for (binary, logical_id) in functions(&template) {
        if !code.is_wired(&binary) {
            continue; // every_function_binary_runs_the_library fails for it
        }
        let emitted = code.detail_types_emitted(&binary);
        let role = role_of(&template, &logical_id);
        let mut allowed = BTreeSet::new();
        for statement in allow_statements(&template, &role) {
            if !strings(statement.get("Action")).contains(&"events:PutEvents".to_string()) {
                continue;
            }
            let condition = statement
                .get("Condition")
                .unwrap_or_else(|| panic!("{role}: PutEvents without conditions"));
            assert_eq!(
                strings(condition["StringEquals"].get("events:source")),
                [EVENT_SOURCE],
                "{role}"
            );
            assert_eq!(
                Template::target(&statement["Resource"]),
                Some("EventBus"),
                "{role} may only put on the product's bus"
            );
            allowed.extend(strings(
                condition["ForAllValues:StringEquals"].get("events:detail-type"),
            ));
        }
        assert_eq!(
            allowed, emitted,
            "{role}: PutEvents detail-types vs what {binary} emits"
        );
    }
}

#[test]
fn the_table_is_the_stores_table_definition() {
    let template = template();
    code::assert_table_matches(template.properties("Table"));
    let props = template.properties("Table");
    assert_eq!(
        props["TimeToLiveSpecification"]["Enabled"].as_bool(),
        Some(true)
    );
    assert_eq!(
        props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(),
        Some(true)
    );
    assert_eq!(
        props["SSESpecification"]["SSEEnabled"].as_bool(),
        Some(true)
    );
    assert_eq!(
        Template::target(&props["DeletionProtectionEnabled"]),
        Some("TableDeletionProtection")
    );
}

/// The role a function runs as (explicit roles only: SAM-generated ones could not be checked).
fn role_of(template: &Template, function: &str) -> String {
    Template::target(
        template
            .properties(function)
            .get("Role")
            .unwrap_or_else(|| panic!("{function} has no explicit Role")),
    )
    .expect("Role is a GetAtt of a role in the template")
    .to_string()
}

fn allow_statements<'a>(template: &'a Template, role: &str) -> Vec<&'a Value> {
    let props = template.properties(role);
    assert!(
        props.get("ManagedPolicyArns").is_none(),
        "{role}: managed policies hide what is granted"
    );
    props["Policies"]
        .as_sequence()
        .into_iter()
        .flatten()
        .flat_map(|p| {
            p["PolicyDocument"]["Statement"]
                .as_sequence()
                .into_iter()
                .flatten()
        })
        .filter(|s| s["Effect"].as_str() == Some("Allow"))
        .collect()
}

fn statement_resources(template: &Template, statement: &Value) -> Vec<String> {
    let resources = match &statement["Resource"] {
        Value::Sequence(seq) => seq.clone(),
        other => vec![other.clone()],
    };
    resources
        .iter()
        .map(|r| {
            template
                .evaluate(r, &NO_OVERRIDES)
                .unwrap_or_else(|e| panic!("resource {r:?}: {e}"))
        })
        .collect()
}

/// The IAM check maps SDK operations it knows; an adapter calling one it does not know would slip
/// past it, so that fails here first. And the check must see each adapter at all.
#[test]
fn the_iam_check_knows_every_sdk_operation_the_adapters_call() {
    let code = Codebase::load(&repo_root());
    let unknown = code::unknown_sdk_calls(&code);
    assert!(
        unknown.is_empty(),
        "add these operations to Service::operations:\n  {}",
        unknown.join("\n  ")
    );
    for service in Service::ALL {
        assert!(
            !code.adapter_operations(service).is_empty(),
            "no adapter found for {service:?}"
        );
    }
}

/// The adapters' declarations of the AWS actions each port method sends (what the role checks
/// above grant) cover every method of their ports, name no method the ports lack, and name exactly
/// the SDK operations the adapters' code calls (the table's administration, which only tests and
/// local tooling run, aside).
#[test]
fn each_adapter_declares_the_aws_actions_of_every_port_method() {
    let code = Codebase::load(&repo_root());
    let service_of = |port: &str| match port {
        "EventBus" => Some(Service::EventBridge),
        "SecretVault" => Some(Service::SecretsManager),
        _ if port.ends_with("Store") => Some(Service::DynamoDb),
        _ => None,
    };
    let mut problems = Vec::new();
    let mut declared_by_service: BTreeMap<Service, BTreeSet<String>> = BTreeMap::new();
    for (port, methods) in code.port_traits() {
        let Some(service) = service_of(port) else {
            continue;
        };
        for method in methods {
            match code::declared_actions(service, method) {
                Some(actions) => declared_by_service
                    .entry(service)
                    .or_default()
                    .extend(actions),
                None => problems.push(format!(
                    "{port}::{method} has no declared {service:?} actions"
                )),
            }
        }
    }
    let port_methods: BTreeSet<&String> = code.port_traits().values().flatten().collect();
    let declared_methods = shared::store::entities::PORT_METHOD_TABLE_OPS
        .iter()
        .map(|(m, _)| *m)
        .chain(shared::bus::EVENTBRIDGE_IAM_ACTIONS.iter().map(|(m, _)| *m))
        .chain(
            shared::vault::SECRETS_MANAGER_IAM_ACTIONS
                .iter()
                .map(|(m, _)| *m),
        );
    for method in declared_methods {
        if !port_methods.contains(&method.to_string()) {
            problems.push(format!("{method} is declared but is no port method"));
        }
    }
    let administration = [
        "dynamodb:CreateTable",
        "dynamodb:DescribeTable",
        "dynamodb:UpdateTimeToLive",
    ];
    for service in Service::ALL {
        let called: BTreeSet<String> = code
            .adapter_operations(service)
            .iter()
            .map(|op| service.iam_action(op))
            .filter(|action| !administration.contains(&action.as_str()))
            .collect();
        let declared = declared_by_service.remove(&service).unwrap_or_default();
        for action in called.difference(&declared) {
            problems.push(format!(
                "the {service:?} adapter calls {action}, which no port method declares"
            ));
        }
        for action in declared.difference(&called) {
            problems.push(format!(
                "{action} is declared, but the {service:?} adapter never calls it"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "declared AWS actions and the code disagree:\n  {}",
        problems.join("\n  ")
    );
}
