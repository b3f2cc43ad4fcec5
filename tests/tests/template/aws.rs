//! The AWS side of the check: the services the adapters call (their SDK crates, operations and IAM
//! actions), the actions each adapter declares per port method, and the table's definition.

use serde_yaml::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Service {
    DynamoDb,
    EventBridge,
    SecretsManager,
    S3,
}

impl Service {
    pub const ALL: [Service; 4] = [
        Service::DynamoDb,
        Service::EventBridge,
        Service::SecretsManager,
        Service::S3,
    ];

    pub fn sdk_crate(self) -> &'static str {
        match self {
            Service::DynamoDb => "aws_sdk_dynamodb",
            Service::EventBridge => "aws_sdk_eventbridge",
            Service::SecretsManager => "aws_sdk_secretsmanager",
            Service::S3 => "aws_sdk_s3",
        }
    }

    pub fn iam_prefix(self) -> &'static str {
        match self {
            Service::DynamoDb => "dynamodb",
            Service::EventBridge => "events",
            Service::SecretsManager => "secretsmanager",
            Service::S3 => "s3",
        }
    }

    /// The SDK client's operations (snake case, as the fluent builders name them) that the product
    /// could plausibly call. An adapter calling one not listed here fails the check below, so the
    /// list cannot silently fall behind.
    pub fn operations(self) -> &'static [&'static str] {
        match self {
            Service::DynamoDb => &[
                "get_item",
                "put_item",
                "update_item",
                "delete_item",
                "query",
                "scan",
                "batch_get_item",
                "batch_write_item",
                "transact_get_items",
                "transact_write_items",
                "execute_statement",
                "describe_table",
                "create_table",
                "delete_table",
                "update_table",
                "update_time_to_live",
                "list_tables",
            ],
            Service::EventBridge => &[
                "put_events",
                "put_rule",
                "put_targets",
                "list_rules",
                "describe_event_bus",
                "create_event_bus",
            ],
            Service::SecretsManager => &[
                "get_secret_value",
                "batch_get_secret_value",
                "put_secret_value",
                "create_secret",
                "describe_secret",
                "update_secret",
                "update_secret_version_stage",
                "delete_secret",
                "restore_secret",
                "tag_resource",
                "list_secrets",
                "list_secret_version_ids",
            ],
            Service::S3 => &[
                "put_object",
                "get_object",
                "head_object",
                "list_objects_v2",
                "list_objects",
                "delete_object",
                "delete_objects",
                "copy_object",
                "create_multipart_upload",
                "upload_part",
                "complete_multipart_upload",
                "abort_multipart_upload",
                "create_bucket",
                "delete_bucket",
                "list_buckets",
                "head_bucket",
                "put_bucket_policy",
                "put_bucket_lifecycle_configuration",
            ],
        }
    }

    /// `put_item` -> `dynamodb:PutItem`. S3 authorises some operations under another action's name
    /// (`HeadObject` as `s3:GetObject`, `ListObjectsV2` as `s3:ListBucket`, `DeleteObjects` per
    /// object as `s3:DeleteObject`, multipart uploads as `s3:PutObject`).
    pub fn iam_action(self, operation: &str) -> String {
        if self == Service::S3 {
            let named = match operation {
                "head_object" => Some("s3:GetObject"),
                "list_objects_v2" | "list_objects" => Some("s3:ListBucket"),
                "delete_objects" => Some("s3:DeleteObject"),
                "create_multipart_upload" | "upload_part" | "complete_multipart_upload" => {
                    Some("s3:PutObject")
                }
                "abort_multipart_upload" => Some("s3:AbortMultipartUpload"),
                "list_buckets" => Some("s3:ListAllMyBuckets"),
                "head_bucket" => Some("s3:ListBucket"),
                _ => None,
            };
            if let Some(action) = named {
                return action.to_string();
            }
        }
        let pascal: String = operation
            .split('_')
            .map(|word| {
                let mut chars = word.chars();
                chars
                    .next()
                    .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            })
            .collect();
        format!("{}:{pascal}", self.iam_prefix())
    }
}

/// The IAM actions of `service` that its adapter declares for `port_method`; `None` when the
/// adapter declares nothing for it (it is no method of that adapter's port).
pub fn declared_actions(service: Service, port_method: &str) -> Option<Vec<String>> {
    let listed = |table: &[(&str, &[&str])]| {
        table
            .iter()
            .find(|(method, _)| *method == port_method)
            .map(|(_, actions)| actions.iter().map(|a| a.to_string()).collect())
    };
    match service {
        Service::DynamoDb => shared::store::entities::table_ops_of(port_method).map(|ops| {
            ops.iter()
                .map(|op| shared::store::dynamo::iam_action(*op).to_string())
                .collect()
        }),
        Service::EventBridge => listed(shared::bus::EVENTBRIDGE_IAM_ACTIONS),
        Service::SecretsManager => listed(shared::vault::SECRETS_MANAGER_IAM_ACTIONS),
        Service::S3 => listed(shared::objects::S3_IAM_ACTIONS),
    }
}

/// The template's table against `shared::store::table::table_definition()`, the definition the
/// DynamoDB tests create their tables from.
pub fn assert_table_matches(props: &Value) {
    let definition = shared::store::table::table_definition();
    let key_schema = |schema: &Value| -> (String, String) {
        let mut hash = String::new();
        let mut range = String::new();
        for element in schema.as_sequence().expect("KeySchema is a list") {
            let name = element["AttributeName"]
                .as_str()
                .expect("attribute name")
                .to_string();
            match element["KeyType"].as_str() {
                Some("HASH") => hash = name,
                Some("RANGE") => range = name,
                other => panic!("unknown KeyType {other:?}"),
            }
        }
        (hash, range)
    };
    assert_eq!(
        key_schema(&props["KeySchema"]),
        (
            definition.partition_key.to_string(),
            definition.sort_key.to_string()
        ),
        "table key schema"
    );

    let expected: BTreeMap<String, (String, String, String)> = definition
        .global_secondary_indexes
        .iter()
        .map(|index| {
            (
                index.name.to_string(),
                (
                    index.partition_key.to_string(),
                    index.sort_key.to_string(),
                    index.projection.as_str().to_string(),
                ),
            )
        })
        .collect();
    let actual: BTreeMap<String, (String, String, String)> = props["GlobalSecondaryIndexes"]
        .as_sequence()
        .expect("GlobalSecondaryIndexes is a list")
        .iter()
        .map(|gsi| {
            let name = gsi["IndexName"].as_str().expect("index name").to_string();
            let (pk, sk) = key_schema(&gsi["KeySchema"]);
            let projection = gsi["Projection"]["ProjectionType"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            (name, (pk, sk, projection))
        })
        .collect();
    assert_eq!(
        actual, expected,
        "global secondary indexes (name -> partition key, sort key, projection)"
    );

    let defined: BTreeMap<String, String> = props["AttributeDefinitions"]
        .as_sequence()
        .expect("AttributeDefinitions is a list")
        .iter()
        .map(|d| {
            (
                d["AttributeName"].as_str().unwrap_or_default().to_string(),
                d["AttributeType"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let expected_attributes: BTreeMap<String, String> = definition
        .string_attributes
        .iter()
        .map(|a| (a.to_string(), "S".to_string()))
        .collect();
    assert_eq!(defined, expected_attributes, "attribute definitions");
    assert_eq!(
        props["BillingMode"].as_str(),
        Some(definition.billing_mode),
        "billing mode"
    );
    assert_eq!(
        props["TimeToLiveSpecification"]["AttributeName"].as_str(),
        Some(definition.ttl_attribute),
        "TTL attribute"
    );
}
