//! A local HTTP receiver that plays the channels alerts go to: Slack's incoming webhooks, Teams'
//! workflow webhooks, any signed-webhook endpoint. It records every request (method, path, headers,
//! body) and answers each path as scripted, with the answers those platforms document: Slack's 200
//! `ok`, 410 `no_service` for a removed webhook, 404 `channel_not_found`, 400 `invalid_payload`, 429
//! with `Retry-After`, a slow answer; Teams' 202 Accepted. Unscripted paths answer 200 `ok`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// One answer the receiver gives.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub retry_after_seconds: Option<u64>,
    /// Waits this long before answering (a slow or hanging channel).
    pub delay: Duration,
}

impl Reply {
    pub fn new(status: u16, body: &str) -> Self {
        Self {
            status,
            body: body.to_string(),
            retry_after_seconds: None,
            delay: Duration::ZERO,
        }
    }

    /// Slack's success: 200 with the body `ok`.
    pub fn slack_ok() -> Self {
        Self::new(200, "ok")
    }

    /// Slack's answer for a removed webhook or app.
    pub fn slack_no_service() -> Self {
        Self::new(410, "no_service")
    }

    /// Slack's answer for a webhook whose channel was archived.
    pub fn slack_channel_is_archived() -> Self {
        Self::new(410, "channel_is_archived")
    }

    /// Slack's answer for a webhook whose channel was deleted.
    pub fn slack_channel_not_found() -> Self {
        Self::new(404, "channel_not_found")
    }

    /// Slack's answer for a body it cannot read.
    pub fn slack_invalid_payload() -> Self {
        Self::new(400, "invalid_payload")
    }

    /// Slack's answer when the workspace forbids the post.
    pub fn slack_action_prohibited() -> Self {
        Self::new(403, "action_prohibited")
    }

    /// Slack's rate limit: 429 with `Retry-After` in seconds.
    pub fn slack_rate_limited(retry_after_seconds: u64) -> Self {
        Self {
            retry_after_seconds: Some(retry_after_seconds),
            ..Self::new(429, "rate_limited")
        }
    }

    /// Power Automate's answer to a workflow webhook: 202 Accepted, no body.
    pub fn teams_accepted() -> Self {
        Self::new(202, "")
    }

    /// This reply, after `delay`.
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// One request the receiver took.
#[derive(Debug, Clone)]
pub struct ReceivedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl ReceivedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; `Null` when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Default)]
struct Script {
    /// Answers given in turn, one per request.
    queued: Vec<Reply>,
    /// The answer once `queued` is used up.
    standing: Option<Reply>,
}

#[derive(Default)]
struct Inner {
    requests: Mutex<Vec<ReceivedRequest>>,
    scripts: Mutex<HashMap<String, Script>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running receiver on 127.0.0.1; stops when dropped.
pub struct Receiver {
    base_url: String,
    inner: Arc<Inner>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Receiver {
    pub async fn start() -> std::io::Result<Self> {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let inner = Arc::new(Inner::default());
        let app = Router::new().fallback(receive).with_state(inner.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            base_url,
            inner,
            server,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The URL of `path` (which starts with `/`) on this receiver.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Every request to `path` is answered with `reply` (after any queued answers).
    pub fn always(&self, path: &str, reply: Reply) {
        lock(&self.inner.scripts)
            .entry(path.to_string())
            .or_default()
            .standing = Some(reply);
    }

    /// The next requests to `path` get `replies`, one each, in order; then the standing answer.
    pub fn then(&self, path: &str, replies: impl IntoIterator<Item = Reply>) {
        lock(&self.inner.scripts)
            .entry(path.to_string())
            .or_default()
            .queued
            .extend(replies);
    }

    /// Every request taken so far, in order of arrival.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        lock(&self.inner.requests).clone()
    }

    pub fn requests_to(&self, path: &str) -> Vec<ReceivedRequest> {
        self.requests()
            .into_iter()
            .filter(|request| request.path == path)
            .collect()
    }

    /// Waits until `path` has taken `count` requests or `wait` has passed; returns what it took.
    pub async fn wait_for(&self, path: &str, count: usize, wait: Duration) -> Vec<ReceivedRequest> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let taken = self.requests_to(path);
            if taken.len() >= count || tokio::time::Instant::now() >= deadline {
                return taken;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn receive(
    State(inner): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    lock(&inner.requests).push(ReceivedRequest {
        method: method.to_string(),
        path: path.clone(),
        query: uri.query().map(str::to_string),
        headers,
        body,
    });
    let reply = {
        let mut scripts = lock(&inner.scripts);
        match scripts.get_mut(&path) {
            Some(script) if !script.queued.is_empty() => script.queued.remove(0),
            Some(script) => script.standing.clone().unwrap_or_else(Reply::slack_ok),
            None => Reply::slack_ok(),
        }
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, reply.body).into_response();
    if let Some(seconds) = reply.retry_after_seconds {
        if let Ok(value) = seconds.to_string().parse() {
            response.headers_mut().insert("retry-after", value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn records_requests_and_answers_as_scripted() {
        let receiver = Receiver::start().await.unwrap();
        receiver.then("/slack", [Reply::slack_rate_limited(7)]);
        receiver.always("/slack", Reply::slack_no_service());
        let client = post(&receiver.url("/slack"), "{\"a\":1}").await;
        assert_eq!(
            client,
            (429, Some("7".to_string()), "rate_limited".to_string())
        );
        let second = post(&receiver.url("/slack"), "{}").await;
        assert_eq!(second.0, 410);
        assert_eq!(second.2, "no_service");
        let other = post(&receiver.url("/other"), "x").await;
        assert_eq!((other.0, other.2.as_str()), (200, "ok"));
        let taken = receiver.requests_to("/slack");
        assert_eq!(taken.len(), 2);
        assert_eq!(taken[0].json(), serde_json::json!({"a": 1}));
        assert_eq!(taken[0].method, "POST");
    }

    async fn post(url: &str, body: &str) -> (u16, Option<String>, String) {
        let response = reqwest::Client::new()
            .post(url)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        (status, retry_after, response.text().await.unwrap())
    }
}
