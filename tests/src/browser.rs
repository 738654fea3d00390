//! A real browser for the console's tests: Debian's headless Chromium driven
//! through chromedriver (WebDriver) by fantoccini. Each [`Browser`] starts its
//! own chromedriver on a free port; each session gets a fresh profile. Every
//! page a test loads is saved as a screenshot beside the test's output, named
//! after its path, and a test may add its own named ones (the tests put them in `target/tmp/screenshots/<test>/`).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// The system's Chromium and its driver (packages chromium, chromium-driver).
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A headless Chromium at 1366×768 (the offices' screens) on a console at `base`.
pub struct Browser {
    pub client: Client,
    pub base: String,
    driver: Child,
    shots: PathBuf,
    taken: std::sync::atomic::AtomicUsize,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser").field("base", &self.base).finish()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Browser {
    /// Starts chromedriver and a browser session; screenshots go to `shots`
    /// (emptied first).
    pub async fn start(base: &str, shots: PathBuf) -> Self {
        Self::sized(base, shots, 1366, 768).await
    }

    /// The same at another window size (a phone: 390×844).
    pub async fn sized(base: &str, shots: PathBuf, width: u32, height: u32) -> Self {
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER} (apt-get install chromium-driver): {e}"));
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let mut ready = false;
        for _ in 0..200 {
            if http.get(format!("{url}/status")).send().await.is_ok_and(|r| r.status().is_success()) {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(ready, "chromedriver did not answer on {url}");
        // The closed network refuses Chromium's own connections: turn them off.
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-extensions",
                    "--lang=vi-VN", format!("--window-size={width},{height}"),
                ],
            },
        });
        let capabilities = capabilities.as_object().unwrap().clone();
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector).capabilities(capabilities).connect(&url).await.unwrap();
        let _ = std::fs::remove_dir_all(&shots);
        std::fs::create_dir_all(&shots).unwrap();
        Self { client, base: base.to_owned(), driver, shots, taken: Default::default() }
    }

    /// Opens a page (and saves its screenshot, as every page load does).
    pub async fn goto(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base)).await.unwrap();
        self.shot_of_page().await;
    }

    /// A screenshot named after the page's path.
    async fn shot_of_page(&self) {
        let path = self.path().await;
        let name: String = path.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).take(60).collect();
        self.shot(name.trim_matches('_')).await;
    }

    /// The current page's path and query.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub async fn find(&self, css: &str) -> Element {
        self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no element {css:?}: {e}"))
    }

    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client.find_all(Locator::Css(css)).await.unwrap()
    }

    /// Types into the field with this id (after clearing it).
    pub async fn fill(&self, id: &str, text: &str) {
        let field = self.find(&format!("#{id}")).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// The visible text of the page.
    pub async fn text(&self) -> String {
        self.find("body").await.text().await.unwrap()
    }

    /// Saves the page as `NN-name.png` and returns where.
    pub async fn shot(&self, name: &str) -> PathBuf {
        let taken = self.taken.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let path = self.shots.join(format!("{taken:03}-{name}.png"));
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Clicks something that loads a new page (a link, a submit button) and
    /// waits for that page: a click returns before the browser has navigated.
    pub async fn click_through(&self, element: Element) {
        self.client.execute("window.__onestopOldPage = true;", vec![]).await.unwrap();
        element.click().await.unwrap();
        self.wait_for_new_page().await;
    }

    /// Presses keys that load a new page (Enter on a button) and waits for it.
    pub async fn press_through(&self, keys: &str) {
        self.client.execute("window.__onestopOldPage = true;", vec![]).await.unwrap();
        self.press(keys).await;
        self.wait_for_new_page().await;
    }

    async fn wait_for_new_page(&self) {
        for _ in 0..400 {
            let fresh = self
                .client
                .execute("return window.__onestopOldPage === undefined && document.readyState === 'complete';", vec![])
                .await;
            // During the navigation a script may find no document to run in.
            if fresh.is_ok_and(|v| v == serde_json::Value::Bool(true)) {
                self.shot_of_page().await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("no new page after the click, still at {}", self.path().await);
    }

    /// Clicks the element `css` and waits for the page it loads.
    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.click_through(element).await;
    }

    /// Signs in through the sign-in page.
    pub async fn sign_in(&self, username: &str, password: &str) {
        self.goto("/sign-in").await;
        self.fill("username", username).await;
        self.fill("password", password).await;
        self.click("form[action='/sign-in'] button[type=submit]").await;
    }

    /// Signs out with the header's button.
    pub async fn sign_out(&self) {
        self.click("form[action='/sign-out'] button").await;
    }

    /// Opens the case page's form for the action `slug` (its disclosure) and returns it.
    pub async fn action(&self, slug: &str) -> Element {
        let form = format!("form[action$='/{slug}']");
        let details = self.find(&format!("details:has({form})")).await;
        if details.attr("open").await.unwrap().is_none() {
            self.find(&format!("details:has({form}) > summary")).await.click().await.unwrap();
        }
        self.find(&form).await
    }

    /// Submits the action form `slug` after filling its fields (`name` → text).
    pub async fn act(&self, slug: &str, fields: &[(&str, &str)]) {
        let form = self.action(slug).await;
        for (name, value) in fields {
            let field = form.find(Locator::Css(&format!("[name='{name}']"))).await.unwrap();
            field.send_keys(value).await.unwrap();
        }
        if let Ok(confirm) = form.find(Locator::Css("[name='confirm']")).await {
            confirm.click().await.unwrap();
        }
        self.click_through(form.find(Locator::Css("button[type=submit]")).await.unwrap()).await;
    }

    /// Runs axe-core (WCAG 2.1 A and AA rules) on the current page; the rules
    /// broken, each with the elements that break it. axe-core comes from
    /// `tests/browser` (`npm ci` there).
    pub async fn accessibility_violations(&self) -> Vec<String> {
        let axe =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/browser/node_modules/axe-core/axe.min.js"))
                .unwrap_or_else(|e| panic!("axe-core is not installed (cd tests/browser && npm ci): {e}"));
        self.client.execute(&axe, vec![]).await.unwrap();
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 if (typeof axe === 'undefined') { done(['axe-core did not load']); return; }
                 axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
                    .then(r => done(r.passes.length === 0 ? ['axe-core checked nothing'] :
                        r.violations.map(v => v.id + ' (' + v.impact + '): '
                            + v.nodes.map(n => n.target.join(' ')).join(', '))))
                    .catch(e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await
            .unwrap();
        found.as_array().unwrap().iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect()
    }

    /// Presses keys in whatever has the focus (Tab, Enter: `fantoccini::key::Key`).
    pub async fn press(&self, keys: &str) {
        self.client.active_element().await.unwrap().send_keys(keys).await.unwrap();
    }

    /// Presses Tab until the focus is on an element whose text is `text`
    /// (at most `limit` times); panics if it never gets there.
    pub async fn tab_to(&self, text: &str, limit: usize) -> Element {
        for _ in 0..limit {
            self.press(&char::from(fantoccini::key::Key::Tab).to_string()).await;
            let focused = self.client.active_element().await.unwrap();
            if focused.text().await.unwrap_or_default().trim() == text {
                return focused;
            }
        }
        panic!("{limit} presses of Tab never reached {text:?}");
    }

    /// Ends the WebDriver session.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}
