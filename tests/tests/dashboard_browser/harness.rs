//! The browser harness: chromedriver and a headless Chromium session against the local runner, and
//! the few verbs every view check uses ([`Ui`]). A view check is a plain `async fn check(ui: &Ui)`
//! in its own module; see `dashboard_browser.rs` for the order they run in.

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use system_tests::local_runner::LocalRunner;

/// A guard against a page that never gets there, not a speed check.
pub const UI_GUARD: Duration = Duration::from_secs(60);

/// The two widths every view is looked at (and screenshotted) in: a laptop and a narrow phone.
pub const WIDE: (u32, u32) = (1400, 900);
pub const NARROW: (u32, u32) = (400, 860);

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

pub fn browser_binaries() -> (PathBuf, PathBuf) {
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

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

pub fn artifacts_dir() -> PathBuf {
    workspace_root()
        .join("target")
        .join("test-artifacts")
        .join("dashboard")
}

/// chromedriver on a free local port, stopped when dropped.
pub struct ChromeDriver {
    _child: tokio::process::Child,
    url: String,
}

impl ChromeDriver {
    pub async fn start(binary: &Path) -> ChromeDriver {
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
pub async fn eventually<T, F, Fut>(what: &str, mut attempt: F) -> T
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

pub async fn open_browser(chromium: &Path, driver: &ChromeDriver, profile: &Path) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".to_string(), json!("chrome"));
    capabilities.insert(
        "goog:chromeOptions".to_string(),
        json!({
            "binary": chromium.to_string_lossy(),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1400,900", "--hide-scrollbars",
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
pub static ONE_BROWSER_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// One browser session on the dashboard of one local runner: what every view check gets.
pub struct Ui {
    pub client: Client,
    pub runner: LocalRunner,
    /// The demo portal's number of companies (every client is scored).
    pub companies: usize,
    driver: Option<ChromeDriver>,
    profile: PathBuf,
}

impl Ui {
    /// Opens Chromium (at [`WIDE`]) on a runner already started; `name` keeps profiles apart.
    pub async fn open(runner: LocalRunner, companies: usize, name: &str) -> Ui {
        let (chromium, driver_binary) = browser_binaries();
        let profile =
            std::env::temp_dir().join(format!("ci-chromium-{name}-profile-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        let driver = ChromeDriver::start(&driver_binary).await;
        let client = open_browser(&chromium, &driver, &profile).await;
        client.set_window_size(WIDE.0, WIDE.1).await.ok();
        Ui {
            client,
            runner,
            companies,
            driver: Some(driver),
            profile,
        }
    }

    /// Closes the browser and stops the runner, which must exit cleanly.
    pub async fn close(mut self) {
        self.client.clone().close().await.ok();
        drop(self.driver.take());
        let _ = std::fs::remove_dir_all(&self.profile);
        let exit = self.runner.stop_with("INT").await.unwrap();
        assert_eq!(exit.code(), Some(0), "stderr: {}", self.runner.stderr());
    }

    pub async fn text(&self, css: &str) -> Result<String, String> {
        self.client
            .find(Locator::Css(css))
            .await
            .map_err(|e| e.to_string())?
            .text()
            .await
            .map_err(|e| e.to_string())
    }

    pub async fn all(&self, css: &str) -> Result<Vec<Element>, String> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .map_err(|e| e.to_string())
    }

    /// How many elements match `css` (0 when none, or when the page is between renders).
    pub async fn count(&self, css: &str) -> usize {
        self.all(css).await.map(|found| found.len()).unwrap_or(0)
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("cannot type into {css}: {e}"));
    }

    pub async fn select(&self, css: &str, value: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("cannot select {value} in {css}: {e}"));
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{}", first_line(script)))
    }

    /// Presses keys as a keyboard would, into whatever has the focus (the page itself when nothing
    /// does): the keyboard-only paths. Special keys are `fantoccini::key::Key` chars (`TAB`, `ENTER`,
    /// ...), e.g. `ui.press(&[Key::Tab.into(), Key::Enter.into()])`.
    pub async fn press(&self, keys: &[char]) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let mut actions = KeyActions::new("keyboard".to_string());
        for &key in keys {
            actions = actions
                .then(KeyAction::Down { value: key })
                .then(KeyAction::Up { value: key });
        }
        self.client
            .perform_actions(actions)
            .await
            .unwrap_or_else(|e| panic!("cannot press {keys:?}: {e}"));
    }

    /// Presses Tab until the focus is on an element matching `css` (at most `max` times); panics
    /// with the path it took otherwise. Returns the number of presses.
    pub async fn tab_to(&self, css: &str, max: usize) -> usize {
        let mut path = Vec::new();
        for presses in 1..=max {
            self.press(&[fantoccini::key::Key::Tab.into()]).await;
            let here = self
                .js(
                    "return !!document.activeElement && document.activeElement.matches(arguments[0]);",
                    vec![json!(css)],
                )
                .await;
            if here == json!(true) {
                return presses;
            }
            path.push(self.focused().await);
        }
        panic!(
            "{css} not reached in {max} Tab presses; the focus went: {}",
            path.join(" -> ")
        );
    }

    /// A short description of the focused element: `tag#id.class "text"`.
    pub async fn focused(&self) -> String {
        self.js(
            "const e = document.activeElement; if (!e) return '';
             return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
               (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : '') +
               ' \"' + (e.textContent || '').trim().slice(0, 40) + '\"';",
            vec![],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    pub async fn set_size(&self, (width, height): (u32, u32)) {
        self.client
            .set_window_size(width, height)
            .await
            .unwrap_or_else(|e| panic!("cannot resize to {width}x{height}: {e}"));
    }

    /// Saves a screenshot as target/test-artifacts/dashboard/<name>.png.
    pub async fn screenshot(&self, name: &str) {
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
        let dir = artifacts_dir();
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }

    /// Goes to `#/<route>` and waits until the page named by its first part has rendered (the router
    /// sets `main[data-page]` after a render). Returns the page that rendered: another name means the
    /// route has no page in this build (the router falls back to the overview).
    pub async fn go(&self, route: &str) -> String {
        let wanted = route.split('/').next().unwrap_or(route).to_string();
        self.js(
            "const main = document.getElementById('main');
             main.removeAttribute('data-page');
             const hash = '#/' + arguments[0];
             if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
             else location.hash = hash;
             return true;",
            vec![json!(route)],
        )
        .await;
        let page = eventually(&format!("#/{route} renders"), || async {
            let state = self
                .js(
                    "const m = document.getElementById('main');
                     return [m.dataset.page || '', m.getAttribute('aria-busy') || '',
                             (m.querySelector('.error[role=alert]') || {}).textContent || ''];",
                    vec![],
                )
                .await;
            let page = state[0].as_str().unwrap_or_default().to_string();
            let error = state[2].as_str().unwrap_or_default();
            if !error.is_empty() {
                panic!("#/{route} failed to render: {error}");
            }
            (!page.is_empty() && state[1] != "true")
                .then_some(page)
                .ok_or(format!("{state}"))
        })
        .await;
        if page != wanted {
            eprintln!("#/{route}: no such page in this build, the router showed {page}");
        }
        page
    }

    /// Reloads the page (focus starts again at the top, as for a user arriving) and waits until its
    /// route has rendered; returns the page that rendered.
    pub async fn reload(&self) -> String {
        self.client
            .refresh()
            .await
            .unwrap_or_else(|e| panic!("reload: {e}"));
        eventually("the page renders after a reload", || async {
            let page = self
                .js(
                    "const m = document.getElementById('main');
                     return m && m.getAttribute('aria-busy') !== 'true' ? (m.dataset.page || '') : '';",
                    vec![],
                )
                .await;
            let page = page.as_str().unwrap_or_default().to_string();
            (!page.is_empty()).then_some(page).ok_or("not yet".to_string())
        })
        .await
    }

    /// Horizontal overflow of the whole document in CSS pixels (0 when nothing scrolls sideways).
    pub async fn sideways_overflow(&self) -> i64 {
        self.js(
            "return document.documentElement.scrollWidth - window.innerWidth;",
            vec![],
        )
        .await
        .as_i64()
        .unwrap_or(i64::MAX)
    }
}

fn first_line(script: &str) -> &str {
    script.lines().next().unwrap_or_default()
}
