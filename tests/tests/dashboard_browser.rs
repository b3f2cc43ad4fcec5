//! The dashboard in a real browser: headless Chromium driven over WebDriver (chromedriver) against
//! the local runner. One test binary; each view's checks live in their own module under
//! `dashboard_browser/`, and the walk below runs them in order on one browser and one runner.
//!
//! Adding a view check: write `dashboard_browser/<view>.rs` with `pub async fn check(ui: &Ui)` (the
//! verbs are in `harness.rs`: `go`, `click`, `select`, `type_into`, `press`, `tab_to`, `all`,
//! `text`, `js`, `screenshot`, and `eventually` to wait for what a user would wait for), declare it
//! with `mod <view>;` below and call it from the walk. The sweep (`sweep.rs`) already opens every
//! view at 1,400 and 400 px with axe-core and the focus-ring check; a new page only needs its route
//! in `sweep::views`.
//!
//! Needs the Debian packages `chromium` and `chromium-driver` (scripts/install-chromium.sh) and
//! axe-core in .cache/axe (scripts/install-axe.sh); ./scripts/test runs both. Without them this test
//! fails and says so. Screenshots: target/test-artifacts/dashboard/.

#[path = "dashboard_browser/a11y.rs"]
mod a11y;
#[path = "dashboard_browser/alerts.rs"]
mod alerts;
#[path = "dashboard_browser/client.rs"]
mod client;
#[path = "dashboard_browser/client_page.rs"]
mod client_page;
#[path = "dashboard_browser/harness.rs"]
mod harness;
#[path = "dashboard_browser/health.rs"]
mod health;
#[path = "dashboard_browser/insights.rs"]
mod insights;
#[path = "dashboard_browser/keyboard.rs"]
mod keyboard;
#[path = "dashboard_browser/overview.rs"]
mod overview;
#[path = "dashboard_browser/settings.rs"]
mod settings;
#[path = "dashboard_browser/shell.rs"]
mod shell;
#[path = "dashboard_browser/sign_in.rs"]
mod sign_in;
#[path = "dashboard_browser/sources.rs"]
mod sources;
#[path = "dashboard_browser/sweep.rs"]
mod sweep;
#[path = "dashboard_browser/sync.rs"]
mod sync;
#[path = "dashboard_browser/syncs.rs"]
mod syncs;
#[path = "dashboard_browser/triage.rs"]
mod triage;

use harness::{Ui, ONE_BROWSER_AT_A_TIME};
use hubspot_sandbox::SandboxConfig;
use system_tests::local_runner::LocalRunner;

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_views_work_and_are_accessible_in_chromium() {
    let _one_at_a_time = ONE_BROWSER_AT_A_TIME.lock().await;
    let companies = SandboxConfig::small(42).companies;
    let runner = LocalRunner::start(&["--demo-size", "small"])
        .await
        .unwrap_or_else(|e| panic!("the local runner did not start: {e}"));
    runner
        .wait_for_first_scores()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // The demo's PayPal connection syncs at start too, and its payers re-score their clients: the
    // runner prints its summary after that scoring, when the scores stop moving.
    runner
        .wait_for_printed("PayPal (simulator): ")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let ui = Ui::open(runner, companies, "walk").await;

    overview::check(&ui).await;
    triage::check(&ui).await;
    shell::check(&ui).await;
    insights::check(&ui).await;
    health::check(&ui).await;
    client::check(&ui).await;
    client_page::check(&ui).await;
    sync::check(&ui).await;
    sources::check(&ui).await;
    alerts::check(&ui).await;
    keyboard::check(&ui).await;
    settings::check(&ui).await;
    syncs::check(&ui).await;
    // Last: every view at both widths, after the walk has changed some data.
    sweep::check(&ui).await;

    ui.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_signs_in_at_the_issuer_and_out_again_in_chromium() {
    let _one_at_a_time = ONE_BROWSER_AT_A_TIME.lock().await;
    use test_support::oidc::{IssuerOptions, TestIssuer};
    let companies = SandboxConfig::small(42).companies;
    let issuer = TestIssuer::start(IssuerOptions::new("dashboard-client", "local-sandbox"))
        .await
        .unwrap();
    // Signing in needs no history: without the 90-day backfill the first scores come in seconds.
    let runner = LocalRunner::start(&[
        "--demo-size",
        "small",
        "--no-backfill",
        "--oidc-issuer",
        issuer.issuer(),
        "--oidc-audience",
        "dashboard-client",
        "--oidc-tenant-claim",
        "custom:tenant_id",
    ])
    .await
    .unwrap_or_else(|e| panic!("the local runner did not start: {e}"));
    // The API answers only a signed-in caller here, so the runner's own line says it has scored.
    runner
        .wait_for_printed("First sync finished: ")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let ui = Ui::open(runner, companies, "oidc").await;
    sign_in::check(&ui, &issuer).await;
    ui.close().await;
}
