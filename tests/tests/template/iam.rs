//! Least privilege: each role allows exactly the AWS calls, indexes, detail types and secrets its
//! function's code uses, and every adapter declares the actions of each port method.

use super::*;

#[test]
fn tenant_secrets_share_one_prefix_that_only_sync_api_ingest_and_notify_may_use() {
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

    let payer_email_key = template
        .evaluate(
            &serde_yaml::from_str("{Ref: PayerEmailKeySecret}").unwrap(),
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
            let read_only = actions.iter().all(|a| a == "secretsmanager:GetSecretValue");
            for resource in &resources {
                if *resource == prefix_arn {
                    roles_on_prefix.insert(binary.clone());
                }
                // Ingest reads a PayPal connection's credentials (PayPal verifies deliveries for an
                // authorised caller) and may do nothing else with the tenant prefix.
                // Notify reads channel secrets and, for the write-back, tokens (writing them back
                // after a refresh, as the sync does); it never creates or deletes them.
                let notify_may = actions.iter().all(|a| {
                    a == "secretsmanager:GetSecretValue"
                        || a == "secretsmanager:PutSecretValue"
                        || a == "secretsmanager:DescribeSecret"
                });
                let allowed = *resource == app_secret
                    || *resource == payer_email_key && binary == "sync"
                    || (*resource == prefix_arn
                        && (binary == "sync"
                            || binary == "api"
                            || (binary == "ingest" && read_only)
                            || (binary == "notify" && notify_may)));
                assert!(allowed, "{role} may use secrets at {resource}: only the app secret, the tenant prefix for sync and api (reading it for ingest, reading and updating for notify), and the payer-email key for sync");
            }
        }
    }
    assert_eq!(
        roles_on_prefix,
        BTreeSet::from(["api", "ingest", "notify", "sync"].map(String::from)),
        "sync (tokens), api (install, connections), ingest (PayPal verification) and notify (channel \
         secrets, write-back tokens) use the tenant prefix"
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
    aws::assert_table_matches(template.properties("Table"));
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
        // Before the `*Store` rule: the export bucket's port is no table port.
        "ObjectStore" => Some(Service::S3),
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
            match aws::declared_actions(service, method) {
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
        )
        .chain(shared::objects::S3_IAM_ACTIONS.iter().map(|(m, _)| *m));
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
