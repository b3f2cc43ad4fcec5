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
        ("ExportRequested", functions["score"].as_str()),
        ("ErasureRequested", functions["sync"].as_str()),
        ("ClientHealthChanged", functions["notify"].as_str()),
        ("InsightOpened", functions["notify"].as_str()),
        ("InsightResolved", functions["notify"].as_str()),
        ("ScoresUpdated", functions["notify"].as_str()),
    ]);
    let mut routed = BTreeMap::new();
    let mut schedules = BTreeMap::new();
    for (rule_id, rule) in template.resources_of_type("AWS::Events::Rule") {
        let props = rule.get("Properties").expect("rule properties");
        let targets = props
            .get("Targets")
            .and_then(Value::as_sequence)
            .expect("rule has targets");
        assert_eq!(targets.len(), 1, "{rule_id}: one target per rule");
        let target = &targets[0];
        let target_id =
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
        // A function target needs permission to be invoked; a queue target (notify's) must let the
        // rule send, and is read by the function whose event source it is.
        let function = if template.resource_type(target_id) == Some("AWS::SQS::Queue") {
            assert!(
                queue_accepts_from_rule(&template, target_id, &rule_id),
                "{target_id} must accept messages from {rule_id}"
            );
            queue_consumer(&template, target_id)
                .unwrap_or_else(|| panic!("no function reads {target_id}"))
        } else {
            assert!(
                template
                    .resources_of_type("AWS::Lambda::Permission")
                    .iter()
                    .any(|(_, p)| {
                        let p = &p["Properties"];
                        Template::target(&p["FunctionName"]) == Some(target_id)
                            && p["Principal"].as_str() == Some("events.amazonaws.com")
                            && Template::target(&p["SourceArn"]) == Some(rule_id.as_str())
                    }),
                "{rule_id} has no permission to invoke {target_id}"
            );
            target_id.to_string()
        };

        if props.get("ScheduleExpression").is_some() {
            schedules.insert(function, (rule_id.clone(), target.clone()));
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
        schedules.keys().cloned().collect::<BTreeSet<_>>(),
        BTreeSet::from([functions["sync"].clone(), functions["notify"].clone()]),
        "two schedules: sync's fan-out and notify's alert release"
    );
    for (detail_type, function) in &expected_target {
        assert_eq!(
            routed.get(*detail_type).map(String::as_str),
            Some(*function),
            "{detail_type} must reach {function}"
        );
    }
    assert_eq!(
        routed.len(),
        expected_target.len(),
        "unexpected routes: {routed:?}"
    );
    // The sync schedule's expression is the parameter, so each environment sets its own rate.
    let (sync_rule, _) = &schedules[&functions["sync"]];
    let sync_props = &template.resource(sync_rule)["Properties"];
    assert_eq!(
        Template::target(&sync_props["ScheduleExpression"]),
        Some("SyncScheduleExpression")
    );
    assert_eq!(
        template
            .evaluate(&sync_props["ScheduleExpression"], &NO_OVERRIDES)
            .unwrap(),
        "rate(5 minutes)"
    );

    // notify's release: hourly, and what reaches notify is the envelope the code reads as the
    // alert release (the template's input transformer, filled in as EventBridge does).
    let (release_rule, release_target) = &schedules[&functions["notify"]];
    assert_eq!(
        template.resource(release_rule)["Properties"]["ScheduleExpression"].as_str(),
        Some("cron(0 * * * ? *)")
    );
    let transformer = &release_target["InputTransformer"];
    let paths = transformer["InputPathsMap"]
        .as_mapping()
        .expect("the release names the schedule's id and time");
    let mut input = transformer["InputTemplate"]
        .as_str()
        .expect("an input template")
        .to_string();
    let schedule_sample: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("events/schedule.json")).expect("sample"),
    )
    .expect("the schedule sample is JSON");
    for (name, path) in paths {
        let field = path
            .as_str()
            .and_then(|p| p.strip_prefix("$."))
            .expect("a top-level path");
        let value = serde_json::to_string(&schedule_sample[field]).expect("serialises");
        input = input.replace(&format!("<{}>", name.as_str().expect("name")), &value);
    }
    let envelope: serde_json::Value = serde_json::from_str(&input)
        .unwrap_or_else(|e| panic!("the release input is not JSON ({e}): {input}"));
    let trigger = shared::handlers::route::Trigger::from_envelope(
        shared::handlers::parse_envelope(envelope).expect("an EventBridge envelope"),
    )
    .expect("notify reads the release");
    assert_eq!(trigger, shared::handlers::route::Trigger::AlertRelease);
    assert_eq!(
        trigger.handled_by(),
        Some(shared::handlers::route::Function::Notify)
    );
}

/// The function an SQS queue feeds (its `Events` entry of type SQS names the queue).
fn queue_consumer(template: &Template, queue: &str) -> Option<String> {
    template
        .resources_of_type("AWS::Serverless::Function")
        .into_iter()
        .find(|(id, _)| {
            template
                .properties(id)
                .get("Events")
                .and_then(Value::as_mapping)
                .is_some_and(|events| {
                    events.values().any(|e| {
                        e["Type"].as_str() == Some("SQS")
                            && Template::target(&e["Properties"]["Queue"]) == Some(queue)
                    })
                })
        })
        .map(|(id, _)| id)
}

/// notify's queue: fed in batches, failures reported per record, a redrive to an alarmed DLQ, a
/// visibility timeout long enough that a batch in work is not handed out twice.
#[test]
fn notify_reads_its_queue_in_batches_and_parks_failures_in_an_alarmed_dead_letter_queue() {
    let template = template();
    let functions = functions(&template);
    let notify = &functions["notify"];
    let events = template
        .properties(notify)
        .get("Events")
        .and_then(Value::as_mapping)
        .expect("notify has an event source");
    let sqs: Vec<&Value> = events
        .values()
        .filter(|e| e["Type"].as_str() == Some("SQS"))
        .collect();
    assert_eq!(sqs.len(), 1, "one queue feeds notify");
    let source = &sqs[0]["Properties"];
    assert_eq!(source["BatchSize"].as_u64(), Some(100));
    assert_eq!(source["MaximumBatchingWindowInSeconds"].as_u64(), Some(10));
    assert_eq!(
        strings(source.get("FunctionResponseTypes")),
        ["ReportBatchItemFailures"],
        "notify answers per record, so one bad record does not retry the batch"
    );
    assert_eq!(
        source["ScalingConfig"]["MaximumConcurrency"].as_u64(),
        Some(2)
    );
    let queue = Template::target(&source["Queue"]).expect("the queue is ours");
    let queue_props = template.properties(queue);
    let timeout = template
        .function_property(notify, "Timeout")
        .and_then(Value::as_u64)
        .expect("notify has a timeout");
    let visibility = queue_props["VisibilityTimeout"]
        .as_u64()
        .expect("the queue sets its visibility timeout");
    assert!(
        visibility >= 6 * timeout,
        "visibility {visibility}s must be at least 6x notify's timeout {timeout}s"
    );
    assert_eq!(queue_props["SqsManagedSseEnabled"].as_bool(), Some(true));
    let redrive = &queue_props["RedrivePolicy"];
    assert_eq!(redrive["maxReceiveCount"].as_u64(), Some(5));
    let dlq = Template::target(&redrive["deadLetterTargetArn"]).expect("a DLQ of ours");
    assert_eq!(template.resource_type(dlq), Some("AWS::SQS::Queue"));
    assert!(
        template
            .resources_of_type("AWS::CloudWatch::Alarm")
            .iter()
            .any(|(_, alarm)| {
                let p = &alarm["Properties"];
                p["Namespace"].as_str() == Some("AWS/SQS")
                    && p["Dimensions"].as_sequence().is_some_and(|ds| {
                        ds.iter()
                            .any(|d| Template::target(&d["Value"]) == Some(dlq))
                    })
                    && p["AlarmActions"].is_mapping()
            }),
        "an alarm (to the alarm topic) watches {dlq}"
    );
    // The event source mapping polls with the function's role; nothing else may.
    let role = role_of(&template, notify);
    let queue_arn = template
        .evaluate(
            &serde_yaml::from_str(&format!("{{Fn::GetAtt: [{queue}, Arn]}}")).unwrap(),
            &NO_OVERRIDES,
        )
        .unwrap();
    let granted: BTreeSet<String> = allow_statements(&template, &role)
        .into_iter()
        .filter(|s| statement_resources(&template, s).contains(&queue_arn))
        .flat_map(|s| strings(s.get("Action")))
        .collect();
    assert_eq!(
        granted,
        BTreeSet::from(
            [
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ReceiveMessage"
            ]
            .map(String::from)
        )
    );
    // Reserved concurrency at least the mapping's, or the queue's pollers are throttled.
    assert!(
        template
            .properties(notify)
            .get("ReservedConcurrentExecutions")
            .is_some(),
        "notify's concurrency is capped"
    );
    let errors_alarmed = ["Errors", "Throttles"].map(|metric| {
        template
            .resources_of_type("AWS::CloudWatch::Alarm")
            .iter()
            .any(|(_, alarm)| {
                let p = &alarm["Properties"];
                p["MetricName"].as_str() == Some(metric)
                    && p["Dimensions"].as_sequence().is_some_and(|ds| {
                        ds.iter()
                            .any(|d| Template::target(&d["Value"]) == Some(notify.as_str()))
                    })
            })
    });
    assert_eq!(
        errors_alarmed,
        [true, true],
        "notify's errors and throttles are alarmed"
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
