//! Signing in at an OpenID Connect issuer (the test issuer), with the runner checking its JWTs as API
//! Gateway would: the sign-in button, the issuer's page, back with the overview of the token's tenant;
//! a reload keeps the session; signing out clears it and the API is no longer called with the token.

use super::a11y::assert_no_serious_violations;
use super::harness::{eventually, Ui};
use test_support::oidc::TestIssuer;

pub async fn check(ui: &Ui, issuer: &TestIssuer) {
    ui.client
        .goto(&format!("{}/", ui.runner.base_url))
        .await
        .unwrap();
    eventually("the page offers to sign in", || async {
        ui.text("#sign-in-button").await.map(|_| ())
    })
    .await;
    assert_no_serious_violations(ui, "the sign-in offer").await;
    ui.click("#sign-in-button").await;
    eventually("the issuer's sign-in page", || async {
        ui.text("#approve").await.map(|_| ())
    })
    .await;
    ui.click("#approve").await;
    eventually(
        "the overview of the token's tenant shows every client",
        || async {
            let shown = ui.text("#overview-clients").await?;
            (shown == ui.companies.to_string())
                .then_some(())
                .ok_or(shown)
        },
    )
    .await;
    let address = ui.client.current_url().await.unwrap();
    assert!(
        address.query().is_none(),
        "code and state leave the address bar: {address}"
    );
    assert_eq!(issuer.counts().code_exchanges, 1);
    let stored = ui
        .js(
            "return [localStorage.length, sessionStorage.getItem('connected-insights-token')];",
            vec![],
        )
        .await;
    assert_eq!(stored[0], 0, "nothing in localStorage");
    let token = stored[1].as_str().unwrap_or_default().to_string();
    assert_eq!(token.split('.').count(), 3, "a JWT is kept for this tab");
    ui.screenshot("oidc-signed-in").await;

    ui.client.refresh().await.unwrap();
    eventually("still signed in after a reload", || async {
        let shown = ui.text("#overview-clients").await?;
        (shown == ui.companies.to_string())
            .then_some(())
            .ok_or(shown)
    })
    .await;
    assert_eq!(issuer.counts().code_exchanges, 1, "no new sign-in");

    ui.click("#sign-out").await;
    eventually("signed out, back at the sign-in offer", || async {
        ui.text("#sign-in-button").await.map(|_| ())
    })
    .await;
    assert_eq!(issuer.counts().sign_outs, 1);
    let left = ui
        .js(
            "return sessionStorage.getItem('connected-insights-token');",
            vec![],
        )
        .await;
    assert!(left.is_null(), "the token is gone: {left}");
    // The page's sync poll has no token to send any more (it would show the last sync otherwise).
    eventually("the sync status says signed out", || async {
        let shown = ui.text("#sync-status").await?;
        (shown == "Not signed in").then_some(()).ok_or(shown)
    })
    .await;
}
