//! Sync runs: listing, reading one, and the manual sync.

use super::*;

#[tokio::test]
async fn sync_runs_are_listed_newest_first_and_read_by_id() {
    let api = TestApi::new();
    seed(&api).await;
    let page = api.get("/v1/sync-runs").await.ok();
    assert_eq!(
        ids(&page),
        vec![
            "20261126T090000000Z-00000002",
            "20261126T080000000Z-00000001"
        ]
    );
    let first = api.get("/v1/sync-runs?limit=1").await.ok();
    assert_eq!(ids(&first), vec!["20261126T090000000Z-00000002"]);
    let cursor: String = url::form_urlencoded::byte_serialize(
        first["next_cursor"]
            .as_str()
            .expect("a second page")
            .as_bytes(),
    )
    .collect();
    let second = api
        .get(&format!("/v1/sync-runs?limit=1&cursor={cursor}"))
        .await
        .ok();
    assert_eq!(ids(&second), vec!["20261126T080000000Z-00000001"]);

    let run = api
        .get("/v1/sync-runs/20261126T080000000Z-00000001")
        .await
        .ok();
    assert_eq!(run["status"], "succeeded");
    api.call(
        "GET",
        "/v1/sync-runs/20261126T080000000Z-00000001",
        Some(TENANT_B),
        None,
    )
    .await
    .problem(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_manual_sync_is_recorded_requested_and_refused_while_it_runs() {
    let api = TestApi::new();
    seed(&api).await;
    let reply = api.call("POST", "/v1/sync", Some(TENANT_A), None).await;
    assert_eq!(
        reply.status,
        StatusCode::ACCEPTED,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let run = reply.json();
    let sync_id = run["sync_id"].as_str().unwrap().to_string();
    assert_eq!(run["status"], "running");
    // The tenant has never synced: the run will be full, and says so.
    assert_eq!(run["mode"], "full");
    assert_eq!(
        run["trigger"],
        json!({"kind": "manual", "requested_by": format!("user-of-{TENANT_A}")})
    );
    assert!(sync_id.starts_with("20261126T100000000Z-"), "{sync_id}");
    assert_eq!(
        reply.headers[header::LOCATION],
        format!("/v1/sync-runs/{sync_id}").as_str()
    );

    // The run is stored and can be watched where Location says.
    let watched = api.get(&format!("/v1/sync-runs/{sync_id}")).await.ok();
    assert_eq!(watched["status"], "running");

    // One SyncRequested for this tenant, carrying the run's id.
    let published = api.bus.published();
    assert_eq!(published.len(), 1);
    match published[0].event().unwrap() {
        ProductEvent::SyncRequested(request) => {
            assert_eq!(request.tenant_id, tenant_id(TENANT_A));
            assert_eq!(request.mode, SyncMode::Full);
            assert_eq!(
                request.sync_id.as_ref().map(|s| s.as_str()),
                Some(sync_id.as_str())
            );
        }
        other => panic!("expected SyncRequested, got {other:?}"),
    }

    // A second request while it runs is refused, and publishes nothing.
    let problem = api
        .call("POST", "/v1/sync", Some(TENANT_A), None)
        .await
        .problem(StatusCode::CONFLICT);
    assert!(
        problem["detail"].as_str().unwrap().contains(&sync_id),
        "{problem}"
    );
    assert_eq!(api.bus.published().len(), 1);

    // Another tenant is not blocked by it.
    api.store.create_tenant(&tenant(TENANT_B)).await.unwrap();
    let reply = api.call("POST", "/v1/sync", Some(TENANT_B), None).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn a_running_sync_older_than_an_hour_no_longer_blocks() {
    let api = TestApi::new();
    seed(&api).await;
    api.store
        .put_sync_run(&sync_run(
            TENANT_A,
            "20261126T084500000Z-00000003",
            SyncStatus::Running,
            75,
        ))
        .await
        .unwrap();
    let reply = api.call("POST", "/v1/sync", Some(TENANT_A), None).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);

    api.store
        .put_sync_run(&sync_run(
            TENANT_B,
            "20261126T093000000Z-00000004",
            SyncStatus::Running,
            30,
        ))
        .await
        .unwrap();
    api.store.create_tenant(&tenant(TENANT_B)).await.unwrap();
    api.call("POST", "/v1/sync", Some(TENANT_B), None)
        .await
        .problem(StatusCode::CONFLICT);
}
