//! The dashboard in a real browser: headless Chromium driven over WebDriver (chromedriver) against
//! the local runner. Opens each tab, filters insights, dismisses one, presses sync and watches the
//! status change, and saves screenshots under target/test-artifacts/dashboard/.
//!
//! Needs the Debian packages `chromium` and `chromium-driver` (scripts/install-chromium.sh, which the
//! test command runs); without them this test fails and says so.

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hubspot_sandbox::SandboxConfig;
use serde_json::{json, Value};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use system_tests::local_runner::LocalRunner;

/// A guard against a page that never gets there, not a speed check.
const UI_GUARD: Duration = Duration::from_secs(60);

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

fn browser_binaries() -> (PathBuf, PathBuf) {
    let chromium = on_path("chromium").or_else(|| on_path("chromium-browser"));
    let driver = on_path("chromedriver");
    match (chromium, driver) {
        (Some(chromium), Some(driver)) => (chromium, driver),
        (chromium, driver) => panic!(
            "the dashboard browser test needs chromium and chromedriver on PATH (found chromium: {}, \
             chromedriver: {}). Install them with scripts/install-chromium.sh (Debian packages \
             `chromium` and `chromium-driver`); ./scripts/test does this.",
            chromium.is_some(),
            driver.is_some()
        ),
    }
}

fn artifacts_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    root.join("target").join("test-artifacts").join("dashboard")
}

/// chromedriver on a free local port, stopped when dropped.
struct ChromeDriver {
    _child: tokio::process::Child,
    url: String,
}

impl ChromeDriver {
    async fn start(binary: &Path) -> ChromeDriver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free port for chromedriver: {e}"));
        let child = tokio::process::Command::new(binary)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", binary.display()));
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        eventually("chromedriver answers /status", || async {
            let status: Value = http
                .get(format!("{url}/status"))
                .send()
                .await
                .map_err(|e| e.to_string())?
                .json()
                .await
                .map_err(|e| e.to_string())?;
            if status["value"]["ready"] == true {
                Ok(())
            } else {
                Err(status.to_string())
            }
        })
        .await;
        ChromeDriver { _child: child, url }
    }
}

/// Retries `attempt` until it succeeds; panics with `what` and the last error after [`UI_GUARD`].
async fn eventually<T, F, Fut>(what: &str, mut attempt: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let started = tokio::time::Instant::now();
    loop {
        match attempt().await {
            Ok(value) => return value,
            Err(last) if started.elapsed() > UI_GUARD => panic!("{what}: never happened ({last})"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

async fn screenshot(client: &Client, name: &str) {
    let png = client
        .screenshot()
        .await
        .unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
    let dir = artifacts_dir();
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

async fn text_of(client: &Client, css: &str) -> Result<String, String> {
    client
        .find(Locator::Css(css))
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())
}

async fn all(client: &Client, css: &str) -> Result<Vec<Element>, String> {
    client
        .find_all(Locator::Css(css))
        .await
        .map_err(|e| e.to_string())
}

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
}

async fn open_browser(chromium: &Path, driver: &ChromeDriver, profile: &Path) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".to_string(), json!("chrome"));
    capabilities.insert(
        "goog:chromeOptions".to_string(),
        json!({
            "binary": chromium.to_string_lossy(),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    // Both of rustls' crypto providers are in the dependency tree, so it cannot pick one itself.
    let _ = rustls::crypto::ring::default_provider().install_default();
    ClientBuilder::rustls()
        .unwrap_or_else(|e| panic!("WebDriver client: {e}"))
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .unwrap_or_else(|e| panic!("chromedriver did not open a chromium session: {e}"))
}

/// The browser tests run one at a time: two Chromium sessions and two runners at once on two cores
/// starved each other in CI (the runner answered nothing for minutes).
static ONE_BROWSER_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_tabs_filters_dismiss_and_sync_work_in_chromium() {
    let _one_at_a_time = ONE_BROWSER_AT_A_TIME.lock().await;
    let (chromium, driver_binary) = browser_binaries();
    let companies = SandboxConfig::small(42).companies;
    let mut runner = LocalRunner::start(&["--demo-size", "small"])
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

    let profile = std::env::temp_dir().join(format!("ci-chromium-profile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    let driver = ChromeDriver::start(&driver_binary).await;
    let client = open_browser(&chromium, &driver, &profile).await;
    client.set_window_size(1280, 900).await.ok();

    // Overview: opened from the URL the runner printed; the token leaves the address bar.
    client.goto(&runner.dashboard_url).await.unwrap();
    eventually("the overview shows every client", || async {
        let shown = text_of(&client, "#overview-clients").await?;
        (shown == companies.to_string()).then_some(()).ok_or(shown)
    })
    .await;
    let address = client.current_url().await.unwrap();
    assert!(
        !address.as_str().contains("token"),
        "the token is taken out of the address bar: {address}"
    );
    let (_, overview) = runner.get("/v1/overview").await.unwrap();
    assert_eq!(
        text_of(&client, "#overview-at-risk").await.unwrap(),
        overview["clients_at_risk"].to_string()
    );
    screenshot(&client, "overview").await;

    // Insights: filter by the impact of an open insight; the list shows exactly the API's answer.
    click(&client, "#tab-insights").await;
    eventually("insights are listed", || async {
        let cards = all(&client, "#insights-list .insight").await?;
        (!cards.is_empty())
            .then_some(())
            .ok_or("none yet".to_string())
    })
    .await;
    let (_, open) = runner
        .get("/v1/insights?status=open&limit=1")
        .await
        .unwrap();
    let impact = open["items"][0]["impact"]
        .as_str()
        .unwrap_or_else(|| panic!("no open insight: {open}"))
        .to_string();
    let (_, expected) = runner
        .get(&format!(
            "/v1/insights?status=open&impact={impact}&limit=50"
        ))
        .await
        .unwrap();
    let mut expected_ids: Vec<String> = expected["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["id"].as_str().map(str::to_string))
        .collect();
    expected_ids.sort();
    client
        .find(Locator::Css("#filter-impact"))
        .await
        .unwrap()
        .select_by_value(&impact)
        .await
        .unwrap();
    let shown_ids = eventually("the list shows the filtered insights", || async {
        let mut ids = Vec::new();
        for card in all(&client, "#insights-list .insight").await? {
            let class = card.attr("class").await.map_err(|e| e.to_string())?;
            if !class
                .unwrap_or_default()
                .contains(&format!("impact-{impact}-edge"))
            {
                return Err("a card of another impact is still shown".to_string());
            }
            ids.extend(card.attr("data-id").await.map_err(|e| e.to_string())?);
        }
        ids.sort();
        (ids == expected_ids)
            .then_some(ids.clone())
            .ok_or(format!("{ids:?}"))
    })
    .await;
    screenshot(&client, "insights-filtered").await;

    // Dismiss the first one: it leaves the open list, and the API says it is dismissed.
    let dismissed_id = shown_ids[0].clone();
    click(
        &client,
        &format!("#insights-list .insight[data-id=\"{dismissed_id}\"] .action-dismiss"),
    )
    .await;
    eventually("the dismissed insight leaves the open list", || async {
        let still = all(
            &client,
            &format!("#insights-list .insight[data-id=\"{dismissed_id}\"]"),
        )
        .await?;
        still
            .is_empty()
            .then_some(())
            .ok_or("still shown".to_string())
    })
    .await;
    let (_, insight) = runner
        .get(&format!("/v1/insights/{dismissed_id}"))
        .await
        .unwrap();
    assert_eq!(insight["status"], "dismissed", "{insight}");
    assert_eq!(insight["status_changed_by"], "local-user", "{insight}");
    screenshot(&client, "insights-after-dismiss").await;

    // Health: every client in the table; sorting by overall puts the healthiest first.
    click(&client, "#tab-health").await;
    eventually("the health table lists every client", || async {
        let rows = all(&client, "#health-table tbody tr").await?;
        (rows.len() == companies)
            .then_some(())
            .ok_or(format!("{} rows", rows.len()))
    })
    .await;
    click(&client, "#health-table button[data-sort=\"overall\"]").await;
    let overall_column = || async {
        let mut scores = Vec::new();
        for cell in all(&client, "#health-table tbody tr td:nth-of-type(1) .badge").await? {
            let text = cell.text().await.map_err(|e| e.to_string())?;
            scores.push(text.trim().parse::<u32>().map_err(|e| e.to_string())?);
        }
        Ok::<_, String>(scores)
    };
    let scores = eventually("the table is sorted by overall, descending", || async {
        let scores = overall_column().await?;
        let descending = scores.windows(2).all(|w| w[0] >= w[1]);
        (descending && scores.len() == companies)
            .then_some(scores.clone())
            .ok_or(format!("{scores:?}"))
    })
    .await;
    let (_, best) = runner
        .get("/v1/health-scores?sort=overall_desc&limit=1")
        .await
        .unwrap();
    assert_eq!(
        Some(u64::from(scores[0])),
        best["items"][0]["overall"].as_u64()
    );
    assert_eq!(
        all(&client, "#health-table svg.spark").await.unwrap().len(),
        companies,
        "every row has a trend sparkline"
    );
    screenshot(&client, "health").await;

    // Client page: four dimensions with their factors, the history chart, open insights.
    click(&client, "#health-table tbody tr th a").await;
    eventually("the client page shows four dimensions", || async {
        let dims = all(&client, "#client-page .dim").await?;
        (dims.len() == 4)
            .then_some(())
            .ok_or(format!("{} dimensions", dims.len()))
    })
    .await;
    let factor_rows = all(&client, "#client-page .dim .factors tbody tr")
        .await
        .unwrap();
    assert!(!factor_rows.is_empty(), "the dimensions list their factors");
    assert_eq!(
        all(&client, "#client-page svg.chart").await.unwrap().len(),
        1,
        "the score history is drawn"
    );
    screenshot(&client, "client").await;

    // Sync: the button starts a run; the status line changes at once and ends on the new run. The
    // demo's PayPal connection syncs at start too: wait until no run is going, so the line can change.
    let before = eventually("no sync is running", || async {
        let line = text_of(&client, "#sync-status").await?;
        (!line.contains("running"))
            .then_some(line.clone())
            .ok_or(line)
    })
    .await;
    let (_, runs) = runner.get("/v1/sync-runs?limit=1").await.unwrap();
    let previous_run = runs["items"][0]["sync_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    click(&client, "#sync-button").await;
    let during = text_of(&client, "#sync-status").await.unwrap();
    assert_ne!(during, before, "pressing sync changes the status line");
    let new_run = eventually("a new sync run is recorded", || async {
        let (_, runs) = runner.get("/v1/sync-runs?limit=1").await?;
        let id = runs["items"][0]["sync_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        (id != previous_run && !id.is_empty())
            .then_some(id)
            .ok_or("no new run".to_string())
    })
    .await;
    let shown = eventually("the status line reports the new run's end", || async {
        let element = client
            .find(Locator::Css("#sync-status"))
            .await
            .map_err(|e| e.to_string())?;
        let run = element
            .attr("data-sync-id")
            .await
            .map_err(|e| e.to_string())?;
        let status = element
            .attr("data-status")
            .await
            .map_err(|e| e.to_string())?;
        let text = element.text().await.map_err(|e| e.to_string())?;
        (run.as_deref() == Some(new_run.as_str()) && status.as_deref() == Some("succeeded"))
            .then_some(text.clone())
            .ok_or(format!("{run:?} {status:?} {text}"))
    })
    .await;
    assert!(shown.starts_with("Last sync succeeded"), "{shown}");
    screenshot(&client, "after-sync").await;

    // Sources: the PayPal simulator's connection is listed beside the portal; Matches: a payer waiting
    // for review is confirmed from its evidence, and the API says so.
    eventually("the PayPal connection is listed", || async {
        click(&client, "#tab-sources").await;
        let rows = all(&client, "#connections-table tr[data-connection^='paypal-']").await?;
        // The account platforms can be connected from the same page.
        let forms = all(&client, "#ninjaone-form, #pax8-form, #m365-form").await?;
        (rows.len() == 1 && forms.len() == 3)
            .then_some(())
            .ok_or(format!(
                "{} PayPal rows, {} account forms",
                rows.len(),
                forms.len()
            ))
    })
    .await;
    screenshot(&client, "sources").await;
    let (_, queue) = runner
        .get("/v1/correlations?status=needs_review&limit=50")
        .await
        .unwrap();
    // The simulator's payers on a company's domain without its id wait for a person.
    {
        let first = queue["items"]
            .as_array()
            .and_then(|i| i.first())
            .cloned()
            .unwrap_or_else(|| panic!("the demo has matches to review: {queue}"));
        let external = first["external_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let connection = first["connection_id"].as_str().unwrap_or_default();
        let client_id = first["client_id"].as_str().unwrap_or_default();
        // A record may wait with several candidate clients: the card of this one candidate.
        let card = format!(
            "#matches-list article[data-connection-id='{connection}'][data-external-id='{external}'][data-client-id='{client_id}']"
        );
        eventually("the review queue shows the API's first match", || async {
            click(&client, "#tab-matches").await;
            all(&client, &card)
                .await?
                .first()
                .map(|_| ())
                .ok_or("not yet".to_string())
        })
        .await;
        screenshot(&client, "matches").await;
        click(&client, &format!("{card} button.primary")).await;
        eventually("the confirmed match leaves the queue", || async {
            let left = all(&client, &card).await?;
            left.is_empty()
                .then_some(())
                .ok_or("still shown".to_string())
        })
        .await;
        let (_, all_rows) = runner.get("/v1/correlations?limit=200").await.unwrap();
        let decided = all_rows["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["external_id"] == external.as_str() && c["client_id"] == first["client_id"])
            .cloned()
            .unwrap_or_default();
        assert_eq!(decided["status"], "confirmed", "{decided}");
    }

    // Alerts: a rule with a webhook channel on this machine is created from the form and listed;
    // its signing secret is shown once, and the API keeps the URL to itself.
    let hook_url = "http://127.0.0.1:9/alerts/browser-walk-hook";
    eventually("the alerts page opens", || async {
        click(&client, "#tab-alerts").await;
        all(&client, "#alert-rule-form #rule-name")
            .await?
            .first()
            .map(|_| ())
            .ok_or("no form yet".to_string())
    })
    .await;
    let type_into = |css: &'static str, text: &'static str| {
        let client = client.clone();
        async move {
            client
                .find(Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("no {css}: {e}"))
                .send_keys(text)
                .await
                .unwrap_or_else(|e| panic!("cannot type into {css}: {e}"));
        }
    };
    type_into("#rule-name", "Browser walk rule").await;
    client
        .find(Locator::Css("#channel-kind-0"))
        .await
        .unwrap()
        .select_by_value("webhook")
        .await
        .unwrap();
    type_into("#channel-url-0", hook_url).await;
    click(&client, "#alert-rule-form button[type=submit]").await;
    let secret = eventually("the signing secret is shown once", || async {
        match text_of(&client, "#signing-secrets code.signing-secret").await {
            Ok(secret) if secret.starts_with("whsec_") => Ok(secret),
            // Say what the form said, if it refused.
            other => Err(format!(
                "{other:?}; the form says: {:?}",
                text_of(&client, "#rule-message").await
            )),
        }
    })
    .await;
    eventually("the new rule is listed", || async {
        let rows = all(&client, "#alert-rules-table tbody tr[data-rule]").await?;
        let mut names = Vec::new();
        for row in rows {
            names.push(row.text().await.map_err(|e| e.to_string())?);
        }
        names
            .iter()
            .any(|n| n.contains("Browser walk rule") && n.contains("Webhook: 127.0.0.1"))
            .then_some(())
            .ok_or(format!("{names:?}"))
    })
    .await;
    let (_, rules) = runner.get("/v1/alert-rules").await.unwrap();
    let listed = rules.to_string();
    assert!(listed.contains("Browser walk rule"), "{listed}");
    assert!(
        !listed.contains("browser-walk-hook"),
        "the URL stays secret: {listed}"
    );
    assert!(
        !listed.contains(&secret),
        "the signing secret is shown only once"
    );
    screenshot(&client, "alerts").await;

    // A phone: the overview fits the screen's width.
    client.set_window_size(390, 844).await.unwrap();
    click(&client, "#tab-overview").await;
    eventually("the overview is back", || async {
        text_of(&client, "#overview-clients").await.map(|_| ())
    })
    .await;
    let overflow = client
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        overflow.as_i64().unwrap_or(i64::MAX) <= 0,
        "no sideways scrolling on a phone: {overflow}"
    );
    screenshot(&client, "overview-phone").await;

    client.close().await.ok();
    drop(driver);
    let _ = std::fs::remove_dir_all(&profile);
    let exit = runner.stop_with("INT").await.unwrap();
    assert_eq!(exit.code(), Some(0), "stderr: {}", runner.stderr());
}

/// Signing in at an OpenID Connect issuer (the test issuer), with the runner checking its JWTs as API
/// Gateway would: the sign-in button, the issuer's page, back with the overview of the token's tenant;
/// a reload keeps the session; signing out clears it and the API is no longer called with the token.
#[tokio::test(flavor = "multi_thread")]
async fn dashboard_signs_in_at_the_issuer_and_out_again_in_chromium() {
    let _one_at_a_time = ONE_BROWSER_AT_A_TIME.lock().await;
    use test_support::oidc::{IssuerOptions, TestIssuer};
    let (chromium, driver_binary) = browser_binaries();
    let companies = SandboxConfig::small(42).companies;
    let issuer = TestIssuer::start(IssuerOptions::new("dashboard-client", "local-sandbox"))
        .await
        .unwrap();
    let mut runner = LocalRunner::start(&[
        "--demo-size",
        "small",
        "--oidc-issuer",
        issuer.issuer(),
        "--oidc-audience",
        "dashboard-client",
        "--oidc-tenant-claim",
        "custom:tenant_id",
    ])
    .await
    .unwrap_or_else(|e| panic!("the local runner did not start: {e}"));

    let profile =
        std::env::temp_dir().join(format!("ci-chromium-oidc-profile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    let driver = ChromeDriver::start(&driver_binary).await;
    let client = open_browser(&chromium, &driver, &profile).await;

    client.goto(&format!("{}/", runner.base_url)).await.unwrap();
    eventually("the page offers to sign in", || async {
        text_of(&client, "#sign-in-button").await.map(|_| ())
    })
    .await;
    click(&client, "#sign-in-button").await;
    eventually("the issuer's sign-in page", || async {
        text_of(&client, "#approve").await.map(|_| ())
    })
    .await;
    click(&client, "#approve").await;
    eventually(
        "the overview of the token's tenant shows every client",
        || async {
            let shown = text_of(&client, "#overview-clients").await?;
            (shown == companies.to_string()).then_some(()).ok_or(shown)
        },
    )
    .await;
    let address = client.current_url().await.unwrap();
    assert!(
        address.query().is_none(),
        "code and state leave the address bar: {address}"
    );
    assert_eq!(issuer.counts().code_exchanges, 1);
    let stored = client
        .execute(
            "return [localStorage.length, sessionStorage.getItem('connected-insights-token')];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(stored[0], 0, "nothing in localStorage");
    let token = stored[1].as_str().unwrap_or_default().to_string();
    assert_eq!(token.split('.').count(), 3, "a JWT is kept for this tab");
    screenshot(&client, "oidc-signed-in").await;

    client.refresh().await.unwrap();
    eventually("still signed in after a reload", || async {
        let shown = text_of(&client, "#overview-clients").await?;
        (shown == companies.to_string()).then_some(()).ok_or(shown)
    })
    .await;
    assert_eq!(issuer.counts().code_exchanges, 1, "no new sign-in");

    click(&client, "#sign-out").await;
    eventually("signed out, back at the sign-in offer", || async {
        text_of(&client, "#sign-in-button").await.map(|_| ())
    })
    .await;
    assert_eq!(issuer.counts().sign_outs, 1);
    let left = client
        .execute(
            "return sessionStorage.getItem('connected-insights-token');",
            vec![],
        )
        .await
        .unwrap();
    assert!(left.is_null(), "the token is gone: {left}");
    // The page's sync poll has no token to send any more (it would show the last sync otherwise).
    eventually("the sync status says signed out", || async {
        let shown = text_of(&client, "#sync-status").await?;
        (shown == "Not signed in").then_some(()).ok_or(shown)
    })
    .await;

    client.close().await.ok();
    drop(driver);
    let _ = std::fs::remove_dir_all(&profile);
    let exit = runner.stop_with("INT").await.unwrap();
    assert_eq!(exit.code(), Some(0), "stderr: {}", runner.stderr());
}
