//! THE table: its definition as data (what the SAM template must match, and what tests create), and
//! `create_table` for tests, benchmarks and local tooling.

use crate::ports::StoreError;
use crate::store::keys::{self, Index};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};
use std::time::Duration;

/// How a GSI projects items. Every index here projects all attributes: each of them serves a list
/// the API returns whole, and a keys-only index would cost a `BatchGetItem` per page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectionKind {
    All,
    KeysOnly,
}

impl ProjectionKind {
    /// The name CloudFormation and the DynamoDB API use.
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectionKind::All => "ALL",
            ProjectionKind::KeysOnly => "KEYS_ONLY",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDefinition {
    pub name: &'static str,
    pub partition_key: &'static str,
    pub sort_key: &'static str,
    pub projection: ProjectionKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDefinition {
    pub partition_key: &'static str,
    pub sort_key: &'static str,
    /// Every key attribute of the table and its indexes; all are strings (`S`).
    pub string_attributes: Vec<&'static str>,
    pub global_secondary_indexes: Vec<IndexDefinition>,
    /// Epoch seconds; DynamoDB deletes an item some time after it passes.
    pub ttl_attribute: &'static str,
    /// `PAY_PER_REQUEST`: the load is hourly bursts, which on-demand absorbs without tuning.
    pub billing_mode: &'static str,
}

pub fn table_definition() -> TableDefinition {
    let gsi = |index: Index| {
        let (partition_key, sort_key) = index.key_attributes();
        IndexDefinition {
            name: index.name().unwrap_or_default(),
            partition_key,
            sort_key,
            projection: ProjectionKind::All,
        }
    };
    TableDefinition {
        partition_key: keys::PK,
        sort_key: keys::SK,
        string_attributes: keys::KEY_ATTRIBUTES.to_vec(),
        global_secondary_indexes: Index::GSIS.into_iter().map(gsi).collect(),
        ttl_attribute: keys::EXPIRES_AT,
        billing_mode: "PAY_PER_REQUEST",
    }
}

fn invalid(e: impl std::fmt::Display) -> StoreError {
    StoreError::InvalidInput(format!("table definition: {e}"))
}

fn key_schema(partition_key: &str, sort_key: &str) -> Result<Vec<KeySchemaElement>, StoreError> {
    Ok(vec![
        KeySchemaElement::builder()
            .attribute_name(partition_key)
            .key_type(KeyType::Hash)
            .build()
            .map_err(invalid)?,
        KeySchemaElement::builder()
            .attribute_name(sort_key)
            .key_type(KeyType::Range)
            .build()
            .map_err(invalid)?,
    ])
}

/// Creates the table `name` from [`table_definition`], waits until it and its indexes are active,
/// and enables TTL on `expires_at`.
pub async fn create_table(client: &aws_sdk_dynamodb::Client, name: &str) -> Result<(), StoreError> {
    let definition = table_definition();
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(
            definition.partition_key,
            definition.sort_key,
        )?));
    for attribute in &definition.string_attributes {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(*attribute)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(invalid)?,
        );
    }
    for index in &definition.global_secondary_indexes {
        let projection_type = match index.projection {
            ProjectionKind::All => ProjectionType::All,
            ProjectionKind::KeysOnly => ProjectionType::KeysOnly,
        };
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index.name)
                .set_key_schema(Some(key_schema(index.partition_key, index.sort_key)?))
                .projection(
                    Projection::builder()
                        .projection_type(projection_type)
                        .build(),
                )
                .build()
                .map_err(invalid)?,
        );
    }
    request
        .send()
        .await
        .map_err(|e| super::dynamo::sdk_error("create table", e))?;
    wait_until_active(client, name).await?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(definition.ttl_attribute)
                .build()
                .map_err(invalid)?,
        )
        .send()
        .await
        .map_err(|e| super::dynamo::sdk_error("enable TTL", e))?;
    Ok(())
}

async fn wait_until_active(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
) -> Result<(), StoreError> {
    const ATTEMPTS: u32 = 120;
    for _ in 0..ATTEMPTS {
        let described = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(|e| super::dynamo::sdk_error("describe table", e))?;
        if let Some(table) = described.table() {
            let indexes_active = table.global_secondary_indexes().iter().all(|index| {
                index.index_status() == Some(&aws_sdk_dynamodb::types::IndexStatus::Active)
            });
            if table.table_status() == Some(&TableStatus::Active) && indexes_active {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(StoreError::Unavailable(format!(
        "table {name} did not become active within a minute"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_index_key_is_a_declared_string_attribute() {
        let definition = table_definition();
        assert_eq!(
            (definition.partition_key, definition.sort_key),
            ("pk", "sk")
        );
        assert_eq!(definition.ttl_attribute, "expires_at");
        let names: Vec<_> = definition
            .global_secondary_indexes
            .iter()
            .map(|i| (i.name, i.partition_key, i.sort_key, i.projection.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("gsi1", "gsi1pk", "gsi1sk", "ALL"),
                ("gsi2", "gsi2pk", "gsi2sk", "ALL"),
                ("gsi3", "gsi3pk", "gsi3sk", "ALL"),
            ]
        );
        for index in &definition.global_secondary_indexes {
            assert!(definition.string_attributes.contains(&index.partition_key));
            assert!(definition.string_attributes.contains(&index.sort_key));
        }
        // DynamoDB refuses attribute definitions that no key uses.
        assert_eq!(definition.string_attributes.len(), 2 + 2 * 3);
    }
}
