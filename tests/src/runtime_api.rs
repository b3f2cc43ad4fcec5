//! A Lambda Runtime API server (the protocol `lambda_runtime` speaks to AWS), so the real function
//! binaries run in tests exactly as they do on Lambda: they long-poll `/invocation/next`, and post a
//! response or an error per request id.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{oneshot, Notify};

/// How one invocation ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Response(Value),
    /// The function reported an error: its `errorType` and `errorMessage`.
    Error {
        error_type: String,
        message: String,
    },
}

impl Outcome {
    pub fn into_response(self) -> Result<Value, String> {
        match self {
            Outcome::Response(v) => Ok(v),
            Outcome::Error {
                error_type,
                message,
            } => Err(format!("{error_type}: {message}")),
        }
    }
}

struct Pending {
    request_id: String,
    payload: Vec<u8>,
    deadline_ms: u64,
}

#[derive(Default)]
struct Inner {
    queue: VecDeque<Pending>,
    waiting: HashMap<String, oneshot::Sender<Outcome>>,
    init_error: Option<String>,
    /// When the function first asked for an event: it was ready to serve.
    first_poll: Option<std::time::Instant>,
}

#[derive(Clone, Default)]
struct Shared {
    inner: Arc<Mutex<Inner>>,
    queued: Arc<Notify>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A poisoned lock only means another test thread panicked; the data is still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One emulated Runtime API endpoint, serving one function process.
pub struct RuntimeApi {
    addr: SocketAddr,
    shared: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl RuntimeApi {
    pub async fn start() -> std::io::Result<Self> {
        let shared = Shared::default();
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(respond),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(fail))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            addr,
            shared,
            server,
        })
    }

    /// The value for `AWS_LAMBDA_RUNTIME_API`.
    pub fn endpoint(&self) -> String {
        self.addr.to_string()
    }

    /// The error the function reported while starting, if any.
    pub fn init_error(&self) -> Option<String> {
        self.shared.lock().init_error.clone()
    }

    /// When the function first polled for an event (it had finished its cold start).
    pub fn first_poll(&self) -> Option<std::time::Instant> {
        self.shared.lock().first_poll
    }

    /// Queues one invocation and waits for the function's answer (or `timeout`).
    pub async fn invoke(
        &self,
        payload: &Value,
        deadline: Duration,
        timeout: Duration,
    ) -> Result<Outcome, String> {
        let request_id = uuid_like();
        let deadline_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| e.to_string())?
            .saturating_add(deadline)
            .as_millis() as u64;
        let (tx, rx) = oneshot::channel();
        {
            let mut inner = self.shared.lock();
            inner.waiting.insert(request_id.clone(), tx);
            inner.queue.push_back(Pending {
                request_id: request_id.clone(),
                payload: serde_json::to_vec(payload).map_err(|e| e.to_string())?,
                deadline_ms,
            });
        }
        self.shared.queued.notify_one();
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(_)) => Err(format!("invocation {request_id} was dropped")),
            Err(_) => Err(format!(
                "invocation {request_id} got no answer within {timeout:?}{}",
                self.init_error()
                    .map(|e| format!(" (init error: {e})"))
                    .unwrap_or_default()
            )),
        }
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "req-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

async fn next(State(shared): State<Shared>) -> Response {
    {
        let mut inner = shared.lock();
        inner.first_poll.get_or_insert_with(std::time::Instant::now);
    }
    loop {
        let notified = shared.queued.notified();
        if let Some(p) = shared.lock().queue.pop_front() {
            let mut headers = HeaderMap::new();
            let pairs = [
                ("lambda-runtime-aws-request-id", p.request_id.clone()),
                ("lambda-runtime-deadline-ms", p.deadline_ms.to_string()),
                (
                    "lambda-runtime-invoked-function-arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:system-test".to_string(),
                ),
                (
                    "lambda-runtime-trace-id",
                    "Root=1-00000000-000000000000000000000000;Sampled=0".to_string(),
                ),
            ];
            for (name, value) in pairs {
                if let Ok(v) = value.parse() {
                    headers.insert(name, v);
                }
            }
            return (StatusCode::OK, headers, p.payload).into_response();
        }
        notified.await;
    }
}

async fn respond(State(shared): State<Shared>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    finish(&shared, &id, Outcome::Response(value))
}

async fn fail(State(shared): State<Shared>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let field = |name: &str| {
        parsed
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    finish(
        &shared,
        &id,
        Outcome::Error {
            error_type: field("errorType"),
            message: field("errorMessage"),
        },
    )
}

async fn init_error(State(shared): State<Shared>, body: Bytes) -> StatusCode {
    shared.lock().init_error = Some(String::from_utf8_lossy(&body).into_owned());
    StatusCode::ACCEPTED
}

fn finish(shared: &Shared, id: &str, outcome: Outcome) -> StatusCode {
    match shared.lock().waiting.remove(id) {
        Some(tx) => {
            let _ = tx.send(outcome);
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}
