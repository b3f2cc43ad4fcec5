//! The PayPal source against the PayPal simulator (tools/paypal-sandbox): full and incremental
//! walks against the simulator's ground truth, resuming, token expiry, refused credentials, faults
//! and webhook verification.

use chrono::Utc;
use paypal_sandbox::{Faults, Sandbox, SandboxConfig};
use secrecy::SecretString;
use shared::domain::{
    ClientCredentials, Connection, ConnectionId, ConnectionSettings, ConnectionStatus, PayerRecord,
    PaypalEnvironment, Platform, TenantId,
};
use shared::ports::source::{
    FetchWindow, PaymentRef, PaymentsSource, PaymentsSourceFactory, SourceError,
};
use shared::ports::SecretVault;
use shared::sources::paypal::{PaypalSource, PaypalSources, RetryPolicy, WebhookError};
use shared::vault::InProcessVault;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

const HASH_KEY: &[u8] = b"test-email-hash-key";
const SECRET_ID: &str = "paypal/connection-1";

async fn sandbox(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.expect("the simulator starts")
}

fn connection(webhook_id: Option<String>) -> Connection {
    let at = Utc::now();
    Connection {
        tenant_id: TenantId::parse("tenant-1").expect("tenant id"),
        id: ConnectionId::parse("paypal-1").expect("connection id"),
        platform: Platform::Paypal,
        label: "PayPal".into(),
        status: ConnectionStatus::Active,
        status_reason: None,
        credentials_secret_id: SECRET_ID.into(),
        settings: ConnectionSettings::Paypal {
            environment: PaypalEnvironment::Sandbox,
            webhook_id,
        },
        connected_at: at,
        last_sync_at: None,
        last_full_sync_at: None,
        created_at: at,
        updated_at: at,
        webhook_registered: None,
        version: 0,
    }
}

fn credentials(sandbox: &Sandbox) -> ClientCredentials {
    ClientCredentials {
        client_id: sandbox.client_id(),
        client_secret: sandbox.client_secret(),
        webhook_secret: None,
    }
}

/// A factory pointed at the simulator, on its clock, unpaced, with quick retries.
async fn factory(sandbox: &Sandbox, retries: usize) -> PaypalSources {
    let vault = InProcessVault::new();
    let secret = serde_json::to_string(&credentials(sandbox)).expect("json");
    vault
        .create(SECRET_ID, &SecretString::from(secret))
        .await
        .expect("secret stored");
    let clock = sandbox.clone();
    PaypalSources::new(reqwest::Client::new(), Arc::new(vault), HASH_KEY)
        .with_base_url(sandbox.base_url())
        .with_retry(RetryPolicy::fast(retries))
        .with_pacing(None)
        .with_clock(Arc::new(move || clock.now()))
}

async fn source(sandbox: &Sandbox) -> PaypalSource {
    factory(sandbox, 6)
        .await
        .source(&connection(None))
        .await
        .expect("a source")
}

/// Walks from `cursor` to the end (or `max_steps`), merging each step's payers as a sync would.
async fn walk(
    source: &PaypalSource,
    window: FetchWindow,
    mut cursor: Option<String>,
    max_steps: usize,
    payers: &mut BTreeMap<String, PayerRecord>,
) -> Result<Option<String>, SourceError> {
    for _ in 0..max_steps {
        let page = source.fetch_step(window, cursor.as_deref()).await?;
        for record in page.payers {
            match payers.get_mut(&record.external_id) {
                Some(stored) => stored.merge(record),
                None => {
                    payers.insert(record.external_id.clone(), record);
                }
            }
        }
        cursor = page.next_cursor;
        if cursor.is_none() {
            return Ok(None);
        }
    }
    Ok(cursor)
}

async fn full_walk(source: &PaypalSource) -> BTreeMap<String, PayerRecord> {
    let mut payers = BTreeMap::new();
    let left = walk(source, FetchWindow::All, None, 10_000, &mut payers)
        .await
        .expect("the full walk succeeds");
    assert!(left.is_none(), "the walk ends");
    payers
}

/// What a walk found, without the fields that depend on when it ran.
#[derive(Debug, PartialEq, Eq)]
struct Found {
    payers: BTreeSet<String>,
    payments: BTreeSet<String>,
    invoices: BTreeSet<String>,
    disputes: BTreeMap<String, String>,
    subscriptions: BTreeSet<String>,
    references: BTreeSet<String>,
}

fn found(payers: &BTreeMap<String, PayerRecord>) -> Found {
    let all = || payers.values();
    Found {
        payers: payers.keys().cloned().collect(),
        payments: all()
            .flat_map(|p| p.payments.iter().map(|x| x.id.clone()))
            .collect(),
        invoices: all()
            .flat_map(|p| p.invoices.iter().map(|x| x.id.clone()))
            .collect(),
        disputes: all()
            .flat_map(|p| {
                p.disputes
                    .iter()
                    .map(|d| (d.id.clone(), p.external_id.clone()))
            })
            .collect(),
        subscriptions: all()
            .flat_map(|p| p.subscriptions.iter().map(|x| x.id.clone()))
            .collect(),
        references: all()
            .flat_map(|p| p.reference_ids.iter().cloned())
            .collect(),
    }
}

fn transaction_id(payment_id: &str) -> &str {
    payment_id.split(':').next().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_walk_finds_every_visible_row_invoice_dispute_and_subscription_of_the_ground_truth()
{
    let sandbox = sandbox(SandboxConfig::small(7)).await;
    let source = source(&sandbox).await;
    let before = sandbox.now();
    let payers = full_walk(&source).await;
    let after = sandbox.now();
    let got = found(&payers);

    // Rows visible when the walk began are all found; none is found before it was visible.
    let rows = sandbox.transactions();
    let visible: Vec<_> = rows.iter().filter(|t| t.visible_at <= before).collect();
    let payment_count: usize = payers.values().map(|p| p.payments.len()).sum();
    let visible_after = rows.iter().filter(|t| t.visible_at <= after).count();
    assert!(
        (visible.len()..=visible_after).contains(&payment_count),
        "one payment per visible row: {payment_count} of {}",
        visible.len()
    );
    let seen: BTreeSet<&str> = got.payments.iter().map(|p| transaction_id(p)).collect();
    assert!(visible
        .iter()
        .all(|t| seen.contains(t.transaction_id.as_str())));

    let truth = sandbox.ground_truth();
    let with_rows: BTreeSet<&str> = visible.iter().map(|t| t.payer_id.as_str()).collect();
    for payer in truth
        .iter()
        .filter(|p| with_rows.contains(p.payer_id.as_str()))
    {
        let record = payers.get(&payer.payer_id).expect("every paying payer");
        let domain = payer.email.rsplit_once('@').map(|(_, d)| d.to_lowercase());
        assert_eq!(record.email_domain, domain, "{}", payer.payer_id);
        if let Some(custom) = &payer.custom_id {
            assert!(record.reference_ids.contains(custom), "{}", payer.payer_id);
        }
    }
    let truth_invoices: BTreeSet<String> = truth
        .iter()
        .flat_map(|p| p.invoice_ids.iter().cloned())
        .collect();
    assert_eq!(got.invoices, truth_invoices);
    assert!(!got.disputes.is_empty());
    for (dispute, payer) in &got.disputes {
        let owner = truth
            .iter()
            .find(|p| p.dispute_ids.contains(dispute))
            .expect("a dispute of the ground truth");
        assert_eq!(payer, &owner.payer_id, "{dispute} joined to its payer");
    }
    let referenced: BTreeSet<String> = visible
        .iter()
        .filter(|t| t.event_code == "T0002")
        .filter_map(|t| t.reference_id.clone())
        .collect();
    assert!(!referenced.is_empty());
    assert_eq!(got.subscriptions, referenced);

    // Emails never leave in clear.
    let stored = serde_json::to_string(&payers.values().collect::<Vec<_>>()).expect("json");
    assert!(truth.iter().all(|p| !stored.contains(&p.email)));
    // The simulator refuses a range over 31 days: the walk asked for three years in 36 windows.
    let stats = sandbox.stats();
    let searches = stats
        .by_route
        .get("GET /v1/reporting/transactions")
        .copied();
    assert!(searches.unwrap_or(0) >= 36, "{stats:?}");
    assert_eq!(stats.token_requests, 1, "one cached token for the walk");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_walk_resumed_from_a_saved_cursor_by_a_new_source_finds_the_same() {
    let sandbox = sandbox(SandboxConfig::small(11)).await;
    let whole = found(&full_walk(&source(&sandbox).await).await);

    let mut payers = BTreeMap::new();
    let first = source(&sandbox).await;
    let saved = walk(&first, FetchWindow::All, None, 20, &mut payers)
        .await
        .expect("the first steps")
        .expect("a cursor to resume from");
    drop(first);
    let second = source(&sandbox).await;
    let left = walk(&second, FetchWindow::All, Some(saved), 10_000, &mut payers)
        .await
        .expect("the rest of the walk");
    assert!(left.is_none());
    assert!(!whole.disputes.is_empty() && !whole.subscriptions.is_empty());
    assert_eq!(found(&payers), whole);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incremental_walk_catches_a_transaction_that_showed_up_late() {
    let sandbox = sandbox(SandboxConfig::small(13)).await;
    let source = source(&sandbox).await;
    let invoice = sandbox
        .ground_truth()
        .iter()
        .flat_map(|p| p.invoice_ids.clone())
        .find(|id| sandbox.pay_invoice(id).is_some())
        .expect("an invoice to pay");
    let row = sandbox
        .transactions()
        .into_iter()
        .max_by_key(|t| t.initiated_at)
        .expect("the payment's row");
    // The first run ends before the row is visible (PayPal shows rows up to 3 hours late).
    let since = sandbox.now() - chrono::Duration::hours(24);
    let until = row.initiated_at + chrono::Duration::seconds(1);
    let mut first = BTreeMap::new();
    let window = FetchWindow::ChangedBetween { since, until };
    walk(&source, window, None, 1_000, &mut first)
        .await
        .expect("run 1");
    let late = row.visible_at > sandbox.now();
    let paid = |payers: &BTreeMap<String, PayerRecord>| {
        found(payers)
            .payments
            .iter()
            .any(|p| transaction_id(p) == row.transaction_id)
    };
    if late {
        assert!(!paid(&first), "not visible yet");
    }
    assert!(
        found(&first).invoices.contains(&invoice),
        "invoices paid in the window"
    );

    sandbox.advance_clock(std::time::Duration::from_secs(3 * 3_600 + 60));
    let mut second = BTreeMap::new();
    let window = FetchWindow::ChangedBetween {
        since: until,
        until: sandbox.now(),
    };
    walk(&source, window, None, 1_000, &mut second)
        .await
        .expect("run 2");
    assert!(
        paid(&second),
        "the next run reaches 3 hours back and finds it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_replaced_once_and_the_request_sent_again() {
    let sandbox = sandbox(SandboxConfig::small(17)).await;
    let source = source(&sandbox).await;
    let page = source
        .fetch_step(FetchWindow::All, None)
        .await
        .expect("step 1");
    sandbox.expire_tokens();
    source
        .fetch_step(FetchWindow::All, page.next_cursor.as_deref())
        .await
        .expect("step 2 after a new token");
    let stats = source.client().stats();
    assert_eq!((stats.token_requests, stats.token_replacements), (2, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_credentials_need_reauth_after_a_single_token_request() {
    let sandbox = sandbox(SandboxConfig::small(19)).await;
    let factory = factory(&sandbox, 6).await;
    let settings = connection(None).settings;
    factory
        .check_credentials(&settings, &credentials(&sandbox))
        .await
        .expect("good credentials pass");
    sandbox.reset_stats();
    let wrong = ClientCredentials {
        client_secret: "not-the-secret".into(),
        ..credentials(&sandbox)
    };
    let refused = factory.check_credentials(&settings, &wrong).await;
    let Err(SourceError::NeedsReauth { reason }) = refused else {
        panic!("a wrong secret needs a new connection: {refused:?}");
    };
    assert!(!reason.contains("not-the-secret"), "{reason}");
    assert_eq!(sandbox.stats().token_requests, 1);

    sandbox.refuse_credentials(true);
    let source = factory.source(&connection(None)).await.expect("a source");
    let step = source.fetch_step(FetchWindow::All, None).await;
    assert!(
        matches!(step, Err(SourceError::NeedsReauth { .. })),
        "{step:?}"
    );
    assert_eq!(source.client().stats().token_requests, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_and_server_errors_are_retried_to_the_same_result_and_bounded() {
    let sandbox = sandbox(SandboxConfig::small(23)).await;
    let calm = found(&full_walk(&source(&sandbox).await).await);
    sandbox.set_faults(Faults {
        rate_limit_rate: 0.15,
        server_error_rate: 0.15,
        retry_after_secs: None,
        latency_ms: 0,
    });
    let stormy = factory(&sandbox, 10)
        .await
        .source(&connection(None))
        .await
        .expect("a source");
    assert_eq!(found(&full_walk(&stormy).await), calm);
    let stats = stormy.client().stats();
    assert!(
        stats.retries > 0 && stats.rate_limited > 0 && stats.transient_failures > 0,
        "{stats:?}"
    );

    sandbox.set_faults(Faults {
        server_error_rate: 1.0,
        ..Faults::none()
    });
    let doomed = factory(&sandbox, 3)
        .await
        .source(&connection(None))
        .await
        .expect("a source");
    let step = doomed.fetch_step(FetchWindow::All, None).await;
    assert!(
        matches!(step, Err(SourceError::Unavailable { .. })),
        "{step:?}"
    );
    let stats = doomed.client().stats();
    assert_eq!(
        stats.requests - stats.token_requests,
        4,
        "one send and three retries"
    );
}

/// Captures the deliveries the simulator posts.
async fn receiver() -> (String, Arc<Mutex<Vec<(http::HeaderMap, bytes::Bytes)>>>) {
    let received: Arc<Mutex<Vec<(http::HeaderMap, bytes::Bytes)>>> = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/webhooks/paypal",
        axum::routing::post(move |headers: http::HeaderMap, body: bytes::Bytes| {
            let sink = sink.clone();
            async move {
                if let Ok(mut all) = sink.lock() {
                    all.push((headers, body));
                }
                http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let url = format!(
        "http://{}/webhooks/paypal",
        listener.local_addr().expect("address")
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivered_webhook_verifies_a_tampered_one_does_not_and_the_refs_fetch_the_payer() {
    let sandbox = sandbox(SandboxConfig::small(29)).await;
    let factory = factory(&sandbox, 6).await;
    let connection = connection(Some(sandbox.webhook_id()));
    let (url, received) = receiver().await;
    let truth = sandbox.ground_truth();
    let (payer, invoice) = truth
        .iter()
        .flat_map(|p| p.invoice_ids.iter().map(move |i| (p, i.clone())))
        .find_map(|(p, id)| sandbox.pay_invoice(&id).map(|resource| (p, resource)))
        .expect("an invoice to pay");
    let invoice_id = invoice["id"].as_str().expect("an id").to_owned();
    let delivery = sandbox
        .send_webhook(
            &url,
            "INVOICING.INVOICE.PAID",
            serde_json::json!({ "invoice": invoice }),
        )
        .await
        .expect("delivered");
    assert_eq!(delivery.status, 200);
    let (headers, body) = received.lock().expect("lock").pop().expect("one delivery");

    let event = factory
        .verify_webhook(&connection, &headers, &body)
        .await
        .expect("PayPal verifies the delivery");
    assert_eq!(event.refs, vec![PaymentRef::Invoice(invoice_id.clone())]);

    let text = String::from_utf8(body.to_vec()).expect("utf-8");
    let tampered = text.replacen("INVOICING.INVOICE.PAID", "INVOICING.INVOICE.CANCELLED", 1);
    assert_ne!(tampered, text);
    let refused = factory
        .verify_webhook(&connection, &headers, tampered.as_bytes())
        .await;
    assert!(
        matches!(refused, Err(WebhookError::NotVerified)),
        "{refused:?}"
    );

    let source = factory.source(&connection).await.expect("a source");
    let payers = source
        .fetch_refs(&event.refs)
        .await
        .expect("the invoice's payer");
    let invoices: Vec<_> = payers.iter().flat_map(|p| p.invoices.iter()).collect();
    assert_eq!(invoices.len(), 1);
    assert_eq!(invoices[0].id, invoice_id);
    assert!(invoices[0].paid_at.is_some());
    let domain = payer.email.rsplit_once('@').map(|(_, d)| d.to_lowercase());
    assert_eq!(payers[0].email_domain, domain);
    let unknown = source
        .fetch_refs(&[PaymentRef::Subscription("I-NOSUCHTHING".into())])
        .await
        .expect("a missing object is skipped");
    assert!(unknown.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn targeted_fetches_find_a_transaction_a_dispute_and_a_subscription_by_id() {
    let sandbox = sandbox(SandboxConfig::small(31)).await;
    let source = source(&sandbox).await;
    let now = sandbox.now();
    let row = sandbox
        .transactions()
        .into_iter()
        .filter(|t| t.visible_at <= now && t.event_code == "T0006")
        .max_by_key(|t| t.initiated_at)
        .expect("a recent payment");
    let truth = sandbox.ground_truth();
    let (disputed, dispute) = truth
        .iter()
        .find_map(|p| p.dispute_ids.first().map(|d| (p, d.clone())))
        .expect("a dispute");
    let (subscriber, subscription) = truth
        .iter()
        .find_map(|p| p.subscription_ids.first().map(|s| (p, s.clone())))
        .expect("a subscription");
    let refs = [
        PaymentRef::Transaction(row.transaction_id.clone()),
        PaymentRef::Dispute(dispute.clone()),
        PaymentRef::Subscription(subscription.clone()),
    ];
    let payers: BTreeMap<String, PayerRecord> = source
        .fetch_refs(&refs)
        .await
        .expect("targeted fetch")
        .into_iter()
        .map(|p| (p.external_id.clone(), p))
        .collect();
    let got = found(&payers);
    assert!(got
        .payments
        .iter()
        .any(|p| transaction_id(p) == row.transaction_id));
    assert!(payers.contains_key(&row.payer_id));
    assert_eq!(got.disputes.get(&dispute), Some(&disputed.payer_id));
    assert!(payers
        .get(&subscriber.payer_id)
        .is_some_and(|p| p.subscriptions.iter().any(|s| s.id == subscription)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_share_one_token() {
    let sandbox = sandbox(SandboxConfig::small(37)).await;
    let source = Arc::new(source(&sandbox).await);
    let subscriptions: Vec<String> = sandbox
        .ground_truth()
        .iter()
        .flat_map(|p| p.subscription_ids.clone())
        .take(8)
        .collect();
    assert!(subscriptions.len() > 1);
    let tasks: Vec<_> = subscriptions
        .into_iter()
        .map(|id| {
            let source = source.clone();
            tokio::spawn(async move { source.fetch_refs(&[PaymentRef::Subscription(id)]).await })
        })
        .collect();
    for task in tasks {
        let payers = task.await.expect("joined").expect("fetched");
        assert_eq!(payers.len(), 1);
    }
    assert_eq!(source.client().stats().token_requests, 1);
    assert_eq!(sandbox.stats().token_requests, 1);
}
