//! The event rules, queues and retries: each detail-type the code emits reaches its function, and
//! failures are parked, not lost.

use super::*;

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
