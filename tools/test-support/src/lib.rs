//! Helpers for tests that run against the real local services: DynamoDB Local and moto's server
//! (Secrets Manager, EventBridge, SQS, SES, S3), started by `./scripts/test` or `scripts/test-services.sh start`.
//!
//! Endpoints come from the AWS SDK's standard variables (`AWS_ENDPOINT_URL_DYNAMODB`, ...). A test that needs a
//! service and does not find its variable panics with a message that says how to start it: tests fail, they
//! never skip. Every helper that creates something gives it a fresh unique name, so tests run in parallel
//! and never see each other's data.

pub mod bus;
pub mod churn_scoring;
pub mod churn_world;
pub mod cross_platform;
pub mod fixtures;
pub mod oidc;
pub mod receiver;
pub mod scored_tenant;

use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder;
use aws_sdk_dynamodb::types::TableStatus;
use aws_sdk_sqs::types::QueueAttributeName;

/// The AWS SDK's standard endpoint variables, one per service the tests use.
pub const DYNAMODB: &str = "AWS_ENDPOINT_URL_DYNAMODB";
pub const SECRETS_MANAGER: &str = "AWS_ENDPOINT_URL_SECRETS_MANAGER";
pub const EVENTBRIDGE: &str = "AWS_ENDPOINT_URL_EVENTBRIDGE";
pub const SQS: &str = "AWS_ENDPOINT_URL_SQS";
/// SES v2 (alert emails), served by moto.
pub const SESV2: &str = "AWS_ENDPOINT_URL_SESV2";
/// S3 (the export bucket), served by moto.
pub const S3: &str = "AWS_ENDPOINT_URL_S3";

/// The region the local services run in when the environment names none.
pub const DEFAULT_REGION: &str = "us-east-1";

/// How long [`receive_from_queue`] waits for messages that have not arrived yet before giving up.
pub const DEFAULT_DELIVERY_WAIT: Duration = Duration::from_secs(20);

fn service_label(var: &str) -> &'static str {
    match var {
        DYNAMODB => "DynamoDB Local",
        SECRETS_MANAGER | EVENTBRIDGE | SQS | SESV2 | S3 => "moto's server",
        _ => "the local AWS service",
    }
}

/// The endpoint in `var` (e.g. [`DYNAMODB`]). Panics, failing the test, when it is absent or empty.
pub fn require_service(var: &str) -> String {
    match std::env::var(var) {
        Ok(endpoint) if !endpoint.trim().is_empty() => endpoint,
        _ => panic!(
            "{} is not running ({var} is not set): run ./scripts/test, or `scripts/test-services.sh start` \
             and `eval \"$(scripts/test-services.sh env)\"` before cargo test",
            service_label(var)
        ),
    }
}

/// The SDK config the tests share: the standard environment chain (which reads the `AWS_ENDPOINT_URL_*`
/// variables), with the local services' region and dummy credentials filled in when the environment has none,
/// so a test never waits on an instance-metadata lookup.
pub async fn aws_config() -> SdkConfig {
    // The functions' own HTTP client: the SDK's default one is compiled out.
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).http_client(shared::aws::http_client());
    if std::env::var("AWS_REGION").is_err() && std::env::var("AWS_DEFAULT_REGION").is_err() {
        loader = loader.region(Region::new(DEFAULT_REGION));
    }
    if std::env::var("AWS_ACCESS_KEY_ID").is_err() {
        loader = loader.credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "test-support",
        ));
    }
    loader.load().await
}

/// A DynamoDB client for DynamoDB Local; panics when it is not running.
pub async fn dynamodb() -> aws_sdk_dynamodb::Client {
    let endpoint = require_service(DYNAMODB);
    let config = aws_sdk_dynamodb::config::Builder::from(&aws_config().await)
        .endpoint_url(endpoint)
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// A Secrets Manager client for moto; panics when it is not running.
pub async fn secrets_manager() -> aws_sdk_secretsmanager::Client {
    let endpoint = require_service(SECRETS_MANAGER);
    let config = aws_sdk_secretsmanager::config::Builder::from(&aws_config().await)
        .endpoint_url(endpoint)
        .build();
    aws_sdk_secretsmanager::Client::from_conf(config)
}

/// An EventBridge client for moto; panics when it is not running.
pub async fn eventbridge() -> aws_sdk_eventbridge::Client {
    let endpoint = require_service(EVENTBRIDGE);
    let config = aws_sdk_eventbridge::config::Builder::from(&aws_config().await)
        .endpoint_url(endpoint)
        .build();
    aws_sdk_eventbridge::Client::from_conf(config)
}

/// An SQS client for moto; panics when it is not running.
pub async fn sqs() -> aws_sdk_sqs::Client {
    let endpoint = require_service(SQS);
    let config = aws_sdk_sqs::config::Builder::from(&aws_config().await)
        .endpoint_url(endpoint)
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

/// An S3 client for moto (path-style addressing, as `shared::objects::s3_client` picks with an
/// endpoint override); panics when it is not running.
pub async fn s3() -> aws_sdk_s3::Client {
    let endpoint = require_service(S3);
    let config = aws_sdk_s3::config::Builder::from(&aws_config().await)
        .endpoint_url(endpoint)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// Creates a bucket named `<prefix>-<random>` in moto and returns its name.
pub async fn create_bucket(client: &aws_sdk_s3::Client, prefix: &str) -> String {
    let name = unique_name(prefix);
    if let Err(error) = client.create_bucket().bucket(&name).send().await {
        panic!("creating bucket {name} in moto failed: {error:?}");
    }
    name
}

/// `prefix` followed by a random suffix: a name no other test run uses. Fits the naming rules of tables,
/// buses, rules, queues and secrets (letters, digits and `-`, well under 64 characters for a short prefix).
pub fn unique_name(prefix: &str) -> String {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}-{}", &suffix[..16])
}

/// Creates a table named `<prefix>-<random>` with the definition `define` gives it (keys, attributes,
/// indexes, billing), waits until it is active, and returns its name. The caller's definition is the
/// product's own; this helper only makes the name unique and waits.
pub async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    prefix: &str,
    define: impl FnOnce(CreateTableFluentBuilder) -> CreateTableFluentBuilder,
) -> String {
    let name = unique_name(prefix);
    let request = define(client.create_table().table_name(&name));
    if let Err(error) = request.send().await {
        panic!("creating table {name} in DynamoDB Local failed: {error:?}");
    }
    wait_until_table_active(client, &name).await;
    name
}

/// Waits until `table` is active (DynamoDB Local is nearly instant; this keeps tests right on slower hosts).
pub async fn wait_until_table_active(client: &aws_sdk_dynamodb::Client, table: &str) {
    for _ in 0..200 {
        match client.describe_table().table_name(table).send().await {
            Ok(output) => {
                let status = output.table().and_then(|t| t.table_status());
                if status == Some(&TableStatus::Active) {
                    return;
                }
            }
            Err(error) => panic!("describing table {table} failed: {error:?}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("table {table} did not become active");
}

/// Creates a custom event bus named `<prefix>-<random>` and returns its name.
pub async fn create_event_bus(client: &aws_sdk_eventbridge::Client, prefix: &str) -> String {
    let name = unique_name(prefix);
    if let Err(error) = client.create_event_bus().name(&name).send().await {
        panic!("creating event bus {name} in moto failed: {error:?}");
    }
    name
}

/// A queue the tests read from.
#[derive(Debug, Clone)]
pub struct TestQueue {
    pub url: String,
    pub arn: String,
}

/// Creates a queue named `<prefix>-<random>` whose policy lets EventBridge send to it, as a real rule target
/// needs.
pub async fn create_queue(client: &aws_sdk_sqs::Client, prefix: &str) -> TestQueue {
    let name = unique_name(prefix);
    let url = match client.create_queue().queue_name(&name).send().await {
        Ok(output) => match output.queue_url() {
            Some(url) => url.to_string(),
            None => panic!("moto created queue {name} without returning its URL"),
        },
        Err(error) => panic!("creating queue {name} in moto failed: {error:?}"),
    };
    let attributes = client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await;
    let arn = match attributes
        .as_ref()
        .ok()
        .and_then(|output| output.attributes())
        .and_then(|attributes| attributes.get(&QueueAttributeName::QueueArn))
    {
        Some(arn) => arn.clone(),
        None => panic!("reading the ARN of queue {name} failed: {attributes:?}"),
    };
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": arn,
        }]
    });
    if let Err(error) = client
        .set_queue_attributes()
        .queue_url(&url)
        .attributes(QueueAttributeName::Policy, policy.to_string())
        .send()
        .await
    {
        panic!("setting the policy of queue {name} failed: {error:?}");
    }
    TestQueue { url, arn }
}

/// On `bus`, one rule per detail-type (matching `source` and that detail-type) with `queue` as its target,
/// as the product's own template routes events. Returns the rule names.
pub async fn route_detail_types_to_queue(
    client: &aws_sdk_eventbridge::Client,
    bus: &str,
    source: &str,
    detail_types: &[&str],
    queue: &TestQueue,
) -> Vec<String> {
    let mut rules = Vec::with_capacity(detail_types.len());
    for detail_type in detail_types {
        let rule = unique_name(&format!("to-queue-{}", detail_type.to_lowercase()));
        let pattern = serde_json::json!({"source": [source], "detail-type": [detail_type]});
        if let Err(error) = client
            .put_rule()
            .name(&rule)
            .event_bus_name(bus)
            .event_pattern(pattern.to_string())
            .send()
            .await
        {
            panic!("creating rule {rule} on bus {bus} failed: {error:?}");
        }
        let target = match aws_sdk_eventbridge::types::Target::builder()
            .id("queue")
            .arn(&queue.arn)
            .build()
        {
            Ok(target) => target,
            Err(error) => panic!("building the target of rule {rule} failed: {error}"),
        };
        match client
            .put_targets()
            .rule(&rule)
            .event_bus_name(bus)
            .targets(target)
            .send()
            .await
        {
            Ok(output) if output.failed_entry_count() == 0 => {}
            Ok(output) => panic!(
                "attaching the queue to rule {rule} failed: {:?}",
                output.failed_entries()
            ),
            Err(error) => panic!("attaching the queue to rule {rule} failed: {error:?}"),
        }
        rules.push(rule);
    }
    rules
}

/// Reads and deletes messages from `queue` until `expected` have arrived (or `wait` has passed without
/// them), then polls once more so a test also sees messages beyond the expected count. Returns the bodies
/// in the order received. The caller asserts on the count and content: this never fails on a short count.
pub async fn receive_from_queue(
    client: &aws_sdk_sqs::Client,
    queue: &TestQueue,
    expected: usize,
    wait: Duration,
) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut bodies = Vec::new();
    let mut extra_poll_done = false;
    loop {
        let reached = bodies.len() >= expected;
        if reached && extra_poll_done {
            break;
        }
        if !reached && tokio::time::Instant::now() >= deadline {
            break;
        }
        let output = client
            .receive_message()
            .queue_url(&queue.url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            // Long enough that a message cannot come back while the test is still reading.
            .visibility_timeout(600)
            .send()
            .await;
        let messages = match output {
            Ok(output) => output.messages.unwrap_or_default(),
            Err(error) => panic!("receiving from queue {} failed: {error:?}", queue.url),
        };
        if reached {
            extra_poll_done = messages.is_empty();
        }
        for message in messages {
            if let Some(handle) = message.receipt_handle() {
                if let Err(error) = client
                    .delete_message()
                    .queue_url(&queue.url)
                    .receipt_handle(handle)
                    .send()
                    .await
                {
                    panic!(
                        "deleting a message from queue {} failed: {error:?}",
                        queue.url
                    );
                }
            }
            bodies.push(message.body.unwrap_or_default());
        }
    }
    bodies
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_differ_and_keep_the_prefix() {
        let first = unique_name("vault");
        let second = unique_name("vault");
        assert_ne!(first, second);
        assert!(first.starts_with("vault-"));
        assert!(first.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    }

    #[test]
    fn an_absent_service_fails_with_how_to_start_it() {
        let var = "AWS_ENDPOINT_URL_TEST_SUPPORT_NEVER_SET";
        let outcome = std::panic::catch_unwind(|| require_service(var));
        let payload = match outcome {
            Ok(endpoint) => panic!("expected a panic, got endpoint {endpoint}"),
            Err(payload) => payload,
        };
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(message.contains("./scripts/test"), "{message}");
        assert!(message.contains(var), "{message}");
    }
}
