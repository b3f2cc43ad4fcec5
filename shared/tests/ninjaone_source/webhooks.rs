use crate::{
    connection, credentials, factory_with, full_walk, sandbox, small_config, source, WEBHOOK_SECRET,
};
use axum::http::HeaderMap;
use axum::routing::post;
use axum::Router;
use ninjaone_sandbox::Faults;
use shared::ports::source::{AccountsSourceFactory, SourceError};
use shared::sources::ninjaone::{NinjaoneSettings, WEBHOOK_SECRET_HEADER};
use std::io::Write;
use std::sync::{Arc, Mutex};

type Received = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let kept = received.clone();
    let app = Router::new().route(
        "/hooks/ninjaone",
        post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let kept = kept.clone();
            async move {
                kept.lock().expect("lock").push((headers, body.to_vec()));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hooks/ninjaone"), received)
}

#[tokio::test]
async fn a_registered_webhook_delivers_activities_that_verify_and_name_their_organisation() {
    let sandbox = sandbox(small_config()).await;
    let factory = factory_with(&sandbox, NinjaoneSettings::default(), 2).await;
    let (url, received) = receiver().await;
    let registered = factory
        .register_webhook(&connection(), &credentials(&sandbox), &url)
        .await
        .expect("registered");
    assert!(registered);
    let webhook = sandbox.webhook().expect("a webhook");
    assert_eq!(webhook.url, url);
    assert_eq!(
        webhook.headers,
        vec![(WEBHOOK_SECRET_HEADER.to_owned(), WEBHOOK_SECRET.to_owned())]
    );
    assert!(webhook.activities.get("CONDITION").is_some());

    let org = sandbox.truth()[2].external_id.clone();
    let status = sandbox
        .fire_webhook(org.parse().expect("numeric id"))
        .await
        .expect("delivered");
    assert_eq!(status, 200);
    let (headers, body) = received.lock().expect("lock")[0].clone();
    let verified = factory
        .verify_webhook(&connection(), &headers, &body)
        .await
        .expect("verified");
    assert_eq!(verified.account_ids, vec![org]);
    assert!(!verified.event_id.is_empty());
    assert_eq!(verified.event_type, "CONDITION.TRIGGERED");

    let mut forged = headers.clone();
    forged.insert(
        WEBHOOK_SECRET_HEADER,
        "whsec-guessed".parse().expect("header"),
    );
    let refused = factory.verify_webhook(&connection(), &forged, &body).await;
    assert!(
        matches!(refused, Err(SourceError::Rejected { status: 401, .. })),
        "{refused:?}"
    );
    let mut bare = headers.clone();
    bare.remove(WEBHOOK_SECRET_HEADER);
    let refused = factory.verify_webhook(&connection(), &bare, &body).await;
    assert!(matches!(refused, Err(SourceError::Rejected { .. })));

    let no_org = br#"{"id": 77, "activityType": "SYSTEM", "statusCode": "CLIENT_CREATED"}"#;
    let verified = factory
        .verify_webhook(&connection(), &headers, no_org)
        .await
        .expect("authentic");
    assert!(verified.account_ids.is_empty());
    let junk = factory
        .verify_webhook(&connection(), &headers, b"not json")
        .await;
    assert!(matches!(junk, Err(SourceError::InvalidResponse(_))));
}

#[tokio::test]
async fn registering_without_a_webhook_secret_is_refused() {
    let sandbox = sandbox(small_config()).await;
    let factory = factory_with(&sandbox, NinjaoneSettings::default(), 2).await;
    let mut without = credentials(&sandbox);
    without.webhook_secret = None;
    let refused = factory
        .register_webhook(&connection(), &without, "http://127.0.0.1:9/hook")
        .await;
    assert!(matches!(refused, Err(SourceError::Credentials(_))));
    assert!(sandbox.webhook().is_none());
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_and_tokens_stay_out_of_debug_and_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sandbox = sandbox(small_config()).await;
    let source = source(&sandbox).await;
    sandbox.set_faults(Faults {
        fail_next: 1,
        ..Faults::none()
    });
    full_walk(&source).await;
    sandbox.expire_tokens();
    full_walk(&source).await;
    sandbox.revoke_tokens();
    sandbox.refuse_credentials(true);
    let error = full_walk_error(&source).await;

    let secret = sandbox.client_secret();
    let debug = format!(
        "{:?} {:?} {:?} {error:?} {error}",
        credentials(&sandbox),
        source.client(),
        shared::sources::ninjaone::webhook::configuration("https://x.test", WEBHOOK_SECRET),
    );
    let logs = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf-8");
    assert!(logs.contains("NinjaOne"), "the capture works: {logs}");
    for text in [&debug, &logs] {
        assert!(!text.contains(&secret), "client secret shown: {text}");
        assert!(
            !text.contains(WEBHOOK_SECRET),
            "webhook secret shown: {text}"
        );
        assert!(!text.contains("ninja-at-"), "a token shown: {text}");
    }
}

async fn full_walk_error(source: &shared::sources::ninjaone::NinjaoneSource) -> SourceError {
    use shared::ports::source::{AccountsSource, FetchWindow};
    match source.fetch_step(FetchWindow::All, None).await {
        Err(error) => error,
        Ok(_) => panic!("refused credentials must fail the walk"),
    }
}
