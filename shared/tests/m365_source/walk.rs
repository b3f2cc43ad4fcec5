use crate::{productivity, sandbox, source, walk};
use chrono::Duration as Days;
use shared::domain::Platform;
use shared::ports::source::{AccountsSource, FetchWindow, SourceError};
use std::collections::{BTreeMap, BTreeSet};

#[tokio::test]
async fn a_full_walk_gives_every_tenant_as_the_simulator_made_it() {
    let sandbox = sandbox(21, 12).await;
    let (source, _) = source(&sandbox).await;
    let records = walk(&source, FetchWindow::All).await.expect("the walk");
    let truth = sandbox.truth();
    assert_eq!(records.len(), truth.len(), "one record per customer tenant");
    let refresh = sandbox.report_refresh_date();
    for (record, truth) in records.iter().zip(&truth) {
        assert_eq!(record.platform, Platform::M365);
        assert_eq!(record.external_id, truth.external_id);
        assert_eq!(record.name, truth.display_name);
        let domains: BTreeSet<&String> = record.identity.verified_domains.iter().collect();
        assert_eq!(domains, truth.verified_domains.iter().collect());
        assert!(
            !record
                .identity
                .verified_domains
                .contains(&truth.initial_domain),
            "the initial *.onmicrosoft.com domain is left out"
        );
        assert_eq!(record.identity.device_serials, truth.device_serials);
        assert!(record
            .identity
            .device_serials
            .iter()
            .all(|s| *s == s.to_uppercase() && !s.is_empty()));

        let p = productivity(record);
        assert_eq!(p.licences.len(), truth.skus.len());
        for (licence, sku) in p.licences.iter().zip(&truth.skus) {
            assert_eq!(licence.id, sku.sku_id);
            assert_eq!(licence.sku, sku.part_number);
            assert_eq!(licence.status, sku.capability_status);
            assert_eq!(
                (
                    licence.enabled,
                    licence.warning,
                    licence.suspended,
                    licence.consumed
                ),
                (sku.enabled, sku.warning, sku.suspended, sku.consumed)
            );
        }
        assert_eq!(p.active_users_30d, Some(truth.active_users_30d));
        let apps: BTreeMap<String, u32> = truth
            .apps_in_use
            .iter()
            .map(|(app, n)| (app.to_lowercase(), *n))
            .collect();
        assert_eq!(p.apps_in_use, apps);
        assert_eq!(p.names_concealed, truth.names_concealed);
        assert_eq!(p.reports_as_of, Some(refresh));
        assert_eq!(p.daily.len(), 30, "a full read covers 30 days");
        for day in [refresh, refresh - Days::days(13), refresh - Days::days(29)] {
            let counts = sandbox.daily(&truth.external_id, day).expect("truth");
            let read = p
                .daily
                .iter()
                .find(|d| d.date == day)
                .expect("the day read");
            assert_eq!(read.active_users, Some(counts.active_users));
            assert_eq!(read.teams_active_users, Some(counts.teams_active));
            assert_eq!(read.emails_sent, Some(u64::from(counts.email_send)));
            assert_eq!(read.emails_received, Some(u64::from(counts.email_receive)));
        }
    }
    // The stories show: some tenants pay for many unused licences, some use all.
    assert!(records.iter().any(|r| productivity(r)
        .licences
        .iter()
        .any(|l| l.enabled >= 2 * l.consumed.max(1))));
    assert!(records.iter().any(|r| productivity(r)
        .licences
        .iter()
        .any(|l| l.enabled > 0 && l.enabled == l.consumed)));
}

#[tokio::test]
async fn concealed_names_give_counts_and_no_user_name_is_ever_kept() {
    let sandbox = sandbox(22, 8).await;
    let (source, _) = source(&sandbox).await;
    let records = walk(&source, FetchWindow::All).await.expect("the walk");
    let concealed: Vec<_> = records
        .iter()
        .filter(|r| productivity(r).names_concealed)
        .collect();
    assert!(!concealed.is_empty() && concealed.len() < records.len());
    for record in &records {
        let p = productivity(record);
        assert!(
            p.active_users_30d.is_some_and(|n| n > 0),
            "counts, concealed or not"
        );
        assert!(!p.apps_in_use.is_empty());
        let stored = serde_json::to_string(record).expect("json");
        assert!(!stored.contains('@'), "no user principal name in {stored}");
        assert!(!stored.contains("user0"), "no user name");
    }
}

#[tokio::test]
async fn reports_are_read_when_the_day_turned_not_every_hour() {
    let sandbox = sandbox(23, 6).await;
    let (source, _) = source(&sandbox).await;
    let now = sandbox.now();
    let midnight = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    let same_day = FetchWindow::ChangedBetween {
        since: midnight + Days::minutes(5),
        until: midnight + Days::minutes(65),
    };
    let hourly = walk(&source, same_day).await.expect("the walk");
    assert_eq!(hourly.len(), sandbox.tenant_ids().len());
    assert!(
        sandbox.stats().reports_by_tenant.is_empty(),
        "no report read within a day"
    );
    for record in &hourly {
        let p = productivity(record);
        assert!(p.daily.is_empty() && p.active_users_30d.is_none() && p.reports_as_of.is_none());
        assert!(
            !p.licences.is_empty(),
            "licences are state, read every time"
        );
    }

    let turned = FetchWindow::ChangedBetween {
        since: midnight - Days::minutes(30),
        until: midnight + Days::minutes(30),
    };
    let daily = walk(&source, turned).await.expect("the walk");
    for record in &daily {
        let p = productivity(record);
        assert_eq!(p.daily.len(), 7, "the day turned: the last 7 days");
        assert!(p.reports_as_of.is_some());
    }
    assert_eq!(
        sandbox.stats().reports_by_tenant.len(),
        sandbox.tenant_ids().len()
    );
}

#[tokio::test]
async fn fetch_accounts_reads_the_named_tenants_and_skips_unknown_ones_and_bad_cursors_stop() {
    let sandbox = sandbox(24, 6).await;
    let (source, _) = source(&sandbox).await;
    let ids = sandbox.tenant_ids();
    let wanted = vec![
        ids[2].to_uppercase(),
        "11111111-2222-4333-8444-555555555555".to_owned(),
    ];
    let records = source.fetch_accounts(&wanted).await.expect("read");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].external_id, ids[2]);
    assert!(productivity(&records[0]).active_users_30d.is_some());

    let bad = source.fetch_step(FetchWindow::All, Some("99")).await;
    assert!(matches!(bad, Err(SourceError::InvalidCursor(_))), "{bad:?}");
}
