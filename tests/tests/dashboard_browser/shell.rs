//! The page's frame: a skip link as the first stop of the keyboard that moves focus to the main
//! region; `<main>` is not a live region (screen readers would read every re-render), and a
//! navigation is announced once, through the status region.

use super::harness::{eventually, Ui};
use fantoccini::key::Key;

pub async fn check(ui: &Ui) {
    ui.go("overview").await;
    let main = ui
        .js(
            "const m = document.getElementById('main');
             return [m.getAttribute('aria-live'), m.tagName.toLowerCase(),
                     document.querySelectorAll('[aria-live]').length];",
            vec![],
        )
        .await;
    assert!(
        main[0].is_null(),
        "<main> must not be a live region: aria-live={}",
        main[0]
    );
    assert_eq!(main[1], "main");

    // The skip link: after a load, the first Tab lands on it; Enter moves focus to main.
    assert_eq!(ui.reload().await, "overview");
    ui.press(&[Key::Tab.into()]).await;
    let first = ui.focused().await;
    assert!(
        first.starts_with("a#skip-link"),
        "the first Tab stop is the skip link, not {first}"
    );
    ui.press(&[Key::Enter.into()]).await;
    eventually("Enter on the skip link focuses main", || async {
        let now = ui.focused().await;
        now.starts_with("main#main").then_some(()).ok_or(now)
    })
    .await;

    // One announcement per navigation, naming the page.
    ui.go("health").await;
    let said = eventually("the navigation is announced", || async {
        // textContent: the announcer is visually hidden, so WebDriver's visible text is empty.
        let said = ui
            .js(
                "return document.getElementById('announcer').textContent;",
                vec![],
            )
            .await;
        let said = said.as_str().unwrap_or_default().to_string();
        (!said.is_empty()).then_some(said.clone()).ok_or(said)
    })
    .await;
    assert!(said.to_lowercase().contains("health"), "announced: {said}");
}
