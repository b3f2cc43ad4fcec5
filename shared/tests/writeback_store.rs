//! The write-back store entity on both adapters (MemoryStore, and DynamoStore on DynamoDB Local, which
//! needs `AWS_ENDPOINT_URL_DYNAMODB`): the schema mark, company digests written only when they change,
//! and insight tasks, each kept per tenant.

use chrono::{DateTime, TimeZone, Utc};
use shared::domain::{ClientId, InsightId, TenantId};
use shared::ports::writeback::{InsightTask, TaskState, WritebackSchemaMark, WrittenCompany};
use shared::ports::WritebackStore;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap()
}

fn tid(id: &str) -> TenantId {
    TenantId::parse(id).unwrap()
}

fn written(client: &str, digest: &str) -> WrittenCompany {
    WrittenCompany {
        client_id: ClientId::parse(client).unwrap(),
        digest: digest.to_owned(),
        written_at: t0(),
    }
}

async fn marks_digests_and_tasks_round_trip_per_tenant<S: WritebackStore>(store: &S) {
    let (acme, other) = (tid("acme"), tid("other"));
    assert_eq!(store.writeback_schema(&acme).await.unwrap(), None);
    let mark = WritebackSchemaMark {
        version: 1,
        ensured_at: t0(),
    };
    store.put_writeback_schema(&acme, &mark).await.unwrap();
    assert_eq!(store.writeback_schema(&acme).await.unwrap(), Some(mark));
    assert_eq!(store.writeback_schema(&other).await.unwrap(), None);

    let first = store
        .put_written_companies(&acme, &[written("1001", "a"), written("1002", "b")])
        .await
        .unwrap();
    assert_eq!(first.items_written, 2);
    let again = store
        .put_written_companies(&acme, &[written("1001", "a"), written("1002", "c")])
        .await
        .unwrap();
    assert_eq!(
        (again.items_written, again.items_unchanged),
        (1, 1),
        "only the changed digest is written"
    );
    let mut stored = store.written_companies(&acme).await.unwrap();
    stored.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    assert_eq!(stored, vec![written("1001", "a"), written("1002", "c")]);
    assert!(store.written_companies(&other).await.unwrap().is_empty());

    let mut task = InsightTask {
        insight_id: InsightId::parse("acme.1001.inactive").unwrap(),
        client_id: ClientId::parse("1001").unwrap(),
        subject: "Critical: quiet [ci:acme.1001.inactive]".into(),
        task_id: None,
        state: TaskState::Creating,
        updated_at: t0(),
    };
    store.put_insight_task(&acme, &task).await.unwrap();
    task.task_id = Some("555".into());
    task.state = TaskState::Open;
    store.put_insight_task(&acme, &task).await.unwrap();
    assert_eq!(store.insight_tasks(&acme).await.unwrap(), vec![task]);
    assert!(store.insight_tasks(&other).await.unwrap().is_empty());
    // The digests and the tasks do not read each other's items.
    assert_eq!(store.written_companies(&acme).await.unwrap().len(), 2);
}

#[tokio::test]
async fn memory_store_keeps_writeback_items() {
    marks_digests_and_tasks_round_trip_per_tenant(&shared::store::MemoryStore::new()).await;
}

#[tokio::test]
async fn dynamo_store_keeps_writeback_items() {
    let client = test_support::dynamodb().await;
    let name = test_support::unique_name("writeback-store");
    shared::store::table::create_table(&client, &name)
        .await
        .unwrap_or_else(|e| panic!("cannot create table {name} in DynamoDB Local: {e}"));
    let store = shared::store::DynamoStore::new(client, name);
    marks_digests_and_tasks_round_trip_per_tenant(&store).await;
}
